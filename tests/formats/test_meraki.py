"""Cisco Meraki syslog (``meraki``): what the goldens do not show on their own.

Expected values come from Cisco Meraki's syslog documentation ("Syslog Server
Overview and Configuration", "Syslog Event Types and Log Samples"); decisions in
docs/format-decisions.md, "meraki".
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

MERAKI = format_class("meraki")
FIXTURES = VENDOR / "meraki"
HEAD = "<134>1 1764152102.000000000 MX84"


def one(line: str, **options: Any) -> dict[str, Any]:
    return one_record(MERAKI, line, ParseOptions(**options))


def test_contract_and_examples() -> None:
    sample = read_lines(FIXTURES / "reference.log")
    check_format_contract(MERAKI, sample)
    assert assert_examples(MERAKI) >= 3


@pytest.mark.parametrize("case", ["sc4s", "reference", "garbled"])
def test_fast_path_matches_lark_on_fixtures(case: str) -> None:
    counts = assert_fast_matches_reference(MERAKI, read_lines(FIXTURES / f"{case}.log"))
    assert counts.fallback == 0


def test_epoch_header_is_utc_and_kept_to_the_microsecond() -> None:
    # 1764152102 = 2025-11-26T10:15:02Z; nine fraction digits, microseconds kept.
    record = one("1764152102.123456789 MX84 events failover to wan1", tz="Europe/Berlin")
    assert record["event_time"].isoformat() == "2025-11-26T10:15:02.123456+00:00"
    assert record["tz_assumed"] is False  # --tz does not apply to an epoch


def test_relay_header_time_is_not_the_event_time() -> None:
    line = "Nov 26 11:00:00 192.168.10.1 1 1764152102.000000000 MX60 events failover to wan1"
    record = one(line)
    assert record["event_time"].isoformat() == "2025-11-26T10:15:02+00:00"
    assert record["extras"]["syslog_host"] == "192.168.10.1"


@pytest.mark.parametrize(
    ("body", "action", "raw"),
    [
        # Meraki overview: "For inbound rules, 1=deny and 0=allow".
        ("flows src=39.41.2.3 dst=114.18.2.3 protocol=udp sport=1 dport=2 pattern: 1 all", "blocked", "1 all"),
        ("flows src=39.41.2.3 dst=114.18.2.3 protocol=udp sport=1 dport=2 pattern: 0 all", "allowed", "0 all"),
        ("firewall src=10.0.0.5 dst=8.8.8.8 protocol=udp sport=1 dport=53 pattern: allow all", "allowed", "allow all"),
        ("cellular_firewall src=10.0.0.5 dst=8.8.8.8 protocol=tcp sport=1 dport=25 pattern: deny all", "blocked", "deny all"),
        ("flows allow src=10.0.0.6 dst=8.8.8.8 protocol=udp sport=1 dport=53", "allowed", "allow"),
        ("flows deny src=10.0.0.7 dst=8.8.8.8 protocol=tcp sport=1 dport=8080", "blocked", "deny"),
        ("security_event security_filtering_file_scanned url=http://a.example/x src=1.2.3.4:80 dst=10.0.0.8:5000 action=block", "blocked", "block"),
    ],
)  # fmt: skip
def test_action_words(body: str, action: str, raw: str) -> None:
    record = one(f"{HEAD} {body}")
    assert (record["action"], record["action_raw"]) == (action, raw)


def test_urls_key_columns() -> None:
    line = (
        f"{HEAD} urls src=192.168.10.3:62526 dst=54.241.7.10:80 mac=00:1A:A0:11:22:33 "
        "agent='Mozilla/5.0 (X11; Linux)' request: GET http://www.Meraki.com/a?b=c"
    )
    record = one(line)
    assert (record["src_ip"], record["src_port"]) == ("192.168.10.3", 62526)
    assert (record["dst_ip"], record["dst_port"]) == ("54.241.7.10", 80)
    assert (record["http_method"], record["url"]) == ("GET", "http://www.Meraki.com/a?b=c")
    assert record["dst_host"] == "www.meraki.com"
    assert record["user_agent"] == "Mozilla/5.0 (X11; Linux)"
    assert record["event_class"] == "urls"
    assert record["observer_product"] == "MX84"
    assert "mac=00:1A:A0:11:22:33" in record["extras"]["attrs"]


def test_request_without_url_keeps_it_in_extras() -> None:
    record = one(
        f"{HEAD} urls src=10.0.0.1:1 dst=10.0.0.2:443 mac=00:11:22:33:44:55 request: UNKNOWN"
    )
    assert record["http_method"] is None
    assert record["url"] is None
    assert record["extras"]["request"] == "UNKNOWN"


def test_flows_key_columns_and_no_bytes() -> None:
    record = one(
        f"{HEAD} flows src=10.0.0.6 dst=2001:db8::9 mac=E8:E8:B7:35:4A:C2 protocol=udp sport=33787 dport=53 pattern: allow all"
    )
    assert (record["src_ip"], record["src_port"], record["dst_ip"], record["dst_port"]) == (
        "10.0.0.6", 33787, "2001:db8::9", 53,
    )  # fmt: skip
    assert record["transport"] == "udp"
    # Meraki logs no byte counts.
    assert all(record.get(c) is None for c in ("bytes_up", "bytes_down", "bytes_total"))


def test_ids_alert_keeps_its_mac_dhost_out_of_dst_host() -> None:
    line = (
        f"{HEAD} security_event ids_alerted signature=1:28423:1 priority=1 dhost=98:5A:EB:E1:81:2F "
        "direction=ingress protocol=tcp/ip src=151.101.52.238:80 dst=192.168.128.2:53023 message: EXPLOIT-KIT x"
    )
    record = one(line)
    assert record["dst_host"] is None
    assert record["transport"] == "tcp"
    assert (record["event_class"], record["event_name"]) == ("security_event", "ids_alerted")
    assert record["extras"]["message"] == "EXPLOIT-KIT x"


def test_events_pairs_and_free_text() -> None:
    pairs = one(
        f"{HEAD} events type=vpn_connectivity_change vpn_type='site-to-site' connectivity='false'"
    )
    assert pairs["event_name"] == "vpn_connectivity_change"
    assert pairs["extras"]["vpn_type"] == "site-to-site"
    text = one(f"{HEAD} events Cellular connection down")
    assert (text["event_class"], text["event_name"]) == ("events", "Cellular connection down")
    word = one(f"{HEAD} events dhcp no offers for mac A4:83:E7:11:22:33 host = 192.168.10.1")
    assert word["event_name"] == "dhcp no offers for mac A4:83:E7:11:22:33 host = 192.168.10.1"
    dot1x = one(f"{HEAD} events type=8021x_eap_success identity='alice@example.com'")
    assert dot1x["user_name"] == "alice@example.com"


@pytest.mark.parametrize(
    ("line", "code", "message"),
    [
        ("<134>1 MX84 urls src=10.0.0.1:1", "syntax", "expected EPOCH"),
        ("<134>1 1764152102.000000000 MX84", "unexpected_end", "line ends early"),
        ("<134>1 1764152102.000000000 MX84 events type=x 'a request: b'", "syntax", "column"),
    ],
)
def test_garbled_lines_are_quarantined(line: str, code: str, message: str) -> None:
    result = parse_lines(MERAKI, [line])
    assert result.records.height == 0
    (bad,) = result.quarantine.to_dicts()
    assert bad["error_code"] == code
    assert message in bad["error_message"]


def test_detection_against_the_other_formats() -> None:
    formats = {
        name: entry
        for name, entry in get_plugins().formats().items()
        if entry.plugin.startswith("shadowlens.formats.")
    }
    for case in ("sc4s", "reference", "garbled"):
        got, _score = detect_format(read_lines(FIXTURES / f"{case}.log"), formats)
        assert got == "meraki", case
    cef = ["<134>Nov 26 10:15:02 fw01 CEF:0|Vendor|Proxy|1.0|100|web|5|src=10.1.2.3"]
    assert MERAKI.detect(cef) == 0.0
