"""inbox: what a newsroom drops into the folder is read whole, once, whatever wrote it."""

from __future__ import annotations

import json
import os
import random
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


# --- legacy encodings: a file that is not UTF-8 but is plainly text in another encoding is read -------------------

CP1252_ARTICLE = (
    "# Caf\u00e9 owner\u2019s \u201cbest\u201d year \u2014 profits up 5\u00a0%\r\n"
    "Published at: **2024-05-01T10:00:00Z**\r\n"
    "Author: **Jos\u00e9 Mu\u00f1oz**\r\n"
    "\r\n"
    "The caf\u00e9 on the Stra\u00dfe had its best year, the owner said \u2013 na\u00efve as it sounds, "
    "the \u20ac5 breakfast did it.\r\n"
)


def test_a_cp1252_article_is_read_with_its_encoding_logged_and_goes_through_the_pipeline(
    worker_app: Any, submit: Callable[..., list[str]], client: redis.Redis, tmp_path: Path
) -> None:
    """A markdown article saved in Windows-1252 (Notepad before 2019, Word's "plain text") is read, not refused
    as not UTF-8: its curly quotes, dashes, euro sign and accents come through, and the guessed encoding is
    logged with the reason it was guessed."""
    from structlog.testing import capture_logs

    path = tmp_path / "story.md"
    path.write_bytes(CP1252_ARTICLE.encode("cp1252"))
    with capture_logs() as logs:
        articles, refusals = _read(path)
    assert refusals == []
    assert [a.content for a in articles] == [CP1252_ARTICLE.replace("\r\n", "\n")]
    [entry] = [e for e in logs if e["event"] == "inbox_encoding_detected"]
    assert entry["encoding"] == "cp1252" and entry["path"] == str(path)
    assert entry["reason"].startswith("not valid UTF-8 at byte ")
    ids = submit(*articles)
    assert [s["state"] for s in wait_for_status(client, ids).values()] == ["emitted"]
    (event,) = stream_events(client)
    # the worker straightens quotes and spaces in titles; what matters is that no character came through as mojibake
    assert event["title"].startswith("Caf\u00e9 owner") and event["title"].endswith("year \u2014 profits up 5 %")
    assert event["authors"] == ["Jos\u00e9 Mu\u00f1oz"] and "\u20ac5 breakfast" in event["text"]


@pytest.mark.parametrize(("name", "text", "encoding"), [
    ("fr.txt", "Le caf\u00e9 a rouvert apr\u00e8s des mois de travaux.\n\n\u00ab C\u2019est une f\u00eate \u00bb, a "
               "d\u00e9clar\u00e9 le ma\u00eetre d\u2019h\u00f4tel, tr\u00e8s \u00e9mu.", "cp1252"),
    ("es.md", "El alcalde de Logro\u00f1o inaugur\u00f3 el puente\n\nLa obra cost\u00f3 3,5 millones de \u20ac y "
              "dur\u00f3 dos a\u00f1os.", "cp1252"),
    ("latin1.txt", "Caf\u00e9 news\n\nIt opened in the town centre.", "latin-1"),
    ("ru.txt", "\u041c\u044d\u0440 \u041c\u043e\u0441\u043a\u0432\u044b \u043e\u0442\u043a\u0440\u044b\u043b "
               "\u043d\u043e\u0432\u044b\u0439 \u043c\u043e\u0441\u0442\n\n\u041c\u043e\u0441\u0442 "
               "\u043e\u0442\u043a\u0440\u044b\u043b\u0438 \u0432 \u0441\u0440\u0435\u0434\u0443.", "cp1251"),
    ("records.jsonl", '{"title": "Caf\u00e9 reopens", "text": "The caf\u00e9\u2019s doors opened."}\n', "cp1252"),
    ("de.txt", "Der B\u00fcrgermeister er\u00f6ffnete die neue Br\u00fccke \u00fcber die Stra\u00dfe. \u201eEin "
               "gro\u00dfer Tag\u201c, sagte er \u2013 die Kosten: 5 Mio. \u20ac.", "cp1252"),
    ("en.md", "The mayor\u2019s \u201cbest\u201d year \u2014 profits up 5\u00a0%, the owner said \u2013 "
              "na\u00efve as it sounds, the \u20ac5 breakfast did it.", "cp1252"),
])  # fmt: skip
def test_a_file_in_a_legacy_encoding_is_decoded_as_written(tmp_path: Path, name: str, text: str, encoding: str) -> None:
    """Windows-1252 (and Latin-1, its subset in practice), Windows-1251 and the like: every character as written;
    where several single-byte encodings fit equally, Windows-1252 is taken (the commonest, and the one an HTML
    page without a charset is read in)."""
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    articles, refusals = _read(path)
    assert refusals == []
    if name.endswith(".jsonl"):
        assert [(a.title, a.content) for a in articles] == [("Caf\u00e9 reopens", "The caf\u00e9\u2019s doors opened.")]
    else:
        assert [a.content for a in articles] == [text]


