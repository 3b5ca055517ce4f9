"""Pick values out of lists of raw ``key=value`` tokens, fast when producers are regular.

A key=value format (CEF extensions, LEEF attributes) parses into one list of
raw tokens per line. Turning those lists into columns is the costly step. Most
producers write the same keys in the same order on every line, so
:func:`pick_pairs`:

1. learns the dominant key order (a *template*) from a sample of the rows;
2. takes every key by its list position and checks it (a row conforms when its
   length and every key match the template);
3. sends the rows that do not conform to the next template (up to
   ``max_templates``), and what is left to the generic path (explode, pivot,
   group), which handles any order, duplicates and unknown keys.

Both routes give identical results: the value of a mapped key is its **last**
occurrence; every other token (unmapped keys, earlier duplicates) goes to the
extras, in line order, as two parallel string lists ``extras_keys`` and
``extras_values``. Tests force each route and compare (``max_templates=0`` is
the generic path alone). :func:`concat_lists` builds such lists from columns
without polars' row-wise ``concat_list`` (one gather over the flat values).

Examples
--------
>>> import polars as pl
>>> f = pl.DataFrame({"pairs": [["a=1 ", "b=x\\\\=y ", "c=3"], ["c=4 ", "a=5"]]})
>>> out = pick_pairs(f, "pairs", ["a", "c"], unescape={"\\\\=": "="})
>>> out.rows()
[('1', '3', ['b'], ['x=y']), ('5', '4', [], [])]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa

from shadowlens.parsers.native import (
    ViewArgs,
    _native,
    from_view_out,
    native_enabled,
    view_args,
    view_lists,
)

_STRINGS = pl.List(pl.String())
_JOIN = "\x1f"
_NEWEST = pl.CompatLevel.newest()

#: One part of an extras list: (constant key, value per row; null = no entry)
#: or (list of keys, list of values) per row.
Part = tuple[str | pl.Series, pl.Series]


def pick_pairs(
    fields: pl.DataFrame,
    column: str,
    mapped: Sequence[str],
    *,
    separator: str = "=",
    strip: str = " ",
    unescape: Mapping[str, str] | None = None,
    quote: str | None = None,
    max_templates: int = 4,
    sample_rows: int = 2000,
    min_share: float = 0.3,
) -> pl.DataFrame:
    """One column per ``mapped`` key plus ``extras_keys``/``extras_values``, row for row.

    Parameters
    ----------
    fields
        Frame holding ``column``, a list of raw tokens ``key<separator>value``.
    column
        The list column.
    mapped
        Keys wanted as columns (strings, escapes undone; null when absent).
    separator
        Between key and value; the key is the text before its first occurrence.
    strip
        Characters cut from the end of every value.
    unescape
        Escape sequence -> replacement, applied to every value in one pass.
    quote
        A value that starts and ends with this character (after ``strip``) loses both
        before the escapes are undone (``msg="a b"`` gives ``a b``).
    max_templates
        How many learned key orders to try before the generic path; ``0`` takes the
        generic path alone, the reference the other routes are tested against. When the
        native core is installed (and ``max_templates`` is not 0), it picks every row in
        one pass instead (:func:`native_pick`).
    sample_rows
        Rows sampled (evenly spread) to learn a template.
    min_share
        A template is used only when at least this share of the sample has it.
    """
    spec = _Spec(tuple(mapped), separator, strip, dict(unescape or {}), quote)
    tokens = fields.get_column(column).fill_null([]).cast(_STRINGS)
    if max_templates > 0 and tokens.len() and native_enabled() and spec.native_ok():
        picked = native_pick(tokens, spec)
        if picked is not None:
            return picked
    return _pick(tokens, spec, max_templates, sample_rows, min_share)


def native_pick(tokens: pl.Series, spec: _Spec) -> pl.DataFrame | None:
    """:func:`pick_pairs` by the native kernel in one pass; None when a token is null."""
    assert _native is not None
    arrow = tokens.to_arrow(compat_level=pl.CompatLevel.newest())
    if isinstance(arrow, pa.ChunkedArray):
        arrow = arrow.combine_chunks()
    lists = np.asarray(arrow.offsets, dtype=np.int64)
    flat = arrow.values.slice(int(lists[0]), int(lists[-1] - lists[0]))
    if flat.null_count:
        return None
    columns, list_offsets, keys, values = _native.pick_pairs(
        (lists - lists[0]).astype("<i8").tobytes(),
        view_args(flat),
        list(spec.mapped),
        spec.separator,
        spec.strip,
        spec.quote,
        list(spec.unescape.items()),
    )
    height = tokens.len()
    out = [
        pl.Series(name, from_view_out(built, height))
        for name, built in zip(spec.mapped, columns, strict=True)
    ]
    entries = int(np.frombuffer(list_offsets, "<i8")[-1])
    for name, built in (("extras_keys", keys), ("extras_values", values)):
        out.append(view_lists(list_offsets, from_view_out(built, entries), height).alias(name))
    return pl.DataFrame(out)


class _Spec:
    def __init__(
        self,
        mapped: tuple[str, ...],
        separator: str,
        strip: str,
        unescape: dict[str, str],
        quote: str | None = None,
    ) -> None:
        self.mapped = mapped
        self.separator = separator
        self.strip = strip
        self.unescape = unescape
        self.quote = quote

    def undo(self, values: pl.Series) -> pl.Series:
        """Cut trailing ``strip`` characters, unquote, replace escapes (skipped without a backslash)."""
        if self.strip:
            values = values.str.strip_chars_end(self.strip)
        if self.quote:
            values = unquote(values, self.quote)
        if not self.unescape:
            return values
        if not all(k.startswith("\\") for k in self.unescape):  # no cheap test for the rows
            return values.str.replace_many(list(self.unescape), list(self.unescape.values()))
        escaped = values.str.contains("\\", literal=True).fill_null(False)
        if not escaped.any():
            return values
        where = escaped.arg_true()
        fixed = values.gather(where).str.replace_many(
            list(self.unescape), list(self.unescape.values())
        )
        return values.scatter(where, fixed)

    def native_ok(self) -> bool:
        """Whether the native kernel does exactly this undo: escapes of one length."""
        widths = {len(k.encode()) for k in self.unescape}
        return bool(self.separator) and len(widths) <= 1 and 0 not in widths

    def schema(self) -> dict[str, pl.DataType]:
        return {
            **dict.fromkeys(self.mapped, pl.String()),
            "extras_keys": _STRINGS,
            "extras_values": _STRINGS,
        }


def unquote(values: pl.Series, quote: str) -> pl.Series:
    """Values that start and end with ``quote`` (two characters at least) without them.

    Examples
    --------
    >>> unquote(pl.Series(['"a b"', "c", '"', '""']), '"').to_list()
    ['a b', 'c', '"', '']
    """
    quoted = (
        values.str.starts_with(quote)
        & values.str.ends_with(quote)
        & (values.str.len_chars() >= 2 * len(quote))
    ).fill_null(False)
    if not quoted.any():
        return values
    where = quoted.arg_true()
    inner = values.gather(where)
    inner = inner.str.slice(len(quote), inner.str.len_chars() - 2 * len(quote))
    return values.scatter(where, inner)


def _pick(
    tokens: pl.Series, spec: _Spec, templates_left: int, sample_rows: int, min_share: float
) -> pl.DataFrame:
    if tokens.len() == 0:
        return pl.DataFrame(schema=spec.schema())
    template = None
    if templates_left > 0:
        template = learn_template(tokens, spec.separator, sample_rows, min_share)
    if template is None:
        return _generic(tokens, spec)
    out, conforms = _positional(tokens, template, spec)
    if conforms.all():
        return out
    bad = conforms.not_().arg_true()
    fixed = _pick(tokens.gather(bad), spec, templates_left - 1, sample_rows, min_share)
    # Row i comes from `out`, or from `fixed` when it did not conform: one gather
    # over both stacked (few polars calls: each costs more than its work here).
    where = np.arange(out.height, dtype=np.int64)
    where[bad.to_numpy()] = np.arange(out.height, out.height + bad.len(), dtype=np.int64)
    both = pl.concat([out, fixed.select(out.columns)], how="vertical")
    return both.select(pl.all().gather(where))


def learn_template(
    tokens: pl.Series, separator: str = "=", sample_rows: int = 2000, min_share: float = 0.3
) -> list[str] | None:
    """The most common key order in an evenly spread sample, or None if none dominates.

    A template must have distinct keys and cover ``min_share`` of the sample.

    Examples
    --------
    >>> import polars as pl
    >>> learn_template(pl.Series([["a=1", "b=2"], ["a=3", "b=4"], ["b=5"]]))
    ['a', 'b']
    """
    step = max(1, tokens.len() // sample_rows)
    sample = tokens.gather_every(step)
    key = pl.element().str.splitn(separator, 2).struct.field("field_0")
    keys = sample.list.eval(key).list.join(_JOIN)
    top, hits = keys.value_counts(sort=True).row(0)
    if hits < min_share * sample.len():
        return None
    template = top.split(_JOIN) if top else []
    return template if len(set(template)) == len(template) else None


def _positional(
    tokens: pl.Series, template: list[str], spec: _Spec
) -> tuple[pl.DataFrame, pl.Series]:
    """Values by list position, and whether each row has exactly the template's keys.

    Works on the flat tokens (one kernel call per string operation): token ``i``
    of a row must start with ``template[i] + separator``. Columns and extras
    lists are gathers from the flat values; rows that do not conform get
    meaningless values here and are redone by the caller.
    """
    height, width = tokens.len(), len(template)
    arrow = tokens.to_arrow(compat_level=_NEWEST)
    offsets = np.asarray(arrow.offsets, dtype=np.int64)
    lens, starts = np.diff(offsets), offsets[:-1] - offsets[0]
    flat = pl.Series(arrow.flatten()).cast(pl.String())
    row = np.repeat(np.arange(height, dtype=np.int64), lens)
    pos = np.arange(flat.len(), dtype=np.int64) - starts[row]
    inside = pos < width
    slot = np.where(inside, pos, 0)
    prefixes = pl.Series([k + spec.separator for k in template] or [""], dtype=pl.String())
    cut = pl.Series([len(k) + len(spec.separator) for k in template] or [0], dtype=pl.Int64())
    checked = pl.DataFrame({"t": flat, "p": prefixes.gather(slot), "n": cut.gather(slot)}).select(
        pl.col("t").str.starts_with(pl.col("p")).alias("ok"),
        pl.col("t").str.slice(pl.col("n")).alias("v"),
    )
    wrong = ~(checked.get_column("ok").to_numpy() & inside)
    ok = (lens == width) & (np.bincount(row[wrong], minlength=height) == 0)
    values = spec.undo(checked.get_column("v"))
    last = max(flat.len() - 1, 0)
    if flat.len() == 0:
        values = pl.Series([None], dtype=pl.String())

    def take(positions: list[int]) -> pl.Series:
        index = (starts[:, None] + np.asarray(positions, dtype=np.int64)).ravel()
        return values.gather(np.minimum(index, last))

    # All mapped columns in one select (one polars call instead of one per key).
    present = [key for key in spec.mapped if key in template]
    picked = pl.DataFrame()
    if height and present:
        picked = values.to_frame("v").select(
            pl.col("v").gather(np.minimum(starts + template.index(key), last)).alias(key)
            for key in present
        )
    none = pl.repeat(None, height, dtype=pl.String(), eager=True)
    columns = [
        picked.get_column(key) if key in picked.columns else none.alias(key) for key in spec.mapped
    ]
    wanted = set(spec.mapped)
    extra = [i for i, key in enumerate(template) if key not in wanted]
    if extra:
        names = pl.Series([template[i] for i in extra], dtype=pl.String())
        keys = names.gather(np.tile(np.arange(len(extra)), height)).reshape((height, len(extra)))
        vals = take(extra).reshape((height, len(extra)))
        lists = [keys.arr.to_list(), vals.arr.to_list()]
    else:
        lists = [pl.repeat([], height, dtype=_STRINGS, eager=True)] * 2
    out = pl.DataFrame([*columns, lists[0].alias("extras_keys"), lists[1].alias("extras_values")])
    return out, pl.Series("ok", ok)


def _generic(tokens: pl.Series, spec: _Spec) -> pl.DataFrame:
    """Any key order, duplicates, unknown keys: work on the flat tokens with their row numbers.

    The last token of each mapped key in a row becomes that column (scattered
    into place); every other token goes to the extras, in line order.
    """
    height = tokens.len()
    arrow = tokens.to_arrow(compat_level=_NEWEST)
    offsets = np.asarray(arrow.offsets, dtype=np.int64)
    row = np.repeat(np.arange(height, dtype=np.int64), np.diff(offsets))
    split = pl.Series(arrow.flatten()).cast(pl.String()).str.splitn(spec.separator, 2)
    key = split.struct.field("field_0")
    value = spec.undo(split.struct.field("field_1").fill_null(""))
    code = key.replace_strict(
        list(spec.mapped), list(range(len(spec.mapped))), default=-1, return_dtype=pl.Int32()
    ).to_numpy()
    used = np.zeros(len(row), dtype=bool)
    # Per mapped key, the flat index of its last token in each row; rows without
    # the key point at a null appended after the values. One gather per key, all
    # in one select.
    missing = value.len()
    index = np.full((len(spec.mapped), height), missing, dtype=np.int64)
    for i in range(len(spec.mapped)):
        where = np.flatnonzero(code == i)
        if where.size:
            rows = row[where]
            last = np.append(rows[:-1] != rows[1:], True)
            used[where[last]] = True
            index[i, rows[last]] = where[last]
    padded = pl.concat([value, pl.Series([None], dtype=pl.String())]).to_frame("v")
    columns = padded.select(
        pl.col("v").gather(index[i]).alias(name) for i, name in enumerate(spec.mapped)
    ).get_columns()
    keep = np.flatnonzero(~used)
    lists = np.concatenate([[0], np.cumsum(np.bincount(row[keep], minlength=height))])
    return pl.DataFrame(
        [
            *columns,
            as_lists(key.gather(keep), lists).alias("extras_keys"),
            as_lists(value.gather(keep), lists).alias("extras_values"),
        ]
    )


def concat_lists(parts: Sequence[Part], height: int) -> tuple[pl.Series, pl.Series]:
    """Parallel (keys, values) string lists: per row, the entries of every part in order.

    A part is ``(key, values)`` with ``values`` a string column (one entry where
    not null, under the constant ``key``) or ``(keys, values)`` with two aligned
    list columns. One gather over the flat values replaces a row-wise concat.

    Examples
    --------
    >>> import polars as pl
    >>> lists = (pl.Series([["a"], []]), pl.Series([["1"], []]))
    >>> k, v = concat_lists([lists, ("b", pl.Series(["2", None]))], 2)
    >>> k.to_list(), v.to_list()
    ([['a', 'b'], []], [['1', '2'], []])
    """
    # Constant-key parts without any entry add nothing.
    parts = [p for p in parts if not (isinstance(p[0], str) and p[1].null_count() == p[1].len())]
    if not parts:
        empty = pl.repeat([], height, dtype=_STRINGS, eager=True)
        return empty, empty
    if native_enabled():
        joined = _native_concat(parts, height)
        if joined is not None:
            return joined
    flat: dict[str, list[pl.Series]] = {"keys": [], "values": []}
    # Per row and part (row-major, so raveling gives the output order): how many
    # entries, and where they start in each part's flat keys/values.
    lens = np.empty((height, len(parts)), dtype=np.int64)
    first = {name: np.empty((height, len(parts)), dtype=np.int64) for name in flat}
    rows = np.arange(height, dtype=np.int64)
    for p, (key, values) in enumerate(parts):
        if isinstance(key, str):
            lens[:, p] = values.is_not_null().to_numpy()
            first["keys"][:, p] = sum(s.len() for s in flat["keys"])
            first["values"][:, p] = rows + sum(s.len() for s in flat["values"])
            flat["keys"].append(pl.Series([key], dtype=pl.String()))
            flat["values"].append(values.cast(pl.String()))
            continue
        for name, lists in (("keys", key), ("values", values)):
            arrow = lists.fill_null([]).cast(_STRINGS).to_arrow(compat_level=_NEWEST)
            offsets = np.asarray(arrow.offsets, dtype=np.int64)
            first[name][:, p] = offsets[:-1] - offsets[0] + sum(s.len() for s in flat[name])
            flat[name].append(pl.Series(arrow.flatten()).cast(pl.String()))
        lens[:, p] = np.diff(offsets)
    # One segment per (row, part); a segment copies `count` consecutive flat
    # entries (a constant key has count <= 1, so it needs no stride).
    counts = lens.ravel()
    shift = np.cumsum(counts) - counts
    ramp = np.arange(int(counts.sum()), dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lens.sum(axis=1))])
    result = [
        as_lists(
            pl.concat(flat[name]).gather(np.repeat(first[name].ravel() - shift, counts) + ramp),
            offsets,
        )
        for name in ("keys", "values")
    ]
    return result[0], result[1]


def _native_concat(parts: Sequence[Part], height: int) -> tuple[pl.Series, pl.Series] | None:
    """:func:`concat_lists` by the native kernel; None when a list holds a null entry."""
    assert _native is not None
    args: list[tuple[str, bytes, ViewArgs, ViewArgs | None]] = []
    copies: dict[Any, Any] = {}
    for key, values in parts:
        if isinstance(key, str):
            args.append(("constant", key.encode(), view_args(values, copies), None))
            continue
        columns: list[ViewArgs] = []
        bounds = np.zeros(1, dtype=np.int64)
        for column in (key, values):
            arrow = column.fill_null([]).cast(_STRINGS).to_arrow(compat_level=_NEWEST)
            if isinstance(arrow, pa.ChunkedArray):
                arrow = arrow.combine_chunks()
            bounds = np.asarray(arrow.offsets, dtype=np.int64)
            child = arrow.values.slice(int(bounds[0]), int(bounds[-1] - bounds[0]))
            if child.null_count:
                return None
            columns.append(view_args(child, copies))
        lists = (bounds - bounds[0]).astype("<i8").tobytes()
        args.append(("lists", lists, columns[0], columns[1]))
    list_offsets, keys, values = _native.concat_pairs(args, height)
    entries = int(np.frombuffer(list_offsets, "<i8")[-1])
    return (
        view_lists(list_offsets, from_view_out(keys, entries), height),
        view_lists(list_offsets, from_view_out(values, entries), height),
    )


def as_lists(flat: pl.Series, offsets: np.ndarray[Any, Any]) -> pl.Series:
    """A ``list<string>`` column: row ``i`` holds ``flat[offsets[i]:offsets[i + 1]]``.

    Examples
    --------
    >>> import numpy as np
    >>> import polars as pl
    >>> as_lists(pl.Series(["a", "b", "c"]), np.array([0, 2, 2, 3])).to_list()
    [['a', 'b'], [], ['c']]
    """
    values = flat.to_arrow(compat_level=_NEWEST)
    lists = pa.LargeListArray.from_arrays(pa.array(offsets, pa.int64()), values)
    return pl.Series(lists).cast(_STRINGS)
