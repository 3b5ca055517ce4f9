"""Tests of the Squid format, written with shadowlens' conformance kit.

This is what a plugin author's suite looks like: the contract check, the
fast-path/Lark differential check (on fixed lines and on lines generated from
the grammar), and a few mapping facts proven by fixtures.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark
from shadowlens_squid.plugin import SquidFormat

from shadowlens import ParseOptions
from shadowlens.testing import assert_fast_matches_reference, check_format_contract, parse_lines

GOOD = [
    "1461576382.642    161 127.0.0.1 TCP_MISS/200 103701 GET http://www.cnn.com/ - DIRECT/199.27.79.73 text/html",
    "1469539185.270      0 139.196.181.68 TCP_DENIED/403 3617 CONNECT search.yahoo.com:443 - NONE/- text/html",
    "1700000000.001  12345 10.1.2.3 TCP_TUNNEL/200 88000 CONNECT files.slack.com:443 alice HIER_DIRECT/52.1.2.3 -",
    "1700000000.5 7 fe80::1 UDP_HIT/000 0 ICP_QUERY http://x.example/ - NONE/- - ",
    "1700000001.999     -1 ws01.corp.example TCP_MISS/200 10 POST https://api.dropbox.com:8443/up bob FIRSTUP_PARENT/proxy2 application/json extra1  extra2",
]
BROKEN = [
    "",
    "1461576382.642 161 127.0.0.1 TCP_MISS/2000 1 GET http://a/ - DIRECT/1.2.3.4 text/html",
    "1461576382.642 161 127.0.0.1 TCP_MISS/200 1 GET http://a/ - DIRECT/1.2.3.4",
    "1461576382.642\t161 127.0.0.1 TCP_MISS/200 1 GET http://a/ - DIRECT/1.2.3.4 text/html",
    "CEF:0|Vendor|Product|1|100|name|5|src=10.0.0.1",
]


def record(line: str) -> dict[str, object]:
    result = parse_lines(SquidFormat, [line])
    assert result.quarantine.height == 0, result.quarantine.to_dicts()
    return result.records.row(0, named=True)


def extras(row: dict[str, object]) -> dict[str, str]:
    return dict(zip(row["extras_keys"], row["extras_values"], strict=True))  # type: ignore[call-overload]


def test_contract() -> None:
    check_format_contract(SquidFormat, GOOD)


def test_fast_path_agrees_with_lark_on_fixed_lines() -> None:
    report = assert_fast_matches_reference(SquidFormat, GOOD + BROKEN)
    assert report.agreed == len(GOOD)
    assert report.rejected == len(BROKEN) - 1  # the blank line is never parsed


@settings(max_examples=60, deadline=None)
@given(from_lark(SquidFormat.lark(), start="start"))
def test_fast_path_agrees_with_lark_on_generated_lines(line: str) -> None:
    report = assert_fast_matches_reference(SquidFormat, [line])
    assert report.agreed == 1


@settings(max_examples=60, deadline=None)
@given(from_lark(SquidFormat.lark(), start="start"), st.integers(0, 200), st.sampled_from(" /\t-x"))
@example(GOOD[0], 14, " ")
@example(GOOD[0], 30, "/")
def test_mutated_lines_agree_and_are_accounted(line: str, cut: int, insert: str) -> None:
    mutated = [line[:cut], line[:cut] + insert + line[cut:]]
    assert_fast_matches_reference(SquidFormat, mutated)
    result = parse_lines(SquidFormat, mutated)
    non_blank = sum(1 for m in mutated if m.strip(" \t\x00\x0b\x0c"))
    assert result.records.height + result.quarantine.height == non_blank


def test_columns_of_a_direct_request() -> None:
    row = record(GOOD[0])
    assert row["event_time"] == dt.datetime(2016, 4, 25, 9, 26, 22, 642000, tzinfo=dt.UTC)
    assert row["tz_assumed"] is False
    assert (row["src_ip"], row["dst_ip"], row["dst_host"], row["dst_port"]) == (
        "127.0.0.1",
        "199.27.79.73",
        "www.cnn.com",
        80,
    )
    assert (row["http_method"], row["http_status"], row["duration_ms"]) == ("GET", 200, 161)
    assert (row["action"], row["action_raw"], row["transport"], row["app_protocol"]) == (
        "allowed",
        "TCP_MISS",
        "tcp",
        "http",
    )
    assert extras(row) == {"hierarchy": "DIRECT", "mime_type": "text/html"}


def test_byte_direction_is_server_to_client() -> None:
    # %<st counts the reply bytes Squid sent to the client: download, never upload.
    row = record(GOOD[2])
    assert (row["bytes_down"], row["bytes_total"], row.get("bytes_up")) == (88000, 88000, None)


def test_connect_denied_and_user() -> None:
    denied = record(GOOD[1])
    assert (denied["action"], denied["http_method"], denied["dst_host"], denied["dst_port"]) == (
        "blocked",
        "CONNECT",
        "search.yahoo.com",
        443,
    )
    assert denied["dst_ip"] is None
    assert "peer" not in extras(denied)
    tunnel = record(GOOD[2])
    assert (tunnel["user_name"], tunnel["dst_ip"], tunnel["url"]) == (
        "alice",
        "52.1.2.3",
        "files.slack.com:443",
    )


def test_parent_peer_is_not_the_destination_and_extra_columns_are_kept() -> None:
    row = record(GOOD[4])
    assert row["dst_ip"] is None  # FIRSTUP_PARENT: the peer is the next proxy
    assert (row["src_ip"], row["src_host"], row["dst_port"], row["duration_ms"]) == (
        None,
        "ws01.corp.example",
        8443,
        None,
    )
    assert extras(row) == {
        "hierarchy": "FIRSTUP_PARENT",
        "peer": "proxy2",
        "mime_type": "application/json",
        "elapsed": "-1",
        "column_11": "extra1",
        "column_12": "extra2",
    }


def test_no_reply_status_and_udp() -> None:
    row = record(GOOD[3])
    assert (row["http_status"], row["transport"], row["src_ip"]) == (None, "udp", "fe80::1")
    assert extras(row)["status"] == "000"
    assert row["event_time"] == dt.datetime(2023, 11, 14, 22, 13, 20, 500000, tzinfo=dt.UTC)


def test_bad_lines_are_quarantined_with_a_column() -> None:
    result = parse_lines(SquidFormat, BROKEN)
    assert result.records.height == 0
    rows = result.quarantine.to_dicts()
    assert [r["source_line"] for r in rows] == [2, 3, 4, 5]
    assert rows[0]["error_code"] == "syntax"
    assert "at column 42" in rows[0]["error_message"]  # the 4th status digit
    assert rows[1]["error_code"] == "unexpected_end"


def test_unreadable_time_is_quarantined() -> None:
    line = "99999999999999.1 1 10.0.0.1 TCP_MISS/200 1 GET http://a.example/ - DIRECT/1.2.3.4 -"
    result = parse_lines(SquidFormat, [line])
    assert result.records.height == 0
    assert result.quarantine["error_code"].to_list() == ["bad_timestamp"]


@pytest.mark.parametrize("engine", ["fast", "reference"])
def test_engines_give_the_same_records(engine: str) -> None:
    auto = parse_lines(SquidFormat, GOOD).records
    other = parse_lines(SquidFormat, GOOD, options=ParseOptions(engine=engine)).records  # type: ignore[arg-type]
    assert other.equals(auto)


def test_detect() -> None:
    assert SquidFormat.detect(GOOD) == 1.0
    assert SquidFormat.detect(BROKEN[1:]) == 0.0


def test_registered_through_the_entry_point(shadowlens_plugins) -> None:  # type: ignore[no-untyped-def]
    entry = shadowlens_plugins.formats()["squid"]
    assert entry.cls is SquidFormat
    assert (entry.plugin, entry.distribution) == ("squid", "shadowlens-squid")
