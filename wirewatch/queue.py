"""The Celery side both producers and workers share: broker configuration, queue and task names.

Producers send tasks by name through :func:`celery_app`; the worker package registers the tasks on the same
kind of app. Settings follow DESIGN §5: late acks, re-queue on a lost worker, prefetch 1, time limits, a
visibility timeout longer than any task may run.
"""

from __future__ import annotations

from typing import Any

from celery import Celery
from kombu.entity import Queue

from wirewatch import constants as c
from wirewatch import sentinel
from wirewatch.redis_server import to_broker_url
from wirewatch.sentinel import is_sentinel_url

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
