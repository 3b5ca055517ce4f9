"""The user's private cache: compiled format plans and Lark parser tables.

Compiling a format (loading its grammar with Lark, lowering rules into regexes)
costs tens of milliseconds per grammar, paid by every process. The results are
kept under ``$SHADOWLENS_CACHE_DIR``, else ``$XDG_CACHE_HOME/shadowlens``, else
``~/.cache/shadowlens``: a folder only the user can read or write (created with
mode 0700 and refused when it is not the user's own), because the entries are
pickles. ``SHADOWLENS_NO_CACHE=1`` turns the cache off. Entry names hash every
input they depend on, so an edit never reuses a stale entry.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import stat
import tempfile
from pathlib import Path
from typing import Any


def cache_dir(kind: str) -> Path | None:
    """The private folder for ``kind`` entries, created if needed; None when unusable."""
    if os.environ.get("SHADOWLENS_NO_CACHE"):
        return None
    if os.environ.get("SHADOWLENS_CACHE_DIR"):
        base = Path(os.environ["SHADOWLENS_CACHE_DIR"])
    elif os.environ.get("XDG_CACHE_HOME"):
        base = Path(os.environ["XDG_CACHE_HOME"]) / "shadowlens"
    else:
        base = Path.home() / ".cache" / "shadowlens"
    folder = base / kind
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = folder.stat()
    except OSError:
        return None
    # Never read pickles another user could have written.
    if info.st_uid != os.getuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return None
    return folder


def key(*parts: bytes | str) -> str:
    """A hex digest over ``parts`` (entry names)."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()[:40]


def load(kind: str, name: str) -> Any | None:
    """The cached object ``name``, or None (absent, unreadable or from another version)."""
    folder = cache_dir(kind)
    if folder is None:
        return None
    try:
        with open(folder / name, "rb") as fh:
            return pickle.load(fh)
    except Exception:
        return None


def store(kind: str, name: str, value: Any) -> None:
    """Keep ``value`` as ``name`` (written to a temporary file, then renamed: never half-written)."""
    folder = cache_dir(kind)
    if folder is None:
        return
    try:
        with tempfile.NamedTemporaryFile(dir=folder, delete=False, suffix=".tmp") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(fh.name, folder / name)
    except Exception:
        return
