"""The parse pipeline: sources -> line chunks -> format -> canonical Arrow -> Parquet.

Each stage works on whole chunks. Bad lines never stop a run; they are
quarantined with a reason. A well-formed event without a usable time is a
record with a null ``event_time``, counted as ``untimed``. Only configuration,
input and plugin errors raise.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
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
from shadowlens.engine.prefetch import prefetch
from shadowlens.engine.sources import Source, discover
from shadowlens.engine.staging import StagedOutput, is_inside, is_shadowlens_output
from shadowlens.engine.writer import DatasetWriter
from shadowlens.errors import ConfigError, ErrorCode, PluginError
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
    workers
        Threads parsing chunks of a file concurrently (default 2: measured 1.3x on CEF on 2 cores; formats with per-file state parse one chunk at a time).
    overwrite
        Replace ``out_dir`` even if it is a non-empty folder that is not a previous
        shadowlens output (:class:`~shadowlens.engine.staging.StagedOutput`).
    finish
        Called with the staging folder and the summary after parsing, before the
        folder is published (``run`` writes its report there).
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
    workers: int = 2
    overwrite: bool = False
    finish: Finish | None = None


#: A last step on the staged output folder and its summary before it is published
#: (``run`` writes the report here).
Finish = Callable[[Path, dict[str, Any]], None]


def run_parse(config: RunConfig) -> dict[str, Any]:
    """Parse every input into ``config.out_dir``; return the summary (also written as JSON).

    Chunks of a file are parsed by ``config.workers`` threads (polars releases the
    GIL) and committed in file order, so outputs are deterministic. Formats with
    per-file state (``new_state()`` not None) parse their chunks one at a time.

    The run is written into a staging folder and published with one rename at the
    end, ``summary.json`` (``"complete": true``) last: after an error or Ctrl-C the
    previous output is intact (:mod:`shadowlens.engine.staging`). Inputs inside the
    output folder are skipped with a warning.
    """
    plugins = config.plugins or get_plugins()
    if config.format is not None:
        plugins.format(config.format)  # fail early on an unknown name
    sources, skipped = _outside_output(discover(config.inputs), config)
    with StagedOutput(config.out_dir, overwrite=config.overwrite) as stage:
        summary = _parse_into(config, plugins, sources, stage)
        if skipped:
            summary["skipped_inputs"] = skipped
        stage.write_summary(summary, complete=False)
        if config.finish is not None:
            config.finish(stage.path, summary)
        stage.publish(summary)
    summary["complete"] = True
    return summary


def _outside_output(sources: list[Source], config: RunConfig) -> tuple[list[Source], list[str]]:
    """The sources outside the output folder, and the names of those inside (skipped)."""
    out = config.out_dir
    if not out.is_dir():
        return sources, []
    inside = {s.name for s in sources if is_inside(s.path, out)}
    if not inside:
        return sources, []
    if config.overwrite and not is_shadowlens_output(out):
        msg = (
            f"{out}: --overwrite would delete input files inside the output folder "
            f"(e.g. {min(inside)}); choose another -o"
        )
        raise ConfigError(msg)
    for name in sorted(inside):
        print(f"warning: {name}: skipped, it is inside the output folder {out}", file=sys.stderr)
    return [s for s in sources if s.name not in inside], sorted(inside)


def _parse_into(
    config: RunConfig, plugins: Plugins, sources: list[Source], stage: StagedOutput
) -> dict[str, Any]:
    """Parse ``sources`` into the staging folder; return the summary."""
    formats = plugins.formats()
    out = stage.path
    records_writer = DatasetWriter(out / "records", RECORD_SCHEMA)
    quarantine_writer = DatasetWriter(out / "quarantine", QUARANTINE_SCHEMA)
    stage.on_failure(records_writer.close)  # no writer is left writing into a removed folder
    stage.on_failure(quarantine_writer.close)
    instances: dict[str, LogFormat] = {}
    files: dict[str, FileStats] = {}
    started = dt.datetime.now(dt.UTC)
    total_size = sum(s.size for s in sources)
    workers = max(1, config.workers)
    with _progress(config.progress) as bar, ThreadPoolExecutor(workers) as pool:
        task = bar.add_task("parsing", total=total_size) if bar is not None else None
        done = 0
        for source in sources:
            if bar is not None and task is not None:
                bar.update(task, description=_short(source.name))
            stats = files[source.name] = FileStats()
            fmt: LogFormat | None = None
            state: Any = None
            detected = False
            pending: deque[Future[Outcome]] = deque()
            with source.open() as opened:
                for chunk, position in _chunks(opened, config.chunk_bytes, source.name):
                    if not detected and chunk.lines.height:
                        detected = True
                        stats.format = config.format or _detect(chunk, formats)
                        fmt, state = _format_for(stats.format, instances, plugins, config.options)
                    job = pool.submit(_work, chunk, source.name, fmt, state, config.transform)
                    pending.append(job)
                    # Stateful formats must see chunk n before chunk n+1.
                    limit = 0 if state is not None else workers
                    while len(pending) > limit:
                        _commit(
                            pending.popleft().result(), stats, records_writer, quarantine_writer
                        )
                    if bar is not None and task is not None:
                        bar.update(task, completed=done + position)
                while pending:
                    _commit(pending.popleft().result(), stats, records_writer, quarantine_writer)
            if not detected:
                stats.format = config.format
            done += source.size
            if bar is not None and task is not None:
                bar.update(task, completed=done)
    records_writer.close()
    quarantine_writer.close()
    # Per file, "write" is the time the parse waited for the writer's queue; the
    # writer threads' own encoding time is a stage of the run.
    encode = round(records_writer.seconds + quarantine_writer.seconds, 4)
    summary = {
        "shadowlens_version": __version__,
        "started": started.isoformat(timespec="seconds"),
        "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "options": {
            "format": config.format,
            "tz": config.options.tz,
            "engine": config.options.engine,
            "year": config.options.year,
            "workers": workers,
        },
        **config.summary_extra,
        "totals": totals(files),
        "write_thread_seconds": encode,
        "files": {name: stats.as_dict() for name, stats in files.items()},
    }
    return summary


def _chunks(opened: Any, chunk_bytes: int, name: str) -> Iterator[tuple[LineChunk, int]]:
    """The file's line chunks, read and cut one chunk ahead by a thread of their own."""

    def read() -> Iterator[tuple[LineChunk, int]]:
        for raw in iter_raw_chunks(opened.stream, chunk_bytes, name=name):
            yield to_line_chunk(raw), opened.position()

    return prefetch(read(), depth=1)


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


