"""Keywords: the terms and short phrases an article is about, without stop words or broken-off fragments.

A statistical extractor in the family of RAKE and YAKE, cut down to what one pass over the text can afford
(~0.3 ms on a 3,000-character article against ~20 ms for yake): candidates are runs of non-stop words
between punctuation; a word scores by how often it occurs, how early it first appears, whether the title
uses it and whether it is written as a name; a phrase of two or three words scores when it recurs (or is in
the title). Phrases win over their own parts, and a part already inside a chosen phrase is not repeated.

Scripts written without spaces (Chinese, Japanese, Thai) get recurring character runs instead of words.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections import Counter
from collections.abc import Iterator
from operator import itemgetter

from worker import lexicon
from worker.lexicon import words

KEYWORDS_MAX_CHARS = 50_000
_MAX_PHRASE_WORDS = 3
# Frequent in any news story, so they say nothing about this one.
_NEWS_WORDS = words(
    """
    year years people time times percent week weeks month months day days including told statement
    press conference report reports reported saying according official officials added asked called
    make made number part way thing things lot lots ago many much several set due another former"""
)
# Words that say nothing about a story on their own: general verbs, adverbs and adjectives ("want", "found",
# "newly", "great"), headline verbs ("looms", "slams") and the pieces of addresses ("com" of "debian.org").
# Unlike stop words they do not break a run of words, so a name keeps them ("Great Britain"), but they are never
# a keyword alone nor at the edge of a phrase that is no name ("probably ends"). Verbs that name what happened
# ("killed", "arrested", "resigned") are not here: a phrase may open with them ("killed civilians"); in English they
# are no keyword alone nor a phrase's last word all the same, as no verb form is (``_english_word``).
_WEAK = words(
    """
    think thinks thought thinking want wants wanted wanting help helps helped helping find finds finding found
    feel feels felt feeling look looks looked looking come comes came coming try tries tried trying decide
    decides decided seem seems seemed know knows knew known knowing get gets got gotten getting go goes went
    gone going take takes took taken taking give gives gave given giving see sees saw seen seeing tell tells
    telling ask asks asking keep keeps kept keeping put puts putting become becomes became bring brings brought
    begin begins began begun hear hears heard mean means meant happen happens happened include includes
    included continue continues continued continuing remember remembers remembered believe believes believed
    need needs needed use uses using like likes liked let lets say says saying write writes wrote written
    add adds added start starts started starting announce announces announced pleased read reads
    calls looms loom slams slam warns urges vows mulls seeks eyes faces sees
    newly nearly mostly likely clearly simply quickly slowly largely directly easily highly deeply widely
    openly fairly barely merely solely surely truly rarely hardly badly briefly closely strongly roughly
    shortly partly greatly lately daily weekly monthly yearly only early really finally
    good great sure able different important interesting possible pretty nice simple easy little big whole
    various specific multiple real true bad certain available previous own kind bit couple fact example stuff
    old long hard current understand understands understood learn learns learned learnt thanks thank check
    checks checked following enjoy enjoys enjoyed making
    www http https com org net edu gov html htm php
    """
)
# Endings that make an English word an adverb ("reportedly", "increasingly", "significantly").
_ADVERB_ENDINGS = ("ously", "ively", "fully", "edly", "ingly", "ately", "ently", "antly", "ically")
# These only past seven letters: "rally", "tally" and "Ably" are nouns and names; "finally", "probably" adverbs.
_SHORT_ADVERB_ENDINGS = ("ally", "ably", "ibly")
# English words that are no noun by their ending, whatever the word: past forms ("unveiled", "charged"), adverbs
# ("sharply", "quickly"), adjectives ("famous", "popular", "powerful", "affordable") and verbs made from adjectives
# and nouns ("clarify", "prioritize"); longer than ``_NOT_NOUN_MIN`` letters, so "shed", "ally", "bed", "seed" are
# not read.
_NOT_NOUN_ENDINGS = ("ed", "ly", "ous", "ular", "ful", "able", "ible", "ify", "ifies", "ize", "izes")
_NOT_NOUN_MIN = 4
# The nouns among the words with those endings that news writes in lower case.
_NOUNS_BY_ENDING = words(
    """
    speed airspeed greed breed creed tweed steed seaweed tumbleweed linseed rapeseed aniseed birdseed newsfeed
    hundred kindred seabed hotbed flatbed sickbed riverbed deathbed seedbed sled bobsled watershed bloodshed family
    families supply oversupply undersupply resupply prize assembly rally reply anomaly monopoly duopoly oligopoly
    panoply belly jelly bully butterfly firefly dragonfly gadfly housefly homily folly holly tally gully filly dolly
    melancholy handful mouthful spoonful cupful armful bucketful table cable vegetable variable timetable turntable
    constable stable fable syllable parable notable deliverable receivable collectible convertible crucible prizes
    capsize
    """
)
# Addresses in the text: their pieces ("https", "www", "com") are no keywords, and a host is no topic. Literal
# starts, no IGNORECASE: the regex engine then skips to each candidate instead of trying every character (a
# tenth of the time); an e-mail address is found from its "@" (_without_addresses).
_LINK = re.compile(r"(?:https?://|www\.|HTTPS?://|WWW\.)[^\s<>\"]+")
_MAIL_DOMAIN = re.compile(r"@[\w-]+(?:\.[\w-]+)+")
_MAIL_LOCAL = re.compile(r"[\w.+-]+\Z")
# Words (numbers too: they end a phrase, and they count as words) and punctuation, a dash of two or more as
# single "-" marks, so that every mark is one character of ``_BREAKS``.
_BREAKS = frozenset('.,;:!?()[]{}"“”„«»…|/\\\n\t—–-')
_TOKEN = re.compile(r"\w[\w'’-]*|[.,;:!?()\[\]{}\"“”„«»…|/\\\n\t—–]|-(?=-)")
_POSSESSIVE_ENDINGS = ("'s", "’s")
# Stop words that open place names ("New York", "New Delhi"): written with a capital they get a key of their own,
# which may open a phrase before a name but is never a keyword alone ("York" was the keyword of "New York").
_NAME_LEADS = frozenset({"New"})
# French and Italian elided articles, pronouns and prepositions before an apostrophe (the match is a token's
# start, so the cost is per distinct token, once per process). Cut only in the languages that elide: in English
# the same letters before an apostrophe are a word's own ("C'mon" is no "mon", "Caran d'Ache" no "Caran Ache").
_ELIDING_LANGUAGES = frozenset({"fr", "it", "ca"})
_ELISION = re.compile(
    r"(?:[ldjmnstcLDJMNSTC]|[Qq]u|[Ll]orsqu|[Jj]usqu|[Pp]uisqu|[DdAaNnSs]ull|[DdAaNn]ell|[Dd]all"
    r"|[Aa]ll|[Uu]n|[Qq]uell|[Qq]uest)['’](?=\w)"
)
# Words that open a sentence before an elided "d'" in French and Italian and are no stop words: "Loin d'Ottawa",
# "Auprès d'Emmanuel Macron" are no names (``_elisions``).
_BEFORE_ELISION = words("loin autour auprès faute suite face lors près hors proche proches parlant venant presso fuori")
# Languages that write every noun with a capital: there a lower-case word after a noun ends no term.
_NOUN_CAPITALISING = frozenset({"de", "lb"})
# How the lower-case second word of a Latin species name ends ("coli", "foetida", "spp"); not German "hinaus",
# "frei", "dabei".
_LATIN_EPITHET = re.compile(r"(?:(?<!e)i|a|um|ae|is|(?<!a)us|spp)\Z")
# How a German adjective before a noun ends: it is always inflected ("höhere", "sozialen", "neues", "neuem", "neuer").
_ADJECTIVE_ENDINGS = ("e", "en", "er", "es", "em")
# What ``_TokenFacts`` says of a word after an elision: an elided word ("l'économie"), or "d'" before a capital.
_ELIDED = 1
_PARTICLE = 2
_CONTRACTION_TAILS = frozenset({"ll", "re", "ve", "LL", "RE", "VE"})
_NO_SPACE_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\u0e00-\u0e7f]{2,}")


class _TokenFacts(dict[str, tuple[str, tuple[str, str] | None, bool, str, bool, int]]):
    """Token → what it says whatever the article: (key, (capitalised key, surface) or None, key fits, bare key,
    weak, elided); ``elide``: whether French and Italian elisions are cut off (one table for the languages that
    elide, one for the rest, so the choice costs one lookup per article, not a step per token).

    The key is lower case except for acronyms ("US", "WHO": not the stop words "us", "who"); a token that starts
    with a capital also gives its key and itself without a possessive (``None`` if it does not); the key fits as a
    keyword when it has three characters or more, starts with a letter and is not a possessive, or is an acronym;
    the bare key is the key without its "'s" ('' if none); a weak key is never a keyword alone (``_WEAK``, and
    adverbs by their ending); elided: 0 if no elision was cut off, else ``_ELIDED``, or ``_PARTICLE`` for "d'"
    before a capital ("d'Ivoire": a name's particle after a name's word, see ``_elisions``). Worked out once per
    process and token (up to ``_FACTS_MAX`` tokens), looked up without a Python step per token.
    """

    def __init__(self, elide: bool = False) -> None:
        super().__init__()
        self.elide = elide

    def __missing__(self, token: str) -> tuple[str, tuple[str, str] | None, bool, str, bool, int]:
        # A French or Italian elision is the word after it ("l'université", "dell'Abruzzo", "qu'il" the stop word
        # "il"); written with a capital, only before a lower-case word (a sentence's "L'université", not the
        # names "L'Oréal", "D'Angelo").
        raw = token
        elision = _ELISION.match(token)
        named = False  # "d'Ache", "l'Oréal" kept whole: a name, though it opens in lower case
        elided = 0
        if elision and (token[0].islower() or token[elision.end()].islower()):
            rest = token[elision.end() :]
            if not self.elide:
                named = rest[0].isupper()
            elif len(rest) > 1 and rest not in _CONTRACTION_TAILS:  # "Dell's", "All'll" are English
                raw = rest
                elided = _PARTICLE if elision.end() == 2 and token[0] == "d" and rest[0].isupper() else _ELIDED
        # The word without a possessive ("NASA's", "China's") or a closing quote or plural possessive ("Browns'",
        # "bar'"): the key it counts for, so "NASA's" adds to "NASA" and no keyword ends in a quote.
        stem = raw
        if len(raw) > 2 and raw.endswith(_POSSESSIVE_ENDINGS):
            stem = raw[:-2]
        elif len(raw) > 1 and raw[-1] in "'’":
            stem = raw[:-1]
        acronym = stem.isupper() and 1 < len(stem) < 6 and stem[0].isalpha()
        key = raw if (acronym and stem is raw) or raw in _NAME_LEADS else raw.lower()
        if key == raw:
            key = raw  # one string for both (most tokens are lower case already)
        bare = "" if stem is raw else stem if acronym else stem.lower()
        capital = None
        if raw[0].isupper() or named:
            capital = (bare or key, stem)
        # Not a word cut before its hyphen either: "Feuerwehr-" of "Feuerwehr- und Rettungskräfte" is half a word.
        fits = (
            stem is raw and raw[-1] != "-" and ((len(key) > 2 and key[0].isalpha() and key[-2] not in "'’") or acronym)
        )
        weak = key in _WEAK or key.endswith(_ADVERB_ENDINGS) or (len(key) > 6 and key.endswith(_SHORT_ADVERB_ENDINGS))
        facts = (key, capital, fits, bare, weak, elided)
        if len(self) < _FACTS_MAX:
            self[token] = facts
        return facts


# Past this many tokens (~10 MB) new ones are worked out each time instead: news vocabulary is Zipfian, the
# frequent words are in by then.
_FACTS_MAX = 50_000
_FACTS = _TokenFacts()
_ELIDED_FACTS = _TokenFacts(elide=True)  # French, Italian, Catalan (``_ELIDING_LANGUAGES``)


# German adverbs, conjunctions and prepositions that stopwords-iso lacks: opening a sentence they carry its capital,
# which made "Zudem", "Mittlerweile", "Laut" keywords of German pages; and "innen", the gender ending that
# "Bürger*innen" and "Lehrer:innen" split off.
_MORE_STOPWORDS = {
    "de": words(
        """
        manchmal zuletzt ungeachtet mittlerweile inzwischen trotz obwohl hierbei hierzu hierfür derzeit
        insbesondere zudem stattdessen dennoch trotzdem tatsächlich bevor sobald nachdem aufgrund laut pro ans
        egal unlängst zweimal dreimal prinzipiell zumindest sogar leider eigentlich irgendwie nochmal gerne
        bisschen weiterhin insgesamt sofort damals künftig bislang zunächst anschließend schließlich ebenfalls
        ohnehin womöglich vermutlich offenbar angeblich einfach innen"""
    )
}


@functools.cache
def _stopwords(language: str | None) -> frozenset[str]:
    """The language's stop words, plus English ones (quotes and names in English turn up everywhere)."""
    english = lexicon.stopwords("en") | lexicon.ENGLISH_PREPOSITIONS
    words = english | _NEWS_WORDS | _MORE_STOPWORDS.get(language or "en", frozenset())
    if language not in (None, "en"):
        words |= lexicon.stopwords(language)
    # Contractions are listed with a straight apostrophe; most news prints a curly one ("we’re", "don’t").
    return words | {w.replace("'", "’") for w in words if "'" in w}


