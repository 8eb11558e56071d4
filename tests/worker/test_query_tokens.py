"""Words a newsroom searches for that plain word boundaries get wrong: programming languages written with
symbols (`C++`, `C#`) and Arabic words carrying a proclitic (`ومصر` "and Egypt", `بمصر` "in Egypt")."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from worker.match import MatchDocument, Percolator, brute_force, evaluate, explain
from worker.query import (
    And,
    Clitics,
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


def matches(query: str, text: str, title: str = "") -> bool:
    """Whether `query` matches an article with this text, by the oracle and by the percolator alike."""
    parsed = parse_query(query)
    doc = MatchDocument.of({"title": [title], "text": [text]})
    oracle = evaluate(parsed.root, doc)
    percolated = [m.subscription_id for m in Percolator([("s", parsed)]).match(doc)]
    assert percolated == (["s"] if oracle else [])
    return oracle


# --- C++, C#, F# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("C++ and C# and F#", ["c++", "and", "c#", "and", "f#"]),
        ("written in C++17, not C++", ["written", "in", "c++", "17", "not", "c++"]),
        ("Notepad++ (g++, clang)", ["notepad++", "g++", "clang"]),
        ("Vitamin C. C-suite, plan C", ["vitamin", "c", "c", "suite", "plan", "c"]),
        # Not a language name: '#' after a longer word or before a letter, and a third '+'.
        ("ticket#4 c#d item# A+++ A+ a+b", ["ticket", "4", "c", "d", "item", "a", "a", "a", "b"]),
        ("#MeToo #c", ["metoo", "c"]),
        ("C♯ Ünïcode C++ Zürich", ["c", "unicode", "c++", "zurich"]),  # the folding path keeps them too
        ("北京 C# 東京", ["北", "京", "c#", "東", "京"]),  # and the path for unspaced scripts
    ],
)
def test_language_names_written_with_symbols_are_words(text: str, expected: list[str]) -> None:
    """`C++`, `C#`, `F#` are words of their own, not the letter; offsets cover the symbols."""
    assert words(text) == expected
    assert [w for w, _, _ in tokenize(text)] == expected
    assert [text[a:b].lower() for a, b in spans(text)][: len(expected)] == [
        text[a:b].lower() for _, a, b in tokenize(text)
    ]


def test_tokenize_offsets_cover_the_symbols() -> None:
    assert tokenize("in C++, C#.") == [("in", 0, 2), ("c++", 3, 6), ("c#", 8, 10)]


@pytest.mark.parametrize(
    ("query", "tree"),
    [
        ("C++", Term(None, "c++")),
        ("C#", Term(None, "c#")),
        ('"F# compiler"', Phrase(None, ("f#", "compiler"))),
        ("title:C#", Term("title", "c#")),
        (".NET", Term(None, ".net")),
        ("title:.NET", Term("title", ".net")),
        ('".NET developers"', Phrase(None, (".net", "developers"))),
        ("ASP.NET", Phrase(None, ("asp", "net"))),
    ],
)
def test_language_names_parse_as_one_term(query: str, tree: Node) -> None:
    assert parse_query(query).root == tree


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        ("C++", "Microsoft rewrites its kernel drivers in C++.", True),
        ("C++", "Vitamin C supplements do not prevent colds.", False),
        ("C++", "The C-suite met on Monday.", False),
        ("C#", "Unity drops support for C# scripting.", True),
        ("C#", "A concerto in C minor.", False),
        ('"C# developers"', "Demand for C# developers rose.", True),
        # The letter alone still finds the letter, and no longer the languages.
        ("c", "Vitamin C supplements do not prevent colds.", True),
        ("c", "Unity drops support for C# scripting.", False),
        ("c", "Microsoft rewrites its kernel drivers in C++.", False),
        ('"objective c"', "Apple's Objective-C APIs", True),
        # ".NET" where its dot starts a word; "net" alone is no longer it, as `c` is not C#.
        (".NET", "Microsoft ships .NET 9 with faster startup.", True),
        (".NET", "Net profit rose 5% and the net result was good.", False),
        (".NET", "Hiring C#/.NET developers.", True),
        ("net", "Microsoft ships .NET 9.", False),
        ('".NET developers"', "Demand for .NET developers rose.", True),
        ("ASP.NET", "Built on ASP.NET Core.", True),
        (".net", "See example.net for details.", False),
    ],
)
def test_language_names_match_only_themselves(query: str, text: str, expected: bool) -> None:
    assert matches(query, text) is expected


def test_the_matched_term_shows_the_language_name() -> None:
    doc = MatchDocument.of({"title": [""], "text": ["Rust or C++? Teams pick C++."]})
    assert [(a, b, label) for _, a, b, label in explain(parse_query("C++"), doc)] == [
        (8, 11, "c++"), (24, 27, "c++"),
    ]  # fmt: skip


# With fullwidth forms (`Ｃ＋＋`, `．ＮＥＴ`), ".net", an underscore, a decomposed accent and a letter that lower() grows.
_SYMBOLIC = st.text(st.sampled_from("cCfFxAnNeEt+#+#  .-é北1_/İ\u0301＋＃．ＮＥＴｎｅｔ"), max_size=24)


@given(_SYMBOLIC)
def test_query_and_text_agree_on_symbol_words(text: str) -> None:
    """Every word re-tokenises to itself, so a query written as the text was finds it; fast paths agree."""
    found = tokenize(text)
    assert words(text) == [w for w, _, _ in found]
    assert spans(text) == [(a, b) for _, a, b in found]
    for word, start, end in found:
        assert words(text[start:end]) == [word]
        assert words(word) == [word]


# --- Arabic proclitics --------------------------------------------------------------------------------------
# Arabic writes "and", "so", "with/in", "for/to", "like" and the article "the" joined to the next word: "ومصر"
# (and Egypt), "بمصر" (in Egypt), "للرئيس" (for the president: ل + ال, the alef dropped). A query word finds
# those forms; the text is tokenised as before, so nothing is added to articles' words.

EGYPT = "مصر"


@pytest.mark.parametrize(
    ("query", "text"),
    [
        (EGYPT, "زار الرئيس ومصر"),  # and Egypt
        (EGYPT, "قمة بمصر"),  # in Egypt
        (EGYPT, "دعم لمصر"),  # for Egypt
        (EGYPT, "فمصر دولة كبيرة"),  # so Egypt
        (EGYPT, "وبمصر أيضا"),  # and in Egypt
        (EGYPT, "قمة بِمِصْرَ"),  # vowel marks are folded away as before
        ("رئيس", "قال الرئيس"),  # the president
        ("رئيس", "وقال للرئيس"),  # to the president: ل + ال
        ("رئيس", "والرئيس قال"),
        ("رئيس", "بالرئيس"),
        ("رئيس", "كالرئيس"),  # like the president
        ("الرئيس", "والرئيس قال"),  # a query that has the article keeps finding the clitic forms
        ("الرئيس", "وقال للرئيس"),
        ("الرئيس", "بالرئيس"),
        ("القاهرة", "وصل بالقاهرة"),
        ("مصر*", "في المصرية"),  # a wildcard too
        ('"الولايات المتحدة"', "قالت والولايات المتحدة"),  # a phrase, on its first word
        ('"مصر الجديدة"', "حي بمصر الجديدة"),
    ],
)
def test_a_bare_arabic_word_finds_its_proclitic_forms(query: str, text: str) -> None:
    assert matches(query, text)


@pytest.mark.parametrize(
    ("query", "text"),
    [
        (EGYPT, "مصري"),  # Egyptian: a longer word, not a clitic form (that is what `مصر*` is for)
        ("مال", "مصطفى كمال"),  # ك alone is not stripped: Kamal is not "like money"
        ("ريم", "عبد الكريم"),  # nor Karim
        ("تاب", "كتاب جديد"),  # nor a book
        ("الرئيس", "رئيس الوزراء"),  # a query with the article asks for the article
        ("ومصر", "قمة بمصر"),  # a query written with a clitic is that word
        ('"مصر الجديدة"', "مصر والجديدة"),  # inside a phrase the words are as written
        ("بر", "وبر"),  # words of two letters are mostly particles: no forms
        # Persian and Urdu do not attach these letters: "برای" (Persian "for") is not "in" + "رای" (vote), and
        # "وزیر" (Urdu minister) is not "and" + "زیر" (under). Words spelt with their letters get no forms.
        ("رای", "برای مردم"),
        ("زیر", "وزیر اعظم"),
    ],
)
def test_arabic_clitic_forms_do_not_reach_other_words(query: str, text: str) -> None:
    assert not matches(query, text)


def test_no_arabic_country_name_finds_another() -> None:
    """The CLDR country names the gazetteer uses: no query for one word of one name finds a different word of
    another, whatever clitics it is given (evidence that the forms do not collide on common proper names)."""
    from pathlib import Path

    table = Path(__file__).resolve().parents[2] / "worker" / "data" / "country_names.tsv"
    names = [ln.split("\t")[0] for ln in table.read_text(encoding="utf-8").splitlines() if ln.endswith("\tar")]
    vocab = sorted({w for name in names for w in words(name)})
    assert len(vocab) > 200
    doc = MatchDocument.of({"text": ["\n".join(vocab)]})
    found = {}
    for word in vocab:
        hits = {label for _, _, _, label in explain(parse_query(word), doc)}
        found[word] = sorted(hits - {word})
    # Only the same word with a clitic: "the mountain", "and islands".
    assert {w: h for w, h in found.items() if h} == {"جبل": ["الجبل"], "جزر": ["وجزر"]}


# Arabic and Hebrew (whose prefixes `test_query_scripts.py` covers) behave alike from here: (word, a text with a
# prefixed form, a text without it, its hits in "<other word> <form> <form>").
JERUSALEM = "ירושלים"
_PREFIXED = [
    (EGYPT, "قمة", "قمة بمصر", "قمة بالأردن", "قمة بمصر ومصر", [(4, 8, "بمصر"), (9, 13, "ومصر")]),
    (JERUSALEM, "הפגנה", "הפגנה בירושלים", "הפגנה בחיפה", "הפגנה בירושלים ולירושלים",
     [(6, 14, "בירושלים"), (15, 24, "ולירושלים")]),
]  # fmt: skip


@pytest.mark.parametrize(("word", "other", "with_form", "without", "_text", "_hits"), _PREFIXED)
def test_negating_a_word_excludes_its_prefixed_forms(
    word: str, other: str, with_form: str, without: str, _text: str, _hits: list[tuple[int, int, str]]
) -> None:
    assert not matches(f"{other} NOT {word}", with_form)
    assert matches(f"{other} NOT {word}", without)


@pytest.mark.parametrize(("word", "_other", "_with", "_without", "text", "hits"), _PREFIXED)
def test_the_matched_term_is_the_word_as_written(
    word: str, _other: str, _with: str, _without: str, text: str, hits: list[tuple[int, int, str]]
) -> None:
    doc = MatchDocument.of({"title": [""], "text": [text]})
    assert [(a, b, label) for _, a, b, label in explain(parse_query(word), doc)] == hits


@pytest.mark.parametrize(
    "query", [EGYPT, f"title:{EGYPT}", f"{EGYPT}*", f'"{EGYPT} الجديدة"', f"a OR {EGYPT}", f"NOT {EGYPT}"]
)
def test_arabic_queries_render_as_written(query: str) -> None:
    """A parsed query prints as the user wrote it, not as its forms, and parses back to the same tree."""
    tree = parse_query(query).root
    assert EGYPT in str(tree) and f"و{EGYPT}" not in str(tree)
    assert parse_query(str(tree)).root == tree


@pytest.mark.parametrize(
    ("queries", "texts"),
    [
        ([EGYPT, "رئيس", "الرئيس", f"{EGYPT} NOT رئيس", f"{EGYPT} OR قطر", '"الولايات المتحدة"', "مص*", f"title:{EGYPT}"],
         ["قمة بمصر", "والرئيس في الدوحة وقطر", "بالولايات المتحدة", "المصرية", "للرئيس", "مصري", ""]),
        ([JERUSALEM, "ממשלה", "הממשלה", f"{JERUSALEM} NOT ממשלה", 'ארה"ב', "ירושל*", f"title:{JERUSALEM}"],
         ["הפגנה בירושלים", "והממשלה", "בממשלה", 'בארה"ב', "ירושלמי", "מדינה", ""]),
    ],
    ids=["arabic", "hebrew"],
)  # fmt: skip
def test_percolator_agrees_with_brute_force_on_prefixed_queries(queries: list[str], texts: list[str]) -> None:
    compiled = [(str(i), parse_query(q)) for i, q in enumerate(queries)]
    perc = Percolator(compiled)
    for title in texts:
        for text in texts:
            doc = MatchDocument.of({"title": [title], "text": [text]})
            assert perc.match(doc) == brute_force(compiled, doc)


def test_arabic_forms_are_folded_like_the_text() -> None:
    """A query with vowel marks or hamza finds the plain spelling and its forms (both go through `fold`)."""
    assert matches("مِصْر", "قمة بمصر")
    assert fold("بِمِصْرَ") == "بمصر"


def test_arabic_forms_leave_other_trees_alone() -> None:
    assert parse_query("Egypt").root == Term(None, "egypt")
    assert isinstance(parse_query(EGYPT).root, Or)


# --- what the clean stage removes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        "Bundes\u00adregierung",  # a soft hyphen, as German sites set &shy; in headlines (copied with the title)
        "کتاب\u200cها",  # Persian "books": the zero-width non-joiner Persian keyboards type inside words
        "می\u200cشود",
        "\ufeffGazprom",  # a byte-order mark pasted from a file
        "zero\u200bwidth",
        "word\u2060joiner",
    ],
)
def test_a_query_with_invisible_characters_finds_the_cleaned_text(written: str) -> None:
    """Articles reach the matcher cleaned (worker.clean drops these invisible characters, joining the word); a
    query pasted with them must read the same word, not two."""
    from worker.clean import clean_inline, clean_text

    assert matches(written, clean_text(f"Der Text: {written}."), title=clean_inline(written))
    assert matches(written, clean_text(f"Der Text: {written}."))
    assert matches(f'"{written} x"', clean_text(f"{written} x"))


def test_the_arabic_tatweel_is_not_part_of_a_word() -> None:
    """The tatweel (ـ) stretches a word for justification or after a clitic ("بـمصر"); it is not a letter."""
    assert tokenize("قمة مصـــر") == [("قمه", 0, 3), ("مصر", 4, 10)]  # the ta marbuta folds to ha
    assert words("ـ") == []
    assert matches(EGYPT, "قمة مصـــر")
    assert matches(EGYPT, "قمة بـمصر")
    assert matches("مصـر", "قمة بمصر")


# --- query parsing -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dash", ["\u2013", "\u2014", "\u2212", "\u2010", "\u2011"])
def test_a_leading_typographic_dash_is_refused_like_a_hyphen(dash: str) -> None:
    """Word processors and phones turn "-" into "–" (and pasted text has "—", "−"): `fentanyl –sports` meant
    `fentanyl AND sports`, the opposite of what was typed, where `fentanyl -sports` is refused."""
    with pytest.raises(QuerySyntaxError) as info:
        parse_query(f"fentanyl {dash}sports")
    assert info.value.position == 9
    assert "write NOT sports" in info.value.message
    # A stored query keeps its old reading; a number with a dash is still a number.
    assert parse_query(f"fentanyl {dash}sports", strict=False).root == parse_query("fentanyl sports").root
    assert parse_query(f"a {dash}5").root == parse_query("a 5").root


@pytest.mark.parametrize(
    "text",
    [
        "الانتخابات في عام ٢٠٢٤",  # Arabic-Indic digits (Egyptian and Gulf sites)
        "انتخابات سال ۲۰۲۴",  # Persian (Extended Arabic-Indic)
        "२०२४ के चुनाव",  # Devanagari
        "২০২৪ সালের নির্বাচন",  # Bengali
        "２０２４年の選挙",  # fullwidth (NFKD already folded these)
    ],
)
def test_digits_of_other_scripts_are_the_same_numbers(text: str) -> None:
    """A year or a number is found whichever digits the article writes it in."""
    assert matches("2024", text)
    assert matches("٢٠٢٤", "elections in 2024")


USA_HE = 'ארה"ב'  # Hebrew acronyms are written with '"' (for the gershayim ״) between their last two letters
IDF_HE = 'צה"ל'


@pytest.mark.parametrize(
    ("query", "tree"),
    [
        (USA_HE, Phrase(None, ("ארה", "ב"))),
        (f"{IDF_HE} OR {USA_HE}", Or((Phrase(None, ("צה", "ל")), Phrase(None, ("ארה", "ב"))))),
        (f'"נשיא {USA_HE}"', Phrase(None, ("נשיא", "ארה", "ב"))),
        (f'title:{USA_HE} "trade deal"', And((Phrase("title", ("ארה", "ב")), Phrase(None, ("trade", "deal"))))),
        ("ארה״ב", Phrase(None, ("ארה", "ב"))),  # the gershayim itself
    ],
)
def test_a_quote_inside_a_hebrew_acronym_is_part_of_the_word(query: str, tree: Node) -> None:
    """`ארה"ב` (USA) used to open a phrase: refused as unterminated, or with two acronyms silently read as the
    phrase between them."""
    assert as_written(parse_query(query).root) == tree


def as_written(node: Node) -> Node:
    """`node` without the prefixed forms of its Hebrew and Arabic words (test_query_scripts.py tests those)."""
    if isinstance(node, Clitics):
        return node.children[0]
    if isinstance(node, And | Or):
        return type(node)(tuple(map(as_written, node.children)))
    return Not(as_written(node.child)) if isinstance(node, Not) else node


def test_a_hebrew_acronym_query_finds_the_acronym() -> None:
    assert matches(USA_HE, 'נשיא ארה"ב אמר')
    assert matches(USA_HE, "נשיא ארה״ב אמר")
    assert matches(f"{IDF_HE} {USA_HE}", 'צה"ל ושגרירות ארה"ב')
    assert not matches(f"{IDF_HE} {USA_HE}", "ל ארה")
