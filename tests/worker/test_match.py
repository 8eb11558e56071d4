"""The match stage: documents, the brute-force oracle, matched terms, and the percolator agreeing with it."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas import ArticleEvent, Entity, MatchedTerm, Source
from worker.match import (
    Match,
    MatchDocument,
    Percolator,
    brute_force,
    document_from_event,
    evaluate,
    matched_terms,
)
from worker.query import Query, parse_query, words

REPO = Path(__file__).resolve().parents[2]
CORPUS = Path(os.environ.get("WIREWATCH_CORPUS", REPO.parent / "shared" / "corpus"))
SEED = CORPUS / "seed" / "000_e428d6fb5a08311a.txt"


def make_event(**overrides: Any) -> ArticleEvent:
    """An ArticleEvent with harmless defaults; override any field."""
    fields: dict[str, Any] = {
        "id": "a1",
        "story_id": "a1",
        "url": "https://example.com/a1",
        "canonical_url": "https://example.com/a1",
        "source": Source(name="Example", domain="example.com"),
        "title": "",
        "authors": [],
        "published_at": None,
        "ingested_at": datetime(2026, 11, 29, tzinfo=UTC),
        "language": "en",
        "text": "",
        "summary": "",
        "word_count": 0,
        "entities": [],
        "keywords": [],
        "countries": [],
        "content_hash": "0" * 64,
    }
    fields.update(overrides)
    return ArticleEvent(**fields)


def seed_event() -> ArticleEvent:
    """The seed article, split by hand the way the parse stage would, with entities as enrich would add."""
    if not SEED.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"corpus missing at {CORPUS}")
        pytest.skip(f"corpus not found at {CORPUS} (set WIREWATCH_CORPUS)")
    raw = SEED.read_text(encoding="utf-8")
    title = re.search(r"^# (.+)$", raw, re.M).group(1).strip()  # type: ignore[union-attr]
    body = raw[raw.index(")\n", raw.index("Original:")) + 2 :]
    lines = [ln for ln in body.strip().splitlines() if not ln.startswith("1 / 2")]
    text = "\n".join(lines).replace("-â€“", "–")
    return make_event(
        title=title,
        text=text,
        authors=["Jing Xuan TENG"],
        source=Source(name="Yahoo", domain="news.yahoo.com"),
        entities=[
            Entity(name="Donald Trump", type="person", count=3),
            Entity(name="Jim Carroll", type="person", count=2),
            Entity(name="Beijing", type="place", count=6),
            Entity(name="Hebei", type="place", count=2),
            Entity(name="Stratfor", type="organization", count=1),
        ],
        keywords=["fentanyl", "china", "opioid crisis"],
        countries=["CN", "US"],
    )


def q(text: str) -> Query:
    return parse_query(text)


@pytest.mark.corpus
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("fentanyl AND (china OR chinese) AND NOT sports", True),
        ('title:"trade deal"', False),
        ('"trade deal"', True),
        ('person:"Donald Trump"', True),
        ('person:"Trump Donald"', False),
        ("person:carroll", True),
        ("place:beijing org:stratfor", True),
        ("org:beijing", False),
        ("fentan*", True),
        ("NOT fentanyl", False),
        ("NOT sports", True),
        ("title:fentanyl AND title:china", True),
        ("author:teng source:yahoo", True),
        ('source:"news.yahoo.com"', True),
        ("country:cn AND lang:en", True),
        ("country:fr OR lang:de", False),
        ('keyword:"opioid crisis"', True),
        ('"opioid crisis"', True),
        ("xanax AND alprazolam", True),
        ("heroin AND NOT (cocaine OR sports)", True),
        ("fentanyl AND sports", False),
        ("FENTANYL", True),
        ("fent", False),
    ],
)
def test_seed_article_expectations(query: str, expected: bool) -> None:
    """The seed article matches (or not) the issue's example queries, with brute force and percolator."""
    doc = document_from_event(seed_event())
    parsed = q(query)
    assert evaluate(parsed.root, doc) is expected
    assert bool(Percolator([("s", parsed)]).match(doc)) is expected