def tokenize(text: str) -> list[str]:
    """Words and the punctuation marks a phrase cannot run across, in order, of the first ``KEYWORDS_MAX_CHARS``.

    One regex pass that the enrich stage shares between the keywords and the word count.
    """
    return _TOKEN.findall(text[:KEYWORDS_MAX_CHARS])


def count_words(tokens: list[str]) -> int:
    """How many of ``tokens`` are words (not punctuation)."""
    return len(tokens) - sum(map(_BREAKS.__contains__, tokens))


def extract_keywords(
    title: str, text: str, language: str | None, limit: int = 10, tokens: list[str] | None = None
) -> list[str]:
    """Up to ``limit`` keywords, best first; names keep their capitals, other words are lower-cased.

    ``tokens``: ``tokenize(text)`` when the caller has it already.
    """
    body = text[:KEYWORDS_MAX_CHARS]
    if limit <= 0:
        return []
    sample = body[:2000] or title
    if sample and sample.count(" ") < len(sample) / 40 and _NO_SPACE_RUN.search(sample):
        return _no_space_keywords(title, body, limit)
    stop = _stopwords(language)
    stripped = _without_addresses(body)
    if stripped is not body:
        body, tokens = stripped, None  # the shared tokens hold the addresses cut into words
    title_raw = _TOKEN.findall(_without_addresses(title))
    raw = [*title_raw, "|", *(tokens if tokens is not None else _TOKEN.findall(body))]
    raw_tf = Counter(raw)
    # What each distinct token says comes from the per-process table, then every step maps over the tokens
    # without a Python-level step each.
    table = _ELIDED_FACTS if language in _ELIDING_LANGUAGES else _FACTS
    facts = list(map(table.__getitem__, raw_tf))
    title_size = len(title_raw)
    if table.elide and any(cut := list(map(itemgetter(5), facts))):
        # A break before an elided word and names with "d'" joined; only a name joined changes the tokens' counts
        # beyond the breaks' (rare: the table is then worked out again).
        elided = dict(itertools.compress(zip(raw_tf, cut, strict=True), cut))
        split, title_size, joined = _elisions(raw, raw_tf, title_size, elided, stop, table)
        if joined:
            raw_tf = Counter(split)
            facts = list(map(table.__getitem__, raw_tf))
        else:
            raw_tf["|"] += len(split) - len(raw)
        raw = split
    places = _stop_places(language)
    # Only capitalised tokens can end a place (a pass over the distinct tokens, not over the places).
    capital = list(map(itemgetter(1), facts))
    if lasts := list(filter(places.__contains__, itertools.compress(raw_tf, capital))):
        # The places whose first and last words the article holds (then all their words are checked).
        named = [
            p
            for last in lasts
            for first in filter(raw_tf.__contains__, places[last])
            for p in places[last][first]
            if all(map(raw_tf.__contains__, p[1:-1]))
        ]
        if named and (shrink := _join_places(raw, raw_tf, title_size, named)) is not None:
            title_size -= shrink
            facts = list(map(table.__getitem__, raw_tf))  # per distinct token: cheaper than counting again
            capital = list(map(itemgetter(1), facts))
    key_of = dict(zip(raw_tf, map(itemgetter(0), facts), strict=True))
    keys = list(map(key_of.__getitem__, raw))
    title_keys = keys[:title_size]
    tf = Counter(keys)
    first = dict(zip(tf, itertools.count()))  # rank of first use among distinct words (a Counter keeps that order)
    good = set(itertools.compress(map(itemgetter(0), facts), map(itemgetter(2), facts)))
    weak = set(itertools.compress(map(itemgetter(0), facts), map(itemgetter(4), facts)))
    # "China's" counts for "china" but ends a phrase: "China's jailing" is two topics, not one.
    for word, bare in {f[0]: f[3] for f in itertools.compress(facts, map(itemgetter(3), facts))}.items():
        tf[bare] += tf[word]
        first[bare] = min(first.get(bare, len(first)), first[word])
        bare_facts = table[bare]
        if bare_facts[2]:
            good.add(bare)
        if bare_facts[4]:
            weak.add(bare)
    good -= stop
    good.discard("|")
    leads = _NAME_LEADS.intersection(good)
    weak &= good
    if language != "en":
        # Months and weekdays of the language are never a keyword alone (English has them as stop words), but a
        # name keeps them: "Santo Domingo".
        weak |= lexicon.calendar_words(language) & good
    never_alone = leads | weak
    if not good:
        return []
    # How often each key is written with a capital, and how it is written the first time (the surface kept): a
    # Python step per distinct capitalised token (~70 in an article), which is cheaper than a pass over the tokens.
    capitalised: Counter[str] = Counter()
    surface: dict[str, str] = {}
    for (key, written), count in itertools.compress(zip(capital, raw_tf.values(), strict=True), capital):
        capitalised[key] += count
        surface.setdefault(key, written)
    openers: set[str] = set()
    if language == "en" and (openers := _opening_words(raw, keys, capitalised)):
        # "Meet Thailand", "Inside Google": a headline's or a sentence's verb before a name is no name's word, its
        # capital the sentence's. Written so in most of its uses, never a keyword alone nor a phrase's edge; mostly
        # in lower case ("Watch sales rose … the watch market"), an ordinary word.
        only_opening = {word for word in openers if capitalised[word] * 2 > tf[word]}
        for word in openers:
            del capitalised[word]
        weak |= only_opening & good
        never_alone = never_alone | only_opening
    # Only words that recur can be in a recurring phrase (a phrase occurs at most as often as each of its words),
    # so the others end runs: fewer word pairs and triples to count.
    recurring = good.intersection(itertools.compress(tf, map((1).__lt__, tf.values())))
    kept = list(map({w: w for w in recurring}.get, keys))
    # filter(all, …) keeps the runs of kept words without a Python-level step per token.
    # (mypy cannot see that all() drops the tuples holding None)
    phrase_tf: Counter[tuple[str, ...]] = Counter(filter(all, itertools.pairwise(kept)))  # type: ignore[arg-type]
    phrase_tf.update(filter(all, zip(kept, kept[1:], kept[2:], strict=False)))  # type: ignore[arg-type]
    nouns_capitalised = language in _NOUN_CAPITALISING
    # A name written once ("Stephen Colbert" in a feed's teaser) is a phrase though it does not recur; not where
    # every noun has a capital. Only in short texts: in a longer one a name that matters recurs (and is a phrase
    # then), one written once does not outscore the recurring words, and the pass would cost a tenth of the time.
    names: dict[tuple[str, ...], int] = {}
    persons: set[tuple[str, ...]] = set()
    if len(keys) <= _NAME_PAIR_TOKENS and not nouns_capitalised:
        written = dict(itertools.compress(zip(raw_tf, capital, strict=True), capital))
        if openers:
            written = {token: w for token, w in written.items() if w[0] not in openers}
        names, persons, titles = _name_pairs(
            raw, title_size, title_raw, written, key_of, good - weak, stop, capitalised, tf
        )
        # A title only written before a name is no keyword alone: "President" of "President Donald Trump's".
        never_alone = never_alone | titles
    title_words = good.intersection(title_keys)
    total = max(len(first), 1)
    # Only words that recur or head the article can make the list; scoring the rest is wasted on long texts.
    candidates = recurring | title_words
    if names:
        name_words = {w for name in names for w in name}
        candidates |= name_words
        never_alone = never_alone | (name_words - good)  # a short name's word ("Xi") or a news word ("Conference")
    if len(candidates) < 2 * limit:
        candidates |= good
    not_nouns: set[str] = set()
    if language == "en":
        # A keyword alone is a noun or a name, and so is a phrase's last word (``_english_word``). Only the
        # candidates are looked up: a phrase's words recur, so they are candidates too.
        kinds = list(map(_english_word, candidates))
        not_nouns = set(itertools.compress(candidates, map(_NOT_NOUN.__eq__, kinds)))
        blocked = not_nouns.union(itertools.compress(candidates, map(_MOTION.__eq__, kinds)))
        # A word mostly written with a capital is a name whatever it is in lower case: "Rose", "Reed", "Fled".
        name_cased = {w for w in blocked if capitalised[w] * 2 > tf[w]}
        if name_cased and _title_cased(title_raw):
            # A Title Cased Headline capitalises its verbs too ("Create Your First App"): there only the body's
            # capitals make a name.
            in_title = Counter(k for k in title_keys if k in name_cased)
            name_cased = {w for w in name_cased if (capitalised[w] - in_title[w]) * 2 > tf[w] - in_title[w]}
        never_alone = never_alone | (blocked - name_cased)
        not_nouns -= name_cased
    elif blocked := _verb_forms(candidates, language):
        # The same in Portuguese, Spanish and French (``_verb_forms``). A verb form written with a capital mostly
        # opens a sentence or a headline ("Usando git stash", "Vamos falar sobre JWT"): alone, only a name the
        # lexicon knows is a keyword ("Fernando", "Salazar", "Roger"); any may end a name ("Rodolfo Daer").
        name_cased = {w for w in blocked if capitalised[w] * 2 > tf[w]}
        never_alone = never_alone | (blocked - {w for w in name_cased if _known_name(surface[w])})
        not_nouns = blocked - name_cased
    word_scores = {
        w: tf[w]
        * (2.0 - first[w] / total)
        * (1.3 if capitalised[w] * 2 > tf[w] else 1.0)
        * (2.0 if w in title_words else 1.0)
        for w in candidates
    }
    word_score = word_scores.__getitem__

    scores: dict[tuple[str, ...], float] = {}
    share: dict[str, float] = {}  # how much of a word's use is inside one recurring phrase
    recurring_phrases = [item for item in phrase_tf.items() if item[1] > 1]
    if names:
        recurring_phrases += [(pair, count) for pair, count in names.items() if phrase_tf[pair] < 2]
    title_uses: Counter[str] = Counter()  # how often a title is written before a name's word (recurring pairs)
    titled: dict[tuple[str, ...], int] = {}  # the opening of a phrase with a title before a name, how often so
    for phrase, count in recurring_phrases:
        if phrase[0] in _NAME_TITLES and len(phrase) == 2 and _titled_name(phrase, capitalised, tf):
            title_uses[phrase[0]] += count
        if leads and not _leads_names(phrase, leads, capitalised, tf):
            continue
        if (phrase[0] in weak or phrase[-1] in weak) and _weak_edge(phrase, weak, capitalised, tf):
            continue
        if nouns_capitalised and not _noun_phrase(phrase, capitalised, tf):
            continue
        if phrase[-1] in not_nouns:
            continue  # "company unveiled", "prices rose": no noun phrase
        if len(phrase) == 3 and _titled_name(phrase, capitalised, tf):
            # A title before a name: "President Donald Trump" is "Donald Trump", and "President Donald", "interim
            # President" no phrase where a name always follows.
            titled[phrase[:2]] = titled.get(phrase[:2], 0) + count
            continue
        # A phrase is as strong as its weakest word, scaled by how much that word lives inside it.
        weakest = min(phrase, key=tf.__getitem__)
        strength = word_score(weakest) * count / tf[weakest]
        if persons and phrase in persons:
            # A person's name is as strong as the surname, each use of which names the person: "Jim Farley" over the
            # "Farley" written again, "Donald Trump" over the headline's "Trump" (not "Michigan Department" over
            # "Michigan": a place or a body is no person).
            strength = max(strength, word_score(phrase[-1]))
        scores[phrase] = strength * (1.0 + 0.25 * (len(phrase) - 1))
        for w in phrase:
            share[w] = max(share.get(w, 0.0), count / tf[w])
    for opening, count in titled.items():
        if phrase_tf[opening] <= count:
            scores.pop(opening, None)
    if title_uses:
        # A title always written before a name is no keyword alone: "President" of "President José Jerí".
        never_alone = never_alone | {title for title, n in title_uses.items() if n >= tf[title]}
    if nouns_capitalised:
        # Every noun is written with a capital: a word mostly written in lower case is a verb, an adjective or an
        # adverb ("fordert", "schnell", "zudem"), no keyword alone.
        nouns = {w for w, n in capitalised.items() if n * 2 > tf[w]}
        never_alone = never_alone | (candidates - nouns)
    for word in candidates - never_alone if never_alone else candidates:
        # "law" in "law enforcement" is the phrase's, not a topic of its own.
        scores[(word,)] = word_score(word) * (1.0 - 0.8 * share.get(word, 0.0))
    chosen = _select(scores, limit)
    if nouns_capitalised:
        # A German word chosen alone whose capital is only its sentences' may be no noun ("Geeignet für …",
        # "Unterlässt ein …"): only the chosen words are checked (a scan of the tokens each, most ending at the first
        # use inside a sentence), then the list is chosen again without those that are not nouns.
        checked: set[str] = set()
        while dropped := _sentence_capitals(raw, surface, _singles(chosen) - checked, capitalised, tf):
            checked |= _singles(chosen)
            for word in dropped:
                del scores[(word,)]
            chosen = _select(scores, limit)
    elif language in lexicon.VERB_LEADS:
        # A word of a chosen keyword, alone or in a phrase, may be a verb form that the word before it gives away: an
        # infinitive or a participle after a modal, an auxiliary or a preposition ("debe ser revisado", "doit
        # ralentir", "di ridurre", "est arrivé"), a present form after a subject ("que reclama", "Mujeres Populares
        # denuncia"). Only the chosen words are checked (a few scans of the tokens, ``_led_verbs``), then the list is
        # chosen again without those words alone and without the phrases that hold them.
        led_checked: set[str] = set()
        while dropped := _led_verbs(_chosen_words(chosen) - led_checked, language, raw, keys, capitalised, tf, stop):
            led_checked |= _chosen_words(chosen)
            for phrase in [p for p in scores if not dropped.isdisjoint(p)]:
                del scores[phrase]
            chosen = _select(scores, limit)

    def render(word: str) -> str:
        # A word written with a capital in most of its uses is a name: keep how the text spells it.
        return surface[word] if capitalised[word] * 2 > tf[word] else word

    # A name keeps its capitals whatever its words' other uses: "Munich Security Conference" beside "security".
    return [" ".join(map(surface.__getitem__ if phrase in names else render, phrase)) for phrase in chosen]


