"""``catalog import-ranges``: cloud providers' published IP ranges -> CIDR rules of an overlay.

Each provider publishes its ranges as JSON; the user downloads the file and shadowlens reads it
offline (no network here). Every range becomes a ``cidr`` rule of one app; enrichment then
matches the destination IP of records whose host matched nothing, longest prefix first.

=============  ==========================================================  =====================
provider       file (documented shape)                                     apps
=============  ==========================================================  =====================
``aws``        ``ip-ranges.json``: ``prefixes[].ip_prefix`` /              ``amazon-s3``,
               ``ipv6_prefixes[].ipv6_prefix`` with ``service``            ``amazon-cloudfront``,
                                                                           ``aws-ec2``, else ``aws``
``azure``      Service Tags ``ServiceTags_Public_*.json``: ``values[]``    ``azure`` (AzureCloud),
               with ``name`` and ``properties.addressPrefixes``; only      ``azure-<tag>``
               the global (region-less) tags
``gcp``        ``cloud.json`` (``prefixes[].ipv4Prefix``/``ipv6Prefix``,   ``gcp``; ``google``
               ``service``, ``scope``) or ``goog.json`` (no service)       for goog.json
``m365``       the Microsoft 365 endpoints web service (``endpoints/       ``outlook-web``,
               worldwide``): a list of endpoint sets with ``serviceArea``  ``sharepoint``,
               and ``ips``                                                 ``microsoft-teams``,
                                                                           ``microsoft-office``
``cloudflare`` ``/client/v4/ips``: ``result.ipv4_cidrs``/``ipv6_cidrs``    ``cloudflare``
``oracle``     ``public_ip_ranges.json``: ``regions[].cidrs[]`` with       ``oracle``,
               ``cidr`` and ``tags``                                       ``oracle-object-storage``
``github``     ``/meta``: lists per service; ``web``, ``api``, ``git``,    ``github``,
               ``packages``, ``pages``, ``copilot`` (the others are        ``github-pages``,
               GitHub's own outbound addresses, not destinations)          ``github-copilot``
``csv``        ``cidr,app_id[,app_name,vendor,category]`` with a header    as written
=============  ==========================================================  =====================

When one range is listed under a generic name and a specific one (AWS ``AMAZON`` and ``S3``,
Azure ``AzureCloud`` and ``Storage``), the specific app keeps it.

Examples
--------
>>> import json, pathlib, tempfile
>>> f = pathlib.Path(tempfile.mkdtemp()) / "ips.json"
>>> _ = f.write_text(json.dumps({"result": {"ipv4_cidrs": ["173.245.48.0/20"], "ipv6_cidrs": []}}))
>>> [(e.app_id, e.rules[0][1]) for e in import_ranges(f, "cloudflare")]
[('cloudflare', '173.245.48.0/20')]
"""

from __future__ import annotations

import csv
import ipaddress
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from shadowlens.enrich.catalog import AppOverlay, slugify
from shadowlens.errors import InputError

#: (app_id, name, vendor, category) of the apps providers' ranges map to.
KNOWN_APPS: dict[str, tuple[str, str, str]] = {
    "aws": ("Amazon Web Services", "Amazon", "Cloud computing platform"),
    "amazon-s3": ("Amazon S3", "Amazon", "Cloud storage"),
    "amazon-cloudfront": ("Amazon CloudFront", "Amazon", "Hosting services"),
    "aws-ec2": ("AWS EC2 (customer-hosted)", "Amazon", "Hosting services"),
    "azure": ("Microsoft Azure", "Microsoft", "Cloud computing platform"),
    "gcp": ("Google Cloud", "Google", "Cloud computing platform"),
    "google": ("Google", "Google", "Cloud computing platform"),
    "outlook-web": ("Outlook on the web", "Microsoft", "Webmail"),
    "sharepoint": ("Microsoft SharePoint Online", "Microsoft", "Collaboration"),
    "microsoft-teams": ("Microsoft Teams", "Microsoft", "Online meetings"),
    "microsoft-office": ("Microsoft 365 (Office)", "Microsoft", "Productivity"),
    "cloudflare": ("Cloudflare", "Cloudflare", "Hosting services"),
    "oracle": ("Oracle Cloud", "Oracle", "Cloud computing platform"),
    "oracle-object-storage": ("Oracle Cloud Object Storage", "Oracle", "Cloud storage"),
    "github": ("GitHub", "Microsoft", "Code hosting"),
    "github-pages": ("GitHub Pages", "Microsoft", "Hosting services"),
    "github-copilot": ("GitHub Copilot", "Microsoft", "Generative AI"),
}