@dataclass
class Outcome:
    """One parsed chunk, ready to be written; counts for the accounting."""

    records: pa.Table
    quarantine: pa.Table
    lines: int
    blank: int
    directives: int
    nbytes: int
    reference_parsed: int
    lossy_utf8: int
    untimed: int
    year_assumed: int
    seconds: dict[str, float]


def _work(
    chunk: LineChunk,
    source_name: str,
    fmt: LogFormat | None,
    state: Any,
    transform: Transform | None,
) -> Outcome:
    """Parse one chunk into Arrow tables (runs on a worker thread; touches no shared state)."""
    t0 = time.perf_counter()
    lines = chunk.lines
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
    fallback = 0
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
        year_assumed = 0
    else:
        result = fmt.parse(lines, state)
        records, quarantine, directives = result.records, result.quarantine, result.directives
        fallback = result.fallback
        year_assumed = result.year_assumed
    t1 = time.perf_counter()

    quarantine = pl.concat([quarantine.cast(QUARANTINE_ROWS_SCHEMA), *extra_quarantine])

    if chunk.bad_utf8.len() and records.height:
        records = _flag_lossy(records, chunk.bad_utf8)

    lost = chunk.total - chunk.blank - records.height - quarantine.height - directives
    if lost:
        plugin = fmt.name if fmt else "none"
        first = chunk.lines["source_line"].min()
        msg = f"format {plugin!r} lost {lost} line(s) of {source_name} in a chunk starting at line {first!s}"
        raise PluginError(msg, plugin=plugin)

    name = fmt.name if fmt else None
    records = records.with_columns(source_file=pl.lit(source_name), log_format=pl.lit(name))
    seconds = {"parse": t1 - t0}
    if transform is not None and records.height:
        t2 = time.perf_counter()
        records = transform(records)
        seconds["enrich"] = time.perf_counter() - t2
    t3 = time.perf_counter()
    quarantine = quarantine.with_columns(source_file=pl.lit(source_name), log_format=pl.lit(name))
    try:
        table = to_arrow(conform(records, RECORD_POLARS_SCHEMA), RECORD_SCHEMA)
    except ValueError as exc:  # a format broke the record contract (e.g. extras as structs)
        msg = f"records of {source_name} do not fit the canonical schema: {exc}"
        raise PluginError(msg, plugin=name or "none") from exc
    outcome = Outcome(
        records=table,
        quarantine=to_arrow(conform(quarantine, QUARANTINE_POLARS_SCHEMA), QUARANTINE_SCHEMA),
        lines=chunk.total,
        blank=chunk.blank,
        directives=directives,
        nbytes=chunk.nbytes,
        reference_parsed=fallback,
        lossy_utf8=chunk.bad_utf8.len(),
        # what is written: a format that gives no event_time column has untimed records only
        untimed=table.column("event_time").null_count,
        year_assumed=year_assumed,
        seconds=seconds,
    )
    seconds["convert"] = time.perf_counter() - t3
    return outcome


