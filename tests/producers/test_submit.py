"""Submitting a delivery id again (feeds use deterministic ids): the latest submission wins and is processed.

Races are driven in order, not by timing: a worker's batch (``worker.pipeline.process``, real code) is stopped
just before its settle while the producer submits the id again, then a real Celery worker takes the messages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from unittest.mock import ANY

import pytest
import redis

from producers.feeds import item_key
from schemas import RawArticle, RawSource
from tests.helpers import make_raw_article, stream_events, wait_for_status
from wirewatch import constants as c
from wirewatch.outcomes import ALREADY_SETTLED, SUPERSEDED, read_status
from wirewatch.settings import Settings
from worker.dedup import identify
from worker.parse import parse
from worker.pipeline import count_attempts, process
from worker.subscriptions import put_subscription, validate

FEED = "https://example.org/feed.xml"
BODY = "Officials said on Monday that the river had risen by two metres overnight, flooding the lower town."


def make_item(guid: str, **overrides: Any) -> RawArticle:
    """A feed item: its delivery id is derived from the feed and the guid, as the feed producer derives it."""
    fields: dict[str, Any] = {
        "delivery_id": item_key(FEED, guid, None, None, None),
        "source": RawSource(kind="feed", name="Example", feed=FEED),
        "guid": guid,
    }
    return make_raw_article(**(fields | overrides))


def assert_ledger_empty(client: redis.Redis) -> None:
    for key in (c.LEDGER_PENDING, c.LEDGER_PAYLOAD, c.LEDGER_VERSION, c.LEDGER_ATTEMPTS):
        assert not client.exists(key), key


@pytest.mark.parametrize("first", ["rejected", "emitted"])
def test_resubmitted_while_processed_the_new_payload_is_processed(
    client: redis.Redis, submit: Callable[..., list[str]], make_worker: Callable[..., Any],
    request: pytest.FixtureRequest, first: str,
) -> None:  # fmt: skip
    """An item submitted again while a worker processes its first version: that worker's settle is superseded
    (the status and the ledger entry are left to the new version; a new article is still emitted), and the new
    version is processed (it used to be cleared with the old one, unseen)."""
    if first == "rejected":  # served empty first, then with its text
        old = make_item("guid-1", content="")
    else:  # its link and text corrected
        old = make_item("guid-1", content=f"Flood\n\n{BODY}", url="https://example.org/news/flod")
    new = make_item("guid-1", content=f"Flood in the lower town\n\n{BODY} Schools are closed.",
                    url="https://example.org/news/flood")  # fmt: skip
    [delivery] = submit(old)
    again = lambda: submit(new)  # noqa: E731
    hooks = {"before_settle": again} if first == "rejected" else {"before_emit": again}
    [settled] = process([delivery], make_worker(**hooks))
    assert settled.outcome == SUPERSEDED
    assert read_status(client, [delivery])[delivery] is None
    before = stream_events(client)
    assert [e["url"] for e in before] == ([] if first == "rejected" else ["https://example.org/news/flod"])
    assert client.hget(c.LEDGER_PAYLOAD, delivery) == new.model_dump_json(by_alias=True)
    request.getfixturevalue("worker_app")  # takes both messages: the first submission's, then the second's
    status = wait_for_status(client, [delivery])[delivery]
    *_, event = stream_events(client)
    assert (status["state"], status["article_id"]) == ("emitted", event["id"])
    assert event["url"] == "https://example.org/news/flood" and "Schools are closed." in event["text"]
    assert client.hgetall(c.STATS) == {"emitted": str(len(before) + 1)}
    assert_ledger_empty(client)


def test_resubmitted_after_settling_gets_its_own_outcome(
    worker_app: Any, client: redis.Redis, submit: Callable[..., list[str]]
) -> None:
    """An item submitted again after its first version settled: the first event stands, the old status gives way
    to the new version's outcome (a duplicate of that event, by its URL), and nothing stays pending."""
    url = "https://example.org/news/flood"
    [delivery] = submit(make_item("guid-2", content=f"Flood\n\n{BODY}", url=url))
    assert wait_for_status(client, [delivery])[delivery]["state"] == "emitted"
    submit(make_item("guid-2", content=f"Flood\n\n{BODY} Updated at noon.", url=url))
    status = wait_for_status(client, [delivery])[delivery]
    while status["state"] == "emitted":  # the old status, until the new submission clears it
        status = wait_for_status(client, [delivery])[delivery]
    [event] = stream_events(client)
    assert (status["state"], status["of"]) == ("duplicate", event["id"])
    assert client.hgetall(c.STATS) == {"emitted": "1", "duplicate": "1"}
    assert_ledger_empty(client)


def test_resubmission_restarts_the_attempts_counter(
    client: redis.Redis, submit: Callable[..., list[str]], settings: Settings, request: pytest.FixtureRequest
) -> None:
    """A new version of an item whose first version was delivered max_attempts times without finishing (each
    delivery killed its worker) is tried, not dead-lettered untried for the old version's attempts."""
    [delivery] = submit(make_item("guid-3", content="Poison\n\nA page that kills its worker."))
    for _ in range(settings.max_attempts):
        count_attempts(client, [delivery])
    submit(make_item("guid-3", content=f"Flood\n\n{BODY}"))
    request.getfixturevalue("worker_app")
    assert wait_for_status(client, [delivery])[delivery]["state"] == "emitted"
    assert len(stream_events(client)) == 1 and client.xlen(c.DEAD_STREAM) == 0
    assert_ledger_empty(client)


