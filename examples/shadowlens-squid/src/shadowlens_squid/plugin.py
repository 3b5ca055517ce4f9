"""Squid native ``access.log`` as a shadowlens format plugin.

Everything here uses shadowlens' public plugin API only: ``shadowlens``
(:class:`~shadowlens.GrammarFormat`, :data:`~shadowlens.hookimpl`),
``shadowlens.parsers.grammar`` (to compile the fast path from the grammar),
``shadowlens.parsers.fields`` and ``shadowlens.parsers.normalize``.

The three steps of a grammar format:

1. :meth:`SquidFormat.fast_fields`: the grammar's ``entry`` rule lowered into
   one anchored regex (a named group per column), run over the whole chunk with
   ``str.extract_groups``;
2. :meth:`SquidFormat.tree_fields`: the same columns from the Lark parse tree,
   for the lines the regex rejects (shadowlens quarantines what Lark rejects);
3. :meth:`SquidFormat.to_records`: one vectorized mapping to canonical columns.

Byte direction: the native format logs only ``%<st``, the bytes Squid sent to
the client, so ``bytes_down`` (and ``bytes_total``) are set and ``bytes_up`` is
null.

Examples
--------
>>> import polars as pl
>>> fmt = SquidFormat()
>>> line = "1461576382.642    161 127.0.0.1 TCP_MISS/200 103701 GET http://www.cnn.com/ - DIRECT/199.27.79.73 text/html"
>>> lines = pl.DataFrame({"line": [line], "source_line": [1], "source_offset": [0]},
...     schema={"line": pl.String, "source_line": pl.UInt64, "source_offset": pl.UInt64})
>>> record = fmt.parse(lines, fmt.new_state()).records.row(0, named=True)
>>> record["dst_host"], record["bytes_down"], record["action"], record["duration_ms"]
('www.cnn.com', 103701, 'allowed', 161)
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, ClassVar

import polars as pl
from lark import Tree

import shadowlens
from shadowlens.parsers import normalize as nz
from shadowlens.parsers.fields import tree_fields
from shadowlens.parsers.grammar import rule_regex

#: The grammar's sub-rules, one per column, in line order (``rest``: extra columns).
FIELDS = (
    "time",
    "elapsed",
    "client",
    "code",
    "status",
    "bytes",
    "method",
    "url",
    "user",
    "hierarchy",
    "peer",
    "mime_type",
    "rest",
)
#: Standard columns of the native format; extra ones are named ``column_11``, ...
STANDARD_COLUMNS = 10
#: Hierarchy codes whose peer is the origin server itself (so it is ``dst_ip``).
DIRECT = ("DIRECT", "HIER_DIRECT")
DEFAULT_PORTS = {"http": 80, "https": 443, "ftp": 21}

_EPOCH = r"^([0-9]{1,11})(?:\.([0-9]{1,9}))?$"
_SCHEME = r"^([A-Za-z][A-Za-z0-9+.-]*)://"
_URL_PORT = r"^[A-Za-z][A-Za-z0-9+.-]*://(?:[^@/?#]*@)?(?:\[[^\]/]*\]|[^/:?#]+):([0-9]+)"
_AUTHORITY = r"^(?:\[([0-9A-Fa-f:.]+)\]|([^/:\[\]]+)):([0-9]+)$"


class SquidFormat(shadowlens.GrammarFormat):
    """Squid native access.log (``logformat squid``)."""

    name: ClassVar[str] = "squid"
    description: ClassVar[str] = "Squid native access.log (logformat squid)"
    grammar_package: ClassVar[str] = "shadowlens_squid"
    grammar_file: ClassVar[str] = "squid.lark"
    fields_schema: ClassVar[dict[str, pl.DataType]] = dict.fromkeys(FIELDS, pl.String())

    @classmethod
    @functools.cache
    def plan(cls) -> str:
        """The fast-path regex, lowered once from the grammar's ``entry`` rule."""
        return "^" + rule_regex(cls.lark(), "entry", capture=FIELDS) + "$"

    @classmethod
    def detect(cls, sample: Sequence[str]) -> float:
        """Share of the sample the fast-path regex accepts."""
        if not sample:
            return 0.0
        hits = pl.Series(sample, dtype=pl.String()).str.contains(cls.plan()).sum()
        return float(hits) / len(sample)

    def fast_fields(self, lines: pl.DataFrame, state: Any) -> pl.DataFrame:
        """All columns by one anchored regex; lines it does not match go to Lark."""
        return (
            lines.select("_row", pl.col("line").str.extract_groups(self.plan()).alias("_m"))
            .unnest("_m")
            .filter(pl.col("time").is_not_null())
            .select("_row", *FIELDS)
        )

    def tree_fields(self, tree: Tree[Any], line: str, state: Any) -> dict[str, Any]:
        """The same columns from the Lark tree."""
        return tree_fields(tree, FIELDS)

    def to_records(self, fields: pl.DataFrame, state: Any) -> pl.DataFrame:
        """Canonical columns from the parsed columns (shared by both paths).

        Works in stages of ``with_columns`` so that each typed value is computed
        once and reused by its column and by ``extras``.
        """
        c = pl.col
        epoch = c("time").str.extract_groups(_EPOCH)
        seconds = epoch.struct.field("1").cast(pl.Int64, strict=False)
        micros = epoch.struct.field("2").str.head(6).str.pad_end(6, "0").cast(pl.Int64).fill_null(0)
        authority = c("url").str.extract_groups(_AUTHORITY)
        status = nz.to_uint(c("status"), pl.UInt16())
        frame = fields.with_columns(
            pl.from_epoch(seconds * 1_000_000 + micros, time_unit="us")
            .dt.replace_time_zone("UTC")
            .alias("_time"),
            c("url").str.extract(_SCHEME, 1).str.to_lowercase().alias("_scheme"),
            pl.coalesce(authority.struct.field("1"), authority.struct.field("2")).alias("_host"),
            pl.coalesce(c("url").str.extract(_URL_PORT, 1), authority.struct.field("3")).alias(
                "_port"
            ),
            c("code").str.to_uppercase().alias("_code"),
            pl.when(status.is_between(100, 599)).then(status).alias("_status"),
            nz.to_uint(c("bytes"), pl.UInt64()).alias("_bytes"),
            nz.to_uint(c("elapsed"), pl.UInt32()).alias("_elapsed"),
            pl.when(c("method") != "NONE").then(nz.null_if_dash(c("method"))).alias("_method"),
            nz.valid_ip(c("client")).alias("_src_ip"),
            pl.when(c("hierarchy").str.to_uppercase().is_in(DIRECT))
            .then(nz.valid_ip(c("peer")))
            .alias("_peer_ip"),
        )
        return frame.select("_row", *_columns(), *_extras())


