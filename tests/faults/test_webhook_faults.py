"""A webhook receiver that hangs: alerts pile up on the webhooks queue, ingestion goes on at full pace."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from tests.faults.support import Workers, articles, check_invariants, make_submitter, wait_all
from wirewatch import constants as c
from worker.subscriptions import put_subscription, validate

pytestmark = pytest.mark.timeout(600)


@pytest.fixture
def hanging_receiver() -> Iterator[str]:
    """A loopback HTTP server that accepts connections, reads the request, and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(128)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            held.append(conn)  # keep it open, say nothing

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/hook"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def test_hanging_webhook_does_not_slow_ingestion(workers: Workers, fault_redis: str, hanging_receiver: str) -> None:
    """Every article of a matching batch is emitted while every webhook call hangs on the receiver."""
    client, submitter, _ = make_submitter(fault_redis)
    put_subscription(client, validate("everything", "report", webhook=hanging_receiver, secret="s3cret-" * 3))
    env = {"WIREWATCH_ALLOW_PRIVATE_NETWORKS": "true"}
    # The layout `wirewatch run` and docker-compose use: ingestion on processes, network waits on threads.
    workers.start(concurrency=2, queues=c.INGEST_QUEUE, **env)
    workers.start(concurrency=4, queues=",".join(c.IO_QUEUES), pool="threads", **env)
    ids = submitter.submit(articles(160, seed=11))
    started = time.monotonic()
    recovery = wait_all(client, submitter, ids, timeout=180, reconcile=False)
    counts = check_invariants(client, ids, "webhook receiver hangs (every call)", recovery)
    assert counts.get("emitted") == len(ids), counts
    alerts = client.xlen(c.ALERTS_STREAM)
    assert alerts == len(ids)  # each article is its own story and matches
    assert time.monotonic() - started < 180
