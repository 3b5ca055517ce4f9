"""ArcSight CEF: ``cef.toml`` + ``cef.lark`` (decisions: docs/format-decisions.md, "CEF")."""

from shadowlens.plugins.specs import register_specs

register_formats = register_specs(__name__, "cef.toml")
