"""POST /v1/articles and its status over a real server and a real worker: every status the receiver answers."""

from __future__ import annotations

import gzip
import json
import logging
import socket
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from producers.http import BodyError, parse_body
from tests.api.conftest import READ, WRITE, WRITE_TOKEN, http_settings
from wirewatch import constants as c
from wirewatch.api.server import serving

ARTICLE = {
    "title": "Harbour bridge reopens after six months of repairs",
    "url": "https://example.org/news/bridge?utm_source=feed",
    "text": "The harbour bridge reopened on Monday after six months of repairs to its deck and cables. "
    "Traffic was light in the morning, officials said, and buses return to their routes next week.",
    "published": "2024-03-14T08:30:00Z",
    "author": "A. Reporter",
    "source": "Example Herald",
}


def article(n: int) -> dict[str, Any]:
    return {**ARTICLE, "url": f"https://example.org/news/{n}", "title": f"Story number {n} of the day",
            "text": f"Story {n}: " + ARTICLE["text"] + f" Number {n} is unlike any other, says the council."}  # fmt: skip


def wait_state(http: httpx.Client, status_url: str, timeout: float = 90.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        body = http.get(status_url).json()
        if body["state"] != "queued":
            return body
        if time.monotonic() > deadline:
            pytest.fail(f"{status_url} still queued after {timeout}s")
        time.sleep(0.05)


def test_parse_body_maps_records_like_the_inbox() -> None:
    """One object, an array and JSON lines all map through record_to_raw; bad records become refusals."""
    one = parse_body(json.dumps(ARTICLE).encode(), "application/json", "partner", 10)
    [(index, raw)] = one.articles
    assert index == 0 and raw.title == ARTICLE["title"] and raw.source.kind == "http"
    assert raw.source.name == "Example Herald" and raw.authors == ["A. Reporter"]
    batch = parse_body(json.dumps([ARTICLE, 7, {"text": 3}]).encode(), "application/json", "partner", 10)
    assert [i for i, _ in batch.articles] == [0] and [i for i, _ in batch.refusals] == [1, 2]
    lines = b'{"text": "a b c"}\n\nnot json\n{"title": "t", "text": "x"}\n'
    parsed = parse_body(lines, "application/x-ndjson", "partner", 10)
    assert [i for i, _ in parsed.articles] == [1, 4] and [i for i, _ in parsed.refusals] == [3]
    assert parsed.articles[0][1].source.name == "partner"
    with pytest.raises(BodyError, match="over the limit"):
        parse_body(json.dumps([ARTICLE] * 3).encode(), "application/json", "partner", 2)
    with pytest.raises(BodyError, match="invalid JSON"):
        parse_body(b"{nope", "application/json", "partner", 2)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"[" * 5000, "nested too deeply"),  # json.loads raises RecursionError
        (b'{"id": ' + b"9" * 5000 + b"}", "4300 digits"),  # int() past Python's digit limit raises ValueError
        (b"{nope", "line 1 column 2"),
    ],
)
def test_unusable_json_is_a_body_error(body: bytes, reason: str) -> None:
    """Every way json.loads can refuse a body is invalid_json with a reason, in a body or in one JSON line."""
    with pytest.raises(BodyError, match=reason) as caught:
        parse_body(body, "application/json", "partner", 10)
    assert caught.value.code == "invalid_json"
    lines = parse_body(body + b"\n" + json.dumps(ARTICLE).encode(), "application/x-ndjson", "partner", 10)
    [(index, refusal)] = lines.refusals
    assert index == 1 and "invalid JSON" in refusal.detail and [i for i, _ in lines.articles] == [2]


def test_json_lines_sent_as_json_are_refused_with_the_content_type_to_use() -> None:
    """JSON lines posted as application/json: the 422 says to send them as application/x-ndjson (it said only
    "Extra data at line 2"); a broken JSON document gets no such hint."""
    body = (json.dumps(ARTICLE) + "\n" + json.dumps(ARTICLE)).encode()
    with pytest.raises(BodyError, match="this is JSON lines: send it as application/x-ndjson"):
        parse_body(body, "application/json", "partner", 10)
    with pytest.raises(BodyError) as caught:
        parse_body(b'{"title": "a"} {"title": "b"}', "application/json", "partner", 10)
    assert "ndjson" not in str(caught.value)


