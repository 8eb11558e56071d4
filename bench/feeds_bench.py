"""Feed parsing throughput: raw bytes → RawArticles, side by side with feedparser and fastfeedparser.

    python -m bench.feeds_bench [--rounds 3] [--feedparser-every 4]

Corpus: the 200 real feeds of ``$WIREWATCH_CORPUS/feeds/fastfeedparser/benchmark_data`` (decompressed
before timing). Each parser runs ``--rounds`` times over the same bodies, interleaved, and the median
round is reported. feedparser is ~30× slower, so it runs once on every Nth feed (``--feedparser-every``)
and ours runs on that same subset too: the ratio is always of like with like.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import io
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from producers.feeds import FeedError, parse_feed

REPO = Path(__file__).resolve().parents[1]


def _corpus() -> Path:
    return Path(os.environ.get("WIREWATCH_CORPUS") or REPO.parent / "shared" / "corpus")


def _load() -> list[tuple[str, bytes]]:
    folder = _corpus() / "feeds" / "fastfeedparser" / "benchmark_data"
    files = sorted(folder.glob("*.gz"))
    if not files:
        raise SystemExit(f"no benchmark feeds under {folder} (set WIREWATCH_CORPUS)")
    return [(f"https://feeds.example/{p.stem}", gzip.decompress(p.read_bytes())) for p in files]


def ours(bodies: list[tuple[str, bytes]]) -> int:
    n = 0
    for url, body in bodies:
        with contextlib.suppress(FeedError):
            n += len(parse_feed(body, feed_url=url).articles)
    return n


def ours_json(bodies: list[tuple[str, bytes]]) -> int:
    """Ours plus the JSON serialisation the enqueue step does: the full cost to an enqueue-ready message."""
    n = 0
    for url, body in bodies:
        try:
            for article in parse_feed(body, feed_url=url).articles:
                article.model_dump_json(by_alias=True)
                n += 1
        except FeedError:
            pass
    return n


def with_feedparser(bodies: list[tuple[str, bytes]]) -> int:
    import feedparser

    return sum(len(feedparser.parse(io.BytesIO(body)).entries) for _, body in bodies)


def with_fastfeedparser(bodies: list[tuple[str, bytes]]) -> int:
    import fastfeedparser

    n = 0
    for _, body in bodies:
        try:
            n += len(fastfeedparser.parse(body).entries)
        except Exception:  # noqa: S112 - a parser that fails on a feed counts no entries for it
            continue
    return n


def _time(fn: Callable[[list[tuple[str, bytes]]], int], bodies: list[tuple[str, bytes]]) -> tuple[int, float]:
    start = time.perf_counter()
    n = fn(bodies)
    return n, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--feedparser-every", type=int, default=4)
    args = parser.parse_args()

    bodies = _load()
    subset = bodies[:: args.feedparser_every]
    mb = sum(len(b) for _, b in bodies) / 1e6
    print(f"{len(bodies)} feeds, {mb:.1f} MB; feedparser subset: {len(subset)} feeds")

    try:
        import fastfeedparser  # noqa: F401

        contenders: dict[str, Callable[[list[tuple[str, bytes]]], int]] = {
            "wirewatch": ours,
            "wirewatch+json": ours_json,
            "fastfeedparser": with_fastfeedparser,
        }
    except ImportError:
        contenders = {"wirewatch": ours, "wirewatch+json": ours_json}

    ours(bodies[:5])  # warm imports and caches
    rates: dict[str, list[float]] = {name: [] for name in contenders}
    counts: dict[str, int] = {}
    for _ in range(args.rounds):
        for name, fn in contenders.items():
            n, dt = _time(fn, bodies)
            counts[name] = n
            rates[name].append(n / dt)

    print(f"\nall {len(bodies)} feeds, median of {args.rounds} rounds:")
    print(f"{'parser':<16}{'entries':>9}{'entries/s':>12}")
    for name in contenders:
        print(f"{name:<16}{counts[name]:>9}{statistics.median(rates[name]):>12,.0f}")

    n_fp, dt_fp = _time(with_feedparser, subset)
    sub_rates = [_time(ours, subset) for _ in range(args.rounds)]
    n_ours, dt_ours = sorted(sub_rates, key=lambda x: x[1])[len(sub_rates) // 2]
    fp_rate, ours_rate = n_fp / dt_fp, n_ours / dt_ours
    print(f"\nsame {len(subset)}-feed subset, side by side:")
    print(f"{'feedparser':<16}{n_fp:>9}{fp_rate:>12,.0f}")
    print(f"{'wirewatch':<16}{n_ours:>9}{ours_rate:>12,.0f}")
    print(f"ratio wirewatch / feedparser: {ours_rate / fp_rate:.1f}x")


if __name__ == "__main__":
    main()
