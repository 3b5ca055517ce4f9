"""Helpers shared by grammar formats to produce and consume *parsed fields*.

Parsed fields are what both the fast path and the Lark reference return: raw
text per grammar field (escapes intact) and, for key=value bodies, the list of
raw pair tokens. Keeping the two paths' output identical at this level is what
the differential tests check.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

import polars as pl
from lark import Token, Tree

EXTRAS_DTYPE = pl.List(pl.Struct({"key": pl.String(), "value": pl.String()}))


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


def explode_pairs(
    fields: pl.DataFrame, column: str, key_pattern: str, *, separator: str = "="
) -> pl.DataFrame:
    """Long form ``(_row, _pos, key, value)`` of a list of raw ``key=value`` tokens.

    The value is the text after the first ``separator`` with trailing spaces cut
    (values are not unescaped here).
    """
    long = (
        fields.select("_row", column)
        .with_columns(pl.int_ranges(pl.col(column).list.len()).alias("_pos"))
        .explode(column, "_pos")
        .drop_nulls(column)
    )
    key = pl.col(column).str.extract(f"^({key_pattern}){separator}", 1)
    return long.select(
        "_row",
        "_pos",
        key.alias("key"),
        pl.col(column)
        .str.slice(key.str.len_chars() + len(separator))
        .str.strip_chars_end(" ")
        .alias("value"),
    )


def pick_keys(long: pl.DataFrame, keys: Sequence[str]) -> pl.DataFrame:
    """Wide frame ``_row`` + one column per key (the last value if a key repeats)."""
    wanted = long.filter(pl.col("key").is_in(list(keys)))
    if wanted.height == 0:
        return pl.DataFrame(schema={"_row": pl.UInt32(), **dict.fromkeys(keys, pl.String())})
    wide = wanted.pivot(on="key", index="_row", values="value", aggregate_function="last")
    missing = [k for k in keys if k not in wide.columns]
    return wide.with_columns(pl.lit(None, pl.String()).alias(k) for k in missing)


def extras_of(
    long: pl.DataFrame, mapped: Collection[str], unescape: Mapping[str, str] | None
) -> pl.DataFrame:
    """``_row`` + ``extras`` (list of ``{key, value}``) for keys not in ``mapped``, in line order."""
    value = pl.col("value")
    if unescape:
        value = value.str.replace_many(list(unescape), list(unescape.values()))
    return (
        long.filter(~pl.col("key").is_in(list(mapped)))
        .sort("_row", "_pos")
        .group_by("_row", maintain_order=True)
        .agg(pl.struct(pl.col("key"), value.alias("value")).alias("extras"))
    )


def untyped_extras(checks: Mapping[str, tuple[pl.Expr, pl.Expr]]) -> pl.Expr:
    """Extras entries for values that failed typing: ``{key: (raw, typed)}`` -> list of structs.

    A raw value that is present (not null, not empty) but typed to null is kept,
    so ``spt=70000`` leaves ``src_port`` null and ``spt`` in ``extras``.
    """
    items = [
        pl.when(raw.is_not_null() & (raw != "") & typed.is_null()).then(
            pl.struct(pl.lit(key).alias("key"), raw.alias("value"))
        )
        for key, (raw, typed) in checks.items()
    ]
    if not items:
        return pl.lit([]).cast(EXTRAS_DTYPE)
    return pl.concat_list(items).list.drop_nulls().cast(EXTRAS_DTYPE)
