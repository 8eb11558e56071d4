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


def test_service_commands_are_valid_cli_invocations(compose: dict[str, Any]) -> None:
    """Each wirewatch service's command names a real subcommand with options and values it accepts (the image's
    entrypoint is `wirewatch`), so a renamed flag cannot leave a service restarting in a loop."""
    import click

    from wirewatch.cli import main

    commands = {name: s["command"] for name, s in compose["services"].items() if name != "redis"}
    assert commands.keys() == {"worker", "io-worker", "scheduler", "api"}
    for name, (subcommand, *args) in commands.items():
        command = main.get_command(click.Context(main), subcommand)
        assert command is not None, f"{name}: no such command {subcommand!r}"
        command.make_context(subcommand, list(args))  # parses and converts every option; raises on a bad one


def test_worker_healthchecks_ping_their_own_node(compose: dict[str, Any]) -> None:
    """`celery inspect ping` without a destination succeeds when any worker of the broker answers, so a hung
    worker would stay healthy beside a live one: each worker pings its own node, `wirewatch-<pid>@<hostname>`
    (`wirewatch worker`'s node name; the entrypoint is pid 1 in its container)."""
    for name in ("worker", "io-worker"):
        test = " ".join(compose["services"][name]["healthcheck"]["test"])
        assert "inspect ping" in test and '-d "wirewatch-1@$$HOSTNAME"' in test, name


def test_api_answers_only_its_names(compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """The api listens on 0.0.0.0 inside its container, where any Host would be answered; published on the host's
    loopback, a web page whose name an attacker rebinds to 127.0.0.1 would read the API from the host's browser
    (docs/http.md). The service names the Host names it answers: its compose name and the loopback names."""
    import re

    from wirewatch.api.limits import served_hosts
    from wirewatch.settings import load_settings

    service = compose["services"]["api"]
    for name, value in service["environment"].items():  # compose's `${NAME:-default}`, with nothing on the host
        default = re.fullmatch(r"\$\{\w+:-(.*)\}", value)
        monkeypatch.setenv(name, default.group(1) if default else value)
    monkeypatch.delenv("WIREWATCH_CONFIG")
    settings = load_settings(REPO / "deploy" / "wirewatch.yml")
    host = service["command"][service["command"].index("--host") + 1]
    hosts = served_hosts(host, settings.http.allowed_hosts)
    assert hosts is not None and {"api", "localhost", "127.0.0.1"} <= hosts and "rebound.example" not in hosts
