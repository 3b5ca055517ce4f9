"""Write Arrow batches as a Parquet dataset folder (``part-00000.parquet``, ...)."""

from __future__ import annotations

import io
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

#: Columns whose min/max statistics are written (readers prune row groups on them).
STATISTICS_COLUMNS = (
    "event_time",
    "source_file",
    "source_line",
    "app_id",
    "user_name",
    "src_ip",
    "dst_domain",
    "error_code",
)

#: Parquet columns (leaf paths) that are (nearly) unique per row: trying a dictionary
#: for them costs time and the writer falls back to plain encoding anyway.
NO_DICTIONARY = frozenset(
    {
        "event_time",
        "url",
        "user_agent",
        "source_line",
        "source_offset",
        "bytes_up",
        "bytes_down",
        "bytes_total",
        "extras.key_value.value",
        "raw",
    }
)

#: Rows per Parquet file before the writer starts the next part.
ROWS_PER_FILE = 4_000_000


class DatasetWriter:
    """Append tables of one schema to ``folder/part-NNNNN.parquet`` files (zstd).

    The folder always ends up with at least one (possibly empty) part, so that a
    reader sees the schema even when nothing was written.
    """

    def __init__(self, folder: Path, schema: pa.Schema, rows_per_file: int = ROWS_PER_FILE) -> None:
        self.folder = folder
        self.schema = schema
        self.rows_per_file = rows_per_file
        self.rows = 0
        self._part = 0
        self._rows_in_part = 0
        self._writer: pq.ParquetWriter | None = None
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("part-*.parquet"):
            stale.unlink()

    def write(self, table: pa.Table) -> None:
        """Append ``table`` (must match the schema)."""
        if table.num_rows == 0:
            return
        if self._writer is None or self._rows_in_part >= self.rows_per_file:
            self._open_next()
        assert self._writer is not None
        self._writer.write_table(table, row_group_size=1_000_000)
        self.rows += table.num_rows
        self._rows_in_part += table.num_rows

    def _open_next(self) -> None:
        if self._writer is not None:
            self._writer.close()
        path = self.folder / f"part-{self._part:05d}.parquet"
        # Statistics only where readers filter (time, lineage, app, who, where): statistics
        # for every column, the extras map above all, cost about a third of the write.
        stats = [name for name in STATISTICS_COLUMNS if name in self.schema.names]
        self._writer = pq.ParquetWriter(
            path,
            self.schema,
            compression="zstd",
            write_statistics=stats or False,
            use_dictionary=dictionary_columns(self.schema) or False,
        )
        self._part += 1
        self._rows_in_part = 0

    def close(self) -> None:
        """Finish the current part (or write an empty one if nothing was written)."""
        if self._writer is None:
            self._open_next()
        assert self._writer is not None
        self._writer.close()
        self._writer = None


def dictionary_columns(schema: pa.Schema) -> list[str]:
    """Leaf column paths of ``schema`` written with a dictionary: all but :data:`NO_DICTIONARY`.

    Examples
    --------
    >>> import pyarrow as pa
    >>> dictionary_columns(pa.schema([("url", pa.string()), ("m", pa.map_(pa.string(), pa.string()))]))
    ['m.key_value.key', 'm.key_value.value']
    """
    sink = io.BytesIO()
    pq.write_table(schema.empty_table(), sink)
    paths = pq.ParquetFile(io.BytesIO(sink.getvalue())).schema
    leaves = [paths.column(i).path for i in range(len(paths))]
    return [leaf for leaf in leaves if leaf not in NO_DICTIONARY]
