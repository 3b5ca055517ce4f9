"""Where a format's parse time goes, on one chunk: stage timers and a cProfile listing.

Takes the first chunk of a file (as the pipeline cuts it), then times a grammar
format's three steps separately (``fast_fields``, the Lark fallback on the rows the
fast path rejects, ``to_records``), the whole ``parse`` call, and the canonical
conversion the pipeline does before writing; finally prints the shadowlens functions
with the most cumulative time under cProfile (polars work shows up inside them).

Run: ``.venv/bin/python benchmarks/profile_parse.py benchmarks/corpus/cef_200000.log --format cef``
"""

from __future__ import annotations

import argparse
import collections
import copy
import cProfile
import functools
import pstats
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import polars as pl

from shadowlens.engine.lines import iter_raw_chunks, to_line_chunk
from shadowlens.parsers.base import GrammarFormat, ParseOptions
from shadowlens.plugins.manager import get_plugins
from shadowlens.schema import RECORD_POLARS_SCHEMA, RECORD_SCHEMA, conform, to_arrow


def timed(label: str, fn: Callable[[], Any], repeat: int, width: int = 28) -> Any:
    """Run ``fn`` ``repeat`` times, print median wall and CPU seconds, return the last result.

    CPU seconds (all threads of this process) are steadier than wall time on a busy machine.
    """
    walls, cpus = [], []
    result = None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    wall, cpu = statistics.median(walls), statistics.median(cpus)
    print(f"  {label:<{width}} {wall:8.3f} s wall {cpu:8.3f} s cpu")
    return result


_OPS = ("select", "with_columns", "filter", "join", "explode", "pivot", "unnest", "sort", "unique")


@contextmanager
def op_timer() -> Iterator[dict[str, list[float]]]:
    """Wall and CPU seconds of polars DataFrame operations, by the shadowlens line that ran them."""
    spent: dict[str, list[float]] = collections.defaultdict(lambda: [0.0, 0.0])
    saved: dict[tuple[type, str], Any] = {}

    def wrap(cls: type, name: str) -> None:
        original = getattr(cls, name)
        saved[(cls, name)] = original

        @functools.wraps(original)
        def timed_op(*args: Any, **kwargs: Any) -> Any:
            frame = sys._getframe(1)
            while frame is not None and "shadowlens" not in frame.f_code.co_filename:
                frame = frame.f_back  # type: ignore[assignment]
            where = (
                f"{Path(frame.f_code.co_filename).name}:{frame.f_lineno} {name}" if frame else name
            )
            t0, c0 = time.perf_counter(), time.process_time()
            try:
                return original(*args, **kwargs)
            finally:
                spent[where][0] += time.perf_counter() - t0
                spent[where][1] += time.process_time() - c0

        setattr(cls, name, timed_op)

    for op in _OPS:
        wrap(pl.DataFrame, op)
    wrap(pl.dataframe.group_by.GroupBy, "agg")
    try:
        yield spent
    finally:
        for (cls, name), original in saved.items():
            setattr(cls, name, original)


def grammar_steps(fmt: GrammarFormat, lines: pl.DataFrame, repeat: int) -> None:
    """Time fast_fields, the Lark fallback and to_records of a grammar format separately."""
    indexed = lines.with_row_index("_row").select("_row", "line")
    # Stateful formats (W3C #Fields) carry what fast_fields learnt to to_records.
    states: list[Any] = []

    def fast_step() -> Any:
        states.append(fmt.new_state())
        return fmt.fast_fields(indexed, states[-1])

    fast = timed("fast_fields", fast_step, repeat)
    rejected = indexed.join(fast.select("_row"), on="_row", how="anti")
    print(f"  {'rejected by the fast path':<28} {rejected.height:8,d} lines")
    if rejected.height:
        timed("Lark on rejected lines", lambda: fmt.reference_fields(rejected, states[-1]), 1)
    timed(
        "to_records (fast rows)",
        lambda: fmt.to_records(fast, copy.deepcopy(states[-1])),
        repeat,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--format", required=True)
    parser.add_argument("--chunk-mb", type=float, default=16)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args()
    fmt = get_plugins().format(args.format)(ParseOptions())
    with open(args.file, "rb") as fh:
        raw = next(iter_raw_chunks(fh, int(args.chunk_mb * 1024 * 1024)))
    chunk = to_line_chunk(raw)
    lines = chunk.lines
    per = 1_000_000 / lines.height
    print(f"{args.file.name}: first chunk, {lines.height:,} lines ({len(raw.data) / 1e6:.1f} MB)")
    print(f"  (multiply by {per:.1f} for seconds per 1M lines)")
    fmt.parse(lines.head(100), fmt.new_state())  # warm caches: grammar, compiled plan
    if isinstance(fmt, GrammarFormat):
        try:
            grammar_steps(fmt, lines, args.repeat)
        except Exception as exc:  # a format that overrides parse() (W3C) wires the steps itself
            print(f"  (steps not timed separately: {type(exc).__name__} {exc})")
    result = timed("parse (whole)", lambda: fmt.parse(lines, fmt.new_state()), args.repeat)
    timed(
        "conform + to_arrow",
        lambda: to_arrow(conform(result.records, RECORD_POLARS_SCHEMA), RECORD_SCHEMA),
        args.repeat,
    )
    with op_timer() as spent:
        fmt.parse(lines, fmt.new_state())
    print(f"\npolars operations of one parse call, by shadowlens call site (top {args.top})")
    for where, (wall, cpu) in sorted(spent.items(), key=lambda kv: -kv[1][1])[: args.top]:
        print(f"  {wall:8.3f} s wall {cpu:8.3f} s cpu  {where}")
    total_wall = sum(w for w, _ in spent.values())
    total_cpu = sum(c for _, c in spent.values())
    print(f"  {total_wall:8.3f} s wall {total_cpu:8.3f} s cpu  all DataFrame operations")
    print("  (the rest of parse: Series/numpy work, Python, Lark)")
    profile = cProfile.Profile()
    profile.enable()
    fmt.parse(lines, fmt.new_state())
    profile.disable()
    print(f"\ncProfile of one parse call: shadowlens functions by cumulative time (top {args.top})")
    stats = pstats.Stats(profile)
    rows = [
        (ct, nc, f"{Path(file).name}:{line}({name})")
        for (file, line, name), (_cc, nc, _tt, ct, _callers) in stats.stats.items()  # type: ignore[attr-defined]
        if "shadowlens" in file
    ]
    for ct, nc, where in sorted(rows, reverse=True)[: args.top]:
        print(f"  {ct:8.3f} s  {nc:5d} calls  {where}")


if __name__ == "__main__":
    main()