@pytest.mark.corpus
def test_seed_matched_terms_point_at_the_words() -> None:
    """Matched terms give field and character offsets whose text is the matched word."""
    event = seed_event()
    doc = document_from_event(event)
    matched = matched_terms(q("fentan* AND (china OR chinese) AND NOT sports"), doc)
    assert matched
    assert {m.field for m in matched} == {"title", "text"}
    for m in matched:
        source = event.title if m.field == "title" else event.text
        fragment = source[m.start : m.end]
        assert fragment.lower().startswith(m.term.rstrip("*")), m
    assert all(m.term != "sports" for m in matched)
    person = matched_terms(q('person:"Donald Trump"'), doc)
    assert person == [MatchedTerm(field="person", term="donald trump", start=0, end=12)]


@pytest.mark.parametrize(
    ("query", "title", "text", "expected"),
    [
        ("cafe", "", "Un café noir", True),
        ("café", "", "CAFE", True),
        ("naive", "", "naïve", True),
        ("china", "", "Chinatown", False),
        ("china*", "", "Chinatown", True),
        ("town*", "", "Chinatown", False),
        ("china", "", "China's", True),
        ('"china s"', "", "China's", True),
        ('"trade deal"', "", "trade, deal", True),
        ('"trade deal"', "trade", "deal", False),
        ('"deal trade"', "", "trade deal", False),
        ("us", "", "U.S. forces", False),
        ("U.S.", "", "US forces", False),
        ("U.S.", "", "u-s forces", True),
        ("covid-19", "", "COVID 19 cases", True),
        ("a OR b", "", "b", True),
        ("a b", "", "b a", True),
        ("a NOT b", "", "a b", False),
        ("NOT (a OR b)", "", "c", True),
        ("NOT (a AND b)", "", "a", True),
        ("title:a", "a", "", True),
        ("title:a", "", "a", False),
        ("text:a", "a", "", False),
    ],
)
def test_evaluation_table(query: str, title: str, text: str, expected: bool) -> None:
    """Word boundaries, folding, phrases and booleans evaluate as documented, in both evaluators."""
    doc = document_from_event(make_event(title=title, text=text))
    assert evaluate(q(query).root, doc) is expected
    assert bool(Percolator([("s", q(query))]).match(doc)) is expected


def test_phrases_never_span_two_values() -> None:
    """In multi-valued fields a phrase must lie within one value (one author, one entity)."""
    event = make_event(
        authors=["Ann Lee", "Bob Ray"],
        entities=[
            Entity(name="New", type="place", count=1),
            Entity(name="York Times", type="organization", count=1),
        ],
    )
    doc = document_from_event(event)
    assert evaluate(q('author:"ann lee"').root, doc)
    assert not evaluate(q('author:"lee bob"').root, doc)
    assert not evaluate(q('entity:"new york"').root, doc)
    assert evaluate(q('entity:"york times"').root, doc)
    assert matched_terms(q("author:bob"), doc) == [MatchedTerm(field="author", term="bob", start=8, end=11)]


def test_words_of_unspaced_scripts_are_found_inside_sentences() -> None:
    """Chinese and Japanese put no spaces between words: a name or place in them is found inside a sentence, and
    its matched term points at it (each ideograph and kana is a word, a query's run of them a phrase)."""
    title = "美国总统在北京会见了习近平"
    text = "東京都の小池知事は、カタカナ語を使った。Beijing对北京"
    doc = document_from_event(
        make_event(title=title, text=text, entities=[Entity(name="习近平", type="person", count=1)])
    )
    for query in ("北京", "title:习近平", "person:习近平", "東京都 AND 知事", '"カタカナ"', "beijing"):
        assert evaluate(q(query).root, doc), query
        assert Percolator([("s", q(query))]).match(doc), query
    assert not evaluate(q('"北会"').root, doc)
    hits = matched_terms(q("北京"), doc)
    assert [(m.field, (title, text)[m.field == "text"][m.start : m.end]) for m in hits] == [
        ("title", "北京"), ("text", "北京")]  # fmt: skip


