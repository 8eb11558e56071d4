"""One poll of one feed: fetch (politely), parse if changed, hand new items on, schedule the next poll.

A plain function of (claim, dependencies): the Celery task and ``run --once`` call it the same way. Every
poll ends in exactly one outcome — ``new``, ``unchanged``, ``not_modified``, ``deferred`` (host busy),
``error:<kind>``, ``lost`` (the lease passed to another poller) or ``removed`` — logged once, with the feed's
next poll time written in the same atomic step that releases the claim.

A feed is claimed by the URL it was added as (`FeedRecord.key`) and fetched where it lives now (`FeedRecord.url`):
a permanent redirect to a URL `move_refused` accepts moves it there in the completing step (`feed_moved`).

Health an operator needs without the logs goes to the feed's record (the last of each kind, shown by
``feeds list`` and ``/v1/feeds``) and to the ``ww:feeds`` stream: broken / recovered, quiet / resumed, moved
(`FeedMove`) and a ttl or max-age cut to the feed's ceiling (`HintClamp`).
"""

from __future__ import annotations

import hashlib
import html
import random
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urljoin, urlsplit

from producers.feeds import FeedError, FeedParseError, parse_feed
from producers.fetch import PAGE_POLICY, FetchError, FetchPolicy, FetchResult, fetch
from producers.schedule import (
    FEED_BROKEN_AFTER,
    FEED_BROKEN_AT_ONCE,
    FEED_UNCONDITIONAL_EVERY,
    HOST_HOLD_MAX_S,
    HOST_HOLD_S,
    Claim,
    FeedMove,
    FeedRecord,
    FeedSchedule,
    HintClamp,
    HostGate,
    failure_delay,
    feed_url,
    fresh_for,
    freshened_headers,
    freshness_lifetime,
    hint_past_ceiling,
    is_quiet,
    kept_cache_fields,
    move_refused,
    published_ts,
    remember_items,
    success_delay,
    utc_datetime,
)
from schemas.models import RawArticle
from wirewatch.logs import get_logger

log = get_logger("wirewatch.feeds")

FULL_TEXT_MAX_PAGES = 20  # article pages fetched per poll; the rest go on with the feed's own content
# all of a poll's page fetches together: 20 pages at the 30 s fetch deadline would outlast the lease (300 s), and
# another poll of the feed would start; this leaves the feed's own fetch, parsing and hand-off ample room
FULL_TEXT_BUDGET_S = 120.0
FULL_TEXT_MIN_S = 1.0  # less time than this left in the budget: the remaining items keep the feed's content
HEALTH_SCHEMA = "wirewatch.feed_health/1"
# Two hints past the ceiling that end within this of each other are one Expires seen again (`_clamp_said`); Date
# and Expires are whole seconds, read on the server's clock
CLAMP_SAME_END_S = 60.0

Enqueue = Callable[[Sequence[RawArticle]], Any]
Fetcher = Callable[..., FetchResult]


@dataclass(frozen=True)
class PollOutcome:
    url: str
    outcome: str
    new_items: int = 0
    next_poll_at: float | None = None
    error: str | None = None
    articles: list[RawArticle] = field(default_factory=list, repr=False)


