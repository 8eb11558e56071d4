"""A `wirewatch worker` whose Redis cannot write its AOF (a full disk: Redis answers MISCONF, BRPOP included).

Redis runs with AOF on a small tmpfs mounted for the test (root only: skipped with the reason elsewhere, failing in
CI; see tests/wirewatch/test_run_disk.py, whose fixture and filler are used here). The worker must ride the refusal
out like an outage, on its own, without exiting: a fleet worker has no runner to restart it.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from tests.faults.support import (
    RedisProcess,
    Workers,
    articles,
    check_invariants,
    make_submitter,
    wait_all,
    wait_progress,
)
from tests.wirewatch.test_run_disk import _fill, disk

__all__ = ["disk"]  # the tmpfs fixture, used by name

pytestmark = pytest.mark.timeout(300)

REASON = "Errors writing to the AOF file: No space left on device"


@pytest.fixture
def disk_redis(disk: Path) -> Iterator[RedisProcess]:
    """A redis-server of our own, AOF everysec, its data on the small disk."""
    server = RedisProcess(disk, aof=True)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def disk_workers(disk_redis: RedisProcess, tmp_path: Path) -> Iterator[Workers]:
    pool = Workers(disk_redis.url, tmp_path)
    yield pool
    pool.stop_all()


def _refusing(client: redis.Redis) -> bool:
    try:
        client.ping()
    except redis.ResponseError as e:
        assert "MISCONF" in str(e), e
        return True
    return False


def _fill_until_refused(disk: Path, client: redis.Redis) -> Path:
    """Fill the disk, then write until Redis fails to append its AOF and refuses writes (MISCONF)."""
    filler = _fill(disk)
    deadline = time.monotonic() + 30
    while not _refusing(client):
        assert time.monotonic() < deadline, "Redis kept taking writes on a full disk"
        try:
            client.set("misconf:probe", "x" * 65536)
        except redis.ResponseError as e:
            assert "MISCONF" in str(e), e
        time.sleep(0.1)
    return filler


def _wait(predicate: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def _log(workers: Workers, n: int = 0) -> str:
    return (workers.log_dir / f"worker-{n}.log").read_text(errors="replace")


def _assert_rode_it_out(proc: subprocess.Popen[bytes], workers: Workers) -> None:
    log = _log(workers)
    assert proc.poll() is None, f"the worker exited ({proc.returncode}):\n{log[-3000:]}"
    assert "Unrecoverable error" not in log, log[-3000:]
    said = [line for line in log.splitlines() if '"broker_cannot_persist"' in line]
    assert len(said) == 1, log[-3000:]
    assert REASON in said[0], said[0]


def test_a_worker_rides_out_redis_refusing_writes_and_loses_nothing(
    disk: Path, disk_redis: RedisProcess, disk_workers: Workers
) -> None:
    """The disk fills while the worker consumes: it logs `broker_cannot_persist` once with the reason, keeps
    running, consumes again by itself once space is freed, and every article (before and after) ends as one event."""
    client, submitter, _ = make_submitter(disk_redis.url)
    proc = disk_workers.start(concurrency=2)
    ids = submitter.submit(articles(48, seed=61))
    wait_progress(client, ids, 8)
    filler = _fill_until_refused(disk, client)
    # Long enough for the consumer's next BRPOP (a second apart) to be refused, and for a retry or two.
    assert _wait(lambda: '"broker_cannot_persist"' in _log(disk_workers) or proc.poll() is not None, 30)
    time.sleep(3)
    _assert_rode_it_out(proc, disk_workers)
    filler.unlink()
    assert _wait(lambda: not _refusing(client), 30), "Redis still refuses writes with room on its disk"
    ids += submitter.submit(articles(24, seed=62))
    recovery = wait_all(client, submitter, ids, timeout=120, reconcile=True)
    _assert_rode_it_out(proc, disk_workers)
    counts = check_invariants(client, ids, "Redis cannot persist (MISCONF, disk full) under a worker", recovery)
    assert counts.get("emitted") == len(ids), counts


def test_a_worker_started_while_redis_refuses_writes_waits_for_it(
    disk: Path, disk_redis: RedisProcess, disk_workers: Workers
) -> None:
    """A worker started while Redis refuses writes says so once, waits, and consumes once Redis takes writes again."""
    client, submitter, _ = make_submitter(disk_redis.url)
    filler = _fill_until_refused(disk, client)
    proc = disk_workers.start(concurrency=1)
    assert _wait(lambda: '"broker_cannot_persist"' in _log(disk_workers) or proc.poll() is not None, 60)
    time.sleep(3)
    _assert_rode_it_out(proc, disk_workers)
    filler.unlink()
    assert _wait(lambda: not _refusing(client), 30), "Redis still refuses writes with room on its disk"
    ids = submitter.submit(articles(8, seed=63))
    recovery = wait_all(client, submitter, ids, timeout=120, reconcile=False)
    _assert_rode_it_out(proc, disk_workers)
    counts = check_invariants(client, ids, "worker started while Redis cannot persist", recovery)
    assert counts.get("emitted") == len(ids), counts
