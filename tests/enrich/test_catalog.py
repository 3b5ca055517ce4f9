from __future__ import annotations

import csv
import gzip
import json
from importlib import resources
from pathlib import Path

import pytest

from shadowlens.enrich.catalog import CATEGORIES, Catalog, load_catalog, pattern_is_valid, validate
from shadowlens.enrich.defender import import_defender_csv, write_overlay_toml
from shadowlens.errors import ConfigError

DATA = resources.files("shadowlens") / "data" / "catalog"


def _rules() -> list[dict[str, str]]:
    text = gzip.decompress((DATA / "rules.csv.gz").read_bytes()).decode()
    return list(csv.DictReader(text.splitlines()))


SOURCES = (
    "v2fly:",
    "twofactorauth",
    "sso-wall-of-shame",
    "fedramp-marketplace",
    "apple:",
    "doc:https://",
)
LICENCES = {"MIT", "Apache-2.0", "US-Government-work"}


def test_catalog_size_and_version(shipped: Catalog) -> None:
    assert len(shipped.apps) >= 2500
    assert len(shipped.rules) >= 15000
    assert shipped.version == json.loads((DATA / "manifest.json").read_text())["catalog_version"]


def test_every_row_has_source_and_licence() -> None:
    with (DATA / "apps.csv").open() as fh:
        apps = list(csv.DictReader(fh))
    for row in apps:
        assert row["source"], row
        assert all(s.startswith(SOURCES) for s in row["source"].split(";")), row
        assert set(row["license"].split(";")) <= LICENCES, row
    for row in _rules():
        assert row["source"].startswith(SOURCES), row
        assert row["license"] in LICENCES, row
    assert "MIT License" in (DATA / "LICENSE-v2fly.txt").read_text()
    for name in ("twofactorauth", "sso-wall-of-shame", "apple-password-manager-resources"):
        assert (DATA / f"LICENSE-{name}.txt").read_text().strip(), name
    notice = (DATA / "NOTICE.md").read_text()
    assert "17 U.S.C. 105" in notice
    assert "2factorauth and Contributors" in notice


def test_risk_only_from_attributes(shipped: Catalog) -> None:
    assert all(a.tags == () for a in shipped.apps.values())
    for app in shipped.apps.values():
        assert (app.risk is None) == (not app.attributes), app
        assert not app.risk_set_by
    assert sum(a.risk is None for a in shipped.apps.values()) > 100  # "not assessed" stays


def test_every_app_has_rules_and_a_defender_category(shipped: Catalog) -> None:
    with_rules = {r.app_id for r in shipped.rules}
    assert set(shipped.apps) == with_rules
    assert all(a.category in CATEGORIES for a in shipped.apps.values())


def test_shipped_catalog_validates_clean(shipped: Catalog) -> None:
    assert validate(shipped) == []
    assert all(pattern_is_valid(r.kind, r.pattern) for r in shipped.rules)


def test_overlap_policy_gives_each_pattern_one_app() -> None:
    rules = _rules()
    keys = [(r["kind"], r["pattern"]) for r in rules]
    assert len(keys) == len(set(keys))
    owner = {r["pattern"]: r["app_id"] for r in rules if r["kind"] == "domain"}
    assert owner["youtube.com"] == "youtube"  # written in youtube, only included by google
    assert owner["github.com"] == "github"  # microsoft includes github
    assert owner["gmail.com"] == "gmail"  # selected beats whole-file


def test_toml_overlay_wins_and_adds_custom_app(tmp_path: Path) -> None:
    f = tmp_path / "mine.toml"
    f.write_text(
        '[[app]]\nid = "dropbox"\ntags = ["unsanctioned"]\nrisk = 2\n\n'
        '[[app]]\nid = "acme"\nname = "Acme CRM"\ncategory = "CRM"\n'
        'domains = ["acme-crm.example"]\ncidrs = ["203.0.113.0/24"]\n'
    )
    cat = load_catalog([f])
    assert cat.apps["dropbox"].tags == ("unsanctioned",)
    assert cat.apps["dropbox"].risk == 2
    assert cat.apps["acme"].tags == ("custom",)
    rule = next(r for r in cat.rules if r.app_id == "acme" and r.kind == "domain")
    assert rule.origin == f"{f}:10"


def test_csv_overlay(tmp_path: Path) -> None:
    f = tmp_path / "mine.csv"
    f.write_text(
        "app_id,app_name,kind,pattern,tags,risk\nslack,,,,sanctioned,9\nintra,Intranet,host,wiki.corp.example,,\n"
    )
    cat = load_catalog([f])
    assert cat.apps["slack"].risk == 9
    assert cat.apps["slack"].tags == ("sanctioned",)
    assert any(r.pattern == "wiki.corp.example" and r.origin == f"{f}:3" for r in cat.rules)


@pytest.mark.parametrize("risk", ["11", "-1", "high", "2.5"])
def test_bad_risk_names_file_and_line(tmp_path: Path, risk: str) -> None:
    f = tmp_path / "bad.csv"
    f.write_text(f"app_id,risk\nslack,5\nzoom,{risk}\n")
    with pytest.raises(ConfigError, match=r"bad\.csv:3: risk"):
        load_catalog([f])


def test_validate_reports_lines(tmp_path: Path) -> None:
    f = tmp_path / "u.toml"
    f.write_text(
        '[[app]]\nid = "x"\nname = "X"\n'
        'domains = [\n  "ok.example",\n  "bad..example",\n  "dropbox.com",\n  "ok.example",\n]\n'
        'cidrs = ["10.0.0.0/33"]\n'
    )
    problems = {(p.where, p.severity) for p in validate(load_catalog([f]))}
    assert (f"{f}:6", "error") in problems  # malformed
    assert (f"{f}:7", "warning") in problems  # overlaps dropbox's rule
    assert (f"{f}:10", "error") in problems  # bad CIDR
    texts = [str(p) for p in validate(load_catalog([f]))]
    assert any("duplicate" in t for t in texts)


def test_defender_import(tmp_path: Path, shipped: Catalog) -> None:
    f = tmp_path / "export.csv"
    f.write_text(
        "\ufeffApp name,Category,Risk Score,Tags,Web domains\n"
        "DROPBOX,Cloud storage,7,Sanctioned,\n"
        "Our LOB App,CRM,4,Custom app;approved by legal,lob.corp.example\n"
        "Slack,Collaboration,,Monitored,\n"
    )
    entries = import_defender_csv(f, shipped)
    by_id = {e.app_id: e for e in entries}
    assert by_id["dropbox"].risk == 7
    assert by_id["dropbox"].tags == ("sanctioned",)
    assert by_id["our-lob-app"].tags == ("custom", "approved by legal")
    assert by_id["our-lob-app"].rules == [("domain", "lob.corp.example", f"{f}:3")]
    assert by_id["slack"].risk is None
    out = tmp_path / "overlay.toml"
    write_overlay_toml(entries, out)
    cat = load_catalog([out])
    assert cat.apps["dropbox"].risk == 7
    assert cat.apps["our-lob-app"].category == "CRM"


def test_defender_import_needs_name_column(tmp_path: Path) -> None:
    f = tmp_path / "x.csv"
    f.write_text("Foo,Bar\n1,2\n")
    with pytest.raises(ConfigError, match="no app-name column"):
        import_defender_csv(f)