def poll_feed(
    schedule: FeedSchedule,
    gate: HostGate,
    claim: Claim,
    enqueue: Enqueue,
    *,
    policy: FetchPolicy,
    fetcher: Fetcher = fetch,
    now: Callable[[], float] = time.time,
    rng: random.Random | None = None,
) -> PollOutcome:
    """Poll the claimed feed once and release the claim with its next poll time.

    Round trips to Redis for a feed that has not changed: one to read its record and take its host's slot, one
    to give both back with the next poll time. A changed feed gives the slot back as soon as it is fetched.
    """
    rng = rng or random.Random()
    host = _host(claim.url)
    reading = gate.acquire_reading(claim, host, now())
    wait, record = reading.wait, reading.record
    if reading.lost:  # a message queued past its lease: the feed's new claim does the fetching
        return _done(PollOutcome(claim.url, "lost"))
    if record is None:
        schedule.complete(claim, None, now())
        return _done(PollOutcome(claim.url, "removed"))
    if wait > 0:
        at = now() + wait + rng.uniform(0, 0.5)
        ok = schedule.complete(claim, None, at)
        return _done(PollOutcome(claim.url, "deferred" if ok else "lost", next_poll_at=at))
    if record.added_as is not None and _host(record.url) != host:
        # Moved to another host: the slot and the politeness clock are those of the host fetched. (Read with the
        # record, the slot could only be the claimed URL's; a moved feed pays this extra round trip.)
        gate.release(host, claim.token)
        host = _host(record.url)
        wait = gate.acquire(host, claim.token, now())
        if wait > 0:
            at = now() + wait + rng.uniform(0, 0.5)
            ok = schedule.complete(claim, None, at)
            return _done(PollOutcome(claim.url, "deferred" if ok else "lost", next_poll_at=at))
    slot = _Slot(gate, host, claim.token)
    unconditional = record.polls > 0 and record.polls % FEED_UNCONDITIONAL_EVERY == 0
    try:
        try:
            result = fetcher(
                record.url,
                policy=policy,
                etag=None if unconditional else record.state.etag,
                last_modified=None if unconditional else record.state.last_modified,
            )
        except FetchError as exc:
            return _failed(schedule, claim, record, exc, now(), rng, slot)
        return _after_fetch(schedule, claim, record, result, enqueue, policy, fetcher, now(), rng, slot)
    except FeedError as exc:
        return _failed(schedule, claim, record, exc, now(), rng, slot)
    except Exception as exc:
        # A bug, or a reply nobody foresaw: scored like any failure (backoff, error streak, feed_broken), so the
        # feed is not polled again at every lease, and the other feeds of a `run --once` go on. Nothing was
        # marked seen, so the items come round again.
        log.exception("feed_poll_crashed", url=claim.url, error=repr(exc))  # with the traceback
        return _failed(schedule, claim, record, _Internal(f"{type(exc).__name__}: {exc}"), now(), rng, slot)
    finally:
        slot.release()  # after an error on the way: the slot must not wait for its expiry


def _host(url: str) -> str:
    try:
        return urlsplit(url).hostname or ""
    except ValueError:  # `http://[::1`: no host to be polite to; the fetch refuses the URL, scored as bad_url
        return ""


class _Internal(Exception):
    """Stands for an unexpected exception in a poll, so it is scored as ``error:internal``."""

    kind = "internal"


@dataclass
class _Slot:
    """The poll's slot for its feed's host (`HostGate`): held from before the fetch until given back."""

    gate: HostGate
    host: str
    token: str
    held: bool = True

    def release(self) -> None:
        if self.held:
            self.gate.release(self.host, self.token)
            self.held = False


def _complete(schedule: FeedSchedule, claim: Claim, record: FeedRecord, next_at: float, slot: _Slot) -> bool:
    """Release the claim with the record and next poll time, and the host slot if still held, in one step."""
    ok = schedule.complete(claim, record, next_at, release_host=slot.host if slot.held else None)
    slot.held = False
    return ok


def _complete_moved(
    schedule: FeedSchedule,
    claim: Claim,
    record: FeedRecord,
    moved_from: str,
    next_at: float,
    slot: _Slot,
    at: float,
) -> bool:
    """`_complete` for a feed a permanent redirect moves from ``moved_from`` to ``record.url``, the move kept as
    its last (`FeedMove`) and sent as a ``feed_moved`` health event; when another feed is monitored there, it
    stays where it was (two feeds are not merged into one) and says so once."""
    move = FeedMove(from_url=moved_from, to_url=record.url, at=utc_datetime(at))
    moved = record.model_copy(update={"last_move": move})
    done = schedule.complete_moved(claim, moved, moved_from, next_at, release_host=slot.host if slot.held else None,
                                   now=at)  # fmt: skip
    slot.held = False
    if done == "taken":
        target = record.url
        stayed = record.model_copy(update={"state": record.state.model_copy(update={"url": moved_from}),
                                           "added_as": None if moved_from == claim.url else claim.url})  # fmt: skip
        return schedule.complete(claim, _refused(claim, stayed, target, "taken"), next_at)
    if done == "done":
        log.bind(feed=claim.url).info("feed_moved", from_origin=_origin(moved_from), to_origin=_origin(record.url))
        _health(schedule, moved, "feed_moved", at, from_url=moved_from, to_url=record.url, log_it=False)
    return done == "done"


