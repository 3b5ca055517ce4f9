"""Build shadowlens' starter app catalog from vendored, licensed sources and two curated tables.

Inputs (all inside the repository, so the build needs no network and no ../shared):

* ``scripts/catalog_apps.toml``: one row per app (id, name, vendor, Defender category, the
  v2fly files it takes its domains from, optional ``select`` and ``hosts``).
* ``scripts/catalog_rules.toml``: suites split into their apps by hosts the vendor documents,
  each rule naming the documentation page it comes from.
* ``third_party/v2fly/data/<name>``: the v2fly/domain-list-community files the table uses.
* ``third_party/twofactorauth``, ``sso-wall-of-shame``, ``fedramp-marketplace``,
  ``apple-password-manager-resources``: read by ``scripts/catalog_sources.py``.

Outputs, under ``src/shadowlens/data/catalog/``: ``apps.csv`` (with the MFA, SSO and FedRAMP
attributes and their sources), ``rules.csv.gz`` (gzip keeps the package small),
``manifest.json`` (holds ``catalog_version`` and the source commits), ``NOTICE.md`` and one
``LICENSE-*.txt`` per source.

Layers, in order (a later layer never takes a pattern an earlier one owns)
-------------------------------------------------------------------------
1. documented rules (``catalog_rules.toml``) and the curated v2fly apps, by the overlap policy
   below;
2. twofactorauth: an entry whose primary domain (or name) is an app's merges into that app
   (its other free domains become rules of it); otherwise it becomes a new app with its free
   domains. Its 2FA methods become the ``mfa`` attribute of that app (``none`` when it is
   listed as offering no 2FA);
3. Apple's shared-credential groups: the free domains of a group join the app that owns the
   others; two apps of the group made from twofactorauth are merged (never curated ones);
4. sso.tax vendors: the app their homepage resolves to gets ``sso = extra-cost``; a vendor
   without an app becomes one;
5. FedRAMP Marketplace: the app an offering's website resolves to gets the best status and
   impact level among its offerings (``fedramp``);
6. ``account`` of documented apps: the attributes of the app owning that domain apply too.

No risk score is written: the score is computed at load time from these attributes with
user-replaceable weights (``shadowlens/data/catalog/risk-weights.toml``).

How v2fly lines become rules
----------------------------
* a bare domain or ``domain:x`` -> kind ``domain`` (x and all its subdomains);
* ``full:x`` -> kind ``host`` (exactly x);
* ``keyword:`` and ``regexp:`` lines are skipped (substring and regex rules cannot be matched
  by an exact join and are noisy);
* lines carrying ``@ads`` are skipped (advertising endpoints are not the app being used); other
  attributes (``@cn``, ``@!cn``, ...) are dropped and the domain kept; ``&affiliation`` tokens
  are ignored;
* ``include:other [@attr] [@-attr]`` is followed only when ``other`` is vendored, with v2fly's
  selective-inclusion semantics (keep lines having every ``@attr`` and none of the ``@-attr``).

Apps with ``select`` take only the listed patterns (``full:x`` for a host), each of which must
be written literally in one of the app's files; includes are not followed for them.

Overlap policy
--------------
A pattern claimed by several apps goes to exactly one, the first by:
(1) an app that names it in ``select`` beats one taking a whole file; (2) the smallest include
depth (a domain written in ``youtube`` belongs to the YouTube app, not to Google which only
includes that file); (3) the app with fewer rules (the more specific app); (4) app id. An app
left without rules fails the build.

Usage::

    python scripts/build_catalog.py                       # rebuild from third_party/
    python scripts/build_catalog.py --vendor-from DIR     # refresh third_party/v2fly from a checkout
    python scripts/build_catalog.py --sources DIR         # refresh the other sources from a
                                                          # catalog-sources folder, then rebuild
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import shutil
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS_TOML = ROOT / "scripts" / "catalog_apps.toml"
RULES_TOML = ROOT / "scripts" / "catalog_rules.toml"
THIRD = ROOT / "third_party"
VENDOR = THIRD / "v2fly"
OUT = ROOT / "src" / "shadowlens" / "data" / "catalog"
LICENSE_NAME = "MIT"
PROJECT_LICENSE = "Apache-2.0"

sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))
from catalog_sources import (  # noqa: E402
    extract_fedramp,
    read_fedramp,
    read_shared_credentials,
    read_sso,
    read_twofactorauth,
)

from shadowlens.enrich.catalog import CATEGORIES, slugify  # noqa: E402

#: (folder under third_party, licence file, shipped licence name, SPDX-ish licence)
SOURCES: tuple[tuple[str, str, str, str], ...] = (
    ("v2fly", "LICENSE", "LICENSE-v2fly.txt", "MIT"),
    ("twofactorauth", "LICENSE.md", "LICENSE-twofactorauth.txt", "MIT"),
    ("sso-wall-of-shame", "LICENSE", "LICENSE-sso-wall-of-shame.txt", "Apache-2.0"),
    ("apple-password-manager-resources", "LICENSE.md", "LICENSE-apple-password-manager-resources.txt", "MIT"),
)  # fmt: skip


@dataclass(frozen=True)
class Line:
    """One useful line of a v2fly file."""

    kind: str  # domain | host | include
    value: str
    attrs: frozenset[str]
    lineno: int


@dataclass(frozen=True)
class Claim:
    """A rule an app wants, with what the overlap policy needs to rank it."""

    app_id: str
    kind: str
    pattern: str
    source_file: str
    selected: bool
    depth: int
    source: str = ""  # overrides the v2fly-derived source (documented rules)


def parse_v2fly(path: Path) -> list[Line]:
    """Parse one v2fly data file into domain, host and include lines (others dropped)."""
    lines: list[Line] = []
    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        text = raw.split("#", 1)[0].strip()
        if not text:
            continue
        head, *rest = text.split()
        attrs = frozenset(t[1:] for t in rest if t.startswith("@"))
        if head.startswith("include:"):
            lines.append(Line("include", head[len("include:") :], attrs, lineno))
            continue
        prefix, sep, value = head.partition(":")
        if not sep:
            prefix, value = "domain", head
        if prefix not in ("domain", "full"):
            continue  # keyword: and regexp: are skipped on purpose
        kind = "domain" if prefix == "domain" else "host"
        lines.append(Line(kind, value.lower().rstrip("."), attrs, lineno))
    return lines


class V2fly:
    """The vendored v2fly files, parsed on demand."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._cache: dict[str, list[Line]] = {}

    def has(self, name: str) -> bool:
        return (self.data_dir / name).is_file()

    def lines(self, name: str) -> list[Line]:
        if name not in self._cache:
            self._cache[name] = parse_v2fly(self.data_dir / name)
        return self._cache[name]

    def resolve(
        self, name: str, want: frozenset[str] = frozenset(), depth: int = 0
    ) -> list[tuple[str, str, str, int, frozenset[str]]]:
        """All (kind, pattern, file, depth, attrs) of ``name``, includes followed."""
        out: list[tuple[str, str, str, int, frozenset[str]]] = []
        for line in self.lines(name):
            if line.kind == "include":
                if self.has(line.value):
                    out.extend(self.resolve(line.value, line.attrs, depth + 1))
                continue
            if not _attrs_pass(line.attrs, want) or "ads" in line.attrs:
                continue
            out.append((line.kind, line.value, name, depth, line.attrs))
        return out

    def include_closure(self, names: list[str], source_dir: Path) -> set[str]:
        """Names of ``names`` plus every file they include, read from ``source_dir``."""
        seen: set[str] = set()
        todo = list(names)
        while todo:
            name = todo.pop()
            if name in seen or not (source_dir / name).is_file():
                continue
            seen.add(name)
            todo.extend(ln.value for ln in parse_v2fly(source_dir / name) if ln.kind == "include")
        return seen