# Real sentences of the kind a Polish, Czech or Hungarian newsroom files; each has letters that Windows-1252 holds
# at the same byte as something else ("\u0141" is "\u00a3", "\u0142" is "\u00b3", "\u0159" is "\u00f8", "\u0151" is "\u00f5").
CENTRAL_EUROPEAN = {
    "pl": "\u0141\u00f3d\u017a: prezydent miasta otworzy\u0142 nowy most. Mieszka\u0144cy \u015bwi\u0119towali przez ca\u0142y "
          "weekend, a w\u0142adze zapowiedzia\u0142y kolejne inwestycje w \u015br\u00f3dmie\u015bciu.",
    "cs": "Praha: Starosta otev\u0159el nov\u00fd most p\u0159es \u0159eku. Obyvatel\u00e9 slavili cel\u00fd v\u00edkend a "
          "\u00fa\u0159ady ozn\u00e1mily dal\u0161\u00ed investice do centra m\u011bsta.",
    "hu": "Budapest: a f\u0151polg\u00e1rmester \u00e1tadta az \u00faj hidat. A lak\u00f3k eg\u00e9sz h\u00e9tv\u00e9g\u00e9n "
          "\u00fcnnepeltek, \u00e9s a v\u00e1ros tov\u00e1bbi fejleszt\u00e9seket jelentett be, k\u00fcl\u00f6n\u00f6sen a "
          "m\u0171eml\u00e9k \u00e9p\u00fcletekn\u00e9l.",
}  # fmt: skip


@pytest.mark.parametrize(("language", "encoding"), [
    ("pl", "cp1250"), ("cs", "cp1250"), ("hu", "cp1250"), ("pl", "iso-8859-2"),
])  # fmt: skip
def test_central_european_text_is_decoded_in_its_own_codepage_not_as_windows_1252(
    tmp_path: Path, language: str, encoding: str
) -> None:
    """Polish, Czech and Hungarian saved in Windows-1250 (or ISO-8859-2) come through as written: they read as
    Windows-1252 without a single undefined byte, and were read so ("\u00a3\u00f3d\u009f" for "\u0141\u00f3d\u017a"), being
    the commonest encoding among those that fit."""
    from structlog.testing import capture_logs

    text = CENTRAL_EUROPEAN[language]
    path = tmp_path / f"{language}.txt"
    path.write_bytes(text.encode(encoding))
    with capture_logs() as logs:
        articles, refusals = _read(path)
    assert refusals == [] and [a.content for a in articles] == [text]
    [entry] = [e for e in logs if e["event"] == "inbox_encoding_detected"]
    assert entry["encoding"] in {"cp1250", "iso8859_2"}


def test_a_central_european_html_page_without_a_charset_is_read_in_windows_1250(tmp_path: Path) -> None:
    """An HTML page that declares no charset is decoded by the same guess: its Polish comes through."""
    text = CENTRAL_EUROPEAN["pl"]
    path = tmp_path / "page.html"
    path.write_bytes(f"<html><body><h1>\u0141\u00f3d\u017a</h1><p>{text}</p></body></html>".encode("cp1250"))
    [article], refusals = _read(path)
    assert refusals == [] and text in article.content


