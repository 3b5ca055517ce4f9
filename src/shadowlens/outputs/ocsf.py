"""OCSF 1.8.0 export: HTTP Activity (4002) and Network Activity (4001) as Parquet.

A record with a URL or a standard HTTP method becomes HTTP Activity, any other
Network Activity. The mapping (class, activity, enum captions) is read from the
pinned schema subset ``shadowlens/data/ocsf/ocsf-1.8.0-network.json`` (derived from
the Apache-2.0 OCSF schema, see the NOTICE beside it):

* ``activity_id``: 4002 from the method (Connect 1, Delete 2, Get 3, Head 4,
  Options 5, Post 6, Put 7, Trace 8, Patch 9; no method 0 Unknown; any other
  method 99 Other, with the method as ``activity_name`` and in ``unmapped``, as
  ``http_request.http_method`` only takes the enum's methods); 4001 is 5 Refuse
  when the record was blocked, else 6 Traffic. ``type_uid`` =
  ``class_uid * 100 + activity_id``; ``category_uid`` 4; ``time`` epoch ms.
* ``severity_id`` from the 0-10 severity: 0 -> 1 Informational, 1-3 -> 2 Low,
  4-6 -> 3 Medium, 7-8 -> 4 High, 9-10 -> 5 Critical, none -> 0 Unknown.
* ``action_id``/``disposition_id`` (``security_control`` profile): allowed 1/1,
  blocked 2/2, else 0/0. ``actor.user.name`` (``host`` profile) from the user.
* ``traffic.bytes_out`` is client -> server (our ``bytes_up``), ``bytes_in``
  server -> client; ``bytes`` the total.
* ``metadata.product`` is shadowlens; ``metadata.log_provider`` the device that
  logged the line (vendor and product), ``log_name`` its file, ``log_format`` our
  format name. Everything else (vendor extras, lineage, catalog facts, the
  vendor's action word) goes to ``unmapped`` (a ``map<string, string>``).

Records without an event time cannot fill the required ``time`` and are skipped
(counted as ``untimed``). Records with no endpoint at all (no IP and no host on
either side) cannot satisfy the classes' ``at_least_one(src_endpoint,
dst_endpoint)`` and are skipped (counted).
Output: ``<out>/class_uid=<uid>/date=<YYYY-MM-DD>/part-<n>.parquet`` (hive layout;
the date is the UTC day of ``time``), nested structs, zstd, written in bounded slices.

Examples
--------
>>> ocsf_schema()["ocsf_version"]
'1.8.0'
>>> sorted(http_methods().items())[:3]
[('CONNECT', 1), ('DELETE', 2), ('GET', 3)]
"""

from __future__ import annotations

import functools
import json
import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import polars as pl

from shadowlens import __version__
from shadowlens.outputs.partwriter import PartitionedWriter
from shadowlens.outputs.scan import record_slices
from shadowlens.outputs.traffic import BYTES_SUM, saturated
from shadowlens.parsers import normalize as nz

__all__ = [
    "HTTP_ACTIVITY",
    "NETWORK_ACTIVITY",
    "OCSF_VERSION",
    "OcsfResult",
    "export_ocsf",
    "http_methods",
    "ocsf_frames",
    "ocsf_schema",
]

SCHEMA_FILE = "ocsf-1.8.0-network.json"
OCSF_VERSION = "1.8.0"
HTTP_ACTIVITY = 4002
NETWORK_ACTIVITY = 4001
PROFILES = ("host", "security_control")

_URL = (
    r"^(?<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?:[^@/?#]*@)?(?<host>\[[^\]/]*\]|[^/:?#]*)"
    r"(?::(?<port>[0-9]{1,5}))?(?<path>/[^?#]*)?(?:\?(?<query>[^#]*))?"
)


@functools.cache
def ocsf_schema() -> dict[str, Any]:
    """The pinned OCSF subset (classes 4001/4002, their objects, enums, types)."""
    path = resources.files("shadowlens") / "data" / "ocsf" / SCHEMA_FILE
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _enum(class_uid: int, attribute: str) -> dict[int, str]:
    spec = ocsf_schema()["classes"][str(class_uid)]["attributes"][attribute]
    return {int(key): caption for key, caption in spec["enum"].items()}


