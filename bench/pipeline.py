"""End-to-end throughput of text articles in the seed's format, in-process and through Celery, 10k subscriptions.

Articles: the scrapinghub gold bodies in the seed's markdown format, each in three versions (the original and
two near-copies under other URLs: "Update N." before the body), so that dedup and stories do real work.
Subscriptions: 10,000 topic queries made by the match benchmark's generator (`bench.match_bench.QueryMaker`)
from the same corpus, loaded before the clock starts; every alert is written to ``ww:alerts`` as in production.

Variants, each on its own throwaway redis-server, measured side by side in alternating rounds:

- ``in_process``: `worker.pipeline.process` called directly on batches of 16 (parse → dedup → stories →
  enrich → match → emit to Redis), no Celery; and the same without subscriptions, which prices matching and
  alerts;
- ``celery_1`` / ``celery_2``: `wirewatch worker` with one or two prefork processes. Every article is
  submitted (ledger + messages) before the worker starts; the rate is measured between the first and the last
  settled delivery (ingested_at of the events, which Redis stamps), so worker start-up is not counted;
- anchor ``celery_noop``: a Celery no-op task (solo pool, acks late, prefetch 1: our settings) on the same
  broker, one worker process: the ceiling that Celery itself puts on tasks per second.

    python -m bench.pipeline [--rounds 3] [--profile]     # or `python -m bench pipeline`

``--profile`` also runs the in-process variant under pyinstrument and writes the call tree to
``bench/profiles/pipeline.txt``: where the next millisecond is.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import redis

from bench.common import REPO, median, raw_articles, scrapinghub, seed_format, throwaway_redis, write_ledger
from wirewatch import constants as c
from wirewatch.logs import configure_logging
from wirewatch.outcomes import Outcomes
from wirewatch.queue import celery_app
from wirewatch.redis_server import connect
from wirewatch.settings import load_settings

SUBSCRIPTIONS = 10_000
BATCH = 16  # the in-process batch: settings.batch_size's default
NOOP_TASKS = 3000
PROFILE = REPO / "bench" / "profiles" / "pipeline.txt"


def articles(copies: int = 3) -> list[str]:
    pages = scrapinghub()
    texts = []
    for round_ in range(copies):
        for page in pages:
            title = page["body"].split(".")[0][:120] or page["key"]
            url = page["url"] + (f"?page={round_}" if round_ else "")
            body = page["body"] if not round_ else f"Update {round_}. " + page["body"]
            texts.append(seed_format(title, url, body))
    return texts


def subscription_queries(n: int = SUBSCRIPTIONS, seed: int = 7) -> list[str]:
    from bench.match_bench import QueryMaker, load_events

    maker = QueryMaker(load_events(), seed)
    return [maker.make() for _ in range(n)]


def load_subscriptions(client: redis.Redis, queries: list[str]) -> None:
    """Store the subscriptions as `wirewatch subscriptions add` does (validated), in one round trip."""
    from worker.subscriptions import validate

    pipe = client.pipeline(transaction=False)
    for i, query in enumerate(queries):
        sub = validate(f"bench-{i:05d}", query)
        pipe.hset(c.SUBSCRIPTIONS, sub.id, sub.model_dump_json())
    pipe.incr(c.SUBSCRIPTIONS_VERSION)
    pipe.execute()


def in_process(texts: list[str], queries: list[str], profile: Path | None = None) -> dict[str, float]:
    """Articles per second through `worker.pipeline.process`, no Celery."""
    from worker.pipeline import Deps, process

    with throwaway_redis() as url:
        client = connect(url)
        settings = load_settings(None, redis_url=url)
        load_subscriptions(client, queries)
        items = raw_articles(texts)
        write_ledger(client, items)
        # Loads the language model and word lists and compiles the subscriptions before the clock starts, as a
        # worker does when it builds its pipeline.
        deps = Deps.create(client, settings)
        ids = [r.delivery_id for r in items]
        profiler = None
        if profile is not None:
            from pyinstrument import Profiler

            profiler = Profiler()
            profiler.start()
        started = time.perf_counter()
        for start in range(0, len(ids), BATCH):
            process(ids[start : start + BATCH], deps)
        elapsed = time.perf_counter() - started
        if profiler is not None and profile is not None:
            profiler.stop()
            profile.parent.mkdir(parents=True, exist_ok=True)
            profile.write_text(profiler.output_text(unicode=True, color=False), encoding="utf-8")
        if client.hlen(c.LEDGER_PAYLOAD) or not client.xlen(c.EVENTS_STREAM):
            raise RuntimeError("in-process run left deliveries unsettled")
        return {"per_s": len(ids) / elapsed, "alerts_per_article": client.xlen(c.ALERTS_STREAM) / len(ids)}


def _settled_rate(client: redis.Redis, expected: int, timeout_s: float = 600) -> float:
    """Wait until the ledger is empty; the rate between the first and the last emitted event."""
    deadline = time.monotonic() + timeout_s
    while client.hlen(c.LEDGER_PAYLOAD) > 0:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{client.hlen(c.LEDGER_PAYLOAD)} deliveries still pending after {timeout_s} s")
        time.sleep(0.05)
    emitted = int(client.xlen(c.EVENTS_STREAM))
    if emitted < expected * 0.9:
        raise RuntimeError(f"only {emitted} of ~{expected} articles emitted")
    # Stream entry ids are Redis's clock in ms at emit: "<ms>-<seq>".
    first: Any = client.xrange(c.EVENTS_STREAM, count=1)
    last: Any = client.xrevrange(c.EVENTS_STREAM, count=1)
    spread_ms = int(str(last[0][0]).split("-")[0]) - int(str(first[0][0]).split("-")[0])
    settled = sum(int(v) for v in client.hgetall(c.STATS).values())
    return (settled - 1) / (spread_ms / 1000)


def _start_worker(url: str, args: list[str]) -> subprocess.Popen[bytes]:
    env = {**os.environ, "WIREWATCH_REDIS_URL": url, "WIREWATCH_LOG_LEVEL": "warning", "PYTHONPATH": str(REPO)}
    return subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def through_celery(texts: list[str], queries: list[str], processes: int) -> dict[str, float]:
    """Articles per second from the first to the last settled delivery, ``processes`` prefork processes."""
    from producers.submit import Submitter

    with throwaway_redis() as url:
        client = connect(url)
        settings = load_settings(None, redis_url=url)
        load_subscriptions(client, queries)
        Submitter(client, celery_app(url), Outcomes(client, settings), settings.batch_size).submit(raw_articles(texts))
        worker = _start_worker(url, [sys.executable, "-m", "wirewatch", "worker", "-Q", c.INGEST_QUEUE,
                                     "--concurrency", str(processes)])  # fmt: skip
        try:
            return {"per_s": _settled_rate(client, len(texts))}
        finally:
            worker.terminate()
            worker.wait()


def celery_noop(tasks: int = NOOP_TASKS) -> float:
    """No-op tasks per second through one solo worker on our Celery settings: Celery's own ceiling."""
    from bench.noop_app import DONE, NOOP_QUEUE, make_app

    with throwaway_redis() as url:
        client = connect(url)
        app = make_app(url)
        for _ in range(tasks):
            app.send_task("bench.noop", queue=NOOP_QUEUE)
        worker = _start_worker(url, [sys.executable, "-m", "bench.noop_app", url])
        try:
            deadline = time.monotonic() + 300
            while client.llen(NOOP_QUEUE) > 0 or client.llen(DONE) < tasks:
                if time.monotonic() > deadline:
                    raise RuntimeError("no-op tasks did not finish")
                time.sleep(0.02)
            stamps = [float(x) for x in client.lrange(DONE, 0, -1)]
            return (len(stamps) - 1) / (max(stamps) - min(stamps))
        finally:
            worker.terminate()
            worker.wait()


