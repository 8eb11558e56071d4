"""Fault-suite support: our own redis-server on a free loopback port, real worker processes, invariants."""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from producers.submit import Submitter
from schemas import RawArticle
from tests.helpers import free_port, make_raw_article, stream_events
from wirewatch import constants as c
from wirewatch.outcomes import Outcomes, read_status
from wirewatch.queue import celery_app
from wirewatch.redis_server import connect, spawn_redis
from wirewatch.runner import queue_depth
from wirewatch.settings import Settings, load_settings

RECONCILE_AFTER_S = 3.0
WORDS = ["river", "council", "harbour", "budget", "election", "storm", "rail", "strike", "wheat", "harvest", "museum", "comet", "court", "probe", "minister", "market", "bridge", "drought", "shipping", "festival", "vaccine", "hospital", "school", "police", "border"]  # fmt: skip


# The real worker, with its parse stage wrapped to misbehave on marked articles: the poison kinds a worker
# meets in the wild (an exception, a hard exit, a segfault, a memory blow-up), injected where they would occur.
# With WIREWATCH_TEST_DIE_BEFORE_WEBHOOKS naming a file not there yet, the child dies once between writing alerts
# and enqueueing their webhooks; an article whose title holds POISON-BEFORE-EMIT kills its child after its alerts were
# queued and before its emit is, every time (a worker dying there until the delivery is dead-lettered). Slow kinds take their time instead: SLOW a second and a half, HANG until the task's
# soft time limit stops it, STUCK until the hard limit kills the child; WIREWATCH_TEST_SOFT_TIME_LIMIT_S and
# WIREWATCH_TEST_TIME_LIMIT_S shorten the limits so a test meets them.
POISON_HARNESS = """
import ctypes, os, signal, sys, time
import wirewatch.constants as constants
constants.TASK_SOFT_TIME_LIMIT_S = float(os.environ.get("WIREWATCH_TEST_SOFT_TIME_LIMIT_S", constants.TASK_SOFT_TIME_LIMIT_S))
constants.TASK_TIME_LIMIT_S = float(os.environ.get("WIREWATCH_TEST_TIME_LIMIT_S", constants.TASK_TIME_LIMIT_S))
import worker.pipeline as pipeline
real_parse = pipeline.parse
def parse(raw):
    if "POISON-SLOW" in raw.content:
        time.sleep(1.5)
    if "POISON-HANG" in raw.content:
        time.sleep(3600)
    if "POISON-STUCK" in raw.content:  # stuck where the soft limit cannot reach it (C code that never returns)
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
        time.sleep(3600)
    if "POISON-RAISE" in raw.content:
        raise RuntimeError("poisoned article")
    if "POISON-EXIT" in raw.content:
        os._exit(3)
    if "POISON-SEGV" in raw.content:
        ctypes.string_at(0)
    if "POISON-MEMORY" in raw.content:
        hog = bytearray(8 * 1024 ** 3)
    return real_parse(raw)
pipeline.parse = parse
real_enqueue_webhooks = pipeline.enqueue_webhooks
def enqueue_webhooks(send_task, raised):
    flag = os.environ.get("WIREWATCH_TEST_DIE_BEFORE_WEBHOOKS")  # once: the file says it happened
    if raised and flag and not os.path.exists(flag):
        open(flag, "w").close()
        os._exit(9)
    return real_enqueue_webhooks(send_task, raised)
pipeline.enqueue_webhooks = enqueue_webhooks
real_queue_emits = pipeline.queue_emits
def queue_emits(outcomes, items, versions, pipe):
    if any("POISON-BEFORE-EMIT" in event.title for _, event, _, _ in items):
        os._exit(9)
    return real_queue_emits(outcomes, items, versions, pipe)
pipeline.queue_emits = queue_emits
from wirewatch.cli import main
sys.argv = ["wirewatch", *sys.argv[1:]]
main()
"""


