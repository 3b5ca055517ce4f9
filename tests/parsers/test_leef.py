"""LEEF 1.0/2.0 (and LEEF:0): golden files, delimiters, attribute splitting, mapping, CLI.

Golden inputs are ``tests/parsers/golden/leef/*.log``; the expected records and
quarantine rows are the ``*.jsonl`` next to them. After a deliberate change,
regenerate them with ``SHADOWLENS_REGEN_GOLDEN=1 pytest tests/parsers/test_leef.py``
and review the diff.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
from pathlib import Path
from typing import Any, ClassVar

import polars as pl
import pytest

from golden_files import check_golden, read_lines, render
from shadowlens.parsers import normalize as nz
from shadowlens.parsers.base import ParseOptions
from shadowlens.parsers.delimited import decode, split_one
from shadowlens.plugins.manager import get_plugins
from shadowlens.testing import (
    assert_fast_matches_reference,
    check_format_contract,
    format_class,
    parse_lines,
    type_values,
)

GOLDEN = Path(__file__).parent / "golden" / "leef"
GOLDEN_INPUTS = sorted(GOLDEN.glob("*.log"))
#: Yearless syslog times need a fixed year for the goldens to be stable.
OPTIONS = ParseOptions(year=2024)


LeefFormat = format_class("leef")
BLOCK = LeefFormat().plan.pairs[0]


def decode_delimiter(field: str | None) -> str | None:
    return decode(field, BLOCK)


def split_region(region: str | None, delimiter: str) -> tuple[list[str], str | None]:
    return split_one(region, delimiter, re.compile(BLOCK.pair_regex or ""))


class GenericLeef(LeefFormat):  # type: ignore[misc,valid-type]
    """Picks values by the generic route only (no learned key order)."""

    max_templates: ClassVar[int] = 0


# -- golden files ----------------------------------------------------------------------


@pytest.mark.parametrize("source", GOLDEN_INPUTS, ids=lambda p: p.stem)
def test_golden(source: Path) -> None:
    check_golden(source, render(parse_lines(LeefFormat, read_lines(source), options=OPTIONS)))


@pytest.mark.parametrize("source", GOLDEN_INPUTS, ids=lambda p: p.stem)
@pytest.mark.parametrize(
    ("fmt", "engine"),
    [(LeefFormat, "reference"), (GenericLeef, "auto")],
    ids=["lark-reference", "generic-pick"],
)
def test_golden_same_by_every_route(source: Path, fmt: Any, engine: str) -> None:
    """Lark alone, and the generic value pick, give the very records of the fast path."""
    lines = read_lines(source)
    options = ParseOptions(year=2024, engine=engine)  # type: ignore[arg-type]
    fast = render(parse_lines(LeefFormat, lines, options=OPTIONS))
    assert render(parse_lines(fmt, lines, options=options)) == fast


@pytest.mark.parametrize("source", GOLDEN_INPUTS, ids=lambda p: p.stem)
def test_golden_fast_path_agrees_with_lark(source: Path) -> None:
    report = assert_fast_matches_reference(LeefFormat, [x for x in read_lines(source) if x])
    assert report.fallback == 0
    assert report.agreed > 0


def test_golden_chunking_does_not_matter() -> None:
    lines = [line for path in GOLDEN_INPUTS for line in read_lines(path)]
    whole = parse_lines(LeefFormat, lines, options=OPTIONS)
    chunked = parse_lines(LeefFormat, lines, options=OPTIONS, chunk_lines=4)
    assert render(chunked) == render(whole)


def test_contract() -> None:
    sample = [line for path in GOLDEN_INPUTS for line in read_lines(path) if line]
    check_format_contract(LeefFormat, sample, options=OPTIONS)


# -- the delimiter field ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        (None, "\t"),
        ("", "\t"),
        ("^", "^"),
        ("|", "|"),
        (" ", " "),
        ("x", "x"),
        ("x5E", "^"),
        ("0x5e", "^"),
        ("0X7C", "|"),
        ("X09", "\t"),
        ("x9", "\t"),
        ("x0040", "@"),
        ("x20AC", "€"),
        ("INVALID", None),
        ("||", None),
        ("0x", None),
        ("0xGG", None),
        ("x12345", None),
        ("x3D", None),
        ("xD800", None),
        (" ^", None),
    ],
)
def test_decode_delimiter(field: str | None, expected: str | None) -> None:
    assert decode_delimiter(field) == expected


def test_bad_delimiter_is_quarantined() -> None:
    lines = [
        "LEEF:2.0|V|P|1|E|INVALID|devTime=1709251200\tsrc=10.0.0.1",
        "LEEF:2.0|V|P|1|E|0x|devTime=1709251200^src=10.0.0.1",
        "LEEF:2.0|V|P|1|E|^|devTime=1709251200^src=10.0.0.1",
    ]
    result = parse_lines(LeefFormat, lines)
    assert result.records["source_line"].to_list() == [3]
    bad = result.quarantine.select("source_line", "error_code").rows()
    assert bad == [(1, "bad_delimiter"), (2, "bad_delimiter")]
    assert "'INVALID'" in result.quarantine["error_message"][0]


@pytest.mark.parametrize(
    ("line", "delimiter", "pairs"),
    [
        ("LEEF:2.0|V|P|1|E|^|a=1^b=2", "^", ["a=1", "b=2"]),
        ("LEEF:2.0|V|P|1|E||a=1\tb=2", "", ["a=1", "b=2"]),
        ("LEEF:2.0|V|P|1|E|a=1\tb=2|c", None, ["a=1", "b=2|c"]),
        ("LEEF:2.0|V|P|1|E|^", "^", []),
        ("LEEF:2.0|V|P|1|E|", "", []),
        ("LEEF:2.0|V|P|1|E", None, []),
        ("LEEF:2.0|V|P|1|E|x7C|a=1|b=2", "x7C", ["a=1", "b=2"]),
        ("LEEF:1.0|V|P|1|E|^|a=1", None, ["^|a=1"]),
    ],
)
def test_sixth_segment(line: str, delimiter: str | None, pairs: list[str]) -> None:
    """LEEF 2.0: the sixth segment is the delimiter field unless it holds an `=`."""
    fmt = LeefFormat()
    fields = fmt.fast_fields(
        pl.DataFrame({"_row": [0], "line": [line]}).cast({"_row": pl.UInt32}), None
    )
    assert fields.select("leef_delimiter", "pairs").row(0) == (delimiter, pairs)


# -- attribute splitting ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("region", "delimiter", "expected"),
    [
        ("a=1^b=2", "^", (["a=1", "b=2"], None)),
        ("url=http://x/?a=b^c=d=e", "^", (["url=http://x/?a=b", "c=d=e"], None)),
        ("a=1^^b=2^", "^", (["a=1", "b=2"], None)),
        ("^a=", "^", (["a="], None)),
        ("  a = 1  \t b=2 ", "\t", (["a= 1", "b=2"], None)),
        ("msg=one\ttwo\tk=v", "\t", (["msg=one\ttwo", "k=v"], None)),
        ("path=/a^b^^c^k=v", "^", (["path=/a^b^^c", "k=v"], None)),
        ("file name=x", "\t", (["file name=x"], None)),
        ("lead\tk=v", "\t", (["k=v"], "lead")),
        ("=v\tk=w", "\t", (["k=w"], "=v")),
        (" \t k=v", "\t", (["k=v"], None)),
        ("sev=8 cn1=37 cn1Label=Host ID", "\t", (["sev=8 cn1=37 cn1Label=Host ID"], None)),
        ("", "\t", ([], None)),
        (None, "\t", ([], None)),
    ],
)
def test_split_region(
    region: str | None, delimiter: str, expected: tuple[list[str], str | None]
) -> None:
    assert split_region(region, delimiter) == expected


def test_text_before_first_attribute_is_quarantined() -> None:
    result = parse_lines(LeefFormat, ["LEEF:1.0|V|P|1|E|oops\tdevTime=1709251200"])
    assert result.records.height == 0
    assert result.quarantine.row(0, named=True)["error_code"] == "syntax"
    assert "'oops'" in result.quarantine["error_message"][0]


# -- mapping ------------------------------------------------------------------------------


def one_record(line: str, **options: Any) -> dict[str, Any]:
    result = parse_lines(LeefFormat, [line], options=ParseOptions(**options))
    assert result.quarantine.height == 0, result.quarantine.rows()
    return result.records.row(0, named=True)


def test_byte_direction() -> None:
    """srcBytes is what the source sent (up), dstBytes what it received (down)."""
    rec = one_record("LEEF:2.0|V|P|1|E|^|devTime=1709251200^srcBytes=100^dstBytes=2000")
    assert (rec["bytes_up"], rec["bytes_down"], rec["bytes_total"]) == (100, 2000, 2100)
    only_total = one_record("LEEF:2.0|V|P|1|E|^|devTime=1709251200^totalBytes=77")
    assert (only_total["bytes_up"], only_total["bytes_total"]) == (None, 77)


def test_failed_typing_keeps_the_raw_value() -> None:
    rec = one_record("LEEF:1.0|V|P|1|E|devTime=1709251200\tdstPort=70000\tsrc=10.0.0.300\tsev=11")
    assert (rec["dst_port"], rec["src_ip"], rec["severity"]) == (None, None, None)
    extras = dict(zip(rec["extras_keys"], rec["extras_values"], strict=True))
    assert extras["dstPort"] == "70000"
    assert extras["src"] == "10.0.0.300"
    assert extras["sev"] == "11"


def test_devtime_wins_over_syslog_time_and_zone_is_applied() -> None:
    line = "<134>Mar  1 10:00:00 host LEEF:2.0|V|P|1|E|^|devTime=Mar 01 2024 12:00:00^devTimeFormat=MMM dd yyyy HH:mm:ss"
    rec = one_record(line, tz="Europe/Berlin", year=2024)
    assert rec["event_time"] == dt.datetime(2024, 3, 1, 11, 0, tzinfo=dt.UTC)
    assert rec["tz_assumed"] is True


def test_action_and_dst_host() -> None:
    rec = one_record(
        "LEEF:2.0|V|P|1|E|^|devTime=1709251200^act=Deny^url=https://Files.Slack.com:443/x"
    )
    assert (rec["action"], rec["action_raw"], rec["dst_host"]) == (
        "blocked",
        "Deny",
        "files.slack.com",
    )


def test_url_host_typing_equals_url_host() -> None:
    urls = [
        "https://U:p@Files.Slack.com:443/x/y/z?a=b", "http://[2001:db8::1]:8080/a/b", "h.example:443",
        "h.example:443/a/b", "//x.example/y", "/relative/path", "https://x.example?q=/a/b/c",
        "https://x.example#frag/a", "ftp://x.example", "mailto:a@b", "a//b//c", "", "-", None,
        "HTTPS://X.EXAMPLE./", "https:///nohost/a", "https://ex ample.com/a",
    ]  # fmt: skip
    series = pl.Series(urls, dtype=pl.String)
    expected = pl.select(nz.url_host(pl.lit(series))).to_series().to_list()
    assert type_values(LeefFormat, "dst_host", series, candidate=2).to_list() == expected


def test_detect() -> None:
    assert LeefFormat.detect(["<14>Mar  1 10:00:00 h LEEF:2.0|V|P|1|E|^|a=1"] * 3) == 1.0
    assert LeefFormat.detect(["LEEF:1.0|V|P|1|E|a=1", "CEF:0|V|P|1|1|n|5|a=1"]) == 0.5
    assert LeefFormat.detect(["LEEF:9|V", "hello"]) == 0.0
    assert LeefFormat.detect([]) == 0.0


def test_registered_through_the_plugin_manager() -> None:
    plugins = get_plugins(load_entrypoints=False)
    entry = plugins.formats()["leef"]
    assert entry.cls is LeefFormat
    assert entry.plugin == "shadowlens.formats.leef"
    info = LeefFormat.describe()
    assert any(p.startswith("attributes") for p in info["record"]["pairs"])
    assert info["grammar"].endswith("leef.lark")


# -- end to end ----------------------------------------------------------------------------

SYSLOG_LEEF = [
    "<134>Mar  1 10:00:00 wsg01 LEEF:2.0|Acme|Proxy|1.0|allowed|^|devTime=1709251200^src=10.0.0.1^url=https://drive.google.com/x^srcBytes=10^dstBytes=900^action=allow",
    "",
    "<134>Mar  1 10:00:01 wsg01 LEEF:2.0|Acme|Proxy|1.0|blocked|x5E|devTime=1709251201^src=10.0.0.2^url=https://www.dropbox.com/^srcBytes=5^dstBytes=0^action=block",
    "<134>Mar  1 10:00:02 wsg01 LEEF:2.0|Acme|Proxy|1.0|bad|NOPE|devTime=1709251202",
    "<134>Mar  1 10:00:03 wsg01 not a leef line at all",
]
PLAIN_LEEF1 = [
    "LEEF:1.0|Acme|FW|2.0|conn|devTime=1709251300\tsrc=10.1.0.1\tdst=10.2.0.1\tdstPort=443\tproto=17",
    "LEEF:1.0|Acme|FW|2.0|conn|devTime=1709251301\tsrc=10.1.0.2\tdst=10.2.0.2\tdstPort=53\tproto=udp",
]


@pytest.mark.parametrize("format_args", [[], ["--format", "leef"]], ids=["detected", "named"])
def test_cli_end_to_end(cli_subprocess, tmp_path: Path, format_args: list[str]) -> None:  # type: ignore[no-untyped-def]
    logs = tmp_path / "logs"
    logs.mkdir()
    with gzip.open(logs / "proxy.log.gz", "wt", encoding="utf-8") as fh:
        fh.write("\n".join(SYSLOG_LEEF) + "\n")
    (logs / "fw.log").write_text("\r\n".join(PLAIN_LEEF1) + "\r\n", encoding="utf-8")
    out = tmp_path / "out"
    done = cli_subprocess("parse", logs, "-o", out, "--no-progress", *format_args)
    assert done.returncode == 0, done.stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    totals = summary["totals"]
    assert totals["lines"] == 7
    assert (totals["records"], totals["quarantined"], totals["blank"]) == (4, 2, 1)
    for stats in summary["files"].values():
        assert (
            stats["lines"]
            == stats["records"] + stats["quarantined"] + stats["directives"] + stats["blank"]
        )
    records = pl.read_parquet(out / "records").sort("event_time")
    assert records["log_format"].cast(pl.String).unique().to_list() == ["leef"]
    assert records["dst_host"].to_list()[:2] == ["drive.google.com", "www.dropbox.com"]
    assert records["bytes_down"].to_list()[:2] == [900, 0]
    assert records["transport"].cast(pl.String).to_list()[2:] == ["udp", "udp"]
    quarantine = pl.read_parquet(out / "quarantine").sort("source_line")
    assert quarantine["error_code"].cast(pl.String).to_list() == ["bad_delimiter", "syntax"]
    assert {Path(str(f)).name for f in quarantine["source_file"].to_list()} == {"proxy.log.gz"}
