"""Differential property tests: the LEEF fast path equals the Lark reference, field by field.

Lines come from ``hypothesis.extra.lark.from_lark`` on the LEEF grammar (with
realistic strategies for the attribute region, the delimiter field, header
fields and the prefix) and from a builder of plausible vendor lines, then get
mutated: truncated, spaces/unicode/``=``/``|``/delimiters injected, delimiter
fields swapped. For every line either both paths reject it, or both return the
very same parsed fields (``GrammarFormat.fast_fields`` vs ``reference_fields``).
"""

from __future__ import annotations

from typing import Any

import polars as pl
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark

from shadowlens.testing import format_class

LeefFormat = format_class("leef")


#: Characters that matter to the grammar, mixed into every generated text.
SPECIAL = list("|=^\\ \t@xX0159aEFL:<>-.,[]")
TEXT = st.text(
    st.one_of(st.sampled_from(SPECIAL), st.characters(codec="utf-8", exclude_characters="\n\r")),
    max_size=12,
)
DELIMITER_FIELDS = ["^", "x5E", "0x5e", "0X7C", "x7c", "x09", "X9", "@", " ", "x", "0", "INVALID",
                    "0xGG", "0x", "x3D", "xD800", "x20AC", "^^", "\t"]  # fmt: skip
KEYS = ["src", "dst", "srcPort", "usrName", "devTime", "url", "sev", "cat", "file name", " k ",
        "\tk", "k\t ", "a|b", "", "=", "x"]  # fmt: skip
PREFIXES = ["", "<134>Mar  1 10:00:00 host ", "<14>", "host ", "tag[1]: ", "<14>1 2024-03-01T10:00:00Z h ",
            "1709251200 h ", "LEEF ", "x LEEF:", "LEEF:", "a>", ":"]  # fmt: skip


def attribute_region(delimiter: str) -> st.SearchStrategy[str]:
    """``key=value`` pieces joined by ``delimiter`` (sometimes another one), with noise."""
    ending = st.sampled_from(["", "", "", " ", "\t", " \t", delimiter])
    piece = st.one_of(
        st.builds(lambda k, v, e: f"{k}={v}{e}", st.sampled_from(KEYS), TEXT, ending),
        TEXT,
        st.just(""),
    )
    joiner = st.sampled_from([delimiter, delimiter, "\t", "^", " ", delimiter * 2])
    return st.builds(lambda ps, j: j.join(ps), st.lists(piece, min_size=1, max_size=6), joiner)


EXPLICIT: dict[str, st.SearchStrategy[str]] = {
    "ATTRIBUTES": attribute_region("^").filter(bool),
    "BARE_ATTRIBUTES": st.builds(
        lambda k, rest: f"{k}={rest}", st.sampled_from(["src", "a", " b"]), attribute_region("\t")
    ),
    "DELIMITER": st.sampled_from(
        [f for f in DELIMITER_FIELDS if f and "|" not in f and "=" not in f]
    ),
    "HFIELD": st.sampled_from(["Acme", "V\\|P", "a\\\\", " spaced ", "日本", "x\\", "1.0"]),
    "LEEF_PREFIX": st.sampled_from([p for p in PREFIXES if p and not p.endswith("LEEF:")]),
}
GRAMMAR_LINES = from_lark(
    LeefFormat.lark(),
    start="start",
    explicit=EXPLICIT,
    alphabet=st.characters(codec="utf-8", exclude_characters="\n\r"),
)


