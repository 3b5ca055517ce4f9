"""``shadowlens formats check``: per line fast path vs Lark, quarantine with a caret, examples."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path
from typing import Any

import polars as pl

from shadowlens.contract import ParseOptions
from shadowlens.parsers.specformat import SpecFormat
from shadowlens.plugins.specs import format_from_file
from shadowlens.spec.authoring import LoadedFormat
from shadowlens.spec.checking import check_samples, render_check

ACME_SPEC = Path(__file__).resolve().parent / "acme" / "acme.toml"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (old, path)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# -- formats check ------------------------------------------------------------------------------


def test_check_a_clean_sample_exits_0(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sample = tmp_path / "good.log.gz"  # any input parse reads: compressed too
    with gzip.open(sample, "wt", encoding="utf-8") as fh:
        fh.write(
            "2025-11-26T10:15:02+0100|10.1.2.3|alice|POST|https://Files.Example.com/up?a=1|200|5120|300|ALLOWED\n"
            "\n"
            "2025-11-26T10:16:40+0100|10.1.2.4|-|GET|http://198.51.100.7/|403|0|512|DENIED\n"
        )
    done = cli("formats", "check", str(ACME_SPEC), str(sample))
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"acme-proxy (file:{ACME_SPEC})"
    assert re.match(r"\s+1\s+ok\s+2025-11-26T10:15:02", lines[2])
    assert re.match(r"\s+3\s+ok\s+2025-11-26T10:16:40", lines[3])  # the blank line 2 is skipped
    assert "  example 1: ok" in lines
    assert lines[-1] == (
        "OK: 2 line(s): 2 record(s), 0 quarantined, 0 directive(s); "
        "fast path vs Lark: 2 agree, 0 fallback, 0 differ; examples: 1 ok, 0 failed"
    )


def test_check_shows_the_quarantine_reason_with_a_caret(cli, acme_log: Path) -> None:  # type: ignore[no-untyped-def]
    done = cli("formats", "check", str(ACME_SPEC), str(acme_log))
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if "QUARANTINED" in line)
    assert re.match(r"\s+3\s+QUARANTINED\s+2025-11-26T10:17:00\+0100\|10\.1\.2\.5\|bob$", lines[at])
    assert lines[at + 1].strip() == 'unexpected_end: line ends early at column 38; expected "|"'
    shown, caret = lines[at + 2], lines[at + 3]
    assert shown.strip() == "2025-11-26T10:17:00+0100|10.1.2.5|bob"
    assert caret.strip() == "^"
    assert caret.index("^") == shown.index("2025") + 37  # column 38: one past the end
    assert lines[-1].startswith("FAILED (1 finding(s)): 3 line(s): 2 record(s), 1 quarantined")


def test_check_the_caret_points_into_the_line(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sample = tmp_path / "s.log"
    sample.write_text(
        "2025-11-26T10:15:02+0100|10.1.2.3||POST|u|200|1|2|ALLOWED\n", encoding="utf-8"
    )
    done = cli("formats", "check", str(ACME_SPEC), str(sample))
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip().startswith("syntax:"))
    shown, caret = lines[at + 1], lines[at + 2]
    column = int(re.search(r"column (\d+)", lines[at]).group(1))  # type: ignore[union-attr]
    start = shown.index("2025")
    assert caret.index("^") - start == column - 1
    # The empty user field: a second "|" where a value belongs.
    assert shown[caret.index("^")] == "|"


def test_check_a_long_line_shows_a_window_around_the_column(tmp_path: Path) -> None:
    sample = tmp_path / "long.log"
    good = "2025-11-26T10:15:02+0100|10.1.2.3|alice|POST|https://e.com/" + "a" * 300
    sample.write_text(good + "|200|1|2|ALLOWED|extra\n", encoding="utf-8")
    loaded = LoadedFormat(format_from_file(ACME_SPEC), "test")
    text = render_check(check_samples(loaded, [str(sample)]))
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip().startswith("syntax:"))
    shown, caret = lines[at + 1], lines[at + 2]
    assert len(shown.strip()) <= 102  # the window and its two ellipses
    assert shown.strip().startswith("…")
    assert shown[caret.index("^") :].startswith("|extra")


def test_check_json(cli, acme_log: Path) -> None:  # type: ignore[no-untyped-def]
    done = cli("formats", "check", str(ACME_SPEC), str(acme_log), "--json")
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert report["ok"] is False
    assert report["counts"]["quarantined"] == 1
    assert report["counts"]["agree"] == 2
    bad = report["lines"][2]
    assert (bad["line"], bad["paths"], bad["outcome"]) == (3, "rejected", "quarantined")
    assert (bad["error_code"], bad["column"]) == ("unexpected_end", 38)
    assert report["examples"] == [
        {"example": 1, "line": report["examples"][0]["line"], "ok": True, "problems": []}
    ]


def test_check_problems_only(cli, acme_log: Path) -> None:  # type: ignore[no-untyped-def]
    done = cli("formats", "check", str(ACME_SPEC), str(acme_log), "--problems-only")
    assert done.returncode == 1
    assert " ok " not in done.stdout
    assert "QUARANTINED" in done.stdout


def test_check_a_failing_example_exits_1(cli, acme_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    edit(acme_dir / "acme.toml", "bytes_up = 5120", "bytes_up = 999")
    sample = tmp_path / "empty.log"
    sample.write_text("", encoding="utf-8")
    done = cli("formats", "check", str(acme_dir / "acme.toml"), str(sample))
    assert done.returncode == 1
    assert "  example 1: FAIL" in done.stdout
    assert "    bytes_up: expected 999, got 5120" in done.stdout
    assert done.stdout.splitlines()[-1].endswith("examples: 0 ok, 1 failed")


def test_check_an_untimed_line_is_a_record_not_a_finding(tmp_path: Path) -> None:
    sample = tmp_path / "s.log"
    sample.write_text(
        "yesterday|10.1.2.3|alice|GET|http://x.org/|200|1|2|ALLOWED\n", encoding="utf-8"
    )
    report = check_samples(LoadedFormat(format_from_file(ACME_SPEC), "t"), [str(sample)])
    assert [(c.outcome, c.untimed) for c in report.lines] == [("record", True)]
    assert report.findings == 0
    assert "no usable event time" in render_check(report)


def test_check_spec_errors_keep_their_code_and_message(cli, broken_spec, acme_log: Path) -> None:  # type: ignore[no-untyped-def]
    done = cli("formats", "check", str(broken_spec.spec), str(acme_log))
    assert done.returncode == broken_spec.cause.exit_code  # 2 for a spec, 4 for a grammar
    assert done.stdout == ""
    err = done.stderr.strip()
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1
    assert err.startswith("error: ")
    for needle in broken_spec.where:
        assert needle in err


def test_check_a_missing_sample_is_an_input_error(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    done = cli("formats", "check", str(ACME_SPEC), str(tmp_path / "nope.log"))
    assert done.returncode == 3
    assert "nope.log" in done.stderr


def test_check_a_builtin_by_name(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sample = tmp_path / "cef.log"
    sample.write_text(
        "CEF:0|Zscaler|NSSWeblog|5.0|Allowed|Allowed|3|rt=1700000000000 src=10.0.0.1 in=100 out=7\n",
        encoding="utf-8",
    )
    done = cli("formats", "check", "cef", str(sample))
    assert done.returncode == 0, done.stdout
    assert done.stdout.startswith("cef (shadowlens.formats.cef)")
    assert "1 agree" in done.stdout


# -- the fast path and Lark disagreeing ---------------------------------------------------------
# A spec format's fast path is compiled from its grammar, so they agree by
# construction; these subclasses break one on purpose to see the report.


def _acme() -> type[SpecFormat]:
    cls = format_from_file(ACME_SPEC)
    assert issubclass(cls, SpecFormat)
    return cls


class _Drifting(_acme()):  # type: ignore[misc]
    """Its fast path upper-cases the method: a fast path that drifted from the grammar."""

    def fast_fields(self, lines: pl.DataFrame, state: Any) -> pl.DataFrame:
        return super().fast_fields(lines, state).with_columns(pl.col("method").str.to_uppercase())


class _Timid(_acme()):  # type: ignore[misc]
    """Its fast path accepts nothing: every line goes to Lark."""

    def fast_fields(self, lines: pl.DataFrame, state: Any) -> pl.DataFrame:
        return super().fast_fields(lines, state).clear()


def test_check_lists_differing_fields_with_both_values(tmp_path: Path) -> None:
    sample = tmp_path / "s.log"
    sample.write_text(
        "2025-11-26T10:15:02+0100|h|u|get|http://x.org/|200|1|2|ok\n", encoding="utf-8"
    )
    report = check_samples(LoadedFormat(_Drifting, "test"), [str(sample)])
    assert report.lines[0].paths == "differ"
    assert report.lines[0].diffs == (("method", "GET", "get"),)
    assert report.findings == 1
    text = render_check(report)
    assert "DIFF" in text
    assert "method: fast path 'GET' / Lark 'get'" in text


def test_check_counts_fallback_lines_without_failing(tmp_path: Path) -> None:
    sample = tmp_path / "s.log"
    sample.write_text(
        "2025-11-26T10:15:02+0100|h|u|GET|http://x.org/|200|1|2|ok\n", encoding="utf-8"
    )
    report = check_samples(LoadedFormat(_Timid, "test"), [str(sample)], ParseOptions())
    assert [(c.paths, c.outcome) for c in report.lines] == [("fallback", "record")]
    assert report.findings == 0
    assert report.counts()["fallback"] == 1
    assert "only Lark accepts this line" in render_check(report)


def test_check_a_format_with_directives(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sample = tmp_path / "u_ex.log"
    sample.write_text(
        "#Version: 1.0\n"
        "#Fields: date time c-ip cs-method cs-uri-stem sc-status\n"
        "2024-03-01 10:00:00 192.0.2.1 GET /a 200\n",
        encoding="utf-8",
    )
    done = cli("formats", "check", "w3c", str(sample))
    assert done.returncode == 0, done.stdout
    lines = done.stdout.splitlines()
    assert re.match(r"\s+1\s+directive\s+#Version: 1\.0$", lines[2])
    assert re.match(r"\s+2\s+directive\s+#Fields:", lines[3])
    assert re.match(r"\s+3\s+ok\s+2024-03-01", lines[4])
    assert "1 record(s), 0 quarantined, 2 directive(s)" in lines[-1]
