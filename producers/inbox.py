"""Inbox producer: files dropped into a folder become RawArticles.

Markdown (``.md``), plain text (``.txt``; the markdown article format is recognised inside), HTML
(``.html``/``.htm``), JSON (one record, an array, or an object holding its records a few envelopes deep) and JSON
lines (``.jsonl``/``.ndjson``, one record a line). Text is UTF-8, or UTF-16 or UTF-32 with a byte order mark;
a file that is neither but reads plainly as text in another encoding (Windows-1252 above all; Windows-1250 for
Central European text) is decoded in the encoding detected, which is logged. Lines end in LF, CR LF or CR alone.
Files are bounded in size and records per file; a file or record that cannot be read is refused with a reason
(and counted), and the rest still go through.
The folder is scanned, which works the same on bind mounts, network shares and Docker volumes, where file events
do not arrive; where they do, a file its writer has closed or renamed in is read at once instead of after two
scans (``producers/inbox_events.py``).
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import hashlib
import html
import itertools
import json
import os
import re
import time
import unicodedata
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from stat import S_ISDIR, S_ISLNK, S_ISREG
from typing import Any

import redis
from charset_normalizer import from_bytes
from pydantic import ValidationError

from producers.inbox_events import QUIET_S, InboxEvents, wanted
from schemas import RawArticle, RawSource, utcnow
from wirewatch import constants as c
from wirewatch.logs import get_logger
from wirewatch.outcomes import Terminal

log = get_logger("wirewatch.inbox")

KINDS = {
    ".md": "markdown", ".markdown": "markdown", ".txt": "text", ".text": "text", ".html": "html",
    ".htm": "html", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl",
}  # fmt: skip
_BINARY_SNIFF_BYTES = 8192
# A run of zero bytes this long ends a file its writer preallocated (download managers, sync tools) and has not
# filled yet, or one a crash cut short: refused as binary with that reason, and read again once it changes. Zero
# bytes elsewhere past the first kilobytes are left be: real pages hold stray runs of them (one corpus page, 11).
_ZERO_PADDING = 512
# Text whose zero bytes are its encoding's, told by its byte order mark (UTF-32's first: FF FE 00 00 starts like
# UTF-16's FF FE). Windows PowerShell 5 writes UTF-16 with `>` and `Out-File`; those files were refused as binary.
_WIDE_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF16_LE, "utf-16"),
              (codecs.BOM_UTF16_BE, "utf-16"))  # fmt: skip
_META_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([\w-]+)""", re.I)
# A file that is not UTF-8 is read in the encoding charset_normalizer finds plausible (docs/decisions.md,
# "Windows-1252 files were refused"). UTF-16 and UTF-32 are never guessed: without a byte order mark their zero
# bytes made the file binary already, and guessed for ASCII-like bytes they turn text into CJK soup.
_GUESS_NEVER = ["utf_16", "utf_16_le", "utf_16_be", "utf_32", "utf_32_le", "utf_32_be"]
# Where several encodings read a file equally well (Windows-1250, -1252 and -1257 agree on most Western text;
# on a short text even Mac Central European does), Windows-1252: the commonest legacy encoding of news text, and
# the one HTML reads an unlabelled page in. "Equally well" is charset_normalizer's own tie: chaos within 0.01
# (CharsetMatch orders so); a strict minimum let DOS Baltic (cp775) win an English text by 0.001, its curly
# quotes read as "ō…ö".
_PREFERRED_GUESS = "cp1252"
_CHAOS_TIE = 0.01
# Central European text (Polish, Czech, Hungarian, …) in Windows-1250 or ISO-8859-2 reads as Windows-1252 without
# one undefined byte, and charset_normalizer's mess detector finds nothing wrong with "£ódŸ" or "otworzy³"; nor, on a
# short text, does it tell Windows-1250 from ISO-8859-2 (Czech "škola" in ISO-8859-2 is "ąkola" in Windows-1250),
# and often it does not report the right one at all. So where the plainest reading is Latin script, both are tried
# beside it and Windows-1252, and the reading whose non-ASCII letters best fit one language's alphabet
# (`_alphabet_fit`) wins.
_CENTRAL_EUROPEAN = ("cp1250", "iso8859_2")
# The letters beyond ASCII of the languages written in Latin script in the encodings guessed (Windows-125x and
# ISO-8859-x), by py3langid code: a reading scores a point for each character in the text's language's set, and
# loses one for each other that is not common punctuation (`_NEUTRAL`). Polish "ą" read as ISO-8859-2 "š" is not
# Polish, nor is Czech "š" read as Windows-1250 "ą" Czech, nor Slovenian "ž" read as Windows-1250 "ľ" Slovenian;
# Portuguese "ã" read as Windows-1250 "ă" is not Portuguese; English has no such letter ("£" read as "Ł").
_ALPHABETS = {language: frozenset(letters) for languages, letters in (
    (("pl",), "ąćęłńóśźż"),
    (("cs",), "áčďéěíňóřšťúůýž"),
    (("sk",), "áäčďéíĺľňóôŕšťúýž"),
    (("sl", "hr", "bs", "sr"), "čšžćđ"),
    (("hu",), "áéíóöőúüű"),
    (("ro",), "ăâîșțşţ"),
    (("sq",), "çë"),
    (("de",), "äöüßé"),
    (("fr",), "àâæçéèêëîïôœùûüÿ"),
    (("es", "gl"), "áéíñóúü"),
    (("pt",), "áâãàçéêíóôõú"),
    (("it",), "àèéìíîòóùú"),
    (("ca",), "àçèéíïòóú·"),
    (("nl", "ga", "af"), "áéíóúëïöüèà"),
    (("sv", "da", "no", "nb", "nn", "fi"), "åäöéæøü"),
    (("et",), "äöõüšž"),
    (("is", "fo"), "áðéíóúýþæö"),
    (("tr", "az"), "çğıöşüâîû"),
    (("lt",), "ąčęėįšųūž"),
    (("lv",), "āčēģīķļņšūž"),
    (("cy",), "âêîôûŵŷáéíóúàèìòùäëïöü"),
    (("en", "la", "id", "ms", "sw"), ""),
) for language in languages}  # fmt: skip
# Not letters and at home in any language: quotes, dashes, spaces, currency and the like. Other symbols count
# against a reading: "¶", "±", "µ", "³", "¼" are what a misread letter becomes.
_NEUTRAL = frozenset("\u00a0\u2007\u2009\u202f\u200b\u00ad«»„“”‚‘’‹›–—―…•·€£¥¢°§©®™×÷¡¿ºª†‡‰′″½¼¾")
# Where two readings fit as well (Slovak "ľ" in Windows-1250 is "ž" in ISO-8859-2, both Slovak; Hungarian "ő"
# is in both), the text's language decides: one written in Windows-1250 (py3langid codes) takes the Central
# European reading, Windows-1250 first.
_CENTRAL_EUROPEAN_LANGUAGES = frozenset({"pl", "cs", "sk", "hu", "hr", "sl", "ro", "bs", "sq"})
# Scripts whose letters are cased, as Latin is (those of the others are of category Lo): a text mostly in one of
# them is not Latin script, and the Latin readings of its bytes are mojibake.
_OTHER_SCRIPTS = ("CYRILLIC", "GREEK", "ARMENIAN", "GEORGIAN", "COPTIC", "CHEROKEE", "GLAGOLITIC")
_LANGUAGE_SAMPLE_CHARS = 2000
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_TAG = re.compile(r"<[^>]*>")
_C1 = re.compile(r"[\x80-\x9f]")
# C0 controls but tab, line feed, vertical tab, form feed, carriage return and escape; and DEL. Text in no
# encoding has them; data that no encoding fits and that holds them is binary.
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]")
_LINE_ENDS = re.compile(r"\r\n?")
# An object that holds these is a record, whatever lists of objects it holds besides (its authors); one that
# holds none of them and one list of objects is an export wrapping its records (`{"articles": […]}`).
_RECORD_FIELDS = frozenset({"title", "text", "content", "body", "html", "markdown", "url", "link"})
_NO_RECORDS = "no records"  # an empty array, or a wrapper around one: refused as empty, not passed over in silence
_NO_RECORD_LIST = "no list of records"  # an object neither a record nor a wrapper of records: refused as invalid
# How far `_unwrap` looks for records in an export's envelopes (`{"data": {"search": {"hits": {"items": […]}}}}`
# is 3 levels down): levels of objects, and objects looked into, so that a crafted file cannot make it walk long.
_ENVELOPE_DEPTH = 4
_ENVELOPE_OBJECTS = 200
# A `text`/`content`/`body` field that holds markup (what CMS exports and feed-to-JSON tools write): read as
# HTML, or its tags and entities would be kept as words. Prose that merely mentions a tag has no closing one.
_MARKUP = re.compile(r"</(?:p|div|span|a|em|strong|b|i|u|li|ul|ol|h[1-6]|blockquote|figure|figcaption|td|tr"
                     r"|table|section|article)>|<br\s*/?>", re.I)  # fmt: skip
