"""The Dask executor: same records and accounting as a local run, failures reported.

One real ``LocalCluster`` of two worker processes serves the module; the inputs
are the golden fixtures of several formats, plain, gzip'd and zipped, with one
plain file large enough to be cut into byte ranges.
"""

from __future__ import annotations

import gzip
import http.server
import itertools
import json
import os
import socket
import subprocess
import sys
import threading
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar, cast

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import shadowlens
from shadowlens import LogFormat, ParseResult
from shadowlens.engine.distributed import STAGING, DaskOptions, plan_tasks, run_parse_dask
from shadowlens.engine.job import JobConfig, run_job
from shadowlens.engine.lines import iter_raw_chunks
from shadowlens.engine.pipeline import RunConfig, run_parse
from shadowlens.engine.sources import discover
from shadowlens.errors import InputError, PluginError
from shadowlens.plugins.manager import get_plugins

distributed = pytest.importorskip("distributed")

#: The ``cli`` fixture of tests/conftest.py: ``shadowlens ARGS`` in-process.
CliMain = Callable[..., Any]

TESTS = Path(__file__).resolve().parent.parent
GOLDEN = TESTS / "parsers" / "golden"
VENDOR = TESTS / "formats" / "fixtures"
#: Small chunks and ranges, so that a few KiB of fixtures make many of both.
CHUNK = 1024
SPLIT = 2048


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """The address of a LocalCluster of two worker processes (one thread each)."""
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as cluster:
        yield cluster.scheduler_address


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """CEF (BOM, CRLF, blank and bad lines, cut into ranges), LEEF .gz, W3C, a zip of two."""
    folder = tmp_path_factory.mktemp("logs")
    cef = b"".join(
        (GOLDEN / "cef" / f"{name}.log").read_bytes()
        for name in ("zscaler_nss", "vendors", "bad_lines", "escapes", "values", "typing")
    )
    lines = cef.splitlines(keepends=True)
    # CRLF on some lines and blank lines between some, so the accounting has every kind.
    mixed = b"".join(
        (line.rstrip(b"\n") + b"\r\n" if i % 3 == 0 else line) + (b"\n" if i % 5 == 0 else b"")
        for i, line in enumerate(lines)
    )
    # Invalid UTF-8 in a record (flagged lossy_utf8) and in a bad line (quarantined).
    lossy = (
        b"CEF:0|Zscaler|NSSWeblog|5.0|allowed|Allowed|3|suser=caf\xe9 dhost=www.example.com\n"
        b"not a \xff\xfe CEF line\n"
    )
    (folder / "big-cef.log").write_bytes(b"\xef\xbb\xbf" + mixed + lossy + mixed)
    leef = b"".join(
        (GOLDEN / "leef" / f).read_bytes() for f in ("leef_syslog.log", "leef1_attributes.log")
    )
    (folder / "leef.log.gz").write_bytes(gzip.compress(leef))
    w3c = (GOLDEN / "w3c" / "fields_change.log").read_bytes() * 6
    (folder / "proxy-w3c.log").write_bytes(w3c)
    with zipfile.ZipFile(folder / "export.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(VENDOR / "paloalto" / "reference.log", "fw/paloalto.log")
        archive.write(VENDOR / "squid" / "reference.log", "proxy/squid.log")
    return folder


def _without_timings(summary: dict[str, Any]) -> dict[str, Any]:
    files = {
        name: {k: v for k, v in stats.items() if k != "seconds"}
        for name, stats in summary["files"].items()
    }
    total = {k: v for k, v in summary["totals"].items() if k != "seconds"}
    listed = {key: summary[key] for key in ("skipped_files", "failed_files")}
    return {"totals": total, "files": files, **listed}


def _table(out: Path, folder: str) -> pl.DataFrame:
    return pl.read_parquet(out / folder).sort("source_file", "source_line")


def test_ranges_number_lines_and_offsets_as_in_the_whole_file(tmp_path: Path) -> None:
    data = b"\xef\xbb\xbfa\nb\r\n\nc\n\xef\xbb\xbfd\n"
    path = tmp_path / "x.log"
    path.write_bytes(data)
    cut = data.index(b"\xef\xbb\xbfd")  # a line that starts with a BOM mid-file keeps it
    with open(path, "rb") as fh:
        fh.seek(cut)
        (chunk,) = iter_raw_chunks(fh, 64, first_line=5, first_offset=cut)
    assert (chunk.first_line, chunk.first_offset, chunk.data) == (5, cut, b"\xef\xbb\xbfd\n")


def test_plan_cuts_big_plain_stateless_files_only(logs: Path) -> None:
    config = RunConfig(inputs=[str(logs)], out_dir=logs / "unused", chunk_bytes=CHUNK)
    tasks = plan_tasks(discover(config.inputs), config, get_plugins(), SPLIT)
    per_file: dict[str, list[tuple[int, int | None]]] = {}
    for task in tasks:
        per_file.setdefault(Path(task.source.name).name, []).append((task.start, task.end))
    size = (logs / "big-cef.log").stat().st_size
    cef = per_file.pop("big-cef.log")
    assert len(cef) > 3
    assert cef[0][0] == 0
    assert cef[-1][1] is None
    assert all(end == start for (_, end), (start, _) in itertools.pairwise(cef))
    data = (logs / "big-cef.log").read_bytes()
    assert all(data[start - 1 : start] == b"\n" for start, _ in cef[1:])
    assert all(start < size for start, _ in cef)
    # W3C keeps state across lines (#Fields): whole; gzip and zip members: whole.
    assert (logs / "proxy-w3c.log").stat().st_size > SPLIT
    assert per_file == {
        "proxy-w3c.log": [(0, None)],
        "leef.log.gz": [(0, None)],
        "paloalto.log": [(0, None)],
        "squid.log": [(0, None)],
    }
    assert {t.format for t in tasks if t.detected} == {"cef", "w3c"}  # detected once, here


def test_dask_run_gives_the_records_and_accounting_of_a_local_run(
    logs: Path, scheduler: str, tmp_path: Path
) -> None:
    inputs = [str(logs)]
    local = run_parse(RunConfig(inputs=inputs, out_dir=tmp_path / "local", chunk_bytes=CHUNK))
    options = DaskOptions(scheduler=scheduler, split_bytes=SPLIT)
    on_dask = run_parse_dask(
        RunConfig(inputs=inputs, out_dir=tmp_path / "dask", chunk_bytes=CHUNK), options
    )
    assert _without_timings(on_dask) == _without_timings(local)
    assert list(on_dask["files"]) == list(local["files"])  # input order kept
    totals = local["totals"]
    assert totals["quarantined"]
    assert totals["blank"]
    assert totals["lossy_utf8"] == 2
    assert totals["files"] == 5
    assert set(totals["records_by_format"]) >= {"cef", "leef", "w3c", "paloalto", "squid"}
    assert on_dask["options"]["executor"] == "dask"
    assert on_dask["options"]["tasks"] > totals["files"]  # the CEF file ran as ranges
    for folder in ("records", "quarantine"):
        assert_frame_equal(_table(tmp_path / "dask", folder), _table(tmp_path / "local", folder))
    parts = sorted(p.name for p in (tmp_path / "dask" / "records").iterdir())
    assert parts[0] == "part-00000-00000.parquet"
    assert all(p.startswith("part-") and p.endswith(".parquet") for p in parts)
    assert not (tmp_path / "dask" / STAGING).exists()


def test_dask_job_enriches_on_the_workers_and_reports_on_the_client(
    logs: Path, scheduler: str, tmp_path: Path
) -> None:
    inputs = [str(logs / "big-cef.log"), str(logs / "export.zip")]
    key = tmp_path / "key"
    key.write_bytes(b"a test key of more than 16 bytes")
    config = JobConfig(inputs=inputs, out_dir=tmp_path / "local", chunk_bytes=CHUNK, key_file=key)
    local = run_job(config)
    options = DaskOptions(scheduler=scheduler, split_bytes=SPLIT)
    on_dask = run_job(replace(config, out_dir=tmp_path / "dask", dask=options))
    assert _without_timings(on_dask) == _without_timings(local)
    records = _table(tmp_path / "dask", "records")
    assert_frame_equal(records, _table(tmp_path / "local", "records"))
    assert records["app_id"].drop_nulls().len() > 0
    assert on_dask["users_pseudonymised"]
    assert records["user_name"].drop_nulls().len() > 0  # tokens, made on the workers
    assert (tmp_path / "dask" / "report.html").is_file()
    reports = [
        json.loads((tmp_path / run / "report.json").read_text(encoding="utf-8"))
        for run in ("local", "dask")
    ]
    for report in reports:
        del report["generator"]  # when it was made
    assert reports[0] == reports[1]


@pytest.fixture
def bad_logs(tmp_path: Path) -> Path:
    """Good files among a truncated .gz, a dangling link, a broken zip and files that are no logs.

    The big ones (binary, UTF-16, text no format knows) are over ``SPLIT``: the
    planner must keep them whole so that their task skips or reads them as a
    local run does.
    """
    folder = tmp_path / "bad"
    folder.mkdir()
    cef = (GOLDEN / "cef" / "vendors.log").read_bytes()
    (folder / "a-good.log").write_bytes(cef * 2)
    (folder / "b-cut.log.gz").write_bytes(gzip.compress(cef * 20)[:-40])
    (folder / "c-dangling.log").symlink_to(tmp_path / "nowhere.log")
    (folder / "d-binary.log").write_bytes(bytes(range(256)) * 64)
    (folder / "e-prose.log").write_bytes(b"Dear diary, nothing to parse here.\n" * 600)
    (folder / "f-utf16.log").write_text(cef.decode() * 3, encoding="utf-16")
    zipped = folder / "g-broken.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("x.log", cef)
    zipped.write_bytes(zipped.read_bytes()[:100])
    (folder / "h-good.log.gz").write_bytes(gzip.compress(cef))
    return folder


def test_bad_files_are_listed_and_the_others_read_as_in_a_local_run(
    bad_logs: Path, scheduler: str, tmp_path: Path
) -> None:
    config = RunConfig(inputs=[str(bad_logs)], out_dir=tmp_path / "local", chunk_bytes=CHUNK)
    local = run_parse(config)
    on_dask = run_parse_dask(
        replace(config, out_dir=tmp_path / "dask"), DaskOptions(scheduler, split_bytes=SPLIT)
    )
    assert _without_timings(on_dask) == _without_timings(local)
    names = {
        kind: {Path(n).name for n in on_dask[kind]} for kind in ("failed_files", "skipped_files")
    }
    assert names == {
        "failed_files": {"b-cut.log.gz", "c-dangling.log", "g-broken.zip"},
        "skipped_files": {"d-binary.log", "e-prose.log"},
    }
    assert on_dask["totals"]["files_failed"] == 3
    assert on_dask["totals"]["files_skipped"] == 2
    cut = on_dask["failed_files"][str(bad_logs / "b-cut.log.gz")]
    assert cut["lines"] > 0  # the lines read before the cut are kept and counted
    assert on_dask["files"][str(bad_logs / "b-cut.log.gz")]["lines"] == cut["lines"]
    assert on_dask["files"][str(bad_logs / "f-utf16.log")]["encoding"] == "utf-16"
    for folder in ("records", "quarantine"):
        assert_frame_equal(_table(tmp_path / "dask", folder), _table(tmp_path / "local", folder))
    assert not (tmp_path / "dask" / STAGING).exists()


def test_a_bad_file_is_listed_and_the_run_exits_7(
    bad_logs: Path, scheduler: str, tmp_path: Path, cli: CliMain
) -> None:
    # Was "a bad file stops the run" (exit 3): the local engine now lists it and goes on.
    out = tmp_path / "out"
    result = cli(
        "parse", str(bad_logs), "-o", str(out), "--executor", "dask", "--scheduler", scheduler,
    )  # fmt: skip
    assert result.returncode == 7, result.stderr
    assert f"{bad_logs / 'b-cut.log.gz'}: cannot read past byte " in result.stderr
    assert "dangling symlink" in result.stderr
    assert "Traceback" not in result.stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["complete"] is True
    assert len(summary["failed_files"]) == 3
    assert not (out / STAGING).exists()


def test_strict_stops_at_the_first_bad_file_and_publishes_nothing(
    bad_logs: Path, scheduler: str, tmp_path: Path, cli: CliMain
) -> None:
    config = RunConfig(
        inputs=[str(bad_logs)], out_dir=tmp_path / "local", chunk_bytes=CHUNK, strict=True
    )
    with pytest.raises(InputError) as local:
        run_parse(config)
    # An earlier complete output in the same folder stays exactly as it was.
    earlier = tmp_path / "earlier"
    options = DaskOptions(scheduler, split_bytes=SPLIT)
    run_parse_dask(replace(config, inputs=[str(bad_logs / "a-good.log")], out_dir=earlier), options)
    before = {p: p.read_bytes() for p in earlier.rglob("*") if p.is_file()}
    with pytest.raises(InputError) as on_dask:
        run_parse_dask(replace(config, out_dir=earlier), options)
    assert str(on_dask.value) == str(local.value)  # the same file, byte and line
    assert str(local.value).startswith(f"{bad_logs / 'b-cut.log.gz'}: cannot read past byte ")
    assert {p: p.read_bytes() for p in earlier.rglob("*") if p.is_file()} == before
    out = tmp_path / "out"
    result = cli(
        "parse", str(bad_logs), "-o", str(out), "--strict",
        "--executor", "dask", "--scheduler", scheduler,
    )  # fmt: skip
    assert result.returncode == 3, result.stderr
    assert f"error: {bad_logs / 'b-cut.log.gz'}: cannot read past byte" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()  # no summary, no parts, no staging folder


@pytest.mark.parametrize("inputs", [["b-cut.log.gz"], ["b-cut.log.gz", "c-dangling.log"]])
def test_a_single_failing_file_or_all_failing_is_an_input_error(
    inputs: list[str], bad_logs: Path, scheduler: str, tmp_path: Path, cli: CliMain
) -> None:
    paths = [str(bad_logs / name) for name in inputs]
    config = RunConfig(inputs=paths, out_dir=tmp_path / "local", chunk_bytes=CHUNK)
    with pytest.raises(InputError) as local:
        run_parse(config)
    options = DaskOptions(scheduler, split_bytes=SPLIT)
    with pytest.raises(InputError) as on_dask:
        run_parse_dask(replace(config, out_dir=tmp_path / "dask"), options)
    assert str(on_dask.value) == str(local.value)
    assert str(bad_logs / "b-cut.log.gz") in str(on_dask.value)
    out = tmp_path / "out"
    result = cli("parse", *paths, "-o", str(out), "--executor", "dask", "--scheduler", scheduler)
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()  # as a local run: nothing that looks complete


def test_mixed_format_files_are_re_detected_as_in_a_local_run(
    scheduler: str, tmp_path: Path
) -> None:
    cef = (GOLDEN / "cef" / "vendors.log").read_bytes().splitlines(keepends=True)
    leef = (GOLDEN / "leef" / "leef_vendors.log").read_bytes().splitlines(keepends=True)
    # CEF with runs of LEEF lines: small (one whole task) and big (cut into ranges).
    mixed = b"".join(c + (b"".join(leef) if i % 4 == 0 else b"") for i, c in enumerate(cef))
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "small.log").write_bytes(mixed)
    (tmp_path / "logs" / "big.log").write_bytes(mixed * 8)
    config = RunConfig(
        inputs=[str(tmp_path / "logs")], out_dir=tmp_path / "local", chunk_bytes=CHUNK
    )
    local = run_parse(config)
    options = DaskOptions(scheduler, split_bytes=SPLIT)
    on_dask = run_parse_dask(replace(config, out_dir=tmp_path / "dask"), options)
    assert _without_timings(on_dask) == _without_timings(local)
    assert on_dask["options"]["tasks"] > 2  # the big file ran as ranges
    for stats in on_dask["files"].values():
        assert stats["format"] == "cef"
        assert stats["other_formats"]["leef"] > 0
    for folder in ("records", "quarantine"):
        assert_frame_equal(_table(tmp_path / "dask", folder), _table(tmp_path / "local", folder))