def test_entity_fields_by_type() -> None:
    """person/org/place see only their entity type; entity: sees every entity."""
    doc = document_from_event(
        make_event(
            entities=[
                Entity(name="Paris", type="place", count=1),
                Entity(name="Acme", type="organization", count=1),
                Entity(name="Mars", type="other", count=1),
            ]
        )
    )
    assert evaluate(q("place:paris org:acme entity:mars entity:paris").root, doc)
    assert not evaluate(q("person:paris OR place:acme OR org:mars").root, doc)


def test_matched_terms_only_from_branches_that_fired() -> None:
    """A term in a false OR branch, or under NOT, is not reported as a reason."""
    doc = document_from_event(make_event(title="alpha beta", text="gamma"))
    got = matched_terms(q("(alpha AND zzz) OR beta OR NOT delta"), doc)
    assert got == [MatchedTerm(field="title", term="beta", start=6, end=10)]


def test_brute_force_and_percolator_return_the_same_matches_in_order() -> None:
    """Both answer with the same subscriptions, in the order they were given, with the same terms."""
    texts = ["beta", "NOT zzz", "zzz", "title:alpha be*", '"gamma x"']
    subs = [(f"s{i}", q(text)) for i, text in enumerate(texts)]
    doc = document_from_event(make_event(title="alpha beta", text="gamma"))
    want = brute_force(subs, doc)
    assert [m.subscription_id for m in want] == ["s0", "s1", "s3"]
    assert Percolator(subs).match(doc) == want


def test_percolator_only_evaluates_plausible_candidates() -> None:
    """An article reaches only subscriptions through its own words, plus the always-check list."""
    subs = [(f"s{i}", q(f"word{i} AND other{i}")) for i in range(1000)] + [("neg", q("NOT word5"))]
    perc = Percolator(subs)
    doc = document_from_event(make_event(text="word5 other5 word7"))
    assert [m.subscription_id for m in perc.match(doc)] == ["s5"]
    assert perc.stats.evaluated <= 3
    assert perc.stats.subscriptions == 1001


def test_wildcards_of_any_length_cost_an_article_a_bounded_number_of_passes() -> None:
    """Every (field, wildcard length) in use is one pass over each article's words; a long stem is looked up
    through its first PREFIX_KEY_MAX_CHARS characters and checked exactly, so no set of wildcards (one query
    had 128 lengths: +2.6 ms on every article for every subscriber) can make all articles slow."""
    from worker.match import PREFIX_KEY_MAX_CHARS

    lengths = " OR ".join("x" * n + "*" for n in range(2, 130))
    subs = [
        ("lengths", q(lengths)),
        ("intl", q("internationa*")),
        ("titled", q("title:internationall*")),
        ("not", q("trade NOT internationalz*")),
        ("near", q("internationalz*")),
    ]
    perc = Percolator(subs)
    assert {n for _, n in perc._prefix_uses} <= set(range(2, PREFIX_KEY_MAX_CHARS + 1))
    doc = document_from_event(make_event(title="International", text="internationally trade " + "x" * 100))
    assert [m.subscription_id for m in perc.match(doc)] == ["lengths", "intl", "not"]
    assert perc.match(doc) == brute_force(subs, doc)
    short = document_from_event(make_event(text="internat trade " + "x" * 60))
    assert [m.subscription_id for m in perc.match(short)] == ["lengths", "not"]
    assert perc.match(short) == brute_force(subs, short)
    for sid, _ in subs:
        assert perc.remove(sid)
    assert not perc._prefix_uses


