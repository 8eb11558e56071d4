"""Operations endpoints over a real server: liveness, readiness with and without a worker, Prometheus metrics."""

from __future__ import annotations

import time
from typing import Any

import httpx
import redis
from prometheus_client.parser import text_string_to_metric_families

from tests.api.conftest import WRITE
from tests.api.test_receiver import ARTICLE, wait_state
from wirewatch import constants as c


def test_healthz(http: httpx.Client) -> None:
    """/healthz is 200 while the process serves."""
    assert http.get("/healthz").json() == {"status": "ok"}


def test_readyz_needs_a_worker(http: httpx.Client) -> None:
    """Without a worker consuming, /readyz is 503 naming the failing check."""
    response = http.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"redis": True, "workers": False, "queue": True}


def test_readyz_with_a_worker(worker_app: Any, http: httpx.Client) -> None:
    """With a worker answering pings and nothing stuck, /readyz is 200."""
    response = http.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json()["ready"] is True


def test_readyz_sees_a_stuck_queue(worker_app: Any, http: httpx.Client, client: redis.Redis) -> None:
    """A delivery pending far longer than the reconciler allows makes /readyz 503 on the queue check."""
    client.zadd(c.LEDGER_PENDING, {"0123456789abcdef": time.time() - 10 * 86_400})
    body = http.get("/readyz").json()
    assert body["checks"]["queue"] is False and body["ready"] is False


def test_metrics_report_outcomes_queue_and_latency(worker_app: Any, http: httpx.Client) -> None:
    """/metrics is Prometheus text with outcomes from Redis, ledger, queue depth and HTTP latency by route."""
    accepted = http.post("/v1/articles", json=ARTICLE, headers=WRITE).json()["accepted"][0]
    wait_state(http, accepted["status_url"])
    response = http.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(response.text) for s in family.samples}  # fmt: skip
    assert samples[("wirewatch_articles_total", (("outcome", "emitted"),))] == 1
    assert samples[("wirewatch_ledger_pending", ())] == 0
    assert samples[("wirewatch_queue_depth", ())] == 0
    assert samples[("wirewatch_redis_up", ())] == 1
    assert samples[("wirewatch_http_articles_received_total", (("result", "accepted"),))] == 1
    posts = [v for (name, labels), v in samples.items()
             if name == "wirewatch_http_request_duration_seconds_count" and ("route", "/v1/articles") in labels]  # fmt: skip
    assert posts == [1]
    for stage in ("parse", "dedup", "stories", "enrich", "match", "emit"):
        labels = (("stage", stage),)
        assert samples[("wirewatch_stage_seconds_count", labels)] >= 1, stage
        assert samples[("wirewatch_stage_seconds_sum", labels)] > 0, stage
        assert samples[("wirewatch_stage_seconds_bucket", (("le", "+Inf"), ("stage", stage)))] >= 1, stage


def test_readyz_counts_settling_as_consuming(http: httpx.Client, client: redis.Redis) -> None:
    """A worker too busy to answer a ping still counts as consuming while outcomes keep being counted."""
    assert http.get("/readyz").json()["checks"]["workers"] is False
    client.hincrby(c.STATS, "emitted", 1)
    body = http.get("/readyz").json()
    assert body["checks"]["workers"] is True and "settled" in body["detail"]["workers"]


def test_metrics_labels_are_bounded(http: httpx.Client) -> None:
    """Made-up request methods share one `other` label instead of each adding series to /metrics."""
    for n in range(30):
        http.request(f"MADEUP{n}", "/healthz")
    http.get("/healthz")
    families = text_string_to_metric_families(http.get("/metrics").text)
    counts = [s for f in families for s in f.samples if s.name == "wirewatch_http_request_duration_seconds_count"]
    assert {s.labels["method"] for s in counts} == {"GET", "other"}
    assert sum(s.value for s in counts if s.labels["method"] == "other") == 30