def _commit(
    outcome: Outcome,
    stats: FileStats,
    records_writer: DatasetWriter,
    quarantine_writer: DatasetWriter,
) -> None:
    """Write one chunk's tables and add its counts (main thread, in chunk order)."""
    t0 = time.perf_counter()
    records_writer.write(outcome.records)
    quarantine_writer.write(outcome.quarantine)
    stats.lines += outcome.lines
    stats.blank += outcome.blank
    stats.records += outcome.records.num_rows
    stats.quarantined += outcome.quarantine.num_rows
    stats.directives += outcome.directives
    stats.bytes += outcome.nbytes
    stats.reference_parsed += outcome.reference_parsed
    stats.lossy_utf8 += outcome.lossy_utf8
    stats.untimed += outcome.untimed
    stats.year_assumed += outcome.year_assumed
    for stage, seconds in outcome.seconds.items():
        stats.seconds[stage] += seconds
    stats.seconds["write"] += time.perf_counter() - t0


def _quarantine_rows(lines: pl.DataFrame, code: ErrorCode, message: str) -> pl.DataFrame:
    return lines.select(
        "source_line",
        "source_offset",
        pl.lit(code.value).alias("error_code"),
        pl.lit(message).alias("error_message"),
        pl.col("line").str.head(RAW_CAP).alias("raw"),
    ).cast(QUARANTINE_ROWS_SCHEMA)


def _flag_lossy(records: pl.DataFrame, bad_lines: pl.Series) -> pl.DataFrame:
    """Add ``shadowlens.lossy_utf8=true`` to the extras of records decoded lossily."""
    hit = pl.col("source_line").is_in(bad_lines.implode())
    empty = pl.lit([], pl.List(pl.String()))
    for part in ("extras_keys", "extras_values"):
        if part not in records.columns:
            records = records.with_columns(empty.alias(part))
    return records.with_columns(
        extras_keys=pl.when(hit)
        .then(
            pl.concat_list(pl.col("extras_keys").fill_null(empty), pl.lit("shadowlens.lossy_utf8"))
        )
        .otherwise(pl.col("extras_keys")),
        extras_values=pl.when(hit)
        .then(pl.concat_list(pl.col("extras_values").fill_null(empty), pl.lit("true")))
        .otherwise(pl.col("extras_values")),
    )


def _progress(enabled: bool) -> AbstractContextManager[Progress | None]:
    if not enabled:
        return nullcontext(None)
    return Progress(
        TextColumn("[bold]{task.description}", justify="left"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        transient=False,
        # Other threads (a Dask client's event loop, logging) write to stderr while the
        # bar draws: rich's stream proxies would make them wait on the bar's lock.
        redirect_stdout=False,
        redirect_stderr=False,
    )


def _short(name: str, width: int = 40) -> str:
    return name if len(name) <= width else "..." + name[-(width - 3) :]
