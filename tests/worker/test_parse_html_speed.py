"""parse, HTML pages: the cheaper forms of trafilatura's steps give what trafilatura's own give (what they save is
measured by `python -m bench html` and recorded in docs/throughput.md, not here)."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import given
from hypothesis import strategies as st

from worker.parse import (
    _extract_meta_json,
    _html_extractor,
    _minify_json,
    _normalize_json,
    _page_text,
    _repair_faulty_html,
    load_html,
)

if TYPE_CHECKING:
    from trafilatura.settings import Document

_JSON_CHARS = st.sampled_from([*' \t\n\r"\\{}[]:,<>/&;u0aFé\u00a0\u2028', "\\u00e9", "\\ud83d", "\\n", "&amp;"])


def _page(head: str = "", body: str = "<p>Some text.</p>", doctype: str = "<!DOCTYPE html>") -> str:
    return f"{doctype}\n<html><head>{head}</head><body>{body}</body></html>"


def _fields(document: Document) -> dict[str, object]:
    """A Document's metadata, without the (always new, always empty) body elements it is made with."""
    return {key: value for key, value in document.as_dict().items() if key not in ("body", "commentsbody")}


@pytest.mark.parametrize(
    "content",
    [
        _page(),
        _page(body="<p>A\x00B\x08C\x0bD\x0cE\x1fF\ufffeG\uffffH\tI\rJ</p>"),  # each character trafilatura deletes
        _page(doctype='<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" />'),  # the libxml2 doctype bug
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n'
        "<html/><p>x</p>",
        "\n\n<html lang='en' />\n<body><p>x</p></body>",  # a self-closing <html/> in the first lines
        "<html>\n<p>x</p>\n" + "<p>y</p>\n" * 5 + "<html class='late' />",  # too late to be repaired
        "<p>no document\x01</p>",
        "",
    ],
)
def test_repair_is_trafilaturas(content: str) -> None:
    """The page is repaired as trafilatura's `repair_faulty_html` repairs it, control characters or none."""
    from trafilatura.utils import repair_faulty_html

    beginning = content[:50].lower()
    assert _repair_faulty_html(content, beginning) == repair_faulty_html(content, beginning)


@given(st.lists(_JSON_CHARS, max_size=60).map("".join))
def test_json_minify_is_trafilaturas(text: str) -> None:
    """Whitespace outside JSON strings goes, as trafilatura's ``JSON_MINIFY.sub(r"\\1", …)`` takes it out, however
    the quotes, escapes and whitespace fall (unterminated strings included)."""
    from trafilatura.metadata import JSON_MINIFY

    assert _minify_json(text) == JSON_MINIFY.sub(r"\1", text)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("tail", ["", "\\\n", " x"])
def test_json_minify_of_an_unterminated_string_is_linear(tail: str) -> None:
    """A page's JSON-LD block of 500,000 escaped quotes that never closes (or ends in a backslash before a line
    break): trafilatura's sub tries a string from each quote and reads to the end each time (16 KB took 0.7 s; this
    megabyte, hours, holding a worker until its time limit). Read once, it takes milliseconds; the result is the
    sub's, checked on a shorter one."""
    from trafilatura.metadata import JSON_MINIFY

    block = '{"a": "' + '\\"' * 500_000 + tail
    assert _minify_json(block).startswith('{"a":"\\"\\"')
    short = '{"a": "' + '\\"' * 300 + tail + ' "b c" '
    assert _minify_json(short) == JSON_MINIFY.sub(r"\1", short)


@given(st.lists(_JSON_CHARS, max_size=60).map("".join))
def test_json_normalize_is_trafilaturas(text: str) -> None:
    """Escapes read, surrogates (an emoji's escaped halves) dropped, tags stripped, spaces trimmed: as trafilatura's
    ``normalize_json``."""
    from trafilatura.json_metadata import normalize_json

    assert _normalize_json(text) == normalize_json(text)


_JSON_LD = [
    '{"@context": "https://schema.org", "@type": "NewsArticle", "headline": "A \\u00e9t\\u00e9 \\ud83d\\ude00 day",\n'
    '  "author": [{"@type": "Person", "name": "Jane  Doe"}, {"@type": "Person", "name": "John Roe"}],\n'
    '  "datePublished": "2024-05-01T10:00:00Z", "publisher": {"@type": "Organization", "name": "The <b>Times</b>"},\n'
    '  "description": "Line\\nbreak and \\"quotes\\" &amp; tabs\\t"}',
    '{"@graph": [{"@type": "WebSite", "name": "Site"}, {"@type": "Article", "headline": "Graph headline",'
    ' "author": {"name": "Ana Lima"}}]}',
    '{"@type": "NewsArticle", "headline": "Broken, "author": {"name": "Max Mustermann"}',  # not JSON: the regexes
    "",
]


