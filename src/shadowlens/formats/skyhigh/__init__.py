"""Skyhigh / McAfee Web Gateway key="value" log: ``skyhigh.toml`` + ``skyhigh.lark`` (decisions: docs/format-decisions.md, "skyhigh")."""

from shadowlens.plugins.specs import register_specs

register_formats = register_specs(__name__, "skyhigh.toml")
