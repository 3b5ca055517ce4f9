"""The key=value pick: learned key orders, the generic route, and list concatenation."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shadowlens.parsers.kvpick import concat_lists, learn_template, pick_pairs

ESC = {"\\\\": "\\", "\\=": "="}


def frame(rows: list[list[str]]) -> pl.DataFrame:
    return pl.DataFrame({"pairs": rows}, schema={"pairs": pl.List(pl.String())})


def test_positional_and_generic_agree_on_a_mixed_chunk() -> None:
    rows = [["a=1 ", "b=x\\=y  ", "c=3"]] * 5 + [["c=4 ", "a=5"], [], ["a=6 ", "a=7 ", "d=8"]]
    fields = frame(rows)
    fast = pick_pairs(fields, "pairs", ["a", "c"], unescape=ESC)
    generic = pick_pairs(fields, "pairs", ["a", "c"], unescape=ESC, max_templates=0)
    assert fast.equals(generic)
    assert fast.rows()[4:] == [
        ("1", "3", ["b"], ["x=y"]),
        ("5", "4", [], []),
        (None, None, [], []),
        ("7", None, ["a", "d"], ["6", "8"]),
    ]


def test_template_needs_a_dominant_order_and_distinct_keys() -> None:
    assert learn_template(pl.Series([["a=1"], ["b=1"], ["c=1"], ["d=1"]]), min_share=0.3) is None
    assert learn_template(pl.Series([["a=1", "a=2"]] * 3)) is None
    assert learn_template(pl.Series([[], [], ["a=1"]])) == []


def test_all_rows_without_pairs() -> None:
    out = pick_pairs(frame([[], []]), "pairs", ["a"])
    assert out.rows() == [(None, [], []), (None, [], [])]


def test_empty_frame_keeps_the_schema() -> None:
    out = pick_pairs(frame([]), "pairs", ["a"])
    assert out.schema == pl.Schema(
        {
            "a": pl.String(),
            "extras_keys": pl.List(pl.String()),
            "extras_values": pl.List(pl.String()),
        }
    )


def test_concat_lists_orders_parts_and_skips_nulls() -> None:
    keys = pl.Series([["k1", "k2"], [], None])
    values = pl.Series([["v1", "v2"], [], None])
    got_k, got_v = concat_lists(
        [
            ("x", pl.Series(["x0", None, "x2"])),
            (keys, values),
            ("y", pl.Series([None, "y1", "y2"])),
        ],
        3,
    )
    assert got_k.to_list() == [["x", "k1", "k2"], ["y"], ["x", "y"]]
    assert got_v.to_list() == [["x0", "v1", "v2"], ["y1"], ["x2", "y2"]]
    empty_k, empty_v = concat_lists([], 2)
    assert empty_k.to_list() == empty_v.to_list() == [[], []]


def test_concat_lists_on_sliced_lists() -> None:
    keys = pl.Series([["a"], ["b", "c"], ["d"]]).slice(1, 2)
    got_k, got_v = concat_lists([(keys, keys), ("z", pl.Series(["1", "2"]))], 2)
    assert got_k.to_list() == [["b", "c", "z"], ["d", "z"]]
    assert got_v.to_list() == [["b", "c", "1"], ["d", "2"]]


TOKENS = st.lists(
    st.tuples(st.sampled_from(["a", "b", "c", "d"]), st.text(max_size=4)), max_size=5
).map(lambda pairs: [f"{k}={v}" for k, v in pairs])


@settings(max_examples=60, deadline=None)
@given(st.lists(TOKENS, min_size=1, max_size=30), st.integers(0, 3))
def test_every_route_gives_the_generic_result(rows: list[list[str]], templates: int) -> None:
    fields = frame(rows)
    got = pick_pairs(fields, "pairs", ["a", "c"], unescape=ESC, max_templates=templates)
    want = pick_pairs(fields, "pairs", ["a", "c"], unescape=ESC, max_templates=0)
    assert got.equals(want)


@pytest.mark.parametrize("separator", ["=", ":"])
def test_separator(separator: str) -> None:
    rows = [[f"a{separator}1", f"b{separator}2"]] * 3
    out = pick_pairs(frame(rows), "pairs", ["b"], separator=separator)
    assert out.rows()[0] == ("2", ["a"], ["1"])
