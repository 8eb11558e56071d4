"""Alerts: one per subscription per story, atomic with their claim, with the words that matched."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import redis

from schemas import AlertEvent, Entity
from tests.worker.test_match import make_event
from wirewatch import constants as c
from worker.alerts import alert_id, raise_alerts
from worker.subscriptions import SubscriptionIndex, put_subscription, remove_subscription, validate

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def _alerts(client: redis.Redis) -> list[AlertEvent]:
    return [AlertEvent.model_validate_json(f["event"]) for _, f in client.xrange(c.ALERTS_STREAM)]


def test_one_alert_per_subscription_per_story(client: redis.Redis) -> None:
    """A match alerts once; another copy of the same story and a redelivery do not alert again."""
    put_subscription(client, validate("fc", "fentanyl AND (china OR chinese) AND NOT sports"))
    put_subscription(client, validate("trade", 'title:"trade deal"'))
    index = SubscriptionIndex(client, poll_s=0)
    first = make_event(id="a1", story_id="a1", title="China jails fentanyl traffickers",
                       text="Chinese court jails nine over fentanyl.")  # fmt: skip
    raised = raise_alerts(client, index, [first], NOW)
    assert [r.subscription.name for r in raised] == ["fc"]
    [alert] = _alerts(client)
    assert alert.id == alert_id(alert.subscription.id, "a1")
    assert alert.subscription.query == "fentanyl AND (china OR chinese) AND NOT sports"
    assert (alert.article_id, alert.story_id, alert.title) == ("a1", "a1", first.title)
    assert {(m.field, m.term) for m in alert.matched} >= {("title", "china"), ("title", "fentanyl")}
    for m in alert.matched:
        source = first.title if m.field == "title" else first.text
        assert source[m.start : m.end].lower() == m.term
    copy = make_event(id="a2", story_id="a1", title="Fentanyl: China jails nine", text="fentanyl china")
    assert raise_alerts(client, index, [copy], NOW) == []
    assert raise_alerts(client, index, [first], NOW) == []  # a redelivered batch
    assert len(_alerts(client)) == 1
    assert int(client.hget(c.ALERT_STATS, "alerted")) == 1


def test_new_story_and_new_subscription_alert_again(client: redis.Redis) -> None:
    """A different story alerts; a subscription added later alerts on a story others already alerted on."""
    put_subscription(client, validate("a", "alpha"))
    index = SubscriptionIndex(client, poll_s=0)
    raise_alerts(client, index, [make_event(id="s1", story_id="s1", text="alpha")], NOW)
    raise_alerts(client, index, [make_event(id="s2", story_id="s2", text="alpha")], NOW)
    put_subscription(client, validate("b", "alpha OR beta"))
    raised = raise_alerts(client, index, [make_event(id="s3", story_id="s1", text="alpha beta")], NOW)
    assert [r.subscription.name for r in raised] == ["b"]
    assert [(a.subscription.name, a.story_id) for a in _alerts(client)] == [("a", "s1"), ("a", "s2"), ("b", "s1")]
    remove_subscription(client, "a")
    remove_subscription(client, "b")
    assert raise_alerts(client, index, [make_event(id="s4", story_id="s4", text="alpha")], NOW) == []


def test_alert_json_is_the_contract(client: redis.Redis) -> None:
    """What lands in ww:alerts is an AlertEvent with schema wirewatch.alert/1 and millisecond created_at."""
    put_subscription(client, validate("a", "alpha"))
    raise_alerts(client, SubscriptionIndex(client), [make_event(text="Alpha")], NOW)
    [(_, fields)] = client.xrange(c.ALERTS_STREAM)
    body = json.loads(fields["event"])
    assert body["schema"] == "wirewatch.alert/1"
    assert body["created_at"] == "2026-11-29T12:00:00.000Z"
    assert body["matched"] == [{"field": "text", "term": "alpha", "start": 0, "end": 5}]
    assert fields["id"] == body["id"]


def test_seed_article_through_the_worker_alerts_once_and_calls_the_webhook(
    settings: Any, redis_url: str, client: redis.Redis, submit: Callable[..., list[str]], seed_text: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """End to end on a real worker: the seed alerts its matching subscriptions (entity, country and keyword
    fields from the enrich stage included) once, not again on re-ingest, and the webhook receives the
    signed alert."""
    from celery.contrib.testing.worker import start_worker

    from schemas import RawSource
    from tests.helpers import make_raw_article, wait_for_status
    from tests.worker.test_webhooks import SECRET, Receiver
    from worker.app import create_app
    from worker.webhooks import verify

    monkeypatch.setattr(c, "WEBHOOK_BACKOFF_S", 0.1)
    app = create_app(settings.model_copy(update={"allow_private_networks": True}), redis_url)
    with Receiver([]) as rx, start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING",
                                          shutdown_timeout=30, queues=[c.INGEST_QUEUE, c.WEBHOOK_QUEUE]):
        put_subscription(client, validate("fc", "fentanyl AND (china OR chinese) AND NOT sports",
                                          webhook=rx.url, secret=SECRET))
        put_subscription(client, validate("trade", 'title:"trade deal"'))
        put_subscription(client, validate("trump", 'person:"Donald Trump"'))  # from the enrich stage
        put_subscription(client, validate("places", "place:beijing AND country:cn AND keyword:fentanyl"))
        put_subscription(client, validate("org", 'org:"Donald Trump"'))
        raw = make_raw_article(content=seed_text, source=RawSource(kind="inbox", path="seed.txt"))
        wait_for_status(client, submit(raw))
        again = make_raw_article(content=seed_text, source=RawSource(kind="inbox", path="seed-copy.txt"))
        assert wait_for_status(client, submit(again)).popitem()[1]["state"] == "duplicate"
        deadline = time.monotonic() + 20
        while not rx.requests and time.monotonic() < deadline:
            time.sleep(0.05)
        app.close()
    alerts = _alerts(client)
    assert sorted(a.subscription.name for a in alerts) == ["fc", "places", "trump"]
    [(headers, body)] = rx.requests
    assert verify(SECRET, headers["X-Wirewatch-Timestamp"], body, headers["X-Wirewatch-Signature"])
    assert AlertEvent.model_validate_json(body).subscription.name == "fc"


@pytest.mark.parametrize(
    ("title", "url", "published_at"),
    [
        ('Quotes "and" back\\slashes, tabs\tand ünïcode — 中文', "https://example.com/a?b=1&c=2", None),
        ("Plain", None, datetime(2019, 11, 7, 15, 6, 19, tzinfo=UTC)),
        ("Sub-second", "https://x.test/", datetime(2019, 11, 7, 15, 6, 19, 250_000, tzinfo=UTC)),
    ],
)
def test_assembled_alert_json_equals_the_model_s(
    client: redis.Redis, title: str, url: str | None, published_at: datetime | None
) -> None:
    """The alert JSON built from parts is byte for byte what AlertEvent.model_dump_json writes."""
    put_subscription(client, validate('name "quoted" é', 'alpha AND NOT "beta gamma"'))
    event = make_event(id="j1", story_id="j0", title=title, text="alpha alpha", url=url, published_at=published_at)
    [raised] = raise_alerts(client, SubscriptionIndex(client), [event], NOW)
    model = AlertEvent.model_validate_json(raised.body)
    assert raised.body == model.model_dump_json(by_alias=True)
    assert (model.title, model.url, model.published_at) == (title, url, published_at)
    assert model.subscription.name == 'name "quoted" é'
    [(_, fields)] = client.xrange(c.ALERTS_STREAM)
    assert fields == {"id": raised.alert_id, "event": raised.body}


def test_assembled_matched_terms_equal_the_model_s(client: redis.Redis) -> None:
    """Matched terms of every kind (accented, CJK, with symbols, phrases, wildcards, in several fields) are written
    byte for byte as AlertEvent.model_dump_json writes them."""
    query = '"ünïcode straße" OR c++ OR c# OR 中文 OR fiancé* OR person:"jürgen klopp" OR title:ñandú'
    put_subscription(client, validate("terms", query))
    event = make_event(
        id="t1",
        story_id="t0",
        title="C++ and C# for a Ñandú",
        text="Ünïcode Straße, 中文 and the fiancée's fiancé",
        entities=[Entity(name="Jürgen Klopp", type="person", count=1)],
    )
    [raised] = raise_alerts(client, SubscriptionIndex(client), [event], NOW)
    model = AlertEvent.model_validate_json(raised.body)
    assert raised.body == model.model_dump_json(by_alias=True)
    assert [(m.field, m.term, m.start, m.end) for m in model.matched] == [
        ("title", "c++", 0, 3),
        ("title", "c#", 8, 10),
        ("title", "nandu", 17, 22),
        ("text", "unicode strasse", 0, 14),
        ("text", "中 文", 16, 18),
        ("text", "fiance*", 27, 34),
        ("text", "fiance*", 37, 43),
        ("person", "jurgen klopp", 0, 12),
    ]


def test_many_alerts_in_one_batch_span_several_script_calls(client: redis.Redis) -> None:
    """More alerts than one script call takes: every pair alerts once, copies in the batch do not repeat."""
    from worker.alerts import ALERTS_PER_CALL

    names = [f"s{i}" for i in range(ALERTS_PER_CALL + 20)]
    for name in names:
        put_subscription(client, validate(name, f"alpha OR {name}x"))
    index = SubscriptionIndex(client, poll_s=0)
    first = make_event(id="m1", story_id="m1", text="alpha")
    copy = make_event(id="m2", story_id="m1", text="alpha again")
    raised = raise_alerts(client, index, [first, copy], NOW)
    assert sorted(r.subscription.name for r in raised) == sorted(names)
    assert {r.alert.article_id for r in raised} == {"m1"}
    assert client.xlen(c.ALERTS_STREAM) == len(names)
    assert int(client.hget(c.ALERT_STATS, "alerted")) == len(names)
    assert raise_alerts(client, index, [copy], NOW) == []


def test_entries_are_the_stream_ids_and_a_pair_claimed_meanwhile_is_skipped(client: redis.Redis) -> None:
    """`alerts.lua` answers one string for a whole chunk: each Raised keeps its own stream entry id, and a pair
    that another worker claimed after our check (here: claimed by hand just before the script is queued) is left out
    without shifting the others."""
    from worker import alerts

    for name in ("a", "b", "c"):
        put_subscription(client, validate(name, f"alpha OR {name}x"))
    index = SubscriptionIndex(client, poll_s=0)
    event = make_event(id="e1", story_id="e1", text="alpha")
    index.current()
    sid_b = next(s.id for s in index.subscriptions.values() if s.name == "b")
    real_script, claimer = client.register_script, client

    def claim_b_first(script: str) -> Any:
        runner = real_script(script)
        if script != alerts.ALERTS_LUA:
            return runner

        def run(keys: list[str], args: list[Any], client: Any = None) -> Any:
            claimer.append(c.alert_claim_key("e1"), f"{sid_b}\n")
            return runner(keys=keys, args=args, client=client)

        return run

    client.register_script = claim_b_first  # type: ignore[method-assign]
    try:
        raised = raise_alerts(client, index, [event], NOW)
    finally:
        client.register_script = real_script  # type: ignore[method-assign]
    assert sorted(r.subscription.name for r in raised) == ["a", "c"]
    stream = {fields["id"]: entry for entry, fields in client.xrange(c.ALERTS_STREAM)}
    assert {r.alert_id: r.entry for r in raised} == stream
    assert int(client.hget(c.ALERT_STATS, "alerted")) == 2


def test_alert_bodies_with_newlines_and_long_chunks_stay_aligned(client: redis.Redis, monkeypatch: Any) -> None:
    """`alerts.lua` takes each chunk's ids and bodies joined by newlines: a title with newlines and non-ASCII
    text (JSON escapes the newline) must come back whole, and a batch spanning several chunks keeps every
    alert with its own claim and entry."""
    from worker import alerts

    monkeypatch.setattr(alerts, "ALERTS_PER_CALL", 3)
    for i in range(7):
        put_subscription(client, validate(f"s{i}", f"alpha OR w{i}x"))
    index = SubscriptionIndex(client, poll_s=0)
    title = "Line one\nline two: naïve café\r\n— end"
    event = make_event(id="n1", story_id="n1", title=title, text="alpha")
    raised = raise_alerts(client, index, [event], NOW)
    assert sorted(r.subscription.name for r in raised) == [f"s{i}" for i in range(7)]
    stored = {fields["id"]: (entry, AlertEvent.model_validate_json(fields["event"]))
              for entry, fields in client.xrange(c.ALERTS_STREAM)}  # fmt: skip
    assert {r.alert_id: r.entry for r in raised} == {aid: entry for aid, (entry, _) in stored.items()}
    for r in raised:
        alert = stored[r.alert_id][1]
        assert alert.title == title
        assert alert.id == alert_id(r.subscription.id, "n1")
    assert set(client.get(c.alert_claim_key("n1")).splitlines()) == {r.subscription.id for r in raised}


def test_claims_are_one_key_per_story_living_a_ttl_after_its_latest_alert(client: redis.Redis, monkeypatch: Any) -> None:
    """Several stories in one chunk each get their own claims (the subscription ids that alerted, one per
    line); they expire ALERT_CLAIM_TTL_S after the story's latest alert, and a copy finds every pair claimed."""
    from worker import alerts

    monkeypatch.setattr(alerts, "ALERTS_PER_CALL", 4)  # 3 stories x 3 subscriptions: chunks cross stories
    for name in ("a", "b", "c"):
        put_subscription(client, validate(name, f"alpha OR {name}x"))
    index = SubscriptionIndex(client, poll_s=0)
    events = [make_event(id=f"t{i}", story_id=f"t{i}", text="alpha") for i in range(3)]
    raised = raise_alerts(client, index, events, NOW)
    assert len(raised) == 9
    for i in range(3):
        claims = client.get(c.alert_claim_key(f"t{i}"))
        assert claims.endswith("\n")
        assert sorted(claims.splitlines()) == sorted(r.subscription.id for r in raised if r.story_id == f"t{i}")
        assert c.ALERT_CLAIM_TTL_S - 5 <= client.ttl(c.alert_claim_key(f"t{i}")) <= c.ALERT_CLAIM_TTL_S
    client.expire(c.alert_claim_key("t0"), 100)
    put_subscription(client, validate("d", "alpha AND NOT zeta"))
    [late] = raise_alerts(client, index, [make_event(id="t0b", story_id="t0", text="alpha")], NOW)
    assert late.subscription.name == "d"
    assert len(client.get(c.alert_claim_key("t0")).splitlines()) == 4
    assert client.ttl(c.alert_claim_key("t0")) > 100  # refreshed by the story's latest alert
    copies = [make_event(id=f"u{i}", story_id=f"t{i}", text="alpha") for i in range(3)]
    assert sorted((r.story_id, r.subscription.name) for r in raise_alerts(client, index, copies, NOW)) == [
        ("t1", "d"), ("t2", "d")]  # fmt: skip
    assert raise_alerts(client, index, copies, NOW) == []
    assert client.xlen(c.ALERTS_STREAM) == 12


