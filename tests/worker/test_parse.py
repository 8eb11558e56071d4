"""parse: every source format into clean fields; the seed article exactly as the product promises."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.helpers import make_raw_article
from wirewatch.errors import Rejected
from worker.parse import looks_like_article_markdown, parse, parse_published, split_authors

SEED_TITLE = (
    "China's jailing of nine people Thursday for trafficking and selling fentanyl to US buyers followed a rare "
    "joint probe with US law enforcement"
)
SEED_URL = "https://news.yahoo.com/china-gives-suspended-death-sentence-fentanyl-smuggler-joint-045035792.html"


def test_seed_article_fields(seed_text: str) -> None:
    """The seed's title, date, author, link and source come out exactly."""
    parsed = parse(make_raw_article(content=seed_text, content_type="text"))
    assert parsed.title == SEED_TITLE
    assert parsed.published_at == datetime(2019, 11, 7, 15, 6, 19, tzinfo=UTC)
    assert parsed.authors == ["Jing Xuan TENG"]
    assert parsed.url == SEED_URL
    assert parsed.canonical_url == SEED_URL
    assert parsed.source_name == "Yahoo"
    assert parsed.source_domain == "news.yahoo.com"


def test_seed_article_text_is_clean(seed_text: str) -> None:
    """Mojibake repaired, the gallery caption gone, the subheading kept, no metadata lines in the body."""
    text = parse(make_raw_article(content=seed_text)).text
    assert "â€" not in text
    assert "alprazolam — the hugely popular" in text
    assert "1 / 2" not in text and "(AFP Photo/Handout)" not in text
    assert "\n\n- Trade war -\n\n" in text
    assert text.startswith("China on Thursday jailed nine people")
    assert "Published at" not in text and "Original:" not in text
    assert text.endswith("stop the flow of fentanyl and fentanyl precursors.\"")


def test_markdown_inline_syntax_is_removed() -> None:
    """Links keep their text, images and emphasis markers go."""
    content = "# T\n\nOriginal: [Site](https://example.com/a)\n\nSee **this** [report](https://x.org) ![img](a.png) now."
    parsed = parse(make_raw_article(content=content, content_type="markdown"))
    assert parsed.text == "See this report now."
    assert parsed.source_name == "Site"


def test_plain_text_first_line_is_title() -> None:
    """A short first line followed by text is the title."""
    parsed = parse(make_raw_article(content="Storm hits coast\n\nHeavy rain fell overnight across the region."))
    assert (parsed.title, parsed.text) == ("Storm hits coast", "Heavy rain fell overnight across the region.")


def test_html_main_text_by_trafilatura() -> None:
    """HTML gives the article body and title, without navigation."""
    body = " ".join(["The council approved the new budget after a long debate on Tuesday evening."] * 6)
    html = (
        "<html><head><title>Council approves budget</title></head><body><nav><a href='/'>Home</a> "
        f"<a href='/news'>News</a></nav><article><h1>Council approves budget</h1><p>{body}</p>"
        f"<p>{body}</p></article><footer>Copyright 2024 Example News</footer></body></html>"
    )
    parsed = parse(make_raw_article(content=html, content_type="html", url="https://example.com/budget"))
    assert parsed.title == "Council approves budget"
    assert parsed.text.startswith("The council approved the new budget")
    assert "Home" not in parsed.text and "Copyright" not in parsed.text
    assert parsed.published_at is None  # a copyright year is not a publication date


@pytest.mark.parametrize(
    ("content", "reason"),
    [("", "empty"), ("   \n\n  ", "empty"), ("1 / 2\n(AFP Photo/Handout)", "empty")],
)
def test_no_article_is_rejected(content: str, reason: str) -> None:
    """Content with nothing left after cleaning is rejected with a reason."""
    with pytest.raises(Rejected) as info:
        parse(make_raw_article(content=content))
    assert info.value.reason == reason


def test_title_only_is_rejected() -> None:
    """A title with no body is not an article."""
    with pytest.raises(Rejected) as info:
        parse(make_raw_article(content="", title="Just a headline"))
    assert info.value.reason == "no_text"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2019-11-07T15:06:19+00:00", datetime(2019, 11, 7, 15, 6, 19, tzinfo=UTC)),
        ("Thu, 07 Nov 2019 16:06:19 +0100", datetime(2019, 11, 7, 15, 6, 19, tzinfo=UTC)),
        ("2019-11-07 15:06:19", datetime(2019, 11, 7, 15, 6, 19, tzinfo=UTC)),
        ("yesterday-ish", None),
        ("", None),
        (None, None),
        ("2999-01-01T00:00:00Z", None),
    ],
)
def test_parse_published(value: str | None, expected: datetime | None) -> None:
    """Dates become UTC; unreadable and future dates become None, never invented."""
    assert parse_published(value) == expected


def test_split_authors() -> None:
    """Bylines split into distinct names."""
    assert split_authors(["By Ann Lee and Bo Chen", "Ann Lee"]) == ["Ann Lee", "Bo Chen"]


def test_markdown_detection(seed_text: str) -> None:
    """The article markdown format is recognised inside a .txt file, and plain prose is not."""
    assert looks_like_article_markdown(seed_text)
    assert not looks_like_article_markdown("# A heading\nand then just text")
