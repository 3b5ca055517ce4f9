"""``shadowlens report OUT --catalog FILE`` and ``--baseline OUT`` on ``report`` and ``run``.

Exit codes and what is left on disk are checked, not only the messages.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from report_fixtures import make_out_dir

OVERLAY = """\
[[app]]
id = "files-share"
name = "Files Share"
category = "Cloud storage"
tags = ["unsanctioned"]
risk = 2
domains = ["files-share.io"]

[[app]]
id = "slack"
tags = ["Unsanctioned"]
"""


def _report(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return data


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    return make_out_dir(tmp_path)


def test_report_catalog_reapplies_an_overlay_without_parsing(cli, out_dir: Path) -> None:  # type: ignore[no-untyped-def]
    overlay = out_dir.parent / "overlay.toml"
    overlay.write_text(OVERLAY, encoding="utf-8")
    records = sorted((out_dir / "records").iterdir())
    before = {path: path.read_bytes() for path in records}
    done = cli("report", str(out_dir), "--catalog", str(overlay))
    assert done.returncode == 0, done.stderr
    report = _report(out_dir)
    apps = {app["app_id"]: app for app in report["apps"]}
    assert apps["files-share"]["status"] == "unsanctioned"
    assert apps["files-share"]["risk"] == 2
    assert apps["slack"]["status"] == "unsanctioned"  # tags compare case-insensitively
    assert "files-share.io" not in {row["domain"] for row in report["uncatalogued_domains"]}
    expected = (
        pl.read_parquet(records)
        .filter(pl.col("dst_domain") == "files-share.io")
        .select(pl.col("bytes_total").sum())
        .item()
    )
    assert apps["files-share"]["traffic"] == expected
    assert report["generator"]["catalog_reapplied"] is True
    assert any(r["app_id"] == "files-share" for r in report["findings"]["high_risk_apps"])
    # the saved records are not rewritten
    assert {path: path.read_bytes() for path in records} == before


def test_report_without_catalog_keeps_the_run_s_app_columns(cli, out_dir: Path) -> None:  # type: ignore[no-untyped-def]
    done = cli("report", str(out_dir))
    assert done.returncode == 0, done.stderr
    report = _report(out_dir)
    assert report["generator"]["catalog_reapplied"] is False
    assert {app["app_id"] for app in report["apps"]} >= {"dropbox", "evil-app", "mega"}


@pytest.mark.parametrize(
    ("content", "code", "words"),
    [
        (None, 2, "catalog"),  # missing file
        ("[[app]]\nname = 1\ndomains = [", 2, "invalid TOML"),
    ],
)
def test_report_bad_catalog_leaves_the_report_alone(  # type: ignore[no-untyped-def]
    cli, out_dir: Path, content: str | None, code: int, words: str
) -> None:
    cli("report", str(out_dir))
    page = (out_dir / "report.html").read_bytes()
    overlay = out_dir.parent / "bad.toml"
    if content is not None:
        overlay.write_text(content, encoding="utf-8")
    done = cli("report", str(out_dir), "--catalog", str(overlay))
    assert done.returncode == code
    assert words in done.stderr
    assert str(overlay) in done.stderr
    assert "Traceback" not in done.stderr
    assert (out_dir / "report.html").read_bytes() == page
    assert not list(out_dir.glob(".*.partial"))


def test_report_baseline_lists_new_apps(cli, out_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    old = tmp_path / "old"
    old.mkdir()
    previous = {"generator": {"generated_at": "2024-04-01T00:00:00Z"}}
    previous["apps"] = [{"app_id": "slack"}, {"app_id": "github"}]  # type: ignore[assignment]
    (old / "report.json").write_text(json.dumps(previous), encoding="utf-8")
    done = cli("report", str(out_dir), "--baseline", str(old))
    assert done.returncode == 0, done.stderr
    findings = _report(out_dir)["findings"]
    apps = {app["app_id"] for app in _report(out_dir)["apps"]}
    assert {row["app_id"] for row in findings["new_apps"]} == apps - {"slack", "github"}
    assert findings["new_apps_total"] == len(apps) - 2
    assert findings["baseline"] == {
        "path": str(old),
        "apps": 2,
        "generated_at": "2024-04-01T00:00:00Z",
    }
    page = (out_dir / "report.html").read_text(encoding="utf-8")
    assert 'id="new-apps-table"' in page
    # a baseline that is an output folder without report.json: its records count
    shutil.copytree(out_dir / "records", old / "records")
    (old / "report.json").unlink()
    done = cli("report", str(out_dir), "--baseline", str(old))
    assert done.returncode == 0, done.stderr
    assert _report(out_dir)["findings"]["new_apps_total"] == 0


@pytest.mark.parametrize(("kind", "code"), [("missing", 2), ("corrupt", 3), ("not-a-report", 3)])
def test_report_bad_baseline_fails_before_writing(  # type: ignore[no-untyped-def]
    cli, out_dir: Path, tmp_path: Path, kind: str, code: int
) -> None:
    old = tmp_path / "old"
    if kind != "missing":
        old.mkdir()
        text = "{not json" if kind == "corrupt" else json.dumps({"apps": "x"})
        (old / "report.json").write_text(text, encoding="utf-8")
    done = cli("report", str(out_dir), "--baseline", str(old))
    assert done.returncode == code
    assert str(old) in done.stderr
    assert "Traceback" not in done.stderr
    assert not (out_dir / "report.json").exists()
    assert not (out_dir / "report.html").exists()


LINE = "CEF:0|V|P|1|100|Allowed|3|rt=1700000000000 dhost={host} suser=alice out=10 in=5000\n"


def test_run_baseline_lists_new_apps(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first_log, second_log = tmp_path / "week1.log", tmp_path / "week2.log"
    first_log.write_text(LINE.format(host="files.slack.com"), encoding="utf-8")
    second_log.write_text(
        LINE.format(host="files.slack.com") + LINE.format(host="www.dropbox.com"),
        encoding="utf-8",
    )
    first, second = tmp_path / "out1", tmp_path / "out2"
    done = cli("run", str(first_log), "-o", str(first), "--no-progress")
    assert done.returncode == 0, done.stderr
    assert _report(first)["findings"]["new_apps"] is None
    done = cli("run", str(second_log), "-o", str(second), "--baseline", str(first), "--no-progress")
    assert done.returncode == 0, done.stderr
    findings = _report(second)["findings"]
    assert [row["app_id"] for row in findings["new_apps"]] == ["dropbox"]


def test_run_bad_baseline_stops_before_parsing(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    log = tmp_path / "a.log"
    log.write_text(LINE.format(host="files.slack.com"), encoding="utf-8")
    out = tmp_path / "out"
    done = cli(
        "run", str(log), "-o", str(out), "--baseline", str(tmp_path / "nope"), "--no-progress"
    )
    assert done.returncode == 2
    assert f"--baseline {tmp_path / 'nope'}: no report.json or records/" in done.stderr
    assert not out.exists()
