"""Sophos (``sophos``): SFOS/XG, UTM and Web Appliance lines, beyond the golden files.

Expected values come from the SFOS syslog guide, the Web Appliance's "Interpreting
Log Files" page, the UTM/SFOS lines quoted in the Sophos community, and
docs/format-decisions.md ("sophos").
"""

from __future__ import annotations

import datetime as dt
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

SOPHOS = format_class("sophos")
HERE = VENDOR / "sophos"
UTC = dt.UTC

XG = (
    '<30>device="SFW" date=2022-04-25 time=15:27:08 timezone="CDT" device_name="XG430" '
    'log_id=010101600001 log_type="Firewall" log_component="Firewall Rule" log_subtype="Allowed" '
    'status="Allow" duration=136 user_name="fw01" ether_type=Unknown (0x0000) src_ip=10.41.254.203 '
    'dst_ip=205.39.17.23 protocol="TCP" src_port=59932 dst_port=443 sent_pkts=18  recv_pkts=16 '
    "sent_bytes=2422 recv_bytes=9586 tran_src_ip= tran_src_port=0"
)
UTM = (
    '<30>2015:03:02-00:39:22 SophosUTM93 httpproxy[5207]: id="0001" severity="info" '
    'sys="SecureWeb" sub="http" name="http access" action="pass" method="GET" '
    'srcip="10.211.55.2" dstip="23.212.59.57" user="scott" statuscode="200" size="10750" '
    'url="http://dotcom-media.nationalgeographic.com/css/style.css" ua="Mozilla/5.0"'
)
SWA = (
    'h=10.99.115.13 u="DOMAIN\\\\johnsmith" s=200 X=- t=1336666489 T=284453 Ts=0 act=1 '
    'in=1255 out=26198 meth=GET ref="-" ua="Mozilla/5.0" req="GET http://www.google.ca/ HTTP/1.1" '
    'dom="google.ca" target_ip="74.125.127.94"'
)


def one(line: str, **options: Any) -> dict[str, Any]:
    return one_record(SOPHOS, line, ParseOptions(**options))


def test_contract_examples_and_both_paths_on_every_fixture_line() -> None:
    lines = [x for path in sorted(HERE.glob("*.log")) for x in read_lines(path)]
    check_format_contract(SOPHOS, lines)
    assert assert_examples(SOPHOS) >= 3
    assert assert_fast_matches_reference(SOPHOS, lines).fallback == 0


# -- SFOS ------------------------------------------------------------------------------------


def test_sfos_firewall_columns_and_zone_abbreviation() -> None:
    row = one(XG, tz="Europe/Berlin")
    assert row["event_time"] == dt.datetime(2022, 4, 25, 20, 27, 8, tzinfo=UTC)  # CDT = -5
    assert row["tz_assumed"] is False
    assert (row["src_ip"], row["src_port"], row["dst_ip"], row["dst_port"]) == (
        "10.41.254.203", 59932, "205.39.17.23", 443,
    )  # fmt: skip
    assert (row["transport"], row["user_name"], row["duration_ms"]) == ("tcp", "fw01", 136000)
    assert (row["action"], row["action_raw"]) == ("allowed", "Allow")
    assert row["observer_product"] == "Sophos Firewall"
    assert row["extras"]["ether_type"] == "Unknown (0x0000)"
    assert row["extras"]["tran_src_ip"] == ""


def test_sfos_sent_bytes_is_up() -> None:
    row = one(XG)
    assert (row["bytes_up"], row["bytes_down"]) == (2422, 9586)


def test_sfos_unknown_zone_uses_the_run_zone() -> None:
    line = 'device="SFW" date=2025-07-01 time=12:00:00 timezone="NPT" log_type="Firewall" status="Deny"'
    row = one(line, tz="Europe/Berlin")
    assert row["event_time"] == dt.datetime(2025, 7, 1, 10, 0, 0, tzinfo=UTC)
    assert row["tz_assumed"] is True
    assert row["action"] == "blocked"


