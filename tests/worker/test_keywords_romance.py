"""keywords: in Portuguese and Spanish a single keyword is a noun or a name, never a gerund ("usando"), an infinitive
("falar", "configurar") or a finite verb form ("vamos", "afirmou", "señaló"), and no phrase ends in one; nouns that
end as verbs do ("mundo", "comando", "mulher", "mar", "hogar", "dólar", "líder") and names ("Fernando") stay."""

from __future__ import annotations

import pytest

from worker.keywords import extract_keywords

# feed 6d28cf55da15a12d ("Criando um novo branch e mudando pra ele com apenas um comando"), its opening paragraphs.
_BRANCH_TITLE = "Criando um novo branch e mudando pra ele com apenas um comando"
_BRANCH_TEXT = (
    "Toda vez que você cria um branch novo no Git você precisa mudar para esse branch antes de fazer um commit. Nessa "
    "colinha eu vou te mostrar o meu atalho favorito para criar um branch e mudar para ele tudo ao mesmo tempo.\n\n"
    "Formas tradicionais de criar um branch\n\nNo Git é possível criar um branch. E mudar para ele usando a sequência "
    "de comandos a seguir:\n\ngit branch ramo-1\n\ngit checkout ramo-1\n\nComo você pode ver na imagem abaixo:\n\n"
    "Atalhos para criar branches e trocar de branch ao mesmo tempo\n\nNão tem nada errado com essas duas sequências "
    "de comandos mostradas anteriormente, mas existem dois atalhos para obter o mesmo resultado usando apenas um "
    "comando. O primeiro usando o git checkout seguido da flag -b:\n\ngit checkout -b ramo-3\n\nE se você preferir "
    "usar o comando git switch temos o seguinte atalho usando a flag -c:\n\ngit switch -c ramo-4\n\nAgora você sabe "
    "dois atalhos para criar um branch e mudar pra ele. Qual desses você vai adotar?"
)
# trafilatura-eval correiobraziliense.com.br-poderes.html, its opening paragraphs.
_POWERS_TITLE = "Pacheco e Fux tentam uma trégua institucional entre os Poderes"
_POWERS_TEXT = (
    "Em busca de uma solução para a crise entre os Poderes, o presidente do Senado, Rodrigo Pacheco (PSD-MG), se "
    "reuniu, na tarde de ontem, com o presidente do Supremo Tribunal Federal (STF), ministro Luiz Fux. O parlamentar "
    "reforçou o apoio e o respeito do Congresso Nacional à Corte, diante dos sucessivos ataques do presidente Jair "
    "Bolsonaro (PL).\n\nO encontro durou 45 minutos e aconteceu na presidência do STF. Na saída, Pacheco conversou "
    "com os jornalistas e reiterou a busca pelo diálogo entre os Poderes. Ele destacou o papel moderador do "
    'Legislativo.\n\nPacheco afirmou que o encontro com Fux se deu pela "necessidade da manutenção do diálogo e da '
    'relação entre o Congresso Nacional e o Supremo Tribunal Federal".\n\nPerguntado sobre a lisura do pleito deste '
    'ano, o senador demonstrou preocupação. Afirmou que as eleições não podem ser usadas para "arroubos '
    'antidemocráticos" em favor do fechamento do STF.'
)
_VERBS = {
    "criando", "mudando", "usando", "mudar", "criar", "fazer", "mostrar", "trocar", "obter", "preferir", "usar",
    "temos", "vamos", "falar", "conferir", "afirmou", "reforçou", "durou", "conversou", "reiterou",
    "destacou", "demonstrou", "afirmó", "señaló", "informó", "haciendo", "hacer", "tener", "generar", "investigar",
}  # fmt: skip


def _verbs_in(keywords: list[str]) -> list[str]:
    return [k for k in keywords if k.split()[-1].lower() in _VERBS]