def _after_fetch(
    schedule: FeedSchedule,
    claim: Claim,
    record: FeedRecord,
    result: FetchResult,
    enqueue: Enqueue,
    policy: FetchPolicy,
    fetcher: Fetcher,
    at: float,
    rng: random.Random,
    slot: _Slot,
) -> PollOutcome:
    body_hash = None if result.not_modified else hashlib.sha256(result.body).hexdigest()
    # what the feed asks (its max-age or Expires: a clamp is said of that) and what is left of it (an answer a CDN
    # kept for most of its max-age holds the feed off for the rest only); a 304 read with what the last 200 said
    cache = freshened_headers(record.cache_headers, result.headers, not_modified=result.not_modified)
    lifetime = freshness_lifetime(cache, received_at=at)
    hints = {"max_age_s": lifetime, "ttl_s": record.ttl_s}
    fresh_s = fresh_for(lifetime, cache, received_at=at, response_delay_s=result.elapsed_s)
    record = record.model_copy(update={"cache_headers": kept_cache_fields(cache)})
    # A 200's validators are its body's, none included; a 304 may leave them out, and those held still hold.
    etag, last_modified = result.etag, result.last_modified
    if result.not_modified:
        etag, last_modified = etag or record.state.etag, last_modified or record.state.last_modified
    moved_from = None
    if result.permanent_url:
        record, moved_from = _moving(claim, record, result.permanent_url)
    elif record.refused_move is not None:  # the redirect is gone: a refusal is said again if it comes back
        record = record.model_copy(update={"refused_move": None})
    if result.not_modified or body_hash == record.body_hash:
        outcome = "not_modified" if result.not_modified else "unchanged"
        record = _succeeded(schedule, record, at, outcome_status="not_modified", etag=etag, last_modified=last_modified)
        return _finish(schedule, claim, record, at, rng, outcome, slot, hints=hints, fresh_s=fresh_s,
                       moved_from=moved_from)  # fmt: skip

    slot.release()  # before parsing and hand-off: the host is free for other polls
    # items keep the ids of the URL the feed was added as (claim.url), wherever it lives now
    try:
        parsed = parse_feed(result.body, feed_url=record.url, headers=result.headers, name=record.state.name,
                            id_scope=claim.url)  # fmt: skip
    except FeedParseError as exc:
        named = feeds_named(result.body, result.url) if _HTML_PAGE.search(result.body[:2048]) else []
        if not named:
            raise
        raise FeedParseError(f"{exc}; the page names these feeds: {', '.join(named)}") from exc
    if parsed.dropped_items:  # the oldest items past FEED_MAX_ITEMS: said once per poll, never silently
        log.warning("feed_items_dropped", url=claim.url, dropped=parsed.dropped_items, kept=len(parsed.articles))
    ids = [a.delivery_id for a in parsed.articles]
    seen = schedule.sightings(claim.url, list(zip(ids, parsed.link_fingerprints, strict=True)))
    articles = [a if s.delivery_id == a.delivery_id else a.model_copy(update={"delivery_id": s.delivery_id})
                for a, s in zip(parsed.articles, seen, strict=True)]  # fmt: skip
    new = [a for a, s in zip(articles, seen, strict=True) if s.new]
    if new and record.full_text:
        budget_end = time.monotonic() + FULL_TEXT_BUDGET_S
        new = [_with_full_text(a, policy, fetcher, budget_end) if i < FULL_TEXT_MAX_PAGES else a
               for i, a in enumerate(new)]  # fmt: skip
    if new:
        enqueue(new)
    # after the hand-off: a crash in between re-sends, never loses. A guid's own id is marked with any id of it
    # under another link, so the guid stays remembered (with its first link) while the feed lists it.
    first_links = {i: fp for i, fp in zip(ids, parsed.link_fingerprints, strict=True) if fp is not None}
    marked = list(dict.fromkeys([*ids, *(s.delivery_id for s in seen)]))
    schedule.mark_seen(claim.url, marked, at, first_links=first_links)

    times = [published_ts(p, at, a.language) or at
             for p, a, s in zip(parsed.published, articles, seen, strict=True) if s.new]  # fmt: skip
    if new:
        if record.quiet:
            _health(schedule, record, "feed_resumed", at)
        record = record.model_copy(
            update={"item_times": remember_items(times, record), "last_new_at": at, "quiet": False}
        )
    record = record.model_copy(update={"body_hash": body_hash, "ttl_s": parsed.ttl_s})
    record = _succeeded(
        schedule,
        record,
        at,
        outcome_status="ok",
        items=len(new),
        name=record.state.name or parsed.title,
        etag=etag,
        last_modified=last_modified,
    )
    hints["ttl_s"] = parsed.ttl_s
    return _finish(schedule, claim, record, at, rng, "new" if new else "unchanged", slot, hints=hints,
                   fresh_s=fresh_s, articles=new, moved_from=moved_from)  # fmt: skip


