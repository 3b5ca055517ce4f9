"""Conformance kit for format plugin authors (guide: ``docs/plugins.md``).

Use it from your own test suite; with shadowlens installed it is also a pytest
plugin (entry point ``pytest11``), so the ``shadowlens_plugins`` fixture needs
no import. The helpers raise :class:`AssertionError` listing every problem they
found, so they work under any test runner. Importing this module has no side
effects and does not need pytest (without it, ``shadowlens_plugins`` is a plain
generator function).

Examples
--------
>>> result = parse_lines(format_class("cef"), ["CEF:0|V|P|1|1|n|5|rt=1700000000000 src=10.0.0.1", ""])
>>> result.records.height, result.quarantine.height
(1, 0)
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
from lark import Lark
from lark.grammar import NonTerminal

from shadowlens.engine.lines import RawChunk, to_line_chunk
from shadowlens.errors import ConfigError, ErrorCode, GrammarError
from shadowlens.parsers.base import (
    LINES_SCHEMA,
    QUARANTINE_ROWS_SCHEMA,
    GrammarFormat,
    LogFormat,
    ParseOptions,
    ParseResult,
)
from shadowlens.parsers.grammar import rule_regex
from shadowlens.plugins.manager import Plugins, get_plugins
from shadowlens.schema import RECORD_POLARS_SCHEMA, RECORD_SCHEMA, conform, to_arrow

__all__ = [
    "JUNK_LINES",
    "FastPathReport",
    "assert_examples",
    "assert_fast_matches_reference",
    "check_format_contract",
    "format_class",
    "lines_frame",
    "parse_lines",
    "shadowlens_plugins",
    "type_values",
]

#: Lines no sane log format accepts whole; the contract check feeds them to every
#: format to prove they end up quarantined (or counted), never lost.
JUNK_LINES: tuple[str, ...] = (
    "this is not a log line",
    "\ufffd\ufffd binary \ufffd junk",
    "{}",
    "   leading spaces",
    "a" * 5000,
)
#: Columns a format must return besides canonical ones.
_LINEAGE = frozenset({"source_line", "source_offset"})
#: ``extras`` may also travel as two parallel string lists (see :func:`shadowlens.schema.conform`).
_EXTRAS_LISTS = frozenset({"extras_keys", "extras_values"})
_MAX_REPORTED = 20

FormatArg = LogFormat | type[LogFormat]


def format_class(name_or_path: str | Path) -> type[LogFormat]:
    """A registered format by name, or the format of a spec file (``acme.toml``).

    Examples
    --------
    >>> format_class("cef").name
    'cef'
    """
    text = str(name_or_path)
    if text.endswith(".toml") or isinstance(name_or_path, Path):
        from shadowlens.plugins.specs import format_from_file

        return format_from_file(name_or_path)
    return get_plugins(load_entrypoints=None).format(text)


def type_values(
    fmt: FormatArg,
    column: str,
    values: Sequence[str | None] | pl.Series,
    *,
    candidate: int = 0,
    options: ParseOptions | None = None,
) -> pl.Series:
    """Type raw texts as a spec format's field table types ``column`` (its ``candidate``-th way).

    Examples
    --------
    >>> type_values(format_class("cef"), "src_port", ["443", "70000"]).to_list()
    [443, None]
    """
    from shadowlens.parsers.coerce import coerce
    from shadowlens.parsers.specformat import SpecFormat

    instance = _instance(fmt, options)
    if not isinstance(instance, SpecFormat):
        msg = f"{type(instance).__name__} is not defined by a spec"
        raise TypeError(msg)
    plan = next((c for c in instance.plan.table if c.column == column), None)
    if plan is None:
        msg = f"format {instance.name!r} has no rule for column {column!r}"
        raise KeyError(msg)
    series = values if isinstance(values, pl.Series) else pl.Series(values, dtype=pl.String())
    cand = plan.candidates[candidate]
    return coerce(series.cast(pl.String()), cand, plan.dtype, instance.options).value


def _instance(fmt: FormatArg, options: ParseOptions | None = None) -> LogFormat:
    if isinstance(fmt, LogFormat):
        return fmt
    return fmt(options or ParseOptions())


def lines_frame(lines: Sequence[str]) -> tuple[pl.DataFrame, int]:
    """The chunk the engine would hand a format for ``lines``, and the number of blank lines.

    Lines are numbered from 1 with byte offsets as in a file joined by ``\\n``;
    blank lines are dropped, exactly as the engine does.

    Examples
    --------
    >>> frame, blank = lines_frame(["a", "", "b"])
    >>> frame.rows(), blank
    ([('a', 1, 0), ('b', 3, 3)], 1)
    """
    for line in lines:
        if "\n" in line:
            msg = f"a line must not contain a newline: {line[:60]!r}"
            raise ValueError(msg)
    if not lines:
        return pl.DataFrame(schema=LINES_SCHEMA), 0
    data = ("\n".join(lines) + "\n").encode("utf-8", errors="surrogateescape")
    chunk = to_line_chunk(RawChunk(data, 1, 0))
    return chunk.lines.cast(LINES_SCHEMA), chunk.blank


def parse_lines(
    fmt: FormatArg,
    lines: Sequence[str],
    *,
    options: ParseOptions | None = None,
    state: Any = None,
    chunk_lines: int | None = None,
) -> ParseResult:
    """Parse ``lines`` (one file's content) the way the engine would.

    Parameters
    ----------
    fmt
        A format class (instantiated with ``options``) or instance.
    lines
        Lines without their newline; blank ones are skipped as the engine does.
    options
        Options for a format class (default :class:`~shadowlens.ParseOptions`).
    state
        Per-file state; default ``fmt.new_state()``.
    chunk_lines
        Split the input into chunks of this many lines and parse them one after
        the other with the same state (stateful formats keep their layout across
        chunks); the results are concatenated.

    Returns
    -------
    ParseResult
        Records with ``source_line``/``source_offset`` (1-based line numbers).
    """
    instance = _instance(fmt, options)
    state = instance.new_state() if state is None else state
    frame, _blank = lines_frame(lines)
    if not chunk_lines or frame.height <= chunk_lines:
        return instance.parse(frame, state)
    results = [
        instance.parse(frame.slice(start, chunk_lines), state)
        for start in range(0, frame.height, chunk_lines)
    ]
    return ParseResult(
        records=pl.concat([r.records for r in results], how="diagonal_relaxed"),
        quarantine=pl.concat([r.quarantine for r in results], how="diagonal_relaxed"),
        directives=sum(r.directives for r in results),
        fallback=sum(r.fallback for r in results),
        year_assumed=sum(r.year_assumed for r in results),
    )


@dataclass(frozen=True)
class FastPathReport:
    """How the lines of a differential check went.

    ``agreed``: both paths accepted with equal fields; ``rejected``: both
    rejected; ``fallback``: only Lark accepted (allowed with ``allow_fallback``).
    """

    agreed: int
    rejected: int
    fallback: int


def assert_fast_matches_reference(
    fmt_cls: type[GrammarFormat] | GrammarFormat,
    lines: Sequence[str],
    *,
    options: ParseOptions | None = None,
    allow_fallback: bool = False,
) -> FastPathReport:
    """Check, line by line, that the fast path and the Lark reference agree.

    For each line: both reject it, or both accept it with equal parsed fields
    (every column of ``fields_schema``). A line the fast path accepts and Lark
    rejects is always an error (the fast path would invent a record); a line
    only Lark accepts is an error unless ``allow_fallback`` (the format keeps a
    construct on the Lark path on purpose).

    Raises
    ------
    AssertionError
        Listing every disagreeing line, field and both values.
    """
    fmt = _instance(fmt_cls, options)
    if not isinstance(fmt, GrammarFormat):
        msg = f"{type(fmt).__name__} is not a GrammarFormat: it has no fast path to compare"
        raise TypeError(msg)
    frame, _blank = lines_frame(lines)
    indexed = frame.with_row_index("_row").select("_row", "line")
    schema = pl.Schema({"_row": pl.UInt32(), **fmt.fields_schema})
    fast = fmt.fast_fields(indexed, fmt.new_state())
    fast = fast.select(schema.keys()).cast(schema)
    slow, _errors = fmt.reference_fields(indexed, fmt.new_state())
    fast_rows = {row[0]: row for row in fast.rows()}
    slow_rows = {row[0]: row for row in slow.rows()}
    names = list(schema)
    text = indexed["line"].to_list()
    problems: list[str] = []
    agreed = rejected = fallback = 0
    for row, line in enumerate(text):
        got, want = fast_rows.get(row), slow_rows.get(row)
        if got is None and want is None:
            rejected += 1
        elif want is None:
            problems.append(f"fast path accepts a line Lark rejects: {line[:120]!r}")
        elif got is None:
            fallback += 1
            if not allow_fallback:
                problems.append(f"fast path rejects a line Lark accepts: {line[:120]!r}")
        else:
            diffs = [
                f"{name}: fast={a!r} reference={b!r}"
                for name, a, b in zip(names[1:], got[1:], want[1:], strict=True)
                if a != b
            ]
            if diffs:
                problems.append(f"fields differ for {line[:120]!r}: " + "; ".join(diffs))
            else:
                agreed += 1
    _raise_if(problems, f"{fmt.name}: fast path and Lark reference disagree")
    return FastPathReport(agreed, rejected, fallback)


def assert_examples(fmt_cls: type[LogFormat], *, options: ParseOptions | None = None) -> int:
    """Check that every ``[[examples]]`` line of a spec format gives what it ``expect``s.

    Returns the number of examples checked (0 for formats not defined by a spec).

    Raises
    ------
    AssertionError
        Listing every example, column, expected and actual value that differ.

    Examples
    --------
    >>> assert_examples(format_class("cef"))
    1
    """
    from shadowlens.spec.authoring import check_examples

    checks = check_examples(fmt_cls, options)
    problems = [f"example {c.index} ({c.line[:80]!r}): {p}" for c in checks for p in c.problems]
    _raise_if(problems, f"{fmt_cls.name}: examples do not give what they expect")
    return len(checks)


def check_format_contract(
    fmt_cls: type[LogFormat],
    sample: Sequence[str] = (),
    *,
    options: ParseOptions | None = None,
) -> None:
    """Check the contract every format must keep; raise AssertionError listing what breaks.

    Checked: ``name`` (lowercase, no spaces) and ``description`` are set; the
    grammar loads and every rule compiles into a regex for the fast path unless
    ``reference_only`` names it; :meth:`~shadowlens.LogFormat.describe` returns
    JSON-ready facts; ``detect`` scores in [0, 1]; unknown options raise
    :class:`~shadowlens.ConfigError`; an empty chunk gives an empty result; on
    ``sample`` plus :data:`JUNK_LINES` every line is a record, a quarantined
    line or a directive; records conform to the canonical schema
    (:func:`shadowlens.schema.conform`) and convert to Arrow; quarantine rows
    use stable :class:`~shadowlens.ErrorCode` values; and the fast path agrees
    with the Lark reference on ``sample``.

    Parameters
    ----------
    fmt_cls
        The format class, as registered.
    sample
        Realistic lines of the format (the more variety the better).
    options
        Options to build the format with for the sample checks.
    """
    problems: list[str] = []
    for check in _CHECKS:
        try:
            check(fmt_cls, problems)
        except Exception as exc:
            problems.append(f"{check.__name__.lstrip('_')}: {type(exc).__name__}: {exc}")
    try:
        _check_sample(fmt_cls, [*sample, *JUNK_LINES], options, problems)
    except Exception as exc:
        problems.append(f"parsing the sample raised {type(exc).__name__}: {exc}")
    if sample and issubclass(fmt_cls, GrammarFormat) and not problems:
        try:
            assert_fast_matches_reference(fmt_cls, sample, options=options, allow_fallback=True)
        except AssertionError as exc:
            problems.append(str(exc))
    _raise_if(problems, f"{getattr(fmt_cls, '__qualname__', fmt_cls)} breaks the format contract")


# -- the individual checks ----------------------------------------------------------


def _check_names(fmt_cls: type[LogFormat], problems: list[str]) -> None:
    name = getattr(fmt_cls, "name", None)
    if not isinstance(name, str) or not name or name != name.lower() or " " in name:
        problems.append(f"name must be a non-empty lowercase word, got {name!r}")
    if not getattr(fmt_cls, "description", ""):
        problems.append("description is empty")


def _check_grammar(fmt_cls: type[LogFormat], problems: list[str]) -> None:
    if not issubclass(fmt_cls, GrammarFormat):
        return
    lark = fmt_cls.lark()
    declared = set(re.findall(r"\w+", " ".join(fmt_cls.reference_only)))
    for rule in _reachable_rules(lark, fmt_cls.start):
        try:
            rule_regex(lark, rule)
        except GrammarError as exc:
            culprits = {rule, *re.findall(r"'(\w+)'", str(exc))}
            if not culprits & declared:
                problems.append(
                    f"rule {rule!r} cannot become a fast-path regex ({exc}); "
                    "fix it or name it in reference_only"
                )
    missing = [f for f in ("fields_schema", "grammar_file") if not hasattr(fmt_cls, f)]
    if missing:
        problems.append(f"GrammarFormat without {', '.join(missing)}")


def _reachable_rules(lark: Lark, start: str) -> list[str]:
    """Rules used from ``start`` (imported but unused rules have no terminals left)."""
    defs = {str(name): tree for name, _params, tree, _opts in lark.grammar.rule_defs}
    seen, todo = [start], [start]
    while todo:
        tree = defs.get(todo.pop())
        for ref in tree.scan_values(lambda v: isinstance(v, NonTerminal)) if tree else ():
            if ref.name not in seen:
                seen.append(ref.name)
                todo.append(ref.name)
    return [rule for rule in seen if rule in defs]


def _check_describe(fmt_cls: type[LogFormat], problems: list[str]) -> None:
    info = fmt_cls.describe()
    if not isinstance(info, dict) or info.get("name") != fmt_cls.name:
        problems.append(f"describe() must return a dict with name={fmt_cls.name!r}, got {info!r}")
    json.dumps(info)


def _check_detect(fmt_cls: type[LogFormat], problems: list[str]) -> None:
    for sample in ([], list(JUNK_LINES)):
        score = fmt_cls.detect(sample)
        if not isinstance(score, int | float) or not 0.0 <= score <= 1.0:
            problems.append(f"detect({sample!r:.40}) returned {score!r}, not a score in [0, 1]")


def _check_unknown_option(fmt_cls: type[LogFormat], problems: list[str]) -> None:
    try:
        fmt_cls(ParseOptions(options={"shadowlens-testing-no-such-option": "1"}))
    except ConfigError:
        return
    problems.append("an unknown option was accepted; it must raise ConfigError")


def _check_empty(fmt_cls: type[LogFormat], problems: list[str]) -> None:
    fmt = fmt_cls(ParseOptions())
    result = fmt.parse(pl.DataFrame(schema=LINES_SCHEMA), fmt.new_state())
    if not isinstance(result, ParseResult):
        problems.append(f"parse() returned {type(result).__name__}, not ParseResult")
        return
    if result.records.height or result.quarantine.height or result.directives:
        problems.append("an empty chunk did not give an empty result")


_CHECKS: tuple[Callable[[type[LogFormat], list[str]], None], ...] = (
    _check_names,
    _check_grammar,
    _check_describe,
    _check_detect,
    _check_unknown_option,
    _check_empty,
)


def _check_sample(
    fmt_cls: type[LogFormat],
    lines: Sequence[str],
    options: ParseOptions | None,
    problems: list[str],
) -> None:
    frame, _blank = lines_frame(lines)
    result = parse_lines(fmt_cls, lines, options=options)
    accounted = result.records.height + result.quarantine.height + result.directives
    if accounted != frame.height:
        problems.append(
            f"{frame.height} non-blank lines in, but {result.records.height} records + "
            f"{result.quarantine.height} quarantined + {result.directives} directives out"
        )
    unknown = set(result.records.columns) - set(RECORD_POLARS_SCHEMA) - _LINEAGE - _EXTRAS_LISTS
    if unknown:
        problems.append(f"records have non-canonical columns {sorted(unknown)}")
    missing = _LINEAGE - set(result.records.columns)
    if missing:
        problems.append(f"records lack lineage columns {sorted(missing)}")
    _check_records(result.records, problems)
    _check_quarantine(result.quarantine, problems)


def _check_records(records: pl.DataFrame, problems: list[str]) -> None:
    time = records.schema.get("event_time")
    if records.height and not (isinstance(time, pl.Datetime) and time.time_zone == "UTC"):
        problems.append(f"event_time must be Datetime in UTC, got {time}")
    try:
        conformed = conform(
            records.with_columns(source_file=pl.lit("sample")), RECORD_POLARS_SCHEMA
        )
        to_arrow(conformed, RECORD_SCHEMA)
    except Exception as exc:
        problems.append(f"records do not conform to the canonical schema: {exc}")


def _check_quarantine(quarantine: pl.DataFrame, problems: list[str]) -> None:
    if set(quarantine.columns) != set(QUARANTINE_ROWS_SCHEMA):
        problems.append(
            f"quarantine columns {quarantine.columns} != {list(QUARANTINE_ROWS_SCHEMA)}"
        )
        return
    codes = set(quarantine["error_code"].drop_nulls().to_list())
    unknown = codes - {code.value for code in ErrorCode}
    if unknown or quarantine["error_code"].null_count():
        problems.append(f"quarantine error codes must be ErrorCode values, got {sorted(unknown)}")


def _raise_if(problems: list[str], title: str) -> None:
    if not problems:
        return
    shown = problems[:_MAX_REPORTED]
    more = len(problems) - len(shown)
    body = "\n".join(f"  - {p}" for p in shown) + (f"\n  ... and {more} more" if more else "")
    msg = f"{title}:\n{body}"
    raise AssertionError(msg)


# -- pytest fixture (a plain generator function when pytest is missing) ---------------


def _fresh_plugins() -> Iterator[Plugins]:
    """A fresh plugin manager (built-ins + installed entry points) for one test."""
    yield get_plugins()


shadowlens_plugins: Any
try:
    import pytest
except ImportError:  # pragma: no cover - the kit works without pytest
    shadowlens_plugins = _fresh_plugins
else:
    shadowlens_plugins = pytest.fixture(name="shadowlens_plugins")(_fresh_plugins)
