"""runner: what a scan of the inbox hands to the workers."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.helpers import queued_batches
from wirewatch import constants as c
from wirewatch import runner as runner_module
from wirewatch.runner import WORKER_MAX_RESTARTS, WorkerFailed, WorkerProcess, started, wait_settled
from wirewatch.settings import Settings, load_settings


def test_files_of_one_scan_share_messages(client: redis.Redis, redis_url: str, tmp_path: Path) -> None:
    """Single-article files read in one scan go to the workers batch_size to a message, not one message per
    file; refused files are settled at once and never queued."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for i in range(20):
        (inbox / f"{i:02d}.txt").write_text(f"Headline {i}\n\nBody of article number {i}.\n", encoding="utf-8")
    (inbox / "records.jsonl").write_text("".join(json.dumps({"title": f"R{i}", "text": f"Record {i}."}) + "\n"
                                                 for i in range(5)), encoding="utf-8")  # fmt: skip
    (inbox / "scan.pdf").write_bytes(b"%PDF-1.4")
    settings = load_settings(None, redis_url=redis_url, data_dir=str(tmp_path / "data"), batch_size=8,
                             inbox=[{"path": str(inbox)}])  # fmt: skip
    with started(settings, with_worker=False) as runner:
        assert runner.read_inboxes(settle=False) == 26
        batches = queued_batches(client)
        assert [len(b) for b in batches] == [8, 8, 8, 1]
        queued = {d for b in batches for d in b}
        assert len(queued) == 25 and queued < runner.tally.unsettled
        assert len(runner.tally.unsettled - queued) == 1  # the refused PDF, settled without a message
        assert client.hgetall(c.STATS) == {"rejected:unsupported_type": "1"}


def test_after_move_moves_files_once_their_articles_are_settled(
    worker_app: Any, redis_url: str, tmp_path: Path
) -> None:
    """`after: move`: a read file goes to `.done/` (same relative path) only when every article in it is
    settled — emitted, duplicate or rejected — and is never scanned again; `keep` leaves files alone."""
    moving, keeping = tmp_path / "moving", tmp_path / "keeping"
    (moving / "sub").mkdir(parents=True)
    keeping.mkdir()
    (moving / "a.txt").write_text("Headline A\n\nBody of article A, long enough to be news.\n", encoding="utf-8")
    (moving / "sub" / "b.txt").write_text("Headline B\n\nBody of article B, another story.\n", encoding="utf-8")
    (moving / "empty.txt").write_text("", encoding="utf-8")  # rejected: settled all the same
    (keeping / "c.txt").write_text("Headline C\n\nBody of article C, a third story.\n", encoding="utf-8")
    settings = load_settings(None, redis_url=redis_url, data_dir=str(tmp_path / "data"),
                             inbox=[{"path": str(moving), "after": "move"}, {"path": str(keeping)}])  # fmt: skip
    with started(settings, with_worker=False) as runner:
        runner.read_inboxes(settle=False)
        assert set(runner.reading) == {moving / "a.txt", moving / "sub" / "b.txt", moving / "empty.txt"}
        # Not refreshed yet, so the run still counts every delivery as unsettled: nothing may move.
        assert runner.move_settled() == 0 and (moving / "a.txt").exists()
        assert wait_settled(runner, 60)
        assert sorted(p.relative_to(moving).as_posix() for p in moving.rglob("*") if p.is_file()) == [
            ".done/a.txt", ".done/empty.txt", ".done/sub/b.txt"]  # fmt: skip
        assert (keeping / "c.txt").exists() and not (keeping / ".done").exists()
        assert runner.reading == {} and all(not w.seen for w, _ in runner.watchers if w.move_done)
        assert runner.tally.outcomes["emitted"] == 3
        # A file of the same name dropped again is new: read, settled, moved beside the first.
        (moving / "a.txt").write_text("Headline A2\n\nBody of a follow-up to article A.\n", encoding="utf-8")
        assert runner.read_inboxes(settle=False) == 1
        assert wait_settled(runner, 60)
        assert sorted(p.name for p in (moving / ".done").iterdir() if p.is_file()) == ["a.1.txt", "a.txt", "empty.txt"]
        assert runner.read_inboxes(settle=False) == 0


