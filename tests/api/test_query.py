"""Query parameters over a real server: a parameter no route takes is a 400 naming it, on every route."""

from __future__ import annotations

import re
from importlib import resources
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
import redis

from tests.api.conftest import READ, WRITE
from tests.api.test_receiver import ARTICLE
from wirewatch import constants as c


def _unknown(response: httpx.Response, names: list[str], accepted: list[str]) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert set(body) == {"error", "detail", "errors"} and body["error"] == "unknown_query_parameter"
    assert [e["loc"] for e in body["errors"]] == [["query", name] for name in names]
    assert all(e["accepted"] == accepted for e in body["errors"])
    for name in names + accepted:
        assert repr(name) in body["detail"] or name in body["detail"], (name, body["detail"])


def test_a_misspelt_parameter_is_a_400_naming_it_and_the_accepted_ones(http: httpx.Client) -> None:
    """`?limt=5` was answered as if no limit had been given; it is a 400 naming `limt` and what the route takes."""
    response = http.get("/v1/events", params={"limt": 5})
    _unknown(response, ["limt"], ["cursor", "limit", "order"])
    assert "limt" in response.json()["detail"] and "cursor, limit, order" in response.json()["detail"]
    # Several at once are all named, in the order sent; names are case-sensitive, as the route reads them.
    _unknown(http.get("/v1/events?Limit=5&limit=5&ordr=asc"), ["Limit", "ordr"], ["cursor", "limit", "order"])
    # A bare key (no `=`) and a blank one are parameters too.
    _unknown(http.get("/v1/alerts?verbose"), ["verbose"], ["cursor", "limit", "order"])
    _unknown(http.get("/healthz?=1"), [""], [])
    assert "takes no query parameters" in http.get("/healthz?x=1").json()["detail"]


def test_known_parameters_are_still_taken(http: httpx.Client) -> None:
    """Declared parameters, with or without values, and no parameters at all, answer as before."""
    assert http.get("/v1/events").status_code == 200
    assert http.get("/v1/events?limit=2&order=asc&cursor=0-0").status_code == 200
    assert http.get("/v1/events?").status_code == 200
    assert http.get("/v1/events?limit=0").status_code == 422  # a known parameter's bad value is still a 422
    assert http.get("/?utm_source=newsletter&fbclid=x").status_code == 200  # the dashboard page is no API route


def test_every_route_in_the_api_document_refuses_unknown_parameters(http: httpx.Client, client: redis.Redis) -> None:
    """Each operation of /openapi.json, SSE streams and writes included, answers `?zz_nope=1` with 400 before it
    does anything: no article is queued, no subscription changed, no stream opened."""
    doc = http.get("/openapi.json").json()
    seen = 0
    for path, operations in doc["paths"].items():
        for method in operations:
            url = re.sub(r"\{[^}]+\}", "x" * 10, path) + "?zz_nope=1"
            body = ARTICLE if (method, path) == ("post", "/v1/articles") else None
            response = http.request(method.upper(), url, headers=WRITE, json=body, timeout=5)
            declared = sorted(p["name"] for p in operations[method].get("parameters", []) if p["in"] == "query")
            _unknown(response, ["zz_nope"], declared)
            assert "400" in operations[method]["responses"], (method, path)  # documented as well
            seen += 1
    assert seen >= 15
    assert client.zcard(c.LEDGER_PENDING) == 0 and not client.exists(c.STATS)


def test_head_refuses_unknown_parameters_like_get(http: httpx.Client) -> None:
    """HEAD is GET without the body: the same 400."""
    head = http.head("/v1/stats?verbose=1")
    assert (head.status_code, head.content) == (400, b"")


def test_an_unknown_parameter_is_refused_before_the_token_is_checked(http: httpx.Client) -> None:
    """The request's shape is wrong whoever sends it (like a 404 or a 405): 400 with any token or none, so a token
    sent in the query string (which never authenticates) is told it is not a parameter rather than just 401."""
    token = WRITE["Authorization"].split()[1]
    _unknown(http.post(f"/v1/articles?token={token}", json=ARTICLE), ["token"], [])
    assert token not in http.post(f"/v1/articles?token={token}", json=ARTICLE).text  # names only, never values
    _unknown(http.get("/v1/events?access_token=x", headers=READ), ["access_token"], ["cursor", "limit", "order"])


def test_every_parameter_the_dashboard_sends_is_accepted(http: httpx.Client) -> None:
    """The dashboard's own requests (its script's URL literals, EventSource streams included) are not refused."""
    page = resources.files("wirewatch.api").joinpath("static/dashboard.html").read_text(encoding="utf-8")
    urls = re.findall(r"""["']((?:v1/|readyz|metrics)[^"'\s]*\?[^"'\s]*)["']""", page)
    assert {"v1/stream/events?backlog=30", "v1/stream/alerts?backlog=20", "v1/match?limit=20&q="} <= set(urls), urls
    for url in urls:
        parts = urlsplit(url)
        params = {k: v or "test" for k, v in parse_qsl(parts.query, keep_blank_values=True)}
        with http.stream("GET", "/" + parts.path, params=params, timeout=10) as response:
            assert response.status_code == 200, (url, response.read())


@pytest.mark.parametrize("route", ["/v1/stream/events", "/v1/stream/alerts"])
def test_a_stream_with_an_unknown_parameter_is_refused_not_opened(http: httpx.Client, route: str) -> None:
    """`?backlg=30` on a stream is a 400 at once, not a stream that silently starts at the newest entry."""
    _unknown(http.get(route, params={"backlg": 30}, timeout=5), ["backlg"], ["after", "backlog"])


def test_a_flood_of_unknown_parameters_is_answered_briefly(http: httpx.Client) -> None:
    """Each unknown name was echoed with the accepted ones, so ~3,000 short distinct names in a 16 kB URL made a
    ~300 kB answer; the first 20 are named and the rest counted."""
    query = "&".join(f"p{n}=1" for n in range(2000))
    response = http.get(f"/v1/events?{query}")
    assert response.status_code == 400 and len(response.content) < 4000, len(response.content)
    body = response.json()
    assert [e["loc"][1] for e in body["errors"]] == [f"p{n}" for n in range(20)]
    assert "'p19' and 1980 more" in body["detail"]


def test_a_single_valued_parameter_given_twice_is_a_400(http: httpx.Client) -> None:
    """`?limit=1&limit=500` was read as its last value, without a word (a client merging its defaults with a
    caller's got whichever came last): a 400 `repeated_query_parameter` naming it. A list parameter (`id` of the
    status lookup) still takes many."""
    response = http.get("/v1/events?limit=1&order=asc&limit=500")
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "repeated_query_parameter" and "'limit'" in response.json()["detail"]
    assert [e["loc"] for e in response.json()["errors"]] == [["query", "limit"]]
    assert http.get("/v1/articles/status?id=aaaaaaaa&id=bbbbbbbb").status_code == 200
