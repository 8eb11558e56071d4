"""Fixtures for producer tests: a loopback HTTP server that serves feeds."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.producers.feed_server import FeedServer, running_server


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    """A loopback HTTP server serving feeds, stopped after the test."""
    with running_server() as server:
        yield server
