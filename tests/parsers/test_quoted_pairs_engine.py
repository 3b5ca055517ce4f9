"""Two engine fixes the vendor key=value formats (FortiGate, Sophos, SonicWall) need.

* ``join`` with ``sep = ""`` joins without a separator (it used to fall back to one space);
* the byte-level template split of key=value lists (``kvsplit``) never cuts inside a
  quoted value that holds `` key=`` text, when the grammar's pair terminal keeps such a
  value whole.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from shadowlens.parsers.kvsplit import reference_split, split_extension
from shadowlens.spec.model import load_spec
from shadowlens.testing import format_class, parse_lines

QUOTED_PAIR = r'[a-z]+=(?:"(?:[^"\\]|\\.)*"|[^ "]*)(?: +|$)'


def test_quoted_value_hiding_a_template_key_is_split_by_the_grammar() -> None:
    rows = ['a=1 msg="x" user="bob"'] * 40 + ['a=2 msg="x user=eve"']
    frame = pl.DataFrame({"_row": range(len(rows)), "field_1": rows, "_head": [""] * len(rows)})
    frame = frame.with_columns(_head_len=pl.lit(0))
    got = split_extension(frame, QUOTED_PAIR).sort("_row").get_column("pairs").to_list()
    want = reference_split(frame, QUOTED_PAIR).sort("_row").get_column("pairs").to_list()
    assert got == want
    assert got[-1] == ["a=2 ", 'msg="x user=eve"']


def test_rows_without_quotes_still_take_the_byte_split() -> None:
    rows = ["a=1 b=2 c=3"] * 40
    frame = pl.DataFrame({"_row": range(40), "field_1": rows, "_head": [""] * 40})
    frame = frame.with_columns(_head_len=pl.lit(0))
    got = split_extension(frame, QUOTED_PAIR).get_column("pairs").to_list()
    assert got == [["a=1 ", "b=2 ", "c=3"]] * 40


def test_join_with_an_empty_separator(tmp_path: Path) -> None:
    (tmp_path / "j.lark").write_text(
        'start: host "|" path\nhost: /[^|]+/\npath: /[^|]+/\n', encoding="utf-8"
    )
    (tmp_path / "j.toml").write_text(
        '[format]\nname = "join-test"\ndescription = "d"\ngrammar = "j.lark"\n'
        '[fields]\nurl = { join = ["host", "path"], sep = "" }\n'
        'user_name = { join = ["host", "path"] }\n',
        encoding="utf-8",
    )
    spec = load_spec(tmp_path / "j.toml")
    assert [a.sep for c in spec.fields for a in c.alternatives] == ["", " "]
    row = parse_lines(format_class(tmp_path / "j.toml"), ["example.com|/a"]).records.row(
        0, named=True
    )
    assert (row["url"], row["user_name"]) == ("example.com/a", "example.com /a")