_HTML_PAGE = re.compile(rb"<(?:!doctype\s+)?html[\s>]", re.I)
_LINK_TAG = re.compile(rb"<link\b[^>]*>", re.I)
_ATTRIBUTE = re.compile(rb"""([a-z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""", re.I)
_FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/feed+json", "application/json",
                         "application/rdf+xml", "application/xml", "text/xml"})  # fmt: skip
FEEDS_NAMED_MAX = 5  # feeds a page's error lists
_DISCOVERY_BYTES = 256 * 1024  # a page's feed links are in its head


def feeds_named(page: bytes, page_url: str) -> list[str]:
    """The feeds an HTML page names (``<link rel="alternate" type="application/rss+xml" href=...>``, feed
    autodiscovery), as absolute URLs, in page order, at most FEEDS_NAMED_MAX. Said in a poll's error, not
    followed: a feed URL that turns into a page (a redesign, a parked domain, a login wall) must not become
    whichever feed that page names without a person choosing it (`feeds add`)."""
    found: list[str] = []
    for tag in _LINK_TAG.findall(page[:_DISCOVERY_BYTES]):
        attrs = {m[0].lower(): (m[1] or m[2] or m[3]) for m in _ATTRIBUTE.findall(tag)}
        rels = attrs.get(b"rel", b"").lower().split()
        kind = attrs.get(b"type", b"").split(b";")[0].strip().lower().decode("ascii", "replace")
        href = html.unescape(attrs.get(b"href", b"").strip().decode("utf-8", "replace"))
        if b"alternate" in rels and kind in _FEED_TYPES and href:
            try:
                url = urljoin(page_url, href)
            except ValueError:
                continue
            if url.startswith(("http://", "https://")) and url not in found:
                found.append(url)
    return found[:FEEDS_NAMED_MAX]


def _moving(claim: Claim, record: FeedRecord, permanent_url: str) -> tuple[FeedRecord, str | None]:
    """The record moved to where an all-permanent redirect chain ended, with the URL it moves from; or the
    record as it was (None) when that is where it is, or the move is refused (said once per target)."""
    target = feed_url(permanent_url)
    if target == record.url:
        return record, None
    reason = move_refused(record.url, target)
    if reason is not None:
        return _refused(claim, record, target, reason), None
    state = record.state.model_copy(update={"url": target})
    added_as = None if target == claim.url else claim.url  # back where it was added: no longer moved
    return record.model_copy(update={"state": state, "added_as": added_as}), record.url


def _refused(claim: Claim, record: FeedRecord, target: str, reason: str) -> FeedRecord:
    """The record remembering the refused target, so the refusal is logged once, not at every poll."""
    if record.refused_move != target:
        log.bind(feed=claim.url).warning(
            "feed_move_refused", reason=reason, from_origin=_origin(record.url), to_origin=_origin(target)
        )
    return record.model_copy(update={"refused_move": target})


def _origin(url: str) -> str:
    """Scheme, host and port of a URL: where a feed moved from and to, at a glance."""
    try:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.hostname or ''}" + (f":{parts.port}" if parts.port else "")
    except ValueError:
        return "?"


