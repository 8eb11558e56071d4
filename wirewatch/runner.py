"""``wirewatch run``: Redis, worker processes and producers in one process tree.

The runner starts Redis (embedded unless configured), a supervised worker process, and the producers in its
own process; it tracks what it submitted through the status records until each delivery has settled.
``--once`` reads every source once, waits until all of it is settled and returns a summary; without it the
runner keeps polling the inbox folders until it is stopped (Ctrl-C or SIGTERM stop it cleanly).
"""

from __future__ import annotations

import contextlib
import fcntl
import math
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis
from kombu.exceptions import OperationalError

from producers.feed_service import fetch_policy, poll_all_once, sync_feeds, tick
from producers.inbox import InboxMemory, InboxWatcher, shown
from producers.inbox_events import QUIET_S, watching
from producers.schedule import FeedSchedule
from producers.submit import Submitter
from schemas import RawArticle
from wirewatch import constants as c
from wirewatch.logs import get_logger
from wirewatch.outcomes import Outcomes, read_status
from wirewatch.queue import FEED_POLL_TASK, celery_app, sweep_webhook_outbox
from wirewatch.redis_server import (
    EmbeddedRedisError,
    cannot_persist,
    cannot_persist_reason,
    check_reachable,
    connect,
    redact_url,
    redis_service,
    revive_embedded,
    unusable_data_dir,
)
from wirewatch.settings import Settings

log = get_logger("wirewatch.run")

WORKER_STOP_TIMEOUT_S = 30.0
GROUP_GONE_S = 2.0  # a killed pool child is gone in milliseconds; a zombie nobody reaps is not waited for longer
WORKER_MAX_RESTARTS = 5  # exits in a row, each before the worker ran WORKER_HEALTHY_S: it cannot run, so stop trying
WORKER_HEALTHY_S = 60.0  # a worker that ran this long was working: its exit starts the count of exits again
STATUS_POLL_S = 0.2
PARENT_POLL_S = 0.5  # how often a worker of `run` checks that the runner that started it is still there
STATE_CHECK_S = 1.0  # how often the runner checks that Redis still holds its state
REDIS_RETRY_S = 1.0  # how often the runner tries again while Redis does not answer
# Redis gone, not answering, or full (at its maxmemory with `noeviction`, it refuses writes), seen through redis-py
# (the ledger, status records) or kombu (the broker): the runner waits for it rather than exit; workers reconnect
# on their own, and the ledger keeps what was accepted.
REDIS_DOWN = (redis.ConnectionError, redis.TimeoutError, redis.exceptions.OutOfMemoryError, OperationalError)
# What may be Redis refusing writes because it cannot write its data to disk (see ``cannot_persist``).
REDIS_REFUSING = (*REDIS_DOWN, redis.ResponseError)
# Written at every start, and answered by the next command: a Redis that cannot write its AOF (a full or read-only
# disk) takes the write, fails to append it, and refuses what comes next with MISCONF (PING included).
PERSIST_PROBE = c.key("meta", "run_started")


class CannotPersist(RuntimeError):
    """Raised when Redis refuses writes because it cannot write its data to disk (a full or read-only disk)."""


def persist_failure(settings: Settings, error: BaseException, *, stopping: bool = True) -> str:
    """The one line that says Redis cannot write to disk, where, why (the cause after MISCONF), and what to do."""
    todo = ("and run again: what it had accepted is kept, and the next run finishes it" if stopping
            else "and this run goes on: Redis takes writes again by itself once it can write them")  # fmt: skip
    reason = cannot_persist_reason(error, settings, settings.redis_url or "")
    return f"{reason}; free space (or make it writable) {todo}"


def check_persisting(client: redis.Redis, settings: Settings) -> None:
    """Write once and ask again: raise CannotPersist if Redis cannot write its data to disk."""
    try:
        client.set(PERSIST_PROBE, time.time())
        client.ping()
    except redis.ResponseError as e:
        if not cannot_persist(e):
            raise
        raise CannotPersist(persist_failure(settings, e)) from e


