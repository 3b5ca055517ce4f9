"""Find input files and open them as decompressed byte streams.

Compression is recognised by magic bytes, not by file name: gzip, bzip2, xz,
zstandard and zip (every member is a source of its own, named
``archive.zip!/member``, or ``archive.zip!/member#N`` when several members share
a name; ``N`` is the member's 1-based position in the archive). Archives are
only read, never extracted to disk.

Only regular files are read from directories and globs; FIFOs, devices and
sockets found there are skipped (a FIFO would block, ``/dev/zero`` never ends).
A FIFO named on the command line (``/dev/stdin``, ``<(gzip -c f)``) and ``-``
(standard input) are read as streams: the magic bytes are peeked, never
consumed. Directory symlinks are followed once (loops are cut); dangling
symlinks and symlink loops become sources that fail when opened, so one bad
path does not stop an archive.

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
import errno
import fnmatch
import glob
import io
import lzma
import os
import stat
import sys
import zipfile
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, cast

from backports import zstd

from shadowlens.engine.decoders import GzipMembers, sniff_text
from shadowlens.errors import InputError

#: The name of standard input as an input path, and as a source name.
STDIN = "-"
STDIN_NAME = "<stdin>"

_MAGIC = {
    b"\x1f\x8b": "gzip",
    b"BZh": "bzip2",
    b"\xfd7zXZ\x00": "xz",
    b"\x28\xb5\x2f\xfd": "zstd",
    b"PK\x03\x04": "zip",
    b"PK\x05\x06": "zip",
}
#: Buffer for stream sources: peeking at magic bytes must never consume input.
_BUFFER = 1 << 16


def sniff(head: bytes) -> str | None:
    """The compression named by the first bytes of a file, or None for plain data."""
    for magic, kind in _MAGIC.items():
        if head.startswith(magic):
            return kind
    return None


@dataclass
class Opened:
    """An open source: the decompressed ``stream`` and the raw file it reads.

    ``warnings`` collects what a reader recovered from (e.g. trailing garbage
    after the last gzip member); ``encoding`` is ``"utf-16"`` when the text was
    transcoded to UTF-8 (byte offsets are then those of the UTF-8 text).
    """

    stream: BinaryIO
    raw: BinaryIO
    archive: zipfile.ZipFile | None = None
    warnings: list[str] = field(default_factory=list)
    encoding: str = "utf-8"
    owns_archive: bool = True
    closes_raw: bool = True

    def position(self) -> int:
        """Bytes of the on-disk file consumed so far (0 for zip members and pipes)."""
        if self.archive is not None:
            return 0
        try:
            return self.raw.tell()
        except (OSError, ValueError):
            return 0

    def close(self) -> None:
        """Close the stream, the raw file and (unless shared) the archive."""
        self.stream.close()
        if self.closes_raw:
            self.raw.close()
        if self.archive is not None and self.owns_archive:
            self.archive.close()

    def __enter__(self) -> Opened:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Archives:
    """The zip archive being read, kept open across its members.

    Opening a :class:`zipfile.ZipFile` parses its whole central directory, so
    reopening it per member made a zip of ``n`` members cost ``n**2``.
    """

    def __init__(self) -> None:
        self._path: Path | None = None
        self._zip: zipfile.ZipFile | None = None

    def get(self, path: Path) -> zipfile.ZipFile:
        """The open archive at ``path`` (the previous one is closed)."""
        if self._zip is None or self._path != path:
            self.close()
            self._zip = zipfile.ZipFile(path)
            self._path = path
        return self._zip

    def close(self) -> None:
        """Close the open archive, if any."""
        if self._zip is not None:
            self._zip.close()
        self._zip, self._path = None, None


@dataclass(frozen=True)
class Source:
    """One logical log file: a plain or compressed file, one zip member, or a stream.

    ``index`` is the member's position in the zip's directory (names may repeat);
    ``stream`` marks a pipe or standard input (read once, never reopened);
    ``problem`` is why the path cannot be read at all (a dangling symlink, a
    symlink loop): opening it raises :class:`InputError` with that reason.
    """

    name: str
    path: Path
    member: str | None = None
    size: int = 0
    index: int | None = None
    stream: bool = False
    problem: str | None = None

    def open(self, archives: Archives | None = None) -> Opened:
        """Open the decompressed byte stream (``archives`` shares open zip files).

        Raises
        ------
        InputError
            The file cannot be opened or is not what its bytes claim; the
            message names the source.
        """
        if self.problem is not None:
            msg = f"{self.name}: {self.problem}"
            raise InputError(msg)
        archive = None
        try:
            if self.member is not None:
                archive = archives.get(self.path) if archives else zipfile.ZipFile(self.path)
                info = archive.infolist()[self.index] if self.index is not None else self.member
                raw: BinaryIO = archive.open(info)  # type: ignore[assignment]
            elif self.stream and str(self.path) == STDIN:
                raw = sys.stdin.buffer
            else:
                raw = open(self.path, "rb")  # noqa: SIM115 - closed by Opened
            buffered = io.BufferedReader(cast(Any, raw), _BUFFER)
            opened = Opened(buffered, raw, archive, owns_archive=archives is None)
            opened.closes_raw = raw is not sys.stdin.buffer
            try:
                opened.stream = _decompress(buffered, self, opened)
            except BaseException:
                opened.close()
                raise
            return opened
        except (OSError, zipfile.BadZipFile) as exc:
            msg = f"{self.name}: cannot open: {exc}"
            raise InputError(msg) from exc
        except (RuntimeError, NotImplementedError) as exc:  # zipfile: encrypted, unknown method
            msg = f"{self.name}: cannot open the zip member: {exc} (not supported: unpack it first)"
            raise InputError(msg) from exc


def _decompress(stream: io.BufferedReader, source: Source, opened: Opened) -> BinaryIO:
    kind = sniff(stream.peek(8)[:8])
    if kind == "gzip":
        decoded: BinaryIO = cast(
            BinaryIO, io.BufferedReader(GzipMembers(stream, opened.warnings), _BUFFER)
        )
    elif kind == "bzip2":
        decoded = cast(BinaryIO, bz2.BZ2File(stream))
    elif kind == "xz":
        decoded = cast(BinaryIO, lzma.LZMAFile(stream))  # noqa: SIM115 - closed by Opened
    elif kind == "zstd":
        decoded = cast(BinaryIO, zstd.ZstdFile(stream))
    elif kind == "zip":
        msg = f"{source.name}: a zip archive cannot be read from a pipe; name the file"
        raise InputError(msg)
    else:
        decoded = stream
    text, encoding = sniff_text(decoded)
    opened.encoding = encoding
    return text


def discover(inputs: Sequence[str]) -> list[Source]:
    """Expand files, directories (recursively), globs and ``-`` into sources.

    Hidden files (``.name``) inside directories are skipped; so are files that
    are not regular (:func:`discover_all` lists them too, with the reason).
    Paths that cannot be read (a dangling symlink, a loop) are kept: opening
    them raises :class:`InputError` naming the problem. A path that does not
    exist and matches no glob raises :class:`InputError`.
    """
    return [s for s in discover_all(inputs) if s.problem is None or not s.problem.startswith("-")]


def discover_all(inputs: Sequence[str]) -> list[Source]:
    """Like :func:`discover`, also listing non-regular files as sources whose
    ``problem`` starts with ``-`` (skipped, not failed).

    Raises
    ------
    InputError
        A named path does not exist and matches no glob.

    Examples
    --------
    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> os.mkfifo(os.path.join(d, "pipe"))
    >>> [(s.name.endswith("pipe"), s.problem) for s in discover_all([d])]
    [(True, '- not a regular file (FIFO)')]
    """
    sources: list[Source] = []
    seen: set[str] = set()
    for spec in inputs:
        for source in _expand(spec):
            key = source.name if source.problem or source.stream else _real(source.path)
            if key in seen:
                continue
            seen.add(key)
            sources.extend(_members(source))
    return sources


def skipped(source: Source) -> str | None:
    """Why ``source`` is skipped rather than read (None when it is read or fails)."""
    if source.problem is not None and source.problem.startswith("- "):
        return source.problem[2:]
    return None


def _real(path: Path) -> str:
    try:
        return str(path.resolve())
    except (OSError, RuntimeError):
        return str(path)


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISFIFO, "FIFO"),
        (stat.S_ISCHR, "character device"),
        (stat.S_ISBLK, "block device"),
        (stat.S_ISSOCK, "socket"),
        (stat.S_ISDIR, "directory"),
    ):
        if test(mode):
            return name
    return "special file"


def _expand(spec: str) -> Iterator[Source]:
    if spec == STDIN:
        yield Source(STDIN_NAME, Path(STDIN), stream=True)
        return
    path = Path(spec)
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        if os.path.lexists(path):  # a dangling symlink or a loop, named on purpose
            yield _broken(path, exc)
            return
        mode = None
    if mode is None:
        matches = sorted(_glob(spec))
        if not matches:
            msg = f"{spec}: no such file, directory or matching glob"
            raise InputError(msg)
        for match in matches:
            yield from _walk_entry(match, set())
        return
    if stat.S_ISDIR(mode):
        yield from _walk(path, set())
    elif stat.S_ISREG(mode):
        yield Source(str(path), path, size=path.stat().st_size)
    elif stat.S_ISFIFO(mode):
        yield Source(str(path), path, stream=True)  # named on purpose: <(cmd), /dev/stdin
    else:
        yield Source(str(path), path, problem=f"- not a regular file ({_kind(mode)})")


def _glob(spec: str) -> Iterator[Path]:
    """Matches of ``spec`` without following directory symlinks under ``**``.

    :func:`glob.glob` follows them, so two symlink loops make a recursive
    pattern explode; :meth:`pathlib.Path.glob` does not.
    """
    if not glob.has_magic(spec):
        return
    pattern = Path(spec)
    root = Path(pattern.anchor) if pattern.is_absolute() else Path()
    relative = str(pattern.relative_to(root)) if pattern.is_absolute() else spec
    # Like glob.glob, a wildcard does not match hidden names unless it starts with a dot.
    dotted = {part for part in Path(relative).parts if part.startswith(".")}
    try:
        for match in root.glob(relative):
            parts = match.relative_to(root).parts
            hidden = (p for p in parts if p.startswith("."))
            if all(any(fnmatch.fnmatchcase(p, d) for d in dotted) for p in hidden):
                yield match
    except (OSError, ValueError) as exc:
        msg = f"{spec}: bad glob: {exc}"
        raise InputError(msg) from exc


def _walk(folder: Path, visited: set[str]) -> Iterator[Source]:
    """Files of ``folder`` in name order, recursively; each real directory once."""
    real = _real(folder)
    if real in visited:
        return
    visited.add(real)
    try:
        entries = list(os.scandir(folder))
    except OSError as exc:
        yield _broken(folder, exc)
        return
    visible = [e for e in entries if not e.name.startswith(".")]
    # Files of a folder before its subfolders (the order of os.walk).
    for entry in sorted(visible, key=lambda e: (_is_dir(e), e.name)):
        yield from _walk_entry(Path(entry.path), visited)


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:  # a symlink loop: reported as a file that fails
        return False


def _walk_entry(path: Path, visited: set[str]) -> Iterator[Source]:
    try:
        mode = path.stat().st_mode  # follows symlinks: a symlinked folder is walked (once)
    except OSError as exc:
        yield _broken(path, exc)
        return
    if stat.S_ISDIR(mode):
        yield from _walk(path, visited)
    elif stat.S_ISREG(mode):
        yield Source(str(path), path, size=path.stat().st_size)
    else:
        yield Source(str(path), path, problem=f"- not a regular file ({_kind(mode)})")


def _broken(path: Path, exc: OSError) -> Source:
    if exc.errno == errno.ELOOP:
        reason = "symlink loop"
    elif exc.errno == errno.ENOENT and path.is_symlink():
        reason = f"dangling symlink (to {os.readlink(path)})"
    else:
        reason = f"cannot read: {exc.strerror or exc}"
    return Source(str(path), path, problem=reason)


def _members(source: Source) -> list[Source]:
    """A zip file's members as sources (the source itself for anything else)."""
    if source.problem is not None or source.stream:
        return [source]
    path = source.path
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        return [Source(source.name, path, problem=f"cannot read: {exc.strerror or exc}")]
    if sniff(head) != "zip":
        return [source]
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        return [Source(source.name, path, problem=f"not a readable zip archive: {exc}")]
    counts = Counter(info.filename for info in infos)
    members = []
    for index, info in enumerate(infos):
        if info.is_dir():
            continue
        label = info.filename + (f"#{index + 1}" if counts[info.filename] > 1 else "")
        members.append(
            Source(f"{path}!/{label}", path, info.filename, info.compress_size, index=index)
        )
    return sorted(members, key=lambda s: (s.member or "", s.index or 0))
