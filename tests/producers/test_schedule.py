"""producers.schedule: the feed schedule in a real Redis, and the interval / backoff policy."""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest
import redis
from hypothesis import given, settings
from hypothesis import strategies as st

from producers.schedule import (
    DELTA_SECONDS_MAX,
    FEED_BACKOFF_CAP_S,
    FEED_HINT_MAX_S,
    FEED_LEASE_S,
    FEED_MAX_INTERVAL_S,
    FEED_SEEN_MAX,
    FeedRecord,
    FeedSchedule,
    HostGate,
    cache_fresh_for,
    cache_max_age,
    failure_delay,
    feed_url,
    hint_past_ceiling,
    links_key,
    move_refused,
    published_ts,
    record_key,
    rhythm_interval,
    seen_key,
    success_delay,
    utc_datetime,
)
from schemas.models import FeedState

T0 = 1_800_000_000.0
RNG = random.Random(7)


def test_add_makes_a_feed_due_now_and_re_adding_keeps_its_state(client: redis.Redis) -> None:
    """A new feed is due at once; adding it again updates its settings but not its state."""
    schedule = FeedSchedule(client)
    schedule.add("https://a.example/feed", name="A", interval_s=600, now=T0)
    assert schedule.next_due() == T0
    (claim,) = schedule.claim_due(now=T0)
    record = schedule.get(claim.url)
    assert record is not None and record.floor_s == 600
    busy = record.model_copy(update={"state": record.state.model_copy(update={"items_seen": 5})})
    assert schedule.complete(claim, busy, T0 + 600)
    again = schedule.add("https://a.example/feed", name="B", interval_s=900, full_text=True, now=T0 + 1)
    assert again.state.items_seen == 5 and again.state.name == "B" and again.floor_s == 900 and again.full_text
    assert schedule.next_due() == T0 + 600


def test_settings_changed_while_a_poll_holds_the_feed_survive_its_completion(client: redis.Redis) -> None:
    """`add` during a poll changes name, floor and full text; the poll's record, read before, does not undo them
    when it completes, and `remove` takes the settings with the feed."""
    schedule = FeedSchedule(client)
    url = "https://a.example/feed"
    schedule.add(url, name="A", interval_s=600, now=T0)
    (claim,) = schedule.claim_due(now=T0)
    read = schedule.get(url)
    assert read is not None
    schedule.add(url, name="B", interval_s=1800, full_text=True, now=T0 + 1)
    polled = read.model_copy(update={"polls": 1, "state": read.state.model_copy(update={"items_seen": 3})})
    assert schedule.complete(claim, polled, T0 + 600)
    record = schedule.get(url)
    assert record is not None
    assert (record.state.name, record.floor_s, record.ceiling_s, record.full_text) == ("B", 1800, 21600, True)
    assert record.polls == 1 and record.state.items_seen == 3
    assert schedule.records() == [record]
    schedule.remove(url)
    schedule.add(url, now=T0 + 2)
    fresh = schedule.get(url)
    assert fresh is not None and fresh.state.name is None and fresh.floor_s == 300 and not fresh.full_text


def test_a_stale_claim_takes_no_host_slot(client: redis.Redis) -> None:
    """acquire_reading with a claim whose lease passed to another reports it lost and takes no slot."""
    schedule = FeedSchedule(client)
    gate = HostGate(client, max_concurrent=1, delay_s=0.0)
    schedule.add("https://a.example/feed", now=T0)
    (stale,) = schedule.claim_due(now=T0)
    (fresh,) = schedule.claim_due(now=T0 + FEED_LEASE_S + 1)
    reading = gate.acquire_reading(stale, "a.example", T0 + FEED_LEASE_S + 2)
    assert reading.lost and reading.record is None
    reading = gate.acquire_reading(fresh, "a.example", T0 + FEED_LEASE_S + 2)
    assert not reading.lost and reading.wait == 0 and reading.record is not None


