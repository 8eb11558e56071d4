"""summary on real news shapes: wire datelines, abbreviations in brackets, the headline repeated, wrapped lines."""

from __future__ import annotations

import pytest

from tests.helpers import make_raw_article
from worker.enrich import enrich
from worker.parse import parse
from worker.summary import SUMMARY_MAX_CHARS, summarize


@pytest.mark.parametrize(
    "text",
    [
        # scrapinghub c50845a7158a: the summary began "18), NASA announced the selection of SpaceX, …".
        "NASA has recruited three commercial lunar lander ideas to join its Artemis moon program. On Monday (Nov. 18), "
        "NASA announced the selection of SpaceX, Blue Origin and three other companies.",
        # scrapinghub e1cd54e5577d: the summary ended "… a family fun day (Oct.".
        "The historic show features a Grand Prix, a medal final and a family fun day (Oct. 20) for all ages.",
        'The hospital named a new chief of surgery this week. "Dr. Alvarez will start in March," the board said.',
        "Officials said the bill was signed in Washington on Friday ['U.S. officials'] after a long debate.",
    ],
)
def test_an_abbreviation_after_a_bracket_or_quote_ends_no_sentence(text: str) -> None:
    """ "(Nov. 18)", "(Oct. 20)", '"Dr. Alvarez' are abbreviations like "Nov. 18": the sentence goes on."""
    assert summarize(text, "en") == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (  # scrapinghub ef4e67b66d63
            "(CNN)President Donald Trump made an unscheduled trip to Walter Reed hospital on Saturday.",
            "President Donald Trump made an unscheduled trip to Walter Reed hospital on Saturday.",
        ),
        (  # scrapinghub d605bdef2cde
            "Hong Kong (CNN Business)A muddled view of US-China trade talks once again seems to be weighing on investors.",
            "A muddled view of US-China trade talks once again seems to be weighing on investors.",
        ),
        (  # scrapinghub 5f9c5ed5d64d
            "NEW DELHI: Their American dream shattered, nearly 150 Indians returned home broke on Wednesday.",
            "Their American dream shattered, nearly 150 Indians returned home broke on Wednesday.",
        ),
        (  # trafilatura-eval 100noticias.com: EFE's dateline ends ".-"
            "MANAGUA (EFE).- Nicaragua cerró 2021 con una deuda externa total de 14.372,4 millones de dólares.",
            "Nicaragua cerró 2021 con una deuda externa total de 14.372,4 millones de dólares.",
        ),
        (
            "(EFE).- Nicaragua cerró 2021 con una deuda externa total de 14.372,4 millones de dólares.",
            "Nicaragua cerró 2021 con una deuda externa total de 14.372,4 millones de dólares.",
        ),
        (
            "BEIJING, Nov. 19 (Xinhua) -- China's industrial output grew 4.7 percent year on year in October.",
            "China's industrial output grew 4.7 percent year on year in October.",
        ),
    ],
)
def test_wire_datelines_are_not_the_summary(text: str, expected: str) -> None:
    """CNN's "(CNN)" glued to the first word, "NEW DELHI:", EFE's "(EFE).-" and Xinhua's "--" are datelines."""
    language = "es" if "EFE" in text else "en"
    assert summarize(text, language) == expected


