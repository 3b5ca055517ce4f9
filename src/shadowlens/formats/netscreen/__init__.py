"""Juniper NetScreen / SSG (ScreenOS) key=value syslog: ``netscreen.toml`` + ``netscreen.lark`` (docs/format-decisions.md, "netscreen")."""

from shadowlens.plugins.specs import register_specs

register_formats = register_specs(__name__, "netscreen.toml")
