"""producers.feeds: feed bytes → RawArticles, on the real feeds of the shared corpus."""

from __future__ import annotations

import contextlib
import gzip
import html
import io
import json
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin

import feedparser
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from producers.feeds import (
    FEED_MAX_BYTES,
    FEED_MAX_ITEMS,
    FeedError,
    FeedParseError,
    FeedTooLarge,
    item_key,
    parse_feed,
)
from schemas.models import RawArticle
from tests.producers.feed_expect import entry_facts, expect_of, headers_of

pytestmark = pytest.mark.corpus

FEED_URL = "https://example.com/feed.xml"
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)

# Where we differ from feedparser's expectations on purpose.
DELIBERATE = {
    # a DTD-declared entity: we never expand declared entities (billion laughs, XXE)
    ("wellformed/rss/entity_in_doctype.xml", "guid"),
    # ids are opaque: feedparser resolves a relative atom:id against the base, we keep it as written
    ("wellformed/base/http_entry_id_base_content_location.xml", "id"),
    ("wellformed/base/http_entry_id_base_docuri.xml", "id"),
}


def _text(value: str) -> str:
    """Feedparser keeps markup in titles; ours are text. Compare the text."""
    return " ".join(html.unescape(re.sub(r"<[^>]*>", "", value)).split())


def _assert_valid(articles: list[RawArticle]) -> None:
    """Articles are built without validation: each must survive the JSON round trip a worker does."""
    for article in articles:
        again = RawArticle.model_validate_json(article.model_dump_json(by_alias=True))
        # received_at crosses the wire at millisecond precision
        assert again.model_dump(exclude={"received_at"}) == article.model_dump(exclude={"received_at"})


def _feedparser_files(corpus: Path) -> list[Path]:
    return sorted(p for p in (corpus / "feeds" / "feedparser" / "tests").rglob("*") if p.is_file())


def test_every_feedparser_test_file_parses_or_fails_cleanly(corpus: Path) -> None:
    """All ~2,100 feedparser test files give a ParsedFeed or a FeedError; nothing else escapes."""
    files = _feedparser_files(corpus)
    assert len(files) > 2000
    outcomes: dict[str, int] = {}
    for path in files:
        data = path.read_bytes()
        headers = headers_of(path, data[:2000].decode("utf-8", "replace"))
        try:
            parsed = parse_feed(data, feed_url=FEED_URL, headers=headers, received_at=NOW)
            outcomes[parsed.parser] = outcomes.get(parsed.parser, 0) + 1
            _assert_valid(parsed.articles)
        except FeedError:
            outcomes["error"] = outcomes.get("error", 0) + 1
    assert outcomes.get("error", 0) <= 5, outcomes
    assert outcomes["fast"] > 1000, outcomes


def test_feedparser_expectations_on_title_link_and_id_hold(corpus: Path) -> None:
    """Where a well-formed test file states entries[0]'s title, link or id, we give the same value."""
    root = corpus / "feeds" / "feedparser" / "tests"
    checked = 0
    wrong = []
    for path in _feedparser_files(corpus):
        rel = str(path.relative_to(root))
        if not rel.startswith("wellformed/") or rel.startswith("wellformed/sanitize/"):
            continue  # ill-formed files and feedparser's HTML sanitiser are not contracts of ours
        data = path.read_bytes()
        head = data[:2000].decode("utf-8", "replace")
        expect = expect_of(path, head)
        facts = entry_facts(expect) if expect else {}
        if not facts:
            continue
        parsed = parse_feed(
            data,
            feed_url=f"http://127.0.0.1:8097/tests/{rel}",
            headers=headers_of(path, head),
            received_at=NOW,
        )
        article = parsed.articles[0]
        for name, expected in facts.items():
            got = {"title": article.title, "link": article.url, "id": article.guid, "guid": article.guid}[name]
            # a title typed as text keeps its brackets; one typed as HTML becomes text
            wants = {expected, _text(expected)} if name == "title" else {expected}
            checked += 1
            if got not in wants and (rel, name) not in DELIBERATE:
                wrong.append((rel, name, expected, got))
    assert checked > 60
    assert wrong == []


MINIFLUX = "feeds/miniflux/internal/reader"


@pytest.mark.parametrize(
    ("path", "expected_title"),
    [
        ("parser/testdata/no_encoding_ISO-8859-1.xml", "Flux RSS du magazine de psychologie Le Cercle Psy"),
        ("encoding/testdata/utf8-incorrect-prolog.xml", "테스트 피드"),
        ("encoding/testdata/invalid-prolog.xml", "테스트 피드"),
        ("encoding/testdata/utf8.xml", "테스트 피드"),
    ],
)
def test_miniflux_feed_titles_decode(corpus: Path, path: str, expected_title: str) -> None:
    """Feeds with a missing, wrong or unknown charset declaration still decode to the right text."""
    parsed = parse_feed((corpus / MINIFLUX / path).read_bytes(), feed_url=FEED_URL, received_at=NOW)
    assert parsed.title == expected_title


def _all_text(parsed: object) -> str:
    articles = parsed.articles  # type: ignore[attr-defined]
    return " ".join(f"{a.title} {a.content}" for a in articles)


def test_iso_8859_1_without_declaration_keeps_accents(corpus: Path) -> None:
    """An ISO-8859-1 body with no XML declaration: accented letters come out as letters, not U+FFFD."""
    parsed = parse_feed(
        (corpus / MINIFLUX / "parser/testdata/no_encoding_ISO-8859-1.xml").read_bytes(), feed_url=FEED_URL
    )
    text = _all_text(parsed)
    assert parsed.articles
    assert "\ufffd" not in text
    assert re.search("[éèàç]", text)


@pytest.mark.parametrize(
    "path",
    [
        "parser/testdata/encoding_WINDOWS-1251.xml",
        "encoding/testdata/koi8r.xml",
        "xml/testdata/koi8r.xml",
    ],
)
def test_cyrillic_charsets_decode(corpus: Path, path: str) -> None:
    """windows-1251 and KOI8-R feeds decode to Cyrillic text."""
    parsed = parse_feed((corpus / MINIFLUX / path).read_bytes(), feed_url=FEED_URL)
    text = _all_text(parsed) + (parsed.title or "")
    assert "\ufffd" not in text
    assert len(re.findall("[а-яА-Я]", text)) > 5


@pytest.mark.parametrize("path", ["encoding/testdata/koi8r.xml", "xml/testdata/koi8r.xml"])
def test_xml_declaration_is_read_when_the_http_utf8_label_lies(corpus: Path, path: str) -> None:
    """Served as charset=utf-8 but not UTF-8: the XML declaration (KOI8-R) is tried before windows-1252."""
    body = (corpus / MINIFLUX / path).read_bytes()
    parsed = parse_feed(body, feed_url=FEED_URL, headers={"Content-Type": "application/xml; charset=utf-8"})
    assert parsed.title == "Пример RSS ленты"
    assert len(re.findall("[а-яА-Я]", _all_text(parsed))) > 5


