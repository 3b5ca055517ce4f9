"""The plugin authors' conformance kit must pass good formats and catch broken ones."""

from __future__ import annotations

import functools
import subprocess
import sys
from typing import Any, ClassVar

import polars as pl
import pytest
from lark import Lark

from shadowlens import GrammarFormat, ParseOptions, ParseResult
from shadowlens.parsers.fields import tree_fields
from shadowlens.parsers.grammar import rule_regex
from shadowlens.plugins.manager import Plugins
from shadowlens.testing import (
    assert_fast_matches_reference,
    check_format_contract,
    lines_frame,
    parse_lines,
)

GRAMMAR = r"""
start: time _SP client _SP method _SP host _SP status
time: /[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z/
client: /[0-9.]+/
method: /[A-Z]+/
host: /[a-z0-9.-]+/
status: /[0-9]{3}/
_SP: / +/
"""
FIELDS = ("time", "client", "method", "host", "status")
LINES = [
    "2023-11-14T22:13:20Z 10.0.0.1 GET files.slack.com 200",
    "2023-11-14T22:13:21Z   10.0.0.2 POST api.dropbox.com 403",
    "2023-11-14T99:99:99Z 10.0.0.3 GET a.example 200",
]


class MiniFormat(GrammarFormat):
    """A small grammar format written the way a plugin author would."""

    name: ClassVar[str] = "mini"
    description: ClassVar[str] = "a toy access log"
    grammar_file: ClassVar[str] = "<inline>"
    fields_schema: ClassVar[dict[str, pl.DataType]] = dict.fromkeys(FIELDS, pl.String())

    @classmethod
    def lark(cls) -> Lark:
        return _lark()

    def fast_fields(self, lines: pl.DataFrame, state: Any) -> pl.DataFrame:
        regex = "^" + rule_regex(self.lark(), "start", capture=FIELDS) + "$"
        return (
            lines.select("_row", pl.col("line").str.extract_groups(regex).alias("m"))
            .unnest("m")
            .drop_nulls("time")
        )

    def tree_fields(self, tree: Any, line: str, state: Any) -> dict[str, Any]:
        return tree_fields(tree, FIELDS)

    def to_records(self, fields: pl.DataFrame, state: Any) -> pl.DataFrame:
        time = pl.col("time").str.strptime(
            pl.Datetime("us", "UTC"), "%Y-%m-%dT%H:%M:%SZ", strict=False
        )
        return fields.select(
            "_row",
            time.alias("event_time"),
            pl.col("client").alias("src_ip"),
            pl.col("method").alias("http_method"),
            pl.col("host").alias("dst_host"),
            pl.col("status").cast(pl.UInt16).alias("http_status"),
            pl.when(time.is_null()).then(pl.lit("bad_timestamp")).alias("_error"),
            pl.when(time.is_null()).then(pl.lit("bad time")).alias("_error_message"),
        )


@functools.cache
def _lark() -> Lark:
    return Lark(GRAMMAR, parser="lalr")


class TamperedFast(MiniFormat):
    name: ClassVar[str] = "mini-tampered"

    def fast_fields(self, lines: pl.DataFrame, state: Any) -> pl.DataFrame:
        return super().fast_fields(lines, state).with_columns(pl.col("host").str.to_uppercase())


class GreedyFast(MiniFormat):
    name: ClassVar[str] = "mini-greedy"

    def fast_fields(self, lines: pl.DataFrame, state: Any) -> pl.DataFrame:
        fields = super().fast_fields(lines, state)
        rows = lines.select("_row").join(fields, on="_row", how="left")
        return rows.with_columns(pl.col("time").fill_null("x"))


class LazyFast(MiniFormat):
    name: ClassVar[str] = "mini-lazy"

    def fast_fields(self, lines: pl.DataFrame, state: Any) -> pl.DataFrame:
        return super().fast_fields(lines, state).head(0)


class Losing(MiniFormat):
    name: ClassVar[str] = "mini-losing"

    def parse(self, lines: pl.DataFrame, state: Any) -> ParseResult:
        result = super().parse(lines, state)
        return ParseResult(result.records.head(1), result.quarantine.head(0))


class NaiveTime(MiniFormat):
    name: ClassVar[str] = "mini-naive"

    def to_records(self, fields: pl.DataFrame, state: Any) -> pl.DataFrame:
        records = super().to_records(fields, state)
        return records.with_columns(
            pl.col("event_time").dt.replace_time_zone(None), pl.lit(1).alias("surprise")
        )


class KeepsUntimed(MiniFormat):
    """Keeps a line whose time cannot be read as a record with a null ``event_time``."""

    name: ClassVar[str] = "mini-untimed"

    def to_records(self, fields: pl.DataFrame, state: Any) -> pl.DataFrame:
        return super().to_records(fields, state).drop("_error", "_error_message")


class Careless(MiniFormat):
    name: ClassVar[str] = "Careless Name"
    description: ClassVar[str] = ""

    def __init__(self, options: ParseOptions | None = None) -> None:
        self.options = options or ParseOptions()


