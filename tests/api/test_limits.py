"""Bounds on clients over a real server: live-stream slots, the Redis pool behind them, slow bodies, connections."""

from __future__ import annotations

import asyncio
import json
import select
import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import redis

from tests.api.conftest import WRITE_TOKEN, http_settings
from tests.api.sse import collect
from tests.api.test_read import add, make_event
from wirewatch import constants as c
from wirewatch.api.server import serving
from wirewatch.settings import ConfigError


def _open_stream(stack: ExitStack, url: str) -> Iterator[str]:
    """The lines of an SSE response held open by ``stack``, after its first (so the server has counted it).
    Keep the iterator: once it is collected, httpx closes the connection."""
    response = stack.enter_context(httpx.stream("GET", url, timeout=30))
    assert response.status_code == 200, response.read()
    lines = response.iter_lines()
    assert next(lines).startswith("retry:")
    return lines


def test_streams_past_the_cap_are_refused(redis_url: str, tmp_path: Path) -> None:
    """With max_streams open, another stream is a 503 Problem with Retry-After; a closed one frees its slot."""
    settings = http_settings(redis_url, tmp_path, max_streams=2)
    with serving(settings, redis_url) as base, ExitStack() as stack:
        first = ExitStack()
        held = [_open_stream(first, f"{base}/v1/stream/events"),
                _open_stream(stack, f"{base}/v1/stream/alerts")]  # both routes share the slots  # fmt: skip
        refused = httpx.get(f"{base}/v1/stream/events", timeout=10)
        assert refused.status_code == 503 and refused.headers["Retry-After"] == "10"
        assert refused.json()["error"] == "too_many_streams"
        first.close()
        del held[0]
        deadline = time.monotonic() + 10
        while True:
            with httpx.stream("GET", f"{base}/v1/stream/events", timeout=10) as again:
                if again.status_code == 200:
                    break
            assert time.monotonic() < deadline, "the closed stream never gave its slot back"
            time.sleep(0.1)


def test_more_streams_than_redis_pys_default_pool(api: str, client: redis.Redis) -> None:
    """120 streams (redis-py's pool defaults to 100 connections) all open and all get the next event."""
    count = 120
    opened = 0

    async def watch(http: httpx.AsyncClient) -> str:
        nonlocal opened
        async with http.stream("GET", f"{api}/v1/stream/events") as response:
            assert response.status_code == 200
            async for line in response.aiter_lines():
                if line.startswith("retry:"):
                    opened += 1
                elif line.startswith("data:"):
                    return str(json.loads(line.removeprefix("data:"))["title"])
        return "the stream ended"

    async def run() -> list[str]:
        limits = httpx.Limits(max_connections=count + 10, max_keepalive_connections=0)
        async with httpx.AsyncClient(limits=limits, timeout=60) as http:
            watchers = [asyncio.create_task(watch(http)) for _ in range(count)]
            deadline = time.monotonic() + 60
            while opened < count and not any(w.done() for w in watchers):
                assert time.monotonic() < deadline, f"only {opened} of {count} streams opened"
                await asyncio.sleep(0.1)
            add(client, c.EVENTS_STREAM, [make_event(1)])
            return await asyncio.gather(*watchers)

    assert asyncio.run(run()) == ["Event 1"] * count


def _half_sent_post(base: str, declared: int = 100) -> socket.socket:
    """A POST whose headers are complete and whose body has only begun to arrive."""
    parts = urlsplit(base)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
    head = (f"POST /v1/articles HTTP/1.1\r\nHost: {parts.netloc}\r\nAuthorization: Bearer {WRITE_TOKEN}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {declared}\r\n\r\n{{")  # fmt: skip
    sock.sendall(head.encode())
    return sock


def _answer(sock: socket.socket) -> bytes:
    """All the server sends until it closes the connection."""
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def test_a_trickled_body_is_cut_off_with_408(redis_url: str, tmp_path: Path, client: redis.Redis) -> None:
    """A client sending a byte every few seconds gets 408 (a Problem) once body_timeout has passed, and is closed."""
    settings = http_settings(redis_url, tmp_path, body_timeout="2s")
    with serving(settings, redis_url) as base:
        sock = _half_sent_post(base)
        started = time.monotonic()
        # A byte every 0.5 s (50 s to finish the body) until shortly before the deadline, then nothing more: a
        # byte sent as the server closes would draw a reset, which can discard the 408 before it is read.
        while time.monotonic() - started < 1.5:
            time.sleep(0.5)
            sock.sendall(b" ")
        sock.settimeout(10)
        answer = _answer(sock)
        sock.close()
        assert 1.5 < time.monotonic() - started < 6
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 408") and b"connection: close" in head.lower()
        assert json.loads(body)["error"] == "request_timeout"
    assert client.zcard(c.LEDGER_PENDING) == 0


def test_streams_outlive_the_body_timeout(redis_url: str, tmp_path: Path, client: redis.Redis) -> None:
    """The body deadline ends with the body: a stream open longer than body_timeout still gets its events."""
    settings = http_settings(redis_url, tmp_path, body_timeout="1s")

    def later() -> None:
        time.sleep(2)
        add(client, c.EVENTS_STREAM, [make_event(7)])

    with serving(settings, redis_url) as base:
        [frame] = collect(base, "/v1/stream/events", 1, after_open=later)
    assert frame.data["title"] == "Event 7"


