"""Submission: record each accepted article in the ledger, then enqueue a trigger for the workers.

The ledger (a hash of payloads and a sorted set of pending ids by acceptance time) is the source of truth;
the Celery message only names delivery ids. The settle script clears a delivery from the ledger in the
same atomic step that records its outcome, so whatever is still pending was not finished and may be sent
again (:meth:`Submitter.resend_stale`) without any risk of a double emit.

A producer with deterministic ids (feeds) may submit an id again, even while a worker processes the earlier
payload. Each submission writes a fresh version token beside the payload, in one transaction: the worker
settles with the version it read, and the settle script leaves the ledger entry and the status alone
(``superseded``) when it holds a newer version, so the newer payload is processed by its own trigger instead
of being cleared unseen. A submission also restarts the id's attempts counter and clears its old status: the
new payload has not been tried, and the old outcome no longer holds (docs/decisions.md, "Submitting a delivery
id again").
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable

import redis
from celery import Celery

from schemas import RawArticle
from wirewatch import constants as c
from wirewatch.logs import get_logger
from wirewatch.outcomes import Outcomes, Settled, Terminal
from wirewatch.queue import PROCESS_TASK

log = get_logger("wirewatch.submit")


class Submitter:
    def __init__(self, client: redis.Redis, app: Celery, outcomes: Outcomes, batch_size: int) -> None:
        self.client = client
        self.app = app
        self.outcomes = outcomes
        self.batch_size = batch_size

    def submit(self, raws: Iterable[RawArticle]) -> list[str]:
        """Ledger first, then the trigger messages; return the accepted delivery ids."""
        raws = list(raws)
        if not raws:
            return []
        pipe = self.client.pipeline(transaction=True)
        _accept(pipe, {raw.delivery_id: raw.model_dump_json(by_alias=True) for raw in raws})
        pipe.execute()
        ids = [raw.delivery_id for raw in raws]
        self.enqueue(ids)
        for raw in raws:
            log.debug("article_accepted", delivery_id=raw.delivery_id, source=raw.source.name or raw.source.kind)
        return ids

    def enqueue(self, delivery_ids: list[str]) -> None:
        for start in range(0, len(delivery_ids), self.batch_size):
            batch = delivery_ids[start : start + self.batch_size]
            self.app.send_task(PROCESS_TASK, args=[{"delivery_ids": batch}], queue=c.INGEST_QUEUE)

    def refuse(self, refusals: list[Terminal]) -> list[Settled]:
        """Settle what a producer refused at the door (too large, unsupported, undecodable)."""
        return self.outcomes.settle_many(refusals, refused=True)

    def resend_stale(self, older_than_s: float, limit: int = 10_000) -> int:
        """Re-enqueue deliveries pending longer than ``older_than_s`` (their message was lost or is stuck)."""
        cutoff = time.time() - older_than_s
        stale: list[str] = self.client.zrangebyscore(c.LEDGER_PENDING, "-inf", cutoff, start=0, num=limit)  # type: ignore[assignment]
        if not stale:
            return 0
        # Bump their acceptance time so one slow article is not re-sent on every tick.
        now = time.time()
        self.client.zadd(c.LEDGER_PENDING, dict.fromkeys(stale, now), xx=True)
        self.enqueue(stale)
        log.warning("ledger_resent", count=len(stale), older_than_s=older_than_s)
        return len(stale)

    def retry_dead(self, delivery_ids: list[str] | None = None) -> list[str]:
        """Put dead-lettered deliveries back into the ledger and the queue (all of them when ids is None).

        The attempts counter starts again, as for any submission; the dead payload is removed once the delivery
        is re-accepted.
        """
        payloads: dict[str, str] = self.client.hgetall(c.DEAD_PAYLOAD)  # type: ignore[assignment]
        wanted = list(payloads) if delivery_ids is None else [d for d in delivery_ids if d in payloads]
        if not wanted:
            return []
        pipe = self.client.pipeline(transaction=True)
        _accept(pipe, {delivery_id: payloads[delivery_id] for delivery_id in wanted})
        pipe.hdel(c.DEAD_PAYLOAD, *wanted)
        pipe.execute()
        self.enqueue(wanted)
        log.info("dead_retried", count=len(wanted))
        return wanted


def _accept(pipe: redis.client.Pipeline, payloads: dict[str, str]) -> None:
    """Queue the writes that make ``payloads`` (delivery id → RawArticle JSON) the latest submission of their ids.

    ``pipe`` must be a transaction: a settle running between the payload and its version would clear the new
    payload as if it had processed it. An id already pending keeps its acceptance time.
    """
    version = uuid.uuid4().hex  # one per call: an id appears once in ``payloads``
    ids = list(payloads)
    pipe.hset(c.LEDGER_PAYLOAD, mapping=payloads)  # type: ignore[arg-type]
    pipe.hset(c.LEDGER_VERSION, mapping=dict.fromkeys(ids, version))
    pipe.zadd(c.LEDGER_PENDING, dict.fromkeys(ids, time.time()), nx=True)
    pipe.hdel(c.LEDGER_ATTEMPTS, *ids)
    pipe.delete(*(c.status_key(d) for d in ids))
