"""The output folder is published all at once (issue 10, item 5).

A run writes into a hidden staging folder beside the output and renames it into
place at the end, ``summary.json`` with ``"complete": true`` last. A failed or
interrupted re-run leaves the previous output as it was and no staging folder;
a non-empty folder that is not a shadowlens output is refused (exit 2) unless
``--overwrite``; files inside the output folder are never read as input.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest
from test_pipeline import config, toy_lines

from cli_harness import cli_command
from shadowlens.engine.job import JobConfig, run_job
from shadowlens.engine.pipeline import run_parse
from shadowlens.engine.staging import StagedOutput, is_shadowlens_output
from shadowlens.errors import ConfigError, PluginError

CEF = (
    "CEF:0|Zscaler|NSSWeblog|5.0|Allowed|Allowed|3|rt={t} src=10.0.{a}.{b} "
    "suser=user{u}@contoso.com dhost=app{h}.example.com request=https://app{h}.example.com/p/{i} "
    "in={i} out={o} act=Allowed"
)


def cef_lines(n: int) -> str:
    return "".join(
        CEF.format(
            t=1_700_000_000_000 + i * 1000, a=i % 250, b=i % 200, u=i % 500, h=i % 997, i=i, o=i * 3
        )
        + "\n"
        for i in range(n)
    )


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative path -> bytes)."""
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def leftovers(parent: Path) -> list[str]:
    """Staging or set-aside folders left in ``parent``."""
    return sorted(
        p.name for p in parent.iterdir() if ".incomplete-" in p.name or ".previous-" in p.name
    )


