"""Vectorized building blocks every format's mapping shares.

All functions take and return polars expressions; none runs Python per row.

Examples
--------
>>> import polars as pl
>>> df = pl.DataFrame({"a": ["Permit", "DROP", "tcp_denied", "weird", None]})
>>> df.select(normalize_action(pl.col("a")))["a"].to_list()
['allowed', 'blocked', 'blocked', 'unknown', None]
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

_ALLOWED = (
    "allow",
    "allowed",
    "permit",
    "permitted",
    "accept",
    "accepted",
    "pass",
    "passed",
    "observed",
    "proxied",
    "success",
    "tcp_miss",
    "tcp_hit",
    "tcp_tunnel",
    "tcp_refresh_miss",
    "tcp_refresh_hit",
    "tcp_mem_hit",
    "tcp_nc_miss",
    "tcp_client_refresh_miss",
    # FortiGate traffic logs end allowed sessions with these; PAN-OS URL
    # filtering and IPS "alert" log and let the traffic through.
    "close",
    "timeout",
    "alert",
)
_BLOCKED = (
    "deny",
    "denied",
    "drop",
    "dropped",
    "reject",
    "rejected",
    "block",
    "blocked",
    "blocked-url",
    "reset-both",
    "reset-client",
    "reset-server",
    "tcp_denied",
    "tcp_denied_reply",
    "udp_denied",
    "failure",
    "prevent",
    "prevented",
    "quarantine",
)

#: Vendor action words (lower case) -> ``allowed`` / ``blocked``.
ACTION_WORDS: Mapping[str, str] = {
    **dict.fromkeys(_ALLOWED, "allowed"),
    **dict.fromkeys(_BLOCKED, "blocked"),
}

#: CEF/LEEF severity words -> 0..10 (the vendor buckets' upper values, "Unknown" -> 0).
SEVERITY_WORDS: Mapping[str, int] = {
    "unknown": 0,
    "low": 3,
    "medium": 6,
    "high": 8,
    "very-high": 10,
}


def normalize_action(expr: pl.Expr) -> pl.Expr:
    """``allowed``/``blocked``/``unknown`` from a vendor action word (null stays null).

    A Squid-style ``TCP_DENIED/403`` is judged by the part before ``/``.
    """
    word = expr.str.strip_chars().str.to_lowercase().str.split("/").list.first()
    return pl.when(expr.is_not_null()).then(
        word.replace_strict(ACTION_WORDS, default="unknown", return_dtype=pl.String())
    )


def severity(expr: pl.Expr) -> pl.Expr:
    """Severity 0-10 as UInt8 from a number or a word; anything else is null."""
    text = expr.str.strip_chars()
    number = text.cast(pl.Int64, strict=False)
    word = text.str.to_lowercase().replace_strict(
        SEVERITY_WORDS, default=None, return_dtype=pl.Int64()
    )
    value = pl.coalesce(number, word)
    return pl.when(value.is_between(0, 10)).then(value).otherwise(None).cast(pl.UInt8)


def to_uint(expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """Cast text to an unsigned integer type; out of range or not a number -> null."""
    return expr.str.strip_chars().cast(dtype, strict=False)


_URL_HOST = r"^[A-Za-z][A-Za-z0-9+.-]*://(?:[^@/?#]*@)?(\[[^\]/]*\]|[^/:?#\s]+)"


def url_host(expr: pl.Expr) -> pl.Expr:
    """The host of an absolute URL (``scheme://host...``), or of ``host:port`` (CONNECT).

    Examples
    --------
    >>> import polars as pl
    >>> s = pl.Series(["https://U:p@Files.Slack.com:443/x?a=b", "login.live.com:443", "/rel", None])
    >>> pl.select(url_host(pl.lit(s)))["literal"].to_list()
    ['files.slack.com', 'login.live.com', None, None]
    """
    absolute = expr.str.extract(_URL_HOST, 1)
    authority = expr.str.extract(
        r"^([A-Za-z0-9.-]+\.[A-Za-z]{2,}|\[[0-9A-Fa-f:.]+\]):[0-9]{1,5}$", 1
    )
    return clean_host(pl.coalesce(absolute, authority))


def clean_host(expr: pl.Expr) -> pl.Expr:
    """Lower-case a host name, drop a ``:port`` suffix, brackets and a trailing dot; ``-``/empty -> null."""
    host = (
        expr.str.strip_chars()
        .str.to_lowercase()
        .str.replace(r"^\[([0-9a-f:.]+)\](?::[0-9]+)?$", "$1")
        .str.replace(r"^([^:]+):[0-9]+$", "$1")
        .str.strip_suffix(".")
    )
    return pl.when(host.is_in(["", "-"])).then(None).otherwise(host)


def null_if_dash(expr: pl.Expr) -> pl.Expr:
    """Empty strings and the log convention ``-`` become null."""
    return pl.when(expr.is_in(["", "-"])).then(None).otherwise(expr)


# -- timestamps ----------------------------------------------------------------------

_ZONE_ABBREVIATIONS: Mapping[str, int] = {
    "z": 0,
    "ut": 0,
    "utc": 0,
    "gmt": 0,
    "wet": 0,
    "bst": 60,
    "cet": 60,
    "met": 60,
    "west": 60,
    "cest": 120,
    "eet": 120,
    "mest": 120,
    "eest": 180,
    "msk": 180,
    "ist": 330,
    "sgt": 480,
    "hkt": 480,
    "awst": 480,
    "jst": 540,
    "kst": 540,
    "aest": 600,
    "aedt": 660,
    "nzst": 720,
    "nzdt": 780,
    "est": -300,
    "edt": -240,
    "cst": -360,
    "cdt": -300,
    "mst": -420,
    "mdt": -360,
    "pst": -480,
    "pdt": -420,
    "akst": -540,
    "akdt": -480,
    "hst": -600,
}
# A zone at the end: ``Z`` glued to the time, or a separate abbreviation with an
# optional offset (``GMT+05:00``), or a numeric offset (``+05``, ``+0500``, ``+05:00``).
_ZONE_RE = (
    r"(?:(?P<z>[Zz])|\s+(?P<abbr>[A-Za-z]{1,5})(?P<aoff>[+-][0-9]{1,2}(?::?[0-9]{2})?)?"
    r"|\s*(?P<off>[+-][0-9]{2}(?::?[0-9]{2})?))$"
)

#: Text layouts tried in order (chrono strftime syntax, after the zone is cut off).
DEFAULT_LAYOUTS: tuple[str, ...] = (
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M",
    # Two-digit years first: chrono's %Y also reads "24" (as the year 24 AD).
    "%b %d %y %H:%M:%S",
    "%b %d %Y %H:%M:%S%.f",
    "%b %d %Y %H:%M:%S",
    "%d %B %Y %H:%M:%S",
    "%d/%b/%Y:%H:%M:%S",
    "%d/%b/%Y %H:%M:%S",
    "%d-%b-%Y %H:%M:%S",
)
#: Layouts without a year; the year is supplied (``ParseOptions.year`` or inferred).
YEARLESS_LAYOUTS: tuple[str, ...] = ("%b %d %H:%M:%S%.f", "%b %d %H:%M:%S")


def _offset_minutes(sign_hhmm: pl.Expr) -> pl.Expr:
    """Minutes east of UTC from ``+5``, ``+05``, ``+0530``, ``+05:30``."""
    digits = sign_hhmm.str.replace(":", "", literal=True)
    sign = pl.when(digits.str.starts_with("-")).then(-1).otherwise(1)
    body = digits.str.slice(1)
    hours = (
        pl.when(body.str.len_chars() <= 2)
        .then(body)
        .otherwise(body.str.head(-2))
        .cast(pl.Int32, strict=False)
    )
    minutes = (
        pl.when(body.str.len_chars() <= 2)
        .then(pl.lit("0"))
        .otherwise(body.str.tail(2))
        .cast(pl.Int32, strict=False)
    )
    return sign * (hours * 60 + minutes)


def parse_timestamp(
    frame: pl.DataFrame,
    source: str | pl.Expr,
    *,
    out: str = "event_time",
    assumed: str = "tz_assumed",
    tz: str = "UTC",
    year: int | None = None,
    layouts: Sequence[str] = DEFAULT_LAYOUTS,
    yearless_layouts: Sequence[str] = YEARLESS_LAYOUTS,
    epoch: bool = True,
    yearless_out: str | None = None,
) -> pl.DataFrame:
    """Add ``out`` (UTC datetime[us]) and ``assumed`` (bool) parsed from text ``source``.

    Logs usually write every time the same way: the texts one of the dated
    ``layouts`` reads exactly (no zone, no padding, not an epoch) are taken as
    they are, in ``tz``; only the others go through :func:`parse_timestamp_full`,
    which describes the accepted forms.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"t": ["1700000000000", "Nov 14 2023 22:13:20 GMT",
    ...     "2023-11-14T23:13:20+01:00", "2023-11-14 22:13:20", "nonsense"]})
    >>> parse_timestamp(df, "t").select(pl.col("event_time").dt.to_string("%FT%T%z"), "tz_assumed").rows()
    ... # doctest: +NORMALIZE_WHITESPACE
    [('2023-11-14T22:13:20+0000', False), ('2023-11-14T22:13:20+0000', False),
     ('2023-11-14T22:13:20+0000', False), ('2023-11-14T22:13:20+0000', True), (None, None)]
    """
    kw: dict[str, Any] = {
        "out": out, "assumed": assumed, "tz": tz, "year": year, "layouts": layouts,
        "yearless_layouts": yearless_layouts, "epoch": epoch, "yearless_out": yearless_out,
    }  # fmt: skip
    if not layouts or frame.height == 0:
        return parse_timestamp_full(frame, source, **kw)
    text = pl.col(source) if isinstance(source, str) else source
    quick = pl.coalesce(
        [text.str.strptime(pl.Datetime("us"), f, strict=False, exact=True) for f in layouts]
    )
    if epoch:  # an epoch text is read as an epoch even when a layout would read it
        quick = pl.when(~text.str.contains(r"^[0-9]{9,13}(?:\.[0-9]+)?$")).then(quick)
    probe = frame.select(quick.alias("q"), text.is_not_null().alias("given"))
    missed = probe.get_column("q").is_null() & probe.get_column("given")
    if missed.all():
        return parse_timestamp_full(frame, source, **kw)
    local = (
        probe.get_column("q")
        .to_frame("q")
        .select(
            pl.col("q")
            .dt.replace_time_zone(tz, ambiguous="earliest", non_existent="null")
            .dt.convert_time_zone("UTC")
        )
    )
    times = local.to_series().alias(out)
    flags = times.is_not_null().to_frame(assumed).select(pl.when(pl.col(assumed)).then(True))
    flag = flags.to_series().alias(assumed)
    extra = []
    if yearless_out is not None:
        extra.append(pl.repeat(False, frame.height, eager=True).alias(yearless_out))
    if missed.any():
        rows = missed.arg_true()
        rest = parse_timestamp_full(frame[rows], source, **kw)
        times = times.scatter(rows, rest.get_column(out))
        flag = flag.scatter(rows, rest.get_column(assumed))
        if yearless_out is not None:
            extra[0] = extra[0].scatter(rows, rest.get_column(yearless_out))
    return frame.with_columns(times, flag, *extra)


def parse_timestamp_full(
    frame: pl.DataFrame,
    source: str | pl.Expr,
    *,
    out: str = "event_time",
    assumed: str = "tz_assumed",
    tz: str = "UTC",
    year: int | None = None,
    layouts: Sequence[str] = DEFAULT_LAYOUTS,
    yearless_layouts: Sequence[str] = YEARLESS_LAYOUTS,
    epoch: bool = True,
    yearless_out: str | None = None,
) -> pl.DataFrame:
    """Add ``out`` (UTC datetime[us]) and ``assumed`` (bool) parsed from text ``source``.

    Accepts epoch seconds (10 digits) and milliseconds (13 digits, optional
    fraction) when ``epoch``, and the ``layouts`` with an optional zone suffix
    (``Z``, ``+05``, ``+0500``, ``+05:00``, ``UTC``/``GMT``/``EST``... and
    ``GMT+05:00``). A value without zone is read in ``tz`` and flagged as assumed.
    A value read by a yearless layout gets ``year``, else the current year, or the
    previous year when that would put it more than two days in the future;
    ``yearless_out`` names a bool column flagging those values.
    Works in stages of ``with_columns`` so the expression graph stays small.
    """
    p = f"__{out}_"
    text, zone, offset, body, naive = (
        pl.col(p + n) for n in ("text", "zone", "offset", "body", "naive")
    )
    source_expr = pl.col(source) if isinstance(source, str) else source
    frame = frame.with_columns(source_expr.str.strip_chars().alias(p + "text"))
    frame = frame.with_columns(text.str.extract_groups(_ZONE_RE).alias(p + "zone"))
    abbr_minutes = (
        zone.struct.field("abbr")
        .str.to_lowercase()
        .replace_strict(_ZONE_ABBREVIATIONS, default=None, return_dtype=pl.Int32())
    )
    frame = frame.with_columns(
        pl.coalesce(
            pl.when(zone.struct.field("z").is_not_null()).then(pl.lit(0, pl.Int32)),
            pl.when(abbr_minutes.is_not_null()).then(
                abbr_minutes
                + pl.coalesce(_offset_minutes(zone.struct.field("aoff")), pl.lit(0, pl.Int32))
            ),
            # A numeric offset follows a time (`10:00+01:00`, `T1000+0100`); without
            # one, `-26` ends a date (`2025-11-26`), not a zone.
            pl.when(text.str.contains(r"[:T]")).then(_offset_minutes(zone.struct.field("off"))),
        ).alias(p + "offset")
    )
    # Cut the zone only when it was understood; an unknown word stays and fails to parse.
    frame = frame.with_columns(
        pl.when(offset.is_not_null())
        .then(text.str.replace(_ZONE_RE, ""))
        .otherwise(text)
        .alias(p + "body")
    )
    full = (
        pl.coalesce(
            *(
                body.str.strptime(pl.Datetime("us"), layout, strict=False, exact=True)
                for layout in layouts
            )
        )
        if layouts
        else pl.lit(None, pl.Datetime("us"))
    )
    frame = frame.with_columns(full.alias(p + "naive"))
    if yearless_layouts:
        this_year = year or dt.datetime.now(dt.UTC).year
        with_year = pl.lit(f"{this_year} ") + body
        yearless = pl.coalesce(
            *(
                with_year.str.strptime(pl.Datetime("us"), f"%Y {layout}", strict=False, exact=True)
                for layout in yearless_layouts
            )
        )
        if year is None:
            # A yearless date in the future is from last year (December lines read in January).
            tomorrow = dt.datetime.now() + dt.timedelta(days=2)
            yearless = (
                pl.when(yearless > pl.lit(tomorrow))
                .then(yearless.dt.offset_by("-1y"))
                .otherwise(yearless)
            )
        if yearless_out is not None:
            frame = frame.with_columns(
                (naive.is_null() & yearless.is_not_null()).alias(p + "yearless")
            )
        frame = frame.with_columns(pl.coalesce(naive, yearless).alias(p + "naive"))
    aware = (
        pl.when(offset.is_not_null())
        .then((naive - pl.duration(minutes=offset)).dt.replace_time_zone("UTC"))
        .otherwise(
            naive.dt.replace_time_zone(
                tz, ambiguous="earliest", non_existent="null"
            ).dt.convert_time_zone("UTC")
        )
    )
    if epoch:
        # In microseconds, so the fraction is kept: `1616623591694.176` is .694176 s.
        fraction = text.str.extract(r"\.([0-9]+)$", 1)
        millis = pl.when(text.str.contains(r"^[0-9]{13}(?:\.[0-9]+)?$")).then(
            text.str.head(13).cast(pl.Int64, strict=False) * 1000
            + fraction.str.head(3).str.pad_end(3, "0").cast(pl.Int64, strict=False).fill_null(0)
        )
        seconds = pl.when(text.str.contains(r"^[0-9]{9,10}(?:\.[0-9]+)?$")).then(
            text.str.extract(r"^([0-9]{9,10})", 1).cast(pl.Int64, strict=False) * 1_000_000
            + fraction.str.head(6).str.pad_end(6, "0").cast(pl.Int64, strict=False).fill_null(0)
        )
        from_epoch = pl.from_epoch(
            pl.coalesce(millis, seconds), time_unit="us"
        ).dt.replace_time_zone("UTC")
        frame = frame.with_columns(from_epoch.alias(p + "epoch"))
        result = pl.coalesce(pl.col(p + "epoch"), aware)
        is_assumed = pl.col(p + "epoch").is_null() & offset.is_null()
    else:
        result = aware
        is_assumed = offset.is_null()
    frame = frame.with_columns(result.alias(out))
    frame = frame.with_columns(pl.when(pl.col(out).is_not_null()).then(is_assumed).alias(assumed))
    if yearless_out is not None:
        flag = pl.col(p + "yearless") if yearless_layouts else pl.lit(False)
        if epoch:
            flag = flag & pl.col(p + "epoch").is_null()
        frame = frame.with_columns((pl.col(out).is_not_null() & flag).alias(yearless_out))
    return frame.drop(c for c in frame.columns if c.startswith(p))


_JAVA_TOKENS = [
    ("yyyy", "%Y"),
    ("yy", "%y"),
    ("MMMM", "%B"),
    ("MMM", "%b"),
    ("MM", "%m"),
    ("M", "%-m"),
    ("dd", "%d"),
    ("d", "%-d"),
    ("HH", "%H"),
    ("H", "%-H"),
    ("hh", "%I"),
    ("h", "%-I"),
    ("mm", "%M"),
    ("m", "%-M"),
    ("ss", "%S"),
    ("s", "%-S"),
    ("SSS", "%3f"),
    ("a", "%p"),
    ("EEEE", "%A"),
    ("EEE", "%a"),
]


def java_to_strftime(pattern: str) -> tuple[str, bool]:
    """Translate a Java ``SimpleDateFormat`` pattern to (chrono layout, has_zone).

    Zone letters (``z``, ``Z``, ``X``) are dropped from the layout because
    :func:`parse_timestamp` cuts the zone off the value before parsing.

    Examples
    --------
    >>> java_to_strftime("MMM dd yyyy HH:mm:ss.SSS z")
    ('%b %d %Y %H:%M:%S%.3f', True)
    >>> java_to_strftime("yyyy-MM-dd'T'HH:mm:ss")
    ('%Y-%m-%dT%H:%M:%S', False)
    """
    out: list[str] = []
    has_zone = False
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "'":
            end = pattern.find("'", i + 1)
            end = len(pattern) if end < 0 else end
            out.append(pattern[i + 1 : end].replace("%", "%%") or "'")
            i = end + 1
            continue
        if ch in "zZX":
            has_zone = True
            while i < len(pattern) and pattern[i] == ch:
                i += 1
            while out and out[-1] == " ":
                out.pop()
            continue
        for token, repl in _JAVA_TOKENS:
            if pattern.startswith(token, i):
                if token == "SSS" and out and out[-1] == ".":
                    out[-1] = "%.3f"
                else:
                    out.append(repl.replace("%-", "%"))
                i += len(token)
                break
        else:
            out.append("%%" if ch == "%" else ch)
            i += 1
    return "".join(out), has_zone


_UNESCAPE_CACHE: dict[tuple[tuple[str, str], ...], tuple[list[str], list[str]]] = {}


def unescape(expr: pl.Expr, table: Mapping[str, str]) -> pl.Expr:
    """Replace escape sequences (e.g. ``{"\\\\=": "="}``) in one leftmost, non-overlapping pass.

    Aho-Corasick ``replace_many`` makes ``\\\\=`` read as an escaped backslash
    followed by ``=``, as the specs intend.
    """
    key = tuple(sorted(table.items()))
    if key not in _UNESCAPE_CACHE:
        _UNESCAPE_CACHE[key] = (list(table), list(table.values()))
    patterns, replacements = _UNESCAPE_CACHE[key]
    return expr.str.replace_many(patterns, replacements)


_V4 = r"(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_H = r"[0-9A-Fa-f]{1,4}"
#: RFC 4291 text forms: eight groups, ``::`` for one or more zero groups, and an
#: IPv4 address in place of the last two groups.
_V6 = "|".join(
    [
        rf"(?:{_H}:){{7}}{_H}",
        *(rf"(?:{_H}:){{{k}}}(?::{_H}){{1,{7 - k}}}" for k in range(1, 7)),
        rf"(?:{_H}:){{1,7}}:",
        rf":(?::{_H}){{1,7}}",
        "::",
        rf"(?:{_H}:){{6}}{_V4}",
        *(rf"(?:{_H}:){{{k}}}(?::{_H}){{0,{5 - k}}}:{_V4}" for k in range(6)),
        rf"::(?:{_H}:){{0,5}}{_V4}",
    ]
)
_IP = rf"^(?:{_V4}|{_V6})$"


def valid_ip(expr: pl.Expr) -> pl.Expr:
    """The value (lower case) when it is an IPv4 or IPv6 address in text form, else null.

    Examples
    --------
    >>> import polars as pl
    >>> s = pl.Series(["10.0.0.1", "2001:DB8::1", "::ffff:10.0.0.1", "00:00:03", "1.2.3.256"])
    >>> pl.select(valid_ip(pl.lit(s))).to_series().to_list()
    ['10.0.0.1', '2001:db8::1', '::ffff:10.0.0.1', None, None]
    """
    text = expr.str.strip_chars()
    return pl.when(text.str.contains(_IP)).then(text.str.to_lowercase()).otherwise(None)
