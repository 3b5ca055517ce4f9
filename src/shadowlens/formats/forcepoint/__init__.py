"""Forcepoint / Websense Web Security SIEM key=value log: ``forcepoint.toml`` + ``forcepoint.lark`` (decisions: docs/format-decisions.md, "forcepoint")."""

from shadowlens.plugins.specs import register_specs

register_formats = register_specs(__name__, "forcepoint.toml")
