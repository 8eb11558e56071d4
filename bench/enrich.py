"""The enrich stage per article, side by side with the naive composition of field libraries.

Articles: the 181 scrapinghub gold bodies (median ~3,200 characters). Anchor: yake keywords + py3langid on the
full text + ftfy on everything, the composition a first version would write. Our candidates (the whole stage,
each of its parts, and with ``--baseline REF`` the whole stage as of a git ref) alternate article by article, so
that the noise of a shared machine falls on all of them alike. The anchor runs in blocks of 16 articles, each
beside ours on the same 16 articles (before them and after them in turn), not between every two of our
articles: its ~60 ms of yake and ftfy per article evict our word lists and language tables from the per-core
caches, which, run article by article, added ~15% to our stage (3.84 ms against 3.32 ms in two runs back to
back), a cost of the anchor's, not of the stage's. Blocks of 16 leave that on one article in 16; one block of
all 181 articles (tried) left the two exposed to different stretches of load (the ratio went from 19× to 26×
between two runs). Medians of per-round means; ratios as medians of per-round ratios.

    python -m bench.enrich [--rounds 3] [--baseline main]   # or `python -m bench enrich` for BENCHMARKS.md
"""

from __future__ import annotations

import argparse
import atexit
import importlib
import importlib.util
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import REPO, scrapinghub
from worker.parse import ParsedArticle

NAIVE = "naive: yake + py3langid (full text) + ftfy"
# The anchor runs on this many articles at a time, then our candidates on the same ones (or the other way round).
_ANCHOR_CHUNK = 16


def _articles() -> list[ParsedArticle]:
    out = []
    for item in scrapinghub():
        body = item["body"].strip()
        title, _, text = body.partition("\n")
        if len(title) > 200 or not text.strip():  # no headline line: use the body whole
            title, text = "", body
        out.append(
            ParsedArticle(
                title=title.strip(), text=text.strip(), url=item["url"], canonical_url=item["url"], authors=[],
                published_at=None, source_name=None, source_domain=None,
            )
        )  # fmt: skip
    return out


def _naive() -> Callable[[ParsedArticle], object]:
    import ftfy
    import yake
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    extractor = yake.KeywordExtractor(top=10)

    def run(article: ParsedArticle) -> object:
        text = ftfy.fix_text(article.text)
        title = ftfy.fix_text(article.title)
        return identifier.classify(f"{title}\n{text}"), extractor.extract_keywords(text)

    return run


def _parts() -> dict[str, Callable[[ParsedArticle], object]]:
    from worker.enrich import detect_language, enrich
    from worker.entities import extract_entities
    from worker.geo import countries_for
    from worker.keywords import extract_keywords
    from worker.summary import summarize

    return {
        "enrich (whole stage)": enrich,
        "language": lambda a: detect_language(a.title, a.text),
        "entities": lambda a: extract_entities(a.title, a.text, "en"),
        "keywords": lambda a: extract_keywords(a.title, a.text, "en"),
        "countries": lambda a: countries_for([], a.text, None),
        "summary": lambda a: summarize(a.text, "en"),
    }


_BASELINE_MODULES = ("enrich", "entities", "geo", "keywords", "lexicon", "summary")


