"""Build shadowlens' starter app catalog from vendored v2fly data and a curated app table.

Inputs (all inside the repository, so the build needs no network and no ../shared):

* ``scripts/catalog_apps.toml``: one row per app (id, name, vendor, Defender category, the
  v2fly files it takes its domains from, optional ``select`` and ``hosts``).
* ``third_party/v2fly/data/<name>``: the v2fly/domain-list-community files the table uses.

Outputs, under ``src/shadowlens/data/catalog/``: ``apps.csv``, ``rules.csv.gz`` (gzip keeps the package small),
``manifest.json`` (holds ``catalog_version``) and ``LICENSE-v2fly.txt``.

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
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS_TOML = ROOT / "scripts" / "catalog_apps.toml"
VENDOR = ROOT / "third_party" / "v2fly"
OUT = ROOT / "src" / "shadowlens" / "data" / "catalog"
LICENSE_NAME = "MIT"

sys.path.insert(0, str(ROOT / "src"))
from shadowlens.enrich.catalog import CATEGORIES  # noqa: E402


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


def build() -> None:
    meta, apps = load_apps()
    v2 = V2fly(VENDOR / "data")
    winners = assign(collect_claims(v2, apps))
    rules = sorted(winners.values(), key=lambda c: (c.app_id, c.kind, c.pattern))
    sources: dict[str, set[str]] = {a: set() for a in apps}
    for c in rules:
        sources[c.app_id].add(_source(c))
    empty = [a for a, s in sources.items() if not s]
    if empty:
        raise SystemExit(f"apps left without rules by the overlap policy: {empty}")
    OUT.mkdir(parents=True, exist_ok=True)
    with (OUT / "apps.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(
            ["app_id", "app_name", "vendor", "category", "tags", "risk", "source", "license"]
        )
        for app_id in sorted(apps):
            row = apps[app_id]
            srcs = ";".join(f"v2fly:{f}" for f in row["files"])  # type: ignore[attr-defined]
            w.writerow(
                [app_id, row["name"], row["vendor"], row["category"], "", "", srcs, LICENSE_NAME]
            )
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["app_id", "kind", "pattern", "source", "license"])
    for c in rules:
        w.writerow([c.app_id, c.kind, c.pattern, _source(c), _license(c)])
    # gzip without a timestamp or file name, so the bytes depend only on the content
    data = gzip.compress(buf.getvalue().encode("utf-8"), compresslevel=9, mtime=0)
    (OUT / "rules.csv.gz").write_bytes(data)
    (OUT / "rules.csv").unlink(missing_ok=True)
    shutil.copyfile(VENDOR / "LICENSE", OUT / "LICENSE-v2fly.txt")
    manifest = {
        "catalog_version": meta["catalog_version"],
        "source": f"github.com/v2fly/domain-list-community@{meta['v2fly_commit']}",
        "license": "MIT (see LICENSE-v2fly.txt)",
        "apps": len(apps),
        "rules": len(rules),
    }
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(f"catalog {meta['catalog_version']}: {len(apps)} apps, {len(rules)} rules -> {OUT}")


def _source(c: Claim) -> str:
    return f"v2fly:{c.source_file}" if c.source_file else "shadowlens:catalog_apps.toml"


def _license(c: Claim) -> str:
    return LICENSE_NAME if c.source_file else "Apache-2.0"


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
    args = parser.parse_args()
    if args.vendor_from:
        vendor_from(args.vendor_from)
    build()


if __name__ == "__main__":
    main()
