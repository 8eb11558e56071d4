"""HEAD as GET without the body, for every route but the live streams (RFC 9110 §9.3.2: a server answers HEAD
wherever it answers GET).

FastAPI's routes take only the methods they name, so HEAD was a 405 everywhere, and uptime checkers and link
checkers that send HEAD saw a broken API. The app is shown the request as a GET; uvicorn, which still knows the
request was a HEAD, sends the headers (Content-Length included) and drops the body. The SSE routes are left out:
their GET never ends, so neither would a HEAD.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

STREAM_PREFIX = "/v1/stream/"


class HeadAsGet:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "HEAD" and not scope["path"].startswith(STREAM_PREFIX):
            scope = {**scope, "method": "GET"}  # a copy: the server's own scope still says HEAD
        await self.app(scope, receive, send)
