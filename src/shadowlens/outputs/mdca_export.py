"""Defender for Cloud Apps upload-ready logs from canonical records.

Three layouts (``kind``), each one line per record, built by vectorized polars
expressions over a lazy scan and written in bounded batches:

``cef`` (source ``GENERIC_CEF``)
    ``CEF:0|vendor|product|version|class|name|severity|`` then the standard keys
    :data:`CEF_KEYS` (``rt`` in epoch milliseconds; ``in`` = bytes up, ``out`` =
    bytes down, as in the CEF dictionary, and ``cs6Label=shadowlens-export`` so that
    no reader applies a vendor's own byte convention to them). Header fields escape ``\\`` and ``|``;
    extension values escape ``\\``, ``=``, line feed (``\\n``) and carriage return
    (``\\r``). A null value leaves its key out.
``w3c`` (source ``GENERIC_W3C``)
    a ``#Software``/``#Version``/``#Date``/``#Fields`` header per file, then the
    :data:`W3C_FIELDS` separated by one space; ``-`` for a missing value; a value
    with a space, ``"`` or ``+`` (IIS writes ``+`` for spaces) or that is ``-`` or
    empty is double-quoted with inner quotes doubled.
``custom`` (for the tenant's custom log parser, see :mod:`.mdca_custom`)
    a comma-separated file with a header row; nothing is quoted (the parser's quote
    handling is undocumented): commas and quotes in text become spaces, in the URL
    column they are percent-encoded.

In every layout other control characters (C0, DEL, C1, U+2028/2029) become a
space, so no value can break a line. Files are UTF-8 without BOM, ``\\n`` line
ends, one log per gzip file (``cef-00001.log.gz``, ``w3c-...``, ``custom-00001.csv.gz``).
The manifest's ``lines`` counts records (not the W3C directives or the CSV header row).
A file is closed before it would pass ``max_bytes``: by default the size of the
``.gz`` file itself, which is what the portal (1 GB) and API (5 GB) limits apply to;
``size_basis="uncompressed"`` counts the log inside instead (stricter; custom
continuous reports read only the first 1 GB of uncompressed data).
Records without an event time are skipped (Defender needs one) and counted in the
manifest's ``skipped_untimed``.

Examples
--------
>>> import polars as pl, datetime as dt
>>> from shadowlens.schema import RECORD_POLARS_SCHEMA, conform
>>> rec = conform(pl.DataFrame({"event_time": [dt.datetime(2026, 11, 1, tzinfo=dt.UTC)],
...     "src_ip": ["10.0.0.1"], "url": ["https://x.test/a=b"], "action": ["blocked"]}),
...     RECORD_POLARS_SCHEMA)
>>> rec.select(cef_line()).item()
'CEF:0|shadowlens|shadowlens|-|traffic|traffic|0|rt=1793491200000 src=10.0.0.1 request=https://x.test/a\\\\=b act=blocked cs6Label=shadowlens-export'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

import numpy as np
import polars as pl
import pyarrow as pa

from shadowlens import __version__
from shadowlens.errors import ConfigError
from shadowlens.outputs.gzsplit import SplitGzipWriter
from shadowlens.outputs.manifest import MANIFEST_NAME, Manifest, save_manifest
from shadowlens.outputs.mdca_custom import (
    DEFAULT_TIMESTAMP_FORMAT,
    custom_columns,
    write_parser_settings,
)
from shadowlens.outputs.scan import record_slices

__all__ = [
    "API_MAX_BYTES",
    "CEF_KEYS",
    "CUSTOM_SOURCE",
    "PORTAL_MAX_BYTES",
    "SOURCES",
    "W3C_FIELDS",
    "MdcaOptions",
    "MdcaResult",
    "cef_line",
    "export_mdca",
    "w3c_line",
]

PORTAL_MAX_BYTES = 1_000_000_000
#: ``cs6Label`` of every exported CEF line (see :data:`CEF_KEYS`).
EXPORT_MARK = "shadowlens-export"
"""Largest file for a portal upload ("1 GB"; decimal, so also under 1 GiB)."""

API_MAX_BYTES = 5_000_000_000
"""Largest file for an API upload ("5 GB"; decimal, so also under 5 GiB)."""

SOURCES: dict[str, Literal["cef", "w3c"]] = {"GENERIC_CEF": "cef", "GENERIC_W3C": "w3c"}
"""Defender ``source`` codes of the generic formats and the layout each needs."""

CUSTOM_SOURCE = "CUSTOM_PARSER"
"""Manifest code for custom-parser CSVs (from the 2021 API list; override if refused)."""

Kind = Literal["cef", "w3c", "custom"]
SizeBasis = Literal["compressed", "uncompressed"]

# Every control character except LF and CR (escaped in CEF), including TAB, C1 and
# the Unicode line/paragraph separators that some readers treat as line breaks.
_CONTROLS = r"[\x00-\x09\x0B\x0C\x0E-\x1F\x7F-\x9F\x{2028}\x{2029}]"
_ALL_CONTROLS = r"[\x00-\x1F\x7F-\x9F\x{2028}\x{2029}]"


def _text(name: str) -> pl.Expr:
    """Column ``name`` as text; the empty string counts as missing."""
    value = pl.col(name).cast(pl.String)
    return pl.when(value != "").then(value)


def _num(name: str) -> pl.Expr:
    """A typed (numeric) column as digits."""
    return pl.col(name).cast(pl.String)


def _action_word() -> pl.Expr:
    """``allowed``/``blocked`` when normalized, else the vendor's own word."""
    action = _text("action")
    return pl.when(action.is_in(["allowed", "blocked"])).then(action).otherwise(_text("action_raw"))


