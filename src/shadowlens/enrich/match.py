"""Vectorized enrichment of records with the app catalog.

Work happens per *distinct* host and per distinct IP, never per record:

1. the distinct ``dst_host`` values not yet in the matcher's cache are resolved: registrable
   domain via ``publicsuffixlist`` (one Python call per distinct host, the only Python loop,
   because that library works per string; private suffixes such as ``github.io`` count);
   exact ``host`` rules by a join; then every dot-suffix of each host is generated with list
   operations and joined against ``domain`` and ``wildcard`` rules, keeping the longest;
2. records whose host matched nothing use ``dst_ip`` (or an IP literal in ``dst_host``):
   IPv4 addresses become integers (polars string and integer kernels) and IPv6 addresses two
   64-bit halves (:mod:`ipaddress`, once per distinct address); each is masked once per
   distinct prefix length of the CIDR rules and joined on ``(prefix length, network)``,
   the longest prefix winning;
3. the small per-host and per-IP tables are left-joined back onto the records.

When two rules match at the same length, the later catalog layer (a user file) wins.
The resolved hosts are cached on the catalog, so repeated batches skip known hosts.

Examples
--------
>>> import polars as pl
>>> from shadowlens.enrich.catalog import load_catalog
>>> df = pl.DataFrame({"dst_host": ["www.dropbox.com", "nope.example"], "dst_ip": [None, None]})
>>> enrich(df, load_catalog()).select("app_name", "match_type").rows()
[('Dropbox', 'domain'), (None, None)]
"""

from __future__ import annotations

import ipaddress
import threading
from dataclasses import dataclass
from typing import Any, TypeVar, overload

import polars as pl

from shadowlens.enrich.catalog import Catalog, pattern_is_valid
from shadowlens.enrich.domains import depth_needed, split_tails, with_registrable
from shadowlens.enrich.hostnames import IPV4_RE, psl

FrameT = TypeVar("FrameT", pl.DataFrame, pl.LazyFrame)

_ENRICH_COLUMNS = (
    "dst_domain",
    "app_id",
    "app_name",
    "app_category",
    "app_tags",
    "app_risk",
    "match_type",
)
_HOST_SCHEMA = {
    "dst_host": pl.String, "dst_domain": pl.String, "app_id": pl.String,
    "match_type": pl.String, "rule_kind": pl.String, "rule_pattern": pl.String,
    "rule_source": pl.String,
}  # fmt: skip
_CACHE_LIMIT = 1_000_000
_IPV4_RE = IPV4_RE
_psl = psl  # the parsers' dst_domain uses it


@dataclass(frozen=True, slots=True)
class Explanation:
    """What :func:`explain` found for one host or IP."""

    query: str
    dst_domain: str | None
    app_id: str | None
    match_type: str | None
    rule_kind: str | None
    rule_pattern: str | None
    rule_source: str | None


