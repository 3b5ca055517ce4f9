"""Cisco WSA access log: ``cisco-wsa.toml`` + ``cisco-wsa.lark`` (decisions: docs/format-decisions.md, "cisco-wsa")."""

from shadowlens.plugins.specs import register_specs

register_formats = register_specs(__name__, "cisco-wsa.toml")