@pytest.mark.parametrize("data", [
    bytes(b for b in bytes(range(256)) * 40 if b),  # every byte value but zero
    bytes(b or 1 for b in random.Random(7).randbytes(20_000)),  # compressed or encrypted data, zero bytes replaced
    b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Filter /FlateDecode >>\nstream\n"
    + bytes(b or 1 for b in random.Random(8).randbytes(4000)) + b"\nendstream\n",
])  # fmt: skip
def test_binary_data_without_zero_bytes_is_still_refused(tmp_path: Path, data: bytes) -> None:
    """Guessing an encoding never turns binary data into an article: data with no zero byte (which used to be
    refused as not UTF-8) is refused as binary when no text encoding fits it."""
    path = tmp_path / "story.txt"
    path.write_bytes(data)
    articles, refusals = _read(path)
    assert articles == [] and refusals == ["rejected:binary story.txt: the file is binary, not text"]


@pytest.mark.parametrize("data", [
    ("The caf\u00e9 opened. " * 20).encode() + "\u00e9".encode()[:1],  # cut short mid-character
    ("Caf\u00e9 na\u00efve r\u00e9sum\u00e9 \u00fcber. " * 20).encode() + b"\x93quoted\x94",  # one stray cp1252 pair
])  # fmt: skip
def test_damaged_utf8_is_refused_not_read_in_a_guessed_encoding(tmp_path: Path, data: bytes) -> None:
    """A UTF-8 file with a few bad bytes is damaged UTF-8, not a legacy encoding: read as one, every accent would
    be mojibake ("caf\u00c3\u00a9"). It stays refused, with where the damage is."""
    path = tmp_path / "story.txt"
    path.write_bytes(data)
    articles, refusals = _read(path)
    assert articles == [] and len(refusals) == 1
    assert refusals[0].startswith("rejected:invalid_utf8 story.txt: not valid UTF-8 at byte ")


def test_a_legacy_encoded_file_over_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    """The size bound holds whatever the encoding: an over-size Windows-1252 file is refused before decoding."""
    path = tmp_path / "big.txt"
    path.write_bytes(CP1252_ARTICLE.encode("cp1252"))
    result = read_file(path, "tests", path.stat().st_size - 1, MAX_RECORDS)
    assert result.articles == [] and [t.outcome for t in result.refusals] == ["rejected:too_large"]


# --- line endings: CR alone (classic Mac OS, some CMS exports) is a line break too ------------------------------


@pytest.mark.parametrize("newline", ["\r", "\r\n"])
def test_cr_line_endings_keep_the_seed_article_s_title_and_metadata(
    worker_app: Any, submit: Callable[..., list[str]], client: redis.Redis, tmp_path: Path, seed_text: str,
    newline: str,
) -> None:  # fmt: skip
    """The seed article with CR-only (or CRLF) line endings ends as one event with its title, author and link:
    with CR alone, the whole file was one line, and its title and metadata were lost in the body."""
    path = tmp_path / "seed.md"
    path.write_bytes(seed_text.replace("\n", newline).encode("utf-8"))
    articles, refusals = _read(path)
    assert refusals == [] and "\r" not in articles[0].content
    ids = submit(*articles)
    assert [s["state"] for s in wait_for_status(client, ids).values()] == ["emitted"]
    (event,) = stream_events(client)
    assert event["title"].startswith("China's jailing of nine people") and event["authors"] == ["Jing Xuan TENG"]
    assert event["url"].startswith("https://news.yahoo.com/")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "cp1252"])
