"""Subscriptions over HTTP: managed with a write token, alerts visible through the API, the query box."""

from __future__ import annotations

import gzip
import json
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from celery.contrib.testing.worker import start_worker

from tests.api.conftest import READ, WRITE, http_settings
from tests.api.sse import collect
from tests.api.test_receiver import ARTICLE, wait_state
from tests.worker.test_webhooks import Receiver
from wirewatch import constants as c
from wirewatch.api.server import serving
from wirewatch.settings import Settings

DOCS = Path(__file__).resolve().parents[2] / "docs" / "http.md"


def test_manage_subscriptions(http: httpx.Client) -> None:
    """Add (201), list (secret never shown), replace by name, reject a bad query with its position, delete."""
    body = {"name": "bridges", "query": "bridge AND harbour", "secret": "s3cret-s3cret-s3cret"}
    created = http.post("/v1/subscriptions", json=body, headers=WRITE)
    assert created.status_code == 201, created.text
    assert created.json()["has_secret"] is True and "secret" not in created.json()
    listed = http.get("/v1/subscriptions").json()["items"]
    assert [s["name"] for s in listed] == ["bridges"] and "s3cret" not in str(listed)
    bad = http.post("/v1/subscriptions", json={"name": "x", "query": "bridge AND (harbour"}, headers=WRITE)
    assert bad.status_code == 422 and bad.json()["error"] == "invalid_query" and "position" in bad.json()["detail"]
    assert http.post("/v1/subscriptions", json=body, headers=READ).status_code == 403
    assert http.post("/v1/subscriptions", json=body).status_code == 401
    assert http.delete("/v1/subscriptions/bridges", headers=READ).status_code == 403
    assert http.delete("/v1/subscriptions/bridges", headers=WRITE).status_code == 204
    assert http.delete("/v1/subscriptions/bridges", headers=WRITE).status_code == 404
    assert http.get("/v1/subscriptions").json()["items"] == []


def test_subscription_added_over_http_alerts(worker_app: Any, api: str, http: httpx.Client) -> None:
    """A subscription added over HTTP fires on a pushed article: the alert is in /v1/alerts and on its stream."""
    assert http.post("/v1/subscriptions", json={"name": "bridges", "query": "title:bridge"},
                     headers=WRITE).status_code == 201  # fmt: skip
    time.sleep(1.5)  # workers re-read subscriptions at most once a second

    def push() -> None:
        accepted = http.post("/v1/articles", json=ARTICLE, headers=WRITE).json()["accepted"][0]
        assert wait_state(http, accepted["status_url"])["state"] == "emitted"

    [frame] = collect(api, "/v1/stream/alerts", 1, after_open=push)
    assert frame.event == "alert" and frame.data["subscription"]["name"] == "bridges"
    [alert] = http.get("/v1/alerts").json()["items"]
    assert alert["title"] == ARTICLE["title"] and alert["matched"][0]["field"] == "title"
    assert 'wirewatch_alerts_total{outcome="alerted"} 1.0' in http.get("/metrics").text


def test_query_box_tries_recent_articles(worker_app: Any, http: httpx.Client) -> None:
    """/v1/match returns the recent events a query matches, with why; a bad query is 422."""
    accepted = http.post("/v1/articles", json=ARTICLE, headers=WRITE).json()["accepted"][0]
    wait_state(http, accepted["status_url"])
    hit = http.get("/v1/match", params={"q": "harbour AND bridge"}).json()
    assert hit["scanned"] == 1 and [m["event"]["title"] for m in hit["items"]] == [ARTICLE["title"]]
    assert {t["term"] for t in hit["items"][0]["matched"]} >= {"harbour", "bridge"}
    assert http.get("/v1/match", params={"q": "volcano"}).json()["items"] == []
    assert http.get("/v1/match", params={"q": "(("}).status_code == 422