def test_parse_lines_numbers_lines_like_the_engine() -> None:
    result = parse_lines(MiniFormat, [LINES[0], "", "  ", LINES[1]])
    assert result.records["source_line"].to_list() == [1, 4]
    assert result.records["source_offset"].to_list() == [0, len(LINES[0]) + 5]
    frame, blank = lines_frame(["a", "", "b"])
    assert (frame.height, blank) == (2, 1)


def test_parse_lines_in_chunks_concatenates() -> None:
    whole = parse_lines(MiniFormat, LINES * 3)
    chunked = parse_lines(MiniFormat, LINES * 3, chunk_lines=2)
    assert chunked.records.equals(whole.records)
    assert chunked.quarantine.equals(whole.quarantine)


@pytest.mark.parametrize("line", ["a\nb", "a\rb"])
def test_parse_lines_refuses_embedded_line_ends(line: str) -> None:
    with pytest.raises(ValueError, match="line end"):
        parse_lines(MiniFormat, [line])


def test_fast_matches_reference_on_a_good_format() -> None:
    report = assert_fast_matches_reference(MiniFormat, [*LINES, "garbage"])
    assert (report.agreed, report.rejected, report.fallback) == (3, 1, 0)


def test_fast_matches_reference_catches_a_different_field() -> None:
    with pytest.raises(
        AssertionError, match=r"host: fast='FILES.SLACK.COM' reference='files.slack.com'"
    ):
        assert_fast_matches_reference(TamperedFast, LINES)


def test_fast_matches_reference_catches_invented_records() -> None:
    with pytest.raises(AssertionError, match="fast path accepts a line Lark rejects: 'garbage'"):
        assert_fast_matches_reference(GreedyFast, [LINES[0], "garbage"])


def test_fallback_is_an_error_unless_allowed() -> None:
    with pytest.raises(AssertionError, match="fast path rejects a line Lark accepts"):
        assert_fast_matches_reference(LazyFast, LINES)
    report = assert_fast_matches_reference(LazyFast, LINES, allow_fallback=True)
    assert report.fallback == 3


def test_contract_passes_for_a_good_format() -> None:
    check_format_contract(MiniFormat, LINES)


def test_contract_allows_records_without_a_time() -> None:
    result = parse_lines(KeepsUntimed, LINES)
    assert result.records["event_time"].null_count() == 1
    check_format_contract(KeepsUntimed, LINES)


def test_parse_lines_in_chunks_sums_year_assumed() -> None:
    class Yearless(MiniFormat):
        name: ClassVar[str] = "mini-yearless"

        def parse(self, lines: pl.DataFrame, state: Any) -> ParseResult:
            result = super().parse(lines, state)
            result.year_assumed = result.records.height
            return result

    assert parse_lines(Yearless, LINES * 2, chunk_lines=2).year_assumed == 4


@pytest.mark.parametrize(
    ("fmt", "problem"),
    [
        (Losing, "non-blank lines in"),
        (NaiveTime, "event_time must be Datetime in UTC"),
        (NaiveTime, "non-canonical columns ['surprise']"),
        (Careless, "name must be a non-empty lowercase word"),
        (Careless, "description is empty"),
        (Careless, "an unknown option was accepted"),
        (TamperedFast, "fast path and Lark reference disagree"),
    ],
)
def test_contract_catches(fmt: type[GrammarFormat], problem: str) -> None:
    with pytest.raises(AssertionError) as info:
        check_format_contract(fmt, LINES)
    assert problem in str(info.value)


def test_contract_catches_a_rule_without_fast_path() -> None:
    recursive = Lark('start: items\nitems: ITEM | items "," ITEM\nITEM: /[a-z]+/\n', parser="lalr")

    class Recursive(MiniFormat):
        name: ClassVar[str] = "recursive"

        @classmethod
        def lark(cls) -> Lark:
            return recursive

    with pytest.raises(AssertionError, match="rule 'items' cannot become a fast-path regex"):
        check_format_contract(Recursive)

    class Declared(Recursive):
        reference_only: ClassVar[tuple[str, ...]] = ("items: a recursive list",)

        def fast_fields(self, lines: pl.DataFrame, state: Any) -> pl.DataFrame:
            return pl.DataFrame(schema={"_row": pl.UInt32(), **self.fields_schema})

    check_format_contract(Declared)


SEEN: list[Plugins] = []


@pytest.mark.parametrize("run", [1, 2])
def test_fixture_gives_a_fresh_manager(shadowlens_plugins: Plugins, run: int) -> None:
    assert isinstance(shadowlens_plugins, Plugins)
    assert "cef" in shadowlens_plugins.formats()
    SEEN.append(shadowlens_plugins)
    assert len({id(p.pm) for p in SEEN}) == len(SEEN)


def test_importable_without_pytest() -> None:
    code = (
        "import sys; sys.modules['pytest'] = None\n"
        "import shadowlens.testing as t\n"
        "plugins = next(t.shadowlens_plugins())\n"
        "print(list(plugins.formats())[0], 'pytest' in sys.modules and sys.modules['pytest'])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["cef", "None"]
