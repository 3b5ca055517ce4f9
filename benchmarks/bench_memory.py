"""Memory and time linearity of ``shadowlens`` parsing: 1x versus Kx the same input.

Builds ``<fmt>_<N>.x<K>.log`` by writing the corpus file K times in a row (for a
2-3 GB input use ``--lines 1000000 --repeat 4``), then parses the 1x and the Kx
file through :func:`~shadowlens.engine.pipeline.run_parse` to Parquet, each in a
fresh process (``steps.py``), and records wall time and peak RSS. Memory should
follow the chunk size (``--chunk-mb``), not the input size; time should grow
linearly (Kx input in about K times the time).

Run: ``.venv/bin/python benchmarks/bench_memory.py [--lines 1000000] [--repeat 3] [--format cef]``;
results are printed and written to ``benchmarks/results/memory.json``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="K: the big input is K copies")
    parser.add_argument("--format", default="cef", choices=gen_corpus.FORMATS)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--chunk-mb", type=float, default=16)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--corpus", type=Path, default=gen_corpus.CORPUS)
    parser.add_argument("--out", type=Path, default=run.RESULTS / "memory.json")
    args = parser.parse_args(argv)
    if args.format not in run.registered_formats():
        raise SystemExit(f"format {args.format!r} is not registered")
    base = run.ensure_corpus(args.format, args.lines, args.corpus)
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
    args.out.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "machine": run.machine(),
        "chunk_mb": args.chunk_mb,
        "workers": args.workers,
        "results": results,
        "linearity": linearity,
        "work_linearity": work_linearity,
        "cpu_linearity": cpu_linearity,
        "markdown": table,
    }
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
