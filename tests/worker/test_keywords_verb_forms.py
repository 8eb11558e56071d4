"""keywords: verb forms that no ending gives away are no keywords. Portuguese and Spanish finite forms of the
frequent verbs of news prose ("disse", "precisa", "necesita"), and an infinitive or a participle after a modal or an
auxiliary ("precisa ser revisto", "deve ridurre"); French infinitives in "-ir", "-re", "-oir" and finite forms
("agir", "construire", "faut"), while the French nouns with those endings stay ("avenir", "ministre", "guerre"); an
English verb or preposition that opens a headline or a sentence before a name ("Meet Thailand", "Inside Google") is
no part of the name, and no keyword alone."""

from __future__ import annotations

import pytest

from worker.keywords import extract_keywords


def _words(keywords: list[str]) -> set[str]:
    """Every word of every keyword, in lower case."""
    return {w.lower() for k in keywords for w in k.split()}


def test_portuguese_finite_verbs_and_participles_are_no_keywords() -> None:
    """ "precisa", "disse" are in no keyword ("governo precisa" was one); "revisto" after "ser" is a participle."""
    keywords = extract_keywords(
        "Governo precisa de recursos",
        "O governo precisa de mais recursos, disse o ministro. O ministro disse que o orçamento precisa ser revisto.",
        "pt",
    )
    assert not {"precisa", "disse", "revisto"} & _words(keywords), keywords
    assert {"governo", "recursos", "ministro", "orçamento"} <= set(keywords), keywords


def test_spanish_finite_verbs_and_participles_are_no_keywords() -> None:
    """ "necesita", "afirmó" are in no keyword ("gobierno necesita" was one); "revisado" after "ser" is a participle."""
    keywords = extract_keywords(
        "El gobierno necesita recursos",
        "El gobierno necesita más recursos, afirmó el ministro. El ministro dijo que el presupuesto necesita ser "
        "revisado.",
        "es",
    )
    assert not {"necesita", "afirmó", "dijo", "revisado"} & _words(keywords), keywords
    assert {"gobierno", "recursos", "ministro", "presupuesto"} <= set(keywords), keywords


def test_futures_are_no_keywords() -> None:
    """Futures by their ending ("continuará", "recibirá"); a short word with that ending is a noun ("verão")."""
    keywords = extract_keywords(
        "El juicio continuará",
        "El juicio continuará el lunes. El tribunal recibirá a los testigos, y el juicio continuará en verano. El "
        "tribunal recibirá pruebas.",
        "es",
        limit=15,
    )
    assert not {"continuará", "recibirá"} & _words(keywords), keywords
    assert {"juicio", "tribunal"} <= set(keywords), keywords
    keywords = extract_keywords("O verão chega", "O verão começa. No verão a praia enche, e o verão termina.", "pt")
    assert "verão" in keywords, keywords


@pytest.mark.parametrize(
    ("language", "title", "text", "nouns"),
    [
        # Nouns with a participle's ending, after an article most of the time: "resultado", "mercado", "partido".
        (
            "pt",
            "O mercado e o resultado",
            "O mercado reagiu ao resultado das contas. O partido disse que o mercado foi ouvido e o resultado agradou. "
            "O partido precisa do mercado, e o resultado do partido.",
            {"mercado", "resultado", "partido"},
        ),
        # "imposto" is a participle after "foi" once, and the topic (a tax) everywhere else.
        (
            "pt",
            "O imposto sobe",
            "O imposto sobe em janeiro. O imposto foi imposto pelo governo, e o imposto vai pesar no bolso.",
            {"imposto"},
        ),
        # A participle's ending under an accent no participle bears: "dívida" after "tem", "há".
        (
            "pt",
            "Governo tem dívida",
            "O governo tem dívida alta. Há dívida demais, e o governo tem dívida com os bancos.",
            {"dívida", "governo"},
        ),
        # Irregular forms that are nouns too: "vino" (wine), "Aberto" (an open, in tennis), "eleito" after a noun.
        ("es", "El vino crece", "El vino crece. Las ventas de vino suben y el vino gana mercados.", {"vino"}),
        (
            "pt",
            "Presidente eleito visita o Aberto",
            "O presidente eleito foi ao Aberto. O Aberto recebeu o presidente eleito, e o Aberto lotou.",
            {"presidente eleito", "Aberto"},
        ),
        (
            "es",
            "El mercado y el partido",
            "El mercado cayó. El partido dijo que el mercado fue escuchado. El partido pidió calma al mercado.",
            {"mercado", "partido"},
        ),
    ],
)
def test_nouns_that_look_like_participles_stay(language: str, title: str, text: str, nouns: set[str]) -> None:
    keywords = extract_keywords(title, text, language, limit=15)
    assert nouns <= set(keywords), keywords


