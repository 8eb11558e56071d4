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
from tests.helpers import make_raw_article
from wirewatch.outcomes import read_status

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
    # Kills are paced by progress, not by the clock: one per 20 settled deliveries (and at least 0.15 s apart, so
    # the pool has replaced the last child), so that 20 of them land within the run however fast the machine is.
    step = len(ids) // 100
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
        # A pool still replacing the last child killed has none to kill yet: wait for it, rather than let the
        # progress pass by without a kill (at ~180 articles/s a process, 17 kills was all 2,000 articles gave).
        settle_by = time.monotonic() + 3
        while not (children := workers.children(main)) and main.poll() is None and time.monotonic() < settle_by:
            time.sleep(0.02)
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


def test_batch_past_its_soft_time_limit_dead_letters_no_innocent_article(workers: Workers, fault_redis: str) -> None:
    """A batch whose articles together outlast the soft time limit is split, not dead-lettered at whichever
    article the limit hits: each slow article is emitted on its own, and one that cannot finish alone within
    the limit ends dead after max_attempts instead of running until the hard limit kills its worker."""
    client, submitter, _ = make_submitter(fault_redis)
    workers.start(concurrency=2, poison=True, WIREWATCH_TEST_SOFT_TIME_LIMIT_S="4",
                  WIREWATCH_TEST_TIME_LIMIT_S="20")  # fmt: skip
    slow = [make_raw_article(content=f"Slow {i}\n\nThis page takes its time to parse: POISON-SLOW, {i}.")
            for i in range(7)]  # fmt: skip
    hang = make_raw_article(content="Hang\n\nThis page never finishes parsing: POISON-HANG.")
    ids = submitter.submit([*slow, hang])  # one message of 8, 1.5 s an article: past the 4 s limit at the third
    # No reconciler: a delivery pending 3 s is still in its first task here, and nothing may need re-sending.
    recovery = wait_all(client, submitter, ids, timeout=90, reconcile=False)
    statuses = read_status(client, ids)
    assert [statuses[raw.delivery_id]["state"] for raw in slow] == ["emitted"] * 7, statuses  # type: ignore[index]
    assert statuses[hang.delivery_id]["state"] == "dead"  # type: ignore[index]
    assert "max_attempts" in statuses[hang.delivery_id]["reason"]  # type: ignore[index]
    counts = check_invariants(client, ids, "batch past its soft time limit", recovery)
    assert counts == {"emitted": 7, "dead": 1}


def test_batch_past_its_hard_time_limit_is_redelivered_not_dropped(workers: Workers, fault_redis: str) -> None:
    """An article stuck where the soft limit cannot reach it (C code that never returns to Python) runs into the
    hard limit, whose kill puts the message back on the queue instead of acknowledging it: the batch is split
    at once and its other articles are emitted without waiting for the reconciler; the stuck one ends dead."""
    client, submitter, _ = make_submitter(fault_redis)
    workers.start(concurrency=2, poison=True, WIREWATCH_TEST_SOFT_TIME_LIMIT_S="2",
                  WIREWATCH_TEST_TIME_LIMIT_S="4")  # fmt: skip
    good = articles(7, seed=17)
    stuck = make_raw_article(content="Stuck\n\nThis page hangs its parser where no signal reaches: POISON-STUCK.")
    ids = submitter.submit([*good[:3], stuck, *good[3:]])
    recovery = wait_all(client, submitter, ids, timeout=120, reconcile=False)  # no reconciler: nothing to re-send
    statuses = read_status(client, ids)
    assert statuses[stuck.delivery_id]["state"] == "dead"  # type: ignore[index]
    assert "max_attempts" in statuses[stuck.delivery_id]["reason"]  # type: ignore[index]
    counts = check_invariants(client, ids, "article stuck past the hard time limit", recovery)
    assert counts == {"emitted": 7, "dead": 1}
