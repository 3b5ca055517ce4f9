"""Append Arrow tables to a hive-partitioned Parquet folder, a bounded number of files open.

``folder/<key>=<value>/.../part-00000.parquet``: every write appends row groups to
the open file of its partition. At most :attr:`PartitionedWriter.max_open` files
are open at once; when a partition is reopened after being closed it gets the next
part number. Files are written under a temporary name and renamed when closed.

Examples
--------
>>> import pyarrow as pa, tempfile
>>> from pathlib import Path
>>> root = Path(tempfile.mkdtemp())
>>> with PartitionedWriter(root) as w:
...     w.write(("date=2026-11-01",), pa.table({"x": [1, 2]}))
...     w.write(("date=2026-11-01",), pa.table({"x": [3]}))
>>> [(p.relative_to(root).as_posix(), n) for p, n in w.files.items()]
[('date=2026-11-01/part-00000.parquet', 3)]
"""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType

import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["PartitionedWriter"]


class PartitionedWriter:
    """Parquet files under ``folder``, one open writer per partition (zstd).

    Parameters
    ----------
    folder
        Root of the dataset.
    max_open
        Most files open at the same time.
    """

    def __init__(self, folder: Path, max_open: int = 32) -> None:
        self.folder = folder
        self.max_open = max(1, max_open)
        #: Finished files and their row counts, in the order they were closed.
        self.files: dict[Path, int] = {}
        self._open: dict[tuple[str, ...], tuple[pq.ParquetWriter, Path, Path]] = {}
        self._rows: dict[Path, int] = {}
        self._parts: dict[tuple[str, ...], int] = {}

    def write(self, partition: tuple[str, ...], table: pa.Table) -> None:
        """Append ``table`` to the partition named by its ``key=value`` folder parts."""
        if table.num_rows == 0:
            return
        entry = self._open.pop(partition, None)
        if entry is None:
            entry = self._new(partition, table.schema)
        self._open[partition] = entry  # most recently used last
        writer, _, final = entry
        writer.write_table(table.cast(writer.schema))
        self._rows[final] += table.num_rows

    def close(self) -> None:
        """Finish every open file."""
        for partition in list(self._open):
            self._finish(partition)

    def __enter__(self) -> PartitionedWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _new(
        self, partition: tuple[str, ...], schema: pa.Schema
    ) -> tuple[pq.ParquetWriter, Path, Path]:
        while len(self._open) >= self.max_open:
            self._finish(next(iter(self._open)))  # least recently used
        number = self._parts.get(partition, 0)
        self._parts[partition] = number + 1
        folder = self.folder.joinpath(*partition)
        folder.mkdir(parents=True, exist_ok=True)
        final = folder / f"part-{number:05d}.parquet"
        tmp = folder / f".part-{number:05d}.parquet.tmp"
        self._rows[final] = 0
        return pq.ParquetWriter(tmp, schema, compression="zstd"), tmp, final

    def _finish(self, partition: tuple[str, ...]) -> None:
        writer, tmp, final = self._open.pop(partition)
        writer.close()
        os.replace(tmp, final)
        self.files[final] = self._rows.pop(final)