def test_a_dateline_like_colon_inside_a_sentence_stays() -> None:
    """Only a line opening in capitals before the colon is a dateline: "Summary: …" or "Note: …" is text."""
    text = "The report said: Prices rose by two percent in the third quarter of the year."
    assert summarize(text, "en") == text


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        (  # scrapinghub 7ab16ade3238: the summary opened with the headline
            "Opinion | Is Football Violence a Crime?",
            "Is Football Violence a Crime? NFL assaults have led to lawsuits before. But a prosecutor would have "
            "difficulty proving a charge in court.",
            "NFL assaults have led to lawsuits before. But a prosecutor would have difficulty proving a charge in court.",
        ),
        (  # scrapinghub 521118842884
            "[The Palace: Tale of Jang Noksu] More Reviews from KLOOK Visitors!",
            "[The Palace: Tale of Jang Noksu] More Reviews from KLOOK Visitors! Visitors who booked their tickets "
            "through KLOOK came to the theater to watch the show.",
            "Visitors who booked their tickets through KLOOK came to the theater to watch the show.",
        ),
        (  # a lede that merely shares words with the headline stays
            "Sweden drops Assange rape investigation",
            "Sweden drops Assange rape investigation after a review of the evidence, prosecutors said on Tuesday.",
            "Sweden drops Assange rape investigation after a review of the evidence, prosecutors said on Tuesday.",
        ),
    ],
)
def test_the_headline_is_not_repeated(title: str, text: str, expected: str) -> None:
    """A sentence that is the headline (or part of it) is not in the summary: the reader has the headline."""
    assert summarize(text, "en", title=title) == expected


def test_enrich_does_not_repeat_the_headline() -> None:
    """The event's summary skips the body's copy of the title."""
    text = "Is Football Violence a Crime? NFL assaults have led to lawsuits before, and more may follow this year."
    article = parse(make_raw_article(content=f"# Is Football Violence a Crime?\n\n{text}"))
    assert enrich(article).summary == "NFL assaults have led to lawsuits before, and more may follow this year."


def test_hard_wrapped_lines_are_read_as_one_sentence() -> None:
    """A line that opens in lower case goes on from the line before: the summary never starts mid-sentence."""
    # scrapinghub 34a7328535ad (a page hard-wrapped with <br><br>): the summary was "to her Instagram page to …".
    text = (
        "Photos\n\nwhich were released online are making the rounds on social media,\n\nshow Nigerian actress, "
        "Kate Henshaw, looking stunning in new\n\nmake-up photos.\n\nKate Henshaw\n\nVeteran Nollywood actress "
        "Kate Henshaw has taken\n\nto her Instagram page to share some stunning photos of herself."
    )
    summary = summarize(text, "en")
    assert summary.startswith("Photos which were released online are making the rounds on social media, show")
    assert "Kate Henshaw Veteran" not in summary
    assert "Veteran Nollywood actress Kate Henshaw has taken to her Instagram page" in summary


def test_a_line_ending_in_an_article_or_a_comma_goes_on_in_the_next() -> None:
    """A line that stops at "the" or a comma and a next line in capitals are one sentence wrapped before a name."""
    text = (
        "Kate Henshaw\n\nVeteran Nollywood actress Kate Henshaw, who in 2008 won the\n\nAfrica Movie Academy Award,"
        "\n\nHas taken to her Instagram page to share some stunning photos of herself."
    )
    assert summarize(text, "en") == (
        "Veteran Nollywood actress Kate Henshaw, who in 2008 won the Africa Movie Academy Award, Has taken to her "
        "Instagram page to share some stunning photos of herself."
    )
    heading = "Harbour Bridge Reopens\n\nThe harbour bridge reopened on Monday after six months of repairs."
    assert summarize(heading, "en") == "The harbour bridge reopened on Monday after six months of repairs."


@pytest.mark.parametrize("byline", ["By Jane Doe,", "Photo: Reuters,", "- Trade war,", "# Harbour bridge, the"])
def test_a_byline_caption_or_heading_is_not_joined_to_the_lede(byline: str) -> None:
    """A byline, caption, bullet or heading ending in a comma stays a line of its own, and is skipped."""
    text = f"{byline}\n\nThe council voted on Monday to close the harbour bridge for repairs."
    assert summarize(text, "en") == "The council voted on Monday to close the harbour bridge for repairs."


@pytest.mark.parametrize("marker", ["Advertisement", "ADVERTISEMENT", "Anzeige", "Story continues below advertisement"])
def test_an_advertisement_marker_inside_a_sentence_is_left_out(marker: str) -> None:
    """An ad slot that cut a paragraph in two is dropped and the two halves read as one sentence."""
    # trafilatura-eval covestro: "Anzeige" was glued to "um eine Forschungsgruppe erweitert." as a sentence.
    text = f"The council voted on Monday to close the\n\n{marker}\n\nharbour bridge for six months of repairs."
    assert summarize(text, "en") == "The council voted on Monday to close the harbour bridge for six months of repairs."


