"""Parsed fields of a chunk, by the compiled plan (fast) or by Lark (reference).

Both paths return the same *parsed fields* per accepted line: the text of every
field rule (escapes intact), the raw tokens of a key=value list (``pairs``) or
the decoded values of delimited columns (``values``). Differential tests compare
the two field by field; nothing format-specific happens here.

Fast path, over whole columns:

* head: the start rule's regex with a named group per field
  (``str.extract_groups``). With a ``marker`` the line is first cut at the
  marker's first occurrence and the prefix checked against its own terminal,
  which is cheaper than scanning the prefix with the full regex;
* pairs: :func:`~shadowlens.parsers.kvsplit.split_extension` on the tail;
* values: split on the separator where no quote or separator run can occur,
  else the value terminal's regex, accepted only when the values tile the tail.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
from lark import Token, Tree

from shadowlens.parsers.kvsplit import split_extension
from shadowlens.spec.plan import ColumnsPlan, Plan

_STRINGS = pl.List(pl.String())


def fields_schema(plan: Plan) -> dict[str, pl.DataType]:
    """The parsed-field columns both paths return (besides ``_row``)."""
    schema: dict[str, pl.DataType] = dict.fromkeys(plan.fields, pl.String())
    if plan.pairs is not None:
        schema["pairs"] = _STRINGS
    if plan.columns is not None:
        schema["values"] = _STRINGS
    return schema


# -- fast path ---------------------------------------------------------------------------


def fast_fields(plan: Plan, lines: pl.DataFrame) -> pl.DataFrame:
    """Parsed fields (``_row`` + :func:`fields_schema`) of the lines the plan accepts.

    ``lines`` has ``_row`` (UInt32) and ``line``; rows absent from the result go to
    the Lark reference.
    """
    schema = pl.Schema({"_row": pl.UInt32(), **fields_schema(plan)})
    if lines.height == 0:
        return pl.DataFrame(schema=schema)
    if plan.trim:
        lines = lines.with_columns(pl.col("line").str.strip_chars(plan.trim))
    head = plan.head
    if head.marker is not None:
        frame = _cut_at_marker(plan, lines)
    else:
        frame = (
            lines.select("_row", "line", pl.col("line").str.extract_groups(head.regex).alias("_m"))
            .unnest("_m")
            .filter(pl.col("_head").is_not_null())
            .rename({"line": "_text"})
            .with_columns(pl.col("_head").str.len_bytes().alias("_head_len"))
        )
    if plan.pairs is not None:
        frame = split_extension(
            frame, plan.pairs.token_regex, text="_text", head="_head", head_len="_head_len"
        )
    elif plan.columns is not None:
        frame = _split_values(frame, plan.columns)
    return frame.select(list(schema)).cast(schema)


def _cut_at_marker(plan: Plan, lines: pl.DataFrame) -> pl.DataFrame:
    """Head fields after cutting each line at the first marker (see :class:`HeadPlan`)."""
    head = plan.head
    assert head.marker is not None
    assert head.after_marker is not None
    assert head.prefix_regex is not None
    parts = lines.select("_row", pl.col("line").str.splitn(head.marker, 2).alias("_p")).unnest("_p")
    parsed = parts.with_columns(
        pl.col("field_1").str.extract_groups(head.after_marker).alias("_m")
    ).unnest("_m")
    before = pl.col("field_0")
    return parsed.filter(
        pl.col("_head").is_not_null() & ((before == "") | before.str.contains(head.prefix_regex))
    ).select(
        pl.exclude("field_0", "field_1"),
        pl.when(before != "").then(before).alias(head.prefix_field or "_prefix"),
        pl.col("field_1").alias("_text"),
        pl.col("_head").str.len_bytes().alias("_head_len"),
    )


def _split_values(frame: pl.DataFrame, columns: ColumnsPlan) -> pl.DataFrame:
    """``values`` of the tail: plain split where safe, else the value terminal's regex."""
    tail = pl.col("_text").str.slice(pl.col("_head_len"))
    frame = frame.with_columns(tail.str.strip_chars(" \t").alias("_b"))
    b = pl.col("_b")
    quote = columns.quote or "\x00"
    plain = ~(
        b.str.contains(quote, literal=True)
        | b.str.contains("\t", literal=True)
        | b.str.contains("  ", literal=True)
    ) & (b.str.len_bytes() > 0)
    split = frame.filter(plain).with_columns(b.str.split(" ").alias("values"))
    tokens = frame.filter(~plain).with_columns(
        b.str.extract_all(columns.token_regex).alias("values"), b.str.len_bytes().alias("_len")
    )
    covered = pl.col("values").list.eval(pl.element().str.len_bytes()).list.sum()
    tokens = tokens.filter((pl.col("_len") > 0) & (covered == pl.col("_len")))
    decoded = tokens.with_columns(decode_values(tokens["values"], columns.quote).alias("values"))
    return pl.concat([split, decoded.drop("_len")], how="vertical")


def decode_value(token: str, quote: str | None) -> str:
    """A value token without its separator, unquoted (a doubled quote inside -> one).

    Examples
    --------
    >>> decode_value('"say ""hi"" now"  ', '"')
    'say "hi" now'
    >>> decode_value('a"b  ', '"')
    'a"b'
    """
    text = token.rstrip(" \t")
    if quote and text.startswith(quote):
        return text[1:-1].replace(quote * 2, quote)
    return text


def decode_values(values: pl.Series, quote: str | None) -> pl.Series:
    """:func:`decode_value` over a list column, on the flat values in one pass."""
    flat = values.explode(empty_as_null=False).str.strip_chars_end(" \t")
    if quote:
        quoted = flat.str.starts_with(quote)
        inner = flat.filter(quoted).str.strip_prefix(quote).str.strip_suffix(quote)
        flat = flat.scatter(
            quoted.arg_true(), inner.str.replace_all(quote * 2, quote, literal=True)
        )
    lengths = values.list.len().to_numpy().astype(np.int64)
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    flat_values = flat.to_arrow()
    if isinstance(flat_values, pa.ChunkedArray):
        flat_values = flat_values.combine_chunks()
    array = pa.LargeListArray.from_arrays(pa.array(offsets), flat_values)
    return pl.Series(values.name, array)


# -- reference path ---------------------------------------------------------------------


def tree_fields(plan: Plan, tree: Tree[Any]) -> dict[str, Any]:
    """The same parsed fields from a Lark tree (built with ``keep_all_tokens``)."""
    wanted = set(plan.fields)
    found: dict[str, Any] = dict.fromkeys(plan.fields)
    block = plan.pairs or plan.columns
    tokens: list[str] | None = None
    for sub in tree.iter_subtrees_topdown():  # type: ignore[no-untyped-call]
        name = str(sub.data)
        if name in wanted and found[name] is None:
            found[name] = "".join(
                str(tok) for tok in sub.scan_values(lambda v: isinstance(v, Token))
            )
        if block is not None and tokens is None and name == block.rule:
            tokens = [
                str(t)
                for t in sub.scan_values(lambda v: isinstance(v, Token))
                if t.type == block.token
            ]
    if plan.pairs is not None:
        found["pairs"] = tokens or []
    if plan.columns is not None:
        found["values"] = [decode_value(t, plan.columns.quote) for t in tokens or []]
    return found
