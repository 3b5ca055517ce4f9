"""Zscaler NSS web feed, CSV and TAB key=value: ``zscaler.toml`` + ``zscaler.lark`` (docs/format-decisions.md, "zscaler")."""

from shadowlens.plugins.specs import register_specs

register_formats = register_specs(__name__, "zscaler.toml")
