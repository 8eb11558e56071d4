"""Fetching against a hostile feed publisher, with private networks allowed for an intranet: the cloud's
metadata service stays out of reach (docs/decisions.md, "Security review (2026-11-30)")."""

from __future__ import annotations

import random
import threading
import time

import pytest
import redis
from structlog.testing import capture_logs

from producers.fetch import FetchPolicy, system_resolver
from producers.poll import poll_feed
from producers.schedule import FeedSchedule, HostGate
from tests.producers.feed_server import FeedServer
from tests.producers.test_poll import Clock, Sink

_RSS = (b'<rss version="2.0"><channel><title>News</title><item><title>Story</title><guid>story-0</guid>'
        b"<description>Text</description></item></channel></rss>")  # fmt: skip
_JSON_FEED = (b'{"version": "https://jsonfeed.org/version/1.1", "title": "News", '
              b'"items": [{"id": "story-0", "title": "Story", "content_text": "Text"}]}')  # fmt: skip


def test_a_feed_item_linking_to_the_metadata_service_keeps_its_own_content(
    client: redis.Redis, feed_server: FeedServer
) -> None:
    """A full-text feed whose item links to the instance metadata service (a name its publisher resolves to
    169.254.169.254): the page is refused as `blocked` and logged, the item keeps the feed's text, and nothing
    is fetched from there, though the deployment allows private networks for its intranet feeds."""

    def resolver(host: str, port: int) -> list[str]:  # what the publisher's DNS answers for its name
        return ["169.254.169.254"] if host == "metadata.attacker.example" else system_resolver(host, port)

    link = f"http://metadata.attacker.example:{feed_server.port}/latest/meta-data/iam/security-credentials/role"
    body = (f'<rss version="2.0"><channel><title>News</title><item><title>Story</title><link>{link}</link>'
            "<guid>story-0</guid><description>The feed's own text</description></item></channel></rss>").encode()  # fmt: skip
    url = feed_server.set("/feed.xml", body)
    schedule, gate, sink, clock = FeedSchedule(client), HostGate(client, delay_s=0.0), Sink(), Clock()
    schedule.add(url, full_text=True, now=clock())
    claim = schedule.claim(url, now=clock())
    assert claim is not None
    policy = FetchPolicy(allow_private_networks=True, resolver=resolver)
    with capture_logs() as logs:
        poll_feed(schedule, gate, claim, sink, policy=policy, now=clock, rng=random.Random(1))
    (article,) = sink.articles
    assert article.content == "The feed's own text"
    failed = [e for e in logs if e["event"] == "full_text_failed"]
    assert [(e["kind"], "metadata" in e["error"]) for e in failed] == [("blocked", True)]


def test_a_feed_whose_nameserver_never_answers_is_one_counted_dns_failure(client: redis.Redis) -> None:
    """A feed host whose DNS never answers holds the poller no longer than the connect timeout: the poll ends in
    one logged `error:dns` outcome, backed off like any other DNS failure."""
    release = threading.Event()

    def resolver(host: str, port: int) -> list[str]:  # a nameserver that does not answer
        release.wait(5.0)
        return []

    url = "http://feeds.silent-dns.example/feed.xml"
    schedule, gate, sink, clock = FeedSchedule(client), HostGate(client, delay_s=0.0), Sink(), Clock()
    schedule.add(url, now=clock())
    claim = schedule.claim(url, now=clock())
    assert claim is not None
    policy = FetchPolicy(connect_timeout_s=0.3, resolver=resolver)
    start = time.monotonic()
    try:
        with capture_logs() as logs:
            outcome = poll_feed(schedule, gate, claim, sink, policy=policy, now=clock, rng=random.Random(1))
    finally:
        release.set()
    assert time.monotonic() - start < 1.5
    assert outcome.outcome == "error:dns"
    (polled,) = [e for e in logs if e["event"] == "feed_polled"]
    assert polled["outcome"] == "error:dns"
    assert "DNS lookup for feeds.silent-dns.example took longer than 0.3 s" in polled["error"]
    assert sink.articles == []


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'<?xml version="1.0" encoding="punycode"?>' + _RSS, "application/rss+xml"),  # an ASCII body, as most are
        (_RSS, "application/rss+xml; charset=punycode"),
        (_JSON_FEED, "application/feed+json; charset=punycode"),
        (_JSON_FEED, "application/feed+json; charset=idna"),
        (_JSON_FEED, "application/feed+json; charset=rot13"),  # a codec Python knows that is no text encoding
    ],
)
def test_a_feed_labelled_with_a_codec_that_is_no_charset_is_read_as_if_unlabelled(
    client: redis.Redis, feed_server: FeedServer, body: bytes, content_type: str
) -> None:
    """A charset label (XML declaration or Content-Type) naming a codec Python has but that is no charset for a
    document (punycode, idna, rot13) is ignored like an unknown label: the feed is read. It used to escape the
    parser as a bare UnicodeError (logged as a crash, `error:internal`), or to fail a sound JSON Feed as invalid."""
    url = feed_server.set("/feed.xml", body, content_type=content_type)
    schedule, gate, sink, clock = FeedSchedule(client), HostGate(client, delay_s=0.0), Sink(), Clock()
    schedule.add(url, now=clock())
    claim = schedule.claim(url, now=clock())
    assert claim is not None
    policy = FetchPolicy(allow_private_networks=True)
    with capture_logs() as logs:
        outcome = poll_feed(schedule, gate, claim, sink, policy=policy, now=clock, rng=random.Random(1))
    assert [e["event"] for e in logs if e["event"] == "feed_poll_crashed"] == []
    assert outcome.outcome == "new", outcome.error
    assert [a.title for a in sink.articles] == ["Story"]
