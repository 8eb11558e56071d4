"""HTML metadata quality: title, published date and author on real pages, against gold, beside trafilatura.

Pages: the trafilatura-eval pages (990 real pages: news, blogs, shops, government; many German, Polish,
Latin-American, English) with gold in ``evaldata.json`` (title 845, date 728, author 538) and the publication
dates htmldate's authors checked for 564 of them (``htmldate_gold_dates_for_pool.json``). Each page goes through
exactly what an ``.html`` file dropped into the inbox goes through: ``producers.inbox.read_file`` (bytes →
decoded RawArticle, no URL, no title, no date, no author) and then ``worker.parse.parse``; the fields scored are
the ones the ArticleEvent carries (``title``, ``published_at``, ``authors``).

The anchor is ``trafilatura.bare_extraction(html, with_metadata=True)`` on the same decoded text (no URL either):
text plus title, author and date, the work our parse stage also does. Its date search runs in htmldate's
extensive mode (trafilatura's default), which also guesses from copyright lines and URLs; ours does not
(docs/decisions.md, "Dates"). With ``--baseline REF`` the parse stage as of a git ref (``worker/parse.py`` and
``worker/clean.py`` copied beside ours) runs in the same pass, for a before/after.

Scoring: a title is right when its words match the gold's (case, accents kept; punctuation and spacing not),
and its token F1 is reported beside; a date when the calendar day matches (ours is UTC, as the event carries it);
authors when the set of names matches the gold's (case, accents, "By"/"Von", "Dr." and separators aside; the
gold may list several), and "any" when at least one gold name is found. Candidates run block by block
(16 pages), the order alternating, so the noise of a shared machine falls on all alike; time is per page,
the whole call (for ours, the whole parse stage, text included).

    python -m bench.metadata [--baseline REF] [--dump rows.json]    # or `python -m bench metadata`
"""

from __future__ import annotations

import argparse
import atexit
import gzip
import importlib
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from bench.common import CORPUS, REPO
from bench.html import token_f1
from schemas import RawArticle
from wirewatch import constants as c
from wirewatch.errors import Rejected

BLOCK = 16  # pages per block, the unit of interleaving
OURS = "our parse stage"
ANCHOR = "trafilatura.bare_extraction(with_metadata=True)"
FIELDS = ("title", "date", "date_checked", "author")

# (title, published day, author names) as a candidate reports them.
Fields = tuple[str | None, date | None, list[str]]

_WORD = re.compile(r"\w+")
_YMD = re.compile(r"(\d{4})\D(\d{1,2})\D(\d{1,2})")
_NAME_SPLIT = re.compile(r"\s*(?:[,;&/|]|\s(?:and|und|y|i|et|e|og|och|en)\s)\s*", re.I)
_NAME_PREFIX = re.compile(r"^(?:by|von|por|par|przez|door|av)\s+", re.I)
_HONORIFICS = frozenset({"dr", "prof", "mr", "mrs", "ms"})


