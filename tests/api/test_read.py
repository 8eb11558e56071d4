"""The read API and the SSE streams over a real server: pages by cursor, live events, resuming by Last-Event-ID."""

from __future__ import annotations

import json
import os
import signal
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from schemas import AlertEvent, ArticleEvent
from tests.api.conftest import READ, WRITE, http_settings
from tests.api.sse import collect, held_id
from tests.api.test_receiver import ARTICLE
from wirewatch import constants as c
from wirewatch.api.server import serving
from wirewatch.redis_server import spawn_redis


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


def test_ids_take_only_ascii_digits(http: httpx.Client, client: redis.Redis) -> None:
    """A cursor or resume id in another script's digits, or with a newline after it, is a 422: Python's `\\d` took
    `١٢٣`, and `$` a final newline; the events page came back empty (200), and the stream ended at once,
    over and over, as its EventSource reconnected."""
    add(client, c.EVENTS_STREAM, [make_event(0)])
    for path, params in (("/v1/events", {"cursor": "١٢٣"}), ("/v1/alerts", {"cursor": "1-١", "order": "asc"}),
                         ("/v1/stories", {"cursor": "١:abc"}), ("/v1/stream/events", {"after": "١٢٣"}),
                         ("/v1/stream/alerts", {"after": "12\n"})):  # fmt: skip
        response = http.get(path, params=params)
        assert response.status_code == 422, (path, response.text)
        assert response.json()["error"] in {"invalid_request", "invalid_last_event_id"}
    doc = http.get("/openapi.json").json()
    assert "\\d" not in json.dumps(doc["paths"]), "an OpenAPI pattern says \\d (ASCII in JSON Schema, not in Python)"


def test_a_stream_of_the_wrong_type_is_an_error_not_an_empty_page(http: httpx.Client, client: redis.Redis) -> None:
    """A key that is not a stream is a 500 Problem, like /v1/stats says for the same key; every Redis error used to
    read as an empty page (200), as if there were no alerts. A desc cursor of 0-0 is still an empty page."""
    add(client, c.EVENTS_STREAM, [make_event(0)])
    for cursor in ("0", "0-0"):
        assert http.get("/v1/events", params={"cursor": cursor}).json() == {"items": [], "next_cursor": None}
    client.set(c.ALERTS_STREAM, "not a stream")
    for order in ("desc", "asc"):
        # The server closes a connection after an unexpected error (Starlette re-raises it to be logged): a new one
        # for each request, or the next one on the kept-alive connection can meet the reset.
        response = http.get("/v1/alerts", params={"order": order}, headers={"Connection": "close"})
        assert response.status_code == 500 and response.json()["error"] == "internal_error", response.text


def test_sse_with_redis_down_tells_the_client_to_retry(tmp_path: Path) -> None:
    """With Redis unreachable a stream answers 200 with `retry` and the id it was asked to resume from, then ends, so
    an EventSource reconnects and later resumes without a gap; a bad token is still 401. It answered 503 (the rate
    limit's count in Redis failed first), which ends an EventSource for good: a Redis restart stopped every dashboard."""
    (tmp_path / "redis").mkdir()
    proc, url = spawn_redis(tmp_path / "redis")
    with serving(http_settings(url, tmp_path, public_read=False), url) as base:
        proc.terminate()
        proc.wait(timeout=10)
        resume = httpx.get(f"{base}/v1/stream/events", headers={**READ, "Last-Event-ID": "1700000000000-3"}, timeout=10)
        assert resume.status_code == 200 and resume.headers["content-type"].startswith("text/event-stream")
        assert resume.text.endswith("retry: 2000\nid: 1700000000000-3\n\n"), resume.text
        fresh = httpx.get(f"{base}/v1/stream/alerts?backlog=5", headers=READ, timeout=10)
        assert fresh.status_code == 200 and fresh.text.endswith("retry: 2000\n\n"), fresh.text
        assert "id:" not in fresh.text  # an empty id would wipe the one an EventSource holds
        assert httpx.get(f"{base}/v1/stream/events", timeout=10).status_code == 401
        bad = httpx.get(f"{base}/v1/stream/events", headers={"Authorization": "Bearer x" * 3}, timeout=10)
        assert bad.status_code == 401
        assert httpx.get(f"{base}/v1/events", headers=READ, timeout=10).status_code == 503  # pages: Retry-After
    with serving(http_settings(url, tmp_path, anonymous_rate_limit=0), url) as base:  # no count: the start lookup fails
        fresh = httpx.get(f"{base}/v1/stream/events", timeout=10)
        assert fresh.status_code == 200 and fresh.text.endswith("retry: 2000\n\n"), fresh.text


def test_pages_hold_still_while_events_arrive(http: httpx.Client, client: redis.Redis) -> None:
    """Events appended between pages neither shift a walk nor show up twice: newest first they are newer than the
    cursor, oldest first they come at the end, once each; a cursor older than the oldest entry kept starts there."""
    ids = add(client, c.EVENTS_STREAM, [make_event(n) for n in range(6)])
    for order, expected in (("desc", [f"Event {n}" for n in range(5, -1, -1)]), ("asc", None)):
        seen: list[str] = []
        cursor: str | None = None
        for arrival in range(10, 20):
            page = http.get("/v1/events", params={"limit": 2, "order": order, **({"cursor": cursor} if cursor else {})})
            seen += [e["title"] for e in page.json()["items"]]
            cursor = page.json()["next_cursor"]
            if cursor is None:
                break
            add(client, c.EVENTS_STREAM, [make_event(arrival + (100 if order == "asc" else 0))])
        if expected is not None:
            assert seen == expected
        else:
            assert seen[:6] == [f"Event {n}" for n in range(6)] and len(seen) == len(set(seen))
    client.xtrim(c.EVENTS_STREAM, maxlen=3)
    page = http.get("/v1/events", params={"order": "asc", "cursor": ids[0], "limit": 1}).json()
    oldest_kept = http.get("/v1/events", params={"order": "asc", "limit": 1}).json()["items"][0]
    assert page["items"] == [oldest_kept] and oldest_kept["title"] != "Event 1"


def test_a_redis_that_stops_answering_gets_503_not_a_hung_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Redis accepting connections but answering nothing (a stopped process, a partition without resets): a read is
    a 503 with Retry-After once the API's command timeout passes, not a request thread held for as long as Redis
    stays silent; once it answers again, so does the API."""
    monkeypatch.setattr(c, "API_REDIS_TIMEOUT_S", 1.0)
    (tmp_path / "redis").mkdir()
    proc, url = spawn_redis(tmp_path / "redis")
    try:
        with serving(http_settings(url, tmp_path), url) as base:
            assert httpx.get(f"{base}/v1/events", headers=READ, timeout=10).status_code == 200
            os.kill(proc.pid, signal.SIGSTOP)
            try:
                started = time.monotonic()
                silent = httpx.get(f"{base}/v1/events", headers=READ, timeout=30)
                assert silent.status_code == 503 and silent.json()["error"] == "redis_unreachable"
                assert silent.headers["Retry-After"] == "5" and time.monotonic() - started < 8
            finally:
                os.kill(proc.pid, signal.SIGCONT)
            assert httpx.get(f"{base}/v1/events", headers=READ, timeout=10).status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)
