"""Feed bytes → ``RawArticle``s: RSS 0.9x/2.0, RSS 1.0/RDF, Atom, JSON Feed 1.0/1.1, and whatever else
feedparser reads.

Why two parsers: feedparser reads everything (CDF, Atom 0.3, broken markup, HTML entities in XML) but does
~200 entries/s, while a monitor parses every changed feed it polls. So a fast path (lxml for well-formed
RSS/RDF/Atom, ``json`` for JSON Feed) handles the common case, a cheap repair pass (bare ``&``, HTML named
entities, control characters) rescues the usual breakage, and feedparser is the fallback for the rest.
A body that no path reads as a feed raises `FeedParseError`; nothing else escapes.

Safety: bodies and item counts are bounded, and what a body may make the parsers build (XML nodes, JSON
values) is counted in its bytes before they build it; DTDs are never loaded and declared entities never
expanded: a document with an internal DTD subset loses that subset before any parser sees it, so billion-laughs and
external entities have nothing to expand (the five XML entities and character references still work).
"""

from __future__ import annotations

import base64
import codecs
import copy
import hashlib
import html
import html.entities
import io
import json
import math
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, Literal, TypeVar
from urllib.parse import urljoin, urlsplit

from lxml import etree

from schemas.models import RawArticle, RawSource, utcnow
from worker.dates import read_date
from worker.urls import canonicalize_url

FEED_MAX_BYTES = 16 * 1024 * 1024  # a feed body larger than this is refused, not truncated
FEED_MAX_ITEMS = 2_000  # items past this are dropped: the oldest ones, whichever end of the feed they are at
# feedparser, the last resort, is pure Python and slow on big input (~6 s of CPU for 2 MB of "<", 13 s for a
# 2 MB feed of small items; 16 MB of "<" took 41 s), time that a thread of the feeds worker holds the
# interpreter for. Every real feed in the corpus goes through the fast path; the largest that needed
# feedparser is 3 KB. Past this size, a body the fast path cannot read is refused instead.
FEEDPARSER_MAX_BYTES = 512 * 1024
# What a body may make the parsers build, counted in its bytes before they build anything (a 16 MB body of
# 2,000,000 empty items cost ~4 s of CPU and ~600 MB parsed whole; the item cap came too late). XML: nodes, as
# "<" (elements) plus "=" (attributes) once large CDATA sections are cut out; the densest real feed of the
# corpus (0.042 a byte) reaches ~700,000 at 16 MiB (0.54 s, 118 MB to parse), and a body at the bound costs
# 0.3 s and 165 MB (1.3 s when only recovery reads it). Past it, the items between the first and the last
# FEED_MAX_ITEMS are cut out of the bytes (the cap would drop them anyway); a body still past it is refused.
# JSON: values (commas plus brackets and braces outside strings), ~80 bytes of Python objects each; no real
# JSON Feed has one per 16 bytes.
XML_MAX_NODES = 750_000
JSON_MAX_VALUES = 1_000_000
ITEM_MAX_CONTENT_CHARS = 1_000_000  # one item's content/summary is cut here
TITLE_MAX_CHARS = 2_000  # RawArticle.title
GUID_MAX_CHARS = 2_000  # RawArticle.guid
URL_MAX_CHARS = 4_000  # RawArticle.url; longer links are dropped, not cut (a cut URL is a wrong URL)
FEED_URL_MAX_CHARS = 2_000  # RawSource.feed
NAME_MAX_CHARS = 200  # RawSource.name
PUBLISHED_MAX_CHARS = 100  # RawArticle.published_at
AUTHORS_MAX = 50  # RawArticle.authors
AUTHOR_MAX_CHARS = 500
DELIVERY_ID_HEX = 32  # sha256 hex prefix: 128 bits, no collisions at any realistic volume
LINK_FP_HEX = 16  # a link's fingerprint beside its guid's id: 64 bits, among the few links one guid ever has

NS_ATOM = "http://www.w3.org/2005/Atom"
NS_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
NS_RSS10 = "http://purl.org/rss/1.0/"
NS_RSS090 = "http://my.netscape.com/rdf/simple/0.9/"
NS_CONTENT = "http://purl.org/rss/1.0/modules/content/"
NS_DC = "http://purl.org/dc/elements/1.1/"
NS_DC_HTTPS = "https://purl.org/dc/elements/1.1/"
NS_XML = "http://www.w3.org/XML/1998/namespace"
NS_ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
# the iTunes namespace as Apple's early documentation spelled it, still declared by real podcasts
NS_ITUNES_OLD = ("http://www.itunes.com/DTDs/PodCast-1.0.dtd", "http://www.itunes.com/DTDs/Podcast-1.0.dtd")
NS_DCTERMS = "http://purl.org/dc/terms/"
NS_XHTML = "http://www.w3.org/1999/xhtml"
NS_MEDIA = "http://search.yahoo.com/mrss/"
# RSS 2.0 put in a namespace of its own by early publishers (UserLand's, then Harvard's): plain RSS all the same
NS_RSS20_OLD = ("http://backend.userland.com/rss2", "http://blogs.law.harvard.edu/tech/rss")

Parser = Literal["fast", "repaired", "recovered", "json", "feedparser"]
_T = TypeVar("_T")


class FeedError(Exception):
    """Raised when a feed body cannot become articles; the poll is counted as failed, never retried hot."""

    kind = "parse"


class FeedTooLarge(FeedError):
    """Raised when a body exceeds ``FEED_MAX_BYTES``."""

    kind = "too_large"


class FeedParseError(FeedError):
    """Raised when no parser (fast path, repair pass, feedparser) reads the body as a feed."""

    kind = "parse"


@dataclass(frozen=True)
class ParsedFeed:
    """One parsed feed: its articles plus what the scheduler wants to know about the feed itself."""

    version: str  # rss20, rss10, atom10, json1, or feedparser's version string
    parser: Parser
    title: str | None
    link: str | None
    ttl_s: float | None  # RSS <ttl> (minutes on the wire), a floor for the poll interval
    articles: list[RawArticle]
    dropped_items: int = 0  # items past FEED_MAX_ITEMS (the oldest)
    bozo: str | None = None  # why the fast path refused or what had to be repaired, when anything was
    # per article (same order): the item's published/updated string, for the scheduler's rhythm estimate
    published: list[str | None] = field(default_factory=list)
    # per article: the fingerprint of its link when its delivery id is its guid's (None when the id already
    # rests on the link or the text, or there is no link): a guid seen again with another link is another item
    link_fingerprints: list[str | None] = field(default_factory=list)


@dataclass
class _Item:
    """A feed item in the form every parser path fills in, before it becomes a RawArticle."""

    title: str | None = None
    link: str | None = None
    guid: str | None = None
    published: str | None = None
    authors: list[str] = field(default_factory=list)
    summary: str | None = None
    summary_html: bool = False
    content: str | None = None
    content_html: bool = False
    permalink: str | None = None  # a link-like guid or atom:link: the page when <link> is missing or no page


@dataclass
class _Feed:
    version: str
    title: str | None = None
    link: str | None = None
    ttl_s: float | None = None
    language: str | None = None  # as the feed declares it ("en-us", "de")
    items: list[_Item] = field(default_factory=list)
    self_links: list[str] = field(default_factory=list)  # where the feed says it lives: no item's page
    dropped: int = 0


# ---------------------------------------------------------------------------------------------------- entry


