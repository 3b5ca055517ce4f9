""":class:`GrammarFormat`: a format defined by a Lark grammar, with a fast path.

The contract every format keeps (:class:`~shadowlens.contract.LogFormat`,
:class:`~shadowlens.contract.ParseOptions`, :class:`~shadowlens.contract.ParseResult`)
is in :mod:`shadowlens.contract`; it is re-exported here. Grammar formats turn
a chunk of lines into canonical records in three steps, each a function of
whole columns:

1. ``fast_fields``: the plan compiled from the grammar runs as polars kernels and
   returns the *parsed fields* (raw text per grammar field) of the lines it accepts;
2. ``reference_fields``: the Lark LALR parser of the same grammar parses the lines
   the fast path rejected; what Lark rejects is quarantined with its error position;
3. ``to_records``: one shared, vectorized mapping from parsed fields to canonical
   columns, so both paths normalize identically.

Differential tests check step 1 against step 2, field by field.
"""

from __future__ import annotations

import abc
import re
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import polars as pl
from lark import Lark, Tree
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

from shadowlens.contract import (
    LINES_SCHEMA,
    QUARANTINE_ROWS_SCHEMA,
    Engine,
    LogFormat,
    ParseOptions,
    ParseResult,
)
from shadowlens.errors import ErrorCode
from shadowlens.parsers.coerce import check_time_range
from shadowlens.parsers.grammar import load_lark
from shadowlens.schema import RAW_CAP

__all__ = [
    "LINES_SCHEMA",
    "QUARANTINE_ROWS_SCHEMA",
    "Engine",
    "GrammarFormat",
    "LogFormat",
    "ParseOptions",
    "ParseResult",
    "describe_lark_error",
    "quarantine_rows",
    "share_matching",
]


class GrammarFormat(LogFormat):
    """A format defined by a Lark grammar, with a fast path compiled from it.

    Subclasses set ``grammar_package``/``grammar_file`` and implement
    :meth:`fast_fields`, :meth:`tree_fields` and :meth:`to_records`.
    ``fields_schema`` lists the parsed-field columns both paths produce.
    """

    grammar_package: ClassVar[str] = "shadowlens.grammars"
    grammar_file: ClassVar[str]
    start: ClassVar[str] = "start"
    fields_schema: ClassVar[Mapping[str, pl.DataType]]
    #: Parts of the format that always run on Lark (shown by ``formats show``).
    reference_only: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def lark(cls) -> Lark:
        """The (cached) Lark LALR reference parser of this format's grammar."""
        return load_lark(cls.grammar_package, cls.grammar_file, cls.start)

    def parser(self) -> Lark:
        """The Lark parser the reference path parses with (default: :meth:`lark`)."""
        return self.lark()

    # -- the three steps -------------------------------------------------------------
    @abc.abstractmethod
    def fast_fields(self, lines: pl.DataFrame, state: Any) -> pl.DataFrame:
        """Vectorized parse: fields of the accepted lines, with their ``_row``.

        ``lines`` has ``_row`` (UInt32) and ``line``. Rows absent from the result go
        to the reference parser.
        """

    @abc.abstractmethod
    def tree_fields(self, tree: Tree[Any], line: str, state: Any) -> dict[str, Any]:
        """Reference parse: the same fields as :meth:`fast_fields`, from a Lark tree."""

    @abc.abstractmethod
    def to_records(self, fields: pl.DataFrame, state: Any) -> pl.DataFrame:
        """Map parsed fields (with ``_row``) to canonical columns (with ``_row``).

        May add ``_error`` (an :class:`ErrorCode` value) and ``_error_message``:
        rows with an ``_error`` are quarantined instead of kept; and
        ``_year_assumed`` (bool): rows whose time had no year.
        """

    # -- machinery -------------------------------------------------------------------
    def reference_fields(
        self, lines: pl.DataFrame, state: Any
    ) -> tuple[pl.DataFrame, pl.DataFrame]:
        """Run the Lark parser over ``lines`` (``_row``, ``line``): (fields, errors).

        Errors have ``_row``, ``error_code`` and ``error_message``. This is the
        per-line path: it only sees lines the fast path rejected.
        """
        rows: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        if lines.height == 0:  # nothing for Lark: do not even build the parser
            return self._reference_frames(rows, errors)
        parser = self.parser()
        start = self.start
        for row, line in zip(lines["_row"].to_list(), lines["line"].to_list(), strict=True):
            try:
                tree = parser.parse(line, start=start)
                fields = self.tree_fields(tree, line, state)
            except LarkError as exc:
                code, message = describe_lark_error(exc, line, parser)
                errors.append({"_row": row, "error_code": code.value, "error_message": message})
                continue
            fields["_row"] = row
            rows.append(fields)
        return self._reference_frames(rows, errors)

    def _reference_frames(
        self, rows: list[dict[str, Any]], errors: list[dict[str, Any]]
    ) -> tuple[pl.DataFrame, pl.DataFrame]:
        schema = {"_row": pl.UInt32(), **self.fields_schema}
        fields_df = (
            pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)
        )
        errors_df = pl.DataFrame(
            errors,
            schema={"_row": pl.UInt32(), "error_code": pl.String(), "error_message": pl.String()},
        )
        return fields_df, errors_df

    def parse(self, lines: pl.DataFrame, state: Any) -> ParseResult:
        """Fast path, Lark for the rest, shared mapping; see the module docstring."""
        indexed = lines.with_row_index("_row")
        schema = {"_row": pl.UInt32(), **self.fields_schema}
        if self.options.engine == "reference":
            fast = pl.DataFrame(schema=schema)
        else:
            fast = self.fast_fields(indexed.select("_row", "line"), state)
        rejected = indexed.join(fast.select("_row"), on="_row", how="anti")
        if self.options.engine == "fast":
            slow = pl.DataFrame(schema=schema)
            errors = rejected.select(
                "_row",
                pl.lit(ErrorCode.SYNTAX.value).alias("error_code"),
                pl.lit("rejected by the fast path (engine=fast: no reference fallback)").alias(
                    "error_message"
                ),
            )
        else:
            slow, errors = self.reference_fields(rejected.select("_row", "line"), state)
        fields = pl.concat(
            [fast.select(schema.keys()).cast(pl.Schema(schema)), slow], how="vertical"
        )
        # times outside ParseOptions.time_range become bad_timestamp errors (both paths)
        mapped = check_time_range(self.to_records(fields, state), self.options)
        year_assumed = 0
        if "_year_assumed" in mapped.columns:
            year_assumed = int(mapped.get_column("_year_assumed").sum())
            mapped = mapped.drop("_year_assumed")
        if "_error" in mapped.columns:
            bad = mapped.filter(pl.col("_error").is_not_null())
            errors = pl.concat(
                [
                    errors,
                    bad.select(
                        "_row",
                        pl.col("_error").alias("error_code"),
                        pl.col("_error_message").alias("error_message"),
                    ),
                ]
            )
            mapped = mapped.filter(pl.col("_error").is_null()).drop("_error", "_error_message")
        lineage = indexed.select("_row", "source_line", "source_offset")
        records = mapped.join(lineage, on="_row", how="left").sort("_row").drop("_row")
        quarantine = quarantine_rows(indexed, errors.sort("_row"))
        return ParseResult(
            records=records,
            quarantine=quarantine,
            fallback=rejected.height,
            year_assumed=year_assumed,
        )

    @classmethod
    def describe(cls) -> dict[str, Any]:
        """Name, grammar, parsed fields and what stays on the Lark path."""
        return {
            **super().describe(),
            "grammar": f"{cls.grammar_package}/{cls.grammar_file}",
            "fields": list(cls.fields_schema),
            "reference_only": list(cls.reference_only)
            or ["nothing: every construct has a fast path"],
        }


