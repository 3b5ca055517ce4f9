"""The CSV of ``export --to mdca-custom`` read back (format ``mdca-csv``).

The layout is shadowlens' own (``src/shadowlens/outputs/mdca_custom.py``): the header
row ``CUSTOM_COLUMNS``, times in UTC written ``d/M/yyyy HH:mm:ss a`` by default (hours
0-23), ``Action`` ``Blocked``/``Allowed``/empty, the URL or else the host. The round
trip parses vendor fixtures, exports them and reads the CSV back.
"""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from fixtures import VENDOR

from cli_harness import invoke_cli
from golden_files import read_lines
from shadowlens.contract import ParseOptions
from shadowlens.engine.detect import detect_format
from shadowlens.engine.pipeline import RunConfig, run_parse
from shadowlens.outputs.mdca_custom import CUSTOM_COLUMNS
from shadowlens.plugins.manager import get_plugins
from shadowlens.testing import (
    assert_examples,
    assert_fast_matches_reference,
    check_format_contract,
    format_class,
    parse_lines,
)

MDCA = format_class("mdca-csv")
HERE = VENDOR / "mdca-csv"
HEADER = ",".join(CUSTOM_COLUMNS)
#: The canonical columns the CSV carries (url and dst_host share DestinationURL).
CARRIED = [
    "event_time",
    "src_ip",
    "dst_ip",
    "user_name",
    "bytes_up",
    "bytes_down",
    "bytes_total",
    "action",
]


def rows(lines: list[str], **options: Any) -> list[dict[str, Any]]:
    result = parse_lines(MDCA, lines, options=ParseOptions(**options))
    assert result.quarantine.height == 0, result.quarantine.to_dicts()
    out = result.records.to_dicts()
    for row in out:
        row["extras"] = dict(zip(row.pop("extras_keys"), row.pop("extras_values"), strict=True))
    return out


def test_contract_examples_and_both_paths() -> None:
    sample = read_lines(HERE / "reference.log")
    check_format_contract(MDCA, sample)
    assert assert_examples(MDCA) == 4
    report = assert_fast_matches_reference(MDCA, sample[1:] + read_lines(HERE / "garbled.log")[1:])
    assert (report.agreed, report.rejected) == (len(sample) - 1 + 2, 1)


def test_header_rows_are_directives_and_the_layout_is_fixed() -> None:
    result = parse_lines(MDCA, read_lines(HERE / "export.log"))
    assert result.directives == 1
    assert result.records.height == 17
    assert result.quarantine.height == 0


def test_uploaded_is_up_and_downloaded_is_down() -> None:
    upload, download = rows(read_lines(HERE / "byte_direction.log"))
    assert (upload["bytes_up"], upload["bytes_down"]) == (52428800, 4096)
    assert (download["bytes_up"], download["bytes_down"]) == (3072, 20971520)


def test_times_are_utc_and_the_meridiem_does_not_shift_24_hour_clocks() -> None:
    pm, midnight, short = rows(read_lines(HERE / "reference.log")[1:4], tz="Europe/Berlin")
    assert pm["event_time"].isoformat() == "2025-11-26T14:16:39+00:00"
    assert midnight["event_time"].isoformat() == "2025-11-26T00:05:00+00:00"
    assert short["event_time"].isoformat() == "2025-02-01T09:00:00+00:00"  # d/M: 1 February
    assert {r["tz_assumed"] for r in (pm, midnight, short)} == {False}


def test_another_export_timestamp_format_is_an_option() -> None:
    line = "02/01/2025 09:00:00 AM,10.1.2.3,,,,,,,"
    (default,) = rows([line])
    assert default["event_time"].isoformat() == "2025-01-02T09:00:00+00:00"
    (us,) = rows([line], options={"timestamp_format": "M/d/yyyy HH:mm:ss a"})
    assert us["event_time"].isoformat() == "2025-02-01T09:00:00+00:00"
    (iso,) = rows(
        ["2025-02-01 09:00:00,10.1.2.3,,,,,,,"], options={"timestamp_format": "yyyy-MM-dd HH:mm:ss"}
    )
    assert iso["event_time"].isoformat() == "2025-02-01T09:00:00+00:00"


