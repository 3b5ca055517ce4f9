"""Check Point Log Exporter: ``checkpoint.toml`` + ``checkpoint.lark`` (decisions: docs/format-decisions.md, "checkpoint")."""

from shadowlens.plugins.specs import register_specs

register_formats = register_specs(__name__, "checkpoint.toml")
