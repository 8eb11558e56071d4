"""Bounds on what a few clients can hold: SSE stream slots, the size of a request body and the time allowed to send
it; and
who may ask at all: the Host names served (DNS rebinding), the dashboard's content policy.

uvicorn's ``limit_concurrency`` (``http.max_connections``, wirewatch/api/server.py) caps connections as a whole;
these keep slow or numerous clients from holding what every other request needs. Why each number: docs/http.md.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import ipaddress
import re
import threading
import time

from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class StreamSlots:
    """At most ``limit`` SSE streams open at once. Each stream holds a connection of the async Redis pool for
    its whole life, so past the pool's size new streams would fail after their 200 is sent; refusing them up
    front gives the client a status it can act on."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.open = 0
        self._lock = threading.Lock()  # cheap, and correct whichever thread a route runs on

    def take(self) -> bool:
        """Claim a slot; False when all are taken."""
        with self._lock:
            if self.open >= self.limit:
                return False
            self.open += 1
            return True

    def free(self) -> bool:
        """Whether a slot is free now, without claiming it (a HEAD asks what its GET would hear)."""
        with self._lock:
            return self.open < self.limit

    def give_back(self) -> None:
        with self._lock:
            self.open -= 1


class BodyDeadline:
    """Pure ASGI: a request body must arrive whole within ``timeout_s`` of the request's start, else 408; and an
    answer given before the body was read whole waits for the rest of it, or closes the connection.

    A deadline for the whole body, not per chunk: a client trickling one byte every few seconds never trips a
    per-read timeout, yet holds a connection (and a ``limit_concurrency`` slot) for as long as it likes.

    An answer before the body (a 401 or 403, which the token check gives before the route reads a byte, a 429, a
    405) was sent on a connection kept open, where uvicorn went on taking and dropping whatever the client still
    sent, with no deadline and no bound. Now the rest of the body is taken and dropped first, within the deadline
    and up to ``drain_max_bytes``, so the client, done sending, reads its answer and may send its next request;
    past either, or declared larger, the answer says ``Connection: close`` and the connection ends. (Closed at
    once instead, a client still sending meets a reset and may never see the 401 that tells it why.)
    """

    def __init__(self, app: ASGIApp, timeout_s: float, drain_max_bytes: int) -> None:
        self.app = app
        self.timeout_s = timeout_s
        self.drain_max_bytes = drain_max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        deadline = time.monotonic() + self.timeout_s
        body_done = False
        declared, chunked = _framing(scope)
        has_body = chunked or bool(declared)

        async def bounded_receive() -> Message:
            nonlocal body_done
            if body_done:
                # What follows the body is the disconnect, which an SSE stream waits for as long as it is open.
                return await receive()
            try:
                async with asyncio.timeout(deadline - time.monotonic()):
                    message = await receive()
            except TimeoutError:
                # Connection: close, because the rest of the body may still be on its way.
                raise HTTPException(408, f"the request body did not arrive within {self.timeout_s:g}s",
                                    headers={"Connection": "close"}) from None  # fmt: skip
            if message["type"] != "http.request" or not message.get("more_body", False):
                body_done = True
            return message

        async def drained() -> bool:
            """Take and drop the rest of the body: True when all of it came, within the deadline and the bound."""
            taken = 0
            try:
                while not body_done:
                    message = await bounded_receive()
                    taken += len(message.get("body", b""))
                    if message["type"] != "http.request" or taken > self.drain_max_bytes:
                        return False
            except HTTPException:  # past the deadline, or past the bound of a layer outside
                return False
            return True

        async def answer_send(message: Message) -> None:
            if message["type"] == "http.response.start" and has_body and not body_done:
                headers = MutableHeaders(scope=message)
                closing = "close" in headers.get("connection", "").lower()
                if not closing and not ((declared or 0) <= self.drain_max_bytes and await drained()):
                    headers["Connection"] = "close"
            await send(message)

        await self.app(scope, bounded_receive, answer_send)


def _framing(scope: Scope) -> tuple[int | None, bool]:
    """The request's declared Content-Length (None when absent or not a number), and whether it is chunked."""
    declared: int | None = None
    chunked = False
    for name, value in scope["headers"]:
        if name == b"content-length" and value.strip().isdigit():
            declared = int(value)
        elif name == b"transfer-encoding":
            chunked = True
    return declared, chunked


