"""Cut a byte stream into chunks of whole lines and turn each into a polars frame.

Memory is bounded by the chunk size, not the file size. Line boundaries are
found with numpy over the whole chunk and the Arrow string array is built on
the chunk's own buffer, so there is no Python work per line. CRLF endings and a
leading UTF-8 BOM are removed; invalid UTF-8 is decoded lossily (U+FFFD) and
the affected lines are counted and flagged.
"""

from __future__ import annotations

import lzma
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
import polars as pl
import pyarrow as pa
import zstandard

from shadowlens.errors import InputError

BOM = b"\xef\xbb\xbf"
DEFAULT_CHUNK_BYTES = 16 * 1024 * 1024
#: A "line" longer than this (no newline in sight) is cut here and quarantined.
MAX_LINE_BYTES = 8 * 1024 * 1024
_REPLACEMENT = "\ufffd"


@dataclass
class RawChunk:
    """Whole lines of bytes, where they start in the file, and the first line's number.

    ``too_long`` marks a chunk holding only the first :data:`MAX_LINE_BYTES` of
    one runaway line (the rest of that line was skipped, not kept in memory).
    """

    data: bytes
    first_line: int
    first_offset: int
    too_long: bool = False


@dataclass
class LineChunk:
    """A chunk ready for a format.

    ``lines`` follows :data:`shadowlens.parsers.base.LINES_SCHEMA` without the
    blank lines; ``bad_utf8`` lists the ``source_line`` numbers that needed
    lossy decoding; ``too_long`` those longer than :data:`MAX_LINE_BYTES`.
    """

    lines: pl.DataFrame
    total: int
    blank: int
    nbytes: int
    bad_utf8: pl.Series
    too_long: pl.Series


#: Errors a decompressing reader raises on corrupt or truncated data.
_READ_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    EOFError,
    ValueError,
    zlib.error,
    lzma.LZMAError,
    zstandard.ZstdError,
    zipfile.BadZipFile,
)


def iter_raw_chunks(
    stream: BinaryIO,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    *,
    name: str = "<stream>",
    first_line: int = 1,
    first_offset: int = 0,
) -> Iterator[RawChunk]:
    """Yield blocks of whole lines of about ``chunk_bytes`` each.

    A leading UTF-8 BOM is dropped (its bytes still count in the offsets). A line
    longer than :data:`MAX_LINE_BYTES` is yielded alone, cut to that length and
    marked ``too_long``; the rest of it is read and skipped.

    ``stream`` may be a byte range of a file that starts at a line boundary:
    ``first_line`` and ``first_offset`` then number its lines and offsets as in the
    whole file (a BOM is only looked for at offset 0).

    Raises
    ------
    InputError
        The stream cannot be read or decompressed; the message names ``name``.
    """
    offset = first_offset
    line = first_line
    pending = b""

    def read() -> bytes:
        try:
            return stream.read(chunk_bytes)
        except _READ_ERRORS as exc:
            msg = (
                f"{name}: cannot read past byte {offset + len(pending)} (after line {line - 1}): "
                f"{exc or type(exc).__name__} (corrupt or truncated file?)"
            )
            raise InputError(msg) from exc

    eof = False
    while len(pending) < len(BOM):
        block = read()
        if not block:
            eof = True
            break
        pending += block
    if first_offset == 0 and pending.startswith(BOM):
        pending = pending[len(BOM) :]
        offset = len(BOM)
    fresh = bool(pending)  # the first block is already in hand: do not read another yet
    while True:
        if fresh:
            fresh = False
        elif not eof:
            block = read()
            if block:
                pending += block
            else:
                eof = True
        if eof:
            if pending:
                yield RawChunk(pending, line, offset)
            return
        cut = pending.rfind(b"\n") + 1
        if cut == 0:
            if len(pending) < MAX_LINE_BYTES:
                continue
            head, skipped, pending, eof = _skip_line(pending, read)
            yield RawChunk(head, line, offset, too_long=True)
            line += 1
            offset += skipped
            continue
        piece, pending = pending[:cut], pending[cut:]
        yield RawChunk(piece, line, offset)
        line += piece.count(b"\n")
        offset += len(piece)


def _skip_line(pending: bytes, read: Callable[[], bytes]) -> tuple[bytes, int, bytes, bool]:
    """Keep the head of a runaway line, read past its end: (head, bytes skipped, rest, eof)."""
    head = pending[:MAX_LINE_BYTES]
    skipped = len(pending)
    while True:
        block = read()
        if not block:
            return head, skipped, b"", True
        newline = block.find(b"\n")
        if newline >= 0:
            return head, skipped + newline + 1, block[newline + 1 :], False
        skipped += len(block)


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
    too_long = line_numbers.filter(pl.Series((lengths > MAX_LINE_BYTES) | raw.too_long))
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
    replaced = text.str.contains(_REPLACEMENT, literal=True)
    literal = original.bin.contains(_REPLACEMENT.encode())
    bad = replaced & ~literal
    # A line holding a real U+FFFD *and* invalid bytes: decide by a strict decode (rare).
    ambiguous = (replaced & literal).arg_true()
    if ambiguous.len():
        flags = [not _is_utf8(v) for v in original.gather(ambiguous).to_list()]
        bad = bad.scatter(ambiguous, flags)
    return text, bad


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _binary_lines(data: bytes, ends: np.ndarray) -> pa.Array:
    count = len(ends)
    offsets = np.empty(count + 1, dtype=np.int64)
    offsets[0] = 0
    # Each value runs up to and including its newline; the next starts after it.
    offsets[1:] = np.minimum(ends + 1, len(data))
    return pa.LargeBinaryArray.from_buffers(
        pa.large_binary(), count, [None, pa.py_buffer(offsets), pa.py_buffer(data)]
    )
