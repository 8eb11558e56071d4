"""Token scopes over a real server: `read` reads, `submit` also submits articles, `write` also manages the rest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from tests.api.conftest import READ, SUBMIT, SUBMIT_TOKEN, WRITE, WRITE_TOKEN, http_settings
from tests.api.test_receiver import ARTICLE
from wirewatch import constants as c
from wirewatch.api.auth import Principal
from wirewatch.api.server import serving
from wirewatch.settings import Scope

# Every route that is not a GET, and the narrowest scope it takes (docs/http.md says the same).
ROUTE_SCOPES: dict[tuple[str, str], Scope] = {
    ("POST", "/v1/articles"): "submit",
    ("POST", "/v1/subscriptions"): "write",
    ("DELETE", "/v1/subscriptions/{name_or_id}"): "write",
}
NARROW_TO_WIDE: list[Scope] = ["read", "submit", "write"]  # each scope may do all that the ones before it may
HEADERS = {"read": READ, "submit": SUBMIT, "write": WRITE}
HOOK = "https://hooks.slack.example/services/T000/B000/XXXXSECRETXXXX"
SUBSCRIPTION = {"name": "bridges", "query": "bridge", "webhook": HOOK, "secret": "s3cret-s3cret-s3cret"}
READS = ["/v1/events", "/v1/alerts", "/v1/stories", "/v1/feeds", "/v1/subscriptions", "/v1/stats", "/metrics"]


@pytest.mark.parametrize("scope", NARROW_TO_WIDE)
@pytest.mark.parametrize("needed", NARROW_TO_WIDE)
def test_what_a_scope_may(scope: Scope, needed: Scope) -> None:
    """A scope may do what it names and everything a narrower scope may, nothing wider."""
    assert Principal("t", scope, "tok_0").may(needed) is (NARROW_TO_WIDE.index(scope) >= NARROW_TO_WIDE.index(needed))


def test_every_write_route_has_a_decided_scope(http: httpx.Client) -> None:
    """The operations that are not GETs are exactly the table's: a new write route fails here until its scope
    is decided (and documented)."""
    paths: dict[str, dict[str, Any]] = http.get("/openapi.json").json()["paths"]
    writes = {(method.upper(), path) for path, operations in paths.items() for method in operations if method != "get"}
    assert writes == set(ROUTE_SCOPES)


@pytest.mark.parametrize("scope", NARROW_TO_WIDE)
@pytest.mark.parametrize(
    ("route", "needed"), [pytest.param(route, needed, id=" ".join(route)) for route, needed in ROUTE_SCOPES.items()]
)
def test_each_write_route_takes_the_scope_it_needs(
    http: httpx.Client, client: redis.Redis, route: tuple[str, str], needed: Scope, scope: Scope
) -> None:
    """A token narrower than the route needs is 403 forbidden, naming both scopes, and changes nothing; one
    wide enough gets past the auth check (to whatever the route answers an empty object or an unknown name)."""
    method, path = route
    response = http.request(method, path.replace("{name_or_id}", "nobody"), json={}, headers=HEADERS[scope])
    if NARROW_TO_WIDE.index(scope) >= NARROW_TO_WIDE.index(needed):
        assert response.status_code not in (401, 403), response.text
        return
    assert response.status_code == 403 and response.json()["error"] == "forbidden", response.text
    assert f"'{scope}'" in response.json()["detail"] and f"'{needed}'" in response.json()["detail"]
    assert client.zcard(c.LEDGER_PENDING) == 0 and http.get("/v1/subscriptions").json()["items"] == []


def test_a_submit_token_submits_articles(http: httpx.Client, client: redis.Redis) -> None:
    """A submit token's article is accepted (202), written to the pending ledger, and its status reads queued."""
    response = http.post("/v1/articles", json=ARTICLE, headers=SUBMIT)
    assert response.status_code == 202, response.text
    [accepted] = response.json()["accepted"]
    assert client.zscore(c.LEDGER_PENDING, accepted["delivery_id"]) is not None
    status = http.get(accepted["status_url"], headers=SUBMIT)
    assert status.status_code == 200 and status.json()["state"] == "queued"


def test_a_submit_token_cannot_manage_subscriptions(http: httpx.Client) -> None:
    """Adding or removing a subscription with a submit token is 403 and changes nothing; its listing shows a
    webhook's origin only, as to a read token (a chat webhook's URL is all it takes to post there)."""
    refused = http.post("/v1/subscriptions", json=SUBSCRIPTION, headers=SUBMIT)
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    assert http.get("/v1/subscriptions").json()["items"] == []
    assert http.post("/v1/subscriptions", json=SUBSCRIPTION, headers=WRITE).status_code == 201
    assert http.delete("/v1/subscriptions/bridges", headers=SUBMIT).status_code == 403
    listed = http.get("/v1/subscriptions", headers=SUBMIT)
    assert [s["webhook"] for s in listed.json()["items"]] == ["https://hooks.slack.example/…"]
    assert "XXXXSECRET" not in listed.text