def test_two_schedulers_never_claim_one_feed_twice(client: redis.Redis, redis_url: str) -> None:
    """Two schedulers claiming the same tick concurrently split the due feeds: each is claimed once."""
    from wirewatch.redis_server import connect

    schedule = FeedSchedule(client)
    urls = [f"https://h{i % 7}.example/feed{i}" for i in range(300)]
    for url in urls:
        schedule.add(url, now=T0)
    got: list[list[str]] = [[], []]

    def run(slot: int) -> None:
        other = FeedSchedule(connect(redis_url))
        for _ in range(20):
            got[slot].extend(c.url for c in other.claim_due(now=T0 + 1, limit=10))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    claimed = got[0] + got[1]
    assert sorted(claimed) == sorted(urls)
    assert schedule.claim_due(now=T0 + 2) == []


def test_a_dead_pollers_feed_comes_back_after_the_lease(client: redis.Redis) -> None:
    """A claim never completed expires: the feed is claimable again and the stale token cannot complete."""
    schedule = FeedSchedule(client)
    schedule.add("https://a.example/feed", now=T0)
    (first,) = schedule.claim_due(now=T0)
    assert schedule.claim_due(now=T0 + FEED_LEASE_S - 1) == []
    (second,) = schedule.claim_due(now=T0 + FEED_LEASE_S + 1)
    record = schedule.get(first.url)
    assert not schedule.complete(first, record, T0 + 10_000)
    assert schedule.complete(second, record, T0 + 20_000)
    assert schedule.next_due() == T0 + 20_000


def test_claim_one_feed_for_a_single_pass(client: redis.Redis) -> None:
    """claim(url) takes a feed that is not due yet, but not one another poll holds."""
    schedule = FeedSchedule(client)
    schedule.add("https://a.example/feed", now=T0 + 3600)
    claim = schedule.claim("https://a.example/feed", now=T0)
    assert claim is not None
    assert schedule.claim("https://a.example/feed", now=T0 + 1) is None
    assert schedule.claim("https://unknown.example/feed", now=T0) is None


def test_removed_feed_is_not_rescheduled_by_its_running_poll(client: redis.Redis) -> None:
    """A feed removed while being polled stays removed."""
    schedule = FeedSchedule(client)
    schedule.add("https://a.example/feed", now=T0)
    (claim,) = schedule.claim_due(now=T0)
    record = schedule.get(claim.url)
    assert schedule.remove(claim.url)
    assert not schedule.complete(claim, record, T0 + 60)
    assert schedule.urls() == [] and schedule.get(claim.url) is None


def test_seen_items_are_new_once_and_bounded(client: redis.Redis) -> None:
    """mark_seen returns only ids never seen; the set keeps at most FEED_SEEN_MAX ids."""
    schedule = FeedSchedule(client)
    url = "https://a.example/feed"
    schedule.add(url)
    assert schedule.mark_seen(url, ["a", "b"], T0) == {"a", "b"}
    assert schedule.unseen(url, ["a", "c"]) == ["c"]
    assert schedule.mark_seen(url, ["a", "c"], T0 + 1) == {"c"}
    schedule.mark_seen(url, [f"x{i}" for i in range(FEED_SEEN_MAX + 10)], T0 + 2)
    assert client.zcard(seen_key(url)) == FEED_SEEN_MAX
    # A feed removed while it was being polled: the poll's mark_seen leaves no seen set behind.
    schedule.remove(url)
    assert schedule.mark_seen(url, ["late"], T0 + 3) == set()
    assert not client.exists(seen_key(url))


def test_host_gate_limits_concurrency_and_spaces_requests(client: redis.Redis) -> None:
    """At most max_concurrent polls of a host at once, each start delay_s after the last; slots expire."""
    gate = HostGate(client, max_concurrent=2, delay_s=1.0, slot_ttl_s=60)
    assert gate.acquire("a.example", "t1", T0) == 0
    assert gate.acquire("a.example", "t2", T0 + 0.5) == pytest.approx(0.5)
    assert gate.acquire("b.example", "t9", T0 + 0.5) == 0  # another host is not held up
    assert gate.acquire("a.example", "t2", T0 + 1.0) == 0
    assert gate.acquire("a.example", "t3", T0 + 2.0) > 0  # two in flight
    gate.release("a.example", "t1")
    assert gate.acquire("a.example", "t3", T0 + 2.0) == 0
    assert gate.acquire("a.example", "t4", T0 + 100.0) == 0  # t2 and t3 expired


