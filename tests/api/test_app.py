"""The app as a whole over a real server: every error answer is a Problem body, whoever produced it."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
import redis

from tests.api.conftest import WRITE, http_settings
from wirewatch import constants as c
from wirewatch.api.server import serving


def _is_problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error", "detail", "errors"} and body["error"] == code and body["detail"]


def test_unknown_route_is_a_problem(http: httpx.Client) -> None:
    """A path no route serves is a 404 Problem, not Starlette's {"detail": "Not Found"}."""
    _is_problem(http.get("/v1/nothing-here"), 404, "not_found")


def test_wrong_method_is_a_problem(http: httpx.Client) -> None:
    """A method the route does not take is a 405 Problem that keeps its Allow header."""
    response = http.get("/v1/articles")
    _is_problem(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == "POST"


@pytest.mark.parametrize(("method", "path", "allow"), [
    ("PUT", "/v1/subscriptions", "GET, HEAD, POST"), ("OPTIONS", "/v1/subscriptions", "GET, HEAD, POST"),
    ("PATCH", "/v1/subscriptions/bridges", "DELETE, GET, HEAD"), ("DELETE", "/v1/events", "GET, HEAD"),
    ("PUT", "/v1/articles", "POST"),
])  # fmt: skip
def test_allow_names_every_method_of_the_path(http: httpx.Client, method: str, path: str, allow: str) -> None:
    """A path served by two routes (GET and POST /v1/subscriptions) answered a 405 with the first one's methods
    only, `Allow: GET`, so a client reading it concluded it could not POST there (schemathesis, ST205); and HEAD,
    answered wherever GET is, was never named."""
    response = http.request(method, path, headers=WRITE)
    _is_problem(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == allow


def test_unparsable_body_is_a_problem(http: httpx.Client) -> None:
    """A body nested too deeply to parse (RecursionError) is a 422 `invalid_json` Problem, as on the receiver (it
    was a 400 `bad_request` "There was an error parsing the body" on `POST /v1/subscriptions`)."""
    response = http.post(
        "/v1/subscriptions", content=b"[" * 5000, headers={**WRITE, "Content-Type": "application/json"}
    )
    _is_problem(response, 422, "invalid_json")
    assert response.json()["detail"] == "invalid JSON: nested too deeply"


def test_server_error_is_a_problem(http: httpx.Client, client: redis.Redis) -> None:
    """An unexpected failure (here a Redis key of the wrong type) is a 500 Problem, not plain text."""
    client.set(c.LEDGER_PENDING, "not a sorted set")
    _is_problem(http.get("/v1/articles/0123456789abcdef/status"), 500, "internal_error")


def test_head_answers_like_get_without_a_body(http: httpx.Client) -> None:
    """HEAD on a read route has GET's status and headers and no body (RFC 9110 asks every server for HEAD; uptime
    checkers send it): it was a 405. The live streams have their own test below."""
    for path, status in (("/healthz", 200), ("/v1/events?limit=2", 200), ("/v1/events?limit=0", 422),
                         ("/v1/stories/nope", 404), ("/", 200)):  # fmt: skip
        head, get = http.head(path), http.get(path)
        assert (head.status_code, head.content) == (status, b""), path
        assert head.headers["content-type"] == get.headers["content-type"], path
        assert head.headers["content-length"] == get.headers["content-length"], path
    assert http.head("/v1/articles").status_code == 405  # a POST route answers GET with 405, and so HEAD
    metrics = http.get("/metrics").text
    assert 'method="GET",route="/healthz",status="200"' in metrics  # counted under its route, not `unmatched`


@pytest.mark.parametrize("route", ["/v1/stream/events", "/v1/stream/alerts"])
def test_head_on_a_live_stream_answers_its_headers_at_once(redis_url: str, tmp_path: Path, route: str) -> None:
    """HEAD on an SSE route is GET's 200 and text/event-stream headers with no body, answered at once (it was a
    405): no stream is opened and no slot held, so with one slot, HEADs leave it to the GET; while the GET holds
    it, HEAD says what a GET would hear (503). A bad Last-Event-ID is GET's 422."""
    settings = http_settings(redis_url, tmp_path, max_streams=1)
    with serving(settings, redis_url) as base, httpx.Client(base_url=base, timeout=5) as http:
        for _ in range(3):
            started = time.monotonic()
            head = http.head(route, params={"backlog": 5})
            assert time.monotonic() - started < c.SSE_BLOCK_MS / 1000 / 3  # not held open until a keep-alive
            assert (head.status_code, head.content) == (200, b""), head.headers
            assert head.headers["content-type"].startswith("text/event-stream")
            assert head.headers["cache-control"] == "no-cache" and head.headers["x-accel-buffering"] == "no"
            assert "content-length" not in head.headers  # GET's has none either (the stream never ends)
        with http.stream("GET", route) as get:
            assert get.status_code == 200  # the HEADs held no slot
            assert {k: get.headers[k] for k in ("content-type", "cache-control")} == {
                k: head.headers[k] for k in ("content-type", "cache-control")}  # fmt: skip
            busy = http.head(route)
            assert (busy.status_code, busy.headers["retry-after"], busy.content) == (503, "10", b"")
        assert http.head(route, headers={"Last-Event-ID": "nope"}).status_code == 422


@pytest.mark.parametrize(("method", "path"), [("GET", "/v1/events/"), ("POST", "/v1/articles/"),
                                              ("GET", "/v1/articles/0123456789abcdef/status/")])  # fmt: skip
def test_a_trailing_slash_is_a_404_that_says_so(http: httpx.Client, method: str, path: str) -> None:
    """A route's path with a trailing slash was a 307 to an absolute URL built from what the server sees, `http://`
    behind a TLS proxy, where a client following it sent its body and token again in the clear. Now a 404 Problem
    whose detail says routes take no trailing slash, and no Location."""
    response = http.request(method, path, headers=WRITE, content=b"{}")
    _is_problem(response, 404, "not_found")
    assert "no trailing slash" in response.json()["detail"] and "location" not in response.headers
    assert "trailing" not in http.get("/v1/nothing/").json()["detail"]  # the hint only where it helps


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/docs/oauth2-redirect"])
def test_no_page_loads_scripts_from_elsewhere(http: httpx.Client, path: str) -> None:
    """FastAPI's /docs and /redoc loaded Swagger UI and ReDoc from a CDN (a floating version, no integrity hash)
    into the dashboard's origin, where a user would paste a token: not served (/openapi.json is the document)."""
    _is_problem(http.get(path), 404, "not_found")
