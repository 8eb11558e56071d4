"""`wirewatch run` on a real read-only or full filesystem: a small tmpfs mounted for the test (root only).

Skipped with the reason where mounting is not allowed (not root, no CAP_SYS_ADMIN), except in CI, where that
fails instead (tests/conftest.py treats a missing Redis the same way).
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CI
from tests.wirewatch.test_run_lifecycle import ARTICLE, _pids, _start_run, _wait_for, _wirewatch

DISK_SIZE = "8m"
# Larger than the room a full disk still has in the last block of the AOF: the write that carries it fails.
LONG_ARTICLE = "Tram line extended\n\n" + "The city extended its tram line to the airport, line {n} of many.\n" * 60


def _mount(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["mount", *args], capture_output=True, text=True)


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs of DISK_SIZE mounted at tmp_path/disk; unmounted after the test."""
    point = tmp_path / "disk"
    point.mkdir()
    reason = "" if os.geteuid() == 0 else "not root: cannot mount a small filesystem"
    if not reason:
        done = _mount("-t", "tmpfs", "-o", f"size={DISK_SIZE}", "tmpfs", str(point))
        reason = "" if done.returncode == 0 else f"mount not permitted: {done.stderr.strip()}"
    if reason:
        if CI:
            pytest.fail(f"{reason} (CI must exercise real read-only and full filesystems)")
        pytest.skip(reason)
    try:
        yield point
    finally:
        for pid in _pids(f"redis-server.*{point}"):  # a failed test must not leave a server holding the mount
            os.kill(pid, signal.SIGKILL)
        _wait_for(lambda: not _pids(f"redis-server.*{point}"), 10)
        subprocess.run(["umount", str(point)], check=True)


def _fill(disk: Path) -> Path:
    """Write zeros until the disk refuses more; return the file that holds them (delete it to free the space)."""
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 65536)
        except OSError as e:
            assert e.errno == errno.ENOSPC
        try:
            while True:
                f.write(b"\0")
        except OSError as e:
            assert e.errno == errno.ENOSPC
    return filler


@pytest.fixture
def config(tmp_path: Path, disk: Path) -> Path:
    """A config whose data folder is on the small disk, with its inbox (three articles) elsewhere."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for n in range(3):
        (inbox / f"{n}.txt").write_text(ARTICLE.format(n=n), encoding="utf-8")
    path = tmp_path / "wirewatch.yml"
    path.write_text(f"data_dir: {disk / 'data'}\ninbox:\n  - path: inbox\nhttp:\n  enabled: false\n", encoding="utf-8")
    return path


def _assert_one_clean_line(done: subprocess.CompletedProcess[str], line: str, disk: Path) -> None:
    assert done.returncode == 1, done.stderr[-3000:]
    assert "Traceback" not in done.stderr and '"worker_started"' not in done.stderr, done.stderr[-3000:]
    assert f"wirewatch: {line}" in done.stderr.splitlines(), done.stderr[-3000:]
    assert not _pids(f"redis-server.*{disk}") and not _pids(f"wirewatch worker.*{disk.parent}")


def test_a_read_only_data_folder_is_one_clear_line(config: Path, disk: Path) -> None:
    """A data folder on a read-only filesystem: one line naming it and the cause, exit 1, nothing left running."""
    assert _mount("-o", "remount,ro", str(disk)).returncode == 0
    done = _wirewatch("run", "--once", "-c", str(config), timeout=60)
    _assert_one_clean_line(done, f"cannot use the data folder {disk / 'data'}: Read-only file system", disk)


def test_a_full_disk_is_one_clear_line(config: Path, disk: Path) -> None:
    """A disk with no room even for the run's lock file: one line naming the folder and the cause, no traceback."""
    _fill(disk)
    done = _wirewatch("run", "--once", "-c", str(config), timeout=60)
    _assert_one_clean_line(done, f"cannot use the data folder {disk / 'data'}: No space left on device", disk)


