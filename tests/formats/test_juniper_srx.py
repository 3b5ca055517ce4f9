"""juniper-srx beyond the golden files: byte direction in both forms, users, time zones,
actions, web filtering, garbled lines, detection.

Expected values come from Juniper's message descriptions (System Log Explorer;
docs/format-decisions.md, "juniper-srx"), not from the parser's own output.
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

SRX = format_class("juniper-srx")
TEXT = "<14>Nov 26 10:15:09 srx01 RT_FLOW: "
CLOSE_TEXT = TEXT + (
    "RT_FLOW_SESSION_CLOSE: session closed TCP FIN: 10.0.1.20/52000->203.0.113.4/443 0x0 "
    "junos-https 198.51.100.9/41000->203.0.113.4/443 0x0 source rule-1 N/A N/A 6 "
    "trust-to-untrust trust untrust 40123 12(1543) 15(20481) 7 SSL UNKNOWN alice(N/A) ge-0/0/1.0 No"
)
CLOSE_OLD = TEXT + (
    "RT_FLOW_SESSION_CLOSE: session closed idle Timeout: 10.0.1.21/61000->198.51.100.53/53 "
    "junos-dns-udp 10.0.1.21/61000->198.51.100.53/53 None None 17 trust-to-untrust trust untrust "
    "40124 1(64) 1(180) 60 UNKNOWN UNKNOWN N/A(N/A) ge-0/0/1.0"
)
CLOSE_SD = (
    "<14>1 2025-11-26T10:15:20.000+01:00 srx01 RT_FLOW - RT_FLOW_SESSION_CLOSE [junos@2636.1.1.1.2.26 "
    'reason="TCP RST" source-address="10.0.1.24" source-port="52021" destination-address="203.0.113.9" '
    'destination-port="443" service-name="junos-https" protocol-id="6" packets-from-client="30" '
    'bytes-from-client="512000" packets-from-server="20" bytes-from-server="4096" elapsed-time="6" '
    'username="carol" roles="N/A"]'
)


def one(line: str, **options: Any) -> dict[str, Any]:
    result = parse_lines(SRX, [line], options=ParseOptions(year=2025, **options))
    assert result.quarantine.height == 0, result.quarantine.to_dicts()
    return result.records.to_dicts()[0]


def extras(row: dict[str, Any]) -> dict[str, str]:
    return dict(zip(row["extras_keys"], row["extras_values"], strict=True))


def test_contract_and_examples() -> None:
    check_format_contract(SRX, read_lines(VENDOR / "juniper-srx" / "reference.log"))
    assert assert_examples(SRX) >= 3


def test_fixtures_fast_path_equals_lark() -> None:
    for path in sorted((VENDOR / "juniper-srx").glob("*.log")):
        assert_fast_matches_reference(SRX, read_lines(path))


@pytest.mark.parametrize(
    ("line", "up", "down", "ms"),
    [(CLOSE_TEXT, 1543, 20481, 7000), (CLOSE_OLD, 64, 180, 60000), (CLOSE_SD, 512000, 4096, 6000)],
)
def test_bytes_from_client_are_up_and_from_server_down(
    line: str, up: int, down: int, ms: int
) -> None:
    row = one(line)
    assert (row["bytes_up"], row["bytes_down"], row["bytes_total"]) == (up, down, up + down)
    assert row["duration_ms"] == ms


def test_text_form_columns() -> None:
    row = one(CLOSE_TEXT)
    assert (row["src_ip"], row["src_port"], row["dst_ip"], row["dst_port"]) == (
        "10.0.1.20",
        52000,
        "203.0.113.4",
        443,
    )
    assert (row["transport"], row["app_protocol"], row["user_name"]) == ("tcp", "https", "alice")
    assert extras(row)["close_reason"] == "TCP FIN"
    old = one(CLOSE_OLD)
    assert (old["transport"], old["user_name"]) == ("udp", None)


def test_create_and_deny_text() -> None:
    create = one(
        TEXT
        + "RT_FLOW_SESSION_CREATE: session created 10.0.1.20/52000->203.0.113.4/443 0x0 junos-https "
        "198.51.100.9/41000->203.0.113.4/443 0x0 source rule-1 N/A N/A 6 trust-to-untrust trust untrust "
        "40123 alice(N/A) ge-0/0/1.0 UNKNOWN UNKNOWN No"
    )
    assert (create["action"], create["user_name"], create["bytes_total"]) == (
        "allowed",
        "alice",
        None,
    )
    deny = one(
        TEXT
        + "RT_FLOW_SESSION_DENY: session denied 10.0.1.22/50111->203.0.113.66/23 0x0 junos-telnet "
        "6(0) default-deny trust untrust UNKNOWN UNKNOWN bob(staff) ge-0/0/1.0 No policy deny"
    )
    assert (deny["action"], deny["action_raw"], deny["user_name"], deny["transport"]) == (
        "blocked",
        "RT_FLOW_SESSION_DENY",
        "bob",
        "tcp",
    )


@pytest.mark.parametrize(
    ("word", "action"), [("URL Permitted", "allowed"), ("URL Blocked", "blocked")]
)
def test_web_filter(word: str, action: str) -> None:
    event = "WEBFILTER_URL_PERMITTED" if action == "allowed" else "WEBFILTER_URL_BLOCKED"
    row = one(
        f'<14>Nov 26 10:15:12 srx01 RT_UTM: {event}: WebFilter: ACTION="{word}" 10.0.1.20(52011)->'
        '203.0.113.7(80) CATEGORY="Enhanced_Information_Technology" REASON="BY_PRE_DEFINED" '
        'PROFILE="web-default" URL=Files.Example.com OBJ=/upload/a.pdf username alice roles N/A'
    )
    assert (row["action"], row["action_raw"]) == (action, word)
    assert (row["dst_host"], row["url"], row["user_name"]) == (
        "files.example.com",
        "Files.Example.com/upload/a.pdf",
        "alice",
    )
    assert (row["event_class"], row["event_name"]) == ("RT_UTM", event)


def test_structured_values_are_unquoted_and_unescaped() -> None:
    row = one(
        "<14>1 2025-11-26T10:15:22.000Z srx01 RT_UTM - WEBFILTER_URL_PERMITTED [junos@2636.1.1.1.2.26 "
        'source-address="10.0.1.26" url="files.example.com" obj="/q=\\"a b\\"\\]" username="dave"]'
    )
    assert row["user_name"] == "dave"
    assert extras(row)["obj"] == '/q="a b"]'


def test_rfc3164_time_is_local_and_assumed() -> None:
    row = one(CLOSE_TEXT, tz="Europe/Berlin")
    assert row["event_time"].isoformat() == "2025-11-26T09:15:09+00:00"
    assert row["tz_assumed"] is True


def test_rfc5424_time_carries_its_offset() -> None:
    row = one(CLOSE_SD, tz="America/New_York")
    assert row["event_time"].isoformat() == "2025-11-26T09:15:20+00:00"
    assert row["tz_assumed"] is False


@pytest.mark.parametrize(
    ("line", "code", "message"),
    [
        (
            TEXT + "RT_FLOW_SESSION_CREATE: session created 10.0.1.20-52000 junos-https",
            "syntax",
            "expected",
        ),
        (CLOSE_SD[:140], "syntax", "expected SD_PAIR"),
    ],
)
def test_garbled_lines_are_quarantined(line: str, code: str, message: str) -> None:
    result = parse_lines(SRX, [line])
    assert result.records.height == 0
    bad = result.quarantine.to_dicts()[0]
    assert (bad["error_code"], message in bad["error_message"]) == (code, True)


def test_detection_against_the_other_formats() -> None:
    formats = {
        n: e
        for n, e in get_plugins().formats().items()
        if e.plugin.startswith("shadowlens.formats.")
    }
    assert detect_format([CLOSE_TEXT, CLOSE_SD], formats)[0] == "juniper-srx"
    for other in ("cef", "leef", "cisco-asa", "netscreen"):
        assert formats[other].cls.detect([CLOSE_TEXT, CLOSE_SD]) < 0.5
    # Junos messages that are not security logs, in text form, are not claimed.
    assert (
        SRX.detect(["<23>Nov 26 10:15:02 sw01 mib2d[1484]: SNMP_TRAP_LINK_UP: ifIndex 584"]) < 0.5
    )


def test_byte_direction_fixture() -> None:
    """An upload (text form) and a download (structured form)."""
    result = parse_lines(SRX, read_lines(VENDOR / "juniper-srx" / "byte_direction.log"))
    rows = result.records.select("bytes_up", "bytes_down").rows()
    assert rows == [(52428800, 480000), (610000, 104857600)]
