"""Parsed fields -> canonical columns and ``extras``: the one mapping every spec format uses.

Steps, each over whole columns (:func:`map_records`):

1. **raw fields**: key=value pairs named by the table are picked into columns
   (:func:`~shadowlens.parsers.kvpick.pick_pairs`; the others stay as extras in
   line order), delimited values are named by their layout, escapes are undone
   and the transport prefix is split into ``syslog_*`` fields;
2. **columns**: for every column of the table, its candidates are tried in order
   on the rows still without a value (and matching the candidate's conditions);
   the first typed, non-null value wins (:mod:`shadowlens.parsers.coerce`);
3. **derived**: ``bytes_total`` (up + down, never wrapping past 2^64 - 1, else the
   table's own ``bytes_total``), ``tz_assumed``, canonical case;
4. **extras**: every parsed field that no column consumed on that row and that
   is not a null token: unmapped fields, values that failed typing, candidates
   that lost to an earlier one, and fields marked ``keep``.

Nothing is quarantined here: a well-formed line always becomes a record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl

from shadowlens.contract import ParseOptions
from shadowlens.parsers import normalize as nz
from shadowlens.parsers.coerce import coerce, time_between
from shadowlens.parsers.kvpick import Part, concat_lists, pick_pairs
from shadowlens.spec.columns import LOWER_COLUMNS, UPPER_COLUMNS
from shadowlens.spec.model import Condition
from shadowlens.spec.plan import Candidate, ColumnPlan, Plan

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
            strip, escapes = first.strip, first.escapes
        else:
            frame = frame.with_columns(_normalized_pairs(plan, frame))
            strip, escapes = "", {}
        picked = pick_pairs(
            frame,
            "pairs",
            keys,
            separator=first.separator,
            strip=strip,
            unescape=escapes,
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


def _normalized_pairs(plan: Plan, frame: pl.DataFrame) -> pl.Expr:
    """Pairs of every block stripped and unescaped by its own rules (several blocks)."""
    lists = pl.col("pairs")
    blocks = set(frame.get_column("_block").unique().drop_nulls().to_list())
    for index, block in enumerate(plan.pairs):
        if (not block.strip and not block.escapes) or index not in blocks:
            continue
        item = pl.element().str.strip_chars_end(block.strip or None)
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
    if not values.str.contains("\\", literal=True).any():
        return values
    return values.str.replace_many(list(table), list(table.values()))


def named_columns(
    plan: Plan, fields: pl.DataFrame, names: Sequence[str], facts: Mapping[str, str | None]
) -> pl.DataFrame:
    """Delimited ``values`` named by a layout, plus layout ``facts`` (``#date``...).

    Values past the layout go to extras as ``extra_column_<n>`` (or, with
    ``extra = "quarantine"``, make the row an error); fewer values than names
    always do (``field_count``).
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
    bad = (pl.col("_n") != width) if strict else (pl.col("_n") < width)
    message = pl.format(
        "the entry has {} values but the #{} directive lists {}",
        pl.col("_n"),
        pl.lit(plan.columns.directive.layout_name if plan.columns.directive else "layout"),
        pl.lit(width),
    )
    return frame.with_columns(
        pl.when(bad).then(pl.lit(ErrorCode.FIELD_COUNT.value)).alias("_error"),
        pl.when(bad).then(message).alias("_error_message"),
    ).drop("values", "_n")


class _Row:
    """Bookkeeping of one chunk: which rows consumed which fields."""

    def __init__(
        self, plan: Plan, frame: pl.DataFrame, aliases: Mapping[str, str] | None = None
    ) -> None:
        self.plan = plan
        self.frame = frame
        self.height = frame.height
        self.aliases = aliases or {}
        nulls = [*plan.null, ""]
        self.nulls = nulls
        self.consumed: dict[str, np.ndarray[Any, Any]] = {}
        self.referenced = {
            self.resolve(name)
            for column in plan.table
            for cand in column.candidates
            for name in cand.inputs
        }
        self._clean: dict[str, pl.Series] = {}
        self._masks: dict[tuple[Any, ...], np.ndarray[Any, Any]] = {}
        self.values: dict[str, pl.Series] = {}
        self.order: list[str] = []

    def resolve(self, name: str) -> str:
        """The frame column of a field the table names (layouts match case-insensitively)."""
        return self.aliases.get(name, name)

    def clean(self, name: str) -> pl.Series:
        """Field ``name`` with null tokens and empty text as null (all null if absent)."""
        name = self.resolve(name)
        if name not in self._clean:
            if name in self.frame.columns:
                values = self.frame.get_column(name)
                hit = values.is_in(self.nulls)
                self._clean[name] = values.set(hit, None) if hit.any() else values
            else:
                self._clean[name] = pl.repeat(None, self.height, dtype=pl.String(), eager=True)
        return self._clean[name]

    def consume(self, name: str, rows: np.ndarray[Any, Any]) -> None:
        name = self.resolve(name)
        if name not in self.consumed:
            self.consumed[name] = np.zeros(self.height, dtype=bool)
        self.consumed[name][rows] = True

    def mask(self, cand: Candidate) -> np.ndarray[Any, Any] | None:
        """Rows where ``cand`` applies (None: all rows)."""
        if not cand.when and not cand.unless:
            return None
        key = (cand.when, cand.unless)
        if key not in self._masks:
            ok = self._all(cand.when) if cand.when else np.ones(self.height, dtype=bool)
            for group in cand.unless:
                ok &= ~self._all(group)
            self._masks[key] = ok
        return self._masks[key]

    def _all(self, conditions: tuple[Condition, ...]) -> np.ndarray[Any, Any]:
        ok = np.ones(self.height, dtype=bool)
        for cond in conditions:
            ok &= self._test(cond)
        return ok

    def _test(self, cond: Condition) -> np.ndarray[Any, Any]:
        values = self.clean(cond.field)
        if cond.present is not None:
            hit = values.is_not_null() == cond.present
        elif cond.equals:
            lower = [v.lower() for v in cond.equals]
            hit = values.str.strip_chars().str.to_lowercase().is_in(lower).fill_null(False)
        elif cond.not_regex is not None:  # a missing value matches no regex
            hit = (~values.str.contains(cond.not_regex)).fill_null(True)
        else:
            hit = values.str.contains(cond.regex or "").fill_null(False)
        return hit.to_numpy().astype(bool)


def map_records(
    plan: Plan,
    frame: pl.DataFrame,
    options: ParseOptions | None = None,
    *,
    order: Sequence[str] | None = None,
    aliases: Mapping[str, str] | None = None,
) -> pl.DataFrame:
    """Records: ``_row``, canonical columns, extras lists and ``_year_assumed`` (bool).

    ``frame`` is the output of :func:`raw_fields` (or :func:`named_columns`);
    ``order`` lists its raw fields in extras order (default :meth:`Plan.raw_fields`)
    and ``aliases`` maps the table's names to frame columns.
    """
    options = options or ParseOptions()
    rows = _Row(plan, frame, aliases)
    rows.order = list(order) if order is not None else list(plan.raw_fields())
    columns: dict[str, pl.Series] = {}
    assumed: pl.Series | None = None
    yearless: pl.Series | None = None
    for column in plan.table:
        value, flags = _column(rows, column, options)
        columns[column.column] = value
        rows.values[column.column] = value
        if column.column == "event_time" and flags is not None:
            assumed, yearless = flags
    _derive(columns, rows.height)
    columns["log_format"] = pl.repeat(plan.name, rows.height, dtype=pl.String(), eager=True)
    if "event_time" in columns:
        columns["tz_assumed"] = (
            assumed
            if assumed is not None
            else pl.repeat(None, rows.height, dtype=pl.Boolean(), eager=True)
        ).alias("tz_assumed")
    if yearless is None:
        yearless = pl.repeat(False, rows.height, dtype=pl.Boolean(), eager=True)
    keys, values = _extras(rows, frame)
    errors = [frame.get_column(c) for c in ("_error", "_error_message") if c in frame.columns]
    return pl.DataFrame(
        [
            frame.get_column("_row"),
            *(s.alias(name) for name, s in columns.items()),
            keys.alias("extras_keys"),
            values.alias("extras_values"),
            yearless.alias("_year_assumed"),
            *errors,
        ]
    )


def _column(
    rows: _Row, column: ColumnPlan, options: ParseOptions
) -> tuple[pl.Series, tuple[pl.Series, pl.Series] | None]:
    """The column's value per row: the first candidate that gives one; see the module doc."""
    height = rows.height
    value = pl.repeat(None, height, dtype=column.dtype, eager=True)
    is_time = column.column == "event_time"
    assumed = pl.repeat(None, height, dtype=pl.Boolean(), eager=True) if is_time else None
    yearless = pl.repeat(False, height, dtype=pl.Boolean(), eager=True) if is_time else None
    todo = np.ones(height, dtype=bool)
    if column.column == "bytes_total":
        # The table's own total counts only where neither direction is logged.
        for name in ("bytes_up", "bytes_down"):
            if name in rows.values:
                todo &= rows.values[name].is_null().to_numpy()
    for cand in column.candidates:
        active = todo.copy()
        mask = rows.mask(cand)
        if mask is not None:
            active &= mask
        if not active.any():
            continue
        where = np.flatnonzero(active)
        everything = where.size == height
        typed, flags, used = _candidate(rows, cand, column, options, None if everything else where)
        got = typed.is_not_null().to_numpy()
        if not got.any():
            continue
        hit = where[got]
        if everything and got.all():
            value = typed
            if flags is not None and assumed is not None and yearless is not None:
                assumed, yearless = flags
        else:
            picks = pl.Series(np.flatnonzero(got))
            value = value.scatter(hit, typed.gather(picks))
            if flags is not None and assumed is not None and yearless is not None:
                assumed = assumed.scatter(hit, flags[0].gather(picks))
                yearless = yearless.scatter(hit, flags[1].gather(picks).fill_null(False))
        todo[hit] = False
        if cand.alt.keep:
            pass
        elif used is None:
            for name in cand.inputs:
                rows.consume(name, hit)
        else:  # a derive function says which inputs went into each value
            for name, used_rows in used.items():
                rows.consume(name, where[got & used_rows.fill_null(False).to_numpy()])
        if not todo.any():
            break
    if column.column in UPPER_COLUMNS:
        value = value.str.to_uppercase()
    elif column.column in LOWER_COLUMNS:
        value = value.str.to_lowercase()
    flags_out = (assumed, yearless) if assumed is not None and yearless is not None else None
    return value.alias(column.column), flags_out


def _candidate(
    rows: _Row,
    cand: Candidate,
    column: ColumnPlan,
    options: ParseOptions,
    where: np.ndarray[Any, Any] | None,
) -> tuple[pl.Series, tuple[pl.Series, pl.Series] | None, dict[str, pl.Series] | None]:
    """The typed value of ``cand`` on rows ``where`` (all rows when None).

    Also: (zone assumed, year assumed) for timestamps, and for a derive function
    the rows where each input went into the value.
    """
    alt = cand.alt

    def take(name: str) -> pl.Series:
        values = rows.clean(name)
        return values if where is None else values.gather(where)

    size = rows.height if where is None else where.size
    if alt.derive is not None:
        function = derive_function(rows.plan.spec.module or "", alt.derive)
        derived, used = function({name: take(name) for name in alt.sources}, options)
        return derived.cast(column.dtype, strict=False), None, dict(used)
    if alt.value is not None:
        raw = pl.repeat(alt.value, size, dtype=pl.String(), eager=True)
    elif alt.between is not None:
        start, end = (take(n) for n in alt.between)
        return time_between(start, end, cand, options, column.dtype), None, None
    elif alt.join:
        parts = {f"_{i}": take(n) for i, n in enumerate(alt.join)}
        raw = (
            pl.DataFrame(parts)
            .select(pl.concat_str([pl.col(name) for name in parts], separator=alt.sep))
            .to_series()
        )
    else:
        assert cand.source is not None
        raw = take(cand.source)
    formats = take(alt.formats_from) if alt.formats_from else None
    typed = coerce(raw, cand, column.dtype, options, formats)
    if typed.assumed is not None and typed.yearless is not None:
        return typed.value, (typed.assumed, typed.yearless), None
    return typed.value, None, None


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


def _derive(columns: dict[str, pl.Series], height: int) -> None:
    """``bytes_total`` from up + down, without wrapping past 2^64 - 1."""
    up, down = columns.get("bytes_up"), columns.get("bytes_down")
    if up is None and down is None:
        return
    none = pl.repeat(None, height, dtype=pl.UInt64(), eager=True)
    frame = pl.DataFrame(
        {
            "up": up if up is not None else none,
            "down": down if down is not None else none,
            "total": columns.get("bytes_total", none),
        }
    )
    u, d = pl.col("up"), pl.col("down")
    total = (
        pl.when(u.is_null() & d.is_null())
        .then(pl.col("total"))
        .when(u.fill_null(0) <= pl.lit(_MAX_U64, pl.UInt64) - d.fill_null(0))
        .then(u.fill_null(0) + d.fill_null(0))
    )
    columns["bytes_total"] = frame.select(total.alias("bytes_total")).to_series()


def _extras(rows: _Row, frame: pl.DataFrame) -> tuple[pl.Series, pl.Series]:
    """Pairs left over by the pick (line order), then every unconsumed, non-null field."""
    parts: list[Part] = [(frame.get_column("extras_keys"), frame.get_column("extras_values"))]
    for name in rows.order:
        values = rows.clean(name) if name in frame.columns else None
        if values is None or values.null_count() == rows.height:
            continue
        used = rows.consumed.get(name)
        if used is not None and used.any():
            values = values.scatter(np.flatnonzero(used), None)
        if "" not in rows.plan.null and rows.resolve(name) not in rows.referenced:
            # An unmapped field's empty text is kept as logged unless the spec lists it as null.
            original = frame.get_column(name)
            empty = (original == "").fill_null(False).to_numpy()
            if used is not None:
                empty &= ~used
            if empty.any():
                values = values.scatter(np.flatnonzero(empty), "")
        parts.append((name, values))
    return concat_lists(parts, rows.height)
