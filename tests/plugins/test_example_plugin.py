"""The third-party example plugin (examples/shadowlens-stormshield), installed and used through the CLI.

``make setup`` installs it. When it is missing these tests skip locally and
fail when the ``CI`` environment variable is set (the ``example_entry`` fixture).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from cli_harness import Cli
from shadowlens.plugins.manager import FormatEntry

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "shadowlens-stormshield"
SAMPLE = [
    'id=firewall time="2025-11-26 11:15:02" fw="SN310A17C0000001" tz=+0100 ipproto=tcp proto=https src=10.1.2.3 dst=203.0.113.7 dstport=443 sent=5120 rcvd=300 action=pass logtype="connection"',
    'id=firewall time="2025-11-26 11:15:03" fw="fw01" tz=+0100 ipproto=tcp proto=http src=10.1.2.4 dst=198.51.100.9 dstport=80 user="alice" op="POST" result=403 dstname=files.example.com sent=88000 rcvd=512 action=block logtype="web"',
    '<134>Nov 26 10:15:04 fw01 id=firewall time="2025-11-26 11:15:04" tz=+0100 src=10.1.2.5 dst=192.0.2.1 dstport=22 sent=10 rcvd=6256 action=pass logtype="connection"',
    "",
    'id=firewall time="2025-11-26 11:15:07" tz=+0100 msg="unterminated',
]


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    path = tmp_path / "sample.log"
    path.write_text("\n".join(SAMPLE) + "\n", encoding="utf-8")
    return path


def test_formats_lists_stormshield_with_its_distribution(
    example_entry: FormatEntry, cli_subprocess: Cli
) -> None:
    result = cli_subprocess("formats")  # a subprocess: entry points as a fresh process sees them
    assert result.returncode == 0, result.stderr
    assert " stormshield " in result.stdout
    assert "shadowlens-stormshield" in result.stdout
    assert example_entry.version in result.stdout


def test_formats_show_stormshield(example_entry: FormatEntry, cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("formats", "show", "stormshield", "--json")
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["plugin"] == "stormshield"
    assert info["grammar"].endswith("shadowlens_stormshield/stormshield.lark")
    assert info["spec"].endswith("shadowlens_stormshield/stormshield.toml")
    assert info["record"]["marker"] == "id=firewall"
    assert info["record"]["pairs"] == ["pairs: one SNS_PAIR per pair, key=value"]


@pytest.mark.parametrize("named", [True, False], ids=["--format stormshield", "detected"])
def test_parse_produces_records(
    example_entry: FormatEntry, sample: Path, tmp_path: Path, named: bool, cli, cli_subprocess
) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    args = ["parse", str(sample), "-o", str(out), *(["--format", "stormshield"] if named else [])]
    result = cli_subprocess(*args) if named else cli(*args)
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
    assert records["log_format"].to_list() == ["stormshield"] * 3
    assert records["dst_host"].to_list() == [None, "files.example.com", None]
    assert records["bytes_up"].to_list() == [5120, 88000, 10]
    assert records["action"].to_list() == ["allowed", "blocked", "allowed"]
    quarantine = pl.read_parquet(out / "quarantine")
    assert quarantine["source_line"].to_list() == [5]
    assert quarantine["log_format"].to_list() == ["stormshield"]


def test_disable_plugin_hides_stormshield(example_entry: FormatEntry, sample: Path, cli) -> None:  # type: ignore[no-untyped-def]
    listed = cli("--disable-plugin", "stormshield", "formats")
    assert listed.returncode == 0, listed.stderr
    assert " stormshield " not in listed.stdout
    parsed = cli("--disable-plugin", "stormshield", "parse", str(sample), "--format", "stormshield")
    assert parsed.returncode == 2
    assert "unknown format 'stormshield'" in parsed.stderr
    assert "Traceback" not in parsed.stderr


def test_the_example_passes_its_own_test_suite(example_entry: FormatEntry) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=EXAMPLE,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert " passed" in result.stdout


@pytest.mark.parametrize(("ci", "outcome"), [("1", "error"), ("", "skipped")])
def test_missing_plugin_fails_under_ci_and_skips_otherwise(ci: str, outcome: str) -> None:
    env = {**os.environ, "CI": ci, "SHADOWLENS_DISABLE_PLUGINS": "stormshield"}
    if not ci:
        env.pop("CI")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-k",
            "formats_show",
            __file__,
        ],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        timeout=120,
    )
    assert f"1 {outcome}" in result.stdout, result.stdout[-2000:]
    assert result.returncode == (1 if ci else 0)
