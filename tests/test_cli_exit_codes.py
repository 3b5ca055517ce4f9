"""Every command exits with its code from the one table (:class:`shadowlens.ExitCode`).

One parametrized table of command lines and the code each must give, run through the
console script's logic; Ctrl-C (a real SIGINT to a real ``shadowlens`` process) gives 130
and leaves no summary that looks complete.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import stat
import subprocess
import zipfile
from pathlib import Path

import pytest

from cli_harness import ROOT, Cli, cli_command, invoke_cli
from shadowlens.errors import ExitCode

CEF = "CEF:0|Acme|Proxy|1.0|100|allowed|3|rt=1700000000000 src=10.0.0.1 dhost=files.slack.com"


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with a log, its parse output, an export, a key and broken inputs."""
    d = tmp_path_factory.mktemp("exit-codes")
    (d / "proxy.log").write_text(f"{CEF}\nnot cef\n", encoding="utf-8")
    (d / "clean.log").write_text(f"{CEF}\n", encoding="utf-8")
    assert invoke_cli("parse", d / "proxy.log", "-o", d / "out", "--format", "cef").code == 0
    assert invoke_cli("export", d / "out", "--to", "mdca", "-o", d / "upload").code == 0
    (d / "key").write_bytes(b"a-secret-key-of-enough-length\n")
    (d / "bad-catalog.toml").write_text(
        '[[app]]\nid = "x"\nname = "X"\ndomains = ["bad..example"]\n', encoding="utf-8"
    )
    shutil.copytree(
        ROOT / "tests" / "spec" / "acme", d / "acme", ignore=shutil.ignore_patterns("*.py")
    )
    lark = d / "acme" / "acme.lark"
    lark.write_text(lark.read_text().replace("status: FIELD\n", "status: FIELD (\n"))
    (d / "empty").mkdir()
    (d / "a-file").write_text("not a folder\n", encoding="utf-8")
    (d / "loop").symlink_to("loop")
    encrypted_zip(d / "encrypted.zip", f"{CEF}\n")
    shutil.copytree(d / "out", d / "crashed")
    (part,) = sorted((d / "crashed" / "records").glob("*.parquet"))
    part.write_bytes(part.read_bytes()[:100])  # what a crash or a full disk leaves
    (d / "apps.csv").write_text("App,Risk score,Tags\nDropbox,3,Unsanctioned\n", encoding="utf-8")
    return d


def needs_dev_full(line: str) -> None:
    """Skip a disk-full case when ``/dev/full`` is not the full device (a container may lack it)."""
    if "/dev/full" in line and not (
        os.path.exists("/dev/full") and stat.S_ISCHR(os.stat("/dev/full").st_mode)
    ):
        pytest.skip("/dev/full is not the always-full character device here")


