"""HTML articles through the whole pipeline, side by side with trafilatura alone on the same pages.

Pages: the 181 scrapinghub pages (126 sites, median ~115 KB of HTML), each a RawArticle with content type
``html``. Goal (the Throughput issue): our in-process pipeline at ≥ 90 % of the throughput of
``trafilatura.extract(html)`` alone.

The anchor is ``trafilatura.extract`` with its default settings: the text, nothing else — the cheapest thing a
user of trafilatura would call, so the strictest anchor. ``bare_extraction(with_metadata=True)`` (text plus
title, author, date, site: the fields our parse stage also needs) is reported beside it, as is
``extract(fast=True)``, so that the table says where our margin comes from.

Candidates run block by block (16 pages, the pipeline's batch), interleaved, the order alternating from block
to block, so that the noise of a shared machine falls on all of them alike. Each round uses a fresh Redis and
fresh delivery ids (the ledger is written before the clock starts, as a producer would), so that no page is a
duplicate of the round before. Text quality: token F1 of each candidate's text against the human-written gold
body (multisets of lower-cased word tokens, as in the scrapinghub article-extraction benchmark).

    python -m bench.html [--rounds 3]       # or `python -m bench html` to write BENCHMARKS.md
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from bench.common import raw_articles, scrapinghub, throwaway_redis, write_ledger
from schemas import RawArticle
from wirewatch.errors import Rejected
from wirewatch.logs import configure_logging
from wirewatch.redis_server import connect
from wirewatch.settings import load_settings

BLOCK = 16  # pages per block: the pipeline's batch size, and the unit of interleaving
_WORD = re.compile(r"\w+")

ANCHOR = "trafilatura.extract (default)"
PARSE = "our parse stage"
PIPELINE = "our pipeline, in-process"


def token_f1(predicted: str, gold: str) -> float:
    """F1 of the multisets of lower-cased word tokens of ``predicted`` against ``gold``."""
    pred, want = Counter(_WORD.findall(predicted.lower())), Counter(_WORD.findall(gold.lower()))
    overlap = sum((pred & want).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(pred.values()), overlap / sum(want.values())
    return 2 * precision * recall / (precision + recall)


def _raws(pages: list[dict[str, Any]]) -> list[RawArticle]:
    return raw_articles([p["html"] for p in pages], "html", [p["url"] for p in pages])


def _trafilatura() -> dict[str, Callable[[str], str]]:
    import trafilatura

    def with_metadata(html: str) -> str:
        doc = trafilatura.bare_extraction(html, with_metadata=True)
        return (doc.text or "") if doc is not None and not isinstance(doc, dict) else ""

    return {
        ANCHOR: lambda html: trafilatura.extract(html) or "",
        "trafilatura.bare_extraction(with_metadata=True)": with_metadata,
        "trafilatura.extract(fast=True)": lambda html: trafilatura.extract(html, fast=True) or "",
    }


def _parse_text(raw: RawArticle) -> str:
    from worker.parse import parse

    try:
        return parse(raw).text
    except Rejected:
        return ""


def _warm_pipeline(pages: list[dict[str, Any]]) -> None:
    """Load models, word lists and caches, outside the clock and outside the measured Redis."""
    from worker.enrich import detect_language
    from worker.pipeline import Deps, process

    detect_language("warm-up", "load the language model before the clock starts")
    with throwaway_redis() as url:
        client = connect(url)
        items = _raws(pages)
        write_ledger(client, items)
        process([r.delivery_id for r in items], Deps.create(client, load_settings(None, redis_url=url)))


def _round(
    pages: list[dict[str, Any]], quality: dict[str, list[float]] | None
) -> tuple[dict[str, float], Counter[str]]:
    """One round: seconds spent per candidate over all pages, and the pipeline's outcomes."""
    from worker.pipeline import Deps, process

    alone = _trafilatura()
    spent = dict.fromkeys([*alone, PARSE, PIPELINE], 0.0)
    outcomes: Counter[str] = Counter()
    clock = time.perf_counter
    with throwaway_redis() as url:
        client = connect(url)
        deps = Deps.create(client, load_settings(None, redis_url=url))
        raws = _raws(pages)
        write_ledger(client, raws)
        for number, start in enumerate(range(0, len(pages), BLOCK)):
            block, block_raws = pages[start : start + BLOCK], raws[start : start + BLOCK]

            def run_pipeline(block_raws: list[RawArticle] = block_raws) -> None:
                for settled in process([r.delivery_id for r in block_raws], deps):
                    outcomes[settled.outcome.split(":")[0]] += 1

            steps: list[tuple[str, Callable[[], None]]] = []
            for name, fn in alone.items():
                steps.append((name, lambda fn=fn, name=name, block=block: _each(fn, [p["html"] for p in block],
                                                                                 [p["body"] for p in block],
                                                                                 quality, name)))  # fmt: skip
            steps.append((PARSE, lambda block=block, block_raws=block_raws: _each(
                _parse_text, block_raws, [p["body"] for p in block], quality, PARSE)))  # fmt: skip
            steps.append((PIPELINE, run_pipeline))
            for name, step in steps if number % 2 == 0 else reversed(steps):
                started = clock()
                step()
                spent[name] += clock() - started
    return spent, outcomes


