"""The listing commands in a shell pipeline whose reader stops early (`| head -1`), as `cat` or `git log` behave."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from tests.api.test_read import make_alert
from tests.api.test_read import make_event as make_event_json
from tests.test_cli import _redis_servers_under, example  # noqa: F401 - the fixture is used by name
from wirewatch import constants as c
from wirewatch.redis_server import connect
from worker.stories import STORIES_INDEX, story_key, story_sources_key
from worker.subscriptions import put_subscription, validate

MANY = 1500  # each listing prints well past a pipe's buffer (64 KiB), so head is gone before the writer is done
PIPED_DEATH = 128 + signal.SIGPIPE  # 141: what bash reports for `cat big | head -1` under pipefail


@pytest.fixture
def crowded(client: redis.Redis, redis_url: str, tmp_path: Path) -> dict[str, str]:
    """A Redis with many events, alerts, stories, dead letters, feeds and subscriptions; the environment that
    points the command line at it."""
    from producers.schedule import FeedSchedule

    pipe = client.pipeline(transaction=False)
    now_ms = int(time.time() * 1000)
    for n in range(MANY):
        event, alert = make_event_json(n), make_alert(n)
        pipe.xadd(c.EVENTS_STREAM, {"id": event["id"], "event": json.dumps(event)})
        pipe.xadd(c.ALERTS_STREAM, {"id": alert["id"], "event": json.dumps(alert)})
        pipe.xadd(c.DEAD_STREAM, {"delivery_id": f"d{n}", "reason": "max_attempts", "source": "tests",
                                  "at": str(now_ms)})  # fmt: skip
        story = f"s{n:015d}"
        pipe.hset(story_key(story), mapping={"title": f"Story {n}", "first_article_id": story, "article_count": 1,
                                             "source_count": 1, "first_seen": now_ms, "last_seen": now_ms + n})  # fmt: skip
        pipe.zadd(story_sources_key(story), {"tests": now_ms})
        pipe.zadd(STORIES_INDEX, {story: now_ms + n})
    pipe.execute()
    schedule = FeedSchedule(client)
    for n in range(MANY):
        schedule.add(f"https://feeds{n}.example.org/rss.xml", name=f"Feed {n}")
        put_subscription(client, validate(f"topic-{n}", f"harbour AND bridge{n}"))
    return {**os.environ, "WIREWATCH_REDIS_URL": redis_url, "WIREWATCH_CONFIG": "",
            "WIREWATCH_DATA_DIR": str(tmp_path / "data")}  # fmt: skip


LISTINGS = [
    ["events", "--limit", "0"],
    ["alerts", "--limit", "0"],
    ["stories", "--limit", "0"],
    ["dead", "--limit", "0"],
    ["feeds", "list"],
    ["subscriptions", "list"],
]


def _piped(args: list[str], env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """`wirewatch ARGS | head -1` run by bash with pipefail: the pipeline's status is wirewatch's, unless it is 0.
    On a timeout the whole pipeline is killed (bash's children included), then the test fails."""
    command = shlex.join([sys.executable, "-m", "wirewatch", *args])
    with subprocess.Popen(["bash", "-c", f"set -o pipefail; {command} | head -1"], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, env=env, start_new_session=True) as shell:  # fmt: skip
        try:
            out, err = shell.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(shell.pid, signal.SIGKILL)
            shell.communicate()
            pytest.fail(f"`wirewatch {shlex.join(args)} | head -1` still running after {timeout:.0f}s")
    return subprocess.CompletedProcess(shell.args, shell.returncode, out, err)


@pytest.mark.parametrize("unbuffered", [False, True], ids=["buffered", "PYTHONUNBUFFERED"])
@pytest.mark.parametrize("as_json", [False, True], ids=["table", "json"])
def test_a_reader_that_stops_early_ends_the_command_as_sigpipe_would(crowded: dict[str, str], as_json: bool,
                                                                     unbuffered: bool) -> None:  # fmt: skip
    """Each listing piped into `head -1` stops quietly as `cat` does, killed by SIGPIPE (141 under pipefail):
    nothing on stderr, no traceback. It exited 1, the status of a real error such as Redis unreachable; and with
    PYTHONUNBUFFERED (set in the Docker image) a table cut short by the reader's exit was dropped unseen, exit 0."""
    env = {k: v for k, v in crowded.items() if k != "PYTHONUNBUFFERED"}
    if unbuffered:
        env["PYTHONUNBUFFERED"] = "1"
    for args in LISTINGS:
        done = _piped([*args, "--json"] if as_json else args, env)
        assert done.stderr == "", (args, done.stderr[-2000:])
        assert done.returncode == PIPED_DEATH, (args, done.returncode)
        assert len(done.stdout.splitlines()) == 1, (args, done.stdout)


def test_a_command_that_prints_everything_keeps_exit_0(crowded: dict[str, str]) -> None:
    """A reader that reads it all (`| tail -1`) leaves the exit status 0."""
    command = shlex.join([sys.executable, "-m", "wirewatch", "events", "--limit", "0", "--json"])
    done = subprocess.run(["bash", "-c", f"set -o pipefail; {command} | tail -1"], capture_output=True, text=True,
                          timeout=120, env=crowded)  # fmt: skip
    assert done.returncode == 0 and done.stderr == "", done.stderr[-2000:]
    assert json.loads(done.stdout)["title"] == f"Event {MANY - 1}"


@pytest.mark.parametrize("command", [["events"], ["alerts"]])
def test_follow_ends_once_its_reader_is_gone(client: redis.Redis, redis_url: str, tmp_path: Path,
                                             command: list[str]) -> None:  # fmt: skip
    """`events --follow | head -1` ends within seconds of head's exit, as `tail -f | head -1` does, even when
    nothing new arrives to fail a write (it waited for the next entry, forever on a quiet stream)."""
    event, alert = make_event_json(1), make_alert(1)
    client.xadd(c.EVENTS_STREAM, {"id": event["id"], "event": json.dumps(event)})
    client.xadd(c.ALERTS_STREAM, {"id": alert["id"], "event": json.dumps(alert)})
    env = {**os.environ, "WIREWATCH_REDIS_URL": redis_url, "WIREWATCH_CONFIG": "",
           "WIREWATCH_DATA_DIR": str(tmp_path / "data")}  # fmt: skip
    for as_json in ([], ["--json"]):
        begun = time.monotonic()
        done = _piped([*command, "--follow", *as_json], env, timeout=20)
        assert done.stderr == "" and done.returncode == PIPED_DEATH, (as_json, done.returncode, done.stderr[-2000:])
        assert time.monotonic() - begun < 15 and len(done.stdout.splitlines()) == 1, done.stdout


def test_the_embedded_redis_a_piped_command_started_is_stopped(example: Path) -> None:  # noqa: F811 - fixture
    """`events --follow | head -1` on the embedded Redis: once head has its line the command ends as SIGPIPE
    would, and only after stopping the Redis it started (killed at once, it would have left that Redis alone)."""
    socket_path = example.parent / "data" / "redis" / "redis.sock"
    command = shlex.join([sys.executable, "-m", "wirewatch", "events", "--follow", "--json", "-c", str(example)])
    with subprocess.Popen(["bash", "-c", f"set -o pipefail; {command} | head -1"], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, start_new_session=True,
                          env={**os.environ, "WIREWATCH_LOG_LEVEL": "debug"}) as shell:  # the stop is logged
        try:
            deadline = time.monotonic() + 60
            while not socket_path.exists():
                assert time.monotonic() < deadline and shell.poll() is None, "the embedded Redis did not start"
                time.sleep(0.1)
            writer = connect(f"unix://{socket_path}")
            while not [conn for conn in writer.client_list() if conn.get("cmd") == "xread"]:  # the follower waits
                assert time.monotonic() < deadline and shell.poll() is None, "the follower did not start"
                time.sleep(0.05)
            event = make_event_json(1)
            writer.xadd(c.EVENTS_STREAM, {"id": event["id"], "event": json.dumps(event)})
            writer.close()
            out, err = shell.communicate(timeout=30)
        finally:
            if shell.poll() is None:
                os.killpg(shell.pid, signal.SIGKILL)
    assert shell.returncode == PIPED_DEATH and json.loads(out)["title"] == "Event 1", (shell.returncode, err[-2000:])
    assert "Traceback" not in err and "embedded_redis_stopped" in err, err[-2000:]
    assert _redis_servers_under(example.parent) == []


def test_ctrl_c_ends_a_listing_as_sigint_would(crowded: dict[str, str]) -> None:
    """Ctrl-C in the middle of a listing ends it killed by SIGINT (130 in the shell, which then stops a script's
    loop too), quietly: it printed "Aborted!" and exited 1, the status of a real error."""

    def sigint_as_default() -> None:  # a test run from a background job would have it ignored
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    with subprocess.Popen([sys.executable, "-m", "wirewatch", "events", "--json", "--limit", "0"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=crowded,
                          preexec_fn=sigint_as_default) as proc:  # fmt: skip
        assert proc.stdout is not None
        proc.stdout.read(1)  # it is printing; unread, the pipe fills and its next write waits
        time.sleep(1)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGINT and err == b"", (proc.returncode, err[-2000:])
