"""The match stage: which subscriptions does an article satisfy, and which words made them fire.

Three parts:

- `document_from_event` turns an `ArticleEvent` into a `MatchDocument`: per field, the folded words (their
  positions and character offsets worked out when first needed). Its presence keys ("word w occurs in field
  f") are made by the percolator, for the fields its subscriptions name.
- `brute_force` evaluates every query's tree against the document. It is the oracle: obviously right,
  and linear in the number of subscriptions.
- `Percolator` is compiled once from many subscriptions and answers the same question in time that grows
  with the subscriptions an article could plausibly match, not with all of them (the idea of
  Elasticsearch's percolator and Lucene Monitor's presearcher). Each query is rewritten into negation normal
  form and split into *necessary clauses*: disjunctions of presence keys that must all hold for the query to
  match. The cheapest clause goes into an inverted index; an article only looks at queries reached through
  one of its own keys, rejects most of them with the other clauses (set lookups), and evaluates the rest
  exactly. Queries without any necessary clause (pure NOT, `a OR NOT b`) are checked on every article.
  The pre-filter only ever drops queries that cannot match, so it never disagrees with `brute_force`
  (a hypothesis test holds it to that).

Matched terms are worked out for both the same way (`explain`, `matched_terms`): occurrences of the
positive terms in the branches that made the query true, as character offsets into the field's text.
Multi-valued fields (authors, entities, keywords, countries, source name and domain) are the values
joined by newlines. `Percolator.match_ids` answers only which subscriptions match, for callers that
explain just some of them.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from schemas import ArticleEvent, MatchedTerm
from worker.query import DEFAULT_FIELDS, And, Node, Not, Or, Phrase, Query, Term, words
from worker.query import spans as word_spans

# Order in which matched terms are listed (and fields are built).
FIELD_ORDER: tuple[str, ...] = (
    "title", "text", "author", "source", "lang", "entity", "person", "org", "place", "country", "keyword",
)  # fmt: skip
_FIELD_RANK = {name: i for i, name in enumerate(FIELD_ORDER)}
ENTITY_FIELDS: dict[str, str] = {"person": "person", "organization": "org", "place": "place"}
MAX_MATCHED_TERMS = 50  # per alert: enough to show why, bounded so one long article cannot bloat the stream
MAX_OCCURRENCES_PER_TERM = 5  # per term and field: the first few places a word occurs say enough

# (field's index in FIELD_ORDER, start, end, term): a MatchedTerm before it becomes one, shaped so that
# plain tuple order is the order we report in.
Hit = tuple[int, int, int, str]

_VALUE_BREAK = " \x00 "  # between values in FieldText.joined: no phrase contains it, so none spans two

# Presence keys. A key is a field name (or "" for the default fields, title and text together), a
# separator saying exact word or prefix, and the folded word or prefix; except that the default fields' exact
# words are their own keys (no word holds a separator): most terms are there, and an article's words are then
# its keys without making hundreds of strings.
_TERM_SEP = "\x1f"
_PREFIX_SEP = "\x1e"
_DEFAULT_GROUP = ""
# A wildcard's key holds at most this many leading characters; a longer stem (`internationa*`) is reached through
# its first ones and then checked exactly. Every (field, stem length) in use costs each article a pass over its
# words to make the keys, so without this bound one subscription's wildcards of 128 lengths added 2.6 ms to every
# article for everyone; now at most 7 passes per field whatever is subscribed (all stems up to 8 are unchanged).
PREFIX_KEY_MAX_CHARS = 8


def term_key(group: str, word: str) -> str:
    return word if group == _DEFAULT_GROUP else f"{group}{_TERM_SEP}{word}"


def prefix_key(group: str, prefix: str) -> str:
    return f"{group}{_PREFIX_SEP}{prefix}"


# --- the document -----------------------------------------------------------------------------------------


class FieldText:
    """One field of a document: its text and folded words; positions and offsets are worked out on demand.

    Most articles only need the set of words (for the pre-filter and plain terms); phrases need positions
    and matched terms need offsets, and only in the fields a matching subscription names.
    """

    __slots__ = ("_joined", "_plain", "_spans", "_where", "owner", "text", "values", "vocab", "words")

    def __init__(self, values: Sequence[str]) -> None:
        self.values = tuple(values)
        self.text = "\n".join(self.values)
        self.owner: list[int] | None = None  # value index of each word; None when there is one value
        self._joined: str | None = None
        self._plain: bool | None = None  # whether `joined` has exactly one space between words
        if len(self.values) == 1:
            self.words = words(self.values[0])
        else:
            self.words, self.owner = [], []
            joined = []
            for vi, value in enumerate(self.values):
                found = words(value)
                self.words.extend(found)
                self.owner.extend([vi] * len(found))
                joined.append(" ".join(found))
            self._joined = " " + _VALUE_BREAK.join(joined) + " "
        self.vocab = frozenset(self.words)
        self._where: dict[str, list[int]] | None = None
        self._spans: list[tuple[int, int]] | None = None

    @property
    def joined(self) -> str:
        """The folded words with single spaces around each, values apart: a phrase is a substring of it."""
        if self._joined is None:
            self._joined = " " + " ".join(self.words) + " "
        return self._joined

    def has_phrase(self, phrase: Sequence[str]) -> bool:
        """Whether `phrase` occurs, by one substring search instead of word positions.

        Agrees with `phrase_starts` because words are separated by exactly one space in `joined`; the
        rare folded word that itself holds a space (NFKD of some ligatures) breaks that, so then positions
        decide.
        """
        if not self.vocab.issuperset(phrase):
            return False
        joined = self.joined
        if self._plain is None:
            # One space between words, two around each value break, one at each end: any other count
            # means an empty value or a word with a space inside (both only ever add spaces).
            self._plain = joined.count(" ") == len(self.words) + len(self.values)
        if not self._plain or any(" " in w for w in phrase):
            return bool(self.phrase_starts(phrase))
        return " " + " ".join(phrase) + " " in joined

    @property
    def where(self) -> dict[str, list[int]]:
        """Folded word -> indices into `words`."""
        if self._where is None:
            where: dict[str, list[int]] = {}
            for i, word in enumerate(self.words):
                hits = where.get(word)
                if hits is None:
                    where[word] = [i]
                else:
                    hits.append(i)
            self._where = where
        return self._where

    @property
    def spans(self) -> list[tuple[int, int]]:
        """(start, end) of each word in `text`."""
        if self._spans is None:
            spans: list[tuple[int, int]] = []
            offset = 0
            for value in self.values:
                found = word_spans(value, len(self.words) if self.owner is None else None)
                spans.extend([(offset + a, offset + b) for a, b in found] if offset else found)
                offset += len(value) + 1
            self._spans = spans
        return self._spans

    def phrase_starts(self, phrase: Sequence[str]) -> list[int]:
        """Indices where `phrase` begins, its words consecutive within one value."""
        if not self.vocab.issuperset(phrase):
            return []
        n = len(phrase)
        want = list(phrase)
        ws, owner = self.words, self.owner
        out = []
        for i in self.where[phrase[0]]:
            j = i + n
            if ws[i:j] == want and (owner is None or owner[i] == owner[j - 1]):
                out.append(i)
        return out


@dataclass(slots=True)
class MatchDocument:
    """What the matcher knows of one article: its searchable fields."""

    fields: dict[str, FieldText]
    # Per-document memo of term occurrences: many matching subscriptions share their terms.
    occurrences: dict[Term | Phrase, list[Hit]] = field(default_factory=dict)
    truth: dict[Term | Phrase, bool] = field(default_factory=dict)  # the percolator's phrase verdicts
    _group_words: dict[str, frozenset[str]] = field(default_factory=dict)
    _sorted_words: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, values: Mapping[str, Sequence[str]]) -> MatchDocument:
        """Build from raw field values (each field a list of values); unknown or missing fields are empty."""
        fields = {name: FieldText(values.get(name, ())) for name in FIELD_ORDER}
        default = fields[DEFAULT_FIELDS[0]].vocab.union(*(fields[n].vocab for n in DEFAULT_FIELDS[1:]))
        doc = cls(fields=fields)
        doc._group_words[_DEFAULT_GROUP] = default
        return doc

    def group_words(self, group: str) -> frozenset[str]:
        """Distinct words of a key group: one field, or the default fields together."""
        found = self._group_words.get(group)
        return self.fields[group].vocab if found is None else found

    def has_prefix(self, group: str, prefix: str) -> bool:
        """Whether a word of the key group starts with `prefix`: a binary search in its sorted words."""
        ordered = self._sorted_words.get(group)
        if ordered is None:  # sorted once per article, and only for a long wildcard whose key was there
            ordered = self._sorted_words[group] = sorted(self.group_words(group))
        i = bisect_left(ordered, prefix)
        return i < len(ordered) and ordered[i].startswith(prefix)


def document_from_event(event: ArticleEvent) -> MatchDocument:
    """The searchable view of an article: prose fields, entity names by type, codes, keywords, source."""
    entities: dict[str, list[str]] = {"entity": [], "person": [], "org": [], "place": []}
    for ent in event.entities:
        entities["entity"].append(ent.name)
        if ent.type in ENTITY_FIELDS:
            entities[ENTITY_FIELDS[ent.type]].append(ent.name)
    source = [v for v in (event.source.name, event.source.domain) if v]
    return MatchDocument.of(
        {
            "title": [event.title],
            "text": [event.text],
            "author": event.authors,
            "source": source,
            "lang": [event.language] if event.language else [],
            **entities,
            "country": event.countries,
            "keyword": event.keywords,
        }
    )


# --- exact evaluation (the oracle) ------------------------------------------------------------------------


def _fields_of(leaf: Term | Phrase) -> tuple[str, ...]:
    return DEFAULT_FIELDS if leaf.field is None else (leaf.field,)


def leaf_true(leaf: Term | Phrase, doc: MatchDocument) -> bool:
    """Whether one term or phrase occurs in the document, by looking at the words themselves."""
    for name in _fields_of(leaf):
        ft = doc.fields[name]
        if isinstance(leaf, Phrase):
            if ft.phrase_starts(leaf.words):
                return True
        elif leaf.prefix:
            if any(w.startswith(leaf.word) for w in ft.vocab):
                return True
        elif leaf.word in ft.vocab:
            return True
    return False


def evaluate(node: Node, doc: MatchDocument) -> bool:
    """Truth of a query tree on a document, straight from the definition."""
    if isinstance(node, Term | Phrase):
        return leaf_true(node, doc)
    if isinstance(node, Not):
        return not evaluate(node.child, doc)
    if isinstance(node, And):
        return all(evaluate(c, doc) for c in node.children)
    return any(evaluate(c, doc) for c in node.children)


def _occurrences(leaf: Term | Phrase, doc: MatchDocument) -> list[Hit]:
    """Hits for the first few occurrences of `leaf` in each of its fields, memoised per document."""
    cached = doc.occurrences.get(leaf)
    if cached is not None:
        return cached
    out: list[Hit] = []
    for name in _fields_of(leaf):
        ft = doc.fields[name]
        rank = _FIELD_RANK[name]
        if isinstance(leaf, Phrase):
            starts = ft.phrase_starts(leaf.words)[:MAX_OCCURRENCES_PER_TERM]
            if starts:
                spans, label, last = ft.spans, " ".join(leaf.words), len(leaf.words) - 1
                out.extend([(rank, spans[i][0], spans[i + last][1], label) for i in starts])
            continue
        if leaf.prefix:
            label = leaf.word + "*"
            hits = sorted(i for w, idx in ft.where.items() if w.startswith(leaf.word) for i in idx)
        elif leaf.word in ft.vocab:  # a set lookup spares the field's positions when the word is not there
            label = leaf.word
            hits = ft.where[leaf.word]
        else:
            continue
        if hits:
            spans = ft.spans
            out.extend([(rank, *spans[i], label) for i in hits[:MAX_OCCURRENCES_PER_TERM]])
    doc.occurrences[leaf] = out
    return out


def _witness(node: Node, doc: MatchDocument, out: list[Hit]) -> bool:
    """Evaluate `node`; when true, append the occurrences of the positive terms that made it true."""
    if isinstance(node, Term | Phrase):
        found = _occurrences(node, doc)
        out.extend(found)
        return bool(found)
    if isinstance(node, Not):
        return not evaluate(node.child, doc)
    if isinstance(node, And):
        mine: list[Hit] = []
        for c in node.children:
            if not _witness(c, doc, mine):
                return False
        out.extend(mine)
        return True
    truth = False
    for c in node.children:  # every true branch is part of why, so no short-circuit
        truth = _witness(c, doc, out) or truth
    return truth


def explain(query: Query, doc: MatchDocument) -> tuple[Hit, ...]:
    """Why `query` matched `doc`: term occurrences in field order, then by position, at most a bounded few."""
    root = query.root
    if isinstance(root, Term | Phrase):  # one term: its occurrences are already in order
        return tuple(_occurrences(root, doc)[:MAX_MATCHED_TERMS])
    found: list[Hit] = []
    _witness(root, doc, found)
    return tuple(sorted(set(found))[:MAX_MATCHED_TERMS])


def matched_terms(query: Query, doc: MatchDocument) -> list[MatchedTerm]:
    """`explain` as the event schema's MatchedTerms."""
    return as_matched_terms(explain(query, doc))


