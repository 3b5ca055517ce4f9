"""What ``shadowlens formats show NAME`` prints for a spec-defined format."""

from __future__ import annotations

from typing import Any

from shadowlens.spec.model import Alternative, Condition
from shadowlens.spec.plan import Candidate, Plan


def describe_spec(plan: Plan) -> dict[str, Any]:
    """JSON-ready facts: spec and grammar files, record layout, field table, quirks, options."""
    spec = plan.spec
    record: dict[str, Any] = {"fields": list(plan.fields)}
    if plan.prefix:
        record["prefix"] = (
            f"{plan.prefix.field} (split by common.syslog into {', '.join(plan.prefix.fields)})"
        )
    if plan.head.marker:
        record["marker"] = plan.head.marker
    for block in plan.pairs:
        if block.token is not None:
            how = f"one {block.token} per pair"
        elif block.delimiter_field:
            how = f"split at the delimiter field {block.delimiter_field!r} (default {block.delimiter!r})"
        else:
            how = f"split at {block.delimiter!r}"
        record.setdefault("pairs", []).append(f"{block.rule}: {how}, key{block.separator}value")

    if plan.columns:
        layout = (
            f"#{plan.columns.directive.layout_name} directive"
            if plan.columns.directive
            else ", ".join(plan.columns.names)
        )
        c = plan.columns
        split = f"separated by {c.delimiter!r}" if c.delimiter is not None else "blank-separated"
        quoted = f", quoted with {c.quote}" if c.quote else ""
        record["columns"] = f"{c.rule}: one {c.token} per value, {split}{quoted}; names: {layout}"
        for lay in c.layouts:
            when = " and ".join(describe_condition(w) for w in lay.when) or "always"
            record.setdefault("layouts", []).append(
                f"{lay.name} when {when}: {len(lay.names)} names, {lay.required} required"
            )
        if plan.header:
            record["header"] = f"lines matching /{plan.header}/ are header rows (counted)"
    table = {
        column.column: [describe_candidate(c) for c in column.candidates] for column in plan.table
    }
    return {
        "spec": str(spec.path),
        "grammar": str(plan.grammar),
        "record": record,
        "table": table,
        "quirks": [
            {"name": q.name, "when": [describe_condition(c) for c in q.when], "because": q.because}
            for q in spec.quirks
        ],
        "options": {
            o.name: {"default": o.default, "choices": list(o.choices), "help": o.help}
            for o in spec.options
        },
        "null": list(spec.null),
        "reference_only": ["nothing: every rule has a fast path"],
    }


def describe_candidate(cand: Candidate) -> str:
    """One line: ``source (type, settings) [when ...]``."""
    source, settings, when = candidate_parts(cand)
    text = f"{source} ({', '.join([cand.alt.type, *settings])})"
    if when:
        text += " when " + when
    if cand.quirk:
        text += f" [quirk {cand.quirk}]"
    return text


def candidate_parts(cand: Candidate) -> tuple[str, list[str], str]:
    """The source, the settings beside the type, and the conditions of a candidate."""
    alt = cand.alt
    source = _source(alt, cand.source)
    settings: list[str] = []
    if alt.formats:
        settings.append("formats " + " | ".join(alt.formats))
    if alt.formats_from:
        settings.append(f"layout from {alt.formats_from} ({alt.format_syntax})")
    if alt.tz:
        settings.append(f"zone {alt.tz}")
    if alt.scale is not None:
        settings.append(f"x {alt.scale:g}")
    if alt.extract:
        settings.append(f"extract {alt.extract}")
    if alt.map:
        settings.append(f"{len(alt.map)} mapped words")
    if alt.patterns:
        settings.append(f"{len(alt.patterns)} patterns")
    if alt.case:
        settings.append(f"{alt.case} case")
    if alt.keep:
        settings.append("kept in extras")
    return source, settings, " and ".join(describe_condition(c) for c in cand.when)


def _source(alt: Alternative, source: str | None) -> str:
    if alt.value is not None:
        return repr(alt.value)
    if alt.join:
        return f" {alt.sep!r} ".join(alt.join).join("()")
    if alt.between:
        return f"{alt.between[1]} - {alt.between[0]}"
    return source or "?"


def describe_condition(cond: Condition) -> str:
    """``field = a | b``, ``field ~ /regex/`` or ``field present``."""
    if cond.present is not None:
        return f"{cond.field} {'present' if cond.present else 'absent'}"
    if cond.equals:
        return f"{cond.field} = {' | '.join(cond.equals)}"
    if cond.not_regex is not None:
        return f"{cond.field} !~ /{cond.not_regex}/"
    return f"{cond.field} ~ /{cond.regex}/"
