"""Items 3 and 10 of issue 10: pipes, standard input, FIFOs, devices and symlink loops.

Real pipes and FIFOs through a real ``shadowlens`` process; every test has a
timeout because the failure mode is a hang.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hostile_kit import CliMain, balanced, cef_body, parse

N = 5_000


@pytest.fixture
def cef_file(tmp_path: Path) -> Path:
    path = tmp_path / "events.log"
    path.write_bytes(cef_body(N))
    return path


def _records(out: Path) -> int:
    summary = json.loads((out / "summary.json").read_text())
    assert balanced(summary)
    return int(summary["totals"]["records"])


def _bash(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PY": sys.executable}
    return subprocess.run(
        ["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.timeout(180)
@pytest.mark.parametrize(
    "command",
    [
        'cat events.log | "$PY" -m shadowlens parse /dev/stdin -o out --no-progress',
        'cat events.log | "$PY" -m shadowlens parse - -o out --no-progress',
        'gzip -c events.log | "$PY" -m shadowlens parse - -o out --no-progress',
        '"$PY" -m shadowlens parse <(gzip -c events.log) -o out --no-progress',
        '"$PY" -m shadowlens parse <(cat events.log) -o out --no-progress',
    ],
    ids=["dev-stdin", "dash", "dash-gzip", "process-substitution-gzip", "process-substitution"],
)
def test_piped_input_loses_no_line(cef_file: Path, command: str) -> None:
    result = _bash(command, cef_file.parent)
    assert result.returncode == 0, result.stderr
    assert _records(cef_file.parent / "out") == N


@pytest.mark.timeout(120)
def test_a_fifo_in_a_folder_is_skipped_not_waited_for(tmp_path: Path, cli: CliMain) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "a.log").write_bytes(cef_body(10))
    os.mkfifo(logs / "b.fifo")
    (logs / "c.zero").symlink_to("/dev/zero")
    (logs / "d.random").symlink_to("/dev/urandom")
    out = tmp_path / "out"
    result = cli("parse", str(logs), "-o", str(out), "--no-progress")
    assert result.returncode == 0, result.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["totals"]["records"] == 10
    assert {Path(k).name: v["reason"] for k, v in summary["skipped_files"].items()} == {
        "b.fifo": "not a regular file (FIFO)",
        "c.zero": "not a regular file (character device)",
        "d.random": "not a regular file (character device)",
    }
    assert "b.fifo: skipped: not a regular file (FIFO)" in result.stderr


@pytest.mark.timeout(120)
@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_named_device_ends_with_no_log_found(tmp_path: Path, device: str, cli: CliMain) -> None:
    result = cli("parse", device, "-o", str(tmp_path / "out"), "--no-progress")
    assert result.returncode == 3
    assert f"{device}: skipped: not a regular file" in result.stderr
    assert "no log file among the inputs" in result.stderr


@pytest.mark.timeout(120)
@pytest.mark.parametrize("source", ["/dev/zero", "/dev/urandom"])
def test_endless_binary_piped_in_is_skipped(tmp_path: Path, source: str) -> None:
    command = f'head -c 50000000 {source} | "$PY" -m shadowlens parse - -o out --no-progress'
    result = _bash(command, tmp_path)
    assert result.returncode == 3
    assert "<stdin>: skipped: binary data, not a text log" in result.stderr


@pytest.mark.timeout(120)
def test_a_quoted_glob_through_two_symlink_loops_ends(tmp_path: Path, cli: CliMain) -> None:
    logs = tmp_path / "logs"
    (logs / "x").mkdir(parents=True)
    (logs / "x" / "a.log").write_bytes(cef_body(3))
    (logs / "x" / "loop").symlink_to(logs)
    (logs / "x" / "again").symlink_to(logs / "x")
    out = tmp_path / "out"
    result = cli("parse", str(logs / "**" / "*.log"), "-o", str(out), "--no-progress")
    assert result.returncode == 0, result.stderr
    assert _records(out) == 3


@pytest.mark.timeout(120)
def test_a_folder_symlink_is_followed_once(tmp_path: Path, cli: CliMain) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (real / "a.log").write_bytes(cef_body(4))
    top = tmp_path / "top"
    top.mkdir()
    (top / "link").symlink_to(real)
    (top / "link2").symlink_to(real)
    out = tmp_path / "out"
    result = cli("parse", str(top), "-o", str(out), "--no-progress")
    assert result.returncode == 0, result.stderr
    assert _records(out) == 4  # the same real folder is read once


@pytest.mark.timeout(180)
def test_a_file_quarantined_entirely_is_stopped_after_a_bounded_sample(tmp_path: Path) -> None:
    from shadowlens.engine.pipeline import STOP_AFTER_LINES

    junk = tmp_path / "junk.log"
    junk.write_bytes(b"".join(b"not an event %d\n" % i for i in range(200_000)))
    good = tmp_path / "good.log"
    good.write_bytes(cef_body(5))
    summary = parse(tmp_path, [junk, good], format="cef", chunk_bytes=64 * 1024)
    failure = summary["failed_files"][str(junk)]
    assert "every line so far was quarantined" in failure["reason"]
    assert STOP_AFTER_LINES <= failure["lines"] < 2 * STOP_AFTER_LINES
    assert summary["files"][str(junk)]["quarantined"] == failure["lines"]
    assert summary["files"][str(good)]["records"] == 5
    assert balanced(summary)
