"""Webhook delivery of alerts: a signed POST, retried with backoff on its own Celery queue.

Each alert of a subscription with a webhook becomes one message on the ``webhooks`` queue, so a slow or
dead receiver holds up only webhook workers, never ingestion. The message carries the alert JSON and the
subscription id; the secret is read from Redis at delivery time and never travels through the broker.

Signature (HMAC-SHA256 with the subscription's secret over ``"<timestamp>." + body``), in headers:

    X-Wirewatch-Timestamp: 1764413185
    X-Wirewatch-Signature: sha256=<hex>

A receiver recomputes it over the raw body and refuses timestamps older than a few minutes (`verify`).
Every message ends in one counted, logged outcome in ``ww:{ww}:stats:alerts``: ``webhook:delivered``,
``webhook:gave_up`` (after `WEBHOOK_MAX_ATTEMPTS`, or at once for a refused address) or
``webhook:dropped`` (the subscription or its webhook is gone).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import random
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import redis
from celery import Celery, Task
from pydantic import BaseModel, Field, ValidationError

from wirewatch import __version__
from wirewatch import constants as c
from wirewatch.errors import WirewatchError
from wirewatch.latency import LatencyRecorder
from wirewatch.logs import get_logger
from wirewatch.queue import WEBHOOK_TASK
from wirewatch.settings import Settings
from worker.subscriptions import get_subscription

log = get_logger("wirewatch.webhook")


class WebhookFailed(WirewatchError):
    """Raised when a delivery did not get a 2xx answer for a passing reason: it is retried."""


class WebhookRefused(WirewatchError):
    """Raised when a webhook URL must not be called (private address, bad scheme): never retried."""


class WebhookMessage(BaseModel):
    alert_id: str = Field(..., min_length=1, max_length=100)
    subscription_id: str = Field(..., min_length=1, max_length=100)
    body: str = Field(..., min_length=2)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header value for `body` sent at `timestamp` (unix seconds)."""
    mac = hmac.new(secret.encode("utf-8"), str(timestamp).encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str, now: float | None = None,
           tolerance_s: float = c.WEBHOOK_TOLERANCE_S) -> bool:  # fmt: skip
    """What a receiver does: constant-time compare, and refuse stale timestamps (replays)."""
    try:
        ts = int(timestamp)
    except ValueError:
        return False
    if abs((time.time() if now is None else now) - ts) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, ts, body), signature)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect could point a signed POST anywhere (or turn it into a GET): treat it as a failure."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def _check_address(url: str, allow_private: bool) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookRefused(f"not an http(s) URL: {url[:100]}")
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except OSError as e:
        raise WebhookFailed(f"cannot resolve {parts.hostname}: {e}") from e
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise WebhookRefused(f"{parts.hostname} resolves to a non-public address ({address})")


def deliver(url: str, body: bytes, secret: str | None, *, timeout_s: float = c.WEBHOOK_TIMEOUT_S,
            allow_private: bool = False, now: Callable[[], float] = time.time,
            extra_headers: dict[str, str] | None = None) -> int:  # fmt: skip
    """POST `body` to `url`, signed when there is a secret; the HTTP status, or WebhookFailed/Refused."""
    _check_address(url, allow_private)
    timestamp = int(now())
    headers = {"Content-Type": "application/json", "User-Agent": f"wirewatch/{__version__}",
               "X-Wirewatch-Timestamp": str(timestamp), **(extra_headers or {})}  # fmt: skip
    if secret:
        headers["X-Wirewatch-Signature"] = sign(secret, timestamp, body)
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - scheme checked
    try:
        with _OPENER.open(request, timeout=timeout_s) as response:
            status = int(response.status)
    except urllib.error.HTTPError as e:
        raise WebhookFailed(f"http {e.code}") from e
    except (urllib.error.URLError, OSError) as e:
        raise WebhookFailed(f"{type(e).__name__}: {getattr(e, 'reason', e)}") from e
    if not 200 <= status < 300:
        raise WebhookFailed(f"http {status}")
    return status


