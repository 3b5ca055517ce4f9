"""LEEF (IBM QRadar Log Event Extended Format) 1.0 and 2.0, plain or behind a syslog prefix.

The grammar is ``grammars/leef.lark``. The fast plan compiled from it:

* head: per version branch (2.0, 1.0, 0, each tried on the rows still unparsed)
  the ``leef_prefix`` and ``_headN`` rules lowered into one anchored regex with a
  group per field (``str.extract_groups``); the tail after EventID is sliced off,
  never run through a capturing regex;
* tail: the grammar's rule for the sixth segment (the delimiter field when it has
  no ``=``, else already the attribute list) via ``BARE_ATTRIBUTES`` and ``splitn``;
* attributes: the attribute region is one terminal of the grammar. It is split
  at the decoded delimiter (``str.split``, once per distinct delimiter of the
  chunk). Rows whose pieces all start with ``ATTR_KEY=`` and end cleanly keep the
  pieces as they are; the other rows split each piece at its first ``=``, check
  it against the grammar's ``attribute`` rule (on the chunk's distinct keys) and
  glue non-attribute pieces to the value before them. The Lark reference splits
  the same way in Python (:func:`split_region`);
* LEEF:0 (Incapsula): CEF's ``KV_PAIR`` terminal via ``str.extract_all`` and a
  coverage check;
* values: :func:`shadowlens.parsers.kvpick.pick_pairs` on the normalized
  ``key=value`` tokens (``pairs``); the prefix is split with ``common.syslog``.

Byte direction: ``srcBytes`` is data sent by the source, so it is ``bytes_up``;
``dstBytes`` is ``bytes_down``. Decisions: docs/format-decisions.md ("LEEF").

Examples
--------
>>> import polars as pl
>>> line = "LEEF:2.0|V|P|1|E|x5E|devTime=1700000000000^srcBytes=10^dstBytes=20^x=a b"
>>> lines = pl.DataFrame({"line": [line], "source_line": [1], "source_offset": [0]})
>>> rec = LeefFormat().parse(lines.cast({"source_line": pl.UInt64, "source_offset": pl.UInt64}), None)
>>> rec.records.select("bytes_up", "bytes_down", "bytes_total", "extras_keys", "extras_values").row(0)
(10, 20, 30, ['x', 'leef_version', 'leef_delimiter'], ['a b', '2.0', 'x5E'])
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any, ClassVar

import polars as pl
from lark import Token, Tree

from shadowlens.parsers.base import GrammarFormat, share_matching
from shadowlens.parsers.fields import tokens_of, tree_fields
from shadowlens.parsers.grammar import load_lark, rule_regex, terminal_regex
from shadowlens.parsers.kvpick import pick_pairs
from shadowlens.parsers.leef_map import HEADER_FIELDS, SYSLOG_FIELDS, LeefMapping
from shadowlens.plugins.hookspecs import hookimpl

#: Parsed-field columns taken over unchanged from the head regex.
HEAD_COLUMNS = ("leef_prefix", "leef_version", *HEADER_FIELDS)
#: Head rule of each grammar branch and its LEEF version, in the order the fast path tries them.
BRANCHES = (("_head2", "2.0"), ("_head1", "1.0"), ("_head0", "0"))
TAB = "\t"
_DETECT = re.compile(r"(?:^|[\s>:])LEEF:(?:1\.0|2\.0|0)\|")
_STRINGS = pl.List(pl.String())
_EMPTY = pl.lit([], _STRINGS)


@functools.cache
def _plan() -> dict[str, Any]:
    """Regexes compiled from the grammar, once per process."""
    lark = LeefFormat.lark()
    prefix = rule_regex(lark, "leef_prefix", capture={"leef_prefix"})

    def started(start: str) -> Any:  # the grammar with another start rule (keeps its terminals)
        return load_lark(LeefFormat.grammar_package, LeefFormat.grammar_file, start)

    attribute = rule_regex(started("attribute"), "attribute", capture=("attr_key", "attr_value"))
    form = rule_regex(
        started("delimiter_form"), "delimiter_form", capture=("hex_code", "delim_char")
    )
    syslog = rule_regex(started("syslog"), "syslog", capture=SYSLOG_FIELDS)
    return {
        "heads": [
            (version, f"^(?P<_head>(?:{prefix})?{rule_regex(lark, head, capture=HEADER_FIELDS)})")
            for head, version in BRANCHES
        ],
        "bare": "^" + terminal_regex(lark, "BARE_ATTRIBUTES"),
        "delimiter": "^" + rule_regex(lark, "delimiter"),
        "kv_pair": terminal_regex(lark, "KV_PAIR"),
        # An attribute piece with no spaces around its key: `ATTR_KEY=...`.
        "clean": "^" + terminal_regex(started("attribute"), "ATTR_KEY") + "=",
        "attribute": re.compile(attribute),
        "form": re.compile(form),
        "syslog": f"^(?P<_sys>{syslog})",
    }


def decode_delimiter(field: str | None) -> str | None:
    """The attribute delimiter a LEEF 2.0 delimiter field declares, None if it cannot be decoded.

    A missing or empty field means TAB (LEEF 1.0, or 2.0 without the field).

    Examples
    --------
    >>> [decode_delimiter(f) for f in (None, "", "^", "x5E", "0x7c", "X09", "0x9")]
    ['\\t', '\\t', '^', '^', '|', '\\t', '\\t']
    >>> [decode_delimiter(f) for f in ("INVALID", "0xGG", "0x", "x3D", "xD800")]
    [None, None, None, None, None]
    """
    if not field:
        return TAB
    match = _plan()["form"].fullmatch(field)
    if match is None:
        return None
    if match["delim_char"] is not None:
        return str(match["delim_char"])
    code = int(match["hex_code"], 16)
    return None if 0xD800 <= code <= 0xDFFF or code == ord("=") else chr(code)


def split_region(region: str | None, delimiter: str) -> tuple[list[str], str | None]:
    """Reference split of an attribute region: (``key=value`` tokens, text before the first).

    Pieces between delimiters that are not an ``attribute`` belong to the value
    before them; keys lose the spaces/TABs around them; trailing spaces, TABs
    and delimiters are cut off each value; blank text before the first
    attribute is dropped.

    Examples
    --------
    >>> split_region("a=1^^b=x=y^c^ d = 2 ^", "^")
    (['a=1', 'b=x=y^c', 'd= 2'], None)
    >>> split_region("junk \\tk=v", "\\t")
    (['k=v'], 'junk')
    """
    if region is None:
        return [], None
    attribute = _plan()["attribute"]
    groups: list[list[Any]] = []
    for piece in region.split(delimiter):
        match = attribute.fullmatch(piece)
        if match is not None:
            groups.append([match["attr_key"], match["attr_value"]])
        elif groups:
            groups[-1][1] += delimiter + piece
        else:
            groups.append([None, piece])
    strip = " \t" + delimiter
    junk = None
    if groups and groups[0][0] is None:
        text = groups.pop(0)[1]
        junk = text.rstrip(strip) if text.strip(strip) else None
    return [f"{key}={value.rstrip(strip)}" for key, value in groups], junk


class LeefFormat(GrammarFormat):
    """IBM LEEF 1.0/2.0 (and Incapsula's LEEF:0) lines, with or without a syslog prefix."""

    name: ClassVar[str] = "leef"
    description: ClassVar[str] = (
        "IBM QRadar Log Event Extended Format (LEEF:1.0 / LEEF:2.0, Incapsula LEEF:0), "
        "optionally syslog-wrapped"
    )
    grammar_file: ClassVar[str] = "leef.lark"
    fields_schema: ClassVar[dict[str, pl.DataType]] = {
        "leef_prefix": pl.String(),
        "leef_version": pl.String(),
        **dict.fromkeys(HEADER_FIELDS, pl.String()),
        "delimiter": pl.String(),
        "junk": pl.String(),
        "pairs": _STRINGS,
    }
    #: Route for attribute values: learned key orders first (tests set 0: generic only).
    max_templates: ClassVar[int] = 4

    @classmethod
    def detect(cls, sample: Sequence[str]) -> float:
        """Share of sample lines with a ``LEEF:<version>|`` marker."""
        return share_matching(sample, _DETECT)

    @classmethod
    def describe(cls) -> dict[str, Any]:
        """Adds how the parts a context-free grammar cannot express are parsed."""
        return {
            **super().describe(),
            "reference_only": [
                "nothing runs on Lark alone; the attribute list (a delimiter declared per line) "
                "is not context-free, so the grammar gives its region as one terminal plus the "
                "shape of one attribute, and both paths split it the same way (strategies)"
            ],
            "strategies": {
                "prefix": "one LEEF_PREFIX token, split by common.syslog lowered to a regex",
                "header": "leef_prefix + _head2/_head1/_head0 -> one anchored regex per version",
                "delimiter": "the chunk's distinct delimiter fields decoded by the delimiter_form "
                "rule; empty or missing = TAB; undecodable -> quarantined as bad_delimiter",
                "attributes": "region (one terminal) split at the decoded delimiter with "
                "str.split, each piece at its first '=' (attribute rule); non-attribute "
                "pieces glued to the value before them; the Lark reference splits the same "
                "way in Python",
                "LEEF:0": "CEF KV_PAIR terminal via extract_all + coverage check",
            },
        }

    # -- fast path ----------------------------------------------------------------
    def fast_fields(self, lines: pl.DataFrame, state: Any) -> pl.DataFrame:
        """Head regex per version branch, tail by slicing, attributes by splitting."""
        plan = _plan()
        parts, rest = [], lines
        for version, head_re in plan["heads"]:
            if rest.height == 0:
                break
            matched = (
                rest.select("_row", "line", pl.col("line").str.extract_groups(head_re).alias("_m"))
                .unnest("_m")
                .filter(pl.col("_head").is_not_null())
            )
            rest = rest.join(matched.select("_row"), on="_row", how="anti")
            # The tail is empty or starts with `|`; `_after` is the text after that pipe.
            head = pl.col("_head").str.len_chars()
            line = pl.col("line")
            matched = matched.with_columns(
                (line.str.len_chars() > head).alias("_more"),
                line.str.slice(head, 1).alias("_pipe"),
            ).filter(~pl.col("_more") | (pl.col("_pipe") == "|"))
            if matched.height:
                matched = matched.select(
                    pl.exclude("line", "_head", "_pipe"),
                    pl.when(pl.col("_more")).then(line.str.slice(head + 1)).alias("_after"),
                )
                parts.append(_tail_fields(matched, version, plan))
        schema = pl.Schema({"_row": pl.UInt32(), **self.fields_schema})
        if not parts:
            return pl.DataFrame(schema=schema)
        return pl.concat([p.select(list(schema)).cast(schema) for p in parts], how="vertical")

    # -- reference path -------------------------------------------------------------
    def tree_fields(self, tree: Tree[Any], line: str, state: Any) -> dict[str, Any]:
        """The same fields from the Lark tree (attributes split by :func:`split_region`)."""
        fields = tree_fields(tree, ("leef_prefix", *HEADER_FIELDS, "delimiter"))
        region = tree_fields(tree, ("attributes", "bare_attributes"))
        kinds = {tok.type: str(tok) for tok in tree.scan_values(lambda v: isinstance(v, Token))}
        version = next(kinds[k] for k in ("LEEF_V2", "LEEF_V1", "LEEF_V0") if k in kinds)
        fields["leef_version"] = version
        if version == "0":
            fields["pairs"] = [p.rstrip(" ") for p in tokens_of(tree, "cef_pairs", "KV_PAIR")]
            fields["junk"] = None
            return fields
        text = (
            region["attributes"] if region["attributes"] is not None else region["bare_attributes"]
        )
        delimiter = decode_delimiter(fields["delimiter"])
        fields["pairs"], fields["junk"] = split_region(
            text if delimiter is not None else None, delimiter or TAB
        )
        return fields

    # -- shared mapping ---------------------------------------------------------------
    def to_records(self, fields: pl.DataFrame, state: Any) -> pl.DataFrame:
        """Canonical columns from parsed fields (shared by both paths)."""
        mapping = LeefMapping(self.options, _plan()["syslog"], decode_delimiter)
        if (fields.get_column("leef_version") == "0").any():
            fields = fields.with_columns(mapping.unescape_v0("pairs"))
        values = pick_pairs(
            fields, "pairs", mapping.picked, strip="", max_templates=self.max_templates
        )
        frame = pl.concat([fields.drop("pairs"), values], how="horizontal")
        return mapping.records(frame)


def _tail_fields(frame: pl.DataFrame, version: str, plan: dict[str, Any]) -> pl.DataFrame:
    """Delimiter field, junk and ``pairs`` of rows whose head matched ``version``."""
    frame = frame.with_columns(pl.lit(version).alias("leef_version"))
    after = pl.col("_after")
    if version == "0":
        frame = frame.with_columns(after.str.strip_chars_start(" ").alias("_region"))
        frame = frame.with_columns(
            pl.col("_region").str.extract_all(plan["kv_pair"]).fill_null(_EMPTY).alias("pairs")
        )
        covered = pl.col("pairs").list.eval(pl.element().str.len_bytes()).list.sum().fill_null(0)
        return frame.filter(covered == pl.col("_region").str.len_bytes().fill_null(0)).with_columns(
            pl.col("pairs").list.eval(pl.element().str.strip_chars_end(" ")),
            pl.lit(None, pl.String()).alias("delimiter"),
            pl.lit(None, pl.String()).alias("junk"),
        )
    if version == "1.0":
        frame = frame.with_columns(
            pl.lit(None, pl.String()).alias("delimiter"), after.alias("_region")
        )
    else:
        # The sixth segment is the delimiter field unless `=` comes before any `|`.
        frame = frame.with_columns(
            after.str.contains(plan["bare"]).alias("_bare"),
            after.str.extract(plan["delimiter"], 0).alias("_field"),
        )
        bare, field = pl.col("_bare"), pl.col("_field")
        skip = field.str.len_chars() + 1
        offset = pl.when(bare).then(0).otherwise(skip)
        frame = frame.with_columns(
            pl.when(~bare).then(field).alias("delimiter"),
            pl.when(bare | (after.str.len_chars() >= skip))
            .then(after.str.slice(offset))
            .alias("_region"),
        )
    frame = frame.with_columns(
        pl.when(pl.col("_region") != "").then(pl.col("_region")).alias("_region")
    )
    return _split_attributes(frame, plan)


def _split_attributes(frame: pl.DataFrame, plan: dict[str, Any]) -> pl.DataFrame:
    """``pairs``/``junk`` from ``_region``, split once per distinct decoded delimiter.

    Filters (which copy every column) are skipped in the common case of one
    delimiter and only clean pieces in the whole chunk.
    """
    codes = {f: decode_delimiter(f) for f in frame.get_column("delimiter").unique().to_list()}
    decoded = pl.col("delimiter").replace_strict(codes, default=None, return_dtype=pl.String())
    frame = frame.select(
        "_row", *HEAD_COLUMNS, "delimiter", "_region", decoded.alias("_d")
    ).with_columns((pl.col("_region").is_not_null() & pl.col("_d").is_not_null()).alias("_todo"))
    nothing = pl.lit(None, pl.String()).alias("junk")
    parts = [
        frame.filter(~pl.col("_todo")).with_columns(_EMPTY.alias("pairs"), nothing).drop("_region")
    ]
    todo = frame.filter("_todo") if parts[0].height else frame
    for d in todo.get_column("_d").unique().to_list():
        group = todo if len(codes) == 1 else todo.filter(pl.col("_d") == d)
        group = group.with_columns(pl.col("_region").str.split(d).alias("pairs")).drop("_region")
        piece = pl.element()
        clean = piece.str.contains(plan["clean"]) & ~(
            piece.str.ends_with(" ") | piece.str.ends_with("\t") | piece.str.ends_with(d)
        )
        ok = group.select(pl.col("pairs").list.eval(clean).list.all()).to_series()
        if ok.all():
            parts.append(group.with_columns(nothing))
            continue
        parts.append(group.filter(ok).with_columns(nothing))
        odd = group.filter(~ok)
        parts.append(odd.drop("pairs").join(_normalize(odd, d, plan), on="_row", how="left"))
    return pl.concat([p.drop("_d", "_todo") for p in parts], how="diagonal_relaxed")


def _normalize(frame: pl.DataFrame, d: str, plan: dict[str, Any]) -> pl.DataFrame:
    """Vectorized :func:`split_region` for rows with pieces that need more than a split."""
    long = (
        frame.select("_row", "pairs")
        .with_columns(pl.int_ranges(pl.col("pairs").list.len()).alias("_pos"))
        .explode("pairs", "_pos")
        .with_columns(pl.col("pairs").str.splitn("=", 2).alias("_kv"))
        .unnest("_kv")
    )
    attribute = plan["attribute"]
    names = long.filter(pl.col("field_1").is_not_null()).get_column("field_0").unique()
    valid = pl.col("field_1").is_not_null() & pl.col("field_0").is_in(
        [k for k in names.to_list() if attribute.fullmatch(k + "=")]
    )
    long = long.with_columns(
        valid.cast(pl.UInt32).cum_sum().over("_row").alias("_grp")
    ).with_columns(
        pl.when(valid).then(pl.col("field_0").str.strip_chars(" \t")).alias("key"),
        pl.when(valid).then(pl.col("field_1")).otherwise(pl.col("pairs")).alias("value"),
    )
    strip = " \t" + d
    glued = long.group_by("_row", "_grp", maintain_order=True).agg(
        pl.col("key").first(),
        (pl.col("value").first() + (d + pl.col("pairs")).slice(1).str.join(""))
        .str.strip_chars_end(strip)
        .alias("value"),
    )
    lead = pl.col("key").is_null()
    return glued.group_by("_row", maintain_order=True).agg(
        (pl.col("key") + "=" + pl.col("value")).drop_nulls().alias("pairs"),
        pl.col("value")
        .filter(lead & (pl.col("value").str.strip_chars(strip) != ""))
        .first()
        .alias("junk"),
    )


@hookimpl
def register_formats() -> list[type[GrammarFormat]]:
    """The built-in LEEF format."""
    return [LeefFormat]
