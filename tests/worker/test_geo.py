"""geo: ISO country codes from places, unambiguous demonyms and, failing those, the source's domain."""

from __future__ import annotations

import pytest

from schemas import Entity
from tests.helpers import make_raw_article
from worker.entities import extract_entities
from worker.geo import countries_for
from worker.parse import parse


def _place(name: str, count: int = 1) -> Entity:
    return Entity(name=name, type="place", count=count)


def test_seed_countries(seed_text: str) -> None:
    """The seed is about China and the United States, China first."""
    parsed = parse(make_raw_article(content=seed_text))
    entities = extract_entities(parsed.title, parsed.text, "en")
    codes = countries_for(entities, parsed.text, parsed.source_domain)
    assert codes[:2] == ["CN", "US"]


@pytest.mark.parametrize(
    ("places", "expected"),
    [
        (["Hebei"], ["CN"]),
        (["New Orleans"], ["US"]),
        (["Jiangsu", "Shanghai"], ["CN"]),
        (["United States"], ["US"]),
        (["Britain"], ["GB"]),
        (["Bavaria"], ["DE"]),
        (["Middle East"], []),
        (["Atlantis Plains"], []),
    ],
)
def test_places_to_codes(places: list[str], expected: list[str]) -> None:
    """Provinces and cities name their country; regions and unknown places name none."""
    assert countries_for([_place(p) for p in places], "", None) == expected


def test_most_mentioned_first() -> None:
    """Codes are ordered by how often the article mentions each country."""
    entities = [_place("Paris"), _place("Tokyo", 3), _place("Osaka")]
    assert countries_for(entities, "", None) == ["JP", "FR"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Chinese and American investigators met.", ["CN", "US"]),
        ("Two Afghans and a Brazilian were rescued.", ["AF", "BR"]),
        ("Korean negotiators arrived.", []),  # North or South: not unambiguous
        ("The chinese restaurant.", []),  # lower case is not a demonym in English
    ],
)
def test_demonyms(text: str, expected: list[str]) -> None:
    """Demonyms that name one country count; ambiguous ones do not."""
    assert countries_for([], text, None) == expected


def test_source_domain_only_as_fallback() -> None:
    """A country-code domain speaks only when the text names no country."""
    assert countries_for([], "A local council met.", "www.lemonde.fr") == ["FR"]
    assert countries_for([_place("Kenya")], "", "www.bbc.co.uk") == ["KE"]
    assert countries_for([], "A local council met.", "example.io") == []
    assert countries_for([], "", None) == []


def test_german_man_is_not_cote_divoire() -> None:
    """ "Man muss …" opens a German sentence: no place Man, so no CI; the source's domain speaks instead."""
    text = "Die Bahn erhöht die Preise. Man muss mehr zahlen."
    entities = extract_entities("Preise", text, "de")
    assert countries_for(entities, text, "bahn.de") == ["DE"]


@pytest.mark.parametrize(
    "text",
    [
        "McAleenan resigned and Chad Wolf has been named new DHS acting secretary.",
        "Cocoa (1-2): Jordan Munoz 8 saves. Palm Bay Magnet beat Astronaut 5-0.",
    ],
)
def test_person_named_after_a_country_gives_no_country(text: str) -> None:
    """ "Chad Wolf" and "Jordan Munoz" are people: no TD, no JO."""
    entities = extract_entities("", text, "en")
    codes = countries_for(entities, text, None)
    assert not {"TD", "JO"} & set(codes)


@pytest.mark.parametrize(
    ("text", "expected", "absent"),
    [
        ("Apple updated the Touch Bar on the MacBook Pro this week.", [], {"ME"}),
        ("James Van Der Beek starred in the show. Van Der Beek said he was happy to return.", [], {"TR"}),
        ("The film was shot in Paris, Texas, in 1983. Paris is a small town.", ["US"], {"FR"}),
        ("He grew up in Athens, Georgia, and moved to Houston.", ["US"], {"GR", "GE"}),
        ("Georgia Power said on Monday it would raise rates for customers in Atlanta.", ["US"], {"GE"}),
        ("Michael Jordan played for the Bulls. Jordan scored 30 points on Friday night.", [], {"JO"}),
        ("Troops from Moscow, Georgia, Ukraine and Belarus met.", ["RU", "GE", "UA", "BY"], {"US"}),
        ("Leaders of Armenia, Georgia, Azerbaijan and Turkey met.", ["AM", "GE", "AZ", "TR"], {"US"}),
    ],
)
def test_place_words_inside_other_names_give_no_country(text: str, expected: list[str], absent: set[str]) -> None:
    """Products, surnames, US towns named after foreign cities and state utilities give no foreign country."""
    codes = countries_for(extract_entities("", text, "en"), text, None)
    assert codes == expected and not absent & set(codes)


@pytest.mark.parametrize(("name", "code"), [("Paris, Texas", "US"), ("Georgia (U.S. state)", "US")])
def test_qualified_place_names_to_codes(name: str, code: str) -> None:
    """A place filed under "<city>, <US state>" or as the U.S. state is in the US."""
    assert countries_for([_place(name)], "", None) == [code]
