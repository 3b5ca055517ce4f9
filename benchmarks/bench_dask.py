"""A local ``shadowlens parse`` against the same parse on Dask: wall time and same records.

Each run is a fresh ``shadowlens`` process on a file of ``gen_corpus.py``. With
``--scheduler`` the Dask runs use that cluster (warm workers); without it each
starts and stops a ``LocalCluster`` of ``--dask-workers`` processes, which is part
of its wall time. After the runs the records and the accounting of the last local
and Dask outputs are compared (sorted by line).

Run: ``.venv/bin/python benchmarks/bench_dask.py --lines 300000 [--scheduler tcp://HOST:8786]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl
from run import ensure_corpus  # benchmarks/ is the script folder

HERE = Path(__file__).resolve().parent
SHADOWLENS = Path(sys.executable).with_name("shadowlens")


def timed(args: list[str]) -> float:
    """Wall seconds of one ``shadowlens`` process (it must succeed)."""
    start = time.perf_counter()
    subprocess.run([str(SHADOWLENS), *args], check=True, capture_output=True)
    return time.perf_counter() - start


def accounting(out: Path) -> dict[str, object]:
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return {k: v for k, v in summary["totals"].items() if k != "seconds"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=300_000)
    parser.add_argument("--format", default="cef")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--dask-workers", type=int, default=2)
    parser.add_argument("--scheduler", help="a running scheduler; default: a LocalCluster per run")
    options = parser.parse_args()

    corpus = ensure_corpus(options.format, options.lines, HERE / "corpus")
    corpus.read_bytes()  # warm the page cache once
    cluster = (
        ["--scheduler", options.scheduler]
        if options.scheduler
        else ["--dask-workers", str(options.dask_workers)]
    )
    with tempfile.TemporaryDirectory() as tmp:
        local, dask = Path(tmp) / "local", Path(tmp) / "dask"
        common = ["parse", str(corpus), "--no-progress", "--format", options.format]
        walls: dict[str, list[float]] = {"local": [], "dask": []}
        for _ in range(options.runs):  # interleaved, so load drifts hit both alike
            walls["local"].append(timed([*common, "-o", str(local)]))
            walls["dask"].append(timed([*common, "-o", str(dask), "--executor", "dask", *cluster]))
        same_counts = accounting(local) == accounting(dask)
        records = [pl.read_parquet(out / "records").sort("source_line") for out in (local, dask)]
        same_records = records[0].equals(records[1])
    size = corpus.stat().st_size / 1e6
    print(f"{corpus.name}: {options.lines:,} lines, {size:.0f} MB; load {os.getloadavg()[0]:.1f}")
    for name, values in walls.items():
        median = statistics.median(values)
        print(f"  {name:5} median {median:6.2f} s  ({size / median:5.1f} MB/s)  runs {values}")
    where = options.scheduler or f"LocalCluster of {options.dask_workers} started per run"
    print(f"  dask on {where}; same accounting {same_counts}, same records {same_records}")


if __name__ == "__main__":
    main()
