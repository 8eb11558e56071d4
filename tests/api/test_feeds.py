"""Feed health over HTTP: every scheduled feed with its status, as `wirewatch feeds list` sees it."""

from __future__ import annotations

import httpx
import redis

from producers.schedule import FeedSchedule, record_key


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
