"""Subscriptions: stored in Redis with a version number, cached and compiled in every worker.

The store is a hash (id -> Subscription JSON) and a counter bumped by every change, both written by one
Lua call so a reader never sees a change without its version. A worker's `SubscriptionIndex` reads the
counter at most every `SUBSCRIPTIONS_POLL_S`; when it moved, it re-reads the hash and applies only what
changed to its `Percolator` (parsing only new or edited queries), so edits reach every worker within a
second without restarts, and nothing lives only in a worker's memory.

A query is parsed when it is added (`validate`), so a malformed one is refused with the position of the
error and never reaches a worker.
"""

from __future__ import annotations

import hashlib
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from urllib.parse import urlsplit

import redis
from pydantic import BaseModel, ConfigDict, Field

from producers.fetch import private_host
from schemas import Subscription
from wirewatch import constants as c
from wirewatch.errors import WirewatchError
from wirewatch.logs import get_logger
from wirewatch.settings import Settings
from worker import heap
from worker.match import Percolator
from worker.query import Query, QuerySyntaxError, parse_query

log = get_logger("wirewatch.subscriptions")

# A reload that compiles this many subscriptions freezes the heap after it (compiling them costs more).
FREEZE_AFTER_ADDED = 1000

# Moves the version by a step drawn from the server's clock, not by 1: should Redis lose the last change (AOF
# everysec, a failover), the next change must not bring the counter back to a number a worker already holds for
# other contents, or that worker would keep its stale set. A repeat needs the same microsecond remainder: one
# chance in ~10^6.
_BUMP_LUA = """
local now = redis.call('TIME')
redis.call('INCRBY', KEYS[2], 1 + tonumber(now[2]) % 999983)
"""

# KEYS[1] subscriptions hash  KEYS[2] version counter  KEYS[3] webhooks switched off.  ARGV[1] id  ARGV[2] JSON,
# or "" to delete  ARGV[3] "1" to switch its webhook back on (forget it was switched off), "0" to leave that
# ARGV[4] how many subscriptions may be stored, "0" for no bound: checked here, with the write, so two adds at once
# cannot both pass it. Returns bits: 1 when the subscription changed, 2 when its webhook came back on (0: nothing
# changed), or -1 when a new one was refused at the bound. The version moves with any change, so workers start (or
# stop) making webhook messages for it.
_PUT_LUA = f"""
local old = redis.call('HGET', KEYS[1], ARGV[1])
local bound = tonumber(ARGV[4])
if not old and ARGV[2] ~= '' and bound > 0 and redis.call('HLEN', KEYS[1]) >= bound then return -1 end
local changed = 0
if ARGV[2] == '' then
  if old then
    redis.call('HDEL', KEYS[1], ARGV[1])
    changed = 1
  end
elseif old ~= ARGV[2] then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  changed = 1
end
if (ARGV[3] == '1' or ARGV[2] == '') and redis.call('HDEL', KEYS[3], ARGV[1]) == 1 then
  changed = changed + 2
end
if changed == 0 then return 0 end
{_BUMP_LUA}return changed
"""

# KEYS as _PUT_LUA.  ARGV[1] id  ARGV[2] the webhook URL that answered 410  ARGV[3] the WebhookOff JSON.
# Records it only while the stored subscription still posts to that URL (one changed meanwhile stays on) and
# only once (the first 410 is the one recorded and logged). Returns 1 when it switched the webhook off.
_OFF_LUA = f"""
local body = redis.call('HGET', KEYS[1], ARGV[1])
if not body then return 0 end
local ok, sub = pcall(cjson.decode, body)
if not ok or type(sub) ~= 'table' or sub['webhook'] ~= ARGV[2] then return 0 end
if redis.call('HSETNX', KEYS[3], ARGV[1], ARGV[3]) == 0 then return 0 end
{_BUMP_LUA}return 1
"""


