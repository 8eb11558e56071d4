"""The subscription query language (DESIGN §4): parse a user's boolean topic query into a small AST.

Grammar (precedence NOT > AND > OR; juxtaposed operands mean AND)::

    query   := or EOF
    or      := and ("OR" and)*
    and     := unary (["AND"] unary)*
    unary   := "NOT" unary | primary
    primary := [FIELD ":"] ( "(" or ")" | PHRASE | TERM )

Operators are the upper-case words ``AND``, ``OR``, ``NOT``; in lower case they are ordinary words, so a
topic can mention "or" without surprises. A field (``title:``, ``person:`` …) applies to the term, phrase or
parenthesised group written directly after the colon; an inner field overrides an outer one. A term ending
in ``*`` is a prefix (suffix wildcard). Matching is case-insensitive, accent-folded and on word boundaries:
query words and document text go through the same `tokenize`, so ``Café`` finds "cafe", ``U.S.`` is the
phrase "u s", ``C++`` is the word "c++" (not the letter) and ``.NET`` the word ".net" (not "net"). An Arabic or
Hebrew query word also finds its forms with proclitics attached ("ومصر", "بمصر" for ``مصر``, "בירושלים" for
``ירושלים``; `clitic_forms`). Fullwidth forms, as CJK input methods type them, read as ASCII (``ｔｉｔｌｅ：Ｃ＋＋`` is
``title:C++``). A query that cannot be understood raises
`QuerySyntaxError` with the character position, so the CLI can point at it and a malformed query never reaches
a worker.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from worker import lexicon

# Fields a query may name. `None` in a leaf means the default fields (title and text).
FIELDS: frozenset[str] = frozenset(
    {"title", "text", "author", "source", "lang", "entity", "person", "org", "place", "country", "keyword"}
)
DEFAULT_FIELDS: tuple[str, ...] = ("title", "text")
# Fields whose values are codes, not prose: a phrase or wildcard there is always a mistake.
CODE_FIELDS: dict[str, str] = {"lang": "an ISO 639-1 language code", "country": "an ISO 3166-1 alpha-2 code"}
# The codes themselves: two letters that are not one (`country:uk`, `lang:jp`) can never match an article, so they
# are refused rather than stored as a subscription that stays silent. Countries: ISO 3166-1 alpha-2 as assigned,
# plus XK (Kosovo) and the withdrawn AN and CS, which the gazetteer still gives articles
# (`test_every_code_the_enrich_stage_writes_can_be_asked_for`). Languages: ISO 639-1.
CODES: dict[str, frozenset[str]] = {
    "country": frozenset(
        """ad ae af ag ai al am an ao aq ar as at au aw ax az ba bb bd be bf bg bh bi bj bl bm bn bo bq br bs bt bv
        bw by bz ca cc cd cf cg ch ci ck cl cm cn co cr cs cu cv cw cx cy cz de dj dk dm do dz ec ee eg eh er es et
        fi fj fk fm fo fr ga gb gd ge gf gg gh gi gl gm gn gp gq gr gs gt gu gw gy hk hm hn hr ht hu id ie il im in
        io iq ir is it je jm jo jp ke kg kh ki km kn kp kr kw ky kz la lb lc li lk lr ls lt lu lv ly ma mc md me mf
        mg mh mk ml mm mn mo mp mq mr ms mt mu mv mw mx my mz na nc ne nf ng ni nl no np nr nu nz om pa pe pf pg ph
        pk pl pm pn pr ps pt pw py qa re ro rs ru rw sa sb sc sd se sg sh si sj sk sl sm sn so sr ss st sv sx sy sz
        tc td tf tg th tj tk tl tm tn to tr tt tv tw tz ua ug um us uy uz va vc ve vg vi vn vu wf ws xk ye yt za zm
        zw""".split()  # noqa: SIM905 - a code list reads better as running text
    ),
    "lang": frozenset(
        """aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de dv dz ee
        el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik io is
        it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms
        mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg sh si
        sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh
        yi yo za zh zu""".split()  # noqa: SIM905
    ),
}
# Slips common enough to name the code meant: a country's domain or a language's country for the code, and the
# language codes that ISO withdrew but Java and old feeds still write.
_CODE_SLIPS: dict[str, dict[str, str]] = {
    "country": {"uk": "gb", "el": "gr"},
    "lang": {"jp": "ja", "cn": "zh", "gr": "el", "dk": "da", "cz": "cs", "ua": "uk", "vn": "vi", "iw": "he",
             "in": "id", "ji": "yi"},
}  # fmt: skip
_CODE_EXAMPLES = {"lang": "lang:en", "country": "country:us"}

# Bounds on what one subscription may cost a worker on every article.
MAX_QUERY_CHARS = 10_000  # same bound as schemas.Subscription.query
MAX_QUERY_LEAVES = 256  # terms + phrases
MAX_QUERY_DEPTH = 32  # nesting of parentheses and NOTs
MAX_PHRASE_TOKENS = 32
# Word forms a query stands for once its Arabic and Hebrew words take their prefixes and its Korean words their
# particles (`clitic_forms`: up to 60 a word): each is a term the percolator indexes and, for an article that
# matches, checks. 256 Hebrew words OR'd made 15,360 terms, 6.3 ms per matching article; the bound keeps one
# subscription near 1.7 ms, and leaves room for ~110 Hebrew (36 forms) or ~190 Arabic (21) words in one query.
MAX_QUERY_FORMS = 4096
MIN_PREFIX_CHARS = 2  # `a*` would make every article a candidate for that subscription

OPERATORS = frozenset({"AND", "OR", "NOT"})
# Hyphen-minus and the dashes that stand in for it: hyphen, non-breaking hyphen, figure dash, en and em dash, minus.
_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2212"


class QuerySyntaxError(ValueError):
    """Raised when a query cannot be parsed or breaks a bound; `position` is the 0-based character index."""

    def __init__(self, message: str, position: int, query: str = "") -> None:
        self.message = message
        self.position = position
        self.query = query
        super().__init__(f"{message} at position {position}")

    def pointer(self) -> str:
        """The query with a caret under the offending character, for people reading a terminal."""
        return f"{self.query}\n{' ' * self.position}^"


# --- text normalisation shared by queries and documents ---------------------------------------------------


def _mark_ranges() -> str:
    """A regex class body for combining marks (Mn/Mc/Me) in the BMP.

    Python's ``\\w`` does not count marks as word characters, which would split "हिन्दी" or a decomposed
    "é" into pieces; including them keeps such words whole.
    """
    ranges: list[tuple[int, int]] = []
    for cp in range(0x300, 0x10000):
        if unicodedata.category(chr(cp)) in ("Mn", "Mc", "Me"):
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1] = (ranges[-1][0], cp)
            else:
                ranges.append((cp, cp))
    return "".join(f"\\u{a:04x}-\\u{b:04x}" if a != b else f"\\u{a:04x}" for a, b in ranges)


# A word starts with a letter or digit and continues with letters, digits and combining marks.
# Underscores and all other punctuation separate words, with two exceptions: the names programmers and newsrooms
# write with symbols. "C++" (also "g++", "Notepad++") and "C#", "F#" (one letter and "#") are words of their own,
# so `C++` does not find every "Vitamin C" and `c` does not find every article about C#. A third "+" (the energy
# label "A+++") or a word right after the "#" ("c#d") leaves the plain word. And ".NET" is the word ".net", so
# that `.NET` does not find every "net profit": a dot that starts a word (after a space, punctuation or the start,
# not after a letter or another dot: "ASP.NET", "example.net" and "...net" keep their "net"), followed by "net"
# and no more letters. Fullwidth forms (`Ｃ＋＋`, `Ｃ＃`, `．ＮＥＴ`, typed by CJK input methods) are these words too.
_MARKS = _mark_ranges()
_PLUS, _HASH, _DOT = "[+\uff0b]", "[#\uff03]", "[.\uff0e]"
_LATIN = "a-zA-Z\uff21-\uff3a\uff41-\uff5a"  # and their fullwidth forms


def _symbol_tail(letter: str) -> str:
    """The optional "++" or "#" after a word whose letters are `letter`.

    The symbol comes first in each branch, so the usual word end costs two character tests; the lookbehinds
    then check the letter before it (single for "#").
    """
    return (
        rf"(?:{_PLUS}{_PLUS}(?!{_PLUS})(?<=[{_LATIN}]{_PLUS}{_PLUS})"
        rf"|{_HASH}(?!{letter})(?<=[{_LATIN}]{_HASH})(?<!{letter}{{2}}{_HASH}))?"
    )


_SYMBOL_TAIL = _symbol_tail(r"[^\W_]")


def _dotnet(letter: str, more: str) -> str:
    """The ".net" branch: a dot that follows no `letter`, mark or dot, then "net" that `more` does not continue."""
    return rf"{_DOT}(?<!{letter}{_DOT})(?<![.\uff0e{_MARKS}]{_DOT})(?i:net|\uff4e\uff45\uff54)(?!{more})"


_WORD_DOTNET = _dotnet(r"\w", rf"[^\W_]|[{_MARKS}]")
_WORD_TAIL = _symbol_tail(rf"(?:[^\W_]|[{_MARKS}])")  # a decomposed "Ć" before "C#" is a letter, as composed
WORD_RE = re.compile(rf"[^\W_](?:[^\W_]|[{_MARKS}])*{_WORD_TAIL}|{_WORD_DOTNET}")
# The same words on text without combining marks (almost all text: NFC composes them away), twice as fast
# because the regex has no alternation to try at every character; and without the symbols unless the text has
# a "++", "#" or ".net" to look at (a substring search instead of a group tried after every word). Where there is
# no "_" to split at, `\w` is the same class and one test cheaper; on ASCII text, so are its letters and digits.
_PLAIN_WORD_RE = re.compile(r"[^\W_]+")
_UNDERSCORE_FREE_WORD_RE = re.compile(r"\w+")
_ASCII_WORD_RE = re.compile(r"[a-zA-Z0-9]+")
_PLAIN_DOTNET = _dotnet(r"\w", r"[^\W_]")
_PLAIN_SYMBOL_WORD_RE = re.compile(rf"[^\W_]+{_SYMBOL_TAIL}|{_PLAIN_DOTNET}")
# Chinese and Japanese write no spaces between words, so a run of letters there is a whole sentence: each
# ideograph and kana is a word of its own (as Lucene's standard tokenizer does), and a query's run of them
# is the phrase of its characters, found anywhere in a sentence. Korean spaces its words and stays as it is.
# The shared ranges, and iteration marks, the small kana extension, halfwidth kana and the rare ideographs.
_CJK = f"\u3005\u3007{lexicon.UNSPACED_CHARS}\u31f0-\u31ff\uff66-\uff9d\U00020000-\U0003134f"
_CJK_DOTNET = _dotnet(rf"[^\W{_CJK}]", rf"[^\W_{_CJK}]|[{_MARKS}]")  # "微软.NET框架": ideographs are words apart
_CJK_TAIL = _symbol_tail(rf"(?:[^\W_{_CJK}]|[{_MARKS}])")  # "UnityはC#を": kana and ideographs are words apart
CJK_WORD_RE = re.compile(rf"[{_CJK}][{_MARKS}]*|[^\W_{_CJK}](?:[^\W_{_CJK}]|[{_MARKS}])*{_CJK_TAIL}|{_CJK_DOTNET}")
# One search tells plain text from the rest: marks, unspaced scripts, and the fullwidth symbols of the words above.
_SPECIAL = re.compile(f"[{_MARKS}{_CJK}\uff03\uff0b\uff0e]")
_CJK_CHAR = re.compile(f"[{_CJK}]")


def _symbols(text: str) -> bool:
    # "+" first: one memchr, where a search for "++" costs as much as the rest of `_word_re`.
    return "#" in text or ("+" in text and "++" in text) or ".net" in text


def _word_re(text: str) -> re.Pattern[str]:
    """The word regex for `text` (lower-cased: the plain paths look for ".net" as written)."""
    if text.isascii():
        return _PLAIN_SYMBOL_WORD_RE if _symbols(text) else _ASCII_WORD_RE
    if not _SPECIAL.search(text):
        if _symbols(text):
            return _PLAIN_SYMBOL_WORD_RE
        return _PLAIN_WORD_RE if "_" in text else _UNDERSCORE_FREE_WORD_RE
    return CJK_WORD_RE if _CJK_CHAR.search(text) else WORD_RE


# Letters that carry their accent inside (NFKD does not split them into a base and a mark), folded by hand as
# a reader would: "Łódź" = "lodz", "Søren" = "soren", "Işık" = "isik", "Æsop" = "aesop". And the Arabic tatweel,
# which stretches a word ("مصـــر", "بـمصر") but is no letter of it. And the Arabic letters that real news writes
# interchangeably, as search engines' Arabic normalisers fold them (Lucene's ArabicNormalizer): a final ta marbuta
# as ha ("القاهرة" = "القاهره"), a final alef maksura as ya ("مصطفى" = "مصطفي"), and alef wasla as alef (the hamza
# and madda of "أ إ آ" are marks, which NFKD already takes off). `fold` is cached per word, so this costs an
# article nothing.
_LETTERS = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ı": "i", "ħ": "h", "ŧ": "t", "æ": "ae", "œ": "oe",
                          "þ": "th", "ð": "d", "\u0640": "", "\u0629": "\u0647", "\u0649": "\u064a",
                          "\u0671": "\u0627"})  # fmt: skip
# Digits of every script are the ASCII digits ("٢٠٢٤", "۲۰۲۴", "२०२४" = "2024"), as ICU's folding does: a year
# or a number is found whichever digits the article writes it in.
_OTHER_DIGIT = re.compile(r"(?![0-9])\d")


def _ascii_digit(m: re.Match[str]) -> str:
    return str(unicodedata.decimal(m.group()))


# NFKD takes Hangul syllables apart into their letters (jamo), which made a wildcard extend a syllable: `대하*`
# found "대한민국", the final ㄴ of 한 read as a letter after 하. Folded Korean is composed again, a syllable a
# character as the reader sees it.
_JAMO = re.compile("[\u1100-\u11ff]")


@lru_cache(maxsize=200_000)
def _fold_slow(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word)
    folded = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().translate(_LETTERS)
    if folded.isascii():
        return folded
    folded = _OTHER_DIGIT.sub(_ascii_digit, folded)
    return unicodedata.normalize("NFC", folded) if _JAMO.search(folded) else folded


def fold(word: str) -> str:
    """Case- and accent-folded form of one word: NFKD, combining marks dropped, casefolded."""
    if word.isascii():
        return word.lower()
    return _fold_slow(word)


def tokenize(text: str) -> list[tuple[str, int, int]]:
    """Words of `text` as (folded word, start, end), offsets into `text` itself."""
    return list(zip(*scan(text), strict=True))


def scan(text: str) -> tuple[list[str], list[int], list[int]]:
    """Folded words of `text` and their start and end offsets, as three parallel lists (the fast path)."""
    lowered = text.lower()
    # lower() grew a character (e.g. "İ"): offsets would drift, so match on `text` itself and fold per word (the
    # regex is still chosen on the lower case, which is where `_word_re` looks for ".net").
    low = lowered if len(lowered) == len(text) else text
    found: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for m in _word_re(lowered).finditer(low):
        word = m.group()
        if not word.isascii() or low is text:
            word = fold(word)
            if not word:
                continue
        found.append(word)
        starts.append(m.start())
        ends.append(m.end())
    return found, starts, ends


def spans(text: str, count: int | None = None) -> list[tuple[int, int]]:
    """(start, end) of each word of `text`, aligned with ``words(text)`` (whose length, if known, is `count`)."""
    low = text.lower()
    if len(low) == len(text):
        found = [m.span() for m in _word_re(low).finditer(low)]
        if count is None:
            count = len(words(text))
        if len(found) == count:  # no word folded away: same alignment
            return found
    _, starts, ends = scan(text)
    return list(zip(starts, ends, strict=True))


def words(text: str) -> list[str]:
    """Folded words of `text`, without offsets: the same list as ``scan(text)[0]``, found at C speed."""
    low = text.lower()
    if len(low) != len(text):
        return scan(text)[0]
    found: list[str] = _word_re(low).findall(low)
    # Most non-ASCII text owes it to its quotes and dashes, not its words: one join tells, instead of a test per word.
    if low.isascii() or "".join(found).isascii():
        return found
    found = [w if w.isascii() else _fold_slow(w) for w in found]  # `fold` without its call per word
    return [w for w in found if w] if "" in found else found


# Invisible characters that the clean stage (worker.clean) deletes from every article, joining the word they sat
# in: the soft hyphen German sites set in headlines, the zero-width non-joiner Persian keyboards type inside words
# ("کتاب‌ها"), zero-width space and joiners, word joiner, byte-order mark. A query pasted with them is read the
# same way, or "Bundes\u00adregierung" would be the phrase "bundes regierung" that no cleaned article contains.
_INVISIBLE = str.maketrans(dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff\u00ad"))


# --- Arabic and Hebrew proclitics, Korean particles -----------------------------------------------------

# Arabic joins "and" (و), "so" (ف), "with/in" (ب), "for/to" (ل), "like" (ك) and the article (ال) to the next
# word: "ومصر" is "and Egypt", "بمصر" "in Egypt", "للرئيس" "for the president" (ل + ال, the alef dropped). The
# text keeps its words as written (nothing added to the per-article work); a query's Arabic word instead
# becomes the OR of its forms with these proclitics, so `مصر` finds "ومصر" and "بمصر" but "مصري" (Egyptian)
# stays a different word, and a word that merely starts with one of these letters is never cut. Only "ك" alone
# is left out: it is rare as a clitic and common as a first letter ("كمال" Kamal is not "like money", nor
# "كتاب" a book "like repented"); it is kept before the article ("كالرئيس"), where it is unambiguous. Words of
# Persian and Urdu (spelt with ی ک گ پ چ …, outside the block below) get no forms: those languages do not
# attach these letters, and "برای" (Persian "for") is no "in" + "رای" (vote). Two-letter words are mostly
# particles themselves. See docs/matching.md.
_ARABIC_WORD = re.compile("[\u0621-\u063a\u0641-\u064a]{3,}")  # the Arabic letters, not the tatweel
_CONJUNCTIONS = ("", "\u0648", "\u0641")  # و ف
_ARTICLE = "\u0627\u0644"  # ال
_PLAIN_PROCLITICS = tuple(c + p for c in _CONJUNCTIONS for p in ("", "\u0628", "\u0644"))  # "", ب, ل after each
# Before a word without the article: the article alone or after ب, ل (written لل) or ك.
_WITH_ARTICLE = tuple(c + p for c in _CONJUNCTIONS for p in (_ARTICLE, "\u0628" + _ARTICLE, "\u0644\u0644",
                                                             "\u0643" + _ARTICLE))  # fmt: skip


# Hebrew joins its prefixes the same way, in this order: "and" (ו), then "that" (ש) or "when" (כש), then "in" (ב),
# "to" (ל), "like" (כ) or the article "the" (ה), which "from" (מ) can precede ("מהממשלה", from the government):
# "בירושלים" is "in Jerusalem", "וכשהממשלה" "and when the government". ב, ל and כ swallow the article ("בממשלה",
# in the government), so a word that starts with ה, which may be the article ("הממשלה") or its own first letter
# ("החלטה", decision: "ההחלטה", "בהחלטה"), gets every prefix, מ before it, and ב, ל, כ in its place. מ
# alone is left out, as ك is for Arabic: far more words start with it than have it for "from" before a name
# ("מדינה", state, is not "from Dina", nor "מכהן", serving, "from Cohen", nor "מפרץ", gulf, "from Peretz"); and
# so are two-letter words, and words with the Yiddish digraphs (װ ױ ײ, outside the letters below).
_HEBREW_WORD = re.compile("[\u05d0-\u05ea]{3,}")
_HE_ARTICLE = "\u05d4"  # ה
_HE_LEADING = tuple(c + s for c in ("", "\u05d5") for s in ("", "\u05e9", "\u05db\u05e9"))  # ו; ש, כש
_HE_SWALLOWING = ("\u05d1", "\u05dc", "\u05db")  # ב ל כ
_HE_PREFIXES = tuple(lead + p for lead in _HE_LEADING for p in ("", _HE_ARTICLE, "\u05de" + _HE_ARTICLE,
                                                                 *_HE_SWALLOWING))  # fmt: skip


# Korean spaces its words but joins its particles to the noun before them: "서울에서" is "in Seoul", "미국의" "of
# America", "정부는" "the government" as the topic. A Korean word of two syllables or more finds itself with the
# common particles after it; those that change with the sound before them (이/가, 은/는, 을/를, 과/와, 으로/로; a
# final ㄹ takes 로) only in the form its last syllable takes, so no form is one the language never writes. Whole
# words are still compared: "서울대학교" (Seoul National University) and "미국인" (Americans) are other words. The
# price is the place named with a particle's syllable: `경기` (economy, game) finds "경기도" (Gyeonggi Province,
# or "the game too").
_KO_ANY = ("의", "에", "에서", "에게", "도", "만", "까지", "부터", "처럼", "보다", "에는", "에도", "에서는", "에서도",
           "에서의", "에게는", "까지는", "부터는", "만의")  # fmt: skip
_KO_AFTER_CONSONANT = ("이", "은", "을", "과", "과의", "이나", "이라는")
_KO_PARTICLES = (  # by the final consonant of the word's last syllable: none, ㄹ (the 8th), or another
    (*_KO_ANY, "가", "는", "를", "와", "와의", "로", "로는", "나", "라는"),
    (*_KO_ANY, *_KO_AFTER_CONSONANT, "로", "로는"),
    (*_KO_ANY, *_KO_AFTER_CONSONANT, "으로", "으로는"),
)
_KOREAN_SYLLABLE = re.compile("[\uac00-\ud7a3]")
_KOREAN_WORD = re.compile("[\uac00-\ud7a3]{2,}")


def clitic_forms(word: str) -> tuple[str, ...]:
    """`word` (folded) and, for an Arabic or Hebrew word of three letters or more, its forms with proclitics
    (prefixes) attached; for a Korean word of two syllables or more, its forms with particles after it.

    An Arabic word that already has the article ("الرئيس") gets the clitics that go before it ("والرئيس",
    "بالرئيس", "للرئيس", "كالرئيس"); one without ("رئيس") also gets the article ("الرئيس", "والرئيس", …). A Hebrew
    word gets every prefix sequence ("ממשלה": "הממשלה", "והממשלה", "בממשלה", …), and one starting with ה also מ
    before it and the prefixes that swallow the article ("הממשלה": "מהממשלה", "בממשלה"). The word itself comes
    first.
    """
    if _KOREAN_WORD.fullmatch(word):
        final = (ord(word[-1]) - 0xAC00) % 28  # Hangul syllables are numbered initial, vowel, then final
        return (word, *(word + p for p in _KO_PARTICLES[0 if final == 0 else 1 if final == 8 else 2]))
    if _HEBREW_WORD.fullmatch(word):
        forms = [p + word for p in _HE_PREFIXES]
        if word.startswith(_HE_ARTICLE):
            forms += [lead + "\u05de" + word for lead in _HE_LEADING]  # מ before the article
            forms += [lead + p + word[1:] for lead in _HE_LEADING for p in _HE_SWALLOWING]
        return tuple(forms)
    if not _ARABIC_WORD.fullmatch(word):
        return (word,)
    forms = [p + word for p in _PLAIN_PROCLITICS]
    if word.startswith(_ARTICLE):
        rest = word[len(_ARTICLE) :]
        forms += [c + "\u0644\u0644" + rest for c in _CONJUNCTIONS]  # ل + ال is written لل
        forms += [c + "\u0643" + word for c in _CONJUNCTIONS]
    else:
        forms += [p + word for p in _WITH_ARTICLE]
    return tuple(forms)


def _with_clitics(leaf: Term | Phrase) -> Node:
    """`leaf`, or the Clitics OR of it and its forms when it is (or its phrase starts with) an Arabic or Hebrew
    word, or is (or its phrase ends with) a Korean one."""
    if isinstance(leaf, Term):
        if leaf.prefix and _KOREAN_WORD.fullmatch(leaf.word):
            return leaf  # `삼성*` finds "삼성은" already: particles follow the word
        forms = clitic_forms(leaf.word)
        return leaf if len(forms) == 1 else Clitics(tuple(Term(leaf.field, f, leaf.prefix) for f in forms))
    if _KOREAN_WORD.fullmatch(leaf.words[-1]):  # particles follow the phrase: "서울 시장은"
        forms = clitic_forms(leaf.words[-1])
        return Clitics(tuple(Phrase(leaf.field, (*leaf.words[:-1], f)) for f in forms))
    forms = clitic_forms(leaf.words[0])
    if len(forms) == 1:
        return leaf
    return Clitics(tuple(Phrase(leaf.field, (f, *leaf.words[1:])) for f in forms))


# --- AST ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Term:
    """One word in `field` (None: the default fields); with `prefix`, any word starting with `word`."""

    field: str | None
    word: str
    prefix: bool = False

    def __str__(self) -> str:
        return _fielded(self.field, self.word + ("*" if self.prefix else ""))


@dataclass(frozen=True, slots=True)
class Phrase:
    """Consecutive words in one value of `field` (never across two authors, two entities, title and text)."""

    field: str | None
    words: tuple[str, ...]

    def __str__(self) -> str:
        return _fielded(self.field, '"' + " ".join(self.words) + '"')


@dataclass(frozen=True, slots=True)
class And:
    children: tuple[Node, ...]

    def __str__(self) -> str:
        return "(" + " AND ".join(map(str, self.children)) + ")"


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple[Node, ...]

    def __str__(self) -> str:
        return "(" + " OR ".join(map(str, self.children)) + ")"


@dataclass(frozen=True, slots=True)
class Clitics(Or):
    """An Arabic or Hebrew word (or a phrase starting with one) and its forms with proclitics attached, or a Korean
    word (or a phrase ending with one) and its forms with particles (`clitic_forms`).

    Matches as the OR of its children, the word as written first; prints as that word, so that a rendered
    query parses back to the same tree.
    """

    def __str__(self) -> str:
        return str(self.children[0])


@dataclass(frozen=True, slots=True)
class Not:
    child: Node

    def __str__(self) -> str:
        return f"NOT {self.child}"


Node = Term | Phrase | And | Or | Not
Leaf = Term | Phrase


def _fielded(field: str | None, body: str) -> str:
    return f"{field}:{body}" if field else body


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed subscription query: the text the user wrote and its tree."""

    text: str
    root: Node

    def leaves(self) -> list[Leaf]:
        return leaves(self.root)