def http_methods() -> dict[str, int]:
    """HTTP method -> HTTP Activity ``activity_id`` (from the schema's captions)."""
    return {
        caption.upper(): uid
        for uid, caption in _enum(HTTP_ACTIVITY, "activity_id").items()
        if uid not in (0, 99)
    }


def _s(name: str) -> pl.Expr:
    value = pl.col(name).cast(pl.String)
    return pl.when(value != "").then(value)


def _caption(ids: pl.Expr, class_uid: int, attribute: str) -> pl.Expr:
    return ids.replace_strict(_enum(class_uid, attribute), return_dtype=pl.String())


def _method() -> pl.Expr:
    """The upper-case method (a helper column added by :func:`ocsf_frames`)."""
    return pl.col("_m")


def is_http() -> pl.Expr:
    """True for records exported as HTTP Activity (after :func:`ocsf_frames`' helpers)."""
    return pl.col("_u").is_not_null() | pl.col("_m").is_in(list(http_methods())).fill_null(False)


def _classification(class_uid: int) -> list[pl.Expr]:
    action = _s("action")
    if class_uid == HTTP_ACTIVITY:
        activity = (
            pl.when(_method().is_null())
            .then(0)
            .otherwise(_method().replace_strict(http_methods(), default=99))
        )
    else:
        activity = pl.when(action == "blocked").then(5).otherwise(6)
    activity = activity.cast(pl.Int32)
    sev = pl.col("severity").cast(pl.Int32)
    severity = (
        pl.when(sev.is_null())
        .then(0)
        .when(sev == 0)
        .then(1)
        .when(sev <= 3)
        .then(2)
        .when(sev <= 6)
        .then(3)
        .when(sev <= 8)
        .then(4)
        .otherwise(5)
        .cast(pl.Int32)
    )
    verdict = pl.when(action == "allowed").then(1).when(action == "blocked").then(2).otherwise(0)
    verdict = verdict.cast(pl.Int32)
    names = ocsf_schema()["classes"][str(class_uid)]
    return [
        pl.col("event_time").dt.epoch("ms").alias("time"),
        pl.lit(class_uid, pl.Int32).alias("class_uid"),
        pl.lit(names["caption"]).alias("class_name"),
        pl.lit(names["category_uid"], pl.Int32).alias("category_uid"),
        pl.lit(names["category_name"]).alias("category_name"),
        activity.alias("activity_id"),
        pl.when(activity == 99)
        .then(_method())
        .otherwise(_caption(activity, class_uid, "activity_id"))
        .alias("activity_name"),
        (pl.lit(class_uid * 100, pl.Int64) + activity).alias("type_uid"),
        (pl.lit(f"{names['caption']}: ") + _caption(activity, class_uid, "activity_id")).alias(
            "type_name"
        ),
        severity.alias("severity_id"),
        _caption(severity, class_uid, "severity_id").alias("severity"),
        verdict.alias("action_id"),
        _caption(verdict, class_uid, "action_id").alias("action"),
        verdict.alias("disposition_id"),
        _caption(verdict, class_uid, "disposition_id").alias("disposition"),
    ]


def _port(expr: pl.Expr) -> pl.Expr:
    port = expr.cast(pl.Int32, strict=False)
    return pl.when(port.is_between(0, 65535)).then(port)


