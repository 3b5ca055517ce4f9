"""Enrichment cost as a share of parse time, at many distinct destination hosts.

Writes a deterministic CEF log (``--lines`` lines, ``--distinct-hosts`` distinct ``dhost``
values: half subdomains of catalog domain rules, half unknown names; every line also has a
``dst`` IP, 10% of them inside imported CIDR ranges), then times, each in-process:

1. **parse**: ``run_parse`` of the file to Parquet, no enrichment (the ``shadowlens parse``
   work);
2. **enrich**: the catalog match of all parsed records (``enrich``) with a fresh catalog:
   the per-run matcher build plus the per-distinct-host and per-distinct-IP work, as
   ``shadowlens run`` does it batch by batch;
3. **run**: ``run_job`` without the report (parse + enrich per batch + write).

It prints ``enrich / parse`` (the target is under 10%) and ``(run - parse) / parse``, from
wall time and from the process's CPU time (steadier on a busy machine).

Run: ``.venv/bin/python benchmarks/bench_enrich_ratio.py [--lines 1000000] [--distinct-hosts 200000]``
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

import polars as pl

from shadowlens.engine.job import JobConfig, run_job
from shadowlens.engine.pipeline import RunConfig, run_parse
from shadowlens.enrich import enrich, load_catalog


def write_log(path: Path, lines: int, distinct: int, seed: int = 42) -> None:
    """The CEF test log: Zipf-like host popularity over ``distinct`` hosts."""
    rng = random.Random(seed)
    catalog = load_catalog()
    domains = sorted(r.pattern for r in catalog.rules if r.kind == "domain")
    known = [f"h{i}.{rng.choice(domains)}" for i in range(distinct // 2)]
    unknown = [f"h{i}.unknown-{i % 977}.example" for i in range(distinct - len(known))]
    hosts = known + unknown
    rng.shuffle(hosts)
    # every host at least once, the rest Zipf-like
    order = list(range(distinct)) + [
        min(distinct - 1, int(rng.paretovariate(1.05))) for _ in range(max(0, lines - distinct))
    ]
    rng.shuffle(order)
    with path.open("w", encoding="utf-8") as fh:
        for n, i in enumerate(order[:lines]):
            ip = f"3.5.{140 + n % 4}.{n % 250}" if n % 10 == 0 else f"198.18.{n % 250}.{i % 250}"
            fh.write(
                f"CEF:0|Acme|Proxy|1.0|100|Allowed|3|rt={1772323200000 + n * 10} "
                f"src=10.1.{n % 250}.{n % 200} dst={ip} dhost={hosts[i]} "
                f"suser=user{n % 2000} out={n % 50000} in={n % 700000} act=allowed\n"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--distinct-hosts", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        log = root / "proxy.log"
        write_log(log, args.lines, args.distinct_hosts)
        ranges = root / "aws.toml"
        ranges.write_text('[[app]]\nid = "amazon-s3"\ncidrs = ["3.5.140.0/22"]\n', encoding="utf-8")
        parse_t, enrich_t, run_t, parse_c, enrich_c, run_c = [], [], [], [], [], []
        records = pl.DataFrame()
        for k in range(args.runs):
            t0, c0 = time.perf_counter(), time.process_time()
            run_parse(RunConfig(inputs=[str(log)], out_dir=root / f"p{k}", format="cef"))
            parse_t.append(time.perf_counter() - t0)
            parse_c.append(time.process_time() - c0)
            records = pl.read_parquet(root / f"p{k}" / "records")
            catalog = load_catalog([ranges])  # loading the catalog is per process, not timed
            t0, c0 = time.perf_counter(), time.process_time()
            out = enrich(records, catalog)
            enrich_t.append(time.perf_counter() - t0)
            enrich_c.append(time.process_time() - c0)
            t0, c0 = time.perf_counter(), time.process_time()
            run_job(
                JobConfig(inputs=[str(log)], out_dir=root / f"r{k}", format="cef",
                          catalogs=[ranges], report=False)
            )  # fmt: skip
            run_t.append(time.perf_counter() - t0)
            run_c.append(time.process_time() - c0)
        parse, enr, run = (statistics.median(x) for x in (parse_t, enrich_t, run_t))
        cpu = [statistics.median(x) for x in (parse_c, enrich_c, run_c)]
        print(f"load average: {os.getloadavg()[0]:.2f} (cpus: {os.cpu_count()})")
        print(
            f"log: {args.lines:,} lines, {records['dst_host'].n_unique():,} distinct hosts, "
            f"{records['dst_ip'].n_unique():,} distinct IPs"
        )
        print(f"matched: {out['app_id'].is_not_null().mean():.1%} of records "
              f"({(out['match_type'] == 'ip').sum():,} by IP)")  # fmt: skip
        print(
            f"parse  median {parse:.2f} s  ({args.runs} runs: {', '.join(f'{x:.2f}' for x in parse_t)})"
        )
        print(f"enrich median {enr:.2f} s  ({', '.join(f'{x:.2f}' for x in enrich_t)})")
        print(f"run    median {run:.2f} s  ({', '.join(f'{x:.2f}' for x in run_t)})")
        print(
            f"enrich / parse = {enr / parse:.1%}   (run - parse) / parse = {(run - parse) / parse:.1%}"
        )
        print(
            f"CPU seconds (user+sys of this process): parse {cpu[0]:.2f}, enrich {cpu[1]:.2f}, "
            f"run {cpu[2]:.2f} -> enrich / parse = {cpu[1] / cpu[0]:.1%}, "
            f"(run - parse) / parse = {(cpu[2] - cpu[0]) / cpu[0]:.1%}"
        )


if __name__ == "__main__":
    main()
