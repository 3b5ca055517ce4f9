"""``shadowlens formats new``: the scaffold passes ``formats check`` and its own pytest file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from shadowlens.spec.scaffold import scaffold_files

FILES = ("acme-edge.toml", "acme-edge.lark", "acme-edge-sample.log", "test_acme_edge.py")


def test_new_then_check_then_pytest_then_parse(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "formats" / "acme"  # created
    done = cli("formats", "new", "acme-edge", "--dir", str(folder))
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in folder.iterdir()) == sorted(FILES)
    for name in FILES:
        assert f"wrote {folder / name}" in done.stderr
    spec, sample, test = (folder / FILES[i] for i in (0, 2, 3))

    checked = cli("formats", "check", str(spec), str(sample))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.splitlines()[-1] == (
        "OK: 4 line(s): 4 record(s), 0 quarantined, 0 directive(s); "
        "fast path vs Lark: 4 agree, 0 fallback, 0 differ; examples: 3 ok, 0 failed"
    )

    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error", test.name],
        cwd=folder, capture_output=True, text=True, timeout=300, check=False, env=env,
    )  # fmt: skip
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "4 passed" in tests.stdout

    out = tmp_path / "out"
    parsed = cli("parse", str(sample), "-o", str(out), "--format-file", str(spec))
    assert parsed.returncode == 0, parsed.stderr
    records = pl.read_parquet(out / "records")
    assert records.height == 4
    assert set(records["log_format"]) == {"acme-edge"}

    shown = cli("formats", "show", str(spec))
    assert shown.returncode == 0, shown.stderr
    assert "example (1 of 3, parsed now)" in shown.stdout


def test_new_refuses_to_overwrite_and_writes_nothing(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "test_acme.py").write_text("# mine\n", encoding="utf-8")
    done = cli("formats", "new", "acme", "--dir", str(tmp_path))
    assert done.returncode == 2
    assert "refusing to overwrite" in done.stderr
    assert str(tmp_path / "test_acme.py") in done.stderr
    assert "Traceback" not in done.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["test_acme.py"]
    assert (tmp_path / "test_acme.py").read_text(encoding="utf-8") == "# mine\n"


def test_new_twice_leaves_the_first_files_alone(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("formats", "new", "acme", "--dir", str(tmp_path)).returncode == 0
    (tmp_path / "acme.toml").write_text("# edited\n", encoding="utf-8")
    again = cli("formats", "new", "acme", "--dir", str(tmp_path))
    assert again.returncode == 2
    assert (tmp_path / "acme.toml").read_text(encoding="utf-8") == "# edited\n"


@pytest.mark.parametrize("name", ["Acme", "acme proxy", "9lives", "acme_proxy", ""])
def test_new_refuses_an_invalid_name(cli, tmp_path: Path, name: str) -> None:  # type: ignore[no-untyped-def]
    done = cli("formats", "new", name, "--dir", str(tmp_path / "d"))
    assert done.returncode == 2
    assert "lowercase letters, digits and dashes" in done.stderr
    assert not (tmp_path / "d").exists()


def test_the_spec_names_its_own_files() -> None:
    files = scaffold_files("my-proxy")
    assert list(files) == [
        "my-proxy.toml",
        "my-proxy.lark",
        "my-proxy-sample.log",
        "test_my_proxy.py",
    ]
    assert 'grammar = "my-proxy.lark"' in files["my-proxy.toml"]
    assert 'HERE / "my-proxy.toml"' in files["test_my_proxy.py"]
    assert "[[examples]]" in files["my-proxy.toml"]
