"""Check Point Log Exporter (``checkpoint``): what the goldens do not say on their own.

Expected values come from Check Point's field reference (sk144192) and the Log
Exporter layouts (sk122323); see docs/format-decisions.md, "checkpoint".
"""

from __future__ import annotations

from typing import Any

import pytest
from fixtures import BUILTIN, VENDOR, options_for

from golden_files import read_lines
from shadowlens.contract import ParseOptions
from shadowlens.engine.detect import detect_format
from shadowlens.testing import (
    assert_examples,
    assert_fast_matches_reference,
    check_format_contract,
    format_class,
    parse_lines,
)

CP = format_class("checkpoint")
HERE = VENDOR / "checkpoint"
SD = "<134>1 2025-11-26T10:15:02Z gw01 CheckPoint 26203 - "


def record(line: str, **options: Any) -> dict[str, Any]:
    result = parse_lines(CP, [line], options=ParseOptions(**options))
    assert result.quarantine.height == 0, result.quarantine.to_dicts()
    row = result.records.to_dicts()[0]
    row["extras"] = dict(zip(row.pop("extras_keys"), row.pop("extras_values"), strict=True))
    return row


def test_examples_and_contract() -> None:
    assert assert_examples(CP) >= 3
    check_format_contract(CP, read_lines(HERE / "reference.log"))


@pytest.mark.parametrize("path", sorted(HERE.glob("*.log")), ids=lambda p: p.name)
def test_fast_path_equals_lark_on_fixtures(path: Any) -> None:
    report = assert_fast_matches_reference(CP, read_lines(path), options=options_for(path))
    assert report.agreed > 0


@pytest.mark.parametrize(
    ("line", "up", "down"),
    [
        # splunk: client_outbound_bytes is what the client sent, server_outbound_bytes the reply.
        (
            "time=1764152102|ifdir=outbound|src=10.0.0.1|client_outbound_bytes=5000|server_outbound_bytes=70|",
            5000,
            70,
        ),
        # syslog SD: sent_bytes / received_bytes from the source's side.
        (
            SD + '[action:"Accept"; src:"10.0.0.1"; sent_bytes:"64"; received_bytes:"900000"]',
            64,
            900000,
        ),
        # RFC 5424 SD-PARAMs: the same keys, another spelling.
        (SD + '[x@1 src="10.0.0.1" client_outbound_bytes="7" server_outbound_bytes="8"]', 7, 8),
    ],
    ids=["splunk", "checkpoint-sd", "rfc5424-sd"],
)
def test_byte_direction(line: str, up: int, down: int) -> None:
    row = record(line)
    assert (row["bytes_up"], row["bytes_down"], row["bytes_total"]) == (up, down, up + down)


def test_total_only_when_no_direction() -> None:
    row = record("time=1764152102|ifdir=outbound|bytes=91234|")
    assert (row["bytes_up"], row["bytes_down"], row["bytes_total"]) == (None, None, 91234)


def test_epoch_time_is_utc_and_not_assumed() -> None:
    row = record("time=1764152102|ifdir=inbound|", tz="Europe/Berlin")
    assert row["event_time"].isoformat() == "2025-11-26T10:15:02+00:00"
    assert row["tz_assumed"] is False


def test_header_time_with_offset_when_no_time_field() -> None:
    row = record('<134>1 2025-11-26T11:15:02+01:00 gw01 CheckPoint 1 - [action:"Drop"]')
    assert row["event_time"].isoformat() == "2025-11-26T10:15:02+00:00"
    assert row["tz_assumed"] is False


def test_zoneless_header_time_takes_tz_and_is_assumed() -> None:
    row = record('<134>Nov 26 11:15:02 gw01 [action:"Drop"]', tz="Europe/Berlin", year=2025)
    assert row["event_time"].isoformat() == "2025-11-26T10:15:02+00:00"
    assert row["tz_assumed"] is True


@pytest.mark.parametrize(
    ("word", "action"),
    [
        ("Accept", "allowed"),
        ("Allow", "allowed"),
        ("Detect", "allowed"),
        ("Inspect", "allowed"),
        ("Bypass", "allowed"),
        ("Encrypt", "allowed"),
        ("Drop", "blocked"),
        ("Reject", "blocked"),
        ("Block", "blocked"),
        ("Prevent", "blocked"),
        ("Ask User", "unknown"),
    ],
)
def test_action_words(word: str, action: str) -> None:
    row = record(f"time=1764152102|ifdir=outbound|action={word}|")
    assert (row["action"], row["action_raw"]) == (action, word)


