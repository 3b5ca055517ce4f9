"""Cisco Meraki syslog: ``meraki.toml`` + ``meraki.lark`` (decisions: docs/format-decisions.md, "meraki")."""

from shadowlens.plugins.specs import register_specs

register_formats = register_specs(__name__, "meraki.toml")