def test_a_pipe_is_refused_before_anything_runs(tmp_path: Path, cli: CliMain) -> None:
    fifo = tmp_path / "pipe.log"
    os.mkfifo(fifo)  # nobody writes: opening it to read would block
    out = tmp_path / "out"
    result = cli("parse", str(fifo), "-o", str(out), "--executor", "dask", "--dask-workers", "1")
    assert result.returncode == 2, result.stderr
    assert f"{fifo}: a pipe or standard input cannot be read by Dask workers" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


@pytest.fixture
def not_a_scheduler() -> Iterator[str]:
    """The address of a real HTTP server on 127.0.0.1: something answers, not Dask."""
    server = http.server.HTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"tcp://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def _free_port_address() -> str:
    with socket.socket() as sock:  # a port nobody listens on once closed
        sock.bind(("127.0.0.1", 0))
        return f"tcp://127.0.0.1:{sock.getsockname()[1]}"


@pytest.mark.parametrize("peer", ["nobody", "http", "bad-port"])
def test_an_unreachable_scheduler_is_a_usage_error(
    peer: str, not_a_scheduler: str, tmp_path: Path, cli: CliMain
) -> None:
    import dask

    address = {
        "nobody": _free_port_address(),
        "http": not_a_scheduler,
        "bad-port": "tcp://127.0.0.1:port",
    }[peer]
    log = tmp_path / "a.log"
    log.write_bytes((GOLDEN / "cef" / "plain.log").read_bytes())
    out = tmp_path / "out"
    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}):
        result = cli(
            "parse", str(log), "-o", str(out), "--executor", "dask", "--scheduler", address
        )
    assert result.returncode == 2, result.stderr
    assert f"cannot reach the Dask scheduler at {address}" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scheduler", "tcp://127.0.0.1:8786"], "need --executor dask"),
        (["--dask-workers", "3"], "need --executor dask"),
        (["--executor", "ray"], "--executor must be local or dask"),
        (["--executor", "dask", "--dask-workers", "0"], "at least 1"),
        (
            ["--executor", "dask", "--scheduler", "tcp://h:1", "--dask-workers", "2"],
            "--dask-workers sizes",
        ),
    ],
)
def test_executor_options_are_checked(
    args: list[str], message: str, tmp_path: Path, cli: CliMain
) -> None:
    log = tmp_path / "a.log"
    log.write_bytes((GOLDEN / "cef" / "plain.log").read_bytes())
    result = cli("run", str(log), "-o", str(tmp_path / "out"), *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert not (tmp_path / "out").exists()


def test_importing_shadowlens_does_not_import_dask() -> None:
    code = (
        "import sys, shadowlens, shadowlens.cli, shadowlens.engine.job, "
        "shadowlens.engine.distributed; "
        "print(sorted({'dask', 'distributed'} & set(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_without_dask_installed_the_error_says_what_to_install(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    log.write_bytes((GOLDEN / "cef" / "plain.log").read_bytes())
    # The interpreter as it is without the extra: importing dask or distributed fails.
    code = (
        "import sys; sys.modules['dask'] = None; sys.modules['distributed'] = None; "
        "from shadowlens.cli import main; main()"
    )
    args = ["parse", str(log), "-o", str(tmp_path / "out"), "--executor", "dask"]
    result = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2, result.stderr
    assert "pip install shadowlens[dask]" in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_spec_file_format_travels_to_the_workers(
    acme_dir: Path, acme_log: Path, scheduler: str, tmp_path: Path
) -> None:
    plugins = get_plugins(spec_paths=[acme_dir / "acme.toml"])
    config = RunConfig(inputs=[str(acme_log)], out_dir=tmp_path / "local", plugins=plugins)
    local = run_parse(config)
    on_dask = run_parse_dask(
        replace(config, out_dir=tmp_path / "dask"), DaskOptions(scheduler=scheduler)
    )
    assert _without_timings(on_dask) == _without_timings(local)
    assert on_dask["totals"]["records_by_format"] == {"acme-proxy": 2}
    for folder in ("records", "quarantine"):
        assert_frame_equal(_table(tmp_path / "dask", folder), _table(tmp_path / "local", folder))


def test_run_on_a_local_cluster_from_the_command_line(
    logs: Path, tmp_path: Path, cli_subprocess: CliMain
) -> None:
    # A real process: the LocalCluster's worker processes need real standard streams.
    inputs = [str(logs / "export.zip")]
    local = cli_subprocess("run", *inputs, "-o", str(tmp_path / "local"))
    assert local.returncode == 0, local.stderr
    result = cli_subprocess(
        "run", *inputs, "-o", str(tmp_path / "dask"), "--executor", "dask", "--dask-workers", "2",
        "--progress",  # follows the tasks as they finish (rich draws nothing when captured)
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary = json.loads((tmp_path / "dask" / "summary.json").read_text(encoding="utf-8"))
    assert summary["options"]["scheduler"] == "LocalCluster"
    assert summary["options"]["dask_workers"] == 2
    expected = json.loads((tmp_path / "local" / "summary.json").read_text(encoding="utf-8"))
    assert _without_timings(summary) == _without_timings(expected)
    assert_frame_equal(_table(tmp_path / "dask", "records"), _table(tmp_path / "local", "records"))
    assert (tmp_path / "dask" / "report.html").is_file()
    # Nothing quarantined: one empty part still carries the schema, as in a local run.
    assert summary["totals"]["quarantined"] == 0
    assert_frame_equal(
        _table(tmp_path / "dask", "quarantine"), _table(tmp_path / "local", "quarantine")
    )


CEF = get_plugins(load_entrypoints=False).format("cef")


class Crash(LogFormat):
    """A format whose parse kills the process that runs it (a worker that dies)."""

    name: ClassVar[str] = "crash"
    description: ClassVar[str] = "kills its process"

    @classmethod
    def detect(cls, sample: Sequence[str]) -> float:
        return 0.0

    def parse(self, lines: pl.DataFrame, state: Any) -> ParseResult:
        os._exit(3)


class CrashOnce(CEF):  # type: ignore[misc,valid-type]
    """CEF, but the first parse (while ``marker`` is missing) kills its process."""

    name: ClassVar[str] = "crash-once"
    marker: ClassVar[Path]

    @classmethod
    def detect(cls, sample: Sequence[str]) -> float:
        return 0.0

    def parse(self, lines: pl.DataFrame, state: Any) -> ParseResult:
        if not self.marker.exists():
            self.marker.touch()
            os._exit(3)
        return cast(ParseResult, super().parse(lines, state))


class CrashPlugin:
    @shadowlens.hookimpl
    def register_formats(self) -> list[type[LogFormat]]:
        return [Crash, CrashOnce]


@pytest.fixture
def by_value() -> Iterator[None]:
    """Pickle this module's classes by value: the workers cannot import a test module."""
    cloudpickle = pytest.importorskip("cloudpickle")
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    yield
    cloudpickle.unregister_pickle_by_value(sys.modules[__name__])


@pytest.mark.usefixtures("by_value")
def test_a_worker_that_dies_is_reported_naming_the_file(tmp_path: Path) -> None:
    import dask

    log = tmp_path / "a.log"
    log.write_bytes((GOLDEN / "cef" / "plain.log").read_bytes())
    plugins = get_plugins(load_entrypoints=False, extra=[CrashPlugin()])
    config = RunConfig(inputs=[str(log)], out_dir=tmp_path / "out", format="crash", plugins=plugins)
    # No retries of a task whose worker died: the first death fails the run.
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),
        pytest.raises(RuntimeError, match=f"worker.*running the task for {log}.*died"),
    ):
        run_parse_dask(config, DaskOptions(workers=1))
    assert not (tmp_path / "out").exists()


@pytest.mark.usefixtures("by_value")
def test_a_task_whose_worker_died_runs_again_with_its_context(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    log.write_bytes((GOLDEN / "cef" / "plain.log").read_bytes())
    CrashOnce.marker = tmp_path / "crashed-once"
    plugins = get_plugins(load_entrypoints=False, extra=[CrashPlugin()])
    config = RunConfig(
        inputs=[str(log)], out_dir=tmp_path / "local", format="crash-once", plugins=plugins
    )
    CrashOnce.marker.touch()  # the local run must not die
    local = run_parse(config)
    CrashOnce.marker.unlink()
    # One worker: its death loses everything it held, the shared context included.
    on_dask = run_parse_dask(replace(config, out_dir=tmp_path / "dask"), DaskOptions(workers=1))
    assert CrashOnce.marker.exists()  # it did die once
    assert _without_timings(on_dask) == _without_timings(local)
    assert_frame_equal(_table(tmp_path / "dask", "records"), _table(tmp_path / "local", "records"))


class LockedPlugin:
    """A plugin holding a lock: it cannot be pickled, so it cannot reach the workers."""

    def __init__(self) -> None:
        self.lock = threading.Lock()

    @shadowlens.hookimpl
    def register_formats(self) -> list[type[LogFormat]]:
        return []


def test_a_plugin_that_cannot_travel_to_the_workers_is_a_plugin_error(
    scheduler: str, tmp_path: Path
) -> None:
    log = tmp_path / "a.log"
    log.write_bytes((GOLDEN / "cef" / "plain.log").read_bytes())
    plugins = get_plugins(load_entrypoints=False, extra=[LockedPlugin()])
    config = RunConfig(inputs=[str(log)], out_dir=tmp_path / "out", plugins=plugins)
    with pytest.raises(PluginError, match="cannot send the formats and the enrichment"):
        run_parse_dask(config, DaskOptions(scheduler=scheduler))
    assert not (tmp_path / "out").exists()
