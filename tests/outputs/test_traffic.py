"""Byte totals never wrap at 2^64: the report, the custom CSV and OCSF (issue 10, item 6)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import polars as pl
from test_mdca_export import run_export, sample_rows, write_records

from shadowlens.outputs.report import write_report

MAX = 2**64 - 1
CEF = "CEF:0|V|P|1|100|Allowed|3|rt=1700000000000 dhost=files.slack.com in={up} out=5\n"


def _huge(tmp_path: Path) -> Path:
    rows = sample_rows(2)
    rows[0] |= {"bytes_up": MAX, "bytes_down": 5, "bytes_total": None, "user_name": "u"}
    rows[1] |= {"bytes_up": 2, "bytes_down": 5, "bytes_total": None, "user_name": "u"}
    return write_records(tmp_path, rows)


def test_report_sums_past_2_64_exactly(tmp_path: Path) -> None:
    out = _huge(tmp_path)
    write_report(out)
    report = json.loads((out / "report.json").read_text())
    assert report["totals"]["traffic"] == {
        "upload": MAX + 2,
        "download": 10,
        "total": MAX + 2 + 10,
    }
    (user,) = report["top_users"]
    assert (user["upload"], user["traffic"]) == (MAX + 2, MAX + 12)


def test_run_on_huge_cef_counters_reports_the_true_upload(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    log = tmp_path / "big.log"
    log.write_text(CEF.format(up=MAX) + CEF.format(up=2), encoding="utf-8")
    result = cli("run", str(log), "-o", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["totals"]["traffic"]["upload"] == MAX + 2


def test_custom_csv_total_is_up_plus_down_without_wrapping(tmp_path: Path) -> None:
    out = _huge(tmp_path)
    assert run_export(out, "--to", "mdca-custom", "-o", tmp_path / "up").exit_code == 0
    raw = gzip.decompress((tmp_path / "up" / "custom-00001.csv.gz").read_bytes())
    table = pl.read_csv(raw, infer_schema=False)
    assert table["TotalBytes"].to_list() == [str(MAX + 5), "7"]


def test_ocsf_caps_bytes_at_the_int64_limit(tmp_path: Path) -> None:
    out = _huge(tmp_path)
    result = run_export(out, "--to", "ocsf", "-o", tmp_path / "lake")
    assert result.exit_code == 0, result.output
    traffic = pl.read_parquet(tmp_path / "lake" / "**" / "*.parquet")["traffic"].to_list()
    big = 2**63 - 1
    assert sorted(traffic, key=lambda t: t["bytes"]) == [
        {"bytes_in": 5, "bytes_out": 2, "bytes": 7},
        {"bytes_in": 5, "bytes_out": big, "bytes": big},
    ]