def as_matched_terms(hits: tuple[Hit, ...]) -> list[MatchedTerm]:
    """Hits as the event schema's MatchedTerms."""
    # The tuples come from our own tokenizer (fields known, offsets >= 0): no need to validate them again.
    return [
        MatchedTerm.model_construct(field=FIELD_ORDER[rank], term=term, start=start, end=end)
        for rank, start, end, term in hits
    ]


@dataclass(frozen=True, slots=True)
class Match:
    """One subscription that an article satisfies, and the terms that made it fire."""

    subscription_id: str
    hits: tuple[Hit, ...]

    @property
    def matched(self) -> list[MatchedTerm]:
        """The hits as MatchedTerms, built on demand: most matches of a known story never become alerts."""
        return as_matched_terms(self.hits)


def brute_force(queries: Iterable[tuple[str, Query]], doc: MatchDocument) -> list[Match]:
    """Every query evaluated on `doc`, in the given order: the oracle the percolator must agree with."""
    return [Match(sid, explain(q, doc)) for sid, q in queries if evaluate(q.root, doc)]


# --- the percolator ---------------------------------------------------------------------------------------

# Rough chance that a word is present in a news article, for picking the clause to index on. A wrong guess
# costs speed, never correctness. Common English (and a few other languages') words are near-certain.
COMMON_WORDS = frozenset(
    """a about after again against all also an and any are as at be because been before being between both
    but by can could did do does during each few for from further had has have having he her here hers him his
    how i if in into is it its just last like made make many may me more most mr mrs ms much must my new
    no nor not now of off on once one only or other our out over own people said same say says she should
    so some such than that the their them then there these they this those through time to too two under until
    up us very was we were what when where which while who whom why will with would year years you your
    der die das und ist nicht ein eine le la les des et est un une pas el los las y que en del por con para
    se de da do em o os as""".split()  # noqa: SIM905 - a word list reads better as running text
)
_FIELD_PRESENCE: dict[str, float] = {
    _DEFAULT_GROUP: 1.0, "text": 1.0, "title": 0.1, "author": 0.01, "source": 0.02, "lang": 0.5,
    "entity": 0.2, "person": 0.15, "org": 0.15, "place": 0.15, "country": 0.2, "keyword": 0.1,
}  # fmt: skip