def test_french_infinitives_and_finite_forms_are_no_keywords() -> None:
    """ "agir" after "doit", "construire" after "faut", "choisir" and "réduire" (frequent verbs) and "faut" itself."""
    keywords = extract_keywords(
        "Le gouvernement doit agir",
        "Le gouvernement doit agir et choisir une stratégie. Il faut construire des logements et réduire les dépenses, "
        "dit le ministre.",
        "fr",
    )
    assert not {"agir", "choisir", "construire", "réduire", "faut"} & _words(keywords), keywords
    assert {"gouvernement", "stratégie", "logements", "dépenses", "ministre"} <= set(keywords), keywords


def test_french_infinitive_after_a_modal_is_no_keyword() -> None:
    """An infinitive no list holds is a verb after a modal or "pour": "ralentir", "rejoindre", "franchir"."""
    keywords = extract_keywords(
        "L'inflation doit ralentir",
        "L'inflation doit ralentir cette année. La banque veut ralentir les prix. Le pays pourra rejoindre "
        "l'accord pour franchir le cap, et rejoindre la zone euro.",
        "fr",
        limit=15,
    )
    assert not {"ralentir", "rejoindre", "franchir"} & _words(keywords), keywords
    assert {"inflation", "banque", "prix"} <= set(keywords), keywords


def test_french_participles_after_an_auxiliary_are_no_keywords() -> None:
    """ "nommé" after "été", "décidé" after "ont" are participles; "député" after "est", "droit" after "ont", "compte
    rendu" nouns."""
    keywords = extract_keywords(
        "Le député a été nommé",
        "Le député a été nommé ministre. Les élus ont décidé de voter, et le député est député depuis 2017. Les "
        "élus ont décidé, ils ont droit au vote; le droit de vote, le droit des élus. Le compte rendu du vote: un "
        "compte rendu des élus.",
        "fr",
        limit=15,
    )
    assert not {"nommé", "décidé"} & _words(keywords), keywords
    assert {"député", "droit", "élus", "compte rendu"} <= set(keywords), keywords


def test_french_nouns_in_ir_and_re_stay() -> None:
    """Nouns ending as infinitives do stay, also after "pour" when elided ("pour l'avenir")."""
    text = (
        "Le ministre parle de l'avenir du théâtre. Pour l'avenir, le ministre veut un centre culturel, un désir "
        "ancien. Le souvenir de la guerre hante l'empire; une lettre à la frontière rappelle la guerre. Le loisir et "
        "le théâtre, le centre et la lettre: l'avenir, le désir, le souvenir, l'empire, la frontière, le loisir."
    )
    keywords = extract_keywords("Le ministre et l'avenir du théâtre", text, "fr", limit=20)
    nouns = {"avenir", "désir", "loisir", "souvenir", "empire", "ministre", "théâtre", "centre", "guerre", "frontière"}
    assert nouns <= set(keywords), keywords


