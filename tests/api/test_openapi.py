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
