"""Many small files parsed as one chunk: the cost of a run follows its bytes, not its files.

A zip of 10,000 one-line members used to pay the fixed cost of a chunk (a
format's parse, a Parquet write) per member. Small files of one stateless
format are gathered into one :class:`~shadowlens.engine.lines.LineChunk`
whose line numbers are shifted so that each row stays traceable; after the
parse, :meth:`Batch.relabel` gives every row back its file and line, and
:meth:`Batch.split` its counts back to each file.

Examples
--------
>>> import polars as pl
>>> from shadowlens.engine.lines import RawChunk, to_line_chunk
>>> batch = Batch("toy")
>>> batch.add("a.log", to_line_chunk(RawChunk(b"x\\ny\\n", 1, 0)), None)
>>> batch.add("b.log", to_line_chunk(RawChunk(b"z\\n", 1, 0)), None)
>>> chunk = batch.chunk()
>>> chunk.lines["source_line"].to_list()
[1, 2, 3]
>>> batch.relabel(chunk.lines).select("source_file", "source_line").rows()
[('a.log', 1), ('a.log', 2), ('b.log', 1)]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa

from shadowlens.engine.accounting import FileStats
from shadowlens.engine.lines import LineChunk

#: A file is batched when its whole content is at most this share of a chunk.
SMALL_SHARE = 4


@dataclass
class Batch:
    """Small files of one format waiting to be parsed together."""

    format: str
    names: list[str] = field(default_factory=list)
    chunks: list[LineChunk] = field(default_factory=list)
    stats: list[FileStats | None] = field(default_factory=list)
    bases: list[int] = field(default_factory=list)
    lines: int = 0
    nbytes: int = 0

    def add(self, name: str, chunk: LineChunk, stats: FileStats | None) -> None:
        """Queue the only chunk of file ``name`` (its counts go to ``stats``)."""
        self.names.append(name)
        self.chunks.append(chunk)
        self.stats.append(stats)
        self.bases.append(self.lines)
        self.lines += chunk.total
        self.nbytes += chunk.nbytes

    def chunk(self) -> LineChunk:
        """One chunk of every queued file; line numbers shifted to be unique."""

        def shifted(series: pl.Series, base: int) -> pl.Series:
            return (series + base).cast(pl.UInt64()) if base else series

        frames = [
            c.lines.with_columns(pl.col("source_line") + pl.lit(base, pl.UInt64()))
            for c, base in zip(self.chunks, self.bases, strict=True)
        ]
        return LineChunk(
            lines=pl.concat(frames),
            total=self.lines,
            blank=sum(c.blank for c in self.chunks),
            nbytes=self.nbytes,
            bad_utf8=pl.concat(
                [shifted(c.bad_utf8, b) for c, b in zip(self.chunks, self.bases, strict=True)]
            ),
            too_long=pl.concat(
                [shifted(c.too_long, b) for c, b in zip(self.chunks, self.bases, strict=True)]
            ),
        )

    def relabel(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Give each row of ``frame`` its own ``source_file`` and ``source_line`` back."""
        shifted = frame["source_line"].to_numpy()
        bases = np.asarray(self.bases, dtype=np.uint64)
        which = np.searchsorted(bases, shifted, side="left") - 1 if len(shifted) else shifted
        return frame.with_columns(
            pl.Series("source_file", self.names, pl.String()).gather(which),
            pl.Series("source_line", shifted - bases[which], pl.UInt64()),
        )

    def split(self, records: pa.Table, quarantine: pa.Table, outcome: Any) -> None:
        """Add the counts of one parsed batch to each file's stats.

        Directives are what is left of each file's lines (the format reports a
        total only); sub-counts a format gives per chunk only
        (``reference_parsed``, ``year_assumed``) and the timings go to the
        batch's first file, so totals stay exact.
        """
        made = pl.from_arrow(records.select(["source_file", "log_format", "event_time"]))
        held = pl.from_arrow(quarantine.select(["source_file"]))
        assert isinstance(made, pl.DataFrame)
        assert isinstance(held, pl.DataFrame)
        per_file = made.group_by("source_file").agg(
            pl.len().alias("records"), pl.col("event_time").null_count().alias("untimed")
        )
        counts = {row[0]: row[1:] for row in per_file.iter_rows()}
        quarantined = dict(held.group_by("source_file").len().iter_rows())
        formats = made.group_by("source_file", "log_format").len().iter_rows()
        by_format: dict[str, dict[str, int]] = {}
        for name, fmt, count in formats:
            by_format.setdefault(name, {})[fmt] = count
        for index, (name, chunk, stats) in enumerate(
            zip(self.names, self.chunks, self.stats, strict=True)
        ):
            if stats is None:
                continue
            made_here, untimed = counts.get(name, (0, 0))
            held_here = quarantined.get(name, 0)
            stats.lines += chunk.total
            stats.blank += chunk.blank
            stats.records += made_here
            stats.quarantined += held_here
            stats.directives += chunk.total - chunk.blank - made_here - held_here
            stats.bytes += chunk.nbytes
            stats.lossy_utf8 += chunk.bad_utf8.len()
            stats.untimed += untimed
            for fmt, count in by_format.get(name, {}).items():
                if fmt != stats.format:
                    stats.other_formats[fmt] = stats.other_formats.get(fmt, 0) + count
            if index == 0:
                stats.reference_parsed += outcome.reference_parsed
                stats.year_assumed += outcome.year_assumed
                for stage, seconds in outcome.seconds.items():
                    stats.seconds[stage] += seconds