def _baseline(ref: str) -> Callable[[ParsedArticle], object]:
    """``enrich`` as of git ``ref``: its modules copied beside ours as ``baseline_worker``, for an A/B in one process."""
    root = Path(tempfile.mkdtemp(prefix="ww-enrich-baseline-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    package = root / "baseline_worker"

    def show(path: str) -> bytes:
        return subprocess.run(["git", "-C", str(REPO), "show", f"{ref}:{path}"], check=True, capture_output=True).stdout

    listed = subprocess.run(["git", "-C", str(REPO), "ls-tree", "-r", "--name-only", ref, "worker/data"],
                            check=True, capture_output=True, text=True).stdout.split()  # fmt: skip
    (package / "data").mkdir(parents=True)
    for path in ["worker/__init__.py", *(f"worker/{m}.py" for m in _BASELINE_MODULES), *listed]:
        data = show(path)
        if path.endswith(".py"):
            code = data.decode("utf-8")
            code = re.sub(rf"\bworker\.({'|'.join(_BASELINE_MODULES)}|data)\b", r"baseline_worker.\1", code)
            data = code.replace("from worker import", "from baseline_worker import").encode("utf-8")
        (package / path.removeprefix("worker/")).write_bytes(data)
    sys.path.insert(0, str(root))
    module = importlib.import_module("baseline_worker.enrich")
    enrich: Callable[[ParsedArticle], object] = module.enrich
    return enrich


def run(rounds: int = 3, with_naive: bool = True, baseline: str | None = None) -> dict[str, Any]:
    articles = _articles()
    parts = _parts()
    candidates = {"enrich (whole stage)": parts.pop("enrich (whole stage)")}
    if baseline:
        candidates[f"enrich (whole stage) as of {baseline}"] = _baseline(baseline)
    candidates.update(parts)
    naive = None
    if with_naive and importlib.util.find_spec("yake") is not None:
        naive = _naive()
    elif with_naive:
        print("bench.enrich: yake is not installed (pip install 'wirewatch[bench]'): naive anchor skipped")
    for fn in [*candidates.values(), *([naive] if naive else [])]:  # warm: word lists, models, caches
        for article in articles[:5]:
            fn(article)
    runs: dict[str, list[float]] = {name: [] for name in candidates}
    naive_runs: list[float] = []
    clock = time.perf_counter

    stages = [name for name in candidates if name.startswith("enrich (whole stage)")]
    others = [name for name in candidates if name not in stages]

    def ours(first: int, chunk: list[ParsedArticle]) -> None:
        # Interleaved article by article, so that a burst of load on the shared machine hits every candidate alike;
        # the whole stage and its baseline take turns at going first, then the parts follow.
        for i, article in enumerate(chunk, first):
            for name in (stages if i % 2 == 0 else stages[::-1]) + others:
                fn = candidates[name]
                started = clock()
                fn(article)
                spent[name] += clock() - started

    def anchor(first: int, chunk: list[ParsedArticle]) -> None:
        assert naive is not None
        started = clock()
        for article in chunk:
            naive(article)
        naive_spent[0] += clock() - started

    for r in range(rounds):
        spent = dict.fromkeys(candidates, 0.0)
        naive_spent = [0.0]
        for c, first in enumerate(range(0, len(articles), _ANCHOR_CHUNK)):
            chunk = articles[first : first + _ANCHOR_CHUNK]
            blocks = [ours] if naive is None else ([anchor, ours] if (c + r) % 2 == 0 else [ours, anchor])
            for block in blocks:
                block(first, chunk)
        for name, seconds in spent.items():
            runs[name].append(seconds / len(articles) * 1000)
        if naive is not None:
            naive_runs.append(naive_spent[0] / len(articles) * 1000)
    if naive_runs:
        runs[NAIVE] = naive_runs
    median = {name: statistics.median(values) for name, values in runs.items()}
    chars = statistics.median(len(a.title) + len(a.text) for a in articles)
    return {"articles": len(articles), "median_chars": chars, "rounds": rounds, "ms": median, "runs": runs}


def render(r: dict[str, Any]) -> str:
    ms = r["ms"]
    naive = ms.get(NAIVE)
    stage = ms["enrich (whole stage)"]
    lines = [
        "## Enrich stage (language, entities, keywords, countries, summary)",
        "",
        f"{r['articles']} scrapinghub gold bodies (median {r['median_chars']:.0f} characters), medians of "
        f"{r['rounds']} rounds; our candidates interleaved article by article, the naive anchor in blocks of "
        f"{_ANCHOR_CHUNK} articles beside ours (see `bench/enrich.py`). Command: `python -m bench enrich`.",
        "",
        "| what | ms per article (median) | ratio |",
        "|---|---:|---:|",
    ]
    for name, value in ms.items():
        ratio = f"{value / stage:.2f} × our stage" if name == NAIVE else f"{value / stage:.2f}"
        lines.append(f"| {name} | {value:.2f} | {ratio} |")
    if naive:
        per_round = [n / s for n, s in zip(r["runs"][NAIVE], r["runs"]["enrich (whole stage)"], strict=True)]
        lines += ["", f"Our stage does in {stage:.2f} ms what the naive composition does in {naive:.1f} ms "
                  f"({statistics.median(per_round):.1f}× faster, median of the per-round ratios), and it also extracts "
                  "entities, countries and a summary."]  # fmt: skip
    for name in ms:
        if name.startswith("enrich (whole stage) as of"):
            per_round = [b / s for b, s in zip(r["runs"][name], r["runs"]["enrich (whole stage)"], strict=True)]
            lines += ["", f"Against {name.removeprefix('enrich (whole stage) as of ')}: "
                      f"{statistics.median(per_round):.2f}× faster (median of the per-round ratios)."]  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-naive", action="store_true", help="skip the (slow) naive anchor")
    parser.add_argument("--baseline", metavar="REF", help="also time the whole stage as of this git ref (e.g. main)")
    args = parser.parse_args()
    print(render(run(args.rounds, with_naive=not args.no_naive, baseline=args.baseline)))


if __name__ == "__main__":
    main()