#: A range's claim: (app_id, priority); the higher priority keeps a range listed twice.
Claim = tuple[str, int]


def import_ranges(path: str | Path, provider: str) -> list[AppOverlay]:
    """Read ``path`` as ``provider``'s published ranges; one overlay entry per app.

    Raises
    ------
    InputError
        The file cannot be read, is not JSON (or CSV), lacks the provider's documented keys,
        or holds something that is not a CIDR; the message names the file and the entry.

    Examples
    --------
    >>> sorted(PROVIDERS)
    ['aws', 'azure', 'cloudflare', 'csv', 'gcp', 'github', 'm365', 'oracle']
    """
    p = Path(path)
    if provider not in PROVIDERS:
        msg = f"unknown provider {provider!r} (expected one of {', '.join(sorted(PROVIDERS))})"
        raise InputError(msg)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        msg = f"{p}: cannot read ranges file: {getattr(exc, 'strerror', None) or exc}"
        raise InputError(msg) from exc
    if provider == "csv":
        return _from_csv(p, text)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        msg = f"{p}:{exc.lineno}: not JSON ({exc.msg}); expected {provider}'s published ranges"
        raise InputError(msg) from exc
    best: dict[str, Claim] = {}
    try:
        for where, cidr, claim in PROVIDERS[provider](data):
            net = _cidr(p, where, cidr)
            if net not in best or claim[1] > best[net][1]:
                best[net] = claim
    except (KeyError, TypeError, AttributeError) as exc:
        msg = f"{p}: not {provider}'s documented shape (missing or wrong {exc})"
        raise InputError(msg) from exc
    by_app: dict[str, list[str]] = {}
    for net, (app_id, _) in best.items():
        by_app.setdefault(app_id, []).append(net)
    return [_entry(app_id, nets, p) for app_id, nets in sorted(by_app.items())]


def _entry(app_id: str, nets: list[str], path: Path) -> AppOverlay:
    tag = app_id.removeprefix("azure-").replace("-", " ")
    fallback = (f"Azure {tag}", "Microsoft", "Cloud computing platform")
    name, vendor, category = KNOWN_APPS.get(app_id, fallback)
    ordered = sorted(nets, key=_net_key)
    return AppOverlay(
        app_id=app_id,
        name=name,
        vendor=vendor,
        category=category,
        rules=[("cidr", n, str(path)) for n in ordered],
        origin=str(path),
    )


def _net_key(text: str) -> tuple[int, int, int]:
    net = ipaddress.ip_network(text)
    return net.version, int(net.network_address), net.prefixlen


def _cidr(path: Path, where: str, value: object) -> str:
    try:
        return str(ipaddress.ip_network(str(value).strip(), strict=False))
    except ValueError as exc:
        msg = f"{path}: {where}: {value!r} is not a CIDR"
        raise InputError(msg) from exc


# --------------------------------------------------------------------------- providers


def _aws(data: Any) -> Iterator[tuple[str, object, Claim]]:
    specific = {"S3": "amazon-s3", "CLOUDFRONT": "amazon-cloudfront", "EC2": "aws-ec2"}
    for key, field in (("prefixes", "ip_prefix"), ("ipv6_prefixes", "ipv6_prefix")):
        for i, item in enumerate(data[key]):
            service = str(item["service"])
            app_id = specific.get(service, "aws")
            yield f"{key}[{i}].{field}", item[field], (app_id, 0 if service == "AMAZON" else 1)


def _azure(data: Any) -> Iterator[tuple[str, object, Claim]]:
    for i, item in enumerate(data["values"]):
        props = item["properties"]
        if props.get("region"):
            continue  # regional tags repeat the global ones
        name = str(item["name"])
        app_id = "azure" if name == "AzureCloud" else f"azure-{slugify(name)}"
        for j, prefix in enumerate(props["addressPrefixes"]):
            yield (
                f"values[{i}].properties.addressPrefixes[{j}]",
                prefix,
                (app_id, name != "AzureCloud"),
            )


