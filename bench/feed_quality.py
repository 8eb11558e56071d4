"""Feed event quality: real feeds through the real path (parse_feed → parse → enrich), defects counted by kind.

    python -m bench.feed_quality [--show KIND] [--examples N] [--limit-per-feed N]

Corpus: the 200 real feeds of ``$WIREWATCH_CORPUS/feeds/fastfeedparser/benchmark_data`` (each under its original
URL from ``benchmark_data_index.tsv``, so relative links and site names resolve as they would live) and the real
captures among feed-rs's fixtures. Every item is read as a newsroom analyst would read its event; each check
below is one kind of defect, counted once per item. The checks are heuristics: ``--show KIND`` prints examples
to read before believing a count.
"""

from __future__ import annotations

import argparse
import collections
import email.utils
import gzip
import re
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from bench.common import CORPUS
from producers.feeds import FeedError, parse_feed
from schemas import RawArticle
from wirewatch.errors import Rejected
from worker.enrich import Enrichment, enrich
from worker.parse import ParsedArticle, parse

# Real captures among feed-rs's fixtures (the rest are spec examples and hand-made cases).
FEED_RS_REAL = (
    "rss2/rss_2.0_bbc.xml", "rss2/rss_2.0_nbcny.xml", "rss2/rss_2.0_heated.xml", "rss2/rss_2.0_anchorfm.xml",
    "rss2/rss_2.0_vimeo_media.xml", "rss2/rss_2.0_dbengines.xml", "rss2/rss_2.0_matrix.xml",
    "atom/atom_example_reddit.xml", "atom/atom_mediarss_youtube_1.xml", "atom/atom_mediarss_reddit_1.xml",
    "rss1/rss_1.0_biorxiv.xml", "rss1/rss_1.0_debian.xml",
)  # fmt: skip

_MARKUP = re.compile(r"<[A-Za-z/!][^>]*>|&(?:#\d+|#x[0-9A-Fa-f]+|[A-Za-z]{2,8});|CDATA\[")
# In a text (which may quote code): HTML tags and entities that only a missed decoding leaves.
_TEXT_TAG = re.compile(r"</?(?:p|div|span|br|img|a|b|i|em|strong|ul|ol|li|h[1-6]|figure|iframe|table)\b[^>]*>")
_TEXT_ENTITY = re.compile(
    r"&(?:nbsp|amp|quot|lt|gt|apos|rsquo|lsquo|ldquo|rdquo|mdash|ndash|hellip|#\d{2,5}|#x[0-9A-Fa-f]{2,4});"
)
# A prose paragraph that ends mid-sentence and one that goes on in lower case: a line broken at an inline
# element ("Some\n\ncool\n\nanimations made from…"). Code (a blog's listings) is left out of both checks.
_BROKEN = re.compile(r"(?:^|\n)[^\n{}();=<>]*[a-z,]\n\n[a-z][^\n{}();=<>]*(?:\n|$)")
_CODE = re.compile(r"[{};=<>]|\(\)|^\W|^\S+$")


def _prose(paragraph: str) -> bool:
    return len(paragraph.split()) >= 8 and not _CODE.search(paragraph) and paragraph[-1:] in ".!?\"'"