# The line breaks of str.splitlines() that JSON allows raw inside a string (U+001C-1E, VT and FF are control
# characters or not JSON whitespace, so json.loads refuses them raw anywhere).
@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\u0085"])
def test_json_lines_split_on_newlines_only(separator: str) -> None:
    """A line break JSON allows raw in a string does not split a record in two; CRLF line ends work too."""
    record = json.dumps({**ARTICLE, "title": f"one{separator}two"}, ensure_ascii=False)
    assert separator in record
    body = (record + "\r\n" + json.dumps(article(2)) + "\r\n").encode()
    parsed = parse_body(body, "application/x-ndjson", "partner", 10)
    assert [i for i, _ in parsed.articles] == [1, 2] and parsed.refusals == []


@pytest.mark.parametrize("source", [{"name": {"x": 1}}, {"name": 7}, {"name": ["a"]}, {"name": "x" * 201}, "x" * 201])
def test_source_name_is_validated_before_accepting(source: Any) -> None:
    """A source name that is not a string of at most 200 characters refuses the record, instead of failing later
    in the worker."""
    parsed = parse_body(json.dumps([{**ARTICLE, "source": source}, ARTICLE]).encode(), "application/json", "p", 10)
    [(index, refusal)] = parsed.refusals
    assert index == 0 and "source.name" in refusal.detail and [i for i, _ in parsed.articles] == [1]


def test_push_becomes_an_event_with_a_status(worker_app: Any, http: httpx.Client) -> None:
    """A pushed article is accepted (202), its status turns emitted with the event, and /v1/events shows it."""
    response = http.post("/v1/articles", json=ARTICLE, headers=WRITE)
    assert response.status_code == 202, response.text
    [accepted] = response.json()["accepted"]
    assert response.json()["rejected"] == []
    status = wait_state(http, accepted["status_url"])
    assert status["state"] == "emitted"
    event = status["event"]
    assert event["title"] == ARTICLE["title"] and event["canonical_url"] == "https://example.org/news/bridge"
    assert event["source"]["name"] == "Example Herald"
    page = http.get("/v1/events").json()
    assert [e["id"] for e in page["items"]] == [event["id"]] and page["next_cursor"] is None
    again = http.post("/v1/articles", json=ARTICLE, headers=WRITE).json()["accepted"][0]
    duplicate = wait_state(http, again["status_url"])
    assert duplicate["state"] == "duplicate" and duplicate["of"] == event["id"]


def test_batch_with_one_bad_record(worker_app: Any, http: httpx.Client, client: redis.Redis) -> None:
    """In a batch, the valid records go through; the bad one is listed with its reason and settles rejected."""
    body = [article(1), {"title": "no body", "text": ["not", "a", "string"]}, article(2)]
    response = http.post("/v1/articles", json=body, headers=WRITE)
    assert response.status_code == 202
    result = response.json()
    assert [a["index"] for a in result["accepted"]] == [0, 2]
    [bad] = result["rejected"]
    assert bad["index"] == 1 and "string" in bad["reason"]
    states = [wait_state(http, a["status_url"])["state"] for a in result["accepted"]]
    assert states == ["emitted", "emitted"]
    refused = http.get(f"/v1/articles/{bad['delivery_id']}/status").json()
    assert refused["state"] == "rejected" and refused["reason"] == "invalid_record"
    assert client.hget(c.STATS, "rejected:invalid_record") == "1"


def test_json_lines_batch(worker_app: Any, http: httpx.Client) -> None:
    """JSON lines are a batch too; an invalid line is refused by its line number."""
    body = "\n".join([json.dumps(article(3)), "{broken", json.dumps(article(4))]) + "\n"
    response = http.post("/v1/articles", content=body, headers={**WRITE, "Content-Type": "application/x-ndjson"})
    assert response.status_code == 202
    assert [a["index"] for a in response.json()["accepted"]] == [1, 3]
    assert response.json()["rejected"][0]["index"] == 2


