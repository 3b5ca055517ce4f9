"""Parsed fields of a chunk, by the compiled plan (fast) or by Lark (reference).

Both paths return the same *parsed fields* per accepted line: the text of every
field rule (escapes intact), the raw tokens of a key=value list (``pairs``) or
the decoded values of delimited columns (``values``). Differential tests compare
the two field by field; nothing format-specific happens here.

Fast path, over whole columns:

* head: the start rule's regex with a named group per field
  (``str.extract_groups``). With a ``marker`` the line is first cut at the
  marker's first occurrence and the prefix checked against its own terminal,
  which is cheaper than scanning the prefix with the full regex;
* pairs: :func:`~shadowlens.parsers.kvsplit.split_extension` on the tail;
* values: split on the separator where no quote or separator run can occur;
  cut at the quotes (:func:`split_at_quotes`) where quoted values sit between
  single separators; else the value terminal's regex, accepted only when the
  values tile the tail.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
from lark import Token, Tree

from shadowlens.parsers.delimited import decode, split_fast, split_one
from shadowlens.parsers.kvsplit import split_extension
from shadowlens.spec.compiler import field_name
from shadowlens.spec.plan import ColumnsPlan, Plan

_STRINGS = pl.List(pl.String())
_EMPTY_LIST = pl.lit([], _STRINGS)
#: The head regex of a format whose whole line is one region (delimited values).
EMPTY_HEAD = "^(?P<_head>)"


def fields_schema(plan: Plan) -> dict[str, pl.DataType]:
    """The parsed-field columns both paths return (besides ``_row``).

    ``pairs`` holds the raw pair tokens (or, for delimited pairs, the normalized
    ``key=value`` pieces) and ``_block`` the index of the pairs block that read
    them; ``junk`` the text a delimited block found before its first pair.
    """
    schema: dict[str, pl.DataType] = dict.fromkeys(plan.fields, pl.String())
    if plan.pairs:
        schema["pairs"] = _STRINGS
        schema["_block"] = pl.UInt8()
        if any(b.token is None for b in plan.pairs):
            schema["junk"] = pl.String()
    if plan.columns is not None:
        schema["values"] = _STRINGS
    return schema


# -- fast path ---------------------------------------------------------------------------


def fast_fields(plan: Plan, lines: pl.DataFrame) -> pl.DataFrame:
    """Parsed fields (``_row`` + :func:`fields_schema`) of the lines the plan accepts.

    ``lines`` has ``_row`` (UInt32) and ``line``; rows absent from the result go to
    the Lark reference. Variants are tried in order on the rows still unparsed.
    """
    schema = pl.Schema({"_row": pl.UInt32(), **fields_schema(plan)})
    if lines.height == 0:
        return pl.DataFrame(schema=schema)
    lines = trimmed(lines, plan.trim)
    head = plan.head
    rest = (
        _cut_at_marker(plan, lines) if head.marker is not None else lines.rename({"line": "_text"})
    )
    parts = []
    for variant in head.variants:
        if rest.height == 0:
            break
        if variant.regex == EMPTY_HEAD:  # the whole line is the region: nothing to match
            matched = rest.with_columns(pl.lit("").alias("_head"))
        else:
            matched = (
                rest.with_columns(pl.col("_text").str.extract_groups(variant.regex).alias("_m"))
                .unnest("_m")
                .filter(pl.col("_head").is_not_null())
            )
        if matched.height == 0:
            continue
        matched = matched.with_columns(
            *(
                (pl.coalesce(groups) if len(groups) > 1 else pl.col(groups[0])).alias(field)
                for field, groups in variant.groups.items()
                if groups[0] != field or len(groups) > 1
            ),
            *(pl.lit(None, pl.String()).alias(f) for f in plan.fields if f not in variant.groups
              and f not in matched.columns),
        )  # fmt: skip
        accepted = _tail(plan, variant.tail, variant.block, matched)
        if accepted.height == 0:
            continue
        missing = [name for name in schema if name not in accepted.columns]
        if missing:
            accepted = accepted.with_columns(pl.lit(None).alias(name) for name in missing)
        parts.append(accepted.select(list(schema)).cast(schema))
        rest = rest.join(accepted.select("_row"), on="_row", how="anti")
    if not parts:
        return pl.DataFrame(schema=schema)
    return pl.concat(parts, how="vertical")


def trimmed(lines: pl.DataFrame, trim: str | None) -> pl.DataFrame:
    """``lines`` with the ``trim`` characters cut off both ends of each ``line``.

    The lines are copied only when one of them starts or ends with such a
    character (IIS pads with NULs rarely; copying every chunk cost more).

    Examples
    --------
    >>> import polars as pl
    >>> trimmed(pl.DataFrame({"line": ["*a*", "b"]}), "*")["line"].to_list()
    ['a', 'b']
    """
    if not trim:
        return lines
    line = pl.col("line")
    ends = pl.any_horizontal(line.str.starts_with(c) | line.str.ends_with(c) for c in set(trim))
    if not lines.select(ends.any()).item():
        return lines
    return lines.with_columns(line.str.strip_chars(trim))


def _tail(plan: Plan, tail: str | None, block: int | None, frame: pl.DataFrame) -> pl.DataFrame:
    """The rows whose tail the region's block reads, with ``pairs``/``values``."""
    head_len = pl.col("_head").str.len_bytes()
    frame = frame.with_columns(head_len.alias("_head_len"))
    if tail is None:
        if plan.pairs:
            frame = frame.with_columns(
                _EMPTY_LIST.alias("pairs"), pl.lit(None, pl.UInt8()).alias("_block")
            )
        return frame
    if plan.columns is not None and tail == plan.columns.rule:
        return _split_values(frame, plan.columns)
    assert block is not None
    pairs = plan.pairs[block]
    if pairs.token_regex is not None:
        frame = split_extension(
            frame,
            pairs.token_regex,
            text="_text",
            head="_head",
            head_len="_head_len",
            check_tokens=pairs.token != "KV_PAIR",
        )
        if not pairs.may_be_empty:  # the grammar wants a pair at least (`PAIR+`)
            frame = frame.filter(pl.col("pairs").list.len() > 0)
    else:
        region = pl.col("_text").str.slice(pl.col("_head").str.len_chars())
        frame = frame.with_columns(region.alias("_tail")).filter(
            pl.col("_tail").str.contains(pairs.region_regex)
        )
        frame = split_fast(frame, pairs)
    return frame.with_columns(pl.lit(block, pl.UInt8()).alias("_block"))


