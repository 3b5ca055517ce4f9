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
from shadowlens.enrich.lookup import lookup
from shadowlens.enrich.match import enrich, explain
from shadowlens.enrich.pseudonymize import Pseudonymizer, pseudonymize_users
from shadowlens.enrich.ranges import import_ranges
from shadowlens.enrich.risk import Attribute, RiskWeights, load_weights

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
