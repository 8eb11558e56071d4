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


@pytest.mark.parametrize("declared", ["en-us", None])
def test_a_chinese_name_in_english_text_leaves_it_english(declared: str | None) -> None:
    """An English line naming a Chinese game (the name twice: in the title and in the text) is English, as a
    katakana name is (corpus: AreWeAntiCheatYet's feed, taken for Chinese against its declared English)."""
    title = "生死狙击：战火重燃（国际版）"
    text = '生死狙击：战火重燃（国际版） was newly added and is "Broken"'
    assert detect_language(title, text, declared) == "en"


@pytest.mark.parametrize(
    ("title", "text", "language"),
    [
        (
            "苹果发布 iPhone 16 Pro Max",
            "苹果公司周二在加利福尼亚州库比蒂诺发布了新款 iPhone 16 Pro Max 和 Apple Watch。",
            "zh",
        ),
        ("", "华为 Mate 60 Pro 在中国市场的销量超过了 Apple iPhone 15 Pro Max", "zh"),
        (  # trafilatura-eval chineselyrics4u.com: lyrics with their pinyin, which reads as Swahili at 0.53
            "Zhi Neng Xiang Nian Ni - Jam Hsiao Jing Teng (只能想念你 - 蕭敬騰)",
            "爱 逝去的爱 讨不回来\n\nAi shi qu de ai tao bu hui lai\n\n我还有话想对你说\n\nWo hai you hua xiang dui ni shuo\n\n"
            "舍不得说 来不及说\n\nShe bu de shuo lai bu ji shuo\n\n离别的话最难说出口\n\nLi bie de hua zui nan shuo chu kou",
            "zh",
        ),
    ],
)
def test_chinese_text_with_english_product_names_stays_chinese(title: str, text: str, language: str) -> None:
    """Chinese prose naming English products, or printed with its pinyin, is Chinese."""
    assert detect_language(title, text) == language
