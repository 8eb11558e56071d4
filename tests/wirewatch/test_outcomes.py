"""outcomes: each delivery is recorded and counted exactly once, however many times it is settled."""

from __future__ import annotations

import json
from collections.abc import Callable

import redis

from tests.helpers import make_raw_article
from wirewatch import constants as c
from wirewatch.outcomes import ALREADY_SETTLED, SUPERSEDED, Outcomes, Terminal, read_ledger, read_status
from wirewatch.settings import Settings


def test_second_settle_of_a_delivery_changes_nothing(client: redis.Redis, settings: Settings) -> None:
    """Two concurrent deliveries of one message: the first outcome stands, the second is already_settled."""
    raw = make_raw_article()
    client.hset(c.LEDGER_PAYLOAD, raw.delivery_id, raw.model_dump_json(by_alias=True))
    outcomes = Outcomes(client, settings)
    [first] = outcomes.settle_many([Terminal(raw.delivery_id, "rejected:empty", "no text")])
    [second] = outcomes.settle_many([Terminal(raw.delivery_id, "dead", "boom")])
    assert (first.outcome, second.outcome) == ("rejected:empty", ALREADY_SETTLED)
    assert read_status(client, [raw.delivery_id])[raw.delivery_id]["state"] == "rejected"  # type: ignore[index]
    assert client.hgetall(c.STATS) == {"rejected:empty": "1"}
    assert client.xlen(c.DEAD_STREAM) == 0


def test_refusals_are_recorded_without_a_ledger_entry(client: redis.Redis, settings: Settings) -> None:
    """What a producer refused at the door never reached the ledger, and is still recorded once."""
    [settled] = Outcomes(client, settings).settle_many([Terminal("f" * 32, "rejected:too_large", "big")], refused=True)
    assert settled.outcome == "rejected:too_large"
    status = json.loads(client.get(c.status_key("f" * 32)))
    assert status == {"state": "rejected", "reason": "too_large", "detail": "big"}


def test_settle_of_a_replaced_payload_records_nothing(
    client: redis.Redis, settings: Settings, submit: Callable[..., list[str]]
) -> None:
    """A delivery id submitted again after its payload was read: the settle of the old payload is superseded
    and records nothing; the new payload, settled with its own version, is recorded once."""
    old = make_raw_article()
    new = make_raw_article(delivery_id=old.delivery_id, content="Corrected\n\nThe corrected text of the article.")
    [delivery] = submit(old)
    _, versions = read_ledger(client, [delivery])
    submit(new)
    outcomes = Outcomes(client, settings)
    [stale] = outcomes.settle_many([Terminal(delivery, "dead", "boom")], versions=versions)
    assert stale.outcome == SUPERSEDED
    assert read_status(client, [delivery])[delivery] is None
    assert not client.exists(c.STATS, c.DEAD_STREAM, c.DEAD_PAYLOAD)
    [payload], versions = read_ledger(client, [delivery])
    assert payload == new.model_dump_json(by_alias=True)
    [current] = outcomes.settle_many([Terminal(delivery, "dead", "boom")], versions=versions)
    assert current.outcome == "dead"
    assert client.hget(c.DEAD_PAYLOAD, delivery) == payload
    assert not client.exists(c.LEDGER_PENDING, c.LEDGER_PAYLOAD, c.LEDGER_VERSION)
