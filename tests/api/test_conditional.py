"""Conditional reads over a real server: an ETag on every JSON read, 304 Not Modified when it still holds."""

from __future__ import annotations

import httpx
import redis

from tests.api.conftest import WRITE
from tests.api.test_read import add, make_event
from wirewatch import constants as c


def test_a_read_that_has_not_changed_is_a_304(http: httpx.Client, client: redis.Redis) -> None:
    """A poller (the dashboard's /v1/stats every 3 s, a partner's /v1/subscriptions or status URL) got the whole
    body every time. A JSON read now carries a strong ETag and `Cache-Control: no-cache` (keep it, ask again);
    `If-None-Match` naming it, in any of RFC 9110's forms, is a 304 with no body; a change is a 200 with a new tag."""
    add(client, c.EVENTS_STREAM, [make_event(n) for n in range(3)])
    first = http.get("/v1/events")
    tag = first.headers["etag"]
    assert first.status_code == 200 and tag.startswith('"') and first.headers["cache-control"] == "no-cache"
    assert http.get("/v1/events").headers["etag"] == tag  # the same body, the same tag
    for condition in (tag, f"W/{tag}", f'"other", {tag}', "*"):
        unchanged = http.get("/v1/events", headers={"If-None-Match": condition})
        assert unchanged.status_code == 304 and unchanged.content == b"", condition
        assert unchanged.headers["etag"] == tag and "x-request-id" in unchanged.headers
    assert http.get("/v1/events", headers={"If-None-Match": '"other"'}).status_code == 200
    assert http.head("/v1/events", headers={"If-None-Match": tag}).status_code == 304
    add(client, c.EVENTS_STREAM, [make_event(3)])
    changed = http.get("/v1/events", headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["etag"] != tag and len(changed.json()["items"]) == 4


def test_a_subscription_change_changes_the_listings_tag(http: httpx.Client) -> None:
    tag = http.get("/v1/subscriptions").headers["etag"]
    assert http.post("/v1/subscriptions", json={"name": "bridges", "query": "bridge"}, headers=WRITE).status_code == 201
    listed = http.get("/v1/subscriptions", headers={"If-None-Match": tag})
    assert listed.status_code == 200 and listed.json()["items"][0]["name"] == "bridges"


def test_errors_streams_and_writes_carry_no_etag(http: httpx.Client) -> None:
    """Only a 200 JSON read is tagged: a Problem, a live stream and a write's answer are not, whatever is asked."""
    missing = http.get("/v1/stories/nothing", headers={"If-None-Match": "*"})
    assert missing.status_code == 404 and "etag" not in missing.headers
    with http.stream("GET", "/v1/stream/events", headers={"If-None-Match": "*"}) as stream:
        assert stream.status_code == 200 and "etag" not in stream.headers
    posted = http.post("/v1/subscriptions", json={"name": "x", "query": "x"}, headers={**WRITE, "If-None-Match": "*"})
    assert posted.status_code == 201 and "etag" not in posted.headers