@pytest.mark.parametrize(
    ("title", "text", "language"),
    [
        (_BRANCH_TITLE, _BRANCH_TEXT, "pt"),
        # feed 6d28cf55da15a12d: the whole item
        ("Vamos falar sobre JWT", "Você consegue conferir a palestra na íntegra aqui:", "pt"),
        (_POWERS_TITLE, _POWERS_TEXT, "pt"),
    ],
)
def test_portuguese_verbs_are_no_keywords(title: str, text: str, language: str) -> None:
    """Gerunds, infinitives and finite forms are no keyword alone nor a phrase's last word, also written with the
    title's capital ("Criando", "Vamos")."""
    keywords = extract_keywords(title, text, language, limit=15)
    assert not _verbs_in(keywords), keywords
    assert keywords, keywords


def test_portuguese_topics_stay() -> None:
    """The branch story keeps its nouns: "branch", "atalhos"; the powers story "Rodrigo Pacheco", "STF"."""
    assert {"branch", "atalhos"} <= set(extract_keywords(_BRANCH_TITLE, _BRANCH_TEXT, "pt", limit=15))
    assert {"Rodrigo Pacheco", "STF"} <= set(extract_keywords(_POWERS_TITLE, _POWERS_TEXT, "pt", limit=15))


def test_spanish_verbs_are_no_keywords() -> None:
    """Spanish preterites ("afirmó", "señaló"), gerunds ("haciendo") and infinitives ("investigar") are no keywords."""
    text = (
        "El fiscal afirmó que la causa sigue abierta. La fiscalía señaló que investigar el caso llevará meses. "
        "El ministro informó que el gobierno está haciendo todo lo posible. El fiscal afirmó además que la causa "
        "tiene pruebas; la fiscalía señaló nuevas pruebas. Investigar la causa y investigar al ministro, haciendo "
        "lo necesario, informó la fiscalía."
    )
    keywords = extract_keywords("La fiscalía afirmó que investigar la causa llevará meses", text, "es", limit=15)
    assert not _verbs_in(keywords), keywords
    assert {"fiscalía", "causa"} <= set(keywords), keywords


@pytest.mark.parametrize(
    ("language", "title", "text", "noun"),
    [
        ("pt", "O mundo digital", "O mundo mudou. No mundo inteiro o digital cresce, e o mundo acompanha.", "mundo"),
        (
            "pt",
            "Um comando novo",
            "O comando lista arquivos. Use o comando com a flag, e o comando mostra tudo.",
            "comando",
        ),
        ("pt", "A mulher do ano", "A mulher venceu. A mulher foi premiada e a mulher discursou.", "mulher"),
        ("es", "El mar Caribe", "El mar subió. En el mar había barcos y el mar quedó en calma.", "mar"),
        ("es", "Un hogar nuevo", "El hogar fue cerrado. En el hogar había niños y el hogar quedó vacío.", "hogar"),
        ("es", "Sube el dólar", "El dólar subió. El dólar cerró alto y el dólar sigue caro.", "dólar"),
        ("es", "El líder opositor", "El líder habló. El líder pidió calma y el líder se fue.", "líder"),
    ],
)
def test_nouns_that_end_as_verbs_stay(language: str, title: str, text: str, noun: str) -> None:
    """Nouns with a verb's ending stay keywords: listed ("mundo", "mar", "hogar") or accented ("dólar", "líder")."""
    assert noun in {k.lower() for k in extract_keywords(title, text, language, limit=15)}


def test_names_that_end_as_verbs_stay() -> None:
    """A known name keeps any ending: "Fernando", "Salazar"."""
    text = "Fernando Salazar ganó. Fernando habló con la prensa y Salazar celebró. Fernando Salazar viaja hoy."
    keywords = extract_keywords("Fernando Salazar gana", text, "es", limit=15)
    assert "Fernando Salazar" in keywords or {"Fernando", "Salazar"} <= set(keywords), keywords
