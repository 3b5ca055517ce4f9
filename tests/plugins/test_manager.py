"""The plugin manager factory: built-ins, entry points, clashes, blocking, broken plugins."""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points
from types import SimpleNamespace
from typing import Any, ClassVar

import polars as pl
import pytest

import shadowlens
from shadowlens import ConfigError, LogFormat, ParseResult, PluginError
from shadowlens.plugins import manager
from shadowlens.plugins.manager import DEFAULT_PLUGINS, ENTRY_POINT_GROUP, FormatEntry, get_plugins


class _Dummy(LogFormat):
    name: ClassVar[str] = "dummy"
    description: ClassVar[str] = "test format"

    def parse(self, lines: pl.DataFrame, state: Any) -> ParseResult:
        raise NotImplementedError


def plugin(name: str, returns: Any = None, raises: Exception | None = None) -> Any:
    """A plugin object named ``name`` whose register_formats returns or raises."""

    @shadowlens.hookimpl
    def register_formats() -> Any:
        if raises is not None:
            raise raises
        return returns

    return SimpleNamespace(__name__=name, register_formats=register_formats)


def named(format_name: str) -> type[LogFormat]:
    return type(f"Fmt_{format_name}", (_Dummy,), {"name": format_name})


@pytest.fixture
def no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("SHADOWLENS_DISABLE_PLUGINS", "SHADOWLENS_NO_ENTRYPOINTS"):
        monkeypatch.delenv(var, raising=False)


pytestmark = pytest.mark.usefixtures("no_env")


def test_builtins_are_registered_through_default_plugins() -> None:
    plugins = get_plugins(load_entrypoints=False)
    names = {plugins.pm.get_name(p) for p in plugins.pm.get_plugins()}
    assert names == set(DEFAULT_PLUGINS)
    formats = plugins.formats()
    assert "cef" in formats
    for entry in formats.values():
        assert entry.plugin in DEFAULT_PLUGINS
        assert entry.distribution is None
        assert issubclass(entry.cls, LogFormat)


def test_every_default_plugin_supplies_a_format_or_the_catalog() -> None:
    plugins = get_plugins(load_entrypoints=False)
    suppliers = {entry.plugin for entry in plugins.formats().values()}
    catalog = {plugin for plugin, _ in plugins.catalog_sources()}
    assert catalog == {"shadowlens.enrich.builtin"}
    assert suppliers | catalog == set(DEFAULT_PLUGINS)


def test_entry_points_are_loaded_with_their_distribution(example_entry: FormatEntry) -> None:
    assert example_entry.plugin == "stormshield"
    assert example_entry.version
    eps = {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}
    assert eps["stormshield"].value == "shadowlens_stormshield"


def test_each_call_builds_a_fresh_manager() -> None:
    first, second = get_plugins(load_entrypoints=False), get_plugins(load_entrypoints=False)
    assert first.pm is not second.pm
    first.pm.register(plugin("only-in-first", [named("solo")]), name="only-in-first")
    assert "solo" in first.formats()
    assert "solo" not in second.formats()


def test_extra_plugins_are_registered_last() -> None:
    plugins = get_plugins(load_entrypoints=False, extra=[plugin("mine", [named("mine")])])
    assert plugins.formats()["mine"].plugin == "mine"
    # Registration order: built-ins first, extras last (detection ties go to the first).
    assert list(plugins.formats())[-1] == "mine"
    assert next(iter(plugins.formats())) == "cef"


def test_duplicate_format_name_names_both_plugins() -> None:
    clash = plugin("acme-plugin", [named("cef")])
    plugins = get_plugins(load_entrypoints=False, extra=[clash])
    with pytest.raises(PluginError) as info:
        plugins.formats()
    message = str(info.value)
    assert "'cef'" in message
    assert "shadowlens.formats.cef" in message
    assert "acme-plugin" in message
    assert info.value.exit_code == 4


def test_duplicate_between_two_third_party_plugins() -> None:
    plugins = get_plugins(
        load_entrypoints=False,
        extra=[plugin("one", [named("same")]), plugin("two", [named("same")])],
    )
    with pytest.raises(PluginError, match=r"'one'.*'two'|'two'.*'one'"):
        plugins.formats()


def test_disable_plugin_blocks_a_builtin() -> None:
    plugins = get_plugins(load_entrypoints=False, disabled=["shadowlens.formats.cef"])
    assert "cef" not in plugins.formats()


