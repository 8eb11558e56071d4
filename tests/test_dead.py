"""Dead letters: listed with their reason, and retried back through the pipeline."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
import redis

from tests.helpers import make_raw_article, stream_events, wait_for_status
from wirewatch import constants as c
from wirewatch.settings import Settings


def _wirewatch(redis_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wirewatch", *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "WIREWATCH_REDIS_URL": redis_url})  # fmt: skip


def test_dead_list_and_retry(
    submit: Callable[..., list[str]], client: redis.Redis, settings: Settings, redis_url: str,
    request: pytest.FixtureRequest,
) -> None:  # fmt: skip
    """A dead-lettered article is listed with its reason; `dead retry --all` sends it through again and it is emitted."""
    [delivery] = submit(make_raw_article())
    client.hset(c.LEDGER_ATTEMPTS, delivery, settings.max_attempts)  # after the submission, which restarts it
    request.getfixturevalue("worker_app")
    assert wait_for_status(client, [delivery])[delivery]["state"] == "dead"

    listed = _wirewatch(redis_url, "dead", "--json")
    assert listed.returncode == 0, listed.stderr
    [entry] = [json.loads(line) for line in listed.stdout.splitlines()]
    assert entry["delivery_id"] == delivery and "max_attempts" in entry["reason"] and entry["retryable"] is True
    assert entry["source"] == "tests"  # read from the payload: the attempts check never parses the article

    unknown = _wirewatch(redis_url, "dead", "retry", "no-such-id")
    assert unknown.returncode == 1 and "no dead letter waiting to be retried" in unknown.stderr

    retried = _wirewatch(redis_url, "dead", "retry", "--all")
    assert retried.returncode == 0 and "requeued 1" in retried.stdout
    assert wait_for_status(client, [delivery])[delivery]["state"] == "emitted"
    assert len(stream_events(client)) == 1
    assert client.hlen(c.DEAD_PAYLOAD) == 0


def test_dead_after_its_alerts_then_retried_is_emitted_once(
    submit: Callable[..., list[str]], client: redis.Redis, settings: Settings, redis_url: str,
    make_worker: Callable[..., Any], request: pytest.FixtureRequest,
) -> None:  # fmt: skip
    """Dead-lettered after its alerts were written and its emit refused, a delivery lets go of the claims its
    alerts reserved; `dead retry` sends it through again, and it is emitted once, holding its claims as any
    emitted article."""
    from worker.pipeline import process
    from worker.subscriptions import put_subscription, validate

    put_subscription(client, validate("bridge", "bridge"))
    raw = make_raw_article(content="Bridge closed\n\nThe river bridge is closed to traffic after the flood.",
                           url="https://a.example/bridge")  # fmt: skip
    [delivery] = submit(raw)  # its message waits for the worker started below

    with pytest.raises(redis.ResponseError, match="emit refused"):
        process([delivery], make_worker(emit_refused=True))
    assert client.hlen(c.DEDUP_RESERVED) == 1
    client.hset(c.LEDGER_ATTEMPTS, delivery, settings.max_attempts)
    request.getfixturevalue("worker_app")
    assert wait_for_status(client, [delivery])[delivery]["state"] == "dead"
    assert client.hlen(c.DEDUP_RESERVED) == 0 and client.keys(c.key("dedup", "*")) == []

    retried = _wirewatch(redis_url, "dead", "retry", delivery)
    assert retried.returncode == 0, retried.stderr
    assert wait_for_status(client, [delivery])[delivery]["state"] == "emitted"
    [event] = stream_events(client)
    assert client.get(c.text_claim_key(event["content_hash"])) == event["id"]
    assert client.hlen(c.DEDUP_RESERVED) == 0


def test_retry_names_each_delivery_once(client: redis.Redis, redis_url: str) -> None:
    """`dead retry ID ID` queued the delivery twice and said "requeued 2"; a listed dead letter whose payload is
    gone (retried before) is named as such, not as absent from the dead letters that list it."""
    client.hset(c.DEAD_PAYLOAD, "d1", make_raw_article().model_dump_json())
    client.xadd(c.DEAD_STREAM, {"delivery_id": "d1", "reason": "max_attempts", "source": "tests", "at": "0"})
    client.xadd(c.DEAD_STREAM, {"delivery_id": "d0", "reason": "max_attempts", "source": "tests", "at": "0"})
    retried = _wirewatch(redis_url, "dead", "retry", "d1", "d1")
    assert retried.returncode == 0, retried.stderr
    assert retried.stdout.splitlines() == ["requeued 1 dead-lettered delivery"]
    [message] = client.lrange(c.INGEST_QUEUE, 0, -1)
    [args, _, _] = json.loads(base64.b64decode(json.loads(message)["body"]))
    assert args == [{"delivery_ids": ["d1"]}]
    again = _wirewatch(redis_url, "dead", "retry", "d1", "d0", "nope")
    assert again.returncode == 1
    assert "no dead letter waiting to be retried (unknown, or retried before): d0, d1, nope" in again.stderr
