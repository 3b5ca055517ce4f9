"""Parse lines as the engine would and compare a format's fast path with its Lark reference.

Part of :mod:`shadowlens.testing`; import from there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from shadowlens.engine.lines import RawChunk, to_line_chunk
from shadowlens.parsers.base import (
    LINES_SCHEMA,
    GrammarFormat,
    LogFormat,
    ParseOptions,
    ParseResult,
)
from shadowlens.plugins.manager import get_plugins

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
        if "\n" in line or "\r" in line:  # the engine ends a line at LF, CRLF or a lone CR
            msg = f"a line must not contain a line end (LF or CR): {line[:60]!r}"
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
    raise_problems(problems, f"{fmt.name}: fast path and Lark reference disagree")
    return FastPathReport(agreed, rejected, fallback)


def raise_problems(problems: list[str], title: str) -> None:
    """Raise AssertionError titled ``title`` listing ``problems`` (the first 20), if any."""
    if not problems:
        return
    shown = problems[:_MAX_REPORTED]
    more = len(problems) - len(shown)
    body = "\n".join(f"  - {p}" for p in shown) + (f"\n  ... and {more} more" if more else "")
    msg = f"{title}:\n{body}"
    raise AssertionError(msg)