# What ``_english_word`` says of a lower-case English word.
_NOUN = 0
_NOT_NOUN = 1  # a verb form, an adverb or an adjective: no keyword alone, no phrase's last word
_MOTION = 2  # a headline's verb of movement that is a noun too ("jump", "rise"): no keyword alone


@functools.lru_cache(maxsize=_FACTS_MAX)
def _english_word(key: str) -> int:
    """Whether an English key can be a keyword alone: a noun (``_NOUN``), a word that is no noun (``_NOT_NOUN``:
    ``lexicon.ENGLISH_VERB_FORMS`` or an ending of ``_NOT_NOUN_ENDINGS``), or a verb of movement that is a noun too
    (``_MOTION``). Nouns written like verbs ("cuts", "talks", "attack", "output") are nouns: without the sentence
    no word list tells "budget cuts" from "OPEC cuts output", and as a noun each is a topic. Cached per process and
    key (a C-level lookup per distinct word of an article once the frequent words are in)."""
    word = key.rpartition("-")[2].rpartition("_")[2] or key  # "well-connected" as "connected", "font-size" "size"
    if word in lexicon.ENGLISH_MOTION_VERBS:
        return _MOTION
    if word in lexicon.ENGLISH_VERB_FORMS or word in lexicon.ENGLISH_ADJECTIVES:
        return _NOT_NOUN
    if word.endswith("s") and (
        word[:-1] in lexicon.ENGLISH_VERB_FORMS or (word.endswith("es") and word[:-2] in lexicon.ENGLISH_VERB_FORMS)
    ):
        return _NOT_NOUN  # "allows", "provides", "discusses"
    if len(word) > _NOT_NOUN_MIN and word.endswith(_NOT_NOUN_ENDINGS):
        return _NOUN if word in _NOUNS_BY_ENDING else _NOT_NOUN
    return _NOUN


