"""Thin Celery tasks: validate the message, call the pipeline, hand on.

A message names delivery ids; the ledger holds their payloads (the message is a trigger, not the source of
truth). Each delivery of a message counts an attempt per id. A redelivered batch is split into one message
per article, so an article that kills its worker is isolated and, after ``max_attempts``, dead-lettered
while the rest of the batch goes through. A message that runs past its soft time limit is split the same way,
and one killed at the hard limit goes back on the queue, to be redelivered and split.
"""

from __future__ import annotations

from collections.abc import Callable

import redis
from celery import Celery, Task
from celery.exceptions import SoftTimeLimitExceeded
from pydantic import BaseModel, Field, ValidationError

from schemas import RawArticle
from wirewatch import constants as c
from wirewatch.errors import RetryLater
from wirewatch.logs import get_logger
from wirewatch.outcomes import Terminal
from wirewatch.queue import PROCESS_TASK
from worker.pipeline import Deps, count_attempts, process, source_label

log = get_logger("wirewatch.task")


class ProcessMessage(BaseModel):
    delivery_ids: list[str] = Field(..., min_length=1, max_length=1024)


def register_tasks(app: Celery, deps: Callable[[], Deps]) -> None:
    @app.task(
        name=PROCESS_TASK, bind=True, shared=False, acks_late=True, reject_on_worker_lost=True,
        # The hard time limit kills the child: put the message back, as for any lost worker, so that it is split
        # and its other articles go on now (acknowledged, they waited for the reconciler). The stuck article ends
        # dead after max_attempts: the attempts counter bounds the redeliveries.
        acks_on_timeout=False,
        # Redis unreachable mid-task: retry later. Should even the retry fail to publish, the delivery stays
        # in the ledger and the reconciler sends it again.
        autoretry_for=(RetryLater, ConnectionError, redis.ConnectionError, redis.TimeoutError),
        retry_backoff=True, retry_backoff_max=60,
        max_retries=None,
    )  # fmt: skip
    def process_task(self: Task, message: dict[str, object]) -> dict[str, int]:
        try:
            ids = ProcessMessage.model_validate(message).delivery_ids
        except ValidationError as e:
            log.error("message_invalid", outcome="dropped", reason=str(e.errors()[0]["msg"]))
            return {}
        d = deps()
        attempts, versions = count_attempts(d.client, ids)
        if len(ids) > 1 and max(attempts) > 1:
            # A redelivered batch: one of its articles may be what killed the worker. Isolate each one still
            # pending (0 attempts: settled by an earlier delivery of this message).
            pending = [i for i, n in zip(ids, attempts, strict=True) if n]
            return _split(self, pending, reason="redelivered", size=len(ids), attempts=max(attempts))
        exhausted = [i for i, n in zip(ids, attempts, strict=True) if n > d.settings.max_attempts]
        if exhausted:
            dead_letter_exhausted(d, exhausted, versions)
        live = [i for i in ids if i not in exhausted]
        counts: dict[str, int] = {}
        try:
            for settled in process(live, d):
                counts[settled.outcome] = counts.get(settled.outcome, 0) + 1
        except SoftTimeLimitExceeded:
            # The message ran past its soft time limit. Its articles go again one per message, each with its own
            # limit and its attempts counted: those merely slow together finish alone, and one that cannot ends
            # dead after max_attempts, rather than running on until the hard limit kills the worker child. No
            # article is dead-lettered for a limit that struck while it happened to be the one running.
            return _split(self, live, reason="time_limit", size=len(ids), limit_s=c.TASK_SOFT_TIME_LIMIT_S)
        return counts


def dead_letter_exhausted(d: Deps, delivery_ids: list[str], versions: dict[str, str]) -> None:
    """Settle as dead the deliveries whose attempts ran out, with the versions of the payloads those attempts
    counted (`count_attempts`): a resubmission landing in between restarted the count and stays in the ledger,
    answered ``superseded``, instead of being dead-lettered untried."""
    sources = _sources(d.client, delivery_ids)
    reason = f"max_attempts: delivered {d.settings.max_attempts} times without finishing"
    d.outcomes.settle_many([Terminal(i, "dead", reason, sources.get(i, "")) for i in delivery_ids],
                           versions=versions)


def _sources(client: redis.Redis, delivery_ids: list[str]) -> dict[str, str]:
    """The source of each delivery still in the ledger, as the pipeline names it, for its dead letter (read only on
    this rare path: the article itself is never parsed again)."""
    found: dict[str, str] = {}
    payloads: list[str | None] = client.hmget(c.LEDGER_PAYLOAD, delivery_ids)  # type: ignore[assignment]
    for delivery_id, payload in zip(delivery_ids, payloads, strict=True):
        if payload is None:
            continue
        try:
            found[delivery_id] = source_label(RawArticle.model_validate_json(payload))
        except ValidationError:
            continue  # an invalid message: its dead letter names no source
    return found


def _split(task: Task, delivery_ids: list[str], reason: str, **fields: object) -> dict[str, int]:
    """Send each delivery again in a message of its own (those settled meanwhile are skipped there)."""
    for delivery_id in delivery_ids:
        task.app.send_task(PROCESS_TASK, args=[{"delivery_ids": [delivery_id]}], queue=c.INGEST_QUEUE)
    log.warning("batch_split", reason=reason, pending=len(delivery_ids), **fields)
    return {"split": len(delivery_ids)}
