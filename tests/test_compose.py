"""docker-compose.yml: valid against the Compose spec, with the services, healthchecks and volumes it needs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    return data


def test_valid_against_compose_spec(compose: dict[str, Any], corpus: Path) -> None:
    """The file validates against the compose-spec JSON Schema."""
    spec = json.loads((corpus / "compose" / "compose-spec.json").read_text())
    # The spec names draft-07 as "https://…/draft-07/schema" (no "#"), which jsonschema does not look up.
    jsonschema.Draft7Validator(spec).validate(compose)


def test_services_and_redis_durability(compose: dict[str, Any]) -> None:
    """redis runs with AOF everysec and noeviction on a volume; worker and scheduler wait for it to be healthy."""
    services = compose["services"]
    assert {"redis", "worker", "io-worker", "scheduler"} <= services.keys()
    assert "ingest" in services["worker"]["command"] and "feeds,webhooks" in services["io-worker"]["command"]
    command = " ".join(services["redis"]["command"])
    assert "--appendonly yes" in command and "--appendfsync everysec" in command
    assert "--maxmemory-policy noeviction" in command
    assert any(v.startswith("redis-data:") for v in services["redis"]["volumes"])
    for name in ("worker", "io-worker", "scheduler"):
        service = services[name]
        assert service["depends_on"]["redis"]["condition"] == "service_healthy"
        assert service["environment"]["WIREWATCH_REDIS_URL"].startswith("redis://redis:")
        assert any(v.endswith(":/inbox") for v in service["volumes"])
        assert "healthcheck" in service and service["restart"] == "unless-stopped"
    assert "healthcheck" in services["redis"]
    assert "replicas" not in services["worker"].get("deploy", {})  # scalable with --scale worker=N


def test_dockerfile_and_config_exist(compose: dict[str, Any]) -> None:
    """The image builds from the repo's Dockerfile and the mounted config parses as wirewatch settings."""
    from wirewatch.settings import load_settings

    assert (REPO / "Dockerfile").read_text().startswith("# wirewatch")
    settings = load_settings(REPO / "deploy" / "wirewatch.yml")
    assert settings.inbox and str(settings.inbox[0].path) == "/inbox"
