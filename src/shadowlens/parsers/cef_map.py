"""CEF parsed fields -> canonical columns (the mapping both parse paths share).

Everything here works on whole columns. Steps of :func:`map_cef`:

1. extension values: :func:`~shadowlens.parsers.kvpick.pick_pairs` (mapped keys
   as columns, the rest as extras, escapes undone);
2. header escapes, the syslog split of the prefix token, timestamps (each
   distinct text parsed once);
3. typed canonical columns, and extras for what typing could not keep.

Mapping (DESIGN.md section 4): ``src``/``spt``/``shost``/``suser`` -> source,
``dst``/``dpt``/``dhost`` (else the host of ``request``) -> destination,
``in`` -> ``bytes_up`` and ``out`` -> ``bytes_down`` (bytesIn is data from the
source to the destination), ``outcome`` -> ``http_status`` when it is a status
code, ``act`` -> ``action``, ``rt`` (else ``start``, ``end``, the prefix time)
-> ``event_time``, ``end - start`` -> ``duration_ms``. Decisions:
docs/format-decisions.md ("CEF").
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from shadowlens.errors import ErrorCode
from shadowlens.parsers import normalize as nz
from shadowlens.parsers.kvpick import concat_lists, pick_pairs

SYSLOG_FIELDS = ("syslog_pri", "syslog_version", "syslog_time", "syslog_host", "syslog_tag")
HEADER_FIELDS = (
    "cef_version",
    "device_vendor",
    "device_product",
    "device_version",
    "signature_id",
    "name",
    "severity",
)
#: Escapes defined by the CEF spec, per part of the line.
HEADER_ESCAPES = {"\\\\": "\\", "\\|": "|"}
VALUE_ESCAPES = {"\\\\": "\\", "\\=": "=", "\\n": "\n", "\\r": "\r"}

#: Extension keys read into canonical columns (the rest go to ``extras``).
MAPPED_KEYS = (
    "rt",
    "start",
    "end",
    "src",
    "spt",
    "shost",
    "suser",
    "dst",
    "dpt",
    "dhost",
    "request",
    "requestMethod",
    "requestClientApplication",
    "outcome",
    "proto",
    "app",
    "in",
    "out",
    "act",
)
#: Mapped keys that also stay in ``extras`` (their meaning is only partly mapped).
KEPT_KEYS = ("start", "end")
#: rt, start and end, then the time of the prefix: the first readable one wins.
TIME_KEYS = ("rt", "start", "end", "syslog_time")
#: The CEF spec's text forms (``MMM dd [yyyy] HH:mm:ss[.SSS]``; the zone is cut
#: off first) plus forms seen in the wild: 2-digit years (Zscaler templates),
#: ISO 8601 and day-first (Imperva). ``%.f`` also reads a time without a
#: fraction and ``%B`` reads abbreviated month names too, so one layout covers
#: several; 2-digit years come first because ``%Y`` would read ``24`` as 24 AD.
CEF_LAYOUTS = (
    "%B %d %y %H:%M:%S%.f",
    "%B %d %Y %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%d %B %Y %H:%M:%S%.f",
)
CEF_YEARLESS_LAYOUTS = ("%B %d %H:%M:%S%.f",)
_TYPED = {
    "src": "_src_ip",
    "dst": "_dst_ip",
    "spt": "_src_port",
    "dpt": "_dst_port",
    "in": "_bytes_up",
    "out": "_bytes_down",
    "outcome": "_status",
    "severity": "_severity",
}


def map_cef(
    fields: pl.DataFrame,
    *,
    syslog_regex: str,
    tz: str = "UTC",
    year: int | None = None,
    max_templates: int = 4,
) -> pl.DataFrame:
    """Canonical columns (plus ``_row``, ``_error``, ``_error_message``) from CEF fields.

    ``syslog_regex`` is ``common.syslog`` lowered with a group per syslog field
    and ``_sys`` around the whole match.
    """
    values = pick_pairs(
        fields,
        "pairs",
        MAPPED_KEYS,
        unescape=VALUE_ESCAPES,
        max_templates=max_templates,
        sample_rows=500,
    )
    frame = pl.concat([fields.drop("pairs"), values], how="horizontal")
    frame = frame.with_columns(
        _unescape(frame.get_column(f), HEADER_ESCAPES) for f in HEADER_FIELDS[1:]
    )
    frame = split_prefix(frame, syslog_regex)
    frame = parse_times(frame, tz=tz, year=year)
    frame = frame.with_columns(_dst_host(frame), *_typed_distinct(frame), *_typed())
    records = frame.select("_row", *_columns())
    more = frame.select(_more_extras())
    keys, vals = concat_lists(
        [
            (frame.get_column("extras_keys"), frame.get_column("extras_values")),
            *((name, more.get_column(name)) for name in more.columns),
        ],
        frame.height,
    )
    return records.with_columns(extras_keys=keys, extras_values=vals)


def split_prefix(frame: pl.DataFrame, syslog_regex: str) -> pl.DataFrame:
    """Syslog fields of ``cef_prefix``; what ``common.syslog`` leaves is ``syslog_rest``."""
    names = (*SYSLOG_FIELDS, "syslog_rest")
    if frame.get_column("cef_prefix").null_count() == frame.height:
        return frame.with_columns(pl.lit(None, pl.String()).alias(f) for f in names)
    prefix = frame.get_column("cef_prefix").to_frame()
    split = prefix.select(pl.col("cef_prefix").str.extract_groups(syslog_regex)).unnest(
        "cef_prefix"
    )
    rest = pl.col("cef_prefix").str.slice(pl.col("_sys").str.len_chars()).str.strip_chars(" ")
    split = pl.concat([prefix, split], how="horizontal").select(
        *(nz.null_if_dash(pl.col(f)).alias(f) for f in SYSLOG_FIELDS),
        pl.when(rest != "").then(rest).alias("syslog_rest"),
    )
    return pl.concat([frame, split], how="horizontal")


def parse_times(frame: pl.DataFrame, *, tz: str, year: int | None) -> pl.DataFrame:
    """Add ``_t_<key>`` (UTC) and ``_a_<key>`` (zone assumed) for each of :data:`TIME_KEYS`.

    Each distinct text is parsed once (timestamps repeat a lot in real logs),
    unless a sample shows that most texts differ: then every row is parsed, which
    saves finding the distinct texts and joining back. The prefix time is read
    only for rows whose extension has no readable time.
    """
    for key in TIME_KEYS:
        texts = frame.get_column(key).replace("", None)
        if key == "syslog_time":
            # Only needed where the extension gave no time (its result is unused elsewhere).
            found = frame.select(
                pl.any_horizontal(pl.col(f"_t_{k}").is_not_null() for k in TIME_KEYS[:3])
            )
            texts = texts.filter(~found.to_series())
        elif _mostly_distinct(texts):
            # Parsing every row is cheaper than finding the distinct texts and joining back.
            parsed = read_times(texts, tz=tz, year=year)
            frame = frame.with_columns(
                parsed.get_column("time").alias(f"_t_{key}"),
                parsed.get_column("assumed").alias(f"_a_{key}"),
            )
            continue
        parsed = read_times(texts.unique().drop_nulls(), tz=tz, year=year).rename(
            {"text": key, "time": f"_t_{key}", "assumed": f"_a_{key}"}
        )
        frame = frame.join(parsed, on=key, how="left", maintain_order="left")
    return frame


def _mostly_distinct(texts: pl.Series, sample: int = 512) -> bool:
    """Whether most texts in an evenly spread sample differ (timestamps with seconds, say)."""
    picked = texts.gather_every(max(1, texts.len() // sample)).drop_nulls()
    return picked.len() > 0 and picked.n_unique() > picked.len() // 2


def read_times(texts: pl.Series, *, tz: str = "UTC", year: int | None = None) -> pl.DataFrame:
    """``text``, ``time`` (UTC) and ``assumed`` for CEF time values (``rt``, prefix times).

    Epoch milliseconds or seconds, the layouts of :data:`CEF_LAYOUTS` (with or
    without year) and a zone suffix; a value without zone is read in ``tz``.

    Examples
    --------
    >>> import polars as pl
    >>> read_times(pl.Series(["1700000000000", "Nov 14 2023 23:13:20 +01:00"])).rows()
    ... # doctest: +NORMALIZE_WHITESPACE
    [('1700000000000', datetime.datetime(2023, 11, 14, 22, 13, 20, tzinfo=zoneinfo.ZoneInfo(key='UTC')), False),
     ('Nov 14 2023 23:13:20 +01:00', datetime.datetime(2023, 11, 14, 22, 13, 20, tzinfo=zoneinfo.ZoneInfo(key='UTC')), False)]
    """
    return nz.parse_timestamp(
        texts.cast(pl.String()).to_frame("text"),
        "text",
        out="time",
        assumed="assumed",
        tz=tz,
        year=year,
        layouts=CEF_LAYOUTS,
        yearless_layouts=CEF_YEARLESS_LAYOUTS,
    )


def _unescape(values: pl.Series, table: dict[str, str]) -> pl.Series:
    if not values.str.contains("\\", literal=True).any():
        return values
    return values.str.replace_many(list(table), list(table.values()))


def _dst_host(frame: pl.DataFrame) -> pl.Series:
    """``dhost`` cleaned, else the host of ``request``: computed once per distinct value."""
    host = _per_distinct(frame.get_column("dhost"), nz.clean_host)
    missing = host.is_null() & frame.get_column("request").is_not_null()
    if missing.any():
        where = missing.arg_true()
        from_url = _per_distinct(frame.get_column("request").gather(where), nz.url_host)
        host = host.scatter(where, from_url)
    return host.alias("_dst_host")


def _per_distinct(
    values: pl.Series, fn: Callable[[pl.Expr], pl.Expr], dtype: pl.DataType | None = None
) -> pl.Series:
    distinct = values.unique().drop_nulls()
    mapped = distinct.to_frame("v").select(fn(pl.col("v"))).to_series()
    return values.replace_strict(distinct, mapped, default=None, return_dtype=dtype or pl.String())


def _status(expr: pl.Expr) -> pl.Expr:
    return nz.to_uint(expr.str.extract(r"^ *([1-5][0-9]{2}) *$", 1), pl.UInt16())


#: Typed columns whose source repeats a lot (addresses, codes): computed once per
#: distinct value. (column, function, result type, output)
_DISTINCT: tuple[tuple[str, Callable[[pl.Expr], pl.Expr], pl.DataType, str], ...] = (
    ("src", nz.valid_ip, pl.String(), "_src_ip"),
    ("dst", nz.valid_ip, pl.String(), "_dst_ip"),
    ("outcome", _status, pl.UInt16(), "_status"),
    ("severity", nz.severity, pl.UInt8(), "_severity"),
)


def _typed_distinct(frame: pl.DataFrame) -> list[pl.Series]:
    return [
        _per_distinct(frame.get_column(name), fn, dtype).alias(out)
        for name, fn, dtype, out in _DISTINCT
    ]


def _typed() -> list[pl.Expr]:
    c = pl.col
    return [
        nz.to_uint(c("spt"), pl.UInt16()).alias("_src_port"),
        nz.to_uint(c("dpt"), pl.UInt16()).alias("_dst_port"),
        nz.to_uint(c("in"), pl.UInt64()).alias("_bytes_up"),
        nz.to_uint(c("out"), pl.UInt64()).alias("_bytes_down"),
    ]


def _unreadable_times() -> list[tuple[str, pl.Expr]]:
    c = pl.col
    return [(k, (c(k) != "") & c(f"_t_{k}").is_null()) for k in ("rt", "start", "end")]


def _columns() -> list[pl.Expr]:
    c = pl.col
    event_time = pl.coalesce(*(c(f"_t_{k}") for k in TIME_KEYS))
    tz_assumed = pl.coalesce(
        *(pl.when(c(f"_t_{k}").is_not_null()).then(c(f"_a_{k}")) for k in TIME_KEYS)
    )
    bad = _unreadable_times()
    duration = (c("_t_end") - c("_t_start")).dt.total_milliseconds()
    proto = c("proto").str.strip_chars().str.to_lowercase()
    transport = proto.replace({"6": "tcp", "17": "udp", "1": "icmp", "58": "ipv6-icmp"})
    no_time = pl.format(
        "no usable event time: {}",
        pl.coalesce(
            *(pl.when(cond).then(pl.format(f"cannot read {k}='{{}}'", c(k))) for k, cond in bad),
            pl.lit("no rt, start or end in the extension and no time in the prefix"),
        ),
    )
    up, down = c("_bytes_up"), c("_bytes_down")
    return [
        event_time.alias("event_time"),
        tz_assumed.alias("tz_assumed"),
        c("_src_ip").alias("src_ip"),
        c("_src_port").alias("src_port"),
        nz.null_if_dash(c("shost")).alias("src_host"),
        nz.null_if_dash(c("suser")).alias("user_name"),
        c("_dst_ip").alias("dst_ip"),
        c("_dst_port").alias("dst_port"),
        c("_dst_host").alias("dst_host"),
        nz.null_if_dash(c("request")).alias("url"),
        nz.null_if_dash(c("requestMethod")).str.to_uppercase().alias("http_method"),
        c("_status").alias("http_status"),
        nz.null_if_dash(c("requestClientApplication")).alias("user_agent"),
        nz.null_if_dash(transport).alias("transport"),
        nz.null_if_dash(c("app").str.strip_chars().str.to_lowercase()).alias("app_protocol"),
        up.alias("bytes_up"),
        down.alias("bytes_down"),
        # No total when the sum would not fit in 64 bits (instead of wrapping).
        pl.when(
            (up.is_not_null() | down.is_not_null())
            & (up.fill_null(0) <= pl.lit(2**64 - 1, pl.UInt64) - down.fill_null(0))
        )
        .then(up.fill_null(0) + down.fill_null(0))
        .alias("bytes_total"),
        pl.when(duration.is_between(0, 2**32 - 1))
        .then(duration)
        .cast(pl.UInt32)
        .alias("duration_ms"),
        nz.normalize_action(nz.null_if_dash(c("act"))).alias("action"),
        c("act").alias("action_raw"),
        c("device_vendor").alias("observer_vendor"),
        c("device_product").alias("observer_product"),
        c("device_version").alias("observer_version"),
        c("signature_id").alias("event_class"),
        c("name").alias("event_name"),
        c("_severity").alias("severity"),
        pl.lit("cef").alias("log_format"),
        pl.when(event_time.is_null())
        .then(
            pl.when(pl.any_horizontal(cond for _, cond in bad))
            .then(pl.lit(ErrorCode.BAD_TIMESTAMP.value))
            .otherwise(pl.lit(ErrorCode.NO_TIMESTAMP.value))
        )
        .alias("_error"),
        pl.when(event_time.is_null()).then(no_time).alias("_error_message"),
    ]


def _more_extras() -> list[pl.Expr]:
    """Extras beyond the extension, one column per key (null where there is no entry).

    Values that failed typing keep their raw text (``spt=70000``); ``start`` and
    ``end`` stay (only partly mapped); an unreadable ``rt`` stays; the prefix
    time stays unless it became the event time; the syslog fields and the CEF
    version are kept too.
    """
    c = pl.col
    failed = [
        pl.when((c(k).str.strip_chars() != "") & c(typed).is_null()).then(c(k)).alias(k)
        for k, typed in _TYPED.items()
    ]
    from_ext = pl.any_horizontal(c(f"_t_{k}").is_not_null() for k in ("rt", "start", "end"))
    rt_bad = dict(_unreadable_times())["rt"]
    return [
        *failed,
        pl.when(rt_bad).then(c("rt")).alias("rt"),
        *(c(k).alias(k) for k in KEPT_KEYS),
        pl.when(from_ext | c("_t_syslog_time").is_null())
        .then(c("syslog_time"))
        .alias("syslog_time"),
        *(c(f).alias(f) for f in ("syslog_pri", "syslog_host", "syslog_tag", "syslog_rest")),
        c("cef_version").alias("cef_version"),
    ]
