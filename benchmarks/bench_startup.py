"""Start-up time of the ``shadowlens`` command: ``--version`` and ``--help`` (target < 0.3 s).

Each run is a fresh process through the real console entry (``python -m shadowlens``);
the figure is the median wall time, with the CPU time (user + sys) of the child beside it
(steadier on a busy machine), and the heavy modules each command imported (none expected:
the test ``tests/test_api.py::test_import_shadowlens_and_the_cli_stay_cheap`` holds that).

Run: ``.venv/bin/python benchmarks/bench_startup.py [--runs K]``
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time

COMMANDS = (["--version"], ["--help"], ["parse", "--help"], ["export", "--help"])
HEAVY = ("polars", "pyarrow", "lark", "numpy")
PROBE = (
    "import runpy, sys, atexit\n"
    "atexit.register(lambda: print(sorted(m for m in {heavy!r} if m in sys.modules), file=sys.stderr))\n"
    "sys.argv = ['shadowlens', *{args!r}]\n"
    "runpy.run_module('shadowlens', run_name='__main__')\n"
)


def time_one(args: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one ``shadowlens ARGS`` process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "shadowlens", *args],
        check=True,
        stdout=subprocess.DEVNULL,
        env={**os.environ, "COLUMNS": "80"},
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def heavy_modules(args: list[str]) -> str:
    """The heavy modules ``shadowlens ARGS`` imported."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY, args=args)],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    print(f"{'command':<24} {'wall (median)':>14} {'cpu (median)':>13}  heavy imports")
    for args in COMMANDS:
        time_one(args)  # warm the page cache
        times = [time_one(args) for _ in range(runs)]
        wall = statistics.median(t[0] for t in times)
        cpu = statistics.median(t[1] for t in times)
        label = "shadowlens " + " ".join(args)
        print(f"{label:<24} {wall:>12.3f} s {cpu:>11.3f} s  {heavy_modules(args)}")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
