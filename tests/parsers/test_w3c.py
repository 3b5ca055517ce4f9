"""The ``w3c`` format: golden files, directives, options, accounting and the CLI.

Golden files live in ``golden/w3c/``: ``NAME.log`` is parsed through the whole
pipeline and compared with ``NAME.jsonl`` (one object per record or quarantined
line, then the accounting). Regenerate after a deliberate change with
``SHADOWLENS_UPDATE_GOLDEN=1 pytest tests/parsers/test_w3c.py`` and review the diff.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import os
import zipfile
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq
import pytest

from shadowlens.engine.pipeline import RunConfig, run_parse
from shadowlens.errors import ConfigError
from shadowlens.parsers.base import ParseOptions
from shadowlens.plugins.manager import get_plugins
from shadowlens.testing import format_class, parse_lines

W3cFormat = format_class("w3c")


def parse_fields_option(value: str) -> tuple[str, ...]:
    return W3cFormat(ParseOptions(options={"fields": value})).default_names


GOLDEN = Path(__file__).parent / "golden" / "w3c"
BLUECOAT_FIELDS = (
    "date time time-taken c-ip sc-status s-action sc-bytes cs-bytes cs-method cs-uri-scheme "
    "cs-host cs-uri-port cs-uri-path cs-uri-query cs-username cs-auth-group s-supplier-name "
    "rs(Content-Type) cs(Referer) cs(User-Agent) sc-filter-result cs-categories x-virus-id s-ip"
)
OPTIONS = {
    "iis_advanced": ParseOptions(tz="Europe/Berlin"),
    "bluecoat_headerless": ParseOptions(options={"fields": BLUECOAT_FIELDS}),
}
GOLDEN_NAMES = sorted(p.stem for p in GOLDEN.glob("*.log"))


def run(tmp_path: Path, path: Path, options: ParseOptions | None = None) -> dict[str, Any]:
    """Parse ``path`` with the pipeline; records, quarantine and the file's accounting."""
    out = tmp_path / "out"
    summary = run_parse(
        RunConfig(
            inputs=[str(path)],
            out_dir=out,
            format="w3c",
            options=options or ParseOptions(),
            chunk_bytes=256,  # several chunks even for small files: state must carry over
            plugins=get_plugins(load_entrypoints=False),
        )
    )
    records = pl.from_arrow(pq.read_table(out / "records"))
    quarantine = pl.from_arrow(pq.read_table(out / "quarantine"))
    assert isinstance(records, pl.DataFrame)
    assert isinstance(quarantine, pl.DataFrame)
    stats = next(iter(summary["files"].values()))
    return {"records": records, "quarantine": quarantine, "stats": stats}


def golden_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[tuple[int, dict[str, Any]]] = []
    for rec in result["records"].sort("source_line").to_dicts():
        line = rec.pop("source_line")
        for key in ("source_file", "log_format"):
            rec.pop(key)
        rec["event_time"] = rec["event_time"].isoformat() if rec["event_time"] else None
        # extras is a map: compared by key (a stable sort keeps repeated keys in order).
        items = sorted((rec["extras"] or {}).items(), key=lambda kv: kv[0])
        rec["extras"] = [list(item) for item in items]
        rows.append(
            (line, {"line": line, "record": {k: v for k, v in rec.items() if v not in (None, [])}})
        )
    for q in result["quarantine"].sort("source_line").to_dicts():
        kept = {k: q[k] for k in ("error_code", "error_message", "raw")}
        rows.append((q["source_line"], {"line": q["source_line"], "quarantine": kept}))
    stats = result["stats"]
    counts = {k: stats[k] for k in ("lines", "records", "quarantined", "directives", "blank")}
    return [row for _line, row in sorted(rows, key=lambda r: r[0])] + [{"accounting": counts}]


