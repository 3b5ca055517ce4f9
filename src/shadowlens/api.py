"""The Python API: :func:`parse` and :func:`run` do what the commands of the same name do.

Both write the same output folder as the command line and return a :class:`Run`, a
handle on it: ``Run.records()`` and ``Run.quarantine()`` are polars LazyFrames over the
Parquet written, ``Run.summary`` is ``summary.json`` as a dict. Errors are the
:class:`~shadowlens.errors.ShadowlensError` hierarchy (``exit_code`` tells which).

Examples
--------
>>> import pathlib, tempfile
>>> import shadowlens
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "a.log").write_text(
...     "CEF:0|V|P|1|100|Allowed|3|rt=1700000000000 dhost=files.slack.com\\n"
... )
>>> done = shadowlens.parse(d / "a.log", out=d / "out")
>>> done.summary["totals"]["records"], done.records().select("dst_host").collect().item()
(1, 'files.slack.com')
>>> shadowlens.Run.open(d / "out").quarantine().collect().height
0
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shadowlens.errors import ConfigError, InputError
from shadowlens.paths import check_output_dir, classify_os_error

if TYPE_CHECKING:
    import polars as pl

    from shadowlens.parsers.base import ParseOptions
    from shadowlens.plugins.manager import Plugins

__all__ = ["Run", "make_options", "parse", "run"]

Paths = str | Path | Sequence[str | Path]


@dataclass(frozen=True)
class Run:
    """A folder written by :func:`parse` or :func:`run` (or by the command line).

    Parameters
    ----------
    out_dir
        The output folder.
    summary
        ``summary.json``: the accounting per file and in total, options, versions.
    """

    out_dir: Path
    summary: dict[str, Any]

    @classmethod
    def open(cls, out_dir: str | Path) -> Run:
        """The run written into ``out_dir`` earlier.

        Raises
        ------
        InputError
            When ``out_dir`` holds no readable ``summary.json``.
        """
        folder = Path(out_dir)
        path = folder / "summary.json"
        try:
            summary = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            msg = f"{path}: not the summary of a shadowlens run ({exc})"
            raise InputError(msg) from exc
        return cls(folder, summary)

    def records(self) -> pl.LazyFrame:
        """The records (canonical schema, ``shadowlens.RECORD_SCHEMA``) as a lazy scan."""
        from shadowlens.outputs.scan import scan_records

        return scan_records(self.out_dir)

    def quarantine(self) -> pl.LazyFrame:
        """The quarantined lines (``shadowlens.QUARANTINE_SCHEMA``) as a lazy scan."""
        import polars as pl

        files = sorted((self.out_dir / "quarantine").glob("*.parquet"))
        if not files:
            msg = f"no quarantine under {str(self.out_dir)!r} (expected quarantine/*.parquet)"
            raise InputError(msg)
        return pl.scan_parquet(files, hive_partitioning=False)


def make_options(
    tz: str = "UTC",
    engine: str = "auto",
    year: int | None = None,
    options: Mapping[str, str] | Iterable[str] | None = None,
) -> ParseOptions:
    """Checked :class:`~shadowlens.ParseOptions`; ``options`` as a mapping or ``KEY=VALUE`` texts.

    Raises
    ------
    ConfigError
        An unknown time zone or engine, or an option that is not ``KEY=VALUE``.

    Examples
    --------
    >>> make_options("Europe/Berlin", options=["fields=date time"]).options
    {'fields': 'date time'}
    """
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from shadowlens.parsers.base import ParseOptions

    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        msg = f"unknown time zone {tz!r} (use an IANA name such as Europe/Berlin)"
        raise ConfigError(msg) from exc
    if engine not in ("auto", "fast", "reference"):
        msg = f"--engine must be auto, fast or reference, not {engine!r}"
        raise ConfigError(msg)
    pairs: dict[str, str] = {}
    if isinstance(options, Mapping):
        pairs = {str(k): str(v) for k, v in options.items()}
    else:
        for item in options or []:
            key, sep, value = item.partition("=")
            if not sep or not key:
                msg = f"--option expects KEY=VALUE, got {item!r}"
                raise ConfigError(msg)
            pairs[key.strip()] = value
    return ParseOptions(tz=tz, engine=engine, year=year, options=pairs)  # type: ignore[arg-type]


def load_plugins(format_files: Iterable[str | Path] = (), disabled: Iterable[str] = ()) -> Plugins:
    """The plugin manager with every format loaded now, so a broken one stops before output."""
    from shadowlens.plugins.manager import get_plugins

    plugins = get_plugins(disabled=list(disabled), spec_paths=[Path(p) for p in format_files])
    plugins.formats()
    return plugins


@contextmanager
def _writing(out: str | Path) -> Iterator[None]:
    """A full disk (or a read-only file system) while writing ``out``: an OutputError naming it."""
    try:
        yield
    except OSError as exc:
        mapped = classify_os_error(exc, out)
        if mapped is None:
            raise
        raise mapped from exc


def _inputs(paths: Paths) -> list[str]:
    return [str(paths)] if isinstance(paths, str | Path) else [str(p) for p in paths]


def _check_sizes(chunk_mb: int, workers: int) -> None:
    if chunk_mb < 1 or workers < 1:
        msg = f"chunk_mb and workers must be at least 1, not {chunk_mb} and {workers}"
        raise ConfigError(msg)


def parse(
    paths: Paths,
    *,
    out: str | Path,
    format: str | None = None,
    tz: str = "UTC",
    engine: str = "auto",
    year: int | None = None,
    options: Mapping[str, str] | Iterable[str] | None = None,
    chunk_mb: int = 16,
    workers: int = 2,
    format_files: Iterable[str | Path] = (),
    disabled_plugins: Iterable[str] = (),
    progress: bool = False,
    overwrite: bool = False,
    dask: Any = None,
    strict: bool = False,
) -> Run:
    """Parse logs into ``out`` (records, quarantine, summary.json), like ``shadowlens parse``.

    Parameters
    ----------
    paths
        A log file, folder (recursive) or glob, or a list of them.
    out
        The output folder.
    format
        A format name (``shadowlens formats`` lists them); detected per file when None.
    tz, engine, year, options
        As ``--tz``, ``--engine``, ``--year`` and ``--option`` (a mapping, or
        ``KEY=VALUE`` texts).
    chunk_mb, workers
        As ``--chunk-mb`` and ``--workers`` (both at least 1).
    format_files, disabled_plugins
        As ``--format-file`` / ``--formats-dir`` and ``--disable-plugin``.
    progress
        A progress bar on standard error.
    overwrite
        Replace a non-empty ``out`` that is not a previous shadowlens output.
    dask
        A :class:`shadowlens.engine.distributed.DaskOptions`: run on a Dask cluster
        (``--executor dask``); None runs here.
    strict
        Stop at the first input file that cannot be read to its end (``--strict``);
        by default it is listed under ``failed_files`` and the others are read.

    Returns
    -------
    Run
        The folder written, with the summary.

    Examples
    --------
    See the module's example.
    """
    from shadowlens.engine.pipeline import RunConfig, run_parse

    _check_sizes(chunk_mb, workers)
    parse_options = make_options(tz, engine, year, options)
    plugins = load_plugins(format_files, disabled_plugins)
    check_output_dir(Path(out))
    config = RunConfig(
        inputs=_inputs(paths),
        out_dir=Path(out),
        format=format,
        options=parse_options,
        chunk_bytes=chunk_mb * 1024 * 1024,
        progress=progress,
        plugins=plugins,
        workers=workers,
        overwrite=overwrite,
        strict=strict,
    )
    with _writing(out):
        if dask is not None:
            from shadowlens.engine.distributed import run_parse_dask

            summary = run_parse_dask(config, dask)
        else:
            summary = run_parse(config)
    return Run(Path(out), summary)


def run(
    paths: Paths,
    *,
    out: str | Path,
    format: str | None = None,
    tz: str = "UTC",
    engine: str = "auto",
    year: int | None = None,
    options: Mapping[str, str] | Iterable[str] | None = None,
    catalogs: Iterable[str | Path] = (),
    key_file: str | Path | None = None,
    report: bool = True,
    chunk_mb: int = 16,
    workers: int = 2,
    format_files: Iterable[str | Path] = (),
    disabled_plugins: Iterable[str] = (),
    progress: bool = False,
    overwrite: bool = False,
    dask: Any = None,
    baseline: str | Path | None = None,
    strict: bool = False,
) -> Run:
    """The main job, like ``shadowlens run``: parse, enrich, records and the report.

    Parameters are those of :func:`parse`, plus:

    Parameters
    ----------
    catalogs
        User catalog files (TOML/CSV) overlaid on the starter catalog.
    key_file
        A secret key file: user names are replaced by keyed tokens (``--anonymize-users``).
    report
        Write ``report.html`` and ``report.json`` too.
    baseline
        A previous output folder (or its ``report.json``): apps not in it are new in
        the report's findings (``--baseline``).

    Returns
    -------
    Run
        The folder written, with the summary; ``Run.records()`` has the app columns.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "a.log").write_text(
    ...     "CEF:0|V|P|1|100|Allowed|3|rt=1700000000000 dhost=files.slack.com\\n"
    ... )
    >>> run(d / "a.log", out=d / "out").records().select("app_name").collect().item()
    'Slack'
    """
    from shadowlens.engine.job import JobConfig, run_job

    _check_sizes(chunk_mb, workers)
    parse_options = make_options(tz, engine, year, options)
    plugins = load_plugins(format_files, disabled_plugins)
    check_output_dir(Path(out))
    config = JobConfig(
        inputs=_inputs(paths),
        out_dir=Path(out),
        format=format,
        options=parse_options,
        catalogs=list(catalogs),
        key_file=Path(key_file) if key_file is not None else None,
        report=report,
        chunk_bytes=chunk_mb * 1024 * 1024,
        progress=progress,
        plugins=plugins,
        workers=workers,
        overwrite=overwrite,
        dask=dask,
        baseline=Path(baseline) if baseline is not None else None,
        strict=strict,
    )
    with _writing(out):
        summary = run_job(config)
    return Run(Path(out), summary)
