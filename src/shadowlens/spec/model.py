"""The format spec (``NAME.toml``) as a typed model, validated on load.

A format is a Lark grammar plus this spec: the field table that maps canonical
columns to parsed fields, the record layout (prefix, key=value list, delimited
values), options, detection hints, vendor quirks and examples. The reference
is ``docs/formats.md``; :func:`load_spec` reads a file and raises
:class:`~shadowlens.errors.SpecError` naming the file and line of the first
problem.

Examples
--------
>>> spec = parse_spec('''
... [format]
... name = "demo"
... description = "a demo"
... grammar = "demo.lark"
... [fields]
... src_ip = { from = "client", type = "ip" }
... ''', "demo.toml")
>>> spec.name, spec.fields[0].column, spec.fields[0].alternatives[0].sources
('demo', 'src_ip', ('client',))
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from shadowlens.errors import SpecError
from shadowlens.spec.columns import COLUMN_TYPES, TYPES

#: A spec-defined format name: lowercase letters, digits and dashes.
NAME_RE = re.compile(r"[a-z][a-z0-9-]{0,62}")
#: Fields the ``prefix`` rule is split into (``common.syslog``).
SYSLOG_FIELDS = (
    "syslog_pri",
    "syslog_version",
    "syslog_time",
    "syslog_host",
    "syslog_tag",
    "syslog_rest",
)
TypeName = Literal[
    "string",
    "int",
    "float",
    "ip",
    "port",
    "timestamp",
    "host",
    "url",
    "url_host",
    "domain",
    "action",
    "severity",
    "transport",
]


@dataclass(frozen=True)
class Condition:
    """A test on one parsed field (per row) or one format option (per run).

    ``field`` names a parsed field, or ``option.NAME`` a format option. The
    value matches when it equals one of ``equals`` (case-insensitive), matches
    ``regex``, does not match ``not_regex`` (a missing value matches no regex), or
    (``present``) is not null.
    """

    field: str
    equals: tuple[str, ...] = ()
    regex: str | None = None
    present: bool | None = None
    not_regex: str | None = None

    @property
    def option(self) -> str | None:
        """The option name when this tests a format option."""
        return self.field[len("option.") :] if self.field.startswith("option.") else None


@dataclass(frozen=True)
class Alternative:
    """One way to fill a column: sources, a type and its settings.

    Exactly one of ``sources`` (parsed fields tried in order), ``join`` (parsed
    fields joined with ``sep``), ``between`` (the time from the first field to
    the second, in milliseconds), ``value`` (a constant) or ``derive`` (a function
    of the format's own module, reading the fields ``sources``) is set.
    """

    sources: tuple[str, ...] = ()
    join: tuple[str, ...] = ()
    sep: str = " "
    between: tuple[str, str] | None = None
    value: str | None = None
    type: TypeName = "string"
    formats: tuple[str, ...] = ()
    formats_from: str | None = None
    format_syntax: Literal["strftime", "java"] = "strftime"
    tz: str | None = None
    scale: float | None = None
    extract: str | None = None
    map: Mapping[str, str] = field(default_factory=dict)
    patterns: tuple[tuple[str, str], ...] = ()
    case: Literal["upper", "lower"] | None = None
    when: tuple[Condition, ...] = ()
    keep: bool = False
    replace: Mapping[str, str] = field(default_factory=dict)
    accept: Literal["ip", "name"] | None = None
    derive: str | None = None
    line: int = 0

    def inputs(self) -> tuple[str, ...]:
        """Every parsed field this alternative reads (conditions included)."""
        fields = (*self.sources, *self.join, *(self.between or ()))
        if self.formats_from:
            fields = (*fields, self.formats_from)
        return (*fields, *(c.field for c in self.when if c.option is None))


@dataclass(frozen=True)
class FieldRule:
    """A canonical column and its alternatives (the first that gives a value wins)."""

    column: str
    alternatives: tuple[Alternative, ...]
    line: int = 0


@dataclass(frozen=True)
class Quirk:
    """Field rules that replace the table's on rows (or runs) matching ``when``."""

    name: str
    when: tuple[Condition, ...]
    fields: tuple[FieldRule, ...]
    because: str = ""
    line: int = 0


@dataclass(frozen=True)
class PairsSpec:
    """A key=value list held by one rule: how it splits into pairs.

    ``token`` names the terminal of one pair; without it the rule's text is split
    at ``delimiter`` (or the delimiter a field declares, ``delimiter_field``,
    decoded by rule ``delimiter_rule``) and each piece is matched against rule
    ``pair_rule``.
    """

    rule: str
    token: str | None = None
    separator: str = "="
    strip: str = " "
    escapes: Mapping[str, str] = field(default_factory=dict)
    delimiter: str | None = None
    delimiter_field: str | None = None
    delimiter_rule: str | None = None
    pair_rule: str | None = None
    quote: str | None = None
    line: int = 0


@dataclass(frozen=True)
class LayoutSpec:
    """A column layout chosen per line by its own values (PAN-OS ``TRAFFIC``/``THREAT``).

    ``when`` tests values by their name in ``names``; ``required`` is how many
    values a line must have (the rest of ``names`` may be missing: older versions).
    """

    name: str
    names: tuple[str, ...]
    when: tuple[Condition, ...] = ()
    required: int | None = None
    line: int = 0


@dataclass(frozen=True)
class ColumnsSpec:
    """Delimited values held by one rule, named by a fixed list, a directive or per line.

    ``names`` gives the layout; ``directive`` names a directive line (``#Fields:``)
    that sets it from its line on, and ``names_option`` a format option that gives
    the layout before the first directive. ``layouts`` choose a layout per line
    by its values (``names`` then reads the lines no layout claims). ``delimiter``
    separates values (CSV) instead of blanks.
    """

    rule: str
    token: str
    quote: str | None = None
    names: tuple[str, ...] = ()
    delimiter: str | None = None
    layouts: tuple[LayoutSpec, ...] = ()
    required: int | None = None
    directive: str | None = None
    names_option: str | None = None
    directive_rule: str | None = None
    extra: Literal["keep", "quarantine"] = "keep"
    extra_option: str | None = None
    case_insensitive: bool = True
    line: int = 0


@dataclass(frozen=True)
class RecordSpec:
    """Where the parsed fields of a line come from."""

    fields: tuple[str, ...] | None = None
    prefix: str | None = None
    marker: str | None = None
    escapes: Mapping[str, str] = field(default_factory=dict)
    pairs: tuple[PairsSpec, ...] = ()
    columns: ColumnsSpec | None = None
    trim: str = ""
    header: str | None = None


@dataclass(frozen=True)
class DetectSpec:
    """How a file sample is scored: share of lines matching ``pattern``, or 1.0 on ``any``."""

    pattern: str | None = None
    any: str | None = None
    hint: str | None = None
    hint_score: float = 0.8


@dataclass(frozen=True)
class OptionSpec:
    """A format option (``--option NAME=VALUE``)."""

    name: str
    default: str | None = None
    choices: tuple[str, ...] = ()
    help: str = ""


@dataclass(frozen=True)
class Example:
    """A line of the format and (a subset of) the record it must give."""

    line: str
    expect: Mapping[str, Any] = field(default_factory=dict)
    quarantined: str | None = None


@dataclass(frozen=True)
class FormatSpec:
    """A whole format spec as loaded from ``NAME.toml``."""

    name: str
    description: str
    grammar: str
    path: Path
    start: str = "start"
    null: tuple[str, ...] = ()
    record: RecordSpec = field(default_factory=RecordSpec)
    fields: tuple[FieldRule, ...] = ()
    quirks: tuple[Quirk, ...] = ()
    options: tuple[OptionSpec, ...] = ()
    detect: DetectSpec = field(default_factory=DetectSpec)
    examples: tuple[Example, ...] = ()
    module: str | None = None
    text: str = ""
    vendor: str = ""
    product: str = ""
    variants: tuple[str, ...] = ()

    @property
    def grammar_path(self) -> Path:
        """The grammar file, relative to the spec's folder."""
        return self.path.parent / self.grammar

    def field(self, column: str) -> FieldRule | None:
        """The rule of ``column``, if the table has one."""
        return next((f for f in self.fields if f.column == column), None)


# -- loading ---------------------------------------------------------------------------


def load_spec(path: str | Path) -> FormatSpec:
    """Read and validate a spec file.

    Raises
    ------
    SpecError
        Naming the file and the line of the problem.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        msg = f"cannot read format spec: {exc}"
        raise SpecError(msg, path=str(path)) from exc
    return parse_spec(text, path)


def parse_spec(text: str, path: str | Path = "<spec>") -> FormatSpec:
    """Validate spec ``text`` (the content of ``path``); see :func:`load_spec`."""
    path = Path(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = _toml_error_line(str(exc), text)
        msg = f"not valid TOML: {exc}"
        raise SpecError(msg, path=str(path), line=line) from exc
    return _Reader(text, path).spec(data)


def _toml_error_line(message: str, text: str) -> int | None:
    found = re.search(r"line (\d+)", message)
    if found:
        return int(found.group(1))
    return max(1, len(text.splitlines())) if "end of document" in message else None


class _Reader:
    """Turns the TOML document into the model, locating errors in the text."""

    def __init__(self, text: str, path: Path) -> None:
        self.text = text
        self.path = path
        self.lines = text.splitlines()

    # -- errors and locations -----------------------------------------------------------
    def fail(self, message: str, *where: str) -> SpecError:
        return SpecError(message, path=str(self.path), line=self.locate(*where))

    def locate(self, *where: str) -> int | None:
        """The line of the deepest of ``where`` (a table, then keys) found in the text."""
        line = 0
        found: int | None = None
        for part in where:
            if not part:
                continue
            header = re.compile(r"^\s*\[\[?\s*" + re.escape(part) + r"\s*\]\]?\s*$")
            key = re.compile(r"^\s*['\"]?" + re.escape(part.split(".")[-1]) + r"['\"]?\s*=")
            inline = re.compile(r"[{\s,]['\"]?" + re.escape(part.split(".")[-1]) + r"['\"]?\s*=")
            for i in range(line, len(self.lines)):
                text = self.lines[i]
                if header.match(text) or key.match(text) or inline.search(text):
                    line = i
                    found = i + 1
                    break
        return found

    # -- typed getters ------------------------------------------------------------------------
    def table(self, data: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
        value = data.get(key, {})
        if not isinstance(value, Mapping):
            msg = f"[{key}] must be a table"
            raise self.fail(msg, where, key)
        return value

    def string(
        self, data: Mapping[str, Any], key: str, where: str, *, required: bool = False
    ) -> str | None:
        value = data.get(key)
        if value is None:
            if required:
                msg = f"{where}: missing required key {key!r}"
                raise self.fail(msg, where)
            return None
        if not isinstance(value, str):
            msg = f"{where}.{key} must be a string, not {type(value).__name__}"
            raise self.fail(msg, where, key)
        return value

    def strings(self, data: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
        value = data.get(key, [])
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            msg = f"{where}.{key} must be a string or a list of strings"
            raise self.fail(msg, where, key)
        return tuple(value)

    def mapping(self, data: Mapping[str, Any], key: str, where: str) -> dict[str, str]:
        value = data.get(key, {})
        if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
            msg = f"{where}.{key} must be a table of strings"
            raise self.fail(msg, where, key)
        return dict(value)

    def known(self, data: Mapping[str, Any], allowed: set[str], where: str) -> None:
        unknown = sorted(set(data) - allowed)
        if unknown:
            msg = f"{where}: unknown key {unknown[0]!r}; allowed: {', '.join(sorted(allowed))}"
            raise self.fail(msg, where, unknown[0])

    def regex(self, pattern: str | None, where: str, key: str) -> str | None:
        if pattern is None:
            return None
        try:
            re.compile(pattern)
        except re.error as exc:
            msg = f"{where}.{key}: not a valid regex ({exc})"
            raise self.fail(msg, where, key) from exc
        return pattern

    # -- the document ---------------------------------------------------------------------------
    def spec(self, data: Mapping[str, Any]) -> FormatSpec:
        self.known(
            data,
            {"format", "record", "fields", "quirks", "options", "detect", "examples"},
            "spec",
        )
        fmt = self.table(data, "format", "format")
        if not fmt:
            msg = "missing the [format] table (name, description, grammar)"
            raise self.fail(msg)
        self.known(
            fmt,
            {
                "name",
                "description",
                "grammar",
                "start",
                "null",
                "module",
                "vendor",
                "product",
                "variants",
            },
            "format",
        )
        name = self.string(fmt, "name", "format", required=True) or ""
        if not NAME_RE.fullmatch(name):
            msg = f"format.name {name!r} must be lowercase letters, digits and dashes"
            raise self.fail(msg, "format", "name")
        options = self.options(self.table(data, "options", "options"))
        option_names = {o.name for o in options}
        fields = self.field_table(self.table(data, "fields", "fields"), "fields", option_names)
        if not fields:
            msg = "[fields] is empty: map at least one canonical column"
            raise self.fail(msg, "fields")
        return FormatSpec(
            name=name,
            description=self.string(fmt, "description", "format", required=True) or "",
            grammar=self.string(fmt, "grammar", "format", required=True) or "",
            path=self.path,
            start=self.string(fmt, "start", "format") or "start",
            null=self.strings(fmt, "null", "format"),
            module=self.string(fmt, "module", "format"),
            record=self.record(self.table(data, "record", "record"), option_names),
            fields=fields,
            quirks=self.quirks(data.get("quirks", []), option_names),
            options=options,
            detect=self.detect(self.table(data, "detect", "detect")),
            examples=self.examples(data.get("examples", [])),
            text=self.text,
            vendor=self.string(fmt, "vendor", "format") or "",
            product=self.string(fmt, "product", "format") or "",
            variants=self.strings(fmt, "variants", "format"),
        )

    def record(self, data: Mapping[str, Any], options: set[str]) -> RecordSpec:
        self.known(
            data,
            {"fields", "prefix", "marker", "escapes", "pairs", "columns", "trim", "header"},
            "record",
        )
        fields = self.strings(data, "fields", "record") if "fields" in data else None
        columns = None
        pairs: list[PairsSpec] = []
        blocks = data.get("pairs", [])
        for p in blocks if isinstance(blocks, list) else [blocks]:
            where = "record.pairs"
            if not isinstance(p, Mapping):
                msg = f"{where} must be a table or an array of tables"
                raise self.fail(msg, where)
            self.known(
                p,
                {"rule", "token", "separator", "strip", "escapes", "delimiter", "delimiter_field",
                 "delimiter_rule", "pair_rule", "quote"},
                where,
            )  # fmt: skip
            strip = p.get("strip", " ")
            pair = PairsSpec(
                rule=self.string(p, "rule", where, required=True) or "",
                token=self.string(p, "token", where),
                separator=self.string(p, "separator", where) or "=",
                strip=strip if isinstance(strip, str) else " ",
                escapes=self.mapping(p, "escapes", where),
                delimiter=self.string(p, "delimiter", where),
                delimiter_field=self.string(p, "delimiter_field", where),
                delimiter_rule=self.string(p, "delimiter_rule", where),
                pair_rule=self.string(p, "pair_rule", where),
                quote=self.string(p, "quote", where),
                line=self.locate(where) or 0,
            )
            if pair.token is None and pair.pair_rule is None:
                msg = f"{where} ({pair.rule}): give token (one pair per terminal) or pair_rule (pieces between delimiters)"
                raise self.fail(msg, where, "rule")
            if pair.delimiter_field and not pair.delimiter_rule:
                msg = f"{where} ({pair.rule}): delimiter_field needs delimiter_rule (how to decode it)"
                raise self.fail(msg, where, "delimiter_field")
            pairs.append(pair)
        if "columns" in data:
            c = self.table(data, "columns", "record.columns")
            where = "record.columns"
            self.known(
                c,
                {"rule", "token", "quote", "names", "directive", "names_option", "directive_rule",
                 "extra", "extra_option", "case_insensitive", "delimiter", "layouts", "lists",
                 "required"},
                where,
            )  # fmt: skip
            lists = self.name_lists(c, where)
            layouts = self.layouts(c.get("layouts", []), where, lists, options)
            extra = self.string(c, "extra", where) or "keep"
            if extra not in ("keep", "quarantine"):
                msg = f"{where}.extra must be 'keep' or 'quarantine', not {extra!r}"
                raise self.fail(msg, where, "extra")
            for key in ("names_option", "extra_option"):
                opt = self.string(c, key, where)
                if opt is not None and opt not in options:
                    msg = f"{where}.{key} names option {opt!r}, which [options] does not declare"
                    raise self.fail(msg, where, key)
            columns = ColumnsSpec(
                rule=self.string(c, "rule", where, required=True) or "",
                token=self.string(c, "token", where, required=True) or "",
                quote=self.string(c, "quote", where),
                names=self.splice(self.strings(c, "names", where), lists, where),
                delimiter=self.string(c, "delimiter", where),
                layouts=layouts,
                required=self.count(c, "required", where),
                directive=self.string(c, "directive", where),
                names_option=self.string(c, "names_option", where),
                directive_rule=self.string(c, "directive_rule", where),
                extra=extra,  # type: ignore[arg-type]
                extra_option=self.string(c, "extra_option", where),
                case_insensitive=bool(c.get("case_insensitive", True)),
                line=self.locate(where) or 0,
            )
            if not (columns.names or columns.directive or columns.names_option or layouts):
                msg = (
                    f"{where}: give the column names (names, layouts), a directive, or names_option"
                )
                raise self.fail(msg, where)
            if layouts and columns.directive:
                msg = f"{where}: layouts chosen per line and a directive cannot be combined"
                raise self.fail(msg, where, "layouts")
            if columns.delimiter is not None and (
                not columns.delimiter or columns.delimiter in (columns.quote or "")
            ):
                msg = f"{where}.delimiter must be a non-empty text other than the quote"
                raise self.fail(msg, where, "delimiter")
        if pairs and columns:
            msg = "record: a format has key=value pairs or delimited columns, not both"
            raise self.fail(msg, "record.columns")
        return RecordSpec(
            fields=fields,
            prefix=self.string(data, "prefix", "record"),
            marker=self.string(data, "marker", "record"),
            escapes=self.mapping(data, "escapes", "record"),
            pairs=tuple(pairs),
            columns=columns,
            trim=self.string(data, "trim", "record") or "",
            header=self.regex(self.string(data, "header", "record"), "record", "header"),
        )

    def count(self, data: Mapping[str, Any], key: str, where: str) -> int | None:
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            msg = f"{where}.{key} must be a whole number >= 0"
            raise self.fail(msg, where, key)
        return value

    def name_lists(self, data: Mapping[str, Any], where: str) -> dict[str, tuple[str, ...]]:
        """``lists``: named runs of column names, spliced into layouts as ``"@NAME"``."""
        raw = self.table(data, "lists", f"{where}.lists")
        return {name: self.strings(raw, name, f"{where}.lists") for name in raw}

    def splice(
        self, names: tuple[str, ...], lists: Mapping[str, tuple[str, ...]], where: str
    ) -> tuple[str, ...]:
        out: list[str] = []
        for name in names:
            if name.startswith("@"):
                if name[1:] not in lists:
                    msg = f"{where}: {name!r} names no list of {where}.lists ({', '.join(lists) or 'none'})"
                    raise self.fail(msg, where)
                out += lists[name[1:]]
            else:
                out.append(name)
        return tuple(out)

    def layouts(
        self,
        data: Any,
        where: str,
        lists: Mapping[str, tuple[str, ...]],
        options: set[str],
    ) -> tuple[LayoutSpec, ...]:
        where = f"{where}.layouts"
        if not isinstance(data, list) or not all(isinstance(d, Mapping) for d in data):
            msg = f"{where} must be an array of tables ([[record.columns.layouts]])"
            raise self.fail(msg, where)
        found = []
        for entry in data:
            self.known(entry, {"name", "names", "when", "required"}, where)
            name = self.string(entry, "name", where, required=True) or ""
            names = self.splice(self.strings(entry, "names", where), lists, where)
            if not names:
                msg = f"{where} ({name}): names is empty"
                raise self.fail(msg, where, "names")
            when = self.conditions(entry.get("when", {}), where, options)
            for cond in when:
                if cond.option is None and cond.field not in names:
                    msg = f"{where} ({name}): when tests {cond.field!r}, which is not one of its names"
                    raise self.fail(msg, where, "when")
            required = self.count(entry, "required", where)
            if required is not None and required > len(names):
                msg = f"{where} ({name}): required ({required}) is more than its {len(names)} names"
                raise self.fail(msg, where, "required")
            found.append(LayoutSpec(name, names, when, required, self.locate(where) or 0))
        return tuple(found)

    def field_table(
        self, data: Mapping[str, Any], where: str, options: set[str]
    ) -> tuple[FieldRule, ...]:
        rules = []
        for column, value in data.items():
            if column not in COLUMN_TYPES:
                known = ", ".join(sorted(COLUMN_TYPES))
                msg = f"{where}: {column!r} is not a canonical column; columns: {known}"
                raise self.fail(msg, where, column)
            entries = value if isinstance(value, list) else [value]
            if not entries or not all(isinstance(e, Mapping) for e in entries):
                msg = f"{where}.{column} must be a table or a list of tables"
                raise self.fail(msg, where, column)
            alternatives = tuple(
                self.alternative(e, f"{where}.{column}", column, options) for e in entries
            )
            rules.append(FieldRule(column, alternatives, self.locate(where, column) or 0))
        return tuple(rules)

    _ALT_KEYS = frozenset(
        {"from", "join", "sep", "between", "value", "type", "formats", "formats_from",
         "format_syntax", "tz", "scale", "extract", "map", "patterns", "case", "when", "keep",
         "replace", "accept", "derive"}
    )  # fmt: skip

    def alternative(
        self, data: Mapping[str, Any], where: str, column: str, options: set[str]
    ) -> Alternative:
        column_where = where.rsplit(".", 1)[0]
        self.known(data, set(self._ALT_KEYS), where)
        kinds = [k for k in ("from", "join", "between", "value") if k in data]
        if len(kinds) != 1:
            msg = f"{where}: give exactly one of from, join, between or value (got {', '.join(kinds) or 'none'})"
            raise self.fail(msg, column_where, column)
        derive = self.string(data, "derive", where)
        if derive is not None and "from" not in data:
            msg = f"{where}.derive needs from = [the fields the function reads]"
            raise self.fail(msg, column_where, column)
        accept = self.string(data, "accept", where)
        if accept not in (None, "ip", "name"):
            msg = f"{where}.accept must be 'ip' or 'name'"
            raise self.fail(msg, column_where, column)
        type_name = self.string(data, "type", where) or COLUMN_TYPES[column]
        if type_name not in TYPES:
            msg = f"{where}.type {type_name!r} is not a type; types: {', '.join(TYPES)}"
            raise self.fail(msg, column_where, column)
        between = None
        if "between" in data:
            pair = self.strings(data, "between", where)
            if len(pair) != 2:
                msg = f"{where}.between must name two fields: [start, end]"
                raise self.fail(msg, column_where, column)
            between = (pair[0], pair[1])
        patterns = data.get("patterns", [])
        if not isinstance(patterns, list) or not all(
            isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p)
            for p in patterns
        ):
            msg = f"{where}.patterns must be a list of [regex, value] pairs"
            raise self.fail(msg, column_where, column)
        for pattern, _value in patterns:
            self.regex(pattern, where, "patterns")
        scale = data.get("scale")
        if scale is not None and not isinstance(scale, int | float):
            msg = f"{where}.scale must be a number"
            raise self.fail(msg, column_where, column)
        case = self.string(data, "case", where)
        if case not in (None, "upper", "lower"):
            msg = f"{where}.case must be 'upper' or 'lower'"
            raise self.fail(msg, column_where, column)
        syntax = self.string(data, "format_syntax", where) or "strftime"
        if syntax not in ("strftime", "java"):
            msg = f"{where}.format_syntax must be 'strftime' or 'java'"
            raise self.fail(msg, column_where, column)
        tz = self.string(data, "tz", where)
        if tz is not None:
            _check_zone(tz, lambda m: self.fail(f"{where}.tz: {m}", column_where, column))
        value = data.get("value")
        if value is not None and not isinstance(value, str | int | float | bool):
            msg = f"{where}.value must be a string or a number"
            raise self.fail(msg, column_where, column)
        return Alternative(
            sources=self.strings(data, "from", where),
            join=self.strings(data, "join", where),
            sep=_default(self.string(data, "sep", where), " "),
            between=between,
            value=None
            if value is None
            else (str(value).lower() if isinstance(value, bool) else str(value)),
            type=type_name,  # type: ignore[arg-type]
            formats=self.strings(data, "formats", where),
            formats_from=self.string(data, "formats_from", where),
            format_syntax=syntax,  # type: ignore[arg-type]
            tz=tz,
            scale=float(scale) if scale is not None else None,
            extract=self.regex(self.string(data, "extract", where), where, "extract"),
            map={k.lower(): v for k, v in self.mapping(data, "map", where).items()},
            patterns=tuple((p, v) for p, v in patterns),
            case=case,  # type: ignore[arg-type]
            when=self.conditions(data.get("when", {}), where, options),
            keep=bool(data.get("keep", False)),
            replace=self.mapping(data, "replace", where),
            accept=accept,  # type: ignore[arg-type]
            derive=derive,
            line=self.locate(column_where, column) or 0,
        )

    def conditions(self, data: Any, where: str, options: set[str]) -> tuple[Condition, ...]:
        if not isinstance(data, Mapping):
            msg = f"{where}.when must be a table {{field = value}}"
            raise self.fail(msg, where, "when")
        found = []
        for name, test in data.items():
            if name.startswith("option.") and name[len("option.") :] not in options:
                msg = f"{where}.when tests {name!r}, which [options] does not declare"
                raise self.fail(msg, where, "when")
            if isinstance(test, str | list):
                values = (test,) if isinstance(test, str) else tuple(str(v) for v in test)
                found.append(Condition(name, equals=values))
            elif (
                isinstance(test, Mapping)
                and len(test) == 1
                and set(test) <= {"regex", "not_regex", "present"}
            ):
                regex, negated = test.get("regex"), test.get("not_regex")
                found.append(
                    Condition(
                        name,
                        regex=self.regex(regex if isinstance(regex, str) else None, where, "when"),
                        not_regex=self.regex(
                            negated if isinstance(negated, str) else None, where, "when"
                        ),
                        present=bool(test["present"]) if "present" in test else None,
                    )
                )
            else:
                msg = f"{where}.when.{name}: expected a value, a list, or one of {{regex = ...}}, {{not_regex = ...}}, {{present = true}}"
                raise self.fail(msg, where, "when")
        return tuple(found)

    def quirks(self, data: Any, options: set[str]) -> tuple[Quirk, ...]:
        if not isinstance(data, list) or not all(isinstance(q, Mapping) for q in data):
            msg = "[[quirks]] must be an array of tables"
            raise self.fail(msg, "quirks")
        quirks = []
        for i, q in enumerate(data):
            where = f"quirks[{i}]"
            self.known(q, {"name", "when", "fields", "because"}, where)
            name = self.string(q, "name", where, required=True) or ""
            when = self.conditions(q.get("when", {}), where, options)
            if not when:
                msg = f"{where} ({name}): 'when' is required"
                raise self.fail(msg, "quirks", "name")
            fields = self.field_table(self.table(q, "fields", where), f"{where}.fields", options)
            quirks.append(
                Quirk(
                    name=name,
                    when=when,
                    fields=fields,
                    because=self.string(q, "because", where) or "",
                    line=self.locate("quirks") or 0,
                )
            )
        return tuple(quirks)

    def options(self, data: Mapping[str, Any]) -> tuple[OptionSpec, ...]:
        found = []
        for name, value in data.items():
            where = f"options.{name}"
            if not isinstance(value, Mapping):
                msg = f"{where} must be a table (default, choices, help)"
                raise self.fail(msg, "options", name)
            self.known(value, {"default", "choices", "help"}, where)
            choices = self.strings(value, "choices", where)
            default = self.string(value, "default", where)
            if choices and default is not None and default not in choices:
                msg = f"{where}.default {default!r} is not one of its choices"
                raise self.fail(msg, where, "default")
            found.append(
                OptionSpec(name, default, choices, self.string(value, "help", where) or "")
            )
        return tuple(found)

    def detect(self, data: Mapping[str, Any]) -> DetectSpec:
        self.known(data, {"pattern", "any", "hint", "hint_score"}, "detect")
        score = data.get("hint_score", 0.8)
        if not isinstance(score, int | float) or not 0 <= score <= 1:
            msg = "detect.hint_score must be a number in [0, 1]"
            raise self.fail(msg, "detect", "hint_score")
        return DetectSpec(
            pattern=self.regex(self.string(data, "pattern", "detect"), "detect", "pattern"),
            any=self.regex(self.string(data, "any", "detect"), "detect", "any"),
            hint=self.regex(self.string(data, "hint", "detect"), "detect", "hint"),
            hint_score=float(score),
        )

    def examples(self, data: Any) -> tuple[Example, ...]:
        if not isinstance(data, list) or not all(isinstance(e, Mapping) for e in data):
            msg = "[[examples]] must be an array of tables"
            raise self.fail(msg, "examples")
        found = []
        for i, e in enumerate(data):
            where = f"examples[{i}]"
            self.known(e, {"line", "expect", "quarantined"}, where)
            expect = e.get("expect", {})
            if not isinstance(expect, Mapping):
                msg = f"{where}.expect must be a table of column = value"
                raise self.fail(msg, "examples", "expect")
            found.append(
                Example(
                    line=self.string(e, "line", where, required=True) or "",
                    expect=dict(expect),
                    quarantined=self.string(e, "quarantined", where),
                )
            )
        return tuple(found)


def _check_zone(tz: str, fail: Any) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        msg = f"unknown time zone {tz!r}"
        raise fail(msg) from exc


def referenced_fields(spec: FormatSpec) -> list[str]:
    """Every parsed field the field table, its quirks and conditions read, in order."""
    seen: dict[str, None] = {}
    rules: Sequence[FieldRule] = (*spec.fields, *(r for q in spec.quirks for r in q.fields))
    for rule in rules:
        for alt in rule.alternatives:
            seen.update(dict.fromkeys(alt.inputs()))
    for quirk in spec.quirks:
        seen.update(dict.fromkeys(c.field for c in quirk.when if c.option is None))
    return list(seen)


def _default(value: str | None, default: str) -> str:
    """``value``, or ``default`` when it is not given (an empty string is a value: ``sep = ""``)."""
    return default if value is None else value
