"""The byte-cut split of CEF extensions by learned key order (kvsplit) equals Lark.

Chunks are built so that one key order dominates (the template route is taken),
then lines are varied where a byte cut could go wrong: escaped and unescaped
``=``, a template key inside a value, several spaces, non-ASCII text, prefixes
with and without a valid ``CEF:`` marker.
"""

from __future__ import annotations

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shadowlens.parsers.kvsplit import _by_template, split_extension
from shadowlens.testing import assert_fast_matches_reference, format_class

CefFormat = format_class("cef")

KEYS = ["rt", "src", "request", "cs1Label", "requestClientApplication"]
HEAD = "<134>Mar  9 00:00:00 fw CEF:0|V|P|1|c|n|5|"


def regular(i: int) -> str:
    return (
        f"{HEAD}rt=1700000000{i % 1000:03d} src=10.0.0.{i % 250} "
        f"request=https://x/{i}?a\\=b cs1Label=dept requestClientApplication=Mozilla/5.0 (X {i})"
    )


TRICKY = [
    # escaped `=` and an escaped backslash before `=`
    f"{HEAD}rt=1 src=a\\=b request=c\\\\=d cs1Label=x requestClientApplication=y",
    # an unescaped `=` in the first word of a value (no pair starts there)
    f"{HEAD}rt=1 src=a=b request=q cs1Label=x requestClientApplication=y",
    # a template key written inside a value starts a pair: 6 pairs, not the template
    f"{HEAD}rt=1 src=a request=q src=2 cs1Label=x requestClientApplication=y",
    # several spaces, trailing spaces, empty values
    f"{HEAD}rt=1   src=  request= cs1Label=x requestClientApplication=y   ",
    # a key-looking word after a space, but followed by text, not `=`
    f"{HEAD}rt=1 src=a cs1Label request=q cs1Label=x requestClientApplication=y",
    # non-ASCII around the cut points
    f"{HEAD}rt=é src=✓ request=ü=ö cs1Label=x requestClientApplication=y é",
    # header with `=` and ` rt=` inside fields (not the extension)
    "CEF:0|V|P rt=1|1|c=2|n|5|rt=1 src=a request=q cs1Label=x requestClientApplication=y",
    # keys in another order, a missing key, an extra key
    f"{HEAD}src=a rt=1 request=q cs1Label=x requestClientApplication=y",
    f"{HEAD}rt=1 src=a cs1Label=x requestClientApplication=y",
    f"{HEAD}rt=1 src=a request=q cs1Label=x requestClientApplication=y act=z",
    # prefixes: glued to the marker (rejected), a second marker, none
    f"x{HEAD[-15:]}rt=1 src=a request=q cs1Label=x requestClientApplication=y",
    f"host CEF: {HEAD}rt=1 src=a request=q cs1Label=x requestClientApplication=y",
    f"{HEAD[-15:]}rt=1 src=a request=CEF:0|a|b| cs1Label=x requestClientApplication=y",
    # an extension that does not start with a pair
    f"{HEAD}junk rt=1 src=a request=q cs1Label=x requestClientApplication=y",
    # a key glued to the previous value (no space before it): no pair starts there
    f"{HEAD}rt=1 src=xrequest=q cs1Label=x requestClientApplication=y",
    f"{HEAD}rt=1 src=x\trequest=q cs1Label=x requestClientApplication=y",
    # as long as a template key, after a space, but not a key
    f"{HEAD}rt=1 src=a re/uest=q cs1Label=x requestClientApplication=y",
    # a backslash right before a key's `=`
    f"{HEAD}rt=1 src\\=a request=q cs1Label=x requestClientApplication=y",
]


def test_tricky_lines_in_a_regular_chunk_equal_lark() -> None:
    lines = [regular(i) for i in range(60)] + TRICKY
    report = assert_fast_matches_reference(CefFormat, lines, allow_fallback=True)
    assert report.fallback == 0, report


def test_the_template_route_takes_the_regular_rows() -> None:
    lines = [regular(i) for i in range(40)] + TRICKY
    header_re = CefFormat().plan.head.variants[0].regex
    frame = (
        pl.DataFrame({"line": lines})
        .select(pl.col("line").str.splitn("CEF:", 2).alias("p"))
        .unnest("p")
        .with_columns(pl.col("field_1").str.extract_groups(header_re).alias("m"))
        .unnest("m")
        .filter(pl.col("_head").is_not_null())
    )
    rows, pairs = _by_template(frame["field_1"], frame["_head"].str.len_bytes().to_numpy(), KEYS)
    taken = set(rows.tolist())
    assert set(range(40)) <= taken
    # Only the regular rows and the tricky rows that really have the template's pairs.
    lines_taken = [frame["field_1"][i] for i in sorted(taken)]
    assert all("src=a request=q src=2" not in line for line in lines_taken)
    assert all("junk" not in line for line in lines_taken)
    assert pairs.len() == len(taken)


def test_split_extension_without_a_dominant_order_uses_extract_all() -> None:
    frame = pl.DataFrame(
        {"field_1": ["0|h|a=1 b=2", "0|h|b=1 a=2", "0|h|c=3"], "_head": ["0|h|"] * 3}
    ).with_columns(_head_len=pl.lit(4))
    out = split_extension(frame, CefFormat().plan.pairs[0].token_regex, min_share=0.9)
    assert out["pairs"].to_list() == [["a=1 ", "b=2"], ["b=1 ", "a=2"], ["c=3"]]


VALUE = st.lists(
    st.sampled_from([" ", "=", "\\", "a", "Z", "0", "-", ".", "/", "|", "é", "\t", "src", " rt="]),
    max_size=8,
).map("".join)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(VALUE, min_size=len(KEYS), max_size=len(KEYS)), min_size=1, max_size=6))
def test_random_values_under_a_fixed_key_order_equal_lark(values: list[list[str]]) -> None:
    lines = [regular(i) for i in range(10)]
    lines += [HEAD + " ".join(f"{k}={v}" for k, v in zip(KEYS, row, strict=True)) for row in values]
    assert_fast_matches_reference(CefFormat, lines, allow_fallback=True)


def test_a_terminal_with_quoted_values_is_not_cut_by_template() -> None:
    """The byte cut gives a value all text up to the next key: `a= ""` would become one
    pair although a quoted-value terminal cannot read it; such terminals use extract_all."""
    pair = r'[A-Za-z0-9_]+=(?:"[^"\r\n]*"|[^ "\r\n]*)(?: +|$)'
    lines = ["0|h|a=1 b=2"] * 20 + ['0|h|a=1 b= ""', '0|h|a="x y" b=2', '0|h|a=1 b="2" ""']
    frame = pl.DataFrame({"field_1": lines, "_head": ["0|h|"] * len(lines)}).with_columns(
        _head_len=pl.lit(4)
    )
    out = split_extension(frame.with_row_index("_row"), pair).sort("_row")
    assert out["_row"].to_list() == [*range(20), 21]
    assert out["pairs"].to_list()[-1] == ['a="x y" ', "b=2"]
    # CEF's KV_PAIR takes any value: its template route stays on.
    cef = CefFormat().plan.pairs[0].token_regex
    out = split_extension(frame.with_row_index("_row"), cef).sort("_row")
    assert out["pairs"].to_list()[20] == ["a=1 ", 'b= ""']