def test_cr_only_lines_are_lines_in_every_format(tmp_path: Path, encoding: str) -> None:
    """Plain text keeps its first line as the title line, and JSON lines keep one record a line, whatever the
    encoding the CR-only file was written in."""
    text = tmp_path / "story.txt"
    text.write_bytes("Dam opens\r\rThe new dam opened on Friday.\rIt took ten years.\r".encode(encoding))
    lines = tmp_path / "records.jsonl"
    lines.write_bytes('{"title": "One", "text": "First."}\r{"title": "Two", "text": "Second."}\r'.encode(encoding))
    articles, refusals = _read(text)
    assert refusals == [] and [a.content for a in articles] == [
        "Dam opens\n\nThe new dam opened on Friday.\nIt took ten years.\n"
    ]
    articles, refusals = _read(lines)
    assert refusals == [] and [a.title for a in articles] == ["One", "Two"]
    assert [a.source.path for a in articles] == [f"{lines}:1", f"{lines}:2"]


# --- JSON exports that wrap their records in an object -------------------------------------------------------------


def test_an_envelope_around_a_wrapped_export_is_read_record_by_record(tmp_path: Path) -> None:
    """The Guardian's API wraps its page in `response`: `{"response": {"status": "ok", "results": [{…}]}}`. One
    level of envelope is opened like the wrapper itself; a record that holds an object (its source) stays one."""
    path = tmp_path / "guardian.json"
    path.write_text(json.dumps({"response": {"status": "ok", "total": 2, "results": [
        {"webTitle": "Ignored key", "title": "Dam opens", "text": "The new dam opened on Friday."},
        {"title": "Port reopens", "content": "The port reopened on Monday."},
    ]}}), encoding="utf-8")  # fmt: skip
    articles, refusals = _read(path)
    assert refusals == [] and [a.title for a in articles] == ["Dam opens", "Port reopens"]
    single = tmp_path / "single.json"
    single.write_text(json.dumps({"title": "One", "text": "A record with an object in it.",
                                  "source": {"name": "Herald", "tags": [{"x": 1}]}}), encoding="utf-8")  # fmt: skip
    articles, refusals = _read(single)
    assert refusals == [] and [(a.title, a.source.name) for a in articles] == [("One", "Herald")]


@pytest.mark.parametrize("value", [
    {"data": {"search": {"hits": {"total": 2, "items": [{"title": "Dam opens", "text": "The dam opened."},
                                                        {"title": "Port reopens", "text": "The port reopened."}]}}}},
    {"meta": {"page": 1}, "feed": {"title": None, "channel": {"items": [
        {"title": "Dam opens", "text": "The dam opened."}, {"title": "Port reopens", "text": "The port reopened."}]}}},
])  # fmt: skip
def test_records_nested_a_few_envelopes_deep_are_found(tmp_path: Path, value: Any) -> None:
    """Exports that nest their records two or three envelopes deep (a search API's `data.search.hits.items`, a
    feed-to-JSON `feed.channel.items`) are read record by record."""
    path = tmp_path / "export.json"
    path.write_text(json.dumps(value), encoding="utf-8")
    articles, refusals = _read(path)
    assert refusals == [] and [a.title for a in articles] == ["Dam opens", "Port reopens"]


@pytest.mark.parametrize("value", [
    {"status": "ok", "meta": {"page": 1, "pages": 3}},  # no list anywhere
    {"a": {"b": {"c": {"d": {"e": {"items": [{"title": "Too deep", "text": "Past the depth limit."}]}}}}}},
    {"tags": ["news", "world"], "counts": [1, 2]},  # lists, but of no records
])  # fmt: skip
def test_a_json_object_holding_no_list_of_records_is_refused_with_the_reason(tmp_path: Path, value: Any) -> None:
    """An object with no article field and no list of records within a few envelopes is refused as
    `invalid_record` saying so, not read as one record with no text (which the worker refused later, vaguely)."""
    path = tmp_path / "export.json"
    path.write_text(json.dumps(value), encoding="utf-8")
    articles, refusals = _read(path)
    assert articles == [] and len(refusals) == 1
    assert refusals[0].startswith("rejected:invalid_record export.json: no list of records")


