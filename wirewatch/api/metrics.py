"""Prometheus metrics: pipeline state read from Redis at scrape time, HTTP timings measured in-process.

The pipeline's numbers (outcomes, pending ledger, queue depth, stream lengths) live in Redis, shared by every
worker, so they are read on each scrape by a custom collector instead of being counted by this process: any
API replica reports the same truth. Each app has its own registry, so two apps in one process (tests) do
not collide.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import redis
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from producers.schedule import FeedSchedule
from wirewatch import constants as c
from wirewatch.latency import read_histograms
from wirewatch.runner import queue_depth
from wirewatch.settings import Settings

LATENCY_BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Any token is a valid HTTP method: as a label, a client's made-up ones would each add a set of series.
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"})


class PipelineCollector(Collector):
    """Reads wirewatch's shared state from Redis on each scrape."""

    def __init__(self, client: redis.Redis, settings: Settings) -> None:
        self.client = client
        self.settings = settings

    def collect(self) -> Iterator[Metric]:
        s = self.settings
        pipe = self.client.pipeline(transaction=False)
        pipe.hgetall(c.STATS)
        pipe.zcard(c.LEDGER_PENDING)
        pipe.zrange(c.LEDGER_PENDING, 0, 0, withscores=True)
        pipe.xlen(s.events_stream)
        pipe.xlen(s.alerts_stream)
        pipe.xlen(c.DEAD_STREAM)
        pipe.hgetall(c.ALERT_STATS)
        try:
            outcomes, pending, oldest, events, alerts, dead, alert_outcomes = pipe.execute()
            depth = queue_depth(self.client)
        except redis.RedisError:
            yield GaugeMetricFamily("wirewatch_redis_up", "1 when Redis answered this scrape.", value=0)
            return
        yield GaugeMetricFamily("wirewatch_redis_up", "1 when Redis answered this scrape.", value=1)
        articles = CounterMetricFamily("wirewatch_articles", "Deliveries settled, by outcome (lifetime).",
                                       labels=["outcome"])  # fmt: skip
        for outcome, count in sorted(outcomes.items()):
            articles.add_metric([str(outcome)], float(count))
        yield articles
        alerting = CounterMetricFamily(
            "wirewatch_alerts", "Alerts raised and webhook deliveries, by outcome (lifetime).", labels=["outcome"]
        )
        for outcome, count in sorted(alert_outcomes.items()):
            alerting.add_metric([str(outcome)], float(count))
        yield alerting
        yield GaugeMetricFamily("wirewatch_ledger_pending", "Deliveries accepted and not yet settled.", value=pending)
        age = time.time() - float(oldest[0][1]) if oldest else 0.0
        yield GaugeMetricFamily("wirewatch_ledger_oldest_pending_seconds", "Age of the oldest unsettled delivery.",
                                value=max(0.0, age))  # fmt: skip
        yield GaugeMetricFamily("wirewatch_queue_depth", "Messages waiting on the ingest queue.", value=depth)
        feeds = GaugeMetricFamily("wirewatch_feeds", "Monitored feeds by health.", labels=["health"])
        health = {"ok": 0, "failing": 0, "broken": 0, "quiet": 0}
        for record in FeedSchedule(self.client).records():
            failing = "failing" if record.state.error_streak else "quiet" if record.quiet else "ok"
            health["broken" if record.broken else failing] += 1
        for state, count in health.items():
            feeds.add_metric([state], count)
        yield feeds
        histograms = read_histograms(self.client)
        stages = HistogramMetricFamily(
            "wirewatch_stage_seconds",
            "Pipeline stage time: parse and enrich per article; dedup, stories, match and emit per batch.",
            labels=["stage"],
        )
        webhooks = HistogramMetricFamily("wirewatch_webhook_seconds", "Webhook POST time, by result.",
                                         labels=["result"])  # fmt: skip
        for name, h in histograms.items():
            if name.startswith("webhook_"):
                webhooks.add_metric([name.removeprefix("webhook_")], h.buckets, h.total)
            else:
                stages.add_metric([name], h.buckets, h.total)
        yield stages
        yield webhooks
        streams = GaugeMetricFamily("wirewatch_stream_length", "Entries in each stream.", labels=["stream"])
        streams.add_metric(["events"], events)
        streams.add_metric(["alerts"], alerts)
        streams.add_metric(["dead"], dead)
        yield streams


class HttpMetrics:
    """The in-process part: request latency by route and status, articles received."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.latency = Histogram(
            "wirewatch_http_request_duration_seconds", "Time to the first response byte, by route.",
            ["method", "route", "status"], buckets=LATENCY_BUCKETS_S, registry=registry,
        )  # fmt: skip
        self.received = Counter("wirewatch_http_articles_received", "Records received over HTTP, by result.",
                                ["result"], registry=registry)  # fmt: skip


def _method_label(method: str) -> str:
    return method if method in HTTP_METHODS else "other"


class TimingMiddleware:
    """Pure ASGI (no BaseHTTPMiddleware): SSE streams pass through untouched, and the cost is one clock read."""

    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def timed_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                route = scope.get("route")
                self.metrics.latency.labels(
                    _method_label(scope["method"]), getattr(route, "path", "unmatched"), str(message["status"])
                ).observe(time.perf_counter() - started)
            await send(message)

        await self.app(scope, receive, timed_send)
