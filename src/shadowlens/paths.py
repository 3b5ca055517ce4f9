"""Checks of the paths a user gives, at the command boundary, so that the conditions a user
can fix (an output that is a file, a full disk, a Parquet part left broken by a crash) are
reported with the path and their code from the exit-code table, not as internal errors.

Examples
--------
>>> import errno, tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> check_output_dir(d / "new" / "out")  # missing folders are fine: they will be created
>>> (d / "file").write_text("x")
1
>>> check_output_dir(d / "file")
Traceback (most recent call last):
...
shadowlens.errors.ConfigError: .../file: the output path is a file, not a folder; choose another -o
>>> type(os_error(OSError(errno.ENOSPC, "No space left on device"), d / "f")).__name__
'OutputError'
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from shadowlens.errors import ConfigError, InputError, OutputError, ShadowlensError

#: errno values that mean "the output cannot be written", whatever the path
_OUTPUT_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS})


def check_output_dir(path: Path) -> None:
    """Check that ``path`` is, or can be created as, a writable folder.

    Raises
    ------
    ConfigError
        ``path`` (or a folder above it) is a file: a wrong ``-o`` (exit 2).
    OutputError
        The folder cannot be written for lack of permission (exit 5).
    """
    if path.exists() and not path.is_dir():
        msg = f"{path}: the output path is a file, not a folder; choose another -o"
        raise ConfigError(msg)
    parent = path
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        msg = f"{path}: the output path is under a file ({parent}); choose another -o"
        raise ConfigError(msg)
    if not os.access(parent, os.W_OK | os.X_OK):
        msg = f"{path}: cannot write the output folder: no permission on {parent}"
        raise OutputError(msg)


def os_error(
    exc: OSError, path: Path | str | None = None, *, writing: bool = True
) -> ShadowlensError:
    """The :class:`ShadowlensError` for ``exc``, naming ``exc.filename`` or else ``path``.

    A full disk, a quota, a file too large or a read-only file system is an
    :class:`OutputError`; a symlink loop an :class:`InputError`; anything else follows
    ``writing``.
    """
    where = exc.filename if exc.filename is not None else path
    prefix = f"{where}: " if where is not None else ""
    reason = exc.strerror or str(exc)
    if exc.errno == errno.ELOOP:
        return InputError(f"{prefix}symlink loop")
    if exc.errno in _OUTPUT_ERRNOS or writing:
        return OutputError(f"{prefix}cannot write: {reason}")
    return InputError(f"{prefix}cannot read: {reason}")


def classify_os_error(exc: OSError, path: Path | str | None = None) -> ShadowlensError | None:
    """The error for an ``OSError`` that is the user's to fix wherever it happened (a full
    disk, a read-only file system, a symlink loop), or None (then it is a bug).

    ``path`` is named when the error does not name a file (pyarrow's write errors).
    """
    if exc.errno in _OUTPUT_ERRNOS or exc.errno == errno.ELOOP:
        return os_error(exc, path, writing=exc.errno != errno.ELOOP)
    return None


def check_parquet_parts(folder: Path) -> None:
    """Raise :class:`InputError` naming the first ``*.parquet`` file under ``folder`` that
    cannot be read (truncated by a crash or a full disk, or not Parquet at all)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    for part in sorted(folder.glob("*.parquet")):
        try:
            pq.read_metadata(part)
        except (OSError, pa.ArrowException) as exc:
            msg = f"{part}: unreadable Parquet part ({exc}); rerun the command that wrote it"
            raise InputError(msg) from exc
