"""Named entities of an article: people, organisations and places, each once, with how often it is mentioned.

The default backend is rules and gazetteers (no model, ~1 ms per article): runs of capitalised words are the
candidates; titles, possessives and sentence-initial capitals are cut off; each candidate is typed by what it
contains (a gazetteer place, a known organisation, an organisation or place head word, a given name, a title
before it) and by the words around it ("…, who", "said", "analyst at …", "in …"); then the document settles the
rest: a surname alone is the person named in full elsewhere ("Trump" → "Donald Trump"), and a name takes the
type its strongest mentions give it. Measured on GUM news in ``docs/enrichment.md`` (``python -m
bench.entities_eval``).

An optional spaCy backend is used when configured as ``spacy:<pipeline>`` and the pipeline is installed.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from schemas.models import Entity
from worker import lexicon
from worker.lexicon import COMMON_POSSESSIVES, ORG_HEADS, PLACE_HEADS, TITLES, WEAK_TITLES, words

# Past this many characters an article's tail adds no entity a reader would search for, only time.
ENTITIES_MAX_CHARS = 100_000
DEFAULT_BACKEND = "rules"

# --- candidate spans -------------------------------------------------------------------------------------------

_UPPER = "".join(ch for ch in map(chr, range(0x41, 0x250)) if ch.isupper())
_ABBREVIATION_WORDS = "Mr|Mrs|Ms|Dr|St|Jr|Sr|Gen|Sen|Rep|Gov|Lt|Col|Capt|Sgt|Prof|Rev|Mt|Ft|Inc|Corp|Co|Ltd|Bros"
_ABBREVIATIONS = rf"(?:{_ABBREVIATION_WORDS})\."
_CAP = (
    rf"(?:(?:[{_UPPER}]\.){{2,}}"  # U.S., D.C.
    rf"|{_ABBREVIATIONS}"
    rf"|[{_UPPER}]\.(?=[ \t]+[{_UPPER}])"  # middle initial: Donald J. Trump
    rf"|[{_UPPER}]\w*(?:[-'’&]\w+)*(?:['’]s?)?)"
)
_CONNECTOR = (
    r"(?:of(?:[ \t]+the)?|for(?:[ \t]+the)?|on|and|&|de|del|della|der|den|van|von|da|di|du|la|le|al|el|bin|ibn|y)"
)
# No name runs longer; the cap keeps a run of 100,000 initials ("A. B. C. …") linear.
_MAX_RUN = 10
# Words that start sentences but never names; skipping them in the pattern spares most of the Python work.
_STARTERS = (
    "The|A|An|In|On|At|He|She|It|They|We|I|You|But|And|Or|If|As|By|To|Of|For|With|This|That|These|Those|His|Her|"
    "Their|Its|Our|There|When|While|After|Before|Some|Many|Most|One|What|Who|So|Then|However|Also|Despite|"
    "According|During|Since|Although|Meanwhile|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|"
    "January|February|March|April|June|July|August|September|October|November|December"
)


def _after_capital(alternatives: str) -> str:
    """Words as what follows their capital, once it is read: "Mr|Ms|Dr" → "(?<=M)(?:r|s)|(?<=D)(?:r)"."""
    rests: dict[str, list[str]] = {}
    for word in alternatives.split("|"):
        rests.setdefault(word[0], []).append(re.escape(word[1:]))
    return "|".join(f"(?<={re.escape(first)})(?:{'|'.join(rest)})" for first, rest in rests.items())


# The first name word is written as its capital, then the rest of ``_CAP`` (the same alternatives, in the same
# order): a pattern that opens with a character class lets the regex engine skip in C to the next capital,
# instead of trying the pattern at every character (10–25% of the scan's time, measured). The looks behind check what
# ``(?<![\w-])`` and the starters check at the capital itself.
_SEQUENCE = re.compile(
    rf"[{_UPPER}](?<![\w-].)(?!(?:{_after_capital(_STARTERS)})(?![\w'’.-]))"
    rf"(?:\.(?:[{_UPPER}]\.)+"  # U.S., D.C.
    rf"|(?:{_after_capital(_ABBREVIATION_WORDS)})\."
    rf"|\.(?=[ \t]+[{_UPPER}])"  # middle initial
    rf"|\w*(?:[-'’&]\w+)*(?:['’]s?)?)(?!\$)"
    # "Côte d'Ivoire", "Valle d'Aosta": the particle "d'" joins the next capitalised word without a space. One space
    # or tab parts a name's words: two are a layout's gap, a line or a cell flattened ("Niklas Röber  NVIDIA").
    rf"(?:[ \t](?:{_CONNECTOR}[ \t]|d['’](?=[{_UPPER}]))?{_CAP}){{0,{_MAX_RUN - 1}}}"
)
_CONNECTORS = words("of the for on and & de del della der den van von da di du la le al el bin ibn y")
_NAME_PARTICLES = words("de del della der den van von da di du la le al el bin ibn y")
# The particles written with a capital as a surname's first word ("Van Der Beek", "De Niro"), where "Van" (Turkey)
# or "Bar" is no place of its own.
_CAPITAL_PARTICLES = frozenset(w.capitalize() for w in _NAME_PARTICLES)
# What follows a surname without being one: "James P. Kennedy Jr." is "Kennedy" in the next paragraph.
_NAME_SUFFIXES = frozenset({"Jr.", "Jr", "Sr.", "Sr", "II", "III", "IV"})
# Capitalised mid-sentence only in headlines and quotes, never a name's first word.
_ALWAYS_TRIM = words(
    """
    The A An In On At For But And Or If As By To Of From With This That These Those January February March
    April June July August September October November December"""
)
# All-capital words that are not organisations.
_NOT_ORG_ACRONYMS = words(
    "IQ VIP CEO CFO COO CTO QC TV PC DNA GPS PDF USB ID OK AM PM GDP HIV AIDS LGBT UNLESS NOTE UPDATE"
)
_MONTH_BEFORE = words("in on since until till by from last next early late mid of during before after this")
_TRAILING_DROP = words(
    """January February March April June July August September October November December Monday Tuesday
    Wednesday Thursday Friday Saturday Sunday Image Photo Video Audio Picture Credit"""
)
_DAYS = words("Monday Tuesday Wednesday Thursday Friday Saturday Sunday")
# A month written short before a day ("Feb 17 (Reuters)", "Sept. 3"): a date, not a name ("Jan Novak" stays).
_MONTHS_SHORT = words("Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec")
_DAY_AFTER = re.compile(r"\.?[ \t]\d{1,2}\b")

# What ends a company's name, never a name alone ("MOS Technology, Inc.").
_COMPANY_SUFFIXES = words("Inc Inc. Corp Corp. Co Co. Ltd Ltd. LLC PLC plc GmbH")
# One word that is never a name on its own: a connector, a date word, a title ("the President"), a company suffix.
_NOT_ALONE = _CONNECTORS | _TRAILING_DROP | (TITLES - WEAK_TITLES) | _COMPANY_SUFFIXES
# A pronoun or verb contracted ("I've", "We're", "Don't"): no name, however a context cue reads it.
_CONTRACTION = re.compile(r"['’](?:ve|d|m|ll|re|t)\Z")

# "University of Texas": the head comes first, the place after "of".
_ORG_LEADS = words(
    """
    Center Centre Team University College Bank Ministry Department Office Institute School Academy Board Bureau Council
    Commission Committee Court Church Federation Union League Association Society House Order
    Organization Organisation Party Government Army Navy Republic"""
)
_COMPASS = words(
    "North South East West Northern Southern Eastern Western Central Upper Lower Greater Northwest Northeast "
    "Southwest Southeast"
)
_PLACE_LEADS = words("Mount Mt. Lake Cape Fort Port Saint St. San Santa Isle Gulf Bay Strait")
# After a place, a word that makes the pair a utility or an industrial company: "Georgia Power", "Tokyo Electric".
_PLACE_COMPANY_TAILS = words(
    "Power Electric Gas Water Telecom Steel Mining Railway Railways Rail Chemical Chemicals Cement"
)
# Oil and gas benchmarks are named after a town, a terminal or a field ("Brent crude", "Dubai crude", "Brent
# futures"), which the gazetteer holds as a town (Brent, a London borough): a town before these words names the
# benchmark, not where the story is. A country or a province before them is where the oil comes from ("Iraq crude
# exports", "Texas crude output"), and "oil" alone after a place is too ("Texas oil fields", "Houston oil firms"),
# unless a market word follows it ("Brent oil futures", "Brent oil prices"). Linear: one run of blanks, then
# alternatives of literal words, the second of which has one run of blanks of its own.
_BENCHMARK_AFTER = re.compile(
    r"[ \t]+(?:crude|futures|blend|benchmark|oil[ \t]+(?:futures|prices?|benchmark|contracts?))\b"
)
# A grade written with a capital after the place, and nothing after it but "Oil" or another grade, is the
# benchmark's own name: "West Texas Intermediate", "Brent Crude", "Brent Crude Oil"; the place inside it is no
# mention of the place, whatever its kind ("Xingtai Intermediate People's Court" goes on: it is a court).
_BENCHMARK_TAILS = words("Intermediate Crude Blend Futures")
_BENCHMARK_WORDS = _BENCHMARK_TAILS | {"Oil"}
# Nouns that end the name of a product or a device, never a person's, even after a given name or "said": "Touch
# Bar", "Mac Pro" ("Mac" is a given name), "Echo Dot", "Vision Pro", "Pixel Watch". None is a frequent surname.
# Software is named so too: "Claude Code", "Claude Desktop", "Martin Studio". A surname that is also a common noun
# ("Jack White", "Bill Gates", "Tim Cook", "Rachel Cloud") is on the surname list, so no noun from it belongs here.
_THING_TAILS = words(
    "Bar Pad Pads Phone Pro Watch Drive Pen Pencil Keyboard Mouse Buds Pods Mini Plus Dot Tab Ultra Lite Tablet "
    "Laptop Console Headset Glasses Fold Flip Note "
    "Code Desktop Studio App Apps Browser Editor Server Suite Hub Store Maps Mail Docs Chat Chatbot Bot Translate "
    "Wallet Platform Terminal Workspace Copilot Notebook Camera Router Plugin Extension Compiler Runtime SDK API "
    "Framework Toolkit"
)
# Products written as one word that is also a given name: alone they are the product ("the new Mac", "Mac users",
# "Alexa, turn on the lights"), never a person by a context cue; a person of that name is named in full somewhere
# ("Mac Miller", "Ian Mac"), and the name alone then resolves to them (``_resolve``).
_THING_WORDS = words("Mac Alexa")
# Events, never a person either, alone or as a name's last word, though they may follow a given name ("Winter
# Olympics", "Summer Games"). None is a surname. Holidays and seasons are given names too, but alone they are the
# time of year ("by Christmas", "ready for Winter"); after a given name they may be a surname ("Johnnie Christmas",
# an illustrator in GUM).
_EVENT_WORDS = words("Olympics Paralympics Games Championship Championships Cup Festival Awards Marathon Expo")
_TIMES_OF_YEAR = words("Christmas Easter Halloween Thanksgiving Hanukkah Diwali Winter Summer Spring Autumn")
# A greeting for a holiday names no one: "Merry Christmas", "Happy New Year" ("Merry" is a given name, and "said
# Happy Thanksgiving" reads like a person after "said"). Only after these words: "Johnnie Christmas" and "Merry
# Clayton" are people.
_GREETINGS = words("Merry Happy Joyous Joyful Blessed")
_OCCASIONS = words(
    "Christmas Xmas Easter Halloween Thanksgiving Hanukkah Chanukah Diwali Kwanzaa Passover Ramadan Eid Holidays "
    "Holiday Birthday Anniversary Year Eve"
)
# Programming languages and software written like plain words: after "in" they are no place ("written in Python",
# "runs in Windows"), nor a person alone by a context cue ("by Python"); a person of that surname is named in full
# somewhere ("Jenny Rust") and resolves. Given names are left out ("Ruby", "Julia"), and "Java", the island in news.
_SOFTWARE_WORDS = words(
    "Python Rust Perl Haskell Scala Kotlin Fortran Cobol COBOL Lisp Clojure Erlang Elixir Lua Dart Linux Unix "
    "Windows Excel Photoshop Matlab MATLAB"
)
# A capital inside a word after three letters or more is a brand's spelling ("JavaScript", "PowerShell", "GitHub"),
# not a place's: those take a short prefix ("McAllen", "DeKalb", "LaGrange", "MacKenzie", "KwaMashu"). Linear: one
# loop over lower-case letters, ended by a capital it cannot match, after a fixed-length look-ahead.
_BRAND_CASE = re.compile(r"(?!Mac|Kwa)[A-Z][a-z]{2,}[A-Z]")
# What ends a German organisation's name, joined by a hyphen ("Robert Koch-Institut", "Max-Planck-Institut",
# "Friedrich-Ebert-Stiftung") or as a word after another ("Hans Böckler Stiftung"); alone each is a common noun
# ("das Institut"), so not among ``ORG_HEADS`` (see ``_german_organisation``).
_COMPOUND_ORG_HEADS = words(
    """
    Institut Universität Hochschule Fachhochschule Klinikum Klinik Universitätsklinikum Krankenhaus Stiftung
    Gesellschaft Verband Verein Zentrum Akademie Ministerium Bundesamt Landesamt Gymnasium Gericht Kammer Agentur
    Behörde Sparkasse Versicherung Konzern Werke Fabrik"""
)
# The same heads at the end of a compound written as one word: "Specialfabrik", "Automobilwerke", "Sportverein".
_COMPOUND_ORG_TAILS = tuple(sorted(head.lower() for head in _COMPOUND_ORG_HEADS))
# German legal forms: after a name, a firm's ("Heinrich Büssing Automobilwerke KG").
_LEGAL_FORMS_DE = words("AG KG OHG GmbH KGaA SE eG mbH")
_GERMAN_ARTICLES = words("der des dem den")
# What ends an organisation's name after an adjective of place or kind, as a compound's last part: "Europäische
# Zentralbank", "Bayerische Landesbank", "Deutscher Caritasverband", "Süddeutsche Zeitung" (see
# ``_adjective_organisation``). Alone each is a common noun ("die Zentralbank", "die Datenbank").
# "Werke" is left out: "Soziale Netzwerke".
_ADJECTIVE_ORG_TAILS = (
    *(tail for tail in _COMPOUND_ORG_TAILS if tail != "werke"),
    *("bank", "kommission", "partei", "zeitung", "rundfunk"),
)
# How German adjectives end in a name, in the nominative ("Europäische", "Bayerischer", "Kirchliches") and after
# an article in the genitive or dative ("der Europäischen", "der Vereinigten"), with the short ones whole.
_ADJECTIVE_ENDINGS_DE = tuple(
    stem + ending
    for stem in ("isch", "sch", "lich", "ig", "al", "ell", "iv", "är", "ar", "er", "igt")
    for ending in ("e", "er", "es", "en")
)
_SHORT_ADJECTIVES_DE = frozenset(
    stem + ending
    for stem in ("Frei", "Neu", "Alt", "Groß", "Rot", "Grün", "Weiß", "Hoh", "Jung", "Erst", "Zweit", "Vereint")
    for ending in ("e", "er", "es", "en")
)
_NOT_PERSON_TAILS = _THING_TAILS | _EVENT_WORDS
_NOT_PERSON_WORDS = _THING_WORDS | _EVENT_WORDS | _TIMES_OF_YEAR | _SOFTWARE_WORDS
# A place followed by ", <US state>" lies in that state ("Paris, Texas"; "Athens, Ga." in AP style), and a state
# that is also a country is the state there ("Atlanta, Georgia"). New York and Washington are left out: "London,
# New York and Tokyo", "Paris, Washington and Beijing" are lists of cities. Nor is a state before "and"/"or".
_AP_STATES = {
    "Ala.": "Alabama", "Ariz.": "Arizona", "Ark.": "Arkansas", "Calif.": "California", "Colo.": "Colorado",
    "Conn.": "Connecticut", "Del.": "Delaware", "Fla.": "Florida", "Ga.": "Georgia", "Ill.": "Illinois",
    "Ind.": "Indiana", "Kan.": "Kansas", "Ky.": "Kentucky", "La.": "Louisiana", "Md.": "Maryland",
    "Mass.": "Massachusetts", "Mich.": "Michigan", "Minn.": "Minnesota", "Miss.": "Mississippi", "Mo.": "Missouri",
    "Mont.": "Montana", "Neb.": "Nebraska", "Nev.": "Nevada", "N.H.": "New Hampshire", "N.J.": "New Jersey",
    "N.M.": "New Mexico", "N.C.": "North Carolina", "N.D.": "North Dakota", "Okla.": "Oklahoma", "Ore.": "Oregon",
    "Pa.": "Pennsylvania", "R.I.": "Rhode Island", "S.C.": "South Carolina", "S.D.": "South Dakota",
    "Tenn.": "Tennessee", "Tex.": "Texas", "Vt.": "Vermont", "Va.": "Virginia", "W.Va.": "West Virginia",
    "Wis.": "Wisconsin", "Wyo.": "Wyoming",
}  # fmt: skip
_NOT_QUALIFYING_STATES = frozenset({"New York", "Washington", "District of Columbia"})
_PLACE_NOUNS_AFTER = re.compile(
    r"[ \t]+(?:province|state|county|city|region|prefecture|district|village|town|island|river|valley|"
    r"municipality|suburb|neighbourhood|neighborhood|area|border|capital|coast|governorate|oblast)\b"
)
# A country as the subject of these is its government or its team, which GUM (and OntoNotes) type as an
# organisation: "North Korea fired", "Sweden defeated South Korea".
_ACTOR_AFTER = re.compile(
    r"[ \t]+(?:(defeated|faced|beat|won|lost|drew|scored|played|qualified|\d+[ \t]*[–-][ \t]*\d+)|said|says|stated|"
    r"announced|accused|agreed|warned|signed|fired|evacuated|threatened|denied|urged|demanded|rejected|claimed|"
    r"responded|launched|imposed|retaliated|vowed|insisted|refused)\b"
)
_PERSON_AFTER = re.compile(
    r"(?:[ \t]*,[ \t]*(?:who|whose|aged?|\d{1,3}[ \t]*,)\b|[ \t]*\([ \t]*\d{1,3}[ \t]*\)|"
    r"[ \t]+(?:said|says|told|added|explained|wrote|argued|noted|stated|insisted|recalled|replied|"
    r"admitted|denied|claimed|warned|believes|thinks|tweeted|posted|died|was[ \t]+born|who)\b)"
)
_PERSON_BEFORE = words(
    """
    said says according by spokesman spokeswoman spokesperson analyst minister president official director
    actor actress singer coach player striker midfielder defender goalkeeper manager chairman chairwoman founder
    author professor lawyer attorney judge senator leader economist researcher scientist journalist reporter
    editor correspondent chief dr mr mrs ms wife husband son daughter brother sister mother father colleague
    rapper artist writer politician candidate ceo boss pilot driver captain teammate suspect victim defendant
    prosecutor governor mayor ambassador envoy diplomat dissident activist blogger poet novelist producer
    photographer designer architect inventor entrepreneur businessman businesswoman billionaire"""
)
_ROLES = _PERSON_BEFORE - {"said", "says", "according", "by", "dr", "mr", "mrs", "ms"}
_SPEECH_BEFORE = frozenset({"said", "says"})
# "Fuad Basya, spokesman for the army", "Jim Carroll, the White House drug czar": an appositive role.
_ROLE_AFTER = re.compile(
    r"[ \t]*,[ \t]+(?:(?:a|an|the|its|his|her|their)[ \t]+)?(?:[\w'’-]+[ \t]+){0,3}?(?:"
    + "|".join(sorted(_ROLES))
    + r")s?\b"
)
# "Romelu Lukaku doubled the lead": an unknown two-word name doing something in the past tense.
_PAST_VERB_AFTER = re.compile(r"[ \t]+[a-z]{3,}ed\b")
_ORG_BEFORE_NOUNS = words(
    """
    analyst analysts researcher researchers professor professors economist economists scientist scientists
    engineer engineers fellow spokesman spokeswoman spokesperson official officials executive executives
    director head chief member members employee employees staff lawyer editor reporter correspondent founder
    chairman president ceo work works worked working joined joins"""
)
_PLACE_BEFORE = words(
    """
    in near across outside inside throughout northern southern eastern western central north-eastern
    north-western south-eastern south-western northeastern northwestern southeastern southwestern capital
    visit visited visiting visits"""
)
_PUNCT = "\"'“”‘’()[],;:!?"
_OPENING = frozenset(" \t\"'“‘([-—–")
_CLOSING = frozenset(".!?:;\n\r•|")
_DASHES = frozenset("-—–")
_HAN_SURNAMES = words(
    """
    Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He Lin Luo Gao Zheng Liang Xie Song
    Tang Han Feng Deng Cao Peng Zeng Xiao Tian Dong Pan Yuan Cai Jiang Yu Du Ye Cheng Wei Su Lu Ding Ren Yao
    Shen Zhong Cui Tan Fan Liao Shi Jin Jia Xia Fu Fang Zou Xiong Bai Meng Qin Qiu Hou Yin Xue Yan Duan Lei
    Long Tao Mao Hao Gu Gong Shao Wan Qian Lai Kong Xi Ou Hong Bo Ji Kang Niu Zhan Chai Geng Mo Bao Qi Ning
    Leung Wong Cheung Chan Lau Lam Tsang Ho Ng Yeung Kwok Chiu Tse Yau Mak Chow Fung Lui Kwong Siu Shiu Choi
    Poon Yip Au Szeto Law Lo Chu Ip Yuen Tam Tong Hui Sin Ko Fok Chung Mok Pang Lee Wu Chiang Hau Kan Tsai
    Hsu Chou Kuo Hsieh Teng Lien Soong Ma Ko Lai Tsui Tung"""
)
# Hong Kong and Taiwan write given names with a hyphen: "Cheuk-yan", "Lung-bin".
_HAN_GIVEN = re.compile(r"^[A-Z][a-z]{1,6}(?:-[a-z]{1,6})?$")
_PINYIN_GIVEN = re.compile(r"^(?:[BCDFGHJKLMNPQRSTWXYZ]h?|Zh|Ch|Sh)?[aeiou][a-z]*(?:-?[a-z]+)?$")

_TYPE_OF_KIND = {"country": "place", "admin1": "place", "city": "place", "continent": "place", "region": "place"}


@dataclass(slots=True)
class Mention:
    """One name in the text: where it is, what it says once cut to the name, and what it was typed as."""

    start: int
    end: int
    text: str
    type: str  # person / organization / place / other
    strength: int  # 3 sure (lists, head words, titles) … 0 unknown
    sentence_initial: bool = False
    canonical: str = ""
    # The name's type over the whole document; ``type`` may differ for one mention ("China said …" is the
    # government acting, an organisation, while the entity China stays a place).
    entity_type: str = ""
    actor: str = ""  # a country acting: "government" ("North Korea fired") or "team" ("Sweden defeated")
    # The name a place is filed under when its context says which one it is: "Paris, Texas" (the town, not
    # Paris FR), "Georgia (U.S. state)" (not the country); see ``_qualify``.
    qualified: str = ""


_POSSESSIVE_S = ("'s", "’s")


def _strip_possessive(word: str) -> tuple[str, bool]:
    for suffix in ("'s", "’s"):
        if word.endswith(suffix) and len(word) > 2:
            return word[: -len(suffix)], True
    if len(word) > 2 and word[-1] in "'’" and word[-2] == "s":
        return word[:-1], True
    return word, False


@functools.cache
def _common() -> frozenset[str]:
    return lexicon.common_words()


def _is_known(text: str) -> bool:
    return text in lexicon.places() or text in lexicon.organizations()


Token = tuple[str, int, int]


def _split(match_text: str, base: int) -> list[list[Token]]:
    """Cut one capitalised run into name parts: at proper possessives, days, and joined country words."""
    if not base:
        return [list(part) for part in _split_run(match_text)]
    return [[(word, base + start, base + end) for word, start, end in part] for part in _split_run(match_text)]


@functools.lru_cache(maxsize=50_000)
def _split_run(match_text: str) -> tuple[tuple[Token, ...], ...]:
    """``_split`` with offsets from the run's start (cached: names recur, and the cut depends on the run alone)."""
    return tuple(map(tuple, _split_parts(match_text)))


