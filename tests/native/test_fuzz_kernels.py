"""A bounded atheris run of ``fuzz/fuzz_kernels.py``: the native kernels on mutated input.

The fuzz target asserts that the native split and pick equal their polars
references and that arbitrary buffers give a result or ``ValueError``; a crash, a
hang or a difference fails the run (non-zero exit, the crashing input saved).
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from shadowlens.parsers.native import native_enabled

TARGET = Path(__file__).resolve().parents[2] / "fuzz" / "fuzz_kernels.py"

pytestmark = [
    pytest.mark.skipif(not native_enabled(), reason="native core not built"),
    pytest.mark.skipif(importlib.util.find_spec("atheris") is None, reason="atheris missing"),
]


def test_fuzz_kernels_bounded_run(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    done = subprocess.run(
        [
            sys.executable,
            str(TARGET),
            "-runs=1500",
            "-max_total_time=60",
            f"-artifact_prefix={tmp_path}/",
            str(corpus),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Done" in done.stderr
    assert not list(tmp_path.glob("crash-*"))
