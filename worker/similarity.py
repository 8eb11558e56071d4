"""Near-duplicate similarity: normalised word shingles, MinHash signatures, LSH bands and the verdict.

Pure functions, no Redis. A :class:`Signature` is what the near-duplicate index stores and compares; it
carries the name of the scheme that made it (shingle size, number of hash functions, band layout, seed), and
two signatures of different schemes refuse to compare, so changing a parameter can never silently mix old and
new signatures (the index also keys its data by scheme, see ``worker/neardup.py``).

Why MinHash over word 4-shingles with 128 functions kept as one byte each (b-bit MinHash), 8 one-row LSH
bands, Jaccard/containment verification, a short-text rule, a numbers rule and the head's numbers and names rules:
measured on the evaluation set of ``bench/neardup_eval.py`` and written down with the numbers in ``docs/stories.md``.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib
from dataclasses import dataclass, field
from typing import AnyStr

import numpy as np

from worker import lexicon

# Scheme parameters. Changing any of them changes SCHEME, which changes the index keys.
SHINGLE_WORDS = 4
NUM_PERM = 128
BANDS = 8
ROWS = 1
SEED = 20261129
STORED_BITS = 8  # bits of each min-hash kept for verification (b-bit MinHash), one byte
NUMBERS_KEPT = 32  # bottom-k sketch of the text's number tokens (16-bit hashes)
MAX_CHARS = 8000  # only a text's head is signed (~1,300 words): it carries the story; the cost stays bounded
# The lead: the first HEAD_WORDS words after the headline. A brief (a story's first paragraphs run on their own)
# keeps its story's lead word for word, but shares too small a part of the story's shingles for the bands to
# bring the two together; an extra key over the lead does. Additive: signatures and bands are unchanged, so the
# scheme name is too (an index written without lead keys simply finds no brief through them).
HEAD_WORDS = 32
HEAD_BAND = 0xFF  # the lead key's first byte, where band keys carry their band number (0..BANDS-1)
# The head's numbers: those of the body's first line (at most HEAD_NUMBER_CHARS of it). Templated reports (a score, a
# magnitude, a percentage) differ there and nearly nowhere else; copies keep them. The headline is left out, as for
# the lead key: outlets rewrite it ("Outlet 1: …", "3 things to know"). Additive like the lead key: the index stores
# them after the signature, and a record without them has a head without numbers.
HEAD_NUMBER_CHARS = 200  # ~ a lead sentence; past it a long first paragraph stops counting as the head
HEAD_NUMBERS_KEPT = 8  # distinct numbers of the head kept, in order of appearance
HEAD_NUMBER_LEN = 24  # longer digit runs (phone numbers, ids) are no figure of a report: left out
LONG_NUMBER = 4  # a figure this long that one slip (a digit dropped, doubled, swapped) turns into another is a typo
# The head's names: its capitalised words, and its template: the head with each name and figure masked. Templated
# reports with the same figures (two court reports of a 45-year-old from Leeds, two matches ending 2-1) differ in
# their names only; copies keep them. Compared only where both heads have the same template, so a copy that opens
# with another line (a boilerplate line, its own byline) is never held to it. Additive like the head numbers: the
# index stores them after those, and a record without them has a head without a template.
HEAD_NAME_WORDS = 6  # words other than names and figures a head needs: a report's sentence, not a byline or a label
HEAD_NAMES_KEPT = 8  # names of the head compared, in order of appearance
HEAD_NAME_LEN = 32  # bytes of a name kept (folded, UTF-8)
# A copy that says it was corrected or updated ("Correction: …", "This article was amended …", "(Corrects …)") may carry
# another figure or another name in its head than its story: only both at once hold it apart (same_story). Read over
# the text's first REVISED_HEAD and last REVISED_TAIL characters (where notes go). Additive like the head
# numbers: one byte after the head's names in the index record (``neardup.REVISED_MARK``), absent in records written
# before it.
REVISED_HEAD = 500
REVISED_TAIL = 1000
# Site furniture opening a body: a timestamp, a byline with a time, a reading time, a dated photo credit ("Published
# 30 November 2026, 10:32 GMT", "By John Roe, 2 hours ago"). Two outlets' copies each under their own such line read
# those lines' figures as their heads, and the head numbers rule split them. Such lines are passed over (head_span).
FURNITURE_LINES = 3  # at most this many lines passed over
FURNITURE_CHARS = 120  # a longer line is the story's
FURNITURE_WORDS = 10
SCHEME = f"mh1-w{SHINGLE_WORDS}-n{NUM_PERM}x{STORED_BITS}-b{BANDS}x{ROWS}-d{NUMBERS_KEPT}-c{MAX_CHARS}-s{SEED}"

# Verdict defaults (see docs/stories.md for the measurements behind them).
JACCARD_MIN = 0.50  # estimated Jaccard at or above which two texts are one story
CONTAINMENT_MIN = 0.60  # estimated containment of the smaller text in the larger one
SHORT_SHINGLES = 40  # below this many distinct shingles a text is "short": no containment rule
SHORT_JACCARD_MIN = 0.60  # what a short text needs instead
NUMBERS_MIN = 0.50  # containment of the smaller text's numbers in the other's (templated look-alikes)
NUMBERS_FLOOR = 3  # the numbers rule applies when both texts have at least this many distinct numbers
HEAD_CONTAINMENT_MIN = 0.50  # what two texts with the same lead need (a brief inside its story; see docs/stories.md)


def _marks() -> tuple[str, str, str]:
    """Regex class bodies of the combining marks: (nonspacing and enclosing, spacing), and of the capitals (Lu, Lt).

    Only the Basic Multilingual Plane (~15 ms at import): there ``re`` tests a class with a bitmap, where a class
    reaching past U+FFFF is a list of ranges searched at every character (40 times slower on an article); the
    marks past it (Brahmi, musical notation, variation selectors of rare ideographs) stay out. The sets follow
    Python's Unicode version, which a fleet shares with its Python.
    """
    nonspacing, spacing, capitals = [], [], []
    for cp in range(0x41, 0x10000):
        category = unicodedata.category(chr(cp))
        if category in ("Mn", "Me"):
            nonspacing.append(chr(cp))
        elif category == "Mc":
            spacing.append(chr(cp))
        elif category in ("Lu", "Lt"):
            capitals.append(chr(cp))
    return re.escape("".join(nonspacing)), re.escape("".join(spacing)), re.escape("".join(capitals))


_NONSPACING, _SPACING, _CAPITALS = _marks()
# Nonspacing and enclosing marks (accents, Arabic harakat, Hebrew niqqud, the virama, the kana voicing mark) fold
# away like accents: a copy with or without them is the same text, and a mark must not cut a word in two
# (``\w`` does not match marks).
# So are the characters a copy may carry or not without a reader seeing them: soft hyphens (a site's hyphenation
# hints), zero-width spaces, word joiners, a byte-order mark; no word character either, they cut a word in two.
_MARKS = re.compile(f"[{_NONSPACING}\u00ad\u200b\u2060\ufeff]")
# Spacing marks (Devanagari and other Indic vowel signs) are part of their word.
_WORD = re.compile(f"[\\w{_SPACING}]+")
# Scripts written without spaces: Chinese, Japanese. Each character is a token (shingles are character 4-grams);
# as ``\w+`` a token would be the clause between two commas, and one changed character changes four shingles of
# clauses, so an edited copy shared almost nothing with its story. Extension B and later ideographs (past
# U+FFFF, rare in news) are not split.
_UNSPACED_CHAR = f"[{lexicon.UNSPACED_CHARS}]"
_HAS_UNSPACED = re.compile(_UNSPACED_CHAR)
_UNSPACED = re.compile(f"(?<={_UNSPACED_CHAR})(?=\\S)|(?<=\\S)(?={_UNSPACED_CHAR})")  # where a space goes
# A number as written: "102-98", "12.3", "1,500", "10:30", "2019-11-07" stay whole, so a score or a price
# is one token and templated reports with other figures really differ.
# The dashes an outlet's typography puts between figures ("112–108" with an en dash, a figure dash, a minus sign) read
# as a hyphen (_numbers), so a score is the one number its story has ("112-108"), not two.
_DASHES = "\u2010-\u2015\u2212"
_DASH = re.compile(f"[{_DASHES}]")
_NUMBER = re.compile(rf"\d+(?:[.,:/\-{_DASHES}]\d+)*")
# A name: words that start with a capital, one space apart. No word-start check ("iPhone" gives "Phone"): the same
# text gives the same names either way, and a lookbehind doubles the cost.
_NAME_WORD = f"[{_CAPITALS}]\\w*"
_NAME = re.compile(f"{_NAME_WORD}(?: {_NAME_WORD})*")
_NAME_OR_NUMBER = re.compile(f"{_NAME.pattern}|{_NUMBER.pattern}")
# A correction or update notice, in a normalised text: a label opening a line ("Correction:", "[Clarification]",
# Reuters' "(Corrects …)", "Corrected-"), or the sentences outlets write ("An earlier version of this article …", "This
# story has been updated …"). Not "Updated: <time>" (a site's furniture on every page), not a correction in prose.
_REVISED = re.compile(
    r"(?m:^)[ \t(\[*_]*(?:corrections?|clarifications?)\s*[:\])-]|(?m:^)\(?corrects\b|(?m:^)corrected\s*[:-]"
    r"|\ban earlier version of this (?:story|article|report|post|piece)\b"
    r"|\bthis (?:story|article|report|post|piece) (?:has been|was) (?:corrected|amended|updated|clarified)\b"
)
# A date, a time or a duration as sites print them beside a story (_furniture); case-insensitive, so it reads a
# normalised text as the text.
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?"
    r"|nov(?:ember)?|dec(?:ember)?)\b\.?"
)
_DATE_OR_TIME = re.compile(
    r"\b\d{1,2}:\d{2}(?::\d{2})?(?:\s*[ap]\.?m\b\.?)?|\b\d{1,2}(?:\.\d{2})?\s*[ap]\.?m\b\.?"  # 10:32, 10.32am
    r"|\b\d{1,4}([/-])\d{1,2}\1\d{2,4}\b|\b\d{1,2}\.\d{1,2}\.\d{4}\b"  # 30/11/2026, 2026-11-30, 30.11.2026
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}|\b{_MONTH}\s+\d{{1,2}}\b|\b(?:19|20)\d{{2}}\b"  # 30 Nov, Nov 30, 2026
    r"|\b\d+\s*(?:min|mins|minutes?|hours?|hrs?|h|days?|weeks?|months?|years?)\b",  # 2 hours (ago), 4 min (read)
    re.IGNORECASE,
)
_HAS_DIGIT = re.compile(r"\d")
_REVISED_WORDS = ("correct", "clarif", "amended", "updated", "earlier version")  # one of them is in every notice
_M64 = (1 << 64) - 1


def normalise(text: str) -> str:
    """Fold what syndication changes but readers don't see: case, accents and other marks, compatibility forms;
    and set each character of a script written without spaces apart, so that it is a word."""
    if text.isascii():
        return text.casefold()
    folded = _MARKS.sub("", unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold()))
    return _UNSPACED.sub(" ", folded) if _HAS_UNSPACED.search(folded) else folded


def words(text: str) -> list[str]:
    """The word tokens shingles are made of (punctuation and markup-ish symbols dropped)."""
    return _WORD.findall(normalise(text))


def _splitmix64(seed: int, n: int) -> list[int]:
    """A fixed pseudo-random sequence in plain Python.

    Not numpy's generator: its streams may change between numpy versions, and stored signatures must stay
    comparable across every worker of a fleet and every upgrade.
    """
    out, x = [], seed & _M64
    for _ in range(n):
        x = (x + 0x9E3779B97F4A7C15) & _M64
        z = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M64
        out.append(z ^ (z >> 31))
    return out


def _params() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    seq = _splitmix64(SEED, 2 * NUM_PERM + ROWS)
    a = np.array(seq[:NUM_PERM], dtype=np.uint64) | np.uint64(1)  # odd multipliers
    b = np.array(seq[NUM_PERM : 2 * NUM_PERM], dtype=np.uint64)
    band_mul = np.array(seq[2 * NUM_PERM :], dtype=np.uint64) | np.uint64(1)
    return a, b, band_mul


_A, _B, _BAND_MUL = _params()
_WORD_MUL = np.array(
    [
        0x9E3779B97F4A7C15,
        0xC2B2AE3D27D4EB4F,
        0x165667B19E3779F9,
        0x27D4EB2F165667C5,
        0x94D049BB133111EB,
        0xBF58476D1CE4E5B9,
    ][:SHINGLE_WORDS],
    dtype=np.uint64,
)


def _mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: spreads the combined word hashes over all 64 bits."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    out: np.ndarray = x ^ (x >> np.uint64(31))
    return out


def shingle_hashes(text: str) -> np.ndarray:
    """Distinct 64-bit hashes of the text's word shingles (sorted)."""
    return _shingles(words(text))


