"""inbox: Central European text in ISO-8859-2 or Windows-1250 is read in the encoding it was written in.

The two agree on most letters and differ where Czech, Slovak, Slovenian and Croatian are densest: "š" and "ž" are
bytes 0xB9 and 0xBE in ISO-8859-2, and the same bytes are "ą" and "ľ" in Windows-1250 (where "š" and "ž" are 0x9A
and 0x9E, C1 controls in ISO-8859-2). The sentences are written for these tests.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from structlog.testing import capture_logs

from producers.inbox import read_file

# Each has "š", "ž" or "ľ", which the two encodings place differently; short, as a brief or a caption is, where
# the detector has the fewest letters to go on.
SENTENCES = {
    "cs": "Ministr zahraničí v úterý řekl, že vláda podpoří žádost sousedních zemí.",
    "cs-few": "Vývojáři systému byli příliš líní na to, aby této zprávě dali podrobnější popis.",
    "cs-caps": "Škola v Žatci zůstane zavřená až do září, oznámil starosta.",
    "sk": "Žiadosť o štátnu podporu podalo viac ľudí, než sa čakalo, povedal v piatok minister.",
    "sk-lj": "Ľudia v meste boli s novým mostom spokojní, povedal primátor na stretnutí s obyvateľmi.",
    "sl": "Vlada je v četrtek sprejela sklep o višji pomoči za kmete, ki jih je prizadela suša.",
    "hr": "Gradsko vijeće odlučilo je da će škola u Đakovu biti obnovljena do jeseni.",
    "pl": "Łódź: prezydent miasta otworzył nowy most, a mieszkańcy świętowali przez cały weekend.",
    "ro": "Primarul a inaugurat podul în weekend, iar locuitorii au sărbătorit până târziu în piaţa centrală.",
}


def _decoded(tmp_path: Path, text: str, encoding: str) -> tuple[str, str]:
    path = tmp_path / "story.txt"
    path.write_bytes(text.encode(encoding))
    with capture_logs() as logs:
        result = read_file(path, "tests", 1 << 20, 1000)
    assert result.refusals == []
    [entry] = [e for e in logs if e["event"] == "inbox_encoding_detected"]
    return result.articles[0].content, entry["encoding"]


@pytest.mark.parametrize("language", list(SENTENCES))
@pytest.mark.parametrize("encoding", ["iso8859_2", "cp1250"])
def test_central_european_text_is_read_in_the_encoding_it_was_written_in(
    tmp_path: Path, language: str, encoding: str
) -> None:
    """Czech in ISO-8859-2 came out as Windows-1250 ("ąkola", "ľádost" for "škola", "žádost"): both readings
    hold only letters, and nothing told them apart. The reading whose letters are all of one language's
    alphabet wins; Windows-1250 text still reads as Windows-1250."""
    text = SENTENCES[language]
    decoded, detected = _decoded(tmp_path, text, encoding)
    assert decoded == text
    assert detected == encoding or text.encode(encoding).decode(detected) == text  # Romanian reads alike in both


@pytest.mark.parametrize(("text", "encoding"), [
    ("ELEIÇÕES MUNICIPAIS ORÇAMENTO PÚBLICO EDUCAÇÃO SAÚDE", "cp1252"),  # a site's menu, as corpus pages have
    ("O município de São João inaugurou a nova ponte, que custou 3,5 milhões, disse o presidente da câmara.",
     "cp1252"),
    ("Le maire a inauguré le pont mercredi ; « c’est une fête », a déclaré le maître d’hôtel, très ému.", "cp1252"),
    ("A fővárosban a polgármester átadta az új hidat, és további fejlesztéseket ígért a kerületeknek.", "cp1250"),
])  # fmt: skip
def test_western_and_other_central_european_text_keeps_its_encoding(tmp_path: Path, text: str, encoding: str) -> None:
    """Portuguese "Ã"/"Õ" are Romanian "Ă" and Hungarian "Ő" in Windows-1250, which 8 of 150 Portuguese corpus
    paragraphs in Windows-1252 were read in ("ELEIÇŐES"): a reading's letters must all be one language's, so
    the Western reading stays, and Hungarian keeps its "ő"."""
    assert _decoded(tmp_path, text, encoding)[0] == text


@pytest.mark.parametrize(("language", "encoding"), [("cs", "iso8859_2"), ("pl", "cp1250"), ("sk-lj", "cp1250")])
def test_a_page_whose_head_is_long_is_read_in_the_encoding_of_its_text(
    tmp_path: Path, language: str, encoding: str
) -> None:
    """A page without a charset whose head (scripts, styles, navigation) fills its first kilobytes: the language
    its letters are weighed for is that of its text, not of its markup."""
    head = (
        "<head><title>News</title><style>" + "body { margin: 0; padding: 0; color: #333; }\n" * 80 + "</style></head>"
    )
    page = f"<html>{head}<body><article><p>{SENTENCES[language]}</p></article></body></html>"
    path = tmp_path / "page.html"
    path.write_bytes(page.encode(encoding))
    result = read_file(path, "tests", 1 << 20, 1000)
    assert result.refusals == [] and SENTENCES[language] in result.articles[0].content
