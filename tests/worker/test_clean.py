"""clean: encoding repair where needed, normalisation, boilerplate lines — idempotent on all text."""

from __future__ import annotations

import json
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from worker.clean import clean_inline, clean_text, is_boilerplate, normalise_line, repair_encoding


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("1 / 2China's jailing of nine people (AFP Photo/Handout)", True),
        ("3/10", True),
        ("A man walks past (Reuters Photo/John Doe)", True),
        ("Share this article", True),
        ("Share on Facebook", True),
        ("Sign up for our daily newsletter", True),
        ("Advertisement", True),
        ("Read more: Why prices rose", True),
        ("- Trade war -", False),
        ("1 / 2 of the voters said no.", False),
        ("9/11's legacy still shapes airport security.", False),  # a counter glued to a capital only
        ("24/7-Betreuung für alle Patienten.", False),
        ("9/11-Anschläge jähren sich.", False),
        ("2/5Élections: the count goes on", True),
        ("He shared the article with friends.", False),
        ("The photo (see below) shows the damage.", False),
    ],
)
def test_boilerplate_lines(line: str, expected: bool) -> None:
    """Captions, counters and prompts are boilerplate; story sentences are not."""
    assert is_boilerplate(line) is expected


def test_normalise_line() -> None:
    """Curly quotes, odd spaces, invisible characters and dash runs are normalised."""
    assert normalise_line("\u201cHi\u201d \u2018there\u2019\u00a0 now\u200b -- ok") == "\"Hi\" 'there' now — ok"


def test_repair_only_where_needed() -> None:
    """Mojibake is fixed; correct non-ASCII text is left as it is."""
    assert repair_encoding("alprazolam -â€“ the") == "alprazolam -– the"
    for fine in ("Zürich café naïve", "Москва", "北京", "a – b"):
        assert repair_encoding(fine) == fine


def test_ftfy_real_cases(corpus: object) -> None:
    """On ftfy's real in-the-wild cases, cleaning repairs what ftfy repairs (same text after normalisation)."""
    from pathlib import Path

    cases = json.loads((Path(str(corpus)) / "text" / "ftfy-test-cases" / "in-the-wild.json").read_text())
    checked = 0
    for case in cases:
        if case.get("expect") != "pass" or "\n" in case["original"]:
            continue
        assert clean_inline(case["original"]) == normalise_line(case["fixed"]), case.get("label")
        checked += 1
    assert checked >= 50


def test_ftfy_negative_cases_left_alone(corpus: object) -> None:
    """Text that only looks like mojibake is left as ftfy leaves it (the pre-filter never adds a change)."""
    from pathlib import Path

    import ftfy

    cases = json.loads((Path(str(corpus)) / "text" / "ftfy-test-cases" / "negative.json").read_text())
    for case in cases:
        assert repair_encoding(case["original"]) == ftfy.fix_text(case["original"], uncurl_quotes=False)


@given(st.text(max_size=300))
def test_clean_text_is_idempotent(text: str) -> None:
    """Cleaning clean text changes nothing."""
    once = clean_text(text)
    assert clean_text(once) == once


WRAPPED = """Gaming used to be so simple. We'd buy a game, sit down in front of a
console or PC, grind our way to the end, then repeat.

Now we spend money over and over on virtual perks. We play on phones and
tablets while socializing with far-flung friends. And there is no "end,"
because developers keep updating their biggest hits with new maps,
missions and characters.

What changed:
- more games on phones
- updates without end
"""


def test_hard_wrapped_text_is_joined_into_paragraphs() -> None:
    """Text wrapped at a fixed width becomes one line a paragraph (lists keep their items)."""
    from worker.clean import unwrap

    out = [line for line in unwrap(WRAPPED.split("\n")) if line]
    assert out == [
        "Gaming used to be so simple. We'd buy a game, sit down in front of a console or PC, grind our way to the "
        "end, then repeat.",
        'Now we spend money over and over on virtual perks. We play on phones and tablets while socializing with '
        'far-flung friends. And there is no "end," because developers keep updating their biggest hits with new '
        "maps, missions and characters.",
        "What changed:",
        "- more games on phones",
        "- updates without end",
    ]