def encrypted_zip(path: Path, text: str) -> None:
    """A zip whose member is flagged encrypted (bit 0 of its flags), as ``zip -P`` writes."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.log", text)
    data = bytearray(path.read_bytes())
    data[6] |= 1  # the local file header's flags
    central = data.index(b"PK\x01\x02")
    data[central + 8] |= 1  # the central directory entry's flags
    path.write_bytes(bytes(data))


OK, FINDINGS, USAGE, INPUT, FORMAT, OUTPUT = (
    ExitCode.OK,
    ExitCode.FINDINGS,
    ExitCode.USAGE,
    ExitCode.INPUT,
    ExitCode.FORMAT,
    ExitCode.OUTPUT,
)
PORTAL = "https://tenant.eu2.portal.cloudappsecurity.com"
#: id -> (arguments, with {d} for the fixture folder; the exit code they must give)
TABLE: dict[str, tuple[str, ExitCode]] = {
    "version": ("--version", OK),
    "no-such-command": ("nope", USAGE),
    "parse-ok": ("parse {d}/clean.log -o {d}/p1", OK),
    "parse-no-inputs": ("parse", USAGE),
    "parse-missing-file": ("parse {d}/missing.log -o {d}/p2", INPUT),
    "parse-unknown-format": ("parse {d}/clean.log --format nope -o {d}/p3", USAGE),
    "parse-workers-0": ("parse {d}/clean.log --workers 0 -o {d}/p4", USAGE),
    "parse-chunk-mb-0": ("parse {d}/clean.log --chunk-mb 0 -o {d}/p5", USAGE),
    "parse-broken-grammar": ("parse {d}/clean.log --format-file {d}/acme/acme.toml -o {d}/p6", FORMAT),
    "parse-out-is-a-file": ("parse {d}/clean.log -o {d}/a-file", USAGE),
    "parse-out-under-a-file": ("parse {d}/clean.log -o {d}/a-file/out", USAGE),
    "parse-symlink-loop": ("parse {d}/loop -o {d}/p7", INPUT),
    "parse-encrypted-zip": ("parse {d}/encrypted.zip -o {d}/p8", INPUT),
    "run-out-is-a-file": ("run {d}/clean.log -o {d}/a-file", USAGE),
    "run-bad-tz": ("run {d}/clean.log --tz Mars/Olympus -o {d}/r1", USAGE),
    "run-anonymize-without-key": ("run {d}/clean.log --anonymize-users -o {d}/r2", USAGE),
    "report-ok": ("report {d}/out", OK),
    "report-not-an-output": ("report {d}/empty", INPUT),
    "report-truncated-part": ("report {d}/crashed", INPUT),
    "formats": ("formats", OK),
    "formats-show-unknown": ("formats show nope", USAGE),
    "formats-check-quarantined-line": ("formats check cef {d}/proxy.log", FINDINGS),
    "formats-check-broken-grammar": ("formats check {d}/acme/acme.toml {d}/clean.log", FORMAT),
    "export-ok": ("export {d}/out --to ocsf -o {d}/lake", OK),
    "export-no-records": ("export {d}/empty --to mdca -o {d}/e1", INPUT),
    "export-bad-target": ("export {d}/out --to nope -o {d}/e2", USAGE),
    "export-bad-size": ("export {d}/out --to mdca --max-bytes lots -o {d}/e3", USAGE),
    "export-truncated-part": ("export {d}/crashed --to mdca -o {d}/e4", INPUT),
    "export-out-is-a-file": ("export {d}/out --to mdca -o {d}/a-file", USAGE),
    "blockscript-ok": ("blockscript {d}/out --target domains", OK),
    "blockscript-bad-target": ("blockscript {d}/out --target nope", USAGE),
    "blockscript-bad-catalog": ("blockscript {d}/out --target squid -c {d}/missing.toml", USAGE),
    "blockscript-disk-full": ("blockscript {d}/out --target domains -o /dev/full", OUTPUT),
    "upload-dry-run": (f"upload {{d}}/upload --portal {PORTAL} --report-name q3 --dry-run", OK),
    "upload-missing-token": (f"upload {{d}}/upload --portal {PORTAL} --report-name q3", USAGE),
    "upload-no-manifest": (f"upload {{d}}/empty --portal {PORTAL} --report-name q3", INPUT),
    "upload-bad-portal": ("upload {d}/upload --portal http://x.example --report-name q3", USAGE),
    "users-reveal-ok": ("users reveal {token} --key-file {d}/key", OK),
    "users-reveal-missing-key": ("users reveal u_x --key-file {d}/missing", USAGE),
    "users-reveal-wrong-token": ("users reveal u_x --key-file {d}/key", USAGE),
    "catalog-lookup-ok": ("catalog lookup files.slack.com", OK),
    "catalog-lookup-no-match": ("catalog lookup intranet.corp.example", FINDINGS),
    "catalog-validate-ok": ("catalog validate", OK),
    "catalog-validate-errors": ("catalog validate {d}/bad-catalog.toml", FINDINGS),
    "catalog-import-disk-full": ("catalog import {d}/apps.csv -o /dev/full", OUTPUT),
    "catalog-validate-missing-file": ("catalog validate {d}/missing.toml", USAGE),
}  # fmt: skip


@pytest.mark.parametrize(("line", "code"), list(TABLE.values()), ids=list(TABLE))
def test_exit_code(cli: Cli, made: Path, line: str, code: ExitCode) -> None:
    from shadowlens.enrich.pseudonymize import Pseudonymizer

    needs_dev_full(line)
    token = Pseudonymizer.from_key_file(made / "key").token("alice")
    args = line.format(d=made, token=token).split()
    done = cli(*args, env={"SHADOWLENS_MDCA_TOKEN": None, "SHADOWLENS_NO_ENTRYPOINTS": "1"})
    assert done.code == code, (done.code, done.err)
    assert "Traceback" not in done.err
    if code not in (OK, FINDINGS):
        assert done.err.strip(), "an error must say what is wrong"


@pytest.mark.parametrize(
    ("line", "named", "left"),
    [
        ("parse {d}/clean.log -o {d}/a-file", "a-file: the output path is a file, not a folder", "a-file"),
        ("parse {d}/loop -o {d}/p9", "loop: symlink loop", "p9"),
        ("parse {d}/encrypted.zip -o {d}/p10", "encrypted.zip!/a.log", "p10/summary.json"),
        ("report {d}/crashed", "crashed/records/part-00000.parquet: unreadable", "crashed/report.html"),
        ("export {d}/crashed --to mdca -o {d}/e5", "part-00000.parquet: unreadable", "e5"),
        ("blockscript {d}/out -t domains -o /dev/full", "/dev/full: cannot write: No space", None),
    ],
    ids=["out-is-a-file", "symlink-loop", "encrypted-zip", "report-crashed", "export-crashed", "disk-full"],
)  # fmt: skip
def test_user_conditions_name_the_path_and_leave_nothing(
    cli: Cli, made: Path, line: str, named: str, left: str | None
) -> None:
    """Not "internal error": one line naming the path; no output that looks complete."""
    needs_dev_full(line)
    done = cli(*line.format(d=made).split())
    assert done.code not in (ExitCode.OK, ExitCode.INTERNAL), done.err
    (message,) = done.err.strip().splitlines()
    assert message.startswith("error: "), message
    assert named in message, message
    if left == "a-file":
        assert (made / "a-file").read_text(encoding="utf-8") == "not a folder\n"
    elif left is not None:
        assert not (made / left).exists()


def test_every_code_of_the_table_is_documented() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for code in ExitCode:
        assert f"\n| {int(code)} | " in readme, code


def _default_sigint() -> None:
    """In the child: SIGINT as a terminal delivers it (a background job inherits it ignored)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.xfail(
    strict=False,
    raises=subprocess.TimeoutExpired,
    reason=(
        "known race, also on the previous release: a SIGINT that arrives while the main "
        "thread opens the FIFO is sometimes not seen (about 1 run in 4 here); see the stop note"
    ),
)
@pytest.mark.parametrize("command", ["parse", "run"])
def test_ctrl_c_exits_130_and_leaves_no_complete_summary(tmp_path: Path, command: str) -> None:
    """SIGINT while ``shadowlens`` reads a FIFO (opening it for writing waits for the reader)."""
    fifo = tmp_path / "feed.log"
    os.mkfifo(fifo)
    out = tmp_path / "out"
    proc = subprocess.Popen(
        cli_command(command, fifo, "--format", "cef", "-o", out, "--no-progress"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_default_sigint,
    )
    feed = os.open(fifo, os.O_WRONLY)  # returns once shadowlens opened the FIFO to read it
    try:
        os.write(feed, f"{CEF}\n".encode() * 100)  # less than a pipe buffer: never blocks
        proc.send_signal(signal.SIGINT)
        _stdout, stderr = proc.communicate(timeout=120)
    finally:
        os.close(feed)
        proc.kill()
        proc.wait()
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()  # after a timeout: no unclosed-pipe warning in a later test
    assert proc.returncode == ExitCode.INTERRUPTED, stderr
    assert "Traceback" not in stderr
    summary = out / "summary.json"
    assert not summary.exists() or json.loads(summary.read_text()).get("complete") is not True


def _small_file_size_limit() -> None:
    """In the child: files cannot grow past 64 KiB (EFBIG), a disk that fills up."""
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))


@pytest.mark.parametrize("command", ["parse", "run"])
def test_a_full_disk_while_writing_records_is_an_output_error(tmp_path: Path, command: str) -> None:
    """Not an internal error: exit 5 naming the output folder, and no summary."""
    log = tmp_path / "big.log"
    log.write_text(
        "".join(
            f"{CEF} request=https://h{i * 7919 % 100003}.example/{i * 104729}\n"
            for i in range(8000)
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out"
    done = subprocess.run(
        cli_command(command, log, "--format", "cef", "-o", out, "--no-progress"),
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        preexec_fn=_small_file_size_limit,
    )
    assert done.returncode == ExitCode.OUTPUT, done.stderr
    (message,) = done.stderr.strip().splitlines()
    assert message.startswith(f"error: {out}: cannot write"), message
    assert not (out / "summary.json").exists()
