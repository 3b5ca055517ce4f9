"""Write lines into numbered gzip files, none larger than a byte limit.

Each file is one gzip member holding one log (what Defender accepts). The writer
is fed whole batches (the bytes of many lines back to back plus their offsets)
and cuts them at line boundaries with ``numpy.searchsorted``; no Python runs per
line.

How the compressed limit is kept exactly: after each write the deflate stream is
flushed to a byte boundary (``Z_SYNC_FLUSH``), so the file size on disk is known;
the next write takes only as many bytes as could still fit if deflate did not
compress at all (its worst case is a few bytes per KiB over the input). Near the
limit the writes get smaller until no further line fits, then the file is closed.

Examples
--------
>>> import numpy as np, tempfile, gzip
>>> from pathlib import Path
>>> folder = Path(tempfile.mkdtemp())
>>> w = SplitGzipWriter(folder, name=lambda n: f"x-{n}.log.gz", source="GENERIC_CEF",
...                     max_bytes=1000, size_basis="uncompressed")
>>> w.add(memoryview(b"a\\n" * 800), np.arange(0, 1601, 2), np.zeros(800, dtype=np.int64))
>>> [(f.path, f.lines) for f in w.close()]
[('x-1.log.gz', 500), ('x-2.log.gz', 300)]
>>> gzip.decompress((folder / "x-2.log.gz").read_bytes()) == b"a\\n" * 300
True
"""

from __future__ import annotations

import hashlib
import os
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any, Literal

import numpy as np

from shadowlens.errors import ConfigError
from shadowlens.outputs.manifest import ManifestFile

__all__ = ["SplitGzipWriter"]

#: Bytes kept free for the gzip header and trailer, the final deflate block and a flush.
_RESERVE = 64
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class _Part:
    path: Path
    tmp: Path
    handle: IO[bytes]
    compressor: Any  # zlib.Compress has no public type
    sha: Any = field(default_factory=hashlib.sha256)
    raw: int = 0
    size: int = 0
    lines: int = 0
    first: int = 0
    last: int = 0


class SplitGzipWriter:
    """Numbered gzip files, each below ``max_bytes``.

    Parameters
    ----------
    folder
        Where the files go.
    name
        File name of part ``n`` (1-based).
    source
        Defender ``source`` code recorded in each manifest entry.
    max_bytes
        Size limit per file.
    size_basis
        ``compressed``: the ``.gz`` file's size; ``uncompressed``: the log inside.
    header
        Bytes that start every file, given the first line's time in epoch
        microseconds (for example a W3C ``#Fields`` block); not counted as lines.
    level
        zlib compression level.
    """

    def __init__(
        self,
        folder: Path,
        *,
        name: Callable[[int], str],
        source: str,
        max_bytes: int,
        size_basis: Literal["compressed", "uncompressed"] = "compressed",
        header: Callable[[int], bytes] | None = None,
        level: int = 6,
    ) -> None:
        if size_basis not in ("compressed", "uncompressed"):
            msg = f"size basis must be 'compressed' or 'uncompressed', not {size_basis!r}"
            raise ConfigError(msg)
        if max_bytes <= _RESERVE:
            msg = f"--max-bytes {max_bytes} is too small (more than {_RESERVE} bytes needed)"
            raise ConfigError(msg)
        self.folder = folder
        self.name = name
        self.source = source
        self.max_bytes = max_bytes
        self.size_basis = size_basis
        self.header = header
        self.level = level
        self.files: list[ManifestFile] = []
        self._part: _Part | None = None

    def add(self, data: memoryview, offsets: np.ndarray, times: np.ndarray) -> None:
        """Append lines: ``data[offsets[i]:offsets[i + 1]]`` is line ``i`` with its ``\\n``.

        ``times`` holds each line's event time in epoch microseconds.
        """
        count = len(times)
        pos = 0
        while pos < count:
            part = self._part or self._open(int(times[pos]))
            limit = int(offsets[pos]) + self._room(part)
            end = min(int(np.searchsorted(offsets, limit, side="right")) - 1, count)
            if end <= pos:
                if part.lines == 0:
                    size = int(offsets[pos + 1] - offsets[pos])
                    msg = (
                        f"a line of {size} bytes does not fit in a file of at most "
                        f"{self.max_bytes} bytes; raise --max-bytes"
                    )
                    raise ConfigError(msg)
                self._finish()
                continue
            self._write(part, data[int(offsets[pos]) : int(offsets[end])])
            chunk = times[pos:end]
            low, high = int(chunk.min()), int(chunk.max())
            part.first = low if part.lines == 0 else min(part.first, low)
            part.last = high if part.lines == 0 else max(part.last, high)
            part.lines += end - pos
            pos = end

    def close(self) -> list[ManifestFile]:
        """Finish the open file; return one manifest entry per file, in order."""
        if self._part is not None:
            self._finish()
        return list(self.files)

    def abort(self) -> None:
        """Drop the open file (after an error); finished files stay."""
        if self._part is not None:
            self._part.handle.close()
            self._part.tmp.unlink(missing_ok=True)
            self._part = None

    def _room(self, part: _Part) -> int:
        """Uncompressed bytes that surely still fit in ``part``."""
        if self.size_basis == "uncompressed":
            return self.max_bytes - part.raw
        free = self.max_bytes - part.size - _RESERVE
        return max(0, free - free // 512)

    def _open(self, first_us: int) -> _Part:
        path = self.folder / self.name(len(self.files) + 1)
        tmp = path.with_name(f".{path.name}.tmp")
        compressor = zlib.compressobj(self.level, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        part = _Part(path, tmp, tmp.open("wb"), compressor)
        self._part = part
        if self.header is not None:
            head = self.header(first_us)
            if len(head) > self._room(part):
                msg = f"--max-bytes {self.max_bytes} leaves no room for the file header"
                raise ConfigError(msg)
            self._write(part, memoryview(head))
        return part

    def _write(self, part: _Part, chunk: memoryview) -> None:
        out = part.compressor.compress(chunk) + part.compressor.flush(zlib.Z_SYNC_FLUSH)
        part.handle.write(out)
        part.sha.update(out)
        part.size += len(out)
        part.raw += len(chunk)

    def _finish(self) -> None:
        part = self._part
        assert part is not None
        tail = part.compressor.flush(zlib.Z_FINISH)
        part.handle.write(tail)
        part.sha.update(tail)
        part.size += len(tail)
        part.handle.close()
        limit = part.size if self.size_basis == "compressed" else part.raw
        if limit > self.max_bytes:  # pragma: no cover - guarded by _room
            msg = f"internal error: {part.path.name} has {limit} bytes, over {self.max_bytes}"
            raise RuntimeError(msg)
        os.replace(part.tmp, part.path)
        self.files.append(
            ManifestFile(
                path=part.path.name,
                source=self.source,
                lines=part.lines,
                bytes=part.size,
                sha256=part.sha.hexdigest(),
                first_time=_EPOCH + timedelta(microseconds=part.first) if part.lines else None,
                last_time=_EPOCH + timedelta(microseconds=part.last) if part.lines else None,
            )
        )
        self._part = None
