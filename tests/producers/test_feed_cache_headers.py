"""A feed's HTTP freshness (RFC 9111) sets its next poll: max-age kept across 304s that do not carry it, Expires
read against the answer's Date when there is no max-age, both held to the feed's ceiling."""

from __future__ import annotations

import random
from email.utils import formatdate

import pytest
import redis
from structlog.testing import capture_logs

from producers.fetch import FetchPolicy
from producers.poll import PollOutcome, poll_feed
from producers.schedule import FEED_MAX_INTERVAL_S, FeedSchedule, HostGate, freshness_lifetime
from tests.producers.feed_server import FeedServer, etag_of
from tests.producers.test_poll import NOV_29, Clock, Sink, rss

LOOPBACK = FetchPolicy(allow_private_networks=True)
START = NOV_29 + 5 * 3600  # `rss(range(2))` items are an hour apart, found now: the rhythm alone says half an hour
RHYTHM_S = 1800.0
HOUR = 3600.0
BODY = rss(range(2))
TEN_AM = "Sun, 29 Nov 2026 10:00:00 GMT"  # NOV_29 + 10 h

World = tuple[FeedSchedule, HostGate, Sink, Clock]


@pytest.fixture
def world(client: redis.Redis, feed_server: FeedServer) -> World:
    return FeedSchedule(client), HostGate(client, delay_s=0.0), Sink(), Clock(START)


def _poll(world: World, url: str) -> PollOutcome:
    schedule, gate, sink, clock = world
    claim = schedule.claim(url, now=clock())
    assert claim is not None
    return poll_feed(schedule, gate, claim, sink, policy=LOOPBACK, now=clock, rng=random.Random(1))


def _delay(result: PollOutcome, clock: Clock) -> float:
    assert result.next_poll_at is not None
    return result.next_poll_at - clock()


def _about(delay: float, seconds: float) -> bool:
    """Within the schedule's ±10 % jitter."""
    return seconds * 0.9 <= delay <= seconds * 1.1


def http_date(ts: float) -> str:
    return formatdate(ts, usegmt=True)


def _not_modified(feed_server: FeedServer, path: str, clock: Clock, **headers: str) -> None:
    """The next request for ``path`` is answered 304, dated by the test's clock, with these headers only."""
    feed_server.fail(path, 304, headers={"Date": http_date(clock()), "ETag": etag_of(BODY), **headers})


def _served_for_four_hours(world: World, feed_server: FeedServer) -> tuple[str, Clock]:
    """A feed whose 200 says max-age=4 h, added to the schedule; its URL and the test's clock."""
    schedule, _, _, clock = world
    url = feed_server.set("/feed.xml", BODY, headers={"Date": http_date(clock()), "Cache-Control": "max-age=14400"})
    schedule.add(url, now=clock())
    return url, clock


# --- a 304 updates the kept headers; those it leaves out hold (RFC 9111 §4.3.4)


@pytest.mark.parametrize(
    ("headers", "expected_s"),
    [({}, 4 * HOUR),  # no Cache-Control: the 200's max-age holds for the 304 (was: the rhythm, 2 h)
     ({"Age": "12600"}, 2 * HOUR)],  # 3.5 h old of the kept 4 h: half an hour left, so the rhythm (2 h) rules
)  # fmt: skip
def test_a_304_keeps_the_max_age_of_the_last_200_aged_by_its_own_age(
    world: World, feed_server: FeedServer, headers: dict[str, str], expected_s: float
) -> None:
    """max-age=4 h on the 200 holds the feed off 4 h; a 304 that carries no Cache-Control keeps it, less the 304's
    own Age."""
    url, clock = _served_for_four_hours(world, feed_server)
    first = _poll(world, url)
    assert first.outcome == "new" and _about(_delay(first, clock), 4 * HOUR)
    clock.t = START + 4 * HOUR
    _not_modified(feed_server, "/feed.xml", clock, **headers)
    second = _poll(world, url)
    assert second.outcome == "not_modified" and _about(_delay(second, clock), expected_s), _delay(second, clock)


