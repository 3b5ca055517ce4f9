"""The main job: parse, pseudonymise (optional), enrich, write records and the report.

Examples
--------
>>> import pathlib, tempfile
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "a.log").write_text("CEF:0|V|P|1|100|Allowed|3|rt=1700000000000 dhost=files.slack.com\\n")
>>> summary = run_job(JobConfig(inputs=[str(d / "a.log")], out_dir=d / "out"))
>>> summary["totals"]["records"], (d / "out" / "report.html").exists()
(1, True)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import polars as pl

from shadowlens.engine.distributed import DaskOptions, run_parse_dask
from shadowlens.engine.lines import DEFAULT_CHUNK_BYTES
from shadowlens.engine.pipeline import RunConfig, run_parse
from shadowlens.enrich import Pseudonymizer, enrich, load_catalog, pseudonymize_users
from shadowlens.enrich.extension import run_enrichers
from shadowlens.parsers.base import ParseOptions
from shadowlens.plugins.manager import Plugins, get_plugins


@dataclass
class JobConfig:
    """Options of :func:`run_job` (see ``shadowlens run --help``; ``overwrite`` is ``--overwrite``)."""

    inputs: Sequence[str]
    out_dir: Path
    format: str | None = None
    options: ParseOptions = field(default_factory=ParseOptions)
    catalogs: Sequence[str | Path] = ()
    key_file: Path | None = None
    report: bool = True
    chunk_bytes: int = DEFAULT_CHUNK_BYTES
    progress: bool = False
    plugins: Plugins | None = None
    workers: int = 2
    overwrite: bool = False
    #: Run on a Dask cluster (``--executor dask``) instead of local threads.
    dask: DaskOptions | None = None
    #: A previous output (or its report.json): its apps are not new in the findings.
    baseline: Path | None = None
    #: Stop at the first input file that cannot be read to its end (``--strict``).
    strict: bool = False


def sample_logs() -> list[str]:
    """The synthetic sample logs shipped in the package (what ``shadowlens demo`` reads)."""
    from importlib.resources import files

    folder = Path(str(files("shadowlens") / "data" / "samples"))
    return sorted(str(p) for p in folder.iterdir() if p.is_file() and p.suffix != ".md")


def run_job(config: JobConfig) -> dict[str, Any]:
    """Run the whole pipeline into ``config.out_dir``; return the summary.

    Records, quarantine, report and ``summary.json`` appear together: the run is
    staged and published by one rename (:func:`~shadowlens.engine.pipeline.run_parse`).
    """
    plugins = config.plugins or get_plugins()  # one manager: formats, catalog sources, enrichers
    catalog = load_catalog(config.catalogs, plugins=plugins)
    enrichers = plugins.enrichers()
    pseudonymizer = Pseudonymizer.from_key_file(config.key_file) if config.key_file else None

    def transform(records: pl.DataFrame) -> pl.DataFrame:
        if pseudonymizer is not None:
            records = pseudonymize_users(records, pseudonymizer)
        for column in ("dst_host", "dst_ip"):
            if column not in records.columns:
                records = records.with_columns(pl.lit(None, pl.String()).alias(column))
        return run_enrichers(enrich(records, catalog), enrichers)

    def finish(folder: Path, _summary: dict[str, Any]) -> None:
        if config.report:  # written into the staged folder: published with the records
            from shadowlens.outputs.report import write_report

            write_report(folder, baseline=config.baseline)

    parse: Callable[[RunConfig], dict[str, Any]] = (
        run_parse if config.dask is None else partial(run_parse_dask, options=config.dask)
    )
    return parse(
        RunConfig(
            inputs=config.inputs,
            out_dir=config.out_dir,
            format=config.format,
            options=config.options,
            chunk_bytes=config.chunk_bytes,
            progress=config.progress,
            plugins=plugins,
            transform=transform,
            workers=config.workers,
            overwrite=config.overwrite,
            finish=finish,
            strict=config.strict,
            summary_extra={
                "catalog_version": catalog.version,
                "catalog_apps": len(catalog.apps),
                "users_pseudonymised": pseudonymizer is not None,
            },
        )
    )
