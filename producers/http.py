"""HTTP producer: ``POST /v1/articles`` turns a partner's JSON into RawArticles on the queue.

One record (a JSON object), a batch (a JSON array) or JSON lines (``application/x-ndjson``), mapped exactly like
the inbox's JSON records (:func:`producers.inbox.record_to_raw`). The body is read in chunks and refused (413)
as soon as it passes ``http.max_body_bytes``, so a huge upload never sits in memory; a gzip body
(``Content-Encoding: gzip``) is unpacked as it arrives and held to the same limit unpacked (a zip bomb). Each
valid record becomes one delivery through :class:`producers.submit.Submitter` (ledger first, then the queue);
each invalid record is settled at once as ``rejected:invalid_record`` with its reason, so it is counted and has
a status like any other delivery, and the valid records of the same batch still go through.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import StringConstraints
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from producers.inbox import (
    SURROGATE_ESCAPE,
    delivery_id,
    json_error,
    json_lines,
    record_to_raw,
    replace_lone_surrogates,
)
from schemas import RawArticle, RawSource
from wirewatch import constants as c
from wirewatch.api.auth import Principal
from wirewatch.api.deps import ApiError, ApiState, get_state, media_type_of, needs_read, needs_submit, problems
from wirewatch.api.models import (
    AcceptedArticle,
    ArticleRecord,
    DeliveryStatus,
    DeliveryStatuses,
    RefusedRecord,
    SubmitProblem,
    SubmitResult,
)
from wirewatch.logs import get_logger
from wirewatch.outcomes import Terminal

log = get_logger("wirewatch.http")
router = APIRouter(tags=["articles"])

JSON_LINES_TYPES = frozenset({"application/x-ndjson", "application/jsonl", "application/x-jsonlines",
                              "application/jsonlines"})  # fmt: skip
JSON_TYPES = frozenset({"application/json", ""})
GZIP_ENCODINGS = frozenset({"gzip", "x-gzip"})


class BodyError(Exception):
    """Raised when a body as a whole cannot be read as records (not JSON, too many records)."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass
class Parsed:
    """What one request body gave: articles to submit, refusals to settle, and where each came from."""

    articles: list[tuple[int, RawArticle]] = field(default_factory=list)
    refusals: list[tuple[int, Terminal]] = field(default_factory=list)