@pytest.mark.parametrize(
    ("times", "now", "floor", "ceiling", "expected"),
    [
        ([T0 - 3600 * i for i in range(10)], T0, 300, 21600, 1800),  # hourly → every 30 min
        ([T0 - 60 * i for i in range(10)], T0, 300, 21600, 300),  # every minute → the floor
        ([T0 - 86400 * 7 * i for i in range(4)], T0, 300, 21600, 21600),  # weekly → the ceiling
        ([T0 - 3600 * i - 86400 for i in range(10)], T0, 300, 21600, 21600),  # hourly, silent a day: slower
        ([], T0, 300, 21600, 300),  # nothing known yet: the floor, so a new feed's first items do not wait
        ([], T0, 1, 21600, 1),  # … whatever the floor
        ([T0 - 600], T0, 300, 21600, 300),  # one item today: the floor
        ([T0 - 3 * 86400], T0, 300, 21600, 3600),  # one item days old: hourly
        ([T0 - 29.9 * 86400, T0 - 29.95 * 86400], T0, 300, 21600, 21600),  # silent a month: the ceiling ...
        ([T0 - 30.1 * 86400, T0 - 30.15 * 86400], T0, 300, 21600, 21600),  # ... and past the look-back, still
        ([T0 - 30.1 * 86400], T0, 300, 21600, 21600),  # one item, as old
        ([T0 - 40 * 86400 - 3600 * i for i in range(10)], T0, 300, 21600, 21600),  # silent for 40 days
        ([T0 - 40 * 86400], T0, 300, 10 * 86400 * 365, 40 * 86400),  # the silence, under a far ceiling
    ],
)
def test_rhythm_interval(times: list[float], now: float, floor: float, ceiling: float, expected: float) -> None:
    """The interval is half the publish gap (stretched by silence), clamped to [floor, ceiling]."""
    assert rhythm_interval(times, now, floor, ceiling) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("last_new_at", "expected"),
    [
        (None, 21600),  # dated by day only: 22 h "since" the last item, so the ceiling
        (T0, 75 * 60 / 2),  # ... but a new item was found just now: half the usual gap
        (T0 - 3 * 3600, 3 * 3600 / 2),  # found 3 h ago: the silence runs from then
    ],
)
def test_silence_runs_from_the_last_new_item_found(last_new_at: float | None, expected: float) -> None:
    """A publish time that lags (midnight for a day-only date) does not count as silence once an item is found."""
    midnight = T0 - 22 * 3600
    times = [midnight - 86400] * 9 + [midnight] * 11  # 20 items over a day: a 75-minute gap on average
    assert rhythm_interval(times, T0, 300, 21600, last_new_at) == pytest.approx(expected, rel=0.03)


def _record(**kw: object) -> FeedRecord:
    from datetime import UTC, datetime

    state = FeedState(url="https://a.example/feed", interval_s=300, next_poll_at=datetime.fromtimestamp(T0, UTC))
    return FeedRecord(state=state, **kw)  # type: ignore[arg-type]


def test_success_delay_honours_ttl_cache_control_and_retry_after() -> None:
    """Feed hints lengthen the interval (never shorten it), up to FEED_HINT_MAX_S, with ±10 % jitter."""
    hourly = _record(item_times=[T0 - 3600 * i for i in range(10)])
    base = success_delay(hourly, T0, random.Random(1))
    assert 1800 * 0.9 <= base <= 1800 * 1.1
    assert 7200 * 0.9 <= success_delay(hourly, T0, RNG, ttl_s=7200) <= 7200 * 1.1
    assert 3600 * 0.9 <= success_delay(hourly, T0, RNG, max_age_s=3600) <= 3600 * 1.1
    assert success_delay(hourly, T0, RNG, max_age_s=60) <= 1800 * 1.1
    assert success_delay(hourly, T0, RNG, ttl_s=10**9) <= FEED_HINT_MAX_S * 1.1


