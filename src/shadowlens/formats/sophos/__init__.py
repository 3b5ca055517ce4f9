"""Sophos key=value (SFOS/XG, UTM, Web Appliance): ``sophos.toml`` + ``sophos.lark`` (decisions: docs/format-decisions.md, "sophos")."""

from shadowlens.plugins.specs import register_specs

register_formats = register_specs(__name__, "sophos.toml")
