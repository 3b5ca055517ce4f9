"""Grammar + spec -> :class:`~shadowlens.spec.plan.Plan`: one compiler for every format.

Steps (each failure is a :class:`~shadowlens.errors.SpecError` or
:class:`~shadowlens.errors.GrammarError` naming the file, raised when the
format is registered, never on data):

1. load the grammar with Lark (LALR; the start rules the plan needs);
2. find the *parsed fields*: the leaf rules reachable from the start rule
   (``[record] fields`` may list them instead);
3. lower the start rule into one regex with a named group per field
   (:func:`~shadowlens.parsers.grammar.rule_regex`), stopping before a key=value
   list or delimited values, which become the tail;
4. compile the key=value list, the delimited values (and their directives) and
   the transport prefix from their rules and terminals;
5. turn the field table and its quirks into ordered, typed candidates per
   column, resolving conditions on format options.

Examples
--------
>>> from shadowlens.formats import builtin_spec
>>> plan = compile_spec(builtin_spec("cef"))
>>> plan.head.marker, plan.pairs[0].token, plan.prefix.field
('CEF:', 'KV_PAIR', 'cef_prefix')
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lark import Lark
from lark.grammar import NonTerminal, Terminal

from shadowlens.errors import GrammarError, SpecError
from shadowlens.parsers import normalize as nz
from shadowlens.parsers.grammar import (
    check_rust_regex,
    common_grammar,
    group_fields,
    load_grammar_file,
    rule_regex,
    rule_variants,
    terminal_regex,
)
from shadowlens.schema import RECORD_POLARS_SCHEMA
from shadowlens.spec.model import (
    SYSLOG_FIELDS,
    Alternative,
    Condition,
    FieldRule,
    FormatSpec,
    referenced_fields,
)
from shadowlens.spec.plan import (
    Candidate,
    ColumnPlan,
    ColumnsPlan,
    DetectPlan,
    DirectivePlan,
    HeadPlan,
    LayoutPlan,
    PairsPlan,
    Plan,
    PrefixPlan,
    Variant,
)

_ZONE_DIRECTIVE = re.compile(r"\s*(?:%:z|%::z|%#z|%z|%Z)\s*$")
_YEAR = re.compile(r"%[YyGCs]|%[+cDFx]")


def compile_spec(spec: FormatSpec, options: Mapping[str, str] | None = None) -> Plan:
    """The plan of ``spec`` with format ``options`` (defaults filled from the spec).

    Raises
    ------
    SpecError
        When the table names a field the grammar does not have, or an option value
        is not one of its choices.
    GrammarError
        When the grammar does not load or a rule cannot become a regex.
    """
    opts = resolve_options(spec, options or {})
    starts = [spec.start]
    columns_spec = spec.record.columns
    if columns_spec and columns_spec.directive:
        starts.append(columns_spec.directive_rule or "directive")
    lark = load_grammar_file(spec.grammar_path.resolve(), tuple(starts))
    rules = _rule_defs(lark)
    for start in starts:
        if start not in rules:
            msg = f"grammar {spec.grammar} has no rule {start!r}"
            raise SpecError(msg, path=str(spec.path))
    fields = _fields(spec, lark, rules)
    head = _head(spec, lark, rules, fields)
    prefix = _prefix(spec, fields)
    pairs = _pairs(spec, lark, rules)
    columns = _columns(spec, lark, rules, opts)
    picked = _picked(spec, fields, prefix, bool(pairs) or columns is not None, columns)
    table = _table(spec, opts)
    _check_spec_regexes(spec)
    hinted = spec.detect.any or spec.detect.hint
    detect = DetectPlan(
        pattern=spec.detect.pattern or (None if hinted else head.regex),
        any=spec.detect.any,
        hint=spec.detect.hint,
        hint_score=spec.detect.hint_score,
    )
    return Plan(
        spec=spec,
        grammar=spec.grammar_path,
        start=spec.start,
        head=head,
        fields=fields,
        escapes=dict(spec.record.escapes),
        null=spec.null,
        picked=picked,
        table=table,
        detect=detect,
        prefix=prefix,
        pairs=pairs,
        columns=columns,
        options=opts,
        trim=spec.record.trim,
        header=spec.record.header,
    )


def resolve_options(spec: FormatSpec, given: Mapping[str, str]) -> dict[str, str]:
    """Every declared option with its value (given, else default); checks choices."""
    resolved: dict[str, str] = {}
    for option in spec.options:
        value = given.get(option.name, option.default)
        if value is None:
            continue
        if option.choices and value not in option.choices:
            msg = (
                f"--option {option.name} must be one of {', '.join(option.choices)}, not {value!r}"
            )
            raise SpecError(msg, path=str(spec.path))
        resolved[option.name] = value
    return resolved


# -- the grammar side ------------------------------------------------------------------


def _rule_defs(lark: Lark) -> dict[str, Any]:
    return {str(name): tree for name, _params, tree, _opts in lark.grammar.rule_defs}


def _reachable(rules: Mapping[str, Any], start: str, stop: set[str]) -> list[str]:
    """Rules used from ``start`` in first-use order, not looking inside ``stop`` rules."""
    seen, todo = [start], [start]
    while todo:
        name = todo.pop(0)
        tree = rules.get(name)
        if tree is None or name in stop:
            continue
        for ref in tree.scan_values(lambda v: isinstance(v, NonTerminal)):
            if ref.name not in seen:
                seen.append(ref.name)
                todo.append(ref.name)
    return seen


def _is_leaf(tree: Any) -> bool:
    return not any(True for _ in tree.scan_values(lambda v: isinstance(v, NonTerminal)))


def _regions(spec: FormatSpec) -> list[str]:
    """Rules read as the rest of the line: key=value lists and delimited values."""
    regions = [p.rule for p in spec.record.pairs]
    if spec.record.columns is not None:
        regions.append(spec.record.columns.rule)
    return regions


def field_name(rule: str) -> str:
    """The field a rule fills: rules ``x__1``, ``x__2``... are alternatives of field ``x``."""
    return rule.split("__")[0]


def _fields(spec: FormatSpec, lark: Lark, rules: Mapping[str, Any]) -> tuple[str, ...]:
    """The parsed fields: ``[record] fields``, else the leaf rules reachable from the start."""
    blocks = set(_regions(spec))
    if spec.record.fields is not None:
        for name in spec.record.fields:
            if not any(field_name(r) == name for r in rules):
                msg = f"record.fields: grammar {spec.grammar} has no rule {name!r}"
                raise SpecError(msg, path=str(spec.path))
        return spec.record.fields
    reachable = _reachable(rules, spec.start, blocks)
    leaves = [
        name
        for name in reachable
        if name not in blocks
        and name != spec.start
        and not name.startswith("_")
        and _is_leaf(rules[name])
    ]
    return tuple(dict.fromkeys(field_name(n) for n in leaves))


def _field_rules(fields: tuple[str, ...], rules: Mapping[str, Any]) -> list[str]:
    return [r for r in rules if field_name(r) in fields]


def _head(
    spec: FormatSpec, lark: Lark, rules: Mapping[str, Any], fields: tuple[str, ...]
) -> HeadPlan:
    """The start rule lowered into one regex per way a line can end (see :class:`Variant`)."""
    regions = _regions(spec)
    capture = _field_rules(fields, rules)
    blocks = {p.rule: i for i, p in enumerate(spec.record.pairs)}
    if spec.record.columns is not None and spec.record.columns.rule == spec.start:
        variant = Variant("^(?P<_head>)", {}, tail=spec.start)
        return HeadPlan(regex="^", fields=(), variants=(variant,))
    lowered = rule_variants(lark, spec.start, capture, regions)
    marker, prefix = spec.record.marker, spec.record.prefix
    opening = literal = ""
    if marker is not None:
        if prefix is None:
            msg = "record.marker needs record.prefix (the rule that ends at the marker)"
            raise SpecError(msg, path=str(spec.path))
        opening = f"(?:{rule_regex(lark, prefix, capture={prefix})})?"
        if not all(pattern.startswith(opening) for _region, pattern in lowered):
            msg = (
                f"record.marker {marker!r}: rule {spec.start!r} must start with the optional "
                f"prefix rule {prefix!r}, followed by the marker text"
            )
            raise SpecError(msg, path=str(spec.path))
        # The variants read the text from the marker on; when every variant starts
        # with the marker itself, they read the text after it (no copy of the line).
        if all(p[len(opening) :].startswith(re.escape(marker)) for _r, p in lowered):
            literal = re.escape(marker)
    variants = []
    for region, pattern in lowered:
        if marker is not None:
            pattern = pattern[len(opening) + len(literal) :]
        regex = f"^(?P<_head>{pattern})" + ("" if region else "$")
        _check_python(regex, spec)
        groups = {field_name(name): tuple(names) for name, names in group_fields(pattern).items()}
        variants.append(
            Variant(
                regex=regex,
                groups={f: g for f, g in groups.items() if f in fields},
                tail=region,
                block=blocks.get(region) if region else None,
            )
        )
    first = f"^(?P<_head>{lowered[0][1]})" + ("" if lowered[0][0] else "$")
    if marker is None:
        return HeadPlan(regex=first, fields=fields, variants=tuple(variants))
    assert prefix is not None
    prefix_terminal = _single_terminal(lark, prefix)
    prefix_regex = (
        "^(?:" + terminal_regex(lark, prefix_terminal) + ")$"
        if prefix_terminal
        else "^" + rule_regex(lark, prefix) + "$"
    )
    return HeadPlan(
        regex=first,
        fields=fields,
        variants=tuple(variants),
        marker=marker,
        prefix_field=prefix,
        prefix_regex=prefix_regex,
        keep_marker=not literal,
    )


def _single_terminal(lark: Lark, rule: str) -> str | None:
    tree = _rule_defs(lark)[rule]
    terms = list(tree.scan_values(lambda v: isinstance(v, Terminal)))
    return str(terms[0].name) if len(terms) == 1 else None


def _check_python(regex: str, spec: FormatSpec) -> None:
    try:
        re.compile(regex)
    except re.error as exc:
        msg = f"{spec.grammar}: the fast-path regex does not compile ({exc})"
        raise GrammarError(msg) from exc


def _prefix(spec: FormatSpec, fields: tuple[str, ...]) -> PrefixPlan | None:
    prefix = spec.record.prefix
    if prefix is None:
        return None
    if prefix not in fields:
        msg = f"record.prefix {prefix!r} is not a parsed field (a leaf rule) of {spec.grammar}"
        raise SpecError(msg, path=str(spec.path))
    syslog = rule_regex(common_grammar(), "syslog", capture=SYSLOG_FIELDS[:-1])
    return PrefixPlan(field=prefix, regex=f"^(?P<_sys>{syslog})", fields=SYSLOG_FIELDS)


def _block_token(spec: FormatSpec, rules: Mapping[str, Any], rule: str, token: str | None) -> str:
    if rule not in rules:
        msg = f"grammar {spec.grammar} has no rule {rule!r}"
        raise SpecError(msg, path=str(spec.path))
    if token is not None:
        return token
    terms = {str(t.name) for t in rules[rule].scan_values(lambda v: isinstance(v, Terminal))}
    named = sorted(t for t in terms if not t.startswith("_") and t.isupper())
    if len(named) != 1:
        msg = (
            f"rule {rule!r} has terminals {named}: name the one that holds a value with token = ..."
        )
        raise SpecError(msg, path=str(spec.path))
    return named[0]


def _pairs(spec: FormatSpec, lark: Lark, rules: Mapping[str, Any]) -> tuple[PairsPlan, ...]:
    plans = []
    for p in spec.record.pairs:
        if p.rule not in rules:
            msg = f"record.pairs: grammar {spec.grammar} has no rule {p.rule!r}"
            raise SpecError(msg, path=str(spec.path))
        region = "^" + rule_regex(lark, p.rule) + "$"
        if p.token is not None:
            plans.append(
                PairsPlan(
                    rule=p.rule,
                    region_regex=region,
                    token=p.token,
                    token_regex=terminal_regex(lark, p.token),
                    separator=p.separator,
                    strip=p.strip,
                    escapes=dict(p.escapes),
                    quote=p.quote,
                    may_be_empty=re.search(region, "") is not None,
                )
            )
            continue
        assert p.pair_rule is not None
        side = load_grammar_file(
            spec.grammar_path.resolve(),
            tuple(dict.fromkeys([spec.start, p.pair_rule, *filter(None, [p.delimiter_rule])])),
        )
        side_rules = _rule_defs(side)
        key_value = [r for r in _reachable(side_rules, p.pair_rule, set()) if r != p.pair_rule]
        leaves = [r for r in key_value if not r.startswith("_") and _is_leaf(side_rules[r])]
        if len(leaves) != 2:
            msg = f"pair_rule {p.pair_rule!r} must hold two field rules (key, value), not {leaves}"
            raise SpecError(msg, path=str(spec.path))
        key_rule, value_rule = leaves
        pair = rule_regex(side, p.pair_rule, capture=(key_rule, value_rule))
        pair = pair.replace(f"(?P<{key_rule}>", "(?P<key>").replace(
            f"(?P<{value_rule}>", "(?P<value>"
        )
        key_terminal = _single_terminal(side, key_rule)
        clean = (
            "^" + terminal_regex(side, key_terminal) + re.escape(p.separator)
            if key_terminal
            else None
        )
        delimiter_regex = None
        if p.delimiter_rule:
            delimiter_regex = rule_regex(side, p.delimiter_rule, capture=("hex_code", "delim_char"))
        plans.append(
            PairsPlan(
                rule=p.rule,
                region_regex=region,
                token=None,
                token_regex=None,
                separator=p.separator,
                strip=p.strip,
                escapes=dict(p.escapes),
                delimiter=p.delimiter if p.delimiter is not None else "\t",
                delimiter_field=p.delimiter_field,
                delimiter_regex=delimiter_regex,
                pair_regex=pair,
                clean_regex=clean,
                quote=p.quote,
            )
        )
    return tuple(plans)


def _columns(
    spec: FormatSpec, lark: Lark, rules: Mapping[str, Any], options: Mapping[str, str]
) -> ColumnsPlan | None:
    c = spec.record.columns
    if c is None:
        return None
    token = _block_token(spec, rules, c.rule, c.token)
    directive = None
    if c.directive:
        rule = c.directive_rule or "directive"
        directive = DirectivePlan(
            rule=rule,
            layout_name=c.directive,
            fields_key="^" + terminal_regex(lark, "FIELDS_KEY"),
            named_key="^" + terminal_regex(lark, "DIRECTIVE_KEY"),
            fields="^" + rule_regex(lark, "fields_directive") + "$",
            field_id=terminal_regex(lark, "FIELD_ID"),
            named="^"
            + rule_regex(lark, "named_directive", capture={"directive_name", "directive_text"})
            + "$",
            comment="^" + terminal_regex(lark, "COMMENT") + "$",
        )
    extra = options.get(c.extra_option, c.extra) if c.extra_option else c.extra
    value = terminal_regex(lark, token)
    region = cell = None
    if c.delimiter is not None:
        d = re.escape(c.delimiter)
        region = f"^(?:(?:{value})?{d})*(?:{value})?$"
        cell = f"(?:{value})?{d}"
        check_rust_regex(region, f"record.columns ({c.rule})")
    layouts = []
    for layout in c.layouts:
        when = _resolve(layout.when, options)
        if when is None:  # an option test fails: the layout is off for the run
            continue
        required = layout.required if layout.required is not None else len(layout.names)
        layouts.append(LayoutPlan(layout.name, layout.names, when, required))
    for cond in (w for layout in layouts for w in layout.when):
        for pattern in filter(None, (cond.regex, cond.not_regex)):
            check_rust_regex(pattern, f"record.columns.layouts when {cond.field}")
    return ColumnsPlan(
        rule=c.rule,
        token=token,
        token_regex=value,
        quote=c.quote,
        names=c.names,
        names_option=c.names_option,
        directive=directive,
        extra=extra,
        case_insensitive=c.case_insensitive,
        delimiter=c.delimiter,
        region_regex=region,
        cell_regex=cell,
        layouts=tuple(layouts),
        required=c.required,
    )


def _picked(
    spec: FormatSpec,
    fields: tuple[str, ...],
    prefix: PrefixPlan | None,
    keyed: bool,
    columns: ColumnsPlan | None,
) -> tuple[str, ...]:
    """Referenced names that are not rule fields: keys of the pairs or column names."""
    known = set(fields) | set(prefix.fields if prefix else ())
    picked = []
    for name in referenced_fields(spec):
        if name in known:
            continue
        if not keyed:
            rules = ", ".join(fields) or "none"
            msg = f"[fields] reads {name!r}, which is not a field rule of {spec.grammar} (fields: {rules})"
            raise SpecError(msg, path=str(spec.path), line=_line_of(spec, name))
        if columns is not None and (columns.names or columns.layouts) and not columns.directive:
            every = [*columns.names, *(n for lay in columns.layouts for n in lay.names)]
            every += ["#fields", "#layout"]
            names = {n.lower() if columns.case_insensitive else n for n in every}
            if (name.lower() if columns.case_insensitive else name) not in names:
                msg = f"[fields] reads {name!r}, which is neither a field rule nor a column name"
                raise SpecError(msg, path=str(spec.path), line=_line_of(spec, name))
        picked.append(name.lower() if columns is not None and columns.case_insensitive else name)
    return tuple(dict.fromkeys(picked))


def _line_of(spec: FormatSpec, name: str) -> int | None:
    for number, line in enumerate(spec.text.splitlines(), start=1):
        if re.search(r"[\"']" + re.escape(name) + r"[\"']", line):
            return number
    return None


# -- the field table -------------------------------------------------------------------


def _table(spec: FormatSpec, options: Mapping[str, str]) -> tuple[ColumnPlan, ...]:
    """Ordered typed candidates per column: quirk rules first, then the table's."""
    columns: dict[str, list[Candidate]] = {}
    quirk_tests: dict[str, list[tuple[Condition, ...]]] = {}
    for quirk in spec.quirks:
        when = _resolve(quirk.when, options)
        if when is None:
            continue
        for rule in quirk.fields:
            for cand in _candidates(rule, options, spec):
                merged = Candidate(
                    alt=cand.alt,
                    source=cand.source,
                    layouts=cand.layouts,
                    yearless=cand.yearless,
                    epoch=cand.epoch,
                    inputs=cand.inputs,
                    when=(*when, *cand.when),
                    quirk=quirk.name,
                )
                columns.setdefault(rule.column, []).append(merged)
            quirk_tests.setdefault(rule.column, []).append(when)
    plans = []
    rules = list(spec.fields)
    action = spec.field("action")
    if action is not None and spec.field("action_raw") is None:
        # The vendor's own word: the same sources as action, as logged.
        rules.append(FieldRule("action_raw", tuple(_as_logged(a) for a in action.alternatives)))
    for rule in rules:
        base = list(_candidates(rule, options, spec))
        unless = tuple(quirk_tests.get(rule.column, ()))
        if unless:
            base = [_with_unless(c, unless) for c in base]
        columns.setdefault(rule.column, []).extend(base)
    order = list(RECORD_POLARS_SCHEMA)  # canonical order: bytes_total after up and down
    for column in sorted(columns, key=order.index):
        plans.append(ColumnPlan(column, RECORD_POLARS_SCHEMA[column], tuple(columns[column])))
    return tuple(plans)


