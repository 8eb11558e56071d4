"""Entity quality on GUM news: precision, recall and F1 per type, plus milliseconds per article.

Gold (from the 24 ``GUM_news_*`` documents of ``corpus/text/gum-wikinews``): every mention of a person,
organisation or place whose syntactic head is a proper noun, linked to Wikipedia or not, cut to the name —
the run of capitalised words and name connectors around the head ("University of Texas"), without a leading
"the", a trailing possessive, or (for people) the titles before the name ("U.S. President Donald Trump's" →
"Donald Trump"). GUM marks nested mentions, so "Texas" inside "University of Texas" is gold too.

Scored twice: exact spans (same characters, same type) and per-document unique names (same string, same type).

    python -m bench.entities_eval [--backend rules|spacy:en_core_web_sm] [--show-errors DOC]
"""

from __future__ import annotations

import argparse
import gzip
import os
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

TYPES = ("person", "organization", "place")
# Titles cut from the front of gold person names; written here, apart from the extractor's own list.
GOLD_TITLES = frozenset(
    [
        "President",
        "Vice",
        "Prime",
        "Minister",
        "Secretary",
        "Senator",
        "Sen.",
        "Governor",
        "Gov.",
        "Mayor",
        "King",
        "Queen",
        "Prince",
        "Princess",
        "Pope",
        "General",
        "Gen.",
        "Colonel",
        "Captain",
        "Lieutenant",
        "Judge",
        "Justice",
        "Chief",
        "Chairman",
        "Director",
        "Commissioner",
        "Ambassador",
        "Officer",
        "Detective",
        "Dr.",
        "Dr",
        "Mr.",
        "Mr",
        "Mrs.",
        "Mrs",
        "Ms.",
        "Ms",
        "Professor",
        "Prof.",
        "Sir",
        "Lord",
        "Lady",
        "Rev.",
        "Reverend",
        "Bishop",
        "Archbishop",
        "Cardinal",
        "Coach",
        "Speaker",
        "Chancellor",
        "Premier",
        "Sheikh",
        "Emperor",
        "Leader",
        "Representative",
        "Rep.",
        "Congressman",
        "Congresswoman",
        "Attorney",
        "Deputy",
        "Foreign",
        "Defense",
        "President-elect",
        "Spokesperson",
        "Spokesman",
        "Spokeswoman",
    ]
)
GOLD_TITLES_LOWER = frozenset(t.lower() for t in GOLD_TITLES)
PERSON_PARTICLES = frozenset({"de", "van", "von", "der", "da", "bin", "al"})
NAME_CONNECTORS = frozenset({"of", "the", "and", "&", "de", "for", "on", "van", "von", "der", "da", "bin", "al"})


def corpus_dir() -> Path:
    """The shared corpus: ``$WIREWATCH_CORPUS``, else ``<repo>/../shared/corpus``."""
    env = os.environ.get("WIREWATCH_CORPUS")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


@dataclass
class Token:
    text: str
    upos: str
    head: int  # 1-based index in its sentence, 0 for the root
    deprel: str = ""
    start: int = 0
    end: int = 0


@dataclass
class GoldMention:
    start: int
    end: int
    name: str
    type: str


@dataclass
class Document:
    name: str
    text: str
    mentions: list[GoldMention] = field(default_factory=list)


def _parse_entity_field(value: str) -> list[tuple[str, str, str]]:
    """``Entity=`` MISC value → [("open"|"close"|"single", id, type)] in order."""
    out: list[tuple[str, str, str]] = []
    i = 0
    while i < len(value):
        ch = value[i]
        if ch == "(":
            j = i + 1
            while j < len(value) and value[j] not in "()":
                j += 1
            label = value[i + 1 : j]
            eid, etype = label.split("-")[0], label.split("-")[1]
            if j < len(value) and value[j] == ")":
                out.append(("single", eid, etype))
                i = j + 1
            else:
                out.append(("open", eid, etype))
                i = j
        elif ch.isdigit():
            j = i
            while j < len(value) and value[j].isdigit():
                j += 1
            out.append(("close", value[i:j], ""))
            i = j + 1  # skip ")"
        else:
            i += 1
    return out