def run(rounds: int = 3, profile: bool = False) -> dict[str, Any]:
    configure_logging("error", "json")
    texts = articles(copies=3)
    queries = subscription_queries()
    results: dict[str, list[float]] = {"in_process": [], "in_process_no_subscriptions": [],
                                       "in_process_1k_subscriptions": [], "celery_1": [], "celery_2": [],
                                       "celery_noop": []}  # fmt: skip
    alerts_per_article = 0.0
    for _ in range(rounds):
        # Alternating, so that drift on the shared machine hits every variant alike.
        measured = in_process(texts, queries)
        results["in_process"].append(measured["per_s"])
        alerts_per_article = measured["alerts_per_article"]
        results["in_process_no_subscriptions"].append(in_process(texts, [])["per_s"])
        results["in_process_1k_subscriptions"].append(in_process(texts, queries[:1000])["per_s"])
        results["celery_1"].append(through_celery(texts, queries, 1)["per_s"])
        results["celery_2"].append(through_celery(texts, queries, 2)["per_s"])
        results["celery_noop"].append(celery_noop())
    if profile:
        in_process(texts, queries, profile=PROFILE)
    med = {k: median(v) for k, v in results.items()}
    return {"articles": len(texts), "subscriptions": len(queries), "rounds": rounds, "median_per_s": med,
            "runs": results, "alerts_per_article": alerts_per_article,
            "celery_1_vs_in_process": med["celery_1"] / med["in_process"],
            "celery_2_vs_celery_1": med["celery_2"] / med["celery_1"],
            "profile": str(PROFILE.relative_to(REPO)) if profile else None}  # fmt: skip


