"""The ``shadowlens export`` command: Defender upload-ready files or an OCSF dataset.

Mount it with ``main_app.add_typer(export_cmd.app)`` or
``main_app.command("export")(export_cmd.export)``.

Examples
--------
>>> parse_size("1GB"), parse_size("5GiB"), parse_size("2000")
(1000000000, 5368709120, 2000)
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Literal, cast

import typer
from rich.console import Console
from rich.table import Table

from shadowlens.errors import ConfigError, ShadowlensError
from shadowlens.outputs.mdca_custom import DEFAULT_TIMESTAMP_FORMAT
from shadowlens.outputs.mdca_export import (
    API_MAX_BYTES,
    CUSTOM_SOURCE,
    PORTAL_MAX_BYTES,
    SOURCES,
    MdcaOptions,
    MdcaResult,
    export_mdca,
)
from shadowlens.outputs.ocsf import export_ocsf
from shadowlens.outputs.scan import scan_records
from shadowlens.paths import check_output_dir, check_parquet_parts, os_error

__all__ = ["app", "export", "parse_size", "scan_records"]

app = typer.Typer(add_completion=False, no_args_is_help=True)

_UNITS = {"": 1, "K": 10**3, "M": 10**6, "G": 10**9, "KI": 2**10, "MI": 2**20, "GI": 2**30}


def parse_size(text: str) -> int:
    """Bytes from ``2000``, ``500MB``, ``1GB`` (decimal) or ``1GiB`` (binary)."""
    match = re.fullmatch(r"\s*([0-9]+)\s*([KMG]I?)?B?\s*", text, flags=re.IGNORECASE)
    if match is None:
        msg = f"--max-bytes expects a size such as 1000000, 500MB or 1GB, not {text!r}"
        raise ConfigError(msg)
    return int(match.group(1)) * _UNITS[(match.group(2) or "").upper()]


def _as_of(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        msg = f"--as-of expects an ISO date or time such as 2026-11-30, not {text!r}"
        raise ConfigError(msg) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@app.command("export")
def export(
    records: Annotated[
        Path, typer.Argument(help="Output folder of 'shadowlens parse'/'run' (or its records/).")
    ],
    to: Annotated[
        str, typer.Option("--to", help="mdca (CEF/W3C logs), mdca-custom (CSV) or ocsf.")
    ],
    out: Annotated[Path, typer.Option("-o", "--out", help="Folder to write.")],
    source: Annotated[
        str | None,
        typer.Option(
            "--source",
            help="Defender source code: GENERIC_CEF (default) or GENERIC_W3C for --to mdca; "
            "the manifest code for --to mdca-custom (default CUSTOM_PARSER).",
        ),
    ] = None,
    max_bytes: Annotated[
        str | None,
        typer.Option("--max-bytes", help="Largest file, e.g. 1GB (default) or 5GB."),
    ] = None,
    for_api: Annotated[
        bool, typer.Option("--for-api", help="Files for the upload API: default limit 5GB.")
    ] = False,
    size_basis: Annotated[
        str,
        typer.Option(
            "--size-basis",
            help="compressed: the .gz file (what the upload limits apply to); "
            "uncompressed: the log inside (stricter).",
        ),
    ] = "compressed",
    max_age_days: Annotated[
        int | None,
        typer.Option("--max-age-days", help="Drop records older than this (Defender: 90)."),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Reference time for --max-age-days (default: now, UTC)."),
    ] = None,
    timestamp_format: Annotated[
        str, typer.Option("--timestamp-format", help="Timestamp pattern of the custom CSV.")
    ] = DEFAULT_TIMESTAMP_FORMAT,
    batch_rows: Annotated[
        int, typer.Option("--batch-rows", min=1, help="Records per batch (memory bound).")
    ] = 100_000,
    gzip_level: Annotated[
        int,
        typer.Option("--gzip-level", min=1, max=9, help="gzip level: 1 fastest, 9 smallest."),
    ] = 6,
) -> None:
    """Write Defender for Cloud Apps upload-ready files, or an OCSF Parquet dataset."""
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        check_output_dir(out)
        check_parquet_parts(records / "records" if (records / "records").is_dir() else records)
        frame = scan_records(records)
        if to == "ocsf":
            result = export_ocsf(frame, out, batch_rows=batch_rows)
            err.print(
                f"OCSF {result.rows[4002]:,} HTTP Activity and {result.rows[4001]:,} Network "
                f"Activity rows in {len(result.files)} file(s) under {out}; "
                f"{result.skipped:,} record(s) without any endpoint skipped"
                + _untimed_note(result.untimed),
                markup=False,
            )
            return
        options = _mdca_options(
            to, source, max_bytes, for_api, size_basis, max_age_days, as_of, timestamp_format
        )
        outcome = export_mdca(frame, out, replace(options, batch_rows=batch_rows, level=gzip_level))
    except OSError as exc:  # reading the records or writing the export
        error = os_error(exc, out)
        error.show()
        raise typer.Exit(int(error.exit_code)) from None
    except ShadowlensError as error:
        error.show()
        raise typer.Exit(int(error.exit_code)) from None
    _print_mdca(err, outcome, out)
    for path in outcome.settings_files:
        if path.suffix == ".txt":
            typer.echo(path.read_text(encoding="utf-8"), nl=False)


def _mdca_options(
    to: str,
    source: str | None,
    max_bytes: str | None,
    for_api: bool,
    size_basis: str,
    max_age_days: int | None,
    as_of: str | None,
    timestamp_format: str,
) -> MdcaOptions:
    kind: Literal["cef", "w3c", "custom"]
    if to == "mdca":
        code = (source or "GENERIC_CEF").upper()
        if code not in SOURCES:
            msg = f"--source must be one of {', '.join(SOURCES)} for --to mdca, not {source!r}"
            raise ConfigError(msg)
        kind = SOURCES[code]
    elif to == "mdca-custom":
        code, kind = (source or CUSTOM_SOURCE).upper(), "custom"
    else:
        msg = f"--to must be mdca, mdca-custom or ocsf, not {to!r}"
        raise ConfigError(msg)
    if size_basis not in ("compressed", "uncompressed"):
        msg = f"--size-basis must be compressed or uncompressed, not {size_basis!r}"
        raise ConfigError(msg)
    limit = parse_size(max_bytes) if max_bytes else (API_MAX_BYTES if for_api else PORTAL_MAX_BYTES)
    return MdcaOptions(
        kind=kind,
        source=code,
        max_bytes=limit,
        size_basis=cast(Literal["compressed", "uncompressed"], size_basis),
        max_age_days=max_age_days,
        as_of=_as_of(as_of),
        timestamp_format=timestamp_format,
    )


def _print_mdca(err: Console, outcome: MdcaResult, out: Path) -> None:
    files = outcome.manifest.files
    table = Table("file", "source", "lines", "bytes", "first", "last")
    for entry in files[:20]:
        table.add_row(
            entry.path,
            entry.source,
            f"{entry.lines:,}",
            f"{entry.bytes:,}",
            f"{entry.first_time:%Y-%m-%d %H:%M:%S}" if entry.first_time else "-",
            f"{entry.last_time:%Y-%m-%d %H:%M:%S}" if entry.last_time else "-",
        )
    if len(files) > 20:
        table.add_row(f"... {len(files) - 20} more", "", "", "", "", "")
    err.print(table)
    dropped = (
        f"; {outcome.too_old:,} record(s) before {outcome.cutoff:%Y-%m-%d %H:%M} UTC dropped"
        if outcome.cutoff is not None
        else ""
    )
    err.print(
        f"{outcome.exported:,} of {outcome.records:,} record(s) in {len(files)} file(s) "
        f"-> {out / 'manifest.json'}{dropped}{_untimed_note(outcome.untimed)}",
        markup=False,
    )


def _untimed_note(untimed: int) -> str:
    """The stderr clause for records skipped because they have no event time."""
    return f"; {untimed:,} record(s) without an event time skipped" if untimed else ""