# Every request body but the receiver's (which reads its own, up to `http.max_body_bytes`, gzip included). The
# largest valid subscription is ~12,400 characters (name 200, query 10,000, webhook 2,000, secret 200), 75 kB as
# JSON with every character escaped as \uXXXX; 128 KiB leaves room and bounds what any client can make us hold.
SMALL_BODY_MAX_BYTES = 128 * 1024


class BodyLimit:
    """Pure ASGI: a request body over ``max_bytes`` is refused with 413, declared (at once, unread) or sent (as it
    passes the bound). FastAPI reads a route's JSON body before its dependencies run, the token check included,
    so without this anyone could make the server hold a body of any size that arrives within ``body_timeout``.
    The routes in ``exempt`` (method, path) bound their own bodies."""

    def __init__(self, app: ASGIApp, max_bytes: int, exempt: frozenset[tuple[str, str]]) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.exempt = exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (scope["method"], scope["path"]) in self.exempt:
            await self.app(scope, receive, send)
            return
        declared = next((value for name, value in scope["headers"] if name == b"content-length"), None)
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            body = {"error": "too_large", "detail": f"{int(declared)} bytes is over the limit of {self.max_bytes} "
                    "for this route", "errors": []}  # fmt: skip
            # Connection: close, because the body was not read.
            await JSONResponse(body, status_code=413, headers={"Connection": "close"})(scope, receive, send)
            return
        received = 0

        async def bounded_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise HTTPException(413, f"the body is over the limit of {self.max_bytes} bytes for this route",
                                        headers={"Connection": "close"})  # fmt: skip
            return message

        await self.app(scope, bounded_receive, send)


LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def served_hosts(host: str, allowed: list[str] | None) -> frozenset[str] | None:
    """The Host names answered, or None for any. Configured: those and the loopback names. Not configured: the
    loopback names when the app listens on a loopback address — a web page whose name an attacker rebinds to
    127.0.0.1 (DNS rebinding) sends its own name as Host, and would otherwise read the local API from a user's
    browser — and any name when it listens elsewhere (it is meant to be reached by name, as `api` in compose)."""
    if allowed is not None:
        names = frozenset(_host_name(name) for name in allowed)
        return None if "*" in names else names | LOOPBACK_NAMES
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    return LOOPBACK_NAMES | {_host_name(host)} if loopback else None


def _host_name(header: str) -> str:
    """``[::1]:8787`` → ``::1``; ``News.Example.:80`` → ``news.example``."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0].rstrip(".") if header.count(":") == 1 else header.rstrip(".")


class HostCheck:
    """Pure ASGI: a request whose Host is not served gets 421 and a Problem body naming the setting."""

    def __init__(self, app: ASGIApp, hosts: frozenset[str] | None) -> None:
        self.app = app
        self.hosts = hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.hosts is None or scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = next((value for name, value in scope["headers"] if name == b"host"), b"").decode("latin-1")
        if _host_name(header) in self.hosts:
            await self.app(scope, receive, send)
            return
        body = {"error": "host_not_served", "detail": f"Host {header[:100]!r} is not served here: add its name to "
                "http.allowed_hosts (a reverse proxy's public name), or have the proxy send Host: localhost",
                "errors": []}  # fmt: skip
        await JSONResponse(body, status_code=421)(scope, receive, send)


# The dashboard's page: its one script and one style block by hash, data from its own origin, never framed.
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"}


def dashboard_policy(page: str) -> str:
    """A Content-Security-Policy that allows the page's own inline ``<script>`` and ``<style>`` and nothing
    else inline: an article title that got into the page as markup could not run."""
    sources = {}
    for kind in ("script", "style"):
        hashes = [_sha256_source(body) for body in re.findall(rf"<{kind}>(.*?)</{kind}>", page, re.S)]
        sources[kind] = " ".join(hashes) or "'none'"
    return (
        f"default-src 'none'; connect-src 'self'; img-src 'self' data:; script-src {sources['script']}; "
        f"style-src {sources['style']}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


def _sha256_source(body: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode() + "'"