def test_a_restarted_run_does_not_read_kept_files_again(client: redis.Redis, redis_url: str, tmp_path: Path) -> None:
    """`after: keep`: what was read is remembered in Redis, so a restarted run reads only new or changed files (it
    read them all again, and past the dedup window emitted their articles a second time); a file that left the
    folder is forgotten there too; and when Redis loses its state, every file is read again, as recovery wants."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name in ("a", "b", "c"):
        (inbox / f"{name}.txt").write_text(f"Headline {name}\n\nBody of article {name}.\n", encoding="utf-8")
    settings = load_settings(None, redis_url=redis_url, data_dir=str(tmp_path / "data"),
                             inbox=[{"path": str(inbox)}])  # fmt: skip
    with started(settings, with_worker=False) as runner:
        assert runner.read_inboxes(settle=False) == 3
    (inbox / "b.txt").write_text("Headline b\n\nBody of article b, corrected.\n", encoding="utf-8")
    (inbox / "c.txt").unlink()
    (inbox / "d.txt").write_text("Headline d\n\nBody of article d.\n", encoding="utf-8")
    with started(settings, with_worker=False) as runner:  # a restart: the changed and the new file only
        assert runner.read_inboxes(settle=False) == 2
        [(watcher, _)] = runner.watchers
        assert watcher.memory is not None
        assert sorted(Path(p).name for p in client.hkeys(watcher.memory.key)) == ["a.txt", "b.txt", "d.txt"]
        assert runner.read_inboxes(settle=False) == 0
    client.delete(c.EMBEDDED_MARKER, *client.keys(c.inbox_memory_key("*")))  # Redis lost its state
    with started(settings, with_worker=False) as runner:
        assert runner.read_inboxes(settle=False) == 3


def test_a_file_changed_after_it_was_read_is_not_moved(tmp_path: Path) -> None:
    """The watcher moves only the version it read; a rewritten file stays, to be read again."""
    from producers.inbox import InboxWatcher

    folder = tmp_path / "inbox"
    folder.mkdir()
    path = folder / "a.txt"
    path.write_text("first version", encoding="utf-8")
    watcher = InboxWatcher(folder, move_done=True)
    assert watcher.poll(settle=False) == [path]
    path.write_text("second version, longer", encoding="utf-8")
    assert watcher.done(path) is None and path.exists()
    assert watcher.poll(settle=False) == [path]
    assert watcher.done(path) == folder / ".done" / "a.txt"
    assert not path.exists() and watcher.poll(settle=False) == []


def test_the_watcher_forgets_files_that_left_the_folder(tmp_path: Path) -> None:
    """With `after: keep`, what the watcher remembers follows the folder: a file deleted (or moved away by
    someone else) is forgotten, seen or still growing, and one put back under the same name is read again."""
    from producers.inbox import InboxWatcher

    folder = tmp_path / "inbox"
    folder.mkdir()
    kept = [folder / f"{i}.txt" for i in range(5)]
    for path in kept:
        path.write_text(f"article {path.stem}", encoding="utf-8")
    watcher = InboxWatcher(folder)
    assert watcher.poll() == [] and watcher.poll() == kept  # settled across two scans
    growing = folder / "growing.txt"
    growing.write_text("half", encoding="utf-8")
    assert watcher.poll() == [] and growing in watcher.growing
    for path in (*kept[:3], growing):
        path.unlink()
    assert watcher.poll() == []
    assert set(watcher.seen) == set(kept[3:]) and not watcher.growing
    kept[0].write_text("article 0", encoding="utf-8")
    assert watcher.poll() == [] and watcher.poll() == [kept[0]]


def test_a_missing_inbox_folder_is_said_once_and_read_once_it_appears(tmp_path: Path) -> None:
    """A configured folder that is not there (a typo, a mount not up yet) logs one warning, not one a scan, and
    the files of the folder that later appears are read as usual."""
    from structlog.testing import capture_logs

    from producers.inbox import InboxWatcher

    folder = tmp_path / "not-yet"
    watcher = InboxWatcher(folder)
    with capture_logs() as logs:
        assert watcher.poll() == [] and watcher.poll() == [] and watcher.poll() == []
        folder.mkdir()
        article = folder / "a.txt"
        article.write_text("Title\n\nBody", encoding="utf-8")
        assert watcher.poll() == [] and watcher.poll() == [article]
    said = [(e["event"], e["log_level"]) for e in logs if e["event"].startswith("inbox_folder")]
    assert said == [("inbox_folder_missing", "warning"), ("inbox_folder_found", "info")]
    assert [e["path"] for e in logs if e["event"] == "inbox_folder_missing"] == [str(folder)]


def test_a_json_text_field_that_holds_markup_is_read_as_html(tmp_path: Path) -> None:
    """CMS exports put HTML in `content`: its tags and entities must not end up in the text; prose that only
    mentions a tag or an ampersand stays text."""
    from producers.inbox import read_file
    from worker.parse import parse

    path = tmp_path / "records.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in [
        {"title": "Council vote", "content": "<p>The council voted &amp; the mayor &ndash; who opposed it &ndash; "
                                             "conceded on Tuesday.</p><p>A second paragraph.</p>"},
        {"title": "Escaped once too often", "text": "Smith &amp; Sons won the tender &#8211; again."},
        {"title": "About tags", "text": "Use the <p> tag for paragraphs & keep AT&T; out of it."},
    ]) + "\n", encoding="utf-8")  # fmt: skip
    result = read_file(path, "t", 1_000_000, 100)
    assert [a.content_type for a in result.articles] == ["html", "text", "text"]
    texts = [parse(a).text for a in result.articles]
    assert texts[0] == "The council voted & the mayor – who opposed it – conceded on Tuesday.\n\nA second paragraph."
    assert texts[1] == "Smith & Sons won the tender – again."
    assert texts[2] == "Use the <p> tag for paragraphs & keep AT&T; out of it."


def test_worker_exits_far_apart_do_not_add_up(
    settings: Settings, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The runner gives up on a worker that keeps exiting as soon as it starts, not on one that exits now and
    then over a long run (a Redis blip can end a worker): exits each after a healthy spell are restarted, however
    many; only WORKER_MAX_RESTARTS exits in a row, each before a healthy spell, are fatal."""
    monkeypatch.setattr(runner_module, "WORKER_HEALTHY_S", 0.5)
    worker = WorkerProcess(settings, redis_url, 1, pool="solo")
    worker.start()
    try:
        for _ in range(WORKER_MAX_RESTARTS + 2):
            time.sleep(0.6)  # a healthy spell
            assert worker.process is not None
            worker.process.kill()
            worker.process.wait()
            worker.check()  # restarted, not WorkerFailed
        assert worker.restarts == 1
        monkeypatch.setattr(runner_module, "WORKER_HEALTHY_S", 3600.0)
        with pytest.raises(WorkerFailed):
            for _ in range(WORKER_MAX_RESTARTS + 1):
                assert worker.process is not None
                worker.process.kill()
                worker.process.wait()
                worker.check()
    finally:
        worker.stop()
