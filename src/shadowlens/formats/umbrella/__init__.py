"""Cisco Umbrella proxy and DNS CSV logs: ``umbrella.toml`` + ``umbrella.lark`` (docs/format-decisions.md, "umbrella")."""

from shadowlens.plugins.specs import register_specs

register_formats = register_specs(__name__, "umbrella.toml")
