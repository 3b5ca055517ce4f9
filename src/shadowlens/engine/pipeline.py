"""The parse pipeline: sources -> line chunks -> format -> canonical Arrow -> Parquet.

Each stage works on whole chunks. Bad lines never stop a run; they are
quarantined with a reason. Only configuration, input and plugin errors raise.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from shadowlens import __version__
from shadowlens.engine.accounting import FileStats, totals
from shadowlens.engine.detect import SAMPLE_LINES, detect_format
from shadowlens.engine.lines import (
    DEFAULT_CHUNK_BYTES,
    MAX_LINE_BYTES,
    LineChunk,
    iter_raw_chunks,
    to_line_chunk,
)
from shadowlens.engine.sources import Source, discover
from shadowlens.engine.writer import DatasetWriter
from shadowlens.errors import ErrorCode, PluginError
from shadowlens.parsers.base import QUARANTINE_ROWS_SCHEMA, LogFormat, ParseOptions
from shadowlens.plugins.manager import Plugins, get_plugins
from shadowlens.schema import (
    QUARANTINE_POLARS_SCHEMA,
    QUARANTINE_SCHEMA,
    RAW_CAP,
    RECORD_POLARS_SCHEMA,
    RECORD_SCHEMA,
    conform,
    to_arrow,
)

Transform = Callable[[pl.DataFrame], pl.DataFrame]


@dataclass
class RunConfig:
    """Everything one parse run needs.

    Parameters
    ----------
    inputs
        Files, directories and globs.
    out_dir
        Output folder (``records/``, ``quarantine/``, ``summary.json``).
    format
        A format name, or None to detect per file.
    options
        Options handed to every format.
    transform
        Optional per-batch step on canonical records before they are written
        (enrichment plugs in here).
    """

    inputs: Sequence[str]
    out_dir: Path
    format: str | None = None
    options: ParseOptions = field(default_factory=ParseOptions)
    chunk_bytes: int = DEFAULT_CHUNK_BYTES
    progress: bool = False
    plugins: Plugins | None = None
    transform: Transform | None = None
    summary_extra: dict[str, Any] = field(default_factory=dict)


def run_parse(config: RunConfig) -> dict[str, Any]:
    """Parse every input into ``config.out_dir``; return the summary (also written as JSON)."""
    plugins = config.plugins or get_plugins()
    formats = plugins.formats()
    if config.format is not None:
        plugins.format(config.format)  # fail early on an unknown name
    sources = discover(config.inputs)
    out = config.out_dir
    out.mkdir(parents=True, exist_ok=True)
    records_writer = DatasetWriter(out / "records", RECORD_SCHEMA)
    quarantine_writer = DatasetWriter(out / "quarantine", QUARANTINE_SCHEMA)
    instances: dict[str, LogFormat] = {}
    files: dict[str, FileStats] = {}
    started = dt.datetime.now(dt.UTC)
    progress = _progress(config.progress, sum(s.size for s in sources))
    with progress as bar:
        task = bar.add_task("parsing", total=sum(s.size for s in sources)) if bar else None
        for source in sources:
            if bar is not None and task is not None:
                bar.update(task, description=_short(source.name))
            stats = FileStats()
            files[source.name] = stats
            done_before = bar.tasks[0].completed if bar is not None else 0
            with source.open() as opened:
                for chunk, position in _chunks(opened, config.chunk_bytes):
                    if stats.lines == 0 and stats.format is None:
                        stats.format = config.format or _detect(chunk, formats)
                        fmt, state = _format_for(stats.format, instances, plugins, config.options)
                    _process(
                        chunk, source, fmt, state, stats, config, records_writer, quarantine_writer
                    )
                    if bar is not None and task is not None:
                        bar.update(task, completed=done_before + position)
            if bar is not None and task is not None:
                bar.update(task, completed=done_before + source.size)
    records_writer.close()
    quarantine_writer.close()
    summary = {
        "shadowlens_version": __version__,
        "started": started.isoformat(timespec="seconds"),
        "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "options": {
            "format": config.format,
            "tz": config.options.tz,
            "engine": config.options.engine,
        },
        **config.summary_extra,
        "totals": totals(files),
        "files": {name: stats.as_dict() for name, stats in files.items()},
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary


def _chunks(opened: Any, chunk_bytes: int) -> Iterator[tuple[LineChunk, int]]:
    for raw in iter_raw_chunks(opened.stream, chunk_bytes):
        yield to_line_chunk(raw), opened.position()


def _detect(chunk: LineChunk, formats: Any) -> str | None:
    sample = chunk.lines["line"].head(SAMPLE_LINES).to_list()
    name, _score = detect_format(sample, formats)
    return name


def _format_for(
    name: str | None, instances: dict[str, LogFormat], plugins: Plugins, options: ParseOptions
) -> tuple[LogFormat | None, Any]:
    if name is None:
        return None, None
    if name not in instances:
        instances[name] = plugins.format(name)(options)
    fmt = instances[name]
    return fmt, fmt.new_state()


def _process(
    chunk: LineChunk,
    source: Source,
    fmt: LogFormat | None,
    state: Any,
    stats: FileStats,
    config: RunConfig,
    records_writer: DatasetWriter,
    quarantine_writer: DatasetWriter,
) -> None:
    t0 = time.perf_counter()
    lines = chunk.lines
    stats.lines += chunk.total
    stats.blank += chunk.blank
    stats.bytes += chunk.nbytes
    stats.lossy_utf8 += chunk.bad_utf8.len()
    extra_quarantine = []
    if chunk.too_long.len():
        long_mask = lines["source_line"].is_in(chunk.too_long.implode())
        extra_quarantine.append(
            _quarantine_rows(
                lines.filter(long_mask),
                ErrorCode.LINE_TOO_LONG,
                f"line longer than {MAX_LINE_BYTES} bytes",
            )
        )
        lines = lines.filter(~long_mask)
    if fmt is None:
        extra_quarantine.append(
            _quarantine_rows(
                lines,
                ErrorCode.NO_FORMAT,
                "no registered format recognises this file; name one with --format",
            )
        )
        records = pl.DataFrame(schema={"source_line": pl.UInt64(), "source_offset": pl.UInt64()})
        quarantine = pl.DataFrame(schema=QUARANTINE_ROWS_SCHEMA)
        directives = 0
    else:
        result = fmt.parse(lines, state)
        records, quarantine, directives = result.records, result.quarantine, result.directives
        stats.reference_parsed += result.fallback
    t1 = time.perf_counter()
    stats.seconds["parse"] += t1 - t0

    # Safety net: event_time is required by the schema.
    if "event_time" in records.columns:
        no_time = records.filter(pl.col("event_time").is_null())
        if no_time.height:
            extra_quarantine.append(
                _quarantine_from_records(
                    no_time, lines, ErrorCode.NO_TIMESTAMP, "no usable event time in the line"
                )
            )
            records = records.filter(pl.col("event_time").is_not_null())
    else:
        extra_quarantine.append(
            _quarantine_from_records(
                records, lines, ErrorCode.NO_TIMESTAMP, "no usable event time in the line"
            )
        )
        records = records.clear()
    quarantine = pl.concat([quarantine.cast(QUARANTINE_ROWS_SCHEMA), *extra_quarantine])

    if chunk.bad_utf8.len() and records.height:
        records = _flag_lossy(records, chunk.bad_utf8)

    lost = chunk.total - chunk.blank - records.height - quarantine.height - directives
    if lost:
        plugin = fmt.name if fmt else "none"
        msg = f"format {plugin!r} lost {lost} line(s) of {source.name} in a chunk starting at line {chunk.lines['source_line'].min()!s}"
        raise PluginError(msg, plugin=plugin)
    stats.records += records.height
    stats.quarantined += quarantine.height
    stats.directives += directives

    name = fmt.name if fmt else None
    records = records.with_columns(source_file=pl.lit(source.name), log_format=pl.lit(name))
    if config.transform is not None and records.height:
        t2 = time.perf_counter()
        records = config.transform(records)
        stats.seconds["enrich"] += time.perf_counter() - t2
    t3 = time.perf_counter()
    records_writer.write(to_arrow(conform(records, RECORD_POLARS_SCHEMA), RECORD_SCHEMA))
    quarantine = quarantine.with_columns(source_file=pl.lit(source.name), log_format=pl.lit(name))
    quarantine_writer.write(
        to_arrow(conform(quarantine, QUARANTINE_POLARS_SCHEMA), QUARANTINE_SCHEMA)
    )
    stats.seconds["write"] += time.perf_counter() - t3


def _quarantine_rows(lines: pl.DataFrame, code: ErrorCode, message: str) -> pl.DataFrame:
    return lines.select(
        "source_line",
        "source_offset",
        pl.lit(code.value).alias("error_code"),
        pl.lit(message).alias("error_message"),
        pl.col("line").str.head(RAW_CAP).alias("raw"),
    ).cast(QUARANTINE_ROWS_SCHEMA)


def _quarantine_from_records(
    records: pl.DataFrame, lines: pl.DataFrame, code: ErrorCode, message: str
) -> pl.DataFrame:
    hit = lines.join(records.select("source_line"), on="source_line", how="semi")
    return _quarantine_rows(hit, code, message)


def _flag_lossy(records: pl.DataFrame, bad_lines: pl.Series) -> pl.DataFrame:
    """Add ``shadowlens.lossy_utf8=true`` to the extras of records decoded lossily."""
    hit = pl.col("source_line").is_in(bad_lines.implode())
    if "extras_keys" in records.columns:
        empty = pl.lit([], pl.List(pl.String()))
        return records.with_columns(
            extras_keys=pl.when(hit)
            .then(
                pl.concat_list(
                    pl.col("extras_keys").fill_null(empty), pl.lit("shadowlens.lossy_utf8")
                )
            )
            .otherwise(pl.col("extras_keys")),
            extras_values=pl.when(hit)
            .then(pl.concat_list(pl.col("extras_values").fill_null(empty), pl.lit("true")))
            .otherwise(pl.col("extras_values")),
        )
    dtype = RECORD_POLARS_SCHEMA["extras"]
    flag = pl.lit([{"key": "shadowlens.lossy_utf8", "value": "true"}]).cast(dtype)
    current = (
        pl.col("extras").fill_null(pl.lit([]).cast(dtype))
        if "extras" in records.columns
        else pl.lit([]).cast(dtype)
    )
    return records.with_columns(
        extras=pl.when(hit)
        .then(pl.concat_list(current, flag))
        .otherwise(current if "extras" in records.columns else None)
    )


def _progress(enabled: bool, total: int) -> AbstractContextManager[Progress | None]:
    if not enabled:
        return nullcontext(None)
    return Progress(
        TextColumn("[bold]{task.description}", justify="left"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        transient=False,
    )


def _short(name: str, width: int = 40) -> str:
    return name if len(name) <= width else "..." + name[-(width - 3) :]