_ENTITY = re.compile(r"&(?:[a-z]{2,8}|#\d{2,6}|#x[0-9a-f]{2,5});", re.I)
DONE_DIR = ".done"  # where `after: move` puts settled files; hidden, so scans skip it
# Names an `after: keep` folder, whose memory is kept by the id in it (InboxMemory); hidden, so never read as an
# article. One id and a line end; more is not ours, and is not read past this.
MARKER = ".wirewatch-inbox"
_MARKER_ID = re.compile(r"[0-9a-f]{32}")
_MARKER_MAX_BYTES = 64
# A marker found empty is another runner's between its making and its one write (two starts at once on a shared
# folder): its id is waited for this long, then the marker is refused (its writer died in between).
_MARKER_WAIT_S = 1.0
_MARKER_POLL_S = 0.02
_TAKE_OVER_BATCH = 10_000  # entries of an older version's memory copied per round trip

# Files are opened relative to their folder, never through a symbolic link, and without blocking (docs/decisions.md,
# "Security review"): a link in the inbox to /etc/shadow or to the config file was read and published as an event,
# and a FIFO swapped in after the scan hung the runner in open(). Where the platform lacks O_NOFOLLOW or dir_fd
# (Windows), the lstat before the open is the only check.
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_FILE_FLAGS = (os.O_RDONLY | _O_NOFOLLOW | _O_CLOEXEC | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
               | getattr(os, "O_BINARY", 0))  # fmt: skip
_DIR_FLAGS = os.O_RDONLY | _O_NOFOLLOW | _O_CLOEXEC | getattr(os, "O_DIRECTORY", 0)
_AT_CALLS = _O_NOFOLLOW != 0 and {os.open, os.mkdir, os.stat, os.rename} <= os.supports_dir_fd
_LINK_ERRNOS = (errno.ELOOP, errno.EMLINK, errno.ENOTDIR)  # what O_NOFOLLOW answers for a link (EMLINK: BSDs)
SYMLINK_DETAIL = "a symbolic link: the inbox reads regular files only (copy, move or hard-link the file in)"
NOT_REGULAR_DETAIL = "not a regular file (a FIFO, socket or device): never opened"


class UnsafeInboxPath(OSError):
    """Raised when a path under an inbox folder goes through a symbolic link (or something that is not a
    folder) where wirewatch reads or moves a file: what it names may lie outside the inbox."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass
class FileResult:
    """What one file gave: articles to submit and refusals to settle."""

    articles: list[RawArticle] = field(default_factory=list)
    refusals: list[Terminal] = field(default_factory=list)
    digest: str = ""  # of the bytes read (`content_digest`); empty when the file was refused before reading it


def content_digest(data: bytes) -> str:
    """A digest of a file's bytes, to tell a file replaced with one of the same size and mtime (InboxWatcher)."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def delivery_id() -> str:
    """A fresh id for each delivery: reading the same file twice is two deliveries (the second a duplicate)."""
    return uuid.uuid4().hex


