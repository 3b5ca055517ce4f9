"""netscreen beyond the golden files: byte direction, keys with spaces, multi-word and
quoted values, time zones, actions, text messages, garbled lines, detection.

Expected values come from Juniper's ScreenOS message and concepts guides
(docs/format-decisions.md, "netscreen"), not from the parser's own output.
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

NS = format_class("netscreen")
HEAD = "<134>Nov 26 10:16:40 ssg5: NetScreen device_id=ssg5  [Root]system-notification-00257(traffic): "
UPLOAD = HEAD + (
    'start_time="2025-11-26 10:15:20" duration=80 policy_id=1 service=http proto=6 src zone=Trust '
    "dst zone=Untrust action=Permit sent=52428800 rcvd=18432 src=10.1.2.4 dst=203.0.113.20 "
    "src_port=51600 dst_port=80 src-xlated ip=198.51.100.9 port=41600 dst-xlated ip=203.0.113.20 "
    "port=80 session_id=8813 reason=Close - TCP FIN"
)


def one(line: str, **options: Any) -> dict[str, Any]:
    result = parse_lines(NS, [line], options=ParseOptions(year=2025, **options))
    assert result.quarantine.height == 0, result.quarantine.to_dicts()
    return result.records.to_dicts()[0]


def extras(row: dict[str, Any]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for key, value in zip(row["extras_keys"], row["extras_values"], strict=True):
        found.setdefault(key, []).append(value)
    return found


def test_contract_and_examples() -> None:
    check_format_contract(NS, read_lines(VENDOR / "netscreen" / "reference.log"))
    assert assert_examples(NS) >= 3


def test_fixtures_fast_path_equals_lark() -> None:
    for path in sorted((VENDOR / "netscreen").glob("*.log")):
        assert_fast_matches_reference(NS, read_lines(path))


def test_sent_is_up_and_rcvd_is_down() -> None:
    row = one(UPLOAD)
    assert (row["bytes_up"], row["bytes_down"], row["bytes_total"]) == (52428800, 18432, 52447232)
    assert row["duration_ms"] == 80000


def test_keys_with_spaces_and_values_with_spaces() -> None:
    row = one(UPLOAD)
    found = extras(row)
    assert found["src zone"] == ["Trust"]
    assert found["dst zone"] == ["Untrust"]
    assert found["src-xlated ip"] == ["198.51.100.9"]
    assert found["dst-xlated ip"] == ["203.0.113.20"]
    assert found["port"] == ["41600", "80"]
    assert found["reason"] == ["Close - TCP FIN"]
    assert (row["src_ip"], row["src_port"], row["dst_ip"], row["dst_port"]) == (
        "10.1.2.4",
        51600,
        "203.0.113.20",
        80,
    )
    deny = one(
        HEAD
        + 'start_time="2025-11-26 10:15:10" duration=0 policy_id=320001 service=msrpc Endpoint '
        "Mapper(tcp) proto=6 src zone=Untrust dst zone=Trust action=Deny sent=0 rcvd=0 src=198.51.100.20 dst=10.1.2.3"
    )
    assert deny["app_protocol"] == "msrpc endpoint mapper(tcp)"
    assert extras(deny)["src zone"] == ["Untrust"]


def test_icmp_type_key() -> None:
    row = one(
        HEAD
        + 'start_time="2025-11-26 10:15:12" duration=0 policy_id=4 service=icmp proto=1 src zone=Trust '
        "dst zone=Untrust action=Reject sent=0 rcvd=0 src=10.1.2.5 dst=203.0.113.99 icmp type=8 session_id=0"
    )
    assert (row["transport"], row["action"], row["dst_port"]) == ("icmp", "blocked", None)
    assert extras(row)["icmp type"] == ["8"]


@pytest.mark.parametrize(
    ("word", "action"),
    [("Permit", "allowed"), ("Tunnel", "allowed"), ("Deny", "blocked"), ("Reject", "blocked")],
)
def test_actions(word: str, action: str) -> None:
    row = one(
        HEAD
        + f'start_time="2025-11-26 10:15:12" duration=0 action={word} src=10.1.2.5 dst=203.0.113.99'
    )
    assert (row["action"], row["action_raw"]) == (action, word)


def test_start_time_is_local_and_assumed() -> None:
    row = one(UPLOAD, tz="Europe/Berlin")
    assert row["event_time"].isoformat() == "2025-11-26T09:15:20+00:00"
    assert row["tz_assumed"] is True


def test_text_messages_are_records() -> None:
    row = one(
        "<130>Nov 26 10:15:15 ssg5: NetScreen device_id=ssg5  [Root]system-critical-00436: Large ICMP "
        "packet! From 198.51.100.20 to 203.0.113.10, proto 1 (zone Untrust, int ethernet0/0). Occurred 1 times."
    )
    assert (row["event_name"], row["severity"], row["event_class"]) == (
        "system-critical-00436",
        8,
        None,
    )
    assert extras(row)["message_text"][0].startswith("Large ICMP packet!")


@pytest.mark.parametrize(
    ("line", "code", "message"),
    [
        ("<23>fw01: NetScreen this is a messagen", "syntax", 'expected "device_id="'),
        (HEAD + 'start_time="2025-11-26 10:15:10 duration=0', "syntax", "expected NS_PAIR"),
    ],
)
def test_garbled_lines_are_quarantined(line: str, code: str, message: str) -> None:
    result = parse_lines(NS, [line])
    assert result.records.height == 0
    bad = result.quarantine.to_dicts()[0]
    assert (bad["error_code"], message in bad["error_message"]) == (code, True)


def test_detection_against_the_other_formats() -> None:
    formats = {
        n: e
        for n, e in get_plugins().formats().items()
        if e.plugin.startswith("shadowlens.formats.")
    }
    assert detect_format([UPLOAD], formats)[0] == "netscreen"
    for other in ("cef", "leef", "cisco-asa", "juniper-srx"):
        assert formats[other].cls.detect([UPLOAD]) < 0.5


def test_byte_direction_fixture() -> None:
    """An upload and a download: sent is what the source sent, rcvd what it received."""
    result = parse_lines(NS, read_lines(VENDOR / "netscreen" / "byte_direction.log"))
    rows = result.records.select("bytes_up", "bytes_down").rows()
    assert rows == [(52428800, 480000), (610000, 104857600)]


@pytest.mark.parametrize(
    "odd",
    [
        'NetScreen device_id=0 [0]a-0(0): a="" src',  # a two-word key's first word ends a value
        'NetScreen device_id=0 [0]a-0(0): a="x',  # unterminated quote
        'NetScreen device_id=0 [0]a-a-0(0): icmp type="" src-xlated ipNetScreen"" ',  # hypothesis
    ],
)
def test_fast_key_value_cut_is_checked_against_the_terminal(odd: str) -> None:
    """The byte cut learned from the good row must not accept a row Lark rejects.

    Engine change (parsers/kvsplit.py ``split_extension(check_tokens=)``, set by
    parsers/extract.py for every pair terminal but ``common.KV_PAIR``): the cut takes
    all text between two keys as the value, which NS_PAIR does not.
    """
    good = 'NetScreen device_id=0 [0]a-0(0): a="" '
    if "icmp type" in odd:
        good = 'NetScreen device_id=0 [0]a-0(0):icmp type="" '
    report = assert_fast_matches_reference(NS, [good, odd])
    assert (report.agreed, report.rejected) == (1, 1)


def test_kvsplit_check_tokens_unit() -> None:
    import polars as pl

    from shadowlens.formats import builtin_spec
    from shadowlens.parsers.kvsplit import split_extension
    from shadowlens.spec.compiler import compile_spec

    token = compile_spec(builtin_spec("netscreen")).pairs[0].token_regex
    rest = ['a="" ', 'a="" src']
    frame = pl.DataFrame({"_row": [0, 1], "field_1": rest, "_head": ["", ""]}).with_columns(
        _head_len=pl.lit(0)
    )
    # Rows holding a quote never take the byte cut; the token check drops the odd row on
    # any route, so the fast split equals the reference split.
    for check in (False, True):
        got = split_extension(frame, token, check_tokens=check)
        assert got.sort("_row").get_column("_row").to_list() == [0]
