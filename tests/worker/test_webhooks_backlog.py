"""A slow receiver's backlog: deliveries waiting for its in-flight cap back off, and wait a bounded time."""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from celery import signals
from celery.contrib.testing.worker import start_worker

from schemas import Subscription
from tests.worker.test_webhooks import SECRET, Receiver
from wirewatch import constants as c
from wirewatch.queue import WEBHOOK_TASK
from wirewatch.settings import Settings
from worker import webhooks
from worker.subscriptions import put_subscription
from worker.webhooks import WebhookMessage, attempt_delivery, gate_wait_s, receiver_gate


def _sub(client: redis.Redis, url: str) -> Subscription:
    sub = Subscription(id="sub_slow", name="slow", query="alpha", webhook=url, secret=SECRET)
    put_subscription(client, sub)
    return sub


def _message(n: int, **more: Any) -> WebhookMessage:
    return WebhookMessage(alert_id=f"alr_s{n}", subscription_id="sub_slow", body=json.dumps({"id": f"alr_s{n}"}),
                          **more)  # fmt: skip


def _hold_every_slot(client: redis.Redis, port: int) -> None:
    """Take the receiver's slots as deliveries in flight elsewhere would."""
    gate = receiver_gate(client)
    for n in range(c.WEBHOOK_HOST_MAX_CONCURRENT):
        assert gate.acquire(f"webhook/127.0.0.1:{port}", f"elsewhere:{n}") == 0


@pytest.mark.parametrize("waited_s", [0.0, 0.5, 1.0, 3.0, 7.0, 60.0, 3600.0])
def test_the_wait_grows_with_the_time_waited_with_jitter_and_a_cap(waited_s: float) -> None:
    """A waiting delivery is put back for about as long again as it has waited: half to all of it, never under
    half of WEBHOOK_GATE_RETRY_S, never over WEBHOOK_GATE_RETRY_MAX_S."""
    base = min(webhooks.WEBHOOK_GATE_RETRY_MAX_S, max(c.WEBHOOK_GATE_RETRY_S, waited_s))
    delays = [gate_wait_s(waited_s, random.Random(seed)) for seed in range(200)]
    assert all(base / 2 <= d <= base for d in delays), (min(delays), max(delays))
    assert max(delays) - min(delays) > base / 4  # jittered: a backlog does not come back in step


def test_a_delivery_waiting_within_the_bound_is_put_back_no_later_than_the_bound(
    client: redis.Redis, settings: Settings
) -> None:
    """At the cap and within its bound, a delivery waits ("wait", not counted), and is looked at again no later
    than when its bound runs out."""
    local = settings.model_copy(update={"allow_private_networks": True})
    with Receiver([], delay_s=0.0) as rx:
        _sub(client, rx.url)
        _hold_every_slot(client, rx.port)
        now = time.time()
        fresh = attempt_delivery(client, local, _message(1), 0, now=now)
        assert fresh.outcome == "wait" and 0 < fresh.retry_in_s <= c.WEBHOOK_GATE_RETRY_S
        almost = _message(2, waiting_since=now - webhooks.WEBHOOK_GATE_WAIT_MAX_S + 2.0, gate_waits=9)
        late = attempt_delivery(client, local, almost, 0, now=now)
        assert late.outcome == "wait" and 0 <= late.retry_in_s <= 2.0
    assert rx.alert_ids == []
    assert client.hgetall(c.ALERT_STATS) == {}