def _as_logged(alt: Alternative) -> Alternative:
    return Alternative(
        sources=alt.sources,
        join=alt.join,
        sep=alt.sep,
        value=alt.value,
        when=alt.when,
        line=alt.line,
    )


def _with_unless(cand: Candidate, unless: tuple[tuple[Condition, ...], ...]) -> Candidate:
    return Candidate(
        alt=cand.alt,
        source=cand.source,
        layouts=cand.layouts,
        yearless=cand.yearless,
        epoch=cand.epoch,
        inputs=cand.inputs,
        when=cand.when,
        quirk=cand.quirk,
        unless=unless,
    )


def _resolve(
    conditions: tuple[Condition, ...], options: Mapping[str, str]
) -> tuple[Condition, ...] | None:
    """Row conditions left after the option ones are evaluated; None when an option test fails."""
    rows = []
    for cond in conditions:
        name = cond.option
        if name is None:
            rows.append(cond)
            continue
        value = options.get(name)
        if not _option_holds(cond, value):
            return None
    return tuple(rows)


def _option_holds(cond: Condition, value: str | None) -> bool:
    if cond.present is not None:
        return (value is not None) == cond.present
    if value is None:
        return False
    if cond.equals:
        return value.lower() in {v.lower() for v in cond.equals}
    if cond.not_regex is not None:
        return re.search(cond.not_regex, value) is None
    return cond.regex is not None and re.search(cond.regex, value) is not None


