"""Pick a format for a file by letting every registered format score a sample.

A file may start with a preamble longer than one sample, or mix formats: the
sample is taken from further windows when the first is not recognised, and the
pipeline re-detects on the lines a chunk's format quarantined.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from shadowlens.errors import PluginError
from shadowlens.plugins.manager import FormatEntry

#: Below this score no format is chosen and the file's lines are quarantined.
MIN_SCORE = 0.5
SAMPLE_LINES = 50


def detect_format(
    sample: Sequence[str], formats: Mapping[str, FormatEntry]
) -> tuple[str | None, float]:
    """The best-scoring format name for ``sample`` (first non-blank lines) and its score.

    Ties go to the format registered first (built-ins before plugins), so results
    are deterministic.

    Raises
    ------
    PluginError
        When a format's ``detect`` raises or returns no number: a broken plugin is
        named, never taken for a format that does not recognise the file.
    """
    best: tuple[str | None, float] = (None, 0.0)
    for name, entry in formats.items():
        try:
            score = float(entry.cls.detect(sample))
        except Exception as exc:
            msg = f"format {name!r}: detect() failed: {type(exc).__name__}: {exc}"
            raise PluginError(msg, plugin=entry.plugin) from exc
        if score > best[1]:
            best = (name, score)
    return best if best[1] >= MIN_SCORE else (None, best[1])


#: Windows of :data:`SAMPLE_LINES` lines tried when a file starts with a preamble.
MAX_WINDOWS = 12


def windows(count: int, limit: int = MAX_WINDOWS) -> list[int]:
    """Start lines of the sample windows over ``count`` lines: 0, 50, 100, 200, 400...

    Doubling steps find a preamble of any length within a chunk at a bounded cost.

    Examples
    --------
    >>> windows(1000)
    [0, 50, 100, 200, 400, 800]
    >>> windows(30), windows(10**9, limit=3)
    ([0], [0, 50, 100])
    """
    starts = [0]
    step = SAMPLE_LINES
    while step < count and len(starts) < limit:
        starts.append(step)
        step *= 2
    return starts


def detect_lines(
    lines: pl.Series, formats: Mapping[str, FormatEntry], limit: int = MAX_WINDOWS
) -> str | None:
    """The format of the first sample window of ``lines`` that one recognises.

    The first :data:`SAMPLE_LINES` lines are scored first; when nothing
    recognises them (a preamble, another format), windows further on are.

    Raises
    ------
    PluginError
        A format's ``detect`` failed (see :func:`detect_format`).
    """
    for start in windows(lines.len(), limit):
        name, _score = detect_format(lines.slice(start, SAMPLE_LINES).to_list(), formats)
        if name is not None:
            return name
    return None