class _WordHashes(dict[str, int]):
    """Word → crc32, worked out once per process and word (up to ``_WORD_HASHES_MAX`` words): news vocabulary
    is Zipfian, so nearly every word of an article is a lookup, mapped over the tokens without a Python step
    each (half the cost of hashing every token)."""

    def __missing__(self, word: str) -> int:
        h = zlib.crc32(word.encode())
        if len(self) < _WORD_HASHES_MAX:
            self[word] = h
        return h


_WORD_HASHES_MAX = 200_000  # ~25 MB at most
_WORD_HASHES = _WordHashes()


def _shingles(toks: list[str]) -> np.ndarray:
    """Word hashes are crc32 (stable across processes, unlike ``hash()``); shingles combine them with
    per-position odd multipliers, which is cheaper than hashing every shingle string.
    """
    if not toks:
        return np.empty(0, dtype=np.uint64)
    wh = np.fromiter(map(_WORD_HASHES.__getitem__, toks), dtype=np.uint64, count=len(toks))
    k = min(SHINGLE_WORDS, len(toks))
    n = len(toks) - k + 1
    with np.errstate(over="ignore"):
        acc = np.zeros(n, dtype=np.uint64)
        for i in range(k):
            acc = acc + wh[i : i + n] * _WORD_MUL[i]
        acc = _mix64(acc + np.uint64(k))
    return np.unique(acc)


