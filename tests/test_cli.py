"""The command line end to end, as a user runs it: run --once twice, events, run watching the inbox."""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from click.testing import CliRunner

from tests.api.test_read import make_event as make_event_json
from tests.helpers import make_raw_article, stream_events, wait_for_status
from tests.worker.test_match import make_event
from wirewatch import constants as c
from wirewatch.cli import READ_CHUNK, main
from wirewatch.redis_server import connect, spawn_redis
from worker.alerts import raise_alerts
from worker.subscriptions import SubscriptionIndex, put_subscription, validate

REPO = Path(__file__).resolve().parent.parent


def _wirewatch(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wirewatch", *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})  # fmt: skip


def _redis_servers_under(folder: Path) -> list[str]:
    out = subprocess.run(["pgrep", "-af", "redis-server"], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if str(folder) in line]


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """A copy of the bundled examples with its own data folder; as checked out (a `run` of the examples in the
    checkout leaves its hidden inbox lock there, which the tests counted as an inbox file)."""
    target = tmp_path / "examples"
    shutil.copytree(REPO / "examples", target, ignore=shutil.ignore_patterns(".*"))
    config = target / "wirewatch.yml"
    config.write_text(config.read_text().replace("data_dir: ../.wirewatch", "data_dir: data"))
    return config


def test_run_once_twice_then_events(example: Path) -> None:
    """The first run emits every example article, the second emits nothing new; events prints JSON lines."""
    inbox = example.parent / "inbox"
    files = [p for p in inbox.iterdir() if not p.name.startswith(".")]  # hidden names are never read (a lock)
    expected = sum(len(p.read_text().splitlines()) if p.suffix == ".jsonl" else 1 for p in files)
    first = _wirewatch("run", "--once", "-c", str(example))
    assert first.returncode == 0, first.stderr[-2000:]
    assert "emitted" in first.stdout and "new events" in first.stdout
    [heading] = [line for line in first.stdout.splitlines() if line.startswith("wirewatch run — ")]
    assert heading.endswith("s") and f"{expected} deliveries in " in heading  # one line, not wrapped to the table
    second = _wirewatch("run", "--once", "-c", str(example))
    assert second.returncode == 0, second.stderr[-2000:]
    # The files were read before (remembered in Redis): not read again, so nothing is emitted or counted twice.
    assert "emitted" not in second.stdout and f"nothing new: {len(files)} inbox file" in second.stdout
    listed = _wirewatch("events", "--json", "--limit", "0", "-c", str(example))
    assert listed.returncode == 0, listed.stderr[-2000:]
    events = [json.loads(line) for line in listed.stdout.splitlines()]
    assert len(events) == expected
    assert [e["ingested_at"] for e in events] == sorted(e["ingested_at"] for e in events)
    assert any(e["title"].startswith("China's jailing") for e in events)
    table = _wirewatch("events", "-c", str(example))
    assert table.returncode == 0 and "China's jailing" in table.stdout
    # stats: the figures of /v1/stats, the example's subscription's one alert included
    stats = json.loads(_wirewatch("stats", "--json", "-c", str(example)).stdout)
    assert stats == {"outcomes": {"emitted": expected}, "pending": 0, "queue_depth": 0,
                     "events": expected, "alerts": 1, "dead": 0}  # fmt: skip
    shown = _wirewatch("stats", "-c", str(example)).stdout
    assert "alerts in stream" in shown and "dead letters" in shown and "queued messages" in shown
    assert _redis_servers_under(example.parent) == []


def test_run_once_on_a_missing_inbox_folder_says_so(example: Path) -> None:
    """An inbox folder that is not there is read as empty: `run --once` said "nothing new: 0 inbox file(s) were
    read before", as if the folder had been read; the folder's absence was a warning on stderr only."""
    shutil.rmtree(example.parent / "inbox")
    done = _wirewatch("run", "--once", "-c", str(example))
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"inbox folder {example.parent / 'inbox'} is not there" in done.stdout, done.stdout
    assert "were read before" not in done.stdout, done.stdout


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


def test_run_counts_what_its_http_receiver_accepted(example: Path) -> None:
    """An article posted to the HTTP receiver inside `run` is in the run's summary like a file it read (the
    summary said "0 deliveries" beside the event it had made)."""
    for path in (example.parent / "inbox").iterdir():
        path.unlink()
    token = "run-summary-token-0123456789"
    env = {**os.environ, "WIREWATCH_HTTP__PORT": "0",
           "WIREWATCH_HTTP__TOKENS": json.dumps([{"name": "t", "token": token, "scope": "write"}])}  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-m", "wirewatch", "run", "-c", str(example)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert proc.stdout is not None
        base = ""
        while not base:
            line = proc.stdout.readline()
            assert line, "run exited before serving"
            if line.startswith("HTTP API and dashboard on "):
                base = line.split(" on ", 1)[1].strip().rstrip("/")
        posted = httpx.post(f"{base}/v1/articles", headers={"Authorization": f"Bearer {token}"}, timeout=10,
                            json=[{"url": "https://news.example/ferry", "title": "Ferry sails again",
                                   "content": "The island ferry sailed again on Saturday after the storm."},
                                  {"url": "https://news.example/empty", "title": "Only a title"}])  # fmt: skip
        assert posted.status_code == 202, posted.text
        status = posted.json()["accepted"][0]["status_url"]
        deadline = time.monotonic() + 60
        while httpx.get(status, timeout=10).json().get("state") != "emitted" and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr[-2000:]
    assert "wirewatch run — 2 deliveries" in stdout and "Ferry sails again" in stdout, stdout


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
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "WIREWATCH_LOG_LEVEL": "debug"})  # fmt: skip
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
        (("stats",), {"WIREWATCH_FEEDS": '[{"url":'}, 'config error: error parsing value for field "feeds"'),
        (("serve", "--port", "99999"), {}, "99999 is not in the range"),
        (("run", "--once", "--timeout", "0"), {}, "0.0 is not in the range x>0"),  # 0 used to mean no timeout
        (("feeds", "add", "ftp://example.com/feed"), {}, "a feed url must start with http:// or https://"),
        (("subscriptions", "add", "", "china"), {}, "name must not be blank"),
        (("subscriptions", "remove", "fentanyl-china"), {}, "is defined in the config file"),
    ]
    for args, env, message in cases:
        done = _wirewatch(*args, "-c", str(example), env=env)
        assert done.returncode == 2, (args, done.stderr[-2000:])
        assert message in done.stderr and "Traceback" not in done.stderr and "pydantic.dev" not in done.stderr


