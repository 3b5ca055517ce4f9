"""The built-in ``cisco-wsa`` format: the WSA access log (Squid-compatible layout).

Expected values come from Cisco's access log reference (AsyncOS user guide,
"Monitor System Activity Through Logs": access log fields, ACL decision tags,
scanning verdict entries), not from another parser. Decisions:
docs/format-decisions.md, "cisco-wsa".
"""

from __future__ import annotations

import datetime as dt
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

WSA = format_class("cisco-wsa")
FIXTURES = VENDOR / "cisco-wsa"
SC4S = read_lines(FIXTURES / "sc4s.log")
REFERENCE = read_lines(FIXTURES / "reference.log")
BLOCK = '<IW_comp,6.9,-,"-",-,-,-,-,"-",-,-,-,"-",-,-,"-","-",-,-,IW_comp,-,"-","-","Unknown","Unknown","-","-",198.34,0,-,[Local],"-",-,"-",-,-,"-","-">'
# Lines of the other WSA logs (not read by this format): sc4s cisco_wsa_l4tm-0,
# sc4s cisco_wsa_l4tm-4 and sc4s cisco_wsa_w3c_recommended-1 (tests/formats/NOTICE.md).
L4TM = [
    "<13>Nov 26 10:15:02 cisco-wsa-host-fw01 Mon May 04 12:59:59 2020 Info: Firewall noted TCP data from 10.0.0.15 to 61.79.37.205(www.xxxxxxx7.com):1283.",
    "<13>Nov 26 10:15:02 cisco-wsa-host-fw01 04 May 2020 12:59:59 (GMT+5:00) Info: Firewall blocked TCP data from 10.0.0.3:1148 to 96.246.56.182.",
]
W3C = [
    '<13>Nov 26 10:15:02 cisco-wsaw3c-host-fw01 1764152102.000 153 - 10.160.40.169 TCP_MISS/200 873 CONNECT tunnel://www.google.com:443/ www.google.com - - application/octet-stream DEFAULT_CASE_12-DefaultGroup-DefaultGroup-NONE-NONE-NONE-DefaultGroup-NONE "10.160.43.9" 52698 www.google.com 443 1 IW_srch 6.9 1 - - - - 1 - - - - - 1 - - - - - IW_srch - "Search Engines and Portals" "Google" "Search Engine" "Encrypted" - 2.13 0 - - - - - - - 1 - - - - - "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/86.0.4240.183 Safari/537.36" 2673',
]


def line(decision: str = "DEFAULT_CASE_11", code: str = "TCP_MISS/200", extra: str = "-") -> str:
    return (
        f"1764152102.150 97 172.16.10.21 {code} 8187 GET http://www.example.com/ - "
        f"DIRECT/93.184.216.34 text/html {decision}-AccessPolicy-Identity-NONE-NONE-NONE-DefaultRouting {BLOCK} {extra}"
    )


def record(text: str, **options: Any) -> dict[str, Any]:
    result = parse_lines(WSA, [text], options=ParseOptions(**options))
    assert result.quarantine.height == 0, result.quarantine.to_dicts()
    row = result.records.row(0, named=True)
    row["extras"] = dict(zip(row.pop("extras_keys"), row.pop("extras_values"), strict=True))
    return row


# -- contract, examples, both engines ----------------------------------------------------------


def test_contract_and_examples() -> None:
    check_format_contract(WSA, SC4S + REFERENCE)
    assert assert_examples(WSA) == 3


def test_fast_path_agrees_with_lark_on_every_fixture_line() -> None:
    lines = [x for p in sorted(FIXTURES.glob("*.log")) for x in read_lines(p) if x]
    report = assert_fast_matches_reference(WSA, lines)
    assert (report.fallback, report.rejected) == (0, 3)


# -- key columns ---------------------------------------------------------------------------------


def test_columns_of_an_access_log_entry() -> None:
    row = record(REFERENCE[0])
    assert row["event_time"] == dt.datetime(2025, 11, 26, 10, 15, 2, 150000, tzinfo=dt.UTC)
    assert (row["duration_ms"], row["src_ip"], row["http_status"], row["http_method"]) == (
        97,
        "172.16.10.21",
        200,
        "GET",
    )
    assert (row["dst_host"], row["dst_ip"], row["dst_port"], row["url"]) == (
        "www.example.com",
        "93.184.216.34",
        80,
        "http://www.Example.com/index.html",
    )
    assert (row["observer_vendor"], row["observer_product"], row["event_class"]) == (
        "Cisco",
        "Web Security Appliance",
        "accesslog",
    )
    assert row["extras"]["acl_decision"] == "DEFAULT_CASE_11"
    assert row["extras"]["acl_policies"] == "AccessPolicy-Identity-NONE-NONE-NONE-DefaultRouting"
    assert row["extras"]["url_category"] == "IW_comp"
    assert row["extras"]["verdicts"].startswith("6.9,-,")


def test_connect_tunnel_quoted_user_and_user_agent() -> None:
    row = record(REFERENCE[1])
    assert row["extras"]["url_category"] == "IW_osb"  # quoted in the block
    assert (row["http_method"], row["dst_host"], row["dst_port"], row["app_protocol"]) == (
        "CONNECT",
        "www.dropbox.com",
        443,
        None,
    )
    assert row["user_name"] == "CORP\\alice@ldap.corp"
    assert row["user_agent"] == "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36"
    assert "rest" in row["extras"]  # the custom fields stay as logged