def test_alerts_script_skips_claimed_pairs_and_repeats_within_one_call(client: redis.Redis) -> None:
    """The script is the authority on claims: a pair already in the story's claims, or twice in one call,
    writes one alert only, and each answer stays in its alert's place."""
    from worker.alerts import ALERTS_LUA

    client.set(c.alert_claim_key("k1"), "sub_a\n")
    script = client.register_script(ALERTS_LUA)
    keys = [c.ALERTS_STREAM, c.ALERT_STATS, c.WEBHOOK_OUTBOX, c.alert_claim_key("k1"), c.alert_claim_key("k2")]
    args = [60, 1000, "1\n1\n1\n2", "sub_a\nsub_b\nsub_b\nsub_a", "alr_1\nalr_2\nalr_3\nalr_4", "{}\n{}\n{}\n{}",
            "k1\n\n\nk2", 1234, "\n\n\n", "", "", 60]  # the first and the last for a webhook; no article's claims
    answer = str(script(keys=keys, args=args)).split(" ")
    assert [bool(e) for e in answer] == [False, True, False, True]
    assert [f["id"] for _, f in client.xrange(c.ALERTS_STREAM)] == ["alr_2", "alr_4"]
    assert client.hgetall(c.WEBHOOK_OUTBOX) == {"sub_a k2": "1234 {}"}  # the claimed pair writes nothing
    assert client.get(c.alert_claim_key("k1")) == "sub_a\nsub_b\n"
    assert client.get(c.alert_claim_key("k2")) == "sub_a\n"
    assert 0 < client.ttl(c.alert_claim_key("k1")) <= 60