def _split_parts(match_text: str) -> Iterable[list[Token]]:
    part: list[Token] = []
    places = lexicon.places()
    demonyms = lexicon.demonyms()
    offset = 0
    for word in match_text.split():  # a run holds no whitespace but the separators: split is its tokenizer
        start = offset = match_text.find(word, offset)
        offset += len(word)
        if word in _DAYS:
            if part:
                yield part
            part = []
            continue
        bare, possessive = _strip_possessive(word) if word[-1] in "s'’" else (word, False)
        if "-" in bare and bare not in places:
            # "US-Chinese", "Sino-US": two place words joined, each its own (or no) mention.
            pieces = bare.split("-")
            if all(p in places or p in demonyms for p in pieces):
                if part:
                    yield part
                part = []
                piece_start = start
                for p in pieces:
                    if p in places:
                        yield [(p, piece_start, piece_start + len(p))]
                    piece_start += len(p) + 1
                continue
        if possessive and word.lower() not in COMMON_POSSESSIVES:
            part.append((bare, start, start + len(bare)))
            yield part
            part = []
            continue
        if part and part[-1][0][-1] == "." and word.lower() in _common():
            yield part  # "... to the U.S. The President said": two sentences
            part = []
        if part and word[1:2] in ("'", "’") and word[0] == "d" and _after_particle_cut(part, word):
            yield part  # "ministre des Armées d'Emmanuel Macron": two names
            part = []
            word, start = word[2:], start + 2
        part.append((word, start, start + len(word)))
    if part:
        yield part


