"""cisco-asa beyond the golden files: address order by direction, teardown option, bytes,
time zones, action words, FTD connection events, other IDs, garbled lines, detection.

Expected values come from Cisco's syslog message guides (docs/format-decisions.md,
"cisco-asa"), not from the parser's own output.
"""

from __future__ import annotations

from typing import Any

import pytest
from fixtures import VENDOR

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

ASA = format_class("cisco-asa")
HEAD = "<166>Nov 26 2025 10:15:02 asa01 : "

BUILT_OUT = HEAD + (
    "%ASA-6-302013: Built outbound TCP connection 9 for outside:203.0.113.7/443 "
    "(203.0.113.7/443) to inside:10.1.2.3/51514 (198.51.100.9/51514)"
)
BUILT_IN = HEAD + (
    "%ASA-6-302013: Built inbound TCP connection 11 for outside:198.51.100.77/40522 "
    "(198.51.100.77/40522) to dmz:172.16.5.10/443 (203.0.113.10/443)"
)
TEARDOWN = HEAD + (
    "%ASA-6-302014: Teardown TCP connection 9 for outside:203.0.113.7/443 to "
    "inside:10.1.2.3/51514 duration 0:00:30 bytes 48213 TCP FINs"
)


def one(line: str, **options: Any) -> dict[str, Any]:
    result = parse_lines(ASA, [line], options=ParseOptions(year=2025, **options))
    assert result.quarantine.height == 0, result.quarantine.to_dicts()
    return result.records.to_dicts()[0]


def test_contract_and_examples() -> None:
    check_format_contract(ASA, read_lines(VENDOR / "cisco-asa" / "reference.log"))
    assert assert_examples(ASA) >= 3


def test_fixtures_fast_path_equals_lark() -> None:
    for path in sorted((VENDOR / "cisco-asa").glob("*.log")):
        assert_fast_matches_reference(ASA, read_lines(path))


def test_outbound_built_reads_the_second_address_as_the_source() -> None:
    """302013 outbound: the first address is the foreign side, the second initiated."""
    row = one(BUILT_OUT)
    assert (row["src_ip"], row["src_port"]) == ("10.1.2.3", 51514)
    assert (row["dst_ip"], row["dst_port"]) == ("203.0.113.7", 443)


def test_inbound_built_reads_the_first_address_as_the_source() -> None:
    row = one(BUILT_IN)
    assert (row["src_ip"], row["src_port"]) == ("198.51.100.77", 40522)
    assert (row["dst_ip"], row["dst_port"]) == ("172.16.5.10", 443)


def test_teardown_direction_option() -> None:
    """302014 has no direction: outbound by default, inbound on request."""
    default = one(TEARDOWN)
    assert (default["src_ip"], default["dst_ip"]) == ("10.1.2.3", "203.0.113.7")
    inbound = one(TEARDOWN, options={"teardown_direction": "inbound"})
    assert (inbound["src_ip"], inbound["dst_ip"]) == ("203.0.113.7", "10.1.2.3")


def test_teardown_bytes_are_the_connection_total() -> None:
    row = one(TEARDOWN)
    assert row["bytes_total"] == 48213
    assert row["bytes_up"] is None
    assert row["bytes_down"] is None
    assert row["duration_ms"] == 30_000  # `duration 0:00:30`, read by the duration type
    assert "duration" not in row["extras_keys"]


def test_ftd_initiator_bytes_are_up_and_responder_bytes_down() -> None:
    line = (
        "<14>Nov 26 2025 10:15:18 ftd01 : %FTD-6-430003: AccessControlRuleAction: Allow, "
        "SrcIP: 10.1.2.3, DstIP: 203.0.113.7, SrcPort: 51630, DstPort: 443, Protocol: tcp, "
        "User: CORP\\carol, ConnectionDuration: 12, InitiatorBytes: 52000, ResponderBytes: 8100, "
        "URL: https://www.Dropbox.com/upload"
    )
    row = one(line)
    assert (row["bytes_up"], row["bytes_down"], row["bytes_total"]) == (52000, 8100, 60100)
    assert row["duration_ms"] == 12000
    assert row["user_name"] == "CORP\\carol"
    assert row["dst_host"] == "www.dropbox.com"
    assert row["action"] == "allowed"


@pytest.mark.parametrize(
    ("verdict", "action"),
    [
        ("Allow", "allowed"),
        ("Trust", "allowed"),
        ("Block", "blocked"),
        ("Block with reset", "blocked"),
    ],
)
def test_ftd_rule_actions(verdict: str, action: str) -> None:
    row = one(
        f"%FTD-6-430002: AccessControlRuleAction: {verdict}, SrcIP: 10.1.2.3, DstIP: 203.0.113.7"
    )
    assert (row["action"], row["action_raw"]) == (action, verdict)


def test_acl_words() -> None:
    permitted = one(
        HEAD + "%ASA-6-106100: access-list in permitted tcp inside/10.1.2.3(51620) -> "
        "outside/203.0.113.7(443) hit-cnt 1 first hit [0xb6b7cd37, 0x0]"
    )
    assert (permitted["action"], permitted["src_ip"], permitted["dst_port"]) == (
        "allowed",
        "10.1.2.3",
        443,
    )
    denied = one(
        HEAD + "%ASA-4-106023: Deny udp src inside:10.1.2.3/5353 dst outside:203.0.113.8/53 "
        'by access-group "in" [0x0, 0x0]'
    )
    assert (denied["action"], denied["transport"], denied["dst_ip"]) == (
        "blocked",
        "udp",
        "203.0.113.8",
    )
    inbound = one(
        HEAD + "%ASA-2-106001: Inbound TCP connection denied from 198.51.100.200/4444 to "
        "203.0.113.10/22 flags SYN on interface outside"
    )
    assert (inbound["action"], inbound["src_ip"], inbound["severity"]) == (
        "blocked",
        "198.51.100.200",
        8,
    )


