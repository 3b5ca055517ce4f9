"""``shadowlens quarantine OUT``: the quarantined lines as a table or JSON (issue 10, item 9)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

HEAD = "CEF:0|V|P|1|100|Allowed|3|"
LINES = [
    HEAD + "rt=1700000000000 dhost=ok.example.com",
    "CEF:0|truncated",
    "\x1b[31mred [bold]markup[/bold]\x00nul\u2028sep",
    HEAD + "rt=Jan 01 0000 00:00:00 dhost=a.example.com",
    "x" * 500,
]


@pytest.fixture
def out(cli, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "a.log").write_text("\n".join(LINES) + "\n", encoding="utf-8")
    (logs / "b.log").write_text(LINES[0] + "\nnot cef either\n", encoding="utf-8")
    result = cli("parse", str(logs), "-o", str(tmp_path / "out"), "--format", "cef")
    assert result.returncode == 0, result.stderr
    return tmp_path / "out"


def test_table_shows_every_column_escaped(
    cli,  # type: ignore[no-untyped-def]
    out: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "2000")  # one table row per line
    result = cli("quarantine", str(out))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    header = lines[1].split()
    assert [h for h in header if h.isalpha()] == [
        "file",
        "line",
        "offset",
        "code",
        "message",
        "raw",
    ]
    for control in ("\x1b", "\x00", "\u2028"):
        assert control not in result.stdout
    rows = [line for line in lines if "a.log" in line or "b.log" in line]
    assert len(rows) == 5
    hostile = next(row for row in rows if "red" in row)
    # escaped, and the brackets shown as they are: not read as console markup
    assert "\\x1b[31mred [bold]markup[/bold]\\x00nul\\u2028sep" in hostile
    assert "bad_timestamp" in result.stdout
    long_row = next(row for row in rows if "xxxxx" in row)
    assert "x" * 119 + "…" in long_row
    assert "x" * 120 not in long_row  # the raw line is cut
    assert "5 of 5 matching" in result.stderr


def test_filters_and_limit(cli, out: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("quarantine", str(out), "--code", "bad_timestamp", "--json")
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["matching"] == 1
    (row,) = shown["rows"]
    assert (row["line"], row["code"], row["raw"]) == (4, "bad_timestamp", LINES[3])
    assert row["file"].endswith("a.log")
    assert row["offset"] > 0
    result = cli("quarantine", str(out), "--file", "b.log", "--json")
    rows = json.loads(result.stdout)["rows"]
    assert [(r["line"], r["raw"]) for r in rows] == [(2, "not cef either")]
    result = cli("quarantine", str(out), "--limit", "2", "--json")
    shown = json.loads(result.stdout)
    assert (shown["matching"], shown["shown"]) == (5, 2)
    assert [r["line"] for r in shown["rows"]] == [2, 3]
    result = cli("quarantine", str(out), "--limit", "0", "--json")
    assert json.loads(result.stdout)["shown"] == 5


def test_exit_codes(cli, out: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    no_match = cli("quarantine", str(out), "--file", "missing.log")
    assert no_match.returncode == 1
    assert "no quarantined line matching" in no_match.stderr
    unknown = cli("quarantine", str(out), "--code", "nope")
    assert unknown.returncode == 2
    assert "unknown error code 'nope'" in unknown.stderr
    assert cli("quarantine", str(out), "--limit", "-1").returncode == 2
    missing = cli("quarantine", str(tmp_path / "nowhere"))
    assert missing.returncode == 3
    assert "nowhere: no quarantine/ folder" in missing.stderr
    for part in (out / "quarantine").glob("*.parquet"):
        part.write_bytes(b"PAR1 not parquet at all")
    broken = cli("quarantine", str(out))
    assert broken.returncode == 3
    assert f"{out / 'quarantine'}: cannot read the quarantine" in broken.stderr
    assert "Traceback" not in broken.stderr


def test_an_empty_quarantine_is_not_an_error(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    log = tmp_path / "a.log"
    log.write_text(LINES[0] + "\n", encoding="utf-8")
    assert cli("parse", str(log), "-o", str(tmp_path / "out")).returncode == 0
    result = cli("quarantine", str(tmp_path / "out"))
    assert result.returncode == 0
    assert "no quarantined line in this output" in result.stderr