def _after_particle_cut(part: list[Token], word: str) -> bool:
    """Whether a run is two names at ``word``, "d'" glued to a capital: "Armées d'Emmanuel Macron", "Concertgebouw
    d'Amsterdam" (a given name or a place of its own after it), but not "Côte d'Ivoire" (known whole), "Jeanne d'Arc"
    or "Roberto d'Aubuisson"."""
    rest = word[2:]
    if _is_known(" ".join([*(w for w, _, _ in part), word.replace("’", "'")])):
        return False
    return rest in lexicon.given_names() or _is_strong_known(rest)


def _trim(part: list[Token], text: str) -> list[Token]:
    """Drop connectors at the edges and the sentence's capital on a common word ("Despite Trump", "The")."""
    common = _common()
    while part:
        word = part[0][0]
        if word in _CONNECTORS:
            part = part[1:]
            continue
        if (word.lower() in common or word in _DAYS) and (word in _ALWAYS_TRIM or _sentence_initial(text, part[0][1])):
            if len(part) > 1 and word in _HAN_SURNAMES and _PINYIN_GIVEN.match(part[1][0]):
                break  # "Yu Haibin", "He Lifeng"
            if any(_is_known(" ".join(w for w, _, _ in part[:k])) for k in range(len(part), 1, -1)):
                break  # "New Zealand Herald", "South Korea"
            part = part[1:]
            continue
        break
    # "Paris on November 14", "Ahmed Mohamed Image: …": a date or a caption credit runs on after the name.
    while part and (part[-1][0] in _CONNECTORS or part[-1][0] in _TRAILING_DROP):
        part = part[:-1]
    return part


def _title_split(part: list[Token]) -> tuple[list[list[Token]], list[Token], bool]:
    """Split "U.S. President Donald Trump" into the prefix ("U.S."), the name, and whether a title was seen."""
    words = [w for w, _, _ in part]
    if TITLES.isdisjoint(words):
        return [], part, False
    titles = [i for i, w in enumerate(words) if w in TITLES]
    # A name that only begins with a weak title word ("Home Office", "State Department") is not a titled person.
    if all(words[i] in WEAK_TITLES for i in titles):
        return [], part, False
    if len(words) > 1 and words[-1] in ORG_HEADS and words[-1] not in TITLES and _CONNECTORS.isdisjoint(words):
        return [], part, False  # "Duke University", "General Motors": a title word opening an organisation's name
    if titles[0] > 0 and words[titles[0] - 1] in _CONNECTORS:
        return [], part, False  # "Bank of England Governor" is handled as one run, not a title
    last = titles[-1]
    if last == len(words) - 1:
        # Title last ("Donald Trump, President") or nothing after it ("the President"): no person here.
        return [part[: titles[0]]], [], True
    given = lexicon.given_names()
    start = last + 1
    named = False  # a given name opens the name
    for i in range(titles[0] + 1, len(words)):
        if words[i] in given:
            start, named = i, True
            break
    if not named and words[start] == "of":
        # "Acting Premier of the Territory", "Governor of Texas": what follows "of" is the office's domain, no
        # person; a mention of its own only where the lists vouch for it.
        return [part[: titles[0]], part[start:]], [], True
    while start < len(words) and words[start] in _CONNECTORS:
        start += 1
    # "Governor of Washington Chris Gregoire": the place between title and name is a mention of its own.
    middle = [t for t in part[titles[0] + 1 : start] if t[0] not in TITLES]
    return [part[: titles[0]], middle], part[start:], True


def _connector_split(part: list[Token]) -> list[list[Token]]:
    """Cut "China and Russia", "Trump for President" at their connectors; keep "University of Texas"."""
    pieces: list[list[Token]] = [[]]
    for tok in part:
        if tok[0] in _CONNECTORS and tok[0] not in _NAME_PARTICLES:
            if pieces[-1]:
                pieces.append([])
            continue
        pieces[-1].append(tok)
    return [p for p in pieces if p]


def _classify(name: _Name, doc: str, start: int, end: int, titled: bool, initial: bool) -> tuple[str, int]:
    """Type one candidate from its own words, then from the words around it; strength 3 sure … 0 unknown."""
    after = end + 40  # the words after a name are read up to here (matched in place: no slice)
    if name.town and not titled and _BENCHMARK_AFTER.match(doc, end, after) and _city(name.text):
        return "other", 0  # "Brent crude", "Dubai crude": the benchmark, not the town
    static = _static_type(name.text, True) if titled else name.static
    if static is not None:
        return static
    n = name.n
    if n <= 3 and _PLACE_NOUNS_AFTER.match(doc, end, after):
        return "place", 3
    if name.org_head and not initial:
        return "organization", 2  # "the Police", "Parliament" mid-sentence
    if name.place:
        return "place", 1  # a small city: "Moore" (60,000 people) needs more than its name
    if name.person_shape and _PERSON_AFTER.match(doc, end, after):
        return name.agent, 2
    # The last three words before the name, lower case (the first of them cut when the 30 characters start mid-word).
    prev = doc[max(0, start - 30) : start].lower().rsplit(None, 3)
    k = len(prev)
    p1 = prev[-1].strip(_PUNCT) if k else ""
    p2 = prev[-2].strip(_PUNCT) if k > 1 else ""
    # "analyst at the World Bank", "by the Monti government": the context tests read past "the", but a speech verb
    # before "the" is no sign of a person: a role stands between them ("said the analyst Ann Lee"), and "said the
    # Touch Bar" names a thing.
    the = p1 == "the"
    if the:
        p1, p2 = p2, (prev[-3].strip(_PUNCT) if k > 2 else "")
    if name.person_shape and (
        (p1 in _PERSON_BEFORE and not (the and p1 in _SPEECH_BEFORE)) or _ROLE_AFTER.match(doc, end, after)
    ):
        return name.agent, 2
    if p1 in ("at", "of", "for", "with", "from") and p2 in _ORG_BEFORE_NOUNS:
        return "organization", 2
    if name.acronym:
        return "organization", 2
    if name.text == "May" and p1 in _MONTH_BEFORE:
        return "other", -1  # "in May", "since May": the month, not a name
    if n == 1 and p1 in _PLACE_BEFORE and not initial:
        return ("other", 0) if name.software else ("place", 1)  # "in Paris", not "in JavaScript"
    if name.surname_shape and (name.surname_last or _PAST_VERB_AFTER.match(doc, end, after)):
        return name.agent, 1
    if name.given and not (the and doc.startswith("the ", start - 4)):
        return "person", 1  # "the Moon", "the Sun", "the Star" are no people ("as The Fawn" may be one)
    return "other", 0


@dataclass(frozen=True, slots=True)
class _Name:
    """What a candidate's own words say, whatever surrounds it: worked out once per process and name.

    ``_classify`` reads these and then only the words around the mention; names recur within and across
    articles, so the set lookups and string tests here run once per name rather than once per mention.
    """

    text: str
    n: int  # words
    static: tuple[str, int] | None  # ``_static_type(text, titled=False)``
    org_head: bool  # one word that heads organisations ("Police", "Parliament"), not a title
    place: bool  # in the gazetteer, of any size
    town: bool  # in the gazetteer as a city or a province only (no country, continent or region of that name)
    person_shape: bool  # at most four words, no connector: a name a context word can make a person
    # What a context cue ("said", "by", "…, who") makes the name: a person, or an organisation for a name with the
    # particle "d'" that no given name opens ("Caran d'Ache", see ``_firm_with_particle``).
    agent: str
    acronym: bool  # one all-capital word that is not a common acronym ("NATO", not "CEO")
    surname_shape: bool  # two or three plain words without a region among them: "Romelu Lukaku"
    surname_last: bool  # its last word is a frequent surname
    given: bool  # one word, a given name
    known: bool  # a listed place or organisation
    demonym_first: bool  # its first word is a demonym ("Chinese", "Afghans")
    not_alone: bool  # one word that names no one alone: a connector, a date word, a title
    trimmable: bool  # a common word or a day (a sentence's capital, not a name's) and not a known name
    always_trim: bool  # one word capitalised mid-sentence only in headlines and quotes
    lower_probe: str  # " " + its first word in lower case: is it also written in lower case?
    titles: bool  # holds a title word ("President", "Foreign"): ``_title_split`` has work to do
    splittable: bool  # holds a connector that is not a name particle ("and", "of"): ``_should_split`` may cut it
    caps_place: str  # one all-capital word that is a place in title case: "WASHINGTON" → "Washington" ('' if not)
    software: bool  # one word naming software or a brand ("Python", "JavaScript"): "in" before it says no place


