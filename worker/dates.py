"""dates: a source's date text → an aware UTC datetime, the one reading shared by the parse stage (an article's
``published_at``) and the feed parser (a feed's rhythm, its item cap, its repeated items), so that a feed's dates
and its articles' agree.

Only the standard library and dateutil: `producers.feeds` imports this without the parse stage's dependencies.
"""

from __future__ import annotations

import contextlib
import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import cast

from dateutil import parser as dateparser
from dateutil.tz import gettz

DATE_MAX_CHARS = 100  # RawArticle.published_at's bound: a longer text is not read
# A year before this is a placeholder or a slip ("0999"), never a publication; nor is it an RFC 3339 date:
# the event wrote year 999 as "999-01-01T00:00:00Z".
DATE_MIN_YEAR = 1000
# The zero time of a CMS (a unix timestamp of 0, whatever zone it is written in) is no date.
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

_HOUR = 3600
# Zone names that feeds and pages write in place of an offset (RFC 822's US zones and the common others).
# dateutil knows only UTC/GMT by name and would drop the rest, taking "18:03 EST" as 18:03 UTC. A name that means
# two zones keeps the meaning of RFC 822/2822 (CST: US Central, not China; AST: Atlantic, not Arabia) or, outside
# them, the one of the most feeds (IST: India, not Ireland or Israel): docs/feeds.md.
ZONES: dict[str, int] = {
    "UT": 0, "UTC": 0, "GMT": 0, "Z": 0, "WET": 0,
    "EST": -5 * _HOUR, "EDT": -4 * _HOUR, "CST": -6 * _HOUR, "CDT": -5 * _HOUR,
    "MST": -7 * _HOUR, "MDT": -6 * _HOUR, "PST": -8 * _HOUR, "PDT": -7 * _HOUR,
    "AKST": -9 * _HOUR, "AKDT": -8 * _HOUR, "HST": -10 * _HOUR, "AST": -4 * _HOUR, "ADT": -3 * _HOUR,
    "BST": 1 * _HOUR, "WEST": 1 * _HOUR, "CET": 1 * _HOUR, "CEST": 2 * _HOUR, "MEZ": 1 * _HOUR, "MESZ": 2 * _HOUR,
    "EET": 2 * _HOUR, "EEST": 3 * _HOUR, "MSK": 3 * _HOUR, "IST": 5 * _HOUR + 1800,
    "SGT": 8 * _HOUR, "HKT": 8 * _HOUR, "JST": 9 * _HOUR, "KST": 9 * _HOUR,
    "AEST": 10 * _HOUR, "AEDT": 11 * _HOUR, "NZST": 12 * _HOUR, "NZDT": 13 * _HOUR,
}  # fmt: skip
# The US zones as AP style and US pages name them ("10:00 a.m. ET"): standard or daylight time by the date. dateutil
# ships the zone data, so these hold where the system has none.
_US_ZONES: dict[str, tzinfo] = {
    name: zone
    for name, key in (("ET", "America/New_York"), ("CT", "America/Chicago"), ("MT", "America/Denver"),
                      ("PT", "America/Los_Angeles"))
    if (zone := gettz(key)) is not None
}  # fmt: skip
_ZONE_OBJECTS: dict[str, tzinfo] = {name: timezone(timedelta(seconds=offset)) for name, offset in ZONES.items()}
_ZONE_OBJECTS.update(_US_ZONES)

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$")
# RFC 822 as feeds write it ("Tue, 17 Feb 2026 18:03:07 +0000", "… GMT", "… EST"), ~3/4 of the corpus feeds'
# dates: read here in ~3 µs, where dateutil's two readings took ~80. The weekday is not checked (nor by dateutil);
# anything else (a zone name not in ZONES, "PM", a two-digit year, another language's month) goes to dateutil.
_RFC822 = re.compile(
    r"(?:[^\W\d_]{2,12}\.?,\s*)?(\d{1,2})\s+([A-Za-z]{3,9})\.?\s+(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?"
    r"\s*(?:([+-])(\d{2}):?(\d{2})|([A-Za-z]{1,5}))?$"
)
_EN_MONTHS = {name.lower(): number for number, names in enumerate(dateparser.parserinfo.MONTHS, 1) for name in names}
# "03.09.2024", "3.9.24 18:00": dotted numeric dates are day first wherever they are written.
_DOTTED_DATE = re.compile(r"\d{1,2}\.\d{1,2}\.\d{2,4}\b")
# "03/04/2025": the 3rd of April or the 4th of March, as the source's language writes it (``slashes_day_first``).
_SLASHED_DATE = re.compile(r"\d{1,2}/\d{1,2}/\d{2,4}\b")
# English as written where the month comes first in a slashed date: the United States and the Philippines (and
# bare "en", read as dateutil reads every slashed date).
_MONTH_FIRST = frozenset({"en", "en-us", "en-ph"})
# "GMT+2", "UTC+05:30": hours ahead of GMT as their writers mean them; dateutil reads them the POSIX way, behind.
_GMT_PLUS = re.compile(r"\b(?:GMT|UTC|UT)\s*([+-])(\d{1,2})(?::?(\d{2}))?\b")
# A weekday before the date in a language dateutil does not know ("mer, 16 nov 2022", "Mittwoch, 16. November").
_LEADING_WORD = re.compile(r"^([^\W\d_]{2,12})\.?,\s*(?=\d)")
# A year written 0001–0099 is a placeholder, not a date: Hugo's zero time ("Mon, 01 Jan 0001 00:00:00 +0000", 31
# items of 8 corpus feeds) became 2001-01-01 (dateutil reads a year below 100 as two digits).
_PLACEHOLDER_YEAR = re.compile(r"(?<![\d:.+-])00\d\d(?![\d:])")
# Two defaults that differ in every date part: a part the text lacks shows up as a difference between the
# two readings (dateutil fills what is missing from its default, which would invent a day or a year).
_DEFAULTS = (datetime(1904, 1, 1), datetime(1905, 2, 2))  # naive on purpose: what dateutil fills in from