def _attrs_pass(attrs: frozenset[str], want: frozenset[str]) -> bool:
    for w in want:
        if w.startswith("-"):
            if w[1:] in attrs:
                return False
        elif w not in attrs:
            return False
    return True


def load_apps() -> tuple[dict[str, str], dict[str, dict[str, object]]]:
    """The curated table: (meta, apps by id), checked for required fields and categories."""
    data = tomllib.loads(APPS_TOML.read_text(encoding="utf-8"))
    apps: dict[str, dict[str, object]] = data["apps"]
    for app_id, row in apps.items():
        for key in ("name", "vendor", "category", "files"):
            if key not in row:
                raise SystemExit(f"{APPS_TOML.name}: app {app_id!r} lacks {key!r}")
        if row["category"] not in CATEGORIES:
            raise SystemExit(
                f"{APPS_TOML.name}: app {app_id!r}: unknown category {row['category']!r}"
            )
        if "risk" in row:
            raise SystemExit(
                f"{APPS_TOML.name}: app {app_id!r}: the starter catalog carries no risk"
            )
    return data["meta"], apps


def collect_claims(v2: V2fly, apps: dict[str, dict[str, object]]) -> list[Claim]:
    """Every rule each app asks for, before the overlap policy."""
    claims: list[Claim] = []
    for app_id, row in apps.items():
        files = [str(f) for f in row["files"]]  # type: ignore[attr-defined]
        for f in files:
            if not v2.has(f):
                raise SystemExit(f"app {app_id!r}: v2fly file {f!r} is not vendored")
        select = row.get("select")
        if select is not None:
            direct = {
                (ln.kind, ln.value): f for f in files for ln in v2.lines(f) if "ads" not in ln.attrs
            }
            for item in select:  # type: ignore[attr-defined]
                kind, pattern = ("host", item[5:]) if item.startswith("full:") else ("domain", item)
                if (kind, pattern) not in direct:
                    raise SystemExit(f"app {app_id!r}: {item!r} is not written in {files}")
                claims.append(Claim(app_id, kind, pattern, direct[kind, pattern], True, 0))
        else:
            for f in files:
                for kind, pattern, src, depth, _ in v2.resolve(f):
                    claims.append(Claim(app_id, kind, pattern, src, False, depth))
        for host in row.get("hosts", []):  # type: ignore[attr-defined]
            claims.append(Claim(app_id, "host", str(host).lower(), "", True, 0))
    return claims


