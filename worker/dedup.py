"""dedup: who an article is (stable id, content hash) and whether an exact copy was already emitted.

Identity: the article id comes from the canonical URL when there is one, else from the normalised text, so
the same article always gets the same id. The authoritative claim happens atomically at emit
(``worker/lua/settle.lua``); the check here is a cheap read that spares enrichment for known copies.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

import redis

from wirewatch import constants as c
from worker.parse import ParsedArticle

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
ID_HEX_CHARS = 16  # 64 bits: a collision is unlikely below ~4 billion articles per window


_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")


def normalise_for_hash(text: str) -> str:
    """Case, accents, punctuation and spacing folded away: copies that differ only in those hash alike."""
    folded = text.casefold()
    if not folded.isascii():
        folded = _COMBINING.sub("", unicodedata.normalize("NFKD", folded))
    return _NON_WORD.sub(" ", folded).strip()


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Identity:
    article_id: str
    content_hash: str
    url_hash: str | None  # sha256 of the canonical URL, the key of its claim


def identify(parsed: ParsedArticle) -> Identity:
    content_hash = _sha(normalise_for_hash(parsed.text))
    if parsed.canonical_url:
        url_hash = _sha(parsed.canonical_url)
        return Identity(url_hash[:ID_HEX_CHARS], content_hash, url_hash)
    return Identity(_sha("text:" + content_hash)[:ID_HEX_CHARS], content_hash, None)


def find_exact_duplicates(client: redis.Redis, identities: list[Identity]) -> list[str | None]:
    """For each identity, the id of the article already holding its URL or text claim, else None."""
    if not identities:
        return []
    keys = []
    for ident in identities:
        keys.append(c.url_claim_key(ident.url_hash) if ident.url_hash else c.url_claim_key("-"))
        keys.append(c.text_claim_key(ident.content_hash))
    values: list[str | None] = client.mget(keys)  # type: ignore[assignment]
    out: list[str | None] = []
    for index, ident in enumerate(identities):
        by_url = values[2 * index] if ident.url_hash else None
        out.append(by_url or values[2 * index + 1])
    return out
