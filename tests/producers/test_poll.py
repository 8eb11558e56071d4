"""producers.poll: whole polls against a loopback server and a real Redis."""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path

import pytest
import redis

from producers.fetch import FetchPolicy
from producers.poll import poll_feed
from producers.schedule import FEED_BROKEN_AFTER, Claim, FeedSchedule, HostGate, host_keys
from schemas.models import RawArticle
from tests.producers.feed_server import FeedServer

LOOPBACK = FetchPolicy(allow_private_networks=True)


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
    a hand-off that raises) leaves the slot free for the next poll; a removed feed never takes it."""
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

    with pytest.raises(_Boom):
        poll(refuse)
    assert gate.acquire("127.0.0.1", "probe", clock()) == 0
    gate.release("127.0.0.1", "probe")

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
