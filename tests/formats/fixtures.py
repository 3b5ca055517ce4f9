"""Where the fixtures of every built-in format live, for the shared format tests.

* vendor formats: ``tests/formats/fixtures/<format>/<case>.log``, with the expected
  records in ``<case>.jsonl`` and, optionally, ``<case>.options.json`` (ParseOptions);
* CEF, LEEF and W3C keep theirs in ``tests/parsers/golden/<format>/``.

Each fixture folder has a ``README.md`` naming the source of every line. Lines
taken from ``../shared/vendor-samples`` carry the attribution in
``tests/formats/NOTICE.md``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from shadowlens.contract import LogFormat, ParseOptions
from shadowlens.plugins.manager import FormatEntry, get_plugins
from shadowlens.testing import parse_lines

HERE = Path(__file__).parent
VENDOR = HERE / "fixtures"
GENERIC = HERE.parent / "parsers" / "golden"
#: Generic-format golden inputs not meant to be recognised: only bad lines, or a W3C
#: file without a #Fields line (read with --format w3c --option fields=...).
NOT_DETECTABLE = {"bad_lines", "bluecoat_headerless"}


#: The built-in formats, in registration order (the detection tie-break order).
BUILTIN: dict[str, FormatEntry] = {
    name: entry
    for name, entry in get_plugins().formats().items()
    if entry.plugin.startswith("shadowlens.formats.")
}


def one_record(fmt: type[LogFormat], line: str, options: ParseOptions) -> dict[str, Any]:
    """The single record of ``line`` (none quarantined), with ``extras`` as a dict too."""
    result = parse_lines(fmt, [line], options=options)
    assert result.quarantine.height == 0, result.quarantine.to_dicts()
    (record,) = result.records.to_dicts()
    record["extras"] = dict(zip(record["extras_keys"], record["extras_values"], strict=True))
    return record


def vendor_fixtures() -> list[tuple[str, Path]]:
    """(format name, fixture) for every vendor-format fixture."""
    return [
        (folder.name, path)
        for folder in sorted(p for p in VENDOR.iterdir() if p.is_dir())
        for path in sorted(folder.glob("*.log"))
    ]


def all_fixtures() -> list[tuple[str, Path]]:
    """(format name, fixture) for every fixture of every built-in format."""
    generic = [
        (folder.name, path)
        for folder in sorted(p for p in GENERIC.iterdir() if p.is_dir())
        for path in sorted(folder.glob("*.log"))
    ]
    return generic + vendor_fixtures()


def options_for(path: Path, **extra: Any) -> ParseOptions:
    """Year 2025 (yearless times stay stable) plus the fixture's own options."""
    settings: dict[str, Any] = {"year": 2025}
    sidecar = path.with_suffix(".options.json")
    if sidecar.exists():
        settings.update(json.loads(sidecar.read_text(encoding="utf-8")))
    return ParseOptions(**{**settings, **extra})
