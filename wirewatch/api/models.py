"""Request and response bodies of the HTTP API: what /openapi.json promises, and what the tests hold it to."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas import AlertEvent, ArticleEvent


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Problem(_Body):
    """Every error: a snake_case code a program can branch on, and a sentence for a person."""

    error: str = Field(..., examples=["unauthorized"])
    detail: str
    errors: list[dict[str, Any]] = Field(default_factory=list, description="Per-field reasons, when any.")


class AcceptedArticle(_Body):
    index: int = Field(..., ge=0, description="Position of the record in the request body.")
    delivery_id: str
    status_url: str


class RefusedRecord(_Body):
    index: int = Field(..., ge=0, description="Position of the record (JSON lines: line number from 1).")
    delivery_id: str | None = Field(None, description="Its status record (rejected, with the reason), if one was made.")
    reason: str


class SubmitResult(_Body):
    """202: the accepted records are queued; refused ones are listed with their reasons."""

    accepted: list[AcceptedArticle]
    rejected: list[RefusedRecord]


class SubmitProblem(_Body):
    """422: nothing was accepted; each refused record has its reason."""

    error: str
    detail: str
    accepted: list[AcceptedArticle] = Field(default_factory=list)
    rejected: list[RefusedRecord] = Field(default_factory=list)


class ArticleRecord(BaseModel):
    """One article as a partner sends it (the inbox's JSON record mapping; unknown keys are ignored)."""

    model_config = ConfigDict(extra="allow")

    title: str | None = None
    url: str | None = Field(None, description="Also accepted as `link`.")
    text: str | None = Field(None, description="Plain text body; also `content` or `body`.")
    html: str | None = Field(None, description="An HTML page; its main text is extracted.")
    markdown: str | None = None
    published_at: str | None = Field(None, description="Also `published` or `date`; as the source wrote it.")
    author: str | list[str] | None = Field(None, description="Also `authors`.")
    source: str | dict[str, Any] | None = Field(None, description='A name or {"name": …}; default: the token\'s name.')
    summary: str | None = None
    id: str | int | None = Field(None, description="The sender's own id for the article (kept as guid).")


DeliveryState = Literal["queued", "emitted", "duplicate", "rejected", "dead"]


class DeliveryStatus(_Body):
    delivery_id: str
    state: DeliveryState
    article_id: str | None = Field(None, description="The event id (emitted) or the article's id (duplicate).")
    entry: str | None = Field(None, description="Stream entry id of the event (emitted).")
    of: str | None = Field(None, description="The event id this delivery duplicates.")
    reason: str | None = Field(None, description="Why it was rejected or dead-lettered.")
    detail: str | None = None
    event: ArticleEvent | None = Field(None, description="The emitted event, while it is stored.")


class DeliveryStatuses(_Body):
    """Several deliveries at once (``GET /v1/articles/status?id=…``): each as its status URL answers, no event."""

    items: list[DeliveryStatus] = Field(..., description="In the order asked, each id once.")
    not_found: list[str] = Field(..., description="Ids with no delivery (never issued, or the status expired).")


NEXT_CURSOR = ("Pass as `cursor` for the next page. Newest first: null at the end. Oldest first: the last entry of "
               "any page with entries, the last page too, so a poller resumes there for what comes later; null "
               "for an empty page (keep the cursor you sent).")  # fmt: skip


class EventPage(_Body):
    items: list[ArticleEvent]
    next_cursor: str | None = Field(None, description=NEXT_CURSOR)


class AlertPage(_Body):
    items: list[AlertEvent]
    next_cursor: str | None = Field(None, description=NEXT_CURSOR)


class Stats(_Body):
    outcomes: dict[str, int] = Field(..., description="Lifetime count per outcome.")
    pending: int = Field(..., description="Deliveries accepted and not yet settled.")
    queue_depth: int = Field(..., description="Messages waiting for a worker.")
    events: int
    alerts: int
    dead: int


class Health(_Body):
    status: Literal["ok"]


class Readiness(_Body):
    ready: bool
    checks: dict[str, bool]
    detail: dict[str, str]