def _cut_at_marker(plan: Plan, lines: pl.DataFrame) -> pl.DataFrame:
    """Lines cut at their first marker: ``_text`` after it and the prefix field before it.

    Only lines whose text before the marker is empty or a whole prefix token remain.
    """
    head = plan.head
    assert head.marker is not None
    assert head.prefix_regex is not None
    parts = lines.select("_row", pl.col("line").str.splitn(head.marker, 2).alias("_p")).unnest("_p")
    before = pl.col("field_0")
    return parts.filter(
        pl.col("field_1").is_not_null() & ((before == "") | before.str.contains(head.prefix_regex))
    ).select(
        "_row",
        pl.when(before != "").then(before).alias(head.prefix_field or "_prefix"),
        (pl.lit(head.marker) + pl.col("field_1") if head.keep_marker else pl.col("field_1")).alias(
            "_text"
        ),
    )


def _split_values(frame: pl.DataFrame, columns: ColumnsPlan) -> pl.DataFrame:
    """``values`` of the tail: plain split where safe, a cut at the quotes where the quoted
    values sit between single spaces, else the value terminal's regex."""
    empty_head = bool((frame.get_column("_head") == "").all())
    tail = (
        pl.col("_text")
        if empty_head
        else pl.col("_text").str.slice(pl.col("_head").str.len_chars())
    )
    # Only the small columns travel on: filters copy every column, and the line is big.
    keep = [c for c in frame.columns if c not in ("_text", "_head", "_head_len")]
    if columns.delimiter is not None:
        return _split_delimited(frame.select(*keep, tail.alias("_b")), columns)
    b = pl.col("_b")
    quote = columns.quote or "\x00"
    # Each text is scanned once per test; the filters below read the flags.
    frame = frame.select(*keep, tail.str.strip_chars(" \t").alias("_b")).with_columns(
        b.str.contains(quote, literal=True).alias("_q"),
        (b.str.contains("\t", literal=True) | b.str.contains("  ", literal=True)).alias("_o"),
        b.str.contains(quote * 2, literal=True).alias("_qq"),
    )
    q, blanks, doubled = pl.col("_q"), pl.col("_o"), pl.col("_qq")
    plain = ~q & ~blanks & (b.str.len_bytes() > 0)
    # Quoted values between single spaces: cut at the quotes, not by the token regex.
    simple = q & ~blanks & ~doubled & (columns.quote is not None)
    frame = frame.with_columns(plain.alias("_plain"), simple.alias("_simple")).drop(
        "_q", "_o", "_qq"
    )
    split = frame.filter("_plain").with_columns(b.str.split(" ").alias("values"))
    quoted = frame.filter("_simple")
    values, ok = split_at_quotes(quoted.get_column("_b"), " ", quote)
    cut = quoted.with_columns(values.alias("values")).filter(ok)
    rest = pl.concat([frame.filter(~pl.col("_plain") & ~pl.col("_simple")), quoted.filter(~ok)])
    tokens = rest.with_columns(
        b.str.extract_all(columns.token_regex).alias("values"), b.str.len_bytes().alias("_len")
    )
    covered = pl.col("values").list.eval(pl.element().str.len_bytes()).list.sum()
    tokens = tokens.filter((pl.col("_len") > 0) & (covered == pl.col("_len"))).drop("_len")
    decoded = tokens.with_columns(decode_values(tokens["values"], columns.quote).alias("values"))
    done = ("_b", "_plain", "_simple")
    return pl.concat([split.drop(done), cut.drop(done), decoded.drop(done)], how="vertical")


