"""parse: what a newsroom reader saw wrong in parsed articles of the corpus pages, each as a minimal page."""

from __future__ import annotations

import pytest

from tests.helpers import make_raw_article
from worker.parse import parse

_PARAGRAPH = " ".join(["The council approved the new budget after a long debate on Tuesday evening."] * 6)


def _page(byline: str = "", head: str = "", after: str = "") -> str:
    return (f"<html><head><title>Council approves budget</title>{head}</head><body><article>"
            f"<h1>Council approves budget</h1>{byline}<p>{_PARAGRAPH}</p><p>{_PARAGRAPH}</p>{after}"
            "</article></body></html>")  # fmt: skip


@pytest.mark.parametrize(
    ("byline", "head", "authors"),
    [
        # quantamagazine.org: the byline block holds the date, whose digits trafilatura drops ("Carrie Arnold
        # November")
        ('<div class="post__byline"><h6><em>By </em><a href="/authors/carrie-arnold/">Carrie Arnold</a></h6>'
         "<p><em>November 15, 2019</em></p></div>", "", ["Carrie Arnold"]),
        # detroitnews.com: a desk, then the publication time ("Detroit News wire services Published")
        ('<div class="byline-section"><div class="attribution"><span class="author"></span>'
         '<span class="publication">Detroit News wire services</span></div>'
         '<div class="publish-date">Published 11:11 PM EST Nov 19, 2019</div></div>', "", []),
        # news.sky.com: the role after the name is two words ("Tom Gillespie News")
        ('<div class="sdc-article-author"><h3 class="sdc-article-author__name"><a>Tom Gillespie</a></h3>'
         '<p class="sdc-article-author__role">News reporter <a>@TomGillespie1</a></p></div>', "",
         ["Tom Gillespie"]),
        # cnn.com: a kind of piece before "by", a hyphenated role after the outlet
        ("", '<meta name="author" content="Analysis by Chris Cillizza, CNN Editor-at-large">', ["Chris Cillizza"]),
        # wday.ru: the Russian label "Текст" (text) before the name
        ("", '<meta name="author" content="Текст Венера Ерофеева">', ["Венера Ерофеева"]),
    ],
)  # fmt: skip
def test_bylines_lose_their_dates_roles_and_labels(byline: str, head: str, authors: list[str]) -> None:
    assert parse(make_raw_article(content=_page(byline, head), content_type="html")).authors == authors


@pytest.mark.parametrize(
    "nag",
    [
        "Get the latest updates right in your inbox. Subscribe to NJ.com's newsletters.",  # nj.com
        "Subscribe to 9to5Mac on YouTube for more Apple news:",  # 9to5mac.com
        "You may also like:",  # theantijunecleaver.com
        "Explore further",  # phys.org
        # trafilatura-eval pages: links to other stories in the languages of the corpus, and their headings
        "Lea también: Impiden ingreso a Nicaragua a reportero y camarógrafo estadounidense",  # 100noticias.com
        "LE PUEDE INTERESAR: La ficha de Juan Orlando Hernández en el MDC de Nueva York",  # elheraldo.hn
        "PUEDES VER: ¿Qué es la Sunedu, cómo está conformada y para qué sirve?",  # larepublica.pe
        "Auch lesen: Diese 3 Sternzeichen verschenken ihr Herz an den Falschen",  # gofeminin.de
        "Lesen Sie auch die folgenden Beiträge:",  # hrjournal.de
        "NOTAS RELACIONADAS",  # larepublica.net
        "Contenido Relacionado",  # elfaro.net
        "Empfohlene Beiträge",  # digitale-exzellenz.de
        "Schon gelesen?",  # aerobuzz.de
        "Auch interessant:",  # basicthinking.de
        "Teilen Sie dies mit:",  # mitundvoneinander.com
        "Never miss the latest news by signing up to our newsletter today!",  # corkbeo.ie
    ],
)
def test_the_pages_nags_after_the_story_are_not_text(nag: str) -> None:
    parsed = parse(make_raw_article(content=_page(after=f"<p>{nag}</p>"), content_type="html"))
    assert parsed.text.endswith("Tuesday evening.")


@pytest.mark.parametrize(
    "prose",
    [
        "Auch lesen lernen Kinder heute später als früher, sagt die Studie der Universität.",
        "Get the latest figures from the council's report, published on Monday, before the vote.",
        "Explore further afield and the valley opens onto the lake where the council plans a new park.",
        "Lea también el informe completo, que la comisión publicará el lunes en su sitio web.",
    ],
)
def test_prose_that_starts_like_a_nag_stays(prose: str) -> None:
    parsed = parse(make_raw_article(content=_page(after=f"<p>{prose}</p>"), content_type="html"))
    assert parsed.text.endswith(prose)