def _gcp(data: Any) -> Iterator[tuple[str, object, Claim]]:
    for i, item in enumerate(data["prefixes"]):
        app_id = "gcp" if "service" in item else "google"
        key = "ipv4Prefix" if "ipv4Prefix" in item else "ipv6Prefix"
        yield f"prefixes[{i}].{key}", item[key], (app_id, 0)


def _m365(data: Any) -> Iterator[tuple[str, object, Claim]]:
    areas = {
        "Exchange": ("outlook-web", 1),
        "SharePoint": ("sharepoint", 1),
        "Skype": ("microsoft-teams", 1),
        "Common": ("microsoft-office", 0),
    }
    for i, item in enumerate(data):
        claim = areas.get(str(item["serviceArea"]), ("microsoft-office", 0))
        for j, ip in enumerate(item.get("ips", [])):
            yield f"[{i}].ips[{j}] (id {item.get('id')})", ip, claim


def _cloudflare(data: Any) -> Iterator[tuple[str, object, Claim]]:
    result = data["result"]
    for key in ("ipv4_cidrs", "ipv6_cidrs"):
        for i, cidr in enumerate(result[key]):
            yield f"result.{key}[{i}]", cidr, ("cloudflare", 0)


def _oracle(data: Any) -> Iterator[tuple[str, object, Claim]]:
    for i, region in enumerate(data["regions"]):
        for j, item in enumerate(region["cidrs"]):
            tags = set(item.get("tags", []))
            claim = ("oracle-object-storage", 1) if "OBJECT_STORAGE" in tags else ("oracle", 0)
            yield f"regions[{i}].cidrs[{j}].cidr", item["cidr"], claim


def _github(data: Any) -> Iterator[tuple[str, object, Claim]]:
    services = {
        "web": ("github", 0),
        "api": ("github", 0),
        "git": ("github", 0),
        "packages": ("github", 0),
        "pages": ("github-pages", 1),
        "copilot": ("github-copilot", 1),
    }
    if not isinstance(data, dict) or not any(k in data for k in services):
        msg = "'web'/'api'/'git'"
        raise KeyError(msg)
    for key, claim in services.items():
        for i, cidr in enumerate(data.get(key, [])):
            yield f"{key}[{i}]", cidr, claim


PROVIDERS: dict[str, Callable[[Any], Iterator[tuple[str, object, Claim]]]] = {
    "aws": _aws,
    "azure": _azure,
    "gcp": _gcp,
    "m365": _m365,
    "cloudflare": _cloudflare,
    "oracle": _oracle,
    "github": _github,
    "csv": lambda data: iter(()),  # read by _from_csv
}


def _from_csv(path: Path, text: str) -> list[AppOverlay]:
    reader = csv.DictReader(text.splitlines())
    headers = {h.strip().lower(): h for h in reader.fieldnames or []}
    if "cidr" not in headers or not ({"app_id", "app_name"} & set(headers)):
        msg = f"{path}:1: a ranges CSV needs a cidr column and an app_id or app_name column"
        raise InputError(msg)
    entries: dict[str, AppOverlay] = {}
    for lineno, raw in enumerate(reader, 2):
        row = {k: (raw.get(h) or "").strip() for k, h in headers.items()}
        app_id = row.get("app_id") or slugify(row.get("app_name", ""))
        if not row.get("app_id") and not row.get("app_name"):
            msg = f"{path}:{lineno}: row has neither app_id nor app_name"
            raise InputError(msg)
        where = f"{path}:{lineno}"
        net = _cidr(path, f"line {lineno}", row["cidr"])
        entry = entries.setdefault(app_id, AppOverlay(app_id=app_id, origin=where))
        entry.name = row.get("app_name") or entry.name
        entry.vendor = row.get("vendor") or entry.vendor
        entry.category = row.get("category") or entry.category
        entry.rules.append(("cidr", net, where))
    return list(entries.values())
