from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from shadowlens.enrich.commands import app, users_app
from shadowlens.enrich.pseudonymize import Pseudonymizer

runner = CliRunner()


def test_lookup_known() -> None:
    r = runner.invoke(app, ["lookup", "files.slack.com"])
    assert r.exit_code == 0, r.output
    assert "Slack" in r.output
    assert "Collaboration" in r.output
    assert "slack.com" in r.output
    assert "v2fly:slack" in r.output


def test_lookup_unknown() -> None:
    r = runner.invoke(app, ["lookup", "intranet.corp.example"])
    assert r.exit_code == 1
    assert "no catalog app" in r.output


def test_lookup_with_user_catalog(tmp_path: Path) -> None:
    f = tmp_path / "c.toml"
    f.write_text('[[app]]\nname = "Slack"\ntags = ["sanctioned"]\nrisk = 9\n')
    r = runner.invoke(app, ["lookup", "files.slack.com", "--catalog", str(f)])
    assert "sanctioned" in r.output
    assert "9/10" in r.output


def test_import(tmp_path: Path) -> None:
    src = tmp_path / "export.csv"
    src.write_text("App,Risk score,Tags\nDropbox,3,Unsanctioned\nWeird Tool,,\n")
    out = tmp_path / "overlay.toml"
    r = runner.invoke(app, ["import", str(src), "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert "2 apps (1 custom)" in r.output
    text = out.read_text()
    assert 'id = "dropbox"' in text
    assert "risk = 3" in text
    assert '"unsanctioned"' in text


def test_validate(tmp_path: Path) -> None:
    good = runner.invoke(app, ["validate"])
    assert good.exit_code == 0
    assert "0 errors" in good.output
    f = tmp_path / "u.toml"
    f.write_text('[[app]]\nid = "x"\nname = "X"\ndomains = ["ok.example", "bad..example"]\n')
    bad = runner.invoke(app, ["validate", str(f)])
    assert bad.exit_code == 1
    assert f"{f}:4: error: malformed domain pattern 'bad..example'" in bad.output


def test_reveal(tmp_path: Path) -> None:
    key = tmp_path / "k"
    key.write_bytes(b"a-secret-key-of-enough-length\n")
    token = Pseudonymizer.from_key_file(key).token("alice@corp.example")
    r = runner.invoke(users_app, ["reveal", token, "--key-file", str(key)])
    assert r.exit_code == 0
    assert r.output.strip() == "alice@corp.example"
    other = tmp_path / "k2"
    other.write_bytes(b"another-secret-key-of-length")
    r = runner.invoke(users_app, ["reveal", token, "--key-file", str(other)])
    assert r.exit_code == 2


JSON_KEYS = {
    "host",
    "app_id",
    "app_name",
    "vendor",
    "category",
    "tags",
    "risk",
    "reasons",
    "rule",
    "source",
}


def test_lookup_several_hosts_json() -> None:
    r = runner.invoke(app, ["lookup", "--json", "app.box.com", "mail.google.com"])
    assert r.exit_code == 0, r.output
    rows = [json.loads(line) for line in r.output.splitlines()]
    assert [row["app_id"] for row in rows] == ["box", "gmail"]
    assert all(set(row) >= JSON_KEYS for row in rows)
    box = rows[0]
    assert (box["rule_kind"], box["rule"]) == ("host", "app.box.com")
    assert box["source"].startswith("doc:https://support.box.com/")
    assert box["risk"] == 8
    assert box["reasons"][0].startswith("base 5")
    assert {a["name"] for a in box["attributes"]} == {"mfa", "sso", "fedramp"}


def test_lookup_exits_1_when_one_host_has_no_app_but_answers_all() -> None:
    r = runner.invoke(app, ["lookup", "--json", "intranet.corp.example", "asana.com"])
    assert r.exit_code == 1
    rows = [json.loads(line) for line in r.output.splitlines()]
    assert [(row["host"], row["app_id"]) for row in rows] == [
        ("intranet.corp.example", None),
        ("asana.com", "asana"),
    ]
    assert rows[0]["reasons"] == []
    assert rows[0]["risk"] is None


def test_lookup_file(tmp_path: Path) -> None:
    f = tmp_path / "hosts.txt"
    f.write_text("# hosts from the proxy\nwetransfer.com\n\n  miro.com  # whiteboard\n")
    r = runner.invoke(app, ["lookup", "--json", "--file", str(f), "docusign.net"])
    assert r.exit_code == 0, r.output
    ids = [json.loads(line)["app_id"] for line in r.output.splitlines()]
    assert ids == ["docusign", "wetransfer", "miro"]


def test_lookup_text_shows_attributes_and_reasons() -> None:
    r = runner.invoke(app, ["lookup", "box.com"])
    assert r.exit_code == 0, r.output
    assert "8/10" in r.output
    assert "sso_extra_cost" in r.output
    assert "twofactorauth:entries/b/box.com.json" in r.output
    unassessed = runner.invoke(app, ["lookup", "claude.ai"])
    assert "not assessed" in unassessed.output


def test_lookup_does_not_read_hosts_as_markup() -> None:
    r = runner.invoke(app, ["lookup", "[bold]evil[/bold].example"])
    assert r.exit_code == 1
    assert "[bold]evil[/bold].example" in r.output


def test_lookup_failures_exit_codes(tmp_path: Path) -> None:
    none = runner.invoke(app, ["lookup"])
    assert none.exit_code == 2
    missing = runner.invoke(app, ["lookup", "--file", str(tmp_path / "nope.txt")])
    assert missing.exit_code == 3
    assert "nope.txt" in missing.output
    w = tmp_path / "w.toml"
    w.write_text("[weights]\nmagic = 1\n")
    bad = runner.invoke(app, ["lookup", "box.com", "--risk-weights", str(w)])
    assert bad.exit_code == 2
    assert "w.toml" in bad.output


def test_lookup_risk_weights_option(tmp_path: Path) -> None:
    w = tmp_path / "w.toml"
    w.write_text("base = 1\n")
    r = runner.invoke(app, ["lookup", "--json", "box.com", "--risk-weights", str(w)])
    assert json.loads(r.output)["risk"] == 1
