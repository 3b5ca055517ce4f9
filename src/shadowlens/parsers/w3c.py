"""W3C extended log format (IIS, Blue Coat / Symantec ProxySG, generic producers).

The grammar is ``grammars/w3c.lark`` with two start rules, ``entry`` and
``directive``. A chunk is handled in whole columns:

1. directive lines are found with one vectorized ``starts_with("#")`` and parsed by
   regexes compiled from the ``directive`` rules (Lark only for a malformed
   ``#Fields``); they are counted in :attr:`ParseResult.directives`;
2. every entry gets the ``#Fields`` / ``#Date`` / ``#Software`` in force by a
   forward fill over the directive rows; entries are grouped by that layout (IIS
   rewrites the same header after each restart, so groups merge) and each group
   runs through :meth:`GrammarFormat.parse` once;
3. fast path: lines without quotes, TABs or double spaces split on spaces; the
   others run the ``VALUE`` terminal's regex with ``str.extract_all`` and a
   coverage check (the values must tile the line), then the values are unquoted
   in one pass over the flat list; Lark parses what the fast path rejects;
4. mapping: values are picked by position in the ``#Fields`` list
   (:mod:`shadowlens.parsers.w3c_map` holds the field -> column rules).

Entries before any ``#Fields`` are quarantined (``no_fields_directive``) unless
``--option fields="date time ..."`` gives the layout (ProxySG over syslog has no
header). A ``#Fields`` directive in the file replaces that option from its line on.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import polars as pl
import pyarrow as pa
from lark import Token, Tree
from lark.exceptions import LarkError

from shadowlens.errors import ConfigError, ErrorCode
from shadowlens.parsers.base import (
    QUARANTINE_ROWS_SCHEMA,
    GrammarFormat,
    ParseOptions,
    ParseResult,
    describe_lark_error,
    quarantine_rows,
)
from shadowlens.parsers.grammar import load_lark, rule_regex, terminal_regex
from shadowlens.parsers.w3c_directives import (
    DIRECTIVE_SCHEMA,
    W3cState,
    assign_layouts,
    directive_of,
    fast_directives,
    reference_directives,
)
from shadowlens.parsers.w3c_map import OPTION_CHOICES, map_records
from shadowlens.plugins.hookspecs import hookimpl


class W3cFormat(GrammarFormat):
    """W3C extended log files: IIS, ProxySG and other ``#Fields``-driven producers."""

    name: ClassVar[str] = "w3c"
    description: ClassVar[str] = (
        "W3C extended log format (IIS, Blue Coat/Symantec ProxySG, generic) with #Fields directives"
    )
    grammar_file: ClassVar[str] = "w3c.lark"
    start: ClassVar[str] = "entry"
    fields_schema: ClassVar[dict[str, pl.DataType]] = {"values": pl.List(pl.String())}
    accepted_options: ClassVar[frozenset[str]] = frozenset({"fields", *OPTION_CHOICES})
    reference_only: ClassVar[tuple[str, ...]] = (
        "#Fields directives the compiled regex rejects (Lark gives the error position)",
    )

    def __init__(self, options: ParseOptions | None = None) -> None:
        super().__init__(options)
        opts = self.options.options
        for key, choices in OPTION_CHOICES.items():
            if key in opts and opts[key] not in choices:
                msg = f"--option {key} must be one of {', '.join(choices)}, not {opts[key]!r}"
                raise ConfigError(msg)
        self.default_fields: tuple[str, ...] | None = None
        if "fields" in opts:
            self.default_fields = parse_fields_option(opts["fields"])

    @classmethod
    def describe(cls) -> dict[str, Any]:
        """Grammar facts plus the format's options."""
        return {
            **super().describe(),
            "options": {
                "fields": "layout before the first #Fields, e.g. 'date time c-ip ...' "
                "(ProxySG over syslog has no header)",
                "time_taken": "auto (integer = ms, with a fraction = s) | ms | s",
                "extra_columns": "keep (as extras extra_column_<n>) | quarantine",
                "user_agent_plus": "space (decode IIS '+' when the agent has no space) | keep",
            },
        }

    # -- detection and state ---------------------------------------------------------
    @classmethod
    def detect(cls, sample: Sequence[str]) -> float:
        """1.0 with a ``#Fields:`` line, 0.8 with ``#Software:``/``#Version:``, else 0.

        Examples
        --------
        >>> W3cFormat.detect(["#Software: SGOS 6.7", "#Fields: date time c-ip"])
        1.0
        >>> W3cFormat.detect(["CEF:0|a|b|1|2|n|3|"])
        0.0
        """
        heads = [line.lstrip("\x00").lower() for line in sample]
        if any(h.startswith("#fields:") for h in heads):
            return 1.0
        if any(h.startswith(("#software:", "#version:")) for h in heads):
            return 0.8
        return 0.0

    def new_state(self) -> W3cState:
        """Fresh per-file state; ``--option fields`` is the layout until a ``#Fields``."""
        if self.default_fields is not None:
            return W3cState(fields=self.default_fields)
        return W3cState()

    # -- the compiled plans ------------------------------------------------------------
    @classmethod
    @functools.cache
    def plan(cls) -> str:
        """The ``VALUE`` terminal regex (one entry value plus its separator)."""
        return terminal_regex(cls.lark(), "VALUE")

    @classmethod
    def directive_lark(cls) -> Any:
        """The Lark parser of the ``directive`` start rule."""
        return load_lark(cls.grammar_package, cls.grammar_file, "directive")

    @classmethod
    @functools.cache
    def directive_plan(cls) -> dict[str, str]:
        """Anchored regexes for directive lines, compiled from the ``directive`` rules."""
        lark = cls.directive_lark()
        return {
            "fields_key": "^" + terminal_regex(lark, "FIELDS_KEY"),
            "named_key": "^" + terminal_regex(lark, "DIRECTIVE_KEY"),
            "fields": "^" + rule_regex(lark, "fields_directive") + "$",
            "field_id": terminal_regex(lark, "FIELD_ID"),
            "named": "^"
            + rule_regex(lark, "named_directive", capture={"directive_name", "directive_text"})
            + "$",
            "comment": "^" + terminal_regex(lark, "COMMENT") + "$",
        }

    # -- entries: the three steps --------------------------------------------------------
    def fast_fields(self, lines: pl.DataFrame, state: Any) -> pl.DataFrame:
        """Decoded values of the entries the compiled plan accepts.

        Lines without ``"``, TAB or a double space split on single spaces (then the
        grammar's tokens are exactly the split pieces); the others run the VALUE
        regex with ``extract_all`` and are accepted when the values tile the line.
        """
        body = pl.col("line").str.strip_chars(" \t")
        frame = lines.select("_row", body.alias("_b"))
        b = pl.col("_b")
        plain = ~(
            b.str.contains('"', literal=True)
            | b.str.contains("\t", literal=True)
            | b.str.contains("  ", literal=True)
        ) & (b.str.len_bytes() > 0)
        split = frame.filter(plain).select("_row", b.str.split(" ").alias("values"))
        tokens = frame.filter(~plain).select(
            "_row", b.str.extract_all(self.plan()).alias("values"), b.str.len_bytes().alias("_len")
        )
        covered = pl.col("values").list.eval(pl.element().str.len_bytes()).list.sum()
        tokens = tokens.filter((pl.col("_len") > 0) & (covered == pl.col("_len")))
        decoded = tokens.select("_row", decode_values(tokens["values"]).alias("values"))
        return pl.concat([split, decoded])

    def tree_fields(self, tree: Tree[Any], line: str, state: Any) -> dict[str, Any]:
        """The decoded VALUE tokens of the Lark tree."""
        return {
            "values": [
                decode_value(str(t))
                for t in tree.children
                if isinstance(t, Token) and t.type == "VALUE"
            ]
        }

    def to_records(self, fields: pl.DataFrame, state: Any) -> pl.DataFrame:
        """Positional pick by the group's ``#Fields`` and the canonical mapping."""
        return map_records(fields, state, self.options)

    # -- directives ------------------------------------------------------------------------
    def fast_directives(self, lines: pl.DataFrame) -> pl.DataFrame:
        """Directive lines (``_row``, ``line``) the compiled plan accepts."""
        return fast_directives(lines, self.directive_plan())

    def reference_directives(self, lines: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
        """Lark over directive lines: (parsed rows, errors)."""
        return reference_directives(lines, self.directive_lark())

    # -- the chunk -----------------------------------------------------------------------
    def parse(self, lines: pl.DataFrame, state: Any) -> ParseResult:
        """Split at directives, group entries by layout, parse each group; see the module doc."""
        st: W3cState = state if isinstance(state, W3cState) else self.new_state()
        frame = lines.with_columns(pl.col("line").str.strip_chars("\x00")).with_row_index("_row")
        is_directive = pl.col("line").str.starts_with("#")
        directive_lines = frame.filter(is_directive).select("_row", "line")
        if self.options.engine == "reference":
            parsed = pl.DataFrame(schema=DIRECTIVE_SCHEMA)
        else:
            parsed = self.fast_directives(directive_lines)
        rest = directive_lines.join(parsed.select("_row"), on="_row", how="anti")
        slow, dir_errors = self.reference_directives(rest)
        directives = pl.concat([parsed, slow]).sort("_row")
        fallback = rest.height

        groups = assign_layouts(frame.filter(~is_directive), directives, dir_errors, st)
        records: list[pl.DataFrame] = []
        quarantine: list[pl.DataFrame] = [quarantine_rows(frame, dir_errors)]
        for layout, rows in groups:
            if layout.fields is None:
                errors = rows.select(
                    "_row",
                    pl.lit(ErrorCode.NO_FIELDS_DIRECTIVE.value).alias("error_code"),
                    pl.lit(layout.reason).alias("error_message"),
                )
                quarantine.append(quarantine_rows(frame, errors))
                continue
            result = super().parse(rows.select("line", "source_line", "source_offset"), layout)
            records.append(result.records)
            quarantine.append(result.quarantine.cast(QUARANTINE_ROWS_SCHEMA))
            fallback += result.fallback
        out = (
            pl.concat(records, how="vertical").sort("source_line")
            if records
            else pl.DataFrame(schema={"source_line": pl.UInt64(), "source_offset": pl.UInt64()})
        )
        return ParseResult(
            records=out,
            quarantine=pl.concat(quarantine).sort("source_line"),
            directives=directives.height,
            fallback=fallback,
        )


def decode_value(token: str) -> str:
    """A VALUE token without its separator, unquoted (``""`` inside -> ``"``).

    Examples
    --------
    >>> decode_value('"say ""hi"" now"  ')
    'say "hi" now'
    >>> decode_value('a"b  ')
    'a"b'
    """
    text = token.rstrip(" \t")
    if text.startswith('"'):
        return text[1:-1].replace('""', '"')
    return text


def decode_values(values: pl.Series) -> pl.Series:
    """:func:`decode_value` over a list column, run on the flat values in one pass.

    Only the quoted values (a few per line) are unquoted, then scattered back.
    """
    flat = values.explode(empty_as_null=False).str.strip_chars_end(" \t")
    quoted = flat.str.starts_with('"')
    inner = flat.filter(quoted).str.strip_prefix('"').str.strip_suffix('"')
    flat = flat.scatter(quoted.arg_true(), inner.str.replace_all('""', '"', literal=True))
    lengths = values.list.len().to_numpy().astype(np.int64)
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    flat_values = flat.to_arrow()
    if isinstance(flat_values, pa.ChunkedArray):
        flat_values = flat_values.combine_chunks()
    array = pa.LargeListArray.from_arrays(pa.array(offsets), flat_values)
    return pl.Series(values.name, array)


def parse_fields_option(value: str) -> tuple[str, ...]:
    """The layout named by ``--option fields=...`` (with or without ``#Fields:``).

    Examples
    --------
    >>> parse_fields_option("date time  cs(User-Agent)")
    ('date', 'time', 'cs(User-Agent)')
    """
    text = value.strip()
    line = text if text.lower().startswith("#fields:") else f"#Fields: {text}"
    parser = W3cFormat.directive_lark()
    try:
        parsed = directive_of(parser.parse(line))
    except LarkError as exc:
        _code, message = describe_lark_error(exc, line, parser)
        msg = f"--option fields={value!r} is not a list of W3C field identifiers: {message}"
        raise ConfigError(msg) from exc
    ids = tuple(parsed["field_ids"] or ())
    if not ids:
        msg = "--option fields names no fields"
        raise ConfigError(msg)
    return ids


@hookimpl
def register_formats() -> list[type[GrammarFormat]]:
    """The built-in W3C extended log format."""
    return [W3cFormat]