def scan(folder: Path) -> list[Path]:
    """What is under ``folder`` (recursively) and not a folder, sorted, skipping hidden and partial names.

    Symbolic links (to files or folders) and FIFOs, sockets and devices are listed, not followed or opened, so
    that `read_file` refuses each once with its reason (``rejected:symlink``, ``rejected:not_regular``) instead
    of reading what a link points at, or passing them over without a word."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if wanted(folder, p) and _not_a_folder(p))


def _not_a_folder(path: Path) -> bool:
    try:
        return not S_ISDIR(path.lstat().st_mode)
    except OSError:
        return False  # gone since it was listed


def _wide_encoding(data: bytes) -> str | None:
    """UTF-16 or UTF-32 when ``data`` starts with its byte order mark (the codec reads the mark and drops it)."""
    return next((encoding for bom, encoding in _WIDE_BOMS if data.startswith(bom)), None)


def _decode_html(data: bytes) -> tuple[str, str | None]:
    """A page's text, and the encoding guessed for it (None when it is UTF-8 or says its charset). A page that is
    neither, and says nothing, is read in the encoding charset-normalizer finds (as text files are), UTF-8 with a
    few bad bytes as UTF-8; Windows-1252, as browsers read an unlabelled page, only when nothing reads it."""
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    declared = _META_CHARSET.search(data[:4096])
    if declared:
        with contextlib.suppress(LookupError):
            return data.decode(declared[1].decode("ascii"), errors="replace"), None
    if _damaged_utf8(data):
        return data.decode("utf-8", errors="replace"), "utf-8"
    guessed = _guess_encoding(data)
    if guessed is not None:
        return guessed[1], guessed[0]
    return data.decode("cp1252", errors="replace"), "cp1252"


def _damaged_utf8(data: bytes) -> bool:
    """Whether ``data``, not valid UTF-8, is UTF-8 with a few bad bytes (cut short mid-character, a stray byte
    pasted in) rather than text in another encoding: it holds more well-formed multi-byte characters than bad
    spots. Read in a guessed encoding, each of its accents would be two characters of mojibake."""
    text = data.decode("utf-8", "replace")
    bad = text.count("\ufffd")
    return len(text) - len(text.encode("ascii", "ignore")) - bad > bad


def _guess_encoding(data: bytes) -> tuple[str, str] | None:
    """(encoding, text) of ``data`` in the encoding that reads it most plainly (charset_normalizer's least
    "chaos"; then Windows-1252 when it is among the cleanest, else the most coherent for a language; Windows-1250
    or ISO-8859-2 over that when they read it as Central European text), or None when none does."""
    matches = list(from_bytes(data, cp_exclusion=_GUESS_NEVER, enable_fallback=False))
    if not matches:
        return None
    cleanest = min(m.chaos for m in matches)
    ranked = sorted(matches, key=lambda m: (m.chaos > cleanest + _CHAOS_TIE,
                                            _PREFERRED_GUESS not in m.could_be_from_charset, -m.coherence))  # fmt: skip
    encodings = [_PREFERRED_GUESS if _PREFERRED_GUESS in m.could_be_from_charset else m.encoding for m in ranked]
    encodings = _better_latin_reading(data, encodings[0]) + encodings
    for encoding in encodings:
        try:
            return encoding, data.decode(encoding)  # the detector looks at samples; the whole file must decode
        except (UnicodeDecodeError, LookupError):
            continue
    return None


def _better_latin_reading(data: bytes, first: str) -> list[str]:
    """Windows-1252, Windows-1250 or ISO-8859-2, when ``data`` read in ``first`` (the plainest reading) is Latin
    script and one of them reads it better: its non-ASCII characters fit the alphabet of the text's language
    better (`_alphabet_fit`). Where readings fit as well, ``first`` (then Windows-1252) stays, unless the text is
    in a Central European language: then Windows-1250, then ISO-8859-2. Empty when ``first`` stays."""
    try:
        plain = data.decode(first)
    except (UnicodeDecodeError, LookupError):
        return []  # fails past the detector's samples: the ranking tries the next reading anyway
    if not _latin_script(plain):
        return []  # Cyrillic, Greek, …: the Latin readings are mojibake of it
    readings = {first: plain}
    for encoding in (_PREFERRED_GUESS, *_CENTRAL_EUROPEAN):
        with contextlib.suppress(UnicodeDecodeError):
            text = data.decode(encoding)
            # C1 controls are in no text: bytes 0x80-0x9F that ISO-8859-2 reads as them are Windows-1250 letters
            if text not in readings.values() and not _C1.search(text):
                readings[encoding] = text
    if len(readings) == 1:
        return []
    language = _language(_prose_sample(plain))
    fits = {encoding: _alphabet_fit(text, language) for encoding, text in readings.items()}
    best = max(fits.values())
    tied = [encoding for encoding, fit in fits.items() if fit == best]
    central = [encoding for encoding in _CENTRAL_EUROPEAN if encoding in tied]
    if len(tied) > 1 and central and language in _CENTRAL_EUROPEAN_LANGUAGES:
        return central[:1]
    return [] if tied[0] == first else tied[:1]


def _prose_sample(text: str) -> str:
    """The lines of ``text`` that hold non-ASCII characters, markup taken out: its prose, for `_language`, rather
    than the scripts, styles and navigation that fill a page's first kilobytes."""
    lines = (line for line in text.splitlines() if _NON_ASCII.search(line))
    sample = _TAG.sub(" ", "\n".join(itertools.islice(lines, 200)))[:_LANGUAGE_SAMPLE_CHARS]
    return sample if sample.strip() else text


def _latin_script(text: str) -> bool:
    """Whether most of ``text``'s non-ASCII letters are not of another script (Cyrillic, Greek, Hebrew, Arabic, CJK,
    …): Latin letters, and those a Latin text misread holds ("ˆ", "µ")."""
    letters = [
        ch for ch in _NON_ASCII.findall(text[: _LANGUAGE_SAMPLE_CHARS * 10]) if ch.isalpha() and ch not in _NEUTRAL
    ]
    other = sum(
        unicodedata.category(ch) == "Lo" or unicodedata.name(ch, "").startswith(_OTHER_SCRIPTS) for ch in letters
    )
    return 2 * other < len(letters) or not letters


def _alphabet_fit(text: str, language: str) -> int:
    """How well ``text``'s non-ASCII characters fit the alphabet of ``language`` (`_ALPHABETS`; of any there, the
    best fit, for a language not there): a point for each in it, none for common punctuation (`_NEUTRAL`), a point
    off for any other ("ą" in Czech, "¶" anywhere)."""
    chars = Counter(map(str.lower, _NON_ASCII.findall(text)))
    others = sum(n for ch, n in chars.items() if ch not in _NEUTRAL)
    alphabet = _ALPHABETS.get(language)
    alphabets = [alphabet] if alphabet is not None else _ALPHABETS.values()
    return max(2 * sum(n for ch, n in chars.items() if ch in letters) - others for letters in alphabets)


def _language(text: str) -> str:
    """The language py3langid finds in the start of ``text`` (a code such as "pl")."""
    language: str = _language_identifier().classify(text[:_LANGUAGE_SAMPLE_CHARS])[0]
    return language


@lru_cache(maxsize=1)
def _language_identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier  # the model ships in the wheel; loaded on first use

    return LanguageIdentifier.from_model_file(MODEL_FILE)


def _authors(value: Any) -> list[str]:
    """A record's author names: a string, a list of strings or of objects with a ``name`` (JSON Feed, schema.org),
    or one such object. Anything else in it is no author (a number or a null was read as "5", "None")."""
    values = value if isinstance(value, list) else [value]
    names = (v if isinstance(v, str) else v.get("name") if isinstance(v, dict) else None for v in values)
    return [n for n in names if isinstance(n, str) and n.strip()][:50]


# A JSON number as a record's date is a Unix time: in seconds up to this, past it in milliseconds (1e11 s is the
# year 5138; 1e11 ms is March 1973).
_EPOCH_MS_FROM = 100_000_000_000


def _published(value: Any) -> str | None:
    """A record's date as text for the worker's date reader. A JSON number is a Unix time (seconds, or
    milliseconds as JavaScript's Date.now() gives), written out as ISO 8601: as "1700000000" it was read as no date
    at all. Out of range, it is kept as written (and read as no date)."""
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = value / 1000 if abs(value) >= _EPOCH_MS_FROM else value
        try:
            return datetime.fromtimestamp(seconds, UTC).isoformat()
        except (OverflowError, OSError, ValueError):
            return str(value)
    return str(value)


def record_to_raw(record: Any, did: str, source: RawSource) -> RawArticle:
    """A JSON record → RawArticle. Raises ValueError with a reason when the record is unusable."""
    if not isinstance(record, dict):
        raise ValueError("a record must be a JSON object")
    source_field = record.get("source")
    if isinstance(source_field, dict):
        source_name = source_field.get("name")
    else:
        source_name = source_field if isinstance(source_field, str) else record.get("source_name")
    try:  # validated here (model_copy(update=…) would not): refused now, not by the worker after a 202
        source = RawSource.model_validate({**source.model_dump(), "name": source_name or source.name})
    except ValidationError as e:
        raise ValueError(f"source.name: {e.errors()[0]['msg']}") from None
    if record.get("html") or record.get("content_html"):  # content_html, content_text: JSON Feed's
        content_type, content = "html", record.get("html") or record["content_html"]
    elif record.get("markdown"):
        content_type, content = "markdown", record["markdown"]
    else:
        content_type = "text"
        content = (record.get("text") or record.get("content") or record.get("body") or record.get("content_text")
                   or "")  # fmt: skip
    if not isinstance(content, str):
        raise ValueError("the text field must be a string")
    if content_type == "text" and "<" in content and _MARKUP.search(content):
        content_type = "html"
    elif content_type == "text" and "&" in content and _ENTITY.search(content):
        content = html.unescape(content)  # "&amp;", "&ndash;" escaped once too often by the exporter
    published = (record.get("published_at") or record.get("published") or record.get("date")
                 or record.get("date_published"))  # fmt: skip
    try:
        return RawArticle(
            delivery_id=did,
            source=source,
            content_type=content_type,
            content=content,
            url=record.get("url") or record.get("link"),
            title=record.get("title"),
            authors=_authors(record.get("authors") or record.get("author")),
            published_at=_published(published),
            summary=record.get("summary") or record.get("description"),
            guid=str(record["id"]) if record.get("id") is not None else None,
            received_at=utcnow(),
        )
    except ValidationError as e:
        first = e.errors()[0]
        raise ValueError(f"{'.'.join(map(str, first['loc']))}: {first['msg']}") from None


