"""The ASGI app: the receiver (producers/http.py), the read API, the SSE streams, operations, the dashboard.

``create_app(settings, redis_url)`` builds one app for one Redis; ``wirewatch serve`` and ``wirewatch run``
serve it with uvicorn (wirewatch/api/server.py). Every error is a :class:`~wirewatch.api.models.Problem`
body, and /openapi.json documents every status a route can answer, so clients (and the schemathesis test)
can rely on it.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from http import HTTPStatus
from importlib import resources
from typing import Any

import redis
import redis.asyncio
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from prometheus_client import CollectorRegistry
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Route

from producers import http as receiver
from producers.inbox import json_error
from producers.submit import Submitter
from wirewatch import __version__
from wirewatch import constants as c
from wirewatch.api import feeds, ops, read, stories, stream, subscriptions
from wirewatch.api.auth import RateLimiter, TokenTable
from wirewatch.api.conditional import ConditionalGet
from wirewatch.api.deps import ApiError, ApiState, problems
from wirewatch.api.head import HeadAsGet
from wirewatch.api.limits import (
    SECURITY_HEADERS,
    SMALL_BODY_MAX_BYTES,
    BodyDeadline,
    BodyLimit,
    HostCheck,
    StreamSlots,
    dashboard_policy,
    served_hosts,
)
from wirewatch.api.metrics import HttpMetrics, PipelineCollector, TimingMiddleware
from wirewatch.api.models import ArticleRecord, Problem
from wirewatch.api.openapi import document
from wirewatch.api.query import reject_unknown_query
from wirewatch.api.subscriptions import SubscriptionIn
from wirewatch.api.tracing import RequestTrace, trace_of
from wirewatch.logs import get_logger
from wirewatch.outcomes import Outcomes
from wirewatch.queue import celery_app
from wirewatch.redis_server import client_name, connect
from wirewatch.sentinel import async_primary_client, is_sentinel_url
from wirewatch.settings import Settings

log = get_logger("wirewatch.api")
DASHBOARD = resources.files("wirewatch.api").joinpath("static/dashboard.html")
SPARE_ASYNC_CONNECTIONS = 10  # headroom beyond one per stream slot, so a full house never meets the pool limit
_DETAILS = {404: "no route at this path", 405: "this route does not take {method}; see the Allow header"}


ROUTERS = (receiver.router, read.router, stories.router, feeds.router, subscriptions.router, stream.router, ops.router)
ROUTED = [route for router in ROUTERS for route in router.routes]


def allowed_methods(routes: Iterable[BaseRoute], path: str) -> str:
    """Every method some route takes at ``path``, HEAD wherever GET is (``HeadAsGet``), for a 405's ``Allow``.
    Starlette's named the methods of the path's first route alone: `Allow: GET` on /v1/subscriptions, which takes
    POST too, so a client reading it concluded it could not POST there."""
    methods: set[str] = set()
    for route in routes:
        if isinstance(route, Route) and route.methods and route.path_regex.match(path):
            methods |= route.methods
    return ", ".join(sorted(methods | ({"HEAD"} if "GET" in methods else set())))


def _slashed(routes: Iterable[BaseRoute], path: str) -> bool:
    """Whether ``path`` is a route's path with a trailing slash (no route takes one)."""
    bare = path.rstrip("/")
    return bare != path and any(isinstance(r, Route) and r.path_regex.match(bare) for r in routes)


def _problem(status: int, code: str, detail: str, errors: list[dict[str, Any]] | None = None,
             headers: dict[str, str] | None = None) -> JSONResponse:  # fmt: skip
    body = Problem(error=code, detail=detail, errors=errors or [])
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


def _json_syntax(e: RequestValidationError) -> str | None:
    """A body FastAPI could not decode as JSON, said as the receiver says it (`invalid JSON at line 2 column 11:
    Expecting value`); None for any other invalid request. FastAPI's own words were "body.0: JSON decode error"."""
    errors = e.errors()
    if len(errors) != 1 or errors[0].get("type") != "json_invalid" or not isinstance(e.body, str):
        return None
    position = errors[0]["loc"][-1]
    reason = str(errors[0].get("ctx", {}).get("error", "not JSON"))
    return json_error(json.JSONDecodeError(reason, e.body, position if isinstance(position, int) else 0))


def async_client(redis_url: str, max_connections: int) -> redis.asyncio.Redis:
    """The client of the SSE streams. Its read timeout outlasts a blocking XREAD (redis-py's default, 5 s,
    would cut every quiet stream after 5 s). Each open stream holds one connection, so the pool is sized
    from ``http.max_streams`` (redis-py's default of 100 ran dry under 100 streams: MaxConnectionsError)."""
    options: dict[str, Any] = {"decode_responses": True, "client_name": client_name(),
                               "max_connections": max_connections, "socket_timeout": c.SSE_BLOCK_MS / 1000 + 10,
                               "socket_connect_timeout": 5}  # fmt: skip
    if is_sentinel_url(redis_url):
        return async_primary_client(redis_url, **options)
    client: redis.asyncio.Redis = redis.asyncio.Redis.from_url(redis_url, **options)
    return client


