"""Tests of the Squid format, written with shadowlens' conformance kit.

The format is data (``squid.toml`` + ``squid.lark``), so this is what the suite
of a spec-only plugin looks like: the contract check, the fast-path/Lark
differential check (on fixed lines and on lines generated from the grammar),
the spec's own ``[[examples]]``, a golden file, and the mapping facts of the
field table proven by fixtures.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark

from shadowlens import ParseOptions, ParseResult
from shadowlens.testing import (
    assert_fast_matches_reference,
    check_format_contract,
    format_class,
    parse_lines,
)

#: The spec inside the installed package (a .toml or .lark left out of the wheel fails here).
SPEC = Path(str(files("shadowlens_squid"))) / "squid.toml"
SQUID = format_class(SPEC)
GOLDEN = Path(__file__).parent / "golden"
REGENERATE = os.environ.get("SHADOWLENS_REGEN_GOLDEN") == "1"

GOOD = [
    "1461576382.642    161 127.0.0.1 TCP_MISS/200 103701 GET http://www.cnn.com/ - DIRECT/199.27.79.73 text/html",
    "1469539185.270      0 139.196.181.68 TCP_DENIED/403 3617 CONNECT search.yahoo.com:443 - NONE/- text/html",
    "1700000000.001  12345 10.1.2.3 TCP_TUNNEL/200 88000 CONNECT files.slack.com:443 alice HIER_DIRECT/52.1.2.3 -",
    "1700000000.5 7 fe80::1 UDP_HIT/000 0 ICP_QUERY http://x.example/ - NONE/- - ",
    "1700000001.999     -1 ws01.corp.example TCP_MISS/200 10 POST https://api.dropbox.com:8443/up bob FIRSTUP_PARENT/proxy2 application/json extra1  extra2",
]
BROKEN = [
    "",
    "1461576382.642 161 127.0.0.1 TCP_MISS/2000 1 GET http://a/ - DIRECT/1.2.3.4 text/html",
    "1461576382.642 161 127.0.0.1 TCP_MISS/200 1 GET http://a/ - DIRECT/1.2.3.4",
    "1461576382.642\t161 127.0.0.1 TCP_MISS/200 1 GET http://a/ - DIRECT/1.2.3.4 text/html",
    "CEF:0|Vendor|Product|1|100|name|5|src=10.0.0.1",
]


def record(line: str) -> dict[str, Any]:
    result = parse_lines(SQUID, [line])
    assert result.quarantine.height == 0, result.quarantine.to_dicts()
    return result.records.row(0, named=True)


def extras(row: dict[str, Any]) -> dict[str, str]:
    return dict(zip(row["extras_keys"], row["extras_values"], strict=True))


# -- the format contract and the two parsers ---------------------------------------------


def test_contract() -> None:
    check_format_contract(SQUID, GOOD)


def test_fast_path_agrees_with_lark_on_fixed_lines() -> None:
    report = assert_fast_matches_reference(SQUID, GOOD + BROKEN)
    assert report.agreed == len(GOOD)
    assert report.rejected == len(BROKEN) - 1  # the blank line is never parsed


@settings(max_examples=60, deadline=None)
@given(from_lark(SQUID.lark(), start="start"))  # type: ignore[attr-defined]
def test_fast_path_agrees_with_lark_on_generated_lines(line: str) -> None:
    report = assert_fast_matches_reference(SQUID, [line])
    assert report.agreed == 1


@settings(max_examples=60, deadline=None)
@given(
    from_lark(SQUID.lark(), start="start"),  # type: ignore[attr-defined]
    st.integers(0, 200),
    st.sampled_from(" /\t-x"),
)
@example(GOOD[0], 14, " ")
@example(GOOD[0], 30, "/")
def test_mutated_lines_agree_and_are_accounted(line: str, cut: int, insert: str) -> None:
    mutated = [line[:cut], line[:cut] + insert + line[cut:]]
    assert_fast_matches_reference(SQUID, mutated)
    result = parse_lines(SQUID, mutated)
    non_blank = sum(1 for m in mutated if m.strip(" \t\x00\x0b\x0c"))
    assert result.records.height + result.quarantine.height == non_blank


@pytest.mark.parametrize("engine", ["fast", "reference"])
def test_engines_give_the_same_records(engine: str) -> None:
    auto = parse_lines(SQUID, GOOD).records
    other = parse_lines(SQUID, GOOD, options=ParseOptions(engine=engine)).records  # type: ignore[arg-type]
    assert other.equals(auto)


def test_detect() -> None:
    assert SQUID.detect(GOOD) == 1.0
    assert SQUID.detect(BROKEN[1:]) == 0.0


def test_registered_through_the_entry_point(shadowlens_plugins) -> None:  # type: ignore[no-untyped-def]
    entry = shadowlens_plugins.formats()["squid"]
    assert (entry.plugin, entry.distribution) == ("squid", "shadowlens-squid")
    assert entry.cls.spec.path == SPEC


# -- the spec's own examples and the golden file -------------------------------------------


@pytest.mark.parametrize("case", SQUID.spec.examples, ids=lambda e: e.line[:40])  # type: ignore[attr-defined]
def test_spec_examples(case: Any) -> None:
    result = parse_lines(SQUID, [case.line])
    if case.quarantined:
        assert result.quarantine["error_code"].to_list() == [case.quarantined]
        return
    row = record(case.line)
    for column, want in case.expect.items():
        got = row[column]
        if isinstance(got, dt.datetime):
            want = dt.datetime.fromisoformat(want)
        assert got == want, column


def render(result: ParseResult) -> list[dict[str, Any]]:
    """Records and quarantined lines as JSON rows in line order (nulls left out)."""
    rows: list[dict[str, Any]] = []
    for rec in result.records.to_dicts():
        row: dict[str, Any] = {"line": rec.pop("source_line")}
        rec.pop("source_offset")
        pairs = sorted(zip(rec.pop("extras_keys"), rec.pop("extras_values"), strict=True))
        row |= {
            k: v.isoformat() if isinstance(v, dt.datetime) else v
            for k, v in rec.items()
            if v is not None
        }
        rows.append(row | {"extras": [list(p) for p in pairs]})
    rows += [
        {"line": q["source_line"], "quarantined": q["error_code"], "message": q["error_message"]}
        for q in result.quarantine.to_dicts()
    ]
    return sorted(rows, key=lambda r: r["line"])


@pytest.mark.parametrize("source", sorted(GOLDEN.glob("*.log")), ids=lambda p: p.name)
def test_golden(source: Path) -> None:
    """Regenerate with ``SHADOWLENS_REGEN_GOLDEN=1`` and review the diff by hand."""
    lines = source.read_text(encoding="utf-8").split("\n")[:-1]
    got = render(parse_lines(SQUID, lines))
    expected = source.with_suffix(".jsonl")
    if REGENERATE:
        text = "".join(json.dumps(r, sort_keys=True) + "\n" for r in got)
        expected.write_text(text, encoding="utf-8")
    assert got == [json.loads(r) for r in expected.read_text(encoding="utf-8").splitlines()]


# -- mapping facts ------------------------------------------------------------------------


def test_columns_of_a_direct_request() -> None:
    row = record(GOOD[0])
    assert row["event_time"] == dt.datetime(2016, 4, 25, 9, 26, 22, 642000, tzinfo=dt.UTC)
    assert row["tz_assumed"] is False
    assert (row["src_ip"], row["dst_ip"], row["dst_host"], row["dst_port"]) == (
        "127.0.0.1",
        "199.27.79.73",
        "www.cnn.com",
        80,
    )
    assert (row["http_method"], row["http_status"], row["duration_ms"]) == ("GET", 200, 161)
    assert (row["action"], row["action_raw"], row["transport"], row["app_protocol"]) == (
        "allowed",
        "TCP_MISS",
        "tcp",
        "http",
    )
    assert (row["observer_vendor"], row["observer_product"]) == ("Squid", "Squid")
    assert extras(row) == {"hierarchy": "DIRECT", "mime_type": "text/html"}


def test_byte_direction_is_server_to_client() -> None:
    # %<st counts the reply bytes Squid sent to the client: download, never upload.
    row = record(GOOD[2])
    assert (row["bytes_down"], row["bytes_total"], row.get("bytes_up")) == (88000, 88000, None)


def test_connect_denied_and_user() -> None:
    denied = record(GOOD[1])
    assert (denied["action"], denied["http_method"], denied["dst_host"], denied["dst_port"]) == (
        "blocked",
        "CONNECT",
        "search.yahoo.com",
        443,
    )
    assert denied["dst_ip"] is None
    assert "peer" not in extras(denied)
    tunnel = record(GOOD[2])
    assert (tunnel["user_name"], tunnel["dst_ip"], tunnel["url"]) == (
        "alice",
        "52.1.2.3",
        "files.slack.com:443",
    )


def test_parent_peer_is_not_the_destination_and_extra_columns_are_kept() -> None:
    row = record(GOOD[4])
    assert row["dst_ip"] is None  # FIRSTUP_PARENT: the peer is the next proxy
    assert (row["src_ip"], row["src_host"], row["dst_port"], row["duration_ms"]) == (
        None,
        "ws01.corp.example",
        8443,
        None,
    )
    assert extras(row) == {
        "hierarchy": "FIRSTUP_PARENT",
        "peer": "proxy2",
        "mime_type": "application/json",
        "elapsed": "-1",
        "rest": "extra1  extra2",
    }


def test_a_direct_peer_that_is_a_name_stays_in_extras() -> None:
    row = record(
        "1525334330.556 3 120.65.1.1 TCP_MISS/200 2014 GET http://www.sample.com/x - DIRECT/www.sample.com text/plain"
    )
    assert row["dst_ip"] is None
    assert extras(row)["peer"] == "www.sample.com"


@pytest.mark.parametrize(
    ("url", "ip", "port"),
    [
        ("5.6.7.8:443", "5.6.7.8", 443),
        ("[2001:db8::1]:443", "2001:db8::1", 443),
        ("https://files.example/x", None, 443),
        ("FTP://files.example/x", None, 21),
        ("http://files.example:8080/x", None, 8080),
        ("http://files.example:70000/x", None, None),  # invalid, not the scheme's default
        ("error:invalid-request", None, None),
    ],
)
def test_destination_from_the_url(url: str, ip: str | None, port: int | None) -> None:
    row = record(f"1700000000.000 5 10.0.0.1 TCP_MISS/200 1 GET {url} - HIER_NONE/- -")
    assert (row["dst_ip"], row["dst_port"]) == (ip, port)


def test_no_reply_status_and_udp() -> None:
    row = record(GOOD[3])
    assert (row["http_status"], row["transport"], row["src_ip"]) == (None, "udp", "fe80::1")
    assert extras(row)["status"] == "000"
    assert row["event_time"] == dt.datetime(2023, 11, 14, 22, 13, 20, 500000, tzinfo=dt.UTC)


def test_method_none_is_not_a_method() -> None:
    row = record("1700000000.000 5 10.0.0.1 NONE_NONE/400 0 NONE error:x - HIER_NONE/- -")
    assert (row["http_method"], row["action"], row["transport"]) == (None, "unknown", None)
    assert extras(row)["method"] == "NONE"


def test_bad_lines_are_quarantined_with_a_column() -> None:
    result = parse_lines(SQUID, BROKEN)
    assert result.records.height == 0
    rows = result.quarantine.to_dicts()
    assert [r["source_line"] for r in rows] == [2, 3, 4, 5]
    assert rows[0]["error_code"] == "syntax"
    assert "at column 42" in rows[0]["error_message"]  # the 4th status digit
    assert rows[1]["error_code"] == "unexpected_end"


def test_unreadable_time_is_an_untimed_record() -> None:
    # A well-formed line is never dropped: event_time is null, the raw time is in extras.
    row = record(
        "99999999999999.1 1 10.0.0.1 TCP_MISS/200 1 GET http://a.example/ - DIRECT/1.2.3.4 -"
    )
    assert (row["event_time"], row["dst_host"]) == (None, "a.example")
    assert extras(row)["time"] == "99999999999999.1"
