"""Cisco ASA / PIX / FWSM / FTD syslog: ``cisco-asa.toml`` + ``cisco-asa.lark`` (docs/format-decisions.md, "cisco-asa")."""

from shadowlens.plugins.specs import register_specs

register_formats = register_specs(__name__, "cisco-asa.toml")
