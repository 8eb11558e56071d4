"""The pipeline through a real Celery worker on a real Redis: events, duplicates, redelivery, bad input; and,
called directly, exact copies racing in one batch and on two workers."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import redis

from producers.inbox import read_file
from schemas import AlertEvent, ArticleEvent, RawArticle, RawSource
from tests.helpers import make_raw_article, stream_events, wait_for_status
from wirewatch import constants as c
from wirewatch.outcomes import Outcomes, Terminal, read_status
from wirewatch.queue import PROCESS_TASK
from wirewatch.settings import Settings
from worker.pipeline import Deps, process
from worker.subscriptions import put_subscription, validate

SEED_URL = "https://news.yahoo.com/china-gives-suspended-death-sentence-fentanyl-smuggler-joint-045035792.html"
SCHEMA = json.loads((Path(__file__).parents[2] / "schemas" / "json" / "article_event.schema.json").read_text())


def _seed(seed_text: str, **overrides: Any) -> Any:
    return make_raw_article(content=seed_text, source=RawSource(kind="inbox", path="seed.txt"), **overrides)


def test_seed_article_becomes_one_event(
    worker_app: Any, submit: Callable[..., list[str]], client: redis.Redis, seed_text: str
) -> None:
    """The seed gives exactly one ArticleEvent with the promised fields, valid against the JSON Schema."""
    [delivery] = submit(_seed(seed_text))
    status = wait_for_status(client, [delivery])[delivery]
    assert status["state"] == "emitted"
    [event] = stream_events(client)
    jsonschema.validate(event, SCHEMA)
    ArticleEvent.model_validate(event)
    assert event["schema"] == "wirewatch.article/1"
    assert event["title"].startswith("China's jailing of nine people Thursday")
    assert event["published_at"] == "2019-11-07T15:06:19Z"
    assert event["authors"] == ["Jing Xuan TENG"]
    assert event["url"] == SEED_URL
    assert event["source"] == {"name": "Yahoo", "domain": "news.yahoo.com", "feed": None}
    assert event["language"] == "en"
    assert event["story_id"] == event["id"]
    assert "alprazolam — the hugely popular" in event["text"]
    assert "AFP Photo" not in event["text"]
    assert "- Trade war -" in event["text"]
    assert event["word_count"] > 700
    assert event["summary"].startswith("China on Thursday jailed nine people")
    assert event["ingested_at"].endswith("Z") and len(event["ingested_at"]) == len("2026-01-01T00:00:00.000Z")
    stored = json.loads(client.get(c.article_key(event["id"])))
    assert stored == event
    assert client.zcard(c.LEDGER_PENDING) == 0 and client.hlen(c.LEDGER_PAYLOAD) == 0


def test_reingest_and_tracking_params_make_no_new_event(
    worker_app: Any, submit: Callable[..., list[str]], client: redis.Redis, seed_text: str
) -> None:
    """The same file again, or with tracking parameters on its URL, is a duplicate of the first event."""
    [first] = submit(_seed(seed_text))
    wait_for_status(client, [first])
    tracked = seed_text.replace(".html)", ".html?utm_source=x&guccounter=1)")
    assert tracked != seed_text
    again = submit(_seed(seed_text), _seed(tracked))
    statuses = wait_for_status(client, again)
    [event] = stream_events(client)
    assert [s["state"] for s in statuses.values()] == ["duplicate", "duplicate"]
    assert {s["of"] for s in statuses.values()} == {event["id"]}
    assert client.hget(c.STATS, "emitted") == "1" and client.hget(c.STATS, "duplicate") == "2"


def test_same_text_without_url_is_duplicate(
    worker_app: Any, submit: Callable[..., list[str]], client: redis.Redis
) -> None:
    """Exact copies without URLs are caught by the normalised-text hash, despite case and spacing."""
    body = "Officials said on Monday that the river had risen by two metres overnight, flooding the town."
    ids = submit(make_raw_article(content=f"Flood\n\n{body}"))
    wait_for_status(client, ids)
    ids2 = submit(make_raw_article(content=f"Flood\n\n{body.upper()}   "))
    assert wait_for_status(client, ids2)[ids2[0]]["state"] == "duplicate"
    assert len(stream_events(client)) == 1


def test_redelivered_message_emits_once(
    worker_app: Any, submit: Callable[..., list[str]], client: redis.Redis, seed_text: str
) -> None:
    """The same message delivered twice, and the payload put back as if the ack was lost, emit one event."""
    raw = _seed(seed_text)
    [delivery] = submit(raw)
    worker_app.send_task(PROCESS_TASK, args=[{"delivery_ids": [delivery]}], queue=c.INGEST_QUEUE)
    wait_for_status(client, [delivery])
    # As if the worker died after emitting but before the message was acked: the payload is back in the ledger
    # and the message is delivered again.
    client.hset(c.LEDGER_PAYLOAD, delivery, raw.model_dump_json(by_alias=True))
    client.delete(c.status_key(delivery))
    worker_app.send_task(PROCESS_TASK, args=[{"delivery_ids": [delivery]}], queue=c.INGEST_QUEUE)
    status = wait_for_status(client, [delivery])[delivery]
    assert status["state"] == "duplicate"
    assert len(stream_events(client)) == 1
    assert client.hlen(c.LEDGER_PAYLOAD) == 0


def test_bad_inputs_are_rejected_and_the_rest_flows(
    worker_app: Any, submit: Callable[..., list[str]], client: redis.Redis, settings: Settings,
    tmp_path: Path, seed_text: str,
) -> None:  # fmt: skip
    """Empty, binary, huge, invalid UTF-8 and unknown files are each rejected once with a reason; the seed goes through."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "seed.txt").write_text(seed_text, encoding="utf-8")
    (inbox / "empty.md").write_bytes(b"")
    (inbox / "binary.txt").write_bytes(bytes(range(256)) * 10)
    # UTF-8 with a stray byte: not read in a guessed encoding (a Windows-1252 file is, tests/producers/test_inbox.py).
    (inbox / "damaged.txt").write_bytes("Café déjà vu, naïve\n\nIt opened in the town centre.".encode() + b"\xff")
    (inbox / "notes.docx").write_bytes(b"PK\x03\x04")
    (inbox / "big.md").write_bytes(b"# Big\n\n" + b"word " * (settings.limits.max_article_bytes // 5 + 10))
    (inbox / "blank.md").write_text("   \n\n1 / 2\n", encoding="utf-8")
    (inbox / "records.jsonl").write_text(
        '{"title": "Dam opens", "text": "The new dam opened on Friday after ten years of work.", "url": "https://a.example/dam"}\n'
        "{not json\n"
        '["not", "an", "object"]\n'
        # U+2028 and U+0085 are allowed raw inside a JSON string: one record, not three lines.
        '{"title": "Port reopens", "text": "The port reopened\u2028on Monday after the storm\u0085passed.", "url": "https://a.example/port"}\n'
        '{"title": "Odd source", "text": "A record whose source name is an object.", "source": {"name": {"x": 1}}}\n'
        '{"title": "Huge number", "text": "x", "id": ' + "9" * 5000 + "}\n",
        encoding="utf-8",
    )  # fmt: skip
    (inbox / "deep.json").write_text("[" * 5000, encoding="utf-8")  # RecursionError inside json.loads
    (inbox / b"caf\xe9 \xff.md".decode("utf-8", "surrogateescape")).write_text(  # a name that is not UTF-8
        "# A name that is not UTF-8\n\nThe bridge reopened after repairs on the river crossing.", encoding="utf-8"
    )
    outcomes = Outcomes(client, settings)
    ids: list[str] = []
    for path in sorted(inbox.iterdir()):
        result = read_file(path, "tests", settings.limits.max_article_bytes, settings.limits.max_records_per_file)
        ids += [r.delivery_id for r in outcomes.settle_many(result.refusals, refused=True)]
        ids += submit(*result.articles)
    statuses = wait_for_status(client, ids)
    got = sorted(s["state"] if s["state"] != "rejected" else f"rejected:{s['reason']}" for s in statuses.values())
    assert got == sorted([
        "emitted", "emitted", "emitted", "emitted",  # the seed, two good JSON records, the odd file name
        "rejected:empty", "rejected:binary", "rejected:invalid_utf8", "rejected:unsupported_type",
        "rejected:too_large", "rejected:empty", "rejected:invalid_json", "rejected:invalid_record",
        "rejected:invalid_record", "rejected:invalid_json", "rejected:invalid_json",
    ])  # fmt: skip
    events = {e["title"]: e for e in stream_events(client)}
    assert {"Dam opens", "Port reopens", "A name that is not UTF-8"} <= set(events)
    assert "storm" in events["Port reopens"]["text"]
    reasons = {s.get("detail", "") for s in statuses.values()}
    assert any("source.name: Input should be a valid string" in r for r in reasons)
    assert any("deep.json" in r and "nested too deeply" in r for r in reasons)
    assert any("Exceeds the limit" in r for r in reasons)
    stats = client.hgetall(c.STATS)
    assert stats["rejected:empty"] == "2" and stats["emitted"] == "4"
    assert client.zcard(c.LEDGER_PENDING) == 0


def test_invalid_payload_is_settled_and_batch_mates_flow(
    worker_app: Any, client: redis.Redis, seed_text: str
) -> None:
    """An invalid payload in the ledger is settled with a reason while its batch-mates are emitted."""
    good = _seed(seed_text)
    bad_id = "b" * 32
    client.hset(c.LEDGER_PAYLOAD, mapping={good.delivery_id: good.model_dump_json(by_alias=True),
                                           bad_id: '{"schema": "wirewatch.raw/1", "nonsense": true}'})  # fmt: skip
    worker_app.send_task(PROCESS_TASK, args=[{"delivery_ids": [bad_id, good.delivery_id]}], queue=c.INGEST_QUEUE)
    statuses = wait_for_status(client, [good.delivery_id, bad_id])
    assert statuses[good.delivery_id]["state"] == "emitted"
    assert statuses[bad_id]["state"] == "rejected" and statuses[bad_id]["reason"] == "invalid_message"


def test_max_attempts_dead_letters(
    submit: Callable[..., list[str]], client: redis.Redis, settings: Settings, request: pytest.FixtureRequest
) -> None:
    """A delivery that was attempted max_attempts times already goes to ww:dead with its payload kept."""
    [delivery] = submit(make_raw_article())
    client.hset(c.LEDGER_ATTEMPTS, delivery, settings.max_attempts)  # after the submission, which restarts it
    request.getfixturevalue("worker_app")
    status = wait_for_status(client, [delivery])[delivery]
    assert status["state"] == "dead" and "max_attempts" in status["reason"] + status["detail"]
    [(_, fields)] = client.xrange(c.DEAD_STREAM)
    assert fields["delivery_id"] == delivery
    assert json.loads(client.hget(c.DEAD_PAYLOAD, delivery))["delivery_id"] == delivery
    assert stream_events(client) == []


def test_ingested_at_is_the_append_time(
    worker_app: Any, submit: Callable[..., list[str]], client: redis.Redis
) -> None:
    """ingested_at is the server time of the XADD: it matches the entry id and follows the stream's order."""
    from datetime import datetime

    ids = submit(*[make_raw_article(content=f"Item {i}\n\nBody number {i} of a short series about ducks.") for i in range(12)])
    wait_for_status(client, ids)
    entries = client.xrange(c.EVENTS_STREAM)
    stamps = []
    for entry_id, fields in entries:
        stamp = datetime.fromisoformat(json.loads(fields["event"])["ingested_at"].replace("Z", "+00:00"))
        assert abs(stamp.timestamp() * 1000 - int(entry_id.split("-")[0])) <= 5
        stamps.append(stamp)
    assert stamps == sorted(stamps) and len(stamps) == 12


@pytest.mark.parametrize(
    "when",
    ["1970-01-01T00:00:00.000+00:00", "2000-02-29T23:59:59.999+00:00", "2024-02-29T12:00:00.500+00:00",
     "2024-03-01T00:00:00.000+00:00", "2026-12-31T23:59:59.001+00:00", "2100-03-01T08:07:06.054+00:00"],
)  # fmt: skip
def test_lua_rfc3339(client: redis.Redis, when: str) -> None:
    """The settle script's date formatting agrees with Python's, across leap days and century years."""
    from datetime import datetime

    source = (Path(__file__).parents[2] / "wirewatch" / "lua" / "settle.lua").read_text()
    function = source[source.index("local function rfc3339_ms"):source.index("local function finish")]
    moment = datetime.fromisoformat(when)
    sec, usec = int(moment.timestamp()), moment.microsecond
    got = client.eval(function + "return rfc3339_ms(tonumber(ARGV[1]), tonumber(ARGV[2]))", 0, sec, usec)
    assert got == moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{usec // 1000:03d}Z"


def test_redelivery_after_settling_leaves_no_attempts_behind(
    worker_app: Any, submit: Callable[..., list[str]], client: redis.Redis, settings: Settings
) -> None:
    """A message delivered again after its deliveries settled counts no attempt: a feed item offered again
    later under its deterministic delivery id is processed afresh, not dead-lettered for old redeliveries."""
    raw = make_raw_article(content="Flood warning\n\nThe river rose past the warning mark overnight.")
    [delivery] = submit(raw)
    assert wait_for_status(client, [delivery])[delivery]["state"] == "emitted"
    for _ in range(settings.max_attempts + 1):  # its batch delivered again (worker kills, reconciler re-sends)
        worker_app.send_task(PROCESS_TASK, args=[{"delivery_ids": [delivery]}], queue=c.INGEST_QUEUE)
    [after] = submit(make_raw_article())  # the solo worker takes messages in order: this one settles last
    wait_for_status(client, [after])
    assert client.hlen(c.LEDGER_ATTEMPTS) == 0
    again = make_raw_article(delivery_id=delivery, content="Flood warning\n\nThe river fell back by morning.")
    submit(again)
    assert wait_for_status(client, [delivery])[delivery]["state"] == "emitted"


# --- Exact copies racing: an alert names only the copy that is emitted -------------------------------------
# Called directly (no Celery worker), so that two "workers" — two clients, two Deps (`make_worker` in conftest) —
# can be interleaved at an exact point: the second worker's batch runs whole while the first sits between its
# alerts and its emit.

FLOOD_BODY = ("Officials said on Monday that the river had risen by two metres overnight, flooding the lower town "
              "and closing the bridge to traffic until further notice. Residents were told to move cars to higher "
              "ground.")  # fmt: skip
FLOOD_URL = "https://a.example/flood"


def _copies(kind: str) -> tuple[RawArticle, RawArticle]:
    """Two exact copies of one article, the second under a headline only it has (``kestrel``). ``text``: the
    same body under another URL; ``url``: the same canonical URL (tracking parameter added), body updated."""
    plain = make_raw_article(content=f"Flood warning for river towns\n\n{FLOOD_BODY}", url=FLOOD_URL)
    if kind == "text":
        other = make_raw_article(content=f"Kestrel Daily: flood warning for river towns\n\n{FLOOD_BODY}",
                                 url="https://b.example/news/flood")  # fmt: skip
    else:
        other = make_raw_article(content=f"Kestrel Daily: flood warning for river towns\n\n{FLOOD_BODY} "
                                         "Schools will stay closed on Tuesday.", url=FLOOD_URL + "?utm_source=x")  # fmt: skip
    return plain, other


def _subscribe(client: redis.Redis) -> None:
    put_subscription(client, validate("bridge", "bridge"))  # both copies match
    put_subscription(client, validate("kestrel", "title:kestrel"))  # only the second copy's headline matches


def _in_ledger(client: redis.Redis, *raws: RawArticle) -> list[str]:
    client.hset(c.LEDGER_PAYLOAD, mapping={r.delivery_id: r.model_dump_json(by_alias=True) for r in raws})
    return [r.delivery_id for r in raws]


def assert_alerts_name_emitted_copies(client: redis.Redis) -> list[AlertEvent]:
    """Every alert names an article that was emitted and stored, with that copy's title and URL; one alert per
    subscription per story. Returns the alerts."""
    events = {e["id"]: e for e in stream_events(client)}
    alerts = [AlertEvent.model_validate_json(f["event"]) for _, f in client.xrange(c.ALERTS_STREAM)]
    for alert in alerts:
        event = events.get(alert.article_id)
        assert event is not None, f"alert {alert.subscription.name!r} names {alert.article_id}, never emitted"
        assert client.exists(c.article_key(alert.article_id))
        assert (alert.story_id, alert.title, alert.url) == (event["story_id"], event["title"], event["url"])
        for m in alert.matched:  # why it fired holds for the copy emitted, not for a copy dropped
            if m.field in ("title", "text"):
                assert event[m.field][m.start : m.end].lower() == m.term
    pairs = [(a.subscription.name, a.story_id) for a in alerts]
    assert len(pairs) == len(set(pairs))
    return alerts


@pytest.mark.parametrize("kind", ["text", "url"])
def test_exact_copies_in_one_batch_alert_as_the_copy_emitted(
    client: redis.Redis, make_worker: Callable[..., Deps], kind: str
) -> None:
    """Two exact copies in one batch: the first is emitted, and no alert is raised from the second, which
    settles as its duplicate (it used to alert `title:kestrel` naming the copy that was dropped)."""
    _subscribe(client)
    plain, other = _copies(kind)
    settled = process(_in_ledger(client, plain, other), make_worker())
    assert [s.outcome for s in settled] == ["emitted", "duplicate"]
    [event] = stream_events(client)
    assert event["title"] == "Flood warning for river towns"
    alerts = assert_alerts_name_emitted_copies(client)
    assert [(a.subscription.name, a.article_id) for a in alerts] == [("bridge", event["id"])]


@pytest.mark.parametrize("kind", ["text", "url"])
@pytest.mark.parametrize("first", ["plain", "kestrel"])
def test_exact_copies_on_two_workers_alert_as_the_copy_emitted(
    client: redis.Redis, make_worker: Callable[..., Deps], kind: str, first: str
) -> None:
    """Two exact copies on two workers, the first worker's batch stopped after its claims check, its alerts
    worked out and not yet written, while the second worker's batch runs whole: the copy written first is the
    one emitted, the other settles as its duplicate and writes none of its alerts, and every alert names the
    emitted copy, with its title and URL."""
    _subscribe(client)
    plain, other = _copies(kind)
    early, late = (plain, other) if first == "plain" else (other, plain)
    ids = _in_ledger(client, early, late)
    second = make_worker()
    first_worker = make_worker(before_emit=lambda: process([late.delivery_id], second))
    process([early.delivery_id], first_worker)
    alerts = assert_alerts_name_emitted_copies(client)
    statuses = read_status(client, ids)
    assert [statuses[i]["state"] for i in ids] == ["duplicate", "emitted"]  # type: ignore[index]
    [event] = stream_events(client)
    assert event["title"] == late.content.partition("\n")[0]
    expected = ["bridge", "kestrel"] if first == "plain" else ["bridge"]
    assert sorted(a.subscription.name for a in alerts) == expected


def test_a_worker_dying_before_its_writes_leaves_no_alert_and_the_copy_to_another(
    client: redis.Redis, make_worker: Callable[..., Deps]
) -> None:
    """A worker dies after working out a copy's alerts and before writing them and its emit (one transaction):
    nothing of it is written, an exact copy processed meanwhile is emitted with its own alerts, and the
    redelivered batch settles as that copy's duplicate."""
    _subscribe(client)
    plain, other = _copies("text")
    _in_ledger(client, plain, other)

    def die() -> None:
        raise redis.ConnectionError("worker lost")

    with pytest.raises(redis.ConnectionError):
        process([plain.delivery_id], make_worker(before_emit=die))
    assert client.xlen(c.ALERTS_STREAM) == 0 and client.hlen(c.DEDUP_RESERVED) == 0
    worker = make_worker()
    [late] = process([other.delivery_id], worker)
    [again] = process([plain.delivery_id], worker)  # the redelivery
    assert sorted(a.subscription.name for a in assert_alerts_name_emitted_copies(client)) == ["bridge", "kestrel"]
    assert (late.outcome, again.outcome) == ("emitted", "duplicate")
    [event] = stream_events(client)
    assert event["title"] == other.content.partition("\n")[0]


def test_a_redelivery_after_the_writes_publishes_the_webhooks_left_in_the_outbox(
    client: redis.Redis, make_worker: Callable[..., Deps]
) -> None:
    """The batch's alerts and emit were written, then its worker died before the webhook messages reached the
    broker: the redelivered message finds its delivery settled and publishes what its run left in the outbox,
    once, and nothing of another article's."""
    from tests.worker.test_webhooks import SECRET

    put_subscription(client, validate("hooked", "bridge", webhook="https://hooks.example/x", secret=SECRET))
    plain, _ = _copies("text")
    _in_ledger(client, plain)
    client.hset(c.WEBHOOK_OUTBOX, "sub_other story_other", '1 {"id":"alr_x","article_id":"elsewhere"}')
    sent: list[dict[str, Any]] = []

    def broker_gone(*_: Any, **__: Any) -> None:
        raise ConnectionError("broker lost")

    deps = make_worker()
    deps.send_task = broker_gone
    with pytest.raises(ConnectionError):
        process([plain.delivery_id], deps)
    assert client.xlen(c.ALERTS_STREAM) == 1 and client.hlen(c.WEBHOOK_OUTBOX) == 2
    deps.send_task = lambda name, args, queue: sent.append(args[0])
    assert process([plain.delivery_id], deps) == []  # settled before: nothing else to do
    [alert] = assert_alerts_name_emitted_copies(client)
    assert [(m["alert_id"], m["body"]) for m in sent] == [(alert.id, alert.model_dump_json(by_alias=True))]
    assert list(client.hgetall(c.WEBHOOK_OUTBOX)) == ["sub_other story_other"]
    assert process([plain.delivery_id], deps) == [] and len(sent) == 1


@pytest.mark.parametrize("kind", ["text", "url"])
def test_a_copy_dead_lettered_after_its_alerts_leaves_its_claims_to_the_next_copy(
    client: redis.Redis, make_worker: Callable[..., Deps], submit: Callable[..., list[str]], settings: Settings,
    request: pytest.FixtureRequest, kind: str,
) -> None:  # fmt: skip
    """A delivery whose emit failed after its alerts were written (its script refused inside their transaction),
    until the attempts check dead-lettered it unparsed, lets go of the exact claims its alerts reserved: a later
    exact copy from another source is emitted, not settled as a duplicate of an article that never was."""
    _subscribe(client)
    plain, other = _copies(kind)
    _in_ledger(client, plain)
    with pytest.raises(redis.ResponseError, match="emit refused"):
        process([plain.delivery_id], make_worker(emit_refused=True))
    assert client.xlen(c.ALERTS_STREAM) == 1  # its alerts ran, and reserved its claims
    client.hset(c.LEDGER_ATTEMPTS, plain.delivery_id, settings.max_attempts)
    worker_app = request.getfixturevalue("worker_app")
    worker_app.send_task(PROCESS_TASK, args=[{"delivery_ids": [plain.delivery_id]}], queue=c.INGEST_QUEUE)
    assert wait_for_status(client, [plain.delivery_id])[plain.delivery_id]["state"] == "dead"

    [copy] = submit(other)
    status = wait_for_status(client, [copy])[copy]
    assert status["state"] == "emitted", status
    [event] = stream_events(client)
    assert event["title"] == other.content.partition("\n")[0]
    assert client.hlen(c.DEDUP_RESERVED) == 0  # no record outlives its delivery


@pytest.mark.parametrize("holder", ["e0000000000000000", "a0000000000000000 another-delivery"])
def test_a_terminal_settle_releases_only_the_claims_its_delivery_still_holds(
    client: redis.Redis, make_worker: Callable[..., Deps], settings: Settings, holder: str
) -> None:
    """Rejected or dead after its alerts (its emit refused), a delivery lets go of its own reservations, and of
    nothing else: a claim that another delivery reserved since, or that an emitted article holds, stays."""
    _subscribe(client)
    plain, _ = _copies("url")
    _in_ledger(client, plain)
    with pytest.raises(redis.ResponseError, match="emit refused"):
        process([plain.delivery_id], make_worker(emit_refused=True))
    record = client.hget(c.DEDUP_RESERVED, plain.delivery_id)
    assert record is not None
    url_key, text_key = (line.split(" ")[0] for line in record.splitlines())
    owner = client.get(url_key)
    assert owner is not None and owner.endswith(" " + plain.delivery_id)
    client.set(text_key, holder)  # since taken by an article emitted, or reserved by another delivery
    Outcomes(client, settings).settle_many(
        [Terminal(plain.delivery_id, "rejected:empty", "nothing left")]
    )  # fmt: skip
    assert client.get(url_key) is None
    assert client.get(text_key) == holder
    assert not client.hexists(c.DEDUP_RESERVED, plain.delivery_id)
