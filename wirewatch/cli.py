"""The ``wirewatch`` command line.

Every command takes ``-c FILE`` (or ``WIREWATCH_CONFIG``); every config key can be overridden by a
``WIREWATCH_*`` environment variable. A bad config is one line on stderr naming the key, and exit code 2.
"""

# ruff: noqa: E402 - SIGINT is set to end the process before the heavy imports begin (see below)
from __future__ import annotations

import os
import signal
import sys


def _run_as_the_command() -> bool:
    """Whether this process is the ``wirewatch`` command (its script, ``python -m wirewatch``), not a program that
    imports this module (pytest: a test run stopped with Ctrl-C must still tear its fixtures down)."""
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    if spec is not None:
        return spec.name in ("wirewatch.__main__", "wirewatch.cli")
    return bool(sys.argv) and os.path.basename(sys.argv[0]) == "wirewatch"


# Ctrl-C while the command is still loading (the imports below take a good part of a second) ends it as it ends a
# running command: killed by SIGINT, quietly. Python's own handler raised KeyboardInterrupt in the middle of an
# import, a traceback; during the parsing of the arguments click said "Aborted!" and exited 1. Until a command
# runs there is nothing to clean up, so the kernel's default action is all it takes; `_Commands.invoke` puts
# Python's handler back for the command (an embedded Redis it starts is stopped on the way out). A process that
# started with SIGINT ignored (a background job of a script) keeps it ignored.
_QUIET_START = _run_as_the_command() and signal.getsignal(signal.SIGINT) is signal.default_int_handler
if _QUIET_START:
    signal.signal(signal.SIGINT, signal.SIG_DFL)

import contextlib
import errno
import importlib
import io
import json
import math
import re
import select
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, NoReturn, TypeVar

import click
import redis
from rich.cells import cell_len
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from wirewatch import __version__
from wirewatch.logs import configure_logging, get_logger
from wirewatch.redis_server import (
    EmbeddedRedisError,
    RedisUnavailableError,
    check_reachable,
    connect,
    redis_service,
)
from wirewatch.settings import ConfigError, Settings, load_settings

log = get_logger("wirewatch.cli")
F = TypeVar("F", bound=Callable[..., Any])

config_option = click.option(
    "-c", "--config", "config_file", type=click.Path(dir_okay=False), default=None, envvar="WIREWATCH_CONFIG",
    help="YAML config file (default: $WIREWATCH_CONFIG).",
)  # fmt: skip


class _Console(Console):
    """Rich's console, with a reader that stops early left to ``main`` (rich's own answer is exit 1)."""

    def on_broken_pipe(self) -> None:
        raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))


def _console() -> Console:
    """Rich output; off a terminal it is not squeezed into 80 columns."""
    console = _Console()
    if not console.is_terminal:
        console = _Console(width=160)
    return console


def reader_gone() -> bool:
    """Whether stdout is a pipe (or socket) whose reader has closed it, as ``head`` does once it has its lines."""
    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), 0)  # POLLERR and POLLHUP are reported without being asked for
        return any(events & (select.POLLERR | select.POLLHUP) for _, events in poller.poll(0))
    except (OSError, ValueError, AttributeError):  # no file descriptor (a test's captured output), or closed
        return False


def _whole_writes() -> None:
    """A stdout that writes all it is given, or raises. Under PYTHONUNBUFFERED (or ``-u``; the Docker image sets
    it) stdout writes straight to its file, and a write the pipe takes only part of (its reader gone midway) is
    cut short without a word: ``stories | head -1`` exited 0. A buffer under it writes all or raises; line
    buffering keeps each line as prompt as unbuffered."""
    stdout = sys.stdout
    if isinstance(stdout, io.TextIOWrapper) and isinstance(stdout.buffer, io.RawIOBase):
        whole = io.BufferedWriter(io.FileIO(stdout.fileno(), "w", closefd=False))  # sys.__stdout__ keeps fd 1
        sys.stdout = io.TextIOWrapper(whole, encoding=stdout.encoding, errors=stdout.errors, line_buffering=True)


def _die_of(signum: signal.Signals) -> NoReturn:
    """End killed by ``signum``, as ``cat`` or ``git log`` end when their reader stops early (SIGPIPE: 141 under
    ``set -o pipefail``) or on Ctrl-C (SIGINT: 130, and a shell script's loop stops too), quietly, after every
    cleanup has run (the command's ``with`` blocks have unwound: an embedded Redis is stopped). Its default
    action is let through only now: SIGPIPE's left on all along (Python ignores it), a broken connection to Redis
    or a webhook would kill the process mid-write (the note on SIGPIPE in Python's ``signal`` docs). Dying of
    the signal, nothing is flushed again into a closed pipe."""
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)
    os._exit(128 + signum)  # not reached: the signal ends the process before kill returns


