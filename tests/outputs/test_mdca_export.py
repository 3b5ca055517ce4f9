"""``shadowlens export --to mdca|mdca-custom``: Defender upload-ready files.

Records are written straight into ``out/records`` (the canonical schema), exported
through the command, and the CEF files are parsed back with ``shadowlens parse`` in
a subprocess: the exported columns must come back unchanged.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import re
import time
import zlib
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq
import pytest
from polars.testing import assert_frame_equal

from cli_harness import CliResult, invoke_cli
from shadowlens.outputs import export_cmd
from shadowlens.outputs.manifest import load_manifest
from shadowlens.outputs.mdca_custom import CUSTOM_COLUMNS, timestamp_layout
from shadowlens.outputs.mdca_export import W3C_FIELDS
from shadowlens.schema import RECORD_POLARS_SCHEMA, RECORD_SCHEMA, conform, to_arrow

T0 = dt.datetime(2026, 11, 1, 8, 30, tzinfo=dt.UTC)
#: Columns every generic export carries and the parsers give back.
COMPARED = [
    "event_time",
    "src_ip",
    "src_port",
    "user_name",
    "dst_ip",
    "dst_port",
    "dst_host",
    "url",
    "http_method",
    "http_status",
    "user_agent",
    "bytes_up",
    "bytes_down",
    "action",
]
HOSTILE = [
    "a|b",
    "x=y",
    "back\\slash",
    "<script>alert(1)</script>",
    "line\nbreak",
    "cr\rhere",
    "crlf\r\nboth",
    "k=v z=w",
    "ends with backslash\\",
    "=starts",
    "a \\= b",
    "\\n is not a newline",
    "| pipe | pipes |",
    "tab\there",
    "nul\x00byte",
    "unicode\u2028line\u2029para\x85nel",
    "é漢字🙂",
    '"quoted", comma',
]


def _w3c_registered() -> bool:
    try:
        from shadowlens.plugins.manager import get_plugins

        return "w3c" in get_plugins(load_entrypoints=False).formats()
    except Exception:
        return False


def write_records(folder: Path, rows: list[dict[str, Any]]) -> Path:
    """``folder/out/records/part-00000.parquet`` in the canonical schema; returns ``out``."""
    records = folder / "out" / "records"
    records.mkdir(parents=True)
    given = (
        pl.DataFrame(rows, infer_schema_length=None)
        if rows
        else pl.DataFrame(schema={"source_line": pl.UInt64()})
    )
    frame = conform(given, RECORD_POLARS_SCHEMA)
    pq.write_table(to_arrow(frame, RECORD_SCHEMA), records / "part-00000.parquet")
    return folder / "out"


def sample_rows(count: int, start: dt.datetime = T0, step_s: int = 7) -> list[dict[str, Any]]:
    """Varied proxy records (times with milliseconds, IPv4 and IPv6, every method)."""
    methods = ["GET", "POST", "CONNECT", "PUT", None]
    rows = []
    for i in range(count):
        host = f"app{i % 37}.example.com"
        method = methods[i % len(methods)]
        url = {None: None, "CONNECT": f"{host}:443"}.get(method, f"https://{host}/p/{i}?q={i}")
        rows.append(
            {
                "event_time": start + dt.timedelta(seconds=i * step_s, milliseconds=i % 1000),
                "src_ip": f"10.1.{i % 250}.{i % 200 + 1}" if i % 11 else f"2001:db8::{i % 999:x}",
                "src_port": 1024 + i % 60000,
                "user_name": f"user{i % 50}@contoso.com" if i % 7 else None,
                "dst_ip": f"203.0.113.{i % 254 + 1}" if i % 5 else None,
                "dst_port": 443 if i % 4 else 8080,
                "dst_host": host,
                "url": url,
                "http_method": method,
                "http_status": (200, 403, 302)[i % 3] if method else None,
                "user_agent": "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101" if i % 2 else None,
                "bytes_up": (i * 131) % 90_000,
                "bytes_down": (i * 7919) % 3_000_000 if i % 9 else None,
                "action": "blocked" if i % 3 == 1 else "allowed",
                "action_raw": "Blocked" if i % 3 == 1 else "Allowed",
                "observer_vendor": "Zscaler",
                "observer_product": "NSSWeblog",
                "source_file": "proxy.log",
                "source_line": i + 1,
            }
        )
    return rows


def run_export(*args: str | Path) -> CliResult:
    """``shadowlens export ARGS``; an internal error fails the test at once."""
    result = invoke_cli("export", *args, env={"SHADOWLENS_DEBUG": "1"})
    return result


def parse_back(files: list[Path], out: Path) -> pl.DataFrame:
    """``shadowlens parse``; checks nothing was quarantined."""
    proc = invoke_cli("parse", *files, "-o", out)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["totals"]["quarantined"] == 0, proc.stderr
    return pl.read_parquet(out / "records" / "*.parquet")


def comparable(frame: pl.DataFrame, columns: list[str] = COMPARED) -> pl.DataFrame:
    """The compared columns, categoricals as text, time cut to the millisecond."""
    return frame.select(
        pl.col("event_time").dt.truncate("1ms"),
        *(pl.col(c).cast(pl.String) for c in columns if c != "event_time"),
    )


def gz_members(path: Path) -> list[bytes]:
    """Decompress each gzip member separately (to prove there is exactly one)."""
    data, members = path.read_bytes(), []
    while data:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        members.append(inflater.decompress(data) + inflater.flush())
        data = inflater.unused_data
    return members


def test_cef_round_trip_through_our_parser(tmp_path: Path) -> None:
    rows = sample_rows(400)
    out = write_records(tmp_path, rows)
    result = run_export(out, "--to", "mdca", "--source", "GENERIC_CEF", "-o", tmp_path / "up")
    assert result.exit_code == 0, result.output
    manifest = load_manifest(tmp_path / "up")
    assert [f.path for f in manifest.files] == ["cef-00001.log.gz"]
    assert manifest.files[0].source == "GENERIC_CEF"
    assert manifest.files[0].lines == 400
    back = parse_back([tmp_path / "up" / "cef-00001.log.gz"], tmp_path / "back")
    original = pl.read_parquet(out / "records" / "*.parquet")
    assert_frame_equal(comparable(back), comparable(original))
    # CEF-only facts come back too (header, transport and protocol words)
    assert back["observer_vendor"].cast(pl.String).unique().to_list() == ["Zscaler"]


def test_cef_line_shape_and_byte_direction(tmp_path: Path) -> None:
    row = sample_rows(2)[1] | {"bytes_up": 111, "bytes_down": 222, "transport": "tcp"}
    row |= {"app_protocol": "https", "severity": 7, "event_name": "web", "user_name": None}
    out = write_records(tmp_path, [row])
    run_export(out, "--to", "mdca", "-o", tmp_path / "up")
    (line,) = gzip.decompress((tmp_path / "up" / "cef-00001.log.gz").read_bytes()).splitlines()
    text = line.decode()
    assert text.startswith("CEF:0|Zscaler|NSSWeblog|-|traffic|web|7|rt=")
    pairs = dict(re.findall(r"(\w+)=(\S*)", text.split("|", 7)[7]))
    assert pairs["in"] == "111"  # CEF bytesIn: source -> destination = uploaded
    assert pairs["out"] == "222"
    assert pairs["rt"] == str(int(row["event_time"].timestamp() * 1000))
    assert (pairs["proto"], pairs["app"], pairs["act"]) == ("TCP", "HTTPS", "blocked")
    assert pairs["cs6Label"] == "shadowlens-export"  # so no reader flips in/out by vendor
    assert "suser" not in pairs  # null values leave their key out


def _no_breaks(text: str, lines: int) -> None:
    assert text.endswith("\n")
    assert text.count("\n") == lines
    assert len(text.splitlines()) == lines  # also splits on \r, \x85, \u2028, ...
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]", text.replace("\t", ""))


def test_cef_hostile_values_neither_break_lines_nor_change(tmp_path: Path) -> None:
    rows = []
    for i, value in enumerate(HOSTILE):
        row = sample_rows(i + 1)[i] | {"user_name": value, "user_agent": value}
        row |= {"url": f"https://app.example.com/?q={value}", "dst_host": "app.example.com"}
        row |= {"observer_vendor": value, "observer_product": f"P|{value}", "event_name": value}
        rows.append(row)
    out = write_records(tmp_path, rows)
    run_export(out, "--to", "mdca", "-o", tmp_path / "up")
    path = tmp_path / "up" / "cef-00001.log.gz"
    text = gzip.decompress(path.read_bytes()).decode("utf-8")
    _no_breaks(text, len(HOSTILE))
    assert "\t" not in text
    back = parse_back([path], tmp_path / "back")
    assert back.height == len(HOSTILE)

    def ext(value: str) -> str:  # what survives in an extension value
        return re.sub(r"[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]", " ", value)

    def head(value: str) -> str:  # and in a header field
        return re.sub(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]", " ", value)

    assert back["user_name"].to_list() == [ext(v) for v in HOSTILE]
    assert back["user_agent"].to_list() == [ext(v) for v in HOSTILE]
    assert back["url"].to_list() == [f"https://app.example.com/?q={ext(v)}" for v in HOSTILE]
    assert back["observer_vendor"].cast(pl.String).to_list() == [head(v) for v in HOSTILE]
    assert back["observer_product"].cast(pl.String).to_list() == [f"P|{head(v)}" for v in HOSTILE]
    assert back["event_name"].to_list() == [head(v) for v in HOSTILE]


W3C_XFAIL = pytest.mark.xfail(
    not _w3c_registered(),
    reason="the W3C parser (another engineer's) is not registered yet",
    strict=False,
)


@W3C_XFAIL
def test_w3c_round_trip_through_our_parser(tmp_path: Path) -> None:
    # W3C has no CONNECT authority form and rebuilds a URL from the host when none
    # is logged, so the round trip uses records with an absolute URL
    rows = [r for r in sample_rows(300) if r["http_method"] not in ("CONNECT", None)]
    out = write_records(tmp_path, rows)
    result = run_export(out, "--to", "mdca", "--source", "GENERIC_W3C", "-o", tmp_path / "up")
    assert result.exit_code == 0, result.output
    back = parse_back([tmp_path / "up" / "w3c-00001.log.gz"], tmp_path / "back")
    original = pl.read_parquet(out / "records" / "*.parquet")
    assert_frame_equal(comparable(back), comparable(original))


def test_w3c_layout_and_hostile_values(tmp_path: Path) -> None:
    rows = [sample_rows(1)[0] | {"user_name": v, "user_agent": v} for v in [*HOSTILE, "-", ""]]
    out = write_records(tmp_path, rows)
    run_export(out, "--to", "mdca", "--source", "GENERIC_W3C", "-o", tmp_path / "up")
    text = gzip.decompress((tmp_path / "up" / "w3c-00001.log.gz").read_bytes()).decode()
    lines = text.splitlines()
    assert lines[0].startswith("#Software: shadowlens ")
    assert lines[1:4] == [
        "#Version: 1.0",
        "#Date: 2026-11-01 08:30:00",
        "#Fields: " + " ".join(name for name, _ in W3C_FIELDS),
    ]
    _no_breaks(text, len(rows) + 4)
    entries = lines[4:]
    assert entries[0].split(" ")[:3] == ["2026-11-01", "08:30:00.000", "2001:db8::0"]
    assert ' "a|b" ' not in entries[0]
    assert " a|b " in entries[0]
    assert ' """quoted"", comma" ' in entries[-3]
    assert entries[-2].count(' "-" ') == 2
    assert entries[-1].count(' "" ') == 0
    for entry in entries:  # every entry has as many values as #Fields names
        values = re.findall(r'"(?:[^"]|"")*"|[^ ]+', entry)
        assert len(values) == len(W3C_FIELDS), entry