class WebhookOff(BaseModel):
    """A subscription's webhook switched off: its receiver answered 410 Gone. The subscription keeps matching and
    writing alerts to the stream; no webhook message is made for them until the subscription is updated."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    at: datetime
    reason: str = Field(..., max_length=500)


class TooManySubscriptions(WirewatchError, ValueError):
    """Raised when storing a new subscription would pass the deployment's bound (`limits.max_subscriptions`):
    nothing is stored. Each one costs memory in every worker and time at every reload."""

    def __init__(self, bound: int) -> None:
        super().__init__(f"this deployment holds at most {bound} subscription{'s' if bound != 1 else ''} "
                         "(limits.max_subscriptions): remove some, or raise the bound")  # fmt: skip
        self.bound = bound


# Categories a name must not hold (Unicode's general categories): controls (newlines, tabs, escape sequences that
# broke tables and log lines), surrogates (no UTF-8 for them), line and paragraph separators, and format
# characters: bidi overrides that show "exe.gnp" as "png.exe", zero-width spaces that make two names look one.
_NAME_REFUSED = frozenset({"Cc", "Cs", "Zl", "Zp", "Cf"})
# Format characters that writing needs: the zero-width non-joiner and joiner (Persian, Indic scripts, emoji).
_NAME_JOINERS = frozenset({"\u200c", "\u200d"})


def check_name(name: str) -> None:
    """Raise ValueError unless `name` can be shown and logged as one plain line: not blank, no whitespace at either
    end, no control, separator or invisible formatting character (`_NAME_REFUSED`). Refused, not trimmed: the id
    comes from the name, and a name quietly trimmed would replace another subscription than the one asked for.
    The message names the character as U+XXXX and never prints it."""
    if not name.strip():
        raise ValueError("a subscription name must not be blank")
    _check_plain("a subscription name", name, keep=_NAME_JOINERS)
    _check_unlike_others(name)


# Scripts whose letters stand for one another ("а" Cyrillic, "a" Latin, "α" Greek): a word mixing them is how a
# name is made to look like another (the homograph of a domain name, Unicode's UTS #39 "mixed script").
_LOOKALIKE_SCRIPTS = ("LATIN", "GREEK", "CYRILLIC")
_WORD = re.compile(r"[^\W\d_]+")  # runs of letters


def _check_unlike_others(name: str) -> None:
    """Raise ValueError when `name` would look like another name in a list: not in its plain Unicode form (NFKC:
    fullwidth letters, ligatures, an accent as a combining mark; the message gives the form to write), or a word
    of it mixes Latin, Greek and Cyrillic letters (the message names the odd letter as U+XXXX)."""
    plain = unicodedata.normalize("NFKC", name)
    if plain != name:
        raise ValueError(f"a subscription name must be written in its plain Unicode form (NFKC): {plain!r}")
    for word in _WORD.findall(name):
        if word.isascii():
            continue
        scripts = [unicodedata.name(ch, "").partition(" ")[0] for ch in word]
        counts = Counter(script for script in scripts if script in _LOOKALIKE_SCRIPTS)
        if len(counts) > 1:
            (main, _), *_, (rare, _) = counts.most_common()
            odd = word[scripts.index(rare)]
            raise ValueError(f"a subscription name must not mix Latin, Greek and Cyrillic letters in one word "
                             f"(U+{ord(odd):04X} among {main.title()} letters)")  # fmt: skip


def _check_plain(what: str, text: str, keep: frozenset[str] = frozenset()) -> None:
    """Raise ValueError when `text` has whitespace at either end or holds a `_NAME_REFUSED` character not in
    `keep`, naming it as U+XXXX (printed, it would do to the message what it does to a table)."""
    if text != text.strip():
        raise ValueError(f"{what} must not start or end with whitespace")
    for position, ch in enumerate(text):
        if unicodedata.category(ch) in _NAME_REFUSED and ch not in keep:
            raise ValueError(f"{what} must not hold control or invisible formatting characters "
                             f"(U+{ord(ch):04X} at position {position})")  # fmt: skip


def subscription_id(name: str) -> str:
    """Stable id from the name: re-adding a name replaces that subscription."""
    return "sub_" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:16]


def check_secret(secret: str | None, *, required: bool = False) -> None:
    """Raise ValueError unless `secret` is absent (and not `required`: a webhook's alerts are signed with it) or
    WEBHOOK_SECRET_MIN_CHARS to WEBHOOK_SECRET_MAX_CHARS characters long. The one rule for a subscription's secret,
    through `check_webhook` and `validate`, for the CLI, the config file and the HTTP API alike; the message
    gives the length, never the secret."""
    if secret is None and not required:
        return
    if secret is None or len(secret) < c.WEBHOOK_SECRET_MIN_CHARS:
        given = "" if secret is None else f" (this one has {len(secret)})"
        raise ValueError(f"a webhook needs a secret of at least {c.WEBHOOK_SECRET_MIN_CHARS} characters: every alert "
                         f"it gets is signed with it{given}")  # fmt: skip
    if len(secret) > c.WEBHOOK_SECRET_MAX_CHARS:
        raise ValueError(f"a webhook secret may be at most {c.WEBHOOK_SECRET_MAX_CHARS} characters (this one has "
                         f"{len(secret)})")  # fmt: skip


def check_webhook(webhook: str | None, secret: str | None, *, allow_private: bool = True) -> None:
    """Raise ValueError unless `webhook` is absent, or an http(s) URL (one plain line, as a name: `check_name`)
    with a secret to sign its alerts with:
    a receiver cannot tell a forged alert from a real one without the signature, so none goes out unsigned.
    The secret, with a webhook or without, must pass `check_secret`.

    ``allow_private``: the deployment's ``allow_private_networks``. Without it, a webhook whose host is written as
    a loopback, private or link-local address, or is ``localhost``, is refused now rather than at every alert (a
    name that resolves to one is still refused at delivery, which resolves it).
    """
    if webhook is None:
        check_secret(secret)
        return
    # Before the URL is split: urlsplit drops tabs and line breaks, so the POST went to another URL than the one
    # stored and shown, and a bidi override showed it reversed in every listing.
    _check_plain("a webhook URL", webhook)
    if not webhook.lower().startswith(("http://", "https://")) or len(webhook) > 2000:
        raise ValueError("a webhook must be an http:// or https:// URL (at most 2,000 characters)")
    try:
        parts = urlsplit(webhook)
        parts.port  # noqa: B018 - raises for a port out of range
    except ValueError as e:
        raise ValueError(f"a webhook must be a valid URL: {e}") from None
    if not parts.hostname:
        raise ValueError("a webhook URL must name a host")
    if not parts.hostname.isascii():
        try:  # as the delivery will (producers/fetch.py): refused now, not at every alert
            parts.hostname.encode("idna")
        except UnicodeError:
            raise ValueError("a webhook URL's host name is not a valid internationalised domain name") from None
    # Checked before the private-address rule, whose advice (allow private networks) would not help.
    check_webhook_host(parts.hostname)
    if not allow_private and private_host(parts.hostname):
        raise ValueError(f"a webhook to {parts.hostname} would never be sent: it is a loopback, private or "
                         "link-local address (set allow_private_networks to post alerts to a receiver on your own "
                         "network)")  # fmt: skip
    if parts.username is not None or parts.password is not None:  # the POST refuses them: it would never be sent
        raise ValueError("a webhook URL must not carry credentials (user:password@); alerts are signed instead")
    check_secret(secret, required=True)


def check_webhook_host(host: str) -> None:
    """Raise ValueError for a webhook host no delivery can reach: an IPv6 zone id names an interface of the sending
    machine, and a percent-encoded name is looked up as written, `%` and all. The rule of `check_webhook` at add,
    and of the delivery for webhooks stored before it (`worker.webhooks.attempt_delivery`)."""
    if "%" not in host:
        return
    if ":" in host:
        raise ValueError("a webhook URL's IPv6 address must not carry a zone id (`%25eth0`): it names a network "
                         "interface of the sending machine, never a receiver; give the address alone")  # fmt: skip
    raise ValueError("a webhook URL's host name must not be percent-encoded (`%`)")


def webhook_origin(url: str) -> str:
    """Where a webhook goes, without what lets anyone post there: ``scheme://host[:port]/…``. The path and query of
    a chat service's incoming webhook (Slack's ``/services/T…/B…/…``, Discord's ``/api/webhooks/<id>/<token>``,
    a ``?key=`` or ``?token=``) and any user-info are its credential, as much as the signing secret is ours."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port
    except ValueError:
        return "…"
    host = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{host}{f':{port}' if port else ''}/…"


