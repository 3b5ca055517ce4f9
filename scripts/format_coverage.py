"""Per built-in format: fixtures, lines, and the canonical columns its fixtures fill.

Reads the golden files of ``tests/formats/fixtures/<format>/`` (vendor formats) and
``tests/parsers/golden/<format>/`` (CEF, LEEF, W3C) and prints a Markdown table:
how many fixture files and lines, how many lines became records or were
quarantined, and which canonical columns are non-null in at least one record.

Run: ``.venv/bin/python scripts/format_coverage.py``
"""

from __future__ import annotations

import json
from pathlib import Path

from shadowlens.plugins.manager import get_plugins
from shadowlens.schema import RECORD_POLARS_SCHEMA

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = (ROOT / "tests" / "formats" / "fixtures", ROOT / "tests" / "parsers" / "golden")
#: Columns every record has (filled by the engine), left out of the table.
ENGINE = {"log_format", "tz_assumed", "extras", "action_raw", "bytes_total"}


def coverage(name: str) -> dict[str, object]:
    """Fixture counts and filled columns of one format."""
    files = [p for folder in FOLDERS for p in sorted((folder / name).glob("*.log"))]
    lines = records = quarantined = 0
    filled: set[str] = set()
    for path in files:
        lines += sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
        golden = path.with_suffix(".jsonl")
        if not golden.exists():
            continue
        for row in map(json.loads, golden.read_text(encoding="utf-8").splitlines()):
            row = row.get("record", row)  # W3C goldens nest the record
            if "quarantined" in row or "error_code" in row:
                quarantined += 1
                continue
            records += 1
            filled |= {k for k, v in row.items() if v is not None and k in RECORD_POLARS_SCHEMA}
    order = [c for c in RECORD_POLARS_SCHEMA if c in filled and c not in ENGINE]
    return {
        "files": len(files),
        "lines": lines,
        "records": records,
        "quarantined": quarantined,
        "columns": order,
    }


def main() -> None:
    formats = get_plugins(load_entrypoints=False).formats()
    print(
        "| format | vendor / product | fixture files | lines | records | quarantined | canonical columns filled |"
    )
    print("|---|---|---:|---:|---:|---:|---|")
    for name, entry in formats.items():
        c = coverage(name)
        columns = ", ".join(c["columns"])  # type: ignore[arg-type]
        print(
            f"| `{name}` | {' / '.join(filter(None, [entry.cls.vendor, entry.cls.product]))} | {c['files']} | {c['lines']} | {c['records']} | "
            f"{c['quarantined']} | {columns} |"
        )


if __name__ == "__main__":
    main()
