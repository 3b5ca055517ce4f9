"""The acme spec of issue 7 (a .toml + .lark, no Python) through ``parse`` and ``run``.

Real files in, real Parquet out; the console entry point runs in-process
(``cli``) or as a subprocess where the environment matters.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import polars as pl
import pytest

from shadowlens.errors import ExitCode

UTC = dt.UTC


NO_ENTRYPOINTS = {"SHADOWLENS_NO_ENTRYPOINTS": "1"}


def check_acme_output(out: Path) -> None:
    """What the acme sample must give: issue 7's values, a null user, a quarantined line."""
    records = pl.read_parquet(out / "records").sort("source_line")
    assert records.height == 2
    first, second = records.rows(named=True)
    assert first["event_time"] == dt.datetime(2025, 11, 26, 9, 15, 2, tzinfo=UTC)
    assert first["dst_host"] == "files.example.com"
    assert first["bytes_up"] == 5120
    assert first["bytes_down"] == 300
    assert first["action"] == "allowed"
    assert first["user_name"] == "alice"
    assert first["http_status"] == 200
    assert first["log_format"] == "acme-proxy"
    assert second["user_name"] is None  # "-" is the spec's null token
    assert second["dst_host"] == "198.51.100.7"
    assert second["action"] == "blocked"
    quarantine = pl.read_parquet(out / "quarantine")
    assert quarantine.height == 1
    row = quarantine.row(0, named=True)
    assert row["source_line"] == 3
    assert row["error_code"] == "unexpected_end"
    assert "column 38" in row["error_message"]  # one past the end of the 37 characters
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    totals = summary["totals"]
    assert (totals["lines"], totals["records"], totals["quarantined"]) == (3, 2, 1)


@pytest.mark.parametrize("named", [False, True], ids=["detected", "--format acme-proxy"])
def test_parse_with_a_format_file(
    cli, acme_dir: Path, acme_log: Path, tmp_path: Path, named: bool
) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    named_args = ["--format", "acme-proxy"] if named else []
    done = cli(
        "parse", str(acme_log), "-o", str(out), "--format-file", str(acme_dir / "acme.toml"),
        *named_args, "--no-progress",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    check_acme_output(out)


def test_run_with_a_format_file(cli, acme_dir: Path, acme_log: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    done = cli(
        "run", str(acme_log), "-o", str(out), "--format-file", str(acme_dir / "acme.toml"),
        "--no-progress",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    check_acme_output(out)
    assert (out / "report.html").is_file()
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert "acme-proxy" in json.dumps(report)


def test_parse_with_a_formats_dir(cli, acme_dir: Path, acme_log: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    done = cli(
        "parse", str(acme_log), "-o", str(out), "--formats-dir", str(acme_dir), "--no-progress"
    )
    assert done.returncode == 0, done.stderr
    check_acme_output(out)


def test_formats_path_env_var_in_a_subprocess(
    cli_subprocess, acme_dir: Path, acme_log: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    env = {
        **NO_ENTRYPOINTS,
        "SHADOWLENS_FORMATS_PATH": os.pathsep.join([str(tmp_path / "empty"), str(acme_dir)]),
    }
    (tmp_path / "empty").mkdir()
    done = cli_subprocess("parse", str(acme_log), "-o", str(out), "--no-progress", env=env)
    assert done.returncode == 0, done.stderr
    check_acme_output(out)
    listed = cli_subprocess("formats", env=env)
    assert listed.returncode == 0, listed.stderr
    assert "acme-proxy" in listed.stdout
    assert "spec file" in listed.stdout


def test_without_the_spec_the_file_is_not_recognised(cli, acme_log: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    done = cli("parse", str(acme_log), "-o", str(out), "--no-progress")
    # Skipped with its reason (issue 10 item 9), and nothing else to read: exit 3.
    assert done.returncode == 3, done.stderr
    assert f"{acme_log}: skipped: no registered format recognises" in done.stderr
    assert "no log file among the inputs" in done.stderr


def assert_one_line_error(stderr: str, *needles: str) -> None:
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: plugin 'file:"), stderr
    for needle in needles:
        assert needle in lines[0], (needle, stderr)


@pytest.mark.parametrize("command", ["parse", "run"])
def test_a_broken_spec_stops_before_anything_is_written(
    cli, broken_spec, acme_log: Path, tmp_path: Path, command: str
) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    done = cli(
        command, str(acme_log), "-o", str(out), "--format-file", str(broken_spec.spec),
        "--no-progress",
    )  # fmt: skip
    assert done.returncode == ExitCode.FORMAT  # PluginError: the spec fails to register
    assert_one_line_error(done.stderr, str(broken_spec.spec), *broken_spec.where)
    assert not out.exists()


def test_a_broken_spec_in_a_subprocess(
    cli_subprocess, broken_spec, acme_log: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    done = cli_subprocess(
        "parse", str(acme_log), "-o", str(out), "--formats-dir", str(broken_spec.spec.parent),
        env=NO_ENTRYPOINTS,
    )  # fmt: skip
    assert done.returncode == ExitCode.FORMAT
    assert_one_line_error(done.stderr, *broken_spec.where)
    assert not out.exists()


def test_a_name_clash_with_cef_names_both_plugins(
    cli, acme_dir: Path, acme_log: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    spec = acme_dir / "acme.toml"
    spec.write_text(
        spec.read_text(encoding="utf-8").replace('"acme-proxy"', '"cef"'), encoding="utf-8"
    )
    out = tmp_path / "out"
    done = cli("parse", str(acme_log), "-o", str(out), "--format-file", str(spec))
    assert done.returncode == ExitCode.FORMAT
    assert_one_line_error(done.stderr, "'cef'", "'shadowlens.formats.cef'", f"'file:{spec}'")
    assert not out.exists()


def test_a_missing_format_file(cli, acme_log: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    missing = tmp_path / "nope.toml"
    done = cli("parse", str(acme_log), "-o", str(tmp_path / "out"), "--format-file", str(missing))
    assert done.returncode == ExitCode.FORMAT
    assert_one_line_error(done.stderr, str(missing), "no such format spec file")
