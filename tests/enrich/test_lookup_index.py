"""The compiled lookup index: same answers as the vectorized matcher, cached per inputs."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shadowlens.enrich.catalog import AppOverlay, load_catalog
from shadowlens.enrich.extension import CatalogSource
from shadowlens.enrich.lookup import KEEP, RuleIndex, _lookup_vectorized, load_index
from shadowlens.plugins.hookspecs import hookimpl
from shadowlens.plugins.manager import get_plugins

OVERLAY = (
    '[[app]]\nid = "w"\nname = "W"\nwildcards = ["*.dropbox.com", "*.corp.example"]\n\n'
    '[[app]]\nid = "d"\nname = "D"\ndomains = ["x.slack.com", "github.io", "corp.example"]\n'
    'hosts = ["exact.box.com"]\n'
    'cidrs = ["3.5.140.0/22", "3.5.140.0/24", "3.5.140.7/32", "10.0.0.0/8", "2600:1f18::/33",'
    ' "2600:1f18:8000::/40", "::ffff:0:0/96"]\n\n'
    '[[app]]\nid = "dropbox"\ntags = ["unsanctioned"]\nrisk = 2\ncidrs = ["3.5.0.0/16"]\n'
)


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private cache folder for the test (the user's own is left alone)."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("SHADOWLENS_CACHE_DIR", str(folder))
    monkeypatch.delenv("SHADOWLENS_NO_CACHE", raising=False)
    return folder


@pytest.fixture(scope="module")
def overlay(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("overlay") / "mine.toml"
    path.write_text(OVERLAY, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def both(overlay: Path) -> tuple[object, RuleIndex]:
    """The catalog with the overlay, and its index after a trip through pickle (the cache)."""
    cat = load_catalog([overlay])
    return cat, pickle.loads(pickle.dumps(RuleIndex(cat)))


def _patterns() -> list[str]:
    cat = load_catalog()
    return sorted({r.pattern.removeprefix("*.") for r in cat.rules if r.kind != "cidr"})[::5]


_LABEL = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=8)
_NAMES = st.sampled_from(
    [*_patterns(), "dropbox.com", "corp.example", "slack.com", "box.com", "github.io", "co.uk"]
)
_HOSTS = st.one_of(
    st.builds(lambda labels, base: ".".join([*labels, base]), st.lists(_LABEL, max_size=3), _NAMES),
    st.builds(lambda a, b: f"{a}.{b}", _LABEL, _LABEL),
    st.builds(lambda c, d: f"3.5.{c}.{d}", st.integers(130, 150), st.integers(0, 255)),
    st.builds(lambda a, b: f"{a}.0.0.{b}", st.sampled_from([9, 10, 11]), st.integers(0, 255)),
    st.builds(
        lambda hi, lo: f"2600:1f{hi:02x}:{lo:x}::1", st.integers(0x17, 0x19), st.integers(0, 0xFFFF)
    ),
    st.sampled_from(["", ".", "a..b", "::ffff:10.1.2.3", "::1", "999.1.1.1", "fe80::1%eth0"]),
    st.text(max_size=12),
)
_CASE = st.sampled_from(["{}", "{}.", " {} ", "{}".upper()])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_HOSTS, _CASE), min_size=1, max_size=40))
def test_index_answers_like_the_vectorized_matcher(
    both: tuple[object, RuleIndex], queries: list[tuple[str, str]]
) -> None:
    """Host names (domain, wildcard, host rules, PSL edge cases), IPv4/IPv6 in and out of
    overlapping CIDRs, garbage: the cached index and the matcher agree, query by query."""
    cat, index = both
    texts = [case.format(q) if case != "{}".upper() else q.upper() for q, case in queries]
    many = _lookup_vectorized(texts, cat)  # type: ignore[arg-type]
    few = index.lookup(texts)
    assert [a for a, b in zip(few, many, strict=True) if a != b] == []


def test_every_rule_of_the_catalog_answers_like_the_matcher(both: tuple[object, RuleIndex]) -> None:
    cat, index = both
    queries = []
    for r in cat.rules:  # type: ignore[attr-defined]
        base = r.pattern.removeprefix("*.").split("/")[0]
        queries += [base, f"a.{base}"]
    assert index.lookup(queries) == _lookup_vectorized(queries, cat)  # type: ignore[arg-type]


def test_load_index_writes_then_reads_the_cache(cache_dir: Path, overlay: Path) -> None:
    first = load_index([overlay])
    entries = list((cache_dir / "catalog").iterdir())
    assert len(entries) == 1
    second = load_index([overlay])
    assert second is not first  # read back from the entry
    hosts = ["www.dropbox.com", "3.5.140.9", "app.box.com", "nope.example"]
    assert second.lookup(hosts) == first.lookup(hosts)
    assert second.lookup(["dropbox.com"])[0].app.tags == ("unsanctioned",)  # type: ignore[union-attr]


def test_an_edited_overlay_is_never_answered_from_the_old_entry(
    cache_dir: Path, tmp_path: Path
) -> None:
    mine = tmp_path / "edit.toml"
    mine.write_text('[[app]]\nid = "a"\nname = "A"\ndomains = ["edited.example"]\n')
    assert load_index([mine]).lookup(["edited.example"])[0].app_id == "a"
    mine.write_text('[[app]]\nid = "b"\nname = "B"\ndomains = ["edited.example"]\n')
    assert load_index([mine]).lookup(["edited.example"])[0].app_id == "b"
    weights = tmp_path / "w.toml"
    weights.write_text("base = 1\n")
    assert load_index(risk_weights=weights).lookup(["box.com"])[0].app.risk == 1  # type: ignore[union-attr]
    weights.write_text("base = 2\n")
    assert load_index(risk_weights=weights).lookup(["box.com"])[0].app.risk == 2  # type: ignore[union-attr]
    assert len(list((cache_dir / "catalog").iterdir())) == 4


def test_only_the_latest_entries_are_kept(cache_dir: Path, tmp_path: Path) -> None:
    used = tmp_path / "used.toml"
    used.write_text('[[app]]\nid = "u"\nname = "U"\ndomains = ["used.example"]\n')
    load_index([used])
    for i in range(KEEP + 3):
        mine = tmp_path / f"o{i}.toml"
        mine.write_text(f'[[app]]\nid = "a{i}"\nname = "A"\ndomains = ["a{i}.example"]\n')
        load_index([mine])
        load_index([used])  # used again: kept however many others come
    entries = list((cache_dir / "catalog").iterdir())
    assert len(entries) == KEEP
    before = {p.name for p in entries}
    assert load_index([used]).lookup(["used.example"])[0].app_id == "u"
    assert {p.name for p in (cache_dir / "catalog").iterdir()} == before  # a hit, not a rebuild


def test_a_corrupt_entry_is_ignored_and_rewritten(cache_dir: Path, cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("catalog", "lookup", "--json", "asana.com").exit_code == 0
    (entry,) = (cache_dir / "catalog").iterdir()
    entry.write_bytes(b"\x80\x05not a pickle")
    r = cli("catalog", "lookup", "--json", "asana.com")
    assert r.exit_code == 0, r.output
    assert json.loads(r.out)["app_id"] == "asana"
    assert isinstance(pickle.loads(entry.read_bytes()), RuleIndex)
    assert [p.name for p in (cache_dir / "catalog").iterdir()] == [entry.name]  # no temp file


def test_no_cache_variable_writes_nothing(cache_dir: Path, cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("catalog", "lookup", "--json", "asana.com", env={"SHADOWLENS_NO_CACHE": "1"})
    assert r.exit_code == 0, r.output
    assert not (cache_dir / "catalog").exists()


def test_a_plugin_catalog_source_is_never_cached(cache_dir: Path) -> None:
    class Source:
        @hookimpl
        def register_catalog_sources(self) -> list[CatalogSource]:
            entry = AppOverlay(app_id="acme", name="Acme", rules=[("domain", "acme.example", "p")])
            return [CatalogSource("acme", lambda: [entry])]

    index = load_index(plugins=get_plugins(load_entrypoints=False, extra=[Source()]))
    assert index.lookup(["www.acme.example"])[0].app_id == "acme"
    assert not (cache_dir / "catalog").exists() or not any((cache_dir / "catalog").iterdir())


def test_lookup_command_imports_neither_polars_nor_the_spec_model() -> None:
    """``catalog lookup`` loads no format spec and no dataframe library (a fresh process)."""
    code = (
        "import sys\nfrom shadowlens.cli import run_cli\n"
        "code = run_cli(['catalog', 'lookup', '--json', 'app.box.com', 'asana.com'])\n"
        "print(code, sorted(m for m in ('polars', 'pyarrow', 'shadowlens.spec.model', "
        "'shadowlens.contract') if m in sys.modules), file=sys.stderr)\n"
    )
    env = {**os.environ, "SHADOWLENS_NO_CACHE": "1"}  # the cold path: the catalog is loaded
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120,
        env=env,
    )  # fmt: skip
    assert done.stderr.splitlines()[-1] == "0 []", done.stderr
    assert json.loads(done.stdout.splitlines()[0])["app_id"] == "box"