def test_failure_backoff_grows_by_kind_is_capped_and_honours_retry_after() -> None:
    """Backoff doubles per failure from a per-kind base, stays under the cap, and obeys Retry-After."""
    rng = random.Random(3)
    delays = [failure_delay("http_5xx", n, rng) for n in range(1, 8)]
    assert 150 <= delays[0] <= 300
    assert delays[3] > delays[0]
    assert all(d <= FEED_BACKOFF_CAP_S * 1.1 for d in [failure_delay("http_5xx", 40, rng) for _ in range(50)])
    assert failure_delay("dns", 1, rng) > failure_delay("timeout", 1, random.Random(3)) * 0.5
    assert failure_delay("http_429", 1, rng, retry_after_s=3600) >= 3600
    assert failure_delay("unknown-kind", 1, rng) > 0
    assert all(3600 <= failure_delay("http_5xx", 1, rng, floor_s=3600) <= 3600 * 1.1 for _ in range(50))
    assert failure_delay("http_5xx", 1, random.Random(3), floor_s=60) == failure_delay("http_5xx", 1, random.Random(3))


def test_cache_control_and_dates() -> None:
    """max-age / s-maxage are read; feed dates in RFC 822 and ISO 8601 parse; absurd dates do not."""
    assert cache_max_age({"cache-control": "public, max-age=600"}) == 600
    assert cache_max_age({"cache-control": "max-age=600, s-maxage=900"}) == 900
    assert cache_max_age({"cache-control": "no-cache"}) is None
    assert cache_max_age({}) is None
    assert published_ts("Fri, 15 Jan 2027 08:00:00 GMT", T0) == T0
    assert published_ts("2027-01-15T08:00:00Z", T0) == T0
    assert published_ts("2099-01-01T00:00:00Z", T0) is None
    assert published_ts("yesterday", T0) is None
    assert published_ts(None, T0) is None


def _http_date(ts: float) -> str:
    return format_datetime(datetime.fromtimestamp(ts, UTC), usegmt=True)


@pytest.mark.parametrize(
    ("headers", "delay_s", "fresh"),
    [
        ({"cache-control": "max-age=300"}, 0.0, 300),
        ({"cache-control": "max-age=300", "age": "290"}, 0.0, 10),  # a CDN's copy, 290 s old: 10 s left
        ({"cache-control": "max-age=300", "age": "290"}, 4.0, 6),  # and 4 s on the way here
        ({"cache-control": "max-age=300"}, 0.4, 300),  # under a second of transfer is no age (whole seconds)
        ({"cache-control": "max-age=300", "age": "300"}, 0.0, None),  # stale: no hint
        ({"cache-control": "max-age=300", "age": "9" * 40}, 0.0, None),  # bounded, read as 2^31: stale
        ({"cache-control": "max-age=300", "age": "290, 5"}, 0.0, 10),  # a list: its first member
        ({"cache-control": "max-age=300", "age": " 290 "}, 0.0, 10),
        ({"cache-control": "max-age=300", "age": "-290"}, 0.0, 300),  # junk Age is ignored
        ({"cache-control": "max-age=300", "age": "2.9e2"}, 0.0, 300),
        ({"cache-control": "max-age=300", "age": "abc"}, 0.0, 300),
        ({"cache-control": "max-age=300", "age": "２９０"}, 0.0, 300),  # not ASCII digits
        ({"cache-control": "max-age=300", "age": ""}, 0.0, 300),
        ({"cache-control": "max-age=300", "date": _http_date(T0 - 290)}, 0.0, 10),  # apparent age from Date
        ({"cache-control": "max-age=300", "date": _http_date(T0 - 100), "age": "200"}, 0.0, 100),  # Age wins
        ({"cache-control": "max-age=300", "date": _http_date(T0 - 200), "age": "100"}, 0.0, 100),  # Date wins
        ({"cache-control": "max-age=300", "date": _http_date(T0 + 3600)}, 0.0, 300),  # a server clock ahead
        ({"cache-control": "max-age=300", "date": "yesterday"}, 0.0, 300),  # an unreadable Date is ignored
        ({"cache-control": "no-cache, max-age=300"}, 0.0, None),
        ({"cache-control": "max-age=300, no-store"}, 0.0, None),
        ({"cache-control": 'no-cache="set-cookie", max-age=300'}, 0.0, 300),  # only that field
        ({"cache-control": "max-age=300, max-age=9000"}, 0.0, 300),  # twice: the first (RFC 9111 §4.2.1)
        ({"cache-control": "max-age=300, s-maxage=900", "age": "600"}, 0.0, 300),
    ],
)
def test_cache_freshness_counts_the_answers_age(headers: dict[str, str], delay_s: float, fresh: float | None) -> None:
    """How long an answer stays fresh is its max-age less its current age (RFC 9111 §4.2.3: Age plus the time on
    the way, or now less its Date, whichever is more), in whole seconds; junk Age or Date values are ignored."""
    assert cache_fresh_for(headers, received_at=T0, response_delay_s=delay_s) == fresh


