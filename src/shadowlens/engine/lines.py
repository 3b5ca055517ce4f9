"""Cut a byte stream into chunks of whole lines and turn each into a polars frame.

Memory is bounded by the chunk size, not the file size. Line boundaries are
found with numpy over the whole chunk and the Arrow string array is built on
the chunk's own buffer, so there is no Python work per line. CRLF endings and a
leading UTF-8 BOM are removed; invalid UTF-8 is decoded lossily (U+FFFD) and
the affected lines are counted and flagged.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
import polars as pl
import pyarrow as pa

from shadowlens.errors import InputError

BOM = b"\xef\xbb\xbf"
DEFAULT_CHUNK_BYTES = 16 * 1024 * 1024
#: A "line" longer than this (no newline in sight) is cut here and quarantined.
MAX_LINE_BYTES = 8 * 1024 * 1024
_REPLACEMENT = "\ufffd"


@dataclass
class RawChunk:
    """Whole lines of bytes, where they start in the file, and the first line's number."""

    data: bytes
    first_line: int
    first_offset: int


@dataclass
class LineChunk:
    """A chunk ready for a format.

    ``lines`` follows :data:`shadowlens.parsers.base.LINES_SCHEMA` without the
    blank lines; ``bad_utf8`` lists the ``source_line`` numbers that needed
    lossy decoding; ``too_long`` those cut at :data:`MAX_LINE_BYTES`.
    """

    lines: pl.DataFrame
    total: int
    blank: int
    nbytes: int
    bad_utf8: pl.Series
    too_long: pl.Series


def iter_raw_chunks(stream: BinaryIO, chunk_bytes: int = DEFAULT_CHUNK_BYTES) -> Iterator[RawChunk]:
    """Yield blocks of whole lines of about ``chunk_bytes`` each."""
    pending = b""
    offset = 0
    line = 1
    first = True
    while True:
        try:
            block = stream.read(chunk_bytes)
        except (OSError, EOFError, ValueError) as exc:
            msg = f"read failed after byte {offset + len(pending)} (line {line}): {exc}"
            raise InputError(msg) from exc
        if first:
            first = False
            if block.startswith(BOM):
                block = block[len(BOM) :]
                offset = len(BOM)
        if not block:
            if pending:
                yield RawChunk(pending, line, offset)
            return
        data = pending + block
        cut = data.rfind(b"\n") + 1
        if cut == 0 and len(data) < MAX_LINE_BYTES:
            pending = data
            continue
        if cut == 0:
            cut = len(data)  # a runaway line: hand it over whole, it will be quarantined
        piece, pending = data[:cut], data[cut:]
        yield RawChunk(piece, line, offset)
        line += piece.count(b"\n") + (0 if piece.endswith(b"\n") else 1)
        offset += len(piece)


def to_line_chunk(raw: RawChunk) -> LineChunk:
    """Split ``raw`` into lines with their numbers and byte offsets, drop blanks."""
    data = raw.data
    view = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(view == 10)
    ends = newlines if data.endswith(b"\n") else np.append(newlines, len(data))
    starts = (
        np.concatenate(([0], newlines[: len(ends) - 1] + 1))
        if len(ends)
        else np.array([], np.int64)
    )
    count = len(ends)

    text, bad_mask = _decode(data, ends)
    line_numbers = pl.Series(
        "source_line", np.arange(raw.first_line, raw.first_line + count, dtype=np.uint64)
    )
    offsets = pl.Series("source_offset", starts.astype(np.uint64) + np.uint64(raw.first_offset))
    line = text.str.strip_suffix("\n").str.strip_suffix("\r")
    frame = pl.DataFrame([line.alias("line"), line_numbers, offsets])
    lengths = (ends - starts).astype(np.int64)
    too_long = line_numbers.filter(pl.Series(lengths > MAX_LINE_BYTES))
    blank_mask = line.str.strip_chars(" \t\r\n\x00\x0b\x0c").str.len_bytes() == 0
    blank = int(blank_mask.sum())
    bad = (
        line_numbers.filter(bad_mask)
        if bad_mask is not None
        else pl.Series("source_line", [], pl.UInt64)
    )
    return LineChunk(
        lines=frame.filter(~blank_mask),
        total=count,
        blank=blank,
        nbytes=len(data),
        bad_utf8=bad,
        too_long=too_long,
    )


def _decode(data: bytes, ends: np.ndarray) -> tuple[pl.Series, pl.Series | None]:
    """The lines as a String series (each still ending in its newline) + lossy mask."""
    array = _binary_lines(data, ends)
    try:
        return pl.Series(array.cast(pa.large_string())), None
    except pa.ArrowInvalid:
        pass
    # Rare path: one C-level lossy decode of the whole chunk; newlines are ASCII,
    # so the line count is unchanged.
    fixed = data.decode("utf-8", errors="replace").encode("utf-8")
    fixed_view = np.frombuffer(fixed, dtype=np.uint8)
    fixed_newlines = np.flatnonzero(fixed_view == 10)
    fixed_ends = fixed_newlines if fixed.endswith(b"\n") else np.append(fixed_newlines, len(fixed))
    text = pl.Series(_binary_lines(fixed, fixed_ends).cast(pa.large_string()))
    original = pl.Series(array)
    bad = text.str.contains(_REPLACEMENT, literal=True) & ~original.bin.contains(
        _REPLACEMENT.encode()
    )
    return text, bad


def _binary_lines(data: bytes, ends: np.ndarray) -> pa.Array:
    count = len(ends)
    offsets = np.empty(count + 1, dtype=np.int64)
    offsets[0] = 0
    # Each value runs up to and including its newline; the next starts after it.
    offsets[1:] = np.minimum(ends + 1, len(data))
    return pa.LargeBinaryArray.from_buffers(
        pa.large_binary(), count, [None, pa.py_buffer(offsets), pa.py_buffer(data)]
    )
