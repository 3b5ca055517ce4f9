"""The parse pipeline: line accounting, broken plugins, bounded chunks, order.

A small vectorized format defined here keeps these tests about the pipeline,
not about any real log format.
"""

from __future__ import annotations

import gc
import gzip
import json
import threading
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import polars as pl
import pyarrow as pa
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


class Advancing(Toy):
    """Stateful, but tells its state after a chunk without parsing it: chunks may overlap.

    The first two chunks wait for each other, so a run that parses them one at a
    time fails (the barrier breaks) instead of passing.
    """

    name: ClassVar[str] = "advancing"
    barrier: ClassVar[threading.Barrier] = threading.Barrier(2, timeout=20)
    calls: ClassVar[list[int]] = []
    lock: ClassVar[threading.Lock] = threading.Lock()

    @classmethod
    def detect(cls, sample: Sequence[str]) -> float:
        return 0.0

    def new_state(self) -> dict[str, int]:
        return {"last": 0}

    def advance_state(self, lines: pl.DataFrame, state: Any) -> Any:
        return {"last": int(lines["source_line"].max() or state["last"])}

    def parse(self, lines: pl.DataFrame, state: Any) -> ParseResult:
        # Each chunk starts right after the line its starting state names.
        assert int(lines["source_line"].min() or 0) == state["last"] + 1, "wrong state"
        with self.lock:
            self.calls.append(len(self.calls))
            first_two = len(self.calls) <= 2
        if first_two:
            self.barrier.wait()
        return super().parse(lines, state)


class Untimed(Toy):
    """Toy lines whose epoch may be ``-`` (no usable time: a record with a null time).

    Hosts starting with ``y`` stand for events whose date had no year, so the
    format reports them in ``ParseResult.year_assumed``.
    """

    name: ClassVar[str] = "untimed"

    @classmethod
    def detect(cls, sample: Sequence[str]) -> float:
        return 0.0

    def parse(self, lines: pl.DataFrame, state: Any) -> ParseResult:
        dash = pl.col("line").str.starts_with("- ")
        stamped = lines.with_columns(
            pl.when(dash)
            .then(pl.lit("0000000000 ") + pl.col("line").str.slice(2))
            .otherwise(pl.col("line"))
            .alias("line")
        )
        result = super().parse(stamped, state)
        records = result.records.with_columns(
            pl.when(pl.col("source_line").is_in(lines.filter(dash)["source_line"].implode()))
            .then(None)
            .otherwise(pl.col("event_time"))
            .alias("event_time")
        )
        yearless = records.filter(pl.col("dst_host").str.starts_with("y")).height
        return ParseResult(records, result.quarantine, result.directives, year_assumed=yearless)


class Timeless(Toy):
    """A format that never gives a time: its records have no ``event_time`` column."""

    name: ClassVar[str] = "timeless"

    @classmethod
    def detect(cls, sample: Sequence[str]) -> float:
        return 0.0

    def parse(self, lines: pl.DataFrame, state: Any) -> ParseResult:
        result = super().parse(lines, state)
        return ParseResult(result.records.drop("event_time"), result.quarantine, result.directives)


class Rendezvous(Toy):
    """Toy lines; a chunk of ``first`` hosts waits (bounded) until a ``second`` chunk is parsed."""

    name: ClassVar[str] = "rendezvous"
    second_started: ClassVar[threading.Event] = threading.Event()
    overlapped: ClassVar[list[bool]] = []

    @classmethod
    def detect(cls, sample: Sequence[str]) -> float:
        return 0.0

    def parse(self, lines: pl.DataFrame, state: Any) -> ParseResult:
        hosts = lines["line"].str.contains("second", literal=True)
        if hosts.any():
            type(self).second_started.set()
        else:
            type(self).overlapped.append(type(self).second_started.wait(timeout=30))
        return super().parse(lines, state)


