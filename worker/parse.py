"""parse: a RawArticle from any source → clean fields (title, text, url, authors, dates, source).

Formats: the markdown article format (``# title``, ``Published at: **…**``, ``Author: **…**``,
``Original: [name](url)``, body), HTML pages (main text by trafilatura), plain text. JSON records arrive
already split into fields by their producer.
"""

from __future__ import annotations

import html
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from schemas import RawArticle
from wirewatch import constants as c
from wirewatch.errors import Rejected
from wirewatch.logs import get_logger
from worker import lexicon
from worker.clean import clean_inline, clean_text, is_boilerplate, unwrap
from worker.dates import read_date
from worker.urls import canonicalize_url, domain_of

if TYPE_CHECKING:
    import lxml.html
    from lxml.etree import XPath
    from lxml.html import HtmlElement
    from trafilatura.settings import Document, Extractor

log = get_logger("wirewatch.parse")

# A published date further ahead than this is a source's mistake, not a fact: it is dropped, never invented.
_FUTURE_TOLERANCE = timedelta(days=1)

_LINE_END = re.compile(r"\r\n?")  # CR LF, or CR alone (classic Mac OS, some CMS exports)
_MD_TITLE = re.compile(r"^#\s+(.+?)\s*#*\s*$")
_MD_META = re.compile(r"^(Published at|Published|Date|Author|Authors|By|Original|Source|URL)\s*:\s*(.*)$", re.I)
# A metadata line of a key we do not use ("Tags: **a, b**", "Category: **World**"): its bold value says it is one.
# Taken for the first line of the body, it ended the header: the Author and Original lines after it were lost.
_MD_OTHER_META = re.compile(r"^[^\W\d_][\w ./-]{0,39}:\s*(?:\*\*.*\*\*|__.*__)$")
# YAML front matter (Jekyll, Hugo, Obsidian and CMS exports): `---`, `key: value` lines, `---` (or `...`).
_FRONT_KEYS = {"title": "title", "date": "published", "published": "published", "published_at": "published",
               "author": "authors", "authors": "authors", "url": "url", "link": "url", "canonical_url": "url",
               "original": "url"}  # fmt: skip
_FRONT_LINE = re.compile(r"^([A-Za-z_][\w-]*)\s*:\s*(.*)$")
_FRONT_MAX_LINES = 200
_MD_BOLD = re.compile(r"^\*\*(.*)\*\*$|^__(.*)__$")
_MD_LINK = re.compile(r"^\[([^\]]*)\]\(\s*<?([^)\s>]+)>?\s*\)$")
_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_MD_INLINE_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_MD_HEADING = re.compile(r"^#{1,6}\s+")
# "and" in the languages of the corpus pages ("Von A und B", "A y B"); not "e" or "i" ("Caritasverband e. V.").
# "im Gespräch mit" ("in conversation with"): an interview's two names (deutschlandfunk.de).
_AUTHOR_SPLIT = re.compile(r"\s*(?:,|;|&|\b(?:and|und|y|et|og|och|im Gespräch mit)\b)\s*")
_BY_PREFIX = re.compile(r"^by\s+", re.I)


@dataclass(frozen=True)
class ParsedArticle:
    title: str
    text: str
    url: str | None
    canonical_url: str | None
    authors: list[str]
    published_at: datetime | None
    source_name: str | None
    source_domain: str | None
    feed: str | None = None
    notes: list[str] = field(default_factory=list)
    declared_language: str | None = None  # what the source says (RawArticle.language), a hint for enrich


def parse_published(value: str | None, now: datetime | None = None, language: str | None = None) -> datetime | None:
    """A source's date text → aware UTC datetime, or None when absent, unreadable, incomplete, a placeholder or in
    the future (more than `_FUTURE_TOLERANCE` ahead); read as `worker.dates.read_date` reads a feed's dates, a
    slashed one as the source's declared ``language`` writes it."""
    parsed = read_date(value, language)
    if parsed is None:
        if value and value.strip():
            log.debug("published_unread", value=value[:100])  # the article goes on without a date
        return None
    if parsed > (now or datetime.now(UTC)) + _FUTURE_TOLERANCE:
        log.debug("published_in_future", value=value[:100] if value else None)
        return None
    return parsed


# What pages put in their byline besides names (found on the corpus pages: "Ap Auto Writer", "Malcolm Owen
# Monday", "Phil Helsel is a reporter", "No Author", "RDN", "Frankfurt"): a role or a date after the name, a
# sentence about the person, a placeholder, a credential or a place on its own.
_AUTHOR_ROLE = lexicon.words(
    "writer writers reporter reporters correspondent correspondents editor editors columnist contributor"
    " contributors staff desk bureau photographer producer analyst wire"
)
# Words that qualify a role and come before it ("News reporter", "Senior Correspondent", "Contributing Writer"):
# when the name is cut at the role, they go with it ("Tom Gillespie News reporter" was "Tom Gillespie News").
_AUTHOR_ROLE_QUALIFIER = lexicon.words(
    "news senior chief staff associate assistant deputy managing executive contributing special political"
    " business sports science health foreign national investigative"
)
_AUTHOR_WEEKDAY = lexicon.words("monday tuesday wednesday thursday friday saturday sunday")
_AUTHOR_DATE = _AUTHOR_WEEKDAY | lexicon.words(
    "january february march april may june july august september october november december"
)
_AUTHOR_CREDENTIAL = lexicon.words("ms md phd rdn rd rn mba cpa cfa jr sr ii iii esq dds mph msc bsc")
_AUTHOR_PLACEHOLDER = frozenset(
    {"no author", "unknown", "anonymous", "admin", "administrator", "staff", "editorial", "newsroom", "editor",
     # what byline searches pick up from the page's furniture ("Name" of a comment form, "Follow", "Datum")
     "name", "author", "autor", "text", "posted", "follow", "date", "datum", "stand", "human", "wordpressadmin",
     "agencies"}
)  # fmt: skip
# A sentence about the person, or the page's furniture beside the byline: "Tiempo de lectura: 8 minutos" (reading
# time; its digits dropped by trafilatura), "Hora de publicación del artículo".
_AUTHOR_SENTENCE = re.compile(
    r"\s+(?:(?:is|was|has been|covers|writes)\s|(?:tiempo de lectura|hora de publicación|lesezeit|reading time)\b)"
    r".*$",
    re.I,
)
# What bylines put before the name: "View all posts by", "Zeige alle Beiträge von", "Posted by", "Von", "Par";
# a label ("Autor", "Auteur", "Interview") and a label with a colon ("Text:", "责任编辑：").
_AUTHOR_LEAD = re.compile(
    r"^(?:(?:view all posts|all posts|alle beiträge|zeige alle beiträge|artikel|beitrag|posted|written|geschrieben"
    r"|verfasst|publié|écrit|publicado|escrito|pubblicato|scritto|analysis|commentary|opinion|review|story)\s+)?"
    r"(?:by|von|vom|par|por|przez|door|av)\s+(?!(?:der|dem|den|zu|la|le|los|las|del)\b)"
    r"|^(?:author|autor|autorin|auteur|autore|autora|text|texte|interview|текст|автор)[:：]?\s+"
    r"|^[^\s:：][^:：]{0,20}[:：]\s*"
    r"|^\S+-(?:experte|expertin|redakteur|redakteurin|korrespondent|korrespondentin)\s+",  # "FOCUS-Online-Experte"
    re.I,
)
# Words after the name that are not part of it: "Art Edwards says", "Sara Zinnecker Stand" (German "as of"), and
# what is left of a date or time beside the byline once trafilatura has dropped its digits ("Published 11:11 PM").
_AUTHOR_TRAILING = _AUTHOR_WEEKDAY | lexicon.words("says said sagt schreibt stand published updated posted vor")


