"""keywords: a person's name is one keyword without the title before it ("President", "Prime Minister") and
counted with its possessive ("Trump's"); a name of three capitalised words is one keyword; English prepositions
("amid", "despite") are stop words."""

from __future__ import annotations

import pytest

from worker.keywords import extract_keywords

_STRIKES_TITLE = "US kills 11 people in three strikes on alleged drug-trafficking vessels"
_STRIKES_TEXT = (
    "President Donald Trump's campaign against alleged drug boats has resulted in at least 145 deaths since September."
)
_MUNICH_TITLE = "Europe looks to shore up own defenses amid US uncertainty"
_MUNICH_TEXT = (
    "NATO remains a vital security umbrella for Europe, but self-reliance and mutual defense was a recurring theme "
    "for the continent's leaders during the annual Munich Security Conference."
)


def test_a_titled_name_with_a_possessive_is_one_keyword() -> None:
    """ "President Donald Trump's campaign" gives "Donald Trump", not "President", "Donald" and "Trump"."""
    found = extract_keywords(_STRIKES_TITLE, _STRIKES_TEXT, "en")
    assert "Donald Trump" in found, found
    assert not {"President", "Donald", "Trump", "President Donald Trump"} & set(found), found


@pytest.mark.parametrize(
    ("text", "name", "not_keywords"),
    [
        (
            "Chinese President Xi Jinping met the envoy in Beijing on Monday to discuss trade.",
            "Xi Jinping",
            {"President", "Jinping", "Chinese President"},
        ),
        (
            "Prime Minister Keir Starmer met the envoy in London on Monday to discuss trade.",
            "Keir Starmer",
            {"Prime", "Minister", "Prime Minister", "Keir", "Starmer"},
        ),
        (
            "German Chancellor Friedrich Merz's plan was welcomed in Brussels on Monday by the envoy.",
            "Friedrich Merz",
            {"Chancellor", "Friedrich", "Merz"},
        ),
        (
            "White House Press Secretary Karoline Leavitt said the envoy would arrive on Monday to discuss trade.",
            "Karoline Leavitt",
            {"Secretary", "Karoline", "Leavitt"},
        ),
    ],
)
def test_the_title_before_a_name_is_left_out(text: str, name: str, not_keywords: set[str]) -> None:
    """A title ("President", "Prime Minister"), and a demonym or office before it, is not part of the name's keyword,
    nor a keyword alone when it only serves as a title."""
    found = extract_keywords("Envoy visits for trade talks", text, "en")
    assert name in found, found
    assert not not_keywords & set(found), found


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Fans cheered as Pope Leo greeted pilgrims in the square on Sunday.", "Pope Leo"),
        ("The visit of King Charles was cut short on Sunday, officials said.", "King Charles"),
    ],
)
def test_a_title_before_one_name_stays_with_it(text: str, name: str) -> None:
    """A title before a single name is how the person is known: "Pope Leo", "King Charles" stay one keyword."""
    assert name in extract_keywords("Crowds gather", text, "en")


@pytest.mark.parametrize(
    ("text", "not_keywords"),
    [
        ("Ferries to Prince Edward Island were cancelled by the storm on Sunday.", {"Edward Island"}),
        ("The Major League Baseball season opens with the owners at odds.", {"League Baseball"}),
    ],
)
def test_a_title_word_inside_a_place_or_league_makes_no_name(text: str, not_keywords: set[str]) -> None:
    """A title word that opens a place or an organisation ("Prince Edward Island", "Major League Baseball") does not
    split it into a name."""
    found = extract_keywords("Season news", text, "en")
    assert not not_keywords & set(found), found


def test_a_name_of_three_capitalised_words_is_one_keyword() -> None:
    """ "Munich Security Conference", written once, is one keyword, though "security" is also written in lower
    case."""
    found = extract_keywords(_MUNICH_TITLE, _MUNICH_TEXT, "en")
    assert "Munich Security Conference" in found, found


@pytest.mark.parametrize("word", ["amid", "amidst", "despite", "versus", "underneath", "beneath", "toward", "atop"])
def test_english_prepositions_are_stop_words(word: str) -> None:
    """A preposition is never a keyword nor a phrase's edge: "amid" of "defenses amid US uncertainty"."""
    found = extract_keywords(
        f"Markets steady {word} uncertainty",
        f"Markets held steady {word} uncertainty. Traders waited {word} the noise, and markets closed {word} doubt.",
        "en",
        limit=25,
    )
    assert not [k for k in found if word in k.lower().split()], found


