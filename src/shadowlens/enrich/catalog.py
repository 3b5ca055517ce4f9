"""The cloud-app catalog: apps, their match rules, tags and risk, and user overlays.

A catalog is the shipped starter catalog (``shadowlens/data/catalog``, built by
``scripts/build_catalog.py`` from v2fly data) with user files laid over it. Later layers win:
an app defined again replaces the fields it sets, and a rule pattern claimed again moves to the
later layer's app.

Rule kinds
----------
``domain``   ``example.com`` matches the domain itself and every subdomain.
``host``     ``files.example.com`` matches exactly that host.
``wildcard`` ``*.example.com`` matches subdomains only, not ``example.com``.
``cidr``     ``192.0.2.0/24`` or ``2001:db8::/32`` matches destination IPs.

User files
----------
TOML, one ``[[app]]`` table per app (``id`` or ``name`` picks an existing app to override)::

    [[app]]
    id = "acme-crm"               # new app; or an existing id such as "dropbox"
    name = "Acme CRM"
    vendor = "Acme"
    category = "CRM"
    domains = ["acme-crm.com"]
    hosts = ["crm.partner.example"]
    wildcards = ["*.acme-cdn.net"]
    cidrs = ["203.0.113.0/24"]
    tags = ["sanctioned"]
    risk = 8                      # 0-10, 10 safest; replaces the computed score

A top-level ``risk_weights = "weights.toml"`` (relative to the catalog file) replaces the
weights of the computed score (:mod:`shadowlens.enrich.risk`).

CSV, one row per rule or per app, header ``app_id,app_name,vendor,category,kind,pattern,tags,
risk`` (every column optional except ``app_id`` or ``app_name``; ``tags`` separated by ``;``).

Examples
--------
>>> cat = load_catalog()
>>> cat.apps["dropbox"].category
'Cloud storage'
"""

from __future__ import annotations

import csv
import gzip
import ipaddress
import itertools
import json
import os
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import idna

from shadowlens.enrich.risk import Attribute, RiskWeights, load_weights, score
from shadowlens.errors import ConfigError

if TYPE_CHECKING:
    from shadowlens.plugins.manager import Plugins

#: Defender for Cloud Apps' category names (plus its newer "Generative AI").
CATEGORIES: tuple[str, ...] = (
    "Accounting and finance", "Advertising", "Business intelligence", "Business management",
    "Cloud computing platform", "Cloud storage", "Code hosting", "Collaboration",
    "Communications", "Consumer", "Content management", "Content sharing", "CRM",
    "Customer support", "Data analytics", "Development tools", "Ecommerce", "Education",
    "Forums", "Generative AI", "Health", "Hosting services", "Human resource management",
    "Internet of things", "IT services", "Marketing", "Media", "News and entertainment",
    "Online meetings", "Operations management", "Personal instant messaging", "Product design",
    "Productivity", "Project management", "Property management", "Sales", "Security",
    "Social network", "Supply chain and logistics", "Time tracking", "Transportation and travel",
    "Unclassified", "Vendor management systems", "Web analytics", "Webmail",
    "Website monitoring",
)  # fmt: skip

#: Tags with a meaning in reports; any other lowercase word is a custom tag.
KNOWN_TAGS: tuple[str, ...] = ("sanctioned", "unsanctioned", "monitored", "custom")

RULE_KINDS: tuple[str, ...] = ("domain", "host", "wildcard", "cidr")

#: Environment variable naming a risk-weights TOML used when no option or catalog key does.
RISK_WEIGHTS_ENV = "SHADOWLENS_RISK_WEIGHTS"

_LABEL = r"(?!-)[a-z0-9_-]{1,63}(?<!-)"
_NAME_RE = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*$")


@dataclass(frozen=True, slots=True)
class Rule:
    """One match rule: ``pattern`` of ``kind`` maps to ``app_id``.

    ``origin`` is ``file:line`` where the rule was read; ``layer`` orders overlays (0 = shipped).
    """

    app_id: str
    kind: str
    pattern: str
    source: str = ""
    license: str = ""
    origin: str = ""
    layer: int = 0


@dataclass(frozen=True, slots=True)
class App:
    """One catalog app.

    ``attributes`` are the sourced facts (MFA, SSO, FedRAMP) the risk score is computed from;
    ``risk`` is that score, or the value a user file set (``risk_set_by`` names it), or None
    ("not assessed": no attribute and no user value); ``reasons`` explain it.
    """

    app_id: str
    name: str
    vendor: str = ""
    category: str = "Unclassified"
    tags: tuple[str, ...] = ()
    risk: int | None = None
    source: str = ""
    license: str = ""
    origin: str = ""
    attributes: tuple[Attribute, ...] = ()
    reasons: tuple[str, ...] = ()
    risk_set_by: str = ""