def test_nothing_usable_is_422(http: httpx.Client) -> None:
    """A body where no record is usable is 422 with a reason per record; a non-JSON body is 422 too."""
    response = http.post("/v1/articles", json=[1, "two"], headers=WRITE)
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_records" and len(response.json()["rejected"]) == 2
    broken = http.post("/v1/articles", content=b"{not json", headers={**WRITE, "Content-Type": "application/json"})
    assert broken.status_code == 422 and broken.json()["error"] == "invalid_json"
    empty = http.post("/v1/articles", json=[], headers=WRITE)
    assert empty.status_code == 422 and empty.json()["error"] == "empty"


def test_hostile_json_is_a_422_problem(http: httpx.Client, client: redis.Redis) -> None:
    """Deep nesting and a 5,000-digit integer are 422 invalid_json, not a 500; nothing is queued."""
    for body in (b"[" * 5000, b'{"id": ' + b"9" * 5000 + b', "text": "x"}'):
        response = http.post("/v1/articles", content=body, headers={**WRITE, "Content-Type": "application/json"})
        assert response.status_code == 422, response.text
        assert response.json()["error"] == "invalid_json"
    assert client.zcard(c.LEDGER_PENDING) == 0


def test_bad_source_name_is_listed_as_rejected(http: httpx.Client) -> None:
    """A record whose source name is not a string of at most 200 characters is refused in the response, not
    accepted with 202 and failed later by the worker."""
    for name in ({"x": 1}, "x" * 201):
        bad = {**ARTICLE, "source": {"name": name}}
        response = http.post("/v1/articles", json=[bad, article(1)], headers=WRITE)
        assert response.status_code == 202
        [refused] = response.json()["rejected"]
        assert refused["index"] == 0 and "source.name" in refused["reason"]
        assert [a["index"] for a in response.json()["accepted"]] == [1]
        alone = http.post("/v1/articles", json=bad, headers=WRITE)
        assert alone.status_code == 422 and alone.json()["error"] == "invalid_records"


def test_auth_cannot_be_bypassed(http: httpx.Client, client: redis.Redis) -> None:
    """No token, a wrong token, another scheme or a read-only token never write; nothing reaches the ledger."""
    attempts = [
        ({}, 401),
        ({"Authorization": "Bearer nope-nope-nope-nope"}, 401),
        ({"Authorization": "Bearer"}, 401),
        ({"Authorization": WRITE["Authorization"].replace("Bearer", "Basic")}, 401),
        ({"Authorization": WRITE["Authorization"] + "x"}, 401),
        ({"Authorization": WRITE["Authorization"][:-1]}, 401),
        ({"Authorization": WRITE["Authorization"].lower().replace("bearer", "token")}, 401),
        ({"X-Api-Key": WRITE["Authorization"].split()[1]}, 401),
        (READ, 403),
    ]
    for headers, expected in attempts:
        response = http.post("/v1/articles", json=ARTICLE, headers=headers)
        assert response.status_code == expected, (headers, response.text)
        assert response.json()["error"] in ("unauthorized", "forbidden")
    assert http.post("/v1/articles", json=ARTICLE).headers["WWW-Authenticate"].startswith("Bearer")
    # A token in the query string never authenticates: it is an unknown parameter (400, before the token check).
    in_query = http.post("/v1/articles?token=" + WRITE["Authorization"].split()[1], json=ARTICLE)
    assert (in_query.status_code, in_query.json()["error"]) == (400, "unknown_query_parameter")
    assert client.zcard(c.LEDGER_PENDING) == 0 and not client.exists(c.STATS)
    # A wrong token on a read is refused too, even though reads are public.
    assert http.get("/v1/events", headers={"Authorization": "Bearer wrong-wrong-wrong"}).status_code == 401
    assert http.get("/v1/events", headers=READ).status_code == 200


