"""FortiGate (``fortigate``): what a reviewer checks beyond the golden files.

Expected values come from the FortiOS Log Message Reference (field meanings, the
example lines of "Traffic/Webfilter log support for CEF") and the decisions in
docs/format-decisions.md ("fortigate").
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

FGT = format_class("fortigate")
HERE = VENDOR / "fortigate"
# sc4s `sc4s-fortinet_fwb_event` (FortiWeb; attribution in tests/formats/NOTICE.md).
FORTIWEB = (
    "<111> Nov 26 10:15:02 fortiweb date=2025-11-26 time=10:15:02 devname=fw01 log_id"
    '=10000017 msg_id=000000001117 device_id=FVVM040000010871 vd="root" timezone="(GM'
    'T+0:00)Region,City" type=event subtype="system" pri=information trigger_policy="'
    '" user=admin ui=GUI action=login status=success msg="User admin login successful'
    'ly from GUI(172.20.120.47)"'
)
UTC = dt.UTC

# The traffic log of FortiOS' "Traffic log support for CEF" page (7.2.4), unchanged.
DOC_TRAFFIC = (
    'date=2018-12-27 time=11:07:55 logid="0000000013" type="traffic" subtype="forward" '
    'level="notice" vd="vdom1" eventtime=1545937675 srcip=10.1.100.11 srcport=54190 '
    'srcintf="port12" dstip=52.53.140.235 dstport=443 dstintf="port11" sessionid=402 proto=6 '
    'action="close" policyid=1 service="HTTPS" duration=2 sentbyte=3652 rcvdbyte=146668 '
    "sentpkt=58 rcvdpkt=105"
)


def one(line: str, **options: Any) -> dict[str, Any]:
    return one_record(FGT, line, ParseOptions(**options))


def all_fixture_lines() -> list[str]:
    return [line for path in sorted(HERE.glob("*.log")) for line in read_lines(path)]


def test_contract_examples_and_both_paths_on_every_fixture_line() -> None:
    lines = all_fixture_lines()
    check_format_contract(FGT, lines)
    assert assert_examples(FGT) >= 3
    report = assert_fast_matches_reference(FGT, lines)
    assert report.fallback == 0


# -- byte direction --------------------------------------------------------------------------


def test_sentbyte_is_up_and_rcvdbyte_is_down() -> None:
    """sentbyte/rcvdbyte count from the session originator (srcip): sent = up."""
    row = one(DOC_TRAFFIC)
    assert (row["bytes_up"], row["bytes_down"], row["bytes_total"]) == (3652, 146668, 150320)
    assert (row["src_ip"], row["dst_ip"], row["dst_port"]) == ("10.1.100.11", "52.53.140.235", 443)


def test_byte_direction_fixture_upload_then_download() -> None:
    rows = parse_lines(FGT, read_lines(HERE / "byte_direction.log")).records
    assert rows.select("bytes_up", "bytes_down").rows() == [(52428800, 1843), (1843, 52428800)]


# -- time and zone ---------------------------------------------------------------------------


def test_tz_field_gives_the_zone_of_date_and_time() -> None:
    row = one('date=2025-11-26 time=11:15:02 tz="+0100" logid="0000000013" type="traffic"')
    assert row["event_time"] == dt.datetime(2025, 11, 26, 10, 15, 2, tzinfo=UTC)
    assert row["tz_assumed"] is False


def test_epoch_eventtime_in_seconds_when_there_is_no_tz() -> None:
    """The doc line: date/time are Pacific local time, eventtime the true epoch."""
    row = one(DOC_TRAFFIC, tz="Europe/Berlin")
    assert row["event_time"] == dt.datetime(2018, 12, 27, 19, 7, 55, tzinfo=UTC)
    assert row["tz_assumed"] is False


def test_nanosecond_eventtime_is_read_to_the_millisecond() -> None:
    row = one('date=2020-03-29 time=16:41:30 eventtime=1585525290513555981 logid="0113022923"')
    assert row["event_time"] == dt.datetime(2020, 3, 29, 23, 41, 30, 513000, tzinfo=UTC)
    assert row["tz_assumed"] is False
    assert row["extras"]["date"] == "2020-03-29"


def test_date_and_time_without_zone_use_the_run_zone() -> None:
    line = 'date=2025-07-01 time=12:00:00 logid="0000000013" type="traffic" srcip=10.0.0.1'
    row = one(line, tz="Europe/Berlin")
    assert row["event_time"] == dt.datetime(2025, 7, 1, 10, 0, 0, tzinfo=UTC)
    assert row["tz_assumed"] is True


# -- actions ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "word", "expected"),
    [
        ("traffic", "close", "allowed"),
        ("traffic", "accept", "allowed"),
        ("traffic", "timeout", "allowed"),
        ("traffic", "server-rst", "allowed"),
        ("traffic", "deny", "blocked"),
        ("utm", "passthrough", "allowed"),
        ("utm", "blocked", "blocked"),
        ("traffic", "somethingnew", "unknown"),
    ],
)
def test_action_words(kind: str, word: str, expected: str) -> None:
    row = one(f'date=2025-11-26 time=10:00:00 logid="0000000013" type="{kind}" action="{word}"')
    assert (row["action"], row["action_raw"]) == (expected, word)


def test_event_log_action_is_no_verdict() -> None:
    row = one('date=2025-11-26 time=10:00:00 logid="0100032002" type="event" action="login"')
    assert row["action"] is None
    assert row["extras"]["action"] == "login"


# -- webfilter -------------------------------------------------------------------------------


def test_webfilter_host_and_path_make_the_url() -> None:
    line = (
        'date=2025-11-26 time=10:00:00 logid="0316013056" type="utm" subtype="webfilter" '
        'hostname="Files.Example.com" url="/up?a=1" httpmethod="POST" agent="curl/8" '
        'user="bob" action="blocked"'
    )
    row = one(line)
    assert row["dst_host"] == "files.example.com"
    assert row["url"] == "Files.Example.com/up?a=1"
    assert (row["http_method"], row["user_agent"], row["user_name"]) == ("POST", "curl/8", "bob")
    assert (row["event_class"], row["event_name"]) == ("utm:webfilter", "0316013056")


def test_quoted_values_keep_spaces_and_key_like_text() -> None:
    lines = [
        'date=2025-11-26 time=10:00:00 logid="0000000013" msg="x" user="bob"',
        'date=2025-11-26 time=10:00:00 logid="0000000013" msg="a user=eve b"',
    ] * 30
    rows = parse_lines(FGT, lines).records
    assert rows.get_column("user_name").to_list()[:2] == ["bob", None]
    assert_fast_matches_reference(FGT, lines)


# -- wrappings -------------------------------------------------------------------------------


def test_octet_counted_line_keeps_the_count_apart() -> None:
    (line,) = [x for x in read_lines(HERE / "sc4s.log") if x.startswith("572 ")]
    row = one(line)
    assert row["extras"]["octet_count"] == "572"
    assert row["extras"]["syslog_pri"] == "<111>"
    assert row["transport"] == "ipv6-icmp"
    assert row["src_ip"] == "fe80::20c:29ff:fe77:20d4"


def test_rfc3164_header_is_split() -> None:
    row = one('<189>Dec 27 11:23:50 FGT-A-LOG date=2018-12-27 time=11:23:50 logid="0316013056"')
    assert row["extras"]["syslog_host"] == "FGT-A-LOG"
    assert row["extras"]["syslog_time"] == "Dec 27 11:23:50"


# -- quarantine and detection ----------------------------------------------------------------


def test_free_text_behind_a_header_is_quarantined_with_its_column() -> None:
    result = parse_lines(FGT, ["<189>Nov 26 10:22:01 fgt-hq session table full, log dropped"])
    (bad,) = result.quarantine.to_dicts()
    assert bad["error_code"] == "syntax"
    assert bad["error_message"].startswith("unexpected 'd' at column 53")


def test_detected_among_all_formats() -> None:
    formats = get_plugins().formats()
    for path in sorted(HERE.glob("*.log")):
        sample = [x for x in read_lines(path) if x.strip()]
        assert detect_format(sample, formats)[0] == "fortigate", path.name


def test_fortiweb_is_not_claimed() -> None:
    """FortiWeb writes log_id=/device_id=/src=: another product, not read by this format."""
    assert FGT.detect([FORTIWEB]) == 0.0
    assert detect_format([FORTIWEB], get_plugins().formats())[0] != "fortigate"
    assert FGT.detect([DOC_TRAFFIC]) == 1.0