@dataclass(slots=True)
class Catalog:
    """Apps by id, their rules, and the catalog version.

    Build one with :func:`load_catalog`; :mod:`shadowlens.enrich.match` caches its prepared
    tables on the instance, so treat a catalog as immutable once enrichment has used it.
    """

    apps: dict[str, App]
    rules: list[Rule]
    version: str = ""
    weights: RiskWeights | None = None
    _matcher: Any = field(default=None, init=False, repr=False, compare=False)

    def app_by_name(self, name: str) -> App | None:
        """The app whose name equals ``name`` ignoring case, if any.

        Examples
        --------
        >>> load_catalog().app_by_name("SLACK").app_id
        'slack'
        """
        wanted = name.strip().casefold()
        for app in self.apps.values():
            if app.name.casefold() == wanted:
                return app
        return None


@dataclass(slots=True)
class AppOverlay:
    """What a user file says about one app; None fields leave the catalog value alone."""

    app_id: str | None = None
    name: str | None = None
    vendor: str | None = None
    category: str | None = None
    tags: tuple[str, ...] | None = None
    risk: int | None = None
    rules: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, pattern, origin)
    origin: str = ""


# --------------------------------------------------------------------------- loading


def load_catalog(
    paths: Sequence[str | Path] = (),
    *,
    risk_weights: str | Path | None = None,
    plugins: Plugins | None = None,
) -> Catalog:
    """The shipped starter catalog overlaid by user files (TOML or CSV), later files winning.

    Every app's risk is then scored from its attributes (:func:`rescore`) unless a user file
    set it.

    Parameters
    ----------
    paths
        User catalog files; ``.toml`` or ``.csv``.
    risk_weights
        A weights TOML replacing the shipped one; else the last ``risk_weights`` key of the
        user files; else ``$SHADOWLENS_RISK_WEIGHTS``; else the shipped weights.
    plugins
        Compose the base from every registered catalog source (the built-in one first, see
        :mod:`shadowlens.enrich.extension`); without it, the shipped catalog alone.

    Raises
    ------
    ConfigError
        A file cannot be read, or a value (risk, kind, weight) is invalid; the message names
        the file and line.

    Examples
    --------
    >>> cat = load_catalog()
    >>> len(cat.apps) >= 2500
    True
    >>> cat.apps["box"].risk is not None, cat.apps["box"].reasons[0].startswith("base")
    (True, True)
    """
    if plugins is None:
        catalog, first = load_shipped(), 1
    else:
        from shadowlens.enrich.extension import compose

        sources = plugins.catalog_sources()
        catalog, first = compose(sources), len(sources)
    for layer, path in enumerate(paths, first):
        catalog = apply_overlay(catalog, read_overlay(path), layer=layer)
    return rescore(catalog, load_weights(weights_path(paths, risk_weights)))


def weights_path(
    paths: Sequence[str | Path] = (), risk_weights: str | Path | None = None
) -> str | Path | None:
    """The risk-weights file :func:`load_catalog` uses; None for the shipped one.

    ``risk_weights`` if given, else the last user file's ``risk_weights`` key (a later
    overlay wins, as for apps), else ``$SHADOWLENS_RISK_WEIGHTS``.
    """
    if risk_weights:
        return risk_weights
    for path in paths:
        risk_weights = _weights_key(path) or risk_weights
    return risk_weights or os.environ.get(RISK_WEIGHTS_ENV) or None


def rescore(catalog: Catalog, weights: RiskWeights) -> Catalog:
    """A catalog whose apps carry the score of ``weights`` and its reasons.

    Apps whose risk a user file set keep it, with that file as the reason.
    """
    apps: dict[str, App] = {}
    for app_id, app in catalog.apps.items():
        if app.risk_set_by:
            apps[app_id] = replace(app, reasons=(f"set by {app.risk_set_by}",))
        else:
            risk, reasons = score(app.attributes, weights)
            apps[app_id] = replace(app, risk=risk, reasons=reasons)
    return Catalog(apps, catalog.rules, catalog.version, weights)


