from __future__ import annotations

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
