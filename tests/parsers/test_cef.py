"""CEF: golden files, byte direction, prefixes, timestamps, and the CLI on compressed inputs.

Golden inputs are ``tests/parsers/golden/cef/*.log`` (``<name>.options.json``
beside one sets its ParseOptions); the expected records and quarantine rows are
the ``*.jsonl`` next to them. After a deliberate change, regenerate them with
``SHADOWLENS_REGEN_GOLDEN=1 pytest tests/parsers/test_cef.py`` and review the diff.
"""

from __future__ import annotations

import bz2
import datetime as dt
import gzip
import json
import re
import zipfile
from pathlib import Path
from typing import Any, ClassVar

import polars as pl
import pytest
import zstandard

from golden_files import check_golden, read_lines, render
from shadowlens.parsers.base import ParseOptions, ParseResult
from shadowlens.testing import (
    assert_fast_matches_reference,
    check_format_contract,
    format_class,
    parse_lines,
)

CefFormat = format_class("cef")
GOLDEN = Path(__file__).parent / "golden" / "cef"
GOLDEN_INPUTS = sorted(GOLDEN.glob("*.log"))


class GenericCef(CefFormat):  # type: ignore[misc,valid-type]
    """Picks extension values by the generic route only (no learned key order)."""

    max_templates: ClassVar[int] = 0


def options_for(path: Path, **extra: Any) -> ParseOptions:
    """Year 2024 (yearless times stay stable) plus the file's own options."""
    settings: dict[str, Any] = {"year": 2024}
    sidecar = path.with_suffix(".options.json")
    if sidecar.exists():
        settings.update(json.loads(sidecar.read_text(encoding="utf-8")))
    return ParseOptions(**{**settings, **extra})


def parse(lines: list[str], **options: Any) -> ParseResult:
    return parse_lines(CefFormat, lines, options=ParseOptions(**{"year": 2024, **options}))


def one(line: str, **options: Any) -> dict[str, Any]:
    """The single record of ``line``, extras as a dict."""
    result = parse([line], **options)
    assert result.quarantine.height == 0, result.quarantine.to_dicts()
    record = result.records.to_dicts()[0]
    record["extras"] = dict(
        zip(record.pop("extras_keys"), record.pop("extras_values"), strict=True)
    )
    return record


# -- golden files ------------------------------------------------------------------------


@pytest.mark.parametrize("source", GOLDEN_INPUTS, ids=lambda p: p.stem)
def test_golden(source: Path) -> None:
    got = render(parse_lines(CefFormat, read_lines(source), options=options_for(source)))
    check_golden(source, got)


@pytest.mark.parametrize("source", GOLDEN_INPUTS, ids=lambda p: p.stem)
@pytest.mark.parametrize(
    ("fmt", "engine"),
    [(CefFormat, "reference"), (GenericCef, "auto")],
    ids=["lark-reference", "generic-pick"],
)
def test_golden_same_by_every_route(source: Path, fmt: Any, engine: str) -> None:
    """Lark alone, and the generic value pick, give the very records of the fast path."""
    lines = read_lines(source)
    fast = render(parse_lines(CefFormat, lines, options=options_for(source)))
    assert render(parse_lines(fmt, lines, options=options_for(source, engine=engine))) == fast


@pytest.mark.parametrize("source", GOLDEN_INPUTS, ids=lambda p: p.stem)
def test_golden_fast_path_agrees_with_lark(source: Path) -> None:
    report = assert_fast_matches_reference(CefFormat, [x for x in read_lines(source) if x])
    assert report.fallback == 0
    assert report.agreed > 0


def test_golden_chunking_does_not_matter() -> None:
    lines = [
        line for path in GOLDEN_INPUTS if path.stem != "tz_berlin" for line in read_lines(path)
    ]
    whole = parse_lines(CefFormat, lines, options=ParseOptions(year=2024))
    chunked = parse_lines(CefFormat, lines, options=ParseOptions(year=2024), chunk_lines=3)
    assert render(chunked) == render(whole)