def _candidates(rule: FieldRule, options: Mapping[str, str], spec: FormatSpec) -> list[Candidate]:
    found = []
    for alt in rule.alternatives:
        when = _resolve(alt.when, options)
        if when is None:
            continue
        layouts, yearless, epoch = _layouts(alt)
        sources: list[tuple[str | None, tuple[str, ...]]]
        if alt.derive:
            _check_derive(spec, rule, alt)
            sources = [(None, alt.sources)]
        elif alt.sources:
            sources = [(s, (s,)) for s in alt.sources]
        elif alt.join:
            sources = [(None, alt.join)]
        elif alt.between:
            sources = [(None, alt.between)]
        else:
            sources = [(None, ())]
        extra = (alt.formats_from,) if alt.formats_from else ()
        for source, inputs in sources:
            found.append(
                Candidate(
                    alt=alt,
                    source=source,
                    layouts=layouts,
                    yearless=yearless,
                    epoch=epoch,
                    inputs=(*inputs, *extra),
                    when=when,
                )
            )
    return found


def _check_derive(spec: FormatSpec, rule: FieldRule, alt: Alternative) -> None:
    """A ``derive`` function must exist in the format's module (checked at load, not on data)."""
    import importlib

    where = f"fields.{rule.column}: derive = {alt.derive!r}"
    if spec.module is None:
        msg = f"{where} needs [format] module"
        raise SpecError(msg, path=str(spec.path), line=alt.line or None)
    try:
        function = getattr(importlib.import_module(spec.module), alt.derive or "")
    except (ImportError, AttributeError) as exc:
        msg = f"{where}: no such function in module {spec.module!r} ({exc})"
        raise SpecError(msg, path=str(spec.path), line=alt.line or None) from exc
    if not callable(function):
        msg = f"{where}: {spec.module}.{alt.derive} is not a function"
        raise SpecError(msg, path=str(spec.path), line=alt.line or None)


