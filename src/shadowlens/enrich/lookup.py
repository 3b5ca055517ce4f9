"""``catalog lookup``: which app several hosts or IPs belong to, why, and how risky it is.

All queries are matched in one pass through the same matcher enrichment uses (exact host,
longest domain suffix, then CIDRs longest prefix), so a lookup answers exactly what a run
would record.

Examples
--------
>>> from shadowlens.enrich.catalog import load_catalog
>>> [r.app_id for r in lookup(["files.slack.com", "intranet.corp.example"], load_catalog())]
['slack', None]
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from ipaddress import ip_address, ip_network
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shadowlens.enrich.catalog import App, Catalog, load_catalog, pattern_is_valid, weights_path
from shadowlens.enrich.hostnames import IPV4_RE, psl
from shadowlens.enrich.risk import Attribute
from shadowlens.errors import InputError

if TYPE_CHECKING:
    from publicsuffixlist import PublicSuffixList

    from shadowlens.plugins.manager import Plugins

_V4 = re.compile(IPV4_RE)


@dataclass(frozen=True, slots=True)
class LookupResult:
    """One answered query; ``app`` is None when no rule matched."""

    host: str
    dst_domain: str | None
    app: App | None
    match_type: str | None
    rule_kind: str | None
    rule: str | None
    source: str | None

    @property
    def app_id(self) -> str | None:
        """The matched app's id, if any."""
        return None if self.app is None else self.app.app_id

    def to_json(self) -> dict[str, Any]:
        """The JSON object ``catalog lookup --json`` prints for this query."""
        a = self.app
        return {
            "host": self.host,
            "app_id": a and a.app_id,
            "app_name": a and a.name,
            "vendor": a and a.vendor,
            "category": a and a.category,
            "tags": list(a.tags) if a else [],
            "risk": a and a.risk,
            "reasons": list(a.reasons) if a else [],
            "attributes": [
                {"name": x.name, "value": x.value, "source": x.source}
                for x in (a.attributes if a else ())
            ],
            "dst_domain": self.dst_domain,
            "match_type": self.match_type,
            "rule_kind": self.rule_kind,
            "rule": self.rule,
            "source": self.source,
        }


def normalize(query: str) -> str:
    """A query as records carry hosts: trimmed, lower-case, without a trailing dot."""
    return query.strip().lower().rstrip(".")


#: Up to this many queries are answered without building the vectorized matcher.
FEW = 256


def lookup(queries: Sequence[str], catalog: Catalog) -> list[LookupResult]:
    """Answer every query (host name or IP), in order; duplicates are answered again.

    A few queries are answered by :class:`RuleIndex`, plain dictionaries with the matcher's
    precedence (a test checks both agree), which skips building the vectorized matcher;
    more go through the matcher enrichment uses.

    Examples
    --------
    >>> from shadowlens.enrich.catalog import load_catalog
    >>> r = lookup(["app.box.com"], load_catalog())[0]
    >>> r.app_id, r.rule_kind, r.rule
    ('box', 'host', 'app.box.com')
    """
    if len(queries) > FEW or catalog._matcher is not None:
        return _lookup_vectorized(queries, catalog)
    return RuleIndex(catalog).lookup(queries)


#: A rule as the index keeps it: app id, kind, pattern, source.
IndexRule = tuple[str, str, str, str]
#: An app as the index keeps it: the :class:`App` fields, attributes as plain tuples.
IndexApp = tuple[Any, ...]