def test_contract() -> None:
    sample = [line for path in GOLDEN_INPUTS for line in read_lines(path) if line]
    check_format_contract(CefFormat, sample, options=ParseOptions(year=2024))


def test_golden_covers_the_promised_cases() -> None:
    """The golden corpus keeps the cases the format promises to handle (guards against pruning)."""
    text = "\n".join(p.read_text(encoding="utf-8") for p in GOLDEN_INPUTS)
    for needle in (
        "CEF: 0|",
        "\\|",
        "\\\\",
        "\\=",
        "\\n",
        "?id=foo&a=bar",
        "cs1=",
        "  dst=",
        "needed   \n",
        "cs1Label=",
        "|Very-High|",
        "rt=1462109351356",
        "rt=Mar 03 10:11:12",
        "<134>1 2024-",
        "spt=70000",
        "src=2001:db8::1",
        "Check Point",
        "PAN-OS",
        "NSSWeblog",
        "zscaler-nss CEF:0|Zscaler|NSSWeblog|5.7|",
        "Fortigate",
    ):
        assert needle in text, needle


# -- byte direction, typing, mapping ------------------------------------------------------


def test_byte_direction() -> None:
    """CEF `in` (bytesIn) is source->destination: bytes_up; `out` is bytes_down."""
    rows = parse(read_lines(GOLDEN / "byte_direction.log")).records.sort("source_line")
    upload, download = rows.row(0, named=True), rows.row(1, named=True)
    assert (upload["bytes_up"], upload["bytes_down"]) == (1048576, 512)
    assert (download["bytes_up"], download["bytes_down"]) == (300, 2097152)
    assert upload["bytes_total"] == 1048576 + 512
    assert rows["bytes_up"].to_list()[2:] == [7, None]
    assert rows["bytes_down"].to_list()[2:] == [None, 9]


@pytest.mark.parametrize(
    ("vendor", "up", "down"),
    [("Zscaler", 52428800, 1843), ("zscaler", 52428800, 1843), ("Vendor", 1843, 52428800)],
)
def test_zscaler_writes_the_response_size_in_in(vendor: str, up: int, down: int) -> None:
    """Zscaler's NSS feed template writes ``in=%d{respsize} out=%d{reqsize}`` (sources:
    golden/cef/README.md): for device vendor Zscaler ``out`` is the upload; any other vendor
    with the very same keys follows the CEF dictionary (``in`` is the upload)."""
    ext = "rt=1764152102000 src=10.20.1.15 dhost=wetransfer.com in=1843 out=52428800"
    for engine in ("fast", "reference"):
        rec = one(f"CEF:0|{vendor}|NSSWeblog|5.0|Allowed|Allowed|3|{ext}", engine=engine)
        assert (rec["bytes_up"], rec["bytes_down"], rec["bytes_total"]) == (up, down, up + down)
        assert not {"in", "out"} & set(rec["extras"])


def test_zscaler_golden_uploads_are_the_request_size() -> None:
    rows = parse(read_lines(GOLDEN / "zscaler_nss.log")).records.sort("source_line")
    assert rows["observer_vendor"].unique().to_list() == ["Zscaler"]
    # out=%d{reqsize} -> bytes_up; in=%d{respsize} -> bytes_down (line 1: a 50 MiB upload)
    assert rows["bytes_up"].to_list() == [52428800, 734, 2048, 48211]
    assert rows["bytes_down"].to_list() == [1843, 10485760, 3412, 1204933]


def test_failed_typing_keeps_the_raw_value() -> None:
    rec = one("CEF:0|V|P|1|c|n|5|rt=1700000000000 spt=70000 dpt=443 src=10.0.0.300 in=x")
    assert (rec["src_port"], rec["dst_port"], rec["src_ip"], rec["bytes_up"]) == (
        None,
        443,
        None,
        None,
    )
    assert rec["extras"] == {"spt": "70000", "src": "10.0.0.300", "in": "x", "cef_version": "0"}