@pytest.mark.parametrize("script", _JSON_LD)
def test_json_ld_reader_is_trafilaturas(script: str) -> None:
    """Title, author, site and the rest from JSON-LD are those of trafilatura's ``extract_meta_json``."""
    from trafilatura.metadata import examine_meta, extract_meta_json

    tree = load_html(_page(head=f'<script type="application/ld+json">{script}</script>'))
    assert tree is not None
    ours, theirs = _extract_meta_json(tree, examine_meta(tree)), extract_meta_json(tree, examine_meta(tree))
    assert _fields(ours) == _fields(theirs)


@pytest.mark.corpus
def test_html_steps_are_trafilaturas_on_the_corpus(corpus: Path) -> None:
    """On the scrapinghub pages and every fourth trafilatura-eval page: the same repaired page and the same JSON-LD
    metadata as trafilatura's own steps."""
    from trafilatura.metadata import examine_meta, extract_meta_json
    from trafilatura.utils import repair_faulty_html

    pages = sorted((corpus / "articles" / "scrapinghub-aeb" / "html").glob("*.html.gz"))
    pages += sorted((corpus / "articles" / "trafilatura-eval" / "html").glob("*.html.gz"))[::4]
    with_json = 0
    for path in pages:
        content = gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace")
        beginning = content[:50].lower()
        assert _repair_faulty_html(content, beginning) == repair_faulty_html(content, beginning), path.name
        tree = load_html(content)
        if tree is None:
            continue
        ours, theirs = _extract_meta_json(tree, examine_meta(tree)), extract_meta_json(tree, examine_meta(tree))
        assert _fields(ours) == _fields(theirs), path.name
        with_json += "ld+json" in content
    assert with_json >= 150


def test_page_text_needs_none_of_bare_extractions_other_steps() -> None:
    """`_page_text` runs bare_extraction's steps for our options only: no metadata, language check, XPath pruning,
    deduplication or tree size limit is asked for."""
    options = _html_extractor()
    assert not options.with_metadata and not options.only_with_metadata and options.lang is None
    assert not options.dedup and not options.max_tree_size and not options.comments


@pytest.mark.parametrize(
    "content",
    [
        _page(body="<article><h1>Title</h1>" + "<p>A paragraph of the story, long enough to count.</p>" * 20),
        _page(body="<article><p>A paragraph of the story.</p></article><aside><p>Related: other stories</p></aside>"),
        _page(body="<div><p>Short.</p></div>"),  # the baseline's rescue and the recall retry
        _page(body=""),  # no text: both give none
    ],
)
def test_page_text_is_bare_extractions(content: str) -> None:
    """The text read from the page's own tree is bare_extraction's from its copy of it."""
    import trafilatura

    theirs = trafilatura.bare_extraction(load_html(content), options=_html_extractor())
    tree = load_html(content)
    assert tree is not None
    assert _page_text(tree) == (theirs.text if theirs is not None else None)  # type: ignore[union-attr]


@pytest.mark.corpus
def test_page_text_is_bare_extractions_on_the_corpus(corpus: Path) -> None:
    """On the scrapinghub pages and every fourth trafilatura-eval page, the same text as bare_extraction's."""
    import trafilatura

    pages = sorted((corpus / "articles" / "scrapinghub-aeb" / "html").glob("*.html.gz"))
    pages += sorted((corpus / "articles" / "trafilatura-eval" / "html").glob("*.html.gz"))[::4]
    for path in pages:
        content = gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace")
        tree = load_html(content)
        if tree is None:
            continue
        theirs = trafilatura.bare_extraction(tree, options=_html_extractor())
        assert _page_text(tree) == (theirs.text if theirs is not None else None), path.name  # type: ignore[union-attr]


@pytest.mark.timeout(60)
def test_a_broken_json_ld_block_is_guessed_from_in_bounded_time() -> None:
    """JSON-LD that does not parse goes to trafilatura's regex guesswork, which scans from every "author" to the end:
    a 320 KB page of them took 35 s (a megabyte, minutes). Only the block's first 16,000 characters are read: the
    page parses in well under the minute, its author guessed as before."""
    from tests.helpers import make_raw_article
    from worker.parse import parse

    head = '{"@type": "NewsArticle", "author": {"@type": "Person", "name": "Jane Doe"}, "headline": "x",'
    script = head + ' "author"a' * 100_000  # broken: no closing brace, a megabyte of tokens
    body = "<article><p>" + "The council met on Tuesday to discuss the harbour expansion plan. " * 20 + "</p></article>"
    page = _page(head=f'<script type="application/ld+json">{script}</script>', body=body)
    parsed = parse(make_raw_article(content_type="html", content=page, title="Harbour"))
    assert parsed.authors == ["Jane Doe"], parsed.authors

