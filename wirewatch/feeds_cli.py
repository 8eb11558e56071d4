"""``wirewatch feeds``: manage the monitored feeds at run time (add, import OPML, export, list, remove).

Feeds live in Redis with their schedule and health, so these commands act on a running deployment; feeds
from the config file are added again on every ``run`` / ``scheduler`` start.
"""

from __future__ import annotations

import sys
import time
from datetime import datetime
from pathlib import Path

import click
from pydantic import ValidationError

from producers.feed_service import OPMLError, read_opml, refused_feed_url, write_opml
from producers.schedule import FeedRecord, FeedSchedule, feed_url
from wirewatch import constants as c
from wirewatch.cli import _cell, _console, _load, _redis, config_option, fitted_table, json_line
from wirewatch.settings import FeedSource, parse_duration


@click.group()
def feeds() -> None:
    """Manage the monitored feeds."""


# Where a refused value came from, as the usage error names it: "Invalid value for '--interval': …".
_HINTS = {"url": "'URL'", "name": "'--name'", "interval": "'--interval'"}


def _validated(url: str, name: str | None, interval: str | None, full_text: bool) -> FeedSource:
    try:
        seconds = parse_duration(interval) if interval else c.FEED_INTERVAL_S
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint=_HINTS["interval"]) from None
    try:  # (FeedSource refuses a URL longer than a poll message can carry: it would never be polled)
        return FeedSource(url=url, name=name, interval=seconds, full_text=full_text)
    except ValidationError as e:  # its text ends with a link to pydantic's docs: say the reason only
        error = e.errors()[0]
        hint = _HINTS.get(str(error["loc"][0]) if error["loc"] else "")
        raise click.BadParameter(error["msg"].removeprefix("Value error, "), param_hint=hint) from None


@feeds.command("add")
@config_option
@click.argument("url")
@click.option("--name", default=None, help="Source name (default: the feed's own title).")
@click.option("--interval", default=None, help="Poll no more often than this (e.g. 10m); the default is 10m.")
@click.option("--full-text", is_flag=True, help="Fetch each new item's page and extract the article.")
def add(config_file: str | None, url: str, name: str | None, interval: str | None, full_text: bool) -> None:
    """Add a feed (polled at once by a running scheduler)."""
    source = _validated(url, name, interval, full_text)
    settings = _load(config_file)
    why = refused_feed_url(source.url, settings.allow_private_networks)
    if why:
        raise click.BadParameter(why, param_hint=_HINTS["url"])
    with _redis(settings) as client:
        schedule = FeedSchedule(client)
        known = schedule.get(source.url)
        record = schedule.add(source.url, name=source.name, interval_s=source.interval, full_text=source.full_text)
    click.echo(f"updated the settings of {record.url}{_moved_note(url, known)}" if known else f"added {record.url}")


def _moved_note(url: str, record: FeedRecord) -> str:
    """Where a feed named by a URL it had before a permanent redirect moved it is now, said beside its URL."""
    return f" (the feed at {url} moved there)" if record.added_as is not None and feed_url(url) != record.url else ""


@feeds.command("remove")
@config_option
@click.argument("url")
def remove(config_file: str | None, url: str) -> None:
    """Stop monitoring a feed (one from the config comes back on the next start)."""
    settings = _load(config_file)
    with _redis(settings) as client:
        schedule = FeedSchedule(client)
        record = schedule.get(url)
        found = schedule.remove(url)
    if not found:
        click.echo(f"wirewatch: no such feed: {url}", err=True)
        sys.exit(1)
    click.echo(f"removed {record.url}{_moved_note(url, record)}" if record else f"removed {url}")


@feeds.command("import")
@config_option
@click.argument("opml_file", type=click.Path(exists=True, dir_okay=False))
def import_(config_file: str | None, opml_file: str) -> None:
    """Add every feed of an OPML file; feeds already monitored keep their settings."""
    try:
        entries = read_opml(Path(opml_file).read_bytes())
    except OPMLError as e:
        raise click.ClickException(f"{opml_file}: {e}") from e
    except OSError as e:  # there when the options were checked, unreadable now (permissions, gone)
        raise click.ClickException(f"cannot read {opml_file}: {e.strerror or e}") from e
    settings = _load(config_file)
    refused: list[tuple[str, str]] = []  # (url, why): never fetched here, named after the import
    kept = []
    for entry in entries:
        if why := refused_feed_url(entry.url, settings.allow_private_networks):
            refused.append((entry.url, why))
        else:
            kept.append(entry)
    entries = kept
    with _redis(settings) as client:
        schedule = FeedSchedule(client)
        fresh = 0
        for entry in entries:
            record = schedule.get(entry.url)
            if record is None:
                # as `feeds add` would, with what a wirewatch export says of the feed (its interval, full text)
                schedule.add(entry.url, name=entry.name, interval_s=entry.interval or c.FEED_INTERVAL_S,
                             full_text=entry.full_text)  # fmt: skip
                fresh += 1
            elif entry.name and not record.state.name:
                # a feed already monitored keeps its interval and full text: the file only names it, if unnamed
                schedule.add(entry.url, name=entry.name, interval_s=record.floor_s, full_text=record.full_text)
    click.echo(f"imported {len(entries)} feeds ({fresh} new)")
    for url, why in refused:
        click.echo(f"wirewatch: not imported: {url}: {why}", err=True)
    if refused:
        sys.exit(1)