def test_ipv6_client_and_explicit_port() -> None:
    row = record(REFERENCE[2])
    assert (row["src_ip"], row["dst_port"], row["user_name"]) == (
        "2001:db8:10::21",
        8443,
        "bob@corp",
    )


def test_a_direct_peer_name_is_not_an_address() -> None:
    row = record(SC4S[9])  # DIRECT/www.google.com
    assert row["dst_ip"] is None
    assert row["extras"]["peer"] == "www.google.com"


def test_html_escaped_verdict_block() -> None:
    row = record(SC4S[4])  # sc4s cisco_wsa_squid-5: &lt;...&gt;
    assert row["extras"]["url_category"] == "nc"
    assert row["extras"]["verdicts"].startswith("5.0,-,")
    assert (row["action"], row["http_status"]) == ("allowed", 404)
    assert "mime_type" not in row["extras"]  # `-`: no MIME type


# -- byte direction ------------------------------------------------------------------------------


def test_response_size_is_bytes_down() -> None:
    # %s is the response size (headers and body) sent to the client.
    download, upload = (record(x) for x in read_lines(FIXTURES / "byte_direction.log"))
    assert (download["bytes_down"], download.get("bytes_up"), download["bytes_total"]) == (
        52428800,
        None,
        52428800,
    )
    assert (upload["http_method"], upload["bytes_down"], upload.get("bytes_up")) == (
        "POST",
        312,
        None,
    )


# -- time zones ----------------------------------------------------------------------------------


@pytest.mark.parametrize("tz", ["UTC", "Asia/Tokyo"])
def test_epoch_time_is_utc_whatever_tz(tz: str) -> None:
    row = record(SC4S[0], tz=tz)
    assert row["event_time"] == dt.datetime(2025, 11, 26, 10, 15, 2, tzinfo=dt.UTC)
    assert row["tz_assumed"] is False
    assert row["extras"]["syslog_time"] == "Nov 26 10:15:02"


# -- action words ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("decision", "action", "raw"),
    [
        ("DEFAULT_CASE_11", "allowed", "DEFAULT_CASE"),
        ("ALLOW_WBRS_17", "allowed", "ALLOW_WBRS"),
        ("PASSTHRU_WBRS_7", "allowed", "PASSTHRU_WBRS"),
        ("MONITOR_AMW_RESP_11", "allowed", "MONITOR_AMW_RESP"),
        ("DECRYPT_WEBCAT_7", "allowed", "DECRYPT_WEBCAT"),
        ("BLOCK_WEBCAT_12", "blocked", "BLOCK_WEBCAT"),
        ("BLOCK_AMW_RESP_URL_258", "blocked", "BLOCK_AMW_RESP_URL"),
        ("BLOCK_CONTINUE_WEBCAT_12", "blocked", "BLOCK_CONTINUE_WEBCAT"),
        ("DROP_ADMIN_0", "blocked", "DROP_ADMIN"),
        ("NO_PASSWORD_0", "blocked", "NO_PASSWORD"),
        ("OTHER_382", "unknown", "OTHER"),
    ],
)
def test_acl_decision_gives_the_action(decision: str, action: str, raw: str) -> None:
    row = record(line(decision))
    assert (row["action"], row["action_raw"], row["extras"]["acl_decision"]) == (
        action,
        raw,
        decision,
    )


def test_result_code_gives_the_transport() -> None:
    assert record(line(code="TCP_DENIED/403"))["transport"] == "tcp"
    none = record(line(code="NONE/503"))
    assert (none["transport"], none["extras"]["code"]) == (None, "NONE")


# -- garbled lines -------------------------------------------------------------------------------


def test_garbled_lines_are_quarantined_with_a_reason() -> None:
    result = parse_lines(WSA, read_lines(FIXTURES / "garbled.log"))
    assert result.records.height == 1
    rows = result.quarantine.to_dicts()
    assert [(r["source_line"], r["error_code"]) for r in rows] == [
        (2, "unexpected_end"),
        (3, "unexpected_end"),
        (4, "syntax"),
    ]
    assert 'expected ">"' in rows[1]["error_message"]


# -- detection ----------------------------------------------------------------------------------


def test_every_fixture_is_detected_as_cisco_wsa() -> None:
    for path in sorted(FIXTURES.glob("*.log")):
        sample = [x for x in read_lines(path) if x.strip()]
        assert detect_format(sample, BUILTIN)[0] == "cisco-wsa", path.name
    assert WSA.detect(SC4S) == 1.0


def test_plain_squid_is_not_wsa() -> None:
    squid = [x for x in read_lines(VENDOR / "squid" / "reference.log") if x]
    assert WSA.detect(squid) == 0.0
    assert detect_format(squid, BUILTIN)[0] == "squid"


@pytest.mark.parametrize("lines", [L4TM, W3C], ids=["l4tm", "w3c"])
def test_other_wsa_logs_are_not_claimed(lines: list[str]) -> None:
    assert WSA.detect(lines) == 0.0
    assert format_class("squid").detect(lines) == 0.0
    assert parse_lines(WSA, lines).records.height == 0
