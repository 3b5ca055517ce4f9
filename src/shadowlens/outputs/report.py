"""The Shadow-IT report: aggregate an output folder into ``report.json`` and ``report.html``.

The input is what ``shadowlens run`` writes::

    out/
    ├── records/*.parquet      canonical records, enriched (RECORD_SCHEMA)
    ├── quarantine/*.parquet   lines that could not be parsed (QUARANTINE_SCHEMA)
    └── summary.json           line accounting per file and in total

Every figure is computed by polars' streaming engine on lazy scans of the
Parquet files, so memory follows the number of distinct users, apps and
(user, app) pairs, never the number of records; only the aggregated tables are
turned into Python objects. Traffic is ``bytes_total`` when logged, else
``bytes_up + bytes_down``. Records without an event time (``untimed``) count in
every total; the time figures (timeline, first and last seen) leave them out.
The timeline is per hour when the logs span less than three days, else per day.

Risk levels follow the catalog's 0-10 score (10 is the safest): ``high`` is 0-5
(Defender's "risky app" filters use scores below 6), ``medium`` 6-7, ``low``
8-10; catalogued apps without a score are ``not_assessed``, and traffic to no
catalogued app is ``uncatalogued``. An app's status comes from its tags:
``unsanctioned``, else ``sanctioned``, else ``monitored``, else ``unreviewed``.

``docs/report.md`` documents every key of ``report.json``.

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
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import polars as pl

from shadowlens.errors import ConfigError, InputError
from shadowlens.outputs.report_html import render_html
from shadowlens.outputs.traffic import down_bytes, traffic_bytes, up_bytes

#: Version of the ``report.json`` layout; bump on incompatible changes.
REPORT_SCHEMA = "shadowlens.report/2"

#: Risk buckets in display order: (key, label, inclusive score range or None).
RISK_LEVELS: tuple[tuple[str, str, tuple[int, int] | None], ...] = (
    ("high", "High risk (0-5)", (0, 5)),
    ("medium", "Medium risk (6-7)", (6, 7)),
    ("low", "Low risk (8-10)", (8, 10)),
    ("not_assessed", "Not assessed", None),
    ("uncatalogued", "Uncatalogued", None),
)

#: App statuses in display order (from the tags of the app; no tag is ``unreviewed``).
STATUSES: tuple[str, ...] = ("sanctioned", "unsanctioned", "monitored", "unreviewed")

#: Logs spanning less than this get an hourly timeline instead of a daily one.
HOURLY_SPAN = dt.timedelta(days=3)

#: Rows per drill-down: users and source IPs of an app.
DRILL_USERS, DRILL_IPS = 25, 10
#: Apps per user in the user drill-down: at most ``USER_APPS``, fewer when there
#: are so many users that ``USER_APPS_BUDGET`` (user, app) rows would be passed.
USER_APPS, USER_APPS_MIN, USER_APPS_BUDGET = 10, 3, 300_000
#: Rows of each findings list.
FINDINGS = 10

_STRINGS = (
    "src_ip",
    "user_name",
    "dst_host",
    "dst_domain",
    "dst_ip",
    "url",
    "user_agent",
    "action",
)
_APP_STRINGS = ("app_id", "app_name", "app_category")
_APP_COLUMNS = (*_APP_STRINGS, "app_tags", "app_risk", "match_type")

# Int128 (outputs/traffic.py): uint64 sums wrap (2^64 - 1 plus 2 gave an upload of 1)
_UP = up_bytes()
_DOWN = down_bytes()
_TRAFFIC = traffic_bytes()
_COUNT_TRUE = pl.UInt64
_TIME = pl.Datetime("us", "UTC")
#: How every query runs: streamed, and without common-subplan elimination, which
#: would cache a scan that two branches of a query share (all the records).
_STREAMING: dict[str, Any] = {
    "engine": "streaming",
    "optimizations": pl.QueryOptFlags(comm_subplan_elim=False),
}


def _scan(folder: Path, columns: dict[str, pl.DataType]) -> pl.LazyFrame:
    """Lazily scan every Parquet file under ``folder`` (an empty frame when none)."""
    files = sorted(folder.rglob("*.parquet")) if folder.is_dir() else []
    if not files:
        return pl.LazyFrame(schema=columns)
    return pl.scan_parquet(files, missing_columns="insert").select(
        [pl.col(name).cast(dtype) for name, dtype in columns.items()]
    )


def _status() -> pl.Expr:
    """The app's status from its tags (case-insensitive); null for uncatalogued traffic."""
    tags = pl.col("app_tags").list.eval(pl.element().str.to_lowercase())
    return (
        pl.when(pl.col("app_id").is_null())
        .then(pl.lit(None, pl.String))
        .when(tags.list.contains("unsanctioned"))
        .then(pl.lit("unsanctioned"))
        .when(tags.list.contains("sanctioned"))
        .then(pl.lit("sanctioned"))
        .when(tags.list.contains("monitored"))
        .then(pl.lit("monitored"))
        .otherwise(pl.lit("unreviewed"))
    )


