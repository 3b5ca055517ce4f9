"""Directive-driven layouts (W3C ``#Fields``): parsing ``#...`` lines, tracking the layout.

A building block of delimited formats whose columns are named by a directive
line. The grammar's directive rule must offer ``fields_directive`` (a key
terminal ``FIELDS_KEY`` and ``FIELD_ID`` names), ``named_directive``
(``directive_name``: a ``DIRECTIVE_KEY`` such as ``#Date:``, and
``directive_text``) and ``comment`` (``COMMENT``).

Directive lines are parsed by regexes compiled from those rules
(:func:`fast_directives`), Lark only for the lines they reject
(:func:`reference_directives`). :func:`assign_layouts` then gives every entry the
layout (the fields directive), ``#Date`` and ``#Software`` in force with a forward
fill, and groups entries by :class:`Layout`; Python runs once per directive and
per distinct layout, never per entry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import polars as pl
from lark import Lark, Token, Tree
from lark.exceptions import LarkError

from shadowlens.parsers.base import describe_lark_error
from shadowlens.spec.plan import DirectivePlan

#: What a directive line parses into (both paths).
DIRECTIVE_SCHEMA = pl.Schema(
    {
        "_row": pl.UInt32(),
        "kind": pl.String(),  # fields / named / comment
        "name": pl.String(),  # directive name without '#' and ':', e.g. "Date"
        "text": pl.String(),  # a named directive's text (trailing blanks cut)
        "field_ids": pl.List(pl.String()),
    }
)
NO_LAYOUT = "no #{name} directive before this entry"


@dataclass
class LayoutState:
    """Per-file state: the directives in force at the end of the last chunk."""

    fields: tuple[str, ...] | None = None
    reason: str = NO_LAYOUT
    date: str | None = None
    software: str | None = None


@dataclass(frozen=True)
class Layout:
    """What one group of entries is read with: ``#Fields`` plus the directives it needs."""

    fields: tuple[str, ...] | None
    reason: str = ""
    date: str | None = None
    software: str | None = None

    @classmethod
    def of(
        cls, fields: tuple[str, ...] | None, reason: str, date: str | None, software: str | None
    ) -> Layout:
        """A layout keeping ``date`` only when the fields need it (``time`` without ``date``)."""
        if not fields:
            return cls(None, reason)
        lower = {f.lower() for f in fields}
        needs_date = "time" in lower and "date" not in lower
        return cls(fields, "", date if needs_date else None, software)


def fast_directives(lines: pl.DataFrame, plan: DirectivePlan) -> pl.DataFrame:
    """Directive lines (``_row``, ``line``) the compiled ``plan`` accepts, as DIRECTIVE_SCHEMA.

    The key decides the rule as Lark's lexer does (``#Fields:`` before
    ``#Name:``, else a comment); the line must then match that rule whole.
    """
    p = plan
    line = pl.col("line")
    kind = (
        pl.when(line.str.contains(p.fields_key))
        .then(pl.lit("fields"))
        .when(line.str.contains(p.named_key))
        .then(pl.lit("named"))
        .otherwise(pl.lit("comment"))
    )
    frame = lines.with_columns(kind.alias("kind")).with_columns(
        line.str.extract_groups(p.named).alias("_named")
    )
    ok = (
        pl.when(pl.col("kind") == "fields")
        .then(line.str.contains(p.fields))
        .when(pl.col("kind") == "named")
        .then(pl.col("_named").struct.field("directive_name").is_not_null())
        .otherwise(line.str.contains(p.comment))
    )
    name = pl.col("_named").struct.field("directive_name")
    return (
        frame.filter(ok)
        .select(
            "_row",
            "kind",
            pl.when(pl.col("kind") == "fields")
            .then(pl.lit(p.layout_name))
            .when(pl.col("kind") == "named")
            .then(name.str.slice(1, name.str.len_chars() - 2))
            .alias("name"),
            pl.when(pl.col("kind") == "named")
            .then(pl.col("_named").struct.field("directive_text").str.strip_chars_end(" \t"))
            .alias("text"),
            pl.when(pl.col("kind") == "fields")
            .then(line.str.replace(p.fields_key, "").str.extract_all(p.field_id))
            .alias("field_ids"),
        )
        .cast(DIRECTIVE_SCHEMA)
    )