@pytest.mark.parametrize(
    "path",
    [
        "encoding/testdata/iso-8859-1.xml",
        "encoding/testdata/windows-1252.xml",
        "parser/testdata/encoding_ISO-8859-1.xml",
    ],
)
def test_declared_latin_charsets_decode(corpus: Path, path: str) -> None:
    """Declared ISO-8859-1 / windows-1252 feeds decode to non-ASCII letters, no replacement characters."""
    parsed = parse_feed((corpus / MINIFLUX / path).read_bytes(), feed_url=FEED_URL)
    text = _all_text(parsed) + (parsed.title or "")
    assert "\ufffd" not in text
    assert not text.isascii()


@pytest.mark.parametrize(
    ("declaration", "headers"),
    [
        (b'<?xml version="1.0" encoding="iso-8859-1"?>', None),
        (b'<?xml version="1.0" encoding="ISO_8859-1"?>', None),
        (b'<?xml version="1.0" encoding="us-ascii"?>', None),
        (b"", {"Content-Type": "application/rss+xml; charset=latin1"}),
    ],
)
def test_a_latin_1_label_on_windows_1252_bytes_reads_them_as_windows_1252(
    declaration: bytes, headers: dict[str, str] | None
) -> None:
    """An ISO-8859-1 (or ASCII) label means windows-1252, as browsers and feedparser read it (WHATWG Encoding):
    bytes 0x80-0x9F are dashes and quotes there, invisible C1 controls in ISO-8859-1 (davidbau.com's feed)."""
    xml = '<rss version="2.0"><channel><item><title>Cooler—a “quote”</title><description>It’s 5 €</description>'
    body = declaration + (xml + "</item></channel></rss>").encode("cp1252")
    parsed = parse_feed(body, feed_url=FEED_URL, headers=headers)
    [article] = parsed.articles
    assert (article.title, article.summary) == ("Cooler—a “quote”", "It’s 5 €")


def test_a_latin_1_feed_with_windows_1252_dashes_agrees_with_feedparser(corpus: Path) -> None:
    """davidbau.com declares ISO-8859-1 and writes em dashes as byte 0x97: its texts hold no C1 controls, and
    match feedparser's."""
    body = gzip.decompress((corpus / "feeds/fastfeedparser/benchmark_data/a4911bd5d9977a79.gz").read_bytes())
    ours = parse_feed(body, feed_url="https://davidbau.com/index.rdf")
    theirs = feedparser.parse(io.BytesIO(body), sanitize_html=False, resolve_relative_uris=False).entries
    text = _all_text(ours)
    assert "\u2014" in text and not re.search("[\x80-\x9f]", text)
    assert [(a.title, a.summary) for a in ours.articles] == [(e.title, e.summary) for e in theirs]


def test_every_miniflux_file_parses_or_fails_cleanly(corpus: Path) -> None:
    """Every miniflux reader fixture gives a ParsedFeed or a FeedError."""
    for path in sorted((corpus / MINIFLUX).rglob("*")):
        if path.is_file() and path.suffix in (".xml", ".html", ".json"):
            with contextlib.suppress(FeedError):
                parse_feed(path.read_bytes(), feed_url=FEED_URL)


def test_billion_laughs_is_not_expanded() -> None:
    """Nested entity declarations are never expanded: the parse is fast and the text holds no copies."""
    lol = (
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY lol "lol">'
        + b"".join(
            b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10)
        )
        + b']><rss version="2.0"><channel><title>t</title><item><title>&lol9;</title>'
        + b"<link>https://example.com/a</link></item></channel></rss>"
    )
    start = time.perf_counter()
    parsed = parse_feed(lol, feed_url=FEED_URL)
    assert time.perf_counter() - start < 2
    assert "lollol" not in (parsed.articles[0].title or "")


def test_external_entities_are_not_read(tmp_path: Path) -> None:
    """A SYSTEM entity naming a local file is not read into the feed."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    body = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>'
        '<rss version="2.0"><channel><item><title>a &xxe; b</title><link>https://example.com/x</link>'
        "</item></channel></rss>"
    ).encode()
    parsed = parse_feed(body, feed_url=FEED_URL)
    assert "TOPSECRET" not in (parsed.articles[0].title or "")


def test_a_body_that_names_a_file_is_not_opened(tmp_path: Path) -> None:
    """A body equal to a local path (which feedparser alone would open) is just a bad feed."""
    target = tmp_path / "feed.xml"
    target.write_text('<rss version="2.0"><channel><item><title>LOCAL</title></item></channel></rss>')
    with pytest.raises(FeedParseError):
        parse_feed(str(target).encode(), feed_url=FEED_URL)


def test_oversized_body_is_refused() -> None:
    """A body past FEED_MAX_BYTES raises FeedTooLarge before any parsing."""
    with pytest.raises(FeedTooLarge):
        parse_feed(b" " * (FEED_MAX_BYTES + 1), feed_url=FEED_URL)


def test_item_count_is_bounded() -> None:
    """Items past max_items are dropped and counted."""
    items = "".join(f"<item><link>https://example.com/{i}</link></item>" for i in range(30))
    parsed = parse_feed(
        f'<rss version="2.0"><channel>{items}</channel></rss>'.encode(), feed_url=FEED_URL, max_items=10
    )
    assert len(parsed.articles) == 10
    assert parsed.dropped_items == 20


def test_an_oldest_first_real_feed_over_the_cap_keeps_its_newest_items(corpus: Path) -> None:
    """AreWeAntiCheatYet lists 1,032 items oldest first: capped, it keeps its last items, not its first."""
    body = gzip.decompress((corpus / "feeds/fastfeedparser/benchmark_data/cc314ce5dfbb3adc.gz").read_bytes())
    full = parse_feed(body, feed_url=FEED_URL)
    capped = parse_feed(body, feed_url=FEED_URL, max_items=100)
    assert [a.delivery_id for a in capped.articles] == [a.delivery_id for a in full.articles][-100:]
    assert capped.dropped_items >= len(full.articles) - 100  # (the feed lists some items twice)


def _dated_entries(kind: str, order: range) -> bytes:
    day = "2026-11-{:02d}T10:00:00Z"
    if kind == "atom":
        entries = "".join(
            f"<entry><id>e{i}</id><title>T{i}</title><updated>{day.format(i)}</updated></entry>" for i in order
        )
        return f'<feed xmlns="http://www.w3.org/2005/Atom"><title>F</title>{entries}</feed>'.encode()
    if kind == "json":
        items = [{"id": f"e{i}", "title": f"T{i}", "date_published": day.format(i)} for i in order]
        return json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "F", "items": items}).encode()
    ns = 'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"'
    items = "".join(
        f'<item rdf:about="https://e.example/{i}"><title>T{i}</title>'
        f'<dc:date xmlns:dc="http://purl.org/dc/elements/1.1/">{day.format(i)}</dc:date></item>'
        for i in order
    )
    return f"<rdf:RDF {ns}><channel><title>F</title></channel>{items}</rdf:RDF>".encode()


@pytest.mark.parametrize("kind", ["atom", "json", "rdf"])
@pytest.mark.parametrize(("order", "kept"), [(range(1, 31), range(21, 31)), (range(30, 0, -1), range(30, 20, -1))])
def test_the_item_cap_drops_the_oldest_items_at_either_end(kind: str, order: range, kept: range) -> None:
    """Past max_items the newest items stay, whether the feed lists them first or last."""
    parsed = parse_feed(_dated_entries(kind, order), feed_url=FEED_URL, max_items=10)
    assert [a.title for a in parsed.articles] == [f"T{i}" for i in kept]
    assert parsed.dropped_items == 20


def test_rss_item_fields_map_to_raw_article() -> None:
    """An RSS 2.0 item's fields land in the RawArticle fields, with content:encoded as HTML content."""
    body = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Wire &amp; Co</title><ttl>30</ttl>
