"""entities: names typed by their own words, not by a given name or a preposition before them.

Greetings ("Merry Christmas"), products named with a given name ("Claude Code"), programming languages after "in"
("in JavaScript") and German compounds ("Robert Koch-Institut") each read once as something they are not.
"""

from __future__ import annotations

import pytest

from worker import entities, lexicon
from worker.entities import extract_entities, find_mentions


def _found(text: str, language: str = "en") -> set[tuple[str, str]]:
    return {(e.name, e.type) for e in extract_entities("", text, language)}


def _of_type(found: set[tuple[str, str]], kind: str) -> set[str]:
    return {name for name, k in found if k == kind}


@pytest.mark.parametrize(
    ("text", "greeting"),
    [
        ("We wish all our readers a Merry Christmas.", "Merry Christmas"),
        ("Merry Christmas from everyone at the paper.", "Merry Christmas"),
        ("The staff said Happy Thanksgiving to every guest.", "Happy Thanksgiving"),
        ("Crowds shouted Happy New Year as the clock struck midnight.", "Happy New Year"),
        ("Cards reading Merry Christmas and Happy New Year sold out.", "Happy New Year"),
        ("Fans sang Happy Birthday to the coach.", "Happy Birthday"),
    ],
)
def test_a_greeting_is_no_name(text: str, greeting: str) -> None:
    """A greeting for a holiday ("Merry Christmas", "Happy New Year") is no person and no name at all, though
    "Merry" is a given name and "said" comes before it."""
    names = {name for name, _ in _found(text)}
    assert not [n for n in names if greeting in n or n in greeting], names


def test_people_beside_a_greeting_stay_people() -> None:
    """The holiday words only make a greeting after "Merry" or "Happy": "Johnnie Christmas" and "Merry Clayton"
    are people."""
    found = _found(
        "Johnnie Christmas, who drew the book, said Merry Christmas to the crowd. Merry Clayton, who sang on the "
        "record, said she was happy."
    )
    assert {"Johnnie Christmas", "Merry Clayton"} <= _of_type(found, "person"), found
    assert "Merry Christmas" not in {name for name, _ in found}, found


@pytest.mark.parametrize(
    ("text", "product"),
    [
        ("Developers now use Claude Code to write software.", "Claude Code"),
        ("Anthropic said Claude Code would be free for students.", "Claude Code"),
        ("Users of Claude Desktop reported the bug on Monday.", "Claude Desktop"),
        ("The plug-in for Martin Studio was released, said the firm.", "Martin Studio"),
        ("The team built Claude Code, which now writes most of its software.", "Claude Code"),
    ],
)
def test_a_given_name_before_a_product_noun_is_no_person(text: str, product: str) -> None:
    """A given name followed by a common noun that no one has for a surname ("Code", "Desktop", "Studio") names a
    product, even after "said" or before "…, which"."""
    people = _of_type(_found(text), "person")
    assert not [p for p in people if product in p or p in product], people


@pytest.mark.parametrize(
    ("text", "person"),
    [
        ("The guitarist Jack White played a new song on Tuesday.", "Jack White"),
        ("The foundation was started by Microsoft co-founder Bill Gates in 2000.", "Bill Gates"),
        ("The painter Claude Monet lived in Giverny.", "Claude Monet"),
        ("Apple chief Tim Cook said sales rose.", "Tim Cook"),
        ("Rachel Cloud, who runs the studio, said the app was late.", "Rachel Cloud"),
        ("The film was directed by Claude Lelouch, who said it was his last.", "Claude Lelouch"),
    ],
)
def test_people_whose_surname_is_a_noun_stay_people(text: str, person: str) -> None:
    """A surname that is also an English word ("White", "Gates", "Cook", "Cloud") still makes a person: the product
    nouns are none of them."""
    assert person in _of_type(_found(text), "person")


def test_product_nouns_are_no_frequent_surnames() -> None:
    """The nouns that end product names are never a frequent surname: a person named "Anna Code" is rarer than a
    product named "Claude Code", and "Jack White" keeps his."""
    assert not entities._THING_TAILS & lexicon.surnames()


@pytest.mark.parametrize(
    ("text", "language_name"),
    [
        ("Most of the web is written in JavaScript, and more of it in TypeScript.", "JavaScript"),
        ("The tool was rewritten in TypeScript last year.", "TypeScript"),
        ("The scripts run in PowerShell on every server.", "PowerShell"),
        ("The model was trained in Python and served in Rust.", "Python"),
        ("The model was trained in Python and served in Rust.", "Rust"),
        ("Its kernel is written in Haskell, its shell in Perl.", "Haskell"),
    ],
)
def test_a_programming_language_after_in_is_no_place(text: str, language_name: str) -> None:
    """ "in" before a programming language ("in JavaScript", "in Python") is no sign of a place: a name with a
    capital inside ("JavaScript", "PowerShell") is a brand's, and the languages written like words are listed."""
    assert language_name not in _of_type(_found(text), "place")


@pytest.mark.parametrize(
    "text",
    [
        "The parser is written in Python. Most bugs were found by Python itself, said the author.",
        "Python, which turned 30 this year, is still growing.",
    ],
)
def test_a_programming_language_is_no_person(text: str) -> None:
    """A language named like a word is no person by a context cue ("by Python", "Python, which")."""
    assert "Python" not in _of_type(_found(text), "person")


