"""keywords: a German word written with a capital only because it opens a sentence or a headline is no keyword
alone when the text shows it is no noun ("Geeignet", "Kompensiert", "Unterlässt"); nouns that open sentences stay.
A French infinitive in "-er" is no keyword alone ("démissionner"); nouns so written stay ("danger", "quartier")."""

from __future__ import annotations

from worker.keywords import extract_keywords

# trafilatura-eval page "XADO Schmierfett Reparierend, Verschleiß 50%, 125 ml", its opening lines.
_GREASE_TITLE = "XADO Schmierfett Reparierend, Verschleiß 50%, 125 ml"
_GREASE_TEXT = (
    "Artikelbeschreibung\nDetails\nGeeignet für alle PKW, LKW, Motorrad, Quad, Fahrrad, Maschinen. Kompensiert bis "
    "zu 50% Verschleiß.\nWie funktioniert XADO.\nDieses Fett wirkt wieder herstellend bei Bauteilen und Komponenten, "
    "die starken Belastungen ausgesetzt sind. Es bildet auf den Oberflächen von bewegenden Teilen, die Verschleiß "
    "unterliegen, eine neue metallkeramische Schicht. Dadurch nimmt deren Umfang zu und die ursprüngliche Form wird "
    "wieder hergestellt. Die Lebensdauer von Bauteilen erhöht sich beträchtlich.\n Vorteile\nVerschleiß wird schnell "
    "kompensiert\nErhöht die Lebensdauer der Bauteile\nGleicht Kratzer und kleine Risse aus\nVerringert Geräusche und "
    "Vibrationen\nFührt die Reibungswärme gut ab\nFür hohe Drehzahlen geeignet\nKompensiert bis zu 50% Verschleiß\n"
    "Beseitigt Korrosion und schützt die Bauteile vor aggressiven Substanzen\nGeeignet für alle PKW, LKW, Motorrad, "
    "Quad, Fahrrad, Maschinen\nGebrauchsanweisung\nDas alte Fett entfernen.\nDas Lager mit XADO-Fett füllen, so dass "
    "50% des Lagervolumens gefüllt sind."
)
# trafilatura-eval page "Ohne ernsthafte Bewerbungsbemühungen kein Wohngeld", its opening lines.
_HOUSING_TITLE = "Ohne ernsthafte Bewerbungsbemühungen kein Wohngeld"
_HOUSING_TEXT = (
    "Berlin (jur). Bevor Menschen Wohngeld bewilligt wird, kann von ihnen die Aufnahme einer zumutbaren Beschäftigung "
    "verlangt werden. Unterlässt ein erwerbsfähiger Antragsteller ernsthafte Bewerbungsbemühungen, ist der Wunsch "
    "nach Wohngeld als unangemessen und sozialwidrig anzusehen, entschied das Verwaltungsgericht Berlin in einem am "
    "Donnerstag, 17. Februar 2022, bekanntgegebenen Urteil (Az.: VG 21 K 170/20).\nDamit hat das Bezirksamt "
    "Tempelhof-Schöneberg zu Recht den Wohngeldantrag eines gelernten Informatikers als missbräuchlich abgelehnt.\n"
    "Das Verwaltungsgericht hielt die ablehnenden Wohngeldentscheidung des Bezirksamtes mit Urteil vom 18. Januar "
    "2022 für rechtmäßig. Die Inanspruchnahme der Sozialleistung sei hier unangemessen und sozialwidrig."
)

# trafilatura-eval page "Historische Wehranlage in Horka e.V", its opening lines.
_FORT_TITLE = "Historische Wehranlage in Horka e.V"
_FORT_TEXT = (
    "Auch in diesem Jahr wollen wir Sie entführen.In eine andere Zeit !!!In die Zeit unserer Großväter, "
    "Urgroßväter, UrUr.… !Damals war nicht alles besser, damals war vieles anders und das wollen wir ihnen in "
    "unserer schönen Wehranlage zeigen.Sie können nicht nur das Handwerk des täglichen Lebens sehen, sondern auch "
    "wie Ritter ihre Meinungsverschiedenheiten „schlichteten!Wissen Sie eigentlich wie unser Wehrmauerbrot schmeckt "
    "?Haben Sie schon einmal selbstgemachte Butter gekostet?Wie konnte man ohne Strom drechseln? Besuchen sie "
    "unseren Historischen Markt und sie werden es erfahren.Während Sie über den Markt schlendern, staunen und "
    "allerlei feine Köstlichkeiten probieren sind Ihre Kinder begeistert beim Körbe flechten, basteln oder Spiele "
    "von anno dazumal nicht mehr wegzubekommen.\nHistorischer Markt\n« Zurück zu den Veranstaltungen\nDiese "
    "Veranstaltung ist bereits vorbei."
)
# A headline of a gaming clan's page (trafilatura-eval), opening a line of its body again.
_PRIZE_TITLE = "Gewinnt ein beyerdynamic)))) MMX 300!"
_PRIZE_TEXT = (
    "Online 2 Guests 0 Users 0 Member\nStartschuss der Wettsaison!\nGewinnt ein beyerdynamic)))) MMX 300!\nMein "
    "Treffen mit Ono und Harada\ngamescom 2010 in Köln aus Sicht von dzs\nMittendrin statt nur dabei!\nKinect "
    "angezockt!\nSmalltalk mit Julian Riefsdahl\nIn dieser News möchten wir euch über das Geschehen rund um unser "
    "Halo:Reach Team informieren. Denn es ist viel passiert in der letzten Zeit. Doch wie haben sich die Spieler in "
    "der vergangen Zeit geschlagen? Genau das erfahrt ihr nun hier! Das Team von Halo spielte stark, die Spieler "
    "auch."
)


