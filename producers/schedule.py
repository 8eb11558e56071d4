"""Feed scheduling state in Redis, and the pure policy that decides when each feed is polled next.

Layout (all keys share the ``{ww}`` hash tag, so every script below runs on one Cluster slot):

- ``ww:{ww}:feeds:due`` — sorted set, feed URL → next poll time (unix s). The only index the tick reads.
- ``ww:{ww}:feeds:lease`` — hash, feed URL → token of the poll that holds it.
- ``ww:{ww}:feed:<id>`` — the feed's record (`FeedRecord` JSON: the `FeedState` contract plus what the
  policy needs: body hash, recent publish times, health flags).
- ``ww:{ww}:feed:<id>:settings`` — the feed's settings (name, floor, ceiling, full text) when they were changed
  after it was added: written by `add` alone, so a poll writing the record back cannot undo them; they win
  over the same fields in the record whenever it is read.
- ``ww:{ww}:feed:<id>:seen`` — sorted set, delivery id → last seen (unix s): which items are new.
- ``ww:{ww}:feed:<id>:links`` — hash, a guid's delivery id → the fingerprint of the first link seen with it: a
  guid reused for another story (another link) is another item. Trimmed with the seen set.
- ``ww:{ww}:feeds:moved`` — hash, every URL a feed moved to (a permanent redirect), the one it is at now and
  those it was at since it was added → the URL it was added as. The feed keeps every key above under its first
  URL (its id, seen items, settings, place in the schedule); this finds it under any of the others.
- ``ww:{ww}:feed:<id>:moves`` — sorted set, those URLs of the feed → when it moved there: the newest
  FEED_MOVES_KEPT are kept (with their mappings), so a server moving its feed at every poll cannot grow them.
- ``ww:{ww}:host:<host>:inflight`` / ``:next`` — per-host concurrency slots and politeness clock.

Claiming is one Lua script: it takes the due members and pushes each one's score to the lease's end in the
same step, so a second scheduler running the same tick finds nothing due, and a poller that dies leaves a
feed that comes due again when its lease runs out (never abandoned). Completing checks the token, so a poll
that outlived its lease cannot overwrite the one that replaced it.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import redis
from pydantic import BaseModel, ConfigDict, Field

from producers.feeds import feed_timestamp, relinked_key
from schemas.models import FeedState
from wirewatch import constants as c

# --- keys (mirrors wirewatch.constants.key: one prefix, one hash tag)
KEY_PREFIX = "ww"
HASH_TAG = "{ww}"
FEEDS_STREAM = "ww:feeds"
FEEDS_STREAM_MAXLEN = 100_000


def _key(*parts: str) -> str:
    return ":".join((KEY_PREFIX, HASH_TAG, *parts))


DUE_KEY = _key("feeds", "due")
LEASE_KEY = _key("feeds", "lease")
MOVED_KEY = _key("feeds", "moved")


_DEFAULT_PORTS = {"http": 80, "https": 443}


def feed_url(url: str) -> str:
    """The one spelling of a feed's URL: scheme and host in lower case, no default port, no fragment, ``/`` for
    an empty path. ``https://Example.COM:443/rss#top`` is ``https://example.com/rss``: one feed, polled once.
    The path and query keep their case (servers tell them apart); a URL that does not parse is kept as given
    (its poll fails with ``bad_url``). Not `worker.urls.canonicalize_url`, an article's identity: that drops
    credentials and tracking-like parameters, which a feed's address may need to be fetched."""
    try:
        parts = urlsplit(url.strip())
        host, port = parts.hostname, parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    if not host or scheme not in _DEFAULT_PORTS:
        return url
    netloc = f"[{host}]" if ":" in host else host
    if parts.username is not None or parts.password is not None:
        netloc = parts.netloc.rpartition("@")[0] + "@" + netloc
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc += f":{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def move_refused(old: str, new: str) -> str | None:
    """Why a permanent redirect from ``old`` to ``new`` does not move the feed, or None when it does.

    The fetch has already followed it under the feed's policy (every hop resolved and vetted); what is left is
    what a stored URL must not be: a downgrade from https to http (one misconfigured or hostile answer would
    have every later poll travel in the clear), a scheme or credentials the fetch refuses, more than a poll
    message carries, or no URL at all.
    """
    try:
        parts = urlsplit(new)
        _ = parts.port
    except ValueError:
        return "bad_url"
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return "scheme"
    if parts.username is not None or parts.password is not None:
        return "credentials"
    if len(new) > FEED_URL_MAX_CHARS:
        return "too_long"
    if urlsplit(old).scheme == "https" and parts.scheme == "http":
        return "downgrade"
    return None


def _text(value: str | bytes | None) -> str | None:
    return value.decode() if isinstance(value, bytes) else value