def leaves(node: Node) -> list[Leaf]:
    """Every term and phrase under `node`, left to right."""
    out: list[Leaf] = []
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, Term | Phrase):
            out.append(n)
        elif isinstance(n, Not):
            stack.append(n.child)
        else:
            stack.extend(reversed(n.children))
    return out


def _join(cls: type[And] | type[Or], parts: list[Node]) -> Node:
    """Build AND/OR with nested same-kind nodes flattened; one operand is returned as is."""
    flat: list[Node] = []
    for p in parts:
        if type(p) is cls:  # not a Clitics: it is one word the user wrote, and prints as one
            flat.extend(p.children)
        else:
            flat.append(p)
    return flat[0] if len(flat) == 1 else cls(tuple(flat))


# --- lexer ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str  # "(", ")", "AND", "OR", "NOT", "FIELD", "WORD", "PHRASE", "EOF"
    value: str
    pos: int


# Marks that open and close a phrase: the straight quote and the typographic ones that keyboards and word
# processors put in its place (“…”, German „…“, Swedish ”…”), and guillemets, the quotes of French, Russian,
# Ukrainian and Swiss writers («…», ‹…›; Danish »…«), and the corner brackets of Japanese and of Chinese in Taiwan
# and Hong Kong (「…」, 『…』, halfwidth ｢…｣). Any of them closes a phrase any of them opened.
QUOTES = '"\u201c\u201d\u201e\u201f\u00ab\u00bb\u2039\u203a\u300c\u300d\u300e\u300f\uff62\uff63'
_PLAIN_QUOTES = '"'  # the only quote a query stored before typographic quotes were understood had


