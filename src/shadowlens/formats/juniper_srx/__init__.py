"""Juniper SRX (Junos) RT_FLOW / RT_UTM syslog: ``juniper-srx.toml`` + ``juniper-srx.lark`` (docs/format-decisions.md, "juniper-srx")."""

from shadowlens.plugins.specs import register_specs

register_formats = register_specs(__name__, "juniper-srx.toml")