def test_escapes_are_undone_per_part() -> None:
    rec = one(
        "CEF:0|V\\|x|P\\\\|1|c|n \\= n|5|rt=1700000000000 msg=a\\=b c\\\\d\\ne\\rf \\| g suser=D\\\\u"
    )
    assert (rec["observer_vendor"], rec["observer_product"], rec["event_name"]) == (
        "V|x",
        "P\\",
        "n \\= n",
    )
    assert rec["extras"]["msg"] == "a=b c\\d\ne\rf \\| g"
    assert rec["user_name"] == "D\\u"


def test_last_duplicate_wins_and_earlier_ones_stay_in_extras() -> None:
    record = parse(["CEF:0|V|P|1|c|n|5|rt=1700000000000 act=allow cs1=a act=block cs1=b"]).records
    row = record.row(0, named=True)
    assert (row["action"], row["action_raw"]) == ("blocked", "block")
    assert list(zip(row["extras_keys"], row["extras_values"], strict=True)) == [
        ("act", "allow"),
        ("cs1", "a"),
        ("cs1", "b"),
        ("cef_version", "0"),
    ]


@pytest.mark.parametrize(
    ("word", "level"),
    [("Low", 3), ("Medium", 6), ("High", 8), ("Very-High", 10), ("very-high", 10), ("7", 7)],
)
def test_severity_words(word: str, level: int) -> None:
    assert one(f"CEF:0|V|P|1|c|n|{word}|rt=1700000000000")["severity"] == level


def test_action_words_of_vendors() -> None:
    acts = ["Accept", "Drop", "allowed", "Blocked", "accept", "deny", "close", "alert", "weird"]
    lines = [f"CEF:0|V|P|1|c|n|5|rt=1700000000000 act={a}" for a in acts]
    got = parse(lines).records.sort("source_line")["action"].to_list()
    assert got == [
        "allowed",
        "blocked",
        "allowed",
        "blocked",
        "allowed",
        "blocked",
        "allowed",
        "allowed",
        "unknown",
    ]


# -- prefixes and times ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "fields"),
    [
        ("<13>Jan  5 10:00:00 fw1 ", {"syslog_pri": "<13>", "syslog_host": "fw1"}),
        ("Jan  5 10:00:00 fw1 app[12]: ", {"syslog_host": "fw1", "syslog_tag": "app[12]:"}),
        (
            "<134>1 2024-01-05T10:00:00Z fw1 ",
            {"syslog_pri": "<134>", "syslog_version": "1", "syslog_host": "fw1"},
        ),
        ("<14>", {"syslog_pri": "<14>"}),
        ("Syslogdate Sysloghost ", {"syslog_host": "Syslogdate", "syslog_rest": "Sysloghost"}),
    ],
)
def test_prefix_fields_go_to_extras(prefix: str, fields: dict[str, str]) -> None:
    extras = one(prefix + "CEF:0|V|P|1|c|n|5|rt=1700000000000")["extras"]
    assert {
        k: v for k, v in extras.items() if k.startswith("syslog_") and k != "syslog_time"
    } == fields


def test_missing_rt_falls_back_to_the_syslog_time() -> None:
    rec = one("<13>Jan 18 11:07:53 fw1 CEF:0|V|P|1|c|n|5|src=10.0.0.1")
    assert rec["event_time"] == dt.datetime(2024, 1, 18, 11, 7, 53, tzinfo=dt.UTC)
    assert rec["tz_assumed"] is True
    assert "syslog_time" not in rec["extras"]


def test_rt_wins_over_the_syslog_time_which_stays_in_extras() -> None:
    rec = one("<13>Jan 18 11:07:53 fw1 CEF:0|V|P|1|c|n|5|rt=1700000000000")
    assert rec["event_time"] == dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=dt.UTC)
    assert rec["extras"]["syslog_time"] == "Jan 18 11:07:53"