<item><title>Quake &lt;b&gt;hits&lt;/b&gt; coast</title><link> https://example.com/q </link>
<guid isPermaLink="false">q-1</guid><pubDate>Sun, 29 Nov 2026 10:00:00 GMT</pubDate>
<author>desk@example.com (Ana Diaz)</author><dc:creator>Bo Li</dc:creator>
<description>Short &lt;i&gt;summary&lt;/i&gt;</description>
<content:encoded><![CDATA[<p>Full story</p>]]></content:encoded></item></channel></rss>"""
    parsed = parse_feed(body, feed_url=FEED_URL, received_at=NOW)
    (a,) = parsed.articles
    assert parsed.version == "rss20" and parsed.parser == "fast" and parsed.ttl_s == 1800
    assert a.source.kind == "feed" and a.source.name == "Wire & Co" and a.source.feed == FEED_URL
    assert a.title == "Quake hits coast"
    assert a.url == "https://example.com/q"
    assert a.guid == "q-1"
    assert a.published_at == "Sun, 29 Nov 2026 10:00:00 GMT"
    assert a.authors == ["Ana Diaz", "Bo Li"]
    assert a.summary == "Short <i>summary</i>"
    assert a.content == "<p>Full story</p>" and a.content_type == "html"
    assert a.received_at == NOW
    assert a.delivery_id == item_key(FEED_URL, "q-1", None, None, None)


def test_plain_description_is_text_and_name_overrides_title() -> None:
    """A description without markup gives content_type text; a configured name names the source."""
    body = (
        b'<rss version="2.0"><channel><title>T</title><item><link>https://e.com/1</link>'
        b"<description>Just words.</description></item></channel></rss>"
    )
    (a,) = parse_feed(body, feed_url=FEED_URL, name="My feed").articles
    assert a.content_type == "text" and a.content == "Just words." and a.source.name == "My feed"


def test_atom_entry_fields_and_inherited_author() -> None:
    """Atom: alternate link resolved against xml:base, published over updated, feed author inherited."""
    body = b"""<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://blog.example.org/">
<title type="html">A &amp;lt;b&amp;gt;blog</title><author><name>Feed Author</name></author>
<entry><title type="text">x &lt; y</title><id>tag:e,1</id><link rel="self" href="/self"/>
<link rel="alternate" type="text/html" href="posts/1"/><updated>2026-11-02T00:00:00Z</updated>
<published>2026-11-01T00:00:00Z</published><summary>S</summary>
<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Body &amp; more</p></div></content></entry>
</feed>"""
    parsed = parse_feed(body, feed_url=FEED_URL)
    (a,) = parsed.articles
    assert parsed.version == "atom10" and parsed.title == "A <b>blog"
    assert a.title == "x < y"
    assert a.url == "https://blog.example.org/posts/1"
    assert a.guid == "tag:e,1"
    assert a.published_at == "2026-11-01T00:00:00Z"
    assert a.authors == ["Feed Author"]
    assert a.content_type == "html" and "<p" in a.content and "Body &amp; more" in a.content
    assert a.summary == "S"


def test_atom_xhtml_text_is_markup_without_namespace_declarations() -> None:
    """type="xhtml" content and summaries come out as the HTML written (feedparser's wellformed/atom10
    entry_content_inline_markup), not with the XHTML namespace declared on every element."""
    body = b"""<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>tag:e,1</id>
<summary type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">Example <b>Atom</b></div></summary>
<content type="xhtml"><xhtml:div xmlns:xhtml="http://www.w3.org/1999/xhtml"><xhtml:p>A <xhtml:a href="/x">link</xhtml:a>
</xhtml:p></xhtml:div></content></entry></feed>"""
    (a,) = parse_feed(body, feed_url=FEED_URL).articles
    assert a.summary == "Example <b>Atom</b>"
    assert a.content == '<p>A <a href="/x">link</a>\n</p>'


@pytest.mark.parametrize("version", ["https://jsonfeed.org/version/1", "https://jsonfeed.org/version/1.1"])
def test_json_feed(version: str) -> None:
    """JSON Feed 1.0 (author) and 1.1 (authors) items map like XML items."""
    author_key = "author" if version.endswith("/1") else "authors"
    author = {"name": "Kim"} if author_key == "author" else [{"name": "Kim"}]
    doc = {
        "version": version,
        "title": "J",
        author_key: author,
        "items": [
            {
                "id": 7,
                "url": "https://e.com/7",
                "title": "Seven",
                "content_html": "<p>7</p>",
                "date_published": "2026-11-01T00:00:00Z",
            },
            {"id": "8", "content_text": "eight", "summary": "8!"},
            "junk",
        ],
    }
    parsed = parse_feed(json.dumps(doc).encode(), feed_url=FEED_URL)
    seven, eight = parsed.articles
    assert parsed.parser == "json" and parsed.title == "J"
    assert (seven.guid, seven.url, seven.title, seven.content_type) == (
        "7",
        "https://e.com/7",
        "Seven",
        "html",
    )
    assert seven.authors == ["Kim"] and seven.published_at == "2026-11-01T00:00:00Z"
    assert (eight.content, eight.content_type, eight.summary) == ("eight", "text", "8!")


def test_json_lone_surrogates_are_replaced() -> None:
    """A lone surrogate escape in a JSON Feed does not make an article that cannot be serialised."""
    body = b'{"version": "https://jsonfeed.org/version/1.1", "items": [{"id": "1", "title": "a\\ud800b"}]}'
    (a,) = parse_feed(body, feed_url=FEED_URL).articles
    _assert_valid([a])
    assert a.title == "a?b"


def test_invalid_json_is_a_parse_error() -> None:
    """Broken JSON raises FeedParseError."""
    with pytest.raises(FeedParseError):
        parse_feed(b'{"items": [', feed_url=FEED_URL)


def test_item_ids_fall_back_from_guid_to_link_to_content() -> None:
    """delivery_id: guid, else link, else title+content; different feeds give different ids."""
    assert item_key("f", "g", "l", "t", "c") == item_key("f", "g", "other", "x", "y")
    assert item_key("f", None, "l", "t", "c") == item_key("f", None, "l", "x", "y")
    assert item_key("f", None, None, "t", "c") != item_key("f", None, None, "t", "d")
    # Fresh tracking parameters at every serving do not make a guid-less item new; other parameters do.
    link = "https://news.example/a?id=7&utm_source=rss&utm_campaign=c{}"
    assert item_key("f", None, link.format(1), "t", "c") == item_key("f", None, link.format(2), "t", "c")
    assert item_key("f", None, "https://news.example/a?id=7", "t", "c") != item_key(
        "f", None, "https://news.example/a?id=8", "t", "c")  # fmt: skip
    assert item_key("f", "g", None, None, None) != item_key("f2", "g", None, None, None)
    assert len(item_key("f", "g", None, None, None)) == 32


def test_duplicate_items_in_one_feed_deliver_once() -> None:
    """An item listed twice is delivered once; one guid on different links is two items."""
    item = "<item><guid>{g}</guid><link>{l}</link></item>"
    items = (
        item.format(g="a", l="https://e.com/1") * 2
        + item.format(g="b", l="https://e.com/2")
        + item.format(g="b", l="https://e.com/3")
    )
    parsed = parse_feed(f'<rss version="2.0"><channel>{items}</channel></rss>'.encode(), feed_url=FEED_URL)
    assert [a.url for a in parsed.articles] == ["https://e.com/1", "https://e.com/2", "https://e.com/3"]


def test_broken_markup_is_repaired_not_dropped() -> None:
    """Bare ampersands and HTML entities undefined in XML are repaired by the fast path's second try."""
    body = b'<rss version="2.0"><channel><item><title>Tom & Jerry&nbsp;&eacute;t\xc3\xa9</title><link>https://e.com/?a=1&b=2</link></item></channel></rss>'
    parsed = parse_feed(body, feed_url=FEED_URL)
    assert parsed.parser == "repaired"
    assert parsed.articles[0].title == "Tom & Jerry\xa0été"
    assert parsed.articles[0].url == "https://e.com/?a=1&b=2"


