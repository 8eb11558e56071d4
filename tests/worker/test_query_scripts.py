"""How subscribers write in other scripts and input modes: fullwidth forms from CJK input methods, Arabic letters
written interchangeably, Hebrew's attached prefixes, and `.NET` (a name that starts with a dot)."""

from __future__ import annotations

import pytest

from tests.worker.test_query_tokens import JERUSALEM, matches
from worker.match import MatchDocument, Percolator, brute_force, explain
from worker.query import And, Node, Not, Or, Phrase, QuerySyntaxError, Term, parse_query, spans, tokenize, words


def t(word: str, field: str | None = None, prefix: bool = False) -> Term:
    return Term(field, word, prefix)


# --- fullwidth forms ----------------------------------------------------------------------------------------
# Japanese, Chinese and Korean input methods type Latin letters, digits and symbols as fullwidth forms (U+FF01 to
# U+FF5E) unless switched to half width: `Ｃ＋＋`, `ＡＰＰＬＥ`, `ｔｉｔｌｅ：北京`, `（a ＯＲ b）`.


@pytest.mark.parametrize(
    ("query", "tree"),
    [
        ("Ｃ＋＋", t("c++")),
        ("Ｃ＃", t("c#")),
        ("ＡＰＰＬＥ", t("apple")),
        ("＂trade deal＂", Phrase(None, ("trade", "deal"))),
        ("ｔｉｔｌｅ：北京", Phrase("title", ("北", "京"))),
        ("（ａ ＯＲ ｂ）\u3000ｃ", And((Or((t("a"), t("b"))), t("c")))),  # an ideographic space between words
        ("ｆｅｎｔａｎ＊", t("fentan", prefix=True)),
        ("Ｓｏｎｙ ＡＮＤ ＮＯＴ ｍｕｓｉｃ", And((t("sony"), Not(t("music"))))),
        ("ｌａｎｇ：ｊａ", t("ja", "lang")),
        ("．ＮＥＴ", t(".net")),
        # The fullwidth colon is CJK punctuation too: a field's colon only after a field's name.
        ("東京：五輪", Phrase(None, ("東", "京", "五", "輪"))),
        ("ｆｏｏ：ｂａｒ", Phrase(None, ("foo", "bar"))),
        ("ＴＩＴＬＥ：ｘ", t("x", "title")),
        # Japanese, and Chinese in Taiwan and Hong Kong, quote with corner brackets.
        ("「Apple Watch」", Phrase(None, ("apple", "watch"))),
        ("『東京 五輪』 OR ｢a b｣", Or((Phrase(None, ("東", "京", "五", "輪")), Phrase(None, ("a", "b"))))),
        ("ｔｉｔｌｅ：「東京 五輪」", Phrase("title", ("東", "京", "五", "輪"))),
    ],
)
def test_fullwidth_queries_read_as_their_ascii_forms(query: str, tree: Node) -> None:
    """Fullwidth letters, symbols, quotes, colons, parentheses, operators and wildcards mean what their ASCII forms
    mean: `Ｃ＋＋` was the letter "c", `ｔｉｔｌｅ：北京` the phrase "title 北 京", `ＡＮＤ` the word "and"."""
    assert parse_query(query).root == tree


@pytest.mark.parametrize(
    ("query", "position", "fragment"),
    [
        ("ｆｅｎｔａｎｙｌ －ｓｐｏｒｔｓ", 9, "write NOT sports"),
        ("（ａ ＯＲ ｂ", 0, "missing ')'"),
        ("ｃｏｕｎｔｒｙ：ｕｋ", 8, "write country:gb"),
    ],
)
def test_fullwidth_query_errors_point_at_what_was_typed(query: str, position: int, fragment: str) -> None:
    """Errors keep the character positions and the spelling of the query as typed."""
    with pytest.raises(QuerySyntaxError) as info:
        parse_query(query)
    assert (info.value.position, info.value.query) == (position, query)
    assert fragment in info.value.message


