"""Pick a format for a file by letting every registered format score a sample."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

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
