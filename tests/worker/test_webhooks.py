"""Webhook delivery against a real local HTTP receiver: signatures, retries, giving up, the Celery queue."""

from __future__ import annotations

import http.server
import re
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import formatdate
from pathlib import Path
from typing import Any

import pytest
import redis
from celery.contrib.testing.worker import start_worker

from schemas import Subscription
from tests.helpers import free_port
from wirewatch import constants as c
from wirewatch.latency import read_histograms
from wirewatch.queue import WEBHOOK_TASK
from wirewatch.settings import Settings
from worker.subscriptions import SubscriptionIndex, put_subscription, webhook_off
from worker.webhooks import (
    WebhookFailed,
    WebhookMessage,
    WebhookRefused,
    WebhookRejected,
    attempt_delivery,
    backoff_s,
    deliver,
    sign,
    verify,
    worth_retrying,
)

SECRET = "s3cret-s3cret-s3cret"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "http.md"


class Receiver:
    """A local HTTP server that records requests (and when they came) and answers with the statuses it is told
    to; an answer may be `(status, headers)`."""

    def __init__(self, statuses: list[int | tuple[int, dict[str, str]]], delay_s: float = 0.0) -> None:
        self.statuses = statuses
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.times: list[float] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                receiver.times.append(time.monotonic())
                time.sleep(delay_s)  # a slow receiver: the POST takes this long
                answer = receiver.statuses.pop(0) if receiver.statuses else 200
                status, headers = answer if isinstance(answer, tuple) else (answer, {})
                if "Date" in headers:  # the test's own Date, not the one send_response adds
                    self.send_response_only(status)
                else:
                    self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def alert_ids(self) -> list[str]:
        """The alert ids POSTed, in the order they came."""
        return [headers["X-Wirewatch-Alert-Id"] for headers, _ in self.requests]

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


def _dead_url() -> str:
    """A loopback port nothing listens on."""
    return f"http://127.0.0.1:{free_port()}/hook"


def test_signature_round_trip_and_refusals() -> None:
    """verify() accepts what sign() made and refuses another body, secret or a stale timestamp."""
    now = 1_764_400_000
    sig = sign(SECRET, now, b'{"a": 1}')
    assert sig.startswith("sha256=") and len(sig) == 7 + 64
    assert verify(SECRET, str(now), b'{"a": 1}', sig, now=now + 10)
    assert not verify(SECRET, str(now), b'{"a": 2}', sig, now=now)
    assert not verify("other", str(now), b'{"a": 1}', sig, now=now)
    assert not verify(SECRET, str(now), b'{"a": 1}', sig, now=now + c.WEBHOOK_TOLERANCE_S + 1)
    assert not verify(SECRET, "soon", b'{"a": 1}', sig, now=now)
    # a forged header with a non-ASCII character is refused, not a TypeError (a receiver's 500)
    assert not verify(SECRET, str(now), b'{"a": 1}', "sha256=" + "é" * 64, now=now)
    assert not verify(SECRET, str(now), b'{"a": 1}', "sha256=\udc80", now=now)


def test_delivery_is_signed_over_timestamp_and_body() -> None:
    """The receiver gets the exact body with a timestamp and a signature it can verify."""
    body = b'{"schema": "wirewatch.alert/1"}'
    with Receiver([200]) as rx:
        assert deliver(rx.url, body, SECRET, allow_private=True) == 200
    [(headers, got)] = rx.requests
    assert got == body
    assert headers["Content-Type"] == "application/json"
    assert verify(SECRET, headers["X-Wirewatch-Timestamp"], got, headers["X-Wirewatch-Signature"])


def test_failures_and_refusals() -> None:
    """A 500 and a dead host fail (to be retried); a redirect and a 404 are rejected (never retried); private
    addresses are refused by default."""
    with Receiver([500, 302, 404]) as rx:
        with pytest.raises(WebhookFailed, match="500"):
            deliver(rx.url, b"{}", SECRET, allow_private=True)
        with pytest.raises(WebhookRejected, match="302"):
            deliver(rx.url, b"{}", SECRET, allow_private=True)
        with pytest.raises(WebhookRejected, match="404"):
            deliver(rx.url, b"{}", SECRET, allow_private=True)
    with pytest.raises(WebhookFailed):
        deliver(_dead_url(), b"{}", SECRET, allow_private=True, timeout_s=2)
    with pytest.raises(WebhookRefused, match="non-public"):
        deliver("http://127.0.0.1:9/hook", b"{}", SECRET)
    with pytest.raises(WebhookRefused, match="http"):
        deliver("file:///etc/passwd", b"{}", SECRET, allow_private=True)
    with Receiver([200]) as rx:  # no secret (stored around `validate`): nothing is sent unsigned
        for secret in (None, ""):
            with pytest.raises(WebhookRefused, match="never sent unsigned"):
                deliver(rx.url, b"{}", secret, allow_private=True)
        assert rx.requests == []


