"""The format contract check (:func:`check_format_contract`).

Part of :mod:`shadowlens.testing`; import from there.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence

import polars as pl
from lark import Lark
from lark.grammar import NonTerminal

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
from shadowlens.schema import RECORD_POLARS_SCHEMA, RECORD_SCHEMA, conform, to_arrow
from shadowlens.testing._kit import (
    FormatArg,
    assert_fast_matches_reference,
    lines_frame,
    parse_lines,
    raise_problems,
)

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
        check_sample(fmt_cls, [*sample, *JUNK_LINES], options, problems)
    except Exception as exc:
        problems.append(f"parsing the sample raised {type(exc).__name__}: {exc}")
    if sample and issubclass(fmt_cls, GrammarFormat) and not problems:
        try:
            assert_fast_matches_reference(fmt_cls, sample, options=options, allow_fallback=True)
        except AssertionError as exc:
            problems.append(str(exc))
    raise_problems(
        problems, f"{getattr(fmt_cls, '__qualname__', fmt_cls)} breaks the format contract"
    )


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


def check_sample(
    fmt: FormatArg,
    lines: Sequence[str],
    options: ParseOptions | None,
    problems: list[str],
) -> None:
    """Every line accounted for; records canonical and convertible; quarantine codes stable."""
    frame, _blank = lines_frame(lines)
    result = parse_lines(fmt, lines, options=options)
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
