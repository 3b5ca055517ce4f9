"""Read canonical records for the exporters: a lazy scan, consumed in bounded slices.

Polars' streaming ``collect_batches``/``sink_batches`` run ahead of a slow Python
consumer and queue the whole result (memory grows with the input), so the
exporters pull one slice at a time instead: ``scan.slice(start, rows).collect()``
reads only the row groups that overlap the slice, which bounds memory by the
slice (and the row-group size of the input) whatever the input size.

Examples
--------
>>> import polars as pl
>>> total, slices = record_slices(pl.LazyFrame({"a": range(5)}), 2)
>>> total, [s.collect().height for s in slices]
(5, [2, 2, 1])
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl

from shadowlens.errors import InputError
from shadowlens.schema import RECORD_POLARS_SCHEMA

__all__ = ["record_slices", "scan_records"]


def scan_records(path: Path) -> pl.LazyFrame:
    """Lazy scan of canonical records: ``out/`` (with ``records/``), a folder or a file.

    Columns missing from older files are added as nulls.
    """
    folder = path / "records" if (path / "records").is_dir() else path
    files = sorted(folder.glob("*.parquet")) if folder.is_dir() else [folder]
    if not files or not files[0].is_file():
        msg = f"no records under {str(path)!r} (expected records/*.parquet from 'shadowlens parse')"
        raise InputError(msg)
    scan = pl.scan_parquet(files, hive_partitioning=False)
    present = scan.collect_schema()
    missing = [
        pl.lit(None, dtype).alias(name)
        for name, dtype in RECORD_POLARS_SCHEMA.items()
        if name not in present
    ]
    return scan.with_columns(missing) if missing else scan


def record_slices(records: pl.LazyFrame, rows: int) -> tuple[int, Iterator[pl.LazyFrame]]:
    """The number of records and lazy slices of at most ``rows`` records, in order."""
    total = int(records.select(pl.len()).collect().item())
    step = max(1, rows)
    return total, (records.slice(start, step) for start in range(0, total, step))