def _split_delimited(frame: pl.DataFrame, columns: ColumnsPlan) -> pl.DataFrame:
    """``values`` of delimited regions (CSV): empty values kept, a quoted value unquoted.

    A region is accepted only when the region regex (values and delimiters, as the
    grammar says) matches it whole (not tested on regions without a quote when a
    bare value is any text without delimiter and quote: they always match). Without
    a quote in it, it is split at the delimiter; with quotes only next to delimiters,
    it is cut at the quotes; else each value and its delimiter is one regex match on
    the region plus a final delimiter, and the matches must tile it.
    """
    assert columns.delimiter is not None
    assert columns.region_regex is not None
    assert columns.cell_regex is not None
    d, quote, region = columns.delimiter, columns.quote, columns.region_regex
    b = pl.col("_b")
    if quote is None:
        frame = frame.filter(b.str.contains(region))
        return frame.with_columns(b.str.split(d).alias("values")).drop("_b")
    frame = frame.with_columns(
        b.str.contains(quote, literal=True).alias("_q"),
        b.str.contains(quote * 2, literal=True).alias("_qq"),
    )
    plain = frame.filter(~pl.col("_q"))
    if columns.token_regex != f"(?:{quote}(?:[^{quote}]|{quote}{quote})*{quote}|[^{d}{quote}]+)":
        plain = plain.filter(b.str.contains(region))  # else any text without a quote is one
    split = plain.with_columns(b.str.split(d).alias("values"))
    quoted = frame.filter(pl.col("_q")).filter(b.str.contains(region))
    # Quoted values next to delimiters: cut at the quotes; the regex for the rest.
    simple = quoted.filter(~pl.col("_qq"))
    values, ok = split_at_quotes(simple.get_column("_b"), d, quote)
    cut = simple.with_columns(values.alias("values")).filter(ok)
    rest = pl.concat([quoted.filter("_qq"), simple.filter(~ok)])
    cells = rest.with_columns(
        (b + d).str.extract_all(columns.cell_regex).alias("values"),
        (b.str.len_bytes() + len(d.encode())).alias("_len"),
    )
    covered = pl.col("values").list.eval(pl.element().str.len_bytes()).list.sum()
    cells = cells.filter(covered == pl.col("_len")).drop("_len")
    cells = cells.with_columns(decode_cells(cells["values"], d, quote).alias("values"))
    done = ("_b", "_q", "_qq")
    return pl.concat([split.drop(done), cut.drop(done), cells.drop(done)], how="vertical")


