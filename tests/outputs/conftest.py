"""Fixtures for the Defender upload tests: a local server, a fake clock, upload folders."""

from __future__ import annotations

import hashlib
import random
import secrets
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from mdca_server import BIG_SIZE, FakeClock, MdcaServer, write_big_file

from shadowlens.outputs.manifest import Manifest, ManifestFile, save_manifest
from shadowlens.outputs.mdca import Credentials
from shadowlens.outputs.ratelimit import RateLimiter, RetryPolicy
from shadowlens.outputs.upload import Uploader


@pytest.fixture
def mdca_token() -> str:
    """A random token, easy to search for in any output."""
    return "tok" + secrets.token_hex(24)


@pytest.fixture
def mdca_server(tmp_path: Path, mdca_token: str) -> Iterator[MdcaServer]:
    storage = tmp_path / "server"
    storage.mkdir()
    with MdcaServer(storage, mdca_token) as server:
        yield server


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def upload_folder(tmp_path: Path) -> Callable[..., Path]:
    """Build ``tmp_path/upload`` with small log files (and a big one) plus a manifest."""

    def build(count: int = 3, *, big: bool = False) -> Path:
        folder = tmp_path / "upload"
        folder.mkdir(exist_ok=True)
        entries = []
        when = datetime(2026, 11, 1, tzinfo=UTC)
        for index in range(1, count + 1):
            name = f"cef-{index:04d}.log"
            data = "".join(
                f"CEF:0|Vendor|Proxy|1.0|100|req|3|src=10.0.0.{index} dhost=app{n}.example\n"
                for n in range(50 * index)
            ).encode()
            (folder / name).write_bytes(data)
            entries.append(_entry(name, data.count(b"\n"), len(data), _sha(data), when))
        if big:
            name = "big-0001.log"
            sha = write_big_file(folder / name)
            entries.append(_entry(name, 64, BIG_SIZE, sha, when))
        save_manifest(Manifest(files=tuple(entries)), folder)
        return folder

    return build


@pytest.fixture
def make_uploader(
    mdca_server: MdcaServer, mdca_token: str, fake_clock: FakeClock
) -> Callable[..., Uploader]:
    """Build an :class:`Uploader` aimed at the local server with instant backoff."""

    def build(folder: Path, **kwargs: Any) -> Uploader:
        kwargs.setdefault("snapshot", True)
        kwargs.setdefault("credentials", Credentials(mdca_token))
        kwargs.setdefault("clock", fake_clock)
        kwargs.setdefault("limiter", RateLimiter(clock=fake_clock))
        kwargs.setdefault(
            "retry", RetryPolicy(max_attempts=4, base_delay=0.5, rng=random.Random(7))
        )
        return Uploader(folder, mdca_server.url, "q3-snapshot", **kwargs)

    return build


def _entry(name: str, lines: int, size: int, sha: str, when: datetime) -> ManifestFile:
    return ManifestFile(
        path=name,
        source="GENERIC_CEF",
        lines=lines,
        bytes=size,
        sha256=sha,
        first_time=when,
        last_time=when,
    )


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
