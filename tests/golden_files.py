"""Golden-file helpers shared by the format tests.

A golden pair is ``golden/<format>/<name>.log`` and the expected ``<name>.jsonl``:
records and quarantined lines as JSON rows in line order. Regenerate with
``SHADOWLENS_REGEN_GOLDEN=1`` and review the diff.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

from shadowlens import ParseResult

REGENERATE = os.environ.get("SHADOWLENS_REGEN_GOLDEN") == "1"


def read_lines(path: Path) -> list[str]:
    """The lines of a golden input (no trailing empty line)."""
    return path.read_text(encoding="utf-8").split("\n")[:-1]


def render(result: ParseResult) -> list[dict[str, Any]]:
    """Records and quarantine rows as JSON-ready dicts in line order (nulls left out, extras by key)."""
    rows: list[dict[str, Any]] = []
    for record in result.records.to_dicts():
        row: dict[str, Any] = {"line": record.pop("source_line")}
        record.pop("source_offset")
        keys, values = record.pop("extras_keys"), record.pop("extras_values")
        for key, value in record.items():
            if value is not None:
                row[key] = value.isoformat() if isinstance(value, dt.datetime) else value
        # extras is a map: compared by key (a stable sort keeps repeated keys in line order).
        pairs = sorted(zip(keys, values, strict=True), key=lambda kv: kv[0])
        row["extras"] = [[k, v] for k, v in pairs]
        rows.append(row)
    rows += [
        {
            "line": bad["source_line"],
            "quarantined": bad["error_code"],
            "message": bad["error_message"],
        }
        for bad in result.quarantine.to_dicts()
    ]
    return sorted(rows, key=lambda r: r["line"])


def load_golden(path: Path) -> list[dict[str, Any]]:
    """The expected rows of a ``.jsonl`` golden file."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def check_golden(source: Path, got: list[dict[str, Any]]) -> None:
    """Compare ``got`` with ``source``'s golden file (rewrite it when regenerating)."""
    expected = source.with_suffix(".jsonl")
    if REGENERATE:
        text = "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in got)
        expected.write_text(text, encoding="utf-8")
    assert expected.exists(), f"no golden for {source.name}: run with SHADOWLENS_REGEN_GOLDEN=1"
    assert got == load_golden(expected)
