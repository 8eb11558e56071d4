"""parse: a RawArticle from any source → clean fields (title, text, url, authors, dates, source).

Formats: the markdown article format (``# title``, ``Published at: **…**``, ``Author: **…**``,
``Original: [name](url)``, body), HTML pages (main text by trafilatura), plain text. JSON records arrive
already split into fields by their producer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from dateutil import parser as dateparser

from schemas import RawArticle
from wirewatch import constants as c
from wirewatch.errors import Rejected
from worker.clean import clean_inline, clean_text, is_boilerplate
from worker.urls import canonicalize_url, domain_of

# A published date further ahead than this is a source's mistake, not a fact: it is dropped, never invented.
_FUTURE_TOLERANCE = timedelta(days=1)

_MD_TITLE = re.compile(r"^#\s+(.+?)\s*#*\s*$")
_MD_META = re.compile(r"^(Published at|Published|Date|Author|Authors|By|Original|Source|URL)\s*:\s*(.*)$", re.I)
_MD_BOLD = re.compile(r"^\*\*(.*)\*\*$|^__(.*)__$")
_MD_LINK = re.compile(r"^\[([^\]]*)\]\(\s*<?([^)\s>]+)>?\s*\)$")
_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_MD_INLINE_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_MD_HEADING = re.compile(r"^#{1,6}\s+")
_AUTHOR_SPLIT = re.compile(r"\s*(?:,|;|&|\band\b)\s*")
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


def parse_published(value: str | None, now: datetime | None = None) -> datetime | None:
    """A source's date text → aware UTC datetime, or None when absent, unreadable or in the future.

    A date without a zone is taken as UTC (documented in docs/decisions.md).
    """
    if not value or not value.strip():
        return None
    try:
        parsed = dateparser.parse(value.strip())
    except (ValueError, OverflowError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    parsed = parsed.astimezone(UTC)
    if parsed > (now or datetime.now(UTC)) + _FUTURE_TOLERANCE:
        return None
    return parsed


def split_authors(values: list[str]) -> list[str]:
    """Author strings → distinct clean names ("By A and B" → ["A", "B"])."""
    names: list[str] = []
    for value in values:
        for name in _AUTHOR_SPLIT.split(_BY_PREFIX.sub("", clean_inline(value))):
            name = name.strip(" .")
            if name and len(name) <= 200 and name not in names:
                names.append(name)
    return names[:50]


def _unbold(value: str) -> str:
    match = _MD_BOLD.match(value.strip())
    return next((g for g in match.groups() if g is not None), "") if match else value.strip()


def _markdown_inline(line: str) -> str:
    line = _MD_IMAGE.sub("", line)
    line = _MD_INLINE_LINK.sub(r"\1", line)
    line = _MD_EMPHASIS.sub(r"\2", line)
    return _MD_HEADING.sub("", line)


def looks_like_article_markdown(content: str) -> bool:
    """True for the markdown article format: a ``# title`` line followed by ``Key: value`` metadata lines."""
    head = content.lstrip()[:4000].split("\n", 12)
    return bool(head and _MD_TITLE.match(head[0].strip())) and any(_MD_META.match(h.strip()) for h in head[1:])


def _parse_markdown(raw: RawArticle, content: str) -> dict[str, object]:
    lines = content.replace("\r\n", "\n").split("\n")
    fields: dict[str, object] = {"title": raw.title, "url": raw.url, "authors": list(raw.authors),
                                 "published": raw.published_at, "source_name": raw.source.name}  # fmt: skip
    body_start = 0
    seen_title = False
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            continue
        title = _MD_TITLE.match(stripped)
        meta = _MD_META.match(stripped)
        if title and not seen_title:
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
        else:
            body_start = index
            break
        body_start = index + 1
    body = [_markdown_inline(line) for line in lines[body_start:]]
    fields["lines"] = body
    return fields


def _parse_html(raw: RawArticle, content: str) -> dict[str, object]:
    import trafilatura  # imported here: loading it costs ~0.5 s, and text-only workers never need it

    doc = trafilatura.bare_extraction(
        content, url=raw.url, with_metadata=True, include_comments=False, include_tables=False,
        include_images=False, deduplicate=False,
        # Dates from markup only: the extensive search guesses from copyright lines and URLs, which would
        # invent a publication date.
        date_extraction_params={"extensive_search": False, "original_date": True,
                                "outputformat": "%Y-%m-%dT%H:%M:%S%z"},
    )  # fmt: skip
    if doc is None:
        raise Rejected("no_text", "no article text found in the HTML")
    data = doc if isinstance(doc, dict) else doc.as_dict()
    authors = [data["author"]] if data.get("author") else list(raw.authors)
    return {
        "title": raw.title or data.get("title"),
        "url": raw.url or data.get("url"),
        "authors": authors,
        "published": raw.published_at or data.get("date"),
        "source_name": data.get("sitename") or raw.source.name,
        "lines": (data.get("text") or "").split("\n"),
    }


def _parse_text(raw: RawArticle, content: str) -> dict[str, object]:
    lines = content.replace("\r\n", "\n").split("\n")
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


def parse(raw: RawArticle) -> ParsedArticle:
    """Parse one raw article; raise Rejected with a reason when there is no article in it."""
    content = raw.content or raw.summary or ""
    if raw.content_type == "html":
        fields = _parse_html(raw, content)
    elif raw.content_type == "markdown" or looks_like_article_markdown(content):
        fields = _parse_markdown(raw, content)
    else:
        fields = _parse_text(raw, content)

    notes: list[str] = []
    lines = [str(line) for line in fields["lines"]]  # type: ignore[attr-defined]
    text = clean_text("\n".join(lines))
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
    if not text and not title:
        raise Rejected("empty", "no title and no text")
    if not text:
        raise Rejected("no_text", "a title but no body text")
    if not title:
        title = text.split("\n", 1)[0][:200]
        notes.append("title_from_text")

    url = str(fields["url"]).strip() if fields["url"] else None
    canonical = canonicalize_url(url)
    return ParsedArticle(
        title=title,
        text=text,
        url=url,
        canonical_url=canonical,
        authors=split_authors(list(fields["authors"])),  # type: ignore[call-overload]
        published_at=parse_published(str(fields["published"]) if fields["published"] else None),
        source_name=clean_inline(str(fields["source_name"] or "")) or None,
        source_domain=domain_of(canonical),
        feed=raw.source.feed,
        notes=notes,
    )