def _records(body: bytes, media_type: str, max_records: int) -> Iterator[tuple[int, Any, str | None]]:
    """(index, record, error) for each record of the body; raises BodyError when the body is unusable."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise BodyError("invalid_utf8", f"the body is not valid UTF-8 at byte {e.start}") from None
    if not text.strip():  # before json.loads, whose "Expecting value" at line 1 column 1 does not say it
        raise BodyError("empty", "the body is empty")
    escaped = SURROGATE_ESCAPE.search(text) is not None
    for index, record, error in _json_records(text, media_type, max_records):
        yield index, replace_lone_surrogates(record) if escaped else record, error


def _json_records(text: str, media_type: str, max_records: int) -> Iterator[tuple[int, Any, str | None]]:
    """(index, record, error) for each record of a JSON or JSON-lines text."""
    if media_type in JSON_TYPES:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            # JSON lines sent as application/json: "Extra data at line 2" alone does not say what to do.
            hint = "; this is JSON lines: send it as application/x-ndjson" if json_lines(text, e) else ""
            raise BodyError("invalid_json", json_error(e) + hint) from None
        except (ValueError, RecursionError) as e:
            raise BodyError("invalid_json", json_error(e)) from None
        items = data if isinstance(data, list) else [data]
        if len(items) > max_records:
            raise BodyError("too_many_records", f"{len(items)} records is over the limit of {max_records}")
        if not items:
            raise BodyError("empty", "the array holds no records")
        for index, item in enumerate(items):
            yield index, item, None
        return
    # "\n" only: str.splitlines() also splits on U+2028, U+2029, U+0085 and U+001C-1E, which JSON allows raw
    # inside strings, and would cut a valid record in two.
    lines = [(n, line.removesuffix("\r")) for n, line in enumerate(text.split("\n"), start=1) if line.strip()]
    if len(lines) > max_records:
        raise BodyError("too_many_records", f"{len(lines)} records is over the limit of {max_records}")
    if not lines:
        raise BodyError("empty", "the body holds no records")
    for lineno, line in lines:
        try:
            record = json.loads(line)
        except (ValueError, RecursionError) as e:
            yield lineno, None, json_error(e, line_known=True)
            continue
        yield lineno, record, None


# Bodies up to this size are parsed on the event loop (well under a millisecond); larger ones on a thread.
_PARSE_INLINE_BYTES = 64 * 1024


def parse_body(body: bytes, media_type: str, source_name: str, max_records: int) -> Parsed:
    """Request body → RawArticles and refusals. Pure: no I/O; raises BodyError for an unusable body."""
    parsed = Parsed()
    source = RawSource(kind="http", name=source_name)
    for index, record, error in _records(body, media_type, max_records):
        did = delivery_id()
        if error is None:
            try:
                raw = record_to_raw(record, did, source)
            except ValueError as e:
                error = str(e)
            else:
                if raw.content.strip() or (raw.summary or "").strip():
                    parsed.articles.append((index, raw))
                    continue
                # Refused now, with the keys it had, rather than a 202 the worker settles as no_text: a batch
                # wrapped in an object ({"articles": […]}) was one accepted record and nothing else.
                keys = ", ".join(repr(k)[:40] for k in list(record)[:10])
                error = f"no article text: give text, content, body, html, markdown or summary (keys: {keys})"
            if not error:
                error = "the record is unusable"
        parsed.refusals.append((index, Terminal(did, "rejected:invalid_record", f"record {index}: {error}",
                                                source_name)))  # fmt: skip
    return parsed


async def read_bounded(request: Request, limit: int) -> bytes:
    """The request body, refused (413) as soon as it passes ``limit`` bytes: declared, actually sent, or unpacked
    from gzip. A client that leaves before the body is whole is a 400 that no one reads, logged by the caller."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            size = int(declared)
        except ValueError:
            raise ApiError(400, "bad_request", "Content-Length is not a number") from None
        if size > limit:
            raise ApiError(413, "too_large", f"{size} bytes is over the limit of {limit}")
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in GZIP_ENCODINGS and encoding != "identity":
        raise ApiError(415, "unsupported_content_encoding", f"Content-Encoding {encoding[:40]!r} is not "
                       "supported: send gzip, or no Content-Encoding", {"Accept-Encoding": "gzip"})  # fmt: skip
    inflate = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS) if encoding in GZIP_ENCODINGS else None
    chunks: list[bytes] = []
    sent = total = 0
    try:
        async for chunk in request.stream():
            sent += len(chunk)
            if sent > limit:
                raise ApiError(413, "too_large", f"the body is over the limit of {limit} bytes")
            if inflate is not None:
                chunk = _inflate(inflate, chunk, limit - total)
            total += len(chunk)
            if total > limit:
                raise ApiError(413, "too_large", f"the body unpacked from gzip is over the limit of {limit} bytes")
            chunks.append(chunk)
    except ClientDisconnect:
        raise ApiError(400, "client_disconnected",
                       f"the client closed the connection after {sent} bytes of the body") from None  # fmt: skip
    if inflate is not None and (not inflate.eof or inflate.unused_data):
        raise ApiError(400, "invalid_encoding", "the gzip body is cut short or has data after its end")
    return b"".join(chunks)


def _inflate(inflate: zlib._Decompress, chunk: bytes, room: int) -> bytes:
    """``chunk`` unpacked, at most ``room`` + 1 bytes of it: one byte past the room tells the caller it is over,
    and a small packed body never unpacks into gigabytes first. The rest, if any, is never unpacked."""
    try:
        return inflate.decompress(chunk, room + 1)
    except zlib.error as e:
        raise ApiError(400, "invalid_encoding", f"the body is not valid gzip: {e}") from None