def test_the_search_for_records_is_bounded_in_what_it_visits(tmp_path: Path) -> None:
    """The search looks into at most 200 objects (untrusted input cannot make it walk the whole file): records
    behind 300 empty envelopes are not found, and the file is refused; the same records sooner are read."""
    record = {"title": "Dam opens", "text": "The new dam opened on Friday."}
    envelopes: dict[str, object] = {f"k{i}": {"x": {"y": 1}} for i in range(300)}
    path = tmp_path / "export.json"
    path.write_text(json.dumps({**envelopes, "z": {"articles": [record]}}), encoding="utf-8")
    articles, refusals = _read(path)
    assert articles == [] and refusals[0].startswith("rejected:invalid_record export.json: no list of records")
    path.write_text(json.dumps({"z": {"articles": [record]}, **envelopes}), encoding="utf-8")
    articles, refusals = _read(path)
    assert [a.title for a in articles] == ["Dam opens"] and refusals == []


@pytest.mark.parametrize("key", ["articles", "items", "entries", "data", "results"])
def test_a_json_export_wrapping_its_records_under_one_key_is_read_record_by_record(tmp_path: Path, key: str) -> None:
    """`{"status": "ok", "articles": [{…}, {…}]}` (NewsAPI; CMS and scraper exports say `items`, `entries`,
    `data`) is its records, not one empty record: each good one kept, each bad one refused with its index."""
    path = tmp_path / "export.json"
    path.write_text(json.dumps({
        "status": "ok", "totalResults": 4,
        key: [
            {"title": "Dam opens", "text": "The new dam opened on Friday.", "source": {"name": "Herald"}},
            "not a record",
            {"title": "Bad body", "text": ["a", "list"]},
            {"title": "Port reopens", "content": "The port reopened on Monday.", "url": "https://a.example/port"},
        ],
    }), encoding="utf-8")  # fmt: skip
    articles, refusals = _read(path)
    assert [(a.title, a.content, a.source.path) for a in articles] == [
        ("Dam opens", "The new dam opened on Friday.", f"{path}:0"),
        ("Port reopens", "The port reopened on Monday.", f"{path}:3"),
    ]
    assert articles[0].source.name == "Herald" and str(articles[1].url) == "https://a.example/port"
    assert refusals == [
        "rejected:invalid_record export.json:1: a record must be a JSON object",
        "rejected:invalid_record export.json:2: the text field must be a string",
    ]


def test_wrapped_records_are_bounded_by_the_record_limit(tmp_path: Path) -> None:
    """The records under the key count against `max_records_per_file` like those of a top-level array."""
    path = tmp_path / "export.json"
    path.write_text(json.dumps({"items": [{"title": f"S{i}", "text": f"Body {i}."} for i in range(5)]}),
                    encoding="utf-8")  # fmt: skip
    result = read_file(path, "tests", MAX_BYTES, 3)
    assert [a.title for a in result.articles] == ["S0", "S1", "S2"]
    assert [f"{t.outcome} {t.detail}" for t in result.refusals] == [
        "rejected:invalid_json export.json:3: more than 3 records; the rest were not read"
    ]


@pytest.mark.parametrize("record", [
    {"title": "Dam opens", "text": "The new dam opened.", "authors": [{"name": "Ann Lee"}, {"name": "Bo Li"}]},
    {"url": "https://a.example/dam", "html": "<p>The new dam opened.</p>", "tags": [{"id": 1}]},
])  # fmt: skip
def test_a_single_record_holding_a_list_of_objects_is_still_one_record(tmp_path: Path, record: dict[str, Any]) -> None:
    """An object with an article's fields is a record, whatever lists of objects it holds (its authors)."""
    path = tmp_path / "record.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    articles, refusals = _read(path)
    assert refusals == [] and len(articles) == 1
    assert articles[0].authors == (["Ann Lee", "Bo Li"] if "authors" in record else [])


@pytest.mark.parametrize("text", ["[]", '{"articles": []}'])
def test_a_json_file_of_no_records_is_refused_as_empty(tmp_path: Path, text: str) -> None:
    """An empty export (`[]`, or its wrapper around an empty list) ends as one counted refusal, not silence."""
    path = tmp_path / "export.json"
    path.write_text(text, encoding="utf-8")
    assert _read(path) == ([], ["rejected:empty export.json: no records"])


