"""``shadowlens formats show`` and ``formats check`` on real spec files and sample logs."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from shadowlens.contract import ParseOptions
from shadowlens.parsers.specformat import SpecFormat
from shadowlens.plugins.specs import format_from_file
from shadowlens.spec.authoring import (
    LoadedFormat,
    check_examples,
    check_samples,
    is_spec_path,
    render_check,
    same_value,
)

ACME_SPEC = Path(__file__).resolve().parent / "acme" / "acme.toml"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (old, path)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# -- formats show ---------------------------------------------------------------------------


def test_show_cef_is_a_readable_field_table(cli_main) -> None:  # type: ignore[no-untyped-def]
    done = cli_main("formats", "show", "cef")
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert text.startswith("cef: ArcSight Common Event Format")
    assert "plugin:   shadowlens.formats.cef" in text
    assert "record layout" in text
    assert "pairs:   extension: one KV_PAIR per pair" in text
    # The field table: column <- source, type, conditions, quirk, settings.
    table = text[text.index("field table") : text.index("\nquirks")]
    assert re.search(r"src_ip\s+<-\s+src\s+ip", table)
    assert re.search(
        r"bytes_up\s+<-\s+out\s+int\s+device_vendor = Zscaler\s+zscaler-byte-direction", table
    )
    assert re.search(r"^\s+<-\s+in\s+int\s*$", table, re.M)  # the quirk's fallback row
    assert re.search(r"event_time\s+<-\s+rt\s+timestamp\s+formats %B %d %y", table)
    quirks = text[text.index("\nquirks") : text.index("\noptions")]
    assert "zscaler-byte-direction: when device_vendor = Zscaler" in quirks
    assert "because Zscaler's NSS CEF feed template" in quirks
    example = text[text.index("example (1 of 1") :]
    assert re.search(r"dst_host\s+files\.example\.com", example)
    assert re.search(r"event_time\s+2025-11-26T10:15:02\+00:00", example)
    assert "extras:" in example


def test_show_a_spec_path(cli_main) -> None:  # type: ignore[no-untyped-def]
    spec = "tests/spec/acme/acme.toml"
    done = cli_main("formats", "show", spec)
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert text.startswith("acme-proxy: Acme proxy access log, pipe-delimited")
    assert f"plugin:   file:{spec}" in text
    assert "null:     '-'" in text
    assert "fields:  time, client, user, method, url, status, sent, received, verdict" in text
    assert re.search(r"event_time\s+<-\s+time\s+timestamp\s+formats %Y-%m-%dT%H:%M:%S%z", text)
    assert re.search(r"dst_host\s+<-\s+url\s+url_host", text)
    assert "quirks\n  (none)" in text
    assert "options\n  (none)" in text
    example = text[text.index("example (1 of 1") :]
    assert re.search(r"event_time\s+2025-11-26T09:15:02\+00:00", example)
    assert re.search(r"bytes_up\s+5120", example)
    assert re.search(r"action\s+allowed", example)
    assert "extras: (none)" in example


def test_show_json_gives_the_facts(cli_main) -> None:  # type: ignore[no-untyped-def]
    done = cli_main("formats", "show", str(ACME_SPEC), "--json")
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)
    assert info["plugin"] == f"file:{ACME_SPEC}"
    assert info["name"] == "acme-proxy"
    assert info["table"]["bytes_up"] == ["sent (int)"]
    assert info["null"] == ["-"]


def test_show_a_format_registered_by_format_file(cli_main) -> None:  # type: ignore[no-untyped-def]
    for args in (
        ("formats", "show", "acme-proxy", "--format-file", str(ACME_SPEC)),
        ("formats", "--format-file", str(ACME_SPEC), "show", "acme-proxy"),
        ("formats", "show", "acme-proxy", "--formats-dir", str(ACME_SPEC.parent)),
    ):
        done = cli_main(*args)
        assert done.returncode == 0, (args, done.stderr)
        assert f"plugin:   file:{ACME_SPEC}" in done.stdout


def test_show_spec_errors_keep_their_exit_code(cli_main, broken_spec) -> None:  # type: ignore[no-untyped-def]
    done = cli_main("formats", "show", str(broken_spec.spec))
    assert done.returncode == broken_spec.cause.exit_code
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    for needle in broken_spec.where:
        assert needle in done.stderr


def test_show_an_unknown_name(cli_main) -> None:  # type: ignore[no-untyped-def]
    done = cli_main("formats", "show", "acme-proxy")
    assert done.returncode == 2
    assert "unknown format 'acme-proxy'" in done.stderr


@pytest.mark.parametrize(
    ("text", "is_path"),
    [("cef", False), ("acme.toml", True), ("specs/acme", True), ("acme-proxy", False)],
)
def test_a_name_or_a_path(text: str, is_path: bool) -> None:
    assert is_spec_path(text) is is_path


# -- formats check ------------------------------------------------------------------------------


def test_check_a_clean_sample_exits_0(cli_main, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sample = tmp_path / "good.log.gz"  # any input parse reads: compressed too
    with gzip.open(sample, "wt", encoding="utf-8") as fh:
        fh.write(
            "2025-11-26T10:15:02+0100|10.1.2.3|alice|POST|https://Files.Example.com/up?a=1|200|5120|300|ALLOWED\n"
            "\n"
            "2025-11-26T10:16:40+0100|10.1.2.4|-|GET|http://198.51.100.7/|403|0|512|DENIED\n"
        )
    done = cli_main("formats", "check", str(ACME_SPEC), str(sample))
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


def test_check_shows_the_quarantine_reason_with_a_caret(cli_main, acme_log: Path) -> None:  # type: ignore[no-untyped-def]
    done = cli_main("formats", "check", str(ACME_SPEC), str(acme_log))
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


def test_check_the_caret_points_into_the_line(cli_main, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sample = tmp_path / "s.log"
    sample.write_text(
        "2025-11-26T10:15:02+0100|10.1.2.3||POST|u|200|1|2|ALLOWED\n", encoding="utf-8"
    )
    done = cli_main("formats", "check", str(ACME_SPEC), str(sample))
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


def test_check_json(cli_main, acme_log: Path) -> None:  # type: ignore[no-untyped-def]
    done = cli_main("formats", "check", str(ACME_SPEC), str(acme_log), "--json")
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


def test_check_problems_only(cli_main, acme_log: Path) -> None:  # type: ignore[no-untyped-def]
    done = cli_main("formats", "check", str(ACME_SPEC), str(acme_log), "--problems-only")
    assert done.returncode == 1
    assert " ok " not in done.stdout
    assert "QUARANTINED" in done.stdout


def test_check_a_failing_example_exits_1(cli_main, acme_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    edit(acme_dir / "acme.toml", "bytes_up = 5120", "bytes_up = 999")
    sample = tmp_path / "empty.log"
    sample.write_text("", encoding="utf-8")
    done = cli_main("formats", "check", str(acme_dir / "acme.toml"), str(sample))
    assert done.returncode == 1
    assert "  example 1: FAIL" in done.stdout
    assert "    bytes_up: expected 999, got 5120" in done.stdout
    assert done.stdout.splitlines()[-1].endswith("examples: 0 ok, 1 failed")


def test_check_examples_that_expect_a_quarantine(acme_dir: Path) -> None:
    spec = acme_dir / "acme.toml"
    with spec.open("a", encoding="utf-8") as fh:
        fh.write(
            '\n[[examples]]\nline = "a|b"\nquarantined = "unexpected_end"\n'
            '\n[[examples]]\nline = "a|b"\nquarantined = "syntax"\n'
            '\n[[examples]]\nline = "2025-11-26T10:15:02+0100|h|u|GET|http://x.org/|200|1|2|ok"\n'
            'quarantined = "syntax"\n'
            '\n[[examples]]\nline = "2025-11-26T10:15:02+0100|h|u|GET|http://x.org/|200|1|2|ok"\n'
            "expect = { extras = { nothing = 'here' }, url = 'http://x.org/' }\n"
        )
    checks = check_examples(format_from_file(spec))
    assert [c.ok for c in checks] == [True, True, False, False, False]
    assert checks[2].problems == ("quarantined as 'unexpected_end', expected 'syntax'",)
    assert checks[3].problems == ("gave a record; expected quarantined as 'syntax'",)
    assert checks[4].problems == ("extras['nothing']: expected 'here', got None",)


def test_check_an_untimed_line_is_a_record_not_a_finding(tmp_path: Path) -> None:
    sample = tmp_path / "s.log"
    sample.write_text(
        "yesterday|10.1.2.3|alice|GET|http://x.org/|200|1|2|ALLOWED\n", encoding="utf-8"
    )
    report = check_samples(LoadedFormat(format_from_file(ACME_SPEC), "t"), [str(sample)])
    assert [(c.outcome, c.untimed) for c in report.lines] == [("record", True)]
    assert report.findings == 0
    assert "no usable event time" in render_check(report)


def test_check_spec_errors_keep_their_code_and_message(
    cli_main, broken_spec, acme_log: Path
) -> None:  # type: ignore[no-untyped-def]
    done = cli_main("formats", "check", str(broken_spec.spec), str(acme_log))
    assert done.returncode == broken_spec.cause.exit_code  # 2 for a spec, 4 for a grammar
    assert done.stdout == ""
    err = done.stderr.strip()
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1
    assert err.startswith("error: ")
    for needle in broken_spec.where:
        assert needle in err


def test_check_a_missing_sample_is_an_input_error(cli_main, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    done = cli_main("formats", "check", str(ACME_SPEC), str(tmp_path / "nope.log"))
    assert done.returncode == 3
    assert "nope.log" in done.stderr


def test_check_a_builtin_by_name(cli_main, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sample = tmp_path / "cef.log"
    sample.write_text(
        "CEF:0|Zscaler|NSSWeblog|5.0|Allowed|Allowed|3|rt=1700000000000 src=10.0.0.1 in=100 out=7\n",
        encoding="utf-8",
    )
    done = cli_main("formats", "check", "cef", str(sample))
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


# -- comparing expected values ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("got", "expected", "same"),
    [
        (dt.datetime(2025, 11, 26, 9, 15, 2, tzinfo=dt.UTC), "2025-11-26T09:15:02+00:00", True),
        (dt.datetime(2025, 11, 26, 9, 15, 2, tzinfo=dt.UTC), "2025-11-26T09:15:02Z", True),
        (dt.datetime(2025, 11, 26, 9, 15, 2, tzinfo=dt.UTC), "2025-11-26T10:15:02+01:00", True),
        (
            dt.datetime(2025, 11, 26, 9, 15, 2, tzinfo=dt.UTC),
            dt.datetime(2025, 11, 26, 9, 15, 2),
            True,
        ),
        (dt.datetime(2025, 11, 26, 9, 15, 2, tzinfo=dt.UTC), "2025-11-26T09:15:03Z", False),
        (dt.datetime(2025, 11, 26, 9, 15, 2, tzinfo=dt.UTC), "not a time", False),
        (5120, 5120, True),
        (0.5, 0.5000000000001, True),
        (200, "200", True),
        (True, True, True),
        (False, "true", False),
        ("allowed", "allowed", True),
        (None, "x", False),
    ],
)
def test_same_value(got: Any, expected: Any, same: bool) -> None:
    assert same_value(got, expected) is same