@st.composite
def vendor_lines(draw: Any) -> str:
    """A plausible LEEF line: prefix, version, header, delimiter field, attributes."""
    version = draw(st.sampled_from(["1.0", "2.0", "2.0", "0", "3.0", "2"]))
    size = draw(st.sampled_from([4, 4, 4, 3, 5]))
    fields = st.sampled_from(["Acme", "P\\|x", "", "1.0", "Ev id"])
    header = "|".join(draw(st.lists(fields, min_size=size, max_size=size)))
    field = draw(st.sampled_from([*DELIMITER_FIELDS, "", None]))
    delimiter = {
        "x5E": "^",
        "0x5e": "^",
        "0X7C": "|",
        "x7c": "|",
        "x09": "\t",
        "X9": "\t",
        "": "\t",
    }.get(field or "", field or "\t")
    region = draw(attribute_region(delimiter))
    tail = region if field is None else f"{field}|{region}"
    ending = draw(st.sampled_from(["|" + tail, "|" + tail, "|", ""]))
    return f"{draw(st.sampled_from(PREFIXES))}LEEF:{version}|{header}{ending}"


@st.composite
def mutated(draw: Any, lines: st.SearchStrategy[str]) -> str:
    """A line after zero to three random edits."""
    line = draw(lines)
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(line)))
        edit = draw(st.sampled_from(["truncate", "insert", "insert", "delete"]))
        if edit == "truncate":
            line = line[:at]
        elif edit == "insert":
            extra = draw(
                st.one_of(
                    st.sampled_from(["=", "|", "^", "\t", " ", "  ", "x5E|", "é", "\\"]), TEXT
                )
            )
            line = line[:at] + extra + line[at:]
        else:
            line = line[:at] + line[at + 1 :]
    return line.replace("\n", " ").replace("\r", " ")


def assert_same_fields(lines: list[str]) -> None:
    """Both paths reject each line, or both return identical parsed fields for it."""
    fmt = LeefFormat()
    frame = pl.DataFrame({"line": lines}).with_row_index("_row")
    schema = pl.Schema({"_row": pl.UInt32(), **fmt.fields_schema})
    fast = fmt.fast_fields(frame, None).select(list(schema)).cast(schema)
    slow, _errors = fmt.reference_fields(frame, None)
    got = {row[0]: row for row in fast.rows()}
    want = {row[0]: row for row in slow.rows()}
    for i, line in enumerate(lines):
        assert got.get(i) == want.get(i), f"line {line!r}\n fast={got.get(i)}\n lark={want.get(i)}"


SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@SETTINGS
@given(st.lists(st.one_of(GRAMMAR_LINES, mutated(GRAMMAR_LINES)), min_size=1, max_size=20))
@example(["LEEF:2.0|V|P|1|E|x5E|a=1^^b=x=y^c^ d = 2 ^", "LEEF:2.0|V|P|1|E|a=1\tb=2|c"])
@example(["LEEF:1.0|V|P|1|E|junk\tk=v", "LEEF:0|V|P|1|E| a=b c d=e\\=f", "LEEF:0|V|P|1|E|=x"])
@example(["<14>LEEF:2.0|V|P|1|E\\", "LEEF:2.0|V|P|1|E|INVALID|a=1", "LEEF:2.0|V|P|1|E||"])
def test_grammar_lines(lines: list[str]) -> None:
    assert_same_fields(lines)


@SETTINGS
@given(st.lists(st.one_of(vendor_lines(), mutated(vendor_lines())), min_size=1, max_size=20))
@example(["LEEF:2.0|V|P|1|E|^| src=1^ ^dst=2^^", "LEEF:2.0|V|P|1|E|\t|a=1\t\tb"])
@example(["LEEF:2.0|V|P|1|E|^|a=1\t^b=2 \t", "LEEF:2.0|V|P|1|E|@|a=1@ b =2@"])
@example(["LEEF:2.0|V|P|1|E|^|\ta=1^ b\t=2", "LEEF:2.0|V|P|1|E|^|k=1^=2^ =3^\t=4"])
@example(["x LEEF:1.0|V|P|1|E|a=1", "LEEF LEEF:1.0|V|P|1|E|a=1", "LEEF:LEEF:1.0|V|P|1|E|a=1"])
def test_vendor_like_lines(lines: list[str]) -> None:
    assert_same_fields(lines)
