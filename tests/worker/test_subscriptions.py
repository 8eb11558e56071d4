"""Subscriptions in Redis: validation at the door, versioned changes, workers following them."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import redis

from wirewatch import constants as c
from wirewatch.settings import load_settings
from worker.query import QuerySyntaxError
from worker.subscriptions import (
    SubscriptionIndex,
    TooManySubscriptions,
    get_subscription,
    list_subscriptions,
    put_subscription,
    remove_subscription,
    subscription_id,
    switch_webhook_off,
    sync_config,
    validate,
    webhook_off,
)


def test_a_malformed_query_is_refused_with_its_position() -> None:
    """validate() refuses a bad query before anything is stored, saying where it is wrong."""
    with pytest.raises(QuerySyntaxError) as info:
        validate("bad", "fentanyl AND (china OR")
    assert info.value.position == 22
    with pytest.raises(ValueError, match="http"):
        validate("hook", "china", webhook="ftp://example.com", secret="s" * 16)
    for bad in ("https://hooks.example.com:99999/x", "https://[::1/x", "https:///x"):
        with pytest.raises(ValueError, match=r"valid URL|name a host"):
            validate("hook", "china", webhook=bad, secret="s" * 16)
    # Credentials in the URL: the POST refuses to send them, so such a webhook was stored and never delivered to.
    for bad in ("https://user:pass@hooks.example.com/x", "https://token@hooks.example.com/x"):
        with pytest.raises(ValueError, match="credentials"):
            validate("hook", "china", webhook=bad, secret="s" * 16)
    # A host the delivery cannot encode was stored, then every alert gave up on it.
    with pytest.raises(ValueError, match="internationalised domain name"):
        validate("hook", "china", webhook="https://bücher..example/x", secret="s" * 16)
    assert validate("hook", "china", webhook="https://bücher.example/x", secret="s" * 16).webhook
    # A webhook is signed with its secret: none, an empty one or a short one is refused, never sent unsigned.
    for secret in (None, "", "short"):
        with pytest.raises(ValueError, match="secret of at least 16"):
            validate("hook", "china", webhook="https://hooks.example.com/x", secret=secret)
    assert validate("hook", "china", webhook="https://hooks.example.com/x", secret="s" * 16).secret == "s" * 16


@pytest.mark.parametrize("webhook", ["https://hooks.example.com/x", None])
def test_a_secret_has_one_length_rule_with_or_without_a_webhook(webhook: str | None) -> None:
    """validate(), which the CLI, the config file and the HTTP API all call, takes a secret of
    WEBHOOK_SECRET_MIN_CHARS to WEBHOOK_SECRET_MAX_CHARS characters and refuses others, saying the bound and the
    length. The API alone capped it at 200; the CLI and the config took any length."""
    shortest, longest = "s" * c.WEBHOOK_SECRET_MIN_CHARS, "é" * c.WEBHOOK_SECRET_MAX_CHARS  # characters, not bytes
    assert validate("hook", "china", webhook=webhook, secret=shortest).secret == shortest
    assert validate("hook", "china", webhook=webhook, secret=longest).secret == longest
    with pytest.raises(ValueError, match=f"at most {c.WEBHOOK_SECRET_MAX_CHARS} characters \\(this one has 201\\)"):
        validate("hook", "china", webhook=webhook, secret="s" * (c.WEBHOOK_SECRET_MAX_CHARS + 1))
    for short in ("", "s" * (c.WEBHOOK_SECRET_MIN_CHARS - 1)):
        with pytest.raises(ValueError, match=f"at least {c.WEBHOOK_SECRET_MIN_CHARS} characters"):
            validate("hook", "china", webhook=webhook, secret=short)
    with pytest.raises(ValueError, match="at most") as refused:  # the message never carries the secret
        validate("hook", "china", webhook=webhook, secret="XSECRETX" * 100)
    assert "XSECRETX" not in str(refused.value)
    assert validate("plain", "china").secret is None  # none is needed without a webhook


def version(client: redis.Redis) -> int:
    return int(client.get(c.SUBSCRIPTIONS_VERSION) or 0)


def test_put_list_remove_and_the_version(client: redis.Redis) -> None:
    """Each real change moves the version up; re-putting the same subscription changes nothing."""
    sub = validate("fentanyl-china", "fentanyl AND (china OR chinese)")
    assert sub.id == subscription_id("fentanyl-china")
    assert put_subscription(client, sub)
    first = version(client)
    assert not put_subscription(client, sub)
    assert version(client) == first > 0
    assert put_subscription(client, validate("fentanyl-china", "fentanyl"))
    assert [s.query for s in list_subscriptions(client)] == ["fentanyl"]
    assert get_subscription(client, sub.id) is not None
    assert remove_subscription(client, "fentanyl-china")
    assert not remove_subscription(client, "fentanyl-china")
    assert list_subscriptions(client) == []
    assert version(client) > first


def test_a_lost_change_cannot_leave_a_worker_on_a_stale_set(client: redis.Redis) -> None:
    """Should Redis lose the last change (AOF everysec, a failover), the next change must not bring the
    version back to a number a worker holds for other contents: it would keep alerting on what is gone."""
    index = SubscriptionIndex(client, poll_s=0)
    put_subscription(client, validate("a", "alpha"))
    before_b = version(client)
    put_subscription(client, validate("b", "beta"))
    assert sorted(s.name for s in index.subscriptions.values()) == [] and len(index.current()) == 2
    client.hdel(c.SUBSCRIPTIONS, subscription_id("b"))  # the write of "b" is lost, and its version with it
    client.set(c.SUBSCRIPTIONS_VERSION, before_b)
    put_subscription(client, validate("c", "gamma"))  # a counter moving by 1 would be back where "b" left it
    assert len(index.current()) == 2
    assert sorted(s.name for s in index.subscriptions.values()) == ["a", "c"]


def test_config_subscriptions_are_stored(client: redis.Redis, redis_url: str) -> None:
    """The config file's subscriptions: entries are upserted (with their secrets) and stay idempotent."""
    settings = load_settings(None, redis_url=redis_url, subscriptions=[
        {"name": "a", "query": "china", "webhook": "https://hooks.example.com/x", "secret": "s3" * 8},
        {"name": "b", "query": 'title:"trade deal"'},
    ])  # fmt: skip
    assert sync_config(client, settings) == 2
    assert sync_config(client, settings) == 0
    subs = {s.name: s for s in list_subscriptions(client)}
    assert subs["a"].secret == "s3" * 8 and subs["a"].webhook == "https://hooks.example.com/x"
    bad = load_settings(None, redis_url=redis_url, subscriptions=[{"name": "x", "query": "a OR"}])
    with pytest.raises(QuerySyntaxError, match="subscription 'x'"):
        sync_config(client, bad)
    unsigned = load_settings(None, redis_url=redis_url, subscriptions=[
        {"name": "y", "query": "china", "webhook": "hooks.example.com/x"}])  # fmt: skip
    with pytest.raises(ValueError, match="subscription 'y': a webhook must be an http"):
        sync_config(client, unsigned)


