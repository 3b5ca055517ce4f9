"""Lark tree helpers for formats written in Python (:class:`~shadowlens.GrammarFormat`).

Spec-defined formats need none of this (:mod:`shadowlens.parsers.extract` reads
their trees); a Python format's ``tree_fields`` can use these to return the same
*parsed fields* as its fast path.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from lark import Token, Tree


def tree_fields(tree: Tree[Any], names: Collection[str]) -> dict[str, Any]:
    """Text of every sub-rule named in ``names`` (first occurrence), None when absent.

    Examples
    --------
    >>> from lark import Lark
    >>> p = Lark('start: a "," b?\\na: /[a-z]+/\\nb: /[0-9]+/', parser="lalr")
    >>> tree_fields(p.parse("x,"), ("a", "b"))
    {'a': 'x', 'b': None}
    """
    found: dict[str, Any] = dict.fromkeys(names)
    for sub in tree.iter_subtrees_topdown():  # type: ignore[no-untyped-call]
        name = str(sub.data)
        if name in found and found[name] is None:
            found[name] = "".join(
                str(tok) for tok in sub.scan_values(lambda v: isinstance(v, Token))
            )
    return found


def tokens_of(tree: Tree[Any], rule: str, terminal: str) -> list[str]:
    """All ``terminal`` tokens inside the first ``rule`` sub-tree, in order."""
    for sub in tree.iter_subtrees_topdown():  # type: ignore[no-untyped-call]
        if sub.data == rule:
            return [str(t) for t in sub.children if isinstance(t, Token) and t.type == terminal]
    return []
