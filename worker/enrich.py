"""enrich: language, word count, summary, entities, keywords and countries of one parsed article.

Language comes from py3langid (its model ships inside the wheel: nothing is downloaded) on the title and
the first ``LANGID_CHARS`` characters of the text, which is as accurate as the whole text for news and
keeps the cost flat for long articles.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from schemas import Entity
from worker import lexicon
from worker.entities import DEFAULT_BACKEND, extract_entities
from worker.geo import countries_for
from worker.keywords import KEYWORDS_MAX_CHARS, extract_keywords, multiword_places, tokenize
from worker.keywords import count_words as count_tokens
from worker.lexicon import words
from worker.parse import ParsedArticle
from worker.summary import summarize

LANGID_CHARS = 300
# Below this many characters a language guess is noise unless the model is confident.
SHORT_TEXT_CHARS = 40
SHORT_TEXT_MIN_PROB = 0.90
# Below this probability the model is guessing, and a language the source declares is the better answer. Of the
# 3,706 corpus feed items whose feed declares one, 141 fall under it: 104 agree with the feed anyway and the 37
# others are all English the model took for Welsh, Dutch or Irish ("Roblox / Status: Planned => Running" as et);
# from 0.5 up, 16 differ from the feed, and those are mostly posts really in another language (bench/feed_quality).
DECLARED_WINS_BELOW = 0.5
# On a sample this short (a title and a one-line teaser) a guess below ``SHORT_TEXT_MIN_PROB`` is weaker than the
# declaration too: of the 6,459 corpus feed items, 2 change, both English ("Ode to Element developers / A rant on
# Matrix Element client" was French at 0.55; a Chinese game's name made an English line Chinese).
DECLARED_WINS_SHORT_CHARS = 120
# How sure the model must be of the Latin-script rest of a text taken for Chinese to make it that language.
CHINESE_REST_MIN_PROB = 0.75
NEWS_LANGUAGES = words(
    "af ar bg bn ca cs cy da de el en es et fa fi fr ga gl gu he hi hr hu hy id is it ja ka kk ko lt lv mk ml mr "
    "ms mt nb ne nl nn no pa pl pt ro ru sk sl sq sr sv sw ta te th tl tr uk ur uz vi zh"
)

_WORD = re.compile(r"\w[\w'’-]*", re.UNICODE)  # a word as ``keywords.tokenize`` counts it
# Japanese prose always holds hiragana (its particles: の, は, を); katakana and kanji without any are a name or a
# title inside other text ("ヘブンバーンズレッド (Heaven Burns Red) was newly added"), which the model, weighing
# kana highly, takes for Japanese.
_HIRAGANA = re.compile(r"[\u3041-\u309f]")
_KATAKANA_OR_HAN = re.compile(r"[\u30a0-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff66-\uff9f]+")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


@dataclass(frozen=True)
class Enrichment:
    language: str | None
    word_count: int
    summary: str
    entities: list[Entity] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)


@lru_cache(maxsize=1)
def _identifier():  # type: ignore[no-untyped-def]
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    # Only languages news is written in: on a 40-character teaser the full 97-language model picks Nigerian
    # Pidgin, Walloon or Esperanto for English one time in five (bench.language_eval: 0.79 → 0.96).
    identifier.set_languages(sorted(code for code in NEWS_LANGUAGES if code in identifier.nb_classes))
    # set_languages leaves the feature × language table column-major, so scoring gathers each feature's row
    # across 100,000-element strides; row-major (same size, same values) makes language ~15% cheaper.
    identifier.nb_ptc = np.ascontiguousarray(identifier.nb_ptc)
    return identifier


def detect_language(title: str, text: str, declared: str | None = None) -> str | None:
    """The language of the title and the start of the text; where the model is unsure (a short or mixed
    sample), the language the source declares, if it names one as a two-letter code ("en-US" → "en"). A name in
    katakana or Han inside Latin-script text does not make the text Japanese or Chinese."""
    sample = f"{title}\n{text[:LANGID_CHARS]}".strip()
    hint = declared_code(declared)
    if not sample:
        return hint
    language, prob = _identifier().classify(sample)
    if language in ("ja", "zh") and not _HIRAGANA.search(sample):
        language, prob = _around_japanese_names(sample, language, prob)
    short = len(sample) < DECLARED_WINS_SHORT_CHARS
    if hint and (prob < DECLARED_WINS_BELOW or (short and prob < SHORT_TEXT_MIN_PROB)):
        return hint
    if len(sample) < SHORT_TEXT_CHARS and prob < SHORT_TEXT_MIN_PROB:
        return hint
    return str(language)


def _around_japanese_names(sample: str, language: str, prob: float) -> tuple[str, float]:
    """The language of ``sample`` (taken for Japanese or Chinese, without hiragana) read without its katakana and
    Han, when the rest is text of its own: four Latin words or more, twice as many letters as the names it held
    (each name once: a headline repeats it in the text), and for Chinese a confident guess ("ソニー PlayStation 5
    Pro 発表" and "华为 Mate 60 Pro 的销量超过了 Apple iPhone 15 Pro Max" stay Japanese and Chinese)."""
    names = _KATAKANA_OR_HAN.findall(sample)
    rest = _KATAKANA_OR_HAN.sub("", sample)
    latin = _LATIN_WORD.findall(rest)
    if not names or len(latin) < 4 or sum(map(len, latin)) < 2 * sum(map(len, set(names))):
        return language, prob
    other, other_prob = _identifier().classify(rest)
    # Chinese has no kana to tell a name from prose, and the Latin left of it may be product names (0.13 English)
    # or the text's own pinyin (0.53 Swahili): only a clear reading of it stands (an English status line, 0.84).
    if language == "zh" and other_prob < CHINESE_REST_MIN_PROB:
        return language, prob
    return str(other), other_prob


def declared_code(declared: str | None) -> str | None:
    """The ISO 639-1 code of a declared language tag (BCP 47 "en-us", "pt_BR", "DE"), or None."""
    if not declared:
        return None
    primary = declared.strip().replace("_", "-").split("-", 1)[0].lower()
    return primary if len(primary) == 2 and primary.isascii() and primary.isalpha() else None


def count_words(text: str, tokens: list[str] | None = None) -> int:
    """Words in ``text``; ``tokens`` (``keywords.tokenize(text)``, the first ``KEYWORDS_MAX_CHARS``) spares a pass."""
    if tokens is None:
        return len(_WORD.findall(text))
    count = count_tokens(tokens)
    if len(text) > KEYWORDS_MAX_CHARS:
        tail = text[KEYWORDS_MAX_CHARS:]
        count += len(_WORD.findall(tail))
        if _WORD.match(tail) and _WORD.match(text, KEYWORDS_MAX_CHARS - 1):
            count -= 1  # the cut went through a word, counted on both sides
    return count


# Names a person, places at three levels, an organisation, a demonym and a country: enriching it loads every
# model and word list the stage reads.
_WARM_UP = ParsedArticle(
    title="Chinese President Xi Jinping meets Joe Biden in Washington",
    text="The United Nations welcomed talks between China and the United States in Washington on Monday, "
    "officials in Beijing and California said. Reuters reported that Maria Garcia of the World Bank attended.",
    url=None, canonical_url=None, authors=[], published_at=None, source_name=None, source_domain="example.com",
)  # fmt: skip


def warm_up(entity_backend: str = DEFAULT_BACKEND) -> float:
    """Load the language model and the word lists now (0.3–0.8 s), not on the first article; returns the seconds.

    A worker calls this when it builds its pipeline, so that the first article's latency is its own.
    """
    started = time.perf_counter()
    # Each list by name: the entity rules memoise per name, so a sample alone may skip a list they read.
    for load in (lexicon.places, lexicon.demonyms, lexicon.organizations, lexicon.common_words,
                 lexicon.given_names, lexicon.surnames, _identifier):  # fmt: skip
        load()
    enrich(_WARM_UP, entity_backend)
    multiword_places()  # the gazetteer's place names holding a stop word, filtered per language from these
    return time.perf_counter() - started


def persons_in_keywords(keywords: list[str], entities: list[Entity], title: str, text: str, language: str) -> list[str]:
    """The keywords with a person's given name written as the person's full name, and the surname dropped where it
    is a keyword too: "Hubert", "Aiwanger" → "Hubert Aiwanger". Outside English the keywords read no names (where
    every noun is capitalised they cannot tell "Hubert Aiwanger" from two nouns); the entities know the person.

    Only a person of two or three capitalised words, no stop word of the language among them ("Simon Dückert Auch"
    ran on into the next sentence), that opens with a given name of the lists, and only when the surname is a
    keyword too or the text writes that given name nowhere but before the surname ("Martin" is always "Martin
    Dutzmann"; not "Winter" of "Winter Gemüse"). A given name two people of the text share is left alone.
    """
    given = lexicon.given_names()
    stop = lexicon.stopwords(language)
    by_given: dict[str, list[str]] = {}
    for entity in entities:
        words = entity.name.split(" ")
        if entity.type == "person" and 1 < len(words) <= 3 and words[0] in given and _plain_name(words, stop):
            by_given.setdefault(words[0], []).append(entity.name)
    if not by_given or by_given.keys().isdisjoint(keywords):
        return keywords
    present = set(keywords)
    named = []
    for keyword in keywords:
        names = by_given.get(keyword)
        if names and len(names) == 1:
            full = names[0]
            if full.rsplit(" ", 1)[1] in present or _count(keyword, title, text) == _count(full, title, text):
                keyword = full
        named.append(keyword)
    surnames = {name.rsplit(" ", 1)[1] for name, k in zip(named, keywords, strict=True) if name != k}
    return [k for k in dict.fromkeys(named) if k not in surnames]


def _count(word: str, *texts: str) -> int:
    return sum(t.count(word) for t in texts)


def _plain_name(words: list[str], stop: frozenset[str]) -> bool:
    return all(w[:1].isupper() and w.lower() not in stop for w in words)


def _keywords(parsed: ParsedArticle, language: str | None, tokens: list[str], entities: list[Entity]) -> list[str]:
    keywords = extract_keywords(parsed.title, parsed.text, language, tokens=tokens)
    if language in (None, "en"):
        return keywords  # English keywords read names themselves (``keywords._name_pairs``)
    return persons_in_keywords(keywords, entities, parsed.title, parsed.text, language)


def enrich(parsed: ParsedArticle, entity_backend: str = DEFAULT_BACKEND) -> Enrichment:
    language = detect_language(parsed.title, parsed.text, parsed.declared_language)
    entities = extract_entities(parsed.title, parsed.text, language, entity_backend)
    tokens = tokenize(parsed.text)  # one pass for the keywords and the word count
    return Enrichment(
        language=language,
        word_count=count_words(parsed.text, tokens),
        # The clean lede, not repeating the headline; a note or a list without one gives its opening line, read
        # through the same filters ('' for a text of links, stamps and menus alone).
        summary=summarize(parsed.text, language, title=parsed.title),
        entities=entities,
        keywords=_keywords(parsed, language, tokens, entities),
        countries=countries_for(entities, parsed.text, parsed.source_domain, language),
    )
