"""Helpers of the test suite: the CLI's result type and the one rule for shared test data.

The fixtures that use them (``cli``, ``cli_subprocess``) are in ``tests/conftest.py``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import NamedTuple

from typer.testing import CliRunner

from shadowlens.cli import run_cli

#: The checkout (the folder holding pyproject.toml).
ROOT = Path(__file__).resolve().parents[1]


def shared_path(*parts: str) -> Path:
    """A path in the shared test data beside the checkout: ``$SHADOWLENS_SHARED`` or ``../shared``.

    Tests that need it skip, saying so, when it is absent: the suite passes without it.
    """
    base = os.environ.get("SHADOWLENS_SHARED")
    return (Path(base) if base else ROOT.parent / "shared").joinpath(*parts)


class CliResult(NamedTuple):
    """What ``shadowlens ARGS`` did: exit code, standard output, standard error."""

    code: int
    out: str
    err: str

    @property
    def returncode(self) -> int:
        """``code``, named as in :class:`subprocess.CompletedProcess`."""
        return self.code

    @property
    def stdout(self) -> str:
        """``out``, named as in :class:`subprocess.CompletedProcess`."""
        return self.out

    @property
    def stderr(self) -> str:
        """``err``, named as in :class:`subprocess.CompletedProcess`."""
        return self.err

    @property
    def exit_code(self) -> int:
        """``code``, named as in click's ``Result``."""
        return self.code

    @property
    def output(self) -> str:
        """Standard output then standard error (for assertion messages and searches)."""
        return self.out + self.err


Cli = Callable[..., CliResult]


def cli_command(*args: str | Path) -> list[str]:
    """The argv of ``shadowlens ARGS`` through the real console entry of this interpreter."""
    return [sys.executable, "-m", "shadowlens", *(str(a) for a in args)]


def invoke_cli(
    *args: str | Path, env: Mapping[str, str | None] | None = None, input: str | None = None
) -> CliResult:
    """``shadowlens ARGS`` in-process through :func:`shadowlens.cli.run_cli` (the console script).

    Standard output and standard error are captured apart (typer's ``CliRunner``
    isolation); ``env`` adds variables (None removes one) for the call only;
    ``SHADOWLENS_DEBUG`` is unset unless ``env`` sets it.
    """
    environ: dict[str, str | None] = {"SHADOWLENS_DEBUG": None, **(env or {})}
    with CliRunner().isolation(input=input, env=environ) as (out, err, _mixed):
        code = run_cli([str(a) for a in args])
        sys.stdout.flush()
        sys.stderr.flush()
        return CliResult(code, out.getvalue().decode(), err.getvalue().decode())
