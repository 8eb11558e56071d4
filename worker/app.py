"""The worker's Celery app: tasks registered on the shared configuration, logging wired per process.

``create_app(settings, redis_url)`` builds an app for one Redis; ``wirewatch worker`` runs one. Article tasks
use the pipeline (``Deps``), built once per process, at its start in a worker that consumes the ingest queue
(``warm``); feed and webhook tasks use only a Redis client and the settings (``IOServices``).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import redis
import structlog
from celery import Celery, current_app, signals

from wirewatch.logs import configure_logging, get_logger
from wirewatch.queue import celery_app
from wirewatch.redis_server import connect
from wirewatch.settings import Settings
from worker.feed_tasks import register_feed_tasks
from worker.pipeline import Deps
from worker.tasks import register_tasks
from worker.webhooks import register_webhook_task


def create_app(settings: Settings, redis_url: str) -> Celery:
    """A Celery app whose tasks run the pipeline against ``redis_url``."""
    app = celery_app(redis_url)
    app.conf.wirewatch_settings = settings
    app.conf.wirewatch_redis_url = redis_url
    register_tasks(app, lambda: _deps(app))
    register_webhook_task(app, lambda: _io(app))
    register_feed_tasks(app, lambda: _io(app))
    return app


# One lock per thing built: a feed poll waits for its Redis client, never behind the pipeline warm-up.
_BUILD_LOCKS = {"_wirewatch_deps": threading.Lock(), "_wirewatch_io": threading.Lock()}
log = get_logger("wirewatch.worker")
T = TypeVar("T")


def _once(app: Celery, attr: str, build: Callable[[], T]) -> T:
    """``build()`` once per process (after fork, so no connection crosses a fork), kept on the app; a caller
    that arrives during the build waits for it instead of starting a second one."""
    found: T | None = getattr(app, attr, None)
    if found is None:
        with _BUILD_LOCKS[attr]:
            found = getattr(app, attr, None)
            if found is None:
                found = build()
                setattr(app, attr, found)
    return found


def _deps(app: Celery) -> Deps:
    """The article pipeline; a pool child of an ingest worker starts building it as it starts (`warm`)."""
    conf = app.conf
    return _once(
        app,
        "_wirewatch_deps",
        lambda: Deps.create(connect(conf.wirewatch_redis_url), conf.wirewatch_settings, app.send_task),
    )


@dataclass(frozen=True)
class IOServices:
    """What feed polls and webhook deliveries use: a Redis client and the settings, not the article pipeline
    (its models and compiled subscriptions would cost a feeds-and-webhooks worker memory for nothing)."""

    client: redis.Redis
    settings: Settings


def _io(app: Celery) -> IOServices:
    """The feed and webhook tasks' services."""
    conf = app.conf
    return _once(app, "_wirewatch_io", lambda: IOServices(connect(conf.wirewatch_redis_url), conf.wirewatch_settings))


def warm(app: Celery) -> None:
    """Start building this process's pipeline now, on a thread: models, word lists, compiled subscriptions.

    For a worker that processes articles (the ingest queue): pool children call it as they start (Celery
    waits a few seconds at most for a child to start, and compiling 100,000 subscriptions takes longer), and
    `wirewatch worker --pool solo|threads` before it consumes. If it fails (Redis not up yet), the first task
    builds them again and reports why.
    """
    threading.Thread(target=_warm, args=(app,), name="wirewatch-warm", daemon=True).start()


def _warm(app: Celery) -> None:
    try:
        _deps(app)
    except Exception as e:  # logged here; the first task's own build raises it again
        log.warning("pipeline_warm_failed", reason=f"{type(e).__name__}: {e}")


@signals.setup_logging.connect
def _setup_logging(**_: Any) -> None:
    # Connecting this signal stops Celery from configuring logging itself; ours routes its records.
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)


_IMPORTED_IN = os.getpid()


@signals.worker_process_init.connect
def _reset_after_fork(**_: Any) -> None:
    structlog.contextvars.clear_contextvars()
    if os.getpid() != _IMPORTED_IN:
        # Only in forked pool children: the solo pool sends this signal too, and capping the process that
        # embeds a worker (a test runner, a browser launcher) is not ours to do.
        _limit_memory(Settings().worker_memory_limit_mb)
        app = current_app._get_current_object()  # the pool set it to the worker's app before this signal
        if getattr(app.conf, "wirewatch_warm", False):  # set by `wirewatch worker` when it consumes ingest
            warm(app)


def _limit_memory(megabytes: int) -> None:
    """Cap a worker child's address space: an article that blows memory up raises MemoryError in its task
    (and is dead-lettered) instead of taking the machine down or inviting the OOM killer."""
    if megabytes <= 0:
        return
    import resource

    limit = megabytes * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


@signals.task_prerun.connect
def _bind_task(task_id: str | None = None, task: Any = None, **_: Any) -> None:
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(task_id=task_id, task=getattr(task, "name", None))


@signals.task_postrun.connect
def _unbind_task(**_: Any) -> None:
    structlog.contextvars.clear_contextvars()