def _in_acronym(q: str, k: int) -> bool:
    """Whether the '"' at `k` sits between two Hebrew letters: the gershayim of an acronym (`ארה"ב`, `צה"ל`),
    which Hebrew writers type as a straight quote, not a phrase's quote."""
    return q[k] == '"' and 0 < k < len(q) - 1 and "\u05d0" <= q[k - 1] <= "\u05ea" and "\u05d0" <= q[k + 1] <= "\u05ea"


def _lex(q: str, quotes: str = QUOTES) -> list[_Tok]:
    """Tokens of `q`. With the default `quotes`, a backslash before a quote inside a phrase keeps it there, and
    so does a Hebrew acronym's quote (`_in_acronym`) inside a word or phrase."""
    escapes = quotes is QUOTES
    breaks = frozenset(" \t\r\n\f\v()" + quotes)
    toks: list[_Tok] = []
    i, n = 0, len(q)
    while i < n:
        c = q[i]
        if c.isspace():
            i += 1
        elif c in "()":
            toks.append(_Tok(c, c, i))
            i += 1
        elif c in quotes:
            end = i + 1
            while end < n and (q[end] not in quotes or (escapes and (q[end - 1] == "\\" or _in_acronym(q, end)))):
                end += 1
            if end == n:
                raise QuerySyntaxError("unterminated phrase: missing closing quote", i, q)
            toks.append(_Tok("PHRASE", q[i + 1 : end], i))
            i = end + 1
        else:
            j = i
            while j < n and (q[j] not in breaks or (escapes and _in_acronym(q, j))) and not q[j].isspace():
                j += 1
            word = q[i:j]
            colon = word.find(":")
            if word in OPERATORS:
                toks.append(_Tok(word, word, i))
                i = j
            elif colon >= 0:
                name = word[:colon]
                if name.lower() not in FIELDS:
                    what = f"unknown field {name!r}" if name else "':' without a field name"
                    raise QuerySyntaxError(
                        f"{what} (fields: {', '.join(sorted(FIELDS))}; quote text that contains ':')", i, q
                    )
                toks.append(_Tok("FIELD", name.lower(), i))
                after = i + colon + 1
                if after == j and (j >= n or (q[j] != "(" and q[j] not in quotes)):
                    raise QuerySyntaxError(f"expected a term, phrase or group right after '{name}:'", after, q)
                i = after  # the rest of the word (if any) is lexed as the field's operand
            else:
                toks.append(_Tok("WORD", word, i))
                i = j
    toks.append(_Tok("EOF", "", n))
    return toks


