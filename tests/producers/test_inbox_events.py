"""Inbox file events: a file closed by its writer or renamed in is read at once, the scan still has the last word."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

import pytest
import redis

from producers.inbox import FileStamp, InboxWatcher
from producers.inbox_events import QUIET_S, watching
from tests.helpers import queued_batches
from wirewatch import constants as c
from wirewatch.runner import Runner, started
from wirewatch.settings import load_settings


@contextmanager
def _watched(tmp_path: Path, move_done: bool = False) -> Iterator[tuple[Path, InboxWatcher]]:
    """An inbox folder and its watcher, with file events on for the block."""
    folder = tmp_path / "inbox"
    folder.mkdir()
    watcher = InboxWatcher(folder, move_done=move_done)
    with watching([folder], threading.Event()) as events:
        watcher.events = events[folder]
        yield folder, watcher


def _completed_within(watcher: InboxWatcher, expect: int, seconds: float = 5) -> list[Path]:
    """What the events report complete: wait up to ``seconds`` for ``expect`` files (the observer is a thread
    of its own, and files wait for their quiet time), then a little longer for any unexpected extra."""
    deadline = time.monotonic() + seconds
    found: list[Path] = []
    while len(found) < expect and time.monotonic() < deadline:
        found += watcher.completed()
        time.sleep(0.02)
    time.sleep(3 * QUIET_S)
    return found + watcher.completed()


def test_renamed_in_and_closed_files_are_complete_without_a_scan(tmp_path: Path) -> None:
    """A file renamed in from a hidden name, and one written in place and closed, are reported without a
    single scan; hidden and partial names are not; a file still open is not; the scan later finds nothing new."""
    folder = tmp_path / "inbox"
    folder.mkdir()
    watcher = InboxWatcher(folder)
    wake = threading.Event()
    with watching([folder], wake) as events:
        watcher.events = events[folder]
        (folder / ".a.md.tmp").write_text("# A\n\nbody", encoding="utf-8")
        os.rename(folder / ".a.md.tmp", folder / "a.md")
        (folder / "b.txt").write_text("B\n\nbody", encoding="utf-8")
        (folder / "c.part").write_text("partial", encoding="utf-8")
        still_open = (folder / "d.txt").open("w", encoding="utf-8")
        still_open.write("being written")
        still_open.flush()
        try:
            assert wake.wait(5)
            assert sorted(p.name for p in _completed_within(watcher, 2)) == ["a.md", "b.txt"]
            assert watcher.completed() == []
        finally:
            still_open.close()
        assert [p.name for p in _completed_within(watcher, 1)] == ["d.txt"]
    assert watcher.poll() == [] and watcher.poll() == []  # all read: the scan has nothing to add


def test_a_file_modified_moments_ago_waits_for_its_quiet_time(tmp_path: Path) -> None:
    """A reported file modified less than QUIET_S ago is kept for the next look, then read once."""
    with _watched(tmp_path) as (folder, watcher):
        path = folder / "a.txt"
        path.write_text("A\n\nbody", encoding="utf-8")
        deadline = time.monotonic() + 5
        while not watcher.reported and time.monotonic() < deadline:
            time.sleep(0.01)
        modified = path.stat().st_mtime_ns
        assert watcher.completed(now_ns=modified + int(QUIET_S * 1e9) // 2) == []
        assert watcher.reported  # put back, not dropped
        assert watcher.completed(now_ns=modified + int(QUIET_S * 1e9)) == [path]
        assert not watcher.reported and watcher.completed() == []


def _write_without_closing(watcher: InboxWatcher, path: Path, writer: TextIO, text: str) -> None:
    """Write ``text`` and keep the file open; wait (up to 5 s) until the events mark it as being written."""
    writer.write(text)
    writer.flush()
    assert watcher.events is not None
    deadline = time.monotonic() + 5
    while not watcher.events.being_written(path) and time.monotonic() < deadline:
        time.sleep(0.01)


def test_a_writer_that_pauses_mid_file_is_waited_for_however_still_the_file_holds(tmp_path: Path) -> None:
    """A file written to and not closed is not read by the scan, though its size and mtime hold still across
    scans (a writer pausing mid-file), nor moved away with ``after: move``; once closed it is read once,
    whole."""
    with _watched(tmp_path, move_done=True) as (folder, watcher):
        path = folder / "slow.jsonl"
        writer = path.open("w", encoding="utf-8")
        try:
            _write_without_closing(watcher, path, writer, '{"title": "One", "text": "first"}\n{"title": "Tw')
            assert watcher.events.being_written(path)
            for _ in range(4):  # still across four scans: the old rule read it at the second
                assert watcher.poll() == []
            assert watcher.completed() == []
            watcher.seen[path] = FileStamp.of(path.stat())  # as if an earlier run read it
            assert watcher.done(path) is None and path.exists()
            del watcher.seen[path]
            writer.write('o", "text": "second"}\n')
        finally:
            writer.close()
        read = _completed_within(watcher, 1)
        assert read == [path] and not watcher.events.being_written(path)
        assert path.read_text(encoding="utf-8").endswith('"second"}\n')
        assert watcher.poll() == [] and watcher.poll() == []
        assert watcher.done(path) == folder / ".done" / "slow.jsonl"


def test_a_file_closed_then_reopened_for_writing_waits_for_its_last_close(tmp_path: Path) -> None:
    """A writer that closes a file and opens it again to append: the first close's report is not read
    while the file is being written again, however long the writer pauses; the last close is."""
    with _watched(tmp_path) as (folder, watcher):
        path = folder / "two.jsonl"
        path.write_text('{"title": "One", "text": "first"}\n', encoding="utf-8")  # written and closed
        writer = path.open("a", encoding="utf-8")
        try:
            _write_without_closing(watcher, path, writer, '{"title": "Tw')
            time.sleep(3 * QUIET_S)  # past the quiet time: the old rule read it here, half-written
            assert watcher.completed() == []
            writer.write('o", "text": "second"}\n')
        finally:
            writer.close()
        assert _completed_within(watcher, 1) == [path]
        assert path.read_text(encoding="utf-8").count("\n") == 2


def test_files_in_a_new_subfolder_are_found_by_the_scan_if_not_by_events(tmp_path: Path) -> None:
    """A subfolder made after the watch started may lose its first files' events (the watch is added after
    them): every file is read once, by one way or the other."""
    with _watched(tmp_path) as (folder, watcher):
        (folder / "sub").mkdir()
        names = [f"{i}.txt" for i in range(20)]
        for name in names:
            (folder / "sub" / name).write_text(f"{name}\n\nbody", encoding="utf-8")
        read = _completed_within(watcher, len(names), seconds=1)
        read += watcher.poll()
        read += watcher.poll()
        read += watcher.completed()
        assert sorted(p.name for p in read) == sorted(names)


def test_a_missing_folder_is_left_to_the_scan(tmp_path: Path) -> None:
    with watching([tmp_path / "absent"], threading.Event()) as events:
        assert events == {}


@contextmanager
def _watch_loop(redis_url: str, tmp_path: Path) -> Iterator[tuple[Runner, threading.Thread, Path]]:
    """`Runner.watch` on its own thread over an empty inbox, scanning only every 60 s: what reaches the queue
    in between came by file events. Stopped on exit."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    settings = load_settings(None, redis_url=redis_url, data_dir=str(tmp_path / "data"), inbox_poll_interval=60,
                             inbox=[{"path": str(inbox)}])  # fmt: skip
    with started(settings, with_worker=False) as runner:
        loop = threading.Thread(target=runner.watch, daemon=True)
        loop.start()
        try:
            yield runner, loop, inbox
        finally:
            runner.stop()
            loop.join(timeout=5)