def test_alerts_script_refuses_a_bad_story_before_writing_anything(client: redis.Redis) -> None:
    """A story position outside KEYS is an error, and no alert of the call is written: every line is checked
    before the first write (a script's writes are not rolled back)."""
    from worker.alerts import ALERTS_LUA

    script = client.register_script(ALERTS_LUA)
    keys = [c.ALERTS_STREAM, c.ALERT_STATS, c.WEBHOOK_OUTBOX, c.alert_claim_key("k1")]
    args = [60, 1000, "1\n2", "sub_a\nsub_b", "alr_a\nalr_b", "{}\n{}", "k1\n", 0, "\n", "", "", 60]
    with pytest.raises(redis.ResponseError, match="no claims key for story 2"):
        script(keys=keys, args=args)
    assert client.xlen(c.ALERTS_STREAM) == 0
    assert not client.exists(c.alert_claim_key("k1"))
    with pytest.raises(redis.ResponseError, match="2 stories, 1 subscriptions"):
        script(keys=keys, args=[60, 1000, "1\n1", "sub_a", "alr_a\nalr_b", "{}\n{}", "\n", 0, "\n", "", "", 60])
    assert not client.exists(c.WEBHOOK_OUTBOX)
    text = c.text_claim_key("h")
    reserving = [text, c.DEDUP_RESERVED, c.LEDGER_PAYLOAD]  # an article's claims, then where reservations go
    with pytest.raises(redis.ResponseError, match="no owner for article 2"):
        script(keys=[*keys, *reserving], args=[60, 1000, "1\n1", "sub_a\nsub_b", "alr_a\nalr_b", "{}\n{}", "\n", 0,
                                         "1\n2", "a1 d1", "5", 60])  # fmt: skip
    with pytest.raises(redis.ResponseError, match="exact claims of article 1 outside KEYS"):
        script(keys=[*keys, *reserving], args=[60, 1000, "1", "sub_a", "alr_a", "{}", "", 0, "1", "a1 d1", "6", 60])
    assert client.xlen(c.ALERTS_STREAM) == 0 and not client.exists(text, c.alert_claim_key("k1"), c.DEDUP_RESERVED)


