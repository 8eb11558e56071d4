"""POST /v1/articles on loopback: request latency (single article and batches of 100) and accepted articles/s.

The server is ``wirewatch serve`` in its own process (one uvicorn process: one core at most); this process is
the client. Side by side in one run, the anchor is the same 10,000 articles handed to ``Submitter.submit``
directly in-process (ledger + enqueue, no HTTP), so the ratio is what the HTTP layer costs. Afterwards a
worker drains the queue and every accepted delivery must end emitted, duplicate or rejected (none lost).

    python -m bench.http_bench [--articles 10000] [--singles 500] [--clients 4] [--no-settle]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from bench.common import REPO, machine, pct, throwaway_redis
from producers.inbox import record_to_raw
from producers.submit import Submitter
from schemas import RawSource
from wirewatch import constants as c
from wirewatch.logs import configure_logging
from wirewatch.outcomes import Outcomes, read_status
from wirewatch.queue import celery_app
from wirewatch.redis_server import connect
from wirewatch.settings import load_settings

TOKEN = "bench-token-0123456789abcdef"  # noqa: S105 - a throwaway server's token
HEADERS = {"Authorization": f"Bearer {TOKEN}"}
WORDS = ["harbour", "council", "bridge", "river", "storm", "market", "election", "court", "minister", "police", "school", "hospital", "budget", "train", "airport", "festival", "museum", "factory", "strike", "report", "vote"]  # fmt: skip


def record(n: int, run: str) -> dict[str, Any]:
    """A distinct article of ~120 words (distinct URL and text, so each is emitted once)."""
    body = " ".join(WORDS[(n * 7 + i * 3) % len(WORDS)] for i in range(110))
    return {"title": f"Bench story {run} {n}", "url": f"https://bench.example/{run}/{n}", "source": "Bench Wire",
            "text": f"Story {run}-{n}. {body}.", "published": "2024-05-01T10:00:00Z"}  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def post_many(base: str, bodies: list[bytes], clients: int) -> tuple[list[float], list[str]]:
    """POST every body (``clients`` keep-alive connections in parallel); latencies in ms and accepted ids."""
    latencies: list[float] = []
    accepted: list[str] = []
    lock = threading.Lock()
    chunks = [bodies[i::clients] for i in range(clients)]

    def worker(mine: list[bytes]) -> None:
        with httpx.Client(base_url=base, headers={**HEADERS, "Content-Type": "application/json"}, timeout=60) as http:
            for body in mine:
                started = time.perf_counter()
                response = http.post("/v1/articles", content=body)
                elapsed = (time.perf_counter() - started) * 1e3
                if response.status_code != 202:
                    raise RuntimeError(f"{response.status_code}: {response.text[:200]}")
                ids = [a["delivery_id"] for a in response.json()["accepted"]]
                with lock:
                    latencies.append(elapsed)
                    accepted.extend(ids)

    threads = [threading.Thread(target=worker, args=(chunk,)) for chunk in chunks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, accepted


def direct(url: str, records: list[dict[str, Any]]) -> float:
    """The anchor: the same records through Submitter.submit in batches of 100, in-process; articles/s."""
    settings = load_settings(None, redis_url=url)
    client = connect(url)
    app = celery_app(url)
    submitter = Submitter(client, app, Outcomes(client, settings), settings.batch_size)
    source = RawSource(kind="http", name="bench")
    started = time.perf_counter()
    for start in range(0, len(records), 100):
        raws = [record_to_raw(r, uuid.uuid4().hex, source) for r in records[start : start + 100]]
        submitter.submit(raws)
    elapsed = time.perf_counter() - started
    app.close()
    return len(records) / elapsed


def settle(url: str, ids: list[str], timeout: float) -> dict[str, int]:
    """Run a worker until every delivery has a status; count the states (missing ones as 'lost')."""
    env = {**os.environ, "WIREWATCH_REDIS_URL": url, "WIREWATCH_LOG_LEVEL": "warning", "WIREWATCH_LOG_FORMAT": "json"}
    worker = subprocess.Popen([sys.executable, "-m", "wirewatch", "worker", "--concurrency", "2"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    client = connect(url)
    deadline = time.monotonic() + timeout
    try:
        while client.zcard(c.LEDGER_PENDING) and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    counts: dict[str, int] = {}
    for start in range(0, len(ids), 1000):
        for status in read_status(client, ids[start : start + 1000]).values():
            state = "lost" if status is None else str(status["state"])
            counts[state] = counts.get(state, 0) + 1
    return counts


def run(articles: int = 10_000, singles: int = 500, clients: int = 4, do_settle: bool = True) -> dict[str, Any]:
    records = [record(n, "b") for n in range(articles)]
    batches = [json.dumps(records[i : i + 100]).encode() for i in range(0, articles, 100)]
    one = [json.dumps(record(n, "s")).encode() for n in range(singles)]
    result: dict[str, Any] = {"articles": articles, "singles": singles, "clients": clients}
    with throwaway_redis() as url:
        port = free_port()
        env = {**os.environ, "WIREWATCH_REDIS_URL": url, "WIREWATCH_LOG_LEVEL": "warning",
               "WIREWATCH_LOG_FORMAT": "json", "WIREWATCH_HTTP__PORT": str(port), "WIREWATCH_HTTP__RATE_LIMIT": "0",
               "WIREWATCH_HTTP__TOKENS": json.dumps([{"name": "bench", "token": TOKEN}])}  # fmt: skip
        server = subprocess.Popen([sys.executable, "-m", "wirewatch", "serve"], env=env, cwd=REPO,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 20
            while True:
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("server did not start")
                time.sleep(0.1)
            post_many(base, one[:50], 1)  # warm-up: connections, imports, the settle script
            lat_single, ids_single = post_many(base, one[50:], 1)
            cpu0 = cpu_seconds(server.pid)
            lat_batch1, ids_batch1 = post_many(base, batches[: len(batches) // 2], 1)
            started = time.perf_counter()
            lat_batchn, ids_batchn = post_many(base, batches[len(batches) // 2 :], clients)
            wall = time.perf_counter() - started
            cpu = cpu_seconds(server.pid) - cpu0
        finally:
            server.terminate()
            server.wait(timeout=20)
        accepted = ids_batch1 + ids_batchn
        half = len(ids_batchn)
        result.update(
            single_ms={"p50": statistics.median(lat_single), "p99": pct(lat_single, 0.99), "n": len(lat_single)},
            batch100_ms={"p50": statistics.median(lat_batch1), "p99": pct(lat_batch1, 0.99), "n": len(lat_batch1)},
            batch100_concurrent_ms={"p50": statistics.median(lat_batchn), "p99": pct(lat_batchn, 0.99),
                                    "n": len(lat_batchn)},
            accepted=len(accepted),
            accepted_per_s_concurrent=half / wall,
            accepted_per_server_cpu_s=len(accepted) / cpu,
        )  # fmt: skip
        anchor_records = [record(n, "anchor") for n in range(articles)]
        result["direct_submit_per_s"] = direct(url, anchor_records)
        result["http_vs_direct"] = result["accepted_per_server_cpu_s"] / result["direct_submit_per_s"]
        if do_settle:
            started = time.perf_counter()
            result["settled"] = settle(url, accepted + ids_single, timeout=600)
            result["settle_s"] = time.perf_counter() - started
    result["machine"] = machine()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--singles", type=int, default=500)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--no-settle", action="store_true", help="Skip draining the queue with a worker.")
    args = parser.parse_args()
    configure_logging("warning", "json")
    r = run(args.articles, args.singles, args.clients, not args.no_settle)
    print(json.dumps(r, indent=2))


if __name__ == "__main__":
    main()
