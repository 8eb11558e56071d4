"""The command line end to end, as a user runs it: run --once twice, events, run watching the inbox."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import stream_events
from wirewatch.redis_server import connect

REPO = Path(__file__).resolve().parent.parent


def _wirewatch(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wirewatch", *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})  # fmt: skip


def _redis_servers_under(folder: Path) -> list[str]:
    out = subprocess.run(["pgrep", "-af", "redis-server"], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if str(folder) in line]


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """A copy of the bundled examples with its own data folder."""
    target = tmp_path / "examples"
    shutil.copytree(REPO / "examples", target)
    config = target / "wirewatch.yml"
    config.write_text(config.read_text().replace("data_dir: ../.wirewatch", "data_dir: data"))
    return config


def test_run_once_twice_then_events(example: Path) -> None:
    """The first run emits every example article, the second emits nothing new; events prints JSON lines."""
    inbox = example.parent / "inbox"
    expected = sum(len(p.read_text().splitlines()) if p.suffix == ".jsonl" else 1 for p in inbox.iterdir())
    first = _wirewatch("run", "--once", "-c", str(example))
    assert first.returncode == 0, first.stderr[-2000:]
    assert "emitted" in first.stdout and "new events" in first.stdout
    second = _wirewatch("run", "--once", "-c", str(example))
    assert second.returncode == 0, second.stderr[-2000:]
    assert "emitted" not in second.stdout and "duplicate" in second.stdout
    listed = _wirewatch("events", "--json", "--limit", "0", "-c", str(example))
    assert listed.returncode == 0, listed.stderr[-2000:]
    events = [json.loads(line) for line in listed.stdout.splitlines()]
    assert len(events) == expected
    assert [e["ingested_at"] for e in events] == sorted(e["ingested_at"] for e in events)
    assert any(e["title"].startswith("China's jailing") for e in events)
    table = _wirewatch("events", "-c", str(example))
    assert table.returncode == 0 and "China's jailing" in table.stdout
    assert _redis_servers_under(example.parent) == []


def test_logs_are_json_lines_with_context(example: Path) -> None:
    """Off a terminal every log line is JSON; outcome lines carry article id, source, task id and outcome."""
    run = _wirewatch("run", "--once", "-c", str(example))
    lines = [json.loads(line) for line in run.stderr.splitlines() if line.startswith("{")]
    assert lines, run.stderr[-2000:]
    emitted = [line for line in lines if line.get("event") == "article_emitted"]
    assert emitted and all({"article_id", "source", "task_id", "outcome", "delivery_id"} <= e.keys() for e in emitted)


def test_external_redis_url(example: Path, redis_url: str) -> None:
    """WIREWATCH_REDIS_URL points run and events at an external Redis; no embedded server starts."""
    env = {"WIREWATCH_REDIS_URL": redis_url}
    run = _wirewatch("run", "--once", "-c", str(example), env=env)
    assert run.returncode == 0, run.stderr[-2000:]
    assert not (example.parent / "data" / "redis").exists()
    assert stream_events(connect(redis_url))


def test_run_watches_the_inbox(example: Path, seed_text: str) -> None:
    """`wirewatch run` picks up a file dropped into the inbox while it runs, and stops cleanly on SIGINT.

    `wirewatch events` runs over and over from the moment `run` is launched: each call that comes before `run`
    has its Redis up starts the embedded server and stops it again on exit, and `run` joins whichever server it
    finds, so the last one out must stop it, not the one that started it.
    """
    inbox = example.parent / "inbox"
    for path in inbox.iterdir():
        path.unlink()
    proc = subprocess.Popen([sys.executable, "-m", "wirewatch", "run", "-c", str(example)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        events: list[dict[str, object]] = []
        dropped = False
        while time.monotonic() < deadline and not events:
            out = _wirewatch("events", "--json", "-c", str(example))
            events = [json.loads(line) for line in out.stdout.splitlines()]
            if not dropped and time.monotonic() > deadline - 58:
                (inbox / "late.txt").write_text(seed_text, encoding="utf-8")
                dropped = True
            time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    seen = f"events exited {out.returncode}: {out.stderr[-1000:]}\nrun's log: {stderr[-4000:]}"
    assert len(events) == 1 and str(events[0]["title"]).startswith("China's jailing"), seen
    assert proc.returncode == 0, stderr[-2000:]
    assert "emitted" in stdout
    assert _redis_servers_under(example.parent) == []


def test_an_unreachable_redis_is_one_clear_error(example: Path) -> None:
    """`run` (and any command) against a configured Redis that does not answer exits 1 with the server named,
    its password redacted, and no traceback; no worker is started."""
    with socket.socket() as probe:  # a port with nothing listening on it
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {"WIREWATCH_REDIS_URL": f"redis://:hunter2@127.0.0.1:{port}/0"}
    for args in (("run", "--once"), ("events",), ("worker", "--pool", "solo")):  # worker: no endless retries
        done = _wirewatch(*args, "-c", str(example), env=env)
        assert done.returncode == 1, done.stderr[-2000:]
        assert f"cannot reach Redis at redis://:***@127.0.0.1:{port}/0" in done.stderr
        assert "Traceback" not in done.stderr and "hunter2" not in done.stderr
        assert "worker_started" not in done.stderr


def test_sigterm_ends_a_read_command_and_the_embedded_redis_it_started(example: Path) -> None:
    """`events --follow` stopped by SIGTERM (timeout, systemd, docker stop) cleans up as Ctrl-C does: it was
    the last user of the embedded Redis it started, so that Redis stops too (it was left running alone)."""
    socket_path = example.parent / "data" / "redis" / "redis.sock"
    proc = subprocess.Popen([sys.executable, "-m", "wirewatch", "events", "--follow", "-c", str(example)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not socket_path.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert socket_path.exists(), "the embedded Redis did not start"
        time.sleep(1)  # into the follow loop
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 128 + signal.SIGTERM and "Traceback" not in err
    assert "embedded_redis_stopped" in err and _redis_servers_under(example.parent) == []


def test_operator_mistakes_are_one_clear_line(example: Path, tmp_path: Path) -> None:
    """An environment override that is not JSON, a bad port, a bad feed URL, an empty subscription name, and
    removing a subscription the config file defines: each one line, exit 2, no traceback."""
    cases = [
        (("stats",), {"WIREWATCH_FEEDS": '[{"url":'}, "config error: error parsing value for field \"feeds\""),
        (("serve", "--port", "99999"), {}, "99999 is not in the range"),
        (("run", "--once", "--timeout", "0"), {}, "0.0 is not in the range x>0"),  # 0 used to mean no timeout
        (("feeds", "add", "ftp://example.com/feed"), {}, "a feed url must start with http:// or https://"),
        (("subscriptions", "add", "", "china"), {}, "name: String should have at least 1 character"),
        (("subscriptions", "remove", "fentanyl-china"), {}, "is defined in the config file"),
    ]
    for args, env, message in cases:
        done = _wirewatch(*args, "-c", str(example), env=env)
        assert done.returncode == 2, (args, done.stderr[-2000:])
        assert message in done.stderr and "Traceback" not in done.stderr and "pydantic.dev" not in done.stderr


def test_subcommands_take_the_group_options_and_their_own(example: Path) -> None:
    """`stories -c F show ID` and `dead retry -c F ID` read F (before: `show` ignored it and started an
    embedded Redis of its own in the working folder; `retry` refused -c). A config naming a Redis that does not
    answer proves which config was read."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    unreachable = example.parent / "unreachable.yml"
    unreachable.write_text(example.read_text().replace("redis_url: null", f"redis_url: redis://127.0.0.1:{port}/0"))
    for args in (("stories", "-c", str(unreachable), "--json", "show", "abc"),
                 ("dead", "retry", "-c", str(unreachable), "abc")):  # fmt: skip
        done = _wirewatch(*args)
        assert done.returncode == 1, (args, done.stderr[-2000:])
        assert f"cannot reach Redis at redis://127.0.0.1:{port}/0" in done.stderr
