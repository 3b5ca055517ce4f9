"""Item 15 of issue 10: a preamble longer than the detection sample, formats mixed in a file."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from hostile_kit import balanced, cef_line, parse, quarantine, records


def leef_line(i: int) -> str:
    return (
        f"LEEF:1.0|Acme|FW|1.0|100|src=10.0.1.{i % 250}\tdst=10.0.0.2\t"
        f"usrName=user{i}\tdevTime={1_700_000_000_000 + i}"
    )


def test_a_preamble_longer_than_the_sample_does_not_quarantine_the_file(tmp_path: Path) -> None:
    preamble = [f"Export of proxy logs, part {i}: see the notes below." for i in range(60)]
    path = tmp_path / "export.log"
    path.write_text("\n".join([*preamble, *(cef_line(i) for i in range(40))]) + "\n")
    summary = parse(tmp_path, [path])
    stats = summary["files"][str(path)]
    assert (stats["format"], stats["records"], stats["quarantined"]) == ("cef", 40, 60)
    assert quarantine(tmp_path)["source_line"].max() == 60  # only the preamble
    assert balanced(summary)


def test_lines_of_another_format_in_the_same_file_are_parsed_by_it(tmp_path: Path) -> None:
    lines = [line for i in range(30) for line in (cef_line(i), leef_line(i))]
    path = tmp_path / "mixed.log"
    path.write_text("\n".join([*lines, "neither format at all"]) + "\n")
    summary = parse(tmp_path, [path])
    assert summary["totals"]["records"] == 60
    assert summary["totals"]["quarantined"] == 1
    assert summary["files"][str(path)]["other_formats"] == {"leef": 30}
    assert summary["totals"]["records_by_format"] == {"cef": 30, "leef": 30}
    got = records(tmp_path).sort("source_line")
    assert got["log_format"].to_list() == ["cef", "leef"] * 30
    assert got.filter(pl.col("log_format") == "leef")["user_name"].to_list()[:2] == [
        "user0",
        "user1",
    ]
    assert balanced(summary)