def test_tz_applies_to_zoneless_times_only() -> None:
    lines = read_lines(GOLDEN / "tz_berlin.log")
    rows = parse(lines, tz="Europe/Berlin").records.sort("source_line")
    assert rows["event_time"].dt.to_string("%FT%T%.3f").to_list() == [
        "2024-07-01T10:00:00.000",  # CEST, +02:00
        "2024-01-15T11:00:00.250",  # CET, +01:00
        "2024-07-01T12:00:00.000",  # UTC given
        "2024-07-01T12:00:00.000",  # epoch
        "2024-07-01T10:00:00.000",  # syslog time, zoneless
    ]
    assert rows["tz_assumed"].to_list() == [True, True, False, False, True]


def test_unreadable_rt_keeps_the_record_and_the_raw_value() -> None:
    rec = one("CEF:0|V|P|1|c|n|5|rt=soon src=10.0.0.1")
    assert rec["event_time"] is None
    assert rec["tz_assumed"] is None
    assert rec["src_ip"] == "10.0.0.1"
    assert rec["extras"]["rt"] == "soon"


def test_a_valid_line_without_rt_is_a_record() -> None:
    result = parse(["CEF:0|V|P|1|c|n|5|src=10.0.0.1 act=blocked", "CEF:0|V|P|1|c|n|5|"])
    assert result.quarantine.height == 0
    assert result.records["event_time"].to_list() == [None, None]
    assert result.records["action"].to_list() == ["blocked", None]


def test_duration_from_start_and_end() -> None:
    rec = one("CEF:0|V|P|1|c|n|5|start=1700000000000 end=1700000002500")
    assert rec["duration_ms"] == 2500
    assert rec["extras"]["start"] == "1700000000000"


# -- the fast path ------------------------------------------------------------------------


def test_detect() -> None:
    lines = read_lines(GOLDEN / "vendors.log")
    assert CefFormat.detect(lines) == 1.0
    assert CefFormat.detect(["LEEF:1.0|a|b|c|d|", "#Fields: date time"]) == 0.0


def test_prefix_token_stops_at_the_first_cef_marker() -> None:
    prefix = CefFormat().plan.head.regex
    match = re.match(prefix, "host CEF:0|a|b|c|d|e|1|msg=CEF:0|x|y|z|w|v|2|")
    assert match is not None
    assert match.group("cef_prefix") == "host "
    assert match.group("device_vendor") == "a"


def test_fast_path_takes_every_golden_line_lark_takes() -> None:
    lines = [line for path in GOLDEN_INPUTS for line in read_lines(path) if line]
    fmt = CefFormat(ParseOptions(year=2024))
    frame = pl.DataFrame({"_row": range(len(lines)), "line": lines}).cast({"_row": pl.UInt32})
    fast = set(fmt.fast_fields(frame, None)["_row"].to_list())
    slow, _ = fmt.reference_fields(frame, None)
    assert set(slow["_row"].to_list()) == fast


# -- the CLI on compressed inputs -----------------------------------------------------------


def _expected_counts(lines: list[str]) -> tuple[int, int, int]:
    result = parse([line for line in lines if line])
    return result.records.height, result.quarantine.height, sum(1 for line in lines if not line)


