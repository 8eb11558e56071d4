"""enrich: one parsed article gets language, summary, entities, keywords and countries; the backend is configurable."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis

from tests.helpers import make_raw_article
from wirewatch.settings import ConfigError, load_settings
from worker.enrich import count_words, enrich
from worker.entities import BackendUnavailableError
from worker.keywords import KEYWORDS_MAX_CHARS, tokenize
from worker.parse import parse
from worker.pipeline import Deps


def test_seed_enrichment(seed_text: str) -> None:
    """The seed comes out in English with its lede, people, keywords and countries."""
    result = enrich(parse(make_raw_article(content=seed_text)))
    assert result.language == "en"
    assert result.summary.startswith("China on Thursday jailed nine people")
    assert {"Donald Trump", "Liu Yong"} <= {e.name for e in result.entities if e.type == "person"}
    assert "fentanyl" in result.keywords
    assert result.countries[:2] == ["CN", "US"]


def test_entity_backend_setting(tmp_path: Path) -> None:
    """``enrich.entities`` accepts rules and spacy:<pipeline> and names the key when it is anything else."""
    config = tmp_path / "ww.yml"
    config.write_text("enrich:\n  entities: spacy:en_core_web_sm\n")
    assert load_settings(config).enrich.entities == "spacy:en_core_web_sm"
    config.write_text("enrich:\n  entities: bert\n")
    with pytest.raises(ConfigError, match=r"enrich.entities: .*must be 'rules' or 'spacy:<pipeline>'"):
        load_settings(config)


def test_missing_spacy_pipeline_stops_the_worker_at_start(tmp_path: Path) -> None:
    """A worker configured for a spaCy pipeline that is not installed fails when it starts, saying what to install."""
    config = tmp_path / "ww.yml"
    config.write_text("enrich:\n  entities: spacy:no_such_pipeline_xyz\n")
    settings = load_settings(config)
    client = redis.Redis.from_url("redis://127.0.0.1:1/0")  # never contacted: the check comes first
    with pytest.raises(BackendUnavailableError, match="pip install"):
        Deps.create(client, settings)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "China's 12-year-old rock'n'roll fans -- 3,000 of them -- met in Hong Kong (Reuters).",
        "word " * (KEYWORDS_MAX_CHARS // 5 + 999),  # the keyword tokens stop at the cap: the tail is counted apart
        "x" * (KEYWORDS_MAX_CHARS + 10) + " end",  # a word cut by the cap counts once
    ],
)
def test_word_count_from_shared_tokens(text: str) -> None:
    """The word count from the keyword tokens equals the count of a separate pass over the text."""
    assert count_words(text, tokenize(text)) == count_words(text)


def test_warm_up_loads_what_the_first_article_would() -> None:
    """After `warm_up` (which `Deps.create` runs), enriching an article loads no model or word list."""
    from worker import enrich as enrich_module
    from worker import entities, lexicon

    loaders = [lexicon.places, lexicon.given_names, lexicon.surnames, lexicon.organizations, lexicon.demonyms,
               lexicon.common_words, entities._country_names, enrich_module._identifier]  # fmt: skip
    for loader in loaders:
        loader.cache_clear()
    assert enrich_module.warm_up() > 0
    loaded = [loader.cache_info().misses for loader in loaders]
    assert loaded == [1] * len(loaders)
    article = parse(make_raw_article(content="Talks in Paris\n\nAngela Merkel met officials of the IMF in Paris on Monday."))
    enrich(article)
    assert [loader.cache_info().misses for loader in loaders] == loaded


@pytest.mark.parametrize(("declared", "code"), [("en-us", "en"), ("pt_BR", "pt"), ("DE", "de"), (" fr ", "fr"),
                                                ("english", None), ("eng", None), ("", None), (None, None)])  # fmt: skip
def test_declared_language_codes(declared: str | None, code: str | None) -> None:
    from worker.enrich import declared_code

    assert declared_code(declared) == code


def test_the_declared_language_decides_where_the_model_is_guessing() -> None:
    """A feed item the model cannot place (corpus: AreWeAntiCheatYet's "Roblox / Status: Planned => Running" as
    Estonian) takes its feed's declared language; a confident answer stands against the declaration (a German
    post in an English feed stays German), and a short text with no declaration stays unknown."""
    from worker.enrich import detect_language

    assert detect_language("Roblox", "Status: Planned => Running", "en-US") == "en"
    assert detect_language("Roblox", "Status: Planned => Running") != "en"
    german = ("Michael Angerhausen, Lothar Englisch: 64 Tips & Tricks. Düsseldorf: Data Becker, 1984. Vierte, "
              "erweiterte und überarbeitete Auflage mit vielen Beispielen für die Programmierung.")  # fmt: skip
    assert detect_language("64 Tips & Tricks", german, "en") == "de"
    assert detect_language("Arts", "", None) is None and detect_language("Arts", "", "en") == "en"
    raw = make_raw_article(content="Roblox\n\nStatus: Planned => Running", language="en-us")
    assert enrich(parse(raw)).language == "en"


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("Özil rechnet ab", "Mesut Özil hat in dieser Woche mit Deutschland abgerechnet. In Deutschland ist die Kritik groß."),
        ("Muratov advierte", "El periodista habló en Ginebra sobre Alemania. Alemania enviará más ayuda, dijo el ministro."),
        ("Sygnał dla Rosji", "Niemcy wysyłają czołgi. Rząd w Berlinie potwierdził, że Niemcy zrobią to szybko."),
        ("Le débat sur l'énergie", "Le gouvernement a discuté avec l'Allemagne. Allemagne et voisins achètent du gaz."),
        ("Футбол", "Подольски – третий по количеству матчей за сборную Германии. В Германии он звезда."),
        ("足球", "德国队在周四的比赛中获胜。德国球迷非常高兴。"),
        ("كرة القدم", "فاز منتخب ألمانيا في المباراة. وقال مدرب ألمانيا إن الفريق لعب جيدا."),
    ],
)
def test_country_names_in_the_articles_language_give_the_country(title: str, text: str) -> None:
    """"Deutschland", "Alemania", "Niemcy", "Allemagne", "Германии", "德国", "ألمانيا" are Germany: DE."""
    enrichment = enrich(parse(make_raw_article(content=f"{title}\n\n{text}")))
    assert "DE" in enrichment.countries, (enrichment.language, enrichment.countries)
