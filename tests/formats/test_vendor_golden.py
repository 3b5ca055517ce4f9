"""Every vendor format against its golden files: records, quarantine, both engines, accounting.

For each ``tests/formats/fixtures/<format>/<case>.log`` the records and quarantined
lines must equal ``<case>.jsonl`` (regenerate with ``SHADOWLENS_REGEN_GOLDEN=1`` and
review the diff); Lark alone must give the very same rows; every non-blank line
must end as a record, a quarantined line or a directive; and every format must
have a garbled line quarantined with a reason.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures import VENDOR, options_for, vendor_fixtures

from golden_files import check_golden, read_lines, render
from shadowlens.testing import format_class, parse_lines

FIXTURES = vendor_fixtures()
IDS = [f"{name}/{path.stem}" for name, path in FIXTURES]


@pytest.mark.parametrize(("name", "source"), FIXTURES, ids=IDS)
def test_golden(name: str, source: Path) -> None:
    result = parse_lines(format_class(name), read_lines(source), options=options_for(source))
    check_golden(source, render(result))


@pytest.mark.parametrize(("name", "source"), FIXTURES, ids=IDS)
def test_lark_reference_gives_the_same_rows(name: str, source: Path) -> None:
    fmt, lines = format_class(name), read_lines(source)
    fast = render(parse_lines(fmt, lines, options=options_for(source)))
    assert render(parse_lines(fmt, lines, options=options_for(source, engine="reference"))) == fast


@pytest.mark.parametrize(("name", "source"), FIXTURES, ids=IDS)
def test_every_line_is_accounted_for(name: str, source: Path) -> None:
    lines = read_lines(source)
    result = parse_lines(format_class(name), lines, options=options_for(source))
    non_blank = sum(1 for line in lines if line.strip())
    assert result.records.height + result.quarantine.height + result.directives == non_blank


@pytest.mark.parametrize("folder", sorted(p for p in VENDOR.iterdir() if p.is_dir()), ids=str)
def test_each_format_has_a_sourced_garbled_line(folder: Path) -> None:
    """A README names the sources, and some fixture line is quarantined with a reason."""
    assert (folder / "README.md").is_file()
    quarantined = [
        row
        for source in folder.glob("*.log")
        for row in render(
            parse_lines(format_class(folder.name), read_lines(source), options=options_for(source))
        )
        if "quarantined" in row
    ]
    assert quarantined, f"no fixture of {folder.name} has a line that is quarantined"
    assert all(row["message"] for row in quarantined)
