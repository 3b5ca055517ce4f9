"""Skyhigh / McAfee Web Gateway key="value" (``skyhigh``): what the goldens do not say on their own.

The layout is MWG's log handler for Splunk (MWGaccess3); see docs/format-decisions.md,
"skyhigh", for the sources of the expected values.
"""

from __future__ import annotations

from typing import Any

import pytest
from fixtures import VENDOR, options_for

from golden_files import read_lines
from shadowlens.contract import ParseOptions
from shadowlens.testing import (
    assert_examples,
    assert_fast_matches_reference,
    check_format_contract,
    format_class,
    parse_lines,
)

SH = format_class("skyhigh")
HERE = VENDOR / "skyhigh"
HEAD = "<30>Nov 26 10:15:02 swg01 mwg: "


def record(line: str, **options: Any) -> dict[str, Any]:
    result = parse_lines(SH, [line], options=ParseOptions(**{"year": 2025, **options}))
    assert result.quarantine.height == 0, result.quarantine.to_dicts()
    row = result.records.to_dicts()[0]
    row["extras"] = dict(zip(row.pop("extras_keys"), row.pop("extras_values"), strict=True))
    return row


def test_examples_and_contract() -> None:
    assert assert_examples(SH) >= 3
    check_format_contract(SH, read_lines(HERE / "reference.log"))


@pytest.mark.parametrize("path", sorted(HERE.glob("*.log")), ids=lambda p: p.name)
def test_fast_path_equals_lark_on_fixtures(path: Any) -> None:
    report = assert_fast_matches_reference(SH, read_lines(path), options=options_for(path))
    assert report.agreed > 0


def test_bytes_split_from_client_and_to_client() -> None:
    # bytes = from client / to server / from server / to client.
    row = record(HEAD + 'status="200/0" srcip="10.0.0.1" bytes="11/22/33/44"')
    assert (row["bytes_up"], row["bytes_down"], row["bytes_total"]) == (11, 44, 55)
    assert row["extras"]["bytes"] == "11/22/33/44"


@pytest.mark.parametrize("bad", ["11/22/33", "a/b/c/d", "-"])
def test_bytes_not_in_four_counters_stay_in_extras(bad: str) -> None:
    row = record(HEAD + f'status="200/0" srcip="10.0.0.1" bytes="{bad}"')
    assert (row["bytes_up"], row["bytes_down"]) == (None, None)
    if bad != "-":
        assert row["extras"]["bytes"] == bad


@pytest.mark.parametrize(
    ("status", "http", "action"),
    [
        ("200/0", 200, "allowed"),
        ("407/0", 407, "allowed"),
        ("403/10", 403, "blocked"),
        ("403/80", 403, "blocked"),
        ("200/x", 200, None),  # no block ID: no verdict, the raw text stays
    ],
)
def test_status_gives_http_status_and_block_action(
    status: str, http: int, action: str | None
) -> None:
    row = record(HEAD + f'status="{status}" srcip="10.0.0.1"')
    assert (row["http_status"], row["action"], row["action_raw"]) == (http, action, status)


def test_syslog_time_is_local_and_assumed() -> None:
    row = record(
        '<30>Nov 26 11:15:02 swg01 mwg: status="200/0" srcip="10.0.0.1"', tz="Europe/Berlin"
    )
    assert row["event_time"].isoformat() == "2025-11-26T10:15:02+00:00"
    assert row["tz_assumed"] is True


def test_bracket_time_carries_its_offset() -> None:
    row = record(
        '[26/Nov/2025:11:15:02 +0100]status="200/0" srcip="10.0.0.1"', tz="America/New_York"
    )
    assert row["event_time"].isoformat() == "2025-11-26T10:15:02+00:00"
    assert row["tz_assumed"] is False


def test_key_columns() -> None:
    row = record(
        HEAD + 'status="200/0" srcip="2001:db8::7" user="CORP\\eve" dhost="Teams.Microsoft.com" '
        'urlp="443" proto="HTTPS/https" mtd="post" ua="Edge119-10.0" rule="Last Rule" '
        'url="https://teams.microsoft.com/x" destip="2001:DB8::20" urlc="Business, Software/Hardware"'
    )
    assert (row["src_ip"], row["user_name"], row["dst_ip"]) == (
        "2001:db8::7",
        "CORP\\eve",
        "2001:db8::20",
    )
    assert (row["dst_host"], row["dst_port"], row["app_protocol"]) == (
        "teams.microsoft.com",
        443,
        "https",
    )
    assert (row["http_method"], row["user_agent"], row["event_name"]) == (
        "POST",
        "Edge119-10.0",
        "Last Rule",
    )
    assert row["url"] == "https://teams.microsoft.com/x"
    assert row["extras"]["urlc"] == "Business, Software/Hardware"
    assert (row["observer_vendor"], row["observer_product"]) == (
        "Skyhigh Security",
        "Secure Web Gateway",
    )


def test_empty_and_dash_values_are_null() -> None:
    row = record(HEAD + 'status="200/0" srcip="10.0.0.1" user="" dstip="-" dhost="a.example.com"')
    assert (row["user_name"], row["dst_ip"]) == (None, None)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (HEAD + 'status="200/0" ua="cut', "expected SH_PAIR"),
        (HEAD + "hello world", 'expected "[" or SH_PAIR'),
        (HEAD + 'status="200/0" srcip="10.1.2.3"url="https://x/"', "expected SH_PAIR"),
    ],
)
def test_garbled_lines_are_quarantined_with_a_reason(line: str, message: str) -> None:
    result = parse_lines(SH, [line])
    assert result.records.height == 0
    (row,) = result.quarantine.to_dicts()
    assert row["error_code"] == "syntax"
    assert message in row["error_message"]


#: sc4s-bluecoatproxysg_kv (a ProxySG key=value line).
PROXYSG = (
    "<134> 2025-11-26T10:15:02.000Z fw01 bluecoat[0]: SPLV5.1 c-ip=192.0.0.6 cs-bytes=6269 "
    'cs-categories="unavailable" cs-host=gg.hhh.iii.com cs-method=GET s-action=TCP_HIT '
    "sc-bytes=9469 sc-filter-result=OBSERVED sc-status=200 time-taken=20"
)


@pytest.mark.parametrize("other", ["checkpoint", "forcepoint"])
def test_other_formats_fixtures_are_not_skyhigh(other: str) -> None:
    for path in sorted((VENDOR / other).glob("*.log")):
        assert SH.detect(read_lines(path)) == 0.0, path.name


def test_proxysg_key_value_is_not_skyhigh() -> None:
    assert SH.detect([PROXYSG]) == 0.0
