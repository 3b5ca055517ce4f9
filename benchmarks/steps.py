"""One benchmark step in a fresh process; prints one JSON object on its last stdout line.

``run.py`` and ``bench_memory.py`` start this script once per timed run, so each
figure covers a whole process (interpreter start, imports, reading the file from
the page cache, the work) and the peak RSS belongs to that step alone.

Steps:

* ``floor_polars``: ``pl.read_csv`` of the lines into one String column (no parsing);
* ``floor_pyarrow``: the same with ``pyarrow.csv``;
* ``shadowlens``: :func:`shadowlens.engine.pipeline.run_parse` of the file to
  Parquet (``--engine auto`` is the fast path, ``reference`` the Lark parser);
* ``pycef``: ``pycef.parse`` on every line, results discarded.

Run: ``python benchmarks/steps.py STEP FILE [--format cef] [--engine auto] [--chunk-mb 16]
[--workers 1]``
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

T_START = time.perf_counter()


def floor_polars(path: Path, args: argparse.Namespace) -> dict[str, Any]:
    import polars as pl

    t0 = time.perf_counter()
    frame = pl.read_csv(
        path,
        separator="\x1f",
        quote_char=None,
        has_header=False,
        new_columns=["line"],
        schema_overrides={"line": pl.String()},
        infer_schema=False,
    )
    return {"seconds": time.perf_counter() - t0, "rows": frame.height}


def floor_pyarrow(path: Path, args: argparse.Namespace) -> dict[str, Any]:
    import pyarrow as pa
    from pyarrow import csv

    t0 = time.perf_counter()
    table = csv.read_csv(
        path,
        read_options=csv.ReadOptions(column_names=["line"]),
        parse_options=csv.ParseOptions(delimiter="\x1f", quote_char=False, escape_char=False),
        convert_options=csv.ConvertOptions(column_types={"line": pa.string()}),
    )
    return {"seconds": time.perf_counter() - t0, "rows": table.num_rows}


def _counts(summary: dict[str, Any], seconds: float) -> dict[str, Any]:
    """Time, rows and the line accounting of a run's summary."""
    totals = summary["totals"]
    keys = ("lines", "records", "quarantined", "directives", "blank", "reference_parsed")
    return {
        "seconds": seconds,
        "rows": totals["records"],
        "totals": {k: totals.get(k) for k in keys},
    }


def shadowlens(path: Path, args: argparse.Namespace) -> dict[str, Any]:
    from shadowlens.engine.pipeline import RunConfig, run_parse
    from shadowlens.parsers.base import ParseOptions

    out = Path(tempfile.mkdtemp(prefix="shadowlens-bench-"))
    extra: dict[str, Any] = {"workers": args.workers}
    try:
        t0 = time.perf_counter()
        summary = run_parse(
            RunConfig(
                inputs=[str(path)],
                out_dir=out,
                format=args.format,
                options=ParseOptions(engine=args.engine),
                chunk_bytes=int(args.chunk_mb * 1024 * 1024),
                **extra,
            )
        )
        seconds = time.perf_counter() - t0
        parquet = sum(p.stat().st_size for p in (out / "records").glob("*.parquet"))
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return {
        **_counts(summary, seconds),
        "stages": summary["totals"].get("seconds", {})
        | {"write_thread": summary.get("write_thread_seconds", 0.0)},
        "parquet_bytes": parquet,
    }


def shadowlens_run(path: Path, args: argparse.Namespace) -> dict[str, Any]:
    """The main job: parse + enrich + records + report (``shadowlens run``)."""
    from shadowlens.engine.job import JobConfig, run_job
    from shadowlens.parsers.base import ParseOptions

    out = Path(tempfile.mkdtemp(prefix="shadowlens-bench-")) / "out"
    try:
        t0 = time.perf_counter()
        summary = run_job(
            JobConfig(
                inputs=[str(path)],
                out_dir=out,
                format=args.format,
                options=ParseOptions(engine=args.engine),
                chunk_bytes=int(args.chunk_mb * 1024 * 1024),
                workers=args.workers,
            )
        )
        seconds = time.perf_counter() - t0
    finally:
        shutil.rmtree(out.parent, ignore_errors=True)
    return {
        **_counts(summary, seconds),
        "stages": summary["totals"].get("seconds", {}),
    }


def pycef(path: Path, args: argparse.Namespace) -> dict[str, Any]:
    import pycef as cef

    t0 = time.perf_counter()
    parsed = failed = 0
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if cef.parse(line) is None:
                failed += 1
            else:
                parsed += 1
    return {"seconds": time.perf_counter() - t0, "rows": parsed, "failed": failed}


STEPS = {
    "floor_polars": floor_polars,
    "floor_pyarrow": floor_pyarrow,
    "shadowlens": shadowlens,
    "shadowlens_run": shadowlens_run,
    "pycef": pycef,
}


def main() -> None:
    parser = argparse.ArgumentParser(description="run one benchmark step")
    parser.add_argument("step", choices=sorted(STEPS))
    parser.add_argument("file", type=Path)
    parser.add_argument("--format", default=None)
    parser.add_argument("--engine", default="auto", choices=("auto", "fast", "reference"))
    parser.add_argument("--chunk-mb", type=float, default=16)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    result = STEPS[args.step](args.file, args)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result.update(
        step=args.step,
        process_seconds=time.perf_counter() - T_START,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        maxrss_mib=usage.ru_maxrss / 1024,  # Linux reports KiB
    )
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
