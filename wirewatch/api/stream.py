"""Server-Sent Events over the Redis streams: ``/v1/stream/events`` and ``/v1/stream/alerts``.

Each SSE message carries the stream entry id as its ``id``, so a browser's EventSource reconnects with
``Last-Event-ID`` and misses nothing the stream still holds (XREAD after that id). Without one, the stream
starts at the newest entry. A comment line is sent when nothing arrived for ``SSE_BLOCK_MS`` so proxies and
clients see the connection alive.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import redis
import redis.asyncio
from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import StreamingResponse

from wirewatch import constants as c
from wirewatch.api.auth import Principal
from wirewatch.api.deps import ApiError, get_state, needs_read, problems
from wirewatch.logs import get_logger

router = APIRouter(tags=["streams"])
log = get_logger("wirewatch.sse")
_STREAM_ID = re.compile(r"^\d{1,19}(-\d{1,19})?$")
RETRY_MS = 2000
BATCH = 100


async def _start_id(client: redis.asyncio.Redis, stream: str, last_event_id: str | None, backlog: int) -> str:
    """Where to read from: after the client's last id, else ``backlog`` entries back from the newest."""
    if last_event_id:
        return last_event_id
    newest = await client.xrevrange(stream, count=backlog + 1)
    if not newest:
        return "0-0"
    if len(newest) <= backlog:
        return "0-0"
    return str(newest[-1][0])


async def sse_messages(client: redis.asyncio.Redis, stream: str, kind: str, after: str,
                       block_ms: int = c.SSE_BLOCK_MS) -> AsyncIterator[bytes]:  # fmt: skip
    """SSE frames for each entry after ``after``, forever; the caller's disconnect cancels it."""
    yield f"retry: {RETRY_MS}\n\n".encode()
    while True:
        try:
            reply: list[tuple[str, list[tuple[str, dict[str, str]]]]] = await client.xread(  # type: ignore[assignment]
                {stream: after}, block=block_ms, count=BATCH
            )
        except redis.RedisError as e:
            # End the response: the client reconnects after `retry` ms with Last-Event-ID and misses nothing.
            log.warning("sse_redis_error", stream=stream, error=str(e), after=after)
            return
        if not reply:
            yield b": keep-alive\n\n"
            continue
        for _, entries in reply:
            for entry_id, fields in entries:
                after = entry_id
                if "event" in fields:
                    yield f"id: {entry_id}\nevent: {kind}\ndata: {fields['event']}\n\n".encode()


def _response(
    request: Request, stream: str, kind: str, header_id: str | None, query_id: str | None, backlog: int
) -> StreamingResponse:
    last = header_id or query_id
    if last is not None and not _STREAM_ID.match(last):
        raise ApiError(422, "invalid_last_event_id", "Last-Event-ID must be a stream id such as 1700000000000-0")
    state = get_state(request)

    async def frames() -> AsyncIterator[bytes]:
        after = await _start_id(state.aclient, stream, last, backlog)
        async for frame in sse_messages(state.aclient, stream, kind, after):
            yield frame

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(frames(), media_type="text/event-stream", headers=headers)


_SSE_DOC: dict[int | str, dict[str, object]] = {200: {"content": {"text/event-stream": {"schema": {"type": "string"}}},
                  "description": "SSE: `id` is the stream entry id, `data` the event JSON."}}  # fmt: skip
_SSE_RESPONSES: dict[int | str, dict[str, object]] = {**_SSE_DOC, **problems(401, 403, 422, 429)}


@router.get("/v1/stream/events", response_class=StreamingResponse, responses=_SSE_RESPONSES,
            summary="New ArticleEvents as Server-Sent Events")  # fmt: skip
def stream_events(
    request: Request,
    last_event_id: str | None = Header(None, alias="Last-Event-ID", description="Resume after this entry."),
    after: str | None = Query(None, description="Resume after this entry (for clients that cannot set headers)."),
    backlog: int = Query(0, ge=0, le=c.HTTP_PAGE_MAX, description="Without a resume id: first send this many recent."),
    _: Principal | None = Depends(needs_read),
) -> StreamingResponse:
    """Every event appended from now on (or after `Last-Event-ID`), as `event: article` messages."""
    return _response(request, get_state(request).settings.events_stream, "article", last_event_id, after, backlog)


@router.get("/v1/stream/alerts", response_class=StreamingResponse, responses=_SSE_RESPONSES,
            summary="New AlertEvents as Server-Sent Events")  # fmt: skip
def stream_alerts(
    request: Request,
    last_event_id: str | None = Header(None, alias="Last-Event-ID", description="Resume after this entry."),
    after: str | None = Query(None, description="Resume after this entry (for clients that cannot set headers)."),
    backlog: int = Query(0, ge=0, le=c.HTTP_PAGE_MAX, description="Without a resume id: first send this many recent."),
    _: Principal | None = Depends(needs_read),
) -> StreamingResponse:
    """Every alert appended from now on (or after `Last-Event-ID`), as `event: alert` messages."""
    return _response(request, get_state(request).settings.alerts_stream, "alert", last_event_id, after, backlog)