def test_index_follows_changes_after_its_poll_interval(client: redis.Redis) -> None:
    """A worker's index sees adds, edits and removals once its poll interval has passed, not before."""
    now = [0.0]
    index = SubscriptionIndex(client, poll_s=0.5, clock=lambda: now[0])
    assert len(index.current()) == 0
    put_subscription(client, validate("a", "alpha"))
    assert len(index.current()) == 0  # within the interval: no Redis round trip
    now[0] = 0.6
    percolator = index.current()
    assert len(percolator) == 1 and index.subscriptions[subscription_id("a")].query == "alpha"
    put_subscription(client, validate("a", "beta"))
    put_subscription(client, validate("b", "gamma"))
    now[0] = 1.2
    assert len(index.current()) == 2
    assert index.subscriptions[subscription_id("a")].query == "beta"
    remove_subscription(client, "b")
    now[0] = 1.8
    assert len(index.current()) == 1 and index.version == int(client.get(c.SUBSCRIPTIONS_VERSION))


def test_index_skips_a_stored_query_that_does_not_parse(client: redis.Redis) -> None:
    """Something written around validate() cannot take a worker down; the rest still load."""
    put_subscription(client, validate("good", "alpha"))
    client.hset(c.SUBSCRIPTIONS, "sub_bad", '{"id": "sub_bad", "name": "bad", "query": "a AND"}')
    # Alert claims pass subscription ids joined by newlines: an id with whitespace is refused too.
    client.hset(c.SUBSCRIPTIONS, "sub_x\nsub_y", '{"id": "sub_x", "name": "x", "query": "alpha"}')
    client.incr(c.SUBSCRIPTIONS_VERSION)
    index = SubscriptionIndex(client)
    assert list(index.current().ids) == [subscription_id("good")]


