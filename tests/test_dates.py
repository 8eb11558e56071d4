"""Dates: a feed's reading (`producers.feeds.feed_timestamp`: rhythm, item cap, repeated items) and an article's
(`worker.parse.parse_published`: ``published_at``) are one reading, `worker.dates.read_date`."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from producers.feeds import FeedError, feed_timestamp, parse_feed
from producers.schedule import published_ts
from tests.helpers import make_raw_article
from worker.dates import ZONES
from worker.parse import parse, parse_published

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _both(value: str) -> tuple[float | None, datetime | None]:
    return feed_timestamp(value), parse_published(value, now=NOW)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # zone names: the feed side read every one but RFC 822's US zones as UTC
        ("Tue, 17 Feb 2026 18:03:07 CEST", datetime(2026, 2, 17, 16, 3, 7, tzinfo=UTC)),
        ("Tue, 17 Feb 2026 18:03:07 BST", datetime(2026, 2, 17, 17, 3, 7, tzinfo=UTC)),
        ("Tue, 17 Feb 2026 18:03:07 JST", datetime(2026, 2, 17, 9, 3, 7, tzinfo=UTC)),
        ("2026-02-17 18:03 JST", datetime(2026, 2, 17, 9, 3, tzinfo=UTC)),
        ("Tue, 17 Feb 2026 18:03:07 AEDT", datetime(2026, 2, 17, 7, 3, 7, tzinfo=UTC)),
        ("Tue, 17 Feb 2026 18:03:07 EST", datetime(2026, 2, 17, 23, 3, 7, tzinfo=UTC)),
        ("Tue, 17 Feb 2026 18:03:07 AST", datetime(2026, 2, 17, 22, 3, 7, tzinfo=UTC)),  # Atlantic, as RFC 2822
        # AP style's US zones: standard or daylight time by the date
        ("Nov. 7, 2019, 10:00 a.m. ET", datetime(2019, 11, 7, 15, 0, tzinfo=UTC)),
        ("July 4, 2025 9:30 AM ET", datetime(2025, 7, 4, 13, 30, tzinfo=UTC)),
        ("Fri, 04 Jul 2025 09:30:00 PT", datetime(2025, 7, 4, 16, 30, tzinfo=UTC)),
        # the two names of two zones each: India's and the US's (docs/decisions.md)
        ("Tue, 17 Feb 2026 18:03:07 IST", datetime(2026, 2, 17, 12, 33, 7, tzinfo=UTC)),
        ("Tue, 17 Feb 2026 18:03:07 CST", datetime(2026, 2, 18, 0, 3, 7, tzinfo=UTC)),
        # a 12-hour clock (NBC New York's feed in the corpus): the feed side read 2 PM as 2 AM
        ("Sat, Dec 16 2023 02:02:33 PM", datetime(2023, 12, 16, 14, 2, 33, tzinfo=UTC)),
        ("16 Dec 2023 02:02:33 PM", datetime(2023, 12, 16, 14, 2, 33, tzinfo=UTC)),
        ("Sat, 16 Dec 2023 02:02:33 PM EST", datetime(2023, 12, 16, 19, 2, 33, tzinfo=UTC)),
        # a weekday in the feed's language (Il Messaggero): the article side had no date
        ("mer, 16 nov 2022 00:38:15 +0100", datetime(2022, 11, 15, 23, 38, 15, tzinfo=UTC)),
        ("Mittwoch, 16. November 2022 10:00", datetime(2022, 11, 16, 10, 0, tzinfo=UTC)),
        # ordinal days and two-digit years
        ("November 1st, 2024", datetime(2024, 11, 1, tzinfo=UTC)),
        ("Thu, 07 Nov 19 10:00:00 GMT", datetime(2019, 11, 7, 10, 0, tzinfo=UTC)),
        ("03.09.24", datetime(2024, 9, 3, tzinfo=UTC)),
        # "Z", "+00:00", "+0000", a space before the Z: one instant
        ("2024-11-30T10:00:00Z", datetime(2024, 11, 30, 10, 0, tzinfo=UTC)),
        ("2024-11-30T10:00:00+00:00", datetime(2024, 11, 30, 10, 0, tzinfo=UTC)),
        ("2024-11-30T10:00:00+0000", datetime(2024, 11, 30, 10, 0, tzinfo=UTC)),
        ("2024-11-30T10:00:00 Z", datetime(2024, 11, 30, 10, 0, tzinfo=UTC)),
        ("Tue, 15 Nov 2022 20:15:04 Z", datetime(2022, 11, 15, 20, 15, 4, tzinfo=UTC)),  # il Giornale
        ("2017-06-13T03:18:00+00:0", datetime(2017, 6, 13, 3, 18, tzinfo=UTC)),  # a digit short (feed-rs fixture)
        # a day alone is its midnight, in UTC
        ("2021-02-03", datetime(2021, 2, 3, tzinfo=UTC)),
    ],
)
def test_a_feed_and_an_article_read_a_date_alike(value: str, expected: datetime) -> None:
    """The feed side and the article side read zone names, 12-hour clocks, other languages' weekdays alike."""
    assert _both(value) == (expected.timestamp(), expected)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Tue, 17 Feb 2026 18:03:07 GMT+2", datetime(2026, 2, 17, 16, 3, 7, tzinfo=UTC)),
        ("Tue, 17 Feb 2026 18:03:07 UTC+05:30", datetime(2026, 2, 17, 12, 33, 7, tzinfo=UTC)),
        ("2026-02-17 18:03 GMT-5", datetime(2026, 2, 17, 23, 3, tzinfo=UTC)),
    ],
)
def test_gmt_plus_hours_is_ahead_of_gmt(value: str, expected: datetime) -> None:
    """A time "GMT+2" is two hours ahead of GMT, as its writer means it (dateutil reads it the POSIX way, behind)."""
    assert _both(value) == (expected.timestamp(), expected)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("16 novembre 2022", datetime(2022, 11, 16, tzinfo=UTC)),
        ("3. März 2024", datetime(2024, 3, 3, tzinfo=UTC)),
        ("16 de noviembre de 2022", datetime(2022, 11, 16, tzinfo=UTC)),
        ("1 dicembre 2025 08:30", datetime(2025, 12, 1, 8, 30, tzinfo=UTC)),
        ("12 de março de 2024", datetime(2024, 3, 12, tzinfo=UTC)),
        ("5 mei 2023", datetime(2023, 5, 5, tzinfo=UTC)),
        ("1er août 2023", datetime(2023, 8, 1, tzinfo=UTC)),
        ("le 7 novembre 2019 à 10h00", datetime(2019, 11, 7, 10, 0, tzinfo=UTC)),
        ("3. März 2024 um 10:00 MEZ", datetime(2024, 3, 3, 9, 0, tzinfo=UTC)),
        ("Mar 5, 2024", datetime(2024, 3, 5, tzinfo=UTC)),  # "mar" is March, not Spanish Tuesday
        ("15 августа 2016, 13:43", datetime(2016, 8, 15, 13, 43, tzinfo=UTC)),  # the genitive, as dates are written
        ("1 сентября 2023", datetime(2023, 9, 1, tzinfo=UTC)),
        ("3 мая 2023 г.", datetime(2023, 5, 3, tzinfo=UTC)),
        ("2 listopada 2021", datetime(2021, 11, 2, tzinfo=UTC)),
        ("12 maja 2022 r. 10:15", datetime(2022, 5, 12, 10, 15, tzinfo=UTC)),
        ("5. května 2021", datetime(2021, 5, 5, tzinfo=UTC)),
        ("24 лютого 2022", datetime(2022, 2, 24, tzinfo=UTC)),
        ("9 травня 2020", datetime(2020, 5, 9, tzinfo=UTC)),
    ],
)
def test_month_names_of_other_languages(value: str, expected: datetime) -> None:
    """German, French, Spanish, Italian, Portuguese, Dutch, Polish, Czech, Russian and Ukrainian month names are
    months, in the genitive too ("15 августа 2016", "2 listopada 2021")."""
    assert _both(value) == (expected.timestamp(), expected)