def test_a_command_that_fails_says_why_in_the_voice_of_its_other_errors(example: Path, tmp_path: Path) -> None:
    """A command that cannot do its work is one line ``wirewatch: <why>`` and exit 1, as a config error is
    ``wirewatch: config error: …``; some said click's ``Error: <why>`` instead. Usage errors keep click's form."""
    cases = [
        (("stories", "show", "no-such-story"), "wirewatch: no story 'no-such-story' (unknown or expired)"),
        (("feeds", "export", "-o", str(tmp_path / "missing" / "feeds.opml")),
         f"wirewatch: cannot write {tmp_path / 'missing' / 'feeds.opml'}: No such file or directory"),
        (("subscriptions", "remove", "no-such-name"), "wirewatch: no subscription 'no-such-name'"),
    ]  # fmt: skip
    for args, line in cases:
        done = _wirewatch("-c", str(example), *args)
        assert done.returncode == 1, (args, done.stderr[-2000:])
        assert done.stderr.splitlines() == [line], (args, done.stderr[-2000:])
    usage = _wirewatch("-c", str(example), "dead", "retry")
    assert usage.returncode == 2 and "Error: name delivery ids, or --all" in usage.stderr, usage.stderr[-2000:]


def test_a_read_command_on_the_embedded_redis_writes_only_its_answer(example: Path) -> None:
    """`stories` on the embedded Redis wrote two log lines about a server the reader never asked for (its start
    and its stop) before "no stories yet"; they are debug lines for a one-shot command. A service (`worker`,
    `serve`, `run`) still logs them at info."""
    done = _wirewatch("-c", str(example), "stories")
    assert done.returncode == 0 and done.stdout.strip() == "no stories yet", (done.stdout, done.stderr[-2000:])
    assert done.stderr == "", done.stderr[-2000:]
    assert _redis_servers_under(example.parent) == []
    loud = _wirewatch("-c", str(example), "stories", env={"WIREWATCH_LOG_LEVEL": "debug"})
    assert '"embedded_redis_started"' in loud.stderr and '"embedded_redis_stopped"' in loud.stderr, loud.stderr


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


# ------------------------------------------------------------------------------------------ reading results