def test_italian_infinitive_after_a_modal_is_no_keyword() -> None:
    """ "ridurre" after "deve" is an infinitive ("governo", "tasse", "ministro" stay)."""
    keywords = extract_keywords(
        "Il governo deve ridurre le tasse", "Il governo deve ridurre le tasse, ha detto il ministro.", "it"
    )
    assert "ridurre" not in _words(keywords), keywords
    assert {"governo", "tasse", "ministro"} <= set(keywords), keywords


def test_participles_after_an_auxiliary_are_no_keywords() -> None:
    """Regular and irregular participles after an auxiliary: "firmato", "approvato", "deciso"; "preso" (a noun too,
    "o preso", so only after one)."""
    keywords = extract_keywords(
        "Il ministro ha firmato il decreto",
        "Il ministro ha firmato il decreto. Il decreto è stato approvato dal governo, che ha deciso in fretta.",
        "it",
    )
    assert not {"firmato", "approvato", "deciso"} & _words(keywords), keywords
    assert {"decreto", "ministro", "governo"} <= set(keywords), keywords
    keywords = extract_keywords(
        "Suspeito foi preso", "O suspeito foi preso ontem. A polícia disse que o suspeito foi preso em casa.", "pt"
    )
    assert "preso" not in _words(keywords), keywords
    assert {"suspeito", "polícia"} <= set(keywords), keywords


@pytest.mark.parametrize(
    ("title", "text", "name", "opener"),
    [
        (
            "Meet Thailand",
            "Meet Thailand, the country that wants to host the next Olympics. Thailand has been preparing for years.",
            "Thailand",
            "meet",
        ),
        (
            "Inside Google",
            "Inside Google, the company that runs the largest search engine. Google has been growing for years.",
            "Google",
            "inside",
        ),
        (
            "Introducing Gemini",
            "Introducing Gemini, the model that Google built for everyone. Gemini can read and write code.",
            "Gemini",
            "introducing",
        ),
        (
            "Watch Biden",
            "Watch Biden speak at the rally in Ohio. Biden told voters that jobs come first.",
            "Biden",
            "watch",
        ),
        (
            "Watch: Biden speaks in Ohio",
            "Watch Biden speak at the rally in Ohio. Biden told voters that jobs come first.",
            "Biden",
            "watch",
        ),
    ],
)
def test_an_opening_verb_is_no_part_of_a_name(title: str, text: str, name: str, opener: str) -> None:
    keywords = extract_keywords(title, text, "en")
    assert name in keywords, keywords
    assert opener not in _words(keywords), keywords


@pytest.mark.parametrize(
    ("title", "text", "name"),
    [
        (
            "Human Rights Watch report",
            "Human Rights Watch said the army killed civilians. Human Rights Watch asked for an inquiry.",
            "Human Rights Watch",
        ),
        ("Apple Watch sales", "The Apple Watch sold well, and the Apple Watch leads the market.", "Apple Watch"),
        # Written with a capital inside a sentence: a programme's name.
        (
            "Inside Edition airs",
            "Fans watched Inside Edition on Friday. The host of Inside Edition spoke to fans.",
            "Inside Edition",
        ),
    ],
)
def test_names_holding_an_opening_verb_stay(title: str, text: str, name: str) -> None:
    keywords = extract_keywords(title, text, "en")
    assert name in keywords, keywords


def test_an_opening_word_used_mostly_in_lower_case_is_an_ordinary_word() -> None:
    """ "Watch sales rose … the watch market": a sentence opens with the word once, the article uses it in lower case
    throughout; it is no name's word and stays a keyword of its own."""
    text = (
        "Watch sales rose sharply this year. The watch market grew as every watch maker raised prices. Collectors "
        "bought a watch a month, and the watch industry expects more. Swiss watch exports hit a record."
    )
    keywords = extract_keywords("Watch makers raise prices", text, "en")
    assert "watch" in keywords, keywords
    assert not [k for k in keywords if k.startswith("Watch ")], keywords