def test_cli_compressed_inputs_and_accounting(cli_subprocess, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    names = [p for p in GOLDEN_INPUTS if p.stem != "tz_berlin"]
    lines = [line for path in names for line in read_lines(path)]
    text = "\n".join(lines) + "\n"
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "plain.log").write_text(text, encoding="utf-8")
    with gzip.open(logs / "a.log.gz", "wt", encoding="utf-8") as fh:
        fh.write(text)
    (logs / "b.log.bz2").write_bytes(bz2.compress(text.encode()))
    (logs / "c.log.zst").write_bytes(zstandard.ZstdCompressor().compress(text.encode()))
    with zipfile.ZipFile(logs / "d.zip", "w") as zf:
        zf.writestr("one.log", text)
        zf.writestr("two.log", "\n".join(read_lines(GOLDEN / "bad_lines.log")) + "\n")
    out = tmp_path / "out"
    done = cli_subprocess(
        "parse", logs, "--format", "cef", "--year", "2024", "-o", out, "--no-progress"
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    files = summary["files"]
    records, quarantined, blank = _expected_counts(lines)
    full = [n for n in files if not n.endswith("two.log")]
    assert len(full) == 5
    assert any(n.endswith("d.zip!/one.log") for n in full)
    for name in full:
        stats = files[name]
        assert (stats["lines"], stats["records"], stats["quarantined"], stats["blank"]) == (
            len(lines),
            records,
            quarantined,
            blank,
        ), name
    for name, stats in files.items():
        assert (
            stats["lines"]
            == stats["records"] + stats["quarantined"] + stats["directives"] + stats["blank"]
        ), name
    totals = summary["totals"]
    assert totals["lines"] == sum(s["lines"] for s in files.values())
    assert (
        totals["lines"]
        == totals["records"] + totals["quarantined"] + totals["directives"] + totals["blank"]
    )

    quarantine = pl.read_parquet(out / "quarantine")
    assert quarantine.height == totals["quarantined"]
    plain = quarantine.filter(pl.col("source_file").cast(pl.String).str.ends_with("plain.log"))
    raw = (logs / "plain.log").read_bytes()
    for row in plain.iter_rows(named=True):
        line = lines[row["source_line"] - 1]
        assert raw[row["source_offset"] :].startswith(line.encode()), row
        assert row["raw"] == line
        assert row["error_code"] in {"syntax", "unexpected_end"}
        assert re.search(r"at column [0-9]+", row["error_message"]), row
    # Only lines that break the grammar: a valid event without a time is a record.
    assert set(plain["error_code"].cast(pl.String)) == {"syntax", "unexpected_end"}

    recs = pl.read_parquet(out / "records")
    assert recs.height == totals["records"]
    assert set(recs["log_format"].cast(pl.String)) == {"cef"}
    zscaler = recs.filter(pl.col("observer_product").cast(pl.String) == "NSSWeblog").filter(
        pl.col("user_name") == "CONTOSO\\alice"
    )
    assert zscaler.height == 5
    extras = zscaler["extras"][0]  # the Parquet map column reads back as a dict
    assert (extras["cs1"], extras["syslog_host"]) == ("Finance Dept", "zscaler-nss")


def test_cli_detects_cef_without_format(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "fw.log"
    src.write_text("\n".join(read_lines(GOLDEN / "vendors.log")) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    done = cli("parse", src, "--year", "2024", "-o", out, "--no-progress")
    assert done.returncode == 0, done.stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    stats = summary["files"][str(src)]
    assert (stats["format"], stats["records"], stats["quarantined"]) == ("cef", 6, 0)


@pytest.mark.parametrize(
    ("prefix", "split"),
    [
        ("<111> Nov 26 10:15:02 fw01 ", {"syslog_host": "fw01"}),
        ("<111>:Nov 26 10:15:02 fw01 ", {"syslog_host": "fw01"}),
        ("<111>Nov 26 10:15:02: ", {}),
    ],
    ids=["space after PRI", "colon after PRI", "time ending with a colon"],
)
def test_relayed_syslog_headers_are_split(prefix: str, split: dict[str, str]) -> None:
    record = one(prefix + "CEF:0|Acme|Proxy|1.0|100|hit|3|src=10.0.0.1")
    syslog = {k: v for k, v in record["extras"].items() if k.startswith("syslog_")}
    assert syslog == {"syslog_pri": "<111>", **split}  # syslog_time became the event time
    assert record["event_time"] == dt.datetime(2024, 11, 26, 10, 15, 2, tzinfo=dt.UTC)