class TestPlugin:
    @shadowlens.hookimpl
    def register_formats(self) -> list[type[LogFormat]]:
        return [Toy, Dropper, Stateful, Advancing, Untimed, Timeless, Rendezvous]


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
    # A file no format recognises is skipped with its reason, not quarantined line by line.
    assert str(other) not in summary["files"]
    assert summary["skipped_files"] == {
        str(other): {
            "reason": "no registered format recognises its first 2 line(s); name one with --format"
        }
    }
    assert summary["totals"]["files_skipped"] == 1
    assert pl.read_parquet(tmp_path / "out" / "quarantine").height == 0


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


def test_the_next_file_is_parsed_while_the_previous_one_finishes(tmp_path: Path) -> None:
    """Two one-chunk files and two workers: both parse at once, committed in file order."""
    first, second = tmp_path / "1.log", tmp_path / "2.log"
    first.write_text("\n".join(f"{1_700_000_000 + i} first.example" for i in range(5000)) + "\n")
    second.write_text("\n".join(f"{1_700_000_000 + i} second.example" for i in range(5000)) + "\n")
    Rendezvous.second_started.clear()
    Rendezvous.overlapped.clear()
    summary = run_parse(config(tmp_path, [first, second], format="rendezvous", workers=2))
    assert Rendezvous.overlapped == [True]
    assert list(summary["files"]) == [str(first), str(second)]
    assert [f["records"] for f in summary["files"].values()] == [5000, 5000]
    records = pl.read_parquet(tmp_path / "out" / "records")
    assert records["dst_host"].to_list() == ["first.example"] * 5000 + ["second.example"] * 5000


def test_stateful_formats_get_chunks_in_order(tmp_path: Path) -> None:
    path = tmp_path / "state.log"
    path.write_text("\n".join(toy_lines(2000)) + "\n", encoding="utf-8")
    summary = run_parse(config(tmp_path, [path], format="stateful", chunk_bytes=1024, workers=3))
    assert summary["totals"]["records"] == 2000


def test_stateful_formats_that_advance_their_state_parse_chunks_concurrently(
    tmp_path: Path,
) -> None:
    path = tmp_path / "state.log"
    path.write_text("\n".join(toy_lines(2000)) + "\n", encoding="utf-8")
    summary = run_parse(config(tmp_path, [path], format="advancing", chunk_bytes=1024, workers=2))
    assert summary["totals"]["records"] == 2000
    assert len(Advancing.calls) > 2
    records = pl.read_parquet(tmp_path / "out" / "records")
    assert records["source_line"].to_list() == list(range(1, 2001))


def test_options_reach_the_format(tmp_path: Path, mixed: list[Path]) -> None:
    with pytest.raises(shadowlens.ConfigError, match="does not accept option"):
        run_parse(
            config(tmp_path, mixed[:1], format="toy", options=ParseOptions(options={"x": "1"}))
        )


def test_an_event_without_a_usable_time_is_an_untimed_record(tmp_path: Path) -> None:
    path = tmp_path / "untimed.log"
    body = ["#header", *toy_lines(3), "- nodate.example", "", "junk line"]
    path.write_text("\n".join(body) + "\n", encoding="utf-8")
    summary = run_parse(config(tmp_path, [path], format="untimed"))
    stats = summary["files"][str(path)]
    assert (stats["records"], stats["untimed"], stats["quarantined"]) == (4, 1, 1)
    assert stats["lines"] == (
        stats["records"] + stats["quarantined"] + stats["directives"] + stats["blank"]
    )
    assert (summary["totals"]["untimed"], summary["totals"]["year_assumed"]) == (1, 0)
    written = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert written["totals"]["untimed"] == 1
    assert written["files"][str(path)]["untimed"] == 1
    records = pl.read_parquet(tmp_path / "out" / "records")
    assert records.height == 4
    untimed = records.filter(pl.col("event_time").is_null())
    assert untimed["dst_host"].to_list() == ["nodate.example"]
    assert untimed["source_line"].to_list() == [5]
    quarantine = pl.read_parquet(tmp_path / "out" / "quarantine")
    assert quarantine["error_code"].cast(pl.String).to_list() == ["syntax"]