def test_url_accessed() -> None:
    row = one(
        HEAD + "%ASA-5-304001: 10.1.2.3 Accessed URL 203.0.113.7:http://Files.Example.com/a?b=1"
    )
    assert row["url"] == "http://Files.Example.com/a?b=1"
    assert (row["dst_host"], row["dst_ip"], row["src_ip"]) == (
        "files.example.com",
        "203.0.113.7",
        "10.1.2.3",
    )


def test_other_message_ids_are_records_with_their_text() -> None:
    row = one(
        HEAD
        + "%ASA-6-113039: Group <VPN> User <dave> IP <198.51.100.12> AnyConnect parent session started."
    )
    assert (row["event_name"], row["event_class"], row["observer_product"]) == (
        "113039",
        "other",
        "ASA",
    )
    extras = dict(zip(row["extras_keys"], row["extras_values"], strict=True))
    assert extras["message_text"].startswith("Group <VPN>")


def test_time_without_zone_takes_tz_and_is_assumed() -> None:
    row = one(BUILT_OUT, tz="Europe/Berlin")
    assert row["event_time"].isoformat() == "2025-11-26T09:15:02+00:00"
    assert row["tz_assumed"] is True


@pytest.mark.parametrize(
    ("prefix", "utc"),
    [
        ("<166>2025-11-26T10:15:02Z asa01 : ", "2025-11-26T10:15:02+00:00"),
        ("<166>Nov 26 2025 10:15:02 UTC: ", "2025-11-26T10:15:02+00:00"),
    ],
)
def test_time_with_zone_is_not_assumed(prefix: str, utc: str) -> None:
    row = one(prefix + BUILT_OUT[len(HEAD) :], tz="Europe/Berlin")
    assert row["event_time"].isoformat() == utc
    assert row["tz_assumed"] is False


@pytest.mark.parametrize(
    ("line", "code", "message"),
    [
        (
            HEAD + "%ASA-6-302014: Teardown TCP connection 9 for outside:203.0.113.7/443",
            "unexpected_end",
            "line ends early",
        ),
        (
            HEAD + "%ASA-6-302013: Built sideways TCP connection 9 for outside:203.0.113.7/443",
            "syntax",
            "expected DIRECTION",
        ),
    ],
)
def test_garbled_listed_ids_are_quarantined(line: str, code: str, message: str) -> None:
    result = parse_lines(ASA, [line])
    assert result.records.height == 0
    bad = result.quarantine.to_dicts()[0]
    assert bad["error_code"] == code
    assert message in bad["error_message"]


def test_detection_against_the_other_formats() -> None:
    formats = {
        n: e
        for n, e in get_plugins().formats().items()
        if e.plugin.startswith("shadowlens.formats.")
    }
    assert detect_format([BUILT_OUT, TEARDOWN], formats)[0] == "cisco-asa"
    for other in ("cef", "leef", "juniper-srx", "netscreen"):
        assert formats[other].cls.detect([BUILT_OUT, TEARDOWN]) < 0.5
    cef = "CEF:0|Cisco|ASA|9.8|302013|Built connection|1|src=10.1.2.3 msg=%ASA-6-302013:"
    assert ASA.detect([cef]) < 0.5


def test_firepower_sfims_connection_event() -> None:
    """SFIMS lines carry no %FTD tag; the same Initiator/Responder rule applies."""
    line = (
        "<111> Nov 26 10:15:02 fw01 SFIMS: Protocol: TCP, SrcIP: 10.1.2.3, DstIP: 203.0.113.7, "
        "SrcPort: 47097, DstPort: 443, AccessControlRuleAction: Block with reset, "
        "InitiatorBytes: 54, ResponderBytes: 0"
    )
    row = one(line)
    assert (row["src_ip"], row["dst_port"], row["transport"]) == ("10.1.2.3", 443, "tcp")
    assert (row["bytes_up"], row["bytes_down"], row["action"]) == (54, 0, "blocked")
    assert (row["event_name"], row["event_class"], row["observer_product"]) == (
        "SFIMS",
        "connection-event",
        "Firepower",
    )
    assert ASA.detect([line]) == 1.0


def test_asa_prefix_never_passes_sfims() -> None:
    """A line with `SFIMS: ` before its `%` tag is read as SFIMS pairs, on both engines."""
    line = "<111> Nov 26 10:15:02 fw01 SFIMS: Note: x %ASA-6-113039: text"
    assert_fast_matches_reference(ASA, [line])
    row = one(line)
    assert row["event_name"] == "SFIMS"


def test_byte_direction_fixture() -> None:
    """FTD upload and download; the ASA teardown of the upload has only its total."""
    result = parse_lines(ASA, read_lines(VENDOR / "cisco-asa" / "byte_direction.log"))
    rows = result.records.select("bytes_up", "bytes_down", "bytes_total").rows()
    assert rows == [
        (52428800, 480000, 52908800),
        (610000, 104857600, 105467600),
        (None, None, 52908800),
    ]