def json_error(error: ValueError | RecursionError, line_known: bool = False) -> str:
    """Why a JSON text was refused (by the inbox and the HTTP receiver alike): where, for a syntax error;
    besides those, ``json.loads`` raises RecursionError for deep nesting and ValueError for an integer past
    Python's 4,300-digit limit, both the sender's input."""
    if isinstance(error, json.JSONDecodeError):
        where = f"column {error.colno}" if line_known else f"line {error.lineno} column {error.colno}"
        return f"invalid JSON at {where}: {error.msg}"
    if isinstance(error, RecursionError):
        return "invalid JSON: nested too deeply"
    return f"invalid JSON: {str(error).split(';')[0]}"[:300]  # what follows the ';' is advice to programmers


# A surrogate's escape in a JSON text (``\\ud83d``; the halves of a valid pair match too), and a surrogate that is
# still there after json.loads joined the pairs: a lone one. Only a body with such an escape is searched for one.
SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def replace_lone_surrogates(record: Any) -> Any:
    """``record`` with each lone surrogate in its strings (keys too) replaced by U+FFFD, as a browser's
    TextEncoder and Go's encoding/json do. JSON lets ``"\\ud83d"`` through (a sender that cut an emoji in half);
    no UTF-8 can hold it, so the record would fail when queued (a 500 for an HTTP batch) or be refused as
    "unable to parse raw data as a unicode string" (an inbox file's). Iterative: a record nested near json.loads'
    depth limit must not raise RecursionError here."""
    if isinstance(record, str):
        return _LONE_SURROGATE.sub("\ufffd", record)
    stack: list[Any] = [record] if isinstance(record, dict | list) else []
    while stack:
        node = stack.pop()
        keys = list(node) if isinstance(node, dict) else range(len(node))
        for key in keys:
            value = node[key]
            if isinstance(value, str):
                node[key] = _LONE_SURROGATE.sub("\ufffd", value)
            elif isinstance(value, dict | list):
                stack.append(value)
            if isinstance(key, str) and _LONE_SURROGATE.search(key):
                node[_LONE_SURROGATE.sub("\ufffd", key)] = node.pop(key)
    return record


def _records(kind: str, text: str, limit: int) -> Iterator[tuple[int, Any, str | None]]:
    """(line or index, record, error) for each record of a JSON or JSON-lines text."""
    if kind == "json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            if not json_lines(text, e):
                yield 0, None, json_error(e)
                return
            data = None
        except (ValueError, RecursionError) as e:
            yield 0, None, json_error(e)
            return
        if data is None:
            yield from _records("jsonl", text, limit)
            return
        items = _unwrap(data)
        if isinstance(items, str):
            yield 0, None, items
            return
        if not items:
            yield 0, None, _NO_RECORDS
            return
        for index, item in enumerate(items[:limit]):
            yield index, item, None
        if len(items) > limit:
            yield limit, None, f"more than {limit} records; the rest were not read"
        return
    count = 0
    # Lines end at "\n" only: str.splitlines would also split at U+2028, U+0085 and others, which JSON allows
    # raw inside a string.
    for lineno, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        count += 1
        if count > limit:
            yield lineno, None, f"more than {limit} records; the rest were not read"
            return
        try:  # a BOM inside: files joined with `cat`, one of them saved with one
            value = json.loads(line[1:] if line.startswith("\ufeff") else line)
        except (ValueError, RecursionError) as e:
            yield lineno, None, json_error(e, line_known=True)
            continue
        if not _json_feed(value):
            yield lineno, value, None
            continue
        if not value["items"]:
            yield lineno, None, _NO_RECORDS
        count -= 1  # a line holding a whole feed: not a record, its items are
        for item in value["items"]:
            count += 1
            if count > limit:
                yield lineno, None, f"more than {limit} records; the rest were not read"
                return
            yield lineno, item, None


def _unwrap(data: Any) -> list[Any] | str:
    """The records of a ``.json`` file's value: an array's items; a JSON Feed's items (it has a title, yet is no
    record); an object with an article field, one record; else the first list of records in the object's
    envelopes, breadth first: `{"status": "ok", "articles": […]}` (NewsAPI), `items`, `entries`, `data` of CMS and
    scraper exports, `{"response": {"results": […]}}` (the Guardian), `{"data": {"search": {"hits": {"items":
    […]}}}}` (search APIs), `{"feed": {"channel": {"items": […]}}}` (feed-to-JSON tools). A list of records holds an
    object with an article field; failing one, the object's one list of objects (or one empty list), as before.
    Else the reason there are none (a str)."""
    if isinstance(data, list):
        return data
    if _json_feed(data):
        items: list[Any] = data["items"]
        return items
    if not isinstance(data, dict) or _RECORD_FIELDS & data.keys():
        return [data]
    found = _find_record_list(data)
    if found is not None:
        return found
    lists = _record_lists(data)
    if len(lists) == 1:
        return lists[0]
    return (f"{_NO_RECORD_LIST}: an object without article fields ({', '.join(sorted(_RECORD_FIELDS))}) and no "
            f"list of records within {_ENVELOPE_DEPTH} levels of it")  # fmt: skip


def _json_feed(value: Any) -> bool:
    """Whether ``value`` is a JSON Feed (jsonfeed.org, versions 1 and 1.1): an object whose ``items`` are its
    articles, with ``content_html``/``content_text`` and ``date_published`` (read by `record_to_raw`)."""
    return (isinstance(value, dict) and isinstance(value.get("items"), list)
            and str(value.get("version", "")).startswith("https://jsonfeed.org/version/"))  # fmt: skip


def _find_record_list(data: dict[str, Any]) -> list[Any] | None:
    """The first list holding a record (an object with an article field) among the values of ``data`` and of the
    objects within it, shallowest first; at most `_ENVELOPE_DEPTH` levels down and `_ENVELOPE_OBJECTS` objects
    looked into, so that a file of untrusted envelopes costs no more than its parsing did."""
    level, looked = [data], 0
    for _ in range(_ENVELOPE_DEPTH):
        inner: list[dict[str, Any]] = []
        for envelope in level:
            looked += 1
            if looked > _ENVELOPE_OBJECTS:
                return None
            for value in envelope.values():
                if isinstance(value, list) and any(isinstance(i, dict) and _RECORD_FIELDS & i.keys() for i in value):
                    return value
                if isinstance(value, dict):
                    inner.append(value)
        level = inner
    return None


