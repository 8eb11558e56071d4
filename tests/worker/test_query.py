"""The query language: what parses to what, what is refused and where, how words are normalised."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from worker.query import (
    MAX_QUERY_CHARS,
    MAX_QUERY_DEPTH,
    MAX_QUERY_LEAVES,
    And,
    Node,
    Not,
    Or,
    Phrase,
    QuerySyntaxError,
    Term,
    fold,
    parse_query,
    spans,
    tokenize,
    words,
)


def t(word: str, field: str | None = None, prefix: bool = False) -> Term:
    return Term(field, word, prefix)


@pytest.mark.parametrize(
    ("query", "tree"),
    [
        ("fentanyl", t("fentanyl")),
        ("Fentanyl", t("fentanyl")),
        ("fentan*", t("fentan", prefix=True)),
        ('"trade deal"', Phrase(None, ("trade", "deal"))),
        ('"Trade"', t("trade")),
        ("a AND b", And((t("a"), t("b")))),
        ("a b", And((t("a"), t("b")))),
        ("a OR b", Or((t("a"), t("b")))),
        ("NOT a", Not(t("a"))),
        ("NOT NOT a", t("a")),
        ("a and b", And((t("a"), t("and"), t("b")))),
        ("a OR b AND c", Or((t("a"), And((t("b"), t("c")))))),
        ("a AND b OR c", Or((And((t("a"), t("b"))), t("c")))),
        ("NOT a AND b", And((Not(t("a")), t("b")))),
        ("NOT a OR b", Or((Not(t("a")), t("b")))),
        ("a NOT b", And((t("a"), Not(t("b"))))),
        ("NOT (a OR b)", Not(Or((t("a"), t("b"))))),
        ("(a OR b) c", And((Or((t("a"), t("b"))), t("c")))),
        ("a AND (b AND c)", And((t("a"), t("b"), t("c")))),
        ("((a))", t("a")),
        (
            "fentanyl AND (china OR chinese) AND NOT sports",
            And((t("fentanyl"), Or((t("china"), t("chinese"))), Not(t("sports")))),
        ),
        ('title:"trade deal"', Phrase("title", ("trade", "deal"))),
        ("TITLE:china", t("china", "title")),
        ('person:"Donald Trump"', Phrase("person", ("donald", "trump"))),
        ("title:(a OR b)", Or((t("a", "title"), t("b", "title")))),
        ("title:(a OR text:b)", Or((t("a", "title"), t("b", "text")))),
        ("title:(a (b OR NOT c))", And((t("a", "title"), Or((t("b", "title"), Not(t("c", "title"))))))),
        ("org:nato* place:paris", And((t("nato", "org", True), t("paris", "place")))),
        ("country:CN lang:en", And((t("cn", "country"), t("en", "lang")))),
        ("source:news.yahoo.com", Phrase("source", ("news", "yahoo", "com"))),
        ("keyword:opioid author:teng", And((t("opioid", "keyword"), t("teng", "author")))),
        ("entity:beijing", t("beijing", "entity")),
        ("U.S.", Phrase(None, ("u", "s"))),
        ("covid-19", Phrase(None, ("covid", "19"))),
        ("China's", Phrase(None, ("china", "s"))),
        ("Café", t("cafe")),
        ("ZÜRICH", t("zurich")),
        ('"São Paulo"', Phrase(None, ("sao", "paulo"))),
        ("straße", t("strasse")),
        ("a\tAND\nb", And((t("a"), t("b")))),
        ('a"b c"', And((t("a"), Phrase(None, ("b", "c"))))),
        ("北京", Phrase(None, ("北", "京"))),
        # Typographic quotes (macOS and Word turn " into them, German opens with „): a phrase, as typed.
        ("“white house”", Phrase(None, ("white", "house"))),
        ("title:“white house”", Phrase("title", ("white", "house"))),
        ("„Weißes Haus“ OR ”vita nova”", Or((Phrase(None, ("weisses", "haus")), Phrase(None, ("vita", "nova"))))),
        # Guillemets, as French, Russian, Ukrainian and Swiss users type quotes (Danish the other way round).
        ("«Единая Россия»", Phrase(None, ("единая", "россия"))),
        ("« accord commercial » OR »vita nova«", Or((Phrase(None, ("accord", "commercial")), Phrase(None, ("vita", "nova"))))),
        ("title:‹white house›", Phrase("title", ("white", "house"))),
        # A quote inside a phrase, escaped with a backslash, is punctuation like any other.
        (r'"he said \"no\" twice"', Phrase(None, ("he", "said", "no", "twice"))),
        (r'"\"quoted\""', t("quoted")),
    ],
)
def test_parse_table(query: str, tree: object) -> None:
    """Each query parses to the expected tree (precedence NOT > AND > OR, juxtaposition is AND)."""
    assert parse_query(query).root == tree


@pytest.mark.parametrize(
    ("query", "position", "fragment"),
    [
        ("", 0, "empty query"),
        ("   ", 0, "empty query"),
        ("a AND", 5, "ends where a term"),
        ("a OR OR b", 5, "operator OR"),
        ("AND a", 0, "operator AND"),
        ("(a OR b", 0, "missing ')'"),
        ("a OR b)", 6, "no matching '('"),
        ("()", 0, "empty parentheses"),
        ('say "hello', 4, "unterminated phrase"),
        ('""', 0, "empty phrase"),
        ('"  ,, "', 0, "empty phrase"),
        ("fo*o", 2, "end of a term"),
        ("*", 0, "no letters or digits"),
        ("a*", 0, "at least 2 characters"),
        ("u.s*", 0, "single word"),
        ('"trade de*"', 9, "inside a phrase"),
        ("---", 0, "no letters or digits"),
        ("a foo:bar", 2, "unknown field 'foo'"),
        ("http://example.com", 0, "unknown field 'http'"),
        (":bar", 0, "without a field name"),
        ("title: china", 6, "right after 'title:'"),
        ("title:", 6, "right after 'title:'"),
        ("title:text:china", 6, "after 'title:'"),
        ("country:china", 8, "ISO 3166-1"),
        ("country:cn*", 8, "ISO 3166-1"),
        ('lang:"en us"', 5, "ISO 639-1"),
        ("NOT", 3, "ends where a term"),
        ("a (OR b)", 3, "operator OR"),
        # A search engine's "-word" would otherwise be read as the word itself: the opposite of what was meant.
        ("fentanyl -sports", 9, "write NOT sports"),
        ("trade NOT -war", 10, "write NOT war"),
        # A programmer's operators: "!sports" was read as "sports", "&&" refused as a term without letters.
        ("fentanyl !sports", 9, "write NOT sports"),
        ("a && b", 2, "write AND"),
        ("a || b", 2, "write OR"),
        ("a | b", 2, "write OR"),
        # Chinese and Japanese: every character is a word, so a wildcard has nothing to extend.
        ("北京*", 2, "Chinese or Japanese"),
        ("北*", 1, "drop the '*'"),
        # An unclosed curly quote, and a wildcard after a phrase, named for what they are.
        ("“white house", 0, "unterminated phrase"),
        ("gazprom «Газпром нефть", 8, "unterminated phrase"),
        ('"white house"*', 13, "a phrase"),
        ('title:"white house"* OR x', 19, "a phrase"),
        # Two letters that are no code: refused (they never match an article), with the code meant when it is a
        # well-known slip (the enrich stage writes GB for Britain, ja for Japanese).
        ("country:uk", 8, "write country:gb"),
        ("news country:UK", 13, "write country:gb"),
        ("country:zz", 8, "ISO 3166-1"),
        ("lang:jp", 5, "write lang:ja"),
        ("lang:cn", 5, "write lang:zh"),
        ("lang:xx", 5, "ISO 639-1"),
        ("lang:en-US", 5, "write lang:en"),
        ("lang:pt_BR", 5, "write lang:pt"),
    ],
)
def test_parse_errors_name_the_position(query: str, position: int, fragment: str) -> None:
    """A malformed query raises QuerySyntaxError pointing at the offending character."""
    with pytest.raises(QuerySyntaxError) as info:
        parse_query(query)
    assert info.value.position == position
    assert fragment in info.value.message
    assert f"at position {position}" in str(info.value)
    assert info.value.pointer().splitlines()[-1] == " " * position + "^"


def test_bounds_refuse_oversized_queries() -> None:
    """Queries beyond the length, term-count and nesting bounds are refused, not compiled."""
    with pytest.raises(QuerySyntaxError, match="longer than"):
        parse_query("a " * (MAX_QUERY_CHARS // 2 + 1))
    with pytest.raises(QuerySyntaxError, match="more than"):
        parse_query(" OR ".join(f"w{i}" for i in range(MAX_QUERY_LEAVES + 1)))
    parse_query(" OR ".join(f"w{i}" for i in range(MAX_QUERY_LEAVES)))
    with pytest.raises(QuerySyntaxError, match="nested deeper"):
        parse_query("(" * (MAX_QUERY_DEPTH + 1) + "a" + ")" * (MAX_QUERY_DEPTH + 1))
    with pytest.raises(QuerySyntaxError, match="nested deeper"):
        parse_query("NOT " * (MAX_QUERY_DEPTH + 1) + "a")
    with pytest.raises(QuerySyntaxError, match="phrase longer"):
        parse_query('"' + " ".join(["w"] * 40) + '"')


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("China's jailing", [("china", 0, 5), ("s", 6, 7), ("jailing", 8, 15)]),
        ("Zürich, São-Paulo", [("zurich", 0, 6), ("sao", 8, 11), ("paulo", 12, 17)]),
        ("cafe\u0301 au lait", [("cafe", 0, 5), ("au", 6, 8), ("lait", 9, 13)]),
        ("हिन्दी भाषा", [("हिनदी", 0, 6), ("भाषा", 7, 11)]),
        ("snake_case 11.9kg", [("snake", 0, 5), ("case", 6, 10), ("11", 11, 13), ("9kg", 14, 17)]),
        ("-â€“ x", [("a", 1, 2), ("x", 5, 6)]),
        ("在北京 GDP東京", [("在", 0, 1), ("北", 1, 2), ("京", 2, 3), ("gdp", 4, 7), ("東", 7, 8), ("京", 8, 9)]),
        ("", []),
    ],
)
def test_tokenize_offsets_point_into_the_original(text: str, expected: list[tuple[str, int, int]]) -> None:
    """Words are folded but their offsets index the unmodified text (accents, marks, punctuation)."""
    assert tokenize(text) == expected


def test_fold_is_case_and_accent_insensitive() -> None:
    """Case and accent variants fold to one form."""
    assert fold("CAFÉ") == fold("café") == fold("cafe\u0301") == "cafe"
    # Letters with the accent built in, which NFKD leaves whole: folded as a reader would.
    assert fold("Ærø") == "aero"
    assert [fold(w) for w in ("Łódź", "Søren", "Işık", "Đoković", "Œuvre")] == ["lodz", "soren", "isik", "dokovic", "oeuvre"]


_WORDS = st.text(st.characters(codec="utf-8", categories=("L", "M", "N", "P", "S", "Z")), max_size=30) | st.text(
    st.sampled_from("aAéÉİıßσςΣ\u0301\u093f\ufdfa-' .x1"), max_size=30
)


@given(_WORDS)
def test_tokenize_is_idempotent_on_its_output(text: str) -> None:
    """Re-tokenising a folded word gives that word back (queries and documents agree on words), and the
    fast paths (`words`, `spans`) agree with `tokenize`."""
    found = tokenize(text)
    assert words(text) == [w for w, _, _ in found]
    assert spans(text) == [(a, b) for _, a, b in found]
    for word, start, end in found:
        assert text[start:end]
        assert words(word) == [word] or fold(word) == word


_LEAF_WORDS = ["china", "chinese", "trade", "deal", "café", "zeta", "x1"]
_FIELDS = [None, None, None, "title", "text", "person", "org", "keyword", "author", "entity", "source"]


@st.composite
def _trees(draw: st.DrawFn, depth: int = 0) -> Node:
    kind = draw(st.sampled_from(["term", "prefix", "phrase", "and", "or", "not"] if depth < 4 else ["term"]))
    field = draw(st.sampled_from(_FIELDS))
    if kind == "term":
        return Term(field, fold(draw(st.sampled_from(_LEAF_WORDS))))
    if kind == "prefix":
        return Term(field, fold(draw(st.sampled_from(_LEAF_WORDS)))[:2], prefix=True)
    if kind == "phrase":
        picked = draw(st.lists(st.sampled_from(_LEAF_WORDS), min_size=2, max_size=3))
        return Phrase(field, tuple(fold(w) for w in picked))
    if kind == "not":
        child = draw(_trees(depth + 1))
        return child.child if isinstance(child, Not) else Not(child)
    kids = draw(st.lists(_trees(depth + 1), min_size=2, max_size=3))
    cls = And if kind == "and" else Or
    flat: list[Node] = []
    for k in kids:
        flat.extend(k.children if isinstance(k, cls) else [k])
    return cls(tuple(flat))


@given(_trees())
def test_rendered_tree_parses_back(tree: Node) -> None:
    """str() of a tree is a query that parses to the same tree."""
    assert parse_query(str(tree)).root == tree


def test_stored_queries_keep_their_old_reading_of_an_exclamation_mark() -> None:
    """A query stored before "!word" was refused compiles with its old meaning (the word)."""
    assert parse_query("fentanyl !sports", strict=False).root == And((t("fentanyl"), t("sports")))
    assert parse_query("Yahoo! news").root == And((t("yahoo"), t("news")))


def test_stored_queries_keep_their_old_reading_of_quotes() -> None:
    """A query stored before curly quotes and escapes were understood still compiles, with its old meaning,
    when the new reading refuses it (the worker falls back to ``strict=False``)."""
    assert parse_query("24” monitor", strict=False).root == And((t("24"), t("monitor")))
    assert parse_query(r'"a\" b "c"', strict=False).root == And((t("a"), t("b"), t("c")))
    assert parse_query("«a b", strict=False).root == And((t("a"), t("b")))


def test_every_code_the_enrich_stage_writes_can_be_asked_for() -> None:
    """Each country code the gazetteer and demonyms can give an article, and each language the detector can
    name, is a code `country:`/`lang:` accept: refusing non-codes never refuses one an article can carry."""
    from worker import lexicon
    from worker.enrich import NEWS_LANGUAGES

    countries = {p.country for p in lexicon.places().values() if p.country} | set(lexicon.demonyms().values())
    for code in sorted(countries):
        assert parse_query(f"country:{code}").root == t(code.lower(), "country")
    for code in sorted(NEWS_LANGUAGES):
        assert parse_query(f"lang:{code}").root == t(code, "lang")
    assert parse_query("lang:uk country:ua").root == And((t("uk", "lang"), t("ua", "country")))  # Ukrainian, Ukraine


def test_stored_queries_with_a_non_code_keep_compiling() -> None:
    """A query stored before non-codes were refused compiles in the workers as it did (``strict=False``)."""
    assert parse_query("country:uk lang:jp", strict=False).root == And((t("uk", "country"), t("jp", "lang")))