def test_a_submit_token_reads(redis_url: str, tmp_path: Path) -> None:
    """With public_read off, a submit token reads everything a read token reads."""
    settings = http_settings(redis_url, tmp_path, public_read=False)
    with serving(settings, redis_url) as base, httpx.Client(base_url=base, timeout=10) as http:
        for path in READS:
            assert http.get(path).status_code == 401, path
            assert http.get(path, headers=SUBMIT).status_code == 200, path
            assert http.get(path, headers=READ).status_code == 200, path


def test_a_write_token_still_does_everything(http: httpx.Client, client: redis.Redis) -> None:
    """A write token submits articles, reads, sees webhook URLs whole, and adds and removes subscriptions."""
    response = http.post("/v1/articles", json=ARTICLE, headers=WRITE)
    assert response.status_code == 202, response.text
    assert client.zscore(c.LEDGER_PENDING, response.json()["accepted"][0]["delivery_id"]) is not None
    assert http.post("/v1/subscriptions", json=SUBSCRIPTION, headers=WRITE).status_code == 201
    listed = http.get("/v1/subscriptions", headers=WRITE).json()["items"]
    assert [s["webhook"] for s in listed] == [HOOK]
    assert http.delete("/v1/subscriptions/bridges", headers=WRITE).status_code == 204
    for path in READS:
        assert http.get(path, headers=WRITE).status_code == 200, path


def test_a_read_token_cannot_submit(http: httpx.Client, client: redis.Redis) -> None:
    """A read token's article is 403 forbidden and nothing reaches the ledger."""
    response = http.post("/v1/articles", json=ARTICLE, headers=READ)
    assert response.status_code == 403 and response.json()["error"] == "forbidden"
    assert client.zcard(c.LEDGER_PENDING) == 0


def test_with_only_submit_tokens_configured_subscription_writes_stay_closed(redis_url: str, tmp_path: Path) -> None:
    """Submit tokens alone open submission to those tokens; subscription writes are still refused outright
    (403 writes_disabled), as every write is when no token at all is configured."""
    settings = http_settings(redis_url, tmp_path, tokens=[{"name": "wire", "token": SUBMIT_TOKEN, "scope": "submit"}])
    with serving(settings, redis_url) as base, httpx.Client(base_url=base, timeout=10) as http:
        assert http.post("/v1/articles", json=ARTICLE, headers=SUBMIT).status_code == 202
        assert http.post("/v1/articles", json=ARTICLE).status_code == 401
        for headers in (SUBMIT, WRITE, {}):
            refused = http.post("/v1/subscriptions", json=SUBSCRIPTION, headers=headers)
            assert refused.status_code == 403 and refused.json()["error"] == "writes_disabled", refused.text
            assert "write" in refused.json()["detail"]
            assert http.delete("/v1/subscriptions/bridges", headers=headers).status_code == 403


def test_with_only_read_tokens_configured_submission_stays_closed(redis_url: str, tmp_path: Path) -> None:
    """Read tokens alone leave every write refused (403 writes_disabled), submission included."""
    settings = http_settings(redis_url, tmp_path, tokens=[{"name": "analyst", "token": READ["Authorization"][7:],
                                                           "scope": "read"}])  # fmt: skip
    with serving(settings, redis_url) as base, httpx.Client(base_url=base, timeout=10) as http:
        for headers in (READ, SUBMIT, {}):
            refused = http.post("/v1/articles", json=ARTICLE, headers=headers)
            assert refused.status_code == 403 and refused.json()["error"] == "writes_disabled", refused.text
        assert http.get("/v1/events", headers=READ).status_code == 200


OTHER_TOKEN = "o-0123456789abcdef-other-desk"


