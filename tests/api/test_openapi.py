"""Property test against /openapi.json: generated requests never get a 500 or an undocumented response."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from tests.api.conftest import WRITE

pytestmark = pytest.mark.slow


def test_api_conforms_to_its_openapi(worker_app: Any, api: str) -> None:
    """Any request the schema allows gets a documented status, content type and body; never a 5xx (a worker runs, so /readyz is 200)."""
    # The SSE streams never end by design; they have their own tests (test_read.py).
    schema = schemathesis.openapi.from_url(f"{api}/openapi.json").exclude(path_regex="^/v1/stream/")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def conforms(case: Any) -> None:
            # A schema-valid subscription query can still break the query grammar (or a schema-valid record
            # name no usable body): JSON Schema cannot say that, so such a 422 is right, and documented.
            case.call_and_validate(headers=WRITE, excluded_checks=[positive_data_acceptance])

        conforms()


def test_openapi_documents_the_api(api: str) -> None:
    """The document names every route, the bearer scheme, and the article record the receiver takes."""
    import httpx

    doc = httpx.get(f"{api}/openapi.json").json()
    assert {"/v1/articles", "/v1/articles/{delivery_id}/status", "/v1/events", "/v1/alerts", "/v1/stream/events",
            "/v1/stream/alerts", "/healthz", "/readyz", "/metrics"} <= set(doc["paths"])  # fmt: skip
    post = doc["paths"]["/v1/articles"]["post"]
    assert {"202", "401", "403", "413", "415", "422", "429"} <= set(post["responses"])
    assert "ArticleRecord" in doc["components"]["schemas"]
    assert doc["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


WATCHED = ("X-Request-ID", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "RateLimit-Policy", "ETag",
           "Cache-Control", "Retry-After", "WWW-Authenticate")  # fmt: skip


def test_openapi_declares_the_headers_and_the_304_the_api_answers(api: str) -> None:
    """Clients are generated from /openapi.json: every header of ours an answer carries is declared on that
    operation's status (X-Request-ID on all, RateLimit-* where counted, ETag on a JSON read's 200, Retry-After,
    WWW-Authenticate), and the 304 a read answers to If-None-Match is a documented status, the parameter too.
    None was: a generated client had no field for the id to quote, its budget or the tag, and took a 304 for an
    error."""
    import httpx

    doc = httpx.get(f"{api}/openapi.json").json()
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                assert response["headers"]["X-Request-ID"]["required"] is True, (method, path, status)
            if method == "get" and "application/json" in operation["responses"]["200"].get("content", {}):
                assert {"ETag", "Cache-Control"} <= set(operation["responses"]["200"]["headers"]), path
                assert "304" in operation["responses"] and "content" not in operation["responses"]["304"], path
                assert "If-None-Match" in [p["name"] for p in operation["parameters"] if p["in"] == "header"], path
    with httpx.Client(base_url=api, timeout=10) as http:
        events = http.get("/v1/events")
        asked: list[tuple[str, str, httpx.Response]] = [
            ("get", "/v1/events", events),
            ("get", "/v1/events", http.get("/v1/events", headers={"If-None-Match": events.headers["etag"]})),
            ("get", "/v1/events", http.get("/v1/events", headers={"Authorization": "Bearer not-a-valid-token"})),
            ("get", "/v1/events", http.get("/v1/events", params={"limit": 0})),
            ("get", "/healthz", http.get("/healthz")),
            ("get", "/metrics", http.get("/metrics")),
            ("post", "/v1/subscriptions", http.post("/v1/subscriptions", json={"name": "n", "query": "q"},
                                                    headers=WRITE)),
            ("delete", "/v1/subscriptions/{name_or_id}", http.delete("/v1/subscriptions/nobody", headers=WRITE)),
        ]  # fmt: skip
    for method, path, response in asked:
        documented = doc["paths"][path][method]["responses"][str(response.status_code)]
        sent = {name for name in WATCHED if name in response.headers}
        assert sent <= set(documented.get("headers", {})), (method, path, response.status_code, sent)
    assert {asked[0][2].status_code, asked[1][2].status_code, asked[2][2].status_code} == {200, 304, 401}
