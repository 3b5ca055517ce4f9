"""Readers for the vendored catalog sources other than v2fly (used by build_catalog.py).

Each reader returns plain records with the file and entry they came from, so every rule and
attribute of the built catalog can name its source.

* ``third_party/twofactorauth/entries.jsonl`` (MIT): services, their domains, categories and
  the 2FA methods they support (``tfa``); an entry with ``contact`` and no ``tfa`` has none.
* ``third_party/sso-wall-of-shame/vendors.jsonl`` (Apache-2.0): vendors that charge extra for
  SSO; only the vendor name and homepage are used (the prices are dated, never shown).
* ``third_party/fedramp-marketplace/products.jsonl``: the fields shadowlens uses of the GSA
  FedRAMP Marketplace ``data.json`` products, extracted by :func:`extract_fedramp`.
* ``third_party/apple-password-manager-resources/quirks/shared-credentials*.json`` (MIT):
  groups of domains that share one sign-in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from publicsuffixlist import PublicSuffixList

_PSL = PublicSuffixList()

#: twofactorauth category -> Defender for Cloud Apps category (first mapped one wins).
TFA_CATEGORIES: dict[str, str] = {
    "backup": "Cloud storage", "banking": "Accounting and finance", "betting": "Consumer",
    "cloud": "Cloud computing platform", "communication": "Communications",
    "creativity": "Product design", "crowdfunding": "Accounting and finance",
    "cryptocurrencies": "Accounting and finance", "developer": "Development tools",
    "domains": "IT services", "education": "Education", "email": "Webmail",
    "entertainment": "News and entertainment", "finance": "Accounting and finance",
    "food": "Consumer", "gaming": "News and entertainment", "government": "Unclassified",
    "health": "Health", "hosting": "Hosting services", "identity": "Security",
    "insurance": "Accounting and finance", "investing": "Accounting and finance",
    "iot": "Internet of things", "legal": "Business management", "marketing": "Marketing",
    "other": "Unclassified", "payments": "Accounting and finance",
    "postal": "Supply chain and logistics", "remote": "IT services", "retail": "Ecommerce",
    "security": "Security", "social": "Social network", "task": "Project management",
    "tickets": "Consumer", "transport": "Transportation and travel",
    "travel": "Transportation and travel", "universities": "Education",
    "utilities": "Consumer", "vpn": "Security",
}  # fmt: skip


@dataclass(frozen=True)
class TfaEntry:
    """One twofactorauth service."""

    name: str
    domains: tuple[str, ...]  # primary first
    methods: tuple[str, ...]  # sorted; empty when the service has no 2FA
    no_tfa: bool  # listed with a "contact" block: the service offers no 2FA
    category: str
    path: str


@dataclass(frozen=True)
class SsoVendor:
    """One sso.tax vendor: SSO is sold only in a more expensive tier."""

    name: str
    domain: str  # registrable domain of the vendor URL
    host: str
    path: str


@dataclass(frozen=True)
class FedrampProduct:
    """One FedRAMP Marketplace offering."""

    id: str
    vendor: str
    product: str
    host: str  # host of the offering's website, without www.
    status: str
    level: str


def host_of(url: str) -> str:
    """The lower-case host of a URL or bare host, without ``www.``."""
    text = url.strip()
    if "://" not in text:
        text = "https://" + text
    host = (urlsplit(text).hostname or "").lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def registrable(host: str) -> str:
    """The registrable domain of ``host`` (``host`` itself when the PSL has none)."""
    return _PSL.privatesuffix(host) or host


def read_twofactorauth(path: Path) -> list[TfaEntry]:
    """The entries of ``entries.jsonl``, in file (path) order."""
    out: list[TfaEntry] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        raw = json.loads(line)
        src = raw.pop("_path")
        ((name, body),) = raw.items()
        domains = [body["domain"], *body.get("additional-domains", [])]
        clean = tuple(dict.fromkeys(host_of(d) for d in domains if host_of(d)))
        cats = [TFA_CATEGORIES[c] for c in body.get("categories", []) if c in TFA_CATEGORIES]
        named = [c for c in cats if c != "Unclassified"]
        out.append(
            TfaEntry(
                name=name.strip(),
                domains=clean,
                methods=tuple(sorted(body.get("tfa", []))),
                no_tfa="contact" in body and not body.get("tfa"),
                category=(named or cats or ["Unclassified"])[0],
                path=src,
            )
        )
    return out


def read_sso(path: Path) -> list[SsoVendor]:
    """The vendors of ``vendors.jsonl`` that have a homepage."""
    out: list[SsoVendor] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        raw = json.loads(line)
        host = host_of(str(raw.get("vendor_url") or ""))
        if host:
            out.append(SsoVendor(str(raw["name"]).strip(), registrable(host), host, raw["_path"]))
    return out


def read_fedramp(path: Path) -> list[FedrampProduct]:
    """The products extracted by :func:`extract_fedramp`."""
    return [
        FedrampProduct(**json.loads(line))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def extract_fedramp(data_json: Path, out: Path) -> int:
    """Write the product fields the catalog uses, one JSON object per line, sorted by id."""
    data = json.loads(data_json.read_text(encoding="utf-8"))
    rows = []
    for p in data["data"]["Products"]:
        host = host_of(str(p.get("website") or ""))
        if not host or "." not in host:
            continue
        rows.append(
            {
                "id": p["id"],
                "vendor": str(p.get("csp") or p.get("name") or "").strip(),
                "product": str(p.get("cso") or p.get("service_offering") or "").strip(),
                "host": host,
                "status": str(p.get("status") or "").strip(),
                "level": str(p.get("impact_level") or "").strip(),
            }
        )
    rows.sort(key=lambda r: r["id"])
    out.write_text(
        "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows),
        encoding="utf-8",
    )
    return len(rows)


def read_shared_credentials(folder: Path) -> list[tuple[tuple[str, ...], str]]:
    """Groups of domains sharing one sign-in, with ``file#index`` as their source."""
    groups: list[tuple[tuple[str, ...], str]] = []
    for name in ("shared-credentials.json", "shared-credentials-historical.json"):
        for i, item in enumerate(json.loads((folder / name).read_text(encoding="utf-8"))):
            members = item.get("shared") or [*item.get("to", []), *item.get("from", [])]
            clean = tuple(dict.fromkeys(host_of(m) for m in members if host_of(m)))
            if len(clean) > 1:
                groups.append((clean, f"{name}#{i}"))
    return groups
