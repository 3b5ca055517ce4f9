"""The Shadow-IT report: aggregate an output folder into ``report.json`` and ``report.html``.

The input is what ``shadowlens run`` writes::

    out/
    ├── records/*.parquet      canonical records, enriched (RECORD_SCHEMA)
    ├── quarantine/*.parquet   lines that could not be parsed (QUARANTINE_SCHEMA)
    └── summary.json           line accounting per file and in total

Every figure is computed by polars on lazy scans of the Parquet files, so the
report scales to many millions of records; only the small aggregated tables are
turned into Python objects. Traffic is ``bytes_total`` when logged, else
``bytes_up + bytes_down``. Records without an event time (``untimed``) count in
every total; the time figures (timeline, first and last seen) leave them out.

Risk levels follow the catalog's 0-10 score (10 is the safest): ``high`` is 0-5
(Defender's "risky app" filters use scores below 6), ``medium`` 6-7, ``low``
8-10; catalogued apps without a score are ``not_assessed``, and traffic to no
catalogued app is ``uncatalogued``.

Examples
--------
>>> from shadowlens.outputs.report import write_report  # doctest: +SKIP
>>> paths = write_report("out")  # doctest: +SKIP
>>> sorted(p.name for p in paths)  # doctest: +SKIP
['report.html', 'report.json']
"""

from __future__ import annotations

import datetime as dt
import json
from importlib import metadata
from pathlib import Path
from typing import Any

import polars as pl

from shadowlens.outputs.report_html import render_html
from shadowlens.outputs.traffic import down_bytes, traffic_bytes, up_bytes

#: Version of the ``report.json`` layout; bump on incompatible changes.
REPORT_SCHEMA = "shadowlens.report/1"

#: Risk buckets in display order: (key, label, inclusive score range or None).
RISK_LEVELS: tuple[tuple[str, str, tuple[int, int] | None], ...] = (
    ("high", "High risk (0-5)", (0, 5)),
    ("medium", "Medium risk (6-7)", (6, 7)),
    ("low", "Low risk (8-10)", (8, 10)),
    ("not_assessed", "Not assessed", None),
    ("uncatalogued", "Uncatalogued", None),
)

_STRINGS = ("src_ip", "user_name", "dst_host", "dst_domain", "url", "user_agent", "action")
_APP_STRINGS = ("app_id", "app_name", "app_category")

# Int128 (outputs/traffic.py): uint64 sums wrap (2^64 - 1 plus 2 gave an upload of 1)
_UP = up_bytes()
_DOWN = down_bytes()
_TRAFFIC = traffic_bytes()
_COUNT_TRUE = pl.UInt64
_TIME = pl.Datetime("us", "UTC")


def _scan(folder: Path, columns: dict[str, pl.DataType]) -> pl.LazyFrame:
    """Lazily scan every Parquet file under ``folder`` (an empty frame when none)."""
    files = sorted(folder.rglob("*.parquet")) if folder.is_dir() else []
    if not files:
        return pl.LazyFrame(schema=columns)
    return pl.scan_parquet(files).select(
        [pl.col(name).cast(dtype) for name, dtype in columns.items()]
    )


def _records(out_dir: Path) -> pl.LazyFrame:
    columns: dict[str, pl.DataType] = {"event_time": _TIME}
    columns |= {name: pl.String() for name in (*_STRINGS, *_APP_STRINGS)}
    columns |= {"bytes_up": pl.UInt64(), "bytes_down": pl.UInt64(), "bytes_total": pl.UInt64()}
    columns |= {"app_tags": pl.List(pl.String()), "app_risk": pl.UInt8()}
    return _scan(out_dir / "records", columns).with_columns(
        _traffic=_TRAFFIC,
        _up=_UP,
        _down=_DOWN,
        _blocked=(pl.col("action") == "blocked").fill_null(False),
    )


def _usage() -> list[pl.Expr]:
    """Traffic and transaction aggregates shared by every grouping."""
    return [
        pl.col("_traffic").sum().alias("traffic"),
        pl.col("_up").sum().alias("upload"),
        pl.col("_down").sum().alias("download"),
        pl.len().alias("transactions"),
        pl.col("_blocked").sum().cast(_COUNT_TRUE).alias("blocked"),
    ]


