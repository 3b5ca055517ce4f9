"""Key=value pairs between delimiters, with a delimiter a line may declare (LEEF 2.0 and kin).

A *delimited pairs* block (:class:`~shadowlens.spec.plan.PairsPlan` without a
``token``) reads a region of the line:

1. the delimiter is the block's default, or the one the line declares in
   ``delimiter_field``, decoded by the grammar's delimiter rule (one literal
   character, or ``x``/``0x`` + 1-4 hex digits); an empty field means the
   default; a field that cannot be decoded leaves the line without pairs and
   :func:`delimiter_errors` quarantines it as ``bad_delimiter``;
2. the region is split at the delimiter; a piece that matches the grammar's pair
   rule (``key`` ``=`` ``value``) starts a pair, any other piece belongs to the
   value before it (the delimiter was part of that value);
3. keys lose the blanks around them, values lose trailing blanks and delimiters;
   text before the first pair is ``junk`` (quarantined as ``syntax``).

:func:`split_fast` does it over a whole chunk (one ``str.split`` per distinct
delimiter, long form only for the rows that need gluing); :func:`split_one` is
the reference, per line, used with the Lark parse. Property tests compare them.

Examples
--------
>>> import re
>>> pair = re.compile(r"[ \\t]*(?P<key>[^= \\t](?:[^=]*[^= \\t])?)[ \\t]*=(?P<value>.*)")
>>> split_one("a=1^^b=x=y^c^ d = 2 ^", "^", pair)
(['a=1', 'b=x=y^c', 'd= 2'], None)
"""

from __future__ import annotations

import re
from typing import Any

import polars as pl

from shadowlens.spec.plan import PairsPlan

_STRINGS = pl.List(pl.String())
_EMPTY = pl.lit([], _STRINGS)


def decode(field: str | None, plan: PairsPlan) -> str | None:
    """The delimiter a line declares, None when it cannot be decoded.

    Examples
    --------
    >>> from shadowlens.formats import builtin_spec
    >>> from shadowlens.spec.compiler import compile_spec
    >>> block = compile_spec(builtin_spec("leef")).pairs[0]
    >>> [decode(f, block) for f in (None, "", "^", "x5E", "0x7c", "X09", "xD800", "ab")]
    ['\\t', '\\t', '^', '^', '|', '\\t', None, None]
    """
    if not field:
        return plan.delimiter
    if plan.delimiter_regex is None:
        return None
    match = re.fullmatch(plan.delimiter_regex, field)
    if match is None:
        return None
    if match["delim_char"] is not None:
        char = str(match["delim_char"])
        return None if char == plan.separator else char
    code = int(match["hex_code"], 16)
    bad = 0xD800 <= code <= 0xDFFF or chr(code) == plan.separator
    return None if bad else chr(code)


def split_one(
    region: str | None, delimiter: str, pair: re.Pattern[str], separator: str = "="
) -> tuple[list[str], str | None]:
    """Reference split of one region: (``key<separator>value`` pairs, text before the first)."""
    if region is None:
        return [], None
    groups: list[list[Any]] = []
    for piece in region.split(delimiter):
        match = pair.fullmatch(piece)
        if match is not None:
            groups.append([match["key"], match["value"] or ""])
        elif groups:
            groups[-1][1] += delimiter + piece
        else:
            groups.append([None, piece])
    strip = " \t" + delimiter
    junk = None
    if groups and groups[0][0] is None:
        text = groups.pop(0)[1]
        junk = text.rstrip(strip) if text.strip(strip) else None
    return [f"{key}{separator}{value.rstrip(strip)}" for key, value in groups], junk


def split_fast(frame: pl.DataFrame, plan: PairsPlan, region: str = "_tail") -> pl.DataFrame:
    """``frame`` with ``pairs`` and ``junk`` from column ``region`` (then dropped).

    Filters (which copy every column) are skipped in the common case of one
    delimiter and only clean pieces in the whole chunk.
    """
    field = plan.delimiter_field
    if field is not None:
        codes = {f: decode(f, plan) for f in frame.get_column(field).unique().to_list()}
        decoded = pl.col(field).replace_strict(codes, default=None, return_dtype=pl.String())
    else:
        codes = {None: plan.delimiter}
        decoded = pl.lit(plan.delimiter)
    frame = frame.with_columns(decoded.alias("_d")).with_columns(
        (pl.col(region).is_not_null() & pl.col("_d").is_not_null()).alias("_todo")
    )
    nothing = pl.lit(None, pl.String()).alias("junk")
    parts = [frame.filter(~pl.col("_todo")).with_columns(_EMPTY.alias("pairs"), nothing)]
    todo = frame.filter("_todo") if parts[0].height else frame
    pair = re.compile(plan.pair_regex or "")
    for d in todo.get_column("_d").unique().drop_nulls().to_list():
        group = todo if len(codes) == 1 else todo.filter(pl.col("_d") == d)
        group = group.with_columns(pl.col(region).str.split(d).alias("pairs"))
        piece = pl.element()
        clean = piece.str.contains(plan.clean_regex or "^$") & ~(
            piece.str.ends_with(" ") | piece.str.ends_with("\t") | piece.str.ends_with(d)
        )
        ok = group.select(pl.col("pairs").list.eval(clean).list.all()).to_series()
        if ok.all():
            parts.append(group.with_columns(nothing))
            continue
        parts.append(group.filter(ok).with_columns(nothing))
        odd = group.filter(~ok)
        parts.append(odd.drop("pairs").join(_glue(odd, d, pair, plan), on="_row", how="left"))
    out = pl.concat([p.drop("_d", "_todo", region) for p in parts], how="diagonal_relaxed")
    return out.with_columns(pl.col("pairs").fill_null(_EMPTY))


def _glue(frame: pl.DataFrame, d: str, pair: re.Pattern[str], plan: PairsPlan) -> pl.DataFrame:
    """Vectorized :func:`split_one` for rows with pieces that need more than a split."""
    sep = plan.separator
    long = (
        frame.select("_row", "pairs")
        .with_columns(pl.int_ranges(pl.col("pairs").list.len()).alias("_pos"))
        .explode("pairs", "_pos")
        .with_columns(pl.col("pairs").str.splitn(sep, 2).alias("_kv"))
        .unnest("_kv")
    )
    names = long.filter(pl.col("field_1").is_not_null()).get_column("field_0").unique()
    valid = pl.col("field_1").is_not_null() & pl.col("field_0").is_in(
        [k for k in names.to_list() if pair.fullmatch(k + sep)]
    )
    long = long.with_columns(
        valid.cast(pl.UInt32).cum_sum().over("_row").alias("_grp")
    ).with_columns(
        pl.when(valid).then(pl.col("field_0").str.strip_chars(" \t")).alias("key"),
        pl.when(valid).then(pl.col("field_1")).otherwise(pl.col("pairs")).alias("value"),
    )
    strip = " \t" + d
    glued = long.group_by("_row", "_grp", maintain_order=True).agg(
        pl.col("key").first(),
        (pl.col("value").first() + (d + pl.col("pairs")).slice(1).str.join(""))
        .str.strip_chars_end(strip)
        .alias("value"),
    )
    lead = pl.col("key").is_null()
    return glued.group_by("_row", maintain_order=True).agg(
        (pl.col("key") + sep + pl.col("value")).drop_nulls().alias("pairs"),
        pl.col("value")
        .filter(lead & (pl.col("value").str.strip_chars(strip) != ""))
        .first()
        .alias("junk"),
    )
