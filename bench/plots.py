"""Plots of how each cost grows with the work, linked from BENCHMARKS.md (DESIGN §6).

One PNG per benchmark that has a growth axis, drawn from that benchmark's results:

- ``pipeline``: articles/s against subscriptions loaded (in-process) and against worker processes (Celery);
- ``match``: ms per article against subscriptions, percolator and brute force;
- ``stories``: check-and-insert latency and bytes per article against stored articles;
- ``feed_polls``: polls/s against the number of feeds, beside bare conditional GETs.

``python -m bench`` saves each benchmark's results to ``bench/results/<name>.json`` and draws its plot into
``bench/plots/<name>.png``; ``python -m bench.plots`` redraws every plot from the saved results without
measuring again (to change a plot's look, not its numbers).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import REPO

PLOTS_DIR = REPO / "bench" / "plots"
RESULTS_DIR = REPO / "bench" / "results"


def _figure(panels: int) -> tuple[Any, list[Any]]:
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, panels, figsize=(5.2 * panels, 3.6), dpi=100, squeeze=False)
    return fig, list(axes[0])


def _save(fig: Any, name: str) -> Path:
    import matplotlib.pyplot as plt

    PLOTS_DIR.mkdir(parents=True, exist_ok=True)
    path = PLOTS_DIR / f"{name}.png"
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})  # no version stamp: the file changes only with its numbers
    plt.close(fig)
    return path


def _dress(ax: Any, xlabel: str, ylabel: str, title: str, *, ylog: bool = False, top: float | None = None) -> None:
    """What every panel has: a log x axis (the work grows by factors), labels, a title and a small legend; a
    linear y axis starts at 0. Custom x ticks are set after this (the log scale would replace them)."""
    ax.set_xscale("log")
    if ylog:
        ax.set_yscale("log")
    else:
        ax.set_ylim(0, top)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=8)


def plot_pipeline(r: dict[str, Any]) -> Path:
    m = r["median_per_s"]
    fig, (subs, procs) = _figure(2)
    series = [(0, m["in_process_no_subscriptions"]), (1000, m.get("in_process_1k_subscriptions")),
              (r["subscriptions"], m["in_process"])]  # fmt: skip
    series = [(n, v) for n, v in series if v is not None]
    xs = [max(n, 1) for n, _ in series]  # 0 drawn at 1 on the log axis, labelled 0
    subs.plot(xs, [v for _, v in series], "o-", label="in-process, measured")
    subs.axhline(200, color="grey", linestyle="--", linewidth=1, label="goal: 200/s per core")
    _dress(subs, "subscriptions loaded", "articles/s (median)", "one process, no Celery")
    subs.set_xticks(xs, [f"{n:,}" for n, _ in series])

    one = m["celery_1"]
    procs.plot([1, 2], [one, m["celery_2"]], "o-", label="Celery worker processes, measured")
    procs.plot([1, 2], [one, 2 * one], ":", color="grey", label="linear from 1 process")
    procs.plot([1, 2], [m["in_process"], 2 * m["in_process"]], "--", color="tab:green", linewidth=1,
               label="in-process rate × cores")  # fmt: skip
    _dress(procs, f"worker processes ({r['subscriptions']:,} subscriptions)", "articles/s (median)",
           "scale-out on the machine's 2 cores")  # fmt: skip
    procs.set_xscale("linear")  # two points: 1 and 2
    procs.set_xticks([1, 2])
    return _save(fig, "pipeline")


def plot_match(r: dict[str, Any]) -> Path:
    fig, (lat,) = _figure(1)
    xs = [s["subscriptions"] for s in r["sizes"]]
    lat.plot(xs, [s["ids"]["p50_ms"] for s in r["sizes"]], "o-", label="percolator: which match, p50")
    lat.plot(xs, [s["ids"]["p99_ms"] for s in r["sizes"]], "o:", color="tab:blue", label="percolator: p99")
    lat.plot(xs, [s["full"]["p50_ms"] for s in r["sizes"]], "s-", color="tab:orange",
             label="+ matched terms, p50")  # fmt: skip
    lat.plot(xs, [s["ids"]["brute_p50_ms"] for s in r["sizes"]], "^-", color="tab:red", label="brute force, p50")
    _dress(lat, "subscriptions", "CPU ms per article", "matching one article", ylog=True)
    return _save(fig, "match")


def plot_stories(r: dict[str, Any]) -> Path:
    rows = r["cost"]["rows"]
    fig, (lat, mem) = _figure(2)
    xs = [row["stored"] for row in rows]
    for key, style, label in (("p50_ms", "o-", "p50, client"), ("p99_ms", "o:", "p99, client"),
                              ("server_p50_ms", "s-", "p50, inside Redis"), ("server_p99_ms", "s:", "p99, inside Redis")):  # fmt: skip
        lat.plot(xs, [row[key] for row in rows], style, label=label)
    lat.axhline(2, color="grey", linestyle="--", linewidth=1, label="goal: p50 ≤ 2 ms")
    _dress(lat, "articles stored in the index", "ms per check-and-insert", "near-duplicate check-and-insert")
    mem.plot(xs, [row["bytes_per_article"] for row in rows], "o-")
    mem.axhline(1000, color="grey", linestyle="--", linewidth=1, label="goal: ≤ 1 KB")
    _dress(mem, "articles stored in the index", "Redis bytes per article", "index memory", top=1200)
    return _save(fig, "stories")


def plot_feed_polls(r: dict[str, Any]) -> Path:
    sizes = r["sizes"]
    fig, (rate,) = _figure(1)
    xs = [s["feeds"] for s in sizes]
    rate.plot(xs, [s["unchanged_polls_per_s"] for s in sizes], "o-", label="poll_feed, unchanged feeds")
    rate.plot(xs, [s["bare_conditional_gets_per_s"] for s in sizes], "s:", label="anchor: bare conditional GETs")
    rate.plot(xs, [s["first_pass_per_s"] for s in sizes], "^-", label="first poll (full body, parse, hand-off)")
    _dress(rate, f"feeds polled ({sizes[0]['threads']} threads, loopback)", "feeds per second", "feed polling")
    rate.set_xticks(xs, [f"{x:,}" for x in xs])
    return _save(fig, "feed_polls")


PLOTS: dict[str, Callable[[dict[str, Any]], Path]] = {
    "pipeline": plot_pipeline,
    "match": plot_match,
    "stories": plot_stories,
    "feed_polls": plot_feed_polls,
}


def save_results(name: str, result: dict[str, Any]) -> None:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    text = json.dumps(result, indent=1, sort_keys=True, default=str)
    (RESULTS_DIR / f"{name}.json").write_text(text + "\n", encoding="utf-8")


def link(name: str) -> str:
    """The markdown that shows a benchmark's plot (a path relative to BENCHMARKS.md)."""
    return f"![{name}: cost against the work](bench/plots/{name}.png)"


def main(argv: list[str]) -> int:
    """Redraw plots from the saved results (all, or the names given)."""
    for name in argv or list(PLOTS):
        path = RESULTS_DIR / f"{name}.json"
        if not path.exists():
            sys.stderr.write(f"{name}: no saved results ({path}); run `python -m bench {name}` first\n")
            return 1
        PLOTS[name](json.loads(path.read_text(encoding="utf-8")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
