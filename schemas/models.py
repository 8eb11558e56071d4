"""The contracts of wirewatch: what producers hand to workers and what workers emit.

These models are the only thing producers, workers and consumers share. They import nothing else of ours.
A breaking change to an event bumps its ``schema`` constant; `schemas/json/` is regenerated from here
(`python -m schemas.generate`) and a test fails when the checked-in files are stale.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

ARTICLE_SCHEMA = "wirewatch.article/1"
ALERT_SCHEMA = "wirewatch.alert/1"
RAW_SCHEMA = "wirewatch.raw/1"


def _rfc3339(value: datetime) -> str:
    """UTC, second precision unless sub-second digits exist, with a ``Z`` suffix."""
    value = value.astimezone(UTC)
    if value.microsecond:
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _rfc3339_ms(value: datetime) -> str:
    """UTC with milliseconds, always: ``2026-11-29T10:56:25.123Z``."""
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


UtcDatetime = Annotated[datetime, PlainSerializer(_rfc3339, return_type=str, when_used="json")]
UtcDatetimeMs = Annotated[datetime, PlainSerializer(_rfc3339_ms, return_type=str, when_used="json")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


ContentType = Literal["markdown", "html", "text"]
SourceKind = Literal["inbox", "feed", "http", "other"]


class RawSource(_Model):
    """Where a raw article came from, as the producer knows it."""

    kind: SourceKind
    name: str | None = Field(None, max_length=200, description="Human name of the source, if known.")
    feed: str | None = Field(None, max_length=2000, description="Feed URL when the article came from a feed.")
    path: str | None = Field(None, max_length=4096, description="Inbox file (and line) it was read from.")


class RawArticle(_Model):
    """One article as a producer received it: unparsed content plus whatever metadata the source gave.

    The worker's parse stage turns it into clean fields; producers do no parsing beyond what the source
    format needs (a feed item's fields, a JSON record's keys).
    """

    schema_: Literal["wirewatch.raw/1"] = Field("wirewatch.raw/1", alias="schema")
    delivery_id: str = Field(
        ..., min_length=8, max_length=64, description="Deterministic id of this delivery (ledger key)."
    )
    source: RawSource
    content_type: ContentType
    content: str = Field("", description="The body: markdown, HTML or plain text.")
    url: str | None = Field(None, max_length=4000)
    title: str | None = Field(None, max_length=2000)
    authors: list[str] = Field(default_factory=list, max_length=50)
    published_at: str | None = Field(None, max_length=100, description="As the source wrote it.")
    summary: str | None = Field(None, description="A feed item's summary, when that is all there is.")
    guid: str | None = Field(None, max_length=2000)
    language: str | None = Field(
        None, max_length=35,
        description="The language the source declares (a feed's <language>, dc:language or xml:lang), as written: "
        "what the event's language falls back to where the text is too short or too mixed to tell.",
    )
    received_at: UtcDatetime

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Source(_Model):
    name: str | None
    domain: str | None
    feed: str | None = None


EntityType = Literal["person", "organization", "place", "other"]


class Entity(_Model):
    name: str
    type: EntityType
    count: int = Field(..., ge=1)


class ArticleEvent(_Model):
    """One distinct article, clean and enriched (stream ``ww:events``)."""

    schema_: Literal["wirewatch.article/1"] = Field("wirewatch.article/1", alias="schema")
    id: str = Field(..., description="Stable: from the canonical URL, else from the content.")
    story_id: str = Field(..., description="The story this article belongs to: its first article's id.")
    url: str | None
    canonical_url: str | None
    source: Source
    title: str
    authors: list[str]
    published_at: UtcDatetime | None = Field(..., description="From the source; never invented.")
    ingested_at: UtcDatetimeMs = Field(..., description="When this event was emitted to the stream.")
    language: str | None = Field(..., description="ISO 639-1.")
    text: str
    summary: str
    word_count: int = Field(..., ge=0)
    entities: list[Entity]
    keywords: list[str]
    countries: list[str] = Field(..., description="ISO 3166-1 alpha-2.")
    content_hash: str = Field(..., description="sha256 of the normalised text.")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class SubscriptionRef(_Model):
    id: str
    name: str
    query: str


class MatchedTerm(_Model):
    field: str
    term: str
    start: int = Field(..., ge=0)
    end: int = Field(..., ge=0)


class AlertEvent(_Model):
    """One alert: a subscription matched a story for the first time (stream ``ww:alerts``)."""

    schema_: Literal["wirewatch.alert/1"] = Field("wirewatch.alert/1", alias="schema")
    id: str
    subscription: SubscriptionRef
    article_id: str
    story_id: str
    title: str
    url: str | None
    published_at: UtcDatetime | None
    matched: list[MatchedTerm]
    created_at: UtcDatetimeMs

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Story(_Model):
    """A cluster of copies of one story across sources."""

    story_id: str
    title: str
    first_article_id: str
    article_count: int = Field(..., ge=1)
    sources: list[str] = Field(..., description="The first source and those that carried the story last (bounded).")
    source_count: int = Field(0, ge=0, description="Sources that carried the story, each counted once while kept.")
    first_seen: UtcDatetime
    last_seen: UtcDatetime


class Subscription(_Model):
    """A topic: a boolean query whose new matching stories raise alerts."""

    id: str
    name: str = Field(..., min_length=1, max_length=200)
    query: str = Field(..., min_length=1, max_length=10_000)
    webhook: str | None = None
    secret: str | None = Field(None, description="HMAC key for webhook signatures; never logged.")


FeedStatus = Literal["new", "ok", "not_modified", "error"]


class FeedState(_Model):
    """What the scheduler knows about one feed."""

    url: str
    name: str | None = None
    interval_s: float = Field(..., gt=0)
    next_poll_at: UtcDatetime
    last_polled_at: UtcDatetime | None = None
    last_success_at: UtcDatetime | None = None
    last_status: FeedStatus = "new"
    error_streak: int = Field(0, ge=0)
    items_seen: int = Field(0, ge=0)
    etag: str | None = None
    last_modified: str | None = None


def utcnow() -> datetime:
    return datetime.now(UTC)


EVENT_MODELS: dict[str, type[BaseModel]] = {
    "raw_article": RawArticle,
    "article_event": ArticleEvent,
    "alert_event": AlertEvent,
    "story": Story,
    "subscription": Subscription,
    "feed_state": FeedState,
}