# Characters that act on a terminal instead of showing: C0 and C1 controls (ESC and CSI start escape
# sequences that can clear the screen or retitle the window) and the bidi embeddings, overrides and isolates,
# which reorder the rest of the line (the next columns) in a bidi-aware terminal. Right-to-left text itself
# is left alone.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _cell(value: object, style: str = "") -> Text:
    """A value shown exactly as written, on one line: never read as rich markup (a title with ``[/]`` raised
    MarkupError, ``[bold]`` and ``:fire:`` were rendered instead of shown), line breaks as spaces, and any
    terminal control as U+FFFD. Titles, names and sources come from outside (feeds, partners over HTTP)."""
    text = "" if value is None else str(value)
    return Text(_UNPRINTABLE.sub("\ufffd", " ".join(text.split())), style=style)


def _load(config_file: str | None) -> Settings:
    try:
        settings = load_settings(config_file)
    except ConfigError as e:
        click.echo(f"wirewatch: config error: {e}", err=True)
        sys.exit(2)
    from wirewatch.cli_subscriptions import config_query_error

    problem = config_query_error(settings) or _config_feed_error(settings)
    if problem:
        click.echo(f"wirewatch: config error: {problem}", err=True)
        sys.exit(2)
    configure_logging(settings.log_level, settings.log_format)
    return settings


def _config_feed_error(settings: Settings) -> str | None:
    """One line naming the first config feed that would never be fetched (`refused_feed_url`), or None."""
    if settings.allow_private_networks or not settings.feeds:
        return None
    from producers.feed_service import refused_feed_url

    for i, feed in enumerate(settings.feeds):
        why = refused_feed_url(feed.url, allow_private_networks=False)
        if why:
            return f"feeds.{i}.url: {why}"
    return None


@contextmanager
def _redis_and_url(settings: Settings, *, service: bool = False) -> Iterator[tuple[redis.Redis, str]]:
    """A checked connection to wirewatch's Redis (embedded: started for the block) and its URL. An embedded
    server's start and stop are logged at info for a ``service`` (a worker, the API), at debug for a one-shot
    command, whose output is its answer."""
    try:
        with redis_service(settings, announce=service) as url:
            client = connect(url)
            check_reachable(client, url)
            yield client, url
            client.close()
    except (EmbeddedRedisError, RedisUnavailableError) as e:
        raise click.ClickException(str(e)) from e


@contextmanager
def _redis(settings: Settings) -> Iterator[redis.Redis]:
    with _redis_and_url(settings) as (client, _):
        yield client


# Commands kept in modules of their own, which import their helpers from this one: loaded when named (or listed),
# so that either module may be imported first. Registered on import, a module imported first was half-loaded
# when this one asked it for its command (ImportError), and `python -m wirewatch.cli` failed the same way.
LAZY_COMMANDS = {
    "alerts": "wirewatch.cli_subscriptions:alerts",
    "feeds": "wirewatch.feeds_cli:feeds",
    "subscriptions": "wirewatch.cli_subscriptions:subscriptions",
}


class CommandFailed(click.ClickException):
    """A command that could not do its work: one line on stderr, ``wirewatch: <why>``, as its other errors are
    written (click's own ``Error: <why>`` said the same thing in another voice), and exit code 1."""

    def show(self, file: Any = None) -> None:
        click.echo(f"wirewatch: {self.format_message()}", file=file, err=file is None)


class _Commands(click.Group):
    """The ``wirewatch`` group: its own commands, and those of ``LAZY_COMMANDS`` loaded when first asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in LAZY_COMMANDS and cmd_name not in self.commands:
            module, attr = LAZY_COMMANDS[cmd_name].split(":")
            self.add_command(getattr(importlib.import_module(module), attr), cmd_name)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; a reader of stdout that stopped early ends it as SIGPIPE would, and Ctrl-C as SIGINT
        would (click exits 1 for both, the status of a real error)."""
        try:
            _interrupts_raise(True)  # from here a command may have something to clean up on Ctrl-C
            _whole_writes()
            result = super().invoke(ctx)
            sys.stdout.flush()  # what is still buffered fails here, not in the interpreter's last flush
            return result
        except BrokenPipeError:
            if not reader_gone():  # a socket's broken pipe, not stdout's: an error like any other
                raise
            _die_of(signal.SIGPIPE)
        except KeyboardInterrupt:  # click says "Aborted!" and exits 1, the status of an error; `--follow` and
            _die_of(signal.SIGINT)  # `run` end on Ctrl-C with 0 of their own accord
        except click.ClickException as e:
            if isinstance(e, (click.UsageError, CommandFailed)):  # a usage error keeps click's "Usage: … Error:"
                raise
            raise CommandFailed(e.format_message()) from e
        finally:
            _interrupts_raise(False)  # its cleanup done, what is left (click's exit, the interpreter's) is not


def _interrupts_raise(raising: bool) -> None:
    """In the ``wirewatch`` process, Ctrl-C raises KeyboardInterrupt (``raising``: the command's cleanup runs),
    or ends the process at once, as before a command starts (``_QUIET_START``)."""
    if _QUIET_START:
        signal.signal(signal.SIGINT, signal.default_int_handler if raising else signal.SIG_DFL)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="wirewatch")
@click.option("-c", "--config", "config_file", type=click.Path(dir_okay=False), default=None,
              help="YAML config file for the command (given before it: `wirewatch -c FILE events`).")  # fmt: skip