@feeds.command("export")
@config_option
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None, help="File (default: stdout).")
def export(config_file: str | None, output: str | None) -> None:
    """Write the monitored feeds as OPML."""
    settings = _load(config_file)
    with _redis(settings) as client:
        text = write_opml(sorted(FeedSchedule(client).records(), key=lambda r: r.url))
    if output:
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as e:  # a folder that is not there, no permission: one line, not a traceback
            raise click.ClickException(f"cannot write {output}: {e.strerror or e}") from e
    else:
        click.echo(text, nl=False)


def _ago(when: datetime | None, now: float) -> str:
    if when is None:
        return "never"
    delta = when.timestamp() - now
    word = "in " if delta > 0 else ""
    tail = "" if delta > 0 else " ago"
    delta = abs(delta)
    for unit, size in (("d", 86_400), ("h", 3600), ("m", 60)):
        if delta >= size:
            return f"{word}{delta / size:.0f}{unit}{tail}"
    return f"{word}{delta:.0f}s{tail}"


def _span(seconds: float) -> str:
    """``600`` → ``10m``, ``5400`` → ``1.5h``."""
    for unit, size in (("d", 86_400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{round(seconds / size, 1):g}{unit}"
    return f"{seconds:g}s"


@feeds.command("list")
@config_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per feed (FeedState plus health).")
def list_(config_file: str | None, as_json: bool) -> None:
    """The feeds with their health: last status, last success, next poll, error streak, items seen."""
    settings = _load(config_file)
    with _redis(settings) as client:
        records = sorted(FeedSchedule(client).records(), key=lambda r: r.url)
    if as_json:
        for r in records:
            row = r.state.model_dump(mode="json")
            # interval_s is the current interval (the schedule adapts it); min/max are the floor and ceiling set
            # (`feeds add --interval`, the config), which the next poll's interval keeps within. url is where the
            # feed is polled; added_as, the URL it was added as when a permanent redirect has moved it since;
            # last_move and last_hint_clamp, the last of each (also on the ww:feeds stream), or null.
            move, clamp = r.last_move, r.last_hint_clamp
            row.update(last_error=r.last_error, last_error_kind=r.last_error_kind, broken=r.broken, quiet=r.quiet,
                       full_text=r.full_text, min_interval_s=r.floor_s, max_interval_s=r.ceiling_s,
                       added_as=r.added_as, last_move=move.model_dump(mode="json") if move else None,
                       last_hint_clamp=clamp.model_dump(mode="json") if clamp else None)  # fmt: skip
            click.echo(json_line(row))
        return
    now = time.time()
    columns = ["url", "name", "status", "every", "last success", "next poll", "errors", "items", "notes"]
    rows = []
    for r in records:
        s = r.state
        status = s.last_status if not r.last_error_kind else f"{s.last_status}:{r.last_error_kind}"
        if r.broken:
            status = f"{status} (broken)"
        elif r.quiet:
            status = f"{status} (quiet)"
        # A feed's name is its own title (from outside): shown as written, never read as rich markup.
        rows.append([_cell(s.url), _cell(s.name), _cell(status, style="red" if r.broken else ""),
                     _cell(f"{_span(s.interval_s)} (≥ {_span(r.floor_s)})"), _cell(_ago(s.last_success_at, now)),
                     _cell(_ago(s.next_poll_at, now)), _cell(s.error_streak), _cell(s.items_seen),
                     _cell(_notes(r, now))])  # fmt: skip
    console = _console()
    if not rows:
        console.print("0 feeds")
        return
    console.print(f"{len(records)} feeds")  # not the table's title, which rich pads to its width with spaces
    console.print(fitted_table(columns, rows, console.width, flex="url"))


_HINT_NAMES = {"ttl": "<ttl>", "max_age": "max-age"}


def _notes(record: FeedRecord, now: float) -> str:
    """The feed's last move and last clamped hint, when it has had one: ``moved 2h ago from URL``,
    ``max-age 1d cut to 6h (3d ago)``."""
    notes = []
    if record.last_move is not None:
        notes.append(f"moved {_ago(record.last_move.at, now)} from {record.last_move.from_url}")
    clamp = record.last_hint_clamp
    if clamp is not None:
        notes.append(f"{_HINT_NAMES[clamp.hint]} {_span(clamp.hint_s)} cut to {_span(clamp.ceiling_s)} "
                     f"({_ago(clamp.at, now)})")  # fmt: skip
    return "; ".join(notes)
