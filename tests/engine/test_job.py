"""The main job end to end on the shipped sample logs (``shadowlens demo``'s data).

The figures in report.json are recomputed here independently from out/records with
polars; the line accounting is checked per file; pseudonymisation keeps the key out
of every output.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from shadowlens.engine.job import JobConfig, run_job, sample_logs


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "out"
    run_job(JobConfig(inputs=sample_logs(), out_dir=out))
    return out


@pytest.fixture(scope="module")
def report(demo_out: Path) -> dict[str, Any]:
    return json.loads((demo_out / "report.json").read_text())


@pytest.fixture(scope="module")
def records(demo_out: Path) -> pl.DataFrame:
    return pl.read_parquet(demo_out / "records")


def test_every_line_is_accounted_for(demo_out: Path) -> None:
    summary = json.loads((demo_out / "summary.json").read_text())
    for name, stats in [*summary["files"].items(), ("<total>", summary["totals"])]:
        assert stats["lines"] == (
            stats["records"] + stats["quarantined"] + stats["directives"] + stats["blank"]
        ), name
    assert (
        summary["totals"]["records"]
        == pl.scan_parquet(demo_out / "records").select(pl.len()).collect().item()
    )
    assert (
        summary["totals"]["quarantined"]
        == pl.scan_parquet(demo_out / "quarantine").select(pl.len()).collect().item()
    )
    # Every sample is recognised: no line is quarantined for want of a format.
    quarantine = pl.read_parquet(demo_out / "quarantine")
    assert "no_format" not in quarantine["error_code"].cast(pl.String).to_list()
    assert summary["catalog_apps"] >= 300


def test_report_totals_match_records(report: dict[str, Any], records: pl.DataFrame) -> None:
    up = records["bytes_up"].fill_null(0)
    down = records["bytes_down"].fill_null(0)
    traffic = records["bytes_total"].fill_null(up + down)
    totals = report["totals"]
    assert totals["transactions"] == records.height
    assert totals["apps"] == records["app_id"].drop_nulls().n_unique()
    assert totals["users"] == records["user_name"].drop_nulls().n_unique()
    assert totals["source_ips"] == records["src_ip"].drop_nulls().n_unique()
    assert totals["traffic"]["upload"] == up.sum()
    assert totals["traffic"]["download"] == down.sum()
    assert totals["traffic"]["total"] == traffic.sum()
    assert totals["blocked_transactions"] == (records["action"] == "blocked").sum()
    long_tail = records.filter(pl.col("app_id").is_null())["dst_domain"].drop_nulls().n_unique()
    assert totals["uncatalogued_domains"] == long_tail
    assert totals["time_range"]["days"] == 7


def test_report_apps_match_records(report: dict[str, Any], records: pl.DataFrame) -> None:
    expected = (
        records.filter(pl.col("app_id").is_not_null())
        .group_by(pl.col("app_id").cast(pl.String))
        .agg(
            pl.len().alias("transactions"),
            pl.col("bytes_up").fill_null(0).sum().alias("upload"),
            pl.col("user_name").drop_nulls().n_unique().alias("users"),
        )
    )
    by_id = {row["app_id"]: row for row in expected.to_dicts()}
    assert {app["app_id"] for app in report["apps"]} == set(by_id)
    for app in report["apps"]:
        want = by_id[app["app_id"]]
        assert (app["transactions"], app["upload"], app["users"]) == (
            want["transactions"],
            want["upload"],
            want["users"],
        ), app["app_id"]
    # The story the samples tell is visible: bulk uploads to unsanctioned storage.
    names = {app["name"] for app in report["apps"]}
    assert {"MEGA", "Slack"} <= names


def test_report_html_is_written(demo_out: Path, report: dict[str, Any]) -> None:
    html = (demo_out / "report.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") or html.lower().startswith("<!doctype html>")
    assert report["apps"][0]["name"] in html


def test_anonymised_run_keeps_the_key_out(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    key = tmp_path / "key"
    secret = "correct horse battery staple 42"
    key.write_text(secret)
    out = tmp_path / "out"
    done = cli("run", *sample_logs(), "-o", out, "--anonymize-users", "--key-file", key)
    assert done.code == 0, done.err
    users = pl.read_parquet(out / "records")["user_name"].drop_nulls().unique().to_list()
    assert users
    assert all(name.startswith("u_") for name in users)
    for path in out.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path
    reveal = cli("users", "reveal", users[0], "--key-file", key)
    assert reveal.code == 0, reveal.err
    assert reveal.stdout.strip()
    assert not reveal.stdout.strip().startswith("u_")