@pytest.mark.parametrize(
    "value",
    [
        "1970-01-01T00:00:00Z",  # a CMS's zero timestamp
        "Thu, 01 Jan 1970 00:00:00 GMT",
        "1969-12-31T19:00:00-05:00",  # the same instant, written in New York
        "Mon, 01 Jan 0001 00:00:00 +0000",  # Hugo's zero time
        "0001-01-01T00:00:00+01:00",
        "0999-01-01",  # a year of three digits: no RFC 3339 date (the event said "999-01-01T00:00:00Z")
        "Mon, 01 Jan 0100 00:00:00 +0000",
    ],
)
def test_a_placeholder_past_is_no_date(value: str) -> None:
    """The zero time of a CMS or of Hugo, and a year before 1000, are no date on either side."""
    assert _both(value) == (None, None)


@pytest.mark.parametrize(
    "value",
    [
        "9999-12-31T23:00:00-05:00",
        "Fri, 31 Dec 9999 23:00:00 -0500",
        "2024-01-01T10:00:00+99:00",
        "2024-01-01 10:00 +9900",
        "Tue, 17 Feb 2026 18:03:07 -2400",
        "2024-01-01 10:00 GMT+99",
    ],
)
def test_an_instant_a_datetime_cannot_hold_is_no_crash(value: str) -> None:
    """A date past year 9999 in UTC, or an offset of a day or more, is no date on either side; each crashed the
    parse stage (OverflowError, ValueError)."""
    assert feed_timestamp(value) is None
    assert parse_published(value, now=NOW) is None
    raw = make_raw_article(published_at=value)
    assert parse(raw).published_at is None