@dataclass(frozen=True, slots=True)
class Signature:
    """A text's MinHash signature, its size in distinct shingles, and its LSH band keys."""

    scheme: str
    shingles: int
    mins: np.ndarray = field(repr=False)  # uint32[NUM_PERM]; all 0xFFFFFFFF for an empty text
    numbers: tuple[int, ...] = ()  # the NUMBERS_KEPT smallest 16-bit hashes of distinct number tokens
    head: bytes | None = None  # the lead key (head_key), None for a body shorter than HEAD_WORDS
    head_numbers: tuple[str, ...] = ()  # the numbers of the body's first line (head_numbers)
    head_template: bytes | None = None  # the head with its names and figures masked (head_names), None: no template
    head_names: tuple[str, ...] = ()  # the head's names, folded, in order (head_names)
    revised: bool = False  # the text carries a correction or update notice (revised): see same_story

    def packed(self) -> bytes:
        """The stored form for verification: the low STORED_BITS of each min, one byte each."""
        return (self.mins & np.uint32(0xFF)).astype(np.uint8).tobytes()

    def bands(self) -> list[bytes]:
        """One 8-byte key per band: band number then 7 bytes of the hash of its rows."""
        if self.shingles == 0:
            return []
        raw = band_keys(self.mins[None, :])[0].tobytes()
        return [raw[i : i + 8] for i in range(0, len(raw), 8)]