def split_at_quotes(texts: pl.Series, d: str, quote: str) -> tuple[pl.Series, pl.Series]:
    """Values of texts whose quoted values sit between delimiters ``d``: (values, ok).

    Cutting at the quotes is cheaper than a token regex: the pieces at odd
    positions are the quoted values (unquoted), the others are split at ``d``
    after losing the delimiter next to each quote. ``ok`` is False where a quote
    is not next to a delimiter or the line's end, or the quotes are unpaired;
    the caller sends those rows, and any text with a doubled quote, to the regex.

    Examples
    --------
    >>> import polars as pl
    >>> values, ok = split_at_quotes(pl.Series(['a,"b,c",,"d"', '"e",f', 'g"h",i']), ",", '"')
    >>> values.to_list()[:2], ok.to_list()
    ([['a', 'b,c', '', 'd'], ['e', 'f']], [True, True, False])
    """
    pieces = texts.str.split(quote)
    lengths = pieces.list.len().to_numpy().astype(np.int64)
    starts = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=starts[1:])
    pos = np.arange(starts[-1], dtype=np.int64) - np.repeat(starts[:-1], lengths)
    flat = pieces.explode(empty_as_null=False)
    inside = np.flatnonzero(pos % 2 == 1)  # a quoted value each
    outside = np.flatnonzero(pos % 2 == 0)  # delimited values, or none
    p, n = pl.col("p"), pl.col("p").str.len_chars()
    first, final = pl.col("first"), pl.col("final")
    width = len(d)
    lead, trail = (~first).cast(pl.Int64) * width, (~final).cast(pl.Int64) * width
    facts = pl.DataFrame(
        {
            "p": flat.gather(outside),
            "first": pos[outside] == 0,
            "final": pos[outside] == np.repeat(lengths - 1, lengths)[outside],
        }
    ).select(
        # a delimiter next to each quote, or the text's start or end
        (
            (first | p.str.starts_with(d) | (final & (p == "")))
            & (final | p.str.ends_with(d) | (first & (p == "")))
        ).alias("ok"),
        (((p == "") & ~(first & final)) | (~first & ~final & (p == d))).alias("none"),
        p.str.slice(lead, (n - lead - trail).clip(0)).alias("inner"),
    )
    keep = ~facts.get_column("none").to_numpy()
    split = facts.get_column("inner").filter(keep).str.split(d)
    split_counts = split.list.len().to_numpy().astype(np.int64)
    counts = np.zeros(len(pos), dtype=np.int64)
    counts[inside] = 1
    counts[outside[keep]] = split_counts
    # Each piece's values, in piece order: one gather from [split values..., quoted...].
    at = np.zeros(len(pos) + 1, dtype=np.int64)
    np.cumsum(counts, out=at[1:])
    source = np.empty(at[-1], dtype=np.int64)
    n_split = int(split_counts.sum())
    split_at = np.repeat(at[:-1][outside[keep]], split_counts)
    split_at += np.arange(n_split) - np.repeat(np.cumsum(split_counts) - split_counts, split_counts)
    source[split_at] = np.arange(n_split)
    source[at[:-1][inside]] = n_split + np.arange(len(inside))
    both = pl.concat([split.explode(empty_as_null=False), flat.gather(inside)])
    per_row = at[starts[1:]] - at[starts[:-1]]
    values = _relist_counts(texts.name, per_row, both.gather(source))
    ok = np.ones(len(pos), dtype=np.int8)
    ok[outside] = facts.get_column("ok").to_numpy()
    row_ok = np.minimum.reduceat(ok, starts[:-1]) if len(ok) else np.zeros(0, np.int8)
    return values, pl.Series(texts.name, (row_ok == 1) & (lengths % 2 == 1))


def decode_cell(text: str, quote: str | None) -> str:
    """A delimited value unquoted (a doubled quote inside -> one); spaces are kept.

    Examples
    --------
    >>> decode_cell("'a, ''b'' c'", "'"), decode_cell(" x ", "'")
    ("a, 'b' c", ' x ')
    """
    if quote and len(text) >= 2 * len(quote) and text.startswith(quote) and text.endswith(quote):
        return text[len(quote) : -len(quote)].replace(quote * 2, quote)
    return text


def decode_cells(values: pl.Series, delimiter: str, quote: str) -> pl.Series:
    """Cells (each a value and its delimiter) as :func:`decode_cell` values, in one pass."""
    flat = values.explode(empty_as_null=False)
    flat = flat.str.slice(0, flat.str.len_chars() - len(delimiter))
    quoted = (
        flat.str.starts_with(quote)
        & flat.str.ends_with(quote)
        & (flat.str.len_chars() >= 2 * len(quote))
    ).fill_null(False)
    if quoted.any():
        where = quoted.arg_true()
        inner = flat.gather(where)
        inner = inner.str.slice(len(quote), inner.str.len_chars() - 2 * len(quote))
        flat = flat.scatter(where, inner.str.replace_all(quote * 2, quote, literal=True))
    return _relist(values, flat)


