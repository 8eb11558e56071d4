"""summary: what stands above the lede on real pages (timestamps, bylines, notices, tables of contents, links) is
never the summary, and the lede after it is kept."""

from __future__ import annotations

import pytest

from worker.summary import summarize


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        (  # trafilatura-eval breakingbelizenews.com-paho: the summary began "Posted: Thursday, April 21, 2022."
            "Posted: Thursday, April 21, 2022. 10:11 pm CST.\n\n"
            "Cases of COVID-19 are surging in Europe and East Asia due to Omicron BA.2, the agency said.",
            "en",
            "Cases of COVID-19 are surging in Europe and East Asia due to Omicron BA.2, the agency said.",
        ),
        (  # trafilatura-eval spektrum.de.coronavirus
            "Stand des Artikels: 26. Februar 2020, 12:30 Uhr. In Baden-Württemberg ist ein erster "
            "Coronavirus-Patient bestätigt, ebenso in NRW.",
            "de",
            "In Baden-Württemberg ist ein erster Coronavirus-Patient bestätigt, ebenso in NRW.",
        ),
        (  # trafilatura-eval Osthessen-news.de-Buergermeisterwahl: "06.11.23 - Sensation in …"
            "06.11.23 - Sensation in der schwarzen Hochburg Petersberg bei Fulda! Aus dem Stand heraus wird die "
            "32 Jahre alte Claudia Brandes Bürgermeisterin.",
            "de",
            "Sensation in der schwarzen Hochburg Petersberg bei Fulda! Aus dem Stand heraus wird die 32 Jahre alte "
            "Claudia Brandes Bürgermeisterin.",
        ),
        (  # trafilatura-eval arbeitsagentur.de-arbeitsmarkt
            '01.02.2022 "Der Arbeitsmarkt ist gut in das Jahr 2022 gestartet, sagte der Vorstand heute in Nürnberg."',
            "de",
            '"Der Arbeitsmarkt ist gut in das Jahr 2022 gestartet, sagte der Vorstand heute in Nürnberg."',
        ),
        (
            "Updated on 2024-03-05 14:20 UTC\n\nThe central bank held its main rate at 4.5 per cent on Tuesday.",
            "en",
            "The central bank held its main rate at 4.5 per cent on Tuesday.",
        ),
    ],
)
def test_a_timestamp_above_the_lede_is_no_summary(text: str, language: str, expected: str) -> None:
    """A "Posted: …", "Stand: …" or bare numeric date before the lede is left out; the lede is the summary."""
    assert summarize(text, language) == expected


@pytest.mark.parametrize(
    "text",
    [
        "January 5, 2022 was the day the lights went out across the whole of the island.",
        "12.5 million people lost their power on Sunday after the storm hit the coast.",
        "Published reports say the minister will resign on Friday after the vote.",
    ],
)
def test_a_lede_opening_with_a_date_or_number_is_kept_whole(text: str) -> None:
    """A sentence that opens with a date written as words, a number or "Published" as a word is the lede itself."""
    assert summarize(text, "en") == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (  # trafilatura-eval breakingbelizenews.com-paho: the lede behind "By Aaron Humes:" was dropped
            "By Aaron Humes: The Americas cannot ignore the risk of further COVID-19 surges, warns the PAHO "
            "director.\n\nCases are surging in Europe and East Asia due to Omicron BA.2, officials said.",
            "The Americas cannot ignore the risk of further COVID-19 surges, warns the PAHO director. Cases are "
            "surging in Europe and East Asia due to Omicron BA.2, officials said.",
        ),
        (  # feed 78f77fae2e1ffc14 (NYT): the lede opening with the word "By" was taken for a byline
            "By reaching back to Maoist tactics of rectification, the Chinese leader is signaling that control over "
            "the gun requires a state of perpetual cleansing.",
            "By reaching back to Maoist tactics of rectification, the Chinese leader is signaling that control over "
            "the gun requires a state of perpetual cleansing.",
        ),
        (
            "By Jane Doe\n\nThe council approved the new budget on Monday after a long debate.",
            "The council approved the new budget on Monday after a long debate.",
        ),
        (
            "By Tuesday, the storm had weakened to a tropical depression off the coast of Florida.",
            "By Tuesday, the storm had weakened to a tropical depression off the coast of Florida.",
        ),
    ],
)
def test_a_byline_is_left_out_and_the_lede_behind_it_kept(text: str, expected: str) -> None:
    """A byline line is no summary, but a lede glued behind "By Name:", or opening with the word "By", is."""
    assert summarize(text, "en") == expected


