"""Benchmark enrichment alone on a deterministic synthetic 1M-row frame.

About 5,000 distinct hosts, Zipf-like popularity: 4,000 drawn from catalog rules (as
subdomains of domain rules) and 1,000 unknown. Each timing uses a fresh catalog (cold host
cache) and reports the median of several runs, then one warm-cache run.

Run: ``.venv/bin/python benchmarks/bench_enrich.py [--rows N] [--runs K]``
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

import numpy as np
import polars as pl

from shadowlens.enrich import enrich, load_catalog


def make_frame(rows: int, seed: int = 42) -> pl.DataFrame:
    rng = random.Random(seed)
    catalog = load_catalog()
    domains = sorted(r.pattern for r in catalog.rules if r.kind == "domain" and "." in r.pattern)
    prefixes = ["www", "api", "cdn", "files", "login", "static", "upload", "m", "app", "eu"]
    known = sorted({f"{rng.choice(prefixes)}.{rng.choice(domains)}" for _ in range(4200)})[:4000]
    unknown = [f"host{i}.unknown-{i % 97}.example" for i in range(1000)]
    hosts = known + unknown
    rng.shuffle(hosts)
    weights = 1.0 / np.arange(1, len(hosts) + 1) ** 1.1
    gen = np.random.default_rng(seed)
    idx = gen.choice(len(hosts), size=rows, p=weights / weights.sum())
    ips = [f"10.{i // 256 % 256}.{i % 256}.{i % 200 + 1}" for i in range(2000)]
    return pl.DataFrame(
        {
            "dst_host": pl.Series(hosts)[idx],
            "dst_ip": pl.Series(ips)[gen.integers(0, len(ips), size=rows)],
            "user_name": pl.Series([f"user{i}" for i in range(500)])[
                gen.integers(0, 500, size=rows)
            ],
            "bytes_up": gen.integers(0, 100_000, size=rows, dtype=np.uint64),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    frame = make_frame(args.rows)
    print(f"frame: {frame.height:,} rows, {frame['dst_host'].n_unique():,} distinct hosts")
    cold = []
    for _ in range(args.runs):
        catalog = load_catalog()
        t0 = time.perf_counter()
        out = enrich(frame, catalog)
        cold.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    enrich(frame, catalog)
    warm = time.perf_counter() - t0
    med = statistics.median(cold)
    matched = out["app_id"].is_not_null().mean()
    print(
        f"cold cache: median {med:.3f} s over {args.runs} runs -> {frame.height / med:,.0f} rows/s"
    )
    print(f"warm cache: {warm:.3f} s -> {frame.height / warm:,.0f} rows/s")
    print(f"matched rows: {matched:.1%}")


if __name__ == "__main__":
    main()
