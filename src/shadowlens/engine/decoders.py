"""Byte-stream adapters under the line splitter: gzip members, text sniffing, UTF-16.

* :class:`GzipMembers` reads concatenated gzip members like ``gzip -d``: data
  after the last member that is not another member is ignored with a warning,
  and a stream that ends inside a member raises :class:`EOFError`.
* :func:`sniff_text` looks at the first bytes of a decompressed stream without
  losing them: binary data is named, UTF-16 (with a BOM, or plain ASCII text
  in UTF-16LE without one) is transcoded to UTF-8.

Examples
--------
>>> import gzip, io
>>> data = gzip.compress(b"a\\n") + gzip.compress(b"b\\n") + b"junk"
>>> warnings = []
>>> io.BufferedReader(GzipMembers(io.BytesIO(data), warnings)).read()
b'a\\nb\\n'
>>> warnings
['trailing data after gzip member 2 ignored (4+ bytes), as gzip -d does']
>>> stream, kind = sniff_text(io.BytesIO("héllo\\n".encode("utf-16")))
>>> kind, stream.read().decode()
('utf-16', 'héllo\\n')
"""

from __future__ import annotations

import codecs
import io
import lzma
import zipfile
import zlib
from typing import Any, BinaryIO, cast

from backports import zstd

#: Errors a decompressing reader raises on corrupt or truncated data.
READ_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    EOFError,
    ValueError,
    zlib.error,
    lzma.LZMAError,
    zstd.ZstdError,
    zipfile.BadZipFile,
)
_GZIP_MAGIC = b"\x1f\x8b"
_BLOCK = 1 << 16
#: Bytes looked at to tell text from binary.
SNIFF_BYTES = 8192
#: Above this share of control bytes or invalid UTF-8, a stream is binary.
BINARY_SHARE = 0.10
_TEXT_CONTROLS = frozenset(b"\t\n\r\x0b\x0c\x1b")


class GzipMembers(io.RawIOBase):
    """Decompressed bytes of every gzip member of ``raw``, one after the other.

    Parameters
    ----------
    raw
        The compressed stream.
    warnings
        Receives one message when trailing non-gzip data is ignored.
    """

    def __init__(self, raw: BinaryIO, warnings: list[str]) -> None:
        self._raw = raw
        self._warnings = warnings
        self._inflate = zlib.decompressobj(31)
        self._input = b""
        self._members = 1
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        while not self._done:
            if self._inflate.eof:
                self._next_member()
                continue
            if not self._input:
                self._input = self._raw.read(_BLOCK)
                if not self._input:
                    msg = f"gzip member {self._members} ends before its end marker (truncated)"
                    raise EOFError(msg)
            out = self._inflate.decompress(self._input, len(view))
            self._input = (
                self._inflate.unused_data if self._inflate.eof else self._inflate.unconsumed_tail
            )
            if out:
                view[: len(out)] = out
                return len(out)
        return 0

    def _next_member(self) -> None:
        rest = self._input
        while len(rest) < len(_GZIP_MAGIC):
            more = self._raw.read(_BLOCK)
            if not more:
                break
            rest += more
        if not rest:
            self._done = True
        elif rest.startswith(_GZIP_MAGIC):
            self._inflate = zlib.decompressobj(31)
            self._input = rest
            self._members += 1
        else:
            self._done = True
            if rest.strip(b"\x00"):  # zero padding (tape blocks) is ignored silently
                self._warnings.append(
                    f"trailing data after gzip member {self._members} ignored "
                    f"({len(rest)}+ bytes), as gzip -d does"
                )


class _Prefixed(io.RawIOBase):
    """``head`` followed by the rest of ``stream``: sniffed bytes are not lost.

    ``error`` (raised while reading the head) is raised once the head is served,
    so the lines before a corrupt spot are read and counted first.
    """

    def __init__(self, head: bytes, stream: BinaryIO, error: BaseException | None) -> None:
        self._head = head
        self._stream = stream
        self._error = error

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self._head:
            size = min(len(view), len(self._head))
            view[:size] = self._head[:size]
            self._head = self._head[size:]
            return size
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        # read1: one read of the stream below, so a failure part-way loses nothing.
        data = _read1(self._stream, len(view))
        view[: len(data)] = data
        return len(data)


def _read1(stream: BinaryIO, size: int) -> bytes:
    read1 = getattr(stream, "read1", None)
    return bytes(read1(size) if read1 is not None else stream.read(size))


class _Transcoded(io.RawIOBase):
    """The text of ``stream`` in ``encoding``, re-encoded as UTF-8."""

    def __init__(self, stream: BinaryIO, encoding: str) -> None:
        self._stream = stream
        self._decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
        self._pending = b""
        self._eof = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        while not self._pending and not self._eof:
            block = _read1(self._stream, _BLOCK)
            self._eof = not block
            self._pending = self._decoder.decode(block, final=self._eof).encode("utf-8")
        size = min(len(view), len(self._pending))
        view[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def classify(head: bytes) -> str:
    """``"utf-8"``, ``"utf-16"`` (BOM), ``"utf-16-le"`` (no BOM) or ``"binary"``.

    Examples
    --------
    >>> classify(b"CEF:0|a|b|1|2|n|3|\\n"), classify(b"\\x89PNG\\r\\n\\x1a\\n\\x00\\x00\\x00\\rIHDR")
    ('utf-8', 'binary')
    >>> classify("x=1\\n".encode("utf-16-le")), classify(b"")
    ('utf-16-le', 'utf-8')
    >>> classify(b"a log line\\n" * 4 + bytes(200)), classify(bytes(8192))
    ('utf-8', 'binary')
    """
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "binary"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if not head:
        return "utf-8"
    odd, even = head[1::2], head[0::2]
    if len(odd) >= 2 and odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    # NUL runs pad real logs (IIS after a crash): judge the bytes around them,
    # but a stream of almost nothing else (/dev/zero) is binary.
    solid = head.replace(b"\x00", b"")
    if len(solid) < BINARY_SHARE * len(head):
        return "binary"
    text = solid.decode("utf-8", errors="replace")
    if len(head) >= SNIFF_BYTES:
        text = text[:-1]  # the sample may end inside a character
    bad = text.count("\ufffd") + sum(1 for c in text if c < " " and ord(c) not in _TEXT_CONTROLS)
    return "binary" if bad > BINARY_SHARE * max(1, len(text)) else "utf-8"


def sniff_text(stream: BinaryIO) -> tuple[BinaryIO, str]:
    """The stream to read (UTF-8, transcoded when needed) and its kind (see :func:`classify`).

    The first :data:`SNIFF_BYTES` are read and given back in front of the rest,
    so nothing is consumed, even from a pipe.
    """
    head = b""
    error: BaseException | None = None
    while len(head) < SNIFF_BYTES:
        try:
            block = _read1(stream, SNIFF_BYTES - len(head))
        except READ_ERRORS as exc:
            error = exc
            break
        if not block:
            break
        head += block
    kind = classify(head)
    rest: BinaryIO = cast(BinaryIO, io.BufferedReader(_Prefixed(head, stream, error), _BLOCK))
    if kind in ("utf-16", "utf-16-le"):
        rest = cast(BinaryIO, io.BufferedReader(_Transcoded(rest, kind), _BLOCK))
    return rest, kind
