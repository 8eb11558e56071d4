"""Server-Sent Events over the Redis streams: ``/v1/stream/events`` and ``/v1/stream/alerts``.

Each SSE message carries the stream entry id as its ``id``, so a browser's EventSource reconnects with
``Last-Event-ID`` and misses nothing the stream still holds (XREAD after that id). Without one, the stream
starts at the newest entry, and says so in a first data-less frame whose ``id`` a reconnect sends back. A
comment line is sent when nothing arrived for ``SSE_BLOCK_MS`` so proxies and clients see the connection
alive. Each stream holds a Redis connection while it is open, so at most ``http.max_streams`` are open at once
(:class:`~wirewatch.api.limits.StreamSlots`); the next is refused with 503. HEAD gets what GET would (status and
headers) at once, and opens nothing.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import redis
import redis.asyncio
from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from wirewatch import constants as c
from wirewatch.api.deps import ApiError, get_state, needs_stream_read, problems
from wirewatch.api.head import is_head
from wirewatch.api.limits import StreamSlots
from wirewatch.logs import get_logger

router = APIRouter(tags=["streams"])
log = get_logger("wirewatch.sse")
# [0-9], not \d (any script's digits), and fullmatch, not match ($ also matches before a final newline): Redis
# takes neither, and the stream ended at once, again at each reconnect.
_STREAM_ID = re.compile(r"[0-9]{1,19}(-[0-9]{1,19})?")
RETRY_MS = 2000
BATCH = 100
BUSY_RETRY_S = 10  # Retry-After when every stream slot is taken: streams are long-lived, so not sooner


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
    """SSE frames for each entry after ``after``, forever; the caller's disconnect cancels it.

    The first frame gives the start as an id without data: an EventSource keeps it as its last event id and
    fires nothing, so a reconnect before the first event resumes where this stream began. Without it such a
    reconnect started at the newest entry of that moment, and missed what was appended while it was away;
    and with Redis down it got a 503 (the start is looked up first), which ends an EventSource for good.
    """
    yield f"retry: {RETRY_MS}\nid: {after}\n\n".encode()
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


class _SlotResponse(StreamingResponse):
    """A stream that gives its slot back however it ends: drained, cancelled by a disconnect, or failed."""

    def __init__(self, content: AsyncIterator[bytes], slots: StreamSlots, headers: dict[str, str]) -> None:
        super().__init__(content, media_type="text/event-stream", headers=headers)
        self.slots = slots

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.slots.give_back()


def _come_back(last: str | None) -> Response:
    """With Redis unreachable: a stream that ends at once, with ``retry`` and the id to resume from. An EventSource
    reconnects after ``retry`` ms and resumes there; a 503 would end it for good (the HTML spec fails the connection
    on any status but 200), so a Redis restart stopped every open dashboard. Nothing is missed meanwhile: events are
    appended to the Redis that is down. No ``id`` line without an id: an empty one wipes what the client holds."""
    body = f": redis_unreachable\nretry: {RETRY_MS}\n" + (f"id: {last}\n" if last else "") + "\n"
    return Response(body, media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


def _head(headers: dict[str, str]) -> Response:
    """HEAD: the headers of the stream's 200 and no body, with no slot taken and no Redis read (the route was a
    405: uptime checkers saw a broken route). No Content-Length: a stream has none, and "0" would call it empty."""
    response = Response(media_type="text/event-stream", headers=headers)
    del response.headers["content-length"]
    return response


async def _response(
    request: Request, stream: str, kind: str, header_id: str | None, query_id: str | None, backlog: int,
    counted: bool,
) -> Response:  # fmt: skip
    last = header_id or query_id
    if last is not None and not _STREAM_ID.fullmatch(last):
        raise ApiError(422, "invalid_last_event_id", "Last-Event-ID must be a stream id such as 1700000000000-0")
    if not counted:  # the rate limit could not reach Redis; the stream could not either
        log.warning("sse_redis_unreachable", stream=stream, after=last)
        return _come_back(last)
    state = get_state(request)
    head = is_head(request)
    if not (state.streams.free() if head else state.streams.take()):
        raise ApiError(503, "too_many_streams", f"all {state.streams.limit} live streams are taken; try again later",
                       {"Retry-After": str(BUSY_RETRY_S)})  # fmt: skip
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    if head:
        return _head(headers)
    try:
        # Before the 200, so a Redis failure is a short answer that says `retry`, not a stream that never starts.
        after = await _start_id(state.aclient, stream, last, backlog)
    except redis.RedisError as e:
        state.streams.give_back()
        log.warning("sse_redis_error", stream=stream, error=str(e))
        return _come_back(last)
    except BaseException:  # cancelled: the client left before its stream began
        state.streams.give_back()
        raise
    return _SlotResponse(sse_messages(state.aclient, stream, kind, after), state.streams, headers)


_SSE_DOC: dict[int | str, dict[str, object]] = {200: {"content": {"text/event-stream": {"schema": {"type": "string"}}},
                  "description": "SSE: `id` is the stream entry id, `data` the event JSON."}}  # fmt: skip
_SSE_RESPONSES: dict[int | str, dict[str, object]] = {**_SSE_DOC, **problems(401, 403, 422, 429, 503)}
_BUSY = ("Every live-stream slot is taken; see Retry-After. (With Redis unreachable the answer is a 200 that only "
         "says `retry`, which an EventSource follows.)")  # fmt: skip
_SSE_RESPONSES[503] = {**_SSE_RESPONSES[503], "description": _BUSY}


@router.get("/v1/stream/events", response_class=StreamingResponse, responses=_SSE_RESPONSES,
            summary="New ArticleEvents as Server-Sent Events")  # fmt: skip
async def stream_events(
    request: Request,
    last_event_id: str | None = Header(None, alias="Last-Event-ID", description="Resume after this entry."),
    after: str | None = Query(None, description="Resume after this entry (for clients that cannot set headers)."),
    backlog: int = Query(0, ge=0, le=c.HTTP_PAGE_MAX, description="Without a resume id: first send this many recent."),
    counted: bool = Depends(needs_stream_read),
) -> Response:
    """Every event appended from now on (or after `Last-Event-ID`), as `event: article` messages."""
    stream = get_state(request).settings.events_stream
    return await _response(request, stream, "article", last_event_id, after, backlog, counted)


@router.get("/v1/stream/alerts", response_class=StreamingResponse, responses=_SSE_RESPONSES,
            summary="New AlertEvents as Server-Sent Events")  # fmt: skip
async def stream_alerts(
    request: Request,
    last_event_id: str | None = Header(None, alias="Last-Event-ID", description="Resume after this entry."),
    after: str | None = Query(None, description="Resume after this entry (for clients that cannot set headers)."),
    backlog: int = Query(0, ge=0, le=c.HTTP_PAGE_MAX, description="Without a resume id: first send this many recent."),
    counted: bool = Depends(needs_stream_read),
) -> Response:
    """Every alert appended from now on (or after `Last-Event-ID`), as `event: alert` messages."""
    stream = get_state(request).settings.alerts_stream
    return await _response(request, stream, "alert", last_event_id, after, backlog, counted)