def _status_url(request: Request, did: str) -> str:
    return str(request.url_for("article_status", delivery_id=did))


_BODY_DOC = {
    "required": True,
    "content": {
        "application/json": {"schema": {"oneOf": [
            {"$ref": "#/components/schemas/ArticleRecord"},
            {"type": "array", "items": {"$ref": "#/components/schemas/ArticleRecord"}, "minItems": 1},
        ]}},
        "application/x-ndjson": {"schema": {"type": "string", "description": "One ArticleRecord JSON a line."}},
    },
}  # fmt: skip


@router.post(
    "/v1/articles", status_code=202, response_model=SubmitResult,
    summary="Submit one article, a JSON array of them, or JSON lines",
    openapi_extra={"requestBody": _BODY_DOC},
    responses=problems(400, 401, 403, 408, 413, 415, 429, 503, 422, model_422=SubmitProblem),
)  # fmt: skip
async def submit_articles(request: Request, principal: Principal = Depends(needs_submit)) -> JSONResponse:
    """Queue the records; 202 lists each accepted delivery with its status URL and each refused record's reason."""
    state = get_state(request)
    limits = state.settings.http
    media_type = media_type_of(request)
    try:
        if media_type not in JSON_TYPES and media_type not in JSON_LINES_TYPES:
            raise ApiError(415, "unsupported_media_type", "send application/json or application/x-ndjson")
        body = await read_bounded(request, limits.max_body_bytes)
        args = (body, media_type, principal.name, limits.max_batch)
        # Parsing a large body (8 MiB of JSON: ~0.1 s) on the event loop would hold up every other request.
        parsed = await run_in_threadpool(parse_body, *args) if len(body) > _PARSE_INLINE_BYTES else parse_body(*args)
    except BodyError as e:
        _refused(principal, 422, e.code, e.detail)
        # No record is listed: the body as a whole is refused, and an index would name a record that was not.
        return JSONResponse(SubmitProblem(error=e.code, detail=e.detail).model_dump(), status_code=422)
    except ApiError as e:
        _refused(principal, e.status, e.code, e.detail)
        raise
    except HTTPException as e:  # the body deadline's 408 (wirewatch/api/limits.py)
        _refused(principal, e.status_code, "request_timeout", str(e.detail))
        raise
    await run_in_threadpool(_hand_on, state, parsed)
    accepted = [AcceptedArticle(index=i, delivery_id=raw.delivery_id, status_url=_status_url(request, raw.delivery_id))
                for i, raw in parsed.articles]  # fmt: skip
    rejected = [RefusedRecord(index=i, delivery_id=t.delivery_id, reason=t.detail) for i, t in parsed.refusals]
    log.info("http_articles_received", token_name=principal.name, accepted=len(accepted), rejected=len(rejected))
    received = request.app.state.http_metrics.received
    received.labels("accepted").inc(len(accepted))
    received.labels("rejected").inc(len(rejected))
    if not accepted:
        problem = SubmitProblem(error="invalid_records", detail=f"none of the {len(rejected)} records is usable",
                                rejected=rejected)  # fmt: skip
        return JSONResponse(problem.model_dump(), status_code=422)
    return JSONResponse(SubmitResult(accepted=accepted, rejected=rejected).model_dump(), status_code=202)


def _refused(principal: Principal, status: int, code: str, detail: str) -> None:
    # token_name: a "token" key is redacted from every log line, and the name is what tells partners apart.
    log.warning("http_body_refused", token_name=principal.name, status=status, error=code, reason=detail)


