"""CEF (ArcSight Common Event Format), plain or behind a syslog (or any) prefix.

The grammar is ``grammars/cef.lark``. The fast plan compiled from it:

* head: the line is cut at its first ``CEF:`` (the ``cef_prefix`` token cannot
  contain it, so a header can start nowhere else); the text before must match
  the ``CEF_PREFIX`` terminal, the text after the ``header`` rule lowered into one
  anchored regex with a named group per field (``str.extract_groups``);
* extension: :func:`shadowlens.parsers.kvsplit.split_extension` cuts rows with
  the dominant key order at their ``=`` signs (numpy over the chunk's bytes,
  taken only where the cut provably equals the grammar's); the other rows get
  the ``KV_PAIR`` terminal's regex with ``str.extract_all``, accepted only when
  the pairs cover the whole extension, so the fast path never guesses where
  Lark would fail;
* prefix: the single token before ``CEF:`` is split by ``common.syslog`` lowered
  into a regex, the same on both paths (in the mapping);
* values: :func:`shadowlens.parsers.kvpick.pick_pairs` takes keys by position in
  the producer's learned key order, the generic pick only for other rows.

The mapping to canonical columns is :mod:`shadowlens.parsers.cef_map`. Byte
direction: CEF ``in`` (bytesIn) is data from source to destination, so it is
``bytes_up``; ``out`` is ``bytes_down``. Decisions on peer disagreements are in
``docs/format-decisions.md`` ("CEF", "syslog").

Examples
--------
>>> import polars as pl
>>> lines = pl.DataFrame({"line": ["CEF:0|V|P|1|c|n|5|rt=1700000000000 in=10 out=20 cs1=a b"]})
>>> lines = lines.with_columns(source_line=pl.lit(1, pl.UInt64), source_offset=pl.lit(0, pl.UInt64))
>>> rec = CefFormat().parse(lines, None).records
>>> rec.select("bytes_up", "bytes_down", "severity", "extras_keys", "extras_values").row(0)
(10, 20, 5, ['cs1', 'cef_version'], ['a b', '0'])
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any, ClassVar

import polars as pl
from lark import Lark, Tree

from shadowlens.errors import GrammarError
from shadowlens.parsers.base import GrammarFormat, share_matching
from shadowlens.parsers.cef_map import HEADER_FIELDS, SYSLOG_FIELDS, map_cef
from shadowlens.parsers.fields import tokens_of, tree_fields
from shadowlens.parsers.grammar import load_lark, rule_regex, terminal_regex
from shadowlens.parsers.kvsplit import split_extension
from shadowlens.plugins.hookspecs import hookimpl

_DETECT = re.compile(r"(?:^|[\s>:])CEF: ?[0-9]+\|")
_MARKER = "CEF:"


class CefFormat(GrammarFormat):
    """ArcSight CEF 0.x/1.x lines, with or without a syslog prefix."""

    name: ClassVar[str] = "cef"
    description: ClassVar[str] = (
        "ArcSight Common Event Format (CEF:0 / CEF:1), optionally syslog-wrapped"
    )
    grammar_file: ClassVar[str] = "cef.lark"
    fields_schema: ClassVar[dict[str, pl.DataType]] = {
        "cef_prefix": pl.String(),
        **dict.fromkeys(HEADER_FIELDS, pl.String()),
        "pairs": pl.List(pl.String()),
    }
    #: Learned key orders tried before the generic pick (tests set 0: generic only).
    max_templates: ClassVar[int] = 4

    @classmethod
    def detect(cls, sample: Sequence[str]) -> float:
        """Share of sample lines with a ``CEF:<n>|`` marker."""
        return share_matching(sample, _DETECT)

    @classmethod
    @functools.cache
    def plan(cls) -> tuple[str, str, str]:
        """(head regex, pair regex, syslog regex), compiled from the grammar once.

        Examples
        --------
        >>> head, pair, syslog = CefFormat.plan()
        >>> import re
        >>> re.match(syslog, "<13>Jan  5 10:00:00 fw1 ").group("syslog_host")
        'fw1'
        """
        lark = cls.lark()
        prefix = rule_regex(lark, "cef_prefix", capture={"cef_prefix"})
        head = f"^(?P<_head>(?:{prefix})?{rule_regex(lark, 'header', capture=HEADER_FIELDS)})"
        syslog = rule_regex(cls.syslog_lark(), "syslog", capture=SYSLOG_FIELDS)
        return head, terminal_regex(lark, "KV_PAIR"), f"^(?P<_sys>{syslog})"

    @classmethod
    def syslog_lark(cls) -> Lark:
        """The grammar with ``syslog`` as start rule (keeps its terminals for lowering)."""
        return load_lark(cls.grammar_package, cls.grammar_file, "syslog")

    @classmethod
    @functools.cache
    def fast_plan(cls) -> tuple[str, str]:
        """(whole-prefix regex, header regex after the ``CEF:`` marker) for :meth:`fast_fields`.

        The head regex of :meth:`plan` scans the prefix with the ``CEF_PREFIX``
        automaton; it is cheaper to cut the line at its first ``CEF:`` (the only
        place a header can start: the prefix token cannot contain ``CEF:``), check
        the short prefix against the same terminal, and run the header rule
        anchored on the rest.

        Examples
        --------
        >>> prefix, header = CefFormat.fast_plan()
        >>> import re
        >>> bool(re.match(prefix, "<13>Jan  5 host ")), bool(re.match(prefix, "x"))
        (True, False)
        """
        lark = cls.lark()
        header = rule_regex(lark, "header", capture=HEADER_FIELDS)
        if not header.startswith(_MARKER):
            msg = f"cef.lark: the header rule no longer starts with {_MARKER!r}"
            raise GrammarError(msg)
        prefix = f"^(?:{terminal_regex(lark, 'CEF_PREFIX')})$"
        return prefix, f"^(?P<_head>{header[len(_MARKER) :]})"

    def fast_fields(self, lines: pl.DataFrame, state: Any) -> pl.DataFrame:
        """Head: cut at the first ``CEF:``, header regex; extension: see :func:`split_extension`."""
        prefix_re, header_re = self.fast_plan()
        parts = lines.select("_row", pl.col("line").str.splitn(_MARKER, 2).alias("_p")).unnest("_p")
        parsed = parts.with_columns(
            pl.col("field_1").str.extract_groups(header_re).alias("_m")
        ).unnest("_m")
        before = pl.col("field_0")
        parsed = parsed.filter(
            pl.col("_head").is_not_null() & ((before == "") | before.str.contains(prefix_re))
        ).with_columns(
            pl.when(before != "").then(before).alias("cef_prefix"),
            pl.col("_head").str.len_bytes().alias("_head_len"),
        )
        return split_extension(parsed, self.plan()[1]).select(
            "_row", "cef_prefix", *HEADER_FIELDS, "pairs"
        )

    def tree_fields(self, tree: Tree[Any], line: str, state: Any) -> dict[str, Any]:
        """The same fields from the Lark tree."""
        fields = tree_fields(tree, ("cef_prefix", *HEADER_FIELDS))
        fields["pairs"] = tokens_of(tree, "extension", "KV_PAIR")
        return fields

    def to_records(self, fields: pl.DataFrame, state: Any) -> pl.DataFrame:
        """Canonical columns from parsed fields (shared by both paths)."""
        return map_cef(
            fields,
            syslog_regex=self.plan()[2],
            tz=self.options.tz,
            year=self.options.year,
            max_templates=self.max_templates,
        )


@hookimpl
def register_formats() -> list[type[GrammarFormat]]:
    """The built-in CEF format."""
    return [CefFormat]