def test_stored_fullwidth_queries_keep_their_old_reading() -> None:
    """A stored query that the fullwidth reading refuses compiles as it did (``strict=False``), as the word."""
    assert parse_query("ｆｏｏ：ｂａｒ", strict=False).root == Phrase(None, ("foo", "bar"))
    assert parse_query("ａ ＡＮＤ", strict=False).root == And((t("a"), t("and")))
    assert parse_query("title：ｘ ＯＲ", strict=False).root == And((Phrase(None, ("title", "x")), t("or")))


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("C++", "ＪＲ東日本はＣ＋＋で開発した"),
        ("C++", "The engine is written in Ｃ＋＋ and Lua"),  # no ideograph in the text
        ("Ｃ＋＋", "Microsoft rewrites its drivers in C++."),
        ("C#", "ＵｎｉｔｙはＣ＃を使う"),
        ("apple", "ＡＰＰＬＥの新製品"),
        ("ＡＰＰＬＥ", "Apple shares rose"),
        ('"iphone 15"', "ｉＰｈｏｎｅ\u3000１５を発売"),
        (".NET", "マイクロソフトの．ＮＥＴ"),
    ],
)
def test_fullwidth_text_and_ascii_queries_find_each_other(query: str, text: str) -> None:
    assert matches(query, text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ｃ＋＋とＣ＃", [("c++", 0, 3), ("と", 3, 4), ("c#", 4, 6)]),
        ("Ｃ＋＋ rocks", [("c++", 0, 3), ("rocks", 4, 9)]),
        ("ビタミンＣ＋ Ａ＋＋＋", [("ヒ", 0, 1), ("タ", 1, 2), ("ミ", 2, 3), ("ン", 3, 4), ("c", 4, 5), ("a", 7, 8)]),
        ("Ｃ+＋", [("c++", 0, 3)]),
    ],
)
def test_fullwidth_symbol_words_have_their_offsets(text: str, expected: list[tuple[str, int, int]]) -> None:
    """`Ｃ＋＋` and `Ｃ＃` are the words "c++" and "c#" (one "+" or three are not), offsets covering the symbols."""
    assert tokenize(text) == expected
    assert words(text) == [w for w, _, _ in expected]
    assert spans(text) == [(a, b) for _, a, b in expected]


def test_a_fullwidth_letter_with_one_plus_is_the_letter() -> None:
    assert not matches("C++", "ビタミンＣ＋配合")
    assert matches("c", "ビタミンＣ＋配合")


# --- Arabic letters written interchangeably ---------------------------------------------------------------
# Real Arabic news writes a final ta marbuta as ha (ة/ه: "القاهرة"/"القاهره"), a final alef maksura as ya (ى/ي:
# "مصطفى"/"مصطفي", Egyptian sites above all), and alef with or without its hamza or madda (أ إ آ ا).


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("القاهرة", "وصل الوفد إلى القاهره"),
        ("القاهره", "وصل الوفد إلى القاهرة"),
        ("القاهرة", "اجتماع بالقاهره"),  # with a proclitic too
        ("قاهرة", "في القاهره"),
        ("مصطفى", "قال مصطفي"),
        ("مصطفي", "قال مصطفى"),
        ("إسرائيل", "قالت اسرائيل"),
        ("اسرائيل", "قالت إسرائيل"),
        ("أحمد", "قال احمد"),
        ("آية", "قرأ اية"),
        ("ٱلقاهرة", "في القاهرة"),  # alef wasla, as some fonts and Quranic spelling write the article
        ('"جامعة القاهرة"', "أساتذة جامعه القاهره"),
        ("القاهر*", "القاهره"),
    ],
)
def test_arabic_letters_written_interchangeably_find_each_other(query: str, text: str) -> None:
    assert matches(query, text)


def test_arabic_variants_do_not_merge_other_letters() -> None:
    """The ta marbuta folds to ha, not to the ta it is written as before a suffix; ha and ya stay themselves."""
    assert not matches("مدرست", "مدرسة")
    assert words("مدرسة مدرسه مدرسى مدرسي") == ["مدرسه", "مدرسه", "مدرسي", "مدرسي"]


# --- Hebrew attached prefixes -------------------------------------------------------------------------------
# Hebrew joins "and" (ו), "that" (ש), "when" (כש), "in" (ב), "to" (ל), "like" (כ), "the" (ה) and "from the" (מה) to
# the next word: "בירושלים" is "in Jerusalem", "והממשלה" "and the government".

GOVERNMENT = "ממשלה"


@pytest.mark.parametrize(
    ("query", "text"),
    [
        (JERUSALEM, "הפגנה בירושלים"),  # in
        (JERUSALEM, "תל אביב וירושלים"),  # and
        (JERUSALEM, "נסע לירושלים"),  # to
        (JERUSALEM, "ההפגנה שבירושלים"),  # that in
        (JERUSALEM, "ובירושלים אמרו"),  # and in
        (JERUSALEM, "כשירושלים בוערת"),  # when
        (GOVERNMENT, "החליטה הממשלה"),  # the
        (GOVERNMENT, "והממשלה החליטה"),  # and the
        (GOVERNMENT, "דובר מהממשלה"),  # from the
        (GOVERNMENT, "אמר שהממשלה"),  # that the
        (GOVERNMENT, "כשהממשלה החליטה"),  # when the
        (GOVERNMENT, "פנייה לממשלה"),  # to (the)
        ("הממשלה", "והממשלה החליטה"),  # a query with the article keeps the prefixes before it
        ("הממשלה", "דיון בממשלה"),  # and "in the" absorbs the article: ב + ה is written ב
        ("הממשלה", "מהממשלה"),
        ('ארה"ב', 'נשיא בארה"ב'),  # an acronym phrase, on its first word
        ('"ראש הממשלה"', "וראש הממשלה אמר"),
        ("ירושל*", "בירושלמי"),  # a wildcard's forms are wildcards
        ("יְרוּשָׁלַיִם", "בירושלים"),  # vowel points fold away as before
        ("החלטה", "ההחלטה התקבלה"),  # a ה that is the word's own letter: the article before it
        ("החלטה", "בהחלטה"),
    ],
)
def test_a_hebrew_word_finds_its_prefixed_forms(query: str, text: str) -> None:
    assert matches(query, text)