def _context() -> list[pl.Expr]:
    vendor, product = _s("observer_vendor"), _s("observer_product")
    provider = pl.concat_str([vendor, product], separator=" ", ignore_nulls=True)
    metadata = pl.struct(
        pl.lit(OCSF_VERSION).alias("version"),
        pl.struct(
            pl.lit("shadowlens").alias("name"),
            pl.lit("shadowlens").alias("vendor_name"),
            pl.lit(__version__).alias("version"),
        ).alias("product"),
        _s("source_file").alias("log_name"),
        pl.when(provider != "").then(provider).alias("log_provider"),
        _s("log_format").alias("log_format"),
        pl.concat_arr([pl.lit(p) for p in PROFILES]).arr.to_list().alias("profiles"),
    )
    src_ip, src_host = _s("src_ip"), _s("src_host")
    dst_ip, dst_host, dst_domain = _s("dst_ip"), _s("dst_host"), _s("dst_domain")
    # OCSF byte fields are signed 64-bit: values past 2^63 - 1 are capped, never wrapped.
    up, down = saturated(pl.col("bytes_up")), saturated(pl.col("bytes_down"))
    wide_sum = pl.col("bytes_up").cast(BYTES_SUM) + pl.col("bytes_down").cast(BYTES_SUM)
    total = saturated(pl.coalesce(pl.col("bytes_total").cast(BYTES_SUM), wide_sum))
    transport, user = _s("transport"), _s("user_name")
    return [
        metadata.alias("metadata"),
        pl.when(src_ip.is_not_null() | src_host.is_not_null())
        .then(
            pl.struct(
                src_ip.alias("ip"),
                _port(pl.col("src_port")).alias("port"),
                src_host.alias("hostname"),
            )
        )
        .alias("src_endpoint"),
        pl.when(dst_ip.is_not_null() | dst_host.is_not_null() | dst_domain.is_not_null())
        .then(
            pl.struct(
                dst_ip.alias("ip"),
                _port(pl.col("dst_port")).alias("port"),
                dst_host.alias("hostname"),
                dst_domain.alias("domain"),
            )
        )
        .alias("dst_endpoint"),
        pl.when(up.is_not_null() | down.is_not_null() | total.is_not_null())
        .then(pl.struct(down.alias("bytes_in"), up.alias("bytes_out"), total.alias("bytes")))
        .alias("traffic"),
        pl.when(transport.is_not_null())
        .then(
            pl.struct(transport.alias("protocol_name"), pl.lit(0, pl.Int32).alias("direction_id"))
        )
        .alias("connection_info"),
        _s("app_name").alias("app_name"),
        _s("app_protocol").alias("app_protocol_name"),
        pl.col("duration_ms").cast(pl.Int64).alias("duration"),
        pl.when(user.is_not_null())
        .then(pl.struct(pl.struct(user.alias("name")).alias("user")))
        .alias("actor"),
    ]


def _url_helpers() -> list[pl.Expr]:
    """URL parts, computed once per row before the HTTP columns use them."""
    url = pl.col("_u")
    parts = url.str.extract_groups(_URL)
    authority_port = url.str.extract(r"^[^:/?#\s]+:([0-9]{1,5})$", 1)
    return [
        parts.alias("_p"),
        pl.coalesce(nz.url_host(url), _s("dst_host")).alias("_host"),
        authority_port.alias("_aport"),
    ]


def _http() -> list[pl.Expr]:
    url, parts, method = pl.col("_u"), pl.col("_p"), _method()
    path = parts.struct.field("path")
    url_struct = pl.struct(
        url.alias("url_string"),
        parts.struct.field("scheme").str.to_lowercase().alias("scheme"),
        pl.col("_host").alias("hostname"),
        _s("dst_domain").alias("domain"),
        pl.when(path != "").then(path).alias("path"),
        _port(pl.coalesce(parts.struct.field("port"), pl.col("_aport"))).alias("port"),
        parts.struct.field("query").alias("query_string"),
    )
    status = pl.col("http_status").cast(pl.Int32)
    return [
        pl.struct(
            pl.when(method.is_in(list(http_methods()))).then(method).alias("http_method"),
            pl.when(url.is_not_null()).then(url_struct).alias("url"),
            _s("user_agent").alias("user_agent"),
        ).alias("http_request"),
        pl.when(status.is_not_null()).then(pl.struct(status.alias("code"))).alias("http_response"),
    ]


def _entries(extras: pl.Expr) -> pl.Expr:
    """Our leftover facts then the vendor extras, as ``{key, value}`` entries."""
    method = _method()
    ours = {
        "action_raw": _s("action_raw"),
        "observer_version": _s("observer_version"),
        "event_class": _s("event_class"),
        "event_name": _s("event_name"),
        "http_method": pl.when(~method.is_in(list(http_methods()))).then(method),
        "source_line": pl.col("source_line").cast(pl.String),
        "tz_assumed": pl.col("tz_assumed").cast(pl.String).str.to_lowercase(),
        "app_id": _s("app_id"),
        "app_category": _s("app_category"),
        "app_tags": pl.col("app_tags").list.join(";"),
        "app_risk": pl.col("app_risk").cast(pl.String),
        "match_type": _s("match_type"),
    }
    # concat_arr + list.filter: pl.concat_list is ~20x slower on struct columns (polars 2.1)
    entries = (
        pl.concat_arr(
            [
                pl.struct(pl.lit(key).alias("key"), value.alias("value"))
                for key, value in ours.items()
            ]
        )
        .arr.to_list()
        .list.filter(pl.element().struct.field("value").is_not_null())
    )
    return entries.list.concat(extras.fill_null(pl.lit([], dtype=entries_dtype())))


