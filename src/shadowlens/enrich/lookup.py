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
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network
from pathlib import Path
from typing import Any

import polars as pl

from shadowlens.enrich.catalog import App, Catalog, Rule, pattern_is_valid
from shadowlens.enrich.match import _IPV4_RE, _matcher, _psl
from shadowlens.errors import InputError

_V4 = re.compile(_IPV4_RE)


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
    index = RuleIndex(catalog)
    return [index.answer(normalize(q)) for q in queries]


class RuleIndex:
    """The catalog's rules in dictionaries, with the matcher's precedence.

    One rule per ``(kind, pattern)``, the latest layer (then the later row) winning; an exact
    host rule beats any suffix; the longest suffix wins, a whole host taking ``domain`` rules
    only and a proper suffix the ``domain`` or ``wildcard`` rule of the latest layer (a
    wildcard winning a tie); then CIDRs, the longest prefix (then the latest layer) winning.
    """

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        best: dict[tuple[str, str], tuple[int, int, Rule]] = {}
        for order, r in enumerate(catalog.rules):
            if pattern_is_valid(r.kind, r.pattern):
                key = (r.kind, r.pattern)
                if key not in best or (r.layer, order) >= best[key][:2]:
                    best[key] = (r.layer, order, r)
        self.host: dict[str, Rule] = {}
        self.apex: dict[str, Rule] = {}
        sub: dict[str, tuple[int, int, int, Rule]] = {}
        nets: list[tuple[int, int, IPv4Network | IPv6Network, Rule]] = []
        for layer, order, r in best.values():
            if r.kind == "host":
                self.host[r.pattern] = r
            elif r.kind == "cidr":
                nets.append((-ip_network(r.pattern, strict=False).prefixlen, -layer,
                             ip_network(r.pattern, strict=False), r))  # fmt: skip
            else:
                name = r.pattern.removeprefix("*.")
                if r.kind == "domain":
                    self.apex[name] = r
                rank = (layer, int(r.kind == "wildcard"), order)
                if name not in sub or rank > sub[name][:3]:
                    sub[name] = (*rank, r)
        self.sub = {k: v[3] for k, v in sub.items()}
        self.nets = [(net, r) for _, _, net, r in sorted(nets, key=lambda t: t[:2])]

    def answer(self, text: str) -> LookupResult:
        """The result for one normalised query."""
        is_ip = bool(_V4.match(text)) or ":" in text
        domain = None if is_ip else _psl().privatesuffix(text)
        rule = self.host.get(text)
        match = "host"
        if rule is None:
            match = "domain"
            labels = text.split(".")
            for d in range(len(labels), 0, -1):
                tail = ".".join(labels[-d:])
                rule = (self.apex if d == len(labels) else self.sub).get(tail)
                if rule is not None:
                    break
        if rule is not None:
            pattern = rule.pattern
            return LookupResult(text, domain, self.catalog.apps.get(rule.app_id), match,
                                rule.kind, pattern, rule.source)  # fmt: skip
        try:
            addr = ip_address(text) if is_ip else None
        except ValueError:
            addr = None
        for net, r in self.nets:
            if addr is not None and net.version == addr.version and addr in net:
                return LookupResult(text, domain, self.catalog.apps.get(r.app_id), "ip",
                                    "cidr", str(net), r.source)  # fmt: skip
        return LookupResult(text, domain, None, None, None, None, None)


def _lookup_vectorized(queries: Sequence[str], catalog: Catalog) -> list[LookupResult]:
    """The enrichment matcher's answers (many queries, or a matcher already built)."""
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
