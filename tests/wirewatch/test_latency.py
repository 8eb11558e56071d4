"""latency: observations from many processes add up into cumulative Prometheus buckets."""

from __future__ import annotations

import redis

from wirewatch.latency import BUCKETS_S, LatencyRecorder, read_histograms


def test_buckets_are_cumulative_and_add_up_across_recorders(client: redis.Redis) -> None:
    """Two recorders (two worker processes) flush into one histogram; buckets count everything at or below."""
    first, second = LatencyRecorder(), LatencyRecorder()
    for seconds in (0.0002, 0.0007, 0.003):
        first.observe("parse", seconds)
    second.observe("parse", 20.0)  # beyond the last bound: only +Inf counts it
    first.flush(client)
    second.flush(client)
    h = read_histograms(client)["parse"]
    bounds = dict(h.buckets)
    assert bounds["0.0005"] == 1 and bounds["0.001"] == 2 and bounds["0.005"] == 3 and bounds["10.0"] == 3
    assert bounds["+Inf"] == 4 and h.count == 4
    assert abs(h.total - 20.0039) < 1e-9
    assert len(h.buckets) == len(BUCKETS_S) + 1


def test_boundary_values_fall_in_their_bucket(client: redis.Redis) -> None:
    """A value equal to a bound counts in that bound's bucket (Prometheus' le is inclusive)."""
    recorder = LatencyRecorder()
    recorder.observe("emit", 0.001)
    recorder.flush(client)
    assert dict(read_histograms(client)["emit"].buckets)["0.001"] == 1