# An author as an e-mail address (RSS <author>, a feed's managingEditor): "a@b.c (Name)", "Name <a@b.c>", "a@b.c".
_EMAIL_WITH_NAME = re.compile(r"^(?:mailto:)?\S+@\S+\s*\((.+)\)$|^(.+?)\s*<(?:mailto:)?\S+@\S+>$", re.I)
_EMAIL = re.compile(r"^(?:mailto:)?[^\s@]+@[^\s@]+\.\w+$", re.I)


_WORD_RUN = re.compile(r"[^\W\d_]+")
_MC = re.compile(r"\bMc[a-z]")


def _author_name(piece: str) -> str | None:
    """One byline piece as a name, or None when it is not one."""
    if "@" in piece:
        # The name beside an address, never the address: "noreply@blogger.com (Unknown)" names no one, and
        # "test@example.com" is no byline.
        if match := _EMAIL_WITH_NAME.match(piece.strip()):
            piece = match[1] or match[2]
        elif _EMAIL.match(piece.strip()):
            return None
    piece = _AUTHOR_SENTENCE.sub("", _AUTHOR_LEAD.sub("", piece)).strip(" .")
    words = piece.split()
    while len(words) > 1 and (words[-1].lower() in _AUTHOR_TRAILING
                              or (len(words) > 2 and words[-1].lower() in _AUTHOR_DATE)):  # fmt: skip
        words.pop()  # "Malcolm Owen Monday", "Carrie Arnold November" (a surname stays: "Theresa May")
    role = next((i for i, w in enumerate(words) if w.lower().strip(".,").split("-")[0] in _AUTHOR_ROLE), None)
    if role is not None:
        # "John Smith Staff Writer" keeps the name before the role; "Mary Editor" is a name (a given name,
        # then the role word as its surname); "AP Auto Writer", "Senior Correspondent" have none.
        if role == 0 or words[0] not in lexicon.given_names():
            return None
        while role > 2 and words[role - 1].lower() in _AUTHOR_ROLE_QUALIFIER:
            role -= 1
        if role >= 2:
            words = words[:role]
    name = " ".join(words)
    folded = name.lower()
    if len(name) > 200 or sum(ch.isalpha() for ch in name) < 2 or folded in _AUTHOR_PLACEHOLDER:
        return None
    if all(w.lower().strip(".,") in _AUTHOR_CREDENTIAL for w in words) or folded in _AUTHOR_DATE:
        return None
    place = lexicon.places().get(name) if len(words) == 1 and name not in lexicon.given_names() else None
    if place is not None and (place.kind != "city" or place.population >= 500_000):
        return None  # a dateline's city or a country on its own, not a person ("David" and "Lynn" stay)
    if len(words) > 1 and name.isupper() and not _PUBLISHER.search(name):
        # A byline in capitals ("STEVE PEOPLES", AP's style): a name as it is written elsewhere. One word in
        # capitals may be an acronym, a surname in capitals beside the given name ("Jing Xuan TENG") and a
        # company ("NATURSTROM AG") stay.
        name = _MC.sub(lambda m: m[0][:2] + m[0][2].upper(), _WORD_RUN.sub(lambda m: m[0].capitalize(), name.lower()))
    return name


# A publishing house: a company's legal form, or one of the groups whose name pages put in <meta name="author">
# beside the people in their JSON-LD or article:author (ad-magazin.de "Condé Nast", faz.net "Frankfurter
# Allgemeine Zeitung GmbH", gala.fr "Prisma Média").
_PUBLISHER = re.compile(
    r"\s(?:GmbH|AG|SE|KGaA|Inc|Ltd|LLC|plc|S\.?A|e V)\.?$|^Co\.? KG$"
    r"|^(?:Condé Nast|Prisma Média|Axel Springer|Hubert Burda Media|Gruner \+ Jahr|Hearst|Gannett|Future plc"
    r"|Dotdash Meredith|Mediahuis|Ringier|Tamedia)$"
)
# An HTML entity in JSON-LD ("Redacci&oacute;n"), which trafilatura's reader splits at its ";" and title-cases:
# "Redacci; Oacute; N Diario Pagina Siete" (paginasiete.bo).
_SPLIT_ENTITY = re.compile(r"(?<=[^\W\d_]); ([A-Z][a-z]{1,7}); ([^\W\d_])")


def _join_split_entity(match: re.Match[str]) -> str:
    char = html.unescape(f"&{match[1].lower()};")
    if len(char) != 1:
        return match[0]
    return char + match[2].lower()


def split_authors(values: list[str]) -> list[str]:
    """Author strings → distinct clean names ("By A and B" → ["A", "B"]), without the roles, dates,
    credentials, placeholders and places that bylines carry, and without a publishing house beside a person."""
    names: list[str] = []
    for value in values:
        if "; " in value and _SPLIT_ENTITY.search(value):
            value = _SPLIT_ENTITY.sub(_join_split_entity, value)
        for piece in _AUTHOR_SPLIT.split(_BY_PREFIX.sub("", clean_inline(value))):
            name = _author_name(piece)
            if name and name not in names:
                names.append(name)
    if len(names) > 1 and any(_PUBLISHER.search(name) for name in names):
        people = [name for name in names if not _PUBLISHER.search(name)]
        if any(" " in name for name in people):  # beside a person's name (not a city alone: "…GmbH, Nürnberg")
            names = people
    return names[:50]


def _unbold(value: str) -> str:
    match = _MD_BOLD.match(value.strip())
    return next((g for g in match.groups() if g is not None), "") if match else value.strip()


def _markdown_inline(line: str) -> str:
    # Each pattern needs a character that most lines lack: test for it first (`in` is far cheaper than a sub).
    if "](" in line:
        line = _MD_IMAGE.sub("", line)
        line = _MD_INLINE_LINK.sub(r"\1", line)
    if "**" in line or "__" in line:
        line = _MD_EMPHASIS.sub(r"\2", line)
    return _MD_HEADING.sub("", line) if line.startswith("#") else line


def looks_like_article_markdown(content: str) -> bool:
    """True for the markdown article format: a ``# title`` line followed by ``Key: value`` metadata lines."""
    head = _split_lines(content.lstrip()[:4000])[:13]
    return bool(head and _MD_TITLE.match(head[0].strip())) and any(_MD_META.match(h.strip()) for h in head[1:])


def _unquote(value: str) -> str:
    value = value.strip()
    return value[1:-1].strip() if len(value) > 1 and value[0] == value[-1] and value[0] in "\"'" else value


def _front_matter(lines: list[str]) -> tuple[dict[str, object], int]:
    """The title, date, authors and link of a YAML front matter block, and the index of the line after it
    (``({}, 0)`` without one). Read line by line, never as YAML: only flat ``key: value`` lines and ``- item``
    lists are used. Without this the title was "---" and the block's lines were the body's first words."""
    if not lines or lines[0].strip() != "---":
        return {}, 0
    end = next((i for i, line in enumerate(lines[1:_FRONT_MAX_LINES], start=1) if line.strip() in ("---", "...")),
               None)  # fmt: skip
    if end is None:
        return {}, 0
    found: dict[str, object] = {}
    authors: list[str] = []
    key: str | None = None
    for line in lines[1:end]:
        stripped = line.strip()
        if stripped.startswith("- "):  # an item of the list whose key came last
            if key == "authors":
                authors.append(_unquote(stripped[2:]))
            continue
        match = _FRONT_LINE.match(line)
        key = _FRONT_KEYS.get(match[1].lower()) if match else None
        value = match[2].strip() if match else ""
        if key == "authors" and value:
            authors += value[1:-1].split(",") if value.startswith("[") and value.endswith("]") else [value]
        elif key is not None and value:
            found[key] = _unquote(value)
    if any(_unquote(a) for a in authors):
        found["authors"] = [_unquote(a) for a in authors if _unquote(a)]
    return found, end + 1


