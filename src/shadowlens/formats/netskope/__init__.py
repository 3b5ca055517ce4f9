"""Netskope web transaction events (Log Streaming CSV): ``netskope.toml`` + ``netskope.lark`` (docs/format-decisions.md, "netskope")."""

from shadowlens.plugins.specs import register_specs

register_formats = register_specs(__name__, "netskope.toml")
