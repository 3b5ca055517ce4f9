"""What makes every command alike (``shadowlens.cli_group``): help that reads at 80
columns, global options before or after the command, completion, lazy sub-commands."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cli_harness import Cli
from shadowlens.cli import command

CEF = "CEF:0|Acme|Proxy|1.0|100|allowed|3|rt=1700000000000 src=10.0.0.1 dhost=files.slack.com"
NARROW = {"COLUMNS": "80", "SHADOWLENS_NO_ENTRYPOINTS": "1"}


def walk(cmd: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every command and group, lazy ones included, with its path of names."""
    yield path, cmd
    if hasattr(cmd, "list_commands"):
        for name in cmd.list_commands(None):
            yield from walk(cmd.get_command(None, name), (*path, name))


COMMANDS = {" ".join(path) or "shadowlens": (path, cmd) for path, cmd in walk(command())}


def test_every_command_is_reached() -> None:
    assert {"parse", "run", "export", "upload", "blockscript", "catalog lookup", "users reveal"} <= set(COMMANDS)  # fmt: skip


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_help_at_80_columns(cli: Cli, name: str) -> None:
    """No ``<bool>``/``<list[str]>`` labels, nothing cut or wider than 80, every option named."""
    path, cmd = COMMANDS[name]
    done = cli(*path, "--help", env=NARROW)
    assert done.code == 0, done.err
    text = done.out
    assert not re.search(r"<\w+(\[\w+\])?( range)?>", text), text
    assert "…" not in text
    too_wide = [line for line in text.splitlines() if len(line) > 80]
    assert not too_wide, too_wide
    for param in cmd.params:
        for opt in param.opts + param.secondary_opts:
            if opt.startswith("--"):
                assert re.search(rf"(^|[\s,/]){re.escape(opt)}\b", text), (opt, text)


@pytest.mark.parametrize("name", ["--debug", "--quiet", "--config", "--disable-plugin"])
def test_global_options_are_offered_by_every_command(name: str) -> None:
    for label, (_path, cmd) in COMMANDS.items():
        if not hasattr(cmd, "list_commands"):
            assert any(name in p.opts for p in cmd.params), (label, name)


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "a.log"
    path.write_text(f"{CEF}\n", encoding="utf-8")
    return path


def test_debug_after_the_command(
    cli: Cli, log: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shadowlens.engine import pipeline

    def explode(config: object) -> None:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(pipeline, "run_parse", explode)
    assert cli("parse", log, "-o", tmp_path / "o").code == 70
    with pytest.raises(RuntimeError, match="kaboom"):
        cli("parse", log, "-o", tmp_path / "o", "--debug")


def test_disable_plugin_after_the_command(cli: Cli, log: Path, tmp_path: Path) -> None:
    done = cli("parse", log, "--format", "cef", "-o", tmp_path / "o",
               "--disable-plugin", "shadowlens.formats.cef")  # fmt: skip
    assert done.code == 2
    assert "unknown format 'cef'" in done.err
    shown = cli("formats", "show", "cef", "--disable-plugin", "shadowlens.formats.cef")
    assert shown.code == 2


@pytest.mark.parametrize("where", ["before", "after"])
def test_quiet_silences_standard_error(cli: Cli, log: Path, tmp_path: Path, where: str) -> None:
    args = ["parse", str(log), "-o", str(tmp_path / "o")]
    done = cli(*(["--quiet", *args] if where == "before" else [*args, "-q"]))
    assert done.code == 0
    assert done.err == ""
    assert done.out == f"{tmp_path / 'o'}\n"


def test_quiet_keeps_errors(cli: Cli, tmp_path: Path) -> None:
    done = cli("-q", "parse", tmp_path / "missing.log", "-o", tmp_path / "o")
    assert done.code == 3
    assert "missing.log" in done.err


@pytest.mark.parametrize("option", ["--workers", "--chunk-mb", "-j"])
@pytest.mark.parametrize("command", ["parse", "run"])
def test_zero_workers_or_chunk_size_is_a_usage_error(
    cli: Cli, log: Path, tmp_path: Path, command: str, option: str
) -> None:
    done = cli(command, log, option, "0", "-o", tmp_path / "o")
    assert done.code == 2
    assert "greater than or equal to 1" in done.err
    assert option in done.err
    assert not (tmp_path / "o").exists()


def test_show_completion(cli_subprocess: Cli) -> None:
    done = cli_subprocess("--show-completion", "bash")
    assert done.code == 0, done.err
    assert "_SHADOWLENS_COMPLETE=complete_bash" in done.out


@pytest.mark.parametrize(
    ("words", "expected"),
    [("shadowlens ex", "export"), ("shadowlens catalog v", "validate"), ("shadowlens export --t", "--to")],
)  # fmt: skip
def test_completion_of_commands_and_options(cli_subprocess: Cli, words: str, expected: str) -> None:
    env = {"_SHADOWLENS_COMPLETE": "complete_bash", "COMP_WORDS": words,
           "COMP_CWORD": str(len(words.split()) - 1)}  # fmt: skip
    done = cli_subprocess(env=env)
    assert done.code == 0, done.err
    assert expected in done.out.split()
