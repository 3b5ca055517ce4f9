"""Block lists for unsanctioned apps: which apps, which names and networks, all validated.

:func:`build_blocklist` decides *what* to block; ``render`` in
:mod:`shadowlens.outputs.blockscript_targets` writes it in one appliance's syntax, and
``shadowlens blockscript`` (:mod:`shadowlens.outputs.blockscript_cmd`) does both.

Which apps
    Apps tagged ``unsanctioned`` in the catalog (the starter catalog plus the user's
    ``--catalog`` overlays), plus, when a :class:`Policy` sets one, apps not tagged
    ``sanctioned`` whose risk is below ``risk_below`` (apps without a score never match) and/or
    whose category is one of ``categories`` (both given: both must hold).
Which names
    ``seen`` scope (the default): the catalog rules that matched traffic in ``out/records``,
    re-matched with the catalog given now, so tags and apps added after the run count.
    ``all`` scope: every rule of the selected apps. A ``domain`` rule blocks the domain and
    its subdomains, a ``host`` rule that exact host, a ``wildcard`` ``*.x.com`` becomes the
    domain ``x.com``, a ``cidr`` rule a network (only for targets that take addresses).
    Hosts seen under a blocked domain are kept apart (:attr:`BlockList.seen_hosts`) for
    targets that match exact names only.
Validation
    Every name is converted to IDNA punycode, lower-cased and must be a strict LDH host name
    (letters, digits, inner hyphens; at least two labels; no public suffix such as ``co.uk``).
    Networks must be canonical and not absurdly wide. Anything else, whether it came from a
    log or from a user file, is :class:`Skipped` with its origin and never written.

Examples
--------
>>> check_name("Bücher.example")
('xn--bcher-kva.example', None)
>>> check_name("evil.com; reboot")[1]
'not a valid host name'
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import idna
import polars as pl
from publicsuffixlist import PublicSuffixList

from shadowlens.enrich.catalog import App, Catalog, Rule
from shadowlens.enrich.match import Matcher
from shadowlens.errors import ConfigError

__all__ = [
    "HOSTNAME_RE",
    "MAX_SEEN_HOSTS",
    "BlockList",
    "Entry",
    "Policy",
    "Skipped",
    "build_blocklist",
    "check_cidr",
    "check_name",
    "merge",
    "safe_repr",
    "to_ascii",
]

#: Seen hosts kept per blocked rule for exact-name targets (most requested first).
MAX_SEEN_HOSTS = 50

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_TLD = r"(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})"
#: A strict host name: LDH labels, at least two, alphabetic (or punycode) top-level label.
HOSTNAME_RE = re.compile(rf"(?:{_LABEL}\.)+{_TLD}", re.ASCII)
_CIDR_CHARS = re.compile(r"[0-9A-Fa-f:./]{2,50}", re.ASCII)
_MIN_PREFIX = {4: 8, 6: 16}
_PSL: PublicSuffixList | None = None


def _icann() -> PublicSuffixList:
    global _PSL
    if _PSL is None:
        _PSL = PublicSuffixList(only_icann=True)
    return _PSL


# --------------------------------------------------------------------------- validation


def safe_repr(value: object, limit: int = 80) -> str:
    """``value`` quoted with every non-printable or non-ASCII character escaped.

    Used for anything untrusted that is echoed to a terminal.

    Examples
    --------
    >>> safe_repr("a\\nrm -rf /")
    "'a\\\\nrm -rf /'"
    """
    text = ascii(str(value))
    return text if len(text) <= limit else text[: limit - 4] + "...'"


def to_ascii(name: str) -> str | None:
    """``name`` lower-cased, without a trailing dot, IDN labels in punycode; None if not IDNA.

    Lenient: the result is not yet checked against :data:`HOSTNAME_RE`.

    Examples
    --------
    >>> to_ascii("WWW.Dropbox.COM."), to_ascii("pаypal.com")
    ('www.dropbox.com', 'xn--pypal-4ve.com')
    """
    text = name[:-1] if name.endswith(".") else name
    if not text or len(text) > 1000:
        return None
    if text.isascii():
        return text.lower()
    try:
        return idna.encode(text, uts46=True).decode("ascii").lower()
    except (idna.IDNAError, UnicodeError, ValueError):
        return None


def check_name(name: str) -> tuple[str, None] | tuple[None, str]:
    """``(normalized, None)`` for a host name fit for a block script, else ``(None, reason)``.

    Examples
    --------
    >>> check_name("Files.Example.NET")
    ('files.example.net', None)
    >>> check_name("co.uk"), check_name("amazon")
    ((None, 'is a public suffix'), (None, 'is a top-level domain'))
    """
    text = to_ascii(name)
    if text is None:
        return None, "not a valid (internationalised) domain name"
    if len(text) > 253 or not HOSTNAME_RE.fullmatch(text):
        if re.fullmatch(_TLD, text, re.ASCII):
            return None, "is a top-level domain"
        return None, "not a valid host name"
    for label in text.split("."):
        if label.startswith("xn--"):
            try:
                idna.decode(label)
            except (idna.IDNAError, UnicodeError, ValueError):
                return None, "invalid punycode label"
    if _icann().is_public(text):
        return None, "is a public suffix"
    return text, None


def check_cidr(text: str) -> tuple[str, None] | tuple[None, str]:
    """``(canonical network, None)`` for a network fit for a block script, else ``(None, reason)``.

    Examples
    --------
    >>> check_cidr("203.0.113.7/24"), check_cidr("0.0.0.0/0")
    (('203.0.113.0/24', None), (None, 'network wider than /8'))
    """
    if not _CIDR_CHARS.fullmatch(text):
        return None, "not an IP network"
    try:
        net = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None, "not an IP network"
    if net.prefixlen < _MIN_PREFIX[net.version]:
        return None, f"network wider than /{_MIN_PREFIX[net.version]}"
    if net.is_unspecified or net.is_loopback or net.is_multicast or net.is_link_local:
        return None, "special-purpose network (loopback, link-local, multicast)"
    return str(net), None


# --------------------------------------------------------------------------- model


@dataclass(frozen=True, slots=True)
class Policy:
    """Which catalog apps to block.

    Examples
    --------
    >>> Policy(risk_below=5, categories=("Cloud storage",)).describe()
    'tagged unsanctioned, or not tagged sanctioned with risk below 5 and category Cloud storage'
    """

    risk_below: int | None = None
    categories: tuple[str, ...] = ()
    tag: str = "unsanctioned"

    def reason(self, app: App) -> str | None:
        """Why ``app`` is blocked, or None when it is not."""
        if self.tag in app.tags:
            return f"tagged {self.tag}"
        if (self.risk_below is None and not self.categories) or "sanctioned" in app.tags:
            return None
        why: list[str] = []
        if self.risk_below is not None:
            if app.risk is None or app.risk >= self.risk_below:
                return None
            why.append(f"risk {app.risk} below {self.risk_below}")
        if self.categories:
            if app.category.casefold() not in {c.casefold() for c in self.categories}:
                return None
            why.append(f"category {app.category}")
        return " and ".join(why)

    def describe(self) -> str:
        """The policy in one line (for headers)."""
        text = f"tagged {self.tag}"
        extra = []
        if self.risk_below is not None:
            extra.append(f"risk below {self.risk_below}")
        if self.categories:
            extra.append("category " + " or ".join(self.categories))
        return text + (", or not tagged sanctioned with " + " and ".join(extra) if extra else "")


@dataclass(frozen=True, slots=True)
class Entry:
    """One thing to block: ``kind`` is ``domain`` (with subdomains), ``host`` or ``cidr``."""

    kind: str
    value: str
    apps: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Skipped:
    """A value that failed validation and was left out; ``where`` is ``file:line`` or a column."""

    value: str
    reason: str
    where: str
    app_id: str

    def __str__(self) -> str:
        where = "".join(c if c.isprintable() else "?" for c in self.where)
        return f"{where}: skipped {safe_repr(self.value)} (app {safe_repr(self.app_id, 40)}): {self.reason}"


@dataclass(slots=True)
class BlockList:
    """What :func:`build_blocklist` decided; rendered by ``blockscript_targets.render``."""

    policy: Policy
    scope: str  # "seen" | "all"
    apps: dict[str, App]
    reasons: dict[str, str]
    entries: list[Entry]
    seen_hosts: list[Entry]
    skipped: list[Skipped] = field(default_factory=list)
    overlaps: list[tuple[str, str, str]] = field(default_factory=list)  # (entry, pattern, app)
    capped: int = 0
    catalog_version: str = ""
    catalog_files: tuple[str, ...] = ()
    records: bool = False

    @property
    def seen_apps(self) -> set[str]:
        """Ids of blocked apps that have at least one entry."""
        return {a for e in self.entries for a in e.apps}


# --------------------------------------------------------------------------- building


def _sort_key(entry: Entry) -> tuple[int, int, int, str]:
    if entry.kind == "cidr":
        net = ipaddress.ip_network(entry.value)
        return (1, net.version, int(net.network_address) * 256 + net.prefixlen, "")
    return (0, 0, 0, entry.value)


def merge(entries: Iterable[Entry]) -> list[Entry]:
    """Deduplicate by value (``domain`` beats ``host``, apps united) and sort deterministically.

    Names sort as strings, networks after them by address then prefix.

    Examples
    --------
    >>> [e.value for e in merge([Entry("host", "b.example", ("x",)), Entry("domain", "a.example", ("y",))])]
    ['a.example', 'b.example']
    """
    by_value: dict[str, Entry] = {}
    for e in entries:
        old = by_value.get(e.value)
        if old is not None:
            kind = "domain" if "domain" in (old.kind, e.kind) else e.kind
            e = Entry(kind, e.value, tuple(sorted({*old.apps, *e.apps})))
        by_value[e.value] = e
    return sorted(by_value.values(), key=_sort_key)


def _normalize_rules(
    catalog: Catalog, apps: dict[str, App], skipped: list[Skipped]
) -> tuple[list[Rule], dict[tuple[str, str], Rule], dict[Rule, str]]:
    """Rules with punycode patterns, the effective rule per pattern, and changed ones' raw text.

    Patterns that cannot be normalized are dropped (the matcher would ignore them too); those
    of blocked ``apps`` are recorded in ``skipped``.
    """
    out: list[Rule] = []
    raw: dict[Rule, str] = {}
    for rule in catalog.rules:
        pattern: str | None
        if rule.kind == "cidr":
            try:
                pattern = str(ipaddress.ip_network(rule.pattern, strict=False))
            except ValueError:
                pattern = None
        elif rule.kind == "wildcard" and rule.pattern.startswith("*."):
            base = to_ascii(rule.pattern[2:])
            pattern = None if base is None else "*." + base
        else:
            pattern = to_ascii(rule.pattern)
        if pattern is None:
            if rule.app_id in apps:
                skipped.append(Skipped(rule.pattern, "not a valid domain name or network",
                                       rule.origin or "catalog", rule.app_id))  # fmt: skip
            continue
        if pattern == rule.pattern:
            out.append(rule)
            continue
        norm = Rule(rule.app_id, rule.kind, pattern, rule.source, rule.license, rule.origin,
                    rule.layer)  # fmt: skip
        out.append(norm)
        raw[norm] = rule.pattern
    effective: dict[tuple[str, str], Rule] = {}
    ordered = sorted(out, key=lambda r: r.layer)  # stable: rows keep their order in a layer
    for rule in ordered:  # the later layer, then the later row, wins (as in the matcher)
        effective[(rule.kind, rule.pattern)] = rule
    return out, effective, raw


def _entry_of(rule: Rule, skipped: list[Skipped], raw: dict[Rule, str]) -> Entry | None:
    """The block entry of one rule, or None (recorded in ``skipped``)."""
    text = rule.pattern[2:] if rule.kind == "wildcard" else rule.pattern
    value, reason = check_cidr(text) if rule.kind == "cidr" else check_name(text)
    if value is None:
        skipped.append(Skipped(raw.get(rule, rule.pattern), str(reason),
                               rule.origin or "catalog", rule.app_id))  # fmt: skip
        return None
    kind = {"cidr": "cidr", "host": "host"}.get(rule.kind, "domain")
    return Entry(kind, value, (rule.app_id,))


def _records(out_dir: Path) -> pl.LazyFrame | None:
    files = sorted((out_dir / "records").rglob("*.parquet"))
    if not files:
        return None
    lf = pl.scan_parquet(files)
    names = lf.collect_schema().names()
    cols = [
        (pl.col(c) if c in names else pl.lit(None)).cast(pl.String).alias(c)
        for c in ("dst_host", "dst_ip")
    ]
    return lf.select(cols)


def _seen(lf: pl.LazyFrame, matcher: Matcher) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per distinct host: the matched rule and request count; per distinct IP: the CIDR rule."""
    counts = lf.group_by("dst_host").agg(pl.len().alias("n")).collect()
    hosts = matcher.resolve_hosts(counts["dst_host"]).join(counts, on="dst_host", how="left")
    unmatched = hosts.filter(pl.col("app_id").is_null()).select("dst_host")
    host = pl.col("dst_host")
    literal = pl.when(host.str.contains(r"^[0-9.]+$") | host.str.contains(":", literal=True))
    ips = (
        pl.concat([lf.filter(host.is_null()), lf.join(unmatched.lazy(), on="dst_host", how="semi")])
        .select(pl.coalesce(pl.col("dst_ip"), literal.then(host)).alias("ip"))
        .unique()
        .collect()
    )
    return hosts, matcher.resolve_ips(ips["ip"])


