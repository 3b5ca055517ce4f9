"""Hostile inputs for the whole parse path, built at test time, and how to run them.

Everything goes through the real pipeline with the built-in formats: real
files, real FIFOs, real archives; nothing is mocked.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl

from cli_harness import cli_command
from shadowlens.engine.pipeline import RunConfig, run_parse

#: The ``cli`` fixture of tests/conftest.py: ``shadowlens ARGS`` in-process.
CliMain = Callable[..., Any]


def cef_line(i: int, host: str = "files.example.com") -> str:
    """One CEF event with a distinct time, source port and host."""
    return (
        f"CEF:0|Acme|Proxy|1.0|100|Allowed|3|rt={1_700_000_000_000 + i * 1000} "
        f"src=10.0.0.{i % 250 + 1} spt={1000 + i} dhost={host} in={i} out={2 * i}"
    )


def cef_body(n: int, start: int = 0, end: str = "\n") -> bytes:
    """``n`` CEF events, each followed by ``end``."""
    return "".join(cef_line(i) + end for i in range(start, start + n)).encode()


def parse(tmp_path: Path, inputs: list[Path | str], **kwargs: Any) -> dict[str, Any]:
    """``shadowlens parse INPUTS`` through the library; the summary it wrote."""
    out = tmp_path / "out"
    run_parse(RunConfig(inputs=[str(p) for p in inputs], out_dir=out, workers=1, **kwargs))
    summary: dict[str, Any] = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return summary


def records(tmp_path: Path) -> pl.DataFrame:
    """The records a run wrote."""
    return pl.read_parquet(tmp_path / "out" / "records")


def quarantine(tmp_path: Path) -> pl.DataFrame:
    """The quarantined lines a run wrote."""
    return pl.read_parquet(tmp_path / "out" / "quarantine")


def balanced(summary: dict[str, Any]) -> bool:
    """Every parsed file and the totals satisfy lines = records + quarantined + directives + blank."""
    parts = [*summary["files"].values(), summary["totals"]]
    return all(
        s["lines"] == s["records"] + s["quarantined"] + s["directives"] + s["blank"] for s in parts
    )


def shadowlens(*args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """``shadowlens ARGS`` in a real subprocess (pipes, standard input, signals)."""
    kwargs.setdefault("timeout", 120)
    return subprocess.run(
        cli_command(*args),
        capture_output=True,
        text=True,
        check=False,
        **kwargs,
    )