def test_sfos_web_filter_uses_log_subtype_when_status_is_empty() -> None:
    line = (
        'date=2015-07-28 time=09:00:39 timezone="UTC" device_name="SF01V" log_type="Content Filtering" '
        'log_subtype="Denied" status="" url="cdn.example.net/a.js" domain=cdn.example.net'
    )
    row = one(line)
    assert (row["action"], row["action_raw"]) == ("blocked", "Denied")
    assert (row["dst_host"], row["url"]) == ("cdn.example.net", "cdn.example.net/a.js")


def test_sfos_event_status_is_no_verdict() -> None:
    line = 'device="SFW" date=2025-11-26 time=10:00:00 timezone="UTC" log_type="Event" status="Successful"'
    assert one(line)["action"] is None


# -- UTM -------------------------------------------------------------------------------------


def test_utm_header_time_is_local_and_size_is_total_only() -> None:
    row = one(UTM, tz="Europe/Berlin")
    assert row["event_time"] == dt.datetime(2015, 3, 1, 23, 39, 22, tzinfo=UTC)
    assert row["tz_assumed"] is True
    assert (row["bytes_up"], row["bytes_down"], row["bytes_total"]) == (None, None, 10750)
    assert (row["src_ip"], row["dst_ip"], row["user_name"]) == (
        "10.211.55.2",
        "23.212.59.57",
        "scott",
    )
    assert (row["dst_host"], row["http_method"], row["http_status"]) == (
        "dotcom-media.nationalgeographic.com", "GET", 200,
    )  # fmt: skip
    assert (row["event_class"], row["event_name"], row["observer_product"]) == (
        "SecureWeb:http", "0001", "Sophos UTM",
    )  # fmt: skip
    assert row["extras"]["utm_prefix"].startswith("<30>2015:03:02-00:39:22 SophosUTM93")


@pytest.mark.parametrize(
    ("word", "expected"),
    [("pass", "allowed"), ("block", "blocked"), ("accept", "allowed"), ("drop", "blocked")],
)
def test_utm_action_words(word: str, expected: str) -> None:
    line = f'2025:11:26-10:00:00 utm01 httpproxy[1]: id="0001" sys="SecureWeb" action="{word}"'
    assert one(line)["action"] == expected


# -- Web Appliance ---------------------------------------------------------------------------


def test_web_appliance_columns() -> None:
    row = one(SWA)
    assert row["event_time"] == dt.datetime(2012, 5, 10, 16, 14, 49, tzinfo=UTC)
    assert row["tz_assumed"] is False
    assert row["user_name"] == "DOMAIN\\johnsmith"  # `\\` is an escaped backslash
    assert (row["url"], row["dst_host"], row["dst_ip"]) == (
        "http://www.google.ca/", "www.google.ca", "74.125.127.94",
    )  # fmt: skip
    assert (row["http_status"], row["duration_ms"]) == (200, 284)  # T= is microseconds
    assert (row["bytes_up"], row["bytes_down"]) == (1255, 26198)  # in = from the client


@pytest.mark.parametrize(
    ("code", "expected"), [("1", "allowed"), ("3", "allowed"), ("-1", "blocked"), ("-2", "blocked")]
)
def test_web_appliance_action_codes(code: str, expected: str) -> None:
    assert one(f"h=10.0.0.1 u= s=200 X=- t=1336666489 act={code}")["action"] == expected


# -- quarantine and detection ----------------------------------------------------------------


def test_free_text_is_quarantined() -> None:
    result = parse_lines(SOPHOS, ["<30>Nov 26 10:22:01 xg01 garner: log buffer full, dropping"])
    (bad,) = result.quarantine.to_dicts()
    assert bad["error_code"] == "syntax"
    assert bad["error_message"].startswith("unexpected 'd' at column 51")


def test_detected_among_all_formats() -> None:
    formats = get_plugins().formats()
    for path in sorted(HERE.glob("*.log")):
        sample = [x for x in read_lines(path) if x.strip()]
        assert detect_format(sample, formats)[0] == "sophos", path.name
    for line in (XG, UTM, SWA):
        assert detect_format([line], formats)[0] == "sophos"
