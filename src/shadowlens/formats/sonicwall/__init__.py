"""SonicWall key=value: ``sonicwall.toml`` + ``sonicwall.lark`` (decisions: docs/format-decisions.md, "sonicwall")."""

from shadowlens.plugins.specs import register_specs

register_formats = register_specs(__name__, "sonicwall.toml")