def band_keys(mins: np.ndarray) -> np.ndarray:
    """Band keys of many signatures at once: (n, NUM_PERM) mins -> (n, BANDS) little-endian uint64.

    As bytes each key is the band number followed by the low 7 bytes of the hash of the band's rows.
    """
    rows = mins[:, : BANDS * ROWS].astype(np.uint64).reshape(mins.shape[0], BANDS, ROWS)
    with np.errstate(over="ignore"):
        h = _mix64((rows * _BAND_MUL).sum(axis=2, dtype=np.uint64))
    return ((h << np.uint64(8)) | np.arange(BANDS, dtype=np.uint64)).astype("<u8")


def numbers(normalised: str) -> set[str]:
    """The distinct numbers of a normalised text."""
    return set(_numbers(normalised, 0, len(normalised)))


def _numbers(text: str, start: int, end: int) -> list[str]:
    """The numbers as written between start and end, their dashes written as hyphens."""
    found: list[str] = _NUMBER.findall(text, start, end)
    return found if text.isascii() else [n if n.isascii() else _DASH.sub("-", n) for n in found]


def number_hash(number: str) -> int:
    """The 16-bit hash of a number as written, as the number sketch keeps it."""
    return (zlib.crc32(number.encode()) * 0x9E3779B1 >> 16) & 0xFFFF