def _split_lines(content: str) -> list[str]:
    """Lines however they end: a text sent with CR alone was one line, its title and metadata lost in the body."""
    return (_LINE_END.sub("\n", content) if "\r" in content else content).split("\n")


def _parse_markdown(raw: RawArticle, content: str) -> dict[str, object]:
    lines = _split_lines(content)
    fields: dict[str, object] = {"title": raw.title, "url": raw.url, "authors": list(raw.authors),
                                 "published": raw.published_at, "source_name": raw.source.name}  # fmt: skip
    front, body_start = _front_matter(lines)
    fields.update({k: v for k, v in front.items() if not fields.get(k)})  # what the producer said wins
    seen_title = bool(front.get("title"))
    for index, line in enumerate(lines[body_start:], start=body_start):
        stripped = line.strip()
        if not stripped:
            continue
        title = _MD_TITLE.match(stripped)
        meta = _MD_META.match(stripped)
        if title and (not seen_title or title[1] == fields["title"]):  # the front matter's title again: not body
            fields["title"] = title[1]
            seen_title = True
        elif meta:
            key, value = meta[1].lower(), _unbold(meta[2])
            if key.startswith("publish") or key == "date":
                fields["published"] = value
            elif key in ("author", "authors", "by"):
                fields["authors"] = [value]
            else:
                link = _MD_LINK.match(value)
                if link:
                    fields["source_name"] = link[1].strip() or fields["source_name"]
                    fields["url"] = link[2]
                elif value.startswith(("http://", "https://")):
                    fields["url"] = value
        elif _MD_OTHER_META.match(stripped):
            pass  # metadata we do not use: not the body's first line
        else:
            body_start = index
            break
        body_start = index + 1
    body = unwrap([_markdown_inline(line) for line in lines[body_start:]])
    fields["lines"] = body
    return fields


@lru_cache(maxsize=1)
def _html_extractor() -> Extractor:
    """trafilatura's options, built once per process (building them costs ~0.6 ms a page otherwise).

    ``fast``: no second opinion from readability and jusText. On the scrapinghub pages it costs no quality
    (token F1 against the gold bodies 0.958 fast, 0.956 with the fallbacks) and saves ~9 ms a page, a quarter
    of the stage. No URL: trafilatura uses it for logs and to resolve links and images, which we drop.
    """
    from trafilatura.settings import Extractor

    return Extractor(output_format="python", fast=True, comments=False, tables=False, images=False, links=False,
                     dedup=False, with_metadata=False)  # fmt: skip


# trafilatura's byline search (``extract_author``: its ``AUTHOR_DISCARD_XPATHS`` and ``AUTHOR_XPATHS``), in Python.
# It copies the whole page, deletes from the copy comment threads, sidebars, quotes, dates and figures, then takes
# the first candidate of three rules, specific to generic, with 3–119 characters of text. Its XPaths call back
# into Python's re for every class and id of the page, three times over, and with the copy and prune this costs
# ~9 ms a page (a third of trafilatura's own extraction); one pass over the elements does the same in ~3 ms.
# Same author on all 1,171 corpus pages; tests/worker/test_parse.py checks a third of them and edge cases.
_DISCARD_TAGS = frozenset({"time", "figure"})
_DISCARD_HOLDERS = frozenset({"a", "div", "section", "span"})
_DISCARD_ID = re.compile(r"^comments|comment-?list|ProductReviews")
_DISCARD_CLASS = re.compile(r"^[Cc]omments|commentlist|comments-list|sidebar|is-hidden|quote|embedly-instagram"
                            r"|article-(?:share|support)|print|category|meta-date|meta-reviewer")  # fmt: skip
_BYLINE_TAGS = (
    frozenset({"a", "address", "div", "link", "p", "span", "strong"}),
    frozenset({"a", "div", "h3", "h4", "p", "span"}),
)
_BYLINE_CLASS_1 = re.compile(r"author-?name|AuthorName|authorName")
_BYLINE_ID_2 = re.compile(r"author|zuozhe|bianji|xiaobian")
_BYLINE_CLASS_2 = re.compile(r"author|channel-name|zuozhe|bianji|xiaobian|submitted-by|posted-by|journalist-name")
_BYLINE_ID_3 = re.compile(r"[Aa]uthor")
_BYLINE_CLASS_3 = re.compile(r"[Aa]uthor|screenname|writer|[Bb]yline")
# Every word of the rules above, as a substring: an attribute without one matches none of them.
_BYLINE_WORD = re.compile(r"uthor|[Bb]yl|BBL|username|screenname|writer|channel-name|submitted-by|posted-by"
                          r"|journalist-name|zuozhe|bianji|xiaobian")  # fmt: skip


def _byline_discarded(element: HtmlElement) -> bool:
    """True for an element that trafilatura's byline search deletes before it looks."""
    tag = element.tag
    if tag in _DISCARD_TAGS:
        return True
    if tag not in _DISCARD_HOLDERS or element.getparent() is None:  # its rule matches descendants of the root
        return False
    ident, cls = element.get("id"), element.get("class")
    return bool(
        (ident is not None and (ident == "comments" or _DISCARD_ID.search(ident)))
        or (cls is not None and (cls in ("comments", "title", "date") or _DISCARD_CLASS.search(cls)))
        or "Figure" in (element.get("data-component") or "")
    )


def _byline_rule(element: HtmlElement) -> int | None:
    """The first of trafilatura's three byline rules (0, 1, 2) that ``element`` matches, or None. Elements
    come from `_byline_elements`, which has already left out those with none of the rules' words."""
    tag, get = element.tag, element.get
    ident, cls, itemprop = get("id") or "", get("class") or "", get("itemprop") or ""
    testid, component = get("data-testid") or "", get("data-component") or ""
    if tag == "author" or (tag in _BYLINE_TAGS[0] and (
        get("rel") == "author" or ident == "author" or cls == "author" or itemprop == "author name"
        or testid in ("AuthorCard", "AuthorURL") or _BYLINE_CLASS_1.search(cls)
        or any(child.tag == "rel" and "".join(child.itertext()) == "me" for child in element)
    )):  # fmt: skip
        return 0
    if tag in _BYLINE_TAGS[1] and (
        cls in ("byline", "username", "byl", "BBL") or "author" in itemprop or _BYLINE_ID_2.search(ident)
        or _BYLINE_CLASS_2.search(cls)
    ):  # fmt: skip
        return 1
    if "Byline" in component or "author" in itemprop or _BYLINE_ID_3.search(ident) or _BYLINE_CLASS_3.search(cls):
        return 2
    return None


@lru_cache(maxsize=1)
def _byline_holders() -> XPath:
    """The attributes the byline rules read, and <author> and elements with a <rel> child, in document order.

    Attribute values come back as strings (which know their element): a regex over a string is cheaper than
    asking an element for six attributes, and most elements of a page have a class or an id but no rule word.
    """
    from lxml.etree import XPath

    return XPath("//@class | //@id | //@itemprop | //@rel | //@data-testid | //@data-component | //author | //*[rel]")


def _byline_elements(tree: HtmlElement) -> Iterator[HtmlElement]:
    """Each element a byline rule can match once, in document order: <author>, a <rel> holder, or one with a rule
    word in an attribute the rules read (the rest match no rule, whatever their attributes)."""
    last = None
    for item in _byline_holders()(tree):
        if isinstance(item, str):
            if not _BYLINE_WORD.search(item):
                continue
            element = item.getparent()  # type: ignore[attr-defined]  # lxml's "smart" strings know their element
        else:
            element = item
        if element is not last:  # an element's attributes come one after the other
            last = element
            yield element