@pytest.mark.parametrize(
    ("value", "url", "host"),
    [
        ("https://Files.Example.com/up?a=1%2C2", "https://Files.Example.com/up?a=1%2C2", "files.example.com"),
        ("Casino.Example.com/play?tables=1%2C2", "Casino.Example.com/play?tables=1%2C2", "casino.example.com"),
        ("login.example.net:443", "login.example.net:443", "login.example.net"),
        ("teams.microsoft.com", None, "teams.microsoft.com"),
        ("", None, None),
    ],
)  # fmt: skip
def test_destination_url_is_a_url_or_a_host(value: str, url: str | None, host: str | None) -> None:
    (row,) = rows([f"26/11/2025 10:15:01 AM,10.1.2.3,,{value},,,,,Allowed"])
    assert (row.get("url"), row.get("dst_host")) == (url, host)


@pytest.mark.parametrize(("word", "action"), [("Allowed", "allowed"), ("Blocked", "blocked")])
def test_action_words(word: str, action: str) -> None:
    (row,) = rows([f"26/11/2025 10:15:01 AM,10.1.2.3,,,,,,,{word}"])
    assert (row["action"], row["action_raw"]) == (action, word)
    (empty,) = rows(["26/11/2025 10:15:01 AM,10.1.2.3,,,,,,,"])
    assert empty.get("action") is None


@pytest.mark.parametrize(
    ("line", "code", "message"),
    [
        ("26/11/2025 10:40:01 AM,10.1.2.3,142.250.74.110", "field_count",
         "the entry has 3 values but the layout names 9"),
        ('26/11/2025 10:40:02 AM,10.1.2.3,"https://x.example/,a,1,2,3,Allowed', "syntax",
         "unexpected '\"' at column 33"),
    ],
)  # fmt: skip
def test_garbled_rows_are_quarantined(line: str, code: str, message: str) -> None:
    (bad,) = parse_lines(MDCA, [HEADER, line]).quarantine.to_dicts()
    assert bad["error_code"] == code
    assert message in bad["error_message"]


def test_detection_keys_on_the_header_row() -> None:
    formats = get_plugins().formats()
    assert detect_format(read_lines(HERE / "export.log"), formats)[0] == "mdca-csv"
    assert MDCA.detect(read_lines(HERE / "export.log")[1:]) == 0.0  # rows alone: not claimed
    assert MDCA.detect([HEADER.lower()]) == 0.0  # the names are case-sensitive (Defender)
    for other in ("paloalto", "pfsense"):
        assert MDCA.detect(read_lines(VENDOR / other / "reference.log")) == 0.0


def _records(out: Path) -> pl.DataFrame:
    return pl.read_parquet(out / "records")


def test_round_trip_parse_export_parse(tmp_path: Path) -> None:
    """Vendor fixtures -> records -> export --to mdca-custom -> mdca-csv -> same values."""
    inputs = [
        VENDOR / "paloalto" / "reference.log",
        VENDOR / "paloalto" / "byte_direction.log",
        VENDOR / "pfsense" / "reference.log",
    ]
    first = tmp_path / "first"
    run_parse(
        RunConfig(inputs=[str(p) for p in inputs], out_dir=first, options=ParseOptions(year=2025))
    )
    result = invoke_cli("export", first, "--to", "mdca-custom", "-o", tmp_path / "exp")
    assert result.exit_code == 0, result.output
    (gz,) = sorted((tmp_path / "exp").glob("custom-*.csv.gz"))
    csv = tmp_path / "custom.csv"
    csv.write_bytes(gzip.decompress(gz.read_bytes()))
    second = tmp_path / "second"
    summary = run_parse(RunConfig(inputs=[str(csv)], out_dir=second))
    assert summary["totals"]["quarantined"] == 0
    assert summary["totals"]["records_by_format"] == {"mdca-csv": summary["totals"]["records"]}

    before = _records(first).filter(pl.col("event_time").is_not_null())  # the export skips untimed
    after = _records(second)
    assert set(after["log_format"].unique()) == {"mdca-csv"}
    # Whole seconds: the export's timestamp pattern has no fraction. DestinationURL is the
    # URL when the record had one (commas percent-encoded), else the host.
    expected = before.with_columns(
        pl.col("event_time").dt.truncate("1s"),
        pl.col("url").str.replace_all(",", "%2C", literal=True),
    )
    columns = [*CARRIED, "dst_host", "url"]
    assert sorted(after.select(columns).rows(), key=repr) == sorted(
        expected.select(columns).rows(), key=repr
    )
    assert after.height == 19  # 8 + 2 PAN-OS records, 9 timed pfSense records
    assert "Casino.Example.com/play?tables=1%2C2" in after["url"].to_list()
