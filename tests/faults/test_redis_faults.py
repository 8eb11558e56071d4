"""Redis faults: killed with AOF, killed without persistence, stalled — and poison messages of every kind."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from tests.faults.support import (
    RedisProcess,
    Workers,
    articles,
    check_invariants,
    make_submitter,
    record,
    settled_count,
    wait_all,
    wait_progress,
)
from tests.helpers import make_raw_article, stream_events
from wirewatch.outcomes import read_status
from wirewatch.redis_server import connect
from wirewatch.runner import started
from wirewatch.settings import load_settings

# A loaded shared machine can make one scenario take minutes; each still has its own recovery bound.
pytestmark = pytest.mark.timeout(600)


def test_redis_kill_9_with_aof_and_restart(redis_aof: RedisProcess, workers: Workers) -> None:
    """Redis killed mid-run and restarted from its AOF: workers reconnect (or exit and are restarted, as a
    supervisor does), the ledger re-sends, all end once."""
    client, submitter, _ = make_submitter(redis_aof.url)
    workers.start(concurrency=2)
    ids = submitter.submit(articles(240, seed=4))
    time.sleep(1.5)  # everysec: what was accepted more than a second ago is on disk
    wait_progress(client, ids, 20)
    redis_aof.kill9()
    time.sleep(1)
    redis_aof.start()
    client = connect(redis_aof.url)
    client2, submitter, _ = make_submitter(redis_aof.url)
    recovery = wait_all(client2, submitter, ids, timeout=120, reconcile=True, supervised=workers)
    counts = check_invariants(client2, ids, "kill -9 redis (AOF everysec), restart", recovery)
    assert counts.get("emitted") == len(ids), counts
    assert recovery < 120


def test_redis_restart_without_persistence_is_detected_and_recovered(
    redis_volatile: RedisProcess, workers: Workers, tmp_path: Path
) -> None:
    """Redis comes back empty: the runner notices, logs it loudly, and re-reads the inbox; every file ends as an event."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for raw in articles(120, seed=5):
        (inbox / f"{raw.url.rsplit('/', 1)[1]}.txt").write_text(raw.content, encoding="utf-8")  # type: ignore[union-attr]
    settings = load_settings(None, redis_url=redis_volatile.url, inbox=[{"path": str(inbox)}], reconcile_after="3s",
                             batch_size=8)  # fmt: skip
    workers.start(concurrency=2, url=redis_volatile.url)
    with started(settings, with_worker=False) as runner:
        runner.read_inboxes(settle=False)
        deadline = time.monotonic() + 60
        while sum(runner.tally.outcomes.values()) < 10:
            runner.tally.refresh(runner.client)
            assert time.monotonic() < deadline
            time.sleep(0.1)
        redis_volatile.kill9()
        lost_at = time.monotonic()
        redis_volatile.start()
        time.sleep(1.5)
        recovered = False
        deadline = time.monotonic() + 120
        while not recovered or runner.tally.unsettled:
            assert time.monotonic() < deadline, f"{len(runner.tally.unsettled)} still unsettled"
            workers.supervise()  # as the runner does for its own worker, and compose's restart policy
            try:
                recovered |= runner.recover_lost_state()
                runner.maintain()
                runner.tally.refresh(runner.client)
            except ConnectionError:
                pass
            time.sleep(0.2)
        events = stream_events(runner.client)
    ids = [e["id"] for e in events]
    record("redis restarted empty (no persistence)", 120, len(events), len(ids) - len(set(ids)), 0,
           time.monotonic() - lost_at)
    assert recovered
    titles = {e["title"] for e in events}
    assert len(titles) == 120 and len(events) == 120  # every file, once, in the new Redis


def test_redis_stalled_longer_than_timeouts(redis_aof: RedisProcess, workers: Workers) -> None:
    """Redis frozen (SIGSTOP) for several seconds, then thawed: nothing lost, nothing doubled."""
    client, submitter, _ = make_submitter(redis_aof.url)
    workers.start(concurrency=2)
    ids = submitter.submit(articles(200, seed=6))
    wait_progress(client, ids, 20)
    redis_aof.signal(signal.SIGSTOP)
    time.sleep(8)
    redis_aof.signal(signal.SIGCONT)
    recovery = wait_all(client, submitter, ids, timeout=120, reconcile=True, supervised=workers)
    counts = check_invariants(client, ids, "redis stalled 8 s (SIGSTOP/SIGCONT)", recovery)
    assert counts.get("emitted") == len(ids), counts


@pytest.mark.parametrize("kind", ["RAISE", "EXIT", "SEGV", "MEMORY"])
def test_poison_is_dead_lettered_and_the_rest_flows(redis_aof: RedisProcess, workers: Workers, kind: str) -> None:
    """An article that raises, exits, segfaults or blows memory ends in ww:dead with a reason; the rest is emitted."""
    client, submitter, _ = make_submitter(redis_aof.url)
    workers.start(concurrency=2, poison=True, WIREWATCH_WORKER_MEMORY_LIMIT_MB="1024")
    good = articles(40, seed=7)
    poison = make_raw_article(content=f"Poisoned\n\nThis article carries POISON-{kind} in its text.")
    ids = submitter.submit([*good[:20], poison, *good[20:]])
    recovery = wait_all(client, submitter, ids, timeout=180, reconcile=True)
    statuses = read_status(client, ids)
    assert statuses[poison.delivery_id]["state"] == "dead"  # type: ignore[index]
    reason = statuses[poison.delivery_id]["reason"] + statuses[poison.delivery_id]["detail"]  # type: ignore[index]
    expected = {"RAISE": "RuntimeError", "EXIT": "max_attempts", "SEGV": "max_attempts", "MEMORY": "MemoryError"}[kind]
    assert expected in reason, reason
    counts = check_invariants(client, ids, f"poison: {kind.lower()}", recovery)
    assert counts == {"emitted": 40, "dead": 1}
    assert settled_count(client, ids) == 41
