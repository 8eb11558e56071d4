"""Thin Celery tasks: validate the message, call the pipeline, hand on.

A message names delivery ids; the ledger holds their payloads (the message is a trigger, not the source of
truth). Each delivery of a message counts an attempt per id. A redelivered batch is split into one message
per article, so an article that kills its worker is isolated and, after ``max_attempts``, dead-lettered
while the rest of the batch goes through.
"""

from __future__ import annotations

from collections.abc import Callable

import redis
from celery import Celery, Task
from pydantic import BaseModel, Field, ValidationError

from wirewatch import constants as c
from wirewatch.errors import RetryLater
from wirewatch.logs import get_logger
from wirewatch.outcomes import Terminal
from wirewatch.queue import PROCESS_TASK
from worker.pipeline import Deps, process, start_attempts

log = get_logger("wirewatch.task")


class ProcessMessage(BaseModel):
    delivery_ids: list[str] = Field(..., min_length=1, max_length=1024)


def register_tasks(app: Celery, deps: Callable[[], Deps]) -> None:
    @app.task(
        name=PROCESS_TASK, bind=True, shared=False, acks_late=True, reject_on_worker_lost=True,
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
        attempts = start_attempts(d.client, ids)
        if len(ids) > 1 and max(attempts) > 1:
            # A redelivered batch: one of its articles may be what killed the worker. Isolate each.
            for delivery_id in ids:
                self.app.send_task(PROCESS_TASK, args=[{"delivery_ids": [delivery_id]}], queue=c.INGEST_QUEUE)
            log.warning("batch_split", reason="redelivered", size=len(ids), attempts=max(attempts))
            return {"split": len(ids)}
        exhausted = [i for i, n in zip(ids, attempts, strict=True) if n > d.settings.max_attempts]
        if exhausted:
            d.outcomes.settle_many(
                [Terminal(i, "dead", f"max_attempts: delivered {d.settings.max_attempts} times without finishing")
                 for i in exhausted]
            )  # fmt: skip
        live = [i for i in ids if i not in exhausted]
        counts: dict[str, int] = {}
        for settled in process(live, d):
            counts[settled.outcome] = counts.get(settled.outcome, 0) + 1
        return counts
