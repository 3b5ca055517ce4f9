"""Tests of the Stormshield format, written with shadowlens' conformance kit.

The format is data (``stormshield.toml`` + ``stormshield.lark``), so this is what the suite
of a spec-only plugin looks like: the contract check, the fast-path/Lark
differential check (on fixed lines and on lines generated from the grammar),
the spec's own ``[[examples]]``, a golden file, and the mapping facts of the
field table proven by fixtures.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark

from shadowlens import ParseOptions, ParseResult
from shadowlens.testing import (
    assert_fast_matches_reference,
    check_format_contract,
    format_class,
    parse_lines,
)

#: The spec inside the installed package (a .toml or .lark left out of the wheel fails here).
SPEC = Path(str(files("shadowlens_stormshield"))) / "stormshield.toml"
SNS = format_class(SPEC)
GOLDEN = Path(__file__).parent / "golden"
REGENERATE = os.environ.get("SHADOWLENS_REGEN_GOLDEN") == "1"

GOOD = [
    'id=firewall time="2025-11-26 11:15:02" fw="SN310A17C0000001" tz=+0100 startime="2025-11-26 11:14:58" pri=5 ipproto=tcp proto=https src=10.1.2.3 srcport=51234 dst=203.0.113.7 dstport=443 dstname=Internet_Obj sent=5120 rcvd=52428800 duration=173.15 action=pass logtype="connection"',
    'id=firewall time="2025-11-26 11:15:03" fw="fw01" tz=+0100 ipproto=tcp proto=http src=10.1.2.4 dst=198.51.100.9 dstport=80 user="alice" op="POST" result=403 arg="/upload" dstname=Files.Example.com cat_site="Online Storage" sent=88000 rcvd=512 action=block msg="URL filtering: blocked" logtype="web"',
    '<134>Nov 26 10:15:04 fw01 id=firewall time="2025-11-26 11:15:04" tz=+0100 pri=4 src=192.0.2.10 dst=192.0.2.1 dstport=22 action=pass msg="Interactive connection detected" alarmid=85 logtype="alarm"',
    'Nov 26 10:15:05 fw01 asqd: id=firewall time="2025-11-26 11:15:05" tz=+0100 ipproto=udp src=2001:db8::5 dst=2001:db8::53 dstport=53 sent=64 rcvd=128 action= logtype="connection"',
    'id=firewall time="2025-11-26 10:15:06" fw="fw02" src=10.1.2.5 dst=203.0.113.8 sent=10 rcvd=20 action=pass logtype="connection"  ',
]
BROKEN = [
    "",
    'id=firewall time="2025-11-26 11:15:07" tz=+0100 msg="unterminated',
    'id=firewall time="2025-11-26 11:15:07" tz=+0100 =nokey',
    "<134>Nov 26 10:15:04 fw01",
    "CEF:0|Vendor|Product|1|100|name|5|src=10.0.0.1",
]


def record(line: str) -> dict[str, Any]:
    result = parse_lines(SNS, [line])
    assert result.quarantine.height == 0, result.quarantine.to_dicts()
    return result.records.row(0, named=True)


def extras(row: dict[str, Any]) -> dict[str, str]:
    return dict(zip(row["extras_keys"], row["extras_values"], strict=True))


# -- the format contract and the two parsers ---------------------------------------------


def test_contract() -> None:
    check_format_contract(SNS, GOOD)


def test_fast_path_agrees_with_lark_on_fixed_lines() -> None:
    report = assert_fast_matches_reference(SNS, GOOD + BROKEN)
    assert report.agreed == len(GOOD)
    assert report.rejected == len(BROKEN) - 1  # the blank line is never parsed


@settings(max_examples=60, deadline=None)
@given(from_lark(SNS.lark(), start="start"))  # type: ignore[attr-defined]
def test_fast_path_agrees_with_lark_on_generated_lines(line: str) -> None:
    # A pair may end at `$` (the end of the line), so the generator can glue two pairs
    # (`a=1b=2`): both parsers must then reject the line.
    report = assert_fast_matches_reference(SNS, [line])
    assert report.agreed + report.rejected == 1


@settings(max_examples=60, deadline=None)
@given(
    from_lark(SNS.lark(), start="start"),  # type: ignore[attr-defined]
    st.integers(0, 200),
    st.sampled_from(' ="\tx'),
)
@example(GOOD[0], 14, " ")
@example(GOOD[0], 30, "=")
def test_mutated_lines_agree_and_are_accounted(line: str, cut: int, insert: str) -> None:
    mutated = [line[:cut], line[:cut] + insert + line[cut:]]
    assert_fast_matches_reference(SNS, mutated)
    result = parse_lines(SNS, mutated)
    non_blank = sum(1 for m in mutated if m.strip(" \t\x00\x0b\x0c"))
    assert result.records.height + result.quarantine.height == non_blank


@pytest.mark.parametrize("engine", ["fast", "reference"])
def test_engines_give_the_same_records(engine: str) -> None:
    auto = parse_lines(SNS, GOOD).records
    other = parse_lines(SNS, GOOD, options=ParseOptions(engine=engine)).records  # type: ignore[arg-type]
    assert other.equals(auto)


def test_detect() -> None:
    assert SNS.detect(GOOD) == 1.0
    assert SNS.detect(BROKEN[3:]) == 0.0


def test_registered_through_the_entry_point(shadowlens_plugins) -> None:  # type: ignore[no-untyped-def]
    entry = shadowlens_plugins.formats()["stormshield"]
    assert (entry.plugin, entry.distribution) == ("stormshield", "shadowlens-stormshield")
    assert entry.cls.spec.path == SPEC


# -- the spec's own examples and the golden file -------------------------------------------


@pytest.mark.parametrize("case", SNS.spec.examples, ids=lambda e: e.line[:40])  # type: ignore[attr-defined]
def test_spec_examples(case: Any) -> None:
    result = parse_lines(SNS, [case.line])
    if case.quarantined:
        assert result.quarantine["error_code"].to_list() == [case.quarantined]
        return
    row = record(case.line)
    for column, want in case.expect.items():
        if column == "extras":
            assert {k: extras(row).get(k) for k in want} == want
            continue
        got = row[column]
        if isinstance(got, dt.datetime):
            want = dt.datetime.fromisoformat(want)
        assert got == want, column


def render(result: ParseResult) -> list[dict[str, Any]]:
    """Records and quarantined lines as JSON rows in line order (nulls left out)."""
    rows: list[dict[str, Any]] = []
    for rec in result.records.to_dicts():
        row: dict[str, Any] = {"line": rec.pop("source_line")}
        rec.pop("source_offset")
        pairs = sorted(zip(rec.pop("extras_keys"), rec.pop("extras_values"), strict=True))
        row |= {
            k: v.isoformat() if isinstance(v, dt.datetime) else v
            for k, v in rec.items()
            if v is not None
        }
        rows.append(row | {"extras": [list(p) for p in pairs]})
    rows += [
        {"line": q["source_line"], "quarantined": q["error_code"], "message": q["error_message"]}
        for q in result.quarantine.to_dicts()
    ]
    return sorted(rows, key=lambda r: r["line"])


@pytest.mark.parametrize("source", sorted(GOLDEN.glob("*.log")), ids=lambda p: p.name)
def test_golden(source: Path) -> None:
    """Regenerate with ``SHADOWLENS_REGEN_GOLDEN=1`` and review the diff by hand."""
    lines = source.read_text(encoding="utf-8").split("\n")[:-1]
    got = render(parse_lines(SNS, lines))
    expected = source.with_suffix(".jsonl")
    if REGENERATE:
        text = "".join(json.dumps(r, sort_keys=True) + "\n" for r in got)
        expected.write_text(text, encoding="utf-8")
    assert got == [json.loads(r) for r in expected.read_text(encoding="utf-8").splitlines()]


# -- mapping facts ------------------------------------------------------------------------


def test_columns_of_a_connection() -> None:
    row = record(GOOD[0])
    # time is the firewall's local time, tz its offset: 11:15:02 at +0100 is 10:15:02 UTC.
    assert row["event_time"] == dt.datetime(2025, 11, 26, 10, 15, 2, tzinfo=dt.UTC)
    assert row["tz_assumed"] is False
    assert (row["src_ip"], row["src_port"], row["dst_ip"], row["dst_port"]) == (
        "10.1.2.3",
        51234,
        "203.0.113.7",
        443,
    )
    assert (row["transport"], row["app_protocol"], row["duration_ms"]) == ("tcp", "https", 173150)
    assert (row["action"], row["action_raw"], row["event_class"]) == (
        "allowed",
        "pass",
        "connection",
    )
    assert (row["observer_vendor"], row["observer_product"]) == (
        "Stormshield",
        "Stormshield Network Security",
    )
    # dstname of a connection is a network object, not a host name: extras.
    assert row["dst_host"] is None
    assert extras(row)["dstname"] == "Internet_Obj"
    assert extras(row)["fw"] == "SN310A17C0000001"


def test_byte_direction_is_from_the_source() -> None:
    # sent = bytes sent by the connection's source (the client): a download has a large rcvd.
    row = record(GOOD[0])
    assert (row["bytes_up"], row["bytes_down"], row["bytes_total"]) == (5120, 52428800, 52433920)


def test_columns_of_a_web_request() -> None:
    row = record(GOOD[1])
    assert (row["user_name"], row["http_method"], row["http_status"], row["dst_host"]) == (
        "alice",
        "POST",
        403,
        "files.example.com",
    )
    assert (row["action"], row["event_name"]) == ("blocked", "URL filtering: blocked")
    assert extras(row)["cat_site"] == "Online Storage"  # quotes taken off
    assert extras(row)["arg"] == "/upload"


def test_syslog_header_and_other_logs() -> None:
    alarm = record(GOOD[2])
    assert (alarm["event_class"], alarm["event_name"]) == (
        "alarm",
        "Interactive connection detected",
    )
    assert (extras(alarm)["syslog_host"], extras(alarm)["syslog_pri"]) == ("fw01", "<134>")
    assert alarm["event_time"] == dt.datetime(2025, 11, 26, 10, 15, 4, tzinfo=dt.UTC)


def test_empty_action_is_no_action_and_ipv6() -> None:
    row = record(GOOD[3])
    assert (row["action"], row["action_raw"]) == (None, None)
    assert (row["src_ip"], row["transport"]) == ("2001:db8::5", "udp")
    assert extras(row)["syslog_tag"] == "asqd:"


def test_without_tz_the_time_is_local_to_the_run() -> None:
    row = record(GOOD[4])
    assert row["tz_assumed"] is True
    assert row["event_time"] == dt.datetime(2025, 11, 26, 10, 15, 6, tzinfo=dt.UTC)
    berlin = parse_lines(SNS, [GOOD[4]], options=ParseOptions(tz="Europe/Berlin")).records
    assert berlin["event_time"].to_list() == [dt.datetime(2025, 11, 26, 9, 15, 6, tzinfo=dt.UTC)]


def test_bad_lines_are_quarantined_with_a_column() -> None:
    result = parse_lines(SNS, BROKEN)
    assert result.records.height == 0
    rows = result.quarantine.to_dicts()
    assert [r["source_line"] for r in rows] == [2, 3, 4, 5]
    assert [r["error_code"] for r in rows] == ["syntax"] * 4
    assert "at column 49" in rows[0]["error_message"]  # the unterminated quote
    assert "at column 49" in rows[1]["error_message"]  # a value without a key
