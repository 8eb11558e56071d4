"""The Celery side both producers and workers share: broker configuration, queue and task names.

Producers send tasks by name through :func:`celery_app`; the worker package registers the tasks on the same
kind of app. Settings follow DESIGN §5: late acks, re-queue on a lost worker, prefetch 1, time limits, a
visibility timeout longer than any task may run.
"""

from __future__ import annotations

import json
import time
from typing import Any

import redis
from celery import Celery
from kombu.entity import Queue

from wirewatch import constants as c
from wirewatch import sentinel
from wirewatch.logs import get_logger
from wirewatch.redis_server import to_broker_url
from wirewatch.sentinel import is_sentinel_url

log = get_logger(__name__)

PROCESS_TASK = "wirewatch.process"
WEBHOOK_TASK = "wirewatch.webhook"
FEED_POLL_TASK = "wirewatch.poll_feed"


def celery_config(redis_url: str) -> dict[str, Any]:
    transport: dict[str, Any] = {"visibility_timeout": c.VISIBILITY_TIMEOUT_S}
    if is_sentinel_url(redis_url):
        broker, sentinel_options = sentinel.broker(redis_url)
        transport.update(sentinel_options)
    else:
        broker = to_broker_url(redis_url)
    return {
        "broker_url": broker,
        "result_backend": None,  # outcomes live in our own status records, not in Celery results
        "task_ignore_result": True,
        "task_serializer": "json",
        "accept_content": ["json"],
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "task_acks_on_failure_or_timeout": True,
        "worker_prefetch_multiplier": 1,
        "task_soft_time_limit": c.TASK_SOFT_TIME_LIMIT_S,
        "task_time_limit": c.TASK_TIME_LIMIT_S,
        "broker_transport_options": transport,
        "broker_connection_retry_on_startup": True,
        "broker_connection_max_retries": None,
        # A Redis error reply to the consumer (BRPOP, an ack) reconnects like a lost connection, instead of ending
        # the worker ("Unrecoverable error", exit 1). The one that matters: MISCONF, Redis refusing writes while it
        # cannot write its AOF (a full or read-only disk), which clears by itself once the disk has room; also
        # READONLY or UNBLOCKED from a primary turned replica in a failover. Reconnecting retries with backoff
        # (2 s, growing by 2 s to 30 s), forever (`broker_connection_max_retries`). docs/reliability.md.
        "broker_channel_error_retry": True,
        "task_default_queue": c.INGEST_QUEUE,
        "task_queues": [Queue(c.INGEST_QUEUE), Queue(c.FEEDS_QUEUE), Queue(c.WEBHOOK_QUEUE)],  # type: ignore[no-untyped-call]
        "task_routes": {
            PROCESS_TASK: {"queue": c.INGEST_QUEUE},
            FEED_POLL_TASK: {"queue": c.FEEDS_QUEUE},
            WEBHOOK_TASK: {"queue": c.WEBHOOK_QUEUE},
        },
        "worker_hijack_root_logger": False,
        "worker_redirect_stdouts": False,
        "worker_send_task_events": False,
        "worker_enable_remote_control": True,
        "worker_cancel_long_running_tasks_on_connection_loss": False,
        "enable_utc": True,
    }


def celery_app(redis_url: str, name: str = "wirewatch") -> Celery:
    app = Celery(name, set_as_current=False)
    app.conf.update(celery_config(redis_url))
    return app


def sweep_webhook_outbox(client: redis.Redis, app: Celery, stale_s: float = c.WEBHOOK_OUTBOX_STALE_S,
                         now: float | None = None) -> int:  # fmt: skip
    """Send the webhook messages left in the outbox (``c.WEBHOOK_OUTBOX``) longer than ``stale_s`` and forget
    them; return how many. An entry is left when its worker died between writing the alert and putting the
    message on the broker, and no redelivery of its article came to resend it (the article was dead-lettered,
    or settled by another copy). The runner's and the scheduler's upkeep call this. A receiver may see such an
    alert twice; it dedupes by the alert's id (docs/http.md)."""
    now = time.time() if now is None else now
    sent = 0
    for field, value in client.hscan_iter(c.WEBHOOK_OUTBOX, count=500):
        written_at, _, body = str(value).partition(" ")
        try:
            if now - float(written_at) < stale_s:
                continue
            message = {"alert_id": str(json.loads(body)["id"]), "subscription_id": str(field).split(" ")[0],
                       "body": body}  # fmt: skip
        except (ValueError, KeyError, TypeError) as e:
            log.error("webhook_outbox_unreadable", field=str(field)[:200], reason=str(e)[:200])
            client.hdel(c.WEBHOOK_OUTBOX, field)
            continue
        app.send_task(WEBHOOK_TASK, args=[message], queue=c.WEBHOOK_QUEUE)
        client.hdel(c.WEBHOOK_OUTBOX, field)
        sent += 1
    if sent:
        log.warning("webhooks_swept", alerts=sent, stale_s=stale_s)
    return sent