@pytest.mark.parametrize(
    "text",
    [
        # One paragraph a line (the seed's format), short paragraphs included.
        "The court sat on Thursday.\nNine people were jailed for selling fentanyl.\nThe case was a first.\n"
        "Officials said more would follow.\n",
        # One sentence a line, paragraphs apart.
        "The court sat on Thursday in Hebei province.\nNine people were jailed for the sales.\n\n"
        "Officials said more arrests would follow soon.\nThe US welcomed the verdict on Friday.\n",
        # A short-line list or verse.
        "Results\n\nAlpha 3\nBeta 2\nGamma 1\n\nDelta 0\nEpsilon 0\n",
    ],
)
def test_text_that_is_not_hard_wrapped_is_left_as_it_is(text: str) -> None:
    from worker.clean import unwrap

    lines = text.split("\n")
    assert unwrap(lines) == lines


def test_unwrapping_leaves_tables_and_code_fences_alone() -> None:
    from worker.clean import unwrap

    text = (WRAPPED + "\nThe figures, by year, are in the table below and were\nsupplied by the ministry on request.\n\n"
            "| year | games |\n| 2019 | 120 |\n| 2020 | 180 |\n\n```\nprint('hello')\nprint('world')\n```\n")  # fmt: skip
    out = [line for line in unwrap(text.split("\n")) if line]
    assert out[-8:] == [
        "The figures, by year, are in the table below and were supplied by the ministry on request.",
        "| year | games |", "| 2019 | 120 |", "| 2020 | 180 |", "```", "print('hello')", "print('world')", "```",
    ]  # fmt: skip


def test_every_line_break_is_one() -> None:
    """CR, NEL and Unicode's line and paragraph separators break lines as LF does: a title is one line without
    them, and a text's paragraphs are split at them (they used to stay inside a title and a line)."""
    assert clean_inline("Markets\u2028fall\r\nsharply\u2029again\rtoday") == "Markets fall sharply again today"
    assert clean_inline("Caf\u00c3\u00a9 owners\u2028protest") == "Café owners protest"  # repaired, then one line
    assert clean_text("First paragraph.\u2029Second paragraph.") == "First paragraph.\n\nSecond paragraph."
    assert clean_text("A line.\r\n\r\nAnother.\r\rA third.") == "A line.\n\nAnother.\n\nA third."
    assert "\u2028" not in clean_text("One line\u2028and the next, hard wrapped.")


@pytest.mark.parametrize(
    "line",
    [
        "The post KPN Internet and IPTV with EdgeRouter X appeared first on Our Technical Narrative.",
        "The post Is it Getting Better? first appeared on David duChemin - Photographer, Author, Creative Instigator.",
        "Der Beitrag AIDA-Formel verständlich erklärt erschien zuerst auf ninaklose.de.",
        "Read full topic",
        "Read the rest of this post on LessWrong.",
        "Read the full article on Medium.",
        "Continue reading →",
        "Comments",
        "(Image credit: Kevin Frayer)",
    ],
)
def test_feed_footers_are_boilerplate(line: str) -> None:
    """What feeds add after every item (WordPress SEO footers in 14 corpus feeds, Discourse's and NPR's lines,
    links to the rest) is not the story."""
    assert is_boilerplate(normalise_line(line))
    assert clean_text(f"The council approved the budget on Tuesday.\n{line}") == (
        "The council approved the budget on Tuesday.")


