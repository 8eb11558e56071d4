"""`wirewatch run` as a process: what a kill, a second start or an unusable data folder leaves behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

ARTICLE = "Harbour bridge reopens\n\nThe harbour bridge reopened on Monday after six months of repairs, {n}.\n"


def _wirewatch(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wirewatch", *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "WIREWATCH_LOG_FORMAT": "json"})  # fmt: skip


def _pids(pattern: str) -> list[int]:
    found = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True).stdout
    return [int(pid) for pid in found.split()]


def _wait_for(what: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if what():
            return True
        time.sleep(0.1)
    return what()


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A config with its own inbox (three articles) and data folder, and no HTTP listener."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for n in range(3):
        (inbox / f"{n}.txt").write_text(ARTICLE.format(n=n), encoding="utf-8")
    path = tmp_path / "wirewatch.yml"
    path.write_text("data_dir: data\ninbox:\n  - path: inbox\nhttp:\n  enabled: false\n", encoding="utf-8")
    return path


def _start_run(config: Path) -> subprocess.Popen[str]:
    """`wirewatch run` with its output in run.out and its log in run.log; returns once both workers are up."""
    with (config.parent / "run.log").open("w") as log, (config.parent / "run.out").open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "wirewatch", "run", "-c", str(config)], text=True,
                                stdout=out, stderr=log, env={**os.environ, "WIREWATCH_LOG_FORMAT": "json"})  # fmt: skip
    started = _wait_for(lambda: (config.parent / "run.log").read_text().count('"worker_started"') == 2
                        and len(_pids(f"wirewatch worker.*{config}")) >= 2, 60)  # fmt: skip
    if not started:
        proc.kill()
        proc.wait()
        pytest.fail(f"run did not start: {(config.parent / 'run.log').read_text()[-3000:]}")
    return proc


def test_a_run_killed_with_sigkill_leaves_no_worker_or_redis_behind(config: Path) -> None:
    """`run` killed with SIGKILL cannot stop its children: its workers stop on their own once it is gone, and the
    embedded redis-server, left with no user, is shut down (AOF flushed) instead of running on for good; the next
    `run` starts a server of its own and finds what the killed one had."""
    proc = _start_run(config)
    redis_pattern = f"redis-server.*{config.parent}"
    try:
        assert len(_pids(redis_pattern)) == 1
        proc.kill()
        proc.wait()
        assert _wait_for(lambda: not _pids(f"wirewatch worker.*{config}"), 30), "workers outlived the run"
        assert _wait_for(lambda: not _pids(redis_pattern), 30), "redis-server outlived the run and its workers"
    finally:
        for pid in _pids(f"wirewatch worker.*{config}") + _pids(redis_pattern):
            os.kill(pid, signal.SIGKILL)
    again = _wirewatch("run", "--once", "-c", str(config))
    assert again.returncode == 0, again.stderr[-3000:]
    assert '"embedded_redis_started"' in again.stderr and "Traceback" not in again.stderr
    assert not _pids(redis_pattern)


def test_a_second_run_on_the_same_data_folder_is_refused(config: Path) -> None:
    """Two `run`s on one data folder would both read its inboxes and schedule its feeds: the second one stops at
    once with one line naming the first, exit 1, and leaves the first one's server and workers alone."""
    proc = _start_run(config)
    try:
        second = _wirewatch("run", "--once", "-c", str(config), timeout=60)
        assert second.returncode == 1, second.stderr[-3000:]
        assert f"already running on {config.parent / 'data'} (pid {proc.pid})" in second.stderr
        assert "Traceback" not in second.stderr and '"worker_started"' not in second.stderr
        assert proc.poll() is None and len(_pids(f"redis-server.*{config.parent}")) == 1
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    assert proc.returncode == 0
    assert _wait_for(lambda: not _pids(f"redis-server.*{config.parent}"), 10)


def test_an_unusable_data_folder_is_one_clear_line(config: Path) -> None:
    """A data folder that cannot be created (a file in its place, a read-only disk): one line naming it, exit 1,
    no traceback, no worker started."""
    (config.parent / "data").write_text("not a folder", encoding="utf-8")
    done = _wirewatch("run", "--once", "-c", str(config), timeout=60)
    assert done.returncode == 1, done.stderr[-3000:]
    assert "Traceback" not in done.stderr and '"worker_started"' not in done.stderr
    assert f"cannot use the data folder {config.parent / 'data'}" in done.stderr


@pytest.mark.parametrize("messages", ["queued", "lost"])
def test_run_once_finishes_what_an_interrupted_run_left_in_the_ledger(config: Path, messages: str) -> None:
    """Articles a stopped or killed `run` had accepted but not processed wait in the ledger; the next `run --once`
    processes them and counts them, instead of saying "nothing new" and leaving them pending, and sends again at
    once those whose message was lost (a worker killed with them) rather than after `reconcile_after`."""
    from wirewatch import constants as c
    from wirewatch.runner import started, stats_snapshot
    from wirewatch.settings import load_settings

    settings = load_settings(str(config))
    with started(settings, with_worker=False) as runner:  # accepted, then stopped before any worker ran
        assert runner.read_inboxes(settle=False) == 3
        if messages == "lost":
            runner.client.delete(*runner.client.keys(f"{c.INGEST_QUEUE}*"))
    done = _wirewatch("run", "--once", "-c", str(config))
    assert done.returncode == 0, done.stderr[-3000:]
    assert "wirewatch run — 3 deliveries" in done.stdout and "nothing new" not in done.stdout, done.stdout
    with started(settings, with_worker=False) as runner:
        stats = stats_snapshot(runner.client, settings)
        assert (stats["pending"], stats["queue_depth"], stats["outcomes"].get("emitted")) == (0, 0, 3)
        assert runner.client.zcard(c.LEDGER_PENDING) == 0


