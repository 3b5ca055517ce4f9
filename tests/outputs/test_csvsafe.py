"""CSV injection: the shared helper, and every CSV shadowlens writes (``export --to mdca-custom``)."""

from __future__ import annotations

import gzip
from pathlib import Path

import polars as pl
import pytest
from test_mdca_export import run_export, sample_rows, write_records

from shadowlens.outputs.csvsafe import safe_cell, safe_cell_expr

FORMULAS = [
    "=1+1",
    "+SUM(A1:A2)",
    "-2+3",
    "@SUM(A1)",
    "\tcmd",
    "\rcmd",
    "  =cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil.test","click")',
]
HARMLESS = ["alice", "a=b", "10.0.0.1", "-5", "+12", "3.5", "", "é=漢字"]


@pytest.mark.parametrize("value", FORMULAS)
def test_formula_cells_get_an_apostrophe(value: str) -> None:
    assert safe_cell(value) == "'" + value
    frame = pl.DataFrame({"v": [value]})
    assert frame.select(safe_cell_expr(pl.col("v"))).item() == "'" + value


@pytest.mark.parametrize("value", HARMLESS)
def test_other_cells_and_plain_numbers_are_unchanged(value: str) -> None:
    assert safe_cell(value) == value
    frame = pl.DataFrame({"v": [value, None]})
    assert frame.select(safe_cell_expr(pl.col("v"))).to_series().to_list() == [value, None]


def test_mdca_custom_csv_has_no_formula_cell(tmp_path: Path) -> None:
    rows = sample_rows(4)
    rows[0] |= {"user_name": "=cmd|' /C calc'!A0", "src_ip": "+1.2.3.4"}
    rows[1] |= {"user_name": "@SUM(1+1)", "dst_ip": "-1", "url": "=HYPERLINK(1)"}
    rows[2] |= {"user_name": "\t=1+1", "dst_host": "-evil.test", "url": None}
    rows[3] |= {"user_name": "\r@x"}
    out = write_records(tmp_path, rows)
    result = run_export(out, "--to", "mdca-custom", "-o", tmp_path / "up")
    assert result.exit_code == 0, result.output
    text = gzip.decompress((tmp_path / "up" / "custom-00001.csv.gz").read_bytes()).decode()
    cells = [cell for line in text.splitlines()[1:] for cell in line.split(",")]
    assert len(cells) == 4 * 9
    # "-1" is a plain number (a spreadsheet shows -1): left as it is, like byte counts
    risky = [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r") and c != "-1"]
    assert risky == []
    assert [c for c in cells if c.startswith("'")] == [
        "'+1.2.3.4",
        "'=cmd|' /C calc'!A0",
        "'=HYPERLINK(1)",
        "'@SUM(1+1)",
        "'-evil.test",
        "' =1+1",  # the tab became a space
        "' @x",
    ]