def test_large_cdata_round_trips() -> None:
    """Long CDATA content (cut out before parsing for speed) comes back whole, with CRLF as LF."""
    long_html = "<p>" + "x&y < z " * 200 + "</p>\r\nend"
    body = (
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><item>'
        f"<link>https://e.com/1</link><content:encoded><![CDATA[{long_html}]]></content:encoded>"
        "</item></channel></rss>"
    ).encode()
    (a,) = parse_feed(body, feed_url=FEED_URL).articles
    assert a.content == long_html.replace("\r\n", "\n")


def test_not_a_feed_is_a_parse_error() -> None:
    """HTML, empty bodies and arbitrary XML raise FeedParseError."""
    for body in (b"", b"<html><body>hi</body></html>", b"<?xml version='1.0'?><note/>", b"\x00\x01\x02"):
        with pytest.raises(FeedError):
            parse_feed(body, feed_url=FEED_URL)


def _benchmark_files(corpus: Path) -> list[Path]:
    return sorted((corpus / "feeds" / "fastfeedparser" / "benchmark_data").glob("*.gz"))


def test_real_feeds_yield_one_article_per_distinct_item(corpus: Path) -> None:
    """On the 200 real feeds: no crash, and at least as many articles as feedparser has distinct links
    (checked on the 60 smallest feeds, feedparser being slow)."""
    files = _benchmark_files(corpus)
    assert len(files) == 200
    bodies = {p.name: gzip.decompress(p.read_bytes()) for p in files}
    total = 0
    for name, body in bodies.items():
        articles = parse_feed(body, feed_url=f"https://feeds.example/{name}").articles
        _assert_valid(articles)
        total += len(articles)
    assert total > 6000
    for name, body in sorted(bodies.items(), key=lambda kv: len(kv[1]))[:60]:
        ours = parse_feed(body, feed_url=FEED_URL)
        theirs = feedparser.parse(io.BytesIO(body), resolve_relative_uris=False, sanitize_html=False)
        links = {urljoin(FEED_URL, e.get("link")) for e in theirs.entries if e.get("link")}
        assert len(ours.articles) >= len(links), name
        assert {a.url for a in ours.articles} >= links, name


def test_fastfeedparser_integration_snapshots_agree_on_ids_and_links(corpus: Path) -> None:
    """The 13 integration feeds: our (guid, link) pairs match the expected snapshot's (id, link)."""
    folder = corpus / "feeds" / "fastfeedparser" / "tests" / "integration"
    compared = 0
    for expected_path in sorted(folder.glob("*.json.gz")):
        stem = expected_path.name.removesuffix(".json.gz")
        if stem.endswith(".expected"):
            source = folder / f"{stem.removesuffix('.expected')}.json.gz"
        else:
            source = folder / f"{stem}.xml.gz"
        if not source.exists() or source == expected_path:
            continue
        expected = json.loads(gzip.decompress(expected_path.read_bytes()))
        parsed = parse_feed(gzip.decompress(source.read_bytes()), feed_url=FEED_URL)
        want = {e.get("link") for e in expected.get("entries", []) if e.get("link")}
        got = {a.url for a in parsed.articles}
        assert want <= got, (source.name, sorted(want - got)[:3])
        compared += 1
    assert compared >= 10