def test_an_article_has_keys_for_the_fields_queries_name_while_they_name_them() -> None:
    """An article's keys cover the default fields' words and the fields some query names (title:, person:, …),
    also once a field's last query was removed and another names it again; a word of the default fields is
    never taken for a fielded word or the reverse."""
    doc = document_from_event(
        make_event(
            title="alpha",
            text="beta",
            keywords=["gamma"],
            entities=[Entity(name="Delta Epsilon", type="person", count=1)],
        )
    )
    perc = Percolator(
        [("person", q("person:delta")), ("phrase", q('person:"delta epsilon"')), ("title", q("title:alpha AND beta"))]
    )
    assert [m.subscription_id for m in perc.match(doc)] == ["person", "phrase", "title"]
    assert perc.remove("person") and perc.remove("title")
    assert [m.subscription_id for m in perc.match(doc)] == ["phrase"]
    perc.add("keyword", q("keyword:gamma"))
    perc.add("title", q("title:alpha"))
    perc.add("text", q("text:beta AND NOT text:alpha"))
    perc.add("misplaced", q("keyword:beta OR title:gamma OR text:delta OR delta OR gamma"))
    assert [m.subscription_id for m in perc.match(doc)] == ["phrase", "keyword", "title", "text"]
    subs = [(sid, query) for sid, query in zip(perc.ids, perc.queries, strict=True) if sid and query]
    assert perc.match(doc) == brute_force(subs, doc)


def test_key_costs_read_every_kind_of_key() -> None:
    """The index's cost guess reads a default-fields word (its own key), a fielded word and a prefix alike: a word's
    known presence counts, a field scales it, a prefix costs more than a word."""
    from worker.match import key_cost, prefix_key, term_key

    presence = {"fentanyl": 0.001, "the": 0.99}
    assert key_cost(term_key("", "fentanyl"), presence) == 0.001
    assert key_cost(term_key("", "the"), presence) == 0.99
    assert key_cost(term_key("title", "fentanyl"), presence) == pytest.approx(0.0001)
    assert key_cost(term_key("", "fentanyl")) < key_cost(prefix_key("", "fentanyl")) < 1
    assert key_cost(term_key("lang", "en")) == key_cost(term_key("lang", "xx")) == 0.5


_LONG_WORDS = ["internationally", "international", "internat", "Internationale", "interned", "INTERNET", "red"]
_LONG_PREFIXES = ["internationa*", "internationall*", "internationalz*", "internati*", "internat*", "interne*",
                  "intern*", "Internationale*", "internationalex*", "re*"]  # fmt: skip


@st.composite
def _long_query(draw: st.DrawFn, depth: int = 0) -> str:
    kinds = ["prefix", "prefix", "term", "phrase", "and", "or", "not"]
    kind = draw(st.sampled_from(kinds if depth < 3 else kinds[:4]))
    field = draw(st.sampled_from([None, None, "title", "text", "person", "keyword"]))
    label = f"{field}:" if field else ""
    if kind == "prefix":
        return label + draw(st.sampled_from(_LONG_PREFIXES))
    if kind == "term":
        return label + draw(st.sampled_from(_LONG_WORDS))
    if kind == "phrase":
        return label + '"' + " ".join(draw(st.lists(st.sampled_from(_LONG_WORDS), min_size=2, max_size=3))) + '"'
    if kind == "not":
        return "NOT " + draw(_long_query(depth + 1))
    kids = draw(st.lists(_long_query(depth + 1), min_size=2, max_size=3))
    return "(" + (" AND " if kind == "and" else " OR ").join(kids) + ")"


@st.composite
def _long_documents(draw: st.DrawFn) -> MatchDocument:
    prose = st.lists(st.sampled_from(_LONG_WORDS), max_size=4).map(" ".join)
    event = make_event(
        title=draw(prose),
        text=draw(prose),
        entities=[Entity(name=name or "x", type="person", count=1) for name in draw(st.lists(prose, max_size=2))],
        keywords=draw(st.lists(prose, max_size=2)),
    )
    return document_from_event(event)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_long_query(), min_size=1, max_size=10), st.lists(_long_documents(), min_size=1, max_size=3))
