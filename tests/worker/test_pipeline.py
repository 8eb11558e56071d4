"""The pipeline through a real Celery worker on a real Redis: events, duplicates, redelivery, bad input."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import redis

from producers.inbox import read_file
from schemas import ArticleEvent, RawSource
from tests.helpers import make_raw_article, stream_events, wait_for_status
from wirewatch import constants as c
from wirewatch.outcomes import Outcomes
from wirewatch.queue import PROCESS_TASK
from wirewatch.settings import Settings

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
    (inbox / "latin1.txt").write_bytes("Caf\xe9 news\n\nIt opened in the town centre.".encode("latin-1"))
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
    worker_app: Any, submit: Callable[..., list[str]], client: redis.Redis, settings: Settings
) -> None:
    """A delivery that was attempted max_attempts times already goes to ww:dead with its payload kept."""
    raw = make_raw_article()
    client.hset(c.LEDGER_ATTEMPTS, raw.delivery_id, settings.max_attempts)
    [delivery] = submit(raw)
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