# How a Portuguese or Spanish verb form ends (``_romance_word``): gerunds ("usando", "haciendo"), finite forms of the
# past and of "we" ("afirmou", "falaram", "vamos", "criei"; "señaló", "decidió", "afirmaron", "estamos") and, apart,
# infinitives ("-ar", "-er", "-ir"). The languages listed are the ones the rule runs for.
_ROMANCE_GERUNDS = {"pt": ("ando", "endo", "indo", "ondo"), "es": ("ando", "iendo", "yendo")}
_ROMANCE_FINITE = {
    "pt": ("ou", "aram", "eram", "iram", "amos", "emos", "imos", "ei"),
    "es": ("ó", "aron", "ieron", "yeron", "amos", "emos", "imos"),
}
# How the future ends ("continuará", "recibirá", "deverão"), in words of ``_FUTURE_MIN`` letters or more: shorter
# ones are nouns and names ("verão", "Pará", "Ceará").
_ROMANCE_FUTURES = {
    "pt": ("ará", "erá", "irá", "arão", "erão", "irão"),
    "es": ("ará", "erá", "irá", "arán", "erán", "irán"),
}
_FUTURE_MIN = 7
# Finite endings an accented word with them is no verb for: "últimos", "próximos", "jóquei" are adjectives and nouns
# ("estávamos", "tínhamos" are verbs: "-amos" is not here).
_ACCENTED_NOT_FINITE = ("imos", "emos", "ei")
_INFINITIVES = ("ar", "er", "ir")
_ROMANCE_ACCENTS = frozenset("áéíóúâêôãõàü")
# Clitic pronouns after a verb's hyphen ("tornou-se", "fazê-lo"): the verb is the word before them.
_CLITICS = words("se me te nos vos lhe lhes lo la los las o a os as")
# How the Portuguese and Spanish verbs in "-er" end ("fazer", "escrever", "aprender", "conhecer", "tener", "poner",
# "leer"): any other "-er" word is a noun, most often an English one of a tech blog ("docker", "container",
# "server", "developer", "user", "master", "driver", "number", "parser", "coder").
_ER_VERB_ENDINGS = (
    "cer", "azer", "dizer", "exer", "aber", "eber", "rber", "eger", "oger", "olher", "ncher", "ender", "onder",
    "ceder", "perder", "morder", "rever", "dever", "mover", "chover", "llover", "lver", "haver", "viver", "eter",
    "ater", "manter", "obter", "conter", "tener", "poner", "aler", "oler", "mper", "coser", "aer", "oer", "rrer",
    "frer", "erer", "comer", "emer",
)  # fmt: skip
# Spanish "-eer" verbs ("leer", "creer", "poseer"); in Portuguese "-eer" is English ("career", "engineer").
_ES_ER_VERB_ENDINGS = (*_ER_VERB_ENDINGS, "eer")
# Portuguese "-air" verbs ("sair", "cair", "atrair"); other "-air" words, and Spanish ones, are English ("chair").
_PT_AIR_VERB_ENDINGS = ("sair", "cair", "trair")
# Spellings that Portuguese and Spanish words do not have and English ones do: "k", "w", "th", "sh", "ck", a doubled
# consonant other than "rr", "ss", "ll", "cc", "nn" (and "ll" in Portuguese), an "s" before a consonant opening a
# word ("star", "script"); "y" too in Portuguese. Linear: each alternative is a fixed string of one or two
# characters (a class at most), no repetition.
_ENGLISH_SPELLING = {
    "pt": re.compile(r"[kwy]|th|sh|ck|pp|tt|ff|gg|dd|mm|bb|zz|ll|^s[^aeiouáéíóúâêôãõ]"),
    "es": re.compile(r"[kw]|th|sh|ck|pp|tt|ff|gg|dd|mm|bb|zz|^s[^aeiouáéíóú]"),
}


@functools.lru_cache(maxsize=_FACTS_MAX)
def _romance_word(key: str, language: str) -> int:
    """Whether a Portuguese or Spanish key can be a keyword alone (``_NOUN``) or is a verb form (``_NOT_NOUN``): one
    of ``lexicon.ROMANCE_VERB_FORMS`` ("disse", "precisa", "necesita"), or by its ending a gerund, a finite form of
    the past, of the future or of "we", or an infinitive, less the nouns and adjectives that end so
    (``lexicon.ROMANCE_NOUNS_BY_ENDING``: "mundo", "lugar", "mulher", "ramos"), an accented word as no infinitive is
    ("dólar", "líder", "açúcar"), and English words ("docker", "server", "chair"). A compound ("open-source",
    "mal-estar") is a noun; a verb before a clitic ("tornou-se") is read without it. Cached per process, key and
    language."""
    head, hyphen, tail = key.partition("-")
    if hyphen and tail not in _CLITICS:
        return _NOUN
    word = head
    if len(word) < 3 or word in lexicon.ROMANCE_NOUNS_BY_ENDING[language]:
        return _NOUN
    if word in lexicon.ROMANCE_VERB_FORMS[language]:
        return _NOT_NOUN  # "disse", "precisa", "necesita", "revisto": no ending tells
    accented = not _ROMANCE_ACCENTS.isdisjoint(word)
    if word.endswith(_ROMANCE_GERUNDS[language]):
        return _NOT_NOUN
    if word.endswith(_ROMANCE_FINITE[language]):
        if word.endswith("ei") and len(word) < 5:
            return _NOUN  # "lei", "rei"; "criei", "falei" are verbs
        return _NOUN if accented and word.endswith(_ACCENTED_NOT_FINITE) else _NOT_NOUN
    if len(word) >= _FUTURE_MIN and word.endswith(_ROMANCE_FUTURES[language]):
        return _NOT_NOUN
    if not word.endswith(_INFINITIVES) or accented or _ENGLISH_SPELLING[language].search(word):
        return _NOUN
    if word.endswith("er"):
        return _NOT_NOUN if word.endswith(_ES_ER_VERB_ENDINGS if language == "es" else _ER_VERB_ENDINGS) else _NOUN
    if word.endswith(("air", "eir")):
        return _NOT_NOUN if language == "pt" and word.endswith(_PT_AIR_VERB_ENDINGS) else _NOUN
    return _NOT_NOUN


# How French imperfects and conditionals of the third person end ("donnait", "pourraient"), in words of six letters or
# more ("lait", "trait" are nouns).
_FRENCH_IMPERFECT = ("ait", "aient")