def test_no_tokens_configured_refuses_writes(redis_url: str, tmp_path: Path) -> None:
    """With no token configured, writes are refused (403), not open; reads still work."""
    settings = http_settings(redis_url, tmp_path, tokens=[])
    with serving(settings, redis_url) as base, httpx.Client(base_url=base) as http:
        response = http.post("/v1/articles", json=ARTICLE, headers=WRITE)
        assert response.status_code == 403 and response.json()["error"] == "writes_disabled"
        assert http.post("/v1/articles", json=ARTICLE).status_code == 403
        assert http.get("/v1/events").status_code == 200


def test_private_reads_need_a_token(redis_url: str, tmp_path: Path) -> None:
    """With public_read off, the read API and the status need a read (or write) token."""
    settings = http_settings(redis_url, tmp_path, public_read=False)
    with serving(settings, redis_url) as base, httpx.Client(base_url=base) as http:
        assert http.get("/v1/events").status_code == 401
        assert http.get("/v1/articles/0123456789abcdef/status").status_code == 401
        assert http.get("/v1/events", headers=READ).status_code == 200
        assert http.get("/v1/events", headers=WRITE).status_code == 200


def test_body_over_the_limit_is_413(redis_url: str, tmp_path: Path) -> None:
    """Declared or streamed, a body past max_body_bytes is 413, and nothing is queued."""
    settings = http_settings(redis_url, tmp_path, max_body_bytes=2000)
    big = json.dumps({**ARTICLE, "text": "x" * 5000}).encode()
    with serving(settings, redis_url) as base, httpx.Client(base_url=base) as http:
        declared = http.post("/v1/articles", content=big, headers={**WRITE, "Content-Type": "application/json"})
        assert declared.status_code == 413 and declared.json()["error"] == "too_large"

        def chunks() -> Any:  # no Content-Length: chunked transfer, the limit is counted as it streams
            for start in range(0, len(big), 500):
                yield big[start : start + 500]

        streamed = http.post("/v1/articles", content=chunks(), headers={**WRITE, "Content-Type": "application/json"})
        assert streamed.status_code == 413
        assert http.post("/v1/articles", json=ARTICLE, headers=WRITE).status_code == 202


def test_a_large_body_is_parsed_off_the_event_loop_with_the_same_answers(http: httpx.Client) -> None:
    """Bodies past 64 KiB are parsed on a thread: a large batch is accepted record by record, and a large body
    that is not JSON is the same 422 as a small one."""
    records = [{**article(n), "text": article(n)["text"] + " More." * 40} for n in range(300)]
    big = json.dumps(records).encode()
    assert len(big) > 64 * 1024
    accepted = http.post("/v1/articles", content=big, headers={**WRITE, "Content-Type": "application/json"})
    assert accepted.status_code == 202 and len(accepted.json()["accepted"]) == 300
    broken = http.post("/v1/articles", content=big[:-1], headers={**WRITE, "Content-Type": "application/json"})
    assert broken.status_code == 422 and broken.json()["error"] == "invalid_json"


def test_unsupported_media_type_is_415(http: httpx.Client) -> None:
    """A body that is neither JSON nor JSON lines is 415."""
    response = http.post("/v1/articles", content=b"title", headers={**WRITE, "Content-Type": "text/plain"})
    assert response.status_code == 415 and response.json()["error"] == "unsupported_media_type"


def test_rate_limit_is_per_token_and_shared(redis_url: str, tmp_path: Path, client: redis.Redis) -> None:
    """Past rate_limit requests in a window a token gets 429 with Retry-After, across two API processes."""
    settings = http_settings(redis_url, tmp_path, rate_limit=3, rate_window="1h")
    with serving(settings, redis_url) as one, serving(settings, redis_url) as two:
        statuses = [httpx.get(f"{base}/v1/events", headers=READ).status_code for base in (one, two, one, two)]
        assert statuses == [200, 200, 200, 429]
        limited = httpx.get(f"{one}/v1/events", headers=READ)
        assert limited.status_code == 429 and 0 < int(limited.headers["Retry-After"]) <= 3600
        assert httpx.post(f"{one}/v1/articles", json=ARTICLE, headers=WRITE).status_code == 202  # another token


