"""inbox memory: what an `after: keep` inbox has read follows the folder, not its path or the machine."""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from structlog.testing import capture_logs

from producers.inbox import MARKER, FileStamp, InboxMemory, content_digest, path_memory_key
from tests.conftest import CI
from wirewatch import constants as c
from wirewatch.runner import started
from wirewatch.settings import Settings, load_settings

OTHER_ID = "0123456789abcdef0123456789abcdef"


def _settings(redis_url: str, tmp_path: Path, *inboxes: dict[str, str]) -> Settings:
    return load_settings(None, redis_url=redis_url, data_dir=str(tmp_path / "data"), inbox_events=False,
                         inbox=list(inboxes))  # fmt: skip


def _reads(redis_url: str, tmp_path: Path, folder: Path) -> int:
    """Deliveries a run started on ``folder`` (`after: keep`) makes at its first scan: a restart of the service."""
    with started(_settings(redis_url, tmp_path, {"path": str(folder)}), with_worker=False) as runner:
        return runner.read_inboxes(settle=False)


def _article(folder: Path, name: str) -> Path:
    path = folder / name
    path.write_text(f"Headline {name}\n\nBody of the article kept as {name}.\n", encoding="utf-8")
    return path


def test_a_folder_keeps_its_memory_at_another_path(redis_url: str, tmp_path: Path) -> None:
    """The same folder at another path (a Docker volume attached to a re-created container, an NFS share mounted
    elsewhere) reads none of its kept files again; the marker that names it is never read as an article."""
    first = tmp_path / "first"
    (first / "sub").mkdir(parents=True)
    _article(first, "a.txt")
    _article(first / "sub", "b.txt")
    assert _reads(redis_url, tmp_path, first) == 2
    assert (first / MARKER).is_file()
    moved = first.rename(tmp_path / "moved")
    assert _reads(redis_url, tmp_path, moved) == 0
    _article(moved, "c.txt")
    assert _reads(redis_url, tmp_path, moved) == 1


def test_local_folders_at_one_path_keep_memories_of_their_own(redis_url: str, tmp_path: Path) -> None:
    """Machines sharing one Redis, each with its own inbox at the same path: one machine's start no longer
    forgets what another read, whose restart read its kept files again (past the dedup window, twice emitted)."""
    path = tmp_path / "inbox"
    path.mkdir()
    _article(path, "a.txt")
    assert _reads(redis_url, tmp_path, path) == 1  # machine A
    path.rename(tmp_path / "machine-a")
    path.mkdir()
    _article(path, "b.txt")
    assert _reads(redis_url, tmp_path, path) == 1  # machine B, its own folder at the same path
    path.rename(tmp_path / "machine-b")
    (tmp_path / "machine-a").rename(path)
    assert _reads(redis_url, tmp_path, path) == 0  # machine A restarts: a.txt was read already
    path.rename(tmp_path / "machine-a")
    (tmp_path / "machine-b").rename(path)
    assert _reads(redis_url, tmp_path, path) == 0


def test_an_upgrade_reads_no_kept_file_again(client: redis.Redis, redis_url: str, tmp_path: Path) -> None:
    """What an older version remembered under the folder's path is taken over when the marker is made, in both
    stored forms; the old entry stays, for other machines still to upgrade."""
    inbox = tmp_path / "inbox"
    (inbox / "sub").mkdir(parents=True)
    older, newer = _article(inbox, "older.txt"), _article(inbox / "sub", "newer.txt")
    stat = older.stat()
    legacy = {str(older): f"{stat.st_size} {stat.st_mtime_ns}",
              str(newer): FileStamp.of(newer.stat(), content_digest(newer.read_bytes())).stored()}  # fmt: skip
    for name, value in legacy.items():
        client.hset(path_memory_key(inbox), name, value)
    assert _reads(redis_url, tmp_path, inbox) == 0
    assert client.hgetall(path_memory_key(inbox)) == legacy
    assert sorted(client.hkeys(InboxMemory(client, inbox).key)) == ["older.txt", "sub/newer.txt"]
    assert _reads(redis_url, tmp_path, inbox) == 0