def main(config_file: str | None) -> None:
    """Watch news sources; emit one clean, enriched event per article; alert on topics."""
    if config_file is not None:
        # Where every command and subcommand reads its own `-c` from when it is not given: "No such option: -c"
        # was the answer to `wirewatch -c FILE events`, the order most tools take. A command's own `-c` wins.
        os.environ["WIREWATCH_CONFIG"] = config_file
    # SIGTERM (timeout, systemd, docker stop) ends any command the way Ctrl-C does, through its cleanup: the
    # embedded Redis a command started is stopped by the last user out, never left running on its own.
    # `run` and `scheduler` replace this with a clean stop of their own.
    signal.signal(signal.SIGTERM, _terminate)


def _terminate(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)


# --------------------------------------------------------------------------------------------------- run


def _summary(console: Console, runner: Any, elapsed: float, show: int = 10) -> None:
    """What a run did: its outcomes and newest events; or, with nothing new, how many inbox files it remembers."""
    from wirewatch import constants as c

    tally, client = runner.tally, runner.client
    remembered = sum(len(watcher.seen) for watcher, _ in runner.watchers)

    # The heading on a line of its own: as the table's title it wrapped to the table's width.
    console.print(f"wirewatch run — {tally.total} deliveries in {elapsed:.1f}s", highlight=False)
    missing = [watcher.folder for watcher, _ in runner.watchers if not watcher.folder.is_dir()]
    for folder in missing:
        console.print(f"inbox folder {folder} is not there: read as empty until it appears", highlight=False)
    if not tally.total and not tally.unsettled:
        if remembered or not missing:
            console.print(f"nothing new: {remembered} inbox file(s) were read before and have not changed "
                          "(a new or changed file is read)", highlight=False)  # fmt: skip
        return
    table = Table()
    table.add_column("outcome")
    table.add_column("count", justify="right")
    for outcome, count in sorted(tally.outcomes.items(), key=lambda kv: (-kv[1], kv[0])):
        table.add_row(outcome, str(count))
    if tally.unsettled:
        table.add_row("[red]not settled[/red]", str(len(tally.unsettled)))
    console.print(table)
    if tally.emitted:
        rows = []
        for article_id in list(tally.emitted)[:show]:
            raw = client.get(c.article_key(article_id))
            if not raw:
                continue
            e = json.loads(raw)
            row = (e["id"], e["title"], e["source"].get("name") or e["source"].get("domain"), e.get("language"),
                   e["word_count"], e.get("published_at"))  # fmt: skip
            rows.append(list(map(_cell, row)))
        if rows:
            columns = ["id", "title", "source", "lang", "words", "published"]
            console.print("new events")  # not the table's title, which rich pads to its width with spaces
            console.print(fitted_table(columns, rows, console.width, edge=True))
        if len(tally.emitted) > show:
            console.print(f"… and {len(tally.emitted) - show} more: wirewatch events")