@functools.lru_cache(maxsize=_FACTS_MAX)
def _french_verb(key: str) -> bool:
    """Whether a French key is a verb form: one of ``lexicon.FRENCH_VERB_FORMS`` (infinitives in "-ir", "-re", "-oir"
    and finite forms of frequent verbs: "agir", "construire", "faut"; a bare ending would take the nouns "avenir",
    "ministre", "guerre" too), an imperfect or a conditional by its ending ("donnait", "pourraient"; not the nouns of
    ``lexicon.FRENCH_AIT_NOUNS``, "portrait", "retrait"), or an infinitive in "-er": on the corpus' French pages 210
    of 220 such words are ("noter", "travailler"); not "-ier", "-yer" ("quartier", "métier", "foyer": nouns as often
    as verbs), nor the nouns and English words of ``lexicon.FRENCH_ER_NOUNS`` ("danger", "hiver", "leader"), nor a
    compound ("porte-parler"). Cached per process and key."""
    if key in lexicon.FRENCH_VERB_FORMS:
        return True
    if key.endswith(_FRENCH_IMPERFECT) and len(key) > 5:
        # An imperfect or a conditional ("donnait", "serait", "avaient"), but for the nouns that end so ("portrait").
        return key not in lexicon.FRENCH_AIT_NOUNS
    return (
        len(key) > 4
        and key.endswith("er")
        and not key.endswith(("ier", "yer"))
        and "-" not in key
        and key not in lexicon.FRENCH_ER_NOUNS
    )


# How an infinitive or a participle ends, by language: after a modal or an auxiliary (``lexicon.VERB_LEADS``) a word
# ending so is a verb form ("ser revisado", "foi aprovado", "doit ralentir", "a été nommé", "deve ridurre", "ha
# firmato"). Not the French participles in "-it": "ont droit", "ayant droit" hold a noun.
_LED_ENDINGS = {
    "pt": ("ar", "er", "ir", "ado", "ada", "ados", "adas", "ido", "ida", "idos", "idas"),
    "es": ("ar", "er", "ir", "ado", "ada", "ados", "adas", "ido", "ida", "idos", "idas"),
    "fr": ("er", "ir", "re", "oir", "é", "ée", "és", "ées", "i", "is", "u", "us"),
    "it": ("are", "ere", "ire", "rre", "ato", "ata", "ati", "ate", "ito", "ita", "iti", "ite", "uto", "uta", "uti",
           "ute"),
}  # fmt: skip
# A Portuguese or Spanish infinitive or participle bears no accent but on the "í" of these endings ("construído",
# "leído"): "dívida", "dúvida", "grávida", "líder" are no verb forms after "há", "tem", "está". (French ones bear
# any: "réduire", "élargir"; Italian ones none.)
_LED_ACCENTS = {"pt": _ROMANCE_ACCENTS, "es": _ROMANCE_ACCENTS, "fr": frozenset(), "it": frozenset()}
_ACCENTED_PARTICIPLES = ("ído", "ída", "ídos", "ídas")
# The nouns with those endings that a word list keeps whatever comes before them ("poder", "lugar", "danger", "di
# carattere").
_LED_NOUNS = {"pt": lexicon.ROMANCE_NOUNS_BY_ENDING["pt"], "es": lexicon.ROMANCE_NOUNS_BY_ENDING["es"],
              "fr": lexicon.FRENCH_ER_NOUNS, "it": lexicon.ITALIAN_NOUNS_BY_ENDING}  # fmt: skip
# How an infinitive ends where a preposition may lead it (``lexicon.INFINITIVE_LEADS``: "di ridurre", "per agire"),
# and a participle where "être" may (``lexicon.PARTICIPLE_LEADS``: "est arrivé", "sont perdues").
_INFINITIVE_ENDINGS = {"it": ("are", "ere", "ire", "rre")}
_PARTICIPLE_ENDINGS = {"fr": ("é", "ée", "és", "ées", "i", "ie", "is", "ies", "u", "ue", "us", "ues")}
# How a third person's present ends ("reclama", "reclamam", "occupe", "occupent", "rimane", "dicono"): after a
# subject pronoun (``lexicon.SUBJECT_LEADS``: "que reclama", "qui occupe") a word ending so is a finite verb.
_PRESENT_ENDINGS = {
    "pt": ("a", "e", "am", "em"),
    "es": ("a", "e", "an", "en"),
    "fr": ("e", "ent"),
    "it": ("a", "e", "ano", "ono"),
}
# After a name, a present form reads as a verb ("Mujeres Populares denuncia", "Ucrania interrumpe") unless it ends as
# the adjectives that follow names do ("Igreja católica", "Unión europea", "Banca nazionale"): the word before
# cannot tell those apart. (An Italian infinitive, "-are", "-ere", "-ire", is no present form: "Perturbazione
# polare".)
_AFTER_NAME_NOT_VERB = (
    "ica", "ico", "nte", "ana", "ena", "ina", "ea", "esa", "ola", "eira", "ense", "ista", "ale", "ese", "enne",
    "aise", "ique", "ine", "oise", "elle",
)  # fmt: skip
# Where a name before a present form makes it a verb. Not French: most of its nouns and adjectives end as its present
# forms do ("Offre découverte", "Banque mondiale").
_NAMED_SUBJECTS = frozenset({"pt", "es", "it"})
# What ``_led_shape`` says of a word: which leads make it a verb form (bits, so one word may take several).
_AFTER_AUXILIARY = 1  # an infinitive or a participle after a modal or an auxiliary (``lexicon.VERB_LEADS``)
_AFTER_PREPOSITION = 2  # an infinitive after a preposition (``lexicon.INFINITIVE_LEADS``)
_AFTER_ETRE = 4  # a participle after "être" (``lexicon.PARTICIPLE_LEADS``)
_AFTER_SUBJECT = 8  # a present form after a subject pronoun (``lexicon.SUBJECT_LEADS``)
_AFTER_NAME = 16  # a present form after a name
_LED_BY_A_VERB = _AFTER_AUXILIARY | _AFTER_PREPOSITION | _AFTER_ETRE


def _verb_forms(candidates: set[str], language: str | None) -> set[str]:
    """The candidates that are verb forms by the rules of ``language`` (Portuguese, Spanish: ``_romance_word``;
    French: ``_french_verb``; Italian: ``lexicon.ITALIAN_VERB_FORMS``), none in any other language (infinitives,
    participles and present forms known by the word before them are looked for among the chosen keywords only,
    ``_led_verbs``)."""
    if language in _ROMANCE_GERUNDS:
        return {w for w in candidates if _romance_word(w, language) == _NOT_NOUN}
    if language == "fr":
        return set(filter(_french_verb, candidates))
    if language == "it":
        return candidates & lexicon.ITALIAN_VERB_FORMS
    return set()


def _led_verbs(
    words: set[str],
    language: str,
    raw: list[str],
    keys: list[str],
    capitalised: Counter[str],
    tf: Counter[str],
    stop: frozenset[str],
) -> set[str]:
    """Of ``words``, those that the word before them shows to be verb forms in at least half their uses, more than
    half for a present form (``_led_shape``): an infinitive or a participle after a modal or an auxiliary ("revisado"
    of "debe ser revisado", "ridurre" of "deve ridurre", "deciso" of "ha deciso"), an infinitive after a preposition
    ("per agire"), a participle after "être" ("est arrivé"), a present form after a subject pronoun or a name ("que
    reclama", "Mujeres Populares denuncia"); not "mercado" of "o mercado foi ouvido … o mercado", nor "denuncia" of
    "una denuncia … la denuncia … que denuncia". Only the uses written in lower case count as led (an elided one has
    the article between: "pour l'avenir"), and a word mostly written with a capital is a name. ``list.index`` finds
    each use in C (mostly an identity test per key): a Python step per use read."""
    found = set()
    for word in words:
        if capitalised[word] * 2 > tf[word] or not (shape := _led_shape(word, language)):
            continue
        leads = _leads(language, shape)
        after_name = shape & _AFTER_NAME
        # A present form only the subject before it gives away needs most of its uses so: many are nouns as often
        # ("à marca de … o que marca o", "esta fuerza … el que fuerza").
        tie = 0 if shape & _LED_BY_A_VERB else 1
        led = not_led = 0  # the scan ends once the uses not led are over half: most words are nouns, led nowhere
        for at in _uses(keys, word):
            before = keys[at - 1] if at else "|"
            if raw[at] == word and (
                before in leads or (after_name and at and _name_before(raw, at, before, capitalised, tf, stop))
            ):
                led += 1
            else:
                not_led += 1
                if not_led * 2 > tf[word]:
                    break
        else:
            if led * 2 >= tf[word] + tie:
                found.add(word)
    return found


def _name_before(
    raw: list[str], at: int, before: str, capitalised: Counter[str], tf: Counter[str], stop: frozenset[str]
) -> bool:
    """Whether the token before ``raw[at]`` is a name: written with a capital there and in most of its uses, no stop
    word, and inside a sentence or known to the lexicon; a capital that opens a line or a sentence may be a heading's
    ("Palestra conjunta", "Pra galera", "Perturbazione polare")."""
    name = raw[at - 1]
    return (
        name[0].isupper()
        and capitalised[before] * 2 > tf[before]
        and before not in stop
        and ((at > 1 and raw[at - 2] not in _OPENERS) or _known_name(name))
    )