class _Names(dict[str, _Name]):
    """Name text → ``_Name``, filled on first use, up to ``_NAMES_MAX`` names (then worked out each time)."""

    def __missing__(self, text: str) -> _Name:
        words = text.split(" ")
        n = len(words)
        first, last = words[0], words[-1]
        places = lexicon.places()
        demonyms = lexicon.demonyms()
        has_connector = n > 1 and not _CONNECTORS.isdisjoint(words)
        known = _is_known(text)
        # Datelines ("WASHINGTON —", "LONDON (Reuters) -") write the place in capitals: there it is no acronym
        # (`_add_word` checks the position: elsewhere "NICE said" and "DELTA rose" stay organisations). From four
        # letters up only: "MAN" (the truck maker) is not Man, CI. A listed organisation ("NATO") stays one.
        caps_place = ""
        if n == 1 and len(text) > 3 and text.isupper() and not known and _is_strong_known(text.title()):
            caps_place = text.title()
        name = _Name(
            text=text,
            n=n,
            static=_static_type(text, False),
            org_head=n == 1 and last in ORG_HEADS and last not in TITLES,
            place=text in places,
            town=text in places and places[text].kind in ("city", "admin1"),
            person_shape=(
                n <= 4 and not has_connector and last not in _NOT_PERSON_TAILS and text not in _NOT_PERSON_WORDS
            ),
            agent="organization" if n > 1 and _firm_with_particle(words) else "person",
            acronym=n == 1 and len(text) >= 2 and text.isupper() and text.isalpha() and text not in _NOT_ORG_ACRONYMS,
            surname_shape=(
                2 <= n <= 3
                and not has_connector
                and last not in _NOT_PERSON_TAILS
                and not any(w.isupper() for w in words)
                # "Fan Expo Canada" is not a person; "Chad Wolf" is: a country that is a given name, before a surname.
                and not any(_is_region(w) for w in words[1:])
                and (not _is_region(first) or (first in lexicon.country_given_names() and last in lexicon.surnames()))
            ),
            surname_last=last in lexicon.surnames(),
            given=n == 1 and text in lexicon.given_names() and text not in _NOT_PERSON_WORDS,
            known=known,
            demonym_first=first in demonyms or first[:-1] in demonyms,
            # One letter, a contraction ("I've"), or a function word in capitals for emphasis ("NOT", "AND"; our
            # own stop words: stopwords-iso's English list holds "ai", "tv", "ups", "ge", which are acronyms here).
            not_alone=n == 1
            and (
                text in _NOT_ALONE
                or (not known and (len(text) == 1 or (text.isupper() and text.lower() in lexicon.stopwords("en"))))
                or _CONTRACTION.search(text) is not None
            ),
            trimmable=(first.lower() in _common() or first in _DAYS) and not known,
            always_trim=first in _ALWAYS_TRIM,
            lower_probe=f" {first.lower()}",
            titles=not TITLES.isdisjoint(words),
            splittable=any(w in _CONNECTORS and w not in _NAME_PARTICLES for w in words),
            caps_place=caps_place,
            software=n == 1 and (text in _SOFTWARE_WORDS or _BRAND_CASE.match(text) is not None),
        )
        if len(self) < _NAMES_MAX:
            self[text] = name
        return name


def _firm_with_particle(words: list[str]) -> bool:
    """Whether a name is "X d'Y" with no given name first: a firm or a brand ("Caran d'Ache", "Caisse d'Epargne").

    A person's name with the particle opens with a given name ("Jeanne d'Arc", "Roberto d'Aubuisson") or is the
    surname of one named in full elsewhere ("Giscard d'Estaing" after "Valéry Giscard d'Estaing", ``_resolve``).
    """
    return words[0] not in lexicon.given_names() and any(w.startswith(_PARTICLE_D) for w in words[1:])


_PARTICLE_D = ("d'", "d’")
# ~350 bytes a name (record, lower-case probe, table entry): at most ~35 MB per process, after 100,000 distinct names.
_NAMES_MAX = 100_000
_NAMES = _Names()


@functools.lru_cache(maxsize=100_000)
def _static_type(text: str, titled: bool) -> tuple[str, int] | None:
    """What a name's own words say about its type, whatever surrounds it (cached: names recur)."""
    places = lexicon.places()
    words = text.split(" ")
    n = len(words)
    if n > 1 and words[0] in _GREETINGS and words[-1] in _OCCASIONS:
        return "other", -1  # "Merry Christmas", "Happy New Year": no name at all
    if text in lexicon.organizations() or _german_organisation(words) or _adjective_organisation(words):
        return "organization", 3
    place = places.get(text)
    if place is not None and not titled and place.kind != "city":
        return "place", 3
    if titled and n <= 4:
        return "person", 3
    if n > 1 and _benchmark_tail(words) is not None:
        return "other", 0  # "Brent Crude", "West Texas Intermediate": a grade of oil, not a person named Brent
    last = words[-1]
    has_connector = any(w in _CONNECTORS for w in words)
    # An organisation head wins over a demonym before it: "Greek Ministry of Culture", "Indonesian Navy".
    if n > 1 and (
        last in ORG_HEADS
        or (n > 2 and words[0] in _ORG_LEADS and words[1] in _CONNECTORS)
        # "Andy Warhol Foundation for the Visual Arts", "U.S. Department of Agriculture"
        or any(words[i - 1] in ORG_HEADS for i in range(1, n - 1) if words[i] in _CONNECTORS and words[i] != "and")
    ):
        return "organization", 3
    if n > 1 and last in _PLACE_COMPANY_TAILS and (words[0] in places or " ".join(words[:-1]) in places):
        return "organization", 3  # "Georgia Power", "Tokyo Electric Power": not a person named Georgia
    demonyms = lexicon.demonyms()
    if words[0] in demonyms or words[0][:-1] in demonyms:
        return "other", 0  # "Afghan Girls", "Chinese", "Afghans", "Indonesian coast"
    if (
        n > 1
        and (
            last in PLACE_HEADS
            or words[0] in _PLACE_LEADS
            or (n > 2 and (words[0] in PLACE_HEADS or words[0] == "State") and words[1] in _CONNECTORS)
            or (words[0] in _COMPASS and " ".join(words[1:]) in places)  # "Southern Indiana", "East L.A."
            or (words[-1] in _COMPASS and " ".join(words[:-1]) in places)  # "Kowloon West", "Pacific Northwest"
        )
    ):
        return "place", 3
    if place is not None and not titled and (n > 1 or place.population >= 100_000):
        return "place", 2  # a city big enough to be meant
    if n > 2 and not has_connector and any(w in ORG_HEADS for w in words[1:-1]):
        return "organization", 2
    if (
        2 <= n <= 4
        and words[0] in lexicon.given_names()
        and not (has_connector and n > 3)
        and last not in _NOT_PERSON_TAILS
    ):
        return "person", 3
    if 2 <= n <= 3 and words[0] in _HAN_SURNAMES and all(_HAN_GIVEN.match(w) for w in words[1:]):
        return "person", 2
    return None


def _city(text: str) -> bool:
    """Whether the gazetteer's best entry for ``text`` is a city (not a country or a province of that name)."""
    place = lexicon.places().get(text)
    return place is not None and place.kind == "city"


def _benchmark_tail(words: Sequence[str]) -> int | None:
    """Where a benchmark's grade starts in a name that opens with a place ("West Texas Intermediate" → 2, "Brent
    Crude Oil" → 1), ``None`` if the name is no benchmark."""
    places = lexicon.places()
    for i in range(1, min(len(words), 4)):
        if (
            words[i] in _BENCHMARK_TAILS
            and all(w in _BENCHMARK_WORDS for w in words[i + 1 :])
            and (" ".join(words[:i]) in places or _nested_place(tuple(words[:i])))
        ):
            return i  # the place whole ("Brent Crude") or inside the words before ("West Texas Intermediate")
    return None


def _german_organisation(words: list[str]) -> bool:
    """Whether a name is a German organisation named after a person: an organisation head ends it, after a hyphen
    or as a word of its own, and a given name or a surname comes before ("Robert Koch-Institut", "Max-Planck-Institut",
    "Hans Böckler Stiftung", "Heinrich Büssing Specialfabrik", with a legal form after it or not), where the given
    name alone would make it a person. Without one such compounds are mostly common nouns ("Kfz-Versicherung",
    "HNO-Klinik"), as is a head after an article ("Mitte der Gesellschaft") or alone ("das Institut")."""
    if len(words) > 2 and words[-1] in _LEGAL_FORMS_DE:
        words = words[:-1]  # "Heinrich Büssing Automobilwerke KG": the name before its legal form
    pieces = words[-1].split("-")
    if pieces[-1] not in _COMPOUND_ORG_HEADS:
        # A compound in one word ("Specialfabrik") only after a full name that a given name opens: after a surname
        # or an adjective it is a common noun ("Schweizer Pharmakonzern", "I. Das Berufungsgericht").
        return (
            len(words) > 2
            and len(pieces) == 1
            and words[-1].lower().endswith(_COMPOUND_ORG_TAILS)
            and words[0] in lexicon.given_names()
            and _GERMAN_ARTICLES.isdisjoint(words)
        )
    if not _GERMAN_ARTICLES.isdisjoint(words):
        return False
    given, surnames = lexicon.given_names(), lexicon.surnames()
    return any(w in given or w in surnames for w in [*words[:-1], *pieces[:-1]])


def _adjective_organisation(words: list[str]) -> bool:
    """Whether a name is German adjectives before a compound that heads organisations: "Europäische Zentralbank",
    "Die Bayerische Landesbank" (a sentence's article is cut off later, ``_without_leading_stop_words``). German writes
    an adjective with a capital only in a name; the compound alone is a common noun ("die Zentralbank")."""
    if len(words) < 2 or not words[-1].lower().endswith(_ADJECTIVE_ORG_TAILS):
        return False
    adjectives = words[1:-1] if words[0] in _SENTENCE_ARTICLES_DE else words[:-1]
    return bool(adjectives) and all(_german_adjective(w) for w in adjectives)


def _german_adjective(word: str) -> bool:
    """Whether a capitalised word reads as a German adjective, inflected or not ("Europäische", "Deutschen")."""
    return word in _SHORT_ADJECTIVES_DE or (
        len(word) > 4 and word[0].isupper() and word.endswith(_ADJECTIVE_ENDINGS_DE)
    )


def _sentence_initial(text: str, start: int) -> bool:
    """Whether the word at ``start`` opens a sentence (after ". ", a line break, an opening quote, a dateline's
    dash: "(Reuters) - Officials said", "DUBAI — Flooding closed")."""
    i = start - 1
    dash = False
    while i >= 0 and text[i] in _OPENING:
        dash = dash or text[i] in _DASHES
        i -= 1
    if i < 0 or text[i] in _CLOSING:
        return True
    return dash and (text[i] == ")" or text[text.rfind("\n", 0, i) + 1 : i + 1].isupper())


def find_mentions(text: str, language: str | None = "en", headline_end: int = 0) -> list[Mention]:
    """Every name mention in ``text`` with its span, typed and settled against the rest of the document.

    ``headline_end``: where a Title Cased Headline at the start of ``text`` ends (0: none), see ``_resolve``.
    """
    text = text[:ENTITIES_MAX_CHARS]
    mentions: list[Mention] = []
    nouns_capitalised = language in _NOUN_CAPITALISING
    for match in _SEQUENCE.finditer(text):
        group = match.group()
        # One plain word (a possessive ends in a quote or 's), by far the most common candidate: the short road.
        if (
            " " not in group
            and "\t" not in group
            and "-" not in group
            and group[-1] not in "'’"
            and not group.endswith(_POSSESSIVE_S)
        ):
            _add_word(text, group, match.start(), match.end(), mentions)
            continue
        for raw_part in _split(group, match.start()):
            part = _trim(raw_part, text)
            if nouns_capitalised and len(part) > 1:
                _add_noun_language_part(text, part, mentions)
            elif part:
                _add_part(text, part, mentions)
    initials = _acronyms(text, mentions)
    _qualify(text, mentions)
    _resolve(mentions, headline_end, initials)
    if language not in (None, "en"):
        mentions = _vouched_for(text, mentions, language)
    return mentions


