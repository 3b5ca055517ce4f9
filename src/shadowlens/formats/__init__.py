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
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pydantic is imported when a spec is loaded, not to list the formats
    from shadowlens.spec.model import FormatSpec

#: The generic formats come first in registration (and detection tie-break) order.
_FIRST = ("cef", "w3c", "leef")


def _folders() -> tuple[str, ...]:
    """Every format folder of this package: one with an ``__init__.py`` and a spec.

    A new built-in format is a new folder (``cisco_asa/`` holding ``cisco-asa.toml``):
    nothing else to edit.
    """
    here = Path(__file__).parent
    found = sorted(
        p.name for p in here.iterdir() if (p / "__init__.py").is_file() and any(p.glob("*.toml"))
    )
    return (*(n for n in _FIRST if n in found), *(n for n in found if n not in _FIRST))


#: Built-in format folders (Python package names), in registration order.
BUILTIN: tuple[str, ...] = _folders()


def builtin_spec(name: str) -> FormatSpec:
    """The loaded spec of built-in format ``name`` (``cisco-asa`` lives in ``cisco_asa/``)."""
    from shadowlens.spec.model import load_spec

    folder = files(f"shadowlens.formats.{name.replace('-', '_')}")
    return load_spec(Path(str(folder / f"{name}.toml")))