def test_a_304_with_cache_control_replaces_the_kept_one(world: World, feed_server: FeedServer) -> None:
    """A 304 saying no-cache ends the kept max-age, for it and for the 304s after it that say nothing."""
    url, clock = _served_for_four_hours(world, feed_server)
    _poll(world, url)
    clock.t = START + 4 * HOUR
    _not_modified(feed_server, "/feed.xml", clock, **{"Cache-Control": "no-cache"})
    replaced = _poll(world, url)
    assert _about(_delay(replaced, clock), 2 * HOUR), _delay(replaced, clock)  # the rhythm: 4 h silent, halved
    clock.t = START + 6 * HOUR  # the rhythm: 3 h; the max-age, had it been kept: 4 h
    _not_modified(feed_server, "/feed.xml", clock)
    after = _poll(world, url)
    assert after.outcome == "not_modified" and _delay(after, clock) < 4 * HOUR * 0.9, _delay(after, clock)


def test_a_200_replaces_every_kept_header(world: World, feed_server: FeedServer) -> None:
    """A full answer without Cache-Control or Expires leaves nothing of the last one's: its 304s follow the rhythm."""
    url, clock = _served_for_four_hours(world, feed_server)
    _poll(world, url)
    clock.t = START + 30 * 60  # early, before the 4 h pass: a forced poll
    feed_server.set("/feed.xml", rss(range(3)), headers={"Date": http_date(clock())})
    assert _poll(world, url).outcome == "new"
    _not_modified(feed_server, "/feed.xml", clock)
    result = _poll(world, url)
    assert result.outcome == "not_modified" and _delay(result, clock) < HOUR, _delay(result, clock)


# --- Expires, when there is no max-age (RFC 9111 §5.3, §4.2.1)


@pytest.mark.parametrize(
    ("headers", "expected_s"),
    [
        pytest.param({"Expires": START + 4 * HOUR}, 4 * HOUR, id="4h"),
        pytest.param({"Expires": START + 4 * HOUR, "Age": "3600"}, 3 * HOUR, id="aged"),  # a cache's copy, 1 h old
        pytest.param({"Expires": START + 5 * HOUR, "Date": START + HOUR}, 4 * HOUR, id="server-clock-ahead"),
        pytest.param({"Expires": START + 4 * HOUR, "Cache-Control": "max-age=600"}, RHYTHM_S, id="max-age-wins"),
        pytest.param({"Expires": START + 4 * HOUR, "Cache-Control": "no-store"}, RHYTHM_S, id="no-store"),
        pytest.param({"Expires": "0"}, RHYTHM_S, id="zero"),  # not a date: stale already
        pytest.param({"Expires": "-1"}, RHYTHM_S, id="minus-one"),
        pytest.param({"Expires": "never"}, RHYTHM_S, id="junk"),
        pytest.param({"Expires": START - HOUR}, RHYTHM_S, id="past"),
        pytest.param({"Expires": START + 24 * HOUR}, FEED_MAX_INTERVAL_S, id="past-ceiling"),
    ],
)
def test_expires_sets_the_next_poll(
    world: World, feed_server: FeedServer, headers: dict[str, float | str], expected_s: float
) -> None:
    """Expires less the answer's Date holds the feed off when no max-age says otherwise; an invalid one is stale."""
    schedule, _, _, clock = world
    sent = {"Date": http_date(clock()), **{k: http_date(v) if isinstance(v, float) else v for k, v in headers.items()}}
    url = feed_server.set("/feed.xml", BODY, headers=sent)
    schedule.add(url, now=clock())
    result = _poll(world, url)
    assert result.outcome == "new" and _about(_delay(result, clock), expected_s), _delay(result, clock)


def test_expires_without_a_date_is_read_against_the_time_of_receipt(world: World, feed_server: FeedServer) -> None:
    """An answer with no Date: its Expires counts from when it arrived."""
    schedule, _, _, clock = world
    head = (
        "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
        f"Expires: {http_date(clock() + 4 * HOUR)}\r\nContent-Length: {len(BODY)}\r\nConnection: close\r\n\r\n"
    )
    url = feed_server.raw("/feed.xml", head.encode() + BODY)
    schedule.add(url, now=clock())
    result = _poll(world, url)
    assert result.outcome == "new" and _about(_delay(result, clock), 4 * HOUR), _delay(result, clock)


