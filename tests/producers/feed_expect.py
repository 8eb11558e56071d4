"""Reading feedparser's test files: their ``Header:`` lines and the simple facts in their ``Expect:`` lines.

``Expect:`` is a Python expression written for feedparser's own harness. It is read here as data: parsed
with `ast`, and only comparisons of ``entries[0]['title'|'link'|'id'|'guid']`` with a literal are taken,
the literal read by `ast.literal_eval`. Nothing of it is ever evaluated.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

_HEADER = re.compile(r"^Header:\s*([^:]+):\s*(.*?)\s*$", re.M)
_EXPECT = re.compile(r"^Expect:\s*(.*?)\s*(?:-->)?\s*$", re.M)
_JSON_TEST = re.compile(r"Expect:\s*(.*?)\s*-->")
FIELDS = {"title", "link", "id", "guid"}


def headers_of(path: Path, head: str) -> dict[str, str]:
    return {name.strip(): value for name, value in _HEADER.findall(head)}


def expect_of(path: Path, head: str) -> str | None:
    match = _JSON_TEST.search(head) if path.suffix == ".json" else _EXPECT.search(head)
    return match.group(1) if match else None


def _entry0_field(node: ast.expr) -> str | None:
    """``entries[0]['x']`` → ``x``."""
    if not isinstance(node, ast.Subscript) or not isinstance(node.slice, ast.Constant):
        return None
    inner = node.value
    if (
        isinstance(inner, ast.Subscript)
        and isinstance(inner.value, ast.Name)
        and inner.value.id == "entries"
        and isinstance(inner.slice, ast.Constant)
        and inner.slice.value == 0
        and isinstance(node.slice.value, str)
    ):
        return node.slice.value
    return None


def entry_facts(expect: str) -> dict[str, str]:
    """The ``entries[0][field] == 'literal'`` facts of one Expect expression."""
    try:
        tree = ast.parse(expect, mode="eval")
    except SyntaxError:
        return {}
    body = tree.body
    conds = body.values if isinstance(body, ast.BoolOp) and isinstance(body.op, ast.And) else [body]
    facts: dict[str, str] = {}
    for cond in conds:
        if not (isinstance(cond, ast.Compare) and len(cond.ops) == 1 and isinstance(cond.ops[0], ast.Eq)):
            continue
        name = _entry0_field(cond.left)
        if name not in FIELDS:
            continue
        try:
            value = ast.literal_eval(cond.comparators[0])
        except ValueError:
            continue
        if isinstance(value, str):
            facts[name] = value
    return facts