def render(r: dict[str, Any]) -> str:
    m = r["median_per_s"]
    ms = 1000 / m["in_process"]
    lines = [
        "## Pipeline throughput (text articles in the seed's format, 10,000 subscriptions)",
        "",
        f"{r['articles']} articles (the scrapinghub gold bodies and two near-copies of each under other URLs), "
        f"{r['subscriptions']:,} subscriptions from the match benchmark's generator loaded (they raise "
        f"{r['alerts_per_article']:.0f} alerts per article on average, all written to `ww:alerts`), medians of "
        f"{r['rounds']} alternating rounds. Command: `python -m bench pipeline`.",
        "",
        "| variant | articles/s (median) | ratio |",
        "|---|---:|---:|",
        f"| in-process (parse → dedup → stories → enrich → match → emit) | {m['in_process']:.1f} "
        f"({ms:.1f} ms per article) | 1.00 |",
        f"| in-process, no subscriptions (what matching and alerts cost) | "
        f"{m['in_process_no_subscriptions']:.1f} | {m['in_process_no_subscriptions'] / m['in_process']:.2f} |",
        *([f"| in-process, 1,000 of the subscriptions | {m['in_process_1k_subscriptions']:.1f} | "
           f"{m['in_process_1k_subscriptions'] / m['in_process']:.2f} |"] if "in_process_1k_subscriptions" in m else []),
        f"| Celery, 1 worker process | {m['celery_1']:.1f} | {r['celery_1_vs_in_process']:.2f} of in-process |",
        f"| Celery, 2 worker processes | {m['celery_2']:.1f} | {r['celery_2_vs_celery_1']:.2f} × 1 process |",
        f"| anchor: Celery no-op task, 1 solo process | {m['celery_noop']:.0f} tasks/s | — |",
        "",
        f"Raw runs: `{json.dumps({k: [round(x, 1) for x in v] for k, v in r['runs'].items()})}`",
    ]
    if r.get("profile"):
        lines += ["", f"Profile of the in-process run (pyinstrument call tree): `{r['profile']}`."]
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="also write bench/profiles/pipeline.txt")
    args = parser.parse_args()
    print(render(run(args.rounds, args.profile)))