# --- a file replaced in place is read again ----------------------------------------------------------------------


def _replace_keeping_size_and_mtime(path: Path, text: str) -> None:
    """Replace ``path`` atomically (a temporary file renamed over it, as editors and sync tools do) with ``text``
    of the same size, and set its mtime back to the old one."""
    before = path.stat()
    data = text.encode("utf-8")
    assert len(data) == before.st_size
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)


def _inbox_settings(redis_url: str, tmp_path: Path) -> tuple[Path, Settings]:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    return inbox, load_settings(None, redis_url=redis_url, data_dir=str(tmp_path / "data"), inbox_events=False,
                                inbox=[{"path": str(inbox)}])  # fmt: skip


def test_a_file_replaced_with_the_same_size_and_mtime_is_read_again(redis_url: str, tmp_path: Path) -> None:
    """A corrected article saved over the first (same length, mtime set back by a sync tool) is new content:
    read again, while the service runs and across a restart; the first read is not repeated."""
    inbox, settings = _inbox_settings(redis_url, tmp_path)
    path = inbox / "story.txt"
    path.write_text("Dam opens\n\nThe dam opened on Friday.\n", encoding="utf-8")
    with started(settings, with_worker=False) as runner:
        assert runner.read_inboxes(settle=False) == 1
        _replace_keeping_size_and_mtime(path, "Dam opens\n\nThe dam opened on Monday.\n")
        assert runner.read_inboxes(settle=False) == 1
        assert runner.read_inboxes(settle=False) == 0
    _replace_keeping_size_and_mtime(path, "Dam opens\n\nThe dam opened on Sunday.\n")
    with started(settings, with_worker=False) as runner:  # replaced while the service was down
        assert runner.read_inboxes(settle=False) == 1
        assert runner.read_inboxes(settle=False) == 0
    with started(settings, with_worker=False) as runner:
        assert runner.read_inboxes(settle=False) == 0


def test_a_file_whose_metadata_alone_changed_is_not_read_again(redis_url: str, tmp_path: Path) -> None:
    """A chmod, a hard link or the same bytes saved over it (same size and mtime) changes the file's ctime or
    inode but not its content: not read again (a duplicate delivery; past the dedup window, a second event)."""
    inbox, settings = _inbox_settings(redis_url, tmp_path)
    path = inbox / "story.txt"
    path.write_text("Dam opens\n\nThe dam opened on Friday.\n", encoding="utf-8")
    with started(settings, with_worker=False) as runner:
        assert runner.read_inboxes(settle=False) == 1
        path.chmod(0o600)
        assert runner.read_inboxes(settle=False) == 0
        _replace_keeping_size_and_mtime(path, "Dam opens\n\nThe dam opened on Friday.\n")
        assert runner.read_inboxes(settle=False) == 0
    os.link(path, tmp_path / "elsewhere.txt")
    with started(settings, with_worker=False) as runner:
        assert runner.read_inboxes(settle=False) == 0