def _record_lists(data: dict[str, Any]) -> list[list[Any]]:
    """The values of an object that are lists of objects (or empty lists): where an export keeps its records."""
    return [v for v in data.values() if isinstance(v, list) and (not v or any(isinstance(i, dict) for i in v))]


def json_lines(text: str, error: json.JSONDecodeError) -> bool:
    """Whether a ``.json`` text that is not one JSON value is JSON lines (mongoexport, ``jq -c`` and BigQuery write
    those under ``.json``): its first value ends on its first line and more follows. Read whole, all its
    records were refused as one invalid file ("Extra data" at line 2)."""
    head = text[: error.pos].lstrip()  # the first value and the white space after it
    return error.msg == "Extra data" and "\n" not in head.rstrip() and "\n" in head


def shown(path: Path | str) -> str:
    """A path as text that can be stored and sent: a name that is not UTF-8 (kept by Python as surrogate
    escapes, which Redis clients and pydantic refuse) gets U+FFFD for its undecodable bytes."""
    return os.fsencode(path).decode("utf-8", "replace")


def read_file(path: Path, source_name: str | None, max_bytes: int, max_records: int,
              root: Path | None = None) -> FileResult:  # fmt: skip
    """Read one inbox file into articles and refusals. Never raises: bad content is refused with its reason,
    and so is a file that trips a bug of ours (logged with its traceback), so one file cannot stop a run.

    ``root`` is the inbox folder: no folder between it and the file may be a symbolic link (one swapped in
    after the scan would lead outside). Without it, only the file itself is checked."""
    try:
        return _read_file(path, source_name, max_bytes, max_records, root)
    except Exception as e:
        log.exception("inbox_read_failed", path=shown(path))
        detail = f"{shown(path.name)}: {type(e).__name__}: {e}"[:500]
        return FileResult(refusals=[Terminal(delivery_id(), "rejected:unreadable", detail,
                                             source_name or shown(path.parent.name))])  # fmt: skip


def _open_dir_beneath(root: Path, parts: Sequence[str], create: bool = False) -> int:
    """A descriptor of the folder ``root/parts…``, reached without following a symbolic link below ``root``
    (``root`` itself may be one: a configured inbox on another disk). With ``create``, missing folders are made.
    Raises UnsafeInboxPath for a link (or a non-folder) on the way."""
    fd = os.open(root, os.O_RDONLY | _O_CLOEXEC | getattr(os, "O_DIRECTORY", 0))
    try:
        for part in parts:
            try:
                if create:
                    with contextlib.suppress(FileExistsError):
                        os.mkdir(part, dir_fd=fd)
                inner = os.open(part, _DIR_FLAGS, dir_fd=fd)
            except OSError as e:
                if e.errno in _LINK_ERRNOS:
                    raise UnsafeInboxPath("symlink", f"the folder {shown(part)!r} on its way is a symbolic link "
                                          "(or not a folder): never followed") from None  # fmt: skip
                raise
            os.close(fd)
            fd = inner
    except BaseException:
        os.close(fd)
        raise
    return fd


def _open_file(path: Path, root: Path | None) -> int:
    """A read descriptor of ``path`` that is neither a symbolic link nor reached through one below ``root``,
    opened without blocking (a FIFO's open would wait for a writer). Raises UnsafeInboxPath or OSError."""
    if not _AT_CALLS:
        return os.open(path, _FILE_FLAGS)
    parts: tuple[str, ...] = (path.name,)
    if root is None or not path.is_relative_to(root) or path == root:
        root = path.parent
    else:
        parts = path.relative_to(root).parts
    folder = _open_dir_beneath(root, parts[:-1])
    try:
        return os.open(parts[-1], _FILE_FLAGS, dir_fd=folder)
    except OSError as e:
        if e.errno in _LINK_ERRNOS:
            raise UnsafeInboxPath("symlink", SYMLINK_DETAIL) from None
        raise
    finally:
        os.close(folder)


def _read_file(path: Path, source_name: str | None, max_bytes: int, max_records: int,
               root: Path | None = None) -> FileResult:  # fmt: skip
    result = FileResult()
    label = source_name or shown(path.parent.name)
    name = shown(path.name)
    source = RawSource(kind="inbox", name=source_name, path=shown(path))

    def refuse(reason: str, detail: str) -> FileResult:
        did = delivery_id()
        result.refusals.append(Terminal(did, f"rejected:{reason}", f"{name}: {detail}", label))
        return result

    kind = KINDS.get(path.suffix.lower())
    try:
        listed = path.lstat()  # the link itself, not what it points at
    except OSError as e:
        return refuse("unreadable", str(e))
    if S_ISLNK(listed.st_mode):
        return refuse("symlink", SYMLINK_DETAIL)
    if not S_ISREG(listed.st_mode):
        return refuse("not_regular", NOT_REGULAR_DETAIL)
    if kind is None:
        return refuse("unsupported_type", f"unsupported file type {path.suffix or '(none)'!r}")
    if listed.st_size > max_bytes:
        return refuse("too_large", f"{listed.st_size} bytes is over the limit of {max_bytes}")
    try:
        fd = _open_file(path, root)
    except UnsafeInboxPath as e:  # swapped for a link since the lstat, or a folder on the way is one
        return refuse(e.reason, e.detail)
    except OSError as e:
        return refuse("unreadable", str(e))
    try:
        with os.fdopen(fd, "rb") as file:
            opened = os.fstat(file.fileno())
            if not S_ISREG(opened.st_mode):  # swapped for a FIFO or device since the lstat
                return refuse("not_regular", NOT_REGULAR_DETAIL)
            data = file.read(max_bytes + 1)  # bounded: the file may have grown since its size was taken
    except OSError as e:
        return refuse("unreadable", str(e))
    if len(data) > max_bytes:
        return refuse("too_large", f"over the limit of {max_bytes} bytes")
    result.digest = content_digest(data)
    if not data.strip():
        return refuse("empty", "the file is empty")
    wide = _wide_encoding(data)
    if wide is None and data.endswith(b"\x00" * _ZERO_PADDING):
        padding = len(data) - len(data.rstrip(b"\x00"))
        return refuse("binary", f"the file ends in {padding} zero bytes: cut short, or still being written")
    if wide is None and b"\x00" in data[:_BINARY_SNIFF_BYTES]:
        return refuse("binary", "the file is binary, not text")
    if wide is not None:
        try:
            text = data.decode(wide)
        except UnicodeDecodeError as e:
            return refuse("invalid_encoding", f"not valid {wide.upper()} at byte {e.start}")
    elif kind == "html":
        text, guessed_html = _decode_html(data)
        if guessed_html is not None:
            log.info("inbox_encoding_detected", path=shown(path), encoding=guessed_html,
                     reason="not valid UTF-8, and no charset declared")  # fmt: skip
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            not_utf8 = f"not valid UTF-8 at byte {e.start}"
            if _damaged_utf8(data):
                return refuse("invalid_utf8", not_utf8)
            guessed = _guess_encoding(data)
            if guessed is None:
                if _CONTROL_BYTES.search(data[:_BINARY_SNIFF_BYTES]):
                    return refuse("binary", "the file is binary, not text")
                return refuse("invalid_utf8", f"{not_utf8}, and no other encoding reads it as text")
            encoding, text = guessed
            log.info("inbox_encoding_detected", path=shown(path), encoding=encoding, reason=not_utf8)
    # Classic Mac OS and some CMS exports end lines with CR alone: the parsers split at "\n", so such a file was
    # one line, and its title and metadata were lost in the body. In JSON a raw CR can only be white space.
    text = _LINE_ENDS.sub("\n", text)
    if not text.strip():  # a byte order mark and white space: its bytes were not blank, its text is
        return refuse("empty", "the file is empty")

    if kind in ("json", "jsonl"):
        escaped = SURROGATE_ESCAPE.search(text) is not None
        for index, record, error in _records(kind, text, max_records):
            if escaped:
                record = replace_lone_surrogates(record)
            did = delivery_id()
            if error == _NO_RECORDS:
                result.refusals.append(Terminal(did, "rejected:empty", f"{name}: {error}", label))
                continue
            if error and error.startswith(_NO_RECORD_LIST):
                result.refusals.append(Terminal(did, "rejected:invalid_record", f"{name}: {error}", label))
                continue
            if error:
                result.refusals.append(Terminal(did, "rejected:invalid_json", f"{name}:{index}: {error}", label))
                continue
            try:
                result.articles.append(
                    record_to_raw(record, did, source.model_copy(update={"path": f"{source.path}:{index}"}))
                )
            except ValueError as e:
                result.refusals.append(Terminal(did, "rejected:invalid_record", f"{name}:{index}: {e}", label))
        return result

    result.articles.append(
        RawArticle(
            delivery_id=delivery_id(),
            source=source,
            content_type="html" if kind == "html" else "markdown" if kind == "markdown" else "text",
            content=text,
            received_at=utcnow(),
        )
    )
    return result