def _word_presence(word: str) -> float:
    if word in COMMON_WORDS or len(word) <= 1:
        return 0.9
    return min(0.9, 0.6 / max(1, len(word) - 2))


def key_cost(key: str, word_presence: Mapping[str, float] | None = None) -> float:
    """Estimated chance an article has `key`: lower is a better key to index a query under."""
    if _PREFIX_SEP in key:
        group, word = key.split(_PREFIX_SEP, 1)
        base = min(0.95, 3 * _word_presence(word))  # a prefix stands for several words
    else:
        group, _, word = key.rpartition(_TERM_SEP)  # ("", "", word) for a default-fields word
        p = word_presence.get(word) if word_presence is not None else None
        base = _word_presence(word) if p is None else p
    if group in ("lang", "country"):
        return _FIELD_PRESENCE[group]
    return base * _FIELD_PRESENCE[group]


def _group(leaf: Term | Phrase) -> str:
    return _DEFAULT_GROUP if leaf.field is None else leaf.field


def _key_of(leaf: Node) -> str | None:
    """The presence key that is exactly equivalent to `leaf`, if there is one (terms and short prefixes)."""
    if isinstance(leaf, Term):
        if not leaf.prefix:
            return term_key(_group(leaf), leaf.word)
        if len(leaf.word) <= PREFIX_KEY_MAX_CHARS:
            return prefix_key(_group(leaf), leaf.word)
    return None