@pytest.mark.parametrize(
    ("query", "text"),
    [
        (JERUSALEM, "ירושלמי"),  # Jerusalemite: a longer word (`ירושל*` finds it)
        ("בירושלים", "ירושלים"),  # a query written with a prefix is that word
        ("הממשלה", "ממשלה חדשה"),  # a query with the article asks for the article
        ("דינה", "מדינה"),  # מ alone is left out: state is not "from Dina"
        ("כהן", "מכהן כשר"),  # nor serving from Cohen
        ("פרץ", "המפרץ הפרסי"),  # nor the gulf from Peretz
        ("גן", "בגן"),  # two-letter words get no forms
        ('"ראש הממשלה"', "ראש והממשלה"),  # inside a phrase the words are as written
    ],
)
def test_hebrew_prefixed_forms_do_not_reach_other_words(query: str, text: str) -> None:
    assert not matches(query, text)


def test_no_hebrew_place_name_finds_another() -> None:
    """Common places of Hebrew news: no query for one finds a different one through its forms."""
    names = """ישראל ירושלים חיפה אילת עזה לבנון סוריה מצרים ירדן איראן עיראק טורקיה רוסיה אוקראינה סין יפן הודו
    צרפת גרמניה ספרד איטליה בריטניה אמריקה קנדה אוסטרליה נתניה אשדוד אשקלון חברון שכם רמאללה ביירות דמשק קהיר
    עמאן טהרן אנקרה מוסקבה וושינגטון לונדון פריז ברלין רומא אתונה קפריסין יהודה שומרון גליל נגב כנרת""".split()  # noqa: SIM905
    doc = MatchDocument.of({"text": ["\n".join(names)]})
    for name in names:
        assert {label for _, _, _, label in explain(parse_query(name), doc)} == {name}


@pytest.mark.parametrize("query", [JERUSALEM, f"title:{JERUSALEM}", "ירושל*", f'"{JERUSALEM} העתיקה"', "הממשלה"])
def test_hebrew_queries_render_as_written(query: str) -> None:
    tree = parse_query(query).root
    assert isinstance(tree, Or) and str(tree) == query
    assert parse_query(str(tree)).root == tree


# --- .NET ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (".NET 8 and ASP.NET Core", [".net", "8", "and", "asp", "net", "core"]),
        (
            "Net profit; the .Net team; C#/.NET; C#.NET",
            ["net", "profit", "the", ".net", "team", "c#", ".net", "c#", ".net"],
        ),
        ("visit example.net or ...net", ["visit", "example", "net", "or", "net"]),
        ("(.NET) “.NET” '.NET'", [".net", ".net", ".net"]),
        (".network .nets .net_x", ["network", "nets", ".net", "x"]),
        ("Ünïcode .NET", ["unicode", ".net"]),  # the folding path
        ("微软 .NET 框架", ["微", "软", ".net", "框", "架"]),  # the path for unspaced scripts
        ("cafe\u0301 .NET cafe\u0301.net", ["cafe", ".net", "cafe", "net"]),  # the path for combining marks
        ("İ .NET", ["i", ".net"]),  # the path for text whose lower case changes its length
    ],
)
def test_dotnet_is_a_word_with_its_dot(text: str, expected: list[str]) -> None:
    """`.NET` (a dot after a space, punctuation or the start, then "net" and no more letters) is the word ".net";
    a dot inside a name (`ASP.NET`, `example.net`) or after dots (`...net`) separates words as before."""
    assert words(text) == expected
    assert [w for w, _, _ in tokenize(text)] == expected
    assert len(spans(text)) == len(expected)


def test_dotnet_offsets_cover_the_dot() -> None:
    assert tokenize("in .NET 9") == [("in", 0, 2), (".net", 3, 7), ("9", 8, 9)]