@functools.cache
def _leads(language: str, shape: int) -> frozenset[str]:
    """The words before which a word of ``shape`` (``_led_shape``) is a verb form. Cached per language and shape."""
    leads: frozenset[str] = frozenset()
    for bit, table in (
        (_AFTER_AUXILIARY, lexicon.VERB_LEADS),
        (_AFTER_PREPOSITION, lexicon.INFINITIVE_LEADS),
        (_AFTER_ETRE, lexicon.PARTICIPLE_LEADS),
        (_AFTER_SUBJECT, lexicon.SUBJECT_LEADS),
    ):
        if shape & bit:
            leads |= table.get(language, frozenset())
    return leads


@functools.lru_cache(maxsize=_FACTS_MAX)
def _led_shape(key: str, language: str) -> int:
    """Which leads make ``key`` a verb form in ``language`` (bits of ``_AFTER_AUXILIARY`` … ``_AFTER_NAME``, 0 for
    none): an auxiliary or a modal where it ends as an infinitive or a participle does (``_LED_ENDINGS``) or is an
    irregular participle (``lexicon.LED_PARTICIPLES``); a preposition where it ends as an infinitive does; "être"
    where it ends as a participle does; a subject pronoun where it ends as a present form does, and a name too unless
    it ends as an adjective does (``_AFTER_NAME_NOT_VERB``). Never the nouns of ``_LED_NOUNS``, compounds, nor words
    with accents no verb form bears. Cached per process, key and language."""
    if key in lexicon.LED_PARTICIPLES[language]:
        return _AFTER_AUXILIARY
    if "-" in key or key in _LED_NOUNS[language]:
        return 0
    accents = _LED_ACCENTS[language]
    if not (accents.isdisjoint(key) or key.endswith(_ACCENTED_PARTICIPLES)):
        return 0
    shape = 0
    if key.endswith(_LED_ENDINGS[language]):
        shape |= _AFTER_AUXILIARY
    if key.endswith(_INFINITIVE_ENDINGS.get(language, ())):
        shape |= _AFTER_PREPOSITION
    if key.endswith(_PARTICIPLE_ENDINGS.get(language, ())):
        shape |= _AFTER_ETRE
    if key.endswith(_PRESENT_ENDINGS[language]) and len(key) > 3 and not shape & _AFTER_PREPOSITION:
        shape |= _AFTER_SUBJECT
        if language in _NAMED_SUBJECTS and not key.endswith(_AFTER_NAME_NOT_VERB):
            shape |= _AFTER_NAME
    return shape


def _known_name(written: str) -> bool:
    """Whether the lexicon knows ``written`` as a given name, a surname or a place ("Fernando", "Salazar", "Qatar")."""
    return written in lexicon.given_names() or written in lexicon.surnames() or written in lexicon.places()


# Up to this many tokens (headline and text) a name written once may be a keyword (``_name_pairs``): a feed's teaser.
_NAME_PAIR_TOKENS = 200
# Titles before a person's name, as keys ("President", "Prime Minister", "Chancellor", "CEO", "MP"): the entity rules'
# titles less the weak ones, which open names as often ("Foreign Office", "State Farm", "Major League Baseball").
_NAME_TITLES = frozenset(
    t if t.isupper() else t.lower()
    for t in (lexicon.TITLES - lexicon.WEAK_TITLES) | {"MP", "MEP"}
    if "." not in t  # "Sen." is the token "Sen" before a break
)
# Titles that open names as often ("Foreign", "State", "Major"): before a given name they are titles all the same
# ("Secretary of State Marco Rubio").
_WEAK_NAME_TITLES = frozenset(t.lower() for t in lexicon.WEAK_TITLES)
# Titles that open organisations' names too ("General Motors", "Justice League", "Premier League", "Prime Video").
_ORG_TITLES = words("general justice premier prime cardinal")
# Possessives that names go on past ("European Men's Handball Championship", "People's Liberation Army"): no name
# ends there.
_NAMES_GO_ON = frozenset(p.lower() for p in lexicon.COMMON_POSSESSIVES)
# What ends the name of a place or an organisation: after a title, a run ending so is no person's name ("Prince Edward
# Island", "Queen Elizabeth Hospital").
_NAME_HEADS = frozenset(w.lower() for w in lexicon.ORG_HEADS | lexicon.PLACE_HEADS)
# The tokens of a short text as marks: "N" a name's word, "P" a name's possessive ("Trump's"), "T" a title that is a
# name's word ("King"), "S" a title written in lower case elsewhere, "G" another word written with a capital here that
# may be a keyword ("Security"), "C" any other capitalised word, "." the rest. A name is two or three names' words
# ("Stephen Colbert", "Munich Security Conference", its middle word may be a "G"), the last one may be a possessive;
# after a title or no capitalised word, and before no capitalised word unless it ends in a possessive; a title
# before one name ("Pope Leo", "King Charles"); or a title of two words alone ("Vice President"). Linear: each
# alternative is a fixed sequence of single marks (one optional), with no repetition, so a start position costs at
# most four steps.
_NAME_RUN = re.compile(
    r"(?<![NGCP])N[NG]?(?:N(?![NGCPST])|P)|(?<![NGCPST])T(?:N(?![NGCPST])|P)|(?<![NGCPST])[NT]T(?![NGCPST])"
)
# Titles before a name ("Prime Minister" of "Prime Minister Keir Starmer"). Linear: a match starts only where a run of
# titles starts (the lookbehind), so each mark is read once by ``[ST]+`` and the lookahead is one mark.
_TITLE_RUN = re.compile(r"(?<![ST])[ST]+(?=[NP])")
_TITLE_MARKS = frozenset("ST")
# News words (``_NEWS_WORDS``) that end names when written with a capital: "Munich Security Conference", "New York
# Times", "Labor Day", "Drudge Report".
_NEWS_NAME_WORDS = words("conference times time day week month year report")


def _name_pairs(
    raw: list[str],
    title_size: int,
    title_raw: list[str],
    written: dict[str, tuple[str, str]],
    key_of: dict[str, str],
    good: set[str],
    stop: frozenset[str],
    capitalised: Counter[str],
    tf: Counter[str],
) -> tuple[dict[tuple[str, ...], int], set[tuple[str, ...]], set[str]]:
    """Each name of two or three words ("Stephen Colbert", "Munich Security Conference") with how often it is
    written: one keyword, though it may not recur; those that are a person's (``_name_of``); and the titles that are
    only ever written before a name, no keyword alone ("President" of "President Donald Trump's campaign"). A title
    before a name is not part of it ("Chinese President Xi Jinping" gives "Xi Jinping"), unless the name is one word
    ("Pope Leo"); a possessive ends a name and counts for its bare key ("Donald Trump's" gives "Donald Trump"); a
    longer run of capitals is left alone. A Title Cased Headline capitalises every word, so its runs are not read
    ("Iranians Mourn Slain Protesters"). ``written``: the capitalised tokens, with their key without a possessive;
    ``good``: the keys that may be keywords.

    The tokens are written as a string of one mark each (``_NAME_RUN``; a map in C over the tokens) and the runs
    found by a regex: a Python step per distinct capitalised token and per name found, not per token.
    """
    # A name's word is mostly written with a capital; a short one too ("Xi", "Li"), though it is no keyword alone.
    name_words = {
        w
        for w, n in capitalised.items()
        if n * 2 > tf[w] and (w in good or w in _NEWS_NAME_WORDS or _short_name(w, stop))
    }
    if len(name_words) < 2:
        return {}, set(), set()
    marks: dict[str, str] = {}
    name_key: dict[str, str] = {}
    for token, (bare, _) in written.items():
        key = key_of[token]
        if key in stop and key not in _NEWS_NAME_WORDS:
            continue
        possessive = token.endswith(_POSSESSIVE_ENDINGS) and key not in _NAMES_GO_ON
        marks[token] = _mark(key, bare if possessive else key, name_words, good)
        name_key[token] = bare
    line = "".join(map(marks.get, raw, itertools.repeat(".")))
    names: Counter[tuple[str, ...]] = Counter()
    persons: set[tuple[str, ...]] = set()
    for m in _NAME_RUN.finditer(line, title_size if _title_cased(title_raw) else 0):
        name, person = _name_of(raw, line, m.start(), m.end(), name_key)
        if name:
            names[name] += 1
            if person:
                persons.add(name)
    # A Title Cased Headline's titles count: "Interim President José Jerí" is a title before a name all the same.
    used = Counter(name_key[t] for m in _TITLE_RUN.finditer(line) for t in raw[m.start() : m.end()])
    return names, persons, {title for title, n in used.items() if n >= tf[title]}


def _name_of(raw: list[str], line: str, start: int, end: int, name_key: dict[str, str]) -> tuple[tuple[str, ...], bool]:
    """The keys of the name ``raw[start:end]`` (a ``_NAME_RUN`` match in ``line``), without a weak title before a
    given name ("Secretary of State Marco Rubio"), and whether it is a person's (after a title, or from a given
    name); ``()`` if it is no name: a word twice ("Speculative Speculative"), a heading's verb first ("Exploring
    JSON"), or after a title a place or an organisation ("Prince Edward Island"; "General MIDI Synth": after a title
    that opens names, only a given name starts a person's)."""
    name = tuple(name_key[t] for t in raw[start:end])
    if len(set(name)) < len(name) or (name[0].endswith("ing") and name[0] not in _NAME_TITLES):
        return (), False
    given = lexicon.given_names()
    title = raw[start - 1] if start and line[start - 1] in _TITLE_MARKS else None
    if len(name) == 3 and name[0] in _WEAK_NAME_TITLES and raw[start + 1] in given:
        name, title, start = name[1:], raw[start], start + 1
    if title is None:
        return name, raw[start] in given
    if name[-1] in _NAME_HEADS or (name_key[title] in _ORG_TITLES and raw[start] not in given):
        return (), False
    return name, True