def test_alerts_script_writes_only_for_an_article_holding_its_exact_claims(client: redis.Redis) -> None:
    """An alert is written only for an article whose exact claims are free (then taken in its delivery's name,
    for the dedup window) or its own reservation; one whose claims another copy holds, emitted or reserved,
    writes nothing, and its pairs stay free for the copy that will be emitted."""
    from worker.alerts import ALERTS_LUA

    url, text, other = c.url_claim_key("u1"), c.text_claim_key("t1"), c.text_claim_key("t2")
    client.set(other, "b1")  # emitted by another copy
    client.hset(c.LEDGER_PAYLOAD, mapping={"d1": "{}", "d2": "{}", "d3": "{}"})
    script = client.register_script(ALERTS_LUA)
    keys = [c.ALERTS_STREAM, c.ALERT_STATS, c.WEBHOOK_OUTBOX, c.alert_claim_key("k1"), url, text, other,
            c.DEDUP_RESERVED, c.LEDGER_PAYLOAD]  # fmt: skip
    args = [60, 1000, "1\n1\n1", "sub_a\nsub_b\nsub_c", "alr_a\nalr_b\nalr_c", "{}\n{}\n{}", "\n\n", 0,
            "1\n2\n1", "a1 d1\na2 d2", "5,6\n7", 90]  # a1: its URL and text; a2: its text only
    answer = str(script(keys=keys, args=args)).split(" ")
    assert [bool(e) for e in answer] == [True, False, True]
    assert (client.get(url), client.get(text), client.get(other)) == ("a1 d1", "a1 d1", "b1")
    assert 0 < client.ttl(text) <= 90
    assert client.get(c.alert_claim_key("k1")) == "sub_a\nsub_c\n"
    # a1's own reservation holds; a3 (the same URL and text, another delivery) is a copy of it
    again = [60, 1000, "1\n1", "sub_b\nsub_d", "alr_b\nalr_d", "{}\n{}", "\n", 0, "1\n2", "a1 d1\na3 d3", "5,6\n5,6",
             90]  # fmt: skip
    assert [bool(e) for e in str(script(keys=keys, args=again)).split(" ")] == [True, False]
    assert client.get(url) == "a1 d1"
    # what it reserved is recorded under its delivery, once, for its settle to let go of (wirewatch/lua/settle.lua)
    assert client.hgetall(c.DEDUP_RESERVED) == {"d1": f"{url} a1\n{text} a1"}
    assert 0 < client.ttl(c.DEDUP_RESERVED) <= 90