def test_the_summary_after_sigterm_counts_what_the_workers_finished_while_stopping(config: Path) -> None:
    """SIGTERM in the middle of a busy run: the workers finish what they hold, and the summary printed after
    counts it (it was printed before they stopped, calling "not settled" articles emitted a moment later); what
    was not processed is still pending in the ledger, to be finished by the next start."""
    import re

    from wirewatch.runner import started, stats_snapshot
    from wirewatch.settings import load_settings

    inbox = config.parent / "inbox"
    for n in range(3, 120):
        (inbox / f"{n}.txt").write_text(ARTICLE.format(n=f"story number {n} " * 20), encoding="utf-8")
    log = config.parent / "run.log"
    proc = _start_run(config)
    try:
        assert _wait_for(lambda: '"article_emitted"' in log.read_text(), 60)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, log.read_text()[-3000:]
    out = (config.parent / "run.out").read_text()
    counts = dict(re.findall(r"│ (emitted|duplicate|not settled)\s*│\s*(\d+) │", out))
    with started(load_settings(str(config)), with_worker=False) as runner:
        stats = stats_snapshot(runner.client, runner.settings)
    assert "wirewatch run — 120 deliveries" in out, out
    assert int(counts.get("emitted", 0)) == stats["outcomes"].get("emitted", 0), out
    assert int(counts.get("duplicate", 0)) == stats["outcomes"].get("duplicate", 0), out
    assert int(counts.get("not settled", 0)) == stats["pending"], (out, stats)


def test_a_second_run_on_an_inbox_already_watched_is_refused(config: Path, redis_url: str, tmp_path: Path) -> None:
    """On a shared Redis the data folder's lock does not apply (runners elsewhere use the same Redis), and a
    second `run` on the same machine and inbox read every file again beside the first: two deliveries of each
    (with `after: move`, two movers of each file). The inbox folder is now held for the run's lifetime, a kernel
    lock that goes with the process (a killed run leaves nothing stale), and writes nothing to the folder."""
    from wirewatch.runner import AlreadyRunning, started
    from wirewatch.settings import load_settings

    inbox = config.parent / "inbox"
    settings = load_settings(None, redis_url=redis_url, data_dir=str(tmp_path / "first"), inbox=[{"path": str(inbox)}])
    with started(settings, with_worker=False):
        second = subprocess.run([sys.executable, "-m", "wirewatch", "run", "--once", "-c", str(config)],
                                capture_output=True, text=True, timeout=120,
                                env={**os.environ, "WIREWATCH_REDIS_URL": redis_url})  # fmt: skip
        assert second.returncode == 1, second.stderr[-3000:]
        assert f"already watching the inbox {inbox}" in second.stderr, second.stderr[-3000:]
        with pytest.raises(AlreadyRunning), started(settings, with_worker=False):
            pass
    # The lock writes nothing into the folder; the one file there besides the articles is its memory's marker.
    assert sorted(os.listdir(inbox)) == [".wirewatch-inbox", "0.txt", "1.txt", "2.txt"]
    with started(settings, with_worker=False):  # released with the first run
        pass


def test_workers_0_starts_one_worker_process_per_core_this_run_may_use(config: Path) -> None:
    """`workers: 0` means one ingestion process per core; it counted the machine's cores (os.cpu_count), not the
    ones the run may use: in a container or under `taskset` limited to 1 of 64 cores it started 64 processes,
    each loading the pipeline's models (the memory of 64 for the CPU of 1)."""
    proc = subprocess.run(["taskset", "-c", "0", sys.executable, "-m", "wirewatch", "run", "--once", "-c", str(config)],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "WIREWATCH_LOG_FORMAT": "json"})  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    started = [json.loads(line) for line in proc.stderr.splitlines() if '"worker_started"' in line]
    assert [e["concurrency"] for e in started if e["queues"] == ["ingest"]] == [1], started


def test_a_closed_terminal_stops_run_cleanly(config: Path) -> None:
    """SIGHUP (the terminal closed, an ssh session dropped) stops `run` as SIGTERM does: the workers finish what
    they hold, the summary is printed, exit 0, nothing left running. It killed the run at once: no drain, no
    summary, the embedded Redis left to the watchdog."""
    proc = _start_run(config)
    try:
        proc.send_signal(signal.SIGHUP)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, (config.parent / "run.log").read_text()[-3000:]
    assert "wirewatch run — " in (config.parent / "run.out").read_text()
    assert _wait_for(lambda: not _pids(f"redis-server.*{config.parent}"), 10)
    assert _wait_for(lambda: not _pids(f"wirewatch worker.*{config}"), 10)