def parse_feed(
    body: bytes,
    *,
    feed_url: str,
    headers: Mapping[str, str] | None = None,
    name: str | None = None,
    received_at: datetime | None = None,
    max_items: int = FEED_MAX_ITEMS,
    id_scope: str | None = None,
) -> ParsedFeed:
    """Turn one feed body into articles; ``headers`` are the HTTP response headers (for the charset).

    ``name`` is the configured feed name; without it the feed's own title names the source. ``feed_url`` is where
    the feed lives (the articles' ``source.feed``, the base of relative links); ``id_scope``, the URL its item ids
    are scoped by, when that differs: a feed that moved keeps the ids it was added with (default ``feed_url``).
    """
    if len(body) > FEED_MAX_BYTES:
        raise FeedTooLarge(f"feed body is {len(body)} bytes, limit {FEED_MAX_BYTES}")
    http_charset = _http_charset(headers)
    body = _strip_internal_subset(body)
    feed: _Feed | None = None
    parser: Parser = "fast"
    bozo: str | None = None

    start = body[:256].lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if start in (b"{", b"["):
        feed = _parse_json_feed(body, http_charset, max_items)
        parser = "json"
    else:
        try:
            feed = _parse_xml(_to_utf8(body, http_charset, validate=False), max_items)
        except _NotFastPath as exc:
            bozo = str(exc)
            utf8 = _repair(_to_utf8(body, http_charset))
            try:
                feed = _parse_xml(utf8, max_items)
                parser = "repaired"
            except _NotFastPath:
                try:  # trailing junk, a truncated tail: libxml2's recovery keeps what precedes it
                    feed = _parse_xml(utf8, max_items, recover=True)
                    parser = "recovered"
                except _NotFastPath:
                    feed = None
    if feed is None:
        if _HTML_PAGE.search(body[:2048]) and not _FEED_ROOT.search(body[:2048]):
            raise FeedParseError("an HTML page, not a feed")
        if len(body) > FEEDPARSER_MAX_BYTES:
            raise FeedParseError(f"not a feed the fast parser reads ({bozo or 'unknown markup'}), and at "
                                 f"{len(body)} bytes too large for the fallback parser (limit "
                                 f"{FEEDPARSER_MAX_BYTES})")  # fmt: skip
        feed = _parse_with_feedparser(body, headers, max_items)
        parser = "feedparser"

    base = _content_location(headers, feed_url)
    return _to_parsed(feed, parser, bozo, feed_url=feed_url, base=base, name=name, received_at=received_at or utcnow(),
                      id_scope=id_scope or feed_url)  # fmt: skip


def _content_location(headers: Mapping[str, str] | None, feed_url: str) -> str:
    """The base for relative links: the response's Content-Location when absolute, else the feed URL."""
    for key, value in (headers or {}).items():
        if key.lower() == "content-location":
            location = urljoin(feed_url, value.strip())
            if location.startswith(("http://", "https://")):
                return location
    return feed_url


# --------------------------------------------------------------------------------------------------- bytes

_XML_DECL = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']", re.S)
_DOCTYPE = re.compile(rb"<!DOCTYPE\s[^\[>]*\[", re.I)
_CHARSET = re.compile(r"charset\s*=\s*\"?([A-Za-z0-9._:-]+)", re.I)
_SINGLE_BYTE_LATIN = {"latin-1", "iso8859-1", "cp1252", "ascii", "iso8859-15"}
# Labels that mean windows-1252 (WHATWG Encoding, as browsers and feedparser read them): bytes 0x80-0x9F are
# dashes and quotes to the publisher, C1 controls nobody sees in ISO-8859-1 (davidbau.com's em dashes).
_WINDOWS_1252_LABELS = {"iso8859-1", "ascii", "cp1252"}


_HTML_PAGE = re.compile(rb"<(?:!doctype\s+)?html[\s>]", re.I)
_FEED_ROOT = re.compile(rb"<(?:[\w-]+:)?(?:rss|feed|rdf|channel)[\s>]", re.I)


def _http_charset(headers: Mapping[str, str] | None) -> str | None:
    if not headers:
        return None
    for key, value in headers.items():
        if key.lower() == "content-type":
            match = _CHARSET.search(value)
            return _codec(match.group(1)) if match else None
    return None


# Codecs Python finds by a label that name no document charset: host-name and escape transforms. Taken at their
# word, `punycode` raised a bare UnicodeError out of the parser (a crash, `error:internal`) and turned a JSON Feed
# to noise; bytes-to-bytes codecs (`rot13`, `base64`, `zlib`) are told apart by CodecInfo itself.
_NOT_CHARSETS = {"idna", "punycode", "unicode-escape", "raw-unicode-escape", "undefined"}


def _codec(label: str | bytes | None) -> str | None:
    """The Python codec name for a charset label, or None when Python does not know it as a text charset."""
    if label is None:
        return None
    if isinstance(label, bytes):
        label = label.decode("ascii", "replace")
    try:
        info = codecs.lookup(label.strip())
    except LookupError:
        return None
    if info.name in _NOT_CHARSETS or not getattr(info, "_is_text_encoding", True):
        return None
    return info.name


def _strip_internal_subset(body: bytes) -> bytes:
    """Remove a DOCTYPE's internal subset (``[...]``): declared entities are never expanded."""
    head = body[:4096]
    match = _DOCTYPE.search(head)
    if match is None:
        return body
    end = body.find(b"]", match.end())
    close = body.find(b">", end) if end >= 0 else -1
    if close < 0:  # an unterminated subset: drop everything from the DOCTYPE on, nothing safe remains
        return body[: match.start()]
    return body[: match.start()] + body[close + 1 :]


