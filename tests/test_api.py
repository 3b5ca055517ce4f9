"""The public API: ``shadowlens.__all__`` is what the package exposes, imported lazily."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

import shadowlens

CEF = "CEF:0|V|P|1|100|Allowed|3|rt=1700000000000 src=10.0.0.1 dhost=files.slack.com"
HEAVY = ("polars", "pyarrow", "lark", "rich.console", "numpy")


def public_names() -> set[str]:
    """Every public attribute of the package (lazy ones included), modules aside."""
    return {
        name
        for name in dir(shadowlens)
        if not name.startswith("_")
        and name != "annotations"
        and not inspect.ismodule(getattr(shadowlens, name))
    }


def test_all_equals_the_public_names() -> None:
    assert set(shadowlens.__all__) - {"__version__"} == public_names()


def test_all_has_no_duplicates() -> None:
    assert len(set(shadowlens.__all__)) == len(shadowlens.__all__)


@pytest.mark.parametrize("name", sorted(shadowlens.__all__))
def test_every_name_is_importable_and_documented(name: str) -> None:
    namespace: dict[str, object] = {}
    exec(f"from shadowlens import {name} as value", namespace)  # the statement users write
    value = namespace["value"]
    if inspect.isclass(value) or inspect.isfunction(value):
        assert inspect.getdoc(value), f"shadowlens.{name} has no docstring"


def test_unknown_names_raise_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = shadowlens.nope  # type: ignore[attr-defined]


def test_import_shadowlens_and_the_cli_stay_cheap() -> None:
    """``import shadowlens`` and ``shadowlens --version`` load no dataframe or parser stack."""
    code = (
        "import sys, shadowlens, shadowlens.cli\n"
        "from shadowlens import ExitCode, ConfigError, __version__\n"
        "assert shadowlens.cli.run_cli(['--version']) == 0\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.splitlines()[-1] == "[]", done.stdout


def test_plugin_author_names() -> None:
    for name in ("hookimpl", "LogFormat", "GrammarFormat", "ParseOptions", "ParseResult"):
        assert name in shadowlens.__all__
    assert issubclass(shadowlens.GrammarFormat, shadowlens.LogFormat)
    assert issubclass(shadowlens.ConfigError, ValueError)
    for error in (
        "ConfigError",
        "InputError",
        "GrammarError",
        "PluginError",
        "ParseError",
        "OutputError",
        "UploadError",
    ):
        assert issubclass(getattr(shadowlens, error), shadowlens.ShadowlensError)


def test_version_matches_the_distribution() -> None:
    from importlib.metadata import version

    assert shadowlens.__version__ == version("shadowlens")


def test_testing_kit_all() -> None:
    from shadowlens import testing

    assert set(testing.__all__) <= set(vars(testing))


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    path = tmp_path / "proxy.log"
    path.write_text(f"{CEF}\n\nnot cef at all\n", encoding="utf-8")
    return path


def test_parse_returns_a_run_over_what_it_wrote(logs: Path, tmp_path: Path) -> None:
    done = shadowlens.parse(logs, out=tmp_path / "out", format="cef")
    assert isinstance(done, shadowlens.Run)
    assert done.out_dir == tmp_path / "out"
    totals = done.summary["totals"]
    assert (totals["lines"], totals["records"], totals["quarantined"], totals["blank"]) == (
        3,
        1,
        1,
        1,
    )
    records = done.records()
    assert isinstance(records, pl.LazyFrame)
    assert records.select("src_ip", "dst_host").collect().rows() == [
        ("10.0.0.1", "files.slack.com")
    ]
    quarantine = done.quarantine().collect()
    assert quarantine["raw"].to_list() == ["not cef at all"]
    assert quarantine["source_line"].to_list() == [3]
    assert shadowlens.Run.open(tmp_path / "out").summary == done.summary


def test_run_enriches_and_writes_the_report(logs: Path, tmp_path: Path) -> None:
    done = shadowlens.run([str(logs)], out=tmp_path / "out", options={})
    assert done.records().select("app_name").collect().item() == "Slack"
    assert (tmp_path / "out" / "report.html").is_file()


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"workers": 0}, "at least 1"),
        ({"chunk_mb": 0}, "at least 1"),
        ({"tz": "Mars/Olympus"}, "unknown time zone"),
        ({"format": "nope"}, "unknown format 'nope'"),
    ],
)
def test_bad_arguments_raise_config_error_and_write_nothing(
    logs: Path, tmp_path: Path, kwargs: dict[str, object], needle: str
) -> None:
    with pytest.raises(shadowlens.ConfigError, match=needle):
        shadowlens.parse(logs, out=tmp_path / "out", **kwargs)  # type: ignore[arg-type]
    assert not (tmp_path / "out").exists()


def test_open_a_folder_that_is_not_a_run(tmp_path: Path) -> None:
    with pytest.raises(shadowlens.InputError, match=r"summary\.json"):
        shadowlens.Run.open(tmp_path)