def test_expires_past_the_ceiling_is_clamped_and_said(world: World, feed_server: FeedServer) -> None:
    """An Expires a day out is held to the 6 h ceiling, and the clamp is said as a max-age's is."""
    schedule, _, _, clock = world
    headers = {"Date": http_date(clock()), "Expires": http_date(clock() + 24 * HOUR)}
    url = feed_server.set("/feed.xml", BODY, headers=headers)
    schedule.add(url, now=clock())
    with capture_logs() as logs:
        _poll(world, url)
    [clamped] = [e for e in logs if e["event"] == "feed_hint_clamped"]
    assert clamped["hint_s"] == 24 * HOUR and clamped["ceiling_s"] == FEED_MAX_INTERVAL_S


def test_an_expires_past_the_ceiling_is_said_once_while_it_draws_near(world: World, feed_server: FeedServer) -> None:
    """An Expires a day out, kept over the 304s that follow, asks for less at each (24 h, 18 h, 12 h: one time, not
    one span): one feed_hint_clamped, not one per poll."""
    schedule, _, _, clock = world
    headers = {"Date": http_date(clock()), "Expires": http_date(clock() + 24 * HOUR)}
    url = feed_server.set("/feed.xml", BODY, headers=headers)
    schedule.add(url, now=clock())
    _poll(world, url)
    for hours in (6, 12):
        clock.t = START + hours * HOUR
        _not_modified(feed_server, "/feed.xml", clock)
        assert _poll(world, url).outcome == "not_modified"
    events = [e for e in schedule.health_events() if e["type"] == "feed_hint_clamped"]
    assert [e["hint_s"] for e in events] == [24 * HOUR]


def test_a_304_keeps_the_expires_of_the_last_200(world: World, feed_server: FeedServer) -> None:
    """Expires is a time, not a span: a 304 an hour into a 5 h Expires leaves 4 h; a 304 with its own replaces it."""
    schedule, _, _, clock = world
    headers = {"Date": http_date(clock()), "Expires": http_date(clock() + 5 * HOUR)}
    url = feed_server.set("/feed.xml", BODY, headers=headers)
    schedule.add(url, now=clock())
    assert _about(_delay(_poll(world, url), clock), 5 * HOUR)
    clock.t = START + HOUR  # a forced poll
    _not_modified(feed_server, "/feed.xml", clock)
    kept = _poll(world, url)
    assert kept.outcome == "not_modified" and _about(_delay(kept, clock), 4 * HOUR), _delay(kept, clock)
    _not_modified(feed_server, "/feed.xml", clock, Expires="0")
    replaced = _poll(world, url)
    assert replaced.outcome == "not_modified" and _delay(replaced, clock) < 2 * HOUR, _delay(replaced, clock)


@pytest.mark.parametrize(
    ("headers", "lifetime"),
    [
        ({}, None),
        ({"cache-control": "max-age=600"}, 600.0),
        ({"cache-control": "public", "expires": "Sun, 29 Nov 2026 11:00:00 GMT", "date": TEN_AM}, 3600.0),
        ({"expires": "Sun, 29 Nov 2026 11:00:00 GMT"}, 3600.0),  # no Date: from receipt (10:00)
        ({"expires": "Sun, 29 Nov 2026 11:00:00 GMT", "cache-control": "s-maxage=60"}, 60.0),
        ({"expires": "Sun, 29 Nov 2026 11:00:00 GMT", "cache-control": "max-age=0"}, None),
        ({"expires": "Sun, 29 Nov 2026 11:00:00 GMT", "cache-control": 'no-cache="set-cookie"'}, 3600.0),
        ({"expires": "Thu, 01 Jan 1970 00:00:00 GMT"}, None),
        ({"expires": "0"}, None),
        ({"expires": "Fri, 31 Dec 9999 23:59:59 GMT", "date": TEN_AM}, float(2**31)),
    ],
)
def test_freshness_lifetime(headers: dict[str, str], lifetime: float | None) -> None:
    """max-age or s-maxage, else Expires less Date (or the time of receipt); None when stale or not given."""
    assert freshness_lifetime(headers, received_at=NOV_29 + 10 * HOUR) == lifetime