def test_a_bulk_reload_freezes_the_compiled_subscriptions_and_a_small_one_does_not(client: redis.Redis) -> None:
    """Compiling many subscriptions at once moves them out of the collector's sight and spaces out young
    collections (worker/heap.py); one more subscription later does not pay a collection."""
    import gc

    from worker.heap import YOUNG_COLLECTION_EVERY
    from worker.subscriptions import FREEZE_AFTER_ADDED

    pipe = client.pipeline(transaction=False)
    for i in range(FREEZE_AFTER_ADDED):
        pipe.hset(c.SUBSCRIPTIONS, f"sub_{i:05d}", validate(f"s{i}", f"word{i} AND other{i}").model_dump_json())
    pipe.incr(c.SUBSCRIPTIONS_VERSION)
    pipe.execute()
    index = SubscriptionIndex(client, poll_s=0)
    before, thresholds = gc.get_freeze_count(), gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    try:
        percolator = index.current()
        assert gc.get_threshold()[0] == YOUNG_COLLECTION_EVERY
    finally:
        gc.set_threshold(*thresholds)
    assert len(percolator) == FREEZE_AFTER_ADDED
    assert gc.get_freeze_count() > before
    frozen = gc.get_freeze_count()
    put_subscription(client, validate("one-more", "alpha"))
    assert len(index.current()) == FREEZE_AFTER_ADDED + 1
    assert gc.get_freeze_count() == frozen


def test_a_stored_query_a_newer_rule_refuses_is_kept_with_a_warning(client: redis.Redis) -> None:
    """'-word' is refused for new subscriptions; one stored before that rule keeps alerting as it did ('+word'
    and '-5' were never refused: they mean the word and the number)."""
    from worker.query import parse_query

    assert parse_query("+climate +policy AND -5")
    with pytest.raises(QuerySyntaxError, match="write NOT sports"):
        validate("old", "fentanyl -sports")
    stored = json.dumps({"id": subscription_id("old"), "name": "old", "query": "fentanyl -sports"})
    client.hset(c.SUBSCRIPTIONS, subscription_id("old"), stored)
    client.incr(c.SUBSCRIPTIONS_VERSION)
    index = SubscriptionIndex(client)
    assert list(index.current().ids) == [subscription_id("old")]


def test_a_stored_query_with_an_unpaired_typographic_quote_keeps_its_old_meaning(client: redis.Redis) -> None:
    """Curly quotes now delimit phrases, so '24” monitor' is refused when added; one stored before that still
    loads in a worker and matches as it did (both words), instead of being dropped."""
    from tests.worker.test_match import make_event
    from worker.match import document_from_event

    with pytest.raises(QuerySyntaxError, match="unterminated phrase"):
        validate("tv", "24” monitor")
    stored = json.dumps({"id": subscription_id("tv"), "name": "tv", "query": "24” monitor"})
    client.hset(c.SUBSCRIPTIONS, subscription_id("tv"), stored)
    client.incr(c.SUBSCRIPTIONS_VERSION)
    percolator = SubscriptionIndex(client).current()
    doc = document_from_event(make_event(text="A 24 inch monitor"))
    assert [m.subscription_id for m in percolator.match(doc)] == [subscription_id("tv")]


def test_a_country_or_language_that_is_no_code_is_refused_and_a_stored_one_still_loads(client: redis.Redis) -> None:
    """'country:uk' never matched (articles carry GB) and was stored silently; now it is refused with the code
    meant, and one stored before that still loads in a worker as it was."""
    with pytest.raises(QuerySyntaxError, match="write country:gb"):
        validate("brexit", "brexit country:uk")
    assert validate("brexit", "brexit country:gb").query == "brexit country:gb"
    stored = json.dumps({"id": subscription_id("brexit"), "name": "brexit", "query": "brexit country:uk"})
    client.hset(c.SUBSCRIPTIONS, subscription_id("brexit"), stored)
    client.incr(c.SUBSCRIPTIONS_VERSION)
    assert list(SubscriptionIndex(client).current().ids) == [subscription_id("brexit")]


HOOK = "https://hooks.example.com/x"