def find_byline(tree: HtmlElement) -> str | None:
    """The author trafilatura's byline search finds on the page, in one pass and without copying the page.

    Deleting an element changes only what lies inside it (its tail text moves to its neighbour), so a candidate
    with no deleted ancestor and no deleted descendant reads the same as in trafilatura's pruned copy; one
    inside a deleted block is skipped, as it would be gone; one with a deleted block inside it sends the page
    to trafilatura's own search.
    """
    from trafilatura.json_metadata import normalize_authors
    from trafilatura.metadata import extract_author
    from trafilatura.utils import trim

    # trafilatura runs its rules one after the other, each over the whole page. An element that an earlier rule
    # already matched gave nothing there (it was gone, or its text too short or too long) and gives nothing
    # again, so each element is a candidate of the first rule it matches only (in document order).
    candidates: tuple[list[HtmlElement], ...] = ([], [], [])
    for element in _byline_elements(tree):
        if (rule := _byline_rule(element)) is not None:
            candidates[rule].append(element)
    for candidate in (*candidates[0], *candidates[1], *candidates[2]):
        if _byline_discarded(candidate) or any(_byline_discarded(a) for a in candidate.iterancestors()):
            continue
        if any(isinstance(d.tag, str) and _byline_discarded(d) for d in candidate.iterdescendants()):
            return extract_author(tree)
        text = trim(" ".join(candidate.itertext()))
        if text and 2 < len(text) < 120:
            return normalize_authors(None, text) or None
    return None


# An author written as an address, as trafilatura leaves one ("Tagesschau De", "MesOpinions com"): a site.
_HOST_AUTHOR = re.compile(r"\S+(?: \S+)* (?:at|be|ch|co uk|com|de|es|eu|fr|info|io|it|net|nl|org|pl)", re.I)
# The parts of a page's <title>: "Headline | Site", "Site » Blog Archiv » Headline", "Headline :  Site | Motto".
_TITLE_PARTS = re.compile(r"\s+(?:[|\-\u2013\u2014:\u00b7\u2022\u22c6\u00bb/]|::)\s+")


def _names_the_site(author: str, names: frozenset[str]) -> bool:
    """Whether an author found in the page's metadata is the site itself, not a person."""
    return _folded_name(author) in names or bool(_HOST_AUTHOR.fullmatch(author)) or bool(_HOST_NAME.fullmatch(author))


def _page_title(tree: HtmlElement, names: frozenset[str]) -> str | None:
    """trafilatura's title from the markup (the page's one <h1>, else its title tags), unless that is the site's
    name (a blog's <h1> "Krimiblog-Archiv"): then the longest other part of the <title> element, when it is a
    headline and longer."""
    from trafilatura.metadata import extract_title

    title = extract_title(tree)
    if not title or not is_site_name(title, names):
        return title
    element = tree.find(".//head//title")
    parts = _TITLE_PARTS.split(element.text_content().strip()) if element is not None else []
    folded = _folded_name(title)
    if len(parts) > 1 and any(_folded_name(part) == folded for part in parts):
        longest = max((part for part in parts if _folded_name(part) != folded), key=len)
        if len(longest) > len(title) and _headline_enough(longest) and not is_site_name(longest, names):
            return longest.strip()
    return title


# trafilatura's ``JSON_MINIFY`` (``("(?:\\.|[^"\\])*")|\s``: a JSON string, or whitespace outside one) in linear time.
# Its sub tries a string at every quote, and a quote that opens none (an unterminated string, or a backslash before a
# line break) is read to where it fails, then the next quote again: a 16 KB block of ``"\"\"\"…`` took 0.7 s, a
# megabyte hours. A string's body, possessive (its two alternatives start with different characters: nothing to
# give back), read once from each quote that opens one.
_JSON_STRING_BODY = re.compile(r'(?:\\.|[^"\\])*+')
_WHITESPACE = re.compile(r"\s+")
_JSON_UNICODE = re.compile(r"\\u([0-9a-fA-F]{4})")  # trafilatura's JSON_UNICODE_REPLACE
_SURROGATE = re.compile("[\ud800-\udfff]")  # one character class: a single pass


def _minify_json(text: str) -> str:
    """JSON without the whitespace outside its strings, as ``JSON_MINIFY.sub(r"\\1", text)`` gives it, in one pass.

    A quote whose string does not close where trafilatura's pattern looks (the text's end, or a backslash before a
    line break, at ``end``) opens none, and neither does any quote before ``end``: each is escaped in that scan, so
    a scan from it takes the same steps to the same ``end``. Those characters are outside strings."""
    out: list[str] = []
    pos = 0
    while (quote := text.find('"', pos)) >= 0:
        out.append(_WHITESPACE.sub("", text[pos:quote]))
        body = _JSON_STRING_BODY.match(text, quote + 1)  # always a match, empty at least
        end = body.end() if body else quote + 1
        if text.startswith('"', end):
            out.append(text[quote : end + 1])
            pos = end + 1
        else:
            out.append(_WHITESPACE.sub("", text[quote:end]))
            pos = end
    out.append(_WHITESPACE.sub("", text[pos:]))
    return "".join(out)


def _normalize_json(text: str) -> str:
    """trafilatura's ``normalize_json``, the surrogates (an emoji's escaped halves) dropped by a regex rather than a
    Python test of every character of the block."""
    from trafilatura.utils import HTML_STRIP_TAGS, trim

    if "\\" in text:
        text = text.replace("\\n", "").replace("\\r", "").replace("\\t", "")
        text = _JSON_UNICODE.sub(lambda match: chr(int(match[1], 16)), text)
        if not text.isascii():
            text = _SURROGATE.sub("", text)
        text = html.unescape(text)
    return trim(HTML_STRIP_TAGS.sub("", text))


_JSON_LD_TYPES = ("application/ld+json", "application/settings+json")


def _json_ld_scripts(tree: HtmlElement) -> Iterator[HtmlElement]:
    """The page's JSON-LD blocks, as trafilatura's XPath ``.//script[@type=…]`` finds them, in document order:
    lxml's walk for <script> elements (in C) costs two thirds of the XPath's over every node (0.11 against 0.16 ms
    a page)."""
    return (element for element in tree.iter("script") if element.get("type") in _JSON_LD_TYPES)


# How much of a JSON-LD block that does not parse trafilatura's guesswork reads (``extract_json_parse_error``). Its
# regexes scan from every ``"author"``, ``"person"`` or ``"publisher"`` to the next brace or to the end: a 320 KB
# page of ``"author"`` tokens took 35 s, a megabyte minutes, holding a worker and its batch. The 8 scrapinghub pages
# whose JSON-LD breaks hold their authors and publishers in the first 8,000 characters (the longest block is 21,559);
# at this bound the worst case costs ~0.2 s.
_JSON_LD_GUESS_MAX_CHARS = 16_000


def _extract_meta_json(tree: HtmlElement, metadata: Document) -> Document:
    """trafilatura's ``extract_meta_json`` (metadata from the page's JSON-LD), its minifying and normalising steps
    done as `_minify_json` and `_normalize_json` do them: 0.35 → 0.21 ms a page, the same fields (tested against it).
    A block that does not parse is guessed from in its first `_JSON_LD_GUESS_MAX_CHARS` only."""
    from trafilatura.json_metadata import extract_json, extract_json_parse_error

    for element in _json_ld_scripts(tree):
        if not element.text:
            continue
        text = _normalize_json(_minify_json(element.text))
        try:
            metadata = extract_json(json.loads(text, strict=False), metadata)
        except json.JSONDecodeError:
            metadata = extract_json_parse_error(text[:_JSON_LD_GUESS_MAX_CHARS], metadata)
    return metadata


