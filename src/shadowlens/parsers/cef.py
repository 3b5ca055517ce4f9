"""CEF (ArcSight Common Event Format), plain or behind a syslog header.

The grammar is ``grammars/cef.lark``. The fast plan compiled from it:

* header: the ``syslog`` and ``header`` rules lowered into one anchored regex with
  a named group per field, run with ``str.extract_groups``;
* extension: the ``KV_PAIR`` terminal's regex run with ``str.extract_all``; a line
  is accepted only when the pairs cover the whole extension, so the fast path
  never guesses where Lark would fail.

Byte direction: CEF ``in`` (bytesIn) is data from source to destination, so it
is ``bytes_up``; ``out`` is ``bytes_down``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any, ClassVar

import polars as pl
from lark import Tree

from shadowlens.parsers import normalize as nz
from shadowlens.parsers.base import GrammarFormat
from shadowlens.parsers.fields import (
    EXTRAS_DTYPE,
    explode_pairs,
    extras_of,
    pick_keys,
    tokens_of,
    tree_fields,
    untyped_extras,
)
from shadowlens.parsers.grammar import rule_regex, terminal_regex
from shadowlens.plugins.hookspecs import hookimpl

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
KEY_PATTERN = r"[A-Za-z0-9_.,\[\]-]+"

#: Extension keys mapped to canonical columns (the rest go to ``extras``).
MAPPED_KEYS = (
    "rt", "start", "end", "src", "spt", "shost", "suser", "dst", "dpt", "dhost", "request",
    "requestMethod", "requestClientApplication", "outcome", "proto", "app", "in", "out", "act",
)

_DETECT = re.compile(r"(?:^|[\s>:])CEF: ?[0-9]+\|")


class CefFormat(GrammarFormat):
    """ArcSight CEF 0.x/1.x lines, with or without a syslog prefix."""

    name: ClassVar[str] = "cef"
    description: ClassVar[str] = "ArcSight Common Event Format (CEF:0 / CEF:1), optionally syslog-wrapped"
    grammar_file: ClassVar[str] = "cef.lark"
    fields_schema: ClassVar[dict[str, pl.DataType]] = {
        **dict.fromkeys(SYSLOG_FIELDS, pl.String()),
        **dict.fromkeys(HEADER_FIELDS, pl.String()),
        "pairs": pl.List(pl.String()),
    }

    @classmethod
    def detect(cls, sample: Sequence[str]) -> float:
        """Share of sample lines with a ``CEF:<n>|`` marker."""
        if not sample:
            return 0.0
        return sum(1 for line in sample if _DETECT.search(line)) / len(sample)

    @classmethod
    @functools.cache
    def plan(cls) -> tuple[str, str]:
        """(header regex, pair regex), compiled from the grammar once."""
        lark = cls.lark()
        head = rule_regex(lark, "syslog", capture=SYSLOG_FIELDS) + rule_regex(
            lark, "header", capture=HEADER_FIELDS
        )
        return f"^(?P<_head>{head})", terminal_regex(lark, "KV_PAIR")

    def fast_fields(self, lines: pl.DataFrame, state: Any) -> pl.DataFrame:
        """Header by one anchored regex, extension by ``extract_all`` + a coverage check."""
        head_re, pair_re = self.plan()
        parsed = lines.select(
            "_row",
            pl.col("line"),
            pl.col("line").str.extract_groups(head_re).alias("_m"),
        ).unnest("_m")
        ext = pl.col("line").str.slice(pl.col("_head").str.len_chars())
        parsed = parsed.filter(pl.col("_head").is_not_null()).with_columns(
            ext.str.extract_all(pair_re).alias("pairs"), ext.str.len_bytes().alias("_ext_len")
        )
        covered = pl.col("pairs").list.eval(pl.element().str.len_bytes()).list.sum().fill_null(0)
        return parsed.filter(covered == pl.col("_ext_len")).select(
            "_row", *SYSLOG_FIELDS, *HEADER_FIELDS, "pairs"
        )

    def tree_fields(self, tree: Tree[Any], line: str, state: Any) -> dict[str, Any]:
        """The same fields from the Lark tree."""
        fields = tree_fields(tree, (*SYSLOG_FIELDS, *HEADER_FIELDS))
        fields["pairs"] = tokens_of(tree, "extension", "KV_PAIR")
        return fields

    def to_records(self, fields: pl.DataFrame, state: Any) -> pl.DataFrame:
        """Canonical columns from parsed fields (shared by both paths)."""
        long = explode_pairs(fields, "pairs", KEY_PATTERN)
        wide = pick_keys(long, MAPPED_KEYS).with_columns(
            pl.col(k).str.replace_many(list(VALUE_ESCAPES), list(VALUE_ESCAPES.values())) for k in MAPPED_KEYS
        )
        extras = extras_of(long, MAPPED_KEYS, VALUE_ESCAPES)
        frame = (
            fields.drop("pairs")
            .join(wide, on="_row", how="left")
            .join(extras, on="_row", how="left")
            .with_columns(
                pl.col(f).str.replace_many(list(HEADER_ESCAPES), list(HEADER_ESCAPES.values()))
                for f in HEADER_FIELDS
            )
        )
        opts = self.options
        frame = frame.with_columns(pl.coalesce("rt", "start", "end").alias("_time_text"))
        frame = nz.parse_timestamp(frame, "_time_text", out="_time", assumed="_assumed", tz=opts.tz, year=opts.year)
        frame = nz.parse_timestamp(
            frame, "syslog_time", out="_sys_time", assumed="_sys_assumed", tz=opts.tz, year=opts.year, epoch=False
        )
        return frame.select("_row", *self._columns())

    def _columns(self) -> list[pl.Expr]:
        c = pl.col
        event_time = pl.coalesce(c("_time"), c("_sys_time"))
        tz_assumed = pl.when(c("_time").is_not_null()).then(c("_assumed")).otherwise(c("_sys_assumed"))
        bad_time = c("_time_text").is_not_null() & c("_time").is_null()

        src_ip, dst_ip = nz.valid_ip(c("src")), nz.valid_ip(c("dst"))
        src_port, dst_port = nz.to_uint(c("spt"), pl.UInt16()), nz.to_uint(c("dpt"), pl.UInt16())
        bytes_up, bytes_down = nz.to_uint(c("in"), pl.UInt64()), nz.to_uint(c("out"), pl.UInt64())
        status = nz.to_uint(c("outcome").str.extract(r"^\s*([1-5][0-9]{2})\s*$", 1), pl.UInt16())
        proto = c("proto").str.strip_chars().str.to_lowercase()
        transport = proto.replace({"6": "tcp", "17": "udp", "1": "icmp", "58": "ipv6-icmp"})
        syslog_extras = pl.concat_list(
            [
                pl.when(c(f).is_not_null()).then(pl.struct(pl.lit(f).alias("key"), c(f).alias("value")))
                for f in ("syslog_host", "syslog_tag", "syslog_pri")
            ]
        ).list.drop_nulls()
        untyped = untyped_extras(
            {
                "src": (c("src"), src_ip),
                "dst": (c("dst"), dst_ip),
                "spt": (c("spt"), src_port),
                "dpt": (c("dpt"), dst_port),
                "in": (c("in"), bytes_up),
                "out": (c("out"), bytes_down),
            }
        )
        extras = pl.concat_list(
            c("extras").fill_null(pl.lit([]).cast(EXTRAS_DTYPE)), untyped, syslog_extras
        )
        return [
            event_time.alias("event_time"),
            tz_assumed.alias("tz_assumed"),
            src_ip.alias("src_ip"),
            src_port.alias("src_port"),
            nz.null_if_dash(c("shost")).alias("src_host"),
            nz.null_if_dash(c("suser")).alias("user_name"),
            dst_ip.alias("dst_ip"),
            dst_port.alias("dst_port"),
            pl.coalesce(nz.clean_host(c("dhost")), nz.url_host(c("request"))).alias("dst_host"),
            nz.null_if_dash(c("request")).alias("url"),
            nz.null_if_dash(c("requestMethod")).str.to_uppercase().alias("http_method"),
            status.alias("http_status"),
            nz.null_if_dash(c("requestClientApplication")).alias("user_agent"),
            nz.null_if_dash(transport).alias("transport"),
            nz.null_if_dash(c("app").str.strip_chars().str.to_lowercase()).alias("app_protocol"),
            bytes_up.alias("bytes_up"),
            bytes_down.alias("bytes_down"),
            pl.when(bytes_up.is_not_null() | bytes_down.is_not_null())
            .then(bytes_up.fill_null(0) + bytes_down.fill_null(0))
            .alias("bytes_total"),
            nz.normalize_action(nz.null_if_dash(c("act"))).alias("action"),
            c("act").alias("action_raw"),
            c("device_vendor").alias("observer_vendor"),
            c("device_product").alias("observer_product"),
            c("device_version").alias("observer_version"),
            c("signature_id").alias("event_class"),
            c("name").alias("event_name"),
            nz.severity(c("severity")).alias("severity"),
            pl.lit("cef").alias("log_format"),
            extras.alias("extras"),
            pl.when(event_time.is_null())
            .then(pl.when(bad_time).then(pl.lit("bad_timestamp")).otherwise(pl.lit("no_timestamp")))
            .alias("_error"),
            pl.when(event_time.is_null())
            .then(
                pl.when(bad_time)
                .then(pl.format("cannot read the event time '{}'", c("_time_text")))
                .otherwise(pl.lit("no rt/start/end and no syslog time"))
            )
            .alias("_error_message"),
        ]


@hookimpl
def register_formats() -> list[type[GrammarFormat]]:
    """The built-in CEF format."""
    return [CefFormat]
