"""The upload manifest: which exported files exist and how Defender should read them.

The exporter writes ``manifest.json`` next to the files it produces; the upload client
reads it. Paths are relative to the manifest's folder and use ``/`` separators.

.. code-block:: json

    {"version": 1, "files": [{"path": "cef-0001.log.gz", "source": "GENERIC_CEF",
      "lines": 123, "bytes": 4567, "sha256": "...",
      "first_time": "2026-11-01T00:00:00Z", "last_time": "2026-11-01T23:59:59Z"}],
     "skipped_untimed": 0}

``skipped_untimed`` counts the records left out because they have no event time
(Defender needs one); it is optional when read (default 0). Unknown keys are ignored so that a newer exporter can add fields; missing or mistyped
known keys raise :class:`~shadowlens.errors.ConfigError`.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from shadowlens.errors import ConfigError, InputError

__all__ = [
    "MANIFEST_NAME",
    "MANIFEST_VERSION",
    "Manifest",
    "ManifestFile",
    "load_manifest",
    "save_manifest",
]

MANIFEST_NAME = "manifest.json"
"""File name of the manifest inside an upload folder."""

MANIFEST_VERSION = 1
"""The only manifest version this module reads and writes."""

_SOURCE_RE = re.compile(r"[A-Z][A-Z0-9_]{0,63}")
_SHA256_RE = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class ManifestFile:
    """One exported log file.

    Parameters
    ----------
    path
        Location relative to the manifest's folder, ``/``-separated, no ``..``.
    source
        The Defender ``source`` code for the upload API, e.g. ``GENERIC_CEF``.
    lines
        Number of log lines in the (uncompressed) file.
    bytes
        Size of the file on disk, in bytes.
    sha256
        Lower-case hex SHA-256 of the file on disk.
    first_time, last_time
        Time range of the events (timezone-aware UTC); ``None`` only for empty files.
    """

    path: str
    source: str
    lines: int
    bytes: int
    sha256: str
    first_time: datetime | None = None
    last_time: datetime | None = None

    def __post_init__(self) -> None:
        _check_file(self)

    @property
    def name(self) -> str:
        """The file name without folders (what the upload API is told)."""
        return PurePosixPath(self.path).name

    def resolve(self, folder: Path) -> Path:
        """Return the file's location on disk given the manifest's folder."""
        return folder.joinpath(*PurePosixPath(self.path).parts)

    def to_json(self) -> dict[str, Any]:
        """Return the JSON object for this entry."""
        return {
            "path": self.path,
            "source": self.source,
            "lines": self.lines,
            "bytes": self.bytes,
            "sha256": self.sha256,
            "first_time": _format_time(self.first_time),
            "last_time": _format_time(self.last_time),
        }


@dataclass(frozen=True, slots=True)
class Manifest:
    """The list of files in an upload folder.

    Parameters
    ----------
    files
        The entries, in upload order. Paths must be unique.
    version
        Manifest format version; only :data:`MANIFEST_VERSION` is supported.
    skipped_untimed
        Records the export left out because they have no event time.
    """

    files: tuple[ManifestFile, ...] = field(default_factory=tuple)
    version: int = MANIFEST_VERSION
    skipped_untimed: int = 0

    def __post_init__(self) -> None:
        if self.version != MANIFEST_VERSION:
            msg = f"unsupported manifest version {self.version!r} (expected {MANIFEST_VERSION})"
            raise ConfigError(msg)
        if self.skipped_untimed < 0:
            msg = f"'skipped_untimed' must not be negative, not {self.skipped_untimed}"
            raise ConfigError(msg)
        seen: set[str] = set()
        for entry in self.files:
            if entry.path in seen:
                msg = f"manifest lists {entry.path!r} twice"
                raise ConfigError(msg)
            seen.add(entry.path)

    def to_json(self) -> dict[str, Any]:
        """Return the JSON document for this manifest."""
        return {
            "version": self.version,
            "files": [f.to_json() for f in self.files],
            "skipped_untimed": self.skipped_untimed,
        }

    @classmethod
    def from_json(cls, data: object, *, origin: str = "manifest") -> Manifest:
        """Build a manifest from decoded JSON, validating every field.

        Parameters
        ----------
        data
            The decoded JSON document.
        origin
            Name used in error messages (usually the file path).

        Raises
        ------
        ConfigError
            If the document does not follow the manifest contract.
        """
        if not isinstance(data, Mapping):
            msg = f"{origin}: expected a JSON object at the top level"
            raise ConfigError(msg)
        version = data.get("version")
        if version != MANIFEST_VERSION or isinstance(version, bool):
            msg = (
                f"{origin}: unsupported manifest version {version!r} (expected {MANIFEST_VERSION})"
            )
            raise ConfigError(msg)
        raw_files = data.get("files")
        if not isinstance(raw_files, Sequence) or isinstance(raw_files, str):
            msg = f"{origin}: 'files' must be a list"
            raise ConfigError(msg)
        skipped = data.get("skipped_untimed", 0)
        if not isinstance(skipped, int) or isinstance(skipped, bool):
            msg = f"{origin}: 'skipped_untimed' must be an integer"
            raise ConfigError(msg)
        files = []
        for index, raw in enumerate(raw_files):
            where = f"{origin}: files[{index}]"
            try:
                files.append(_file_from_json(raw, where))
            except ConfigError as err:
                if str(err).startswith(where):
                    raise
                msg = f"{where}: {err}"
                raise ConfigError(msg) from None
        try:
            return cls(files=tuple(files), version=MANIFEST_VERSION, skipped_untimed=skipped)
        except ConfigError as err:
            msg = f"{origin}: {err}"
            raise ConfigError(msg) from None


def load_manifest(path: Path) -> Manifest:
    """Read and validate a manifest.

    Parameters
    ----------
    path
        The ``manifest.json`` file, or the folder that holds it.

    Raises
    ------
    InputError
        If the file is missing or unreadable.
    ConfigError
        If it is not valid JSON or breaks the contract.
    """
    if path.is_dir():
        path = path / MANIFEST_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        msg = f"no manifest at {str(path)!r} (run 'shadowlens export' first)"
        raise InputError(msg) from None
    except (OSError, UnicodeDecodeError) as err:
        msg = f"cannot read manifest {str(path)!r}: {err}"
        raise InputError(msg) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        msg = f"{path}: invalid JSON at line {err.lineno} column {err.colno}: {err.msg}"
        raise ConfigError(msg) from None
    return Manifest.from_json(data, origin=str(path))


def save_manifest(manifest: Manifest, path: Path) -> Path:
    """Write a manifest atomically (temporary file, then rename).

    Parameters
    ----------
    manifest
        What to write.
    path
        The target file, or a folder (then ``manifest.json`` inside it).

    Returns
    -------
    Path
        The file written.
    """
    if path.is_dir():
        path = path / MANIFEST_NAME
    text = json.dumps(manifest.to_json(), indent=2, ensure_ascii=False) + "\n"
    write_text_atomic(path, text)
    return path


def write_text_atomic(path: Path, text: str) -> None:
    """Write UTF-8 text to ``path`` so readers never see a half-written file."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _file_from_json(raw: object, where: str) -> ManifestFile:
    if not isinstance(raw, Mapping):
        msg = f"{where}: expected an object"
        raise ConfigError(msg)
    missing = [k for k in ("path", "source", "lines", "bytes", "sha256") if k not in raw]
    if missing:
        msg = f"{where}: missing key(s) {', '.join(map(repr, missing))}"
        raise ConfigError(msg)
    for key in ("path", "source", "sha256"):
        if not isinstance(raw[key], str):
            msg = f"{where}: {key!r} must be a string"
            raise ConfigError(msg)
    for key in ("lines", "bytes"):
        if not isinstance(raw[key], int) or isinstance(raw[key], bool):
            msg = f"{where}: {key!r} must be an integer"
            raise ConfigError(msg)
    return ManifestFile(
        path=raw["path"],
        source=raw["source"],
        lines=raw["lines"],
        bytes=raw["bytes"],
        sha256=raw["sha256"],
        first_time=_parse_time(raw.get("first_time"), f"{where}: 'first_time'"),
        last_time=_parse_time(raw.get("last_time"), f"{where}: 'last_time'"),
    )