def test_status_of_unknown_delivery_is_404(http: httpx.Client) -> None:
    """An id that was never accepted (or whose status expired) is 404; a malformed id is 422."""
    assert http.get("/v1/articles/0123456789abcdef/status").status_code == 404
    assert http.get("/v1/articles/bad/status").status_code == 422


def test_queued_until_a_worker_takes_it(http: httpx.Client) -> None:
    """Without a worker, an accepted delivery's status says queued."""
    response = http.post("/v1/articles", json=ARTICLE, headers=WRITE)
    assert http.get(response.json()["accepted"][0]["status_url"]).json() == {
        "delivery_id": response.json()["accepted"][0]["delivery_id"],
        "state": "queued",
    }


def test_gzip_body_is_accepted_and_bounded(redis_url: str, tmp_path: Path, client: redis.Redis) -> None:
    """A gzip body (Content-Encoding: gzip) is unpacked and its records accepted; unpacked past max_body_bytes
    it is 413 however small it was packed (a zip bomb); corrupt gzip is 400 and another encoding 415."""
    settings = http_settings(redis_url, tmp_path, max_body_bytes=20_000)
    packed = {**WRITE, "Content-Type": "application/json", "Content-Encoding": "gzip"}
    with serving(settings, redis_url) as base, httpx.Client(base_url=base) as http:
        batch = gzip.compress(json.dumps([article(1), article(2)]).encode())
        response = http.post("/v1/articles", content=batch, headers=packed)
        assert response.status_code == 202, response.text
        assert [a["index"] for a in response.json()["accepted"]] == [0, 1]
        bomb = gzip.compress(b"[" + b" " * 10_000_000 + b"]")  # 10 MB of blanks packs to about 10 kB
        assert len(bomb) < 20_000
        refused = http.post("/v1/articles", content=bomb, headers=packed)
        assert refused.status_code == 413 and refused.json()["error"] == "too_large"
        corrupt = http.post("/v1/articles", content=batch[:-20], headers=packed)
        assert corrupt.status_code == 400 and corrupt.json()["error"] == "invalid_encoding", corrupt.text
        other = http.post("/v1/articles", content=batch, headers={**packed, "Content-Encoding": "br"})
        assert other.status_code == 415 and other.json()["error"] == "unsupported_content_encoding"
        assert other.headers["Accept-Encoding"] == "gzip"
    assert client.zcard(c.LEDGER_PENDING) == 2


def test_a_client_gone_mid_body_is_logged_not_a_crash(api: str, client: redis.Redis,
                                                      caplog: pytest.LogCaptureFixture) -> None:  # fmt: skip
    """A client that closes its connection before the body is whole is logged with how much arrived, not as an
    unexpected failure with a traceback; nothing is queued."""
    body = json.dumps(ARTICLE).encode()
    host, port = api.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        head = (f"POST /v1/articles HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {WRITE_TOKEN}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")  # fmt: skip
        sock.sendall(head.encode() + body[:40])
        time.sleep(0.2)
    deadline = time.monotonic() + 5
    while "http_body_refused" not in caplog.text and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "client_disconnected" in caplog.text and "after 40 bytes" in caplog.text
    assert "Exception in ASGI application" not in caplog.text and "ClientDisconnect" not in caplog.text
    assert client.zcard(c.LEDGER_PENDING) == 0