def _cut_to_name(
    tokens: list[Token], lo: int, hi: int, head: int, etype: str, nested: list[tuple[int, int]]
) -> tuple[int, int] | None:
    """Token range [a, b] of the name around ``head`` inside the mention [lo, hi], or None.

    ``nested`` are the other mentions inside this one; for a person, those before the head are modifiers
    ("U.S." in "U.S. President Donald Trump", "the United States" in "Ambassador to the United States X").
    """

    def nameish(k: int) -> bool:
        t = tokens[k]
        return t.upos == "PROPN" or (t.text[:1].isupper() and t.upos in {"ADJ", "NOUN", "VERB", "NUM", "X"})

    def joins(k: int, step: int, bound: int) -> bool:
        """Token k is a connector (or run of them) with a name-ish token beyond it, inside the mention."""
        if tokens[k].text == "-" and 0 < k < len(tokens) - 1:
            # "Lee Cheuk-yan": a hyphen written without spaces inside one name
            return tokens[k - 1].end == tokens[k].start and tokens[k].end == tokens[k + 1].start
        j = k
        if etype == "person" and tokens[k].text not in PERSON_PARTICLES:
            return False  # "Frederick Fung of ADPL": a person's name does not run on through "of"
        while (j <= bound if step > 0 else j >= bound) and tokens[j].text in NAME_CONNECTORS:
            j += step
        return j != k and (j <= bound if step > 0 else j >= bound) and nameish(j)

    if tokens[head].text.lower() in GOLD_TITLES_LOWER:
        return None  # "the President", "Secretary of State": a description, not a name
    floor = lo
    if etype == "person":
        for _, n_hi in nested:
            if n_hi < head:
                floor = max(floor, n_hi + 1)
    a = b = head
    while a - 1 >= floor and (nameish(a - 1) or joins(a - 1, -1, floor)):
        a -= 1
    while b + 1 <= hi and (
        nameish(b + 1) or joins(b + 1, 1, hi) or (b + 2 <= hi and tokens[b + 1].text in {"'s", "’s"} and nameish(b + 2))
    ):
        b += 1
    while a <= b and (tokens[a].text in NAME_CONNECTORS or tokens[a].text in {"The", "A"}):
        a += 1
    while a <= b and (tokens[b].text in NAME_CONNECTORS or tokens[b].upos in {"PART", "PUNCT"}):
        b -= 1
    if etype == "person":
        titles = [k for k in range(a, b + 1) if tokens[k].text.lower() in GOLD_TITLES_LOWER]
        if titles:
            a = titles[-1] + 1
    if a > b:
        return None
    return a, b


def load_documents(folder: Path) -> list[Document]:
    docs = []
    for path in sorted(folder.glob("GUM_news_*.conllu.gz")):
        docs.append(_load(path))
    return docs


def _load(path: Path) -> Document:
    text_parts: list[str] = []
    pos = 0
    mentions: list[GoldMention] = []
    sentence: list[Token] = []
    spans: list[tuple[int, int, str]] = []  # (first, last, type) token indices in sentence
    stack: list[tuple[str, str, int]] = []
    space_after_range: dict[int, bool] = {}
    new_par = False

    def flush() -> None:
        nonlocal sentence, spans
        seen: set[tuple[int, int, str]] = set()
        for lo, hi, etype in spans:
            if etype not in TYPES:
                continue
            inside = range(lo, hi + 1)
            heads = [k for k in inside if sentence[k].head - 1 not in inside]
            head = heads[0] if heads else lo
            if sentence[head].upos != "PROPN":
                # "Facebook creator Mark Zuckerberg": a common-noun head carrying a flat proper name.
                flat = [
                    k
                    for k in inside
                    if sentence[k].head - 1 == head and sentence[k].deprel == "flat" and sentence[k].upos == "PROPN"
                ]
                if not flat:
                    continue
                head = flat[0]
            nested = [(a, b) for a, b, _ in spans if lo <= a and b <= hi and (a, b) != (lo, hi)]
            cut = _cut_to_name(sentence, lo, hi, head, etype, nested)
            if cut is None:
                continue
            a, b = cut
            start, end = sentence[a].start, sentence[b].end
            key = (start, end, etype)
            if key not in seen:
                seen.add(key)
                mentions.append(GoldMention(start, end, "", etype))
        sentence, spans = [], []

    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\n")
            if line.startswith("# newpar"):
                new_par = True
                continue
            if line.startswith("#"):
                continue
            if not line:
                flush()
                continue
            cols = line.split("\t")
            if "-" in cols[0]:
                hi = cols[0].split("-")[1]
                space_after_range[int(hi)] = "SpaceAfter=No" not in cols[9]
                continue
            if "." in cols[0]:
                continue
            idx = int(cols[0])
            if idx == 1:
                if text_parts:
                    if new_par:
                        if text_parts[-1] == " ":
                            text_parts[-1] = "\n"
                        else:
                            text_parts.append("\n")
                            pos += 1
                    elif text_parts[-1] != " ":
                        text_parts.append(" ")
                        pos += 1
                new_par = False
            tok = Token(cols[1], cols[3], int(cols[6]) if cols[6].isdigit() else 0, cols[7])
            tok.start = pos
            text_parts.append(tok.text)
            pos += len(tok.text)
            tok.end = pos
            space = space_after_range.pop(idx, "SpaceAfter=No" not in cols[9])
            if space:
                text_parts.append(" ")
                pos += 1
            k = len(sentence)
            sentence.append(tok)
            for misc in cols[9].split("|"):
                if misc.startswith("Entity="):
                    for kind, eid, etype in _parse_entity_field(misc[len("Entity=") :]):
                        if kind == "single":
                            spans.append((k, k, etype))
                        elif kind == "open":
                            stack.append((eid, etype, k))
                        else:
                            for s in range(len(stack) - 1, -1, -1):
                                if stack[s][0] == eid:
                                    _, t, first = stack.pop(s)
                                    spans.append((first, k, t))
                                    break
    flush()
    text = "".join(text_parts)
    for m in mentions:
        m.name = text[m.start : m.end]
    return Document(path.name.split(".")[0], text, mentions)


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def evaluate(docs: list[Document], backend: str) -> dict[str, dict[str, tuple[float, float, float, int]]]:
    from worker import entities

    gold_spans: set[tuple[str, int, int, str]] = set()
    pred_spans: set[tuple[str, int, int, str]] = set()
    gold_names: set[tuple[str, str, str]] = set()
    pred_names: set[tuple[str, str, str]] = set()
    for doc in docs:
        for gm in doc.mentions:
            gold_spans.add((doc.name, gm.start, gm.end, gm.type))
            gold_names.add((doc.name, gm.name, gm.type))
        for m in entities.mentions_for(doc.text, "en", backend):
            if m.type in TYPES:
                pred_spans.add((doc.name, m.start, m.end, m.type))
                pred_names.add((doc.name, doc.text[m.start : m.end].replace("’", "'"), m.type))
    results: dict[str, dict[str, tuple[float, float, float, int]]] = {"spans": {}, "names": {}}
    for label, gold, pred in (("spans", gold_spans, pred_spans), ("names", gold_names, pred_names)):
        for etype in (*TYPES, "all"):
            g = {x for x in gold if etype in ("all", x[-1])}
            p = {x for x in pred if etype in ("all", x[-1])}
            tp = len(g & p)
            results[label][etype] = (*_prf(tp, len(p) - tp, len(g) - tp), len(g))
    return results