class RedisProcess:
    """A redis-server we can kill, stall and restart on the same port and folder."""

    def __init__(self, folder: Path, aof: bool) -> None:
        self.folder = folder
        self.aof = aof
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc, _ = spawn_redis(self.folder, tcp_port=self.port, aof=self.aof)

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def redis_aof(tmp_path: Path) -> Iterator[RedisProcess]:
    """A redis-server of our own on a free loopback port with AOF everysec."""
    server = RedisProcess(tmp_path, aof=True)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_volatile(tmp_path: Path) -> Iterator[RedisProcess]:
    """A redis-server of our own that keeps nothing across a restart."""
    server = RedisProcess(tmp_path, aof=False)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def fault_redis(redis_aof: RedisProcess) -> str:
    return redis_aof.url


LOG_TAIL_LINES = 25  # of each worker's log, in the failure message of a wait that timed out
_POOLS: list[Workers] = []  # the test's worker pools, described when a wait times out


class Workers:
    """`wirewatch worker` processes, each in its own process group so a fault can hit it whole."""

    def __init__(self, url: str, log_dir: Path) -> None:
        self.url = url
        self.log_dir = log_dir
        self.procs: list[subprocess.Popen[bytes]] = []
        self.specs: dict[int, dict[str, Any]] = {}  # pid -> how it was started, for supervise()
        self.restarts = 0
        _POOLS.append(self)

    def describe(self) -> str:
        """Each worker's state (running, or its exit status) and the tail of its log."""
        parts = []
        for n, proc in enumerate(self.procs):
            code = proc.poll()
            state = "running" if code is None else f"exited {code}"
            log = self.log_dir / f"worker-{n}.log"
            lines = log.read_text(encoding="utf-8", errors="replace").splitlines() if log.exists() else []
            parts.append(f"worker {n} (pid {proc.pid}, {state}), last {LOG_TAIL_LINES} log lines:\n"
                         + "\n".join(lines[-LOG_TAIL_LINES:]))  # fmt: skip
        return "\n".join(parts)

    def start(self, concurrency: int = 2, poison: bool = False, url: str | None = None, queues: str | None = None,
              pool: str | None = None, **env_extra: str) -> subprocess.Popen[bytes]:  # fmt: skip
        """Start a worker; with ``poison`` its parse stage misbehaves on marked articles (see POISON_HARNESS)."""
        log = open(self.log_dir / f"worker-{len(self.procs)}.log", "wb")  # noqa: SIM115 - closed with the process
        env = {**os.environ, "WIREWATCH_REDIS_URL": url or self.url, "WIREWATCH_LOG_LEVEL": "info",
               "WIREWATCH_BATCH_SIZE": "8", **env_extra}  # fmt: skip
        args = ["worker", "--concurrency", str(concurrency)]
        args += ["--queues", queues] if queues else []
        args += ["--pool", pool] if pool else []
        cmd = [sys.executable, "-c", POISON_HARNESS, *args] if poison else [sys.executable, "-m", "wirewatch", *args]
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=log, start_new_session=True)
        self.procs.append(proc)
        self.specs[proc.pid] = {"concurrency": concurrency, "poison": poison, "url": url, "queues": queues,
                                "pool": pool, **env_extra}  # fmt: skip
        return proc

    def supervise(self) -> int:
        """Start a replacement for every worker that exited, as the runner's supervisor and docker-compose's
        restart policy do; return how many. Celery can end a worker whose broker connection is torn down under
        it (kombu fails restoring unacked messages on a closed connection: "Unrecoverable error:
        AttributeError ... 'hostname'" in the worker log), which the guarantees cover with a restart."""
        started = 0
        for proc in list(self.procs):
            if proc.pid in self.specs and proc.poll() is not None:
                self.start(**self.specs.pop(proc.pid))
                started += 1
        self.restarts += started
        return started

    def children(self, proc: subprocess.Popen[bytes]) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]

    def stop_all(self) -> None:
        # The whole group, even when its leader has exited: a worker that died on a broker error can leave its
        # pool children running (and connected: they kept an embedded server up after its last user stopped).
        if self in _POOLS:
            _POOLS.remove(self)
        for proc in self.procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:  # until the group's last member has gone
                try:
                    os.killpg(proc.pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.02)