def build_blocklist(
    out_dir: str | Path,
    catalog: Catalog,
    policy: Policy | None = None,
    *,
    only_seen: bool = True,
    catalog_files: Sequence[str] = (),
) -> BlockList:
    """Select the apps ``policy`` blocks and collect their validated entries.

    Parameters
    ----------
    out_dir
        A folder written by ``shadowlens run`` (``out/records/*.parquet``). With
        ``only_seen=False`` it may lack records; seen hosts are then empty.
    catalog
        The catalog to decide with (starter catalog plus overlays).
    policy
        Tags, risk and categories that select apps (default: tagged ``unsanctioned``).
    only_seen
        Only rules that matched traffic in the records (default), or every rule of the apps.
    catalog_files
        Overlay file names, for the script header.

    Raises
    ------
    ConfigError
        ``only_seen`` and the folder has no records.
    """
    folder = Path(out_dir)
    lf = _records(folder)
    if lf is None and only_seen:
        msg = (
            f"{folder}: no records/*.parquet here; run 'shadowlens run' first, or use --all-catalog"
        )
        raise ConfigError(msg)
    policy = policy or Policy()
    reasons = {a.app_id: r for a in catalog.apps.values() if (r := policy.reason(a)) is not None}
    apps = {k: catalog.apps[k] for k in sorted(reasons)}
    skipped: list[Skipped] = []
    rules, effective, raw = _normalize_rules(catalog, apps, skipped)
    mine = [r for r in effective.values() if r.app_id in apps]
    seen_hosts: list[Entry] = []
    capped = 0
    if lf is not None and apps:
        matched = Catalog(catalog.apps, rules, catalog.version)
        hosts, ips = _seen(lf, Matcher(matched))
        ids = list(apps)
        hits = hosts.filter(pl.col("app_id").is_in(ids)).sort(
            ["n", "dst_host"], descending=[True, False]
        )
        ip_hits = ips.filter(pl.col("app_id").is_in(ids))
        used = {(k, p) for k, p in zip(hits["rule_kind"], hits["rule_pattern"], strict=True)}
        used |= {("cidr", p) for p in ip_hits["rule_pattern"]}
        if only_seen:
            mine = [r for r in mine if (r.kind, r.pattern) in used]
        seen_hosts, capped = _seen_hosts(hits, skipped)
    entries = [e for r in mine if (e := _entry_of(r, skipped, raw)) is not None]
    merged = merge(entries)
    return BlockList(
        policy=policy,
        scope="seen" if only_seen else "all",
        apps=apps,
        reasons=reasons,
        entries=merged,
        seen_hosts=merge(seen_hosts),
        skipped=sorted(set(skipped), key=lambda s: (s.where, s.value)),
        overlaps=_overlaps(merged, effective, apps),
        capped=capped,
        catalog_version=catalog.version,
        catalog_files=tuple(catalog_files),
        records=lf is not None,
    )


