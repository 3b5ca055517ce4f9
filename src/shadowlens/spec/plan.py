"""The typed plan a spec compiles into: shared building blocks, no per-format code.

:func:`shadowlens.spec.compiler.compile_spec` builds a :class:`Plan` once per
format and process. Executors read it: the vectorized fast path
(:mod:`shadowlens.parsers.extract`), the Lark reference (same module) and the
field-table mapping (:mod:`shadowlens.parsers.mapping`). Every regex here was
lowered from the grammar and checked to run on polars' engine (Rust ``regex``).

Building blocks:

* :class:`HeadPlan`: a positional rule lowered to one anchored regex with a named
  group per parsed field; when a key=value list or delimited values follow, the
  regex stops before them and the rest of the line is the *tail*;
* :class:`PrefixPlan`: a transport prefix split by ``common.syslog``;
* :class:`PairsPlan`: a key=value list (pair terminal, separator, escapes);
* :class:`ColumnsPlan`: delimited values (value terminal, quoting, layout by a
  fixed list, an option or a directive such as W3C ``#Fields``);
* :class:`ColumnPlan`: one canonical column and its typed candidates.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from shadowlens.spec.model import Alternative, Condition, FormatSpec


@dataclass(frozen=True)
class Variant:
    """One way a line can end: with the region rule ``tail``, or (None) with no region.

    ``regex`` is anchored at the start, group ``_head`` spans what comes before
    the region, and it ends with ``$`` when there is no region. ``groups`` maps
    each field to its groups (a field used in several alternatives has several).
    With a marker, ``regex`` applies to the text after the marker.
    """

    regex: str
    groups: Mapping[str, tuple[str, ...]]
    tail: str | None = None
    block: int | None = None


@dataclass(frozen=True)
class HeadPlan:
    """A positional rule as regexes, one per :class:`Variant`, tried in order.

    With a ``marker``, the fast path cuts the line at the marker's first
    occurrence: the text before must fully match ``prefix_regex`` (it becomes the
    ``prefix_field``) and the variants are matched on the text after the marker
    (from the marker on, when ``keep_marker``).
    ``regex`` (the first variant, on the whole line) is the default detection pattern.
    """

    regex: str
    fields: tuple[str, ...]
    variants: tuple[Variant, ...]
    marker: str | None = None
    prefix_field: str | None = None
    prefix_regex: str | None = None
    keep_marker: bool = False

    @property
    def tail(self) -> bool:
        """Whether some variant ends with a region."""
        return any(v.tail is not None for v in self.variants)


@dataclass(frozen=True)
class PrefixPlan:
    """The transport prefix field and the regex splitting it (``common.syslog``)."""

    field: str
    regex: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class PairsPlan:
    """A key=value list held by region rule ``rule``.

    Either one ``token_regex`` match per pair (``token``), or pieces between
    delimiters (``token`` None): the delimiter is ``delimiter``, or declared per
    line by field ``delimiter_field`` and decoded by ``delimiter_regex`` (groups
    ``hex_code``/``delim_char``); a piece matching ``pair_regex`` (groups
    ``key``/``value``) is a pair, any other piece belongs to the value before it.
    """

    rule: str
    region_regex: str
    token: str | None
    token_regex: str | None
    separator: str
    strip: str
    escapes: Mapping[str, str]
    delimiter: str = "\t"
    delimiter_field: str | None = None
    delimiter_regex: str | None = None
    pair_regex: str | None = None
    clean_regex: str | None = None
    quote: str | None = None
    may_be_empty: bool = True


@dataclass(frozen=True)
class DirectivePlan:
    """Directive lines (``#...``) and the regexes that read them, from the grammar."""

    rule: str
    layout_name: str
    fields_key: str
    named_key: str
    fields: str
    field_id: str
    named: str
    comment: str


@dataclass(frozen=True)
class LayoutPlan:
    """A layout chosen per line: its names, the tests on its values, the values required."""

    name: str
    names: tuple[str, ...]
    when: tuple[Condition, ...]
    required: int


@dataclass(frozen=True)
class ColumnsPlan:
    """Delimited values: one ``token_regex`` match per value, named by a layout.

    With a ``delimiter`` (CSV), ``token_regex`` is one value without the delimiter,
    ``region_regex`` the whole region (values and delimiters, empty values
    allowed) and ``cell_regex`` one value followed by its delimiter. ``layouts``
    are tried in order on each line's values; lines no layout claims read ``names``.
    """

    rule: str
    token: str
    token_regex: str
    quote: str | None
    names: tuple[str, ...]
    names_option: str | None
    directive: DirectivePlan | None
    extra: str
    case_insensitive: bool
    delimiter: str | None = None
    region_regex: str | None = None
    cell_regex: str | None = None
    layouts: tuple[LayoutPlan, ...] = ()
    required: int | None = None


@dataclass(frozen=True)
class Candidate:
    """One way to fill a column: an alternative of the table with one source.

    ``inputs`` are the parsed fields it consumes when it wins; a field consumed
    on a row does not go to ``extras`` (unless ``keep``). The candidate applies
    on rows where every ``when`` condition holds and no ``unless`` group (the
    conditions of a quirk that replaces it) holds.
    """

    alt: Alternative
    source: str | None
    layouts: tuple[str, ...] = ()
    yearless: tuple[str, ...] = ()
    epoch: bool = True
    inputs: tuple[str, ...] = ()
    when: tuple[Condition, ...] = ()
    quirk: str | None = None
    unless: tuple[tuple[Condition, ...], ...] = ()


@dataclass(frozen=True)
class ColumnPlan:
    """A canonical column, its polars dtype and its candidates in order."""

    column: str
    dtype: pl.DataType
    candidates: tuple[Candidate, ...]


@dataclass(frozen=True)
class DetectPlan:
    """Detection: share of sample lines matching ``pattern``; ``any``/``hint`` give fixed scores."""

    pattern: str | None
    any: str | None = None
    hint: str | None = None
    hint_score: float = 0.8


@dataclass(frozen=True)
class Plan:
    """Everything needed to parse a format, compiled once from grammar + spec."""

    spec: FormatSpec
    grammar: Path
    start: str
    head: HeadPlan
    fields: tuple[str, ...]
    escapes: Mapping[str, str]
    null: tuple[str, ...]
    picked: tuple[str, ...]
    table: tuple[ColumnPlan, ...]
    detect: DetectPlan
    prefix: PrefixPlan | None = None
    pairs: tuple[PairsPlan, ...] = ()
    columns: ColumnsPlan | None = None
    options: Mapping[str, str] = field(default_factory=dict)
    trim: str = ""
    header: str | None = None

    @property
    def name(self) -> str:
        """The format name."""
        return self.spec.name

    def raw_fields(self) -> tuple[str, ...]:
        """Names of the parsed fields a row offers the table, in extras order."""
        prefix = self.prefix.fields if self.prefix else ()
        scalar = tuple(f for f in self.fields if not (self.prefix and f == self.prefix.field))
        return (*scalar, *prefix, *(k for k in self.picked if k not in scalar and k not in prefix))
