"""entities: an oil benchmark named after a town ("Brent crude", "Dubai crude", "West Texas Intermediate") is no
mention of that town, while a country or a state before "crude" or "oil" is where the oil comes from."""

from __future__ import annotations

import pytest

from worker.entities import extract_entities
from worker.geo import countries_for

_OPEC_TITLE = "Oil prices jump as OPEC cuts output"
_OPEC_TEXT = (
    "Oil prices rose sharply on Monday after OPEC and its allies agreed to cut production by one million barrels a "
    "day, the group said in Vienna. Brent crude gained 4 percent. Analysts at Goldman Sachs said the move would "
    "tighten supply into the winter."
)


def _places(text: str) -> set[str]:
    return {e.name for e in extract_entities("", text, "en") if e.type == "place"}


def test_brent_crude_gives_no_british_country() -> None:
    """ "Brent crude" is the North Sea benchmark, not the London borough: the OPEC story is placed in Austria only."""
    found = extract_entities(_OPEC_TITLE, _OPEC_TEXT, "en")
    assert "Brent" not in {e.name for e in found if e.type == "place"}, found
    assert countries_for(found, _OPEC_TEXT, None, "en") == ["AT"]


@pytest.mark.parametrize(
    ("text", "benchmark"),
    [
        ("Prices eased. Brent crude rose 2 percent.", "Brent"),
        ("Prices eased. Brent futures rose 2 percent.", "Brent"),
        ("Prices eased. Brent oil futures rose 2 percent.", "Brent"),
        ("Prices eased. Brent oil prices rose 2 percent.", "Brent"),
        ("Prices eased. The Brent benchmark rose 2 percent.", "Brent"),
        ("Prices eased. Brent Crude rose 2 percent.", "Brent"),
        ("Prices eased. Dubai crude was flat.", "Dubai"),
        ("Prices eased. West Texas Intermediate crude fell 2 percent.", "West Texas"),
    ],
)
def test_a_benchmark_named_after_a_town_is_no_place(text: str, benchmark: str) -> None:
    """A town's name before a commodity noun ("crude", "futures", "blend", "oil prices") names the benchmark, and
    a grade written with a capital ("West Texas Intermediate", "Brent Crude") too: no place, no person."""
    found = {(e.name, e.type) for e in extract_entities("", text, "en")}
    assert not [name for name, kind in found if benchmark in name and kind in ("place", "person")], found


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("Prices eased. Texas oil fields are booming again.", "Texas"),
        ("Prices eased. Texas crude output rose.", "Texas"),
        ("Prices eased. Iraq crude exports rose.", "Iraq"),
        ("Prices eased. Alaska oil production fell.", "Alaska"),
        ("Prices eased. Workers in Brent voted to strike.", "Brent"),
        ("Prices eased. Houston oil firms hired again.", "Houston"),
    ],
)
def test_a_country_or_state_before_oil_stays_a_place(text: str, place: str) -> None:
    """A country or a state before "crude" or "oil" is where the oil comes from ("Texas oil fields", "Iraq crude
    exports"), and a town before "oil" and another noun is where the firms are: all stay places."""
    assert place in _places(text)
