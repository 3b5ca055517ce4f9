from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shadowlens.enrich.catalog import Catalog, load_catalog
from shadowlens.enrich.match import enrich, explain
from shadowlens.schema import RECORD_POLARS_SCHEMA


@pytest.fixture(scope="module")
def custom(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    f = tmp_path_factory.mktemp("cat") / "mine.toml"
    f.write_text(
        '[[app]]\nid = "gdrive-test"\nname = "Drive Test"\ncategory = "Cloud storage"\n'
        'domains = ["translate.google.com"]\n\n'
        '[[app]]\nid = "exact-test"\nname = "Exact Test"\nhosts = ["upload.dropbox.com"]\n\n'
        '[[app]]\nid = "wild-test"\nname = "Wild Test"\nwildcards = ["*.wild.example"]\n\n'
        '[[app]]\nid = "net-test"\nname = "Net Test"\ncidrs = ["198.51.100.0/24", "2001:db8::/32"]\n\n'
        '[[app]]\nid = "net-narrow"\nname = "Narrow"\ncidrs = ["198.51.100.128/25"]\n\n'
        '[[app]]\nid = "slack-mine"\nname = "Slack Mine"\ndomains = ["slack.com"]\n\n'
        '[[app]]\nid = "pages"\nname = "Pages"\ndomains = ["someone.github.io"]\n\n'
        '[[app]]\nid = "uk-shop"\nname = "UK Shop"\ndomains = ["shop.co.uk"]\n'
    )
    return load_catalog([f])


def _one(catalog: Catalog, host: str | None = None, ip: str | None = None) -> dict[str, object]:
    df = pl.DataFrame(
        {"dst_host": [host], "dst_ip": [ip]}, schema={"dst_host": pl.String, "dst_ip": pl.String}
    )
    return enrich(df, catalog).row(0, named=True)


def test_subdomain(shipped: Catalog) -> None:
    r = _one(shipped, "dl.dropboxusercontent.com")
    assert (r["app_id"], r["match_type"], r["dst_domain"]) == (
        "dropbox",
        "domain",
        "dropboxusercontent.com",
    )


def test_exact_host_beats_domain(custom: Catalog) -> None:
    r = _one(custom, "upload.dropbox.com")
    assert (r["app_id"], r["match_type"]) == ("exact-test", "host")
    assert _one(custom, "www.dropbox.com")["app_id"] == "dropbox"


def test_longest_suffix(custom: Catalog) -> None:
    assert _one(custom, "translate.google.com")["app_id"] == "gdrive-test"
    assert _one(custom, "x.translate.google.com")["app_id"] == "gdrive-test"
    assert _one(custom, "keep.google.com")["app_id"] == "google"


def test_wildcard_excludes_apex(custom: Catalog) -> None:
    assert _one(custom, "a.wild.example")["app_id"] == "wild-test"
    assert _one(custom, "wild.example")["app_id"] is None


def test_user_override_wins(custom: Catalog) -> None:
    assert _one(custom, "files.slack.com")["app_id"] == "slack-mine"


def test_public_suffix_edges(custom: Catalog) -> None:
    r = _one(custom, "www.shop.co.uk")
    assert (r["dst_domain"], r["app_id"]) == ("shop.co.uk", "uk-shop")
    assert _one(custom, "other.co.uk")["dst_domain"] == "other.co.uk"
    assert _one(custom, "co.uk")["dst_domain"] is None
    r = _one(custom, "someone.github.io")
    assert (r["dst_domain"], r["app_id"]) == ("someone.github.io", "pages")
    assert _one(custom, "a.b.someone-else.github.io")["dst_domain"] == "someone-else.github.io"


def test_ip_cidr(custom: Catalog) -> None:
    r = _one(custom, None, "198.51.100.7")
    assert (r["app_id"], r["match_type"]) == ("net-test", "ip")
    assert _one(custom, None, "198.51.100.200")["app_id"] == "net-narrow"  # longest prefix
    assert _one(custom, None, "2001:db8::1")["app_id"] == "net-test"
    assert _one(custom, "198.51.100.9", None)["app_id"] == "net-test"  # IP literal as host
    assert _one(custom, None, "192.0.2.1")["app_id"] is None
    # a host match takes precedence over the IP
    assert _one(custom, "www.dropbox.com", "198.51.100.7")["match_type"] == "domain"


def test_unmatched(shipped: Catalog) -> None:
    r = _one(shipped, "intranet.corp.example")
    assert r["app_id"] is None
    assert r["match_type"] is None
    assert r["app_tags"] is None
    assert r["dst_domain"] == "corp.example"


def test_tags_and_risk_flow(tmp_path: Path) -> None:
    f = tmp_path / "o.toml"
    f.write_text('[[app]]\nname = "zoom"\ntags = ["sanctioned"]\nrisk = 8\n')
    r = _one(load_catalog([f]), "us02web.zoom.us")
    assert (r["app_id"], r["app_tags"], r["app_risk"]) == ("zoom", ["sanctioned"], 8)


def test_record_schema_and_lazy(shipped: Catalog) -> None:
    df = (
        pl.DataFrame({"dst_host": ["github.com", None]})
        .select(
            [
                pl.col(c) if c == "dst_host" else pl.lit(None, t).alias(c)
                for c, t in RECORD_POLARS_SCHEMA.items()
            ]
        )
        .cast(dict(RECORD_POLARS_SCHEMA))
    )  # type: ignore[arg-type]
    out = enrich(df, shipped)
    assert out.schema == RECORD_POLARS_SCHEMA
    lazy = enrich(df.lazy(), shipped)
    assert isinstance(lazy, pl.LazyFrame)
    assert lazy.collect().equals(out)


def test_explain(shipped: Catalog) -> None:
    e = explain("Files.Slack.com.", shipped)
    assert (e.app_id, e.rule_kind, e.rule_pattern, e.rule_source) == (
        "slack",
        "domain",
        "slack.com",
        "v2fly:slack",
    )


def test_cache_reused(shipped: Catalog) -> None:
    cat = load_catalog()
    enrich(pl.DataFrame({"dst_host": ["a.dropbox.com"]}), cat)
    size = cat._matcher.cache.height
    enrich(pl.DataFrame({"dst_host": ["a.dropbox.com", "a.dropbox.com"]}), cat)
    assert cat._matcher.cache.height == size


HOSTS = [
    "www.dropbox.com",
    "files.slack.com",
    "nope.example",
    "github.com",
    "a.b.co.uk",
    "x.github.io",
    None,
]
IPS = [None, "198.51.100.7", "10.1.1.1"]


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(st.tuples(st.sampled_from(HOSTS), st.sampled_from(IPS)), min_size=1, max_size=30),
    data=st.data(),
)
def test_invariant_under_order_and_duplication(
    custom: Catalog, rows: list[tuple[str | None, str | None]], data: st.DataObject
) -> None:
    df = pl.DataFrame(
        rows, schema={"dst_host": pl.String, "dst_ip": pl.String}, orient="row"
    ).with_row_index("i")
    base = enrich(df, custom).sort("i")
    perm = data.draw(st.permutations(range(df.height)))
    shuffled = enrich(df[list(perm)], custom).sort("i")
    assert shuffled.equals(base)
    doubled = enrich(pl.concat([df, df]), custom)
    assert doubled.head(df.height).equals(base)
    assert doubled.tail(df.height).equals(base)


