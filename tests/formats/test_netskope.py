"""Netskope web transaction events as Log Streaming CSV.

Expected values come from Netskope's "Transaction Event Fields" page (date and time
in GMT, ``time-taken`` in ms, ``cs-bytes`` received from the client), see
``tests/formats/fixtures/netskope/README.md``.
"""

from __future__ import annotations

import csv
import io
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

FMT = format_class("netskope")
HERE = VENDOR / "netskope"
HEADER, FIRST = read_lines(HERE / "reference.log")[:2]
NAMES = HEADER.split(",")


def line(**values: str) -> str:
    """The first reference line with some values replaced (by field name)."""
    base = read_lines(HERE / "byte_direction.log")[0]
    fields = next(csv.reader([base]))
    assert len(fields) == len(NAMES)
    for name, value in values.items():
        fields[NAMES.index(name)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(fields)
    return out.getvalue()


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


def test_byte_direction_cs_bytes_up_sc_bytes_down() -> None:
    (up,) = records([line()])
    assert (up["bytes_up"], up["bytes_down"], up["bytes_total"]) == (52428800, 1843, 52430643)
    (down,) = records([line(**{"cs-bytes": "734", "sc-bytes": "10485760", "bytes": "-"})])
    assert (down["bytes_up"], down["bytes_down"], down["bytes_total"]) == (734, 10485760, 10486494)
    # the proxy's server side stays in extras
    assert (up["extras"]["sr-bytes"], up["extras"]["rs-bytes"]) == ("52428950", "1700")


def test_bytes_fills_the_total_only_without_directions() -> None:
    (row,) = records([line(**{"cs-bytes": "-", "sc-bytes": "-", "bytes": "913"})])
    assert (row["bytes_up"], row["bytes_down"], row["bytes_total"]) == (None, None, 913)


def test_time_is_gmt_and_time_taken_is_milliseconds() -> None:
    (row,) = records([line()], tz="America/New_York")
    assert row["event_time"].isoformat() == "2025-11-26T11:00:00+00:00"
    assert (row["tz_assumed"], row["duration_ms"]) == (False, 412)
    (epoch,) = records([line(date="26/11/2025", **{"x-cs-timestamp": "1764152280"})])
    assert epoch["event_time"].isoformat() == "2025-11-26T10:18:00+00:00"
    assert epoch["extras"]["date"] == "26/11/2025"


def test_key_columns() -> None:
    (row,) = records([line()])
    assert (row["src_ip"], row["src_port"], row["user_name"], row["src_host"]) == (
        "10.20.1.15",
        52144,
        "alice@contoso.example",
        "PAR-LT-0142",
    )
    assert (row["dst_host"], row["dst_ip"], row["dst_port"]) == (
        "wetransfer.com",
        "162.125.66.18",
        443,
    )
    assert (row["http_method"], row["http_status"], row["app_protocol"]) == ("POST", 200, "https")
    assert row["url"] == "https://wetransfer.com/api/v4/transfers/8f3a21c4/upload"
    assert (row["event_class"], row["event_name"]) == ("CloudApp", "http_transaction")
    assert row["extras"]["x-cs-app"] == "WeTransfer"


@pytest.mark.parametrize(
    ("policy", "action", "expected"),
    [
        ("allow", "allow", "allowed"),
        ("block", "block", "blocked"),
        ("bypass", "bypass", "allowed"),
        ("-", "block", "blocked"),
        ("useralert", "allow", "unknown"),
    ],
)
def test_action_words(policy: str, action: str, expected: str) -> None:
    (row,) = records([line(**{"x-policy-action": policy, "x-action": action})])
    assert row["action"] == expected
    assert row["action_raw"] == (policy if policy != "-" else action)


def test_header_row_is_a_directive_and_lines_may_be_syslog_wrapped() -> None:
    lines = read_lines(HERE / "reference.log")
    result = parse_lines(FMT, lines)
    assert (result.directives, result.records.height, result.quarantine.height) == (1, 5, 0)
    space_header = HEADER.replace(",", " ")
    assert parse_lines(FMT, [space_header, FIRST]).directives == 1


def test_garbled_lines_are_quarantined_with_a_reason() -> None:
    bad = parse_lines(FMT, read_lines(HERE / "garbled.log")).quarantine.to_dicts()
    assert [b["error_code"] for b in bad] == ["field_count", "syntax", "syntax"]
    assert bad[0]["error_message"] == "the entry has 40 values but the layout needs 59 to 183"


def test_detection_netskope_csv_vs_w3c_files() -> None:
    formats = get_plugins().formats()
    for name, path in all_fixtures():
        sample = [x for x in read_lines(path) if x.strip()]
        got = detect_format(sample, formats)[0]
        assert (got == "netskope") == (name == "netskope"), path
    # Netskope's W3C-style transaction files stay with w3c (their #Fields line).
    w3c = [
        "#Version: 1.0",
        "#Fields: date time time-taken cs-bytes sc-bytes bytes c-ip s-ip cs-username cs-method",
        "2025-11-26 10:15:02 412 1843 52311 54154 10.20.1.15 162.125.66.18 alice@x.example GET",
    ]
    assert detect_format(w3c, formats)[0] == "w3c"
    # data lines without the header row are still netskope
    assert detect_format([FIRST], formats)[0] == "netskope"
