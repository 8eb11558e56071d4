"""Feeds end to end, as a user runs them: `wirewatch feeds ...` and `run --once` against a loopback server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.producers.feed_server import FeedServer, running_server

WORDS = "the council voted on tuesday to expand the harbour after months of debate among residents and experts"


def _wirewatch(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wirewatch", *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "WIREWATCH_LOG_LEVEL": "warning"})  # fmt: skip


def _rss(title: str, items: range) -> bytes:
    body = "".join(
        f"<item><title>{title} story {i}</title><link>https://{title.lower()}.example/s/{i}</link>"
        f"<guid>{title}-{i}</guid><pubDate>Sun, 29 Nov 2026 {i:02d}:00:00 GMT</pubDate>"
        f"<description>Story {i} from {title}: {WORDS} number {i} in {title}. {WORDS.upper()} {i}.</description>"
        "</item>"
        for i in items
    )
    return f'<rss version="2.0"><channel><title>{title}</title>{body}</channel></rss>'.encode()


@pytest.fixture
def server() -> FeedServer:
    with running_server() as s:
        yield s  # type: ignore[misc]


def _config(tmp_path: Path, feeds: list[str]) -> Path:
    config = tmp_path / "wirewatch.yml"
    lines = ["data_dir: data", "allow_private_networks: true", "workers: 1", "feeds:"]
    lines += [f"  - url: {url}" for url in feeds]
    config.write_text("\n".join(lines) + "\n")
    return config


def test_run_once_emits_each_feed_item_once(tmp_path: Path, server: FeedServer) -> None:
    """run --once polls every configured feed: one event per item with source.feed set; a second run sends
    conditional requests and emits nothing new."""
    urls = [server.set("/alpha.xml", _rss("Alpha", range(4))), server.set("/beta.xml", _rss("Beta", range(3)))]
    config = _config(tmp_path, urls)
    first = _wirewatch("run", "--once", "-c", str(config))
    assert first.returncode == 0, first.stderr[-3000:]
    listed = _wirewatch("events", "--json", "--limit", "0", "-c", str(config))
    events = [json.loads(line) for line in listed.stdout.splitlines()]
    assert len(events) == 7
    assert {e["source"]["feed"] for e in events} == set(urls)
    assert {e["title"] for e in events} >= {"Alpha story 0", "Beta story 2"}
    second = _wirewatch("run", "--once", "-c", str(config))
    assert second.returncode == 0, second.stderr[-3000:]
    assert "emitted" not in second.stdout
    for path in ("/alpha.xml", "/beta.xml"):
        last = server.requests_for(path)[-1]
        assert last.status == 304 and "if-none-match" in last.headers
    health = _wirewatch("feeds", "list", "--json", "-c", str(config))
    rows = [json.loads(line) for line in health.stdout.splitlines()]
    assert sorted(r["items_seen"] for r in rows) == [3, 4]
    assert all(r["last_status"] == "not_modified" and r["error_streak"] == 0 for r in rows)


def test_feeds_commands_and_opml_round_trip(tmp_path: Path) -> None:
    """feeds add / import / export / list / remove; an exported OPML imports back to the same feeds."""
    config = _config(tmp_path, [])
    config.write_text(config.read_text().replace("feeds:\n", ""))
    opml = tmp_path / "in.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head><title>x</title></head><body>'
        '<outline text="News"><outline text="One &amp; Co" xmlUrl="https://one.example/rss"/>'
        '<outline title="Two" text="2" xmlUrl="https://two.example/atom"/></outline>'
        '<outline text="no feed"/><outline text="dup" xmlUrl="https://ONE.example:443/rss"/></body></opml>'
    )
    assert _wirewatch("feeds", "import", str(opml), "-c", str(config)).stdout.strip() == "imported 2 feeds (2 new)"
    added = _wirewatch("feeds", "add", "https://three.example/feed", "--name", "Three", "--interval", "15m",
                       "-c", str(config))  # fmt: skip
    assert added.returncode == 0 and added.stdout.strip() == "added https://three.example/feed", added.stderr
    again = _wirewatch("feeds", "add", "https://Three.Example/feed", "--name", "Three", "--interval", "20m",
                       "-c", str(config))  # fmt: skip
    assert again.stdout.strip() == "updated the settings of https://three.example/feed"
    bad = _wirewatch("feeds", "add", "ftp://nope.example/feed", "-c", str(config))
    assert bad.returncode == 2
    exported = _wirewatch("feeds", "export", "-o", str(tmp_path / "out.opml"), "-c", str(config))
    assert exported.returncode == 0, exported.stderr
    odd = _wirewatch("feeds", "add", "https://two.example/atom", "--name", "[Wire] [/]x", "-c", str(config))
    assert odd.returncode == 0, odd.stderr
    listed = _wirewatch("feeds", "list", "-c", str(config))
    assert listed.returncode == 0, listed.stderr  # a name in rich's markup syntax is shown, not read
    assert "https://two.example/atom" in listed.stdout and "Three" in listed.stdout and "[Wire] [/]x" in listed.stdout
    for url in ("https://one.example/rss", "https://two.example/atom", "https://three.example/feed"):
        assert _wirewatch("feeds", "remove", url, "-c", str(config)).returncode == 0
    assert _wirewatch("feeds", "remove", "https://one.example/rss", "-c", str(config)).returncode == 1
    back = _wirewatch("feeds", "import", str(tmp_path / "out.opml"), "-c", str(config))
    assert back.stdout.strip() == "imported 3 feeds (3 new)"
    rows = [json.loads(x) for x in _wirewatch("feeds", "list", "--json", "-c", str(config)).stdout.splitlines()]
    assert {(r["url"], r["name"]) for r in rows} == {
        ("https://one.example/rss", "One & Co"),
        ("https://two.example/atom", "Two"),
        ("https://three.example/feed", "Three"),
    }
    # imported feeds get the floor `feeds add` and a config entry get (10 minutes; it was 5), unless the file is a
    # wirewatch export that says theirs (Three's 20 minutes); the list shows the floor a later `feeds add
    # --interval` sets, beside the current interval
    assert {r["url"]: r["min_interval_s"] for r in rows} == {
        "https://one.example/rss": 600.0, "https://two.example/atom": 600.0, "https://three.example/feed": 1200.0}  # fmt: skip
    assert _wirewatch("feeds", "add", "https://one.example/rss", "--interval", "1h", "-c", str(config)).returncode == 0
    rows = [json.loads(x) for x in _wirewatch("feeds", "list", "--json", "-c", str(config)).stdout.splitlines()]
    assert {r["url"]: r["min_interval_s"] for r in rows}["https://one.example/rss"] == 3600.0
    assert "(≥ 1h)" in _wirewatch("feeds", "list", "-c", str(config)).stdout


def test_run_once_on_real_feeds_over_loopback(tmp_path: Path, server: FeedServer, corpus: Path) -> None:
    """Real feeds from the benchmark corpus served over loopback: run --once settles every item without a
    crash, and yields an event for (nearly) every distinct link feedparser finds in them."""
    import gzip
    import io

    import feedparser

    from producers.feeds import parse_feed

    folder = corpus / "feeds" / "fastfeedparser" / "benchmark_data"
    bodies = sorted(((p.name, gzip.decompress(p.read_bytes())) for p in folder.glob("*.gz")), key=lambda x: len(x[1]))
    chosen = [(name, body) for name, body in bodies if b"<item" in body or b"<entry" in body][:12]
    urls = [server.set(f"/{name}", body, content_type="application/xml") for name, body in chosen]
    links: set[str] = set()
    for _, body in chosen:
        parsed = feedparser.parse(io.BytesIO(body), resolve_relative_uris=False, sanitize_html=False)
        links.update(e["link"] for e in parsed.entries if e.get("link", "").startswith("http"))
    config = _config(tmp_path, urls)
    result = _wirewatch("run", "--once", "--timeout", "300", "-c", str(config), timeout=400)
    assert result.returncode == 0, result.stderr[-3000:]
    items = sum(len(parse_feed(body, feed_url=url).articles) for (_, body), url in zip(chosen, urls, strict=True))
    health = _wirewatch("feeds", "list", "--json", "-c", str(config))
    rows = [json.loads(line) for line in health.stdout.splitlines()]
    assert sum(r["items_seen"] for r in rows) == items  # every distinct item handed on, once
    assert all(r["last_status"] == "ok" for r in rows)
    assert "not settled" not in result.stdout  # and every one settled in the pipeline
    listed = _wirewatch("events", "--json", "--limit", "0", "-c", str(config))
    events = [json.loads(line) for line in listed.stdout.splitlines()]
    assert {e["source"]["feed"] for e in events} <= set(urls)
    # items the pipeline rejects (no title, too little text) make no event; the rest make one each
    assert len({e["url"] for e in events} & links) >= 0.8 * len(links), sorted(links - {e["url"] for e in events})


def _events(config: Path) -> list[dict[str, object]]:
    out = _wirewatch("events", "--json", "--limit", "0", "-c", str(config))
    return [json.loads(line) for line in out.stdout.splitlines()]


def _wait_events(config: Path, count: int, timeout: float = 90) -> list[dict[str, object]]:
    deadline = time.monotonic() + timeout
    events = _events(config)
    while len(events) < count and time.monotonic() < deadline:
        time.sleep(1)
        events = _events(config)
    return events


def test_run_polls_configured_feeds_and_feeds_added_while_running(tmp_path: Path, server: FeedServer) -> None:
    """`wirewatch run` polls the configured feed through the scheduler and the feeds queue, then a feed added
    with `feeds add` while it runs; SIGINT stops it cleanly."""
    alpha = server.set("/alpha.xml", _rss("Alpha", range(2)))
    beta = server.set("/beta.xml", _rss("Beta", range(3)))
    config = _config(tmp_path, [alpha])
    log_file = (tmp_path / "run.log").open("w")  # a file, not a pipe: a full pipe would stall the run
    proc = subprocess.Popen([sys.executable, "-m", "wirewatch", "run", "-c", str(config)],
                            stdout=subprocess.DEVNULL, stderr=log_file, text=True,
                            env={**os.environ, "WIREWATCH_LOG_LEVEL": "warning"})  # fmt: skip
    try:
        # let `run` bring up its embedded Redis before another command looks for it
        sock = tmp_path / "data" / "redis" / "redis.sock"
        deadline = time.monotonic() + 60
        while not sock.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1)
        assert len(_wait_events(config, 2)) == 2
        assert _wirewatch("feeds", "add", beta, "-c", str(config)).returncode == 0
        events = _wait_events(config, 5)
        assert len(events) == 5
        assert {e["source"]["feed"] for e in events} == {alpha, beta}  # type: ignore[index]
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=90)
        log_file.close()
    assert proc.returncode == 0, (tmp_path / "run.log").read_text()[-2000:]


def test_import_keeps_the_settings_of_feeds_already_monitored(tmp_path: Path) -> None:
    """`feeds import` adds new feeds and leaves those already monitored as they were (full text, name), only
    naming one that had no name; `feeds add` refuses a URL too long for a poll message, saying why."""
    config = _config(tmp_path, [])
    config.write_text(config.read_text().replace("feeds:\n", ""))
    for args in (["https://one.example/rss", "--full-text", "--interval", "1h"],
                 ["https://two.example/atom", "--name", "Mine", "--full-text"]):  # fmt: skip
        assert _wirewatch("feeds", "add", *args, "-c", str(config)).returncode == 0
    opml = tmp_path / "in.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><body><outline text="One" xmlUrl="https://one.example/rss"/>'
        '<outline text="Two" xmlUrl="https://two.example/atom"/><outline text="New" xmlUrl="https://new.example/"/>'
        "</body></opml>"
    )
    assert _wirewatch("feeds", "import", str(opml), "-c", str(config)).stdout.strip() == "imported 3 feeds (1 new)"
    rows = {
        r["url"]: r
        for r in map(json.loads, _wirewatch("feeds", "list", "--json", "-c", str(config)).stdout.splitlines())
    }
    assert (rows["https://one.example/rss"]["name"], rows["https://one.example/rss"]["full_text"]) == ("One", True)
    assert (rows["https://two.example/atom"]["name"], rows["https://two.example/atom"]["full_text"]) == ("Mine", True)
    assert (rows["https://new.example/"]["name"], rows["https://new.example/"]["full_text"]) == ("New", False)
    long = _wirewatch("feeds", "add", "https://long.example/" + "a" * 4000, "-c", str(config))
    assert long.returncode == 2 and "at most 4000" in long.stderr


def test_a_feed_moved_by_a_permanent_redirect_is_listed_and_polled_at_its_new_url(
    tmp_path: Path, server: FeedServer
) -> None:
    """A configured feed that answers 301: `feeds list` shows it at its new URL (and the URL it was added as), the
    next run polls the new URL without the redirect and sends nothing again, and `feeds remove NEW` removes it."""
    new = server.set("/moved.xml", _rss("Alpha", range(3)))
    old = server.url("/redirect?code=301&to=/moved.xml")
    config = _config(tmp_path, [old])
    first = _wirewatch("run", "--once", "-c", str(config))
    assert first.returncode == 0, first.stderr[-3000:]
    [row] = [json.loads(line) for line in _wirewatch("feeds", "list", "--json", "-c", str(config)).stdout.splitlines()]
    assert (row["url"], row["added_as"], row["items_seen"]) == (new, old, 3)
    assert new in _wirewatch("feeds", "list", "-c", str(config)).stdout
    second = _wirewatch("run", "--once", "-c", str(config))  # the config still names the old URL: the same feed
    assert second.returncode == 0, second.stderr[-3000:]
    assert "emitted" not in second.stdout and len(server.requests_for("/redirect")) == 1
    assert server.requests_for("/moved.xml")[-1].status == 304
    assert len(_events(config)) == 3
    assert _wirewatch("feeds", "remove", new, "-c", str(config)).returncode == 0
    assert _wirewatch("feeds", "list", "--json", "-c", str(config)).stdout == ""


def test_a_feed_moved_twice_is_one_feed_under_every_url_and_its_moves_are_listed(
    tmp_path: Path, server: FeedServer
) -> None:
    """A configured feed moved A → B, then B → C: `feeds list` shows it at C with its last move (from B to C,
    when); `feeds add B` and an OPML naming B update that feed, saying where it is now, instead of adding one that
    would hand every item on again; `feeds remove B` removes it, naming C."""
    server.set("/b.xml", _rss("Alpha", range(3)))
    server.set("/a.xml", b"", status=301, headers={"Location": "/b.xml"})
    a, b, c = server.url("/a.xml"), server.url("/b.xml"), server.url("/c.xml")
    config = _config(tmp_path, [a])
    assert _wirewatch("run", "--once", "-c", str(config)).returncode == 0
    server.set("/c.xml", _rss("Alpha", range(4)))
    server.set("/b.xml", b"", status=301, headers={"Location": "/c.xml"})
    second = _wirewatch("run", "--once", "-c", str(config))
    assert second.returncode == 0, second.stderr[-3000:]
    [row] = [json.loads(x) for x in _wirewatch("feeds", "list", "--json", "-c", str(config)).stdout.splitlines()]
    assert (row["url"], row["added_as"], row["items_seen"]) == (c, a, 4)
    assert (row["last_move"]["from_url"], row["last_move"]["to_url"]) == (b, c) and row["last_move"]["at"]
    assert row["last_hint_clamp"] is None
    table = _wirewatch("feeds", "list", "-c", str(config)).stdout
    assert "moved" in table and "/b.xml" in table

    added = _wirewatch("feeds", "add", b, "--name", "Alpha wire", "-c", str(config))
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == f"updated the settings of {c} (the feed at {b} moved there)"
    opml = tmp_path / "b.opml"
    opml.write_text(f'<opml version="2.0"><body><outline text="B" xmlUrl="{b}"/></body></opml>')
    assert _wirewatch("feeds", "import", str(opml), "-c", str(config)).stdout.strip() == "imported 1 feeds (0 new)"
    rows = [json.loads(x) for x in _wirewatch("feeds", "list", "--json", "-c", str(config)).stdout.splitlines()]
    assert [(r["url"], r["name"]) for r in rows] == [(c, "Alpha wire")]
    third = _wirewatch("run", "--once", "-c", str(config))
    assert third.returncode == 0 and "emitted" not in third.stdout
    assert len(_events(config)) == 4

    removed = _wirewatch("feeds", "remove", b, "-c", str(config))
    assert removed.returncode == 0 and removed.stdout.strip() == f"removed {c} (the feed at {b} moved there)"
    assert _wirewatch("feeds", "list", "--json", "-c", str(config)).stdout == ""


def test_an_exported_feed_imports_back_with_its_settings_and_without_a_made_up_name(tmp_path: Path) -> None:
    """`feeds export` then `feeds import` gives back the same feeds: an unnamed feed stays unnamed (its outline's text
    is its URL, which is no name: it used to become the feed's name, and so every article's source name), and a
    feed's interval and full text come back; an interval under a minute in a file is not taken."""
    config = _config(tmp_path, [])
    config.write_text(config.read_text().replace("feeds:\n", ""))
    assert _wirewatch("feeds", "add", "https://one.example/rss", "-c", str(config)).returncode == 0
    assert _wirewatch("feeds", "add", "https://two.example/atom", "--name", "Two", "--interval", "45m",
                      "--full-text", "-c", str(config)).returncode == 0  # fmt: skip
    out = tmp_path / "out.opml"
    assert _wirewatch("feeds", "export", "-o", str(out), "-c", str(config)).returncode == 0
    for url in ("https://one.example/rss", "https://two.example/atom"):
        assert _wirewatch("feeds", "remove", url, "-c", str(config)).returncode == 0
    assert _wirewatch("feeds", "import", str(out), "-c", str(config)).stdout.strip() == "imported 2 feeds (2 new)"
    rows = {r["url"]: r for r in map(json.loads, _wirewatch("feeds", "list", "--json", "-c", str(config)).stdout.splitlines())}
    assert rows["https://one.example/rss"]["name"] is None
    assert rows["https://one.example/rss"]["min_interval_s"] == 600.0 and not rows["https://one.example/rss"]["full_text"]
    assert rows["https://two.example/atom"]["name"] == "Two"
    assert rows["https://two.example/atom"]["min_interval_s"] == 2700.0 and rows["https://two.example/atom"]["full_text"]
    fast = tmp_path / "fast.opml"
    fast.write_text('<opml version="2.0"><body><outline text="x" xmlUrl="https://three.example/rss" '
                    'wirewatchInterval="5"/></body></opml>')  # fmt: skip
    assert _wirewatch("feeds", "import", str(fast), "-c", str(config)).returncode == 0
    rows = {r["url"]: r for r in map(json.loads, _wirewatch("feeds", "list", "--json", "-c", str(config)).stdout.splitlines())}
    assert rows["https://three.example/rss"]["min_interval_s"] == 600.0


