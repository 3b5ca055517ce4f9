""":class:`SpecFormat`: a format defined by a spec (``NAME.toml`` + ``NAME.lark``), no Python.

:func:`spec_format` turns a loaded :class:`~shadowlens.spec.model.FormatSpec`
into a :class:`~shadowlens.contract.LogFormat` class. Its three steps are the
shared building blocks driven by the compiled :class:`~shadowlens.spec.plan.Plan`:

1. ``fast_fields``: :func:`shadowlens.parsers.extract.fast_fields`;
2. ``tree_fields`` (the Lark reference, for the lines the fast path rejects):
   :func:`shadowlens.parsers.extract.tree_fields`;
3. ``to_records``: :func:`shadowlens.parsers.mapping.raw_fields` then
   :func:`shadowlens.parsers.mapping.map_records`.

Every spec-defined format therefore gets the fast path, the Lark fallback, the
quarantine, detection and the differential tests without code of its own.

Examples
--------
>>> from shadowlens.formats import builtin_spec
>>> Cef = spec_format(builtin_spec("cef"))
>>> Cef.name, "tz" in Cef().plan.options or True
('cef', True)
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import polars as pl
from lark import Lark, Tree
from lark.exceptions import LarkError

from shadowlens import cache
from shadowlens.contract import QUARANTINE_ROWS_SCHEMA, ParseOptions, ParseResult
from shadowlens.errors import ConfigError, ErrorCode
from shadowlens.parsers.base import GrammarFormat, describe_lark_error, quarantine_rows
from shadowlens.parsers.directives import (
    DIRECTIVE_SCHEMA,
    NO_LAYOUT,
    Layout,
    LayoutState,
    assign_layouts,
    directive_of,
    fast_directives,
    reference_directives,
)
from shadowlens.parsers.extract import fast_fields, fields_schema, tree_fields, trimmed
from shadowlens.parsers.grammar import load_grammar_file
from shadowlens.parsers.mapping import choose_layouts, named_columns, raw_fields, split_prefix
from shadowlens.parsers.table import map_records
from shadowlens.spec.compiler import compile_spec
from shadowlens.spec.model import FormatSpec
from shadowlens.spec.plan import Plan

_PLANS: dict[tuple[str, str, tuple[tuple[str, str], ...]], Plan] = {}
_CLASSES: dict[tuple[str, str], type[SpecFormat]] = {}


def plan_for(spec: FormatSpec, options: Mapping[str, str]) -> Plan:
    """The compiled plan of ``spec`` for these format options.

    Compiled once per process, and kept in the user's private cache
    (:mod:`shadowlens.cache`) under a name that hashes the spec, its grammar, the
    shared grammar, the options and the compiler's own code.
    """
    key = (str(spec.path), spec.text, tuple(sorted(options.items())))
    if key not in _PLANS:
        name = _cache_name(spec, key[2])
        cached = cache.load("plans", name) if name else None
        if isinstance(cached, Plan):
            _PLANS[key] = cached
        else:
            _PLANS[key] = compile_spec(spec, options)
            if name:
                cache.store("plans", name, _PLANS[key])
    return _PLANS[key]


def _cache_name(spec: FormatSpec, options: tuple[tuple[str, str], ...]) -> str | None:
    try:
        grammar = spec.grammar_path.read_bytes()
    except OSError:
        return None  # the compiler names the missing file
    return (
        cache.key(_code_fingerprint(), str(spec.path), spec.text, grammar, repr(options)) + ".plan"
    )


@functools.cache
def _code_fingerprint() -> str:
    """A hash of what a plan depends on besides its spec: versions and the compiler's source."""
    import lark

    from shadowlens import __version__
    from shadowlens import spec as spec_package

    parts: list[bytes | str] = [__version__, lark.__version__, pl.__version__]
    folders = [Path(spec_package.__file__).parent, Path(__file__).parent]
    for folder in folders:
        parts += [p.read_bytes() for p in sorted(folder.glob("*.py"))]
    parts.append((Path(__file__).parents[1] / "grammars" / "common.lark").read_bytes())
    return cache.key(*parts)


