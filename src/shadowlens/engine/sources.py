"""Find input files and open them as decompressed byte streams.

Compression is recognised by magic bytes, not by file name: gzip, bzip2, xz,
zstandard and zip (every member is a source of its own, named
``archive.zip!/member``). Archives are only read, never extracted to disk.

Examples
--------
>>> import gzip, pathlib, tempfile
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "a.log.gz").write_bytes(gzip.compress(b"hello\\n"))
>>> [s.name.endswith("a.log.gz") for s in discover([str(d)])]
[True]
>>> with discover([str(d)])[0].open() as opened:
...     opened.stream.read()
b'hello\\n'
"""

from __future__ import annotations

import bz2
import glob
import gzip
import io
import lzma
import os
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, cast

import zstandard

from shadowlens.errors import InputError

_MAGIC = {
    b"\x1f\x8b": "gzip",
    b"BZh": "bzip2",
    b"\xfd7zXZ\x00": "xz",
    b"\x28\xb5\x2f\xfd": "zstd",
    b"PK\x03\x04": "zip",
    b"PK\x05\x06": "zip",
}


def sniff(head: bytes) -> str | None:
    """The compression named by the first bytes of a file, or None for plain data."""
    for magic, kind in _MAGIC.items():
        if head.startswith(magic):
            return kind
    return None


@dataclass
class Opened:
    """An open source: the decompressed ``stream`` and the raw file it reads."""

    stream: BinaryIO
    raw: BinaryIO
    archive: zipfile.ZipFile | None = None

    def position(self) -> int:
        """Bytes of the on-disk file consumed so far (0 for zip members)."""
        if self.archive is not None:
            return 0
        try:
            return self.raw.tell()
        except (OSError, ValueError):
            return 0

    def close(self) -> None:
        """Close the stream, the raw file and the archive."""
        for closable in (self.stream, self.raw, self.archive):
            if closable is not None:
                closable.close()

    def __enter__(self) -> Opened:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class Source:
    """One logical log file: a plain or compressed file, or one member of a zip."""

    name: str
    path: Path
    member: str | None = None
    size: int = 0

    def open(self) -> Opened:
        """Open the decompressed byte stream."""
        archive = None
        try:
            if self.member is None:
                raw: BinaryIO = open(self.path, "rb")  # noqa: SIM115 - closed by Opened
            else:
                archive = zipfile.ZipFile(self.path)
                raw = archive.open(self.member)  # type: ignore[assignment]
            buffered = (
                raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(cast(Any, raw))
            )
            return Opened(_decompress(buffered), raw, archive)
        except (OSError, zipfile.BadZipFile, lzma.LZMAError, zstandard.ZstdError) as exc:
            msg = f"{self.name}: cannot open: {exc}"
            raise InputError(msg) from exc
        except (RuntimeError, NotImplementedError) as exc:  # zipfile: encrypted, unknown method
            msg = f"{self.name}: cannot open the zip member: {exc} (not supported: unpack it first)"
            raise InputError(msg) from exc


def _decompress(stream: io.BufferedReader[Any]) -> BinaryIO:
    kind = sniff(stream.peek(8)[:8])
    if kind == "gzip":
        return gzip.GzipFile(fileobj=stream)  # type: ignore[return-value]
    if kind == "bzip2":
        return cast(BinaryIO, bz2.BZ2File(stream))
    if kind == "xz":
        return cast(BinaryIO, lzma.LZMAFile(stream))
    if kind == "zstd":
        return cast(
            BinaryIO, zstandard.ZstdDecompressor().stream_reader(stream, read_across_frames=True)
        )
    return stream


def discover(inputs: Sequence[str]) -> list[Source]:
    """Expand files, directories (recursively) and glob patterns into sources.

    Hidden files (``.name``) inside directories are skipped; a path that does not
    exist and matches no glob raises :class:`InputError`.
    """
    sources: list[Source] = []
    seen: set[Path] = set()
    for spec in inputs:
        for path in _expand(spec):
            try:
                resolved = path.resolve()
            except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop (Python 3.11)
                msg = f"{path}: cannot resolve: {exc}"
                raise InputError(msg) from exc
            if resolved in seen:
                continue
            seen.add(resolved)
            sources.extend(_sources_of(path))
    return sources


def _expand(spec: str) -> Iterator[Path]:
    path = Path(spec)
    if path.is_dir():
        for root, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                if not name.startswith("."):
                    yield Path(root) / name
        return
    if path.is_file():
        yield path
        return
    matches = sorted(glob.glob(spec, recursive=True))
    if not matches:
        msg = f"{spec}: no such file, directory or matching glob"
        raise InputError(msg)
    for match in matches:
        yield from _expand(match) if Path(match).is_dir() else iter([Path(match)])


def _sources_of(path: Path) -> list[Source]:
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
        size = path.stat().st_size
    except OSError as exc:
        msg = f"{path}: cannot read: {exc}"
        raise InputError(msg) from exc
    if sniff(head) != "zip":
        return [Source(str(path), path, None, size)]
    try:
        with zipfile.ZipFile(path) as archive:
            members = [info for info in archive.infolist() if not info.is_dir()]
    except zipfile.BadZipFile as exc:
        msg = f"{path}: not a readable zip archive: {exc}"
        raise InputError(msg) from exc
    return [
        Source(f"{path}!/{info.filename}", path, info.filename, info.compress_size)
        for info in sorted(members, key=lambda i: i.filename)
    ]