@pytest.fixture
def workers(fault_redis: str, tmp_path: Path) -> Iterator[Workers]:
    pool = Workers(fault_redis, tmp_path)
    yield pool
    pool.stop_all()


def articles(n: int, seed: int) -> list[RawArticle]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        words = " ".join(rng.choice(WORDS) for _ in range(120))
        out.append(make_raw_article(content=f"Report {seed}-{i}\n\nReport number {i}: {words}.",
                                    url=f"https://faults.example/{seed}/{i}"))  # fmt: skip
    return out


def make_submitter(url: str) -> tuple[redis.Redis, Submitter, Settings]:
    client = connect(url)
    settings = load_settings(None, redis_url=url, batch_size=8)
    return client, Submitter(client, celery_app(url), Outcomes(client, settings), settings.batch_size), settings


def settled_count(client: redis.Redis, ids: list[str]) -> int:
    return sum(1 for s in read_status(client, ids).values() if s)


def wait_all(client: redis.Redis, submitter: Submitter, ids: list[str], timeout: float, reconcile: bool,
             supervised: Workers | None = None) -> float:  # fmt: skip
    """Wait until every delivery settled, reconciling like the runner does (and, given ``supervised``,
    restarting workers that exit, as it does too); return the seconds it took."""
    started = time.monotonic()
    while settled_count(client, ids) < len(ids):
        if time.monotonic() - started > timeout:
            pools = "\n".join(pool.describe() for pool in _POOLS)
            pytest.fail(f"{len(ids) - settled_count(client, ids)} of {len(ids)} not settled in {timeout}s\n{pools}")
        if supervised is not None:
            supervised.supervise()
        if reconcile and queue_depth(client) == 0:
            submitter.resend_stale(RECONCILE_AFTER_S)
        time.sleep(0.2)
    return time.monotonic() - started


def record(scenario: str, articles_in: int, events_out: int, duplicates: int, dead: int, recovery_s: float) -> None:
    """Append a scenario's figures to $WIREWATCH_FAULT_REPORT (JSON lines), for BENCHMARKS.md."""
    path = os.environ.get("WIREWATCH_FAULT_REPORT")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps({"scenario": scenario, "articles_in": articles_in, "events_out": events_out,
                                  "duplicate_events": duplicates, "dead": dead,
                                  "recovery_s": round(recovery_s, 1)}) + "\n")  # fmt: skip


def check_invariants(client: redis.Redis, ids: list[str], scenario: str, recovery_s: float,
                     allowed: frozenset[str] = frozenset({"emitted", "dead"})) -> dict[str, int]:  # fmt: skip
    """Nothing missing, nothing doubled, nothing pending; records and returns counts by outcome. ``allowed``: the
    outcomes a delivery may end in (a scenario with exact copies allows "duplicate")."""
    statuses = read_status(client, ids)
    states = [s["state"] for s in statuses.values() if s]
    events = stream_events(client)
    event_ids = [e["id"] for e in events]
    record(scenario, len(ids), len(events), len(event_ids) - len(set(event_ids)), states.count("dead"), recovery_s)
    assert len(states) == len(ids)
    assert set(states) <= allowed, set(states)
    assert len(event_ids) == len(set(event_ids)), "an event was emitted twice"
    assert len(events) == states.count("emitted")
    assert client.zcard(c.LEDGER_PENDING) == 0 and client.hlen(c.LEDGER_PAYLOAD) == 0
    assert client.hlen(c.LEDGER_ATTEMPTS) == 0, "attempt counters left behind by settled deliveries"
    return {state: states.count(state) for state in set(states)}


def wait_progress(client: redis.Redis, ids: list[str], at_least: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while settled_count(client, ids) < at_least:
        if time.monotonic() > deadline:
            pytest.fail("workers made no progress")
        time.sleep(0.05)
