"""A large ``out/`` folder for the report's scale tests, generated vectorized (numpy).

``make_scale_out_dir(root, records=1_000_000, users=100_000, apps=5_000)`` writes
records drawn with Zipf-like popularity (a few heavy users and apps, a long tail)
over two days, a fifth of them to uncatalogued domains, with tags and risk on
some apps and hostile text in a few names, so that the page must cope with the
sizes issue 11 names: 100,000 users and 5,000 apps.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow.parquet as pq

from shadowlens.schema import RECORD_POLARS_SCHEMA, RECORD_SCHEMA, conform, to_arrow

START = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
TAGS = (["sanctioned"], ["unsanctioned"], ["monitored"], None, None)
HOSTILE_USER = '"><img src=x onerror=alert(1)>'


def _zipf_index(rng: np.random.Generator, size: int, n: int) -> np.ndarray:
    """Indices in ``[0, n)``, the low ones much more frequent (a long tail)."""
    return np.minimum((rng.pareto(1.1, size) * n / 20).astype(np.int64), n - 1)


def scale_records(
    records: int, users: int, apps: int, *, seed: int = 11, span_hours: int = 40
) -> pl.DataFrame:
    """``records`` enriched records as one frame (canonical schema)."""
    rng = np.random.default_rng(seed)
    user_ix = np.concatenate([np.arange(min(users, records)), _zipf_index(rng, records, users)])
    user_ix = user_ix[:records]
    app_ix = np.concatenate([np.arange(min(apps, records)), _zipf_index(rng, records, apps)])
    app_ix = app_ix[:records]
    catalogued = rng.random(records) < 0.8
    catalogued[:apps] = True  # every user and every app appears at least once
    up = rng.integers(0, 200_000, records, dtype=np.uint64)
    down = rng.integers(0, 2_000_000, records, dtype=np.uint64)
    seconds = rng.integers(0, span_hours * 3600, records)
    names = np.array([f"user{i:06d}@corp.example" for i in range(users)], dtype=object)
    names[users // 2] = HOSTILE_USER
    app_ids = np.array([f"app-{i:05d}" for i in range(apps)], dtype=object)
    risk = pl.Series([None if i % 4 == 3 else i % 11 for i in range(apps)], dtype=pl.UInt8)
    tags = pl.Series([TAGS[i % len(TAGS)] for i in range(apps)], dtype=pl.List(pl.String))
    catalog = pl.DataFrame(
        {
            "_app": np.arange(apps),
            "app_id": app_ids,
            "app_name": [f"App {i}" for i in range(apps)],
            "app_category": [f"Category {i % 40}" for i in range(apps)],
            "app_risk": risk,
            "app_tags": tags,
        }
    )
    frame = pl.DataFrame(
        {
            "event_time": pl.Series(
                (seconds + int(START.timestamp())) * 1_000_000, dtype=pl.Int64
            ).cast(pl.Datetime("us", "UTC")),
            "user_name": names[user_ix],
            "src_ip": [
                f"10.{(u >> 16) & 255}.{(u >> 8) & 255}.{u & 255}" for u in user_ix.tolist()
            ],
            "_app": np.where(catalogued, app_ix, -1),
            "dst_domain": [
                f"app{a}.example" if c else f"tail{a}.example"
                for a, c in zip(app_ix.tolist(), catalogued.tolist(), strict=True)
            ],
            "bytes_up": up,
            "bytes_down": down,
            "bytes_total": up + down,
            "action": np.where(rng.random(records) < 0.04, "blocked", "allowed"),
        }
    )
    frame = frame.join(catalog, on="_app", how="left").drop("_app")
    frame = frame.with_columns(
        dst_host=pl.col("dst_domain"),
        source_file=pl.lit("logs/big.log"),
        source_line=pl.int_range(1, records + 1, dtype=pl.UInt64),
        match_type=pl.when(pl.col("app_id").is_not_null()).then(pl.lit("domain")),
    )
    return conform(frame, RECORD_POLARS_SCHEMA)


def make_scale_out_dir(
    root: Path, *, records: int = 1_000_000, users: int = 100_000, apps: int = 5_000
) -> Path:
    """Write ``root/out`` with ``records`` records in parts of 250,000 and a summary."""
    out = root / "out"
    (out / "records").mkdir(parents=True)
    frame = scale_records(records, users, apps)
    for number, start in enumerate(range(0, records, 250_000)):
        part = frame.slice(start, 250_000)
        pq.write_table(
            to_arrow(part, RECORD_SCHEMA), out / "records" / f"part-{number:04d}.parquet"
        )
    counts = {"lines": records, "records": records, "quarantined": 0, "directives": 0}
    counts |= {"blank": 0, "untimed": 0, "year_assumed": 0}
    summary = {"totals": counts, "files": {"logs/big.log": counts}}
    (out / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    return out
