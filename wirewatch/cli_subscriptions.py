"""``wirewatch subscriptions …`` and ``wirewatch alerts``: manage topics and read what they raised.

Kept apart from ``cli.py`` so the command table there stays short; ``main`` loads these commands when first
asked for (``LAZY_COMMANDS`` in cli.py).
"""

from __future__ import annotations

import secrets
import sys
from typing import Any

import click
from pydantic import ValidationError
from rich.markup import escape
from rich.table import Table

from wirewatch.cli import (
    LIMIT,
    _cell,
    _console,
    _load,
    _print_entries,
    _read_stream,
    _redis,
    _show_stream,
    config_option,
    json_line,
)
from wirewatch.settings import describe_error


def config_query_error(settings: Any) -> str | None:
    """One line naming the first config subscription whose name cannot be shown as one plain line, whose query does
    not parse, whose secret is too short or too long, or whose webhook is unusable (not http(s), or without a
    secret to sign with), or None. The same checks as the CLI's and the HTTP API's
    (`worker.subscriptions.validate`)."""
    from worker.query import QuerySyntaxError, parse_query
    from worker.subscriptions import check_name, check_secret, check_webhook

    for i, entry in enumerate(settings.subscriptions):
        try:
            check_name(entry.name)
        except ValueError as e:
            return f"subscriptions.{i}.name: {e}"
        try:
            parse_query(entry.query)
        except QuerySyntaxError as e:
            return f"subscriptions.{i}.query: {e}"
        secret = entry.secret.get_secret_value() if entry.secret is not None else None
        try:
            check_secret(secret)
        except ValueError as e:
            return f"subscriptions.{i}.secret: {e}"
        try:
            check_webhook(entry.webhook, secret, allow_private=settings.allow_private_networks)
        except ValueError as e:
            return f"subscriptions.{i}.webhook: {e}"
    return None


@click.group()
def subscriptions() -> None:
    """Topic subscriptions: add, list, remove, test a query."""


def _query_error(e: Any) -> None:
    click.echo(f"wirewatch: invalid query: {e}", err=True)
    click.echo(e.pointer(), err=True)
    sys.exit(2)


@subscriptions.command("add")
@config_option
@click.argument("name")
@click.argument("query")
@click.option("--webhook", default=None, help="POST each alert here (signed with the secret).")
@click.option("--secret", default=None, envvar="WIREWATCH_WEBHOOK_SECRET",
              help="HMAC key for the webhook signature (default: a new random one, printed once).")  # fmt: skip
def add(config_file: str | None, name: str, query: str, webhook: str | None, secret: str | None) -> None:
    """Add (or replace) the subscription NAME; every worker picks it up within a second. Adding it again switches
    its webhook back on if its receiver had switched it off (410 Gone)."""
    from worker.query import QuerySyntaxError
    from worker.subscriptions import TooManySubscriptions, put_subscription, validate, webhook_off

    settings = _load(config_file)
    generated = webhook is not None and secret is None
    if generated:
        secret = secrets.token_hex(32)
    try:
        sub = validate(name, query, webhook, secret, allow_private=settings.allow_private_networks)
    except QuerySyntaxError as e:
        _query_error(e)
        return
    except ValidationError as e:  # the name: empty or too long
        click.echo(f"wirewatch: {describe_error(e)}", err=True)
        sys.exit(2)
    except ValueError as e:
        click.echo(f"wirewatch: {e}", err=True)
        sys.exit(2)
    with _redis(settings) as client:
        was_off = webhook_off(client, sub.id) is not None
        try:
            changed = put_subscription(client, sub, max_subscriptions=settings.limits.max_subscriptions)
        except TooManySubscriptions as e:
            click.echo(f"wirewatch: {e}", err=True)
            sys.exit(1)
    click.echo(f"{'saved' if changed else 'unchanged'}: {sub.name} ({sub.id})")
    if was_off and sub.webhook:
        click.echo("webhook switched back on (its receiver had answered 410 Gone)")
    if generated and changed:
        click.echo(f"webhook secret (shown once): {secret}")