def test_the_munich_story_has_no_preposition() -> None:
    """The Munich story's keywords name Europe, NATO, the US and the conference, and no "amid"."""
    found = extract_keywords(_MUNICH_TITLE, _MUNICH_TEXT, "en")
    assert "amid" not in found, found
    assert {"Europe", "NATO", "US"} <= set(found), found


@pytest.mark.parametrize(
    ("title", "text", "name"),
    [
        (
            "Trump's Greenland 'piece of ice' remark echoes history",
            "Donald Trump's description of Greenland echoes a colonial pattern in which powerful states have dismissed "
            "sparsely populated land, ignoring Indigenous ties.",
            "Donald Trump",
        ),
        (
            "UK's Starmer seeks greater powers to regulate online access",
            "British Prime Minister Keir Starmer will seek broader powers to regulate internet access, which he said "
            "on Sunday was needed to protect children from fast-changing digital risks.",
            "Keir Starmer",
        ),
    ],
)
def test_a_full_name_wins_over_the_headline_surname(title: str, text: str, name: str) -> None:
    """A person named in full in the teaser ("Donald Trump's description", "Prime Minister Keir Starmer") is the
    keyword, not the headline's surname beside a lone given name."""
    found = extract_keywords(title, text, "en")
    assert name in found, found
    assert not set(name.split()) & set(found), found


def test_a_possessive_inside_a_name_ends_no_name() -> None:
    """ "Men's" goes on into a name ("European Men's Handball Championship"): no "European Men"."""
    found = extract_keywords(
        "Handball: Germany lose to Denmark in Euro final",
        "Germany fell at the final hurdle at the European Men's Handball Championship, losing to Denmark.",
        "en",
    )
    assert "European Men" not in found, found


def test_a_weak_title_before_a_given_name_is_left_out() -> None:
    """ "Secretary of State Marco Rubio" gives "Marco Rubio": "State" opens names ("State Department") but before a
    given name it ends a title."""
    found = extract_keywords(
        "Rubio to Europe: 'We Care Deeply'",
        "In a widely anticipated speech at the Munich Security Conference, U.S. Secretary of State Marco Rubio "
        "described concerns about a shared civilization.",
        "en",
    )
    assert "Marco Rubio" in found, found
    assert not [k for k in found if k.startswith("State ")], found


def test_a_title_of_two_words_alone_stays_one_keyword() -> None:
    """ "Vice President" with no name after it is one keyword, not "Vice" and "President"."""
    found = extract_keywords(
        "Qt embraces LGPL",
        "Last week, Sebastian Nyström (Vice President of Qt Software) announced that Qt would have one additional "
        "license from the next release: the LGPL.",
        "en",
    )
    assert "Vice President" in found, found
    assert not {"Vice", "President"} & set(found), found


def test_a_recurring_titled_name_drops_its_title_in_a_long_text() -> None:
    """In a long text (no teaser), a name always written after a title is "José Jerí", never "President José Jerí"
    nor "President José"."""
    text = " ".join(
        [
            "Peru's Congress voted to remove interim President José Jerí from office on Tuesday.",
            *[f"Lawmakers said interim President José Jerí had failed to explain meeting {n}." for n in range(30)],
        ]
    )
    found = extract_keywords("Peru's Congress ousts interim President José Jerí", text, "en")
    assert "José Jerí" in found, found
    assert not [k for k in found if k.startswith("President") or k.endswith("José")], found


def test_an_apostrophe_that_is_no_possessive_ends_no_name() -> None:
    """Only "'s" makes a possessive that ends a name: "Classic Ol' Holler" gives no "Classic Ol"."""
    found = extract_keywords("Morning walk", "Zen Frog. Porch Disco. Classic Ol' Holler. Lonely Flowers.", "en")
    assert "Classic Ol" not in found, found


def test_a_title_that_opens_organisations_needs_a_given_name() -> None:
    """After "General" (which opens "General Motors", "General MIDI") a run is a person's name only from a given name:
    "General MIDI Synth" gives no "MIDI Synth", "General Mark Milley" gives "Mark Milley"."""
    found = extract_keywords(
        "Ardour update", "Earlier today I updated the soundfont of Ardour's General MIDI Synth.", "en"
    )
    assert "MIDI Synth" not in found, found
    found = extract_keywords("Milley retires", "Retired General Mark Milley spoke in Washington on Monday.", "en")
    assert "Mark Milley" in found, found
