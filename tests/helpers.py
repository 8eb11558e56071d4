"""Test helpers: factories and waits shared by the test modules."""

from __future__ import annotations

import base64
import json
import socket
import time
import uuid
from typing import Any

import pytest
import redis

from schemas import RawArticle, RawSource, utcnow
from wirewatch import constants as c
from wirewatch.outcomes import read_status


def make_raw_article(**overrides: Any) -> RawArticle:
    """A RawArticle with sensible defaults; any field can be overridden."""
    fields: dict[str, Any] = {
        "delivery_id": uuid.uuid4().hex,
        "source": RawSource(kind="inbox", name="tests"),
        "content_type": "text",
        "content": "A headline\n\nA body of text long enough to be an article about nothing in particular.",
        "received_at": utcnow(),
    }
    fields.update(overrides)
    return RawArticle(**fields)


def wait_for_status(client: redis.Redis, ids: list[str], timeout: float = 30.0) -> dict[str, dict[str, Any]]:
    """Block until every delivery has a status record; fail the test on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        statuses = read_status(client, ids)
        if all(statuses.values()):
            return {k: v for k, v in statuses.items() if v is not None}
        if time.monotonic() > deadline:
            missing = [k for k, v in statuses.items() if v is None]
            pytest.fail(f"{len(missing)} deliveries not settled within {timeout}s: {missing[:5]}")
        time.sleep(0.05)


def stream_events(client: redis.Redis, stream: str = c.EVENTS_STREAM) -> list[dict[str, Any]]:
    return [json.loads(fields["event"]) for _, fields in client.xrange(stream)]


def queued_batches(client: redis.Redis) -> list[list[str]]:
    """The delivery ids of each wirewatch message waiting on the ingest queue, oldest first (others skipped)."""
    batches = []
    messages: list[str] = client.lrange(c.INGEST_QUEUE, 0, -1)  # type: ignore[assignment]
    for message in reversed(messages):  # kombu pushes on the left
        try:
            args, _, _ = json.loads(base64.b64decode(json.loads(message)["body"]))
        except ValueError:
            continue
        batches.append(args[0]["delivery_ids"])
    return batches


def free_port() -> int:
    """A loopback TCP port nothing listens on (for a server the test starts, or a peer that is not there)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