def _check_spec_regexes(spec: FormatSpec) -> None:
    """Every regex of the table and of ``[detect]`` must run on polars' engine (Rust ``regex``)."""
    found: list[tuple[str, str, int | None]] = []
    for key in ("pattern", "any", "hint"):
        pattern = getattr(spec.detect, key)
        if pattern:
            found.append((pattern, f"detect.{key}", None))
    rules = [*spec.fields, *(r for q in spec.quirks for r in q.fields)]
    conditions = [c for q in spec.quirks for c in q.when]
    for rule in rules:
        for alt in rule.alternatives:
            where = f"fields.{rule.column}"
            if alt.extract:
                found.append((alt.extract, f"{where}.extract", alt.line))
            found += [(p, f"{where}.patterns", alt.line) for p, _v in alt.patterns]
            conditions += list(alt.when)
    for cond in conditions:
        for pattern in (cond.regex, cond.not_regex):
            if pattern:
                found.append((pattern, f"when {cond.field}", None))
    for pattern, where, line in found:
        try:
            check_rust_regex(pattern, where)
        except GrammarError as exc:
            msg = f"{where}: the regex {pattern!r} cannot run on the fast path (no look-around or back-references)"
            raise SpecError(
                msg, path=str(spec.path), line=line or _line_of_text(spec, pattern)
            ) from exc


