"""A real wirewatch HTTP server (uvicorn in a thread, on a free loopback port) against the test Redis."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from wirewatch.api.server import serving
from wirewatch.settings import Settings, load_settings

WRITE_TOKEN = "w-0123456789abcdef-writer"
SUBMIT_TOKEN = "s-0123456789abcdef-submitter"
READ_TOKEN = "r-0123456789abcdef-reader"
WRITE = {"Authorization": f"Bearer {WRITE_TOKEN}"}
SUBMIT = {"Authorization": f"Bearer {SUBMIT_TOKEN}"}
READ = {"Authorization": f"Bearer {READ_TOKEN}"}


def http_settings(redis_url: str, tmp_path: Path, **http: Any) -> Settings:
    section = {
        "port": 0,
        "tokens": [{"name": "partner", "token": WRITE_TOKEN, "scope": "write"},
                   {"name": "wire", "token": SUBMIT_TOKEN, "scope": "submit"},
                   {"name": "analyst", "token": READ_TOKEN, "scope": "read"}],
        **http,
    }  # fmt: skip
    return load_settings(None, redis_url=redis_url, data_dir=str(tmp_path / "data"), http=section)


@pytest.fixture
def api_settings(redis_url: str, tmp_path: Path) -> Settings:
    return http_settings(redis_url, tmp_path)


@pytest.fixture
def api(api_settings: Settings, redis_url: str) -> Iterator[str]:
    """Base URL of a served app with a write, a submit and a read token configured."""
    with serving(api_settings, redis_url) as base:
        yield base


@pytest.fixture
def http(api: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=api, timeout=10) as client:
        yield client