def validate(name: str, query: str, webhook: str | None = None, secret: str | None = None, *,
             allow_private: bool = True) -> Subscription:  # fmt: skip
    """A checked Subscription; raises QuerySyntaxError (with the position) or ValueError. ``allow_private``: as
    `check_webhook`'s (the deployment's setting, where there is one)."""
    check_name(name)
    parse_query(query)
    check_webhook(webhook, secret, allow_private=allow_private)
    return Subscription(id=subscription_id(name), name=name, query=query, webhook=webhook, secret=secret)


_KEYS = (c.SUBSCRIPTIONS, c.SUBSCRIPTIONS_VERSION, c.WEBHOOKS_OFF)  # of _PUT_LUA and _OFF_LUA


def _put(client: redis.Redis, sid: str, body: str, webhook_on: bool = True, bound: int = 0) -> int:
    return int(client.eval(_PUT_LUA, len(_KEYS), *_KEYS, sid, body, "1" if webhook_on else "0", bound))


def put_subscription(client: redis.Redis, sub: Subscription, *, webhook_on: bool = True,
                     max_subscriptions: int | None = None) -> bool:  # fmt: skip
    """Store (or replace) a subscription; True when that changed anything. Storing it is updating it: a webhook
    switched off by its receiver (`switch_webhook_off`) is switched back on, unless `webhook_on` is False (the
    config's entries, stored again at every start, must not undo a receiver's 410 each time).

    ``max_subscriptions``: the deployment's `limits.max_subscriptions`, which every front door passes; a new
    subscription past it raises TooManySubscriptions (a replacement never does). None: no bound."""
    parse_query(sub.query)  # the last gate before workers: never store what they cannot compile
    changed = _put(client, sub.id, sub.model_dump_json(), webhook_on, max_subscriptions or 0)
    if changed < 0:
        log.warning("subscription_refused", subscription_id=sub.id, reason="too_many",
                    max_subscriptions=max_subscriptions)  # fmt: skip
        raise TooManySubscriptions(max_subscriptions or 0)
    if changed & 2 and sub.webhook:
        log.info("webhook_switched_on", subscription_id=sub.id, receiver=webhook_origin(sub.webhook or ""))
    return changed > 0


