"""The read API and the SSE streams over a real server: pages by cursor, live events, resuming by Last-Event-ID."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import redis

from schemas import AlertEvent, ArticleEvent
from tests.api.conftest import WRITE
from tests.api.sse import collect, held_id
from tests.api.test_receiver import ARTICLE
from wirewatch import constants as c


def make_event(n: int) -> dict[str, Any]:
    """A valid ArticleEvent as the worker would emit it."""
    now = datetime.now(UTC)
    event = ArticleEvent(
        id=f"e{n:015d}", story_id=f"e{n:015d}", url=None, canonical_url=None,
        source={"name": "tests", "domain": None}, title=f"Event {n}", authors=[], published_at=None,
        ingested_at=now, language="en", text="text", summary="text", word_count=1, entities=[], keywords=[],
        countries=[], content_hash=uuid.uuid4().hex,
    )  # fmt: skip
    return event.model_dump(mode="json", by_alias=True)


def make_alert(n: int) -> dict[str, Any]:
    now = datetime.now(UTC)
    alert = AlertEvent(
        id=f"a{n}", subscription={"id": "s1", "name": "bridges", "query": "bridge"}, article_id=f"e{n}",
        story_id=f"e{n}", title=f"Alert {n}", url=None, published_at=None,
        matched=[{"field": "title", "term": "bridge", "start": 0, "end": 6}], created_at=now,
    )  # fmt: skip
    return alert.model_dump(mode="json", by_alias=True)


def add(client: redis.Redis, stream: str, items: list[dict[str, Any]]) -> list[str]:
    return [client.xadd(stream, {"id": item["id"], "event": json.dumps(item)}) for item in items]


def test_events_pages_by_cursor(http: httpx.Client, client: redis.Redis) -> None:
    """Pages of events walk the whole stream newest first (or oldest first) without gaps or repeats."""
    add(client, c.EVENTS_STREAM, [make_event(n) for n in range(7)])
    seen: list[str] = []
    cursor = None
    while True:
        page = http.get("/v1/events", params={"limit": 3, **({"cursor": cursor} if cursor else {})}).json()
        seen += [e["title"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"Event {n}" for n in range(6, -1, -1)]
    first = http.get("/v1/events", params={"limit": 4, "order": "asc"}).json()
    rest = http.get("/v1/events", params={"limit": 4, "order": "asc", "cursor": first["next_cursor"]}).json()
    assert [e["title"] for e in first["items"] + rest["items"]] == [f"Event {n}" for n in range(7)]
    assert rest["next_cursor"] is not None  # oldest first, the last page says where to poll from next
    for item in first["items"]:
        ArticleEvent.model_validate(item)


def test_an_oldest_first_poller_resumes_where_it_stopped(http: httpx.Client, client: redis.Redis) -> None:
    """Oldest first, the last page's cursor leads to exactly what was appended later, each event once, even
    when the page ended at a full `limit`; an empty page has no cursor (the client keeps the one it sent).
    (The last page had none, so a poller had to start again from the oldest and see everything twice.)"""
    seen: list[str] = []
    cursor: str | None = None
    for appended in (range(0, 4), range(4, 6), range(6, 7), range(7, 7)):
        add(client, c.EVENTS_STREAM, [make_event(n) for n in appended])
        while True:
            page = http.get("/v1/events", params={"limit": 2, "order": "asc", **({"cursor": cursor} if cursor else {})})
            seen += [e["title"] for e in page.json()["items"]]
            if page.json()["next_cursor"] is None:
                assert page.json()["items"] == []
                break
            cursor = page.json()["next_cursor"]
    assert seen == [f"Event {n}" for n in range(7)]
    newest_first = http.get("/v1/events", params={"limit": 7}).json()
    assert len(newest_first["items"]) == 7 and newest_first["next_cursor"] is None


def test_bad_page_parameters_are_422(http: httpx.Client) -> None:
    """A cursor that is not a stream id, or a limit out of range, is a 422 Problem."""
    for params in ({"cursor": "abc"}, {"limit": 0}, {"limit": 100000}, {"order": "sideways"}):
        response = http.get("/v1/events", params=params)
        assert response.status_code == 422 and response.json()["error"] == "invalid_request", params


def test_alerts_page(http: httpx.Client, client: redis.Redis) -> None:
    """Alerts read like events, from ww:alerts."""
    add(client, c.ALERTS_STREAM, [make_alert(n) for n in range(3)])
    page = http.get("/v1/alerts", params={"limit": 2}).json()
    assert [a["title"] for a in page["items"]] == ["Alert 2", "Alert 1"] and page["next_cursor"]


def test_pushed_article_arrives_on_the_sse_stream(worker_app: Any, api: str) -> None:
    """An article pushed while a client listens arrives as an `article` message whose id is its stream entry."""

    def push() -> None:
        assert httpx.post(f"{api}/v1/articles", json=ARTICLE, headers=WRITE).status_code == 202

    [frame] = collect(api, "/v1/stream/events", 1, after_open=push)
    assert frame.event == "article" and frame.data["title"] == ARTICLE["title"]
    page = httpx.get(f"{api}/v1/events").json()
    assert page["items"][0]["id"] == frame.data["id"]


def test_sse_resumes_after_last_event_id(api: str, client: redis.Redis) -> None:
    """Reconnecting with Last-Event-ID replays exactly what came after it; `backlog` replays recent ones."""
    ids = add(client, c.EVENTS_STREAM, [make_event(n) for n in range(5)])
    resumed = collect(api, "/v1/stream/events", 3, headers={"Last-Event-ID": ids[1]})
    assert [f.id for f in resumed] == ids[2:]
    assert [f.data["title"] for f in resumed] == ["Event 2", "Event 3", "Event 4"]
    by_query = collect(api, f"/v1/stream/events?after={ids[3]}", 1)
    assert [f.id for f in by_query] == ids[4:]
    recent = collect(api, "/v1/stream/events?backlog=2", 2)
    assert [f.id for f in recent] == ids[3:]
    later = add(client, c.ALERTS_STREAM, [make_alert(1)])

    def alert() -> None:
        later.extend(add(client, c.ALERTS_STREAM, [make_alert(2)]))

    [frame] = collect(api, "/v1/stream/alerts", 1, after_open=alert)
    assert frame.event == "alert" and frame.id == later[1] and frame.data["title"] == "Alert 2"
    assert httpx.get(f"{api}/v1/stream/events", headers={"Last-Event-ID": "nope"}).status_code == 422


def test_sse_reconnect_before_any_event_misses_nothing(api: str, client: redis.Redis) -> None:
    """A client whose stream drops before its first event reconnects with the id of where that stream began,
    and gets what was appended while it was away (it reconnected without one, started at the newest entry
    then, and missed those: a quiet dashboard behind a proxy that cuts idle connections lost events)."""
    add(client, c.EVENTS_STREAM, [make_event(0)])
    empty = held_id(api, "/v1/stream/alerts")  # an empty stream: resume from its start
    held = held_id(api, "/v1/stream/events")
    assert held is not None and empty == "0-0"
    missed = add(client, c.EVENTS_STREAM, [make_event(1), make_event(2)])
    resumed = collect(api, "/v1/stream/events", 2, headers={"Last-Event-ID": held})
    assert [f.id for f in resumed] == missed
    [alert] = collect(api, "/v1/stream/alerts", 1, headers={"Last-Event-ID": empty},
                      after_open=lambda: add(client, c.ALERTS_STREAM, [make_alert(1)]))  # fmt: skip
    assert alert.data["title"] == "Alert 1"


def test_stats_counts(http: httpx.Client, client: redis.Redis) -> None:
    """/v1/stats reports the outcome counts, pending ledger and stream lengths."""
    client.hset(c.STATS, mapping={"emitted": 4, "duplicate": 1})
    add(client, c.EVENTS_STREAM, [make_event(1)])
    body = http.get("/v1/stats").json()
    assert body["outcomes"] == {"emitted": 4, "duplicate": 1}
    assert body["events"] == 1 and body["alerts"] == 0 and body["pending"] == 0 and body["queue_depth"] == 0


def test_quiet_stream_stays_open(redis_url: str) -> None:
    """With nothing to send, a stream sends keep-alive comments; its Redis client outlasts the blocking read."""
    import asyncio

    from wirewatch.api.app import async_client
    from wirewatch.api.stream import sse_messages

    async def first_frames() -> list[bytes]:
        client = async_client(redis_url, 4)
        frames = sse_messages(client, c.EVENTS_STREAM, "article", "0-0", block_ms=100)
        got = [await anext(frames) for _ in range(3)]
        await frames.aclose()
        await client.aclose()
        return got

    assert asyncio.run(first_frames()) == [b"retry: 2000\nid: 0-0\n\n", b": keep-alive\n\n", b": keep-alive\n\n"]
    client = async_client(redis_url, 4)
    assert client.connection_pool.connection_kwargs["socket_timeout"] > c.SSE_BLOCK_MS / 1000