@pytest.mark.parametrize("workers", [1, 3])
def test_untimed_and_year_assumed_add_up_over_chunks_and_files(
    tmp_path: Path, workers: int
) -> None:
    paths = []
    for name in ("a.log", "b.log"):
        lines = [
            f"- host{i}.example"
            if i % 5 == 0
            else f"{1_700_000_000 + i} {'y' if i % 3 == 0 else 'h'}{i}.example"
            for i in range(600)
        ]
        path = tmp_path / name
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(path)
    summary = run_parse(
        config(tmp_path, paths, format="untimed", chunk_bytes=1024, workers=workers)
    )
    untimed_per_file = sum(1 for i in range(600) if i % 5 == 0)
    yearless_per_file = sum(1 for i in range(600) if i % 5 and i % 3 == 0)
    for path in paths:
        stats = summary["files"][str(path)]
        assert (stats["records"], stats["untimed"]) == (600, untimed_per_file)
        assert stats["year_assumed"] == yearless_per_file
    totals = summary["totals"]
    assert (totals["untimed"], totals["year_assumed"]) == (
        2 * untimed_per_file,
        2 * yearless_per_file,
    )
    records = pl.read_parquet(tmp_path / "out" / "records")
    assert records["event_time"].null_count() == totals["untimed"]


def test_a_format_without_event_time_gives_untimed_records(tmp_path: Path) -> None:
    path = tmp_path / "timeless.log"
    path.write_text("\n".join(toy_lines(4)) + "\n", encoding="utf-8")
    summary = run_parse(config(tmp_path, [path], format="timeless"))
    assert (summary["totals"]["records"], summary["totals"]["untimed"]) == (4, 4)
    assert summary["totals"]["quarantined"] == 0
    assert pl.read_parquet(tmp_path / "out" / "records")["event_time"].null_count() == 4


def test_untimed_records_go_through_enrichment_and_the_report(tmp_path: Path) -> None:
    from shadowlens.engine.job import JobConfig, run_job

    path = tmp_path / "untimed.log"
    path.write_text("- files.slack.com\n- nodate.example\n", encoding="utf-8")
    plugins = get_plugins(load_entrypoints=False, extra=[TestPlugin()])
    out = tmp_path / "out"
    summary = run_job(JobConfig(inputs=[str(path)], out_dir=out, format="untimed", plugins=plugins))
    assert (summary["totals"]["records"], summary["totals"]["untimed"]) == (2, 2)
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["totals"]["transactions"] == 2
    assert report["totals"]["time_range"] == {"first": None, "last": None, "days": 0}
    assert report["timeline"] == []
    assert report["parse_quality"]["totals"]["untimed"] == 2


def test_the_gc_runs_less_often_during_a_parse_and_is_restored(tmp_path: Path) -> None:
    path = tmp_path / "a.log"
    path.write_text("\n".join(toy_lines(100)) + "\n", encoding="utf-8")
    before = gc.get_threshold()
    seen: list[int] = []

    def transform(records: pl.DataFrame) -> pl.DataFrame:
        seen.append(gc.get_threshold()[0])
        return records

    run_parse(config(tmp_path, [path], format="toy", transform=transform))
    assert seen
    assert min(seen) >= 20_000
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
    path.write_text("junk\n", encoding="utf-8")
    with pytest.raises(PluginError):
        run_parse(config(tmp_path, [path], format="dropper", overwrite=True))
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_a_run_uses_the_system_arrow_pool_unless_one_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "a.log"
    path.write_text("\n".join(toy_lines(10)) + "\n", encoding="utf-8")
    saved = pa.default_memory_pool()
    try:
        pa.set_memory_pool(pa.mimalloc_memory_pool())
        monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", "mimalloc")
        run_parse(config(tmp_path, [path], format="toy"))
        assert pa.default_memory_pool().backend_name == "mimalloc"
        monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL")
        run_parse(config(tmp_path, [path], format="toy", overwrite=True))
        assert pa.default_memory_pool().backend_name == "system"
    finally:
        pa.set_memory_pool(saved)