def test_refused_bodies_are_logged_with_their_reason(http: httpx.Client, caplog: pytest.LogCaptureFixture) -> None:
    """A body refused as a whole (415, or 422 for JSON that does not parse) is logged with the token's name and
    the reason, so the operator can tell a partner why its posts fail; an accepted body names the token too (it
    was logged as "[redacted]", the fate of every value under a "token" key)."""
    caplog.set_level(logging.INFO, logger="wirewatch.http")
    json_type = {**WRITE, "Content-Type": "application/json"}
    assert http.post("/v1/articles", json=ARTICLE, headers=WRITE).status_code == 202
    [received] = [r.msg for r in caplog.records if "http_articles_received" in str(r.msg)]
    assert "partner" in str(received) and "redacted" not in str(received)
    assert http.post("/v1/articles", content=b"t", headers={**WRITE, "Content-Type": "text/plain"}).status_code == 415
    assert http.post("/v1/articles", content=b"{nope", headers=json_type).status_code == 422
    refusals = [r.msg for r in caplog.records if "http_body_refused" in str(r.msg)]
    assert len(refusals) == 2, caplog.text
    assert "unsupported_media_type" in str(refusals[0]) and "partner" in str(refusals[0])
    assert "invalid_json" in str(refusals[1]) and "line 1 column 2" in str(refusals[1])


@pytest.mark.parametrize("body", [b"", b"  \n", b"\xef\xbb\xbf"])
def test_an_empty_body_is_422_empty(http: httpx.Client, body: bytes) -> None:
    """An empty (or blank) body says so, as JSON and as JSON lines, and lists no record as refused: there is
    none (an unusable body as a whole never names an index)."""
    for media_type in ("application/json", "application/x-ndjson"):
        response = http.post("/v1/articles", content=body, headers={**WRITE, "Content-Type": media_type})
        assert response.status_code == 422
        assert response.json()["error"] == "empty" and response.json()["rejected"] == [], response.text


def test_a_record_without_text_is_refused_at_once(http: httpx.Client, client: redis.Redis) -> None:
    """A record with no text field (a title alone, or a batch wrapped in an object the receiver does not know) is
    refused in the answer, naming the keys it had, instead of a 202 that the worker later settles as no_text."""
    wrapped = http.post("/v1/articles", json={"articles": [ARTICLE, article(1)]}, headers=WRITE)
    assert wrapped.status_code == 422, wrapped.text
    [refused] = wrapped.json()["rejected"]
    assert refused["index"] == 0 and "no article text" in refused["reason"] and "'articles'" in refused["reason"]
    batch = http.post("/v1/articles", json=[{"title": "A title alone", "text": "  "}, article(1)], headers=WRITE)
    assert batch.status_code == 202
    assert [r["index"] for r in batch.json()["rejected"]] == [0] and len(batch.json()["accepted"]) == 1
    summary_only = http.post("/v1/articles", json={"title": "t", "summary": "A feed's summary is text."}, headers=WRITE)
    assert summary_only.status_code == 202
    assert client.hget(c.STATS, "rejected:invalid_record") == "2"


# JSON allows a lone surrogate as an escape (RFC 8259 §8.2); a sender that cuts a string between the halves of an
# emoji (JavaScript's `text.slice(0, 200)`) writes one. It cannot be encoded as UTF-8, so it would fail later.
@pytest.mark.parametrize("field", ["title", "url", "text", "html", "markdown", "summary", "author", "authors",
                                   "published", "id", "source"])  # fmt: skip
def test_a_lone_surrogate_becomes_a_replacement_character(field: str) -> None:
    """A lone surrogate escape (\\ud800) in any field is read as U+FFFD, like any invalid UTF-16 text, so the
    record is accepted and can be queued: it was a 500 for the whole batch in the text, or a refusal that said
    "unable to parse raw data" elsewhere."""
    value: Any = ["A. Reporter \udc00"] if field == "authors" else "Harbour news, cut \ud83d"
    body = json.dumps([{**ARTICLE, field: value}, article(1)]).encode()
    assert b"\\ud83d" in body or b"\\udc00" in body
    for media_type, lines in (("application/json", body), ("application/x-ndjson", None)):
        if lines is None:
            lines = b"\n".join(json.dumps(r).encode() for r in json.loads(body))
        parsed = parse_body(lines, media_type, "partner", 10)
        assert parsed.refusals == [] and len(parsed.articles) == 2, [t.detail for _, t in parsed.refusals]
        sent = json.loads(parsed.articles[0][1].model_dump_json(by_alias=True))  # what Submitter writes
        assert "\ufffd" in json.dumps(sent, ensure_ascii=False)


