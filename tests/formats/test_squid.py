"""The built-in ``squid`` format: native and common/combined access logs, bare or syslog-wrapped.

Expected values come from Squid's ``logformat`` reference (the built-in ``squid``,
``common`` and ``combined`` definitions and the meaning of each ``%`` code), not
from another parser. Decisions: docs/format-decisions.md, "squid".
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from fixtures import BUILTIN, VENDOR

from golden_files import read_lines
from shadowlens import ParseOptions
from shadowlens.engine.detect import detect_format
from shadowlens.testing import (
    assert_examples,
    assert_fast_matches_reference,
    check_format_contract,
    format_class,
    parse_lines,
)

SQUID = format_class("squid")
FIXTURES = VENDOR / "squid"
#: Vendored copies (Apache-2.0, MPL-2.0; tests/conformance/peer_vectors/ATTRIBUTION.md).
PEERS = Path(__file__).resolve().parents[1] / "conformance" / "peer_vectors"

NATIVE = "1764152102.000    161 10.1.2.3 TCP_MISS/200 103701 GET http://www.Example.com/index.html alice HIER_DIRECT/93.184.216.34 text/html"
COMMON = '10.1.2.8 - dave [26/Nov/2025:11:15:09 +0100] "GET http://intranet.example/wiki HTTP/1.1" 200 5120 TCP_MEM_HIT:HIER_NONE'
COMBINED = '2001:db8::20 - erin [26/Nov/2025:10:15:11 +0000] "POST https://www.wetransfer.com/upload HTTP/1.1" 403 3900 "https://www.wetransfer.com/" "Mozilla/5.0 (X11) \\"q\\" Firefox/120.0" TCP_DENIED:HIER_NONE'
APACHE_CLF = (
    '127.0.0.1 bob frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326'
)


def record(line: str, **options: Any) -> dict[str, Any]:
    result = parse_lines(SQUID, [line], options=ParseOptions(**options))
    assert result.quarantine.height == 0, result.quarantine.to_dicts()
    row = result.records.row(0, named=True)
    row["extras"] = dict(zip(row.pop("extras_keys"), row.pop("extras_values"), strict=True))
    return row


def fixture_lines() -> list[str]:
    return [line for path in sorted(FIXTURES.glob("*.log")) for line in read_lines(path) if line]


# -- contract, examples, both engines ----------------------------------------------------------


def test_contract_and_examples() -> None:
    check_format_contract(SQUID, [NATIVE, COMMON, COMBINED, APACHE_CLF])
    assert assert_examples(SQUID) == 4


def test_fast_path_agrees_with_lark_on_every_fixture_line() -> None:
    report = assert_fast_matches_reference(SQUID, fixture_lines())
    assert report.fallback == 0
    assert report.rejected == 3  # the garbled lines


# -- each variant's key columns ------------------------------------------------------------------


def test_native_columns() -> None:
    row = record(NATIVE)
    assert row["event_time"] == dt.datetime(2025, 11, 26, 10, 15, 2, tzinfo=dt.UTC)
    assert (row["src_ip"], row["user_name"], row["http_method"], row["http_status"]) == (
        "10.1.2.3",
        "alice",
        "GET",
        200,
    )
    assert (row["dst_host"], row["dst_ip"], row["dst_port"], row["duration_ms"]) == (
        "www.example.com",
        "93.184.216.34",
        80,
        161,
    )
    assert (row["observer_vendor"], row["observer_product"], row["log_format"]) == (
        "Squid",
        "Squid",
        "squid",
    )
    assert row["extras"] == {"hierarchy": "HIER_DIRECT", "mime_type": "text/html"}


def test_common_columns() -> None:
    row = record(COMMON)
    assert (row["src_ip"], row["user_name"], row["http_method"], row["url"]) == (
        "10.1.2.8",
        "dave",
        "GET",
        "http://intranet.example/wiki",
    )
    assert (row["http_status"], row["bytes_down"], row["action_raw"], row["duration_ms"]) == (
        200,
        5120,
        "TCP_MEM_HIT",
        None,
    )
    assert row["extras"] == {"protocol": "HTTP/1.1", "hierarchy": "HIER_NONE"}


def test_combined_user_agent_is_unquoted_and_unescaped() -> None:
    row = record(COMBINED)
    assert row["user_agent"] == 'Mozilla/5.0 (X11) "q" Firefox/120.0'
    assert row["src_ip"] == "2001:db8::20"
    assert row["extras"]["referer"] == "https://www.wetransfer.com/"


def test_plain_apache_common_log_has_no_verdict() -> None:
    row = record(APACHE_CLF)
    assert (row["action"], row["action_raw"], row["transport"]) == (None, None, None)
    assert (row["user_name"], row["url"], row["dst_host"]) == ("frank", "/apache_pb.gif", None)
    assert row["extras"] == {"protocol": "HTTP/1.0", "ident": "bob"}


# -- byte direction ----------------------------------------------------------------------------


@pytest.mark.parametrize("line", [1, 3], ids=["native", "common"])
def test_reply_size_is_bytes_down(line: int) -> None:
    # %<st is "size of the reply sent to the client": a 50 MiB download is bytes_down.
    row = record(read_lines(FIXTURES / "byte_direction.log")[line - 1])
    assert (row["bytes_down"], row.get("bytes_up"), row["bytes_total"]) == (
        52428800,
        None,
        52428800,
    )


def test_a_small_upload_response_is_not_counted_as_upload() -> None:
    row = record(read_lines(FIXTURES / "byte_direction.log")[1])
    assert (row["http_method"], row["bytes_down"], row.get("bytes_up")) == ("POST", 312, None)


# -- time zones ----------------------------------------------------------------------------------


@pytest.mark.parametrize("tz", ["UTC", "Europe/Berlin"])
def test_native_time_is_epoch_utc_whatever_tz(tz: str) -> None:
    row = record(NATIVE, tz=tz)
    assert row["event_time"] == dt.datetime(2025, 11, 26, 10, 15, 2, tzinfo=dt.UTC)
    assert row["tz_assumed"] is False


@pytest.mark.parametrize("tz", ["UTC", "America/New_York"])
def test_common_time_uses_its_own_offset(tz: str) -> None:
    row = record(COMMON, tz=tz)  # 11:15:09 +0100
    assert row["event_time"] == dt.datetime(2025, 11, 26, 10, 15, 9, tzinfo=dt.UTC)
    assert row["tz_assumed"] is False
    west = record(APACHE_CLF, tz=tz)  # 13:55:36 -0700
    assert west["event_time"] == dt.datetime(2000, 10, 10, 20, 55, 36, tzinfo=dt.UTC)


def test_the_syslog_time_is_not_the_event_time() -> None:
    row = record("<134>Nov 26 23:59:59 proxy01 squid[2231]: " + NATIVE)
    assert row["event_time"] == dt.datetime(2025, 11, 26, 10, 15, 2, tzinfo=dt.UTC)
    assert row["extras"]["syslog_time"] == "Nov 26 23:59:59"


# -- action words ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "action", "transport"),
    [
        ("TCP_MISS", "allowed", "tcp"),
        ("TCP_TUNNEL", "allowed", "tcp"),
        ("TCP_MISS_ABORTED", "allowed", "tcp"),
        ("TCP_DENIED", "blocked", "tcp"),
        ("TCP_DENIED_REPLY", "blocked", "tcp"),
        ("UDP_HIT", "allowed", "udp"),
        ("NONE_NONE", "unknown", None),
        ("TAG_NONE", "unknown", None),
    ],
)
def test_result_code_gives_action_and_transport(
    code: str, action: str, transport: str | None
) -> None:
    native = record(f"1764152102.000 5 10.0.0.1 {code}/403 0 GET http://a.example/ - HIER_NONE/- -")
    common = record(
        f'10.0.0.1 - - [26/Nov/2025:10:15:02 +0000] "GET http://a.example/ HTTP/1.1" 403 0 {code}:HIER_NONE'
    )
    for row in (native, common):
        assert (row["action"], row["action_raw"], row["transport"]) == (action, code, transport)


# -- syslog wrappings --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "host", "tag"),
    [
        ("<134>Nov 26 10:15:07 proxy01 squid[2231]: ", "proxy01", "squid[2231]:"),
        ("Nov 26 10:15:07 proxy01 squid: ", "proxy01", "squid:"),
        ("Nov  6 10:15:07 10.0.0.9 ", "10.0.0.9", None),
        ("<14>1 2025-11-26T10:15:08.000Z proxy01 squid 2231 - - ", "proxy01", None),
        ("<14>1 2025-11-26T10:15:08.000Z proxy01 ", "proxy01", None),
        ("<13>", None, None),
    ],
)
@pytest.mark.parametrize("entry", [NATIVE, COMMON], ids=["native", "common"])
def test_syslog_wrappings(prefix: str, host: str | None, tag: str | None, entry: str) -> None:
    wrapped = record(prefix + entry)
    assert wrapped["extras"].get("syslog_host") == host
    assert wrapped["extras"].get("syslog_tag") == tag
    bare = record(entry)
    for column in ("event_time", "src_ip", "dst_host", "user_name", "bytes_down", "action"):
        assert wrapped[column] == bare[column], column
    assert_fast_matches_reference(SQUID, [prefix + entry])


# -- garbled lines -------------------------------------------------------------------------------


def test_garbled_lines_are_quarantined_with_a_reason() -> None:
    result = parse_lines(SQUID, read_lines(FIXTURES / "garbled.log"))
    assert result.records.height == 1
    rows = result.quarantine.to_dicts()
    assert [(r["source_line"], r["error_code"]) for r in rows] == [
        (2, "syntax"),
        (3, "unexpected_end"),
        (4, "unexpected_end"),
    ]
    assert "at column 41" in rows[0]["error_message"]  # the fourth status digit


@pytest.mark.parametrize(
    "line",
    [
        "- - - - - - -",
        '- - - [-] "-" - -',
        "not a common log line",
        "<134>Nov 26 10:15:07 proxy01 squid[2231]: hello",
    ],
)
def test_lines_that_are_not_squid_are_quarantined(line: str) -> None:
    result = parse_lines(SQUID, [line])
    assert result.records.height == 0
    assert result.quarantine["error_code"].to_list()[0] in {"syntax", "unexpected_end"}


# -- detection ----------------------------------------------------------------------------------


def test_detected_against_the_other_formats() -> None:
    for path in sorted(FIXTURES.glob("*.log")):
        sample = [line for line in read_lines(path) if line.strip()]
        assert detect_format(sample, BUILTIN)[0] == "squid", path.name
    for line in (NATIVE, COMMON, COMBINED, APACHE_CLF, "<134>Nov 26 10:15:07 p squid: " + NATIVE):
        assert SQUID.detect([line]) == 1.0, line


def test_wsa_lines_are_not_squid() -> None:
    wsa = read_lines(VENDOR / "cisco-wsa" / "sc4s.log")
    assert SQUID.detect(wsa) == 0.0
    assert detect_format(wsa, BUILTIN)[0] == "cisco-wsa"


def test_cef_is_not_squid() -> None:
    assert SQUID.detect(["CEF:0|Squid|Squid|1|100|x|5|src=10.0.0.1"]) == 0.0


# -- peer vectors (vendored) --------------------------------------------------------------------


def peer_rows(name: str) -> list[dict[str, Any]]:
    path = PEERS / name
    assert path.is_file(), f"vendored peer vectors missing: {path}"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


@pytest.mark.parametrize(
    "name", ["squid__apache__metron.jsonl", "squid__logstash-plugins__logstash-patterns-core.jsonl"]
)
def test_squid_peer_lines_are_read(name: str) -> None:
    for row in peer_rows(name):
        ours = record(row["input"])
        want = row["expect"]
        if "elapsed" in want or "duration" in want:
            assert ours["duration_ms"] == int(want.get("elapsed", want.get("duration")))
        url = want.get("url")
        if url:
            assert ours["url"] == url
        method = want.get("method", want.get("request_method"))
        if method:
            assert ours["http_method"] == method
        status = want.get("code", want.get("status_code"))
        if status and status != "000":
            assert ours["http_status"] == int(status)
        if status == "000":  # no reply: http_status is null, the raw value stays in extras
            assert (ours["http_status"], ours["extras"]["status"]) == (None, "000")


def test_clf_peer_lines() -> None:
    rows = {row["case"]: row for row in peer_rows("clf__vectordotdev__vrl.jsonl")}
    ours = record(rows["log_line_valid"]["input"])
    assert (ours["src_ip"], ours["user_name"], ours["http_method"], ours["url"]) == (
        "127.0.0.1",
        "frank",
        "GET",
        "/apache_pb.gif",
    )
    assert (ours["http_status"], ours["bytes_down"]) == (200, 2326)
    assert ours["event_time"] == dt.datetime(2000, 10, 10, 20, 55, 36, tzinfo=dt.UTC)
    # Decisions: a line of dashes only, a `[-]` time and a non-CLF time are not entries.
    for case in ("log_line_valid_empty", "log_line_valid_empty_variant", "log_line_invalid"):
        assert parse_lines(SQUID, [rows[case]["input"]]).records.height == 0, case