@pytest.fixture
def cli(redis_url: str, tmp_path: Path) -> CliRunner:
    return CliRunner(env={"WIREWATCH_REDIS_URL": redis_url, "WIREWATCH_DATA_DIR": str(tmp_path),
                          "WIREWATCH_CONFIG": ""})  # fmt: skip


ODD_TITLES = [
    "Markets [/] fall as rates rise",  # rich read this as a closing tag: MarkupError, exit 1
    "Leaders [bold]meet[/bold] at :fire: summit",  # was shown as "Leaders meet at 🔥 summit"
    "ירושלים: talks resume, says العربية desk",
    "Launch 🚀 of the 𝔘nicode probe",
]


def test_tables_show_odd_titles_as_written(worker_app: Any, submit: Callable[..., list[str]],
                                           client: redis.Redis, cli: CliRunner) -> None:  # fmt: skip
    """Titles with brackets, emoji codes, right-to-left and non-BMP text go through events, stories and
    stories show as written (a `[/]` in a title made every table command fail with a rich MarkupError)."""
    body = "The council met on Monday and agreed the plan after a long debate about the harbour and its future."
    ids = submit(*(make_raw_article(title=t, content=f"{body} Item {i} of the day.", url=f"https://example.org/{i}")
                   for i, t in enumerate(ODD_TITLES)))  # fmt: skip
    assert {s["state"] for s in wait_for_status(client, ids).values()} == {"emitted"}
    for args in (["events"], ["stories"], ["alerts"]):
        shown = cli.invoke(main, args)
        assert shown.exit_code == 0, (args, shown.output)
    listed = cli.invoke(main, ["events"]).output
    stories = cli.invoke(main, ["stories"]).output
    for title in ODD_TITLES:
        assert title in listed and title in stories, title
    [odd] = [e for e in stream_events(client) if e["title"] == ODD_TITLES[0]]
    shown = cli.invoke(main, ["stories", "show", odd["story_id"]])
    assert shown.exit_code == 0 and shown.output.startswith(ODD_TITLES[0] + "\n"), shown.output


def test_tables_neutralise_terminal_controls(cli: CliRunner, client: redis.Redis) -> None:
    """A subscription name (anyone with a write token sets it over HTTP) holding ESC sequences or a bidi
    override reaches an analyst's terminal as U+FFFD, not as a screen clear, a window title or reversed columns."""
    name = "desk\x1b]0;owned\x07\x1b[2J\u202e"  # refused by `validate` now; stored before it was, still shown
    put_subscription(client, validate("desk", "alpha").model_copy(update={"name": name}))
    raise_alerts(client, SubscriptionIndex(client), [make_event(id="x1", story_id="x1", title="Alpha one",
                                                                text="alpha")], datetime.now(UTC))  # fmt: skip
    for args in (["alerts"], ["subscriptions", "list"]):
        shown = cli.invoke(main, args)
        assert shown.exit_code == 0, shown.output
        assert "desk\ufffd]0;owned\ufffd\ufffd[2J\ufffd" in shown.output, (args, shown.output)
        assert not any(ch in shown.output for ch in "\x1b\x07\u202e"), args
    as_json = cli.invoke(main, ["alerts", "--json"])
    assert json.loads(as_json.output)["subscription"]["name"] == name  # JSON keeps the value, escaped


def test_limit_is_a_count(cli: CliRunner, client: redis.Redis) -> None:
    """A negative --limit is a usage error (it printed everything, like 0); one past what Redis can count means
    all there is (it was a Redis error, exit 1)."""
    for n in range(3):
        event = make_event_json(n)
        client.xadd(c.EVENTS_STREAM, {"id": event["id"], "event": json.dumps(event)})
    for args in (["events"], ["alerts"], ["stories"], ["dead"], ["subscriptions", "test", "x"]):
        refused = cli.invoke(main, [*args, "--limit", "-1"])
        assert refused.exit_code == 2 and "-1 is not in the range x>=0" in refused.output, (args, refused.output)
    for args in (["events", "--json"], ["stories", "--json"], ["alerts", "--json"], ["dead", "--json"]):
        everything = cli.invoke(main, [*args, "--limit", str(2**64)])
        assert everything.exit_code == 0, (args, everything.output)
    everything = cli.invoke(main, ["events", "--json", "--limit", str(2**64)])
    assert [json.loads(line)["title"] for line in everything.output.splitlines()] == ["Event 0", "Event 1", "Event 2"]