def _unmapped() -> pl.Expr:
    merged = pl.col("_e")
    return (
        pl.when(merged.list.len() > 0)
        .then(merged.cast(pl.Map(pl.String(), pl.String())))
        .alias("unmapped")
    )


def entries_dtype() -> pl.DataType:
    """The list-of-``{key, value}`` dtype ``extras`` and ``unmapped`` are built from."""
    return pl.List(pl.Struct({"key": pl.String(), "value": pl.String()}))


def ocsf_frames(records: pl.LazyFrame) -> dict[int, pl.LazyFrame]:
    """One lazy frame per class: the OCSF rows (nested structs) of ``records``.

    ``records`` must have every canonical column (see :mod:`shadowlens.schema`).
    Records without an event time or without any endpoint give no row.
    """
    extras_type = records.collect_schema()["extras"]
    extras = pl.col("extras")
    extras = extras.map.entries() if isinstance(extras_type, pl.Map) else extras
    extras = extras.cast(entries_dtype())
    has_endpoint = pl.any_horizontal(
        pl.col(c).is_not_null() for c in ("src_ip", "src_host", "dst_ip", "dst_host", "dst_domain")
    )
    # helper columns first: polars does not share sub-expressions inside when/then
    usable = (
        records.filter(has_endpoint & pl.col("event_time").is_not_null())
        .with_columns(_s("http_method").str.to_uppercase().alias("_m"), _s("url").alias("_u"))
        .with_columns(_entries(extras).alias("_e"))
    )
    common = [*_context(), _unmapped()]
    return {
        HTTP_ACTIVITY: usable.filter(is_http())
        .with_columns(_url_helpers())
        .select(*_classification(HTTP_ACTIVITY), *common, *_http()),
        NETWORK_ACTIVITY: usable.filter(~is_http()).select(
            *_classification(NETWORK_ACTIVITY), *common
        ),
    }


@dataclass(frozen=True)
class OcsfResult:
    """What :func:`export_ocsf` wrote: rows per class and records skipped.

    ``untimed`` counts the records skipped for having no event time, ``skipped``
    the others (no endpoint).
    """

    rows: dict[int, int]
    skipped: int
    files: tuple[Path, ...]
    untimed: int = 0


def export_ocsf(records: pl.LazyFrame, out_dir: Path, batch_rows: int = 100_000) -> OcsfResult:
    """Write the OCSF dataset under ``out_dir`` (``class_uid=<uid>/date=<day>/part-N.parquet``).

    Records are read ``batch_rows`` at a time (bounded memory). Earlier
    ``class_uid=4001``/``4002`` folders there are replaced.
    """
    for uid in (HTTP_ACTIVITY, NETWORK_ACTIVITY):
        shutil.rmtree(out_dir / f"class_uid={uid}", ignore_errors=True)
    day = pl.from_epoch(pl.col("time"), time_unit="ms").dt.strftime("%Y-%m-%d").alias("_day")
    total, slices = record_slices(records, batch_rows)
    rows = dict.fromkeys((HTTP_ACTIVITY, NETWORK_ACTIVITY), 0)
    untimed = 0
    with PartitionedWriter(out_dir) as writer:
        for part in slices:
            frames = ocsf_frames(part)
            *collected, nulls = pl.collect_all(
                [*frames.values(), part.select(pl.col("event_time").null_count())]
            )
            untimed += int(nulls.item())
            for uid, frame in zip(frames, collected, strict=True):
                rows[uid] += frame.height
                for (date,), piece in (
                    frame.with_columns(day)
                    .partition_by("_day", as_dict=True, include_key=False, maintain_order=True)
                    .items()
                ):
                    writer.write((f"class_uid={uid}", f"date={date}"), piece.to_arrow())
    skipped = total - sum(rows.values()) - untimed
    return OcsfResult(rows, skipped, tuple(writer.files), untimed)
