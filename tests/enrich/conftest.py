from __future__ import annotations

import pytest

from shadowlens.enrich.catalog import Catalog, load_catalog


@pytest.fixture(scope="session")
def shipped() -> Catalog:
    return load_catalog()
