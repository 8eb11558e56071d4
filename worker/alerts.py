"""The match stage's output: one AlertEvent per subscription per story, and webhook jobs for them.

For a batch of new articles: match each against the worker's compiled subscriptions, drop the
(subscription, story) pairs that already alerted (one MGET of the stories' claims, so matched terms are only
worked out for alerts that will be written), then one call of ``alerts.lua`` per chunk of pairs claims each
pair and appends its alert to ``ww:alerts`` atomically. A story's claims are one string
(``c.alert_claim_key``: the ids of the subscriptions that alerted on it, each ended by a newline), so Redis
sees one key and answers one reply element per story, not one per pair: a copy of a story that alerted on a
hundred subscriptions costs one short MGET element, not a hundred lookups. A redelivered batch computes the
same deterministic alert ids and finds its claims, so it never alerts twice; a copy of a story that already
alerted (same ``story_id``) does not alert again.

A subscription deleted after the worker last reloaded them (it looks every ``SUBSCRIPTIONS_POLL_S``) writes no
alert: the script is given the version of the subscriptions matched with, and when the stored version has moved
it checks that each alert's subscription is still there, in the same atomic step as the write. So no alert is
written after its subscription's deletion is stored. (A query changed within that window can still alert once
on the old query.)

The pipeline queues the alerts and then the emits of the articles they name on one MULTI/EXEC
(:func:`queue_alerts`, ``worker/emit.py``): both are written or neither is. A worker dying before the EXEC leaves
nothing, and the redelivery does it all; dying after it, the redelivery finds its deliveries settled and only
publishes the webhook messages still in the outbox (:func:`unsent_webhooks_naming`). So no alert names an
article that is not in ``ww:events``, and none is lost (at most once per subscription and story, through the
claim). Until 2026-12-01 the alerts were one call and the emit the next: a worker killed between the two every
time, until its delivery was dead-lettered, left alerts naming an article never emitted.

An alert names only the copy that is emitted. Exact copies (same canonical URL or same normalised text) of
one article can be in flight at once, in one batch or on two workers, all past the dedup check; which one
is emitted used to be decided at emit, after the alerts, so a story's alert could name (``article_id``), and
describe, a copy that then settled as a duplicate. Now ``alerts.lua`` writes an alert only for an article
holding its exact claims (``worker/dedup.py``), taking them in its delivery's name when they are free, in
the same atomic step as the alert; the settle script honours that reservation, so the copy whose alerts came
first is the one emitted, and a copy whose claims another copy holds raises nothing (its pairs stay free for
the copy that is emitted, which alerts on its own match). The same MGET that reads the stories' claims reads
the articles' exact claims, so a copy known to be held back is not chosen for a pair.

An article typically matches tens of subscriptions out of 10,000, so the cost per alert matters: the
alert JSON is assembled from pieces serialised once per article and once per subscription (the contract
test checks it equals ``AlertEvent.model_dump_json``), and Redis sees two script calls per batch, not two per
alert.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from importlib import resources
from typing import Any

import redis

from schemas import AlertEvent, ArticleEvent, Subscription
from schemas.models import _rfc3339, _rfc3339_ms
from wirewatch import constants as c
from wirewatch.logs import get_logger
from worker.dedup import Reservation, claim_holder
from worker.match import FIELD_ORDER, Hit, MatchDocument, document_from_event, explain
from worker.subscriptions import SubscriptionIndex

ALERTS_LUA = resources.files("worker").joinpath("lua/alerts.lua").read_text(encoding="utf-8")
log = get_logger("wirewatch.alerts")


def alert_id(subscription_id: str, story_id: str) -> str:
    """Deterministic: the same subscription and story always give the same alert id."""
    return "alr_" + hashlib.sha256(f"{subscription_id}\x00{story_id}".encode()).hexdigest()[:24]


# Alerts per script call: bounds one call's run time inside Redis (about a millisecond per 100 alerts).
ALERTS_PER_CALL = 256
LOGGED_SUBSCRIPTIONS = 20  # names on an article's `alerts_raised` line; the count is always whole
_GONE = "-"  # alerts.lua's answer for an alert whose subscription was deleted since the worker loaded it
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


@dataclass(frozen=True)
class Raised:
    """An alert that was written now (not one claimed earlier), with its subscription; or, ``resent``, one written
    earlier whose webhook message never reached the broker (its outbox entry is still there)."""

    alert_id: str
    body: str  # the AlertEvent JSON, as written to ww:alerts
    subscription: Subscription
    entry: str
    article_id: str
    story_id: str
    resent: bool = False

    @property
    def outbox_field(self) -> str:
        return f"{self.subscription.id} {self.story_id}"

    @cached_property
    def alert(self) -> AlertEvent:
        return AlertEvent.model_validate_json(self.body)


def _article_part(event: ArticleEvent) -> str:
    """The article's fields of an AlertEvent, serialised once per article."""
    published = None if event.published_at is None else _rfc3339(event.published_at)
    return ",".join(f'"{name}":{_JSON(value)}' for name, value in (
        ("article_id", event.id), ("story_id", event.story_id), ("title", event.title), ("url", event.url),
        ("published_at", published),
    ))  # fmt: skip


