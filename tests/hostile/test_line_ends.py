"""Item 1 of issue 10: LF, CRLF and a lone CR all end a line, through the whole parse path."""

from __future__ import annotations

from pathlib import Path

import pytest
from hostile_kit import balanced, cef_body, parse, records


@pytest.mark.parametrize("end", ["\r", "\r\n", "\n"])
def test_cef_events_split_by_any_line_end_are_separate_records(tmp_path: Path, end: str) -> None:
    path = tmp_path / "cr.log"
    path.write_bytes(cef_body(3, end=end))
    summary = parse(tmp_path, [path])
    assert summary["totals"]["records"] == 3
    assert balanced(summary)
    got = records(tmp_path).sort("source_line")
    assert got["src_port"].to_list() == [1000, 1001, 1002]
    assert got["source_line"].to_list() == [1, 2, 3]
    step = len(cef_body(1, end=end))
    assert got["source_offset"].to_list() == [0, step, len(cef_body(2, end=end))]


def test_a_cr_only_w3c_file_gives_its_records(tmp_path: Path) -> None:
    lines = [
        "#Software: Microsoft Internet Information Services 10.0",
        "#Version: 1.0",
        "#Fields: date time c-ip cs-method cs-uri-stem sc-status cs-host",
        "2026-03-01 10:00:00 10.0.0.1 GET /a 200 www.example.com",
        "2026-03-01 10:00:01 10.0.0.2 GET /b 404 www.example.org",
    ]
    path = tmp_path / "u_ex.log"
    path.write_bytes("\r".join(lines).encode() + b"\r")
    summary = parse(tmp_path, [path])
    assert (summary["totals"]["records"], summary["totals"]["directives"]) == (2, 3)
    assert balanced(summary)
