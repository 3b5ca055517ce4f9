"""Ctrl-C during ``shadowlens upload`` (a real SIGINT to a real process) exits 130."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from mdca_server import MdcaServer

from cli_harness import cli_command
from shadowlens.errors import ExitCode


def _default_sigint() -> None:
    """In the child: SIGINT as a terminal delivers it (a background job inherits it ignored)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_during_upload_exits_130(
    upload_folder: Callable[..., Path], mdca_server: MdcaServer, mdca_token: str
) -> None:
    folder = upload_folder(2)
    mdca_server.fail("initiate", status=429, retry_after="120")  # the client waits 2 minutes
    proc = subprocess.Popen(
        cli_command("upload", folder, "--portal", mdca_server.url, "--report-name", "q3"),
        env={**os.environ, "SHADOWLENS_MDCA_TOKEN": mdca_token},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_default_sigint,
    )
    try:
        deadline = time.monotonic() + 120
        while not mdca_server.requests and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)  # a synchronisation point, not a timing assertion
        assert mdca_server.kinds() == ["initiate"]
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == ExitCode.INTERRUPTED, stderr
    assert "Traceback" not in stderr
    assert "rerun the same command to resume" in stdout + stderr
    assert mdca_token not in stdout + stderr
