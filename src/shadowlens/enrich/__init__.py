"""Enrichment: the cloud-app catalog and its risk scores, vectorized matching, IP ranges,
enrichment plugins and user pseudonymisation.

Examples
--------
>>> import polars as pl
>>> from shadowlens.enrich import enrich, load_catalog
>>> out = enrich(pl.DataFrame({"dst_host": ["files.slack.com"], "dst_ip": [None]}), load_catalog())
>>> out.select("app_id", "dst_domain", "match_type").row(0)
('slack', 'slack.com', 'domain')
"""

from __future__ import annotations

import importlib as _importlib
import typing as _typing

#: public name -> module that defines it; imported on first use, so loading the catalog
#: (``catalog lookup``) imports neither polars nor the matcher
_WHERE = {
    "App": "catalog", "AppOverlay": "catalog", "Catalog": "catalog", "Problem": "catalog",
    "Rule": "catalog", "apply_overlay": "catalog", "load_catalog": "catalog",
    "validate": "catalog", "import_defender_csv": "defender", "write_overlay_toml": "defender",
    "registrable": "domains", "CatalogSource": "extension", "Enricher": "extension",
    "add_extras": "extension", "enrich": "match", "explain": "match",
    "Pseudonymizer": "pseudonymize", "pseudonymize_users": "pseudonymize",
    "import_ranges": "ranges", "Attribute": "risk", "RiskWeights": "risk",
    "load_weights": "risk",
}  # fmt: skip

if _typing.TYPE_CHECKING:
    from shadowlens.enrich.catalog import (
        App,
        AppOverlay,
        Catalog,
        Problem,
        Rule,
        apply_overlay,
        load_catalog,
        validate,
    )
    from shadowlens.enrich.defender import import_defender_csv, write_overlay_toml
    from shadowlens.enrich.domains import registrable
    from shadowlens.enrich.extension import CatalogSource, Enricher, add_extras
    from shadowlens.enrich.match import enrich, explain
    from shadowlens.enrich.pseudonymize import Pseudonymizer, pseudonymize_users
    from shadowlens.enrich.ranges import import_ranges
    from shadowlens.enrich.risk import Attribute, RiskWeights, load_weights


# eager: the submodule ``lookup`` would otherwise shadow the function of the same name
from shadowlens.enrich.lookup import lookup  # noqa: E402


def __getattr__(name: str) -> object:
    """Import a public name's module on first use (:data:`_WHERE`)."""
    if name not in _WHERE:
        msg = f"module {__name__!r} has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(_importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    globals()[name] = value
    return value


__all__ = [
    "App",
    "AppOverlay",
    "Attribute",
    "Catalog",
    "CatalogSource",
    "Enricher",
    "Problem",
    "Pseudonymizer",
    "RiskWeights",
    "Rule",
    "add_extras",
    "apply_overlay",
    "enrich",
    "explain",
    "import_defender_csv",
    "import_ranges",
    "load_catalog",
    "load_weights",
    "lookup",
    "pseudonymize_users",
    "registrable",
    "validate",
    "write_overlay_toml",
]


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
