"""How fast ``shadowlens catalog lookup`` answers (the target is under 0.5 s).

Prints, as medians of ``--runs``:

* **command**: wall and CPU time (user + sys, steadier on a busy machine) of ``shadowlens
  catalog lookup --json HOSTS`` in a fresh process (the user's wait: interpreter start,
  imports, plugin manager, rule index, match, output), with the compiled index in the cache
  (every run after the first: the usual case) and without it (``SHADOWLENS_NO_CACHE=1``: the
  first run after an install or a catalog change);
* **import floor**: wall time of a process that only imports the CLI module (what every
  command pays before doing anything);
* **in-process**: the lookup's own work without the cache: loading the catalog (with the
  plugin-registered sources), building the rule index and answering the hosts.

The cache lives in a temporary folder (``SHADOWLENS_CACHE_DIR``): the user's is left alone.

Run: ``.venv/bin/python benchmarks/bench_lookup.py [--runs 5]``
"""

from __future__ import annotations

import argparse
import atexit
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HOSTS = [
    "wetransfer.com", "app.box.com", "asana.com", "grammarly.com", "smartsheet.com",
    "airtable.com", "miro.com", "docusign.net", "drive.google.com", "teams.microsoft.com",
]  # fmt: skip


def _wall(
    cmd: list[str], cpu: list[float] | None = None, env: dict[str, str] | None = None
) -> float:
    """Wall time of ``cmd``; its CPU time (user + sys) is appended to ``cpu``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(cmd, check=False, capture_output=True, env=env)
    assert done.returncode == 0, done.stderr
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if cpu is not None:
        cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    py = sys.executable
    command = [py, "-m", "shadowlens", "catalog", "lookup", "--json", *HOSTS]
    floor = [py, "-c", "import shadowlens.cli"]
    cache = tempfile.mkdtemp(prefix="bench-lookup-")
    atexit.register(shutil.rmtree, cache, ignore_errors=True)
    warm_env = {**os.environ, "SHADOWLENS_CACHE_DIR": cache}
    cold_env = {**os.environ, "SHADOWLENS_NO_CACHE": "1"}
    _wall(command, env=warm_env)  # writes the index
    cmd_cpu: list[float] = []
    cold_cpu: list[float] = []
    floor_cpu: list[float] = []
    cmd_t, cold_t = [], []
    for _ in range(args.runs):  # paired: cached and uncached runs alternate
        cmd_t.append(_wall(command, cmd_cpu, warm_env))
        cold_t.append(_wall(command, cold_cpu, cold_env))
    floor_t = [_wall(floor, floor_cpu) for _ in range(args.runs)]

    from shadowlens.enrich.catalog import load_catalog
    from shadowlens.enrich.lookup import RuleIndex
    from shadowlens.plugins.manager import get_plugins

    load_t, answer_t = [], []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        index = RuleIndex(load_catalog(plugins=get_plugins()))
        t1 = time.perf_counter()
        results = index.lookup(HOSTS)
        t2 = time.perf_counter()
        load_t.append(t1 - t0)
        answer_t.append(t2 - t1)
    assert all(r.app is not None for r in results)
    print(f"load average: {os.getloadavg()[0]:.2f} (cpus: {os.cpu_count()}); {len(HOSTS)} hosts")
    print(
        f"command      median {statistics.median(cmd_t):.3f} s wall, "
        f"{statistics.median(cmd_cpu):.3f} s CPU  ({', '.join(f'{x:.2f}' for x in cmd_t)})"
    )
    print(
        f"  no cache   median {statistics.median(cold_t):.3f} s wall, "
        f"{statistics.median(cold_cpu):.3f} s CPU  ({', '.join(f'{x:.2f}' for x in cold_t)})"
    )
    print(
        f"import floor median {statistics.median(floor_t):.3f} s wall, "
        f"{statistics.median(floor_cpu):.3f} s CPU"
    )
    print(
        f"in-process   median {statistics.median(load_t) + statistics.median(answer_t):.3f} s "
        f"(catalog + index {statistics.median(load_t):.3f} s, "
        f"match {statistics.median(answer_t):.3f} s)"
    )


if __name__ == "__main__":
    main()
