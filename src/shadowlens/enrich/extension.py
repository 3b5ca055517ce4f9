"""What catalog-source and enricher plugins supply, and how shadowlens applies them.

Two hooks (:mod:`shadowlens.plugins.hookspecs`) extend enrichment:

* ``register_catalog_sources`` returns :class:`CatalogSource` objects: named callables giving a
  :class:`~shadowlens.enrich.catalog.Catalog` or overlay entries (apps, rules, tags). Sources
  are layered in registration order, the built-in catalog first (it is registered through this
  same hook by :mod:`shadowlens.enrich.builtin`), then entry-point plugins, then ``extra``
  plugins; the user's ``--catalog`` files come last and win.
* ``register_enrichers`` returns :class:`Enricher` objects: named functions run on every batch
  of records after the catalog match, in registration order (a GeoIP lookup, an HR-directory
  join). An enricher returns the same rows in the same order; it may fill canonical columns
  and add keys to ``extras`` (:func:`add_extras`); columns outside the record schema are not
  kept. An enricher that raises or changes the row count stops the run with a
  :class:`~shadowlens.errors.PluginError` naming it.

Examples
--------
>>> import polars as pl
>>> tag = Enricher("dept", lambda df: add_extras(df, {"hr.dept": pl.lit("sales")}))
>>> run_enrichers(pl.DataFrame({"user_name": ["bob"]}), [("hr", tag)])["extras_values"].to_list()
[['sales']]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from shadowlens.enrich.catalog import AppOverlay, Catalog, Rule, apply_overlay
from shadowlens.errors import PluginError, ShadowlensError

if TYPE_CHECKING:  # polars is imported by the functions that run enrichers, not to load a catalog
    import polars as pl


@dataclass(frozen=True)
class CatalogSource:
    """A named supplier of catalog apps and rules.

    ``load`` returns a whole :class:`Catalog` (its apps replace apps of the same id, its rules
    join at this source's layer) or overlay entries (applied like a user file). It is called
    once per catalog load.
    """

    name: str
    load: Callable[[], Catalog | Iterable[AppOverlay]]
    description: str = ""


@dataclass(frozen=True)
class Enricher:
    """A named function that adds information to every batch of enriched records."""

    name: str
    enrich: Callable[[pl.DataFrame], pl.DataFrame]
    description: str = ""
    needs: tuple[str, ...] = field(default=())  # columns it reads, checked before it runs


def compose(sources: Sequence[tuple[str, CatalogSource]]) -> Catalog:
    """One catalog from ``(plugin, source)`` pairs, later sources layered over earlier ones.

    The first source's rules keep layer 0, the next layer 1, and so on; the catalog version is
    the first non-empty one.

    Raises
    ------
    PluginError
        A source raised, or returned something other than a Catalog or overlay entries.
    """
    catalog = Catalog({}, [], "")
    for layer, (plugin, source) in enumerate(sources):
        try:
            loaded = source.load()
        except ShadowlensError:
            raise
        except Exception as exc:
            msg = f"catalog source {source.name!r} failed: {type(exc).__name__}: {exc}"
            raise PluginError(msg, plugin=plugin) from exc
        if isinstance(loaded, Catalog):
            rules = [Rule(r.app_id, r.kind, r.pattern, r.source, r.license, r.origin, layer)
                     for r in loaded.rules]  # fmt: skip
            catalog = Catalog(
                {**catalog.apps, **loaded.apps},
                [*catalog.rules, *rules],
                catalog.version or loaded.version,
            )
            continue
        entries = list(loaded)
        if not all(isinstance(e, AppOverlay) for e in entries):
            msg = f"catalog source {source.name!r} must return a Catalog or AppOverlay entries"
            raise PluginError(msg, plugin=plugin)
        catalog = apply_overlay(catalog, entries, layer=layer)
    return catalog


def run_enrichers(records: pl.DataFrame, enrichers: Sequence[tuple[str, Enricher]]) -> pl.DataFrame:
    """Apply ``(plugin, enricher)`` pairs in order, checking each keeps the rows.

    Raises
    ------
    PluginError
        An enricher lacks a column it needs, raised, returned no frame or changed the rows.
    """
    import polars as pl

    for plugin, enricher in enrichers:
        missing = [c for c in enricher.needs if c not in records.columns]
        if missing:
            msg = f"enricher {enricher.name!r} needs the columns {missing}"
            raise PluginError(msg, plugin=plugin)
        try:
            out = enricher.enrich(records)
        except ShadowlensError:
            raise
        except Exception as exc:
            msg = f"enricher {enricher.name!r} failed: {type(exc).__name__}: {exc}"
            raise PluginError(msg, plugin=plugin) from exc
        if not isinstance(out, pl.DataFrame) or out.height != records.height:
            got = out.height if isinstance(out, pl.DataFrame) else type(out).__name__
            msg = f"enricher {enricher.name!r} must return the {records.height} rows it got, returned {got}"
            raise PluginError(msg, plugin=plugin)
        records = out
    return records


def add_extras(records: pl.DataFrame, values: Mapping[str, pl.Expr]) -> pl.DataFrame:
    """Append ``key -> value`` pairs to each record's ``extras`` (null values are skipped).

    ``extras`` travels as the parallel lists ``extras_keys`` / ``extras_values``
    (:func:`shadowlens.schema.conform`); missing lists start empty.

    Examples
    --------
    >>> import polars as pl
    >>> df = add_extras(pl.DataFrame({"x": [1, 2]}), {"geo.cc": pl.when(pl.col("x") == 1).then(pl.lit("FR"))})
    >>> df["extras_keys"].to_list(), df["extras_values"].to_list()
    ([['geo.cc'], []], [['FR'], []])
    """
    import polars as pl

    keys = (
        pl.col("extras_keys")
        if "extras_keys" in records.columns
        else pl.lit([], pl.List(pl.String))
    )
    vals = (
        pl.col("extras_values")
        if "extras_values" in records.columns
        else pl.lit([], pl.List(pl.String))
    )
    keys = keys.fill_null([])
    vals = vals.fill_null([])
    for key, expr in values.items():
        value = expr.cast(pl.String)
        keys = (
            pl.when(value.is_not_null())
            .then(keys.list.concat(pl.concat_list(pl.lit(key))))
            .otherwise(keys)
        )
        vals = (
            pl.when(value.is_not_null())
            .then(vals.list.concat(pl.concat_list(value)))
            .otherwise(vals)
        )
    return records.with_columns(keys.alias("extras_keys"), vals.alias("extras_values"))
