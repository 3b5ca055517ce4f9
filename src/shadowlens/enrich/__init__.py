"""Enrichment: the cloud-app catalog, vectorized matching and user pseudonymisation.

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
from shadowlens.enrich.match import enrich, explain
from shadowlens.enrich.pseudonymize import Pseudonymizer, pseudonymize_users

__all__ = [
    "App",
    "AppOverlay",
    "Catalog",
    "Problem",
    "Pseudonymizer",
    "Rule",
    "apply_overlay",
    "enrich",
    "explain",
    "import_defender_csv",
    "load_catalog",
    "pseudonymize_users",
    "validate",
    "write_overlay_toml",
]
