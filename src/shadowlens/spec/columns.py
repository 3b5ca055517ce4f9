"""Canonical columns a field table may fill, and the value types it may use.

Examples
--------
>>> COLUMN_TYPES["src_port"], COLUMN_TYPES["event_time"]
('port', 'timestamp')
"""

from __future__ import annotations

from collections.abc import Mapping

#: Value types of a field table entry (``type = ...``); docs/formats.md describes each.
TYPES: tuple[str, ...] = (
    "string",
    "int",
    "float",
    "ip",
    "port",
    "timestamp",
    "host",
    "url",
    "url_host",
    "domain",
    "action",
    "severity",
    "transport",
    "duration",
)

#: Canonical column -> its default type. Lineage, ``log_format``, ``tz_assumed``,
#: ``extras`` and the enrichment columns are filled by the engine, never by a table.
COLUMN_TYPES: Mapping[str, str] = {
    "event_time": "timestamp",
    "src_ip": "ip",
    "src_port": "port",
    "src_host": "string",
    "user_name": "string",
    "dst_ip": "ip",
    "dst_port": "port",
    "dst_host": "host",
    "url": "url",
    "http_method": "string",
    "http_status": "int",
    "user_agent": "string",
    "transport": "transport",
    "app_protocol": "string",
    "bytes_up": "int",
    "bytes_down": "int",
    "bytes_total": "int",
    "duration_ms": "int",
    "action": "action",
    "action_raw": "string",
    "observer_vendor": "string",
    "observer_product": "string",
    "observer_version": "string",
    "event_class": "string",
    "event_name": "string",
    "severity": "severity",
}

#: Columns always written in one case, whatever the table says.
UPPER_COLUMNS = frozenset({"http_method"})
LOWER_COLUMNS = frozenset({"transport", "app_protocol"})
