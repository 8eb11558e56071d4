"""The given-name list: common continental European given names are on it, common words are not, and the
generated part is what ``worker.data.build_given_names`` writes."""

from __future__ import annotations

from importlib import resources

from worker import lexicon
from worker.data.build_given_names import MARKER
from worker.entities import extract_entities
from worker.lexicon import words

# The Census 1990 list lacks them; German news names people by them every day.
GERMAN_GIVEN_NAMES = words(
    """Georg Jochen Karsten Matthias Johannes Jörg Klaus Dieter Uwe Sven Volker Axel Philipp Günter
    Heiko Friedrich Rainer Ralf Bernd Hartmut Torsten Ulrich Lothar Franziska Beate Frauke Bärbel"""
)
# From the other news languages' lists.
OTHER_GIVEN_NAMES = words("Piotr Krzysztof Giorgio Gianluca Thierry Didier Joaquín Gonçalo Jeroen Maarten")
# Words, never a name's first word: German nouns (capitalised wherever they stand), words of the other news
# languages and English ones that the name lists also give.
NOT_GIVEN_NAMES = words(
    """Winter Sommer Kurz Wolf Berg Art Tod Oma Linde Corona Ernst Salud Gioia Abril Fleur Noël Edit Floor
    Constant Will Suse"""
)


def _text() -> str:
    return resources.files("worker.data").joinpath("given_names.txt").read_text(encoding="utf-8")


def test_common_continental_given_names_are_listed() -> None:
    assert lexicon.given_names() >= GERMAN_GIVEN_NAMES | OTHER_GIVEN_NAMES


def test_common_words_are_no_given_names() -> None:
    assert lexicon.given_names().isdisjoint(NOT_GIVEN_NAMES)


def test_generated_names_are_no_stop_words_of_the_news_languages() -> None:
    """None of the generated part is a stop word (the Census part has "Das", "Mit", "Les")."""
    generated = [n for n in _text().split(f"\n{MARKER}", 1)[1].splitlines()[1:] if n]
    assert len(generated) > 2000
    stop = {w for language in ("de", "nl", "fr", "es", "it", "pt", "pl", "en") for w in lexicon.stopwords(language)}
    assert [n for n in generated if n.lower() in stop] == []


def test_the_file_names_its_sources() -> None:
    header = [line for line in _text().splitlines() if line.startswith("#")]
    assert "US Census Bureau 1990" in header[0]
    assert header[1].startswith(MARKER) and "Faker" in header[1]


def test_a_german_role_noun_is_cut_before_a_listed_given_name() -> None:
    """The role in "Trainer Jochen Hartmann" is cut off only before a listed given name."""
    text = "Trainer Jochen Hartmann sagte am Montag, die Mannschaft sei bereit. Hartmann lobte die Spieler."
    people = {e.name for e in extract_entities("", text, "de") if e.type == "person"}
    assert people == {"Jochen Hartmann"}


def test_german_people_are_found_by_their_given_names() -> None:
    text = "Uwe Schneider und Jörg Meuthen sprachen mit Dieter Reiter und Volker Wissing."
    people = {e.name for e in extract_entities("", text, "de") if e.type == "person"}
    assert people == {"Uwe Schneider", "Jörg Meuthen", "Dieter Reiter", "Volker Wissing"}


def test_nouns_that_were_census_names_open_no_person() -> None:
    """Census names that are words ("Art", "Winter", "Tod") opened German noun phrases and English headings as
    people."""
    german = "Die Art von Hass hat zugenommen. Im Winter Gemüse anbauen ist schwer. Der Tod Kims wurde bestätigt."
    english = "The Art of Community is a book about open source."
    found = extract_entities("", german, "de") + extract_entities("", english, "en")
    assert [e.name for e in found if e.type == "person"] == []
