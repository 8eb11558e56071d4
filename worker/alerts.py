"""The match stage's output: one AlertEvent per subscription per story, and webhook jobs for them.

For a batch of new articles: match each against the worker's compiled subscriptions, drop the
(subscription, story) pairs that already alerted (a cheap EXISTS, so matched terms are only worked out
for alerts that will be written), then for each remaining pair one call of ``alert.lua`` claims the pair
and appends the alert to ``ww:alerts`` atomically. A redelivered batch computes the same deterministic
alert ids and finds its claims, so it never alerts twice; a copy of a story that already alerted
(same ``story_id``) does not alert again.

Alerts are written before the article's own emit: if the worker dies in between, the redelivery emits the
article and finds the alerts already claimed, so an alert is never lost (at least once, and at most once
per subscription and story through the claim).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from importlib import resources

import redis

from schemas import AlertEvent, ArticleEvent, Subscription, SubscriptionRef
from wirewatch import constants as c
from wirewatch.logs import get_logger
from worker.match import as_matched_terms, document_from_event, explain
from worker.subscriptions import SubscriptionIndex

ALERT_LUA = resources.files("worker").joinpath("lua/alert.lua").read_text(encoding="utf-8")
log = get_logger("wirewatch.alerts")


def alert_id(subscription_id: str, story_id: str) -> str:
    """Deterministic: the same subscription and story always give the same alert id."""
    return "alr_" + hashlib.sha256(f"{subscription_id}\x00{story_id}".encode()).hexdigest()[:24]


@dataclass(frozen=True)
class Raised:
    """An alert that was written now (not one claimed earlier), with its subscription."""

    alert: AlertEvent
    subscription: Subscription
    entry: str


def raise_alerts(
    client: redis.Redis,
    index: SubscriptionIndex,
    events: list[ArticleEvent],
    now: datetime,
    alerts_stream: str = c.ALERTS_STREAM,
) -> list[Raised]:
    """Match `events`, write the alerts not claimed yet; return those written by this call."""
    percolator = index.current()
    if not events or not len(percolator):
        return []
    pairs = []
    for event in events:
        doc = document_from_event(event)
        for slot in percolator.match_ids(doc):
            sid, query = percolator.ids[slot], percolator.queries[slot]
            assert sid is not None and query is not None
            pairs.append((event, doc, sid, query))
    if not pairs:
        return []
    pipe = client.pipeline(transaction=False)
    for event, _, sid, _ in pairs:
        pipe.exists(c.alert_claim_key(sid, event.story_id))
    fresh = [pair for pair, seen in zip(pairs, pipe.execute(), strict=True) if not seen]
    candidates = []
    script = client.register_script(ALERT_LUA)
    pipe = client.pipeline(transaction=False)
    for event, doc, sid, query in fresh:
        sub = index.subscriptions[sid]
        alert = AlertEvent(
            id=alert_id(sid, event.story_id),
            subscription=SubscriptionRef(id=sid, name=sub.name, query=sub.query),
            article_id=event.id,
            story_id=event.story_id,
            title=event.title,
            url=event.url,
            published_at=event.published_at,
            matched=as_matched_terms(explain(query, doc)),
            created_at=now,
        )
        script(
            keys=[c.alert_claim_key(sid, event.story_id), alerts_stream, c.ALERT_STATS],
            args=[alert.id, alert.model_dump_json(by_alias=True), c.ALERT_CLAIM_TTL_S, c.ALERTS_MAXLEN],
            client=pipe,
        )
        candidates.append((alert, sub))
    raised = []
    for (alert, sub), entry in zip(candidates, pipe.execute(), strict=True):
        if entry:
            raised.append(Raised(alert, sub, str(entry)))
            log.info("alert_raised", alert_id=alert.id, subscription=sub.name, article_id=alert.article_id,
                     story_id=alert.story_id, entry=str(entry))  # fmt: skip
    return raised
