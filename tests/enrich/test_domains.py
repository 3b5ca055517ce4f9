"""The vectorized registrable domain equals publicsuffixlist's, host by host."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from publicsuffixlist import PublicSuffixList

from shadowlens.enrich.catalog import Catalog
from shadowlens.enrich.domains import registrable

PSL = PublicSuffixList()
EDGE = [
    "", ".", "a..b", "A.B.Example.COM.", "com", "localhost", "unknown.tldzz", "xn--fiqs8s",
    "foo.xn--fiqs8s", "www.ck", "a.www.ck", "b.a.city.kobe.jp", "city.kobe.jp", "kobe.jp",
    "x.kobe.jp", "github.io", "x.github.io", "a.x.github.io", "foo.bar.", "trailing..",
    "a.b.c.d.e.f.g.h.i.j.k.example.com", "files.slack.com", "s3.amazonaws.com",
    "bucket.s3.amazonaws.com", "x.compute-1.amazonaws.com",
]  # fmt: skip


def _check(hosts: list[str | None]) -> None:
    got = registrable(pl.Series(hosts, dtype=pl.String)).to_list()
    want = [None if h is None else PSL.privatesuffix(h) for h in hosts]
    diff = [(h, g, w) for h, g, w in zip(hosts, got, want, strict=True) if g != w]
    assert diff == []


def test_edge_cases() -> None:
    _check([*EDGE, None])


def test_every_rule_of_the_list_and_below_it() -> None:
    hosts: list[str | None] = []
    for rule in sorted(PSL._publicsuffix):
        base = rule.lstrip("!").removeprefix("*.")
        hosts += [base, f"x.{base}", f"y.x.{base}", f"z.y.x.{base}"]
    _check(hosts)


def test_every_catalog_pattern(shipped: Catalog) -> None:
    hosts: list[str | None] = []
    for r in shipped.rules:
        if r.kind != "cidr":
            base = r.pattern.removeprefix("*.")
            hosts += [base, f"www.{base}"]
    _check(hosts)


LABEL = st.sampled_from(["a", "www", "co", "uk", "com", "jp", "kobe", "city", "github", "io", "ck", "",
                         "s3", "amazonaws", "xn--fiqs8s", "Example", "blogspot", "appspot"])  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(LABEL, min_size=1, max_size=6).map(".".join))
def test_random_hosts(host: str) -> None:
    _check([host])


@pytest.mark.parametrize("host", ["1.2.3.4", "2001:db8::1"])
def test_ip_literals_follow_the_library(host: str) -> None:
    _check([host])
