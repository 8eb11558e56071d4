"""What `wirewatch feeds list` and GET /v1/feeds show after polls of real servers that fail in the ways real
feeds do: a feed that is gone, a site's home page where its feed was, a plain body labelled gzip, a server whose
clock is off asking to be left alone."""

from __future__ import annotations

import pytest
import redis
from structlog.testing import capture_logs

from producers.schedule import FEED_BROKEN_AFTER, FeedSchedule, HostGate
from tests.producers.feed_server import FeedServer
from tests.producers.test_poll import Clock, Sink, _poll, rss

World = tuple[FeedSchedule, HostGate, Sink, Clock]


@pytest.fixture
def world(client: redis.Redis, feed_server: FeedServer) -> World:
    return FeedSchedule(client), HostGate(client, delay_s=0.0), Sink(), Clock()


def test_a_feed_that_is_gone_is_broken_at_once_and_retried_daily(world: World, feed_server: FeedServer) -> None:
    """410 Gone: the server says the feed is not coming back. It is flagged broken at the first answer (was:
    after three, an hour, two and four apart, as for any 4xx) and tried again 12–24 h later, not in an hour."""
    assert FEED_BROKEN_AFTER > 1
    schedule, _, _, clock = world
    url = feed_server.set("/feed.xml", rss(range(3)))
    schedule.add(url, now=clock())
    feed_server.fail("/feed.xml", 410)
    result = _poll(world, url)
    assert result.outcome == "error:http_410"
    assert result.next_poll_at is not None and result.next_poll_at - clock() >= 12 * 3600  # 12–24 h, jittered
    record = schedule.get(url)
    assert record is not None and record.broken and record.state.error_streak == 1
    assert record.last_error == "HTTP 410 Gone: the server says it was removed for good"
    events = [e for e in schedule.health_events() if e["type"] == "feed_broken"]
    assert len(events) == 1 and events[0]["error_kind"] == "http_410"
    clock.t = result.next_poll_at
    assert _poll(world, url).outcome == "new"  # it came back after all: recovered
    assert [e["type"] for e in schedule.health_events()][-1] == "feed_recovered"


HOME = b"""<!DOCTYPE html><html><head><title>Example News</title>
<link rel="stylesheet" href="/site.css">
<link rel="alternate" type="application/rss+xml" title="Top stories" href="/rss/top.xml">
<LINK REL="alternate" HREF='https://cdn.example/atom.xml' TYPE="application/atom+xml">
<link rel="alternate" hreflang="de" href="/de/">
<link type="application/feed+json" rel="alternate feed" href="feed.json">
</head><body><h1>Example News</h1></body></html>"""


def test_a_home_page_in_place_of_a_feed_names_the_feeds_it_links(world: World, feed_server: FeedServer) -> None:
    """A site's home page added as its feed (or a feed URL that now redirects there): the error says which feeds
    the page names, as absolute URLs, so `feeds add` can take one (was: "an HTML page, not a feed")."""
    schedule, _, sink, clock = world
    url = feed_server.set("/news/", HOME, content_type="text/html; charset=utf-8")
    schedule.add(url, now=clock())
    result = _poll(world, url)
    assert result.outcome == "error:parse" and not sink.articles
    record = schedule.get(url)
    assert record is not None
    assert record.last_error == (
        "an HTML page, not a feed; the page names these feeds: "
        f"{feed_server.url('/rss/top.xml')}, https://cdn.example/atom.xml, {feed_server.url('/news/feed.json')}"
    )


def test_a_page_that_names_no_feed_says_only_what_it_is(world: World, feed_server: FeedServer) -> None:
    schedule, _, _, clock = world
    url = feed_server.set("/", b"<html><head><title>Parked</title></head><body>for sale</body></html>",
                          content_type="text/html")  # fmt: skip
    schedule.add(url, now=clock())
    assert _poll(world, url).outcome == "error:parse"
    record = schedule.get(url)
    assert record is not None and record.last_error == "an HTML page, not a feed"


def test_a_plain_feed_labelled_gzip_is_polled(world: World, feed_server: FeedServer) -> None:
    """Was `error:connect` at every poll, with urllib3's DecodeError as the message."""
    schedule, _, sink, clock = world
    url = feed_server.set("/feed.xml", rss(range(3)), headers={"Content-Encoding": "gzip"})
    schedule.add(url, now=clock())
    assert _poll(world, url).outcome == "new" and len(sink.articles) == 3


def test_a_retry_after_date_on_a_skewed_server_clock_is_honoured(world: World, feed_server: FeedServer) -> None:
    """A 503 asking for two hours as a date on the server's clock, which is a day behind ours: the next poll is
    two hours away (was: the date read on our clock, a day past, so the usual 5-minute backoff)."""
    schedule, _, _, clock = world
    url = feed_server.set("/feed.xml", rss(range(3)))
    schedule.add(url, now=clock())
    feed_server.fail("/feed.xml", 503, headers={"Date": "Sun, 29 Nov 2026 10:00:00 GMT",
                                                "Retry-After": "Sun, 29 Nov 2026 12:00:00 GMT"})  # fmt: skip
    with capture_logs():
        result = _poll(world, url)
    assert result.outcome == "error:http_5xx" and result.next_poll_at is not None
    assert 2 * 3600 <= result.next_poll_at - clock() <= 2 * 3600 * 1.1


@pytest.mark.parametrize("status", [404, 403])
def test_other_client_errors_still_wait_for_three_failures(world: World, feed_server: FeedServer, status: int) -> None:
    schedule, _, _, clock = world
    url = feed_server.set("/feed.xml", rss(range(3)))
    schedule.add(url, now=clock())
    feed_server.fail("/feed.xml", status)
    assert _poll(world, url).outcome == "error:http_4xx"
    record = schedule.get(url)
    assert record is not None and not record.broken


def test_validators_are_those_of_the_last_body(world: World, feed_server: FeedServer) -> None:
    """A 200 without an ETag replaces the one before it: the next request does not send a validator of a body
    that is no longer the one held (was: the old ETag kept, sent forever, and a 304 to it taken for "no
    change" after the body had changed). A 304 keeps them (it may repeat them or not)."""
    schedule, _, _, clock = world
    url = feed_server.set("/feed.xml", rss(range(3)))
    schedule.add(url, now=clock())
    _poll(world, url)
    clock.t += 600
    assert _poll(world, url).outcome == "not_modified"
    feed_server.set("/feed.xml", rss(range(4)), validators=False)
    clock.t += 600
    assert _poll(world, url).outcome == "new"
    clock.t += 600
    _poll(world, url)
    sent = feed_server.requests_for("/feed.xml")[-1].headers
    assert "if-none-match" not in sent and "if-modified-since" not in sent
    record = schedule.get(url)
    assert record is not None and record.state.etag is None and record.state.last_modified is None