def test_a_person_with_a_language_for_a_surname_stays_a_person() -> None:
    """A person named in full ("Jenny Rust") stays one, and the surname alone later is that person."""
    found = extract_entities(
        "", "Jenny Rust, who chairs the board, spoke first. Later Rust said the vote was close.", "en"
    )
    assert ("Jenny Rust", "person", 2) in {(e.name, e.type, e.count) for e in found}, found


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("The plant was built in DeKalb last year.", "DeKalb"),
        ("Floods in McMinnville closed the road.", "McMinnville"),
        ("Heavy rain fell in LaGrange on Monday.", "LaGrange"),
        ("Volcanic ash fell in Java on Sunday.", "Java"),
        ("She grew up in Oban and moved away.", "Oban"),
    ],
)
def test_a_place_after_in_stays_a_place(text: str, place: str) -> None:
    """Places written with a capital inside after a short prefix ("DeKalb", "McMinnville", "LaGrange") and an island
    named like a language ("Java") stay places after "in"."""
    assert place in _of_type(_found(text), "place")


@pytest.mark.parametrize(
    ("text", "language", "organisation"),
    [
        ("The Robert Koch-Institut reported 500 new cases on Monday.", "en", "Robert Koch-Institut"),
        ("Das Robert Koch-Institut meldet 500 neue Fälle.", "de", "Robert Koch-Institut"),
        ("Laut dem Robert Koch-Institut steigen die Zahlen.", "de", "Robert Koch-Institut"),
        ("Forscher am Max-Planck-Institut haben das gezeigt.", "de", "Max-Planck-Institut"),
        ("She studied at the Ludwig-Maximilians-Universität in Munich.", "en", "Ludwig-Maximilians-Universität"),
        ("An der Heinrich-Heine-Universität studieren 30.000 Menschen.", "de", "Heinrich-Heine-Universität"),
        ("Die Friedrich-Ebert-Stiftung lud zur Debatte ein.", "de", "Friedrich-Ebert-Stiftung"),
        ("Patienten im Robert-Bosch-Krankenhaus warten.", "de", "Robert-Bosch-Krankenhaus"),
        ("Die Hans Böckler Stiftung legte die Studie vor.", "de", "Hans Böckler Stiftung"),
    ],
)
def test_a_german_compound_with_an_organisation_head_is_one_organisation(
    text: str, language: str, organisation: str
) -> None:
    """A German compound whose last part heads organisations ("-Institut", "-Universität", "-Stiftung") names one
    organisation, not the person it is named after ("Robert Koch") and a word after."""
    found = _found(text, language)
    assert (organisation, "organization") in found, found
    assert not _of_type(found, "person"), found


@pytest.mark.parametrize(
    ("text", "noun"),
    [
        ("Die Kfz-Versicherung wird teurer.", "Kfz-Versicherung"),
        ("Die Cyber-Versicherung zahlt nicht immer.", "Cyber-Versicherung"),
        ("Er lag in der HNO-Klinik, sagte sie.", "HNO-Klinik"),
        ("Sie stehen in der Mitte der Gesellschaft, sagte er.", "Mitte der Gesellschaft"),
        ("Das Institut meldet neue Zahlen.", "Institut"),
    ],
)
def test_a_german_compound_of_common_nouns_is_no_organisation(text: str, noun: str) -> None:
    """A compound or a genitive with an organisation head but no given name before it is a common noun ("car
    insurance", "the middle of society"), and the head alone is one too."""
    assert noun not in {name for name, _ in _found(text, "de")}


def test_the_acronym_of_a_german_compound_is_the_organisation() -> None:
    """ "Robert Koch-Institut (RKI)": the acronym is the organisation too."""
    found = _found("Das Robert Koch-Institut (RKI) meldet neue Fälle. Das RKI rechnet mit mehr.", "de")
    assert {("Robert Koch-Institut", "organization"), ("RKI", "organization")} <= found, found


@pytest.mark.parametrize(
    ("text", "language", "person"),
    [
        ("Annegret Kramp-Karrenbauer sagte am Montag, sie trete zurück.", "de", "Annegret Kramp-Karrenbauer"),
        ("Hans-Peter Friedrich, who led the ministry, said no.", "en", "Hans-Peter Friedrich"),
        ("The vaccine was tested by Robert Koch, who worked in Berlin.", "en", "Robert Koch"),
    ],
)
def test_hyphenated_names_of_people_stay_people(text: str, language: str, person: str) -> None:
    """A hyphen inside a person's name ("Kramp-Karrenbauer", "Hans-Peter") makes no organisation: only an
    organisation head after the hyphen does."""
    assert person in _of_type(_found(text, language), "person")


def test_a_german_compound_mention_has_its_span() -> None:
    """The organisation's span is the whole compound, the given name it opens with included."""
    text = "Das Robert Koch-Institut meldet 500 neue Fälle."
    spans = {(text[m.start : m.end], m.type) for m in find_mentions(text, "de")}
    assert ("Robert Koch-Institut", "organization") in spans, spans