def _mark(key: str, bare: str, name_words: set[str], good: set[str]) -> str:
    """A capitalised token's mark in ``_name_pairs`` (``_NAME_RUN``): ``key`` its key, ``bare`` its key without a
    possessive."""
    if key != bare:
        return "P" if bare in name_words else "C"
    if key in _NAME_TITLES:
        return "T" if key in name_words else "S"
    if key in name_words:
        return "N"
    return "G" if key in good else "C"


def _short_name(key: str, stop: frozenset[str]) -> bool:
    """Whether ``key`` may be a short name's word: two letters, no stop word ("xi", "li", "wu")."""
    return len(key) == 2 and key.isalpha() and key not in stop


def _titled_name(phrase: tuple[str, ...], capitalised: Counter[str], tf: Counter[str]) -> bool:
    """Whether a title in ``phrase`` comes before a name's word ("President Donald Trump", "interim President José";
    not "Prime Minister", a title of two words)."""
    for title, after in itertools.pairwise(phrase):
        if title in _NAME_TITLES and after not in _NAME_TITLES and capitalised[after] * 2 > tf[after]:
            return True
    return False


def _title_cased(title_raw: list[str]) -> bool:
    """Whether a headline capitalises most of its words ("Trump Said He'd End the War"): four words or more, over
    60 % of them capitalised."""
    title_words = [t for t in title_raw if t[0].isalpha()]
    return len(title_words) >= 4 and sum(1 for t in title_words if t[0].isupper()) > 0.6 * len(title_words)


def _elisions(
    raw: list[str],
    raw_tf: Counter[str],
    title_size: int,
    elided: dict[str, int],
    stop: frozenset[str],
    table: _TokenFacts,
) -> tuple[list[str], int, bool]:
    """``raw`` with a break before each word whose elision was cut off, and each name written with the particle
    "d'" as one token; the title's new length in tokens; whether a name was joined (``raw`` itself when nothing
    changes).

    The elided article or preposition is a stop word ("l'", "d'", "dell'"), so it ends a phrase as "le" and "de"
    do: "au profit d'intérêts privés" gives "intérêts privés", not "profit intérêts privés". After a capitalised
    word that is no stop word, "d'" before a capital is a name's particle: "Côte d'Ivoire", "Val d'Oise", "Valle
    d'Aosta" are one token each; after any other word ("président d'Italie", a sentence's "Loin d'Ottawa") it is an
    elision. (A hyphenated name, "Côtes-d'Armor", is one token already.)

    Only elided words that can make a phrase are looked for: written so at least twice (a phrase counts from two
    uses) and no stop word themselves ("qu'il", "d'une" end a phrase anyway), found in one pass in C; a Python step
    runs per such word, not per token.
    """
    targets = {t for t, kind in elided.items() if kind == _PARTICLE or (raw_tf[t] > 1 and table[t][0] not in stop)}
    if not targets:
        return raw, title_size, False
    out: list[str] = []
    done = 0  # raw[:done] is in ``out``
    title_added = 0
    joined = False
    for i in itertools.compress(itertools.count(), map(targets.__contains__, raw)):
        if i == done and out:  # right after a name joined just now: "Côte d'Ivoire d'abord"
            out.append("|")
            title_added += i < title_size
            continue
        before = raw[i - 1] if i else "|"
        if before in _BREAKS or table[before][0] in stop:
            continue  # a phrase ends there already: "de l'économie"
        out += raw[done : i - 1]
        if elided[raw[i]] == _PARTICLE and before[0].isupper() and before.lower() not in _BEFORE_ELISION:
            out.append(f"{before} {raw[i]}")
            title_added -= i < title_size
            joined = True
            done = i + 1
        else:
            out += (before, "|")
            title_added += i < title_size
            done = i
    if not done:
        return raw, title_size, False
    out += raw[done:]
    return out, title_size + title_added, joined


@functools.cache
def _stop_places(language: str | None) -> dict[str, dict[str, list[tuple[str, ...]]]]:
    """Place names of two to four words that hold a stop word of ``language`` ("El Salvador", "Buenos Aires",
    "Estados Unidos", "São Paulo", "Rio de Janeiro"), as token tuples by their last token (the one an article
    holds least often: "Salvador", not "El"), then by their first. Worked out once per process and language,
    from `multiword_places` (about a millisecond).
    """
    stop = _stopwords(language)
    index: dict[str, dict[str, list[tuple[str, ...]]]] = {}
    for place, lowered in multiword_places():
        if not stop.isdisjoint(lowered):
            index.setdefault(place[-1], {}).setdefault(place[0], []).append(place)
    return index


@functools.cache
def multiword_places() -> list[tuple[tuple[str, ...], frozenset[str]]]:
    """The gazetteer's places that `_stop_places` picks from, with their words in lower case: two to four words;
    countries, provinces and regions, and cities from 100,000 people (below that, "La Salle" and the like are more
    often something else); not those opening with an English stop word ("As Salt" is a sentence's "As" before
    "Salt" more often than the town), nor with "New" (``_NAME_LEADS`` makes "New York" a phrase). Worked out once
    per process (a pass over the gazetteer: ~20 ms, done by ``worker.enrich.warm_up``), not once per language.
    """
    english = lexicon.stopwords("en")
    found = []
    for name, place in lexicon.places().items():
        words = tuple(name.split(" "))
        if (
            1 < len(words) <= 4
            and (place.kind != "city" or place.population >= 100_000)
            and words[0] not in _NAME_LEADS  # "New York" is a phrase already
            and words[0].lower() not in english  # "As Salt", "An Najaf": "As" and "An" open English sentences
            and tuple(_TOKEN.findall(name)) == words
        ):
            found.append((words, frozenset(w.lower() for w in words)))
    return found


def _join_places(raw: list[str], raw_tf: Counter[str], title_size: int, named: list[tuple[str, ...]]) -> int | None:
    """Write each of the ``named`` places (``_stop_places``) in ``raw`` as one token, in place, so that a stop word
    inside no longer cuts it ("Salvador" was the keyword of "El Salvador"), and keep ``raw_tf`` the tokens'
    counts; return by how many tokens the title (the first ``title_size``) shrank, ``None`` if no place was found.

    Only places whose every word the article holds are looked for, each first word found by ``list.index`` (in C).
    """
    spans: dict[int, tuple[str, ...]] = {}
    for first in dict.fromkeys(p[0] for p in named):
        candidates = sorted((p for p in named if p[0] == first), key=len, reverse=True)
        i = -1
        for _ in range(raw_tf[first]):
            i = raw.index(first, i + 1)
            for place in candidates:  # longest first
                if tuple(raw[i : i + len(place)]) == place:
                    spans[i] = place
                    break
    if not spans:
        return None
    shrink = 0
    for i in sorted(spans, reverse=True):  # from the end: the positions before stay right
        place = spans[i]
        if raw[i + 1 : i + len(place)] != list(place[1:]):
            continue  # overlaps a place joined after it
        raw[i : i + len(place)] = [" ".join(place)]
        raw_tf[" ".join(place)] += 1
        for word in place:
            raw_tf[word] -= 1
            if not raw_tf[word]:
                del raw_tf[word]
        if i < title_size:
            shrink += len(place) - 1
    return shrink


def _without_addresses(text: str) -> str:
    """``text`` with each link and e-mail address replaced by a break ("|"); ``text`` itself when it has none."""
    if "://" in text or "www." in text or "WWW." in text:
        linked, found = _LINK.subn(" | ", text)
        if found:
            text = linked
    at = text.find("@")
    parts: list[str] = []
    done = 0
    while at >= 0:
        domain = _MAIL_DOMAIN.match(text, at)
        local = _MAIL_LOCAL.search(text, max(done, at - 64), at) if domain else None
        if domain and local:
            parts += [text[done : local.start()], " | "]
            done = domain.end()
        at = text.find("@", max(done, at + 1))
    return "".join([*parts, text[done:]]) if parts else text


def _weak_edge(phrase: tuple[str, ...], weak: set[str], capitalised: Counter[str], tf: Counter[str]) -> bool:
    """Whether ``phrase`` starts or ends with a weak word that is not part of a name: "probably ends" and "want
    help" are no topics, "Great Britain" is one (its "Great" mostly written with a capital)."""
    return any(w in weak and capitalised[w] * 2 <= tf[w] for w in (phrase[0], phrase[-1]))


