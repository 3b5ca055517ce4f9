"""Barracuda WAF and CloudGen Firewall syslog (``barracuda``): beyond the goldens.

Expected values come from Barracuda's documentation (WAF log formats: the header and
the field order of the TR, WF, NF, SYS and AUDIT logs; CloudGen Firewall "Firewall
Activity Log"); decisions in docs/format-decisions.md, "barracuda".
"""

from __future__ import annotations

from typing import Any

import pytest
from fixtures import VENDOR, one_record

from golden_files import read_lines
from shadowlens import ParseOptions
from shadowlens.engine.detect import detect_format
from shadowlens.plugins.manager import get_plugins
from shadowlens.testing import (
    assert_examples,
    assert_fast_matches_reference,
    check_format_contract,
    format_class,
    parse_lines,
)

BARRACUDA = format_class("barracuda")
FIXTURES = VENDOR / "barracuda"
CASES = ("sc4s", "reference", "byte_direction", "garbled")


def tr(sent: int, received: int, *, zone: str = "+0000", method: str = "GET") -> str:
    """A TR entry: Bytes Sent and Bytes Received are the 12th and 13th values."""
    return (
        f"<134>2025-11-26 10:15:02.000 {zone}  waf01 TR 203.0.113.10 443 198.51.100.7 51000"
        f' "-" "-" {method} TLSv1.2 files.example.com HTTP/1.1 200 {sent} {received} 0 25'
        ' 10.0.0.20 8080 20 "-" SERVER DEFAULT PROTECTED VALID /f "-" "-" "-" "curl/8.4.0"'
        ' 198.51.100.7 51000 "-" "-" "-" "-" 19c0ffee-1'
    )


def one(line: str, **options: Any) -> dict[str, Any]:
    return one_record(BARRACUDA, line, ParseOptions(**options))


def test_contract_and_examples() -> None:
    check_format_contract(BARRACUDA, read_lines(FIXTURES / "reference.log"))
    assert assert_examples(BARRACUDA) >= 3


@pytest.mark.parametrize("case", CASES)
def test_fast_path_matches_lark_on_fixtures(case: str) -> None:
    counts = assert_fast_matches_reference(BARRACUDA, read_lines(FIXTURES / f"{case}.log"))
    assert counts.fallback == 0


@pytest.mark.parametrize(
    ("sent", "received", "method"), [(420, 10485760, "POST"), (52428800, 380, "GET")]
)
def test_access_log_byte_direction(sent: int, received: int, method: str) -> None:
    # Bytes Received: from the client (the request); Bytes Sent: to the client (the response).
    record = one(tr(sent, received, method=method))
    assert (record["bytes_up"], record["bytes_down"]) == (received, sent)
    assert record["bytes_total"] == sent + received
    assert record["duration_ms"] == 25  # Time Taken, milliseconds


def test_native_time_uses_its_offset() -> None:
    record = one(tr(1, 2, zone="+0100"), tz="America/New_York")
    assert record["event_time"].isoformat() == "2025-11-26T09:15:02+00:00"
    assert record["tz_assumed"] is False


def test_streamed_cloudgen_time_has_no_zone() -> None:
    line = (
        "<14>Nov 26 10:15:02 cgf01 cgf01/box_Firewall_Activity:  Info     cgf01 Allow: "
        "type=FWD|proto=TCP|srcIP=10.0.0.22|srcPort=50000|dstIP=203.0.113.141|dstPort=443"
    )
    record = one(line, tz="Europe/Berlin", year=2025)
    assert record["event_time"].isoformat() == "2025-11-26T09:15:02+00:00"
    assert record["tz_assumed"] is True


def test_cloudgen_file_time_uses_its_offset() -> None:
    line = "2025 11 26 10:15:02 Security +01:00 Block: type=FWD|proto=UDP|srcIP=10.0.0.1|dstIP=10.0.0.2"
    record = one(line, tz="America/New_York")
    assert record["event_time"].isoformat() == "2025-11-26T09:15:02+00:00"
    assert record["tz_assumed"] is False


def test_access_log_key_columns() -> None:
    record = one(tr(48213, 912))
    assert (record["src_ip"], record["src_port"]) == ("198.51.100.7", 51000)
    assert (record["dst_ip"], record["dst_port"]) == ("203.0.113.10", 443)
    assert record["dst_host"] == "files.example.com"
    assert (record["http_method"], record["http_status"]) == ("GET", 200)
    assert record["app_protocol"] == "https"
    assert record["user_agent"] == "curl/8.4.0"
    assert record["user_name"] is None  # login id and authenticated user are "-"
    assert record["url"] is None
    assert record["extras"]["url_path"] == "/f"
    assert record["event_class"] == "TR"


