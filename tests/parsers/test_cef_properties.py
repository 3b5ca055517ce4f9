"""Property tests: the CEF fast path against the Lark reference, and escape round trips.

* The generic differential property (lines generated from ``cef.lark`` and
  mutated, by the shared harness of :mod:`shadowlens.testing`; every spec format
  runs it in ``test_spec_harness.py``), here with CEF's known tricky lines as
  explicit examples: per line, both paths reject it or agree field by field.
* A value escaped per the spec and embedded in a line comes back unescaped,
  identical, in the records (header fields and extension values).
* The learned-key-order route of the value pick gives the records of the generic
  route, whatever the mix of key orders in a chunk.
"""

from __future__ import annotations

from typing import Any, ClassVar

import polars as pl
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from shadowlens.parsers.base import ParseOptions
from shadowlens.testing import (
    assert_fast_matches_reference,
    format_class,
    grammar_lines,
    mutated_lines,
    parse_lines,
)

CefFormat = format_class("cef")
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class GenericCef(CefFormat):  # type: ignore[misc,valid-type]
    max_templates: ClassVar[int] = 0


# -- fast path == Lark, field by field ------------------------------------------------------

#: Lines that once split differently on the two paths (prefix, escapes, spaces, truncation).
TRICKY = [
    "10.1.1.1 CEF:0|a|b|c|d|e|1|rt=1",
    "12host CEF:0|a|b|c|d|e|1|x=y",
    "a:b CEF:0|a|b|c|d|e|1|x=y",
    "CEF:abc host CEF:0|a|b|c|d|e|1|x=y",
    "CCEF:0|a|b|c|d|e|1|x=y",
    "xCEF: CEF:0|a|b|c|d|e|1|x=y",
    "CEF:0|a|b|c|d|e|1|x=a\\",
    "CEF:0|a|b|c|d|e|1|x=a \\ y=b",
    "CEF:0|a|b|c|d|e|1|x= =y z=",
    "CEF:0|a|b|c|d|e|1|  x=1   ",
    "CEF:0|a|b|c|d|e\\",
    "CEF:0|a|b|c|d|e|",
    "CEF:0|a|b|c|d|e||",
    "CEF: 0|a|b|c|d|e|1",
    "<1>CEF:0|a|b|c|d|e|1|k[0]=v ,k=v -=v",
]


@SETTINGS
@example(TRICKY)
@given(st.lists(grammar_lines(CefFormat) | mutated_lines(CefFormat), min_size=1, max_size=8))
def test_fast_path_equals_lark(lines: list[str]) -> None:
    # The fast path is the grammar itself: it must take every line Lark takes.
    assert_fast_matches_reference(CefFormat, lines, allow_fallback=False)


def test_known_tricky_lines_agree() -> None:
    report = assert_fast_matches_reference(CefFormat, TRICKY, allow_fallback=False)
    assert report.agreed >= 10


# -- escape round trips ---------------------------------------------------------------------


def escape_value(value: str) -> str:
    """Escape an extension value as the CEF spec says (``\\``, ``=``, CR, LF)."""
    return value.replace("\\", "\\\\").replace("=", "\\=").replace("\n", "\\n").replace("\r", "\\r")


def escape_header(value: str) -> str:
    return value.replace("\\", "\\\\").replace("|", "\\|")


VALUES = st.text(st.characters(codec="utf-8"), max_size=30)
HEADER = st.text(st.characters(codec="utf-8", exclude_characters="\n\r"), max_size=20)


@settings(max_examples=50, deadline=None)
@given(
    value=VALUES,
    name=HEADER,
    vendor=HEADER,
    prefix=st.sampled_from(["", "<13>Jan  5 10:00:00 fw1 "]),
)
def test_escaped_values_come_back_identical(
    value: str, name: str, vendor: str, prefix: str
) -> None:
    line = (
        f"{prefix}CEF:0|{escape_header(vendor)}|P|1|c|{escape_header(name)}|5|"
        f"rt=1700000000000 cs1={escape_value(value)} msg={escape_value(value)}x dst=10.0.0.1"
    )
    for engine in ("auto", "reference"):
        result = parse_lines(CefFormat, [line], options=ParseOptions(year=2024, engine=engine))
        assert result.quarantine.height == 0, result.quarantine.to_dicts()
        row = result.records.row(0, named=True)
        extras = dict(zip(row["extras_keys"], row["extras_values"], strict=True))
        # Trailing spaces of a value are not kept (docs/format-decisions.md, CEF).
        assert extras["cs1"] == value.rstrip(" ")
        assert extras["msg"] == value + "x"

        # An empty header field, or the null token `-`, is no value (null).
        def as_column(text: str) -> str | None:
            return None if text in ("", "-") else text

        assert (row["event_name"], row["observer_vendor"]) == (as_column(name), as_column(vendor))
        assert row["dst_ip"] == "10.0.0.1"


# -- learned key order == generic pick --------------------------------------------------------

KEYS = ["act", "src", "dst", "spt", "in", "out", "cs1", "cs1Label", "request", "suser", "msg"]


@st.composite
def chunk(draw: st.DrawFn) -> list[str]:
    """Mostly one key order, plus reordered, shortened and duplicated variants."""
    base = draw(st.permutations(KEYS))
    lines = []
    for i in range(draw(st.integers(5, 60))):
        keys = list(base)
        variant = draw(st.sampled_from(["same"] * 6 + ["shuffle", "drop", "dup", "other"]))
        if variant == "shuffle":
            keys = draw(st.permutations(keys))
        elif variant == "drop":
            keys = keys[: draw(st.integers(0, len(keys) - 1))]
        elif variant == "dup":
            keys = [*keys, draw(st.sampled_from(keys))]
        elif variant == "other":
            keys = [*keys[:3], "cs9", *keys[3:]]
        value = draw(st.sampled_from(["1", "a b", "x\\=y", "10.0.0.1", "", "C:\\\\d", "é ✓"]))
        ext = " ".join(f"{k}={value}{i}" for k in keys)
        lines.append(f"CEF:0|V|P|1|c|n|5|rt=1700000000000 {ext}")
    return lines


def records(fmt: Any, lines: list[str]) -> list[dict[str, Any]]:
    result = parse_lines(fmt, lines, options=ParseOptions(year=2024))
    assert result.quarantine.height == 0
    return result.records.sort("source_line").to_dicts()


@settings(max_examples=20, deadline=None)
@given(chunk())
def test_learned_key_order_equals_generic_pick(lines: list[str]) -> None:
    assert records(CefFormat, lines) == records(GenericCef, lines)


def test_template_route_is_taken_on_regular_chunks() -> None:
    """Guard: a regular chunk really goes through the learned order (and still matches)."""
    from shadowlens.parsers.kvpick import learn_template

    lines = [
        f"CEF:0|V|P|1|c|n|5|rt=1700000000000 src=10.0.0.{i % 250} cs1=v {i}" for i in range(50)
    ]
    lines[7] = "CEF:0|V|P|1|c|n|5|cs1=odd src=10.0.0.1 rt=1700000000000"
    fields = CefFormat().fast_fields(
        pl.DataFrame({"_row": range(50), "line": lines}).cast({"_row": pl.UInt32}), None
    )
    assert learn_template(fields["pairs"]) == ["rt", "src", "cs1"]
    assert records(CefFormat, lines) == records(GenericCef, lines)
