"""pfSense / OPNsense filterlog (format ``pfsense``): layouts, time, verdicts, detection.

Expected values come from Netgate's "Raw Filter Log Format" page: common fields, then
IPv4 (TOS, ECN, TTL, ID, offset, flags, protocol ID, protocol) or IPv6 (class, flow
label, hop limit, protocol, protocol ID), then length, source, destination, then the
protocol's own fields.
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

PF = format_class("pfsense")
HERE = VENDOR / "pfsense"
HEADER = "<134>Nov 26 10:15:02 pfSense filterlog[48953]: "


def rows(lines: list[str], **options: Any) -> list[dict[str, Any]]:
    result = parse_lines(PF, lines, options=ParseOptions(year=2025, **options))
    assert result.quarantine.height == 0, result.quarantine.to_dicts()
    out = result.records.to_dicts()
    for row in out:
        row["extras"] = dict(zip(row.pop("extras_keys"), row.pop("extras_values"), strict=True))
    return out


def fixture(name: str) -> list[str]:
    return read_lines(HERE / name)


def test_contract_examples_and_both_paths() -> None:
    sample = fixture("reference.log")
    check_format_contract(PF, sample)
    assert assert_examples(PF) == 4
    report = assert_fast_matches_reference(PF, sample + fixture("garbled.log"))
    assert (report.agreed, report.rejected) == (len(sample) + 3, 1)


def test_each_layout_names_its_values() -> None:
    tcp, udp, echo, unreach, carp, tcp6, icmp6, _, bare, igmp = rows(fixture("reference.log"))
    assert (tcp["src_port"], tcp["dst_port"], tcp["extras"]["tcp_flags"]) == (49152, 3389, "S")
    assert tcp["extras"]["options"] == "mss;nop;wscale;nop;nop;sackOK"
    assert (udp["transport"], udp["dst_port"], udp["extras"]["data_length"]) == ("udp", 53, "54")
    assert (echo["extras"]["icmp_id"], echo["extras"]["icmp_seq"]) == ("5113", "6664")
    assert echo["src_port"] is None
    assert unreach["extras"]["icmp_port"] == "33434"
    assert unreach["extras"]["icmp_proto_id"] == "17"
    assert (carp["extras"]["vhid"], carp["extras"]["advbase"]) == ("1", "1")
    assert carp["transport"] is None  # CARP (112) is not a transport the schema names
    assert (tcp6["src_ip"], tcp6["dst_port"], tcp6["transport"]) == ("2001:db8:10::23", 443, "tcp")
    assert (icmp6["transport"], icmp6["dst_ip"]) == ("ipv6-icmp", "ff02::1:ff00:2")
    assert bare["src_ip"] == "192.168.1.21"
    assert igmp["extras"]["proto"] == "igmp"


def test_no_bytes_per_direction_only_the_packet_length() -> None:
    out, back = rows(fixture("byte_direction.log"))
    for row in (out, back):
        assert row.get("bytes_up") is None
        assert row.get("bytes_down") is None
        assert row.get("bytes_total") is None
        assert row["extras"]["length"] == "1500"
    assert (out["extras"]["direction"], back["extras"]["direction"]) == ("out", "in")


@pytest.mark.parametrize(
    ("word", "action"),
    [("pass", "allowed"), ("block", "blocked"), ("reject", "blocked"), ("scrub", "unknown")],
)
def test_action_words(word: str, action: str) -> None:
    line = fixture("reference.log")[0].replace(",match,block,", f",match,{word},")
    (row,) = rows([line])
    assert (row["action"], row["action_raw"]) == (action, word)


def test_rfc3164_times_are_local_and_rfc5424_times_carry_their_offset() -> None:
    local, explicit = rows(fixture("local_time.log"), tz="Europe/Berlin")
    assert local["event_time"].isoformat() == "2025-07-01T07:00:00+00:00"
    assert local["tz_assumed"] is True
    assert explicit["event_time"].isoformat() == "2025-11-26T10:15:08+00:00"
    assert explicit["tz_assumed"] is False
    (bare,) = rows([fixture("reference.log")[8]])  # the CSV alone: no time at all
    assert bare["event_time"] is None


def test_opnsense_is_told_by_its_rule_label() -> None:
    lines = fixture("reference.log")
    pf, opn = rows([lines[0], lines[7]])
    assert (pf["observer_vendor"], pf["observer_product"]) == ("Netgate", "pfSense")
    assert (opn["observer_vendor"], opn["observer_product"]) == ("Deciso", "OPNsense")
    assert opn["extras"]["syslog_rest"] == 'filterlog 61360 - [meta sequenceId="10"]'


def test_opnsense_icmp_layout_with_datalength_type_and_code() -> None:
    echo, needfrag, icmp6, igmp = rows(fixture("opnsense.log"))
    assert echo["extras"]["icmp_type"] == "echoreq"
    assert (echo["extras"]["icmp_id"], echo["extras"]["icmp_seq"]) == ("4242", "7")
    assert (needfrag["extras"]["icmp_code"], needfrag["extras"]["icmp_mtu"]) == ("needfrag", "1400")
    assert (icmp6["transport"], icmp6["extras"]["icmp_type"]) == ("ipv6-icmp", "neighbrsol")
    assert igmp["extras"]["extra_column_21"] == "datalength=8"
    assert igmp["observer_product"] == "pfSense"  # label "0": OPNsense cannot be told


@pytest.mark.parametrize(
    ("line", "code", "message"),
    [
        (HEADER + "5,,,1000000103,igb1,match,block,in,4,0x0,,113,54322,0,DF,6,tcp,52,198.51.100.77",
         "field_count", "the entry has 19 values but the layout ipv4-tcp names 29"),
        ("<27>Nov 26 10:15:02 syslogd: restart", "syntax", "unexpected '<' at column 1"),
    ],
)  # fmt: skip
def test_garbled_and_foreign_lines_are_quarantined(line: str, code: str, message: str) -> None:
    (bad,) = parse_lines(PF, [line]).quarantine.to_dicts()
    assert bad["error_code"] == code
    assert message in bad["error_message"]


def test_detection_needs_filterlog_lines() -> None:
    formats = get_plugins().formats()
    assert PF.detect(fixture("reference.log")) == 1.0
    sc4s = fixture("sc4s.log")  # one filterlog line, two other programs
    assert detect_format(sc4s, formats)[0] == "pfsense"
    assert PF.detect(sc4s[1:]) == 0.0  # other programs alone are not claimed
    for other in ("paloalto", "mdca-csv"):
        assert PF.detect(read_lines(VENDOR / other / "reference.log")) == 0.0
