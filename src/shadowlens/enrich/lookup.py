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

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from shadowlens.enrich.catalog import App, Catalog
from shadowlens.enrich.match import _matcher
from shadowlens.errors import InputError


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


def lookup(queries: Sequence[str], catalog: Catalog) -> list[LookupResult]:
    """Answer every query (host name or IP), in order; duplicates are answered again.

    Examples
    --------
    >>> from shadowlens.enrich.catalog import load_catalog
    >>> r = lookup(["app.box.com"], load_catalog())[0]
    >>> r.app_id, r.rule_kind, r.rule
    ('box', 'host', 'app.box.com')
    """
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