def _distinct(column: str, alias: str) -> pl.Expr:
    return pl.col(column).drop_nulls().n_unique().alias(alias)


def _iso(value: Any) -> str | None:
    """ISO-8601 UTC text (``...Z``, whole seconds) for a datetime or date."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    return None


def _rows(frame: pl.DataFrame, times: tuple[str, ...] = ("last_seen",)) -> list[dict[str, Any]]:
    rows = frame.to_dicts()
    for row in rows:
        for key in times:
            if key in row:
                row[key] = _iso(row[key])
    return rows


def _queries(records: pl.LazyFrame, top: int) -> dict[str, pl.LazyFrame]:
    catalogued = records.filter(pl.col("app_id").is_not_null())
    uncatalogued = records.filter(pl.col("app_id").is_null())
    by_traffic = ["traffic", "transactions"]
    risk = pl.col("app_risk")
    bucket = (
        pl.when(pl.col("app_id").is_null())
        .then(pl.lit("uncatalogued"))
        .when(risk.is_null())
        .then(pl.lit("not_assessed"))
        .when(risk <= 5)
        .then(pl.lit("high"))
        .when(risk <= 7)
        .then(pl.lit("medium"))
        .otherwise(pl.lit("low"))
    )
    return {
        "totals": records.select(
            _distinct("app_id", "apps"),
            _distinct("user_name", "users"),
            _distinct("src_ip", "source_ips"),
            *_usage(),
            pl.col("app_id").is_not_null().sum().cast(_COUNT_TRUE).alias("catalogued"),
            pl.col("dst_domain")
            .filter(pl.col("app_id").is_null())
            .drop_nulls()
            .n_unique()
            # the long tail: registrable domains that matched no catalogued app
            .alias("uncatalogued_domains"),
            pl.col("event_time").min().alias("first_seen"),
            pl.col("event_time").max().alias("last_seen"),
        ),
        "apps": catalogued.group_by("app_id")
        .agg(
            pl.col("app_name").drop_nulls().first().alias("name"),
            pl.col("app_category").drop_nulls().first().alias("category"),
            pl.col("app_risk").drop_nulls().first().alias("risk"),
            pl.col("app_tags").drop_nulls().first().alias("tags"),
            *_usage(),
            _distinct("user_name", "users"),
            _distinct("src_ip", "ips"),
            pl.col("dst_domain").drop_nulls().unique().sort().head(10).alias("domains"),
            pl.col("event_time").max().alias("last_seen"),
        )
        .sort([*by_traffic, "app_id"], descending=[True, True, False]),
        "categories": catalogued.group_by(pl.col("app_category").alias("category"))
        .agg(_distinct("app_id", "apps"), *_usage(), _distinct("user_name", "users"))
        .sort([*by_traffic, "category"], descending=[True, True, False], nulls_last=True),
        "risk": records.group_by(bucket.alias("level")).agg(
            _distinct("app_id", "apps"), *_usage(), _distinct("user_name", "users")
        ),
        "users": records.filter(pl.col("user_name").is_not_null())
        .group_by(pl.col("user_name").alias("user"))
        .agg(*_usage(), _distinct("app_id", "apps"), pl.col("event_time").max().alias("last_seen"))
        .sort([*by_traffic, "user"], descending=[True, True, False])
        .head(top),
        "ips": records.filter(pl.col("src_ip").is_not_null())
        .group_by(pl.col("src_ip").alias("ip"))
        .agg(
            *_usage(),
            _distinct("app_id", "apps"),
            _distinct("user_name", "users"),
            pl.col("event_time").max().alias("last_seen"),
        )
        .sort([*by_traffic, "ip"], descending=[True, True, False])
        .head(top),
        "domains": uncatalogued.filter(pl.col("dst_domain").is_not_null())
        .group_by(pl.col("dst_domain").alias("domain"))
        .agg(
            *_usage(),
            _distinct("user_name", "users"),
            _distinct("src_ip", "ips"),
            _distinct("dst_host", "hosts"),
            pl.col("event_time").max().alias("last_seen"),
            # min, not first: deterministic whatever the scan order
            pl.col("url").min().str.slice(0, 300).alias("example_url"),
        )
        .sort([*by_traffic, "domain"], descending=[True, True, False])
        .head(top),
        "agents": records.filter(pl.col("user_agent").is_not_null())
        .group_by(pl.col("user_agent").alias("user_agent"))
        .agg(*_usage(), _distinct("user_name", "users"), _distinct("src_ip", "ips"))
        .sort(["transactions", "traffic", "user_agent"], descending=[True, True, False])
        .head(top),
        "timeline": records.filter(pl.col("event_time").is_not_null())
        .group_by(pl.col("event_time").dt.date().alias("date"))
        .agg(pl.len().alias("transactions"), pl.col("_traffic").sum().alias("traffic"))
        .sort("date"),
    }


def _risk_levels(frame: pl.DataFrame) -> list[dict[str, Any]]:
    found = {row["level"]: row for row in frame.to_dicts()}
    levels = []
    for key, label, scores in RISK_LEVELS:
        row = found.get(key, {})
        levels.append(
            {
                "level": key,
                "label": label,
                "scores": list(scores) if scores else None,
                "apps": row.get("apps", 0),
                "traffic": row.get("traffic", 0),
                "upload": row.get("upload", 0),
                "download": row.get("download", 0),
                "transactions": row.get("transactions", 0),
                "blocked": row.get("blocked", 0),
                "users": row.get("users", 0),
            }
        )
    return levels


def _totals(frame: pl.DataFrame) -> dict[str, Any]:
    row = frame.to_dicts()[0]
    first, last = row["first_seen"], row["last_seen"]
    days = (last.date() - first.date()).days + 1 if first and last else 0
    return {
        "apps": row["apps"],
        "users": row["users"],
        "source_ips": row["source_ips"],
        "transactions": row["transactions"],
        "blocked_transactions": row["blocked"],
        "catalogued_transactions": row["catalogued"],
        "uncatalogued_domains": row["uncatalogued_domains"],
        "traffic": {
            "upload": row["upload"] or 0,
            "download": row["download"] or 0,
            "total": row["traffic"] or 0,
        },
        "time_range": {"first": _iso(first), "last": _iso(last), "days": days},
    }


def _mapping(value: Any) -> dict[str, Any]:
    """``value`` when it is a JSON object, else an empty dict (tolerates odd summaries)."""
    return value if isinstance(value, dict) else {}


def _read_summary(out_dir: Path) -> dict[str, Any]:
    path = out_dir / "summary.json"
    if not path.is_file():
        return {}
    return _mapping(json.loads(path.read_text(encoding="utf-8")))


def _parse_quality(out_dir: Path, summary: dict[str, Any]) -> dict[str, Any]:
    quarantine = _scan(
        out_dir / "quarantine",
        {"source_file": pl.String(), "error_code": pl.String(), "error_message": pl.String()},
    )
    # counted from the records too, for an output folder without (or with an older) summary
    untimed = (
        _scan(out_dir / "records", {"source_file": pl.String(), "event_time": _TIME})
        .filter(pl.col("event_time").is_null())
        .group_by("source_file")
        .agg(pl.len().alias("untimed"))
    )
    by_code, by_file, untimed_by_file = pl.collect_all(
        [
            quarantine.group_by("error_code")
            .agg(
                pl.len().alias("count"),
                _distinct("source_file", "files"),
                pl.col("error_message").drop_nulls().first().str.slice(0, 200).alias("example"),
            )
            .sort(["count", "error_code"], descending=[True, False]),
            quarantine.group_by("source_file", "error_code").agg(pl.len().alias("count")),
            untimed,
        ]
    )
    untimed_counts: dict[str, int] = dict(untimed_by_file.iter_rows())
    codes_per_file: dict[str, dict[str, int]] = {}
    for row in by_file.sort("source_file", "error_code").to_dicts():
        codes_per_file.setdefault(row["source_file"], {})[row["error_code"]] = row["count"]
    accounting = _mapping(summary.get("files"))
    keys = ("lines", "records", "quarantined", "directives", "blank", "untimed", "year_assumed")
    files = []
    for name in sorted(set(accounting) | set(codes_per_file) | set(untimed_counts)):
        counts = _mapping(accounting.get(name))
        entry: dict[str, Any] = {"file": name}
        entry |= {key: counts.get(key) for key in keys}
        if entry["quarantined"] is None:
            entry["quarantined"] = sum(codes_per_file.get(name, {}).values())
        if entry["untimed"] is None:
            entry["untimed"] = untimed_counts.get(name, 0)
        entry["by_code"] = codes_per_file.get(name, {})
        files.append(entry)
    totals = {key: _mapping(summary.get("totals")).get(key) for key in keys}
    if totals["untimed"] is None:
        totals["untimed"] = sum(untimed_counts.values())
    return {
        "totals": totals,
        "quarantined": int(by_code["count"].sum()) if by_code.height else 0,
        "by_code": by_code.to_dicts(),
        "files": files,
    }


def _generator(summary: dict[str, Any], generated_at: dt.datetime | None) -> dict[str, Any]:
    try:
        version: str | None = metadata.version("shadowlens")
    except metadata.PackageNotFoundError:
        version = None
    info: dict[str, Any] = {
        "name": "shadowlens",
        "version": version,
        "report_schema": REPORT_SCHEMA,
        "generated_at": _iso(generated_at or dt.datetime.now(dt.UTC)),
    }
    catalog = summary.get("catalog")
    info["catalog_version"] = summary.get("catalog_version") or (
        catalog.get("version") if isinstance(catalog, dict) else None
    )
    if isinstance(summary.get("generator"), dict):
        info["run"] = summary["generator"]
    return info


def build_report(
    out_dir: str | Path, *, top: int = 100, generated_at: dt.datetime | None = None
) -> dict[str, Any]:
    """Aggregate an output folder into the report's data (JSON-serialisable).

    Parameters
    ----------
    out_dir
        Folder holding ``records/``, ``quarantine/`` and ``summary.json``;
        missing parts count as empty.
    top
        Maximum rows of the top users, source IPs, user agents and
        uncatalogued domains.
    generated_at
        Time stamped into the report (default: now, UTC).

    Returns
    -------
    dict
        Keys in a stable order: ``generator``, ``totals``, ``apps``,
        ``categories``, ``risk_levels``, ``top_users``, ``top_source_ips``,
        ``uncatalogued_domains``, ``top_user_agents``, ``timeline``,
        ``parse_quality``.
    """
    folder = Path(out_dir)
    summary = _read_summary(folder)
    queries = _queries(_records(folder), top)
    frames = dict(zip(queries, pl.collect_all(list(queries.values())), strict=True))
    apps = frames["apps"].with_columns(pl.col("tags").fill_null([]))
    return {
        "generator": _generator(summary, generated_at),
        "totals": _totals(frames["totals"]),
        "apps": _rows(apps),
        "categories": _rows(frames["categories"]),
        "risk_levels": _risk_levels(frames["risk"]),
        "top_users": _rows(frames["users"]),
        "top_source_ips": _rows(frames["ips"]),
        "uncatalogued_domains": _rows(frames["domains"]),
        "top_user_agents": _rows(frames["agents"]),
        "timeline": _rows(frames["timeline"], times=("date",)),
        "parse_quality": _parse_quality(folder, summary),
    }


def write_report(
    out_dir: str | Path, *, top: int = 100, generated_at: dt.datetime | None = None
) -> tuple[Path, Path]:
    """Build the report and write ``report.json`` and ``report.html`` into ``out_dir``.

    Parameters
    ----------
    out_dir
        The output folder of a run (see :func:`build_report`).
    top, generated_at
        Passed to :func:`build_report`.

    Returns
    -------
    tuple of Path
        The JSON and HTML files written.
    """
    folder = Path(out_dir)
    report = build_report(folder, top=top, generated_at=generated_at)
    json_path, html_path = folder / "report.json", folder / "report.html"
    json_path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    html_path.write_text(render_html(report), encoding="utf-8")
    return json_path, html_path
