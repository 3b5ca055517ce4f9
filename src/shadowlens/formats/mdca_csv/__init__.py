"""The CSV of ``export --to mdca-custom``: ``mdca-csv.toml`` + ``mdca-csv.lark`` (decisions: docs/format-decisions.md, "mdca-csv")."""

from shadowlens.plugins.specs import register_specs

register_formats = register_specs(__name__, "mdca-csv.toml")