@subscriptions.command("list")
@config_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line (secrets left out).")
def list_(config_file: str | None, as_json: bool) -> None:
    """Every subscription (the config file's included)."""
    from worker.subscriptions import list_subscriptions, sync_config, webhooks_off

    settings = _load(config_file)
    with _redis(settings) as client:
        sync_config(client, settings)
        subs = list_subscriptions(client)
        off = webhooks_off(client)
    if as_json:
        for sub in subs:
            record = off.get(sub.id) if sub.webhook else None
            shown = None if record is None else record.model_dump(mode="json")
            click.echo(json_line({**sub.model_dump(exclude={"secret"}), "webhook_off": shown}))
        return
    if not subs:
        click.echo("no subscriptions")
        return
    table = Table(show_edge=False)
    for column in ("name", "id", "query", "webhook"):  # the id, which `remove` takes, on one line (it was split)
        table.add_column(column, overflow="fold", no_wrap=column == "id")
    for sub in subs:
        webhook = _cell(sub.webhook)
        record = off.get(sub.id) if sub.webhook else None
        if record is not None:
            at = record.model_dump(mode="json")["at"]
            webhook.append(f" (off since {at}: {_cell(record.reason).plain})", style="yellow")
        table.add_row(_cell(sub.name), sub.id, _cell(sub.query), webhook)
    _console().print(table)


@subscriptions.command("remove")
@config_option
@click.argument("name")
def remove(config_file: str | None, name: str) -> None:
    """Remove the subscription NAME (or id)."""
    from worker.subscriptions import remove_subscription, subscription_id

    settings = _load(config_file)
    if any(name in (entry.name, subscription_id(entry.name)) for entry in settings.subscriptions):
        # The config's entries are stored again at every start and `list`: removed here, it would be back.
        click.echo(f"wirewatch: {name!r} is defined in the config file ({settings.config_file}); remove it there",
                   err=True)  # fmt: skip
        sys.exit(2)
    with _redis(settings) as client:
        removed = remove_subscription(client, name)
    if not removed:
        click.echo(f"wirewatch: no subscription {name!r}", err=True)
        sys.exit(1)
    click.echo(f"removed: {name}")


def _snippet(text: str, start: int, end: int, width: int = 50) -> str:
    left, right = max(0, start - width), min(len(text), end + width)

    def clean(part: str) -> str:
        return escape(_cell(part).plain)

    lead, tail = ("…" if left else ""), ("…" if right < len(text) else "")
    return f"{lead}{clean(text[left:start])} [bold reverse]{clean(text[start:end])}[/] {clean(text[end:right])}{tail}"


@subscriptions.command("test")
@config_option
@click.argument("query")
@click.option("--limit", type=LIMIT, default=200, show_default=True, help="Recent articles to try (0: all).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per matching article.")
def test(config_file: str | None, query: str, limit: int, as_json: bool) -> None:
    """Which recent articles QUERY would have matched, with the matched words highlighted."""
    from pydantic import ValidationError

    from schemas import ArticleEvent
    from worker.match import FIELD_ORDER, document_from_event, evaluate, matched_terms
    from worker.query import QuerySyntaxError, parse_query

    try:
        parsed = parse_query(query)
    except QuerySyntaxError as e:
        _query_error(e)
        return
    settings = _load(config_file)
    with _redis(settings) as client:
        entries = _read_stream(client, settings.events_stream, limit)
    console = _console()
    found = 0
    for entry in entries:
        try:
            event = ArticleEvent.model_validate(entry)
        except ValidationError:
            continue
        doc = document_from_event(event)
        if not evaluate(parsed.root, doc):
            continue
        found += 1
        terms = matched_terms(parsed, doc)
        if as_json:
            click.echo(json_line({"article_id": event.id, "title": event.title, "url": event.url,
                                   "matched": [t.model_dump() for t in terms]}))  # fmt: skip
            continue
        title, url = escape(_cell(event.title).plain), escape(_cell(event.url).plain)
        console.print(f"[bold]{title}[/]  [dim]{event.id} {url}[/]")
        for term in terms[:5]:
            text = doc.fields[term.field].text if term.field in FIELD_ORDER else ""
            console.print(f"  {term.field}: {_snippet(text, term.start, term.end)}")
    if not as_json:
        console.print(f"{found} of {len(entries)} recent articles match")


@click.command()
@config_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line, oldest first.")
@click.option("--follow", "-f", is_flag=True, help="Keep printing new alerts as they arrive.")
@click.option("--limit", type=LIMIT, default=20, show_default=True, help="Show the last N (0: all).")
def alerts(config_file: str | None, as_json: bool, follow: bool, limit: int) -> None:
    """Print AlertEvents from the ww:alerts stream."""
    settings = _load(config_file)
    console = _console()
    columns = ["created_at", "subscription", "title", "matched"]

    def show(entries: list[dict[str, Any]]) -> None:
        if not as_json:
            entries = [
                {**e, "subscription": e["subscription"]["name"],
                 "matched": ", ".join(dict.fromkeys(m["term"] for m in e["matched"]))}
                for e in entries
            ]  # fmt: skip
        _print_entries(console, entries, as_json, columns)

    with _redis(settings) as client:
        shown = _show_stream(client, settings.alerts_stream, limit, follow, show)
    if not shown and not as_json and not follow:
        console.print("no alerts yet")
