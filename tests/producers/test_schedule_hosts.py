"""Many feeds on one host, polled through the real host gate in Redis against a real loopback server: they take
turns at the host's pace instead of coming back together, and a host that says 429 holds all its feeds."""

from __future__ import annotations

import random

import redis

from producers.poll import poll_feed
from producers.schedule import FeedSchedule, HostGate
from tests.producers.feed_server import FeedServer
from tests.producers.test_poll import LOOPBACK, Clock, Sink, rss

FEEDS = 30


def _run_ticks(schedule: FeedSchedule, gate: HostGate, clock: Clock, until: float) -> tuple[dict[str, float], int]:
    """A scheduler ticking every second and polling what it claims: when each feed was first fetched, and how
    many polls were made in all (each deferral is one: a claim, a queue message, a Redis script)."""
    fetched: dict[str, float] = {}
    attempts = 0
    while clock.t < until:
        for claim in schedule.claim_due(now=clock()):
            attempts += 1
            outcome = poll_feed(schedule, gate, claim, Sink(), policy=LOOPBACK, now=clock,
                                rng=random.Random(attempts))  # fmt: skip
            if outcome.outcome != "deferred":
                fetched.setdefault(claim.url, clock.t)
        clock.t += 1.0
    return fetched, attempts


def test_feeds_added_together_on_one_host_take_turns(client: redis.Redis, feed_server: FeedServer) -> None:
    """30 feeds of one host added at once (an OPML import of one publisher's sections), 1 s between requests to
    it: each is fetched once, about a second apart, and deferred at most once or twice (was: every feed still
    waiting came back in the same half second after each deferral and all but one were deferred again, ~15
    deferrals per feed, 465 polls for 30 feeds)."""
    schedule, gate, clock = FeedSchedule(client), HostGate(client, delay_s=1.0), Clock()
    start = clock.t
    urls = [feed_server.set(f"/section{i}.xml", rss(range(2))) for i in range(FEEDS)]
    for url in urls:
        schedule.add(url, now=start)
    fetched, attempts = _run_ticks(schedule, gate, clock, start + 4 * FEEDS)
    assert sorted(fetched) == sorted(urls)
    assert len(feed_server.log) == FEEDS  # one request each: a deferral fetches nothing
    assert attempts <= 3 * FEEDS
    assert max(fetched.values()) - start <= 2.5 * FEEDS  # the host's pace, give or take the ticks


def test_a_host_that_answers_429_holds_all_its_feeds(client: redis.Redis, feed_server: FeedServer) -> None:
    """Rate limits are per client, not per feed: when one feed of a host gets 429 with Retry-After: 120, the
    host's other feeds wait those two minutes too (was: each was fetched as it came due and got its own 429,
    hammering a host that had asked for quiet), then take turns again."""
    schedule, gate, clock = FeedSchedule(client), HostGate(client, delay_s=1.0), Clock()
    start = clock.t
    urls = [feed_server.set(f"/r{i}.xml", rss(range(2))) for i in range(5)]
    feed_server.fail("/r0.xml", 429, headers={"Retry-After": "120"})
    schedule.add(urls[0], now=start)
    for url in urls[1:]:
        schedule.add(url, now=start + 5)  # due after the 429
    fetched, _ = _run_ticks(schedule, gate, clock, start + 200)
    assert [(s.path, s.status) for s in feed_server.log[:1]] == [("/r0.xml", 429)]
    assert sorted(s.path for s in feed_server.log[1:]) == [f"/r{i}.xml" for i in range(1, 5)]  # once each, 200
    assert all(s.status == 200 for s in feed_server.log[1:])
    assert all(fetched[url] - start >= 120 for url in urls[1:])
    assert max(fetched.values()) - start <= 120 + 3 * 4


def test_a_host_hold_never_shortens_a_longer_one(client: redis.Redis) -> None:
    gate = HostGate(client, delay_s=1.0)
    gate.hold("a.example", 600, now=1000.0)
    gate.hold("a.example", 60, now=1000.0)
    assert gate.acquire("a.example", "t1", 1000.0 + 120) == 480.0