def test_tokens_that_share_a_name_have_a_budget_each(
    redis_url: str, tmp_path: Path, client: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    """Two tokens under one name (two desks of one partner) are counted apart: one past its rate limit is 429, the
    other still answered. The budget is keyed by a hash prefix of the token, never the token or its name, and
    the 429 is logged with the token's name. They used to share one budget, keyed by the name."""
    tokens = [{"name": "partner", "token": WRITE_TOKEN, "scope": "write"},
              {"name": "partner", "token": OTHER_TOKEN, "scope": "write"}]  # fmt: skip
    settings = http_settings(redis_url, tmp_path, tokens=tokens, rate_limit=2, rate_window="1h")
    other = {"Authorization": f"Bearer {OTHER_TOKEN}"}
    with serving(settings, redis_url) as base, httpx.Client(base_url=base, timeout=10) as http:
        assert [http.get("/v1/events", headers=WRITE).status_code for _ in range(3)] == [200, 200, 429]
        assert http.get("/v1/events", headers=other).status_code == 200
        assert http.get("/v1/events", headers=WRITE).status_code == 429
    keys = [str(k) for k in client.scan_iter(c.key("http", "rate", "*"))]
    assert len(keys) == 2, keys
    for secret in (WRITE_TOKEN, OTHER_TOKEN, "partner"):
        assert not any(secret in k for k in keys), keys
    limited = [r.getMessage() for r in caplog.records if "http_rate_limited" in r.getMessage()]
    assert limited and all("partner" in line for line in limited)
    assert WRITE_TOKEN not in caplog.text and OTHER_TOKEN not in caplog.text


def test_a_token_named_like_an_address_has_a_budget_of_its_own(redis_url: str, tmp_path: Path) -> None:
    """Anonymous reads from an address never spend the budget of a token whose name looks like that address's
    key (tokens and addresses used to be counted under one `<name>` key space)."""
    tokens = [{"name": "address:127.0.0.1", "token": WRITE_TOKEN, "scope": "write"}]
    settings = http_settings(redis_url, tmp_path, tokens=tokens, rate_limit=2, rate_window="1h")
    with serving(settings, redis_url) as base, httpx.Client(base_url=base, timeout=10) as http:
        assert [http.get("/v1/events").status_code for _ in range(3)] == [200, 200, 200]
        assert [http.get("/v1/events", headers=WRITE).status_code for _ in range(3)] == [200, 200, 429]


def test_a_refused_body_costs_budget_and_a_limited_one_is_not_read(redis_url: str, tmp_path: Path) -> None:
    """The budget is counted before the body is read (docs/http.md): a body refused as too large spends a request
    like any other, and past the limit a request is 429 before its body is looked at (here an oversized one, which
    would otherwise be a 413)."""
    settings = http_settings(redis_url, tmp_path, rate_limit=2, rate_window="1h", max_body_bytes=1000)
    big = {**WRITE, "Content-Type": "application/json"}
    with serving(settings, redis_url) as base, httpx.Client(base_url=base, timeout=10) as http:
        assert [http.post("/v1/articles", content=b"[" + b" " * 2000 + b"]", headers=big).status_code
                for _ in range(3)] == [413, 413, 429]  # fmt: skip
        assert http.post("/v1/articles", json=ARTICLE, headers=WRITE).status_code == 429


def _malformed(path: str, operation: dict[str, Any]) -> dict[str, Any]:
    """A request for ``operation`` that a token wide enough would get a 422 for: every parameter and the body
    malformed (a value no integer, pattern, enum or length bound takes; JSON cut short)."""
    bad = "x!" * 150
    params = operation.get("parameters", [])
    url = path
    for p in params:
        if p["in"] == "path":
            url = url.replace("{" + p["name"] + "}", bad)
    request: dict[str, Any] = {
        "url": url,
        "params": {p["name"]: "x!" for p in params if p["in"] == "query"},
        "headers": {p["name"]: "x!" for p in params if p["in"] == "header" and p["name"] != "If-None-Match"},
    }
    if "requestBody" in operation:
        request["content"] = b'{"name": '
        request["headers"]["Content-Type"] = "application/json"
    return request


def test_who_asks_is_checked_before_what_is_asked(redis_url: str, tmp_path: Path) -> None:
    """A malformed request (bad parameters, JSON cut short) to any route that takes a token is 401 without one or
    with a bad one, and 403 with too narrow a one, before a byte of its body is parsed or a parameter checked; a
    token that may is told the 422. FastAPI parsed a JSON body before the token check, so `POST /v1/subscriptions`
    told anyone 422 `invalid_json` and only a well-formed body learned it needed a token."""
    settings = http_settings(redis_url, tmp_path, public_read=False)
    with serving(settings, redis_url) as base, httpx.Client(base_url=base, timeout=10) as http:
        paths: dict[str, dict[str, Any]] = http.get("/openapi.json").json()["paths"]
        checked = []
        for path, operations in paths.items():
            for method, operation in operations.items():
                if not operation.get("security"):
                    continue
                request = _malformed(path, operation)
                if not (request["params"] or request["headers"] or "content" in request or "{" in path):
                    continue  # nothing to get wrong: no parameter, no body
                request["method"] = method.upper()
                needed = ROUTE_SCOPES.get((method.upper(), path), "read")
                told = http.request(**{**request, "headers": {**request["headers"], **WRITE}})
                assert told.status_code == 422, (method, path, told.text)
                for who in ({}, {"Authorization": "Bearer not-a-token-at-all"}):
                    refused = http.request(**{**request, "headers": {**request["headers"], **who}})
                    assert refused.status_code == 401, (method, path, who, refused.text)
                    assert refused.json()["error"] == "unauthorized"
                if needed != "read":
                    narrow = http.request(**{**request, "headers": {**request["headers"], **READ}})
                    assert narrow.status_code == 403 and narrow.json()["error"] == "forbidden", (method, path)
                checked.append((method.upper(), path))
        assert set(ROUTE_SCOPES) <= set(checked) and ("GET", "/v1/events") in checked
