"""entities: people, organisations and places, one entry per name, titles and possessives cut; bad input is safe."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas import Entity
from tests.helpers import make_raw_article
from worker import entities
from worker.entities import BackendUnavailableError, extract_entities, find_mentions, load_backend
from worker.parse import parse


def _names(entities: list[Entity], kind: str) -> set[str]:
    return {e.name for e in entities if e.type == kind}


@pytest.fixture(scope="module")
def seed_entities(seed_text: str) -> list[Entity]:
    parsed = parse(make_raw_article(content=seed_text))
    return extract_entities(parsed.title, parsed.text, "en")


def test_seed_people(seed_entities: list[Entity]) -> None:
    """The seed names its six people in full, whatever short form the text uses."""
    people = _names(seed_entities, "person")
    assert {"Donald Trump", "Austin Moore", "Jim Carroll", "Yu Haibin", "Scott Stewart", "Liu Yong"} <= people
    assert not {"Trump", "Moore", "Carroll", "Yu", "President Donald Trump"} & people


def test_seed_places(seed_entities: list[Entity]) -> None:
    """Countries, provinces and cities of the seed are places."""
    assert {"China", "Hebei", "Shanghai", "Jiangsu", "New Orleans"} <= _names(seed_entities, "place")


def test_seed_organisations(seed_entities: list[Entity]) -> None:
    """The court, the commission and the think tank are organisations, named without "the"."""
    orgs = _names(seed_entities, "organization")
    assert {
        "Xingtai Intermediate People's Court",
        "National Narcotics Control Commission",
        "Stratfor",
    } <= orgs


def test_seed_counts_merge_short_forms(seed_entities: list[Entity]) -> None:
    """ "President Donald Trump's", "Trump's" and "President Trump" are one entry counted four times."""
    trump = next(e for e in seed_entities if e.name == "Donald Trump")
    assert trump.count == 4
    moore = next(e for e in seed_entities if e.name == "Austin Moore")
    assert moore.count == 3


def test_seed_no_demonyms_or_months(seed_entities: list[Entity]) -> None:
    """Demonyms, months and days are not entities."""
    names = {e.name for e in seed_entities}
    assert not {"Chinese", "American", "Americans", "Thursday", "November", "September"} & names


def _one(text: str) -> list[tuple[str, str, int]]:
    return [(e.name, e.type, e.count) for e in extract_entities("", text, "en")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "President Donald Trump's plan was criticised. Later Trump said he had not read it.",
            [("Donald Trump", "person", 2)],
        ),
        (
            "Prime Minister Boris Johnson met Chancellor Angela Merkel in Berlin on Monday.",
            [("Boris Johnson", "person", 1), ("Angela Merkel", "person", 1), ("Berlin", "place", 1)],
        ),
        (
            "U.S. Secretary of State Mike Pompeo arrived in Seoul.",
            [("United States", "place", 1), ("Mike Pompeo", "person", 1), ("Seoul", "place", 1)],
        ),
        (
            "She studied at the University of Texas before joining Goldman Sachs.",
            [("University of Texas", "organization", 1), ("Texas", "place", 1), ("Goldman Sachs", "organization", 1)],
        ),
        (
            "The Ministry of Defence said the drills near Lake Baikal would go on.",
            [("Ministry of Defence", "organization", 1), ("Lake Baikal", "place", 1)],
        ),
        (
            "Police in Jiangsu province arrested Wang Lei, who ran a lab.",
            [("Jiangsu", "place", 1), ("Wang Lei", "person", 1)],
        ),
        (
            "Despite warnings, China and Russia signed the deal.",
            [("China", "place", 1), ("Russia", "place", 1)],
        ),
        ("", []),
    ],
)
def test_table(text: str, expected: list[tuple[str, str, int]]) -> None:
    """Names come out cut to the name, typed, and counted once per mention."""
    assert sorted(_one(text)) == sorted(expected)


@pytest.mark.parametrize(
    ("text", "org"),
    [
        ("The Greek Ministry of Culture said the temple would reopen.", "Greek Ministry of Culture"),
        ("The boat was stopped by the Indonesian Navy on Friday.", "Indonesian Navy"),
        ("He gave the prints to the Andy Warhol Foundation for the Visual Arts in 2008.",
         "Andy Warhol Foundation for the Visual Arts"),
        ("She teaches at Duke University in North Carolina.", "Duke University"),
        ("Workers at General Motors went on strike.", "General Motors"),
    ],
)  # fmt: skip
def test_organisations_without_a_listed_name(text: str, org: str) -> None:
    """An organisation head names the organisation before a demonym, a title word, or a "for" after a given name."""
    found = {(name, kind) for name, kind, _ in _one(text)}
    assert (org, "organization") in found
    assert not any(kind == "person" for _, kind in found)


def test_mentions_have_exact_spans() -> None:
    """Each mention's span is the name as written in the text, possessive and title excluded."""
    text = "Yesterday U.S. President Donald Trump's envoy visited Hebei."
    spans = {text[m.start : m.end] for m in find_mentions(text) if m.type != "other"}
    assert spans == {"U.S.", "Donald Trump", "Hebei"}


