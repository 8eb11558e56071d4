"""Fetching against a hostile feed publisher, with private networks allowed for an intranet: the cloud's
metadata service stays out of reach (docs/decisions.md, "Security review (2026-11-30)")."""

from __future__ import annotations

import random
import threading
import time

import pytest
import redis
from structlog.testing import capture_logs

from producers.feeds import FEED_MAX_ITEMS
from producers.fetch import FEED_MAX_BYTES, FetchPolicy, system_resolver
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


@pytest.mark.parametrize(
    ("unit", "outcome"),
    [
        (b"<entry/>", "new"),  # the first items are kept, the rest dropped and said once
        (b"<a/>", "error:parse"),  # no items to cut away: refused, with the reason
    ],
)
def test_a_feed_of_millions_of_empty_elements_is_polled_at_the_cost_of_a_large_real_feed(
    client: redis.Redis, feed_server: FeedServer, unit: bytes, outcome: str
) -> None:
    """A publisher serving 16 MB of empty elements (~2,000,000 `<entry/>`) used to cost each poll ~4 s of CPU and
    ~600 MB while libxml2 built the whole tree before the item cap: the body is now cut to its first and last
    items (or refused when the elements are no items) before any tree is built."""
    head = (b'<feed xmlns="http://www.w3.org/2005/Atom"><title>Flood</title>'
            b"<entry><id>story-0</id><title>Story</title></entry>")  # fmt: skip
    body = head + unit * ((FEED_MAX_BYTES - len(head) - 7) // len(unit)) + b"</feed>"
    url = feed_server.set("/feed.xml", body, content_type="application/atom+xml")
    schedule, gate, sink, clock = FeedSchedule(client), HostGate(client, delay_s=0.0), Sink(), Clock()
    schedule.add(url, now=clock())
    claim = schedule.claim(url, now=clock())
    assert claim is not None
    with capture_logs() as logs:
        result = poll_feed(schedule, gate, claim, sink, policy=FetchPolicy(allow_private_networks=True), now=clock,
                           rng=random.Random(1))  # fmt: skip
    assert result.outcome == outcome, result.error
    if outcome == "new":
        assert sink.articles[0].title == "Story"
        (dropped,) = [e for e in logs if e["event"] == "feed_items_dropped"]
        assert dropped["dropped"] == body.count(unit) + 1 - FEED_MAX_ITEMS
    else:
        assert sink.articles == [] and "elements" in (result.error or "")


def test_a_json_feed_of_millions_of_empty_items_is_refused_with_the_reason(
    client: redis.Redis, feed_server: FeedServer
) -> None:
    """A JSON Feed of 5,000,000 `{}` items (json.loads built them all: ~1.3 s and ~440 MB a poll) is a parse error
    that names the bound, decided from a count of the bytes before anything is built."""
    head = b'{"version": "https://jsonfeed.org/version/1.1", "items": [{"id": "story-0"}'
    body = head + b",{}" * ((FEED_MAX_BYTES - len(head) - 2) // 3) + b"]}"
    url = feed_server.set("/feed.json", body, content_type="application/feed+json")
    schedule, gate, sink, clock = FeedSchedule(client), HostGate(client, delay_s=0.0), Sink(), Clock()
    schedule.add(url, now=clock())
    claim = schedule.claim(url, now=clock())
    assert claim is not None
    result = poll_feed(schedule, gate, claim, sink, policy=FetchPolicy(allow_private_networks=True), now=clock,
                       rng=random.Random(1))  # fmt: skip
    assert result.outcome == "error:parse" and "values" in (result.error or "")
    assert sink.articles == []
