"""Reading Server-Sent Events in tests: frames parsed the way a browser's EventSource parses them."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest


@dataclass
class Frame:
    id: str | None
    event: str | None
    data: Any


def frames(response: httpx.Response) -> Iterator[Frame | None]:
    """Each message of an SSE response; None for a frame without data (retry, keep-alive comment)."""
    fields: dict[str, str] = {}
    for line in response.iter_lines():
        if line == "":
            data = fields.get("data")
            yield Frame(fields.get("id"), fields.get("event"), json.loads(data)) if data is not None else None
            fields = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            fields[name] = value[1:] if value.startswith(" ") else value


def collect(base: str, path: str, count: int, headers: dict[str, str] | None = None,
            after_open: Callable[[], None] | None = None, timeout: float = 30.0) -> list[Frame]:  # fmt: skip
    """Open the stream, run ``after_open`` once connected, and return the first ``count`` messages."""
    got: list[Frame] = []
    deadline = time.monotonic() + timeout
    with httpx.stream("GET", base + path, headers=headers, timeout=timeout) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        for frame in frames(response):
            if frame is None:
                if after_open is not None:
                    after_open()
                    after_open = None
                continue
            got.append(frame)
            if len(got) == count:
                return got
            if time.monotonic() > deadline:
                break
    pytest.fail(f"{path}: got {len(got)} of {count} messages")


def held_id(base: str, path: str, timeout: float = 5.0) -> str | None:
    """The Last-Event-ID an EventSource holds after the stream's first frame, before any event arrived: what
    it would send if the connection dropped then. Per the HTML spec a frame with an ``id`` and no data sets it."""
    held: str | None = None
    try:
        with httpx.stream("GET", base + path, timeout=timeout) as response:
            assert response.status_code == 200, response.read()
            for line in response.iter_lines():
                if line == "":
                    return held
                if line.startswith("id:"):
                    held = line[3:].removeprefix(" ")
    except httpx.ReadTimeout:
        pass
    return held
