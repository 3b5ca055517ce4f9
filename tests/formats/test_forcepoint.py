"""Forcepoint / Websense syslog/key-value pairs (``forcepoint``): what the goldens do not say.

Key meanings come from Forcepoint Web Security's SIEM key list; see
docs/format-decisions.md, "forcepoint".
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

FP = format_class("forcepoint")
HERE = VENDOR / "forcepoint"
HEAD = "<159>Nov 26 10:15:02 10.0.0.5 vendor=Websense product=Security product_version=8.5.4 "


def record(line: str, **options: Any) -> dict[str, Any]:
    result = parse_lines(FP, [line], options=ParseOptions(**{"year": 2025, **options}))
    assert result.quarantine.height == 0, result.quarantine.to_dicts()
    row = result.records.to_dicts()[0]
    row["extras"] = dict(zip(row.pop("extras_keys"), row.pop("extras_values"), strict=True))
    return row


def test_examples_and_contract() -> None:
    assert assert_examples(FP) >= 3
    check_format_contract(FP, read_lines(HERE / "reference.log"))


@pytest.mark.parametrize("path", sorted(HERE.glob("*.log")), ids=lambda p: p.name)
def test_fast_path_equals_lark_on_fixtures(path: Any) -> None:
    report = assert_fast_matches_reference(FP, read_lines(path), options=options_for(path))
    assert report.agreed > 0


def test_bytes_out_is_the_request_and_bytes_in_the_response() -> None:
    row = record(HEAD + "action=permitted src_host=10.0.0.1 bytes_out=1000 bytes_in=5")
    assert (row["bytes_up"], row["bytes_down"], row["bytes_total"]) == (1000, 5, 1005)


def test_header_time_is_local_and_assumed() -> None:
    row = record(HEAD.replace("10:15:02", "11:15:02") + "action=permitted", tz="Europe/Berlin")
    assert row["event_time"].isoformat() == "2025-11-26T10:15:02+00:00"
    assert row["tz_assumed"] is True


def test_rfc5424_header_time_with_zone() -> None:
    row = record("<159>1 2025-11-26T11:15:02+01:00 10.0.0.5 - - - vendor=Websense action=permitted")
    assert row["event_time"].isoformat() == "2025-11-26T10:15:02+00:00"
    assert row["tz_assumed"] is False


@pytest.mark.parametrize(
    ("word", "action"),
    [("permitted", "allowed"), ("blocked", "blocked"), ("category_x", "unknown")],
)
def test_action_words(word: str, action: str) -> None:
    row = record(HEAD + f"action={word} severity=1")
    assert (row["action"], row["action_raw"]) == (action, word)


def test_values_with_spaces_and_ldap_paths() -> None:
    row = record(
        HEAD + "action=permitted user=LDAP://10.0.0.2 CN=Ann Lee,OU=Users,DC=corp/ann "
        "src_host=10.1.2.3 http_user_agent=Mozilla/5.0 (Windows NT 10.0; rv:120.0) Gecko/20100101 "
        "policy=Super Administrator**Default url=https://a.example.com/?q=1"
    )
    assert row["user_name"] == "LDAP://10.0.0.2 CN=Ann Lee,OU=Users,DC=corp/ann"
    assert row["user_agent"] == "Mozilla/5.0 (Windows NT 10.0; rv:120.0) Gecko/20100101"
    assert row["extras"]["policy"] == "Super Administrator**Default"
    assert (row["url"], row["dst_host"]) == ("https://a.example.com/?q=1", "a.example.com")


def test_hosts_split_by_address_or_name() -> None:
    row = record(HEAD + "action=permitted src_host=WS-1.corp.local dst_host=203.0.113.9 dst_ip=-")
    assert (row["src_ip"], row["src_host"]) == (None, "ws-1.corp.local")
    assert (row["dst_ip"], row["dst_host"]) == ("203.0.113.9", None)
    row = record(
        HEAD + "action=permitted src_host=2001:db8::1 dst_host=Files.Example.com dst_ip=2001:db8::2"
    )
    assert (row["src_ip"], row["src_host"]) == ("2001:db8::1", None)
    assert (row["dst_ip"], row["dst_host"]) == ("2001:db8::2", "files.example.com")


def test_key_columns() -> None:
    row = record(
        HEAD + "action=blocked severity=7 src_port=5000 dst_port=80 http_response=403 "
        "http_method=get http_proxy_status_code=403 url=http://x.example.org/"
    )
    assert (row["src_port"], row["dst_port"], row["http_status"], row["http_method"]) == (
        5000,
        80,
        403,
        "GET",
    )
    assert (
        row["severity"],
        row["observer_vendor"],
        row["observer_product"],
        row["observer_version"],
    ) == (
        7,
        "Forcepoint",
        "Web Security",
        "8.5.4",
    )
    assert row["extras"]["http_proxy_status_code"] == "403"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("<159>Nov 26 10:15:03 10.0.0.5 vendor Websense product Security", "expected FP_PAIR"),
        ("<159>Nov 26 10:15:04 10.0.0.5 =vendor=Websense action=permitted", "unexpected '='"),
        ("<159>Nov 26 10:15:05 10.0.0.5 Vendor=Websense action=permitted", "unexpected 'V'"),
    ],
)
def test_garbled_lines_are_quarantined_with_a_reason(line: str, message: str) -> None:
    result = parse_lines(FP, [line])
    assert result.records.height == 0
    (row,) = result.quarantine.to_dicts()
    assert row["error_code"] == "syntax"
    assert message in row["error_message"]


def test_forcepoint_cef_lines_stay_cef() -> None:
    line = (
        "<13>Mar 06 12:55:48 192.0.2.1 CEF:0|Forcepoint|Security|7.7.0|9|Transaction permitted|1| "
        "act=permitted app=http dst=192.0.2.3 dhost=test.host.com src=192.0.2.4 in=727 out=554"
    )
    assert detect_format([line], BUILTIN)[0] == "cef"


@pytest.mark.parametrize("other", ["checkpoint", "skyhigh"])
def test_other_formats_fixtures_are_not_forcepoint(other: str) -> None:
    for path in sorted((VENDOR / other).glob("*.log")):
        assert FP.detect(read_lines(path)) == 0.0, path.name
