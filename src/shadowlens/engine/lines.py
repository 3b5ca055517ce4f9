"""Cut a byte stream into chunks of whole lines and turn each into a polars frame.

Memory is bounded by the chunk size, not the file size. Line boundaries are
found with numpy over the whole chunk and the Arrow string array is built on
the chunk's own buffer, so there is no Python work per line. LF, CRLF and a
lone CR all end a line (as Python's universal newlines do; CRLF is one end);
line endings and a leading UTF-8 BOM are removed; invalid UTF-8 is decoded
lossily (U+FFFD) and the affected lines are counted and flagged.

Chunks are bounded by bytes and by line count (:data:`MAX_CHUNK_LINES`): very
short lines would otherwise cost far more memory per chunk than their bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
import polars as pl
import pyarrow as pa

from shadowlens.engine.decoders import READ_ERRORS
from shadowlens.errors import InputError
from shadowlens.parsers.native import _native, native_enabled

BOM = b"\xef\xbb\xbf"
DEFAULT_CHUNK_BYTES = 16 * 1024 * 1024
#: A "line" longer than this (no newline in sight) is cut here and quarantined.
MAX_LINE_BYTES = 8 * 1024 * 1024
#: At most this many lines per chunk (a 16 MiB chunk of 2-byte lines would be 8M rows).
MAX_CHUNK_LINES = 256 * 1024
_CR, _LF = 13, 10
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


_READ_ERRORS = READ_ERRORS


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

    failure: list[InputError] = []
    read1 = getattr(stream, "read1", stream.read)

    def read() -> bytes:
        # read1 makes at most one raw read: a reader that fails part-way (a
        # truncated stream) then loses nothing, where read(n) would drop what it
        # had gathered. Lines in hand are yielded before the failure is raised.
        parts: list[bytes] = []
        size = 0
        while size < chunk_bytes and not failure:
            try:
                block = read1(chunk_bytes - size)
            except _READ_ERRORS as exc:
                error = InputError(f"{exc or type(exc).__name__} (corrupt or truncated file?)")
                error.__cause__ = exc
                failure.append(error)
                break
            if not block:
                break
            parts.append(block)
            size += len(block)
        return b"".join(parts)

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
            while pending:
                piece, pending = _cap_lines(pending)
                yield RawChunk(piece, line, offset)
                line += count_line_ends(piece) + (not piece.endswith((b"\n", b"\r")))
                offset += len(piece)
            if failure:
                msg = (
                    f"{name}: cannot read past byte {offset} (after line {line - 1}): {failure[0]}"
                )
                raise InputError(msg) from failure[0].__cause__
            return
        cut = _last_end(pending)
        if cut == 0:
            if len(pending) < MAX_LINE_BYTES:
                continue
            head, skipped, pending, eof = _skip_line(pending, read)
            yield RawChunk(head, line, offset, too_long=True)
            line += 1
            offset += skipped
            fresh = bool(pending)
            continue
        piece, rest = _cap_lines(pending[:cut])
        pending = rest + pending[cut:]
        # Lines held back by the line cap are complete: cut them before reading more.
        fresh = bool(rest)
        yield RawChunk(piece, line, offset)
        line += count_line_ends(piece)
        offset += len(piece)


def count_line_ends(data: bytes) -> int:
    """Line ends in ``data``: LF, CRLF and lone CR each count once.

    Examples
    --------
    >>> count_line_ends(b"a\\nb\\r\\nc\\rd")
    3
    """
    if _native is not None and native_enabled():  # one pass instead of three
        return int(_native.scan_line_ends(data, len(data))[0])
    return data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n")


def _last_end(pending: bytes) -> int:
    """Index just after the last line end of ``pending`` (0 when none is certain).

    A CR as the very last byte is not taken as an end: an LF may follow in the
    next read, and CRLF is one end.
    """
    lf = pending.rfind(b"\n")
    cr = pending.rfind(b"\r", lf + 1)  # a CR before the last LF does not matter
    if cr > lf and cr == len(pending) - 1:
        cr = pending.rfind(b"\r", 0, cr)
    return max(lf, cr) + 1


def _cap_lines(data: bytes) -> tuple[bytes, bytes]:
    """Split ``data`` after its :data:`MAX_CHUNK_LINES`-th line end: (head, rest)."""
    if _native is not None and native_enabled():
        count, cut = _native.scan_line_ends(data, MAX_CHUNK_LINES)
        return (data, b"") if count <= MAX_CHUNK_LINES else (data[:cut], data[cut:])
    if count_line_ends(data) <= MAX_CHUNK_LINES:
        return data, b""
    ends = _line_ends(np.frombuffer(data, dtype=np.uint8), data)
    cut = int(ends[MAX_CHUNK_LINES - 1]) + 1
    return data[:cut], data[cut:]


def _line_ends(view: np.ndarray, data: bytes) -> np.ndarray:
    """Positions of the last byte of every line end (the LF of a CRLF)."""
    lf = view == _LF
    if data.find(b"\r") < 0:
        return np.flatnonzero(lf)
    lone_cr = view == _CR
    lone_cr[:-1] &= ~lf[1:]
    return np.flatnonzero(lf | lone_cr)


def _skip_line(pending: bytes, read: Callable[[], bytes]) -> tuple[bytes, int, bytes, bool]:
    """Keep the head of a runaway line, read past its end: (head, bytes skipped, rest, eof)."""
    head = pending[:MAX_LINE_BYTES]
    skipped = len(pending)
    while True:
        block = read()
        if not block:
            return head, skipped, b"", True
        ends = [i for i in (block.find(b"\n"), block.find(b"\r")) if i >= 0]
        if not ends:
            skipped += len(block)
            continue
        end = min(ends) + 1
        if block[end - 1 : end + 1] == b"\r\n":
            end += 1
        elif end == len(block) and block.endswith(b"\r"):
            block += read()  # the LF of a CRLF may come in the next read
            if block[end : end + 1] == b"\n":
                end += 1
        return head, skipped + end, block[end:], False


def to_line_chunk(raw: RawChunk) -> LineChunk:
    """Split ``raw`` into lines with their numbers and byte offsets, drop blanks.

    The native core's ``cut_lines`` does it without copying a line (views over the
    chunk); chunks with invalid UTF-8 take the reference route below.
    """
    if native_enabled():
        chunk = _native_line_chunk(raw)
        if chunk is not None:
            return chunk
    return reference_line_chunk(raw)


def _native_line_chunk(raw: RawChunk) -> LineChunk | None:
    """:func:`to_line_chunk` by the native kernel; None when a line is not valid UTF-8."""
    assert _native is not None
    data = raw.data
    try:
        views, starts_b, ends_b, blank_b, bad_b = _native.cut_lines(data)
    except ValueError:  # a chunk of 4 GiB or more
        return None
    if bad_b:
        return None
    count = len(blank_b)
    text = pa.Array.from_buffers(
        pa.string_view(), count, [None, pa.py_buffer(views), pa.py_buffer(data)]
    )
    starts = np.frombuffer(starts_b, dtype=np.int64)
    ends = np.frombuffer(ends_b, dtype=np.int64)
    blank_mask = np.frombuffer(blank_b, dtype=np.bool_)
    line_numbers = pl.Series(
        "source_line", np.arange(raw.first_line, raw.first_line + count, dtype=np.uint64)
    )
    offsets = pl.Series("source_offset", starts.astype(np.uint64) + np.uint64(raw.first_offset))
    frame = pl.DataFrame([pl.Series("line", text), line_numbers, offsets])
    too_long = line_numbers.filter(pl.Series((ends - starts > MAX_LINE_BYTES) | raw.too_long))
    blank = int(blank_mask.sum())
    return LineChunk(
        lines=frame.filter(pl.Series(~blank_mask)) if blank else frame,
        total=count,
        blank=blank,
        nbytes=len(data),
        bad_utf8=pl.Series("source_line", [], pl.UInt64),
        too_long=too_long,
    )


def reference_line_chunk(raw: RawChunk) -> LineChunk:
    """:func:`to_line_chunk` with numpy and polars (lossy UTF-8 decoding; the reference)."""
    data = raw.data
    ends = _ends(data)
    starts = (
        np.concatenate(([0], ends[: len(ends) - 1] + 1)) if len(ends) else np.array([], np.int64)
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
    # Rare path: one C-level lossy decode of the whole chunk; CR and LF are ASCII,
    # so the line count is unchanged.
    fixed = data.decode("utf-8", errors="replace").encode("utf-8")
    text = pl.Series(_binary_lines(fixed, _ends(fixed)).cast(pa.large_string()))
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


def _ends(data: bytes) -> np.ndarray:
    """Where each line of ``data`` ends: its last end byte, or ``len(data)`` for an open last line."""
    ends = _line_ends(np.frombuffer(data, dtype=np.uint8), data)
    if data and (not len(ends) or ends[-1] != len(data) - 1):
        ends = np.append(ends, len(data))
    return ends


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
