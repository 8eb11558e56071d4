"""summary: a one- or two-word label ("Helpful link", "Präparat", "Today's Word") is no summary while a line that
says more follows it, however many labels stand between; a text of labels alone keeps its first."""

from __future__ import annotations

import pytest

from worker.summary import summarize


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        (  # feed 0b95497ece0172a0 ("PS2 FMCB Homebrew"): three labels before the first line of steps
            "Helpful link\n\nInstalling FMCB\n\nFreeMCBoot\n\nExtract files to USB\n\nINSTALL/\n\nlang/\n\n"
            "FMCBInstaller.elf",
            "en",
            "Extract files to USB",
        ),
        (  # trafilatura-eval gelbe-liste.de-chininum.html: a drug sheet's field labels
            "Präparat\n\nKennzeichen\n\nGebrauchsinformation\n\nKein Beipackzettel vom Hersteller bereitgestellt\n\n"
            "Fachinformation\n\nKeine Fachinformation zu diesem Präparat verfügbar",
            "de",
            "Kein Beipackzettel vom Hersteller bereitgestellt",
        ),
        (  # trafilatura-eval wordsmith.org-maudlin.html: a menu of labels above the site's appeal
            "Today's Word\n\nYesterday's Word\n\nArchives\n\nFAQ\n\nWe need your help Help us continue to spread the "
            "magic of words to readers everywhere Donate\n\n© 1994-2020 Wordsmith",
            "en",
            "We need your help Help us continue to spread the magic of words to readers everywhere Donate",
        ),
    ],
)
def test_a_line_after_several_labels_wins_over_them(text: str, language: str, expected: str) -> None:
    """The first line of three words or more is the summary, not the label above it."""
    assert summarize(text, language) == expected


def test_labels_alone_keep_the_first() -> None:
    """feed 6d28cf55da15a12d: "Slides", "Talk" and nothing else: the first label is all the text has."""
    assert summarize("Slides\n\nTalk", None) == "Slides"


def test_a_line_far_below_is_not_reached() -> None:
    """The look past labels is bounded: a page of forty labels (a menu) does not reach a line under them."""
    menu = "\n\n".join(f"Label {n}" for n in range(40))
    assert summarize(f"{menu}\n\nA line of several words at the very end", "en") == "Label 0"
