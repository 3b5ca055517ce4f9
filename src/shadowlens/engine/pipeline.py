"""The parse pipeline: sources -> line chunks -> format -> canonical Arrow -> Parquet.

Each stage works on whole chunks. Bad lines never stop a run; they are
quarantined with a reason. A well-formed event without a usable time is a
record with a null ``event_time``, counted as ``untimed``. Only configuration,
input and plugin errors raise.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from functools import partial
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
from shadowlens.engine.batch import SMALL_BYTES, Batch
from shadowlens.engine.detect import SAMPLE_LINES, detect_lines
from shadowlens.engine.lines import (
    DEFAULT_CHUNK_BYTES,
    MAX_CHUNK_LINES,
    MAX_LINE_BYTES,
    LineChunk,
    RawChunk,
    iter_raw_chunks,
    to_line_chunk,
)
from shadowlens.engine.prefetch import prefetch, python_handles_ctrl_c
from shadowlens.engine.sources import Archives, Source, discover_all, skipped
from shadowlens.engine.staging import StagedOutput, is_inside, is_shadowlens_output
from shadowlens.engine.writer import DatasetWriter
from shadowlens.errors import ConfigError, ErrorCode, InputError, PluginError
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
        Threads parsing chunks concurrently, within a file and across files (the
        next file is read while the previous one's last chunks are parsed);
        formats with per-file state parse one chunk at a time unless they can
        advance their state without a parse, as W3C does.
    strict
        Stop at the first file that cannot be read to its end (raise its
        :class:`InputError`) instead of listing it under ``failed_files`` and
        going on with the others.
    warn
        Receives one line per skipped or failed file and per recovered problem
        (default: ``warning: ...`` on standard error).
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
    strict: bool = False
    warn: Callable[[str], None] | None = None
    overwrite: bool = False
    finish: Finish | None = None


#: A last step on the staged output folder and its summary before it is published
#: (``run`` writes the report here).
Finish = Callable[[Path, dict[str, Any]], None]


def run_parse(config: RunConfig) -> dict[str, Any]:
    """Parse every input into ``config.out_dir``; return the summary (also written as JSON).

    Chunks are cut into lines and parsed by ``config.workers`` threads (polars and
    the native kernels release the GIL), across file boundaries, and committed in
    input order, so outputs are deterministic. Formats with per-file state
    (``new_state()`` not None) parse their chunks one at a time, unless
    ``advance_state`` gives the state after a chunk without parsing it.

    The run is written into a staging folder and published with one rename at the
    end, ``summary.json`` (``"complete": true``) last: after an error or Ctrl-C the
    previous output is intact (:mod:`shadowlens.engine.staging`). Inputs inside the
    output folder are skipped with a warning.
    """
    python_handles_ctrl_c()
    use_system_arrow_pool()
    plugins, sources, skipped_inputs = prepare_run(config)
    with StagedOutput(config.out_dir, overwrite=config.overwrite) as stage:
        with fewer_gc_passes():
            summary = _parse_into(config, plugins, sources, stage)
        if skipped_inputs:
            summary["skipped_inputs"] = skipped_inputs
        _check_outcome(summary)
        stage.write_summary(summary, complete=False)
        if config.finish is not None:
            config.finish(stage.path, summary)
        stage.publish(summary)
    summary["complete"] = True
    return summary


def use_system_arrow_pool() -> None:
    """Make the C library's allocator pyarrow's default pool, unless the user chose one.

    pyarrow's bundled mimalloc returns freed pages to the system and faults fresh
    zeroed pages in for the next chunk: on a parse that was 20-25% of the
    process's CPU in the kernel (``perf``: page faults clearing huge pages), about
    0.4-0.6 s of system time per 200,000 CEF lines more than the system pool
    (``/usr/bin/time``, paired runs; jemalloc was in between). Setting
    ``ARROW_DEFAULT_MEMORY_POOL`` keeps pyarrow's own choice.
    """
    if "ARROW_DEFAULT_MEMORY_POOL" not in os.environ:
        pa.set_memory_pool(pa.system_memory_pool())


@contextmanager
def fewer_gc_passes(threshold: int = 20_000) -> Iterator[None]:
    """Run the block with Python's cyclic GC scanning less often; restored after.

    A chunk's parse builds thousands of short-lived expression objects (no
    cycles that matter), and the default threshold (700 allocations) made the
    collector scan every module and plan object again and again: 3-5% of a
    parse's CPU (``perf``). Objects alive before the block are frozen (never
    scanned) until it ends.
    """
    saved = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(threshold, saved[0]), *saved[1:])
    try:
        yield
    finally:
        gc.set_threshold(*saved)
        gc.unfreeze()


def prepare_run(config: RunConfig) -> tuple[Plugins, list[Source], list[str]]:
    """The plugins, the input sources, and the names of inputs skipped inside the output.

    Checks what can fail before anything is written: an unknown ``--format``, no input
    found, an ``--overwrite`` that would delete inputs (shared with the Dask executor).
    """
    plugins = config.plugins or get_plugins()
    if config.format is not None:
        plugins.format(config.format)  # fail early on an unknown name
    sources = discover_all(config.inputs)
    if not sources:
        msg = f"no input file found in {', '.join(config.inputs)}"
        raise InputError(msg)
    sources, skipped_inputs = _outside_output(sources, config)
    return plugins, sources, skipped_inputs


def _check_outcome(summary: dict[str, Any]) -> None:
    """No log file read, or every one failed: an input error (nothing is published)."""
    files, failed, skipped_files = (
        summary["files"],
        summary["failed_files"],
        summary["skipped_files"],
    )
    if not files and not failed:
        msg = f"no log file among the inputs ({len(skipped_files)} skipped: see the warnings above)"
        raise InputError(msg)
    if failed and all(name in failed for name in files):
        first = next(iter(failed.items()))
        msg = f"every input file failed ({len(failed)}); the first: {first[1]['reason']}"
        raise InputError(msg)


def _outside_output(sources: list[Source], config: RunConfig) -> tuple[list[Source], list[str]]:
    """The sources outside the output folder, and the names of those inside (skipped)."""
    out = config.out_dir
    if not out.is_dir():
        return sources, []
    inside = {s.name for s in sources if s.path is not None and is_inside(s.path, out)}
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
    files: dict[str, FileStats] = {}
    skipped_files: dict[str, dict[str, Any]] = {}
    failed_files: dict[str, dict[str, Any]] = {}
    started = dt.datetime.now(dt.UTC)
    total_size = sum(s.size for s in sources)
    workers = max(1, config.workers)
    warn = config.warn or _warn
    archives = Archives()
    with _progress(config.progress) as bar, ThreadPoolExecutor(workers) as pool:
        task = bar.add_task("parsing", total=total_size) if bar is not None else None
        reader = _Reader(
            config, plugins, formats, pool, workers, records_writer, quarantine_writer, archives
        )
        done = 0

        def settle(
            source: Source, stats: FileStats, reason: str | None, failure: InputError | None
        ) -> None:
            """A file's entry in the summary, once its last chunk is committed."""
            if failure is not None:
                failed_files[source.name] = {"reason": str(failure), "lines": stats.lines}
                warn(f"{failure}; {stats.lines:,} line(s) read before are kept; going on")
            if reason is not None:
                skipped_files[source.name] = {"reason": reason}
                warn(f"{source.name}: skipped: {reason}")
            elif stats.lines or source.name not in failed_files:
                files[source.name] = stats
            for message in stats.warnings:
                warn(f"{source.name}: {message}")

        for source in sources:
            if bar is not None and task is not None:
                bar.update(task, description=_short(source.name))
                reader.progress = partial(bar.update, task)
                reader.done = done
            stats = FileStats()
            reason = skipped(source)
            failure = None
            try:
                if reason is None:
                    reason = reader.read(source, stats)
            except InputError as exc:
                # A run of one file has no others to go on with: it fails like --strict.
                if config.strict or len(sources) == 1:
                    raise
                failure = exc
            # The next file is read while this one's last chunks are still parsed.
            reader.after(partial(settle, source, stats, reason, failure))
            done += source.size
            if bar is not None and task is not None:
                bar.update(task, completed=done)
        reader.finish()
    archives.close()
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
        "totals": {
            **totals(files),
            "files_skipped": len(skipped_files),
            "files_failed": len(failed_files),
        },
        "write_thread_seconds": encode,
        "files": {name: stats.as_dict() for name, stats in files.items()},
        "skipped_files": skipped_files,
        "failed_files": failed_files,
    }
    return summary


