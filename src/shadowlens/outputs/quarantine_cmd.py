"""The ``shadowlens quarantine`` command: show the lines a run could not parse.

The quarantine of an output folder (``OUT/quarantine/*.parquet``) is read lazily:
filters and the row limit are pushed down into the Parquet scan, so a quarantine
of millions of lines costs the rows shown, not the whole dataset. Quarantined
lines are hostile or broken log content: control characters (ANSI escapes
included) are shown as ``\\xNN`` escapes and nothing is read as console markup.

Exit codes: 0 rows shown (or an empty quarantine without filters); 1 a
``--code``/``--file`` filter matched nothing; 2 a bad option; 3 no readable
quarantine in ``OUT``.

Mount it with ``main_app.command("quarantine")(quarantine_cmd.quarantine)``.

Examples
--------
>>> escape_controls("a\\x1b[31mred\\tb")
'a\\\\x1b[31mred\\\\x09b'
>>> shorten("x" * 10, 6)
'xxxxx…'
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any

import polars as pl
import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from shadowlens.errors import ConfigError, ErrorCode, InputError, ShadowlensError

__all__ = ["app", "escape_controls", "quarantine", "read_quarantine", "shorten"]

app = typer.Typer(add_completion=False, no_args_is_help=True)

#: Characters shown as escapes: C0 and C1 controls, DEL, and the Unicode line separators.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")

#: Characters of ``raw`` shown in the table (``--json`` gives the whole stored line).
RAW_WIDTH = 120

_COLUMNS = ("source_file", "source_line", "source_offset", "error_code", "error_message", "raw")


def escape_controls(text: str) -> str:
    """``text`` with every control character written as ``\\xNN`` (or ``\\uNNNN``)."""

    def visible(match: re.Match[str]) -> str:
        code = ord(match.group())
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    return _CONTROLS.sub(visible, text)


def shorten(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters, the last one an ellipsis when cut."""
    return text if len(text) <= width else text[: width - 1] + "…"


def _matching_file(name: str) -> pl.Expr:
    """The file named exactly, or by its trailing path (``x.log`` for ``logs/x.log``)."""
    source = pl.col("source_file").cast(pl.String)
    return (source == name) | source.str.ends_with("/" + name) | source.str.ends_with("!/" + name)


def read_quarantine(
    out_dir: Path,
    codes: list[str] | None = None,
    file: str | None = None,
    limit: int | None = 20,
) -> tuple[pl.DataFrame, int]:
    """The quarantined lines of ``out_dir`` that match, and how many match in all.

    Parameters
    ----------
    out_dir
        An output folder of ``parse`` or ``run``.
    codes
        Keep these error codes only (:class:`~shadowlens.errors.ErrorCode` values).
    file
        Keep this source file only (its full name or a trailing part of its path).
    limit
        At most this many rows, in file and line order (None: all).

    Returns
    -------
    tuple[pl.DataFrame, int]
        The rows (:data:`_COLUMNS`) and the number of matching rows.

    Raises
    ------
    InputError
        ``out_dir`` has no ``quarantine/`` folder, or a part of it cannot be read.
    ConfigError
        An unknown error code.
    """
    known = {code.value for code in ErrorCode}
    unknown = sorted(set(codes or ()) - known)
    if unknown:
        msg = f"unknown error code {unknown[0]!r}; known codes: {', '.join(sorted(known))}"
        raise ConfigError(msg)
    folder = out_dir / "quarantine"
    if not folder.is_dir():
        msg = f"{out_dir}: no quarantine/ folder here; run 'shadowlens parse' or 'run' first"
        raise InputError(msg)
    parts = sorted(folder.glob("*.parquet"))
    if not parts:
        msg = f"{folder}: no Parquet part in the quarantine folder (an interrupted run?)"
        raise InputError(msg)
    scan = pl.scan_parquet(parts).select(_COLUMNS)
    if codes:
        scan = scan.filter(pl.col("error_code").cast(pl.String).is_in(codes))
    if file is not None:
        scan = scan.filter(_matching_file(file))
    try:
        total = int(scan.select(pl.len()).collect().item())
        rows = scan.sort("source_file", "source_line")
        rows = rows if limit is None else rows.head(limit)
        frame = rows.collect().with_columns(pl.col("source_file", "error_code").cast(pl.String))
    except (pl.exceptions.PolarsError, OSError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        msg = f"{folder}: cannot read the quarantine: {first}"
        raise InputError(msg) from exc
    return frame, total


def _table(frame: pl.DataFrame, width: int) -> Table:
    table = Table(show_header=True, header_style="bold", expand=False)
    for column, justify in (
        ("file", "left"),
        ("line", "right"),
        ("offset", "right"),
        ("code", "left"),
        ("message", "left"),
        ("raw", "left"),
    ):
        table.add_column(column, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for row in frame.iter_rows(named=True):
        offset = row["source_offset"]
        table.add_row(
            Text(escape_controls(row["source_file"])),
            Text(str(row["source_line"])),
            Text("" if offset is None else str(offset)),
            Text(row["error_code"]),
            Text(escape_controls(row["error_message"] or "")),
            Text(shorten(escape_controls(row["raw"] or ""), width)),
        )
    return table


def _as_json(frame: pl.DataFrame, total: int) -> str:
    rows: list[dict[str, Any]] = [
        {
            "file": row["source_file"],
            "line": row["source_line"],
            "offset": row["source_offset"],
            "code": row["error_code"],
            "message": row["error_message"],
            "raw": row["raw"],
        }
        for row in frame.iter_rows(named=True)
    ]
    return json.dumps({"matching": total, "shown": len(rows), "rows": rows}, indent=2)


@app.command("quarantine")
def quarantine(
    out_dir: Annotated[Path, typer.Argument(help="A folder written by parse or run.")],
    code: Annotated[
        list[str] | None,
        typer.Option("--code", help="Only this error code, e.g. syntax (repeatable)."),
    ] = None,
    file: Annotated[
        str | None,
        typer.Option("--file", help="Only this source file (full name or trailing path)."),
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", min=0, help="Rows to show; 0 shows every row.")
    ] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Show quarantined lines: file, line, offset, error code, message and the raw line."""
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        frame, total = read_quarantine(out_dir, code, file, None if limit == 0 else limit)
    except ShadowlensError as error:
        error.show()
        raise typer.Exit(error.exit_code) from None
    filtered = bool(code) or file is not None
    if as_json:
        typer.echo(_as_json(frame, total))
    elif frame.height:
        Console(highlight=False, soft_wrap=False).print(_table(frame, RAW_WIDTH))
    if total == 0:
        what = "matching these filters" if filtered else "in this output"
        err.print(f"no quarantined line {what}", markup=False)
        raise typer.Exit(1 if filtered else 0)
    if not as_json:
        err.print(f"{frame.height:,} of {total:,} matching quarantined line(s)", markup=False)