def quarantine_rows(lines: pl.DataFrame, errors: pl.DataFrame) -> pl.DataFrame:
    """Quarantine rows (:data:`QUARANTINE_ROWS_SCHEMA`) for per-row errors.

    ``errors`` has ``_row``, ``error_code`` and ``error_message``; ``lines`` has
    ``_row``, ``line``, ``source_line`` and ``source_offset``. The raw line is
    capped at :data:`~shadowlens.schema.RAW_CAP` characters; the order of ``errors``
    is kept.
    """
    return (
        errors.join(lines, on="_row", how="left")
        .select(
            "source_line",
            "source_offset",
            "error_code",
            "error_message",
            pl.col("line").str.head(RAW_CAP).alias("raw"),
        )
        .cast(QUARANTINE_ROWS_SCHEMA)
    )


def share_matching(sample: Sequence[str], pattern: re.Pattern[str]) -> float:
    """The share of ``sample`` lines in which ``pattern`` is found (a ``detect`` score).

    Examples
    --------
    >>> import re
    >>> share_matching(["CEF:0|a", "junk"], re.compile("CEF:"))
    0.5
    """
    if not sample:
        return 0.0
    return sum(1 for line in sample if pattern.search(line)) / len(sample)


def describe_lark_error(
    exc: LarkError, line: str, parser: Lark | None = None
) -> tuple[ErrorCode, str]:
    """A stable error code and a one-line message with the column for a Lark error.

    Examples
    --------
    >>> from lark import Lark
    >>> p = Lark('start: "a" "b"', parser="lalr")
    >>> try:
    ...     p.parse("a")
    ... except Exception as exc:
    ...     describe_lark_error(exc, "a", p)
    (<ErrorCode.UNEXPECTED_END: 'unexpected_end'>, 'line ends early at column 2; expected "b"')
    """
    expected: set[str] = set()
    if isinstance(exc, UnexpectedEOF | UnexpectedToken):
        expected = set(getattr(exc, "expected", ()) or ())
        token = getattr(exc, "token", None)
        if isinstance(exc, UnexpectedEOF) or (token is not None and token.type == "$END"):
            return ErrorCode.UNEXPECTED_END, (
                f"line ends early at column {len(line) + 1}; expected {_names(expected, parser)}"
            )
        column = getattr(token, "column", None) or "?"
        return (
            ErrorCode.SYNTAX,
            f"unexpected {str(token)[:40]!r} at column {column}; expected {_names(expected, parser)}",
        )
    if isinstance(exc, UnexpectedCharacters):
        allowed = set(exc.allowed or ())
        pos = exc.pos_in_stream or 0
        char = line[pos] if pos < len(line) else ""
        return (
            ErrorCode.SYNTAX,
            f"unexpected {char!r} at column {exc.column}; expected {_names(allowed, parser)}",
        )
    return ErrorCode.SYNTAX, str(exc).splitlines()[0][:200]


def _names(expected: set[str], parser: Lark | None) -> str:
    def pretty(name: str) -> str:
        if parser is not None:
            try:
                pattern = parser.get_terminal(name).pattern
            except KeyError:
                return name
            if pattern.type == "str":
                return f'"{pattern.value}"'
        return name

    names = sorted(pretty(name) for name in expected if name != "$END")
    if len(names) > 6:
        names = [*names[:6], "..."]
    return " or ".join(names) or "end of line"
