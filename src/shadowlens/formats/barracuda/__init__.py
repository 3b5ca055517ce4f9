"""Barracuda WAF syslog: ``barracuda.toml`` + ``barracuda.lark`` (decisions: docs/format-decisions.md, "barracuda")."""

from shadowlens.plugins.specs import register_specs

register_formats = register_specs(__name__, "barracuda.toml")