def test_percolator_equals_brute_force_on_wildcards_longer_than_their_key(
    queries: list[str], docs: list[MatchDocument]
) -> None:
    """Wildcards whose stem is longer than the indexed prefix (words sharing that prefix and parting after it,
    under NOT, in OR groups and fields) match exactly as brute force says."""
    _assert_percolator_agrees(queries, docs)


# --- property: the percolator never disagrees with brute force --------------------------------------------

_VOCAB = ["red", "blue", "green", "café", "naïve", "x1"]
_SURFACE = {  # how a vocabulary word may be written in a document
    "red": ["red", "Red", "RED", "redder"],
    "blue": ["blue", "Blue", "blues"],
    "green": ["green", "Green", "greens"],
    "café": ["café", "CAFE", "cafe\u0301", "Café"],
    "naïve": ["naïve", "NAIVE", "naive"],
    "x1": ["x1", "X1", "x10"],
}
_QFIELDS = [None] * 4 + ["title", "text", "author", "entity", "person", "org", "place", "keyword", "source"]
_ENTITY_TYPES = ["person", "organization", "place", "other"]
_SEPS = [" ", " ", ", ", ". ", "-", "'", "\n"]


@st.composite
def _query_text(draw: st.DrawFn, depth: int = 0) -> str:
    kinds = ["term", "term", "prefix", "phrase", "code", "and", "or", "not", "not", "juxt"]
    kind = draw(st.sampled_from(kinds if depth < 4 else kinds[:5]))
    field = draw(st.sampled_from(_QFIELDS))
    prefix = f"{field}:" if field else ""
    if kind == "term":
        return prefix + draw(st.sampled_from([*_VOCAB, "RED", "Cafe", "zzz"]))
    if kind == "prefix":
        return prefix + draw(st.sampled_from(["re*", "bl*", "gree*", "caf*", "na*", "x1*", "redd*"]))
    if kind == "phrase":
        picked = draw(st.lists(st.sampled_from(_VOCAB), min_size=1, max_size=3))
        return prefix + '"' + " ".join(picked) + '"'
    if kind == "code":
        return draw(st.sampled_from(["lang:en", "lang:fr", "country:us", "country:cn", "country:FR"]))
    if kind == "not":
        return "NOT " + draw(_query_text(depth + 1))
    kids = draw(st.lists(_query_text(depth + 1), min_size=2, max_size=3))
    joiner = {"and": " AND ", "or": " OR ", "juxt": " "}[kind]
    group = "(" + joiner.join(kids) + ")"
    return (prefix + group) if field and draw(st.booleans()) else group


@st.composite
def _prose(draw: st.DrawFn, max_words: int = 12) -> str:
    chosen = draw(st.lists(st.sampled_from([*_VOCAB, "zzz"]), max_size=max_words))
    out = ""
    for word in chosen:
        out += draw(st.sampled_from(_SURFACE.get(word, [word]))) + draw(st.sampled_from(_SEPS))
    return out


@st.composite
def _documents(draw: st.DrawFn) -> MatchDocument:
    entities = [
        Entity(name=draw(_prose(3)) or "x", type=draw(st.sampled_from(_ENTITY_TYPES)), count=1)
        for _ in range(draw(st.integers(0, 3)))
    ]
    event = make_event(
        title=draw(_prose(5)),
        text=draw(_prose()),
        authors=draw(st.lists(_prose(2), max_size=2)),
        entities=entities,
        keywords=draw(st.lists(_prose(2), max_size=2)),
        countries=draw(st.lists(st.sampled_from(["US", "CN", "FR"]), max_size=2)),
        language=draw(st.sampled_from(["en", "fr", None])),
        source=Source(name=draw(_prose(2)) or None, domain=draw(st.sampled_from(["red.com", "blue.org", None]))),
    )
    return document_from_event(event)


