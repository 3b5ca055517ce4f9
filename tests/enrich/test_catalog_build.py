"""The shipped catalog is exactly what scripts/build_catalog.py builds from third_party/."""

from __future__ import annotations

import importlib.util
import sys
from importlib import resources
from pathlib import Path

import pytest

from shadowlens.enrich.catalog import Catalog

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(str(resources.files("shadowlens") / "data" / "catalog"))


def _build_module() -> object:
    spec = importlib.util.spec_from_file_location(
        "build_catalog", ROOT / "scripts" / "build_catalog.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_catalog"] = module
    spec.loader.exec_module(module)
    return module


def test_shipped_catalog_equals_a_rebuild(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _build_module().build(tmp_path)  # type: ignore[attr-defined]
    built = sorted(p.name for p in tmp_path.iterdir())
    shipped = sorted(p.name for p in DATA.iterdir() if p.name != "risk-weights.toml")
    assert built == shipped
    for name in built:
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), name


@pytest.mark.parametrize(
    ("host", "app_id", "name"),
    [
        ("wetransfer.com", "wetransfer", "WeTransfer"),
        ("box.com", "box", "Box"),
        ("app.box.com", "box", "Box"),
        ("asana.com", "asana", "Asana"),
        ("grammarly.com", "grammarly", "Grammarly"),
        ("smartsheet.com", "smartsheet", "SmartSheet"),
        ("airtable.com", "airtable", "Airtable"),
        ("miro.com", "miro", "Miro"),
        ("docusign.net", "docusign", "Docusign"),
        ("drive.google.com", "google-drive", "Google Drive"),
        ("mail.google.com", "gmail", "Gmail"),
        ("docs.google.com", "google-docs", "Google Docs"),
        ("teams.microsoft.com", "microsoft-teams", "Microsoft Teams"),
        ("contoso.sharepoint.com", "sharepoint", "Microsoft SharePoint Online"),
        ("contoso-my.sharepoint.com", "sharepoint", "Microsoft SharePoint Online"),
        ("onedrive.live.com", "onedrive", "Microsoft OneDrive"),
        ("outlook.office.com", "outlook-web", "Outlook on the web"),
        ("login.microsoftonline.com", "entra-id", "Microsoft Entra ID"),
        ("www.dropbox.com", "dropbox", "Dropbox"),
        ("chatgpt.com", "openai", "ChatGPT"),
        ("api.openai.com", "openai-api", "OpenAI API"),
        ("claude.ai", "anthropic", "Claude"),
        ("gemini.google.com", "gemini", "Google Gemini"),
        ("copilot.microsoft.com", "microsoft-copilot", "Microsoft Copilot"),
        ("chat.deepseek.com", "deepseek", "DeepSeek"),
        ("chat.mistral.ai", "mistral", "Mistral Le Chat"),
        ("www.perplexity.ai", "perplexity", "Perplexity"),
    ],
)
def test_issue_hosts_resolve_to_their_app(
    shipped: Catalog, host: str, app_id: str, name: str
) -> None:
    from shadowlens.enrich.match import explain

    found = explain(host, shipped)
    assert (found.app_id, shipped.apps[app_id].name) == (app_id, name)
    assert found.rule_source


def test_suite_hosts_name_their_documentation(shipped: Catalog) -> None:
    by = {(r.kind, r.pattern): r for r in shipped.rules}
    assert by["host", "mail.google.com"].source == "doc:https://support.google.com/a/answer/9497877"
    assert by["host", "app.box.com"].source.startswith("doc:https://support.box.com/")
    assert by["host", "teams.microsoft.com"].source.startswith("doc:https://learn.microsoft.com/")


def test_generative_ai_apps_are_their_own(shipped: Catalog) -> None:
    for app_id in (
        "openai",
        "anthropic",
        "gemini",
        "microsoft-copilot",
        "deepseek",
        "mistral",
        "perplexity",
    ):
        assert shipped.apps[app_id].category == "Generative AI", app_id


def test_shared_credentials_join_domains_of_one_service(shipped: Catalog) -> None:
    from shadowlens.enrich.match import explain

    # openai.com and chatgpt.com share one sign-in (Apple's list): one app
    assert (
        explain("openai.com", shipped).app_id == explain("chatgpt.com", shipped).app_id == "openai"
    )
    # an Apple-only domain joins the app of its group
    rules = {(r.kind, r.pattern): r for r in shipped.rules}
    apple = [r for r in rules.values() if r.source.startswith("apple:")]
    assert apple, "some domains come from Apple's shared-credential groups"


def test_attributes_name_their_sources(shipped: Catalog) -> None:
    box = {a.name: a for a in shipped.apps["box"].attributes}
    assert box["mfa"].value == "sms;totp"
    assert box["mfa"].source == "twofactorauth:entries/b/box.com.json"
    assert box["sso"].value == "extra-cost"
    assert box["sso"].source == "sso-wall-of-shame:_vendors/box.yaml"
    assert box["fedramp"].value == "Authorized, High"
    assert box["fedramp"].source.startswith("fedramp:F1212191840A")
