"""What every answer tells the client about its request: an id to quote, and the rate budget it was counted against.

**Request ids.** Each request gets an id, sent back as ``X-Request-ID`` and bound (``structlog.contextvars``) to
every line logged while it is served, in the event loop and in the thread pool alike; a 500 names it in its body
too. A client's own ``X-Request-ID`` is kept when it is a plain token (letters, digits, ``._:-``, at most 128),
so a partner can follow one id through its logs and ours; anything else is replaced by a fresh one, never echoed
(a header value goes into logs). The binding is not undone when the request ends: uvicorn serves each request in
a task of its own, whose context ends with it, and its ``Exception in ASGI application`` traceback, logged after
the app has returned, carries the id that way.

**RateLimit headers.** The token check (``wirewatch.api.deps``) counts a request against a budget, a token's or
a client address's; every answer so counted says where that budget stands, in the fields of the IETF draft
(draft-ietf-httpapi-ratelimit-headers): ``RateLimit-Limit``, ``RateLimit-Remaining``, ``RateLimit-Reset``
(seconds until the window ends; on a 429 it equals ``Retry-After``) and ``RateLimit-Policy`` (``600;w=60``).
An answer not counted (``/healthz``, a budget of 0) has none.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import structlog
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

TRACE_KEY = "wirewatch.trace"  # a key of the scope: the request's Trace, shared with every copy of the scope
_CLIENT_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


@dataclass
class Budget:
    """Where a request's rate budget stood once it was counted."""

    limit: int
    remaining: int
    reset_s: int
    window_s: int


@dataclass
class Trace:
    request_id: str
    budget: Budget | None = None  # set by the token check when it counts the request

    def headers(self) -> dict[str, str]:
        out = {"X-Request-ID": self.request_id}
        if self.budget is not None:
            b = self.budget
            out["RateLimit-Limit"], out["RateLimit-Remaining"] = str(b.limit), str(b.remaining)
            out["RateLimit-Reset"], out["RateLimit-Policy"] = str(b.reset_s), f"{b.limit};w={b.window_s}"
        return out


def trace_of(connection: HTTPConnection) -> Trace | None:
    """The request's Trace (None outside the middleware: an app built without it)."""
    trace = connection.scope.get(TRACE_KEY)
    return trace if isinstance(trace, Trace) else None


def _request_id(scope: Scope) -> str:
    given = next((value for name, value in scope["headers"] if name == b"x-request-id"), b"").decode("latin-1")
    return given if _CLIENT_ID.fullmatch(given) else uuid.uuid4().hex


class RequestTrace:
    """Pure ASGI, outermost: every answer of the app (its own Problems, the Host check's 421, a stream) carries the
    request id and, once counted, the budget. The 500 of Starlette's outermost error handler is sent past every
    middleware; it adds the headers itself (``trace_of``). The scope is marked in place, so that handler sees it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        trace = Trace(_request_id(scope))
        scope[TRACE_KEY] = trace
        structlog.contextvars.bind_contextvars(request_id=trace.request_id)

        async def traced_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in trace.headers().items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, traced_send)
