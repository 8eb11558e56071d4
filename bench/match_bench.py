"""Per-article match latency: the percolator against brute force, side by side, at 10k and 100k subscriptions.

    python -m bench.match_bench [--sizes 1000 3000 10000 30000 100000] [--brute-docs 20] [--seed 7]

Articles are the 181 human-written bodies of the scrapinghub article-extraction benchmark
(``$WIREWATCH_CORPUS/articles/scrapinghub-aeb/ground-truth.json``); the title is the URL slug, the
source its domain, and entities are runs of capitalised words (a stand-in until the enrich stage lands).
Subscriptions are generated from the same corpus vocabulary in the shapes news topics take: single
words, names, phrases, AND/OR groups, NOT exclusions, field-scoped terms, wildcards, and a few
subscriptions with no necessary term at all (``a OR NOT b``), which every article must check.

Every article is matched by both; any disagreement (subscriptions or matched terms) is counted and
fails the run. Times are per article, document building excluded (it is shared and reported apart).
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import os
import random
import re
import statistics
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.common import pct
from schemas import ArticleEvent, Entity, Source
from worker.match import COMMON_WORDS, Percolator, brute_force, document_from_event, evaluate
from worker.query import parse_query, words

# CPU time of this process: the machine's cores are shared and busy, and wall time would charge us for
# other processes' turns. For single-threaded CPU-bound work it equals wall time on an idle core.
clock = time.process_time

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("WIREWATCH_CORPUS", REPO.parent / "shared" / "corpus"))
GOLD = CORPUS / "articles" / "scrapinghub-aeb" / "ground-truth.json"
SIZES = (1_000, 3_000, 10_000, 30_000, 100_000)  # subscriptions: the growth axis of the plot

_NAME_RE = re.compile(r"\b[A-Z][a-z]+(?: [A-Z][a-z]+)+\b")
_PLACES = {"china", "beijing", "london", "paris", "washington", "york", "california", "texas", "europe"}


def load_events() -> list[ArticleEvent]:
    """The gold bodies as ArticleEvents (title from the URL slug, entities from capitalised runs)."""
    gold = json.loads(GOLD.read_text(encoding="utf-8"))
    events = []
    for i, (key, item) in enumerate(sorted(gold.items())):
        body, url = item["articleBody"], item["url"]
        parts = urlsplit(url)
        slug = max(parts.path.split("/"), key=len)
        title = " ".join(w for w in re.split(r"[-_.]", slug) if w.isalpha()).capitalize()
        names = Counter(_NAME_RE.findall(body))
        entities = []
        for name, count in names.most_common(20):
            last = name.split()[-1].lower()
            kind = "place" if last in _PLACES else ("organization" if i % 3 == 0 else "person")
            entities.append(Entity(name=name, type=kind, count=count))
        events.append(
            ArticleEvent(
                id=key[:16],
                story_id=key[:16],
                url=url,
                canonical_url=url,
                source=Source(name=parts.hostname, domain=parts.hostname),
                title=title,
                authors=[],
                published_at=None,
                ingested_at=datetime.now(UTC),
                language="en",
                text=body,
                summary="",
                word_count=len(body.split()),
                entities=entities,
                keywords=[],
                countries=["US"] if i % 2 else ["GB"],
                content_hash=key,
            )
        )
    return events


class QueryMaker:
    """Realistic topic queries from the corpus vocabulary, with its own names and bigrams as phrases.

    Words are drawn with weight sqrt(document frequency): popular topics are subscribed to more often.
    """

    def __init__(self, events: list[ArticleEvent], seed: int) -> None:
        self.rng = random.Random(seed)
        df: Counter[str] = Counter()
        bigrams: Counter[str] = Counter()
        names: Counter[str] = Counter()
        for ev in events:
            ws = words(ev.text)
            # sorted: a set's order changes with PYTHONHASHSEED, and the queries must not change between runs
            df.update(sorted({w for w in ws if len(w) >= 4 and w not in COMMON_WORDS and w.isalpha()}))
            bigrams.update(
                f"{a} {b}" for a, b in itertools.pairwise(ws) if a not in COMMON_WORDS and b not in COMMON_WORDS
            )
            names.update(e.name for e in ev.entities)
        cap = max(3, len(events) // 10)  # words in more than a tenth of articles are not topics
        topical = [(w, n) for w, n in df.items() if 2 <= n <= cap]
        self.words = [w for w, _ in topical]
        self.cum_weights = list(itertools.accumulate(n**0.5 for _, n in topical))
        self.phrases = [b for b, n in bigrams.items() if n >= 2 and len(b) > 8]
        self.names = [n for n, c in names.items() if c >= 1]
        self.domains = sorted({ev.source.domain for ev in events if ev.source.domain})

    def w(self) -> str:
        return self.rng.choices(self.words, cum_weights=self.cum_weights)[0]

    def phrase(self) -> str:
        return '"' + self.rng.choice(self.phrases) + '"'

    def name(self) -> str:
        return '"' + self.rng.choice(self.names) + '"'

    def make(self) -> str:
        r, w = self.rng.random(), self.w
        shapes: list[tuple[float, Callable[[], str]]] = [
            (0.15, lambda: w()),
            (0.08, lambda: self.name()),
            (0.05, lambda: self.phrase()),
            (0.15, lambda: f"{w()} AND {w()}"),
            (0.08, lambda: f"{w()} {w()} {w()}"),
            (0.10, lambda: f"{w()} AND ({w()} OR {w()})"),
            (0.03, lambda: f"({w()} OR {w()} OR {self.phrase()})"),
            (0.08, lambda: f"{w()} AND NOT {w()}"),
            (0.05, lambda: f"{self.rng.choice(['person', 'org', 'place', 'entity'])}:{self.name()}"),
            (0.04, lambda: f"title:{w()} AND {w()}"),
            (0.04, lambda: f"{w()[:5]}* AND {w()}"),
            (0.04, lambda: f"{self.phrase()} AND NOT ({w()} OR {w()})"),
            (0.03, lambda: f"({w()} OR {self.name()}) AND ({w()} OR {w()}) AND NOT {w()}"),
            (0.02, lambda: f"{self.rng.choice(['lang:en', 'country:us', 'country:gb'])} AND {w()}"),
            (0.02, lambda: f"source:{self.rng.choice(self.domains)} AND {w()}"),
            (0.001, lambda: f"{w()} OR NOT {w()}"),
        ]
        for share, make in shapes:
            if r < share:
                return make()
            r -= share
        return f"{w()} AND {w()}"


def measure(n: int, maker: QueryMaker, events: list[ArticleEvent], brute_docs: int) -> dict[str, Any]:
    """Figures for `n` subscriptions: percolator on every article, brute force on the first `brute_docs`."""
    texts = [maker.make() for _ in range(n)]
    t0 = clock()
    subs = [(f"s{i}", parse_query(text)) for i, text in enumerate(texts)]
    parse_s = clock() - t0
    gc.collect()
    tracemalloc.start()  # memory of the compiled index alone (tracing slows it, so timed apart below)
    before = tracemalloc.get_traced_memory()[0]
    perc = Percolator(subs)
    mem = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    del perc
    gc.collect()
    t0 = clock()
    perc = Percolator(subs)
    compile_s = clock() - t0
    roots = [q.root for _, q in subs]
    times: dict[str, list[float]] = {"ids": [], "full": [], "brute_ids": [], "brute_full": []}
    evaluated, matched = [], []
    disagreements = 0
    for i, event in enumerate(events):
        # Each measurement starts from a fresh document: its lazily built positions and memos are
        # part of the cost of whoever needs them first.
        doc = document_from_event(event)
        t0 = clock()
        ids = perc.match_ids(doc)
        times["ids"].append(clock() - t0)
        evaluated.append(perc.stats.evaluated / n)
        matched.append(perc.stats.matched)
        doc = document_from_event(event)
        t0 = clock()
        got = perc.match(doc)
        times["full"].append(clock() - t0)
        if i >= brute_docs:
            continue
        doc = document_from_event(event)
        t0 = clock()
        want_ids = [qi for qi, root in enumerate(roots) if evaluate(root, doc)]
        times["brute_ids"].append(clock() - t0)
        doc = document_from_event(event)
        t0 = clock()
        want = brute_force(subs, doc)
        times["brute_full"].append(clock() - t0)
        disagreements += (got != want) or (ids != want_ids)
    same = len(times["brute_ids"])  # ratios over the same articles only
    out: dict[str, Any] = {
        "subscriptions": n, "articles": len(events), "brute_articles": same,
        "evaluated_share": statistics.mean(evaluated), "median_matches": statistics.median(matched),
        "index_bytes_per_subscription": mem / n, "parse_s": parse_s, "compile_s": compile_s,
        "disagreements": disagreements,
    }  # fmt: skip
    for kind in ("ids", "full"):
        fast, slow = times[kind], times[f"brute_{kind}"]
        out[kind] = {
            "p50_ms": statistics.median(fast) * 1e3, "p99_ms": pct(fast, 0.99) * 1e3,
            "brute_p50_ms": statistics.median(slow) * 1e3, "brute_p99_ms": pct(slow, 0.99) * 1e3,
            "ratio": statistics.median(slow) / statistics.median(fast[:same]),
        }  # fmt: skip
    return out


def run(sizes: tuple[int, ...] = SIZES, brute_docs: int = 20, seed: int = 7) -> dict[str, Any]:
    events = load_events()
    t0 = clock()
    for ev in events:
        document_from_event(ev)
    build_ms = (clock() - t0) / len(events) * 1e3
    maker = QueryMaker(events, seed)
    random.Random(seed).shuffle(events)
    return {
        "articles": len(events),
        "median_chars": statistics.median(len(e.text) for e in events),
        "build_ms": build_ms,
        "sizes": [measure(n, maker, events, brute_docs) for n in sizes],
    }


_LABELS = {"ids": "which subscriptions match", "full": "+ matched terms of every match"}


def render_md(r: dict[str, Any]) -> str:
    """The BENCHMARKS.md section."""
    lines = [
        "## Matching: percolator against brute force",
        "",
        f"{r['articles']} articles (scrapinghub gold bodies, median {r['median_chars']:.0f} characters); "
        "subscriptions generated from their vocabulary in news-topic shapes (see `docs/matching.md`). "
        "CPU ms per article, brute force side by side on the first "
        f"{r['sizes'][0]['brute_articles']} articles in the same run. Building the match document (shared by "
        f"both) costs {r['build_ms']:.2f} ms per article. Command: `python -m bench match` "
        "(or `python -m bench.match_bench`).",
        "",
        "| subscriptions | measured | p50 ms | p99 ms | brute p50 ms | brute p99 ms | ratio (p50) |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for size in r["sizes"]:
        for kind in ("ids", "full"):
            f = size[kind]
            lines.append(
                f"| {size['subscriptions']:,} | {_LABELS[kind]} | {f['p50_ms']:.2f} | {f['p99_ms']:.2f} | "
                f"{f['brute_p50_ms']:.1f} | {f['brute_p99_ms']:.1f} | {f['ratio']:.1f}× |"
            )
    lines.append("")
    for size in r["sizes"]:
        lines.append(
            f"- {size['subscriptions']:,} subscriptions: {size['evaluated_share'] * 100:.1f} % evaluated per "
            f"article beyond the index lookup, median {size['median_matches']:.0f} matches, index "
            f"{size['index_bytes_per_subscription']:.0f} B per subscription, parse {size['parse_s']:.1f} s, "
            f"compile {size['compile_s']:.1f} s, disagreements with brute force: {size['disagreements']} of "
            f"{size['brute_articles']} articles."
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    ap.add_argument("--brute-docs", type=int, default=20, help="articles also matched by brute force")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    if not GOLD.exists():
        print(f"corpus not found at {CORPUS} (set WIREWATCH_CORPUS)", file=sys.stderr)
        return 2
    result = run(tuple(args.sizes), args.brute_docs, args.seed)
    print(render_md(result))
    return 0 if all(size["disagreements"] == 0 for size in result["sizes"]) else 1


if __name__ == "__main__":
    sys.exit(main())
