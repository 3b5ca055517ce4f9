"""Spec-only plugins: register formats defined by ``.toml`` + ``.lark`` files, no Python.

A package that ships only specs registers them with one line in its
``__init__.py`` (and one entry point in ``pyproject.toml``)::

    register_formats = shadowlens.register_specs(__name__, "acme.toml")

The built-in formats use exactly this (``shadowlens/formats/*/__init__.py``).
Loose spec files (``--format-file``, ``--formats-dir``,
``SHADOWLENS_FORMATS_PATH``) become one :class:`SpecFilePlugin` each, named
``file:PATH``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

from shadowlens.errors import GrammarError, SpecError
from shadowlens.plugins.hookspecs import hookimpl

if TYPE_CHECKING:  # the contract imports polars: registering a spec must not
    from shadowlens.contract import LogFormat


def register_specs(package: str, *names: str) -> Callable[[], list[type[LogFormat]]]:
    """A ``register_formats`` hook implementation returning the formats of spec files.

    Parameters
    ----------
    package
        The importable package holding the specs (usually ``__name__``).
    names
        Spec file names inside ``package``; default: every ``*.toml`` in it.

    Examples
    --------
    >>> hook = register_specs("shadowlens.formats.cef")
    >>> [cls.name for cls in hook()]
    ['cef']
    """

    @hookimpl
    def register_formats() -> list[type[LogFormat]]:
        folder = Path(str(files(package)))
        paths = [folder / n for n in names] or sorted(folder.glob("*.toml"))
        if not paths:
            msg = f"package {package!r} holds no format spec (*.toml)"
            raise SpecError(msg, path=str(folder))
        return [format_from_file(p) for p in paths]

    register_formats.__doc__ = (
        f"Formats defined by the specs of {package} ({', '.join(names) or '*.toml'})."
    )
    return register_formats


def format_from_file(path: str | Path) -> type[LogFormat]:
    """Load, validate and compile one spec file into a format class.

    Raises
    ------
    SpecError, GrammarError
        Naming the spec or grammar file.
    """
    from shadowlens.parsers.specformat import spec_format
    from shadowlens.spec.model import load_spec

    spec = load_spec(path)
    try:
        return spec_format(spec)
    except GrammarError as exc:
        raise GrammarError(_grammar_message(str(exc), spec.grammar_path)) from exc


#: The last word of a regex engine (Rust ``regex``) inside a multi-line error.
_VERDICT = re.compile(r"^error: (.+)$")


def _grammar_message(message: str, grammar: Path) -> str:
    """One line naming the grammar file: Lark's first line, plus a regex engine's verdict.

    Examples
    --------
    >>> _grammar_message("rule start: regex cannot run (regex parse error:\\n 1: ...\\nerror: look-around is not supported\\n", Path("a.lark"))
    'a.lark: rule start: regex cannot run (regex parse error: look-around is not supported)'
    """
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    first = lines[0] if lines else "invalid grammar"
    verdict = next((m.group(1) for m in map(_VERDICT.match, lines[1:]) if m), None)
    if verdict:
        first = f"{first.rstrip(':( ')}: {verdict})"
    return first if str(grammar) in first else f"{grammar}: {first}"


def formats_from_paths(paths: Iterable[str | Path]) -> list[type[LogFormat]]:
    """Format classes of spec files and of every ``*.toml`` in folders (``--formats-dir``)."""
    return [format_from_file(spec) for item in paths for spec in spec_files(item)]


def spec_files(path: str | Path) -> list[Path]:
    """A spec file itself, or the ``*.toml`` files of a folder (sorted; none in an empty one).

    Raises
    ------
    SpecError
        When ``path`` does not exist.
    """
    path = Path(path)
    if path.is_dir():
        return sorted(p for p in path.glob("*.toml") if p.is_file())
    if path.exists():
        return [path]
    msg = "no such format spec file or folder"
    raise SpecError(msg, path=str(path))


class SpecFilePlugin:
    """The plugin of one loose spec file: compiled when created, so a broken spec or
    grammar fails at registration (never later, during detection).

    Parameters
    ----------
    path
        The spec file (``NAME.toml``; its grammar sits beside it).

    Raises
    ------
    SpecError, GrammarError
        Naming the spec or grammar file (and line, when known).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.format = format_from_file(self.path)

    @property
    def name(self) -> str:
        """The plugin name: ``file:`` and the path as given."""
        return f"file:{self.path}"

    @hookimpl
    def register_formats(self) -> list[type[LogFormat]]:
        """The one format of this spec file."""
        return [self.format]


__all__ = [
    "SpecFilePlugin",
    "format_from_file",
    "formats_from_paths",
    "register_specs",
    "spec_files",
]
