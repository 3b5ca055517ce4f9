"""Zscaler NSS web feed: the default CSV and the TAB key=value layouts.

Expected values come from Zscaler's "NSS Feed Output Format: Web Logs" page
(``reqsize`` is the request, ``respsize`` the response; ``%s{time}`` has no zone)
and the sc4s samples (``tests/formats/fixtures/zscaler/README.md``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fixtures import VENDOR, all_fixtures

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

FMT = format_class("zscaler")
HERE = VENDOR / "zscaler"
#: The vendor's sample web log (34 quoted values, default CSV order).
DOC = (
    '"Mon Jun 20 15:29:11 2022","new-gre","HTTP","ebay.com/","Blocked","Ebay","Consumer Apps",'
    '"72","14061","0","0","Productivity Loss","Shopping and Auctions","Online Shopping","None",'
    '"None","0","None","None","new-gre","Default Department","172.17.3.49","66.211.175.229",'
    '"GET","403","curl/7.68.0","None","FwFilter","Firewall_1","Other","None","NA","NA","N/A"'
)
KV = (
    "2025-11-26 11:00:10\treason=Allowed\tprotocol=HTTPS\taction=Allowed\ttransactionsize=31458000"
    "\tresponsesize=2000\trequestsize=31456000\tserverip=203.0.113.91\trequestmethod=PUT"
    "\tClientIP=10.20.3.8\tstatus=200\tuser=carol@contoso.example"
    "\turl=upload.box.com/api/2.0/files/content\tvendor=Zscaler\thostname=upload.box.com"
)


def records(lines: list[str], **options: Any) -> list[dict[str, Any]]:
    result = parse_lines(FMT, lines, options=ParseOptions(**options))
    assert result.quarantine.height == 0, result.quarantine.to_dicts()
    rows = result.records.to_dicts()
    for row in rows:
        row["extras"] = dict(zip(row.pop("extras_keys"), row.pop("extras_values"), strict=True))
    return rows


def test_contract_examples_and_both_paths_on_every_fixture() -> None:
    lines = [x for p in sorted(HERE.glob("*.log")) for x in read_lines(p)]
    check_format_contract(FMT, lines)
    assert assert_examples(FMT) == 3
    assert assert_fast_matches_reference(FMT, lines, allow_fallback=False).agreed > 0


def test_csv_byte_direction_reqsize_is_up_respsize_is_down() -> None:
    (row,) = records([DOC])
    assert (row["bytes_up"], row["bytes_down"], row["bytes_total"]) == (72, 14061, 14133)


def test_kv_byte_direction_requestsize_is_up_and_transactionsize_is_not_read() -> None:
    (row,) = records([KV])
    assert (row["bytes_up"], row["bytes_down"]) == (31456000, 2000)
    assert row["extras"]["transactionsize"] == "31458000"


def test_transactionsize_fills_the_total_only_without_directions() -> None:
    line = "reason=Allowed\taction=Allowed\ttransactionsize=900\tvendor=Zscaler"
    (row,) = records([line])
    assert (row["bytes_up"], row["bytes_down"], row["bytes_total"]) == (None, None, 900)


def test_csv_key_columns() -> None:
    (row,) = records([DOC])
    assert row["user_name"] == "new-gre"
    assert (row["src_ip"], row["dst_ip"], row["dst_host"]) == (
        "172.17.3.49",
        "66.211.175.229",
        "ebay.com",
    )
    assert (row["url"], row["http_method"], row["http_status"]) == ("ebay.com/", "GET", 403)
    assert (row["app_protocol"], row["user_agent"]) == ("http", "curl/7.68.0")
    assert (row["action"], row["action_raw"]) == ("blocked", "Blocked")
    assert row["src_host"] is None  # devicehostname "NA" is no value
    assert row["extras"]["appname"] == "Ebay"
    assert "deviceowner" not in row["extras"]


def test_time_has_no_zone_so_tz_applies() -> None:
    (utc,) = records([DOC])
    assert utc["event_time"].isoformat() == "2022-06-20T15:29:11+00:00"
    assert utc["tz_assumed"] is True
    (berlin,) = records([DOC], tz="Europe/Berlin")
    assert berlin["event_time"].isoformat() == "2022-06-20T13:29:11+00:00"
    assert berlin["tz_assumed"] is True


def test_kv_feed_and_tunnel_feed_from_sc4s() -> None:
    web, tunnel = records(read_lines(HERE / "sc4s.log"))
    assert (web["user_name"], web["src_ip"], web["dst_host"]) == (
        "first.last@example.com",
        "192.168.0.38",
        "fw01.random.com",
    )
    assert (web["bytes_up"], web["bytes_down"], web["http_method"]) == (598, 65, "CONNECT")
    assert (tunnel["event_class"], tunnel["src_ip"], tunnel["dst_ip"]) == (
        "Tunnel Samples",
        "33.22.44.55",
        "11.22.33.4",
    )
    assert tunnel["extras"]["txbytes"] == "2595428"  # direction undocumented: not mapped


@pytest.mark.parametrize(
    ("word", "action"), [("Allowed", "allowed"), ("Blocked", "blocked"), ("Caution", "unknown")]
)
def test_action_words(word: str, action: str) -> None:
    (row,) = records([DOC.replace('"Blocked"', f'"{word}"')])
    assert (row["action"], row["action_raw"]) == (action, word)


def test_url_host_without_scheme_and_an_address_is_not_a_host() -> None:
    line = DOC.replace('"ebay.com/"', '"203.0.113.9:8080/x"')
    (row,) = records([line])
    assert row["dst_host"] is None
    line = DOC.replace('"ebay.com/"', '"user@Files.Example.com:443"')
    (row,) = records([line])
    assert row["dst_host"] == "files.example.com"


def test_syslog_wrappings_are_split() -> None:
    rows = records(
        [
            "<134>Nov 26 10:15:09 nss01 zscaler-nss: " + DOC,
            "<134>1 2025-11-26T10:16:30.000Z nss01 zscaler - - - " + DOC,
            "<14>" + DOC,
        ]
    )
    assert [r["extras"].get("syslog_host") for r in rows] == ["nss01", "nss01", None]
    assert rows[0]["extras"]["syslog_tag"] == "zscaler-nss:"
    assert all(r["event_time"].isoformat() == "2022-06-20T15:29:11+00:00" for r in rows)


def test_garbled_lines_are_quarantined_with_a_reason() -> None:
    lines = read_lines(HERE / "garbled.log")
    bad = parse_lines(FMT, lines).quarantine.to_dicts()
    assert [b["error_code"] for b in bad] == ["syntax", "syntax"]
    assert bad[0]["error_message"].startswith("unexpected '\"' at column 464")


def test_nss_messages_behind_a_syslog_header_are_records() -> None:
    alert = (
        "<134>Nov 26 10:15:02 [10.0.0.143] ZscalerNSS: The NSS free memory has decreased to "
        "1.40 GB which is below the recommended 1.55 GB fw01"
    )
    (row,) = records([alert], year=2025)
    assert row["event_class"] == "message"
    assert row["event_name"].startswith("The NSS free memory has decreased")
    assert row["event_time"].isoformat() == "2025-11-26T10:15:02+00:00"  # the syslog time
    assert row["tz_assumed"] is True
    # common.syslog reads no bracketed host: host and tag stay in syslog_rest
    assert row["extras"]["syslog_rest"] == "[10.0.0.143] ZscalerNSS:"
    assert (row["action"], row["bytes_up"]) == (None, None)
    # without a header, free text is not a Zscaler line
    bad = parse_lines(FMT, ["The NSS free memory has decreased"]).quarantine.to_dicts()
    assert [b["error_code"] for b in bad] == ["syntax"]


def test_detection_against_the_other_formats() -> None:
    formats = get_plugins().formats()
    for name, path in all_fixtures():
        if name == "zscaler":
            sample = [x for x in read_lines(path) if x.strip()]
            assert detect_format(sample, formats)[0] == "zscaler", path
    # Zscaler's CEF feed stays cef; ZPA JSON and the NSS alert are not zscaler
    cef = Path(__file__).parent.parent / "parsers" / "golden" / "cef" / "zscaler_nss.log"
    assert detect_format(read_lines(cef), formats)[0] == "cef"
    zpa = '{"LogTimestamp": "Wed Nov 26 10:15:02 2025","Customer": "fw01","Username": "x"}'
    alert = "<134>Nov 26 10:15:02 [10.0.0.143] ZscalerNSS: The NSS free memory has decreased"
    assert FMT.detect([zpa, zpa]) < 0.5
    assert FMT.detect([alert]) < 0.5