@functools.lru_cache(maxsize=1 << 17)
def _subscription_part(sid: str, name: str, query: str) -> str:
    """A subscription's part of its alerts, serialised once (subscriptions change rarely, alerts often)."""
    return _JSON({"id": sid, "name": name, "query": query})


def _matched_part(hits: tuple[Hit, ...], memo: dict[Hit, str]) -> str:
    """The alert's ``matched`` list; each hit serialised once per batch (many alerts share an article's hits)."""
    parts = []
    for hit in hits:
        part = memo.get(hit)
        if part is None:
            rank, start, end, term = hit
            # By hand: the encoder's dict path costs several times more, and only the term needs escaping.
            part = memo[hit] = f'{{"field":"{FIELD_ORDER[rank]}","term":{_JSON(term)},"start":{start},"end":{end}}}'
        parts.append(part)
    return "[" + ",".join(parts) + "]"


# An alert to write: its story, subscription id, alert id, JSON, its event's position in the batch, the event, and
# the subscription.
_Pending = tuple[str, str, str, str, int, ArticleEvent, Subscription]


def alert_json(alert: str, subscription: str, article: str, matched: str, created_at: str) -> str:
    """An AlertEvent's JSON from its serialised parts, in the schema's field order."""
    return (f'{{"schema":"wirewatch.alert/1","id":"{alert}","subscription":{subscription},{article},'
            f'"matched":{matched},"created_at":"{created_at}"}}')  # fmt: skip


def raise_alerts(
    client: redis.Redis,
    index: SubscriptionIndex,
    events: list[ArticleEvent],
    now: datetime,
    alerts_stream: str = c.ALERTS_STREAM,
) -> list[Raised]:
    """Match `events` (emitted already, or by tools and tests), write the alerts not claimed yet, bound to no
    article's exact claims; return those written by this call."""
    pipe = client.pipeline(transaction=False)
    queued = queue_alerts(client, index, events, now, pipe, alerts_stream)
    return queued.written(pipe.execute())


@dataclass
class QueuedAlerts:
    """The ``alerts.lua`` calls queued on a pipeline, each with its alerts, to be read back once it has run."""

    client: redis.Redis
    index: SubscriptionIndex
    chunks: list[list[_Pending]] = field(default_factory=list)
    claimed_hooks: list[tuple[str, str]] = field(default_factory=list)  # (subscription, story) claimed before

    @property
    def calls(self) -> int:
        """How many replies of the pipeline are this batch's: the first ones, in order."""
        return len(self.chunks)

    def written(self, replies: Sequence[Any]) -> list[Raised]:
        """The alerts written by the queued calls (``replies``: theirs, in order), then those claimed before whose
        webhook messages never reached the broker."""
        raised: list[Raised] = []
        gone: set[str] = set()  # subscriptions deleted after the percolator's last reload: none of their alerts written
        for chunk, reply in zip(self.chunks, replies, strict=True):
            for (story, sid, aid, body, _, event, sub), entry in zip(chunk, str(reply).split(" "), strict=True):
                if entry == _GONE:
                    gone.add(sid)
                elif entry:  # else claimed since the check by another copy of the story, or the article is a duplicate
                    raised.append(Raised(aid, body, sub, entry, event.id, story))
        if gone:
            log.info(
                "alerts_dropped", reason="subscription deleted since the worker loaded it", subscriptions=len(gone)
            )
        _log_per_article(raised)
        if self.claimed_hooks:
            raised += unsent_webhooks(self.client, self.index, self.claimed_hooks)
        return raised


