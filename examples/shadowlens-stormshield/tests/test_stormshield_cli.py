"""The installed plugin, through the ``shadowlens`` command in a fresh interpreter.

A new process sees the entry points as a user's shell would: this proves the
``shadowlens`` entry point, the package data (``stormshield.toml``, ``stormshield.lark``)
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
    'id=firewall time="2025-11-26 11:15:02" fw="SN310A17C0000001" tz=+0100 ipproto=tcp proto=https src=10.1.2.3 dst=203.0.113.7 dstport=443 sent=5120 rcvd=300 action=pass logtype="connection"',
    'id=firewall time="2025-11-26 11:15:03" fw="fw01" tz=+0100 ipproto=tcp proto=http src=10.1.2.4 dst=198.51.100.9 dstport=80 user="alice" op="POST" result=403 dstname=files.example.com sent=88000 rcvd=512 action=block logtype="web"',
    '<134>Nov 26 10:15:04 fw01 id=firewall time="2025-11-26 11:15:04" tz=+0100 src=10.1.2.5 dst=192.0.2.1 dstport=22 sent=10 rcvd=6256 action=pass logtype="connection"',
    "",
    'id=firewall time="2025-11-26 11:15:07" tz=+0100 msg="unterminated',
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
    path = tmp_path / "l_connection.log"
    path.write_text("\n".join(SAMPLE) + "\n", encoding="utf-8")
    return path


def test_listed_with_its_distribution() -> None:
    result = shadowlens("formats")
    assert result.returncode == 0, result.stderr
    assert " stormshield " in result.stdout
    assert "shadowlens-stormshield" in result.stdout


def test_show_names_the_spec_and_its_grammar() -> None:
    result = shadowlens("formats", "show", "stormshield", "--json")
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["plugin"] == "stormshield"
    assert Path(info["spec"]).name == "stormshield.toml"
    assert Path(info["grammar"]).name == "stormshield.lark"
    assert info["table"]["bytes_down"] == ["rcvd (int)"]


@pytest.mark.parametrize("named", [True, False], ids=["--format stormshield", "detected"])
def test_parse(sample: Path, tmp_path: Path, named: bool) -> None:
    out = tmp_path / "out"
    result = shadowlens(
        "parse", str(sample), "-o", str(out), *(["--format", "stormshield"] if named else [])
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
    assert summary["files"][str(sample)]["format"] == "stormshield"
    records = pl.read_parquet(out / "records")
    assert records["dst_host"].to_list() == [None, "files.example.com", None]
    assert records["action"].to_list() == ["allowed", "blocked", "allowed"]
    assert records["bytes_down"].to_list() == [300, 512, 6256]
    quarantine = pl.read_parquet(out / "quarantine")
    assert quarantine["source_line"].to_list() == [5]
