"""Cisco Umbrella proxy and DNS CSV logs.

Expected values come from Cisco's "Web Log Formats" and "DNS Log Formats" pages
(timestamps in UTC; Request Size / Response Size; the field orders), see
``tests/formats/fixtures/umbrella/README.md``.
"""

from __future__ import annotations

from typing import Any

import pytest
from fixtures import VENDOR, all_fixtures

from golden_files import read_lines
from shadowlens.contract import ParseOptions
from shadowlens.engine.detect import detect_format
from shadowlens.plugins.manager import get_plugins
from shadowlens.testing import (
    assert_examples,
    assert_fast_matches_reference,
    check_format_contract,
    format_class,
    parse_lines,
)

FMT = format_class("umbrella")
HERE = VENDOR / "umbrella"
DNS = (
    '"2015-01-16 17:48:41","ActiveDirectoryUserName","ActiveDirectoryUserName,ADSite,Network",'
    '"10.10.1.100","24.123.132.133","Blocked","1 (A)","NOERROR","domain-visited.com.",'
    '"Chat,Photo Sharing,Social Networking","AD User","AD User,Site,Network","Chat,Social Networking"'
)


def proxy_line(**values: str) -> str:
    base = {
        1: "2025-11-26 11:00:00",
        2: "Jane Doe (jdoe@contoso.example)",
        3: "10.20.1.15",
        4: "198.51.100.24",
        5: "203.0.113.40",
        6: "text/html",
        7: "ALLOWED",
        8: "https://WeTransfer.com/api/v4/upload",
        9: "",
        10: "curl/8.5.0",
        11: "200",
        12: "52428800",
        13: "1843",
        22: "AD Users",
        26: "POST",
    }
    base.update({int(k[1:]): v for k, v in values.items()})
    return ",".join(f'"{base.get(i, "")}"' for i in range(1, 27))


def records(lines: list[str], **options: Any) -> list[dict[str, Any]]:
    result = parse_lines(FMT, lines, options=ParseOptions(**options))
    assert result.quarantine.height == 0, result.quarantine.to_dicts()
    rows = result.records.to_dicts()
    for row in rows:
        row["extras"] = dict(zip(row.pop("extras_keys"), row.pop("extras_values"), strict=True))
    return rows


def test_contract_examples_and_both_paths_on_every_fixture() -> None:
    lines = [x for p in sorted(HERE.glob("*.log")) for x in read_lines(p)]
    check_format_contract(FMT, lines)
    assert assert_examples(FMT) == 4
    assert assert_fast_matches_reference(FMT, lines, allow_fallback=False).agreed > 0


def test_proxy_byte_direction_request_size_up_response_size_down() -> None:
    (row,) = records([proxy_line()])
    assert (row["bytes_up"], row["bytes_down"]) == (52428800, 1843)
    (row,) = records([proxy_line(v12="734", v13="10485760")])
    assert (row["bytes_up"], row["bytes_down"]) == (734, 10485760)


def test_timestamps_are_utc_whatever_tz_says() -> None:
    (row,) = records([DNS], tz="Europe/Berlin")
    assert row["event_time"].isoformat() == "2015-01-16T17:48:41+00:00"
    assert row["tz_assumed"] is False


def test_dns_key_columns() -> None:
    (row,) = records([DNS])
    assert row["event_class"] == "dns"
    assert (row["src_ip"], row["user_name"], row["dst_host"]) == (
        "10.10.1.100",
        "ActiveDirectoryUserName",
        "domain-visited.com",
    )
    assert (row["action"], row["action_raw"], row["app_protocol"]) == ("blocked", "Blocked", "dns")
    assert row["extras"]["external_ip"] == "24.123.132.133"
    assert row["bytes_up"] is None