def feed_id(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def record_key(url: str) -> str:
    return _key("feed", feed_id(url))


def settings_key(url: str) -> str:
    return _key("feed", feed_id(url), "settings")


def seen_key(url: str) -> str:
    return _key("feed", feed_id(url), "seen")


def links_key(url: str) -> str:
    return _key("feed", feed_id(url), "links")


def moves_key(url: str) -> str:
    return _key("feed", feed_id(url), "moves")


def host_keys(host: str) -> tuple[str, str, str]:
    """A host's slots in use, when its next request may start, and the last turn given to a poll it refused."""
    host = host.lower()
    return _key("host", host, "inflight"), _key("host", host, "next"), _key("host", host, "turn")


# --- the numbers (seconds unless named otherwise); why each: docs/feeds.md
FEED_MIN_INTERVAL_S = 5 * 60  # floor when the config names none; a configured interval is the floor
FEED_MAX_INTERVAL_S = 6 * 3600  # ceiling: even a feed that publishes weekly is checked four times a day
# A failure's Retry-After is honoured up to this. After a success, ttl and Cache-Control stop at the feed's
# ceiling (FEED_MAX_INTERVAL_S unless its floor is higher): a feed asking for a day between polls was checked
# once a day, and a 20-item feed can scroll items past in less.
FEED_HINT_MAX_S = 24 * 3600
DELTA_SECONDS_MAX = 2**31  # RFC 9111 §1.2.2: an Age or max-age past what a clock holds is read as this
FEED_JITTER = 0.1  # ±10 % on every interval, so feeds added together drift apart
FEED_LEASE_S = 300  # > fetch deadline + parse + full-text budget; a dead poller's feed is due again after
FEED_URL_MAX_CHARS = c.FEED_URL_MAX_CHARS
FEED_RHYTHM_SAMPLES = 20  # publish times kept per feed for the rhythm estimate
FEED_RHYTHM_MAX_AGE_S = 30 * 86_400  # publish times older than this do not shape the interval
FEED_UNCONDITIONAL_EVERY = 24  # every Nth poll drops ETag/Last-Modified, catching servers whose validators lie
FEED_SEEN_MAX = 5_000  # item ids remembered per feed (a feed lists far fewer at a time)
FEED_BACKOFF_CAP_S = 24 * 3600  # a failing feed is still tried at least daily: never abandoned
FEED_BROKEN_AFTER = 3  # consecutive failures before a feed_broken health event
FEED_BROKEN_AT_ONCE = frozenset({"http_410"})  # failures that are a feed_broken at the first: the server says so
FEED_QUIET_FACTOR = 10.0  # quiet: no new item for this many times the usual gap ...
FEED_QUIET_MIN_S = 3 * 86_400  # ... and at least this long
FEED_MOVES_KEPT = 16  # URLs a moved feed is still found under (the one it is at included), newest first
HOST_MAX_CONCURRENT = 2  # polls of one host at a time, across all workers
HOST_DELAY_S = 1.0  # between two requests to one host
HOST_SLOT_TTL_S = 120  # a slot held longer than this (a dead worker) is freed
# A 429 (or a 503 with Retry-After) holds every feed of its host, not only the one that got it: rate limits are per
# client. For its Retry-After (a minute without one), up to an hour: the feed that got it waits all of it.
HOST_HOLD_S = 60.0
HOST_HOLD_MAX_S = 3600.0

# first delay after a failure, by kind; doubled per consecutive failure, jittered, capped
BACKOFF_BASE_S: dict[str, float] = {
    "timeout": 5 * 60,
    "connect": 5 * 60,
    "http_5xx": 5 * 60,
    "http_429": 15 * 60,
    "dns": 30 * 60,
    "http_4xx": 60 * 60,
    "parse": 60 * 60,
    "content_encoding": 60 * 60,
    "tls": 60 * 60,  # a certificate or a port is fixed by a person, not in minutes
    "http_410": 24 * 3600,  # Gone, says the server: still tried daily, never abandoned
    "too_large": 6 * 3600,
    "content_type": 6 * 3600,
    "redirects": 6 * 3600,
    "blocked": 6 * 3600,
    "bad_url": 6 * 3600,
}
BACKOFF_DEFAULT_S = 15 * 60


class FeedMove(BaseModel):
    """A feed's move by a permanent redirect: where from, where to, when."""

    model_config = ConfigDict(extra="forbid")

    from_url: str
    to_url: str
    at: datetime


class HintClamp(BaseModel):
    """A feed's hint (``ttl``: RSS <ttl>; ``max_age``: its HTTP freshness, Cache-Control's max-age or Expires)
    asking for longer between polls than its ceiling, which was polled at instead: what it asked, the ceiling,
    when it was first seen."""

    model_config = ConfigDict(extra="forbid")

    hint: Literal["ttl", "max_age"]
    hint_s: float
    ceiling_s: float
    at: datetime


class FeedRecord(BaseModel):
    """One feed as the scheduler keeps it: the `FeedState` contract plus the policy's memory."""

    model_config = ConfigDict(extra="forbid")

    state: FeedState
    full_text: bool = False
    floor_s: float = Field(FEED_MIN_INTERVAL_S, gt=0)
    ceiling_s: float = Field(FEED_MAX_INTERVAL_S, gt=0)
    origin: str = "cli"  # "config" or "cli": who added it
    body_hash: str | None = None
    item_times: list[float] = Field(default_factory=list)  # recent new items' publish times, sorted
    last_new_at: float | None = None
    last_error: str | None = None
    last_error_kind: str | None = None
    polls: int = 0
    broken: bool = False  # a feed_broken event was sent and no success since
    quiet: bool = False  # a feed_quiet event was sent and no new item since
    # Moved by a permanent redirect: the URL it was added as, under which its keys, schedule and item ids stay
    # (``state.url`` is where it is polled now); None while it is where it was added.
    added_as: str | None = None
    refused_move: str | None = None  # the last permanent redirect target not taken (said once, not per poll)
    ttl_s: float | None = None  # the <ttl> of the last body read: it holds for the 304s that follow
    # The last 200's Cache-Control and Expires (`kept_cache_fields`): a 304 updates those it carries, and the
    # others hold for it and the 304s that follow (RFC 9111 §4.3.4).
    cache_headers: dict[str, str] = Field(default_factory=dict)
    hint_clamped_s: float | None = None  # the last hint cut to the ceiling (said once, not per poll)
    # Health an operator reads without the logs: the last event of each kind, kept after it (bounded: one each).
    last_move: FeedMove | None = None
    last_hint_clamp: HintClamp | None = None

    @property
    def url(self) -> str:
        """Where the feed is polled (and shown)."""
        return self.state.url

    @property
    def key(self) -> str:
        """The URL its keys in Redis and its place in the schedule are under: the one it was added as."""
        return self.added_as or self.state.url


_SETTINGS_FIELDS = ("full_text", "floor_s", "ceiling_s")  # and the name, which lives in the state


def _with_settings(raw_record: str | bytes, raw_settings: str | bytes | None) -> FeedRecord:
    """A stored record with the feed's settings, when changed since it was added, laid over it."""
    record = FeedRecord.model_validate_json(raw_record)
    return _apply_settings(record, json.loads(raw_settings)) if raw_settings else record


def _apply_settings(record: FeedRecord, settings: dict[str, Any]) -> FeedRecord:
    update: dict[str, Any] = {k: settings[k] for k in _SETTINGS_FIELDS if k in settings}
    if settings.get("name"):
        update["state"] = record.state.model_copy(update={"name": settings["name"]})
    return record.model_copy(update=update)


@dataclass(frozen=True)
class Sighting:
    """One item of a poll as the feed's memory reads it: the delivery id it goes by, and whether it is new."""

    delivery_id: str
    new: bool


def sighting(delivery_id: str, link_fp: str | None, seen: bool, first_fp: str | None, relinked_seen: bool) -> Sighting:
    """Whether an item is new, and under which id. ``delivery_id`` is the parser's (its guid's, when it has
    one); ``link_fp`` the fingerprint of its link when the id is its guid's; ``first_fp`` the link that guid
    was first seen with (None: not remembered, i.e. seen before links were); ``relinked_seen`` whether its id
    under another link was seen.

    A guid seen with its first link, or before links were remembered, is the item seen then: an edited title
    or text is not a new item (the pipeline would only find it a duplicate of its URL). A guid seen with
    another link is another story the publisher gave an old guid: new, under an id of its own.
    """
    if link_fp is None or not seen:
        return Sighting(delivery_id, not seen)
    if first_fp is None or first_fp == link_fp:
        return Sighting(delivery_id, False)
    return Sighting(relinked_key(delivery_id, link_fp), not relinked_seen)


@dataclass(frozen=True)
class Claim:
    """A feed this poller holds until it completes or the lease runs out."""

    url: str
    token: str


# ---------------------------------------------------------------------------------------------- Lua scripts

# KEYS: due, lease. ARGV: now, limit, lease_s, token prefix.
_CLAIM = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
local until_ = tonumber(ARGV[1]) + tonumber(ARGV[3])
local out = {}
for i, url in ipairs(due) do
  local token = ARGV[4] .. ':' .. i
  redis.call('ZADD', KEYS[1], until_, url)
  redis.call('HSET', KEYS[2], url, token)
  out[#out + 1] = url
  out[#out + 1] = token
end
return out
"""

# Claim one named feed now, whatever its due time, unless another poll holds it.
# KEYS: due, lease. ARGV: url, now, lease_s, token.
_CLAIM_ONE = """
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score then return 0 end
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 and tonumber(score) > tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], tonumber(ARGV[2]) + tonumber(ARGV[3]), ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[4])
return 1
"""

# KEYS: due, lease, record, moved, the feed's moves, [a host's inflight]. ARGV: url, token, next_at, record JSON
# ('' keeps the record), then for a feed that moves: the URL it was polled at, the one it moves to, the time and
# how many of its URLs to keep.
# Returns 1 when done, 0 when the lease or the feed is gone, 2 (the lease kept) when another feed is already
# monitored at the new URL, or was there since it was added: the caller completes again without the move.
# Every URL the feed moves to stays mapped to the one it was added as (the newest ARGV[8] of them): a feed moved
# A → B → C is found under B too, so naming B (config, `feeds add`, OPML) never makes it a second feed.
_COMPLETE = """
if KEYS[6] then redis.call('ZREM', KEYS[6], ARGV[2]) end
if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then return 0 end
local to = ARGV[6]
if to and to ~= ARGV[1] then
  if redis.call('ZSCORE', KEYS[1], to) then return 2 end
  local owner = redis.call('HGET', KEYS[4], to)
  if owner and owner ~= ARGV[1] then return 2 end
end
redis.call('HDEL', KEYS[2], ARGV[1])
if redis.call('EXISTS', KEYS[3]) == 0 then return 0 end
if ARGV[4] ~= '' then redis.call('SET', KEYS[3], ARGV[4]) end
if to then
  local at = tonumber(ARGV[7])
  -- where it was (mapped already, unless mapped before its URLs were remembered), then where it goes, newest
  if ARGV[5] ~= ARGV[1] and redis.call('HGET', KEYS[4], ARGV[5]) == ARGV[1] then
    redis.call('ZADD', KEYS[5], 'NX', at, ARGV[5])
  end
  if to ~= ARGV[1] then
    redis.call('HSET', KEYS[4], to, ARGV[1])
    redis.call('ZADD', KEYS[5], at, to)
  end
  local over = redis.call('ZCARD', KEYS[5]) - tonumber(ARGV[8])
  if over > 0 then
    for _, url in ipairs(redis.call('ZRANGE', KEYS[5], 0, over - 1)) do
      if redis.call('HGET', KEYS[4], url) == ARGV[1] then redis.call('HDEL', KEYS[4], url) end
    end
    redis.call('ZREMRANGEBYRANK', KEYS[5], 0, over - 1)
  end
end
redis.call('ZADD', KEYS[1], tonumber(ARGV[3]), ARGV[1])
return 1
"""

# Forget a feed: its keys, its place in the schedule and its lease, and every URL it moved to that still maps to
# it, in one step (a poll completing a move meanwhile cannot leave a mapping behind).
# KEYS: record, seen, settings, links, moves, due, lease, moved. ARGV: the URL it was added as, then the URL it
# is at now (mapped before its URLs were remembered: it is not in its moves), or none.
# Returns 1 when there was a record.
_REMOVE = """
local urls = redis.call('ZRANGE', KEYS[5], 0, -1)
if ARGV[2] then urls[#urls + 1] = ARGV[2] end
for _, url in ipairs(urls) do
  if redis.call('HGET', KEYS[8], url) == ARGV[1] then redis.call('HDEL', KEYS[8], url) end
end
local found = redis.call('DEL', KEYS[1])
redis.call('DEL', KEYS[2], KEYS[3], KEYS[4], KEYS[5])
redis.call('ZREM', KEYS[6], ARGV[1])
redis.call('HDEL', KEYS[7], ARGV[1])
return found
"""

# A host slot: ARGV now, token, max_concurrent, delay_s, slot_ttl_s. Returns 0 when the slot is taken, else the
# seconds to wait (as a string: Lua numbers lose the fraction). A poll refused is given a turn of its own, delay_s
# after the last one given: polls of one host that all came due together (an OPML import of one publisher's
# sections, a host back from a Retry-After) come back one after another at the host's pace, not all together
# to be refused again but one (which cost a poll per feed still waiting at every turn: quadratic).
_ACQUIRE_FN = """
local function turn(turn_key, now, at)
  local delay = tonumber(ARGV[4])
  local at_ = math.max(at, tonumber(redis.call('GET', turn_key) or '0') + delay)
  redis.call('SET', turn_key, tostring(at_), 'PX', math.ceil((at_ - now + delay + 1) * 1000))
  return tostring(at_ - now)
end
local function acquire(inflight, next_key, turn_key)
  local now = tonumber(ARGV[1])
  redis.call('ZREMRANGEBYSCORE', inflight, '-inf', now)
  local nxt = tonumber(redis.call('GET', next_key) or '0')
  if nxt > now then return turn(turn_key, now, nxt) end
  if redis.call('ZCARD', inflight) >= tonumber(ARGV[3]) then
    local first = redis.call('ZRANGE', inflight, 0, 0, 'WITHSCORES')
    return turn(turn_key, now, now + math.max(tonumber(first[2]) - now, 0.05))
  end
  redis.call('ZADD', inflight, now + tonumber(ARGV[5]), ARGV[2])
  redis.call('PEXPIRE', inflight, math.ceil(tonumber(ARGV[5]) * 1000))
  redis.call('SET', next_key, tostring(now + tonumber(ARGV[4])), 'PX', math.ceil((tonumber(ARGV[4]) + 1) * 1000))
  return 0
end
"""
# KEYS: next. ARGV: until (unix s), its expiry in ms. The host's next request waits until then, or longer if
# it already did.
_HOST_HOLD = """
if tonumber(ARGV[1]) > tonumber(redis.call('GET', KEYS[1]) or '0') then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', tonumber(ARGV[2]))
end
"""
# KEYS: inflight, next, turn.
_HOST_ACQUIRE = _ACQUIRE_FN + "return acquire(KEYS[1], KEYS[2], KEYS[3])\n"
# KEYS: inflight, next, turn, a feed record, lease, the feed's settings. ARGV as above, then the feed's URL.
# Returns {wait, record, settings or false}; {} when the record is gone, {'lost'} when the claim's lease has passed
# to another poll (a message queued past its lease: it must not fetch); neither takes a slot.
_HOST_ACQUIRE_READING = (
    _ACQUIRE_FN
    + """
local record = redis.call('GET', KEYS[4])
if not record then return {} end
if redis.call('HGET', KEYS[5], ARGV[6]) ~= ARGV[2] then return {'lost'} end
return {acquire(KEYS[1], KEYS[2], KEYS[3]), record, redis.call('GET', KEYS[6])}
"""
)

# KEYS: seen, the feed's record, links. ARGV: now, max, n, n ids..., then (guid's id, link fingerprint) pairs.
# Returns the ids not seen before; marks all of them seen, and keeps the first link of each guid. Nothing is
# written for a feed that is gone (removed while it was being polled): its seen set would otherwise be left
# behind for good, with nothing to ever delete it. The ids trimmed off the seen set take their links along.
_MARK_SEEN = """
if redis.call('EXISTS', KEYS[2]) == 0 then return {} end
local n = tonumber(ARGV[3])
local new = {}
for i = 4, 3 + n do
  if not redis.call('ZSCORE', KEYS[1], ARGV[i]) then new[#new + 1] = ARGV[i] end
  redis.call('ZADD', KEYS[1], ARGV[1], ARGV[i])
end
for i = 4 + n, #ARGV - 1, 2 do redis.call('HSETNX', KEYS[3], ARGV[i], ARGV[i + 1]) end
local size = redis.call('ZCARD', KEYS[1])
local over = size - tonumber(ARGV[2])
if over > 0 then
  if redis.call('EXISTS', KEYS[3]) == 1 then
    local gone = redis.call('ZRANGE', KEYS[1], 0, over - 1)
    for i = 1, #gone, 1000 do redis.call('HDEL', KEYS[3], unpack(gone, i, math.min(i + 999, #gone))) end
  end
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, over - 1)
end
return new
"""


class FeedSchedule:
    """The feeds and their next poll times, shared by every scheduler and worker through Redis."""

    def __init__(self, client: redis.Redis, *, stream: str = FEEDS_STREAM) -> None:
        self.client = client
        self.stream = stream
        self._claim = client.register_script(_CLAIM)
        self._claim_one = client.register_script(_CLAIM_ONE)
        self._complete = client.register_script(_COMPLETE)
        self._remove_script = client.register_script(_REMOVE)
        self._mark_seen = client.register_script(_MARK_SEEN)

    # --- feeds

    def add(
        self,
        url: str,
        *,
        name: str | None = None,
        interval_s: float | None = None,
        full_text: bool = False,
        origin: str = "cli",
        now: float | None = None,
    ) -> FeedRecord:
        """Add a feed (due at once) or update the settings of one already known; its state is kept. The URL is
        stored in its `feed_url` spelling (a feed stored before in another spelling keeps it)."""
        now = time.time() if now is None else now
        floor = max(float(interval_s or FEED_MIN_INTERVAL_S), 1.0)
        record = self.get(url)
        if record is None:
            url = feed_url(url)
            state = FeedState(url=url, name=name, interval_s=floor, next_poll_at=utc_datetime(now))
            record = FeedRecord(
                state=state,
                full_text=full_text,
                floor_s=floor,
                ceiling_s=max(FEED_MAX_INTERVAL_S, floor),
                origin=origin,
            )
            pipe = self.client.pipeline(transaction=True)
            pipe.set(record_key(url), record.model_dump_json())
            pipe.zadd(DUE_KEY, {url: now}, nx=True)
            pipe.execute()
            return record
        # The settings go to their own key, never into the record: a poll in flight writes back the record it
        # read, and would undo them (and this would undo the poll's state).
        settings = {"name": name or record.state.name, "full_text": full_text, "floor_s": floor,
                    "ceiling_s": max(FEED_MAX_INTERVAL_S, floor)}  # fmt: skip
        self.client.set(settings_key(record.key), json.dumps(settings))
        return _apply_settings(record, settings)

    def remove(self, url: str) -> bool:
        """Forget a feed, named in any spelling `feed_url` maps to its own (or exactly as stored), by the URL it
        was added as or any it moved to since."""
        record = self.get(url)
        if record is None:
            return self._remove(feed_url(url)) or self._remove(url)
        return self._remove(record.key, moved_to=record.url if record.added_as else None)

    def _remove(self, url: str, moved_to: str | None = None) -> bool:
        keys = [record_key(url), seen_key(url), settings_key(url), links_key(url), moves_key(url), DUE_KEY,
                LEASE_KEY, MOVED_KEY]  # fmt: skip
        return bool(self._remove_script(keys=keys, args=[url, *([moved_to] if moved_to else [])]))

    def get(self, url: str) -> FeedRecord | None:
        """The feed named in any spelling `feed_url` maps to its own (or exactly as stored), by the URL it was
        added as or the one a permanent redirect moved it to; or None."""
        spellings = list(dict.fromkeys((feed_url(url), url)))
        for key in spellings:
            raw, settings = self.client.mget(record_key(key), settings_key(key))
            if raw:
                return _with_settings(raw, settings)
        for owner in self.client.hmget(MOVED_KEY, spellings):
            if owner:
                key = owner.decode() if isinstance(owner, bytes) else str(owner)
                raw, settings = self.client.mget(record_key(key), settings_key(key))
                if raw:
                    return _with_settings(raw, settings)
        return None

    def urls(self) -> list[str]:
        members: list[Any] = self.client.zrange(DUE_KEY, 0, -1)
        return [m.decode() if isinstance(m, bytes) else str(m) for m in members]

    def records(self) -> list[FeedRecord]:
        urls = self.urls()
        out: list[FeedRecord] = []
        for start in range(0, len(urls), 500):
            chunk = urls[start : start + 500]
            found = self.client.mget([key for u in chunk for key in (record_key(u), settings_key(u))])
            for raw, settings in zip(found[::2], found[1::2], strict=True):
                if raw:
                    out.append(_with_settings(raw, settings))
        return out

    def next_due(self) -> float | None:
        """When the earliest feed is due (unix s), or None with no feeds."""
        first = self.client.zrange(DUE_KEY, 0, 0, withscores=True)
        return float(first[0][1]) if first else None

    # --- claiming

    def claim_due(self, now: float | None = None, limit: int = 100, lease_s: float = FEED_LEASE_S) -> list[Claim]:
        """Atomically take up to ``limit`` due feeds; no other caller gets them until completed or expired."""
        now = time.time() if now is None else now
        flat = self._claim(keys=[DUE_KEY, LEASE_KEY], args=[repr(now), limit, lease_s, uuid.uuid4().hex])
        items = [x.decode() if isinstance(x, bytes) else x for x in flat]
        return [Claim(items[i], items[i + 1]) for i in range(0, len(items), 2)]

    def claim(self, url: str, now: float | None = None, lease_s: float = FEED_LEASE_S) -> Claim | None:
        """Take one feed now (``run --once``), unless it is unknown or another poll holds its lease."""
        now = time.time() if now is None else now
        token = uuid.uuid4().hex
        ok = self._claim_one(keys=[DUE_KEY, LEASE_KEY], args=[url, repr(now), lease_s, token])
        return Claim(url, token) if ok else None

    def complete(
        self, claim: Claim, record: FeedRecord | None, next_at: float, release_host: str | None = None
    ) -> bool:
        """Store the record and the next poll time, if this claim still holds the lease.

        With ``release_host``, the claim's slot for that host (`HostGate`, taken with the claim's token) is given
        back in the same step, lease or not: one round trip where a poll of an unchanged feed would take two.
        """
        return self._completed(claim, record, next_at, release_host) == "done"

    def complete_moved(
        self,
        claim: Claim,
        record: FeedRecord,
        moved_from: str,
        next_at: float,
        release_host: str | None = None,
        now: float | None = None,
    ) -> Literal["done", "lost", "taken"]:
        """`complete` for a feed whose record now says it lives elsewhere (``record.url``, moved from
        ``moved_from`` by a permanent redirect): the new URL finds it from then on, and so do the URLs it was
        at before (the newest FEED_MOVES_KEPT of them). ``taken`` when another feed is monitored at the new URL
        (or is found under it): nothing is stored, the lease is kept (the host slot is given back), and the
        caller completes without the move."""
        now = time.time() if now is None else now
        return self._completed(claim, record, next_at, release_host, (moved_from, record.url, repr(now),
                                                                      str(FEED_MOVES_KEPT)))  # fmt: skip

    def _completed(
        self,
        claim: Claim,
        record: FeedRecord | None,
        next_at: float,
        release_host: str | None,
        move: tuple[str, str, str, str] | None = None,
    ) -> Literal["done", "lost", "taken"]:
        payload = "" if record is None else record.model_dump_json()
        keys = [DUE_KEY, LEASE_KEY, record_key(claim.url), MOVED_KEY, moves_key(claim.url)]
        if release_host is not None:
            keys.append(host_keys(release_host)[0])
        result = self._complete(keys=keys, args=[claim.url, claim.token, repr(next_at), payload, *(move or ())])
        return "done" if result == 1 else "taken" if result == 2 else "lost"

    # --- items

    def mark_seen(
        self, url: str, ids: Sequence[str], now: float | None = None, *, first_links: Mapping[str, str] | None = None
    ) -> set[str]:
        """Record ``ids`` as seen, and for each guid's id in ``first_links`` the fingerprint of its link unless
        one is remembered already; return the ids not seen before (none, and nothing recorded, for a feed that
        is not monitored)."""
        if not ids:
            return set()
        now = time.time() if now is None else now
        pairs = [x for item in (first_links or {}).items() for x in item]
        new = self._mark_seen(keys=[seen_key(url), record_key(url), links_key(url)],
                              args=[repr(now), FEED_SEEN_MAX, len(ids), *ids, *pairs])  # fmt: skip
        return {x.decode() if isinstance(x, bytes) else x for x in new}

    def sightings(self, url: str, items: Sequence[tuple[str, str | None]]) -> list[Sighting]:
        """For each (delivery id, link fingerprint or None) of a poll, in order: the id it goes by and whether
        it is new (`sighting`). Read-only: one round trip, two when a guid comes with another link than its
        first (rare: the ids it would have under that link are only looked up then)."""
        if not items:
            return []
        ids = [i for i, _ in items]
        guided = [i for i, fp in items if fp is not None]
        pipe = self.client.pipeline(transaction=False)
        pipe.zmscore(seen_key(url), ids)
        if guided:
            pipe.hmget(links_key(url), guided)
        found = pipe.execute()
        firsts = dict(zip(guided, (_text(f) for f in found[1]), strict=True)) if guided else {}
        seen = [score is not None for score in found[0]]
        # a guid seen before with another first link: is the id it has under this link seen too?
        relinked = {
            n: relinked_key(i, fp)
            for n, ((i, fp), was_seen) in enumerate(zip(items, seen, strict=True))
            if fp is not None and was_seen and firsts[i] not in (None, fp)
        }
        scores = self.client.zmscore(seen_key(url), list(relinked.values())) if relinked else []
        relinked_seen = {n: score is not None for n, score in zip(relinked, scores, strict=True)}
        return [
            sighting(i, fp, was_seen, firsts.get(i), relinked_seen.get(n, False))
            for n, ((i, fp), was_seen) in enumerate(zip(items, seen, strict=True))
        ]

    def unseen(self, url: str, ids: Sequence[str]) -> list[str]:
        """The ids not yet seen for this feed, in order (read-only)."""
        if not ids:
            return []
        scores = self.client.zmscore(seen_key(url), list(ids))
        return [i for i, s in zip(ids, scores, strict=True) if s is None]

    # --- health

    def emit_health(self, event: dict[str, Any]) -> None:
        self.client.xadd(
            self.stream, {"event": json.dumps(event, sort_keys=True)}, maxlen=FEEDS_STREAM_MAXLEN, approximate=True
        )

    def health_events(self, count: int = 1000) -> list[dict[str, Any]]:
        entries: list[Any] = self.client.xrange(self.stream, count=count) or []
        return [json.loads(fields.get("event") or fields[b"event"]) for _, fields in entries]


@dataclass(frozen=True)
class Reading:
    """What `HostGate.acquire_reading` found: seconds to wait for the host (0: the slot is taken), the feed's
    record (None: removed), and whether the claim lost its lease."""

    wait: float
    record: FeedRecord | None
    lost: bool = False


class HostGate:
    """Per-host concurrency slots and a politeness delay, shared by every worker through Redis."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        max_concurrent: int = HOST_MAX_CONCURRENT,
        delay_s: float = HOST_DELAY_S,
        slot_ttl_s: float = HOST_SLOT_TTL_S,
    ) -> None:
        self.client = client
        self.max_concurrent = max_concurrent
        self.delay_s = delay_s
        self.slot_ttl_s = slot_ttl_s
        self._acquire = client.register_script(_HOST_ACQUIRE)
        self._acquire_reading = client.register_script(_HOST_ACQUIRE_READING)
        self._hold = client.register_script(_HOST_HOLD)

    def acquire(self, host: str, token: str, now: float | None = None) -> float:
        """Take a slot for ``host``: 0.0 when taken, else the seconds to wait before asking again."""
        now = time.time() if now is None else now
        wait = self._acquire(
            keys=list(host_keys(host)),
            args=[repr(now), token, self.max_concurrent, repr(self.delay_s), repr(self.slot_ttl_s)],
        )
        return float(wait)

    def acquire_reading(self, claim: Claim, host: str, now: float | None = None) -> Reading:
        """`acquire` with the claim's token, and read the claimed feed's record in the same round trip.

        No slot is taken when the feed is gone (``record`` None) or the claim's lease has passed on (``lost``).
        """
        now = time.time() if now is None else now
        found: list[Any] = self._acquire_reading(
            keys=[*host_keys(host), record_key(claim.url), LEASE_KEY, settings_key(claim.url)],
            args=[repr(now), claim.token, self.max_concurrent, repr(self.delay_s), repr(self.slot_ttl_s), claim.url],
        )
        if not found:
            return Reading(0.0, None)
        if len(found) == 1:
            return Reading(0.0, None, lost=True)
        return Reading(float(found[0]), _with_settings(found[1], found[2]))

    def release(self, host: str, token: str) -> None:
        self.client.zrem(host_keys(host)[0], token)

    def hold(self, host: str, seconds: float, now: float | None = None) -> None:
        """No request to ``host`` for ``seconds`` (a hold already longer stays): its polls are deferred, then
        take turns (`acquire`)."""
        now = time.time() if now is None else now
        self._hold(keys=[host_keys(host)[1]], args=[repr(now + seconds), math.ceil((seconds + 1) * 1000)])


