"""The field table's behaviour that no single format shows: extras, names, separators, escapes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from shadowlens.parsers.base import ParseOptions
from shadowlens.plugins.specs import format_from_file
from shadowlens.testing import assert_fast_matches_reference, format_class, parse_lines, type_values

W3C_GRAMMAR = (
    Path(__file__).resolve().parents[2] / "src" / "shadowlens" / "formats" / "w3c" / "w3c.lark"
)


def extras_of(result: object, row: int = 0) -> dict[str, str]:
    records = result.records  # type: ignore[attr-defined]
    return dict(zip(records["extras_keys"][row], records["extras_values"][row], strict=True))


def test_an_empty_unmapped_value_is_kept_whatever_else_is_in_the_chunk() -> None:
    leef = format_class("leef")
    line = "LEEF:2.0|V|P|1|E||src=10.0.0.1\tdevTime=1700000000000"
    other = "LEEF:2.0|V|P|1|E|^|src=10.0.0.2^devTime=1700000000000"
    alone = parse_lines(leef, [line])
    mixed = parse_lines(leef, [other, line])
    assert extras_of(alone)["leef_delimiter"] == ""
    assert extras_of(mixed, 1)["leef_delimiter"] == ""
    assert extras_of(mixed, 0)["leef_delimiter"] == "^"


def _spec(tmp_path: Path, name: str, grammar: str, table: str, extra: str = "") -> Path:
    if not grammar.startswith("/"):
        (tmp_path / f"{name}.lark").write_text(grammar, encoding="utf-8")
        grammar = f"{name}.lark"
    text = (
        f'[format]\nname = "{name}"\ndescription = "test"\ngrammar = "{grammar}"\n'
        f"{extra}\n[fields]\n{table}\n"
    )
    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_layout_names_match_case_insensitively_however_the_table_writes_them(
    tmp_path: Path,
) -> None:
    columns = (
        '[record.columns]\nrule = "entry"\ntoken = "VALUE"\nquote = \'"\'\n'
        'directive = "Fields"\ndirective_rule = "directive"\n'
    )
    spec = _spec(
        tmp_path,
        "upper",
        str(W3C_GRAMMAR),
        'src_ip = { from = "C-IP" }\nuser_name = { from = "CS-Username" }',
        'start = "entry"\nnull = ["-"]\n' + columns,
    )
    fmt = format_from_file(spec)
    result = parse_lines(
        fmt, ["#Fields: date time c-ip cs-username", "2024-01-01 00:00:00 10.0.0.1 bob"]
    )
    record = result.records.row(0, named=True)
    assert (record["src_ip"], record["user_name"]) == ("10.0.0.1", "bob")
    assert extras_of(result) == {"date": "2024-01-01", "time": "00:00:00"}


PAIRS_GRAMMAR = """\
start: "X|" attributes?
attributes: ATTRIBUTES
ATTRIBUTES: /.+/
attribute: _SP? attr_key _SP? ":" attr_value
attr_key: ATTR_KEY
attr_value: ATTR_VALUE?
ATTR_KEY: /[^: ](?:[^:]*[^: ])?/
ATTR_VALUE: /.+/
_SP: / +/
"""


def test_delimited_pairs_with_another_separator_agree_on_both_paths(tmp_path: Path) -> None:
    pairs = (
        '[[record.pairs]]\nrule = "attributes"\ndelimiter = ";"\npair_rule = "attribute"\n'
        'separator = ":"\nstrip = ""\n'
    )
    spec = _spec(tmp_path, "colon", PAIRS_GRAMMAR, 'src_ip = { from = "src" }', pairs)
    fmt = format_from_file(spec)
    lines = ["X|src:10.0.0.1;msg:a:b;c", "X|msg:x ; src : 10.0.0.2", "X|junk;src:1.2.3.4"]
    report = assert_fast_matches_reference(fmt, lines)
    assert report.agreed == 3
    result = parse_lines(fmt, lines)
    assert result.records["src_ip"].to_list() == ["10.0.0.1", "10.0.0.2"]
    assert extras_of(result) == {"msg": "a:b;c"}
    assert result.quarantine["error_code"].to_list() == ["syntax"]


def test_escapes_that_do_not_start_with_a_backslash_apply_to_every_line(tmp_path: Path) -> None:
    grammar = 'start: name "|" user\nname: FIELD\nuser: FIELD\nFIELD: /[^|]+/\n'
    spec = _spec(
        tmp_path,
        "amp",
        grammar,
        'user_name = { from = "user" }\nevent_name = { from = "name" }',
        "[record]\nescapes = { '&amp;' = '&' }\n",
    )
    result = parse_lines(format_from_file(spec), ["a &amp; b|x", "plain|y &amp; z"])
    assert result.records["event_name"].to_list() == ["a & b", "plain"]
    assert result.records["user_name"].to_list() == ["x", "y & z"]


@pytest.mark.parametrize(
    ("text", "layout", "expected"),
    [
        ("2025-11-26", "%Y-%m-%d", dt.datetime(2025, 11, 26, tzinfo=dt.UTC)),
        ("26-11-2025", "%d-%m-%Y", dt.datetime(2025, 11, 26, tzinfo=dt.UTC)),
        (
            "2025-11-26 10:00:00-02",
            "%Y-%m-%d %H:%M:%S",
            dt.datetime(2025, 11, 26, 12, tzinfo=dt.UTC),
        ),
    ],
)
def test_a_date_ending_in_dash_digits_is_not_a_zone(
    tmp_path: Path, text: str, layout: str, expected: dt.datetime
) -> None:
    grammar = "start: time\ntime: FIELD\nFIELD: /[^|]+/\n"
    spec = _spec(
        tmp_path, "dates", grammar, f'event_time = {{ from = "time", formats = ["{layout}"] }}'
    )
    got = type_values(format_from_file(spec), "event_time", [text], options=ParseOptions())
    assert got.to_list() == [expected]


def test_accept_on_a_text_column_splits_names_from_addresses(tmp_path: Path) -> None:
    """``accept`` on a column read as text (no typing) keeps names or addresses only."""
    grammar = 'start: client " " user\nclient: /[^ ]+/\nuser: /[^ ]+/\n'
    table = (
        'src_ip = { from = "client", accept = "ip" }\n'
        'src_host = { from = "client", accept = "name" }\n'
        'user_name = { from = "user" }\n'
    )
    fmt = format_from_file(_spec(tmp_path, "accept", grammar, table))
    result = parse_lines(fmt, ["10.0.0.1 alice", "WKS-42.corp bob"])
    assert result.records["src_ip"].to_list() == ["10.0.0.1", None]
    assert result.records["src_host"].to_list() == [None, "WKS-42.corp"]


@pytest.mark.parametrize(("repeat", "empty_accepted"), [("+", False), ("*", True)])
def test_a_pair_list_the_grammar_requires_is_required_on_the_fast_path(
    tmp_path: Path, repeat: str, empty_accepted: bool
) -> None:
    """``pairs: PAIR+`` rejects a line without pairs on both paths; ``PAIR*`` accepts it."""
    grammar = (
        f'start: time " " pairs\ntime: /[0-9]+/\npairs: PAIR{repeat}\n'
        "PAIR: /[a-z]+=[^ ]*(?: +|$)/\n"
    )
    pairs = '[record.pairs]\nrule = "pairs"\ntoken = "PAIR"\n'
    fmt = format_from_file(_spec(tmp_path, "req", grammar, 'src_ip = { from = "src" }', pairs))
    report = assert_fast_matches_reference(fmt, ["2025 ", "2025 src=1.2.3.4"])
    assert (report.agreed, report.rejected) == ((2, 0) if empty_accepted else (1, 1))


def test_the_duration_type_reads_hours_minutes_seconds(tmp_path: Path) -> None:
    grammar = "start: d\nd: /[^|]+/\n"
    fmt = format_from_file(
        _spec(tmp_path, "dur", grammar, 'duration_ms = { from = "d", type = "duration" }')
    )
    lines = ["0:00:30", "1d 2:00:00.25", "27:05:09", "0:61:00", "90", "5 s"]
    got = parse_lines(fmt, lines).records["duration_ms"].to_list()
    assert got == [30_000, 93_600_250, 97_509_000, None, None, None]
