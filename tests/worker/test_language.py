"""language: a name written in another script does not decide the language of the text around it."""

from __future__ import annotations

import pytest

from worker.enrich import detect_language


@pytest.mark.parametrize("declared", ["en", None])
def test_a_katakana_name_in_english_text_leaves_it_english(declared: str | None) -> None:
    """An English post naming a Japanese game in katakana is English (corpus: AreWeAntiCheatYet's feed, taken
    for Japanese at 0.999 against the feed's declared English)."""
    title = "ヘブンバーンズレッド (Heaven Burns Red)"
    text = 'ヘブンバーンズレッド (Heaven Burns Red) was newly added and is "Broken"'
    assert detect_language(title, text, declared) == "en"


@pytest.mark.parametrize(
    ("title", "text", "language"),
    [
        # scrapinghub f105de6e63ca: Japanese with English product names and keys
        ("Kindle for PCをCtrl＋Alt＋Kのショートカットキーで立ち上がらなくする方法", "", "ja"),
        ("", "Kindleデスクトップアプリ Kindle for PC に関する話。", "ja"),
        ("苹果公司周二发布了新款iPhone 15 Pro Max和Apple Watch Series 9", "", "zh"),
        ("東京五輪マラソン札幌開催決定", "", "ja"),
        ("", "ソニー、新型プレイステーション PlayStation 5 Pro を発表", "ja"),
        ("Putin met Xi Jinping (Си Цзиньпин) in Moscow on Tuesday for talks on the war in Ukraine.", "", "en"),
    ],
)
def test_text_in_its_own_script_keeps_its_language(title: str, text: str, language: str) -> None:
    """Japanese and Chinese with Latin product names stay Japanese and Chinese; a name in Cyrillic in English
    text leaves it English."""
    assert detect_language(title, text) == language


@pytest.mark.parametrize(
    ("title", "text"),
    [
        # corpus feeds that declare English: frisk.space (taken for French at 0.55) and AreWeAntiCheatYet (a Chinese
        # game's name taken for Chinese)
        ("Ode to Element developers", "A rant on Matrix Element client"),
        (
            "江湖客栈-单人模式 (Journeyman's Inn)",
            '江湖客栈-单人模式 (Journeyman\'s Inn) was newly added and is "Broken"',
        ),
    ],
)
def test_the_declared_language_decides_a_short_sample_the_model_is_unsure_of(title: str, text: str) -> None:
    """Under 120 characters the model's guess below 0.9 is weaker evidence than the feed's declared language."""
    assert detect_language(title, text, "en-US") == "en"


def test_a_confident_short_sample_stands_against_the_declaration() -> None:
    """A short post the model is sure of keeps its language in a feed that declares another."""
    assert (
        detect_language("Lid Adviescollege", "Ik ben benoemd als lid van het Adviescollege ICT-toetsing.", "en") == "nl"
    )