@dataclass(frozen=True)
class FileStamp:
    """What the watcher keeps of a file it found: enough to tell, without reading it, that it is unchanged.

    Size and mtime say a file changed, but not always: a file replaced with one of the same size whose mtime was
    set back (``os.replace`` from a temporary file, then ``os.utime``: sync tools and ``cp -p`` do it) was never
    read again. The inode and ctime change then (no one can set a ctime), and so they do on a chmod, a hard link
    or a remount that renumbers inodes, which change nothing in the file: so a file whose size and mtime held
    but whose inode or ctime did not is compared by the digest of the bytes read (`InboxWatcher._unchanged`),
    once, never on every scan."""

    size: int
    mtime_ns: int
    ino: int = -1  # -1: not known (remembered before stamps held it)
    ctime_ns: int = -1
    # Of the bytes read (`content_digest`). "": not read whole (yet, or refused before reading: too large, a link).
    # None: remembered before digests were kept, so trusted on size and mtime, as it was then.
    digest: str | None = ""

    @classmethod
    def of(cls, stat: os.stat_result, digest: str | None = "") -> FileStamp:
        return cls(stat.st_size, stat.st_mtime_ns, stat.st_ino, stat.st_ctime_ns, digest)

    def same_stat(self, stat: os.stat_result) -> bool:
        return (self.size, self.mtime_ns, self.ino, self.ctime_ns) == (stat.st_size, stat.st_mtime_ns, stat.st_ino,
                                                                       stat.st_ctime_ns)  # fmt: skip

    def stored(self) -> str:
        """As InboxMemory keeps it: "size mtime_ns ino ctime_ns digest" ("-" for no digest, "?" for not known)."""
        digest = "?" if self.digest is None else self.digest or "-"
        return f"{self.size} {self.mtime_ns} {self.ino} {self.ctime_ns} {digest}"

    @classmethod
    def parse(cls, value: str) -> FileStamp | None:
        """A stored stamp; "size mtime_ns", as versions before 2026-11-30 kept it, has no digest to compare."""
        fields = value.split(" ")
        if len(fields) == 2 and all(f.isdigit() for f in fields):
            return cls(int(fields[0]), int(fields[1]), digest=None)
        if len(fields) != 5 or not all(f.lstrip("-").isdigit() for f in fields[:4]):
            return None
        digest = None if fields[4] == "?" else "" if fields[4] == "-" else fields[4]
        return cls(int(fields[0]), int(fields[1]), int(fields[2]), int(fields[3]), digest)


def path_memory_key(folder: Path) -> str:
    """Where the memory of ``folder`` was kept before folders had markers, and is where none can be: by a digest
    of its path (absolute paths -> `FileStamp.stored`)."""
    return c.inbox_memory_key(hashlib.sha256(str(folder.absolute()).encode()).hexdigest()[:32])


class _BadMarker(Exception):
    """Raised when an inbox folder's marker is there but names no folder: a link, not a regular file, or no id."""


def _folder_id(folder: Path) -> tuple[str, bool]:
    """The id in ``folder``'s marker, and whether it was made now (there was none). Two runners making it at once
    end with one id: the marker is made exclusively, and one found empty (made, not written yet) is waited for.
    Raises _BadMarker for a marker that names nothing, OSError when none can be read or made (a read-only
    folder)."""
    deadline = time.monotonic() + _MARKER_WAIT_S
    while True:
        found = _read_marker(folder)
        if found:
            return found, False
        if found is None and (made := _make_marker(folder)) is not None:
            return made, True
        if time.monotonic() > deadline:
            raise _BadMarker("empty: its writer stopped before writing an id")
        time.sleep(_MARKER_POLL_S)


def _read_marker(folder: Path) -> str | None:
    """The id in ``folder``'s marker; None when there is none, "" while it is empty. The marker is never followed
    through a link nor opened blocking (whoever can drop files can put a link or a FIFO there), and no more than
    _MARKER_MAX_BYTES + 1 of it is read."""
    path = folder / MARKER
    try:
        listed = path.lstat()
        if S_ISLNK(listed.st_mode):
            raise _BadMarker("a symbolic link: never followed")
        if not S_ISREG(listed.st_mode):
            raise _BadMarker("not a regular file")
        with os.fdopen(_open_file(path, None), "rb") as file:
            if not S_ISREG(os.fstat(file.fileno()).st_mode):
                raise _BadMarker("not a regular file")
            data = file.read(_MARKER_MAX_BYTES + 1)
    except FileNotFoundError:
        return None
    except UnsafeInboxPath:
        raise _BadMarker("a symbolic link: never followed") from None
    if not data:
        return ""
    found = data.strip().decode("ascii", "replace")
    if len(data) > _MARKER_MAX_BYTES or not _MARKER_ID.fullmatch(found):
        raise _BadMarker("not an id (one is 32 hex digits and a line end)")
    return found


def _make_marker(folder: Path) -> str | None:
    """A new id, in a marker made in ``folder`` now; None when there is one already (another runner's). Written
    in one write and flushed to disk before it is used; a marker made and not written (the disk full) is removed,
    so that the next start makes it again rather than find it empty."""
    made = uuid.uuid4().hex
    line = f"{made}\n".encode("ascii")
    try:
        fd = os.open(folder / MARKER, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_NOFOLLOW | _O_CLOEXEC, 0o644)
    except FileExistsError:
        return None
    try:
        try:
            if os.write(fd, line) != len(line):
                raise OSError(errno.ENOSPC, "the marker was written short")
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(folder / MARKER)
        raise
    return made