def test_sentence_opening_participle_written_in_lower_case_elsewhere_is_no_keyword() -> None:
    """ "Geeignet", "Kompensiert" open lines; the text writes them "geeignet", "kompensiert" too: no keywords."""
    keywords = extract_keywords(_GREASE_TITLE, _GREASE_TEXT, "de")
    assert not {"Geeignet", "Kompensiert", "geeignet", "kompensiert"} & set(keywords)
    assert {"Verschleiß", "XADO", "Schmierfett"} <= set(keywords)


def test_sentence_opening_verb_before_an_article_is_no_keyword() -> None:
    """ "Unterlässt ein erwerbsfähiger Antragsteller …" puts the verb first: no keyword; the nouns stay."""
    keywords = extract_keywords(_HOUSING_TITLE, _HOUSING_TEXT, "de")
    assert "Unterlässt" not in keywords
    assert {"Wohngeld", "Verwaltungsgericht", "Urteil"} <= set(keywords)


def test_headline_opening_verb_before_an_article_is_no_keyword() -> None:
    """ "Gewinnt ein …" opening the headline and a line: a verb first, no keyword."""
    keywords = extract_keywords(_PRIZE_TITLE, _PRIZE_TEXT, "de")
    assert "Gewinnt" not in keywords
    assert "MMX" in keywords


def test_headline_opening_adjective_before_a_noun_is_no_keyword() -> None:
    """A headline's "Historische Wehranlage" (written so nowhere else): the adjective is no keyword alone."""
    keywords = extract_keywords(_FORT_TITLE, _FORT_TEXT, "de")
    assert "Historische" not in keywords
    assert {"Wehranlage", "Markt", "Horka"} <= set(keywords)


def test_nouns_opening_every_sentence_stay() -> None:
    """A noun written with a capital only at sentences' starts is still a keyword, a verb of its stem ("gewinnen")
    beside it too."""
    text = (
        "Gewinn und Umsatz stiegen. Gewinn bleibt das Ziel der Firma, die weiter gewinnen will. Aktie der Firma "
        "stieg. Aktie fiel danach."
    )
    keywords = extract_keywords("Firma meldet Zahlen", text, "de")
    assert {"Gewinn", "Aktie"} <= set(keywords)


# trafilatura-eval page "Le ministre de la Santé sommé de démissionner", its opening paragraph.
_RESIGN_TITLE = "Le ministre de la Santé sommé de démissionner"
_RESIGN_TEXT = (
    "Le ministre de la Santé sommé de démissionner\nPhotos à l'appui, le tabloïd Blesk révèle ce vendredi que le "
    "ministre de la Santé Roman Prymula s'est retrouvé tard mercredi soir dans un restaurant pragois - et sans "
    "masque, en dépit des mesures sanitaires qu'il a lui-même imposées. Les appels à la démission se sont multipliés "
    "depuis, et le Premier ministre lui-même a fait savoir qu'il lui cherchait d'ores et déjà un remplaçant. Le "
    "principal intéressé a rejeté toute faute et a fait savoir qu'il ne démissionnerait pas.\nMercredi soir, Roman "
    "Prymula était en compagnie de Jaroslav Faltýnek, président du groupe parlementaire du parti ANO."
)


def test_french_infinitive_is_no_keyword() -> None:
    """ "démissionner" of the headline and the body is no keyword; the minister and his name stay."""
    keywords = extract_keywords(_RESIGN_TITLE, _RESIGN_TEXT, "fr")
    assert "démissionner" not in keywords
    assert {"ministre", "Roman Prymula"} <= set(keywords)


def test_french_nouns_in_er_stay() -> None:
    """ "danger" and "quartier" end as infinitives do and are nouns: keywords."""
    text = (
        "Le quartier est en danger. Les habitants du quartier parlent du danger chaque jour. Le danger reste grand "
        "pour le quartier."
    )
    keywords = extract_keywords("Un quartier en danger", text, "fr")
    assert {"danger", "quartier"} <= set(keywords)