def _weights_key(path: str | Path) -> Path | None:
    """The ``risk_weights`` file a catalog TOML names, relative to that TOML."""
    p = Path(path)
    if p.suffix.lower() != ".toml":
        return None
    try:
        value = tomllib.loads(p.read_text(encoding="utf-8-sig")).get("risk_weights")
    except (OSError, tomllib.TOMLDecodeError):
        return None  # read_overlay already reported it
    return None if value is None else p.parent / str(value)


def load_shipped() -> Catalog:
    """The shipped starter catalog alone, unscored (the built-in catalog source)."""
    root = resources.files("shadowlens") / "data" / "catalog"
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    apps: dict[str, App] = {}
    app_text = (root / "apps.csv").read_text(encoding="utf-8")
    for lineno, row in enumerate(csv.DictReader(app_text.splitlines()), 2):
        risk = _parse_risk(row["risk"], f"apps.csv:{lineno}")
        apps[row["app_id"]] = App(
            app_id=row["app_id"],
            name=row["app_name"],
            vendor=row["vendor"],
            category=row["category"],
            tags=_split_tags(row["tags"]),
            risk=risk,
            source=row["source"],
            license=row["license"],
            origin=f"apps.csv:{lineno}",
            attributes=tuple(
                Attribute(name, row[name], row[f"{name}_source"])
                for name in ("mfa", "sso", "fedramp")
                if row.get(name)
            ),
            risk_set_by="" if risk is None else f"apps.csv:{lineno}",
        )
    rules: list[Rule] = []
    text = gzip.decompress((root / "rules.csv.gz").read_bytes()).decode("utf-8")
    for lineno, row in enumerate(csv.DictReader(text.splitlines()), 2):
        rules.append(
            Rule(
                row["app_id"],
                row["kind"],
                row["pattern"],
                row["source"],
                row["license"],
                f"rules.csv:{lineno}",
            )
        )
    return Catalog(apps, rules, str(manifest["catalog_version"]))


