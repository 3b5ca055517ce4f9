"""Authoring tools for format specs: what ``shadowlens formats show`` computes and prints.

The CLI stays thin: it resolves options and prints what these functions return.

* :func:`load_format`: a registered format by name, or a spec file by path;
* :func:`show_text`: the readable view of a spec-defined format (record layout,
  field table, quirks, options, its first example parsed);
* :func:`check_examples`: the ``[[examples]]`` of a spec, expected against got.

``formats check`` is in :mod:`shadowlens.spec.checking`, ``formats new`` in
:mod:`shadowlens.spec.scaffold`.

Examples
--------
>>> from shadowlens.formats import builtin_spec
>>> from shadowlens.parsers.specformat import spec_format
>>> [e.ok for e in check_examples(spec_format(builtin_spec("cef")))]
[True]
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from shadowlens.contract import LINES_SCHEMA, LogFormat, ParseOptions
from shadowlens.parsers.specformat import SpecFormat
from shadowlens.plugins.manager import Plugins
from shadowlens.schema import RECORD_SCHEMA
from shadowlens.spec.describe import candidate_parts, describe_condition
from shadowlens.spec.model import Example

#: Columns of a parsed record that are bookkeeping, not content.
_LINEAGE = ("source_line", "source_offset", "extras_keys", "extras_values", "log_format")
#: Columns an example may expect (the canonical record's, extras aside).
_RECORD_COLUMNS = frozenset(RECORD_SCHEMA.names)


@dataclass(frozen=True)
class LoadedFormat:
    """A format class and where it came from (a plugin name, or ``file:PATH``)."""

    cls: type[LogFormat]
    origin: str

    @property
    def is_spec(self) -> bool:
        """True for formats defined by a spec (``NAME.toml`` + ``NAME.lark``)."""
        return issubclass(self.cls, SpecFormat)


def is_spec_path(text: str) -> bool:
    """True when ``text`` names a spec file rather than a format (``.toml`` or a path)."""
    return text.endswith(".toml") or "/" in text or "\\" in text


def load_format(name_or_path: str, plugins: Callable[[], Plugins]) -> LoadedFormat:
    """The format named ``name_or_path`` (built by ``plugins``), or the spec at that path.

    Raises
    ------
    SpecError, GrammarError
        When a spec path fails to load (naming the file and line).
    ConfigError
        When no registered format has that name.
    """
    if is_spec_path(name_or_path):
        from shadowlens.plugins.specs import format_from_file

        return LoadedFormat(format_from_file(name_or_path), f"file:{name_or_path}")
    registry = plugins()
    entry = registry.formats().get(name_or_path)
    if entry is None:
        registry.format(name_or_path)  # raises a ConfigError listing the known names
        raise AssertionError  # pragma: no cover - format() raised
    return LoadedFormat(entry.cls, entry.plugin)


# -- parsing a few lines -----------------------------------------------------------------


def lines_of(texts: Sequence[str]) -> pl.DataFrame:
    """A chunk of lines (:data:`~shadowlens.contract.LINES_SCHEMA`) numbered from 1."""
    offsets = [0]
    for text in texts[:-1]:
        offsets.append(offsets[-1] + len(text.encode("utf-8", "surrogateescape")) + 1)
    return pl.DataFrame(
        {"line": list(texts), "source_line": range(1, len(texts) + 1), "source_offset": offsets},
        schema=LINES_SCHEMA,
    )


def record_values(record: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The non-null content columns and the extras map of one parsed record."""
    columns = {k: v for k, v in record.items() if v is not None and k not in _LINEAGE}
    keys, values = record.get("extras_keys") or [], record.get("extras_values") or []
    return columns, dict(zip(keys, values, strict=True))


def show_value(value: Any) -> str:
    """A value as the views print it (times in ISO 8601)."""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return str(value)


# -- examples --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExampleCheck:
    """One ``[[examples]]`` entry: what was expected and what the format gave."""

    index: int
    line: str
    problems: tuple[str, ...] = ()
    columns: Mapping[str, Any] = field(default_factory=dict)
    extras: Mapping[str, str] = field(default_factory=dict)
    quarantined: tuple[str, str] | None = None

    @property
    def ok(self) -> bool:
        """True when the example gave what it expects."""
        return not self.problems


def check_examples(fmt: type[LogFormat], options: ParseOptions | None = None) -> list[ExampleCheck]:
    """Parse every ``[[examples]]`` line of a spec format and compare with ``expect``.

    ``expect`` values compare by type: times as instants (a TOML datetime or an
    ISO 8601 string), numbers numerically, anything else as text; ``extras``
    may be a table of keys the record's extras must hold. An example with
    ``quarantined = "CODE"`` must be quarantined with that error code.
    """
    if not issubclass(fmt, SpecFormat):
        return []
    instance = fmt(options or ParseOptions())
    return [_check_example(instance, i, ex) for i, ex in enumerate(fmt.spec.examples, 1)]


