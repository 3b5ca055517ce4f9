"""The built-in catalog, registered through the same hook as third-party catalog sources.

Listed in :data:`shadowlens.plugins.manager.DEFAULT_PLUGINS`, so it is the first layer of every
plugin-composed catalog; ``--disable-plugin shadowlens.enrich.builtin`` leaves it out.

Examples
--------
>>> [s.name for s in register_catalog_sources()]
['shadowlens']
"""

from __future__ import annotations

from shadowlens.enrich.catalog import load_shipped
from shadowlens.enrich.extension import CatalogSource
from shadowlens.plugins.hookspecs import hookimpl

#: The shipped starter catalog (``shadowlens/data/catalog``) as a catalog source.
SHIPPED = CatalogSource(
    "shadowlens",
    load_shipped,
    "starter catalog built from v2fly, twofactorauth, sso.tax, FedRAMP and vendor documentation",
)


@hookimpl
def register_catalog_sources() -> list[CatalogSource]:
    """The shipped starter catalog."""
    return [SHIPPED]