class Matcher:
    """Prepared rule tables of one catalog plus a host -> match cache."""

    def __init__(self, catalog: Catalog) -> None:
        rows = [
            (r.app_id, r.kind, r.pattern, r.source, r.layer, i)
            for i, r in enumerate(catalog.rules)
            if pattern_is_valid(r.kind, r.pattern)
        ]
        rules = pl.DataFrame(
            rows, schema=["app_id", "kind", "pattern", "source", "layer", "order"], orient="row"
        )
        # one rule per (kind, pattern): the later layer, then the later row, wins
        rules = rules.sort("layer", "order").unique(
            ["kind", "pattern"], keep="last", maintain_order=True
        )
        self.table, self.keys, self.depth = _rule_tables(rules)
        self.cidrs = [
            (ipaddress.ip_network(p, strict=False), a, s, layer)
            for a, k, p, s, layer, _ in rows
            if k == "cidr"
        ]
        self.v4 = _v4_table(self.cidrs)
        self.v6 = _v6_table(self.cidrs)
        apps = list(catalog.apps.values())
        self.apps = pl.DataFrame(
            {
                "app_id": [a.app_id for a in apps],
                "app_name": [a.name for a in apps],
                "app_category": [a.category for a in apps],
                "app_tags": [list(a.tags) for a in apps],
                "app_risk": [a.risk for a in apps],
            },
            schema={
                "app_id": pl.String,
                "app_name": pl.String,
                "app_category": pl.String,
                "app_tags": pl.List(pl.String),
                "app_risk": pl.UInt8,
            },
        )
        self.cache = pl.DataFrame(schema=_HOST_SCHEMA)
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without its lock (a Dask worker gets its own; the cache travels)."""
        state = dict(self.__dict__)
        del state["_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ hosts

    def resolve_hosts(
        self, hosts: pl.Series, *, distinct: bool = False, aligned: bool = False
    ) -> pl.DataFrame:
        """Match table, one row per host, for ``hosts`` (``distinct``: they do not repeat).

        ``aligned`` (with ``distinct`` and no null host): row ``i`` answers ``hosts[i]``.
        Uses and fills the cache; safe to call from the pipeline's worker threads at once
        (the cache is read and extended under a lock, the matching itself runs outside it).
        """
        wanted = pl.DataFrame({"dst_host": hosts.cast(pl.String)}).drop_nulls()
        if not distinct:
            wanted = wanted.unique()
        with self._lock:
            cache = self.cache
        if cache.height:
            known = wanted.join(cache, on="dst_host", how="inner")
            new = wanted.join(known, on="dst_host", how="anti", maintain_order="left")
        else:  # the first batch of a run: nothing to look up
            known, new = cache, wanted
        if not new.height:
            return _align(wanted, known) if aligned else known
        found = self._match_hosts(new["dst_host"])
        with self._lock:
            fresh = (
                found.join(self.cache, on="dst_host", how="anti") if self.cache.height else found
            )
            if self.cache.height + fresh.height > _CACHE_LIMIT:
                self.cache = self.cache.clear()
            self.cache = pl.concat([self.cache, fresh])
        if not known.height:
            return found  # one row per new host, in their order
        both = pl.concat([known, found])
        return _align(wanted, both) if aligned else both

    def _match_hosts(self, hosts: pl.Series) -> pl.DataFrame:
        """Per distinct host: registrable domain and the winning rule, with polars kernels.

        Every host is cut into its tails (last 1, 2, ... labels, lower-cased); each tail is
        looked up in the apex table (``domain`` rules, for the whole host) or the sub table
        (the best ``domain``/``wildcard`` rule of a pattern, for a proper suffix); an exact
        ``host`` rule beats any suffix, and the longest suffix beats shorter ones.
        """
        is_ip = hosts.str.contains(_IPV4_RE) | hosts.str.contains(":", literal=True)
        frame = with_registrable(split_tails(hosts, max(self.depth, depth_needed())))
        n = pl.col("n")
        candidates = [pl.col("name").replace_strict(*self.keys["host"], default=None)]
        have = max(int(c[1:]) for c in frame.columns if c[:1] == "t" and c[1:].isdigit())
        for d in range(min(self.depth, have), 0, -1):
            tail = pl.col(f"t{d}")
            candidates.append(
                pl.when(n == d)
                .then(tail.replace_strict(*self.keys["apex"], default=None))
                .when(n > d)
                .then(tail.replace_strict(*self.keys["sub"], default=None))
            )
        best = frame.select(
            dst_host=pl.col("h"),
            dst_domain=pl.when(pl.Series(is_ip)).then(None).otherwise(pl.col("dst_domain")),
            idx=pl.coalesce(*candidates),
        )
        # idx is the rule's row in self.table: a gather, in the hosts' order
        rules = self.table.select(pl.exclude("idx").gather(best["idx"]))
        return best.select("dst_host", "dst_domain").hstack(rules).select(
            "dst_host", "dst_domain", "app_id", "match_type", "rule_kind", "rule_pattern",
            "rule_source",
        )  # fmt: skip

    # ------------------------------------------------------------------ IPs

    def resolve_ips(self, ips: pl.Series) -> pl.DataFrame:
        """Match table ``ip -> app_id, rule_pattern, rule_source`` for the distinct ``ips``."""
        ips = pl.DataFrame({"ip": ips.cast(pl.String)}).drop_nulls().unique()["ip"]
        empty = pl.DataFrame(
            schema={
                "ip": pl.String,
                "app_id": pl.String,
                "rule_pattern": pl.String,
                "rule_source": pl.String,
            }
        )
        if not self.cidrs or ips.is_empty():
            return empty
        v4 = ips.filter(ips.str.contains(_IPV4_RE))
        parts = [self._match_v4(v4)] if self.v4.height else []
        if self.v6.height:
            parts.append(self._match_v6(ips.filter(ips.str.contains(":", literal=True))))
        return pl.concat([empty, *parts])

    def _match_v4(self, ips: pl.Series) -> pl.DataFrame:
        octets = ips.str.split(".").list.to_struct(fields=["a", "b", "c", "d"]).struct.unnest()
        value = octets.select(
            (pl.col("a").cast(pl.Int64) * 16777216 + pl.col("b").cast(pl.Int64) * 65536
             + pl.col("c").cast(pl.Int64) * 256 + pl.col("d").cast(pl.Int64)).alias("value")
        )["value"]  # fmt: skip
        frame = pl.DataFrame({"ip": ips, "value": value})
        lens = self.v4.select(pl.col("prefix").unique())
        cand = frame.join(lens, how="cross").with_columns(
            network=(pl.col("value") // (2 ** (32 - pl.col("prefix"))))
            * (2 ** (32 - pl.col("prefix")))
        )
        hit = cand.join(self.v4, on=["prefix", "network"], how="inner")
        return (
            hit.sort(["ip", "prefix", "layer"], descending=[False, True, True])
            .unique("ip", keep="first")
            .select("ip", "app_id", "rule_pattern", "rule_source")
        )

    def _match_v6(self, ips: pl.Series) -> pl.DataFrame:
        """Distinct IPv6 addresses -> longest matching network, as a join per prefix length."""
        rows = []
        for text in ips.to_list():
            try:
                value = int(ipaddress.IPv6Address(text))
            except ValueError:
                continue  # not an address (a zone id, garbage): no app
            rows.append((text, value >> 64, value & _LOW64))
        frame = pl.DataFrame(
            rows, schema={"ip": pl.String, "hi": pl.UInt64, "lo": pl.UInt64}, orient="row"
        )
        masks = pl.DataFrame(
            [(p, *_v6_mask(p)) for p in self.v6["prefix"].unique().to_list()],
            schema={"prefix": pl.Int64, "mask_hi": pl.UInt64, "mask_lo": pl.UInt64},
            orient="row",
        )
        cand = frame.join(masks, how="cross").select(
            "ip",
            "prefix",
            net_hi=pl.col("hi") & pl.col("mask_hi"),
            net_lo=pl.col("lo") & pl.col("mask_lo"),
        )
        hit = cand.join(self.v6, on=["prefix", "net_hi", "net_lo"], how="inner")
        return (
            hit.sort(["ip", "prefix", "layer"], descending=[False, True, True])
            .unique("ip", keep="first")
            .select("ip", "app_id", "rule_pattern", "rule_source")
        )


_LOW64 = (1 << 64) - 1


def _rule_tables(
    rules: pl.DataFrame,
) -> tuple[pl.DataFrame, dict[str, tuple[pl.Series, pl.Series]], int]:
    """One row per usable rule (``idx`` -> app and rule) and the three lookup maps into it.

    ``host``: exact host -> host rule; ``apex``: a whole host -> its ``domain`` rule; ``sub``:
    a proper suffix -> the ``domain`` or ``wildcard`` rule of that pattern from the latest
    layer (a wildcard wins a tie). Also the most labels of any suffix pattern.
    """
    named = rules.filter(pl.col("kind") != "cidr").with_columns(
        key=pl.col("pattern").str.strip_prefix("*.")
    )
    host = named.filter(pl.col("kind") == "host").with_columns(match_type=pl.lit("host"))
    apex = named.filter(pl.col("kind") == "domain").with_columns(match_type=pl.lit("domain"))
    sub = (
        named.filter(pl.col("kind").is_in(["domain", "wildcard"]))
        .sort(["key", "layer", "kind", "order"], descending=[False, True, True, True])
        .unique("key", keep="first", maintain_order=True)
        .with_columns(match_type=pl.lit("domain"))
    )
    parts = [host.with_columns(part=pl.lit("host")), apex.with_columns(part=pl.lit("apex")),
             sub.with_columns(part=pl.lit("sub"))]  # fmt: skip
    table = pl.concat(parts).with_row_index("idx").with_columns(pl.col("idx").cast(pl.Int64))
    keys = {
        part: (sub_t["key"], sub_t["idx"])
        for part, sub_t in ((p, table.filter(pl.col("part") == p)) for p in ("host", "apex", "sub"))
    }
    dots = table["key"].str.count_matches(".", literal=True).max()
    depth = (dots if isinstance(dots, int) else 0) + 1
    return (
        table.select(
            "idx", "app_id", "match_type",
            pl.col("kind").alias("rule_kind"), pl.col("pattern").alias("rule_pattern"),
            pl.col("source").alias("rule_source"),
        ),
        keys,
        depth,
    )  # fmt: skip


def _align(wanted: pl.DataFrame, table: pl.DataFrame) -> pl.DataFrame:
    """The rows of ``table`` in the order of ``wanted`` (both keyed by ``dst_host``)."""
    return wanted.join(table, on="dst_host", how="left", maintain_order="left")


def _v6_mask(prefix: int) -> tuple[int, int]:
    """The (high, low) 64-bit halves of an IPv6 netmask of ``prefix`` bits."""
    mask = ((1 << prefix) - 1) << (128 - prefix)
    return mask >> 64, mask & _LOW64


def _v6_table(
    cidrs: list[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str, str, int]],
) -> pl.DataFrame:
    rows = [
        (n.prefixlen, int(n.network_address) >> 64, int(n.network_address) & _LOW64, a, str(n), s, layer)
        for n, a, s, layer in cidrs
        if n.version == 6
    ]  # fmt: skip
    return pl.DataFrame(
        rows,
        schema={
            "prefix": pl.Int64, "net_hi": pl.UInt64, "net_lo": pl.UInt64, "app_id": pl.String,
            "rule_pattern": pl.String, "rule_source": pl.String, "layer": pl.Int64,
        },
        orient="row",
    )  # fmt: skip


def _v4_table(
    cidrs: list[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str, str, int]],
) -> pl.DataFrame:
    rows = [
        (n.prefixlen, int(n.network_address), a, str(n), s, layer)
        for n, a, s, layer in cidrs
        if n.version == 4
    ]
    return pl.DataFrame(
        rows,
        schema={
            "prefix": pl.Int64,
            "network": pl.Int64,
            "app_id": pl.String,
            "rule_pattern": pl.String,
            "rule_source": pl.String,
            "layer": pl.Int64,
        },
        orient="row",
    )


def _matcher(catalog: Catalog) -> Matcher:
    if catalog._matcher is None:
        catalog._matcher = Matcher(catalog)
    matcher: Matcher = catalog._matcher
    return matcher


# --------------------------------------------------------------------------- public API


@overload
def enrich(records: pl.DataFrame, catalog: Catalog) -> pl.DataFrame: ...
@overload
def enrich(records: pl.LazyFrame, catalog: Catalog) -> pl.LazyFrame: ...
def enrich(records: pl.DataFrame | pl.LazyFrame, catalog: Catalog) -> pl.DataFrame | pl.LazyFrame:
    """Fill ``dst_domain`` and the app columns of ``records`` from ``catalog``.

    Row order and all other columns are kept. ``match_type`` is ``host`` (exact host rule),
    ``domain`` (domain or wildcard rule on a suffix), ``ip`` (CIDR rule) or null. An existing
    non-null ``dst_domain`` is kept. A LazyFrame stays lazy, but its host and IP columns are
    collected first (one extra scan of its source).

    Parameters
    ----------
    records
        Frame with ``dst_host`` and/or ``dst_ip`` (missing ones count as null).
    catalog
        From :func:`shadowlens.enrich.catalog.load_catalog`.

    Examples
    --------
    >>> import polars as pl
    >>> from shadowlens.enrich.catalog import load_catalog
    >>> enrich(pl.DataFrame({"dst_host": ["mail.google.com"]}), load_catalog())["app_id"].to_list()
    ['gmail']
    """
    lf = records.lazy()
    names = lf.collect_schema().names()
    matcher = _matcher(catalog)
    host = pl.col("dst_host") if "dst_host" in names else pl.lit(None, pl.String)
    ip = pl.col("dst_ip") if "dst_ip" in names and matcher.cidrs else pl.lit(None, pl.String)
    keys = lf.select(host.cast(pl.String).alias("h"), ip.cast(pl.String).alias("ip")).collect()
    # per distinct host: its domain and app; each record finds its host by position
    hosts = keys["h"].unique().drop_nulls()
    by_host = matcher.resolve_hosts(hosts, distinct=True, aligned=True).join(
        matcher.apps, on="app_id", how="left", maintain_order="left"
    )
    at_host = _positions(keys["h"], hosts)
    host_app = by_host["app_id"].is_not_null().gather(at_host).fill_null(False)
    at = at_host.alias("at").to_frame().select(pl.when(host_app).then("at"))["at"]
    table = by_host.select(_APP_COLUMNS)
    if matcher.cidrs:  # records whose host has no app: by IP (an IP literal host counts as one)
        literal = hosts.str.contains(_IPV4_RE) | hosts.str.contains(":", literal=True)
        literal = literal & by_host["app_id"].is_null()  # IP literal hosts without an app
        unmatched = keys["ip"].filter(~host_app).drop_nulls()
        ips = pl.concat([unmatched, hosts.filter(literal)]).unique()
        by_ip = (
            pl.DataFrame({"ip": ips})
            .join(matcher.resolve_ips(ips).select("ip", "app_id"), on="ip", how="left",
                  maintain_order="left")
            .join(matcher.apps, on="app_id", how="left", maintain_order="left")
            .with_columns(match_type=pl.when(pl.col("app_id").is_not_null()).then(pl.lit("ip")))
        )  # fmt: skip
        at_ip = _positions(keys["ip"], ips, where=~host_app)
        at_literal = _positions(hosts.filter(literal), ips)  # a literal host's IP position
        host_ip = pl.repeat(None, hosts.len(), dtype=pl.UInt32, eager=True)
        host_ip = host_ip.scatter(literal.arg_true(), at_literal) if at_literal.len() else host_ip
        at_ip = pl.coalesce(at_ip, pl.when(~host_app).then(host_ip.gather(at_host)), eager=True)
        ip_app = by_ip["app_id"].is_not_null().gather(at_ip).fill_null(False)
        offset = pl.lit(table.height, pl.UInt32)
        at = pl.select(pl.when(host_app).then(at).when(ip_app).then(at_ip + offset)).to_series()
        table = pl.concat([table, by_ip.select(_APP_COLUMNS)])
    # one gather of the app columns from the host rows and IP rows (from one chunk: a gather
    # across chunks costs three times more)
    matched = (
        table.rechunk()
        .select(pl.all().gather(at))
        .with_columns(__dom=by_host["dst_domain"].rechunk().gather(at_host))
    )
    existing_domain = pl.col("dst_domain") if "dst_domain" in names else pl.lit(None, pl.String)
    base = lf.drop([c for c in _ENRICH_COLUMNS if c != "dst_domain"], strict=False)
    joined = pl.concat([base, matched.lazy()], how="horizontal").with_columns(
        dst_domain=pl.coalesce(existing_domain.cast(pl.String), "__dom")
    )
    order = names + [c for c in _ENRICH_COLUMNS if c not in names]
    out = joined.select(order)
    return out.collect() if isinstance(records, pl.DataFrame) else out


_APP_COLUMNS = ("app_id", "app_name", "app_category", "app_tags", "app_risk", "match_type")
#: Seed of the string hashes :func:`_positions` joins on.
_SEED = 0x5EED


def _positions(
    values: pl.Series,
    distinct: pl.Series,
    *,
    where: pl.Series | None = None,
    by_hash: bool = True,
) -> pl.Series:
    """Where each of ``values`` sits in ``distinct`` (UInt32; null for a null value, and
    for the rows ``where`` leaves out).

    ``distinct`` holds every non-null value of ``values`` (of the rows ``where`` keeps) once.
    The join runs on 64-bit
    hashes of the strings (an integer join: about half the cost of one on the strings)
    unless two distinct values share a hash (or ``by_hash`` is false), then on the strings:
    the answer is exact.

    Examples
    --------
    >>> _positions(pl.Series(["b", None, "a", "b"]), pl.Series(["a", "b"])).to_list()
    [1, None, 0, 1]
    """
    table = pl.DataFrame(
        {"k": distinct, "i": pl.int_range(distinct.len(), dtype=pl.UInt32, eager=True)}
    )
    keep = pl.col("k").is_not_null() if where is None else pl.col("k").is_not_null() & where
    rows = values.alias("k").to_frame()
    hashed = table.with_columns(pl.col("k").hash(_SEED))
    if by_hash and hashed["k"].n_unique() == hashed.height:
        table = hashed
        rows = rows.select(pl.when(keep).then(pl.col("k").hash(_SEED)))
    elif where is not None:
        rows = rows.select(pl.when(keep).then("k"))
    return rows.join(table, on="k", how="left", maintain_order="left")["i"]


def explain(query: str, catalog: Catalog) -> Explanation:
    """How ``query`` (a host name or an IP) matches the catalog, with the rule that won.

    Examples
    --------
    >>> from shadowlens.enrich.catalog import load_catalog
    >>> e = explain("files.slack.com", load_catalog())
    >>> e.app_id, e.rule_kind, e.rule_pattern
    ('slack', 'domain', 'slack.com')
    """
    text = query.strip().lower().rstrip(".")
    matcher = _matcher(catalog)
    row = matcher.resolve_hosts(pl.Series([text])).row(0, named=True)
    if row["app_id"] is None:
        hit = matcher.resolve_ips(pl.Series([text]))
        if hit.height:
            r = hit.row(0, named=True)
            return Explanation(
                text,
                row["dst_domain"],
                r["app_id"],
                "ip",
                "cidr",
                r["rule_pattern"],
                r["rule_source"],
            )
    return Explanation(
        text, row["dst_domain"], row["app_id"], row["match_type"],
        row["rule_kind"], row["rule_pattern"], row["rule_source"],
    )  # fmt: skip
