"""Input-side costs that must follow bytes, not files or lines (issue 10, items 11 and 12).

* ``members``: ``shadowlens parse`` of a zip of N one-line CEF members, whole process
  (wall seconds and peak RSS); the cost per member should be a small fraction of a
  millisecond above interpreter start-up.
* ``short-lines``: splitting 16 MiB of 2-byte lines into line chunks (peak RSS): the
  chunk line cap (256k lines) bounds it.

Run: ``.venv/bin/python benchmarks/bench_inputs.py [--members 10000]``
"""

from __future__ import annotations

import argparse
import io
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

LINE = (
    "CEF:0|Acme|Proxy|1.0|100|Allowed|3|rt={t} src=10.0.0.{s} spt={p} "
    "dhost=files.example.com in=1 out=2"
)


def members(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        archive = Path(tmp) / "many.zip"
        with zipfile.ZipFile(archive, "w") as zf:
            for i in range(count):
                line = LINE.format(t=1_700_000_000_000 + i, s=i % 250 + 1, p=1000 + i % 60000)
                zf.writestr(f"m{i:06d}.log", line + "\n")
        command = [sys.executable, "-m", "shadowlens", "parse", str(archive), "-o"]
        started = time.perf_counter()
        subprocess.run([*command, str(Path(tmp) / "out"), "--no-progress"], check=True)
        wall = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"members: {count:,} one-line members: {wall:.2f} s wall, {peak:.0f} MB peak RSS")


def short_lines() -> None:
    from shadowlens.engine.lines import iter_raw_chunks, to_line_chunk

    data = b"x\n" * (8 * 1024 * 1024)
    rows = max(to_line_chunk(r).total for r in iter_raw_chunks(io.BytesIO(data), len(data)))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"short-lines: 16 MiB of 2-byte lines: at most {rows:,} lines per chunk, {peak:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    args = parser.parse_args()
    members(args.members)
    short_lines()


if __name__ == "__main__":
    main()
