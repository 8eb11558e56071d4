"""A feed's title names its articles' source; a title that joins the site's name to a section or a tagline
("World – TIME", "Al Jazeera – Breaking News, World News and Video from Al Jazeera") gives the site's name, the part
its address spells. Titles from the corpus's benchmark feeds."""

from __future__ import annotations

from xml.sax.saxutils import escape

import pytest

from producers.feeds import parse_feed


def _source_name(title: str, feed_url: str, link: str = "") -> str | None:
    channel_link = f"<link>{escape(link)}</link>" if link else ""
    body = (f'<rss version="2.0"><channel><title>{escape(title)}</title>{channel_link}<item><title>a</title>'
            "<link>https://e.example/a</link></item></channel></rss>")  # fmt: skip
    parsed = parse_feed(body.encode(), feed_url=feed_url)
    return parsed.articles[0].source.name


@pytest.mark.parametrize(
    ("title", "feed_url", "name"),
    [
        ("Al Jazeera – Breaking News, World News and Video from Al Jazeera", "https://www.aljazeera.com/xml/rss/all.xml",
         "Al Jazeera"),
        ("World – TIME", "https://time.com/section/world/feed/", "TIME"),
        ("World - CBSNews.com", "https://www.cbsnews.com/latest/rss/world", "CBSNews.com"),
        ("Dawn - World", "https://www.dawn.com/feeds/world", "Dawn"),
        ("Japan Today - Category World", "https://japantoday.com/feed", "Japan Today"),
        ("Blog - Ardour", "https://ardour.org/blog.rss", "Ardour"),
        ("David duChemin – Photographer, Author, Creative Instigator", "https://davidduchemin.com/feed/",
         "David duChemin"),
        ("TechTinkering - Retro Computers, Programming, General Technical Tinkering",
         "https://techtinkering.com/feed.xml", "TechTinkering"),
    ],
)  # fmt: skip
def test_the_part_of_a_title_the_sites_address_spells_names_the_source(title: str, feed_url: str, name: str) -> None:
    assert _source_name(title, feed_url) == name


def test_the_channels_link_names_the_site_when_the_feed_lives_elsewhere() -> None:
    """A feed served by a feed host: the channel's link is the site."""
    assert _source_name("Dawn - World", "https://feeds.feedburner.com/dawn-world", "https://www.dawn.com/") == "Dawn"


@pytest.mark.parametrize(
    ("title", "feed_url"),
    [
        # No part is spelled by the address: the title stays whole.
        ("The Christian Science Monitor | All stories", "https://rss.csmonitor.com/feeds/all"),
        ("Sound Code - Mark Heath's Blog", "https://markheath.net/feed/rss"),
        ("World News: Breaking news, politics, crime, tech, and more", "https://www.example.org/world.xml"),
        # A name with a dash in it, no separator with spaces around it.
        ("Rolls-Royce Newsroom", "https://www.rolls-royce.com/feed"),
        # Every part spelled: nothing to choose.
        ("Time - Time", "https://time.com/feed/"),
    ],
)  # fmt: skip
def test_a_title_no_single_part_of_which_the_address_spells_stays_whole(title: str, feed_url: str) -> None:
    assert _source_name(title, feed_url) == title
