"""The README's scripting section cannot drift from the code: its exit-code table is
:class:`shadowlens.ExitCode`, its configuration file and Python example run as written."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from cli_harness import ROOT, Cli
from shadowlens.errors import ExitCode

README = (ROOT / "README.md").read_text(encoding="utf-8")
SECTION = README.split("## Scripting", 1)[1].split("\n## ", 1)[0]
CEF = "CEF:0|V|P|1|100|Allowed|3|rt=1700000000000 src=10.0.0.1 dhost=files.slack.com in=5"


def block(language: str) -> str:
    (text,) = re.findall(rf"```{language}\n(.*?)```", SECTION, flags=re.S)
    return text


def test_the_exit_code_table_is_the_enum() -> None:
    rows = dict(re.findall(r"^\| (\d+) \| (.+) \|$", SECTION, flags=re.M))
    assert {int(code) for code in rows} == {int(code) for code in ExitCode}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory with the files the README examples name."""
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "proxy.log").write_text(f"{CEF}\nnot a log line\n", encoding="utf-8")
    (tmp_path / "formats").mkdir()
    for name in ("acme.toml", "acme.lark"):
        shutil.copy(ROOT / "tests" / "spec" / "acme" / name, tmp_path / "formats" / name)
    (tmp_path / "my-apps.toml").write_text(
        '[[app]]\nname = "Slack"\ntags = ["sanctioned"]\n', encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_configuration_example_sets_the_options(cli: Cli, project: Path) -> None:
    (project / "shadowlens.toml").write_text(block("toml"), encoding="utf-8")
    done = cli("run", "logs/")
    assert done.code == 0, done.err
    assert done.out.strip() == "reports/latest"  # [run] out
    summary = json.loads((project / "reports" / "latest" / "summary.json").read_text())
    assert summary["options"]["tz"] == "Europe/Berlin"
    done = cli("parse", "logs/", "-o", "parsed", "--tz", "UTC", "--json")
    assert done.code == 0, done.err
    options = json.loads(done.out)["options"]
    assert (options["tz"], options["workers"]) == ("UTC", 2)  # the flag wins over the file


def test_the_python_example_runs(project: Path) -> None:
    scope: dict[str, object] = {}
    exec(compile(block("python"), "README.md", "exec"), scope)
    apps = scope["apps"]
    assert apps.rows() == [("Slack", 5, 1)]  # type: ignore[attr-defined]
    bad = scope["bad"]
    assert bad.rows() == [("logs/proxy.log", 2, "syntax")]  # type: ignore[attr-defined]


def row(path: str) -> str:
    (line,) = [line for line in README.splitlines() if line.startswith(f"| `{path}` |")]
    return line


@pytest.mark.parametrize(
    ("path", "schema"),
    [("out/records/", "RECORD_SCHEMA"), ("out/quarantine/", "QUARANTINE_SCHEMA")],
)
def test_the_output_table_names_the_real_columns(path: str, schema: str) -> None:
    import shadowlens

    names = set(getattr(shadowlens, schema).names)
    named = set(re.findall(r"`([a-z_]+)`", row(path)))
    assert names <= named, names - named
    assert "client_ip" not in README


def test_the_catalog_overlay_example_loads(cli: Cli, tmp_path: Path) -> None:
    from shadowlens.enrich.catalog import load_catalog

    (text,) = re.findall(r"```toml\n(# my-apps\.toml\n.*?)```", README, flags=re.S)
    overlay = tmp_path / "my-apps.toml"
    overlay.write_text(text, encoding="utf-8")
    catalog = load_catalog([overlay])
    assert "sanctioned" in catalog.apps["acme-crm"].tags
    assert "unsanctioned" in catalog.apps["dropbox"].tags
    done = cli("catalog", "validate", overlay)
    assert done.code == 0, done.out


def test_install_and_key_commands_are_shown() -> None:
    assert "python -m pip install ." in README
    assert "shadowlens users keygen" in README


def test_make_demo_installs_no_dev_tools() -> None:
    """``make demo`` installs shadowlens alone; ``make test`` adds the dev extra."""
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")

    def plan(target: str) -> str:
        done = subprocess.run(
            [make, "-n", "-B", target], cwd=ROOT, capture_output=True, text=True, check=True
        )
        return done.stdout

    demo = plan("demo")
    assert "pip install --quiet -e .\n" in demo
    assert "[dev]" not in demo
    assert "stormshield" not in demo
    assert "-e '.[dev]'" in plan("test")