def test_a_resubmission_landing_as_the_old_version_runs_out_of_attempts_is_not_dead_lettered(
    client: redis.Redis, submit: Callable[..., list[str]], settings: Settings, request: pytest.FixtureRequest
) -> None:
    """The attempts check counts the old version past max_attempts; a new version is submitted before its dead
    letter is settled. The settle carries the version the attempts counted, so the new one stays in the ledger
    (superseded) and is then tried and emitted; it was dead-lettered untried in the old one's place."""
    from worker.pipeline import Deps
    from worker.tasks import dead_letter_exhausted

    [delivery] = submit(make_item("guid-9", content="Poison\n\nA page that kills its worker."))
    for _ in range(settings.max_attempts):
        count_attempts(client, [delivery])
    [count], versions = count_attempts(client, [delivery])
    assert count > settings.max_attempts and delivery in versions
    submit(make_item("guid-9", content=f"Flood\n\n{BODY}"))  # lands between the count and the dead letter
    dead_letter_exhausted(Deps.create(client, settings), [delivery], versions)
    assert client.xlen(c.DEAD_STREAM) == 0 and client.hexists(c.LEDGER_PAYLOAD, delivery)
    request.getfixturevalue("worker_app")
    assert wait_for_status(client, [delivery])[delivery]["state"] == "emitted"
    assert [e["title"] for e in stream_events(client)] == ["Flood"]
    assert_ledger_empty(client)


def test_the_reconciler_does_not_resend_an_article_a_worker_is_on(
    client: redis.Redis, submit: Callable[..., list[str]], make_worker: Callable[..., Any], settings: Settings,
    redis_url: str,
) -> None:  # fmt: skip
    """An article accepted long ago (it waited behind a backlog) and started by a worker just now is not re-sent
    while that worker is on it: a second message would count an attempt it never failed, and a few of those
    dead-lettered an article that was only slow to reach. One that no message has started is re-sent."""
    from producers.submit import Submitter
    from wirewatch.outcomes import Outcomes
    from wirewatch.queue import celery_app

    app = celery_app(redis_url)
    submitter = Submitter(client, app, Outcomes(client, settings), settings.batch_size)
    started, waiting = submit(make_item("guid-10", content=f"Flood\n\n{BODY}"),
                              make_item("guid-11", content=f"Storm\n\n{BODY} Trees fell."))  # fmt: skip
    client.zadd(c.LEDGER_PENDING, dict.fromkeys([started, waiting], 1_000.0), xx=True)  # accepted long ago
    resent: list[int] = []
    count_attempts(client, [started])  # as the task does first
    process([started], make_worker(before_emit=lambda: resent.append(submitter.resend_stale(60))))
    assert resent == [1], "the reconciler re-sent the article being processed, or not the one never started"
    assert client.hget(c.LEDGER_ATTEMPTS, waiting) is None
    assert client.zscore(c.LEDGER_PENDING, waiting) > 1_000.0  # re-stamped by its re-send
    app.close()


def test_same_item_submitted_again_while_processed_makes_one_event(
    client: redis.Redis, submit: Callable[..., list[str]], make_worker: Callable[..., Any],
    request: pytest.FixtureRequest,
) -> None:  # fmt: skip
    """The same item again while its first submission is processed (a poll that died before marking it seen,
    polled again): one event, and the delivery ends as its duplicate; nothing stays pending."""
    item = make_item("guid-4", content=f"Flood\n\n{BODY}", url="https://example.org/news/flood")
    [delivery] = submit(item)
    [settled] = process([delivery], make_worker(before_emit=lambda: submit(item)))
    assert settled.outcome == SUPERSEDED
    request.getfixturevalue("worker_app")
    status = wait_for_status(client, [delivery])[delivery]
    [event] = stream_events(client)
    assert (status["state"], status["of"]) == ("duplicate", event["id"])
    assert_ledger_empty(client)


def test_new_version_finished_before_the_old_settles_is_emitted(
    client: redis.Redis, submit: Callable[..., list[str]], make_worker: Callable[..., Any]
) -> None:
    """An item's link corrected while its first version is between its alerts (which reserve its claims) and its
    emit, and the new version processed to its end meanwhile: the new version is emitted, not made a duplicate of
    the first version's article (which is never emitted), and the claims the first version reserved are let go,
    so that a later copy under its link is not a duplicate of an article that does not exist."""
    put_subscription(client, validate("flood", "flood"))
    old_url, new_url = "https://example.org/news/flod", "https://example.org/news/flood"
    old = make_item("guid-5", content=f"Flood\n\n{BODY}", url=old_url)
    new = make_item("guid-5", content=f"Flood\n\n{BODY}", url=new_url)  # the same text
    [delivery] = submit(old)

    def corrected() -> None:
        submit(new)
        [finished] = process([delivery], make_worker())
        assert finished.outcome == "emitted"

    [settled] = process([delivery], make_worker(before_emit=corrected))
    assert settled.outcome == ALREADY_SETTLED
    [event] = stream_events(client)
    assert event["url"] == new_url
    assert read_status(client, [delivery])[delivery] == {"state": "emitted", "article_id": event["id"],
                                                         "entry": ANY}  # fmt: skip
    assert not client.exists(c.url_claim_key(identify(parse(old)).url_hash))  # the first version's claim, let go
    assert_ledger_empty(client)