def remove_subscription(client: redis.Redis, name_or_id: str) -> bool:
    """Delete by name or id (and any record of its webhook switched off); False when there was no such
    subscription."""
    if _put(client, name_or_id, "") & 1:
        return True
    return bool(_put(client, subscription_id(name_or_id), "") & 1)


def switch_webhook_off(client: redis.Redis, sid: str, webhook: str, reason: str, at: datetime) -> bool:
    """Record that the receiver at `webhook` said it is gone: True when that switched the subscription's webhook
    off now; False when it was off already, or the subscription (or its webhook) changed since it was read."""
    record = WebhookOff(at=at, reason=reason[:500]).model_dump_json()
    return bool(client.eval(_OFF_LUA, len(_KEYS), *_KEYS, sid, webhook, record))


def webhook_off(client: redis.Redis, sid: str) -> WebhookOff | None:
    """Why and since when the subscription's webhook is off, or None when it is on (or there is none)."""
    body = client.hget(c.WEBHOOKS_OFF, sid)
    return None if body is None else WebhookOff.model_validate_json(body)


def webhooks_off(client: redis.Redis) -> dict[str, WebhookOff]:
    """Every webhook switched off, by subscription id."""
    raw: dict[str, str] = client.hgetall(c.WEBHOOKS_OFF)  # type: ignore[assignment]
    return {sid: WebhookOff.model_validate_json(body) for sid, body in raw.items()}


def list_subscriptions(client: redis.Redis) -> list[Subscription]:
    """Every stored subscription, by name."""
    raw: dict[str, str] = client.hgetall(c.SUBSCRIPTIONS)  # type: ignore[assignment]
    subs = [Subscription.model_validate_json(body) for body in raw.values()]
    return sorted(subs, key=lambda s: s.name)


def get_subscription(client: redis.Redis, sid: str) -> Subscription | None:
    body = client.hget(c.SUBSCRIPTIONS, sid)
    return None if body is None else Subscription.model_validate_json(body)


def find_subscription(client: redis.Redis, name_or_id: str) -> Subscription | None:
    """By id, else by name (the rule `remove_subscription` follows); None when there is no such subscription."""
    return get_subscription(client, name_or_id) or get_subscription(client, subscription_id(name_or_id))


