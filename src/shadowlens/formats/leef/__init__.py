"""IBM QRadar LEEF 1.0/2.0 (and LEEF:0): ``leef.toml`` + ``leef.lark`` (docs/format-decisions.md, "LEEF")."""

from shadowlens.plugins.specs import register_specs

register_formats = register_specs(__name__, "leef.toml")