def test_hyphen_joined_places_keep_the_spans_after_them() -> None:
    """ "US-China" splits into two places and the name after it keeps its own span, wherever the run starts."""
    text = "Officials met on Monday. Delegates of the US-China Trade Council spoke in Paris."
    spans = [(m.text, text[m.start : m.end]) for m in find_mentions(text)]
    assert ("US", "US") in spans and ("China", "China") in spans
    assert ("Trade Council", "Trade Council") in spans


def test_same_mentions_when_the_name_table_is_full(seed_text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Once the per-process name table is full, names are worked out each time and the mentions do not change."""
    parsed = parse(make_raw_article(content=seed_text))
    doc = f"{parsed.title}\n\n{parsed.text}"
    before = find_mentions(doc)
    monkeypatch.setattr(entities, "_NAMES", entities._Names())
    monkeypatch.setattr(entities, "_NAMES_MAX", 0)
    assert find_mentions(doc) == before
    assert len(entities._NAMES) == 0


def test_country_aliases_merge() -> None:
    """ "US", "U.S." and "United States" are one place entity."""
    ents = extract_entities("", "The US said so. The U.S. agreed. The United States signed.", "en")
    assert [(e.name, e.count) for e in ents if e.type == "place"] == [("United States", 3)]


def test_title_case_headline_does_not_invent_names() -> None:
    """A Title Cased Headline adds counts to names the body has, not new names from its capitals."""
    ents = extract_entities(
        "Global Markets Rally As Investors Cheer Tokyo Deal", "Investors in Tokyo bought shares on Friday.", "en"
    )
    names = {e.name: e.count for e in ents}
    assert names.get("Tokyo") == 2
    assert "Global Markets Rally" not in names and "Investors Cheer Tokyo Deal" not in names


def test_non_english_keeps_gazetteer_names() -> None:
    """A German text gets places the gazetteer knows, and no capitalised common nouns."""
    text = "Die Regierung in Berlin hat am Montag die Gespräche mit Frankreich fortgesetzt. Der Bericht kam spät."
    names = {e.name for e in extract_entities("", text, "de")}
    assert {"Berlin", "Frankreich"} <= names or {"Berlin"} <= names
    assert not {"Regierung", "Gespräche", "Bericht", "Der Bericht"} & names


def test_non_latin_script_is_empty() -> None:
    """A Chinese text gets no entities from the English rules (rather than noise)."""
    assert extract_entities("", "中国周四判处九人贩卖芬太尼罪。" * 5, "zh") == []


@pytest.mark.parametrize(
    "text",
    [
        "",
        "x" * 2_000_000,
        "Aaaa" * 500_000,
        "The Quick Brown Fox " * 100_000,
        "Москва и Beijing и 東京 and Zürich " * 20_000,
        "A. B. C. D. " * 100_000,
        "\n\n\n" * 10_000,
    ],
    ids=["empty", "2MB-no-spaces", "2MB-one-capital-run", "2MB-all-capitals", "mixed-scripts", "initials", "blank"],
)
def test_bad_input_is_bounded(text: str) -> None:
    """Empty, huge, spaceless and mixed-script texts enrich without an exception and within bounded time."""
    started = time.perf_counter()
    entities = extract_entities("", text, None)
    assert time.perf_counter() - started < 10
    assert all(e.count >= 1 for e in entities)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from([*"ABCab .,'’-\n", "Trump", "New York", "Mr. ", "of ", "U.S.", "Yu"])).map("".join))
def test_never_crashes_and_counts_are_positive(text: str) -> None:
    """Any text gives valid entities whose names are non-empty and whose counts are positive."""
    for entity in extract_entities(text[:20], text, "en"):
        assert entity.name.strip() == entity.name and entity.name
        assert entity.count >= 1


def test_unknown_backend_is_a_clear_error() -> None:
    """A backend name that is neither rules nor spacy:… is refused with a message saying what is allowed."""
    with pytest.raises(BackendUnavailableError, match="use 'rules' or 'spacy:<pipeline>'"):
        load_backend("bert")


def test_spacy_backend_missing_is_a_clear_error() -> None:
    """Without spaCy or its pipeline installed, the spacy backend says what to install instead of crashing later."""
    try:
        import spacy  # noqa: F401
    except ImportError:
        expected = "needs spaCy, which is not installed"
    else:  # pragma: no cover - only where spaCy itself is installed
        expected = "pipeline not installed"
    with pytest.raises(BackendUnavailableError, match=expected) as info:
        load_backend("spacy:no_such_pipeline_xyz")
    assert "pip install" in str(info.value)


def test_spacy_backend_on_a_pipeline_built_here(tmp_path: Path) -> None:
    """The spaCy backend loads a pipeline from disk and gives the same normalised entities as the rules."""
    spacy = pytest.importorskip("spacy", reason="spaCy is an optional extra (pip install 'wirewatch[spacy]')")
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns(
        [
            {"label": "PERSON", "pattern": "Donald Trump"},
            {"label": "PERSON", "pattern": "Trump"},
            {"label": "GPE", "pattern": "China"},
            {"label": "ORG", "pattern": [{"LOWER": "the"}, {"TEXT": "Stratfor"}]},
        ]
    )
    nlp.to_disk(tmp_path / "pipeline")
    text = "President Donald Trump's fury at China. Trump said so. An analyst at the Stratfor firm."
    entities = extract_entities("", text, "en", f"spacy:{tmp_path / 'pipeline'}")
    assert [(e.name, e.type, e.count) for e in entities] == [
        ("Donald Trump", "person", 2),
        ("China", "place", 1),
        ("Stratfor", "organization", 1),
    ]


@pytest.mark.parametrize(
    ("language", "text", "not_places", "places"),
    [
        # trafilatura-eval pages (simplyscience.ch, bos-fahrzeuge.info, backenmachtgluecklich.de, buchperlen.wordpress.com)
        ("de", "Schiefer gibt es zum Beispiel in der Schwäbischen Alp. Man kann daraus aber keinen nutzbaren Brennstoff "
         "herstellen.", {"Man"}, set()),
        ("de", "Der PKW-Bau wurde in der Mitte der 1920er Jahre aufgegeben. Ofen auf 175 Grad Ober- und Unterhitze "
         "vorheizen. Er studierte Kommunikationsdesign in Essen und Paris.", {"Mitte", "Grad"}, {"Essen", "Paris"}),
        ("es", "Ganó en Chile. Para clasificarse, Nicole debe de quedar entre los primeros lugares del ranking mundial "
         "de sus dos especialidades.", {"Para"}, {"Chile"}),
    ],
)  # fmt: skip
def test_common_words_of_other_languages_are_not_places(
    language: str, text: str, not_places: set[str], places: set[str]
) -> None:
    """A gazetteer name that is a stop word ("Man" CI, "Para" BR) or a noun after an article or number is no place."""
    found = _names(extract_entities("", text, language), "place")
    assert not found & not_places
    assert places <= found


def test_title_case_headline_does_not_name_people_in_full() -> None:
    """A surname in the body is not resolved to a run of a Title Cased Headline ("Are Following Trump")."""
    ents = extract_entities(
        "Republicans Are Following Trump to Nowhere",
        "President Trump spoke. Trump tweeted. Voters handed Trump a defeat.",
        "en",
    )
    assert ("Trump", "person") in {(e.name, e.type) for e in ents}
    assert not any("Following" in e.name for e in ents)


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("WASHINGTON — The Senate voted on Tuesday to pass the bill, officials in Washington said.", "Washington"),
        ("LONDON (Reuters) - British shares fell on Monday as investors sold banks.", "London"),
    ],
)
def test_capitalised_dateline_is_a_place(text: str, place: str) -> None:
    """A dateline in capitals is the place, counted with its other mentions, not an organisation acronym."""
    ents = extract_entities("", text, "en")
    assert (place, "place") in {(e.name, e.type) for e in ents}
    assert not any(e.name == place.upper() for e in ents)


def test_regions_written_with_an_article_stay_places_in_german() -> None:
    """German writes regions with an article ("im Saarland", "die Steiermark"): the article vote that refuses
    "die Bar" and "das Essen" must not refuse them; a number before a region-named word still does."""
    from worker.entities import extract_entities

    found = extract_entities("Wahl", "Die Landtagswahl im Saarland brachte eine Überraschung. Die Wähler im "
                             "Saarland stimmten anders. In der Steiermark blieb alles gleich.", "de")  # fmt: skip
    assert {(e.name, e.type) for e in found} == {("Saarland", "place"), ("Steiermark", "place")}
    assert extract_entities("Wetter", "Es waren 20 Grad am Nachmittag, sagte der Dienst.", "de") == []


def test_a_capitals_place_name_is_a_place_only_as_a_dateline() -> None:
    """ "WASHINGTON —" opens a dateline; "NICE said" and "DELTA rose" elsewhere are not Nice and Delta."""
    from worker.entities import extract_entities

    def names(text: str) -> set[tuple[str, str]]:
        return {(e.name, e.type) for e in extract_entities("A title here", text, "en")}

    assert ("Washington", "place") in names("WASHINGTON — The Senate voted on Tuesday. Washington was calm.")
    assert ("Houston", "place") in names("HOUSTON, Texas (AP) — Storms hit the city overnight.")
    assert not any(name in ("Nice", "Delta") for name, _ in names(
        "Shares of DELTA rose sharply. Regulator NICE recommended the drug, and NICE said it was cheap."))  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected", "absent"),
    [
        # Reuters datelines naming several places and the date (al-monitor's feed): places, not organisations.
        ("WASHINGTON/GENEVA/DUBAI, Feb 17 (Reuters) - Officials met on Monday in a hotel.",
         {("Washington", "place"), ("Geneva", "place"), ("Dubai", "place"), ("Reuters", "organization")},
         {"WASHINGTON", "GENEVA", "Feb", "Officials"}),
        # The sentence after a dateline's dash opens with a capital like any sentence.
        ("HOUSTON, Texas (AP) — Flooding closed roads across the city.", {("Houston", "place")}, {"Flooding"}),
        ("DUBAI — Flooding closed roads near Dubai Marina.", {("Dubai", "place")}, {"Flooding"}),
        # A month written short before a day is a date; "Jan" before a surname is a name.
        ("The vote, held on Feb 17, was close; on Sept. 3 Jan Novak left.", {("Jan Novak", "person")},
         {"Feb", "Sept"}),
    ],
)  # fmt: skip
def test_datelines_and_short_dates(text: str, expected: set[tuple[str, str]], absent: set[str]) -> None:
    found = {(e.name, e.type) for e in extract_entities("", text, "en")}
    assert expected <= found and not absent & {name for name, _ in found}, found


@pytest.mark.parametrize(
    ("text", "person", "country_word"),
    [
        # scrapinghub abd9d6291b6b and 6a72de37e8f9: "Chad" came out as a place (→ TD) and the person as "other".
        ("McAleenan resigned and Chad Wolf has been named new DHS acting secretary.", "Chad Wolf", "Chad"),
        (
            "Since Olivier Vernon's injury a couple of weeks ago, Chad Thomas has filled in and played way above "
            "my expectations.",
            "Chad Thomas",
            "Chad",
        ),
        # scrapinghub c81e134ed499 (a Florida schools round-up): "Jordan" came out as a place (→ JO).
        ("Cocoa (1-2): Jordan Munoz 8 saves.", "Jordan Munoz", "Jordan"),
    ],
)
def test_country_that_is_a_given_name_before_a_surname_is_a_person(text: str, person: str, country_word: str) -> None:
    """A country that is also a given name, followed by a frequent surname, is a person, and no place of its own."""
    found = {(name, kind) for name, kind, _ in _one(text)}
    assert (person, "person") in found
    assert not any(name == country_word for name, _ in found)


def test_surname_after_a_suffixed_full_name_is_that_person() -> None:
    """ "James P. Kennedy Jr." then "Kennedy said" is one person, not Kennedy the Bogotá locality (CO)."""
    # scrapinghub 7a457a4f7173
    text = (
        "James P. Kennedy Jr., the U.S. Attorney for the Western District of New York, said the man was barred. "
        '"It is wrong," Kennedy said in a statement.'
    )
    found = _one(text)
    assert ("James P. Kennedy Jr.", "person", 2) in found
    assert not any(name == "Kennedy" for name, _, _ in found)


@pytest.mark.parametrize(
    ("text", "name", "place_word"),
    [
        ("Apple updated the Touch Bar on the MacBook Pro this week.", "Touch Bar", "Bar"),  # Bar, Montenegro
        ("Critics loved Starry Night, which Van Gogh painted in 1889.", "Van Gogh", "Van"),  # Van, Turkey
    ],
)
def test_place_word_inside_an_unknown_name_is_no_place(text: str, name: str, place_word: str) -> None:
    """A gazetteer word that is only part of a longer capitalised name which is not a place is no place."""
    found = {n for n, _, _ in _one(text)}
    assert name in found
    assert place_word not in found


def test_particle_surname_later_is_the_person() -> None:
    """ "James Van Der Beek" then "Van Der Beek said" is one person, not Van (Turkey) and "Der Beek"."""
    text = "James Van Der Beek starred in the show. Van Der Beek said he was happy to return."
    assert _one(text) == [("James Van Der Beek", "person", 2)]


@pytest.mark.parametrize(
    ("text", "place", "absent"),
    [
        ("The film was shot in Paris, Texas, in 1983. Paris is a small town.", "Paris, Texas", "Paris"),
        ("He grew up in Athens, Ga., and moved to Tokyo.", "Athens, Georgia", "Athens"),
        ("The plant is near Atlanta, Georgia, officials said.", "Georgia (U.S. state)", "Georgia"),
    ],
)
def test_place_before_a_us_state_is_in_the_us(text: str, place: str, absent: str) -> None:
    """A city followed by ", <US state>" is that state's; a state that is also a country is the state there."""
    found = {n for n, kind, _ in _one(text) if kind == "place"}
    assert place in found
    assert absent not in found


def test_a_state_utility_is_an_organisation() -> None:
    """ "Georgia Power said" is the utility, not a person named Georgia, and no place Georgia inside it."""
    found = _one("Georgia Power said on Monday it would raise rates for customers in Atlanta.")
    assert ("Georgia Power", "organization", 1) in found
    assert not any(name == "Georgia" for name, _, _ in found)


def test_later_surname_that_is_a_country_is_the_person() -> None:
    """ "Michael Jordan" then "Jordan scored" is the player, not the country (JO)."""
    found = _one("Michael Jordan played for the Bulls. Jordan scored 30 points on Friday night.")
    assert ("Michael Jordan", "person", 2) in found
    assert not any(name == "Jordan" for name, _, _ in found)


def test_country_before_the_person_stays_a_country() -> None:
    """A country mentioned before a person of that surname stays the country: only later mentions resolve."""
    found = _one("Jordan closed its border on Friday. Michael Jordan, who lives in Chicago, was not affected.")
    assert ("Jordan", "place", 1) in found


@pytest.mark.parametrize(
    ("text", "thing"),
    [
        ("Apple said the Touch Bar replaces the function keys.", "Touch Bar"),
        ("Reviewers said the Surface Pro was fast, and the Touch Bar was slow.", "Surface Pro"),
        ("He bought a Mac Pro yesterday.", "Mac Pro"),  # "Mac" is a given name
        ("Amazon said Echo Dot sales rose.", "Echo Dot"),  # so is "Echo"
        ("Critics said Vision Pro is heavy.", "Vision Pro"),
        ("Google said the Pixel Watch would ship in May.", "Pixel Watch"),
    ],
)
def test_product_names_are_no_people(text: str, thing: str) -> None:
    """A name ending in a product noun ("… Bar", "… Pro", "… Watch") is no person, even after a given name or
    "said"; nor is a name after "said the" ("said the Touch Bar")."""
    people = _names(extract_entities("", text, "en"), "person")
    assert thing not in people, people


@pytest.mark.parametrize(
    "text",
    [
        "Apple unveiled the new Mac on Monday. The Mac will ship in March.",
        "Mac users can download the update today, Apple said.",
        "He switched from Windows to Mac last year.",
        "Apple said Mac sales rose 20 percent.",
        "Amazon said Alexa can now order groceries.",
    ],
)
def test_a_lone_product_word_is_no_person(text: str) -> None:
    """ "Mac" alone is the computer, not the given name: "the new Mac", "Mac users", "said Mac sales"; "Alexa"
    alone the assistant."""
    people = _names(extract_entities("", text, "en"), "person")
    assert not {"Mac", "Alexa"} & people, people


@pytest.mark.parametrize(
    ("text", "person"),
    [
        ("Mac Miller released an album. Mac said he was proud of it.", "Mac Miller"),
        ("The song features Ian Mac and the band.", "Ian Mac"),
        ("Angus Mac Donald, who farms near Oban, said the rain helped.", "Angus Mac Donald"),
        ("Mac Miller died in 2018. Fans of Mac gathered in Pittsburgh.", "Mac Miller"),
        ("Alexa Chung designed the dress. Alexa said it took a year.", "Alexa Chung"),
    ],
)
def test_people_named_like_products_stay_people(text: str, person: str) -> None:
    """A person named Mac or Alexa in full stays a person, and the given name alone later is that person, not a
    product."""
    found = extract_entities("", text, "en")
    assert person in _names(found, "person"), found
    assert not {"Mac", "Alexa"} & {e.name for e in found}, found


@pytest.mark.parametrize(
    ("text", "person"),
    [
        ("The company said Mac Smith would lead the project.", "Mac Smith"),
        ("Asked about the results, said Echo Jones, the team was pleased.", "Echo Jones"),
        ("The minister said the plan would work, according to Tim Cook.", "Tim Cook"),
    ],
)
def test_people_stay_people_near_products(text: str, person: str) -> None:
    """Given names before a surname, and a name right after "said" or "according to", are still people."""
    assert person in _names(extract_entities("", text, "en"), "person")


@pytest.mark.parametrize(
    ("text", "places", "absent"),
    [
        (
            "Troops from Moscow, Georgia, Ukraine and Belarus met.",
            {"Moscow", "Georgia", "Ukraine", "Belarus"},
            {"Moscow, Georgia", "Georgia (U.S. state)"},
        ),
        (
            "Leaders of Armenia, Georgia, Azerbaijan and Turkey met.",
            {"Armenia", "Georgia", "Azerbaijan", "Turkey"},
            {"Georgia (U.S. state)"},
        ),
        ("Flights link Istanbul, Georgia, Armenia.", {"Istanbul", "Georgia", "Armenia"}, {"Georgia (U.S. state)"}),
        (
            "The plant in Athens, Georgia, USA, closed.",
            {"Athens, Georgia", "Georgia (U.S. state)", "United States"},
            {"Athens", "Georgia"},
        ),
    ],
)
def test_a_list_of_places_is_no_city_in_a_state(text: str, places: set[str], absent: set[str]) -> None:
    """ "Moscow, Georgia, Ukraine" is three places, not a Moscow in Georgia: a state followed by a comma and a
    country other than the US, or after a country, is one more item of a list."""
    found = _names(extract_entities("", text, "en"), "place")
    assert places <= found, found
    assert not absent & found, found


@pytest.mark.parametrize(
    "text",
    [
        "Temperatures will drop tonight. People who are vulnerable to the cold should stay in, and people who "
        "must go out should dress warmly.",
        "Smart people! People who were accomplished in other areas joined the team.",
    ],
)
def test_a_sentence_opening_common_noun_before_who_is_no_person(text: str) -> None:
    """ "People who are …" opening a sentence is the common noun (the text writes it in lower case too), not a
    person named People: "who" without a comma is no sign of a name there."""
    assert "People" not in {e.name for e in extract_entities("", text, "en")}


@pytest.mark.parametrize(
    ("text", "person"),
    [
        ("Officials praised the plan. Smith, who leads the agency, said it would work. Smith is new.", "Smith"),
        ("Mark Jones runs the club. Jones who founded it in 1990 still plays. A jones for golf.", "Mark Jones"),
    ],
)
def test_a_person_before_who_stays_a_person(text: str, person: str) -> None:
    """A name before ", who" (or "who" where the name is known in full) is still a person."""
    assert person in _names(extract_entities("", text, "en"), "person")


@pytest.mark.parametrize(
    "text",
    [
        "NASA plans to land humans on the Moon in 2024. The landers would reach the surface of the Moon first.",
        "Crews will return to the Moon, NASA said, before any flight to Mars.",
    ],
)
def test_a_given_name_after_the_is_no_person(text: str) -> None:
    """ "the Moon" is no person named Moon: a lone given name after "the", with nothing else saying person, is
    not one ("the Moon", "the Sun", "the Star")."""
    assert "Moon" not in _names(extract_entities("", text, "en"), "person")


def test_a_given_name_alone_is_still_a_person() -> None:
    """Without "the" before it, a lone given name keeps its weak person type ("Moon" as Moon Jae-in's surname)."""
    found = extract_entities("", "Talks resumed in Seoul on Monday. Moon met the envoy again.", "en")
    assert "Moon" in _names(found, "person"), found


@pytest.mark.parametrize(
    ("text", "language", "place"),
    [
        (
            "Troops arrived in Côte d'Ivoire on Monday. The president of Côte d’Ivoire said the vote was fair.",
            "en",
            "Côte d'Ivoire",
        ),
        (
            "Les dockers de Côte d'Ivoire manifestent. Le président de la Côte d'Ivoire parle à Abidjan.",
            "fr",
            "Côte d'Ivoire",
        ),
        ("La neve cade in Valle d'Aosta. In Valle d'Aosta le strade sono chiuse.", "it", "Valle d'Aosta"),
    ],
)
def test_a_name_with_the_particle_d_is_one_place(text: str, language: str, place: str) -> None:
    """ "Côte d'Ivoire" is one place (the country, whichever apostrophe), not an organisation "Côte" and a person
    "Ivoire"; "Valle d'Aosta" one region."""
    found = extract_entities("", text, language)
    assert (place, "place", 2) in {(e.name, e.type, e.count) for e in found}, found
    assert not {"Côte", "Ivoire", "Valle", "Aosta"} & {e.name for e in found}, found


@pytest.mark.parametrize(
    ("text", "language", "expected", "absent"),
    [
        (
            "Proche d'Emmanuel Macron dès sa campagne, il parle. Le ministre des Armées d'Emmanuel Macron se tait.",
            "fr",
            ("Emmanuel Macron", "person", 2),
            {"Proche d'Emmanuel Macron", "Armées d'Emmanuel Macron"},
        ),
        (
            "L'orchestre joue avec le Concertgebouw d'Amsterdam et le Berliner Philharmoniker.",
            "fr",
            ("Amsterdam", "place", 1),
            {"Concertgebouw d'Amsterdam"},
        ),
        (
            "Jeanne d'Arc est une héroïne. La statue de Jeanne d'Arc est à Orléans.",
            "fr",
            ("Jeanne d'Arc", "person", 2),
            {"Jeanne", "Arc"},
        ),
    ],
)
def test_the_particle_d_joins_only_one_name(
    text: str, language: str, expected: tuple[str, str, int], absent: set[str]
) -> None:
    """ "d'" glued to a capital joins a name ("Jeanne d'Arc"), but not a word and the person or place after it
    ("Armées d'Emmanuel Macron", "Concertgebouw d'Amsterdam" are two names)."""
    found = extract_entities("", text, language)
    assert expected in {(e.name, e.type, e.count) for e in found}, found
    assert not absent & {e.name for e in found}, found


@pytest.mark.parametrize(
    "text",
    [
        "The Swiss maker Caran d'Ache said on Monday it would raise prices.",
        "The pencils were made by Caran d’Ache, which said sales rose. Caran d’Ache makes crayons in Geneva.",
        "Caran d'Ache launched a new fountain pen. Caran d'Ache said the pen sold out.",
    ],
)
def test_a_name_with_the_particle_d_but_no_given_name_is_no_person(text: str) -> None:
    """A person's name with "d'" opens with a given name ("Jeanne d'Arc", "Roberto d'Aubuisson"); "X d'Y" without
    one is a firm or a brand, so "said", "by" or a past-tense verb after it make it an organisation, not a person."""
    found = extract_entities("", text, "en")
    assert "Caran d'Ache" in _names(found, "organization"), found
    assert not _names(found, "person"), found


def test_a_surname_with_the_particle_d_is_the_person_named_in_full() -> None:
    """ "Giscard d'Estaing said" after "Valéry Giscard d'Estaing" (a given name the lists lack) is that person, and
    "Roberto d'Aubuisson" stays one."""
    found = extract_entities(
        "",
        "Valéry Giscard d'Estaing was president of France. Later Giscard d'Estaing said he regretted nothing. "
        "Roberto d'Aubuisson said nothing.",
        "en",
    )
    people = {(e.name, e.count) for e in found if e.type == "person"}
    assert people == {("Valéry Giscard d'Estaing", 2), ("Roberto d'Aubuisson", 1)}, found


@pytest.mark.parametrize(
    ("text", "absent"),
    [
        ("Natalio Wheatley will remain Acting Premier of the Territory until the governor decides.", "Territory"),
        ("She became Queen of the Netherlands in 1980.", "Netherlands"),
        ("Mayor of London Sadiq Khan said no.", "London Sadiq Khan"),
    ],
)
def test_the_office_after_a_title_is_no_person(text: str, absent: str) -> None:
    """ "Premier of the Territory", "Queen of the Netherlands" name an office's domain, not a person called
    Territory or Netherlands; "Mayor of London Sadiq Khan" is the mayor, Sadiq Khan."""
    people = _names(extract_entities("", text, "en"), "person")
    assert absent not in people, people
    assert "Sadiq Khan" in people or "Sadiq" not in text


@pytest.mark.parametrize(
    "text",
    [
        "Today I wrote a parser. For years I've wondered how they work, and now I've said it out loud.",
        "After the meeting, someone asked why I'd added a bot to the call. We're Reading the logs now.",
    ],
)
def test_pronouns_and_contractions_are_no_people(text: str) -> None:
    """ "I", "I've", "I'd" before "said", "wrote" or a past-tense verb are the writer, no person named "I've"."""
    found = extract_entities("", text, "en")
    assert not _names(found, "person"), found


@pytest.mark.parametrize(
    ("text", "event"),
    [
        (
            "Chloe Kim won silver at the 2026 Winter Olympics. Kim said the Winter Olympics were hard.",
            "Winter Olympics",
        ),
        ("The album will be finished by Christmas, said Anna Lee.", "Christmas"),
        ("Anna Lee got the garden ready for Winter, because it is coming.", "Winter"),
        ("Anna Lee, who skated at the Summer Games, said the Summer Games were her last.", "Summer Games"),
    ],
)
def test_events_are_no_people(text: str, event: str) -> None:
    """An event or a holiday ("Winter Olympics", "Christmas") is no person, even when it opens with a given name
    ("Winter", "Summer") or a cue comes before it ("by"); the people beside it stay people."""
    found = extract_entities("", text, "en")
    people = _names(found, "person")
    assert not [p for p in people if event in p], found
    assert people & {"Chloe Kim", "Anna Lee"}, found


def test_capitalised_common_words_are_no_acronyms() -> None:
    """Capitals for emphasis ("NOT", "AND") make no organisation; real acronyms ("NASA", "WHO") stay organisations."""
    found = extract_entities(
        "",
        "It must not, repeat, NOT turn into a rave. This is NOT a boast. Combine terms with AND or OR. NASA said "
        "the launch slipped, and the WHO said so too.",
        "en",
    )
    organisations = _names(found, "organization")
    assert {"NASA", "WHO"} <= organisations, found
    assert not {"NOT", "AND", "OR"} & {e.name for e in found}, found


def test_a_holiday_after_a_given_name_is_a_surname() -> None:
    """ "Johnnie Christmas" (an illustrator, in GUM) is a person: a holiday is no person alone, but can be a
    surname."""
    found = extract_entities("", "The novel was drawn by illustrator Johnnie Christmas, who lives in Canada.", "en")
    assert "Johnnie Christmas" in _names(found, "person"), found


def test_a_company_suffix_alone_is_no_name() -> None:
    """ "MOS Technology, Inc." names MOS Technology; "Inc." alone is no organisation."""
    found = extract_entities(
        "", "MOS Technology, Inc. released two assemblers. Commodore Business Machines, Inc. bought it.", "en"
    )
    assert "Inc." not in {e.name for e in found}, found


def test_one_letter_is_no_name() -> None:
    """A lone capital letter ("C" the language, "X" in "I said X", "Plan B") is no person, place or organisation."""
    found = extract_entities(
        "",
        "sccache is a build tool for C, C++ and Rust projects, written in C. You cannot prove I said X. We need a "
        "Plan B, said Anna Lee.",
        "en",
    )
    assert not {"C", "X", "B"} & {e.name for e in found}, found
    assert "Anna Lee" in _names(found, "person"), found


@pytest.mark.parametrize(
    ("text", "word"),
    [
        (
            "Reading the article, we hear a lot of praise. Reading through issues takes time; reading is slow.",
            "Reading",
        ),
        ("Nice work on the release! It was a nice surprise.", "Nice"),
        ("Store the total in a variable. The store keeps the counts.", "Store"),
    ],
)
def test_a_sentence_opening_common_word_is_no_city(text: str, word: str) -> None:
    """A city or province that is also a common word ("Reading", "Nice"; "Store", a Slovenian municipality) is no
    place where it opens a sentence and the text writes the word in lower case too."""
    found = extract_entities("", text, "en")
    assert word not in {e.name for e in found}, found


def test_a_city_named_like_a_common_word_stays_a_place() -> None:
    """The same cities stay places inside sentences: "in Reading", "to Nice"."""
    found = extract_entities(
        "",
        "Reading beat Leeds on Saturday. The club plays in Reading, and fans travelled to Nice for a friendly.",
        "en",
    )
    assert {"Reading", "Nice"} <= _names(found, "place"), found


@pytest.mark.parametrize(
    ("text", "language", "people"),
    [
        (
            "Mit Blick auf die Wahl sprach Angela Merkel. Es bringt wenig, mit Blick auf ein Gesetz zu streiten. Einen "
            "Blick zurück warf sie nicht. Das Buch erschien im Mai, sagte sie. In ihrem Buch schreibt sie viel.",
            "de",
            {"Angela Merkel"},
        ),
        (
            "Schuld am Tod der Tiere sei der Nektar, sagte Angela Merkel.\n\nVon Stefan Krempl",
            "de",
            {"Angela Merkel", "Stefan Krempl"},
        ),
        ("Le Monde écrit que Emmanuel Macron a parlé. Les Français votent.", "fr", {"Emmanuel Macron"}),
    ],
)
def test_a_stop_word_of_the_language_opens_no_name(text: str, language: str, people: set[str]) -> None:
    """Outside English a sentence's article or preposition before a noun ("Mit Blick", "Das Buch", "Le Monde", "Les
    Français") is no person, though "Mit", "Das", "Les" are given names in the lists, and the noun alone ("Blick")
    is no one's surname; a byline's "Von" is cut from the name ("Von Stefan Krempl"). In German "der" inside a name
    is a genitive's article ("am Tod der Tiere", "Tod" being a given name) unless a particle comes before it ("von
    der Leyen")."""
    found = extract_entities("", text, language)
    assert _names(found, "person") == people, found