# dateutil's English month names and those of the languages of the corpus's feeds and pages (German, French, Spanish,
# Italian, Portuguese, Dutch; Polish, Czech, Russian and Ukrainian in the genitive too, as they write a date: "15
# августа 2016", "2 listopada 2021"). Weekdays are left out: Spanish "mar" (martes) would take English "Mar" from
# March; a weekday before a date is dropped instead (`_LEADING_WORD`).
_MONTHS: list[tuple[str, ...]] = [
    (*english, *others)
    for english, others in zip(
        dateparser.parserinfo.MONTHS,
        [
            ("januar", "jänner", "janv", "janvier", "ene", "enero", "gen", "gennaio", "janeiro", "januari",
             "styczeń", "stycznia", "leden", "ledna", "январь", "января", "січень", "січня"),
            ("februar", "feber", "févr", "fevr", "février", "fevrier", "febrero", "febbraio", "fev", "fevereiro",
             "februari", "luty", "lutego", "únor", "února", "февраль", "февраля", "лютий", "лютого"),
            ("märz", "maerz", "mär", "mars", "marzo", "março", "marco", "maart", "mrt", "marzec", "marca", "březen",
             "března", "март", "марта", "березень", "березня"),
            ("april", "avr", "avril", "abr", "abril", "aprile", "kwiecień", "kwietnia", "duben", "dubna", "апрель",
             "апреля", "квітень", "квітня"),
            ("mai", "mayo", "mag", "maggio", "maio", "mei", "maj", "maja", "květen", "května", "май", "мая", "травень",
             "травня"),
            ("juni", "juin", "junio", "giu", "giugno", "junho", "czerwiec", "czerwca", "červen", "června", "июнь",
             "июня", "червень", "червня"),
            ("juli", "juil", "juillet", "julio", "lug", "luglio", "julho", "lipiec", "lipca", "červenec", "července",
             "июль", "июля", "липень", "липня"),
            ("august", "août", "aout", "ago", "agosto", "augustus", "sierpień", "sierpnia", "srpen", "srpna", "август",
             "августа", "серпень", "серпня"),
            ("sept", "septembre", "septiembre", "set", "settembre", "setembro", "wrzesień", "września", "září",
             "сентябрь", "сентября", "вересень", "вересня"),
            ("okt", "oktober", "octobre", "octubre", "ott", "ottobre", "out", "outubro", "październik", "października",
             "říjen", "října", "октябрь", "октября", "жовтень", "жовтня"),
            ("november", "novembre", "noviembre", "novembro", "listopad", "listopada", "listopadu", "ноябрь", "ноября",
             "листопад", "листопада"),
            ("dez", "dezember", "déc", "decembre", "décembre", "dic", "diciembre", "dicembre", "dezembro",
             "december", "grudzień", "grudnia", "prosinec", "prosince", "декабрь", "декабря", "грудень", "грудня"),
        ],
        strict=True,
    )
]  # fmt: skip


class _ParserInfo(dateparser.parserinfo):
    """dateutil's words, with `_MONTHS` and the words between the parts of a date in those languages."""

    def __init__(self) -> None:
        # parserinfo reads these lists once, in its __init__; its stubs type a month's names as two or three
        self.MONTHS = cast("list[tuple[str, str] | tuple[str, str, str]]", _MONTHS)
        # "16 de noviembre de 2022", "le 1er août 2023 à 10h00", "3. März 2024 um 10:00", "3 мая 2023 г.",
        # "2 listopada 2021 r.": skipped as dateutil skips "of", "st" and "at"
        self.JUMP = [*self.JUMP, "de", "del", "er", "le", "à", "um", "г", "р", "r"]
        super().__init__()