def _wait_with_progress(runner: Any, timeout: float, console: Console) -> bool:
    from wirewatch.runner import wait_settled

    columns = (TextColumn("[bold]processing"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
               TextColumn("{task.fields[outcomes]}"), TimeElapsedColumn())  # fmt: skip
    with Progress(*columns, console=console) as bar:
        task = bar.add_task("run", total=runner.tally.total, outcomes="")

        def show(t: Any) -> None:
            text = " ".join(f"{k}={v}" for k, v in sorted(t.outcomes.items()))
            bar.update(task, completed=t.total - len(t.unsettled), outcomes=text)

        return wait_settled(runner, timeout, show)


def _a_number(_ctx: click.Context, _param: click.Parameter, value: float) -> float:
    """``value``, unless it is NaN, which passes every range check (``nan > 0`` and ``nan <= 0`` are both false)."""
    if math.isnan(value):
        raise click.BadParameter("nan is not a number")
    return value


@main.command()
@config_option
@click.option("--once", is_flag=True, help="Read every source once, wait until all is processed, print a summary.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=600.0, show_default=True,
              callback=_a_number,
              help="With --once: give up after this many seconds.")  # fmt: skip
def run(config_file: str | None, once: bool, timeout: float) -> None:
    """Run everything: Redis (embedded unless configured), worker, inbox watcher."""
    from kombu.exceptions import OperationalError

    from wirewatch.redis_server import cannot_persist
    from wirewatch.runner import AlreadyRunning, CannotPersist, WorkerFailed, persist_failure, started, wait_settled

    settings = _load(config_file)
    console = _console()
    tty = console.is_terminal
    begun = time.monotonic()
    try:
        with started(settings) as runner:
            _stop_on_signals(runner)
            if once:
                runner.adopt_pending()
                runner.read_inboxes(settle=False)
                runner.read_feeds()
                finished = _wait_with_progress(runner, timeout, console) if tty else wait_settled(runner, timeout)
                if not finished:
                    runner.stop_workers()
                    finished = not runner.tally.unsettled
                _summary(console, runner, time.monotonic() - begun)
                if not finished:
                    why = "stopped" if runner.stopping.is_set() else f"not settled in {timeout:.0f}s"
                    click.echo(f"wirewatch: {len(runner.tally.unsettled)} deliveries {why}", err=True)
                    sys.exit(1)
                return
            console.print(f"wirewatch {__version__}: watching {len(settings.inbox)} inbox folder(s) and "
                          f"{len(settings.feeds)} configured feed(s); Ctrl-C stops.")  # fmt: skip
            with (
                _http_for_run(settings, runner.redis_url, console, runner.tally.unsettled.update),
                contextlib.suppress(KeyboardInterrupt),
            ):
                runner.watch()
            runner.stop_workers()
            _summary(console, runner, time.monotonic() - begun)
    except (EmbeddedRedisError, RedisUnavailableError, WorkerFailed, AlreadyRunning, CannotPersist) as e:
        raise click.ClickException(str(e)) from e
    except (redis.ResponseError, OperationalError) as e:  # `--once` stops when Redis cannot write to disk
        if not cannot_persist(e):
            raise
        raise click.ClickException(persist_failure(settings, e)) from e


@contextmanager
def _http_for_run(settings: Settings, redis_url: str, console: Console,
                  on_submit: Callable[[list[str]], None]) -> Iterator[None]:  # fmt: skip
    """The HTTP app beside the watcher in ``run`` (unless ``http.enabled`` is false); what it accepts is counted
    in the run's summary (``on_submit``)."""
    if not settings.http.enabled:
        yield
        return
    from wirewatch.api.server import serving

    try:
        with serving(settings, redis_url, on_submit) as base:
            console.print(f"HTTP API and dashboard on {base}/")
            yield
    except OSError as e:
        raise click.ClickException(f"cannot listen on {settings.http.host}:{settings.http.port}: {e}") from e


@main.command()
@config_option
@click.option("--host", default=None, help="Address to listen on (default: http.host, 127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535), default=None,
              help="Port (default: http.port, 8787; 0 picks a free one).")  # fmt: skip
def serve(config_file: str | None, host: str | None, port: int | None) -> None:
    """Serve the HTTP API and dashboard: receiver, read API, live streams, /healthz, /readyz, /metrics."""
    from wirewatch.api.server import serve as serve_http

    settings = _load(config_file)
    update = {k: v for k, v in (("host", host), ("port", port)) if v is not None}
    if update:
        settings = settings.model_copy(update={"http": settings.http.model_copy(update=update)})
    with _redis_and_url(settings, service=True) as (_, url):
        try:
            serve_http(settings, url, on_listening=lambda served: click.echo(f"HTTP API and dashboard on {served}"))
        except OSError as e:
            raise click.ClickException(f"cannot listen on {settings.http.host}:{settings.http.port}: {e}") from e


@main.command()
@config_option
def scheduler(config_file: str | None) -> None:
    """Run the producers alone (inbox watcher, feed scheduler), for deployments where workers run elsewhere."""
    from wirewatch.runner import AlreadyRunning, CannotPersist, started

    settings = _load(config_file)
    try:
        with started(settings, with_worker=False) as runner:
            _stop_on_signals(runner)
            with contextlib.suppress(KeyboardInterrupt):
                runner.watch()
    except (EmbeddedRedisError, RedisUnavailableError, AlreadyRunning, CannotPersist) as e:
        raise click.ClickException(str(e)) from e


def _stop_on_signals(runner: Any) -> None:
    """SIGTERM (systemd, docker stop) and SIGHUP (the terminal closed, an ssh session dropped) stop a runner
    cleanly: its workers finish what they hold and the summary is printed. SIGHUP killed it at once."""
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda *_: runner.stop())


# ------------------------------------------------------------------------------------------------ worker


def _queue_names(_ctx: click.Context, _param: click.Parameter, value: str | None) -> list[str]:
    """The queues of ``-Q`` (all of them when not given), each one that wirewatch sends to: a worker on a queue
    named wrong waited for work that never came, without a word."""
    from wirewatch import constants as c

    if value is None:
        return list(c.ALL_QUEUES)
    names = list(dict.fromkeys(name.strip() for name in value.split(",") if name.strip()))
    unknown = [name for name in names if name not in c.ALL_QUEUES]
    if unknown or not names:
        what = f"unknown queue {', '.join(map(repr, unknown))}" if unknown else "no queue named"
        raise click.BadParameter(f"{what}: expected some of {', '.join(c.ALL_QUEUES)}")
    return names


@main.command()
@config_option
@click.option("--concurrency", type=click.IntRange(min=0), default=None,
              help="Processes or threads (default, or 0: settings.workers, else the cores it may use).")  # fmt: skip
@click.option("-Q", "--queues", default=None, callback=_queue_names,
              help="Comma-separated queues: ingest, feeds, webhooks (default: all three).")  # fmt: skip
@click.option("--pool", type=click.Choice(["prefork", "solo", "threads"]), default="prefork", show_default=True,
              help="Processes, threads (for feeds and webhooks: network waits), or one task at a time.")  # fmt: skip
@click.option("--exit-with", type=int, default=None, hidden=True,
              help="Stop when the process of this pid (the `run` that started it) is gone.")  # fmt: skip
