"""Run every benchmark, print a table, write BENCHMARKS.md.

    python -m bench            # all
    python -m bench pipeline   # one

Each run also saves its results to ``bench/results/<name>.json`` and, for the benchmarks with a growth axis
(subscriptions, stored articles, feeds, worker processes), draws ``bench/plots/<name>.png`` (bench/plots.py).
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import (
    enrich,
    faults,
    feeds_bench,
    feeds_poll_bench,
    html,
    latency,
    match_bench,
    metadata,
    pipeline,
    plots,
    stories,
)
from bench.common import REPO, machine

BENCHMARKS: dict[str, Callable[[], dict[str, Any]]] = {
    "pipeline": lambda: pipeline.run(rounds=7, profile=True),  # 7: its Celery rounds swing most (2 ÷ 1: 1.6–2.3)
    "enrich": lambda: enrich.run(rounds=3),
    "html": lambda: html.run(rounds=5),  # 5: its per-round ratios swing ±0.1 on this machine
    "metadata": metadata.run,
    "stories": stories.run,
    "faults": faults.run,
    "match": lambda: match_bench.run(),
    "feeds": lambda: feeds_bench.run(rounds=3),
    "feed_polls": lambda: feeds_poll_bench.run_sizes((100, 300, 1000, 3000)),
    "latency": latency.run,
}


RENDER: dict[str, Callable[[dict[str, Any]], str]] = {
    "pipeline": pipeline.render, "enrich": enrich.render, "html": html.render, "metadata": metadata.render,
    "stories": stories.render,
    "faults": faults.render, "match": match_bench.render_md,
    "feeds": feeds_bench.render, "feed_polls": feeds_poll_bench.render, "latency": latency.render,
}
_SECTION = re.compile(r"<!-- bench:(\w+) -->\n(.*?)\n<!-- /bench:\1 -->", re.S)


def _sections(text: str) -> dict[str, str]:
    return {m[1]: m[2] for m in _SECTION.finditer(text)}


def main(argv: list[str]) -> int:
    names = argv or list(BENCHMARKS)
    results = {name: BENCHMARKS[name]() for name in names}
    info = machine()
    header = [
        "# wirewatch benchmarks",
        "",
        f"Machine: {info['cores']} cores ({info['cpu']}), Python {info['python']}, "
        f"Celery {info['celery']}, redis-py {info['redis-py']}. The machine is shared and noisy: figures are medians, "
        "and ratios are measured side by side in one run. Reproduce everything with `make bench`.",
        "",
    ]  # fmt: skip
    path = Path(REPO / "BENCHMARKS.md")
    # Sections of benchmarks not run this time are kept as they were (each says when it was measured).
    sections = _sections(path.read_text(encoding="utf-8")) if path.exists() else {}
    stamp = f"_Measured {dt.date.today().isoformat()} with `python -m bench {{name}}`._"
    for name, result in results.items():
        plots.save_results(name, result)
        section = RENDER[name](result)
        if name in plots.PLOTS:  # how the cost grows with the work (DESIGN §6)
            plots.PLOTS[name](result)
            section += "\n\n" + plots.link(name)
        sections[name] = section + "\n\n" + stamp.format(name=name)
    body = [f"<!-- bench:{name} -->\n{sections[name]}\n<!-- /bench:{name} -->" for name in BENCHMARKS if name in sections]
    text = "\n".join(header) + "\n" + "\n\n".join(body) + "\n"
    path.write_text(text, encoding="utf-8")
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