def assign(claims: list[Claim]) -> dict[tuple[str, str], Claim]:
    """Apply the overlap policy: one winning claim per (kind, pattern)."""
    size: dict[str, int] = {}
    for c in claims:
        size[c.app_id] = size.get(c.app_id, 0) + 1
    best: dict[tuple[str, str], Claim] = {}
    for c in claims:
        key = (c.kind, c.pattern)
        rank = (not c.selected, c.depth, size[c.app_id], c.app_id)
        cur = best.get(key)
        if cur is None or rank < (not cur.selected, cur.depth, size[cur.app_id], cur.app_id):
            best[key] = c
    return best


@dataclass
class AppRow:
    """One app of the catalog being built, with its attributes and their sources."""

    app_id: str
    name: str
    vendor: str
    category: str
    sources: list[str]
    licenses: list[str]
    curated: bool = False  # from catalog_apps.toml or catalog_rules.toml: never merged away
    account: str = ""
    mfa: set[str] = field(default_factory=set)
    mfa_none: bool = False
    mfa_source: list[str] = field(default_factory=list)
    sso: str = ""
    sso_source: list[str] = field(default_factory=list)
    fedramp: tuple[int, int, str, str] | None = None  # (status rank, level rank, text, source)

    def add_source(self, source: str, license_: str) -> None:
        if source not in self.sources:
            self.sources.append(source)
        if license_ not in self.licenses:
            self.licenses.append(license_)


@dataclass
class RuleRow:
    """One rule of the catalog being built."""

    app_id: str
    kind: str
    pattern: str
    source: str
    license: str


