r"""Render the report's data as one self-contained, offline HTML file.

The page needs no network: styles, script and SVG charts are inline, and a
Content-Security-Policy ``<meta>`` allows only the page's own style and script
blocks (by SHA-256 hash) and ``data:`` images, so any future regression that
loads a remote resource fails loudly in the browser console.

Escaping is done in one place each: Jinja2 autoescaping for HTML, :mod:`charts`
(``Markup.format``) for SVG, and :func:`json_for_script` for the data block that
the script reads with ``textContent``.

Examples
--------
>>> print(json_for_script({"ua": "</script><b>&"}))
{"ua":"\u003c/script\u003e\u003cb\u003e\u0026"}
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import itertools
import json
from importlib import resources
from typing import Any

import jinja2
from markupsafe import Markup

from shadowlens.outputs import charts

#: Colours of the risk levels, keyed like ``report["risk_levels"][i]["level"]``.
RISK_COLORS: dict[str, str] = {
    "high": "#dc2626",
    "medium": "#f59e0b",
    "low": "#16a34a",
    "not_assessed": "#94a3b8",
    "uncatalogued": "#cbd5e1",
}

#: Display names of the app statuses, keyed like ``report["status_summary"][i]["status"]``.
STATUS_LABELS: dict[str, str] = {
    "sanctioned": "Sanctioned",
    "unsanctioned": "Unsanctioned",
    "monitored": "Monitored",
    "unreviewed": "Unreviewed",
    "uncatalogued": "Uncatalogued",
}

_JSON_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}
_UNITS = ("B", "kB", "MB", "GB", "TB", "PB", "EB")
_MAX_TIMELINE = 90


def human_bytes(value: float | None) -> str:
    """Format a byte count as a short decimal (SI) quantity.

    Examples
    --------
    >>> human_bytes(0), human_bytes(1234), human_bytes(5_600_000_000)
    ('0 B', '1.2 kB', '5.6 GB')
    """
    if value is None:
        return "\u2014"
    size, unit = float(value), 0
    while abs(size) >= 999.95 and unit < len(_UNITS) - 1:
        size, unit = size / 1000, unit + 1
    return f"{size:.0f} {_UNITS[unit]}" if unit == 0 else f"{size:.1f} {_UNITS[unit]}"


def number(value: float | None) -> str:
    """Format an integer with thousands separators (an em dash for missing values).

    Examples
    --------
    >>> number(1234567), number(None)
    ('1,234,567', '—')
    """
    return "\u2014" if value is None else f"{value:,.0f}"


def short_time(value: str | None) -> str:
    """Format ``2024-05-01T10:00:00Z`` as ``2024-05-01 10:00 UTC``."""
    if not value:
        return "\u2014"
    return value.replace("T", " ")[:16] + " UTC" if "T" in value else value


def json_for_script(data: Any) -> Markup:
    r"""Encode ``data`` as JSON that is safe inside ``<script type="application/json">``.

    ``<``, ``>`` and ``&`` are written as ``\uXXXX`` escapes so no ``</script>`` or
    comment opener can end the block early; U+2028/U+2029 are escaped as well.
    The result still parses as the same JSON.
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for char, escape in _JSON_ESCAPES.items():
        text = text.replace(char, escape)
    return Markup(text)