# Words before a noun, never before a place, in the languages that capitalise every noun: "das Essen" is a meal,
# "in Essen" the city; "20 Grad", "in der Mitte", "eine Bar".
_NOUN_CAPITALISING = frozenset({"de", "lb"})
_NOUN_BEFORE_DE = words(
    """der die das dem den des ein eine einer einem einen eines kein keine keinen keinem keiner zum zur beim vom im
    am ins jeder jede jedes diese dieser dieses diesem diesen"""
)


# Possessives and determiners that open a noun phrase as an article does: "ihrem Ehemann Oliver Pocher".
_DETERMINERS_DE = _NOUN_BEFORE_DE | words(
    """mein meine meinem meinen meiner dein deine deinem deinen deiner sein seine seinem seinen seiner ihr ihre
    ihrem ihren ihrer unser unsere unserem unseren unserer euer eure eurem euren eurer deren dessen"""
)
# How German nouns for a person's role end: "Trainer", "Sänger", "Präsident", "Ingenieur", "Generalsekretär",
# "Germanist", "Ehemann", "Philosoph", "Kollege"; their feminine forms add "-in" ("Moderatorin", "Journalistin").
# Only before a given name and after no given name (``_role_before_name``): "Peter" and "Walter" are given names.
_ROLE_ENDINGS_DE = tuple(
    ending + feminine
    for ending in ("er", "ent", "eur", "är", "ist", "mann", "soph", "loge", "ege", "naut", "ant", "at", "or")
    for feminine in ("", "in")
)


# German personal pronouns: capitalised only to open a sentence ("Sie" also as the polite "you"), never a name's last
# word.
_PRONOUNS_DE = frozenset({"Ich", "Du", "Er", "Sie", "Es", "Wir", "Ihr"})
# German articles as a sentence's first word: before a role noun, not a name's particle ("von der Leyen").
_SENTENCE_ARTICLES_DE = frozenset({"Der", "Die", "Das", "Den", "Dem", "Des"})


# German kinship words, before a given name no part of it: "sein Vater Leopold", "Onkel Karl", "ihrem Sohn Max".
# Not the religious titles of English ("Father Brown"), which are names' words there.
_KINSHIP_DE = frozenset(
    prefix + kin
    for kin in words(
        """
        Vater Mutter Bruder Schwester Sohn Tochter Onkel Tante Opa Oma Enkel Enkelin Neffe Nichte Cousin Cousine
        Vetter Schwager Schwägerin Ehemann Ehefrau Gatte Gattin Witwe Witwer Papa Mama Söhne Söhnen Töchter Töchtern
        Brüder Brüdern Schwestern Eltern Kinder Kindern"""
    )
    for prefix in ("", "Groß", "Urgroß", "Stief", "Schwieger", "Halb", "Zwillings", "Adoptiv", "Pflege")
)


def _add_noun_language_part(text: str, part: list[Token], mentions: list[Mention]) -> None:
    """``_add_part`` for a run of two words or more where every noun is capitalised, so that the run may hold nouns
    around a name: a genitive's noun before it ("Chef der Deutschen Bank"), a kinship word ("Sein Vater Leopold
    Mozart") or a role ("US-Präsident Donald Trump") before it, a pronoun after it ("Cem Basman Ich")."""
    if part[-1][0] in _PRONOUNS_DE:
        part = part[:-1]  # "Cem Basman Ich würde …": a byline, then a sentence without its full stop
    first = len(mentions)
    part, inflected = _nominative(text, part)
    written = part  # the words as the mentions' text gives them (below)
    genitive = len(part) > 2 and (article := _genitive_article(part))
    if genitive:
        _add_part(text, part[:article], mentions, known_only=True)  # "Chef", "Aktien": a noun, a name if listed
        after_genitive = len(mentions)
        part, more = _nominative(text, part[article + 1 :])
        written, inflected = [*written[: article + 1], *part], inflected | more
    if len(part) > 1 and (kin := _after_kinship(part)):
        head = part[: kin - 1]
        if len(head) > 1 and head[0][0] in lexicon.given_names() and _genitive_surname(head[-1][0]):
            word, start, end = head[-1]
            _add_part(text, [*head[:-1], (word[:-1], start, end - 1)], mentions)  # "Angela Merkels Vater …"
        elif head:
            _add_part(text, head, mentions, known_only=True)  # "Sein", "Mit": no name
        _add_part(text, part[kin:], mentions, after_role=True)
    else:
        if len(part) > 2:
            part = _before_genitive_noun(part)
        if len(part) > 2 and (cut := _role_before_name(text, part)):
            _add_part(text, part[:cut], mentions, known_only=True)  # "US-Präsident": a place or body only
            _add_part(text, part[cut:], mentions, after_role=True)
        elif part:
            _add_part(text, part, mentions)
    if genitive:
        # After the genitive a noun may open the rest ("der Name Arend", "der Stadt Köln"): a weak guess there (a
        # noun and a surname, a person) would only stand in the way of the surname's full name elsewhere.
        mentions[after_genitive:] = [m for m in mentions[after_genitive:] if m.strength >= 2]
    if inflected:
        # The name as the lists and the reader know it, over the letters written: "Deutschen Bank" is "Deutsche
        # Bank" (as a dateline's "WASHINGTON" is "Washington").
        for m in mentions[first:]:
            if any(m.start <= start < m.end for start in inflected):
                m.text = " ".join(w for w, start, end in written if m.start <= start and end <= m.end).replace("’", "'")


def _genitive_article(part: list[Token]) -> int:
    """Where the last genitive article stands inside a German run, the noun it depends on before it and a name after
    it ("Chef der Deutschen Bank", "Zahl der Mitglieder der Europäischen Union"), 0 if none does. An article after a
    name particle is the name's ("von der Leyen", "Van der Bellen"), and a listed name is left whole."""
    for i in range(len(part) - 2, 0, -1):
        if part[i][0] == "der" and part[i - 1][0].lower() not in _NAME_PARTICLES:
            return 0 if _is_known(" ".join(w for w, _, _ in part)) else i
    return 0


def _nominative(text: str, part: list[Token]) -> tuple[list[Token], set[int]]:
    """A German run with the adjectives that "der" inflects before a name's noun back in the form the name is known
    by, and where the words changed start: "(der) Deutschen Bank" → "Deutsche Bank", "(der) Vereinten Nationen" →
    "Vereinte Nationen". After "der" (genitive or dative of a feminine, or a plural) the form without an article
    ends in -e. After "des" the noun is inflected too, by its gender ("des Auswärtigen Amts"): left as written."""
    at = 1 if part[0][0] == "Der" else 0  # "Der Deutschen Bank droht …": the sentence's article, in the dative
    if at >= len(part) - 1 or not part[at][0].endswith("en"):
        return part, set()  # most runs: read no further
    start = part[0][1]
    # The word before, past an opening quote: 'der "Deutschen Presseagentur"'.
    if not at and text[max(0, start - 8) : start].rstrip(" \t\"'„“‚‘«»(").rpartition(" ")[2] != "der":
        return part, set()
    changed: set[int] = set()
    out = list(part)
    while at < len(part) - 1 and part[at][0].endswith("en") and _german_adjective(part[at][0]):
        word, start, end = part[at]
        out[at] = (word[:-1], start, end)
        changed.add(start)
        at += 1
    return (out, changed) if changed else (part, changed)


def _after_kinship(part: list[Token]) -> int:
    """Where a given name starts after a German kinship word in a run ("Sein Vater Leopold Mozart" → 2), 0 if none
    does: the kinship word is the relation, not the person's name."""
    given = lexicon.given_names()
    for i in range(len(part) - 1):
        if part[i][0] in _KINSHIP_DE and part[i + 1][0] in given:
            return i + 1
    return 0


def _genitive_surname(word: str) -> bool:
    """Whether a word is a surname with the German genitive -s ("Merkels", "Daums"): without it the lists know it as
    a surname, with it as no name."""
    surnames = lexicon.surnames()
    return word.endswith("s") and word not in surnames and word not in lexicon.given_names() and word[:-1] in surnames


def _before_genitive_noun(part: list[Token]) -> list[Token]:
    """A German run cut after a person's surname in the genitive, the -s dropped: "Timo Daums Bücher" → "Timo Daum".

    The surname with its -s is in no list while the surname without it is, and the word after it is neither a given
    name nor a surname but a capitalised word (a noun: "Bücher"); a given name opens the run. "Hans Peters Müller"
    and "Les Halles d'Avignon" stay whole.
    """
    given, surnames = lexicon.given_names(), lexicon.surnames()
    if part[0][0] not in given:
        return part
    for k in range(1, len(part) - 1):
        word, start, end = part[k]
        after = part[k + 1][0]
        if _genitive_surname(word) and after[0].isupper() and after not in given and after not in surnames:
            return [*part[:k], (word[:-1], start, end - 1)]
    return part


def _role_before_name(text: str, part: list[Token]) -> int:
    """Where a person's name starts in a run that a German role noun opens ("Ehemann Oliver Pocher", "US-Präsident
    Donald Trump", "DRK-Generalsekretär Christian Reuter"), 0 if it does not: the first given name after words
    that are none, with a surname after it, when the words before it read as a noun: a determiner before the run
    ("ihrem Ehemann", "der Schauspieler"), a compound with a hyphen ("US-Präsident"), or a role's ending
    ("Trainer", "Moderatorin"). "Luís Roberto Barroso" (a given name the lists lack) has none of these."""
    given = lexicon.given_names()
    if part[0][0] in given:
        return 0
    for i in range(1, len(part) - 1):
        if part[i][0] in given:
            break
    else:
        return 0
    role = part[i - 1][0]
    words = [w for w, _, _ in part]
    # A capitalised article opening the run is the sentence's ("Der Verteidiger Matthias Ginter"), not a particle.
    first = 1 if words[0] in _SENTENCE_ARTICLES_DE else 0
    if i == first or any(w.lower() in _NAME_PARTICLES or w in given for w in words[first:i]):
        return 0
    if any(_is_known(" ".join(words[:k])) for k in range(i + 1, len(words) + 1)):
        return 0  # "der Los Angeles Times": a known name runs across the given name ("Angeles")
    if "-" in role.strip("-") or role.endswith(_ROLE_ENDINGS_DE) or _after_determiner(text, part[0][1]):
        return i
    return 0


def _after_determiner(text: str, start: int) -> bool:
    """Whether a German article, possessive or determiner stands right before ``start`` ("unserem" and a quote fit
    in twelve characters)."""
    return _word_before(text, start, 12) in _DETERMINERS_DE


