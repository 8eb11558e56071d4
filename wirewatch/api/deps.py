"""What every route needs: the shared state, errors as Problems, and the auth dependencies."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import redis
import redis.asyncio
from celery import Celery
from fastapi import Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ValidationError

from producers.inbox import json_error
from producers.submit import Submitter
from wirewatch.api.auth import Principal, RateLimiter, TokenTable, bearer
from wirewatch.api.limits import StreamSlots
from wirewatch.api.models import Problem
from wirewatch.api.tracing import Budget, trace_of
from wirewatch.logs import get_logger
from wirewatch.settings import Scope, Settings

log = get_logger("wirewatch.api")
ModelT = TypeVar("ModelT", bound=BaseModel)

_REASONS = {
    400: "The request is malformed, has a query parameter the route does not take (`unknown_query_parameter`), or "
    "gives one that takes a single value twice (`repeated_query_parameter`).",
    401: "No token, or not a valid one.",
    403: "The token's scope is too narrow for this, or no token that may do it is configured.",
    404: "Not found.",
    408: "The body did not arrive whole within http.body_timeout.",
    413: "The body is over the size limit.",
    415: "Unsupported content type or content encoding (`POST /v1/articles` takes gzip; the others none).",
    422: "The request or its records are invalid.",
    429: "Past the token's rate limit; see Retry-After.",
    503: "Redis is unreachable, or every live-stream slot is taken; see Retry-After.",
}


@dataclass
class ApiState:
    """Built once per app in its lifespan; routes reach it through ``request.app.state.ww``."""

    settings: Settings
    redis_url: str
    client: redis.Redis
    aclient: redis.asyncio.Redis
    celery: Celery
    submitter: Submitter
    tokens: TokenTable
    limiter: RateLimiter
    anonymous: RateLimiter  # per client address, for requests without a valid token
    streams: StreamSlots
    on_submit: Callable[[list[str]], None] | None = None  # told the delivery ids of every accepted body


class ApiError(Exception):
    """Raised by a route to answer with a Problem body and a status code."""

    def __init__(self, status: int, code: str, detail: str, headers: dict[str, str] | None = None,
                 errors: list[dict[str, Any]] | None = None) -> None:  # fmt: skip
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers or {}
        self.errors = errors or []


def get_state(request: Request) -> ApiState:
    state: ApiState = request.app.state.ww
    return state


def problems(*statuses: int, model_422: Any = None) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the error statuses a route can answer."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        model = model_422 if status == 422 and model_422 is not None else Problem
        out[status] = {"model": model, "description": _REASONS[status]}
    return out


_scheme = HTTPBearer(
    auto_error=False,
    description="A token from `http.tokens`. Scope `read` reads; `submit` also submits articles (POST "
    "/v1/articles); `write` may do everything, adding and removing subscriptions too.",
)


def _authorize(request: Request, needed: Scope, count: bool = True) -> Principal | None:
    """The principal that may do ``needed``; ``count``: spend one request of its rate budget (in Redis)."""
    state = get_state(request)
    presented = bearer(request.headers.get("authorization"))
    if needed != "read" and not state.tokens.grants(needed):
        # Before the token: with no token configured that may do this, it is closed to everyone, not open.
        raise ApiError(403, "writes_disabled", f"no token that may {needed} is configured (http.tokens): refused")
    address = _address(request)
    if needed == "read" and presented is None and state.settings.http.public_read:
        if count:
            _within(request, state.anonymous, f"address:{address}", address=address)
        return None
    principal = state.tokens.lookup(presented)
    if principal is None:
        # Failed tokens count against the address too: a flood of guesses is held like a flood of reads.
        if count:
            _within(request, state.anonymous, f"address:{address}", address=address)
        raise ApiError(401, "unauthorized", "a valid bearer token is required",
                       {"WWW-Authenticate": 'Bearer realm="wirewatch"'})  # fmt: skip
    if not principal.may(needed):
        detail = f"token {principal.name!r} has scope {principal.scope!r}; this needs {needed!r}"
        raise ApiError(403, "forbidden", detail)
    # Per token, not per name: names need not be unique, and a name could read like an address's budget.
    if count:
        _within(request, state.limiter, f"token:{principal.token_id}", token_name=principal.name)
    return principal


def _address(request: Request) -> str:
    # The peer's address: X-Forwarded-For is never trusted (uvicorn runs with proxy_headers off), so behind a
    # reverse proxy every anonymous client shares the proxy's budget.
    return request.client.host if request.client else "unknown"


def _within(request: Request, limiter: RateLimiter, budget: str, **who: str) -> None:
    decision = limiter.hit(budget)
    trace = trace_of(request)
    if trace is not None and limiter.limit > 0:  # told in the RateLimit headers of the answer (api/tracing.py)
        trace.budget = Budget(limiter.limit, decision.remaining, decision.retry_after_s, limiter.window_s)
    if not decision.allowed:
        if decision.first_refusal:
            # token_name: a "token" key is redacted from every log line, and the name is what tells partners apart.
            log.warning("http_rate_limited", **who, limit=limiter.limit, window_s=limiter.window_s,
                        retry_after_s=decision.retry_after_s)  # fmt: skip
        raise ApiError(429, "rate_limited", f"more than {limiter.limit} requests in {limiter.window_s}s",
                       {"Retry-After": str(decision.retry_after_s)})  # fmt: skip


def needs_read(request: Request, _: HTTPAuthorizationCredentials | None = Security(_scheme)) -> Principal | None:
    """Anyone when ``public_read``; else any valid token. A presented bad token is always 401."""
    return _authorize(request, "read")


def needs_stream_read(request: Request, _: HTTPAuthorizationCredentials | None = Security(_scheme)) -> bool:
    """``needs_read`` for the SSE routes; False when Redis could not count the request against its budget. The token
    is checked all the same; the route then tells the client to come back (a 503 would end an EventSource for good)."""
    try:
        _authorize(request, "read")
    except (redis.ConnectionError, redis.TimeoutError):
        _authorize(request, "read", count=False)
        return False
    return True


def needs_submit(request: Request, _: HTTPAuthorizationCredentials | None = Security(_scheme)) -> Principal:
    """A submit or write token, within its rate limit: submitting articles, and nothing else that writes."""
    principal = _authorize(request, "submit")
    assert principal is not None
    return principal


def needs_write(request: Request, _: HTTPAuthorizationCredentials | None = Security(_scheme)) -> Principal:
    """A write token, within its rate limit: the writes beyond article submission (subscriptions, and anything
    else that changes what wirewatch does)."""
    principal = _authorize(request, "write")
    assert principal is not None
    return principal


def media_type_of(request: Request) -> str:
    """The request's media type, lower case, without its parameters (`; charset=utf-8`)."""
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def json_body(request: Request) -> None:
    """For a route whose body is a JSON model: any other media type is 415 `unsupported_media_type`, as on the
    receiver. FastAPI reads such a body as bytes, and the model's check then said only "Input should be a valid
    dictionary or object to extract fields from". JSON is what FastAPI reads as JSON: `application/json` and any
    `application/…+json`; no Content-Type is taken as JSON too. After the token check (a dependency declared after
    it); async: it only reads a header."""
    media_type = media_type_of(request)
    main, _, sub = media_type.partition("/")
    if media_type and not (main == "application" and (sub == "json" or sub.endswith("+json"))):
        raise ApiError(415, "unsupported_media_type", f"the body is {media_type[:60]!r}: send application/json")


