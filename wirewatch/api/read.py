"""The read API: events and alerts from their streams, cursor-paginated by stream entry id, and the counts.

Pages are built from the stored JSON strings without decoding and re-encoding each event, so a page of 500
events costs one XRANGE and one join.
"""

from __future__ import annotations

import json
from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from wirewatch import constants as c
from wirewatch.api.auth import Principal
from wirewatch.api.deps import get_state, needs_read, problems
from wirewatch.api.models import AlertPage, EventPage, Stats
from wirewatch.runner import stats_snapshot

router = APIRouter(tags=["read"])

# 19 digits stay below 2**64, as Redis needs; [0-9], not \d, which in Python (and pydantic) takes any script's digits.
STREAM_ID = r"^[0-9]{1,19}(-[0-9]{1,19})?$"
Order = Literal["desc", "asc"]


def stream_page(client: object, stream: str, limit: int, cursor: str | None, order: Order) -> bytes:
    """``{"items": [...], "next_cursor": …}`` of the ``event`` fields after ``cursor`` (exclusive).

    Newest first, ``next_cursor`` is null on the last page: the walk reached the oldest entry. Oldest first,
    every page that has entries ends in a cursor, the last page too: it is where a client that polls for
    new events resumes (a null there left it no way on but to start again, and see everything twice).
    """
    if order == "desc" and cursor is not None and _is_zero(cursor):
        entries = []  # nothing is older than 0-0, and Redis refuses "(0-0" as a bound
    elif order == "desc":
        entries = client.xrevrange(stream, max=f"({cursor}" if cursor else "+", min="-", count=limit + 1)  # type: ignore[attr-defined]
    else:
        # Oldest first from the largest id: Redis takes "(<max>-<max>" and answers nothing, no error to catch.
        # (Every ResponseError was caught here, so a key of the wrong type read as an empty page.)
        entries = client.xrange(stream, min=f"({cursor}" if cursor else "-", max="+", count=limit + 1)  # type: ignore[attr-defined]
    more = len(entries) > limit
    entries = entries[:limit]
    items = [fields["event"] for _, fields in entries if "event" in fields]
    next_cursor = json.dumps(entries[-1][0] if entries and (more or order == "asc") else None)
    return f'{{"items":[{",".join(items)}],"next_cursor":{next_cursor}}}'.encode()


def _is_zero(stream_id: str) -> bool:
    return all(int(part) == 0 for part in stream_id.split("-"))


def _page_params(
    limit: int = Query(50, ge=1, le=c.HTTP_PAGE_MAX, description="Items per page."),
    cursor: str | None = Query(None, pattern=STREAM_ID, description="`next_cursor` of the previous page."),
    order: Order = Query("desc", description="desc: newest first; asc: oldest first."),
) -> tuple[int, str | None, Order]:
    return limit, cursor, order


@router.get("/v1/events", response_model=EventPage, responses=problems(401, 403, 422, 429),
            summary="ArticleEvents of ww:events, newest first")  # fmt: skip
def list_events(
    request: Request,
    page: tuple[int, str | None, Order] = Depends(_page_params),
    _: Principal | None = Depends(needs_read),
) -> Response:
    """One page of events; pass `next_cursor` back as `cursor` for the next."""
    state = get_state(request)
    return Response(stream_page(state.client, state.settings.events_stream, *page), media_type="application/json")


@router.get("/v1/alerts", response_model=AlertPage, responses=problems(401, 403, 422, 429),
            summary="AlertEvents of ww:alerts, newest first")  # fmt: skip
def list_alerts(
    request: Request,
    page: tuple[int, str | None, Order] = Depends(_page_params),
    _: Principal | None = Depends(needs_read),
) -> Response:
    """One page of alerts; pass `next_cursor` back as `cursor` for the next."""
    state = get_state(request)
    return Response(stream_page(state.client, state.settings.alerts_stream, *page), media_type="application/json")


@router.get("/v1/stats", response_model=Stats, responses=problems(401, 403, 429), summary="Counts")
def stats(request: Request, _: Principal | None = Depends(needs_read)) -> Stats:
    """Lifetime outcomes, what is pending and queued, and the stream lengths."""
    state = get_state(request)
    return Stats(**stats_snapshot(state.client, state.settings))