def test_german_ordinal_after_a_preposition_ends_no_sentence() -> None:
    """ "zum 6. Mal", "am 3. Tag" are ordinals: German writes them with a full stop."""
    # trafilatura-eval seglerblog: the summary was "findet in 2020 bereits zum 6." and the next sentence.
    text = "Der Wettbewerb findet in 2020 bereits zum 6. Mal statt. Kinder zwischen 6 und 12 Jahren sind aufgerufen."
    assert summarize(text, "de", max_sentences=1) == "Der Wettbewerb findet in 2020 bereits zum 6. Mal statt."


def test_a_missing_space_after_a_full_stop_still_ends_the_sentence() -> None:
    """ "on Wednesday.The stabbing" is two sentences, joined with a space; "St.Louis" and "ID.3" are not cut."""
    # scrapinghub e372e42c0a3d: three sentences glued into one 427-character "sentence".
    text = (
        "Fritz von Weizsäcker was stabbed to death, Kan reported on Wednesday.The stabbing occurred during a "
        "presentation in Berlin.Police arrested a 57-year-old man."
    )
    assert (
        summarize(text, "en", max_sentences=1)
        == "Fritz von Weizsäcker was stabbed to death, Kan reported on Wednesday."
    )
    assert summarize(text, "en") == (
        "Fritz von Weizsäcker was stabbed to death, Kan reported on Wednesday. The stabbing occurred during a "
        "presentation in Berlin. Police arrested a 57-year-old man."
    )
    # trafilatura-eval nationalgeographic.co.uk: a date glued to the standfirst's question
    glued = "What's the secret to its recovery?Monday, 6 January 2020\n\nIt takes four hours to sail to Redonda."
    assert summarize(glued, "en") == "What's the secret to its recovery? It takes four hours to sail to Redonda."
    kept = "The team moved from St.Louis to Denver with the new ID.3 cars last spring."
    assert summarize(kept, "en") == kept


def test_reprint_notices_are_not_the_summary() -> None:
    """Dow Jones' "This copy is for your personal, non-commercial use only." notice is not the lede."""
    # scrapinghub f8ff621a0b9b
    text = (
        "This copy is for your personal, non-commercial use only. To order presentation-ready copies for "
        "distribution to your colleagues, clients or customers visit http://www.djreprints.com.\n\n"
        "Shares of construction goods giant Home Depot are dropping in premarket trading."
    )
    assert summarize(text, "en") == "Shares of construction goods giant Home Depot are dropping in premarket trading."


def test_closing_quotes_after_full_width_ends_stay_with_their_sentence() -> None:
    """A Chinese sentence ending in a question inside quotes keeps its closing quote, and no space is put after it."""
    text = '"妈妈，为什么还不能出去？""宝贝，我们在打一场无声的战役！"在抗击疫情的日子里，父母们总要回应孩子的追问。'
    assert summarize(text, "zh") == text
    assert summarize('"妈妈，为什么还不能出去？"\n\n"宝贝，我们在打一场无声的战役！"', "zh") == (
        '"妈妈，为什么还不能出去？""宝贝，我们在打一场无声的战役！"'
    )


@pytest.mark.parametrize("ellipsis", ["…", "...", " …", " ..."])
def test_an_ellipsis_before_a_lower_case_word_ends_no_sentence(ellipsis: str) -> None:
    """ "the plan was … not going to work" is one sentence in English too: the summary does not stop at "…"."""
    first = f"The minister said the plan was{ellipsis} not going to work at all, officials said on Monday."
    text = f"{first} A second sentence follows here now."
    assert summarize(text, "en", max_sentences=1) == first