def test_a_webhook_url_is_shown_whole_to_write_tokens_only(http: httpx.Client) -> None:
    """Reads are public by default; a chat service's webhook URL is its own credential (anyone holding Slack's
    /services/T…/B…/… may post to the channel). Without a token or with a read token the listing shows where
    alerts go, `https://host/…`; a write token, which may replace the webhook anyway, sees it whole."""
    hook = "https://hooks.slack.example:8443/services/T000/B000/XXXXSECRETXXXX?key=k3y"
    body = {"name": "bridges", "query": "bridge", "webhook": hook, "secret": "s3cret-s3cret-s3cret"}
    created = http.post("/v1/subscriptions", json=body, headers=WRITE)
    assert created.status_code == 201 and created.json()["webhook"] == hook
    for headers in ({}, READ):
        listed = http.get("/v1/subscriptions", headers=headers)
        assert listed.status_code == 200
        assert [s["webhook"] for s in listed.json()["items"]] == ["https://hooks.slack.example:8443/…"]
        assert "XXXXSECRET" not in listed.text and "k3y" not in listed.text
    assert [s["webhook"] for s in http.get("/v1/subscriptions", headers=WRITE).json()["items"]] == [hook]


def _fill_events(client: Any, count: int, text: str) -> None:
    from tests.api.test_read import make_event

    pipe = client.pipeline(transaction=False)
    for n in range(count):
        event = {**make_event(n), "text": text}
        pipe.xadd(c.EVENTS_STREAM, {"id": event["id"], "event": json.dumps(event)})
    pipe.execute()


def test_the_query_box_spends_a_bounded_time_on_a_hostile_query(http: httpx.Client, client: Any) -> None:
    """/v1/match is public by default and took no rate limit: a query of 250 wildcards over the last 2,000
    events of ordinary length cost the server ~30 s of CPU per request (a handful at once stalled the API and,
    inside `wirewatch run`, the runner beside it). The scan stops at its time budget and says how many events it
    tried; an ordinary query still tries every event asked for."""
    import itertools
    import string

    words = ["".join(p) for p in itertools.product(string.ascii_lowercase, repeat=2)]
    _fill_events(client, 2000, " ".join(w + "xyz" for w in words) * 3)  # ~12 KB of text each
    hostile = " OR ".join(f"text:{w}q*" for w in words[:250])  # every prefix tried on every word, none matches
    started = time.monotonic()
    answer = http.get("/v1/match", params={"q": hostile, "scan": 2000}, timeout=120)
    took = time.monotonic() - started
    assert answer.status_code == 200 and took < 5, f"{took:.1f}s"
    assert 0 < answer.json()["scanned"] < 2000
    ordinary = http.get("/v1/match", params={"q": "title:event", "scan": 500, "limit": 1}).json()
    assert ordinary["scanned"] == 500 and len(ordinary["items"]) == 1


@pytest.mark.parametrize("path", ["/v1/subscriptions", "/v1/match?q=x"])
def test_reads_stay_public(http: httpx.Client, path: str) -> None:
    """Listing and trying queries are reads: no token needed while public_read holds."""
    assert http.get(path).status_code == 200


@pytest.fixture
def api_settings(redis_url: str, tmp_path: Path) -> Settings:
    """The served app of this module takes webhooks to the loopback receivers of its tests, as its workers post
    to them (a deployment without allow_private_networks refuses them when they are added)."""
    return http_settings(redis_url, tmp_path).model_copy(update={"allow_private_networks": True})


@pytest.fixture
def webhook_worker(settings: Settings, redis_url: str) -> Iterator[Any]:
    """A real Celery worker for articles and webhooks that may post to the loopback receiver of the test."""
    from worker.app import create_app

    app = create_app(settings.model_copy(update={"allow_private_networks": True}), redis_url)
    with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=30,
                      queues=[c.INGEST_QUEUE, c.WEBHOOK_QUEUE]):  # fmt: skip
        yield app
    app.close()


