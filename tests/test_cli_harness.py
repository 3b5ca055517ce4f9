"""The suite's own rules: test data from outside the checkout through one path rule, and
the command line driven through one harness (``cli`` / ``cli_subprocess``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cli_harness import ROOT, shared_path

TESTS = ROOT / "tests"
HARNESS = TESTS / "cli_harness.py"
SOURCES = sorted(p for p in TESTS.rglob("*.py") if p != HARNESS and p != Path(__file__))

#: What only the harness may do, and why.
FORBIDDEN = {
    "an absolute path": re.compile(r"""["'](/work|/home|/tmp|/root)/"""),
    "the shared folder by hand (use shared_path)": re.compile(
        r"""["']shared["']|parents\[\d\]\s*/\s*["']shared|SHADOWLENS_PEER_VECTORS"""
    ),
    "the CLI through typer's runner (use the cli fixture)": re.compile(r"CliRunner\(\)"),
    "the console entry by hand (use cli_subprocess)": re.compile(r"""["']-m["'],\s*["']shadowlens["']"""),
    "the retired cli_main fixture": re.compile(r"\bcli_main\b"),
}  # fmt: skip


@pytest.mark.parametrize("rule", sorted(FORBIDDEN))
def test_one_way_to_data_and_to_the_cli(rule: str) -> None:
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in SOURCES
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if FORBIDDEN[rule].search(line)
    ]
    assert not found, f"{rule}: {found}"


def test_shared_path_follows_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("SHADOWLENS_SHARED", raising=False)
    assert shared_path("peer-vectors") == ROOT.parent / "shared" / "peer-vectors"
    monkeypatch.setenv("SHADOWLENS_SHARED", str(tmp_path))
    assert shared_path("peer-vectors", "x.jsonl") == tmp_path / "peer-vectors" / "x.jsonl"