def test_a_future_date_is_no_published_at_and_does_not_skew_the_rhythm() -> None:
    """A date more than a day ahead (next week, 2099) is no published_at, nor a publish time for the rhythm; the
    feed side still reads it, for ordering."""
    now = NOW.timestamp()
    for value in ("Mon, 07 Dec 2026 12:00:00 GMT", "Thu, 01 Jan 2099 00:00:00 +0000", "2099-01-01T00:00:00Z"):
        assert parse_published(value, now=NOW) is None
        assert published_ts(value, now) is None
        assert feed_timestamp(value) is not None
    assert parse_published("Mon, 30 Nov 2026 20:00:00 GMT", now=NOW) is not None  # hours ahead: a zone's slip
    for value in ("1970-01-01T00:00:00Z", "Mon, 01 Jan 0001 00:00:00 +0000"):
        assert published_ts(value, now) is None


def test_an_old_date_is_kept() -> None:
    """A date of year 1000 or later that is no placeholder stays: an archive's story is dated as it was."""
    assert _both("1966-10-14") == (datetime(1966, 10, 14, tzinfo=UTC).timestamp(), datetime(1966, 10, 14, tzinfo=UTC))
    assert parse_published("1970-01-01T00:00:01Z", now=NOW) == datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC)


def test_a_long_text_is_no_date() -> None:
    """A date text is bounded (RawArticle.published_at's 100 characters): a longer one is not read."""
    value = "Tue, 17 Feb 2026 18:03:07 GMT" + " " * 200 + "x"
    assert _both(value) == (None, None)
    assert _both("1" * 10_000) == (None, None)


def _corpus_dates(corpus: Path) -> set[str]:
    dates: set[str] = set()
    for path in sorted((corpus / "feeds").rglob("*")):
        if path.suffix not in (".xml", ".gz", ".rss", ".atom", ".rdf") or not path.is_file():
            continue
        body = path.read_bytes()
        if path.suffix == ".gz":
            body = gzip.decompress(body)
        try:
            feed = parse_feed(body, feed_url="https://example.com/feed")
        except FeedError:
            continue
        dates.update(d for d in feed.published if d)
    return dates