def warn_if_evicting(client: redis.Redis) -> None:
    """Say once, at start, that Redis evicts keys at its maxmemory: it drops them without a word, and wirewatch's
    are its state (the ledger: accepted articles are lost; dedup claims: duplicates are emitted again; status
    records). A server that does not answer INFO memory (a proxy) is not judged."""
    try:
        memory = client.info("memory")
    except redis.ResponseError:
        return
    policy = str(memory.get("maxmemory_policy", "noeviction"))
    if policy != "noeviction":
        log.warning("redis_evicts_keys", policy=policy, maxmemory=int(memory.get("maxmemory", 0)),
                    hint="at its maxmemory Redis drops wirewatch's keys (articles accepted, dedup claims): set "
                         "maxmemory-policy noeviction, and writes are refused instead, which wirewatch waits "
                         "out")  # fmt: skip


@dataclass
class Tally:
    """Deliveries this run submitted or refused (its own reads, and what its HTTP receiver accepted), and how each
    ended."""

    outcomes: Counter[str] = field(default_factory=Counter)
    unsettled: set[str] = field(default_factory=set)
    emitted: deque[str] = field(default_factory=lambda: deque(maxlen=1000))  # latest article ids

    @property
    def total(self) -> int:
        return sum(self.outcomes.values()) + len(self.unsettled)

    def refresh(self, client: redis.Redis) -> None:
        ids = list(self.unsettled)
        emitted: list[tuple[tuple[int, ...], str]] = []  # (stream entry, article id)
        for start in range(0, len(ids), 1000):
            for delivery_id, status in read_status(client, ids[start : start + 1000]).items():
                if status is None:
                    continue
                self.unsettled.discard(delivery_id)
                state = str(status.get("state"))
                outcome = f"rejected:{status.get('reason')}" if state == "rejected" else state
                self.outcomes[outcome] += 1
                if state == "emitted":
                    emitted.append((_entry_order(status.get("entry")), str(status.get("article_id"))))
        # In the order they were emitted (the stream's), not the order of a set of delivery ids.
        self.emitted.extend(article_id for _, article_id in sorted(emitted))


def _entry_order(entry: object) -> tuple[int, ...]:
    """A stream entry id ("<ms>-<seq>") as numbers, to sort by; () for none."""
    try:
        return tuple(int(part) for part in str(entry).split("-"))
    except ValueError:
        return ()


class AlreadyRunning(RuntimeError):
    """Raised when another `wirewatch run` or `scheduler` already runs on the data folder: two would both read its
    inboxes and tick its feeds."""


CGROUP_CPU_MAX = "/sys/fs/cgroup/cpu.max"  # cgroup v2: "<quota> <period>" in µs, or "max <period>" for no quota
RUN_LOCK_FILE = "run.lock"  # in data_dir: flock'ed by the runner of the embedded Redis for its lifetime, with its pid