def negation_normal_form(node: Node, negate: bool = False) -> Node:
    """The same query with NOT only directly above terms and phrases (De Morgan, double negation)."""
    if isinstance(node, Term | Phrase):
        return Not(node) if negate else node
    if isinstance(node, Not):
        return negation_normal_form(node.child, not negate)
    kids = [negation_normal_form(c, negate) for c in node.children]
    if isinstance(node, And):
        return _flatten(Or if negate else And, kids)
    return _flatten(And if negate else Or, kids)


def _flatten(cls: type[And] | type[Or], kids: list[Node]) -> Node:
    flat: list[Node] = []
    for k in kids:
        flat.extend(k.children if isinstance(k, cls) else [k])
    return flat[0] if len(flat) == 1 else cls(tuple(flat))


Clause = tuple[str, ...]  # a disjunction of presence keys


class _Costs:
    def __init__(self, word_presence: Mapping[str, float] | None) -> None:
        self.word_presence = word_presence
        self.memo: dict[str, float] = {}

    def key(self, key: str) -> float:
        cost = self.memo.get(key)
        if cost is None:
            cost = self.memo[key] = key_cost(key, self.word_presence)
        return cost

    def clause(self, clause: Clause) -> float:
        return min(1.0, sum(self.key(k) for k in clause))


