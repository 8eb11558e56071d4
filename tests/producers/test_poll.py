"""producers.poll: whole polls against a loopback server and a real Redis."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import redis
from structlog.testing import capture_logs

from producers.feeds import FEED_MAX_ITEMS, item_key
from producers.fetch import FetchPolicy
from producers.poll import poll_feed
from producers.schedule import (
    FEED_BROKEN_AFTER,
    FEED_LEASE_S,
    FEED_MAX_INTERVAL_S,
    FEED_MOVES_KEPT,
    Claim,
    FeedSchedule,
    HostGate,
    host_keys,
    utc_datetime,
)
from schemas.models import RawArticle
from tests.producers.feed_server import FeedServer

LOOPBACK = FetchPolicy(allow_private_networks=True)
NOV_29 = datetime(2026, 11, 29, tzinfo=UTC).timestamp()  # the day of `rss`'s items


def rss(items: Sequence[int], *, ttl: int | None = None, base: str = "https://news.example") -> bytes:
    body = "".join(
        f"<item><title>Story {i}</title><link>{base}/story/{i}</link><guid>story-{i}</guid>"
        f"<pubDate>Sun, 29 Nov 2026 {i % 24:02d}:00:00 GMT</pubDate><description>Text {i}</description></item>"
        for i in items
    )
    ttl_el = f"<ttl>{ttl}</ttl>" if ttl else ""
    return f'<rss version="2.0"><channel><title>News</title>{ttl_el}{body}</channel></rss>'.encode()


class Sink:
    """Collects what a poll hands on, as the submitter would receive it."""

    def __init__(self) -> None:
        self.batches: list[list[RawArticle]] = []

    def __call__(self, articles: Sequence[RawArticle]) -> None:
        self.batches.append(list(articles))

    @property
    def articles(self) -> list[RawArticle]:
        return [a for batch in self.batches for a in batch]


class Clock:
    def __init__(self, t: float = 1_800_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def world(client: redis.Redis, feed_server: FeedServer) -> tuple[FeedSchedule, HostGate, Sink, Clock]:
    return FeedSchedule(client), HostGate(client, delay_s=0.0), Sink(), Clock()


def _poll(world: tuple[FeedSchedule, HostGate, Sink, Clock], url: str, **kw: object):  # type: ignore[no-untyped-def]
    schedule, gate, sink, clock = world
    claim = schedule.claim(url, now=clock())
    assert claim is not None
    return poll_feed(schedule, gate, claim, sink, policy=LOOPBACK, now=clock, rng=random.Random(1), **kw)  # type: ignore[arg-type]


def test_new_items_are_handed_on_once_and_unchanged_feeds_send_conditional_requests(
    world: tuple[FeedSchedule, HostGate, Sink, Clock], feed_server: FeedServer
) -> None:
    """First poll hands on every item; the second is a conditional GET answered 304 and hands on nothing."""
    schedule, _, sink, clock = world
    url = feed_server.set("/feed.xml", rss(range(5)))
    schedule.add(url, now=clock())
    first = _poll(world, url)
    assert first.outcome == "new" and first.new_items == 5
    assert {a.url for a in sink.articles} == {f"https://news.example/story/{i}" for i in range(5)}
    assert all(a.source.feed == url and a.source.name == "News" for a in sink.articles)
    clock.t += 3600
    second = _poll(world, url)
    assert second.outcome == "not_modified" and len(sink.articles) == 5
    request = feed_server.requests_for("/feed.xml")[-1]
    assert request.status == 304 and "if-none-match" in request.headers
    record = schedule.get(url)
    assert record is not None
    assert record.state.last_status == "not_modified" and record.state.items_seen == 5


def test_only_new_items_of_a_changed_feed_are_handed_on(
    world: tuple[FeedSchedule, HostGate, Sink, Clock], feed_server: FeedServer
) -> None:
    """A feed that gains one item hands on that item only."""
    schedule, _, sink, clock = world
    url = feed_server.set("/feed.xml", rss(range(5)))
    schedule.add(url, now=clock())
    _poll(world, url)
    feed_server.set("/feed.xml", rss(range(1, 6)))
    clock.t += 600
    result = _poll(world, url)
    assert result.outcome == "new" and result.new_items == 1
    assert sink.batches[-1][0].guid == "story-5"


def test_an_unchanged_body_without_validators_is_not_parsed_again(
    world: tuple[FeedSchedule, HostGate, Sink, Clock], feed_server: FeedServer
) -> None:
    """A server without ETag/Last-Modified sends the same body: the body hash says unchanged."""
    schedule, _, sink, clock = world
    url = feed_server.set("/feed.xml", rss(range(3)), validators=False)
    schedule.add(url, now=clock())
    _poll(world, url)
    clock.t += 600
    assert _poll(world, url).outcome == "unchanged"
    assert len(sink.batches) == 1


def test_failures_back_off_raise_a_health_event_and_recover(
    world: tuple[FeedSchedule, HostGate, Sink, Clock], feed_server: FeedServer
) -> None:
    """5xx polls back off with growing delays; the third emits feed_broken on ww:feeds; a success after
    emits feed_recovered and clears the streak."""
    schedule, _, _, clock = world
    url = feed_server.set("/feed.xml", rss(range(2)))
    schedule.add(url, now=clock())
    feed_server.fail("/feed.xml", 500, times=FEED_BROKEN_AFTER + 1)
    delays = []
    for _ in range(FEED_BROKEN_AFTER + 1):
        result = _poll(world, url)
        assert result.outcome == "error:http_5xx"
        delays.append(result.next_poll_at - clock.t)  # type: ignore[operator]
        clock.t = result.next_poll_at  # type: ignore[assignment]
    assert delays[-1] > delays[0]
    record = schedule.get(url)
    assert record is not None and record.state.error_streak == FEED_BROKEN_AFTER + 1 and record.broken
    events = schedule.health_events()
    assert [e["type"] for e in events] == ["feed_broken"]
    assert events[0]["url"] == url and events[0]["error_kind"] == "http_5xx"
    assert _poll(world, url).outcome == "new"
    assert [e["type"] for e in schedule.health_events()] == ["feed_broken", "feed_recovered"]
    record = schedule.get(url)
    assert record is not None and record.state.error_streak == 0 and not record.broken


def test_retry_after_is_honoured(world: tuple[FeedSchedule, HostGate, Sink, Clock], feed_server: FeedServer) -> None:
    """A 429 with Retry-After: 5400 puts the next poll at least 90 minutes out."""
    schedule, _, _, clock = world
    url = feed_server.set("/feed.xml", rss(range(2)))
    schedule.add(url, now=clock())
    feed_server.fail("/feed.xml", 429, headers={"Retry-After": "5400"})
    result = _poll(world, url)
    assert result.outcome == "error:http_429"
    assert result.next_poll_at - clock.t >= 5400  # type: ignore[operator]
    assert schedule.next_due() == result.next_poll_at


def test_rss_ttl_is_honoured(world: tuple[FeedSchedule, HostGate, Sink, Clock], feed_server: FeedServer) -> None:
    """A feed's <ttl>180</ttl> keeps the next poll at least ~3 hours out."""
    schedule, _, _, clock = world
    url = feed_server.set("/feed.xml", rss(range(2), ttl=180))
    schedule.add(url, interval_s=60, now=clock())
    result = _poll(world, url)
    assert result.next_poll_at - clock.t >= 180 * 60 * 0.9  # type: ignore[operator]