def test_alerts_script_reserves_nothing_for_a_delivery_no_longer_in_the_ledger(client: redis.Redis) -> None:
    """A delivery settled already (by another run of its message) will not be emitted by this run: its article
    takes no claim and raises no alert, so no reservation is left that no settle would let go of."""
    from worker.alerts import ALERTS_LUA

    text = c.text_claim_key("t1")
    script = client.register_script(ALERTS_LUA)
    keys = [c.ALERTS_STREAM, c.ALERT_STATS, c.WEBHOOK_OUTBOX, c.alert_claim_key("k1"), text, c.DEDUP_RESERVED,
            c.LEDGER_PAYLOAD]  # fmt: skip
    args = [60, 1000, "1", "sub_a", "alr_a", "{}", "", 0, "1", "a1 d1", "5", 90]
    assert str(script(keys=keys, args=args)) == ""
    assert not client.exists(text, c.DEDUP_RESERVED, c.alert_claim_key("k1"), c.ALERTS_STREAM)
    client.hset(c.LEDGER_PAYLOAD, "d1", "{}")
    assert str(script(keys=keys, args=args)) != ""
    assert client.get(text) == "a1 d1" and client.hget(c.DEDUP_RESERVED, "d1") == f"{text} a1"


def test_an_alert_for_a_webhook_waits_in_the_outbox_until_its_message_is_sent(client: redis.Redis,
                                                                                redis_url: str) -> None:  # fmt: skip
    """The alert's webhook message is written with the alert, in one script; cleared once it is on the broker.
    Left there (the worker died in between), the redelivered batch resends it instead of losing it; and what no
    redelivery comes for, the runner's sweep sends once it is stale."""
    from tests.worker.test_webhooks import SECRET
    from wirewatch.queue import celery_app, sweep_webhook_outbox
    from worker.webhooks import clear_outbox

    put_subscription(client, validate("hooked", "alpha", webhook="https://hooks.example/x", secret=SECRET))
    put_subscription(client, validate("plain", "alpha"))
    index = SubscriptionIndex(client, poll_s=0)
    event = make_event(id="w1", story_id="w1", text="alpha")
    raised = raise_alerts(client, index, [event], NOW)
    assert sorted(r.subscription.name for r in raised) == ["hooked", "plain"]
    hooked = next(r for r in raised if r.subscription.name == "hooked")
    [(field, value)] = client.hgetall(c.WEBHOOK_OUTBOX).items()
    assert field == f"{hooked.subscription.id} w1" and value.partition(" ")[2] == hooked.body

    # The worker died before sending: the redelivered batch raises nothing new and resends the one left.
    [again] = raise_alerts(client, index, [event], NOW)
    assert again.resent and (again.alert_id, again.body) == (hooked.alert_id, hooked.body)
    assert len(_alerts(client)) == 2
    clear_outbox(client, [again])
    assert client.hlen(c.WEBHOOK_OUTBOX) == 0 and raise_alerts(client, index, [event], NOW) == []

    # No redelivery comes: the sweep sends what has waited past its time, and only that.
    raise_alerts(client, index, [make_event(id="w2", story_id="w2", text="alpha")], NOW)
    app = celery_app(redis_url)
    try:
        assert sweep_webhook_outbox(client, app, stale_s=300, now=NOW.timestamp() + 10) == 0
        assert sweep_webhook_outbox(client, app, stale_s=300, now=NOW.timestamp() + 301) == 1
    finally:
        app.close()
    assert client.hlen(c.WEBHOOK_OUTBOX) == 0
    [message] = map(json.loads, client.lrange(c.WEBHOOK_QUEUE, 0, -1))  # the Celery message, as kombu wrote it
    [[args], _, _] = json.loads(base64.b64decode(message["body"]))
    assert message["headers"]["task"] == "wirewatch.webhook" and args["subscription_id"] == hooked.subscription.id
    assert json.loads(args["body"])["story_id"] == "w2" and args["alert_id"] == alert_id(hooked.subscription.id, "w2")
    put_subscription(client, validate("hooked", "alpha"))  # its webhook taken off: nothing more waits for it
    index.current()
    assert index.with_webhook == set()