def read_overlay(path: str | Path) -> list[AppOverlay]:
    """Read one user catalog file (TOML or CSV) into overlay entries.

    Raises
    ------
    ConfigError
        Unreadable file, unknown suffix, bad TOML, bad risk or rule kind.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except OSError as exc:
        msg = f"{p}: cannot read catalog file: {exc.strerror}"
        raise ConfigError(msg) from exc
    if p.suffix.lower() == ".toml":
        return _overlay_from_toml(p, text)
    if p.suffix.lower() == ".csv":
        return _overlay_from_csv(p, text)
    msg = f"{p}: catalog files must end in .toml or .csv"
    raise ConfigError(msg)


def _overlay_from_toml(path: Path, text: str) -> list[AppOverlay]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = f"{path}: invalid TOML: {exc}"
        raise ConfigError(msg) from exc
    lines = text.splitlines()
    out: list[AppOverlay] = []
    cursor, start = 0, 0
    for table in data.get("app", []):
        cursor = _find_line(lines, "[[app]]", start)
        start = cursor + 1
        where = f"{path}:{cursor + 1}"
        if not isinstance(table, dict) or not (table.get("id") or table.get("name")):
            msg = f"{where}: an [[app]] needs an id or a name"
            raise ConfigError(msg)
        entry = AppOverlay(
            app_id=_opt_str(table.get("id")),
            name=_opt_str(table.get("name")),
            vendor=_opt_str(table.get("vendor")),
            category=_opt_str(table.get("category")),
            tags=tuple(_norm_tag(t) for t in table["tags"]) if "tags" in table else None,
            risk=_parse_risk(table.get("risk"), where),
            origin=where,
        )
        for key, kind in (
            ("domains", "domain"),
            ("hosts", "host"),
            ("wildcards", "wildcard"),
            ("cidrs", "cidr"),
        ):
            for pattern in table.get(key, []):
                line = _find_line(lines, json.dumps(str(pattern)), cursor) + 1
                entry.rules.append((kind, str(pattern), f"{path}:{line}"))
        out.append(entry)
    unknown = set(data) - {"app", "risk_weights"}
    if unknown:
        msg = f"{path}: unknown top-level keys {sorted(unknown)} (expected [[app]] tables)"
        raise ConfigError(msg)
    return out


def _overlay_from_csv(path: Path, text: str) -> list[AppOverlay]:
    reader = csv.DictReader(text.splitlines())
    headers = {h.strip().lower(): h for h in reader.fieldnames or []}
    if "app_id" not in headers and "app_name" not in headers:
        msg = f"{path}:1: a catalog CSV needs an app_id or app_name column"
        raise ConfigError(msg)
    by_key: dict[str, AppOverlay] = {}
    for lineno, raw in enumerate(reader, 2):
        row = {k: (raw.get(h) or "").strip() for k, h in headers.items()}
        where = f"{path}:{lineno}"
        key = row.get("app_id") or row.get("app_name", "")
        if not key:
            msg = f"{where}: row has neither app_id nor app_name"
            raise ConfigError(msg)
        entry = by_key.setdefault(key, AppOverlay(origin=where))
        entry.app_id = row.get("app_id") or entry.app_id
        entry.name = row.get("app_name") or entry.name
        entry.vendor = row.get("vendor") or entry.vendor
        entry.category = row.get("category") or entry.category
        if row.get("tags"):
            entry.tags = _split_tags(row["tags"])
        if row.get("risk"):
            entry.risk = _parse_risk(row["risk"], where)
        kind, pattern = row.get("kind", ""), row.get("pattern", "")
        if pattern:
            kind = kind or guess_kind(pattern)
            if kind not in RULE_KINDS:
                msg = (
                    f"{where}: unknown rule kind {kind!r} (expected one of {', '.join(RULE_KINDS)})"
                )
                raise ConfigError(msg)
            entry.rules.append((kind, pattern, where))
    return list(by_key.values())


def apply_overlay(catalog: Catalog, entries: Iterable[AppOverlay], layer: int = 1) -> Catalog:
    """A new catalog with ``entries`` laid over ``catalog``; the overlay wins.

    An entry overrides the app with its ``app_id``, else the app whose name matches
    case-insensitively; otherwise it adds a custom app (tagged ``custom``).

    Examples
    --------
    >>> cat = apply_overlay(load_catalog(), [AppOverlay(name="Dropbox", tags=("unsanctioned",), risk=3)])
    >>> cat.apps["dropbox"].tags, cat.apps["dropbox"].risk
    (('unsanctioned',), 3)
    """
    apps = dict(catalog.apps)
    rules = list(catalog.rules)
    for e in entries:
        current = apps.get(e.app_id or "") or (catalog.app_by_name(e.name) if e.name else None)
        if current is None:
            app_id = e.app_id or slugify(e.name or "")
            tags = e.tags if e.tags is not None else ()
            current = App(app_id, e.name or app_id, tags=tuple(dict.fromkeys((*tags, "custom"))),
                          source=e.origin.rsplit(":", 1)[0], license="user", origin=e.origin)  # fmt: skip
        elif e.tags is not None:
            current = replace(current, tags=e.tags)
        current = replace(
            current,
            name=e.name or current.name,
            vendor=e.vendor if e.vendor is not None else current.vendor,
            category=e.category or current.category,
            risk=e.risk if e.risk is not None else current.risk,
            risk_set_by=e.origin if e.risk is not None else current.risk_set_by,
        )
        apps[current.app_id] = current
        src = e.origin.rsplit(":", 1)[0]
        for kind, pattern, origin in e.rules:
            rules.append(
                Rule(
                    current.app_id,
                    kind,
                    _canonical(kind, pattern.strip().lower()),
                    src,
                    "user",
                    origin,
                    layer,
                )
            )
    return Catalog(apps, rules, catalog.version, catalog.weights)


# --------------------------------------------------------------------------- validation


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding of :func:`validate`; ``where`` is ``file:line``."""

    where: str
    severity: str  # "error" | "warning"
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.severity}: {self.message}"


def validate(catalog: Catalog) -> list[Problem]:
    """Malformed patterns (errors), duplicate or overlapping rules and unknown categories (warnings).

    Examples
    --------
    >>> cat = apply_overlay(load_catalog(), [AppOverlay(app_id="x", rules=[("domain", "bad..com", "u.toml:3")])])
    >>> [str(p) for p in validate(cat)]
    ["u.toml:3: error: malformed domain pattern 'bad..com' (app x)"]
    """
    problems: list[Problem] = []
    seen: dict[tuple[str, str], Rule] = {}
    for rule in catalog.rules:
        if not pattern_is_valid(rule.kind, rule.pattern):
            problems.append(
                Problem(
                    rule.origin,
                    "error",
                    f"malformed {rule.kind} pattern {rule.pattern!r} (app {rule.app_id})",
                )
            )
            continue
        key = (rule.kind, _canonical(rule.kind, rule.pattern))
        if rule.kind == "wildcard":
            key = ("domain*", key[1][2:])
        first = seen.get(key)
        if first is None:
            seen[key] = rule
        elif first.app_id == rule.app_id:
            problems.append(
                Problem(
                    rule.origin,
                    "warning",
                    f"duplicate rule {rule.pattern!r}, first at {first.origin}",
                )
            )
        else:
            problems.append(Problem(rule.origin, "warning",
                f"{rule.pattern!r} for {rule.app_id} overlaps {first.pattern!r} for {first.app_id} at {first.origin}; the later one wins"))  # fmt: skip
    for key, rule in seen.items():  # a wildcard next to the same domain of another app
        if key[0] == "domain":
            other = seen.get(("domain*", key[1]))
            if other is not None and other.app_id != rule.app_id:
                problems.append(Problem(other.origin, "warning", f"{other.pattern!r} overlaps domain {rule.pattern!r} at {rule.origin}"))  # fmt: skip
    problems.extend(
        _cidr_overlaps(
            [r for r in catalog.rules if r.kind == "cidr" and pattern_is_valid("cidr", r.pattern)]
        )
    )
    for app in catalog.apps.values():
        if app.category not in CATEGORIES:
            problems.append(Problem(app.origin, "warning", f"app {app.app_id}: category {app.category!r} is not a Defender category"))  # fmt: skip
    return problems


