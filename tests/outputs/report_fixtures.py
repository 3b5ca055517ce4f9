"""Build a small, realistic ``out/`` folder (records, quarantine, summary) for report tests.

The data is generated deterministically: a fortnight of proxy traffic from a
handful of users to catalogued apps (with and without risk scores and tags), a
long tail of uncatalogued domains, IP-only flows, and one hostile log line whose
user agent, URL, user name, host and app name carry HTML/JS payloads.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq

from shadowlens.schema import (
    QUARANTINE_POLARS_SCHEMA,
    QUARANTINE_SCHEMA,
    RECORD_POLARS_SCHEMA,
    RECORD_SCHEMA,
    conform,
    to_arrow,
)

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
JS_URL = "javascript:alert(1)"
#: A spreadsheet formula: a CSV cell with it must be neutralised.
FORMULA = '=HYPERLINK("https://x.test/","click")'
HOSTILE = (SCRIPT, IMG, JS_URL)

#: (app_id, name, category, risk, tags, domains)
APPS: tuple[tuple[str, str, str, int | None, list[str] | None, tuple[str, ...]], ...] = (
    (
        "dropbox",
        "Dropbox",
        "Cloud storage",
        None,
        ["unsanctioned"],
        ("dropbox.com", "dropboxapi.com"),
    ),
    ("slack", "Slack", "Collaboration", 9, ["sanctioned"], ("slack.com", "slack-edge.com")),
    (
        "github",
        "GitHub",
        "Code hosting",
        8,
        ["sanctioned"],
        ("github.com", "githubusercontent.com"),
    ),
    ("chatgpt", "ChatGPT", "Generative AI", 6, ["monitored"], ("chatgpt.com", "openai.com")),
    ("wetransfer", "WeTransfer", "Content sharing", 4, None, ("wetransfer.com",)),
    ("gmail", "Gmail", "Webmail", None, None, ("mail.google.com",)),
    ("mega", "MEGA", "Cloud storage", 3, ["unsanctioned", "review"], ("mega.nz",)),
    ("zoom", "Zoom", "Online meetings", None, None, ("zoom.us",)),
)
HOSTILE_APP = ("evil-app", f"Evil {SCRIPT}", f"Cat {IMG}", 2, [SCRIPT], (f"{IMG}.test",))
UNCATALOGUED = (
    "files-share.io",
    "cdn-static.net",
    "random-blog.org",
    "pastebin.example",
    "tracker.ads.example",
)
USERS = ("alice@corp.example", "bob@corp.example", "carol@corp.example", "dave@corp.example", None)
QUARANTINE_CODES = {"syntax": 7, "field_count": 3, "bad_timestamp": 2}
START = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)


def _record(rng: random.Random, index: int) -> dict[str, Any]:
    when = START + dt.timedelta(seconds=rng.randrange(14 * 86400))
    user = rng.choice(USERS)
    src_ip = f"10.1.{rng.randrange(2)}.{rng.randrange(2, 40)}"
    up, down = rng.randrange(0, 400_000), rng.randrange(0, 5_000_000)
    row: dict[str, Any] = {
        "event_time": when,
        "src_ip": src_ip,
        "user_name": user,
        "bytes_up": up,
        "bytes_down": down,
        "bytes_total": up + down,
        "action": "blocked" if rng.random() < 0.05 else "allowed",
        "http_method": "GET",
        "user_agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
        "log_format": "cef",
        "source_file": "logs/proxy-a.log" if index % 2 else "logs/proxy-b.log",
        "source_line": index + 1,
    }
    pick = rng.random()
    if pick < 0.7:
        app_id, name, category, risk, tags, domains = rng.choice(APPS)
        domain = rng.choice(domains)
        host = f"www.{domain}" if rng.random() < 0.5 else domain
        row |= {"app_id": app_id, "app_name": name, "app_category": category}
        row |= {"app_risk": risk, "app_tags": tags, "match_type": "domain"}
    elif pick < 0.95:
        domain = rng.choice(UNCATALOGUED)
        host = rng.choice(("", "www.", "api.")) + domain
    else:
        row |= {"dst_ip": f"203.0.113.{rng.randrange(1, 200)}", "dst_port": 443}
        return row
    row |= {"dst_host": host, "dst_domain": domain, "url": f"https://{host}/p/{index}"}
    return row


def _hostile_record(index: int) -> dict[str, Any]:
    app_id, name, category, risk, tags, domains = HOSTILE_APP
    return {
        "event_time": START + dt.timedelta(days=3, hours=index),
        "src_ip": "10.9.9.9",
        "user_name": SCRIPT if index % 2 else IMG,
        "dst_host": domains[0],
        "dst_domain": domains[0],
        "url": f"https://x.test/?q={SCRIPT}&r={IMG}",
        "user_agent": f"{IMG} {SCRIPT}",
        "bytes_up": 1_000_000,
        "bytes_down": 9_000_000,
        "bytes_total": 10_000_000,
        "action": "allowed",
        "source_file": "logs/proxy-a.log",
        "source_line": 100_000 + index,
        "app_id": app_id,
        "app_name": name,
        "app_category": category,
        "app_risk": risk,
        "app_tags": tags,
        "match_type": "exact",
    }


def _uncatalogued_hostile(index: int) -> dict[str, Any]:
    host = f"{SCRIPT}.evil.example" if index % 2 else JS_URL
    return {
        "event_time": START + dt.timedelta(days=5, hours=index),
        "src_ip": "10.9.9.8",
        "user_name": (IMG, FORMULA, JS_URL)[index % 3],
        "dst_host": host,
        "dst_domain": f"{IMG}.example",
        "url": f"http://{host}/{SCRIPT}" if index % 2 else JS_URL,
        "user_agent": SCRIPT,
        "bytes_up": 50_000_000,
        "bytes_down": 20,
        "bytes_total": 50_000_020,
        "source_file": "logs/proxy-b.log",
        "source_line": 200_000 + index,
    }


def _write(frame: pl.DataFrame, path: Path, polars_schema: pl.Schema, schema: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(to_arrow(conform(frame, polars_schema), schema), path)


def record_frame(n: int = 1200, *, seed: int = 7, hostile: bool = True) -> pl.DataFrame:
    """The records of the fixture folder as one conformed polars frame."""
    rng = random.Random(seed)
    rows = [_record(rng, i) for i in range(n)]
    if hostile:
        rows += [_hostile_record(i) for i in range(3)]
        rows += [_uncatalogued_hostile(i) for i in range(3)]
    frame = pl.DataFrame(rows, schema_overrides={"event_time": pl.Datetime("us", "UTC")})
    return conform(frame, RECORD_POLARS_SCHEMA)


def make_out_dir(root: Path, *, n: int = 1200, hostile: bool = True) -> Path:
    """Write ``records/``, ``quarantine/`` and ``summary.json`` under ``root / "out"``.

    Records are split over two Parquet files so multi-file scans are exercised.
    """
    out = root / "out"
    records = record_frame(n, hostile=hostile)
    half = records.height // 2
    _write(
        records[:half], out / "records" / "part-0000.parquet", RECORD_POLARS_SCHEMA, RECORD_SCHEMA
    )
    _write(
        records[half:], out / "records" / "part-0001.parquet", RECORD_POLARS_SCHEMA, RECORD_SCHEMA
    )
    quarantine = [
        {
            "source_file": "logs/proxy-a.log" if i % 3 else "logs/proxy-b.log",
            "source_line": 500_000 + i,
            "log_format": "cef",
            "error_code": code,
            "error_message": f"column 12: unexpected token {SCRIPT}",
            "raw": f"CEF:0|broken {IMG}",
        }
        for code, count in QUARANTINE_CODES.items()
        for i in range(count)
    ]
    _write(
        pl.DataFrame(quarantine),
        out / "quarantine" / "part-0000.parquet",
        QUARANTINE_POLARS_SCHEMA,
        QUARANTINE_SCHEMA,
    )
    files: dict[str, dict[str, int]] = {}
    for name in ("logs/proxy-a.log", "logs/proxy-b.log"):
        recs = records.filter(pl.col("source_file") == name).height
        bad = sum(1 for q in quarantine if q["source_file"] == name)
        files[name] = {"lines": recs + bad + 4 + 1, "records": recs, "quarantined": bad}
        files[name] |= {"directives": 4, "blank": 1, "untimed": 0, "year_assumed": 0}
    totals = {key: sum(f[key] for f in files.values()) for key in next(iter(files.values()))}
    summary = {"totals": totals, "files": files, "catalog_version": "starter-2024.05"}
    (out / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return out


#: ``year_assumed`` written into the summary of :func:`make_untimed_out_dir` (per file).
YEAR_ASSUMED = {"logs/proxy-a.log": 5, "logs/proxy-b.log": 0}


def make_untimed_out_dir(root: Path, *, every: int = 4) -> Path:
    """An ``out/`` folder whose records have a null ``event_time`` on every ``every``-th row.

    ``every=1`` makes every record untimed. The summary counts them per file, as
    the pipeline does, and carries :data:`YEAR_ASSUMED`.
    """
    out = root / "out"
    records = record_frame(200).with_row_index("_i")
    records = records.with_columns(
        pl.when(pl.col("_i") % every == 0)
        .then(None)
        .otherwise(pl.col("event_time"))
        .alias("event_time")
    ).drop("_i")
    _write(records, out / "records" / "part-0000.parquet", RECORD_POLARS_SCHEMA, RECORD_SCHEMA)
    files: dict[str, dict[str, int]] = {}
    for name in ("logs/proxy-a.log", "logs/proxy-b.log"):
        mine = records.filter(pl.col("source_file") == name)
        files[name] = {"lines": mine.height, "records": mine.height, "quarantined": 0}
        files[name] |= {"directives": 0, "blank": 0}
        files[name] |= {
            "untimed": mine["event_time"].null_count(),
            "year_assumed": YEAR_ASSUMED[name],
        }
    totals = {key: sum(f[key] for f in files.values()) for key in next(iter(files.values()))}
    summary = {"totals": totals, "files": files}
    (out / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return out