def _relist(values: pl.Series, flat: pl.Series) -> pl.Series:
    """``flat`` cut back into the lists of ``values`` (same lengths)."""
    return _relist_counts(values.name, values.list.len().to_numpy().astype(np.int64), flat)


def _relist_counts(name: str, lengths: np.ndarray[Any, Any], flat: pl.Series) -> pl.Series:
    """``flat`` cut into lists of ``lengths`` items."""
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    flat_values = flat.to_arrow()
    if isinstance(flat_values, pa.ChunkedArray):
        flat_values = flat_values.combine_chunks()
    array = pa.LargeListArray.from_arrays(pa.array(offsets), flat_values)
    return pl.Series(name, array)


def decode_value(token: str, quote: str | None) -> str:
    """A value token without its separator, unquoted (a doubled quote inside -> one).

    Examples
    --------
    >>> decode_value('"say ""hi"" now"  ', '"')
    'say "hi" now'
    >>> decode_value('a"b  ', '"')
    'a"b'
    """
    text = token.rstrip(" \t")
    if quote and text.startswith(quote):
        return text[1:-1].replace(quote * 2, quote)
    return text


def decode_values(values: pl.Series, quote: str | None) -> pl.Series:
    """:func:`decode_value` over a list column, on the flat values in one pass."""
    flat = values.explode(empty_as_null=False).str.strip_chars_end(" \t")
    if quote:
        quoted = flat.str.starts_with(quote)
        inner = flat.filter(quoted).str.strip_prefix(quote).str.strip_suffix(quote)
        flat = flat.scatter(
            quoted.arg_true(), inner.str.replace_all(quote * 2, quote, literal=True)
        )
    return _relist(values, flat)


# -- reference path ---------------------------------------------------------------------


def tree_fields(plan: Plan, tree: Tree[Any]) -> dict[str, Any]:
    """The same parsed fields from a Lark tree (built with ``keep_all_tokens``)."""
    wanted = set(plan.fields)
    found: dict[str, Any] = dict.fromkeys(plan.fields)
    blocks = {b.rule: i for i, b in enumerate(plan.pairs)}
    if plan.columns is not None:
        blocks[plan.columns.rule] = -1
    region: tuple[int, Tree[Any]] | None = None
    for sub in tree.iter_subtrees_topdown():  # type: ignore[no-untyped-call]
        name = str(sub.data)
        field = field_name(name)
        if field in wanted and found[field] is None:
            found[field] = _text(sub)
        if region is None and name in blocks:
            region = (blocks[name], sub)
    if plan.pairs:
        found["pairs"], found["_block"] = [], None
        if any(b.token is None for b in plan.pairs):
            found["junk"] = None
    if region is not None and region[0] >= 0:
        index, sub = region
        block = plan.pairs[index]
        found["_block"] = index
        if block.token is not None:
            found["pairs"] = [str(t) for t in _tokens(sub) if t.type == block.token]
        else:
            declared = found.get(block.delimiter_field) if block.delimiter_field else None
            delimiter = decode(declared, block)
            if delimiter is not None:
                pair = re.compile(block.pair_regex or "")
                found["pairs"], found["junk"] = split_one(
                    _text(sub), delimiter, pair, block.separator
                )
    if plan.columns is not None:
        tokens = _tokens(region[1]) if region is not None else []
        columns = plan.columns
        if columns.delimiter is not None:
            found["values"] = _cells(tokens, columns) if region is not None else []
        else:
            found["values"] = [
                decode_value(str(t), columns.quote) for t in tokens if t.type == columns.token
            ]
    return found


def _cells(tokens: list[Token], columns: ColumnsPlan) -> list[str]:
    """The values of a delimited region from its tokens: a delimiter ends a value."""
    values, current = [], ""
    for tok in tokens:
        if tok.type == columns.token:
            current = decode_cell(str(tok), columns.quote)
        elif str(tok) == columns.delimiter:
            values.append(current)
            current = ""
    values.append(current)
    return values


def _tokens(sub: Tree[Any]) -> list[Token]:
    return list(sub.scan_values(lambda v: isinstance(v, Token)))


def _text(sub: Tree[Any]) -> str:
    return "".join(str(tok) for tok in _tokens(sub))
