"""Squid access.log, native and common: ``squid.toml`` + ``squid.lark`` (decisions: docs/format-decisions.md, "squid")."""

from shadowlens.plugins.specs import register_specs

register_formats = register_specs(__name__, "squid.toml")
