"""The installed plugin, through the ``shadowlens`` command in a fresh interpreter.

A new process sees the entry points as a user's shell would: this proves the
``shadowlens`` entry point, the package data (``squid.toml``, ``squid.lark``)
and detection, with no test-only registration.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

SAMPLE = [
    "1461576382.642    161 127.0.0.1 TCP_MISS/200 103701 GET http://www.cnn.com/ - DIRECT/199.27.79.73 text/html",
    "1469539185.270      0 139.196.181.68 TCP_DENIED/403 3617 CONNECT search.yahoo.com:443 - NONE/- text/html",
    "1525344856.899  16867 10.170.72.111 TCP_TUNNEL/200 6256 CONNECT logs.ap-southeast-2.amazonaws.com:443 - HIER_DIRECT/53.140.206.134 -",
    "",
    "1461576382.642 161 127.0.0.1 TCP_MISS/2000 1 GET http://a/ - DIRECT/1.2.3.4 text/html",
]


def shadowlens(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shadowlens", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    path = tmp_path / "access.log"
    path.write_text("\n".join(SAMPLE) + "\n", encoding="utf-8")
    return path


def test_listed_with_its_distribution() -> None:
    result = shadowlens("formats")
    assert result.returncode == 0, result.stderr
    assert " squid " in result.stdout
    assert "shadowlens-squid" in result.stdout


def test_show_names_the_spec_and_its_grammar() -> None:
    result = shadowlens("formats", "show", "squid", "--json")
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["plugin"] == "squid"
    assert Path(info["spec"]).name == "squid.toml"
    assert Path(info["grammar"]).name == "squid.lark"
    assert info["table"]["bytes_down"] == ["bytes (int)"]


@pytest.mark.parametrize("named", [True, False], ids=["--format squid", "detected"])
def test_parse(sample: Path, tmp_path: Path, named: bool) -> None:
    out = tmp_path / "out"
    result = shadowlens(
        "parse", str(sample), "-o", str(out), *(["--format", "squid"] if named else [])
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    totals = summary["totals"]
    assert (totals["lines"], totals["records"], totals["quarantined"], totals["blank"]) == (
        5,
        3,
        1,
        1,
    )
    assert summary["files"][str(sample)]["format"] == "squid"
    records = pl.read_parquet(out / "records")
    assert records["dst_host"].to_list() == [
        "www.cnn.com",
        "search.yahoo.com",
        "logs.ap-southeast-2.amazonaws.com",
    ]
    assert records["action"].to_list() == ["allowed", "blocked", "allowed"]
    assert records["bytes_down"].to_list() == [103701, 3617, 6256]
    quarantine = pl.read_parquet(out / "quarantine")
    assert quarantine["source_line"].to_list() == [5]
