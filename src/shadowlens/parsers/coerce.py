"""Typing of raw field text: every type of the field table, in one place.

:func:`coerce` turns one candidate's raw text (a string Series, nulls where the
field is absent or a null token) into the column's type. A value that cannot be
typed becomes null; the mapping then keeps the raw text in ``extras``. Costly
types (addresses, hosts, URLs, words, timestamps) are computed once per distinct
value unless a sample shows the values are mostly distinct.

Examples
--------
>>> import polars as pl
>>> from shadowlens.spec.model import Alternative
>>> from shadowlens.spec.plan import Candidate
>>> cand = Candidate(Alternative(sources=("p",), type="port"), "p")
>>> coerce(pl.Series(["443", "70000", None]), cand, pl.UInt16()).value.to_list()
[443, None, None]
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from shadowlens.contract import ParseOptions
from shadowlens.errors import ErrorCode
from shadowlens.parsers import normalize as nz
from shadowlens.spec.plan import Candidate

#: Transport words and IANA protocol numbers -> canonical transport.
TRANSPORTS = {
    "tcp": "tcp", "udp": "udp", "icmp": "icmp", "ipv6-icmp": "ipv6-icmp", "icmpv6": "ipv6-icmp",
    "sctp": "sctp", "gre": "gre", "esp": "esp",
    "6": "tcp", "17": "udp", "1": "icmp", "58": "ipv6-icmp", "132": "sctp", "47": "gre", "50": "esp",
}  # fmt: skip
_TIME = pl.Datetime("us", "UTC")


@dataclass
class Typed:
    """A typed column of one candidate; timestamps also say if the zone or year was assumed."""

    value: pl.Series
    assumed: pl.Series | None = None
    yearless: pl.Series | None = None


def prepare(raw: pl.Series, cand: Candidate) -> pl.Series:
    """``extract``, ``replace``, then word ``map`` and ``patterns``: the text the type reads."""
    if not _has_text_steps(cand):
        return raw
    return per_distinct(raw, lambda e: _text_steps(e, cand))


def _has_text_steps(cand: Candidate) -> bool:
    alt = cand.alt
    return bool(alt.extract or alt.replace or alt.map or alt.patterns)


def _text_steps(expr: pl.Expr, cand: Candidate) -> pl.Expr:
    alt = cand.alt
    if alt.extract:
        expr = expr.str.extract(alt.extract, 1 if _groups(alt.extract) else 0)
    for old, new in alt.replace.items():
        expr = expr.str.replace_all(old, new, literal=True)
    if alt.map or alt.patterns:
        expr = _words(expr, cand)
    return expr


def _groups(pattern: str) -> int:
    import re

    return re.compile(pattern).groups


def _words(expr: pl.Expr, cand: Candidate) -> pl.Expr:
    """Map words (case-insensitive) and regex patterns; unmatched text stays as it is."""
    alt = cand.alt
    result: pl.Expr = expr
    if alt.patterns:
        for pattern, value in reversed(alt.patterns):
            result = pl.when(expr.str.contains(pattern)).then(pl.lit(value)).otherwise(result)
    if alt.map:
        lower = expr.str.strip_chars().str.to_lowercase()
        mapped = lower.replace_strict(alt.map, default=None, return_dtype=pl.String())
        result = pl.coalesce(mapped, result)
    return result


def coerce(
    raw: pl.Series,
    cand: Candidate,
    dtype: pl.DataType,
    options: ParseOptions | None = None,
    formats: pl.Series | None = None,
) -> Typed:
    """The typed value of ``raw`` for ``cand`` in ``dtype`` (see the module docstring)."""
    options = options or ParseOptions()
    alt = cand.alt
    kind = alt.type
    if kind == "timestamp":
        return _timestamps(prepare(raw, cand), cand, options, formats)
    if kind == "domain":
        value = _domains(prepare(raw, cand))
    elif kind == "url_host" and not _has_text_steps(cand) and alt.case is None:
        # A URL's host ends before its third '/': far fewer distinct texts than URLs.
        prefix = raw.str.extract(r"^[^/]*/?/?[^/]*", 0)
        value = per_distinct(prefix, lambda e: _typed_text(e, cand))
    elif kind in _KINDS or alt.accept is not None or alt.case is not None:
        # Every text step, the type and accept/case in one pass over the distinct values.
        value = per_distinct(raw, lambda e: _typed_text(e, cand), _OUT.get(kind, pl.String()))
    else:
        value = prepare(raw, cand)
    if kind in ("int", "float"):
        value = _number(value, kind, alt.scale, dtype)
    elif kind == "port":
        value = value.str.strip_chars().cast(pl.UInt16(), strict=False)
    if value.dtype != dtype:
        value = value.cast(dtype, strict=False)
    return Typed(value)


def _typed_text(expr: pl.Expr, cand: Candidate) -> pl.Expr:
    """Text steps, then the text type (ip, host, ...), ``accept`` and ``case``, as one expression."""
    alt = cand.alt
    if _has_text_steps(cand):
        expr = _text_steps(expr, cand)
    kind = alt.type
    if kind in _KINDS:
        expr = _KINDS[kind](expr)
    if alt.accept is not None:
        ip = nz.valid_ip(expr)
        expr = ip if alt.accept == "ip" else pl.when(ip.is_null()).then(expr)
    if alt.case == "upper":
        expr = expr.str.to_uppercase()
    elif alt.case == "lower":
        expr = expr.str.to_lowercase()
    return expr


def is_cheap(cand: Candidate) -> bool:
    """Whether the candidate types with a plain expression (no per-distinct work, no clock).

    Strings, URLs, numbers and ports without text steps, ``accept`` or ``case``
    type in one expression per row; everything else is computed once per
    distinct value (:func:`coerce`).
    """
    alt = cand.alt
    if alt.derive or alt.between or alt.formats_from or _has_text_steps(cand):
        return False
    if alt.accept is not None or alt.case is not None:
        return False
    return alt.type in ("string", "url", "int", "float", "port")


def cheap_expr(expr: pl.Expr, cand: Candidate, dtype: pl.DataType) -> pl.Expr:
    """The typed value of a text expression for a candidate that :func:`is_cheap`."""
    kind = cand.alt.type
    if kind in ("int", "float"):
        text = expr.str.strip_chars()
        if kind == "int" and cand.alt.scale is None:
            return text.cast(dtype, strict=False)
        number = text.cast(pl.Float64, strict=False)
        if cand.alt.scale is not None:
            number = number * cand.alt.scale
        if not dtype.is_integer():
            return number.cast(dtype, strict=False)
        low, high = _bounds(dtype)
        rounded = number.round(0)
        return pl.when(rounded.is_between(low, high)).then(rounded).cast(dtype)
    if kind == "port":
        return expr.str.strip_chars().cast(pl.UInt16(), strict=False)
    return expr if dtype == pl.String() else expr.cast(dtype, strict=False)


def _number(text: pl.Series, kind: str, scale: float | None, dtype: pl.DataType) -> pl.Series:
    stripped = text.str.strip_chars()
    if kind == "int" and scale is None:
        return stripped.cast(dtype, strict=False)
    number = stripped.cast(pl.Float64, strict=False)
    if scale is not None:
        number = number * scale
    if dtype.is_integer():
        number = number.round(0)
        low, high = _bounds(dtype)
        return (
            number.to_frame("n")
            .select(pl.when(pl.col("n").is_between(low, high)).then(pl.col("n")).cast(dtype))
            .to_series()
        )
    return number.cast(dtype, strict=False)


def _bounds(dtype: pl.DataType) -> tuple[int, int]:
    bits = {pl.UInt8: 8, pl.UInt16: 16, pl.UInt32: 32, pl.UInt64: 64}
    for kind, width in bits.items():
        if dtype == kind:
            return 0, 2**width - 1
    return -(2**63), 2**63 - 1


def _domains(text: pl.Series) -> pl.Series:
    """Registrable domains (Public Suffix List), looked up once per distinct host."""
    from shadowlens.enrich.match import _psl

    hosts = text.to_frame("v").select(nz.clean_host(pl.col("v"))).to_series()
    distinct = hosts.unique().drop_nulls()
    psl = _psl()
    domains = pl.Series([psl.privatesuffix(h) for h in distinct.to_list()], dtype=pl.String())
    return hosts.replace_strict(distinct, domains, default=None, return_dtype=pl.String())


def _transport(expr: pl.Expr) -> pl.Expr:
    word = expr.str.strip_chars().str.to_lowercase()
    return word.replace_strict(TRANSPORTS, default=None, return_dtype=pl.String())


_DURATION = (
    r"^(?:(?P<d>[0-9]+)d[: ]?)?(?P<h>[0-9]+):(?P<m>[0-5][0-9]):(?P<s>[0-5][0-9])"
    r"(?:\.(?P<f>[0-9]{1,6}))?$"
)


def _duration(expr: pl.Expr) -> pl.Expr:
    """``[Nd ]H:MM:SS[.f]`` (Cisco ``duration 0:01:05``) as whole milliseconds; else null.

    Examples
    --------
    >>> import polars as pl
    >>> texts = pl.Series("t", ["0:01:05", "1d 2:00:00.25", "5 s"])
    >>> texts.to_frame().select(_duration(pl.col("t"))).to_series().to_list()
    [65000, 93600250, None]
    """
    parts = expr.str.strip_chars().str.extract_groups(_DURATION)

    def part(name: str) -> pl.Expr:
        return parts.struct.field(name).cast(pl.Int64, strict=False)

    seconds = ((part("d").fill_null(0) * 24 + part("h")) * 60 + part("m")) * 60 + part("s")
    fraction = ("0." + parts.struct.field("f")).cast(pl.Float64, strict=False).fill_null(0.0)
    return seconds * 1000 + (fraction * 1000).round(0).cast(pl.Int64)


_KINDS: dict[str, Callable[[pl.Expr], pl.Expr]] = {
    "ip": nz.valid_ip,
    "host": nz.clean_host,
    "url_host": nz.url_host,
    "action": lambda e: nz.normalize_action(nz.null_if_dash(e)),
    "severity": nz.severity,
    "transport": _transport,
    "duration": _duration,
}
_OUT: dict[str, pl.DataType] = {"severity": pl.UInt8(), "duration": pl.Int64()}


def per_distinct(
    values: pl.Series, fn: Callable[[pl.Expr], pl.Expr], dtype: pl.DataType | None = None
) -> pl.Series:
    """``fn`` over ``values``, computed once per distinct value when values repeat.

    Examples
    --------
    >>> import polars as pl
    >>> per_distinct(pl.Series(["a", "a", None]), lambda e: e.str.to_uppercase()).to_list()
    ['A', 'A', None]
    """
    if values.len() == 0 or values.null_count() == values.len():
        return pl.Series(values.name, [None] * values.len(), dtype=dtype or pl.String())
    if mostly_distinct(values, share=0.9):
        return values.to_frame("v").select(fn(pl.col("v"))).to_series()
    distinct = values.unique().drop_nulls()
    if distinct.len() > values.len() // 2:  # mapping back would cost more than it saves
        return values.to_frame("v").select(fn(pl.col("v"))).to_series()
    mapped = distinct.to_frame("v").select(fn(pl.col("v"))).to_series()
    out_type = dtype or mapped.dtype
    return values.replace_strict(distinct, mapped, default=None, return_dtype=out_type)


def mostly_distinct(values: pl.Series, sample: int = 512, share: float = 0.5) -> bool:
    """Whether more than ``share`` of an evenly spread sample differ (timestamps with seconds).

    A sample overstates how distinct skewed values are (a few hosts make most of the
    traffic), so callers that can afford it check the whole column as well.
    """
    picked = values.gather_every(max(1, values.len() // sample)).drop_nulls()
    return picked.len() > 0 and picked.n_unique() > picked.len() * share


# -- timestamps ------------------------------------------------------------------------


def _timestamps(
    text: pl.Series, cand: Candidate, options: ParseOptions, formats: pl.Series | None
) -> Typed:
    """UTC times, ``assumed`` (no zone in the text and no ``tz`` in the spec) and ``yearless``."""
    tz = cand.alt.tz or options.tz
    if formats is not None and formats.null_count() < formats.len():
        return _by_format_column(text, cand, options, formats)
    frame = _parse_distinct(text, tz, options.year, cand.layouts, cand.yearless, cand.epoch)
    return _typed_time(frame, cand)


def _typed_time(frame: pl.DataFrame, cand: Candidate) -> Typed:
    assumed = frame.get_column("assumed")
    if cand.alt.tz is not None:
        assumed = (
            assumed.to_frame()
            .select(pl.when(pl.col("assumed").is_not_null()).then(pl.lit(False)))
            .to_series()
        )
    return Typed(frame.get_column("time"), assumed, frame.get_column("yearless"))


def _parse_distinct(
    text: pl.Series,
    tz: str,
    year: int | None,
    layouts: tuple[str, ...],
    yearless: tuple[str, ...],
    epoch: bool,
) -> pl.DataFrame:
    """``time``, ``assumed``, ``yearless`` per row, each distinct text parsed once."""
    parse = functools.partial(
        _parse_frame, tz=tz, year=year, layouts=layouts, yearless=yearless, epoch=epoch
    )
    if text.len() == 0 or mostly_distinct(text):
        return parse(text.to_frame("text")).drop("text")
    distinct = parse(text.unique().drop_nulls().to_frame("text"))
    return (
        text.to_frame("text")
        .join(distinct, on="text", how="left", maintain_order="left")
        .drop("text")
    )


def _parse_frame(
    frame: pl.DataFrame,
    *,
    tz: str,
    year: int | None,
    layouts: tuple[str, ...],
    yearless: tuple[str, ...],
    epoch: bool,
) -> pl.DataFrame:
    return nz.parse_timestamp(
        frame,
        "text",
        out="time",
        assumed="assumed",
        tz=tz,
        year=year,
        layouts=layouts,
        yearless_layouts=yearless,
        epoch=epoch,
        yearless_out="yearless",
    )


def _by_format_column(
    text: pl.Series, cand: Candidate, options: ParseOptions, formats: pl.Series
) -> Typed:
    """Times whose layout is given per row by another field (LEEF ``devTimeFormat``).

    Each distinct layout text is translated once (Java patterns when
    ``format_syntax = "java"``); a value it cannot read falls back to the
    candidate's own layouts.
    """
    tz = cand.alt.tz or options.tz
    frame = pl.DataFrame({"text": text, "fmt": formats.cast(pl.String())}).with_row_index("_i")
    parts = []
    for fmt in frame.get_column("fmt").unique().to_list():
        group = frame.filter(pl.col("fmt").eq_missing(fmt))
        if fmt:
            layout = nz.java_to_strftime(fmt)[0] if cand.alt.format_syntax == "java" else fmt
            dated = "%Y" in layout or "%y" in layout
            read = _parse_frame(
                group,
                tz=tz,
                year=options.year,
                layouts=(layout,) if dated else (),
                yearless=() if dated else (layout,),
                epoch=False,
            )
            parts.append(read.filter(pl.col("time").is_not_null()))
            group = read.filter(pl.col("time").is_null()).drop("time", "assumed", "yearless")
        parts.append(
            _parse_frame(
                group,
                tz=tz,
                year=options.year,
                layouts=cand.layouts,
                yearless=cand.yearless,
                epoch=cand.epoch,
            )
        )
    joined = pl.concat(parts, how="vertical_relaxed").sort("_i")
    return _typed_time(joined.select("time", "assumed", "yearless"), cand)


def time_between(
    start: pl.Series, end: pl.Series, cand: Candidate, options: ParseOptions, dtype: pl.DataType
) -> pl.Series:
    """Milliseconds from ``start`` to ``end`` (both typed with the candidate's layouts)."""
    both = start.is_not_null() & end.is_not_null()
    if not both.any():
        return pl.repeat(None, start.len(), dtype=dtype, eager=True)
    t0 = _timestamps(start, cand, options, None).value
    t1 = _timestamps(end, cand, options, None).value
    low, high = _bounds(dtype)
    diff = (t1 - t0).dt.total_milliseconds()
    return (
        diff.to_frame("d")
        .select(pl.when(pl.col("d").is_between(low, high)).then(pl.col("d")).cast(dtype))
        .to_series()
    )


# -- accepted time range ----------------------------------------------------------------


def check_time_range(records: pl.DataFrame, options: ParseOptions) -> pl.DataFrame:
    """Mark records whose ``event_time`` is outside ``options.time_range`` as errors.

    The row gets ``_error = "bad_timestamp"`` and an ``_error_message`` naming the
    year and the accepted range (an earlier ``_error`` of the row is kept), so the
    caller quarantines it. Both the fast path and the Lark reference path map
    their fields through the same table and then through this check: they agree.
    A null time (``untimed``) is not an error.

    Parameters
    ----------
    records
        Mapped records (``to_records`` output); unchanged without ``event_time``.
    options
        The run's options (:attr:`ParseOptions.time_range`).

    Returns
    -------
    pl.DataFrame
        ``records``, with ``_error``/``_error_message`` when a time is out of range.

    Examples
    --------
    >>> import datetime as dt
    >>> import polars as pl
    >>> t = [dt.datetime(1, 1, 1), dt.datetime(2024, 5, 1), None, dt.datetime(9999, 12, 31)]
    >>> frame = pl.DataFrame({"event_time": t}).with_columns(pl.col("event_time").dt.replace_time_zone("UTC"))
    >>> check_time_range(frame, ParseOptions())["_error"].to_list()
    ['bad_timestamp', None, None, 'bad_timestamp']
    """
    if "event_time" not in records.columns or records.height == 0:
        return records
    first, last = options.time_range
    year = pl.col("event_time").dt.year()
    outside = year.is_not_null() & ~year.is_between(first, last)
    if not records.select(outside.any()).item():
        return records
    message = pl.format(
        "event time in year {} is outside the accepted years {}-{} (time_range)",
        year,
        pl.lit(first),
        pl.lit(last),
    )
    had = "_error" in records.columns
    old_code = pl.col("_error") if had else pl.lit(None, pl.String())
    old_message = pl.col("_error_message") if had else pl.lit(None, pl.String())
    return records.with_columns(
        pl.when(old_code.is_null() & outside)
        .then(pl.lit(ErrorCode.BAD_TIMESTAMP.value))
        .otherwise(old_code)
        .alias("_error"),
        pl.when(old_code.is_null() & outside)
        .then(message)
        .otherwise(old_message)
        .alias("_error_message"),
    )
