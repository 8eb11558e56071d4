"""inbox: what a newsroom drops into the folder is read whole, once, whatever wrote it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis

from producers.inbox import read_file
from tests.helpers import stream_events, wait_for_status
from wirewatch.runner import started
from wirewatch.settings import Settings, load_settings

MAX_BYTES = 5 * 1024 * 1024
MAX_RECORDS = 100_000


def _read(path: Path) -> tuple[list[Any], list[str]]:
    result = read_file(path, "tests", MAX_BYTES, MAX_RECORDS)
    return result.articles, [f"{t.outcome} {t.detail}" for t in result.refusals]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
@pytest.mark.parametrize("name", ["story.md", "story.txt", "story.html", "records.jsonl", "record.json"])
def test_a_file_in_utf16_or_utf32_with_a_bom_is_read_not_refused_as_binary(
    tmp_path: Path, name: str, encoding: str
) -> None:
    """A file with a UTF-16 or UTF-32 byte order mark (Windows PowerShell 5's `>` and `Out-File` write UTF-16)
    is decoded by its mark; its zero bytes do not make it binary."""
    text = {
        ".md": "# Dam opens\n\nPublished at: **2024-05-01T10:00:00Z**\n\nThe new dam opened on Friday.\n",
        ".txt": "Dam opens\n\nThe new dam opened on Friday.\n",
        ".html": "<html><body><h1>Dam opens</h1><p>The new dam opened on Friday.</p></body></html>",
        ".jsonl": '{"title": "Dam opens", "text": "The new dam opened on Friday."}\n',
        ".json": '{"title": "Dam opens", "text": "The new dam opened on Friday."}',
    }[Path(name).suffix]
    bom = "\ufeff" if encoding == "utf-16-be" else ""  # Python's "utf-16" and "utf-32" write their own mark
    path = tmp_path / name
    path.write_bytes((bom + text).encode(encoding))
    articles, refusals = _read(path)
    assert refusals == []
    assert len(articles) == 1 and "The new dam opened on Friday." in articles[0].content
    assert "\ufeff" not in articles[0].content and "\x00" not in articles[0].content


def test_zero_bytes_without_a_bom_are_still_binary(tmp_path: Path) -> None:
    """Only a byte order mark makes zero bytes text: UTF-16 without one, or a binary file, is refused."""
    path = tmp_path / "story.txt"
    path.write_bytes("Dam opens\n\nThe new dam opened.".encode("utf-16-le"))
    assert _read(path)[1] == ["rejected:binary story.txt: the file is binary, not text"]


def test_a_json_file_that_holds_json_lines_is_read_record_by_record(tmp_path: Path) -> None:
    """A `.json` file of one record a line (what mongoexport, `jq -c` and BigQuery write) is read as JSON lines:
    every good record kept, a bad line refused with its number, not the whole file refused at line 2."""
    path = tmp_path / "export.json"
    lines = [json.dumps({"title": f"Story {i}", "text": f"Body of story {i}."}) for i in range(3)]
    path.write_text("\n".join([lines[0], lines[1], "{not json", lines[2]]) + "\n", encoding="utf-8")
    articles, refusals = _read(path)
    assert [a.title for a in articles] == ["Story 0", "Story 1", "Story 2"]
    assert [a.source.path for a in articles] == [f"{path}:{n}" for n in (1, 2, 4)]
    assert len(refusals) == 1 and refusals[0].startswith("rejected:invalid_json export.json:3: ")


@pytest.mark.parametrize("text", ["[1, 2] [3]", '{"title": "a"} x', "{} {", '{"title": "a"}\n{"title": '])
def test_a_json_file_with_trailing_garbage_is_still_refused(tmp_path: Path, text: str) -> None:
    """What is not JSON lines either stays an invalid JSON file (or an invalid line of one), never an article
    made of a fragment."""
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    articles, refusals = _read(path)
    assert refusals and all(r.startswith("rejected:invalid_json") for r in refusals)
    assert all(a.title == "a" for a in articles)


def test_a_byte_order_mark_inside_json_lines_does_not_cost_a_record(tmp_path: Path) -> None:
    """JSON-lines files joined with `cat`, one of them saved with a BOM, keep every record."""
    first = tmp_path / "a.jsonl"
    first.write_bytes(b'\xef\xbb\xbf{"title": "One", "text": "First."}\n')
    second = tmp_path / "b.jsonl"
    second.write_bytes(b'\xef\xbb\xbf{"title": "Two", "text": "Second."}\n')
    joined = tmp_path / "all.jsonl"
    joined.write_bytes(first.read_bytes() + second.read_bytes())
    articles, refusals = _read(joined)
    assert refusals == [] and [a.title for a in articles] == ["One", "Two"]


@pytest.mark.parametrize("partial", ["story.md.filepart", "story.md.partial", "story.md.download",
                                     "story.md.!sync", "#story.md#"])  # fmt: skip
def test_an_upload_under_its_partial_name_is_neither_read_nor_moved(
    redis_url: str, tmp_path: Path, partial: str
) -> None:
    """WinSCP uploads as `name.filepart` and renames when done; however still it holds across scans, the
    partial name is not read, refused or moved to `.done/` (which lost the upload), and the renamed file is
    read once."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    uploading = inbox / partial
    uploading.write_text("# Dam opens\n\nThe new dam opened on Fri", encoding="utf-8")  # the upload stalls
    settings = load_settings(None, redis_url=redis_url, data_dir=str(tmp_path / "data"), inbox_events=False,
                             inbox=[{"path": str(inbox), "after": "move"}])  # fmt: skip
    with started(settings, with_worker=False) as runner:
        for _ in range(3):
            assert runner.read_inboxes(settle=True) == 0
            runner.tally.refresh(runner.client)
            runner.move_settled()
        assert uploading.exists() and not (inbox / ".done").exists()
        uploading.write_text("# Dam opens\n\nThe new dam opened on Friday.\n", encoding="utf-8")
        uploading.rename(inbox / "story.md")
        assert runner.read_inboxes(settle=True) == 0 and runner.read_inboxes(settle=True) == 1
        assert runner.read_inboxes(settle=True) == 0
        assert runner.tally.outcomes == {}  # nothing refused on the way


def test_a_utf16_seed_article_goes_through_the_pipeline(
    worker_app: Any, submit: Callable[..., list[str]], client: redis.Redis, settings: Settings,
    tmp_path: Path, seed_text: str,
) -> None:  # fmt: skip
    """The seed article saved as UTF-16 on Windows ends as one event with its title, author and link."""
    path = tmp_path / "seed.txt"
    path.write_text(seed_text, encoding="utf-16")
    result = read_file(path, "tests", settings.limits.max_article_bytes, settings.limits.max_records_per_file)
    assert result.refusals == []
    ids = submit(*result.articles)
    assert [s["state"] for s in wait_for_status(client, ids).values()] == ["emitted"]
    (event,) = stream_events(client)
    assert event["title"].startswith("China's jailing of nine people") and event["authors"] == ["Jing Xuan TENG"]
    assert event["url"].startswith("https://news.yahoo.com/")