class InboxMemory:
    """The files an inbox watcher has read, kept in Redis beside the ledger, so that a restarted ``run`` does not
    read kept files again. In memory only, a restart read every kept file again: duplicates while their claims
    lasted, and past the dedup window their articles emitted a second time. Like the ledger, it goes with Redis's
    state, when reading every file again is what recovery wants (``Runner.recover_lost_state``).

    The memory follows the folder, not its path: it is kept by the id in the folder's marker (`MARKER`, made at
    first use; ``ww:{ww}:inbox:id:<id>``: path in the folder -> `FileStamp.stored`), so the same folder at
    another path or on another machine (a Docker volume on a re-created container, an NFS share) keeps it, and
    two folders at one path (each machine's local /data/inbox, on one Redis) keep their own: by path, each
    machine's start forgot the files of the others, which then read them again. Where no marker can be made (a
    read-only folder) or the one there names nothing, the memory is kept by the folder's path, as before
    (`path_memory_key`), said once with why. A marker made now takes over what that path key holds, so an upgrade
    reads no kept file again."""

    def __init__(self, client: redis.Redis, folder: Path) -> None:
        self.client = client
        self.folder = folder
        self._key: str | None = None
        self._by_path = False  # kept by the folder's path: absolute paths, as before folders had markers
        self._take_over = False  # the marker was made now, and the memory by path is still to be taken over
        self._id: str | None = None  # the id in the folder's marker, once read (None: kept by path)

    @property
    def key(self) -> str:
        """Where the folder's memory is kept, found at first need (the marker is read, or made, then)."""
        if self._key is None:
            self._key = self._find_key()
        return self._key

    def _find_key(self) -> str:
        try:
            found, made = _folder_id(self.folder)
        except _BadMarker as e:
            log.error("inbox_memory_by_path", path=shown(self.folder), reason=f"its marker {MARKER} is {e}",
                      hint=f"delete {MARKER}: the next start makes one, which takes this memory over")  # fmt: skip
        except OSError as e:
            log.warning("inbox_memory_by_path", path=shown(self.folder),
                        reason=f"no marker {MARKER} can be read or made in it: {e.strerror or e}",
                        hint="another machine's inbox at this path shares this memory; make the folder writable "
                        "once, and its marker is read from it from then on, read-only or not")  # fmt: skip
        else:
            self._take_over = made
            self._id = found
            return c.inbox_folder_key(found)
        self._by_path = True
        return path_memory_key(self.folder)

    def load(self) -> dict[Path, FileStamp] | None:
        """What was read, by path; None while the folder is not there (its marker says which memory is its)."""
        if self._key is None and not self.folder.is_dir():
            return None
        key = self.key
        if self._take_over:
            self._take_over_path_memory()
            self._take_over = False
        stored: dict[str, str] = self.client.hgetall(key)  # type: ignore[assignment]
        return {path: stamp for name, value in stored.items()
                if (path := self._path(name)) is not None and (stamp := FileStamp.parse(value))}  # fmt: skip

    def remember(self, read: dict[Path, FileStamp]) -> None:
        if read:
            self.client.hset(self.key, mapping={self._name(p): stamp.stored() for p, stamp in read.items()})

    def forget(self, paths: Sequence[Path]) -> None:
        if paths:
            self.client.hdel(self.key, *map(self._name, paths))

    def vouched(self) -> bool:
        """Whether the folder still holds the marker this memory is kept by, so that files missing from it are
        gone from the folder, not the folder from its path (an unmounted share leaves an empty mount point; a
        folder swapped in holds another marker or none). A memory kept by path has nothing to check."""
        if self._id is None:
            return True
        try:
            return _read_marker(self.folder) == self._id
        except (_BadMarker, OSError):
            return False

    def _name(self, path: Path) -> str:
        return str(path) if self._by_path else path.relative_to(self.folder).as_posix()

    def _path(self, name: str) -> Path | None:
        if self._by_path:
            return Path(name)
        relative = Path(name)
        return None if relative.is_absolute() or ".." in relative.parts else self.folder / relative

    def _take_over_path_memory(self) -> None:
        """Copy what the folder's path key holds (an older version's memory) where this memory knows nothing yet.
        The path key stays, for other machines with an inbox at this path that are still to upgrade; entries of
        their files that come with it are forgotten at the first scan, as files that left the folder."""
        stored: dict[str, str] = self.client.hgetall(path_memory_key(self.folder))  # type: ignore[assignment]
        taken = {}
        for name, value in stored.items():
            with contextlib.suppress(ValueError):  # not under this folder: not its file
                taken[Path(name).relative_to(self.folder).as_posix()] = value
        entries = list(taken.items())
        for start in range(0, len(entries), _TAKE_OVER_BATCH):
            pipe = self.client.pipeline(transaction=False)
            for name, value in entries[start : start + _TAKE_OVER_BATCH]:
                pipe.hsetnx(self.key, name, value)
            pipe.execute()
        if taken:
            log.info("inbox_memory_taken_over", path=shown(self.folder), files=len(taken))


