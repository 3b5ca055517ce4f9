"""Delimited (CSV) columns: layouts chosen per line, required values, header rows, quoting.

The spec is ``tests/spec/acme_csv/`` (a firewall CSV with TRAFFIC and THREAT/url
layouts, an optional syslog header and a header row), built from the building
blocks PAN-OS, pfSense, Umbrella and Zscaler use.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from shadowlens.errors import SpecError
from shadowlens.spec.model import parse_spec
from shadowlens.testing import (
    assert_examples,
    assert_fast_matches_reference,
    check_spec,
    format_class,
    parse_lines,
)

HERE = Path(__file__).parent / "acme_csv"
SPEC = HERE / "acme-csv.toml"
FMT = format_class(SPEC)
TRAFFIC = "1,2025/11/26 10:15:02,TRAFFIC,end,10.1.2.3,203.0.113.7,443,tcp,5120,300,allow"


def records(lines: list[str], **options: Any) -> list[dict[str, Any]]:
    result = parse_lines(FMT, lines)
    assert result.quarantine.height == 0, result.quarantine.to_dicts()
    rows = result.records.to_dicts()
    for row in rows:
        row["extras"] = dict(zip(row.pop("extras_keys"), row.pop("extras_values"), strict=True))
    return rows


def test_examples_and_the_harness() -> None:
    assert assert_examples(FMT) == 5
    report = check_spec(SPEC, (HERE / "sample.log").read_text().splitlines(), max_examples=25)
    assert report.grammar_lines.agreed > 0


def test_layouts_are_chosen_by_the_values_of_each_line() -> None:
    url = '1,2025/11/26 10:15:03,THREAT,url,10.1.2.3,203.0.113.7,443,tcp,block-url,"http://a.example/",bob'
    traffic, threat = records([TRAFFIC, url])
    assert (traffic["bytes_up"], traffic["bytes_down"], traffic["url"]) == (5120, 300, None)
    assert (threat["url"], threat["user_name"], threat["bytes_up"]) == (
        "http://a.example/",
        "bob",
        None,
    )
    # the THREAT line's 9th value is its action, not "sent": no cross-talk between layouts
    assert threat["action_raw"] == "block-url"


def test_the_syslog_prefix_is_split_into_syslog_fields() -> None:
    (row,) = records([f"<14>Nov 26 10:15:02 fw01 {TRAFFIC}"])
    assert row["extras"]["syslog_host"] == "fw01"
    assert row["extras"]["syslog_pri"] == "<14>"
    assert "acme_prefix" not in row["extras"]


def test_a_layout_test_on_two_values_must_hold_on_both() -> None:
    other = "1,2025/11/26 10:15:03,THREAT,virus,10.1.2.3,203.0.113.7,443,tcp,alert"
    (row,) = records([other])
    assert row["event_class"] == "THREAT"  # the default names: serial, time, type
    assert row["url"] is None
    assert row["extras"]["extra_column_4"] == "virus"


def test_empty_values_keep_their_positions_and_a_trailing_empty_value_counts() -> None:
    line = "1,2025/11/26 10:15:02,TRAFFIC,end,,203.0.113.7,443,tcp,,300,allow,"
    (row,) = records([line])
    assert (row["src_ip"], row["bytes_up"], row["bytes_down"]) == (None, None, 300)
    assert "extra_column_12" not in row["extras"]  # the 12th value is empty, named newer_field
    fast = assert_fast_matches_reference(FMT, [line, line + ",", line + ",x"])
    assert fast.agreed == 3


def test_values_past_the_layout_are_kept_and_missing_optional_names_are_null() -> None:
    (longer,) = records([TRAFFIC + ",v11,v13"])
    assert longer["extras"] == {
        "serial": "1",
        "subtype": "end",
        "newer_field": "v11",
        "extra_column_13": "v13",
    }
    (shorter,) = records([TRAFFIC])
    assert "newer_field" not in shorter["extras"]


def test_fewer_values_than_required_quarantine_the_line_naming_the_layout() -> None:
    result = parse_lines(FMT, ["1,2025/11/26 10:15:02,TRAFFIC,end,10.1.2.3"])
    (bad,) = result.quarantine.to_dicts()
    assert bad["error_code"] == "field_count"
    assert bad["error_message"] == "the entry has 5 values but the layout traffic needs 11 to 12"


def test_quoted_values_hold_delimiters_and_doubled_quotes_on_both_paths() -> None:
    line = '1,2025/11/26 10:15:03,THREAT,url,10.1.2.3,203.0.113.7,443,tcp,x,"a,""b"",c",'
    (row,) = records([line])
    assert row["url"] == 'a,"b",c'
    assert row["user_name"] is None
    assert assert_fast_matches_reference(FMT, [line]).agreed == 1


@pytest.mark.parametrize(
    "line",
    [
        '1,2025/11/26 10:15:03,"unterminated',
        '1,2025/11/26 10:15:03,"quoted"tail,x',
        '1,2025/11/26 10:15:03,a"b',
    ],
)
def test_malformed_quoting_is_quarantined_by_both_paths(line: str) -> None:
    report = assert_fast_matches_reference(FMT, [line])
    assert report.rejected == 1
    (bad,) = parse_lines(FMT, [line]).quarantine.to_dicts()
    assert bad["error_code"] == "syntax"


def test_header_rows_are_counted_as_directives_and_everything_adds_up() -> None:
    lines = (HERE / "sample.log").read_text().splitlines()
    result = parse_lines(FMT, lines)
    assert result.directives == 1
    assert result.records.height == 4
    assert result.quarantine.height == 2
    assert result.records.height + result.quarantine.height + result.directives == len(lines)


def test_a_line_no_layout_claims_is_quarantined_without_default_names(tmp_path: Path) -> None:
    text = SPEC.read_text().replace('names = ["serial", "time", "type"]\nrequired = 3\n', "")
    text = text.split("[[examples]]")[0]
    (tmp_path / "acme-csv.lark").write_text((HERE / "acme-csv.lark").read_text())
    spec = tmp_path / "acme-csv.toml"
    spec.write_text(text)
    result = parse_lines(format_class(spec), ["1,2025/11/26 10:15:04,SYSTEM,general", TRAFFIC])
    (bad,) = result.quarantine.to_dicts()
    assert bad["error_code"] == "no_layout"
    assert "traffic, url" in bad["error_message"]
    assert result.records.height == 1
    only_bad = parse_lines(format_class(spec), ["1,2025/11/26 10:15:04,SYSTEM,general"])
    assert (only_bad.records.height, only_bad.quarantine.height) == (0, 1)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('"@common", "sent"', '"@nope", "sent"'), "'@nope' names no list"),
        (('when = { type = "TRAFFIC" }', 'when = { kind = "TRAFFIC" }'), "when tests 'kind'"),
        (("required = 11", "required = 40"), "required (40) is more than its 12 names"),
        (
            ('delimiter = ","', "delimiter = '\"'"),
            "delimiter must be a non-empty text other than the quote",
        ),
        (("required = 3", "required = -1"), "required must be a whole number"),
    ],
)
def test_layout_mistakes_are_spec_errors_with_the_line(
    change: tuple[str, str], message: str
) -> None:
    text = SPEC.read_text()
    assert change[0] in text
    with pytest.raises(SpecError, match=re.escape(message)) as info:
        parse_spec(text.replace(change[0], change[1], 1), SPEC)
    assert str(info.value).startswith(f"{SPEC}:")  # the file and the line
