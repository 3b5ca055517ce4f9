"""report.json figures against independent polars computations, and HTML escaping."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from report_fixtures import (
    HOSTILE,
    IMG,
    QUARANTINE_CODES,
    SCRIPT,
    YEAR_ASSUMED,
    make_out_dir,
    make_untimed_out_dir,
)

from shadowlens.outputs.report import build_report, write_report
from shadowlens.outputs.report_html import json_for_script, page_data, render_html

WHEN = dt.datetime(2024, 6, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_out_dir(tmp_path_factory.mktemp("report"))


@pytest.fixture(scope="module")
def report(out_dir: Path) -> dict[str, Any]:
    return build_report(out_dir, generated_at=WHEN)


@pytest.fixture(scope="module")
def records(out_dir: Path) -> pl.DataFrame:
    return pl.read_parquet(out_dir / "records" / "*.parquet").with_columns(
        pl.col(pl.Categorical).cast(pl.String)
    )


@pytest.fixture(scope="module")
def page(out_dir: Path) -> str:
    write_report(out_dir, generated_at=WHEN)
    return (out_dir / "report.html").read_text(encoding="utf-8")


def test_totals_match_polars(report: dict[str, Any], records: pl.DataFrame) -> None:
    totals = report["totals"]
    assert totals["transactions"] == records.height
    assert totals["apps"] == records["app_id"].drop_nulls().n_unique()
    assert totals["users"] == records["user_name"].drop_nulls().n_unique()
    assert totals["source_ips"] == records["src_ip"].drop_nulls().n_unique()
    assert totals["traffic"]["total"] == records["bytes_total"].sum()
    assert totals["traffic"]["upload"] == records["bytes_up"].sum()
    assert totals["traffic"]["download"] == records["bytes_down"].sum()
    assert totals["blocked_transactions"] == (records["action"] == "blocked").sum()
    first, last = records["event_time"].min(), records["event_time"].max()
    assert isinstance(first, dt.datetime)
    assert isinstance(last, dt.datetime)
    assert totals["time_range"]["first"] == first.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert totals["time_range"]["last"] == last.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert totals["time_range"]["days"] == 14


def test_apps_match_polars(report: dict[str, Any], records: pl.DataFrame) -> None:
    apps = {app["app_id"]: app for app in report["apps"]}
    catalogued = records.filter(pl.col("app_id").is_not_null())
    expected = {
        row["app_id"]: row
        for row in catalogued.group_by("app_id")
        .agg(
            pl.len().alias("transactions"),
            pl.col("bytes_total").sum().alias("traffic"),
            pl.col("bytes_up").sum().alias("upload"),
            pl.col("user_name").drop_nulls().n_unique().alias("users"),
            pl.col("src_ip").n_unique().alias("ips"),
        )
        .to_dicts()
    }
    assert set(apps) == set(expected)
    for app_id, want in expected.items():
        got = apps[app_id]
        for key in ("transactions", "traffic", "upload", "users", "ips"):
            assert got[key] == want[key], (app_id, key)
    traffic = [app["traffic"] for app in report["apps"]]
    assert traffic == sorted(traffic, reverse=True)
    assert apps["slack"]["tags"] == ["sanctioned"]
    assert apps["slack"]["risk"] == 9
    assert apps["gmail"]["tags"] == []
    assert apps["gmail"]["risk"] is None
    assert apps["dropbox"]["category"] == "Cloud storage"
    assert apps["dropbox"]["domains"] == ["dropbox.com", "dropboxapi.com"]


def test_categories_and_risk_levels(report: dict[str, Any], records: pl.DataFrame) -> None:
    by_category = {row["category"]: row for row in report["categories"]}
    assert by_category["Cloud storage"]["apps"] == 2
    storage = records.filter(pl.col("app_category") == "Cloud storage")
    assert by_category["Cloud storage"]["traffic"] == storage["bytes_total"].sum()
    levels = {row["level"]: row for row in report["risk_levels"]}
    assert list(levels) == ["high", "medium", "low", "not_assessed", "uncatalogued"]
    assert sum(row["transactions"] for row in levels.values()) == records.height
    assert sum(row["traffic"] for row in levels.values()) == records["bytes_total"].sum()
    # dropbox, gmail, zoom carry no score; wetransfer 4, mega 3 and the hostile app 2 are high
    assert levels["not_assessed"]["apps"] == 3
    assert levels["high"]["apps"] == 3
    assert levels["uncatalogued"]["transactions"] == records["app_id"].null_count()


def test_uncatalogued_domains_match_polars(report: dict[str, Any], records: pl.DataFrame) -> None:
    tail = records.filter(pl.col("app_id").is_null() & pl.col("dst_domain").is_not_null())
    expected = {
        row["dst_domain"]: row
        for row in tail.group_by("dst_domain")
        .agg(
            pl.len().alias("transactions"),
            pl.col("bytes_total").sum().alias("traffic"),
            pl.col("user_name").drop_nulls().n_unique().alias("users"),
        )
        .to_dicts()
    }
    got = {row["domain"]: row for row in report["uncatalogued_domains"]}
    assert set(got) == set(expected)
    assert report["totals"]["uncatalogued_domains"] == len(expected)
    for domain, want in expected.items():
        assert got[domain]["transactions"] == want["transactions"]
        assert got[domain]["traffic"] == want["traffic"]
        assert got[domain]["users"] == want["users"]
    assert "pastebin.example" in got
    assert got["pastebin.example"]["example_url"].startswith("https://")


def test_top_entities(report: dict[str, Any], records: pl.DataFrame, out_dir: Path) -> None:
    per_user = records.group_by("user_name").agg(pl.col("bytes_total").sum()).drop_nulls()
    top_user = per_user.sort("bytes_total", descending=True).row(0, named=True)
    assert report["top_users"][0]["user"] == top_user["user_name"]
    assert report["top_users"][0]["traffic"] == top_user["bytes_total"]
    assert len(report["top_users"]) == records["user_name"].drop_nulls().n_unique()
    small = build_report(out_dir, top=5, generated_at=WHEN)
    assert len(small["top_source_ips"]) == 5
    assert small["top_source_ips"] == report["top_source_ips"][:5]
    assert sum(point["transactions"] for point in report["timeline"]) == records.height
    assert len(report["timeline"]) == 14


def test_parse_quality(report: dict[str, Any], out_dir: Path) -> None:
    quality = report["parse_quality"]
    assert {row["error_code"]: row["count"] for row in quality["by_code"]} == QUARANTINE_CODES
    assert quality["quarantined"] == sum(QUARANTINE_CODES.values())
    quarantine = pl.read_parquet(out_dir / "quarantine" / "*.parquet").with_columns(
        pl.col(pl.Categorical).cast(pl.String)
    )
    summary = json.loads((out_dir / "summary.json").read_text())
    assert quality["totals"] == summary["totals"]
    for entry in quality["files"]:
        mine = quarantine.filter(pl.col("source_file") == entry["file"])
        assert entry["by_code"] == dict(mine["error_code"].value_counts().iter_rows())
        assert entry["lines"] == summary["files"][entry["file"]]["lines"]


def test_generator_block_and_stable_output(report: dict[str, Any], out_dir: Path) -> None:
    generator = report["generator"]
    assert generator["catalog_version"] == "starter-2024.05"
    assert generator["generated_at"] == "2024-06-01T12:00:00Z"
    assert list(report) == [
        "generator",
        "totals",
        "findings",
        "status_summary",
        "apps",
        "categories",
        "risk_levels",
        "users",
        "top_users",
        "top_source_ips",
        "uncatalogued_domains",
        "top_user_agents",
        "timeline_granularity",
        "timeline",
        "drill_down_limits",
        "user_apps",
        "app_users",
        "app_ips",
        "app_timeline",
        "parse_quality",
    ]
    again = build_report(out_dir, generated_at=WHEN)
    assert json.dumps(again) == json.dumps(report)


def test_empty_out_dir(tmp_path: Path) -> None:
    report = build_report(tmp_path, generated_at=WHEN)
    assert report["totals"]["transactions"] == 0
    assert report["totals"]["traffic"] == {"upload": 0, "download": 0, "total": 0}
    assert report["apps"] == []
    assert report["parse_quality"]["quarantined"] == 0
    assert "<svg" in render_html(report)


@pytest.mark.parametrize("every", [4, 1])
def test_untimed_records_count_but_never_break_time_figures(tmp_path: Path, every: int) -> None:
    out = make_untimed_out_dir(tmp_path, every=every)
    records = pl.read_parquet(out / "records" / "*.parquet").with_columns(
        pl.col(pl.Categorical).cast(pl.String)
    )
    timed = records.filter(pl.col("event_time").is_not_null())
    untimed = records.height - timed.height
    assert untimed > 0
    report = build_report(out, generated_at=WHEN)
    totals = report["totals"]
    assert totals["transactions"] == records.height
    assert sum(point["transactions"] for point in report["timeline"]) == timed.height
    assert all(point["start"] is not None for point in report["timeline"])
    if timed.height:
        first = timed["event_time"].min()
        assert isinstance(first, dt.datetime)
        assert totals["time_range"]["first"] == first.strftime("%Y-%m-%dT%H:%M:%SZ")
    else:
        assert totals["time_range"] == {"first": None, "last": None, "days": 0}
        assert report["timeline"] == []
    last_seen = dict(
        timed.group_by("app_id").agg(pl.col("event_time").max()).drop_nulls("app_id").iter_rows()
    )
    for app in report["apps"]:
        expected = last_seen.get(app["app_id"])
        assert app["last_seen"] == (expected.strftime("%Y-%m-%dT%H:%M:%SZ") if expected else None)
    quality = report["parse_quality"]
    assert quality["totals"]["untimed"] == untimed
    assert quality["totals"]["year_assumed"] == sum(YEAR_ASSUMED.values())
    for entry in quality["files"]:
        mine = records.filter(pl.col("source_file") == entry["file"])
        assert entry["untimed"] == mine["event_time"].null_count()
        assert entry["year_assumed"] == YEAR_ASSUMED[entry["file"]]
    page = render_html(report)
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    assert f"{untimed:,} records without an event time" in text
    assert f"{sum(YEAR_ASSUMED.values())} records with a yearless date" in text
    assert "Untimed" in text


def test_untimed_counts_come_from_the_records_without_a_summary(tmp_path: Path) -> None:
    out = make_untimed_out_dir(tmp_path)
    (out / "summary.json").unlink()
    records = pl.read_parquet(out / "records" / "*.parquet").with_columns(
        pl.col(pl.Categorical).cast(pl.String)
    )
    quality = build_report(out, generated_at=WHEN)["parse_quality"]
    assert quality["totals"]["untimed"] == records["event_time"].null_count()
    assert quality["totals"]["year_assumed"] is None
    for entry in quality["files"]:
        mine = records.filter(pl.col("source_file") == entry["file"])
        assert entry["untimed"] == mine["event_time"].null_count()


def test_write_report_files(out_dir: Path, page: str, report: dict[str, Any]) -> None:
    written = json.loads((out_dir / "report.json").read_text(encoding="utf-8"))
    assert written == report
    assert page.startswith("<!DOCTYPE html>")
    assert page.count("<svg") >= 4


def test_html_has_no_remote_references(page: str) -> None:
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert csp is not None
    policy = html.unescape(csp.group(1))
    assert "default-src 'none'" in policy
    assert "unsafe-inline" not in policy
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page, re.IGNORECASE)
    assert "@import" not in page
    assert "url(" not in page.split("</style>")[0]


def test_hostile_strings_are_escaped(page: str, report: dict[str, Any]) -> None:
    # the data keeps the strings exactly as logged ...
    text = json.dumps(report)
    for payload in HOSTILE:
        assert json.dumps(payload)[1:-1] in text
    # ... and the page never carries them as markup
    assert SCRIPT not in page
    assert "<img" not in page.lower()
    assert "onerror=alert(1)>" not in page
    assert html.escape(SCRIPT, quote=False) in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    assert len(re.findall(r"<script\b", page)) == 2  # the data block and the page script
    # the apps and users tables are built by the page's script (see test_report_browser.py)
    for place in ("agents-table", "domains-table", "codes-table", "uploads-table", "risky-table"):
        section = page.split(f'id="{place}"', 1)[1].split("</table>", 1)[0]
        assert "&lt;script&gt;" in section, place
    assert "<title>Evil &lt;script&gt;alert(1)&lt;/script&gt;: " in page  # SVG tooltip


def test_embedded_json_round_trips(page: str, report: dict[str, Any]) -> None:
    block = page.split('<script type="application/json" id="report-data">', 1)[1]
    block = block.split("</script>", 1)[0]
    assert "<" not in block
    assert ">" not in block
    assert "&" not in block
    assert json.loads(block) == page_data(report)


def test_json_for_script_escapes_separators() -> None:
    text = str(json_for_script({"a": "\u2028\u2029</script>&"}))
    assert "\u2028" not in text
    assert "\u2029" not in text
    assert json.loads(text) == {"a": "\u2028\u2029</script>&"}
    assert IMG not in str(json_for_script(IMG))


def _usage(frame: pl.DataFrame, *keys: str) -> pl.DataFrame:
    return frame.group_by(*keys).agg(
        pl.col("bytes_total").sum().alias("traffic"),
        pl.col("bytes_up").sum().alias("upload"),
        pl.len().alias("transactions"),
        (pl.col("action") == "blocked").sum().alias("blocked"),
    )


def test_status_comes_from_tags(report: dict[str, Any], records: pl.DataFrame) -> None:
    status = {app["app_id"]: app["status"] for app in report["apps"]}
    assert status == {
        "dropbox": "unsanctioned",
        "mega": "unsanctioned",  # ["unsanctioned", "review"]
        "slack": "sanctioned",
        "github": "sanctioned",
        "chatgpt": "monitored",
        "wetransfer": "unreviewed",  # no tags
        "gmail": "unreviewed",
        "zoom": "unreviewed",
        "evil-app": "unreviewed",  # a custom tag only
    }
    summary = {row["status"]: row for row in report["status_summary"]}
    assert list(summary) == [
        "sanctioned",
        "unsanctioned",
        "monitored",
        "unreviewed",
        "uncatalogued",
    ]
    for name, row in summary.items():
        ids = [app_id for app_id, s in status.items() if s == name]
        mine = records.filter(pl.col("app_id").is_in(ids) if ids else pl.col("app_id").is_null())
        assert row["apps"] == len(ids), name
        assert row["traffic"] == mine["bytes_total"].sum(), name
        assert row["transactions"] == mine.height, name
        assert row["blocked"] == (mine["action"] == "blocked").sum(), name
        if name != "uncatalogued":
            assert row["users"] == mine["user_name"].drop_nulls().n_unique(), name
    assert summary["uncatalogued"]["domains"] == report["totals"]["uncatalogued_domains"]
    assert sum(r["traffic"] for r in summary.values()) == report["totals"]["traffic"]["total"]


def test_status_precedence_is_case_insensitive(tmp_path: Path) -> None:
    out = make_out_dir(tmp_path, n=200, hostile=False)
    frame = pl.read_parquet(out / "records" / "*.parquet")
    tags = {
        "dropbox": ["Sanctioned", "UNSANCTIONED"],
        "slack": ["monitored", "sanctioned"],
        "github": ["Monitored"],
        "chatgpt": [],
    }
    mapping = pl.DataFrame(
        {"app_id": list(tags), "new": list(tags.values())},
        schema={"app_id": pl.String, "new": pl.List(pl.String)},
    )
    frame = (
        frame.with_columns(pl.col("app_id").cast(pl.String))
        .join(mapping, on="app_id", how="left")
        .with_columns(
            pl.when(pl.col("app_id").is_in(list(tags)))
            .then("new")
            .otherwise("app_tags")
            .alias("app_tags")
        )
        .drop("new")
    )
    for path in (out / "records").iterdir():
        path.unlink()
    frame.write_parquet(out / "records" / "part-0000.parquet")
    status = {app["app_id"]: app["status"] for app in build_report(out)["apps"]}
    assert status["dropbox"] == "unsanctioned"
    assert status["slack"] == "sanctioned"
    assert status["github"] == "monitored"
    assert status["chatgpt"] == "unreviewed"


def test_blocked_per_app(report: dict[str, Any], records: pl.DataFrame) -> None:
    expected = dict(
        _usage(records.drop_nulls("app_id"), "app_id").select("app_id", "blocked").iter_rows()
    )
    for app in report["apps"]:
        assert app["blocked"] == expected[app["app_id"]]
        assert app["blocked_share"] == round(app["blocked"] / app["transactions"], 4)


def test_drill_down_tables_match_polars(report: dict[str, Any], records: pl.DataFrame) -> None:
    pairs = _usage(records.drop_nulls("app_id").drop_nulls("user_name"), "user_name", "app_id")
    limits = report["drill_down_limits"]
    for table, key, other, limit in (
        ("user_apps", "user_name", "app_id", limits["user_apps"]),
        ("app_users", "app_id", "user_name", limits["app_users"]),
    ):
        expected = (
            pairs.sort(
                [key, "traffic", "transactions", other], descending=[False, True, True, False]
            )
            .group_by(key, maintain_order=True)
            .head(limit)
        )
        got = pl.DataFrame(report[table]).rename({"user": "user_name"})
        assert got.height == expected.height, table
        for column in ("user_name", "app_id", "traffic", "upload", "transactions", "blocked"):
            assert got[column].to_list() == expected[column].to_list(), (table, column)
    ips = _usage(records.drop_nulls("app_id").drop_nulls("src_ip"), "app_id", "src_ip")
    got_ips = pl.DataFrame(report["app_ips"])
    for app in report["apps"]:
        mine = ips.filter(pl.col("app_id") == app["app_id"]).sort(
            ["traffic", "transactions", "src_ip"], descending=[True, True, False]
        )
        shown = got_ips.filter(pl.col("app_id") == app["app_id"])
        assert shown["ip"].to_list() == mine["src_ip"].head(10).to_list()
        assert app["ips"] == mine.height
    timeline = pl.DataFrame(report["app_timeline"])
    per_app = dict(timeline.group_by("app_id").agg(pl.col("transactions").sum()).iter_rows())
    assert per_app == {app["app_id"]: app["transactions"] for app in report["apps"]}


def test_user_apps_shrink_when_users_are_many(
    out_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shadowlens.outputs import report as module

    monkeypatch.setattr(module, "USER_APPS_BUDGET", 10)
    small = build_report(out_dir, generated_at=WHEN)
    assert small["drill_down_limits"]["user_apps"] == module.USER_APPS_MIN
    per_user = pl.DataFrame(small["user_apps"]).group_by("user").len()
    assert per_user["len"].max() == module.USER_APPS_MIN
    assert small["users"]["apps"][0] > module.USER_APPS_MIN  # the totals still say how many


def test_largest_uploads_match_polars(report: dict[str, Any], records: pl.DataFrame) -> None:
    unsanctioned = ["dropbox", "mega"]
    candidates = records.filter(
        (pl.col("app_id").is_null() | pl.col("app_id").is_in(unsanctioned))
        & (pl.col("bytes_up") > 0)
    ).sort("bytes_up", descending=True)
    uploads = report["findings"]["largest_uploads"]
    assert [row["upload"] for row in uploads] == candidates["bytes_up"].head(10).to_list()
    assert uploads[0]["user"] in HOSTILE or uploads[0]["status"] == "uncatalogued"
    assert {row["status"] for row in uploads} <= {"unsanctioned", "uncatalogued"}
    risky = report["findings"]["high_risk_apps"]
    assert [row["app_id"] for row in risky] == [
        app["app_id"] for app in report["apps"] if app["risk"] is not None and app["risk"] <= 5
    ]
    assert report["findings"]["new_apps"] is None


def test_hourly_timeline_when_the_logs_span_under_three_days(tmp_path: Path) -> None:
    from report_scale import make_scale_out_dir

    out = make_scale_out_dir(tmp_path, records=3_000, users=40, apps=30)
    records = pl.read_parquet(out / "records" / "*.parquet")
    report = build_report(out, generated_at=WHEN)
    assert report["timeline_granularity"] == "hour"
    hours = records["event_time"].dt.truncate("1h").unique().sort()
    assert [p["start"] for p in report["timeline"]] == [
        h.strftime("%Y-%m-%dT%H:%M:%SZ") for h in hours
    ]
    assert sum(p["transactions"] for p in report["timeline"]) == records.height
    assert "Transactions per hour" in render_html(report)
    # 14 days of logs stay daily
    assert build_report(make_out_dir(tmp_path / "days"))["timeline_granularity"] == "day"
