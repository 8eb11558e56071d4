"""inbox: files that hold nothing but their encoding's marks are refused as empty, not sent on as blank articles."""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest

from producers.inbox import read_file


@pytest.mark.parametrize(("name", "data"), [
    ("story.md", codecs.BOM_UTF8 + b"  \r\n"),  # Notepad's "UTF-8 with BOM", saved blank
    ("story.txt", codecs.BOM_UTF16_LE),  # PowerShell's `"" > story.txt` writes the mark alone
    ("story.txt", " \n".encode("utf-16")),
    ("page.html", codecs.BOM_UTF8),
    ("records.jsonl", codecs.BOM_UTF32_LE + "\n\n".encode("utf-32-le")),
])  # fmt: skip
def test_a_file_of_a_byte_order_mark_and_white_space_is_refused_as_empty(
    tmp_path: Path, name: str, data: bytes
) -> None:
    """Its bytes are not blank, so the check before decoding passed it, and it became an article with no text (or,
    as JSON lines, a file of no records said nothing at all)."""
    path = tmp_path / name
    path.write_bytes(data)
    result = read_file(path, "tests", 1 << 20, 1000)
    assert result.articles == []
    assert [(t.outcome, t.detail) for t in result.refusals] == [("rejected:empty", f"{name}: the file is empty")]


def test_stray_zero_bytes_past_the_first_kilobytes_do_not_cost_a_page(tmp_path: Path) -> None:
    """Real pages hold stray zero bytes (a corpus page has 11 after an image tag, 34 KB in): such a page is still
    read; only a file that ends in a run of them is refused."""
    path = tmp_path / "page.html"
    body = "<p>The new dam opened on Friday.</p>\n" * 400
    path.write_bytes(f"<html><body>{body}<img src='a.gif'>".encode() + b"\x00" * 11 + f"{body}</body></html>".encode())
    result = read_file(path, "tests", 1 << 20, 1000)
    assert result.refusals == [] and len(result.articles) == 1


def test_a_file_padded_with_zero_bytes_is_refused_with_the_reason(tmp_path: Path) -> None:
    """A file its writer preallocated (download managers, sync tools) or that a crash cut short ends in a run of
    zero bytes: it is refused as binary, saying so, not read with them in its text; once written whole (a new
    mtime), it is read again."""
    path = tmp_path / "story.md"
    path.write_bytes(b"# Dam opens\n\n" + b"The new dam opened on Friday.\n" * 400 + b"\x00" * 20_000)
    result = read_file(path, "tests", 1 << 20, 1000)
    assert result.articles == []
    assert [(t.outcome, t.detail) for t in result.refusals] == [
        ("rejected:binary", "story.md: the file ends in 20000 zero bytes: cut short, or still being written")
    ]


JSON_FEED = {
    "version": "https://jsonfeed.org/version/1.1",
    "title": "Harbour News",
    "home_page_url": "https://news.example.org/",
    "authors": [{"name": "Harbour desk"}],
    "items": [
        {
            "id": "https://news.example.org/2024/dam",
            "url": "https://news.example.org/2024/dam",
            "title": "Dam opens",
            "content_html": "<p>The new dam opened on Friday, <em>a day late</em>.</p>",
            "summary": "The dam opened.",
            "date_published": "2024-05-03T10:00:00Z",
            "authors": [{"name": "Ana Ruiz"}],
        },
        {
            "id": "2",
            "title": "Port reopens",
            "content_text": "The port reopened on Monday after the storm.",
            "date_published": "2024-05-06T08:30:00+02:00",
        },
    ],
}


@pytest.mark.parametrize("name", ["feed.json", "feed.jsonl"])
def test_a_json_feed_is_read_item_by_item(tmp_path: Path, name: str) -> None:
    """A JSON Feed (jsonfeed.org; the corpus's feeds hold one) was one article: the feed, by its title, with no
    text, and its items were lost without a word. Its items are the records, with their `content_html`,
    `content_text` and `date_published`."""
    path = tmp_path / name
    path.write_text(json.dumps(JSON_FEED) + "\n", encoding="utf-8")
    result = read_file(path, "tests", 1 << 20, 1000)
    assert result.refusals == []
    assert [(a.title, a.content_type, a.content, a.published_at) for a in result.articles] == [
        ("Dam opens", "html", JSON_FEED["items"][0]["content_html"], "2024-05-03T10:00:00Z"),
        ("Port reopens", "text", "The port reopened on Monday after the storm.", "2024-05-06T08:30:00+02:00"),
    ]
    assert result.articles[0].url == "https://news.example.org/2024/dam" and result.articles[0].authors == ["Ana Ruiz"]