def test_summary_is_marked_complete_and_nothing_is_left_beside(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    log.write_text("\n".join(toy_lines(20)) + "\n", encoding="utf-8")
    summary = run_parse(config(tmp_path, [log], format="toy"))
    written = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert written["complete"] is True
    assert summary["complete"] is True
    assert is_shadowlens_output(tmp_path / "out")
    assert leftovers(tmp_path) == []


def test_a_failed_rerun_leaves_the_previous_output_intact(tmp_path: Path) -> None:
    good = tmp_path / "a.log"
    good.write_text("\n".join(toy_lines(20)) + "\n", encoding="utf-8")
    run_job(JobConfig(inputs=[str(good)], out_dir=tmp_path / "out", format="toy",
                      plugins=config(tmp_path, []).plugins))  # fmt: skip
    before = snapshot(tmp_path / "out")
    assert {"summary.json", "report.html", "report.json"} <= set(before)
    broken = tmp_path / "b.log"
    broken.write_text("\n".join([*toy_lines(5), "junk the dropper forgets"]) + "\n")
    with pytest.raises(PluginError):
        run_parse(config(tmp_path, [broken], format="dropper"))
    assert snapshot(tmp_path / "out") == before
    assert leftovers(tmp_path) == []


def test_a_rerun_replaces_a_previous_output(tmp_path: Path) -> None:
    for n in (30, 7):
        log = tmp_path / f"{n}.log"
        log.write_text("\n".join(toy_lines(n)) + "\n", encoding="utf-8")
        run_parse(config(tmp_path, [log], format="toy"))
    assert pl.read_parquet(tmp_path / "out" / "records").height == 7
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert list(summary["files"]) == [str(tmp_path / "7.log")]
    assert leftovers(tmp_path) == []


def test_a_foreign_folder_is_refused_without_overwrite(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    log = tmp_path / "a.log"
    log.write_text(cef_lines(3), encoding="utf-8")
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    result = cli("parse", str(log), "-o", str(out))
    assert result.returncode == 2
    assert "notes.txt" in result.stderr
    assert "--overwrite" in result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
    assert leftovers(tmp_path) == []
    result = cli("parse", str(log), "-o", str(out), "--overwrite")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["quarantine", "records", "summary.json"]


def test_an_output_path_that_is_a_file_is_refused(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    log = tmp_path / "a.log"
    log.write_text(cef_lines(3), encoding="utf-8")
    for overwrite in ((), ("--overwrite",)):
        result = cli("run", str(log), "-o", str(log), *overwrite)
        assert result.returncode == 2
        assert f"{log}: the output path is a file" in result.stderr
    assert log.read_text() == cef_lines(3)


def test_files_a_previous_output_did_not_hold_are_protected(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    log.write_text("\n".join(toy_lines(5)) + "\n", encoding="utf-8")
    run_parse(config(tmp_path, [log], format="toy"))
    (tmp_path / "out" / "upload").mkdir()  # e.g. export -o out/upload
    with pytest.raises(ConfigError, match="upload"):
        run_parse(config(tmp_path, [log], format="toy"))
    assert (tmp_path / "out" / "upload").is_dir()


def test_the_output_folder_is_never_read_as_input(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "a.log").write_text("\n".join(toy_lines(4)) + "\n", encoding="utf-8")
    cfg = config(tmp_path, [logs], format="toy")
    cfg.out_dir = logs / "out"
    run_parse(cfg)
    summary = run_parse(cfg)  # the second run sees out/ inside logs/
    assert list(summary["files"]) == [str(logs / "a.log")]
    assert summary["totals"]["records"] == 4
    assert summary["skipped_inputs"] == sorted(
        str(p) for p in (logs / "out").rglob("*") if p.is_file()
    )


def test_overwrite_never_deletes_the_inputs(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "a.log").write_text("\n".join(toy_lines(4)) + "\n", encoding="utf-8")
    cfg = config(tmp_path, [logs], format="toy", overwrite=True)
    cfg.out_dir = logs
    with pytest.raises(ConfigError, match="would delete input files"):
        run_parse(cfg)
    assert (logs / "a.log").exists()


def test_staging_folder_is_removed_on_error(tmp_path: Path) -> None:
    out = tmp_path / "out"
    staged: list[Path] = []

    def interrupted_run() -> None:
        with StagedOutput(out) as stage:
            (stage.path / "records").mkdir()
            staged.append(stage.path)
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted_run()
    assert staged[0].name.startswith(".out.incomplete-")
    assert not staged[0].exists()
    assert not out.exists()
    assert leftovers(tmp_path) == []


def test_ctrl_c_mid_run_keeps_the_previous_output(tmp_path: Path) -> None:
    """A real ``shadowlens run`` in a subprocess, interrupted with SIGINT while it writes."""
    small, big = tmp_path / "small.log", tmp_path / "big.log"
    small.write_text(cef_lines(50), encoding="utf-8")
    big.write_text(cef_lines(300_000), encoding="utf-8")
    out = tmp_path / "out"
    command = cli_command("run", "--no-progress", "-o", out)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    first = subprocess.run([*command, str(small)], capture_output=True, text=True, env=env)
    assert first.returncode == 0, first.stderr
    before = snapshot(out)
    proc = subprocess.Popen(
        [*command, "--chunk-mb", "1", str(big)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    # wait until the run has written its first records into the staging folder
    while proc.poll() is None and not list(tmp_path.glob(".out.incomplete-*/records/*.parquet")):
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert snapshot(out) == before
    assert json.loads((out / "summary.json").read_text())["complete"] is True
    assert leftovers(tmp_path) == []


def test_a_target_filled_during_the_run_is_not_replaced(tmp_path: Path) -> None:
    out = tmp_path / "out"

    def run_while_someone_writes_there() -> None:
        with StagedOutput(out) as stage:
            (stage.path / "records").mkdir()
            out.mkdir()
            (out / "theirs.txt").write_text("written meanwhile")
            stage.publish({"totals": {}})

    with pytest.raises(ConfigError, match=r"theirs\.txt"):
        run_while_someone_writes_there()
    assert sorted(p.name for p in out.iterdir()) == ["theirs.txt"]
    assert leftovers(tmp_path) == []


def test_demo_takes_overwrite_too(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    refused = cli("demo", "-o", str(out), "--no-progress")
    assert refused.returncode == 2
    assert (out / "notes.txt").read_text() == "keep me"
    done = cli("demo", "-o", str(out), "--no-progress", "--overwrite")
    assert done.returncode == 0, done.stderr
    assert not (out / "notes.txt").exists()
    assert json.loads((out / "summary.json").read_text())["complete"] is True
    assert (out / "report.html").is_file()


def test_writers_are_stopped_before_the_staging_folder_goes(tmp_path: Path) -> None:
    seen: list[bool] = []

    def run(fail: bool) -> None:
        with StagedOutput(tmp_path / "out", overwrite=True) as stage:
            stage.on_failure(lambda: seen.append(stage.path.exists()))
            if fail:
                raise KeyboardInterrupt
            stage.publish({})

    with pytest.raises(KeyboardInterrupt):
        run(fail=True)
    assert seen == [True]  # called while the folder still existed
    run(fail=False)
    assert seen == [True]  # not called after a successful publish
    assert leftovers(tmp_path) == []