def test_a_body_that_is_not_a_feed_is_a_parse_failure(
    world: tuple[FeedSchedule, HostGate, Sink, Clock], feed_server: FeedServer
) -> None:
    """An HTML page where a feed was is a parse failure with its own backoff."""
    schedule, _, _, clock = world
    url = feed_server.set("/feed.xml", b"<html><body>moved</body></html>", content_type="text/html")
    schedule.add(url, now=clock())
    result = _poll(world, url)
    assert result.outcome == "error:parse"
    assert result.next_poll_at - clock.t >= 1800  # type: ignore[operator]


def test_a_busy_host_defers_the_poll(
    world: tuple[FeedSchedule, HostGate, Sink, Clock], feed_server: FeedServer
) -> None:
    """With the host's slots taken, the poll is deferred, not run, and the feed stays scheduled."""
    schedule, _, sink, clock = world
    gate = HostGate(schedule.client, max_concurrent=1, delay_s=0.0)
    url = feed_server.set("/feed.xml", rss(range(2)))
    schedule.add(url, now=clock())
    assert gate.acquire("127.0.0.1", "someone-else", clock()) == 0
    claim = schedule.claim(url, now=clock())
    assert claim is not None
    result = poll_feed(schedule, gate, claim, sink, policy=LOOPBACK, now=clock, rng=random.Random(1))
    assert result.outcome == "deferred" and sink.batches == []
    assert feed_server.requests_for("/feed.xml") == []
    assert schedule.next_due() == result.next_poll_at


def test_a_quiet_feed_raises_a_health_event(
    world: tuple[FeedSchedule, HostGate, Sink, Clock], feed_server: FeedServer
) -> None:
    """A feed that published hourly and has been silent for days emits feed_quiet once."""
    schedule, _, _, clock = world
    url = feed_server.set("/feed.xml", rss(range(3)))
    schedule.add(url, now=clock())
    _poll(world, url)
    record = schedule.get(url)
    assert record is not None
    hourly = [clock.t - 3600 * i for i in range(10)]
    schedule.client.set(
        __import__("producers.schedule", fromlist=["record_key"]).record_key(url),
        record.model_copy(update={"item_times": sorted(hourly), "last_new_at": clock.t}).model_dump_json(),
    )
    clock.t += 4 * 86_400
    _poll(world, url)
    clock.t += 3600
    _poll(world, url)
    assert [e["type"] for e in schedule.health_events()] == ["feed_quiet"]


def test_full_text_replaces_content_with_the_page(
    world: tuple[FeedSchedule, HostGate, Sink, Clock], feed_server: FeedServer
) -> None:
    """With full_text, each new item's page is fetched and handed on as HTML content."""
    schedule, _, sink, clock = world
    page = b"<html><head><title>S</title></head><body><article><p>The whole story.</p></article></body></html>"
    feed_server.set("/story/0", page, content_type="text/html; charset=utf-8")
    url = feed_server.set("/feed.xml", rss([0], base=feed_server.url("")))
    schedule.add(url, full_text=True, now=clock())
    _poll(world, url)
    (article,) = sink.articles
    assert article.content_type == "html" and "The whole story." in article.content


def test_corpus_feeds_served_over_loopback(
    world: tuple[FeedSchedule, HostGate, Sink, Clock], feed_server: FeedServer, corpus: Path
) -> None:
    """Real feeds from the corpus, served over HTTP, go through a poll each."""
    schedule, _, sink, clock = world
    folder = corpus / "feeds/miniflux/internal/reader/parser/testdata"
    urls = []
    for path in sorted(folder.glob("*.xml")):
        urls.append(feed_server.set(f"/{path.name}", path.read_bytes(), content_type="application/xml"))
        schedule.add(urls[-1], now=clock())
    outcomes = {u: _poll(world, u).outcome for u in urls}
    assert set(outcomes.values()) == {"new"}, outcomes
    assert len(sink.articles) > 50


def test_unused_claims_are_harmless(world: tuple[FeedSchedule, HostGate, Sink, Clock]) -> None:
    """A claim for a feed removed meanwhile ends as removed."""
    schedule, gate, sink, clock = world
    result = poll_feed(schedule, gate, Claim("https://gone.example/f", "t"), sink, policy=LOOPBACK, now=clock)
    assert result.outcome == "removed"


class _Boom(Exception):
    pass