_HEADER_TEXT = st.text(st.characters(codec="latin-1"), max_size=60)


@settings(max_examples=300, deadline=None)
@given(
    cache_control=st.one_of(_HEADER_TEXT, st.builds("max-age={}".format, _HEADER_TEXT)),
    age=_HEADER_TEXT,
    date=st.one_of(_HEADER_TEXT, st.datetimes(timezones=st.just(UTC)).map(lambda d: format_datetime(d, usegmt=True))),
    delay_s=st.floats(min_value=0.0, max_value=60.0),
)
def test_cache_freshness_of_any_header_values_is_a_bounded_number_or_none(
    cache_control: str, age: str, date: str, delay_s: float
) -> None:
    """Whatever a server writes in Cache-Control, Age and Date, the answer is None or whole seconds in (0, 2^31]:
    never an exception, infinity or a negative wait."""
    headers = {"cache-control": cache_control, "age": age, "date": date}
    fresh = cache_fresh_for(headers, received_at=T0, response_delay_s=delay_s)
    assert fresh is None or (0 < fresh <= DELTA_SECONDS_MAX and fresh == int(fresh))


def test_cache_control_delta_seconds_are_bounded() -> None:
    """A max-age too large for any clock is read as 2^31 seconds (RFC 9111 §1.2.2), never as infinity."""
    assert cache_max_age({"cache-control": "max-age=" + "9" * 400}) == DELTA_SECONDS_MAX
    assert cache_fresh_for({"cache-control": "max-age=" + "9" * 400}, received_at=T0) == DELTA_SECONDS_MAX


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://Example.COM/rss", "https://example.com/rss"),
        ("HTTPS://example.com:443/rss#top", "https://example.com/rss"),
        ("http://example.com:80", "http://example.com/"),
        ("http://example.com:8080/Feed?Cat=A", "http://example.com:8080/Feed?Cat=A"),
        ("https://User:Pw@Example.com/x", "https://User:Pw@example.com/x"),
        ("http://[2001:DB8::1]:81/f", "http://[2001:db8::1]:81/f"),
        ("https://example.com:99999/rss", "https://example.com:99999/rss"),  # no such port: kept, fails as bad_url
    ],
)
def test_feed_url_has_one_spelling(given: str, expected: str) -> None:
    assert feed_url(given) == expected


def test_one_feed_under_every_spelling_of_its_url(client: redis.Redis) -> None:
    """Hosts differing in case, a default port or a fragment name one feed: added once, due once, found and
    removed under any spelling; a feed stored under an older spelling is updated, not doubled."""
    schedule = FeedSchedule(client)
    schedule.add("https://News.Example/rss", name="A", now=T0)
    again = schedule.add("https://news.example:443/rss#latest", name="B", now=T0)
    assert schedule.urls() == ["https://news.example/rss"] and again.state.name == "B"
    record = schedule.get("HTTPS://NEWS.EXAMPLE/rss")
    assert record is not None and record.url == "https://news.example/rss"
    assert len(schedule.claim_due(now=T0)) == 1
    assert schedule.remove("https://NEWS.example/rss") and schedule.urls() == []

    state = FeedState(url="https://Old.Example/rss", interval_s=600.0, next_poll_at=utc_datetime(T0))
    legacy = FeedRecord(state=state, floor_s=600.0, ceiling_s=21_600.0)
    client.set(record_key(legacy.url), legacy.model_dump_json())
    client.zadd("ww:{ww}:feeds:due", {legacy.url: T0})
    updated = schedule.add("https://Old.Example/rss", name="Old", now=T0)
    assert updated.url == "https://Old.Example/rss" and schedule.urls() == ["https://Old.Example/rss"]
    assert schedule.remove("https://Old.Example/rss") and schedule.urls() == []


