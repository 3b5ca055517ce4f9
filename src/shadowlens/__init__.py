"""shadowlens: offline Shadow-IT discovery from firewall and web-proxy logs.

Plugin authors need only this module: :data:`hookimpl`, :class:`LogFormat`,
:class:`GrammarFormat`, :class:`ParseOptions` and :class:`ParseResult`; a package
that ships only format specs registers them with :func:`register_specs`.
"""

from __future__ import annotations

__version__ = "0.1.0"

from shadowlens.errors import (
    ConfigError,
    ErrorCode,
    GrammarError,
    InputError,
    ParseError,
    PluginError,
    ShadowlensError,
    SpecError,
)
from shadowlens.parsers.base import GrammarFormat, LogFormat, ParseOptions, ParseResult
from shadowlens.plugins.hookspecs import hookimpl
from shadowlens.plugins.specs import register_specs
from shadowlens.schema import QUARANTINE_SCHEMA, RECORD_SCHEMA

__all__ = [
    "QUARANTINE_SCHEMA",
    "RECORD_SCHEMA",
    "ConfigError",
    "ErrorCode",
    "GrammarError",
    "GrammarFormat",
    "InputError",
    "LogFormat",
    "ParseError",
    "ParseOptions",
    "ParseResult",
    "PluginError",
    "ShadowlensError",
    "SpecError",
    "__version__",
    "hookimpl",
    "register_specs",
]