class SpecFormat(GrammarFormat):
    """Base class of spec-defined formats; :func:`spec_format` makes the subclasses."""

    spec: ClassVar[FormatSpec]
    #: Learned key orders tried before the generic pick of key=value pairs (0: generic only).
    max_templates: ClassVar[int] = 4

    def __init__(self, options: ParseOptions | None = None) -> None:
        super().__init__(options)
        self.plan = plan_for(self.spec, self.options.options)
        self.fields_schema = fields_schema(self.plan)  # type: ignore[misc]
        columns = self.plan.columns
        self.default_names: tuple[str, ...] | None = None
        if columns is not None:
            option = columns.names_option
            if option and option in self.plan.options:
                self.default_names = self._names_option(self.plan.options[option])
            elif columns.names:
                self.default_names = columns.names

    def new_state(self) -> Any:
        """Per-file layout state for formats whose columns a directive names."""
        columns = self.plan.columns
        if columns is None or columns.directive is None:
            return None
        reason = NO_LAYOUT.format(name=columns.directive.layout_name)
        if columns.names_option:
            reason += f'; name the fields with --option {columns.names_option}="..."'
        return LayoutState(fields=self.default_names, reason=reason)

    def _names_option(self, value: str) -> tuple[str, ...]:
        """The layout an option names (``--option fields="date time ..."``)."""
        columns = self.plan.columns
        assert columns is not None
        if columns.directive is None:
            return tuple(value.split())
        plan = columns.directive
        text = value.strip()
        key = f"#{plan.layout_name}:"
        line = text if text.lower().startswith(key.lower()) else f"{key} {text}"
        parser = self.parser()
        try:
            parsed = directive_of(parser.parse(line, start=plan.rule), plan.layout_name)
        except LarkError as exc:
            _code, message = describe_lark_error(exc, line, parser)
            msg = f"--option {columns.names_option}={value!r} is not a list of #{plan.layout_name} field identifiers: {message}"
            raise ConfigError(msg) from exc
        names = tuple(parsed["field_ids"] or ())
        if not names:
            msg = f"--option {columns.names_option} names no fields"
            raise ConfigError(msg)
        return names

    @classmethod
    def base_plan(cls) -> Plan:
        """The plan with default options (detection, ``formats show``)."""
        return plan_for(cls.spec, {})

    @classmethod
    def _starts(cls) -> tuple[str, ...]:
        starts = [cls.spec.start]
        columns = cls.spec.record.columns
        if columns is not None and columns.directive:
            starts.append(columns.directive_rule or "directive")
        return tuple(starts)

    @classmethod
    def lark(cls) -> Lark:
        """The Lark LALR parser of the grammar, with its rules (for tools and tests)."""
        return load_grammar_file(cls.spec.grammar_path.resolve(), cls._starts())

    def parser(self) -> Lark:
        """The reference parser, its LALR tables from the user's cache when they are there."""
        return load_grammar_file(self.spec.grammar_path.resolve(), self._starts(), cached=True)

    @classmethod
    def detect(cls, sample: Sequence[str]) -> float:
        """1.0 when a line matches ``detect.any``; else the share matching ``detect.pattern``
        (default: the fast path's head regex); at least ``hint_score`` on a ``detect.hint``."""
        if not sample:
            return 0.0
        detect = cls.base_plan().detect
        lines = pl.Series(sample, dtype=pl.String())
        if detect.any and lines.str.contains(detect.any).any():
            return 1.0
        score = 0.0
        if detect.pattern is not None:
            score = float(lines.str.contains(detect.pattern).sum()) / len(sample)
        if detect.hint and lines.str.contains(detect.hint).any():
            score = max(score, detect.hint_score)
        return score

    def fast_fields(self, lines: pl.DataFrame, state: Any) -> pl.DataFrame:
        """Parsed fields of the lines the compiled plan accepts."""
        return fast_fields(self.plan, lines)

    def reference_fields(
        self, lines: pl.DataFrame, state: Any
    ) -> tuple[pl.DataFrame, pl.DataFrame]:
        """The Lark reference over ``lines``, trimmed as the fast path trims them."""
        return super().reference_fields(trimmed(lines, self.plan.trim), state)

    def tree_fields(self, tree: Tree[Any], line: str, state: Any) -> dict[str, Any]:
        """The same parsed fields from the Lark tree."""
        return tree_fields(self.plan, tree)

    def to_records(self, fields: pl.DataFrame, state: Any) -> pl.DataFrame:
        """The field table over the parsed fields (shared by both paths)."""
        columns = self.plan.columns
        if columns is None:
            frame = raw_fields(self.plan, fields, max_templates=self.max_templates)
            return map_records(self.plan, frame, self.options)
        if not columns.layouts:
            layout = state if isinstance(state, Layout) else Layout(self.default_names)
            return self._named_records(
                fields, _unique(layout.fields or ()), layout.date, layout.software
            )
        parts = []
        for chosen, rows in choose_layouts(self.plan, fields):
            if chosen is not None:
                parts.append(
                    self._named_records(
                        rows, _unique(chosen.names), required=chosen.required, layout=chosen.name
                    )
                )
            elif self.default_names:
                parts.append(
                    self._named_records(
                        rows, _unique(self.default_names), required=columns.required
                    )
                )
            else:
                parts.append(
                    rows.select(
                        "_row",
                        pl.lit(ErrorCode.NO_LAYOUT.value).alias("_error"),
                        pl.lit(
                            "no layout of the format claims this entry ("
                            + ", ".join(lay.name for lay in columns.layouts)
                            + ")"
                        ).alias("_error_message"),
                    )
                )
        if all("_error" in p.columns and p.width == 3 for p in parts):  # keep the record columns
            parts.append(self._named_records(fields.clear(), _unique(columns.layouts[0].names)))
        return pl.concat(parts, how="diagonal_relaxed")

    def _named_records(
        self,
        fields: pl.DataFrame,
        names: tuple[str, ...],
        date: str | None = None,
        software: str | None = None,
        *,
        required: int | None = None,
        layout: str | None = None,
    ) -> pl.DataFrame:
        """Values named by one layout, then the field table."""
        assert self.plan.columns is not None
        facts = {
            "#date": date,
            "#software": software,
            "#fields": " ".join(n.lower() for n in names),
            "#layout": layout,
        }
        if (
            required is None
            and self.plan.columns.required is not None
            and not self.plan.columns.directive
        ):
            required = self.plan.columns.required
        frame = named_columns(self.plan, fields, names, facts, required, layout)
        prefix = self.plan.prefix
        # Field rules before the values (the prefix split into syslog_*) come first in extras.
        order: tuple[str, ...] = (
            *(f for f in self.plan.fields if not (prefix and f == prefix.field)),
            *(prefix.fields if prefix else ()),
            *names,
        )
        if prefix is not None:
            frame = split_prefix(frame, prefix.field, prefix.regex, prefix.fields)
        aliases = (
            {n.lower(): n for n in reversed(names)} if self.plan.columns.case_insensitive else {}
        )
        return map_records(self.plan, frame, self.options, order=order, aliases=aliases)

    def parse(self, lines: pl.DataFrame, state: Any) -> ParseResult:
        """Fast path, Lark for the rest, the field table (per layout for directive formats).

        Lines matching ``[record] header`` (a CSV header row) are counted as directives.
        """
        lines, headers = self._without_headers(lines)
        result = self._parse_entries(lines, state)
        if headers:
            return dataclasses.replace(result, directives=result.directives + headers)
        return result

    def advance_state(self, lines: pl.DataFrame, state: Any) -> Any:
        """The layout state after ``lines``, from their directive lines only (a copy).

        None for formats without directives (they keep no state).
        """
        columns = self.plan.columns
        if columns is None or columns.directive is None or not isinstance(state, LayoutState):
            return None
        line = pl.col("line")
        if self.plan.trim:
            line = line.str.strip_chars_start(self.plan.trim)
        lines, _ = self._without_headers(lines.filter(line.str.starts_with("#")))
        st = dataclasses.replace(state)
        frame = lines.with_row_index("_row")
        directives, dir_errors, _ = self._directives(frame.select("_row", "line"))
        assign_layouts(frame.clear(), directives, dir_errors, st, columns.directive.layout_name)
        return st

    def _without_headers(self, lines: pl.DataFrame) -> tuple[pl.DataFrame, int]:
        """``lines`` trimmed, without ``[record] header`` rows; and how many there were."""
        lines = trimmed(lines, self.plan.trim)
        if self.plan.header:
            header = pl.col("line").str.contains(self.plan.header)
            headers = int(lines.select(header.sum()).item() or 0)
            if headers:
                return lines.filter(~header), headers
        return lines, 0

    def _parse_entries(self, lines: pl.DataFrame, state: Any) -> ParseResult:
        columns = self.plan.columns
        if columns is None:
            return super().parse(lines, state)
        if columns.directive is None:
            return super().parse(lines, Layout(self.default_names))
        st = state if isinstance(state, LayoutState) else self.new_state()
        return self._parse_layouts(lines, st)

    def _parse_layouts(self, lines: pl.DataFrame, st: LayoutState) -> ParseResult:
        """Directive lines set the layout in force; entries are parsed per layout group."""
        assert self.plan.columns is not None
        plan = self.plan.columns.directive
        assert plan is not None
        frame = lines.with_row_index("_row")
        is_directive = pl.col("line").str.starts_with("#")
        directive_lines = frame.filter(is_directive).select("_row", "line")
        directives, dir_errors, fallback = self._directives(directive_lines)
        year_assumed = 0
        groups = assign_layouts(
            frame.filter(~is_directive), directives, dir_errors, st, plan.layout_name
        )
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
            year_assumed += result.year_assumed
        if not records:
            out = pl.DataFrame(schema={"source_line": pl.UInt64(), "source_offset": pl.UInt64()})
        elif len(records) == 1 and records[0].get_column("source_line").is_sorted():
            out = records[0]  # one layout: already in line order (a sort copies every column)
        else:
            out = pl.concat(records, how="diagonal_relaxed").sort("source_line")
        return ParseResult(
            records=out,
            quarantine=pl.concat(quarantine).sort("source_line"),
            directives=directives.height,
            fallback=fallback,
            year_assumed=year_assumed,
        )

    def _directives(self, directive_lines: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, int]:
        """Directive lines (``_row``, ``line``) parsed: (rows, errors, how many took Lark)."""
        assert self.plan.columns is not None
        plan = self.plan.columns.directive
        assert plan is not None
        if self.options.engine == "reference":
            parsed = pl.DataFrame(schema=DIRECTIVE_SCHEMA)
        else:
            parsed = fast_directives(directive_lines, plan)
        rest = directive_lines.join(parsed.select("_row"), on="_row", how="anti")
        if rest.height:
            slow, dir_errors = reference_directives(rest, self.parser(), plan)
        else:  # every directive took the fast path: no Lark parser is needed
            slow = pl.DataFrame(schema=DIRECTIVE_SCHEMA)
            dir_errors = pl.DataFrame(
                schema={
                    "_row": pl.UInt32(),
                    "error_code": pl.String(),
                    "error_message": pl.String(),
                }
            )
        return pl.concat([parsed, slow]).sort("_row"), dir_errors, rest.height

    @classmethod
    def describe(cls) -> dict[str, Any]:
        """The spec file, grammar, parsed fields, field table, quirks and options."""
        from shadowlens.spec.describe import describe_spec

        return {**super().describe(), **describe_spec(cls.base_plan())}