#: A file whose first this-many lines all land in the quarantine is stopped (not a log
#: of its format, or not a log at all: /dev/urandom, a binary with few NUL bytes).
STOP_AFTER_LINES = 20_000


def _detect(chunk: LineChunk, formats: Any) -> str | None:
    """The format of a chunk's lines (the Dask executor detects per task with it)."""
    return detect_lines(chunk.lines["line"], formats)


def _format_for(
    name: str | None, instances: dict[str, LogFormat], plugins: Plugins, options: ParseOptions
) -> tuple[LogFormat | None, Any]:
    """The format instance named ``name`` (made once per run) and a fresh per-file state."""
    if name is None:
        return None, None
    if name not in instances:
        instances[name] = plugins.format(name)(options)
    fmt = instances[name]
    return fmt, fmt.new_state()


class _Formats:
    """Format instances of a run, shared by the worker threads."""

    def __init__(self, plugins: Plugins, options: ParseOptions, entries: Any) -> None:
        self._plugins = plugins
        self._options = options
        self.entries = entries
        self._instances: dict[str, LogFormat] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> LogFormat:
        with self._lock:
            if name not in self._instances:
                self._instances[name] = self._plugins.format(name)(self._options)
            return self._instances[name]


@dataclass
class _Job:
    """A chunk (or a batch of small files) on the pool, committed in order."""

    future: Future[Outcome]
    stats: FileStats | None
    batch: Batch | None = None


