"""Faults against real worker processes on their own redis-server: nothing missing, nothing doubled.

Each test starts a redis-server on a free loopback port (AOF everysec) and `wirewatch worker` processes,
submits articles through the real ledger, injects a fault, and checks: every accepted delivery emitted or
dead-lettered with a reason, no event id twice in ww:events, nothing left pending, recovery in bounded time.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from producers.submit import Submitter
from tests.helpers import make_raw_article, stream_events
from wirewatch import constants as c
from wirewatch.outcomes import Outcomes, read_status
from wirewatch.queue import celery_app
from wirewatch.redis_server import connect, redis_binary
from wirewatch.runner import queue_depth
from wirewatch.settings import Settings, load_settings

RECONCILE_AFTER_S = 3.0
WORDS = ["river", "council", "harbour", "budget", "election", "storm", "rail", "strike", "wheat", "harvest", "museum", "comet", "court", "probe", "minister", "market", "bridge", "drought", "shipping", "festival", "vaccine", "hospital", "school", "police", "border"]  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def fault_redis(tmp_path: Path) -> Iterator[str]:
    """A redis-server of our own on a free loopback port, AOF everysec, killed at the end."""
    port = _free_port()
    proc = subprocess.Popen([redis_binary(), "--port", str(port), "--bind", "127.0.0.1", "--dir", str(tmp_path),
                             "--appendonly", "yes", "--appendfsync", "everysec", "--save", ""],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while True:
        try:
            connect(url).ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                proc.kill()
                pytest.fail("redis-server did not start")
            time.sleep(0.05)
    yield url
    proc.kill()
    proc.wait()


class Workers:
    """`wirewatch worker` processes, each in its own process group so a fault can hit it whole."""

    def __init__(self, url: str, log_dir: Path) -> None:
        self.url = url
        self.log_dir = log_dir
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, concurrency: int = 2) -> subprocess.Popen[bytes]:
        log = open(self.log_dir / f"worker-{len(self.procs)}.log", "wb")  # noqa: SIM115 - closed with the process
        env = {**os.environ, "WIREWATCH_REDIS_URL": self.url, "WIREWATCH_LOG_LEVEL": "info",
               "WIREWATCH_BATCH_SIZE": "8"}  # fmt: skip
        proc = subprocess.Popen([sys.executable, "-m", "wirewatch", "worker", "--concurrency", str(concurrency)],
                                env=env, stdout=log, stderr=log, start_new_session=True)  # fmt: skip
        self.procs.append(proc)
        return proc

    def children(self, proc: subprocess.Popen[bytes]) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


@pytest.fixture
def workers(fault_redis: str, tmp_path: Path) -> Iterator[Workers]:
    pool = Workers(fault_redis, tmp_path)
    yield pool
    pool.stop_all()


def _articles(n: int, seed: int) -> list:  # type: ignore[type-arg]
    rng = random.Random(seed)
    out = []
    for i in range(n):
        words = " ".join(rng.choice(WORDS) for _ in range(120))
        out.append(make_raw_article(content=f"Report {seed}-{i}\n\nReport number {i}: {words}.",
                                    url=f"https://faults.example/{seed}/{i}"))  # fmt: skip
    return out


def _submitter(url: str) -> tuple[redis.Redis, Submitter, Settings]:
    client = connect(url)
    settings = load_settings(None, redis_url=url, batch_size=8)
    return client, Submitter(client, celery_app(url), Outcomes(client, settings), settings.batch_size), settings


def _settled(client: redis.Redis, ids: list[str]) -> int:
    return sum(1 for s in read_status(client, ids).values() if s)


def _wait(client: redis.Redis, submitter: Submitter, ids: list[str], timeout: float, reconcile: bool) -> float:
    """Wait until every delivery settled, reconciling like the runner does; return the seconds it took."""
    started = time.monotonic()
    while _settled(client, ids) < len(ids):
        if time.monotonic() - started > timeout:
            pytest.fail(f"{len(ids) - _settled(client, ids)} of {len(ids)} not settled in {timeout}s")
        if reconcile and queue_depth(client) == 0:
            submitter.resend_stale(RECONCILE_AFTER_S)
        time.sleep(0.2)
    return time.monotonic() - started


def _check_invariants(client: redis.Redis, ids: list[str]) -> dict[str, int]:
    """Nothing missing, nothing doubled, nothing pending; returns counts by outcome."""
    statuses = read_status(client, ids)
    states = [s["state"] for s in statuses.values() if s]
    assert len(states) == len(ids)
    assert set(states) <= {"emitted", "dead"}, set(states)
    events = stream_events(client)
    event_ids = [e["id"] for e in events]
    assert len(event_ids) == len(set(event_ids)), "an event was emitted twice"
    assert len(events) == states.count("emitted")
    assert client.zcard(c.LEDGER_PENDING) == 0 and client.hlen(c.LEDGER_PAYLOAD) == 0
    return {state: states.count(state) for state in set(states)}


def _wait_progress(client: redis.Redis, ids: list[str], at_least: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while _settled(client, ids) < at_least:
        if time.monotonic() > deadline:
            pytest.fail("workers made no progress")
        time.sleep(0.05)


def test_kill_9_worker_child_mid_task(workers: Workers, fault_redis: str) -> None:
    """A child killed mid-task: its message is requeued, split, and every article still ends exactly once."""
    client, submitter, _ = _submitter(fault_redis)
    main = workers.start(concurrency=2)
    ids = submitter.submit(_articles(240, seed=1))
    _wait_progress(client, ids, 20)
    for _ in range(3):
        children = workers.children(main)
        assert children
        os.kill(children[0], signal.SIGKILL)
        time.sleep(0.5)
    recovery = _wait(client, submitter, ids, timeout=90, reconcile=False)
    counts = _check_invariants(client, ids)
    assert counts.get("emitted") == len(ids), counts
    assert recovery < 90


def test_kill_9_worker_main_process(workers: Workers, fault_redis: str) -> None:
    """The whole worker killed: a new worker plus the ledger's reconciler finish everything, once."""
    client, submitter, _ = _submitter(fault_redis)
    first = workers.start(concurrency=2)
    ids = submitter.submit(_articles(240, seed=2))
    _wait_progress(client, ids, 20)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    before = _settled(client, ids)
    assert before < len(ids)
    workers.start(concurrency=2)
    _wait(client, submitter, ids, timeout=120, reconcile=True)
    counts = _check_invariants(client, ids)
    assert counts.get("emitted") == len(ids), counts


def test_sigterm_during_work_loses_nothing(workers: Workers, fault_redis: str) -> None:
    """SIGTERM mid-run: the worker finishes what it runs, unstarted messages go back, a new worker ends the rest."""
    client, submitter, _ = _submitter(fault_redis)
    first = workers.start(concurrency=2)
    ids = submitter.submit(_articles(240, seed=3))
    _wait_progress(client, ids, 20)
    first.send_signal(signal.SIGTERM)
    assert first.wait(timeout=60) == 0
    assert _settled(client, ids) < len(ids)
    workers.start(concurrency=2)
    _wait(client, submitter, ids, timeout=90, reconcile=False)  # no reconciler: nothing was lost
    counts = _check_invariants(client, ids)
    assert counts.get("emitted") == len(ids), counts