def _vouched_for(text: str, mentions: list[Mention], language: str) -> list[Mention]:
    """Outside English, the mentions the lists vouch for: capitalisation says little there.

    A one-word gazetteer place is still often a common word of the language: a city of 100,000 ("Man" CI, "Kita"
    JP) or a province anywhere ("Para" BR, "Grad" SI, "Bar" ME). So, unless it is a country, it is refused when it
    is a stop word of the language ("Man muss …", "Para el …"); when it only opens sentences and the text also
    writes it in lower case (the capital is the sentence's); and, where every noun is capitalised, when a mention
    of it follows an article or a number ("20 Grad", "die Bar", "das Essen"). A sentence's first word alone is
    not refused otherwise: on the German pages of trafilatura-eval that cost more real places ("Berlin (dpa) –",
    "Stuttgart hat …") than it removed false ones.
    """
    stop = lexicon.stopwords(language)
    places = lexicon.places()
    nouns_capitalised = language in _NOUN_CAPITALISING
    trusted: set[str] = set()  # one-word places some mention vouches for
    doubtful: set[str] = set()  # one-word places that are common words here
    as_noun: dict[str, list[int]] = {}  # name → [mentions after an article or a number, mentions]
    for m in mentions:
        if m.strength < 2 or m.type != "place" or " " in m.text or m.text in doubtful:
            continue
        place = places.get(m.canonical)
        if place is not None and place.kind not in ("city", "admin1"):
            trusted.add(m.text)  # a country or a continent: not a common word anywhere
            continue
        if m.text.lower() in stop:
            doubtful.add(m.text)
            continue
        if nouns_capitalised:
            votes = as_noun.setdefault(m.text, [0, 0])
            # Regions take an article in German ("im Saarland", "die Steiermark"): for them only a number
            # before ("20 Grad", Grad being a Slovenian region too) says common noun.
            votes[0] += _after_noun_word(text, m.start, articles=place is None or place.kind != "admin1")
            votes[1] += 1
        if not m.sentence_initial or f" {m.text.lower()} " not in text:
            trusted.add(m.text)
    # Most mentions (or half) read as a noun: "in der Mitte", "20 Grad"; not "Dresden" once after "die" (a pronoun).
    doubtful.update(name for name, (noun, seen) in as_noun.items() if noun and 2 * noun >= seen)
    trusted -= doubtful
    kept = [m for m in mentions if m.strength >= 2 and (m.type != "place" or " " in m.text or m.text in trusted)]
    if nouns_capitalised:
        nouns = _nouns_as_names(text, mentions, stop)  # all of them: a weak "das Thema Corona" tells too
        if nouns:
            kept = [m for m in kept if m.canonical not in nouns]
    return _without_leading_stop_words(kept, language)


def _nouns_as_names(text: str, mentions: list[Mention], stop: frozenset[str]) -> set[str]:
    """Where every noun is capitalised, the names (canonical) that are common nouns of the language.

    One word that heads organisations in English is a noun alone ("das Team", "die Initiative", "Service",
    "Theater"), unless the list of organisations names it. A person without a given name may be two nouns in a row
    whose second is also an American surname ("250 Gramm Mehl", "das Thema Corona", "Millionen Kinder"), which
    then made every "Mehl" of the text that person: it is none when a word of it is a stop word ("Würdest Du",
    "Impfschutz Ihrer Kinder") or a noun of the text (``_noun_in_text``).
    """
    organizations = lexicon.organizations()
    given = lexicon.given_names()
    nouns: set[str] = set()
    checked: set[str] = set()
    for m in mentions:
        name = m.canonical
        if m.entity_type == "organization":
            if name in ORG_HEADS and name not in organizations:
                nouns.add(name)
            continue
        if m.entity_type != "person" or name in checked:
            continue
        checked.add(name)
        words = [w for w in name.split(" ") if w.lower() not in _NAME_PARTICLES]
        if any(w in given or w.split("-")[0] in given for w in words):
            continue
        if any(w.lower() in stop or _noun_in_text(text, w) for w in words):
            nouns.add(name)
    return nouns


# Uses of a word read to tell a noun from a name: enough for the vote, and a bound on the scan.
_NOUN_VOTES_MAX = 30


def _noun_in_text(text: str, word: str) -> bool:
    """Whether the text writes ``word`` as a noun: after an article, a possessive or a number in a third of its uses
    or more ("das Thema", "250 Gramm", "ihre Kinder"). A name is seldom so ("ein Fakt, den Vreni …": once in
    eighteen). Each use is found by ``str.find`` and read by its start: one pass over the text, no regex."""
    uses = nouns = 0
    at = text.find(word)
    while at >= 0 and uses < _NOUN_VOTES_MAX:
        end = at + len(word)
        if (at == 0 or not text[at - 1].isalnum()) and (end == len(text) or not text[end].isalnum()):
            uses += 1
            nouns += _after_determiner(text, at) or _after_noun_word(text, at, articles=False)
        at = text.find(word, end)
    return 3 * nouns >= uses > 0 and nouns > 0


def _without_leading_stop_words(mentions: list[Mention], language: str) -> list[Mention]:
    """The mentions with no name that a stop word of the language opens: a sentence's article or preposition before
    a noun ("Das Buch", "Mit Blick", "Le Monde", "Les Français"; "Das", "Mit", "Les" are given names in the lists),
    the noun alone filed under it ("Blick"), a byline's "Von" cut off ("Von Stefan Krempl": Stefan Krempl). Where
    every noun is capitalised, "der" inside a person's name is a genitive's article ("am Tod der Tiere"; "Tod" is a
    given name) unless a particle stands before it ("von der Leyen"). Listed names keep their article, also opening
    a longer one ("La Paz", "Los Angeles Times").
    """
    cut: dict[str, tuple[str, str] | None] = {}  # canonical → (the name left, its type), None to drop
    for m in mentions:
        name = m.canonical
        if " " in name and name not in cut:
            cut[name] = _stop_word_cut(name, language, m.entity_type == "person")
    cut = {name: left for name, left in cut.items() if left is None or left[0] != name}
    if not cut:
        return mentions
    kept = []
    for m in mentions:
        if m.canonical not in cut:
            kept.append(m)
            continue
        left = cut[m.canonical]
        if left is None:
            continue
        if m.text == m.canonical:
            m.start += len(m.text) - len(left[0])
            m.text = left[0]
        m.canonical, m.type, m.entity_type = left[0], left[1], left[1]
        kept.append(m)
    return kept


@functools.lru_cache(maxsize=50_000)
def _stop_word_cut(name: str, language: str, person: bool) -> tuple[str, str] | None:
    """What ``_without_leading_stop_words`` makes of a name: (itself, "") to keep it, (the name left, its type), or
    None to drop it (cached: names recur)."""
    words = name.split(" ")
    nouns_capitalised = language in _NOUN_CAPITALISING
    if person and nouns_capitalised and _genitive_inside(words):
        return None
    stop = lexicon.stopwords(language)
    if words[0].lower() not in stop or any(_is_known(" ".join(words[:k])) for k in range(2, len(words) + 1)):
        return name, ""
    while words and words[0].lower() in stop:
        words = words[1:]
    rest = " ".join(words)
    static = _static_type(rest, False) if words else None
    # What is left is a name of its own only when its words say so ("Stefan Krempl": a person; "Blick", "Monde":
    # nothing): not a noun with its genitive or "von" ("Nachfrage der Airlines"), nor one word that is neither a
    # region ("Nova York" is no York) nor an organisation named after a person ("Die Friedrich-Ebert-Stiftung").
    if (
        static is not None
        and static[1] >= 2
        and (len(words) > 1 or _is_region(rest) or _german_organisation(words))
        and not (nouns_capitalised and any(w.islower() for w in words))
    ):
        return rest, static[0]
    return None


def _genitive_inside(words: list[str]) -> bool:
    """Whether a German article stands inside a name with no particle before it: "Tod der Tiere", not "von der
    Leyen"."""
    return any(
        w in ("der", "des", "den", "dem") and words[i - 1].lower() not in ("von", "van", "de")
        for i, w in enumerate(words[1:-1], 1)
    )


def _word_before(text: str, start: int, width: int) -> str:
    """The last word in the ``width`` characters before ``start``, lower-cased, an opening bracket or quote off ('' if
    none)."""
    before = text[max(0, start - width) : start].split()
    return before[-1].lstrip("(\"'„“").lower() if before else ""


def _after_noun_word(text: str, start: int, articles: bool = True) -> bool:
    """Whether an article ("der", "eine", "zum", …) or a number stands right before ``start``. Ten characters hold
    such a word and the space before it, and a longer word's tail read instead ("Leiter" → "eiter") is never one."""
    word = _word_before(text, start, 10)
    # A count or a measure ("20 Grad", "3,5 Grad"), not a postcode ("10117 Berlin", "8037 Zürich") or a year.
    return (articles and word in _NOUN_BEFORE_DE) or (len(word) <= 3 and word.replace(",", "").isdigit())


# What follows a dateline's place: more places ("WASHINGTON/GENEVA"), a state or country ("HOUSTON, Texas") or a
# date ("DUBAI, Feb 17"), an agency ("(Reuters)"), then a dash.
_DATELINE_AFTER = re.compile(
    r"(?:/[A-Z][A-Z .'-]{2,30})*(?:,\s[A-Z][\w.]*(?:\s[A-Z][\w.]*)?(?:\s\d{1,2})?)?\s*(?:\([^)\n]{1,40}\)\s*)?[-–—]\s"
)
# What may come before a dateline's place on its line: the places before it ("WASHINGTON/GENEVA/").
_DATELINE_BEFORE = re.compile(r"(?:[A-Z][A-Z .'-]{2,30}/)+")


def _dateline_start(text: str, start: int) -> bool:
    if start == 0 or text[start - 1] == "\n":
        return True
    if text[start - 1] != "/":
        return False
    line_start = text.rfind("\n", 0, start) + 1
    return start - line_start <= 100 and _DATELINE_BEFORE.fullmatch(text, line_start, start) is not None


def _add_word(text: str, word: str, start: int, end: int, mentions: list[Mention]) -> None:
    """``_add_part`` for a one-word candidate, without the list handling a run of words needs."""
    name = _NAMES[word]
    if name.not_alone:
        return  # a title alone ("the President") names no one
    initial = _sentence_initial(text, start)
    if name.caps_place and _dateline_start(text, start) and _DATELINE_AFTER.match(text, end):
        mention = _mention(text, start, end, name.caps_place, "place", 3, initial)
        mention.text = name.caps_place  # one entity with "Washington" written in the body
        mentions.append(mention)
        return
    if (initial or name.always_trim) and name.trimmable:
        return
    if initial and text.startswith(" who ", end) and name.lower_probe in text:
        return  # "People who are …": a common noun opening a sentence ("Smith, who" has its comma)
    if word in _MONTHS_SHORT and _DAY_AFTER.match(text, end):
        return
    kind, strength = _classify(name, text, start, end, False, initial)
    if strength < 0:
        return
    if kind == "other" and name.demonym_first:
        return
    if initial and (strength < 2 or (kind == "place" and name.town)) and name.lower_probe in text:
        # A sentence's capital on a word the text also writes in lower case: "Reading the article", "Nice work";
        # a city or a province too ("Reading", "Nice"; "Store", a Slovenian municipality), but not a country.
        return
    mentions.append(_mention(text, start, end, word, kind, strength, initial))


def _mention(text: str, start: int, end: int, name: str, kind: str, strength: int, initial: bool) -> Mention:
    mention = Mention(start, end, text[start:end].replace("’", "'"), kind, strength, initial)
    if kind == "place" and strength == 3:
        actor = _ACTOR_AFTER.match(text, end)
        place = lexicon.places().get(name)
        if actor and place is not None and place.kind in ("country", "admin1"):
            if actor.group(1):
                mention.actor = "team"  # "England won", "Texas defeated Oklahoma"
            elif place.kind == "country":
                mention.actor = "government"
    return mention