def _columns() -> list[pl.Expr]:
    c = pl.col
    code, event_time = c("_code"), c("_time")
    default_port = c("_scheme").replace_strict(
        DEFAULT_PORTS, default=None, return_dtype=pl.UInt16()
    )
    dst_port = (
        pl.when(c("_port").is_not_null())
        .then(c("_port").cast(pl.UInt16, strict=False))
        .otherwise(default_port)
    )
    word = (
        pl.when(code.str.contains("DENIED"))
        .then(pl.lit("denied"))
        .when(code.str.contains(r"^(?:TCP|UDP)_"))
        .then(pl.lit("proxied"))
        .otherwise(c("code"))
    )
    transport = (
        pl.when(code.str.starts_with("TCP_"))
        .then(pl.lit("tcp"))
        .when(code.str.starts_with("UDP_"))
        .then(pl.lit("udp"))
    )
    return [
        event_time.alias("event_time"),
        pl.when(event_time.is_not_null()).then(pl.lit(False)).alias("tz_assumed"),
        c("_src_ip").alias("src_ip"),
        pl.when(c("_src_ip").is_null()).then(nz.clean_host(c("client"))).alias("src_host"),
        nz.null_if_dash(c("user")).alias("user_name"),
        pl.coalesce(c("_peer_ip"), nz.valid_ip(c("_host"))).alias("dst_ip"),
        dst_port.alias("dst_port"),
        nz.url_host(c("url")).alias("dst_host"),
        nz.null_if_dash(c("url")).alias("url"),
        c("_method").str.to_uppercase().alias("http_method"),
        c("_status").alias("http_status"),
        transport.alias("transport"),
        c("_scheme").alias("app_protocol"),
        c("_bytes").alias("bytes_down"),
        c("_bytes").alias("bytes_total"),
        c("_elapsed").alias("duration_ms"),
        nz.normalize_action(word).alias("action"),
        c("code").alias("action_raw"),
        pl.lit("Squid").alias("observer_vendor"),
        pl.lit("Squid").alias("observer_product"),
        pl.lit("squid").alias("log_format"),
        pl.when(event_time.is_null())
        .then(pl.lit(shadowlens.ErrorCode.BAD_TIMESTAMP.value))
        .alias("_error"),
        pl.when(event_time.is_null())
        .then(pl.format("cannot read the epoch time '{}'", c("time")))
        .alias("_error_message"),
    ]


def _extras() -> tuple[pl.Expr, pl.Expr]:
    """``extras`` as parallel key and value lists (much cheaper than a list of structs).

    Unmapped columns, then values that failed typing (raw kept, column null),
    then any extra trailing columns as ``column_11``, ``column_12``, ... The
    grammar guarantees that no value holds a space, so each list is built by
    joining with spaces and splitting once (an order of magnitude faster than
    ``concat_list`` over many columns).
    """
    c = pl.col

    def failed(raw: pl.Expr, typed: str) -> pl.Expr:
        return pl.when(raw.is_not_null() & (raw != "") & c(typed).is_null()).then(raw)

    items = {
        "hierarchy": c("hierarchy"),  # never null: every record has one
        "peer": pl.when(c("_peer_ip").is_null()).then(nz.null_if_dash(c("peer"))),
        "mime_type": nz.null_if_dash(c("mime_type")),
        "method": failed(nz.null_if_dash(c("method")), "_method"),
        "status": failed(c("status"), "_status"),
        "bytes": failed(c("bytes"), "_bytes"),
        "elapsed": failed(c("elapsed"), "_elapsed"),
    }
    rest = c("rest").str.extract_all(r"[^ ]+")
    rest_keys = rest.list.eval(
        pl.lit("column_") + (pl.int_range(pl.len()) + STANDARD_COLUMNS + 1).cast(pl.String)
    )
    keys = [pl.when(v.is_not_null()).then(pl.lit(k)) for k, v in items.items()]
    return (
        pl.concat_str([*keys, rest_keys.list.join(" ")], separator=" ", ignore_nulls=True)
        .str.split(" ")
        .alias("extras_keys"),
        pl.concat_str([*items.values(), rest.list.join(" ")], separator=" ", ignore_nulls=True)
        .str.split(" ")
        .alias("extras_values"),
    )


@shadowlens.hookimpl
def register_formats() -> list[type[shadowlens.LogFormat]]:
    """The Squid format."""
    return [SquidFormat]