def test_a_webhook_switched_off_stays_off_until_the_subscription_changes_it(client: redis.Redis) -> None:
    """Switched off (a 410), a webhook stays off when the config stores the same entry again at a start, comes back
    on when the config names another URL or the subscription is put again, and its record goes with a removal."""
    sub = validate("hook", "alpha", webhook=HOOK, secret="s" * 16)
    put_subscription(client, sub)
    before = version(client)
    at = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    assert switch_webhook_off(client, sub.id, HOOK, "http 410: gone", at)
    assert not switch_webhook_off(client, sub.id, HOOK, "http 410: gone", at)  # once: the first 410 records it
    assert version(client) > before  # workers reload, and stop making webhook messages for it
    off = webhook_off(client, sub.id)
    assert off is not None and off.at == at and off.reason == "http 410: gone"
    entry = {"name": "hook", "query": "alpha", "webhook": HOOK, "secret": "s" * 16}
    sync_config(client, load_settings(None, subscriptions=[entry]))
    assert webhook_off(client, sub.id) is not None
    sync_config(client, load_settings(None, subscriptions=[{**entry, "webhook": HOOK + "/new"}]))
    assert webhook_off(client, sub.id) is None
    assert switch_webhook_off(client, sub.id, HOOK + "/new", "http 410: gone", at)
    assert put_subscription(client, get_subscription(client, sub.id))  # the same body: on again is a change
    assert webhook_off(client, sub.id) is None
    assert switch_webhook_off(client, sub.id, HOOK + "/new", "http 410: gone", at)
    assert remove_subscription(client, "hook")
    assert webhook_off(client, sub.id) is None and client.hlen(c.WEBHOOKS_OFF) == 0


def test_a_410_for_a_url_no_longer_stored_switches_nothing_off(client: redis.Redis) -> None:
    """A 410 from the old receiver, met after the webhook was changed to a new one, leaves the new one on."""
    put_subscription(client, validate("hook", "alpha", webhook=HOOK + "/new", secret="s" * 16))
    sid = subscription_id("hook")
    assert not switch_webhook_off(client, sid, HOOK, "http 410: gone", datetime.now(UTC))
    assert not switch_webhook_off(client, "sub_missing", HOOK, "http 410: gone", datetime.now(UTC))
    assert webhook_off(client, sid) is None


@pytest.mark.parametrize("webhook", ["http://127.0.0.1:9/h", "http://[::1]:8080/h", "http://localhost/h",
                                     "http://api.localhost./h", "http://10.1.2.3/h", "http://169.254.169.254/latest",
                                     "http://[::ffff:127.0.0.1]/h", "http://2130706433/h", "http://0177.0.0.1/h",
                                     "http://127.1/h", "http://0x7f.1/h", "http://0/h", "http://10.258/h"])  # fmt: skip
def test_a_webhook_to_a_private_address_is_refused_when_it_is_added(webhook: str) -> None:
    """Without allow_private_networks every delivery to such a host is refused: the subscription is refused when it is
    added, saying why and what to set, rather than accepted and then failing at every alert."""
    with pytest.raises(ValueError, match=r"loopback, private or link-local address.*allow_private_networks"):
        validate("hook", "alpha", webhook, "s" * 32, allow_private=False)
    assert validate("hook", "alpha", webhook, "s" * 32, allow_private=True).webhook == webhook


def test_a_webhook_to_a_public_host_or_name_is_taken_without_allow_private() -> None:
    """A name is not resolved when it is added (what it resolves to is checked at each delivery)."""
    for webhook in ("https://hooks.example.com/x", "http://93.184.216.34/x", "https://intranet.corp/x"):
        assert validate("hook", "alpha", webhook, "s" * 32, allow_private=False).webhook == webhook


@pytest.mark.parametrize(
    ("name", "reason"),
    [("", "blank"), ("   ", "blank"), ("\u3000", "blank"), (" bridges", "start or end"), ("bridges\t", "start or end"),
     ("a\nb", "U+000A"), ("a\rb", "U+000D"), ("a\x00b", "U+0000"), ("a\x1b[31mb", "U+001B"), ("a\x85b", "U+0085"),
     ("evil\u202egnp.exe", "U+202E"), ("a\u2066b", "U+2066"), ("a\u200bb", "U+200B"), ("a\ufeffb", "U+FEFF"),
     ("a\u2028b", "U+2028"), ("a\ud800b", "U+D800")],
)  # fmt: skip
def test_a_blank_name_or_one_with_control_characters_is_refused(name: str, reason: str) -> None:
    """validate(), the door of the CLI, the config file and the HTTP API, refuses a name that is blank, has
    whitespace at either end, or holds a control, line-breaking or invisible formatting character (bidi
    overrides included): such names broke tables, log lines and URLs, or looked like another subscription. The
    message names the character as U+XXXX, never prints it."""
    with pytest.raises(ValueError, match="subscription name") as refused:
        validate(name, "china")
    assert reason in str(refused.value)
    assert not any(ch in str(refused.value) for ch in name.strip() if not ch.isprintable())


