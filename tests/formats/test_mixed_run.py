"""``shadowlens run`` on one directory mixing a fixture of every built-in format.

Each file must be detected as its own format (``summary.json`` names it per file),
compressed copies too, and the accounting must add up for every file.
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

from fixtures import BUILTIN as BUILTIN_FORMATS
from fixtures import NOT_DETECTABLE, all_fixtures

BUILTIN = set(BUILTIN_FORMATS)


def _mixed_dir(root: Path) -> dict[str, str]:
    """One fixture per format (its largest), copied as ``<format>.log`` (every third gzipped)."""
    chosen: dict[str, Path] = {}
    for name, path in all_fixtures():
        if path.stem in NOT_DETECTABLE:
            continue
        if name not in chosen or path.stat().st_size > chosen[name].stat().st_size:
            chosen[name] = path
    expected = {}
    for index, (name, path) in enumerate(sorted(chosen.items())):
        if index % 3 == 2:
            target = root / f"{name}.log.gz"
            target.write_bytes(gzip.compress(path.read_bytes()))
        else:
            target = root / f"{name}.log"
            shutil.copyfile(path, target)
        expected[target.name] = name
    return expected


def test_run_detects_every_format_in_a_mixed_directory(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    logs = tmp_path / "logs"
    logs.mkdir()
    expected = _mixed_dir(logs)
    assert set(expected.values()) == BUILTIN
    out = tmp_path / "out"
    result = cli("run", str(logs), "-o", str(out), "--year", "2025")
    assert result.returncode == 0, result.stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    files = {Path(name).name: stats for name, stats in summary["files"].items()}
    detected = {name: stats["format"] for name, stats in files.items()}
    assert detected == expected
    for name, stats in files.items():
        accounted = stats["records"] + stats["quarantined"] + stats["directives"] + stats["blank"]
        assert accounted == stats["lines"], name