def load_rules_file() -> dict[str, dict[str, object]]:
    """The documented rules table, checked for categories and for a source on every block."""
    apps: dict[str, dict[str, object]] = tomllib.loads(RULES_TOML.read_text(encoding="utf-8"))[
        "apps"
    ]
    for app_id, row in apps.items():
        if "category" in row and row["category"] not in CATEGORIES:
            raise SystemExit(
                f"{RULES_TOML.name}: app {app_id!r}: unknown category {row['category']!r}"
            )
        for block in row.get("from", []):  # type: ignore[attr-defined]
            if not str(block.get("source", "")).startswith("https://"):
                raise SystemExit(
                    f"{RULES_TOML.name}: app {app_id!r}: every [[from]] needs a source URL"
                )
    return apps


def documented_claims(doc: dict[str, dict[str, object]]) -> list[Claim]:
    """Claims of the documented rules: they beat every v2fly claim (selected, depth -1)."""
    claims: list[Claim] = []
    for app_id, row in doc.items():
        for block in row.get("from", []):  # type: ignore[attr-defined]
            src = f"doc:{block['source']}"
            for key, kind in (("hosts", "host"), ("domains", "domain"), ("wildcards", "wildcard")):
                for pattern in block.get(key, []):
                    pattern = str(pattern).lower()
                    claims.append(Claim(app_id, kind, pattern, "", True, -1, src))
    return claims


class Build:
    """The catalog under construction: apps and one owner per (kind, pattern)."""

    def __init__(self) -> None:
        self.apps: dict[str, AppRow] = {}
        self.rules: dict[tuple[str, str], RuleRow] = {}

    def owner(self, name: str) -> str | None:
        """The app owning exactly ``name`` as a domain or host rule."""
        for kind in ("domain", "host"):
            rule = self.rules.get((kind, name))
            if rule is not None:
                return rule.app_id
        return None

    def resolve(self, host: str) -> str | None:
        """The app ``host`` would match: exact host, then the longest domain suffix."""
        rule = self.rules.get(("host", host))
        if rule is not None:
            return rule.app_id
        parts = host.split(".")
        for i in range(len(parts) - 1):
            rule = self.rules.get(("domain", ".".join(parts[i:])))
            if rule is not None:
                return rule.app_id
        return None

    def add_rule(self, app_id: str, kind: str, pattern: str, source: str, license_: str) -> None:
        if (kind, pattern) not in self.rules and _valid_name(pattern):
            self.rules[kind, pattern] = RuleRow(app_id, kind, pattern, source, license_)
            self.apps[app_id].add_source(source.split("#")[0], license_)

    def new_id(self, name: str, domain: str) -> str:
        for candidate in (slugify(name), slugify(domain)):
            if candidate not in self.apps:
                return candidate
        n = 2
        while f"{slugify(domain)}-{n}" in self.apps:
            n += 1
        return f"{slugify(domain)}-{n}"

    def merge(self, keep: str, drop: str) -> None:
        """Move every rule and attribute of ``drop`` into ``keep``."""
        a, b = self.apps[keep], self.apps.pop(drop)
        for rule in self.rules.values():
            if rule.app_id == drop:
                rule.app_id = keep
        for s, lic in zip(b.sources, b.licenses * len(b.sources), strict=False):
            a.add_source(s, lic)
        a.mfa |= b.mfa
        a.mfa_none = (a.mfa_none or b.mfa_none) and not a.mfa
        a.mfa_source += [s for s in b.mfa_source if s not in a.mfa_source]
        a.sso = a.sso or b.sso
        a.sso_source += [s for s in b.sso_source if s not in a.sso_source]
        if b.fedramp and (a.fedramp is None or b.fedramp[:2] > a.fedramp[:2]):
            a.fedramp = b.fedramp


def _valid_name(pattern: str) -> bool:
    labels = pattern.split(".")
    return len(labels) > 1 and all(
        label and len(label) <= 63 and all(c.isalnum() or c in "-_" for c in label)
        and not label.startswith("-") and not label.endswith("-") and label.isascii()
        for label in labels
    )  # fmt: skip