def test_a_subscription_deleted_after_the_worker_loaded_it_writes_no_alert(client: redis.Redis) -> None:
    """The worker reloads subscriptions only every so often; one deleted in between must not alert, even though
    the worker's percolator still matches it. One that is still stored alerts, although the version moved."""
    put_subscription(client, validate("gone", "alpha"))
    put_subscription(client, validate("kept", "alpha OR beta"))
    index = SubscriptionIndex(client, poll_s=3600)  # loads now, then not again within the test
    index.current()
    assert remove_subscription(client, "gone")
    put_subscription(client, validate("added", "alpha"))  # moves the version again; not loaded either
    raised = raise_alerts(client, index, [make_event(id="d1", story_id="d1", text="alpha")], NOW)
    assert [r.subscription.name for r in raised] == ["kept"]
    assert [a.subscription.name for a in _alerts(client)] == ["kept"]
    assert client.get(c.alert_claim_key("d1")).splitlines() == [raised[0].subscription.id]
    assert int(client.hget(c.ALERT_STATS, "alerted")) == 1


def test_alerts_script_checks_subscriptions_only_when_their_version_moved(client: redis.Redis) -> None:
    """With the version the worker matched with still current, the script trusts the worker's view (no lookup per
    alert); once it moved, an alert whose subscription is no longer stored is answered "-" and writes nothing,
    and takes none of its article's exact claims."""
    from worker.alerts import ALERTS_LUA

    client.set(c.SUBSCRIPTIONS_VERSION, "7")
    client.hset(c.SUBSCRIPTIONS, "sub_b", "{}")
    text = c.text_claim_key("h1")
    client.hset(c.LEDGER_PAYLOAD, "d1", "{}")
    script = client.register_script(ALERTS_LUA)
    keys = [c.ALERTS_STREAM, c.ALERT_STATS, c.WEBHOOK_OUTBOX, c.alert_claim_key("k1"), text, c.DEDUP_RESERVED,
            c.LEDGER_PAYLOAD, c.SUBSCRIPTIONS, c.SUBSCRIPTIONS_VERSION]  # fmt: skip

    def args(alert_ids: str, version: str) -> list[Any]:
        return [60, 1000, "1\n1", "sub_a\nsub_b", alert_ids, "{}\n{}", "\n", 0, "1\n1", "a1 d1", "5", 60, version]

    first = str(script(keys=keys, args=args("alr_1\nalr_2", "7"))).split(" ")
    assert all(first)  # sub_a is not stored, but the worker's version is current: its view is trusted
    client.delete(text, c.alert_claim_key("k1"))
    client.set(c.SUBSCRIPTIONS_VERSION, "8")
    client.hset(c.SUBSCRIPTIONS, "sub_a", "{}")
    client.hdel(c.SUBSCRIPTIONS, "sub_b")
    answer = str(script(keys=keys, args=args("alr_3\nalr_4", "7"))).split(" ")
    assert answer[0] and answer[1] == "-"
    assert client.get(c.alert_claim_key("k1")) == "sub_a\n"
    client.delete(text, c.alert_claim_key("k1"))
    client.hdel(c.SUBSCRIPTIONS, "sub_a")
    assert str(script(keys=keys, args=args("alr_5\nalr_6", "7"))).split(" ") == ["-", "-"]
    assert not client.exists(text, c.alert_claim_key("k1"))  # nothing written: no claim taken for nothing
    assert [f["id"] for _, f in client.xrange(c.ALERTS_STREAM)] == ["alr_1", "alr_2", "alr_3"]