class RuleIndex:
    """The catalog's rules in dictionaries, with the matcher's precedence.

    One rule per ``(kind, pattern)``, the latest layer (then the later row) winning; an exact
    host rule beats any suffix; the longest suffix wins, a whole host taking ``domain`` rules
    only and a proper suffix the ``domain`` or ``wildcard`` rule of the latest layer (a
    wildcard winning a tie); then CIDRs, the longest prefix (then the latest layer) winning.

    Only built-in types are kept (rules and apps as tuples, :class:`App` objects made for the
    answers), so an index pickles small and loads fast from the cache (:func:`load_index`).
    """

    def __init__(self, catalog: Catalog) -> None:
        best: dict[tuple[str, str], tuple[int, int, int]] = {}
        for order, r in enumerate(catalog.rules):
            if pattern_is_valid(r.kind, r.pattern):
                key = (r.kind, r.pattern)
                if key not in best or (r.layer, order) >= best[key][:2]:
                    best[key] = (r.layer, order, order)
        self.rules: list[IndexRule] = []
        self.host: dict[str, int] = {}
        self.apex: dict[str, int] = {}
        sub: dict[str, tuple[int, int, int, int]] = {}
        nets: list[tuple[int, int, tuple[int, int, int, str, int]]] = []
        for layer, order, at in best.values():
            r = catalog.rules[at]
            idx = len(self.rules)
            self.rules.append((r.app_id, r.kind, r.pattern, r.source))
            if r.kind == "host":
                self.host[r.pattern] = idx
            elif r.kind == "cidr":
                net = ip_network(r.pattern, strict=False)
                entry = (net.version, int(net.network_address), net.prefixlen, str(net), idx)
                nets.append((-net.prefixlen, -layer, entry))
            else:
                name = r.pattern.removeprefix("*.")
                if r.kind == "domain":
                    self.apex[name] = idx
                rank = (layer, int(r.kind == "wildcard"), order)
                if name not in sub or rank > sub[name][:3]:
                    sub[name] = (*rank, idx)
        self.sub = {k: v[3] for k, v in sub.items()}
        # (version, network as int, prefix length, network text, rule): longest prefix first
        self.nets = [entry for _, _, entry in sorted(nets, key=lambda t: t[:2])]
        self.apps: dict[str, IndexApp] = {
            a.app_id: (
                a.app_id, a.name, a.vendor, a.category, a.tags, a.risk, a.source, a.license,
                a.origin, tuple((x.name, x.value, x.source) for x in a.attributes), a.reasons,
                a.risk_set_by,
            )
            for a in catalog.apps.values()
        }  # fmt: skip
        self.psl: PublicSuffixList = psl()
        self._made: dict[str, App] = {}

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without the apps made for answers."""
        return {k: v for k, v in self.__dict__.items() if k != "_made"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, _made={})

    def app(self, app_id: str) -> App | None:
        """The catalog app ``app_id`` (None when the catalog has no such app)."""
        made = self._made.get(app_id)
        if made is None:
            fields = self.apps.get(app_id)
            if fields is None:
                return None
            (app_id, name, vendor, category, tags, risk, source, license_, origin, attributes,
             reasons, risk_set_by) = fields  # fmt: skip
            made = App(app_id, name, vendor, category, tags, risk, source, license_, origin,
                       tuple(Attribute(*a) for a in attributes), reasons, risk_set_by)  # fmt: skip
            self._made[app_id] = made
        return made

    def lookup(self, queries: Iterable[str]) -> list[LookupResult]:
        """Answer every query, in order (normalised first, see :func:`normalize`)."""
        return [self.answer(normalize(q)) for q in queries]

    def answer(self, text: str) -> LookupResult:
        """The result for one normalised query."""
        is_ip = bool(_V4.match(text)) or ":" in text
        domain = None if is_ip else self.psl.privatesuffix(text)
        idx = self.host.get(text)
        match = "host"
        if idx is None:
            match = "domain"
            labels = text.split(".")
            for d in range(len(labels), 0, -1):
                tail = ".".join(labels[-d:])
                idx = (self.apex if d == len(labels) else self.sub).get(tail)
                if idx is not None:
                    break
        if idx is not None:
            app_id, kind, pattern, source = self.rules[idx]
            return LookupResult(text, domain, self.app(app_id), match, kind, pattern, source)
        try:
            addr = ip_address(text) if is_ip else None
        except ValueError:
            addr = None
        if addr is not None:
            value, bits = int(addr), addr.max_prefixlen
            for version, network, prefix, net_text, at in self.nets:
                shift = bits - prefix
                if version == addr.version and value >> shift == network >> shift:
                    app_id, _, _, source = self.rules[at]
                    return LookupResult(text, domain, self.app(app_id), "ip", "cidr", net_text,
                                        source)  # fmt: skip
        return LookupResult(text, domain, None, None, None, None, None)


#: The cache folder kind of compiled lookup indexes (:mod:`shadowlens.cache`).
CACHE_KIND = "catalog"
#: Modules whose code shapes an index: an edit to one of them never reuses an old entry.
_CODE = ("catalog.py", "risk.py", "extension.py", "builtin.py", "hostnames.py", "lookup.py")


def load_index(
    paths: Sequence[str | Path] = (),
    *,
    risk_weights: str | Path | None = None,
    plugins: Plugins | None = None,
) -> RuleIndex:
    """The :class:`RuleIndex` of ``load_catalog(paths, risk_weights=..., plugins=...)``.

    Loading the catalog (CSV and TOML parsing, scoring, indexing: about 0.4 s) is skipped
    when the user cache (:mod:`shadowlens.cache`, kind ``catalog``) holds the index of the
    same inputs: the shipped catalog files, the user files (path and content), the weights
    file, the Public Suffix List, the shadowlens version and the code that builds the index.
    A missing, stale or corrupt entry is rebuilt and written atomically, and only the
    :data:`KEEP` most recently used entries are kept; ``SHADOWLENS_NO_CACHE=1`` turns the
    cache off. A catalog with a plugin source other
    than the built-in one is never cached (its data cannot be hashed).

    Raises
    ------
    ConfigError, PluginError
        As :func:`~shadowlens.enrich.catalog.load_catalog`.

    Examples
    --------
    >>> load_index().lookup(["drive.google.com"])[0].app_id
    'google-drive'
    """
    from shadowlens import cache

    name = _index_key(paths, risk_weights, plugins)
    if name is not None:
        hit = cache.load(CACHE_KIND, name)
        if isinstance(hit, RuleIndex):
            _keep(name)
            return hit
    index = RuleIndex(load_catalog(paths, risk_weights=risk_weights, plugins=plugins))
    if name is not None:
        cache.store(CACHE_KIND, name, index)
        _keep(name)
    return index


#: Index entries the cache keeps (about 2.5 MB each): the most recently used.
KEEP = 8


def _keep(name: str) -> None:
    """Mark entry ``name`` as just used and remove all but the :data:`KEEP` latest ones."""
    import os

    from shadowlens import cache

    folder = cache.cache_dir(CACHE_KIND)
    if folder is None:
        return
    try:
        os.utime(folder / name)
        entries = sorted(folder.iterdir(), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for old in entries[KEEP:]:
            old.unlink(missing_ok=True)
    except OSError:
        return  # another process pruned or wrote meanwhile: the next call tidies up


def _index_key(
    paths: Sequence[str | Path], risk_weights: str | Path | None, plugins: Plugins | None
) -> str | None:
    """The cache entry name of an index: a hash of every input, None when not cacheable."""
    import sys
    from importlib import resources

    import publicsuffixlist

    from shadowlens import __version__, cache
    from shadowlens.enrich.builtin import SHIPPED

    if plugins is not None and [s for _, s in plugins.catalog_sources()] != [SHIPPED]:
        return None
    data = resources.files("shadowlens") / "data" / "catalog"
    here = Path(__file__).parent
    parts: list[bytes | str] = ["lookup-index/1", __version__, sys.version, "plugins" if plugins is not None else "shipped",
                                publicsuffixlist.__version__]  # fmt: skip
    try:
        parts += [Path(publicsuffixlist.PSLFILE).read_bytes()]
        parts += [(data / n).read_bytes() for n in ("manifest.json", "apps.csv", "rules.csv.gz")]
        parts += [(here / n).read_bytes() for n in _CODE]
        for p in paths:
            parts += [str(p), Path(p).read_bytes()]
        weights = weights_path(paths, risk_weights)
        ref = data / "risk-weights.toml" if weights is None else Path(weights)
        parts += [str(weights), ref.read_bytes()]
    except OSError:
        return None  # load_catalog names the unreadable file
    return cache.key(*parts)


def _lookup_vectorized(queries: Sequence[str], catalog: Catalog) -> list[LookupResult]:
    """The enrichment matcher's answers (many queries, or a matcher already built)."""
    import polars as pl

    from shadowlens.enrich.match import _matcher

    texts = [normalize(q) for q in queries]
    matcher = _matcher(catalog)
    hosts = {
        row["dst_host"]: row
        for row in matcher.resolve_hosts(pl.Series(texts, dtype=pl.String)).iter_rows(named=True)
    }
    unmatched = [t for t in texts if hosts.get(t, {}).get("app_id") is None]
    ips = {
        row["ip"]: row
        for row in matcher.resolve_ips(pl.Series(unmatched, dtype=pl.String)).iter_rows(named=True)
    }
    out: list[LookupResult] = []
    for text in texts:
        h = hosts.get(text, {})
        if h.get("app_id") is not None:
            out.append(
                LookupResult(
                    text,
                    h["dst_domain"],
                    catalog.apps.get(h["app_id"]),
                    h["match_type"],
                    h["rule_kind"],
                    h["rule_pattern"],
                    h["rule_source"],
                )
            )
        elif text in ips:
            i = ips[text]
            out.append(
                LookupResult(
                    text,
                    h.get("dst_domain"),
                    catalog.apps.get(i["app_id"]),
                    "ip",
                    "cidr",
                    i["rule_pattern"],
                    i["rule_source"],
                )
            )
        else:
            out.append(LookupResult(text, h.get("dst_domain"), None, None, None, None, None))
    return out


def read_queries(path: Path) -> list[str]:
    """Hosts of a file, one per line; blank lines and ``#`` comments are skipped.

    Raises
    ------
    InputError
        The file cannot be read (the message names it).
    """
    try:
        text = path.read_text(encoding="utf-8-sig", errors="replace")
    except OSError as exc:
        msg = f"{path}: cannot read host list: {exc.strerror}"
        raise InputError(msg) from exc
    return list(_hosts(text.splitlines()))


def _hosts(lines: Iterable[str]) -> Iterable[str]:
    for line in lines:
        text = line.split("#", 1)[0].strip()
        if text:
            yield text