@pytest.fixture
def redis_commands(redis_url: str) -> Iterator[list[list[str]]]:
    """Every command the Redis server receives while the test runs (MONITOR)."""
    seen: list[list[str]] = []
    done = "monitor-done-" + os.urandom(4).hex()
    watcher = connect(redis_url)

    def watch() -> None:
        with watcher.monitor() as monitor:
            for command in monitor.listen():
                if done in command["command"]:
                    return
                seen.append(command["command"].split())

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    time.sleep(0.2)
    yield seen
    watcher.echo(done)
    thread.join(timeout=10)


def test_a_long_stream_is_read_a_chunk_at_a_time(cli: CliRunner, client: redis.Redis,
                                                 redis_commands: list[list[str]]) -> None:  # fmt: skip
    """events --json --limit 0|N prints exactly the last N entries oldest first, none twice or skipped across
    chunk boundaries, and never asks Redis for more than READ_CHUNK entries at once (the whole stream, up to
    a million events, was read into memory before the first line was printed)."""
    total = 2 * READ_CHUNK + READ_CHUNK // 2
    pipe = client.pipeline(transaction=False)
    for n in range(total):
        event = make_event_json(n)
        pipe.xadd(c.EVENTS_STREAM, {"id": event["id"], "event": json.dumps(event)})
    pipe.execute()
    for limit in (0, 1, READ_CHUNK - 1, READ_CHUNK, READ_CHUNK + 1, 2 * READ_CHUNK, total, total + 1):
        printed = cli.invoke(main, ["events", "--json", "--limit", str(limit)])
        assert printed.exit_code == 0, printed.output
        titles = [json.loads(line)["title"] for line in printed.output.splitlines()]
        first = 0 if limit in (0, total + 1) else total - limit
        assert titles == [f"Event {n}" for n in range(first, total)], limit
    reads = [cmd for cmd in redis_commands if cmd[0].upper() in ("XRANGE", "XREVRANGE")]
    assert reads and all("COUNT" in cmd and int(cmd[cmd.index("COUNT") + 1]) <= READ_CHUNK for cmd in reads)


def _lines(proc: subprocess.Popen[str]) -> queue.Queue[str]:
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()
    return lines


