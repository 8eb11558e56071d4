"""Stories over HTTP: the newest-updated first, cursor-paginated, and one story with its articles.

Stories are the near-duplicate clusters of ``worker/stories.py``; their index is a sorted set by last-seen
time (ms). A cursor is ``<last_seen_ms>:<story_id>`` of the last story of a page: equal scores are ordered by
id, so the next page starts strictly after that pair and no story is skipped or repeated when many share a
millisecond.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from schemas import ArticleEvent, Story
from wirewatch import constants as c
from wirewatch.api.auth import Principal
from wirewatch.api.deps import ApiError, get_state, needs_read, problems
from wirewatch.api.models import _Body
from worker.stories import STORIES_INDEX, read_story, story_articles

router = APIRouter(tags=["read"])
STORY_CURSOR = r"^[0-9]{1,19}:[A-Za-z0-9_-]{1,64}$"
STORY_ID = r"^[A-Za-z0-9_-]{1,64}$"


class StoryPage(_Body):
    items: list[Story]
    next_cursor: str | None = None


class StoryDetail(_Body):
    story: Story
    articles: list[ArticleEvent] = Field(default_factory=list)
    expired_articles: list[str] = Field(default_factory=list, description="Ids of articles no longer stored.")


def stories_page(client: Any, limit: int, cursor: str | None) -> tuple[list[Story], str | None]:
    """One page, newest first, strictly after ``cursor``."""
    if cursor:
        score_text, after_id = cursor.split(":", 1)
        score = int(score_text)
        ties = client.zrevrangebyscore(STORIES_INDEX, score, score)  # same ms: ordered by id, descending
        tail = [t for t in ties if t < after_id]
        older = client.zrevrangebyscore(STORIES_INDEX, f"({score}", "-inf", start=0, num=limit + 1, withscores=True)
        candidates = [(t, float(score)) for t in tail] + list(older)
    else:
        candidates = client.zrevrange(STORIES_INDEX, 0, limit, withscores=True)
    chosen = candidates[: limit + 1]
    more = len(chosen) > limit
    chosen = chosen[:limit]
    stories = [s for s in (read_story(client, sid) for sid, _ in chosen) if s is not None]
    next_cursor = f"{int(chosen[-1][1])}:{chosen[-1][0]}" if more and chosen else None
    return stories, next_cursor


@router.get("/v1/stories", response_model=StoryPage, responses=problems(401, 403, 422, 429),
            summary="Stories, most recently updated first")  # fmt: skip
def list_stories(
    request: Request,
    limit: int = Query(20, ge=1, le=c.HTTP_PAGE_MAX),
    cursor: str | None = Query(None, pattern=STORY_CURSOR, description="`next_cursor` of the previous page."),
    _: Principal | None = Depends(needs_read),
) -> JSONResponse:
    """One page of stories (title, article count, sources, first and last seen)."""
    stories, next_cursor = stories_page(get_state(request).client, limit, cursor)
    return JSONResponse({"items": [s.model_dump(mode="json") for s in stories], "next_cursor": next_cursor})


@router.get("/v1/stories/{story_id}", response_model=StoryDetail, responses=problems(401, 403, 404, 422, 429),
            summary="One story and its articles")  # fmt: skip
def get_story(
    request: Request,
    story_id: str = Path(..., pattern=STORY_ID),
    _: Principal | None = Depends(needs_read),
) -> JSONResponse:
    """The story and its articles in the order they were emitted (ids only for articles no longer stored)."""
    client = get_state(request).client
    story = read_story(client, story_id)
    if story is None:
        raise ApiError(404, "not_found", "no such story (unknown or expired)")
    ids = story_articles(client, story_id)
    raw = client.mget([c.article_key(i) for i in ids]) if ids else []
    articles = [json.loads(r) for r in raw if r]
    expired = [i for i, r in zip(ids, raw, strict=True) if not r]
    return JSONResponse({"story": story.model_dump(mode="json"), "articles": articles, "expired_articles": expired})
