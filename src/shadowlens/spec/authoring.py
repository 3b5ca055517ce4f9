"""What ``shadowlens formats show`` and ``formats check`` compute and print.

The CLI stays thin: it resolves options and prints what this module returns.

* :func:`load_format`: a registered format by name, or a spec file by path;
* :func:`show_text`: the readable view of a spec-defined format (record layout,
  field table, quirks, options, its first example parsed);
* :func:`check_samples`: per line, the fast path against the Lark reference and
  the quarantine verdict (with the column), plus the spec's ``[[examples]]``;
  :func:`render_check` prints the :class:`CheckReport`;
* :func:`check_examples`: the ``[[examples]]`` of a spec, expected against got.

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
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import polars as pl

from shadowlens.contract import LINES_SCHEMA, LogFormat, ParseOptions
from shadowlens.errors import ErrorCode
from shadowlens.parsers.specformat import SpecFormat
from shadowlens.plugins.manager import Plugins
from shadowlens.spec.describe import candidate_parts, describe_condition
from shadowlens.spec.model import Example

#: Columns of a parsed record that are bookkeeping, not content.
_LINEAGE = ("source_line", "source_offset", "extras_keys", "extras_values", "log_format")
#: Characters of a long line shown around the column of an error.
_WINDOW = 100
_COLUMN = re.compile(r"\bcolumn (\d+)\b")


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


# -- formats check -----------------------------------------------------------------------------

Paths = Literal["agree", "fallback", "differ", "fast_only", "rejected", "none"]


@dataclass(frozen=True)
class LineCheck:
    """The verdict on one sample line.

    ``paths``: both paths accepted it with equal fields (``agree``), only Lark did
    (``fallback``), both did with different fields (``differ``, see ``diffs``),
    only the fast path did (``fast_only``, a bug in the plan), both rejected it
    (``rejected``), or the format has no fast path to compare (``none``).
    ``outcome``: ``record``, ``quarantined`` (with ``error``) or ``directive``.
    """

    source: str
    number: int
    text: str
    paths: Paths
    outcome: Literal["record", "quarantined", "directive"]
    diffs: tuple[tuple[str, Any, Any], ...] = ()
    error: tuple[str, str] | None = None
    untimed: bool = False

    @property
    def column(self) -> int | None:
        """The 1-based column the error message points at, if any."""
        found = _COLUMN.search(self.error[1]) if self.error else None
        return int(found.group(1)) if found else None

    @property
    def finding(self) -> bool:
        """True when the line makes ``formats check`` fail."""
        return self.outcome == "quarantined" or self.paths in ("differ", "fast_only")


@dataclass
class CheckReport:
    """Everything ``formats check`` found, line by line and example by example."""

    format: str
    origin: str
    lines: list[LineCheck]
    examples: list[ExampleCheck]
    compared: bool

    def counts(self) -> dict[str, int]:
        """Lines per verdict, and examples passed and failed."""
        paths = Counter(line.paths for line in self.lines)
        outcomes = Counter(line.outcome for line in self.lines)
        return {
            "lines": len(self.lines),
            "agree": paths["agree"],
            "fallback": paths["fallback"],
            "differ": paths["differ"] + paths["fast_only"],
            "records": outcomes["record"],
            "quarantined": outcomes["quarantined"],
            "directives": outcomes["directive"],
            "untimed": sum(line.untimed for line in self.lines),
            "examples_ok": sum(e.ok for e in self.examples),
            "examples_failed": sum(not e.ok for e in self.examples),
        }

    @property
    def findings(self) -> int:
        """Lines quarantined or differing, plus failed examples: non-zero fails the check."""
        return sum(line.finding for line in self.lines) + self.counts()["examples_failed"]

    def as_json(self) -> dict[str, Any]:
        """JSON-ready form (``formats check --json``)."""
        return {
            "format": self.format,
            "plugin": self.origin,
            "compared_with_lark": self.compared,
            "counts": self.counts(),
            "ok": not self.findings,
            "lines": [
                {
                    "source": line.source,
                    "line": line.number,
                    "paths": line.paths,
                    "outcome": line.outcome,
                    "diffs": [
                        {"field": f, "fast": show_value(a), "lark": show_value(b)}
                        for f, a, b in line.diffs
                    ],
                    "error_code": line.error[0] if line.error else None,
                    "error_message": line.error[1] if line.error else None,
                    "column": line.column,
                    "untimed": line.untimed,
                }
                for line in self.lines
            ],
            "examples": [
                {"example": e.index, "line": e.line, "ok": e.ok, "problems": list(e.problems)}
                for e in self.examples
            ],
        }


def check_samples(
    loaded: LoadedFormat, samples: Sequence[str], options: ParseOptions | None = None
) -> CheckReport:
    """Check ``loaded`` on the sample files (any input ``parse`` reads) and its examples.

    Raises
    ------
    InputError
        When a sample cannot be found or read.
    """
    from shadowlens.engine.lines import iter_raw_chunks, to_line_chunk
    from shadowlens.engine.sources import discover
    from shadowlens.parsers.base import GrammarFormat

    fmt = loaded.cls(options or ParseOptions())
    compared = isinstance(fmt, GrammarFormat)
    checks: list[LineCheck] = []
    for source in discover(samples):
        states = (fmt.new_state(), fmt.new_state(), fmt.new_state())
        with source.open() as opened:
            for raw in iter_raw_chunks(opened.stream, name=source.name):
                chunk = to_line_chunk(raw)
                if chunk.too_long.len():
                    long = chunk.lines.filter(pl.col("source_line").is_in(chunk.too_long.implode()))
                    checks += _too_long(source.name, long)
                    continue
                checks += _check_chunk(fmt, source.name, chunk.lines, states)
    return CheckReport(
        fmt.name, loaded.origin, checks, check_examples(loaded.cls, options), compared
    )


def _too_long(source: str, lines: pl.DataFrame) -> Iterator[LineCheck]:
    for number, text in zip(lines["source_line"], lines["line"], strict=True):
        error = (ErrorCode.LINE_TOO_LONG.value, "line too long: cut and skipped by the engine")
        yield LineCheck(source, number, text, "none", "quarantined", error=error)


def _check_chunk(
    fmt: LogFormat, source: str, lines: pl.DataFrame, states: tuple[Any, Any, Any]
) -> list[LineCheck]:
    from shadowlens.parsers.base import GrammarFormat

    result = fmt.parse(lines, states[0])
    numbers: list[int] = lines["source_line"].to_list()
    records: dict[int, bool] = {}
    if result.records.height:
        untimed = (
            result.records["event_time"].is_null()
            if "event_time" in result.records.columns
            else pl.repeat(True, result.records.height, eager=True)
        )
        records = dict(zip(result.records["source_line"].to_list(), untimed.to_list(), strict=True))
    errors = {
        row["source_line"]: (str(row["error_code"]), str(row["error_message"]))
        for row in result.quarantine.iter_rows(named=True)
    }
    paths: dict[int, tuple[Paths, tuple[tuple[str, Any, Any], ...]]] = {}
    if isinstance(fmt, GrammarFormat):
        paths = _compare_paths(fmt, lines, states[1], states[2])
    checks = []
    for number, text in zip(numbers, lines["line"].to_list(), strict=True):
        verdict, diffs = paths.get(number, ("none", ()))
        if number in errors:
            outcome: Literal["record", "quarantined", "directive"] = "quarantined"
        elif number in records:
            outcome = "record"
        else:
            outcome = "directive"
        checks.append(
            LineCheck(
                source, number, text, verdict, outcome, diffs, errors.get(number),
                untimed=records.get(number, False),
            )
        )  # fmt: skip
    return checks


def _compare_paths(
    fmt: Any, lines: pl.DataFrame, fast_state: Any, lark_state: Any
) -> dict[int, tuple[Paths, tuple[tuple[str, Any, Any], ...]]]:
    """Per source line: how the fast path and the Lark reference compare."""
    indexed = lines.with_row_index("_row")
    schema = pl.Schema({"_row": pl.UInt32(), **fmt.fields_schema})
    fast = fmt.fast_fields(indexed.select("_row", "line"), fast_state)
    fast = fast.select(schema.keys()).cast(schema)
    lark, _errors = fmt.reference_fields(indexed.select("_row", "line"), lark_state)
    fast_rows = {row[0]: row[1:] for row in fast.rows()}
    lark_rows = {row[0]: row[1:] for row in lark.rows()}
    names = list(schema)[1:]
    found: dict[int, tuple[Paths, tuple[tuple[str, Any, Any], ...]]] = {}
    for row, number in enumerate(indexed["source_line"].to_list()):
        got, want = fast_rows.get(row), lark_rows.get(row)
        if got is None and want is None:
            found[number] = ("rejected", ())
        elif want is None:
            found[number] = ("fast_only", ())
        elif got is None:
            found[number] = ("fallback", ())
        else:
            diffs = tuple((n, a, b) for n, a, b in zip(names, got, want, strict=True) if a != b)
            found[number] = ("differ", diffs) if diffs else ("agree", ())
    return found


def render_check(report: CheckReport, *, problems_only: bool = False) -> str:
    """The text of ``formats check``: one line per sample line, details under findings."""
    out = [f"{report.format} ({report.origin})"]
    if not report.compared:
        out.append("  (no fast path: this format is not grammar-based, lines are only parsed)")
    source = None
    for line in report.lines:
        if problems_only and not line.finding and line.paths != "fallback":
            continue
        if line.source != source:
            source = line.source
            out.append(f"{source}")
        out += _line_text(line)
    if report.examples:
        out.append("examples")
        for ex in report.examples:
            out.append(f"  example {ex.index}: {'ok' if ex.ok else 'FAIL'}")
            out += [f"    {p}" for p in ex.problems]
    c = report.counts()
    summary = (
        f"{c['lines']} line(s): {c['records']} record(s), {c['quarantined']} quarantined, "
        f"{c['directives']} directive(s)"
    )
    if report.compared:
        summary += f"; fast path vs Lark: {c['agree']} agree, {c['fallback']} fallback, {c['differ']} differ"
    if c["untimed"]:
        summary += f"; {c['untimed']} untimed"
    if report.examples:
        summary += f"; examples: {c['examples_ok']} ok, {c['examples_failed']} failed"
    verdict = "OK" if not report.findings else f"FAILED ({report.findings} finding(s))"
    out.append(f"{verdict}: {summary}")
    return "\n".join(out) + "\n"


_LABELS = {
    "agree": "ok",
    "fallback": "fallback",
    "differ": "DIFF",
    "fast_only": "DIFF",
    "rejected": "",
    "none": "",
}


def _line_text(line: LineCheck) -> list[str]:
    label = _LABELS[line.paths]
    if line.outcome == "quarantined":
        label = "QUARANTINED" if not label or label == "ok" else f"{label}, QUARANTINED"
    elif line.outcome == "directive":
        label = label or "directive"
    label = label or "record"
    head = f"  {line.number:>5}  {label:<11} {_clip(line.text, 0, 90)[0]}"
    out = [head]
    if line.paths == "fallback":
        out.append("         only Lark accepts this line (slower path, same records)")
    if line.paths == "fast_only":
        out.append("         the fast path accepts this line but Lark rejects it")
    for name, fast, lark in line.diffs:
        out.append(f"         {name}: fast path {fast!r} / Lark {lark!r}")
    if line.error:
        out.append(f"         {line.error[0]}: {line.error[1]}")
        column = line.column
        if column is not None:
            text, at = _clip(line.text, column - 1, _WINDOW)
            out += [f"         {text}", "         " + " " * at + "^"]
    if line.untimed and line.outcome == "record":
        out.append("         no usable event time (event_time is null)")
    return out


def _clip(text: str, at: int, width: int) -> tuple[str, int]:
    """``text`` cut to ``width`` characters around index ``at``, and ``at`` in the cut."""
    text = text.replace("\t", " ")
    if len(text) <= width:
        return text, at
    start = max(0, min(at - width // 2, len(text) - width))
    cut = text[start : start + width]
    prefix = "…" if start else ""
    suffix = "…" if start + width < len(text) else ""
    return prefix + cut + suffix, at - start + len(prefix)
