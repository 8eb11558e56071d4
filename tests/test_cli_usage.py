"""What a new user meets first: each mistake named with the option it concerns, services that stop cleanly."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from click.testing import CliRunner

from wirewatch.cli import main

REFUSED = "redis://127.0.0.1:1/0"  # nothing listens there: a command that got past its options fails at once


@pytest.fixture
def refused(tmp_path: Path) -> CliRunner:
    return CliRunner(env={"WIREWATCH_REDIS_URL": REFUSED, "WIREWATCH_CONFIG": "", "WIREWATCH_DATA_DIR": str(tmp_path)})


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["worker", "-Q", "ingest,nope"], "'nope'"),  # a worker on a queue nobody sends to waited for ever
        (["worker", "-Q", ""], "-Q"),
        (["worker", "--concurrency", "-2"], "--concurrency"),
        (["run", "--once", "--timeout", "nan"], "--timeout"),  # nan > 0 is false, so is nan <= 0: it passed
        (["feeds", "add", "https://example.org/rss.xml", "--interval", "soon"], "'--interval'"),
    ],
)
def test_a_bad_option_is_a_usage_error_naming_it(refused: CliRunner, args: list[str], named: str) -> None:
    """A bad option value is refused before anything starts, exit 2, naming the option (or the bad value)."""
    done = refused.invoke(main, args)
    assert done.exit_code == 2, done.output
    assert named in done.output and "Traceback" not in done.output, done.output


def test_stats_has_no_padded_heading_and_its_help_reads_plainly(redis_url: str, tmp_path: Path) -> None:
    """`stats` prints its heading alone on its line (it was the table's title, padded with spaces to the table's
    width), and `--help` shows no reStructuredText quotes (``/v1/stats``)."""
    cli = CliRunner(env={"WIREWATCH_REDIS_URL": redis_url, "WIREWATCH_CONFIG": "", "WIREWATCH_DATA_DIR": str(tmp_path)})
    done = cli.invoke(main, ["stats"])
    assert done.exit_code == 0, done.output
    lines = done.output.splitlines()
    assert lines[0] == "wirewatch stats" and all(line == line.rstrip() for line in lines[:1]), lines
    helped = cli.invoke(main, ["stats", "--help"])
    assert "``" not in helped.output and "/v1/stats" in helped.output, helped.output


def test_ctrl_c_stops_a_worker_cleanly_with_0(redis_url: str, tmp_path: Path) -> None:
    """Ctrl-C stops `wirewatch worker` as it stops `run` and `scheduler`: a warm shutdown, exit 0 (Celery's own
    status for it was 1, the status of an error)."""
    env = {**os.environ, "WIREWATCH_REDIS_URL": redis_url, "WIREWATCH_CONFIG": "", "WIREWATCH_DATA_DIR": str(tmp_path)}

    def sigint_as_default() -> None:  # a test run from a background job would have it ignored
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    with subprocess.Popen([sys.executable, "-m", "wirewatch", "worker", "--pool", "solo", "-Q", "feeds"], env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          preexec_fn=sigint_as_default) as proc:  # fmt: skip
        assert proc.stderr is not None
        seen, deadline = "", time.monotonic() + 60
        with selectors.DefaultSelector() as selector:
            selector.register(proc.stderr, selectors.EVENT_READ)
            while " ready." not in seen and time.monotonic() < deadline and proc.poll() is None:
                if selector.select(timeout=1):
                    seen += proc.stderr.readline()
        assert " ready." in seen, seen[-2000:]
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, (proc.returncode, (seen + err)[-2000:])
    assert "Traceback" not in seen + err
    assert redis.Redis.from_url(redis_url).ping()


def test_feeds_export_to_a_folder_that_is_not_there_is_one_line(redis_url: str, tmp_path: Path) -> None:
    """`feeds export -o` into a folder that does not exist says so in one line, exit 1 (it was a traceback)."""
    cli = CliRunner(env={"WIREWATCH_REDIS_URL": redis_url, "WIREWATCH_CONFIG": "", "WIREWATCH_DATA_DIR": str(tmp_path)})
    target = tmp_path / "missing" / "feeds.opml"
    done = cli.invoke(main, ["feeds", "export", "-o", str(target)])
    assert done.exit_code == 1 and isinstance(done.exception, SystemExit), repr(done.exception)  # not an OSError
    assert done.output.strip() == f"wirewatch: cannot write {target}: No such file or directory", done.output