def test_the_runner_reads_a_dropped_file_long_before_its_next_scan(
    client: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    """`watch` with a 60 s scan interval: a file renamed into the inbox is queued for the workers within
    seconds (by its file event), and `stop` ends the loop at once."""
    with _watch_loop(redis_url, tmp_path) as (runner, loop, inbox):
        time.sleep(0.5)  # the first scan (of an empty folder) is done; the next is a minute away
        tmp = inbox / ".story.md.part"
        tmp.write_text("# Dropped\n\nA story dropped into the inbox while the runner sleeps.\n", encoding="utf-8")
        dropped = time.monotonic()
        os.rename(tmp, inbox / "story.md")
        while not queued_batches(client) and time.monotonic() - dropped < 10:
            time.sleep(0.02)
        assert sum(map(len, queued_batches(client))) == 1
        assert time.monotonic() - dropped < 10
        runner.stop()
        loop.join(timeout=5)
        assert not loop.is_alive()


def test_past_the_pending_bound_events_are_dropped_and_logged_and_the_scan_reads_those_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reported paths are bounded (MAX_PENDING): the rest are dropped with one warning, and the scan reads them."""
    from structlog.testing import capture_logs

    from producers import inbox_events

    monkeypatch.setattr(inbox_events, "MAX_PENDING", 3)
    with _watched(tmp_path) as (folder, watcher):
        names = [f"{i}.txt" for i in range(6)]
        for name in names:
            (folder / name).write_text(f"{name}\n\nbody", encoding="utf-8")
        time.sleep(0.5)  # all six reported (the observer is a thread of its own) before the first look
        with capture_logs() as logs:
            read = _completed_within(watcher, 3)
        assert len(read) == 3
        assert [entry["events"] for entry in logs if entry["event"] == "inbox_events_dropped"] == [3]
        read += watcher.poll() + watcher.poll()
        assert sorted(p.name for p in read) == sorted(names)


def test_while_the_queue_has_a_backlog_reported_files_share_a_message(
    client: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    """With messages waiting on the ingest queue (busy workers), files reported within EVENT_BATCH_WINDOW_S of
    the last read wait and go together in one message; the first one after a quiet spell goes at once."""
    from wirewatch.runner import EVENT_BATCH_WINDOW_S

    with _watch_loop(redis_url, tmp_path) as (runner, loop, inbox):
        time.sleep(2 * EVENT_BATCH_WINDOW_S)
        client.lpush(c.INGEST_QUEUE, "a message a busy worker has not taken yet")
        for i in range(3):
            (inbox / f".{i}.md.part").write_text(f"# Story {i}\n\nBody of story number {i}, dropped while the "
                                                 "workers are busy.\n", encoding="utf-8")  # fmt: skip
        time.sleep(2 * QUIET_S)  # written a while ago: each is ready the moment it is renamed in
        for i in range(3):
            os.rename(inbox / f".{i}.md.part", inbox / f"{i}.md")
            time.sleep(0.02)
        deadline = time.monotonic() + 10
        while len(queued_batches(client)) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        runner.stop()
        loop.join(timeout=5)
        assert [len(batch) for batch in queued_batches(client)] == [1, 2]
