"""shadowlens: offline Shadow-IT discovery from firewall and web-proxy logs.

Scripts use :func:`parse` and :func:`run`, which return a :class:`Run` (records and
quarantine as polars LazyFrames, the summary as a dict). Plugin authors need only this
module: :data:`hookimpl`, :class:`LogFormat`, :class:`GrammarFormat`,
:class:`ParseOptions` and :class:`ParseResult`; a package that ships only format specs
registers them with :func:`register_specs`.

Names are imported on first use (module ``__getattr__``), so ``import shadowlens`` and
``shadowlens --version`` load neither polars nor pyarrow nor lark.
"""

from __future__ import annotations

import importlib as _importlib
import typing as _typing

__version__ = "0.1.0"

#: public name -> module that defines it
_WHERE = {
    "QUARANTINE_SCHEMA": "shadowlens.schema",
    "RECORD_SCHEMA": "shadowlens.schema",
    "ConfigError": "shadowlens.errors",
    "ErrorCode": "shadowlens.errors",
    "ExitCode": "shadowlens.errors",
    "GrammarError": "shadowlens.errors",
    "InputError": "shadowlens.errors",
    "OutputError": "shadowlens.errors",
    "ParseError": "shadowlens.errors",
    "PluginError": "shadowlens.errors",
    "ShadowlensError": "shadowlens.errors",
    "SpecError": "shadowlens.errors",
    "UploadError": "shadowlens.errors",
    "GrammarFormat": "shadowlens.parsers.base",
    "LogFormat": "shadowlens.parsers.base",
    "ParseOptions": "shadowlens.parsers.base",
    "ParseResult": "shadowlens.parsers.base",
    "Run": "shadowlens.api",
    "parse": "shadowlens.api",
    "run": "shadowlens.api",
    "hookimpl": "shadowlens.plugins.hookspecs",
    "register_specs": "shadowlens.plugins.specs",
}

__all__ = [
    "QUARANTINE_SCHEMA",
    "RECORD_SCHEMA",
    "ConfigError",
    "ErrorCode",
    "ExitCode",
    "GrammarError",
    "GrammarFormat",
    "InputError",
    "LogFormat",
    "OutputError",
    "ParseError",
    "ParseOptions",
    "ParseResult",
    "PluginError",
    "Run",
    "ShadowlensError",
    "SpecError",
    "UploadError",
    "__version__",
    "hookimpl",
    "parse",
    "register_specs",
    "run",
]

if _typing.TYPE_CHECKING:
    from shadowlens.api import Run, parse, run
    from shadowlens.errors import (
        ConfigError,
        ErrorCode,
        ExitCode,
        GrammarError,
        InputError,
        OutputError,
        ParseError,
        PluginError,
        ShadowlensError,
        SpecError,
        UploadError,
    )
    from shadowlens.parsers.base import GrammarFormat, LogFormat, ParseOptions, ParseResult
    from shadowlens.plugins.hookspecs import hookimpl
    from shadowlens.plugins.specs import register_specs
    from shadowlens.schema import QUARANTINE_SCHEMA, RECORD_SCHEMA


def __getattr__(name: str) -> _typing.Any:
    """Import a public name on first use (PEP 562)."""
    module = _WHERE.get(name)
    if module is None:
        msg = f"module 'shadowlens' has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(_importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