def test_follow_outlives_a_redis_restart(tmp_path: Path) -> None:
    """events --follow, started on an empty stream, prints each new entry once, waits out a Redis restart
    and goes on after the last entry it printed (it died with a ConnectionError traceback)."""
    folder = tmp_path / "redis"
    folder.mkdir()
    server, url = spawn_redis(folder, aof=True)
    follower = subprocess.Popen([sys.executable, "-m", "wirewatch", "events", "--follow", "--json"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env={**os.environ, "WIREWATCH_REDIS_URL": url, "WIREWATCH_CONFIG": "",
                                     "WIREWATCH_DATA_DIR": str(tmp_path / "data")})  # fmt: skip
    lines = _lines(follower)
    try:
        writer = connect(url)
        deadline = time.monotonic() + 30
        while not [conn for conn in writer.client_list() if conn.get("cmd") == "xread"]:  # the follower is waiting
            assert time.monotonic() < deadline and follower.poll() is None, "the follower did not start"
            time.sleep(0.05)
        first = make_event_json(1)
        writer.xadd(c.EVENTS_STREAM, {"id": first["id"], "event": json.dumps(first)})
        assert json.loads(lines.get(timeout=10))["title"] == "Event 1"
        writer.close()
        server.terminate()
        server.wait(timeout=10)
        time.sleep(2)  # the follower finds Redis gone
        assert follower.poll() is None, follower.communicate(timeout=10)[1][-2000:]
        server, url = spawn_redis(folder, aof=True)
        writer = connect(url)
        second = make_event_json(2)
        writer.xadd(c.EVENTS_STREAM, {"id": second["id"], "event": json.dumps(second)})
        assert json.loads(lines.get(timeout=15))["title"] == "Event 2"
        time.sleep(1.5)
        assert lines.empty(), "an entry was printed twice"
        follower.send_signal(signal.SIGTERM)
        _, err = follower.communicate(timeout=30)
        assert follower.returncode == 128 + signal.SIGTERM and "Traceback" not in err, err[-2000:]
        assert "follow_redis_lost" in err and "follow_redis_back" in err
    finally:
        if follower.poll() is None:
            follower.kill()
        server.terminate()
        server.wait(timeout=10)


def test_run_once_summary_shows_odd_titles(example: Path) -> None:
    """run --once prints its summary when an article's title reads like rich markup: it processed everything,
    then failed at the table with a MarkupError and exit 1."""
    (example.parent / "inbox" / "odd.md").write_text(
        f"# {ODD_TITLES[0]}\n\nThe council met on Monday and agreed the plan after a long debate about the harbour.\n",
        encoding="utf-8",
    )
    run = _wirewatch("run", "--once", "-c", str(example))
    assert run.returncode == 0, run.stderr[-2000:]
    assert ODD_TITLES[0] in run.stdout


@pytest.mark.parametrize(
    "code",
    ["import wirewatch.cli_subscriptions", "import wirewatch.feeds_cli", "from wirewatch.cli import main"],
)
def test_command_modules_import_in_any_order(code: str) -> None:
    """Each command module imports on its own: `import wirewatch.feeds_cli` (or `cli_subscriptions`) first was an
    ImportError, cli.py registering their commands while they were still half-loaded."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=REPO)
    assert done.returncode == 0, done.stderr[-2000:]


def test_python_m_wirewatch_cli_has_every_command() -> None:
    """`python -m wirewatch.cli` is the same command as `wirewatch` (it was an ImportError, and before that it
    lacked `feeds`, registered after its `main()` call)."""
    done = subprocess.run([sys.executable, "-m", "wirewatch.cli", "--help"], capture_output=True, text=True,
                          timeout=60, cwd=REPO)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    for command in ("alerts", "dead", "events", "feeds", "run", "serve", "stories", "subscriptions", "worker"):
        assert f"  {command} " in done.stdout, (command, done.stdout)


def test_dead_table_shows_when_as_a_time(cli: CliRunner, client: redis.Redis) -> None:
    """The dead letters' table shows when each died as a UTC time, as the other tables do, not as the raw
    milliseconds of the stream entry; --json keeps the stored value."""
    at_ms = int(datetime(2026, 11, 30, 14, 7, 49, 705_000, tzinfo=UTC).timestamp() * 1000)
    client.xadd(c.DEAD_STREAM, {"delivery_id": "d1", "reason": "max_attempts: delivered 5 times without finishing",
                                "source": "partner", "at": str(at_ms)})  # fmt: skip
    shown = cli.invoke(main, ["dead"])
    assert shown.exit_code == 0, shown.output
    assert "2026-11-30T14:07:49.705Z" in shown.output and str(at_ms) not in shown.output, shown.output
    as_json = cli.invoke(main, ["dead", "--json"])
    assert json.loads(as_json.output)["at"] == str(at_ms)


@pytest.mark.parametrize(("url", "shown"), [
    ("redis://127.0.0.1:{port}/0?password=hunter2", "redis://127.0.0.1:{port}/0?password=***"),
    ("redis://127.0.0.1:{port}/0?socket_timeout=5&password=hunter2", "redis://127.0.0.1:{port}/0?socket_timeout=5&password=***"),
    ("redis://ops:hunter2@[::1]:{port}/0", "redis://ops:***@[::1]:{port}/0"),
])  # fmt: skip
def test_a_password_anywhere_in_the_redis_url_is_never_printed(cli: CliRunner, url: str, shown: str) -> None:
    """redis-py takes the password from the query too (`?password=`), which was printed as written in `cannot
    reach Redis at …`; an IPv6 host lost its brackets when the user part was redacted."""
    with socket.socket() as probe:  # a port with nothing listening on it
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    done = cli.invoke(main, ["events"], env={"WIREWATCH_REDIS_URL": url.format(port=port)})
    assert done.exit_code == 1, done.output
    assert f"cannot reach Redis at {shown.format(port=port)}:" in done.output and "hunter2" not in done.output


def test_json_lines_split_on_newlines_only(cli: CliRunner, client: redis.Redis) -> None:
    """A title holding U+2028, U+2029 or NEL (U+0085), which JSON leaves unescaped, was cut in two by any reader
    splitting lines the Unicode way (Python's str.splitlines); each event is one line of valid JSON however read."""
    title = "Breaking\u2028news\u2029from\x85the\ndesk\r\x1b[2J\x00 end"
    for n in range(2):
        event = make_event_json(n)
        event["title"] = f"{title} {n}"
        client.xadd(c.EVENTS_STREAM, {"id": event["id"], "event": json.dumps(event)})
    done = cli.invoke(main, ["events", "--json"])
    assert done.exit_code == 0, done.output
    assert [json.loads(line)["title"] for line in done.output.splitlines()] == [f"{title} 0", f"{title} 1"]
