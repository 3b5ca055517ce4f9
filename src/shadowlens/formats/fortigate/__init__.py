"""Fortinet FortiGate key=value: ``fortigate.toml`` + ``fortigate.lark`` (decisions: docs/format-decisions.md, "fortigate")."""

from shadowlens.plugins.specs import register_specs

register_formats = register_specs(__name__, "fortigate.toml")
