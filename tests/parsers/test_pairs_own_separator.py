"""Pairs blocks with different separators in one spec (parsers/mapping.py, _normalized_pairs).

Each block's pairs are picked by key whatever separator the block declares: a
`key:value` block beside a `key=value` block gives the same columns.
"""

from __future__ import annotations

from pathlib import Path

from shadowlens.testing import assert_fast_matches_reference, format_class, parse_lines

LARK = r"""
start: "A " eq_pairs | "B " colon_pairs
eq_pairs: EQ_PAIR+
colon_pairs: COLON_PAIR+
EQ_PAIR: /[a-z]+="[^"]*"(?: +|$)/
COLON_PAIR: /[a-z]+:"[^"]*";?(?: +|$)/
"""

TOML = """
[format]
name = "two-separators"
description = "two pair layouts"
grammar = "two.lark"

[[record.pairs]]
rule = "eq_pairs"
token = "EQ_PAIR"
separator = "="
quote = '"'

[[record.pairs]]
rule = "colon_pairs"
token = "COLON_PAIR"
separator = ":"
strip = " ;"
quote = '"'

[fields]
src_ip = { from = "src" }
user_name = { from = "user" }
"""


def test_each_block_is_read_with_its_own_separator(tmp_path: Path) -> None:
    (tmp_path / "two.lark").write_text(LARK, encoding="utf-8")
    (tmp_path / "two.toml").write_text(TOML, encoding="utf-8")
    fmt = format_class(tmp_path / "two.toml")
    lines = [
        'A src="10.0.0.1" user="a:b" note="x=y"',
        'B src:"10.0.0.2"; user:"c=d"; note:"p:q";',
    ]
    result = parse_lines(fmt, lines)
    rows = result.records.select("src_ip", "user_name", "extras_keys", "extras_values").rows()
    assert rows == [
        ("10.0.0.1", "a:b", ["note"], ["x=y"]),
        ("10.0.0.2", "c=d", ["note"], ["p:q"]),
    ]
    assert assert_fast_matches_reference(fmt, lines).agreed == 2
