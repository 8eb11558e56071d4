"""The listing tables on a terminal as narrow as 80 columns, and with long names beside long titles."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from rich.cells import cell_len

from tests.api.test_read import make_alert
from tests.api.test_read import make_event as make_event_json
from tests.test_cli import example  # noqa: F401 - the fixture is used by name
from wirewatch import constants as c
from worker.stories import STORIES_INDEX, story_articles_key, story_key, story_sources_key

LONG_SOURCE = "The Example Evening Chronicle and Gazette: Latest News, Sport and Weather"  # feed titles run long
TITLES = [
    "Harbour bridge reopens after six months of repairs " * 4,
    "ירושלים: talks resume, says العربية desk",
    "Launch 🚀 of the 中文 probe",
]


# Bold and the like, which NO_COLOR leaves on, and a progress bar's cursor moves. (On a "dumb" terminal rich takes
# 80 columns, whatever COLUMNS says.)
ANSI_STYLE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _on_terminal(args: list[str], env: dict[str, str], columns: int, cwd: Path | None = None) -> list[str]:
    """The lines ``wirewatch ARGS`` prints on a terminal ``columns`` wide (a pseudo-terminal)."""
    leader, follower = os.openpty()
    with subprocess.Popen([sys.executable, "-m", "wirewatch", *args], stdout=follower, stderr=subprocess.PIPE,
                          env={**env, "COLUMNS": str(columns), "TERM": "xterm", "NO_COLOR": "1"}, cwd=cwd) as proc:  # fmt: skip
        os.close(follower)
        out = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal's other end closed: the command is done
                break
            if not chunk:
                break
            out += chunk
        err = proc.stderr.read().decode() if proc.stderr else ""
    os.close(leader)
    assert proc.returncode == 0, err[-2000:]
    lines = ANSI_STYLE.sub("", out.decode()).replace("\r\n", "\n").split("\n")
    return [line.rpartition("\r")[2] for line in lines if line.rpartition("\r")[2]]  # what a redrawn line ended as


@pytest.fixture
def env(client: redis.Redis, redis_url: str, tmp_path: Path) -> dict[str, str]:
    """Events, alerts, a story and dead letters whose titles sit beside a long source name."""
    now_ms = int(time.time() * 1000)
    for n, title in enumerate(TITLES):
        event, alert = make_event_json(n), make_alert(n)
        event["title"], event["source"]["name"] = title, LONG_SOURCE
        alert["title"], alert["subscription"]["name"] = title, LONG_SOURCE
        client.xadd(c.EVENTS_STREAM, {"id": event["id"], "event": json.dumps(event)})
        client.xadd(c.ALERTS_STREAM, {"id": alert["id"], "event": json.dumps(alert)})
        client.set(c.article_key(event["id"]), json.dumps(event))
        client.xadd(c.DEAD_STREAM, {"delivery_id": f"d{n}", "source": LONG_SOURCE, "at": str(now_ms),
                                    "reason": f"invalid_record: {title}"})  # fmt: skip
        story = event["id"]
        client.hset(story_key(story), mapping={"title": title, "first_article_id": story, "article_count": 1,
                                               "source_count": 1, "first_seen": now_ms, "last_seen": now_ms})  # fmt: skip
        client.zadd(story_sources_key(story), {LONG_SOURCE: now_ms})
        client.rpush(story_articles_key(story), story)
        client.zadd(STORIES_INDEX, {story: now_ms + n})
    return {**os.environ, "WIREWATCH_REDIS_URL": redis_url, "WIREWATCH_CONFIG": "",
            "WIREWATCH_DATA_DIR": str(tmp_path / "data")}  # fmt: skip


@pytest.mark.parametrize("columns", [40, 80, 160])
@pytest.mark.parametrize("command", [["events"], ["alerts"], ["stories"], ["stories", "show", "e000000000000000"],
                                     ["dead"]])  # fmt: skip
def test_tables_fit_the_terminal_and_keep_titles_and_ids(env: dict[str, str], command: list[str],
                                                         columns: int) -> None:  # fmt: skip
    """Each table fits the terminal's width and shows every title (or dead letter's reason) and every id in
    full. On 80 columns the title column was cropped off the right edge altogether (`events` showed no titles),
    and beside a long source name it went the same way on 160; on 40 (a split pane, a phone) the times and ids
    alone were left, the ids cut to 12 characters."""
    lines = _on_terminal(command, env, columns)
    assert all(cell_len(line) <= columns for line in lines), "\n".join(lines)
    shown = "\n".join(lines)
    joined = " ".join(" ".join(line.replace("│", " ").split()) for line in lines)  # wrapped cells read on
    ids = [f"d{n}" for n in range(3)] if command == ["dead"] else [f"e{n:015d}" for n in range(len(TITLES))]
    ids = ids[:1] if command[:2] == ["stories", "show"] else [] if command == ["alerts"] else ids  # alerts: no id
    for ident in ids:
        assert ident in shown, (ident, shown)
    firsts = [t.split()[0] for t in TITLES][: 1 if command[:2] == ["stories", "show"] else len(TITLES)]
    for first in firsts:
        assert first in joined, (first, shown)


FEED_URLS = ["https://feeds.bbci.co.uk/news/world/rss.xml",
             "https://www.example.org/a/long/path/to/a/feed/rss.xml?format=rss&category=world-news"]  # fmt: skip


@pytest.mark.parametrize("columns", [80, 160])
def test_feeds_and_subscriptions_fit_the_terminal_with_urls_and_ids_readable(client: redis.Redis, env: dict[str, str],
                                                                             columns: int) -> None:  # fmt: skip
    """`feeds list` keeps 30 columns or more for a feed's URL and its headers whole (on 80 columns the URL was
    folded 6 characters a line, and "last success" cut to "succe…"); `subscriptions list` keeps each id, which
    `subscriptions remove` takes, on one line (it was split in two)."""
    from producers.schedule import FeedSchedule
    from worker.subscriptions import put_subscription, validate

    for url in FEED_URLS:
        FeedSchedule(client).add(url, name=LONG_SOURCE)
    hook = "https://hooks.example.com/wirewatch/a/long/path/to/the/endpoint"
    subs = [
        validate(f"fentanyl-china-{n}", " OR ".join(f"term{i}" for i in range(30)), hook, "s" * 32) for n in range(2)
    ]
    for sub in subs:
        put_subscription(client, sub)
    feeds = _on_terminal(["feeds", "list"], env, columns)
    assert all(cell_len(line) <= columns for line in feeds), "\n".join(feeds)
    assert any(FEED_URLS[0][:30] in line for line in feeds), "\n".join(feeds)
    assert f"{len(FEED_URLS)} feeds" in feeds, "\n".join(feeds)  # the heading alone, not padded with spaces
    header = " ".join(" ".join(line.replace("┃", " ").split()) for line in feeds if "┃" in line)
    assert all(name in header for name in ("url", "status", "next poll")) and "…" not in header, header
    listed = _on_terminal(["subscriptions", "list"], env, columns)
    assert all(cell_len(line) <= columns for line in listed), "\n".join(listed)
    for sub in subs:
        assert sub.id in "\n".join(listed), "\n".join(listed)


def test_run_once_on_a_terminal_lists_titles_and_whole_ids(example: Path) -> None:  # noqa: F811 - fixture by name
    """`run --once` on an 80-column terminal lists the new events with their titles and whole ids (the title
    column was cropped off and the ids cut)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIREWATCH_")}
    lines = _on_terminal(["run", "--once", "-c", str(example)], {**env, "WIREWATCH_HTTP__PORT": "0"}, 80)
    summary = lines[next(i for i, line in enumerate(lines) if line.startswith("wirewatch run — ")) :]
    assert all(cell_len(line) <= 80 for line in summary), "\n".join(summary)
    shown = "\n".join(summary)
    assert "new events" in summary, shown  # the heading alone on its line, not padded to the table's width
    assert "Harbour bridge reopens" in shown and "Rail strike" in shown, shown
    events = [json.loads(line) for line in subprocess.run(
        [sys.executable, "-m", "wirewatch", "events", "--json", "-c", str(example)], capture_output=True, text=True,
        env=env, timeout=60, check=True).stdout.splitlines()]  # fmt: skip
    assert events and all(e["id"] in shown for e in events), shown
    # Listed in the order they were emitted (the stream's): the rows came in the order of a set of delivery ids.
    assert sorted(events, key=lambda e: shown.index(e["id"])) == events, shown