def _records(out_dir: Path, catalog: Any = None) -> pl.LazyFrame:
    """The records of ``out_dir`` with the helper columns every query uses.

    ``catalog`` (a :class:`~shadowlens.enrich.Catalog`) re-applies enrichment to
    the saved records: their app columns are replaced, nothing is parsed again.
    """
    columns: dict[str, pl.DataType] = {"event_time": _TIME}
    columns |= {name: pl.String() for name in (*_STRINGS, *_APP_STRINGS)}
    columns |= {"bytes_up": pl.UInt64(), "bytes_down": pl.UInt64(), "bytes_total": pl.UInt64()}
    columns |= {"app_tags": pl.List(pl.String()), "app_risk": pl.UInt8()}
    records = _scan(out_dir / "records", columns)
    if catalog is not None:
        from shadowlens.enrich import enrich

        records = enrich(records.drop(*_APP_COLUMNS, strict=False), catalog).with_columns(
            pl.col("app_risk").cast(pl.UInt8), pl.col("app_tags").cast(pl.List(pl.String()))
        )
    return records.with_columns(
        _traffic=_TRAFFIC,
        _up=_UP,
        _down=_DOWN,
        _blocked=(pl.col("action") == "blocked").fill_null(False),
        _status=_status(),
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


def _iso(value: Any) -> str | None:
    """ISO-8601 UTC text (``...Z``, whole seconds) for a datetime or date."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    return None


_TIMES = ("last_seen", "first_seen", "start", "time")


def _rows(frame: pl.DataFrame, times: tuple[str, ...] = _TIMES) -> list[dict[str, Any]]:
    rows = frame.to_dicts()
    for row in rows:
        for key in times:
            if key in row:
                row[key] = _iso(row[key])
    return rows


def _columns(frame: pl.DataFrame) -> dict[str, list[Any]]:
    """A column table: one list per column, equal lengths (compact for big tables)."""
    columns = {}
    for name in frame.columns:
        series = frame[name]
        if series.dtype == _TIME or name in _TIMES:
            columns[name] = [_iso(value) for value in series.to_list()]
        else:
            columns[name] = series.to_list()
    return columns


def _risk_bucket() -> pl.Expr:
    """The risk level of an app of the apps table."""
    risk = pl.col("risk")
    return (
        pl.when(risk.is_null())
        .then(pl.lit("not_assessed"))
        .when(risk <= 5)
        .then(pl.lit("high"))
        .when(risk <= 7)
        .then(pl.lit("medium"))
        .otherwise(pl.lit("low"))
    )


def _totals_query(records: pl.LazyFrame) -> pl.LazyFrame:
    """Sums and the time range (the distinct counts come from the grouped tables)."""
    return records.select(
        *_usage(),
        pl.col("app_id").is_not_null().sum().cast(_COUNT_TRUE).alias("catalogued"),
        pl.col("event_time").min().alias("first_seen"),
        pl.col("event_time").max().alias("last_seen"),
    )


def _distinct_per(frame: pl.LazyFrame, key: str | pl.Expr, column: str, alias: str) -> pl.LazyFrame:
    """Distinct non-null ``column`` values per ``key``, grouped twice.

    ``n_unique`` inside a grouping is not streamed by polars (it holds every
    record); grouping by the pair first keeps memory to the distinct pairs.
    """
    name = key if isinstance(key, str) else key.meta.output_name()
    return (
        frame.filter(pl.col(column).is_not_null())
        .group_by(key, column)
        .agg()
        .group_by(name)
        .agg(pl.len().cast(pl.UInt32).alias(alias))
    )


def _with_counts(frame: pl.LazyFrame, key: str, counts: Sequence[pl.LazyFrame]) -> pl.LazyFrame:
    for table in counts:
        alias = table.collect_schema().names()[-1]
        frame = frame.join(table, on=key, how="left").with_columns(pl.col(alias).fill_null(0))
    return frame


def _queries(records: pl.LazyFrame, every: str) -> dict[str, pl.LazyFrame]:
    """Every grouped table; ``every`` is the timeline's bucket (``1h``, ``1d``).

    Each is a streaming aggregation whose size follows the distinct keys (apps,
    users, IPs, domains, user agents and their pairs), never the records.
    """
    catalogued = records.filter(pl.col("app_id").is_not_null())
    uncatalogued = records.filter(pl.col("app_id").is_null() & pl.col("dst_domain").is_not_null())
    bucket = pl.col("event_time").dt.truncate(every).alias("start")
    timed = records.filter(pl.col("event_time").is_not_null())
    user = pl.col("user_name").alias("user")
    named = records.filter(pl.col("user_name").is_not_null())
    return {
        # users and IPs per app come from the pair tables below (fewer passes)
        "apps": catalogued.group_by("app_id").agg(
            pl.col("app_name").drop_nulls().first().alias("name"),
            pl.col("app_category").drop_nulls().first().alias("category"),
            pl.col("app_risk").drop_nulls().first().alias("risk"),
            pl.col("app_tags").drop_nulls().first().alias("tags"),
            pl.col("_status").first().alias("status"),
            *_usage(),
            pl.col("event_time").min().alias("first_seen"),
            pl.col("event_time").max().alias("last_seen"),
        ),
        "app_domains": catalogued.filter(pl.col("dst_domain").is_not_null())
        .group_by("app_id", "dst_domain")
        .agg(),
        # categories, statuses and risk levels are summed from the apps table and the
        # (user, app) pairs; only the users of no catalogued app need a pass of their own
        "uncatalogued_users": records.filter(
            pl.col("app_id").is_null() & pl.col("user_name").is_not_null()
        )
        .group_by("user_name")
        .agg(),
        "users": named.group_by(user).agg(*_usage(), pl.col("event_time").max().alias("last_seen")),
        "ips": records.filter(pl.col("src_ip").is_not_null())
        .group_by(pl.col("src_ip").alias("ip"))
        .agg(*_usage(), pl.col("event_time").max().alias("last_seen")),
        "user_ips": named.filter(pl.col("src_ip").is_not_null())
        .group_by(user, pl.col("src_ip").alias("ip"))
        .agg(),
        "domains": _with_counts(
            uncatalogued.group_by(pl.col("dst_domain").alias("domain")).agg(
                *_usage(),
                pl.col("event_time").max().alias("last_seen"),
                # min, not first: deterministic whatever the scan order
                pl.col("url").min().str.slice(0, 300).alias("example_url"),
            ),
            "domain",
            [
                _distinct_per(uncatalogued, pl.col("dst_domain").alias("domain"), c, alias)
                for c, alias in (("user_name", "users"), ("src_ip", "ips"), ("dst_host", "hosts"))
            ],
        ),
        "agents": _with_counts(
            records.filter(pl.col("user_agent").is_not_null())
            .group_by("user_agent")
            .agg(*_usage()),
            "user_agent",
            [
                _distinct_per(records, "user_agent", "user_name", "users"),
                _distinct_per(records, "user_agent", "src_ip", "ips"),
            ],
        ),
        "timeline": timed.group_by(bucket).agg(
            pl.len().alias("transactions"),
            pl.col("_traffic").sum().alias("traffic"),
            pl.col("_up").sum().alias("upload"),
            pl.col("_blocked").sum().cast(_COUNT_TRUE).alias("blocked"),
        ),
        "user_apps": catalogued.filter(pl.col("user_name").is_not_null())
        .group_by(user, "app_id")
        .agg(*_usage()),
        "app_ips": catalogued.filter(pl.col("src_ip").is_not_null())
        .group_by("app_id", pl.col("src_ip").alias("ip"))
        .agg(*_usage()),
        "app_timeline": timed.filter(pl.col("app_id").is_not_null())
        .group_by("app_id", bucket)
        .agg(
            pl.len().alias("transactions"),
            pl.col("_traffic").sum().alias("traffic"),
            pl.col("_blocked").sum().cast(_COUNT_TRUE).alias("blocked"),
        ),
        # findings: the biggest single uploads to apps nobody approved, or to no known app
        "uploads": records.filter(
            (pl.col("app_id").is_null() | (pl.col("_status") == "unsanctioned"))
            & (pl.col("_up") > 0)
        )
        .select(
            pl.col("event_time").alias("time"),
            pl.col("user_name").alias("user"),
            pl.col("src_ip").alias("source_ip"),
            pl.coalesce("dst_host", "dst_ip").alias("destination"),
            "app_id",
            "app_name",
            pl.col("_status").fill_null("uncatalogued").alias("status"),
            pl.col("_up").alias("upload"),
            pl.col("url").str.slice(0, 300).alias("url"),
        )
        .top_k(FINDINGS, by=["upload", "time", "destination"], reverse=[False, True, True]),
    }


def _top_per(frame: pl.DataFrame, key: str, other: str, n: int) -> pl.DataFrame:
    """The ``n`` rows of most traffic per ``key`` (ties: ``other`` ascending), by ``key``."""
    return (
        frame.sort([key, "traffic", "transactions", other], descending=[False, True, True, False])
        .group_by(key, maintain_order=True)
        .head(n)
    )


def _group_apps(apps: pl.DataFrame, user_apps: pl.DataFrame, key: str) -> pl.DataFrame:
    """Apps, usage and distinct users per ``key`` (category, status, level) of the apps."""
    usage = ("traffic", "upload", "download", "transactions", "blocked")
    users = (
        user_apps.select("user", "app_id")
        .join(apps.select("app_id", key), on="app_id")
        .select(key, "user")
        .unique()
        .group_by(key)
        .agg(pl.len().cast(pl.UInt32).alias("users"))
    )
    grouped = apps.group_by(key).agg(
        *(pl.col(c).sum() for c in usage), pl.len().cast(pl.UInt32).alias("apps")
    )
    return grouped.join(users, on=key, how="left", nulls_equal=True).with_columns(
        pl.col("users").fill_null(0)
    )


def _risk_frame(
    apps: pl.DataFrame, user_apps: pl.DataFrame, totals: dict[str, Any], users: int
) -> pl.DataFrame:
    levels = _group_apps(apps.with_columns(_risk_bucket().alias("level")), user_apps, "level")
    traffic = totals["traffic"]
    catalogued = levels.sum()
    row = {
        "level": "uncatalogued",
        "traffic": traffic["total"] - (catalogued["traffic"][0] or 0),
        "upload": traffic["upload"] - (catalogued["upload"][0] or 0),
        "download": traffic["download"] - (catalogued["download"][0] or 0),
        "transactions": totals["transactions"] - totals["catalogued_transactions"],
        "blocked": totals["blocked_transactions"] - (catalogued["blocked"][0] or 0),
        "apps": 0,
        "users": users,
    }
    return pl.concat([levels, pl.DataFrame([row], schema=levels.schema)])


def _status_summary(frame: pl.DataFrame, totals: dict[str, Any]) -> list[dict[str, Any]]:
    found = {row["status"]: row for row in frame.to_dicts()}
    keys = ("apps", "traffic", "upload", "download", "transactions", "blocked", "users")
    rows = [{"status": s} | {k: found.get(s, {}).get(k, 0) for k in keys} for s in STATUSES]
    rows.append(
        {
            "status": "uncatalogued",
            "apps": 0,
            "traffic": totals["traffic"]["total"] - sum(r["traffic"] for r in rows),
            "upload": totals["traffic"]["upload"] - sum(r["upload"] for r in rows),
            "download": totals["traffic"]["download"] - sum(r["download"] for r in rows),
            "transactions": totals["transactions"] - totals["catalogued_transactions"],
            "blocked": totals["blocked_transactions"] - sum(r["blocked"] for r in rows),
            "users": None,
            "domains": totals["uncatalogued_domains"],
        }
    )
    return rows


def read_baseline(baseline: Path) -> tuple[set[str], dict[str, Any]]:
    """The app ids seen by a previous run, for the "new apps" finding.

    Parameters
    ----------
    baseline
        The previous run's output folder (its ``report.json``, else its
        ``records/``), or a ``report.json`` file.

    Returns
    -------
    tuple
        The app ids, and what the report says about the baseline (``path``,
        ``apps``, ``generated_at``).

    Raises
    ------
    ConfigError
        Neither a ``report.json`` nor ``records/`` is there.
    InputError
        The ``report.json`` is not a shadowlens report.

    Examples
    --------
    >>> import json, pathlib, tempfile
    >>> old = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (old / "report.json").write_text(json.dumps({"apps": [{"app_id": "slack"}]}))
    >>> read_baseline(old)[0]
    {'slack'}
    """
    path = baseline / "report.json" if baseline.is_dir() else baseline
    if path.is_file():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            ids = {str(app["app_id"]) for app in data["apps"]}
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
            # ValueError covers json.JSONDecodeError
            msg = f"{path}: not a shadowlens report.json ({exc.__class__.__name__}: {exc})"
            raise InputError(msg) from exc
        info = {"path": str(baseline), "apps": len(ids)}
        generator = data.get("generator") if isinstance(data, dict) else None
        info["generated_at"] = (
            generator.get("generated_at") if isinstance(generator, dict) else None
        )
        return ids, info
    if (baseline / "records").is_dir():
        frame = _scan(baseline / "records", {"app_id": pl.String()}).select(
            pl.col("app_id").drop_nulls().unique()
        )
        ids = set(frame.collect(**_STREAMING)["app_id"].to_list())
        return ids, {"path": str(baseline), "apps": len(ids), "generated_at": None}
    msg = f"--baseline {baseline}: no report.json or records/ of a previous run there"
    raise ConfigError(msg)


def _findings(
    apps: pl.DataFrame,
    uploads: pl.DataFrame,
    baseline: tuple[set[str], dict[str, Any]] | None,
) -> dict[str, Any]:
    columns = ["app_id", "name", "category", "risk", "status", "traffic", "upload", "users"]
    risky = apps.filter(pl.col("risk") <= 5).select(*columns, "blocked", "last_seen")
    findings: dict[str, Any] = {
        "largest_uploads": _rows(uploads),
        "high_risk_apps": _rows(risky.head(FINDINGS)),
        "high_risk_apps_total": risky.height,
        "baseline": None,
        "new_apps": None,
        "new_apps_total": None,
    }
    if baseline is not None:
        known, info = baseline
        new = apps.filter(~pl.col("app_id").is_in(sorted(known))).select(*columns, "first_seen")
        findings |= {
            "baseline": info,
            "new_apps": _rows(new.head(FINDINGS * 5)),
            "new_apps_total": new.height,
        }
    return findings


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


def _totals(frame: pl.DataFrame, distinct: dict[str, int]) -> dict[str, Any]:
    row = frame.to_dicts()[0]
    first, last = row["first_seen"], row["last_seen"]
    days = (last.date() - first.date()).days + 1 if first and last else 0
    return {
        "apps": distinct["apps"],
        "users": distinct["users"],
        "source_ips": distinct["source_ips"],
        "transactions": row["transactions"],
        "blocked_transactions": row["blocked"],
        "catalogued_transactions": row["catalogued"],
        # the long tail: registrable domains that matched no catalogued app
        "uncatalogued_domains": distinct["uncatalogued_domains"],
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
            _with_counts(
                quarantine.group_by("error_code").agg(
                    pl.len().alias("count"),
                    pl.col("error_message").drop_nulls().first().str.slice(0, 200).alias("example"),
                ),
                "error_code",
                [_distinct_per(quarantine, "error_code", "source_file", "files")],
            )
            .select("error_code", "count", "files", "example")
            .sort(["count", "error_code"], descending=[True, False]),
            quarantine.group_by("source_file", "error_code").agg(pl.len().alias("count")),
            untimed,
        ],
        **_STREAMING,
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


def _generator(
    summary: dict[str, Any], generated_at: dt.datetime | None, catalog: Any
) -> dict[str, Any]:
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
    run_catalog = summary.get("catalog")
    info["catalog_version"] = summary.get("catalog_version") or (
        run_catalog.get("version") if isinstance(run_catalog, dict) else None
    )
    # the catalog re-applied by ``report --catalog`` replaces the run's
    info["catalog_reapplied"] = catalog is not None
    if catalog is not None:
        info["catalog_version"] = catalog.version
    if isinstance(summary.get("generator"), dict):
        info["run"] = summary["generator"]
    return info


def _count(frame: pl.DataFrame, pairs: pl.DataFrame, key: str, alias: str) -> pl.DataFrame:
    counts = pairs.group_by(key).agg(pl.len().cast(pl.UInt32).alias(alias))
    return frame.join(counts, on=key, how="left").with_columns(pl.col(alias).fill_null(0))


def _count_pairs(frames: dict[str, pl.DataFrame]) -> None:
    """Add the distinct counts that the pair tables give (users and IPs per app, ...)."""
    user_apps, app_ips, user_ips = frames["user_apps"], frames["app_ips"], frames["user_ips"]
    apps = _count(frames["apps"], user_apps, "app_id", "users")
    frames["apps"] = _count(apps, app_ips, "app_id", "ips")
    users = _count(frames["users"], user_apps, "user", "apps")
    frames["users"] = _count(users, user_ips, "user", "ips")
    ips = _count(frames["ips"], app_ips, "ip", "apps")
    frames["ips"] = _count(ips, user_ips, "ip", "users")


def _sorted(frame: pl.DataFrame, key: str) -> pl.DataFrame:
    return frame.sort(
        ["traffic", "transactions", key], descending=[True, True, False], nulls_last=True
    )


def _apps(frame: pl.DataFrame, domains: pl.DataFrame) -> pl.DataFrame:
    first_domains = (
        domains.sort("app_id", "dst_domain")
        .group_by("app_id", maintain_order=True)
        .agg(pl.col("dst_domain").head(10).alias("domains"))
    )
    frame = frame.join(first_domains, on="app_id", how="left").with_columns(
        pl.col("domains").fill_null([])
    )
    return _sorted(frame, "app_id").with_columns(
        pl.col("tags").fill_null([]),
        pl.when(pl.col("transactions") > 0)
        .then((pl.col("blocked") / pl.col("transactions")).round(4))
        .otherwise(0.0)
        .alias("blocked_share"),
    )


def _drill_downs(frames: dict[str, pl.DataFrame], users: int) -> dict[str, Any]:
    per_user = max(USER_APPS_MIN, min(USER_APPS, USER_APPS_BUDGET // max(users, 1)))
    pairs = frames["user_apps"]
    return {
        "drill_down_limits": {"user_apps": per_user, "app_users": DRILL_USERS},
        "user_apps": _columns(_top_per(pairs, "user", "app_id", per_user)),
        "app_users": _columns(_top_per(pairs, "app_id", "user", DRILL_USERS)),
        "app_ips": _columns(_top_per(frames["app_ips"], "app_id", "ip", DRILL_IPS)),
        "app_timeline": _columns(frames["app_timeline"].sort("app_id", "start")),
    }


def build_report(
    out_dir: str | Path,
    *,
    top: int = 100,
    generated_at: dt.datetime | None = None,
    catalog: Any = None,
    baseline: str | Path | None = None,
) -> dict[str, Any]:
    """Aggregate an output folder into the report's data (JSON-serialisable).

    Parameters
    ----------
    out_dir
        Folder holding ``records/``, ``quarantine/`` and ``summary.json``;
        missing parts count as empty.
    top
        Maximum rows of the top source IPs, user agents and uncatalogued
        domains, and of ``top_users`` (``users`` holds every user).
    generated_at
        Time stamped into the report (default: now, UTC).
    catalog
        A :class:`~shadowlens.enrich.Catalog` to re-apply to the saved records
        (default: the app columns as the run wrote them).
    baseline
        The output folder (or ``report.json``) of a previous run: apps not in
        it are listed as new in the findings.

    Returns
    -------
    dict
        The keys documented in ``docs/report.md``, in a stable order.

    Raises
    ------
    ConfigError
        ``baseline`` holds neither a ``report.json`` nor ``records/``.
    InputError
        ``baseline``'s ``report.json`` is not a shadowlens report.

    Examples
    --------
    >>> import tempfile
    >>> report = build_report(tempfile.mkdtemp())
    >>> report["totals"]["transactions"], report["apps"], report["status_summary"][0]["status"]
    (0, [], 'sanctioned')
    """
    folder = Path(out_dir)
    known = read_baseline(Path(baseline)) if baseline is not None else None
    summary = _read_summary(folder)
    records = _records(folder, catalog)
    sums = _totals_query(records).collect(**_STREAMING)
    first, last = sums["first_seen"][0], sums["last_seen"][0]
    hourly = first is not None and last is not None and last - first < HOURLY_SPAN
    queries = _queries(records, "1h" if hourly else "1d")
    # one query at a time: concurrent streaming queries only add up their memory
    frames = {name: query.collect(**_STREAMING) for name, query in queries.items()}
    _count_pairs(frames)
    distinct = {"apps": frames["apps"].height, "users": frames["users"].height}
    distinct |= {"source_ips": frames["ips"].height}
    distinct |= {"uncatalogued_domains": frames["domains"].height}
    totals = _totals(sums, distinct)
    user_apps = frames["user_apps"]
    frames["categories"] = _group_apps(frames["apps"], user_apps, "category")
    frames["status"] = _group_apps(frames["apps"], user_apps, "status")
    frames["risk"] = _risk_frame(
        frames["apps"], user_apps, totals, frames["uncatalogued_users"].height
    )
    apps = _apps(frames["apps"], frames["app_domains"])
    users = _sorted(frames["users"], "user")
    agents = frames["agents"].sort(
        ["transactions", "traffic", "user_agent"], descending=[True, True, False]
    )
    report: dict[str, Any] = {
        "generator": _generator(summary, generated_at, catalog),
        "totals": totals,
        "findings": _findings(apps, frames["uploads"], known),
        "status_summary": _status_summary(frames["status"], totals),
        "apps": _rows(apps),
        "categories": _rows(_sorted(frames["categories"], "category")),
        "risk_levels": _risk_levels(frames["risk"]),
        "users": _columns(users),
        "top_users": _rows(users.head(top)),
        "top_source_ips": _rows(_sorted(frames["ips"], "ip").head(top)),
        "uncatalogued_domains": _rows(_sorted(frames["domains"], "domain").head(top)),
        "top_user_agents": _rows(agents.head(top)),
        "timeline_granularity": "hour" if hourly else "day",
        "timeline": _rows(frames["timeline"].sort("start")),
    }
    report |= _drill_downs(frames, users.height)
    report["parse_quality"] = _parse_quality(folder, summary)
    return report


def write_report(
    out_dir: str | Path,
    *,
    top: int = 100,
    generated_at: dt.datetime | None = None,
    catalog: Any = None,
    baseline: str | Path | None = None,
) -> tuple[Path, Path]:
    """Build the report and write ``report.json`` and ``report.html`` into ``out_dir``.

    Each file is written beside its target and renamed over it, so a failure
    never leaves a half-written report.

    Parameters
    ----------
    out_dir
        The output folder of a run (see :func:`build_report`).
    top, generated_at, catalog, baseline
        Passed to :func:`build_report`.

    Returns
    -------
    tuple of Path
        The JSON and HTML files written.
    """
    folder = Path(out_dir)
    report = build_report(
        folder, top=top, generated_at=generated_at, catalog=catalog, baseline=baseline
    )
    json_path, html_path = folder / "report.json", folder / "report.html"
    texts = {json_path: json.dumps(report, ensure_ascii=False, separators=(",", ":")) + "\n"}
    texts[html_path] = render_html(report)
    for path, text in texts.items():
        partial = path.with_name(f".{path.name}.partial")
        partial.write_text(text, encoding="utf-8")
        partial.replace(path)
    return json_path, html_path
