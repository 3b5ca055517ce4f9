"""Per-file and total line accounting; ``summary.json`` is written from it.

Files that are not read (``skipped_files``: not a regular file, binary, no
format recognises them) and files that failed part-way (``failed_files``: the
lines read before the failure are counted here like any other) are listed
beside the per-file counts by the pipeline.

The invariant checked for every chunk of every file:
``lines == records + quarantined + directives + blank``.

Two sub-counts of ``records`` are not part of it: ``untimed`` (records with a
null ``event_time``: the event had no usable time) and ``year_assumed`` (records
whose date had no year, so the year was given with ``--year`` or inferred).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, fields
from typing import Any

COUNTERS = ("lines", "records", "quarantined", "directives", "blank")
#: Sub-counts of ``records`` (outside the invariant).
SUB_COUNTERS = ("untimed", "year_assumed")


@dataclass
class FileStats:
    """What happened to the lines of one source."""

    format: str | None = None
    lines: int = 0
    records: int = 0
    quarantined: int = 0
    directives: int = 0
    blank: int = 0
    untimed: int = 0
    year_assumed: int = 0
    bytes: int = 0
    reference_parsed: int = 0
    lossy_utf8: int = 0
    #: ``utf-8``, or ``utf-16``/``utf-16-le`` when the file was transcoded (offsets are then UTF-8's).
    encoding: str = "utf-8"
    #: Formats other than ``format`` that parsed some lines (mixed files), by record count.
    other_formats: dict[str, int] = field(default_factory=dict)
    #: What a reader recovered from (e.g. trailing garbage after the last gzip member).
    warnings: list[str] = field(default_factory=list)
    seconds: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))

    def balanced(self) -> bool:
        """True when every line is accounted for."""
        return self.lines == self.records + self.quarantined + self.directives + self.blank

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form with rounded timings."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["seconds"] = {k: round(v, 4) for k, v in sorted(self.seconds.items())}
        return data


def totals(files: dict[str, FileStats]) -> dict[str, Any]:
    """Sum the counters of all files (timings summed per stage)."""
    total: dict[str, Any] = dict.fromkeys(
        (*COUNTERS, *SUB_COUNTERS, "bytes", "reference_parsed", "lossy_utf8"), 0
    )
    seconds: dict[str, float] = defaultdict(float)
    formats: dict[str, int] = defaultdict(int)
    for stats in files.values():
        for key in list(total):
            total[key] += getattr(stats, key)
        for stage, value in stats.seconds.items():
            seconds[stage] += value
        others = stats.other_formats
        formats[stats.format or "none"] += stats.records - sum(others.values())
        for name, count in others.items():
            formats[name] += count
    total["files"] = len(files)
    total["seconds"] = {k: round(v, 4) for k, v in sorted(seconds.items())}
    total["records_by_format"] = dict(sorted(formats.items()))
    return total
