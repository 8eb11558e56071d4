"""`wirewatch serve` and `wirewatch run` as real processes: the app listens, takes an article, stops on SIGTERM."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

import httpx
import pytest
import yaml

from tests.api.conftest import WRITE, WRITE_TOKEN
from tests.api.test_receiver import ARTICLE, wait_state
from tests.conftest import REPO

pytestmark = pytest.mark.slow


def _env(redis_url: str, **extra: str) -> dict[str, str]:
    tokens = json.dumps([{"name": "partner", "token": WRITE_TOKEN}])
    return {**os.environ, "WIREWATCH_REDIS_URL": redis_url, "WIREWATCH_LOG_FORMAT": "json",
            "WIREWATCH_HTTP__TOKENS": tokens, "WIREWATCH_HTTP__PORT": "0", **extra}  # fmt: skip


def _find_url(stream: IO[str], deadline_s: float = 30.0) -> str:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        line = stream.readline()
        if not line:
            time.sleep(0.05)
            continue
        found = re.search(r"(http://127\.0\.0\.1:\d+)/", line)
        if found:
            return found[1]
    pytest.fail("the server never said where it listens")


def _stop(proc: subprocess.Popen[str]) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise


def test_serve_listens_and_stops_cleanly(redis_url: str) -> None:
    """`wirewatch serve` logs its URL, answers /healthz and /openapi.json, and exits 0 on SIGTERM."""
    with subprocess.Popen([sys.executable, "-m", "wirewatch", "serve", "--port", "0"], env=_env(redis_url),
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) as proc:  # fmt: skip
        try:
            assert proc.stderr is not None
            base = _find_url(proc.stderr)
            assert httpx.get(f"{base}/healthz").json() == {"status": "ok"}
            assert httpx.get(f"{base}/openapi.json").json()["info"]["title"] == "wirewatch"
            assert httpx.post(f"{base}/v1/articles", json=ARTICLE, headers=WRITE).status_code == 202
        finally:
            code = _stop(proc)
    assert code == 0


def test_run_serves_the_api_beside_the_worker(redis_url: str, tmp_path: Path) -> None:
    """Inside `wirewatch run`, an article pushed over HTTP is emitted by run's own worker."""
    config = tmp_path / "wirewatch.yml"
    config.write_text(yaml.safe_dump({"inbox": [{"path": str(tmp_path / "inbox")}], "workers": 1}))
    with subprocess.Popen([sys.executable, "-m", "wirewatch", "run", "-c", str(config)], env=_env(redis_url),
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=tmp_path) as proc:  # fmt: skip
        try:
            assert proc.stdout is not None
            base = _find_url(proc.stdout)
            with httpx.Client(base_url=base, timeout=10) as http:
                accepted = http.post("/v1/articles", json=ARTICLE, headers=WRITE).json()["accepted"][0]
                assert wait_state(http, accepted["status_url"], timeout=60)["state"] == "emitted"
        finally:
            code = _stop(proc)
    assert code == 0


def test_compose_has_the_api_service() -> None:
    """docker-compose runs the API as its own service, published on loopback, with a healthcheck."""
    services: dict[str, Any] = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]
    api = services["api"]
    assert api["command"][0] == "serve" and "127.0.0.1:8787:8787" in api["ports"]
    assert "healthcheck" in api and "WIREWATCH_HTTP__TOKENS" in api["environment"]


def test_serve_says_where_it_listens_on_stdout(redis_url: str) -> None:
    """Like `run`, `serve` tells a person where the API is, on stdout: the log line on stderr was the only place
    (a JSON line off a terminal), and with --port 0 the port is only known once bound."""
    with subprocess.Popen([sys.executable, "-m", "wirewatch", "serve", "--port", "0"], env=_env(redis_url),
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) as proc:  # fmt: skip
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            found = re.fullmatch(r"HTTP API and dashboard on (http://127\.0\.0\.1:\d+)/\n", line)
            assert found, line
            assert httpx.get(f"{found[1]}/healthz").json() == {"status": "ok"}
        finally:
            code = _stop(proc)
    assert code == 0