def _with_full_text(article: RawArticle, policy: FetchPolicy, fetcher: Fetcher, budget_end: float) -> RawArticle:
    """The item's page as HTML content (the pipeline extracts the article from it); the feed's own content
    stays when the page cannot be fetched or read, or the poll's time for pages (``budget_end``) is spent."""
    left = budget_end - time.monotonic()
    if not article.url or left < FULL_TEXT_MIN_S:
        return article
    page_policy = replace(
        PAGE_POLICY,
        deadline_s=min(PAGE_POLICY.deadline_s, left),
        allow_private_networks=policy.allow_private_networks,
        allowed_networks=policy.allowed_networks,
        resolver=policy.resolver,
    )
    try:
        page = fetcher(article.url, policy=page_policy)
        text = _decode_page(page)
    except FetchError as exc:
        log.info("full_text_failed", url=article.url, kind=exc.kind, error=str(exc))
        return article
    except Exception as exc:  # one bad page must not cost the feed's other items: they are not handed on yet
        log.warning("full_text_failed", url=article.url, kind="internal", error=repr(exc))
        return article
    return article.model_copy(update={"content": text, "content_type": "html", "summary": article.summary})


def _decode_page(page: FetchResult) -> str:
    try:
        return page.body.decode(_charset(page.headers) or "utf-8", "replace")
    except (UnicodeError, LookupError):  # a label Python knows that is no text encoding (`charset=idna`)
        return page.body.decode("utf-8", "replace")


def _charset(headers: dict[str, str]) -> str | None:
    content_type = headers.get("content-type", "")
    if "charset=" in content_type:
        label = content_type.split("charset=", 1)[1].split(";")[0].strip().strip('"')
        try:
            "".encode(label)
            return label
        except LookupError:
            return None
    return None


def _succeeded(
    schedule: FeedSchedule,
    record: FeedRecord,
    at: float,
    *,
    outcome_status: str,
    etag: str | None,
    last_modified: str | None,
    items: int = 0,
    name: str | None = None,
) -> FeedRecord:
    if record.broken:
        _health(schedule, record, "feed_recovered", at)
    state = record.state.model_copy(
        update={
            "last_polled_at": utc_datetime(at),
            "last_success_at": utc_datetime(at),
            "last_status": outcome_status,
            "error_streak": 0,
            "items_seen": record.state.items_seen + items,
            "etag": etag,
            "last_modified": last_modified,
            "name": name or record.state.name,
        }
    )
    record = record.model_copy(update={"state": state, "broken": False, "last_error": None, "last_error_kind": None})
    if not record.quiet and is_quiet(record, at):
        _health(schedule, record, "feed_quiet", at)
        record = record.model_copy(update={"quiet": True})
    return record


def _clamp_said(record: FeedRecord, over: float, at: float) -> bool:
    """Whether a hint past the ceiling was said already, while it has stayed past it: the same span as at the last
    poll (a ttl, a max-age), or one ending at the same time as the one said (an Expires, kept over the 304s that
    follow, asks for less at each: 24 h, then 18 h, still one hint)."""
    if record.hint_clamped_s is None:
        return False
    if over == record.hint_clamped_s:
        return True
    said = record.last_hint_clamp
    return said is not None and abs(at + over - (said.at.timestamp() + said.hint_s)) <= CLAMP_SAME_END_S


