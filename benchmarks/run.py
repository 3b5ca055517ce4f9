"""Throughput benchmark per format: floor, shadowlens fast path, pycef, Lark reference.

For each format, on the same generated file and in one invocation:

* **floor**: polars (and pyarrow) reading the lines into one string column;
* **shadowlens**: ``run_parse`` of the file to Parquet (fast path + Lark fallback);
* **pycef** (CEF only): ``pycef.parse`` on every line of a slice (``--pycef-lines``);
* **reference**: the same pipeline with ``engine="reference"`` (Lark LALR per line) on a
  small slice (``--lark-lines``).

Every timed run is a fresh process (``steps.py``), so wall time covers start-up,
imports, reading and the work, and the peak RSS is that step's own. Figures are
medians of ``--runs`` runs; lines/s and MB/s (10^6 bytes) use the median wall
time. Ratios compare lines/s, so a slice-based baseline is compared fairly.
Results: a Markdown table on stdout and ``benchmarks/results/latest.json``.

Run: ``.venv/bin/python benchmarks/run.py [--lines 1000000] [--runs 3] [--formats cef,leef,w3c]``
(``make bench``). The machine's load average is recorded with each step: other
work on the machine makes the figures noisy.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import gen_corpus

HERE = Path(__file__).resolve().parent
STEPS = HERE / "steps.py"
RESULTS = HERE / "results"


def registered_formats() -> set[str]:
    """Format names shadowlens can parse in this environment."""
    from shadowlens.plugins.manager import get_plugins

    return set(get_plugins().formats())


def ensure_corpus(fmt: str, lines: int, corpus: Path) -> Path:
    """The corpus file, generated if missing."""
    path = gen_corpus.corpus_path(fmt, lines, corpus)
    if not path.exists():
        print(f"generating {path.name} ...", file=sys.stderr)
        gen_corpus.generate(fmt, lines, corpus)
    return path


def head_slice(path: Path, lines: int) -> Path:
    """A file with the first ``lines`` lines of ``path`` (made once, next to it)."""
    target = path.with_name(f"{path.stem}.head{lines}{path.suffix}")
    if not target.exists():
        tmp = target.with_suffix(".tmp")
        with open(path, "rb") as src, open(tmp, "wb") as dst:
            for i, line in enumerate(src):
                if i >= lines:
                    break
                dst.write(line)
        tmp.replace(target)
    return target


def count_lines(path: Path) -> int:
    """Number of newline-terminated lines."""
    count = 0
    with open(path, "rb") as fh:
        while block := fh.read(1 << 24):
            count += block.count(b"\n")
    return count


def warm(path: Path) -> None:
    """Read the file once so every run starts from a warm page cache."""
    with open(path, "rb") as fh:
        while fh.read(1 << 24):
            pass


def run_step(step: str, path: Path, runs: int, *extra: str) -> dict[str, Any]:
    """Run ``steps.py STEP FILE`` ``runs`` times; medians, ranges and every run."""
    warm(path)
    cmd = [sys.executable, str(STEPS), step, str(path), *extra]
    records: list[dict[str, Any]] = []
    load_before = os.getloadavg()[0]
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            tail = proc.stderr.strip().splitlines()[-5:]
            return {"step": step, "file": str(path), "error": "\n".join(tail), "command": cmd}
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        result["wall_seconds"] = wall
        records.append(result)
    lines = count_lines(path)
    size = path.stat().st_size
    walls = [r["wall_seconds"] for r in records]
    inproc = [r["seconds"] for r in records]
    wall = statistics.median(walls)
    work = statistics.median(inproc)
    return {
        "step": step,
        "file": str(path),
        "lines": lines,
        "bytes": size,
        "runs": records,
        "wall_median": wall,
        "wall_min": min(walls),
        "wall_max": max(walls),
        "work_median": work,
        "lines_per_s": lines / wall,
        "mb_per_s": size / 1e6 / wall,
        "work_lines_per_s": lines / work,
        "peak_rss_mib": max(r["maxrss_mib"] for r in records),
        "cpu_median": statistics.median(r["cpu_seconds"] for r in records),
        "load_avg": [load_before, os.getloadavg()[0]],
        "command": " ".join(cmd),
    }


def shadowlens_options(fmt: str, args: argparse.Namespace, workers: int) -> tuple[str, ...]:
    """The options of a shadowlens step: format, chunk size, workers."""
    return ("--format", fmt, "--chunk-mb", str(args.chunk_mb), "--workers", str(workers))


def bench_format(
    fmt: str, path: Path, args: argparse.Namespace, formats: set[str]
) -> list[dict[str, Any]]:
    """Every step for one format."""
    out: list[dict[str, Any]] = []
    label = {"format": fmt}
    out.append(label | run_step("floor_polars", path, args.runs))
    out.append(label | run_step("floor_pyarrow", path, args.runs))
    if fmt in formats:
        for workers in args.workers:
            options = shadowlens_options(fmt, args, workers)
            fast = run_step("shadowlens", path, args.runs, *options)
            step = "shadowlens" if workers == args.workers[0] else f"shadowlens -j{workers}"
            out.append(label | fast | {"step": step, "workers": workers})
    else:
        out.append(label | {"step": "shadowlens", "skipped": f"format {fmt!r} is not registered"})
    if fmt in formats and fmt in args.run_formats:
        options = shadowlens_options(fmt, args, args.workers[-1])
        job = run_step("shadowlens_run", path, args.runs, *options)
        out.append(label | job | {"step": f"run -j{args.workers[-1]}", "workers": args.workers[-1]})
    if fmt == "cef":
        piece = head_slice(path, min(args.pycef_lines, args.lines))
        out.append(label | run_step("pycef", piece, args.runs))
    if fmt in formats:
        piece = head_slice(path, min(args.lark_lines, args.lines))
        ref = run_step("shadowlens", piece, args.runs, "--format", fmt, "--engine", "reference")
        out.append(label | ref | {"step": "reference"})
    return out


def scaling_run(fmt: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    """The same corpus repeated 1x, 3x, 10x ...: time and peak memory per multiple."""
    base = ensure_corpus(fmt, args.lines, args.corpus)
    out = []
    for k in [int(x) for x in args.scaling.split(",") if x]:
        path = args.corpus / f"{base.stem}_x{k}.log"
        if not path.exists():
            with path.open("wb") as sink:
                for _ in range(k):
                    with base.open("rb") as source:
                        shutil.copyfileobj(source, sink, 1 << 22)
        options = shadowlens_options(fmt, args, args.workers[-1])
        step = run_step("shadowlens", path, max(1, args.runs if k == 1 else 1), *options)
        out.append({"format": fmt, "multiple": k} | step | {"step": f"scaling x{k}"})
        if k != 1:
            path.unlink()  # large; regenerated in seconds
    return out


def scaling_markdown(results: list[dict[str, Any]]) -> str:
    """Time and peak RSS per input multiple, relative to 1x."""
    rows = [
        "| input | lines | GB | wall s | time vs 1x | peak RSS MiB |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    one = next((r for r in results if r.get("multiple") == 1 and "wall_median" in r), None)
    for r in results:
        if "wall_median" not in r:
            continue
        ratio = r["wall_median"] / one["wall_median"] if one else float("nan")
        rows.append(
            f"| {r['multiple']}x | {r['lines']:,} | {r['bytes'] / 1e9:.2f} | "
            f"{r['wall_median']:.1f} | {ratio:.2f}x | {r['peak_rss_mib']:,.0f} |"
        )
    return "\n".join(rows)


def ratios(results: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """shadowlens vs pycef / Lark (lines/s) and vs the polars floor (time)."""
    found: dict[str, dict[str, float]] = {}
    by = {(r["format"], r["step"]): r for r in results if "lines_per_s" in r}
    for fmt in sorted({r["format"] for r in results}):
        fast = by.get((fmt, "shadowlens"))
        if fast is None:
            continue
        entry: dict[str, float] = {}
        for other, name in (("pycef", "vs_pycef"), ("reference", "vs_lark")):
            base = by.get((fmt, other))
            if base:
                entry[f"{name}_x"] = fast["lines_per_s"] / base["lines_per_s"]
                entry[f"{name}_x_in_process"] = fast["work_lines_per_s"] / base["work_lines_per_s"]
                # CPU seconds per line: robust to other load, but counts every thread.
                entry[f"{name}_x_cpu"] = (base["cpu_median"] / base["lines"]) / (
                    fast["cpu_median"] / fast["lines"]
                )
        for (f, step), r in by.items():
            if f == fmt and step.startswith("shadowlens -j"):
                entry[f"{step.split()[-1]}_speedup"] = fast["wall_median"] / r["wall_median"]
            if f == fmt and step.startswith("run -j"):
                same = by.get((fmt, f"shadowlens {step.split()[-1]}"), fast)
                entry["run_vs_parse_x"] = r["wall_median"] / same["wall_median"]
        floor = by.get((fmt, "floor_polars"))
        if floor:
            entry["floor_time_x"] = fast["wall_median"] / floor["wall_median"]
            entry["floor_time_x_in_process"] = fast["work_median"] / floor["work_median"]
        found[fmt] = entry
    return found


def markdown(results: list[dict[str, Any]], found: dict[str, dict[str, float]]) -> str:
    """The results as a Markdown table plus the ratios."""
    rows = [
        "| format | step | lines | MB | wall s median (min-max) | in-process s | lines/s | MB/s | peak RSS MiB | cpu s | notes |",
        "|---|---|---:|---:|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        if "lines_per_s" not in r:
            note = r.get("skipped") or "failed: " + (r.get("error") or "?").splitlines()[-1]
            rows.append(f"| {r['format']} | {r['step']} | | | | | | | | | {note} |")
            continue
        notes = ""
        if r["step"].startswith("shadowlens") or r["step"] == "reference":
            t = r["runs"][0]["totals"]
            notes = f"records {t['records']:,}, quarantined {t['quarantined']:,}, Lark-parsed {t['reference_parsed']:,}"
        elif r["step"] == "pycef":
            notes = f"pycef returned None on {r['runs'][0]['failed']:,} lines"
        rows.append(
            f"| {r['format']} | {r['step']} | {r['lines']:,} | {r['bytes'] / 1e6:,.1f} | "
            f"{r['wall_median']:.2f} ({r['wall_min']:.2f}-{r['wall_max']:.2f}) | {r['work_median']:.2f} | "
            f"{r['lines_per_s']:,.0f} | {r['mb_per_s']:,.1f} | {r['peak_rss_mib']:,.0f} | {r['cpu_median']:.2f} | {notes} |"
        )
    rows.append("")
    rows.append(
        "Stage CPU seconds inside the pipeline (first run; threads overlap, so they add up to more than the wall time):"
    )
    rows.append("")
    for r in results:
        stages = r.get("runs", [{}])[0].get("stages") if "runs" in r else None
        if stages:
            text = ", ".join(f"{k} {v:.2f}" for k, v in sorted(stages.items()))
            rows.append(f"- {r['format']} / {r['step']}: {text}")
    rows.append("")
    for fmt, entry in found.items():
        parts = []
        if "vs_pycef_x" in entry:
            parts.append(
                f"{entry['vs_pycef_x']:.1f}x pycef (in-process {entry['vs_pycef_x_in_process']:.1f}x, "
                f"per CPU second {entry['vs_pycef_x_cpu']:.1f}x)"
            )
        if "vs_lark_x" in entry:
            parts.append(
                f"{entry['vs_lark_x']:.0f}x the Lark reference (in-process {entry['vs_lark_x_in_process']:.0f}x, "
                f"per CPU second {entry['vs_lark_x_cpu']:.0f}x)"
            )
        if "floor_time_x" in entry:
            parts.append(
                f"{entry['floor_time_x']:.1f}x the polars read floor's time (in-process {entry['floor_time_x_in_process']:.1f}x)"
            )
        for key, value in entry.items():
            if key.endswith("_speedup"):
                parts.append(f"{key.split('_')[0]} is {value:.2f}x one worker")
        if "run_vs_parse_x" in entry:
            parts.append(f"`run` takes {entry['run_vs_parse_x']:.2f}x the time of `parse`")
        rows.append(f"- **{fmt}**: shadowlens is " + "; ".join(parts))
    return "\n".join(rows)


def machine() -> dict[str, Any]:
    """Facts about where the figures were taken."""
    import polars
    import pyarrow

    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "polars": polars.__version__,
        "pyarrow": pyarrow.__version__,
        "self_maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--formats",
        default="cef,leef,w3c,fortigate,paloalto",
        help="formats (fortigate: a key=value vendor format, paloalto: a CSV one)",
    )
    parser.add_argument(
        "--run-formats", default="cef", help="formats also timed with the main job (`run`)"
    )
    parser.add_argument(
        "--scaling",
        default="",
        help="input multiples for a scaling run of the first format, e.g. 1,3,10",
    )
    parser.add_argument("--pycef-lines", type=int, default=100_000, help="slice for pycef")
    parser.add_argument(
        "--lark-lines", type=int, default=5_000, help="slice for the Lark reference"
    )
    parser.add_argument("--chunk-mb", type=float, default=16)
    parser.add_argument(
        "--workers", default="1,2", help="worker counts for the shadowlens step (first: headline)"
    )
    parser.add_argument("--corpus", type=Path, default=gen_corpus.CORPUS)
    parser.add_argument("--out", type=Path, default=RESULTS / "latest.json")
    args = parser.parse_args(argv)
    args.workers = [int(w) for w in str(args.workers).split(",") if w]
    formats = registered_formats()
    results: list[dict[str, Any]] = []
    for fmt in [f for f in args.formats.split(",") if f]:
        path = ensure_corpus(fmt, args.lines, args.corpus)
        print(f"== {fmt}: {path}", file=sys.stderr)
        results.extend(bench_format(fmt, path, args, formats))
    found = ratios(results)
    table = markdown(results, found)
    if args.scaling:
        first = next(f for f in args.formats.split(",") if f)
        scaling = scaling_run(first, args)
        results.extend(scaling)
        table += "\n\n" + scaling_markdown(scaling)
    print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "machine": machine(),
        "results": results,
        "ratios": found,
        "markdown": table,
    }
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