def reference_directives(
    lines: pl.DataFrame, parser: Lark, plan: DirectivePlan
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Lark over directive lines: (DIRECTIVE_SCHEMA rows, errors)."""
    rows: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    for row, line in zip(lines["_row"].to_list(), lines["line"].to_list(), strict=True):
        try:
            tree = parser.parse(line, start=plan.rule)
        except LarkError as exc:
            code, message = describe_lark_error(exc, line, parser)
            errors.append({"_row": row, "error_code": code.value, "error_message": message})
            continue
        rows.append({"_row": row, **directive_of(tree, plan.layout_name)})
    errors_df = pl.DataFrame(
        errors,
        schema={"_row": pl.UInt32(), "error_code": pl.String(), "error_message": pl.String()},
    )
    return pl.DataFrame(rows, schema=DIRECTIVE_SCHEMA, orient="row"), errors_df


def directive_of(tree: Tree[Any], layout_name: str = "Fields") -> dict[str, Any]:
    """A directive's parsed fields from its Lark tree (same shape as the fast path)."""
    node = tree.children[0]
    assert isinstance(node, Tree)
    tokens = list(node.scan_values(lambda v: isinstance(v, Token)))
    kind = str(node.data).removesuffix("_directive")
    if kind == "fields":
        return {
            "kind": kind,
            "name": layout_name,
            "text": None,
            "field_ids": [str(t) for t in tokens if t.type == "FIELD_ID"],
        }
    if kind == "named":
        key = next(str(t) for t in tokens if t.type == "DIRECTIVE_KEY")
        text = next((str(t) for t in tokens if t.type == "DIRECTIVE_TEXT"), None)
        return {
            "kind": kind,
            "name": key[1:-1],
            "text": text.rstrip(" \t") if text is not None else None,
            "field_ids": None,
        }
    return {"kind": "comment", "name": None, "text": None, "field_ids": None}


def assign_layouts(
    entries: pl.DataFrame,
    directives: pl.DataFrame,
    dir_errors: pl.DataFrame,
    st: LayoutState,
    layout_name: str = "Fields",
) -> list[tuple[Layout, pl.DataFrame]]:
    """Group entry rows by the (#Fields, #Date, #Software) in force; update ``st``.

    Python runs once per directive and once per distinct layout, never per entry.
    """
    fields_at: dict[int, tuple[tuple[str, ...] | None, str]] = {-1: (st.fields, st.reason)}
    date_at: dict[int, str | None] = {-1: st.date}
    software_at: dict[int, str | None] = {-1: st.software}
    dates = directive_dates(directives)
    for row, kind, name, text, ids in directives.iter_rows():
        lower = (name or "").lower()
        if kind == "fields":
            fields_at[row] = (
                (tuple(ids), "")
                if ids
                else (None, f"the #{layout_name} directive before this entry lists no fields")
            )
        elif lower in ("date", "start-date"):
            date_at[row] = dates.get(row)
        elif lower == "software":
            software_at[row] = text
    for row in dir_errors["_row"].to_list():  # an unreadable #Fields ends the layout in force
        fields_at[row] = (
            None,
            f"the #{layout_name} directive before this entry could not be parsed",
        )
    events = pl.DataFrame(
        {
            "_row": sorted({*fields_at, *date_at, *software_at} - {-1}),
        },
        schema={"_row": pl.UInt32()},
    )
    marks = events.with_columns(
        pl.when(pl.col("_row").is_in(list(fields_at))).then(pl.col("_row")).alias("_f"),
        pl.when(pl.col("_row").is_in(list(date_at))).then(pl.col("_row")).alias("_d"),
        pl.when(pl.col("_row").is_in(list(software_at))).then(pl.col("_row")).alias("_s"),
    )
    key = ("_f", "_d", "_s")
    tagged = (
        pl.concat(
            [entries.with_columns(pl.lit(None, pl.UInt32).alias(k) for k in key), marks],
            how="diagonal",
        )
        .sort("_row")
        .with_columns(pl.col(k).forward_fill().cast(pl.Int64).fill_null(-1) for k in key)
        .filter(pl.col("line").is_not_null())
    )
    last = (
        marks.select(pl.col(k).drop_nulls().last() for k in key).row(0)
        if marks.height
        else (None,) * 3
    )
    if last[0] is not None:
        st.fields, st.reason = fields_at[last[0]]
    if last[1] is not None:
        st.date = date_at[last[1]]
    if last[2] is not None:
        st.software = software_at[last[2]]

    layouts: dict[Layout, list[tuple[int, int, int]]] = {}
    for f, d, s in tagged.select(key).unique().iter_rows():
        ids, reason = fields_at[f]
        layouts.setdefault(Layout.of(ids, reason, date_at[d], software_at[s]), []).append((f, d, s))
    out = []
    for layout, combos in layouts.items():
        wanted = pl.DataFrame(combos, schema=dict.fromkeys(key, pl.Int64), orient="row")
        out.append((layout, tagged.join(wanted, on=list(key), how="semi").drop(*key)))
    return out


def directive_dates(directives: pl.DataFrame) -> dict[int, str | None]:
    """``YYYY-MM-DD`` of every #Date/#Start-Date (text after the date-time is ignored)."""
    dated = directives.filter(
        pl.col("name").str.to_lowercase().is_in(["date", "start-date"])
    ).select("_row", pl.col("text").fill_null(""))
    head = pl.col("text").str.extract(r"^([^ \t]+(?:[ \t]+[^ \t/]+)?)", 1)
    layouts = (
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%d/%b/%Y %H:%M:%S",
        "%d-%b-%Y %H:%M:%S",
        "%Y-%m-%d",
    )
    first = pl.col("text").str.extract(r"^([^ \t]+)", 1)
    parsed = pl.coalesce(
        *(head.str.strptime(pl.Datetime("us"), f, strict=False, exact=True) for f in layouts[:-1]),
        first.str.strptime(pl.Datetime("us"), layouts[-1], strict=False, exact=True),
    )
    result = dated.select("_row", parsed.dt.strftime("%Y-%m-%d").alias("date"))
    return dict(result.iter_rows())


def software_facts(software: str | None) -> tuple[str | None, str | None, str | None]:
    """(vendor, product, version) from a ``#Software`` text.

    Examples
    --------
    >>> software_facts("Microsoft Internet Information Services 10.0")
    ('Microsoft', 'Internet Information Services', '10.0')
    >>> software_facts("IIS Advanced Logging Module")
    ('Microsoft', 'IIS Advanced Logging Module', None)
    >>> software_facts("SGOS 6.7.5.3")
    ('Blue Coat', 'SGOS', '6.7.5.3')
    """
    if not software:
        return None, None, None
    match = re.fullmatch(r"(.*?)[ \t]+v?([0-9][0-9A-Za-z.()_-]*)", software.strip())
    product, version = (match.group(1), match.group(2)) if match else (software.strip(), None)
    vendor = None
    if product.startswith("Microsoft "):
        vendor, product = "Microsoft", product.removeprefix("Microsoft ")
    elif product.startswith("IIS "):
        vendor = "Microsoft"
    elif product.startswith(("SGOS", "Blue Coat", "ProxySG")):
        vendor = "Blue Coat"
    return vendor, product or None, version