def _finish(
    schedule: FeedSchedule,
    claim: Claim,
    record: FeedRecord,
    at: float,
    rng: random.Random,
    outcome: str,
    slot: _Slot,
    *,
    hints: dict[str, float | None],
    fresh_s: float | None = None,
    articles: list[RawArticle] | None = None,
    moved_from: str | None = None,
) -> PollOutcome:
    over = hint_past_ceiling(record, **hints)
    clamp = None
    if over is not None and not _clamp_said(record, over, at):  # said when first seen, not at every poll
        log.bind(feed=claim.url).info("feed_hint_clamped", hint_s=over, ceiling_s=record.ceiling_s)
        hint = "ttl" if hints.get("ttl_s") == over else "max_age"
        clamp = HintClamp(hint=hint, hint_s=over, ceiling_s=record.ceiling_s, at=utc_datetime(at))
        record = record.model_copy(update={"last_hint_clamp": clamp})
    if over is not None or any(hints.values()):
        record = record.model_copy(update={"hint_clamped_s": over})
    delay = success_delay(record, at, rng, ttl_s=hints.get("ttl_s"), max_age_s=fresh_s)
    next_at = at + delay
    record = record.model_copy(
        update={
            "polls": record.polls + 1,
            "state": record.state.model_copy(update={"next_poll_at": utc_datetime(next_at), "interval_s": delay}),
        }
    )
    if moved_from is None:
        ok = _complete(schedule, claim, record, next_at, slot)
    else:
        ok = _complete_moved(schedule, claim, record, moved_from, next_at, slot, at)
    if ok and clamp is not None:  # once stored: a poll that lost its lease says it at the next one
        _health(schedule, record, "feed_hint_clamped", at, hint=clamp.hint, hint_s=clamp.hint_s,
                ceiling_s=clamp.ceiling_s, log_it=False)  # fmt: skip
    return _done(
        PollOutcome(
            claim.url,
            outcome if ok else "lost",
            new_items=len(articles or []),
            next_poll_at=next_at,
            articles=articles or [],
        )
    )


def _failed(
    schedule: FeedSchedule,
    claim: Claim,
    record: FeedRecord,
    exc: FetchError | FeedError | _Internal,
    at: float,
    rng: random.Random,
    slot: _Slot,
) -> PollOutcome:
    kind = exc.kind
    streak = record.state.error_streak + 1
    retry_after = getattr(exc, "retry_after_s", None)
    if kind == "http_429" or (kind == "http_5xx" and retry_after):  # the host asks it of us, not of this feed
        hold = min(retry_after or HOST_HOLD_S, HOST_HOLD_MAX_S)
        slot.gate.hold(slot.host, hold, at)
        log.bind(feed=claim.url).info(
            "feed_host_held", host=slot.host, seconds=hold, status=getattr(exc, "status", None)
        )
    delay = failure_delay(kind, streak, rng, retry_after_s=retry_after, floor_s=record.floor_s)
    next_at = at + delay
    state = record.state.model_copy(
        update={
            "last_polled_at": utc_datetime(at),
            "last_status": "error",
            "error_streak": streak,
            "next_poll_at": utc_datetime(next_at),
        }
    )
    record = record.model_copy(
        update={"state": state, "last_error": str(exc)[:500], "last_error_kind": kind, "polls": record.polls + 1}
    )
    if (streak >= FEED_BROKEN_AFTER or kind in FEED_BROKEN_AT_ONCE) and not record.broken:
        _health(schedule, record, "feed_broken", at)
        record = record.model_copy(update={"broken": True})
    ok = _complete(schedule, claim, record, next_at, slot)
    return _done(PollOutcome(claim.url, f"error:{kind}" if ok else "lost", next_poll_at=next_at, error=str(exc)))


def _health(
    schedule: FeedSchedule, record: FeedRecord, kind: str, at: float, *, log_it: bool = True, **detail: object
) -> None:
    """One health event on ``ww:feeds`` (with ``detail``: the move's URLs, the clamped hint), and its log line
    unless the caller logs its own (``feed_moved``, ``feed_hint_clamped``)."""
    state = record.state
    event = {
        "schema": HEALTH_SCHEMA,
        "type": kind,
        "url": state.url,
        "name": state.name,
        "at": utc_datetime(at).isoformat(),
        "error_kind": record.last_error_kind,
        "error": record.last_error,
        "error_streak": state.error_streak,
        "last_success_at": state.last_success_at.isoformat() if state.last_success_at else None,
        "last_new_item_at": utc_datetime(record.last_new_at).isoformat() if record.last_new_at else None,
        "added_as": record.added_as,
        **detail,
    }
    schedule.emit_health(event)
    if log_it:
        log.warning(kind, url=state.url, error_kind=record.last_error_kind, error_streak=state.error_streak)


def _done(outcome: PollOutcome) -> PollOutcome:
    log.info(
        "feed_polled",
        url=outcome.url,
        outcome=outcome.outcome,
        new_items=outcome.new_items,
        next_poll_at=utc_datetime(outcome.next_poll_at).isoformat() if outcome.next_poll_at else None,
        error=outcome.error,
    )
    return outcome