_BOILERPLATE = re.compile(
    r"appeared first on|^continue reading|continue reading\W*$|^read more\W*$|read more\W*$|(?<=\S)\s*\[(?:…|\.\.\.)\]\s*$"
    r"|^the post .* appeared|^comments?\W*$|^read the (?:full|rest)|^view (?:on|the) |^click here|"
    r"^(?:\d+ )?comments?$|^leave a comment",
    re.I,
)
_SUFFIX_WORDS = {"video", "videos", "audio", "podcast", "watch", "listen", "photos", "gallery", "live", "opinion"}
_TITLE_TAIL = re.compile(r"\s[|\-–—:]\s*([^|\-–—:]{2,40})$")
_TITLE_HEAD = re.compile(r"^(?:video|watch|audio|listen|podcast|photos?)\s*[:|\-–—]\s", re.I)
_CREDIT = re.compile(r"\b(?:Getty Images|AP Photo|Reuters|AFP|Photograph:|Photo:|Image:|Credit:|Illustration:)", re.I)
_CREDIT_LINE = re.compile(r"(?im)^\(?(?:image|photo|picture) (?:credit|courtesy)s?:")
_WIRE_DATELINE = re.compile(
    r"[A-Z][A-Za-z./ ,-]{2,40}(?:,? \w{3,9}\.? \d{1,2})?,? ?\((?:Reuters|AP|AFP|Xinhua|dpa|UPI)\) ?[-–—]"
)
_BAD_AUTHOR = re.compile(r"@|noreply|^unknown$|\(unknown\)|^https?://|^admin$", re.I)
_FEED_LANG = re.compile(rb"<(?:\w+:)?language>\s*([A-Za-z]{2,3})(?:[-_][A-Za-z]+)?\s*</|xml:lang=[\"']([A-Za-z]{2,3})")


@dataclass
class Item:
    feed: str
    raw: RawArticle
    feed_lang: str | None
    parsed: ParsedArticle | None = None
    enrichment: Enrichment | None = None
    rejected: str | None = None


