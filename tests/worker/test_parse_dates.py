"""worker.parse: a page's date written beside its headline or after a label, when its markup gives none."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.helpers import make_raw_article
from worker.parse import parse

_TEXT = " ".join(["Der Rat hat den neuen Haushalt nach einer langen Debatte am Dienstagabend beschlossen."] * 6)


def _page(before: str = "", after: str = "", headline: str = "Rat beschließt Haushalt", *, extra: str = "") -> str:
    return (f"<html><head><title>Rat beschließt Haushalt</title></head><body>{extra}<div class='head'>{before}"
            f"<h1>{headline}</h1>{after}</div><article><p>{_TEXT}</p><p>{_TEXT}</p></article></body></html>")  # fmt: skip


def _published(page: str) -> datetime | None:
    return parse(make_raw_article(content=page, content_type="html", url="https://example.de/rat")).published_at


@pytest.mark.parametrize(
    ("before", "after", "day"),
    [
        ("", "<p>Pressemitteilung vom 25. Januar 2022 | Berlin – Die künftige Regierung</p>", (2022, 1, 25)),
        ("<h3>21.01.2022</h3>", "", (2022, 1, 21)),
        ("", "<p>Handball Schweiz &bull; 02.02.2022</p>", (2022, 2, 2)),
        ("", "<p><strong>01.02.2022</strong> „Der Arbeitsmarkt ist gut in das Jahr gestartet“</p>", (2022, 2, 1)),
        ("", "<p>By Ann Lee</p><p>January 22, 2014</p>", (2014, 1, 22)),
        ("", "<p>Publicado el 3 de mayo de 2022</p>", (2022, 5, 3)),
        ("", "<p>Vorschau</p><p>2021-11-02</p>", (2021, 11, 2)),
    ],
)
def test_a_date_beside_the_headline_is_the_pages_date(before: str, after: str, day: tuple[int, int, int]) -> None:
    """Press releases and small sites write the date above or below the headline and nowhere in their markup."""
    assert _published(_page(before, after)) == datetime(*day, tzinfo=UTC)


def test_a_labelled_date_away_from_the_headline_is_the_pages_date() -> None:
    """'Datum: 03.11.2021' in a side column: the label says what the date is."""
    page = _page(extra="<nav>" + "Autohersteller Nachrichten Handel Werkstatt " * 40 + "</nav>",
                 after="<p>" + "Noch ist das Coupé getarnt. " * 40 + "</p><h5>Datum: </h5>03.11.2021")  # fmt: skip
    assert _published(page) == datetime(2021, 11, 3, tzinfo=UTC)


def test_the_headline_is_the_h1_that_is_the_title() -> None:
    """A page with a screen-reader <h1> first ("Navigation und Service"): the date is read beside the title's."""
    extra = "<h1>Navigation und Service</h1><p>Neu: 01.01.2020</p>" + "<p>Menü Eintrag</p>" * 60
    page = _page(after="<p>Ausgabejahr 2022 | 25.01.2022</p>", extra=extra)
    assert _published(page) == datetime(2022, 1, 25, tzinfo=UTC)


@pytest.mark.parametrize(
    "after",
    [
        "<p>Bürger können vom 9.1. -10.2.2023 zeichnen.</p>",  # the end of a range, not a day of publication
        "<p>Die Sitzung beginnt um 10 Uhr.</p>",  # no date at all
        "<p>Am 12. März 2099 soll der Bau fertig sein.</p>",  # in the future: a plan, never a publication date
        "<p>Heft 4. 2022 erscheint bald.</p>",  # no day and month
    ],
)
def test_no_date_is_guessed_where_none_is_written_as_the_pages(after: str) -> None:
    assert _published(_page(after=after)) is None


def test_a_date_deep_in_the_text_is_not_the_pages_date() -> None:
    """A date the article mentions far from its headline is an event's, not the page's."""
    far = "<p>" + "Die Verwaltung legte den Entwurf vor. " * 40 + "Am 14. März 2021 tagte der Ausschuss.</p>"
    assert _published(_page(after=far)) is None


def test_the_markup_date_wins_over_one_beside_the_headline() -> None:
    head_meta = '<meta property="article:published_time" content="2022-01-24T09:00:00+00:00">'
    page = _page(after="<p>25.01.2022</p>").replace("</title>", "</title>" + head_meta)
    assert _published(page) == datetime(2022, 1, 24, 9, tzinfo=UTC)


def test_a_producers_date_wins_over_the_page() -> None:
    raw = make_raw_article(content=_page(after="<p>25.01.2022</p>"), content_type="html", url="https://example.de/rat",
                           published_at="2022-01-20T08:00:00Z")  # fmt: skip
    assert parse(raw).published_at == datetime(2022, 1, 20, 8, tzinfo=UTC)