@pytest.mark.parametrize(
    "notice",
    [
        "This post is sponsored by Mrs. Wages.",  # feed 6f0284a0d9eaf557
        "Dieser Beitrag enthält Werbung für MYMARINI.",  # trafilatura-eval heavenlynnhealthy.de
        "Thanks to War Thunder for sponsoring the video!",  # feed 89fda57f8a03fbb6
        "This post was brought to you by © NDPC Photography.",  # feed 37138ba903942a40
        "[This review was originally posted at the Nieman Journalism Lab on Aug. 22, 2014.]",  # feed 4b068c292f10d85b
        "Author note: Leia este artigo em Português clicando aqui.",  # feed 6d28cf55da15a12d
        "This article was originally posted in Portuguese at the Code Like a Girl blog linked above.",
        "Get 20% off Brilliant's annual Premium: https://brilliant.org/ArtOfTheProblem.",  # feed 021a787a782817fc
        # feed 9835a36b67764259, feed 5da3b20f957be51d
        "Originally published at https://www.cio.com/article/4028051/designing-for-humans.html",
        "This story first appeared in TIME's new AI newsletter, In the Loop. You can subscribe here, for free, to get "
        "regular scoops like this directly into your email inbox.",
        "Thanks to https://www.PCBWay.com/?from=atomic for the fantastic PCBs and SMT assembly.",  # feed 3597ad3b5fc7
        # trafilatura-eval haustiermagazin.com: the notice's second and third sentences followed its first
        "Dieser Artikel enthält Affiliate-Links und/oder werbende Inhalte. Die Affiliate-Links sind entweder durch das "
        'Amazon-"a" oder einen Stern gekennzeichnet. Mehr dazu kannst Du hier nachlesen.',
    ],
)
def test_a_sponsorship_or_editors_note_is_no_lede(notice: str) -> None:
    """The site's word about the post (sponsored, advertising, first posted elsewhere, read it in …) is skipped."""
    lede = "The council approved the new budget on Monday after a long debate."
    assert summarize(f"{notice}\n\n{lede}", "de" if "Werbung" in notice else "en") == lede


@pytest.mark.parametrize(
    "contents",
    [
        "Volume 24, Number 5 | May/June 2021 2 | Tremendous Trifles 3 | Generally Speaking Be Not Afraid By Dale "
        "Ahlquist 4 | Lunacy and Letters Features 6 | Straws in the Wind The Peasant and the Pantomime Cow.",
        # the question mark splits it: the piece after it holds one "|" only
        "Volume 23, Number 2 | November/December 2019 2 | Tremendous Trifles 3 | Generally Speaking The End of the "
        "World Again By Dale Ahlquist 5 | Straws in the Wind Will Persecution Return? By G.K. Chesterton 9 | The "
        'Signature of Man "It Belongs in a Museum!"',
    ],
)
def test_a_table_of_contents_is_no_summary(contents: str) -> None:
    """A line of entries between "|" (a magazine's contents, a menu) holds no sentence (feed a345f48640cf8255)."""
    text = f"{contents}\n\nThe council approved the new budget on Monday after a long debate."
    assert summarize(text, "en") == "The council approved the new budget on Monday after a long debate."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (  # feed 89fda57f8a03fbb6: a video's description opens with its sponsor's link
            "Download the game for free and get your bonus today! ► Use my link — https://playwt.link/michaelrechtin."
            "\n\nThe council approved the new budget on Monday after a long debate.",
            "Download the game for free and get your bonus today! The council approved the new budget on Monday "
            "after a long debate.",
        ),
        (  # feed 8ac7670d173bf93d: a sentence with a link in it is still the lede
            "Dear Kagi Community, remember those t-shirts we promised ( https://blog.kagi.com/celebrating-20k )?",
            "Dear Kagi Community, remember those t-shirts we promised ( https://blog.kagi.com/celebrating-20k )?",
        ),
        (  # feed 908a1f71480bc2b6
            "Andrew Gelman posted a new blog on Causal Inference https://statmodeling.stat.columbia.edu/2022/05/14/"
            "causal-is-what-we-say-when-we-dont-know-what-were-doing/#comment-2053584 which I have found to be not "
            "only strange, but wrong.",
            "Andrew Gelman posted a new blog on Causal Inference https://statmodeling.stat.columbia.edu/2022/05/14/"
            "causal-is-what-we-say-when-we-dont-know-what-were-doing/#comment-2053584 which I have found to be not "
            "only strange, but wrong.",
        ),
        (  # feed 58f18ec53b21a9c7
            "Learnetto got featured on Betalist last week on Monday 1st Feb 2016 — https://betalist.com/startups/x.",
            "Learnetto got featured on Betalist last week on Monday 1st Feb 2016 — https://betalist.com/startups/x.",
        ),
        (  # feed 2c95f93d868f5c01: markdown links read as their words
            "This site is organized like a [zettelkasten](https://en.wikipedia.org/wiki/Zettelkasten): everything "
            "that I write is a self-contained note.",
            "This site is organized like a zettelkasten: everything that I write is a self-contained note.",
        ),
    ],
)
def test_links_are_no_lede_and_markdown_links_read_as_words(text: str, expected: str) -> None:
    """A sentence that is mostly a link is skipped; a markdown link in a lede shows as its text, not its syntax."""
    assert summarize(text, "en") == expected


def test_a_link_ends_its_sentence() -> None:
    """A full stop after a link ends the sentence: the link's dots are no abbreviation's (feed 89fda57f8a03fbb6,
    where the sponsor's link and thanks came into the summary as one sentence)."""
    text = (
        "Download the game for free and get your bonus today! Use my link — https://playwt.link/michaelrechtin. "
        "Thanks to War Thunder for sponsoring the video! The new head tracker fits inside the goggles."
    )
    assert summarize(text, "en") == (
        "Download the game for free and get your bonus today! The new head tracker fits inside the goggles."
    )
