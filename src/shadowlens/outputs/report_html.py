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
{"ua": "\u003c/script\u003e\u003cb\u003e\u0026"}
"""

from __future__ import annotations

import base64
import hashlib
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
    text = json.dumps(data, ensure_ascii=False, separators=(", ", ": "))
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


def _timeline(points: list[dict[str, Any]]) -> list[tuple[str, float]]:
    """Daily transactions, merged into wider buckets when there are too many days."""
    width = max(1, -(-len(points) // _MAX_TIMELINE))
    merged = []
    for start in range(0, len(points), width):
        chunk = points[start : start + width]
        label = chunk[0]["date"] if width == 1 else f"{chunk[0]['date']} \u2192 {chunk[-1]['date']}"
        merged.append((label, float(sum(p["transactions"] for p in chunk))))
    return merged


def build_charts(report: dict[str, Any]) -> dict[str, Markup]:
    """Build the report's SVG charts, keyed by name."""
    category_items = [
        (row["category"] or "Uncategorised", float(row["traffic"]))
        for row in report["categories"][:12]
    ]
    app_items = [(row["name"] or row["app_id"], float(row["traffic"])) for row in report["apps"]]
    risk = report["risk_levels"]
    return {
        "categories": charts.bar_chart(
            category_items, title="Traffic by app category", value_format=human_bytes
        ),
        "apps": charts.bar_chart(
            app_items[:12], title="Top apps by traffic", value_format=human_bytes
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
            _timeline(report["timeline"]), title="Transactions per day", width=560, height=230
        ),
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
        data=json_for_script(report),
    )
