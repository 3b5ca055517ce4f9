"""Enrichment plugins: catalog sources and enrichers registered in-process, run for real."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import polars as pl
import pytest

import shadowlens
from shadowlens.engine.job import JobConfig, run_job
from shadowlens.enrich.catalog import AppOverlay, Catalog, load_catalog
from shadowlens.enrich.extension import CatalogSource, Enricher, add_extras, compose, run_enrichers
from shadowlens.enrich.lookup import lookup
from shadowlens.errors import PluginError
from shadowlens.plugins.manager import get_plugins

LINES = (
    "CEF:0|V|P|1|100|Allowed|3|rt=1700000000000 suser=alice dhost=wiki.corp.example\n"
    "CEF:0|V|P|1|100|Allowed|3|rt=1700000001000 suser=bob dhost=files.slack.com\n"
    "CEF:0|V|P|1|100|Allowed|3|rt=1700000002000 suser=carol dhost=app.box.com\n"
)
HR = {"alice": "Finance", "bob": "Sales"}


def _intranet() -> list[AppOverlay]:
    return [
        AppOverlay(
            app_id="wiki",
            name="Corporate wiki",
            category="Collaboration",
            tags=("sanctioned",),
            rules=[("domain", "wiki.corp.example", "intranet")],
        )
    ]


def _hr(records: pl.DataFrame) -> pl.DataFrame:
    directory = pl.DataFrame({"user_name": list(HR), "department": list(HR.values())})
    joined = records.join(directory, on="user_name", how="left", maintain_order="left")
    return add_extras(joined, {"hr.department": pl.col("department")}).drop("department")


def _geo(records: pl.DataFrame) -> pl.DataFrame:
    return add_extras(records, {"geo.app_seen": pl.col("app_id")})


class IntranetPlugin:
    __name__ = "intranet-plugin"

    @shadowlens.hookimpl
    def register_catalog_sources(self) -> Iterable[CatalogSource]:
        return [CatalogSource("intranet", _intranet)]

    @shadowlens.hookimpl
    def register_enrichers(self) -> Iterable[Enricher]:
        return [Enricher("hr-directory", _hr, needs=("user_name",)), Enricher("geo", _geo)]


def _run(tmp_path: Path, *extra: object) -> Path:
    log = tmp_path / "a.log"
    log.write_text(LINES)
    out = tmp_path / "out"
    plugins = get_plugins(load_entrypoints=False, extra=list(extra))
    run_job(JobConfig(inputs=[str(log)], out_dir=out, plugins=plugins, report=False))
    return out


def test_plugin_source_and_enrichers_in_a_real_run(tmp_path: Path) -> None:
    out = _run(tmp_path, IntranetPlugin())
    records = pl.read_parquet(out / "records").sort("source_line")
    assert records["app_id"].to_list() == ["wiki", "slack", "box"]  # built-in catalog kept
    extras = records["extras"].to_list()
    assert [e.get("hr.department") for e in extras] == ["Finance", "Sales", None]
    assert [e.get("geo.app_seen") for e in extras] == ["wiki", "slack", "box"]  # in order


def test_lookup_sees_plugin_sources() -> None:
    plugins = get_plugins(load_entrypoints=False, extra=[IntranetPlugin()])
    cat = load_catalog(plugins=plugins)
    (hit,) = lookup(["wiki.corp.example"], cat)
    assert (hit.app_id, hit.app and hit.app.tags) == ("wiki", ("sanctioned", "custom"))


def test_builtin_catalog_is_a_plugin_that_can_be_disabled() -> None:
    plugins = get_plugins(
        load_entrypoints=False, disabled=["shadowlens.enrich.builtin"], extra=[IntranetPlugin()]
    )
    cat = load_catalog(plugins=plugins)
    assert set(cat.apps) == {"wiki"}


def test_user_files_win_over_plugin_sources(tmp_path: Path) -> None:
    f = tmp_path / "mine.toml"
    f.write_text('[[app]]\nid = "wiki"\ntags = ["monitored"]\n')
    plugins = get_plugins(load_entrypoints=False, extra=[IntranetPlugin()])
    assert load_catalog([f], plugins=plugins).apps["wiki"].tags == ("monitored",)


def test_a_source_returning_a_catalog_replaces_apps_and_layers_rules(shipped: Catalog) -> None:
    mini = Catalog(
        {"slack": shipped.apps["slack"]}, [r for r in shipped.rules if r.app_id == "slack"], "v1"
    )
    cat = compose(
        [("a", CatalogSource("one", lambda: mini)), ("b", CatalogSource("two", _intranet))]
    )
    assert set(cat.apps) == {"slack", "wiki"}
    assert {r.layer for r in cat.rules} == {0, 1}
    assert cat.version == "v1"


class Broken:
    __name__ = "broken-plugin"

    def __init__(self, enrich: object) -> None:
        self._enrich = enrich

    @shadowlens.hookimpl
    def register_enrichers(self) -> Iterable[Enricher]:
        return [Enricher("bad", self._enrich)]  # type: ignore[arg-type]


def _boom(df: pl.DataFrame) -> pl.DataFrame:
    raise RuntimeError("directory unreachable")


@pytest.mark.parametrize(
    ("enrich", "match"),
    [
        (_boom, "enricher 'bad' failed: RuntimeError: directory unreachable"),
        (lambda df: df.head(0), "must return the 3 rows it got, returned 0"),
        (lambda df: None, "must return the 3 rows it got, returned NoneType"),
    ],
)
def test_a_broken_enricher_stops_the_run_naming_it(
    tmp_path: Path, enrich: object, match: str
) -> None:
    with pytest.raises(PluginError, match=match) as info:
        _run(tmp_path, Broken(enrich))
    assert "broken-plugin" in str(info.value)
    assert info.value.exit_code in (4, 5)  # the plugin code of the exit table
    out = tmp_path / "out"
    assert not (out / "summary.json").exists()  # nothing that looks complete
    assert not (out / "report.html").exists()
    assert not list(out.glob("records/*.parquet"))


def test_enricher_needs_are_checked() -> None:
    e = Enricher("needy", lambda df: df, needs=("user_name",))
    with pytest.raises(PluginError, match=r"needs the columns \['user_name'\]"):
        run_enrichers(pl.DataFrame({"x": [1]}), [("p", e)])


def test_duplicate_names_are_refused() -> None:
    class Twice:
        __name__ = "twice"

        @shadowlens.hookimpl
        def register_catalog_sources(self) -> Iterable[CatalogSource]:
            return [CatalogSource("shadowlens", _intranet)]

    plugins = get_plugins(load_entrypoints=False, extra=[Twice()])
    with pytest.raises(
        PluginError,
        match=r"'shadowlens' is registered by both 'shadowlens\.enrich\.builtin' and 'twice'",
    ):
        plugins.catalog_sources()


def test_a_hook_returning_the_wrong_type_is_refused() -> None:
    class Wrong:
        __name__ = "wrong"

        @shadowlens.hookimpl
        def register_enrichers(self) -> Iterable[object]:
            return [lambda df: df]

    with pytest.raises(PluginError, match="not a Enricher"):
        get_plugins(load_entrypoints=False, extra=[Wrong()]).enrichers()


def test_a_failing_source_names_its_plugin() -> None:
    def fail() -> list[AppOverlay]:
        raise OSError("no such directory")

    with pytest.raises(PluginError, match="plugin 'p': catalog source 'x' failed: OSError"):
        compose([("p", CatalogSource("x", fail))])