def test_concurrent_batches_share_one_cache_safely() -> None:
    """Worker threads enriching batches with one catalog: the host cache never holds a host twice.

    Two threads are held inside the matching of the same new hosts at once (a barrier), the
    case where both used to append them to the cache, and later batches then got duplicated
    rows from the join.
    """
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from shadowlens.enrich.catalog import load_catalog
    from shadowlens.enrich.match import _matcher

    catalog = load_catalog()
    matcher = _matcher(catalog)
    matcher.resolve_hosts(pl.Series(["warm.example"]))  # a non-empty cache
    barrier = threading.Barrier(2)
    original = matcher._match_hosts

    def held(hosts: pl.Series) -> pl.DataFrame:
        barrier.wait(timeout=30)
        return original(hosts)

    matcher._match_hosts = held  # type: ignore[method-assign]
    batch = pl.DataFrame(
        {
            "dst_host": ["files.slack.com", "www.dropbox.com", "app.box.com"] * 5,
            "dst_ip": [None] * 15,
        },
        schema={"dst_host": pl.String, "dst_ip": pl.String},
    )
    with ThreadPoolExecutor(2) as pool:
        first = list(pool.map(lambda b: enrich(b, catalog), [batch, batch]))
    matcher._match_hosts = original  # type: ignore[method-assign]
    assert matcher.cache["dst_host"].is_duplicated().sum() == 0
    again = enrich(batch, catalog)
    assert [r.height for r in first] == [15, 15]
    assert again.height == 15
    assert again["app_id"].to_list() == ["slack", "dropbox", "box"] * 5


def test_a_matcher_pickles_without_its_lock() -> None:
    # Dask sends the enrichment to its workers: a lock cannot travel, the matcher must.
    import pickle

    from shadowlens.enrich.catalog import load_catalog
    from shadowlens.enrich.match import Matcher

    matcher = Matcher(load_catalog())
    hosts = pl.Series(["files.slack.com", "nowhere.invalid"])
    before = matcher.resolve_hosts(hosts)
    copy = pickle.loads(pickle.dumps(matcher))
    assert copy.resolve_hosts(hosts).sort("dst_host").equals(before.sort("dst_host"))