def _unique(names: Sequence[str]) -> tuple[str, ...]:
    """Layout names with repeats suffixed (``a``, ``a~2``), so each is one column."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}~{seen[name]}")
    return tuple(out)


def spec_format(spec: FormatSpec) -> type[SpecFormat]:
    """A :class:`SpecFormat` subclass for ``spec``; the plan is compiled now, so a broken
    grammar or table fails at registration.

    Raises
    ------
    SpecError, GrammarError
        Naming the spec or grammar file.
    """
    key = (str(spec.path), spec.text)
    if key in _CLASSES:  # one class per spec file content: the same class from every manager
        return _CLASSES[key]
    plan_for(spec, {})
    attrs = {
        "spec": spec,
        "name": spec.name,
        "description": spec.description,
        "vendor": spec.vendor,
        "product": spec.product,
        "variants": spec.variants,
        "start": spec.start,
        "grammar_file": spec.grammar,
        "accepted_options": frozenset(o.name for o in spec.options),
        "fields_schema": fields_schema(plan_for(spec, {})),
        "__doc__": f"{spec.description} (spec {spec.path.name})",
        "__module__": __name__,
    }
    cls_name = "".join(part.capitalize() for part in re.split(r"[^a-z0-9]", spec.name)) + "Format"
    cls = type(cls_name, (SpecFormat,), attrs)
    _CLASSES[key] = cls
    return cls
