"""Enrichment's per-record step: records find their distinct host's match by position."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from shadowlens.enrich.catalog import load_catalog
from shadowlens.enrich.match import Matcher, _positions

_VALUES = st.lists(st.one_of(st.none(), st.text(max_size=6), st.sampled_from(["a", "a.b", ""])))


@settings(max_examples=200, deadline=None)
@given(_VALUES)
def test_positions_by_hash_and_by_string_are_the_distinct_index(values: list[str | None]) -> None:
    series = pl.Series(values, dtype=pl.String)
    distinct = series.unique().drop_nulls()
    where = {v: i for i, v in enumerate(distinct.to_list())}
    expected = [None if v is None else where[v] for v in values]
    assert _positions(series, distinct).to_list() == expected
    assert _positions(series, distinct, by_hash=False).to_list() == expected
    odd = pl.Series([i % 2 == 1 for i in range(len(values))], dtype=pl.Boolean)
    masked = [None if i % 2 == 0 else e for i, e in enumerate(expected)]
    assert _positions(series, distinct, where=odd).to_list() == masked
    assert _positions(series, distinct, where=odd, by_hash=False).to_list() == masked


_HOSTS = st.sampled_from(
    ["files.slack.com", "www.dropbox.com", "dropbox.com", "mail.google.com", "app.box.com",
     "nope.example", "x.unknown.test", "github.io", "someone.github.io", "10.1.2.3", "::1", ""]
)  # fmt: skip


_CATALOG = load_catalog()
_REFERENCE = Matcher(_CATALOG)  # answers without its cache: _match_hosts


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(_HOSTS, min_size=1, max_size=12), min_size=1, max_size=4))
def test_aligned_rows_answer_each_host_across_batches(batches: list[list[str]]) -> None:
    """A matcher whose cache holds some hosts (earlier batches) still answers row i for host i."""
    matcher = Matcher(_CATALOG)
    for batch in batches:
        hosts = pl.Series(batch, dtype=pl.String).unique(maintain_order=True)
        got = matcher.resolve_hosts(hosts, distinct=True, aligned=True)
        assert got.equals(_REFERENCE._match_hosts(hosts))
