"""Delimited values cut at their quotes (``extract.split_at_quotes``) equal the regex route.

The regex route (one token or cell regex match per value, the matches tiling the
text, then unquoting) is what the fast path used for every quoted line before;
the cut at the quotes must give the same values wherever it says ``ok``, and
must say ``ok`` on the lines it is meant for.
"""

from __future__ import annotations

import re

import polars as pl
from hypothesis import example, given, settings
from hypothesis import strategies as st

from shadowlens.formats import builtin_spec
from shadowlens.parsers.extract import decode_cell, decode_value, split_at_quotes
from shadowlens.spec.compiler import compile_spec

CSV = compile_spec(builtin_spec("paloalto")).columns
W3C = compile_spec(builtin_spec("w3c")).columns
assert CSV is not None
assert W3C is not None

# Characters that matter (quote, delimiters, blanks) and a few ordinary ones.
TEXT = st.text(alphabet='"," \tab-', max_size=24)
BARE_CSV = st.text(alphabet=" ab-()", min_size=1, max_size=5)
BARE_W3C = st.text(alphabet="ab-(),", min_size=1, max_size=5)
INNER = st.text(alphabet=', ab"', max_size=6)


def csv_reference(text: str) -> list[str] | None:
    """Values of a CSV region by the cell regex (None when the cells do not tile it)."""
    assert CSV is not None
    assert CSV.cell_regex is not None
    if not re.fullmatch(CSV.region_regex or "", text):
        return None
    cells = re.findall(CSV.cell_regex, text + ",")
    if sum(len(c) for c in cells) != len(text) + 1:
        return None
    return [decode_cell(c[:-1], '"') for c in cells]


def w3c_reference(text: str) -> list[str] | None:
    """Values of a W3C entry by the token regex (None when the tokens do not tile it)."""
    assert W3C is not None
    text = text.strip(" \t")
    tokens = re.findall(W3C.token_regex, text)
    if not text or sum(len(t) for t in tokens) != len(text):
        return None
    return [decode_value(t, '"') for t in tokens]


def cut(texts: list[str], d: str) -> list[tuple[list[str], bool]]:
    values, ok = split_at_quotes(pl.Series("t", texts, pl.String()), d, '"')
    return list(zip(values.to_list(), ok.to_list(), strict=True))


@st.composite
def csv_rows(draw: st.DrawFn) -> str:
    """Rows of bare, empty and quoted values (a doubled quote inside sometimes)."""
    values = draw(
        st.lists(
            st.one_of(BARE_CSV, st.just(""), INNER.map(lambda v: '"' + v.replace('"', '""') + '"')),
            min_size=1,
            max_size=6,
        )
    )
    return ",".join(values)


@st.composite
def w3c_rows(draw: st.DrawFn) -> str:
    values = draw(
        st.lists(
            st.one_of(BARE_W3C, INNER.map(lambda v: '"' + v.replace('"', '""') + '"')),
            min_size=1,
            max_size=6,
        )
    )
    return " ".join(values)


@settings(max_examples=200, deadline=None)
@given(st.lists(csv_rows(), min_size=1, max_size=8), st.lists(TEXT, max_size=8))
@example([], ['a,"b,c",,"d"', '"e",f', 'g"h",i', '","', '"a",', ',"a"', '"a"",b"', ""])
def test_csv_cut_equals_the_cell_regex(rows: list[str], texts: list[str]) -> None:
    for text, (values, ok) in zip(rows + texts, cut(rows + texts, ","), strict=True):
        if ok:
            assert values == csv_reference(text), text
    for text, (_values, ok) in zip(rows, cut(rows, ","), strict=True):
        if '"' in text and '""' not in text:  # quotes only around values: always cut
            assert ok, text


@settings(max_examples=200, deadline=None)
@given(st.lists(w3c_rows(), min_size=1, max_size=8), st.lists(TEXT, max_size=8))
@example([], ['a "b c" d', '"x" "y"', '"x"y', 'a"b" c', '"u', '" "', "a\tb"])
def test_w3c_cut_equals_the_token_regex(rows: list[str], texts: list[str]) -> None:
    def simple(text: str) -> bool:  # the lines the fast path cuts at quotes
        return '"' in text and not any(s in text for s in ("\t", "  ", '""'))

    texts = [t.strip(" \t") for t in texts]  # the fast path strips entries first
    for text, (values, ok) in zip(rows + texts, cut(rows + texts, " "), strict=True):
        if simple(text) and ok:
            assert values == w3c_reference(text), text
    for text, (_values, ok) in zip(rows, cut(rows, " "), strict=True):
        if simple(text):
            assert ok, text