def worker(config_file: str | None, concurrency: int | None, queues: list[str], pool: str,
           exit_with: int | None) -> None:  # fmt: skip
    """Run a Celery worker alone (scale out by running more of these against one Redis)."""
    import os

    from celery.utils.nodenames import host_format

    from wirewatch import constants as c
    from wirewatch.redis_server import cannot_persist
    from wirewatch.runner import usable_cores
    from worker.app import create_app, warm
    from worker.consumer import Consumer, report_cannot_persist

    settings = _load(config_file)
    if exit_with is not None:
        from wirewatch.runner import exit_with as exit_with_parent

        exit_with_parent(exit_with)
    # an unreachable Redis is one clear error, not endless retries
    with _redis_and_url(settings, service=True) as (client, url):
        try:
            client.ping()
        except redis.ResponseError as e:  # MISCONF: it answers but takes no writes; the consumer waits for it
            if not cannot_persist(e):
                raise
            report_cannot_persist(e, settings, url)
        app = create_app(settings, url)
        # Only a worker that processes articles builds a pipeline (feed and webhook tasks use none), and it
        # builds it before a task asks; prefork children start their own build as they start.
        app.conf.wirewatch_warm = c.INGEST_QUEUE in queues
        if app.conf.wirewatch_warm and pool != "prefork":
            warm(app)
        n = concurrency or settings.workers or usable_cores()
        node = app.Worker(
            concurrency=n, pool_cls=pool, queues=queues,
            loglevel=settings.log_level.upper(), hostname=host_format(f"wirewatch-{os.getpid()}@%h"),
            without_gossip=True, without_mingle=True, quiet=not sys.stdout.isatty(),
            consumer_cls=Consumer,  # Celery's, saying why when Redis refuses writes (MISCONF)
        )  # fmt: skip
        interrupted = _on_ctrl_c_shutdown()
        node.start()
    # Ctrl-C is a warm shutdown asked for, as `run` and `scheduler` take it: 0 (Celery exits 1, an error's status)
    sys.exit(0 if interrupted else node.exitcode or 0)


def _on_ctrl_c_shutdown() -> list[str]:
    """A list that gets an entry when Ctrl-C starts the worker's shutdown (true from then on)."""
    from celery.signals import worker_shutting_down

    interrupted: list[str] = []

    def note(sig: str = "", **_: Any) -> None:
        if sig == "SIGINT":
            interrupted.append(sig)

    worker_shutting_down.connect(note, weak=False)
    return interrupted


# ------------------------------------------------------------------------------------------------ events

READ_CHUNK = 1000  # stream entries per round trip: a whole stream (up to 1M events) is printed, never held
FOLLOW_BLOCK_MS = 1000  # one blocking XREAD of a follower, so Ctrl-C and SIGTERM are seen within a second
FOLLOW_RETRY_S = 1.0  # pause between reconnects of a follower whose Redis went away (restart, failover)
REDIS_MAX_COUNT = 2**63 - 1  # Redis counts are signed 64-bit: a --limit past it means all there is
LIMIT = click.IntRange(min=0)  # a negative --limit is refused (it printed everything, like 0)

Entry = tuple[str, dict[str, str]]


def _stream_command(stream_attr: str, kind: str) -> Callable[[F], F]:
    def decorate(fn: F) -> F:
        fn = click.option("--limit", type=LIMIT, default=20, show_default=True, help="Show the last N (0: all).")(fn)
        fn = click.option("--follow", "-f", is_flag=True, help="Keep printing new entries as they arrive.")(fn)
        fn = click.option("--json", "as_json", is_flag=True, help="One JSON object per line, oldest first.")(fn)
        return config_option(fn)

    return decorate


# Line breaks to Unicode that JSON leaves unescaped in a string: a reader splitting lines the Unicode way (Python's
# str.splitlines) cut a JSON line with one of them in a title in two. Escaped, a line of --json ends only at "\n".
_JSON_LINE_BREAKS = str.maketrans({"\u2028": "\\u2028", "\u2029": "\\u2029", "\x85": "\\u0085"})


def json_line(value: Any) -> str:
    """``value`` as one line of JSON, non-ASCII text as written, with no character any reader takes for a line
    break."""
    return json.dumps(value, ensure_ascii=False).translate(_JSON_LINE_BREAKS)


def _print_entries(console: Console, entries: list[dict[str, Any]], as_json: bool, columns: list[str]) -> None:
    if as_json:
        for entry in entries:
            sys.stdout.write(json_line(entry) + "\n")
        sys.stdout.flush()
        return
    if not entries:
        return
    rows = []
    for entry in entries:
        row = []
        for column in columns:
            value = entry.get(column)
            if column == "source" and isinstance(value, dict):
                value = value.get("name") or value.get("domain")
            row.append(_cell(value))
        rows.append(row)
    console.print(fitted_table(columns, rows, console.width))


TITLE_MIN_WIDTH = 30  # a title (a reason, a feed's URL) keeps this many columns: lesser columns give way first
NAME_WIDTHS = (10, 24)  # a source, subscription or matched terms beside it: cut with "…" to within these
NAMES = frozenset({"source", "sources", "subscription", "matched", "name"})
# Times, ids (copied into the next command), counts and statuses: shown whole, or left out.
WHOLE = frozenset({"ingested_at", "last_seen", "created_at", "at", "id", "story_id", "delivery_id", "language",
                   "word_count", "article_count", "retryable", "status", "every", "last success", "next poll",
                   "errors", "items", "lang", "words", "published"})  # fmt: skip
