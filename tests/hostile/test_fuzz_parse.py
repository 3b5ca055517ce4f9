"""Fuzz the whole parse path: mutated bytes, line ends, compressions and archive layouts.

Whatever the input, a run either finishes with every line accounted for
(lines = records + quarantined + directives + blank, per file and in total,
and the same counts on disk), or stops with an :class:`InputError` when no log
file is left; it never crashes and never hangs. Bounded: ``max_examples``
keeps the run under a minute on a 2-core machine.
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import tempfile
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from backports import zstd
from hostile_kit import cef_line
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shadowlens.engine.pipeline import RunConfig, run_parse
from shadowlens.errors import InputError
from shadowlens.plugins.manager import get_plugins

LINES = [
    cef_line(1),
    cef_line(2, host="x.example"),
    "CEF:0|broken|header",
    "LEEF:1.0|Acme|FW|1.0|100|src=10.0.0.1\tdst=10.0.0.2\tusrName=bob",
    "#Fields: date time c-ip cs-method cs-uri-stem sc-status",
    "2026-03-01 10:00:00 10.0.0.1 GET /a 200",
    "<134>Mar  1 10:00:00 fw1 junk",
    "plain text preamble",
    "",
    "   ",
    "\x00\x00",
    "ünïcödé ✓",
]
ENDS = ["\n", "\r\n", "\r"]
COMPRESS: dict[str, Callable[[bytes], bytes]] = {
    "plain": lambda b: b,
    "gz": gzip.compress,
    "bz2": bz2.compress,
    "xz": lambda b: lzma.compress(b, preset=0),
    "zst": zstd.compress,
}


@st.composite
def payloads(draw: st.DrawFn) -> bytes:
    lines = draw(st.lists(st.sampled_from(LINES), max_size=40))
    ends = draw(st.lists(st.sampled_from(ENDS), min_size=len(lines), max_size=len(lines)))
    data = bytearray("".join(a + b for a, b in zip(lines, ends, strict=True)).encode())
    for _ in range(draw(st.integers(0, 3))):  # byte mutations
        if data:
            at = draw(st.integers(0, len(data) - 1))
            data[at] = draw(st.integers(0, 255))
    if draw(st.booleans()):
        data += draw(st.binary(max_size=20))
    return bytes(data)


@st.composite
def files(draw: st.DrawFn) -> bytes:
    data = COMPRESS[draw(st.sampled_from(sorted(COMPRESS)))](draw(payloads()))
    cut = draw(st.sampled_from(["whole", "whole", "truncated", "garbage"]))
    if cut == "truncated" and data:
        return data[: draw(st.integers(0, len(data) - 1))]
    if cut == "garbage":
        return data + draw(st.binary(min_size=1, max_size=16))
    return data


@st.composite
def layouts(draw: st.DrawFn) -> dict[str, bytes]:
    """Relative path -> bytes: plain files, nested folders, zips (duplicate names too)."""
    out: dict[str, bytes] = {}
    for i in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["file", "nested", "zip"]))
        if kind == "zip":
            buffer = io.BytesIO()
            names = draw(st.lists(st.sampled_from(["a.log", "b.log", "d/c.log"]), max_size=3))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # duplicate names on purpose
                with zipfile.ZipFile(buffer, "w") as zf:
                    for name in names:
                        zf.writestr(name, draw(files()))
            data = buffer.getvalue()
            if draw(st.booleans()) and data:
                data = data[: draw(st.integers(0, len(data) - 1))]
            out[f"z{i}.zip"] = data
        else:
            out[f"{'sub/' if kind == 'nested' else ''}f{i}.log"] = draw(files())
    return out


PLUGINS = get_plugins()


def _check(out: Path, summary: dict[str, Any]) -> None:
    on_disk = json.loads((out / "summary.json").read_text())
    assert on_disk["totals"] == summary["totals"]
    for stats in [*summary["files"].values(), summary["totals"]]:
        parts = stats["records"] + stats["quarantined"] + stats["directives"] + stats["blank"]
        assert stats["lines"] == parts, stats
    records = pl.read_parquet(out / "records")
    quarantine = pl.read_parquet(out / "quarantine")
    assert records.height == summary["totals"]["records"]
    assert quarantine.height == summary["totals"]["quarantined"]
    for name, stats in summary["files"].items():
        made = records.filter(pl.col("source_file") == name)
        held = quarantine.filter(pl.col("source_file") == name)
        assert (made.height, held.height) == (stats["records"], stats["quarantined"]), name
        lines = pl.concat([made["source_line"], held["source_line"]])
        assert lines.n_unique() == lines.len()  # no line twice
        assert lines.len() == 0 or 1 <= lines.min() <= lines.max() <= stats["lines"]  # type: ignore[operator]


@pytest.mark.timeout(300)
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(layouts(), st.sampled_from([256, 4096, 1 << 20]))
def test_any_archive_is_parsed_or_refused_cleanly(layout: dict[str, bytes], chunk: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "in"
        for rel, data in layout.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        out = Path(tmp) / "out"
        config = RunConfig(
            inputs=[str(root)],
            out_dir=out,
            plugins=PLUGINS,
            chunk_bytes=chunk,
            workers=2,
            warn=lambda _message: None,
        )
        try:
            summary = run_parse(config)
        except InputError as exc:
            message = str(exc)
        else:
            _check(out, summary)
            listed = {*summary["files"], *summary["skipped_files"], *summary["failed_files"]}
            assert listed  # every input is somewhere
            return
        # Refused: nothing to read, or the only file (or every file) failed, named.
        reasons = ("no log file among the inputs", "no input file found", "every input file failed")
        assert message.startswith(str(root)) or any(r in message for r in reasons), message