# ------------------------------------------------------------------------------------------------- policy


def utc_datetime(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def jitter(seconds: float, rng: random.Random, spread: float = FEED_JITTER) -> float:
    return seconds * (1.0 + rng.uniform(-spread, spread))


def rhythm_interval(
    item_times: Sequence[float], now: float, floor: float, ceiling: float, last_new_at: float | None = None
) -> float:
    """Half the feed's usual gap between items, stretched while it is quieter than usual; in [floor, ceiling].

    Half the gap finds a new item on average a quarter-gap after it appears, at two polls per item; a feed
    that has been silent for longer than its usual gap is polled as if that silence were its gap. The silence
    runs from the newest publish time or from when a new item was last found (``last_new_at``), whichever is
    later: a publish time can lag far behind (a day-only date reads as midnight), and a feed that just showed
    a new item is not silent.
    """
    times = sorted(t for t in item_times if now - t <= FEED_RHYTHM_MAX_AGE_S)
    if not times and item_times:
        # Every item is older than the rhythm looks back: a feed silent this long is polled at its silence (the
        # ceiling, in practice), as the stretch below would; not at the floor, as if nothing were known.
        return max(floor, min(ceiling, now - max(item_times)))
    if len(times) < 2:
        # No rhythm yet. A feed with nothing seen (new, or empty so far) is polled at its floor: the configured
        # interval is the best guess there is, and its first items must not wait an hour. One item seen within
        # a day: the floor too. One older item: hourly.
        if not times or now - times[-1] < 86_400:
            return floor
        return min(max(floor, 3600.0), ceiling)
    gap = (times[-1] - times[0]) / (len(times) - 1)
    gap = max(gap, now - max(times[-1], last_new_at or times[-1]))
    return min(max(gap / 2.0, floor), ceiling)


def success_delay(
    record: FeedRecord,
    now: float,
    rng: random.Random,
    *,
    ttl_s: float | None = None,
    max_age_s: float | None = None,
    retry_after_s: float | None = None,
) -> float:
    """Seconds until the next poll after a success: the rhythm, never sooner than the feed's hints, which are
    honoured up to the feed's ceiling (a hint past it: `hint_past_ceiling`)."""
    interval = rhythm_interval(record.item_times, now, record.floor_s, record.ceiling_s, record.last_new_at)
    hints = [h for h in (ttl_s, max_age_s, retry_after_s) if h]
    if hints:
        interval = max(interval, min(max(hints), record.ceiling_s))
    return jitter(interval, rng)


def hint_past_ceiling(
    record: FeedRecord,
    *,
    ttl_s: float | None = None,
    max_age_s: float | None = None,
    retry_after_s: float | None = None,
) -> float | None:
    """The feed's longest hint when it asks for more than its ceiling (and `success_delay` cut it), else None."""
    longest = max((h for h in (ttl_s, max_age_s, retry_after_s) if h), default=None)
    return longest if longest is not None and longest > record.ceiling_s else None


def failure_delay(
    kind: str, streak: int, rng: random.Random, *, retry_after_s: float | None = None, floor_s: float = 0.0
) -> float:
    """Seconds until the next try after ``streak`` consecutive failures of this kind: exponential, jittered
    (full jitter over the upper half), capped at FEED_BACKOFF_CAP_S; a Retry-After wins when it is longer, and
    the feed's floor (its configured interval: "never polled more often") always does."""
    base = BACKOFF_BASE_S.get(kind, BACKOFF_DEFAULT_S)
    exp = min(base * math.pow(2.0, max(streak - 1, 0)), FEED_BACKOFF_CAP_S)
    delay = exp * rng.uniform(0.5, 1.0)
    if retry_after_s:
        delay = max(delay, min(retry_after_s, FEED_HINT_MAX_S) * (1.0 + rng.uniform(0.0, FEED_JITTER)))
    delay = min(delay, FEED_BACKOFF_CAP_S * (1.0 + FEED_JITTER))
    if floor_s > delay:  # jittered upwards only, like Retry-After: feeds failing together drift apart, none sooner
        delay = floor_s * (1.0 + rng.uniform(0.0, FEED_JITTER))
    return delay


# One Cache-Control directive: a name, and a value that is a token or a quoted string (which may hold commas).
_DIRECTIVE = re.compile(r'([^\s,=";]+)\s*(?:=\s*("(?:[^"\\]|\\.)*"|[^\s,]*))?')


def _delta_seconds(value: str) -> int | None:
    """A delta-seconds value (ASCII digits only), at most DELTA_SECONDS_MAX; None when it is anything else."""
    value = value.strip()
    if not value or not value.isascii() or not value.isdigit():  # str.isdigit() alone takes '２' and '²'
        return None
    if len(value) > 10:  # past 2^31 anyway; int() refuses a string of over 4,300 digits
        return DELTA_SECONDS_MAX
    return min(int(value), DELTA_SECONDS_MAX)


def _cache_directives(headers: Mapping[str, str]) -> dict[str, str | None]:
    """Cache-Control's directives by lower-cased name, the first of each when one is given twice (RFC 9111 §4.2.1)."""
    directives: dict[str, str | None] = {}
    for match in _DIRECTIVE.finditer(headers.get("cache-control", "")):
        directives.setdefault(match.group(1).lower(), match.group(2))
    return directives


def _checked_each_use(directives: Mapping[str, str | None]) -> bool:
    """no-store, or a bare no-cache: every use is to be checked with the server, so the answer has no lifetime.
    no-cache="field" only withholds that field: the answer's freshness holds."""
    return "no-store" in directives or ("no-cache" in directives and directives["no-cache"] is None)


def cache_max_age(headers: Mapping[str, str]) -> float | None:
    """The answer's freshness lifetime from Cache-Control: s-maxage (wins) or max-age, in seconds, the first of
    each when one is given twice (RFC 9111 §4.2.1). None without one, when it is no number (a cache takes that as
    stale), or when no-store or a bare no-cache asks that every use be checked with the server."""
    directives = _cache_directives(headers)
    return None if _checked_each_use(directives) else _max_age(directives)


def _max_age(directives: Mapping[str, str | None]) -> float | None:
    """s-maxage (wins) or max-age; None without one, or when it is no number or zero."""
    for name in ("s-maxage", "max-age"):
        if name in directives:
            seconds = _delta_seconds((directives[name] or "").strip('"'))
            return float(seconds) if seconds else None
    return None


def freshness_lifetime(headers: Mapping[str, str], *, received_at: float) -> float | None:
    """The answer's freshness lifetime in seconds (RFC 9111 §4.2.1): Cache-Control's s-maxage or max-age
    (`cache_max_age`) when it has one, else its Expires less its Date (less ``received_at`` when it has no
    readable Date), at most DELTA_SECONDS_MAX. None when it has neither, or is stale from the start: an Expires
    that is no date ("0", "-1"), or not after the Date (§5.3)."""
    directives = _cache_directives(headers)
    if _checked_each_use(directives):
        return None
    if "s-maxage" in directives or "max-age" in directives:
        return _max_age(directives)
    expires = headers.get("expires")
    if expires is None:
        return None
    until = _http_date(expires)
    if until is None:
        return None
    date = _http_date(headers.get("date"))
    lifetime = until - (received_at if date is None else date)
    return min(float(math.floor(lifetime)), float(DELTA_SECONDS_MAX)) if lifetime >= 1 else None


# What a 304 updates in the answer kept from the last 200, and what it leaves as it was when it does not carry it
# (RFC 9111 §4.3.4). Date and Age are not kept: they are the age of the message they came with, and a 304 is aged
# by its own. A value longer than this is not kept (no server sends one; a cut Cache-Control could mean another
# max-age): the feed then follows its rhythm, as without one.
CACHE_KEPT_FIELDS = ("cache-control", "expires")
CACHE_KEPT_MAX_CHARS = 1024


def kept_cache_fields(headers: Mapping[str, str]) -> dict[str, str]:
    """The fields of an answer that its 304s update or keep (`CACHE_KEPT_FIELDS`)."""
    return {k: v for k in CACHE_KEPT_FIELDS if (v := headers.get(k)) is not None and len(v) <= CACHE_KEPT_MAX_CHARS}


def freshened_headers(kept: Mapping[str, str], headers: Mapping[str, str], *, not_modified: bool) -> dict[str, str]:
    """The headers an answer's freshness is read from: a 200's own; a 304's laid over those kept from the last
    200 (`kept_cache_fields`), which it updates where it carries a field and leaves as they were where not."""
    return {**kept, **headers} if not_modified else dict(headers)


def current_age(headers: Mapping[str, str], received_at: float, response_delay_s: float = 0.0) -> int:
    """How old the answer was when it arrived (RFC 9111 §4.2.3), in whole seconds: its Age plus the time the
    request took, or our clock less its Date, whichever is more. A junk Age is ignored, a list's first member
    counts (§5.1); a Date ahead of our clock counts as none. Whole seconds because Date and Age are: a fresh answer
    read 0.4 s after its Date second began is not 0.4 s old."""
    age = _delta_seconds(headers.get("age", "").split(",", 1)[0]) or 0
    corrected = age + max(response_delay_s, 0.0)
    apparent = 0.0
    date = _http_date(headers.get("date"))
    if date is not None:
        apparent = max(0.0, received_at - date)
    return min(math.floor(max(apparent, corrected)), DELTA_SECONDS_MAX)


def cache_fresh_for(headers: Mapping[str, str], *, received_at: float, response_delay_s: float = 0.0) -> float | None:
    """Seconds the answer stays fresh from ``received_at``: its lifetime (`freshness_lifetime`: max-age, else
    Expires) less its current age (a CDN's copy with ``max-age=300`` and ``Age: 290`` has 10 s left, not 300);
    None when it has no lifetime or is stale already.
    ``response_delay_s`` is how long the request took."""
    lifetime = freshness_lifetime(headers, received_at=received_at)
    return fresh_for(lifetime, headers, received_at=received_at, response_delay_s=response_delay_s)


def fresh_for(
    lifetime: float | None, headers: Mapping[str, str], *, received_at: float, response_delay_s: float = 0.0
) -> float | None:
    """`cache_fresh_for` with the lifetime already read: a poll reads it once, for the clamp and for this."""
    if lifetime is None:
        return None
    fresh = lifetime - current_age(headers, received_at, response_delay_s)
    return fresh if fresh > 0 else None


def _http_date(value: str | None) -> float | None:
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()  # an HTTP date is GMT


def published_ts(value: str | None, now: float, language: str | None = None) -> float | None:
    """A feed date (RFC 822 or ISO 8601) as unix seconds; None when unreadable or absurd (future, epoch).

    ``language``: the one the feed declares, which says how it writes a slashed date (`feed_timestamp`).
    """
    ts = feed_timestamp(value, language)
    if ts is None or ts > now + 3600 or ts < now - 10 * 365 * 86_400:
        return None
    return ts


def remember_items(times: Iterable[float], record: FeedRecord) -> list[float]:
    merged = sorted([*record.item_times, *times])
    return merged[-FEED_RHYTHM_SAMPLES:]


def is_quiet(record: FeedRecord, now: float) -> bool:
    """No new item for far longer than this feed's usual gap."""
    if record.last_new_at is None or len(record.item_times) < 2:
        return False
    times = record.item_times
    gap = (times[-1] - times[0]) / (len(times) - 1)
    return now - record.last_new_at > max(FEED_QUIET_FACTOR * gap, FEED_QUIET_MIN_S)