# Columns a table leaves out on a terminal too narrow for them beside the title, the first to go first.
DROPPABLE = ("word_count", "words", "language", "lang", "article_count", "retryable", "matched", "notes", "items",
             "errors", "last success", "every", "published", "source", "sources", "subscription", "name")  # fmt: skip
# On a terminal too narrow even for ids, times and the title (40 columns: a split pane, a phone), the times go
# too (`--json` has them), and the title takes what is left, down to a few words a line.
LAST_TO_GO = ("ingested_at", "created_at", "last_seen", "at", "next poll")
FLEX_NARROWEST = 12


def fitted_table(columns: list[str], rows: list[list[Text]], width: int, flex: str | None = None,
                 edge: bool = False) -> Table:  # fmt: skip
    """A table of ``width`` columns at most that shows its ``flex`` column (the title, else a reason; wrapped, and
    a URL folded) in ``TITLE_MIN_WIDTH`` or more and keeps ids and times whole: names beside it are cut with "…",
    and on a narrow terminal the lesser columns are left out (on the narrowest, times too, and the title shrinks).
    (Left to rich, the title went first: on 80 columns it was cropped off the right edge altogether, ids cut to
    "e0…".) ``edge``: a box around it."""
    flex = flex or ("title" if "title" in columns else "reason" if "reason" in columns else None)
    natural = {c: max(cell_len(c), *(cell_len(row[i].plain) for row in rows)) for i, c in enumerate(columns)}
    least = {c: natural[c] if c in WHOLE else min(natural[c], TITLE_MIN_WIDTH if c == flex else NAME_WIDTHS[0])
             for c in columns}  # fmt: skip

    def spare(shown: list[str]) -> int:  # padding of 1 on each side of a cell, a rule between two (and edges)
        return width - (3 * len(shown) + (1 if edge else -1)) - sum(least[c] for c in shown)

    shown = list(columns)
    for column in (*DROPPABLE, *LAST_TO_GO):
        if spare(shown) >= 0:
            break
        if column in shown:
            shown.remove(column)
    if flex in shown and spare(shown) < 0:
        least[flex] = max(least[flex] + spare(shown), min(natural[flex], FLEX_NARROWEST))
    room, widths = max(spare(shown), 0), {}
    # Room left goes to the names (up to 24), then the flex column (which rich gives the rest), then the others.
    for column in sorted(shown, key=lambda c: (c not in NAMES, c != flex)):
        if column in WHOLE:
            continue
        most = min(natural[column], NAME_WIDTHS[1]) if column in NAMES else natural[column]
        grow = min(room, max(most - least[column], 0))
        widths[column], room = least[column] + grow, room - grow
    table = Table(show_edge=edge)
    for column in shown:
        if column == flex:
            table.add_column(column, min_width=least[column], overflow="fold" if column == "url" else "ellipsis")
        elif column in WHOLE:
            table.add_column(column, no_wrap=True, min_width=natural[column])
        else:
            table.add_column(column, no_wrap=True, overflow="ellipsis", width=widths[column])
    for row in rows:
        table.add_row(*(cell for cell, column in zip(row, columns, strict=True) if column in shown))
    return table


def _events_of(entries: list[Entry]) -> list[dict[str, Any]]:
    return [json.loads(fields["event"]) for _, fields in entries if "event" in fields]


def _window_start(client: redis.Redis, stream: str, limit: int, end: str) -> str:
    """The id of the oldest of the last ``limit`` entries up to ``end`` (0: all), found a chunk at a time."""
    if limit == 0:
        return "-"
    start, before, remaining = end, end, limit
    while remaining > 0:
        chunk: list[Entry] = client.xrevrange(stream, max=before, min="-", count=min(remaining, READ_CHUNK))  # type: ignore[assignment]
        if not chunk:
            break
        start, remaining, before = chunk[-1][0], remaining - len(chunk), f"({chunk[-1][0]}"
    return start


def _stream_chunks(client: redis.Redis, stream: str, limit: int) -> tuple[Iterator[list[dict[str, Any]]], str]:
    """The events of the last ``limit`` entries (0: all), oldest first, ``READ_CHUNK`` entries per round trip;
    and the id of the newest entry read then ("0-0" for an empty stream), after which a follower goes on.

    Entries appended while it reads are left to the follower: they are not printed twice, nor skipped.
    """
    newest: list[Entry] = client.xrevrange(stream, count=1)  # type: ignore[assignment]
    if not newest:
        return iter(()), "0-0"
    end = newest[0][0]

    def chunks() -> Iterator[list[dict[str, Any]]]:
        low = _window_start(client, stream, limit, end)
        while True:
            chunk: list[Entry] = client.xrange(stream, min=low, max=end, count=READ_CHUNK)  # type: ignore[assignment]
            if not chunk:
                return
            yield _events_of(chunk)
            if len(chunk) < READ_CHUNK or chunk[-1][0] == end:
                return
            low = f"({chunk[-1][0]}"

    return chunks(), end