def number_sketch(nums: set[str]) -> tuple[int, ...]:
    """Bottom-k 16-bit hashes of the distinct numbers as written (scores, prices, dates, counts).

    Templated reports share their words and differ in their numbers; copies of one story keep them.
    """
    return tuple(sorted({number_hash(t) for t in nums})[:NUMBERS_KEPT])


def head_span(text: str, title_end: int, story: int | None = None) -> tuple[int, int]:
    """Where a text's head is: the first line of its body (after the blank line at ``title_end``; the text's first
    line when it has none, -1) that is no site furniture (``_furniture``; up to FURNITURE_LINES are passed over), up to
    HEAD_NUMBER_CHARS of it, cut at a space. ``story``: where that line starts, when `furniture_span` told already."""
    start = furniture_span(text, title_end)[1] if story is None else story
    end = text.find("\n", start, start + HEAD_NUMBER_CHARS)
    if end < 0:
        end = start + HEAD_NUMBER_CHARS
        if end < len(text):
            space = text.rfind(" ", start, end)
            end = space if space > start else end
    return start, end


def furniture_span(text: str, title_end: int) -> tuple[int, int]:
    """Where the body starts (after the blank line at ``title_end``; the text's start when it has none, -1), and where
    the story starts after the site furniture opening it (``_furniture``; up to FURNITURE_LINES lines; the same place
    when there is none)."""
    body = start = _line_start(text, title_end + 2 if title_end >= 0 else 0)
    for _ in range(FURNITURE_LINES):
        line_end = text.find("\n", start, start + FURNITURE_CHARS)
        if line_end < 0 or not _furniture(text[start:line_end]):
            break
        start = _line_start(text, line_end)
    return body, start


def _line_start(text: str, at: int) -> int:
    while at < len(text) and text[at] in "\n\r\t ":
        at += 1
    return at


def _furniture(line: str) -> bool:
    """A site's line around the story, not a line of it: short (FURNITURE_WORDS words at most), with a date, a time or a
    duration ("Published 30 November 2026, 10:32 GMT", "By Jane Doe | 30 Nov 2026", "2 hours ago", "4 min read") and no
    other figure (a score line, "M 3.6 - 15km W of Petrolia, CA" are heads)."""
    if not _HAS_DIGIT.search(line) or len(line.split()) > FURNITURE_WORDS:
        return False
    rest, found = _DATE_OR_TIME.subn(" ", line)
    return found > 0 and not _HAS_DIGIT.search(rest)


def head_numbers(norm: str, story: int | None = None) -> tuple[str, ...]:
    """The distinct numbers of a normalised text's head, the first line of its body (up to HEAD_NUMBER_CHARS of it,
    cut at a space; the text's first line when it has no headline), in order of appearance. One regex pass over
    the head only. ``story``: as for `head_span`."""
    start, end = head_span(norm, norm.find("\n\n"), story)
    found = dict.fromkeys(n for n in _numbers(norm, start, end) if len(n) <= HEAD_NUMBER_LEN)
    return tuple(found)[:HEAD_NUMBERS_KEPT]


def _one_slip(a: AnyStr, b: AnyStr, long: int = LONG_NUMBER) -> bool:
    """a and b (unequal) are one dropped, added, changed or swapped character (or byte) apart, and one is at least
    ``long`` long."""
    if max(len(a), len(b)) < long or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]
                                   and a[diff[1]] == b[diff[0]])  # fmt: skip
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(short) and short[i] == long_[i]:
        i += 1
    return short[i:] == long_[i + 1 :]


_SEPARATORS = re.compile(r"[.,:/-]")


def _head_number_found(number: str, sketch: tuple[int, ...], their_head: tuple[str, ...]) -> bool:
    """Whether a number of one head is in the other text: in its number sketch (or past the sketch's cut, where it
    cannot be told), or in its head give or take one slip in a long figure, or cut in two there by a separator
    written otherwise ("2–1" with an en dash is two numbers, "2-1" one)."""
    h = number_hash(number)
    if (len(sketch) >= NUMBERS_KEPT and h > sketch[-1]) or h in sketch:
        return True
    if any(_one_slip(number, other) for other in their_head):
        return True
    parts = _SEPARATORS.split(number)
    return len(parts) > 1 and all(p in their_head for p in parts)


