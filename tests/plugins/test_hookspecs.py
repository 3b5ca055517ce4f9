"""The hook contract: every hook is documented and tested, and behaves as documented.

Each hook declared in ``shadowlens.plugins.hookspecs`` must have a numpy-style
docstring (with a ``Returns`` section), a mention in ``docs/plugins.md`` and a
test named ``test_hook_<name>`` in this module.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest

import shadowlens
from shadowlens import LogFormat
from shadowlens.plugins import hookspecs
from shadowlens.plugins.manager import get_plugins

DOCS = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"


def hook_names() -> list[str]:
    marker = f"{hookspecs.PROJECT}_spec"
    return sorted(
        name
        for name, func in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(func, marker)
    )


def test_there_are_hooks() -> None:
    assert hook_names() == ["register_catalog_sources", "register_enrichers", "register_formats"]


@pytest.mark.parametrize("name", hook_names())
def test_every_hook_has_a_docstring(name: str) -> None:
    doc = inspect.getdoc(getattr(hookspecs, name)) or ""
    assert len(doc.splitlines()[0]) > 10, f"hook {name} needs a one-line summary"
    assert "Returns" in doc, f"hook {name} must document its return value"


@pytest.mark.parametrize("name", hook_names())
def test_every_hook_has_a_test(name: str) -> None:
    assert callable(getattr(sys.modules[__name__], f"test_hook_{name}", None)), (
        f"write test_hook_{name} in {__file__}"
    )


@pytest.mark.parametrize("name", hook_names())
def test_every_hook_is_in_the_plugin_guide(name: str) -> None:
    assert f"`{name}" in DOCS.read_text(encoding="utf-8")


def test_every_hook_has_a_typed_signature() -> None:
    for name in hook_names():
        signature = inspect.signature(getattr(hookspecs, name))
        assert signature.return_annotation is not inspect.Signature.empty, name


def test_hookimpl_is_the_public_marker() -> None:
    assert shadowlens.hookimpl is hookspecs.hookimpl
    assert hookspecs.PROJECT == "shadowlens"


def test_hook_register_formats() -> None:
    """Results of all plugins are collected: a list per plugin of LogFormat classes."""

    class Plugin:
        @shadowlens.hookimpl
        def register_formats(self) -> Iterable[type[LogFormat]]:
            return (cls for cls in [Extra])  # any iterable will do

    class Extra(LogFormat):
        name = "extra-format"
        description = "registered by a test"

        def parse(self, lines, state):  # type: ignore[no-untyped-def]
            raise NotImplementedError

    plugins = get_plugins(load_entrypoints=False, extra=[Plugin()])
    results = plugins.pm.hook.register_formats()
    assert len(results) == len(plugins.pm.hook.register_formats.get_hookimpls())
    for classes in results:
        for cls in classes:
            assert isinstance(cls, type)
            assert issubclass(cls, LogFormat)
    assert plugins.formats()["extra-format"].cls is Extra


def test_hook_register_catalog_sources() -> None:
    """Sources are collected in registration order, the built-in catalog first."""
    from shadowlens.enrich.catalog import AppOverlay
    from shadowlens.enrich.extension import CatalogSource

    class Plugin:
        @shadowlens.hookimpl
        def register_catalog_sources(self) -> Iterable[CatalogSource]:
            return [CatalogSource("intranet", lambda: [AppOverlay(app_id="wiki", name="Wiki")])]

    plugins = get_plugins(load_entrypoints=False, extra=[Plugin()])
    sources = plugins.catalog_sources()
    assert [(p, s.name) for p, s in sources] == [
        ("shadowlens.enrich.builtin", "shadowlens"),
        ("extra-0", "intranet"),
    ]


def test_hook_register_enrichers() -> None:
    """Enrichers are collected in registration order with the plugin that supplies each."""
    from shadowlens.enrich.extension import Enricher

    class First:
        @shadowlens.hookimpl
        def register_enrichers(self) -> Iterable[Enricher]:
            return [Enricher("geo", lambda df: df)]

    class Second:
        @shadowlens.hookimpl
        def register_enrichers(self) -> Iterable[Enricher]:
            return (e for e in [Enricher("hr", lambda df: df)])

    plugins = get_plugins(load_entrypoints=False, extra=[First(), Second()])
    assert [(p, e.name) for p, e in plugins.enrichers()] == [("extra-0", "geo"), ("extra-1", "hr")]