def test_a_disk_with_no_room_for_the_aof_is_one_clear_line(config: Path, disk: Path) -> None:
    """The lock file fits but Redis cannot write its AOF: `run` says so in one line before any worker starts,
    rather than a MISCONF traceback from the first write."""
    (disk / "data" / "redis").mkdir(parents=True)
    (disk / "data" / "run.lock").write_text("1")  # already holds a block: rewriting the pid needs no new one
    (disk / "data" / "redis" / "redis.log").write_text("earlier runs\n")
    _fill(disk)
    done = _wirewatch("run", "--once", "-c", str(config), timeout=60)
    _assert_one_clean_line(
        done,
        f"Redis cannot write its data to disk ({disk / 'data' / 'redis'}): Errors writing to the AOF file: No space "
        "left on device; free space (or make it writable) and run again: what it had accepted is kept, and the "
        "next run finishes it",
        disk,
    )


def _events(config: Path) -> list[str]:
    done = _wirewatch("events", "--json", "--limit", "0", "-c", str(config), timeout=60)
    assert done.returncode == 0, done.stderr[-3000:]
    return [json.loads(line)["id"] for line in done.stdout.splitlines()]


@pytest.mark.parametrize("freed", ["during_the_run", "after_the_run"])
def test_a_disk_that_fills_during_a_run_loses_and_doubles_nothing(config: Path, disk: Path, freed: str) -> None:
    """The disk fills while `run` watches: it says Redis cannot write to disk (MISCONF), keeps running and keeps
    what was accepted; with space freed it goes on by itself, or, stopped meanwhile, the next `run --once`
    finishes what was pending. Either way every article ends as exactly one event, and nothing is left running."""
    log = config.parent / "run.log"
    proc = _start_run(config)
    try:
        assert _wait_for(lambda: log.read_text().count('"article_emitted"') == 3, 60), log.read_text()[-3000:]
        filler = _fill(disk)
        for n in range(3, 6):
            (config.parent / "inbox" / f"{n}.txt").write_text(LONG_ARTICLE.format(n=n), encoding="utf-8")
        assert _wait_for(lambda: '"redis_cannot_persist"' in log.read_text(), 30), log.read_text()[-3000:]
        assert proc.poll() is None, log.read_text()[-3000:]
        said = f"Redis cannot write its data to disk ({disk / 'data' / 'redis'}): Errors writing to the AOF file: "
        assert said + "No space left on device" in log.read_text()
        if freed == "during_the_run":
            filler.unlink()
            assert _wait_for(lambda: log.read_text().count('"article_emitted"') == 6, 60), log.read_text()[-3000:]
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    # No bare traceback from the runner, and no worker ended by MISCONF ("Unrecoverable error", exit 1): its
    # consumer reconnects until Redis takes writes again (tests/faults/test_misconf_faults.py).
    assert proc.returncode == 0, log.read_text()[-3000:]
    assert not [line for line in log.read_text().splitlines() if line.startswith("Traceback")], log.read_text()[-3000:]
    assert "Unrecoverable error" not in log.read_text(), log.read_text()[-3000:]
    assert _wait_for(lambda: not _pids(f"redis-server.*{disk}") and not _pids(f"wirewatch worker.*{config}"), 30)
    if freed == "after_the_run":
        assert '"embedded_redis_stopped_unpersisted"' in log.read_text()
        filler.unlink()
    again = _wirewatch("run", "--once", "-c", str(config))
    assert again.returncode == 0 and "Traceback" not in again.stderr, again.stderr[-3000:]
    events = _events(config)
    assert len(events) == 6 == len(set(events)), events
    stats = _wirewatch("stats", "--json", "-c", str(config), timeout=60)
    assert json.loads(stats.stdout)["pending"] == 0, stats.stdout
    assert not _pids(f"redis-server.*{disk}")

