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

import re
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import polars as pl
from lark import Lark, Tree

from shadowlens.contract import ParseOptions, ParseResult
from shadowlens.parsers.base import GrammarFormat
from shadowlens.parsers.extract import fast_fields, fields_schema, tree_fields
from shadowlens.parsers.grammar import load_grammar_file
from shadowlens.parsers.mapping import map_records, raw_fields
from shadowlens.spec.compiler import compile_spec
from shadowlens.spec.model import FormatSpec
from shadowlens.spec.plan import Plan

_PLANS: dict[tuple[str, str, tuple[tuple[str, str], ...]], Plan] = {}
_CLASSES: dict[tuple[str, str], type[SpecFormat]] = {}


def plan_for(spec: FormatSpec, options: Mapping[str, str]) -> Plan:
    """The compiled plan of ``spec`` for these format options (compiled once per process)."""
    key = (str(spec.path), spec.text, tuple(sorted(options.items())))
    if key not in _PLANS:
        _PLANS[key] = compile_spec(spec, options)
    return _PLANS[key]


class SpecFormat(GrammarFormat):
    """Base class of spec-defined formats; :func:`spec_format` makes the subclasses."""

    spec: ClassVar[FormatSpec]
    #: Learned key orders tried before the generic pick of key=value pairs (0: generic only).
    max_templates: ClassVar[int] = 4

    def __init__(self, options: ParseOptions | None = None) -> None:
        super().__init__(options)
        self.plan = plan_for(self.spec, self.options.options)
        self.fields_schema = fields_schema(self.plan)  # type: ignore[misc]

    @classmethod
    def base_plan(cls) -> Plan:
        """The plan with default options (detection, ``formats show``)."""
        return plan_for(cls.spec, {})

    @classmethod
    def lark(cls) -> Lark:
        """The Lark LALR reference parser of the grammar (start rules the plan needs)."""
        starts = [cls.spec.start]
        columns = cls.spec.record.columns
        if columns is not None and columns.directive:
            starts.append(columns.directive_rule or "directive")
        return load_grammar_file(cls.spec.grammar_path.resolve(), tuple(starts))

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
        score = float(lines.str.contains(detect.pattern).sum()) / len(sample)
        if detect.hint and lines.str.contains(detect.hint).any():
            score = max(score, detect.hint_score)
        return score

    def fast_fields(self, lines: pl.DataFrame, state: Any) -> pl.DataFrame:
        """Parsed fields of the lines the compiled plan accepts."""
        return fast_fields(self.plan, lines)

    def tree_fields(self, tree: Tree[Any], line: str, state: Any) -> dict[str, Any]:
        """The same parsed fields from the Lark tree."""
        return tree_fields(self.plan, tree)

    def to_records(self, fields: pl.DataFrame, state: Any) -> pl.DataFrame:
        """The field table over the parsed fields (shared by both paths)."""
        frame = raw_fields(self.plan, fields, max_templates=self.max_templates)
        return map_records(self.plan, frame, self.options)

    def parse(self, lines: pl.DataFrame, state: Any) -> ParseResult:
        """Fast path, Lark for the rest, the field table; records carry ``log_format``."""
        result = super().parse(lines, state)
        return result

    @classmethod
    def describe(cls) -> dict[str, Any]:
        """The spec file, grammar, parsed fields, field table, quirks and options."""
        from shadowlens.spec.describe import describe_spec

        return {**super().describe(), **describe_spec(cls.base_plan())}


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