def test_proxy_key_columns_and_identity_types() -> None:
    (user,) = records([proxy_line()])
    assert user["event_class"] == "proxy"
    assert (user["user_name"], user["src_host"]) == ("Jane Doe (jdoe@contoso.example)", None)
    assert (user["dst_host"], user["dst_ip"], user["http_method"]) == (
        "wetransfer.com",
        "203.0.113.40",
        "POST",
    )
    (computer,) = records([proxy_line(v2="PAR-LT-0142", v22="Roaming Computers")])
    assert (computer["user_name"], computer["src_host"]) == (None, "PAR-LT-0142")
    (network,) = records([proxy_line(v2="Paris HQ", v22="Networks")])
    assert (network["user_name"], network["src_host"]) == (None, None)
    assert network["extras"]["policy_identity"] == "Paris HQ"
    (device,) = records([proxy_line(v2="Branch-ISR", v22="Network Devices")])
    assert (device["user_name"], device["src_host"]) == (None, None)
    (mobile,) = records([proxy_line(v2="iPhone-Jane", v22="Mobile Devices")])
    assert mobile["src_host"] == "iPhone-Jane"


@pytest.mark.parametrize(
    ("word", "action"),
    [
        ("ALLOWED", "allowed"),
        ("BLOCKED", "blocked"),
        ("WARNED", "blocked"),
        ("ISOLATED", "unknown"),
    ],
)
def test_proxy_action_words(word: str, action: str) -> None:
    (row,) = records([proxy_line(v7=word)])
    assert (row["action"], row["action_raw"]) == (action, word)


def test_schema_versions_by_column_count() -> None:
    short_dns = '","'.join(DNS.split('","')[:10]) + '"'  # 10 values: schema v1/v2
    (dns,) = records([short_dns])
    assert (dns["event_class"], dns["user_name"]) == ("dns", None)  # no identity type column
    thirteen = '","'.join(proxy_line().split('","')[:13]) + '"'
    (row,) = records([thirteen])
    assert row["bytes_down"] == 1843
    bad = parse_lines(FMT, ['","'.join(proxy_line().split('","')[:12]) + '"'])
    (q,) = bad.quarantine.to_dicts()
    assert (q["error_code"], q["error_message"]) == (
        "field_count",
        "the entry has 12 values but the layout proxy needs 13 to 49",
    )


def test_header_rows_are_directives() -> None:
    lines = read_lines(HERE / "reference.log")
    result = parse_lines(FMT, lines)
    assert result.directives == 1
    assert result.records.height == len(lines) - 1


def test_garbled_lines_are_quarantined_with_a_reason() -> None:
    bad = parse_lines(FMT, read_lines(HERE / "garbled.log")).quarantine.to_dicts()
    assert [b["error_code"] for b in bad] == ["syntax", "field_count", "syntax"]
    assert bad[0]["error_message"] == "unexpected ' ' at column 49; expected \",\" or VALUE"


def test_lines_of_other_log_types_are_records() -> None:
    audit = (
        '"1431210","2025-11-26 12:00:02","admin@contoso.example","Admin",'
        '"logexportconfigurations","update","198.51.100.24","version: 11","version: 12"'
    )
    firewall = '"2025-11-26 12:00:09","12345","PAR-LT-0142","Roaming Computers","OUTBOUND","6"'
    a, f = records([audit, firewall])
    assert (a["event_class"], a["event_name"], a["user_name"]) == (
        "audit",
        "update",
        "admin@contoso.example",
    )
    assert a["action"] is None  # an audit action is a change, not a verdict
    assert (f["event_class"], f["event_time"].isoformat()) == ("other", "2025-11-26T12:00:09+00:00")
    assert f["extras"]["extra_column_2"] == "12345"


def test_detection_against_the_other_formats() -> None:
    formats = get_plugins().formats()
    for name, path in all_fixtures():
        sample = [x for x in read_lines(path) if x.strip()]
        got = detect_format(sample, formats)[0]
        assert (got == "umbrella") == (name == "umbrella"), path