_SAMPLE = (
    b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
    b"<channel><title>T &amp; co</title><item><title>A &lt;b&gt;</title><link>https://e.com/a</link>"
    b"<guid>g1</guid><content:encoded><![CDATA[" + b"<p>body</p>" * 40 + b"]]></content:encoded></item>"
    b"<item><title>B</title><link>/rel</link><description>caf\xc3\xa9 &nbsp;</description></item></channel></rss>"
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mangled_feeds_parse_or_fail_cleanly(data: st.DataObject) -> None:
    """Truncated, spliced or byte-flipped feeds give articles that serialise, or a FeedError; nothing else."""
    body = bytearray(_SAMPLE)
    for _ in range(data.draw(st.integers(0, 6))):
        op = data.draw(st.sampled_from(["flip", "cut", "insert"]))
        at = data.draw(st.integers(0, len(body)))
        if op == "flip" and at < len(body):
            body[at] = data.draw(st.integers(0, 255))
        elif op == "cut":
            del body[at : at + data.draw(st.integers(1, 40))]
        else:
            body[at:at] = data.draw(st.sampled_from([b"&", b"<", b"]]>", b"<![CDATA[", b"\x00", b"\xff", b"<item>"]))
    try:
        parsed = parse_feed(bytes(body), feed_url=FEED_URL)
    except FeedError:
        return
    _assert_valid(parsed.articles)


def test_a_big_body_only_the_fallback_could_read_is_refused_without_feeding_it_to_feedparser() -> None:
    """Tag soup past FEEDPARSER_MAX_BYTES is a parse error at once; feedparser took ~6 s of CPU on 2 MB of '<'
    (and 41 s on 16 MB), holding a feeds-worker thread and the interpreter all along."""
    from producers.feeds import FEEDPARSER_MAX_BYTES

    with pytest.raises(FeedParseError, match="too large for the fallback parser"):  # raised before feedparser
        parse_feed(b"<" * (FEEDPARSER_MAX_BYTES + 1), feed_url="https://example.com/feed")
    # The same soup under the limit still goes to feedparser, which finds no feed in it.
    with pytest.raises(FeedParseError) as small:
        parse_feed(b"<" * 1000, feed_url="https://example.com/feed")
    assert "too large" not in str(small.value)


_DC = 'xmlns:dc="http://purl.org/dc/elements/1.1/"'
_DCTERMS = 'xmlns:dcterms="http://purl.org/dc/terms/"'
_ITUNES_OLD = 'xmlns:itunes="http://www.itunes.com/DTDs/PodCast-1.0.dtd"'


@pytest.mark.parametrize(
    ("namespaces", "item", "field", "expected"),
    [
        # feedparser's own test files (wellformed/rss, wellformed/itunes): what their Expect lines say
        ("", "<author>Example editor (me@example.com)</author>", "authors", ["Example editor"]),
        (_DC, "<dc:creator>Example editor (me@example.com)</dc:creator>", "authors", ["Example editor"]),
        ("", "<author>me@example.com (Example editor)</author>", "authors", ["Example editor"]),
        (_ITUNES_OLD, "<itunes:author>Mark Pilgrim</itunes:author>", "authors", ["Mark Pilgrim"]),
        ('xmlns:itunes="http://www.itunes.com/DTDs/Podcast-1.0.dtd"', "<itunes:author>M P</itunes:author>",
         "authors", ["M P"]),
        (_DC, "<dc:description>Example description</dc:description>", "summary", "Example description"),
        (_ITUNES_OLD, "<itunes:summary>Example summary</itunes:summary>", "summary", "Example summary"),
        ('xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"', "<itunes:summary>S</itunes:summary>",
         "summary", "S"),
        (_DCTERMS, "<dcterms:issued>2003-12-31T10:14:55Z</dcterms:issued>", "published_at", "2003-12-31T10:14:55Z"),
        (_DCTERMS, "<dcterms:created>2003-12-31T10:14:55Z</dcterms:created>", "published_at", "2003-12-31T10:14:55Z"),
        (_DCTERMS, "<dcterms:modified>2003-12-31T10:14:55Z</dcterms:modified>", "published_at",
         "2003-12-31T10:14:55Z"),
        ("", '<body xmlns="http://www.w3.org/1999/xhtml">\n<p>Example <b>content</b></p>\n</body>', "content",
         "<p>Example <b>content</b></p>"),
        # Hugo's <author><name>…</name></author> (postgis.net), an atom:author in an RSS item
        ("", "<author><name>Regina Obe</name></author>", "authors", ["Regina Obe"]),
        ("", "<author><name>R O</name><email>r@example.com</email></author>", "authors", ["R O"]),
        ('xmlns:atom="http://www.w3.org/2005/Atom"', "<atom:author><atom:name>John Doe</atom:name>"
         "<atom:email>john@example.com</atom:email></atom:author>", "authors", ["John Doe"]),
        # the item's own elements still come first
        (_DC, "<description>Own</description><dc:description>DC</dc:description>", "summary", "Own"),
        (_DCTERMS, "<dcterms:modified>2003-12-31T10:14:55Z</dcterms:modified><pubDate>Thu, 01 Jan 2004 19:48:21 GMT"
         "</pubDate>", "published_at", "Thu, 01 Jan 2004 19:48:21 GMT"),
    ],
)  # fmt: skip
def test_rss_item_fields_fall_back_as_feedparser_reads_them(
    namespaces: str, item: str, field: str, expected: object
) -> None:
    """An RSS item's author as "name (e-mail)" or as a <name> element, an atom:author, iTunes elements under the
    old ``DTDs/PodCast`` namespace that real podcasts still declare, dc:description and itunes:summary for a
    missing description, Dublin Core terms dates for a missing pubDate, an XHTML body as the item's content: read
    as feedparser reads them."""
    body = f'<rss version="2.0" {namespaces}><channel><title>T</title><item><link>https://e.example/a</link>{item}'
    parsed = parse_feed(f"{body}</item></channel></rss>".encode(), feed_url=FEED_URL)
    assert parsed.parser == "fast"
    assert getattr(parsed.articles[0], field) == expected


@pytest.mark.parametrize(
    ("channel", "title"),
    [
        ("<dc:title>DC Title</dc:title>", "DC Title"),
        ("<dc:title>DC Title</dc:title><title>Own</title>", "Own"),
        ("<title>Own</title><dc:title>DC Title</dc:title>", "Own"),
    ],
)
def test_an_rss_channel_without_a_title_is_named_by_its_dc_title(channel: str, title: str) -> None:
    """A channel's dc:title names the feed where it has no <title> (gofeed's feed_fallbacks_-_rss_channel_dc,
    and feedparser): the source of its articles is then named, not left blank."""
    body = (f'<rss version="2.0" {_DC}><channel>{channel}<item><title>a</title><link>https://e.example/a</link>'
            "</item></channel></rss>")  # fmt: skip
    parsed = parse_feed(body.encode(), feed_url=FEED_URL)
    assert parsed.title == title and parsed.articles[0].source.name == title


def test_rss_relative_links_resolve_against_xml_base() -> None:
    """xml:base on <rss>, <channel> or an item is the base of an item's relative link (XML Base; feedparser and
    gofeed's rss_channel_item_xml_base), before the feed's own address; absolute links stay as written."""
    body = (b'<rss version="2.0" xml:base="http://example.org/feeds/"><channel><title>T</title>'
            b"<item><title>a</title><link>post/1</link></item>"
            b'<item xml:base="/blog/"><title>b</title><link>post/2</link></item>'
            b"<item><title>c</title><link>https://other.example/3</link></item></channel></rss>")  # fmt: skip
    parsed = parse_feed(body, feed_url=FEED_URL)
    assert [a.url for a in parsed.articles] == [
        "http://example.org/feeds/post/1",
        "http://example.org/blog/post/2",
        "https://other.example/3",
    ]
    relative = body.replace(b"http://example.org/feeds/", b"/feeds/")  # a relative base rests on the feed's address
    assert parse_feed(relative, feed_url=FEED_URL).articles[0].url == "https://example.com/feeds/post/1"


def test_rss_items_after_the_channel_are_read() -> None:
    """Items beside <channel> rather than inside it (feedparser reads them there too) are not lost."""
    body = (b'<rss version="2.0"><channel><title>T</title><link>https://x.example/</link>'
            b"<item><title>Inside</title><link>https://x.example/i</link></item></channel>"
            b"<item><title>After</title><link>https://x.example/a</link></item></rss>")  # fmt: skip
    parsed = parse_feed(body, feed_url="https://x.example/feed")
    assert parsed.parser == "fast" and [a.title for a in parsed.articles] == ["Inside", "After"]


@pytest.mark.parametrize(
    ("body", "language"),
    [
        (b'<rss version="2.0"><channel><title>T</title><language>en-us</language>'
         b"<item><title>A</title><link>https://e.example/a</link></item></channel></rss>", "en-us"),
        (b'<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>T</title>'
         b"<dc:language>de</dc:language><item><title>A</title><link>https://e.example/a</link></item></channel></rss>",
         "de"),
        (b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" '
         b'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>T</title><dc:language>fr</dc:language>'
         b'</channel><item rdf:about="https://e.example/a"><title>A</title><link>https://e.example/a</link></item>'
         b"</rdf:RDF>", "fr"),
        (b'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="pt-BR"><title>T</title><entry><title>A</title>'
         b'<id>urn:a</id><link href="https://e.example/a"/></entry></feed>', "pt-BR"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "title": "T", "language": "es", '
         b'"items": [{"id": "a", "url": "https://e.example/a", "content_text": "x"}]}', "es"),
        (b'<rss version="2.0"><channel><title>T</title><item><title>A</title><link>https://e.example/a</link>'
         b"</item></channel></rss>", None),
    ],
)  # fmt: skip
def test_a_feeds_declared_language_reaches_its_items(body: bytes, language: str | None) -> None:
    """RSS <language> or dc:language, RDF dc:language, Atom xml:lang, JSON Feed "language": each item carries
    it, for enrich to fall back on where its own text is too short to tell."""
    [article] = parse_feed(body, feed_url=FEED_URL, received_at=NOW).articles
    assert article.language == language


# ------------------------------------------------------------------ hostile bodies: bounded cost, first items kept
# A 16 MB body of ~2,000,000 empty items used to be parsed whole before the item cap applied: ~4 s of CPU and
# ~600 MB per poll (docs/decisions.md, security review). These bodies are built at the real size limit.

_ATOM_FLOOD_HEAD = (b'<feed xmlns="http://www.w3.org/2005/Atom"><title>Flood</title>'
                    b"<entry><id>e0</id><title>First</title></entry>")  # fmt: skip
_RSS_FLOOD_HEAD = b'<rss version="2.0"><channel><title>Flood</title><item><guid>e0</guid><title>First</title></item>'
_RDF_FLOOD_HEAD = (b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">'
                   b'<channel><title>Flood</title></channel><item rdf:about="e0"><title>First</title></item>')  # fmt: skip
_JSON_FLOOD_HEAD = b'{"version": "https://jsonfeed.org/version/1.1", "title": "Flood", "items": [{"id": "e0"}'

FLOODS = {
    "atom_entries": (_ATOM_FLOOD_HEAD, b"<entry/>", b"</feed>"),
    "rss_items": (_RSS_FLOOD_HEAD, b"<item/>", b"</channel></rss>"),
    "rdf_items": (_RDF_FLOOD_HEAD, b"<item/>", b"</rdf:RDF>"),
    "rss_other_elements": (_RSS_FLOOD_HEAD, b"<a/>", b"</channel></rss>"),
    "rss_children_of_one_item": (_RSS_FLOOD_HEAD[:-7], b"<a/>", b"</item></channel></rss>"),
    "rss_attributes": (_RSS_FLOOD_HEAD, b'<a b="" c="" d="" e="" f="" g="" h=""/>', b"</channel></rss>"),
    "json_objects": (_JSON_FLOOD_HEAD, b",{}", b"]}"),
    "json_lists_beside_the_items": (_JSON_FLOOD_HEAD + b'], "x": [[]', b",[]", b"]}"),
}


def flood(kind: str, size: int = FEED_MAX_BYTES) -> tuple[bytes, int]:
    """A body of ``size`` bytes made of one unit repeated: (body, how many units)."""
    head, unit, tail = FLOODS[kind]
    count = (size - len(head) - len(tail)) // len(unit)
    return head + unit * count + tail, count


_PEAK_PROBE = """
import resource, sys
from producers.feeds import FeedError, parse_feed
body = open(sys.argv[1], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    parse_feed(body, feed_url="https://flood.example/feed")
except FeedError:
    pass
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
"""


@pytest.mark.parametrize("kind", list(FLOODS))
def test_a_flood_of_empty_elements_costs_no_more_memory_than_a_large_real_feed(tmp_path: Path, kind: str) -> None:
    """A 16 MB body of millions of empty elements (items, other elements, JSON objects or lists) grows the parsing
    process by less than 150 MB: about what the densest real feed of the corpus grown to 16 MB takes (~120 MB).
    Parsed whole, these took 400-800 MB each."""
    path = tmp_path / "flood"
    path.write_bytes(flood(kind)[0])
    out = subprocess.run([sys.executable, "-c", _PEAK_PROBE, str(path)], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[2], check=True, timeout=120)  # fmt: skip
    assert int(out.stdout) < 150, f"{kind}: peak grew by {out.stdout.strip()} MB"


@pytest.mark.parametrize("kind", ["atom_entries", "rss_items", "rdf_items"])
def test_a_flood_of_empty_items_keeps_the_first_items_and_counts_the_rest(kind: str) -> None:
    """The items of a flood past the cap are dropped and counted as ever; the feed's first item and title stay."""
    body, count = flood(kind)
    parsed = parse_feed(body, feed_url=FEED_URL)
    assert parsed.parser == "fast" and parsed.title == "Flood"
    assert parsed.articles[0].title == "First"
    assert parsed.dropped_items == count + 1 - FEED_MAX_ITEMS


@pytest.mark.parametrize("kind", ["rss_other_elements", "rss_children_of_one_item", "rss_attributes"])
def test_millions_of_elements_that_are_not_items_are_refused(kind: str) -> None:
    """Past the bound on elements and attributes, with no items to cut away, a body is refused with a parse error
    that says why before libxml2 builds a tree of it (and without the repair pass or feedparser trying it)."""
    with pytest.raises(FeedParseError, match="elements"):
        parse_feed(flood(kind)[0], feed_url=FEED_URL)


@pytest.mark.parametrize("kind", ["json_objects", "json_lists_beside_the_items"])
def test_a_json_feed_of_millions_of_values_is_refused_unread(kind: str) -> None:
    """A JSON body of millions of values (json.loads would build every one) is refused with a parse error."""
    with pytest.raises(FeedParseError, match="values"):
        parse_feed(flood(kind)[0], feed_url=FEED_URL)


def _many_items(count: int, *, oldest_first: bool = False, after_channel: int = 0) -> bytes:
    """An RSS feed of ``count`` small dated items (over the element bound once there are ~60,000), its <ttl>
    after the items; ``after_channel`` more of them beside <channel>."""

    def item(i: int) -> str:
        minute = i if oldest_first else count - i
        when = datetime.fromtimestamp(1_790_000_000 + minute * 60, UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")
        return (f"<item><title>Story {i}</title><link>https://e.example/s/{i}</link><guid>s-{i}</guid>"
                f"<pubDate>{when}</pubDate><description>A short text about story {i}.</description></item>")  # fmt: skip

    inside = "".join(item(i) for i in range(count))
    beside = "".join(item(count + i) for i in range(after_channel))
    return (f'<rss version="2.0"><channel><title>Big</title>{inside}<ttl>30</ttl></channel>{beside}</rss>').encode()


def test_a_large_feed_over_the_element_bound_keeps_its_first_items() -> None:
    """A real-looking feed of 60,000 items (~13 MB, past the element bound) yields its first 2,000, counts the
    rest as dropped, and keeps what its channel says after the items."""
    parsed = parse_feed(_many_items(60_000), feed_url=FEED_URL)
    assert parsed.parser == "fast" and parsed.title == "Big" and parsed.ttl_s == 1800.0
    assert [a.title for a in parsed.articles] == [f"Story {i}" for i in range(FEED_MAX_ITEMS)]
    assert parsed.dropped_items == 60_000 - FEED_MAX_ITEMS


def test_an_oldest_first_feed_over_the_element_bound_keeps_its_last_items() -> None:
    """Cut down to its ends, a feed that lists oldest first still keeps its newest (last) 2,000 items."""
    parsed = parse_feed(_many_items(60_000, oldest_first=True), feed_url=FEED_URL)
    assert [a.title for a in parsed.articles] == [f"Story {i}" for i in range(58_000, 60_000)]
    assert parsed.dropped_items == 60_000 - FEED_MAX_ITEMS


def test_a_feed_over_the_element_bound_with_items_beside_its_channel_still_yields_its_first_items() -> None:
    """Items on both sides of </channel>, past the bound: the cut takes the items on both sides and leaves
    </channel> where it was, and the document is read (its first items kept) rather than refused."""
    parsed = parse_feed(_many_items(30_000, after_channel=30_000), feed_url=FEED_URL)
    assert [a.title for a in parsed.articles][:FEED_MAX_ITEMS] == [f"Story {i}" for i in range(FEED_MAX_ITEMS)]


def test_a_json_feed_whose_text_is_full_of_commas_and_brackets_is_read() -> None:
    """Commas, braces and brackets inside strings are not values: a JSON Feed whose text holds millions of them
    is read like any other."""
    text = "{[a], b}, " * 300_000
    items = [{"id": f"e{i}", "content_text": text if i == 0 else f"t{i}"} for i in range(3)]
    parsed = parse_feed(json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": items}).encode(),
                        feed_url=FEED_URL)  # fmt: skip
    assert [a.guid for a in parsed.articles] == ["e0", "e1", "e2"]


# --- an item's URL is its article's page (docs/feeds.md, "Field mapping")

_ATOM_NS = 'xmlns:atom="http://www.w3.org/2005/Atom"'


def _rss_item_url(item: str, channel: str = "", namespaces: str = "") -> str | None:
    body = (f'<rss version="2.0" {namespaces}><channel><title>T</title>{channel}<item><title>a</title>{item}</item>'
            "</channel></rss>")  # fmt: skip
    parsed = parse_feed(body.encode(), feed_url=FEED_URL)
    assert parsed.parser == "fast"
    return parsed.articles[0].url


@pytest.mark.parametrize(
    ("item", "channel", "namespaces", "url"),
    [
        # an Atom-style <link href> without the namespace (gofeed's rss_channel_item_links): its href
        ('<link href="https://e.example/a"/>', "", "", "https://e.example/a"),
        # a <link> that names an enclosure or the feed is no article page; the plain one beside it is
        ('<link rel="enclosure" href="https://e.example/a.mp3">https://e.example/a.mp3</link>'
         "<link>https://e.example/a</link>", "", "", "https://e.example/a"),
        # the item's link is the feed itself (the document, or the channel's atom:link rel="self"): its
        # permalink guid is the page, and without one it has none
        (f"<link>{FEED_URL}</link><guid>https://e.example/a</guid>", "", "", "https://e.example/a"),
        (f"<link>{FEED_URL}</link><guid>a-1</guid>", "", "", None),
        ("<link>https://e.example/rss</link><guid>https://e.example/a</guid>",
         '<atom:link rel="self" href="https://e.example/rss"/>', _ATOM_NS, "https://e.example/a"),
        # only http(s) is a page: a script or mail link falls back like a missing one
        ("<link>javascript:alert(1)</link><guid>https://e.example/a</guid>", "", "", "https://e.example/a"),
        ("<link>mailto:desk@e.example</link>", "", "", None),
        ("<link> data:text/html,hi</link>", "", "", None),
        # an atom:link beside <link> never wins; alone, only an alternate one is the page (an enclosure is not)
        ('<link>https://e.example/a</link><atom:link href="https://e.example/b"/>', "", _ATOM_NS,
         "https://e.example/a"),
        ('<atom:link rel="enclosure" href="https://e.example/a.mp3"/><guid isPermaLink="false">a</guid>', "",
         _ATOM_NS, None),
        ('<atom:link rel="self" href="https://e.example/s"/><atom:link href="https://e.example/a"/>', "", _ATOM_NS,
         "https://e.example/a"),
    ],
)  # fmt: skip
def test_an_rss_items_url_is_its_page_not_the_feed_or_an_enclosure(
    item: str, channel: str, namespaces: str, url: str | None
) -> None:
    """An RSS item's URL is the article page: its <link> (or the href of an Atom-style one), never a link to an
    enclosure, the feed itself or a non-web scheme; else its permalink guid or alternate atom:link, else none."""
    assert _rss_item_url(item, channel, namespaces) == url


@pytest.mark.parametrize(
    ("links", "url"),
    [
        # RFC 4287 §4.2.7.2: a rel may be written as the full IANA IRI
        ('<link rel="http://www.iana.org/assignments/relation/alternate" href="https://e.example/a"/>',
         "https://e.example/a"),
        ('<link rel="enclosure" href="https://e.example/a.mp3"/><link href="https://e.example/a"/>',
         "https://e.example/a"),
        ('<link rel="self" href="https://e.example/feed/a"/><link rel="edit" href="https://e.example/e/a"/>'
         '<link rel="replies" href="https://e.example/c/a"/><link rel="alternate" href="https://e.example/a"/>',
         "https://e.example/a"),
        (f'<link href="{FEED_URL}"/>', None),
        ('<link href="javascript:alert(1)"/>', None),
    ],
)  # fmt: skip
def test_an_atom_entrys_url_is_its_alternate_page(links: str, url: str | None) -> None:
    """An Atom entry's URL is its alternate link (rel omitted, ``alternate`` or its IANA IRI), never a self, edit,
    replies or enclosure link, the feed itself or a non-web scheme."""
    body = (f'<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><entry><title>a</title><id>urn:a</id>{links}'
            "</entry></feed>")  # fmt: skip
    assert parse_feed(body.encode(), feed_url=FEED_URL).articles[0].url == url


def test_real_feeds_items_link_to_their_pages(corpus: Path) -> None:
    """Over the 200 real feeds (Blogger's self/edit/replies links, podcast and image enclosures, Google News'
    standout atom:link beside <link>): every item URL is http(s), none is the feed itself or a link feedparser
    reads as self, edit, replies or enclosure, and each is the link feedparser picks (50 smallest feeds)."""
    files = sorted(_benchmark_files(corpus), key=lambda p: p.stat().st_size)
    for path in files:
        url = f"https://feeds.example/{path.name}"
        for article in parse_feed(gzip.decompress(path.read_bytes()), feed_url=url).articles:
            assert article.url is None or article.url.startswith(("https://", "http://")), article.url
            assert article.url != url
    for path in files[:50]:
        body = gzip.decompress(path.read_bytes())
        ours = parse_feed(body, feed_url=FEED_URL).articles
        theirs = feedparser.parse(io.BytesIO(body), resolve_relative_uris=False, sanitize_html=False).entries
        if len(ours) != len(theirs):
            continue  # items listed twice: delivered once
        for article, entry in zip(ours, theirs, strict=True):
            wrong = {link.get("href") for link in entry.get("links", []) if link.get("rel") != "alternate"}
            assert article.url not in wrong, (path.name, article.url)
            assert article.url == (urljoin(FEED_URL, entry["link"]) if entry.get("link") else None), path.name


# --- items with neither guid nor link (docs/feeds.md, "Identity")


def _bare_items(*dated: tuple[str, str]) -> bytes:
    items = "".join(f"<item><title>{t}</title><pubDate>{d}</pubDate><description>{t} is Running</description></item>"
                    for t, d in dated)  # fmt: skip
    return f'<rss version="2.0"><channel><title>T</title>{items}</channel></rss>'.encode()


def test_a_bare_item_said_again_on_another_date_is_another_item(corpus: Path) -> None:
    """AreWeAntiCheatYet's items have neither guid nor link, and a game's status change can read word for word as
    an earlier one ("Resident Evil 6 was newly added and is Running", July and October): each is delivered (14 of
    its 1,046 items were taken for repeats of earlier ones), an item listed twice on one date still once."""
    path = next(p for p in _benchmark_files(corpus) if p.name == "cc314ce5dfbb3adc.gz")
    parsed = parse_feed(gzip.decompress(path.read_bytes()), feed_url=FEED_URL)
    assert len(parsed.articles) == 1046 == len({a.delivery_id for a in parsed.articles})
    again = _bare_items(("A", "Tue, 30 Jul 2024 22:48:42 GMT"), ("A", "Tue, 30 Jul 2024 22:48:42 GMT"))
    assert len(parse_feed(again, feed_url=FEED_URL).articles) == 1


def test_a_bare_items_id_holds_when_it_is_said_again_and_when_the_first_saying_goes() -> None:
    """The first saying keeps the id it had alone, whichever end of the feed the later one is added at and after
    the first scrolls out: no poll hands either on twice."""
    july, october = "Tue, 30 Jul 2024 22:48:42 GMT", "Mon, 28 Oct 2024 15:58:48 GMT"

    def ids(*dated: tuple[str, str]) -> list[str]:
        return [a.delivery_id for a in parse_feed(_bare_items(*dated), feed_url=FEED_URL).articles]

    [first] = ids(("A", july))
    for feed in (ids(("A", october), ("A", july)), ids(("A", july), ("A", october))):  # newest or oldest first
        assert first in feed and len(set(feed)) == 2
    later = next(i for i in ids(("A", october), ("A", july)) if i != first)
    assert ids(("A", october)) in ([first], [later])  # the first saying gone: an id already seen


def test_repairing_a_feed_leaves_its_cdata_sections_as_written(corpus: Path) -> None:
    """Kagi's release notes (a second XML declaration: repaired) write ``<title><![CDATA[… Latency &
    Robustness]]></title>``: the title keeps its ``&``. The repair escaped bare ``&`` inside CDATA too, where text
    is literal, and the Atom text title read ``Latency &amp; Robustness``."""
    path = corpus / "feeds" / "fastfeedparser" / "tests" / "integration" / "kagi.xml.gz"
    parsed = parse_feed(gzip.decompress(path.read_bytes()), feed_url=FEED_URL)
    assert parsed.parser == "repaired"
    titles = [a.title or "" for a in parsed.articles]
    assert "May 21st, 2024 - Improved Search Latency & Robustness" in titles
    assert not [t for t in titles if "&amp;" in t]
    body = (b'<?xml version="1.0"?>\n<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>'
            b"<entry><title><![CDATA[Q&A &nbsp;<b>]]></title><id>urn:a</id><summary>fish & chips</summary>"
            b"<content type='html'><![CDATA[<p a=1>x &amp; y</p>]]></content></entry></feed>")  # fmt: skip
    parsed = parse_feed(body, feed_url=FEED_URL)
    assert parsed.parser == "repaired"
    [article] = parsed.articles
    assert (article.title, article.summary) == ("Q&A &nbsp;<b>", "fish & chips")  # a text title: as written
    assert article.content == "<p a=1>x &amp; y</p>"


@pytest.mark.parametrize("namespace", ["http://backend.userland.com/rss2", "http://blogs.law.harvard.edu/tech/rss"])
def test_rss_in_an_early_namespace_of_its_own_is_read_by_the_fast_path(corpus: Path, namespace: str) -> None:
    """RSS 2.0 written in UserLand's or Harvard's namespace (early publishers, feedparser's
    rss2.0NSwithModules.xml) is plain RSS: the fast path reads it, so one over the fallback's 512 KiB is read too
    (it failed as a parse error at every poll)."""
    path = corpus / "feeds" / "feedparser" / "tests" / "wellformed" / "namespace" / "rss2.0NSwithModules.xml"
    parsed = parse_feed(path.read_bytes(), feed_url=FEED_URL)
    assert (parsed.parser, parsed.articles[0].title) == ("fast", "Test Item - RSS2.0 w/ NS")
    items = "".join(f"<item><title>Story {i}</title><link>https://e.example/{i}</link><description>{'x' * 400}"
                    "</description></item>" for i in range(1500))  # fmt: skip
    body = f'<rss version="2.0" xmlns="{namespace}"><channel><title>Old</title><ttl>60</ttl>{items}</channel></rss>'
    assert len(body) > 512 * 1024
    parsed = parse_feed(body.encode(), feed_url=FEED_URL)
    assert (parsed.parser, parsed.title, parsed.ttl_s, len(parsed.articles)) == ("fast", "Old", 3600, 1500)
    assert parsed.articles[-1].url == "https://e.example/1499"
