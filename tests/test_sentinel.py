"""Redis behind Sentinel: a real primary, replica and Sentinel (the embedded mode's redis-server binary), the
``redis+sentinel://`` URL through `wirewatch run --once`, and a failover between two runs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis

from tests.api.conftest import WRITE, http_settings
from tests.api.sse import collect
from tests.helpers import free_port
from wirewatch.api.server import serving
from wirewatch.queue import celery_config
from wirewatch.redis_server import connect, redact_url, redis_binary, spawn_redis
from wirewatch.sentinel import SentinelUrl, broker, parse_sentinel_url
from wirewatch.settings import ConfigError, load_settings

REPO = Path(__file__).resolve().parents[1]
SERVICE = "ww-primary"


def test_sentinel_urls_are_read_checked_and_redacted() -> None:
    parsed = parse_sentinel_url("redis+sentinel://:s3cret@h1,h2:26380/ww-primary/2?sentinel_password=sp")
    assert parsed == SentinelUrl((("h1", 26379), ("h2", 26380)), "ww-primary", 2, None, "s3cret", "sp")
    assert parse_sentinel_url("REDIS+SENTINEL://[::1]:5000/m").sentinels == (("::1", 5000),)
    url, options = broker("redis+sentinel://u:p%40ss@h1,h2:26380/m/3")
    assert url == "sentinel://u:p%40ss@h1:26379/3;sentinel://u:p%40ss@h2:26380/3"
    assert options["master_name"] == "m" and "password" not in options["sentinel_kwargs"]
    config = celery_config("redis+sentinel://h1/m")
    assert config["broker_transport_options"]["master_name"] == "m"
    assert config["broker_transport_options"]["visibility_timeout"] > 0
    assert redact_url("redis+sentinel://u:s3cret@h1/m?sentinel_password=sp") == (
        "redis+sentinel://u:***@h1/m?sentinel_password=***"
    )
    for bad, reason in [("redis+sentinel:///m", "at least one Sentinel"), ("redis+sentinel://h1", "service"),
                        ("redis+sentinel://h1/m/x", "must be a number"), ("redis+sentinel://h1:x/m", "host"),
                        ("redis+sentinel://h1/m?master=y", "unknown Sentinel URL option")]:  # fmt: skip
        with pytest.raises(ValueError, match=reason):
            parse_sentinel_url(bad)


def test_a_bad_sentinel_url_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIREWATCH_REDIS_URL", "redis+sentinel://127.0.0.1:26379")
    with pytest.raises(ConfigError, match="redis_url: a Sentinel URL names the primary's service"):
        load_settings(None)



@dataclass
class Group:
    primary_port: int
    replica_port: int
    sentinel_port: int
    processes: list[subprocess.Popen[bytes]]

    @property
    def url(self) -> str:
        return f"redis+sentinel://127.0.0.1:{self.sentinel_port}/{SERVICE}/0"

    def sentinel(self) -> redis.Redis:
        return redis.Redis(port=self.sentinel_port, decode_responses=True, socket_timeout=2)

    def primary_port_now(self) -> int:
        _host, port = self.sentinel().execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", SERVICE)
        return int(port)


def _wait(condition: object, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


@pytest.fixture
def group(tmp_path: Path) -> Iterator[Group]:
    """A primary, its replica and one Sentinel watching them (quorum 1), all on free loopback ports."""
    primary_port, replica_port, sentinel_port = free_port(), free_port(), free_port()
    processes: list[subprocess.Popen[bytes]] = []
    try:
        (tmp_path / "primary").mkdir()
        primary, _ = spawn_redis(tmp_path / "primary", tcp_port=primary_port)
        processes.append(primary)
        (tmp_path / "replica").mkdir()
        replica, _ = spawn_redis(tmp_path / "replica", tcp_port=replica_port)
        processes.append(replica)
        redis.Redis(port=replica_port).execute_command("REPLICAOF", "127.0.0.1", str(primary_port))
        conf = tmp_path / "sentinel.conf"
        conf.write_text(f"port {sentinel_port}\nbind 127.0.0.1\ndir {tmp_path}\n"
                        f"sentinel monitor {SERVICE} 127.0.0.1 {primary_port} 1\n"
                        f"sentinel down-after-milliseconds {SERVICE} 2000\n"
                        f"sentinel failover-timeout {SERVICE} 10000\n")  # fmt: skip
        processes.append(subprocess.Popen([redis_binary(), str(conf), "--sentinel"],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))  # fmt: skip
        group = Group(primary_port, replica_port, sentinel_port, processes)

        def ready() -> bool:
            try:
                replicas = group.sentinel().execute_command("SENTINEL", "REPLICAS", SERVICE)
                synced = redis.Redis(port=replica_port).info("replication").get("master_link_status") == "up"
                return bool(replicas) and synced
            except redis.RedisError:
                return False

        _wait(ready, "the Sentinel to see the replica in sync")
        yield group
    finally:
        for proc in processes:
            proc.kill()
            proc.wait()


def _wirewatch(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WIREWATCH_LOG_LEVEL": "warning"}
    env.pop("WIREWATCH_REDIS_URL", None)
    return subprocess.run([sys.executable, "-m", "wirewatch", *args], capture_output=True, text=True, timeout=240,
                          env=env, cwd=REPO)  # fmt: skip


def test_run_once_through_sentinel_and_again_after_a_failover(group: Group, tmp_path: Path) -> None:
    """`run --once` finds the primary through the Sentinel; after a failover the next run writes to the new
    primary (the old one is a read-only replica now), and the replicated inbox memory means only the new file is
    read: nothing lost, nothing doubled."""
    inbox = tmp_path / "inbox"
    shutil.copytree(REPO / "examples" / "inbox", inbox)
    config = tmp_path / "wirewatch.yml"
    config.write_text(f"redis_url: {group.url}\nworkers: 1\ninbox:\n  - path: inbox\n    name: sentinel\n"
                      "http:\n  enabled: false\n")  # fmt: skip
    first = _wirewatch("run", "--once", "-c", str(config))
    assert first.returncode == 0, first.stderr[-3000:]
    assert "emitted │     6" in first.stdout, first.stdout
    assert redis.Redis(port=group.primary_port).xlen("ww:events") == 6

    group.sentinel().execute_command("SENTINEL", "FAILOVER", SERVICE)
    _wait(lambda: group.primary_port_now() == group.replica_port, "the Sentinel to promote the replica")
    _wait(lambda: redis.Redis(port=group.replica_port).info("replication")["role"] == "master", "the promotion")
    (inbox / "late.md").write_text("# Ferry service resumes after the storm\n\nPublished at: **2024-11-02 09:00**\n\n"
                                   "The island ferry sailed again on Saturday morning after three days in port, "
                                   "the operator said, with extra crossings through the weekend.\n")  # fmt: skip
    second = _wirewatch("run", "--once", "-c", str(config))
    assert second.returncode == 0, second.stderr[-3000:]
    assert "emitted │     1" in second.stdout and "duplicate" not in second.stdout, second.stdout
    events = _wirewatch("events", "--json", "--limit", "0", "-c", str(config))
    assert events.returncode == 0, events.stderr[-3000:]
    titles = [json.loads(line)["title"] for line in events.stdout.splitlines()]
    assert len(titles) == 7 == len(set(titles)) and titles[-1] == "Ferry service resumes after the storm"
    assert redis.Redis(port=group.replica_port).xlen("ww:events") == 7

    # The HTTP API on the same URL: its reads and its event stream (the asyncio client) find the new primary.
    with serving(http_settings(group.url, tmp_path), group.url) as base:
        listed = httpx.get(f"{base}/v1/events", params={"limit": 10}, timeout=10).json()["items"]
        assert len(listed) == 7
        accepted = httpx.post(f"{base}/v1/articles", headers=WRITE, timeout=10,
                              json={"url": "https://news.example/ferry-2", "title": "Second ferry joins the route",
                                    "content": "A second ferry joined the island route on Sunday."})  # fmt: skip
        assert accepted.status_code == 202 and accepted.json()["accepted"], accepted.text
        event = {**json.loads(events.stdout.splitlines()[-1]), "title": "Streamed through the new primary"}
        writer = connect(group.url)
        [frame] = collect(base, "/v1/stream/events", 1,
                          after_open=lambda: writer.xadd("ww:events", {"event": json.dumps(event)}))  # fmt: skip
    assert frame.data["title"] == "Streamed through the new primary"
    assert redis.Redis(port=group.replica_port).llen("ingest") == 1  # the submission, queued on the new primary


def _article(title: str, body: str) -> str:
    return f"# {title}\n\nPublished at: **2024-11-02 09:00**\n\n{body}\n"


@pytest.mark.parametrize("how", ["crash", "planned"])
def test_a_running_service_follows_a_failover(group: Group, tmp_path: Path, how: str) -> None:
    """`wirewatch run` keeps working across a failover: files dropped before it, during it and after it each
    make one event, and the service does not exit. "crash": the primary is killed and the Sentinel promotes the
    replica; the files of the gap wait for a primary. "planned": the documented switch (docs/scaling.md): writes
    paused on the primary, then `SENTINEL FAILOVER`, so nothing is written to a primary about to be demoted."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    config = tmp_path / "wirewatch.yml"
    config.write_text(f"redis_url: {group.url}\nworkers: 1\ninbox:\n  - path: inbox\n    name: sentinel\n"
                      "http:\n  enabled: false\n")  # fmt: skip
    env = {**os.environ, "WIREWATCH_LOG_LEVEL": "info", "WIREWATCH_LOG_FORMAT": "json"}
    env.pop("WIREWATCH_REDIS_URL", None)
    log = (tmp_path / "run.log").open("w")
    service = subprocess.Popen([sys.executable, "-m", "wirewatch", "run", "-c", str(config)], cwd=REPO, env=env,
                               stdout=subprocess.DEVNULL, stderr=log)  # fmt: skip
    before = redis.Redis(port=group.primary_port)
    after = redis.Redis(port=group.replica_port)

    def drop(kind: str) -> None:
        for i in range(3):
            title, body = f"Harbour crane {kind} number {i} installed", f"Crane {i} of {kind} was lifted into place."
            (inbox / f"{kind}-{i}.md").write_text(_article(title, body))

    try:
        drop("before")
        _wait(lambda: before.xlen("ww:events") == 3, "three events on the first primary", timeout=60)
        if how == "crash":
            group.processes[0].kill()
            drop("during")
        else:
            before.execute_command("CLIENT", "PAUSE", "20000", "WRITE")
            group.sentinel().execute_command("SENTINEL", "FAILOVER", SERVICE)
            drop("during")
        _wait(lambda: group.primary_port_now() == group.replica_port, "the Sentinel to promote the replica")
        drop("after")
        _wait(lambda: after.xlen("ww:events") >= 9, "nine events on the new primary", timeout=120)
        assert service.poll() is None, "the service exited on the failover"
    finally:
        service.terminate()
        service.wait(timeout=60)
        log.close()
    titles = [json.loads(fields[b"event"])["title"] for _, fields in after.xrange("ww:events")]
    assert len(titles) == len(set(titles)) == 9, titles


def test_no_sentinel_answering_is_one_short_line(tmp_path: Path) -> None:
    """redis-py's error lists every Sentinel's connection error (kilobytes); the user gets one short reason, the
    password hidden."""
    url = f"redis+sentinel://:s3cret@127.0.0.1:{free_port()},127.0.0.1:{free_port()}/{SERVICE}"
    config = tmp_path / "wirewatch.yml"
    config.write_text(f"redis_url: {url}\n")
    stats = _wirewatch("stats", "-c", str(config))
    assert stats.returncode == 1 and "s3cret" not in stats.stderr
    [line] = stats.stderr.strip().splitlines()
    assert "no Sentinel named a reachable primary" in line and len(line) < 300, line