def _to_utf8(body: bytes, http_charset: str | None, *, validate: bool = True) -> bytes:
    """The body re-encoded as UTF-8 (the XML parser is then told so, whatever the prolog says).

    Order, as feeds need it: a BOM; the HTTP charset; the XML declaration; UTF-8; windows-1252 (covers
    ISO-8859-1 without declaration). A declared single-byte Latin charset on a body that is valid UTF-8 with
    multi-byte sequences is believed to be UTF-8: that mismatch is common and the reverse is near impossible;
    a UTF-8 label on a body that is not UTF-8 goes on to the next candidate (a KOI8-R body served as utf-8).
    With ``validate=False`` a body that claims UTF-8 (or nothing) is passed on unchecked: libxml2 checks it
    while parsing, and a failure there comes back here with ``validate=True``.
    """
    if body.startswith(codecs.BOM_UTF8):
        return body[3:]
    for bom, name in (
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if body.startswith(bom):
            return body[len(bom) :].decode(name, "replace").encode("utf-8")
    if body[:2] == b"<\x00":
        return body.decode("utf-16-le", "replace").encode("utf-8")
    if body[:2] == b"\x00<":
        return body.decode("utf-16-be", "replace").encode("utf-8")

    declared = None
    match = _XML_DECL.match(body[:512])
    if match:
        declared = _codec(match.group(1))
    for candidate in (http_charset, declared):
        if candidate is None or candidate.startswith(("utf-16", "utf-32")):
            continue  # a 16/32-bit label on an 8-bit-looking body is a lie
        if candidate == "utf-8":
            if not validate or _is_utf8(body):
                return body
            continue  # the label lies (a KOI8-R body served as utf-8): the XML declaration may say what it is
        if candidate in _SINGLE_BYTE_LATIN and (body.isascii() or _is_utf8(body)):
            return body  # ASCII reads the same in all of them
        try:
            return _decode(body, candidate).encode("utf-8")
        except (UnicodeError, LookupError):
            continue
    if not validate or _is_utf8(body):
        return body
    return _decode(body, "cp1252").encode("utf-8")


def _decode(body: bytes, codec: str, errors: str = "strict") -> str:
    """``body`` decoded; windows-1252 for the labels that mean it (`_WINDOWS_1252_LABELS`), its five undefined
    bytes read as ISO-8859-1 reads them (WHATWG does the same)."""
    if codec in _WINDOWS_1252_LABELS:
        return body.decode("cp1252", "wirewatch.latin1" if errors == "strict" else errors)
    return body.decode(codec, errors)


def _as_latin1(exc: UnicodeError) -> tuple[str, int]:
    """The ``wirewatch.latin1`` error handler: bytes the codec does not define, read as ISO-8859-1."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return exc.object[exc.start : exc.end].decode("latin-1"), exc.end


codecs.register_error("wirewatch.latin1", _as_latin1)


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


_BARE_AMP = re.compile(rb"&(?!(?:#[0-9]{1,7}|#x[0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{0,31});)")
# the five XML entities are excluded in the pattern: escaped HTML is full of them, a callback each is slow
_NAMED_ENTITY = re.compile(rb"&(?!(?:amp|lt|gt|quot|apos);)([A-Za-z][A-Za-z0-9]{0,31});")
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_ANY_DECL = re.compile(rb"<\?xml[^>]*?\?+>")
_RSS_PREFIX = re.compile(rb"<(/?)rss:")
_UNQUOTED_ATTR = re.compile(rb"(<[A-Za-z][^<>]*?\s[A-Za-z_:][-\w:.]*)=([^\s\"'<>=]+)(?=[\s/>])")
_XML_ENTITIES = {b"amp", b"lt", b"gt", b"quot", b"apos"}


def _named_to_numeric(match: re.Match[bytes]) -> bytes:
    return _entity_bytes(match.group(1))


@lru_cache(maxsize=512)
def _entity_bytes(name: bytes) -> bytes:
    if name in _XML_ENTITIES:
        return b"&" + name + b";"
    text = html.entities.html5.get(name.decode("ascii") + ";")
    if text is None:
        return b"&amp;" + name + b";"
    return "".join(f"&#{ord(ch)};" for ch in text).encode("ascii")


def _repair(body: bytes) -> bytes:
    """The usual breakage of real feeds, fixed in bytes: leading junk, control characters, bare ``&``,
    HTML named entities (``&nbsp;``) that XML does not define."""
    body = _CONTROL.sub(b"", body)  # no XML text may hold them, CDATA included
    if _XML_DECL.match(body) is None:
        start = body.find(b"<")
        if start > 0:
            body = body[start:]
    undeclared_rss = b"<rss:" in body and b"xmlns:rss" not in body  # RSS written with an undeclared rss: prefix
    # CDATA text is literal: what would be repaired in markup is already right there (a bare `&` escaped inside
    # one read `Q&amp;A` in an Atom text title)
    parts = _cdata_split(body)
    parts[0::2] = [_repair_markup(part, undeclared_rss) for part in parts[0::2]]
    return b"".join(parts)


def _cdata_split(body: bytes) -> list[bytes]:
    """``body`` as markup, CDATA section, markup, …, markup. By searches from where the last section ended, so
    linear: a lazy regex ran to the end of the body from every opening without a close (20,000 of them: hours).
    Text after an unclosed opening is markup, as libxml2's recovery reads it."""
    parts, pos = [], 0
    while (start := body.find(b"<![CDATA[", pos)) >= 0 and (end := body.find(b"]]>", start + 9)) >= 0:
        parts += [body[pos:start], body[start : end + 3]]
        pos = end + 3
    parts.append(body[pos:])
    return parts


def _repair_markup(body: bytes, undeclared_rss: bool) -> bytes:
    body = _ANY_DECL.sub(b"", body)  # a declaration anywhere but first is fatal to libxml2; ours is redundant
    if undeclared_rss:
        body = _RSS_PREFIX.sub(rb"<\1", body)
    body = _UNQUOTED_ATTR.sub(rb'\1="\2"', body)
    body = _BARE_AMP.sub(b"&amp;", body)
    return _NAMED_ENTITY.sub(_named_to_numeric, body)


# ----------------------------------------------------------------------------------------------- XML fast


class _NotFastPath(Exception):
    """Raised inside the fast path when it will not read a body; the caller falls back."""


class _Parsers(threading.local):
    """Parser objects are reused (building one per document costs), one set per thread (lxml locks a
    parser for a whole parse)."""

    def __init__(self) -> None:
        # resolve_entities=False and load_dtd=False: no declared or external entity is ever expanded;
        # huge_tree=False keeps libxml2's depth and text-node limits.
        options: dict[str, Any] = {
            "resolve_entities": False,
            "load_dtd": False,
            "no_network": True,
            "huge_tree": False,
            "collect_ids": False,
        }
        self.strict = etree.XMLParser(encoding="utf-8", **options)
        self.recover = etree.XMLParser(encoding="utf-8", recover=True, **options)


_PARSERS = _Parsers()

# Large CDATA sections (a post's HTML in content:encoded) are cut out before libxml2 sees the document and
# put back when read: libxml2 then parses half the bytes, and a section never read is never decoded.
# The placeholder is private-use text that cannot clash: documents containing U+E000 are not lifted.
_CDATA_OPEN = b"<![CDATA["
_CDATA_CLOSE = b"]]>"
_CDATA_LIFT_MIN_BYTES = 256
_MARK_OPEN = "\ue000"
_MARK_OPEN_BYTES = _MARK_OPEN.encode()
_MARK = re.compile("\ue000([0-9]+)\ue001")


class _Lifted:
    """The CDATA sections cut out of one document; decoded on first read."""

    __slots__ = ("raw",)

    def __init__(self) -> None:
        self.raw: list[bytes | str] = []

    def get(self, index: int) -> str:
        value = self.raw[index]
        if isinstance(value, bytes):
            if b"\r" in value:  # what libxml2 does to every other text node (XML 1.0 §2.11)
                value = value.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
            value = value.decode("utf-8", "replace")
            self.raw[index] = value
        return value

    def restore(self, text: str) -> str:
        return _MARK.sub(lambda m: self.get(int(m.group(1))) if int(m.group(1)) < len(self.raw) else "", text)


_NO_LIFT = _Lifted()


def _lift_cdata(data: bytes) -> tuple[bytes, _Lifted]:
    """Cut large CDATA sections out of UTF-8 bytes. A section that starts inside a comment or a
    processing instruction would be cut too; its placeholder then lands in a comment, which is dropped."""
    if _MARK_OPEN_BYTES in data or _CDATA_OPEN not in data:
        return data, _NO_LIFT
    lifted = _Lifted()
    out: list[bytes] = []
    pos = 0
    find = data.find
    while True:
        start = find(_CDATA_OPEN, pos)
        if start < 0:
            break
        end = find(_CDATA_CLOSE, start + 9)
        if end < 0:
            break
        if end - start - 9 >= _CDATA_LIFT_MIN_BYTES:
            out.append(data[pos:start])
            out.append(b"\xee\x80\x80%d\xee\x80\x81" % len(lifted.raw))
            lifted.raw.append(data[start + 9 : end])
        else:
            out.append(data[pos : end + 3])
        pos = end + 3
    if not lifted.raw:
        return data, _NO_LIFT
    out.append(data[pos:])
    return b"".join(out), lifted


class _Doc:
    """One parsed document: its root and its lifted CDATA sections (read through `text`)."""

    __slots__ = ("lifted", "root")

    def __init__(self, root: Any, lifted: _Lifted) -> None:
        self.root = root
        self.lifted = lifted

    def text(self, el: Any) -> str | None:
        """An element's text; markup inside it (unescaped HTML in a description) is kept, serialised."""
        if len(el):
            parts = [el.text or ""]
            parts.extend(etree.tostring(child, encoding="unicode", with_tail=True) for child in el)
            value = "".join(parts)
        else:
            value = el.text
        if value is None:
            return None
        if _MARK_OPEN in value and self.lifted.raw:
            value = self.lifted.restore(value)
        value = value.strip()
        return value or None


def _parse_xml(data: bytes, max_items: int, *, recover: bool = False, lift: bool = True) -> _Feed:
    lifted = _NO_LIFT
    if lift and not recover:
        data, lifted = _lift_cdata(data)
    data, cut = _bound_nodes(data, max_items)
    parser = _PARSERS.recover if recover else _PARSERS.strict
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        if lifted is not _NO_LIFT:  # the cut may have been what broke it: judge the document whole
            return _parse_xml(_restore_bytes(data, lifted), max_items, recover=recover, lift=False)
        raise _NotFastPath(f"xml: {exc}") from exc
    if root is None:
        raise _NotFastPath("xml: empty document")
    doc = _Doc(root, lifted)
    ns, local = _split(root.tag)
    if local == "rss" and ns in NS_RSS20_OLD:
        _drop_namespace(root, ns)
        ns = None
    if local == "rss" and ns is None:
        feed = _parse_rss(doc, max_items)
    elif local == "RDF" and ns == NS_RDF:
        feed = _parse_rdf(doc, max_items)
    elif local == "feed" and ns in (NS_ATOM, None):
        feed = _parse_atom(doc, max_items)
    else:
        raise _NotFastPath(f"not a fast-path feed root: {root.tag!s}")
    if recover and not feed.items:
        raise _NotFastPath("recovered document has no items")
    feed.dropped += cut
    return feed


def _drop_namespace(root: Any, ns: str) -> None:
    """Every element in ``ns`` renamed to its local name: RSS in an early namespace read as the RSS it is (only
    such feeds pay for the walk)."""
    prefix = f"{{{ns}}}"
    for el in list(root.iter(f"{prefix}*")):
        el.tag = el.tag[len(prefix) :]


_ITEM_NAMES = (b"item", b"entry")
_PREFIX = rb"(?:[A-Za-z_][-\w.]*:)??"  # a namespace prefix (<atom:entry>, <rss:item>); lazy: most items have none
# An item's open tag, and a whole item element with the blanks after it, whatever its prefix; a name that only
# begins like an item's (<items>, <media:itemX>, <entry-count>) is none. The close tag has the open tag's prefix;
# the content is read a run of non-"<" at a time (a lazy ".*?" took three times as long) and holds no item tag of
# any prefix, nor does a tag run past a "<": so a search that fails (an item never closed, a tag never ended)
# stops at the next item, and the cut stays linear in the body (a content of any tags but the close one made it
# quadratic on unclosed items: 20,000 took 46 s).
_ANY_PREFIX = rb"(?:[A-Za-z_][-\w.]*:)?"
_ITEM_OPEN = {name: re.compile(rb"<" + _PREFIX + name + rb"(?=[\s/>])") for name in _ITEM_NAMES}
_ITEM_ELEMENT = {
    name: re.compile(rb"<(" + _PREFIX + rb")" + name + rb"(?:\s[^<>]*?)?(?:/>|>[^<]*(?:<(?!/?" + _ANY_PREFIX + name
                     + rb"[\s/>])[^<]*)*</\1" + name + rb"\s*>)\s*")
    for name in _ITEM_NAMES
}  # fmt: skip
_TAIL_WINDOW = 256 * 1024  # bytes first searched from the end for the last items; grown fourfold as needed
_XML_BLANKS = b" \t\r\n"
_END = b"\x01"  # stands for an item's end in `_run_of_items`; no XML document holds it


def _bound_nodes(data: bytes, max_items: int) -> tuple[bytes, int]:
    """The document to parse and how many items were cut out of it: within ``XML_MAX_NODES`` (`_nodes`), as it
    is; past it, without the items between its first and its last ``max_items`` (both kept: `_keep_newest` picks
    the end that is newest). Items are ``item`` or ``entry`` elements, prefixed or not. Only whole items are cut:
    what lies between them (channel metadata, a ``</channel>``, another channel) stays, so the document stays
    well-formed and keeps it. Counting and cutting are C-speed passes over the bytes, done only on bodies long
    enough to be past the bound.

    Raises FeedParseError when the body is still past the bound (its elements are no items): refused, not handed
    to the repair pass or feedparser, which would take longer over the same elements."""
    if len(data) <= XML_MAX_NODES or _nodes(data) <= XML_MAX_NODES:
        return data, 0
    keep = max(max_items, 1)
    # the elements of a flood, whatever the root says items are; an overcount (<items>, text) only skews the choice
    counts = {name: data.count(b"<" + name) + data.count(b":" + name) for name in _ITEM_NAMES if name in data}
    name = max(counts, key=counts.__getitem__, default=b"")
    cut = 0
    if name and counts[name] > 2 * keep:
        data, cut = _cut_items(data, name, keep)
    nodes = _nodes(data)
    if nodes > XML_MAX_NODES:
        raise FeedParseError(f"xml: {nodes:,} elements and attributes once items past the cap are cut, limit "
                             f"{XML_MAX_NODES:,}: refused unparsed")  # fmt: skip
    return data, cut


def _cut_items(data: bytes, name: bytes, keep: int) -> tuple[bytes, int]:
    """``data`` without the ``name`` items between its first and its last ``keep``, and how many were cut."""
    head_end = _nth_item(data, name, keep, from_end=False)
    tail_start = _nth_item(data, name, keep, from_end=True)
    if not 0 <= head_end < tail_start:
        return data, 0
    middle = data[head_end:tail_start]
    opening = _ITEM_OPEN[name].match(data, head_end)  # where `_nth_item` found it
    qname = data[head_end + 1 : opening.end()] if opening else b""  # as this feed writes it: item, rss:item
    cut = _run_of_items(middle, qname) if qname else None
    if cut is None:  # something between the items (channel metadata, </channel>, a comment): cut each one
        middle, cut = _ITEM_ELEMENT[name].subn(b"", middle)
    else:
        middle = b""
    return data[:head_end] + middle + data[tail_start:], cut


def _run_of_items(middle: bytes, qname: bytes) -> int | None:
    """How many ``qname`` elements ``middle`` holds when it is nothing else (blanks aside), or None.

    ``middle`` starts at an item's open tag and ends where the next one starts: it is a run of items when, blanks
    removed and each end of an item (``</q>``, ``<q/>``) written `_END`, every ``<q`` but the first follows an
    end and every end is followed by a ``<q``. Tags in CDATA sections or comments keep that only in pairs
    (``</q><q``), which leave the run whole (and count an item more each); a look-alike element (``<qs>``) or any
    element, text or comment between two items breaks it. Counted in C: a regex over the items cost three times as
    much on a flood."""
    opening, empty = b"<" + qname, b"<" + qname + b"/>"
    flat = (middle + opening).translate(None, _XML_BLANKS)
    empties = flat.count(empty)
    if len(flat) == empties * len(empty) + len(opening):  # nothing but empty items (a flood, as floods come)
        return empties
    if _END in flat:
        return None
    items = flat.count(opening) - 1  # the last <q is the next item's, appended
    flat = flat.replace(b"</" + qname + b">", _END)
    if empties:  # replaced only when there are some: a replacement each costs
        flat = flat.replace(empty, opening + _END)
    if flat.count(_END) == items == flat.count(_END + opening):
        return items
    return None


def _nth_item(data: bytes, name: bytes, n: int, *, from_end: bool) -> int:
    """Where the open tag of the ``name`` item of index ``n`` (from 0) starts, or with ``from_end`` the first of
    the last ``n``; -1 when there are not that many. A regex does not search backwards: the last ones are looked
    for in a window at the end, grown until it holds ``n`` (a tag that starts in the window is read whole)."""
    opening = _ITEM_OPEN[name]
    if not from_end:
        for index, match in enumerate(opening.finditer(data)):
            if index == n:
                return match.start()
        return -1
    window = _TAIL_WINDOW
    while True:
        start = max(len(data) - window, 0)
        starts = [match.start() for match in opening.finditer(data, start)]
        if len(starts) >= n:
            return starts[-n]
        if start == 0:
            return -1
        window *= 4


def _nodes(data: bytes) -> int:
    """At most how many elements and attributes libxml2 would build: a tag's "<" and an attribute's "=" (also
    counted: end tags, comments, "=" in text; all cheap to overcount, a real feed is well within the bound)."""
    return data.count(b"<") + data.count(b"=")


def _restore_bytes(data: bytes, lifted: _Lifted) -> bytes:
    return _MARK.sub(
        lambda m: "<![CDATA[" + lifted.get(int(m.group(1))) + "]]>", data.decode("utf-8", "replace")
    ).encode("utf-8")


_SPLIT_CACHE: dict[str, tuple[str | None, str]] = {}


def _split(tag: Any) -> tuple[str | None, str]:
    cached = _SPLIT_CACHE.get(tag)
    if cached is not None:
        return cached
    if not isinstance(tag, str):
        return None, ""
    if tag[:1] == "{":
        ns, _, local = tag[1:].partition("}")
        result: tuple[str | None, str] = (ns, local)
    else:
        result = (None, tag)
    if len(_SPLIT_CACHE) < 4096:
        _SPLIT_CACHE[tag] = result
    return result


_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")


def _plain(value: str | None) -> str | None:
    """Title text: tags out, entities decoded, whitespace collapsed."""
    if value is None:
        return None
    if "<" in value or "&" in value:
        value = html.unescape(_TAG.sub("", value))
    if "  " in value or "\n" in value or "\t" in value or "\r" in value:
        value = _SPACE.sub(" ", value)
    value = value.strip()
    return value or None


def _title(value: str | None, is_html: bool) -> str | None:
    """An Atom title: markup removed when it is HTML, kept as written when it is text."""
    if is_html:
        return _plain(value)
    if value is None:
        return None
    return _SPACE.sub(" ", value).strip() or None


_LOOKS_HTML = re.compile(r"<[A-Za-z/!]|&(?:#\d+|#x[0-9A-Fa-f]+|[A-Za-z]+);")


# Clark-notation tag -> the item field it fills; a dict lookup per child beats splitting every tag.
_RSS_FIELDS: dict[str, str] = {}
for _prefix in ("", f"{{{NS_RSS10}}}", f"{{{NS_RSS090}}}"):
    for _local, _field in (
        ("title", "title"),
        ("link", "link"),
        ("description", "summary"),
        ("guid", "guid"),
        ("pubDate", "published"),
        ("author", "author"),
    ):
        _RSS_FIELDS[_prefix + _local] = _field
_RSS_FIELDS.update(
    {
        f"{{{NS_CONTENT}}}encoded": "content",
        f"{{{NS_DC}}}creator": "author",
        f"{{{NS_DC}}}date": "date",
        f"{{{NS_DC_HTTPS}}}creator": "author",  # a common misspelling that feedparser accepts too
        f"{{{NS_DC_HTTPS}}}date": "date",
        f"{{{NS_ATOM}}}link": "atom_link",
        f"{{{NS_ATOM}}}author": "author",
        f"{{{NS_ATOM}}}published": "date",
        f"{{{NS_ATOM}}}updated": "date",
        f"{{{NS_XHTML}}}body": "xhtml_body",
        f"{{{NS_DC}}}description": "other_summary",
        f"{{{NS_DC_HTTPS}}}description": "other_summary",
        f"{{{NS_DCTERMS}}}issued": "date",
        f"{{{NS_DCTERMS}}}created": "date",
        f"{{{NS_DCTERMS}}}modified": "date",
        f"{{{NS_MEDIA}}}description": "media_description",
        f"{{{NS_MEDIA}}}title": "alt_title",
        f"{{{NS_DC}}}title": "alt_title",
        f"{{{NS_MEDIA}}}group": "media_group",
    }
)


for _itunes in (NS_ITUNES, *NS_ITUNES_OLD):
    _RSS_FIELDS[f"{{{_itunes}}}author"] = "itunes_author"
    _RSS_FIELDS[f"{{{_itunes}}}summary"] = "other_summary"


_MEDIA_DESCRIPTION = f"{{{NS_MEDIA}}}description"
_EMAIL_NAME = re.compile(r"^\s*[^\s()<>@]+@[^\s()<>]+\s*\(([^()]+)\)\s*$")
_NAME_EMAIL = re.compile(r"^\s*([^<>]+?)\s*<[^\s<>@]+@[^\s<>]+>\s*$")
_NAME_PAREN_EMAIL = re.compile(r"^\s*([^()<>@]+?)\s*\(\s*[^\s()<>@]+@[^\s()<>]+\s*\)\s*$")


def _rss_author(doc: _Doc, el: Any) -> str | None:
    """RSS ``<author>`` is an e-mail address with the name in parentheses: keep the name when there is one (also
    from "name <e-mail>" and "name (e-mail)"). One with child elements is a person construct (an atom:author,
    Hugo's ``<author><name>``), else markup read as text."""
    if len(el):
        return _person(doc, el) or _author_name(_plain(doc.text(el)))
    return _author_name(doc.text(el))


def _author_name(value: str | None) -> str | None:
    if value is None or "@" not in value:
        return value
    match = _EMAIL_NAME.match(value) or _NAME_EMAIL.match(value) or _NAME_PAREN_EMAIL.match(value)
    return match.group(1).strip() if match else value


def _media_description(doc: _Doc, el: Any) -> str | None:
    """Media RSS: a ``media:description``, alone or inside a ``media:group`` (YouTube's feeds)."""
    if el.tag == _MEDIA_DESCRIPTION:
        return doc.text(el)
    for sub in el:
        if sub.tag == _MEDIA_DESCRIPTION:
            return doc.text(sub)
    return None


_IANA_ALTERNATE = "http://www.iana.org/assignments/relation/alternate"


def _is_alternate(rel: str | None) -> bool:
    """A link's rel names the item's page: omitted, ``alternate`` or its IANA IRI (RFC 4287 §4.2.7.2); not
    ``self``, ``edit``, ``replies``, ``enclosure``, ``related``."""
    return rel is None or rel == "alternate" or rel.strip() in ("alternate", _IANA_ALTERNATE)


def _strip(value: str | None) -> str | None:
    return value.strip() or None if value else None


def _rss_item(doc: _Doc, el: Any, guid: str | None = None) -> _Item:
    """One RSS 0.9x/1.0/2.0 item (``el`` is the ``<item>``)."""
    item = _Item(guid=guid)
    date = None
    itunes_author = None
    media_description = None
    other_summary = None  # dc:description, itunes:summary
    alt_title = None
    fields = _RSS_FIELDS
    for sub in el:
        name = fields.get(sub.tag)
        if name is None:
            continue
        if name == "title":
            item.title = doc.text(sub)
        elif name == "link":
            if item.link is None and _is_alternate(sub.get("rel")):
                # an Atom-style <link href="…"/> without its namespace (gofeed reads it too)
                item.link = doc.text(sub) or _strip(sub.get("href"))
        elif name == "summary":
            item.summary = doc.text(sub)
        elif name == "content":
            item.content = doc.text(sub)
            item.content_html = True
        elif name == "guid":
            item.guid = doc.text(sub)
            permalink = sub.get("isPermaLink", "true").lower() != "false"
            if permalink and item.guid and item.guid.startswith(("http://", "https://")):
                item.permalink = item.guid
        elif name == "published":
            item.published = doc.text(sub)
        elif name == "author":
            value = _rss_author(doc, sub)
            if value:
                item.authors.append(value)
        elif name == "date":
            date = date or doc.text(sub)
        elif name == "atom_link":
            if _is_alternate(sub.get("rel")) and not item.permalink:
                item.permalink = _strip(sub.get("href"))
        elif name == "itunes_author":
            itunes_author = itunes_author or doc.text(sub)
        elif name == "alt_title":
            alt_title = alt_title or doc.text(sub)
        elif name in ("media_description", "media_group"):
            media_description = media_description or _media_description(doc, sub)
        elif name == "other_summary":
            other_summary = other_summary or doc.text(sub)
        elif name == "xhtml_body" and item.content is None:
            item.content = _xhtml_inner(sub)
            item.content_html = item.content is not None
    if item.summary is None:
        item.summary = media_description or other_summary
    if item.link is None:
        item.link = item.permalink
    if item.link is not None and not item.link.startswith(("http://", "https://")):
        base = _xml_base(el)
        if base:
            item.link = urljoin(base, item.link)
    if item.published is None:
        item.published = date
    if not item.authors and itunes_author:
        item.authors.append(itunes_author)
    if item.summary is not None:
        item.summary_html = bool(_LOOKS_HTML.search(item.summary))
    if item.content is None and item.summary is not None:
        item.content, item.content_html = item.summary, item.summary_html
    item.title = _plain(item.title or alt_title)
    return item


_XML_BASE = f"{{{NS_XML}}}base"


def _xml_base(el: Any) -> str | None:
    """The xml:base in effect at ``el`` (its own on top of its ancestors'), or None; looked up only for a relative
    link. A relative base stays relative: the document's address resolves it later, as it does any relative link."""
    bases = []
    while el is not None:
        value = el.get(_XML_BASE)
        if value and value.strip():
            bases.append(value.strip())
        el = el.getparent()
    base = None
    for value in reversed(bases):
        base = urljoin(base, value) if base else value
    return base


def _parse_rss(doc: _Doc, max_items: int) -> _Feed:
    root = doc.root
    version = root.get("version", "2.0").strip()
    channel = None
    for child in root:
        if _split(child.tag)[1] == "channel":
            channel = child
            break
    if channel is None:
        raise _NotFastPath("rss without channel")
    feed = _Feed(version="rss" + version.replace(".", ""))
    # Items belong in <channel>; some feeds put them after it, beside it under <rss> (as RSS 0.90 and RDF do),
    # and feedparser reads them there too: so do we, rather than find no items in a feed that has them.
    stray = [child for child in root if child is not channel and _split(child.tag) == (None, "item")]
    overflow: list[Any] = []
    dc_title = None
    for child in [*channel, *stray]:
        ns, local = _split(child.tag)
        if local == "item" and ns is None:
            if len(feed.items) >= max_items:
                overflow.append(child)
                continue
            feed.items.append(_rss_item(doc, child))
        elif ns is None and local == "title":
            feed.title = _plain(doc.text(child))
        elif ns is None and local == "link":
            feed.link = doc.text(child)
        elif ns == NS_ATOM and local == "link" and child.get("rel") == "self" and child.get("href"):
            feed.self_links.append(child.get("href").strip())
        elif ns is None and local == "ttl":
            feed.ttl_s = _minutes(doc.text(child))
        elif (ns is None and local == "language") or (ns in (NS_DC, NS_DC_HTTPS) and local == "language"):
            feed.language = feed.language or _plain(doc.text(child))
        elif ns in (NS_DC, NS_DC_HTTPS) and local == "title":
            dc_title = dc_title or _plain(doc.text(child))
    feed.title = feed.title or dc_title  # as feedparser names a channel that has only a dc:title
    if overflow:
        _keep_newest(feed, overflow, lambda el: _rss_item(doc, el), max_items)
    return feed


def _minutes(value: str | None) -> float | None:
    try:
        minutes = float(value) if value else 0.0
    except ValueError:
        return None
    return minutes * 60.0 if 0 < minutes < 1e6 else None


def _parse_rdf(doc: _Doc, max_items: int) -> _Feed:
    root = doc.root
    feed = _Feed(version="rss10")
    overflow: list[Any] = []
    for child in root:
        ns, local = _split(child.tag)
        if ns not in (NS_RSS10, NS_RSS090):
            continue
        if ns == NS_RSS090:
            feed.version = "rss090"
        if local == "channel":
            for sub in child:
                sns, slocal = _split(sub.tag)
                if sns == ns and slocal == "title":
                    feed.title = _plain(doc.text(sub))
                elif sns == ns and slocal == "link":
                    feed.link = doc.text(sub)
                elif sns in (NS_DC, NS_DC_HTTPS) and slocal == "language":
                    feed.language = _plain(doc.text(sub))
        elif local == "item":
            if len(feed.items) >= max_items:
                overflow.append(child)
                continue
            feed.items.append(_rss_item(doc, child, child.get(f"{{{NS_RDF}}}about")))
    if overflow:
        _keep_newest(feed, overflow, lambda el: _rss_item(doc, el, el.get(f"{{{NS_RDF}}}about")), max_items)
    return feed


def _atom_text(doc: _Doc, el: Any) -> tuple[str | None, bool]:
    """An Atom text construct: (value, is_html)."""
    kind = (el.get("type") or "text").lower()
    if kind == "xhtml":
        div = next((c for c in el if _split(c.tag)[1] == "div"), None)
        target = div if div is not None else el
        return _xhtml_inner(target), True
    if kind in ("html", "text/html"):
        return doc.text(el), True
    if kind in ("text", "text/plain"):
        return doc.text(el), False
    value = doc.text(el)  # another media type: keep it when it is text, as feedparser does
    if value and kind.startswith("application/") and not kind.endswith("xml"):
        try:  # RFC 4287 §3.1.1.3: other media types are base64-encoded
            value = base64.b64decode(value, validate=False).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return value, False
    return value, bool(value and _LOOKS_HTML.search(value))


_XHTML_TAG = f"{{{NS_XHTML}}}"


def _xhtml_inner(el: Any) -> str | None:
    """What an XHTML container (an Atom ``<div>``, an RSS ``<xhtml:body>``) holds, as HTML."""
    parts = [html.escape(el.text or "", quote=False)]  # lxml unescaped it; it is markup again
    parts.extend(_xhtml_markup(child) for child in el)
    return "".join(parts).strip() or None


def _xhtml_markup(el: Any) -> str:
    """An XHTML element (and its tail) as the HTML it is: without the namespace, which lxml would otherwise declare
    on it (``<b xmlns="http://www.w3.org/1999/xhtml">``), and without its ``xhtml:`` prefix."""
    el = copy.deepcopy(el)
    for sub in el.iter():
        if isinstance(sub.tag, str) and sub.tag.startswith(_XHTML_TAG):
            sub.tag = sub.tag[len(_XHTML_TAG) :]
    etree.cleanup_namespaces(el)
    return str(etree.tostring(el, encoding="unicode", with_tail=True))


def _atom_authors(doc: _Doc, el: Any) -> list[str]:
    return [name for sub in el if _split(sub.tag)[1] == "author" and (name := _person(doc, sub))]


def _person(doc: _Doc, el: Any) -> str | None:
    """An Atom person construct (also RSS authors written as one, Hugo's ``<author><name>``): its name, else its
    e-mail address."""
    name = email = None
    for part in el:
        local = _split(part.tag)[1]
        if local == "name":
            name = doc.text(part)
        elif local == "email":
            email = doc.text(part)
    return name or email


def _parse_atom(doc: _Doc, max_items: int) -> _Feed:
    root = doc.root
    feed = _Feed(version="atom10" if _split(root.tag)[0] == NS_ATOM else "atom", language=root.get(f"{{{NS_XML}}}lang"))
    feed_base = root.get(f"{{{NS_XML}}}base")
    feed_authors = _atom_authors(doc, root)
    overflow: list[Any] = []
    for child in root:
        ns, local = _split(child.tag)
        if ns not in (NS_ATOM, None):
            continue
        if local == "entry":
            if len(feed.items) >= max_items:
                overflow.append(child)
                continue
            feed.items.append(_atom_entry(doc, child, feed_base))
        elif local == "title":
            feed.title = _title(*_atom_text(doc, child))
        elif local == "link" and _is_alternate(child.get("rel")) and feed.link is None:
            href = child.get("href")
            feed.link = urljoin(feed_base, href) if feed_base and href else href
        elif local == "link" and child.get("rel") == "self" and child.get("href"):
            href = child.get("href").strip()
            feed.self_links.append(urljoin(feed_base, href) if feed_base else href)
    if overflow:
        _keep_newest(feed, overflow, lambda el: _atom_entry(doc, el, feed_base), max_items)
    if feed_authors:  # RFC 4287 §4.2.1: an entry without authors has the feed's
        for item in feed.items:
            if not item.authors:
                item.authors = list(feed_authors)
    return feed


_HTML_TYPES = ("text/html", "application/xhtml+xml")


def _atom_entry(doc: _Doc, el: Any, feed_base: str | None) -> _Item:
    item = _Item()
    base = el.get(f"{{{NS_XML}}}base") or feed_base
    if base and feed_base and base != feed_base:
        base = urljoin(feed_base, base)
    link_score = -1
    updated = None
    for sub in el:
        ns, local = _split(sub.tag)
        if ns == NS_ATOM or ns is None:
            if local == "title":
                item.title = _title(*_atom_text(doc, sub))
            elif local == "link":
                href = sub.get("href")
                if href and _is_alternate(sub.get("rel")):
                    score = 2 if (sub.get("type") or "text/html") in _HTML_TYPES else 1
                    if score > link_score:
                        item.link = urljoin(base, href.strip()) if base else href.strip()
                        link_score = score
            elif local == "id":
                item.guid = doc.text(sub)
            elif local == "published":
                item.published = doc.text(sub)
            elif local == "updated":
                updated = doc.text(sub)
            elif local == "summary":
                item.summary, item.summary_html = _atom_text(doc, sub)
            elif local == "content":
                if sub.get("src"):
                    continue  # out-of-line content: nothing to carry
                item.content, item.content_html = _atom_text(doc, sub)
            elif local == "author":
                pass
        elif ns == NS_DC and local == "creator":
            value = doc.text(sub)
            if value:
                item.authors.append(value)
        elif ns == NS_MEDIA and item.summary is None:
            item.summary = _media_description(doc, sub)
    item.authors = _atom_authors(doc, el) + item.authors
    if item.guid and item.guid.startswith(("http://", "https://")):
        item.permalink = item.guid  # an entry whose id is its address, as feedparser reads it
    if item.published is None:
        item.published = updated
    if item.content is None and item.summary is not None:
        item.content, item.content_html = item.summary, item.summary_html
    return item


# ---------------------------------------------------------------------------------------------- JSON Feed


# A JSON string, escapes included (the unrolled form: no backtracking per character).
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')


def _json_values(body: bytes) -> int:
    """At most how many values ``json.loads`` would build from the body (every value but the first follows a
    comma or opens a container); punctuation inside strings is only left out when the quick count is past the
    bound."""
    if len(body) <= JSON_MAX_VALUES:
        return 0
    values = body.count(b",") + body.count(b"[") + body.count(b"{")
    if values <= JSON_MAX_VALUES:
        return values
    bare = _JSON_STRING.sub(b"", body)
    return bare.count(b",") + bare.count(b"[") + bare.count(b"{")


def _parse_json_feed(body: bytes, http_charset: str | None, max_items: int) -> _Feed:
    values = _json_values(body)
    if values > JSON_MAX_VALUES:
        raise FeedParseError(f"JSON of {values:,} values, limit {JSON_MAX_VALUES:,}: refused unparsed")
    try:
        doc = json.loads(_decode(body, http_charset or "utf-8-sig", "replace"))
    except (ValueError, LookupError, RecursionError) as exc:
        raise FeedParseError(f"invalid JSON: {exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("items"), list):
        raise FeedParseError("JSON without an items list is not a JSON Feed")
    version = str(doc.get("version") or "")
    feed = _Feed(version="json11" if version.endswith("/1.1") else "json1")
    feed.title = _plain(_str(doc.get("title")))
    feed.link = _str(doc.get("home_page_url"))
    if feed_url := _str(doc.get("feed_url")):
        feed.self_links.append(feed_url)
    feed.language = _str(doc.get("language"))
    feed_authors = _json_authors(doc)
    overflow: list[dict[str, Any]] = []
    for raw in doc["items"]:
        if not isinstance(raw, dict):
            continue
        if len(feed.items) >= max_items:
            overflow.append(raw)
            continue
        feed.items.append(_json_item(raw, feed_authors))
    if overflow:
        _keep_newest(feed, overflow, lambda raw: _json_item(raw, feed_authors), max_items)
    return feed


def _json_item(raw: Mapping[str, Any], feed_authors: list[str]) -> _Item:
    item = _Item(
        title=_plain(_str(raw.get("title"))),
        link=_str(raw.get("url")) or _str(raw.get("external_url")),
        guid=_str(raw.get("id")),
        published=_str(raw.get("date_published")) or _str(raw.get("date_modified")),
        authors=_json_authors(raw) or list(feed_authors),
        summary=_str(raw.get("summary")),
    )
    content_html = _str(raw.get("content_html"))
    if content_html is not None:
        item.content, item.content_html = content_html, True
    else:
        item.content = _str(raw.get("content_text"))
        if item.content is None and item.summary is not None:
            item.content = item.summary
    return item


def _str(value: Any) -> str | None:
    if isinstance(value, str):
        value = value.strip()
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate from a JSON \ud800 escape: no JSON encoder takes it
                value = value.encode("utf-8", "replace").decode("utf-8")
        return value or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _json_authors(obj: Mapping[str, Any]) -> list[str]:
    raw = obj.get("authors")
    if not isinstance(raw, list):
        raw = [obj.get("author")] if isinstance(obj.get("author"), dict) else []
    names = []
    for author in raw:
        if isinstance(author, dict):
            name = _str(author.get("name")) or _str(author.get("url"))
            if name:
                names.append(name)
    return names


# -------------------------------------------------------------------------------------------- feedparser


def _parse_with_feedparser(body: bytes, headers: Mapping[str, str] | None, max_items: int) -> _Feed:
    """The fallback. The body goes in as a stream: feedparser treats a ``str``/``bytes`` argument as a URL
    or a file name, which would let a feed body make us read local files or fetch URLs."""
    import feedparser  # imported here: it is slow to import and only the fallback needs it

    try:
        result = feedparser.parse(
            io.BytesIO(body),
            response_headers=dict(headers or {}),
            sanitize_html=False,
            resolve_relative_uris=False,
        )
    except Exception as exc:  # feedparser has no error contract; anything it raises is a parse failure
        raise FeedParseError(f"feedparser failed: {type(exc).__name__}: {exc}") from exc
    version = result.get("version") or ""
    entries = result.get("entries") or []
    meta = result.get("feed") or {}
    if not version and not entries and (result.get("bozo") or not meta):
        reason = result.get("bozo_exception")
        raise FeedParseError(f"not a feed: {reason}" if reason else "not a feed")
    feed = _Feed(
        version=version or "unknown",
        title=_plain(_str(meta.get("title"))),
        link=_str(meta.get("link")),
        ttl_s=_minutes(_str(meta.get("ttl"))),
        language=_str(meta.get("language")),
    )
    feed.items = [_from_feedparser_entry(entry) for entry in entries[:max_items]]
    if len(entries) > max_items:
        _keep_newest(feed, entries[max_items:], _from_feedparser_entry, max_items)
    return feed


def _from_feedparser_entry(entry: Mapping[str, Any]) -> _Item:
    title_type = str((entry.get("title_detail") or {}).get("type", "html"))
    item = _Item(
        title=_title(_str(entry.get("title")), "html" in title_type),
        link=_str(entry.get("link")),
        guid=_str(entry.get("id")),
        published=_str(entry.get("published")) or _str(entry.get("updated")),
    )
    authors = [_str(a.get("name")) or _str(a.get("email")) for a in entry.get("authors") or [] if a]
    item.authors = [a for a in authors if a] or ([a] if (a := _str(entry.get("author"))) else [])
    detail = entry.get("summary_detail") or {}
    item.summary = _str(entry.get("summary"))
    item.summary_html = "html" in str(detail.get("type", ""))
    contents = entry.get("content") or []
    if contents:
        first = contents[0]
        item.content = _str(first.get("value"))
        item.content_html = "html" in str(first.get("type", ""))
    if item.content is None and item.summary is not None:
        item.content, item.content_html = item.summary, item.summary_html
    return item


def _keep_newest(feed: _Feed, overflow: Sequence[_T], build: Callable[[_T], _Item], max_items: int) -> None:
    """Past ``max_items``, keep the newest items: the first ones (what ``feed.items`` holds), unless the feed
    lists oldest first (its last item is dated later than its first), then the last ones. A feed that appends
    (AreWeAntiCheatYet's 1,032 items, oldest first) would otherwise lose every new item once it passed the cap.
    Only feeds over the cap pay for this."""
    feed.dropped = len(overflow)
    if not feed.items:  # max_items 0: nothing is kept either way
        return
    last = build(overflow[-1])
    first_ts = feed_timestamp(feed.items[0].published, feed.language)
    last_ts = feed_timestamp(last.published, feed.language)
    if first_ts is None or last_ts is None or last_ts <= first_ts:
        return
    tail = [build(source) for source in overflow[-max_items:-1]]
    feed.items = [*feed.items, *tail, last][-max_items:]


def feed_timestamp(value: str | None, language: str | None = None) -> float | None:
    """A feed date as unix seconds, or None when unreadable, incomplete or a placeholder: read as the parse stage
    reads an article's ``published_at`` (`worker.dates.read_date`: zone names, 12-hour clocks, other languages'
    month names, a slashed date as the feed's declared ``language`` writes it), so a feed's rhythm and order agree
    with its articles' dates. A date in the future is read: its callers bound it (`producers.schedule.published_ts`)
    or only compare it."""
    when = read_date(value, language)
    return when.timestamp() if when is not None else None


# ------------------------------------------------------------------------------------------- to articles


def item_key(
    feed_url: str,
    guid: str | None,
    link: str | None,
    title: str | None,
    content: str | None,
    *,
    said_on: str | None = None,
) -> str:
    """The delivery id of one item of one feed: guid, else link, else a hash of title and content (and of
    ``said_on``, the date of an item whose text the feed said before: `_resaid_ids`).

    A link with a query is keyed by its canonical form (no ``utm_*``, ``fbclid``…): feeds that stamp each
    serving with fresh tracking parameters made a guid-less item new at every poll (the pipeline then found it
    a duplicate, but the feed's item count and rhythm grew with it). Links without a query, nearly all, are
    keyed as written, and cost nothing more.
    """
    ident = guid or (canonicalize_url(link) or link if link and "?" in link else link)
    if not ident:
        text = f"{title or ''}\n{content or ''}" if said_on is None else f"{title or ''}\n{content or ''}\n{said_on}"
        ident = "hash:" + hashlib.sha256(text.encode()).hexdigest()
    digest = hashlib.sha256(f"{feed_url}\n{ident}".encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:DELIVERY_ID_HEX]


def link_fingerprint(link: str) -> str:
    """What tells two links of one guid apart: the link without its scheme, a link with a query in its canonical
    form (no ``utm_*``, ``fbclid``…; as `item_key` reads it), so a publisher moving to https, or stamping each
    serving with fresh tracking parameters, does not make its items new. Links without a query, nearly all, are
    taken as written (canonicalising every link cost 17 % of parse time). Hashed short: it is stored once per
    remembered guid."""
    if "?" in link:
        link = canonicalize_url(link) or link
    rest = link.strip().partition("://")[2] or link
    return hashlib.sha256(rest.encode("utf-8", "surrogatepass")).hexdigest()[:LINK_FP_HEX]


def relinked_key(delivery_id: str, link_fp: str) -> str:
    """The delivery id of an item whose guid was first seen with another link (``delivery_id`` is the guid's):
    the publisher reused the guid for another story, which must not be taken for the one seen before."""
    return hashlib.sha256(f"{delivery_id}\n{link_fp}".encode()).hexdigest()[:DELIVERY_ID_HEX]


def _page(link: str | None, base: str, not_pages: set[str]) -> str | None:
    """``link`` as an article page: absolute (resolved against ``base``), http(s) (not ``javascript:``,
    ``mailto:``), and not the feed itself (an item linking to the feed names no page of its own); else None."""
    if not link:
        return None
    if not link.startswith(("http://", "https://")):
        link = urljoin(base, link) if base else link
        if not link.startswith(("http://", "https://")):
            return None
    return None if link in not_pages else link


def _resaid_ids(items: Sequence[_Item], pages: Sequence[str | None], id_scope: str,
                language: str | None = None) -> dict[int, str]:  # fmt: skip
    """Ids for the items without guid or link whose text the feed says again on a later date: a status feed
    saying "X was added and is Running" months after it first did (AreWeAntiCheatYet, 14 of 1,046 items) is
    telling something new. Each saying but the earliest is keyed by its date too; the earliest keeps the id the
    text has alone, the one it had before the text came again (and the one a later saying takes once the first
    scrolls out: seen already, not handed on twice). Items indexed by position; only bare items pay for this."""
    bare: dict[str, list[int]] = {}
    for index, (item, page) in enumerate(zip(items, pages, strict=True)):
        if item.guid is None and page is None and item.published:
            bare.setdefault(item_key(id_scope, None, None, item.title, item.content), []).append(index)
    ids: dict[int, str] = {}
    for indexes in bare.values():
        if len(indexes) < 2:
            continue
        dates = {items[i].published for i in indexes}
        earliest = min(dates, key=lambda d: (feed_timestamp(d, language) or math.inf, d))
        for i in indexes:
            item = items[i]
            if item.published != earliest:
                ids[i] = item_key(id_scope, None, None, item.title, item.content, said_on=item.published)
    return ids


# What joins a site's name to a section or a tagline in a feed's title: "World – TIME", "Dawn - World", "The Christian
# Science Monitor | All stories" (spaces around it: "Rolls-Royce" is one name).
_TITLE_JOINS = re.compile(r"\s+[-–—|·•]\s+")
_NOT_LETTERS = re.compile(r"[\W_]+")
# Labels of a host that name no site: "www.", "feeds.", a country's "co.".
_GENERIC_LABELS = frozenset({"www", "feeds", "feed", "rss", "blog", "blogs", "news", "m", "co", "com", "org", "net"})


def _site_name(title: str | None, *addresses: str | None) -> str | None:
    """The part of a feed's title that names the site, where the title joins it to a section or a tagline ("World –
    TIME" → "TIME", "Al Jazeera – Breaking News, World News and Video from Al Jazeera" → "Al Jazeera"): the one part
    the site's address spells, letters only ("aljazeera.com", "CBSNews.com" of cbsnews.com). The title whole when
    no part or more than one does: "The Christian Science Monitor | All stories" (csmonitor.com) stays as it is."""
    if not title or not _TITLE_JOINS.search(title):
        return title
    labels: set[str] = set()
    for address in addresses:
        host = urlsplit(address).hostname if address else None
        if host:
            labels.update(host.split(".")[:-1])  # not the top-level domain
    labels -= _GENERIC_LABELS
    spelled = [part for part in _TITLE_JOINS.split(title) if _spelled(part) in labels]
    return spelled[0] if len(spelled) == 1 else title


def _spelled(part: str) -> str:
    """A title's part as a host label would spell it: "Al Jazeera" → "aljazeera", "CBSNews.com" → "cbsnews"."""
    head, dot, tail = part.partition(".")
    if dot and tail.isalpha() and " " not in head:
        part = head  # written as its domain
    return _NOT_LETTERS.sub("", part).lower()


def _cut(value: str | None, limit: int) -> str | None:
    return value[:limit] if value is not None and len(value) > limit else value


def _to_parsed(
    feed: _Feed,
    parser: Parser,
    bozo: str | None,
    *,
    feed_url: str,
    base: str,
    name: str | None,
    received_at: datetime,
    id_scope: str,
) -> ParsedFeed:
    source = RawSource(
        kind="feed",
        name=_cut(name or _site_name(feed.title, feed_url, feed.link), NAME_MAX_CHARS),
        feed=_cut(feed_url, FEED_URL_MAX_CHARS),
    )
    # relative links resolve against the document's address (RFC 3986 §5.1.3): `base`
    not_pages = {feed_url, base, *(urljoin(base, link) for link in feed.self_links)}
    pages = [_page(item.link, base, not_pages) or _page(item.permalink, base, not_pages) for item in feed.items]
    # A guid is an item's identity, except in the broken feeds that give one guid to different links.
    links_by_guid: dict[str, set[str | None]] = {}
    for item, page in zip(feed.items, pages, strict=True):
        if item.guid:
            links_by_guid.setdefault(item.guid, set()).add(page)
    articles: list[RawArticle] = []
    published: list[str | None] = []
    fingerprints: list[str | None] = []
    seen: set[str] = set()
    language = feed.language.strip()[:35] or None if feed.language else None
    resaid = _resaid_ids(feed.items, pages, id_scope, feed.language)
    for index, (item, link) in enumerate(zip(feed.items, pages, strict=True)):
        guid = item.guid
        if guid and len(links_by_guid[guid]) > 1 and link:
            guid = None  # identity falls to the link
        delivery_id = resaid.get(index) or item_key(id_scope, guid, link, item.title, item.content)
        if delivery_id in seen:  # a feed that lists one item twice delivers it once
            continue
        seen.add(delivery_id)
        is_html = item.content_html or (item.content is None and item.summary_html)
        authors = [_cut(a, AUTHOR_MAX_CHARS) or "" for a in dict.fromkeys(item.authors)][:AUTHORS_MAX]
        articles.append(
            RawArticle(
                delivery_id=delivery_id,
                source=source,
                content_type="html" if is_html else "text",
                content=_cut(item.content, ITEM_MAX_CONTENT_CHARS) or "",
                url=link if link and len(link) <= URL_MAX_CHARS else None,
                title=_cut(item.title, TITLE_MAX_CHARS),
                authors=authors,
                published_at=_cut(item.published, PUBLISHED_MAX_CHARS),
                summary=_cut(item.summary, ITEM_MAX_CONTENT_CHARS),
                guid=_cut(item.guid, GUID_MAX_CHARS),
                language=language,
                received_at=received_at,
            )
        )
        published.append(item.published)
        fingerprints.append(link_fingerprint(link) if guid and link else None)
    return ParsedFeed(
        version=feed.version,
        parser=parser,
        title=feed.title,
        link=feed.link,
        ttl_s=feed.ttl_s,
        articles=articles,
        dropped_items=feed.dropped,
        bozo=bozo,
        published=published,
        link_fingerprints=fingerprints,
    )