def test_every_poll_gives_its_host_slot_back(
    world: tuple[FeedSchedule, HostGate, Sink, Clock], feed_server: FeedServer
) -> None:
    """With one slot per host, each kind of poll ending (new items, 304, unchanged body, HTTP error, parse error,
    a hand-off that raises, scored error:internal) leaves the slot free for the next poll; a removed feed never
    takes it."""
    schedule, _, sink, clock = world
    gate = HostGate(schedule.client, max_concurrent=1, delay_s=0.0)
    url = feed_server.set("/feed.xml", rss(range(2)))
    schedule.add(url, now=clock())

    def poll(enqueue: object = sink) -> str:
        clock.t += 3600
        claim = schedule.claim(url, now=clock())
        assert claim is not None
        result = poll_feed(schedule, gate, claim, enqueue, policy=LOOPBACK, now=clock, rng=random.Random(1))  # type: ignore[arg-type]
        assert gate.acquire("127.0.0.1", "probe", clock()) == 0, f"slot still held after {result.outcome}"
        gate.release("127.0.0.1", "probe")
        return result.outcome

    assert poll() == "new"
    assert poll() == "not_modified"
    feed_server.set("/feed.xml", rss(range(2)), validators=False)
    assert poll() == "unchanged"
    feed_server.fail("/feed.xml", 503)
    assert poll() == "error:http_5xx"
    feed_server.set("/feed.xml", b"<html><body>moved</body></html>", content_type="text/html")
    assert poll() == "error:parse"
    feed_server.set("/feed.xml", rss(range(3)))

    def refuse(_: Sequence[RawArticle]) -> None:
        raise _Boom("queue down")

    assert poll(refuse) == "error:internal"

    clock.t += 3600
    claim = schedule.claim(url, now=clock())
    assert claim is not None
    schedule.remove(url)
    assert poll_feed(schedule, gate, claim, sink, policy=LOOPBACK, now=clock).outcome == "removed"
    assert schedule.client.zcard(host_keys("127.0.0.1")[0]) == 0