def _fold(text: str) -> str:
    """Lower case, without accents, words only, single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join(_WORD.findall("".join(ch for ch in decomposed if not unicodedata.combining(ch))))


def title_key(title: str | None) -> str:
    return _fold(title or "")


def author_names(values: list[str] | str | None) -> set[str]:
    """Normalised names in one or more author strings ("Von A und B", "A; B", ["A", "B"])."""
    if not values:
        return set()
    names = set()
    for value in [values] if isinstance(values, str) else values:
        for piece in _NAME_SPLIT.split(value.strip()):
            words = [w for w in _fold(_NAME_PREFIX.sub("", piece.strip())).split() if w not in _HONORIFICS]
            if words:
                names.add(" ".join(words))
    return names


def day_of(value: str | None) -> date | None:
    """The calendar day of a gold or anchor date text ("2019-10-16", "2022-01.26"), or None."""
    match = _YMD.search(value or "")
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def pages() -> list[dict[str, Any]]:
    """The pages with any gold: file, url, HTML bytes, and the gold fields (None where there is none)."""
    root = CORPUS / "articles" / "trafilatura-eval"
    evaldata = json.loads((root / "evaldata.json").read_text(encoding="utf-8"))
    checked = json.loads((root / "htmldate_gold_dates_for_pool.json").read_text(encoding="utf-8"))
    out = []
    for url, item in sorted(evaldata.items(), key=lambda kv: kv[1]["file"]):
        page = {
            "file": item["file"], "url": url,
            "title": item.get("title") or None,
            "date": day_of(item.get("date")),
            "date_checked": day_of(checked[item["file"]]["date"]) if item["file"] in checked else None,
            "author": author_names(item.get("author")) or None,
        }  # fmt: skip
        if any(page[f] for f in FIELDS):
            page["html"] = gzip.decompress((root / "html" / f"{item['file']}.gz").read_bytes())
            out.append(page)
    return out


def inbox_raws(items: list[dict[str, Any]]) -> list[RawArticle]:
    """Each page as the inbox reads an ``.html`` file: written to a file, read by ``producers.inbox``."""
    from producers.inbox import read_file

    raws = []
    with tempfile.TemporaryDirectory(prefix="ww-bench-metadata-") as folder:
        path = Path(folder) / "page.html"
        for page in items:
            path.write_bytes(page["html"])
            result = read_file(path, "bench", c.ARTICLE_MAX_BYTES, c.JSONL_MAX_RECORDS)
            if not result.articles:
                raise RuntimeError(f"{page['file']}: refused by the inbox: {result.refusals}")
            raws.append(result.articles[0])
    return raws


def _ours(parse: Callable[[RawArticle], Any]) -> Callable[[RawArticle], Fields | None]:
    def run(raw: RawArticle) -> Fields | None:
        try:
            parsed = parse(raw)
        except Rejected:
            return None
        published: datetime | None = parsed.published_at
        return parsed.title, published.date() if published else None, list(parsed.authors)

    return run


def _anchor(raw: RawArticle) -> Fields | None:
    import trafilatura

    doc = trafilatura.bare_extraction(raw.content, with_metadata=True)
    if doc is None or isinstance(doc, dict):
        return None
    return doc.title, day_of(doc.date), [doc.author] if doc.author else []


def _baseline(ref: str) -> Callable[[RawArticle], Any]:
    """``parse`` as of git ``ref``: its parse.py and clean.py copied beside ours as ``baseline_worker``."""
    root = Path(tempfile.mkdtemp(prefix="ww-metadata-baseline-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    package = root / "baseline_worker"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    for name in ("parse", "clean"):
        code = subprocess.run(["git", "-C", str(REPO), "show", f"{ref}:worker/{name}.py"], check=True,
                              capture_output=True, text=True).stdout  # fmt: skip
        code = code.replace("from worker.clean import", "from baseline_worker.clean import")
        (package / f"{name}.py").write_text(code, encoding="utf-8")
    sys.path.insert(0, str(root))
    parse: Callable[[RawArticle], Any] = importlib.import_module("baseline_worker.parse").parse
    return parse


def score(page: dict[str, Any], got: Fields | None) -> dict[str, Any]:
    """Per field with gold: right or wrong (and the title's token F1, the authors' "any")."""
    title, day, authors = got or (None, None, [])
    row: dict[str, Any] = {}
    if page["title"]:
        row["title"] = bool(title) and title_key(title) == title_key(page["title"])
        row["title_f1"] = token_f1(title or "", page["title"])
    for key in ("date", "date_checked"):
        if page[key]:
            row[key] = day == page[key]
    if page["date"]:
        # A time late or early in the day is another day in UTC (ours) than where it was written (the gold's).
        row["date_near"] = day is not None and abs((day - page["date"]).days) <= 1
    if page["author"]:
        names = author_names(authors)
        row["author"] = names == page["author"]
        row["author_any"] = bool(names & page["author"])
        row["author_wrong"] = bool(names) and not names & page["author"]
    return row


def run(baseline: str | None = None, dump: str | None = None) -> dict[str, Any]:
    from wirewatch.logs import configure_logging
    from worker.parse import parse

    configure_logging("error", "json")
    items = pages()
    raws = inbox_raws(items)
    candidates: dict[str, Callable[[RawArticle], Fields | None]] = {OURS: _ours(parse)}
    if baseline:
        candidates[f"our parse stage as of {baseline}"] = _ours(_baseline(baseline))
    candidates[ANCHOR] = _anchor
    for fn in candidates.values():  # imports, word lists, caches: outside the clock
        for raw in raws[:4]:
            fn(raw)
    got: dict[str, list[Fields | None]] = {name: [] for name in candidates}
    seconds: dict[str, list[float]] = {name: [] for name in candidates}
    clock = time.perf_counter
    names = list(candidates)
    for number, start in enumerate(range(0, len(raws), BLOCK)):
        block = raws[start : start + BLOCK]
        for name in names if number % 2 == 0 else names[::-1]:
            fn = candidates[name]
            for raw in block:
                started = clock()
                fields = fn(raw)
                seconds[name].append(clock() - started)
                got[name].append(fields)
    scores = {name: [score(page, values) for page, values in zip(items, got[name], strict=True)] for name in names}
    result: dict[str, Any] = {
        "pages": len(items),
        "gold": {f: sum(1 for p in items if p[f]) for f in FIELDS},
        "candidates": names,
        "right": {name: {f: sum(1 for row in rows if row.get(f)) for f in (*FIELDS, "date_near", "author_any", "author_wrong")}
                  for name, rows in scores.items()},
        "title_f1": {name: statistics.fmean(row["title_f1"] for row in rows if "title_f1" in row)
                     for name, rows in scores.items()},
        "rejected": {name: sum(1 for values in got[name] if values is None) for name in names},
        "ms_median": {name: 1000 * statistics.median(s) for name, s in seconds.items()},
        "ms_mean": {name: 1000 * statistics.fmean(s) for name, s in seconds.items()},
    }  # fmt: skip
    if dump:
        rows = [{"file": page["file"], "url": page["url"],
                 "gold": {f: page[f] if f != "author" else sorted(page[f] or []) for f in FIELDS},
                 **{name: {"got": got[name][i], "score": scores[name][i]} for name in names}}
                for i, page in enumerate(items)]  # fmt: skip
        Path(dump).write_text(json.dumps(rows, indent=1, ensure_ascii=False, default=str), encoding="utf-8")
    return result


def render(r: dict[str, Any]) -> str:
    gold = r["gold"]
    lines = [
        "## HTML metadata (trafilatura-eval pages): title, date, author against gold",
        "",
        f"{r['pages']} real pages with gold metadata (trafilatura's evaluation set: news, blogs, shops, government; "
        "many German, Polish, Latin-American, English), each read as an `.html` inbox file is "
        "(`producers.inbox.read_file`, so no URL, title, date or author from a producer) and parsed by "
        "`worker.parse.parse`; the anchor is `trafilatura.bare_extraction(html, with_metadata=True)` on the same "
        "text (its date search in htmldate's extensive mode; ours leaves out the guesses from copyright lines "
        "and URLs). \"As of <ref>\" (with `python -m bench.metadata --baseline REF`): the parse stage of a git ref, "
        "in the same run (the before/after of docs/decisions.md, \"HTML metadata\"). Title: the words match the gold's (case, accents and punctuation aside), "
        "token F1 beside. Date: the same calendar day (ours in UTC, as the event carries it), against "
        "`evaldata.json` and against the dates htmldate's authors checked; \"±1 day\" also counts a day off (an "
        "evening's time is the next day in UTC). Author: the same set of names (\"By\"/\"Von\", \"Dr.\", "
        "separators aside); \"any\": at least one gold name; \"none right\": names given, none of them the "
        "gold's (lower is better). Time: per page, the whole call (ours: the whole parse stage, text included), "
        "candidates interleaved in blocks of 16 pages. Command: `python -m bench metadata`.",
        "",
        f"| what | title ({gold['title']}) | title token F1 | date ({gold['date']}) | date ±1 day "
        f"| date, checked ({gold['date_checked']}) | author ({gold['author']}) | author, any "
        "| author, none right | ms/page median (mean) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]  # fmt: skip
    for name in r["candidates"]:
        right = r["right"][name]

        def pct(field: str, total: str | None = None, right: dict[str, int] = right) -> str:
            return f"{100 * right[field] / gold[total or field]:.1f} %"

        lines.append(
            f"| {name} | {pct('title')} | {r['title_f1'][name]:.3f} | {pct('date')} | {pct('date_near', 'date')} "
            f"| {pct('date_checked')} "
            f"| {pct('author')} | {pct('author_any', 'author')} | {pct('author_wrong', 'author')} "
            f"| {r['ms_median'][name]:.1f} ({r['ms_mean'][name]:.1f}) |"
        )
    lines += ["", "Pages with no article text found (all fields missed): "
              + ", ".join(f"{name} {n}" for name, n in r["rejected"].items()) + "."]  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", metavar="REF", help="also run the parse stage as of this git ref")
    parser.add_argument("--dump", metavar="PATH", help="write every page's gold, values and scores as JSON")
    args = parser.parse_args()
    print(render(run(args.baseline, args.dump)))


if __name__ == "__main__":
    main()
