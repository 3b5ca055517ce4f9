"""``shadowlens formats check``: a format on sample files, line by line, and its examples.

For every line: do the fast path and the Lark reference agree (same parsed
fields), does only Lark accept it (the fallback), do they differ (which fields,
both values), and does the line end up as a record or in the quarantine (the
error code, the message and the column, shown with a caret). For a spec, its
``[[examples]]`` too. :func:`check_samples` builds the :class:`CheckReport`;
:func:`render_check` prints it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import polars as pl

from shadowlens.contract import LogFormat, ParseOptions
from shadowlens.errors import ErrorCode
from shadowlens.spec.authoring import ExampleCheck, LoadedFormat, check_examples, show_value

#: Characters of a long line shown around the column of an error.
_WINDOW = 100
_COLUMN = re.compile(r"\bcolumn (\d+)\b")

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
    if line.outcome != "record":
        outcome = "QUARANTINED" if line.outcome == "quarantined" else "directive"
        label = f"{label}, {outcome}" if label in ("DIFF", "fallback") else outcome
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