def necessary_clauses(node: Node, costs: _Costs) -> list[Clause]:
    """Clauses (disjunctions of keys) that all hold whenever the NNF `node` is true; [] when none is known."""
    key = _key_of(node)
    if key is not None:
        return [(key,)]
    if isinstance(node, Term):  # a long wildcard: its words start with its first characters
        return [(prefix_key(_group(node), node.word[:PREFIX_KEY_MAX_CHARS]),)]
    if isinstance(node, Phrase):
        return [(term_key(_group(node), w),) for w in dict.fromkeys(node.words)]
    if isinstance(node, Not):
        return []
    if isinstance(node, And):
        return [c for child in node.children for c in necessary_clauses(child, costs)]
    assert isinstance(node, Or)
    union: set[str] = set()
    for child in node.children:
        clauses = necessary_clauses(child, costs)
        if not clauses:
            return []  # one branch can be true without any key we know of
        cheapest: Clause = min(clauses, key=costs.clause)
        union.update(cheapest)
    return [tuple(sorted(union))]


# Opcodes of the compiled residual tree (tuples are far smaller than closures at 100k subscriptions). A LEAF is a
# phrase or a long wildcard: decided by looking at the article's words, once per article.
_KEY, _NOT_KEY, _LEAF, _NOT_LEAF, _AND, _OR = range(6)
Compiled = tuple[int, Any]  # (opcode, payload)


