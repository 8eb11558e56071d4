"""Feed health over HTTP: every monitored feed with its last status, streak of errors and schedule, and its
last move (a permanent redirect) and last hint cut to its ceiling.

Read from the scheduler's records in Redis (``producers/schedule.py``), the same ones ``wirewatch feeds list``
shows, so every API replica and the CLI agree.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import Field

from producers.schedule import FeedMove, FeedRecord, FeedSchedule, HintClamp
from schemas import FeedState
from wirewatch.api.auth import Principal
from wirewatch.api.deps import get_state, needs_read, problems
from wirewatch.api.models import _Body
from wirewatch.logs import redact_text

router = APIRouter(tags=["read"])


class FeedHealth(_Body):
    state: FeedState
    healthy: bool = Field(..., description="false while the feed is broken (failing since its last success).")
    broken: bool
    quiet: bool = Field(..., description="No new item for much longer than its usual rhythm.")
    last_error: str | None = None
    last_error_kind: str | None = None
    full_text: bool = False
    added_as: str | None = Field(None, description="The URL it was added as, when a permanent redirect moved it.")
    last_move: FeedMove | None = Field(None, description="Its last move by a permanent redirect: from, to, when.")
    last_hint_clamp: HintClamp | None = Field(
        None, description="The last <ttl> or Cache-Control max-age past its ceiling, polled at the ceiling instead."
    )


class FeedList(_Body):
    items: list[FeedHealth]


def feed_health(record: FeedRecord) -> FeedHealth:
    """A feed as the API shows it. Reads are public by default: a password in a feed's URL (the fetch refuses
    to send one, so such a feed only ever fails) is shown as ``[redacted]``, in the URL and in its last error, and
    in the URLs it was added as and moved from and to."""
    state = record.state.model_copy(update={"url": redact_text(record.state.url)})
    last_error = redact_text(record.last_error) if record.last_error else record.last_error
    move = record.last_move
    if move is not None:
        move = move.model_copy(update={"from_url": redact_text(move.from_url), "to_url": redact_text(move.to_url)})
    return FeedHealth(state=state, healthy=not record.broken and record.state.error_streak == 0,
                      broken=record.broken, quiet=record.quiet, last_error=last_error,
                      last_error_kind=record.last_error_kind, full_text=record.full_text,
                      added_as=redact_text(record.added_as) if record.added_as else None, last_move=move,
                      last_hint_clamp=record.last_hint_clamp)  # fmt: skip


@router.get("/v1/feeds", response_model=FeedList, responses=problems(401, 403, 429), summary="Feed health")
def list_feeds(request: Request, _: Principal | None = Depends(needs_read)) -> FeedList:
    """Every feed, by URL: status, error streak, last success, next poll, items seen."""
    records = sorted(FeedSchedule(get_state(request).client).records(), key=lambda r: r.url)
    return FeedList(items=[feed_health(r) for r in records])