def _check_file(entry: ManifestFile) -> None:
    pure = PurePosixPath(entry.path)
    if (
        not entry.path
        or "\\" in entry.path
        or pure.is_absolute()
        or ".." in pure.parts
        or entry.path.endswith("/")
        or any(ord(ch) < 32 for ch in entry.path)
    ):
        msg = f"path {entry.path!r} must be a relative '/'-separated file path without '..'"
        raise ConfigError(msg)
    if not _SOURCE_RE.fullmatch(entry.source):
        msg = f"source {entry.source!r} is not a Defender source code such as 'GENERIC_CEF'"
        raise ConfigError(msg)
    if entry.lines < 0 or entry.bytes < 0:
        msg = f"{entry.path!r}: 'lines' and 'bytes' must not be negative"
        raise ConfigError(msg)
    if not _SHA256_RE.fullmatch(entry.sha256):
        msg = f"{entry.path!r}: 'sha256' must be 64 lower-case hex digits"
        raise ConfigError(msg)
    for name, value in (("first_time", entry.first_time), ("last_time", entry.last_time)):
        if value is not None and value.utcoffset() is None:
            msg = f"{entry.path!r}: {name!r} must be timezone-aware"
            raise ConfigError(msg)
    if entry.first_time and entry.last_time and entry.first_time > entry.last_time:
        msg = f"{entry.path!r}: 'first_time' is after 'last_time'"
        raise ConfigError(msg)


def _parse_time(value: object, where: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        msg = f"{where} must be an ISO-8601 string or null"
        raise ConfigError(msg)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        msg = f"{where}: {value!r} is not an ISO-8601 time such as '2026-11-01T00:00:00Z'"
        raise ConfigError(msg) from None
    if parsed.tzinfo is None:
        msg = f"{where}: {value!r} has no timezone (add 'Z' for UTC)"
        raise ConfigError(msg)
    return parsed.astimezone(UTC)


def _format_time(value: datetime | None) -> str | None:
    if value is None:
        return None
    text = value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return text