@pytest.mark.parametrize(
    "caption",
    [
        # trafilatura-eval clarin.com: a photo caption was the summary's first sentence.
        "Cristina Kirchner y Alberto Fernández, el 1 de marzo, en el Congreso (Foto: Natacha Pisarenko/Pool via "
        "REUTERS).",
        "President Biden speaks to reporters at the White House on Monday. (AP Photo/Evan Vucci)",
        "Rescue workers search the rubble of a collapsed building in the city. (Photo by John Doe/Getty Images)",
        "The telescope's view of Europa's surface is shown in this artist's rendering. (Image credit: NASA)",
    ],
)
def test_photo_captions_are_not_the_summary(caption: str) -> None:
    """A sentence with a photo credit in brackets is a caption, not the lede."""
    lede = "The government said on Tuesday that the new measures would take effect next month."
    assert summarize(f"{caption}\n\n{lede}", "en") == lede


@pytest.mark.parametrize(
    "notice",
    [
        # trafilatura-eval pages: affiliate disclosures opened the summary.
        "This post contains references to products from one or more of our advertisers.",
        "We may receive compensation when you click on links to those products.",
        "We recommend the best products through an independent review process, and advertisers do not influence "
        "our picks.",
        "Abonnieren Sie jetzt den Themen-Newsletter «Wohnen» und verpassen Sie nichts.",
        "Terms apply to the offers listed on this page.",
        "Read our advertiser disclosure for more info.",
        "This shop has been compensated by #CollectiveBias, Inc. and its advertiser. All opinions are mine alone.",
    ],
)
def test_disclosures_and_prompts_are_not_the_summary(notice: str) -> None:
    """An affiliate disclosure or a newsletter prompt is the site talking, not the article."""
    lede = "The government said on Tuesday that the new measures would take effect next month."
    assert summarize(f"{notice} {lede}", "en") == lede


@pytest.mark.parametrize("bullet", ["•", "·", "▪", "►", "●"])
def test_bullet_points_are_not_the_summary(bullet: str) -> None:
    """A bulleted line is a list item, skipped like "- item": no summary starts with a bullet."""
    text = f"{bullet} Free parking for all visitors on weekends.\n\nThe bridge will reopen in May after six months of work."
    assert summarize(text, "en") == "The bridge will reopen in May after six months of work."


def test_an_overlong_sentence_is_cut_at_a_word_and_marked() -> None:
    """A "sentence" longer than the bound (a run-on list, a paragraph without full stops) is cut at a word
    boundary and ends with "…", never inside a word."""
    # trafilatura-eval: a 700-character CV paragraph was cut to "… an der Bauhaus-Universität Wei".
    text = (
        "Jens Weber, geboren 1977 in Erfurt, "
        + ", ".join(f"{year} Projekt Nummer {year} in Weimar" for year in range(1990, 2020))
        + "."
    )
    summary = summarize(text, "de")
    assert len(summary) <= SUMMARY_MAX_CHARS
    assert summary.endswith("…")
    assert text.startswith(summary[:-1]) and text[len(summary) - 1] in " ,"


def test_code_is_not_the_summary() -> None:
    """Lines of code after the lede are not read as sentences: "Substitute.For<…>" is no sentence end, and "{" and
    "var …" lines are not prose wrapped over lines."""
    # feed corpus andydote.co.uk: the summary went on "{ var mockClient = Substitute. For<IContractProvider>(); …".
    text = (
        "We have a test suite at work which tests a retry decorator class works as expected. One of the tests "
        "checks that when the inner implementation throws an exception, it logs the failures:\n\n[Test]\n\n"
        "public async Task ShouldLogRetries()\n\n{\n\nvar mockClient = Substitute.For<IContractProvider>();\n\n"
        "var logger = Subsitute.For<ILogger>();\n\n}\n\nThe test passes, but it does not say what it checks."
    )
    assert summarize(text, "en") == (
        "We have a test suite at work which tests a retry decorator class works as expected. "
        "The test passes, but it does not say what it checks."
    )
