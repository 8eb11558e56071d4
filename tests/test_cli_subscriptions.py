"""The subscriptions and alerts commands as a user runs them, against a real Redis."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
from click.testing import CliRunner

from tests.test_cli import _wirewatch, example  # noqa: F401 - the fixture is used by name
from tests.worker.test_match import make_event
from wirewatch import constants as c
from wirewatch.cli import main
from worker.alerts import raise_alerts
from worker.subscriptions import SubscriptionIndex, list_subscriptions


@pytest.fixture
def cli(redis_url: str, tmp_path: Path) -> CliRunner:
    return CliRunner(env={"WIREWATCH_REDIS_URL": redis_url, "WIREWATCH_DATA_DIR": str(tmp_path),
                          "WIREWATCH_CONFIG": ""})  # fmt: skip


def test_add_list_remove(cli: CliRunner, client: redis.Redis) -> None:
    """add stores a subscription (generating a webhook secret), list shows it without secrets, remove deletes."""
    added = cli.invoke(main, ["subscriptions", "add", "fc", "fentanyl AND china", "--webhook", "https://h.example/x"])
    assert added.exit_code == 0, added.output
    assert "saved: fc" in added.output and "webhook secret (shown once): " in added.output
    [sub] = list_subscriptions(client)
    assert sub.secret and len(sub.secret) == 64 and sub.secret in added.output
    listed = cli.invoke(main, ["subscriptions", "list", "--json"])
    assert listed.exit_code == 0
    assert [json.loads(line) for line in listed.output.splitlines()] == [{**sub.model_dump(exclude={"secret"}), "webhook_off": None}]
    assert "fentanyl AND china" in cli.invoke(main, ["subscriptions", "list"]).output
    assert cli.invoke(main, ["subscriptions", "remove", "fc"]).exit_code == 0
    gone = cli.invoke(main, ["subscriptions", "remove", "fc"])
    assert gone.exit_code == 1 and "no subscription" in gone.output
    assert list_subscriptions(client) == []


def test_a_malformed_query_is_refused_with_a_pointer(cli: CliRunner, client: redis.Redis) -> None:
    """A bad query exits 2 with the position and a caret under it; nothing is stored."""
    result = cli.invoke(main, ["subscriptions", "add", "bad", "china AND (trade OR"])
    assert result.exit_code == 2
    assert "at position 19" in result.output
    assert "china AND (trade OR\n" + " " * 19 + "^" in result.output
    assert list_subscriptions(client) == []


def test_a_webhook_without_a_usable_secret_is_refused(cli: CliRunner, client: redis.Redis) -> None:
    """An empty or short --secret exits 2 (alerts are signed with it); none given makes one, printed once."""
    for secret in ("", "short"):
        result = cli.invoke(main, ["subscriptions", "add", "h", "china", "--webhook", "https://h.example/x",
                                   "--secret", secret])  # fmt: skip
        assert result.exit_code == 2 and "secret of at least 16" in result.output
    assert list_subscriptions(client) == []
    made = cli.invoke(main, ["subscriptions", "add", "h", "china", "--webhook", "https://h.example/x"])
    assert made.exit_code == 0 and "webhook secret (shown once)" in made.output
    assert len(list_subscriptions(client)[0].secret or "") == 64


def test_test_shows_recent_matches_with_highlights(cli: CliRunner, client: redis.Redis) -> None:
    """test QUERY tries the recent events and prints the matching ones with the matched words."""
    for i, text in enumerate(["China jails fentanyl traffickers", "Football scores"]):
        event = make_event(id=f"a{i}", story_id=f"a{i}", title=text, text=text.lower())
        client.xadd(c.EVENTS_STREAM, {"id": event.id, "event": event.model_dump_json(by_alias=True)})
    result = cli.invoke(main, ["subscriptions", "test", "fentan* AND china", "--json"])
    assert result.exit_code == 0, result.output
    [hit] = [json.loads(line) for line in result.output.splitlines()]
    assert hit["article_id"] == "a0"
    assert {(m["field"], m["term"]) for m in hit["matched"]} == {
        ("title", "fentan*"), ("title", "china"), ("text", "fentan*"), ("text", "china")
    }
    table = cli.invoke(main, ["subscriptions", "test", "fentan* AND china"])
    assert "China jails fentanyl traffickers" in table.output and "1 of 2 recent articles match" in table.output


def test_alerts_prints_the_stream(cli: CliRunner, client: redis.Redis) -> None:
    """alerts --json prints AlertEvents oldest first; the table names subscription and matched terms."""
    assert cli.invoke(main, ["subscriptions", "add", "a", "alpha"]).exit_code == 0
    now = datetime.now(UTC)
    index = SubscriptionIndex(client)
    raise_alerts(client, index, [make_event(id="x1", story_id="x1", title="Alpha one", text="alpha")], now)
    raise_alerts(client, index, [make_event(id="x2", story_id="x2", title="Alpha two", text="alpha")], now)
    result = cli.invoke(main, ["alerts", "--json"])
    assert result.exit_code == 0, result.output
    alerts = [json.loads(line) for line in result.output.splitlines()]
    assert [a["article_id"] for a in alerts] == ["x1", "x2"]
    table = cli.invoke(main, ["alerts"])
    assert "Alpha two" in table.output and "alpha" in table.output


def test_run_once_alerts_from_the_config(example: Path) -> None:  # noqa: F811 - pytest fixture by name
    """The example config's subscription alerts on the seed article during run --once; a bad config query
    is a one-line config error naming the key."""
    run = _wirewatch("run", "--once", "-c", str(example))
    assert run.returncode == 0, run.stderr[-2000:]
    listed = _wirewatch("alerts", "--json", "-c", str(example))
    alerts = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [a["subscription"]["name"] for a in alerts] == ["fentanyl-china"]
    assert alerts[0]["title"].startswith("China's jailing")
    bad = example.parent / "bad.yml"
    bad.write_text(example.read_text().replace("AND NOT sports", "AND NOT (sports"))
    refused = subprocess.run([sys.executable, "-m", "wirewatch", "subscriptions", "list", "-c", str(bad)],
                             capture_output=True, text=True, timeout=60)  # fmt: skip
    assert refused.returncode == 2
    assert refused.stderr.startswith("wirewatch: config error: subscriptions.0.query:")
    # A webhook that is not a URL, or has no secret to sign with, stops every command the same way (it
    # used to let `run` start and then fail every article's task).
    for hook, why in (("hooks.example.com/x", "http:// or https://"), ("https://hooks.example.com/x", "secret")):
        bad.write_text(example.read_text().replace("AND NOT sports'", f"AND NOT sports'\n    webhook: {hook}"))
        refused = subprocess.run([sys.executable, "-m", "wirewatch", "run", "--once", "-c", str(bad)],
                                 capture_output=True, text=True, timeout=60)  # fmt: skip
        assert refused.returncode == 2, refused.stderr[-2000:]
        assert refused.stderr.startswith("wirewatch: config error: subscriptions.0.webhook:") and why in refused.stderr


def test_list_shows_a_webhook_switched_off_and_add_switches_it_on(cli: CliRunner, client: redis.Redis) -> None:
    """A webhook its receiver switched off (a 410) is listed as off, with when and why, in the table and the JSON;
    adding the subscription again (its update) switches it back on and says so."""
    from worker.subscriptions import subscription_id, switch_webhook_off

    hook = "https://h.example/x"
    assert cli.invoke(main, ["subscriptions", "add", "h", "china", "--webhook", hook,
                             "--secret", "s" * 16]).exit_code == 0  # fmt: skip
    at = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    assert switch_webhook_off(client, subscription_id("h"), hook, "http 410: the receiver says the endpoint is gone", at)
    [listed] = [json.loads(line) for line in cli.invoke(main, ["subscriptions", "list", "--json"]).output.splitlines()]
    assert listed["webhook_off"] == {"at": "2026-12-01T09:30:00Z", "reason": "http 410: the receiver says the endpoint is gone"}
    table = cli.invoke(main, ["subscriptions", "list"], terminal_width=200).output
    assert "off since 2026-12-01T09:30:00Z" in table and "410" in table
    again = cli.invoke(main, ["subscriptions", "add", "h", "china", "--webhook", hook, "--secret", "s" * 16])
    assert again.exit_code == 0 and "webhook switched back on" in again.output
    [listed] = [json.loads(line) for line in cli.invoke(main, ["subscriptions", "list", "--json"]).output.splitlines()]
    assert listed["webhook_off"] is None


def test_add_refuses_a_loopback_webhook_unless_private_networks_are_allowed(cli: CliRunner, tmp_path: Path) -> None:
    """`subscriptions add` with a webhook on 127.0.0.1: refused (exit 2, saying what to set) by a deployment that
    refuses private addresses, which would have refused every delivery; taken where they are allowed."""
    args = ["subscriptions", "add", "local", "alpha", "--webhook", "http://127.0.0.1:9/h", "--secret", "s" * 32]
    refused = cli.invoke(main, args)
    assert refused.exit_code == 2 and "allow_private_networks" in refused.output
    config = tmp_path / "private.yml"
    config.write_text("allow_private_networks: true\n")
    taken = cli.invoke(main, [*args, "-c", str(config)])
    assert taken.exit_code == 0 and taken.output.startswith("saved: local"), taken.output


def test_a_secret_over_the_limit_is_refused_by_the_cli_and_the_config_as_by_the_api(
    cli: CliRunner, client: redis.Redis, tmp_path: Path
) -> None:
    """`subscriptions add --secret` and a config entry's `secret:` take at most WEBHOOK_SECRET_MAX_CHARS characters,
    the HTTP API's limit: a longer one exits 2 saying so (the config error naming the entry's `secret`), where both
    used to store it. One at the limit is taken."""
    hook = "https://hooks.example.com/x"
    too_long = "s" * (c.WEBHOOK_SECRET_MAX_CHARS + 1)
    refused = cli.invoke(main, ["subscriptions", "add", "h", "china", "--webhook", hook, "--secret", too_long])
    assert refused.exit_code == 2 and f"at most {c.WEBHOOK_SECRET_MAX_CHARS} characters" in refused.output
    assert list_subscriptions(client) == []
    longest = "s" * c.WEBHOOK_SECRET_MAX_CHARS
    taken = cli.invoke(main, ["subscriptions", "add", "h", "china", "--webhook", hook, "--secret", longest])
    assert taken.exit_code == 0, taken.output
    for secret, webhook in ((too_long, hook), (too_long, None), ("short", None)):
        config = tmp_path / "long.yml"
        hook_line = f"    webhook: {webhook}\n" if webhook else ""
        config.write_text(f"subscriptions:\n  - name: c\n    query: china\n    secret: {secret}\n{hook_line}")
        result = cli.invoke(main, ["subscriptions", "list", "-c", str(config)])
        assert result.exit_code == 2, result.output
        assert result.output.startswith("wirewatch: config error: subscriptions.0.secret: "), result.output
        assert secret not in result.output


def test_add_past_the_bound_is_refused_and_a_config_name_is_checked_as_the_api_checks_it(
    cli: CliRunner, client: redis.Redis, tmp_path: Path
) -> None:
    """`subscriptions add` counts against `limits.max_subscriptions` as the API does (it stored past it); replacing
    one at the bound is taken. A config entry named with a line break is a config error naming the entry's `name`, as
    one with a bad query or webhook is."""
    config = tmp_path / "bound.yml"
    config.write_text("limits:\n  max_subscriptions: 2\n")
    for name in ("a", "b"):
        assert cli.invoke(main, ["subscriptions", "add", name, "china", "-c", str(config)]).exit_code == 0
    refused = cli.invoke(main, ["subscriptions", "add", "c", "china", "-c", str(config)])
    assert refused.exit_code == 1 and "at most 2 subscriptions (limits.max_subscriptions)" in refused.output
    assert sorted(s.name for s in list_subscriptions(client)) == ["a", "b"]
    replaced = cli.invoke(main, ["subscriptions", "add", "b", "china OR india", "-c", str(config)])
    assert replaced.exit_code == 0 and replaced.output.startswith("saved: b"), replaced.output
    named = tmp_path / "named.yml"
    named.write_text('subscriptions:\n  - name: "desk\\nnight"\n    query: china\n')
    result = cli.invoke(main, ["subscriptions", "list", "-c", str(named)])
    assert result.exit_code == 2, result.output
    assert result.output.startswith("wirewatch: config error: subscriptions.0.name: "), result.output
    assert "U+000A" in result.output


def test_json_lines_keep_text_as_written_in_every_command(cli: CliRunner, client: redis.Redis) -> None:
    """`subscriptions list --json`, `feeds list --json` and `stats --json` escaped every non-ASCII character
    ("\\u00c9lys\\u00e9e") while events, alerts and dead kept it as written: every --json line now keeps text as
    written and escapes only what readers take for line breaks, as `json_line` does."""
    from producers.schedule import FeedSchedule

    added = cli.invoke(main, ["subscriptions", "add", "Élysée desk", "Élysée OR 北京"])
    assert added.exit_code == 0, added.output
    FeedSchedule(client).add("https://zürich.example/feed.xml", name="Zürcher\u2028Nachrichten")  # a feed's title
    for command in (["subscriptions", "list", "--json"], ["feeds", "list", "--json"], ["stats", "--json"]):
        done = cli.invoke(main, command)
        assert done.exit_code == 0, done.output
        assert "\\u00" not in done.output and "\\u5317" not in done.output, (command, done.output)
        assert len(done.output.splitlines()) == len(done.output.split("\n")) - 1, (command, done.output)
        [json.loads(line) for line in done.output.splitlines()]
    listed = cli.invoke(main, ["subscriptions", "list", "--json"]).output
    assert "Élysée" in listed and "北京" in listed
    feeds = cli.invoke(main, ["feeds", "list", "--json"]).output
    assert "Zürcher\\u2028Nachrichten" in feeds and "\u2028" not in feeds, feeds


def test_the_config_may_come_before_the_command(cli: CliRunner, client: redis.Redis, tmp_path: Path) -> None:
    """`wirewatch -c FILE subscriptions add …` reads FILE (it was "No such option: -c"); a command's own -c wins."""
    config = tmp_path / "one.yml"
    config.write_text("limits:\n  max_subscriptions: 1\n")
    assert cli.invoke(main, ["-c", str(config), "subscriptions", "add", "a", "china"]).exit_code == 0
    refused = cli.invoke(main, ["-c", str(config), "subscriptions", "add", "b", "china"])
    assert refused.exit_code == 1 and "at most 1 subscription (limits.max_subscriptions)" in refused.output, refused.output
    roomy = tmp_path / "roomy.yml"
    roomy.write_text("limits:\n  max_subscriptions: 5\n")
    taken = cli.invoke(main, ["-c", str(config), "subscriptions", "add", "b", "china", "-c", str(roomy)])
    assert taken.exit_code == 0, taken.output
