"""End-to-end throughput of text articles in the seed's format, in-process and through Celery.

Articles: the scrapinghub gold bodies (unique texts) in the seed's markdown format. Rounds alternate the
variants so drift on a shared machine hits both; the table reports medians.

    python -m bench.pipeline [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import uuid
from typing import Any

from bench.common import median, scrapinghub, seed_format, throwaway_redis
from schemas import RawArticle, RawSource, utcnow
from wirewatch.logs import configure_logging
from wirewatch.outcomes import Outcomes
from wirewatch.queue import celery_app
from wirewatch.redis_server import connect
from wirewatch.settings import load_settings


def articles(copies: int = 1) -> list[str]:
    pages = scrapinghub()
    texts = []
    for round_ in range(copies):
        for page in pages:
            title = page["body"].split(".")[0][:120] or page["key"]
            url = page["url"] + (f"?page={round_}" if round_ else "")
            body = page["body"] if not round_ else f"Update {round_}. " + page["body"]
            texts.append(seed_format(title, url, body))
    return texts


def raws(texts: list[str]) -> list[RawArticle]:
    return [RawArticle(delivery_id=uuid.uuid4().hex, source=RawSource(kind="other", name="bench"),
                       content_type="text", content=t, received_at=utcnow()) for t in texts]  # fmt: skip


def in_process(texts: list[str], batch: int = 16) -> float:
    """Articles per second through parse → dedup → enrich → emit, no Celery."""
    from producers.submit import Submitter
    from worker.enrich import detect_language
    from worker.pipeline import Deps, process

    with throwaway_redis() as url:
        client = connect(url)
        settings = load_settings(None, redis_url=url)
        items = raws(texts)
        submitter = Submitter(client, celery_app(url), Outcomes(client, settings), batch)
        pipe = client.pipeline(transaction=False)
        for raw in items:  # ledger entries, as a producer writes them (not timed: that is the producer's cost)
            pipe.hset("ww:{ww}:ledger:payload", raw.delivery_id, raw.model_dump_json(by_alias=True))
        pipe.execute()
        del submitter
        deps = Deps.create(client, settings)
        detect_language("warm-up", "load the language model before the clock starts")
        ids = [r.delivery_id for r in items]
        started = time.perf_counter()
        for start in range(0, len(ids), batch):
            process(ids[start : start + batch], deps)
        elapsed = time.perf_counter() - started
        assert client.hlen("ww:{ww}:stats") > 0
        return len(ids) / elapsed


def through_celery(texts: list[str], processes: int) -> float:
    """Articles per second from submit to settled, with ``processes`` prefork worker processes."""
    from producers.submit import Submitter

    with throwaway_redis() as url:
        client = connect(url)
        settings = load_settings(None, redis_url=url)
        env = {**os.environ, "WIREWATCH_REDIS_URL": url, "WIREWATCH_LOG_LEVEL": "warning"}
        worker = subprocess.Popen([sys.executable, "-m", "wirewatch", "worker", "--concurrency", str(processes)],
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        try:
            time.sleep(4)  # worker start-up is not part of throughput
            submitter = Submitter(client, celery_app(url), Outcomes(client, settings), settings.batch_size)
            items = raws(texts)
            started = time.perf_counter()
            submitter.submit(items)
            while client.zcard("ww:{ww}:ledger:pending") > 0:
                time.sleep(0.01)
            elapsed = time.perf_counter() - started
            return len(items) / elapsed
        finally:
            worker.terminate()
            worker.wait()


def run(rounds: int = 3) -> dict[str, Any]:
    configure_logging("error", "json")
    texts = articles(copies=3)
    results: dict[str, list[float]] = {"in_process": [], "celery_1": [], "celery_2": []}
    for _ in range(rounds):
        results["in_process"].append(in_process(texts))
        results["celery_1"].append(through_celery(texts, 1))
        results["celery_2"].append(through_celery(texts, 2))
    med = {k: median(v) for k, v in results.items()}
    return {"articles": len(texts), "rounds": rounds, "median_per_s": med, "runs": results,
            "celery_1_vs_in_process": med["celery_1"] / med["in_process"],
            "celery_2_vs_celery_1": med["celery_2"] / med["celery_1"]}  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    out = run(parser.parse_args().rounds)
    for key, value in out["median_per_s"].items():
        print(f"{key:12s} {value:8.1f} articles/s")
    print(f"celery 1 proc / in-process: {out['celery_1_vs_in_process']:.2f}; 2 proc / 1 proc: {out['celery_2_vs_celery_1']:.2f}")