def test_a_feed_at_a_private_address_is_refused_when_added(tmp_path: Path) -> None:
    """Without allow_private_networks a fetch refuses loopback, private and link-local addresses; a feed whose host
    is written as one (or is localhost) was added, then failed at every poll, seen only as an error streak in
    `feeds list`. It is refused when added (`feeds add`: a usage error; `feeds import`: the others are imported,
    each refused one named, exit 1; the config file: a config error), as a webhook to such a host is."""
    config = tmp_path / "wirewatch.yml"
    config.write_text("data_dir: data\nworkers: 1\n")
    for url in ("http://127.0.0.1:8080/feed.xml", "http://localhost/rss", "http://10.1.2.3/atom",
                "http://[::1]:8000/feed", "http://169.254.169.254/latest", "http://2130706433/feed"):  # fmt: skip
        done = _wirewatch("feeds", "add", url, "-c", str(config))
        assert done.returncode == 2, (url, done.stdout, done.stderr[-2000:])
        assert "never fetched without allow_private_networks" in done.stderr, done.stderr[-2000:]
    opml = tmp_path / "mixed.opml"
    opml.write_text('<?xml version="1.0"?><opml version="2.0"><body><outline text="Public" xmlUrl="https://one.example/rss"/>'
                    '<outline text="Local" xmlUrl="http://192.168.1.5/rss"/></body></opml>')  # fmt: skip
    imported = _wirewatch("feeds", "import", str(opml), "-c", str(config))
    assert imported.returncode == 1 and imported.stdout.strip() == "imported 1 feeds (1 new)", imported.stderr
    assert imported.stderr.splitlines() == ["wirewatch: not imported: http://192.168.1.5/rss: a feed at a loopback, "
                                            "private or link-local address is never fetched without "
                                            "allow_private_networks (set it to watch a feed on your own network)"]
    listed = [json.loads(x)["url"] for x in _wirewatch("feeds", "list", "--json", "-c", str(config)).stdout.splitlines()]
    assert listed == ["https://one.example/rss"]
    configured = tmp_path / "local.yml"
    configured.write_text("data_dir: data\nfeeds:\n  - url: https://two.example/atom\n  - url: http://localhost:9/rss\n")
    stats = _wirewatch("stats", "-c", str(configured))
    assert stats.returncode == 2 and "config error: feeds.1.url: a feed at a loopback" in stats.stderr, stats.stderr
    allowed = tmp_path / "allowed.yml"
    allowed.write_text(configured.read_text() + "allow_private_networks: true\n")
    assert _wirewatch("stats", "-c", str(allowed)).returncode == 0
    added = _wirewatch("feeds", "add", "http://127.0.0.1:8080/feed.xml", "-c", str(allowed))
    assert added.returncode == 0 and added.stdout.strip() == "added http://127.0.0.1:8080/feed.xml", added.stderr
    named = _wirewatch("feeds", "add", "https://feeds.example.org/rss", "-c", str(config))
    assert named.returncode == 0, named.stderr  # a name: what it resolves to is checked at each poll
