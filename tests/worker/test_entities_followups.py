"""entities on German pages: an acronym in brackets after a person is not that person, a layout gap or a pronoun
ends a person's name, and a role noun after a sentence's article leaves the name after it a person."""

from __future__ import annotations

import pytest

from worker.entities import extract_entities


def _typed(text: str) -> set[tuple[str, str]]:
    return {(e.name, e.type) for e in extract_entities("", text, "de")}


@pytest.mark.parametrize(
    ("text", "acronym"),
    [
        # trafilatura-eval together.ch.schaffhausen: GF is the company Georg Fischer AG
        ("In Schaffhausen sind Firmen mit Top Angeboten zu Hause. Weltkonzerne wie ABB, Garmin, Georg Fischer (GF), "
         "IVF Hartmann, IWC Schaffhausen, Syntegon oder Unilever sind nur einige davon.", "GF"),
        # trafilatura-eval mpimet.de.klimasystem: the firm each member of the team works for
        ("Das Team, das diese spezielle Simulation durchgeführt hat, bestand aus Hendryk Bockelmann (DKRZ), Niklas "
         "Röber (NVIDIA), Helmuth Haak, Daniel Klocke, René Redler und Bjorn Stevens (MPI-M).", "NVIDIA"),
    ],
)  # fmt: skip
def test_an_acronym_after_a_person_is_no_person(text: str, acronym: str) -> None:
    """An acronym in brackets after a person's name names the firm, not the person (initials are rare in news)."""
    found = _typed(text)
    assert (acronym, "person") not in found, found
    assert (acronym, "organization") in found, found


def test_an_acronym_after_an_organisation_still_takes_its_type() -> None:
    """ "Kennedy Space Center (KSC)": an acronym after a name that is no person keeps taking that name's type."""
    found = {(e.name, e.type) for e in extract_entities("", "Kennedy Space Center (KSC) said KSC would reopen.", "en")}
    assert ("KSC", "place") in found or ("KSC", "organization") in found, found
    assert ("KSC", "person") not in found


def test_a_layout_gap_ends_a_name() -> None:
    """Two spaces between capitalised words (a contact block flattened into one line) part two names."""
    # trafilatura-eval mpimet.de.klimasystem: its "Kontakt" block with the line breaks flattened, as a feed does
    text = "Kontakt:  Dr. Hendryk Bockelmann  Deutsches Klimarechenzentrum, DKRZ  Dr. Niklas Röber  NVIDIA  E-Mail"
    found = _typed(text)
    assert ("Niklas Röber", "person") in found, found
    assert not [name for name, kind in found if "NVIDIA" in name and kind == "person"], found


def test_a_pronoun_after_a_byline_is_not_the_persons() -> None:
    """A German pronoun opening the sentence after a byline ("Cem Basman Ich würde …") is no part of the name."""
    # trafilatura-eval sprechblase.wordpress.com.zapfsaeulen
    text = "Elektro-Zapfsäulen. 17/11/2019 ~ Cem Basman Ich würde ja in smarte und wirtschaftliche Elektro-Zapfsäulen investieren."
    found = _typed(text)
    assert ("Cem Basman", "person") in found, found
    assert ("Cem Basman Ich", "person") not in found


@pytest.mark.parametrize(
    ("text", "person"),
    [
        # trafilatura-eval Ostbelgiendirekt.be-ARD-Doku
        ("Der Schriftsteller Kristof Magnusson sieht bei Loriot einen Humor, der sehr viel mit Scham zu tun habe.",
         "Kristof Magnusson"),
        # trafilatura-eval berkutschi.com-willingen
        ("Der Norweger Marius Lindvik hat den abschließenden Wettkampf des Wochenende in Willingen gewonnen.",
         "Marius Lindvik"),
        ("Der Verteidiger Matthias Ginter traf zum 1:0.", "Matthias Ginter"),
    ],
)  # fmt: skip
def test_a_role_after_a_sentences_article_leaves_the_person(text: str, person: str) -> None:
    """ "Der Schriftsteller Kristof Magnusson": the sentence's capitalised article is no name particle, so the role
    noun is cut and the person stays."""
    assert (person, "person") in _typed(text)


def test_the_sentences_article_alone_is_no_role() -> None:
    """ "Der Mercedes Citan": with no role noun between the article and the given name, nothing is cut to a person."""
    # trafilatura-eval auto-wirtschaft.ch-camping
    text = "Der Mercedes Citan avanciert mit Dachzelt und Multifunktionsbox im Kofferraum zum vielseitigen Begleiter."
    assert ("Mercedes Citan", "person") not in _typed(text)


@pytest.mark.parametrize(
    ("text", "firm"),
    [
        # trafilatura-eval bos-fahrzeuge.info-haubenfahrzeuge
        ('1903 gründete er gemeinsam mit seinen beiden Söhnen Max und Ernst die "Heinrich Büssing Specialfabrik für '
         'Motorlastwagen, Motoromnibusse und Motoren".', "Heinrich Büssing Specialfabrik"),
        ('Die Firma war in eine Kommanditgesellschaft umgewandelt worden, der Name änderte sich in "Heinrich Büssing '
         'Automobilwerke KG". Max Büssing und Paul Werners wurden persönlich haftende Gesellschafter.',
         "Heinrich Büssing Automobilwerke KG"),
    ],
)  # fmt: skip
def test_a_firm_named_after_its_founder_is_no_person(text: str, firm: str) -> None:
    """A German firm's name that a compound organisation noun ("Specialfabrik", "Automobilwerke") or a legal form
    ("KG") ends is an organisation, though a given name opens it."""
    found = _typed(text)
    assert (firm, "person") not in found, found
    assert (firm, "organization") in found, found


def test_a_speakers_initials_in_an_interview_stay_the_persons() -> None:
    """ "Swizec Teller (ST): Hey, …": initials in brackets before a colon label an interview's speaker, a person."""
    # a Learnetto podcast transcript in the feed benchmark (bench/feed_quality)
    text = "Hrishi Mittal (HM): Hi Swizec, how are you doing?\n\nSwizec Teller (ST): Hey, thanks for having me!\n\nST: Sure."
    found = {(e.name, e.type) for e in extract_entities("", text, "en")}
    assert ("ST", "person") in found, found


def test_a_german_genitive_ends_a_persons_name() -> None:
    """ "Timo Daums Bücher": a surname with the genitive -s before a noun is the person's, the noun is none of it."""
    # trafilatura-eval netzfueralle.blog.rosalux.de.netzpolitik
    text = (
        "Radikal-reformistischer Vorschlag: Zerschlagung UND Überführung in so etwas wie öffentlich-rechtliche "
        "Agenturen (vgl. Timo Daums Bücher), wo alle Stakeholder schon über die Unternehmensform beteiligt sind."
    )
    found = _typed(text)
    assert ("Timo Daum", "person") in found, found
    assert not [name for name, _ in found if "Bücher" in name], found