def _cidr_overlaps(rules: list[Rule]) -> list[Problem]:
    nets = sorted(
        ((ipaddress.ip_network(r.pattern, strict=False), r) for r in rules),
        key=lambda t: (t[0].version, int(t[0].network_address), -t[0].prefixlen),
    )
    out: list[Problem] = []
    for (a, ra), (b, rb) in itertools.pairwise(nets):
        if a.version == b.version and b.subnet_of(a) and ra.app_id != rb.app_id:  # type: ignore[arg-type]
            out.append(Problem(rb.origin, "warning", f"{rb.pattern} for {rb.app_id} lies inside {ra.pattern} for {ra.app_id} at {ra.origin}"))  # fmt: skip
    return out


def pattern_is_valid(kind: str, pattern: str) -> bool:
    """Whether ``pattern`` is well formed for ``kind``.

    Examples
    --------
    >>> pattern_is_valid("wildcard", "*.example.com"), pattern_is_valid("domain", "a..b")
    (True, False)
    """
    if kind in ("domain", "host"):
        return bool(_NAME_RE.match(pattern)) and len(pattern) <= 253
    if kind == "wildcard":
        return pattern.startswith("*.") and bool(_NAME_RE.match(pattern[2:]))
    if kind == "cidr":
        try:
            ipaddress.ip_network(pattern, strict=False)
        except ValueError:
            return False
        return True
    return False


def guess_kind(pattern: str) -> str:
    """The rule kind a bare pattern most likely means (``*.`` -> wildcard, ``/`` -> cidr)."""
    if pattern.startswith("*."):
        return "wildcard"
    if "/" in pattern or _is_ip(pattern):
        return "cidr"
    return "domain"


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _canonical(kind: str, pattern: str) -> str:
    """CIDRs normalised; names lower-cased and IDNs turned into punycode, as proxies log them."""
    if kind == "cidr":
        try:
            return str(ipaddress.ip_network(pattern, strict=False))
        except ValueError:
            return pattern  # left for validate() to report
    prefix, name = (
        ("*.", pattern[2:]) if kind == "wildcard" and pattern.startswith("*.") else ("", pattern)
    )
    try:
        name = idna.encode(name.strip().rstrip("."), uts46=True).decode("ascii")
    except idna.IDNAError:
        return pattern.strip().lower()  # left for validate() to report
    return prefix + name


# --------------------------------------------------------------------------- helpers


def slugify(name: str) -> str:
    """A stable app id from a display name.

    Examples
    --------
    >>> slugify("Acme CRM (EU)")
    'acme-crm-eu'
    """
    return re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-") or "app"


def _parse_risk(value: object, where: str) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        number = -1.0
    if not (0 <= number <= 10) or number != int(number):
        msg = f"{where}: risk must be an integer 0-10 (10 safest), got {value!r}"
        raise ConfigError(msg)
    return int(number)


def _split_tags(text: str) -> tuple[str, ...]:
    parts = (_norm_tag(t) for t in re.split(r"[;,|]", text or ""))
    return tuple(dict.fromkeys(p for p in parts if p))


def _norm_tag(tag: object) -> str:
    t = str(tag).strip().lower()
    return "custom" if t == "custom app" else t


def _opt_str(value: object) -> str | None:
    return None if value is None else str(value)


def _find_line(lines: list[str], needle: str, start: int) -> int:
    for i in range(start, len(lines)):
        if needle in lines[i]:
            return i
    return start