def test_connections_past_the_cap_are_refused_at_once(redis_url: str, tmp_path: Path) -> None:
    """With max_connections held by half-sent bodies, more requests get 503 at once; /healthz recovers after
    the body deadline instead of waiting on the slow clients."""
    settings = http_settings(redis_url, tmp_path, max_connections=4, max_streams=1, body_timeout="2s")
    with serving(settings, redis_url) as base:
        held = [_half_sent_post(base) for _ in range(3)]
        time.sleep(0.3)  # let the server take them in
        extra = _half_sent_post(base)
        assert _answer(extra).startswith(b"HTTP/1.1 503")
        extra.close()
        deadline = time.monotonic() + 8
        while httpx.get(f"{base}/healthz", timeout=5).status_code != 200:
            assert time.monotonic() < deadline, "/healthz never recovered"
            time.sleep(0.2)
        for sock in held:
            assert _answer(sock).startswith(b"HTTP/1.1 408")
            sock.close()


def test_streams_must_fit_in_the_connections(redis_url: str, tmp_path: Path) -> None:
    """max_streams at or past max_connections would let streams take every connection: a config error."""
    with pytest.raises(ConfigError, match="max_streams"):
        http_settings(redis_url, tmp_path, max_streams=300, max_connections=300)


def _one_answer(sock: socket.socket) -> bytes:
    """One answer's head and body (by its Content-Length), leaving the connection for the next."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    lengths = [line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")]
    length = int(lengths[0])
    while len(body) < length:
        body += sock.recv(65536)
    return head + b"\r\n\r\n" + body


def _post_head(base: str, path: str, framing: str, token: str | None = None) -> socket.socket:
    """A POST to ``path`` (without a token unless given) whose headers are sent and whose body is not (yet)."""
    parts = urlsplit(base)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    sock.sendall(f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n{auth}"
                 f"{framing}\r\n\r\n".encode())  # fmt: skip
    return sock


def test_a_large_body_on_another_route_is_refused_before_it_is_read(redis_url: str, tmp_path: Path) -> None:
    """Every route but the receiver's takes a small body (a subscription is a few kB): one declared larger is 413
    at once, one sent chunked is 413 as it passes the bound (with a token: without one it is a 401 before a byte is
    read). FastAPI read a route's JSON body before its token check, so anyone could make the server hold a body of
    any size (within body_timeout) in memory."""
    settings = http_settings(redis_url, tmp_path, body_timeout="5s")
    with serving(settings, redis_url) as base:
        declared = _post_head(base, "/v1/subscriptions", "Content-Length: 500000000")
        declared.settimeout(3)
        head, _, body = _answer(declared).partition(b"\r\n\r\n")
        declared.close()
        assert head.startswith(b"HTTP/1.1 413"), head
        assert json.loads(body)["error"] == "too_large"
        chunked = _post_head(base, "/v1/subscriptions", "Transfer-Encoding: chunked", token=WRITE_TOKEN)
        chunked.settimeout(3)
        chunk = b"x" * 16384
        for _ in range(32):  # up to 512 KiB, a piece at a time until the answer comes (no reset from unread data)
            chunked.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            if select.select([chunked], [], [], 0.05)[0]:
                break
        head = _answer(chunked).partition(b"\r\n\r\n")[0]
        chunked.close()
        assert head.startswith(b"HTTP/1.1 413"), head
        ok = httpx.post(f"{base}/v1/subscriptions", json={"name": "n", "query": "q" * 9000}, timeout=10)
        assert ok.status_code == 401  # a body of the largest legal size still reaches the token check


@pytest.mark.parametrize("path", ["/v1/subscriptions", "/v1/articles", "/v1/subscriptions/x"])
def test_an_answer_before_the_body_waits_for_it_or_closes(redis_url: str, tmp_path: Path, path: str) -> None:
    """A POST answered before its body is read (401 without a token, 405 where no route takes POST) was sent on a
    connection kept open, where the server took and dropped whatever the client still sent, without a deadline.
    Now the rest of the body is taken first: a body that comes whole gets the answer and the connection serves
    the next request; one that does not within body_timeout gets it with `Connection: close`, and is closed."""
    with serving(http_settings(redis_url, tmp_path, body_timeout="2s"), redis_url) as base:
        whole = _post_head(base, path, "Transfer-Encoding: chunked")
        whole.settimeout(5)
        whole.sendall(b"10\r\n" + b"x" * 16 + b"\r\n0\r\n\r\n")
        first = _one_answer(whole)
        assert first.split(b"\r\n")[0] in (b"HTTP/1.1 401 Unauthorized", b"HTTP/1.1 405 Method Not Allowed"), first
        assert b"connection: close" not in first.lower()
        whole.sendall(f"GET /healthz HTTP/1.1\r\nHost: {urlsplit(base).netloc}\r\n\r\n".encode())
        assert _one_answer(whole).startswith(b"HTTP/1.1 200 OK")
        whole.close()
        started = time.monotonic()
        cut = _post_head(base, path, "Transfer-Encoding: chunked")
        cut.settimeout(5)
        cut.sendall(b"10\r\n" + b"x" * 16 + b"\r\n")  # and no more
        head = _answer(cut).partition(b"\r\n\r\n")[0]  # returns: the server closed the connection
        cut.close()
        assert head.split(b"\r\n")[0] in (b"HTTP/1.1 401 Unauthorized", b"HTTP/1.1 405 Method Not Allowed"), head
        assert b"connection: close" in head.lower() and 1.5 < time.monotonic() - started < 4.5
