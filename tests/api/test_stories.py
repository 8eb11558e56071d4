"""Stories over HTTP: a near-copy joins its story; pages walk every story once, even when many share a millisecond."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import redis

from schemas import RawSource
from tests.api.conftest import WRITE
from tests.api.test_receiver import article, wait_state
from tests.helpers import make_raw_article, stream_events
from wirewatch import constants as c
from wirewatch.settings import Settings
from worker.stories import STORIES_INDEX, story_key, story_sources_key


def test_near_copy_joins_the_story(worker_app: Any, http: httpx.Client) -> None:
    """Two sources with one story make one story of two articles; /v1/stories/{id} lists both events."""
    first = article(1)
    copy = {**first, "url": "https://other.example/copy", "source": "Other Paper",
            "text": first["text"] + " Reporting by the Other Paper."}  # fmt: skip
    other = {"title": "Council approves the new school budget", "url": "https://example.org/news/budget",
             "source": "Example Herald", "text": "The city council approved next year's school budget on Tuesday "
             "evening after a long debate about teacher salaries, class sizes and the repair of three old buildings. "
             "Parents who attended the meeting welcomed the extra money for libraries and sports fields."}  # fmt: skip
    ids = []
    for record in (first, other, copy):
        accepted = http.post("/v1/articles", json=record, headers=WRITE).json()["accepted"][0]
        ids.append(wait_state(http, accepted["status_url"])["article_id"])
    page = http.get("/v1/stories").json()
    assert len(page["items"]) == 2 and page["next_cursor"] is None
    detail = http.get(f"/v1/stories/{ids[0]}").json()
    assert detail["story"]["article_count"] == 2
    assert detail["story"]["sources"] == ["Example Herald", "Other Paper"] and detail["story"]["source_count"] == 2
    assert [a["id"] for a in detail["articles"]] == [ids[0], ids[2]]
    assert all(a["story_id"] == ids[0] for a in detail["articles"])
    assert http.get("/v1/stories/nope").status_code == 404


def test_story_pages_walk_ties_without_gaps(http: httpx.Client, client: redis.Redis) -> None:
    """Seven stories, five of them seen in the same millisecond, come back once each over pages of two."""
    scores = {f"s{n}": 1_700_000_000_000 if n < 5 else 1_700_000_000_000 + n for n in range(7)}
    for sid, score in scores.items():
        client.hset(story_key(sid), mapping={"title": f"Story {sid}", "first_article_id": sid, "article_count": 1,
                                             "first_seen": score, "last_seen": score})  # fmt: skip
        client.sadd(story_sources_key(sid), "tests")
    client.zadd(STORIES_INDEX, scores)
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        page = http.get("/v1/stories", params={"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        seen += [s["story_id"] for s in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["s6", "s5", "s4", "s3", "s2", "s1", "s0"]
    assert http.get("/v1/stories", params={"cursor": "x"}).status_code == 422


def test_story_past_its_article_bound_reads_first_and_newest(
    http: httpx.Client, client: redis.Redis, settings: Settings, make_worker: Callable[..., Any]
) -> None:
    """A story of five copies kept to two articles: the total count, and the first and two newest events."""
    from worker.pipeline import process

    settings.dedup.story_articles = 2
    worker = make_worker()
    base = article(1)
    for n in range(5):
        text = f"{base['title']}\n\n{base['text']} Reporting by outlet {n}."
        raw = make_raw_article(content=text, source=RawSource(kind="inbox", path=f"outlet{n}.txt"))
        client.hset(c.LEDGER_PAYLOAD, raw.delivery_id, raw.model_dump_json(by_alias=True))
        process([raw.delivery_id], worker)
    ids = [e["id"] for e in stream_events(client)]
    assert len(ids) == 5
    detail = http.get(f"/v1/stories/{ids[0]}").json()
    assert detail["story"]["article_count"] == 5
    assert [a["id"] for a in detail["articles"]] == [ids[0], ids[3], ids[4]]
    assert detail["expired_articles"] == []
    [listed] = http.get("/v1/stories").json()["items"]
    assert listed["article_count"] == 5
