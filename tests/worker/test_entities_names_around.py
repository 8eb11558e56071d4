"""entities: what stands around a name and is none of it: a person's initials in brackets after the name, a German
organisation in the genitive after a noun ("Chef der Deutschen Bank"), a German kinship word before a given name
("Vater Leopold")."""

from __future__ import annotations

import pytest

from worker.entities import extract_entities


def _typed(title: str, text: str, language: str) -> set[tuple[str, str]]:
    return {(e.name, e.type) for e in extract_entities(title, text, language)}


def _counts(title: str, text: str, language: str) -> dict[tuple[str, str], int]:
    return {(e.name, e.type): e.count for e in extract_entities(title, text, language)}


# --- a person's initials -----------------------------------------------------------------------------------------


def test_initials_in_brackets_after_a_person_are_the_persons() -> None:
    """ "Richard Stallman (RMS)": the letters fit the name (R…S, a middle initial not written), and the article goes
    on about him: RMS is his, no organisation and no entity of its own."""
    text = (
        "Richard Stallman (RMS) founded the Free Software Foundation in 1985. Stallman said the GNU project would "
        "continue."
    )
    found = _counts("Free software pioneer", text, "en")
    assert ("RMS", "organization") not in found, found
    assert not [name for name, _ in found if name == "RMS"], found
    assert found[("Richard Stallman", "person")] == 3, found  # the full name, the initials, "Stallman"


def test_initials_used_again_count_towards_the_person() -> None:
    """Later mentions of the initials are the person too: "RMS said" counts towards Richard Stallman."""
    text = (
        "Richard Stallman (RMS) founded the Free Software Foundation in 1985. RMS said the GNU project would continue."
    )
    found = _counts("Free software pioneer", text, "en")
    assert not [name for name, _ in found if name == "RMS"], found
    assert found[("Richard Stallman", "person")] == 3, found


def test_initials_of_a_hyphenated_surname_fit_the_person() -> None:
    """ "Alexandria Ocasio-Cortez (AOC)": each part of a hyphenated surname gives an initial."""
    text = "Alexandria Ocasio-Cortez (AOC) spoke in the Bronx. Ocasio-Cortez said the bill would pass."
    found = _typed("", text, "en")
    assert ("AOC", "organization") not in found, found
    assert ("Alexandria Ocasio-Cortez", "person") in found, found


def test_an_acronym_that_does_not_fit_the_initials_keeps_its_type() -> None:
    """ "John Smith (IBM)": the letters are not his initials; the acronym names the firm he is with."""
    text = "Acme Corp chief John Smith (IBM) said the deal was done. Smith said more would follow."
    found = _typed("", text, "en")
    assert ("IBM", "organization") in found, found
    assert ("John Smith", "person") in found, found


def test_initials_of_a_person_named_once_keep_their_own_type() -> None:
    """A name in brackets-fitting letters that the article never comes back to is a firm named after its founder as
    often as a person ("Georg Fischer (GF)" in a list of firms, ``test_entities_followups``): the acronym keeps its
    type."""
    text = "Suppliers such as John Deere (JD), Caterpillar and Komatsu raised prices on Monday."
    found = _typed("", text, "en")
    assert ("JD", "organization") in found, found


# --- a German organisation in the genitive --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "text", "organisation"),
    [
        ("Bankchef äußert sich",
         "Der Chef der Deutschen Bank, Christian Sewing, sagte am Montag in Frankfurt, die Bank werde weiter wachsen.",
         "Deutsche Bank"),
        ("Zinsen", "Ein Sprecher der Europäischen Zentralbank sagte am Dienstag, die Zinsen blieben unverändert.",
         "Europäische Zentralbank"),
        ("Gipfel", "Die Zahl der Mitglieder der Europäischen Union wächst weiter.", "Europäische Union"),
        ("Bank", "Er arbeitet seit Jahren bei der Deutschen Bank in Frankfurt.", "Deutsche Bank"),
    ],
)  # fmt: skip
def test_a_german_organisation_in_the_genitive_is_found_in_its_base_form(
    title: str, text: str, organisation: str
) -> None:
    """ "Chef der Deutschen Bank": the noun before the genitive is no part of the name, and the adjective the article
    inflects ("Deutschen") is filed under the name's own form ("Deutsche Bank")."""
    found = _typed(title, text, "de")
    assert (organisation, "organization") in found, found
    inflected = organisation.replace("e ", "en ", 1)
    assert not [name for name, _ in found if name.endswith(inflected)], found


@pytest.mark.parametrize(
    ("text", "organisation"),
    [
        ("Die Aktien der Commerzbank fielen am Montag deutlich.", "Commerzbank"),
        ("Ein Sprecher der Bundesbank warnte am Dienstag vor hohen Preisen.", "Bundesbank"),
        ("Shares of Credit Suisse fell while Siemens rose.", "Credit Suisse"),
        ("Shares of Credit Suisse fell while Siemens rose.", "Siemens"),
    ],
)  # fmt: skip
def test_a_listed_organisation_named_by_one_word_is_found_after_a_genitive(text: str, organisation: str) -> None:
    """A one-word firm ("Commerzbank") cannot be told by its ending from a common noun ("Datenbank", "Hausbank"):
    the list names it (worker/data/organizations.txt)."""
    language = "en" if text.startswith("Shares") else "de"
    assert (organisation, "organization") in _typed("Märkte", text, language)


def test_a_german_organisation_in_the_nominative_is_found() -> None:
    """ "Die Europäische Zentralbank": an adjective before a compound that heads organisations ("-bank") is a name."""
    found = _typed("Zinsen", "Die Europäische Zentralbank hat die Zinsen am Donnerstag erhöht.", "de")
    assert ("Europäische Zentralbank", "organization") in found, found


