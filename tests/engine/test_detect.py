"""Detection: the best score wins, ties go to the first registered, a broken detect is named."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any, ClassVar

import polars as pl
import pytest

import shadowlens
from shadowlens import LogFormat, ParseResult, PluginError
from shadowlens.engine.detect import detect_format
from shadowlens.engine.pipeline import RunConfig, run_parse
from shadowlens.plugins.manager import get_plugins

CEF_LINE = "CEF:0|Acme|Proxy|1.0|100|allowed|3|rt=1700000000000 src=10.0.0.1 dhost=a.example"


class Exploding(LogFormat):
    name: ClassVar[str] = "exploding"
    description: ClassVar[str] = "a format whose detect raises"

    @classmethod
    def detect(cls, sample: Sequence[str]) -> float:
        raise ValueError("kaboom")

    def parse(self, lines: pl.DataFrame, state: Any) -> ParseResult:
        raise NotImplementedError


def plugin(name: str, *classes: type[LogFormat]) -> Any:
    @shadowlens.hookimpl
    def register_formats() -> list[type[LogFormat]]:
        return list(classes)

    return SimpleNamespace(__name__=name, register_formats=register_formats)


def test_best_score_wins_and_low_scores_detect_nothing() -> None:
    formats = get_plugins(load_entrypoints=False).formats()
    assert detect_format([CEF_LINE], formats) == ("cef", 1.0)
    name, score = detect_format(["nothing to see"], formats)
    assert name is None
    assert score < 0.5


def test_a_detect_that_raises_names_the_format_and_plugin() -> None:
    plugins = get_plugins(load_entrypoints=False, extra=[plugin("boom-plugin", Exploding)])
    with pytest.raises(PluginError) as info:
        detect_format([CEF_LINE], plugins.formats())
    message = str(info.value)
    assert info.value.plugin == "boom-plugin"
    assert "'exploding'" in message
    assert "ValueError: kaboom" in message


def test_a_broken_detect_stops_a_run_instead_of_quarantining_the_file(tmp_path: Path) -> None:
    log = tmp_path / "proxy.log"
    log.write_text(CEF_LINE + "\n", encoding="utf-8")
    plugins = get_plugins(load_entrypoints=False, extra=[plugin("boom-plugin", Exploding)])
    config = RunConfig(inputs=[str(log)], out_dir=tmp_path / "out", plugins=plugins)
    with pytest.raises(PluginError, match="boom-plugin"):
        run_parse(config)
    assert not (tmp_path / "out" / "summary.json").exists()