def test_disable_plugin_blocks_an_entry_point(example_entry: FormatEntry) -> None:
    assert "stormshield" not in get_plugins(disabled=["stormshield"]).formats()
    assert "cef" in get_plugins(disabled=["stormshield"]).formats()


def test_disable_plugins_env_var(
    monkeypatch: pytest.MonkeyPatch, example_entry: FormatEntry
) -> None:
    monkeypatch.setenv("SHADOWLENS_DISABLE_PLUGINS", " stormshield , shadowlens.formats.cef ")
    formats = get_plugins().formats()
    assert "stormshield" not in formats
    assert "cef" not in formats


def test_disable_blocks_an_extra_plugin_by_name() -> None:
    plugins = get_plugins(
        load_entrypoints=False, disabled=["mine"], extra=[plugin("mine", [named("mine")])]
    )
    assert "mine" not in plugins.formats()


def test_no_entrypoints_env_var_skips_third_party(
    monkeypatch: pytest.MonkeyPatch, example_entry: FormatEntry
) -> None:
    monkeypatch.setenv("SHADOWLENS_NO_ENTRYPOINTS", "1")
    formats = get_plugins().formats()
    assert "stormshield" not in formats
    assert "cef" in formats
    assert "stormshield" in get_plugins(load_entrypoints=True).formats()  # the argument wins


def test_a_raising_hook_gives_plugin_error_naming_the_plugin() -> None:
    broken = plugin("broken-plugin", raises=RuntimeError("boom"))
    plugins = get_plugins(load_entrypoints=False, extra=[broken])
    with pytest.raises(PluginError, match=r"plugin 'broken-plugin': register_formats failed: boom"):
        plugins.formats()


@pytest.mark.parametrize(
    "returned",
    [
        pytest.param([object], id="not-a-logformat"),
        pytest.param([str], id="another-class"),
        pytest.param(["cef"], id="a-string"),
        pytest.param([type("NoName", (_Dummy,), {"name": ""})], id="no-name"),
    ],
)
def test_a_non_logformat_is_refused(returned: list[Any]) -> None:
    plugins = get_plugins(load_entrypoints=False, extra=[plugin("odd-plugin", returned)])
    with pytest.raises(PluginError, match="plugin 'odd-plugin'"):
        plugins.formats()


def test_an_instance_instead_of_a_class_is_refused() -> None:
    instance = named("inst")()
    plugins = get_plugins(load_entrypoints=False, extra=[plugin("inst-plugin", [instance])])
    with pytest.raises(PluginError, match="not a LogFormat subclass"):
        plugins.formats()


def test_a_plugin_returning_none_supplies_nothing() -> None:
    plugins = get_plugins(load_entrypoints=False, extra=[plugin("quiet", None)])
    assert "quiet" not in {e.plugin for e in plugins.formats().values()}


def test_an_unknown_hook_is_refused() -> None:
    @shadowlens.hookimpl
    def register_parsers() -> list[Any]:
        return []

    stray = SimpleNamespace(__name__="stray", register_parsers=register_parsers)
    with pytest.raises(PluginError, match="stray"):
        get_plugins(load_entrypoints=False, extra=[stray])


def test_an_entry_point_that_fails_to_import(monkeypatch: pytest.MonkeyPatch) -> None:
    bad = EntryPoint("ghost", "shadowlens_no_such_module_xyz.plugin", ENTRY_POINT_GROUP)
    monkeypatch.setattr(manager, "entry_points", lambda group: [bad])
    with pytest.raises(PluginError, match=r"plugin 'ghost': cannot load entry point"):
        get_plugins()


def test_a_builtin_that_fails_to_import(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(manager, "DEFAULT_PLUGINS", (*DEFAULT_PLUGINS, "shadowlens.parsers.nope"))
    with pytest.raises(PluginError, match=r"shadowlens\.parsers\.nope"):
        get_plugins(load_entrypoints=False)


def test_unknown_format_name_is_a_config_error_listing_known_ones() -> None:
    plugins = get_plugins(load_entrypoints=False)
    with pytest.raises(ConfigError, match=r"unknown format 'nope'; registered formats: .*cef"):
        plugins.format("nope")
    assert plugins.format("cef").name == "cef"