# --- parser ---------------------------------------------------------------------------------------------


# Fullwidth forms of ASCII (U+FF01 to U+FF5E) and the ideographic space, which CJK input methods type unless
# switched to half width: read as ASCII, character for character (so positions stay those of the query as typed),
# so `（…）` is a group, `＂…＂` a phrase, `ＡＮＤ` an operator and `ａ＊` a wildcard. The fullwidth colon is also
# the punctuation of CJK text ("東京：五輪", a headline pasted as a phrase): a field's colon only after a field's
# name (`ｔｉｔｌｅ：北京`).
_FULLWIDTH = str.maketrans({chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F) if c != 0xFF1A} | {"\u3000": " "})
_FIELD_COLON = re.compile(rf"(?i)(?<![^\W_])({'|'.join(sorted(FIELDS))})\uff1a")


# Operators as programmers write them: refused with the word meant (before, "a && b" was refused as a term without
# letters, and "!sports" read as "sports").
_SYMBOL_OPERATORS = {"&&": "AND", "&": "AND", "||": "OR", "|": "OR", "!": "NOT"}


class _Parser:
    def __init__(self, text: str, strict: bool = True) -> None:
        self.text = text  # as typed: errors quote it
        self.strict = strict
        # Not strict: a stored query keeps the reading it had before fullwidth forms were understood.
        self.read = text
        if strict and not text.isascii():
            read = text.translate(_FULLWIDTH)
            self.read = _FIELD_COLON.sub(r"\1:", read) if "\uff1a" in read else read
        try:
            self.toks = _lex(self.read, QUOTES if strict else _PLAIN_QUOTES)
        except QuerySyntaxError as e:
            raise self.error(e.message, e.position) from e
        self.i = 0
        self.leaves = 0
        self.forms = 0  # terms and phrases with their expanded forms (MAX_QUERY_FORMS)

    def error(self, message: str, pos: int) -> QuerySyntaxError:
        return QuerySyntaxError(message, pos, self.text)

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def parse(self) -> Node:
        if self.peek().kind == "EOF":
            raise self.error("empty query", 0)
        node = self.parse_or(None, 0)
        tok = self.peek()
        if tok.kind == ")":
            raise self.error("unbalanced ')': no matching '('", tok.pos)
        if tok.kind != "EOF":  # pragma: no cover - parse_and consumes every operand start
            raise self.error(f"unexpected {tok.value!r}", tok.pos)
        return node

    def parse_or(self, field: str | None, depth: int) -> Node:
        parts = [self.parse_and(field, depth)]
        while self.peek().kind == "OR":
            self.take()
            parts.append(self.parse_and(field, depth))
        return _join(Or, parts)

    def parse_and(self, field: str | None, depth: int) -> Node:
        parts = [self.parse_unary(field, depth)]
        while True:
            kind = self.peek().kind
            if kind == "AND":
                self.take()
            elif kind not in ("NOT", "FIELD", "(", "WORD", "PHRASE"):
                break
            parts.append(self.parse_unary(field, depth))
        return _join(And, parts)

    def parse_unary(self, field: str | None, depth: int) -> Node:
        tok = self.peek()
        if depth >= MAX_QUERY_DEPTH:
            raise self.error(f"query nested deeper than {MAX_QUERY_DEPTH} levels", tok.pos)
        if tok.kind == "NOT":
            self.take()
            child = self.parse_unary(field, depth + 1)
            # NOT NOT x is x: keep the tree canonical so both evaluators see the same shape.
            return child.child if isinstance(child, Not) else Not(child)
        return self.parse_primary(field, depth)

    def parse_primary(self, field: str | None, depth: int) -> Node:
        tok = self.take()
        if tok.kind == "FIELD":
            inner = self.peek()
            if inner.kind not in ("(", "WORD", "PHRASE"):
                raise self.error(f"expected a term, phrase or group after '{tok.value}:'", inner.pos)
            return self.parse_primary(tok.value, depth)
        if tok.kind == "(":
            if self.peek().kind == ")":
                raise self.error("empty parentheses", tok.pos)
            node = self.parse_or(field, depth + 1)
            close = self.take()
            if close.kind != ")":
                raise self.error("unbalanced '(': missing ')'", tok.pos)
            return node
        if tok.kind == "WORD":
            return self.leaf_from_word(tok, field)
        if tok.kind == "PHRASE":
            return self.leaf_from_phrase(tok, field)
        if tok.kind == "EOF":
            raise self.error("query ends where a term was expected", tok.pos)
        if tok.kind == ")":
            raise self.error("unexpected ')': a term was expected", tok.pos)
        raise self.error(f"operator {tok.value} needs a term before and after it", tok.pos)

    def count_leaf(self, pos: int) -> None:
        self.leaves += 1
        if self.leaves > MAX_QUERY_LEAVES:
            raise self.error(f"query has more than {MAX_QUERY_LEAVES} terms and phrases", pos)

    def leaf_from_word(self, tok: _Tok, field: str | None) -> Node:
        raw, pos = tok.value, tok.pos
        star = raw.find("*")
        prefix = raw.endswith("*")
        if star == 0 and pos > 0 and self.read[pos - 1] in QUOTES:
            raise self.error("a wildcard applies to one word, not to a phrase: drop the '*' or the quotes", pos)
        if star >= 0 and star != len(raw) - 1:
            raise self.error("'*' is only allowed at the end of a term (suffix wildcard)", pos + star)
        if self.strict and len(raw) > 1 and raw[0] in _DASHES and raw[1].isalpha():
            # Search-engine habit: "-sports" would otherwise be read as the word "sports", the opposite of what
            # was meant. ("+word" means the word, as intended; "-5" is a number.) Also with the dash a word
            # processor or phone puts in its place ("–sports"), or one pasted from a document ("—", "−").
            raise self.error(f"{raw!r}: a leading '-' is not an operator here; write NOT {raw[1:]}", pos)
        if self.strict and len(raw) > 1 and raw[0] == "!" and raw[1].isalpha():
            # A programmer's NOT: "!sports" was read as the word "sports", the opposite of what was meant.
            raise self.error(f"{raw!r}: '!' is not an operator here; write NOT {raw[1:]}", pos)
        stem = raw[:-1] if prefix else raw
        found = words(stem.translate(_INVISIBLE))
        if not found:
            if raw in _SYMBOL_OPERATORS:
                raise self.error(f"{raw!r} is not an operator here; write {_SYMBOL_OPERATORS[raw]}", pos)
            raise self.error(f"term {raw!r} has no letters or digits to search for", pos)
        self.count_leaf(pos)
        if prefix:
            if _CJK_CHAR.match(found[0]):
                raise self.error(
                    "a wildcard does not apply to Chinese or Japanese, where each character is a word and a "
                    "query's characters are found inside longer words already: drop the '*'",
                    pos + len(raw) - 1,
                )
            if len(found) != 1:
                raise self.error(f"a wildcard term must be a single word, got {raw!r}", pos)
            # Not strict: a stored `서*` passed when Hangul folded to its letters (서 is two), and keeps compiling.
            if len(found[0]) < MIN_PREFIX_CHARS and (self.strict or not _KOREAN_SYLLABLE.fullmatch(found[0])):
                raise self.error(f"a wildcard needs at least {MIN_PREFIX_CHARS} characters before '*'", pos)
            return self.with_forms(self.check_code_field(Term(field, found[0], prefix=True), pos), pos)
        return self.with_forms(self.leaf_from_words(found, field, pos), pos)

    def leaf_from_phrase(self, tok: _Tok, field: str | None) -> Node:
        if "*" in tok.value:
            raise self.error("wildcards are not supported inside a phrase", tok.pos + 1 + tok.value.index("*"))
        found = words(tok.value.translate(_INVISIBLE))
        if not found:
            raise self.error("empty phrase: nothing to search for between the quotes", tok.pos)
        self.count_leaf(tok.pos)
        return self.with_forms(self.leaf_from_words(found, field, tok.pos), tok.pos)

    def with_forms(self, leaf: Leaf, pos: int) -> Node:
        """`leaf`, or the Clitics OR of its forms (`_with_clitics`), counted against MAX_QUERY_FORMS. Not strict: a
        query stored before the bound keeps compiling."""
        node = _with_clitics(leaf)
        self.forms += len(node.children) if isinstance(node, Clitics) else 1
        if self.strict and self.forms > MAX_QUERY_FORMS:
            raise self.error(f"query stands for more than {MAX_QUERY_FORMS} word forms (Arabic and Hebrew words "
                             "with their prefixes, Korean ones with their particles): split it into several "
                             "subscriptions", pos)  # fmt: skip
        return node

    def leaf_from_words(self, found: list[str], field: str | None, pos: int) -> Leaf:
        if len(found) > MAX_PHRASE_TOKENS:
            raise self.error(f"phrase longer than {MAX_PHRASE_TOKENS} words", pos)
        leaf: Leaf = Term(field, found[0]) if len(found) == 1 else Phrase(field, tuple(found))
        return self.check_code_field(leaf, pos)

    def check_code_field(self, leaf: Leaf, pos: int) -> Leaf:
        field = leaf.field
        if field not in CODE_FIELDS:
            return leaf
        code = leaf.word if isinstance(leaf, Term) and not leaf.prefix else None
        if code is not None and (code in CODES[field] or (not self.strict and re.fullmatch("[a-z]{2}", code))):
            return leaf  # not strict: a two-letter non-code stored before they were refused keeps compiling
        what = f"{field}: takes {CODE_FIELDS[field]}"
        if code is not None and code in _CODE_SLIPS[field]:
            raise self.error(f"{what}, and {code!r} is not one: write {field}:{_CODE_SLIPS[field][code]}", pos)
        if isinstance(leaf, Phrase) and leaf.words[0] in CODES[field]:  # "en-US", "pt_BR": a region after it
            raise self.error(f"{what}, without a region or script: write {field}:{leaf.words[0]}", pos)
        raise self.error(f"{what}, like {_CODE_EXAMPLES[field]}", pos)


def parse_query(text: str, strict: bool = True) -> Query:
    """Parse `text`; raises QuerySyntaxError (with the position) when it is malformed or too large.

    Not ``strict``: a query stored before a rule was added (a leading "-" on a word) still compiles, with
    its old meaning, so that a worker does not drop a subscription it has been serving.
    """
    if len(text) > MAX_QUERY_CHARS:
        raise QuerySyntaxError(f"query longer than {MAX_QUERY_CHARS} characters", MAX_QUERY_CHARS, text)
    return Query(text=text, root=_Parser(text, strict).parse())