def _assert_percolator_agrees(queries: list[str], docs: list[MatchDocument]) -> None:
    """The percolator answers like brute force on every document, and every matched term points at the words it
    names."""
    subs = [(f"s{i}", parse_query(text)) for i, text in enumerate(queries)]
    perc = Percolator(subs)
    for doc in docs:
        want: list[Match] = brute_force(subs, doc)
        assert perc.match(doc) == want
        for match in want:
            for m in match.matched:
                found = words(doc.fields[m.field].text[m.start : m.end])
                if m.term.endswith("*"):
                    assert len(found) == 1 and found[0].startswith(m.term[:-1])
                else:
                    assert found == m.term.split(" ")


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_query_text(), min_size=1, max_size=20), st.lists(_documents(), min_size=1, max_size=4))
def test_percolator_equals_brute_force(queries: list[str], docs: list[MatchDocument]) -> None:
    """For random queries (nested, NOT-heavy, phrases, fields, wildcards, pure NOT) the percolator's answer
    equals brute force's on every random document: same subscriptions, same matched terms."""
    _assert_percolator_agrees(queries, docs)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(_query_text(), st.booleans(), st.booleans()), min_size=1, max_size=15),
    _documents(),
)
def test_added_and_removed_subscriptions_match_like_a_fresh_compile(
    ops: list[tuple[str, bool, bool]], doc: MatchDocument
) -> None:
    """After removing some subscriptions and re-adding some, the percolator answers like brute force over
    what remains, in the order it was added."""
    subs = [(f"s{i}", parse_query(text)) for i, (text, _, _) in enumerate(ops)]
    perc = Percolator(subs)
    removed = [sub for sub, (_, drop, _) in zip(subs, ops, strict=True) if drop]
    for sid, _ in removed:
        assert perc.remove(sid)
    assert not perc.remove("absent")
    readded = [sub for sub, (_, drop, back) in zip(subs, ops, strict=True) if drop and back]
    for sid, query in readded:
        perc.add(sid, query)
    remaining = [sub for sub in subs if sub not in removed] + readded
    assert len(perc) == len(remaining)
    assert perc.match(doc) == brute_force(remaining, doc)


def test_adding_an_existing_id_replaces_it() -> None:
    """Re-adding a subscription id replaces its query instead of matching twice."""
    perc = Percolator([("s", q("alpha"))])
    perc.add("s", q("beta"))
    doc = document_from_event(make_event(text="alpha beta"))
    assert [m.subscription_id for m in perc.match(doc)] == ["s"]
    assert perc.match(document_from_event(make_event(text="alpha"))) == []


_PHRASE_VOCAB = ["a", "b", "c", "\ufdfa", "صلى", "الله"]


@given(
    st.lists(st.lists(st.sampled_from(_PHRASE_VOCAB), max_size=5).map(" ".join), max_size=3),
    st.lists(st.sampled_from([*_PHRASE_VOCAB, "صلى الله"]), min_size=1, max_size=3),
)
def test_substring_phrase_check_agrees_with_positions(values: list[str], phrase: list[str]) -> None:
    """The percolator's substring phrase check equals the position-based one, also for empty values and
    folded words that contain a space."""
    from worker.match import FieldText

    ft = FieldText(values)
    assert ft.has_phrase(phrase) == bool(ft.phrase_starts(phrase))