def test_files_remembered_before_this_change_are_not_read_again(
    client: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    """A memory written by an older version (path -> "size mtime", by the folder's path) is still trusted after
    an upgrade: the kept files are not all read again."""
    from producers.inbox import path_memory_key

    inbox, settings = _inbox_settings(redis_url, tmp_path)
    path = inbox / "story.txt"
    path.write_text("Dam opens\n\nThe dam opened on Friday.\n", encoding="utf-8")
    stat = path.stat()
    client.hset(path_memory_key(inbox), str(path), f"{stat.st_size} {stat.st_mtime_ns}")
    with started(settings, with_worker=False) as runner:
        assert runner.read_inboxes(settle=False) == 0
        path.write_text("Dam opens\n\nThe dam opened on Friday, a day late.\n", encoding="utf-8")
        assert runner.read_inboxes(settle=False) == 1


def test_an_html_page_without_a_charset_is_read_in_the_encoding_it_is_written_in(tmp_path: Path) -> None:
    """A Windows-1251 page that declares no charset was read as Windows-1252 (Cyrillic as "Ïðèâåò"): it is read
    in the encoding detected, as a text file is, and that is logged; one that declares its charset keeps it."""
    from structlog.testing import capture_logs

    from worker.parse import parse

    body = "<p>Правительство объявило о новых мерах поддержки малого бизнеса в регионах страны.</p>" * 3
    page = f"<html><head><title>Новые меры поддержки</title></head><body><article>{body}</article></body></html>"
    path = tmp_path / "news.html"
    path.write_bytes(page.encode("cp1251"))
    with capture_logs() as logs:
        articles, refusals = _read(path)
    assert refusals == [] and "Правительство объявило" in articles[0].content
    assert parse(articles[0]).title == "Новые меры поддержки"
    [entry] = [e for e in logs if e["event"] == "inbox_encoding_detected"]
    assert entry["encoding"] == "cp1251"
    declared = tmp_path / "declared.html"
    declared.write_bytes(page.replace("<head>", '<head><meta charset="koi8-r">').encode("koi8-r"))
    articles, refusals = _read(declared)
    assert refusals == [] and "Правительство объявило" in articles[0].content


@pytest.mark.parametrize("name", ["records.jsonl", "records.json"])
def test_a_lone_surrogate_in_an_inbox_record_becomes_a_replacement_character(tmp_path: Path, name: str) -> None:
    """A record carrying half an emoji (`"\\ud83d"`, a string cut by a JavaScript slice) is read with U+FFFD in
    its place, as the HTTP endpoint reads it, and can be queued; it was refused ("unable to parse raw data as a
    unicode string") in a title, and in a body it failed when queued. A valid pair stays one emoji."""
    record = '{"title": "Cut \\ud83d", "text": "Half an emoji \\ud83d here, a whole one \\ud83d\\ude00 there."}'
    path = tmp_path / name
    path.write_text(record if name.endswith(".json") else record + "\n" + record, encoding="utf-8")
    articles, refusals = _read(path)
    assert refusals == [] and articles
    for article in articles:
        assert article.title == "Cut \ufffd"
        assert "emoji \ufffd here" in article.content and "\U0001f600" in article.content
        article.model_dump_json().encode("utf-8")  # what the ledger stores


def test_only_names_are_authors(tmp_path: Path) -> None:
    """A number, a null or a nameless object in a record's authors is no author (they were "5", "None", "")."""
    path = tmp_path / "record.json"
    path.write_text(json.dumps({"title": "Dam opens", "text": "The new dam opened on Friday.",
                                "authors": ["Ann Lee", 5, None, {"name": "Bo Li"}, {"url": "x"}, " "]}),
                    encoding="utf-8")  # fmt: skip
    [article], _ = _read(path)
    assert article.authors == ["Ann Lee", "Bo Li"]
    path.write_text(json.dumps({"title": "Dam opens", "text": "The new dam opened on Friday.", "author": 5}),
                    encoding="utf-8")  # fmt: skip
    [article], _ = _read(path)
    assert article.authors == []


@pytest.mark.parametrize(("published", "expected"), [
    (1700000000, "2023-11-14T22:13:20+00:00"),  # Unix seconds
    (1700000000123, "2023-11-14T22:13:20.123000+00:00"),  # milliseconds (JavaScript's Date.now())
    (1700000000.5, "2023-11-14T22:13:20.500000+00:00"),
    ("2023-11-14T22:13:20Z", "2023-11-14T22:13:20Z"),  # text is kept as written, for the worker to read
    (10**30, str(10**30)),  # no time at all: kept, and read as no date
    (True, "True"),
])  # fmt: skip
def test_a_number_as_a_records_date_is_a_unix_time(tmp_path: Path, published: object, expected: str) -> None:
    """`"published": 1700000000` (or milliseconds) is that moment, written out for the worker's date reader; as
    the text "1700000000" it was read as no date at all."""
    path = tmp_path / "record.json"
    path.write_text(json.dumps({"title": "Dam opens", "text": "The dam opened.", "published": published}),
                    encoding="utf-8")  # fmt: skip
    [article], _ = _read(path)
    assert article.published_at == expected