def _documented_verifier() -> Callable[..., bool]:
    """The receiver's verifier as docs/http.md prints it, run as written."""
    section = DOCS.read_text(encoding="utf-8").split("## Verifying a webhook", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code, "docs/http.md: no python block under 'Verifying a webhook'"
    scope: dict[str, Any] = {}
    exec(code.group(1), scope)  # noqa: S102 - the documentation's own example, checked in
    verifier: Callable[..., bool] = scope["verify_wirewatch"]
    return verifier


def test_documented_verifier_accepts_a_real_delivery(webhook_worker: Any, http: httpx.Client) -> None:
    """The docs' verifier accepts a real signed alert delivery and refuses it altered, stale or with a
    non-ASCII signature (refused, not raised: hmac.compare_digest raises TypeError on such a str); the body is
    the alert as /v1/alerts shows it."""
    secret = "s3cret-s3cret-s3cret"
    verify = _documented_verifier()
    with Receiver([]) as rx:
        sub = {"name": "bridges", "query": "title:bridge", "webhook": rx.url, "secret": secret}
        assert http.post("/v1/subscriptions", json=sub, headers=WRITE).status_code == 201
        time.sleep(1.5)  # workers re-read subscriptions at most once a second
        accepted = http.post("/v1/articles", json=ARTICLE, headers=WRITE).json()["accepted"][0]
        assert wait_state(http, accepted["status_url"])["state"] == "emitted"
        deadline = time.monotonic() + 30
        while not rx.requests and time.monotonic() < deadline:
            time.sleep(0.05)
    [(headers, body)] = rx.requests
    assert verify(secret, headers, body)
    [alert] = http.get("/v1/alerts").json()["items"]
    assert json.loads(body) == alert and headers["X-Wirewatch-Alert-Id"] == alert["id"]
    assert not verify(secret, headers, body.replace(b"bridge", b"bridgE"))
    assert not verify("another-secret-entirely", headers, body)
    assert not verify(secret, {**headers, "X-Wirewatch-Signature": "sha256=é"}, body)
    stale = str(int(headers["X-Wirewatch-Timestamp"]) - 301)
    assert not verify(secret, {**headers, "X-Wirewatch-Timestamp": stale}, body)
    assert not verify(secret, {**headers, "X-Wirewatch-Timestamp": "١٢"}, body)


def _article(n: int) -> dict[str, str]:
    """A bridge article of its own story (its own URL and text)."""
    text = f"Bridge number {n} reopened on Monday after repairs lasting {n} months, and traffic returns to it."
    return {"title": f"Bridge {n} reopens", "url": f"https://example.org/news/bridge-{n}", "text": text}


def _alerts_after(http: httpx.Client, rx: Receiver, article: dict[str, str], alerts: int) -> None:
    """Push `article`; return once /v1/alerts holds `alerts` and the webhook worker has had time for it."""
    accepted = http.post("/v1/articles", json=article, headers=WRITE).json()["accepted"][0]
    assert wait_state(http, accepted["status_url"])["state"] == "emitted"
    deadline = time.monotonic() + 30
    while len(http.get("/v1/alerts").json()["items"]) < alerts and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)  # a webhook message, if one was made, reaches the receiver well within this


def test_a_gone_webhook_is_shown_off_and_a_post_switches_it_back_on(webhook_worker: Any, http: httpx.Client) -> None:
    """A receiver's 410 switches the webhook off: the listing says since when and why, later alerts are written
    but not POSTed; posting the subscription again (its update) switches the webhook back on."""
    with Receiver([410]) as rx:
        sub = {"name": "bridges", "query": "title:bridge", "webhook": rx.url, "secret": "s3cret-s3cret-s3cret"}
        assert http.post("/v1/subscriptions", json=sub, headers=WRITE).json()["webhook_off"] is None
        time.sleep(1.5)  # workers re-read subscriptions at most once a second
        _alerts_after(http, rx, _article(1), 1)
        assert len(rx.requests) == 1
        [listed] = http.get("/v1/subscriptions").json()["items"]
        assert listed["webhook_off"] is not None and "410" in listed["webhook_off"]["reason"]
        assert listed["webhook_off"]["at"].endswith("Z") or "+00:00" in listed["webhook_off"]["at"]
        time.sleep(1.5)  # workers see the switch within a second
        _alerts_after(http, rx, _article(2), 2)
        assert len(rx.requests) == 1, "an alert was POSTed to a receiver that said it is gone"
        updated = http.post("/v1/subscriptions", json=sub, headers=WRITE)
        assert updated.status_code == 201 and updated.json()["webhook_off"] is None
        assert http.get("/v1/subscriptions").json()["items"][0]["webhook_off"] is None
        time.sleep(1.5)
        _alerts_after(http, rx, _article(3), 3)
        assert len(rx.requests) == 2
    assert [json.loads(body)["title"] for _, body in rx.requests] == ["Bridge 1 reopens", "Bridge 3 reopens"]


