"""Feed health over HTTP: every scheduled feed with its status, as `wirewatch feeds list` sees it."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import redis

from producers.schedule import FeedMove, FeedSchedule, HintClamp, record_key


def test_feeds_lists_health(http: httpx.Client, client: redis.Redis) -> None:
    """A new feed is listed healthy with status new; a broken one is flagged with its last error, and counted."""
    schedule = FeedSchedule(client)
    schedule.add("https://news.example/rss.xml", name="Example News")
    broken = schedule.add("https://broken.example/feed")
    # The poller stores the record as JSON; mark it broken the way it does after failing polls.
    client.set(record_key(broken.url), broken.model_copy(update={
        "broken": True, "last_error": "HTTP 500", "last_error_kind": "http_5xx",
        "state": broken.state.model_copy(update={"error_streak": 4, "last_status": "error"})}).model_dump_json())  # fmt: skip
    items = http.get("/v1/feeds").json()["items"]
    assert [f["state"]["url"] for f in items] == ["https://broken.example/feed", "https://news.example/rss.xml"]
    bad, good = items
    assert good["healthy"] is True and good["state"]["name"] == "Example News" and good["state"]["last_status"] == "new"
    assert bad["healthy"] is False and bad["broken"] is True and bad["last_error"] == "HTTP 500"
    metrics = http.get("/metrics").text
    assert 'wirewatch_feeds{health="ok"} 1.0' in metrics and 'wirewatch_feeds{health="broken"} 1.0' in metrics


def test_a_password_in_a_feed_url_is_not_published(http: httpx.Client, client: redis.Redis) -> None:
    """Reads are public by default: a feed added as https://user:password@host/… is listed with the password
    redacted, in its URL and in its last error (both were shown whole to anyone)."""
    schedule = FeedSchedule(client)
    record = schedule.add("https://bob:hunter2@private.example/rss.xml")
    client.set(record_key(record.url), record.model_copy(update={
        "last_error": f"not an absolute http(s) URL: {record.url!r}", "last_error_kind": "bad_url"}).model_dump_json())  # fmt: skip
    listed = http.get("/v1/feeds")
    assert listed.status_code == 200 and "hunter2" not in listed.text
    [feed] = listed.json()["items"]
    assert feed["state"]["url"] == "https://bob:[redacted]@private.example/rss.xml"
    assert "bob:[redacted]@private.example" in feed["last_error"]


def test_a_feeds_last_move_and_clamped_hint_are_shown(http: httpx.Client, client: redis.Redis) -> None:
    """A feed a permanent redirect moved, whose ttl was cut to its ceiling, shows the URL it was added as, its last
    move (from, to, when) and its last clamped hint (which, what it asked, the ceiling, when); a password in a URL
    it moved from or to is redacted there too. A feed with neither shows nulls."""
    schedule = FeedSchedule(client)
    schedule.add("https://calm.example/rss")
    record = schedule.add("https://old.example/rss")
    at = datetime(2026, 11, 29, 6, tzinfo=UTC)
    moved = record.model_copy(update={
        "added_as": record.url,
        "state": record.state.model_copy(update={"url": "https://new.example/rss"}),
        "last_move": FeedMove(from_url="https://bob:hunter2@mid.example/rss", to_url="https://new.example/rss", at=at),
        "last_hint_clamp": HintClamp(hint="ttl", hint_s=86_400, ceiling_s=21_600, at=at)})  # fmt: skip
    client.set(record_key(record.url), moved.model_dump_json())
    listed = http.get("/v1/feeds")
    assert listed.status_code == 200 and "hunter2" not in listed.text
    calm, feed = listed.json()["items"]
    assert (calm["added_as"], calm["last_move"], calm["last_hint_clamp"]) == (None, None, None)
    assert feed["state"]["url"] == "https://new.example/rss" and feed["added_as"] == "https://old.example/rss"
    assert feed["last_move"] == {"from_url": "https://bob:[redacted]@mid.example/rss",
                                 "to_url": "https://new.example/rss", "at": "2026-11-29T06:00:00Z"}  # fmt: skip
    assert feed["last_hint_clamp"] == {"hint": "ttl", "hint_s": 86_400, "ceiling_s": 21_600,
                                       "at": "2026-11-29T06:00:00Z"}  # fmt: skip