@dataclass
class InboxWatcher:
    """Finds new or changed files in a folder, once each, after they have stopped growing."""

    folder: Path
    move_done: bool = False  # the folder's `after: move`: the runner moves settled files into DONE_DIR
    seen: dict[Path, FileStamp] = field(default_factory=dict)
    growing: dict[Path, tuple[int, int]] = field(default_factory=dict)  # size and mtime at the last scan
    events: InboxEvents | None = None  # file events for this folder, when it can be watched
    missing: bool = False  # the folder was not there at the last poll (said once, not every second)
    memory: InboxMemory | None = None  # what was read, kept across restarts (``remember_read``)
    recalled: bool = False  # the memory was taken (``recall``)
    unvouched: bool = False  # files went missing while the folder lacked its marker (said once, not every poll)

    def recall(self) -> None:
        """Take what the folder's memory in Redis says was read before: those files are not read again. Once,
        when the folder is there: its marker says which memory is its (a folder missing at the start, as a share
        mounted late, is recalled when it appears)."""
        if self.memory is None or self.recalled:
            return
        stored = self.memory.load()
        if stored is not None:
            self.seen.update(stored)
            self.recalled = True

    def remember_read(self, paths: Sequence[Path]) -> None:
        """Keep in Redis that ``paths`` were read (their articles are in the ledger now), as they were then."""
        if self.memory is not None:
            self.memory.remember({p: self.seen[p] for p in paths if p in self.seen})

    def completed(self, now_ns: int | None = None) -> list[Path]:
        """Files that file events report complete (closed by their writer, or renamed in), to read now instead
        of after two scans: those not modified for ``QUIET_S``; the others are looked at again next time."""
        if self.events is None:
            return []
        self.recall()
        now_ns = time.time_ns() if now_ns is None else now_ns
        ready, recent = [], []
        for path in self.events.take():
            try:
                stat = path.lstat()  # a link is reported as itself, and refused when read
            except OSError:
                continue  # gone again (renamed on, deleted): the scan has the last word
            if S_ISDIR(stat.st_mode):
                continue
            if self._unchanged(path, stat):
                continue  # read already (a rename within the folder, a close without a change)
            if self._being_written(path):
                continue  # reopened and written to since its close: its next close reports it again
            if now_ns - stat.st_mtime_ns < QUIET_S * 1e9:
                recent.append(path)
                continue
            self.growing.pop(path, None)
            self.seen[path] = FileStamp.of(stat)
            ready.append(path)
        self.events.put_back(recent)
        return ready

    @property
    def reported(self) -> int:
        """Files reported by events and not read yet (some may wait for their quiet time)."""
        return 0 if self.events is None else self.events.pending

    def poll(self, settle: bool = True) -> list[Path]:
        """Files to read now. With ``settle``, a file is returned only once its size and mtime held still
        across two polls, so a file being copied in is not read half-written."""
        ready = []
        self._check_folder()
        self.recall()
        present = scan(self.folder)
        self._forget_gone(present)
        for path in present:
            try:
                stat = path.lstat()
            except OSError:
                continue
            if self._unchanged(path, stat):
                continue
            signature = (stat.st_size, stat.st_mtime_ns)
            if self._being_written(path):
                self.growing.pop(path, None)  # its writer paused: two still scans prove nothing; its close will
                continue
            if settle and self.growing.get(path) != signature:
                self.growing[path] = signature
                continue
            self.growing.pop(path, None)
            self.seen[path] = FileStamp.of(stat)
            ready.append(path)
        return ready

    def read(self, path: Path, source_name: str | None, max_bytes: int, max_records: int) -> FileResult:
        """`read_file` of a path this watcher found: no folder between ``folder`` and the file may be a link.
        The digest of what was read joins the file's stamp (remembered with it by `remember_read`)."""
        result = read_file(path, source_name, max_bytes, max_records, root=self.folder)
        if path in self.seen:
            self.seen[path] = replace(self.seen[path], digest=result.digest)
        return result

    def _unchanged(self, path: Path, stat: os.stat_result) -> bool:
        """Whether ``path`` (now ``stat``) is the file this watcher read. Its size, mtime, inode and ctime as
        then: unchanged, without a read. Size and mtime as then but not inode or ctime (replaced with its mtime set
        back; or only chmod-ed, hard-linked, remounted): the digest of its bytes decides, and an unchanged file's
        new stamp is kept (and remembered), so it is not hashed again."""
        stamp = self.seen.get(path)
        if stamp is None or (stamp.size, stamp.mtime_ns) != (stat.st_size, stat.st_mtime_ns):
            return False
        if stamp.same_stat(stat):
            return True
        if stamp.digest == "":
            return False  # never read whole: read it (again), which costs what hashing it would
        if stamp.digest is not None and _file_digest(path, self.folder, stamp.size) != stamp.digest:
            return False
        self.seen[path] = FileStamp.of(stat, stamp.digest)
        if self.memory is not None:
            self.memory.remember({path: self.seen[path]})
        return True

    def _being_written(self, path: Path) -> bool:
        """Whether file events saw ``path`` written to and not closed since (never, without events)."""
        return self.events is not None and self.events.being_written(path)

    def _check_folder(self) -> None:
        """Warn once when the folder is not there (a typo in the config reads nothing, silently otherwise), and
        say when it appears; it is watched for either way."""
        there = self.folder.is_dir()
        if not there and not self.missing:
            log.warning("inbox_folder_missing", path=str(self.folder),
                        reason="not a folder: nothing is read from it until it exists")  # fmt: skip
        elif there and self.missing:
            log.info("inbox_folder_found", path=str(self.folder))
        self.missing = not there

    def _forget_gone(self, present: list[Path]) -> None:
        """Drop what we remember of files no longer in the folder (deleted, or moved by someone else), so that
        with ``after: keep`` memory follows what is in the folder, not every file it ever held. A file that comes
        back under the same name is new again (its articles are deduplicated by content downstream)."""
        here = set(present)
        for path in [p for p in self.growing if p not in here]:
            del self.growing[path]
        gone = [p for p in self.seen if p not in here]
        if not gone:
            return
        if self.memory is not None and not self.memory.vouched():
            # Forgotten, they were all read again when the share came back (past the dedup window, emitted twice).
            if not self.unvouched:
                log.warning("inbox_folder_unvouched", path=str(self.folder), files=len(gone),
                            reason=f"its marker {MARKER} is not there or names another folder (a share unmounted, "
                            "the folder replaced): what was read from it is kept, not forgotten",
                            hint=f"mount the folder again; to start it over, stop, delete {MARKER}, start")  # fmt: skip
                self.unvouched = True
            return
        self.unvouched = False
        for path in gone:
            del self.seen[path]
        if self.memory is not None:
            self.memory.forget(gone)

    def done(self, path: Path) -> Path | None:
        """Move a file that was read (and whose articles are settled) into ``.done/`` under the folder, at the
        same relative path, and forget it. A file changed since it was read stays, to be read again; a name
        already taken in ``.done/`` gets a numbered suffix. Returns where it went (None if it stayed).

        Neither ``.done`` nor any folder on either side may be a symbolic link: whoever can write to the inbox
        could otherwise make ``.done`` point anywhere the service may write and have their files moved there
        (raises UnsafeInboxPath, an OSError; the file stays)."""
        try:
            stat = path.lstat()
        except OSError:
            self.seen.pop(path, None)  # gone already (moved or deleted by someone else)
            return None
        if not self._unchanged(path, stat):
            return None
        if self._being_written(path):
            return None  # written to since, and still open: it will be read again once closed
        relative = path.relative_to(self.folder)
        if not _AT_CALLS:
            return self._move_by_path(path, relative)
        source = _open_dir_beneath(self.folder, relative.parts[:-1])
        try:
            target_dir = _open_dir_beneath(self.folder, (DONE_DIR, *relative.parts[:-1]), create=True)
            try:
                name, n = relative.name, 1
                while _exists_at(name, target_dir):
                    name = f"{relative.stem}.{n}{relative.suffix}"
                    n += 1
                os.rename(relative.name, name, src_dir_fd=source, dst_dir_fd=target_dir)
            finally:
                os.close(target_dir)
        finally:
            os.close(source)
        self.seen.pop(path, None)
        return self.folder / DONE_DIR / relative.parent / name

    def _move_by_path(self, path: Path, relative: Path) -> Path:
        """`done` where the platform cannot open relative to a folder (Windows): by path, links refused first."""
        target = self.folder / DONE_DIR / relative
        folders = [self.folder / DONE_DIR]
        for part in relative.parts[:-1]:
            folders.append(folders[-1] / part)
        for folder in folders:
            if folder.is_symlink():
                raise UnsafeInboxPath("symlink", f"{shown(folder)} is a symbolic link: never followed")
        target.parent.mkdir(parents=True, exist_ok=True)
        stem, n = target.stem, 1
        while target.exists():
            target = target.with_name(f"{stem}.{n}{target.suffix}")
            n += 1
        path.replace(target)
        self.seen.pop(path, None)
        return target


def _file_digest(path: Path, root: Path, size: int) -> str | None:
    """`content_digest` of the regular file ``path`` of ``size`` bytes (what was read of it: past that it
    differs anyway), opened as `read_file` opens it; None when it cannot be (gone, a link or a FIFO now:
    reading it says why)."""
    try:
        with os.fdopen(_open_file(path, root), "rb") as file:
            if not S_ISREG(os.fstat(file.fileno()).st_mode):
                return None
            return content_digest(file.read(size + 1))
    except OSError:  # UnsafeInboxPath too
        return None


def _exists_at(name: str, folder: int) -> bool:
    try:
        os.stat(name, dir_fd=folder, follow_symlinks=False)
    except FileNotFoundError:
        return False
    return True
