"""The CSV layout for Defender's custom log parser, and the settings to enter for it.

The custom parser dialog wants the required columns in the order it lists them,
names that match the header exactly (case-sensitive), a timestamp format chosen
from a drop-down, and the literal word that means "blocked". The CSV written here
follows :data:`CUSTOM_COLUMNS` in that order; :func:`parser_settings` returns the
values to type in, saved as ``custom-parser.json`` and ``custom-parser.txt``.
Cells a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``) get a
leading apostrophe (:mod:`shadowlens.outputs.csvsafe`).

Times are UTC (the dialog has no time zone). The default timestamp format is the
one visible in Microsoft's documentation, ``d/M/yyyy HH:mm:ss a``; hours are
written 0-23 with a matching AM/PM marker, which Java and .NET parsers both read
back correctly. Pick another pattern with ``--timestamp-format`` if your tenant's
drop-down offers a better one.

Examples
--------
>>> parser_settings("yyyy-MM-dd HH:mm:ss", "CUSTOM_PARSER")["deny_action_term"]
'Blocked'
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

from shadowlens.errors import ConfigError
from shadowlens.outputs.csvsafe import safe_cell_expr
from shadowlens.outputs.manifest import write_text_atomic
from shadowlens.outputs.traffic import BYTES_SUM
from shadowlens.parsers.normalize import java_to_strftime

__all__ = [
    "CUSTOM_COLUMNS",
    "DEFAULT_TIMESTAMP_FORMAT",
    "DENY_TERM",
    "custom_columns",
    "parser_settings",
    "settings_text",
    "write_parser_settings",
]

DEFAULT_TIMESTAMP_FORMAT = "d/M/yyyy HH:mm:ss a"
"""The timestamp format shown in Microsoft's custom-parser documentation."""

CUSTOM_COLUMNS = (
    "Timestamp",
    "SourceIP",
    "DestinationIP",
    "DestinationURL",
    "Username",
    "UploadedBytes",
    "DownloadedBytes",
    "TotalBytes",
    "Action",
)
"""Header of the CSV, in the order of the custom parser dialog."""

DENY_TERM = "Blocked"
"""Value of the Action column for blocked records (``Allowed`` otherwise, empty if unknown)."""

_CONTROLS = r"[\x00-\x1F\x7F-\x9F\x{2028}\x{2029}]"


def _text(name: str) -> pl.Expr:
    """Text without control characters, commas or quotes (they become spaces)."""
    value = pl.col(name).cast(pl.String).str.replace_all(_CONTROLS, " ")
    return value.str.replace_all('[,"]', " ").fill_null("")


def _url() -> pl.Expr:
    """URL (or host when no URL) with commas, quotes and spaces percent-encoded."""
    value = pl.coalesce(pl.col("url").cast(pl.String), pl.col("dst_host").cast(pl.String))
    value = value.str.replace_all(_CONTROLS, " ")
    return value.str.replace_many([",", '"', " "], ["%2C", "%22", "%20"]).fill_null("")


def _number(expr: pl.Expr) -> pl.Expr:
    return expr.cast(pl.String).fill_null("")


def timestamp_layout(pattern: str) -> str:
    """The chrono layout that writes ``pattern`` (a Java ``SimpleDateFormat``, UTC).

    Examples
    --------
    >>> timestamp_layout("d/M/yyyy HH:mm:ss a")
    '%d/%m/%Y %H:%M:%S %p'
    """
    layout, has_zone = java_to_strftime(pattern)
    if has_zone or "%Y" not in layout or ("%H" not in layout and "%I" not in layout):
        msg = (
            f"timestamp format {pattern!r} must have a 4-digit year (yyyy) and hours "
            "(HH or hh) and no zone letters; times are written in UTC"
        )
        raise ConfigError(msg)
    return layout


