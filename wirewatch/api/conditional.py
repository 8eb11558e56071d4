"""Conditional reads: an ETag on every JSON read, and 304 Not Modified when the client's copy still holds.

Pollers ask the same question again and again (the dashboard's ``/v1/stats`` every 3 s, a partner's status URL or
``/v1/subscriptions``) and got the whole body each time. Every ``200`` JSON answer to a ``GET`` (``HEAD`` too)
now carries a strong ``ETag``, a SHA-256 of the body's bytes (cut to 128 bits), and ``Cache-Control: no-cache``
(keep it, ask again before using it); a request whose ``If-None-Match`` names that tag, or is ``*``, is answered
``304`` with no body (RFC 9110 §13.1.2: weak comparison, so ``W/"…"`` matches too). The tag is of the bytes, so
any change to what the route would answer is a new tag, and an unchanged answer keeps its tag across replicas
and restarts.

The body is still built and the request still counted against its rate budget: a 304 saves the bytes on the
wire, not the server's work. Hashing costs ~0.5 ms per MB (2.5 ms for a 5 MB page of 500 events, measured);
streams, Problems, writes and non-JSON answers pass through untouched.
"""

from __future__ import annotations

import hashlib

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def none_match(condition: str, tag: str) -> bool:
    """Whether an ``If-None-Match`` value names ``tag`` (weak comparison: ``W/`` is ignored), or is ``*``."""
    if condition.strip() == "*":
        return True
    return any(part.strip().removeprefix("W/") == tag for part in condition.split(","))


class ConditionalGet:
    """Pure ASGI: holds a 200 JSON answer's start until its body is whole, tags it, and sends it or a 304."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":  # HEAD reaches here as GET (HeadAsGet)
            await self.app(scope, receive, send)
            return
        condition = next((v for k, v in scope["headers"] if k == b"if-none-match"), None)
        held: Message | None = None
        chunks: list[bytes] = []

        async def conditional_send(message: Message) -> None:
            nonlocal held
            if message["type"] == "http.response.start":
                if message["status"] == 200 and _is_json(message):
                    held = message
                    return
                await send(message)
                return
            if held is None or message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = b"".join(chunks)
            headers = MutableHeaders(scope=held)
            headers["ETag"] = tag = etag(body)
            headers.setdefault("Cache-Control", "no-cache")
            if condition is not None and none_match(condition.decode("latin-1"), tag):
                del headers["content-length"]
                del headers["content-type"]
                await send({**held, "status": 304})
                await send({"type": "http.response.body", "body": b""})
                return
            await send(held)
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, conditional_send)


def _is_json(start: Message) -> bool:
    media_type = Headers(raw=start["headers"]).get("content-type", "").split(";")[0].strip().lower()
    return media_type == "application/json"
