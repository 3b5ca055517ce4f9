"""The hook contract every shadowlens plugin implements.

A plugin is a module (or object) with functions decorated with
:data:`shadowlens.hookimpl`, registered through the entry-point group
``shadowlens``::

    [project.entry-points.shadowlens]
    stormshield = "shadowlens_stormshield"

Built-in formats are plugins too: they are listed in
:data:`shadowlens.plugins.manager.DEFAULT_PLUGINS` and registered through the same
manager, before entry points. Hooks are called through the typed facade
:class:`shadowlens.plugins.Plugins`, never as ``pm.hook.*`` from core code.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
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
