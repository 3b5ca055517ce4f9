"""Items 4 and 12 of issue 10: zip members with one name, and zips of many tiny members."""

from __future__ import annotations

import warnings
import zipfile
from pathlib import Path

import pyarrow.parquet as pq
from hostile_kit import balanced, cef_body, cef_line, parse, records


def test_members_with_the_same_name_are_all_read_once(tmp_path: Path) -> None:
    archive = tmp_path / "dup.zip"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name
        with zipfile.ZipFile(archive, "w") as zf:
            zf.writestr("proxy.log", cef_body(10))
            zf.writestr("proxy.log", cef_body(10, start=100))
    summary = parse(tmp_path, [archive])
    assert {name: f["lines"] for name, f in summary["files"].items()} == {
        f"{archive}!/proxy.log#1": 10,
        f"{archive}!/proxy.log#2": 10,
    }
    got = records(tmp_path)
    assert got.height == summary["totals"]["records"] == 20
    assert sorted(got["src_port"].to_list()) == [*range(1000, 1010), *range(1100, 1110)]
    assert balanced(summary)


def test_many_tiny_members_are_parsed_together(tmp_path: Path) -> None:
    archive = tmp_path / "many.zip"
    count = 3_000
    with zipfile.ZipFile(archive, "w") as zf:
        for i in range(count):
            zf.writestr(f"m{i:05d}.log", cef_line(i) + "\n")
    summary = parse(tmp_path, [archive])
    assert summary["totals"]["records"] == count
    assert summary["totals"]["files"] == count
    assert all(f["lines"] == f["records"] == 1 for f in summary["files"].values())
    got = records(tmp_path).sort("src_port")
    assert got["source_file"].to_list() == [f"{archive}!/m{i:05d}.log" for i in range(count)]
    assert set(got["source_line"].to_list()) == {1}
    assert set(got["source_offset"].to_list()) == {0}
    # The fixed cost of a chunk (a parse, a Parquet row group) is paid per batch, not per member.
    parts = sorted((tmp_path / "out" / "records").glob("*.parquet"))
    assert sum(pq.ParquetFile(p).metadata.num_row_groups for p in parts) == 1
    assert balanced(summary)
