"""The native pair split (``shadowlens._native``) gives exactly the reference tokens.

``reference_split`` (the ``KV_PAIR`` regex by ``extract_all`` plus the coverage
check) is the oracle: on generated and mutated CEF extensions the native kernel
either returns the same tokens for a row or flags the row, and it flags exactly
the rows the reference drops. Both kernels are checked: the hand scanner for
``common.KV_PAIR`` and the regex kernel, which runs any other pair terminal.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from shadowlens.parsers import kvsplit

pytestmark = pytest.mark.skipif(kvsplit._native is None, reason="native core not built")

HEAD = "CEF:0|V|P|1|c|n|5|"
KEY = st.text(alphabet="abcXYZ019_.,[]-", min_size=1, max_size=6)
VALUE = st.lists(
    st.one_of(
        st.sampled_from(list("ab =\\\t\"'|x1 ")),
        st.sampled_from(["\\=", "\\\\", "\\n", " k=", "é", "中", "😀", "  "]),
        st.characters(codec="utf-8", exclude_categories=("Cs",)),
    ),
    max_size=12,
).map("".join)


@st.composite
def extensions(draw: st.DrawFn) -> str:
    """A CEF extension: pairs with spaces, escapes and `=` in values, then mutated."""
    pairs = draw(st.lists(st.tuples(KEY, VALUE), max_size=6))
    seps = draw(
        st.lists(st.sampled_from([" ", "  ", "   "]), min_size=len(pairs), max_size=len(pairs))
    )
    text = "".join(f"{k}={v}{s}" for (k, v), s in zip(pairs, seps, strict=True)).rstrip(" ")
    if draw(st.booleans()):
        text += draw(st.sampled_from(["", " ", "  "]))
    for _ in range(draw(st.integers(0, 3))):  # mutations: insert, delete or replace a char
        pos = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["insert", "delete", "replace"]))
        char = draw(st.sampled_from(list(" =\\ak\t|é")))
        if op == "insert":
            text = text[:pos] + char + text[pos:]
        elif op == "delete":
            text = text[:pos] + text[pos + 1 :]
        else:
            text = text[:pos] + char + text[pos + 1 :]
    return text


def reference(texts: list[str | None], pair_re: str) -> dict[int, list[str]]:
    frame = pl.DataFrame(
        {"_row": range(len(texts)), "field_1": texts, "_head": [HEAD] * len(texts)},
        schema={"_row": pl.Int64, "field_1": pl.String, "_head": pl.String},
    )
    out = kvsplit.reference_split(frame, pair_re)
    return dict(zip(out["_row"].to_list(), out["pairs"].to_list(), strict=True))


def native(texts: list[str | None], pair_re: str, *, cef: bool) -> dict[int, list[str]]:
    arr = pa.array(texts, pa.large_string())
    starts = np.array([len(HEAD.encode()) if t is not None else 0 for t in texts], np.int64)
    if cef:
        accepted, lists = kvsplit.native_split(arr, starts, pair_re)
    else:  # force the regex kernel: an equivalent pattern the scanner does not claim
        accepted, lists = kvsplit.native_split(arr, starts, pair_re + "|(?:\\x00\\x01)")
    rows = np.flatnonzero(accepted).tolist()
    return dict(zip(rows, pl.Series(lists).to_list(), strict=True))


PAIR_RE = kvsplit.KV_PAIR_REGEX


def test_scanned_regex_is_the_grammars_kv_pair() -> None:
    from lark import Lark

    from shadowlens.parsers.grammar import SHADOWLENS_GRAMMARS, terminal_regex

    grammar = "start: KV_PAIR+\n%import common.KV_PAIR\n"
    lark = Lark(grammar, parser="lalr", import_paths=[SHADOWLENS_GRAMMARS])
    assert terminal_regex(lark, "KV_PAIR") == kvsplit.KV_PAIR_REGEX


@pytest.mark.parametrize("cef", [True, False], ids=["scanner", "regex"])
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(exts=st.lists(st.one_of(extensions(), st.none()), min_size=1, max_size=20))
@example(exts=[""])
@example(exts=["a=1 b=2", "a=x\\=y b=\\\\= c=3", " a=1", "a\\=b=1", "junk", None])
@example(exts=["msg=hello world user=bob  ", "a= b=", "a=b=c d=e", "k=été 中=1 x=😀"])
@example(exts=["a=1 b c=2 d", "a=1\tb=2", "a=1\nb=2", "=1", "a=1 =2 b", "a=1 b"])
def test_native_split_equals_reference(exts: list[str | None], cef: bool) -> None:
    texts = [None if e is None else HEAD + e for e in exts]
    assert native(texts, PAIR_RE, cef=cef) == reference(texts, PAIR_RE)


def test_sliced_and_string_typed_arrays() -> None:
    texts = pa.array([HEAD + "x=1", HEAD + "a=1 b=2 c", HEAD + "junk"], pa.string()).slice(1)
    starts = np.full(2, len(HEAD), np.int64)
    accepted, lists = kvsplit.native_split(texts, starts, PAIR_RE)
    assert accepted.tolist() == [True, False]
    assert pl.Series(lists).to_list() == [["a=1 ", "b=2 c"]]


def test_split_extension_native_on_and_off_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    lines = [f"{HEAD}rt={i} src=10.0.0.{i} msg=a b\\=c" for i in range(300)] + [
        f"{HEAD}junk",
        f"{HEAD} rt=1",
        f"{HEAD}",
    ]
    frame = pl.DataFrame(
        {"_row": range(len(lines)), "field_1": lines, "_head": [HEAD] * len(lines)}
    )
    # a head that is not the text's prefix: the whole text is the region (`strip_prefix`)
    frame = frame.with_columns(
        _head=pl.when(pl.col("_row") == 0).then(pl.lit("XYZ|")).otherwise(pl.col("_head"))
    ).with_columns(_head_len=pl.col("_head").str.len_bytes())
    on = kvsplit.split_extension(frame, PAIR_RE).sort("_row")
    monkeypatch.setenv("SHADOWLENS_NATIVE", "0")
    assert not kvsplit.native_enabled()
    off = kvsplit.split_extension(frame, PAIR_RE).sort("_row")
    assert on.equals(off)
    # dropped: `junk`, a leading space, and row 0 (its whole text is no key=value list)
    assert on.height == len(lines) - 3
    assert on.filter(pl.col("_row") == len(lines) - 1)["pairs"].to_list() == [[]]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    exts=st.lists(st.one_of(extensions(), st.none()), min_size=1, max_size=12),
    pad=st.sampled_from(["", "é", "中" * 7, "x" * 20]),
    cut=st.integers(0, 11),
)
def test_native_split_of_polars_columns_points_into_their_text(
    exts: list[str | None], pad: str, cut: int
) -> None:
    """Polars' own ``string_view`` columns (several chunks, long and short texts, heads
    with multi-byte characters): the token views point into the texts' bytes."""
    head = HEAD + pad
    texts = [None if e is None else head + e for e in exts]
    chunks = [pl.Series(texts[:cut], dtype=pl.String), pl.Series(texts[cut:], dtype=pl.String)]
    column = pl.concat(chunks, rechunk=False)
    starts = np.array([len(head.encode()) if t is not None else 0 for t in texts], np.int64)
    accepted, lists = kvsplit.native_split(column, starts, PAIR_RE)
    assert lists.type == pa.large_list(pa.string_view())
    lists.validate(full=True)
    got = dict(zip(np.flatnonzero(accepted).tolist(), pl.Series(lists).to_list(), strict=True))
    frame = pl.DataFrame(
        {"_row": range(len(texts)), "field_1": texts, "_head": [head] * len(texts)},
        schema={"_row": pl.Int64, "field_1": pl.String, "_head": pl.String},
    )
    want = kvsplit.reference_split(frame, PAIR_RE)
    assert got == dict(zip(want["_row"].to_list(), want["pairs"].to_list(), strict=True))
