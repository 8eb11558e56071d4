"""Summary: the article's lede, two or three clean sentences.

News puts what matters first, so the lede is the summary a reader expects; what takes care is "clean":
captions ("1 / 2 … (AFP Photo/Handout)"), datelines ("WASHINGTON (Reuters) -"), bylines, image credits and
headings are skipped, sentences are cut at real ends (not after "Mr." or "U.S."), and a summary stops
growing at ~400 characters once it has two sentences.
"""

from __future__ import annotations

import itertools
import re

from worker.lexicon import words

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
# Sentence ends: Latin and Arabic (؟) marks before a space, and the full-width (。！？), Urdu (۔) and Devanagari (।)
# ones anywhere.
_SENTENCE_END = re.compile(r"[.!?…。！？؟]+[\"'”’)\]]*(?=\s|$)|[。！？؟۔।]")
# Full-width sentence ends: Chinese and Japanese write the next sentence straight after them, with no space.
_UNSPACED_ENDS = ("。", "！", "？")
# A dateline is followed by its sentence's capital: "Dee Dee Myers — a White House press secretary — is
# exiting" opens with the sentence's subject and an aside, which is no dateline.
# Wire copy dates its dateline and may name several cities: "WASHINGTON/GENEVA/DUBAI, Feb 17 (Reuters) - ".
_DATELINE = re.compile(
    r"^(?:[A-Z][A-Za-z.'/-]*(?:[ ,]+(?:[A-Z][A-Za-z.'/-]*|\d{1,2}\b)){0,5}[ ,]*(?:\([^)]{1,40}\))?|\([^)]{1,40}\))"
    r"[ ]*[-–—][ ]+(?=[^a-z])"
)
_JUNK_LINE = re.compile(
    r"^(?:\d+\s*/\s*\d+|image:|photo:|picture:|credit:|caption:|file photo|advertisement|read more|"
    r"share this|follow us|subscribe|sign up|related:|by\s+[A-Z])",
    re.IGNORECASE,
)
_SPACES = re.compile(r"\s+")
_WORDS_MIN = 5


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
        if match.group()[-1] in "\"”" and lower_next:
            continue  # … on it.” awareness campaign: the quotation closes inside the sentence
        if cased_rules and match.group()[0] in ".!?…" and lower_next:
            continue  # "bzw. die", "3,1 proc. w marcu", "Warum? fragte er": no sentence opens in lower case
        before = paragraph[start : match.start()]
        last_word = before.rsplit(None, 1)[-1] if before.strip() else ""
        if match.group() == ".":
            if last_word.lower() in abbreviations:
                continue  # "Mr. Smith", "Nr. 53"
            if len(last_word) <= 2 and last_word.isdigit():
                # "Am 14. Juni 2005 hielt …", "den 3. plass": an ordinal, not the end of a sentence.
                following = paragraph[end : end + 20].split(None, 1)
                if following and (following[0].rstrip(",;:)") in _MONTHS or following[0][0].islower()):
                    continue
            initial = len(last_word) == 1 and (last_word.isupper() or (cased_rules and last_word.isalpha()))
            if initial or "." in last_word:
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


def _clean(sentence: str) -> str | None:
    sentence = _SPACES.sub(" ", sentence).strip()
    if len(sentence.split()) < _WORDS_MIN and not re.search(r"[\u3000-\u9fff]", sentence):
        return None
    if not _SENTENCE_END.search(sentence[-3:]):
        return None  # a heading, a caption, a cut-off line
    return sentence


def summarize(text: str, language: str | None, max_sentences: int = 3) -> str:
    """The first ``max_sentences`` clean sentences of the body ('' when there are none)."""
    chosen: list[str] = []
    size = 0
    for line in text[:_SCAN_CHARS].splitlines():
        line = line.strip()
        if not line or _JUNK_LINE.match(line) or line.startswith(("#", "- ", "* ", "|")):
            continue
        if len(chosen) == 0:
            line = _DATELINE.sub("", line, count=1)
        for sentence in _sentences(line, language):
            clean = _clean(sentence)
            if clean is None:
                continue
            if size + len(clean) > SUMMARY_MAX_CHARS and chosen:
                return _join(chosen)
            chosen.append(clean[:SUMMARY_MAX_CHARS])
            size += len(clean) + 1
            if len(chosen) >= max_sentences or (len(chosen) >= 2 and size >= SUMMARY_SOFT_CHARS):
                return _join(chosen)
    return _join(chosen)


def _join(sentences: list[str]) -> str:
    """The sentences with a space between them, except after a full-width end ("。"), as Chinese and Japanese
    write them."""
    if len(sentences) < 2 or not any(sentence.endswith(_UNSPACED_ENDS) for sentence in sentences[:-1]):
        return " ".join(sentences)
    parts = [sentences[0]]
    for previous, sentence in itertools.pairwise(sentences):
        parts.append(sentence if previous.endswith(_UNSPACED_ENDS) else f" {sentence}")
    return "".join(parts)