def test_splunk_pieces_escapes_and_glue() -> None:
    row = record(
        "time=1764152102|origin=1.1.1.1|2.2.2.2|originsicname=cn\\=fw01,o\\=x|src=2001:DB8::1"
        "|s_port=|user=-|service=443|proto=17|product=Firewall|foo=bar: bat||"
    )
    assert row["extras"]["origin"] == "1.1.1.1|2.2.2.2"
    assert row["extras"]["originsicname"] == "cn=fw01,o=x"
    assert row["extras"]["foo"] == "bar: bat"
    assert (row["src_ip"], row["src_port"], row["user_name"]) == ("2001:db8::1", None, None)
    assert (row["dst_port"], row["transport"]) == (443, "udp")
    assert (row["observer_vendor"], row["observer_product"]) == ("Check Point", "Firewall")


def test_checkpoint_sd_values_unescaped() -> None:
    row = record(
        SD + '[action:"Accept"; rule_name:"say \\"hi\\" [x\\]"; path:"C:\\\\tmp"; '
        'src_user_name:"Ann (ann)"; http_host:"WWW.Example.COM"; method:"get"; '
        'resource:"https://www.example.com/a"; http_status:"302"; user_agent:"UA/1.0 (X)";]'
    )
    assert row["extras"]["rule_name"] == 'say "hi" [x]'
    assert row["extras"]["path"] == "C:\\tmp"
    assert row["user_name"] == "Ann (ann)"
    assert (row["dst_host"], row["http_method"], row["http_status"]) == (
        "www.example.com",
        "GET",
        302,
    )
    assert (row["url"], row["user_agent"]) == ("https://www.example.com/a", "UA/1.0 (X)")


def test_rfc5424_sd_params() -> None:
    row = record(
        SD
        + '[sc4s@2620 action="Drop" src="10.1.1.1" dst="10.2.2.2" s_port="1" service="22" severity="High"]'
    )
    assert (row["action"], row["src_ip"], row["dst_ip"], row["dst_port"]) == (
        "blocked",
        "10.1.1.1",
        "10.2.2.2",
        22,
    )
    assert row["severity"] == 8


def test_resource_is_a_url_only_when_absolute() -> None:
    row = record(SD + '[action:"Accept"; resource:"dummy_resource"]')
    assert row["url"] is None
    assert row["dst_host"] is None
    assert row["extras"]["resource"] == "dummy_resource"


def test_severity_words() -> None:
    assert record("time=1764152102|ifdir=in|severity=Informational|")["severity"] == 1
    assert record("time=1764152102|ifdir=in|severity=Critical|")["severity"] == 10


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (SD + '[action:"Accept"; ifdir:"outb', "expected CP_PARAM"),
        (SD + '[action:"Accept"] trailing text', "expected CP_PARAM"),
        ("time 1764152105 hostname gw-hq product Firewall", 'expected "[" or SPLUNK_ATTRS'),
    ],
)
def test_garbled_lines_are_quarantined_with_a_reason(line: str, message: str) -> None:
    result = parse_lines(CP, [line])
    assert result.records.height == 0
    (row,) = result.quarantine.to_dicts()
    assert row["error_code"] == "syntax"
    assert message in row["error_message"]


def test_checkpoint_cef_lines_stay_cef() -> None:
    line = "<134>Nov 26 10:15:02 gw01 CEF:0|Check Point|VPN-1 & FireWall-1|Check Point|Log|Drop|Unknown|act=Drop src=10.0.0.1 ifdir=inbound loguid={0x1}"
    assert detect_format([line], BUILTIN)[0] == "cef"


#: sc4s-bluecoatproxysg_kv (a ProxySG key=value line, not Check Point's).
PROXYSG = (
    "<134> 2025-11-26T10:15:02.000Z fw01 bluecoat[0]: SPLV5.1 c-ip=192.0.0.6 cs-bytes=6269 "
    'cs-categories="unavailable" cs-host=gg.hhh.iii.com cs-method=GET cs-uri-port=8000 '
    "s-action=TCP_HIT sc-bytes=9469 sc-filter-result=OBSERVED sc-status=200 time-taken=20"
)


@pytest.mark.parametrize("other", ["skyhigh", "forcepoint"])
def test_other_formats_fixtures_are_not_checkpoint(other: str) -> None:
    for path in sorted((VENDOR / other).glob("*.log")):
        assert CP.detect(read_lines(path)) == 0.0, path.name


def test_proxysg_key_value_is_not_checkpoint() -> None:
    assert CP.detect([PROXYSG]) == 0.0
