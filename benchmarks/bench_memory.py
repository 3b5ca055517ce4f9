"""Peak memory of ``shadowlens run`` (parse + enrich + report), and of parsing alone.

``--command run`` (the default) runs the whole main job, ``shadowlens run FILE -o
OUT``, in a subprocess on the corpus file and on K copies of it (1M and 3M lines by
default) and reports each child's peak RSS (``ru_maxrss`` from ``os.wait4``), wall
time, and the records and report size it wrote. Peak RSS must stay under 1 GB
whatever the input size: the report is built from streaming aggregates, never from
the records held in memory (issue 10 item 11). ``--quick`` runs 100,000 and 300,000
lines instead.

``--command parse`` measures parsing alone (memory and time linearity of
``run_parse``, through ``steps.py``): it builds ``<fmt>_<N>.x<K>.log`` by writing the corpus file K times in a row (for a
2-3 GB input use ``--lines 1000000 --repeat 4``), then parses the 1x and the Kx
file through :func:`~shadowlens.engine.pipeline.run_parse` to Parquet, each in a
fresh process (``steps.py``), and records wall time and peak RSS. Memory should
follow the chunk size (``--chunk-mb``), not the input size; time should grow
linearly (Kx input in about K times the time).

Run: ``.venv/bin/python benchmarks/bench_memory.py [--command run|parse] [--quick]
[--lines 1000000] [--repeat 3] [--format cef]``; results are printed and written to
``benchmarks/results/memory-<command>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import gen_corpus
import run


def repeated(path: Path, times: int) -> Path:
    """``path`` written ``times`` times into one file (made once, next to it)."""
    if times == 1:
        return path
    target = path.with_name(f"{path.stem}.x{times}{path.suffix}")
    if not target.exists():
        tmp = target.with_suffix(".tmp")
        with open(tmp, "wb") as dst:
            for _ in range(times):
                with open(path, "rb") as src:
                    shutil.copyfileobj(src, dst, 1 << 24)
        tmp.replace(target)
    return target


def run_job(path: Path, args: argparse.Namespace) -> dict[str, Any]:
    """``shadowlens run PATH`` in a child process: peak RSS, wall time, what it wrote."""
    run.warm(path)
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        out = Path(tmp) / "out"
        cmd = [sys.executable, "-m", "shadowlens", "run", str(path), "-o", str(out)]
        cmd += ["--format", args.format, "--workers", str(args.workers), "--no-progress"]
        cmd += ["--chunk-mb", str(int(args.chunk_mb))]
        start = time.perf_counter()
        child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        assert child.stderr is not None
        stderr = child.stderr.read()
        # wait4 gives this child's own rusage (RUSAGE_CHILDREN would be the max of all runs)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            raise SystemExit(
                f"{' '.join(cmd)} exited {child.returncode}: {stderr.decode()[-2000:]}"
            )
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        return {
            "file": path.name,
            "lines": summary["totals"]["lines"],
            "records": summary["totals"]["records"],
            "bytes": path.stat().st_size,
            "wall_s": wall,
            "cpu_s": usage.ru_utime + usage.ru_stime,
            "peak_rss_mib": usage.ru_maxrss / 1024,
            "report_html_mb": (out / "report.html").stat().st_size / 1e6,
            "report_json_mb": (out / "report.json").stat().st_size / 1e6,
            "load_before": os.getloadavg()[0],
        }


def main_run(args: argparse.Namespace, base: Path) -> None:
    """Peak RSS of the whole main job at 1x and Kx the corpus."""
    results = []
    for times in (1, args.repeat):
        path = repeated(base, times)
        print(
            f"== shadowlens run {path.name} ({path.stat().st_size / 1e9:.2f} GB)", file=sys.stderr
        )
        results.append({"times": times} | run_job(path, args))
    lines = [
        "| input | lines | GB | wall s | cpu s | peak RSS MiB | report.html MB |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['times']}x | {r['lines']:,} | {r['bytes'] / 1e9:.2f} | {r['wall_s']:.1f} | "
            f"{r['cpu_s']:.1f} | {r['peak_rss_mib']:,.0f} | {r['report_html_mb']:.1f} |"
        )
    table = "\n".join(lines)
    print(table)
    limit = max(r["peak_rss_mib"] for r in results)
    print(f"- peak RSS of `shadowlens run` at most {limit:,.0f} MiB (target: under 1 GiB)")
    save(args, {"results": results, "markdown": table, "under_1gib": limit < 1024})


def save(args: argparse.Namespace, report: dict[str, Any]) -> None:
    out = args.out or run.RESULTS / f"memory-{args.command}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    head = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "machine": run.machine(),
        "chunk_mb": args.chunk_mb,
        "workers": args.workers,
    }
    out.write_text(json.dumps(head | report, indent=2) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--command", choices=("run", "parse"), default="run")
    parser.add_argument("--quick", action="store_true", help="100,000 lines (and K copies)")
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="K: the big input is K copies")
    parser.add_argument("--format", default="cef", choices=gen_corpus.FORMATS)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--chunk-mb", type=float, default=16)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--corpus", type=Path, default=gen_corpus.CORPUS)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.quick:
        args.lines = 100_000
    if args.format not in run.registered_formats():
        raise SystemExit(f"format {args.format!r} is not registered")
    base = run.ensure_corpus(args.format, args.lines, args.corpus)
    if args.command == "run":
        main_run(args, base)
        return
    results: list[dict[str, Any]] = []
    for times in (1, args.repeat):
        path = repeated(base, times)
        print(f"== {path.name} ({path.stat().st_size / 1e9:.2f} GB)", file=sys.stderr)
        step = run.run_step(
            "shadowlens", path, args.runs, "--format", args.format,
            "--chunk-mb", str(args.chunk_mb), "--workers", str(args.workers),
        )  # fmt: skip
        if "error" in step:
            raise SystemExit(f"{path}: {step['error']}")
        results.append({"times": times} | step)
    one, many = results
    linearity = many["wall_median"] / (args.repeat * one["wall_median"])
    work_linearity = many["work_median"] / (args.repeat * one["work_median"])
    cpu_linearity = many["cpu_median"] / (args.repeat * one["cpu_median"])
    lines = [
        "| input | lines | GB | wall s | cpu s | lines/s | MB/s | peak RSS MiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['times']}x | {r['lines']:,} | {r['bytes'] / 1e9:.2f} | {r['wall_median']:.1f} | "
            f"{r['cpu_median']:.1f} | "
            f"{r['lines_per_s']:,.0f} | {r['mb_per_s']:.1f} | {r['peak_rss_mib']:,.0f} |"
        )
    lines.append("")
    lines.append(
        f"- time({args.repeat}x) / ({args.repeat} * time(1x)) = {linearity:.2f} whole process, "
        f"{work_linearity:.2f} in-process, {cpu_linearity:.2f} in CPU seconds (1.00 is linear); "
        f"peak RSS {one['peak_rss_mib']:,.0f} -> {many['peak_rss_mib']:,.0f} MiB at "
        f"--chunk-mb {args.chunk_mb:g} --workers {args.workers} for {args.repeat}x the input"
    )
    table = "\n".join(lines)
    print(table)
    report = {
        "results": results,
        "linearity": linearity,
        "work_linearity": work_linearity,
        "cpu_linearity": cpu_linearity,
        "markdown": table,
    }
    save(args, report)


if __name__ == "__main__":
    main()
