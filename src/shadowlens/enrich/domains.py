"""Registrable domains of many hosts at once, with the Public Suffix List's rules.

``publicsuffixlist`` answers one host per Python call, which dominated enrichment at hundreds
of thousands of distinct hosts. This module evaluates the same rules (the library's own rule
set, so its bundled or updated list and its IDN handling apply) with polars kernels: every host
is split into its dot-suffixes up to the longest rule, each suffix is looked up as an exception
(``!x``), a wildcard parent (``*.x``) and an exact rule, and the longest suffix with a rule
decides the public-suffix length, exactly as ``PublicSuffixList.privatesuffix`` does (private
suffixes such as ``github.io`` included; unknown TLDs count as public suffixes). A test checks
both agree host by host.

Examples
--------
>>> import polars as pl
>>> registrable(pl.Series(["a.b.example.co.uk", "x.someone.github.io", "co.uk", "bad..host"])).to_list()
['example.co.uk', 'someone.github.io', None, None]
"""

from __future__ import annotations

from functools import cache

import polars as pl
from publicsuffixlist import PublicSuffixList


@cache
def _rules() -> tuple[tuple[pl.Series, pl.Series, pl.Series], int]:
    """The library's rules split by kind (exception, wildcard parent, exact), and its longest.

    Each is an imploded one-element series, the form ``is_in`` takes for a membership test.
    """
    psl = PublicSuffixList()
    rules = sorted(psl._publicsuffix)
    exceptions = [r[1:] for r in rules if r.startswith("!")]
    wild = [r[2:] for r in rules if r.startswith("*.")]
    exact = [r for r in rules if not r.startswith(("!", "*."))]
    kinds = tuple(pl.Series(x, dtype=pl.String).implode() for x in (exceptions, wild, exact))
    return (kinds[0], kinds[1], kinds[2]), int(psl._maxlabel)


def split_tails(hosts: pl.Series, depth: int) -> pl.DataFrame:
    """``hosts`` lower-cased (one trailing dot dropped) with their last 1..``depth`` labels.

    ``depth`` is capped at the most labels any of the hosts has (deeper tails would be null).

    Columns: ``h`` (the host as given), ``name`` (normalised), ``n`` (labels), ``invalid``
    (an empty label), and ``t1`` ... ``t<depth>``: the last ``d`` labels joined, null when the
    host has fewer. Tails are built right to left by concatenation (no per-row list joins).
    """
    name = pl.col("h").str.to_lowercase().str.strip_suffix(".")
    frame = pl.DataFrame({"h": hosts.cast(pl.String)}).with_columns(name=name)
    frame = frame.with_columns(parts=pl.col("name").str.split("."))
    frame = frame.with_columns(
        n=pl.col("parts").list.len().cast(pl.Int64),
        invalid=pl.col("parts").list.eval(pl.element() == "").list.any().fill_null(True),
        t1=pl.col("parts").list.get(-1, null_on_oob=True),
    )
    most = frame["n"].max()
    depth = max(1, min(depth, most if isinstance(most, int) else 1))
    labels = {d: pl.col("parts").list.get(-d, null_on_oob=True) for d in range(1, depth + 1)}
    frame = frame.with_columns(*(labels[d].alias(f"l{d}") for d in range(2, depth + 1)))
    for d in range(2, depth + 1):
        frame = frame.with_columns((pl.col(f"l{d}") + "." + pl.col(f"t{d - 1}")).alias(f"t{d}"))
    return frame.drop("parts", *(f"l{d}" for d in range(2, depth + 1)))


def depth_needed() -> int:
    """How many tails :func:`registrable_expr` reads (the longest rule plus one)."""
    return _rules()[1] + 1


def with_registrable(frame: pl.DataFrame, column: str = "dst_domain") -> pl.DataFrame:
    """Add ``column``, the registrable domain, to a :func:`split_tails` frame.

    The frame needs :func:`depth_needed` tails. For every depth ``d``, longest first, a rule
    may hold there: an exception ``!x`` (the public suffix is one label shorter), a wildcard
    ``*.x`` (one label longer when the host has one more) or an exact rule. The first depth
    with a rule decides; else the last label alone is the public suffix. A host that is a
    public suffix, or has an empty label, has no registrable domain.
    """
    (exceptions, wild, exact), maxlabel = _rules()
    # tails deeper than the frame has are null for every host: no rule can hold there
    have = max(int(c[1:]) for c in frame.columns if c[:1] == "t" and c[1:].isdigit())
    n = pl.col("n")
    candidates = []
    for d in range(min(maxlabel + 1, have), 0, -1):
        tail = pl.col(f"t{d}")
        candidates.append(
            pl.when(tail.is_in(exceptions))
            .then(d - 1)
            .when(tail.is_in(wild))
            .then(pl.when(n > d).then(d + 1).otherwise(d))
            .when(tail.is_in(exact))
            .then(d)
        )
    keep = pl.col("__keep")
    tail_at = pl.coalesce(
        *(pl.when(keep == d).then(pl.col(f"t{d}")) for d in range(1, min(maxlabel + 1, have) + 1))
    )
    return (
        frame.with_columns(__keep=pl.coalesce(*candidates, pl.lit(1)) + 1)
        .with_columns(
            pl.when(pl.col("invalid") | (n < keep)).then(None).otherwise(tail_at).alias(column)
        )
        .drop("__keep")
    )


def registrable(hosts: pl.Series) -> pl.Series:
    """The registrable domain (``privatesuffix``) of each host; null when it has none.

    Hosts are lower-cased and one trailing dot is ignored; a host with an empty label, or that
    is itself a public suffix, has none.
    """
    frame = with_registrable(split_tails(hosts, depth_needed()), "out")
    return frame["out"].alias(hosts.name)