def time_per_article(docs: list[Document], backend: str, rounds: int = 5) -> float:
    from worker import entities

    for doc in docs:  # warm the word lists
        entities.extract_entities("", doc.text, "en", backend)
    per_round = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for doc in docs:
            entities.extract_entities("", doc.text, "en", backend)
        per_round.append((time.perf_counter() - t0) / len(docs) * 1000)
    return statistics.median(per_round)


def show_errors(docs: list[Document], name: str, backend: str) -> None:
    from worker import entities

    for doc in docs:
        if name not in doc.name:
            continue
        gold = {(g.start, g.end, g.type): g.name for g in doc.mentions}
        pred = {
            (m.start, m.end, m.type): doc.text[m.start : m.end]
            for m in entities.mentions_for(doc.text, "en", backend)
            if m.type in TYPES
        }
        for key in sorted(set(gold) | set(pred)):
            mark = "  " if key in gold and key in pred else ("FN" if key in gold else "FP")
            if mark != "  ":
                context = doc.text[max(0, key[0] - 30) : key[1] + 20].replace("\n", " ")
                print(mark, key[2], repr(gold.get(key) or pred.get(key)), "|", context)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="rules")
    parser.add_argument("--show-errors", metavar="DOC", help="list misses and false hits for matching docs")
    args = parser.parse_args()
    folder = corpus_dir() / "text" / "gum-wikinews" / "conllu"
    docs = load_documents(folder)
    if not docs:
        raise SystemExit(f"no GUM_news_* documents under {folder} (set WIREWATCH_CORPUS)")
    if args.show_errors:
        show_errors(docs, args.show_errors, args.backend)
        return
    results = evaluate(docs, args.backend)
    chars = statistics.median(len(d.text) for d in docs)
    print(f"GUM news: {len(docs)} documents, median {chars:.0f} characters, backend {args.backend}")
    for label, title in (("spans", "exact spans"), ("names", "per-document unique names")):
        print(f"\n{title}\n| type | precision | recall | F1 | gold |\n|---|---|---|---|---|")
        for etype, (p, r, f, n) in results[label].items():
            print(f"| {etype} | {p:.3f} | {r:.3f} | {f:.3f} | {n} |")
    print(f"\nextract_entities: {time_per_article(docs, args.backend):.2f} ms per article (median of 5 rounds)")


if __name__ == "__main__":
    main()
