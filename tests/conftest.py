"""Fixtures shared by the whole suite.

The command line is driven one way: :func:`cli` runs ``shadowlens ARGS`` in-process through
:func:`shadowlens.cli.run_cli` (what the console script runs) and returns a
:class:`~cli_harness.CliResult`; :func:`cli_subprocess` runs the real console entry
(``python -m shadowlens``) where the environment, a pipe or a signal matters. Test data
from outside the checkout is read through :func:`cli_harness.shared_path`, the one path rule.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cli_harness import Cli, CliResult, cli_command, invoke_cli
from shadowlens.errors import GrammarError, ShadowlensError, SpecError


@pytest.fixture
def cli() -> Cli:
    """``shadowlens ARGS`` in-process: ``cli("parse", path, env={...}, input="...")``.

    See :func:`cli_harness.invoke_cli`; returns a :class:`~cli_harness.CliResult`.
    """
    return invoke_cli


@pytest.fixture
def cli_subprocess() -> Cli:
    """``shadowlens ARGS`` in a subprocess: ``cli_subprocess(*args, env=..., cwd=..., input=...)``.

    ``env`` adds to (None removes from) this process's environment.
    """

    def invoke(
        *args: str | Path,
        env: Mapping[str, str | None] | None = None,
        cwd: Path | None = None,
        input: str | None = None,
        timeout: float = 300,
    ) -> CliResult:
        environ = dict(os.environ)
        for key, value in (env or {}).items():
            if value is None:
                environ.pop(key, None)
            else:
                environ[key] = value
        done = subprocess.run(
            cli_command(*args),
            env=environ,
            cwd=cwd,
            input=input,
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
        )
        return CliResult(done.returncode, done.stdout, done.stderr)

    return invoke


#: The spec from issue 7 ("Formats as data"), as written there, plus an example.
ACME = Path(__file__).resolve().parent / "spec" / "acme"
#: Lines of the acme proxy log: two records (one with user "-") and one that does not match.
ACME_LINES = (
    "2025-11-26T10:15:02+0100|10.1.2.3|alice|POST|https://Files.Example.com/up?a=1|200|5120|300|ALLOWED",
    "2025-11-26T10:16:40+0100|10.1.2.4|-|GET|http://198.51.100.7/|403|0|512|DENIED",
    "2025-11-26T10:17:00+0100|10.1.2.5|bob",
)


@pytest.fixture
def acme_dir(tmp_path: Path) -> Path:
    """A private copy of tests/spec/acme (acme.toml + acme.lark) that a test may break."""
    folder = tmp_path / "acme"
    shutil.copytree(ACME, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return folder


@pytest.fixture
def acme_log(tmp_path: Path) -> Path:
    """A log file holding :data:`ACME_LINES`."""
    path = tmp_path / "acme-proxy.log"
    path.write_text("\n".join(ACME_LINES) + "\n", encoding="utf-8")
    return path


@dataclass(frozen=True)
class Broken:
    """A copy of the acme spec broken one way, and what loading it must say."""

    spec: Path
    cause: type[ShadowlensError]
    where: tuple[str, ...]  # text the error names: the file and the line


#: id -> (file to edit, old text, new text, error class, what the message names)
BROKEN_SPECS: dict[str, tuple[str, str, str, type[ShadowlensError], tuple[str, ...]]] = {
    "invalid-toml": (
        "acme.toml", 'user_name   = { from = "user" }', 'user_name   = { from = "user"',
        SpecError, ("acme.toml:10", "not valid TOML"),
    ),
    "unknown-column": (
        "acme.toml", "http_status = ", "http_stat = ",
        SpecError, ("acme.toml:14", "'http_stat' is not a canonical column"),
    ),
    "field-the-grammar-lacks": (
        "acme.toml", 'from = "status"', 'from = "state"',
        SpecError, ("acme.toml:14", "'state'", "acme.lark"),
    ),
    "broken-grammar": (
        "acme.lark", "status: FIELD\n", "status: FIELD (\n",
        GrammarError, ("acme.lark", "line 7"),
    ),
}  # fmt: skip


@pytest.fixture(params=list(BROKEN_SPECS))
def broken_spec(request: pytest.FixtureRequest, acme_dir: Path) -> Broken:
    """The acme spec broken in each way of :data:`BROKEN_SPECS` (one test per way)."""
    file, old, new, cause, where = BROKEN_SPECS[request.param]
    path = acme_dir / file
    text = path.read_text(encoding="utf-8")
    assert old in text, (old, path)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return Broken(acme_dir / "acme.toml", cause, where)


@pytest.fixture(scope="session")
def shipped() -> Any:
    """The catalog shipped with shadowlens (built once per session)."""
    from shadowlens.enrich.catalog import load_catalog

    return load_catalog()