def sync_config(client: redis.Redis, settings: Settings) -> int:
    """Store the config file's `subscriptions:` entries; returns how many changed.

    Config entries are upserted, never deleted from Redis: subscriptions added at run time stay.
    Raises QuerySyntaxError for a malformed query, ValueError for a bad name or webhook, or an entry past
    `limits.max_subscriptions` (each names the entry).
    """
    changed = 0
    for entry in settings.subscriptions:
        secret = entry.secret.get_secret_value() if entry.secret is not None else None
        try:
            sub = validate(entry.name, entry.query, entry.webhook, secret,
                           allow_private=settings.allow_private_networks)  # fmt: skip
        except QuerySyntaxError as e:
            raise QuerySyntaxError(f"subscription {entry.name!r}: {e.message}", e.position, e.query) from e
        except ValueError as e:
            raise ValueError(f"subscription {entry.name!r}: {e}") from e
        stored = get_subscription(client, sub.id)
        # The same webhook as stored: one its receiver switched off stays off (a 410 is not undone by a restart).
        same_webhook = stored is not None and stored.webhook == sub.webhook
        try:
            changed += put_subscription(client, sub, webhook_on=not same_webhook,
                                        max_subscriptions=settings.limits.max_subscriptions)  # fmt: skip
        except TooManySubscriptions as e:
            raise ValueError(f"subscription {entry.name!r}: {e}") from e
    return changed


def _compile_stored(sid: str, text: str) -> Query:
    """A stored query, compiled; one that a newer rule refuses is kept with its old meaning and a warning."""
    try:
        return parse_query(text)
    except QuerySyntaxError as e:
        query = parse_query(text, strict=False)  # raises again when it never parsed
        log.warning("subscription_query_outdated", subscription_id=sid, reason=e.message,
                    action="kept with its old meaning; re-add it to change it")  # fmt: skip
        return query


class SubscriptionIndex:
    """A worker's compiled view of the stored subscriptions, refreshed when their version moves."""

    def __init__(
        self,
        client: redis.Redis,
        poll_s: float = c.SUBSCRIPTIONS_POLL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.poll_s = poll_s
        self.clock = clock
        self.percolator = Percolator()
        self.subscriptions: dict[str, Subscription] = {}
        self.with_webhook: set[str] = set()  # ids of the subscriptions that have a webhook, switched on
        self._bodies: dict[str, str] = {}
        self.version: int | None = None
        self._checked_at = float("-inf")

    def current(self) -> Percolator:
        """The percolator, brought up to date if the version may have moved since the last look."""
        now = self.clock()
        if now - self._checked_at >= self.poll_s:
            self._checked_at = now
            version = int(self.client.get(c.SUBSCRIPTIONS_VERSION) or 0)
            if version != self.version:
                self._reload(version)
        return self.percolator

    def _reload(self, version: int) -> None:
        # Read the version before the hashes: a change in between makes us reload once more, never miss it.
        pipe = self.client.pipeline(transaction=True)
        pipe.hgetall(c.SUBSCRIPTIONS)
        pipe.hgetall(c.WEBHOOKS_OFF)
        raw, off = pipe.execute()
        added = removed = 0
        for sid in [s for s in self._bodies if s not in raw]:
            self.percolator.remove(sid)
            del self._bodies[sid], self.subscriptions[sid]
            self.with_webhook.discard(sid)
            removed += 1
        for sid, stored in raw.items():
            # A webhook switched off by its receiver (a 410) is a change too: its alerts are still written, and
            # the copy held here has no webhook, so no webhook message (nor outbox entry) is made for them.
            body = stored if sid not in off else f"{stored}\n{off[sid]}"
            if self._bodies.get(sid) == body:
                continue
            try:
                if not sid or any(ch.isspace() for ch in sid):  # alert claims pass ids joined by newlines
                    raise ValueError("a subscription id must be non-empty, without whitespace")
                sub = Subscription.model_validate_json(stored)
                query = _compile_stored(sid, sub.query)
            except (ValueError, QuerySyntaxError) as e:  # stored by something that skipped validation
                log.error("subscription_invalid", subscription_id=sid, reason=str(e))
                self.percolator.remove(sid)
                self._bodies.pop(sid, None)
                self.subscriptions.pop(sid, None)
                self.with_webhook.discard(sid)
                continue
            if sid in off:
                sub = sub.model_copy(update={"webhook": None})
            self.percolator.add(sid, query)
            self._bodies[sid] = body
            self.subscriptions[sid] = sub
            if sub.webhook:  # kept up to date in place: a reload of one must not replace a frozen set
                self.with_webhook.add(sid)
            else:
                self.with_webhook.discard(sid)
            added += 1
        log.info("subscriptions_loaded", version=version, total=len(self.percolator), changed=added,
                 removed=removed)  # fmt: skip
        self.version = version
        if added >= FREEZE_AFTER_ADDED:  # a bulk load: keep the collector off it (worker/heap.py)
            heap.freeze("subscriptions_loaded")