# A page's date as it writes it for its readers, where its markup has none (press releases, clubs, small sites:
# "Pressemitteilung vom 25. Januar 2022" under the headline, "21.01.2022" above it, "Datum: 03.11.2021" in a side
# column). Day-first dotted, ISO, and month-name dates only: a slashed date says nothing of its order here.
_WRITTEN_DATE = re.compile(
    r"(?<![\d.])(?P<day>\d{1,2})\.\s?(?P<month>\d{1,2})\.\s?(?P<year>\d{4})(?!\d)"
    r"|(?<![\d-])\d{4}-\d{2}-\d{2}(?![\d-])"
    r"|(?<![\w.])\d{1,2}(?:\.|º|er)?\s+(?:de\s+)?[^\W\d_]{3,12}\.?,?\s+(?:de\s+)?\d{4}(?!\d)"
    r"|(?<!\w)[^\W\d_]{3,12}\.?\s+\d{1,2}(?:st|nd|rd|th)?,\s+\d{4}(?!\d)"
)
# What says that a date is the page's own, wherever it stands.
_DATE_LABEL = re.compile(
    r"(?:\b(?:Datum|Date|Veröffentlicht(?:\s+am)?|Erschienen(?:\s+am)?|Published(?:\s+on)?|Posted(?:\s+on)?"
    r"|Publié(?:\s+le)?|Publicado(?:\s+el|\s+em)?|Pubblicato(?:\s+il)?|Pressemitteilung\s+vom))\s*:?\s*",
    re.IGNORECASE,
)
_RANGE_BEFORE = ("-", "–", "—", "bis")  # "vom 9.1. -10.2.2023": the end of a range, not a day of publication
# Text read beside the headline: any date in the first 600 characters after it or the last 300 before it, a labelled
# one up to 3,000 after it. Text nodes, not characters, bound the XPaths (lxml stops an axis at its position test).
_BESIDE_HEADLINE_CHARS = (300, 600, 3000)
_FOLLOWING_TEXT = "following::text()[position() <= 300]"  # in document order
_PRECEDING_TEXT = "preceding::text()[position() <= 40]"  # the nearest, which lxml also gives in document order
_NOT_TEXT = frozenset(("script", "style", "noscript", "template"))


def _written_date(tree: HtmlElement, title: str | None) -> str | None:
    """The page's date where it writes it for its readers: the first complete date right after its headline (the
    ``<h1>`` that is its title, or its only one), else right before it, else the first one after a label saying
    so ("Datum:", "Published on", "Publié le") further down. A date anywhere else is an event's, never the page's.

    On the trafilatura-eval pages whose markup names no date it gives 21 of the gold's and 2 others (htmldate's
    extensive search on the same pages: 18 and 14). ~0.5 ms a page, and only on a page without a markup date.
    """
    headline = _headline(tree, title)
    if headline is None:
        return None
    before, after, labelled = _BESIDE_HEADLINE_CHARS
    following = _text_of(headline.xpath(_FOLLOWING_TEXT))[:labelled]
    preceding = _text_of(headline.xpath(_PRECEDING_TEXT))[-before:]
    for near, end in ((following, after), (preceding, before)):
        for match in _WRITTEN_DATE.finditer(near, 0, end):
            if (found := _date_at(near, match)) is not None:
                return found
    for label in _DATE_LABEL.finditer(following, after):
        dated = _WRITTEN_DATE.match(following, label.end())
        if dated is not None and (found := _date_at(following, dated)) is not None:
            return found
    return None


def _text_of(nodes: list[str]) -> str:
    """Text nodes as one line of words, without scripts and styles; the indentation between a page's elements
    would fill a window of characters."""
    kept = [t for t in nodes if not (t.is_text and t.getparent().tag in _NOT_TEXT)]  # type: ignore[attr-defined]
    return " ".join(" ".join(kept).split())


def _headline(tree: HtmlElement, title: str | None) -> HtmlElement | None:
    """The ``<h1>`` whose words are the title's (or hold them), else the page's only ``<h1>``."""
    found = list(tree.iter("h1"))
    if title and len(found) > 1:
        wanted = _folded_name(title)
        for element in found:
            words = _folded_name(element.text_content())
            if words and (words in wanted or wanted in words):
                return element
    return found[0] if len(found) == 1 else None


def _date_at(text: str, match: re.Match[str]) -> str | None:
    """The date ``match`` found as an ISO day, or None when it ends a range or is no date."""
    if text[max(0, match.start() - 4) : match.start()].rstrip().endswith(_RANGE_BEFORE):
        return None
    value = match.group()
    if match["day"]:  # day first, as dotted dates are written everywhere
        value = f"{match['year']}-{int(match['month']):02d}-{int(match['day']):02d}"
    when = read_date(value)
    return when.date().isoformat() if when is not None else None


def _html_metadata(tree: HtmlElement, raw: RawArticle) -> dict[str, str | None]:
    """Title, author, date, URL and site name from the page's markup: what parse uses, nothing more.

    trafilatura's ``extract_metadata`` also looks for categories, tags and a licence, which cost ~6 ms a page
    (a sixth of the stage) and which we drop, so this runs its steps for the fields we keep, in its order and
    with its rules. A field the raw article already has is not searched for; an author in the page's meta
    tags or JSON-LD still wins over the producer's, but its byline search (a guess from class names) runs
    only when the producer gave no author.
    """
    from trafilatura.metadata import META_URL, examine_meta, extract_sitename, extract_url

    meta = examine_meta(tree)
    if meta.author and " " not in meta.author:  # a handle, not a name (trafilatura's rule)
        meta.author = None
    try:
        meta = _extract_meta_json(tree, meta)
    except Exception as e:  # JSON-LD in the wild breaks trafilatura's reader in many ways; the markup remains
        log.debug("html_json_ld_unreadable", error=repr(e))
    url = meta.url or extract_url(tree, raw.url)
    date = None
    if not raw.published_at:
        from htmldate import find_date

        # From markup only: the extensive search guesses from copyright lines and URLs, which would invent a
        # publication date.
        date = find_date(tree, extensive_search=False, original_date=True, outputformat="%Y-%m-%dT%H:%M:%S%z",
                         url=url)  # fmt: skip
    sitename = meta.sitename or extract_sitename(tree)
    if sitename:
        sitename = sitename.lstrip("@")  # a Twitter handle
        if sitename.startswith(("http://", "https://")):  # "https://www.hawaiinewsnow.com": the host names it
            sitename = (urlsplit(sitename).hostname or "").removeprefix("www.") or None
        if sitename and "." not in sitename and not sitename[0].isupper():
            sitename = sitename.title()
    elif url and (host := META_URL.match(url)):
        sitename = host[1]
    names = site_names(sitename, domain_of(canonicalize_url(url)))
    author = meta.author
    if author:
        people = [name for name in author.split("; ") if not _names_the_site(name, names)]
        if people:
            author = "; ".join(people)
        elif not raw.authors:
            # Only the site's own name ("L'Opinion", "MesOpinions com"): the byline may name the person. What
            # it finds is taken only when it is one to three names and not the site (on a personal blog it
            # names the owner again; on some pages it finds a list of categories).
            found = find_byline(tree)
            if found and not _names_the_site(found, names) and 0 < len(split_authors([found])) <= 3:
                author = found
        else:
            author = None  # the producer's authors
    elif not raw.authors:
        author = find_byline(tree)
    title = None
    if not raw.title:
        title = meta.title if meta.title and _folded_name(meta.title) not in names else None
        title = title or _page_title(tree, names)
    if not raw.published_at and not date:
        date = _written_date(tree, raw.title or title)
    fields = {
        "title": title,
        "url": url,
        "date": date,
        "sitename": sitename,
        "author": author,
    }
    return {key: html.unescape(value) if value else None for key, value in fields.items()}


