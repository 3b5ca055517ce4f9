"""Many small files parsed as one chunk: the cost of a run follows its bytes, not its files.

A zip of 10,000 one-line members used to pay the fixed cost of a chunk (line
splitting, a format's parse, a Parquet row group) per member. The bytes of
small files of one stateless format are joined into one chunk (each file
ending in a line end, so no two files share a line); after the parse,
:meth:`Batch.relabel` gives every row back its file, line and byte offset, and
:meth:`Batch.split` gives each file its counts.

Examples
--------
>>> from shadowlens.engine.lines import RawChunk
>>> batch = Batch("toy")
>>> batch.add("a.log", RawChunk(b"x\\ny", 1, 0), None)
>>> batch.add("b.log", RawChunk(b"z\\n", 1, 3), None)  # after a BOM
>>> chunk = batch.chunk()
>>> chunk.lines["source_line"].to_list()
[1, 2, 3]
>>> batch.relabel(chunk.lines).select("source_file", "source_line", "source_offset").rows()
[('a.log', 1, 0), ('a.log', 2, 2), ('b.log', 1, 3)]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa

from shadowlens.engine.accounting import FileStats
from shadowlens.engine.lines import LineChunk, RawChunk, count_line_ends, to_line_chunk

#: Files up to this size (whole, in one read) are batched.
SMALL_BYTES = 64 * 1024


@dataclass
class Batch:
    """Small files of one format waiting to be parsed together."""

    format: str
    names: list[str] = field(default_factory=list)
    parts: list[bytes] = field(default_factory=list)
    stats: list[FileStats | None] = field(default_factory=list)
    line_bases: list[int] = field(default_factory=list)
    byte_bases: list[int] = field(default_factory=list)
    first_offsets: list[int] = field(default_factory=list)
    totals: list[int] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    lines: int = 0
    nbytes: int = 0
    joined: LineChunk | None = None

    def add(self, name: str, raw: RawChunk, stats: FileStats | None) -> None:
        """Queue the whole content of file ``name`` (its counts go to ``stats``)."""
        # A file ending without LF gets one: its last line ends, and a CR at its
        # end followed by the next file's LF stays one end (CRLF) of its own line.
        data = raw.data if raw.data.endswith(b"\n") else raw.data + b"\n"
        total = count_line_ends(data)
        self.names.append(name)
        self.parts.append(data)
        self.stats.append(stats)
        self.line_bases.append(self.lines)
        self.byte_bases.append(self.nbytes)
        self.first_offsets.append(raw.first_offset)
        self.totals.append(total)
        self.sizes.append(len(raw.data))
        self.lines += total
        self.nbytes += len(data)

    def chunk(self) -> LineChunk:
        """One chunk of every queued file (line numbers and offsets run on)."""
        self.joined = to_line_chunk(RawChunk(b"".join(self.parts), 1, 0))
        self.joined.nbytes = sum(self.sizes)
        return self.joined

    def _which(self, lines: np.ndarray) -> np.ndarray:
        bases = np.asarray(self.line_bases, dtype=np.uint64)
        return np.searchsorted(bases, lines, side="left") - 1

    def relabel(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Give each row of ``frame`` its own file, line and offset back."""
        lines = frame["source_line"].to_numpy()
        which = self._which(lines)
        line_bases = np.asarray(self.line_bases, dtype=np.uint64)
        shift = np.asarray(self.byte_bases, dtype=np.int64) - np.asarray(
            self.first_offsets, dtype=np.int64
        )
        offsets = frame["source_offset"].to_numpy().astype(np.int64) - shift[which]
        return frame.with_columns(
            pl.Series("source_file", self.names, pl.String()).gather(which),
            pl.Series("source_line", lines - line_bases[which], pl.UInt64()),
            pl.Series("source_offset", offsets.astype(np.uint64), pl.UInt64()),
        )

    def _per_file(self, lines: pl.Series) -> np.ndarray:
        if not lines.len():
            return np.zeros(len(self.names), dtype=np.int64)
        return np.bincount(self._which(lines.to_numpy()), minlength=len(self.names))

    def split(self, records: pa.Table, quarantine: pa.Table, outcome: Any) -> None:
        """Add the counts of the parsed batch to each file's stats.

        Directives are what is left of each file's lines (a format reports a
        total only); what a format gives per chunk only (``reference_parsed``,
        ``year_assumed``) and the timings go to the batch's first file, so the
        totals stay exact.
        """
        assert self.joined is not None, "split() comes after chunk()"
        made = pl.from_arrow(records.select(["source_file", "log_format", "event_time"]))
        held = pl.from_arrow(quarantine.select(["source_file"]))
        assert isinstance(made, pl.DataFrame)
        assert isinstance(held, pl.DataFrame)
        per_file = made.group_by("source_file").agg(
            pl.len().alias("records"), pl.col("event_time").null_count().alias("untimed")
        )
        counts = {row[0]: row[1:] for row in per_file.iter_rows()}
        quarantined = dict(held.group_by("source_file").len().iter_rows())
        by_format: dict[str, dict[str, int]] = {}
        for name, fmt, count in made.group_by("source_file", "log_format").len().iter_rows():
            by_format.setdefault(name, {})[fmt] = count
        nonblank = self._per_file(self.joined.lines["source_line"])
        lossy = self._per_file(self.joined.bad_utf8)
        for index, (name, stats) in enumerate(zip(self.names, self.stats, strict=True)):
            if stats is None:
                continue
            made_here, untimed = counts.get(name, (0, 0))
            held_here = quarantined.get(name, 0)
            total = self.totals[index]
            stats.lines += total
            stats.blank += total - int(nonblank[index])
            stats.records += made_here
            stats.quarantined += held_here
            stats.directives += int(nonblank[index]) - made_here - held_here
            stats.bytes += self.sizes[index]
            stats.lossy_utf8 += int(lossy[index])
            stats.untimed += untimed
            for fmt, count in by_format.get(name, {}).items():
                if fmt != stats.format:
                    stats.other_formats[fmt] = stats.other_formats.get(fmt, 0) + count
            if index == 0:
                stats.reference_parsed += outcome.reference_parsed
                stats.year_assumed += outcome.year_assumed
                for stage, seconds in outcome.seconds.items():
                    stats.seconds[stage] += seconds
