"""The plugin system: the hook contract and the plugin manager factory."""

from shadowlens.plugins.hookspecs import hookimpl, hookspec
from shadowlens.plugins.manager import DEFAULT_PLUGINS, ENTRY_POINT_GROUP, Plugins, get_plugins

__all__ = ["DEFAULT_PLUGINS", "ENTRY_POINT_GROUP", "Plugins", "get_plugins", "hookimpl", "hookspec"]