def _check_example(fmt: LogFormat, index: int, example: Example) -> ExampleCheck:
    result = fmt.parse(lines_of([example.line]), fmt.new_state())
    if result.quarantine.height:
        row = result.quarantine.row(0, named=True)
        verdict = (str(row["error_code"]), str(row["error_message"]))
        problems: list[str] = []
        if example.quarantined is None:
            problems.append(f"quarantined ({verdict[0]}: {verdict[1]}); expected a record")
        elif example.quarantined != verdict[0]:
            problems.append(f"quarantined as {verdict[0]!r}, expected {example.quarantined!r}")
        return ExampleCheck(index, example.line, tuple(problems), quarantined=verdict)
    if not result.records.height:
        return ExampleCheck(index, example.line, ("neither a record nor quarantined",))
    columns, extras = record_values(result.records.row(0, named=True))
    problems = []
    if example.quarantined is not None:
        problems.append(f"gave a record; expected quarantined as {example.quarantined!r}")
    for column, expected in example.expect.items():
        if column not in _RECORD_COLUMNS and column != "extras":
            problems.append(f"records have no column {column!r}")
            continue
        if column == "extras" and isinstance(expected, Mapping):
            for key, want in expected.items():
                if extras.get(key) != str(want):
                    problems.append(f"extras[{key!r}]: expected {want!r}, got {extras.get(key)!r}")
        elif not same_value(columns.get(column), expected):
            got = columns.get(column)
            shown = show_value(got) if got is not None else "null"
            problems.append(f"{column}: expected {expected!r}, got {shown}")
    return ExampleCheck(index, example.line, tuple(problems), columns, extras)


def same_value(got: Any, expected: Any) -> bool:
    """True when a parsed value equals an ``expect`` value from the spec.

    Examples
    --------
    >>> t = dt.datetime(2025, 11, 26, 9, 15, 2, tzinfo=dt.UTC)
    >>> same_value(t, "2025-11-26T10:15:02+01:00"), same_value(5120, 5120.0), same_value("a", "b")
    (True, True, False)
    """
    if got is None:
        return False
    if isinstance(got, dt.datetime):
        want = expected
        if isinstance(expected, str):
            try:
                want = dt.datetime.fromisoformat(expected.replace("Z", "+00:00"))
            except ValueError:
                return False
        if not isinstance(want, dt.datetime):
            return False
        return got == (want if want.tzinfo else want.replace(tzinfo=dt.UTC))
    if isinstance(got, bool) or isinstance(expected, bool):
        return str(got).lower() == str(expected).lower()
    if isinstance(got, int | float) and isinstance(expected, int | float):
        return math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-9)
    return str(got) == str(expected)


# -- formats show --------------------------------------------------------------------------


def show_text(loaded: LoadedFormat) -> str:
    """The readable view of a spec-defined format (``shadowlens formats show NAME``)."""
    cls = loaded.cls
    if not issubclass(cls, SpecFormat):
        msg = f"format {cls.name!r} is not defined by a spec"
        raise TypeError(msg)
    plan = cls.base_plan()
    spec = plan.spec
    facts = cls.describe()
    out = [f"{spec.name}: {spec.description}", ""]
    about = {
        "plugin": loaded.origin,
        "spec": str(spec.path),
        "grammar": str(plan.grammar),
        "null": ", ".join(repr(n) for n in spec.null) or "(none)",
    }
    out += _aligned([[f"{k}:", v] for k, v in about.items()], indent=2)
    out += ["", "record layout"]
    out += _aligned([[f"{k}:", _text(v)] for k, v in facts["record"].items()], indent=2)
    out += ["", "field table (per column, the first row that gives a value wins)"]
    rows = [["column", "", "source", "type", "when", "quirk", "settings"]]
    for column in plan.table:
        for i, cand in enumerate(column.candidates):
            source, settings, when = candidate_parts(cand)
            label = column.column if i == 0 else ""
            rows.append(
                [label, "<-", source, cand.alt.type, when, cand.quirk or "", ", ".join(settings)]
            )
    out += _aligned(rows, indent=2)
    out += ["", "quirks"]
    for quirk in spec.quirks:
        when = " and ".join(describe_condition(c) for c in quirk.when)
        out.append(f"  {quirk.name}: when {when}")
        if quirk.because:
            out.append(f"    because {quirk.because}")
        for rule in quirk.fields:
            sources = " | ".join(s for alt in rule.alternatives for s in alt.sources or ("?",))
            out.append(f"    {rule.column} <- {sources}")
    if not spec.quirks:
        out.append("  (none)")
    out += ["", "options"]
    options = [
        [o.name, f"default {o.default!r}", f"choices {' | '.join(o.choices)}" if o.choices else "", o.help]
        for o in spec.options
    ]  # fmt: skip
    out += _aligned(options, indent=2) if options else ["  (none)"]
    out += ["", *_example_text(cls)]
    return "\n".join(line.rstrip() for line in out) + "\n"


def _example_text(cls: type[SpecFormat]) -> list[str]:
    examples = cls.spec.examples
    if not examples:
        return ["example", "  (none: add an [[examples]] entry with a line and what it gives)"]
    first = check_examples(cls)[0]
    out = [f"example (1 of {len(examples)}, parsed now)", f"  {first.line}"]
    if first.quarantined:
        out.append(f"  quarantined: {first.quarantined[0]}: {first.quarantined[1]}")
        return out
    out += _aligned([[k, show_value(v)] for k, v in first.columns.items()], indent=4)
    extras = ", ".join(f"{k}={v}" for k, v in first.extras.items()) or "(none)"
    out.append(f"    extras: {extras}")
    if first.problems:
        out.append("  does NOT match its expect: " + "; ".join(first.problems))
    return out


def _text(value: Any) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)


def _aligned(rows: Sequence[Sequence[str]], indent: int = 0) -> list[str]:
    """Rows as text columns padded to their widest cell."""
    if not rows:
        return []
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    pad = " " * indent
    return [
        pad + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