def custom_columns(pattern: str) -> tuple[list[pl.Expr], bytes]:
    """Expressions for the CSV columns and the header row (with its line end)."""
    # up + down in Int128: 2^64 - 1 plus 2 must not wrap to 1
    wide_sum = pl.col("bytes_up").cast(BYTES_SUM) + pl.col("bytes_down").cast(BYTES_SUM)
    bytes_total = pl.coalesce(pl.col("bytes_total").cast(BYTES_SUM), wide_sum)
    action = pl.col("action").cast(pl.String)
    columns = [
        pl.col("event_time").dt.strftime(timestamp_layout(pattern)),
        _text("src_ip"),
        _text("dst_ip"),
        _url(),
        _text("user_name"),
        _number(pl.col("bytes_up")),
        _number(pl.col("bytes_down")),
        _number(bytes_total),
        pl.when(action == "blocked")
        .then(pl.lit(DENY_TERM))
        .when(action == "allowed")
        .then(pl.lit("Allowed"))
        .otherwise(pl.lit("")),
    ]
    # Log text must not become a spreadsheet formula when an admin opens the CSV.
    return [safe_cell_expr(c) for c in columns], (",".join(CUSTOM_COLUMNS) + "\n").encode()


def parser_settings(pattern: str, source: str) -> dict[str, Any]:
    """The custom-parser dialog values for the CSV files (JSON-serialisable)."""
    timestamp_layout(pattern)
    return {
        "parser_type": "CSV",
        "parser_name": "shadowlens-csv",
        "delimiter": "Comma",
        "header_row": True,
        "column_order": list(CUSTOM_COLUMNS),
        "date_and_time": "Timestamp format",
        "timestamp_column_name": "Timestamp",
        "timestamp_format": pattern,
        "time_zone": "UTC",
        "source_ip_column_name": "SourceIP",
        "destination_ip_column_name": "DestinationIP",
        "destination_url_column_name": "DestinationURL",
        "username_column_name": "Username",
        "username_format": "Other",
        "uploaded_bytes_column_name": "UploadedBytes",
        "downloaded_bytes_column_name": "DownloadedBytes",
        "total_bytes_column_name": "TotalBytes",
        "action_column_name": "Action",
        "deny_action_term": DENY_TERM,
        "upload_source_code": source,
        "files": "custom-*.csv.gz",
    }


_LABELS = (
    ("Parser type", "parser_type"),
    ("Parser name", "parser_name"),
    ("Delimiter", "delimiter"),
    ("Date and time", "date_and_time"),
    ("Timestamp column name", "timestamp_column_name"),
    ("Timestamp format", "timestamp_format"),
    ("Source IP address column name", "source_ip_column_name"),
    ("Destination IP address column name", "destination_ip_column_name"),
    ("Destination URL address column name", "destination_url_column_name"),
    ("Username column name", "username_column_name"),
    ("Username format", "username_format"),
    ("Uploaded bytes column name", "uploaded_bytes_column_name"),
    ("Downloaded bytes column name", "downloaded_bytes_column_name"),
    ("Total bytes column name", "total_bytes_column_name"),
    ("Action column name", "action_column_name"),
    ("'Deny' action term", "deny_action_term"),
)


def settings_text(settings: dict[str, Any]) -> str:
    """The settings as the lines an admin reads while filling in the dialog."""
    width = max(len(label) for label, _ in _LABELS)
    rows = [f"  {label:<{width}}  {settings[key]}" for label, key in _LABELS]
    return "\n".join(
        [
            "Defender for Cloud Apps custom log parser for the files "
            f"{settings['files']} (names are case-sensitive):",
            *rows,
            "",
            f"  Columns, in this order: {','.join(settings['column_order'])} (header row present)",
            f"  Times are {settings['time_zone']}; hours 0-23 with a matching AM/PM marker "
            "when the format has one.",
            f"  Upload source code written to manifest.json: {settings['upload_source_code']}",
            "",
        ]
    )


def write_parser_settings(out_dir: Path, pattern: str, source: str) -> tuple[Path, Path]:
    """Save ``custom-parser.json`` and ``custom-parser.txt`` in ``out_dir``."""
    settings = parser_settings(pattern, source)
    json_path, text_path = out_dir / "custom-parser.json", out_dir / "custom-parser.txt"
    write_text_atomic(json_path, json.dumps(settings, indent=2) + "\n")
    write_text_atomic(text_path, settings_text(settings))
    return json_path, text_path