def _each(fn: Callable[[Any], str], inputs: list[Any], golds: list[str], quality: dict[str, list[float]] | None,
          name: str) -> None:  # fmt: skip
    """Run ``fn`` on every input; in the quality round, score its text (scoring is a few % of the step)."""
    if quality is None:
        for item in inputs:
            fn(item)
        return
    for item, gold in zip(inputs, golds, strict=True):
        quality.setdefault(name, []).append(token_f1(fn(item), gold))


def run(rounds: int = 3) -> dict[str, Any]:
    configure_logging("error", "json")
    pages = scrapinghub()
    _warm_pipeline(pages[:8])
    for fn in _trafilatura().values():
        for page in pages[:4]:
            fn(page["html"])
    quality: dict[str, list[float]] = {}
    runs: dict[str, list[float]] = {}
    outcomes: Counter[str] = Counter()
    # Round 0 scores quality and is not timed (scoring would weigh on the candidates unevenly).
    _round(pages, quality)
    for _ in range(rounds):
        spent, outcomes = _round(pages, None)
        for name, seconds in spent.items():
            runs.setdefault(name, []).append(len(pages) / seconds)
    per_s = {name: statistics.median(values) for name, values in runs.items()}
    anchor = per_s[ANCHOR]
    # The ratio of medians can hide a round where the two drifted apart: the per-round ratios are kept too.
    ratios = {name: [v / a for v, a in zip(values, runs[ANCHOR], strict=True)] for name, values in runs.items()}
    return {
        "pages": len(pages), "rounds": rounds, "block": BLOCK,
        "median_html_kb": statistics.median(len(p["html"].encode()) for p in pages) / 1000,
        "per_s": per_s, "runs": runs,
        "ratio": {name: value / anchor for name, value in per_s.items()},
        "round_ratios": ratios,
        "f1_mean": {name: statistics.fmean(v) for name, v in quality.items()},
        "f1_median": {name: statistics.median(v) for name, v in quality.items()},
        "outcomes": dict(outcomes),
    }  # fmt: skip


def render(r: dict[str, Any]) -> str:
    lines = [
        "## HTML articles (scrapinghub pages) against trafilatura alone",
        "",
        f"{r['pages']} real article pages from 126 sites (median {r['median_html_kb']:.0f} KB of HTML), each a "
        f"RawArticle with content type `html`; medians of {r['rounds']} rounds, candidates interleaved block by "
        f"block ({r['block']} pages, the pipeline's batch). The pipeline is parse → dedup → stories → enrich → "
        "match → emit to a throwaway Redis (`worker.pipeline.process`); the anchor is `trafilatura.extract(html)` "
        "with default settings (text only). Goal: pipeline ≥ 0.90 × anchor. Text quality: token F1 against the "
        "human-written gold bodies. Command: `python -m bench html`.",
        "",
        "| what | articles/s (median) | ratio to anchor | token F1 mean (median) |",
        "|---|---:|---:|---:|",
    ]  # fmt: skip
    for name, value in r["per_s"].items():
        f1 = (f"{r['f1_mean'][name]:.4f} ({r['f1_median'][name]:.4f})" if name in r["f1_mean"] else
              "same text as our parse stage")  # fmt: skip
        lines.append(f"| {name} | {value:.1f} | {r['ratio'][name]:.2f} | {f1} |")
    per_round = ", ".join(f"{x:.2f}" for x in r["round_ratios"][PIPELINE])
    lines += [
        "",
        f"Pipeline / anchor per round: {per_round}. Pipeline outcomes per round: "
        + ", ".join(f"{k} {v}" for k, v in sorted(r["outcomes"].items())) + ".",
    ]  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    print(render(run(parser.parse_args().rounds)))


if __name__ == "__main__":
    main()
