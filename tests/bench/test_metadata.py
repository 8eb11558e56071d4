"""bench/metadata.py: how titles, dates and authors are compared with the trafilatura-eval gold."""

from __future__ import annotations

from datetime import date

import pytest

from bench.metadata import author_names, day_of, score, title_key


def test_titles_compare_by_their_words() -> None:
    """Case, accents, quotes and punctuation aside, the words must be the same."""
    assert title_key("„Welches Europa wir wollen“") == title_key('"Welches Europa wir wollen"')
    assert title_key("Über uns") == title_key("uber UNS")
    assert title_key("Streit ums Feuerholz") != title_key("Streit ums Feuerholz - www.AussenGedanken.de")


@pytest.mark.parametrize(
    ("value", "names"),
    [  # gold and anchor authors of the corpus
        ("Von Roland Brockmann und Sebastian Drescher", {"roland brockmann", "sebastian drescher"}),
        ("Dr. Tim Loppe", {"tim loppe"}),
        ("Ibtisam Mahdi, Ruwaida Kamal Amer", {"ibtisam mahdi", "ruwaida kamal amer"}),
        ("Markus M. Haefliger; London; Beat Bumbacher", {"markus m haefliger", "london", "beat bumbacher"}),
        (["Raúl Espina"], {"raul espina"}),
        ("", set()),
        (None, set()),
    ],
)
def test_author_names(value: str | list[str] | None, names: set[str]) -> None:
    assert author_names(value) == names


def test_gold_dates_are_read_leniently() -> None:
    """A gold date with a typo in its separators still counts; no date is None."""
    assert day_of("2022-01.26") == date(2022, 1, 26)
    assert day_of("2019-10-16T08:00:00+02:00") == date(2019, 10, 16)
    assert day_of("") is None


def test_score_per_field() -> None:
    """A page scores only the fields it has gold for; authors match as a set, "any" on one name."""
    page = {"title": "Hope!", "date": date(2022, 5, 3), "date_checked": None,
            "author": {"isabel caro", "rocio latorre"}}  # fmt: skip
    row = score(page, ("Hope", date(2022, 5, 4), ["Isabel Caro"]))
    assert row["title"] and not row["date"] and row["date_near"]
    assert "date_checked" not in row
    assert not row["author"] and row["author_any"] and not row["author_wrong"]
    assert score(page, None)["title"] is False