@pytest.mark.parametrize(
    ("byline", "head", "authors"),
    [
        # ad-magazin.de, faz.net, gala.fr: the publishing house in <meta name="author">, the people elsewhere
        ("", '<meta name="author" content="Condé Nast"><meta property="article:author" '
         'content="Fiona Bornhöft,Mariam Hofbeck">', ["Fiona Bornhöft", "Mariam Hofbeck"]),
        ("", '<meta name="author" content="Frankfurter Allgemeine Zeitung GmbH"><script type="application/ld+json">'
         '{"@context": "http://schema.org", "@type": "NewsArticle", "author": {"@type": "Person", '
         '"name": "Benjamin Fischer und Marcus Theurer"}}'
         "</script>", ["Benjamin Fischer", "Marcus Theurer"]),
        # paginasiete.bo: an HTML entity in JSON-LD ("Redacci&oacute;n"), cut in three at its ";" by trafilatura
        ("", '<script type="application/ld+json">{"@context": "http://schema.org", "@type": "NewsArticle", '
         '"author": {"@type": "Person", '
         '"name": "Redacci&oacute;n Diario Pagina Siete"}}</script>', ["Redacción Diario Pagina Siete"]),
        # deutschlandfunk.de: an interview's two names
        ('<p class="author">Richard David Precht im Gespräch mit Karin Fischer</p>', "",
         ["Richard David Precht", "Karin Fischer"]),
        # phillyvoice.com: the site's name before the role ("Adam Aaronson PhillyVoice")
        ('<div class="author"><span class="by">By</span> <a class="author-name" href="/staff/adam-aaronson/">'
         'Adam Aaronson</a><br><span class="author-staff">PhillyVoice Staff</span></div>',
         '<meta property="og:site_name" content="PhillyVoice">', ["Adam Aaronson"]),
        # focus.de: the author's title joined to the name ("FOCUS-Online-Experte Robin Tschöpe")
        ("", '<meta name="author" content="FOCUS-Online-Experte Robin Tschöpe">', ["Robin Tschöpe"]),
        # latercera.com: the reading time after the name
        ('<div class="author"><div class="name">José Miguel Wilson</div>'
         "<span>Tiempo de lectura: 8 minutos</span></div>", "", ["José Miguel Wilson"]),
        # a lone publisher stays: it is what the page names; so does one beside no person's name (alpin.de), or
        # beside the rest of its own legal form, which trafilatura splits at "&" (haufe.de)
        ("", '<meta name="author" content="Frankfurter Allgemeine Zeitung GmbH">',
         ["Frankfurter Allgemeine Zeitung GmbH"]),
        ("", '<meta name="author" content="Olympia-Verlag GmbH, Nürnberg">', ["Olympia-Verlag GmbH", "Nürnberg"]),
        ("", '<meta name="author" content="Haufe-Lexware GmbH &amp; Co. KG">', ["Haufe-Lexware GmbH", "Co KG"]),
    ],
)  # fmt: skip
def test_bylines_name_the_people_not_the_publisher(byline: str, head: str, authors: list[str]) -> None:
    assert parse(make_raw_article(content=_page(byline, head), content_type="html")).authors == authors


def test_a_headline_after_the_sites_whole_name_loses_it() -> None:
    """linknaija.com: the site's name (a name and a motto) before the headline of every page."""
    site = "LinkNaija | Nigeria's popular news platform"
    head = (f'<meta property="og:site_name" content="{site}">'
            f'<meta property="og:title" content="{site}: Nollywood Actress, Kate Henshaw Is Looking Stunning">')  # fmt: skip
    parsed = parse(make_raw_article(content=_page(head=head), content_type="html"))
    assert parsed.title == "Nollywood Actress, Kate Henshaw Is Looking Stunning"


def test_a_site_named_by_its_address_is_named_by_its_host() -> None:
    """hawaiinewsnow.com names itself "https://www.hawaiinewsnow.com" in og:site_name."""
    head = '<meta property="og:site_name" content="https://www.hawaiinewsnow.com">'
    assert parse(make_raw_article(content=_page(head=head), content_type="html")).source_name == "hawaiinewsnow.com"


@pytest.mark.parametrize(
    ("byline", "names"),
    [
        ("STEVE PEOPLES", ["Steve Peoples"]),  # sfgate.com, an AP story
        ("FEDERICA LUSIARDI", ["Federica Lusiardi"]),  # inexhibit.com
        ("MARY O'CONNOR-MCDONALD", ["Mary O'Connor-McDonald"]),
        ("Jing Xuan TENG", ["Jing Xuan TENG"]),  # a surname in capitals beside the given name: as written
        ("NATURSTROM AG", ["NATURSTROM AG"]),  # energiezukunft.eu: a company, as written
    ],
)
def test_a_byline_in_capitals_reads_as_a_name(byline: str, names: list[str]) -> None:
    head = f'<meta name="author" content="{byline}">'
    assert parse(make_raw_article(content=_page(head=head), content_type="html")).authors == names


def test_an_article_body_in_several_parts_is_read_whole() -> None:
    """wired.com (and the other Condé Nast sites) cut the article's body into several containers of the same
    class between ad rows; trafilatura reads the first container only, and half of the story was lost."""
    part = '<div class="grid--item body body__container article__body grid-layout__content">{}</div>'
    first = "".join(f"<p>Instagram began testing hiding like counts, paragraph {i}. {_PARAGRAPH}</p>" for i in (1, 2))
    second = "".join(f"<p>I learned that a dozen people tapped on a profile, paragraph {i}. {_PARAGRAPH}</p>"
                     for i in (3, 4))  # fmt: skip
    page = ("<html><head><title>Chasing Instagram Analytics</title></head><body><article>"
            f"<h1>Chasing Instagram Analytics</h1><div class=\"grid\">{part.format(first)}</div>"
            '<div class="row full-bleed-ad"><div class="ad"><span class="ad-label">Advertisement</span></div></div>'
            f'<div class="grid">{part.format(second)}</div></article></body></html>')  # fmt: skip
    text = parse(make_raw_article(content=page, content_type="html")).text
    assert [line[:60] for line in text.split("\n\n")] == [
        f"{lead}, paragraph {i}. The council approved the new budget"[:60]
        for lead, i in (("Instagram began testing hiding like counts", 1), ("Instagram began testing hiding like counts", 2),
                        ("I learned that a dozen people tapped on a profile", 3),
                        ("I learned that a dozen people tapped on a profile", 4))
    ]  # fmt: skip
