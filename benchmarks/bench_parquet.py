"""Parquet write options on real records: time (CPU) and size per setting, one process.

Parses a CEF corpus once (or reads ``--records DIR``, a ``records/`` folder a run
wrote), then writes the same record batches with each setting, ``--runs`` times,
alternating settings, and prints median CPU seconds and size relative to the
current default (``shadowlens.engine.writer``). The default is chosen from this
table: fastest among the settings whose files stay within 15% of zstd's size.

Run: ``.venv/bin/python benchmarks/bench_parquet.py [--lines 200000] [--records DIR]``
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from shadowlens.engine.writer import STATISTICS_COLUMNS, dictionary_columns

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen_corpus

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--lines", type=int, default=200_000)
parser.add_argument("--records", type=Path, default=None)
parser.add_argument("--runs", type=int, default=3)
args = parser.parse_args()
records = args.records
if records is None:
    from shadowlens.engine.pipeline import RunConfig, run_parse

    corpus = gen_corpus.corpus_path("cef", args.lines, gen_corpus.CORPUS)
    if not corpus.exists():
        gen_corpus.generate("cef", args.lines, gen_corpus.CORPUS)
    out = Path(tempfile.mkdtemp(prefix="bench-parquet-"))
    run_parse(RunConfig(inputs=[str(corpus)], out_dir=out, format="cef"))
    records = out / "records"
t = pq.read_table(records)
schema = t.schema
stats = [n for n in STATISTICS_COLUMNS if n in schema.names]
dic = dictionary_columns(schema)
batches = t.to_batches(max_chunksize=24767)


def write(options: dict[str, object]) -> tuple[float, float, int]:
    """(wall s, CPU s, bytes) of writing every batch with ``options``."""
    kw = dict(options)
    row_group = int(kw.pop("row_group_size", 1_000_000))  # type: ignore[call-overload]
    sink = io.BytesIO()
    t0, c0 = time.perf_counter(), time.process_time()
    writer = pq.ParquetWriter(sink, schema, **kw)
    for batch in batches:
        writer.write_table(pa.Table.from_batches([batch]), row_group_size=row_group)
    writer.close()
    return time.perf_counter() - t0, time.process_time() - c0, len(sink.getvalue())


common = {"write_statistics": stats, "use_dictionary": dic}
BASE = "zstd (pyarrow default level)"
configs: dict[str, dict[str, object]] = {
    BASE: {"compression": "zstd", **common},
    "zstd-1": {"compression": "zstd", "compression_level": 1, **common},
    "zstd-3": {"compression": "zstd", "compression_level": 3, **common},
    "lz4": {"compression": "lz4", **common},
    "snappy": {"compression": "snappy", **common},
    "none": {"compression": "none", **common},
    "zstd-1 dictionary everywhere": {
        "compression": "zstd", "compression_level": 1, **common, "use_dictionary": True
    },
    "zstd-1 no dictionary": {
        "compression": "zstd", "compression_level": 1, **common, "use_dictionary": False
    },
    "zstd-1 row groups of 128k": {
        "compression": "zstd", "compression_level": 1, **common, "row_group_size": 131072
    },
    "zstd-1 no statistics": {
        "compression": "zstd", "compression_level": 1, **common, "write_statistics": False
    },
}  # fmt: skip
res: dict[str, list[tuple[float, float, int]]] = {k: [] for k in configs}
for _ in range(args.runs):  # settings alternate, so load changes hit them all alike
    for name, options in configs.items():
        res[name].append(write(options))
base = statistics.median(x[1] for x in res[BASE])
base_size = res[BASE][0][2]
print(f"{t.num_rows:,} records, {t.nbytes / 1e6:.0f} MB in memory; median of {args.runs} runs")
for name, runs in res.items():
    wall = statistics.median(x[0] for x in runs)
    cpu = statistics.median(x[1] for x in runs)
    size = runs[0][2]
    print(
        f"{name:30s} wall {wall:.3f} s  cpu {cpu:.3f} s ({cpu / base:.2f}x)  "
        f"size {size / 1e6:.1f} MB ({size / base_size:.2f}x)"
    )