def queue_alerts(
    client: redis.Redis,
    index: SubscriptionIndex,
    events: list[ArticleEvent],
    now: datetime,
    pipe: redis.client.Pipeline,
    alerts_stream: str = c.ALERTS_STREAM,
    reservations: Sequence[Reservation] | None = None,
    claim_ttl_s: float = c.DEDUP_WINDOW_S,
) -> QueuedAlerts:
    """Match `events` and queue on `pipe` the writes of the alerts not claimed yet (read now, through `client`).

    ``reservations``, one per event (the pipeline's): each alert is bound to its article's exact claims, so it
    is written only if the article holds them (taking them when free) and names only a copy that will be
    emitted. The pipeline queues the articles' emits behind the alerts, in the same MULTI/EXEC: both or neither.
    """
    queued = QueuedAlerts(client, index)
    percolator = index.current()
    version = index.version  # the script drops the alerts of a subscription deleted after this version
    if not events or not len(percolator):
        return queued
    matched = []
    for at, event in enumerate(events):
        doc = document_from_event(event)
        slots = percolator.match_ids(doc)
        if slots:
            matched.append((at, event, doc, slots))
    if not matched:
        return queued
    # One MGET: the stories' alert claims, then the matched articles' exact claims (one or two each).
    story_ids = list(dict.fromkeys(event.story_id for _, event, _, _ in matched))
    exact_keys = [] if reservations is None else [k for at, _, _, _ in matched for k in reservations[at].keys]
    values: list[str | None] = client.mget([*map(c.alert_claim_key, story_ids), *exact_keys])  # type: ignore[assignment]
    claims = dict(zip(story_ids, values[: len(story_ids)], strict=True))
    exact = iter(values[len(story_ids) :])
    # By story, then by subscription slot: copies of one story in one batch make one pair, the first copy's that
    # is not held back: a copy whose exact claims another copy holds will settle as its duplicate.
    stories: dict[str, dict[int, tuple[int, ArticleEvent, MatchDocument]]] = {}
    for at, event, doc, slots in matched:
        if reservations is not None:
            mine = reservations[at]
            held = list(itertools.islice(exact, len(mine.keys)))  # consumed whole, to stay aligned
            if any(claim_holder(value, mine.owner) for value in held):
                continue
        found = stories.setdefault(event.story_id, {})
        for slot in slots:
            found.setdefault(slot, (at, event, doc))
    ids = percolator.ids  # a matched slot is never a removed one (None)
    created_at = _rfc3339_ms(now)
    articles: dict[int, str] = {}  # by position: two copies of one URL share an id, not their title
    hit_parts: dict[Hit, str] = {}
    written: list[_Pending] = []
    claimed_hooks = queued.claimed_hooks
    hooked = index.with_webhook
    for story, found in stories.items():
        claimed = claims[story]
        done = set(claimed.split("\n")) if claimed else ()
        for slot, (at, event, doc) in found.items():
            sid, query = ids[slot], percolator.queries[slot]
            assert sid is not None and query is not None
            if sid in done:
                if sid in hooked:
                    claimed_hooks.append((sid, story))
                continue
            sub = index.subscriptions[sid]
            article = articles.get(at)
            if article is None:
                article = articles[at] = _article_part(event)
            aid = alert_id(sid, story)
            subscription = _subscription_part(sub.id, sub.name, sub.query)
            body = alert_json(aid, subscription, article, _matched_part(explain(query, doc), hit_parts), created_at)
            written.append((story, sid, aid, body, at, event, sub))
    script = client.register_script(ALERTS_LUA)
    for start in range(0, len(written), ALERTS_PER_CALL):
        chunk = written[start : start + ALERTS_PER_CALL]
        position = {story: str(i) for i, story in enumerate(dict.fromkeys(w[0] for w in chunk), 1)}
        keys = [alerts_stream, c.ALERT_STATS, c.WEBHOOK_OUTBOX, *map(c.alert_claim_key, position)]
        named: dict[int, str] = {}  # event position -> its article's number in the call
        owners: list[str] = []
        exact_at: list[str] = []  # per article, the KEYS positions (1-based) of its exact claims
        if reservations is not None:
            for at in dict.fromkeys(w[4] for w in chunk):
                named[at] = str(len(owners) + 1)
                owners.append(reservations[at].owner)
                exact_at.append(",".join(str(len(keys) + i) for i in range(1, len(reservations[at].keys) + 1)))
                keys += reservations[at].keys
            # Where the script records what it reserves, for the delivery's settle; and the ledger it checks first.
            keys += [c.DEDUP_RESERVED, c.LEDGER_PAYLOAD]
        args: list[str | int] = [c.ALERT_CLAIM_TTL_S, c.ALERTS_MAXLEN, "\n".join(position[w[0]] for w in chunk),
                                 "\n".join(w[1] for w in chunk), "\n".join(w[2] for w in chunk),
                                 "\n".join(w[3] for w in chunk), "\n".join(w[0] if w[6].webhook else "" for w in chunk),
                                 int(now.timestamp()), "\n".join(named.get(w[4], "") for w in chunk),
                                 "\n".join(owners), "\n".join(exact_at), int(claim_ttl_s),
                                 "" if version is None else str(version)]  # fmt: skip
        if version is not None:
            keys += [c.SUBSCRIPTIONS, c.SUBSCRIPTIONS_VERSION]
        script(keys=keys, args=args, client=pipe)
        queued.chunks.append(chunk)
    return queued


