"""Subscriptions over HTTP (list by pages, get one, add, remove; a write token to change them, never a submit token:
a subscription's webhook sends alerts wherever it points) and the dashboard's query box.

Subscriptions live in Redis with a version number (``worker/subscriptions.py``); a change here reaches every
worker within a second, without restarts. A query is parsed before it is stored, so a malformed one is a 422
naming the position, and never reaches a worker. Secrets are write-only: listings say whether one is set, and
show a webhook's URL whole only to a write token (to others, ``scheme://host/…``), and whether its receiver
switched it off (a 410 Gone: ``webhook_off``, until the subscription is posted again). A deployment holds at most
``limits.max_subscriptions``: a new one past it is a 409.
"""

from __future__ import annotations

import bisect
import json
import time
from datetime import datetime

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import Field

from schemas import ArticleEvent, MatchedTerm, Subscription
from wirewatch import constants as c
from wirewatch.api.auth import Principal
from wirewatch.api.deps import ApiError, get_state, json_model, json_request_body, needs_read, needs_write, problems
from wirewatch.api.models import Problem, _Body
from worker.match import document_from_event, evaluate, matched_terms
from worker.query import QuerySyntaxError, parse_query
from worker.subscriptions import (
    TooManySubscriptions,
    WebhookOff,
    find_subscription,
    list_subscriptions,
    put_subscription,
    remove_subscription,
    validate,
    webhook_off,
    webhook_origin,
    webhooks_off,
)

router = APIRouter(tags=["subscriptions"])
MATCH_SCAN_MAX = 2_000  # recent events a query-box try reads at most
# CPU time one query-box try may spend: the route is public by default and not rate-limited without a token, and a
# query of 250 wildcards that match nothing cost ~15 ms an event, 30 s over 2,000 (docs/decisions.md, "Security
# review"). An ordinary query tries 2,000 events in well under this.
MATCH_BUDGET_S = 1.0


class WebhookOffOut(_Body):
    at: datetime = Field(..., description="When the receiver answered 410 Gone.")
    reason: str


class SubscriptionOut(_Body):
    id: str
    name: str
    query: str
    webhook: str | None = Field(None, description="The receiver's URL; `scheme://host/…` unless the caller's "
                                "token may write (the path of a chat webhook is its secret).")  # fmt: skip
    has_secret: bool = Field(..., description="Secrets are write-only.")
    webhook_off: WebhookOffOut | None = Field(None, description="Set when the receiver answered 410 Gone: alerts "
                                              "are still written, none is POSTed, until the subscription is "
                                              "posted again.")  # fmt: skip


class SubscriptionIn(_Body):
    name: str = Field(..., min_length=1, max_length=200)
    query: str = Field(..., min_length=1, max_length=10_000)
    webhook: str | None = Field(None, max_length=2000, description="http(s) URL; alerts are POSTed there, signed.")
    # Its length is checked by `validate`, the rule the CLI and the config share (a 422 `invalid_subscription`
    # saying the bound); the bounds are only documented here, where pydantic's own check would say it differently.
    secret: str | None = Field(None, description=f"HMAC key for webhook signatures, {c.WEBHOOK_SECRET_MIN_CHARS} to "
                               f"{c.WEBHOOK_SECRET_MAX_CHARS} characters.",
                               json_schema_extra={"minLength": c.WEBHOOK_SECRET_MIN_CHARS,
                                                  "maxLength": c.WEBHOOK_SECRET_MAX_CHARS})  # fmt: skip


class SubscriptionPage(_Body):
    items: list[SubscriptionOut]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page (the last name of this "
                                    "one); null on the last page.")  # fmt: skip


class MatchResult(_Body):
    event: ArticleEvent
    matched: list[MatchedTerm]


class MatchPage(_Body):
    query: str
    scanned: int = Field(..., description="Recent events the query was tried on: fewer than `scan` when the "
                         "try ran out of its time budget.")  # fmt: skip
    items: list[MatchResult]


def _out(sub: Subscription, full_webhook: bool = True, off: WebhookOff | None = None) -> SubscriptionOut:
    webhook = sub.webhook if full_webhook or sub.webhook is None else webhook_origin(sub.webhook)
    off_out = None if off is None or sub.webhook is None else WebhookOffOut(at=off.at, reason=off.reason)
    return SubscriptionOut(id=sub.id, name=sub.name, query=sub.query, webhook=webhook, has_secret=bool(sub.secret),
                           webhook_off=off_out)  # fmt: skip


def _syntax(e: QuerySyntaxError) -> ApiError:
    return ApiError(422, "invalid_query", f"{e.message} at position {e.position}")


@router.get("/v1/subscriptions", response_model=SubscriptionPage, responses=problems(401, 403, 422, 429),
            summary="Subscriptions by name, a page at a time")  # fmt: skip
def get_subscriptions(
    request: Request,
    limit: int = Query(50, ge=1, le=c.HTTP_PAGE_MAX, description="Items per page."),
    cursor: str | None = Query(None, min_length=1, max_length=200, description="`next_cursor` of the previous page."),
    principal: Principal | None = Depends(needs_read),
) -> SubscriptionPage:
    """Stored subscriptions (config-file ones and those added at run time), by name, those after `cursor`. Webhook
    URLs are shown whole to a write token only: reads are public by default, and a chat webhook's URL is all it
    takes to post there."""
    full = principal is not None and principal.may("write")
    client = get_state(request).client
    subs = list_subscriptions(client)
    # Strictly after the cursor's name, whether it is still stored or not: a removal between pages skips nothing.
    start = 0 if cursor is None else bisect.bisect_right(subs, cursor, key=lambda s: s.name)
    page = subs[start : start + limit]
    more = start + limit < len(subs)
    off = webhooks_off(client)
    return SubscriptionPage(items=[_out(s, full, off.get(s.id)) for s in page],
                            next_cursor=page[-1].name if more else None)  # fmt: skip


