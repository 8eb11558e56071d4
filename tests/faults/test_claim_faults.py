"""Exact copies and their alerts under faults, against real worker processes on their own redis-server: every
delivery ends in one outcome, no alert twice, every alert names an emitted article, and no exact claim is left
reserved by a delivery that settled without emitting it."""

from __future__ import annotations

import os
import signal
import time

import pytest
import redis

from schemas import AlertEvent, RawArticle
from tests.faults.support import (
    RedisProcess,
    Workers,
    articles,
    check_invariants,
    make_submitter,
    record,
    settled_count,
    wait_all,
    wait_progress,
)
from tests.helpers import make_raw_article, stream_events
from wirewatch import constants as c
from wirewatch.outcomes import read_status
from worker.subscriptions import put_subscription, validate

pytestmark = pytest.mark.timeout(600)


def _text_copy(raw: RawArticle, n: int) -> RawArticle:
    """The same body under another headline and URL, from another source: an exact copy by its text."""
    _, _, body = raw.content.partition("\n\n")
    return make_raw_article(content=f"Copy {n} of a report\n\n{body}", url=f"https://copies.example/{n}")


def _claims_left_reserved(client: redis.Redis) -> list[str]:
    """Exact claims still holding a reservation ("<article id> <delivery id>") once everything settled."""
    keys = [k for k in client.scan_iter(match=c.key("dedup", "*"), count=1000) if k != c.DEDUP_RESERVED]
    return [k for k, v in zip(keys, client.mget(keys) if keys else [], strict=True) if v and " " in v]


def check_copies(client: redis.Redis, ids: list[str], scenario: str, recovery_s: float) -> dict[str, int]:
    """Each delivery one outcome (emitted, duplicate of an emitted article, or dead), no event twice, no alert
    twice, each alert naming an emitted article, nothing pending, no reservation left behind."""
    counts = check_invariants(client, ids, scenario, recovery_s, allowed=frozenset({"emitted", "duplicate", "dead"}))
    emitted = {e["id"] for e in stream_events(client)}
    for status in read_status(client, ids).values():
        if status and status["state"] == "duplicate":
            assert status["of"] in emitted, f"a duplicate of {status['of']}, never emitted"
    alerts = [AlertEvent.model_validate_json(f["event"]) for _, f in client.xrange(c.ALERTS_STREAM)]
    pairs = [(a.subscription.id, a.story_id) for a in alerts]
    assert len(pairs) == len(set(pairs)), "an alert was written twice"
    assert {a.article_id for a in alerts} <= emitted, "an alert names an article never emitted"
    assert client.hlen(c.DEDUP_RESERVED) == 0, "reservation records left behind by settled deliveries"
    assert _claims_left_reserved(client) == [], "exact claims left reserved"
    return counts


def _subscribe(client: redis.Redis) -> None:
    put_subscription(client, validate("all", "report"))  # every article
    put_subscription(client, validate("copies", "title:copy"))  # the copies' headlines only


def _with_copies(n: int, seed: int) -> tuple[list[RawArticle], list[RawArticle]]:
    """``n`` articles, and every other one's exact copy, right behind it or some batches earlier."""
    originals = articles(n, seed=seed)
    raws: list[RawArticle] = []
    for i, raw in enumerate(originals):
        raws.append(raw)
        if i % 2 == 0:
            raws.insert(len(raws) - (i % 3) * 7, _text_copy(raw, i))
    return originals, raws


def test_a_copy_dead_before_its_alerts_and_emit_leaves_the_article_to_the_next_copy(
    workers: Workers, fault_redis: str
) -> None:
    """A worker child killed after an article's alerts were worked out and before they and its emit are written,
    every time, until the delivery is dead-lettered unparsed: no alert names it, and an exact copy of it from
    another source, submitted after, is emitted and raises the story's alert."""
    client, submitter, _ = make_submitter(fault_redis)
    put_subscription(client, validate("all", "report"))
    workers.start(concurrency=2, poison=True)
    [raw] = articles(1, seed=21)
    title, _, body = raw.content.partition("\n\n")
    doomed = raw.model_copy(update={"content": f"{title} POISON-BEFORE-EMIT\n\n{body}"})
    [dead] = submitter.submit([doomed])
    wait_all(client, submitter, [dead], timeout=120, reconcile=False)
    assert read_status(client, [dead])[dead]["state"] == "dead"  # type: ignore[index]
    assert client.xlen(c.ALERTS_STREAM) == 0, "an alert written for a delivery that ended dead"
    copy = _text_copy(raw, 1)
    [later] = submitter.submit([copy])
    recovery = wait_all(client, submitter, [later], timeout=60, reconcile=False)
    later_status = read_status(client, [later])[later]
    assert later_status is not None and later_status["state"] == "emitted"
    alerts = [AlertEvent.model_validate_json(f["event"]) for _, f in client.xrange(c.ALERTS_STREAM)]
    assert [(a.subscription.name, a.article_id) for a in alerts] == [("all", later_status["article_id"])]
    assert client.hlen(c.DEDUP_RESERVED) == 0 and _claims_left_reserved(client) == []
    record("dead before its alerts and emit, then an exact copy", 2, len(stream_events(client)), 0, 1, recovery)


def test_kill_9_worker_children_mid_batch_with_copies_and_alerts(workers: Workers, fault_redis: str) -> None:
    """Worker children killed mid-batch while exact copies race and alerts are written: every delivery ends in
    one outcome, each story alerts once per subscription, naming an emitted copy, and no claim stays reserved."""
    client, submitter, _ = make_submitter(fault_redis)
    _subscribe(client)
    main = workers.start(concurrency=2)
    originals, raws = _with_copies(160, seed=22)
    ids = submitter.submit(raws)
    wait_progress(client, ids, 10)
    kills = 0
    for _ in range(6):
        children = workers.children(main)
        if main.poll() is not None:
            main = workers.start(concurrency=2)
            continue
        if children:
            os.kill(children[kills % len(children)], signal.SIGKILL)
            kills += 1
        time.sleep(0.4)
    recovery = wait_all(client, submitter, ids, timeout=180, reconcile=True, supervised=workers)
    counts = check_copies(client, ids, f"kill -9 worker child x{kills}, exact copies and alerts", recovery)
    assert counts.get("emitted") == len(originals), counts
    assert counts.get("duplicate") == len(raws) - len(originals), counts
    assert kills >= 3


def test_redis_kill_9_with_aof_mid_run_with_copies_and_alerts(redis_aof: RedisProcess, workers: Workers) -> None:
    """Redis killed mid-run while exact copies race and alerts are written, restarted from its AOF: every
    delivery ends in one outcome, no alert twice, each naming an emitted copy, and no claim stays reserved."""
    client, submitter, _ = make_submitter(redis_aof.url)
    _subscribe(client)
    workers.start(concurrency=2)
    originals, raws = _with_copies(640, seed=23)
    ids = submitter.submit(raws)
    time.sleep(1.5)  # everysec: what was accepted more than a second ago is on disk
    wait_progress(client, ids, 20)
    assert settled_count(client, ids) < len(ids), "all settled before the fault"
    redis_aof.kill9()
    time.sleep(1)
    redis_aof.start()
    client, submitter, _ = make_submitter(redis_aof.url)
    recovery = wait_all(client, submitter, ids, timeout=180, reconcile=True, supervised=workers)
    counts = check_copies(client, ids, "kill -9 redis (AOF everysec), exact copies and alerts", recovery)
    assert counts.get("emitted") == len(originals), counts
