"""Cutting byte streams into line chunks: every boundary, every odd byte.

The property test compares the chunked, vectorized splitter with a plain
reference written line by line in Python.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

import numpy as np
import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from shadowlens.engine import lines as lines_mod
from shadowlens.engine.lines import BOM, iter_raw_chunks, to_line_chunk
from shadowlens.parsers.base import LINES_SCHEMA

BLANK_CHARS = " \t\r\n\x00\x0b\x0c"


@dataclass
class Split:
    """Lines of a whole stream: ``rows`` are (text, number, offset) of non-blank lines."""

    rows: list[tuple[str, int, int]] = field(default_factory=list)
    total: int = 0
    blank: int = 0
    bad_utf8: list[int] = field(default_factory=list)
    nbytes: int = 0
    literal_fffd: set[int] = field(default_factory=set)


def reference(data: bytes) -> Split:
    """The obvious line splitter, one line at a time."""
    out = Split()
    offset = 0
    if data.startswith(BOM):
        data, offset = data[len(BOM) :], len(BOM)
    out.nbytes = len(data)
    # LF, CRLF and a lone CR each end a line (universal newlines).
    pieces = re.findall(rb"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$", data)
    for number, piece in enumerate(pieces, start=1):
        raw = piece.rstrip(b"\r\n")
        text = raw.decode("utf-8", errors="replace")
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            out.bad_utf8.append(number)
        if "\ufffd".encode() in raw:
            out.literal_fffd.add(number)
        if text.strip(BLANK_CHARS):
            out.rows.append((text, number, offset))
        else:
            out.blank += 1
        offset += len(piece)
    out.total = len(pieces)
    return out


def chunked(data: bytes, chunk_bytes: int) -> Split:
    """What the engine produces, concatenated over all chunks."""
    out = Split()
    for raw in iter_raw_chunks(io.BytesIO(data), chunk_bytes):
        chunk = to_line_chunk(raw)
        assert chunk.lines.schema == LINES_SCHEMA
        out.rows += chunk.lines.rows()
        out.total += chunk.total
        out.blank += chunk.blank
        out.bad_utf8 += chunk.bad_utf8.to_list()
        out.nbytes += chunk.nbytes
    return out


FRAGMENTS = [
    b"a",
    b"xyz ",
    b"\n",
    b"\n",
    b"\r",
    b"\r\n",
    b" ",
    b"\t",
    b"\x00",
    b"\xff",
    b"\xc3\xa9",
    b"\xe2\x82",
    b"\xf0\x9f\x98\x80",
    BOM,
]
streams = st.one_of(
    st.lists(st.sampled_from(FRAGMENTS), max_size=60).map(b"".join),
    st.binary(max_size=200),
)


@settings(max_examples=150, deadline=None)
@given(streams, st.integers(min_value=4, max_value=80))
@example(b"", 4)
@example(b"\n", 4)
@example(BOM + b"a\r\n\r\nb", 4)
@example(b"a\nb\n", 4)
@example(b"\xe2\x82\n\xff", 5)
def test_any_bytes_in_any_chunk_size_match_the_reference(data: bytes, chunk_bytes: int) -> None:
    # Chunk sizes start at 4: see test_bom_with_a_tiny_first_read for 1 to 3.
    got, want = chunked(data, chunk_bytes), reference(data)
    assert got.rows == want.rows
    assert (got.total, got.blank, got.nbytes) == (want.total, want.blank, want.nbytes)
    assert got.bad_utf8 == want.bad_utf8


@pytest.mark.parametrize("chunk_bytes", [1, 2, 3])
def test_bom_with_a_tiny_first_read(chunk_bytes: int) -> None:
    data = BOM + b"ab\ncd\n"
    assert chunked(data, chunk_bytes).rows == reference(data).rows


def test_every_chunk_holds_whole_lines() -> None:
    data = b"".join(b"line %d\r\n" % i for i in range(500))
    for chunk_bytes in (3, 7, 64, 1000, 10**6):
        raws = list(iter_raw_chunks(io.BytesIO(data), chunk_bytes))
        assert b"".join(r.data for r in raws) == data
        assert all(r.data.endswith(b"\n") for r in raws)
        assert raws[0].first_line == 1
        got = chunked(data, chunk_bytes)
        assert [text for text, _n, _o in got.rows] == [f"line {i}" for i in range(500)]


def test_crlf_and_lone_cr() -> None:
    got = chunked(b"a\r\nb\r\r\nc\rd\n", 1024)
    assert [r[0] for r in got.rows] == ["a", "b", "c", "d"]
    assert (got.total, got.blank) == (5, 1)


@pytest.mark.parametrize("chunk_bytes", [1, 2, 3, 5, 1024])
def test_lone_cr_ends_lines_with_right_numbers_and_offsets(chunk_bytes: int) -> None:
    # Three CEF-like events separated by CR only must stay three lines.
    data = b"one\rtwo\r\nthree\rfour"
    got = chunked(data, chunk_bytes)
    assert got.rows == [("one", 1, 0), ("two", 2, 4), ("three", 3, 9), ("four", 4, 15)]
    assert got.total == 4


def test_chunks_are_bounded_by_line_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lines_mod, "MAX_CHUNK_LINES", 1000)
    data = b"x\n" * 2500 + b"y\r" * 2500 + b"z"
    raws = list(iter_raw_chunks(io.BytesIO(data), 1 << 20))
    counts = [to_line_chunk(r).total for r in raws]
    assert max(counts) <= 1000
    assert sum(counts) == 5001
    assert [r.first_line for r in raws] == [1 + sum(counts[:i]) for i in range(len(raws))]
    assert b"".join(r.data for r in raws) == data


def test_default_line_cap_keeps_short_lines_cheap() -> None:
    raws = list(iter_raw_chunks(io.BytesIO(b"x\n" * 600_000), 16 * 1024 * 1024))
    assert max(to_line_chunk(r).total for r in raws) <= 256 * 1024


def test_bom_is_removed_but_counted_in_offsets() -> None:
    got = chunked(BOM + b"first\nsecond\n", 1024)
    assert got.rows == [("first", 1, 3), ("second", 2, 9)]
    assert chunked(b"x\n" + BOM + b"y\n", 1024).rows[1][0] == "\ufeffy"  # only a leading BOM


def test_invalid_utf8_is_decoded_lossily_and_flagged() -> None:
    got = chunked(b"ok\nbad \xff\xfe here\nliteral \xef\xbf\xbd is fine\n", 1024)
    assert got.rows[1] == ("bad \ufffd\ufffd here", 2, 3)
    assert got.bad_utf8 == [2]


def test_invalid_utf8_next_to_a_literal_replacement_char_is_flagged() -> None:
    assert chunked(b"\xef\xbf\xbd and \xff\n", 1024).bad_utf8 == [1]


def test_nul_and_whitespace_only_lines_are_blank() -> None:
    got = chunked(b"\x00\x00\n \t\n\x0b\x0c\r\nreal\n\n", 1024)
    assert (got.total, got.blank) == (5, 4)
    assert got.rows == [("real", 4, 10)]


def test_last_line_without_newline() -> None:
    got = chunked(b"one\ntwo", 2)
    assert got.rows == [("one", 1, 0), ("two", 2, 4)]
    assert got.total == 2


def test_empty_stream() -> None:
    assert list(iter_raw_chunks(io.BytesIO(b""), 10)) == []


def test_a_long_line_under_the_limit_stays_whole() -> None:
    long = b"x" * 100_000
    got = chunked(b"a\n" + long + b"\nb\n", 1000)
    assert [(len(t), n, o) for t, n, o in got.rows] == [(1, 1, 0), (100_000, 2, 2), (1, 3, 100_003)]


def test_a_line_over_the_limit_is_one_flagged_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lines_mod, "MAX_LINE_BYTES", 100)
    data = b"a" * 350 + b"\nnext\n"
    numbers, too_long, total = [], [], 0
    for raw in iter_raw_chunks(io.BytesIO(data), 64):
        chunk = to_line_chunk(raw)
        numbers += chunk.lines["source_line"].to_list()
        too_long += chunk.too_long.to_list()
        total += chunk.total
    assert (numbers, too_long, total) == ([1, 2], [1], 2)


def test_a_line_over_the_limit_is_cut_and_flagged(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lines_mod, "MAX_LINE_BYTES", 100)
    raws = list(iter_raw_chunks(io.BytesIO(b"a" * 350 + b"\nnext\n"), 64))
    first = to_line_chunk(raws[0])
    assert first.too_long.to_list() == [1]
    assert max(len(r.data) for r in raws) <= 100 + 64  # memory stays bounded by the limit


def test_chunk_frame_size_is_bounded_by_chunk_bytes() -> None:
    data = b"".join(b"%06d some payload\n" % i for i in range(20_000))
    chunk_bytes = 16 * 1024
    sizes = []
    for raw in iter_raw_chunks(io.BytesIO(data), chunk_bytes):
        chunk = to_line_chunk(raw)
        sizes.append(chunk.lines["line"].str.len_bytes().sum())
        assert len(raw.data) < 2 * chunk_bytes
    assert sum(sizes) == len(data) - 20_000  # every byte but the newlines
    assert len(sizes) >= len(data) // (2 * chunk_bytes)


def test_line_frame_schema_is_the_format_contract() -> None:
    chunk = to_line_chunk(lines_mod.RawChunk(b"a\nb\n", 7, 100))
    assert chunk.lines.schema == LINES_SCHEMA
    assert chunk.lines.rows() == [("a", 7, 100), ("b", 8, 102)]
    assert isinstance(chunk.bad_utf8, pl.Series)


@given(
    st.lists(
        st.sampled_from(
            [b"a", b"\xc3\xa9", b" ", b"\t", b"\x00", b"\r", b"\n", b"x" * 13, b"\xff"]
        ),
        max_size=60,
    ),
    st.integers(1, 10**6),
    st.integers(0, 10**9),
)
@settings(max_examples=300, deadline=None)
def test_native_and_reference_cut_the_same_lines(parts: list[bytes], first: int, at: int) -> None:
    """The native kernel (views over the chunk) equals the numpy/polars route."""
    raw = lines_mod.RawChunk(b"".join(parts), first, at)
    native, ref = to_line_chunk(raw), lines_mod.reference_line_chunk(raw)
    assert native.lines.to_dicts() == ref.lines.to_dicts()
    assert (native.total, native.blank, native.nbytes) == (ref.total, ref.blank, ref.nbytes)
    assert native.bad_utf8.to_list() == ref.bad_utf8.to_list()
    assert native.too_long.to_list() == ref.too_long.to_list()


@given(
    st.lists(st.sampled_from([b"a", b"\r", b"\n", b"\r\n", b" "]), max_size=40), st.integers(1, 8)
)
@settings(max_examples=300, deadline=None)
def test_line_ends_are_counted_and_capped_as_numpy_does(parts: list[bytes], cap: int) -> None:
    """The native count and cap equal the obvious count and the numpy line ends."""
    data = b"".join(parts)
    assert lines_mod.count_line_ends(data) == len(re.findall(rb"\r\n|\r|\n", data))
    ends = lines_mod._line_ends(np.frombuffer(data, dtype=np.uint8), data)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(lines_mod, "MAX_CHUNK_LINES", cap)
        head, rest = lines_mod._cap_lines(data)
    assert head + rest == data
    assert head == (data if len(ends) <= cap else data[: int(ends[cap - 1]) + 1])