def test_a_secret_has_the_same_limits_as_in_the_cli_and_config(http: httpx.Client) -> None:
    """POST /v1/subscriptions refuses a secret outside WEBHOOK_SECRET_MIN_CHARS..WEBHOOK_SECRET_MAX_CHARS with the
    shared validator's message (the one the CLI and the config give), and takes one at either bound."""
    base = {"name": "bridges", "query": "bridge", "webhook": "https://hooks.example.com/x"}
    for n, why in ((c.WEBHOOK_SECRET_MAX_CHARS + 1, f"at most {c.WEBHOOK_SECRET_MAX_CHARS} characters (this one "
                    f"has {c.WEBHOOK_SECRET_MAX_CHARS + 1})"), (c.WEBHOOK_SECRET_MIN_CHARS - 1, "at least")):  # fmt: skip
        refused = http.post("/v1/subscriptions", json={**base, "secret": "s" * n}, headers=WRITE)
        assert refused.status_code == 422 and refused.json()["error"] == "invalid_subscription", refused.text
        assert why in refused.json()["detail"] and "s" * n not in refused.text
    for n in (c.WEBHOOK_SECRET_MIN_CHARS, c.WEBHOOK_SECRET_MAX_CHARS):
        assert http.post("/v1/subscriptions", json={**base, "secret": "s" * n}, headers=WRITE).status_code == 201


@pytest.mark.parametrize("name", ["desk/politics", "a/b/c", "energy%2Fprices"])
def test_a_subscription_named_with_a_slash_is_removed_by_name(http: httpx.Client, name: str) -> None:
    """Names may hold `/` (a desk's `desk/politics`), and the CLI removes them by name; over HTTP the `%2F` of the
    name was decoded before routing, so `DELETE /v1/subscriptions/desk%2Fpolitics` found no route (404
    "no route at this path") and such a subscription could be removed only by its id."""
    body = {"name": name, "query": "bridge"}
    assert http.post("/v1/subscriptions", json=body, headers=WRITE).status_code == 201
    path = "/v1/subscriptions/" + quote(name, safe="")
    assert http.delete(path, headers=WRITE).status_code == 204
    assert http.get("/v1/subscriptions").json()["items"] == []
    gone = http.delete(path, headers=WRITE)
    assert gone.status_code == 404 and gone.json()["error"] == "not_found"
    assert gone.json()["detail"] == "no such subscription"


def test_a_subscription_body_that_is_not_json_says_so(http: httpx.Client) -> None:
    """A body sent as another media type was read as bytes and refused with "body: Input should be a valid
    dictionary or object to extract fields from", and malformed JSON as "body.0: JSON decode error": neither says
    what is wrong. As on `POST /v1/articles`: 415 `unsupported_media_type`, and 422 `invalid_json` naming where."""
    good = json.dumps({"name": "bridges", "query": "bridge"})
    for media_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
        refused = http.post("/v1/subscriptions", content=good, headers={**WRITE, "Content-Type": media_type})
        assert refused.status_code == 415, (media_type, refused.text)
        assert refused.json()["error"] == "unsupported_media_type" and "application/json" in refused.json()["detail"]
    broken = http.post("/v1/subscriptions", content='{"name": "bridges",\n "query": }',
                       headers={**WRITE, "Content-Type": "application/json"})  # fmt: skip
    assert broken.status_code == 422, broken.text
    assert broken.json()["error"] == "invalid_json"
    assert broken.json()["detail"] == "invalid JSON at line 2 column 11: Expecting value"
    for media_type in ("application/json; charset=utf-8", "application/merge-patch+json"):
        ok = http.post("/v1/subscriptions", content=good, headers={**WRITE, "Content-Type": media_type})
        assert ok.status_code == 201, (media_type, ok.text)
    assert http.get("/v1/subscriptions").json()["items"][0]["name"] == "bridges"


@pytest.mark.parametrize("webhook", ["http://[fe80::1%25eth0]:8080/hook", "http://[fe80::1%eth0]/hook",
                                     "https://[2001:db8::1%251]/hook", "http://[::1%25lo]:9/hook"])  # fmt: skip
