"""The command line: errors name the file (and line), exit with the error's code, no traceback."""

from __future__ import annotations

import gzip
import json
import lzma
import zipfile
from pathlib import Path
from typing import Any, ClassVar

import polars as pl
import pytest

from shadowlens import LogFormat, ParseOptions, ParseResult, cli, hookimpl
from shadowlens.engine.pipeline import RunConfig, run_parse
from shadowlens.parsers.base import QUARANTINE_ROWS_SCHEMA
from shadowlens.parsers.normalize import parse_timestamp
from shadowlens.plugins.manager import get_plugins

CEF_LINE = "CEF:0|Acme|Proxy|1.0|100|allowed|3|rt=1700000000000 src=10.0.0.1 dhost=files.slack.com act=allow"


@pytest.fixture
def cef_file(tmp_path: Path) -> Path:
    path = tmp_path / "proxy.log"
    path.write_text(CEF_LINE + "\nnot cef at all\n", encoding="utf-8")
    return path


def assert_clean_error(err: str, *needles: str) -> None:
    assert "Traceback" not in err
    assert err.startswith("error: "), err
    assert len(err.strip().splitlines()) <= 2, err
    for needle in needles:
        assert needle in err, (needle, err)


def test_missing_file(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    missing = tmp_path / "nope.log"
    code, _out, err = cli("parse", str(missing), "-o", str(tmp_path / "out"))
    assert code == 3
    assert_clean_error(err, str(missing), "no such file")


def test_unreadable_zip(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "logs.zip"
    bad.write_bytes(b"PK\x03\x04" + b"\x00garbage" * 20)
    code, _out, err = cli("parse", str(bad), "-o", str(tmp_path / "out"))
    assert code == 3
    assert_clean_error(err, str(bad), "zip")


def test_truncated_gzip_names_file_and_line(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = gzip.compress(b"".join(b"%s\n" % CEF_LINE.encode() for _ in range(2000)))
    bad = tmp_path / "cut.log.gz"
    bad.write_bytes(data[: len(data) // 2])
    code, _out, err = cli("parse", str(bad), "--format", "cef", "-o", str(tmp_path / "out"))
    assert code == 3
    assert_clean_error(err, str(bad), "line ")


def test_corrupt_xz_is_an_input_error(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = bytearray(lzma.compress(CEF_LINE.encode() * 100))
    data[40:80] = b"\x00" * 40
    bad = tmp_path / "broken.log.xz"
    bad.write_bytes(bytes(data))
    code, _out, err = cli("parse", str(bad), "--format", "cef", "-o", str(tmp_path / "out"))
    assert_clean_error(err, str(bad))
    assert code == 3


def test_unknown_format(cli, cef_file: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, _out, err = cli("parse", str(cef_file), "--format", "nope", "-o", str(tmp_path / "o"))
    assert code == 2
    assert_clean_error(err, "unknown format 'nope'", "cef")
    assert not (tmp_path / "o").exists()


def test_bad_tz(cli, cef_file: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, _out, err = cli("parse", str(cef_file), "--tz", "Mars/Olympus", "-o", str(tmp_path / "o"))
    assert code == 2
    assert_clean_error(err, "'Mars/Olympus'", "IANA")


@pytest.mark.parametrize(
    ("options", "needles"),
    [
        (["--option", "novalue"], ["--option expects KEY=VALUE", "'novalue'"]),
        (["--option", "=x"], ["--option expects KEY=VALUE"]),
        (["--format", "cef", "--option", "colour=red"], ["format 'cef'", "colour"]),
    ],
)
def test_bad_option(
    cli, cef_file: Path, tmp_path: Path, options: list[str], needles: list[str]
) -> None:  # type: ignore[no-untyped-def]
    code, _out, err = cli("parse", str(cef_file), *options, "-o", str(tmp_path / "o"))
    assert code == 2
    assert_clean_error(err, *needles)


def test_bad_engine(cli, cef_file: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, _out, err = cli("parse", str(cef_file), "--engine", "turbo", "-o", str(tmp_path / "o"))
    assert code == 2
    assert_clean_error(err, "'turbo'")


def test_usage_error_has_no_traceback(cli) -> None:  # type: ignore[no-untyped-def]
    code, _out, err = cli("parse")
    assert code == 2
    assert "Traceback" not in err
    assert "inputs" in err.lower()


def test_internal_error_has_no_traceback_unless_debug(
    cli, cef_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from shadowlens.engine import pipeline

    def explode(config: object) -> None:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(pipeline, "run_parse", explode)
    code, _out, err = cli("parse", str(cef_file), "-o", str(tmp_path / "o"))
    assert code == 70
    assert "internal error: RuntimeError: kaboom" in err
    assert "--debug" in err
    assert "Traceback" not in err
    with pytest.raises(RuntimeError, match="kaboom"):
        cli("--debug", "parse", str(cef_file), "-o", str(tmp_path / "o"))


def test_formats_lists_formats_with_their_plugin(cli) -> None:  # type: ignore[no-untyped-def]
    code, out, _err = cli("formats")
    assert code == 0
    lines = out.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("cef "))
    assert "ArcSight" in lines[at]
    assert "built-in (shadowlens.formats.cef)" in lines[at + 1]


def test_formats_show(cli) -> None:  # type: ignore[no-untyped-def]
    code, out, _err = cli("formats", "show", "cef", "--json")
    assert code == 0
    info = json.loads(out)
    assert (info["name"], info["plugin"]) == ("cef", "shadowlens.formats.cef")
    assert info["grammar"].endswith("cef.lark")
    assert info["fields"]
    assert info["reference_only"]


def test_formats_show_unknown(cli) -> None:  # type: ignore[no-untyped-def]
    code, _out, err = cli("formats", "show", "nope")
    assert code == 2
    assert_clean_error(err, "unknown format 'nope'")


def test_disable_plugin_option(cli) -> None:  # type: ignore[no-untyped-def]
    code, out, _err = cli("--disable-plugin", "shadowlens.formats.cef", "formats")
    assert code == 0
    assert " cef " not in out


def test_version(cli) -> None:  # type: ignore[no-untyped-def]
    code, out, _err = cli("--version")
    assert code == 0
    assert out.startswith("shadowlens ")


def test_parse_end_to_end_in_a_subprocess(cli_subprocess, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The real console entry (``python -m shadowlens``), with a zip holding two members."""
    archive = tmp_path / "logs.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("a.log", CEF_LINE + "\n\ngarbage line\n")
        zf.writestr("b/c.log", CEF_LINE + "\n")
    out = tmp_path / "out"
    result = cli_subprocess("parse", archive, "--format", "cef", "-o", out)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert set(summary["files"]) == {f"{archive}!/a.log", f"{archive}!/b/c.log"}
    totals = summary["totals"]
    assert (totals["lines"], totals["records"], totals["quarantined"], totals["blank"]) == (
        4,
        2,
        1,
        1,
    )
    assert "quarantined" in result.stderr


class Syslogish(LogFormat):
    """``Mmm dd HH:MM:SS host`` lines (a yearless syslog date) or ``- host`` (no time at all)."""

    name: ClassVar[str] = "syslogish"
    description: ClassVar[str] = "test format"

    def parse(self, lines: pl.DataFrame, state: Any) -> ParseResult:
        fields = lines.with_columns(
            pl.col("line").str.extract(r"^(.*) (\S+)$", 1).alias("when"),
            pl.col("line").str.extract(r" (\S+)$", 1).alias("dst_host"),
        )
        records = parse_timestamp(fields, "when", year=self.options.year, epoch=False)
        records = records.select(
            "event_time", "tz_assumed", "dst_host", "source_line", "source_offset"
        )
        return ParseResult(
            records,
            pl.DataFrame(schema=QUARANTINE_ROWS_SCHEMA),
            year_assumed=records["event_time"].is_not_null().sum(),
        )


class SyslogishPlugin:
    @hookimpl
    def register_formats(self) -> list[type[LogFormat]]:
        return [Syslogish]


@pytest.mark.parametrize("year", [None, 2023])
def test_end_of_run_account_explains_yearless_and_untimed_records_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], year: int | None
) -> None:
    inputs = []
    for name in ("a.log", "b.log"):
        path = tmp_path / name
        lines = [f"Jan {1 + i % 28:2d} 10:00:{i % 60:02d} host{i}.example" for i in range(300)]
        path.write_text("\n".join([*lines, "- nodate.example"]) + "\n", encoding="utf-8")
        inputs.append(str(path))
    config = RunConfig(
        inputs=inputs,
        out_dir=tmp_path / "out",
        format="syslogish",
        options=ParseOptions(year=year),
        chunk_bytes=2048,
        plugins=get_plugins(load_entrypoints=False, extra=[SyslogishPlugin()]),
    )
    summary = run_parse(config)
    assert (summary["totals"]["year_assumed"], summary["totals"]["untimed"]) == (600, 2)
    cli.print_summary(summary, tmp_path / "out")
    err = capsys.readouterr().err
    assert err.count("yearless") == 1, err
    assert err.count("without an event time") == 1, err
    (note,) = [line for line in err.splitlines() if "yearless" in line]
    assert note.startswith("600 record(s) had a yearless date (syslog `Mmm dd`)")
    assert "the year from --year, else the current year" in note
    assert "previous year when that date would be more than 2 days in the future" in note
    assert ("--year 2023 was given" in note) == (year is not None)
    (untimed,) = [line for line in err.splitlines() if "without an event time" in line]
    assert untimed.startswith("2 record(s) without an event time")
    assert "Defender" in untimed
    assert "OCSF" in untimed


def test_end_of_run_account_is_quiet_when_every_record_has_a_full_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "a.log"
    path.write_text(CEF_LINE + "\n", encoding="utf-8")
    summary = run_parse(RunConfig(inputs=[str(path)], out_dir=tmp_path / "out", format="cef"))
    assert (summary["totals"]["untimed"], summary["totals"]["year_assumed"]) == (0, 0)
    cli.print_summary(summary, tmp_path / "out")
    err = capsys.readouterr().err
    assert "yearless" not in err
    assert "without an event time" not in err


@pytest.mark.parametrize("command", ["parse", "run"])
def test_standard_output_is_the_output_folder(
    cli, cef_file: Path, tmp_path: Path, command: str
) -> None:  # type: ignore[no-untyped-def]
    """Scripts read the path from standard output; the account stays on standard error."""
    out = tmp_path / "o"
    done = cli(command, cef_file, "-o", out)
    assert done.code == 0, done.err
    assert done.out == f"{out}\n"
    assert "records" in done.err
    assert (out / "summary.json").is_file()


@pytest.mark.parametrize("command", ["parse", "run"])
def test_json_prints_the_summary_on_standard_output(
    cli, cef_file: Path, tmp_path: Path, command: str
) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "o"
    done = cli(command, cef_file, "-o", out, "--json", "--quiet")
    assert done.code == 0, done.err
    assert done.err == ""
    summary = json.loads(done.out)
    assert summary == json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert (summary["totals"]["records"], summary["totals"]["quarantined"]) == (1, 1)
