"""A `wirewatch worker` that processes articles builds its pipeline as it starts, not on its first task; one
that only polls feeds and delivers webhooks never builds one."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import redis

from tests.faults.support import Workers
from tests.helpers import make_raw_article, wait_for_status
from wirewatch import constants as c
from wirewatch.queue import FEED_POLL_TASK, celery_app
from wirewatch.settings import Settings
from worker.app import _BUILD_LOCKS, IOServices, _io, create_app
from worker.subscriptions import put_subscription, validate


def _log_events(path: Path) -> list[dict[str, object]]:
    out = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue  # Celery's own banner
        if isinstance(record, dict):
            out.append(record)
    return out


def _wait_for_log(path: Path, seen: Callable[[list[dict[str, object]]], bool], deadline: float, what: str) -> None:
    while not seen(_log_events(path)):
        assert time.monotonic() < deadline, f"{what}: {_log_events(path)}"
        time.sleep(0.1)


def _builds(path: Path) -> list[dict[str, object]]:
    return [e for e in _log_events(path) if e.get("event") == "subscriptions_loaded"]


@pytest.mark.parametrize(("pool", "builds"), [("prefork", 2), ("solo", 1)])
def test_workers_build_their_pipeline_before_any_task(
    redis_url: str, client: redis.Redis, tmp_path: Path, submit: Callable[..., list[str]], pool: str, builds: int
) -> None:
    """Each prefork child (or the solo process) compiles the subscriptions at start, and its first task uses
    that build instead of paying for its own."""
    put_subscription(client, validate("sub-warm", "election AND parliament"))
    workers = Workers(redis_url, tmp_path)
    workers.start(concurrency=2, pool=pool, WIREWATCH_LOG_FORMAT="json")
    log = tmp_path / "worker-0.log"
    try:
        _wait_for_log(log, lambda _: len(_builds(log)) >= builds, time.monotonic() + 60,
                      f"expected {builds} builds with no task sent")  # fmt: skip
        events, ready = _log_events(log), _builds(log)
        assert len(ready) == builds
        assert all(e.get("total") == 1 for e in ready)
        assert not [e for e in events if e.get("event") == "pipeline_warm_failed"]
        assert not [e for e in events if "task_id" in e], "no task ran yet"

        body = "Parliament election\n\nThe parliament election is on Sunday, and the vote count follows."
        ids = submit(make_raw_article(content=body))
        assert wait_for_status(client, ids)[ids[0]]["state"] == "emitted"
        assert client.xlen(c.ALERTS_STREAM) == 1
        # The task used the pipeline built at start: no process built a second one.
        assert len(_builds(log)) == builds
    finally:
        workers.stop_all()


def test_a_feeds_and_webhooks_worker_never_builds_the_pipeline(
    redis_url: str, client: redis.Redis, tmp_path: Path
) -> None:
    """A worker that only polls feeds and delivers webhooks has no articles to process: it builds no pipeline,
    at start or for its tasks (a pipeline with its models and compiled subscriptions is not small)."""
    put_subscription(client, validate("sub-warm", "election"))
    workers = Workers(redis_url, tmp_path)
    workers.start(concurrency=2, pool="threads", queues="feeds,webhooks", WIREWATCH_LOG_FORMAT="json")
    log = tmp_path / "worker-0.log"
    try:
        deadline = time.monotonic() + 60
        _wait_for_log(log, lambda events: any(str(e.get("event", "")).endswith(" ready.") for e in events), deadline,
                      "worker not ready")  # fmt: skip
        time.sleep(3)  # a build started at start would have logged by now (it takes ~1 s here)
        app = celery_app(redis_url)
        app.send_task(FEED_POLL_TASK, args=[{"url": "https://feeds.example/rss", "token": "t"}], queue=c.FEEDS_QUEUE)
        _wait_for_log(log, lambda events: any(e.get("event") == "feed_polled" for e in events), deadline,
                      "poll not run")  # fmt: skip
        app.close()
        assert not [e for e in _log_events(log) if e.get("event") in ("enrich_warmed", "subscriptions_loaded")]
    finally:
        workers.stop_all()


def test_feed_and_webhook_services_never_wait_behind_the_pipeline_build(redis_url: str) -> None:
    """In a worker that consumes every queue, a feed poll that arrives while the pipeline is being built (a
    second or more with many subscriptions) gets its Redis client at once instead of waiting for the build."""
    app = create_app(Settings(), redis_url)
    got: list[IOServices] = []
    with _BUILD_LOCKS["_wirewatch_deps"]:  # a pipeline build in progress on another thread
        poll = threading.Thread(target=lambda: got.append(_io(app)), daemon=True)
        poll.start()
        poll.join(timeout=10)
        assert got, "the feed task's services waited for the pipeline build"
        assert getattr(app, "_wirewatch_deps", None) is None
    assert got[0].client.ping()
    assert _io(app) is got[0], "built once per process"
    got[0].client.close()
