"""dedup: who an article is (stable id, content hash) and whether an exact copy was already emitted.

Identity: the article id comes from the canonical URL when there is one, else from the normalised text, so
the same article always gets the same id.

Claims: the canonical URL's and the normalised text's claim keys each hold the id of the article emitted
under them, for the dedup window. The copy that takes them is the one emitted; every other copy settles as
its duplicate. They are taken atomically by whichever comes first of the article's alerts
(``worker/lua/alerts.lua``, so that an alert never names a copy that then settles as a duplicate) and its
emit (``wirewatch/lua/settle.lua``). Taken by the alerts, a claim holds the :class:`Reservation`'s owner,
``"<article id> <delivery id>"``, until the emit writes the bare article id: a redelivery of that delivery
finds its own reservation and goes on to emit, while any other copy — another URL with the same text, or the
same URL in another delivery — is stopped (:func:`claim_holder`, the rule all three places apply). The alerts
and the emit run in one MULTI/EXEC (``worker/pipeline.py``), so a reservation normally ends in the same
transaction. Should the emit's script fail there after the alerts ran, the reservation stays; it is recorded under
its delivery id (``c.DEDUP_RESERVED``) in the same step, and the delivery's settle clears the record and lets go
of each claim it still holds unless it emitted it: a delivery then dead-lettered or rejected does not keep its
claims for the dedup window, where every later exact copy would settle as a duplicate of an article never
emitted. The check here is a cheap read that spares enrichment for known copies.
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


# Punctuation that keeps most cleaned news text from being ASCII (the clean stage, whose text is hashed, straightens
# quotes and spaces, not dashes and ellipses); none is a word character, nor becomes one under NFKD, so they can go
# before the other non-word characters do.
_TYPOGRAPHIC = ("\u2014", "\u2013", "\u2026")
_ASCII_NON_WORD = str.maketrans(dict.fromkeys((chr(i) for i in range(128) if not chr(i).isalnum()), " "))


def normalise_for_hash(text: str) -> str:
    """Case, accents, punctuation and spacing folded away: copies that differ only in those hash alike.

    The words (``[^\\W_]+``) joined by single spaces. Text that is ASCII once its typographic punctuation and its
    accents are gone (most news) takes a translate and a split, 3× faster than the Unicode regex the rest takes.
    """
    folded = text.casefold()
    if not folded.isascii():
        for mark in _TYPOGRAPHIC:
            if mark in folded:
                folded = folded.replace(mark, " ")
        if not folded.isascii():
            folded = _COMBINING.sub("", unicodedata.normalize("NFKD", folded))
            if not folded.isascii():
                return _NON_WORD.sub(" ", folded).strip()
    return " ".join(folded.translate(_ASCII_NON_WORD).split())


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


@dataclass(frozen=True)
class Reservation:
    """The exact claims one delivery of an article takes, and the value they hold while it is not emitted yet."""

    keys: tuple[str, ...]  # the canonical URL's claim (when there is a URL), then the normalised text's
    owner: str  # "<article id> <delivery id>"


def reservation(delivery_id: str, ident: Identity) -> Reservation:
    text = c.text_claim_key(ident.content_hash)
    keys = (c.url_claim_key(ident.url_hash), text) if ident.url_hash else (text,)
    return Reservation(keys, f"{ident.article_id} {delivery_id}")


def claim_holder(value: str | None, owner: str) -> str | None:
    """The id of the article holding a claim against ``owner``: None when the claim is free or reserved by
    ``owner``'s delivery (by any payload version of it: the latest submission of a delivery id wins, so a
    reservation of its earlier version does not make the newer one a duplicate). Mirrored in ``alerts.lua`` and
    ``settle.lua``."""
    if value is None:
        return None
    holder, _, delivery = value.partition(" ")
    return None if delivery and delivery == owner.partition(" ")[2] else holder


def find_exact_duplicates(client: redis.Redis, claims: list[Reservation]) -> list[str | None]:
    """For each delivery's claims, the id of the article already holding one of them (URL first), else None."""
    if not claims:
        return []
    values: list[str | None] = client.mget([key for claim in claims for key in claim.keys])  # type: ignore[assignment]
    out: list[str | None] = []
    at = 0
    for claim in claims:
        holders = [claim_holder(value, claim.owner) for value in values[at : at + len(claim.keys)]]
        at += len(claim.keys)
        out.append(next((h for h in holders if h is not None), None))
    return out
