"""Bounds on what a few clients can hold: SSE stream slots, and the time allowed to send a request body.

uvicorn's ``limit_concurrency`` (``http.max_connections``, wirewatch/api/server.py) caps connections as a whole;
these keep slow or numerous clients from holding what every other request needs. Why each number: docs/http.md.
"""

from __future__ import annotations

import asyncio
import threading
import time

from starlette.exceptions import HTTPException
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

    def give_back(self) -> None:
        with self._lock:
            self.open -= 1


class BodyDeadline:
    """Pure ASGI: a request body must arrive whole within ``timeout_s`` of the request's start, else 408.

    A deadline for the whole body, not per chunk: a client trickling one byte every few seconds never trips a
    per-read timeout, yet holds a connection (and a ``limit_concurrency`` slot) for as long as it likes.
    """

    def __init__(self, app: ASGIApp, timeout_s: float) -> None:
        self.app = app
        self.timeout_s = timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        deadline = time.monotonic() + self.timeout_s
        body_done = False

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

        await self.app(scope, bounded_receive, send)