# Words whose folding is not one character per character (İ grows when lowered, ß becomes "ss", the ligature
# "ﬁ" becomes "fi"), that the tokenizer splits (O'Brien, covid-19), with a letter that carries its accent
# inside (Łódź), a mark to compose (cafe + U+0301), and script without spaces (北京, ｶﾞｽ): each with the ways a
# document may write it and the ways a query may.
_HARD_SURFACE = {
    "istanbul": ["İstanbul", "ISTANBUL", "istanbul", "I\u0307stanbul"],
    "strasse": ["Straße", "STRASSE", "strasse"],
    "finance": ["ﬁnance", "Finance", "FINANCE"],
    "o brien": ["O'Brien", "O’Brien", "o brien"],
    "covid 19": ["covid-19", "COVID 19"],
    "cafe": ["café", "CAFE", "cafe\u0301"],
    "lodz": ["Łódź", "lodz"],
    "北京": ["北京", "在北京会见", "北京市", "ｶﾞｽ北"],
    "red": ["red", "Red", "redder"],
    "blue": ["blue", "BLUE"],
}
_HARD_QUERY_WORDS = ["İstanbul", "istanbul", "straße", "STRASSE", "ﬁnance", "finance", "O'Brien", "brien",
                     "covid-19", "19", "Café", "cafe", "Łódź", "北京", "京", "red", "blue", "zzz"]  # fmt: skip
_HARD_PREFIXES = ["İst*", "ist*", "straß*", "stras*", "ﬁn*", "fi*", "CAFÉ*", "caf*", "Łó*", "lo*", "re*", "bl*",
                  "br*", "co*", "redd*"]  # fmt: skip
_HARD_FIELDS = [None] * 3 + ["title", "text", "author", "entity", "person", "keyword", "source"]


@st.composite
def _hard_query(draw: st.DrawFn, depth: int = 0) -> str:
    kinds = ["term", "term", "prefix", "phrase", "and", "or", "not", "juxt"]
    kind = draw(st.sampled_from(kinds if depth < 3 else kinds[:4]))
    field = draw(st.sampled_from(_HARD_FIELDS))
    label = f"{field}:" if field else ""
    if kind == "term":
        return label + draw(st.sampled_from(_HARD_QUERY_WORDS))
    if kind == "prefix":
        return label + draw(st.sampled_from(_HARD_PREFIXES))
    if kind == "phrase":  # repeated words and words that are themselves two (O'Brien) included
        return label + '"' + " ".join(draw(st.lists(st.sampled_from(_HARD_QUERY_WORDS), min_size=1, max_size=3))) + '"'
    if kind == "not":
        return "NOT " + draw(_hard_query(depth + 1))
    kids = draw(st.lists(_hard_query(depth + 1), min_size=2, max_size=3))
    group = "(" + {"and": " AND ", "or": " OR ", "juxt": " "}[kind].join(kids) + ")"
    return label + group if field and draw(st.booleans()) else group


@st.composite
def _hard_prose(draw: st.DrawFn, max_words: int = 8) -> str:
    chosen = draw(st.lists(st.sampled_from(sorted(_HARD_SURFACE)), max_size=max_words))
    return "".join(draw(st.sampled_from(_HARD_SURFACE[w])) + draw(st.sampled_from(_SEPS)) for w in chosen)


@st.composite
def _hard_documents(draw: st.DrawFn) -> MatchDocument:
    values = st.lists(_hard_prose(3), max_size=3)  # several short values: phrases meet value boundaries
    entities = [Entity(name=name or "x", type=draw(st.sampled_from(_ENTITY_TYPES)), count=1) for name in draw(values)]
    event = make_event(
        title=draw(_hard_prose(5)),
        text=draw(_hard_prose()),
        authors=draw(values),
        entities=entities,
        keywords=draw(values),
        source=Source(name=draw(_hard_prose(2)) or None, domain=draw(st.sampled_from(["red.com", "ﬁnance.de", None]))),
    )
    return document_from_event(event)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_hard_query(), min_size=1, max_size=12), st.lists(_hard_documents(), min_size=1, max_size=3))
def test_percolator_equals_brute_force_on_words_that_fold_unevenly(
    queries: list[str], docs: list[MatchDocument]
) -> None:
    """With words whose case or accent folding changes their length, splits them or composes them, repeated
    words and phrases at the edges of multi-valued fields, the percolator still answers like brute force, and
    every matched term's offsets cover exactly the words it names."""
    _assert_percolator_agrees(queries, docs)