def test_an_unchanged_feed_costs_two_commands(
    world: tuple[FeedSchedule, HostGate, Sink, Clock], feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A poll answered 304 reads its record and takes its host slot in one command, and stores the next poll
    time and gives the slot back in another: what a scheduler polling thousands of feeds pays per feed."""
    schedule, gate, _, clock = world
    url = feed_server.set("/feed.xml", rss(range(2)))
    schedule.add(url, now=clock())
    _poll(world, url)
    clock.t += 3600
    claim = schedule.claim(url, now=clock())
    assert claim is not None
    sent: list[str] = []
    execute = schedule.client.execute_command

    def counted(*args: object, **options: object) -> object:
        sent.append(str(args[0]))
        return execute(*args, **options)

    monkeypatch.setattr(schedule.client, "execute_command", counted)
    result = poll_feed(schedule, gate, claim, Sink(), policy=LOOPBACK, now=clock, rng=random.Random(1))
    assert result.outcome == "not_modified"
    assert sent == ["EVALSHA", "EVALSHA"]
    assert schedule.client.zcard(host_keys("127.0.0.1")[0]) == 0


@pytest.mark.parametrize(
    ("path", "reply", "outcome"),
    [
        ("/feed.xml", b"this is not HTTP\r\n\r\n", "error:connect"),
        ("/feed.xml", b"HTTP/1.1 200 OK\r\nX-Long: " + b"a" * 70_000 + b"\r\n\r\n", "error:too_large"),
        ("/feed.xml", b"HTTP/1.1 200 OK\r\n" + b"X-A: 1\r\n" * 101 + b"\r\n", "error:too_large"),
        ("/feed.xml", b"HTTP/1.1 503 Busy\r\nRetry-After: 1\xc2\xb2\r\nContent-Length: 0\r\n\r\n", "error:http_5xx"),
        ("/moved", b"HTTP/1.1 302 Found\r\nLocation: http://[::1\r\nContent-Length: 0\r\n\r\n", "error:bad_url"),
        ("http://[::1", b"", "error:bad_url"),  # the feed's own URL is no URL
    ],
)
def test_replies_and_urls_outside_http_end_in_a_scored_failure(
    world: tuple[FeedSchedule, HostGate, Sink, Clock], feed_server: FeedServer, path: str, reply: bytes, outcome: str
) -> None:
    """A reply http.client cannot read, a bad Retry-After, a redirect or feed URL that is no URL: each poll ends
    in a typed error with a backoff and an error streak, never an exception that leaves the feed untouched."""
    schedule, _, _, clock = world
    url = path if path.startswith("http") else feed_server.raw(path, reply)
    schedule.add(url, now=clock())
    result = _poll(world, url)
    assert result.outcome == outcome
    record = schedule.get(url)
    assert record is not None and record.state.error_streak == 1 and record.last_error_kind == outcome[6:]
    assert schedule.next_due() == result.next_poll_at and result.next_poll_at - clock.t >= 300  # type: ignore[operator]


def test_a_crash_is_scored_and_counts_toward_feed_broken(
    world: tuple[FeedSchedule, HostGate, Sink, Clock], feed_server: FeedServer
) -> None:
    """An exception nothing foresaw ends the poll as error:internal: backoff, streak, feed_broken after three."""
    schedule, _, _, clock = world
    url = feed_server.set("/feed.xml", rss(range(2)))
    schedule.add(url, now=clock())

    def refuse(_: Sequence[RawArticle]) -> None:
        raise _Boom("queue down")

    claim = None
    for _ in range(FEED_BROKEN_AFTER):
        claim = schedule.claim(url, now=clock())
        assert claim is not None
        result = poll_feed(schedule, world[1], claim, refuse, policy=LOOPBACK, now=clock, rng=random.Random(1))
        assert result.outcome == "error:internal" and "queue down" in (result.error or "")
        clock.t = result.next_poll_at  # type: ignore[assignment]
    assert [e["type"] for e in schedule.health_events()] == ["feed_broken"]
    assert _poll(world, url).outcome == "new"  # nothing was marked seen: the items come round again
    assert len(world[2].articles) == 2


def test_full_text_pages_that_answer_badly_keep_the_feeds_content(
    world: tuple[FeedSchedule, HostGate, Sink, Clock], feed_server: FeedServer
) -> None:
    """With full_text, a page with no status line and a page labelled charset=idna cost only themselves: every
    new item is handed on, those two with the feed's own content."""
    schedule, _, sink, clock = world
    feed_server.raw("/story/0", b"this is not HTTP\r\n\r\n")
    feed_server.set("/story/1", b"<html><body><p>caf\xc3\xa9</p></body></html>", content_type="text/html; charset=idna")
    feed_server.set("/story/2", b"<html><body><p>The whole story.</p></body></html>", content_type="text/html")
    url = feed_server.set("/feed.xml", rss(range(3), base=feed_server.url("")))
    schedule.add(url, full_text=True, now=clock())
    assert _poll(world, url).outcome == "new"
    by_guid = {a.guid: a for a in sink.articles}
    assert by_guid["story-0"].content == "Text 0"
    assert "caf" in by_guid["story-1"].content
    assert "The whole story." in by_guid["story-2"].content


def test_full_text_fetches_stop_at_their_budget(
    world: tuple[FeedSchedule, HostGate, Sink, Clock], feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Page fetches share one time budget (inside the lease): slow pages past it keep the feed's content, and
    the poll ends on time with every item handed on."""
    import time

    import producers.poll

    monkeypatch.setattr(producers.poll, "FULL_TEXT_BUDGET_S", 1.5)  # the 120 s budget, scaled down
    schedule, _, sink, clock = world
    for i in range(4):
        feed_server.set(f"/story/{i}", b"<html><body><p>Page.</p></body></html>", content_type="text/html", delay_s=1.0)
    url = feed_server.set("/feed.xml", rss(range(4), base=feed_server.url("")))
    schedule.add(url, full_text=True, now=clock())
    start = time.monotonic()
    assert _poll(world, url).outcome == "new"
    assert time.monotonic() - start < 2.5
    by_guid = {a.guid: a.content for a in sink.articles}
    assert "Page." in by_guid["story-0"]  # fetched in 1 s; 0.5 s left is too little for another page
    assert [by_guid[f"story-{i}"] for i in (1, 2, 3)] == ["Text 1", "Text 2", "Text 3"]
    assert feed_server.requests_for("/story/1") == []


def test_a_message_past_its_lease_does_not_fetch(
    world: tuple[FeedSchedule, HostGate, Sink, Clock], feed_server: FeedServer
) -> None:
    """A poll message whose lease passed to a newer claim ends as lost before taking a slot or fetching."""
    schedule, gate, sink, clock = world
    url = feed_server.set("/feed.xml", rss(range(2)))
    schedule.add(url, now=clock())
    (stale,) = schedule.claim_due(now=clock())
    clock.t += FEED_LEASE_S + 1
    (fresh,) = schedule.claim_due(now=clock())
    result = poll_feed(schedule, gate, stale, sink, policy=LOOPBACK, now=clock, rng=random.Random(1))
    assert result.outcome == "lost"
    assert feed_server.log == [] and schedule.client.zcard(host_keys("127.0.0.1")[0]) == 0
    assert poll_feed(schedule, gate, fresh, sink, policy=LOOPBACK, now=clock, rng=random.Random(1)).outcome == "new"


def test_settings_changed_during_a_poll_are_kept(
    world: tuple[FeedSchedule, HostGate, Sink, Clock], feed_server: FeedServer
) -> None:
    """`feeds add` with new settings while a poll of the feed runs: the poll's write-back does not undo them."""
    schedule, gate, _, clock = world
    url = feed_server.set("/feed.xml", rss(range(2)))
    schedule.add(url, now=clock())

    def add_meanwhile(articles: Sequence[RawArticle]) -> None:  # the hand-off runs between read and write-back
        schedule.add(url, name="Renamed", interval_s=3600, full_text=True, now=clock())

    claim = schedule.claim(url, now=clock())
    assert claim is not None
    assert poll_feed(schedule, gate, claim, add_meanwhile, policy=LOOPBACK, now=clock).outcome == "new"
    record = schedule.get(url)
    assert record is not None
    assert (record.state.name, record.floor_s, record.full_text) == ("Renamed", 3600, True)
    assert record.state.items_seen == 2 and record.state.last_status == "ok"  # and the poll's state is kept
    (listed,) = schedule.records()
    assert listed == record


def test_error_retries_respect_the_configured_interval(
    world: tuple[FeedSchedule, HostGate, Sink, Clock], feed_server: FeedServer
) -> None:
    """A feed configured `interval: 1h` is not retried sooner than an hour after a 500."""
    schedule, _, _, clock = world
    url = feed_server.set("/feed.xml", rss(range(2)))
    schedule.add(url, interval_s=3600, now=clock())
    feed_server.fail("/feed.xml", 500)
    result = _poll(world, url)
    assert result.outcome == "error:http_5xx" and result.next_poll_at - clock.t >= 3600  # type: ignore[operator]


def _dated_rss(items: Sequence[tuple[int, str]]) -> bytes:
    body = "".join(
        f"<item><title>Story {i}</title><link>https://news.example/story/{i}</link><guid>story-{i}</guid>"
        f"<pubDate>{date}</pubDate><description>Text {i}</description></item>"
        for i, date in items
    )
    return f'<rss version="2.0"><channel><title>News</title>{body}</channel></rss>'.encode()


def test_a_feeds_rhythm_reads_its_slashed_dates_as_its_language_writes_them(
    world: tuple[FeedSchedule, HostGate, Sink, Clock], feed_server: FeedServer
) -> None:
    """A French feed's "03/04/2027 10:00" is the 3rd of April in the feed's rhythm, as on its articles: read month
    first it would be the 4th of March, a month of silence before the items just found."""
    schedule, _, sink, clock = world
    clock.t = datetime(2027, 4, 3, 12, tzinfo=UTC).timestamp()
    items = "".join(
        f"<item><title>Article {h}</title><link>https://news.example/a/{h}</link>"
        f"<pubDate>03/04/2027 {h:02d}:00</pubDate><description>Texte {h}</description></item>"
        for h in (11, 10, 9, 8)
    )
    body = f'<rss version="2.0"><channel><title>Actu</title><language>fr</language>{items}</channel></rss>'
    url = feed_server.set("/feed.xml", body.encode())
    schedule.add(url, now=clock())
    result = _poll(world, url)
    assert result.outcome == "new" and result.new_items == 4
    record = schedule.get(url)
    assert record is not None
    expected = [datetime(2027, 4, 3, h, tzinfo=UTC).timestamp() for h in (8, 9, 10, 11)]
    assert record.item_times == expected
    assert {a.language for a in sink.articles} == {"fr"}


def test_a_feed_dated_by_day_only_is_not_slowed_to_the_ceiling_after_a_new_item(
    world: tuple[FeedSchedule, HostGate, Sink, Clock], feed_server: FeedServer
) -> None:
    """Items stamped with their day only (00:00:00, ~35 of the 200 corpus feeds) do not make a busy feed look
    silent since midnight: an item found now keeps the next poll near the feed's rhythm, not 6 h away."""
    schedule, _, _, clock = world
    clock.t = 1_800_000_000.0 - 1_800_000_000.0 % 86_400 + 22 * 3600  # 22:00 UTC
    today, yesterday = "Fri, 15 Jan 2027 00:00:00 GMT", "Thu, 14 Jan 2027 00:00:00 GMT"
    items = [(i, today) for i in range(30, 20, -1)] + [(i, yesterday) for i in range(20, 10, -1)]
    url = feed_server.set("/feed.xml", _dated_rss(items))
    schedule.add(url, now=clock())
    _poll(world, url)
    clock.t += 3600
    feed_server.set("/feed.xml", _dated_rss([(31, today), *items[:-1]]))
    result = _poll(world, url)
    assert result.outcome == "new" and result.new_items == 1
    assert result.next_poll_at is not None and result.next_poll_at - clock() <= 3600


def test_an_oldest_first_feed_over_the_item_cap_still_delivers_its_new_items(
    world: tuple[FeedSchedule, HostGate, Sink, Clock], feed_server: FeedServer
) -> None:
    """A feed that lists its items oldest first and has more than FEED_MAX_ITEMS keeps its newest ones: an
    item appended at the end is handed on, not dropped at every poll for good."""
    schedule, _, sink, clock = world

    def oldest_first(n: int) -> bytes:
        start = clock.t - 86_400 * 30
        return _dated_rss([(i, utc_datetime(start + 600 * i).strftime("%a, %d %b %Y %H:%M:%S GMT")) for i in range(n)])

    url = feed_server.set("/feed.xml", oldest_first(FEED_MAX_ITEMS + 5))
    schedule.add(url, now=clock())
    first = _poll(world, url)
    assert first.new_items == FEED_MAX_ITEMS
    assert f"https://news.example/story/{FEED_MAX_ITEMS + 4}" in {a.url for a in sink.articles}
    clock.t += 600
    feed_server.set("/feed.xml", oldest_first(FEED_MAX_ITEMS + 6))
    second = _poll(world, url)
    assert second.outcome == "new" and [a.guid for a in sink.batches[-1]] == [f"story-{FEED_MAX_ITEMS + 5}"]


# --- permanent redirects move the feed (docs/feeds.md, "Moves")


def _events_named(logs: Sequence[Mapping[str, Any]], name: str) -> list[Mapping[str, Any]]:
    return [e for e in logs if e["event"] == name]


@pytest.mark.parametrize("code", [301, 308])
def test_a_permanent_redirect_moves_the_feed_and_keeps_its_identity(
    world: tuple[FeedSchedule, HostGate, Sink, Clock], feed_server: FeedServer, client: redis.Redis, code: int
) -> None:
    """After a 301/308 the feed is polled at its new URL (another host name here), shown there, found under both
    URLs as one feed; its items keep their ids, so nothing is handed on twice, and the redirect is not paid again."""
    schedule, _, sink, clock = world
    feed_server.set("/new.xml", rss(range(3)))
    target = f"http://localhost:{feed_server.port}/new.xml"
    old = feed_server.url(f"/redirect?code={code}&to={quote(target, safe='')}")
    schedule.add(old, now=clock())
    with capture_logs() as logs:
        first = _poll(world, old)
    assert first.outcome == "new" and first.new_items == 3
    [moved] = _events_named(logs, "feed_moved")
    assert moved["from_origin"] == f"http://127.0.0.1:{feed_server.port}"
    assert moved["to_origin"] == f"http://localhost:{feed_server.port}" and moved["feed"] == old
    record, by_new = schedule.get(old), schedule.get(target)
    assert record is not None and record == by_new and record.url == target and record.added_as == old
    assert [r.url for r in schedule.records()] == [target] and schedule.urls() == [old]  # one feed, same schedule
    ids = {a.delivery_id for a in sink.articles}

    feed_server.set("/new.xml", rss(range(4)))
    clock.t += 3600
    second = _poll(world, old)
    assert second.outcome == "new" and [a.guid for a in sink.batches[-1]] == ["story-3"]
    assert ids < {a.delivery_id for a in sink.articles}
    assert len(feed_server.requests_for("/redirect")) == 1  # polled at the new URL straight away
    assert all(a.source.feed == target for a in sink.batches[-1])
    for host in ("127.0.0.1", "localhost"):
        assert client.zcard(host_keys(host)[0]) == 0
    record = schedule.get(target)
    assert record is not None and record.state.items_seen == 4

    schedule.add(target, name="Moved", now=clock())  # `feeds add NEW`: the same feed's settings
    assert schedule.urls() == [old] and schedule.get(old).state.name == "Moved"  # type: ignore[union-attr]
    assert schedule.remove(target) and schedule.urls() == [] and schedule.get(target) is None
    assert client.keys("ww:{ww}:feed*") == []  # record, seen set, link memory, settings and the move: all gone


@pytest.mark.parametrize("code", [302, 307])
def test_a_temporary_redirect_does_not_move_the_feed(
    world: tuple[FeedSchedule, HostGate, Sink, Clock], feed_server: FeedServer, code: int
) -> None:
    """A 302/307 is followed at every poll; the feed keeps its URL."""
    schedule, _, _, clock = world
    feed_server.set("/new.xml", rss(range(2)))
    old = feed_server.url(f"/redirect?code={code}&to=/new.xml")
    schedule.add(old, now=clock())
    assert _poll(world, old).outcome == "new"
    clock.t += 3600
    assert _poll(world, old).outcome == "not_modified"
    record = schedule.get(old)
    assert record is not None and record.url == old and record.added_as is None
    assert len(feed_server.requests_for("/redirect")) == 2


@pytest.mark.parametrize(
    ("path", "outcome"),
    [
        ("/loop?code=301", "error:redirects"),  # a permanent redirect to itself
        ("/redirect?code=301&to=ftp://news.example/feed.xml", "error:bad_url"),  # to a scheme the fetch refuses
        ("/redirect?code=308&to=http://169.254.169.254/feed.xml", "error:blocked"),  # to the metadata service
    ],
)
def test_a_permanent_redirect_that_fails_does_not_move_the_feed(
    world: tuple[FeedSchedule, HostGate, Sink, Clock], feed_server: FeedServer, path: str, outcome: str
) -> None:
    """A permanent redirect in a loop, to a refused scheme or to a refused address is a failed poll, not a move."""
    schedule, _, _, clock = world
    old = feed_server.url(path)
    schedule.add(old, now=clock())
    assert _poll(world, old).outcome == outcome
    record = schedule.get(old)
    assert record is not None and record.url == old and record.added_as is None


def test_a_permanent_redirect_to_a_monitored_feed_is_not_a_move(
    world: tuple[FeedSchedule, HostGate, Sink, Clock], feed_server: FeedServer
) -> None:
    """Two feeds would become one: the redirected feed keeps its URL, the refusal is logged once, not per poll."""
    schedule, _, _, clock = world
    taken = feed_server.set("/new.xml", rss(range(2)))
    old = feed_server.url("/redirect?code=301&to=/new.xml")
    schedule.add(taken, now=clock())
    schedule.add(old, now=clock())
    with capture_logs() as logs:
        assert _poll(world, old).outcome == "new"
        clock.t += 3600
        assert _poll(world, old).outcome == "not_modified"
    [refused] = _events_named(logs, "feed_move_refused")
    assert refused["reason"] == "taken" and refused["feed"] == old
    assert {r.url for r in schedule.records()} == {old, taken}
    record = schedule.get(taken)
    assert record is not None and record.added_as is None and record.state.last_status == "new"


def _moves_to(feed_server: FeedServer, path: str, target: str) -> None:
    """``path`` answers 301 to ``target`` from now on (it served the feed before)."""
    feed_server.set(path, b"", status=301, headers={"Location": target})


def test_a_feed_moved_twice_is_found_under_every_url_it_had(
    world: tuple[FeedSchedule, HostGate, Sink, Clock], feed_server: FeedServer, client: redis.Redis
) -> None:
    """A → B, then B → C: the feed is one feed under A, B and C (its id, seen items and schedule kept); adding A or
    B again updates it rather than adding a second feed that hands every item on again; removing it by B takes
    every key and every mapping with it."""
    schedule, _, sink, clock = world
    feed_server.set("/b.xml", rss(range(3)))
    _moves_to(feed_server, "/a.xml", "/b.xml")
    a, b, c = feed_server.url("/a.xml"), feed_server.url("/b.xml"), feed_server.url("/c.xml")
    schedule.add(a, now=clock())
    assert _poll(world, a).new_items == 3
    feed_server.set("/c.xml", rss(range(4)))
    _moves_to(feed_server, "/b.xml", "/c.xml")
    clock.t += 3600
    second = _poll(world, a)
    assert second.outcome == "new" and [x.guid for x in sink.batches[-1]] == ["story-3"]
    for url in (a, b, c):
        record = schedule.get(url)
        assert record is not None and (record.url, record.added_as) == (c, a), url
    schedule.add(b, name="Renamed", now=clock())  # `feeds add B` / an OPML naming B: the same feed
    schedule.add(a, now=clock())
    assert schedule.urls() == [a] and [r.url for r in schedule.records()] == [c]
    assert schedule.get(c).state.name == "Renamed"  # type: ignore[union-attr]
    clock.t += 3600
    assert _poll(world, a).outcome == "not_modified" and len(sink.articles) == 4  # nothing handed on twice
    assert schedule.remove(b) and schedule.urls() == [] and schedule.get(a) is None and schedule.get(c) is None
    assert client.keys("ww:{ww}:feed*") == []


def test_a_redirect_loop_back_to_where_a_feed_was_does_not_move_it(
    world: tuple[FeedSchedule, HostGate, Sink, Clock], feed_server: FeedServer
) -> None:
    """After A → B → C, C answering 301 to A (which still sends on to B, then C) is a loop: a failed poll, and the
    feed stays at C, still found under A, B and C."""
    schedule, _, _, clock = world
    feed_server.set("/b.xml", rss(range(2)))
    _moves_to(feed_server, "/a.xml", "/b.xml")
    a, b, c = feed_server.url("/a.xml"), feed_server.url("/b.xml"), feed_server.url("/c.xml")
    schedule.add(a, now=clock())
    _poll(world, a)
    feed_server.set("/c.xml", rss(range(2)))
    _moves_to(feed_server, "/b.xml", "/c.xml")
    clock.t += 3600
    _poll(world, a)
    _moves_to(feed_server, "/c.xml", a)
    clock.t += 3600
    assert _poll(world, a).outcome == "error:redirects"
    for url in (a, b, c):
        record = schedule.get(url)
        assert record is not None and record.url == c, url


def test_the_urls_a_feed_is_found_under_are_bounded(
    world: tuple[FeedSchedule, HostGate, Sink, Clock], feed_server: FeedServer, client: redis.Redis
) -> None:
    """A server moving its feed at every poll cannot grow the mappings without end: the newest FEED_MOVES_KEPT
    URLs find it, and the current one always does."""
    schedule, _, _, clock = world
    a = feed_server.url("/m0.xml")
    schedule.add(a, now=clock())
    hops = FEED_MOVES_KEPT + 3
    for n in range(hops):
        feed_server.set(f"/m{n + 1}.xml", rss(range(2)))
        _moves_to(feed_server, f"/m{n}.xml", f"/m{n + 1}.xml")
        assert _poll(world, a).outcome in ("new", "unchanged", "not_modified")
        clock.t += 3600
    last = feed_server.url(f"/m{hops}.xml")
    assert schedule.get(last) is not None and schedule.get(a) is not None
    assert client.hlen("ww:{ww}:feeds:moved") == FEED_MOVES_KEPT
    assert schedule.remove(last) and client.keys("ww:{ww}:feed*") == []


# --- moves and clamped hints are feed health, not only log lines (docs/feeds.md, "Health")


def test_a_move_is_kept_in_the_feeds_health_and_sent_as_a_health_event(
    world: tuple[FeedSchedule, HostGate, Sink, Clock], feed_server: FeedServer
) -> None:
    """Each move is a feed_moved event on ww:feeds (from, to, when) and the record keeps the last one only."""
    schedule, _, _, clock = world
    feed_server.set("/b.xml", rss(range(2)))
    _moves_to(feed_server, "/a.xml", "/b.xml")
    a, b, c = feed_server.url("/a.xml"), feed_server.url("/b.xml"), feed_server.url("/c.xml")
    schedule.add(a, now=clock())
    _poll(world, a)
    record = schedule.get(a)
    assert record is not None and record.last_move is not None
    assert (record.last_move.from_url, record.last_move.to_url, record.last_move.at) == (a, b, utc_datetime(clock.t))
    clock.t += 3600
    _poll(world, a)  # not moved again: nothing said
    feed_server.set("/c.xml", rss(range(2)))
    _moves_to(feed_server, "/b.xml", "/c.xml")
    clock.t += 3600
    _poll(world, a)
    record = schedule.get(a)
    assert record is not None and record.last_move is not None
    assert (record.last_move.from_url, record.last_move.to_url, record.last_move.at) == (b, c, utc_datetime(clock.t))
    events = [e for e in schedule.health_events() if e["type"] == "feed_moved"]
    assert [(e["from_url"], e["to_url"], e["url"], e["added_as"]) for e in events] == [(a, b, b, a), (b, c, c, a)]


def test_a_refused_move_is_not_recorded_as_a_move(
    world: tuple[FeedSchedule, HostGate, Sink, Clock], feed_server: FeedServer
) -> None:
    """A 301 to a URL another monitored feed has is no move: no feed_moved event, no last move in the record."""
    schedule, _, _, clock = world
    taken = feed_server.set("/new.xml", rss(range(2)))
    old = feed_server.url("/redirect?code=301&to=/new.xml")
    schedule.add(taken, now=clock())
    schedule.add(old, now=clock())
    _poll(world, old)
    record = schedule.get(old)
    assert record is not None and record.url == old and record.last_move is None
    assert [e for e in schedule.health_events() if e["type"] == "feed_moved"] == []


@pytest.mark.parametrize(
    ("ttl", "headers", "hint"),
    [(1440, {}, "ttl"), (None, {"Cache-Control": "public, max-age=86400"}, "max_age")],
    ids=["ttl", "max-age"],
)
def test_a_clamped_hint_is_kept_in_the_feeds_health_and_sent_once(
    world: tuple[FeedSchedule, HostGate, Sink, Clock],
    feed_server: FeedServer,
    ttl: int | None,
    headers: dict[str, str],
    hint: str,
) -> None:
    """A hint cut to the ceiling is one feed_hint_clamped event (which hint, what it asked, the ceiling, when), not
    one per poll, and the record keeps it, as the last clamp, after the feed stops asking."""
    schedule, _, _, clock = world
    clock.t = NOV_29 + 5 * 3600
    url = feed_server.set("/feed.xml", rss(range(2), ttl=ttl), headers=headers)
    schedule.add(url, now=clock())
    first_at = clock.t
    for n in range(3):
        feed_server.set("/feed.xml", rss(range(2 + n), ttl=ttl), headers=headers)
        clock.t = _poll(world, url).next_poll_at  # type: ignore[assignment]
    events = [e for e in schedule.health_events() if e["type"] == "feed_hint_clamped"]
    assert [(e["hint"], e["hint_s"], e["ceiling_s"], e["url"]) for e in events] == [
        (hint, 86_400, FEED_MAX_INTERVAL_S, url)
    ]
    record = schedule.get(url)
    assert record is not None and record.last_hint_clamp is not None
    clamp = record.last_hint_clamp
    assert (clamp.hint, clamp.hint_s, clamp.ceiling_s, clamp.at) == (hint, 86_400, FEED_MAX_INTERVAL_S,
                                                                    utc_datetime(first_at))  # fmt: skip
    assert record.hint_clamped_s == 86_400
    feed_server.set("/feed.xml", rss(range(6)))  # no hint any more
    _poll(world, url)
    record = schedule.get(url)
    assert record is not None and record.last_hint_clamp == clamp


# --- guids reused for another item (docs/feeds.md, "Item identity")


def _one_item_feed(guid: str, link: str, title: str) -> bytes:
    return (
        f'<rss version="2.0"><channel><title>News</title><item><title>{title}</title><link>{link}</link>'
        f"<guid>{guid}</guid><description>Text of {title}</description></item></channel></rss>"
    ).encode()


def test_a_guid_reused_for_another_link_is_a_new_item(
    world: tuple[FeedSchedule, HostGate, Sink, Clock], feed_server: FeedServer
) -> None:
    """A publisher that gives a guid it used before to another story (another link) has that story handed on, under
    its own delivery id; an edited title, tracking parameters or another scheme on a link seen before are not."""
    schedule, _, sink, clock = world
    url = feed_server.set("/feed.xml", _one_item_feed("g1", "https://news.example/a", "Story A"))
    schedule.add(url, now=clock())
    assert _poll(world, url).new_items == 1
    served = [
        ("https://news.example/b", "Story B", 1),  # the guid reused: a new item
        ("https://news.example/b", "Story B, updated", 0),  # the same item, its title edited
        ("https://news.example/a?utm_source=rss", "Story A", 0),  # back to the first story, with tracking
        ("http://news.example/b", "Story B", 0),  # the second one over http
        ("https://news.example/c", "Story C", 1),  # reused once more
    ]
    for link, title, new in served:
        feed_server.set("/feed.xml", _one_item_feed("g1", link, title))
        clock.t += 600
        assert _poll(world, url).new_items == new, (link, title)
    assert [a.url for a in sink.articles] == [f"https://news.example/{x}" for x in "abc"]
    assert len({a.delivery_id for a in sink.articles}) == 3 and {a.guid for a in sink.articles} == {"g1"}


def test_items_seen_before_their_links_were_remembered_are_not_new(
    world: tuple[FeedSchedule, HostGate, Sink, Clock], feed_server: FeedServer
) -> None:
    """A seen set written before links were remembered (no link memory): the same item is not handed on again, and
    its guid with another link afterwards is."""
    schedule, _, sink, clock = world
    url = feed_server.set("/feed.xml", _one_item_feed("g1", "https://news.example/a", "Story A"))
    schedule.add(url, now=clock())
    schedule.mark_seen(url, [item_key(url, "g1", "https://news.example/a", "Story A", None)], clock())
    assert _poll(world, url).outcome == "unchanged" and sink.articles == []
    feed_server.set("/feed.xml", _one_item_feed("g1", "https://news.example/b", "Story B"))
    clock.t += 600
    assert _poll(world, url).new_items == 1


# --- hints (ttl, Cache-Control) stop at the ceiling


@pytest.mark.parametrize(
    ("ttl", "headers"), [(1440, {}), (None, {"Cache-Control": "public, max-age=86400"})], ids=["ttl", "max-age"]
)
def test_a_hint_past_the_ceiling_is_clamped_and_said_once(
    world: tuple[FeedSchedule, HostGate, Sink, Clock],
    feed_server: FeedServer,
    ttl: int | None,
    headers: dict[str, str],
) -> None:
    """A feed asking for 24 h between polls (<ttl>1440</ttl>, max-age=86400) is polled at the 6 h ceiling, and the
    clamp is logged once, not at every poll."""
    schedule, _, _, clock = world
    clock.t = NOV_29 + 5 * 3600  # the items are an hour apart: the rhythm alone would poll every half hour
    url = feed_server.set("/feed.xml", rss(range(2), ttl=ttl), headers=headers)
    schedule.add(url, now=clock())
    delays = []
    with capture_logs() as logs:
        for n in range(3):
            feed_server.set("/feed.xml", rss(range(2 + n), ttl=ttl), headers=headers)
            result = _poll(world, url)
            assert result.outcome == "new"
            delays.append(result.next_poll_at - clock.t)
            clock.t = result.next_poll_at
    assert all(FEED_MAX_INTERVAL_S * 0.9 <= d <= FEED_MAX_INTERVAL_S * 1.1 for d in delays), delays
    [clamped] = _events_named(logs, "feed_hint_clamped")
    assert clamped["hint_s"] == 86_400 and clamped["ceiling_s"] == FEED_MAX_INTERVAL_S and clamped["feed"] == url


def test_a_cdn_copys_age_is_taken_off_its_max_age(
    world: tuple[FeedSchedule, HostGate, Sink, Clock], feed_server: FeedServer
) -> None:
    """An answer a CDN kept for most of its max-age (Age: 19000 of 20000 s) holds the feed off for what is left,
    not for the whole max-age: the feed is polled at its rhythm (half an hour here)."""
    schedule, _, _, clock = world
    clock.t = NOV_29 + 5 * 3600  # items an hour apart, found now: the rhythm says half an hour
    headers = {"Cache-Control": "public, max-age=20000", "Age": "19000"}
    url = feed_server.set("/feed.xml", rss(range(2)), headers=headers, validators=False)
    schedule.add(url, now=clock())
    result = _poll(world, url)
    assert result.outcome == "new" and result.next_poll_at is not None
    assert 1800 * 0.9 <= result.next_poll_at - clock.t <= 1800 * 1.1
    feed_server.set("/feed.xml", rss(range(2)), headers={**headers, "Age": "1000"}, validators=False)  # 19000 s left
    clock.t = result.next_poll_at
    result = _poll(world, url)
    assert 19_000 * 0.9 <= result.next_poll_at - clock.t <= 19_000 * 1.1


def test_a_ttl_holds_for_polls_answered_304(
    world: tuple[FeedSchedule, HostGate, Sink, Clock], feed_server: FeedServer
) -> None:
    """The <ttl> read at the last full poll keeps holding while the server answers 304 (which carries no body)."""
    schedule, _, _, clock = world
    clock.t = NOV_29 + 1.5 * 3600  # items at 00:00 and 01:00: the rhythm alone says half an hour, then 1.5 h
    url = feed_server.set("/feed.xml", rss(range(2), ttl=180))
    schedule.add(url, interval_s=60, now=clock())
    clock.t = _poll(world, url).next_poll_at
    result = _poll(world, url)
    assert result.outcome == "not_modified" and result.next_poll_at - clock.t >= 180 * 60 * 0.9