def test_a_valid_surrogate_pair_is_kept() -> None:
    """An escaped pair (an emoji written by an ASCII-only encoder) is one character, kept as it is."""
    parsed = parse_body(b'{"text": "Fireworks \\ud83c\\udf86 over the harbour"}', "application/json", "p", 10)
    assert parsed.articles[0][1].content == "Fireworks \U0001f386 over the harbour"


def test_a_lone_surrogate_does_not_fail_the_batch(worker_app: Any, http: httpx.Client) -> None:
    """A batch with a lone surrogate in one record's text is 202, both records are emitted, and the event has
    U+FFFD where the surrogate was (it was a 500, and no record of the batch was queued)."""
    cut = {**article(1), "text": article(1)["text"] + " Fireworks \ud83c"}
    response = http.post("/v1/articles", content=json.dumps([cut, article(2)]),
                         headers={**WRITE, "Content-Type": "application/json"})  # fmt: skip
    assert response.status_code == 202, response.text
    states = [wait_state(http, a["status_url"]) for a in response.json()["accepted"]]
    assert [s["state"] for s in states] == ["emitted", "emitted"]
    assert states[0]["event"]["text"].endswith("Fireworks \ufffd")


def test_statuses_of_a_whole_batch_in_one_request(worker_app: Any, redis_url: str, tmp_path: Path) -> None:
    """GET /v1/articles/status?id=…&id=… answers up to 100 deliveries at once, in the order asked, so a batch can
    be followed within the token's rate limit: one status URL per record cost 1,000 requests for a full batch,
    over the default budget of 600 a minute. Each is answered as its own status URL would, without the event."""
    settings = http_settings(redis_url, tmp_path, rate_limit=2, rate_window="1h")
    records = [article(n) for n in range(12)] + [{"title": "no text"}, article(0)]
    with serving(settings, redis_url) as base, httpx.Client(base_url=base, timeout=10) as http:
        posted = http.post("/v1/articles", json=records, headers=WRITE).json()
        ids = [a["delivery_id"] for a in posted["accepted"]] + [r["delivery_id"] for r in posted["rejected"]]
        assert len(ids) == 14
        for status_url in (a["status_url"] for a in posted["accepted"]):  # waited for without the token's budget
            wait_state(http, status_url)
        answer = http.get("/v1/articles/status", params={"id": ids}, headers=WRITE)  # the token's second request
        assert answer.status_code == 200, answer.text
        items = answer.json()["items"]
        assert [item["delivery_id"] for item in items] == ids and answer.json()["not_found"] == []
        assert [item["state"] for item in items] == ["emitted"] * 12 + ["duplicate", "rejected"]
        assert items[12]["of"] == items[0]["article_id"] and items[13]["reason"] == "invalid_record"
        assert all("event" not in item for item in items)
        one = http.get(f"/v1/articles/{ids[0]}/status").json()  # public read, no token: the same answer, and more
        assert {k: v for k, v in one.items() if k != "event"} == items[0] and one["event"]["id"] == one["article_id"]


def test_status_lookup_bounds(http: httpx.Client) -> None:
    """Ids never issued are listed under not_found (a status URL's 404), repeats are answered once, and no id,
    more than 100, or a malformed one is 422."""
    queued = http.post("/v1/articles", json=ARTICLE, headers=WRITE).json()["accepted"][0]["delivery_id"]
    answer = http.get("/v1/articles/status", params={"id": [queued, "0123456789abcdef", queued]})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"items": [{"delivery_id": queued, "state": "queued"}], "not_found": ["0123456789abcdef"]}
    for params in ({}, {"id": [f"{n:016x}" for n in range(101)]}, {"id": ["bad"]}):
        assert http.get("/v1/articles/status", params=params).status_code == 422, params
    assert http.get("/v1/articles/status", params={"id": [f"{n:016x}" for n in range(100)]}).status_code == 200
