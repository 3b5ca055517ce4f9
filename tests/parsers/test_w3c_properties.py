"""Differential properties: the W3C fast paths agree with the Lark reference.

Lines come from ``hypothesis.extra.lark.from_lark`` over the grammar's ``entry``
and ``directive`` rules, then get mutated (quotes, doubled quotes, separators,
unicode, NUL, truncation). For every line both paths accept it with equal fields
or both reject it; whole files agree between ``--engine auto`` and ``reference``.
"""

from __future__ import annotations

from typing import Any

import polars as pl
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark

from shadowlens.parsers.base import Engine, ParseOptions
from shadowlens.parsers.directives import fast_directives, reference_directives
from shadowlens.testing import assert_fast_matches_reference, format_class, lines_frame, parse_lines

W3cFormat = format_class("w3c")

ALPHABET = st.characters(codec="utf-8", exclude_characters="\n\r")
ENTRY = from_lark(W3cFormat.lark(), start="entry", alphabet=ALPHABET)
DIRECTIVE = from_lark(W3cFormat.lark(), start="directive", alphabet=ALPHABET)
PIECES = st.sampled_from(
    ['"', '""', " ", "  ", "\t", '"a b"', "-", "é", "\u00a0", "\x0b", "\x1c", "\x00", "#", "(", ")"]
)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def mutated(draw: st.DrawFn, base: st.SearchStrategy[str]) -> str:
    """A line from ``base`` with up to three inserts, replacements, deletions or a cut."""
    line = draw(base)
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["insert", "replace", "delete", "truncate"]))
        pos = draw(st.integers(0, len(line)))
        if kind == "insert":
            line = line[:pos] + draw(PIECES) + line[pos:]
        elif kind == "replace":
            line = line[:pos] + draw(PIECES) + line[pos + 1 :]
        elif kind == "delete":
            line = line[:pos] + line[pos + 1 :]
        else:
            line = line[:pos]
    return line


def _usable(lines: list[str]) -> list[str]:
    return [line for line in lines if line.strip(" \t\x00\x0b\x0c")]


@SETTINGS
@given(st.lists(st.one_of(ENTRY, mutated(ENTRY)), min_size=1, max_size=25))
@example(['a "b c" "d ""e"" f" - ""', '"a"b', '"abc', 'x "y', " lead  trail\t ", 'a""b "" """"'])
@example(['"a"" "b"', '"a""" b', "é\u00a0ü \x0b", "a\tb\t\tc", '"\t"', '""""""'])
def test_entry_fast_path_matches_lark(lines: list[str]) -> None:
    usable = _usable(lines)
    if usable:
        assert_fast_matches_reference(W3cFormat, usable)


def _directive_rows(fmt: Any, lines: list[str]) -> tuple[dict[int, Any], dict[int, Any]]:
    frame, _blank = lines_frame(lines)
    indexed = frame.with_row_index("_row").select("_row", "line")
    plan = fmt.plan.columns.directive
    fast = fast_directives(indexed, plan)
    slow, _errors = reference_directives(indexed, fmt.lark(), plan)
    return ({r[0]: r for r in fast.rows()}, {r[0]: r for r in slow.rows()})


@SETTINGS
@given(st.lists(st.one_of(DIRECTIVE, mutated(DIRECTIVE)), min_size=1, max_size=25))
@example(
    ["#Fields: a (b", "#Fields:a", "#fields: x", "#Date x", "#", "#Fields:   a  b ", "#X-y: z"]
)
def test_directive_fast_path_matches_lark(lines: list[str]) -> None:
    directives = [line for line in _usable(lines) if line.startswith("#")]
    if not directives:
        return
    fmt = W3cFormat()
    fast, slow = _directive_rows(fmt, directives)
    # the fast path may leave a line to Lark, but never accept one differently
    for row, got in fast.items():
        assert slow.get(row) == got, directives[row]
    every = {**slow, **fast}
    assert set(every) == set(slow), "fast path accepted a directive Lark rejects"


HEADERS = st.sampled_from(
    [
        "#Fields: date time c-ip cs(User-Agent) sc-status",
        "#Fields: time c-ip cs-method",
        "#Date: 2024-01-02 03:04:05",
        "#Software: Microsoft Internet Information Services 10.0",
        "#Fields:",
        "#Fields: date (broken",
        "# comment",
    ]
)
ENTRIES = st.one_of(
    st.builds(
        "2024-01-01 00:00:{:02d} 192.0.2.{} {} {}".format,
        st.integers(0, 61),
        st.integers(0, 300),
        st.sampled_from(['"A ""b"" c"', "A+b", "-", '""', "x"]),
        st.sampled_from(["200", "abc", "-", "200 extra"]),
    ),
    mutated(ENTRY),
)


@SETTINGS
@given(st.lists(st.one_of(HEADERS, ENTRIES), min_size=1, max_size=30), st.sampled_from([None, 3]))
def test_files_parse_the_same_with_either_engine(lines: list[str], chunk: int | None) -> None:
    def run(engine: Engine) -> tuple[Any, ...]:
        options = ParseOptions(engine=engine)
        result = parse_lines(W3cFormat, lines, options=options, chunk_lines=chunk)
        records = result.records.sort("source_line").drop("source_offset")
        quarantine = result.quarantine.sort("source_line").select("source_line", "error_code")
        return records.to_dicts(), quarantine.to_dicts(), result.directives

    auto, reference = run("auto"), run("reference")
    assert auto == reference
    frame, _blank = lines_frame(lines)
    records, quarantine, directives = auto
    assert len(records) + len(quarantine) + directives == frame.height


def test_decoding_matches_the_lark_path_on_a_large_batch() -> None:
    """One vectorized call over many lines (the flat decode crosses list boundaries)."""
    lines = [f'v{i} "q {i} ""x""" {"-" if i % 3 else chr(233)} "" end' for i in range(500)]
    report = assert_fast_matches_reference(W3cFormat, lines)
    assert report.agreed == 500
    frame = pl.DataFrame({"_row": range(3), "line": ["a b", '"x y" z', "c"]})
    fields = W3cFormat().fast_fields(frame.cast({"_row": pl.UInt32}), None).sort("_row")
    assert fields["values"].to_list() == [["a", "b"], ["x y", "z"], ["c"]]
