"""SonicWall (``sonicwall``): what a reviewer checks beyond the golden files.

Expected values come from the SonicOS log field descriptions (the example lines on
the SonicOS 6.2 Log Events field list) and docs/format-decisions.md ("sonicwall").
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

SW = format_class("sonicwall")
HERE = VENDOR / "sonicwall"
UTC = dt.UTC

# The "Forbidden HTTPS request" example of the SonicOS 6.2 field list (dst added).
WEB_HIT = (
    'sn=18B1690729A8 time="2016-06-16 17:21:40 UTC" fw=64.107.153.15 pri=6 c=1024 m=97 app=48 '
    "n=9 src=192.168.168.10:52589:X0 dst=173.255.0.10:443:X1 proto=tcp/https op=1 sent=798 "
    'rcvd=12352 result=403 dstname=www.suntrust.com arg=/favicon.ico code=20 Category="Online Banking"'
)


def one(line: str, **options: Any) -> dict[str, Any]:
    return one_record(SW, line, ParseOptions(**options))


def test_contract_examples_and_both_paths_on_every_fixture_line() -> None:
    lines = [x for path in sorted(HERE.glob("*.log")) for x in read_lines(path)]
    check_format_contract(SW, lines)
    assert assert_examples(SW) >= 3
    assert assert_fast_matches_reference(SW, lines).fallback == 0


def test_web_site_hit_columns() -> None:
    row = one(WEB_HIT)
    assert (row["src_ip"], row["src_port"]) == ("192.168.168.10", 52589)
    assert (row["dst_ip"], row["dst_port"]) == ("173.255.0.10", 443)
    assert (row["dst_host"], row["url"]) == ("www.suntrust.com", "www.suntrust.com/favicon.ico")
    assert (row["transport"], row["app_protocol"], row["http_status"]) == ("tcp", "https", 403)
    assert (row["event_class"], row["event_name"]) == ("1024", "97")
    assert row["extras"]["src"] == "192.168.168.10:52589:X0"  # the interface stays


def test_sent_is_up_and_rcvd_is_down() -> None:
    """sent/rcvd count from the initiator (src): the request (798) up, the page (12352) down."""
    row = one(WEB_HIT)
    assert (row["bytes_up"], row["bytes_down"], row["bytes_total"]) == (798, 12352, 13150)
    rows = parse_lines(SW, read_lines(HERE / "byte_direction.log")).records
    assert rows.select("bytes_up", "bytes_down").rows() == [(52428800, 1843), (1843, 52428800)]


def test_utc_suffix_is_read_and_local_time_uses_the_run_zone() -> None:
    row = one(WEB_HIT, tz="Europe/Berlin")
    assert row["event_time"] == dt.datetime(2016, 6, 16, 17, 21, 40, tzinfo=UTC)
    assert row["tz_assumed"] is False
    local = one('sn=0017C5178994 time="2018-02-06 16:11:09" pri=6 c=1024 m=537', tz="Europe/Berlin")
    assert local["event_time"] == dt.datetime(2018, 2, 6, 15, 11, 9, tzinfo=UTC)
    assert local["tz_assumed"] is True


def test_resolved_names_in_src_and_dst() -> None:
    row = one(
        "sn=2CB8ED694B10 m=537 src=10.20.1.15:51544:X0:LAPTOP-ALICE "
        "dst=52.98.151.66:443:X1:outlook.office365.com proto=tcp/https"
    )
    assert (row["src_host"], row["dst_host"]) == ("laptop-alice", "outlook.office365.com")


@pytest.mark.parametrize(
    ("word", "expected"), [("forward", "allowed"), ("drop", "blocked"), ("NA", None)]
)
def test_fw_action(word: str, expected: str | None) -> None:
    row = one(f'sn=2CB8ED694B10 m=537 src=10.0.0.1:1:X0 fw_action="{word}"')
    assert row["action"] == expected
    if expected is None:
        assert row["extras"]["fw_action"] == word


def test_port_number_service_is_no_application_protocol() -> None:
    row = one("sn=2CB8ED694B10 m=537 proto=udp/443")
    assert (row["transport"], row["app_protocol"]) == ("udp", None)


def test_ipv6_with_port_is_not_split() -> None:
    """Limitation: `2001:db8::16:50999:X0` cannot be told apart from an address."""
    row = one("sn=2CB8ED694B10 m=537 src=2001:db8::16:50999:X0 dst=2001:db8::1")
    assert row["src_ip"] is None
    assert row["dst_ip"] == "2001:db8::1"
    assert row["extras"]["src"] == "2001:db8::16:50999:X0"


def test_free_text_is_quarantined() -> None:
    result = parse_lines(SW, ["sonicwall: id=firewall sn=2CB8ED694B10 m=537"])
    (bad,) = result.quarantine.to_dicts()
    assert bad["error_code"] == "syntax"
    assert bad["error_message"].startswith("unexpected 's' at column 1")


def test_detected_among_all_formats() -> None:
    formats = get_plugins().formats()
    for path in sorted(HERE.glob("*.log")):
        sample = [x for x in read_lines(path) if x.strip()]
        assert detect_format(sample, formats)[0] == "sonicwall", path.name
    assert SW.detect(['date=2025-11-26 time=10:00:00 logid="0000000013" type="traffic"']) == 0.0
