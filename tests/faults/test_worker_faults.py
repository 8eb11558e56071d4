"""Faults against real worker processes on their own redis-server: nothing missing, nothing doubled.

Each test starts a redis-server on a free loopback port (AOF everysec) and `wirewatch worker` processes,
submits articles through the real ledger, injects a fault, and checks: every accepted delivery emitted or
dead-lettered with a reason, no event id twice in ww:events, nothing left pending, recovery in bounded time.
"""

from __future__ import annotations

import os
import signal
import time

import pytest

from tests.faults.support import (
    Workers,
    articles,
    check_invariants,
    make_submitter,
    settled_count,
    wait_all,
    wait_progress,
)

# A loaded shared machine can make one scenario take minutes; each still has its own recovery bound.
pytestmark = pytest.mark.timeout(600)


def test_kill_9_worker_child_mid_task(workers: Workers, fault_redis: str) -> None:
    """A child killed mid-task: its message is requeued, split, and every article still ends exactly once."""
    client, submitter, _ = make_submitter(fault_redis)
    main = workers.start(concurrency=2)
    ids = submitter.submit(articles(240, seed=1))
    wait_progress(client, ids, 20)
    for _ in range(3):
        children = workers.children(main)
        assert children
        os.kill(children[0], signal.SIGKILL)
        time.sleep(0.5)
    recovery = wait_all(client, submitter, ids, timeout=90, reconcile=False)
    counts = check_invariants(client, ids, "kill -9 worker child x3", recovery)
    assert counts.get("emitted") == len(ids), counts
    assert recovery < 90


def test_kill_9_worker_main_process(workers: Workers, fault_redis: str) -> None:
    """The whole worker killed: a new worker plus the ledger's reconciler finish everything, once."""
    client, submitter, _ = make_submitter(fault_redis)
    first = workers.start(concurrency=2)
    ids = submitter.submit(articles(240, seed=2))
    wait_progress(client, ids, 20)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    before = settled_count(client, ids)
    assert before < len(ids)
    workers.start(concurrency=2)
    recovery = wait_all(client, submitter, ids, timeout=120, reconcile=True)
    counts = check_invariants(client, ids, "kill -9 whole worker, restart", recovery)
    assert counts.get("emitted") == len(ids), counts


def test_sigterm_during_work_loses_nothing(workers: Workers, fault_redis: str) -> None:
    """SIGTERM mid-run: the worker finishes what it runs, unstarted messages go back, a new worker ends the rest."""
    client, submitter, _ = make_submitter(fault_redis)
    first = workers.start(concurrency=2)
    ids = submitter.submit(articles(240, seed=3))
    wait_progress(client, ids, 20)
    first.send_signal(signal.SIGTERM)
    assert first.wait(timeout=60) == 0
    assert settled_count(client, ids) < len(ids)
    workers.start(concurrency=2)
    recovery = wait_all(client, submitter, ids, timeout=90, reconcile=False)  # no reconciler: nothing was lost
    counts = check_invariants(client, ids, "SIGTERM mid-run, restart", recovery)
    assert counts.get("emitted") == len(ids), counts


def test_soak_20_kills_over_2000_articles(workers: Workers, fault_redis: str) -> None:
    """2,000 articles while worker children are killed 20 times and the whole worker once: all end exactly once."""
    client, submitter, _ = make_submitter(fault_redis)
    main = workers.start(concurrency=2)
    ids = submitter.submit(articles(2000, seed=9))
    wait_progress(client, ids, 20)  # the pool is up: a child killed while Celery starts its pool ends the worker
    kills = restarts = 0
    deadline = time.monotonic() + 300
    # Kills are paced by progress, not by the clock: one per 40 settled deliveries (and at least 0.15 s apart, so
    # the pool has replaced the last child), so that 20 of them land within the run however fast the machine is.
    step = len(ids) // 50
    while kills < 20 and (done := settled_count(client, ids)) < len(ids):
        mark = min(len(ids), done + step)
        time.sleep(0.15)
        while settled_count(client, ids) < mark and main.poll() is None:
            assert time.monotonic() < deadline, f"only {kills} kills in 300 s"
            time.sleep(0.05)
        if main.poll() is not None:
            # Celery ends a worker whose child dies before the pool is up; a supervisor starts it again.
            main = workers.start(concurrency=2)
            restarts += 1
            wait_progress(client, ids, settled_count(client, ids) + 1)
            continue
        children = workers.children(main)
        if children:
            os.kill(children[kills % len(children)], signal.SIGKILL)
            kills += 1
    os.killpg(main.pid, signal.SIGKILL)
    main.wait()
    started = time.monotonic()
    workers.start(concurrency=2)
    wait_all(client, submitter, ids, timeout=240, reconcile=True)
    restarted = f", {restarts} worker restarts" if restarts else ""
    counts = check_invariants(client, ids, f"soak: {kills} child kills{restarted} + whole worker, 2,000 articles",
                              time.monotonic() - started)  # fmt: skip
    assert kills >= 20, "the run ended before 20 kills: not a soak"
    assert counts.get("emitted") == len(ids), counts