def test_a_delivery_that_waited_past_the_bound_is_given_up_with_its_reason(
    client: redis.Redis, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """Still at the cap after WEBHOOK_GATE_WAIT_MAX_S of waiting: given up, counted and logged as other give-ups
    are, with the reason, and nothing sent."""
    local = settings.model_copy(update={"allow_private_networks": True})
    with Receiver([], delay_s=0.0) as rx:
        _sub(client, rx.url)
        _hold_every_slot(client, rx.port)
        now = time.time()
        stale = _message(3, waiting_since=now - webhooks.WEBHOOK_GATE_WAIT_MAX_S - 1.0, gate_waits=12)
        assert attempt_delivery(client, local, stale, 0, now=now).outcome == "gave_up"
    assert rx.alert_ids == []
    assert client.hgetall(c.ALERT_STATS) == {"webhook:gave_up": "1"}
    [line] = [r.getMessage() for r in caplog.records if "webhook_not_delivered" in r.getMessage()]
    assert "alr_s3" in line and "waited" in line and "in flight" in line


def test_a_delivery_that_gets_its_slot_after_waiting_is_sent_and_its_wait_forgotten(
    client: redis.Redis, settings: Settings
) -> None:
    """A slot free at the last look is taken however long the delivery waited: the bound is on waiting, not on
    sending."""
    local = settings.model_copy(update={"allow_private_networks": True})
    with Receiver([], delay_s=0.0) as rx:
        _sub(client, rx.url)
        stale = _message(4, waiting_since=time.time() - webhooks.WEBHOOK_GATE_WAIT_MAX_S - 1.0, gate_waits=12)
        assert attempt_delivery(client, local, stale, 0).outcome == "delivered"
    assert rx.alert_ids == ["alr_s4"]
    assert stale.waited(time.time()).waiting_since == stale.waiting_since
    assert stale.attempted().waiting_since is None and stale.attempted().gate_waits == 12


@pytest.fixture
def threaded_webhook_worker(settings: Settings, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A real Celery worker on the webhooks queue with threads, so deliveries to one receiver run side by side
    and meet its cap; one delivery in flight per receiver, quick first re-queues, a short bound."""
    from worker.app import create_app

    monkeypatch.setattr(c, "WEBHOOK_HOST_MAX_CONCURRENT", 1)
    monkeypatch.setattr(c, "WEBHOOK_GATE_RETRY_S", 0.1)
    monkeypatch.setattr(webhooks, "WEBHOOK_GATE_RETRY_MAX_S", 1.0)
    monkeypatch.setattr(webhooks, "WEBHOOK_GATE_WAIT_MAX_S", 5.0)
    local = settings.model_copy(update={"allow_private_networks": True})
    app = create_app(local, redis_url)
    with start_worker(app, pool="threads", concurrency=6, perform_ping_check=False, loglevel="WARNING",
                      shutdown_timeout=30, queues=[c.WEBHOOK_QUEUE]):  # fmt: skip
        yield app
    app.close()


def _settled(client: redis.Redis) -> int:
    stats = client.hgetall(c.ALERT_STATS)
    return int(stats.get("webhook:delivered", 0)) + int(stats.get("webhook:gave_up", 0))


@pytest.mark.timeout(90)
def test_a_slow_receivers_backlog_is_delivered_or_given_up_once_each(
    threaded_webhook_worker: Any, client: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    """Six alerts at once to a receiver taking 2 s per POST, one in flight at a time, a 5 s bound on waiting:
    the first few are delivered, the rest given up after about 5 s of waiting, and each alert ends exactly once,
    delivered (POSTed once) or given up (never POSTed), with far fewer re-queues than one every 0.1 s."""
    requeues: Counter[str] = Counter()

    def count(request: Any = None, **_: Any) -> None:
        requeues[request.args[0]["alert_id"]] += 1

    signals.task_retry.connect(count, weak=False)
    total = 6
    try:
        with Receiver([], delay_s=2.0) as rx:
            _sub(client, rx.url)
            started = time.monotonic()
            for n in range(total):
                threaded_webhook_worker.send_task(WEBHOOK_TASK, args=[_message(n).model_dump()], queue=c.WEBHOOK_QUEUE)
            while _settled(client) < total and time.monotonic() - started < 40:
                time.sleep(0.1)
            took = time.monotonic() - started
            time.sleep(3.0)  # anything doubled would show now
    finally:
        signals.task_retry.disconnect(count)
    stats = client.hgetall(c.ALERT_STATS)
    delivered, gave_up = int(stats.get("webhook:delivered", 0)), int(stats.get("webhook:gave_up", 0))
    assert delivered + gave_up == total, stats
    assert 1 <= delivered < total and gave_up >= 1, stats
    # the bound, the last re-queue's cap, a POST under way, and slack for a loaded machine: without the bound all six
    # were delivered, one every 2 s, none given up (above)
    assert took < 5.0 + 1.0 + 2.0 + 10.0, took
    assert len(rx.alert_ids) == len(set(rx.alert_ids)) == delivered
    given_up = {r.msg["alert_id"] for r in caplog.records
                if isinstance(r.msg, dict) and r.msg.get("event") == "webhook_not_delivered"}  # fmt: skip
    assert len(given_up) == gave_up and not given_up & set(rx.alert_ids)
    assert given_up | set(rx.alert_ids) == {f"alr_s{n}" for n in range(total)}
    # Once a second (or every 0.1 s here) over 5 s would be 50 re-queues each; growing waits make a dozen or so.
    assert max(requeues.values()) <= 15, requeues


@pytest.fixture
def solo_webhook_worker(settings: Settings, redis_url: str) -> Iterator[Any]:
    """A real Celery worker on the webhooks queue, one task at a time."""
    from worker.app import create_app

    local = settings.model_copy(update={"allow_private_networks": True})
    app = create_app(local, redis_url)
    with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=30,
                      queues=[c.WEBHOOK_QUEUE]):  # fmt: skip
        yield app
    app.close()


def test_a_second_copy_of_a_settled_delivery_is_neither_sent_nor_counted(
    solo_webhook_worker: Any, client: redis.Redis
) -> None:
    """Two copies of one delivery on the queue (a re-queue published and its original redelivered, or an outbox
    entry resent beside its message): the first is delivered and counted, the second finds it settled and
    sends and counts nothing."""
    with Receiver([], delay_s=0.0) as rx:
        _sub(client, rx.url)
        for _ in range(2):
            solo_webhook_worker.send_task(WEBHOOK_TASK, args=[_message(7).model_dump()], queue=c.WEBHOOK_QUEUE)
        deadline = time.monotonic() + 20
        while not client.exists(webhooks.settled_key("alr_s7")) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)  # the second copy runs right behind the first
    assert rx.alert_ids == ["alr_s7"]
    assert client.hgetall(c.ALERT_STATS) == {"webhook:delivered": "1"}


def test_an_outcome_is_counted_once_however_often_it_is_reached(client: redis.Redis, settings: Settings) -> None:
    """Give-ups too: a copy that reaches a give-up for an alert already settled counts nothing."""
    local = settings.model_copy(update={"allow_private_networks": True})
    with Receiver([], delay_s=0.0) as rx:
        _sub(client, rx.url)
        _hold_every_slot(client, rx.port)
        stale = _message(8, waiting_since=time.time() - webhooks.WEBHOOK_GATE_WAIT_MAX_S - 1.0)
        outcomes = [attempt_delivery(client, local, stale, 0).outcome for _ in range(2)]
    assert outcomes == ["gave_up", "settled"]
    assert client.hgetall(c.ALERT_STATS) == {"webhook:gave_up": "1"}
    assert 0 < client.ttl(webhooks.settled_key("alr_s8")) <= webhooks.WEBHOOK_SETTLED_TTL_S