# How a feed item's HTML fragment reads as text: blocks are paragraphs, inline elements stay in their line.
_BLOCK_TAGS = lexicon.words(
    "address article aside blockquote caption center dd details div dl dt fieldset figure footer form h1 h2 h3 "
    "h4 h5 h6 header hr li main nav ol p pre section summary table tbody tfoot thead tr ul"
)
# Not text a reader sees, or a caption (which the design counts as boilerplate): left out with what is inside.
_UNREAD_TAGS = lexicon.words(
    "audio button canvas embed figcaption head iframe noscript object script select style svg template textarea "
    "title video"
)
_CELL_TAGS = frozenset(("td", "th"))
# Lines that may come twice in a fragment: short ones and code (a listing repeats its lines); other prose that
# comes again is a copy (a table of contents' entries before the headings they list, a pull quote).
_REPEATABLE = re.compile(r"^(?:\S+(?:\s+\S+){0,6})?$|[{};=<>]|[^.!?:\"')]$")
_WHITESPACE = re.compile(r"\s+")


def _join_soft_breaks(pieces: list[str]) -> list[str]:
    """Lines of one block split at single ``<br>``s: a line that stops mid-sentence and one that goes on in lower
    case are one line wrapped by hand ("working with Timescale to<br>write an article"); others stay apart."""
    lines: list[str] = []
    joinable = False
    for piece in pieces:
        piece = piece.strip()
        if joinable and piece[:1].islower():
            lines[-1] += " " + piece
        elif piece:
            lines.append(piece)
        joinable = bool(piece) and (piece[-1].islower() or piece[-1] in ",;")
    return lines


def fragment_text(root: HtmlElement) -> str:
    """The text of an HTML fragment (a feed item's content), one paragraph a line.

    trafilatura looks for the article in a page; a fragment is all article, and trafilatura's rescue for short
    input (its baseline) puts every text node on a line of its own: "<p><a>Some</a> <a>cool</a> animations</p>"
    came out as three paragraphs, a link in a sentence split it in three. Here block elements end a line,
    inline ones (links, emphasis, code) stay inside it, ``<br>`` ends one unless it only wraps a sentence,
    ``<pre>`` keeps its lines, table cells are spaced.
    """
    from lxml.etree import iterwalk

    lines: list[str] = []
    parts: list[str] = []
    skip = 0  # depth inside an element that is not read
    pre = 0  # depth inside <pre>

    def add(value: str | None) -> None:
        if value:
            parts.append(value if pre else _WHITESPACE.sub(" ", value))

    def end_line() -> None:
        if parts:
            text = "".join(parts)
            if pre:
                lines.extend(text.split("\n"))
            else:  # outside <pre> the only line breaks left are <br>s
                lines.extend(_join_soft_breaks(text.split("\n")) if "\n" in text else (text,))
            parts.clear()

    for event, element in iterwalk(root, events=("start", "end")):
        tag = element.tag
        if not isinstance(tag, str):  # a comment or a processing instruction: only its tail is text
            if event == "end" and not skip:
                add(element.tail)
            continue
        if event == "start":
            if skip or tag in _UNREAD_TAGS:
                skip += 1
                continue
            if tag in _BLOCK_TAGS:
                end_line()
                pre += tag == "pre"
            elif tag == "br":
                parts.append("\n")
            elif tag in _CELL_TAGS:
                parts.append(" ")
            add(element.text)
            continue
        if skip:
            skip -= 1
            if skip or element is root:
                continue
        elif tag in _BLOCK_TAGS:
            end_line()
            pre -= tag == "pre"
        if element is not root:
            add(element.tail)
    end_line()
    out: list[str] = []
    seen: set[str] = set()
    for line in lines:
        line = line.strip()
        if _REPEATABLE.search(line):
            out.append(line)
        elif line not in seen:  # a table of contents before its headings, a pull quote, a second sign-up prompt
            seen.add(line)
            out.append(line)
    return "\n".join(out)


_DOCUMENT = re.compile(r"<(?:!doctype|html|body)\b", re.I)
# HTML escaped twice: no markup, and what would be markup written as text ("&lt;p&gt;When you're testing…").
_ESCAPED_MARKUP = re.compile(
    r"\s*&lt;(?:p|div|h[1-6]|ul|ol|figure|img|a|span|blockquote|table|section|article)\b", re.I
)


_PARSERS = threading.local()  # an lxml parser is not to be shared by threads at once (a threads-pool worker)


def _html_parser() -> lxml.html.HTMLParser:
    """trafilatura's own parser settings, with element classes chosen in C.

    lxml.html picks each element's class in a Python method (``HtmlElementClassLookup.lookup``), called every time
    Python first touches an element: ~2,000 calls a page through trafilatura's extraction and metadata readers,
    2–6 % of the text's extraction. Its only effect beyond ``HtmlElement`` is form classes (``FormElement``…),
    which neither trafilatura nor we use; the lookup given here is lxml's C default with the same classes, and
    the extracted texts are the same (checked on the 181 scrapinghub pages).
    """
    parser: lxml.html.HTMLParser | None = getattr(_PARSERS, "html", None)
    if parser is None:
        import lxml.html
        from lxml import etree

        parser = lxml.html.HTMLParser(collect_ids=False, default_doctype=False, encoding="utf-8",
                                      remove_comments=True, remove_pis=True)  # fmt: skip
        parser.set_element_class_lookup(etree.ElementDefaultClassLookup(
            element=lxml.html.HtmlElement, comment=lxml.html.HtmlComment, pi=lxml.html.HtmlProcessingInstruction,
            entity=lxml.html.HtmlEntity))  # fmt: skip
        _PARSERS.html = parser
    return parser


# What trafilatura's repair deletes from a page (its ``INVALID_XML_CHARS``): the C0 controls but tab, LF and CR, and
# two noncharacters.
_INVALID_XML_CHARS = (*(chr(code) for code in range(0x20) if code not in (0x09, 0x0A, 0x0D)), "\ufffe", "\uffff")


def _repair_faulty_html(content: str, beginning: str) -> str:
    """trafilatura's ``repair_faulty_html``, its deletion of the characters libxml2 refuses run only on a page that
    holds one. Its regex reads every character of every page (~0.4 ms a 115 KB page, 4 % of the parse stage), and
    no scrapinghub page has one; a search for each of the 29 (a C loop over the page each) costs a quarter of it."""
    from trafilatura.utils import DOCTYPE_TAG, FAULTY_HTML, INVALID_XML_CHARS

    if any(char in content for char in _INVALID_XML_CHARS):
        content = INVALID_XML_CHARS.sub("", content)
    # libxml2's bug with a self-closed doctype (https://bugs.launchpad.net/lxml/+bug/1955915)
    if "doctype" in beginning:
        first_line, _, rest = content.partition("\n")
        content = DOCTYPE_TAG.sub("", first_line, count=1) + "\n" + rest
    for line in content[:4096].splitlines()[:4]:  # a self-closing <html/> in the first lines
        if "<html" in line and line.endswith("/>"):
            content = FAULTY_HTML.sub(r"\1>", content, count=1)
            break
    return content


