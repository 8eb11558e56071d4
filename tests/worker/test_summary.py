"""summary: the lede in two or three clean sentences, never a caption, a dateline or half a sentence."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers import make_raw_article
from worker.parse import parse
from worker.summary import SUMMARY_MAX_CHARS, summarize


def test_seed_lede(seed_text: str) -> None:
    """The seed's summary is its first two sentences, caption skipped."""
    summary = summarize(parse(make_raw_article(content=seed_text)).text, "en")
    assert summary.startswith("China on Thursday jailed nine people for selling fentanyl to Americans")
    assert summary.endswith("with the US to tackle fentanyl trafficking.")
    assert "AFP Photo" not in summary


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (  # wire copy on al-monitor.com's feed: a dated dateline naming three cities
            "WASHINGTON/GENEVA/DUBAI, Feb 17 (Reuters) - Even for a U.S. president long fixated on deal-making, "
            "the talks are a test.",
            "Even for a U.S. president long fixated on deal-making, the talks are a test.",
        ),
        (
            "BERLIN, Feb 17 (Reuters) - More than 80 actors, directors and other artists signed an open letter.",
            "More than 80 actors, directors and other artists signed an open letter.",
        ),
        (
            "WASHINGTON (Reuters) - The U.S. Senate passed the bill on Tuesday. Mr. Smith said it was a good day "
            "for the country. A third sentence follows here now. A fourth is never read.",
            "The U.S. Senate passed the bill on Tuesday. Mr. Smith said it was a good day for the country. "
            "A third sentence follows here now.",
        ),
        (
            "1 / 2 A caption without a full stop (AFP Photo)\nImage: Someone\n"
            "Officials in Rome confirmed the closure of the bridge on Monday evening.",
            "Officials in Rome confirmed the closure of the bridge on Monday evening.",
        ),
        (
            "- Trade war -\nShort.\nThe talks resumed in Geneva after a pause of six months.",
            "The talks resumed in Geneva after a pause of six months.",
        ),
        (
            "Dee Dee Myers — a White House press secretary under Bill Clinton — is exiting her job at the studio.",
            "Dee Dee Myers — a White House press secretary under Bill Clinton — is exiting her job at the studio.",
        ),
        ("", ""),
        (
            "a fragment with no end\nThe talks resumed in Geneva after a pause of six months.",
            "The talks resumed in Geneva after a pause of six months.",
        ),
        ("no sentence here at all", "no sentence here at all"),  # no lede sentence: the teaser (test_summary_lede)
    ],
)
def test_table(text: str, expected: str) -> None:
    """Datelines, captions, headings and fragments are skipped; abbreviations do not end sentences."""
    assert summarize(text, "en") == expected


def test_max_sentences() -> None:
    """At most ``max_sentences`` sentences."""
    text = " ".join(f"This is sentence number {i} of the article." for i in range(10))
    assert summarize(text, "en", max_sentences=2).count(".") == 2


def test_non_latin_sentences() -> None:
    """Chinese full stops end sentences too (and the sentences are joined without spaces, as Chinese writes them)."""
    text = "中国周四判处九人贩卖芬太尼罪。美国官员对此表示欢迎。第三句话在这里。第四句。"
    assert summarize(text, "zh") == "中国周四判处九人贩卖芬太尼罪。美国官员对此表示欢迎。第三句话在这里。"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=3000))
def test_any_text_gives_a_bounded_summary(text: str) -> None:
    """Any text gives a summary no longer than the limit, made of the text's own words."""
    summary = summarize(text, None)
    assert len(summary) <= SUMMARY_MAX_CHARS + 1
    for word in summary.split()[:5]:
        assert word in text


def test_huge_text_is_fast() -> None:
    """A 2 MB article without a single sentence end is summarised from its head only, within the limit."""
    assert summarize("word " * 400_000, "en") == " ".join(["word"] * 119) + "…"