def base_layer(
    v2: V2fly, curated: dict[str, dict[str, object]], doc: dict[str, dict[str, object]]
) -> Build:
    """Layer 1: curated v2fly apps and documented rules, by the overlap policy."""
    b = Build()
    for app_id, row in curated.items():
        b.apps[app_id] = AppRow(app_id, str(row["name"]), str(row["vendor"]), str(row["category"]),
                                [], [], curated=True)  # fmt: skip
    for app_id, row in doc.items():
        if app_id not in b.apps:
            if not row.get("from"):
                continue  # a field override for an app another source makes (applied last)
            for key in ("name", "vendor", "category"):
                if key not in row:
                    raise SystemExit(f"{RULES_TOML.name}: new app {app_id!r} lacks {key!r}")
            b.apps[app_id] = AppRow(app_id, str(row["name"]), str(row["vendor"]),
                                    str(row["category"]), [], [], curated=True)  # fmt: skip
        b.apps[app_id].account = str(row.get("account", ""))
    winners = assign([*collect_claims(v2, curated), *documented_claims(doc)])
    for c in sorted(winners.values(), key=lambda c: (c.app_id, c.kind, c.pattern)):
        b.apps[c.app_id].add_source(_source(c), _license(c))
        b.rules[c.kind, c.pattern] = RuleRow(c.app_id, c.kind, c.pattern, _source(c), _license(c))
    empty = [a for a, row in b.apps.items() if not row.sources]
    if empty:
        raise SystemExit(f"apps left without rules by the overlap policy: {empty}")
    return b


def add_twofactorauth(b: Build) -> None:
    """Layer 2: twofactorauth services become apps or join the app of their primary domain."""
    by_name = {row.name.casefold(): app_id for app_id, row in b.apps.items()}
    for e in read_twofactorauth(THIRD / "twofactorauth" / "entries.jsonl"):
        src = f"twofactorauth:{e.path}"
        target = b.owner(e.domains[0]) or by_name.get(e.name.casefold())
        if target is None:
            free = [d for d in e.domains if b.owner(d) is None and _valid_name(d)]
            if not free:
                continue
            target = b.new_id(e.name, free[0])
            b.apps[target] = AppRow(target, e.name, e.name, e.category, [], [])
            by_name[e.name.casefold()] = target
        for d in e.domains:
            if b.owner(d) is None:
                b.add_rule(target, "domain", d, src, "MIT")
        app = b.apps[target]
        app.mfa |= set(e.methods)
        app.mfa_none = (app.mfa_none or e.no_tfa) and not app.mfa
        if e.methods or e.no_tfa:
            app.mfa_source.append(src)
        app.add_source("twofactorauth", "MIT")


def add_shared_credentials(b: Build) -> None:
    """Layer 3: Apple's groups of domains sharing a sign-in join (or merge) their apps."""
    folder = THIRD / "apple-password-manager-resources" / "quirks"
    for members, where in read_shared_credentials(folder):
        owners = list(dict.fromkeys(o for o in (b.owner(m) for m in members) if o in b.apps))
        if not owners:
            continue
        curated = [o for o in owners if b.apps[o].curated]
        if len(curated) > 1:
            continue  # two curated apps share a sign-in (e.g. Microsoft's): keep them apart
        target = curated[0] if curated else owners[0]
        for other in owners:
            if other != target:
                b.merge(target, other)
        for m in members:
            if b.owner(m) is None:
                b.add_rule(target, "domain", m, f"apple:{where}", "MIT")


def add_sso(b: Build) -> None:
    """Layer 4: vendors charging extra for SSO (sso.tax)."""
    for v in read_sso(THIRD / "sso-wall-of-shame" / "vendors.jsonl"):
        src = f"sso-wall-of-shame:{v.path}"
        target = b.resolve(v.host)
        if target is None:
            target = b.new_id(v.name, v.domain)
            b.apps[target] = AppRow(target, v.name, v.name, "Unclassified", [], [])
            b.add_rule(target, "domain", v.domain, src, "Apache-2.0")
        app = b.apps[target]
        app.sso = "extra-cost"
        app.sso_source.append(src)
        app.add_source("sso-wall-of-shame", "Apache-2.0")


_STATUS = {
    "FedRAMP Authorized": 2,
    "FedRAMP Ready": 1,
    "FedRAMP In Process": 1,
    "Agency In Process": 1,
}