def json_model(model: type[ModelT]) -> Callable[[Request], Awaitable[ModelT]]:
    """A dependency that reads the request's body as ``model``: declared after the token check, it runs after it.

    A body declared as a route parameter is parsed by FastAPI before any dependency runs, so a caller with no
    token was told 422 `invalid_json` (where its JSON broke) before 401, and only a well-formed body learned that
    it needed a token. Here the media type is checked (`json_body`) and that the body is not packed (a small body
    gains nothing by it), then the JSON parsed (`invalid_json` with its line and column, deep nesting too: it was
    a 400 "There was an error parsing the body"), then the model validated (`invalid_request`, as FastAPI's own
    check says it). The body is already bounded (``BodyLimit``). Its schema is not in /openapi.json by itself:
    give the route ``openapi_extra=json_request_body(model)``."""

    async def read(request: Request) -> ModelT:
        await json_body(request)
        encoding = request.headers.get("content-encoding", "identity").strip().lower()
        if encoding != "identity":
            # It was ignored: a gzip body was "invalid JSON at line 1 column 1", a plain one so labelled stored.
            raise ApiError(415, "unsupported_content_encoding", f"Content-Encoding {encoding[:40]!r} is not taken "
                           "here: send the body uncompressed", {"Accept-Encoding": "identity"})  # fmt: skip
        raw = await request.body()
        if not raw:
            missing = {"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}
            raise RequestValidationError([missing])
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError) as e:  # JSONDecodeError is a ValueError; so is bytes that are not UTF-8
            raise ApiError(422, "invalid_json", json_error(e)) from None
        try:
            return model.model_validate(data)
        except ValidationError as e:
            errors = [{**error, "loc": ("body", *error["loc"])} for error in e.errors()]
            raise RequestValidationError(errors, body=data) from None

    return read


def json_request_body(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` of a route that reads ``model`` with `json_model` (the app adds it to the components)."""
    ref = {"$ref": f"#/components/schemas/{model.__name__}"}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": ref}}}}