class _Reader:
    """The per-file loop: open, detect, parse chunks on the pool, commit in order.

    One queue holds, in input order, the chunks on the pool and the steps to take
    once a file's last chunk is committed (:meth:`after`): the next file is read and
    cut while the previous one's last chunks are parsed, so many files keep every
    worker busy. At most ``workers`` chunks wait (bounded memory).
    """

    def __init__(
        self,
        config: RunConfig,
        plugins: Plugins,
        formats: Any,
        pool: ThreadPoolExecutor,
        workers: int,
        records_writer: DatasetWriter,
        quarantine_writer: DatasetWriter,
        archives: Archives,
    ) -> None:
        self.config = config
        self.formats = _Formats(plugins, config.options, formats)
        self.pool = pool
        self.workers = workers
        self.writers = (records_writer, quarantine_writer)
        self.archives = archives
        self.progress: Callable[..., None] | None = None
        self.done = 0
        self.batch: Batch | None = None
        #: Steps waiting for the current batch to be committed.
        self.batch_after: list[Callable[[], None]] = []
        self.batched = False
        self.last_format: str | None = None
        self.queue: deque[_Job | Callable[[], None]] = deque()
        self.jobs = 0

    def read(self, source: Source, stats: FileStats) -> str | None:
        """Parse ``source`` into ``stats``; a reason when the file is skipped, else None.

        Returns when the file is read; its last chunks may still be on the pool
        (:meth:`after` runs a step once they are committed, :meth:`finish` waits).

        Raises
        ------
        InputError
            The file cannot be read to its end; the chunks read before are committed.
        """
        config = self.config
        fmt: LogFormat | None = None
        state: Any = None
        detected = False
        self.batched = False
        # Taken back before every source: a runtime started lazily since the run began
        # (polars' thread pool, on its first parallel query) may have installed its own
        # SIGINT handler, under which a read blocked on a FIFO never sees Ctrl-C.
        python_handles_ctrl_c()
        opened = source.open(self.archives)
        try:
            if opened.encoding == "binary":
                return "binary data, not a text log"
            stats.encoding = opened.encoding
            raws = iter_raw_chunks(opened.stream, config.chunk_bytes, name=source.name)
            if not source.stream:
                # A file is read and decompressed one chunk ahead by a thread of its own
                # (a stage of the pipeline); an error of the stream arrives here at its
                # position. Not a pipe or FIFO: a read there may block for ever, and
                # closing the stream would then wait for it (Ctrl-C would hang).
                raws = prefetch(raws, depth=1)
            for index, (raw, last) in enumerate(_with_last(raws)):
                if index == 0 and last and self._small(raw):
                    sample = _sample(raw)
                    name = config.format or self._detect(sample) if sample.len() else None
                    if sample.len() and name is None:
                        return _no_format(sample.len())
                    fmt = self.formats.get(name) if name else None
                    if fmt is not None and fmt.new_state() is None:
                        detected = True
                        stats.format = fmt.name
                        self._queue(source.name, raw, stats, fmt.name)
                        self.batched = True
                        break
                chunk: LineChunk | Callable[[], LineChunk]
                if detected:
                    chunk = partial(to_line_chunk, raw)  # cut on the worker
                else:
                    chunk = to_line_chunk(raw)  # detection reads its lines
                    if chunk.lines.height:
                        detected = True
                        stats.format = config.format or self._detect(chunk.lines["line"])
                        if stats.format is None:
                            return _no_format(chunk.lines.height)
                        fmt = self.formats.get(stats.format)
                        state = fmt.new_state()
                if index == 0:
                    self.flush()  # files are committed in order
                start, limit = state, self.workers
                if state is not None:
                    # A stateful format sees chunk n before chunk n+1, unless it can tell
                    # its state after chunk n without parsing it (W3C: from the # lines).
                    assert fmt is not None
                    if not isinstance(chunk, LineChunk):
                        chunk = chunk()  # its lines are read here
                    state = fmt.advance_state(_format_lines(chunk), start)
                    if state is None:
                        state, limit = start, 0
                job = self.pool.submit(
                    _work, chunk, source.name, fmt, start, config.transform, self._redetect(start)
                )
                self._push(_Job(job, stats))
                self.drain(limit)
                if stats.lines >= STOP_AFTER_LINES and _all_quarantined(stats):
                    msg = (
                        f"{source.name}: stopped after line {stats.lines:,}: every line so far "
                        f"was quarantined (not a {stats.format} log?)"
                    )
                    raise InputError(msg)
                if self.progress is not None:
                    self.progress(completed=self.done + opened.position())
            if not detected:
                stats.format = config.format
        except InputError:
            # What was read before the error is committed (and counted) first.
            self.flush()
            self.drain(0)
            raise
        finally:
            stats.warnings.extend(opened.warnings)
            opened.close()
        return None

    def after(self, step: Callable[[], None]) -> None:
        """Run ``step`` once every chunk queued so far (the file just read) is committed."""
        if self.batched:
            self.batch_after.append(step)
        elif self.queue:
            self.queue.append(step)
        else:
            step()

    def finish(self) -> None:
        """Parse the queued small files and commit everything."""
        self.flush()
        self.drain(0)

    def drain(self, limit: int) -> None:
        """Commit the oldest chunks until at most ``limit`` are on the pool."""
        queue = self.queue
        while queue:
            head = queue[0]
            if isinstance(head, _Job):
                if self.jobs <= limit:
                    return
                queue.popleft()
                self.jobs -= 1
                self._commit(head)
            else:
                queue.popleft()
                head()

    def _push(self, job: _Job) -> None:
        self.queue.append(job)
        self.jobs += 1

    def _commit(self, job: _Job) -> None:
        outcome = job.future.result()
        if job.batch is None:
            assert job.stats is not None
            _commit(outcome, job.stats, *self.writers)
            return
        records_writer, quarantine_writer = self.writers
        records_writer.write(outcome.records)
        quarantine_writer.write(outcome.quarantine)
        job.batch.split(outcome.records, outcome.quarantine, outcome)

    def _detect(self, lines: pl.Series) -> str | None:
        """Detection, trying the previous file's format first (many small files
        of one format: scoring every format per file was most of their cost)."""
        if self.last_format is not None:
            entry = self.formats.entries[self.last_format]
            try:
                score = float(entry.cls.detect(lines.head(SAMPLE_LINES).to_list()))
            except Exception:
                score = 0.0
            if score >= 1.0:
                return self.last_format
        self.last_format = detect_lines(lines, self.formats.entries)
        return self.last_format

    def _small(self, raw: RawChunk) -> bool:
        size = len(raw.data)
        return not raw.too_long and size <= min(SMALL_BYTES, self.config.chunk_bytes // 4)

    def _queue(self, name: str, raw: RawChunk, stats: FileStats, fmt: str) -> None:
        batch = self.batch
        if batch is not None and (
            batch.format != fmt
            or batch.nbytes + len(raw.data) > self.config.chunk_bytes
            or batch.lines + len(raw.data) > MAX_CHUNK_LINES  # a line has at least one byte
        ):
            self.flush()
        if self.batch is None:
            self.batch = Batch(fmt)
        self.batch.add(name, raw, stats)

    def flush(self) -> None:
        """Put the queued small files on the pool, as one chunk, after what is queued."""
        batch, self.batch = self.batch, None
        steps, self.batch_after = self.batch_after, []
        if batch is None:
            return
        fmt = self.formats.get(batch.format)
        job = self.pool.submit(
            _work,
            batch.chunk,
            f"{batch.names[0]} (+{len(batch.names) - 1} small files)",
            fmt,
            None,
            self.config.transform,
            self._redetect(None),
            batch,
        )
        self._push(_Job(job, None, batch))
        self.queue.extend(steps)
        self.drain(self.workers)

    def _redetect(self, state: Any) -> _Formats | None:
        # Rescue quarantined lines with another format only when none was named
        # and the chunk's own format keeps no per-file state.
        return self.formats if self.config.format is None and state is None else None


def _no_format(lines: int) -> str:
    return f"no registered format recognises its first {lines:,} line(s); name one with --format"


def _sample(raw: RawChunk) -> pl.Series:
    """The non-blank lines of a small file, for detection (one decode, no chunk frame)."""
    text = raw.data.decode("utf-8", errors="replace")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return pl.Series("line", [line for line in lines if line.strip(_BLANK)], pl.String())


_BLANK = " \t\r\n\x00\x0b\x0c"


def _with_last(items: Iterable[RawChunk]) -> Iterator[tuple[RawChunk, bool]]:
    """Each chunk and whether it is the file's last (one chunk read ahead).

    When reading ahead fails, the chunk in hand is still yielded (as not last)
    before the error, so its lines are counted.
    """
    iterator = iter(items)
    current = next(iterator, None)
    while current is not None:
        try:
            following = next(iterator, None)
        except InputError:
            yield current, False
            raise
        yield current, following is None
        current = following


def _all_quarantined(stats: FileStats) -> bool:
    return stats.records == 0 and stats.directives == 0 and stats.quarantined > 0


def _warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


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
    other_formats: dict[str, int] = field(default_factory=dict)


#: Rounds of re-detection on the quarantined lines of one chunk (mixed formats).
RESCUE_ROUNDS = 2
#: Sample windows scored per round (bounded cost per chunk).
RESCUE_WINDOWS = 4


@dataclass
class _Rescued:
    """Quarantined lines another format parsed: its records, what stays quarantined."""

    records: list[pl.DataFrame]
    quarantine: pl.DataFrame
    directives: int = 0
    fallback: int = 0
    year_assumed: int = 0
    counts: dict[str, int] = field(default_factory=dict)


def _rescue(
    lines: pl.DataFrame, quarantine: pl.DataFrame, tried: str, formats: _Formats
) -> _Rescued:
    """Re-detect the quarantined ``lines`` and parse them with the format found.

    Bounded: at most :data:`RESCUE_ROUNDS` formats, each chosen from
    :data:`RESCUE_WINDOWS` samples; formats with per-file state are not used
    (they need the file from its start). Lines no format parses keep their
    first quarantine row.
    """
    out = _Rescued([], quarantine)
    excluded = {tried}
    for _round in range(RESCUE_ROUNDS):
        failed = lines.filter(pl.col("source_line").is_in(out.quarantine["source_line"].implode()))
        if not failed.height:
            break
        candidates = {n: e for n, e in formats.entries.items() if n not in excluded}
        name = detect_lines(failed["line"], candidates, RESCUE_WINDOWS)
        if name is None:
            break
        excluded.add(name)
        other = formats.get(name)
        if other.new_state() is not None:
            continue
        result = other.parse(failed, None)
        still = result.quarantine["source_line"].implode()
        out.quarantine = out.quarantine.filter(pl.col("source_line").is_in(still))
        out.records.append(result.records.with_columns(log_format=pl.lit(name, pl.String())))
        out.directives += result.directives
        out.fallback += result.fallback
        out.year_assumed += result.year_assumed
        out.counts[name] = result.records.height
    return out


def _format_lines(chunk: LineChunk) -> pl.DataFrame:
    """The lines of ``chunk`` a format parses: all but those over the length limit."""
    if not chunk.too_long.len():
        return chunk.lines
    lines = chunk.lines
    return lines.filter(~lines["source_line"].is_in(chunk.too_long.implode()))


def _work(
    chunk: LineChunk | Callable[[], LineChunk],
    source_name: str,
    fmt: LogFormat | None,
    state: Any,
    transform: Transform | None,
    others: _Formats | None = None,
    batch: Batch | None = None,
) -> Outcome:
    """Parse one chunk into Arrow tables (runs on a worker thread; touches no shared state).

    With ``others``, the lines ``fmt`` quarantines are re-detected and parsed by
    the format that recognises them (files mixing formats).
    """
    t0 = time.perf_counter()
    if not isinstance(chunk, LineChunk):
        chunk = chunk()  # cutting lines is part of the worker's job
    lines = _format_lines(chunk)
    extra_quarantine = []
    if chunk.too_long.len():
        long_mask = chunk.lines["source_line"].is_in(chunk.too_long.implode())
        extra_quarantine.append(
            _quarantine_rows(
                chunk.lines.filter(long_mask),
                ErrorCode.LINE_TOO_LONG,
                f"line longer than {MAX_LINE_BYTES} bytes",
            )
        )
    fallback = 0
    other_formats: dict[str, int] = {}
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
        records = records.with_columns(log_format=pl.lit(fmt.name, pl.String()))
        if others is not None and quarantine.height:
            rescued = _rescue(lines, quarantine, fmt.name, others)
            if rescued.records:
                try:
                    records = pl.concat([records, *rescued.records], how="diagonal_relaxed")
                except pl.exceptions.PolarsError as exc:
                    msg = (
                        f"records of {source_name} from {sorted(rescued.counts)} do not mix: {exc}"
                    )
                    raise PluginError(msg, plugin=fmt.name) from exc
                quarantine = rescued.quarantine
                directives += rescued.directives
                fallback += rescued.fallback
                year_assumed += rescued.year_assumed
                other_formats = rescued.counts
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
    if batch is not None:
        records, quarantine = batch.relabel(records), batch.relabel(quarantine)
    else:
        records = records.with_columns(source_file=pl.lit(source_name))
        quarantine = quarantine.with_columns(source_file=pl.lit(source_name))
    if "log_format" not in records.columns:
        records = records.with_columns(log_format=pl.lit(name, pl.String()))
    seconds = {"parse": t1 - t0}
    if transform is not None and records.height:
        t2 = time.perf_counter()
        records = transform(records)
        seconds["enrich"] = time.perf_counter() - t2
    t3 = time.perf_counter()
    quarantine = quarantine.with_columns(log_format=pl.lit(name))
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
        other_formats=other_formats,
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
    for name, count in outcome.other_formats.items():
        stats.other_formats[name] = stats.other_formats.get(name, 0) + count
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