def _add_part(
    text: str, part: list[Token], mentions: list[Mention], known_only: bool = False, after_role: bool = False
) -> None:
    """Add the mentions of one candidate run; ``after_role``: a role noun stood before it (``_role_before_name``),
    so that it is a person's or a firm's name, opening with a given name, not with a place ("GROOVE-Autorin Charlotte
    Elsen" is no Charlotte, US), or nothing.
    """
    words = [w for w, _, _ in part]
    name_text = " ".join(words)
    facts = _NAMES[name_text]
    name, titled = part, False
    if facts.titles:
        sides, name, titled = _title_split(part)
        for side in sides:
            side = _trim(side, text)
            if side:
                _add_part(text, side, mentions, known_only=True)
    name = _trim(name, text)
    if not name:
        return
    if name is not part:
        words = [w for w, _, _ in name]
        name_text = " ".join(words)
        facts = _NAMES[name_text]
    if facts.not_alone:
        return  # what trimming left of "Today I", "MOS Technology Inc.": no name alone
    if not titled and not after_role and len(words) > 2:
        split = _known_prefix(words, name_text)
        if split:
            _add_part(text, name[:split], mentions)
            _add_part(text, name[split:], mentions)
            return
    start, end = name[0][1], name[-1][2]
    initial = _sentence_initial(text, start)
    kind, strength = _classify(facts, text, start, end, titled, initial)
    if facts.splittable and _should_split(words, name_text, strength):
        for piece in _connector_split(name):
            piece = _trim(piece, text)
            if piece:
                _add_part(text, piece, mentions, known_only)
        return
    if strength < 0 or (after_role and kind not in ("person", "organization")):
        return  # after a noun a person or a firm ("Juweliergeschäfts Tiffany & Co."): "der Hyundai Santa Fe" is a car
    if known_only and (strength < 2 or kind == "person"):
        return  # a title's neighbour counts only when lists vouch for it ("U.S." President, "LA" Sheriff)
    if kind == "other" and facts.demonym_first:
        return  # "Chinese", "Afghans": the country comes out in `countries`, not as an entity
    if initial and len(words) == 1 and strength < 2 and facts.lower_probe in text:
        return  # a sentence's capital on a word the text also writes in lower case
    mentions.append(_mention(text, start, end, name_text, kind, strength, initial))
    if len(words) > 1 and kind != "person" and not facts.known:
        _add_nested(text, name, mentions, kind)


def _should_split(words: list[str], name_text: str, strength: int) -> bool:
    """Whether a run joined by connectors is several names: "China and Russia", "Wu Chi-wai of the Party"."""
    connectors = [i for i, w in enumerate(words) if w in _CONNECTORS and w not in _NAME_PARTICLES]
    if not connectors:
        return False
    if strength < 3:
        return True
    if _is_known(name_text):
        return False
    ands = [i for i in connectors if words[i] in ("and", "&")]
    if ands:
        # "National Air and Space Museum", "State and Homeland Security Departments" are one name; "China and
        # Russia", "the District and the Police Department" are two.
        before = words[: ands[0]]
        one_name = (words[-1] in ORG_HEADS or words[-1] in PLACE_HEADS) and not any(
            w in ORG_HEADS or w in PLACE_HEADS for w in before
        )
        return not one_name or _is_known(" ".join(before))
    head = words[: connectors[0]]
    given = lexicon.given_names()
    # "Wu Chi-wai of the Party" is two names, "Andy Warhol Foundation for the Visual Arts" one.
    return (
        bool(head)
        and head[-1] not in ORG_HEADS
        and ((head[0] in given and len(head) > 1) or (head[0] in _HAN_SURNAMES and len(head) == 2))
    )


def _known_prefix(words: list[str], name_text: str) -> int:
    """Where "United States Hamdullah Mohib" splits into a known place and a person after it (0: no split)."""
    return _known_prefix_of(name_text)


@functools.lru_cache(maxsize=50_000)
def _known_prefix_of(name_text: str) -> int:
    words = name_text.split(" ")
    if name_text in lexicon.places() or name_text in lexicon.organizations():
        return 0
    if words[-1] in ORG_HEADS or words[-1] in PLACE_HEADS or any(w in _CONNECTORS for w in words):
        return 0
    for k in range(len(words) - 1, 0, -1):  # the longest known head: "Washington D.C." before "Washington"
        if k == 1 and words[0] in _CAPITAL_PARTICLES:
            continue  # "Van Der Beek" is a surname, not Van (Turkey) and "Der Beek"
        if _is_strong_known(" ".join(words[:k])):
            return k
    return 0


@functools.cache
def _ambiguous_states() -> frozenset[str]:
    """US states whose name the gazetteer files elsewhere: "Georgia" (the country)."""
    places = lexicon.places()
    return frozenset(name for name in lexicon.us_states() if places[name].country != "US")


@functools.cache
def _state_after() -> re.Pattern[str]:
    """ ", Texas" or ", Tex." right after a place, not a list going on ("…, Texas and Oklahoma")."""
    states = sorted((lexicon.us_states() - _NOT_QUALIFYING_STATES) | _AP_STATES.keys(), key=len, reverse=True)
    return re.compile(rf",[ \t]+({'|'.join(map(re.escape, states))})(?![\w'’-])(?![ \t]+(?:and|or|&)[ \t])")


# What follows a comma after a state: the next name, up to three capitalised words ("Ukraine", "South Korea").
_NEXT_NAME = re.compile(r",[ \t]+([A-Z][\w'’-]*(?:[ \t]+[A-Z][\w'’-]*){0,2})")


def _country_follows(text: str, end: int) -> bool:
    """Whether ", <a country other than the US>" comes at ``end``: "Moscow, Georgia, Ukraine" is a list going on,
    where "Athens, Georgia, USA" is an address."""
    after = _NEXT_NAME.match(text, end)
    if after is None:
        return False
    places = lexicon.places()
    words = after.group(1).split()
    for k in range(len(words), 0, -1):
        place = places.get(" ".join(words[:k]))
        if place is not None and place.kind == "country":
            return place.country != "US"
    return False


def _qualify(text: str, mentions: list[Mention]) -> None:
    """File a city followed by ", <US state>" under both ("Paris, Texas": not in France), and a state that is also
    a country, written after a place outside that country, as the state ("Atlanta, Georgia": not in Georgia).

    A list is no such pair: the state followed by a comma and a country other than the US ("Moscow, Georgia,
    Ukraine"), or a state that is also a country after a country ("Armenia, Georgia"), is one more item of it."""
    places = lexicon.places()
    for i, m in enumerate(mentions):
        if m.type != "place" or not text.startswith(",", m.end):
            continue  # the cheap test first: most places are not followed by a comma
        after = _state_after().match(text, m.end)
        if after is None:
            continue
        written = after.group(1)
        state = _AP_STATES.get(written, written)
        place = places.get(m.text)
        elsewhere = places[state].country  # "Georgia" names a country too: "Tbilisi, Georgia" is that one
        if place is not None and place.country == elsewhere != "US":
            continue
        if elsewhere != "US" and place is not None and place.kind == "country":
            continue  # "Armenia, Georgia": countries in a row
        if text.startswith(",", after.end()) and _country_follows(text, after.end()):
            continue
        if place is not None and place.kind == "city" and place.country != "US":
            m.qualified = f"{m.text}, {state}"
        for n in mentions[i + 1 : i + 4]:
            if n.start == after.start(1) and written.startswith(n.text):  # not "Texas Rangers"
                # The state as a place of its own, whether written out or short ("Ga." is Georgia, no name "Ga").
                n.qualified = f"{state} (U.S. state)" if elsewhere != "US" else state
                n.type, n.strength = "place", max(n.strength, 2)
                break


def _is_region(name: str) -> bool:
    """A country, province or continent (not a city: too many cities are surnames)."""
    place = lexicon.places().get(name)
    return place is not None and place.kind != "city"


def _is_strong_known(name: str, city_population: int = 100_000) -> bool:
    if name in lexicon.organizations():
        return True
    place = lexicon.places().get(name)
    return place is not None and (place.kind != "city" or place.population >= city_population)


def _add_nested(text: str, name: list[Token], mentions: list[Mention], outer: str) -> None:
    """Places named inside a longer name: "Texas" in "University of Texas", "Sydney" in "Sydney Morning Herald".

    Cities count from a million people: "Kennedy Space Center" is not in Kennedy, Bogotá (980,000). In a name of
    unknown kind a place that ends it is what the name is of, not where ("Touch Bar" is no place Bar, Montenegro;
    "Environment Canada", "Team Estonia"), unless "of" or another place comes before it; opening the name it is
    where ("Toronto Star", "Texas A&M"). A capitalised name particle is a surname's ("Van Gogh", "Van Der Beek": no
    Van, Turkey). "Georgia" opening a name is the state ("Georgia Power", "Georgia Tech"); the country's are "Bank
    of Georgia" or "Georgian …".
    """
    words = tuple(w for w, _, _ in name)
    found = _nested_place(words)
    if found is None or _benchmark_tail(words) is not None:
        return
    first, last = found
    if first == last and words[first] in _CAPITAL_PARTICLES:
        return
    if (
        outer == "other"
        and last == len(words) - 1
        and first > 0
        and words[first - 1] not in _CONNECTORS
        and words[first - 1] not in lexicon.places()  # "… Australia New Zealand": places in a row
    ):
        return
    start, end = name[first][1], name[last][2]
    if not any(m.start <= start and end <= m.end and m.end - m.start < name[-1][2] - name[0][1] for m in mentions[-3:]):
        mention = Mention(start, end, text[start:end], "place", 2)
        if first == 0 and mention.text in _ambiguous_states():
            mention.qualified = f"{mention.text} (U.S. state)"
        mentions.append(mention)


@functools.lru_cache(maxsize=50_000)
def _nested_place(words: tuple[str, ...]) -> tuple[int, int] | None:
    """Which words of a name (first, last index) are a place of their own, longest first (cached: names recur)."""
    n = len(words)
    for size in range(min(3, n - 1), 0, -1):
        for i in range(n - size + 1):
            piece = words[i : i + size]
            if piece[0] in _CONNECTORS or piece[-1] in _CONNECTORS:
                continue
            piece_text = " ".join(piece)
            if _is_strong_known(piece_text, 1_000_000) and piece_text not in lexicon.organizations():
                if i > 0 and words[i - 1] in _COMPASS:
                    return i - 1, i + size - 1  # "Southern Indiana" in "University of Southern Indiana"
                return i, i + size - 1
    return None


def _acronyms(text: str, mentions: list[Mention]) -> dict[str, str]:
    """ "Kennedy Space Center (KSC)": the acronym takes the type of the name it abbreviates, everywhere.

    Not a person's: news puts a person's initials in brackets seldom, and the firm a person is with or is named
    after often ("Niklas Röber (NVIDIA)", "Georg Fischer (GF)"): such an acronym keeps the type it has alone. An
    interview's speaker label is the exception: "Swizec Teller (ST): Hey, …", then "ST: …" for each answer. So are
    a person's initials, letters that fit the name, when the article comes back to the person ("Richard Stallman
    (RMS) … Stallman said"): returned as acronym → full name, for ``_resolve`` to file each use under the person.
    Only after a name whose own words make it a person (a given name, a title): "Screen Actors Guild (SAG)" is a
    person only by a guess from its context. A listed organisation keeps its type whatever letters it has.
    """
    introduced: dict[str, tuple[str, int]] = {}
    initials: dict[str, str] = {}
    for a, b in itertools.pairwise(mentions):
        if (
            b.text.isupper()
            and " " in a.text
            and text[a.end : b.start] == " ("
            and text[b.end : b.end + 1] == ")"
            and b.text[0] == a.text[0]
            and a.type != "other"
        ):
            if a.type != "person" or text.startswith("):", b.end):
                introduced[b.text] = (a.type, a.strength)
            elif a.strength >= 3 > b.strength and _fits_initials(b.text, a.text) and _named_again(mentions, a, b):
                initials[b.text] = a.text
    if introduced:
        for m in mentions:
            if m.text in introduced:
                m.type, m.strength = introduced[m.text]
    return initials


