"""Options from ``shadowlens.toml`` (working directory) or ``--config FILE``; flags win."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli_harness import Cli

CEF = "CEF:0|Acme|Proxy|1.0|100|allowed|3|rt=1700000000000 src=10.0.0.1 dhost=files.slack.com"


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory holding ``a.log``."""
    (tmp_path / "a.log").write_text(f"{CEF}\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def options_of(done: object) -> dict[str, object]:
    out = done.out  # type: ignore[attr-defined]
    return json.loads(out)["options"]  # type: ignore[no-any-return]


def test_shadowlens_toml_in_the_working_directory(cli: Cli, here: Path) -> None:
    (here / "shadowlens.toml").write_text(
        '[parse]\ntz = "Europe/Berlin"\nworkers = 1\nout = "from-config"\njson = true\n',
        encoding="utf-8",
    )
    done = cli("parse", "a.log")
    assert done.code == 0, done.err
    assert options_of(done) == {
        "format": None, "tz": "Europe/Berlin", "engine": "auto", "year": None, "workers": 1
    }  # fmt: skip
    assert (here / "from-config" / "summary.json").is_file()


def test_flags_win_over_the_file(cli: Cli, here: Path) -> None:
    (here / "shadowlens.toml").write_text(
        '[parse]\ntz = "Europe/Berlin"\nchunk-mb = 1\nformat = "leef"\n', encoding="utf-8"
    )
    done = cli("parse", "a.log", "--tz", "UTC", "--format", "cef", "-o", "o", "--json")
    assert done.code == 0, done.err
    assert (options_of(done)["tz"], options_of(done)["format"]) == ("UTC", "cef")


@pytest.mark.parametrize("where", ["before", "after"])
def test_config_option_names_another_file(cli: Cli, here: Path, where: str) -> None:
    (here / "shadowlens.toml").write_text('[parse]\ntz = "Asia/Tokyo"\n', encoding="utf-8")
    other = here / "other.toml"
    other.write_text('[parse]\ntz = "America/New_York"\n', encoding="utf-8")
    args = ["parse", "a.log", "-o", "o", "--json"]
    config = ["--config", str(other)]
    done = cli(*(config + args if where == "before" else args + config))
    assert done.code == 0, done.err
    assert options_of(done)["tz"] == "America/New_York"


def test_global_options_at_the_top_and_nested_sub_commands(cli: Cli, here: Path) -> None:
    (here / "shadowlens.toml").write_text(
        'quiet = true\ndisable-plugin = ["shadowlens.formats.leef"]\n[formats.show]\njson = true\n',
        encoding="utf-8",
    )
    done = cli("formats", "show", "cef")
    assert done.code == 0, done.err
    assert json.loads(done.out)["name"] == "cef"
    shown = cli("formats", "show", "leef")
    assert shown.code == 2  # the plugin is disabled by the file
    parsed = cli("parse", "a.log", "-o", "o")
    assert (parsed.code, parsed.err) == (0, "")  # quiet


def test_a_required_option_of_a_lazy_command_from_the_file(cli: Cli, here: Path) -> None:
    assert cli("parse", "a.log", "-o", "out").code == 0
    (here / "shadowlens.toml").write_text('[export]\nto = "ocsf"\nout = "lake"\n', encoding="utf-8")
    done = cli("export", "out")
    assert done.code == 0, done.err
    assert any((here / "lake").rglob("*.parquet"))


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        ('[parse]\ncolour = "red"\n', ["shadowlens.toml", "unknown key 'colour' in [parse]", "chunk-mb"]),
        ('[pars]\ntz = "UTC"\n', ["unknown key 'pars' in the top level", "[parse]"]),
        ('[formats.show]\nwide = true\n', ["unknown key 'wide' in [formats.show]"]),
        ("tz = 'UTC'\n", ["unknown key 'tz' in the top level"]),
        ('[parse]\ntz = "UTC\n', ["shadowlens.toml: not valid TOML", "line 2"]),
    ],
    ids=["unknown-key", "unknown-table", "unknown-nested-key", "command-key-at-top", "bad-toml"],
)  # fmt: skip
def test_a_bad_file_is_a_usage_error_naming_file_and_key(
    cli: Cli, here: Path, text: str, needles: list[str]
) -> None:
    (here / "shadowlens.toml").write_text(text, encoding="utf-8")
    done = cli("parse", "a.log", "-o", "o")
    assert done.code == 2
    (line,) = done.err.strip().splitlines()
    for needle in needles:
        assert needle in line, (needle, line)
    assert not (here / "o").exists()


def test_a_missing_config_file(cli: Cli, here: Path) -> None:
    done = cli("--config", "nope.toml", "parse", "a.log", "-o", "o")
    assert done.code == 2
    assert "nope.toml: cannot read the configuration file" in done.err


def test_paths_in_a_file_are_relative_to_its_folder(cli: Cli, here: Path) -> None:
    conf = here / "conf"
    conf.mkdir()
    (conf / "apps.toml").write_text('[[app]]\nname = "Slack"\ntags = ["unsanctioned"]\n')
    (conf / "cfg.toml").write_text(
        '[run]\nout = "../reports"\ncatalog = ["apps.toml"]\n', encoding="utf-8"
    )
    done = cli("run", "a.log", "--config", conf / "cfg.toml")
    assert done.code == 0, done.err
    assert Path(done.out.strip()) == conf / "../reports"
    report = json.loads((here / "reports" / "report.json").read_text(encoding="utf-8"))
    assert "unsanctioned" in json.dumps(report)
