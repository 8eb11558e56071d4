"""The pipeline: ledger payloads → parse → dedup → enrich → emit, for a batch of deliveries.

Plain functions of (delivery ids, dependencies); the Celery task only wraps :func:`process`. Every delivery
ends in exactly one outcome — ``emitted``, ``duplicate``, ``rejected:<reason>`` or ``dead`` — recorded
atomically by the settle script and logged once by :func:`log_outcome`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import redis
import structlog
from celery.exceptions import SoftTimeLimitExceeded
from pydantic import ValidationError

from schemas import ArticleEvent, RawArticle, Source
from wirewatch import constants as c
from wirewatch.errors import Rejected
from wirewatch.latency import LatencyRecorder
from wirewatch.logs import get_logger
from wirewatch.outcomes import Outcomes, Settled, Terminal, read_ledger, read_status
from wirewatch.settings import Settings
from worker import heap
from worker.alerts import Raised, queue_alerts, unsent_webhooks_naming
from worker.dedup import Identity, Reservation, find_exact_duplicates, identify, reservation
from worker.emit import emitted, queue_emits
from worker.enrich import Enrichment, enrich, warm_up
from worker.entities import load_backend
from worker.neardup import NearDupIndex
from worker.parse import ParsedArticle, parse
from worker.query import QuerySyntaxError
from worker.stories import assign, make_index
from worker.subscriptions import SubscriptionIndex, sync_config
from worker.webhooks import clear_outbox, enqueue_webhooks

ATTEMPTS_LUA = resources.files("worker").joinpath("lua/attempts.lua").read_text(encoding="utf-8")
log = get_logger("wirewatch.pipeline")


@dataclass
class Deps:
    """What the pipeline needs from the outside, built once per worker process."""

    client: redis.Redis
    settings: Settings
    outcomes: Outcomes
    subscriptions: SubscriptionIndex
    neardup: NearDupIndex | None = field(default=None)
    send_task: Callable[..., Any] | None = None  # enqueues webhook deliveries

    @classmethod
    def create(cls, client: redis.Redis, settings: Settings, send_task: Callable[..., Any] | None = None) -> Deps:
        load_backend(settings.enrich.entities)  # fail at start, not per article, if spaCy or its pipeline is missing
        log.info("enrich_warmed", seconds=round(warm_up(settings.enrich.entities), 3))
        try:
            sync_config(client, settings)
        except (QuerySyntaxError, ValueError) as e:  # refused by every command first; a worker goes on without it
            log.error("subscription_invalid", reason=str(e))
        deps = cls(client=client, settings=settings, outcomes=Outcomes(client, settings),
                   subscriptions=SubscriptionIndex(client), neardup=make_index(client, settings),
                   send_task=send_task)  # fmt: skip
        deps.subscriptions.current()  # compile them now, not on the first batch
        heap.freeze("pipeline_ready", once=True)
        return deps


@dataclass
class _Item:
    delivery_id: str
    source: str
    parsed: ParsedArticle
    identity: Identity
    claims: Reservation  # its exact claims, as this delivery takes them


def build_event(item: _Item, enrichment: Enrichment, story_id: str, now: datetime) -> ArticleEvent:
    parsed = item.parsed
    return ArticleEvent(
        id=item.identity.article_id,
        story_id=story_id,
        url=parsed.url,
        canonical_url=parsed.canonical_url,
        source=Source(name=parsed.source_name, domain=parsed.source_domain, feed=parsed.feed),
        title=parsed.title,
        authors=parsed.authors,
        published_at=parsed.published_at,
        ingested_at=now,
        language=enrichment.language,
        text=parsed.text,
        summary=enrichment.summary,
        word_count=enrichment.word_count,
        entities=enrichment.entities,
        keywords=enrichment.keywords,
        countries=enrichment.countries,
        content_hash=item.identity.content_hash,
    )


def count_attempts(client: redis.Redis, delivery_ids: list[str]) -> tuple[list[int], dict[str, str]]:
    """Count one more delivery attempt for each id still in the ledger; return the new counts (0 for an id
    settled already, whose counter the settle script cleared and which must stay cleared) and the versions of the
    payloads counted (for a dead letter's settle: a newer submission meanwhile is then left to its own run)."""
    keys = [c.LEDGER_PAYLOAD, c.LEDGER_ATTEMPTS, c.LEDGER_VERSION, c.LEDGER_PENDING]
    reply = client.register_script(ATTEMPTS_LUA)(keys=keys, args=delivery_ids)
    n = len(delivery_ids)
    versions = {d: str(v) for d, v in zip(delivery_ids, reply[n:], strict=True) if v}
    return [int(count) for count in reply[:n]], versions


def source_label(raw: RawArticle) -> str:
    """How logs, statuses and dead letters name where an article came from."""
    return raw.source.name or raw.source.feed or raw.source.path or raw.source.kind


def _unsent_webhooks_of(deps: Deps, delivery_ids: list[str]) -> list[Raised]:
    """The webhook messages still in the outbox for the articles these deliveries emitted: a run that died after
    writing their alerts and emit, before publishing the messages, left them, and this redelivery of its message
    finds nothing else to do. Sent now rather than at the runner's outbox sweep, minutes later."""
    statuses = read_status(deps.client, delivery_ids).values()
    articles = {str(s["article_id"]) for s in statuses if s and s.get("state") == "emitted"}
    return unsent_webhooks_naming(deps.client, deps.subscriptions, articles) if articles else []


def process(delivery_ids: list[str], deps: Deps) -> list[Settled]:
    """Process deliveries whose payloads are in the ledger; return how each one ended.

    Deliveries no longer in the ledger were settled by an earlier delivery of the same message and are
    skipped. Bad input is settled as rejected; an unexpected error on one article dead-letters that article
    only. Redis errors propagate, so the message is retried and nothing is half-done; so does the task's soft
    time limit, wherever it strikes (the whole message ran long: no one article is to blame).
    """
    payloads, versions = read_ledger(deps.client, delivery_ids)
    terminal: list[Terminal] = []
    items: list[_Item] = []
    timings = LatencyRecorder()

    settled_before: list[str] = []
    for delivery_id, payload in zip(delivery_ids, payloads, strict=True):
        if payload is None:
            log.info("delivery_already_settled", delivery_id=delivery_id)
            settled_before.append(delivery_id)
            continue
        try:
            raw = RawArticle.model_validate_json(payload)
        except ValidationError as e:
            terminal.append(Terminal(delivery_id, "rejected:invalid_message", str(e.errors()[0]["msg"])))
            continue
        source = source_label(raw)
        with structlog.contextvars.bound_contextvars(delivery_id=delivery_id, source=source):
            started = time.perf_counter()
            try:
                parsed = parse(raw)
            except Rejected as e:
                terminal.append(Terminal(delivery_id, f"rejected:{e.reason}", e.detail, source))
                continue
            except SoftTimeLimitExceeded:  # the message's time is up, not this article's fault: the task decides
                raise
            except Exception as e:  # a parser bug on this input: dead-letter it, keep the batch going
                log.exception("parse_failed")
                reason = f"parse_error: {type(e).__name__}: {e}"[:500]
                terminal.append(Terminal(delivery_id, "dead", reason, source))
                continue
            timings.observe("parse", time.perf_counter() - started)
        identity = identify(parsed)
        items.append(_Item(delivery_id, source, parsed, identity, reservation(delivery_id, identity)))

    started = time.perf_counter()
    holders = find_exact_duplicates(deps.client, [item.claims for item in items])
    timings.observe("dedup", time.perf_counter() - started)
    to_emit: list[tuple[str, ArticleEvent, str | None, str]] = []
    claims: list[Reservation] = []  # to_emit's
    fresh: list[_Item] = []
    for item, holder in zip(items, holders, strict=True):
        if holder is not None:
            terminal.append(Terminal(item.delivery_id, "duplicate", holder, item.source, item.identity.article_id))
            continue
        fresh.append(item)
    articles = [(item.identity.article_id, item.parsed.title, item.parsed.text) for item in fresh]
    started = time.perf_counter()
    story_ids = assign(deps.neardup, articles, time.time()) if deps.neardup else [a[0] for a in articles]
    timings.observe("stories", time.perf_counter() - started)
    for item, story_id in zip(fresh, story_ids, strict=True):
        article_id = item.identity.article_id
        started = time.perf_counter()
        try:
            enrichment = enrich(item.parsed, deps.settings.enrich.entities)
            event = build_event(item, enrichment, story_id=story_id, now=datetime.now(UTC))
        except SoftTimeLimitExceeded:
            raise
        except Exception as e:  # an enrichment bug on this input: dead-letter it, keep the batch going
            log.exception("enrich_failed", article_id=article_id, source=item.source)
            reason = f"enrich_error: {type(e).__name__}: {e}"[:500]
            terminal.append(Terminal(item.delivery_id, "dead", reason, item.source, article_id))
            continue
        timings.observe("enrich", time.perf_counter() - started)
        to_emit.append((item.delivery_id, event, item.identity.url_hash, item.source))
        claims.append(item.claims)

    # The alerts, then the emits of the articles they name, in one MULTI/EXEC: both or neither, so no alert names an
    # article whose delivery ends without its emit (a worker dying in between, then dead-lettered). An alert takes
    # its article's exact claims (the settle script honours them), so it never names a copy that then settles as a
    # duplicate: the copy whose alerts came first is the one emitted. Terminal outcomes go first, on their own.
    settled = deps.outcomes.settle_many(terminal, versions=versions)
    started = time.perf_counter()
    pipe = deps.client.pipeline(transaction=True)
    alerts = queue_alerts(deps.client, deps.subscriptions, [event for _, event, _, _ in to_emit],
                          datetime.now(UTC), pipe, deps.settings.alerts_stream, claims,
                          deps.settings.dedup.window)  # fmt: skip
    timings.observe("match", time.perf_counter() - started)
    started = time.perf_counter()
    queue_emits(deps.outcomes, to_emit, versions, pipe)
    replies = pipe.execute() if len(pipe) else []
    raised = alerts.written(replies[: alerts.calls])
    settled += emitted(to_emit, replies[alerts.calls :])
    if settled_before and deps.send_task and deps.subscriptions.with_webhook:
        raised += _unsent_webhooks_of(deps, settled_before)
    if enqueue_webhooks(deps.send_task, raised):
        clear_outbox(deps.client, raised)  # on the broker now: before this line, the outbox sweep resends them
    timings.observe("emit", time.perf_counter() - started)
    timings.flush(deps.client)
    return settled