def _read_stream(client: redis.Redis, stream: str, limit: int) -> list[dict[str, Any]]:
    """The events of the last ``limit`` entries (0: all), oldest first, in one list."""
    chunks, _ = _stream_chunks(client, stream, limit)
    return [event for chunk in chunks for event in chunk]


def _tail(client: redis.Redis, stream: str, after: str, emit: Callable[[list[dict[str, Any]]], None]) -> None:
    """Print what is appended after ``after`` until Ctrl-C, or until the reader of stdout is gone. A Redis that
    goes away (restart, failover) is waited for, and reading resumes after the last entry printed: nothing is
    missed or printed twice."""
    lost_at: float | None = None
    try:
        while True:
            if reader_gone():  # as `tail -f | head -1` ends: not at the next write only, which may never come
                raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))
            try:
                reply: list[tuple[str, list[Entry]]] = client.xread(  # type: ignore[assignment]
                    {stream: after}, block=FOLLOW_BLOCK_MS, count=READ_CHUNK
                )
            except (redis.ConnectionError, redis.TimeoutError) as e:
                if lost_at is None:
                    lost_at = time.monotonic()
                    log.warning("follow_redis_lost", stream=stream, after=after, error=str(e))
                time.sleep(FOLLOW_RETRY_S)
                continue
            if lost_at is not None:
                log.info("follow_redis_back", stream=stream, after=after, down_s=round(time.monotonic() - lost_at, 1))
                lost_at = None
            for _, messages in reply or []:
                after = messages[-1][0]
                emit(_events_of(messages))
    except KeyboardInterrupt:
        pass


def _show_stream(client: redis.Redis, stream: str, limit: int, follow: bool,
                 emit: Callable[[list[dict[str, Any]]], None]) -> int:  # fmt: skip
    """Print the last ``limit`` entries, then (``follow``) what comes after them; how many were printed first."""
    chunks, end = _stream_chunks(client, stream, limit)
    shown = 0
    for events in chunks:
        shown += len(events)
        emit(events)
    if follow:
        _tail(client, stream, end, emit)
    return shown


@main.command()
@_stream_command("events_stream", "events")
def events(config_file: str | None, as_json: bool, follow: bool, limit: int) -> None:
    """Print ArticleEvents from the ww:events stream."""
    settings = _load(config_file)
    console = _console()
    columns = ["ingested_at", "id", "source", "language", "word_count", "title"]
    with _redis(settings) as client:
        shown = _show_stream(client, settings.events_stream, limit, follow,
                             lambda e: _print_entries(console, e, as_json, columns))  # fmt: skip
    if not shown and not as_json and not follow:
        console.print("no events yet")


# ----------------------------------------------------------------------------------------------- stories


@main.group(invoke_without_command=True)
@config_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line, oldest first.")
@click.option("--limit", type=LIMIT, default=20, show_default=True, help="The N most recently updated (0: all).")
@click.pass_context
def stories(ctx: click.Context, config_file: str | None, as_json: bool, limit: int) -> None:
    """List stories: copies of one article across sources, grouped (DESIGN §3 Story)."""
    ctx.ensure_object(dict)
    ctx.obj.update(config_file=config_file, as_json=as_json)  # `stories -c F --json show ID` means them too
    if ctx.invoked_subcommand is not None:
        return
    from worker.stories import list_stories

    settings = _load(config_file)
    with _redis(settings) as client:
        found = list_stories(client, min(limit, REDIS_MAX_COUNT))
    rows = [s.model_dump(mode="json") for s in found]
    if not as_json:
        for story, row in zip(found, rows, strict=True):
            row["sources"] = _sources_text(story)
    _print_entries(_console(), rows, as_json, ["last_seen", "story_id", "article_count", "sources", "title"])
    if not found and not as_json:
        _console().print("no stories yet")


STORY_SOURCES_SHOWN = 5  # a wire story's sources run to hundreds: a table cell names the first few and counts


def _sources_text(story: Any) -> str:
    """A story's sources for a table: the first few by name, then how many more (``source_count`` counts those the
    story no longer lists); "-" for none."""
    names = story.sources[:STORY_SOURCES_SHOWN]
    more = max(story.source_count, len(story.sources)) - len(names)
    return (", ".join(names) or "-") + (f" and {more} more" if more > 0 else "")


@stories.command("show")
@config_option
@click.option("--json", "as_json", is_flag=True, help="The story, then its articles, one JSON object per line.")
@click.argument("story_id")
@click.pass_context
def stories_show(ctx: click.Context, config_file: str | None, as_json: bool, story_id: str) -> None:
    """One story and its articles, in the order they were emitted."""
    from wirewatch import constants as c
    from worker.stories import read_story, story_articles

    as_json = as_json or ctx.obj.get("as_json", False)
    settings = _load(config_file or ctx.obj.get("config_file"))
    with _redis(settings) as client:
        story = read_story(client, story_id)
        if story is None:
            raise click.ClickException(f"no story {story_id!r} (unknown or expired)")
        ids = story_articles(client, story_id)
        raw = client.mget([c.article_key(i) for i in ids]) if ids else []
    articles = [json.loads(r) if r else {"id": i, "title": "(expired)"} for i, r in zip(ids, raw, strict=True)]
    console = _console()
    if as_json:
        _print_entries(console, [story.model_dump(mode="json"), *articles], True, [])
        return
    title = _cell(story.title)
    title.stylize("bold")
    console.print(title)
    console.print(_cell(f"story {story.story_id}: {story.article_count} article(s) from "
                        f"{_sources_text(story)}; first seen {story.first_seen:%Y-%m-%d %H:%M:%S}Z, "
                        f"last seen {story.last_seen:%Y-%m-%d %H:%M:%S}Z"))  # fmt: skip
    _print_entries(console, articles, False, ["ingested_at", "id", "source", "title"])