def heads_differ(a_head: tuple[str, ...], a_sketch: tuple[int, ...], b_head: tuple[str, ...],
                 b_sketch: tuple[int, ...]) -> bool:  # fmt: skip
    """Both heads carry numbers, and neither head's numbers are all found in the other text: templated reports
    with other figures where it matters (a copy keeps its story's head, so one of the two holds all of it)."""
    if not a_head or not b_head:
        return False
    a_in_b = all(_head_number_found(n, b_sketch, b_head) for n in a_head)
    return not a_in_b and not all(_head_number_found(n, a_sketch, a_head) for n in b_head)


def head_names(text: str, title_end: int) -> tuple[bytes | None, tuple[str, ...]]:
    """The head's template and names. The head is the body's first line as for ``head_numbers``, read before folding:
    a name is a run of words, one space apart, that start with a capital ("Harbor Freight Lines"; punctuation ends
    it: "New York (AFP)"). The template is a hash of the head with each name and figure masked; None for a head with
    fewer than HEAD_NAME_WORDS other words. Two regex passes and a split over the head only (~10-15 µs)."""
    start, end = head_span(text, title_end)
    head = text[start:end]
    masked = _NAME_OR_NUMBER.sub("@", head)
    chunks = masked.split()
    # Chunks without a mask are (about) the other words; "@-@" counts as two masks, so this errs on the low side.
    if len(chunks) - masked.count("@") < HEAD_NAME_WORDS:
        return None, ()
    # Not folded: a copy keeps its head as written, and one that does not (other quotes, accents) is only not compared.
    key = hashlib.blake2b(" ".join(chunks).encode(), digest_size=8).digest()
    found = _NAME.findall(head)
    if not found:
        return key, ()
    names = normalise("\n".join(found[:HEAD_NAMES_KEPT])).split("\n")  # one call: it is the cost
    # 8 characters are at most 32 bytes.
    return key, tuple(n if len(n) <= 8 else n.encode()[:HEAD_NAME_LEN].decode("utf-8", "ignore") for n in names)


def names_differ(a_template: bytes | None, a_names: tuple[str, ...], b_template: bytes | None,
                 b_names: tuple[str, ...]) -> bool:  # fmt: skip
    """Both heads have the same template and, in some place, other names (``_other_name``): templated reports with the
    same figures and other people, places or teams (a copy keeps its story's head, names and all)."""
    if a_template is None or a_template != b_template:
        return False
    return any(_other_name(x, y) for x, y in zip(a_names, b_names, strict=False))


def _other_name(x: str, y: str) -> bool:
    """x and y name others: not equal, not one slip apart (a typo: "Smtih", "(P)" for "(AP)"; any length, in UTF-8
    bytes as the index script compares them), neither the other with words before or after it (a label run into
    the head's first word: "BREAKING Police", a title: "Mr John Smith"), neither perhaps cut at the cap (a slip before
    the cut moves it)."""
    if x == y:
        return False
    bx, by = x.encode(), y.encode()
    if len(bx) > _NAME_UNCUT or len(by) > _NAME_UNCUT or _one_slip(bx, by, 1):
        return False
    short, long_ = (x, y) if len(x) < len(y) else (y, x)
    return not (long_.startswith(short + " ") or long_.endswith(" " + short))


_NAME_UNCUT = HEAD_NAME_LEN - 4  # a name this long or shorter (UTF-8 bytes) was not cut


def revised(text: str, norm: str) -> bool:
    """Whether a text (``norm``: its signed part, normalised) carries a correction or update notice (``_REVISED``)
    where notes go: its first REVISED_HEAD characters (headline and first lines: "CORRECTED-", "(Corrects …)") or its
    last REVISED_TAIL (past MAX_CHARS, those of the whole text). Substring tests first: the regex runs on the few texts
    with a keyword there (~3 µs per text, the regex over a whole text took ~0.3 ms)."""
    tail = norm[-REVISED_TAIL:] if len(text) <= MAX_CHARS else normalise(text[-REVISED_TAIL:])
    window = f"{norm[:REVISED_HEAD]}\n{tail}" if len(norm) > REVISED_HEAD else norm
    if not any(word in window for word in _REVISED_WORDS):
        return False
    return _REVISED.search(window) is not None


