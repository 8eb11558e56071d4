"""wirewatch contracts: pydantic models and their generated JSON Schemas (``schemas/json``)."""

from schemas.models import (
    ALERT_SCHEMA,
    ARTICLE_SCHEMA,
    RAW_SCHEMA,
    AlertEvent,
    ArticleEvent,
    Entity,
    FeedState,
    MatchedTerm,
    RawArticle,
    RawSource,
    Source,
    Story,
    Subscription,
    SubscriptionRef,
    utcnow,
)

__all__ = [
    "ALERT_SCHEMA",
    "ARTICLE_SCHEMA",
    "RAW_SCHEMA",
    "AlertEvent",
    "ArticleEvent",
    "Entity",
    "FeedState",
    "MatchedTerm",
    "RawArticle",
    "RawSource",
    "Source",
    "Story",
    "Subscription",
    "SubscriptionRef",
    "utcnow",
]