@contextmanager
def data_dir_lock(settings: Settings) -> Iterator[None]:
    """Hold the data folder for this runner (embedded Redis only: runners on a shared Redis coordinate there).
    A kernel lock: it goes with the process, so a killed run leaves nothing stale for the next start."""
    if not settings.embedded:
        yield
        return
    path = settings.data_dir / RUN_LOCK_FILE
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as e:
        raise EmbeddedRedisError(unusable_data_dir(settings.data_dir, e)) from e
    with os.fdopen(fd, "r+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = lock.read().strip() or "unknown"
            raise AlreadyRunning(
                f"wirewatch is already running on {settings.data_dir} (pid {holder}): stop it first, or give this "
                "one a data_dir of its own"
            ) from None
        try:  # unbuffered: nothing left for the close to flush (and fail) once a full disk refused it here
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
        except OSError as e:  # a full disk: the folder that would hold Redis's AOF has no room for a pid
            raise EmbeddedRedisError(unusable_data_dir(settings.data_dir, e)) from e
        yield


@contextmanager
def inbox_locks(settings: Settings) -> Iterator[None]:
    """Hold every inbox folder for this runner: a second `run` or `scheduler` on this machine watching one of them
    (on a shared Redis, where the data folder's lock does not apply; or with a data folder of its own) read every
    file again beside the first, making deliveries of its own, and with ``after: move`` both moved each file. A
    kernel lock on the folder itself: the lock writes nothing into it (it may be read-only), and it goes with the
    process. A folder that is not there yet, or whose filesystem has no such locks (NFS), is not held."""
    with contextlib.ExitStack() as held:
        for src in settings.inbox:
            try:
                fd = os.open(src.path, os.O_RDONLY | os.O_DIRECTORY)
            except OSError:
                continue  # missing for now (read as empty until it appears), or not a folder: the watcher says so
            held.callback(os.close, fd)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise AlreadyRunning(
                    f"another wirewatch run or scheduler on this machine is already watching the inbox {src.path}: "
                    "stop it first, or give this one other inbox folders"
                ) from None
            except OSError as e:
                log.info("inbox_not_locked", path=shown(src.path), reason=e.strerror or str(e))
        yield


class WorkerFailed(RuntimeError):
    """Raised when the worker process keeps exiting: nothing would be processed."""


def exit_with(parent: int) -> None:
    """Stop this worker (warm shutdown, as SIGTERM from the runner does) once process ``parent`` is gone. The
    runner stops its workers on its way out, but a runner killed with SIGKILL cannot: its workers ran on for good,
    taking tasks, and their connections kept the embedded Redis up with nobody left to stop it."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_S)
        log.warning("worker_orphaned", parent=parent, action="stopping")
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def usable_cores() -> int:
    """The cores this process may use: those of its CPU affinity (``taskset``, a container's cpuset), within its
    cgroup's CPU quota (``docker --cpus``, a Kubernetes CPU limit) rounded up. ``workers: 0`` starts one ingestion
    process per such core; it counted the machine's (``os.cpu_count``): limited to 1 core of 64, a run started 64,
    each with the pipeline's models in memory."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        quota, period = Path(CGROUP_CPU_MAX).read_text().split()[:2]
        if quota != "max":
            cores = min(cores, math.ceil(int(quota) / int(period)))
    except (OSError, ValueError, ZeroDivisionError):  # no cgroup v2 here, or a file not as expected: no quota
        pass
    return max(1, cores)


class WorkerProcess:
    """A ``wirewatch worker`` child, restarted if it dies while the runner needs it."""

    def __init__(self, settings: Settings, redis_url: str, concurrency: int,
                 queues: tuple[str, ...] = (c.INGEST_QUEUE,), pool: str = "prefork") -> None:  # fmt: skip
        self.settings = settings
        self.redis_url = redis_url
        self.concurrency = concurrency
        self.queues = queues
        self.pool = pool
        self.process: subprocess.Popen[bytes] | None = None
        self.restarts = 0
        self.started_at = 0.0
        self.stop_requested = False
        self.stopped = False

    def start(self) -> None:
        cmd = [sys.executable, "-m", "wirewatch", "worker", "--concurrency", str(self.concurrency),
               "--queues", ",".join(self.queues), "--pool", self.pool, "--exit-with", str(os.getpid())]  # fmt: skip
        if self.settings.config_file:
            cmd += ["-c", str(self.settings.config_file)]
        env = {**os.environ, "WIREWATCH_REDIS_URL": self.redis_url, "WIREWATCH_LOG_FORMAT": "json"}
        # The worker's log lines go to our stderr; its own session so Ctrl-C reaches it only through us.
        self.process = subprocess.Popen(  # noqa: S603 - our own command line
            cmd, env=env, stdin=subprocess.DEVNULL, stdout=sys.stderr, start_new_session=True
        )
        self.stop_requested = False
        self.started_at = time.monotonic()
        log.info("worker_started", pid=self.process.pid, concurrency=self.concurrency, queues=self.queues)

    def request_stop(self) -> None:
        """Ask for a warm shutdown without waiting for it: several workers stop side by side, not in turn."""
        if self.process is not None and self.process.poll() is None and not self.stop_requested:
            self.stop_requested = True  # once: Celery takes a second signal as "hurry"
            self.process.send_signal(signal.SIGTERM)

    def check(self) -> None:
        """Restart the worker if it exited on its own; raise WorkerFailed if it keeps exiting."""
        if self.process is not None and self.process.poll() is not None:
            if time.monotonic() - self.started_at >= WORKER_HEALTHY_S:
                self.restarts = 0  # it had been working: one exit now and then over a long run is no crash loop
            self.restarts += 1
            log.error("worker_exited", code=self.process.returncode, restarts=self.restarts)
            if self.restarts > WORKER_MAX_RESTARTS:
                raise WorkerFailed(f"the worker exited {self.restarts} times (last code {self.process.returncode})")
            self._end_group()
            time.sleep(min(2**self.restarts, 30) / 10)
            self.start()

    def stop(self) -> None:
        """Warm shutdown: running tasks finish, unstarted messages stay queued. Once: a stopped worker stays so."""
        if self.process is None or self.stopped:
            return
        self.stopped = True
        self.request_stop()
        try:
            self.process.wait(timeout=WORKER_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            log.warning("worker_killed", reason="did not stop in time")
            self.process.kill()
            self.process.wait()
        self._end_group()
        log.info("worker_stopped", code=self.process.returncode, queues=self.queues)

    def _end_group(self) -> None:
        """End what is left of the worker's process group and wait for it to go: pool children that outlive a
        worker which died (or was killed) would go on taking tasks beside its replacement, and their Redis
        connections would keep the embedded server up after `run` stopped it."""
        if self.process is None:
            return
        group = self.process.pid  # started in a session of its own: the group is the worker's pid
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(group, signal.SIGKILL)
        deadline = time.monotonic() + GROUP_GONE_S
        while time.monotonic() < deadline:
            try:
                os.killpg(group, 0)
            except (ProcessLookupError, PermissionError):
                return
            time.sleep(0.02)


def stats_snapshot(client: redis.Redis, settings: Settings) -> dict[str, Any]:
    """What `wirewatch stats` and `/v1/stats` show: lifetime outcomes, pending deliveries, messages queued, and
    the lengths of the events, alerts and dead-letter streams (0 for one not there yet)."""
    pipe = client.pipeline(transaction=False)
    pipe.hgetall(c.STATS)
    pipe.zcard(c.LEDGER_PENDING)
    pipe.xlen(settings.events_stream)
    pipe.xlen(settings.alerts_stream)
    pipe.xlen(c.DEAD_STREAM)
    outcomes, pending, events, alerts, dead = pipe.execute()
    return {
        "outcomes": {str(k): int(v) for k, v in outcomes.items()},
        "pending": int(pending),
        "queue_depth": queue_depth(client),
        "events": int(events),
        "alerts": int(alerts),
        "dead": int(dead),
    }


def queue_depth(client: redis.Redis) -> int:
    """Messages waiting on the ingest queue (kombu keeps one list per priority step)."""
    names = [c.INGEST_QUEUE] + [f"{c.INGEST_QUEUE}\x06\x16{p}" for p in (3, 6, 9)]
    pipe = client.pipeline(transaction=False)
    for name in names:
        pipe.llen(name)
    return sum(int(n) for n in pipe.execute())


# While messages wait on the ingest queue (the workers are busy), reported inbox files are read when a message's
# worth (batch_size) is waiting or this long after the last read, so that messages fill up under load: at 120
# files/s, reading on every event sent a file or two per message and the workers fell behind (1,025 messages
# waiting after 25 s, inbox -> event p50 11 s; `python -m bench.latency --rate 120`). With the queue empty a
# reported file is read at once.
EVENT_BATCH_WINDOW_S = 0.25


def _watcher(client: redis.Redis, folder: Path, move_done: bool) -> InboxWatcher:
    """An inbox's watcher. With ``after: keep`` it remembers in Redis what it read, so that a restart does not
    read the kept files again (``InboxMemory``); with ``move`` read files leave the folder once settled."""
    watcher = InboxWatcher(folder, move_done=move_done, memory=None if move_done else InboxMemory(client, folder))
    watcher.recall()
    return watcher


@dataclass
class Runner:
    settings: Settings
    client: redis.Redis
    submitter: Submitter
    workers: list[WorkerProcess]
    tally: Tally = field(default_factory=Tally)
    watchers: list[tuple[InboxWatcher, str | None]] = field(default_factory=list)
    # Files of `after: move` inboxes that were read, with their deliveries: moved once all are settled.
    reading: dict[Path, tuple[InboxWatcher, set[str]]] = field(default_factory=dict)
    stopping: threading.Event = field(default_factory=threading.Event)
    wake: threading.Event = field(default_factory=threading.Event)  # file events and `stop` end the loop's sleep
    redis_url: str = ""  # for components started beside the runner (the HTTP app)
    _last_resend: float = field(default_factory=time.monotonic)
    instance: str = field(default_factory=lambda: uuid.uuid4().hex)
    _marker_checked: float = 0.0
    _redis_down: bool = False  # said once per outage
    _unpersisted: bool = False  # the outage is Redis refusing writes (MISCONF), not Redis gone
    # The file each unsettled delivery of an inbox came from, to read it again should Redis lose the delivery.
    files: dict[str, tuple[InboxWatcher, str | None, Path]] = field(default_factory=dict)
    _lost_checked: float = 0.0

    def read_inboxes(self, settle: bool, scan: bool = True) -> int:
        """Submit what is new in the inbox folders; return how many deliveries that made.

        First the files that file events report complete, then (with ``scan``) what a scan of the folders finds.
        The articles of one call are submitted together, ``batch_size`` to a message, however many files
        they came from: one message per file (the usual single-article file) cost the workers a message's
        overhead per article, and at 50 files/s the queue grew without bound (bench/latency.py).
        """
        return self._read_files([
            (watcher, name, path)
            for watcher, name in self.watchers
            for path in [*watcher.completed(), *(watcher.poll(settle=settle) if scan else ())]
        ])  # fmt: skip

    def _read_files(self, files: list[tuple[InboxWatcher, str | None, Path]]) -> int:
        """Read and submit ``files`` (watcher, source name, path); return how many deliveries they made."""
        limits = self.settings.limits
        count = 0
        waiting: list[RawArticle] = []
        read = submitted = 0  # files[:submitted] have their articles in the ledger

        def submit_waiting() -> int:
            nonlocal submitted
            ids = self.submitter.submit(waiting)
            self.tally.unsettled.update(ids)
            waiting.clear()
            by_watcher: dict[int, tuple[InboxWatcher, list[Path]]] = {}
            for watcher, _, path in files[submitted:read]:  # in the ledger now: not to be read again
                by_watcher.setdefault(id(watcher), (watcher, []))[1].append(path)
            for watcher, paths in by_watcher.values():
                watcher.remember_read(paths)
            submitted = read
            return len(ids)

        try:
            for watcher, name, path in files:
                read += 1
                result = watcher.read(path, name, limits.max_article_bytes, limits.max_records_per_file)
                made = [t.delivery_id for t in result.refusals] + [a.delivery_id for a in result.articles]
                self.files.update(dict.fromkeys(made, (watcher, name, path)))
                if watcher.move_done:
                    self.reading[path] = (watcher, set(made))
                self.submitter.refuse(result.refusals)
                self.tally.unsettled.update(r.delivery_id for r in result.refusals)
                count += len(result.refusals)
                waiting += result.articles
                log.info("inbox_file_read", path=shown(path), articles=len(result.articles),
                         refused=len(result.refusals))  # fmt: skip
                if len(waiting) >= self.submitter.batch_size:  # bounded: a scan may find thousands of files
                    count += submit_waiting()
            return count + submit_waiting()
        except (redis.RedisError, OperationalError):
            # The watchers took these files as read, but their articles never reached the ledger: forget them,
            # so that the first scan once Redis is back (or can write to disk again) reads them again.
            for watcher, _, path in files[submitted:]:
                watcher.seen.pop(path, None)
                self.reading.pop(path, None)
            raise

    def move_settled(self) -> int:
        """Move the read files of `after: move` inboxes whose deliveries are all settled; return how many."""
        moved = 0
        for path, (watcher, ids) in list(self.reading.items()):
            if not ids.isdisjoint(self.tally.unsettled):
                continue
            del self.reading[path]
            try:
                target = watcher.done(path)
            except OSError as e:  # a read-only folder, a full disk: say so, keep the file, keep running
                log.warning("inbox_move_failed", path=shown(path), reason=str(e))
                continue
            if target is not None:
                moved += 1
                log.info("inbox_file_done", path=shown(path), moved_to=shown(target))
        return moved

    def mark_instance(self) -> None:
        """Leave a marker in Redis; its disappearance later means Redis lost our state."""
        self.client.set(c.EMBEDDED_MARKER, self.instance, nx=True)
        self._marker_checked = time.monotonic()

    def recover_lost_state(self) -> bool:
        """If Redis lost its data (restarted without persistence, flushed), say so loudly and offer again
        everything the producers still hold: every inbox file is read again as new deliveries."""
        if time.monotonic() - self._marker_checked < STATE_CHECK_S:
            return False
        self._marker_checked = time.monotonic()
        if self.client.exists(c.EMBEDDED_MARKER):
            return False
        lost = len(self.tally.unsettled)
        log.error("redis_state_lost", unsettled_deliveries=lost, action="re-reading every inbox file",
                  hint="Redis came back empty: run it with AOF on to keep state across restarts")  # fmt: skip
        self.tally.unsettled.clear()
        self.tally.outcomes["lost_and_resubmitted"] += lost
        self.reading.clear()  # their deliveries went with Redis: the files are read again below
        self.files.clear()
        for watcher, _ in self.watchers:
            watcher.seen.clear()
        self.mark_instance()
        self.read_inboxes(settle=False)
        sync_feeds(FeedSchedule(self.client), self.settings.feeds)  # the schedule went with the rest
        return True

    def recover_lost_deliveries(self) -> int:
        """Find deliveries of this run that Redis no longer knows — neither settled nor pending, as after a crash
        of Redis within a second of accepting them (AOF ``everysec``) — and read their files again; return how
        many were lost. Without this a lost acceptance stayed unsettled for good: ``run --once`` waited out its
        timeout, and ``run`` never offered the article again until its next start."""
        now = time.monotonic()
        if now - self._lost_checked < STATE_CHECK_S:
            return 0
        self._lost_checked = now
        for delivery_id in [d for d in self.files if d not in self.tally.unsettled]:
            del self.files[delivery_id]  # settled: its file will not be needed again
        ids, lost = list(self.tally.unsettled), []
        for start in range(0, len(ids), 1000):
            chunk = ids[start : start + 1000]
            pipe = self.client.pipeline(transaction=True)  # one moment: not between a settle's two halves
            pipe.exists(c.EMBEDDED_MARKER)
            pipe.zmscore(c.LEDGER_PENDING, chunk)
            pipe.mget([c.status_key(d) for d in chunk])
            marked, scores, statuses = pipe.execute()
            if not marked:
                return 0  # Redis lost everything: recover_lost_state reads every file again
            lost += [
                d for d, score, status in zip(chunk, scores, statuses, strict=True) if score is None and not status
            ]
        if not lost:
            return 0
        files = {self.files[d][2]: self.files.pop(d) for d in lost if d in self.files}  # by path: one read a file
        self.tally.unsettled.difference_update(lost)
        self.tally.outcomes["lost_and_resubmitted"] += len(lost)
        log.error("deliveries_lost", count=len(lost), files=len(files), action="re-reading their files",
                  hint="Redis lost writes it had acknowledged: appendfsync always keeps every one")  # fmt: skip
        self._read_files([files[path] for path in sorted(files)])  # as new deliveries; what did arrive: duplicates
        return len(lost)

    def adopt_pending(self) -> int:
        """Count as this run's the deliveries an earlier run on the embedded Redis accepted and never settled (it
        was stopped or killed first); return how many. ``run --once`` then waits for them too: it said "nothing
        new" and left them pending. Those whose message is gone (no message waits: it went with a killed worker)
        are sent again now rather than after ``reconcile_after``. On a shared Redis what is pending may be
        another runner's, and is left to it."""
        if not self.settings.embedded:
            return 0
        pending: list[str] = self.client.zrange(c.LEDGER_PENDING, 0, -1)  # type: ignore[assignment]
        if not pending:
            return 0
        self.tally.unsettled.update(pending)
        resent = self.submitter.resend_stale(0) if queue_depth(self.client) == 0 else 0
        log.info("pending_adopted", count=len(pending), resent=resent)
        return len(pending)

    def read_feeds(self) -> int:
        """Poll every feed once (``run --once``); what they yield is submitted and tracked."""
        lock = threading.Lock()
        ids: list[str] = []

        def enqueue(articles: Sequence[RawArticle]) -> None:
            with lock:
                ids.extend(self.submitter.submit(articles))

        outcomes = poll_all_once(self.client, enqueue, fetch_policy(self.settings.allow_private_networks))
        self.tally.unsettled.update(ids)
        counts = Counter(o.outcome for o in outcomes)
        log.info("feeds_read", feeds=len(outcomes), articles=len(ids), outcomes=dict(counts))
        return len(ids)

    def tick_feeds(self) -> int:
        """Send a poll task for every due feed (the scheduler's job; workers on the feeds queue poll)."""
        app = self.submitter.app
        return tick(
            FeedSchedule(self.client),
            lambda message: app.send_task(FEED_POLL_TASK, args=[message], queue=c.FEEDS_QUEUE),
        )

    def maintain(self) -> None:
        """Keep the worker alive; notice lost Redis state; re-send deliveries whose message was lost."""
        for worker in self.workers:
            worker.check()
        self.recover_lost_state()
        self.recover_lost_deliveries()
        every = min(30.0, self.settings.reconcile_after)
        if time.monotonic() - self._last_resend > every:
            self._last_resend = time.monotonic()
            if queue_depth(self.client) == 0:
                self.submitter.resend_stale(self.settings.reconcile_after)
            sweep_webhook_outbox(self.client, self.submitter.app)

    def ride_out(self, error: Exception) -> None:
        """Redis (or the broker on it) did not answer, or refused writes as it cannot write to disk: say so once
        per outage, then wait a moment. The caller goes round its loop again; nothing it did not finish was taken
        as done (see ``read_inboxes``)."""
        unpersisted = cannot_persist(error)
        if not self._redis_down:
            self._redis_down, self._unpersisted = True, unpersisted
            if unpersisted:
                event, reason = "redis_cannot_persist", persist_failure(self.settings, error, stopping=False)
            else:
                event, reason = "redis_unavailable", f"{type(error).__name__}: {error}"
            log.error(event, reason=reason, action=f"retrying every {REDIS_RETRY_S:g}s")
        if not unpersisted and self.settings.embedded and revive_embedded(self.redis_url):
            return  # nobody else would: the embedded server lives and dies with us
        self.wake.wait(REDIS_RETRY_S)

    def redis_back(self) -> None:
        """Say that Redis answers again, once, after `ride_out` said it did not."""
        if self._redis_down:
            if self._unpersisted:  # reads went through all along: back once it takes writes (PING is one to it)
                try:
                    self.client.ping()
                except redis.ResponseError:
                    return
                self._unpersisted = False
            self._redis_down = False
            log.info("redis_available")

    def stop_workers(self) -> None:
        """Stop the workers side by side (warm: what they hold is finished) and wait for them, then count what
        they finished: the summary after a stop shows what was done, not what was done before the drain."""
        for worker in self.workers:
            worker.request_stop()
        for worker in self.workers:
            worker.stop()
        with contextlib.suppress(*REDIS_DOWN):
            self.tally.refresh(self.client)
            self.move_settled()

    def stop(self) -> None:
        """Ask `watch` to return (from a signal handler or another thread)."""
        self.stopping.set()
        self.wake.set()

    def watch(self) -> None:
        """Scan the inboxes and keep things running until ``stopping`` is set (or Ctrl-C).

        Every ``inbox_poll_interval``: a scan of the inboxes, the feed tick and the bookkeeping. In between, the
        loop sleeps until file events report a complete file (``producers/inbox_events.py``) and reads just
        those, so a file dropped in reaches the workers in milliseconds, not after two scans. While messages
        wait on the ingest queue, reported files are read only once a message's worth (``batch_size``) is
        waiting or ``EVENT_BATCH_WINDOW_S`` after the last read: under load the messages fill up instead of
        carrying a file each.
        """
        shown = 0
        next_scan = 0.0
        last_read = float("-inf")  # when reported files were last read
        folders = [watcher.folder for watcher, _ in self.watchers] if self.settings.inbox_events else []
        with watching(folders, self.wake) as events:
            for watcher, _ in self.watchers:
                watcher.events = events.get(watcher.folder)
            while not self.stopping.is_set():
                self.wake.clear()
                now = time.monotonic()
                reported = sum(watcher.reported for watcher, _ in self.watchers)
                try:
                    if now >= next_scan:
                        self.read_inboxes(settle=True)
                        last_read = time.monotonic()
                        self.tick_feeds()
                        self.tally.refresh(self.client)
                        self.move_settled()
                        self.maintain()
                        settled = sum(self.tally.outcomes.values())
                        if settled != shown:
                            shown = settled
                            text = " ".join(f"{k}={v}" for k, v in sorted(self.tally.outcomes.items()))
                            log.info("run_progress", settled=settled, pending=len(self.tally.unsettled),
                                     outcomes=text)  # fmt: skip
                        next_scan = time.monotonic() + self.settings.inbox_poll_interval
                    elif reported and (reported >= self.submitter.batch_size
                                       or now - last_read >= EVENT_BATCH_WINDOW_S
                                       or queue_depth(self.client) == 0):  # fmt: skip
                        read = self.read_inboxes(settle=True, scan=False)
                        last_read = time.monotonic() if read else last_read  # not if all were too fresh to read yet
                    self.redis_back()
                except REDIS_REFUSING as e:
                    if not isinstance(e, REDIS_DOWN) and not cannot_persist(e):
                        raise  # a reply saying our command is wrong: no waiting mends that
                    self.ride_out(e)
                    continue
                timeout = max(0.0, next_scan - time.monotonic())
                if any(watcher.reported for watcher, _ in self.watchers):
                    timeout = min(timeout, max(QUIET_S, last_read + EVENT_BATCH_WINDOW_S - time.monotonic()))
                self.wake.wait(timeout)
            for watcher, _ in self.watchers:
                watcher.events = None


@contextmanager
def started(settings: Settings, with_worker: bool = True) -> Iterator[Runner]:
    """Redis up, a worker running, producers ready; all stopped in reverse order on exit."""
    with data_dir_lock(settings), inbox_locks(settings), redis_service(settings) as url:
        client = connect(url)
        check_reachable(client, url)  # before any worker starts: a dead server is one clear error
        check_persisting(client, settings)  # and one that cannot write to disk (full, read-only) another
        warn_if_evicting(client)
        log.info("redis_ready", url=redact_url(url), embedded=settings.embedded)
        app = celery_app(url)
        workers = []
        if with_worker:
            # Ingestion on a process per core; feed polls and webhooks (network waits) on threads of their own,
            # so a slow feed host or a dead webhook never holds up an article.
            workers = [
                WorkerProcess(settings, url, settings.workers or usable_cores(), (c.INGEST_QUEUE,), "prefork"),
                WorkerProcess(settings, url, c.IO_WORKER_THREADS, c.IO_QUEUES, "threads"),
            ]
            for worker in workers:
                worker.start()
        try:
            submitter = Submitter(client, app, Outcomes(client, settings), settings.batch_size)
            runner = Runner(settings, client, submitter, workers, redis_url=url)
            runner.watchers = [(_watcher(client, Path(src.path), src.after == "move"), src.name)
                               for src in settings.inbox]  # fmt: skip
            runner.mark_instance()
            sync_feeds(FeedSchedule(client), settings.feeds)
            yield runner
        finally:
            for worker in workers:
                worker.request_stop()
            for worker in workers:
                worker.stop()  # a no-op for workers the caller stopped already (Runner.stop_workers)
            app.close()
            client.close()


def wait_settled(runner: Runner, timeout_s: float | None, progress: object = None) -> bool:
    """Block until every delivery of this run has settled; False on timeout or stop."""
    deadline = time.monotonic() + timeout_s if timeout_s else None
    while runner.tally.unsettled:
        if runner.stopping.is_set() or (deadline and time.monotonic() > deadline):
            return False
        try:
            runner.tally.refresh(runner.client)
            runner.move_settled()
            if callable(progress):
                progress(runner.tally)
            if runner.tally.unsettled:
                runner.maintain()
                time.sleep(STATUS_POLL_S)
            runner.redis_back()
        except REDIS_DOWN as e:
            if cannot_persist(e):
                raise  # `run --once` does not wait for a disk to be freed: it stops and says why
            runner.ride_out(e)
    runner.move_settled()
    return True