def _noun_phrase(phrase: tuple[str, ...], capitalised: Counter[str], tf: Counter[str]) -> bool:
    """Where every noun is written with a capital (German), whether ``phrase`` is a noun phrase: it ends in a noun,
    and each word before that written in lower case is an inflected adjective ("höhere Erlösobergrenzen", "sozialen
    Medien"). A lower-case last word is a verb or an adverb ("Polizei ermittelt", "vorläufig gestoppt", "tief
    erschüttert"), unless it is the epithet of a Latin species name ("Escherichia coli", "Musa spp"); an uninflected
    word before a noun is a verb, an adverb or a preposition ("fordert höhere …", "laut Polizei", "pro Nacht")."""
    last = phrase[-1]
    if capitalised[last] * 2 <= tf[last]:
        before = phrase[-2]
        if capitalised[before] * 2 <= tf[before] or _LATIN_EPITHET.search(last) is None:
            return False
        phrase = phrase[:-1]
    return all(capitalised[w] * 2 > tf[w] or w.endswith(_ADJECTIVE_ENDINGS) for w in phrase[:-1])


# What opens a sentence or a headline (the token before a German word whose capital may be the sentence's, not a
# noun's), and the words after a German verb that opens a sentence ("Unterlässt ein …", "Gewinnt ihr …": a question,
# a condition or an imperative puts the verb first) where a noun is not followed by them.
_OPENERS = frozenset('.!?:|\n"“”„«»…')
_VERB_FIRST_FOLLOWERS = words("ein eine einen einem einer er sie es man ich wir du ihr sich")
# How a German adjective is inflected, longest first (its stem is the word without the ending); and how a verb's
# third person ends before its infinitive's "-en" ("gewinnt"/"gewinnen", "arbeitet"/"arbeiten", "hältst").
_INFLECTIONS = ("en", "er", "es", "em", "e")
_VERB_PERSON_ENDINGS = ("est", "et", "st", "t")


def _singles(chosen: list[tuple[str, ...]]) -> set[str]:
    """The words chosen alone."""
    return {phrase[0] for phrase in chosen if len(phrase) == 1}


def _chosen_words(chosen: list[tuple[str, ...]]) -> set[str]:
    """The words of the chosen keywords, alone or in a phrase."""
    return {word for phrase in chosen for word in phrase}


def _sentence_capitals(
    raw: list[str], surface: dict[str, str], words: set[str], capitalised: Counter[str], tf: Counter[str]
) -> set[str]:
    """Of German ``words`` (``surface``: how each is written with a capital first), those whose every capital is a
    sentence's or a headline's, and that the text shows to be no noun: written in lower case elsewhere, or a form of
    a lower-case word ("Geeignet" … "geeignet", "Aktuelle" … "aktuellen", "Gewinnt" … "gewinnen"); always before a
    pronoun or an indefinite article (a verb first: "Unterlässt ein …"); or an inflected adjective always before a
    capitalised word ("Historische Wehranlage"). Names the lexicon knows stay ("Peter Müller")."""
    found = set()
    for word in words:
        if not capitalised[word]:
            continue  # a lower-case word (German keeps those out already) or an acronym
        followers = _sentence_followers(raw, surface[word])
        if followers is None or len(followers) < capitalised[word]:
            continue  # written with a capital inside a sentence too (or otherwise, "GEEIGNET"): a noun
        if (
            _lower_forms(word, capitalised, tf)
            or all(map(_VERB_FIRST_FOLLOWERS.__contains__, followers))
            or (_adjective_like(word) and all(f[0].isupper() and f[0].isalpha() for f in followers))
        ) and not _known_name(word.capitalize()):
            found.add(word)
    return found


def _sentence_followers(raw: list[str], token: str) -> list[str] | None:
    """The token after each use of ``token``, or ``None`` as soon as one is inside a sentence (after a token that is
    no ``_OPENERS``). ``list.index`` scans in C from the last use found, and most nouns stop the scan early."""
    followers: list[str] = []
    for at in _uses(raw, token):
        if at and raw[at - 1] not in _OPENERS:
            return None
        followers.append(raw[at + 1] if at + 1 < len(raw) else "|")
    return followers


def _uses(tokens: list[str], token: str) -> Iterator[int]:
    """Where ``token`` stands in ``tokens``, in order: ``list.index`` scans in C from the last use found (mostly an
    identity test per token), so a caller that stops early reads no further."""
    at = -1
    while True:
        try:
            at = tokens.index(token, at + 1)
        except ValueError:
            return
        yield at


def _opening_words(raw: list[str], keys: list[str], capitalised: Counter[str]) -> set[str]:
    """The English words of ``lexicon.ENGLISH_OPENING_WORDS`` written with a capital ("Meet", "Inside", "Watch") only
    where a headline or a sentence opens (after a token of ``_OPENERS``): a scan of the keys per such word, in C
    (``list.index``, mostly an identity test per key), ending at its first capital inside a sentence ("Human Rights
    Watch", "Inside Edition")."""
    return {
        word
        for word in lexicon.ENGLISH_OPENING_WORDS.intersection(capitalised)
        if not any(at and raw[at][0].isupper() and raw[at - 1] not in _OPENERS for at in _uses(keys, word))
    }


def _adjective_like(key: str) -> bool:
    """Whether ``key`` ends as an inflected adjective before a noun does and a noun rarely does: "-e", "-es"
    ("Historische", "Digitales"; not "-en", "-er", the endings of plurals and of agent nouns, "Fachmeldungen",
    "Klimavorreiter"), and is no compound (an adjective is rarely written with a hyphen)."""
    return key.endswith(("e", "es")) and "-" not in key


def _lower_forms(key: str, capitalised: Counter[str], tf: Counter[str]) -> bool:
    """Whether the text writes ``key``, or its adjective's or verb's other forms, in lower case."""
    forms = [key]
    for ending in _INFLECTIONS:
        if key.endswith(ending) and len(key) > len(ending) + 3:
            stem = key[: -len(ending)]
            forms += [stem, *(stem + e for e in _INFLECTIONS)]
            break
    for ending in _VERB_PERSON_ENDINGS:
        if key.endswith(ending) and len(key) > len(ending) + 3:
            forms.append(key[: -len(ending)] + "en")
            break
    return any(tf[f] > capitalised[f] for f in forms if f in tf)


def _leads_names(phrase: tuple[str, ...], leads: frozenset[str], capitalised: Counter[str], tf: Counter[str]) -> bool:
    """Whether each name lead of ``phrase`` opens a name: a word mostly written with a capital follows it ("New
    York", not "New rules" at a sentence's start)."""
    for i, word in enumerate(phrase):
        if word in leads and (i == len(phrase) - 1 or capitalised[phrase[i + 1]] * 2 <= tf[phrase[i + 1]]):
            return False
    return True


def _select(scores: dict[tuple[str, ...], float], limit: int) -> list[tuple[str, ...]]:
    """The best ``limit`` candidates, skipping any that is part of, or contains, one already chosen."""
    # The best first, ties by the phrase; the head holds every candidate scoring at least the 5·limit-th best
    # (a threshold from the scores sorted in C, not a keyed heap: no Python call per candidate; heapq.nlargest
    # loops in Python), the rest is sorted only if the head runs dry.
    if not scores:
        return []
    values = sorted(scores.values(), reverse=True)
    floor = values[min(limit * 5, len(values)) - 1]
    head = [(-s, p) for p, s in itertools.compress(scores.items(), map(floor.__le__, scores.values()))]
    head.sort()
    chosen: list[tuple[str, ...]] = []
    inside: set[tuple[str, ...]] = set()  # every run of words inside a chosen phrase
    chosen_set: set[tuple[str, ...]] = set()
    for batch in (head, None):
        if batch is None:
            batch = sorted((-s, p) for p, s in scores.items() if s < floor)
        for _, phrase in batch:
            if phrase in inside or (len(phrase) > 1 and not chosen_set.isdisjoint(_runs(phrase))):
                continue
            if len(phrase) == 3 and (phrase[:2] in inside or phrase[1:] in inside):
                continue  # two of its words are a chosen phrase's: "York State Attorney" after "New York State"
            chosen.append(phrase)
            chosen_set.add(phrase)
            inside.update(_runs(phrase))
            if len(chosen) >= limit:
                return chosen
    return chosen


def _runs(phrase: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Every contiguous run of words in ``phrase``, itself included."""
    n = len(phrase)
    return [phrase[i:j] for i in range(n) for j in range(i + 1, n + 1)]


def _no_space_keywords(title: str, text: str, limit: int) -> list[str]:
    """Recurring runs of 2-4 characters in scripts without spaces, longest and most frequent first."""
    counts: dict[str, int] = {}
    for run in _NO_SPACE_RUN.findall(f"{title}\n{text}"):
        for size in (2, 3, 4):
            for i in range(len(run) - size + 1):
                gram = run[i : i + size]
                counts[gram] = counts.get(gram, 0) + 1
    ranked = sorted((g for g, c in counts.items() if c >= 2), key=lambda g: (-(counts[g] * len(g) ** 1.5), g))
    chosen: list[str] = []
    for gram in ranked:
        if any(gram in other or other in gram for other in chosen):
            continue
        chosen.append(gram)
        if len(chosen) >= limit:
            break
    return chosen