@pytest.mark.parametrize(
    ("name", "reason"),
    [("\uff45\uff4e\uff45\uff52\uff47\uff59", "'energy'"),  # fullwidth: looks like "energy" in a table
     ("caf\u0065\u0301", "'caf\u00e9'"),  # "café" with a combining accent: another id than the composed one
     ("\ufb01nance", "'finance'"),  # the "fi" ligature
     ("en\u0435rgy", "U+0435"),  # a Cyrillic е among Latin letters
     ("\u0440aypal alerts", "U+0440"),  # Cyrillic р, then Latin
     ("\u03bfil prices", "U+03BF")],  # Greek omicron for "o"
)  # fmt: skip
def test_a_name_that_looks_like_another_is_refused(name: str, reason: str) -> None:
    """Two subscriptions whose names look alike in a list are two ids (the id comes from the name's bytes): a
    fullwidth or ligature spelling, or an accent written as a combining mark, is refused with the plain form to
    write instead (Unicode's NFKC, which the query parser reads words in too); a word mixing Latin, Greek and
    Cyrillic letters (the homograph of a domain name) is refused, naming the odd letter as U+XXXX."""
    with pytest.raises(ValueError, match="subscription name") as refused:
        validate(name, "china")
    assert reason in str(refused.value)


@pytest.mark.parametrize("name", ["desk/politics", "Brücken & Häfen", "中国 贸易", "עסקאות", "👨\u200d👩\u200d👧 family",
                                  "می\u200cخواهم", "a b", "x" * 200, "Москва-news", "ΕΛΛΑΔΑ/greece", "café"])  # fmt: skip
def test_names_in_any_script_with_inner_spaces_and_joiners_are_taken(name: str) -> None:
    """Letters of any script, inner spaces, and the zero-width joiners that emoji and Persian need are names."""
    assert validate(name, "china").name == name


def test_the_number_of_subscriptions_is_bounded(client: redis.Redis) -> None:
    """With a bound, a new subscription past it is refused with the bound and the setting to raise; nothing is
    stored, the version does not move; replacing or removing one still works at the bound."""
    assert put_subscription(client, validate("a", "alpha"), max_subscriptions=2)
    assert put_subscription(client, validate("b", "beta"), max_subscriptions=2)
    before = version(client)
    with pytest.raises(TooManySubscriptions, match=r"at most 2 subscriptions.*limits\.max_subscriptions"):
        put_subscription(client, validate("c", "gamma"), max_subscriptions=2)
    assert [s.name for s in list_subscriptions(client)] == ["a", "b"] and version(client) == before
    assert put_subscription(client, validate("a", "alpha OR delta"), max_subscriptions=2)  # a replacement
    assert remove_subscription(client, "b")
    assert put_subscription(client, validate("c", "gamma"), max_subscriptions=2)


def test_config_subscriptions_count_against_the_bound(client: redis.Redis, redis_url: str) -> None:
    """The config file's entries are subscriptions too: one past `limits.max_subscriptions` is refused at start,
    naming the entry; those already stored are updated as ever."""
    entries = [{"name": n, "query": "china"} for n in ("a", "b", "c")]
    settings = load_settings(None, redis_url=redis_url, subscriptions=entries, limits={"max_subscriptions": 2})
    with pytest.raises(ValueError, match=r"subscription 'c': .*at most 2"):
        sync_config(client, settings)
    assert [s.name for s in list_subscriptions(client)] == ["a", "b"]
    assert load_settings(None, redis_url=redis_url).limits.max_subscriptions == 10_000


@pytest.mark.parametrize(
    ("webhook", "reason"),
    [("https://hooks.example.com/x\r\nX-Evil: 1", "U+000D"), ("https://hooks.example.com/x\ty", "U+0009"),
     ("https://hooks.example.com/x\x00", "U+0000"), ("https://hooks.example.com/\u202ekoohbew", "U+202E"),
     ("https://hooks.example\u200b.com/x", "U+200B"), (" https://hooks.example.com/x", "start or end"),
     ("https://hooks.example.com/x\n", "start or end")],
)  # fmt: skip
def test_a_webhook_url_with_control_characters_is_refused(webhook: str, reason: str) -> None:
    """A tab, line break or NUL was dropped or encoded silently (the POST went to another path than the one
    shown), a bidi override showed the URL reversed in every listing, and a pasted URL with a space before it
    was refused as "not an http:// URL": refused, naming the character as U+XXXX. A space inside the URL stays
    (the delivery percent-encodes it)."""
    with pytest.raises(ValueError, match="webhook URL") as refused:
        validate("hook", "china", webhook=webhook, secret="s" * 16)
    assert reason in str(refused.value)
    assert validate("hook", "china", webhook="https://hooks.example.com/a b?q=c d", secret="s" * 16).webhook