def test_after_move_folders_get_no_marker(redis_url: str, tmp_path: Path) -> None:
    """An `after: move` folder keeps no memory, so nothing is written into it but `.done`."""
    moving = tmp_path / "moving"
    moving.mkdir()
    _article(moving, "a.txt")
    settings = _settings(redis_url, tmp_path, {"path": str(moving), "after": "move"})
    with started(settings, with_worker=False) as runner:
        assert runner.read_inboxes(settle=False) == 1
    assert not (moving / MARKER).exists()


def test_a_folder_missing_at_start_is_recalled_when_it_appears(redis_url: str, tmp_path: Path) -> None:
    """A folder that is not there when the service starts (a share mounted late) has its memory taken once it
    appears: its kept files are not read again, and the empty scans before did not forget them."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _article(inbox, "a.txt")
    assert _reads(redis_url, tmp_path, inbox) == 1
    away = inbox.rename(tmp_path / "away")
    with started(_settings(redis_url, tmp_path, {"path": str(inbox)}), with_worker=False) as runner:
        assert runner.read_inboxes(settle=False) == 0
        away.rename(inbox)
        assert runner.read_inboxes(settle=False) == 0
        _article(inbox, "b.txt")
        assert runner.read_inboxes(settle=False) == 1


def test_two_runners_making_the_marker_at_once_agree_on_one_id(client: redis.Redis, tmp_path: Path) -> None:
    """Two runners starting together on a fresh shared folder end with one marker and one memory."""
    for attempt in range(20):
        folder = tmp_path / f"shared-{attempt}"
        folder.mkdir()
        keys = _keys_found_together([InboxMemory(client, folder) for _ in range(4)])
        marker = (folder / MARKER).read_text(encoding="ascii").strip()
        assert keys == [c.inbox_folder_key(marker)] * 4


def _keys_found_together(memories: list[InboxMemory]) -> list[str]:
    """The keys of ``memories``, each found in a thread of its own, all let go at once."""
    keys: list[str] = []
    start = threading.Barrier(len(memories))

    def find(memory: InboxMemory) -> None:
        start.wait()
        keys.append(memory.key)

    threads = [threading.Thread(target=find, args=(m,)) for m in memories]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return keys


def test_a_marker_being_written_is_waited_for(client: redis.Redis, tmp_path: Path) -> None:
    """A marker found empty is another runner's, between its creation and its write: its id is waited for."""
    marker = tmp_path / MARKER
    marker.touch()
    writer = threading.Timer(0.2, lambda: marker.write_text(f"{OTHER_ID}\n", encoding="ascii"))
    writer.start()
    try:
        assert InboxMemory(client, tmp_path).key == c.inbox_folder_key(OTHER_ID)
    finally:
        writer.join()


def _link_to_an_id(folder: Path) -> None:
    outside = folder.parent / "elsewhere"
    outside.write_text(f"{OTHER_ID}\n", encoding="ascii")
    (folder / MARKER).symlink_to(outside)


def _fifo(folder: Path) -> None:
    os.mkfifo(folder / MARKER)


def _junk(folder: Path) -> None:
    (folder / MARKER).write_text("<html>not an id</html>\n", encoding="ascii")


def _huge(folder: Path) -> None:
    (folder / MARKER).write_bytes(OTHER_ID.encode() * 200_000)


def _stale_empty(folder: Path) -> None:
    (folder / MARKER).touch()


def _a_folder(folder: Path) -> None:
    (folder / MARKER).mkdir()


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (_link_to_an_id, "symbolic link"),
        (_fifo, "not a regular file"),
        (_junk, "not an id"),
        (_huge, "not an id"),
        (_stale_empty, "empty"),
        (_a_folder, "not a regular file"),
    ],
)
def test_a_bad_marker_is_refused_and_the_memory_kept_by_path(
    client: redis.Redis, tmp_path: Path, make: Callable[[Path], None], reason: str
) -> None:
    """A marker that is a link, a FIFO, a folder, oversized, junk or left empty is never followed, opened
    blocking, replaced or trusted: the folder's memory stays keyed by its path, as before, said once with why."""
    folder = tmp_path / "inbox"
    folder.mkdir()
    make(folder)
    before = os.lstat(folder / MARKER)
    with capture_logs() as logs:
        memory = InboxMemory(client, folder)
        assert memory.key == path_memory_key(folder)
        assert memory.load() == {}
        assert memory.key == path_memory_key(folder)
    [entry] = [e for e in logs if e["event"] == "inbox_memory_by_path"]
    assert reason in entry["reason"] and entry["log_level"] == "error"
    after = os.lstat(folder / MARKER)
    assert (after.st_ino, after.st_mtime_ns, after.st_size) == (before.st_ino, before.st_mtime_ns, before.st_size)


