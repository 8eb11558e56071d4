"""Webhook delivery of alerts: a signed POST, retried with backoff on its own Celery queue.

Each alert of a subscription with a webhook becomes one message on the ``webhooks`` queue, so a slow or
dead receiver holds up only webhook workers, never ingestion. The message carries the alert JSON and the
subscription id; the secret is read from Redis at delivery time and never travels through the broker.

Signature (HMAC-SHA256 with the subscription's secret over ``"<timestamp>." + body``), in headers:

    X-Wirewatch-Timestamp: 1764413185
    X-Wirewatch-Signature: sha256=<hex>

A receiver recomputes it over the raw body and refuses timestamps older than a few minutes (`verify`).
Every alert ends in one counted, logged outcome in ``ww:{ww}:stats:alerts``: ``webhook:delivered``,
``webhook:gave_up`` or ``webhook:dropped`` (the subscription or its webhook is gone, or switched off). It is kept
by alert id for a few hours (`settled_key`), so a second copy of the message (a re-queue published and its
original handed out again by the broker, or an outbox entry resent beside its message) sends and counts nothing.

What the receiver's answer does (`worth_retrying`):

- a 2xx: delivered.
- transient, tried again with backoff, up to `WEBHOOK_MAX_ATTEMPTS` in all, then given up: every 5xx (the
  receiver's own trouble, which it can mend without us sending anything different; 501 and 505 included, since
  a proxy in front of a receiver being deployed says them too, and the attempts are few), no answer in time or
  no connection, and the five 4xx that say "not now" rather than "not this": 408 Request Timeout, 421 Misdirected
  Request (RFC 9110: retry on another connection; every try is a new one), 423 Locked, 425 Too Early and
  429 Too Many Requests. A 429 or 503 with Retry-After is tried again no sooner than it asks (up to
  `WEBHOOK_RETRY_AFTER_MAX_S`).
- permanent, given up at the first attempt: any 3xx and every other 4xx (400, 401, 403, 404, 405, 409, 413, 415,
  422, 451, …). The same signed body to the same URL gets the same answer until someone changes the receiver or
  the subscription (a refused signature, a wrong path, a body too large), so five more POSTs over minutes of
  backoff only add load and hide the fault. A redirect is never followed (it could point a signed POST anywhere;
  `producers.fetch.post` does not follow it either), so asking again meets it again: it is given up with the
  status and where it pointed, as ``scheme://host/…``, so the operator can fix the URL. The webhook stays on: the
  next alert is tried afresh, since the receiver may be fixed by then.
- 410 Gone, permanent too, and more: the receiver says the endpoint is gone for good, so it also switches the
  subscription's webhook off (`worker.subscriptions.switch_webhook_off`) until the subscription is updated: its
  alerts are still written, and no more are POSTed to it.

A refused address (private, bad scheme, no secret) is given up at once as well, before anything is sent; so is a
webhook stored before its URL was refused at add (an IPv6 zone id, a percent-encoded host: `check_webhook_host`).

A receiver with its cap of deliveries in flight (`WEBHOOK_HOST_MAX_CONCURRENT`, `receiver_gate`) makes the next
ones wait: each is put back on the queue, not counted as an attempt, after about as long again as it has waited
(`gate_wait_s`: from `WEBHOOK_GATE_RETRY_S`, jittered, capped at `WEBHOOK_GATE_RETRY_MAX_S`), and one still
finding no slot after `WEBHOOK_GATE_WAIT_MAX_S` of waiting is given up, unsent, with the reason. Until 2026-12-01
a backlog came back every second for as long as the receiver stayed slow, without end. The wait is timed from the
first time the delivery found no slot since its last attempt (``WebhookMessage.waiting_since``), so a delivery
waits at most that long before each of its `WEBHOOK_MAX_ATTEMPTS` attempts.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, NamedTuple
from urllib.parse import urljoin, urlsplit

import redis
from celery import Celery, Task
from pydantic import BaseModel, Field, ValidationError

from producers.fetch import FetchBadURL, FetchBlocked, FetchError, FetchPolicy, parse_retry_after, post
from producers.schedule import HostGate
from wirewatch import __version__
from wirewatch import constants as c
from wirewatch.errors import WirewatchError
from wirewatch.latency import LatencyRecorder
from wirewatch.logs import get_logger
from wirewatch.queue import WEBHOOK_TASK
from wirewatch.settings import Settings
from worker.subscriptions import (
    check_webhook_host,
    get_subscription,
    switch_webhook_off,
    webhook_off,
    webhook_origin,
)

log = get_logger("wirewatch.webhook")

# A delivery waiting for a slot at its receiver is looked at again at most this long after the last look: a slot
# frees within one POST's deadline, so looking less often than that would leave freed slots idle.
WEBHOOK_GATE_RETRY_MAX_S = c.WEBHOOK_TIMEOUT_S
# How long a delivery may wait for a slot at its receiver before it is given up: an alert is news, and a receiver
# that has not had a free slot for a quarter of an hour is too slow for the alerts it is sent (at 2 in flight and
# 10 s a POST it still takes 180 of them in that time).
WEBHOOK_GATE_WAIT_MAX_S = 15 * 60.0
# How long an alert's webhook outcome is remembered (`settled_key`): past the longest a copy of its message can
# still come round (every attempt waiting its bound and the longest retry delay, then a lost worker's message
# handed out again), about 3 hours; a few dozen bytes per alert with a webhook.
WEBHOOK_SETTLED_TTL_S = int(c.WEBHOOK_MAX_ATTEMPTS * (WEBHOOK_GATE_WAIT_MAX_S + max(c.WEBHOOK_BACKOFF_MAX_S,
                            c.WEBHOOK_RETRY_AFTER_MAX_S)) + c.VISIBILITY_TIMEOUT_S)  # fmt: skip
# Record an alert's outcome and count it, only if none was recorded: two copies of one delivery count one. Returns
# '' when it counted, else the outcome recorded before.
_SETTLE_ONCE = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then
  redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
  return ''
end
return redis.call('GET', KEYS[1])
"""