@pytest.fixture(scope="module")
def golden(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Every golden file parsed once through the pipeline."""
    return {
        name: run(tmp_path_factory.mktemp(name), GOLDEN / f"{name}.log", OPTIONS.get(name))
        for name in GOLDEN_NAMES
    }


@pytest.mark.parametrize("name", GOLDEN_NAMES)
def test_golden(name: str, golden: dict[str, dict[str, Any]]) -> None:
    got = golden_rows(golden[name])
    expected_path = GOLDEN / f"{name}.jsonl"
    if os.environ.get("SHADOWLENS_REGEN_GOLDEN") or os.environ.get("SHADOWLENS_UPDATE_GOLDEN"):
        text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in got)
        expected_path.write_text(text, encoding="utf-8")
    expected = [json.loads(line) for line in expected_path.read_text(encoding="utf-8").splitlines()]
    assert got == expected


@pytest.mark.parametrize("name", GOLDEN_NAMES)
def test_every_line_is_accounted_for(name: str, golden: dict[str, dict[str, Any]]) -> None:
    stats = golden[name]["stats"]
    raw = (GOLDEN / f"{name}.log").read_bytes()
    assert stats["lines"] == raw.count(b"\n") + (not raw.endswith(b"\n"))
    assert stats["lines"] == (
        stats["records"] + stats["quarantined"] + stats["directives"] + stats["blank"]
    )


def test_reference_engine_gives_the_same_records(tmp_path: Path) -> None:
    for name in ("bluecoat_main", "iis_advanced", "fields_change"):
        fast = golden_rows(run(tmp_path / "fast", GOLDEN / f"{name}.log", OPTIONS.get(name)))
        options = OPTIONS.get(name, ParseOptions())
        reference = ParseOptions(tz=options.tz, engine="reference", options=options.options)
        slow = golden_rows(run(tmp_path / "slow", GOLDEN / f"{name}.log", reference))
        assert fast == slow, name


# -- directives and layouts ---------------------------------------------------------------
def test_fields_change_mid_chunk_and_across_chunks() -> None:
    lines = [
        "#Fields: date time c-ip sc-status",
        "2024-01-01 00:00:01 192.0.2.1 200",
        "#Fields: sc-status c-ip time date",
        "404 192.0.2.2 00:00:02 2024-01-01",
        "2024-01-01 00:00:03 192.0.2.3 500",  # wrong for the layout in force
        "#Fields: date time c-ip sc-status",
        "2024-01-01 00:00:04 192.0.2.4 201",
    ]
    for chunk_lines in (None, 1, 2, 3):
        result = parse_lines(W3cFormat, lines, chunk_lines=chunk_lines)
        records = result.records.sort("source_line")
        # Line 5 does not fit the layout in force: a record without a time, its
        # values that fail typing kept in extras.
        assert records["src_ip"].to_list() == ["192.0.2.1", "192.0.2.2", None, "192.0.2.4"]
        assert records["http_status"].to_list() == [200, 404, None, 201]
        assert records["event_time"].null_count() == 1
        assert dict(zip(records["extras_keys"][2], records["extras_values"][2], strict=True)) == {
            "sc-status": "2024-01-01",
            "c-ip": "00:00:03",
            "time": "192.0.2.3",
            "date": "500",
        }
        assert result.directives == 3
        assert result.quarantine.height == 0


def test_advance_state_gives_the_state_a_parse_leaves() -> None:
    lines = [
        "#Software: Microsoft Internet Information Services 10.0",
        "#Date: 2024-01-01 00:00:00",
        "#Fields: date time c-ip sc-status",
        "2024-01-01 00:00:01 192.0.2.1 200",
        "\x00\x00#Fields: time c-ip sc-status",
        "00:00:02 192.0.2.2 404",
        "#Date: 2024-01-02 00:00:00",
        "#Fields: time (broken c-ip",  # unreadable: no layout until the next #Fields
        "00:00:03 192.0.2.3 500",
        "#Software: SGOS 7.3",
        "# a comment",
    ]
    fmt = W3cFormat()
    frame = pl.DataFrame(
        {
            "line": lines,
            "source_line": range(1, len(lines) + 1),
            "source_offset": range(len(lines)),
        },
        schema={"line": pl.String(), "source_line": pl.UInt64(), "source_offset": pl.UInt64()},
    )
    for size in (1, 2, 3, 5, len(lines)):
        parsed, advanced = fmt.new_state(), fmt.new_state()
        for start in range(0, len(lines), size):
            chunk = frame.slice(start, size)
            before = dataclasses.replace(advanced)
            nxt = fmt.advance_state(chunk, advanced)
            assert advanced == before  # the engine still hands it to the chunk's parse
            fmt.parse(chunk, parsed)
            assert nxt == parsed, (size, start)
            advanced = nxt
    assert parsed.fields is None
    assert "could not be parsed" in parsed.reason
    assert (parsed.date, parsed.software) == ("2024-01-02", "SGOS 7.3")


def test_entries_before_fields_are_quarantined_unless_the_option_names_them() -> None:
    lines = ["2024-01-01 00:00:01 192.0.2.1 200"]
    bare = parse_lines(W3cFormat, lines)
    assert bare.records.height == 0
    assert bare.quarantine["error_code"].to_list() == ["no_fields_directive"]
    assert "--option fields=" in bare.quarantine["error_message"][0]
    named = parse_lines(
        W3cFormat, lines, options=ParseOptions(options={"fields": "date time c-ip sc-status"})
    )
    assert named.records["http_status"].to_list() == [200]


def test_fields_directive_replaces_the_option_from_its_line_on() -> None:
    lines = ["2024-01-01 00:00:01 a", "#Fields: date time key2", "2024-01-01 00:00:02 b"]
    opts = ParseOptions(options={"fields": "#Fields: date time key1"})
    result = parse_lines(W3cFormat, lines, options=opts)
    extras = [
        dict(zip(k, v, strict=True))
        for k, v in zip(result.records["extras_keys"], result.records["extras_values"], strict=True)
    ]
    assert extras == [{"key1": "a"}, {"key2": "b"}]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("date time  cs(User-Agent)", ("date", "time", "cs(User-Agent)")),
        ("#Fields: date\ttime", ("date", "time")),
        ("  x-icap-reqmod-header(X-ICAP-Metadata) ", ("x-icap-reqmod-header(X-ICAP-Metadata)",)),
    ],
)
def test_fields_option_is_parsed_by_the_grammar(value: str, expected: tuple[str, ...]) -> None:
    assert parse_fields_option(value) == expected


@pytest.mark.parametrize("value", ["", "date (time", "#Fields:"])
def test_bad_fields_option_is_a_config_error(value: str) -> None:
    with pytest.raises(ConfigError, match="fields"):
        W3cFormat(ParseOptions(options={"fields": value}))


@pytest.mark.parametrize(
    ("key", "value"), [("time_taken", "minutes"), ("extra_columns", "drop"), ("nope", "1")]
)
def test_bad_options_are_config_errors(key: str, value: str) -> None:
    with pytest.raises(ConfigError):
        W3cFormat(ParseOptions(options={key: value}))


def test_detect() -> None:
    assert W3cFormat.detect(["#Software: SGOS 6.7", "#Fields: date time"]) == 1.0
    assert W3cFormat.detect(["\x00\x00#Version: 1.0", "x"]) == 0.8
    assert W3cFormat.detect(["2024-01-01 00:00:00 a b"]) == 0.0
    assert W3cFormat.detect([]) == 0.0


# -- mapping decisions --------------------------------------------------------------------
IIS = "#Fields: date time c-ip cs-method cs-uri-stem sc-status cs-bytes sc-bytes time-taken"


def one(lines: list[str], **options: str) -> dict[str, Any]:
    result = parse_lines(W3cFormat, lines, options=ParseOptions(options=options))
    assert result.quarantine.height == 0, result.quarantine.to_dicts()
    (record,) = result.records.to_dicts()
    keys, values = record.pop("extras_keys"), record.pop("extras_values")
    record["extras"] = [{"key": k, "value": v} for k, v in zip(keys, values, strict=True)]
    return record


def test_byte_direction_cs_bytes_up_sc_bytes_down() -> None:
    """A download: the server sends 51234 bytes (sc-bytes), the client 880 (cs-bytes)."""
    record = one([IIS, "2024-01-01 00:00:00 192.0.2.1 GET /big.zip 200 880 51234 10"])
    assert (record["bytes_up"], record["bytes_down"], record["bytes_total"]) == (880, 51234, 52114)


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [("123", "auto", 123), ("1.5", "auto", 1500), ("0.0004", "auto", 0), ("2", "s", 2000),
     ("2.6", "ms", 3), ("-1", "auto", None), ("abc", "auto", None), ("99999999999", "auto", None)],
)  # fmt: skip
def test_time_taken_units(value: str, unit: str, expected: int | None) -> None:
    record = one([IIS, f"2024-01-01 00:00:00 192.0.2.1 GET / 200 1 2 {value}"], time_taken=unit)
    assert record["duration_ms"] == expected
    extras = {e["key"]: e["value"] for e in record["extras"]}
    assert extras.get("time-taken") == (None if expected is not None else value)


def test_extra_columns_can_be_quarantined() -> None:
    lines = [IIS, "2024-01-01 00:00:00 192.0.2.1 GET / 200 1 2 3 surplus"]
    kept = one(lines)
    assert {"key": "extra_column_10", "value": "surplus"} in kept["extras"]
    strict = parse_lines(
        W3cFormat, lines, options=ParseOptions(options={"extra_columns": "quarantine"})
    )
    assert strict.quarantine["error_code"].to_list() == ["field_count"]


def test_user_agent_plus() -> None:
    lines = ["#Fields: date time cs(User-Agent)", "2024-01-01 00:00:00 A+B/1.0+(X)"]
    assert one(lines)["user_agent"] == "A B/1.0 (X)"
    assert one(lines, user_agent_plus="keep")["user_agent"] == "A+B/1.0+(X)"
    quoted = ["#Fields: date time cs(User-Agent)", '2024-01-01 00:00:00 "A+B (X)"']
    assert one(quoted)["user_agent"] == "A+B (X)"


def test_local_time_uses_tz_and_is_flagged() -> None:
    lines = ["#Fields: date-local time-local c-ip", "2024-07-01 12:00:00 192.0.2.1"]
    result = parse_lines(W3cFormat, lines, options=ParseOptions(tz="America/New_York"))
    (record,) = result.records.to_dicts()
    assert record["event_time"].isoformat() == "2024-07-01T16:00:00+00:00"
    assert record["tz_assumed"] is True


def test_proxy_layout_keeps_the_proxy_address_out_of_dst() -> None:
    lines = [
        "#Fields: date time c-ip s-supplier-ip s-ip s-port cs-host sc-filter-result",
        "2024-01-01 00:00:00 10.0.0.1 52.1.2.3 10.9.9.9 8080 files.example.com OBSERVED",
    ]
    record = one(lines)
    assert (record["dst_ip"], record["dst_port"], record["action"]) == ("52.1.2.3", None, "allowed")
    extras = {e["key"]: e["value"] for e in record["extras"]}
    assert extras == {"s-ip": "10.9.9.9", "s-port": "8080"}


def test_absolute_cs_uri_is_the_url() -> None:
    lines = ["#Fields: date time cs-uri", "2024-01-01 00:00:00 https://Drive.Google.com:443/a?b=c"]
    record = one(lines)
    assert record["url"] == "https://Drive.Google.com:443/a?b=c"
    assert record["dst_host"] == "drive.google.com"
    assert record["app_protocol"] == "https"


@pytest.mark.parametrize(
    ("word", "action"),
    [("DENIED", "blocked"), ("OBSERVED", "allowed"), ("PROXIED", "allowed"), ("TCP_DENIED", "blocked"),
     ("policy_denied", "blocked"), ("REQ_BLOCKED_SECURITY", "blocked"), ("whatever", "unknown")],
)  # fmt: skip
def test_actions(word: str, action: str) -> None:
    field = {"policy_denied": "x-exception-id", "REQ_BLOCKED_SECURITY": "sc-action"}.get(
        word, "s-action"
    )
    record = one([f"#Fields: date time {field}", f"2024-01-01 00:00:00 {word}"])
    assert (record["action"], record["action_raw"]) == (action, word)


def test_filter_result_decides_and_the_other_action_words_stay_in_extras() -> None:
    lines = [
        "#Fields: date time s-action sc-filter-result x-exception-id",
        "2024-01-01 00:00:00 TCP_NC_MISS DENIED policy_denied",
    ]
    record = one(lines)
    assert (record["action"], record["action_raw"]) == ("blocked", "DENIED")
    assert [e["key"] for e in record["extras"]] == ["s-action", "x-exception-id"]


# -- end to end --------------------------------------------------------------------------
NO_ENTRYPOINTS = {"SHADOWLENS_NO_ENTRYPOINTS": "1"}


def test_cli_parses_gz_and_zip_with_detection(cli_subprocess, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bluecoat = (GOLDEN / "bluecoat_main.log").read_bytes()
    iis = (GOLDEN / "iis_default.log").read_bytes()
    (tmp_path / "proxy.log.gz").write_bytes(gzip.compress(bluecoat))
    with zipfile.ZipFile(tmp_path / "iis.zip", "w") as archive:
        archive.writestr("W3SVC1/u_ex240301.log", iis)
    done = cli_subprocess(
        "parse", "proxy.log.gz", "iis.zip", "-o", "out", cwd=tmp_path, env=NO_ENTRYPOINTS
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    files = summary["files"]
    assert set(files) == {"proxy.log.gz", "iis.zip!/W3SVC1/u_ex240301.log"}
    for stats in files.values():
        assert stats["format"] == "w3c"
        assert (
            stats["lines"]
            == stats["records"] + stats["quarantined"] + stats["directives"] + stats["blank"]
        )
    assert files["proxy.log.gz"]["directives"] == 6
    assert files["proxy.log.gz"]["records"] == 7
    records = pl.from_arrow(pq.read_table(tmp_path / "out" / "records"))
    assert isinstance(records, pl.DataFrame)
    # iis_default.log: 7 records, one of them untimed (25:00:00), 1 line quarantined.
    by_file = records.group_by("source_file").len().sort("source_file").rows()
    assert by_file == [("iis.zip!/W3SVC1/u_ex240301.log", 7), ("proxy.log.gz", 7)]


def test_cli_headerless_bluecoat_needs_the_fields_option(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    log = tmp_path / "syslog.log"
    log.write_bytes((GOLDEN / "bluecoat_headerless.log").read_bytes())
    done = cli("parse", log, "--format", "w3c", "-o", tmp_path / "a", env=NO_ENTRYPOINTS)
    assert done.code == 0, done.err
    assert json.loads((tmp_path / "a" / "summary.json").read_text())["totals"]["quarantined"] == 3
    fields = f"fields={BLUECOAT_FIELDS}"
    done = cli(
        "parse", log, "--format", "w3c", "--option", fields, "-o", tmp_path / "b",
        env=NO_ENTRYPOINTS,
    )  # fmt: skip
    assert done.code == 0, done.err
    assert json.loads((tmp_path / "b" / "summary.json").read_text())["totals"]["records"] == 3
    bad = cli(
        "parse", log, "--format", "w3c", "--option", "fields=a (b", "-o", tmp_path / "c",
        env=NO_ENTRYPOINTS,
    )  # fmt: skip
    assert bad.code == ConfigError.exit_code == 2
    assert "is not a list of #Fields field identifiers" in bad.err


def test_formats_show_names_the_grammar(cli) -> None:  # type: ignore[no-untyped-def]
    done = cli("formats", "show", "w3c", env=NO_ENTRYPOINTS)
    assert done.code == 0, done.err
    assert "w3c.lark" in done.out