def test_every_corpus_feed_date_reads_alike_on_both_sides(corpus: Path) -> None:
    """Every item date of the corpus feeds (~5,900 texts) is the same instant, or no date, on both sides."""
    dates = _corpus_dates(corpus)
    assert len(dates) > 5000
    differ = []
    for value in dates:
        ts, when = feed_timestamp(value), parse_published(value, now=NOW)
        if when is None and ts is not None and ts > NOW.timestamp():
            continue  # a future date: ordered by the feed side, no published_at
        if ts != (when.timestamp() if when else None):
            differ.append(value)
    assert differ == []


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120))
def test_any_text_is_a_date_or_none_on_both_sides_alike(value: str) -> None:
    """No text makes either side raise, and both read it as the same instant or as no date."""
    ts, when = feed_timestamp(value), parse_published(value, now=NOW)
    assert ts == (when.timestamp() if when else None) or (when is None and ts is not None and ts > NOW.timestamp())


@settings(max_examples=300, deadline=None)
@given(
    st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2026, 1, 1)).map(
        lambda d: d.replace(microsecond=0)
    ),
    st.sampled_from(sorted(ZONES)),
    st.sampled_from(["%a, %d %b %Y %H:%M:%S", "%d %B %Y %H:%M:%S", "%Y-%m-%d %H:%M:%S"]),
)
def test_a_date_written_in_a_named_zone_reads_back(when: datetime, zone: str, form: str) -> None:
    """A time written with a zone name of the table is that zone's time, on both sides (the fast RFC 822 path and
    dateutil read alike)."""
    expected = (when - timedelta(seconds=ZONES[zone])).replace(tzinfo=UTC)
    value = f"{when.strftime(form)} {zone}"
    assert _both(value) == (expected.timestamp(), expected)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("fr", datetime(2025, 4, 3, 10, 0, tzinfo=UTC)),
        ("de-DE", datetime(2025, 4, 3, 10, 0, tzinfo=UTC)),
        ("en-GB", datetime(2025, 4, 3, 10, 0, tzinfo=UTC)),
        ("pt_BR", datetime(2025, 4, 3, 10, 0, tzinfo=UTC)),
        # American English writes the month first, and so is a source that declares nothing or bare "en" read.
        ("en-us", datetime(2025, 3, 4, 10, 0, tzinfo=UTC)),
        ("en", datetime(2025, 3, 4, 10, 0, tzinfo=UTC)),
        (None, datetime(2025, 3, 4, 10, 0, tzinfo=UTC)),
    ],
)
def test_a_slashed_date_is_read_day_first_where_the_sources_language_writes_it_so(
    language: str | None, expected: datetime
) -> None:
    """"03/04/2025" is the 3rd of April in a French, German or British feed and the 4th of March in an American one:
    the source's declared language (a feed's <language>) says which, on the article and on the feed's own dates."""
    assert parse_published("03/04/2025 10:00", now=NOW, language=language) == expected
    assert feed_timestamp("03/04/2025 10:00", language=language) == expected.timestamp()
    raw = make_raw_article(content="Titre\n\nUn texte assez long pour un article sur rien de particulier.",
                           published_at="03/04/2025 10:00", language=language)  # fmt: skip
    assert parse(raw).published_at == expected


def test_a_slashed_date_past_twelve_reads_the_same_in_every_language() -> None:
    """"25/04/2025" and "04/25/2025" hold only one reading each, whatever the language says."""
    for language in ("fr", "en-us", None):
        assert parse_published("25/04/2025", now=NOW, language=language) == datetime(2025, 4, 25, tzinfo=UTC)
        assert parse_published("04/25/2025", now=NOW, language=language) == datetime(2025, 4, 25, tzinfo=UTC)


def test_a_feeds_language_reads_its_items_slashed_dates() -> None:
    """A feed declaring French: its items' "03/04/2025" dates are the 3rd of April on the articles it makes."""
    body = ("<rss version='2.0'><channel><title>Le Journal</title><language>fr-FR</language>"
            "<item><title>a</title><link>https://e.example/a</link><pubDate>03/04/2025 10:00</pubDate>"
            "<description>Un texte assez long pour un article sur rien de particulier.</description></item>"
            "</channel></rss>")  # fmt: skip
    [article] = parse_feed(body.encode(), feed_url="https://e.example/feed").articles
    assert parse(article).published_at == datetime(2025, 4, 3, 10, 0, tzinfo=UTC)
