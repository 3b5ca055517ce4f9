"""Risk scores from sourced attributes, with reasons and user-replaceable weights."""

from __future__ import annotations

from pathlib import Path

import pytest

from shadowlens.enrich.catalog import Catalog, load_catalog
from shadowlens.enrich.risk import FACTS, Attribute, load_weights, score
from shadowlens.errors import ConfigError


def test_box_score_and_reasons(shipped: Catalog) -> None:
    box = shipped.apps["box"]
    # base 5, +1 authenticator app, -1 SSO extra cost, +3 FedRAMP High
    assert box.risk == 8
    assert box.reasons[0] == "base 5 (risk-weights.toml (shipped))"
    assert box.reasons[1].startswith("+1 mfa_app: authenticator or vendor app")
    assert box.reasons[1].endswith("[twofactorauth:entries/b/box.com.json]")
    assert box.reasons[2] == (
        "-1 sso_extra_cost: SSO only in a more expensive plan [sso-wall-of-shame:_vendors/box.yaml]"
    )
    assert box.reasons[3].startswith(
        "+3 fedramp_authorized_high: FedRAMP Authorized, High [fedramp:"
    )


def test_no_attribute_is_not_assessed(shipped: Catalog) -> None:
    unassessed = [a for a in shipped.apps.values() if not a.attributes]
    assert unassessed
    assert all(a.risk is None and a.reasons == () for a in unassessed)


def test_no_2fa_lowers_the_score(shipped: Catalog) -> None:
    none = [a for a in shipped.apps.values() if any(x.value == "none" for x in a.attributes)]
    assert none
    app = none[0]
    assert any(r.startswith("-2 mfa_none: no 2FA offered") for r in app.reasons), app.reasons


@pytest.mark.parametrize(
    ("value", "fact"),
    [
        ("none", "mfa_none"),
        ("sms;u2f", "mfa_security_key"),
        ("custom-hardware", "mfa_app"),
        ("call;email;sms", "mfa_codes_only"),
    ],
)
def test_mfa_facts(value: str, fact: str) -> None:
    w = load_weights()
    _, reasons = score([Attribute("mfa", value, "s")], w)
    assert reasons[1].split(" ")[1] == f"{fact}:"


@pytest.mark.parametrize(
    ("value", "fact"),
    [
        ("Authorized, High", "fedramp_authorized_high"),
        ("Authorized, 20x Moderate", "fedramp_authorized_moderate"),
        ("Authorized, LI-SaaS", "fedramp_authorized_low"),
        ("Ready, Moderate", "fedramp_in_process"),
        ("Agency In Process, High", "fedramp_in_process"),
    ],
)
def test_fedramp_facts(value: str, fact: str) -> None:
    _, reasons = score([Attribute("fedramp", value, "s")], load_weights())
    assert reasons[1].split(" ")[1] == f"{fact}:"


def test_score_is_clamped_and_rounded(tmp_path: Path) -> None:
    f = tmp_path / "w.toml"
    f.write_text("base = 9.5\n[weights]\nmfa_security_key = 4\n")
    w = load_weights(f)
    assert score([Attribute("mfa", "u2f", "s")], w)[0] == 10
    f.write_text("base = 0.5\n[weights]\nmfa_none = -3\n")
    assert score([Attribute("mfa", "none", "s")], load_weights(f))[0] == 0
    f.write_text("base = 4.5\n")
    assert score([Attribute("mfa", "totp", "s")], load_weights(f))[0] == 5  # half up


def test_user_weights_replace_the_shipped_ones(tmp_path: Path) -> None:
    f = tmp_path / "w.toml"
    f.write_text("base = 2\n[weights]\nfedramp_authorized_high = 8\n")
    box = load_catalog(risk_weights=f).apps["box"]
    assert box.risk == 10
    assert box.reasons[0] == f"base 2 ({f})"
    assert "+0 mfa_app" in box.reasons[1]


def test_weights_from_a_catalog_key_and_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = tmp_path / "w.toml"
    w.write_text("base = 1\n[weights]\nfedramp_authorized_high = 2\n")  # others weigh 0
    cat = tmp_path / "mine.toml"
    cat.write_text('risk_weights = "w.toml"\n\n[[app]]\nid = "slack"\ntags = ["sanctioned"]\n')
    assert load_catalog([cat]).apps["box"].risk == 3
    monkeypatch.setenv("SHADOWLENS_RISK_WEIGHTS", str(w))
    assert load_catalog().apps["box"].risk == 3


def test_user_risk_wins_and_says_so(tmp_path: Path) -> None:
    f = tmp_path / "mine.toml"
    f.write_text('[[app]]\nid = "box"\nrisk = 1\n')
    box = load_catalog([f]).apps["box"]
    assert box.risk == 1
    assert box.reasons == (f"set by {f}:1",)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("base = 5\n[weights]\nmfa_magic = 3\n", "unknown facts \\['mfa_magic'\\]"),
        ("base = 'high'\n", "base must be a number"),
        ("[weights]\nmfa_none = true\n", "mfa_none must be a number"),
        ("base = \n", "invalid TOML"),
        ("bias = 1\n", "expected `base = N`"),
    ],
)
def test_bad_weights_name_the_file(tmp_path: Path, text: str, match: str) -> None:
    f = tmp_path / "w.toml"
    f.write_text(text)
    with pytest.raises(ConfigError, match=match) as info:
        load_weights(f)
    assert str(f) in str(info.value)
    assert info.value.exit_code == 2


def test_shipped_weights_document_every_fact() -> None:
    w = load_weights()
    assert set(w.weights) == set(FACTS)


def test_a_risk_policy_now_selects_sourced_apps(shipped: Catalog) -> None:
    from shadowlens.outputs.blockscript import Policy

    policy = Policy(risk_below=5)
    selected = [a for a in shipped.apps.values() if policy.reason(a)]
    assert len(selected) > 50
    assert all(a.risk is not None and a.risk < 5 for a in selected)


def test_the_last_catalog_file_naming_risk_weights_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shadowlens.enrich.catalog import weights_path

    monkeypatch.delenv("SHADOWLENS_RISK_WEIGHTS", raising=False)
    first, second, plain = tmp_path / "a.toml", tmp_path / "b.toml", tmp_path / "c.toml"
    first.write_text('risk_weights = "w1.toml"\n', encoding="utf-8")
    second.write_text('risk_weights = "w2.toml"\n', encoding="utf-8")
    plain.write_text("", encoding="utf-8")
    assert Path(weights_path([first, second, plain])).name == "w2.toml"
    assert Path(weights_path([second, first])).name == "w1.toml"
    assert weights_path([first], risk_weights="given.toml") == "given.toml"
    assert weights_path([plain]) is None
