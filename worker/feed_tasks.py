"""The feed poll task: validate the message, poll the claimed feed, hand new items to the submitter.

The scheduler's tick claimed the feed (a lease in Redis) and sent ``{"url", "token"}``; the poll completes
that claim with the feed's next poll time. A message whose lease has ended (redelivered, or queued too long)
ends as ``lost`` before it fetches, and a stale token cannot overwrite newer state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import redis
from celery import Celery
from pydantic import BaseModel, Field, ValidationError

from producers.feed_service import fetch_policy
from producers.fetch import FetchPolicy
from producers.poll import poll_feed
from producers.schedule import FEED_URL_MAX_CHARS, Claim, FeedSchedule, HostGate
from producers.submit import Submitter
from wirewatch.logs import get_logger
from wirewatch.outcomes import Outcomes
from wirewatch.queue import FEED_POLL_TASK
from wirewatch.settings import Settings

log = get_logger("wirewatch.task")


class PollMessage(BaseModel):
    url: str = Field(..., min_length=1, max_length=FEED_URL_MAX_CHARS)  # `feeds add` refuses longer ones
    token: str = Field(..., min_length=1, max_length=200)


@dataclass
class FeedDeps:
    schedule: FeedSchedule
    gate: HostGate
    submitter: Submitter
    policy: FetchPolicy


class Services(Protocol):
    """What a poll needs from its worker: a Redis client and the settings."""

    @property
    def client(self) -> redis.Redis: ...

    @property
    def settings(self) -> Settings: ...


def register_feed_tasks(app: Celery, deps: Callable[[], Services]) -> None:
    feed_deps: list[FeedDeps] = []

    def get() -> FeedDeps:
        if not feed_deps:  # once per process, after fork
            d = deps()
            submitter = Submitter(d.client, app, Outcomes(d.client, d.settings), d.settings.batch_size)
            feed_deps.append(
                FeedDeps(
                    FeedSchedule(d.client),
                    HostGate(d.client),
                    submitter,
                    fetch_policy(d.settings.allow_private_networks),
                )
            )
        return feed_deps[0]

    @app.task(name=FEED_POLL_TASK, shared=False, acks_late=True, reject_on_worker_lost=True)
    def poll_task(message: dict[str, object]) -> dict[str, object]:
        try:
            msg = PollMessage.model_validate(message)
        except ValidationError as e:
            log.error("message_invalid", outcome="dropped", reason=str(e.errors()[0]["msg"]))
            return {}
        f = get()
        result = poll_feed(f.schedule, f.gate, Claim(msg.url, msg.token), f.submitter.submit, policy=f.policy)
        return {"outcome": result.outcome, "new_items": result.new_items}
