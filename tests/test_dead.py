"""Dead letters: listed with their reason, and retried back through the pipeline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable

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

    unknown = _wirewatch(redis_url, "dead", "retry", "no-such-id")
    assert unknown.returncode == 1 and "not in the dead letters: no-such-id" in unknown.stderr

    retried = _wirewatch(redis_url, "dead", "retry", "--all")
    assert retried.returncode == 0 and "requeued 1" in retried.stdout
    assert wait_for_status(client, [delivery])[delivery]["state"] == "emitted"
    assert len(stream_events(client)) == 1
    assert client.hlen(c.DEAD_PAYLOAD) == 0
