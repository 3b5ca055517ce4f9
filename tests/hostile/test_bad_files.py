"""Items 2 and 14 of issue 10: one bad file must not stop an archive.

Truncated or corrupt compressed files, a broken zip and a dangling symlink sit
between good files; the good ones are read, the bad ones are listed under
``failed_files`` with the reason and the lines read before the failure, and the
exit code is 7. ``--strict`` stops at the first one with exit 3.
"""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import re
import zipfile
from pathlib import Path

import pytest
from backports import zstd
from hostile_kit import CliMain, balanced, cef_body, records, shadowlens

N = 2_000


def _truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    """Good files around a truncated .gz/.bz2/.xz/.zst, a broken zip and a dangling link."""
    logs = tmp_path / "logs"
    logs.mkdir()
    body = cef_body(N)
    (logs / "a-good.log").write_bytes(body)
    (logs / "b-cut.log.gz").write_bytes(_truncated(gzip.compress(body)))
    (logs / "c-cut.log.bz2").write_bytes(_truncated(bz2.compress(body, 1)))
    (logs / "d-cut.log.xz").write_bytes(_truncated(lzma.compress(body, preset=0)))
    (logs / "e-cut.log.zst").write_bytes(_truncated(zstd.compress(body)))
    zipped = logs / "f-broken.zip"
    with zipfile.ZipFile(zipped, "w") as zf:
        zf.writestr("x.log", body)
    zipped.write_bytes(_truncated(zipped.read_bytes()))
    (logs / "g-dangling.log").symlink_to(tmp_path / "nowhere.log")
    (logs / "h-good.log.gz").write_bytes(gzip.compress(body))
    return logs


def test_bad_files_are_reported_and_the_others_read(
    archive: Path, tmp_path: Path, cli: CliMain
) -> None:
    out = tmp_path / "out"
    result = cli("parse", str(archive), "-o", str(out), "--no-progress")
    assert result.returncode == 7, result.stderr
    summary = json.loads((out / "summary.json").read_text())
    failed = summary["failed_files"]
    names = {Path(name).name for name in failed}
    assert names == {
        "b-cut.log.gz",
        "c-cut.log.bz2",
        "d-cut.log.xz",
        "e-cut.log.zst",
        "f-broken.zip",
        "g-dangling.log",
    }
    for name, failure in failed.items():
        assert name in failure["reason"]
        assert name in result.stderr  # one line on the console per bad file
        if "cut" in name:  # the lines read before the cut are kept and counted
            assert failure["lines"] == summary["files"].get(name, {"lines": 0})["lines"]
            assert f"after line {failure['lines']}" in failure["reason"]
    assert failed[str(archive / "b-cut.log.gz")]["lines"] > 0
    assert "dangling symlink" in failed[str(archive / "g-dangling.log")]["reason"]
    assert "not a readable zip archive" in failed[str(archive / "f-broken.zip")]["reason"]
    assert summary["files"][str(archive / "h-good.log.gz")]["records"] == N
    assert summary["totals"]["files_failed"] == 6
    assert balanced(summary)
    assert records(tmp_path).height == summary["totals"]["records"] >= 2 * N


def test_strict_stops_at_the_first_bad_file(archive: Path, tmp_path: Path, cli: CliMain) -> None:
    out = tmp_path / "out"
    result = cli("parse", str(archive), "-o", str(out), "--strict", "--no-progress")
    assert result.returncode == 3
    assert "b-cut.log.gz" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (out / "summary.json").exists()  # nothing that looks complete


def test_run_reports_failed_files_and_still_writes_the_report(
    archive: Path, tmp_path: Path, cli: CliMain
) -> None:
    out = tmp_path / "out"
    result = cli("run", str(archive), "-o", str(out), "--no-progress")
    assert result.returncode == 7, result.stderr
    assert (out / "report.html").exists()
    assert len(json.loads((out / "summary.json").read_text())["failed_files"]) == 6


def test_gzip_with_trailing_garbage_is_read_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "tail.log.gz"
    path.write_bytes(gzip.compress(cef_body(N)) + b"\x00garbage" * 64)
    out = tmp_path / "out"
    result = shadowlens("parse", str(path), "-o", str(out), "--no-progress")
    assert result.returncode == 0, result.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["totals"]["records"] == N
    [warning] = summary["files"][str(path)]["warnings"]
    assert "trailing data after gzip member 1 ignored" in warning
    assert "trailing data" in result.stderr


def test_a_truncated_zst_is_not_accepted_silently(tmp_path: Path, cli: CliMain) -> None:
    path = tmp_path / "cut.log.zst"
    path.write_bytes(_truncated(zstd.compress(cef_body(50_000))))
    result = cli("parse", str(path), "-o", str(tmp_path / "out"), "--no-progress")
    # A run of one file fails like --strict: exit 3, naming the file and the lines read.
    assert result.returncode == 3
    read = int(re.search(r"after line (\d+)\)", result.stderr).group(1))  # type: ignore[union-attr]
    assert 0 < read < 50_000
    assert str(path) in result.stderr


def test_every_file_failing_is_an_input_error(tmp_path: Path, cli: CliMain) -> None:
    for name in ("a.log.gz", "b.log.gz"):
        (tmp_path / name).write_bytes(_truncated(gzip.compress(cef_body(N))))
    out = tmp_path / "out"
    result = cli("parse", str(tmp_path), "-o", str(out), "--no-progress")
    assert result.returncode == 3
    assert "every input file failed (2)" in result.stderr
    assert "a.log.gz" in result.stderr  # the first failure's reason names its file
    assert not out.exists()  # nothing is published that could look complete