def _seen_hosts(hits: pl.DataFrame, skipped: list[Skipped]) -> tuple[list[Entry], int]:
    """Validated hosts seen under blocked domain rules (log data), capped per rule."""
    out: list[Entry] = []
    per_rule: dict[tuple[str, str], int] = {}
    capped = 0
    for row in hits.filter(pl.col("rule_kind") != "host").iter_rows(named=True):
        host, app_id = row["dst_host"], row["app_id"]
        value, reason = check_name(host)
        if value is None:
            skipped.append(Skipped(host, str(reason), "records (dst_host)", app_id))
            continue
        pattern = row["rule_pattern"]
        if value == pattern.removeprefix("*."):
            continue  # the rule's own domain is an entry already
        key = (app_id, pattern)
        per_rule[key] = per_rule.get(key, 0) + 1
        if per_rule[key] > MAX_SEEN_HOSTS:
            capped += 1
            continue
        out.append(Entry("host", value, (app_id,)))
    return out, capped


def _overlaps(
    entries: list[Entry], effective: dict[tuple[str, str], Rule], apps: dict[str, App]
) -> list[tuple[str, str, str]]:
    """Rules of apps *not* blocked that a blocked domain would also cover."""
    domains = {e.value: e for e in entries if e.kind == "domain"}
    out: list[tuple[str, str, str]] = []
    for (kind, pattern), rule in effective.items():
        if rule.app_id in apps or kind == "cidr":
            continue
        name = pattern[2:] if kind == "wildcard" else pattern
        parts = name.split(".")
        for i in range(len(parts) - 1):
            suffix = ".".join(parts[i:])
            if suffix in domains:
                out.append((suffix, pattern, rule.app_id))
                break
    return sorted(set(out))
