"""PAN-OS syslog CSV: ``paloalto.toml`` + ``paloalto.lark`` (decisions: docs/format-decisions.md, "paloalto")."""

from shadowlens.plugins.specs import register_specs

register_formats = register_specs(__name__, "paloalto.toml")