def _csp_hash(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def _asset(name: str) -> str:
    return (resources.files(__package__) / "templates" / name).read_text(encoding="utf-8")


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(lambda name: _asset(name)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters |= {"bytes": human_bytes, "num": number, "when": short_time}
    return env


def _bucket_label(start: str, hourly: bool) -> str:
    return start.replace("T", " ")[:16] if hourly else start[:10]


def _timeline(points: list[dict[str, Any]], hourly: bool) -> list[tuple[str, float]]:
    """Transactions per bucket, merged into wider buckets when there are too many."""
    width = max(1, -(-len(points) // _MAX_TIMELINE))
    merged = []
    for start in range(0, len(points), width):
        chunk = points[start : start + width]
        first = _bucket_label(chunk[0]["start"], hourly)
        last = _bucket_label(chunk[-1]["start"], hourly)
        label = first if width == 1 else f"{first} \u2192 {last}"
        merged.append((label, float(sum(p["transactions"] for p in chunk))))
    return merged


def _blocked_label(row: dict[str, Any]) -> str:
    return f"{row['blocked']:,} ({row['blocked_share']:.0%})"


def build_charts(report: dict[str, Any]) -> dict[str, Markup]:
    """Build the report's SVG charts, keyed by name."""
    category_items = [
        (row["category"] or "Uncategorised", float(row["traffic"]))
        for row in report["categories"][:12]
    ]
    apps = report["apps"]
    app_items = [(row["name"] or row["app_id"], float(row["traffic"])) for row in apps]
    blocked = sorted(
        (row for row in apps if row["blocked"]), key=lambda r: (-r["blocked"], r["app_id"])
    )[:12]
    risk = report["risk_levels"]
    hourly = report["timeline_granularity"] == "hour"
    return {
        "categories": charts.bar_chart(
            category_items, title="Traffic by app category", value_format=human_bytes
        ),
        "apps": charts.bar_chart(
            app_items[:12], title="Top apps by traffic", value_format=human_bytes
        ),
        "blocked": charts.bar_chart(
            [(row["name"] or row["app_id"], float(row["blocked"])) for row in blocked],
            title="Blocked transactions per app",
            value_labels=[_blocked_label(row) for row in blocked],
            colors=[RISK_COLORS["high"]] * len(blocked),
        ),
        "risk_traffic": charts.share_bar(
            [(r["label"], float(r["traffic"]), RISK_COLORS[r["level"]]) for r in risk],
            title="Traffic by risk level",
            value_format=human_bytes,
        ),
        "risk_apps": charts.bar_chart(
            [(r["label"], float(r["apps"])) for r in risk[:4]],
            title="Apps by risk level",
            colors=[RISK_COLORS[r["level"]] for r in risk[:4]],
        ),
        "timeline": charts.column_chart(
            _timeline(report["timeline"], hourly),
            title=f"Transactions per {'hour' if hourly else 'day'}",
            width=560,
            height=230,
        ),
    }


def _index(values: list[Any], positions: dict[Any, int]) -> list[int]:
    return [positions[value] for value in values]


def _by_index(
    table: dict[str, list[Any]],
    key: str,
    positions: dict[Any, int],
    alias: str,
    other: str | None = None,
    other_positions: dict[Any, int] | None = None,
    other_alias: str = "",
) -> dict[str, list[Any]]:
    """``table`` with ``key`` (and ``other``) replaced by positions, rows ordered by them.

    Row order within one key is kept (most traffic first).
    """
    columns = dict(table)
    columns[alias] = _index(columns.pop(key), positions)
    if other is not None and other_positions is not None:
        columns[other_alias] = _index(columns.pop(other), other_positions)
    index = columns[alias]
    order = sorted(range(len(index)), key=index.__getitem__)
    return {name: [values[i] for i in order] for name, values in columns.items()}


def _delta(values: list[int]) -> list[int]:
    """Each value minus the one before it (the page adds them up again): small numbers
    for the sorted index columns of the drill-down tables."""
    return values[:1] + [value - before for before, value in itertools.pairwise(values)]


def _minutes(values: list[str | None], origin: dt.datetime | None) -> list[int | None]:
    """ISO times as whole minutes after ``origin`` (shorter than the text)."""
    if origin is None:
        return [None for _ in values]
    return [
        None
        if value is None
        else int((dt.datetime.fromisoformat(value) - origin).total_seconds() // 60)
        for value in values
    ]


def page_data(report: dict[str, Any]) -> dict[str, Any]:
    """The data the page's script reads: the report's tables as column arrays.

    Users, apps and time buckets are referred to by their position in the
    ``users``, ``apps`` and ``timeline`` tables, which keeps the embedded data
    small enough for 100,000 users (issue 11: under 20 MB for 1M records).
    """
    apps = report["apps"]
    app_pos = {app["app_id"]: i for i, app in enumerate(apps)}
    users = report["users"]
    user_pos = {name: i for i, name in enumerate(users["user"])}
    starts = [point["start"] for point in report["timeline"]]
    first = report["totals"]["time_range"]["first"]
    origin = dt.datetime.fromisoformat(first).replace(second=0) if first else None
    bucket_pos = {start: i for i, start in enumerate(starts)}
    keys: tuple[str, ...] = ("app_id", "name", "category", "status", "risk", "tags", "traffic")
    keys += ("upload", "download", "transactions", "blocked", "users", "ips", "last_seen")
    app_columns: dict[str, list[Any]] = {key: [app[key] for app in apps] for key in keys}
    app_columns["domains"] = [app["domains"][:3] for app in apps]
    app_columns["last_seen"] = _minutes(app_columns["last_seen"], origin)
    user_keys = ("user", "traffic", "upload", "download", "transactions", "blocked", "apps")
    usage = ("traffic", "upload", "transactions", "blocked")
    user_apps = _by_index(report["user_apps"], "user", user_pos, "u", "app_id", app_pos, "a")
    app_users = _by_index(report["app_users"], "app_id", app_pos, "a", "user", user_pos, "u")
    app_ips = _by_index(report["app_ips"], "app_id", app_pos, "a")
    timeline = _by_index(report["app_timeline"], "app_id", app_pos, "a", "start", bucket_pos, "t")
    return {
        "origin": int(origin.timestamp()) if origin else None,
        "granularity": report["timeline_granularity"],
        "limits": report["drill_down_limits"],
        "timeline": {
            "start": starts,
            "transactions": [p["transactions"] for p in report["timeline"]],
        },
        "apps": app_columns,
        "users": {key: users[key] for key in user_keys}
        | {"last_seen": _minutes(users["last_seen"], origin)},
        # sorted by their first column, which is stored as deltas
        "user_apps": {"u": _delta(user_apps["u"]), "a": user_apps["a"]}
        | {key: user_apps[key] for key in usage},
        "app_users": {"a": _delta(app_users["a"]), "u": app_users["u"]}
        | {key: app_users[key] for key in usage},
        "app_ips": {"a": _delta(app_ips["a"]), "ip": app_ips["ip"]}
        | {key: app_ips[key] for key in usage},
        "app_timeline": {"a": _delta(timeline["a"]), "t": timeline["t"]}
        | {"transactions": timeline["transactions"]},
    }


def render_html(report: dict[str, Any]) -> str:
    """Render ``report`` (from :func:`~shadowlens.outputs.report.build_report`) as HTML.

    Parameters
    ----------
    report
        The report data.

    Returns
    -------
    str
        A complete HTML document with no external references.
    """
    css, script = _asset("report.css"), _asset("report.js")
    csp = "; ".join(
        (
            "default-src 'none'",
            f"style-src {_csp_hash(css)}",
            f"script-src {_csp_hash(script)}",
            "img-src data:",
            "base-uri 'none'",
            "form-action 'none'",
        )
    )
    template = _environment().get_template("report.html.j2")
    return template.render(
        report=report,
        totals=report["totals"],
        quality=report["parse_quality"],
        charts=build_charts(report),
        risk_colors=RISK_COLORS,
        csp=csp,
        css=Markup(css),
        script=Markup(script),
        data=json_for_script(page_data(report)),
        statuses=STATUS_LABELS,
    )