@pytest.mark.parametrize("allow_private", [True, False])
def test_a_webhook_with_an_ipv6_zone_id_is_refused_when_added(
    redis_url: str, tmp_path: Path, webhook: str, allow_private: bool
) -> None:
    """A zone id (`%25eth0`) names an interface of the sending machine, so no receiver anywhere else can be meant:
    422 `invalid_subscription` saying so, whether private networks are allowed or not. It was stored and every
    alert's delivery failed and was retried; without private networks the refusal advised allowing them."""
    settings = http_settings(redis_url, tmp_path).model_copy(update={"allow_private_networks": allow_private})
    sub = {"name": "linklocal", "query": "alpha", "webhook": webhook, "secret": "s" * 32}
    with serving(settings, redis_url) as base, httpx.Client(base_url=base, timeout=10) as http:
        refused = http.post("/v1/subscriptions", json=sub, headers=WRITE)
        assert refused.status_code == 422 and refused.json()["error"] == "invalid_subscription", refused.text
        assert "zone id" in refused.json()["detail"] and "allow_private_networks" not in refused.json()["detail"]
        assert http.get("/v1/subscriptions", headers=WRITE).json()["items"] == []
        if allow_private:  # the same address without its zone is a receiver on this network: taken
            plain = {**sub, "webhook": webhook.split("%")[0] + "]" + webhook.split("]", 1)[1]}
            assert http.post("/v1/subscriptions", json=plain, headers=WRITE).status_code == 201


def test_a_packed_subscription_body_is_refused_not_misread(http: httpx.Client) -> None:
    """`Content-Encoding` was ignored on `POST /v1/subscriptions`: a gzip body was "invalid JSON at line 1 column 1"
    and a plain one labelled gzip was stored. Only the receiver unpacks bodies; here any encoding is 415
    `unsupported_content_encoding` with `Accept-Encoding: identity`, and nothing is stored."""
    body = json.dumps({"name": "bridges", "query": "bridge"}).encode()
    for encoding, content in (("gzip", gzip.compress(body)), ("gzip", body), ("br", body)):
        headers = {**WRITE, "Content-Type": "application/json", "Content-Encoding": encoding}
        refused = http.post("/v1/subscriptions", content=content, headers=headers)
        assert refused.status_code == 415, refused.text
        assert refused.json()["error"] == "unsupported_content_encoding"
        assert refused.headers["accept-encoding"] == "identity"
    assert http.get("/v1/subscriptions").json()["items"] == []
    plain = {**WRITE, "Content-Type": "application/json", "Content-Encoding": "identity"}
    assert http.post("/v1/subscriptions", content=body, headers=plain).status_code == 201


def test_a_percent_encoded_webhook_host_is_refused_when_added(http: httpx.Client) -> None:
    """`http://exa%41mple.com/` names no host the delivery can resolve (it failed and was retried at every
    alert): 422 when added."""
    sub = {"name": "pct", "query": "alpha", "webhook": "https://exa%41mple.com/hook", "secret": "s" * 32}
    refused = http.post("/v1/subscriptions", json=sub, headers=WRITE)
    assert refused.status_code == 422 and "percent-encoded" in refused.json()["detail"], refused.text


@pytest.mark.parametrize("name", ["  ", "a\nb", "\u202e", "evil\u202egnp.exe", " bridges", "a\x1b[31mb"])
def test_a_blank_name_or_one_with_control_characters_is_refused(http: httpx.Client, name: str) -> None:
    """Blank names and names with newlines, escape sequences or bidi overrides broke tables, logs and URLs: 422
    `invalid_subscription` saying why (the character as U+XXXX), nothing stored."""
    refused = http.post("/v1/subscriptions", json={"name": name, "query": "bridge"}, headers=WRITE)
    assert refused.status_code == 422 and refused.json()["error"] == "invalid_subscription", refused.text
    assert "subscription name" in refused.json()["detail"]
    assert http.get("/v1/subscriptions").json()["items"] == []