def _epoch_ms() -> pl.Expr:
    return pl.col("event_time").dt.epoch("ms").cast(pl.String)


CEF_KEYS: tuple[tuple[str, Callable[[], pl.Expr]], ...] = (
    ("rt", _epoch_ms),
    ("src", lambda: _text("src_ip")),
    ("spt", lambda: _num("src_port")),
    ("shost", lambda: _text("src_host")),
    ("suser", lambda: _text("user_name")),
    ("dst", lambda: _text("dst_ip")),
    ("dpt", lambda: _num("dst_port")),
    ("dhost", lambda: _text("dst_host")),
    ("request", lambda: _text("url")),
    ("requestMethod", lambda: _text("http_method")),
    ("requestClientApplication", lambda: _text("user_agent")),
    ("outcome", lambda: _num("http_status")),
    ("proto", lambda: _text("transport").str.to_uppercase()),
    ("app", lambda: _text("app_protocol").str.to_uppercase()),
    ("in", lambda: _num("bytes_up")),
    ("out", lambda: _num("bytes_down")),
    ("act", _action_word),
    # Marks the line as written by shadowlens: its in/out follow the CEF dictionary
    # whatever device the header names (cef.toml's Zscaler quirk must not flip them).
    ("cs6Label", lambda: pl.lit(EXPORT_MARK)),
)
"""Extension keys in output order, each with the expression giving its value."""

#: Keys whose values are digits only (typed columns): nothing to escape.
_NUMERIC_KEYS = frozenset({"rt", "spt", "dpt", "outcome", "in", "out"})

W3C_FIELDS: tuple[tuple[str, Callable[[], pl.Expr]], ...] = (
    ("date", lambda: pl.col("event_time").dt.strftime("%Y-%m-%d")),
    ("time", lambda: pl.col("event_time").dt.strftime("%H:%M:%S%.3f")),
    ("c-ip", lambda: _text("src_ip")),
    ("c-port", lambda: _num("src_port")),
    ("cs-username", lambda: _text("user_name")),
    ("cs-host", lambda: _text("dst_host")),
    ("r-ip", lambda: _text("dst_ip")),
    ("r-port", lambda: _num("dst_port")),
    ("cs-method", lambda: _text("http_method")),
    ("cs-uri", lambda: _text("url")),
    ("sc-status", lambda: _num("http_status")),
    ("cs(User-Agent)", lambda: _text("user_agent")),
    ("cs-bytes", lambda: _num("bytes_up")),
    ("sc-bytes", lambda: _num("bytes_down")),
    ("bytes", lambda: _num("bytes_total")),
    ("s-action", _action_word),
)
"""W3C field identifiers in output order, in the proxy convention of ProxySG and Forefront
TMG logs: ``r-ip``/``r-port`` is the remote (destination) server, ``s-action`` the proxy's
verdict; ``cs-bytes`` = up, ``sc-bytes`` = down, ``bytes`` = total."""