def load_html(content: str) -> HtmlElement | None:
    """A page as trafilatura's ``load_html`` loads it (its repairs, its check that it is HTML at all), parsed with
    `_html_parser`; trafilatura takes the tree as it is."""
    import lxml.html
    from lxml import etree
    from trafilatura.utils import is_dubious_html

    beginning = content[:50].lower()
    content = _repair_faulty_html(content, beginning)
    parser = _html_parser()
    tree: HtmlElement | None = None
    try:
        tree = lxml.html.fromstring(content, parser=parser)
    except ValueError:  # "Unicode strings with encoding declaration are not supported"
        pass
    except etree.LxmlError:
        log.debug("html_unparsable")
    if tree is None or len(tree) < 1:  # as trafilatura: once more from UTF-8 bytes
        try:
            tree = lxml.html.fromstring(content.encode("utf-8", "surrogatepass"), parser=parser)
        except (ValueError, etree.LxmlError):
            return None
    if tree is not None and is_dubious_html(beginning) and len(tree) < 2:
        return None  # not HTML (trafilatura's rule)
    return tree


# A container of the article's body, in a class name that trafilatura's first body rule matches.
_BODY_CLASS_NAME = "article__body"
_BODY_CLASS = re.compile(rf"(?:^|\s){_BODY_CLASS_NAME}(?:\s|$)")
_BODY_CONTAINERS = ("div", "section", "article", "main")


def _join_body_parts(tree: HtmlElement) -> None:
    """Move the article's body into its first container when the page cuts it into several of the same class
    (wired.com, and the other Condé Nast sites, between ad rows): trafilatura reads the first container that
    its rules match and nothing else, so half of the story was lost. What lies between the parts (ad rows,
    sidebars) stays where it is."""
    parts: dict[str, list[HtmlElement]] = {}
    for element in tree.iter(*_BODY_CONTAINERS):
        cls = element.get("class")
        if cls and _BODY_CLASS.search(cls):
            parts.setdefault(cls, []).append(element)
    for group in parts.values():
        if len(group) < 2:
            continue
        first, *rest = [e for e in group if not any(a in group for a in e.iterancestors(*_BODY_CONTAINERS))]
        for part in rest:
            if part.text and part.text.strip():
                lead = first.makeelement("p", {})
                lead.text = part.text
                first.append(lead)
            for child in list(part):
                first.append(child)  # moves it, its tail with it
            part.drop_tree()  # its tail stays


def _page_text(tree: HtmlElement) -> str | None:
    """The main text of a page, as trafilatura's ``bare_extraction`` finds it with `_html_extractor`'s options, read
    from the page's own tree, which it prunes (its metadata is read before). bare_extraction copies a tree it is
    given, for a caller that reads it again: ~0.35 ms a 115 KB page, 4 % of the parse stage. These are its steps for
    those options (no metadata, language check, deduplication or tree size limit): the same text on the 1,171
    corpus pages."""
    from trafilatura.core import trafilatura_sequence  # imported here: loading trafilatura costs ~0.5 s
    from trafilatura.xml import xmltotxt

    options = _html_extractor()
    try:
        body, text, _, comments = trafilatura_sequence(tree, options, options.url)
    except (TypeError, ValueError):  # bare_extraction's "discarding data"
        return None
    if len(text) < options.min_output_size and len(comments) < options.min_output_comm_size:
        return None
    return xmltotxt(body, options.formatting)


def _parse_html(raw: RawArticle, content: str) -> dict[str, object]:
    if "<" not in content and _ESCAPED_MARKUP.match(content):
        content = html.unescape(content)

    # One parse of the page for both the metadata and then the text, whose extraction prunes it.
    # A feed item's description or content is HTML without a document around it ("<p>The council…</p>", or
    # text with an entity in it). trafilatura's loader refuses a one-block fragment and hands back any other
    # under a <div> or <span> of lxml's (or in a document of lxml's, when it starts with a <link>), in which its
    # extraction finds no page: 386 of the 6,610 items of the corpus feeds were rejected so, with whole posts in
    # them. A page says it is one.
    tree = load_html(content) if _DOCUMENT.search(content) else None
    page = tree is not None and tree.tag == "html"
    if page:
        # The evidence first: the class named twice. A search of the page's text costs ~0.05 ms (~0.4 % of the
        # stage); the walk over its elements, ~0.3 ms, runs on 4 of the 181 scrapinghub pages.
        if (at := content.find(_BODY_CLASS_NAME)) >= 0 and content.find(_BODY_CLASS_NAME, at + 1) >= 0:
            _join_body_parts(tree)
        data = _html_metadata(tree, raw)  # first: the text's extraction prunes the tree
        text = _page_text(tree)
    else:
        tree = load_html(f"<html><body>{content}</body></html>")
        body = tree.find("body") if tree is not None else None
        text = fragment_text(body) if body is not None else None
        data = _html_metadata(tree, raw) if text else {}
    if not text:
        raise Rejected("no_text", "no article text found in the HTML")
    return {
        "title": raw.title or data["title"],
        "url": raw.url or data["url"],
        "authors": [data["author"]] if data["author"] else list(raw.authors),
        "published": raw.published_at or data["date"],
        # A fragment names no site (what trafilatura finds is the link's host): the feed's name, else the host.
        # Taking the host first named one feed's items two ways, "aljazeera.com" for those with markup in
        # their description and "Al Jazeera – Breaking News…" for the others (80 items of 18 corpus feeds).
        "source_name": data["sitename"] or raw.source.name if page else raw.source.name or data["sitename"],
        "lines": (text or "").split("\n"),
    }


def _parse_text(raw: RawArticle, content: str) -> dict[str, object]:
    # Joined before the title is chosen: the first line of a hard-wrapped text is half a sentence.
    lines = unwrap(_split_lines(content))
    title = raw.title
    if not title:
        # The first non-empty line is the title when it is short and more text follows.
        for index, line in enumerate(lines):
            if line.strip():
                if len(line.strip()) <= 300 and any(rest.strip() for rest in lines[index + 1 :]):
                    title = line.strip()
                    lines = lines[index + 1 :]
                break
    return {"title": title, "url": raw.url, "authors": list(raw.authors), "published": raw.published_at,
            "source_name": raw.source.name, "lines": lines}  # fmt: skip


_TITLE_SEPARATORS = (" | ", " - ", " – ", " — ", " :: ", " · ", " • ", " ⋆ ", " » ")
_NOT_WORD = re.compile(r"\W+")
# A site's name written as its address ("www.AussenGedanken.de", "http://www.tafelblog.com", "Vegolosi.it").
_HOST_NAME = re.compile(r"(?:https?://)?(?:www\.)?([\w-]+)(?:\.[\w-]+)*\.[a-z]{2,6}/?", re.I)
# Second-level labels under which the name is the label before ("bundeskanzleramt.gv.at", "bbc.co.uk").
_SECOND_LEVEL = lexicon.words("ac co com edu gob gov gv ne net or org")


def _folded_name(text: str) -> str:
    """A name to compare with others: case-folded letters and digits, an address reduced to its name."""
    if host := _HOST_NAME.fullmatch(text.strip()):
        text = host[1]
    return _NOT_WORD.sub("", text.casefold())


def site_names(site: str | None, domain: str | None) -> frozenset[str]:
    """The names a page's site goes by, folded: its name, its domain's first label and the domain's own name
    ("Das Lautsprecher Teufel Blog", "blog.teufel.de" → daslautsprecherteufelblog, blog, teufel)."""
    names = {_folded_name(site)} if site else set()
    if domain:
        labels = domain.removeprefix("www.").split(".")
        names.add(_folded_name(labels[0]))
        if len(labels) > 2:
            names.add(_folded_name(labels[-3] if labels[-2] in _SECOND_LEVEL else labels[-2]))
    names.discard("")
    return frozenset(names)


def is_site_name(text: str, names: frozenset[str]) -> bool:
    """Whether ``text`` names the site: one of its names, the start or the end of one ("Teufel Blog" of "Das
    Lautsprecher Teufel Blog"), or the domain's name and a word or two ("Bundeskanzleramt Österreich", not
    "Parallels Desktop 15 Virtual Machine for Mac")."""
    folded = _folded_name(text)
    if len(folded) < 3:
        return False
    return any(
        folded == name
        or (len(folded) >= 4 and (name.startswith(folded) or name.endswith(folded)))
        or (len(name) >= 5 and folded.startswith(name) and len(folded) <= len(name) + 12)
        for name in names
    )


