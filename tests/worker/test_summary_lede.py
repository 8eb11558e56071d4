"""summary: a text with no sentence worth keeping (a teaser without a full stop, a note, a list) is summarised by
its opening line, read through the same filters as the lede: never a stamp, a sponsor's note, a menu, a byline or a
bare link, and never '' while the text holds a word of its own."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest

from worker.summary import SUMMARY_MAX_CHARS, summarize

_TEASER = "Prosecutors in Sweden say a husband in the north has sold sex with his wife to at least 120 men"


@pytest.mark.parametrize(
    "teaser",
    [
        _TEASER,  # feed f9c17f360c71def1: a wire teaser without a full stop
        "The trial, with a plot stranger than detective fiction, has gripped the country",  # feed 960551eca5b5db81
        'Midnight Guns was newly added and is "Broken"',  # feed cc314ce5dfbb3adc
        "Everyone's living a life you know nothing about. Be kind.",  # feed e44e7aea7e34bb52: the headline again
        "Introduction",  # feed c4eb37eca10d1d55: all the feed gives
        "Status: Broken => Running",  # feed cc314ce5dfbb3adc
    ],
)
def test_a_teaser_is_its_own_summary(teaser: str) -> None:
    """A text whose only line is no sentence worth keeping (no full stop, too short) is summarised as it is."""
    assert summarize(teaser, "en", title="Everyone's living a life you know nothing about ....") == teaser


@pytest.mark.parametrize(
    "above",
    [
        "Updated on 2024-03-05 14:20 UTC",  # a publication stamp
        "Posted: Thursday, April 21, 2022. 10:11 pm CST.",
        "This post is sponsored by Mrs. Wages.",  # feed 6f0284a0d9eaf557: a sponsorship
        "Volume 24, Number 5 | May/June 2021 2 | Tremendous Trifles 3 | Generally Speaking",  # feed a345f48640cf8255
        "https://www.dawn.com/news/1973802",  # feed ce5f942d1cd40fc0: a bare link
        "FULL VIDEO: https://www.youtube.com/watch?v=dcolM6W5Odc",  # feed 021a787a782817fc: a link with a label
        "By Jane Doe",  # a byline
        "Home | News | Sport | Weather",  # a menu
        "## Features",  # a heading
        "Advertisement",
    ],
)
def test_what_stands_above_a_teaser_is_not_its_summary(above: str) -> None:
    """Stamps, sponsors' notes, contents, links, bylines, menus and headings above a teaser are left out of it."""
    assert summarize(f"{above}\n\n{_TEASER}", "en") == _TEASER


def test_a_stamp_glued_to_a_teaser_is_cut_from_it() -> None:
    """A stamp opening the teaser's own line is cut off, as it is from a lede."""
    assert summarize(f"06.11.23 - {_TEASER}", "en") == _TEASER


def test_a_markdown_link_in_a_teaser_reads_as_its_words() -> None:
    """feed 705749c3b1bd02d8: "[bitandbang](https://…)" shows as "bitandbang"."""
    text = "Created a personal npm card inspired by [bitandbang](https://github.com/bnb/bitandbang)"
    assert summarize(text, "en") == "Created a personal npm card inspired by bitandbang"


def test_a_sponsors_sentence_is_cut_from_the_teasers_line() -> None:
    """feed 89fda57f8a03fbb6: the sponsor's thanks opening the line is no part of the summary."""
    text = "Thanks to Onshape for sponsoring this video! Building a real life flight simulator from scratch"
    assert summarize(text, "en") == "Building a real life flight simulator from scratch"


def test_a_line_of_words_is_preferred_to_headings_above_it() -> None:
    """feed 3ac543065ca0ef7d: "Hardware", "Specs" are headings; the first line of five words or more is the summary,
    alone (lines without full stops glued together read as one garbled sentence)."""
    text = (
        "Hardware\n\nSpecs\n\n1x STM32F7 taking care of power management, USB and display multiplexing\n\n"
        "1x ESP32 Pico D4 providing a web interface to build and store animations"
    )
    assert summarize(text, "en") == "1x STM32F7 taking care of power management, USB and display multiplexing"


@pytest.mark.parametrize(
    "text",
    [
        "https://www.dawn.com/news/1973802",
        "Volume 24, Number 5 | May/June 2021 2 | Tremendous Trifles 3 | Generally Speaking",
        "Posted: Thursday, April 21, 2022.\n\nBy Jane Doe\n\n- one\n- two",
        "...",
        "",
    ],
)
def test_a_text_without_words_of_its_own_has_no_summary(text: str) -> None:
    """Links, menus, stamps, bylines and lists alone make no summary: '' (the caller shows none)."""
    assert summarize(text, "en") == ""


def test_a_long_teaser_is_bounded() -> None:
    """A teaser line with no end is cut after a word within the summary's limit (it was returned whole: 1,826
    characters on one corpus item)."""
    summary = summarize("word " * 400_000, "en")
    assert len(summary) <= SUMMARY_MAX_CHARS and summary.endswith("word…")


def test_a_lede_sentence_still_wins_over_a_teaser_above_it() -> None:
    """The fallback is only a fallback: a clean sentence anywhere in the text is the summary."""
    text = f"{_TEASER}\n\nThe council approved the new budget on Monday after a long debate."
    assert summarize(text, "en") == "The council approved the new budget on Monday after a long debate."


# What a summary shows when the site's furniture came through: a menu's or contents' " | ", markdown link syntax,
# a stamp label, a bare link, a byline.
_FURNITURE = re.compile(
    r" \| .* \| |\]\((?:https?://|/)|^(?:posted|published|updated)\b\s*:|^https?://\S+$|^By [A-Z]\w+ [A-Z]\w+$",
    re.IGNORECASE,
)


@pytest.mark.corpus
def test_corpus_feed_items_have_clean_summaries(corpus: Path) -> None:
    """Over the real feeds of the corpus, no summary shows a menu, a link's syntax, a stamp, a bare link or a byline,
    none is over the limit, and every item with a line of five words outside those has a summary."""
    from producers.feeds import FeedError, parse_feed
    from wirewatch.errors import Rejected
    from worker.parse import parse

    root = corpus / "feeds" / "fastfeedparser"
    index = dict(line.split("\t")[:2] for line in (root / "benchmark_data_index.tsv").read_text().splitlines()[1:])
    items = 0
    for path in sorted((root / "benchmark_data").glob("*.gz")):
        try:
            feed = parse_feed(
                gzip.decompress(path.read_bytes()), feed_url=index.get(path.name, "https://feeds.example/")
            )
        except FeedError:
            continue
        for raw in feed.articles:
            try:
                parsed = parse(raw)
            except Rejected:
                continue
            items += 1
            summary = summarize(parsed.text, None, title=parsed.title)
            assert len(summary) <= SUMMARY_MAX_CHARS + 1, (path.name, parsed.title)
            assert not _FURNITURE.search(summary), (path.name, parsed.title, summary)
            prose = [line for line in parsed.text.splitlines() if len(line.split()) >= 5 and _plain(line)]
            assert summary or not prose, (path.name, parsed.title, prose[0] if prose else "")
    assert items > 5_000


def _plain(line: str) -> bool:
    """Whether the line is plain words: not markup, a list, a table, a link, a notice or a byline."""
    if line.startswith(("#", "-", "*", "|", "•", "[")) or line[:3].lower() == "by ":
        return False
    return not ("http" in line or " | " in line or "©" in line)
