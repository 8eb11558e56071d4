"""Countries an article is about: ISO 3166-1 alpha-2 codes from its places, demonyms and, failing those, its source.

"Hebei" → CN and "New Orleans" → US come from the gazetteer behind the place entities ("Paris, Texas", a town the
entities placed by the state after it, → US); "Chinese" → CN from the
demonyms that name one country only ("Korean" names two and is left out). A source's country-code domain
(``xinhuanet.cn``) speaks for the article only when nothing in the text does: a British paper writing about
China is about China, not Britain.
"""

from __future__ import annotations

import functools
import re
from collections import Counter

from schemas.models import Entity
from worker import lexicon

GEO_MAX_CHARS = 100_000
# Country names in scripts the entity rules do not read are looked for in this much of the text: each of the ~250
# names is one C-level substring count (~0.1 ms over 10,000 characters, on articles that skip the entity rules).
SCRIPT_NAMES_MAX_CHARS = 10_000
# Country-code domains that are sold as generic names and say nothing about where a source is.
_GENERIC_CCTLDS = frozenset({"io", "co", "tv", "me", "fm", "ai", "ly", "to", "cc", "ws", "gg", "la", "am", "im", "is"})
_CAPITALISED = re.compile(r"[A-Z][a-z]+")


@functools.cache
def _two_word_demonyms() -> dict[str, str]:
    return {name: code for name, code in lexicon.demonyms().items() if " " in name}


@functools.cache
def _demonym_forms() -> frozenset[str]:
    """Every word ``countries_for`` can map to a country: a demonym ("Chinese") or its plural ("Americans")."""
    demonyms = lexicon.demonyms()
    return frozenset(demonyms) | frozenset(f"{name}s" for name in demonyms)


_TLD_COUNTRY = {"uk": "GB", "su": "RU"}


def _domain_country(domain: str | None) -> str | None:
    if not domain:
        return None
    tld = domain.lower().rstrip(".").rsplit(".", 1)[-1]
    if len(tld) != 2 or tld in _GENERIC_CCTLDS:
        return None
    code = _TLD_COUNTRY.get(tld, tld.upper())
    return code if code in _known_codes() else None


@functools.cache
def _known_codes() -> frozenset[str]:
    return frozenset(p.country for p in lexicon.places().values() if p.country)


def countries_for(
    entities: list[Entity], text: str, source_domain: str | None, language: str | None = None
) -> list[str]:
    """ISO alpha-2 codes, the most mentioned first; for a language in a script the entity rules do not read
    (Russian, Arabic, Chinese, Japanese, …), also the countries its text names in that language ("Германии",
    "德国", "ألمانيا")."""
    places = lexicon.places()
    weight: dict[str, int] = {}
    order: dict[str, int] = {}

    def add(code: str, count: int) -> None:
        if not code:
            return
        weight[code] = weight.get(code, 0) + count
        order.setdefault(code, len(order))

    for entity in entities:
        if entity.type == "place":
            place = places.get(entity.name)
            if place is not None:
                add(place.country, entity.count)
            elif ", " in entity.name and entity.name.rsplit(", ", 1)[1] in lexicon.us_states():
                add("US", entity.count)  # "Paris, Texas": the entities' name for a town placed by its state
    demonyms = lexicon.demonyms()
    text = text[:GEO_MAX_CHARS]
    counts = Counter(_CAPITALISED.findall(text))
    # Only the few capitalised words that are a demonym or its plural reach Python (filtered in C, in text order).
    for word in filter(_demonym_forms().__contains__, counts):
        code = demonyms.get(word) or (demonyms.get(word[:-1]) if word[-1] == "s" else None)  # "Americans"
        if code:
            add(code, counts[word])
    for phrase, code in _two_word_demonyms().items():  # "Sri Lankan"
        if phrase in text:
            add(code, text.count(phrase))
    if language and language != "en":
        head = text[:SCRIPT_NAMES_MAX_CHARS]
        for name, code in lexicon.country_names_in_text(language):
            count = head.count(name)
            if count:
                add(code, count)
    if not weight:
        code = _domain_country(source_domain)
        if code:
            add(code, 1)
    return sorted(weight, key=lambda c: (-weight[c], order[c]))
