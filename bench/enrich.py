"""The enrich stage per article, side by side with the naive composition of field libraries.

Articles: the 181 scrapinghub gold bodies (median ~3,200 characters). Anchor: yake keywords + py3langid on the
full text + ftfy on everything, the composition a first version would write. Candidates alternate article by
article, so that the noise of a shared machine falls on all of them alike; medians of per-round means are
reported, with the cost of each part of our stage measured the same way.

    python -m bench.enrich [--rounds 3]       # or `python -m bench enrich` to write BENCHMARKS.md
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import time
from collections.abc import Callable
from typing import Any

from bench.common import scrapinghub
from worker.parse import ParsedArticle


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


def run(rounds: int = 3, with_naive: bool = True) -> dict[str, Any]:
    articles = _articles()
    candidates = dict(_parts())
    if with_naive and importlib.util.find_spec("yake") is not None:
        candidates["naive: yake + py3langid (full text) + ftfy"] = _naive()
    elif with_naive:
        print("bench.enrich: yake is not installed (pip install 'wirewatch[bench]'): naive anchor skipped")
    for fn in candidates.values():  # warm: word lists, models, caches
        for article in articles[:5]:
            fn(article)
    runs: dict[str, list[float]] = {name: [] for name in candidates}
    clock = time.perf_counter
    for _ in range(rounds):
        # Interleaved article by article, so that a burst of load on the shared machine hits every candidate alike.
        spent = dict.fromkeys(candidates, 0.0)
        for article in articles:
            for name, fn in candidates.items():
                started = clock()
                fn(article)
                spent[name] += clock() - started
        for name, seconds in spent.items():
            runs[name].append(seconds / len(articles) * 1000)
    median = {name: statistics.median(values) for name, values in runs.items()}
    chars = statistics.median(len(a.title) + len(a.text) for a in articles)
    return {"articles": len(articles), "median_chars": chars, "rounds": rounds, "ms": median, "runs": runs}


def render(r: dict[str, Any]) -> str:
    ms = r["ms"]
    naive = next((v for k, v in ms.items() if k.startswith("naive")), None)
    stage = ms["enrich (whole stage)"]
    lines = [
        "## Enrich stage (language, entities, keywords, countries, summary)",
        "",
        f"{r['articles']} scrapinghub gold bodies (median {r['median_chars']:.0f} characters), medians of "
        f"{r['rounds']} rounds, candidates interleaved article by article. Command: `python -m bench enrich`.",
        "",
        "| what | ms per article (median) | ratio |",
        "|---|---:|---:|",
    ]
    for name, value in ms.items():
        ratio = f"{value / stage:.2f} × our stage" if name.startswith("naive") else f"{value / stage:.2f}"
        lines.append(f"| {name} | {value:.2f} | {ratio} |")
    if naive:
        lines += ["", f"Our stage does in {stage:.2f} ms what the naive composition does in {naive:.1f} ms "
                  f"({naive / stage:.0f}× faster), and it also extracts entities, countries and a summary."]  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-naive", action="store_true", help="skip the (slow) naive anchor")
    args = parser.parse_args()
    print(render(run(args.rounds, with_naive=not args.no_naive)))


if __name__ == "__main__":
    main()
