"""Parsed fields -> *raw fields*: the named text values the field table reads.

* :func:`raw_fields`: key=value pairs named by the table are picked into columns
  (:func:`~shadowlens.parsers.kvpick.pick_pairs`; the others stay as extras in
  line order), escapes are undone and the transport prefix is split into
  ``syslog_*`` fields (:func:`split_prefix`); rows a pairs block cannot read get
  an error (an undecodable delimiter, text before the first pair);
* :func:`named_columns`: delimited values named by their layout, plus the layout's
  facts (``#date``, ``#software``, ``#fields``);
* :func:`derive_function`: a format module's function named by ``derive``.

The field table itself runs in :mod:`shadowlens.parsers.table`. Nothing but a
pairs block's error is quarantined: a well-formed line always becomes a record.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl

from shadowlens.parsers import normalize as nz
from shadowlens.parsers.kvpick import pick_pairs
from shadowlens.spec.plan import LayoutPlan, Plan

_STRINGS = pl.List(pl.String())
_MAX_U64 = 2**64 - 1


def raw_fields(plan: Plan, fields: pl.DataFrame, *, max_templates: int = 4) -> pl.DataFrame:
    """``_row``, every raw field of :meth:`Plan.raw_fields` and ``extras_keys``/``extras_values``.

    ``fields`` holds the parsed fields of both paths
    (:func:`~shadowlens.parsers.extract.fields_schema`). Rows a pairs block cannot
    read get ``_error``/``_error_message`` (an undecodable delimiter, text before
    the first pair).
    """
    frame = fields
    errors = _block_errors(plan, frame)
    if plan.pairs:
        keys = [k for k in plan.picked if k not in plan.fields]
        first = plan.pairs[0]
        if len(plan.pairs) == 1:
            strip, escapes, quote = first.strip, first.escapes, first.quote
        else:
            frame = frame.with_columns(_normalized_pairs(plan, frame))
            strip, escapes, quote = "", {}, None
        picked = pick_pairs(
            frame,
            "pairs",
            keys,
            separator=first.separator,
            strip=strip,
            unescape=escapes,
            quote=quote,
            max_templates=max_templates,
        )
        frame = pl.concat([frame.drop("pairs"), picked], how="horizontal")
    else:
        empty = pl.repeat([], frame.height, dtype=_STRINGS, eager=True)
        frame = frame.with_columns(empty.alias("extras_keys"), empty.alias("extras_values"))
    if plan.escapes:
        scalar = [f for f in plan.fields if not (plan.prefix and f == plan.prefix.field)]
        frame = frame.with_columns(_unescape(frame.get_column(f), plan.escapes) for f in scalar)
    if plan.prefix is not None:
        frame = split_prefix(frame, plan.prefix.field, plan.prefix.regex, plan.prefix.fields)
    if errors is not None:
        frame = frame.with_columns(errors)
    return frame


def choose_layouts(
    plan: Plan, fields: pl.DataFrame
) -> list[tuple[LayoutPlan | None, pl.DataFrame]]:
    """Rows grouped by the first layout whose tests their values pass (None: no layout).

    A test reads the value at the position of its name in that layout; null
    tokens and empty values are null. Each distinct value is tested once.
    """
    from shadowlens.parsers.table import condition_hits

    assert plan.columns is not None
    values = fields.get_column("values")
    chosen = np.full(fields.height, -1, dtype=np.int64)
    nulls = pl.Series([*plan.null, ""], dtype=pl.String())
    for index, layout in enumerate(plan.columns.layouts):
        ok = chosen < 0
        for cond in layout.when:
            position = layout.names.index(cond.field)
            at = values.list.get(position, null_on_oob=True)
            at = at.set(at.is_in(nulls.implode()).fill_null(False), None)
            ok &= condition_hits(at, cond)
        chosen[ok] = index
    groups: list[tuple[LayoutPlan | None, pl.DataFrame]] = []
    for index in np.unique(chosen).tolist():
        rows = fields.filter(pl.Series(chosen == index))
        groups.append((plan.columns.layouts[index] if index >= 0 else None, rows))
    return groups


def _normalized_pairs(plan: Plan, frame: pl.DataFrame) -> pl.Expr:
    """Pairs of every block stripped and unescaped by its own rules (several blocks).

    A block whose separator differs from the first block's has its separator (the
    first occurrence) replaced by the first block's, which the pick splits at.
    """
    lists = pl.col("pairs")
    blocks = set(frame.get_column("_block").unique().drop_nulls().to_list())
    first = plan.pairs[0].separator
    for index, block in enumerate(plan.pairs):
        own = block.separator != first  # picked with the first block's separator
        if (not block.strip and not block.escapes and not block.quote and not own) or (
            index not in blocks
        ):
            continue
        item = pl.element()
        if block.strip:
            item = item.str.strip_chars_end(block.strip)
        if block.quote:  # the value part of `key<sep>"value"`
            sep, q = re.escape(block.separator), re.escape(block.quote)
            item = item.str.replace(f"^(.*?{sep}){q}(.*){q}$", "${1}${2}")
        if own:  # `key:value` -> `key=value`: the key ends at the block's own separator
            item = item.str.replace(block.separator, first, literal=True)
        if block.escapes:
            item = item.str.replace_many(list(block.escapes), list(block.escapes.values()))
        lists = pl.when(pl.col("_block") == index).then(lists.list.eval(item)).otherwise(lists)
    return lists.alias("pairs")


def _block_errors(plan: Plan, frame: pl.DataFrame) -> list[pl.Series] | None:
    """``_error``/``_error_message`` of rows a delimited block cannot read."""
    if "junk" not in frame.columns and not any(b.delimiter_field for b in plan.pairs):
        return None
    from shadowlens.errors import ErrorCode
    from shadowlens.parsers.delimited import decode

    checks: list[tuple[pl.Expr, pl.Expr, str]] = []
    for block in plan.pairs:
        field = block.delimiter_field
        if field is None:
            continue
        values = frame.get_column(field).unique().drop_nulls().to_list()
        bad = [v for v in values if v and decode(v, block) is None]
        if bad:
            checks.append(
                (
                    pl.col(field).is_in(bad),
                    pl.format(
                        "cannot decode the delimiter field '{}' (expected one character, or "
                        "x/0x and 1-4 hex digits)",
                        pl.col(field),
                    ),
                    ErrorCode.BAD_DELIMITER.value,
                )
            )
    if "junk" in frame.columns:
        checks.append(
            (
                pl.col("junk").is_not_null(),
                pl.format(
                    "text before the first key=value pair: '{}'", pl.col("junk").str.head(80)
                ),
                ErrorCode.SYNTAX.value,
            )
        )
    if not checks:
        return None
    code: Any = pl.lit(None, pl.String())
    message: Any = pl.lit(None, pl.String())
    for test, text, error in reversed(checks):
        code = pl.when(test).then(pl.lit(error)).otherwise(code)
        message = pl.when(test).then(text).otherwise(message)
    out = frame.select(code.alias("_error"), message.alias("_error_message"))
    if out.get_column("_error").null_count() == out.height:
        return None
    return out.get_columns()


def split_prefix(
    frame: pl.DataFrame, column: str, regex: str, names: Sequence[str]
) -> pl.DataFrame:
    """The syslog fields of a prefix column; text ``common.syslog`` leaves is ``syslog_rest``."""
    *parts, rest_name = names
    if frame.get_column(column).null_count() == frame.height:
        return frame.with_columns(pl.lit(None, pl.String()).alias(f) for f in names)
    prefix = frame.get_column(column).to_frame("_prefix")
    split = prefix.select(pl.col("_prefix").str.extract_groups(regex)).unnest("_prefix")
    rest = pl.col("_prefix").str.slice(pl.col("_sys").str.len_chars()).str.strip_chars(" ")
    split = pl.concat([prefix, split], how="horizontal").select(
        *(nz.null_if_dash(pl.col(f)).alias(f) for f in parts),
        pl.when(rest != "").then(rest).alias(rest_name),
    )
    return pl.concat([frame, split], how="horizontal")


def _unescape(values: pl.Series, table: Mapping[str, str]) -> pl.Series:
    # Skipping the pass is only safe when every escape starts with a backslash.
    if all(k.startswith("\\") for k in table) and not values.str.contains("\\", literal=True).any():
        return values
    return values.str.replace_many(list(table), list(table.values()))


def named_columns(
    plan: Plan,
    fields: pl.DataFrame,
    names: Sequence[str],
    facts: Mapping[str, str | None],
    required: int | None = None,
    layout: str | None = None,
) -> pl.DataFrame:
    """Delimited ``values`` named by a layout, plus layout ``facts`` (``#date``...).

    Values past the layout go to extras as ``extra_column_<n>`` (or, with
    ``extra = "quarantine"``, make the row an error); fewer values than
    ``required`` (default: every name) always do (``field_count``); the names
    past the values are null.
    """
    from shadowlens.errors import ErrorCode

    assert plan.columns is not None
    width = len(names)
    values = pl.col("values")
    frame = fields.with_columns(
        values.list.len().alias("_n"),
        *(values.list.get(i, null_on_oob=True).alias(n) for i, n in enumerate(names)),
        *(pl.lit(v, pl.String()).alias(k) for k, v in facts.items()),
    )
    empty = pl.lit([], _STRINGS)
    frame = frame.with_columns(empty.alias("extras_keys"), empty.alias("extras_values"))
    if (frame.get_column("_n") > width).any():
        trailing = (
            frame.filter(pl.col("_n") > width)
            .select(
                "_row",
                values.list.slice(width).alias("value"),
                pl.int_ranges(width + 1, pl.col("_n") + 1).alias("_pos"),
            )
            .explode("value", "_pos")
            .filter(~pl.col("value").is_in([*plan.null, ""]))
            .group_by("_row", maintain_order=True)
            .agg(
                pl.format("extra_column_{}", pl.col("_pos")).alias("_k"),
                pl.col("value").alias("_v"),
            )
        )
        frame = (
            frame.join(trailing, on="_row", how="left", maintain_order="left")
            .with_columns(
                pl.col("_k").fill_null(empty).alias("extras_keys"),
                pl.col("_v").fill_null(empty).alias("extras_values"),
            )
            .drop("_k", "_v")
        )
    strict = plan.columns.extra == "quarantine"
    least = width if required is None else required
    bad = pl.col("_n") < least
    if strict:
        bad = bad | (pl.col("_n") > width)
    if plan.columns.directive:
        says = f"the #{plan.columns.directive.layout_name} directive lists {width}"
    elif least < width:
        says = f"the layout {layout or ''} needs {least} to {width}".replace("  ", " ")
    else:
        says = f"the layout {layout or ''} names {width}".replace("  ", " ")
    message = pl.format("the entry has {} values but {}", pl.col("_n"), pl.lit(says))
    return frame.with_columns(
        pl.when(bad).then(pl.lit(ErrorCode.FIELD_COUNT.value)).alias("_error"),
        pl.when(bad).then(message).alias("_error_message"),
    ).drop("values", "_n")


def derive_function(module: str, name: str) -> Any:
    """Function ``name`` of a format's own module (``[format] module``)."""
    import importlib

    from shadowlens.errors import SpecError

    try:
        function = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        msg = f"derive = {name!r}: no such function in module {module!r} ({exc})"
        raise SpecError(msg, path=module) from exc
    return function