def unsent_webhooks(client: redis.Redis, index: SubscriptionIndex, pairs: list[tuple[str, str]]) -> list[Raised]:
    """The alerts of these (subscription, story) pairs still in the webhook outbox: written by a worker that
    died, or failed to publish, before their webhook messages were on the broker. Resent, never rewritten."""
    found: list[str | None] = client.hmget(c.WEBHOOK_OUTBOX, [f"{sid} {story}" for sid, story in pairs])  # type: ignore[assignment]
    resent = [r for (sid, story), value in zip(pairs, found, strict=True)
              if value is not None and (r := _resend(index, sid, story, value))]  # fmt: skip
    if resent:
        log.warning("webhooks_resent", alerts=len(resent), reason="outbox entries of alerts claimed earlier")
    return resent


def unsent_webhooks_naming(client: redis.Redis, index: SubscriptionIndex, article_ids: set[str]) -> list[Raised]:
    """The alerts still in the webhook outbox that name these articles: their delivery was settled by a run that
    died, or failed to publish, after its alerts and emit were written and before the webhook messages were on
    the broker, so its redelivery finds nothing left to do but this. Resent, never rewritten. One HSCAN of the
    outbox, which holds only messages between their write and their publish (or a dead worker's)."""
    resent: list[Raised] = []
    for key, value in client.hscan_iter(c.WEBHOOK_OUTBOX, count=500):
        sid, _, story = str(key).partition(" ")
        body = str(value).partition(" ")[2]
        named = _ARTICLE_ID.search(body)
        if named and named[1] in article_ids and (r := _resend(index, sid, story, str(value))):
            resent.append(r)
    if resent:
        log.warning("webhooks_resent", alerts=len(resent), reason="outbox entries of an article settled before")
    return resent


_ARTICLE_ID = re.compile(r'"article_id":"([^"\\]*)"')  # as alert_json writes it: ids are plain hex


def _resend(index: SubscriptionIndex, sid: str, story: str, value: str) -> Raised | None:
    """An outbox entry (``<written at> <alert JSON>``) as an alert to publish again; None when its subscription
    is gone (its webhook with it) or the entry is unreadable (the runner's sweep logs and drops those)."""
    sub = index.subscriptions.get(sid)
    if sub is None:
        return None
    body = value.partition(" ")[2]
    try:
        alert = json.loads(body)
        return Raised(str(alert["id"]), body, sub, "", str(alert["article_id"]), story, resent=True)
    except (ValueError, KeyError, TypeError):
        return None


def _log_per_article(raised: list[Raised]) -> None:
    """One info line per article that raised alerts, not one per alert: a busy article can match a hundred of
    10,000 subscriptions, and the alerts themselves, ids and all, are in ``ww:alerts``."""
    by_article: dict[tuple[str, str], list[Raised]] = {}
    for r in raised:
        by_article.setdefault((r.article_id, r.story_id), []).append(r)
    for (article_id, story_id), group in by_article.items():
        log.info("alerts_raised", article_id=article_id, story_id=story_id, alerts=len(group),
                 subscriptions=[r.subscription.name for r in group[:LOGGED_SUBSCRIPTIONS]])  # fmt: skip
