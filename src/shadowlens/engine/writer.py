"""Write Arrow batches as a Parquet dataset folder (``part-00000.parquet``, ...).

Encoding and compressing Parquet is a pipeline stage of its own: each
:class:`DatasetWriter` owns a thread that writes the tables handed to it, through a
bounded queue, so parsing the next chunks overlaps writing this one and memory
stays bounded (a full queue makes the producer wait). pyarrow releases the GIL
while it encodes.
"""

from __future__ import annotations

import io
import queue
import threading
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from shadowlens.engine.prefetch import quiet_thread

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

#: Tables waiting for the writer thread before ``write`` blocks (back-pressure).
QUEUE_DEPTH = 2

#: Parquet compression. Measured on 200,000 CEF records (``benchmarks/bench_parquet.py``):
#: zstd level 1 writes as fast as the default level and as small; lz4 and snappy save
#: 20-30% of the write's CPU but the files are 1.6-1.7x larger (over the 15% the
#: project allows); no compression saves 30% and is 7x larger.
COMPRESSION = "zstd"
COMPRESSION_LEVEL = 1


class DatasetWriter:
    """Append tables of one schema to ``folder/part-NNNNN.parquet`` files (zstd).

    Tables are written in the order given, by a thread of the writer's own
    (``threaded=False`` writes in the caller's thread). An error of the thread (disk
    full) is raised by the next :meth:`write` or by :meth:`close`. The folder always
    ends up with at least one (possibly empty) part, so that a reader sees the schema
    even when nothing was written.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp()) / "records"
    >>> writer = DatasetWriter(folder, pa.schema([("n", pa.int64())]))
    >>> writer.write(pa.table({"n": [1, 2]}))
    >>> writer.close()
    >>> pq.read_table(folder).num_rows
    2
    """

    def __init__(
        self,
        folder: Path,
        schema: pa.Schema,
        rows_per_file: int = ROWS_PER_FILE,
        *,
        threaded: bool = True,
    ) -> None:
        self.folder = folder
        self.schema = schema
        self.rows_per_file = rows_per_file
        self.rows = 0
        #: Seconds spent encoding and writing (in the writer's thread).
        self.seconds = 0.0
        self._part = 0
        self._rows_in_part = 0
        self._writer: pq.ParquetWriter | None = None
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("part-*.parquet"):
            stale.unlink()
        self._queue: queue.Queue[pa.Table | None] | None = None
        self._thread: threading.Thread | None = None
        self._failed: BaseException | None = None
        if threaded:
            self._queue = queue.Queue(maxsize=QUEUE_DEPTH)
            self._thread = threading.Thread(
                target=self._drain, name=f"write-{folder.name}", daemon=True
            )
            self._thread.start()

    def write(self, table: pa.Table) -> None:
        """Append ``table`` (must match the schema); blocks while the queue is full."""
        self._raise_failure()
        if table.num_rows == 0:
            return
        self.rows += table.num_rows
        if self._queue is None:
            self._write(table)
            return
        while True:  # wait for room, but notice a writer thread that died meanwhile
            try:
                self._queue.put(table, timeout=0.5)
                return
            except queue.Full:
                self._raise_failure()

    def _drain(self) -> None:
        quiet_thread()  # Ctrl-C goes to the main thread
        assert self._queue is not None
        while (table := self._queue.get()) is not None:
            if self._failed is not None:
                continue  # keep taking tables so the producer never blocks forever
            try:
                self._write(table)
            except BaseException as exc:  # handed to the producer's thread
                self._failed = exc

    def _raise_failure(self) -> None:
        if self._failed is not None:
            raise self._failed

    def _write(self, table: pa.Table) -> None:
        started = time.perf_counter()
        if self._writer is None or self._rows_in_part >= self.rows_per_file:
            self._open_next()
        assert self._writer is not None
        self._writer.write_table(table, row_group_size=1_000_000)
        self._rows_in_part += table.num_rows
        self.seconds += time.perf_counter() - started

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
            compression=COMPRESSION,
            compression_level=COMPRESSION_LEVEL,
            write_statistics=stats or False,
            use_dictionary=dictionary_columns(self.schema) or False,
        )
        self._part += 1
        self._rows_in_part = 0

    def close(self) -> None:
        """Write what is queued, finish the current part (or write an empty one)."""
        if self._thread is not None and self._queue is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None
        self._raise_failure()
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
