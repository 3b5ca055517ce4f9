"""The parse pipeline: line accounting, broken plugins, bounded chunks, order.

A small vectorized format defined here keeps these tests about the pipeline,
not about any real log format.
"""

from __future__ import annotations

import gzip
import json
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import polars as pl
import pytest

import shadowlens
from shadowlens import LogFormat, ParseOptions, ParseResult, PluginError
from shadowlens.engine.pipeline import RunConfig, run_parse
from shadowlens.parsers.base import QUARANTINE_ROWS_SCHEMA
from shadowlens.plugins.manager import get_plugins

TOY = r"^(?P<epoch>[0-9]{10}) (?P<host>[a-z0-9.-]+)$"


class Toy(LogFormat):
    """``<epoch seconds> <host>`` lines; ``#`` lines are directives; the rest is quarantined."""

    name: ClassVar[str] = "toy"
    description: ClassVar[str] = "test format"
    seen: ClassVar[list[pl.DataFrame]] = []

    @classmethod
    def detect(cls, sample: Sequence[str]) -> float:
        return sum(1 for s in sample if s[:1].isdigit()) / max(1, len(sample))

    def parse(self, lines: pl.DataFrame, state: Any) -> ParseResult:
        type(self).seen.append(lines)
        directive = pl.col("line").str.starts_with("#")
        fields = lines.with_columns(pl.col("line").str.extract_groups(TOY).alias("m")).unnest("m")
        ok = fields.filter(pl.col("epoch").is_not_null())
        bad = fields.filter(pl.col("epoch").is_null() & ~directive)
        records = ok.select(
            pl.from_epoch(pl.col("epoch").cast(pl.Int64))
            .dt.replace_time_zone("UTC")
            .alias("event_time"),
            pl.col("host").alias("dst_host"),
            "source_line",
            "source_offset",
        )
        quarantine = bad.select(
            "source_line",
            "source_offset",
            pl.lit("syntax").alias("error_code"),
            pl.lit("not toy").alias("error_message"),
            pl.col("line").alias("raw"),
        ).cast(QUARANTINE_ROWS_SCHEMA)
        return ParseResult(records, quarantine, directives=lines.filter(directive).height)


class Dropper(Toy):
    """A broken format: it forgets every line it cannot parse."""

    name: ClassVar[str] = "dropper"

    @classmethod
    def detect(cls, sample: Sequence[str]) -> float:
        return 0.0

    def parse(self, lines: pl.DataFrame, state: Any) -> ParseResult:
        result = super().parse(lines, state)
        return ParseResult(result.records, result.quarantine.head(0), result.directives)


class Stateful(Toy):
    """Remembers the last line number it saw: chunks must arrive in order."""

    name: ClassVar[str] = "stateful"

    @classmethod
    def detect(cls, sample: Sequence[str]) -> float:
        return 0.0

    def new_state(self) -> dict[str, int]:
        return {"last": 0}

    def parse(self, lines: pl.DataFrame, state: Any) -> ParseResult:
        first = int(lines["source_line"].min() or 0)
        assert first > state["last"], "chunks out of order"
        state["last"] = int(lines["source_line"].max() or 0)
        return super().parse(lines, state)


class TestPlugin:
    @shadowlens.hookimpl
    def register_formats(self) -> list[type[LogFormat]]:
        return [Toy, Dropper, Stateful]


def config(tmp_path: Path, inputs: list[Path], **kwargs: Any) -> RunConfig:
    plugins = get_plugins(load_entrypoints=False, extra=[TestPlugin()])
    return RunConfig(
        inputs=[str(p) for p in inputs], out_dir=tmp_path / "out", plugins=plugins, **kwargs
    )


def toy_lines(n: int, start: int = 0) -> list[str]:
    return [f"{1_700_000_000 + start + i} host{i % 7}.example" for i in range(n)]


@pytest.fixture
def mixed(tmp_path: Path) -> list[Path]:
    """Three files (plain, gzip, zip) mixing records, directives, blanks and junk."""
    body = "\n".join(["#header", *toy_lines(50), "", "junk line", "  ", *toy_lines(30, 50)])
    plain = tmp_path / "a.log"
    plain.write_text(body + "\n", encoding="utf-8")
    packed = tmp_path / "b.log.gz"
    packed.write_bytes(gzip.compress((body + "\r\nlast without newline").encode()))
    archive = tmp_path / "c.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("one.log", body)
        zf.writestr("two.log", "\n\n\n")
    return [plain, packed, archive]


