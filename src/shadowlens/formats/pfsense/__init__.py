"""pfSense / OPNsense filterlog CSV: ``pfsense.toml`` + ``pfsense.lark`` (decisions: docs/format-decisions.md, "pfsense")."""

from shadowlens.plugins.specs import register_specs

register_formats = register_specs(__name__, "pfsense.toml")