def test_split_by_compressed_size(tmp_path: Path) -> None:
    out = write_records(tmp_path, sample_rows(3000))
    single = tmp_path / "single"
    run_export(out, "--to", "mdca", "-o", single)
    result = run_export(out, "--to", "mdca", "-o", tmp_path / "up", "--max-bytes", "8KB")
    assert result.exit_code == 0, result.output
    manifest = load_manifest(tmp_path / "up")
    assert len(manifest.files) > 3
    assert [f.path for f in manifest.files] == [
        f"cef-{n:05d}.log.gz" for n in range(1, len(manifest.files) + 1)
    ]
    joined = b""
    for entry in manifest.files:
        path = tmp_path / "up" / entry.path
        data = path.read_bytes()
        assert len(data) == entry.bytes <= 8000
        assert entry.bytes > 6000 or entry is manifest.files[-1]  # files are filled
        assert hashlib.sha256(data).hexdigest() == entry.sha256
        (member,) = gz_members(path)
        assert member.count(b"\n") == entry.lines
        times = [int(m) for m in re.findall(rb"\|rt=(\d+) ", member)]
        assert entry.first_time
        assert entry.last_time
        assert int(entry.first_time.timestamp() * 1000) == min(times)
        assert int(entry.last_time.timestamp() * 1000) == max(times)
        joined += member
    assert sum(f.lines for f in manifest.files) == 3000
    assert joined == gzip.decompress((single / "cef-00001.log.gz").read_bytes())
    assert not list((tmp_path / "up").glob(".*"))  # no temporary files left