_INFO = _ParserInfo()
_PARSER = dateparser.parser(_INFO)


def _zone(name: str | None, offset: int | None) -> int | tzinfo | None:
    """dateutil's zone hook: a written offset, else a known name's zone; None (read as UTC) otherwise."""
    if offset is not None:
        return offset
    return _ZONE_OBJECTS.get(name.upper()) if name else None


def _gmt_plus(match: re.Match[str]) -> str:
    return f" {match[1]}{int(match[2]):02d}:{match[3] or '00'}"


def _from_rfc822(match: re.Match[str]) -> datetime | None:
    """An RFC 822 match as a datetime, or None for dateutil to read (a zone or a month this does not know)."""
    month = _EN_MONTHS.get(match[2].lower())
    if month is None:
        return None
    zone: tzinfo | None = UTC
    if match[10]:
        zone = _ZONE_OBJECTS.get(match[10].upper())
        if zone is None:
            return None
    try:
        if match[7]:
            offset = int(match[8]) * _HOUR + int(match[9]) * 60
            zone = timezone(timedelta(seconds=-offset if match[7] == "-" else offset))
        return datetime(int(match[3]), month, int(match[1]), int(match[4]), int(match[5]), int(match[6] or 0),
                        tzinfo=zone)  # fmt: skip
    except ValueError:  # "31 Feb", "25:00", an offset of a day or more ("+9959")
        return None


def slashes_day_first(language: str | None) -> bool:
    """Whether a source declaring ``language`` ("fr", "de-DE", "en-GB", "pt_BR") writes a slashed date day first:
    every language but American English does (Chinese, Japanese and Korean write the year first, "2025/04/03",
    which reads one way only). Nothing declared: month first, as before."""
    if not language:
        return False
    return language.strip().lower().replace("_", "-") not in _MONTH_FIRST


def _read_with_dateutil(value: str, slashed_day_first: bool) -> datetime | None:
    if "GMT" in value or "UT" in value:
        value = _GMT_PLUS.sub(_gmt_plus, value)
    if (lead := _LEADING_WORD.match(value)) and _INFO.month(lead[1]) is None:
        value = value[lead.end() :]
    dayfirst = bool(_DOTTED_DATE.match(value)) or (slashed_day_first and bool(_SLASHED_DATE.match(value)))
    readings = []
    for default in _DEFAULTS:
        try:
            readings.append(_PARSER.parse(value, default=default, dayfirst=dayfirst, tzinfos=_zone))
        except (ValueError, OverflowError):
            return None
    first, second = readings
    if (first.year, first.month, first.day) != (second.year, second.month, second.day):
        return None  # no year, month or day in the text ("2024", "Nov 2024", "Monday"): not a date
    return first


def read_date(value: str | None, language: str | None = None) -> datetime | None:
    """A source's date text → aware UTC datetime, or None when absent, unreadable, incomplete or a placeholder.
    ``language``: the one the source declares, which says how it writes a slashed date (``slashes_day_first``).

    A date without a zone, or with a zone name not in `ZONES`, is taken as UTC (docs/decisions.md). A text
    without a year, month and day is refused rather than completed: a date is never invented. Whether a date
    lies too far ahead is for the caller to say (an article's ``published_at`` and a feed's rhythm ask it
    differently).
    """
    if not value:
        return None
    value = value.strip()
    if not value or len(value) > DATE_MAX_CHARS:
        return None
    if "00" in value and _PLACEHOLDER_YEAR.search(value):
        return None
    parsed = None
    if _ISO_DATE.match(value):
        # ISO 8601, what feeds, JSON and the seed's format mostly carry: the standard library reads it in ~1 µs,
        # dateutil in ~80. An ISO-looking string it refuses goes to dateutil like anything else.
        with contextlib.suppress(ValueError):
            parsed = datetime.fromisoformat(value)
    elif match := _RFC822.match(value):
        parsed = _from_rfc822(match)
    if parsed is None:
        parsed = _read_with_dateutil(value, slashes_day_first(language))
        if parsed is None:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        parsed = parsed.astimezone(UTC)
    except OverflowError:  # "9999-12-31T23:00:00-05:00": past the last day a datetime holds
        return None
    except ValueError:  # an offset of a day or more ("+99:00", "GMT+99"), which dateutil and ISO let through
        return None
    if parsed.year < DATE_MIN_YEAR or (parsed.year == 1970 and parsed == _EPOCH):
        return None
    return parsed
