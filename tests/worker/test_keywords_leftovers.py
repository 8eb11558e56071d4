"""keywords: the verb forms the first lists left over. Portuguese and Spanish present forms of the verbs news reports
and moves with ("reclama", "sobe", "sube", "interrumpe") and a present form after a subject pronoun or a name
("Mujeres Populares denuncia"), while the same word after an article stays a noun ("una denuncia"); Italian
infinitives after "di", "per", "a" ("di ridurre", "per agire") and frequent finite forms ("dice", "spiega",
"rimane"), while "di carattere", "di mare" keep their nouns; French participles after "est", "sera", "sont" ("est
arrivé", "sera présenté") and imperfects ("donnait"), while "est député" keeps its noun."""

from __future__ import annotations

import pytest

from worker.keywords import extract_keywords


def _words(keywords: list[str]) -> set[str]:
    """Every word of every keyword, in lower case."""
    return {w.lower() for k in keywords for w in k.split()}


@pytest.mark.parametrize(
    ("language", "title", "text", "verbs", "nouns"),
    [
        (
            "pt",
            "Petrobras sobe o preço da gasolina",
            "A Petrobras sobe o preço da gasolina pela terceira vez. O sindicato reclama do reajuste e afirma que o "
            "preço sobe rápido demais. O sindicato reclama também do diesel, e a gasolina sobe de novo.",
            {"sobe", "reclama", "afirma"},
            {"Petrobras", "gasolina", "sindicato", "preço"},
        ),
        (
            "es",
            "El sindicato reclama un aumento",
            "El sindicato reclama un aumento salarial. La inflación sube cada mes y el gremio reclama paritarias. La "
            "inflación sube, el gremio reclama y el sindicato convoca un paro.",
            {"reclama", "sube"},
            {"sindicato", "inflación", "gremio"},
        ),
        (
            "es",
            "Ucrania interrumpe el paso de gas ruso a Europa",
            "Ucrania interrumpe el paso de gas ruso hacia Europa. Gazprom califica la medida de ilegal. El gas ruso "
            "llega a Europa por otros gasoductos, y Gazprom califica el paso de Ucrania como un riesgo.",
            {"interrumpe", "califica"},
            {"Ucrania", "Europa", "Gazprom", "gas ruso"},
        ),
    ],
)
def test_present_forms_are_no_keywords(language: str, title: str, text: str, verbs: set[str], nouns: set[str]) -> None:
    """Present forms of reporting and motion verbs are in no keyword; the nouns around them stay."""
    keywords = extract_keywords(title, text, language, limit=15)
    assert not verbs & _words(keywords), keywords
    assert nouns <= set(keywords), keywords


def test_a_present_form_after_a_name_or_a_pronoun_is_no_keyword() -> None:
    """ "denuncia" after a name and after "que" is a verb; the same word after "una" is a noun (next test)."""
    keywords = extract_keywords(
        "Mujeres Populares denuncia intentos de silenciarla",
        "La líder de la organización Mujeres Populares denuncia intentos del partido de silenciarla. La "
        "organización, que denuncia presiones desde hace meses, pidió apoyo a la comunidad. La organización "
        "pidió apoyo.",
        "es",
        limit=15,
    )
    assert "denuncia" not in _words(keywords), keywords
    assert {"Mujeres Populares", "organización"} <= set(keywords), keywords


def test_a_noun_shaped_like_a_present_form_stays() -> None:
    """ "denuncia" after an article, "demanda" after "la", "cuenta": nouns."""
    keywords = extract_keywords(
        "La Fiscalía recibe una denuncia",
        "La Fiscalía recibió una denuncia anónima. La denuncia llegó desde Panamá, y la demanda de los vecinos "
        "creció. Una nueva denuncia y la demanda siguen abiertas.",
        "es",
        limit=15,
    )
    assert {"denuncia", "demanda"} <= _words(keywords), keywords


def test_italian_infinitives_after_di_per_a_are_no_keywords() -> None:
    """ "agire" after "per" and "di", "scorrere" after "a", "ridurre" after "di": infinitives."""
    keywords = extract_keywords(
        "Il Climate Clock ha iniziato a scorrere",
        "Il Climate Clock ha iniziato a scorrere: sette anni è il tempo per agire. L'orologio ricorda l'urgenza di "
        "agire e di ridurre le emissioni. Gli attivisti chiedono di ridurre le emissioni e l'orologio continua a "
        "scorrere.",
        "it",
        limit=15,
    )
    assert not {"agire", "scorrere", "ridurre"} & _words(keywords), keywords
    assert {"orologio", "emissioni", "attivisti"} <= set(keywords), keywords


def test_italian_nouns_after_di_stay() -> None:
    """ "di carattere", "di mare", "di potere": nouns with an infinitive's ending."""
    keywords = extract_keywords(
        "Una questione di carattere",
        "Una questione di carattere politico: il carattere del ministro e la lotta di potere. Il potere e il mare: "
        "la città di mare vive del mare e del suo carattere.",
        "it",
        limit=15,
    )
    assert {"carattere", "mare", "potere"} <= set(keywords), keywords


def test_italian_finite_forms_are_no_keywords() -> None:
    """ "dice", "spiega", "afferma", "rimane" and participles after "sono", "hanno", "è stato" are no keywords."""
    keywords = extract_keywords(
        "Il ministro dice che il tempo rimane poco",
        "Il ministro dice che il tempo rimane poco, spiega il governo. Il ministro afferma che i fondi sono "
        "arrivati, e i sindaci hanno protestato. Il governo spiega che il decreto è stato firmato; il ministro dice "
        "che rimane poco tempo, afferma il sindaco. I sindaci hanno protestato, i fondi sono arrivati.",
        "it",
        limit=15,
    )
    assert not {"dice", "spiega", "afferma", "rimane", "arrivati", "protestato", "firmato"} & _words(keywords), keywords
    assert {"ministro", "governo", "sindaci", "fondi"} <= set(keywords), keywords


def test_french_participles_after_est_sera_sont_are_no_keywords() -> None:
    """ "arrivé" after "est", "présenté" after "sera", "annoncée" after "a été", "perdues" after "sont"; "député"
    after "est" is still a noun (it is written after "le" as often)."""
    keywords = extract_keywords(
        "Le projet sera présenté demain",
        "Le projet sera présenté demain au conseil. Le ministre est arrivé hier; la réforme a été annoncée au "
        "conseil. Des terres sont perdues chaque année. Le projet sera présenté, le ministre est arrivé, la réforme "
        "a été annoncée, des terres sont perdues. Le député est député depuis 2017, le député du conseil.",
        "fr",
        limit=15,
    )
    assert not {"présenté", "arrivé", "annoncée", "perdues"} & _words(keywords), keywords
    assert {"projet", "ministre", "réforme", "député", "conseil"} <= set(keywords), keywords


def test_french_imperfects_and_present_forms_are_no_keywords() -> None:
    """ "donnait", "occupe" are verbs; "portrait", "retrait" keep their nouns."""
    keywords = extract_keywords(
        "Jacques Chirac lui donnait un surnom",
        "Jacques Chirac lui donnait un surnom peu flatteur. Le pays occupe la dernière place, et Chirac donnait des "
        "ordres. Le portrait du ministre et son retrait: le pays occupe une place à part, le portrait, le retrait.",
        "fr",
        limit=15,
    )
    assert not {"donnait", "occupe"} & _words(keywords), keywords
    assert {"portrait", "retrait", "pays"} <= set(keywords), keywords
