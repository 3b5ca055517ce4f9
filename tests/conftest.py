"""Fixtures shared by the whole suite."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import pytest

from shadowlens import cli

CliMain = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cli_main(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> CliMain:
    """``shadowlens ARGS`` in-process through ``shadowlens.cli.main`` (the console script).

    Faster than a subprocess; returns the exit code and captured output like one.
    """
    monkeypatch.delenv("SHADOWLENS_DEBUG", raising=False)

    def invoke(*args: str) -> subprocess.CompletedProcess[str]:
        monkeypatch.setattr(sys, "argv", ["shadowlens", *args])
        try:
            cli.main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        else:
            code = 0
        captured = capsys.readouterr()
        return subprocess.CompletedProcess(list(args), code, captured.out, captured.err)

    return invoke