def _line_of_text(spec: FormatSpec, text: str) -> int | None:
    for number, line in enumerate(spec.text.splitlines(), start=1):
        if text in line:
            return number
    return None


def _layouts(alt: Alternative) -> tuple[tuple[str, ...], tuple[str, ...], bool]:
    """(dated layouts, yearless layouts, epoch allowed) of a timestamp alternative."""
    if alt.type != "timestamp" and alt.between is None:
        return (), (), False
    if not alt.formats:
        return tuple(nz.DEFAULT_LAYOUTS), tuple(nz.YEARLESS_LAYOUTS), True
    dated: list[str] = []
    yearless: list[str] = []
    epoch = False
    for fmt in alt.formats:
        if fmt in ("epoch", "epoch_s", "epoch_ms"):
            epoch = True
            continue
        layout = nz.java_to_strftime(fmt)[0] if alt.format_syntax == "java" else fmt
        layout = _ZONE_DIRECTIVE.sub("", layout)
        (dated if _YEAR.search(layout) else yearless).append(layout)
    return tuple(dated), tuple(yearless), epoch


def grammar_rules(path: Path, start: str = "start") -> list[str]:
    """The leaf rules of a grammar file (what ``formats new`` and ``formats show`` list)."""
    lark = load_grammar_file(path.resolve(), (start,))
    rules = _rule_defs(lark)
    return [r for r in _reachable(rules, start, set()) if not r.startswith("_") and r != start]