def test_hints_stop_at_the_feeds_ceiling() -> None:
    """A ttl / max-age past the ceiling is honoured up to the ceiling (6 h, or a floor set above it), no further."""
    hourly = _record(item_times=[T0 - 3600 * i for i in range(10)])
    assert all(FEED_MAX_INTERVAL_S * 0.9 <= success_delay(hourly, T0, RNG, ttl_s=86_400) <= FEED_MAX_INTERVAL_S * 1.1
               for _ in range(50))  # fmt: skip
    assert success_delay(hourly, T0, RNG, max_age_s=10**9) <= FEED_MAX_INTERVAL_S * 1.1
    slow = _record(floor_s=12 * 3600, ceiling_s=12 * 3600)
    assert 12 * 3600 * 0.9 <= success_delay(slow, T0, RNG, ttl_s=86_400) <= 12 * 3600 * 1.1
    assert hint_past_ceiling(hourly, ttl_s=86_400, max_age_s=600) == 86_400
    assert hint_past_ceiling(hourly, ttl_s=3600, max_age_s=None) is None
    assert hint_past_ceiling(slow, ttl_s=86_400, max_age_s=None) == 86_400
    assert hint_past_ceiling(slow, ttl_s=12 * 3600, max_age_s=None) is None


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        ("http://a.example/rss", "https://a.example/rss", None),  # an upgrade to https: moved
        ("https://a.example/rss", "https://feeds.b.example/a", None),  # another host: moved
        ("https://a.example/rss", "http://a.example/rss", "downgrade"),  # https to http: kept
        ("https://a.example/rss", "ftp://a.example/rss", "scheme"),
        ("https://a.example/rss", "https://user:pw@a.example/rss", "credentials"),
        ("https://a.example/rss", "https://a.example/" + "a" * 4000, "too_long"),
        ("https://a.example/rss", "https://[::1/rss", "bad_url"),
    ],
)
def test_which_permanent_redirects_move_a_feed(old: str, new: str, reason: str | None) -> None:
    """A permanent redirect moves the feed unless it downgrades to http or leads to a URL a feed cannot have."""
    assert move_refused(old, new) == reason


def test_the_link_memory_of_guids_is_bounded_with_the_seen_set(client: redis.Redis) -> None:
    """The first link of each guid is kept beside its seen id, and trimmed with it."""
    schedule = FeedSchedule(client)
    url = "https://a.example/feed"
    schedule.add(url)
    first = schedule.sightings(url, [("g1", "fp-a")])
    assert [(s.delivery_id, s.new) for s in first] == [("g1", True)]
    schedule.mark_seen(url, ["g1"], T0, first_links={"g1": "fp-a"})
    assert [(s.delivery_id, s.new) for s in schedule.sightings(url, [("g1", "fp-a")])] == [("g1", False)]
    [relinked] = schedule.sightings(url, [("g1", "fp-b")])
    assert relinked.new and relinked.delivery_id not in ("g1", "fp-b")
    schedule.mark_seen(url, ["g1", relinked.delivery_id], T0 + 1, first_links={"g1": "fp-b"})  # the first stays
    assert [s.new for s in schedule.sightings(url, [("g1", "fp-a"), ("g1", "fp-b")])] == [False, False]
    schedule.mark_seen(url, [f"x{i}" for i in range(FEED_SEEN_MAX)], T0 + 2, first_links={"x0": "fp"})
    assert client.zcard(seen_key(url)) == FEED_SEEN_MAX and client.hlen(links_key(url)) == 1
    assert schedule.remove(url) and not client.exists(links_key(url))