# `:path`: a name may hold "/", as for the DELETE below.
@router.get("/v1/subscriptions/{name_or_id:path}", response_model=SubscriptionOut,
            responses=problems(401, 403, 404, 422, 429), summary="One subscription")  # fmt: skip
def get_one_subscription(
    request: Request,
    name_or_id: str = Path(..., min_length=1, max_length=200),
    principal: Principal | None = Depends(needs_read),
) -> SubscriptionOut:
    """By name or id (where the 201 of its POST points); 404 when there is no such subscription. The webhook URL
    whole to a write token only, as in the list."""
    client = get_state(request).client
    sub = find_subscription(client, name_or_id)
    if sub is None:
        raise ApiError(404, "not_found", "no such subscription")
    full = principal is not None and principal.may("write")
    return _out(sub, full, webhook_off(client, sub.id))


_subscription_in = json_model(SubscriptionIn)  # after the token check: see `json_model`


_CREATED = {
    "description": "Stored (added, or replaced by name).",
    "headers": {"Location": {"description": "Where to GET it: `/v1/subscriptions/<id>`.", "required": True,
                             "schema": {"type": "string", "pattern": "^/v1/subscriptions/sub_[0-9a-f]{16}$"}}},
}  # fmt: skip
_TOO_MANY = {"model": Problem, "description": "`too_many_subscriptions`: a new one past limits.max_subscriptions."}


@router.post("/v1/subscriptions", status_code=201, response_model=SubscriptionOut,
             responses={201: _CREATED, **problems(401, 403, 413, 415, 422, 429), 409: _TOO_MANY},
             openapi_extra=json_request_body(SubscriptionIn),
             summary="Add or replace a subscription (by name)")  # fmt: skip
def post_subscription(
    request: Request,
    response: Response,
    _: Principal = Depends(needs_write),
    body: SubscriptionIn = Depends(_subscription_in),
) -> SubscriptionOut:
    """Parsed before it is stored; workers pick it up within a second. A `write` token only. Posting a subscription
    is updating it: a webhook its receiver switched off (410 Gone) is switched back on. A new one past
    `limits.max_subscriptions` is a 409; a replacement never is."""
    state = get_state(request)
    try:
        sub = validate(body.name, body.query, body.webhook, body.secret,
                       allow_private=state.settings.allow_private_networks)  # fmt: skip
    except QuerySyntaxError as e:
        raise _syntax(e) from None
    except ValueError as e:
        raise ApiError(422, "invalid_subscription", str(e)) from None
    try:
        put_subscription(state.client, sub, max_subscriptions=state.settings.limits.max_subscriptions)
    except TooManySubscriptions as e:
        raise ApiError(409, "too_many_subscriptions", str(e)) from None
    response.headers["Location"] = f"/v1/subscriptions/{sub.id}"
    return _out(sub)


# `:path`: a name may hold "/" (`desk/politics`), sent as %2F, which is decoded before routing; without it such a
# subscription found no route (404 "no route at this path") and could be removed by its id only.
@router.delete("/v1/subscriptions/{name_or_id:path}", status_code=204, response_class=Response,
               responses=problems(401, 403, 404, 422, 429), summary="Remove a subscription")  # fmt: skip
def delete_subscription(
    request: Request,
    name_or_id: str = Path(..., min_length=1, max_length=200),
    _: Principal = Depends(needs_write),
) -> Response:
    """By name or id; 404 when there is no such subscription. A `write` token only."""
    if not remove_subscription(get_state(request).client, name_or_id):
        raise ApiError(404, "not_found", "no such subscription")
    return Response(status_code=204)


@router.get("/v1/match", response_model=MatchPage, responses=problems(401, 403, 422, 429),
            summary="Try a query against recent events (the dashboard's query box)")  # fmt: skip
async def try_query(
    request: Request,
    q: str = Query(..., min_length=1, max_length=10_000, description="A subscription query."),
    limit: int = Query(20, ge=1, le=c.HTTP_PAGE_MAX, description="Matches to return, newest first."),
    scan: int = Query(500, ge=1, le=MATCH_SCAN_MAX, description="Recent events to try it on."),
    _: Principal | None = Depends(needs_read),
) -> JSONResponse:
    """The newest events among the last `scan` that the query matches, with the terms that made it match; within
    a time budget, after which `scanned` says how many were tried."""
    try:
        query = parse_query(q)
    except QuerySyntaxError as e:
        raise _syntax(e) from None
    state = get_state(request)

    def run() -> tuple[int, list[dict[str, object]]]:
        entries: list[tuple[str, dict[str, str]]] = state.client.xrevrange(  # type: ignore[assignment]
            state.settings.events_stream, count=scan
        )
        found: list[dict[str, object]] = []
        deadline, tried = time.monotonic() + MATCH_BUDGET_S, 0
        for _, fields in entries:
            if time.monotonic() > deadline:
                return tried, found
            tried += 1
            if "event" not in fields:
                continue
            event = ArticleEvent.model_validate_json(fields["event"])
            doc = document_from_event(event)
            if evaluate(query.root, doc):
                found.append({"event": json.loads(fields["event"]),
                              "matched": [m.model_dump() for m in matched_terms(query, doc)]})  # fmt: skip
                if len(found) == limit:
                    break
        return len(entries), found

    scanned, items = await run_in_threadpool(run)
    return JSONResponse({"query": q, "scanned": scanned, "items": items})
