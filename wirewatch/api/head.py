"""HEAD as GET without the body, for every route (RFC 9110 §9.3.2: a server answers HEAD wherever it answers GET).

FastAPI's routes take only the methods they name, so HEAD was a 405 everywhere, and uptime checkers and link
checkers that send HEAD saw a broken API. The app is shown the request as a GET; uvicorn, which still knows the
request was a HEAD, sends the headers (Content-Length included) and drops the body. The scope the app sees is
marked (:func:`is_head`) for the routes whose GET never ends, the SSE streams: they answer a HEAD with GET's
headers at once instead of opening a stream whose body would be dropped (they were left out, a 405, before).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

HEAD_MARK = "wirewatch.head"  # a key of the scope the app sees: True when the client sent HEAD


class HeadAsGet:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "HEAD":
            scope = {**scope, "method": "GET", HEAD_MARK: True}  # a copy: the server's own scope still says HEAD
        await self.app(scope, receive, send)


def is_head(request: Request) -> bool:
    """Whether the client sent HEAD (the route sees GET): a route whose GET never ends answers it on its own."""
    return bool(request.scope.get(HEAD_MARK, False))
