"""Detection: every fixture of every built-in format is recognised as its own format.

The confusion matrix runs every registered format's ``detect`` on the sample the
engine would read (the first non-blank lines) of every fixture file; each file must
be detected as the format whose folder holds it, and the failures are printed as
a matrix row (what won, with which score, against the right format's score).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any, ClassVar

import polars as pl
from fixtures import BUILTIN, NOT_DETECTABLE, all_fixtures

import shadowlens
from golden_files import read_lines
from shadowlens import LogFormat, ParseResult
from shadowlens.engine.detect import SAMPLE_LINES, detect_format
from shadowlens.engine.pipeline import RunConfig, run_parse
from shadowlens.plugins.manager import get_plugins

FIXTURES = [(n, p) for n, p in all_fixtures() if p.stem not in NOT_DETECTABLE]


def _sample(lines: list[str]) -> list[str]:
    return [line for line in lines if line.strip()][:SAMPLE_LINES]


def test_confusion_matrix_is_diagonal() -> None:
    wrong = []
    for expected, path in FIXTURES:
        sample = _sample(read_lines(path))
        got, score = detect_format(sample, BUILTIN)
        if got != expected:
            mine = BUILTIN[expected].cls.detect(sample) if expected in BUILTIN else None
            wrong.append(
                f"{expected}/{path.name}: detected {got} ({score:.2f}); {expected} scores {mine}"
            )
    assert not wrong, "misdetected fixtures:\n" + "\n".join(wrong)


def test_every_builtin_format_has_fixtures() -> None:
    covered = {name for name, _ in FIXTURES}
    assert set(BUILTIN) <= covered, f"formats without fixtures: {sorted(set(BUILTIN) - covered)}"


class Recorder(LogFormat):
    """Records the size of every sample it is asked to score."""

    name: ClassVar[str] = "recorder"
    description: ClassVar[str] = "records detect() samples"
    seen: ClassVar[list[int]] = []

    @classmethod
    def detect(cls, sample: Sequence[str]) -> float:
        cls.seen.append(len(sample))
        return 0.0

    def parse(self, lines: pl.DataFrame, state: Any) -> ParseResult:
        raise NotImplementedError


def test_detection_reads_a_bounded_sample(tmp_path: Path) -> None:
    """A file of 20,000 lines is scored on its first 50 lines: the cost of detection does
    not grow with the file, whichever format scores it."""
    _, cef = next((n, p) for n, p in FIXTURES if n == "cef")
    line = next(x for x in read_lines(cef) if x.strip())
    log = tmp_path / "big.log"
    log.write_text((line + "\n") * 20_000, encoding="utf-8")

    @shadowlens.hookimpl
    def register_formats() -> list[type[LogFormat]]:
        return [Recorder]

    extra = SimpleNamespace(__name__="recorder-plugin", register_formats=register_formats)
    plugins = get_plugins(load_entrypoints=False, extra=[extra])
    Recorder.seen.clear()
    run_parse(RunConfig(inputs=[str(log)], out_dir=tmp_path / "out", plugins=plugins))
    assert Recorder.seen == [SAMPLE_LINES]