def test_split_by_uncompressed_size_repeats_the_w3c_header(tmp_path: Path) -> None:
    out = write_records(tmp_path, sample_rows(500))
    result = run_export(
        out, "--to", "mdca", "--source", "GENERIC_W3C", "-o", tmp_path / "up",
        "--max-bytes", "20000", "--size-basis", "uncompressed",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    manifest = load_manifest(tmp_path / "up")
    assert len(manifest.files) > 3
    for entry in manifest.files:
        (member,) = gz_members(tmp_path / "up" / entry.path)
        assert len(member) <= 20000
        assert member.startswith(b"#Software: shadowlens")
        assert member.count(b"\n") == entry.lines + 4
    assert sum(f.lines for f in manifest.files) == 500


def test_line_longer_than_the_limit_is_a_clear_error(tmp_path: Path) -> None:
    out = write_records(tmp_path, sample_rows(3))
    result = run_export(out, "--to", "mdca", "-o", tmp_path / "up", "--max-bytes", "200")
    assert result.exit_code == 2
    assert "does not fit" in result.output
    assert not list((tmp_path / "up").iterdir())  # no manifest, no partial file


def test_previous_export_is_replaced(tmp_path: Path) -> None:
    out = write_records(tmp_path, sample_rows(2000))
    run_export(out, "--to", "mdca", "-o", tmp_path / "up", "--max-bytes", "8KB")
    (tmp_path / "up" / ".cef-00009.log.gz.tmp").write_bytes(b"left by a crash")
    run_export(out, "--to", "mdca", "-o", tmp_path / "up")
    assert sorted(p.name for p in (tmp_path / "up").iterdir()) == [
        "cef-00001.log.gz",
        "manifest.json",
    ]


def test_max_age_days_is_relative_to_as_of(tmp_path: Path) -> None:
    as_of = dt.datetime(2027, 1, 30, tzinfo=dt.UTC)
    rows = sample_rows(200, start=as_of - dt.timedelta(days=199), step_s=86400)
    out = write_records(tmp_path, rows)
    result = run_export(
        out, "--to", "mdca", "-o", tmp_path / "up", "--max-age-days", "90", "--as-of", "2027-01-30"
    )
    assert result.exit_code == 0, result.output
    cutoff = as_of - dt.timedelta(days=90)
    kept = [r for r in rows if r["event_time"] >= cutoff]
    (entry,) = load_manifest(tmp_path / "up").files
    assert entry.lines == len(kept) == 91
    assert entry.first_time is not None
    assert entry.first_time >= cutoff
    assert "109 record(s) before 2026-11-01 00:00 UTC dropped" in result.output


@pytest.mark.parametrize(
    ("args", "name", "header_lines"),
    [
        (["--to", "mdca"], "cef-00001.log.gz", 0),
        (["--to", "mdca", "--source", "GENERIC_W3C"], "w3c-00001.log.gz", 4),
        (["--to", "mdca-custom"], "custom-00001.csv.gz", 1),
    ],
)
def test_records_without_a_time_are_skipped_and_counted(
    tmp_path: Path, args: list[str], name: str, header_lines: int
) -> None:
    rows = sample_rows(10)
    for index in (0, 7):
        rows[index] |= {"event_time": None, "user_name": f"untimed{index}"}
    out = write_records(tmp_path, rows)
    result = run_export(out, *args, "-o", tmp_path / "up")
    assert result.exit_code == 0, result.output
    manifest = load_manifest(tmp_path / "up")
    assert manifest.skipped_untimed == 2
    raw = json.loads((tmp_path / "up" / "manifest.json").read_text(encoding="utf-8"))
    assert raw["skipped_untimed"] == 2
    (entry,) = manifest.files
    assert (entry.path, entry.lines) == (name, 8)
    text = gzip.decompress((tmp_path / "up" / name).read_bytes()).decode()
    assert len(text.splitlines()) == 8 + header_lines
    assert "untimed" not in text
    assert entry.first_time == rows[1]["event_time"]
    assert "8 of 10 record(s)" in result.output
    assert "2 record(s) without an event time skipped" in result.output


def test_max_age_days_leaves_untimed_records_to_their_own_count(tmp_path: Path) -> None:
    as_of = dt.datetime(2027, 1, 30, tzinfo=dt.UTC)
    rows = sample_rows(200, start=as_of - dt.timedelta(days=199), step_s=86400)
    for index in (3, 150, 199):  # one too old, two recent
        rows[index]["event_time"] = None
    out = write_records(tmp_path, rows)
    result = run_export(
        out, "--to", "mdca", "-o", tmp_path / "up", "--max-age-days", "90", "--as-of", "2027-01-30"
    )
    assert result.exit_code == 0, result.output
    (entry,) = load_manifest(tmp_path / "up").files
    assert entry.lines == 91 - 2
    assert load_manifest(tmp_path / "up").skipped_untimed == 3
    assert "108 record(s) before 2026-11-01 00:00 UTC dropped" in result.output
    assert "3 record(s) without an event time skipped" in result.output


def test_only_untimed_records_give_an_empty_manifest_with_the_count(tmp_path: Path) -> None:
    rows = [row | {"event_time": None} for row in sample_rows(5)]
    out = write_records(tmp_path, rows)
    for to in ("mdca", "mdca-custom"):
        result = run_export(out, "--to", to, "-o", tmp_path / to)
        assert result.exit_code == 0, result.output
        manifest = load_manifest(tmp_path / to)
        assert (manifest.files, manifest.skipped_untimed) == ((), 5)


def test_portal_and_api_limits(tmp_path: Path) -> None:
    from shadowlens.outputs.mdca_export import API_MAX_BYTES, PORTAL_MAX_BYTES

    assert PORTAL_MAX_BYTES <= 1024**3
    assert PORTAL_MAX_BYTES >= 10**9
    assert API_MAX_BYTES <= 5 * 1024**3
    assert API_MAX_BYTES >= 5 * 10**9
    assert export_cmd.parse_size("1GB") == PORTAL_MAX_BYTES
    with pytest.raises(Exception, match="max-bytes"):
        export_cmd.parse_size("lots")


def test_empty_records_give_an_empty_manifest(tmp_path: Path) -> None:
    out = write_records(tmp_path, [])
    result = run_export(out, "--to", "mdca", "-o", tmp_path / "up")
    assert result.exit_code == 0, result.output
    assert load_manifest(tmp_path / "up").files == ()


def test_bad_options_exit_with_config_errors(tmp_path: Path) -> None:
    out = write_records(tmp_path, sample_rows(1))
    for args in (
        ["--to", "mdca", "--source", "ZSCALER"],
        ["--to", "nowhere"],
        ["--to", "mdca", "--size-basis", "zipped"],
        ["--to", "mdca-custom", "--timestamp-format", "HH:mm"],
    ):
        result = run_export(out, *args, "-o", tmp_path / "up")
        assert result.exit_code == 2, (args, result.output)
    assert run_export(tmp_path / "nothing", "--to", "mdca", "-o", tmp_path / "u").exit_code == 3


def test_custom_csv_and_parser_settings(tmp_path: Path) -> None:
    rows = [sample_rows(len(HOSTILE))[i] | {"user_name": v} for i, v in enumerate(HOSTILE)]
    rows[0] |= {"bytes_total": 5, "bytes_up": None, "bytes_down": None}
    rows[1] |= {"url": 'https://x.test/a,b "c"', "action": "unknown"}
    rows[2] |= {"event_time": dt.datetime(2026, 11, 2, 12, 0, 5, tzinfo=dt.UTC)}
    rows[3] |= {"event_time": dt.datetime(2026, 11, 2, 0, 15, tzinfo=dt.UTC)}
    out = write_records(tmp_path, rows)
    result = run_export(out, "--to", "mdca-custom", "-o", tmp_path / "up")
    assert result.exit_code == 0, result.output
    (entry,) = load_manifest(tmp_path / "up").files
    assert (entry.path, entry.source, entry.lines) == ("custom-00001.csv.gz", "CUSTOM_PARSER", 18)
    raw = gzip.decompress((tmp_path / "up" / entry.path).read_bytes())
    assert not raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8")
    _no_breaks(text, len(rows) + 1)
    assert '"' not in text
    table = pl.read_csv(raw, quote_char=None, infer_schema=False)
    assert table.columns == list(CUSTOM_COLUMNS)
    assert table.height == len(rows)
    layout = timestamp_layout("d/M/yyyy HH:mm:ss a")
    assert layout.endswith(" %p")  # 24-hour clock plus a marker that must agree with it
    stamp, marker = table["Timestamp"].str.head(-3), table["Timestamp"].str.tail(2)
    times = stamp.str.strptime(pl.Datetime("us"), layout.removesuffix(" %p")).to_list()
    assert times == [r["event_time"].replace(microsecond=0, tzinfo=None) for r in rows]
    assert marker.to_list() == ["PM" if t.hour >= 12 else "AM" for t in times]
    assert table["Timestamp"][:4].to_list() == [
        "01/11/2026 08:30:00 AM",
        "01/11/2026 08:30:07 AM",
        "02/11/2026 12:00:05 PM",
        "02/11/2026 00:15:00 AM",
    ]
    assert table["Action"].to_list()[:5] == ["Allowed", None, "Allowed", "Allowed", "Blocked"]
    assert table["TotalBytes"][0] == "5"
    assert table["UploadedBytes"][0] is None
    assert table["DestinationURL"][1] == "https://x.test/a%2Cb%20%22c%22"
    assert table["Username"][-1] == " quoted   comma"
    settings = json.loads((tmp_path / "up" / "custom-parser.json").read_text())
    assert settings["column_order"] == table.columns
    assert settings["timestamp_format"] == "d/M/yyyy HH:mm:ss a"
    assert settings["deny_action_term"] == "Blocked"
    assert settings["source_ip_column_name"] == "SourceIP"
    printed = (tmp_path / "up" / "custom-parser.txt").read_text()
    assert printed in result.stdout
    assert re.search(r"'Deny' action term +Blocked", printed)


def test_custom_timestamp_format_option(tmp_path: Path) -> None:
    out = write_records(tmp_path, sample_rows(3))
    result = run_export(
        out, "--to", "mdca-custom", "-o", tmp_path / "up",
        "--timestamp-format", "yyyy-MM-dd HH:mm:ss", "--source", "my_parser",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (entry,) = load_manifest(tmp_path / "up").files
    assert entry.source == "MY_PARSER"
    lines = gzip.decompress((tmp_path / "up" / entry.path).read_bytes()).decode().splitlines()
    assert lines[1].startswith("2026-11-01 08:30:00,")
    assert "yyyy-MM-dd HH:mm:ss" in result.stdout


def big_records(folder: Path, count: int) -> Path:
    """``count`` varied records built column-wise (no Python per record)."""
    i = pl.col("i")
    frame = pl.DataFrame({"i": pl.int_range(0, count, eager=True)}).select(
        event_time=pl.datetime(2026, 11, 1, time_zone="UTC") + pl.duration(milliseconds=i * 431),
        src_ip=pl.format("10.1.{}.{}", i % 250, i % 200 + 1),
        src_port=1024 + i % 60000,
        user_name=pl.format("user{}@contoso.com", i % 500),
        dst_ip=pl.format("203.0.113.{}", i % 254 + 1),
        dst_port=pl.lit(443),
        dst_host=pl.format("app{}.example.com", i % 5000),
        url=pl.format("https://app{}.example.com/api/v1/items/{}?page={}", i % 5000, i, i % 7),
        http_method=pl.when(i % 3 == 0).then(pl.lit("POST")).otherwise(pl.lit("GET")),
        http_status=pl.lit(200),
        user_agent=pl.lit("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36"),
        bytes_up=(i * 131) % 90_000,
        bytes_down=(i * 7919) % 3_000_000,
        action=pl.when(i % 10 == 0).then(pl.lit("blocked")).otherwise(pl.lit("allowed")),
        observer_vendor=pl.lit("Zscaler"),
        observer_product=pl.lit("NSSWeblog"),
        source_file=pl.lit("proxy.log"),
        source_line=i + 1,
    )
    records = folder / "out" / "records"
    records.mkdir(parents=True)
    table = to_arrow(conform(frame, RECORD_POLARS_SCHEMA), RECORD_SCHEMA)
    pq.write_table(table, records / "part-00000.parquet", row_group_size=1_000_000)
    return folder / "out"


@pytest.mark.slow
def test_200k_records_export_throughput(tmp_path: Path) -> None:
    """Whole exports of 200,000 records (figures printed; run with -s to see them)."""
    out = big_records(tmp_path, 200_000)
    figures = []
    for label, args in (
        ("CEF", ["--to", "mdca", "-o", tmp_path / "cef", "--max-bytes", "2MB"]),
        ("OCSF", ["--to", "ocsf", "-o", tmp_path / "lake"]),
    ):
        start = time.perf_counter()
        result = run_export(out, *args)
        elapsed = time.perf_counter() - start
        assert result.exit_code == 0, result.output
        figures.append(f"{label} {200_000 / elapsed:,.0f} records/s ({elapsed:.2f} s)")
    manifest = load_manifest(tmp_path / "cef")
    assert len(manifest.files) > 2
    assert all(f.bytes <= 2_000_000 for f in manifest.files)
    assert sum(f.lines for f in manifest.files) == 200_000
    lake = pl.scan_parquet(tmp_path / "lake" / "**" / "*.parquet", hive_partitioning=False)
    assert lake.select(pl.len()).collect().item() == 200_000
    print("export of 200,000 records:", "; ".join(figures))