def create_app(settings: Settings, redis_url: str,
               on_submit: Callable[[list[str]], None] | None = None) -> FastAPI:  # fmt: skip
    # A Redis that stops answering (a partition, a stopped process) must not hold every request thread: 503.
    client = connect(redis_url, timeout_s=c.API_REDIS_TIMEOUT_S)
    aclient = async_client(redis_url, settings.http.max_streams + SPARE_ASYNC_CONNECTIONS)
    celery = celery_app(redis_url)
    state = ApiState(
        settings=settings, redis_url=redis_url, client=client, aclient=aclient, celery=celery,
        submitter=Submitter(client, celery, Outcomes(client, settings), settings.batch_size),
        tokens=TokenTable(settings.http.tokens),
        limiter=RateLimiter(client, settings.http.rate_limit, settings.http.rate_window),
        anonymous=RateLimiter(client, settings.http.anonymous_rate_limit, settings.http.rate_window),
        streams=StreamSlots(settings.http.max_streams), on_submit=on_submit,
    )  # fmt: skip

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await aclient.aclose()
        celery.close()
        client.close()

    app = FastAPI(
        title="wirewatch", version=__version__, lifespan=lifespan,
        description="Submit articles, read events, stories and alerts, watch them live. Errors are Problem bodies.",
        # Every route: a query parameter it does not take is a 400 (it was ignored), documented on each.
        dependencies=[Depends(reject_unknown_query)], responses=problems(400),
        # A trailing slash was a 307 to the path without it, an absolute URL built from what this process sees:
        # behind a TLS proxy, `http://`, where a client that follows redirects sent the body and its token again.
        redirect_slashes=False,
        # No /docs or /redoc: their pages load Swagger UI and ReDoc from a CDN (a floating version, no integrity
        # hash) into this origin, the dashboard's, where a user would paste a token. /openapi.json is the document.
        docs_url=None, redoc_url=None,
    )  # fmt: skip
    app.state.ww = state
    app.state.ping_cache = {}
    app.state.registry = CollectorRegistry(auto_describe=True)
    app.state.registry.register(PipelineCollector(client, settings))
    app.state.http_metrics = HttpMetrics(app.state.registry)
    app.add_middleware(ConditionalGet)  # inside the timing: a 304 is counted as the 304 it is
    app.add_middleware(TimingMiddleware, metrics=app.state.http_metrics)
    app.add_middleware(BodyDeadline, timeout_s=settings.http.body_timeout,
                       drain_max_bytes=settings.http.max_body_bytes)  # fmt: skip
    app.add_middleware(BodyLimit, max_bytes=SMALL_BODY_MAX_BYTES, exempt=frozenset({("POST", "/v1/articles")}))
    app.add_middleware(HostCheck, hosts=served_hosts(settings.http.host, settings.http.allowed_hosts))
    # Outermost, so every layer (the metrics' route label too, set on the scope it is handed) sees one GET.
    app.add_middleware(HeadAsGet)
    # Around even that: every answer, the Host check's 421 and the body limits' too, names its request.
    app.add_middleware(RequestTrace)

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, e: ApiError) -> JSONResponse:
        return _problem(e.status, e.code, e.detail, e.errors, headers=e.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, e: RequestValidationError) -> JSONResponse:
        if (syntax := _json_syntax(e)) is not None:
            return _problem(422, "invalid_json", syntax)
        errors = [{"loc": [str(p) for p in err["loc"]], "msg": str(err["msg"])} for err in e.errors()]
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        return _problem(422, "invalid_request", f"{'.'.join(first['loc'])}: {first['msg']}", errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, e: StarletteHTTPException) -> JSONResponse:
        # Starlette's own answers (no such route, a method the route does not take, a body it could not
        # parse) and the body deadline's 408 are plain {"detail": …} otherwise; keep the Allow header of a 405.
        phrase = HTTPStatus(e.status_code).phrase
        # 413 as the receiver names it (its phrase is "Request Entity Too Large" before Python 3.13, then "Content…").
        code = "too_large" if e.status_code == 413 else re.sub(r"[^a-z]+", "_", phrase.lower()).strip("_")
        detail = str(e.detail)
        if detail == phrase and e.status_code in _DETAILS:
            detail = _DETAILS[e.status_code].format(method=request.method)
            if e.status_code == 404 and _slashed([*ROUTED, *app.routes], request.url.path):
                detail += " (routes take no trailing slash)"
        headers = dict(e.headers or {})
        if e.status_code == 405:
            headers["Allow"] = allowed_methods([*ROUTED, *app.routes], request.url.path) or headers.get("Allow", "")
        return _problem(e.status_code, code, detail, headers=headers)

    @app.exception_handler(Exception)
    async def _crash(request: Request, e: Exception) -> JSONResponse:
        # uvicorn still logs the traceback ("Exception in ASGI application", with the request id bound); this line
        # names the request and the failure, and the body gives the partner the id to quote. Sent past every
        # middleware, so it carries the request's headers itself.
        trace = trace_of(request)
        log.error("http_internal_error", method=request.method, path=request.url.path,
                  error=f"{type(e).__name__}: {e}"[:300])  # fmt: skip
        quote = f" with request id {trace.request_id}" if trace else ""
        return _problem(500, "internal_error", f"the server failed to answer this request; it has been logged{quote}",
                        headers=trace.headers() if trace else None)  # fmt: skip

    async def _redis_down(_: Request, e: Exception) -> JSONResponse:
        log.error("redis_unreachable", error=str(e), kind=type(e).__name__)
        return _problem(503, "redis_unreachable", "Redis is unreachable; try again shortly",
                        headers={"Retry-After": "5"})  # fmt: skip

    app.add_exception_handler(redis.ConnectionError, _redis_down)
    app.add_exception_handler(redis.TimeoutError, _redis_down)  # connected, but no answer within the timeout

    for router in ROUTERS:
        app.include_router(router)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def dashboard() -> HTMLResponse:
        page = DASHBOARD.read_text(encoding="utf-8")
        headers = {"Cache-Control": "no-cache", "Content-Security-Policy": dashboard_policy(page), **SECURITY_HEADERS}
        return HTMLResponse(page, headers=headers)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document(app, settings.http.public_read, bodies=(ArticleRecord, SubscriptionIn))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
