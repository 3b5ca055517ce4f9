from __future__ import annotations

from pathlib import Path

from cli_harness import invoke_cli
from shadowlens.enrich.pseudonymize import Pseudonymizer


def test_lookup_known() -> None:
    r = invoke_cli("catalog", "lookup", "files.slack.com")
    assert r.exit_code == 0, r.output
    assert "Slack" in r.output
    assert "Collaboration" in r.output
    assert "slack.com" in r.output
    assert "v2fly:slack" in r.output


def test_lookup_unknown() -> None:
    r = invoke_cli("catalog", "lookup", "intranet.corp.example")
    assert r.exit_code == 1
    assert "no catalog app" in r.output


def test_lookup_with_user_catalog(tmp_path: Path) -> None:
    f = tmp_path / "c.toml"
    f.write_text('[[app]]\nname = "Slack"\ntags = ["sanctioned"]\nrisk = 9\n')
    r = invoke_cli("catalog", "lookup", "files.slack.com", "--catalog", str(f))
    assert "sanctioned" in r.output
    assert "9/10" in r.output


def test_import(tmp_path: Path) -> None:
    src = tmp_path / "export.csv"
    src.write_text("App,Risk score,Tags\nDropbox,3,Unsanctioned\nWeird Tool,,\n")
    out = tmp_path / "overlay.toml"
    r = invoke_cli("catalog", "import", str(src), "-o", str(out))
    assert r.exit_code == 0, r.output
    assert "2 apps (1 custom)" in r.output
    text = out.read_text()
    assert 'id = "dropbox"' in text
    assert "risk = 3" in text
    assert '"unsanctioned"' in text


def test_validate(tmp_path: Path) -> None:
    good = invoke_cli("catalog", "validate")
    assert good.exit_code == 0
    assert "0 errors" in good.output
    f = tmp_path / "u.toml"
    f.write_text('[[app]]\nid = "x"\nname = "X"\ndomains = ["ok.example", "bad..example"]\n')
    bad = invoke_cli("catalog", "validate", str(f))
    assert bad.exit_code == 1
    assert f"{f}:4: error: malformed domain pattern 'bad..example'" in bad.output


def test_reveal(tmp_path: Path) -> None:
    key = tmp_path / "k"
    key.write_bytes(b"a-secret-key-of-enough-length\n")
    token = Pseudonymizer.from_key_file(key).token("alice@corp.example")
    r = invoke_cli("users", "reveal", token, "--key-file", str(key))
    assert r.exit_code == 0
    assert r.output.strip() == "alice@corp.example"
    other = tmp_path / "k2"
    other.write_bytes(b"another-secret-key-of-length")
    r = invoke_cli("users", "reveal", token, "--key-file", str(other))
    assert r.exit_code == 2


def test_keygen_writes_a_private_key_that_run_accepts(tmp_path: Path) -> None:
    key = tmp_path / "k"
    done = invoke_cli("users", "keygen", key)
    assert done.code == 0, done.err
    assert key.stat().st_mode & 0o777 == 0o600
    assert len(key.read_bytes().strip()) >= 32
    token = Pseudonymizer.from_key_file(key).token("alice")
    assert invoke_cli("users", "reveal", token, "--key-file", key).out.strip() == "alice"


def test_keygen_never_overwrites_a_key(tmp_path: Path) -> None:
    key = tmp_path / "k"
    key.write_bytes(b"an-old-key-whose-tokens-we-need\n")
    done = invoke_cli("users", "keygen", key)
    assert done.code == 5
    assert f"{key}: already exists" in done.err
    assert key.read_bytes() == b"an-old-key-whose-tokens-we-need\n"