@pytest.mark.parametrize(
    "text",
    [
        # trafilatura-eval pages: German dates write the day as an ordinal number with a full stop.
        "Am 14. Juni 2005 hielt Steve Jobs eine vielbeachtete Rede vor den Absolventen der Stanford University.",
        "Mit der am 15. Januar 2022 in Kraft getretenen Verordnung wurden auch die Anforderungen an Impf- und "
        "Genesenennachweise neu geregelt.",
        "Am Montag, 14. November, gegen 17.50 Uhr, ist ein 74-Jähriger mit seinem PKW in Richtung Ortsmitte gefahren.",
    ],
)
def test_ordinal_dates_do_not_end_sentences(text: str) -> None:
    """ "14. Juni", "14. November," is a date inside the sentence: the summary is the whole sentence."""
    assert summarize(text, "de") == text


def test_sentence_end_inside_a_quotation_does_not_cut_the_sentence() -> None:
    """A full stop inside a quoted slogan ends no sentence: the summary does not start mid-sentence."""
    # scrapinghub c13b9c0e04fb: the summary began "awareness campaign has been facing backlash …".
    text = (
        "South Dakota’s viral “Meth. We’re on it.” awareness campaign has been facing backlash and mockery since "
        "introduced on Monday, but Michelle Hege’s response was concern.\n\n"
        "Hege is the CEO of DH, the Spokane advertising firm behind the campaign."
    )
    assert summarize(text, "en").startswith("South Dakota’s viral “Meth. We’re on it.” awareness campaign")


def test_unclosed_quotation_still_ends_sentences() -> None:
    """A quote running on into the next paragraph (no closing mark) does not glue its paragraph into one sentence."""
    text = "“We will not stop until the job is done. The people of this city deserve better, and they know it."
    assert summarize(text, "en", max_sentences=1) == "“We will not stop until the job is done."


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        (
            "de",
            "Der Vertrag gilt z. B. für Strom bzw. Gas und kostet ca. 20 Euro im Monat. "
            "Die Preise stehen im Bundesgesetzblatt Nr. 53 auf Seite 3411. Sie ändern sich jedes Jahr im Januar.",
            3,
        ),
        ("pl", "Biuro mieści się przy ul. Marszałkowskiej w Warszawie od lat. Fundacja im. Jana Pawła II pomaga.", 2),
        ("es", "El Sr. García, director de Telefónica S.A. en Madrid, habló ayer. La empresa crece este año.", 2),
        ("pt", "O Sr. Silva, da Petrobras S.A. no Rio, falou ontem com jornalistas. A empresa cresceu muito este ano.", 2),
    ],
)
def test_abbreviations_of_other_languages_end_no_sentence(language: str, text: str, expected: int) -> None:
    """A summary is not cut after "z. B.", "bzw.", "ca.", "Nr.", "ul.", "im.", "Sr." or "S.A.": those are
    abbreviations, and a word in lower case after a full stop goes on with the same sentence."""
    assert summarize(text, language, max_sentences=expected) == text
    assert summarize(text, language, max_sentences=1).count(".") > 1


def test_arabic_question_mark_ends_a_sentence() -> None:
    """The Arabic question mark (؟) ends a sentence like "?" does."""
    text = "ماذا يحدث في السودان اليوم؟ والى أين يتجه البلد الذي يقوده الرئيس منذ ثلاثين عاما؟ هذا سؤال كبير جدا."
    assert summarize(text, "ar", max_sentences=1) == "ماذا يحدث في السودان اليوم؟"


def test_sentences_in_scripts_without_spaces_are_joined_without_spaces() -> None:
    """Chinese and Japanese sentences follow each other without a space; a space between them is a defect."""
    assert summarize("益水之阳，是名益阳。这个洞庭湖区的重要城市在这里。", "zh") == "益水之阳，是名益阳。这个洞庭湖区的重要城市在这里。"
    assert summarize("東京で地震がありました。けが人はいません。", "ja") == "東京で地震がありました。けが人はいません。"