@pytest.mark.parametrize("chunk_bytes", [64, 1000, 1 << 20])
def test_every_line_is_accounted_for_per_file(
    tmp_path: Path, mixed: list[Path], chunk_bytes: int
) -> None:
    summary = run_parse(config(tmp_path, mixed, format="toy", chunk_bytes=chunk_bytes))
    files = summary["files"]
    assert len(files) == 4
    for name, stats in files.items():
        assert stats["lines"] == (
            stats["records"] + stats["quarantined"] + stats["directives"] + stats["blank"]
        ), name
    plain = files[str(mixed[0])]
    assert (plain["lines"], plain["records"], plain["quarantined"], plain["blank"]) == (
        84,
        80,
        1,
        2,
    )
    assert files[f"{mixed[2]}!/two.log"]["blank"] == 3
    assert files[str(mixed[1])]["quarantined"] == 2  # junk + the unterminated last line
    totals = summary["totals"]
    for key in ("lines", "records", "quarantined", "directives", "blank"):
        assert totals[key] == sum(stats[key] for stats in files.values())
    written = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert written["totals"] == totals
    assert pl.read_parquet(tmp_path / "out" / "records").height == totals["records"]
    assert pl.read_parquet(tmp_path / "out" / "quarantine").height == totals["quarantined"]


def test_a_format_that_loses_lines_fails_the_run_naming_it(
    tmp_path: Path, mixed: list[Path]
) -> None:
    with pytest.raises(PluginError) as info:
        run_parse(config(tmp_path, mixed[:1], format="dropper"))
    message = str(info.value)
    assert info.value.plugin == "dropper"
    assert "'dropper'" in message
    assert "lost 1 line(s)" in message
    assert str(mixed[0]) in message


def test_detection_and_unrecognised_files(tmp_path: Path) -> None:
    toy = tmp_path / "toy.log"
    toy.write_text("\n".join(toy_lines(5)) + "\n", encoding="utf-8")
    other = tmp_path / "other.log"
    other.write_text("hello\nworld\n", encoding="utf-8")
    summary = run_parse(config(tmp_path, [toy, other]))
    assert summary["files"][str(toy)]["format"] == "toy"
    assert summary["files"][str(toy)]["records"] == 5
    unknown = summary["files"][str(other)]
    assert (unknown["format"], unknown["quarantined"]) == (None, 2)
    codes = pl.read_parquet(tmp_path / "out" / "quarantine")["error_code"].unique().to_list()
    assert codes == ["no_format"]


def test_lossy_utf8_is_flagged_in_extras(tmp_path: Path) -> None:
    path = tmp_path / "bad.log"
    path.write_bytes(b"1700000000 ok.example\n1700000001 bad\xff.example\n")
    summary = run_parse(config(tmp_path, [path], format="toy"))
    assert summary["totals"]["lossy_utf8"] == 1
    assert summary["totals"]["quarantined"] == 1  # the mangled host no longer matches


def test_chunk_size_bounds_the_frames_a_format_sees(tmp_path: Path) -> None:
    path = tmp_path / "big.log"
    path.write_text("\n".join(toy_lines(20_000)) + "\n", encoding="utf-8")
    chunk_bytes = 32 * 1024
    Toy.seen.clear()
    summary = run_parse(config(tmp_path, [path], format="toy", chunk_bytes=chunk_bytes))
    assert summary["totals"]["records"] == 20_000
    sizes = [frame["line"].str.len_bytes().sum() + frame.height for frame in Toy.seen]
    assert len(sizes) >= path.stat().st_size // (2 * chunk_bytes)
    assert max(sizes) <= 2 * chunk_bytes
    assert max(frame.estimated_size() for frame in Toy.seen) < 8 * chunk_bytes


@pytest.mark.parametrize("workers", [1, 3])
def test_records_keep_file_order_with_workers(tmp_path: Path, workers: int) -> None:
    path = tmp_path / "ordered.log"
    path.write_text("\n".join(toy_lines(3000)) + "\n", encoding="utf-8")
    run_parse(config(tmp_path, [path], format="toy", chunk_bytes=2048, workers=workers))
    lines = pl.read_parquet(tmp_path / "out" / "records")["source_line"].to_list()
    assert lines == list(range(1, 3001))


def test_stateful_formats_get_chunks_in_order(tmp_path: Path) -> None:
    path = tmp_path / "state.log"
    path.write_text("\n".join(toy_lines(2000)) + "\n", encoding="utf-8")
    summary = run_parse(config(tmp_path, [path], format="stateful", chunk_bytes=1024, workers=3))
    assert summary["totals"]["records"] == 2000


def test_options_reach_the_format(tmp_path: Path, mixed: list[Path]) -> None:
    with pytest.raises(shadowlens.ConfigError, match="does not accept option"):
        run_parse(
            config(tmp_path, mixed[:1], format="toy", options=ParseOptions(options={"x": "1"}))
        )