def _benchmark_feeds() -> Iterator[tuple[str, str, bytes]]:
    root = CORPUS / "feeds" / "fastfeedparser"
    index = {}
    for line in (root / "benchmark_data_index.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        name, url, *_ = line.split("\t")
        index[name] = url
    for path in sorted((root / "benchmark_data").glob("*.gz")):
        yield path.name, index.get(path.name, f"https://feeds.example/{path.stem}"), gzip.decompress(path.read_bytes())


def _feed_rs() -> Iterator[tuple[str, str, bytes]]:
    root = CORPUS / "feeds" / "feed-rs" / "feed-rs" / "fixture"
    for name in FEED_RS_REAL:
        path = root / name
        if path.exists():
            yield f"feed-rs/{name}", f"https://feeds.example/{path.stem}", path.read_bytes()


def collect(limit_per_feed: int | None = None) -> tuple[list[Item], collections.Counter[str]]:
    items: list[Item] = []
    feed_errors: collections.Counter[str] = collections.Counter()
    for name, url, body in [*_benchmark_feeds(), *_feed_rs()]:
        try:
            feed = parse_feed(body, feed_url=url)
        except FeedError as e:
            feed_errors[f"{name}: {e}"[:120]] += 1
            continue
        lang_match = _FEED_LANG.search(body[:20_000])
        feed_lang = (lang_match[1] or lang_match[2]).decode().lower() if lang_match else None
        for raw in feed.articles[:limit_per_feed]:
            item = Item(name, raw, feed_lang)
            try:
                item.parsed = parse(raw)
            except Rejected as e:
                item.rejected = e.reason
            else:
                item.enrichment = enrich(item.parsed)
            items.append(item)
    return items, feed_errors


def _oracle_date(value: str) -> datetime | None:
    """The date as the standard library reads RFC 822 and ISO 8601: a second opinion on ours."""
    value = value.strip()
    if re.search(r"(?<![\d:.+-])00\d\d(?![\d:])", value):
        return None  # a placeholder year ("01 Jan 0001"), which the standard library would read as 2001
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _fold(text: str) -> str:
    return re.sub(r"\W+", "", text.casefold())


def _title_suffix(item: Item) -> bool:
    assert item.parsed is not None
    title = item.parsed.title
    if _TITLE_HEAD.match(title):
        return True
    tail = _TITLE_TAIL.search(title)
    if not tail:
        return False
    word = tail[1].strip().casefold()
    names = {_fold(n) for n in (item.raw.source.name, item.parsed.source_name) if n}
    return word in _SUFFIX_WORDS or _fold(word) in names


CHECKS: dict[str, Callable[[Item], bool]] = {
    "title_markup": lambda i: bool(_MARKUP.search(i.parsed.title)),  # type: ignore[union-attr]
    "title_suffix": _title_suffix,
    "title_from_text": lambda i: "title_from_text" in i.parsed.notes,  # type: ignore[union-attr]
    "text_tags": lambda i: bool(_TEXT_TAG.search(i.parsed.text)),  # type: ignore[union-attr]
    "text_entities": lambda i: bool(_TEXT_ENTITY.search(i.parsed.text)),  # type: ignore[union-attr]
    "text_broken_inline": lambda i: bool(_BROKEN.search(i.parsed.text)),  # type: ignore[union-attr]
    "text_is_title": lambda i: _fold(i.parsed.text) == _fold(i.parsed.title),  # type: ignore[union-attr]
    "text_boilerplate": lambda i: any(_BOILERPLATE.search(p) for p in i.parsed.text.split("\n\n")),  # type: ignore[union-attr]
    "text_dup_paragraph": lambda i: (
        len(ps := [p for p in i.parsed.text.split("\n\n") if _prose(p)])  # type: ignore[union-attr]
        != len(set(ps))
    ),
    "text_caption_only": lambda i: len(i.parsed.text) < 200 and bool(_CREDIT.search(i.parsed.text)),  # type: ignore[union-attr]
    "text_under_5_words": lambda i: len(i.parsed.text.split()) < 5,  # type: ignore[union-attr]
    "text_source_label": lambda i: bool(re.match(r"\[(?=[^\]]*[A-Za-z])\w[\w .,'&()/-]{1,59}\]", i.parsed.text)),  # type: ignore[union-attr]
    "text_credit_line": lambda i: bool(_CREDIT_LINE.search(i.parsed.text)),  # type: ignore[union-attr]
    "summary_empty": lambda i: not i.enrichment.summary,  # type: ignore[union-attr]
    "summary_is_title": lambda i: _fold(i.enrichment.summary) == _fold(i.parsed.title),  # type: ignore[union-attr]
    "summary_boilerplate": lambda i: bool(_BOILERPLATE.search(i.enrichment.summary)),  # type: ignore[union-attr]
    "summary_dateline": lambda i: bool(_WIRE_DATELINE.match(i.enrichment.summary)),  # type: ignore[union-attr]
    "summary_markup": lambda i: bool(_MARKUP.search(i.enrichment.summary)),  # type: ignore[union-attr]
    "author_not_a_name": lambda i: any(_BAD_AUTHOR.search(a) for a in i.parsed.authors),  # type: ignore[union-attr]
    "author_lost": lambda i: bool(i.raw.authors) and not i.parsed.authors,  # type: ignore[union-attr]
    "date_lost": lambda i: (
        bool(i.raw.published_at)
        and i.parsed.published_at is None  # type: ignore[union-attr]
        and _oracle_date(i.raw.published_at) is not None
    ),  # type: ignore[arg-type]
    "date_differs": lambda i: (
        bool(i.raw.published_at)
        and i.parsed.published_at is not None  # type: ignore[union-attr]
        and (o := _oracle_date(i.raw.published_at)) is not None
        and o != i.parsed.published_at
    ),  # type: ignore[union-attr,arg-type]
    "date_placeholder": lambda i: (
        i.parsed.published_at is not None  # type: ignore[union-attr]
        and bool(re.search(r"(?<![\d:.+-])00\d\d(?![\d:])", i.raw.published_at or ""))
    ),
    "date_missing_in_feed": lambda i: not i.raw.published_at,
    "url_missing": lambda i: i.parsed.url is None,  # type: ignore[union-attr]
    "url_relative_in_raw": lambda i: bool(i.raw.url) and not i.raw.url.startswith(("http://", "https://")),  # type: ignore[union-attr]
    "language_missing": lambda i: i.enrichment.language is None,  # type: ignore[union-attr]
    "language_differs_from_feed": lambda i: (
        bool(i.feed_lang)
        and i.enrichment.language is not None  # type: ignore[union-attr]
        and i.enrichment.language != i.feed_lang
    ),  # type: ignore[union-attr]
}


def _show(item: Item) -> str:
    raw, parsed, enr = item.raw, item.parsed, item.enrichment
    lines = [f"--- {item.feed}  {raw.url}", f"  raw.title   {raw.title!r}", f"  raw.authors {raw.authors!r}",
             f"  raw.date    {raw.published_at!r}", f"  raw.content {raw.content_type} {raw.content[:300]!r}"]  # fmt: skip
    if raw.summary and raw.summary != raw.content:
        lines.append(f"  raw.summary {raw.summary[:200]!r}")
    if item.rejected:
        lines.append(f"  REJECTED {item.rejected}")
    if parsed and enr:
        lines += [f"  title   {parsed.title!r}", f"  authors {parsed.authors!r}", f"  date    {parsed.published_at}",
                  f"  lang    {enr.language} (feed {item.feed_lang})", f"  text    {parsed.text[:300]!r}",
                  f"  summary {enr.summary[:300]!r}"]  # fmt: skip
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--show", action="append", default=[], help="print examples of this defect kind")
    ap.add_argument("--examples", type=int, default=8)
    ap.add_argument("--limit-per-feed", type=int, default=None)
    args = ap.parse_args(argv)

    started = time.perf_counter()
    items, feed_errors = collect(args.limit_per_feed)
    accepted = [i for i in items if i.parsed is not None]
    counts: collections.Counter[str] = collections.Counter()
    feeds_hit: dict[str, set[str]] = collections.defaultdict(set)
    found: dict[str, list[Item]] = collections.defaultdict(list)
    for item in accepted:
        for kind, check in CHECKS.items():
            if check(item):
                counts[kind] += 1
                feeds_hit[kind].add(item.feed)
                found[kind].append(item)
    names: dict[str, collections.Counter[str | None]] = collections.defaultdict(collections.Counter)
    for item in accepted:
        names[item.feed][item.parsed.source_name] += 1  # type: ignore[union-attr]
    for item in accepted:
        if item.parsed.source_name != names[item.feed].most_common(1)[0][0]:  # type: ignore[union-attr]
            counts["source_name_varies_in_feed"] += 1
            feeds_hit["source_name_varies_in_feed"].add(item.feed)
            found["source_name_varies_in_feed"].append(item)
    rejected = collections.Counter(i.rejected for i in items if i.rejected)
    for item in items:
        if item.rejected:
            found[f"rejected:{item.rejected}"].append(item)
            feeds_hit[f"rejected:{item.rejected}"].add(item.feed)

    feeds = len({i.feed for i in items})
    print(f"{len(items)} items from {feeds} feeds ({len(feed_errors)} feeds unreadable), {len(accepted)} accepted, "
          f"{time.perf_counter() - started:.0f} s")  # fmt: skip
    for error in feed_errors:
        print(f"  unreadable: {error}")
    print(f"{'defect':<28} {'items':>6} {'feeds':>6}")
    for reason, n in sorted(rejected.items()):
        print(f"{'rejected:' + reason:<28} {n:>6} {len(feeds_hit['rejected:' + reason]):>6}")
    for kind in [*CHECKS, "source_name_varies_in_feed"]:
        print(f"{kind:<28} {counts[kind]:>6} {len(feeds_hit[kind]):>6}")
    for kind in args.show:
        print(f"\n=== {kind}")
        seen_feeds: set[str] = set()
        shown = 0
        for item in found.get(kind, []):  # one example a feed first: a count is often one feed's habit
            if item.feed in seen_feeds:
                continue
            seen_feeds.add(item.feed)
            print(_show(item))
            shown += 1
            if shown >= args.examples:
                break
    return 0


if __name__ == "__main__":
    sys.exit(main())
