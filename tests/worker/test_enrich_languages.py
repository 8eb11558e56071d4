"""enrich outside English: German names read as a German reader reads them.

Every text here is a sentence or two of a real page of ../shared/corpus/articles/trafilatura-eval (the page's file
named beside it; the pages belong to their sites, collected under Apache-2.0 by trafilatura's evaluation set).
"""

from __future__ import annotations

import pytest

from worker.enrich import enrich
from worker.entities import extract_entities
from worker.parse import ParsedArticle


def _found(text: str, language: str = "de") -> set[tuple[str, str]]:
    return {(e.name, e.type) for e in extract_entities("", text, language)}


def _names(text: str, language: str = "de") -> set[str]:
    return {name for name, _ in _found(text, language)}


@pytest.mark.parametrize(
    ("text", "person", "role"),
    [
        (  # vipflash.de-Ehezoff.html
            "Nach der Trennung von ihrem Ehemann Oliver Pocher (45) scheint Amira (31) bereits eine neue Liebe "
            "gefunden zu haben.\n\nOliver Pocher sieht die Dinge jedoch anders und äußert sich recht deutlich.",
            "Oliver Pocher",
            "Ehemann",
        ),
        (  # fr.de.nordkorea.html
            "Inmitten der Spekulationen über den Verbleib von Nordkoreas Machthaber Kim Jong Un hat US-Präsident "
            "Donald Trump indirekt erklärt, dass dieser noch am Leben sei. Auf die Frage, ob er neue Informationen "
            "zu Kims Gesundheitszustand habe, sagte Trump am Montag.",
            "Donald Trump",
            "US-Präsident",
        ),
        (  # drk.de-Glasgow.html
            '"Der Klimawandel schafft beispiellose humanitäre Not", sagt DRK-Generalsekretär Christian Reuter.',
            "Christian Reuter",
            "DRK-Generalsekretär",
        ),
        (  # Popkultur.de-Schauspieler.html
            "Der amerikanische Schauspieler Lee Pace, der für seine überzeugenden Leistungen in Film, Theater und "
            "Fernsehen bekannt ist, hat in der Unterhaltungsbranche große Erfolge erzielt.",
            "Lee Pace",
            "Schauspieler",
        ),
    ],
)
def test_a_german_role_before_a_name_is_no_part_of_it(text: str, person: str, role: str) -> None:
    """German writes a role as a capitalised noun right before the name ("ihrem Ehemann Oliver Pocher",
    "US-Präsident Donald Trump"): the person is the name from the given name on, not "Ehemann Oliver Pocher"."""
    found = _found(text)
    assert (person, "person") in found, found
    assert not [name for name, _ in found if role in name], found


@pytest.mark.parametrize(
    ("text", "nouns"),
    [
        (  # archive.org.muffinrezept.net.grundrezept.html
            "Zutaten\n\n- 250 Gramm Mehl\n\n- 250 Gramm Butter\n\n- 150 Gramm Zucker\n\n- 4 Eier\n\nZubereitung\n\n"
            "- Als erstes das Mehl in eine Schüssel sieben und dann den Rest der Zutaten nach und nach dazugeben.\n\n"
            "- Eine Muffinform mit etwas Butter einfetten und leicht mit Mehl bestreuen.",
            {"Gramm", "Mehl", "Zucker"},
        ),
        (  # apolut.net-Sonja-Silberhorn.html
            "Unterm Strich lässt sich die Entscheidung auf zwei Gründe herunterbrechen: Einerseits standen für den "
            "Verlag das Thema Corona und die in diesem Zusammenhang deutlich sichtbar gewordenen Verwerfungen zu "
            "sehr im Vordergrund. Will wirklich kaum noch jemand etwas von Corona hören?",
            {"Thema", "Corona"},
        ),
    ],
)
def test_german_nouns_before_a_surname_are_no_person(text: str, nouns: set[str]) -> None:
    """Two German nouns in a row, the second also an American surname ("Gramm Mehl", "Thema Corona"), are no
    person when the text writes the name after an article or a number ("250 Gramm Mehl", "das Thema Corona"),
    nor is the noun alone elsewhere ("das Mehl") that person."""
    found = _found(text)
    persons = {name for name, kind in found if kind == "person"}
    assert not [p for p in persons if nouns.intersection(p.split())], found


