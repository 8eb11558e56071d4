"""Log lines hold no secrets and cannot drive an operator's terminal (docs/decisions.md, "Security review
(2026-11-30)"): bearer tokens in tracebacks, passwords in URLs, escape sequences in messages."""

from __future__ import annotations

import io
import logging
import random
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from producers.fetch import FetchPolicy
from producers.poll import poll_feed
from producers.schedule import FeedSchedule, HostGate
from tests.api.conftest import WRITE, WRITE_TOKEN, http_settings
from tests.producers.feed_server import running_server
from tests.producers.test_poll import Clock, Sink
from wirewatch import constants as c
from wirewatch import logs
from wirewatch.api.auth import token_id
from wirewatch.api.server import serving


@pytest.fixture(params=["console", "json"])
def log_output(request: pytest.FixtureRequest) -> Iterator[io.StringIO]:
    """Logging configured as a process does (console on a terminal, JSON off one) into a buffer; the tests'
    own configuration is put back after."""
    buffer = io.StringIO()
    logs._configured = None
    logs.configure_logging("info", request.param, stream=buffer)
    try:
        yield buffer
    finally:
        logs._configured = None
        logs.configure_logging("warning", "json")


def test_a_500_traceback_does_not_print_the_bearer_token(
    log_output: io.StringIO, redis_url: str, client: redis.Redis, tmp_path: Path
) -> None:
    """A request that fails inside the token check (here: Redis answers the rate counter with an error) logs its
    traceback without the values of local variables; structlog's console default printed them, and with them the
    token the request presented, in plain text."""
    settings = http_settings(redis_url, tmp_path)
    window = int(time.time() // max(1, int(settings.http.rate_window)))
    for w in (window - 1, window, window + 1, window + 2):  # the counter is not a counter: INCR fails
        client.hset(c.rate_key(f"token:{token_id(WRITE_TOKEN)}", w), "x", "1")
    with serving(settings, redis_url) as base, httpx.Client(base_url=base, timeout=10) as http:
        assert http.get("/v1/events", headers=WRITE).status_code == 500
        time.sleep(0.2)  # the server thread logs the traceback after answering
    written = log_output.getvalue()
    assert "Traceback" in written or "traceback" in written
    assert WRITE_TOKEN not in written


def test_a_password_in_a_feed_url_is_redacted_in_the_log(log_output: io.StringIO, client: redis.Redis) -> None:
    """A feed configured as https://user:password@host/… is refused by the fetch (credentials in URLs are not
    sent); the poll's log line names the feed without the password (it used to print it whole)."""
    with running_server() as feed_server:
        _poll_once(client, feed_server.set("/feed.xml", b"<rss/>").replace("http://", "http://bob:hunter2@"))
    written = log_output.getvalue()
    assert "bob:[redacted]@" in written
    assert "hunter2" not in written


def _poll_once(client: redis.Redis, url: str) -> None:
    schedule, gate, sink, clock = FeedSchedule(client), HostGate(client, delay_s=0.0), Sink(), Clock()
    schedule.add(url, now=clock())
    claim = schedule.claim(url, now=clock())
    assert claim is not None
    poll_feed(schedule, gate, claim, sink, policy=FetchPolicy(allow_private_networks=True), now=clock,
              rng=random.Random(1))  # fmt: skip


def test_redis_and_token_urls_are_redacted_wherever_they_appear(log_output: io.StringIO) -> None:
    """In a value, in another library's message and in an exception's text, a URL's password (or a token used
    as its user name) is redacted; URLs without credentials, IPv6 literals included, are left alone."""
    password, token = "p4ss" + "w0rd", "ghp_" + "T0k3n"  # built here, so no traceback's source line shows them
    log = logs.get_logger(f"wirewatch.test_security_logs.{random.random()}")  # not cached by an earlier test
    log.warning("redis_unreachable", url=f"redis://:{password}@redis:6379/0", feed="http://[::1]:8080/rss")
    logging.getLogger("kombu.test").error("cannot connect to %s", f"redis://default:{password}@10.0.0.5:6379/1")
    try:
        raise ConnectionError(f"no answer from https://{token}@git.example/feed.xml")
    except ConnectionError:
        log.exception("feed_poll_crashed")
    written = log_output.getvalue()
    assert password not in written and token not in written
    assert "redis://:[redacted]@redis:6379/0" in written and "redis://default:[redacted]@10.0.0.5" in written
    assert "https://[redacted]@git.example/feed.xml" in written and "http://[::1]:8080/rss" in written


def test_terminal_escapes_in_a_message_are_shown_not_obeyed(log_output: io.StringIO) -> None:
    """A message of another library carrying a sender's text (a title, a file name) with ESC sequences, a
    line break and a bidi override is printed with those characters escaped: on the console they retitled
    the terminal, cleared it or faked a log line."""
    evil = "title\x1b]0;owned\x07\x1b[2J\n2026-11-30T00:00:00Z [error    ] fake_line \u202eevil"
    logging.getLogger("celery.test").error("task failed: %s", evil)
    written = log_output.getvalue()
    assert "\x1b" not in written and "\u202e" not in written and "\x07" not in written
    assert written.count("\n") == 1  # one line