def test_a_name_that_rebinds_to_a_private_address_is_not_posted_to(monkeypatch: pytest.MonkeyPatch) -> None:
    """DNS rebinding: a receiver name answers a public address when it is checked and 127.0.0.1 after. The POST
    goes to the address that was checked (and fails there), never to the local receiver."""
    real = socket.getaddrinfo
    answers = ["8.8.8.8"]  # public; nothing answers on the receiver's high port there (and no route from here)

    def rebinding(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != "rebind.example":
            return real(host, port, *args, **kwargs)
        address = answers.pop(0) if answers else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port)))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    with Receiver([200]) as rx:
        port = rx.url.split(":")[2].split("/")[0]
        with pytest.raises(WebhookFailed):
            deliver(f"http://rebind.example:{port}/hook", b"{}", SECRET, timeout_s=1)
    assert rx.requests == [], "the POST reached the private address the name rebound to"


def test_a_receiver_on_the_metadata_service_is_refused_even_with_private_networks_allowed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """allow_private_networks lets webhooks reach intranet receivers, not the cloud metadata service: a receiver
    name resolving to 169.254.169.254 is refused at once (given up, never retried), nothing is sent."""
    real = socket.getaddrinfo

    def resolve(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != "hooks.attacker.example":
            return real(host, port, *args, **kwargs)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("169.254.169.254", int(port)))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    with pytest.raises(WebhookRefused, match="metadata"):
        deliver("http://hooks.attacker.example/latest/api/token", b"{}", SECRET, allow_private=True, timeout_s=2)
    with Receiver([200]) as rx:  # an intranet receiver still gets its alert
        assert deliver(rx.url, b"{}", SECRET, allow_private=True) == 200


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    """Delays grow roughly twofold per attempt, never beyond the cap, never below half the base."""
    import random

    rng = random.Random(1)
    delays = [backoff_s(n, rng) for n in range(12)]
    assert all(c.WEBHOOK_BACKOFF_S * 2**n / 2 <= d <= c.WEBHOOK_BACKOFF_S * 2**n for n, d in enumerate(delays[:6]))
    assert max(delays) <= c.WEBHOOK_BACKOFF_MAX_S


def _sub(client: redis.Redis, url: str) -> Subscription:
    sub = Subscription(id="sub_hook", name="hook", query="alpha", webhook=url, secret=SECRET)
    put_subscription(client, sub)
    return sub


def test_attempts_retry_on_500_then_deliver(client: redis.Redis, settings: Settings) -> None:
    """500s ask for a retry; the next success is counted as delivered."""
    with Receiver([500, 500, 200]) as rx:
        _sub(client, rx.url)
        message = WebhookMessage(alert_id="alr_1", subscription_id="sub_hook", body='{"id": "alr_1"}')
        local = settings.model_copy(update={"allow_private_networks": True})
        outcomes = [attempt_delivery(client, local, message, attempt).outcome for attempt in range(3)]
    assert outcomes == ["retry", "retry", "delivered"]
    assert rx.requests[-1][0]["X-Wirewatch-Alert-Id"] == "alr_1"
    assert client.hgetall(c.ALERT_STATS) == {"webhook:delivered": "1"}
    timings = read_histograms(client)
    assert timings["webhook_failed"].count == 2 and timings["webhook_delivered"].count == 1
    assert timings["webhook_delivered"].buckets[-1] == ("+Inf", 1.0) and timings["webhook_delivered"].total > 0


def test_attempts_give_up_on_a_dead_host(client: redis.Redis, settings: Settings) -> None:
    """A host that never answers is given up after the last attempt, logged and counted once."""
    _sub(client, _dead_url())
    message = WebhookMessage(alert_id="alr_2", subscription_id="sub_hook", body="{}")
    local = settings.model_copy(update={"allow_private_networks": True})
    outcomes = [attempt_delivery(client, local, message, n, max_attempts=3).outcome for n in range(3)]
    assert outcomes == ["retry", "retry", "gave_up"]
    assert client.hgetall(c.ALERT_STATS) == {"webhook:gave_up": "1"}
    gone = WebhookMessage(alert_id="alr_3", subscription_id="sub_missing", body="{}")
    assert attempt_delivery(client, local, gone, 0).outcome == "dropped"


