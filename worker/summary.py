"""Summary: the article's lede, two or three clean sentences.

News puts what matters first, so the lede is the summary a reader expects; what takes care is "clean":
captions ("1 / 2 … (AFP Photo/Handout)", "… (AP Photo/Evan Vucci)"), datelines ("WASHINGTON (Reuters) -",
"(CNN)", "NEW DELHI:"), publication stamps ("Posted: Thursday, April 21, 2022."), bylines, image credits, headings,
list items, table rows, link lines and the site's own notices (reprint terms, affiliate disclosures, sponsorships)
are skipped, sentences are cut at real ends (not after "Mr.", "U.S.", "(Nov. 18)" or an
ellipsis inside a sentence), a sentence that only repeats the headline is left out (the reader has the
headline), lines a page hard-wrapped mid-sentence are read as one, and a summary stops growing at ~400
characters once it has two sentences (a single sentence over 600 is cut after a word and ends with "…").

A text with no such sentence (a feed's teaser without a full stop, a note, a list of lines) is summarised by its
opening line read through the same filters; only a text of stamps, menus, links and bylines alone has none ('').
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from worker.lexicon import calendar_words, words

SUMMARY_MAX_CHARS = 600
SUMMARY_SOFT_CHARS = 400
_SCAN_CHARS = 20_000  # the lede is at the top; never read a 2 MB body to find it

_ABBREVIATIONS = words(
    """
    mr mrs ms dr st jr sr gen sen rep gov lt col capt sgt prof rev mt ft inc corp co ltd bros vs etc no
    jan feb mar apr jun jul aug sep sept oct nov dec approx dept est fig al"""
)
# Other languages' abbreviations that stand before a name or a number ("Dr. Müller", "Nr. 53", "ul. Marszałkowska",
# "Sr. García"); one before a word in lower case ("bzw. die", "z. B. der") goes on whatever it is.
_ABBREVIATIONS_BY_LANGUAGE = {
    "de": words("bzw ca nr usw ggf evtl inkl vgl str mio mrd abs bd jh hl prof dr st tel zzt sog geb gest bspw"),
    "pl": words("ul im tzw np ok godz proc mln mld tys zł św prof dr hab inż ks pkt ds wg al nr tj"),
    "es": words("sr sra srta dr dra lic ing núm pág aprox av ud uds dña"),
    "pt": words("sr sra dr dra av nº núm pág prof"),
    "fr": words("mme mlle me av bd env cf éd"),
    "it": words("sig sigg dott prof avv ing arch ecc pag"),
    "nl": words("dhr mevr mw nr ca blz bijv"),
    "ru": words("г гг т е д ул им руб млн млрд тыс см др пр"),
    "uk": words("р вул ім грн млн млрд тис див"),
}
_ABBREVIATIONS_BY_LANGUAGE = {code: _ABBREVIATIONS | extra for code, extra in _ABBREVIATIONS_BY_LANGUAGE.items()}
_OPENERS = words(
    """
    The A An He She It They We I You But And In On At As After Before When While If This That These Those
    There His Her Their Its Our According However Meanwhile Some Many Most"""
)
# German (and Nordic, Slavic, Finnish) dates write the day as an ordinal: "am 14. Juni", "14. juni". Only German
# capitalises the month, so its months are listed; the others read as a lower-case word after the number.
_MONTHS = words(
    """
    Januar Jänner Februar Feber März April Mai Juni Juli August September Oktober November Dezember Jan Feb Mär Apr
    Jun Jul Aug Sep Sept Okt Nov Dez January February March May June July October December"""
)
# A German number with a full stop after one of these is an ordinal: "zum 6. Mal", "am 3. Tag", "der 1. FC".
_ORDINAL_LEADS = words("am an ab bis im in vom zum zur beim den dem der des die das seit")
# Sentence ends: Latin and Arabic (؟) marks before a space; the full-width (。！？), Urdu (۔) and Devanagari (।)
# ones anywhere, with the closing quotes after them (“……？”, 「……。」; of ASCII '"', which also opens, one); and a
# full stop straight before the next sentence's capitalised word, as pages glue them ("on Wednesday.The
# stabbing"; not code's "Substitute.For<ILogger>()").
_SENTENCE_END = re.compile(
    r"[.!?…。！？؟]+(?:[\"'”’)\]」』）]*(?=\s|$)|(?<=[a-zß-ÿ]{2}[.!?])(?=[A-ZÀ-Þ][a-zß-ÿ]*[\s,:]))"
    r"|[。！？؟۔।][”’」』）)\]]*\"?"
)
_CLOSING_QUOTES = "\"'”’)]」』）"
# Full-width sentence ends: Chinese and Japanese write the next sentence straight after them, with no space.
_UNSPACED_ENDS = ("。", "！", "？")
# Marks that end a line's sentence: a line after one of them is a new sentence even in lower case.
_ENDS = (".", "!", "?", "…", "。", "！", "？", "؟", "۔", "।")
# A dateline is followed by its sentence's capital: "Dee Dee Myers — a White House press secretary — is
# exiting" opens with the sentence's subject and an aside, which is no dateline.
# Wire copy dates its dateline and may name several cities: "WASHINGTON/GENEVA/DUBAI, Feb 17 (Reuters) - ";
# Xinhua writes "--", EFE "(EFE).-", CNN glues its tag to the first word ("(CNN)President", "Hong Kong (CNN
# Business)A"), and Indian papers end a city in capitals with a colon ("NEW DELHI: Their …").
_DATELINE = re.compile(
    r"^(?:[A-Z][A-Za-z.'/-]*(?:[ ,]+(?:[A-Z][A-Za-z.'/-]*|\d{1,2}\b)){0,5}[ ,]*(?:\([^)]{1,40}\))?|\([^)]{1,40}\))"
    r"(?:[ ]*\.?[ ]*(?:--|[-–—])[ ]+(?=[^a-z])|(?<=\))(?=[A-Z\"“]))"
    r"|^[A-Z][A-Z.'/-]+(?:[ ,]+[A-Z][A-Z.'/-]+){0,3}:[ ]+(?=[A-Z\"“])"
)
_JUNK_LINE = re.compile(
    r"^(?:\d+\s*/\s*\d+|image:|photo:|picture:|credit:|caption:|file photo|advertisement|read more|"
    r"share this|follow us|subscribe|sign up|related:)",
    re.IGNORECASE,
)
# A byline: "By" and a name ("By Jane Doe", "by G. K. Chesterton", "By Maria de la Cruz and Li Wei"). Only a
# capitalised word makes one: "By reaching back to Maoist tactics, …" is a lede. A sentence a page glues behind it
# ("By Aaron Humes: The Americas cannot …") is the lede.
_NAME_WORD = r"(?:[A-Z][\w.'’-]*|and|&|de|del|la|van|von|der|da|di|du|le|el|bin)"
_BYLINE = re.compile(rf"^(?:[Bb]y|BY)\s+([A-Z][\w.'’-]*)(?:,?\s+{_NAME_WORD}){{0,6}}")
_BYLINE_GLUE = re.compile(r"\s*(?::|\||\s[-–—])\s+(?=[A-Z\"“])")
# A line's publication stamp: "Posted: Thursday, April 21, 2022. 10:11 pm CST.", "Stand des Artikels: 26. Februar
# 2020, 12:30 Uhr.", "06.11.23 - Sensation …": a label (or a numeric date alone), then numbers and calendar words.
_STAMP_LABEL = re.compile(
    r"^(?:(?:last )?(?:posted|published|updated|modified)(?: on| at)?|stand(?: des artikels)?|veröffentlicht(?: am)?|"
    r"aktualisiert(?: am)?|erstellt(?: am)?|publicado(?: el)?|actualizado(?: el)?|publié(?: le)?|mis à jour(?: le)?|"
    r"pubblicato(?: il)?|aggiornato(?: il)?|opublikowano|gepubliceerd(?: op)?)\s*:?\s+(?=\w)",
    re.IGNORECASE,
)
# The first three letters of each label: a set lookup spares the call on every other line.
_STAMP_STARTS = words("pos pub upd las mod sta ver akt ers act mis agg opu gep")
_NUMERIC_DATE = re.compile(r"^\d{1,4}[./-]\d{1,2}[./-]\d{2,4}\b")
_STAMP_TOKEN = re.compile(r"(\d{1,4}(?:[./:-]\d{1,4}){0,2}\.?|[^\W\d_]+\.?)[ ,]*")
_STAMP_WORDS = words(
    """
    january february march april may june july august september october november december jan feb mar apr jun jul
    aug sep sept oct nov dec monday tuesday wednesday thursday friday saturday sunday mon tue wed thu fri sat sun am
    pm uhr utc gmt cet cest est edt cst cdt pst pdt ist bst h de del à at um o alle ore"""
)
# Sentences that are the site talking, not the article: reprint terms, rights lines, prompts, affiliate disclosures,
# sponsorships, where the post first appeared. Branches sharing their first letters are grouped: the regex tries
# every branch on every sentence, and a shared prefix fails once (190 ns a sentence before the notices of 2026-11-30,
# 320 with them ungrouped, 170 grouped).
_JUNK_SENTENCE = re.compile(
    r"^(?:this (?:copy is for your personal|shop has been compensated|"
    r"(?:article|story|post|review) (?:was|is|has been) (?:originally )?(?:published|posted)|"
    r"(?:article|story|post) (?:first |originally )?appeared (?:in|on)\b|"
    r"(?:post|article|page|story) (?:contains|may contain|includes) (?:affiliate|references|links)|"
    r"(?:post|video|article|episode) (?:is|was) (?:sponsored|brought to you))|"
    r"\[this (?:article|story|post|review) (?:was|is|has been) (?:originally )?(?:published|posted)|"
    r"t(?:o order presentation-ready copies|erms apply|hanks to (?:.{1,60} for sponsoring|https?://|www\.)|"
    r"he affiliate[- ]links?\b)|"
    r"a(?:ll (?:rights reserved|opinions (?:are|expressed are) (?:mine|my own|our own))|ffiliate[- ]links?\b|"
    r"uthor'?s? note\s*:|bonnieren sie)|"
    r"c(?:opyright\b|lick here)|©|s(?:ign up for|ubscribe to|ave (?:up to )?\d+ ?% off\b)|get (?:up to )?\d+ ?% off\b|"
    r"d(?:ieser (?:beitrag|artikel|post) enthält (?:werbung|affiliate)|ie affiliate[- ]links?\b)|"
    r"mehr dazu (?:kannst du|können sie) hier|originally (?:published|posted) (?:at|on|in)\b|"
    r"you can (?:subscribe\b|read this (?:post|article) in)|"
    r"we (?:may (?:receive|earn) (?:a )?(?:compensation|commission)|recommend the best products)|"
    r"for an explanation of our advertising policy|read our (?:advertiser|affiliate) disclosure)",
    re.IGNORECASE,
)
# A photo credit in brackets marks a caption: "(AP Photo/Evan Vucci)", "(Foto: … via REUTERS)", "(Photo by …/Getty
# Images)", "(Image credit: NASA)".
_CREDIT = re.compile(
    r"(?:photo|foto|image|bild|picture|photograph)\b(?: credit)?\s*[:/]|(?:photo|foto) by\b|getty images",
    re.IGNORECASE,
)
# A link, bare or in markdown ("[zettelkasten](https://…)": its words are read, its address is not).
_URL = re.compile(r"https?://\S+|www\.\S+")
_MARKDOWN_LINK = re.compile(r"\[([^\[\]\n]{1,200})\]\((?:https?://|/)[^()\s]{0,500}\)")
# How a line that is no part of the lede opens: a heading, a list item, a table row.
_STRUCTURE = ("#", "- ", "* ", "|", "•", "·", "▪", "►", "●")
# An ad slot's label on a line of its own, where a page may cut a paragraph (even a sentence) in two.
_AD_MARKER = re.compile(
    r"(?:advertisement|anzeige|werbung|publicité|publicidad|pubblicità|reklama|"
    r"(?:story|article) continues below(?: advertisement)?|continue reading below)\W*",
    re.IGNORECASE,
)
# Words a heading does not end with: a line that stops at one goes on in the next ("who in 2008 won the" /
# "Africa Movie Academy Award"), in the languages the corpus has most.
_RUNS_ON = words(
    """
    the a an of to in and or for with by at from on as that which who whose than
    der die das den dem des und oder mit von zu für auf ein eine einen einem
    el la los las del y con por para que un una le les du des et avec pour au aux
    o os da dos das em com um uma il lo gli di della che"""
)
# A call's end in code: ");" with no word after it ("f();", "g(x); // note"); prose's ");" goes on with one.
_CALL_END = re.compile(r"\);(?! [^\W\d_])")
# How a line of code ends ("{", "var x = f();"): no prose runs on from it.
_CODE_ENDS = "{}[];=>"
_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"\w+")
_NOT_WORD = re.compile(r"\W+")
_WORDS_MIN = 5
_CJK = re.compile(r"[\u3000-\u9fff]")
# How many headings a teaser looks past for a line that says more ("System notes", "Storage", then the note; a drug
# sheet's "Präparat", "Kennzeichen", "Gebrauchsinformation", then "Kein Beipackzettel vom Hersteller bereitgestellt").
# Two left a label as the summary of 3 corpus texts whose first line of words came fourth or fifth; eight reaches
# every such line in the corpus, and a menu of more labels than that is no teaser.
_TEASER_HEADINGS_MAX = 8


def _sentences(paragraph: str, language: str | None = None) -> list[str]:
    """Split at sentence ends that are not abbreviations or initials ("U.S.", "J. Smith", "z. B.", "ul.")."""
    abbreviations = _ABBREVIATIONS_BY_LANGUAGE.get(language or "", _ABBREVIATIONS)
    # Outside English (and unknown text), a full stop before a word in lower case or after one lower-case letter
    # ("z. B.", "d. h.") ends no sentence; English summaries keep the rules they were tuned with.
    cased_rules = language not in (None, "en")
    out: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(paragraph):
        end = match.end()
        if _inside_quotation(paragraph, start, end):
            continue  # “Meth. We’re on it.” awareness campaign …: a quoted slogan's full stop
        lower_next = paragraph[end : end + 2].strip()[:1].islower()
        if match.group()[-1] in '"”' and lower_next:
            continue  # … on it.” awareness campaign: the quotation closes inside the sentence
        if cased_rules and match.group()[0] in ".!?…" and lower_next:
            continue  # "bzw. die", "3,1 proc. w marcu", "Warum? fragte er": no sentence opens in lower case
        if lower_next and match.group().startswith(("…", "..")):
            continue  # "the plan was … not going to work": a pause, in English too
        before = paragraph[start : match.start()]
        # The word before the mark, without the bracket or quote it may open with: "(Nov. 18)", '"Dr. Alvarez'.
        last_word = before.rsplit(None, 1)[-1].lstrip("([{\"'“‘«„") if before.strip() else ""
        if match.group() == ".":
            if last_word.lower() in abbreviations:
                continue  # "Mr. Smith", "Nr. 53"
            if len(last_word) <= 2 and last_word.isdigit():
                # "Am 14. Juni 2005 hielt …", "den 3. plass": an ordinal, not the end of a sentence.
                following = paragraph[end : end + 20].split(None, 1)
                if following and (following[0].rstrip(",;:)") in _MONTHS or following[0][0].islower()):
                    continue
                previous = before[: len(before) - len(last_word)].rsplit(None, 1)
                if cased_rules and previous and previous[-1].lower() in _ORDINAL_LEADS:
                    continue  # "zum 6. Mal statt", "der 1. FC Köln"
            initial = len(last_word) == 1 and (last_word.isupper() or (cased_rules and last_word.isalpha()))
            # (A link's full stop is no abbreviation's: "… https://playwt.link/x. Thanks to …" is two sentences.)
            if initial or ("." in last_word and "/" not in last_word):
                # "U.S. Senate" goes on, "in the U.S. The President" ends: only a sentence opener ends it.
                following = paragraph[end : end + 20].split(None, 1)
                if not following or following[0] not in _OPENERS:
                    continue
        out.append(paragraph[start:end].strip())
        start = end
    tail = paragraph[start:].strip()
    if tail:
        out.append(tail)
    return out


def _inside_quotation(paragraph: str, start: int, end: int) -> bool:
    """Whether ``paragraph[start:end]`` opens a quotation that closes later in the paragraph (one that runs on
    into the next paragraph, unclosed, as news prints long quotes, does not hold its sentences together)."""
    piece = paragraph[start:end]
    if piece.count("“") > piece.count("”") and "”" in paragraph[end:]:
        return True
    return piece.count('"') % 2 == 1 and '"' in paragraph[end:]


def _clean(sentence: str, title_key: str) -> str | None:
    """The sentence tidied (``_tidy``), or None when it is no lede sentence: too short, cut off, the site's own
    words (``_is_site_text``), or (``title_key``: the headline's ``_key`` between spaces) the headline again."""
    sentence = _tidy(sentence)
    if _too_short(sentence):
        return None
    if not _SENTENCE_END.search(sentence[-3:]):
        return None  # a heading, a caption, a cut-off line
    if _is_site_text(sentence):
        return None
    # (A sentence longer than the headline by more than a few marks cannot be in it: most ledes are not keyed.)
    if title_key and len(sentence) <= len(title_key) + 8 and f" {_key(sentence)} " in title_key:
        return None  # the headline again ("Opinion | Is Football Violence a Crime?" → "Is Football Violence a Crime?")
    return sentence


def _tidy(sentence: str) -> str:
    """The sentence with its spaces collapsed and its markdown links read as their words."""
    sentence = _SPACES.sub(" ", sentence).strip()
    if "](" in sentence:
        sentence = _MARKDOWN_LINK.sub(r"\1", sentence)
    return sentence


def _too_short(sentence: str) -> bool:
    """Whether the sentence has too few words to say anything (Chinese and Japanese write none apart)."""
    return len(sentence.split()) < _WORDS_MIN and not _CJK.search(sentence)


def _is_site_text(sentence: str) -> bool:
    """Whether the sentence is the site talking or no prose: a notice (reprint terms, sponsorship, "Originally
    published at …"), a caption, code, or links with a label."""
    if _JUNK_SENTENCE.match(sentence) or _captioned(sentence) or _is_code(sentence):
        return True
    return ("http" in sentence or "www." in sentence) and _is_links(sentence)


def _key(text: str) -> str:
    """The text's words in lower case, one space apart: what a sentence and a headline are compared on."""
    return _NOT_WORD.sub(" ", text.lower()).strip()


def _lines(text: str) -> Iterator[str]:
    """The text's lines that can hold the lede, a line joined to the one before it where that one runs on: pages
    hard-wrap paragraphs (``<br><br>``) mid-sentence, and a summary must not start there. Empty lines, ad labels,
    captions, bylines, prompts, headings, list items and table rows are left out."""
    pending = ""
    for raw in text[:_SCAN_CHARS].splitlines():
        line = raw.strip()
        if not line or (len(line) < 40 and _AD_MARKER.fullmatch(line)):
            continue  # an ad slot may cut a sentence in two: the halves still join
        if line[:3] in ("By ", "by ", "BY "):
            line = _after_byline(line)
        # (Entries between "|" are a table row, a menu, a magazine's contents: one may be a title's "A | B".)
        if (
            not line
            or _JUNK_LINE.match(line)
            or line.startswith(_STRUCTURE)
            or _captioned(line)
            or ("|" in line and line.count(" | ") > 1)
        ):
            if pending:
                yield pending
            pending = ""
        elif pending and _runs_on(pending, line):
            pending = f"{pending} {line}"
        else:
            if pending:
                yield pending
            pending = line
    if pending:
        yield pending


def _after_byline(line: str) -> str:
    """What the line holds after its byline ("By Aaron Humes: The Americas …" → "The Americas …"): '' for a
    byline alone, the line itself when "By" opens a sentence ("By reaching back to …", "By Tuesday, …")."""
    byline = _BYLINE.match(line)
    if byline is None or byline[1].lower() in _STAMP_WORDS:
        return line  # "By Tuesday, the storm had …"
    glue = _BYLINE_GLUE.match(line, byline.end())
    return line[glue.end() :] if glue else ""


def _unstamped(line: str, language: str | None) -> str:
    """The line without the publication stamp it opens with ("Posted: Thursday, April 21, 2022.", "06.11.23 -"):
    '' when that is all it holds; unchanged when what follows the stamp opens no sentence."""
    label = _STAMP_LABEL.match(line)
    if label is None and not _NUMERIC_DATE.match(line):
        return line
    stamp_words = _STAMP_WORDS | calendar_words(language)
    position = end = label.end() if label else 0
    dated = False
    while (token := _STAMP_TOKEN.match(line, position)) is not None:
        word = token.group(1).rstrip(".").lower()
        if not (word[0].isdigit() or word in stamp_words):
            break
        dated = dated or word[0].isdigit()
        end, position = token.end(1), token.end()
    if not dated:
        return line
    rest = line[end:].lstrip(" .,;|~–—-")
    return rest if not rest or rest[0].isupper() or rest[0] in "\"“„«'" else line


def _captioned(text: str) -> bool:
    """Whether the line or sentence ends with a photo credit in brackets: a caption ("… on Monday. (AP
    Photo/Evan Vucci)", "… en el Congreso (Foto: Natacha Pisarenko/Pool via REUTERS).")."""
    if ")" not in text[-3:]:
        return False
    tail = text[-120:]
    end = _bracketed_credit_end(tail)
    return end >= 0 and end >= len(tail) - 2


def _is_links(sentence: str) -> bool:
    """Whether the "sentence" is links with a label ("► Use my link — https://…", "Patreon: https://…"): fewer
    than five words beside them. One with a link inside ("… posted a new blog https://… which I found wrong.")
    is prose."""
    return len(_WORD.findall(_URL.sub(" ", sentence))) < _WORDS_MIN


def _is_code(sentence: str) -> bool:
    """Whether the "sentence" is code: it holds braces or a call ended by ";" (not prose's "…(1929, oil on
    canvas); painted when …", whose ");" a word follows)."""
    return "{" in sentence or "}" in sentence or (");" in sentence and _CALL_END.search(sentence) is not None)


def _bracketed_credit_end(text: str) -> int:
    """Where the first bracket holding a photo credit ends in ``text`` (-1 if none does)."""
    if "(" not in text:
        return -1
    for credit in _CREDIT.finditer(text):
        opened = text.rfind("(", 0, credit.start())
        closed = text.find(")", credit.end())
        if opened > text.rfind(")", 0, credit.start()) and closed >= 0:
            return closed + 1
    return -1


def _runs_on(line: str, following: str) -> bool:
    """Whether ``following`` goes on with the sentence ``line`` left open: it opens in lower case, or ``line``
    stops at a comma or a word no heading ends with."""
    if line.rstrip(_CLOSING_QUOTES).endswith(_ENDS) or line[-1] in _CODE_ENDS:
        return False
    return following[0].islower() or line.endswith(",") or line.rsplit(None, 1)[-1] in _RUNS_ON


def summarize(text: str, language: str | None, max_sentences: int = 3, *, title: str = "") -> str:
    """The first ``max_sentences`` clean sentences of the body, none of them a repeat of ``title``; when there are
    none, the text's opening line (``_teaser``); '' only when the text has no words of its own."""
    title_key = f" {_key(title)} " if title.strip() else ""
    chosen: list[str] = []
    size = 0
    for line in _lines(text):
        if len(chosen) == 0:
            line = _DATELINE.sub("", _without_stamp(line, language), count=1)
        for sentence in _sentences(line, language):
            clean = _clean(sentence, title_key)
            if clean is None:
                continue
            if size + len(clean) > SUMMARY_MAX_CHARS and chosen:
                return _join(chosen)
            chosen.append(_bounded(clean))
            size += len(clean) + 1
            if len(chosen) >= max_sentences or (len(chosen) >= 2 and size >= SUMMARY_SOFT_CHARS):
                return _join(chosen)
    return _join(chosen) if chosen else _teaser(text, language)


def _without_stamp(line: str, language: str | None) -> str:
    """The line without the publication stamp it may open with (``_unstamped``, called only for a line opening
    as a stamp can)."""
    if line[:1].isdigit() or line[:3].lower() in _STAMP_STARTS:
        return _unstamped(line, language)
    return line


def _teaser(text: str, language: str | None) -> str:
    """The summary of a text with no lede sentence (a feed's teaser without a full stop, a note, a list of
    lines): its first line through the lede's filters (stamps, bylines, menus, headings, notices, links, markdown),
    or the first of the next ``_TEASER_HEADINGS_MAX`` lines that says more when that line is a heading ("Hardware",
    "Specs", then "1x STM32F7 taking care of power management, …").

    One line only: lines without full stops run together read as one garbled sentence ("Hardware Specs 1x
    STM32F7 …"). Datelines are left: a teaser's "XERA: Survival was newly added" names no city. A line
    repeating the headline stays: dropping it left "Be kind." of "Everyone's living a life you know nothing
    about. Be kind."
    """
    first_heading, headings = "", 0
    for line in _lines(text):
        pieces = [_tidy(sentence) for sentence in _sentences(_without_stamp(line, language), language)]
        teaser = _join([piece for piece in pieces if _WORD.search(piece) and not _is_site_text(piece)])
        if not teaser:
            continue
        if not _is_heading(teaser):
            return _bounded(teaser)
        first_heading = first_heading or teaser
        headings += 1
        if headings > _TEASER_HEADINGS_MAX:
            break
    return _bounded(first_heading) if first_heading else ""


def _is_heading(line: str) -> bool:
    """Whether the line is one or two words, as a note's headings are ("System notes", "Storage")."""
    return len(line.split()) <= 2 and not _CJK.search(line)


def _bounded(sentence: str) -> str:
    """The sentence, or as much of it as fits in ``SUMMARY_MAX_CHARS`` cut after a word and marked with "…"."""
    if len(sentence) <= SUMMARY_MAX_CHARS:
        return sentence
    cut = sentence[: SUMMARY_MAX_CHARS - 1]
    if " " in cut:
        cut = cut[: cut.rindex(" ")].rstrip(",;:")
    return f"{cut}…"


def _join(sentences: list[str]) -> str:
    """The sentences with a space between them, except after a full-width end ("。", "？”"), as Chinese and
    Japanese write them."""
    unspaced = [sentence.rstrip(_CLOSING_QUOTES).endswith(_UNSPACED_ENDS) for sentence in sentences[:-1]]
    if not any(unspaced):
        return " ".join(sentences)
    parts = [sentences[0]]
    for after_full_width, sentence in zip(unspaced, sentences[1:], strict=True):
        parts.append(sentence if after_full_width else f" {sentence}")
    return "".join(parts)
