"""Many files in one run: ``shadowlens parse DIR`` with 1 and 2 workers.

The corpus file of ``gen_corpus.py`` is cut into ``--files`` files of whole lines
(plain, one chunk each by default), so the run is about keeping the workers busy
across files rather than within one. Each run is a fresh ``shadowlens`` process;
``-j1`` and ``-j2`` alternate; the figures are medians of wall and CPU seconds
(user + system of the child).

Run: ``.venv/bin/python benchmarks/bench_files.py --lines 200000 --files 20 --runs 3``
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from run import ensure_corpus  # benchmarks/ is the script folder

HERE = Path(__file__).resolve().parent
SHADOWLENS = Path(sys.executable).with_name("shadowlens")


def timed(args: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one ``shadowlens`` process (it must succeed)."""
    before = os.times()
    start = time.perf_counter()
    subprocess.run([str(SHADOWLENS), *args], check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = os.times()
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return wall, cpu


def cut(corpus: Path, folder: Path, files: int) -> None:
    """``corpus`` as ``files`` files of consecutive whole lines."""
    lines = corpus.read_bytes().splitlines(keepends=True)
    per = -(-len(lines) // files)
    for i in range(files):
        (folder / f"part_{i:04d}.log").write_bytes(b"".join(lines[i * per : (i + 1) * per]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--format", default="cef")
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    corpus = ensure_corpus(options.format, options.lines, HERE / "corpus")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "logs"
        folder.mkdir()
        cut(corpus, folder, options.files)
        figures: dict[int, list[tuple[float, float]]] = {1: [], 2: []}
        for _ in range(options.runs):
            for workers in (1, 2):
                out = Path(tmp) / f"out{workers}"
                figures[workers].append(
                    timed(["-q", "parse", str(folder), "--format", options.format,
                           "-o", str(out), "-j", str(workers), "--overwrite"])
                )  # fmt: skip
    size = corpus.stat().st_size / 1e6
    print(f"{options.files} files, {options.lines:,} {options.format} lines, {size:.1f} MB")
    medians = {}
    for workers, runs in figures.items():
        wall = statistics.median(w for w, _ in runs)
        cpu = statistics.median(c for _, c in runs)
        medians[workers] = wall
        spread = ", ".join(f"{w:.2f}" for w, _ in runs)
        print(
            f"  -j{workers}: wall {wall:.2f} s ({spread}), cpu {cpu:.2f} s, {size / wall:.1f} MB/s"
        )
    print(f"  -j2 is {medians[1] / medians[2]:.2f}x -j1")


if __name__ == "__main__":
    main()