def test_a_stored_webhook_url_that_cannot_be_split_is_given_up_not_raised(
    client: redis.Redis, settings: Settings
) -> None:
    """A URL stored around `validate` (a port out of range, a broken IPv6 literal) ends as one counted
    give-up, as any unusable receiver does, instead of an exception in the task."""
    for n, url in enumerate(("https://hooks.example.com:99999/x", "https://[::1/x")):
        _sub(client, url)
        message = WebhookMessage(alert_id=f"alr_b{n}", subscription_id="sub_hook", body="{}")
        assert attempt_delivery(client, settings, message, 0).outcome == "gave_up"
    assert client.hgetall(c.ALERT_STATS) == {"webhook:gave_up": "2"}


@pytest.fixture
def webhook_worker(settings: Settings, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A real Celery worker consuming the webhooks queue, with a short backoff so retries are quick."""
    from worker.app import create_app

    monkeypatch.setattr(c, "WEBHOOK_BACKOFF_S", 0.1)
    local = settings.model_copy(update={"allow_private_networks": True})
    app = create_app(local, redis_url)
    with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=30,
                      queues=[c.INGEST_QUEUE, c.WEBHOOK_QUEUE]):  # fmt: skip
        yield app
    app.close()


def _wait_delivered(client: redis.Redis, timeout_s: float = 30) -> None:
    """Until the worker counts a delivery (or ``timeout_s`` passed: the caller's assertions then say what is missing)."""
    deadline = time.monotonic() + timeout_s
    while client.hget(c.ALERT_STATS, "webhook:delivered") is None and time.monotonic() < deadline:
        time.sleep(0.05)


def test_the_celery_task_retries_until_delivered(webhook_worker: Any, client: redis.Redis) -> None:
    """Through the webhooks queue: two 500s, then a 200 — delivered once, signed each time, and each try the same
    alert: the same body bytes and `X-Wirewatch-Alert-Id`, which a receiver skips repeats by."""
    with Receiver([500, 500, 200]) as rx:
        _sub(client, rx.url)
        message = WebhookMessage(alert_id="alr_4", subscription_id="sub_hook", body='{"id": "alr_4"}')
        webhook_worker.send_task(WEBHOOK_TASK, args=[message.model_dump()], queue=c.WEBHOOK_QUEUE)
        _wait_delivered(client)
    assert client.hget(c.ALERT_STATS, "webhook:delivered") == "1"
    assert len(rx.requests) == 3
    for headers, body in rx.requests:
        assert verify(SECRET, headers["X-Wirewatch-Timestamp"], body, headers["X-Wirewatch-Signature"])
    assert {(headers["X-Wirewatch-Alert-Id"], body) for headers, body in rx.requests} == {("alr_4", b'{"id": "alr_4"}')}


def _documented_verifier() -> Any:
    """The receiver's verifier as docs/http.md prints it, run as written."""
    section = DOCS.read_text(encoding="utf-8").split("## Verifying a webhook", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code, "docs/http.md: no python block under 'Verifying a webhook'"
    scope: dict[str, Any] = {}
    exec(code.group(1), scope)  # noqa: S102 - the documentation's own example, checked in
    return scope["verify_wirewatch"]


def test_verifiers_refuse_absurd_timestamps_instead_of_raising() -> None:
    """A forged timestamp of hundreds or thousands of digits, or one with a sign or spaces, is refused by
    `verify` and by the docs' verifier alike; both raised on the long ones (OverflowError: int too large to
    convert to float; ValueError past Python's 4,300-digit limit), a receiver's 500 with a traceback."""
    now = int(time.time())
    body = b'{"id": "alr_t"}'
    documented = _documented_verifier()
    for timestamp in ("9" * 400, "9" * 5000, f"+{now}", f" {now} ", f"{now:_}"):
        assert not verify(SECRET, timestamp, body, sign(SECRET, now, body)), timestamp
        headers = {"X-Wirewatch-Timestamp": timestamp, "X-Wirewatch-Signature": sign(SECRET, now, body)}
        assert not documented(SECRET, headers, body), timestamp
    good = {"X-Wirewatch-Timestamp": str(now), "X-Wirewatch-Signature": sign(SECRET, now, body)}
    assert verify(SECRET, str(now), body, good["X-Wirewatch-Signature"]) and documented(SECRET, good, body)


def test_a_410_gone_is_given_up_at_once(client: redis.Redis, settings: Settings) -> None:
    """A receiver that answers 410 Gone said the endpoint is gone for good: the delivery ends `gave_up` at the
    first attempt, not after five more POSTs to it."""
    with Receiver([410, 200]) as rx:
        _sub(client, rx.url)
        message = WebhookMessage(alert_id="alr_g", subscription_id="sub_hook", body='{"id": "alr_g"}')
        local = settings.model_copy(update={"allow_private_networks": True})
        assert attempt_delivery(client, local, message, 0).outcome == "gave_up"
    assert len(rx.requests) == 1
    assert client.hgetall(c.ALERT_STATS) == {"webhook:gave_up": "1"}


def test_a_410_gone_switches_the_webhook_off(
    client: redis.Redis, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """A 410 Gone switches the subscription's webhook off, recorded with the time and the reason and logged with the
    subscription id (the URL as `scheme://host/…`); the next alert's delivery is dropped unsent. The webhook used to
    stay on: every later alert was POSTed again to a receiver that had said it was gone."""
    with Receiver([410, 200]) as rx:
        _sub(client, rx.url + "/T0/XOXB-SECRET-PATH")
        local = settings.model_copy(update={"allow_private_networks": True})
        first = WebhookMessage(alert_id="alr_g1", subscription_id="sub_hook", body='{"id": "alr_g1"}')
        assert attempt_delivery(client, local, first, 0).outcome == "gave_up"
        off = webhook_off(client, "sub_hook")
        assert off is not None and "410" in off.reason
        assert abs(off.at.timestamp() - time.time()) < 10
        later = WebhookMessage(alert_id="alr_g2", subscription_id="sub_hook", body='{"id": "alr_g2"}')
        assert attempt_delivery(client, local, later, 0).outcome == "dropped"
    assert len(rx.requests) == 1, "a later alert was sent to a receiver that said it is gone"
    assert client.hgetall(c.ALERT_STATS) == {"webhook:gave_up": "1", "webhook:dropped": "1"}
    [line] = [r for r in caplog.records if "webhook_switched_off" in r.getMessage()]
    assert "sub_hook" in line.getMessage() and "http://127.0.0.1:" in line.getMessage()
    assert "XOXB-SECRET-PATH" not in caplog.text
    assert "switched off" in caplog.text  # the dropped delivery's reason


def test_a_queued_retry_of_a_gone_webhook_is_dropped_not_retried(client: redis.Redis, settings: Settings) -> None:
    """A delivery waiting for its retry when another one meets the 410 is dropped at its next try, unsent."""
    with Receiver([500, 410, 200]) as rx:
        _sub(client, rx.url)
        local = settings.model_copy(update={"allow_private_networks": True})
        waiting = WebhookMessage(alert_id="alr_w1", subscription_id="sub_hook", body='{"id": "alr_w1"}')
        gone = WebhookMessage(alert_id="alr_w2", subscription_id="sub_hook", body='{"id": "alr_w2"}')
        assert attempt_delivery(client, local, waiting, 0).outcome == "retry"
        assert attempt_delivery(client, local, gone, 0).outcome == "gave_up"
        assert attempt_delivery(client, local, waiting, 1).outcome == "dropped"
    assert len(rx.requests) == 2


def test_a_gone_webhook_makes_no_webhook_messages_but_its_alerts_are_written(
    client: redis.Redis, settings: Settings
) -> None:
    """Once switched off, the subscription still matches and writes its alerts to the stream, but no webhook message
    (nor outbox entry) is made for them; updating the subscription switches the webhook back on."""
    from tests.worker.test_match import make_event
    from worker.alerts import raise_alerts

    with Receiver([410]) as rx:
        sub = _sub(client, rx.url)
        local = settings.model_copy(update={"allow_private_networks": True})
        message = WebhookMessage(alert_id="alr_x", subscription_id="sub_hook", body='{"id": "alr_x"}')
        assert attempt_delivery(client, local, message, 0).outcome == "gave_up"
    index = SubscriptionIndex(client, poll_s=0)
    now = datetime.now(UTC)
    [raised] = raise_alerts(client, index, [make_event(id="g1", story_id="g1", title="Alpha", text="alpha")], now)
    assert raised.subscription.webhook is None and "sub_hook" not in index.with_webhook
    assert client.xlen(c.ALERTS_STREAM) == 1 and client.hlen(c.WEBHOOK_OUTBOX) == 0
    # An update of the subscription (the API's POST, the CLI's add) switches it back on.
    put_subscription(client, sub)
    assert webhook_off(client, "sub_hook") is None
    [again] = raise_alerts(client, index, [make_event(id="g2", story_id="g2", title="Alpha", text="alpha")], now)
    assert again.subscription.webhook == sub.webhook and "sub_hook" in index.with_webhook
    assert client.hlen(c.WEBHOOK_OUTBOX) == 1


def test_retry_after_of_a_429_or_503_sets_the_next_attempt(client: redis.Redis, settings: Settings) -> None:
    """A 429 or 503 with Retry-After puts the next attempt no sooner than the receiver asked (within
    WEBHOOK_RETRY_AFTER_MAX_S); without the header, the usual backoff."""
    far = "Wed, 21 Oct 2099 07:28:00 GMT"
    with Receiver([(429, {"Retry-After": "40"}), (503, {"Retry-After": far}), 429]) as rx:
        _sub(client, rx.url)
        message = WebhookMessage(alert_id="alr_r", subscription_id="sub_hook", body='{"id": "alr_r"}')
        local = settings.model_copy(update={"allow_private_networks": True})
        tries = [attempt_delivery(client, local, message, n) for n in range(3)]
    assert [t.outcome for t in tries] == ["retry"] * 3
    assert tries[0].retry_in_s >= 40
    assert tries[1].retry_in_s == c.WEBHOOK_RETRY_AFTER_MAX_S < c.VISIBILITY_TIMEOUT_S - c.TASK_TIME_LIMIT_S
    assert tries[2].retry_in_s <= c.WEBHOOK_BACKOFF_S * 4


def test_a_retry_after_date_is_read_on_the_receivers_clock(client: redis.Redis, settings: Settings) -> None:
    """A receiver whose clock is an hour behind ours asks for two minutes with an HTTP-date: the wait is two
    minutes from its own Date, not a date long past on ours (which meant the usual backoff, seconds)."""
    behind = time.time() - 3600
    headers = {"Date": formatdate(behind, usegmt=True), "Retry-After": formatdate(behind + 120, usegmt=True)}
    with Receiver([(503, headers)]) as rx:
        _sub(client, rx.url)
        message = WebhookMessage(alert_id="alr_d", subscription_id="sub_hook", body='{"id": "alr_d"}')
        local = settings.model_copy(update={"allow_private_networks": True})
        tried = attempt_delivery(client, local, message, 0)
    assert tried.outcome == "retry"
    assert 110 <= tried.retry_in_s <= 130


def test_the_celery_task_waits_out_a_429s_retry_after(webhook_worker: Any, client: redis.Redis) -> None:
    """Through the webhooks queue: a 429 with `Retry-After: 2` is retried after 2 s, not after the 0.1 s backoff."""
    with Receiver([(429, {"Retry-After": "2"}), 200]) as rx:
        _sub(client, rx.url)
        message = WebhookMessage(alert_id="alr_5", subscription_id="sub_hook", body='{"id": "alr_5"}')
        webhook_worker.send_task(WEBHOOK_TASK, args=[message.model_dump()], queue=c.WEBHOOK_QUEUE)
        _wait_delivered(client)
    assert client.hget(c.ALERT_STATS, "webhook:delivered") == "1"
    assert len(rx.times) == 2 and rx.times[1] - rx.times[0] >= 1.9, rx.times


def test_a_webhook_url_that_cannot_be_posted_to_is_not_logged_whole(
    client: redis.Redis, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """A chat webhook's path is its credential (docs/http.md): a stored URL whose host cannot be encoded ends
    `gave_up` with a reason naming only `scheme://host/…`; the reason used to carry the whole URL."""
    _sub(client, "https://bücher..example/services/T0/B0/XOXB-SECRET-PATH?token=QUERYSECRET")
    message = WebhookMessage(alert_id="alr_l", subscription_id="sub_hook", body="{}")
    assert attempt_delivery(client, settings, message, 0).outcome == "gave_up"
    assert "webhook_not_delivered" in caplog.text and "bücher..example" in caplog.text
    assert "XOXB-SECRET-PATH" not in caplog.text and "QUERYSECRET" not in caplog.text


@pytest.mark.parametrize("answer", [b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"a" * 100, b"HTTP/1.1 200 OK" + b" " * 100])
def test_a_receiver_that_trickles_its_answer_is_cut_off_as_a_timeout(answer: bytes) -> None:
    """A receiver that sends its answer a byte at a time is cut off at the total deadline, and that is a failed
    attempt (a timeout, retried). Cut in its headers, the answer read as a 200 and counted `delivered`; cut in
    its status line, as a "BadStatusLine" from a broken receiver."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    first = answer.index(b"200") + 3  # the status code arrives at once, the rest a byte at a time

    def trickle() -> None:
        conn, _ = server.accept()
        with conn:
            conn.recv(65536)
            try:
                conn.sendall(answer[:first])
                for byte in answer[first:]:
                    conn.sendall(bytes([byte]))
                    time.sleep(0.1)
            except OSError:
                pass

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    started = time.monotonic()
    with pytest.raises(WebhookFailed, match="Timeout"):
        deliver(f"http://127.0.0.1:{server.getsockname()[1]}/hook", b"{}", SECRET, allow_private=True, timeout_s=1.5)
    assert time.monotonic() - started < 2.5
    thread.join(timeout=15)
    server.close()


@pytest.mark.parametrize("status", [400, 401, 403, 404, 405, 409, 413, 415, 422])
def test_a_permanent_client_error_is_given_up_at_once(
    client: redis.Redis, settings: Settings, caplog: pytest.LogCaptureFixture, status: int
) -> None:
    """A 4xx that a retry cannot change (a bad request, a refused signature, no such endpoint, a body too large)
    ends `gave_up` at the first attempt, logged with the status and the reason; the webhook stays on. It used to
    get five more POSTs over ~30 s of backoff."""
    with Receiver([status, 200]) as rx:
        _sub(client, rx.url)
        message = WebhookMessage(alert_id="alr_p", subscription_id="sub_hook", body='{"id": "alr_p"}')
        local = settings.model_copy(update={"allow_private_networks": True})
        assert attempt_delivery(client, local, message, 0).outcome == "gave_up"
    assert len(rx.requests) == 1
    assert client.hgetall(c.ALERT_STATS) == {"webhook:gave_up": "1"}
    assert webhook_off(client, "sub_hook") is None  # switching off is the 410's alone
    [line] = [r.getMessage() for r in caplog.records if "webhook_not_delivered" in r.getMessage()]
    assert f"'status': {status}" in line and f"http {status}" in line and "will not change" in line


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_given_up_at_once_naming_only_the_host_it_points_to(
    client: redis.Redis, settings: Settings, caplog: pytest.LogCaptureFixture, status: int
) -> None:
    """A redirect is never followed (a signed POST goes only where the subscription says), and asking again gets
    the same redirect: given up at the first attempt, logged with the status and where it pointed as
    `scheme://host/…` (never its path or query, which can carry a credential), so the operator can fix the URL."""
    location = "https://moved.example:8443/services/T0/XOXB-SECRET-PATH?token=QUERYSECRET"
    with Receiver([(status, {"Location": location}), 200]) as rx:
        _sub(client, rx.url)
        message = WebhookMessage(alert_id="alr_m", subscription_id="sub_hook", body='{"id": "alr_m"}')
        local = settings.model_copy(update={"allow_private_networks": True})
        assert attempt_delivery(client, local, message, 0).outcome == "gave_up"
    assert len(rx.requests) == 1
    assert client.hgetall(c.ALERT_STATS) == {"webhook:gave_up": "1"}
    assert webhook_off(client, "sub_hook") is None
    [line] = [r.getMessage() for r in caplog.records if "webhook_not_delivered" in r.getMessage()]
    assert f"'status': {status}" in line and "https://moved.example:8443/…" in line and "not followed" in line
    assert "XOXB-SECRET-PATH" not in caplog.text and "QUERYSECRET" not in caplog.text


def test_a_relative_or_missing_redirect_location_is_named_by_the_receiver_host(settings: Settings) -> None:
    """A relative Location points at the receiver's own host; none at all is said to be missing."""
    with Receiver([(308, {"Location": "/v2/hook?sig=QUERYSECRET"}), 302]) as rx:
        with pytest.raises(WebhookRejected) as relative:
            deliver(rx.url, b"{}", SECRET, allow_private=True)
        with pytest.raises(WebhookRejected) as missing:
            deliver(rx.url, b"{}", SECRET, allow_private=True)
    origin = rx.url.removesuffix("/hook") + "/…"
    assert relative.value.status == 308 and relative.value.location == origin
    assert origin in str(relative.value) and "QUERYSECRET" not in str(relative.value)
    assert missing.value.status == 302 and missing.value.location is None and "no Location" in str(missing.value)


@pytest.mark.parametrize("status", [408, 421, 423, 425, 429, 500, 502, 503, 504])
def test_a_transient_status_is_still_retried(client: redis.Redis, settings: Settings, status: int) -> None:
    """A timeout, a "too early", a rate limit or a server error can pass: retried with backoff, as before."""
    with Receiver([status, 200]) as rx:
        _sub(client, rx.url)
        message = WebhookMessage(alert_id="alr_t", subscription_id="sub_hook", body='{"id": "alr_t"}')
        local = settings.model_copy(update={"allow_private_networks": True})
        outcomes = [attempt_delivery(client, local, message, n).outcome for n in range(2)]
    assert outcomes == ["retry", "delivered"]
    assert len(rx.requests) == 2


@pytest.mark.parametrize(
    ("status", "transient"),
    [(300, False), (304, False), (308, False), (400, False), (401, False), (403, False), (404, False),
     (405, False), (409, False), (410, False), (413, False), (422, False), (451, False), (499, False),
     (408, True), (421, True), (423, True), (425, True), (429, True), (500, True), (501, True), (503, True),
     (599, True)],
)  # fmt: skip
def test_which_statuses_are_worth_another_try(status: int, transient: bool) -> None:
    """Redirects and client errors are permanent but for the five a retry can change; every 5xx is transient."""
    assert worth_retrying(status) is transient


def test_the_celery_task_gives_up_a_404_without_retrying(webhook_worker: Any, client: redis.Redis) -> None:
    """Through the webhooks queue: a 404 is one POST and one `gave_up`, not six POSTs over a minute of backoff."""
    with Receiver([404, 200]) as rx:
        _sub(client, rx.url)
        message = WebhookMessage(alert_id="alr_6", subscription_id="sub_hook", body='{"id": "alr_6"}')
        webhook_worker.send_task(WEBHOOK_TASK, args=[message.model_dump()], queue=c.WEBHOOK_QUEUE)
        deadline = time.monotonic() + 30
        while client.hget(c.ALERT_STATS, "webhook:gave_up") is None and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # a retry (backoff 0.1 s here) would have POSTed again by now
    assert client.hgetall(c.ALERT_STATS) == {"webhook:gave_up": "1"}
    assert len(rx.requests) == 1


@pytest.mark.parametrize("host", ["ex%61mple.com", "127.0.0.1%2f", "[::1%25lo]", "[fe80::1%25eth0]"])
def test_a_stored_webhook_with_a_zone_id_or_percent_encoded_host_is_given_up_at_once(
    client: redis.Redis, settings: Settings, caplog: pytest.LogCaptureFixture, host: str
) -> None:
    """A webhook stored before zone ids and percent-encoded hosts were refused when added (`check_webhook`) can
    never be delivered: its delivery ends `gave_up` at the first attempt with the add-time rule as its reason,
    nothing sent, instead of six tries over a minute of backoff (a name with `%` failed as a DNS error)."""
    with Receiver([200]) as rx:
        port = rx.url.split(":")[2].split("/")[0]
        _sub(client, f"http://{host}:{port}/hook/XOXB-SECRET-PATH")
        message = WebhookMessage(alert_id="alr_z", subscription_id="sub_hook", body='{"id": "alr_z"}')
        local = settings.model_copy(update={"allow_private_networks": True})
        assert attempt_delivery(client, local, message, 0) == ("gave_up", 0.0)
    assert rx.requests == []
    assert client.hgetall(c.ALERT_STATS) == {"webhook:gave_up": "1"}
    [line] = [r.getMessage() for r in caplog.records if "webhook_not_delivered" in r.getMessage()]
    assert "zone id" in line or "percent-encoded" in line
    assert "update the subscription" in line and "XOXB-SECRET-PATH" not in caplog.text
