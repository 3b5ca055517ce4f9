"""The third-party example plugin (examples/shadowlens-squid), installed and used through the CLI.

``make setup`` installs it. When it is missing these tests skip locally and
fail when the ``CI`` environment variable is set (the ``squid_entry`` fixture).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from shadowlens.plugins.manager import FormatEntry

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "shadowlens-squid"
SAMPLE = [
    "1461576382.642    161 127.0.0.1 TCP_MISS/200 103701 GET http://www.cnn.com/ - DIRECT/199.27.79.73 text/html",
    "1469539185.270      0 139.196.181.68 TCP_DENIED/403 3617 CONNECT search.yahoo.com:443 - NONE/- text/html",
    "1525344856.899  16867 10.170.72.111 TCP_TUNNEL/200 6256 CONNECT logs.ap-southeast-2.amazonaws.com:443 - HIER_DIRECT/53.140.206.134 -",
    "",
    "1461576382.642 161 127.0.0.1 TCP_MISS/2000 1 GET http://a/ - DIRECT/1.2.3.4 text/html",
]


def shadowlens(*args: str) -> subprocess.CompletedProcess[str]:
    """The real console entry in a fresh interpreter (``python -m shadowlens``)."""
    return subprocess.run(
        [sys.executable, "-m", "shadowlens", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    path = tmp_path / "sample.log"
    path.write_text("\n".join(SAMPLE) + "\n", encoding="utf-8")
    return path


def test_formats_lists_squid_with_its_distribution(squid_entry: FormatEntry) -> None:
    result = shadowlens("formats")  # a subprocess: entry points as a fresh process sees them
    assert result.returncode == 0, result.stderr
    assert " squid " in result.stdout
    assert "shadowlens-squid" in result.stdout
    assert squid_entry.version in result.stdout


def test_formats_show_squid(squid_entry: FormatEntry, cli_main) -> None:  # type: ignore[no-untyped-def]
    result = cli_main("formats", "show", "squid", "--json")
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["plugin"] == "squid"
    assert info["grammar"].endswith("shadowlens_squid/squid.lark")
    assert info["spec"].endswith("shadowlens_squid/squid.toml")
    assert "url" in info["record"]["fields"]


@pytest.mark.parametrize("named", [True, False], ids=["--format squid", "detected"])
def test_parse_produces_records(
    squid_entry: FormatEntry, sample: Path, tmp_path: Path, named: bool, cli_main
) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    args = ["parse", str(sample), "-o", str(out), *(["--format", "squid"] if named else [])]
    result = shadowlens(*args) if named else cli_main(*args)
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
    assert records["log_format"].to_list() == ["squid"] * 3
    assert records["dst_host"].to_list() == [
        "www.cnn.com",
        "search.yahoo.com",
        "logs.ap-southeast-2.amazonaws.com",
    ]
    assert records["action"].to_list() == ["allowed", "blocked", "allowed"]
    quarantine = pl.read_parquet(out / "quarantine")
    assert quarantine["source_line"].to_list() == [5]
    assert quarantine["log_format"].to_list() == ["squid"]


def test_disable_plugin_hides_squid(squid_entry: FormatEntry, sample: Path, cli_main) -> None:  # type: ignore[no-untyped-def]
    listed = cli_main("--disable-plugin", "squid", "formats")
    assert listed.returncode == 0, listed.stderr
    assert " squid " not in listed.stdout
    parsed = cli_main("--disable-plugin", "squid", "parse", str(sample), "--format", "squid")
    assert parsed.returncode == 2
    assert "unknown format 'squid'" in parsed.stderr
    assert "Traceback" not in parsed.stderr


def test_the_example_passes_its_own_test_suite(squid_entry: FormatEntry) -> None:
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
    env = {**os.environ, "CI": ci, "SHADOWLENS_DISABLE_PLUGINS": "squid"}
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
