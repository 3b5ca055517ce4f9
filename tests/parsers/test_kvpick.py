"""The key=value pick: learned key orders, the generic route, and list concatenation."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shadowlens.parsers.kvpick import concat_lists, learn_template, pick_pairs
from shadowlens.parsers.native import native_enabled

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


@contextmanager
def native(on: bool) -> Iterator[None]:
    """The native core switched on or off (``SHADOWLENS_NATIVE``) for the block."""
    old = os.environ.get("SHADOWLENS_NATIVE")
    os.environ["SHADOWLENS_NATIVE"] = "1" if on else "0"
    try:
        yield
    finally:
        if old is None:
            del os.environ["SHADOWLENS_NATIVE"]
        else:
            os.environ["SHADOWLENS_NATIVE"] = old


@pytest.mark.parametrize("use_native", [False, True], ids=["polars", "native"])
@settings(max_examples=60, deadline=None)
@given(st.lists(TOKENS, min_size=1, max_size=30), st.integers(0, 3))
def test_every_route_gives_the_generic_result(
    use_native: bool, rows: list[list[str]], templates: int
) -> None:
    fields = frame(rows)
    want = pick_pairs(fields, "pairs", ["a", "c"], unescape=ESC, max_templates=0)
    with native(use_native):
        got = pick_pairs(fields, "pairs", ["a", "c"], unescape=ESC, max_templates=templates)
    assert got.equals(want)


#: Tokens as producers write them: any text, the separator missing or repeated,
#: quotes, escapes (complete or cut off), padding to strip, non-ASCII.
RAW_TOKENS = st.lists(
    st.lists(st.sampled_from([*'ac=:\\" \tée中', "\\=", '"x"']), max_size=8).map("".join),
    max_size=6,
)


@pytest.mark.skipif(not native_enabled(), reason="native core not built")
@settings(max_examples=300, deadline=None)
@given(
    st.lists(RAW_TOKENS, min_size=1, max_size=12),
    st.sampled_from(["=", ":", "=:"]),
    st.sampled_from(["", " ", " \t", "é"]),
    st.sampled_from([None, '"', "é"]),
    st.sampled_from([{}, ESC, {"\\\\": "\\", '\\"': '"', "\\n": "\n"}, {"é=": "E"}]),
)
def test_native_pick_equals_the_generic_route(
    rows: list[list[str]],
    separator: str,
    strip: str,
    quote: str | None,
    unescape: dict[str, str],
) -> None:
    fields = frame(rows)
    kw: dict[str, Any] = {"separator": separator, "strip": strip, "quote": quote}
    want = pick_pairs(fields, "pairs", ["a", "c", "ac"], unescape=unescape, max_templates=0, **kw)
    with native(True):
        got = pick_pairs(fields, "pairs", ["a", "c", "ac"], unescape=unescape, **kw)
    assert got.to_dicts() == want.to_dicts()


def test_native_pick_on_a_sliced_column_and_null_lists() -> None:
    tokens = pl.Series("pairs", [["a=0"], ["a=1 ", "b=2"], None, ["c=3", "a=4"]]).slice(1, 3)
    fields = tokens.to_frame()
    want = pick_pairs(fields, "pairs", ["a"], max_templates=0)
    with native(True):
        got = pick_pairs(fields, "pairs", ["a"])
    assert got.to_dicts() == want.to_dicts()
    assert got.get_column("a").to_list() == ["1", None, "4"]


@pytest.mark.parametrize("separator", ["=", ":"])
def test_separator(separator: str) -> None:
    rows = [[f"a{separator}1", f"b{separator}2"]] * 3
    out = pick_pairs(frame(rows), "pairs", ["b"], separator=separator)
    assert out.rows()[0] == ("2", ["a"], ["1"])


TEXT = st.text(alphabet="ab=é中 ", max_size=4)


@st.composite
def concat_parts(draw: st.DrawFn) -> tuple[list[Any], int]:
    """Constant-key columns with nulls and list pairs with null rows, some sliced."""
    height = draw(st.integers(0, 6))
    parts: list[Any] = []
    for index in range(draw(st.integers(1, 4))):
        if draw(st.booleans()):
            values = draw(st.lists(st.none() | TEXT, min_size=height, max_size=height))
            parts.append((f"k{index}", pl.Series(values, dtype=pl.String())))
            continue
        shift = draw(st.integers(0, 2))
        rows = draw(
            st.lists(st.none() | st.lists(TEXT, max_size=3), min_size=height, max_size=height)
        )
        keys = pl.Series([["x"]] * shift + rows, dtype=pl.List(pl.String())).slice(shift)
        vals = keys.list.eval(pl.element() + "!")
        parts.append((keys, vals))
    return parts, height


@settings(max_examples=150, deadline=None)
@given(concat_parts())
def test_native_concat_equals_the_numpy_route(case: tuple[list[Any], int]) -> None:
    parts, height = case
    with native(False):
        want = concat_lists(parts, height)
    with native(True):
        got = concat_lists(parts, height)
    assert [s.to_list() for s in got] == [s.to_list() for s in want]


def test_native_concat_of_typed_columns_cast_on_the_fly() -> None:
    # Each cast makes a temporary string buffer; a freed one's address may be reused
    # by the next, which once made the kernel read another column's bytes.
    height = 50
    parts: list[Any] = [
        (f"n{i}", pl.Series([10**15 * (i + 1) + row for row in range(height)], dtype=pl.Int64()))
        for i in range(40)
    ]
    with native(False):
        want = concat_lists(parts, height)
    with native(True):
        got = concat_lists(parts, height)
    assert [s.to_list() for s in got] == [s.to_list() for s in want]
    assert got[1].to_list()[3][:2] == [str(10**15 + 3), str(2 * 10**15 + 3)]