def _compile_residual(node: Node) -> Compiled:
    key = _key_of(node)
    if key is not None:
        return (_KEY, key)
    if isinstance(node, Term | Phrase):
        return (_LEAF, node)
    if isinstance(node, Not):
        inner = node.child
        key = _key_of(inner)
        return (_NOT_KEY, key) if key is not None else (_NOT_LEAF, inner)
    op = _AND if isinstance(node, And) else _OR
    assert isinstance(node, And | Or)
    return (op, tuple(_compile_residual(c) for c in node.children))


def _run(code: Compiled, keys: frozenset[str] | set[str], doc: MatchDocument) -> bool:
    op, arg = code
    if op == _KEY:
        return arg in keys
    if op == _NOT_KEY:
        return arg not in keys
    # Explicit loops, not all()/any(): a generator per node costs more than the node in this hot path.
    if op == _AND:
        for c in arg:  # noqa: SIM110
            if not _run(c, keys, doc):
                return False
        return True
    if op == _OR:
        for c in arg:  # noqa: SIM110
            if _run(c, keys, doc):
                return True
        return False
    truth = doc.truth.get(arg)
    if truth is None:  # many subscriptions share a phrase (a name, a place): decide it once per article
        truth = doc.truth[arg] = _leaf_truth(arg, keys, doc)
    return truth if op == _LEAF else not truth


def _leaf_truth(leaf: Term | Phrase, keys: frozenset[str] | set[str], doc: MatchDocument) -> bool:
    if isinstance(leaf, Phrase):
        return any(doc.fields[name].has_phrase(leaf.words) for name in _fields_of(leaf))
    group = _group(leaf)  # a long wildcard: its short key first (a set lookup), then the words
    return prefix_key(group, leaf.word[:PREFIX_KEY_MAX_CHARS]) in keys and doc.has_prefix(group, leaf.word)


@dataclass(frozen=True, slots=True)
class _Check:
    """What remains to verify for a candidate reached through its indexed clause."""

    clauses: tuple[Clause, ...]  # the other necessary clauses, cheapest (likeliest to fail) first
    forbidden: tuple[str, ...]  # keys that must be absent (top-level NOT term)
    residual: Compiled | None  # the part not captured by clauses and forbidden keys, evaluated exactly


def _plan(root: Node, costs: _Costs) -> tuple[list[Clause], _Check | str | None]:
    """Split a query into its necessary clauses and the exact check a candidate must pass.

    Returns (clauses, check). An empty clause list means the query can match without any known key
    present and must be checked on every article. A check of None means the indexed clause alone
    decides; a string is one more key that must be present.
    """
    nnf = negation_normal_form(root)
    parts = nnf.children if isinstance(nnf, And) else (nnf,)
    clauses: list[Clause] = []
    forbidden: list[str] = []
    residual: list[Node] = []
    for part in parts:
        key = _key_of(part)
        negated = _key_of(part.child) if isinstance(part, Not) else None
        alternatives = [_key_of(c) for c in part.children] if isinstance(part, Or) else []
        if key is not None:
            clauses.append((key,))
        elif negated is not None:
            forbidden.append(negated)
        elif alternatives and None not in alternatives:
            clauses.append(tuple(sorted({k for k in alternatives if k is not None})))
        else:
            residual.append(part)
            clauses.extend(necessary_clauses(part, costs))  # implied by the residual: cheap early rejects
    unique = sorted({frozenset(c) for c in clauses}, key=lambda c: (costs.clause(tuple(c)), sorted(c)))
    # A clause that contains another is implied by it; keep only the minimal ones.
    minimal = [tuple(sorted(c)) for c in unique if not any(o < c for o in unique)]
    code = None
    if residual:
        code = _compile_residual(residual[0] if len(residual) == 1 else And(tuple(residual)))
    if not minimal:
        return [], _Check((), tuple(forbidden), code)
    rest = tuple(minimal[1:])
    if not forbidden and code is None:
        if not rest:
            return minimal, None
        if len(rest) == 1 and len(rest[0]) == 1:
            return minimal, rest[0][0]  # the commonest shape, `a AND b`: one more key to look up
    return minimal, _Check(rest, tuple(forbidden), code)