def head_key(body_words: list[str]) -> bytes | None:
    """The lead key: HEAD_BAND, then 7 bytes of a hash of the body's first HEAD_WORDS words (folded)."""
    if len(body_words) < HEAD_WORDS:
        return None
    digest = hashlib.blake2b(" ".join(body_words[:HEAD_WORDS]).encode(), digest_size=7).digest()
    return bytes([HEAD_BAND]) + digest


def signature(text: str) -> Signature:
    """MinHash over the text's shingles: for each of NUM_PERM multiply-shift hashes, the smallest value.

    ``text`` is a headline, a blank line, then the body (``stories.signature_text``); without a blank line it
    is all body. The lead key is taken from the body alone, so a brief under another headline still has it.
    """
    norm = normalise(text[:MAX_CHARS])
    toks = _WORD.findall(norm)
    sh = _shingles(toks)
    if sh.size == 0:
        return Signature(SCHEME, 0, np.full(NUM_PERM, 0xFFFFFFFF, dtype=np.uint32))
    title_end = text.find("\n\n", 0, MAX_CHARS)
    # Folding works character by character and a blank line is no word, so the headline's words come first.
    head = head_key(toks[len(_WORD.findall(normalise(text[:title_end]))) :] if title_end >= 0 else toks)
    with np.errstate(over="ignore"):
        hv = sh[:, None] * _A[None, :]
        hv += _B  # in place: the (shingles × NUM_PERM) matrix is the whole cost, one pass less over it
    # The shift is monotonic, so it can follow the min: one 128-element shift instead of a pass over the matrix.
    mins = (hv.min(axis=0) >> np.uint64(32)).astype(np.uint32)
    template, names = head_names(text, title_end)
    # The numbers of the site furniture opening the body are no figures of the story: left out of the sketch too.
    body, story = furniture_span(norm, norm.find("\n\n"))
    nums = numbers(norm) if body == story else {*_numbers(norm, 0, body), *_numbers(norm, story, len(norm))}
    return Signature(SCHEME, int(sh.size), mins, number_sketch(nums), head, head_numbers(norm, story), template,
                     names, revised(text, norm))  # fmt: skip


