"""The hook contract every shadowlens plugin implements.

A plugin is a module (or object) with functions decorated with
:data:`shadowlens.hookimpl`, registered through the entry-point group
``shadowlens``::

    [project.entry-points.shadowlens]
    stormshield = "shadowlens_stormshield"

Built-in formats and the built-in catalog are plugins too: they are listed in
:data:`shadowlens.plugins.manager.DEFAULT_PLUGINS` and registered through the same
manager, before entry points. Hooks are called through the typed facade
:class:`shadowlens.plugins.Plugins`, never as ``pm.hook.*`` from core code.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from shadowlens.enrich.extension import CatalogSource, Enricher
    from shadowlens.parsers.base import LogFormat

PROJECT = "shadowlens"

hookspec = pluggy.HookspecMarker(PROJECT)
#: Decorator for hook implementations; plugins import it as ``shadowlens.hookimpl``.
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_formats() -> Iterable[type[LogFormat]]:  # type: ignore[empty-body]
    """Return the log format classes this plugin supplies.

    Each class subclasses :class:`shadowlens.LogFormat` (usually
    :class:`shadowlens.GrammarFormat`) and has a unique ``name``. Results of all
    plugins are collected; two classes with the same ``name`` make the manager
    raise :class:`shadowlens.errors.PluginError` naming both plugins.

    Returns
    -------
    Iterable[type[LogFormat]]
        Format classes, not instances: the engine instantiates them.
    """


@hookspec
def register_catalog_sources() -> Iterable[CatalogSource]:  # type: ignore[empty-body]
    """Return catalog sources: named suppliers of apps, rules, tags and attributes.

    Each :class:`shadowlens.enrich.extension.CatalogSource` has a unique ``name`` and a
    ``load()`` returning a :class:`shadowlens.enrich.catalog.Catalog` or overlay entries
    (:class:`shadowlens.enrich.catalog.AppOverlay`). Sources are layered in registration order:
    the built-in catalog (``shadowlens.enrich.builtin``) first, then entry-point plugins, then
    extra plugins; a later source wins on the same app or pattern, and the user's
    ``--catalog`` files win over every source. Two sources with the same ``name`` make the
    manager raise :class:`shadowlens.errors.PluginError` naming both plugins.

    Returns
    -------
    Iterable[CatalogSource]
        Catalog sources, loaded once per run (and per ``catalog`` command).
    """


@hookspec
def register_enrichers() -> Iterable[Enricher]:  # type: ignore[empty-body]
    """Return enrichers: named functions run on every batch of records after the catalog match.

    Each :class:`shadowlens.enrich.extension.Enricher` takes the enriched batch (a polars
    DataFrame in the record schema, ``extras`` as ``extras_keys``/``extras_values``) and
    returns the same rows in the same order, with canonical columns filled or ``extras`` keys
    added (:func:`shadowlens.enrich.extension.add_extras`). Enrichers run in registration
    order; one that raises or changes the row count stops the run with a
    :class:`shadowlens.errors.PluginError` naming it. Names are unique across plugins.

    Returns
    -------
    Iterable[Enricher]
        Enrichers, applied to every batch in registration order.
    """
