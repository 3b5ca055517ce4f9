"""Static SVG charts for the HTML report, built server-side with no chart library.

Every chart is returned as :class:`markupsafe.Markup`. All text that reaches the
SVG (labels, values, tooltips) goes through :meth:`Markup.format`, which escapes
its arguments, so log-derived strings such as domain or category names can never
become markup. Charts use presentation attributes only (no ``style=``), which
keeps them compatible with the report's strict Content-Security-Policy.

Examples
--------
>>> svg = bar_chart([("Cloud storage", 2048.0), ("<b>", 10.0)], title="Traffic")
>>> "&lt;b&gt;" in svg and "<b>" not in svg
True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from markupsafe import Markup

#: Bar colours, in order (colour-blind friendly, readable in print).
PALETTE: tuple[str, ...] = (
    "#2563eb",
    "#0891b2",
    "#7c3aed",
    "#db2777",
    "#ea580c",
    "#65a30d",
    "#0d9488",
    "#9333ea",
    "#ca8a04",
    "#475569",
)

_LABEL_CHARS = 28
_ROW_HEIGHT = 26
_BAR_HEIGHT = 16


def _shorten(text: str, limit: int = _LABEL_CHARS) -> str:
    """Cut ``text`` to ``limit`` characters, ending with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _num(value: float) -> str:
    """Format a coordinate compactly (SVG needs no more than two decimals)."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _plain(value: float) -> str:
    return f"{value:,.0f}"


def _empty(title: str, width: int) -> Markup:
    return Markup(
        '<svg class="chart" viewBox="0 0 {w} 40" width="100%" role="img" aria-label="{t}">'
        '<title>{t}</title><text x="{x}" y="24" text-anchor="middle" class="chart-empty">'
        "No data</text></svg>"
    ).format(w=width, t=title, x=_num(width / 2))


def bar_chart(
    items: Sequence[tuple[str, float]],
    *,
    title: str,
    value_format: Callable[[float], str] = _plain,
    colors: Sequence[str] | None = None,
    width: int = 560,
    value_labels: Sequence[str] | None = None,
) -> Markup:
    """Draw a horizontal bar chart: one labelled bar per item, in the given order.

    Parameters
    ----------
    items
        ``(label, value)`` pairs in display order; negative values count as zero.
    title
        Accessible name of the chart (``<title>`` and ``aria-label``).
    value_format
        Turns a value into the text printed after its bar and in its tooltip.
    colors
        One colour per item; defaults to cycling :data:`PALETTE`.
    width
        Width of the ``viewBox``; the chart scales to its container.
    value_labels
        The text printed after each bar, instead of ``value_format(value)``.

    Returns
    -------
    Markup
        An ``<svg>`` element with escaped text.
    """
    if not items:
        return _empty(title, width)
    label_w, value_w = 190.0, 80.0
    plot_w = width - label_w - value_w
    height = len(items) * _ROW_HEIGHT + 8
    peak = max(max(value, 0.0) for _, value in items) or 1.0
    parts = [
        Markup(
            '<svg class="chart" viewBox="0 0 {w} {h}" width="100%" role="img" '
            'aria-label="{t}"><title>{t}</title>'
        ).format(w=width, h=height, t=title)
    ]
    for index, (label, value) in enumerate(items):
        color = colors[index] if colors else PALETTE[index % len(PALETTE)]
        y = 4 + index * _ROW_HEIGHT
        bar_w = max(max(value, 0.0) / peak * plot_w, 1.5 if value > 0 else 0.0)
        text_y = _num(y + _BAR_HEIGHT / 2 + 4.5)
        parts.append(
            Markup(
                '<g class="bar"><title>{label}: {shown}</title>'
                '<text x="{lx}" y="{ty}" text-anchor="end" class="chart-label">{short}</text>'
                '<rect x="{bx}" y="{y}" width="{bw}" height="{bh}" rx="3" fill="{color}"/>'
                '<text x="{vx}" y="{ty}" class="chart-value">{shown}</text></g>'
            ).format(
                label=label,
                shown=value_labels[index] if value_labels else value_format(value),
                short=_shorten(label),
                lx=_num(label_w - 8),
                ty=text_y,
                bx=_num(label_w),
                y=_num(y),
                bw=_num(bar_w),
                bh=_BAR_HEIGHT,
                color=color,
                vx=_num(label_w + bar_w + 6),
            )
        )
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def column_chart(
    points: Sequence[tuple[str, float]],
    *,
    title: str,
    value_format: Callable[[float], str] = _plain,
    color: str = PALETTE[0],
    width: int = 1120,
    height: int = 200,
) -> Markup:
    """Draw a vertical column chart over time (one column per bucket, oldest first).

    Parameters
    ----------
    points
        ``(bucket label, value)`` pairs in time order, e.g. ISO dates.
    title
        Accessible name of the chart.
    value_format
        Formats values for the axis and tooltips.
    color
        Fill colour of the columns.
    width, height
        Size of the ``viewBox``; the chart scales to its container.

    Returns
    -------
    Markup
        An ``<svg>`` element with escaped text.
    """
    if not points:
        return _empty(title, width)
    left, bottom, top = 64.0, 24.0, 12.0
    plot_w, plot_h = width - left - 8, height - bottom - top
    peak = max(max(v, 0.0) for _, v in points) or 1.0
    step = plot_w / len(points)
    gap = min(step * 0.2, 4.0)
    parts = [
        Markup(
            '<svg class="chart" viewBox="0 0 {w} {h}" width="100%" role="img" '
            'aria-label="{t}"><title>{t}</title>'
        ).format(w=width, h=height, t=title)
    ]
    for fraction in (0.0, 0.5, 1.0):
        y = top + plot_h * (1 - fraction)
        parts.append(
            Markup(
                '<line x1="{x1}" x2="{x2}" y1="{y}" y2="{y}" class="chart-grid"/>'
                '<text x="{tx}" y="{ty}" text-anchor="end" class="chart-axis">{v}</text>'
            ).format(
                x1=_num(left),
                x2=_num(width - 8),
                y=_num(y),
                tx=_num(left - 6),
                ty=_num(y + 4),
                v=value_format(peak * fraction),
            )
        )
    for index, (label, value) in enumerate(points):
        col_h = max(value, 0.0) / peak * plot_h
        x = left + index * step + gap / 2
        parts.append(
            Markup(
                '<rect x="{x}" y="{y}" width="{cw}" height="{ch}" fill="{c}">'
                "<title>{label}: {shown}</title></rect>"
            ).format(
                x=_num(x),
                y=_num(top + plot_h - col_h),
                cw=_num(max(step - gap, 0.5)),
                ch=_num(col_h),
                c=color,
                label=label,
                shown=value_format(value),
            )
        )
    for index in sorted({0, len(points) // 2, len(points) - 1}):
        anchor = "start" if index == 0 else "end" if index == len(points) - 1 else "middle"
        x = (
            left
            + index * step
            + (0 if anchor == "start" else step if anchor == "end" else step / 2)
        )
        parts.append(
            Markup(
                '<text x="{x}" y="{y}" text-anchor="{a}" class="chart-axis">{label}</text>'
            ).format(x=_num(x), y=_num(height - 6), a=anchor, label=points[index][0])
        )
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def share_bar(
    items: Sequence[tuple[str, float, str]],
    *,
    title: str,
    value_format: Callable[[float], str] = _plain,
    width: int = 560,
) -> Markup:
    """Draw one stacked bar showing each item's share of the whole, with a legend.

    Parameters
    ----------
    items
        ``(label, value, colour)`` triples; zero values are skipped in the bar
        but kept in the legend.
    title
        Accessible name of the chart.
    value_format
        Formats values in the legend and tooltips.
    width
        Width of the ``viewBox``.

    Returns
    -------
    Markup
        An ``<svg>`` element with escaped text.
    """
    total = sum(max(v, 0.0) for _, v, _ in items)
    if not items or total <= 0:
        return _empty(title, width)
    legend_rows = (len(items) + 1) // 2
    height = 40 + legend_rows * 22
    parts = [
        Markup(
            '<svg class="chart" viewBox="0 0 {w} {h}" width="100%" role="img" '
            'aria-label="{t}"><title>{t}</title>'
        ).format(w=width, h=height, t=title)
    ]
    x = 0.0
    for label, value, color in items:
        seg = max(value, 0.0) / total * width
        if seg <= 0:
            continue
        parts.append(
            Markup(
                '<rect x="{x}" y="4" width="{sw}" height="24" fill="{c}">'
                "<title>{label}: {shown} ({pct})</title></rect>"
            ).format(
                x=_num(x),
                sw=_num(seg),
                c=color,
                label=label,
                shown=value_format(value),
                pct=f"{value / total:.1%}",
            )
        )
        x += seg
    for index, (label, value, color) in enumerate(items):
        lx = (index % 2) * (width / 2)
        ly = 44 + (index // 2) * 22
        parts.append(
            Markup(
                '<rect x="{x}" y="{y}" width="12" height="12" rx="2" fill="{c}"/>'
                '<text x="{tx}" y="{ty}" class="chart-label">{label} \u2014 {shown} ({pct})</text>'
            ).format(
                x=_num(lx),
                y=_num(ly),
                c=color,
                tx=_num(lx + 18),
                ty=_num(ly + 10.5),
                label=label,
                shown=value_format(value),
                pct=f"{max(value, 0.0) / total:.1%}",
            )
        )
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)