def _fits_initials(acronym: str, name: str) -> bool:
    """Whether an acronym is a person's initials: its first letter the first name's, its last the surname's, the
    letters between among the other words' initials in order (a hyphen parts a surname: "Ocasio-Cortez" gives O
    and C), one of them perhaps of a middle name not written ("RMS" for Richard Stallman, Richard Matthew)."""
    words = name.split(" ")
    if words[-1] in _NAME_SUFFIXES and len(words) > 2:
        words = words[:-1]  # "Martin Luther King Jr. (MLK)"
    letters = "".join(piece[0] for word in words for piece in word.split("-") if piece)
    if len(acronym) < 2 or acronym[0] != letters[0] or acronym[-1] != letters[-1]:
        return False
    middle = letters[1:-1]
    unwritten = at = 0
    for letter in acronym[1:-1]:
        found = middle.find(letter, at)
        if found < 0:
            unwritten += 1
        else:
            at = found + 1  # the initials stay in order; skipping one ("JK" for John F. Kennedy) is fine
    return unwritten <= 1


def _named_again(mentions: list[Mention], person: Mention, acronym: Mention) -> bool:
    """Whether the article comes back to a person its initials introduce: the full name again, a word of it alone
    ("Stallman said"), or the initials again. A firm named after its founder is mostly named once, in a list
    ("Georg Fischer (GF), IVF Hartmann"), where the acronym is the firm's."""
    words = person.text.split(" ")
    again = {person.text, acronym.text, words[0], words[-1]}
    return any(m.text in again for m in mentions if m is not person and m is not acronym)


def _resolve(mentions: list[Mention], headline_end: int = 0, initials: dict[str, str] | None = None) -> None:
    """Settle each mention against the document: surnames to full names, one type per name.

    Mentions before ``headline_end`` (a Title Cased Headline) name no one in full: there "Republicans Are Following
    Trump" is one capitalised run, and "Trump" in the body would become "Are Following Trump". ``initials``: a
    person's initials → the full name (``_acronyms``), resolved as a surname is.
    """
    full: dict[str, set[str]] = {acronym: {name} for acronym, name in initials.items()} if initials else {}
    first_at: dict[str, int] = {}  # where each full name is first written
    qualified: dict[str, set[str]] = {}  # "Paris" → {"Paris, Texas"}
    for m in mentions:
        if m.qualified:
            qualified.setdefault(m.text, set()).add(m.qualified)
        if m.type == "person" and m.strength >= 1 and m.start >= headline_end and len(words := m.text.split()) >= 2:
            first_at.setdefault(m.text, m.start)
            last = words[-2] if words[-1] in _NAME_SUFFIXES and len(words) > 2 else words[-1]  # "… Kennedy Jr."
            keys = [words[0], last]
            # A surname with a particle is written whole: "James Van Der Beek" is "Van Der Beek" later.
            for i in range(1, len(words) - 1):
                if words[i].lower() in _NAME_PARTICLES:
                    keys += [" ".join(words[i:]), " ".join([words[i].capitalize(), *words[i + 1 :]])]
                    break
            for w in keys:
                if w not in _NAME_PARTICLES:
                    full.setdefault(w, set()).add(m.text)
        if (
            m.type in ("person", "other")
            and m.start >= headline_end
            and "d'" in m.text  # a mention's text is written with a straight apostrophe
            and len(words := m.text.split()) >= 3
        ):
            # A surname with "d'" is the words from the one before the particle: "Giscard d'Estaing" of "Valéry
            # Giscard d'Estaing", even when the lists do not know the given name (the full name is then "other").
            for i in range(2, len(words)):
                if words[i].startswith(_PARTICLE_D):
                    full.setdefault(" ".join(words[i - 1 :]), set()).add(m.text)
                    first_at.setdefault(m.text, m.start)
                    break
    person_countries = lexicon.country_given_names()
    for m in mentions:
        text = m.canonical = m.text
        if qualified:  # rare: only articles with "Paris, Texas" and the like
            if m.qualified:
                m.canonical = m.qualified
                continue
            if text in qualified and m.type != "person" and len(places := qualified[text]) == 1:
                m.canonical = next(iter(places))  # "Paris" after "Paris, Texas"
                continue
        names = full.get(text)
        if names is None:
            continue
        if (
            m.strength < 3
            and not _is_region(m.text)  # "Canada" is not short for "Environment Canada"
            and m.text not in lexicon.organizations()
        ) or (
            # A country that is also a name ("Jordan") after the person was named in full: "Jordan scored".
            m.text in person_countries and all(first_at[name] < m.start for name in names)
        ):
            if len(names) == 1:
                m.canonical = next(iter(names))
                m.type, m.strength, m.actor = "person", max(m.strength, 2), ""
        elif m.type == "person" and len(names) == 1:
            m.canonical = next(iter(names))
    teams = {m.canonical for m in mentions if m.actor == "team"}
    teams = {name for name in teams if sum(1 for m in mentions if m.canonical == name and m.actor == "team") >= 2}
    votes: dict[str, dict[str, int]] = {}
    for m in mentions:
        by_type = votes.get(m.canonical)
        if by_type is None:
            by_type = votes[m.canonical] = {}
        by_type[m.type] = by_type.get(m.type, 0) + m.strength + (m.type != "other")
    best_of = {
        name: next(iter(by_type)) if len(by_type) == 1 else max(by_type, key=lambda t: (by_type[t], t != "other"))
        for name, by_type in votes.items()
    }
    for m in mentions:
        by_type = votes[m.canonical]
        best = best_of[m.canonical]
        m.entity_type = best if by_type[best] > 0 else m.type
        # A name typed by one weak guess ("in Hajj") does not carry that guess to its other mentions.
        if (m.strength <= 1 or m.type == "other") and by_type[best] >= 3:
            m.type = m.entity_type
        if m.type == "place" and (m.actor or m.canonical in teams):
            m.type = "organization"  # the entity stays a place (and a country); this mention is its government or team


@functools.cache
def _country_names() -> dict[str, str]:
    """ISO alpha-2 → the one name a country's entity is filed under ("US", "U.S." → "United States")."""
    names: dict[str, str] = {}
    for name, place in lexicon.places().items():
        if place.kind == "country" and place.population > 0:
            names.setdefault(place.country, name)
    return names


def _canonical_name(m: Mention) -> str:
    name = m.canonical
    if m.entity_type == "place":
        place = lexicon.places().get(name)
        if place is not None and place.kind == "country":
            return _country_names().get(place.country, name)
    return name


def _title_cased(title: str) -> bool:
    words = [w for w in title.split() if w[:1].isalpha()]
    if len(words) < 4:
        return False
    capitals = sum(1 for w in words if w[0].isupper())
    return capitals / len(words) > 0.6


def _latin(sample: str) -> bool:
    """Whether more than 80% of the letters are Latin (below U+0250); counted in C, no Python step per character."""
    letters = "".join(filter(str.isalpha, sample))
    return not letters or sum(map("\u0250".__gt__, letters)) / len(letters) > 0.8


# --- backends --------------------------------------------------------------------------------------------------


class BackendUnavailableError(RuntimeError):
    """Raised when the configured entity backend cannot be loaded (spaCy or its pipeline not installed)."""


class MentionFinder(Protocol):
    """A backend: every name mention of ``text``; ``headline_end`` as in ``find_mentions``."""

    def __call__(self, text: str, language: str | None, headline_end: int = 0) -> list[Mention]: ...


_SPACY_LABELS = {"PERSON": "person", "PER": "person", "ORG": "organization", "GPE": "place", "LOC": "place",
                 "FAC": "place"}  # fmt: skip


@functools.cache
def load_backend(spec: str = DEFAULT_BACKEND) -> MentionFinder:
    """The mention finder named by the config value ``enrich.entities``: "rules" or "spacy:<pipeline>"."""
    if spec == "rules":
        return find_mentions
    if spec.startswith("spacy:"):
        return _spacy_backend(spec.removeprefix("spacy:"))
    raise BackendUnavailableError(f"unknown entity backend {spec!r}: use 'rules' or 'spacy:<pipeline>'")


def _spacy_backend(pipeline: str) -> MentionFinder:
    hint = (
        f"install spaCy (pip install 'wirewatch[spacy]') and the pipeline package {pipeline!r} "
        f"(`python -m spacy download {pipeline}`, or pip install its wheel), or set enrich.entities: rules"
    )
    try:
        import spacy
    except ImportError as e:
        raise BackendUnavailableError(
            f"entity backend spacy:{pipeline} needs spaCy, which is not installed; {hint}"
        ) from e
    try:
        nlp = spacy.load(pipeline, disable=["lemmatizer", "textcat"])
    except OSError as e:
        raise BackendUnavailableError(f"entity backend spacy:{pipeline}: pipeline not installed; {hint}") from e

    def find(text: str, language: str | None, headline_end: int = 0) -> list[Mention]:
        mentions = []
        for ent in nlp(text[:ENTITIES_MAX_CHARS]).ents:
            kind = _SPACY_LABELS.get(ent.label_)
            if kind is None:
                continue
            start, end = ent.start_char, ent.end_char
            if text.startswith(("the ", "The "), start):
                start += 4
            surface, _ = _strip_possessive(text[start:end])
            end = start + len(surface)
            if surface:
                mentions.append(Mention(start, end, surface.replace("’", "'"), kind, 2))
        _qualify(text, mentions)
        _resolve(mentions, headline_end)
        return mentions

    return find


def mentions_for(text: str, language: str | None, backend: str = DEFAULT_BACKEND) -> list[Mention]:
    """Name mentions with spans from the chosen backend (what ``bench.entities_eval`` scores)."""
    return load_backend(backend)(text, language)


def extract_entities(title: str, text: str, language: str | None, backend: str = DEFAULT_BACKEND) -> list[Entity]:
    """People, organisations and places of one article, most mentioned first, one entry per name."""
    finder = load_backend(backend)
    if language not in (None, "en") and not _latin(text[:2000]):
        return []
    doc = f"{title}\n\n{text}" if title else text
    title_end = len(title)
    headline_case = _title_cased(title)
    mentions = finder(doc, language, title_end if headline_case else 0)
    counts: dict[tuple[str, str], list[int]] = {}
    for i, m in enumerate(mentions):
        if m.entity_type == "other" and m.sentence_initial:
            continue
        if headline_case and m.start < title_end:
            continue  # a Title Cased Headline capitalises everything: count it only where the body agrees
        key = (_canonical_name(m) if m.entity_type == "place" else m.canonical, m.entity_type)
        entry = counts.setdefault(key, [0, i])
        entry[0] += 1
    if headline_case:
        for m in mentions:
            key = (_canonical_name(m), m.entity_type)
            if m.start < title_end and key in counts:
                counts[key][0] += 1
    ranked = sorted(counts.items(), key=lambda item: (-item[1][0], item[1][1]))
    return [Entity(name=name, type=kind, count=n) for (name, kind), (n, _) in ranked]
