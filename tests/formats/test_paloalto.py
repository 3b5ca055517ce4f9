"""PAN-OS syslog CSV (format ``paloalto``): what the goldens do not say on their own.

Expected values come from the PAN-OS "Syslog Field Descriptions" (Traffic and Threat
Log Fields): Bytes Sent is client to server, Bytes Received server to client, Elapsed
Time is in seconds, URL/Filename holds the URL of a url THREAT log without a scheme,
Generated/Receive Time carry no zone.
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

PAN = format_class("paloalto")
HERE = VENDOR / "paloalto"
#: sc4s `sc4s-leef1_generic-4` (tests/formats/NOTICE.md): PAN-OS LEEF belongs to the leef format.
PAN_LEEF = (
    "<111>1 2025-11-26T10:15:02+00:00 fw01 LEEF:1.0|Palo Alto Networks|PAN-OS Syslog Integratio"
    "n|8.1.8|allow|cat=TRAFFIC|ReceiveTime=2020/09/03 09:54:59|SerialNumber=012345678912|Type=T"
    "RAFFIC|Subtype=end|devTime=Sep 03 2020 14:54:59 GMT|src=1.1.1.1|dst=1.1.1.1|srcPostNAT=0.0"
    ".0.0|dstPostNAT=0.0.0.0|RuleName=test|usrName=|SourceUser=|DestinationUser=|Application=in"
    "complete|VirtualSystem=vsys1|SourceZone=test|DestinationZone=test|IngressInterface=test|Eg"
    "ressInterface=test|LogForwardingProfile=Log to Panorama|SessionID=test|RepeatCount=1|srcPo"
    "rt=12345|dstPort=443|srcPostNATPort=0|dstPostNATPort=0|Flags=0x19|proto=tcp|action=allow|t"
    "otalBytes=60|dstBytes=0|srcBytes=60|totalPackets=1|StartTime=2020/09/03 09:54:53|ElapsedTi"
    "me=0|URLCategory=any|sequence=6694316277998249989|ActionFlags=0x8000000000000000|SourceLoc"
    "ation=United States|DestinationLocation=United States|dstPackets=0|srcPackets=1|SessionEnd"
    "Reason=aged-out|DeviceGroupHierarchyL1=117|DeviceGroupHierarchyL2=118|DeviceGroupHierarchy"
    "L3=119|DeviceGroupHierarchyL4=146|vSrcName=vsys1|DeviceName=host|ActionSource=from-policy|"
    "SrcUUID=|DstUUID=|TunnelID=0|MonitorTag=|ParentSessionID=0|ParentStartTime=|TunnelType=N/A"
    "'"
)
HEADER = "<14>Nov 26 10:15:02 PA-3220 "


def rows(lines: list[str], **options: Any) -> list[dict[str, Any]]:
    result = parse_lines(PAN, lines, options=ParseOptions(year=2025, **options))
    assert result.quarantine.height == 0, result.quarantine.to_dicts()
    out = result.records.to_dicts()
    for row in out:
        row["extras"] = dict(zip(row.pop("extras_keys"), row.pop("extras_values"), strict=True))
    return out


def fixture(name: str) -> list[str]:
    return read_lines(HERE / name)


def test_contract_examples_and_both_paths() -> None:
    sample = fixture("sc4s.log") + fixture("reference.log")
    check_format_contract(PAN, sample)
    assert assert_examples(PAN) == 4
    report = assert_fast_matches_reference(PAN, sample + fixture("garbled.log"))
    # The unterminated quote is rejected by both; field_count lines parse, then fail.
    assert (report.agreed, report.rejected) == (len(sample) + 3, 1)


def test_traffic_byte_direction_is_from_the_client() -> None:
    upload, download = rows(fixture("byte_direction.log"))
    assert (upload["bytes_up"], upload["bytes_down"]) == (52428800, 4096)
    assert (download["bytes_up"], download["bytes_down"]) == (3072, 20971520)
    assert upload["bytes_total"] == 52432896
    # Bytes (the session total) is only read when neither direction is known.
    assert upload["extras"]["bytes"] == "52432896"


def test_traffic_columns_of_the_sc4s_line() -> None:
    line = fixture("sc4s.log")[9]  # sc4s-palo_alto_traffic
    (row,) = rows([line])
    assert (row["src_ip"], row["src_port"], row["dst_ip"], row["dst_port"]) == (
        "192.168.41.30",
        39681,
        "192.168.41.255",
        443,
    )
    assert (row["transport"], row["app_protocol"], row["action"]) == ("tcp", "ssl", "allowed")
    assert (row["bytes_up"], row["bytes_down"], row["bytes_total"]) == (24629, 18506, 43135)
    assert row["duration_ms"] == 3_012_000  # Elapsed Time 3012 s
    assert (row["event_class"], row["event_name"]) == ("TRAFFIC", "end")
    assert row["extras"]["session_end_reason"] == "tcp-fin"
    assert row["extras"]["rule_uuid"] == "ace432fe-a9f2-5a1e-327a-91fdce0077da"


def test_threat_url_gives_url_and_host_without_scheme() -> None:
    blocked, alert = rows(fixture("reference.log")[3:5])
    assert blocked["url"] == "Casino.Example.com/play?tables=1,2"  # quoted: it holds a comma
    assert blocked["dst_host"] == "casino.example.com"
    assert (blocked["action"], blocked["action_raw"]) == ("blocked", "block-url")
    assert blocked["http_method"] == "GET"
    assert blocked["user_agent"] == "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"
    assert alert["dst_host"] == "files.contoso-share.net"  # the port is not part of the host
    assert (alert["action"], alert["action_raw"]) == ("allowed", "alert")
    assert alert["dst_ip"] == "2620:1ec:bdf::40"


def test_threat_other_subtypes_name_the_threat_and_have_no_url() -> None:
    (virus,) = rows([fixture("reference.log")[5]])
    assert virus["event_name"] == "Eicar File Detected(39040)"
    assert virus["url"] is None
    assert virus["dst_host"] is None
    assert virus["extras"]["misc"] == "eicar.com.txt"
    assert (virus["severity"], virus["action"]) == (6, "blocked")


@pytest.mark.parametrize(
    ("word", "action"),
    [
        ("allow", "allowed"),
        ("alert", "allowed"),
        ("continue", "allowed"),
        ("override", "allowed"),
        ("deny", "blocked"),
        ("drop", "blocked"),
        ("reset-both", "blocked"),
        ("block-url", "blocked"),
        ("block-continue", "blocked"),
        ("override-lockout", "blocked"),
        ("sinkhole", "blocked"),
    ],
)
def test_action_words(word: str, action: str) -> None:
    line = fixture("reference.log")[3].replace(",block-url,", f",{word},")
    (row,) = rows([line])
    assert (row["action"], row["action_raw"]) == (action, word)


def test_device_local_times_take_tz_and_the_high_resolution_time_has_its_offset() -> None:
    local, explicit = rows(fixture("local_time.log"), tz="Europe/Berlin")
    assert local["event_time"].isoformat() == "2025-07-01T07:00:00+00:00"
    assert local["tz_assumed"] is True
    assert explicit["event_time"].isoformat() == "2025-11-26T10:17:29.874000+00:00"
    assert explicit["tz_assumed"] is False
    # Generated Time (time_generated) wins over Receive Time: it is when the log was written.
    (traffic,) = rows([fixture("reference.log")[0]])
    assert traffic["event_time"].isoformat() == "2025-11-26T10:15:01+00:00"
    assert traffic["extras"]["receive_time"] == "2025/11/26 10:15:02"


def test_older_versions_and_newer_trailing_columns() -> None:
    line = fixture("reference.log")[0]  # 8.1: 65 values
    assert line.count(",") + 1 == 65
    (old,) = rows([line])
    assert old["bytes_up"] == 52428800
    (new,) = rows([fixture("reference.log")[7]])
    assert new["extras"]["extra_column_116"] == "client-server"
    result = parse_lines(PAN, [line.rsplit(",", 1)[0]])  # 64 values: fewer than 8.1 writes
    (bad,) = result.quarantine.to_dicts()
    assert bad["error_code"] == "field_count"
    assert bad["error_message"] == "the entry has 64 values but the layout traffic needs 65 to 115"


def test_other_log_types_keep_their_common_columns() -> None:
    system, *_ = rows([fixture("sc4s.log")[6]])  # sc4s-palo_alto_system
    assert (system["event_class"], system["event_name"]) == ("SYSTEM", "USERID")
    assert system["src_ip"] is None
    assert system["bytes_up"] is None
    assert system["extras"]["serial"] == "012001006066"
    assert system["extras"]["extra_column_9"] == "connect-ldap-sever-failure"


def test_syslog_header_fields_are_split_and_kept() -> None:
    bsd, rfc5424 = rows([fixture("reference.log")[0], fixture("reference.log")[2]])
    assert bsd["extras"]["syslog_host"] == "PA-3220"
    assert bsd["extras"]["syslog_time"] == "Nov 26 10:15:02"
    assert rfc5424["extras"]["syslog_version"] == "1"
    assert rfc5424["extras"]["syslog_rest"] == "- - - -"
    # Without a PAN-OS time, the header's time is the event time.
    (only_header,) = rows([HEADER + "1,,013201001234,SYSTEM,general,0,"])
    assert only_header["event_time"].isoformat() == "2025-11-26T10:15:02+00:00"


@pytest.mark.parametrize(
    ("line", "code", "message"),
    [
        (HEADER + '1,2025/11/26 10:40:00,013201001234,THREAT,url,"www.example.com/x', "syntax",
         "unexpected '\"' at column"),
        (HEADER + "1,2025/11/26 10:41:00,013201001234", "field_count",
         "the entry has 3 values but the layout names 7"),
    ],
)  # fmt: skip
def test_garbled_lines_are_quarantined_with_a_reason(line: str, code: str, message: str) -> None:
    (bad,) = parse_lines(PAN, [line]).quarantine.to_dicts()
    assert bad["error_code"] == code
    assert message in bad["error_message"]


def test_detection_keys_on_the_pan_os_csv_head() -> None:
    formats = get_plugins().formats()
    assert detect_format(fixture("sc4s.log"), formats)[0] == "paloalto"
    assert PAN.detect(fixture("reference.log")) == 1.0
    assert PAN.detect([PAN_LEEF]) == 0.0
    assert detect_format([PAN_LEEF], formats)[0] == "leef"
    for other in ("pfsense", "mdca-csv"):
        assert PAN.detect(read_lines(VENDOR / other / "reference.log")) == 0.0
