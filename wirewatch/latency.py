"""Latency histograms shared through Redis: workers record, `/metrics` reads.

Each process accumulates observations in memory and flushes them with one pipelined round trip per batch
(``HINCRBY`` per bucket, ``HINCRBYFLOAT`` for the sum), so any number of worker processes add up into one
Prometheus histogram per name (stage latency of the pipeline, webhook delivery time).
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass, field

import redis

from wirewatch import constants as c

# Upper bounds in seconds: from well under a millisecond (a parse) to the webhook timeout.
BUCKETS_S = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass
class LatencyRecorder:
    """Observations of one batch, flushed together."""

    counts: dict[tuple[str, int], int] = field(default_factory=lambda: defaultdict(int))
    sums: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    def observe(self, name: str, seconds: float) -> None:
        self.counts[(name, bisect.bisect_left(BUCKETS_S, seconds))] += 1
        self.sums[name] += seconds

    def flush(self, client: redis.Redis) -> None:
        if not self.sums:
            return
        pipe = client.pipeline(transaction=False)
        for (name, bucket), n in self.counts.items():
            pipe.hincrby(c.LATENCY, f"{name}|{bucket}", n)
            pipe.hincrby(c.LATENCY, f"{name}|count", n)
        for name, total in self.sums.items():
            pipe.hincrbyfloat(c.LATENCY, f"{name}|sum", total)
        pipe.execute()
        self.counts.clear()
        self.sums.clear()


@dataclass(frozen=True)
class Histogram:
    buckets: list[tuple[str, float]]  # ("0.001", cumulative count) …, ("+Inf", count)
    total: float
    count: int


def read_histograms(client: redis.Redis) -> dict[str, Histogram]:
    """name → cumulative buckets, sum and count, as Prometheus wants them."""
    raw: dict[str, str] = client.hgetall(c.LATENCY)  # type: ignore[assignment]
    names = {key.split("|", 1)[0] for key in raw}
    out = {}
    for name in sorted(names):
        cumulative, buckets = 0, []
        for index, bound in enumerate((*BUCKETS_S, float("inf"))):
            cumulative += int(raw.get(f"{name}|{index}", 0))
            buckets.append(("+Inf" if bound == float("inf") else repr(bound), float(cumulative)))
        out[name] = Histogram(buckets, float(raw.get(f"{name}|sum", 0.0)), int(raw.get(f"{name}|count", 0)))
    return out
