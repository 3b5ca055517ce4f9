"""The built-in formats: one folder per format, each a spec (``NAME.toml``) and a grammar.

Every folder is a plugin registered through the same hook as third-party
packages (:data:`shadowlens.plugins.manager.DEFAULT_PLUGINS`); its
``__init__.py`` is one line, :func:`shadowlens.register_specs`.

Examples
--------
>>> builtin_spec("cef").name
'cef'
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from shadowlens.spec.model import FormatSpec, load_spec

#: Built-in format folders, in registration (and detection tie-break) order.
BUILTIN = ("cef", "w3c", "leef")


def builtin_spec(name: str) -> FormatSpec:
    """The loaded spec of built-in format ``name``."""
    return load_spec(Path(str(files(f"shadowlens.formats.{name}") / f"{name}.toml")))