def test_feed_footers_leave_prose_alone() -> None:
    """Sentences that only mention reading, posts or credits stay."""
    for line in ("Read the full report, she said.", "Comments from readers poured in after the vote.",
                 "Read more about Cold Starts in AWS Lambda.", "The post was first published in 2019."):  # fmt: skip
        assert not is_boilerplate(line), line


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # oldhousedreams.com and a bitcoin blog: a teaser's link to the rest; a WordPress excerpt mark
        ("Located in the Duncan Avenue Historic District, this residence ... Read more",
         "Located in the Duncan Avenue Historic District, this residence…"),
        ("where funding the...Read More", "where funding the…"),
        ("The question came up again, in autumn 2021, when I began looking into […]",
         "The question came up again, in autumn 2021, when I began looking into…"),
        ("Some text. Continue reading", "Some text."),
        ("[...]", "[...]"),  # an elision in a quote
    ],
)  # fmt: skip
def test_teaser_tails_are_cut(line: str, expected: str) -> None:
    """A teaser ends in an ellipsis, not in a link label or WordPress's "[…]"."""
    assert clean_text(line) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ebola vaccines from MSD (known as Merck &amp; Co. in the U.S. and Canada)",  # allAfrica: "&#x26;amp;"
         "Ebola vaccines from MSD (known as Merck & Co. in the U.S. and Canada)"),
        ("as himself (R).&nbsp;&nbsp;&nbsp;&nbsp;Thirteen is a lucky number.",  # a Blogger summary typed as text
         "as himself (R). Thirteen is a lucky number."),
    ],
)
def test_character_references_left_in_text_are_decoded(text: str, expected: str) -> None:
    """Feeds that escape twice leave "&amp;" or "&nbsp;" after one decoding; ASCII lines were never checked."""
    assert clean_text(text) == expected
    assert clean_inline("64 Tips &amp; Tricks") == "64 Tips & Tricks"


# What the fast paths of the clean and dedup stages must equal: the plain formulations they replace.
_TYPOGRAPHY = st.sampled_from(list("\u2014\u2013\u2026\u2019\u2018\u201c\u201d\u00a0\u00ad\u200b\u3000_ \t\n-.,'\"&"))
_LETTERS = st.sampled_from(list("aZé9ßİǄﬁ\u0301ж中٣Ⅻ"))
_ASCII = st.text(alphabet=st.characters(max_codepoint=127), max_size=6)
_MIXED = st.lists(st.one_of(_TYPOGRAPHY, _LETTERS, _ASCII, st.characters(), st.text(max_size=3)), max_size=40).map(
    "".join
)


@given(st.one_of(_MIXED, st.text(alphabet=string.printable + "\u2014\u2019\u00e9", max_size=60)))
def test_the_hash_normalisation_is_the_words_joined_by_single_spaces(text: str) -> None:
    """normalise_for_hash takes a translate and a split on text that is ASCII once its typographic punctuation
    and accents are gone, and a Unicode regex on the rest: both give what the regex alone gives, as content
    hashes written before it must still match."""
    import re
    import unicodedata

    from worker.dedup import normalise_for_hash

    folded = text.casefold()
    if not folded.isascii():
        folded = re.sub(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+", "",
                        unicodedata.normalize("NFKD", folded))  # fmt: skip
    assert normalise_for_hash(text) == re.sub(r"[\W_]+", " ", folded).strip()


@given(_MIXED)
def test_a_line_is_normalised_as_by_one_translate(text: str) -> None:
    """The quotes, spaces and invisible characters replaced mark by mark are what one translate table gives."""
    table = str.maketrans({"\u2018": "'", "\u2019": "'", "\u02bc": "'", "\u201a": "'", "\u201b": "'",
                           "\u2032": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
                           "\u00a0": " ", "\u2007": " ", "\u2009": " ", "\u200a": " ", "\u202f": " ", "\u3000": " ",
                           "\u200b": None, "\u200c": None, "\u200d": None, "\u2060": None, "\ufeff": None,
                           "\u00ad": None, "\r": None})  # fmt: skip
    line = text.replace("\n", " ")
    expected = normalise_line(line.translate(table)) if not line.isascii() else normalise_line(line)
    assert normalise_line(line) == expected


@given(st.one_of(_MIXED, st.sampled_from(["Share this article", "1 / 2China's jailing", "ADVERTISEMENT",
                                          "(AFP Photo / John Doe)", "Read more: the rest", "Lea también: x",
                                          "The post X appeared first on Y.", "share"])))  # fmt: skip
def test_the_boilerplate_patterns_tested_at_once_say_what_each_says(line: str) -> None:
    from worker.clean import _BOILERPLATE

    assert is_boilerplate(line) is any(p.search(line) for p in _BOILERPLATE)
