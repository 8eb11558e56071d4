"""keywords: a single English keyword is a noun or a name, never a verb, an adverb or an adjective alone; a noun
written like a verb ("cuts", "talks", "attack", "output") stays, and a name keeps any word."""

from __future__ import annotations

import pytest

from worker.keywords import extract_keywords

_OPEC_TITLE = "Oil prices jump as OPEC cuts output"
_OPEC_TEXT = (
    "Oil prices rose sharply on Monday after OPEC and its allies agreed to cut production by one million barrels a "
    "day, the group said in Vienna. Brent crude gained 4 percent. Analysts at Goldman Sachs said the move would "
    "tighten supply into the winter."
)


def _single(keywords: list[str]) -> set[str]:
    return {k for k in keywords if " " not in k}


def test_opec_story_has_no_verbs_or_adverbs() -> None:
    """The OPEC story's keywords name oil prices, OPEC, output, Goldman Sachs and Vienna, not "jump", "rose" or
    "sharply"."""
    keywords = extract_keywords(_OPEC_TITLE, _OPEC_TEXT, "en")
    assert {"Oil prices", "OPEC", "output", "Goldman Sachs", "Vienna"} <= set(keywords), keywords
    assert not {"jump", "rose", "sharply", "agreed", "gained", "tighten"}.intersection(keywords), keywords


@pytest.mark.parametrize(
    ("title", "text", "not_keywords"),
    [
        (
            "Company unveiled new phone",
            "The company unveiled a phone. The phone generated interest, and the phone was popular. "
            "Buyers charged the phone daily; the phone quickly became popular. The company will generate "
            "more phones and the company remains famous.",
            {"unveiled", "generated", "popular", "charged", "quickly", "generate", "famous", "became"},
        ),
        (
            "Prosecutors charged the mayor",
            "Prosecutors charged the mayor on Friday. The mayor was charged with fraud. Prosecutors allegedly "
            "found bribes; the mayor denied the fraud. The mayor won the election and held the office. "
            "Fraud charges followed, and prosecutors sought a trial. The mayor fled.",
            {"charged", "allegedly", "denied", "won", "held", "followed", "sought", "fled"},
        ),
    ],
)
def test_verb_forms_adverbs_and_adjectives_are_no_keywords_alone(title: str, text: str, not_keywords: set[str]) -> None:
    """Past forms ("unveiled", "won", "fled"), base verbs ("generate"), adverbs ("quickly") and adjectives
    ("popular", "famous") are never a keyword alone."""
    keywords = extract_keywords(title, text, "en", limit=25)
    assert not not_keywords.intersection(_single(keywords)), keywords
    assert not [k for k in keywords if " " in k and k.split()[-1] in not_keywords], keywords  # "company unveiled"


@pytest.mark.parametrize(
    ("title", "text", "noun"),
    [
        ("Budget cuts hit schools", "Schools face cuts. The cuts hurt pupils, and deeper cuts are planned.", "cuts"),
        ("Peace talks resume", "The talks resumed in Geneva. Both sides said the talks were useful.", "talks"),
        ("Attack on convoy", "The attack killed three. Police said the attack was planned.", "attack"),
        ("Output falls", "Output fell in May. Analysts expect output to recover, as output did in April.", "output"),
        ("Family feud", "The family sued. A family lawyer said the family would appeal.", "family"),
        ("Seabed mining", "Mining the seabed is disputed. The seabed holds metals.", "seabed"),
    ],
)
def test_nouns_that_look_like_verbs_stay(title: str, text: str, noun: str) -> None:
    """Nouns written like verbs or adverbs ("cuts", "talks", "attack", "output", "family", "seabed") stay keywords."""
    keywords = extract_keywords(title, text, "en", limit=25)
    assert noun in {k.lower() for k in keywords}, keywords


def test_a_noun_phrase_may_end_in_a_noun_that_is_also_a_verb() -> None:
    """ "Price rise" and "high jump" are topics: a word of movement that is also a noun ends a phrase, though it is
    never a keyword alone."""
    text = (
        "The price rise angered drivers. Another price rise is due, and the price rise hits farmers. "
        "She won the high jump. The high jump final was late."
    )
    keywords = extract_keywords("Price rise", text, "en", limit=25)
    assert {"price rise", "high jump"} <= set(keywords), keywords
    assert not {"rise", "jump"}.intersection(keywords), keywords


def test_names_keep_verb_like_words() -> None:
    """A word mostly written with a capital is a name, whatever it would be in lower case ("Rose", "Reed", "Italy",
    "Fled")."""
    text = (
        "Rose Reed met Italy's premier. Rose said Italy would help. Reed was in Italy on Monday. "
        "Rose and Reed left Italy later."
    )
    keywords = extract_keywords("Rose Reed visits Italy", text, "en", limit=25)
    assert {"Italy"} <= set(keywords) and ("Rose Reed" in keywords or {"Rose", "Reed"} <= set(keywords)), keywords


def test_other_languages_keep_words_english_would_call_verbs() -> None:
    """The English rule is English only: Spanish "red" (network) and "usted" are no English past forms."""
    text = "La red eléctrica falló. La red volvió por la tarde. Los técnicos revisaron la red durante la noche."
    keywords = extract_keywords("Falla la red eléctrica", text, "es")
    assert "red" in {k.lower() for k in keywords} or "red eléctrica" in keywords, keywords


def test_a_title_cased_headline_makes_no_verb_a_name() -> None:
    """A Title Cased Headline capitalises its verbs ("Developers Created A Faster Parser"): only the body's capitals
    make a name, so "Created" is no keyword."""
    text = "The parser reads feeds. Developers say the parser is fast, and the parser reads Atom too."
    keywords = extract_keywords("Developers Created A Faster Parser", text, "en", limit=25)
    assert not {"Created", "created", "Faster", "faster"}.intersection(keywords), keywords
    assert "parser" in {k.lower() for k in keywords}, keywords
