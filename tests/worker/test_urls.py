"""urls: one canonical spelling per page; tracking decorations never make a new article."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from worker.urls import canonicalize_url, domain_of

BASE = "https://news.yahoo.com/china-gives-suspended-death-sentence-fentanyl-smuggler-joint-045035792.html"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (BASE, BASE),
        (BASE + "?utm_source=x&guccounter=1", BASE),
        (BASE + "#comments", BASE),
        ("HTTPS://News.Yahoo.COM:443/a?b=2&fbclid=X&a=1", "https://news.yahoo.com/a?b=2&a=1"),
        ("http://example.com:8080//a//b", "http://example.com:8080/a/b"),
        ("http://example.com", "http://example.com/"),
        ("https://example.com/story?id=123&utm_medium=rss&gclid=4", "https://example.com/story?id=123"),
        ("https://example.com/caf%C3%A9", "https://example.com/caf%C3%A9"),
        # the feeds' own tracking (the same story from two feeds made two canonical URLs)
        ("https://www.dw.com/en/a/a-75045321?maca=en-rss-en-all-1573-rdf", "https://www.dw.com/en/a/a-75045321"),
        ("https://www.aljazeera.com/news/2026/1/1/x?traffic_source=rss", "https://www.aljazeera.com/news/2026/1/1/x"),
        ("ftp://example.com/a", None),
        ("not a url", None),
        ("", None),
        (None, None),
        ("http://[::1", None),
    ],
)
def test_canonicalize(url: str | None, expected: str | None) -> None:
    """Scheme and host lower-cased, default port, fragment and trackers dropped; non-http is None."""
    assert canonicalize_url(url) == expected


def test_domain_of() -> None:
    """The host, lower-case."""
    assert domain_of("https://News.Yahoo.com/x") == "news.yahoo.com"
    assert domain_of(None) is None


@given(
    st.builds(
        lambda host, path, params: f"https://{host}.com/{path}?" + "&".join(f"{k}={v}" for k, v in params),
        st.from_regex(r"[a-zA-Z]{1,12}", fullmatch=True),
        st.from_regex(r"[a-z0-9/._-]{0,30}", fullmatch=True),
        st.lists(st.tuples(st.sampled_from(["utm_source", "id", "fbclid", "p", "q"]),
                           st.from_regex(r"[a-z0-9]{0,5}", fullmatch=True)), max_size=4),
    )
)
def test_canonicalize_is_idempotent(url: str) -> None:
    """Canonicalising a canonical URL changes nothing."""
    once = canonicalize_url(url)
    assert once is not None
    assert canonicalize_url(once) == once
