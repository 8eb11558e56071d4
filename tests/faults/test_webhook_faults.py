"""A webhook receiver that hangs: alerts pile up on the webhooks queue, ingestion goes on at full pace."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

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


def test_a_hanging_receiver_does_not_hold_up_deliveries_to_the_others(
    workers: Workers, fault_redis: str, hanging_receiver: str
) -> None:
    """Every alert goes to a receiver that never answers and to one that does. The hanging one gets at most
    WEBHOOK_HOST_MAX_CONCURRENT deliveries in flight, so the healthy one gets all of its alerts while those
    wait out their timeouts (before the cap, every thread of the worker sat on the hanging receiver, and the
    healthy one got ~4 alerts per 10 s timeout)."""
    from tests.worker.test_webhooks import SECRET, Receiver

    client, submitter, _ = make_submitter(fault_redis)
    env = {"WIREWATCH_ALLOW_PRIVATE_NETWORKS": "true"}
    with Receiver([]) as healthy:
        put_subscription(client, validate("stuck", "report", webhook=hanging_receiver, secret=SECRET))
        put_subscription(client, validate("fine", "report", webhook=healthy.url, secret=SECRET))
        workers.start(concurrency=2, queues=c.INGEST_QUEUE, **env)
        workers.start(concurrency=6, queues=",".join(c.IO_QUEUES), pool="threads", **env)
        ids = submitter.submit(articles(60, seed=13))
        wait_all(client, submitter, ids, timeout=180, reconcile=False)
        emitted = time.monotonic()
        deadline = emitted + 30
        while len(healthy.requests) < len(ids) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(healthy.requests) == len(ids), f"{len(healthy.requests)} of {len(ids)} delivered in 30 s"
        delivered = int(client.hget(c.ALERT_STATS, "webhook:delivered") or 0)
        assert delivered == len(ids)  # the hanging receiver's deliveries are still being tried, none counted


def test_a_worker_dying_between_alert_and_webhook_still_delivers_it(
    workers: Workers, fault_redis: str, tmp_path: Path
) -> None:  # fmt: skip
    """A worker child that dies after writing an alert and before enqueueing its webhook: the redelivered message
    finds the alert claimed and its outbox entry still there, and sends the webhook from it, once."""
    from tests.worker.test_webhooks import SECRET, Receiver

    client, submitter, _ = make_submitter(fault_redis)
    died = tmp_path / "died"
    env = {"WIREWATCH_ALLOW_PRIVATE_NETWORKS": "true"}
    with Receiver([]) as receiver:
        put_subscription(client, validate("all", "report", webhook=receiver.url, secret=SECRET))
        workers.start(concurrency=1, poison=True, queues=c.INGEST_QUEUE, WIREWATCH_TEST_DIE_BEFORE_WEBHOOKS=str(died),
                      **env)  # fmt: skip
        workers.start(concurrency=2, queues=",".join(c.IO_QUEUES), pool="threads", **env)
        ids = submitter.submit(articles(1, seed=14))
        recovery = wait_all(client, submitter, ids, timeout=90, reconcile=False)
        assert died.exists()
        assert check_invariants(client, ids, "worker dies between alert and webhook", recovery) == {"emitted": 1}
        assert client.xlen(c.ALERTS_STREAM) == 1
        deadline = time.monotonic() + 20
        while not receiver.requests and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(receiver.requests) == 1, "the alert is in ww:alerts, its webhook never left"
        assert client.hlen(c.WEBHOOK_OUTBOX) == 0