def _hand_on(state: ApiState, parsed: Parsed) -> None:
    refusals = [t for _, t in parsed.refusals]
    state.submitter.refuse(refusals)
    ids = state.submitter.submit(raw for _, raw in parsed.articles)
    if state.on_submit is not None:  # `wirewatch run` counts them in its summary, as it counts its own files
        state.on_submit([t.delivery_id for t in refusals] + ids)


DELIVERY_ID = r"^[A-Za-z0-9_.:-]+$"
# Ids in one status lookup: a tenth of a full batch (`http.max_batch`, 1,000) a request, and a URL of ~3.6 kB,
# well under the 8 kB request line proxies commonly allow (uvicorn's own limit is 16 kB for line and headers).
STATUS_LOOKUP_MAX = 100
_ID_DOC = "A delivery id; repeat the parameter for each."
DeliveryId = Annotated[str, StringConstraints(min_length=8, max_length=64, pattern=DELIVERY_ID)]


def _statuses(state: ApiState, delivery_ids: list[str]) -> dict[str, dict[str, Any] | None]:
    """The status body of each delivery (without its event), None for an id with neither status nor ledger entry."""
    # The ledger is read before the status: settling writes the status and clears the ledger in one step, so in
    # this order a delivery settled between the two reads is still found (reversed, it was briefly a 404). A
    # pipeline runs its commands in order, so one round trip keeps that.
    pipe = state.client.pipeline(transaction=False)
    pipe.zmscore(c.LEDGER_PENDING, delivery_ids)
    pipe.mget([c.status_key(d) for d in delivery_ids])
    scores, raws = pipe.execute()
    found: dict[str, dict[str, Any] | None] = {}
    for did, score, raw in zip(delivery_ids, scores, raws, strict=True):
        status = json.loads(raw) if raw else ({"state": "queued"} if score is not None else None)
        if status is None:
            found[did] = None
            continue
        body: dict[str, Any] = {"delivery_id": did, "state": status["state"]}
        for name in ("article_id", "entry", "of", "reason", "detail"):
            if status.get(name):
                body[name] = str(status[name])
        found[did] = body
    return found


@router.get(
    "/v1/articles/status", name="article_statuses", response_model=DeliveryStatuses,
    summary=f"What became of up to {STATUS_LOOKUP_MAX} deliveries, in one request",
    responses=problems(401, 403, 422, 429),
)  # fmt: skip
def article_statuses(
    request: Request,
    delivery_ids: list[DeliveryId] = Query(
        ..., alias="id", min_length=1, max_length=STATUS_LOOKUP_MAX, description=_ID_DOC
    ),
    _: Principal | None = Depends(needs_read),
) -> JSONResponse:
    """Each delivery as its status URL answers, without the event, in the order asked; unknown ids in not_found."""
    found = _statuses(get_state(request), list(dict.fromkeys(delivery_ids)))
    body = DeliveryStatuses.model_validate({"items": [s for s in found.values() if s is not None],
                                            "not_found": [d for d, s in found.items() if s is None]})  # fmt: skip
    return JSONResponse(body.model_dump(exclude_none=True))


@router.get(
    "/v1/articles/{delivery_id}/status", name="article_status", response_model=DeliveryStatus,
    summary="What became of a delivery", responses=problems(401, 403, 404, 422, 429),
)  # fmt: skip
def article_status(
    request: Request,
    delivery_id: str = Path(..., min_length=8, max_length=64, pattern=DELIVERY_ID),
    _: Principal | None = Depends(needs_read),
) -> JSONResponse:
    """queued, emitted (with the event), duplicate (of which event), rejected or dead (with the reason)."""
    state = get_state(request)
    body = _statuses(state, [delivery_id])[delivery_id]
    if body is None:
        raise ApiError(404, "not_found", "no delivery with this id (or its status has expired)")
    if body["state"] == "emitted" and body.get("article_id"):
        raw = state.client.get(c.article_key(body["article_id"]))
        if raw:
            body["event"] = json.loads(raw)
    return JSONResponse(body)


__all__ = ["ArticleRecord", "parse_body", "router"]