@pytest.mark.parametrize(
    ("line", "action", "raw"),
    [
        ('<129>2025-11-26 10:15:05.000 +0000  waf01 WF ALER SQL_INJECTION 198.51.100.9 51003 203.0.113.10 443 default GLOBAL DENY NONE [x] GET a.example/s HTTP "-" "ua" 198.51.100.9 51003 "-" "-"', "blocked", "DENY"),
        ('<134>2025-11-26 10:15:05.000 +0000  waf01 WF WARN SLOW_CLIENT 198.51.100.9 51003 203.0.113.10 443 default GLOBAL LOG NONE [x] GET a.example/s HTTP "-" "ua" 198.51.100.9 51003 "-" "-"', "allowed", "LOG"),
        ("<134>2025-11-26 10:15:07.000 +0000  waf01 NF INFO UDP 198.51.100.11 53000 203.0.113.10 53 DENY block-dns text", "blocked", "DENY"),
        ("<134>2025-11-26 10:15:07.000 +0000  waf01 NF INFO TCP 198.51.100.11 53000 203.0.113.10 22 ALLOW ssh text", "allowed", "ALLOW"),
        ("<132>1 2025-11-26T10:15:10Z waf01 - - - - src=198.51.100.13 actionTaken=DENY logType=WF", "blocked", "DENY"),
        ("<14>Nov 26 10:15:02 cgf01 cgf01/box_Firewall_Activity:  Info     cgf01 Remove: type=FWD|proto=TCP|srcIP=10.0.0.1", "allowed", "Remove"),
        ("<14>Nov 26 10:15:02 cgf01 cgf01/box_Firewall_Activity:  Security cgf01 Block: type=FWD|proto=UDP|srcIP=10.0.0.1", "blocked", "Block"),
    ],
)  # fmt: skip
def test_action_words(line: str, action: str, raw: str) -> None:
    record = one(line, year=2025)
    assert (record["action"], record["action_raw"]) == (action, raw)


def test_web_firewall_key_columns() -> None:
    line = (
        "<129>2025-11-26 10:15:05.000 +0000  waf01 WF ALER SQL_INJECTION 198.51.100.9 51003"
        ' 203.0.113.10 443 default GLOBAL DENY NONE [type="sqli"] GET Shop.Example.com/search'
        ' HTTP "-" “Mozilla/5.0 (X11)”  198.51.100.9 51003 bob "-"'
    )
    record = one(line)
    assert (record["event_class"], record["event_name"], record["severity"]) == (
        "WF",
        "SQL_INJECTION",
        9,
    )
    assert record["dst_host"] == "shop.example.com"
    assert record["user_agent"] == "Mozilla/5.0 (X11)"  # typographic quotes
    assert record["user_name"] == "bob"
    assert record["extras"]["attack_details"] == '[type="sqli"]'


def test_cloudgen_key_columns_and_counters_in_extras() -> None:
    line = (
        "<14>Nov 26 10:15:11 cgf01 cgf01/box_Firewall_Activity:  Info     cgf01 Allow: "
        "type=FWD|proto=TCP|srcIP=10.0.0.22|srcPort=50000|dstIP=203.0.113.141|dstPort=443|"
        "rule=LAN-2-INTERNET|info=Normal Operation|receivedBytes=1024|sentBytes=512|"
        "user=carol|protocol=HTTPS|application=Dropbox"
    )
    record = one(line, year=2025)
    assert (record["src_ip"], record["dst_ip"], record["dst_port"]) == (
        "10.0.0.22",
        "203.0.113.141",
        443,
    )
    assert (record["transport"], record["app_protocol"], record["user_name"]) == (
        "tcp",
        "https",
        "carol",
    )
    assert (record["event_class"], record["event_name"]) == ("FWD", "Normal Operation")
    assert record["observer_product"] == "CloudGen Firewall"
    # The activity log's counters stay in extras (their side is not documented).
    assert record.get("bytes_up") is None
    assert (record["extras"]["receivedBytes"], record["extras"]["sentBytes"]) == ("1024", "512")


@pytest.mark.parametrize(
    ("line", "code", "message"),
    [
        ("<134>2025-11-26 10:17:01.000 +0000  waf01 TR 203.0.113.10 443", "unexpected_end", "expected _WS"),
        ("<134>2025-11-26 10:17:02.000  waf01 TR 203.0.113.10 443", "syntax", "unexpected 'waf01' at column 31; expected LOG_TZ"),
        ("<14>Nov 26 10:15:02 cgf01 cgf01/box_Firewall_Activity:  Info     cgf01 Allow: |proto=TCP", "syntax", "column"),
    ],
)  # fmt: skip
def test_garbled_lines_are_quarantined(line: str, code: str, message: str) -> None:
    result = parse_lines(BARRACUDA, [line])
    assert result.records.height == 0
    (bad,) = result.quarantine.to_dicts()
    assert bad["error_code"] == code
    assert message in bad["error_message"]


def test_other_log_types_are_records() -> None:
    record = one("<134>2025-11-26 10:17:04.000 +0000  waf01 XX something else")
    assert record["event_class"] == "XX"
    assert record["extras"]["rest"] == "something else"
    # A known type with a broken body is not read as another type.
    short = parse_lines(BARRACUDA, ["<134>2025-11-26 10:17:04.000 +0000  waf01 TR 1 2"])
    assert short.records.height == 0
    assert short.quarantine["error_code"].to_list() == ["unexpected_end"]


def test_detection_against_the_other_formats() -> None:
    formats = {
        name: entry
        for name, entry in get_plugins().formats().items()
        if entry.plugin.startswith("shadowlens.formats.")
    }
    for case in CASES:
        got, _score = detect_format(read_lines(FIXTURES / f"{case}.log"), formats)
        assert got == "barracuda", case
    meraki = ["<134>1 1764152102.000000000 MX84 flows allow src=10.0.0.6 dst=8.8.8.8"]
    assert BARRACUDA.detect(meraki) == 0.0
    cef = ["<134>Nov 26 10:15:02 fw01 CEF:0|Barracuda|WAF|1.0|100|web|5|src=10.1.2.3"]
    assert BARRACUDA.detect(cef) == 0.0
