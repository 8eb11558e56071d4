"""Language accuracy of the enrich stage on the scrapinghub pages, on long and on short text.

Labels: ``bench/data/scrapinghub-languages.tsv`` (161 English pages and 20 in eight other languages), read from
each gold body's text; see the file's header for how. Short texts are each body's first 100 and first 40
characters, the length of a headline or a feed item's teaser; ``None`` ("too short to tell") counts as wrong.

    python -m bench.language_eval
"""

from __future__ import annotations

from pathlib import Path

from bench.common import scrapinghub
from worker.enrich import detect_language

LABELS = Path(__file__).resolve().parent / "data" / "scrapinghub-languages.tsv"


def labels() -> dict[str, str]:
    rows = (line.split("\t") for line in LABELS.read_text(encoding="utf-8").splitlines() if line[:1] != "#")
    return {row[0]: row[1] for row in rows}


def run() -> dict[str, tuple[int, int, list[str]]]:
    gold = labels()
    results: dict[str, tuple[int, int, list[str]]] = {}
    pages = scrapinghub()
    for name, cut in (("whole body", None), ("first 100 characters", 100), ("first 40 characters", 40)):
        right, misses = 0, []
        for page in pages:
            text = page["body"] if cut is None else page["body"][:cut]
            guess = detect_language("", text)
            if guess == gold[page["key"]]:
                right += 1
            else:
                misses.append(f"{page['key'][:12]} {gold[page['key']]}→{guess}")
        results[name] = (right, len(pages), misses)
    return results


def main() -> None:
    print("| text | accuracy | right / pages |\n|---|---:|---:|")
    results = run()
    for name, (right, total, _) in results.items():
        print(f"| {name} | {right / total:.3f} | {right} / {total} |")
    for name, (_, _, misses) in results.items():
        if misses:
            print(f"\n{name}, missed: " + ", ".join(misses))


if __name__ == "__main__":
    main()
