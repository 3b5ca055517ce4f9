"""Run the parse pipeline on a Dask cluster: plan tasks, submit them, merge the results.

The input is cut into tasks: one per file or archive member, and large plain
(uncompressed) files of a stateless format also into byte ranges that start and
end at line boundaries. A whole-file task runs the local engine's per-file reader
(skip binary, transcode UTF-16, detect, parse, re-detect mixed formats, enrich,
convert), a range task its chunk step; each writes its Parquet parts into a staging
folder inside the staged output (``.dask-staging/task-NNNNN/``); the client merges the
line accounting in input order, moves the parts to ``records/`` and
``quarantine/`` as ``part-TTTTT-NNNNN.parquet`` (task number, part number) and
writes ``summary.json`` last. The records and counts equal a local run's, and so
do ``skipped_files`` and ``failed_files``.

A range numbers its lines from the end of the previous ranges: small tasks count
the newlines of every range but the last, on the workers and in parallel, and
each range task adds up the counts before it (the client never reads a file
whole).

Workers must see the input files and the output folder at the same absolute
paths as the client (a shared file system). ``dask[distributed]`` is optional:
it is imported only when a run uses it.

Examples
--------
>>> DaskOptions().scheduler is None  # no address: start a LocalCluster
True
>>> _ranges_of([100, 250])  # a file cut at two line starts
[(0, 100), (100, 250), (250, None)]
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import os
import pickle
import shutil
import socket
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, cast

from shadowlens import __version__
from shadowlens.engine.accounting import FileStats, totals
from shadowlens.engine.lines import iter_raw_chunks, to_line_chunk
from shadowlens.engine.pipeline import (
    RunConfig,
    Transform,
    _check_outcome,
    _commit,
    _detect,
    _format_for,
    _Formats,
    _progress,
    _Reader,
    _warn,
    _work,
    prepare_run,
)
from shadowlens.engine.sources import Archives, Source, skipped, sniff
from shadowlens.engine.staging import StagedOutput
from shadowlens.engine.writer import DatasetWriter
from shadowlens.errors import (
    ConfigError,
    GrammarError,
    InputError,
    PluginError,
    ShadowlensError,
)
from shadowlens.parsers.base import LogFormat, ParseOptions
from shadowlens.plugins.manager import Plugins
from shadowlens.schema import QUARANTINE_SCHEMA, RECORD_SCHEMA

if TYPE_CHECKING:
    from distributed import Client, Future

#: Plain files larger than this are cut into byte ranges of about this size.
DEFAULT_SPLIT_BYTES = 64 * 1024 * 1024
#: The staging folder inside the output folder (removed when the run ends).
STAGING = ".dask-staging"
INSTALL_HINT = "pip install shadowlens[dask]"

#: Errors a worker reports by class name; the client raises the same class.
_ERRORS: tuple[type[ShadowlensError], ...] = (
    InputError,
    GrammarError,
    PluginError,
    ConfigError,
    ShadowlensError,
)


@dataclass(frozen=True)
class DaskOptions:
    """Where and how a run uses Dask.

    Parameters
    ----------
    scheduler
        Address of a running scheduler (``tcp://HOST:8786``); None starts a
        ``LocalCluster`` on this machine.
    workers
        Worker processes of that ``LocalCluster`` (one thread each).
    split_bytes
        Plain files larger than this are cut into byte ranges of about this size.
    """

    scheduler: str | None = None
    workers: int = 2
    split_bytes: int = DEFAULT_SPLIT_BYTES


@dataclass(frozen=True)
class Task:
    """One unit of work: a whole source, or the byte range ``[start, end)`` of a plain file.

    ``end`` None reads to the end. ``format`` is decided by the planner when
    ``detected`` is true (every range of a file must use the same one); otherwise
    the task detects it as a local run does.
    """

    index: int
    source: Source
    start: int = 0
    end: int | None = None
    format: str | None = None
    detected: bool = False

    @property
    def size(self) -> int:
        """Bytes of the file this task reads (for the progress bar)."""
        end = self.source.size if self.end is None else self.end
        return max(0, end - self.start)


@dataclass(frozen=True)
class _Context:
    """What every task needs, sent to each worker once."""

    plugins: Plugins
    format: str | None
    options: ParseOptions
    chunk_bytes: int
    transform: Transform | None
    staging: Path


@dataclass
class TaskResult:
    """What a task sends back: its counts and parts, or the error that stopped the run.

    ``skipped`` is why the local engine skips the file (binary, no format);
    ``failed`` the :class:`InputError` that stopped reading it, the counts and
    parts of the lines read before still sent (the file is listed under
    ``failed_files``, as in a local run). ``error`` is any other error: the run fails.
    """

    index: int
    stats: dict[str, Any] = field(default_factory=dict)
    records: list[str] = field(default_factory=list)
    quarantine: list[str] = field(default_factory=list)
    error: tuple[str, str] | None = None
    skipped: str | None = None
    failed: str | None = None
    write_seconds: float = 0.0


def dask_available() -> bool:
    """True when ``dask[distributed]`` can be imported (without importing it)."""
    from importlib.util import find_spec

    return find_spec("distributed") is not None and find_spec("dask") is not None


def run_parse_dask(config: RunConfig, options: DaskOptions) -> dict[str, Any]:
    """Parse like :func:`~shadowlens.engine.pipeline.run_parse`, on a Dask cluster.

    Parameters
    ----------
    config
        The same configuration as a local run (its ``workers`` is not used: add
        threads with ``dask worker --nthreads``).
    options
        The scheduler to use, or the size of a ``LocalCluster`` to start.

    Returns
    -------
    dict
        The summary, also written to ``config.out_dir / "summary.json"``, with
        the same totals and per-file counts as a local run.

    Raises
    ------
    ConfigError
        ``dask[distributed]`` is not installed, the scheduler cannot be reached, or
        an input is standard input or a pipe (the workers cannot read it).
    InputError
        As in a local run: no input, no log file among them, a single input file
        that fails, every file failing, or (``config.strict``) the first file, in
        input order, that cannot be read to its end. Other files that fail are
        listed under ``failed_files`` (the lines read before are kept), files
        that are not logs under ``skipped_files``. Nothing is published on an error.
    PluginError, GrammarError
        A task failed; the message names the file (and line) as a local run does.
    PluginError
        Also when the formats or the enrichment cannot be pickled for the workers.
    RuntimeError
        A worker died running a task (the CLI reports it as an internal error, 70).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "a.log").write_text("CEF:0|V|P|1|100|Allowed|3|dhost=files.slack.com\\n")
    >>> summary = run_parse_dask(  # doctest: +SKIP
    ...     RunConfig(inputs=[str(d / "a.log")], out_dir=d / "out"), DaskOptions(workers=1)
    ... )
    >>> summary["totals"]["records"]  # doctest: +SKIP
    1
    """
    if not dask_available():
        msg = f"--executor dask needs the optional Dask dependencies: {INSTALL_HINT}"
        raise ConfigError(msg)
    plugins, sources, skipped_inputs = prepare_run(config)
    _refuse_streams(sources)
    started = dt.datetime.now(dt.UTC)
    tasks = plan_tasks(sources, config, plugins, options.split_bytes)
    with StagedOutput(config.out_dir, overwrite=config.overwrite) as stage:
        out = stage.path
        staging = (out / STAGING).resolve()  # the workers' parts, inside the staged output
        context = _Context(
            plugins=plugins,
            format=config.format,
            options=config.options,
            chunk_bytes=config.chunk_bytes,
            transform=config.transform,
            staging=staging,
        )
        with _client(options) as client:
            results = _submit_all(client, tasks, context, config.progress)
            cluster = {
                "executor": "dask",
                "scheduler": options.scheduler or "LocalCluster",
                "dask_workers": len(client.scheduler_info().get("workers", {})),
                "tasks": len(tasks),
            }
        merged = _merge(tasks, results, sources, config)
        _publish(out, tasks, results)
        shutil.rmtree(staging, ignore_errors=True)
        summary: dict[str, Any] = {
            "shadowlens_version": __version__,
            "started": started.isoformat(timespec="seconds"),
            "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "options": {
                "format": config.format,
                "tz": config.options.tz,
                "engine": config.options.engine,
                "year": config.options.year,
                **cluster,
            },
            **config.summary_extra,
            "totals": {
                **totals(merged.files),
                "files_skipped": len(merged.skipped),
                "files_failed": len(merged.failed),
            },
            "write_thread_seconds": round(sum(r.write_seconds for r in results), 4),
            "files": {name: stats.as_dict() for name, stats in merged.files.items()},
            "skipped_files": merged.skipped,
            "failed_files": merged.failed,
        }
        if skipped_inputs:
            summary["skipped_inputs"] = skipped_inputs
        _check_outcome(summary)
        stage.write_summary(summary, complete=False)
        if config.finish is not None:
            config.finish(out, summary)
        stage.publish(summary)
    summary["complete"] = True
    return summary


# -- planning (client) ----------------------------------------------------------


def _refuse_streams(sources: Sequence[Source]) -> None:
    """Standard input and pipes exist on the client only: no worker can read them."""
    for source in sources:
        if source.stream:
            msg = (
                f"{source.name}: a pipe or standard input cannot be read by Dask workers "
                "(write it to a file on the shared file system, or use --executor local)"
            )
            raise ConfigError(msg)


def plan_tasks(
    sources: Sequence[Source], config: RunConfig, plugins: Plugins, split_bytes: int
) -> list[Task]:
    """One task per source; plain files over ``split_bytes`` of a stateless format cut in ranges.

    The format of a file to cut is detected here on its first lines, as a local
    run detects it; a format that keeps state across lines (W3C ``#Fields``)
    keeps its file whole, and so does a file the local engine would skip or
    fail (unreadable, binary, transcoded from UTF-16, no format recognised):
    its one task reports it as a local run does. Sources that are skipped
    without being read (not a regular file) get no task.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from shadowlens.engine.sources import discover_all
    >>> from shadowlens.plugins.manager import get_plugins
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> line = "CEF:0|V|P|1|100|Allowed|3|dhost=files.slack.com\\n"  # 48 bytes
    >>> _ = (d / "a.log").write_text(line * 50)
    >>> config = RunConfig(inputs=[str(d)], out_dir=d / "out")
    >>> tasks = plan_tasks(discover_all(config.inputs), config, get_plugins(), split_bytes=1000)
    >>> [(t.start, t.end, t.format) for t in tasks]  # cut after the line that crosses 1000
    [(0, 1008, 'cef'), (1008, 2016, 'cef'), (2016, None, 'cef')]
    """
    tasks: list[Task] = []
    instances: dict[str, LogFormat] = {}
    for source in sources:
        if skipped(source) is not None:
            continue
        if source.problem is not None:  # fails when opened: in its task, as locally
            tasks.append(Task(len(tasks), replace(source, path=source.path.absolute())))
            continue
        whole = replace(source, path=source.path.resolve())
        if source.member is not None or source.size <= split_bytes or not _plain(source):
            tasks.append(Task(len(tasks), whole))
            continue
        name = config.format or _detect_head(source, config.chunk_bytes, plugins)
        if name is None:  # binary, UTF-16, unreadable or no format: the whole file's task says
            tasks.append(Task(len(tasks), whole))
            continue
        _fmt, state = _format_for(name, instances, plugins, config.options)
        bounds = _cuts(source, split_bytes) if state is None else []
        for start, end in _ranges_of(bounds):
            tasks.append(Task(len(tasks), whole, start, end, name, detected=True))
    return tasks


def _plain(source: Source) -> bool:
    """An uncompressed regular file (unreadable: False, its task reports the error)."""
    try:
        with open(source.path, "rb") as fh:
            return sniff(fh.read(8)) is None
    except OSError:
        return False


def _detect_head(source: Source, chunk_bytes: int, plugins: Plugins) -> str | None:
    """The format a local run would detect: on the first chunk that has a non-blank line.

    None when the file is not UTF-8 text (its byte ranges are not those of the
    text read), cannot be read, or no format recognises it.
    """
    try:
        with source.open() as opened:
            if opened.encoding != "utf-8":
                return None
            for raw in iter_raw_chunks(opened.stream, chunk_bytes, name=source.name):
                chunk = to_line_chunk(raw)
                if chunk.lines.height:
                    return _detect(chunk, plugins.formats())
    except InputError:
        return None
    return None


def _cuts(source: Source, split_bytes: int) -> list[int]:
    """Offsets, about ``split_bytes`` apart, where a line starts (0 and the end excluded)."""
    cuts: list[int] = []
    try:
        with open(source.path, "rb") as fh:
            nominal = split_bytes
            while nominal < source.size:
                cut = _line_start_at_or_after(fh, nominal)
                if cut >= source.size:
                    break
                cuts.append(cut)
                nominal = cut + split_bytes
    except OSError as exc:
        msg = f"{source.name}: cannot read: {exc}"
        raise InputError(msg) from exc
    return cuts


def _line_start_at_or_after(fh: BinaryIO, position: int) -> int:
    """The first offset >= ``position`` that follows a newline (or the end of the file)."""
    fh.seek(position - 1)
    offset = position - 1
    while block := fh.read(1 << 16):
        newline = block.find(b"\n")
        if newline >= 0:
            return offset + newline + 1
        offset += len(block)
    return offset


def _ranges_of(cuts: list[int]) -> list[tuple[int, int | None]]:
    """Ranges between the cuts; the last one reads to the end of the file."""
    starts = [0, *cuts]
    return [(start, end) for start, end in zip(starts, [*cuts, None], strict=True)]


# -- running (client) -----------------------------------------------------------


@contextmanager
def _client(options: DaskOptions) -> Iterator[Client]:
    """A client of the scheduler named by ``options``, or of a new ``LocalCluster``."""
    from distributed import Client, LocalCluster

    with ExitStack() as stack:
        if options.scheduler is None:
            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=max(1, options.workers),
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=":0",  # a free port: 8787 may be taken by another cluster
                )
            )
            client = stack.enter_context(Client(cluster, set_as_default=False))
        else:
            try:
                _probe(options.scheduler)
                client = stack.enter_context(Client(options.scheduler, set_as_default=False))
            except Exception as exc:  # whatever the address or the peer is, one message
                msg = (
                    f"cannot reach the Dask scheduler at {options.scheduler}: "
                    f"{exc or type(exc).__name__} (is 'dask scheduler' running there? check --scheduler)"
                )
                raise ConfigError(msg) from None
        yield client


def _probe(address: str) -> None:
    """Fail fast, and cleanly, unless a Dask scheduler answers at ``address``.

    A ``Client`` that fails to connect is left half-built, and its finaliser
    prints a traceback at exit: a plain socket (TCP/TLS), then one ``identity``
    call, tell the common cases first.
    """
    import dask.config
    from dask.utils import parse_timedelta
    from distributed.comm.addressing import parse_address, parse_host_port

    timeout = parse_timedelta(dask.config.get("distributed.comm.timeouts.connect"), "s")
    scheme, location = parse_address(address)
    if scheme in ("tcp", "tls"):
        host, port = parse_host_port(location)
        socket.create_connection((host, port), timeout=timeout).close()
    try:
        identity = asyncio.run(_identity(address, timeout))
    except Exception as exc:
        msg = f"no Dask scheduler answers there ({type(exc).__name__})"
        raise ConfigError(msg) from None
    if identity.get("type") != "Scheduler":
        msg = f"a Dask {identity.get('type')!s}, not a scheduler, answers there"
        raise ConfigError(msg)


async def _identity(address: str, timeout: float) -> dict[str, Any]:
    from distributed.core import rpc

    async with rpc(address, timeout=timeout) as scheduler:
        return cast(dict[str, Any], await asyncio.wait_for(scheduler.identity(), timeout))


def _submit_all(
    client: Client, tasks: Sequence[Task], context: _Context, progress: bool
) -> list[TaskResult]:
    """Run every task; return their results in task order or raise the first error."""
    import cloudpickle  # a dependency of distributed
    from distributed import as_completed

    try:
        payload = cloudpickle.dumps(context)
    except Exception as exc:  # a plugin's format or state that cannot be pickled
        first = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
        msg = f"cannot send the formats and the enrichment to the Dask workers: {first}"
        raise PluginError(msg) from None
    # A task, not scattered data: if the worker holding it dies, the scheduler makes it again.
    shared = client.submit(pickle.loads, payload, pure=False)
    # The newline counts of the ranges of a file so far: they number the next range's lines.
    counts: dict[Source, list[Future[Any]]] = {}
    futures: list[Future[Any]] = []
    for task in tasks:
        before = counts.setdefault(task.source, [])
        futures.append(client.submit(_run_task, task, shared, list(before), pure=False))
        if task.end is not None:
            before.append(client.submit(_count_newlines, task, pure=False))
    sizes = {future.key: task.size for future, task in zip(futures, tasks, strict=True)}
    with _progress(progress) as bar:
        bar_task = bar.add_task("parsing on dask", total=sum(sizes.values())) if bar else None
        # Every task ends (or fails) before any error is raised: none still writes into
        # the staging folder when it is removed.
        for future in as_completed(futures, loop=client.loop, raise_errors=False):
            if bar is not None and bar_task is not None:
                bar.update(bar_task, advance=sizes[future.key])
    return [_result_of(future, task) for future, task in zip(futures, tasks, strict=True)]


def _result_of(future: Future[Any], task: Task) -> TaskResult:
    """The task's result; its error raised as the class the worker raised."""
    from distributed import KilledWorker

    try:
        result = cast(TaskResult, future.result())
    except ShadowlensError:
        raise  # e.g. a range whose newline count failed: InputError, as a local run
    except KilledWorker as exc:
        msg = f"the Dask worker(s) running the task for {task.source.name} died: {exc}"
        raise RuntimeError(msg) from None
    except Exception as exc:  # a bug, a full disk, a cancelled task: name the file (--debug)
        msg = f"the task for {task.source.name} failed on the Dask cluster: {type(exc).__name__}: {exc}"
        raise RuntimeError(msg) from exc
    if result.error is not None:
        kind, message = result.error
        raise next(cls for cls in _ERRORS if cls.__name__ == kind)(message)
    return result


@dataclass
class _Merged:
    """The accounting of a run, as :func:`~shadowlens.engine.pipeline.run_parse` keeps it."""

    files: dict[str, FileStats] = field(default_factory=dict)
    skipped: dict[str, dict[str, Any]] = field(default_factory=dict)
    failed: dict[str, dict[str, Any]] = field(default_factory=dict)


def _merge(
    tasks: Sequence[Task],
    results: Sequence[TaskResult],
    sources: Sequence[Source],
    config: RunConfig,
) -> _Merged:
    """Per-file accounting in input order, the ranges of a file added up.

    The rules of the local run: a skipped file is listed with its reason; a file
    that fails keeps the lines read before it failed (the ranges after the failing
    one are dropped, parts included) and is listed under ``failed_files``; a
    single input, or ``config.strict``, makes the first failure an
    :class:`InputError`.

    Raises
    ------
    InputError
        See above; also the file's own error raised by a task (e.g. a range whose
        newline count failed).
    """
    warn: Callable[[str], None] = config.warn or _warn
    by_source: dict[str, list[TaskResult]] = {}
    for task, result in zip(tasks, results, strict=True):
        by_source.setdefault(task.source.name, []).append(result)
    merged = _Merged()
    for source in sources:
        reason = skipped(source)
        stats = FileStats()
        failure: str | None = None
        for result in by_source.get(source.name, []):
            if failure is not None:  # after the range that failed: not read locally
                result.records, result.quarantine = [], []
                continue
            reason = reason or result.skipped
            if result.stats:
                _add(stats, result.stats)
            failure = result.failed
        if failure is not None:
            if config.strict or len(sources) == 1:
                raise InputError(failure)
            merged.failed[source.name] = {"reason": failure, "lines": stats.lines}
            warn(f"{failure}; {stats.lines:,} line(s) read before are kept; going on")
        if reason is not None:
            merged.skipped[source.name] = {"reason": reason}
            warn(f"{source.name}: skipped: {reason}")
        elif stats.lines or source.name not in merged.failed:
            merged.files[source.name] = stats
        for message in stats.warnings:
            warn(f"{source.name}: {message}")
    return merged


def _add(stats: FileStats, data: dict[str, Any]) -> None:
    """Add the counts a task sent (one range, or a whole file) to the file's ``stats``."""
    for item in fields(FileStats):
        value = data[item.name]
        if item.name in ("format", "encoding"):
            setattr(stats, item.name, value)
        elif item.name == "seconds":
            for stage, seconds in value.items():
                stats.seconds[stage] += seconds
        elif item.name == "other_formats":
            for name, count in value.items():
                stats.other_formats[name] = stats.other_formats.get(name, 0) + count
        elif item.name == "warnings":
            stats.warnings.extend(value)
        else:
            setattr(stats, item.name, getattr(stats, item.name) + value)


def _publish(out: Path, tasks: Sequence[Task], results: Sequence[TaskResult]) -> None:
    """Replace ``records/`` and ``quarantine/`` parts by the staged ones, in task order."""
    for folder, schema in (("records", RECORD_SCHEMA), ("quarantine", QUARANTINE_SCHEMA)):
        target = out / folder
        target.mkdir(parents=True, exist_ok=True)
        for stale in target.glob("part-*.parquet"):  # of an earlier run
            stale.unlink()
        moved = 0
        for task, result in zip(tasks, results, strict=True):
            for part in sorted(getattr(result, folder)):
                number = Path(part).stem.rsplit("-", 1)[-1]
                os.replace(part, target / f"part-{task.index:05d}-{number}.parquet")
                moved += 1
        if not moved:
            DatasetWriter(target, schema).close()  # an empty part, so readers see the schema


# -- tasks (workers) ------------------------------------------------------------


def _count_newlines(task: Task) -> int:
    """Lines in the byte range of ``task`` (it ends after a newline)."""
    count = 0
    with _open_range(task) as stream:
        while block := stream.read(1 << 22):
            count += block.count(b"\n")
    return count


def _run_task(task: Task, context: _Context, before: Sequence[int]) -> TaskResult:
    """Parse one task into its staging folder; errors come back as values."""
    try:
        return _parse_task(task, context, first_line=1 + sum(before))
    except ShadowlensError as exc:
        kind = next(cls for cls in _ERRORS if isinstance(exc, cls)).__name__
        return TaskResult(task.index, error=(kind, str(exc)))


def _parse_task(task: Task, context: _Context, first_line: int) -> TaskResult:
    """The local engine's per-file loop over the lines of one task."""
    folder = context.staging / f"task-{task.index:05d}"
    writers = (
        DatasetWriter(folder / "records", RECORD_SCHEMA),
        DatasetWriter(folder / "quarantine", QUARANTINE_SCHEMA),
    )
    stats = FileStats()
    result = TaskResult(task.index)
    try:
        if task.detected:
            _parse_range(task, context, first_line, stats, *writers)
        else:
            result.skipped = _parse_whole(task, context, stats, *writers)
    except InputError as exc:  # the file failed: the lines read before are kept, as locally
        result.failed = str(exc)
    except BaseException:
        for writer in writers:  # stop their threads; the staging folder is dropped anyway
            with suppress(Exception):
                writer.close()
        raise
    parts: list[list[str]] = []
    for writer in writers:
        writer.close()
        found = sorted(writer.folder.glob("part-*.parquet"))
        if not writer.rows:  # the empty part a writer leaves for the schema: the client makes one
            for empty in found:
                empty.unlink()
            found = []
        parts.append([str(p) for p in found])
    result.records, result.quarantine = parts
    result.write_seconds = sum(writer.seconds for writer in writers)
    result.stats = {item.name: getattr(stats, item.name) for item in fields(FileStats)}
    result.stats["seconds"] = dict(stats.seconds)
    return result


def _parse_whole(
    task: Task,
    context: _Context,
    stats: FileStats,
    records_writer: DatasetWriter,
    quarantine_writer: DatasetWriter,
) -> str | None:
    """A whole source read by the local engine's reader; why it is skipped, or None.

    Raises
    ------
    InputError
        The source cannot be read to its end (the chunks before are written).
    """
    config = RunConfig(
        inputs=[],
        out_dir=context.staging,
        format=context.format,
        options=context.options,
        chunk_bytes=context.chunk_bytes,
        plugins=context.plugins,
        transform=context.transform,
        workers=1,
    )
    archives = Archives()
    plugins = context.plugins
    try:
        with ThreadPoolExecutor(1) as pool:
            reader = _Reader(
                config,
                plugins,
                plugins.formats(),
                pool,
                1,
                records_writer,
                quarantine_writer,
                archives,
            )
            reason = reader.read(task.source, stats)
            reader.finish()  # a small file is queued as a batch (of this file only)
    finally:
        archives.close()
    return reason


def _parse_range(
    task: Task,
    context: _Context,
    first_line: int,
    stats: FileStats,
    records_writer: DatasetWriter,
    quarantine_writer: DatasetWriter,
) -> None:
    """A byte range of a plain file, in the format the planner detected.

    The chunks go through the local engine's ``_work`` (quarantined lines
    re-detected when no format was named: the format of a cut file keeps no state).
    """
    plugins, name = context.plugins, task.source.name
    fmt, state = _format_for(task.format, {}, plugins, context.options)
    stats.format = task.format
    others = None if context.format else _Formats(plugins, context.options, plugins.formats())
    with _open_range(task) as stream:
        chunks = iter_raw_chunks(
            stream, context.chunk_bytes, name=name, first_line=first_line, first_offset=task.start
        )
        for raw in chunks:
            outcome = _work(to_line_chunk(raw), name, fmt, state, context.transform, others)
            _commit(outcome, stats, records_writer, quarantine_writer)


@contextmanager
def _open_range(task: Task) -> Iterator[BinaryIO]:
    """The decompressed stream of a whole source, or the bytes of a range of a plain file."""
    if task.start == 0 and task.end is None:
        with task.source.open() as opened:
            yield opened.stream
        return
    try:
        raw = open(task.source.path, "rb", buffering=0)  # noqa: SIM115 - closed below
        raw.seek(task.start)
    except OSError as exc:
        msg = f"{task.source.name}: cannot open: {exc}"
        raise InputError(msg) from exc
    with raw, io.BufferedReader(_Range(raw, task.end)) as stream:
        yield cast(BinaryIO, stream)


class _Range(io.RawIOBase):
    """A raw reader that stops at byte ``end`` of ``raw`` (None: at its end)."""

    def __init__(self, raw: io.FileIO, end: int | None) -> None:
        super().__init__()
        self._raw = raw
        self._left = None if end is None else max(0, end - raw.tell())

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self._left is not None:
            view = view[: self._left]
        got = self._raw.readinto(view) or 0
        if self._left is not None:
            self._left -= got
        return got
