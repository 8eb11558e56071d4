"""The match stage: which subscriptions does an article satisfy, and which words made them fire.

Three parts:

- `document_from_event` turns an `ArticleEvent` into a `MatchDocument`: per field, the folded words with
  their character offsets, plus a set of presence keys ("word w occurs in field f").
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

Matched terms are reported for both the same way (`matched_terms`): occurrences of the positive terms in
the branches that made the query true, as character offsets into the field's text. Multi-valued fields
(authors, entities, keywords, countries, source name and domain) are the values joined by newlines.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from schemas import ArticleEvent, MatchedTerm
from worker.query import DEFAULT_FIELDS, And, Node, Not, Or, Phrase, Query, Term, tokenize

# Order in which matched terms are listed (and fields are built).
FIELD_ORDER: tuple[str, ...] = (
    "title", "text", "author", "source", "lang", "entity", "person", "org", "place", "country", "keyword",
)  # fmt: skip
ENTITY_FIELDS: dict[str, str] = {"person": "person", "organization": "org", "place": "place"}
MAX_MATCHED_TERMS = 50  # per alert: enough to show why, bounded so one long article cannot bloat the stream

# Presence keys. A key is a field name (or "" for the default fields, title and text together), a
# separator saying exact word or prefix, and the folded word or prefix.
_TERM_SEP = "\x1f"
_PREFIX_SEP = "\x1e"
_DEFAULT_GROUP = ""


def term_key(group: str, word: str) -> str:
    return f"{group}{_TERM_SEP}{word}"


def prefix_key(group: str, prefix: str) -> str:
    return f"{group}{_PREFIX_SEP}{prefix}"


# --- the document -----------------------------------------------------------------------------------------


@dataclass(slots=True)
class FieldText:
    """One field of a document: its text and its folded words with offsets into that text."""

    text: str
    words: list[str]
    spans: list[tuple[int, int]]
    values: list[int]  # which value (author, entity …) each word belongs to; phrases never cross values
    where: dict[str, list[int]]  # folded word -> indices into `words`

    @classmethod
    def of(cls, values: Sequence[str]) -> FieldText:
        text = "\n".join(values)
        words: list[str] = []
        spans: list[tuple[int, int]] = []
        owner: list[int] = []
        offset = 0
        for vi, value in enumerate(values):
            for word, start, end in tokenize(value):
                words.append(word)
                spans.append((offset + start, offset + end))
                owner.append(vi)
            offset += len(value) + 1
        where: dict[str, list[int]] = {}
        for i, word in enumerate(words):
            where.setdefault(word, []).append(i)
        return cls(text=text, words=words, spans=spans, values=owner, where=where)

    def phrase_starts(self, phrase: Sequence[str]) -> list[int]:
        """Indices where `phrase` begins, its words consecutive within one value."""
        n = len(phrase)
        out = []
        for i in self.where.get(phrase[0], ()):
            j = i + n - 1
            if (
                j < len(self.words)
                and self.values[j] == self.values[i]
                and self.words[i : j + 1] == list(phrase)
            ):
                out.append(i)
        return out


@dataclass(slots=True)
class MatchDocument:
    """What the matcher knows of one article: its searchable fields and their presence keys."""

    fields: dict[str, FieldText]
    keys: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def of(cls, values: Mapping[str, Sequence[str]]) -> MatchDocument:
        """Build from raw field values (each field a list of values); unknown or missing fields are empty."""
        fields = {name: FieldText.of(list(values.get(name, ()))) for name in FIELD_ORDER}
        keys = {term_key(name, w) for name, ft in fields.items() for w in ft.where}
        keys.update(term_key(_DEFAULT_GROUP, w) for name in DEFAULT_FIELDS for w in fields[name].where)
        return cls(fields=fields, keys=frozenset(keys))

    def group_words(self, group: str) -> set[str]:
        """Distinct words of a key group: one field, or the default fields together."""
        names = DEFAULT_FIELDS if group == _DEFAULT_GROUP else (group,)
        out: set[str] = set()
        for name in names:
            out.update(self.fields[name].where)
        return out


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
            if any(w.startswith(leaf.word) for w in ft.where):
                return True
        elif leaf.word in ft.where:
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


def _occurrences(leaf: Term | Phrase, doc: MatchDocument) -> list[MatchedTerm]:
    out = []
    for name in _fields_of(leaf):
        ft = doc.fields[name]
        if isinstance(leaf, Phrase):
            label = " ".join(leaf.words)
            n = len(leaf.words)
            for i in ft.phrase_starts(leaf.words):
                out.append(
                    MatchedTerm(field=name, term=label, start=ft.spans[i][0], end=ft.spans[i + n - 1][1])
                )
        else:
            label = leaf.word + ("*" if leaf.prefix else "")
            if leaf.prefix:
                hits = sorted(i for w, idx in ft.where.items() if w.startswith(leaf.word) for i in idx)
            else:
                hits = ft.where.get(leaf.word, [])
            out.extend(
                MatchedTerm(field=name, term=label, start=ft.spans[i][0], end=ft.spans[i][1]) for i in hits
            )
    return out


def _witness(node: Node, doc: MatchDocument, out: list[MatchedTerm]) -> bool:
    """Evaluate `node`; when true, append the occurrences of the positive terms that made it true."""
    if isinstance(node, Term | Phrase):
        found = _occurrences(node, doc)
        out.extend(found)
        return bool(found)
    if isinstance(node, Not):
        return not evaluate(node.child, doc)
    if isinstance(node, And):
        mine: list[MatchedTerm] = []
        for c in node.children:
            if not _witness(c, doc, mine):
                return False
        out.extend(mine)
        return True
    truth = False
    for c in node.children:  # every true branch is part of why, so no short-circuit
        truth = _witness(c, doc, out) or truth
    return truth


def matched_terms(query: Query, doc: MatchDocument) -> list[MatchedTerm]:
    """Why `query` matched `doc`: term occurrences in field order, then by position, at most a bounded few."""
    found: list[MatchedTerm] = []
    _witness(query.root, doc, found)
    rank = {name: i for i, name in enumerate(FIELD_ORDER)}
    unique = {(m.field, m.start, m.end, m.term): m for m in found}
    return sorted(unique.values(), key=lambda m: (rank[m.field], m.start, m.end, m.term))[:MAX_MATCHED_TERMS]


@dataclass(frozen=True, slots=True)
class Match:
    """One subscription that an article satisfies, and the terms that made it fire."""

    subscription_id: str
    matched: list[MatchedTerm]


def brute_force(queries: Iterable[tuple[str, Query]], doc: MatchDocument) -> list[Match]:
    """Every query evaluated on `doc`, in the given order: the oracle the percolator must agree with."""
    return [Match(sid, matched_terms(q, doc)) for sid, q in queries if evaluate(q.root, doc)]


# --- the percolator ---------------------------------------------------------------------------------------

# Rough chance that a word is present in a news article, for picking the clause to index on. A wrong guess
# costs speed, never correctness. Common English (and a few other languages') words are near-certain.
_COMMON = frozenset(
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
    if word in _COMMON or len(word) <= 1:
        return 0.9
    return min(0.9, 0.6 / max(1, len(word) - 2))


def key_cost(key: str, word_presence: Mapping[str, float] | None = None) -> float:
    """Estimated chance an article has `key`: lower is a better key to index a query under."""
    if _TERM_SEP in key:
        group, word = key.split(_TERM_SEP, 1)
        p = word_presence.get(word) if word_presence is not None else None
        base = _word_presence(word) if p is None else p
    else:
        group, word = key.split(_PREFIX_SEP, 1)
        base = min(0.95, 3 * _word_presence(word))  # a prefix stands for several words
    if group in ("lang", "country"):
        return _FIELD_PRESENCE[group]
    return base * _FIELD_PRESENCE[group]


def _key_of(leaf: Node) -> str | None:
    """The presence key that is exactly equivalent to `leaf`, if there is one (terms and prefixes)."""
    if isinstance(leaf, Term):
        group = _DEFAULT_GROUP if leaf.field is None else leaf.field
        return prefix_key(group, leaf.word) if leaf.prefix else term_key(group, leaf.word)
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
    if isinstance(node, Phrase):
        group = _DEFAULT_GROUP if node.field is None else node.field
        return [(term_key(group, w),) for w in dict.fromkeys(node.words)]
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
        union.update(min(clauses, key=costs.clause))
    return [tuple(sorted(union))]


# Opcodes of the compiled residual tree (tuples are far smaller than closures at 100k subscriptions).
_KEY, _NOT_KEY, _PHRASE, _NOT_PHRASE, _AND, _OR = range(6)
Compiled = tuple  # (opcode, payload)


def _compile_residual(node: Node) -> Compiled:
    key = _key_of(node)
    if key is not None:
        return (_KEY, key)
    if isinstance(node, Phrase):
        return (_PHRASE, node)
    if isinstance(node, Not):
        inner = node.child
        key = _key_of(inner)
        return (_NOT_KEY, key) if key is not None else (_NOT_PHRASE, inner)
    op = _AND if isinstance(node, And) else _OR
    assert isinstance(node, And | Or)
    return (op, tuple(_compile_residual(c) for c in node.children))


def _run(code: Compiled, keys: frozenset[str] | set[str], doc: MatchDocument) -> bool:
    op, arg = code
    if op == _KEY:
        return arg in keys
    if op == _NOT_KEY:
        return arg not in keys
    if op == _AND:
        return all(_run(c, keys, doc) for c in arg)
    if op == _OR:
        return any(_run(c, keys, doc) for c in arg)
    truth = leaf_true(arg, doc)
    return truth if op == _PHRASE else not truth


@dataclass(frozen=True, slots=True)
class _Check:
    """What remains to verify for a candidate reached through its indexed clause."""

    clauses: tuple[Clause, ...]  # the other necessary clauses, cheapest (likeliest to fail) first
    forbidden: tuple[str, ...]  # keys that must be absent (top-level NOT term)
    residual: Compiled | None  # the part not captured by clauses and forbidden keys, evaluated exactly


def _plan(root: Node, costs: _Costs) -> tuple[list[Clause], _Check | None]:
    """Split a query into its necessary clauses and the exact check a candidate must pass.

    Returns (clauses, check). An empty clause list means the query can match without any known key
    present and must be checked on every article. A check of None means the clauses alone decide.
    """
    nnf = negation_normal_form(root)
    parts = nnf.children if isinstance(nnf, And) else (nnf,)
    clauses: list[Clause] = []
    forbidden: list[str] = []
    residual: list[Node] = []
    for part in parts:
        key = _key_of(part)
        if key is not None:
            clauses.append((key,))
        elif isinstance(part, Not) and _key_of(part.child) is not None:
            forbidden.append(_key_of(part.child))  # type: ignore[arg-type]
        elif isinstance(part, Or) and all(_key_of(c) is not None for c in part.children):
            clauses.append(tuple(sorted({_key_of(c) for c in part.children})))  # type: ignore[type-var]
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
    if not rest and not forbidden and code is None:
        return minimal, None
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
    """Many subscriptions compiled once; `match` returns what `brute_force` would, much faster."""

    def __init__(
        self, queries: Iterable[tuple[str, Query]], word_presence: Mapping[str, float] | None = None
    ) -> None:
        """Compile `queries` ((subscription id, parsed query) pairs; ids unique).

        `word_presence` optionally maps folded words to the share of articles containing them, to pick
        better index keys than the built-in guess.
        """
        costs = _Costs(word_presence)
        self.ids: list[str] = []
        self.queries: list[Query] = []
        self._checks: list[_Check | None] = []
        self._always: list[int] = []
        postings: dict[str, list[int]] = {}
        prefix_lengths: dict[str, set[int]] = {}
        self._multi_key = False  # whether a query can be reached through two keys of one article
        for qi, (sid, query) in enumerate(queries):
            self.ids.append(sid)
            self.queries.append(query)
            clauses, check = _plan(query.root, costs)
            self._checks.append(check)
            for leaf in query.leaves():
                if isinstance(leaf, Term) and leaf.prefix:
                    group = _DEFAULT_GROUP if leaf.field is None else leaf.field
                    prefix_lengths.setdefault(group, set()).add(len(leaf.word))
            if not clauses:
                self._always.append(qi)
                continue
            primary = clauses[0]
            self._multi_key |= len(primary) > 1
            for k in primary:
                postings.setdefault(k, []).append(qi)
        self._index: dict[str, tuple[int, ...]] = {k: tuple(v) for k, v in postings.items()}
        self._prefix_lengths = {g: sorted(ls) for g, ls in prefix_lengths.items()}
        self.stats = PercolateStats(subscriptions=len(self.ids))

    def __len__(self) -> int:
        return len(self.ids)

    def _keys(self, doc: MatchDocument) -> frozenset[str] | set[str]:
        """The document's presence keys plus the prefix keys this percolator's wildcards look for."""
        if not self._prefix_lengths:
            return doc.keys
        keys = set(doc.keys)
        for group, lengths in self._prefix_lengths.items():
            for word in doc.group_words(group):
                for n in lengths:
                    if len(word) < n:
                        break
                    keys.add(prefix_key(group, word[:n]))
        return keys

    def match_ids(self, doc: MatchDocument) -> list[int]:
        """Indices (in compile order) of the subscriptions `doc` satisfies."""
        keys = self._keys(doc)
        index = self._index
        found: list[int] = []
        for k in keys:
            posting = index.get(k)
            if posting is not None:
                found.extend(posting)
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
            if _passes(check, keys, doc):
                hits.append(qi)
        for qi in self._always:
            check = checks[qi]
            assert check is not None
            if _passes(check, keys, doc):
                hits.append(qi)
        hits.sort()
        self.stats = PercolateStats(
            subscriptions=len(self.ids),
            candidates=len(found) + len(self._always),
            evaluated=evaluated + len(self._always),
            matched=len(hits),
        )
        return hits

    def match(self, doc: MatchDocument) -> list[Match]:
        """The subscriptions `doc` satisfies, in compile order, each with its matched terms."""
        return [Match(self.ids[qi], matched_terms(self.queries[qi], doc)) for qi in self.match_ids(doc)]
