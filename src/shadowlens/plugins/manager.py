"""Build the plugin manager and expose the hooks through a typed facade.

Order of registration (which is also the order detection breaks ties in):

1. the built-ins in :data:`DEFAULT_PLUGINS` (the formats, then the built-in catalog);
2. every entry point of the group ``shadowlens``;
3. loose spec files: ``spec_paths`` (``--format-file``, ``--formats-dir``), then
   the files and folders of ``SHADOWLENS_FORMATS_PATH`` (``os.pathsep``
   separated). Each ``NAME.toml`` is a plugin of its own, named ``file:PATH``,
   compiled when registered: a broken spec or grammar is a
   :class:`~shadowlens.errors.PluginError` naming the plugin and the file;
4. ``extra`` plugin objects (tests, embedding applications).

A plugin can be blocked by name (``--disable-plugin NAME`` or the
``SHADOWLENS_DISABLE_PLUGINS`` variable, comma separated);
``SHADOWLENS_NO_ENTRYPOINTS=1`` skips entry points (not spec files).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, TypeGuard, TypeVar, cast

import pluggy

from shadowlens.errors import ConfigError, GrammarError, PluginError, SpecError
from shadowlens.formats import BUILTIN
from shadowlens.plugins import hookspecs

if TYPE_CHECKING:
    from shadowlens.enrich.extension import CatalogSource, Enricher
    from shadowlens.parsers.base import LogFormat

T = TypeVar("T")

ENTRY_POINT_GROUP = "shadowlens"
#: Spec files and folders registered after entry points (``os.pathsep`` separated).
FORMATS_PATH_ENV = "SHADOWLENS_FORMATS_PATH"

#: Built-in plugin modules, registered first and in this order.
DEFAULT_PLUGINS: tuple[str, ...] = (
    *(f"shadowlens.formats.{name}" for name in BUILTIN),
    "shadowlens.enrich.builtin",
)


@dataclass(frozen=True)
class FormatEntry:
    """One registered format and where it came from."""

    cls: type[LogFormat]
    plugin: str
    distribution: str | None = None
    version: str | None = None


@dataclass
class Plugins:
    """Typed facade over a configured :class:`pluggy.PluginManager`.

    Examples
    --------
    >>> plugins = get_plugins(load_entrypoints=False)
    >>> list(plugins.formats())[:3]
    ['cef', 'w3c', 'leef']
    """

    pm: pluggy.PluginManager
    _dists: dict[str, tuple[str, str]] = field(default_factory=dict)
    _formats: dict[str, FormatEntry] | None = None

    def formats(self) -> Mapping[str, FormatEntry]:
        """All registered formats by name; raises PluginError on a name clash."""
        if self._formats is None:
            found: dict[str, FormatEntry] = {}
            for impl in self.pm.hook.register_formats.get_hookimpls():
                plugin_name = self.pm.get_name(impl.plugin) or repr(impl.plugin)
                try:
                    classes = list(cast(Iterable[object], impl.function() or ()))
                except Exception as exc:
                    msg = f"register_formats failed: {exc}"
                    raise PluginError(msg, plugin=plugin_name) from exc
                dist = self._dists.get(plugin_name)
                for cls in classes:
                    if not _check_format_class(cls, plugin_name):
                        continue
                    if cls.name in found:
                        other = found[cls.name].plugin
                        msg = f"format name {cls.name!r} is registered by both {other!r} and {plugin_name!r}"
                        raise PluginError(msg, plugin=plugin_name)
                    found[cls.name] = FormatEntry(
                        cls, plugin_name, dist[0] if dist else None, dist[1] if dist else None
                    )
            self._formats = found  # registration order: built-ins first, then plugins
        return self._formats

    def catalog_sources(self) -> list[tuple[str, CatalogSource]]:
        """``(plugin, source)`` of every registered catalog source, in registration order.

        Raises
        ------
        PluginError
            A hook failed, returned something else than CatalogSource objects, or two
            sources share a name.
        """
        from shadowlens.enrich.extension import CatalogSource

        return self._named("register_catalog_sources", CatalogSource, "catalog source")

    def enrichers(self) -> list[tuple[str, Enricher]]:
        """``(plugin, enricher)`` of every registered enricher, in registration order.

        Raises
        ------
        PluginError
            As :meth:`catalog_sources`, for enrichers.
        """
        from shadowlens.enrich.extension import Enricher

        return self._named("register_enrichers", Enricher, "enricher")

    def _named(self, hook: str, kind: type[T], what: str) -> list[tuple[str, T]]:
        found: dict[str, tuple[str, T]] = {}
        for impl in getattr(self.pm.hook, hook).get_hookimpls():  # registration order
            plugin = self.pm.get_name(impl.plugin) or repr(impl.plugin)
            try:
                items = list(cast(Iterable[object], impl.function() or ()))
            except Exception as exc:
                msg = f"{hook} failed: {exc}"
                raise PluginError(msg, plugin=plugin) from exc
            for item in items:
                if not isinstance(item, kind):
                    msg = f"{hook} returned {item!r}, which is not a {kind.__name__}"
                    raise PluginError(msg, plugin=plugin)
                name = getattr(item, "name", "")
                if name in found:
                    msg = f"{what} name {name!r} is registered by both {found[name][0]!r} and {plugin!r}"
                    raise PluginError(msg, plugin=plugin)
                found[name] = (plugin, item)
        return list(found.values())

    def format(self, name: str) -> type[LogFormat]:
        """The format class registered as ``name``."""
        formats = self.formats()
        if name not in formats:
            known = ", ".join(formats)
            msg = f"unknown format {name!r}; registered formats: {known}"
            raise ConfigError(msg)
        return formats[name].cls


def _check_format_class(cls: object, plugin: str) -> TypeGuard[type[LogFormat]]:
    from shadowlens.parsers.base import LogFormat

    if not (isinstance(cls, type) and issubclass(cls, LogFormat)):
        msg = f"register_formats returned {cls!r}, which is not a LogFormat subclass"
        raise PluginError(msg, plugin=plugin)
    if not getattr(cls, "name", None):
        msg = f"format class {cls.__qualname__} has no 'name'"
        raise PluginError(msg, plugin=plugin)
    return True


def get_plugins(
    *,
    load_entrypoints: bool | None = None,
    disabled: Iterable[str] = (),
    extra: Iterable[object] = (),
    spec_paths: Iterable[str | Path] = (),
) -> Plugins:
    """Create a fresh plugin manager: built-ins, entry points, spec files, ``extra`` plugins.

    Parameters
    ----------
    load_entrypoints
        Load third-party plugins from the ``shadowlens`` entry-point group. Defaults
        to true unless ``SHADOWLENS_NO_ENTRYPOINTS`` is set.
    disabled
        Plugin names to block (a built-in module name such as
        ``shadowlens.formats.w3c`` or an entry-point name).
    extra
        Plugin objects registered last (tests and embedding applications).
    spec_paths
        Format spec files (``NAME.toml``) and folders of them, each registered as a
        plugin ``file:PATH`` after entry points; ``SHADOWLENS_FORMATS_PATH`` adds more.

    Raises
    ------
    PluginError
        When a plugin fails to import or to register, a spec file or its grammar
        fails to load (the message names the plugin and the file), or two spec-file
        formats clash with another plugin's name.
    """
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    blocked = {*disabled, *_env_list("SHADOWLENS_DISABLE_PLUGINS")}
    for name in blocked:
        pm.set_blocked(name)
    for module_name in DEFAULT_PLUGINS:
        if module_name in blocked:
            continue
        pm.register(_import_plugin(module_name), name=module_name)
    if load_entrypoints is None:
        load_entrypoints = not os.environ.get("SHADOWLENS_NO_ENTRYPOINTS")
    dists: dict[str, tuple[str, str]] = {}
    if load_entrypoints:
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            if ep.name in blocked or pm.is_blocked(ep.name):
                continue
            try:
                plugin = ep.load()
            except Exception as exc:
                msg = f"cannot load entry point {ep.value!r}: {exc}"
                raise PluginError(msg, plugin=ep.name) from exc
            if pm.is_registered(plugin):
                continue
            pm.register(plugin, name=ep.name)
            if ep.dist is not None:
                dists[ep.name] = (ep.dist.name, ep.dist.version)
    spec_plugins = _register_spec_files(pm, spec_paths)
    for index, plugin in enumerate(extra):
        pm.register(plugin, name=getattr(plugin, "__name__", f"extra-{index}"))
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(str(exc), plugin=pm.get_name(exc.plugin)) from exc
    plugins = Plugins(pm, dists)
    if spec_plugins:
        plugins.formats()  # a name clash of a spec file is a registration error too
    return plugins


def _register_spec_files(pm: pluggy.PluginManager, spec_paths: Iterable[str | Path]) -> int:
    """Register one :class:`~shadowlens.plugins.specs.SpecFilePlugin` per spec file."""
    from shadowlens.plugins.specs import SpecFilePlugin

    seen: set[Path] = set()
    for path, origin in _spec_files(spec_paths):
        name = f"file:{path}"
        if pm.is_blocked(name) or path.resolve() in seen:
            continue
        seen.add(path.resolve())
        try:
            plugin = SpecFilePlugin(path)
        except (SpecError, GrammarError) as exc:
            msg = f"{origin}{exc}"
            raise PluginError(msg, plugin=name) from exc
        pm.register(plugin, name=name)
    return len(seen)


def _spec_files(spec_paths: Iterable[str | Path]) -> Iterator[tuple[Path, str]]:
    """Spec files of the given paths, then of ``SHADOWLENS_FORMATS_PATH``, with their origin."""
    from shadowlens.plugins.specs import spec_files

    env = [p for p in os.environ.get(FORMATS_PATH_ENV, "").split(os.pathsep) if p.strip()]
    given = [(Path(p), "") for p in spec_paths]
    for path, origin in [*given, *((Path(p), f"{FORMATS_PATH_ENV}: ") for p in env)]:
        try:
            files = spec_files(path)
        except SpecError as exc:
            msg = f"{origin}{exc}"
            raise PluginError(msg, plugin=f"file:{path}") from exc
        yield from ((f, origin) for f in files)


def _import_plugin(module_name: str) -> ModuleType:
    try:
        return importlib.import_module(module_name)
    except ImportError as exc:
        msg = f"cannot import built-in plugin: {exc}"
        raise PluginError(msg, plugin=module_name) from exc


def _env_list(name: str) -> list[str]:
    return [part.strip() for part in os.environ.get(name, "").split(",") if part.strip()]
