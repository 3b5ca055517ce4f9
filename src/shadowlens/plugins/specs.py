"""Spec-only plugins: register formats defined by ``.toml`` + ``.lark`` files, no Python.

A package that ships only specs registers them with one line in its
``__init__.py`` (and one entry point in ``pyproject.toml``)::

    register_formats = shadowlens.register_specs(__name__, "acme.toml")

The built-in formats use exactly this (``shadowlens/formats/*/__init__.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from importlib.resources import files
from pathlib import Path

from shadowlens.contract import LogFormat
from shadowlens.errors import SpecError
from shadowlens.plugins.hookspecs import hookimpl


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

    return spec_format(load_spec(path))


def formats_from_paths(paths: Iterable[str | Path]) -> list[type[LogFormat]]:
    """Format classes of spec files and of every ``*.toml`` in folders (``--formats-dir``)."""
    found: list[type[LogFormat]] = []
    for item in paths:
        path = Path(item)
        if path.is_dir():
            specs = sorted(path.glob("*.toml"))
            found.extend(format_from_file(p) for p in specs)
        elif path.exists():
            found.append(format_from_file(path))
        else:
            msg = "no such format spec file or folder"
            raise SpecError(msg, path=str(path))
    return found


__all__ = ["format_from_file", "formats_from_paths", "register_specs"]