def _cef_header_field(name: str, default: str) -> pl.Expr:
    value = pl.coalesce(_text(name), pl.lit(default)).str.replace_all(_ALL_CONTROLS, " ")
    return value.str.replace_many(["\\", "|"], ["\\\\", "\\|"])


def _cef_value(expr: pl.Expr) -> pl.Expr:
    return expr.str.replace_all(_CONTROLS, " ").str.replace_many(
        ["\\", "=", "\n", "\r"], ["\\\\", "\\=", "\\n", "\\r"]
    )


def cef_line() -> pl.Expr:
    """One CEF line per record (no line end), as an expression named ``line``."""
    header = pl.concat_str(
        [
            pl.lit("CEF:0"),
            _cef_header_field("observer_vendor", "shadowlens"),
            _cef_header_field("observer_product", "shadowlens"),
            _cef_header_field("observer_version", "-"),
            _cef_header_field("event_class", "traffic"),
            _cef_header_field("event_name", "traffic"),
            pl.col("severity").cast(pl.String).fill_null("0"),
            pl.lit(""),
        ],
        separator="|",
    )
    pairs = [
        pl.lit(f"{key}=") + (value() if key in _NUMERIC_KEYS else _cef_value(value()))
        for key, value in CEF_KEYS
    ]
    return (header + pl.concat_str(pairs, separator=" ", ignore_nulls=True)).alias("line")


def _w3c_value(expr: pl.Expr) -> pl.Expr:
    value = expr.str.replace_all(_ALL_CONTROLS, " ")
    quoted = pl.lit('"') + value.str.replace_all('"', '""', literal=True) + pl.lit('"')
    needs = value.str.contains('[ "+]') | value.is_in(["", "-"])
    return pl.when(needs).then(quoted).otherwise(value).fill_null("-")


def w3c_line() -> pl.Expr:
    """One W3C entry per record (no line end), as an expression named ``line``."""
    return pl.concat_str([_w3c_value(value()) for _, value in W3C_FIELDS], separator=" ").alias(
        "line"
    )


def w3c_header(first_us: int) -> bytes:
    """The directive block that starts every W3C file (``#Date`` = its first entry)."""
    first = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=first_us)
    fields = " ".join(name for name, _ in W3C_FIELDS)
    return (
        f"#Software: shadowlens {__version__}\n#Version: 1.0\n"
        f"#Date: {first:%Y-%m-%d %H:%M:%S}\n#Fields: {fields}\n"
    ).encode()


@dataclass(frozen=True)
class MdcaOptions:
    """How to export.

    Parameters
    ----------
    kind
        ``cef``, ``w3c`` or ``custom``.
    source
        The Defender ``source`` code written to the manifest.
    max_bytes
        No file passes this size (see ``size_basis``).
    size_basis
        ``compressed`` (the ``.gz`` file) or ``uncompressed`` (the log inside).
    max_age_days
        Keep only records at most this many days older than ``as_of`` (records
        without an event time are skipped anyway and counted apart).
    as_of
        Reference time for ``max_age_days``; default: now. Defender judges the age
        when it processes the upload, so "now" is the safe reference.
    timestamp_format
        Java-style timestamp pattern of the ``custom`` CSV.
    batch_rows
        Records per batch (bounds memory).
    level
        gzip compression level.
    """

    kind: Kind = "cef"
    source: str = "GENERIC_CEF"
    max_bytes: int = PORTAL_MAX_BYTES
    size_basis: SizeBasis = "compressed"
    max_age_days: int | None = None
    as_of: datetime | None = None
    timestamp_format: str = DEFAULT_TIMESTAMP_FORMAT
    batch_rows: int = 100_000
    level: int = 6


@dataclass(frozen=True)
class MdcaResult:
    """What :func:`export_mdca` wrote.

    ``records`` = ``exported`` + ``too_old`` + ``untimed`` (records without an event
    time, skipped).
    """

    manifest: Manifest
    records: int
    exported: int
    too_old: int
    cutoff: datetime | None
    settings_files: tuple[Path, ...] = ()
    untimed: int = 0


_NAMES: dict[Kind, tuple[str, str]] = {
    "cef": ("cef", "log"),
    "w3c": ("w3c", "log"),
    "custom": ("custom", "csv"),
}