def test_the_number_of_subscriptions_is_bounded(redis_url: str, tmp_path: Path) -> None:
    """Past `limits.max_subscriptions` a new subscription is 409 `too_many_subscriptions` naming the bound and the
    setting; replacing one at the bound is still a 201."""
    settings = http_settings(redis_url, tmp_path)
    settings = settings.model_copy(update={"limits": settings.limits.model_copy(update={"max_subscriptions": 2})})
    with serving(settings, redis_url) as base, httpx.Client(base_url=base, timeout=10) as http:
        for name in ("a", "b"):
            assert http.post("/v1/subscriptions", json={"name": name, "query": "x"}, headers=WRITE).status_code == 201
        refused = http.post("/v1/subscriptions", json={"name": "c", "query": "x"}, headers=WRITE)
        assert refused.status_code == 409 and refused.json()["error"] == "too_many_subscriptions", refused.text
        assert "at most 2" in refused.json()["detail"] and "limits.max_subscriptions" in refused.json()["detail"]
        assert http.post("/v1/subscriptions", json={"name": "a", "query": "y"}, headers=WRITE).status_code == 201
        assert [s["name"] for s in http.get("/v1/subscriptions").json()["items"]] == ["a", "b"]


def test_the_subscription_list_is_paged_by_name(http: httpx.Client, client: Any) -> None:
    """Thousands of subscriptions came in one answer of every one. As /v1/events and /v1/stories: `limit` (50 by
    default, at most HTTP_PAGE_MAX) and `next_cursor`, null on the last page; a cursor naming a subscription
    removed meanwhile still goes on from where it was."""
    from worker.subscriptions import put_subscription, validate

    names = [f"topic-{n:04d}" for n in range(120)]
    for name in names:
        put_subscription(client, validate(name, "bridge"))
    first = http.get("/v1/subscriptions").json()
    assert [s["name"] for s in first["items"]] == names[:50] and first["next_cursor"]
    seen, cursor = [], None
    while True:
        page = http.get("/v1/subscriptions", params={"limit": 7, **({"cursor": cursor} if cursor else {})}).json()
        seen += [s["name"] for s in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert len(page["items"]) == 7
    assert seen == names
    at = http.get("/v1/subscriptions", params={"limit": 2}).json()
    assert http.delete(f"/v1/subscriptions/{at['next_cursor']}", headers=WRITE).status_code == 204
    after = http.get("/v1/subscriptions", params={"limit": 2, "cursor": at["next_cursor"]}).json()
    assert [s["name"] for s in after["items"]] == names[2:4]
    assert http.get("/v1/subscriptions", params={"limit": c.HTTP_PAGE_MAX + 1}).status_code == 422


def test_a_created_subscription_has_a_location_to_get_it_by(http: httpx.Client) -> None:
    """A 201 says where the subscription is (`Location: /v1/subscriptions/<id>`), and a GET there answers it
    (whole webhook to a write token only, as the list); by name too; an unknown one is 404."""
    hook = "https://hooks.slack.example/services/T000/B000/XXXXSECRETXXXX"
    body = {"name": "desk/politics", "query": "bridge", "webhook": hook, "secret": "s3cret-s3cret-s3cret"}
    created = http.post("/v1/subscriptions", json=body, headers=WRITE)
    assert created.status_code == 201
    location = created.headers["location"]
    assert location == f"/v1/subscriptions/{created.json()['id']}"
    assert http.get(location, headers=WRITE).json() == created.json()
    public = http.get(location)
    assert public.status_code == 200 and public.json()["webhook"] == "https://hooks.slack.example/…"
    by_name = http.get("/v1/subscriptions/" + quote("desk/politics", safe=""), headers=WRITE)
    assert by_name.json() == created.json()
    missing = http.get("/v1/subscriptions/nobody")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"


def test_the_document_declares_the_location_of_a_created_subscription(http: httpx.Client) -> None:
    """/openapi.json says a 201 of POST /v1/subscriptions carries Location, and documents the GET it names."""
    doc = http.get("/openapi.json").json()
    created = doc["paths"]["/v1/subscriptions"]["post"]["responses"]["201"]
    assert created["headers"]["Location"]["required"] is True
    assert "404" in doc["paths"]["/v1/subscriptions/{name_or_id}"]["get"]["responses"]
    listed = doc["paths"]["/v1/subscriptions"]["get"]
    assert {p["name"] for p in listed["parameters"]} >= {"limit", "cursor"}
