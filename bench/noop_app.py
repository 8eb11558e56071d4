"""The Celery anchor of the pipeline benchmark: a no-op task on our broker settings, one solo worker.

The task does nothing but push its finishing time to a Redis list (one RPUSH, ~50 µs), so the benchmark can
measure the rate between the first and the last task without counting worker start-up.

    python -m bench.noop_app REDIS_URL      # runs the worker; bench.pipeline enqueues the tasks
"""

from __future__ import annotations

import sys
import time

import redis
from celery import Celery
from kombu.entity import Queue

from wirewatch.queue import celery_config
from wirewatch.redis_server import connect

NOOP_QUEUE = "bench-noop"
DONE = "bench:noop:done"


def make_app(url: str) -> Celery:
    app = Celery("bench-noop", set_as_current=False)
    app.conf.update(celery_config(url))
    app.conf.update(task_queues=[Queue(NOOP_QUEUE)], task_default_queue=NOOP_QUEUE, task_routes={})  # type: ignore[no-untyped-call]
    client: redis.Redis = connect(url)

    @app.task(name="bench.noop")
    def noop() -> None:
        client.rpush(DONE, time.time())

    return app


if __name__ == "__main__":
    app = make_app(sys.argv[1])
    worker = app.Worker(concurrency=1, pool_cls="solo", queues=[NOOP_QUEUE], loglevel="WARNING",
                        without_gossip=True, without_mingle=True, quiet=True)  # fmt: skip
    worker.start()
