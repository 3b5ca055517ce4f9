"""The upload manifest loader shared by the exporter and the upload client."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from shadowlens.errors import ConfigError, InputError
from shadowlens.outputs.manifest import Manifest, ManifestFile, load_manifest, save_manifest

SHA = "ab" * 32


def entry(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "path": "cef-0001.log.gz",
        "source": "GENERIC_CEF",
        "lines": 123,
        "bytes": 4567,
        "sha256": SHA,
        "first_time": "2026-11-01T00:00:00Z",
        "last_time": "2026-11-01T23:59:59Z",
    }
    base.update(overrides)
    return base


def write(tmp_path: Path, document: object) -> Path:
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_round_trip(tmp_path: Path) -> None:
    first = datetime(2026, 11, 1, 1, tzinfo=timezone(timedelta(hours=1)))
    manifest = Manifest(
        files=(
            ManifestFile("a/cef-0001.log.gz", "GENERIC_CEF", 1, 2, SHA, first, first),
            ManifestFile("cef-0002.log.gz", "GENERIC_W3C", 0, 20, SHA),
        )
    )
    written = save_manifest(manifest, tmp_path)

    assert written == tmp_path / "manifest.json"
    raw = json.loads(written.read_text())
    assert raw["version"] == 1
    assert raw["files"][0]["first_time"] == "2026-11-01T00:00:00Z"
    assert raw["files"][1]["last_time"] is None
    loaded = load_manifest(tmp_path)
    assert loaded == manifest
    assert loaded.files[0].name == "cef-0001.log.gz"
    assert loaded.files[0].resolve(tmp_path) == tmp_path / "a" / "cef-0001.log.gz"
    assert loaded.files[0].first_time == datetime(2026, 11, 1, tzinfo=UTC)


def test_skipped_untimed_round_trips_and_defaults_to_zero(tmp_path: Path) -> None:
    save_manifest(Manifest(skipped_untimed=7), tmp_path)
    assert json.loads((tmp_path / "manifest.json").read_text())["skipped_untimed"] == 7
    assert load_manifest(tmp_path).skipped_untimed == 7
    older = write(tmp_path, {"version": 1, "files": [entry()]})
    assert load_manifest(older).skipped_untimed == 0


def test_unknown_keys_are_ignored(tmp_path: Path) -> None:
    path = write(tmp_path, {"version": 1, "files": [entry(codec="gzip")], "tool": "x"})
    assert load_manifest(path).files[0].lines == 123


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([], "expected a JSON object"),
        ({"version": 2, "files": []}, "unsupported manifest version 2"),
        ({"version": 1}, "'files' must be a list"),
        ({"version": 1, "files": ["x"]}, r"files\[0\]: expected an object"),
        ({"version": 1, "files": [entry(sha256=None)]}, "'sha256' must be a string"),
        ({"version": 1, "files": [{"path": "a"}]}, "missing key"),
        ({"version": 1, "files": [entry(lines="1")]}, "'lines' must be an integer"),
        ({"version": 1, "files": [entry(bytes=True)]}, "'bytes' must be an integer"),
        ({"version": 1, "files": [entry(bytes=-1)]}, "must not be negative"),
        ({"version": 1, "files": [entry(path="../x.gz")]}, "without '..'"),
        ({"version": 1, "files": [entry(path="/etc/x")]}, "relative"),
        ({"version": 1, "files": [entry(path="a\\b.gz")]}, "relative"),
        ({"version": 1, "files": [entry(source="generic cef")]}, "not a Defender source"),
        ({"version": 1, "files": [entry(sha256="AB" * 32)]}, "64 lower-case hex"),
        ({"version": 1, "files": [entry(first_time="yesterday")]}, "not an ISO-8601"),
        ({"version": 1, "files": [entry(first_time="2026-11-01T00:00")]}, "no timezone"),
        (
            {"version": 1, "files": [entry(first_time="2026-12-01T00:00:00Z")]},
            "after 'last_time'",
        ),
        ({"version": 1, "files": [entry(), entry()]}, "twice"),
        ({"version": 1, "files": [], "skipped_untimed": "2"}, "'skipped_untimed' must be an"),
        ({"version": 1, "files": [], "skipped_untimed": -1}, "must not be negative"),
    ],
)
def test_invalid_manifests_name_the_problem(tmp_path: Path, document: object, message: str) -> None:
    path = write(tmp_path, document)
    with pytest.raises(ConfigError, match=message) as caught:
        load_manifest(path)
    assert str(path) in str(caught.value)


def test_unreadable_inputs(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no manifest"):
        load_manifest(tmp_path)
    (tmp_path / "manifest.json").write_text("{nope")
    with pytest.raises(ConfigError, match="invalid JSON at line 1"):
        load_manifest(tmp_path)