def _passes(check: _Check, keys: frozenset[str] | set[str], doc: MatchDocument) -> bool:
    for clause in check.clauses:
        for k in clause:
            if k in keys:
                break
        else:
            return False
    for k in check.forbidden:
        if k in keys:
            return False
    return check.residual is None or _run(check.residual, keys, doc)


@dataclass(slots=True)
class PercolateStats:
    """How much work the last `match` did: the pre-filter's effect, for benchmarks and logs."""

    subscriptions: int = 0
    candidates: int = 0  # reached through the index or on the always-check list
    evaluated: int = 0  # candidates that needed more than their indexed clause
    matched: int = 0


class Percolator:
    """Many subscriptions compiled once; `match` returns what `brute_force` would, much faster.

    Subscriptions can be added and removed one at a time (`add`, `remove`), so a worker can follow a
    changing subscription set without recompiling all of it. Results come in the order subscriptions
    were added.
    """

    def __init__(
        self, queries: Iterable[tuple[str, Query]] = (), word_presence: Mapping[str, float] | None = None
    ) -> None:
        """Compile `queries` ((subscription id, parsed query) pairs; a repeated id replaces the earlier one).

        `word_presence` optionally maps folded words to the share of articles containing them, to pick
        better index keys than the built-in guess.
        """
        self._costs = _Costs(word_presence)
        self.ids: list[str | None] = []  # by slot; None once removed
        self.queries: list[Query | None] = []
        self._checks: list[_Check | str | None] = []
        self._primary: list[Clause] = []  # the indexed clause of each slot (empty: always checked)
        self._slot: dict[str, int] = {}
        self._index: dict[str, list[int]] = {}
        self._index_keys: set[str] = set()
        self._always: dict[int, None] = {}  # an ordered set of slots checked on every article
        # Wildcards in use: (key group, prefix length) -> {prefix: number of subscriptions using it}.
        self._prefix_uses: dict[tuple[str, int], Counter[str]] = {}
        # Fields named in a query (title:, person:, …) -> number of its terms and phrases: the fields whose words
        # an article's keys need (the default fields' words are keys already).
        self._field_uses: Counter[str] = Counter()
        self._multi_key = 0  # queries reachable through two keys of one article: candidates need dedup
        for sid, query in queries:
            self.add(sid, query)
        self.stats = PercolateStats(subscriptions=len(self))

    def __len__(self) -> int:
        return len(self._slot)

    def __contains__(self, sid: object) -> bool:
        return sid in self._slot

    def add(self, sid: str, query: Query) -> None:
        """Compile one subscription in (replacing any with the same id)."""
        if sid in self._slot:
            self.remove(sid)
        qi = len(self.ids)
        clauses, check = _plan(query.root, self._costs)
        self.ids.append(sid)
        self.queries.append(query)
        self._checks.append(check)
        self._slot[sid] = qi
        primary = clauses[0] if clauses else ()
        self._primary.append(primary)
        for group, prefix in _prefixes(query):
            self._prefix_uses.setdefault((group, len(prefix)), Counter())[prefix] += 1
        self._field_uses.update(_fields_named(query))
        if not primary:
            self._always[qi] = None
            return
        self._multi_key += len(primary) > 1
        for k in primary:
            posting = self._index.get(k)
            if posting is None:
                self._index[k] = [qi]
                self._index_keys.add(k)
            else:
                posting.append(qi)

    def remove(self, sid: str) -> bool:
        """Take one subscription out; False when it was not there."""
        qi = self._slot.pop(sid, None)
        if qi is None:
            return False
        query = self.queries[qi]
        assert query is not None
        primary = self._primary[qi]
        if not primary:
            del self._always[qi]
        self._multi_key -= len(primary) > 1
        for k in primary:
            posting = self._index[k]
            posting.remove(qi)
            if not posting:
                del self._index[k]
                self._index_keys.discard(k)
        for group, prefix in _prefixes(query):
            uses = self._prefix_uses[(group, len(prefix))]
            uses[prefix] -= 1
            if not uses[prefix]:
                del uses[prefix]
                if not uses:
                    del self._prefix_uses[(group, len(prefix))]
        self._field_uses.subtract(_fields_named(query))
        self._field_uses = +self._field_uses  # drops the fields no query names any more
        self.ids[qi] = self.queries[qi] = self._checks[qi] = None
        self._primary[qi] = ()
        return True

    def _keys(self, doc: MatchDocument) -> frozenset[str] | set[str]:
        """The document's presence keys that this percolator's queries can ask for: the default fields' words,
        the words of the fields they name, and the prefixes their wildcards use."""
        extra: list[str] = []
        for name in self._field_uses:
            head = name + _TERM_SEP
            extra.extend([head + w for w in doc.fields[name].vocab])
        for (group, n), uses in self._prefix_uses.items():
            # A word shorter than n is its own "stem" here, and no n-character prefix equals it.
            found = uses.keys() & map(itemgetter(slice(n)), doc.group_words(group))
            if found:
                head = group + _PREFIX_SEP
                extra.extend([head + stem for stem in found])
        default = doc.group_words(_DEFAULT_GROUP)
        return default.union(extra) if extra else default

    def match_ids(self, doc: MatchDocument) -> list[int]:
        """Slots (in the order subscriptions were added) of the subscriptions `doc` satisfies."""
        keys = self._keys(doc)
        index = self._index
        found: list[int] = []
        for k in keys & self._index_keys:  # a C-level intersection beats a Python loop of lookups
            found.extend(index[k])
        candidates: Iterable[int] = set(found) if self._multi_key else found
        checks = self._checks
        hits: list[int] = []
        evaluated = 0
        for qi in candidates:
            check = checks[qi]
            if check is None:
                hits.append(qi)
                continue
            evaluated += 1
            if check.__class__ is str:
                if check in keys:
                    hits.append(qi)
            elif _passes(check, keys, doc):  # type: ignore[arg-type]
                hits.append(qi)
        for qi in self._always:
            check = checks[qi]
            assert isinstance(check, _Check)
            if _passes(check, keys, doc):
                hits.append(qi)
        hits.sort()
        self.stats = PercolateStats(
            subscriptions=len(self),
            candidates=len(found) + len(self._always),
            evaluated=evaluated + len(self._always),
            matched=len(hits),
        )
        return hits

    def match(self, doc: MatchDocument) -> list[Match]:
        """The subscriptions `doc` satisfies, in the order they were added, each with its matched terms."""
        out = []
        for qi in self.match_ids(doc):
            sid, query = self.ids[qi], self.queries[qi]
            assert sid is not None and query is not None
            out.append(Match(sid, explain(query, doc)))
        return out


def _fields_named(query: Query) -> Counter[str]:
    return Counter(leaf.field for leaf in query.leaves() if leaf.field is not None)


def _prefixes(query: Query) -> set[tuple[str, str]]:
    """(key group, prefix) of each wildcard in `query`: which prefix keys articles must carry for it."""
    return {
        (_group(leaf), leaf.word[:PREFIX_KEY_MAX_CHARS])
        for leaf in query.leaves()
        if isinstance(leaf, Term) and leaf.prefix
    }
