"""Redis faults: killed with AOF, killed without persistence, stalled — and poison messages of every kind."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import redis

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
from wirewatch.runner import started, wait_settled
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


def test_runner_rides_out_a_redis_outage(redis_aof: RedisProcess, workers: Workers, tmp_path: Path) -> None:
    """Redis down for a few seconds under `wirewatch run`'s loop: the runner waits for it instead of dying, and
    files that land during and after the outage are read and emitted once, like those before it."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    batches = [articles(20, seed=10), articles(10, seed=11), articles(10, seed=12)]

    _drop(inbox, batches[0])
    settings = load_settings(None, redis_url=redis_aof.url, inbox=[{"path": str(inbox)}], reconcile_after="3s",
                             inbox_poll_interval="0.2s", batch_size=8)  # fmt: skip
    workers.start(concurrency=2)
    with started(settings, with_worker=False) as runner:
        loop, failures = _watch_in_thread(runner)
        deadline = time.monotonic() + 60
        while sum(runner.tally.outcomes.values()) < 10:
            assert time.monotonic() < deadline and not failures, failures
            time.sleep(0.1)
        redis_aof.kill9()
        _drop(inbox, batches[1])  # lands while Redis is away
        time.sleep(3)
        redis_aof.start()
        _drop(inbox, batches[2])
        client = connect(redis_aof.url)
        _until_all_settled(client, 40, runner, workers, failures)
        runner.stop()
        loop.join(timeout=30)
    assert not failures, failures
    events = stream_events(client)
    assert len(events) == 40 and len({e["title"] for e in events}) == 40


def test_deliveries_redis_forgot_are_read_again(redis_volatile: RedisProcess, workers: Workers, tmp_path: Path) -> None:
    """Redis back with an older state that still holds the runner's marker — restarted from a snapshot, or a
    replica promoted before it had the latest writes — forgot deliveries it had accepted: the runner finds them
    neither pending nor settled, reads their files again, and every file ends as one event."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    raws = articles(12, seed=13)
    for raw in raws:
        (inbox / f"{raw.url.rsplit('/', 1)[1]}.txt").write_text(raw.content, encoding="utf-8")  # type: ignore[union-attr]
    settings = load_settings(None, redis_url=redis_volatile.url, inbox=[{"path": str(inbox)}], batch_size=8)
    with started(settings, with_worker=False) as runner:
        runner.client.save()  # the state Redis comes back with: the marker, none of the deliveries
        assert runner.read_inboxes(settle=False) == 12
        redis_volatile.kill9()
        redis_volatile.start()
        workers.start(concurrency=2, url=redis_volatile.url)
        assert wait_settled(runner, 60), f"{len(runner.tally.unsettled)} deliveries never settled"
        events = stream_events(runner.client)
        assert runner.tally.outcomes["lost_and_resubmitted"] == 12
    assert sorted(e["title"] for e in events) == sorted(raw.content.split("\n")[0] for raw in raws)


def test_embedded_redis_killed_under_run_is_started_again(tmp_path: Path) -> None:
    """The embedded redis-server killed (the OOM killer, a stray kill -9) under `wirewatch run`: the runner starts
    it again from its AOF on the same socket, the workers reconnect, and every file, before and after, ends as
    one event — with one server on the data folder, not two, and not none."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    batches = [articles(16, seed=15), articles(16, seed=16)]

    data = tmp_path / "data"
    settings = load_settings(None, data_dir=str(data), inbox=[{"path": str(inbox)}], inbox_poll_interval="0.2s",
                             reconcile_after="3s", batch_size=8)  # fmt: skip
    _drop(inbox, batches[0])
    with started(settings, with_worker=False) as runner:
        workers = Workers(runner.redis_url, tmp_path)
        try:
            workers.start(concurrency=2)
            loop, failures = _watch_in_thread(runner)
            deadline = time.monotonic() + 60
            while sum(runner.tally.outcomes.values()) < 8:
                assert time.monotonic() < deadline and not failures, failures
                time.sleep(0.1)
            [pid] = _servers_on(data)
            os.kill(int(pid), signal.SIGKILL)
            _drop(inbox, batches[1])
            deadline = time.monotonic() + 120
            while len(events := _events_or_none(runner.redis_url)) < 32 or runner.tally.unsettled:
                assert not failures, f"the runner's loop died: {failures[0]!r}"
                assert time.monotonic() < deadline, f"{len(events)} of 32 events; servers {_servers_on(data)}"
                workers.supervise()
                time.sleep(0.2)
            assert len(_servers_on(data)) == 1
        finally:
            runner.stop()
            workers.stop_all()
        loop.join(timeout=30)
    assert not failures, failures
    assert len(events) == 32 and len({e["title"] for e in events}) == 32
    # The server stopped at the end stays stopped: the loop, still running when it stopped, saw Redis gone and
    # did not bring back a server nobody would stop (one was left running after every run of this test).
    assert _servers_on(data) == []