def _cutoff(options: MdcaOptions) -> datetime | None:
    if options.max_age_days is None:
        return None
    if options.max_age_days < 1:
        msg = f"--max-age-days must be at least 1, not {options.max_age_days}"
        raise ConfigError(msg)
    as_of = options.as_of or datetime.now(UTC)
    if as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=UTC)
    return as_of.astimezone(UTC) - timedelta(days=options.max_age_days)


def _line_and_header(options: MdcaOptions) -> tuple[pl.Expr, Callable[[int], bytes] | None]:
    if options.kind == "cef":
        return cef_line(), None
    if options.kind == "w3c":
        return w3c_line(), w3c_header
    columns, header = custom_columns(options.timestamp_format)
    line = pl.concat_str(columns, separator=",").alias("line")
    return line, lambda _first: header


def _clear_previous(out_dir: Path, keep: frozenset[str] | None) -> None:
    """Remove an earlier export: before writing (``keep=None``) its manifest, custom
    parser settings and temporary files; afterwards its files not in ``keep``."""
    if keep is None:
        for name in (MANIFEST_NAME, "custom-parser.json", "custom-parser.txt"):
            (out_dir / name).unlink(missing_ok=True)
    for prefix, ext in _NAMES.values():
        pattern = f".{prefix}-[0-9]*.{ext}.gz.tmp" if keep is None else f"{prefix}-[0-9]*.{ext}.gz"
        for stale in out_dir.glob(pattern):
            if keep is None or stale.name not in keep:
                stale.unlink()


def _arrow_lines(series: pl.Series) -> tuple[memoryview, np.ndarray]:
    """The bytes of all lines back to back and the offset of each line (n + 1 values)."""
    array = series.to_arrow()
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    array = array.cast(pa.large_string())
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int64)
    offsets = offsets[array.offset : array.offset + len(array) + 1]
    data = array.buffers()[2]
    return memoryview(data if data is not None else b""), offsets


def export_mdca(records: pl.LazyFrame, out_dir: Path, options: MdcaOptions) -> MdcaResult:
    """Write upload-ready files and ``manifest.json`` into ``out_dir``.

    Parameters
    ----------
    records
        Canonical records (a lazy scan of ``out/records``).
    out_dir
        Target folder (created). A previous export there is replaced: its manifest
        goes first (so a failed run leaves no manifest), its other files at the end.
    options
        See :class:`MdcaOptions`.

    Returns
    -------
    MdcaResult
        The manifest and the record counts.
    """
    if options.kind not in _NAMES:
        msg = f"unknown export layout {options.kind!r}"
        raise ConfigError(msg)
    cutoff = _cutoff(options)
    line, header = _line_and_header(options)
    out_dir.mkdir(parents=True, exist_ok=True)
    _clear_previous(out_dir, keep=None)
    total, slices = record_slices(records, options.batch_rows)
    prefix, ext = _NAMES[options.kind]
    writer = SplitGzipWriter(
        out_dir,
        name=lambda n: f"{prefix}-{n:05d}.{ext}.gz",
        source=options.source,
        max_bytes=options.max_bytes,
        size_basis=options.size_basis,
        header=header,
        level=options.level,
    )
    untimed = 0
    try:
        for part in slices:
            if cutoff is not None:
                part = part.filter(
                    pl.col("event_time").is_null() | (pl.col("event_time") >= cutoff)
                )
            batch = part.select(
                (line + pl.lit("\n")).alias("line"), pl.col("event_time").dt.epoch("us").alias("t")
            ).collect()
            nulls = batch["t"].null_count()
            if nulls:
                untimed += nulls
                batch = batch.filter(pl.col("t").is_not_null())
            if batch.height:
                data, offsets = _arrow_lines(batch["line"])
                writer.add(data, offsets, batch["t"].to_numpy())
        files = writer.close()
    except BaseException:
        writer.abort()
        raise
    _clear_previous(out_dir, keep=frozenset(f.path for f in files))
    manifest = Manifest(files=tuple(files), skipped_untimed=untimed)
    save_manifest(manifest, out_dir / MANIFEST_NAME)
    settings: tuple[Path, ...] = ()
    if options.kind == "custom":
        settings = write_parser_settings(out_dir, options.timestamp_format, options.source)
    exported = sum(f.lines for f in files)
    too_old = total - exported - untimed
    return MdcaResult(manifest, total, exported, too_old, cutoff, settings, untimed)
