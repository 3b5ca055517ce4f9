"""``shadowlens catalog lookup``: several hosts, --file, --json, reasons and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from cli_harness import invoke_cli

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
    r = invoke_cli("catalog", *["lookup", "--json", "app.box.com", "mail.google.com"])
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
    r = invoke_cli("catalog", *["lookup", "--json", "intranet.corp.example", "asana.com"])
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
    r = invoke_cli("catalog", *["lookup", "--json", "--file", str(f), "docusign.net"])
    assert r.exit_code == 0, r.output
    ids = [json.loads(line)["app_id"] for line in r.output.splitlines()]
    assert ids == ["docusign", "wetransfer", "miro"]


def test_lookup_text_shows_attributes_and_reasons() -> None:
    r = invoke_cli("catalog", *["lookup", "box.com"])
    assert r.exit_code == 0, r.output
    assert "8/10" in r.output
    assert "sso_extra_cost" in r.output
    assert "twofactorauth:entries/b/box.com.json" in r.output
    unassessed = invoke_cli("catalog", *["lookup", "claude.ai"])
    assert "not assessed" in unassessed.output


def test_lookup_does_not_read_hosts_as_markup() -> None:
    r = invoke_cli("catalog", *["lookup", "[bold]evil[/bold].example"])
    assert r.exit_code == 1
    assert "[bold]evil[/bold].example" in r.output


def test_lookup_failures_exit_codes(tmp_path: Path) -> None:
    none = invoke_cli("catalog", *["lookup"])
    assert none.exit_code == 2
    missing = invoke_cli("catalog", *["lookup", "--file", str(tmp_path / "nope.txt")])
    assert missing.exit_code == 3
    assert "nope.txt" in missing.output
    w = tmp_path / "w.toml"
    w.write_text("[weights]\nmagic = 1\n")
    bad = invoke_cli("catalog", *["lookup", "box.com", "--risk-weights", str(w)])
    assert bad.exit_code == 2
    assert "w.toml" in bad.output


def test_lookup_risk_weights_option(tmp_path: Path) -> None:
    w = tmp_path / "w.toml"
    w.write_text("base = 1\n")
    r = invoke_cli("catalog", *["lookup", "--json", "box.com", "--risk-weights", str(w)])
    assert json.loads(r.output)["risk"] == 1


def test_few_hosts_answer_like_the_matcher(tmp_path: Path) -> None:
    """The dictionary index (few queries) and the vectorized matcher agree, query by query."""
    from shadowlens.enrich.catalog import load_catalog
    from shadowlens.enrich.lookup import RuleIndex, _lookup_vectorized, normalize

    mine = tmp_path / "mine.toml"
    mine.write_text(
        '[[app]]\nid = "w"\nname = "W"\nwildcards = ["*.dropbox.com"]\n\n'
        '[[app]]\nid = "d"\nname = "D"\ndomains = ["x.slack.com", "github.io"]\n'
        'hosts = ["exact.box.com"]\ncidrs = ["3.5.140.0/22", "3.5.140.0/24", "2600:1f18::/33"]\n'
    )
    cat = load_catalog([mine])
    queries = ["", ".", "a..b", "Files.Slack.COM.", "dropbox.com", "www.dropbox.com", "x.slack.com",
               "y.x.slack.com", "exact.box.com", "app.box.com", "someone.github.io", "3.5.140.9",
               "3.5.143.1", "2600:1f18::1", "2600::1", "10.0.0.1", "intranet.corp.example"]  # fmt: skip
    for r in cat.rules[::7]:
        base = r.pattern.removeprefix("*.")
        queries += [base, f"a.{base}"]
    index = RuleIndex(cat)
    few = [index.answer(normalize(q)) for q in queries]
    many = _lookup_vectorized(queries, cat)
    diff = [(a, b) for a, b in zip(few, many, strict=True) if a != b]
    assert diff == []