def _drop(inbox: Path, raws: list[Any]) -> None:
    """Write each article into the inbox as a text file, named after its URL."""
    for raw in raws:
        (inbox / f"{raw.url.rsplit('/', 2)[1]}-{raw.url.rsplit('/', 1)[1]}.txt").write_text(raw.content)


def _watch_in_thread(runner: Any) -> tuple[threading.Thread, list[BaseException]]:
    """`runner.watch()` on a thread, as `wirewatch run` runs it; whatever ends the loop lands in the list."""
    failures: list[BaseException] = []

    def watch() -> None:
        try:
            runner.watch()
        except BaseException as e:  # what ends the loop ends `wirewatch run`
            failures.append(e)

    loop = threading.Thread(target=watch, name="runner-watch")
    loop.start()
    return loop, failures


def _until_all_settled(client: redis.Redis, events: int, runner: Any, workers: Workers,
                       failures: list[BaseException], timeout_s: float = 120) -> None:  # fmt: skip
    """Until ``events`` events are out and the runner has nothing unsettled, the workers supervised meanwhile;
    fails at once if the runner's loop died."""
    deadline = time.monotonic() + timeout_s
    while len(stream_events(client)) < events or runner.tally.unsettled:
        assert not failures, f"the runner's loop died: {failures[0]!r}"
        assert time.monotonic() < deadline, f"{len(stream_events(client))} of {events} events"
        workers.supervise()
        time.sleep(0.2)


def _servers_on(folder: Path) -> list[str]:
    """The redis-server processes whose data lives in ``folder``."""
    found = subprocess.run(["pgrep", "-f", f"redis-server.*{folder}"], capture_output=True, text=True).stdout
    return found.split()


def _events_or_none(url: str) -> list[dict[str, Any]]:
    """The events in ww:events, or none while Redis does not answer."""
    client = connect(url)
    try:
        return stream_events(client)
    except (redis.ConnectionError, redis.TimeoutError):
        return []
    finally:
        client.close()


def test_runner_waits_while_redis_is_full(redis_aof: RedisProcess, workers: Workers, tmp_path: Path) -> None:
    """Redis at its maxmemory with `noeviction` refuses writes: the runner's loop waits instead of dying, and
    once there is room again every file, including those that landed while it was full, ends as one event."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    batches = [articles(16, seed=18), articles(16, seed=19)]

    _drop(inbox, batches[0])
    settings = load_settings(None, redis_url=redis_aof.url, inbox=[{"path": str(inbox)}], reconcile_after="3s",
                             inbox_poll_interval="0.2s", batch_size=8)  # fmt: skip
    workers.start(concurrency=2)
    admin = connect(redis_aof.url)
    admin.config_set("maxmemory-policy", "noeviction")
    with started(settings, with_worker=False) as runner:
        loop, failures = _watch_in_thread(runner)
        deadline = time.monotonic() + 60
        while len(stream_events(admin)) < 16:
            assert time.monotonic() < deadline and not failures, failures
            time.sleep(0.1)
        admin.config_set("maxmemory", str(int(admin.info("memory")["used_memory"]) // 2))  # full: writes refused
        _drop(inbox, batches[1])
        time.sleep(3)
        assert not failures, f"the runner's loop died: {failures[0]!r}"
        admin.config_set("maxmemory", "0")
        _until_all_settled(admin, 32, runner, workers, failures)
        runner.stop()
        loop.join(timeout=30)
    events = stream_events(admin)
    assert len(events) == 32 and len({e["title"] for e in events}) == 32
