"""What a partner quotes and reads back, over a real server: a request id on every answer and on the log lines of
its request, and the rate budget in RateLimit headers on every counted answer."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import httpx
import pytest
import redis

from tests.api.conftest import READ, WRITE, http_settings
from wirewatch import constants as c
from wirewatch.api.server import serving

GENERATED = re.compile(r"[0-9a-f]{32}")


def _logged(caplog: pytest.LogCaptureFixture, event: str) -> list[dict[str, object]]:
    return [r.msg for r in caplog.records if isinstance(r.msg, dict) and r.msg.get("event") == event]


def test_every_answer_carries_a_request_id(http: httpx.Client) -> None:
    """A success, a Problem and a stream each name their request: a fresh id for each, or the client's own
    `X-Request-ID` when it is a plain token; anything else (spaces, controls, too long) is replaced, never echoed."""
    ids = [http.get(path).headers.get("x-request-id", "") for path in ("/healthz", "/healthz", "/v1/nothing")]
    assert all(GENERATED.fullmatch(i) for i in ids) and len(set(ids)) == 3, ids
    mine = "partner-7f3a.batch:42_retry-1"
    assert http.get("/v1/events", headers={"X-Request-ID": mine}).headers["x-request-id"] == mine
    for bad in ("two words", "x" * 129, "a\tb", "ünïcode".encode(), ""):
        answered = http.get("/healthz", headers={"X-Request-ID": bad}).headers["x-request-id"]
        assert GENERATED.fullmatch(answered), (bad, answered)
    with http.stream("GET", "/v1/stream/events", headers={"X-Request-ID": mine}) as stream:
        assert stream.status_code == 200 and stream.headers["x-request-id"] == mine
    head = http.head("/v1/events", headers={"X-Request-ID": mine})
    assert head.status_code == 200 and head.headers["x-request-id"] == mine


def test_a_failure_names_its_request_in_the_answer_and_the_log(
    http: httpx.Client, client: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    """A 500 said only "it has been logged": the partner had nothing to quote and the operator nothing to find.
    Its answer now carries the request id, in the header and the detail, and so does the log line with the
    traceback; a refused body's log line carries the id of its request too."""
    caplog.set_level(logging.INFO)
    client.set(c.LEDGER_PENDING, "not a sorted set")
    failed = http.get("/v1/articles/0123456789abcdef/status", headers={"X-Request-ID": "case-500"})
    assert failed.status_code == 500 and failed.json()["error"] == "internal_error"
    assert failed.headers["x-request-id"] == "case-500" and "case-500" in failed.json()["detail"]
    [crash] = _logged(caplog, "http_internal_error")
    assert crash["request_id"] == "case-500" and "WRONGTYPE" in str(crash["error"]), crash
    # uvicorn closes a connection whose request failed: the next request opens another.
    refused = httpx.post(f"{http.base_url}/v1/articles", content=b"{nope",
                         headers={**WRITE, "Content-Type": "application/json"})  # fmt: skip
    [line] = _logged(caplog, "http_body_refused")
    assert line["request_id"] == refused.headers["x-request-id"]


def test_a_log_line_in_a_worker_thread_names_its_request(
    redis_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Sync routes and their token check run in the thread pool: their lines carry the id too."""
    caplog.set_level(logging.INFO)
    settings = http_settings(redis_url, tmp_path, rate_limit=1)
    with serving(settings, redis_url) as base, httpx.Client(base_url=base, timeout=10) as http:
        assert http.get("/v1/events", headers=READ).status_code == 200
        limited = http.get("/v1/events", headers={**READ, "X-Request-ID": "too-many"})
    assert limited.status_code == 429
    [line] = _logged(caplog, "http_rate_limited")
    assert line["request_id"] == "too-many"


def test_counted_answers_say_the_budget_left(redis_url: str, tmp_path: Path) -> None:
    """A partner learned of its budget only from a 429. Every answer counted against a budget says it, in the
    RateLimit headers of the IETF draft: the limit, what is left of it, seconds until the window resets, and the
    policy; the 429 too, with Retry-After equal to the reset. A token's budget and an address's are told apart."""
    settings = http_settings(redis_url, tmp_path, rate_limit=3, rate_window="1m", anonymous_rate_limit=5)
    with serving(settings, redis_url) as base, httpx.Client(base_url=base, timeout=10) as http:
        answers = [http.get("/v1/events", headers=READ) for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert [a.headers["ratelimit-remaining"] for a in answers] == ["2", "1", "0", "0"]
        for answer in answers:
            assert answer.headers["ratelimit-limit"] == "3"
            assert answer.headers["ratelimit-policy"] == "3;w=60"
            assert 1 <= int(answer.headers["ratelimit-reset"]) <= 60
        assert answers[-1].headers["retry-after"] == answers[-1].headers["ratelimit-reset"]
        anonymous = http.get("/v1/events")
        assert anonymous.headers["ratelimit-limit"] == "5" and anonymous.headers["ratelimit-remaining"] == "4"
        assert "ratelimit-limit" not in http.get("/healthz").headers  # not counted: no budget to tell


def test_no_budget_no_ratelimit_headers(redis_url: str, tmp_path: Path) -> None:
    settings = http_settings(redis_url, tmp_path, rate_limit=0, anonymous_rate_limit=0)
    with serving(settings, redis_url) as base, httpx.Client(base_url=base, timeout=10) as http:
        answer = http.get("/v1/events", headers=READ)
        assert answer.status_code == 200 and not any(h.startswith("ratelimit") for h in answer.headers)