# --- Korean particles ---------------------------------------------------------------------------------------
# Korean spaces its words but joins its particles to the noun: "서울에서" is "in Seoul", "미국의" "of America".


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("서울", "서울에서 열린 회의"),  # in
        ("미국", "미국의 대통령"),  # of
        ("정부", "정부는 발표했다"),  # topic, after a vowel
        ("정부", "정부가 발표했다"),  # subject, after a vowel
        ("한국", "한국은 발표했다"),  # topic, after a consonant
        ("한국", "한국이 이겼다"),  # subject, after a consonant
        ("일본", "일본을 방문"),  # object
        ("북한", "북한과 미국"),  # and
        ("서울", "서울로 이사"),  # to, after ㄹ
        ("부산", "부산으로 이사"),  # to, after another consonant
        ("삼성전자", "삼성전자에서는"),
        ("미국", "미국보다 빠르다"),  # than
        ('"서울 시장"', "서울 시장은 말했다"),  # a phrase, on its last word
    ],
)
def test_a_korean_word_finds_its_particle_forms(query: str, text: str) -> None:
    assert matches(query, text)


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("서울", "서울대학교"),  # a longer word, not a particle form
        ("미국", "미국인"),  # Americans
        ("서울에서", "서울"),  # a query written with a particle is that word
        ("한국", "한국가"),  # a particle's form after a vowel does not follow a consonant
        ("부산", "부산로"),
        ("한", "한국"),  # one syllable: no forms
        ('"서울 시장"', "서울의 시장"),  # inside a phrase the words are as written
    ],
)
def test_korean_particle_forms_do_not_reach_other_words(query: str, text: str) -> None:
    assert not matches(query, text)


def test_a_korean_wildcard_needs_no_particle_forms() -> None:
    """`삼성*` already finds "삼성은": its particles follow it."""
    assert isinstance(parse_query("삼성*").root, Term)
    assert matches("삼성*", "삼성은 발표했다")


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        ("대한*", "대한민국", True),
        ("대하*", "대한민국", False),  # 하 is a syllable: 한 does not start with it
        ("서우*", "서울시", False),
        ("서울*", "서울시", True),
    ],
)
def test_a_korean_wildcard_extends_whole_syllables(query: str, text: str, expected: bool) -> None:
    """Hangul folded to its letters (jamo) made `대하*` find "대한민국": a syllable's last consonant read as the
    start of the next letter."""
    assert matches(query, text) is expected


def test_a_stored_one_syllable_korean_wildcard_keeps_compiling() -> None:
    """`서*` passed the two-character minimum while Hangul folded to its letters; a stored one still compiles (now
    for whole syllables), a new one is refused like any one-character wildcard."""
    assert parse_query("서*", strict=False).root == t("서", prefix=True)
    with pytest.raises(QuerySyntaxError, match="at least 2 characters"):
        parse_query("서*")


def test_korean_queries_render_as_written_and_percolate_as_brute_force() -> None:
    for query in ["서울", "title:서울", '"서울 시장"']:
        tree = parse_query(query).root
        assert isinstance(tree, Or) and str(tree) == query
        assert parse_query(str(tree)).root == tree
    queries = [(str(i), parse_query(q)) for i, q in enumerate(["서울", "미국 NOT 서울", "한국 OR 일본", '"서울 시장"'])]
    texts = ["서울에서", "미국의 서울", "한국은", "서울의 시장", "서울대학교", ""]
    perc = Percolator(queries)
    for title in texts:
        for text in texts:
            doc = MatchDocument.of({"title": [title], "text": [text]})
            assert perc.match(doc) == brute_force(queries, doc)


# --- the forms' bound ---------------------------------------------------------------------------------------


def _hebrew_article_words(n: int) -> list[str]:
    """``n`` distinct Hebrew words that open with ה (60 forms each: the most a word has)."""
    letters = "אבגדזחטיכלמנסעפצקרשת"
    return [f"ה{a}{b}ל" for a in letters for b in letters][:n]


def test_a_query_standing_for_too_many_word_forms_is_refused() -> None:
    """256 Hebrew words OR'd stood for 15,360 terms (6.3 ms per matching article for one subscription): past
    MAX_QUERY_FORMS a new query is refused with what to do; at the bound it parses; one stored before the bound
    keeps compiling."""
    from worker.query import MAX_QUERY_FORMS

    fits = MAX_QUERY_FORMS // 60
    assert parse_query(" OR ".join(_hebrew_article_words(fits)))
    too_many = " OR ".join(_hebrew_article_words(fits + 1))
    with pytest.raises(QuerySyntaxError, match="more than 4096 word forms") as refused:
        parse_query(too_many)
    assert "split it into several subscriptions" in refused.value.message
    assert refused.value.position == too_many.rindex("ה")
    assert isinstance(parse_query(too_many, strict=False).root, Or)
    assert parse_query(" OR ".join(["fentanyl"] * 256))  # plain words count one each
