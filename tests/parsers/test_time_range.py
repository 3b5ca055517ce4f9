"""Event times outside the accepted years are quarantined as ``bad_timestamp`` (issue 10, item 16).

Year 0 and year 9999 made ``run`` exit 70 and broke the Defender exports. The
check runs after the shared mapping, so the fast path and the Lark reference
path (``--engine reference``) give the same records and the same quarantine.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from shadowlens.engine.pipeline import RunConfig, run_parse
from shadowlens.errors import ConfigError
from shadowlens.parsers.base import ParseOptions
from shadowlens.plugins.manager import get_plugins

HEAD = "CEF:0|V|P|1|100|Allowed|3|"
LINES = [
    HEAD + "rt=Jan 01 0000 00:00:00 dhost=a.example.com",  # year 0
    HEAD + "rt=Dec 31 9999 23:59:59 dhost=b.example.com",  # year 9999
    HEAD + "rt=1700000000000 dhost=c.example.com",  # 2023: kept
    HEAD + "rt=Jan 01 1989 00:00:00 dhost=d.example.com",  # one year too early
    HEAD + "rt=Dec 31 2100 23:59:59 dhost=e.example.com",  # last accepted year: kept
    HEAD + "dhost=f.example.com",  # no time at all: an untimed record, not an error
]


def _parse(
    tmp_path: Path, engine: str, **options: object
) -> tuple[dict, pl.DataFrame, pl.DataFrame]:  # type: ignore[type-arg]
    log = tmp_path / "times.log"
    log.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    out = tmp_path / f"out-{engine}"
    summary = run_parse(
        RunConfig(
            inputs=[str(log)],
            out_dir=out,
            format="cef",
            options=ParseOptions(engine=engine, **options),  # type: ignore[arg-type]
            plugins=get_plugins(load_entrypoints=False),
        )
    )
    records = pl.read_parquet(out / "records")
    quarantine = pl.read_parquet(out / "quarantine")
    return summary, records, quarantine


@pytest.mark.parametrize("engine", ["auto", "reference"])
def test_years_outside_1990_2100_are_quarantined(tmp_path: Path, engine: str) -> None:
    summary, records, quarantine = _parse(tmp_path, engine)
    assert quarantine["source_line"].to_list() == [1, 2, 4]
    assert set(quarantine["error_code"].cast(pl.String)) == {"bad_timestamp"}
    assert quarantine["error_message"][0] == (
        "event time in year 0 is outside the accepted years 1990-2100 (time_range)"
    )
    assert quarantine["raw"][1] == LINES[1]
    assert records["source_line"].to_list() == [3, 5, 6]
    assert records["event_time"].null_count() == 1
    totals = summary["totals"]
    assert (totals["lines"], totals["records"], totals["quarantined"], totals["untimed"]) == (
        6,
        3,
        3,
        1,
    )


def test_fast_path_and_reference_agree(tmp_path: Path) -> None:
    _, fast_records, fast_q = _parse(tmp_path, "auto")
    _, ref_records, ref_q = _parse(tmp_path, "reference")
    assert fast_q["error_code"].cast(pl.String).to_list() == ["bad_timestamp"] * 3
    assert fast_q.equals(ref_q)
    assert fast_records.select("source_line", "event_time").equals(
        ref_records.select("source_line", "event_time")
    )


def test_the_range_is_configurable(tmp_path: Path) -> None:
    # the widest range: year 0 has no datetime in Python, so it is never accepted
    _, records, quarantine = _parse(tmp_path, "auto", time_range=(1, 9999))
    assert quarantine["source_line"].to_list() == [1]
    assert records.height == 5
    _, records, quarantine = _parse(tmp_path, "auto", time_range=(2024, 2100))
    assert quarantine["source_line"].to_list() == [1, 2, 3, 4]


def test_a_reversed_range_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="time range 2100-1990"):
        ParseOptions(time_range=(2100, 1990))


def test_run_and_exports_survive_year_0_and_9999(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    log = tmp_path / "times.log"
    log.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    result = cli("run", str(log), "-o", str(out))
    assert result.returncode == 0, result.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["totals"]["quarantined"] == 3
    report = json.loads((out / "report.json").read_text())
    assert report["totals"]["time_range"]["first"] == "2023-11-14T22:13:20Z"
    for to in ("mdca", "mdca-custom", "ocsf"):
        exported = cli("export", str(out), "--to", to, "-o", str(tmp_path / to))
        assert exported.returncode == 0, (to, exported.stderr)