class WebhookFailed(WirewatchError):
    """Raised when a delivery did not get a 2xx answer for a passing reason: it is retried, no sooner than
    ``retry_after_s`` when the receiver said (Retry-After on a 429 or 503)."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class WebhookRefused(WirewatchError):
    """Raised when a webhook URL must not be called (private address, bad scheme, no secret), or its receiver's
    answer will not change (`WebhookRejected`): never retried."""


class WebhookRejected(WebhookRefused):
    """Raised when the receiver's answer will not change on a retry (a redirect, a 4xx that is not one of the
    transient ones): never retried. ``location`` is where a redirect pointed, as ``scheme://host/…``."""

    def __init__(self, message: str, status: int, location: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.location = location


class WebhookGone(WebhookRejected):
    """Raised when the receiver answered 410 Gone: never retried, and the subscription's webhook is switched off."""

    def __init__(self) -> None:
        super().__init__("http 410: the receiver says the endpoint is gone", status=410)


# The 4xx that say "not now" rather than "not this" (see the module docstring).
_TRANSIENT_4XX = frozenset({408, 421, 423, 425, 429})


def worth_retrying(status: int) -> bool:
    """Whether a non-2xx answer may change when the same POST is sent again: every 5xx and the transient 4xx.
    Redirects and the other client errors are permanent."""
    if 300 <= status < 500:
        return status in _TRANSIENT_4XX
    return True  # 5xx; and a 1xx or 6xx+ no receiver should send, tried again as before


class Attempt(NamedTuple):
    """What one try came to: "delivered", "retry", "gave_up", "dropped" (each but retry counted), "wait", or
    "settled" (another copy of the message ended it)."""

    outcome: str
    # For "retry": the backoff, or the receiver's Retry-After when that is longer; for "wait": `gate_wait_s`.
    retry_in_s: float = 0.0


class WebhookMessage(BaseModel):
    alert_id: str = Field(..., min_length=1, max_length=100)
    subscription_id: str = Field(..., min_length=1, max_length=100)
    body: str = Field(..., min_length=2)
    # Times the message was put back because its receiver was at its cap: Celery counts those as retries,
    # and they are not attempts.
    gate_waits: int = Field(0, ge=0)
    # When (unix s) it first found its receiver at the cap since its last attempt: its wait is bounded from then.
    waiting_since: float | None = Field(None, ge=0)

    def waited(self, now: float) -> WebhookMessage:
        """The message put back to wait for a slot: one more wait, and the wait's start kept (or set to `now`)."""
        since = now if self.waiting_since is None else self.waiting_since
        return self.model_copy(update={"gate_waits": self.gate_waits + 1, "waiting_since": since})

    def attempted(self) -> WebhookMessage:
        """The message put back for a retry after an attempt: it is no longer waiting, and a later wait is timed
        afresh."""
        return self.model_copy(update={"waiting_since": None})


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header value for `body` sent at `timestamp` (unix seconds)."""
    mac = hmac.new(secret.encode("utf-8"), str(timestamp).encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str, now: float | None = None,
           tolerance_s: float = c.WEBHOOK_TOLERANCE_S) -> bool:  # fmt: skip
    """What a receiver does: constant-time compare, and refuse stale timestamps (replays)."""
    # ASCII digits only, as `sign` writes them (int() also takes "+1", " 1 ", "1_0" and other scripts' digits),
    # and few of them: int() refuses over 4,300 digits, and a float minus an int of 400 overflows.
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        return False
    ts = int(timestamp)
    if abs(int(time.time() if now is None else now) - ts) > tolerance_s:
        return False
    # Bytes, not str: `compare_digest` raises TypeError on a str with a non-ASCII character, and a forged
    # header can carry one; a receiver must answer it "no", not fail.
    return hmac.compare_digest(sign(secret, ts, body).encode(), signature.encode("utf-8", "surrogatepass"))


def deliver(url: str, body: bytes, secret: str | None, *, timeout_s: float = c.WEBHOOK_TIMEOUT_S,
            allow_private: bool = False, now: Callable[[], float] = time.time,
            extra_headers: dict[str, str] | None = None) -> int:  # fmt: skip
    """POST `body` to `url`, signed with `secret`; the HTTP status, or WebhookFailed/Refused. Without a secret
    nothing is sent (an unsigned alert cannot be told from a forged one). A transient status (`worth_retrying`)
    is a WebhookFailed; a permanent one a WebhookRejected (a redirect, never followed: it could point a signed
    POST anywhere), and a 410 Gone a WebhookGone. Reasons name the receiver, and where a redirect pointed, as
    `scheme://host/…` only: a chat webhook's path and query are its credential.

    The POST goes through `producers.fetch.post`: the receiver's name is resolved once, every address it
    gives must be public (unless `allow_private`), and the connection is made to that vetted address with the
    real Host header, SNI and certificate check, so a name that answers a public address to the check and a
    private one to the connect (DNS rebinding) cannot turn a webhook into a request inside the network.
    """
    if not secret:  # stored before secrets were required, or by something that skipped `validate`
        raise WebhookRefused("the subscription has no secret: alerts are never sent unsigned")
    timestamp = int(now())
    headers = {"Content-Type": "application/json", "X-Wirewatch-Timestamp": str(timestamp),
               "X-Wirewatch-Signature": sign(secret, timestamp, body), **(extra_headers or {})}  # fmt: skip
    policy = FetchPolicy(deadline_s=timeout_s, connect_timeout_s=timeout_s, allow_private_networks=allow_private,
                         user_agent=f"wirewatch/{__version__}")  # fmt: skip
    try:
        status, answer = post(url, body, headers, policy)
    except (FetchBadURL, FetchBlocked) as e:
        raise WebhookRefused(_without_url(str(e), url)) from e
    except FetchError as e:
        raise WebhookFailed(_without_url(f"{type(e).__name__}: {e}", url)) from e
    if 200 <= status < 300:
        return status
    if status == 410:
        raise WebhookGone
    if 300 <= status < 400:
        raise _redirect(status, answer.get("location"), url)
    if not worth_retrying(status):
        raise WebhookRejected(f"http {status}: a client error that will not change on a retry (check the "
                              "receiver's logs, the secret and the URL)", status=status)  # fmt: skip
    retry_after = (parse_retry_after(answer.get("retry-after"), server_date=answer.get("date"))
                   if status in (429, 503) else None)  # fmt: skip
    raise WebhookFailed(f"http {status}", retry_after_s=retry_after)


def _redirect(status: int, location: str | None, url: str) -> WebhookRejected:
    """A redirect, given up: where it pointed (resolved against the webhook, as `scheme://host/…`), or that it
    named nowhere."""
    if not location:
        return WebhookRejected(f"http {status}: a redirect with no Location, not followed; check the webhook URL",
                               status=status)  # fmt: skip
    try:
        target = webhook_origin(urljoin(url, location.strip()))
    except ValueError:  # a Location urljoin cannot read (a broken IPv6 literal)
        target = "…"
    return WebhookRejected(f"http {status}: a redirect to {target}, not followed (a signed POST goes only to the "
                           "webhook's URL); update the subscription's webhook", status=status,
                           location=target)  # fmt: skip


def _without_url(reason: str, url: str) -> str:
    origin = webhook_origin(url)
    return reason.replace(repr(url), origin).replace(url, origin)


def backoff_s(attempt: int, rng: random.Random | None = None) -> float:
    """Delay before retry number `attempt` + 1: doubling from WEBHOOK_BACKOFF_S, capped, half-jittered."""
    base = min(c.WEBHOOK_BACKOFF_MAX_S, c.WEBHOOK_BACKOFF_S * 2.0**attempt)
    jitter: float = (rng or random).random()
    return base * (0.5 + 0.5 * jitter)


def gate_wait_s(waited_s: float, rng: random.Random | None = None) -> float:
    """How long a delivery that found its receiver at its cap stays off the queue: about as long again as it has
    waited so far (so the looks thin out geometrically), from WEBHOOK_GATE_RETRY_S to WEBHOOK_GATE_RETRY_MAX_S,
    half-jittered so a backlog does not come back in step."""
    base = min(WEBHOOK_GATE_RETRY_MAX_S, max(c.WEBHOOK_GATE_RETRY_S, waited_s))
    jitter: float = (rng or random).random()
    return base * (0.5 + 0.5 * jitter)


def receiver_gate(client: redis.Redis) -> HostGate:
    """The per-receiver cap on deliveries in flight (`WEBHOOK_HOST_MAX_CONCURRENT`), shared through Redis by
    every worker: the feeds' host gate, under keys of its own and with no delay between deliveries."""
    return HostGate(client, max_concurrent=c.WEBHOOK_HOST_MAX_CONCURRENT, delay_s=0.0,
                    slot_ttl_s=c.WEBHOOK_TIMEOUT_S + 5)  # fmt: skip


def _receiver(url: str) -> str:
    parts = urlsplit(url)
    return f"webhook/{(parts.hostname or '').lower()}:{parts.port or ''}"


def settled_key(alert_id: str) -> str:
    """Where an alert's webhook outcome is kept (`_final`), so a second copy of its message does nothing."""
    return c.key("webhooks", "settled", alert_id)


def attempt_delivery(client: redis.Redis, settings: Settings, message: WebhookMessage, attempt: int,
                     max_attempts: int = c.WEBHOOK_MAX_ATTEMPTS, now: float | None = None) -> Attempt:  # fmt: skip
    """Try one delivery: "delivered", "retry" (with the delay before the next try), "gave_up" or "dropped"
    (each but retry counted), or "wait" (with the delay before the next look) when the receiver already has its
    cap of deliveries in flight: not an attempt, and given up once the delivery has waited
    WEBHOOK_GATE_WAIT_MAX_S. `now` (unix s) is when the wait is timed to; the task passes the time it stamps on
    a message it puts back (`WebhookMessage.waited`). "settled" when another copy of the message (a re-queue
    published and its original handed out again, or an outbox entry resent beside its message) ended it already:
    nothing is sent or counted."""
    fields = {"alert_id": message.alert_id, "subscription_id": message.subscription_id, "attempt": attempt + 1}
    if earlier := client.get(settled_key(message.alert_id)):
        return _already_settled(fields, earlier)
    sub = get_subscription(client, message.subscription_id)
    if sub is None or not sub.webhook:
        return _final(client, "webhook:dropped", fields, reason="subscription or webhook removed")
    off = webhook_off(client, sub.id)
    if off is not None:  # queued (or waiting for a retry) when its receiver said it is gone
        why = f"webhook switched off at {off.at.isoformat(timespec='seconds')} ({off.reason})"
        return _final(client, "webhook:dropped", fields, reason=f"{why}; update the subscription to switch it on")
    try:
        receiver = _receiver(sub.webhook)
    except ValueError as e:  # stored around `validate` (a port out of range, a broken IPv6 literal)
        return _final(client, "webhook:gave_up", fields, reason=f"bad webhook URL: {e}")
    try:  # stored before the add refused it: every try would fail the same way (or as a DNS error, retried)
        check_webhook_host(urlsplit(sub.webhook).hostname or "")
    except ValueError as e:
        return _final(client, "webhook:gave_up", fields, reason=f"{e}; update the subscription's webhook",
                      receiver=webhook_origin(sub.webhook))  # fmt: skip
    gate, token = receiver_gate(client), f"{message.alert_id}:{attempt}"
    if gate.acquire(receiver, token) > 0:
        return _wait(client, message, fields, webhook_origin(sub.webhook), time.time() if now is None else now)
    try:
        return _post(client, settings, message, sub.webhook, sub.secret, attempt, max_attempts, fields)
    finally:
        gate.release(receiver, token)


def _wait(client: redis.Redis, message: WebhookMessage, fields: dict[str, Any], origin: str, now: float) -> Attempt:
    """No slot at the receiver: wait again (never past the bound, so the give-up comes on time), or give up once
    the delivery has waited the bound out."""
    waited = max(0.0, now - message.waiting_since) if message.waiting_since is not None else 0.0
    left = WEBHOOK_GATE_WAIT_MAX_S - waited
    if left <= 0:
        reason = (f"no free slot at its receiver in {waited:.0f} s of waiting (at most {c.WEBHOOK_HOST_MAX_CONCURRENT} "
                  "in flight to one receiver): it answers too slowly for the alerts it is sent")  # fmt: skip
        return _final(client, "webhook:gave_up", fields, reason=reason, receiver=origin, waited_s=round(waited, 1),
                      gate_waits=message.gate_waits)  # fmt: skip
    return Attempt("wait", min(gate_wait_s(waited), left))


def _post(client: redis.Redis, settings: Settings, message: WebhookMessage, webhook: str, secret: str | None,
          attempt: int, max_attempts: int, fields: dict[str, Any]) -> Attempt:  # fmt: skip
    timings = LatencyRecorder()
    started = time.perf_counter()
    try:
        status = deliver(webhook, message.body.encode("utf-8"), secret,
                         allow_private=settings.allow_private_networks,
                         extra_headers={"X-Wirewatch-Alert-Id": message.alert_id})  # fmt: skip
    except WebhookGone as e:
        if switch_webhook_off(client, message.subscription_id, webhook, str(e), datetime.now(UTC)):
            log.warning("webhook_switched_off", subscription_id=message.subscription_id,
                        receiver=webhook_origin(webhook), reason=str(e),
                        action="alerts are still written; update the subscription to switch it on")  # fmt: skip
        return _final(client, "webhook:gave_up", fields, reason=str(e), status=e.status)
    except WebhookRejected as e:
        where = {} if e.location is None else {"location": e.location}
        return _final(client, "webhook:gave_up", fields, reason=str(e), status=e.status, **where)
    except WebhookRefused as e:
        return _final(client, "webhook:gave_up", fields, reason=str(e))
    except WebhookFailed as e:
        timings.observe("webhook_failed", time.perf_counter() - started)
        timings.flush(client)
        if attempt >= max_attempts - 1:
            return _final(client, "webhook:gave_up", fields, reason=str(e))
        delay = max(backoff_s(attempt), min(e.retry_after_s or 0.0, c.WEBHOOK_RETRY_AFTER_MAX_S))
        log.warning("webhook_failed", reason=str(e), retry_in_s=round(delay, 1), **fields)
        return Attempt("retry", delay)
    timings.observe("webhook_delivered", time.perf_counter() - started)
    timings.flush(client)
    return _final(client, "webhook:delivered", fields, status=status)


def _already_settled(fields: dict[str, Any], outcome: str | bytes) -> Attempt:
    log.info("webhook_already_settled", outcome=outcome, reason="another copy of the delivery ended it", **fields)
    return Attempt("settled")


def _final(client: redis.Redis, outcome: str, fields: dict[str, Any], **more: Any) -> Attempt:
    """The delivery's one counted, logged outcome; "settled" (nothing counted) when another copy got there first."""
    keys = [settled_key(fields["alert_id"]), c.ALERT_STATS]
    if earlier := client.register_script(_SETTLE_ONCE)(keys=keys, args=[outcome, WEBHOOK_SETTLED_TTL_S]):
        return _already_settled(fields, earlier)
    if outcome == "webhook:delivered":
        log.info("webhook_delivered", outcome=outcome, **fields, **more)
    else:
        log.error("webhook_not_delivered", outcome=outcome, **fields, **more)
    return Attempt(outcome.removeprefix("webhook:"))


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
        d, now = deps(), time.time()
        attempt = int(self.request.retries) - msg.gate_waits
        outcome, retry_in_s = attempt_delivery(d.client, d.settings, msg, attempt, now=now)
        if outcome == "wait":  # its receiver is at its cap: back on the queue, not counted as an attempt
            raise self.retry(args=(msg.waited(now).model_dump(),), countdown=retry_in_s, queue=c.WEBHOOK_QUEUE)
        if outcome == "retry":
            raise self.retry(args=(msg.attempted().model_dump(),), countdown=retry_in_s, queue=c.WEBHOOK_QUEUE)
        return outcome


def enqueue_webhooks(send_task: Callable[..., Any] | None, raised: list[Any]) -> int:
    """One webhook message per newly raised (or resent) alert whose subscription has a webhook. The caller then
    clears their outbox entries (`clear_outbox`): only once the messages are on the broker."""
    sent = 0
    for r in raised:
        if r.subscription.webhook and send_task is not None:
            message = WebhookMessage(alert_id=r.alert_id, subscription_id=r.subscription.id,
                                     body=r.body)  # fmt: skip
            send_task(WEBHOOK_TASK, args=[message.model_dump()], queue=c.WEBHOOK_QUEUE)
            sent += 1
    return sent


def clear_outbox(client: redis.Redis, sent: list[Any]) -> None:
    """Forget the outbox entries of alerts whose webhook messages are on the broker now."""
    fields = [r.outbox_field for r in sent if r.subscription.webhook]
    if fields:
        client.hdel(c.WEBHOOK_OUTBOX, *fields)
