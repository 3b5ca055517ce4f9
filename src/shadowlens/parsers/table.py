"""The field table over a chunk's raw fields: canonical columns and ``extras``.

How a column is filled: its candidates (:class:`~shadowlens.spec.plan.Candidate`,
the table's alternatives in order, quirks first) are typed, each masked by its
conditions; the first non-null value wins, and the *winner* (a small integer per
row) says which parsed fields the row consumed. A parsed field that no column
consumed on a row, and that is not a null token, lands in ``extras``: unmapped
fields, values that failed typing, candidates that lost to an earlier one, and
fields marked ``keep``.

Work is batched for speed (no Python per row):

1. typings that cost more than an expression (addresses, hosts, URLs, words,
   timestamps, text steps) run once per distinct value and once per chunk for the
   same source and settings; timestamps only on the rows earlier candidates left
   empty; conditions are tested once per distinct value;
2. every column, its winner, ``bytes_total`` (up + down, never wrapping past
   2^64 - 1, else the table's own total), ``tz_assumed`` and the year flag are
   polars expressions evaluated together;
3. the consumption of each field and its ``extras`` entry are expressions too;
   the extras lists are assembled in one gather (:func:`~shadowlens.parsers.kvpick.concat_lists`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl

from shadowlens.contract import ParseOptions
from shadowlens.parsers import normalize as nz
from shadowlens.parsers.coerce import cheap_expr, coerce, is_cheap, per_distinct, time_between
from shadowlens.parsers.kvpick import Part, concat_lists
from shadowlens.spec.columns import LOWER_COLUMNS, UPPER_COLUMNS
from shadowlens.spec.model import Condition
from shadowlens.spec.plan import Candidate, ColumnPlan, Plan

_MAX_U64 = 2**64 - 1


def condition_hits(values: pl.Series, cond: Condition) -> np.ndarray[Any, Any]:
    """Rows of ``values`` (null tokens already null) where ``cond`` holds, as a bool array.

    Each distinct value is tested once (vendor names and layouts repeat).
    """
    if cond.present is not None:
        return (values.is_not_null() == cond.present).to_numpy().astype(bool)
    distinct = values.unique().drop_nulls()
    if cond.equals:
        lower = [v.lower() for v in cond.equals]
        hits = distinct.filter(distinct.str.strip_chars().str.to_lowercase().is_in(lower))
    elif cond.not_regex is not None:  # a missing value matches no regex
        hits = distinct.filter(~distinct.str.contains(cond.not_regex))
    else:
        hits = distinct.filter(distinct.str.contains(cond.regex or ""))
    hit = values.is_in(hits.implode())
    if cond.not_regex is not None:
        hit = hit | values.is_null()
    return hit.fill_null(False).to_numpy().astype(bool)


def _accept_ip(expr: pl.Expr) -> pl.Expr:
    return nz.valid_ip(expr)


def _accept_name(expr: pl.Expr) -> pl.Expr:
    return pl.when(nz.valid_ip(expr).is_null()).then(expr)


def _out(name: str) -> str:
    """The working name of output column ``name`` (raw fields may share canonical names)."""
    return f"__c_{name}"


def map_records(
    plan: Plan,
    frame: pl.DataFrame,
    options: ParseOptions | None = None,
    *,
    order: Sequence[str] | None = None,
    aliases: Mapping[str, str] | None = None,
) -> pl.DataFrame:
    """Records: ``_row``, canonical columns, extras lists and ``_year_assumed`` (bool).

    ``frame`` holds the raw fields (:func:`~shadowlens.parsers.mapping.raw_fields` or
    :func:`~shadowlens.parsers.mapping.named_columns`) with ``extras_keys`` /
    ``extras_values`` (pairs left over, in line order); ``order`` lists its raw
    fields in extras order (default :meth:`Plan.raw_fields`) and ``aliases`` maps
    the table's names to frame columns (layouts match case-insensitively).
    """
    table = _Table(plan, frame, options or ParseOptions(), aliases or {})
    return table.run(list(order) if order is not None else list(plan.raw_fields()))


class _Table:
    """One chunk's evaluation of the field table."""

    def __init__(
        self, plan: Plan, frame: pl.DataFrame, options: ParseOptions, aliases: Mapping[str, str]
    ) -> None:
        self.plan = plan
        self.frame = frame
        self.options = options
        self.aliases = aliases
        self.height = frame.height
        self.nulls = [*plan.null, ""]
        self.helpers: dict[str, pl.Series] = {}
        self.memo: dict[tuple[Any, ...], str] = {}
        self.cleaned: dict[str, pl.Series] = {}
        self.masks: dict[tuple[Any, ...], str | None] = {}
        #: column -> [(candidate, masked typed expression, per-input use expressions)]
        self.candidates: dict[str, list[tuple[Candidate, pl.Expr, dict[str, pl.Expr] | None]]] = {}
        self.time_flags: list[tuple[int, str, str]] = []
        self.referenced = {
            self.resolve(n) for c in plan.table for cand in c.candidates for n in cand.inputs
        }

    # -- raw fields -----------------------------------------------------------------
    def resolve(self, name: str) -> str:
        if not self.aliases:
            return name
        # Layout names match case-insensitively: the aliases are keyed in lower case.
        return self.aliases.get(name) or self.aliases.get(name.lower(), name)

    def clean_expr(self, name: str) -> pl.Expr:
        """Field ``name`` with null tokens and empty text as null (null when absent)."""
        column = self.resolve(name)
        if column not in self.frame.columns:
            return pl.lit(None, pl.String())
        return pl.when(pl.col(column).is_in(self.nulls)).then(None).otherwise(pl.col(column))

    def clean(self, name: str) -> pl.Series:
        column = self.resolve(name)
        if column not in self.cleaned:
            if column in self.frame.columns:
                values = self.frame.get_column(column)
                hit = values.is_in(self.nulls)
                self.cleaned[column] = values.set(hit, None) if hit.any() else values
            else:
                self.cleaned[column] = pl.repeat(None, self.height, dtype=pl.String(), eager=True)
        return self.cleaned[column]

    def available(self, cand: Candidate) -> bool:
        """Whether the frame has what the candidate reads (all joined fields, any derive input)."""
        alt = cand.alt
        columns = self.frame.columns
        if alt.value is not None:
            return True
        if alt.derive is not None:
            return any(self.resolve(n) in columns for n in alt.sources)
        needed = alt.join or alt.between or ((cand.source,) if cand.source else ())
        return all(self.resolve(n) in columns for n in needed)

    def helper(self, series: pl.Series) -> pl.Expr:
        name = f"__h{len(self.helpers)}"
        self.helpers[name] = series.alias(name)
        return pl.col(name)

    # -- conditions -----------------------------------------------------------------
    def mask(self, cand: Candidate) -> str | None:
        """Name of a bool helper column: rows where ``cand`` applies (None: every row)."""
        if not cand.when and not cand.unless:
            return None
        key = (cand.when, cand.unless)
        if key not in self.masks:
            ok = self._all(cand.when) if cand.when else np.ones(self.height, dtype=bool)
            for group in cand.unless:
                ok &= ~self._all(group)
            name = None
            if not ok.all():
                name = f"__m{len(self.masks)}"
                self.helpers[name] = pl.Series(name, ok)
            self.masks[key] = name
        return self.masks[key]

    def _all(self, conditions: tuple[Condition, ...]) -> np.ndarray[Any, Any]:
        ok = np.ones(self.height, dtype=bool)
        for cond in conditions:
            ok &= self._test(cond)
        return ok

    def _test(self, cond: Condition) -> np.ndarray[Any, Any]:
        return condition_hits(self.clean(cond.field), cond)

    # -- candidates -------------------------------------------------------------------
    def raw_series(self, cand: Candidate, rows: np.ndarray[Any, Any] | None = None) -> pl.Series:
        """The candidate's input text (a source, or joined fields), on ``rows`` if given."""
        alt = cand.alt
        if alt.value is not None:
            size = self.height if rows is None else rows.size
            return pl.repeat(alt.value, size, dtype=pl.String(), eager=True)
        if alt.join:
            parts = {f"_{i}": self.clean(n) for i, n in enumerate(alt.join)}
            joined = (
                pl.DataFrame(parts)
                .select(pl.concat_str([pl.col(n) for n in parts], separator=alt.sep))
                .to_series()
            )
            return joined if rows is None else joined.gather(rows)
        assert cand.source is not None
        values = self.clean(cand.source)
        return values if rows is None else values.gather(rows)

    def raw_expr(self, cand: Candidate) -> pl.Expr:
        alt = cand.alt
        if alt.value is not None:
            return pl.lit(alt.value, pl.String())
        if alt.join:
            return pl.concat_str([self.clean_expr(n) for n in alt.join], separator=alt.sep)
        assert cand.source is not None
        return self.clean_expr(cand.source)

    def typed(
        self, cand: Candidate, column: ColumnPlan, rows: np.ndarray[Any, Any] | None = None
    ) -> tuple[pl.Expr, dict[str, pl.Expr] | None]:
        """The typed value of a (non-timestamp) candidate, and a derive function's uses.

        A costly typing runs on ``rows`` only when given (the rows earlier
        candidates left empty); otherwise on every row, once per chunk for the same
        source and settings.
        """
        alt = cand.alt
        if alt.derive is not None:
            from shadowlens.parsers.mapping import derive_function

            function = derive_function(self.plan.spec.module or "", alt.derive)
            value, used = function({n: self.clean(n) for n in alt.sources}, self.options)
            uses = {self.resolve(n): self.helper(u.fill_null(False)) for n, u in used.items()}
            return self.helper(value.cast(column.dtype, strict=False)), uses
        if alt.between is not None:
            start, end = (self.clean(n) for n in alt.between)
            return self.helper(time_between(start, end, cand, self.options, column.dtype)), None
        if is_cheap(cand):
            return cheap_expr(self.raw_expr(cand), cand, column.dtype), None
        if rows is not None:
            formats = self.clean(alt.formats_from).gather(rows) if alt.formats_from else None
            part = coerce(self.raw_series(cand, rows), cand, column.dtype, self.options, formats)
            empty = pl.repeat(None, self.height, dtype=part.value.dtype, eager=True)
            return self.helper(empty.scatter(rows, part.value)), None
        if alt.accept is not None and alt.case is None and column.dtype == pl.String():
            # Share the typing of the source with the other ``accept`` (dst_ip and dst_host
            # read the same host): keep only addresses, or only names, of the shared value.
            plain = dataclasses.replace(cand, alt=dataclasses.replace(alt, accept=None))
            shared, _ = self.typed(plain, column)
            name = shared.meta.output_name()
            # A cheap typing (text as it is) is an expression over the frame, not a helper.
            base = self.helpers.get(name)
            if base is None:
                base = self.frame.select(shared.alias(name)).to_series()
            keep = per_distinct(base, _accept_ip if alt.accept == "ip" else _accept_name)
            return self.helper(keep), None
        key = (
            cand.source, alt.join, alt.value, alt.type, alt.extract, tuple(alt.map.items()),
            alt.patterns, tuple(alt.replace.items()), alt.case, alt.accept, alt.scale,
            alt.formats_from, column.dtype,
        )  # fmt: skip
        if key not in self.memo:
            formats = self.clean(alt.formats_from) if alt.formats_from else None
            typed = coerce(self.raw_series(cand), cand, column.dtype, self.options, formats)
            self.memo[key] = next(iter(self.helper(typed.value).meta.root_names()))
        return pl.col(self.memo[key]), None

    def add_column(self, column: ColumnPlan) -> None:
        """Register the masked, typed candidates of ``column``."""
        if any(c.alt.type == "timestamp" and c.alt.between is None for c in column.candidates):
            self._add_times(column)
            return
        found: list[tuple[Candidate, pl.Expr, dict[str, pl.Expr] | None]] = []
        for cand in column.candidates:
            if not self.available(cand):  # a field this chunk's lines do not have
                found.append((cand, pl.lit(None, column.dtype), None))
                continue
            mask = self.mask(cand)
            rows = None
            if (
                found
                and not is_cheap(cand)
                and cand.alt.derive is None
                and cand.alt.between is None
            ):
                # A costly typing only where the earlier candidates gave nothing.
                open_rows = ~self._filled(found)
                if mask is not None:
                    open_rows &= self.helpers[mask].to_numpy()
                if not open_rows.any():
                    found.append((cand, pl.lit(None, column.dtype), None))
                    continue
                if not open_rows.all():
                    rows = np.flatnonzero(open_rows)
            value, uses = self.typed(cand, column, rows)
            found.append((cand, pl.when(pl.col(mask)).then(value) if mask else value, uses))
        self.candidates[column.column] = found

    def _filled(self, found: list[tuple[Candidate, pl.Expr, Any]]) -> np.ndarray[Any, Any]:
        """Rows where one of the candidates so far gives a value."""
        frame = self.frame.hstack(list(self.helpers.values()))
        test = pl.any_horizontal([expr.is_not_null() for _cand, expr, _uses in found])
        filled = frame.select(test.fill_null(False)).to_series().to_numpy().astype(bool)
        if filled.size != self.height:  # only literals so far: one value for every row
            filled = np.full(self.height, bool(filled[0]) if filled.size else False)
        return filled

    def _add_times(self, column: ColumnPlan) -> None:
        """Timestamps, each candidate parsed only on the rows the earlier ones left empty."""
        todo = np.ones(self.height, dtype=bool)
        found: list[tuple[Candidate, pl.Expr, dict[str, pl.Expr] | None]] = []
        for k, cand in enumerate(column.candidates):
            if not self.available(cand):
                found.append((cand, pl.lit(None, column.dtype), None))
                continue
            mask_name = self.mask(cand)
            active = todo & (self.helpers[mask_name].to_numpy() if mask_name else True)
            value = pl.repeat(None, self.height, dtype=column.dtype, eager=True)
            assumed = pl.repeat(None, self.height, dtype=pl.Boolean(), eager=True)
            yearless = pl.repeat(False, self.height, dtype=pl.Boolean(), eager=True)
            if active.any() and cand.alt.type == "timestamp":
                rows = np.flatnonzero(active)
                every = rows.size == self.height
                formats = None
                if cand.alt.formats_from:
                    formats = self.clean(cand.alt.formats_from)
                    formats = formats if every else formats.gather(rows)
                raw = self.raw_series(cand, None if every else rows)
                typed = coerce(raw, cand, column.dtype, self.options, formats)
                if every:
                    value = typed.value
                    if typed.assumed is not None:
                        assumed = typed.assumed
                    if typed.yearless is not None:
                        yearless = typed.yearless.fill_null(False)
                else:
                    value = value.scatter(rows, typed.value)
                    if typed.assumed is not None:
                        assumed = assumed.scatter(rows, typed.assumed)
                    if typed.yearless is not None:
                        yearless = yearless.scatter(rows, typed.yearless.fill_null(False))
                todo &= ~value.is_not_null().to_numpy()
                expr: pl.Expr = self.helper(value.cast(column.dtype))
            elif cand.alt.type == "timestamp":  # no row left for it
                expr = pl.lit(None, column.dtype)
            else:
                expr, _uses = self.typed(cand, column)
            masked = pl.when(pl.col(mask_name)).then(expr) if mask_name else expr
            found.append((cand, masked, None))
            if column.column == "event_time":
                a = self.helper(assumed).meta.output_name()
                y = self.helper(yearless).meta.output_name()
                self.time_flags.append((k, a, y))
        self.candidates[column.column] = found

    # -- the whole table ----------------------------------------------------------------
    def run(self, order: list[str]) -> pl.DataFrame:
        for column in self.plan.table:
            self.add_column(column)
        base = self.frame.with_columns(list(self.helpers.values())).lazy()
        values, winners = [], []
        for column in self.plan.table:
            name = column.column
            if name == "bytes_total":
                continue
            value, winner = self._value(name)
            values.append(value.alias(_out(name)))
            winners.append(winner.alias(f"__w_{name}"))
        stage = base.with_columns(*values, *winners)
        stage = stage.with_columns(*self._totals())
        stage = stage.with_columns(self._flags())
        extras = self._extras(order)
        names = [c.column for c in self.plan.table]
        if self._has_bytes() and "bytes_total" not in names:
            names.append("bytes_total")
        if "event_time" in names:
            names.append("tz_assumed")
        out = stage.select(
            "_row",
            *(pl.col(_out(n)).alias(n) for n in names),
            pl.lit(self.plan.name).alias("log_format"),
            pl.col(_out("_year_assumed")).alias("_year_assumed"),
            *extras,
            *[c for c in ("_error", "_error_message") if c in self.frame.columns],
        ).collect()
        parts: list[Part] = [
            (self.frame.get_column("extras_keys"), self.frame.get_column("extras_values"))
        ]
        parts += [(name, out.get_column(f"__x_{name}")) for name in self._extra_names(order)]
        keys, vals = concat_lists(parts, self.height)
        out = out.drop([f"__x_{n}" for n in self._extra_names(order)])
        return out.with_columns(keys.alias("extras_keys"), vals.alias("extras_values"))

    def _columns(self) -> set[str]:
        return {c.column for c in self.plan.table}

    def _has_bytes(self) -> bool:
        return bool({"bytes_up", "bytes_down"} & self._columns())

    def _value(self, name: str, only: pl.Expr | None = None) -> tuple[pl.Expr, pl.Expr]:
        found = self.candidates[name]
        exprs = [e if only is None else pl.when(only).then(e) for _c, e, _u in found]
        value = pl.coalesce(exprs) if len(exprs) > 1 else exprs[0]
        if name in UPPER_COLUMNS:
            value = value.str.to_uppercase()
        elif name in LOWER_COLUMNS:
            value = value.str.to_lowercase()
        winner = pl.coalesce(
            [pl.when(e.is_not_null()).then(pl.lit(k, pl.UInt8())) for k, e in enumerate(exprs)]
        )
        return value, winner

    def _totals(self) -> list[pl.Expr]:
        """``bytes_total``: up + down where either is logged, else the table's own total."""
        columns = self._columns()
        if not self._has_bytes() and "bytes_total" not in columns:
            return []
        up = pl.col(_out("bytes_up")) if "bytes_up" in columns else pl.lit(None, pl.UInt64())
        down = pl.col(_out("bytes_down")) if "bytes_down" in columns else pl.lit(None, pl.UInt64())
        neither = up.is_null() & down.is_null()
        own: pl.Expr = pl.lit(None, pl.UInt64())
        winner: pl.Expr = pl.lit(None, pl.UInt8())
        if "bytes_total" in columns:
            own, winner = self._value("bytes_total", only=neither)
        total = (
            pl.when(neither)
            .then(own)
            .when(up.fill_null(0) <= pl.lit(_MAX_U64, pl.UInt64()) - down.fill_null(0))
            .then(up.fill_null(0) + down.fill_null(0))
        )
        return [total.cast(pl.UInt64()).alias(_out("bytes_total")), winner.alias("__w_bytes_total")]

    def _flags(self) -> list[pl.Expr]:
        """``tz_assumed`` and ``_year_assumed`` of the winning timestamp candidate."""
        if not self.time_flags:
            flags = [pl.lit(False).alias(_out("_year_assumed"))]
            if "event_time" in self._columns():
                flags.append(pl.lit(None, pl.Boolean()).alias(_out("tz_assumed")))
            return flags
        winner = pl.col("__w_event_time")
        assumed = pl.coalesce(
            [pl.when(winner == k).then(pl.col(a)) for k, a, _y in self.time_flags]
        )
        year = pl.coalesce([pl.when(winner == k).then(pl.col(y)) for k, _a, y in self.time_flags])
        return [
            assumed.alias(_out("tz_assumed")),
            year.fill_null(False).alias(_out("_year_assumed")),
        ]

    # -- extras ---------------------------------------------------------------------------
    def _extra_names(self, order: list[str]) -> list[str]:
        return [n for n in order if n in self.frame.columns]

    def _extras(self, order: list[str]) -> list[pl.Expr]:
        """Per field: its value where no column consumed it and it is not a null token."""
        terms: dict[str, list[pl.Expr]] = {}
        for column_name, found in self.candidates.items():
            winner = pl.col(f"__w_{column_name}")
            for k, (cand, _expr, uses) in enumerate(found):
                if cand.alt.keep:
                    continue
                for name in cand.inputs:
                    field = self.resolve(name)
                    if uses is not None:
                        if field in uses:
                            terms.setdefault(field, []).append((winner == k) & uses[field])
                    else:
                        terms.setdefault(field, []).append(winner == k)
        exprs = []
        for name in self._extra_names(order):
            column = pl.col(name)
            if name in self.referenced or "" in self.plan.null:
                value = self.clean_expr(name)
            else:  # an unmapped field's empty text is kept as logged
                value = pl.when(column.is_in(list(self.plan.null))).then(None).otherwise(column)
            if name in terms:
                consumed = pl.any_horizontal(terms[name]).fill_null(False)
                value = pl.when(~consumed).then(value)
            exprs.append(value.alias(f"__x_{name}"))
        return exprs