def numbers_containment(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[float, int]:
    """Estimated containment of the smaller number set in the other, and how many numbers it rests on.

    Both bottom-k sketches are cut at the smaller of their largest kept hash (a sketch that kept everything
    is not cut), which makes them samples of the same hash range.
    """
    cut = 0xFFFF
    if len(a) >= NUMBERS_KEPT:
        cut = min(cut, a[-1])
    if len(b) >= NUMBERS_KEPT:
        cut = min(cut, b[-1])
    sa = {h for h in a if h <= cut}
    sb = {h for h in b if h <= cut}
    smaller = min(len(sa), len(sb))
    if smaller == 0:
        return 1.0, 0
    return len(sa & sb) / smaller, smaller


class SchemeMismatch(ValueError):
    """Raised when two signatures made by different schemes are compared."""


@dataclass(frozen=True, slots=True)
class Similarity:
    """Estimated overlap of two shingle sets."""

    jaccard: float
    containment: float  # of the smaller set in the larger one
    smaller: int  # distinct shingles of the smaller text
    numbers: float = 1.0  # containment of the number tokens (numbers_containment)
    numbers_seen: int = 0  # numbers that estimate rests on
    same_head: bool = False  # both have a lead key and it is the same
    heads_differ: bool = False  # the numbers of the two heads disagree (heads_differ)
    names_differ: bool = False  # the two heads share their template, not their names (names_differ)
    revised: bool = False  # one of the two carries a correction or update notice (Signature.revised)


def unpack(packed: bytes) -> np.ndarray:
    return np.frombuffer(packed, dtype=np.uint8)


def estimate(a_packed: bytes, a_shingles: int, b_packed: bytes, b_shingles: int) -> Similarity:
    """Jaccard from matching b-bit mins, containment derived from Jaccard and the two set sizes.

    |A∩B| = J/(1+J)·(|A|+|B|); two unequal stored values collide with probability 2^-STORED_BITS, which
    is removed.
    """
    if a_shingles == 0 or b_shingles == 0:
        return Similarity(0.0, 0.0, min(a_shingles, b_shingles))
    matches = int(np.count_nonzero(unpack(a_packed) == unpack(b_packed)))
    frac = matches / NUM_PERM
    c = 2.0**-STORED_BITS
    j = max(0.0, (frac - c) / (1 - c))
    inter = j / (1 + j) * (a_shingles + b_shingles)
    smaller = min(a_shingles, b_shingles)
    return Similarity(j, min(1.0, inter / smaller), smaller)


def compare(a: Signature, b: Signature) -> Similarity:
    if a.scheme != b.scheme:
        raise SchemeMismatch(f"cannot compare {a.scheme!r} with {b.scheme!r}")
    est = estimate(a.packed(), a.shingles, b.packed(), b.shingles)
    num, seen = numbers_containment(a.numbers, b.numbers)
    same_head = a.head is not None and a.head == b.head
    differ = heads_differ(a.head_numbers, a.numbers, b.head_numbers, b.numbers)
    names = names_differ(a.head_template, a.head_names, b.head_template, b.head_names)
    return Similarity(est.jaccard, est.containment, est.smaller, num, seen, same_head, differ, names,
                      a.revised or b.revised)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When two texts count as one story. Mirrored by worker/lua/neardup.lua."""

    jaccard: float = JACCARD_MIN
    containment: float = CONTAINMENT_MIN
    short_shingles: int = SHORT_SHINGLES
    short_jaccard: float = SHORT_JACCARD_MIN
    numbers: float = NUMBERS_MIN
    numbers_floor: int = NUMBERS_FLOOR
    head_containment: float = HEAD_CONTAINMENT_MIN
    head_numbers: bool = True  # heads whose numbers disagree make different stories
    head_names: bool = True  # heads of one template with other names make different stories


def same_story(sim: Similarity, th: Thresholds = Thresholds()) -> bool:
    """The verdict: near-identical, or (for long enough texts) one mostly contained in the other.

    Short texts (a one-line feed summary) have too few shingles for containment to mean anything: a
    templated line shares most of them with its siblings, so they must be near-identical instead. Texts
    whose numbers mostly differ (a weather report for another city, another game's score) are different
    stories whatever their words share, and so are texts whose heads (the body's first line) carry other figures,
    however few (a score, a magnitude: templated reports), or, in one template, other names (two court reports);
    when one of them says it was corrected or updated, only other figures and other names at once.
    Two texts with the same lead (the first HEAD_WORDS words of the body) need less: a brief is far shorter than its
    story, and its containment is estimated from a small Jaccard.
    """
    if sim.smaller == 0:
        return False
    if sim.numbers_seen >= th.numbers_floor and sim.numbers < th.numbers:
        return False
    other_figures, other_names = th.head_numbers and sim.heads_differ, th.head_names and sim.names_differ
    # A correction or an update changes a figure or a name of the head, not both: a revised text is held apart only by
    # other figures and other names at once (another report of one template).
    if (other_figures and other_names) if sim.revised else (other_figures or other_names):
        return False
    if sim.same_head and sim.containment >= th.head_containment:
        return True
    if sim.smaller < th.short_shingles:
        return sim.jaccard >= th.short_jaccard
    return sim.jaccard >= th.jaccard or sim.containment >= th.containment


def score(sim: Similarity) -> float:
    """How good a match is, to pick the best of several candidates (same order as in the Lua script)."""
    return max(sim.jaccard, sim.containment)


def exact(a_text: str, b_text: str) -> Similarity:
    """Exact Jaccard and containment of two texts' shingle sets (the oracle in the evaluation)."""
    a_text, b_text = a_text[:MAX_CHARS], b_text[:MAX_CHARS]
    a, b = shingle_hashes(a_text), shingle_hashes(b_text)
    if a.size == 0 or b.size == 0:
        return Similarity(0.0, 0.0, int(min(a.size, b.size)))
    inter = np.intersect1d(a, b, assume_unique=True).size
    smaller = int(min(a.size, b.size))
    na, nb = numbers(normalise(a_text)), numbers(normalise(b_text))
    seen = min(len(na), len(nb))
    num = len(na & nb) / seen if seen else 1.0
    return Similarity(inter / (a.size + b.size - inter), inter / smaller, smaller, num, seen)