def test_the_genitive_and_the_nominative_are_one_organisation() -> None:
    """Both forms of the name count towards one entity."""
    text = (
        "Die Europäische Zentralbank hat die Zinsen erhöht. Ein Sprecher der Europäischen Zentralbank sagte, der "
        "Schritt sei nötig gewesen."
    )
    found = _counts("Zinsen", text, "de")
    assert found.get(("Europäische Zentralbank", "organization")) == 2, found


def test_the_sentence_article_before_an_inflected_adjective() -> None:
    """ "Der Deutschen Bank droht eine Strafe": a dative after the sentence's article, the same base form."""
    found = _typed("Strafe", "Der Deutschen Bank droht in den USA eine hohe Strafe.", "de")
    assert ("Deutsche Bank", "organization") in found, found


# --- a German kinship word ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Sein Vater Leopold war Arzt in Wien. Leopold sagte, er sei stolz auf den Sohn.",
        "Ihre Mutter Anna war Lehrerin in Graz. Anna sagte, sie sei stolz.",
        "Sein Bruder Thomas lebt in Berlin. Thomas sagte, er komme bald.",
        "Ich traf Onkel Karl in München. Karl lachte.",
    ],
)
def test_a_kinship_word_before_a_given_name_is_no_part_of_the_name(text: str) -> None:
    """ "Vater Leopold" is the father, Leopold: no person "Vater Leopold" (nor "Onkel Karl"), though the given name is
    written again. A given name alone is no person in German here (the lists cannot vouch for it)."""
    kin = ("Vater", "Mutter", "Bruder", "Onkel", "Sein", "Ihre")
    found = _typed("Familie", text, "de")
    assert not [name for name, _ in found if name.split(" ")[0] in kin], found


@pytest.mark.parametrize(
    ("text", "person"),
    [
        ("Sein Vater Leopold Mozart war Musiker in Salzburg.", "Leopold Mozart"),
        ("Sein Bruder Thomas Müller lebt in Berlin.", "Thomas Müller"),
        ("Sein Onkel Karl Lagerfeld arbeitete in Paris.", "Karl Lagerfeld"),
        ("Die Tante Maria Huber wohnt in Linz.", "Maria Huber"),
        ("Angela Merkels Vater Horst Kasner war Pfarrer.", "Horst Kasner"),
    ],
)  # fmt: skip
def test_the_person_after_a_kinship_word_is_found(text: str, person: str) -> None:
    """ "Sein Vater Leopold Mozart": the kinship word and the possessive before it are cut off, the person stays."""
    found = _typed("Familie", text, "de")
    assert (person, "person") in found, found
    assert not [name for name, _ in found if name != person and name.endswith(person)], found


def test_a_persons_genitive_before_a_kinship_word_stays_the_person() -> None:
    """ "Angela Merkels Vater Horst Kasner": the genitive before the kinship word is Angela Merkel."""
    found = _typed("Familie", "Angela Merkels Vater Horst Kasner war Pfarrer.", "de")
    assert ("Angela Merkel", "person") in found, found


def test_an_english_title_that_is_a_kinship_word_is_left_alone() -> None:
    """ "Father Brown" (a priest): English titles are not German kinship words."""
    found = _typed("", "Father Brown solved the case in London.", "en")
    assert ("Father Brown", "person") in found, found


def test_initials_after_a_name_typed_only_by_a_guess_keep_their_type() -> None:
    """ "Screen Actors Guild (SAG)": a name that only a guess makes a person (three plain words, a surname last) does
    not take the acronym, which stays the organisation it names alone."""
    # trafilatura-eval reuters.com.parasite
    title = "'Parasite' scores historic upset at SAG awards, boosting Oscar chances"
    text = (
        'LOS ANGELES (Reuters) - South Korean thriller "Parasite" was the upset winner at the Screen Actors Guild '
        "(SAG) awards on Sunday, while Joaquin Phoenix and Renee Zellweger were named best actors, cementing their "
        'roles as frontrunners at the Oscars next month.\n\n"Parasite," the Korean language social satire about the '
        "wealth gap in South Korea, was the first film in a foreign language to win the top prize of best cast "
        "ensemble in the 26 year-history of the SAG awards."
    )
    found = _typed(title, text, "en")
    assert ("SAG", "organization") in found, found


def test_a_noun_after_a_genitive_does_not_take_a_persons_surname() -> None:
    """ "Diplomaten der Name Arend": "Name Arend" is no person, and the later "Arend" stays Christophe Arend's."""
    # trafilatura-eval handelsblatt.com.grenzschliessungen
    text = (
        '"Das ist eine Form der Abstimmung zwischen beiden Regierungen", sagt Christophe Arend, französischer '
        "Abgeordneter. Fällt im Gespräch mit deutschen Beamten oder Diplomaten der Name Arend, atmen die tief "
        "durch.\n\nArend nervt sie, er ist einer, der sich nicht abwimmeln lässt."
    )
    found = _counts("Grenzschließungen", text, "de")
    assert found.get(("Christophe Arend", "person")) == 2, found  # the full name, "Arend nervt"
    assert not [name for name, _ in found if name.startswith("Name")], found


def test_an_inflected_adjective_after_a_quote_takes_its_base_form() -> None:
    """'der "Deutschen Presseagentur"': the article before the opening quote inflects the adjective all the same."""
    found = _typed("Demo", 'Das teilte die Polizei auf Anfrage der "Deutschen Presseagentur" mit.', "de")
    assert ("Deutsche Presseagentur", "organization") in found, found