def _mount(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["mount", *args], capture_output=True, text=True)


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Callable[[Path, bool], None]]:
    """Makes a folder read-only, or writable again: a read-only bind mount of it as root (root writes past file
    modes), its mode otherwise. Bind mounts are undone after the test."""
    mounted: list[Path] = []

    def make(folder: Path, on: bool) -> None:
        if os.geteuid() != 0:
            folder.chmod(0o555 if on else 0o755)
            return
        if on:
            done = _mount("--bind", str(folder), str(folder))
            if done.returncode == 0:
                mounted.append(folder)
                done = _mount("-o", "remount,bind,ro", str(folder))
            if done.returncode != 0:
                reason = f"mount not permitted: {done.stderr.strip()}"
                if CI:
                    pytest.fail(f"{reason} (CI must exercise a read-only inbox)")
                pytest.skip(reason)
        else:
            subprocess.run(["umount", str(folder)], check=True)
            mounted.remove(folder)

    try:
        yield make
    finally:
        for folder in reversed(mounted):
            subprocess.run(["umount", str(folder)], check=False)


def test_a_read_only_folder_keeps_its_memory_by_path(
    client: redis.Redis, redis_url: str, tmp_path: Path, read_only: Callable[[Path, bool], None]
) -> None:
    """A folder where no marker can be written (a read-only mount) is remembered by its path, as before, said once
    with the reason; once it has a marker, that marker names it, read-only or not."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _article(inbox, "a.txt")
    read_only(inbox, True)
    with capture_logs() as logs:
        assert _reads(redis_url, tmp_path, inbox) == 1
        assert _reads(redis_url, tmp_path, inbox) == 0
    fallbacks = [e for e in logs if e["event"] == "inbox_memory_by_path"]
    assert len(fallbacks) == 2 and all("ead-only" in e["reason"] or "ermission" in e["reason"] for e in fallbacks)
    assert not (inbox / MARKER).exists() and client.exists(path_memory_key(inbox))
    read_only(inbox, False)
    assert _reads(redis_url, tmp_path, inbox) == 0  # the marker is made, and the memory by path taken over
    read_only(inbox, True)
    with capture_logs() as logs:
        assert _reads(redis_url, tmp_path, inbox) == 0
    assert not [e for e in logs if e["event"] == "inbox_memory_by_path"]
    assert client.hkeys(InboxMemory(client, inbox).key) == ["a.txt"]


def test_a_folder_unmounted_under_a_running_watcher_keeps_its_memory(
    client: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    """An NFS share that drops leaves its mount point, an empty folder: the scan found none of the kept files and
    forgot them all, and the remount read every one again (past the dedup window, each emitted twice). What the
    folder's marker is not there to vouch for is not forgotten; once the folder is back, nothing is read again,
    and a file deleted from it then is forgotten as before."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _article(inbox, "a.txt")
    _article(inbox, "b.txt")
    with started(_settings(redis_url, tmp_path, {"path": str(inbox)}), with_worker=False) as runner:
        assert runner.read_inboxes(settle=False) == 2
        key = next(k for k in client.scan_iter(c.key("inbox", "id", "*")))
        inbox.rename(tmp_path / "share")
        inbox.mkdir()  # the mount point, with the share gone
        with capture_logs() as logs:
            assert runner.read_inboxes(settle=False) == 0
            assert runner.read_inboxes(settle=False) == 0
        assert client.hlen(key) == 2
        assert [e["event"] for e in logs if e["event"] == "inbox_folder_unvouched"] == ["inbox_folder_unvouched"]
        inbox.rmdir()
        (tmp_path / "share").rename(inbox)  # mounted again
        assert runner.read_inboxes(settle=False) == 0
        (inbox / "a.txt").unlink()
        assert runner.read_inboxes(settle=False) == 0
        assert client.hlen(key) == 1