def _headline_enough(head: str) -> bool:
    """Whether what is left is a headline of its own ("Review" of "Review - IGN" is not)."""
    return len(head.split()) >= 3 or len(head) >= 12


def without_site_name(title: str, site: str | None, domain: str | None) -> str:
    """The headline without the site's name that pages put after it ("… - TechCrunch", "… | ZDNet",
    "… - www.AussenGedanken.de") or before it ("BMAS - …", "BDZV: …"): the last part after a separator when it
    names the site (`is_site_name`), else the first part before one when it is exactly the site's name."""
    if not (site or domain):
        return title
    if site and title.startswith(site) and title[len(site) :].startswith((*_TITLE_SEPARATORS, ": ")):
        # The site's whole name first, a motto and all ("LinkNaija | Nigeria's popular news platform: …").
        rest = title[len(site) :].lstrip(" |-–—:·•⋆»")
        if _headline_enough(rest):
            title = rest
    for sep in _TITLE_SEPARATORS:
        if site and title.endswith(sep + site) and _headline_enough(head := title[: -len(sep + site)].rstrip()):
            return head
    names = site_names(site, domain)
    cut = max(title.rfind(sep) for sep in _TITLE_SEPARATORS)
    if cut > 0:
        head, tail = title[:cut].rstrip(), title[cut:].strip(" |-–—:·•⋆»")
        if _headline_enough(head) and is_site_name(tail, names):
            return head
    starts = [i for i in (title.find(sep) for sep in (*_TITLE_SEPARATORS, ": ")) if i > 0]
    if starts:
        cut = min(starts)
        lead, rest = title[:cut], title[cut:].lstrip(" |-–—:·•⋆»")
        if _headline_enough(rest) and _folded_name(lead) in names:
            return rest
    return title


# The source an aggregator's item comes from, in brackets before its text: "[allAfrica] "In a single decade…"",
# "[Ghanaian Times] The Embassy…" (every item of allAfrica's feed).
_SOURCE_LABEL = re.compile(r"\[(?=[^\]]*[A-Za-z])\w[\w .,'&()/-]{1,59}\](?:[ \t]+|\n+|$)")


def _without_site_word(authors: list[str], names: frozenset[str]) -> list[str]:
    """Names without the site's name after them: a byline's "Adam Aaronson, PhillyVoice Staff" is "Adam Aaronson
    PhillyVoice" once the role is gone (phillyvoice.com)."""
    out = []
    for name in authors:
        head, _, last = name.rpartition(" ")
        if head.count(" ") >= 1 and _folded_name(last) in names:
            name = head
        if name not in out:
            out.append(name)
    return out


# An HTML element's tag ("<p>", "</div", "<br/>", "<a href"), a comment or a declaration: a body said to be HTML
# without one is no markup. Named elements only: a markdown post's code holds "Promise<string>", "Map<K, V>".
_TAG = re.compile(
    r"<(?:!|/?(?:p|div|span|br|hr|a|img|picture|source|video|audio|iframe|figure|figcaption|h[1-6]|ul|ol|li|dl|dt|"
    r"dd|em|strong|b|i|u|s|del|ins|mark|small|sub|sup|abbr|cite|q|time|code|pre|blockquote|table|thead|tbody|tr|"
    r"td|th|section|article|header|footer|nav|aside|main|html|body|head|meta|link|script|style|center|font)"
    r"(?=[\s/>]))",
    re.I,
)
# Markdown's marks of structure: a heading, a list item, a quote, bold, a link.
_MARKDOWN_MARKS = re.compile(r"^(?:#{1,6} |[-*+] |\d{1,3}\. |> )|\*\*|\]\(", re.M)


def _markup_free(content: str) -> str | None:
    """The content type to read a body said to be HTML as, when it holds no markup: a feed's ``content:encoded``
    written in markdown or plain lines. Read as HTML, its line breaks, all the structure it has, were spaces
    ("## The Initial Spark It all started with…" as one line). None when it is HTML (or escaped HTML)."""
    if _TAG.search(content) or _ESCAPED_MARKUP.match(content):
        return None
    return "markdown" if _MARKDOWN_MARKS.search(content) else "text"


def _fields(raw: RawArticle, content: str, content_type: str) -> tuple[dict[str, object], str]:
    """The fields of one body of content, and its clean text ('' when it has none)."""
    if content_type == "html" and (reading := _markup_free(content)) is not None:
        content_type, content = reading, html.unescape(content) if "&" in content else content
    if content_type == "html":
        try:
            fields = _parse_html(raw, content)
        except Rejected:
            return {}, ""
    elif content_type == "markdown" or looks_like_article_markdown(content):
        fields = _parse_markdown(raw, content)
    else:
        fields = _parse_text(raw, content)
    lines = [str(line) for line in fields["lines"]]  # type: ignore[attr-defined]
    return fields, clean_text("\n".join(lines))


def parse(raw: RawArticle) -> ParsedArticle:
    """Parse one raw article; raise Rejected with a reason when there is no article in it."""
    content = raw.content or raw.summary or ""
    fields, text = _fields(raw, content, raw.content_type)
    if not text and raw.summary and raw.summary != content:
        # Content with no text in it, a gallery's figures or an empty "<p></p>" (El País, The Week): the item's
        # own description is its text ("This is how the Year of the Fire Horse has been welcomed…").
        kind = "html" if "<" in raw.summary or "&" in raw.summary else "text"
        fields, text = _fields(raw, raw.summary, kind)
    if not fields:
        raise Rejected("no_text", "no article text found in the HTML")

    notes: list[str] = []
    if len(text) > c.TEXT_MAX_CHARS:
        text = text[: c.TEXT_MAX_CHARS].rsplit(" ", 1)[0]
        notes.append("text_truncated")
    title = clean_inline(str(fields["title"] or ""))[: c.TITLE_MAX_CHARS]
    if is_boilerplate(title):
        title = ""
    if title and text:
        # Pages repeat their headline as the body's first line.
        first, _, rest = text.partition("\n\n")
        if first.casefold() == title.casefold():
            text = rest
    if text.startswith("[") and (label := _SOURCE_LABEL.match(text)):
        text = text[label.end() :]
    if not text and not title:
        raise Rejected("empty", "no title and no text")
    if not text:
        raise Rejected("no_text", "a title but no body text")
    if not title:
        title = text.split("\n", 1)[0][:200]
        notes.append("title_from_text")

    url = str(fields["url"]).strip() if fields["url"] else None
    canonical = canonicalize_url(url)
    if url and canonical is None:
        # Only a web address is an article's address: `javascript:` or `data:` (whatever a source sends) would
        # be a link into a consumer's page, and a relative path or a broken URL leads nowhere.
        url = None
        notes.append("url_not_web")
    source_name = clean_inline(str(fields["source_name"] or "")) or None
    domain = domain_of(canonical)
    title = without_site_name(title, source_name, domain)
    authors = split_authors(list(fields["authors"]))  # type: ignore[call-overload]
    if any(name.count(" ") >= 2 for name in authors):
        authors = _without_site_word(authors, site_names(source_name, domain))
    return ParsedArticle(
        title=title,
        text=text,
        url=url,
        canonical_url=canonical,
        authors=authors,
        published_at=parse_published(
            str(fields["published"]) if fields["published"] else None, language=raw.language
        ),
        source_name=source_name,
        source_domain=domain,
        feed=raw.source.feed,
        notes=notes,
        declared_language=raw.language,
    )