@main.command()
@config_option
@click.option("--json", "as_json", is_flag=True, help="As one JSON object.")
def stats(config_file: str | None, as_json: bool) -> None:
    """Lifetime counts per outcome, what is pending and queued, and the events, alerts and dead letters kept —
    the same figures as /v1/stats."""
    from wirewatch.runner import stats_snapshot

    settings = _load(config_file)
    with _redis(settings) as client:
        data = stats_snapshot(client, settings)
    if as_json:
        click.echo(json_line(data))
        return
    console = _console()
    console.print("wirewatch stats", highlight=False)  # not the table's title, which rich pads with spaces
    table = Table()
    table.add_column("what")
    table.add_column("count", justify="right")
    for key, value in sorted(data["outcomes"].items()):
        table.add_row(_cell(key), str(value))
    for label, key in (("pending", "pending"), ("queued messages", "queue_depth"), ("events in stream", "events"),
                       ("alerts in stream", "alerts"), ("dead letters", "dead")):  # fmt: skip
        table.add_row(label, str(data[key]))
    console.print(table)


# -------------------------------------------------------------------------------------------------- dead


@main.group(invoke_without_command=True)
@config_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line, oldest first.")
@click.option("--limit", type=LIMIT, default=50, show_default=True, help="Show the last N (0: all).")
@click.pass_context
def dead(ctx: click.Context, config_file: str | None, as_json: bool, limit: int) -> None:
    """Dead-lettered deliveries (ww:dead): why each one died. `dead retry` sends them again."""
    ctx.ensure_object(dict)
    ctx.obj["config_file"] = config_file
    if ctx.invoked_subcommand:
        return
    from wirewatch import constants as c

    settings = _load(config_file)
    with _redis(settings) as client:
        raw: list[tuple[str, dict[str, str]]] = (
            list(reversed(client.xrevrange(c.DEAD_STREAM, count=min(limit, REDIS_MAX_COUNT))))  # type: ignore[arg-type,assignment]
            if limit > 0
            else client.xrange(c.DEAD_STREAM)
        )
        waiting = set(client.hkeys(c.DEAD_PAYLOAD))
    entries = [{**fields, "retryable": fields.get("delivery_id") in waiting} for _, fields in raw]
    if not entries and not as_json:
        click.echo("no dead letters")
        return
    if not as_json:  # a time, as the other tables show theirs; JSON keeps the stored milliseconds
        entries = [{**entry, "at": _utc_ms(entry.get("at"))} for entry in entries]
    _print_entries(_console(), entries, as_json, ["at", "delivery_id", "source", "reason", "retryable"])


def _utc_ms(value: object) -> object:
    """Unix milliseconds (a dead letter's ``at``) as ``2026-11-30T14:07:49.705Z``, the form of ``ingested_at``;
    anything else as it is."""
    if not (isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 15):
        return value
    seconds, ms = divmod(int(value), 1000)
    return f"{datetime.fromtimestamp(seconds, UTC):%Y-%m-%dT%H:%M:%S}.{ms:03d}Z"


@dead.command("retry")
@config_option
@click.argument("delivery_ids", nargs=-1)
@click.option("--all", "retry_all", is_flag=True, help="Retry every dead-lettered delivery.")
@click.pass_context
def dead_retry(ctx: click.Context, config_file: str | None, delivery_ids: tuple[str, ...], retry_all: bool) -> None:
    """Send dead-lettered deliveries through the pipeline again."""
    from producers.submit import Submitter
    from wirewatch.outcomes import Outcomes
    from wirewatch.queue import celery_app

    if not delivery_ids and not retry_all:
        raise click.UsageError("name delivery ids, or --all")
    delivery_ids = tuple(dict.fromkeys(delivery_ids))  # an id named twice was queued twice ("requeued 2")
    settings = _load(config_file or ctx.obj["config_file"])
    with _redis_and_url(settings) as (client, url):
        app = celery_app(url)
        submitter = Submitter(client, app, Outcomes(client, settings), settings.batch_size)
        retried = submitter.retry_dead(None if retry_all else list(delivery_ids))
        app.close()
    click.echo(f"requeued {len(retried)} dead-lettered {'delivery' if len(retried) == 1 else 'deliveries'}")
    if delivery_ids and len(retried) < len(delivery_ids):
        # `dead` lists a retried delivery on (not retryable): it is in the dead letters, just not waiting
        missing = sorted(set(delivery_ids) - set(retried))
        raise click.ClickException(f"no dead letter waiting to be retried (unknown, or retried before): "
                                   f"{', '.join(missing)}")  # fmt: skip


if __name__ == "__main__":
    main()