@pytest.mark.parametrize(
    ("text", "noun"),
    [
        (  # SW1.News-Heimat.html
            "Und deshalb freute sich Thomas Häußinger zwar insgeheim ein kleines bisschen auch für den Erfolg des FC "
            "Augsfeld, weniger aber, dass das Team aus seinem Wohnort ausgerechnet seine eigene Mannschaft besiegte.",
            "Team",
        ),
        (  # baumev.de.Transformationslabor.html
            "Ausschlaggebend für die Initiative zum Transformationslabor Ernährung waren die ehrgeizigen Ziele aus "
            'dem Maßnahmenpaket "Fit for 55" der Europäischen Kommission zur Umsetzung des Green Deal.',
            "Initiative",
        ),
        (  # 0a4a8ab61c054192b1ec70cc3570cf45.html (a rail travel blog)
            '"Um unseren Gästen dort weiterhin den bestmöglichen Komfort und Service bieten zu können, können wir den '
            'Zutritt daher nur noch für Kunden mit 1. Klasse Flexpreis-Tickets bzw. für BahnComfort Kunden anbieten."',
            "Service",
        ),
    ],
)
def test_an_english_organisation_head_alone_is_a_german_noun(text: str, noun: str) -> None:
    """The words that head organisations in English ("Ferrari Team", "Service") are common nouns alone in German
    ("das Team", "die Initiative"): no organisation, unless the list of organisations names them."""
    assert noun not in _names(text), _found(text)


def test_the_same_words_stay_names_in_english() -> None:
    """The German readings leave English alone: a role after "said" and a head word mid-sentence keep their types."""
    found = _found("The Team said on Monday that Donald Trump would visit Berlin.", "en")
    assert ("Donald Trump", "person") in found
    assert ("Berlin", "place") in found


def test_a_name_after_a_role_opens_with_a_given_name_not_a_place() -> None:
    """After a role noun the name opens with a given name: "Charlotte" of "GROOVE-Autorin Charlotte Elsen" is no
    Charlotte in North Carolina (groove.de-Anti-A100-Aktivist.html)."""
    text = (
        "Um dieser Frage auf den Grund zu gehen, hat GROOVE-Autorin Charlotte Elsen Tobias Trommer vom Aktionsbündnis "
        "A100 stoppen! getroffen\n\nTreffpunkt ist Berlin-Friedrichshain, direkt vor der Renate, einem der fünf Clubs."
    )
    found = _found(text)
    assert ("Charlotte", "place") not in found, found
    assert not [name for name, _ in found if "GROOVE-Autorin" in name], found


def test_a_person_named_in_full_is_one_keyword() -> None:
    """Where every noun is capitalised the keywords cannot tell a name from two nouns, and gave "Hubert" and
    "Aiwanger" as two keywords; the entities know the person: one keyword, "Hubert Aiwanger"
    (proplanta.de.erloesobergrenze.html, whole)."""
    parsed = ParsedArticle(
        title="Bayern fordert höhere Erlösobergrenzen für Bioenergie",
        text="München / Berlin - Bayerns Wirtschaftsminister Hubert Aiwanger hat eine Bundesratsinitiative auf den Weg "
        "gebracht, die Betreibern von Bioenergieanlagen trotz Strompreisbremse deutlich höhere Erlösobergrenzen "
        "sichern soll.",
        url=None, canonical_url=None, authors=[], published_at=None, source_name=None, source_domain="proplanta.de",
    )  # fmt: skip
    keywords = enrich(parsed).keywords
    assert "Hubert Aiwanger" in keywords, keywords
    assert "Hubert" not in keywords and "Aiwanger" not in keywords, keywords