def _level_rank(level: str) -> int:
    text = level.lower()
    return 3 if "high" in text else 2 if "moderate" in text else 1


def add_fedramp(b: Build) -> None:
    """Layer 5: the best FedRAMP status and level among the offerings an app's site serves."""
    for p in read_fedramp(THIRD / "fedramp-marketplace" / "products.jsonl"):
        target = b.resolve(p.host)
        if target is None or p.status not in _STATUS:
            continue
        rank = (_STATUS[p.status], _level_rank(p.level))
        app = b.apps[target]
        if app.fedramp is None or rank > app.fedramp[:2]:
            text = f"{p.status.removeprefix('FedRAMP ')}, {p.level}"
            app.fedramp = (*rank, text, f"fedramp:{p.id} ({p.vendor}: {p.product})")
        app.add_source("fedramp-marketplace", "US-Government-work")


def apply_accounts(b: Build, doc: dict[str, dict[str, object]]) -> None:
    """Layer 6: documented apps take the attributes of their sign-in domain's app; overrides."""
    for app in b.apps.values():
        if not app.account:
            continue
        owner = b.resolve(app.account)
        if owner is None or owner == app.app_id:
            continue
        acc = b.apps[owner]
        via = f"via account {app.account}: "
        if not app.mfa and not app.mfa_none and (acc.mfa or acc.mfa_none):
            app.mfa, app.mfa_none = set(acc.mfa), acc.mfa_none
            app.mfa_source = [via + s for s in acc.mfa_source]
        if not app.sso and acc.sso:
            app.sso, app.sso_source = acc.sso, [via + s for s in acc.sso_source]
        if app.fedramp is None and acc.fedramp is not None:
            app.fedramp = (*acc.fedramp[:3], via + acc.fedramp[3])
    for app_id, row in doc.items():
        if app_id in b.apps:
            app = b.apps[app_id]
            app.name = str(row.get("name", app.name))
            app.vendor = str(row.get("vendor", app.vendor))
            app.category = str(row.get("category", app.category))


APP_COLUMNS = ["app_id", "app_name", "vendor", "category", "tags", "risk", "source", "license",
               "mfa", "mfa_source", "sso", "sso_source", "fedramp", "fedramp_source"]  # fmt: skip


def build(out: Path = OUT) -> None:
    """Build the catalog into ``out`` (the package's data folder by default)."""
    meta, curated = load_apps()
    doc = load_rules_file()
    b = base_layer(V2fly(VENDOR / "data"), curated, doc)
    add_twofactorauth(b)
    add_shared_credentials(b)
    add_sso(b)
    add_fedramp(b)
    apply_accounts(b, doc)
    write(b, meta, out)


def write(b: Build, meta: dict[str, str], out: Path) -> None:
    """Write apps.csv, rules.csv.gz, the licences, NOTICE.md and manifest.json."""
    rules = sorted(b.rules.values(), key=lambda r: (r.app_id, r.kind, r.pattern))
    out.mkdir(parents=True, exist_ok=True)
    with (out / "apps.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(APP_COLUMNS)
        for app_id in sorted(b.apps):
            a = b.apps[app_id]
            mfa = ";".join(sorted(a.mfa)) or ("none" if a.mfa_none else "")
            fed = a.fedramp
            w.writerow([app_id, a.name, a.vendor, a.category, "", "", ";".join(a.sources),
                        ";".join(a.licenses), mfa, " | ".join(a.mfa_source), a.sso,
                        " | ".join(a.sso_source), fed[2] if fed else "", fed[3] if fed else ""])  # fmt: skip
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["app_id", "kind", "pattern", "source", "license"])
    for r in rules:
        w.writerow([r.app_id, r.kind, r.pattern, r.source, r.license])
    # gzip without a timestamp or file name, so the bytes depend only on the content
    data = gzip.compress(buf.getvalue().encode("utf-8"), compresslevel=9, mtime=0)
    (out / "rules.csv.gz").write_bytes(data)
    (out / "rules.csv").unlink(missing_ok=True)
    for folder, lic, shipped, _ in SOURCES:
        shutil.copyfile(THIRD / folder / lic, out / shipped)
    shutil.copyfile(ROOT / "scripts" / "catalog_NOTICE.md", out / "NOTICE.md")
    manifest = {
        "catalog_version": meta["catalog_version"],
        "source": f"github.com/v2fly/domain-list-community@{meta['v2fly_commit']}",
        "sources": {k: v for k, v in meta.items() if k.endswith("_commit")},
        "license": "see NOTICE.md and LICENSE-*.txt",
        "apps": len(b.apps),
        "rules": len(rules),
        "apps_with_attributes": sum(1 for a in b.apps.values() if a.mfa or a.mfa_none or a.sso or a.fedramp),
    }  # fmt: skip
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(f"catalog {meta['catalog_version']}: {len(b.apps)} apps, {len(rules)} rules -> {out}")