def backoff_s(attempt: int, rng: random.Random | None = None) -> float:
    """Delay before retry number `attempt` + 1: doubling from WEBHOOK_BACKOFF_S, capped, half-jittered."""
    base = min(c.WEBHOOK_BACKOFF_MAX_S, c.WEBHOOK_BACKOFF_S * 2.0**attempt)
    jitter: float = (rng or random).random()
    return base * (0.5 + 0.5 * jitter)


def attempt_delivery(client: redis.Redis, settings: Settings, message: WebhookMessage, attempt: int,
                     max_attempts: int = c.WEBHOOK_MAX_ATTEMPTS) -> str:  # fmt: skip
    """Try one delivery; returns "delivered", "retry", "gave_up" or "dropped" (each but retry counted)."""
    sub = get_subscription(client, message.subscription_id)
    fields = {"alert_id": message.alert_id, "subscription_id": message.subscription_id, "attempt": attempt + 1}
    if sub is None or not sub.webhook:
        return _final(client, "webhook:dropped", fields, reason="subscription or webhook removed")
    timings = LatencyRecorder()
    started = time.perf_counter()
    try:
        status = deliver(sub.webhook, message.body.encode("utf-8"), sub.secret,
                         allow_private=settings.allow_private_networks,
                         extra_headers={"X-Wirewatch-Alert-Id": message.alert_id})  # fmt: skip
    except WebhookRefused as e:
        return _final(client, "webhook:gave_up", fields, reason=str(e))
    except WebhookFailed as e:
        timings.observe("webhook_failed", time.perf_counter() - started)
        timings.flush(client)
        if attempt + 1 >= max_attempts:
            return _final(client, "webhook:gave_up", fields, reason=str(e))
        log.warning("webhook_failed", reason=str(e), **fields)
        return "retry"
    timings.observe("webhook_delivered", time.perf_counter() - started)
    timings.flush(client)
    return _final(client, "webhook:delivered", fields, status=status)


def _final(client: redis.Redis, outcome: str, fields: dict[str, Any], **more: Any) -> str:
    client.hincrby(c.ALERT_STATS, outcome, 1)
    if outcome == "webhook:delivered":
        log.info("webhook_delivered", outcome=outcome, **fields, **more)
    else:
        log.error("webhook_not_delivered", outcome=outcome, **fields, **more)
    return outcome.removeprefix("webhook:")


def register_webhook_task(app: Celery, deps: Callable[[], Any]) -> None:
    """The thin task: validate, try once, schedule the retry with backoff when asked to."""

    # Redis unreachable: the task is retried with backoff until it is back (those retries count as attempts).
    @app.task(name=WEBHOOK_TASK, bind=True, shared=False, acks_late=True, reject_on_worker_lost=True,
              autoretry_for=(redis.ConnectionError,), retry_backoff=True, retry_backoff_max=60,
              max_retries=None)  # fmt: skip
    def webhook_task(self: Task, message: dict[str, object]) -> str:
        try:
            msg = WebhookMessage.model_validate(message)
        except ValidationError as e:
            log.error("message_invalid", outcome="dropped", reason=str(e.errors()[0]["msg"]))
            return "dropped"
        d = deps()
        attempt = int(self.request.retries)
        outcome = attempt_delivery(d.client, d.settings, msg, attempt)
        if outcome == "retry":
            raise self.retry(countdown=backoff_s(attempt), queue=c.WEBHOOK_QUEUE)
        return outcome


def enqueue_webhooks(send_task: Callable[..., Any] | None, raised: list[Any]) -> int:
    """One webhook message per newly raised alert whose subscription has a webhook."""
    sent = 0
    for r in raised:
        if r.subscription.webhook and send_task is not None:
            message = WebhookMessage(alert_id=r.alert_id, subscription_id=r.subscription.id,
                                     body=r.body)  # fmt: skip
            send_task(WEBHOOK_TASK, args=[message.model_dump()], queue=c.WEBHOOK_QUEUE)
            sent += 1
    return sent
