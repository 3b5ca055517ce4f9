"""The dataset writer: order, parts, an empty dataset, and errors of its thread."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from shadowlens.engine.writer import DatasetWriter

SCHEMA = pa.schema([("n", pa.int64())])


@pytest.mark.parametrize("threaded", [True, False])
def test_tables_are_written_in_order_across_parts(tmp_path: Path, threaded: bool) -> None:
    writer = DatasetWriter(tmp_path / "r", SCHEMA, rows_per_file=10, threaded=threaded)
    for start in range(0, 50, 5):
        writer.write(pa.table({"n": list(range(start, start + 5))}, schema=SCHEMA))
    writer.close()
    parts = sorted((tmp_path / "r").glob("part-*.parquet"))
    assert len(parts) == 5
    assert pq.read_table(tmp_path / "r").column("n").to_pylist() == list(range(50))
    assert writer.rows == 50


def test_nothing_written_leaves_one_empty_part_with_the_schema(tmp_path: Path) -> None:
    writer = DatasetWriter(tmp_path / "r", SCHEMA)
    writer.close()
    assert pq.read_table(tmp_path / "r").schema == SCHEMA


def test_an_error_of_the_writer_thread_reaches_the_caller(tmp_path: Path) -> None:
    writer = DatasetWriter(tmp_path / "r", SCHEMA)
    writer.write(pa.table({"other": ["x"]}))  # does not match the schema: fails in the thread

    def write_more_then_close() -> None:  # a later write or the close raises it
        for _ in range(100):
            writer.write(pa.table({"n": [1]}, schema=SCHEMA))
        writer.close()

    with pytest.raises((ValueError, pa.ArrowInvalid)):
        write_more_then_close()