def _source(c: Claim) -> str:
    if c.source:
        return c.source
    return f"v2fly:{c.source_file}" if c.source_file else "shadowlens:catalog_apps.toml"


def _license(c: Claim) -> str:
    return LICENSE_NAME if c.source_file else PROJECT_LICENSE


def refresh_sources(folder: Path) -> None:
    """Copy the non-v2fly sources from a ``catalog-sources`` folder (FedRAMP: an extract)."""
    for name, files in (
        ("twofactorauth", ["entries.jsonl", "LICENSE.md", "README.md"]),
        ("sso-wall-of-shame", ["vendors.jsonl", "LICENSE", "README.md"]),
        ("apple-password-manager-resources", ["LICENSE.md", "README.md",
         "quirks/shared-credentials.json", "quirks/shared-credentials-historical.json"]),
    ):  # fmt: skip
        for f in files:
            (THIRD / name / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(folder / name / f, THIRD / name / f)
    (THIRD / "fedramp-marketplace").mkdir(exist_ok=True)
    n = extract_fedramp(
        folder / "gsa-fedramp-marketplace" / "data.json",
        THIRD / "fedramp-marketplace" / "products.jsonl",
    )
    shutil.copyfile(
        folder / "gsa-fedramp-marketplace" / "README.md",
        THIRD / "fedramp-marketplace" / "README.md",
    )
    print(f"refreshed sources from {folder} ({n} FedRAMP offerings)")


def vendor_from(checkout: Path) -> None:
    """Copy the v2fly files the table needs (plus includes of whole-file apps) into third_party."""
    meta, apps = load_apps()
    whole = [str(f) for r in apps.values() if "select" not in r for f in r["files"]]  # type: ignore[attr-defined]
    picked = [str(f) for r in apps.values() if "select" in r for f in r["files"]]  # type: ignore[attr-defined]
    src = checkout / "data"
    names = V2fly(src).include_closure(whole, src) | set(picked)
    dest = VENDOR / "data"
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for name in sorted(names):
        shutil.copyfile(src / name, dest / name)
    shutil.copyfile(checkout / "LICENSE", VENDOR / "LICENSE")
    (VENDOR / "README.md").write_text(
        "# Vendored v2fly/domain-list-community data\n\n"
        f"Origin: https://github.com/v2fly/domain-list-community, commit {meta['v2fly_commit']}.\n"
        "Licence: MIT, see `LICENSE` in this directory (its notice ships with the catalog as\n"
        "`src/shadowlens/data/catalog/LICENSE-v2fly.txt`).\n\n"
        "Only the `data/<name>` files that `scripts/catalog_apps.toml` uses are copied, unmodified,\n"
        "by `python scripts/build_catalog.py --vendor-from <checkout>`.\n",
        encoding="utf-8",
    )
    print(f"vendored {len(names)} files into {dest}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vendor-from", type=Path, help="a v2fly checkout to copy data files from")
    parser.add_argument(
        "--sources", type=Path, help="a catalog-sources folder to copy the others from"
    )
    args = parser.parse_args()
    if args.vendor_from:
        vendor_from(args.vendor_from)
    if args.sources:
        refresh_sources(args.sources)
    build()


if __name__ == "__main__":
    main()
