"""W3C extended log format: ``w3c.toml`` + ``w3c.lark`` + ``w3c.py`` (the URL rebuild).

Decisions: docs/format-decisions.md, "W3C".
"""

from shadowlens.plugins.specs import register_specs

register_formats = register_specs(__name__, "w3c.toml")
