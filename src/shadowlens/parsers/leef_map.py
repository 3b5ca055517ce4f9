"""LEEF parsed fields -> canonical columns (the mapping shared by the fast and Lark paths).

Which attribute fills which column, and why, is in docs/format-decisions.md
("LEEF"). In short: IBM's predefined keys first (``src``, ``dst``, ``srcPort``,
``dstPort``, ``usrName``, ``proto``, ``sev``, ``devTime``...), then a few keys
that vendors commonly use instead (``suser``, ``act``, ``request``...). When a
column has several candidate keys, the first present one fills it and every
later one that was present stays in ``extras``: nothing parsed is dropped.

Examples
--------
>>> CANDIDATES["action"]
('action', 'act', 'policyAction')
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import polars as pl

from shadowlens.errors import ErrorCode
from shadowlens.parsers import normalize as nz
from shadowlens.parsers.base import ParseOptions

SYSLOG_FIELDS = ("syslog_pri", "syslog_version", "syslog_time", "syslog_host", "syslog_tag")
HEADER_FIELDS = ("vendor", "product", "product_version", "event_id")
HEADER_ESCAPES = {"\\\\": "\\", "\\|": "|"}
#: LEEF:0 bodies are CEF extensions, whose values use CEF's escapes.
CEF_VALUE_ESCAPES = {"\\\\": "\\", "\\=": "=", "\\n": "\n", "\\r": "\r"}

#: Keys that fill one column each and never stay in ``extras`` (unless typing fails).
SINGLE_KEYS = ("devTime", "devTimeFormat", "src", "srcPort", "dst", "dstPort", "srcBytes",
               "dstBytes", "sev", "httpStatus", "name")  # fmt: skip
#: Column -> candidate keys, first present wins; later present ones stay in ``extras``.
CANDIDATES: dict[str, tuple[str, ...]] = {
    "user_name": ("usrName", "suser", "accountName"),
    "url": ("url", "request"),
    "http_method": ("requestMethod", "httpMethod"),
    "user_agent": ("userAgent", "requestClientApplication"),
    "proto": ("proto", "protocol"),
    "action": ("action", "act", "policyAction"),
    "dst_host": ("dhost", "dstHost"),
}
#: Fallbacks: used only when the main source is absent, else kept in ``extras``.
FALLBACK_KEYS = ("start", "totalBytes")
TRANSPORTS = {"tcp": "tcp", "udp": "udp", "icmp": "icmp", "ipv6-icmp": "ipv6-icmp", "sctp": "sctp",
              "6": "tcp", "17": "udp", "1": "icmp", "58": "ipv6-icmp", "132": "sctp"}  # fmt: skip
#: Prefix of the picked attribute columns (``url``, ``action`` are also canonical names).
ATTR = "@"
_STRINGS = pl.List(pl.String())
_TIME = pl.Datetime("us", "UTC")


class LeefMapping:
    """Vectorized mapping of one chunk's parsed fields (with picked key columns)."""

    picked: tuple[str, ...] = (
        *SINGLE_KEYS,
        *(k for keys in CANDIDATES.values() for k in keys),
        *FALLBACK_KEYS,
    )

    def __init__(
        self,
        options: ParseOptions,
        syslog_re: str,
        decode: Callable[[str | None], str | None],
    ) -> None:
        self.options = options
        self.syslog_re = syslog_re
        self.decode = decode

    @staticmethod
    def unescape_v0(column: str) -> pl.Expr:
        """CEF value escapes undone in LEEF:0 tokens (their keys hold no backslash)."""
        undo = pl.element().str.replace_many(
            list(CEF_VALUE_ESCAPES), list(CEF_VALUE_ESCAPES.values())
        )
        return (
            pl.when(pl.col("leef_version") == "0")
            .then(pl.col(column).list.eval(undo))
            .otherwise(pl.col(column))
            .alias(column)
        )

    def records(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Canonical columns plus ``_error``/``_error_message`` for ``frame``.

        ``frame`` holds the parsed fields (without ``pairs``) and the columns
        :func:`~shadowlens.parsers.kvpick.pick_pairs` made for :attr:`picked`.
        """
        frame = frame.rename({k: ATTR + k for k in self.picked})
        frame = frame.with_columns(
            _unescape(frame.get_column(f), HEADER_ESCAPES) for f in HEADER_FIELDS
        )
        frame = self._split_prefix(frame)
        frame = self._times(frame)
        fields = frame.get_column("delimiter").unique().to_list()
        bad = [f for f in fields if f and self.decode(f) is None]
        frame = frame.with_columns(_chosen())
        frame = frame.with_columns(url_host_column(frame.get_column("_c_url")))
        frame = frame.with_columns(_typed()).with_columns(_verdict(bad))
        frame = _append_extras(frame)
        return frame.select(
            "_row", *CANONICAL, "extras_keys", "extras_values", "_error", "_error_message"
        )

    def _split_prefix(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Syslog fields of the prefix token; what ``common.syslog`` leaves is ``syslog_rest``."""
        if frame.get_column("leef_prefix").null_count() == frame.height:
            return frame.with_columns(
                pl.lit(None, pl.String()).alias(f) for f in (*SYSLOG_FIELDS, "syslog_rest")
            )
        split = frame.select(pl.col("leef_prefix").str.extract_groups(self.syslog_re)).unnest(
            "leef_prefix"
        )
        rest = pl.col("leef_prefix").str.slice(pl.col("_sys").str.len_chars()).str.strip_chars(" ")
        return pl.concat([frame, split], how="horizontal").with_columns(
            *(nz.null_if_dash(pl.col(f)).alias(f) for f in SYSLOG_FIELDS),
            pl.when(rest != "").then(rest).alias("syslog_rest"),
        )

    def _times(self, frame: pl.DataFrame) -> pl.DataFrame:
        """``_t_*``/``_a_*`` for devTime (per distinct devTimeFormat), start, syslog time.

        Each source is parsed only for the rows the sources before it left without
        a time, and a custom format is tried before the default layouts.
        """
        kw: dict[str, Any] = {"tz": self.options.tz, "year": self.options.year}
        todo = frame.select(
            "_row",
            *(a(k).alias(k) for k in ("devTime", "devTimeFormat", "start")),
            "syslog_time",
        )
        results = []
        for source, key in (("dev", "devTime"), ("start", "start"), ("sys", "syslog_time")):
            rows = todo.filter(pl.col(key).is_not_null() & (pl.col(key) != ""))
            kw.update(out=f"_t_{source}", assumed=f"_a_{source}", epoch=source != "sys")
            found = (
                self._parse(rows, key, kw)
                if source == "dev"
                else nz.parse_timestamp(rows, key, **kw)
            )
            found = found.filter(pl.col(f"_t_{source}").is_not_null())
            results.append(found.select("_row", f"_t_{source}", f"_a_{source}"))
            todo = todo.join(found.select("_row"), on="_row", how="anti")
        for result in results:
            frame = frame.join(result, on="_row", how="left", maintain_order="left")
        return frame

    @staticmethod
    def _parse(rows: pl.DataFrame, key: str, kw: dict[str, Any]) -> pl.DataFrame:
        """devTime rows parsed per distinct devTimeFormat, custom layout first."""
        out = kw["out"]
        parsed = []
        for java in rows.get_column("devTimeFormat").unique().to_list():
            group = rows.filter(pl.col("devTimeFormat").eq_missing(java))
            if java:
                layout, _zone = nz.java_to_strftime(java)
                # chrono reads a layout without a year as year 1: those go through
                # the yearless route, which supplies (or infers) the year.
                dated = "%Y" in layout or "%y" in layout
                layouts = (layout,) if dated else nz.DEFAULT_LAYOUTS
                yearless = () if dated else (layout,)
                group = nz.parse_timestamp(
                    group, key, layouts=layouts, yearless_layouts=yearless, **kw
                )
                parsed.append(group.filter(pl.col(out).is_not_null()))
                group = group.filter(pl.col(out).is_null()).drop(out, kw["assumed"])
            parsed.append(nz.parse_timestamp(group, key, **kw))
        if not parsed:
            return rows.with_columns(
                pl.lit(None, _TIME).alias(out), pl.lit(None, pl.Boolean()).alias(kw["assumed"])
            )
        return pl.concat(parsed, how="vertical_relaxed")


def _unescape(values: pl.Series, table: dict[str, str]) -> pl.Series:
    if not values.str.contains("\\", literal=True).any():
        return values
    return values.str.replace_many(list(table), list(table.values()))


def a(key: str) -> pl.Expr:
    """The picked column of attribute ``key`` (prefixed: keys may clash with canonical names)."""
    return pl.col(ATTR + key)


def _present(key: str) -> pl.Expr:
    return a(key).is_not_null() & (a(key) != "")


def _chosen() -> list[pl.Expr]:
    """``_c_<column>``: the first present candidate key of each column in :data:`CANDIDATES`."""
    return [
        pl.coalesce(*(nz.null_if_dash(a(k)) for k in keys)).alias(f"_c_{col}")
        for col, keys in CANDIDATES.items()
    ]


def url_host_column(url: pl.Series) -> pl.Series:
    """``_url_host``: :func:`~shadowlens.parsers.normalize.url_host` of each URL, deduplicated.

    The host of any URL ends before its third ``/``, so the host is computed once
    per distinct text up to there: far fewer values than the URLs themselves.

    Examples
    --------
    >>> s = pl.Series(["https://A.example:443/x/y?q", "https://a.example:443/z", "h.example:8080", None])
    >>> url_host_column(s).to_list()
    ['a.example', 'a.example', 'h.example', None]
    """
    prefix = url.str.extract(r"^[^/]*/?/?[^/]*", 0).alias("_p")
    hosts = prefix.unique().to_frame().with_columns(nz.url_host(pl.col("_p")).alias("_url_host"))
    return prefix.to_frame().join(
        hosts, on="_p", how="left", maintain_order="left", nulls_equal=True
    )["_url_host"]


def _typed() -> list[pl.Expr]:
    """Canonical columns computed from the picked keys (and the chosen candidates)."""
    c = pl.col
    sources = ("dev", "start", "sys")
    chosen = {col: c(f"_c_{col}") for col in CANDIDATES}
    up, down = nz.to_uint(a("srcBytes"), pl.UInt64()), nz.to_uint(a("dstBytes"), pl.UInt64())
    proto = chosen["proto"].str.strip_chars().str.to_lowercase()
    transport = proto.replace_strict(TRANSPORTS, default=None, return_dtype=pl.String())
    return [
        pl.coalesce(*(c(f"_t_{s}") for s in sources)).alias("event_time"),
        pl.coalesce(
            *(pl.when(c(f"_t_{s}").is_not_null()).then(c(f"_a_{s}")) for s in sources)
        ).alias("tz_assumed"),
        nz.valid_ip(a("src")).alias("src_ip"),
        nz.to_uint(a("srcPort"), pl.UInt16()).alias("src_port"),
        chosen["user_name"].alias("user_name"),
        nz.valid_ip(a("dst")).alias("dst_ip"),
        nz.to_uint(a("dstPort"), pl.UInt16()).alias("dst_port"),
        pl.coalesce(nz.clean_host(chosen["dst_host"]), c("_url_host")).alias("dst_host"),
        chosen["url"].alias("url"),
        chosen["http_method"].str.to_uppercase().alias("http_method"),
        nz.to_uint(a("httpStatus"), pl.UInt16()).alias("http_status"),
        chosen["user_agent"].alias("user_agent"),
        transport.alias("transport"),
        pl.when(transport.is_null()).then(proto).alias("app_protocol"),
        up.alias("bytes_up"),
        down.alias("bytes_down"),
        pl.when(up.is_not_null() | down.is_not_null())
        .then(up.fill_null(0) + down.fill_null(0))
        .otherwise(nz.to_uint(a("totalBytes"), pl.UInt64()))
        .alias("bytes_total"),
        nz.normalize_action(chosen["action"]).alias("action"),
        chosen["action"].alias("action_raw"),
        c("vendor").alias("observer_vendor"),
        c("product").alias("observer_product"),
        c("product_version").alias("observer_version"),
        c("event_id").alias("event_class"),
        nz.null_if_dash(a("name")).alias("event_name"),
        nz.severity(a("sev")).alias("severity"),
        pl.lit("leef").alias("log_format"),
        (_present("devTime") & c("_t_dev").is_null()).alias("_dev_unread"),
    ]


#: Canonical columns :func:`_typed` produces, in output order.
CANONICAL = (
    "event_time", "tz_assumed", "src_ip", "src_port", "user_name", "dst_ip", "dst_port",
    "dst_host", "url", "http_method", "http_status", "user_agent", "transport", "app_protocol",
    "bytes_up", "bytes_down", "bytes_total", "action", "action_raw", "observer_vendor",
    "observer_product", "observer_version", "event_class", "event_name", "severity", "log_format",
)  # fmt: skip


def _extra_items() -> list[tuple[str, pl.Expr, pl.Expr]]:
    """(key, condition, value) of what ``extras`` gets beyond the unpicked attributes.

    Values that failed typing, candidate keys that lost to an earlier one, unused
    fallbacks, the prefix's syslog fields and the LEEF version and delimiter field.
    """
    c = pl.col
    typed = {"src": "src_ip", "dst": "dst_ip", "srcPort": "src_port", "dstPort": "dst_port",
             "srcBytes": "bytes_up", "dstBytes": "bytes_down", "httpStatus": "http_status",
             "sev": "severity"}  # fmt: skip
    items = [(k, _present(k) & c(col).is_null(), a(k)) for k, col in typed.items()]
    items += [
        ("devTime", c("_dev_unread"), a("devTime")),
        ("devTimeFormat", c("_dev_unread") & a("devTimeFormat").is_not_null(), a("devTimeFormat")),
    ]
    for keys in CANDIDATES.values():
        for i, key in enumerate(keys[1:], start=1):
            earlier = pl.any_horizontal(nz.null_if_dash(a(k)).is_not_null() for k in keys[:i])
            items.append((key, a(key).is_not_null() & earlier, a(key)))
    start_unused = c("_t_dev").is_not_null() | c("_t_start").is_null()
    items += [
        ("start", a("start").is_not_null() & start_unused, a("start")),
        ("totalBytes", a("totalBytes").is_not_null() & (c("bytes_up").is_not_null() | c("bytes_down").is_not_null()), a("totalBytes")),
        ("syslog_time", c("syslog_time").is_not_null() & c("_t_sys").is_null(), c("syslog_time")),
        *((f, c(f).is_not_null(), c(f)) for f in ("syslog_pri", "syslog_host", "syslog_tag", "syslog_rest")),
        ("leef_version", c("leef_version").is_not_null(), c("leef_version")),
        ("leef_delimiter", c("delimiter").is_not_null(), c("delimiter")),
    ]  # fmt: skip
    return items


def _append_extras(frame: pl.DataFrame) -> pl.DataFrame:
    """Unpicked attributes then :func:`_extra_items`, as ``extras_keys``/``extras_values``.

    Built in long form and grouped once: ``concat_list`` over dozens of mostly
    null columns is far slower in polars than filtering each column.
    """
    items = _extra_items()
    flags = frame.select("_row", *(cond.alias(f"_x{i}") for i, (_, cond, _) in enumerate(items)))
    values = frame.select(*(value.alias(f"_v{i}") for i, (_, _, value) in enumerate(items)))
    flags = pl.concat([flags, values], how="horizontal")
    long = [
        frame.select(
            "_row", pl.col("extras_keys").alias("key"), pl.col("extras_values").alias("value")
        )
        .explode("key", "value")
        .drop_nulls("key")
    ]
    long += [
        flags.filter(pl.col(f"_x{i}")).select(
            "_row", pl.lit(key).alias("key"), pl.col(f"_v{i}").alias("value")
        )
        for i, (key, _, _) in enumerate(items)
    ]
    lists = (
        pl.concat(long)
        .group_by("_row", maintain_order=True)
        .agg(pl.col("key").alias("extras_keys"), pl.col("value").alias("extras_values"))
    )
    empty = pl.lit([], _STRINGS)
    return (
        frame.drop("extras_keys", "extras_values")
        .join(lists, on="_row", how="left", maintain_order="left")
        .with_columns(
            pl.col("extras_keys").fill_null(empty), pl.col("extras_values").fill_null(empty)
        )
    )


def _verdict(bad_delimiters: list[str]) -> list[pl.Expr]:
    """``_error`` and ``_error_message``: bad delimiter, text before the attributes, time."""
    c = pl.col
    bad_delimiter = c("delimiter").is_in(bad_delimiters)
    no_time = c("event_time").is_null()
    dev_unread = c("_dev_unread")
    error = (
        pl.when(bad_delimiter).then(pl.lit(ErrorCode.BAD_DELIMITER.value))
        .when(c("junk").is_not_null()).then(pl.lit(ErrorCode.SYNTAX.value))
        .when(no_time & dev_unread).then(pl.lit(ErrorCode.BAD_TIMESTAMP.value))
        .when(no_time).then(pl.lit(ErrorCode.NO_TIMESTAMP.value))
    )  # fmt: skip
    message = (
        pl.when(bad_delimiter)
        .then(pl.format("cannot decode the LEEF 2.0 delimiter field '{}' (expected one "
                        "character, or x/0x and 1-4 hex digits)", c("delimiter")))
        .when(c("junk").is_not_null())
        .then(pl.format("text before the first key=value attribute: '{}'", c("junk").str.head(80)))
        .when(no_time & dev_unread)
        .then(pl.format("cannot read devTime '{}' (devTimeFormat '{}') and no other time",
                        a("devTime"), a("devTimeFormat").fill_null("")))
        .when(no_time)
        .then(pl.lit("no devTime or start attribute and no time in the prefix"))
    )  # fmt: skip
    return [error.alias("_error"), message.alias("_error_message")]
