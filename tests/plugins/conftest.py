from __future__ import annotations

import os

import pytest

from shadowlens.plugins.manager import FormatEntry, Plugins

EXAMPLE_DIST = "shadowlens-stormshield"
NOT_INSTALLED = (
    "the example plugin examples/shadowlens-stormshield is not installed "
    "(`make setup` installs it; or `pip install -e examples/shadowlens-stormshield`)"
)


@pytest.fixture
def example_entry(shadowlens_plugins: Plugins) -> FormatEntry:
    """The example plugin's registered format; a missing plugin fails under CI, skips locally."""
    entry = shadowlens_plugins.formats().get("stormshield")
    if entry is None or entry.distribution != EXAMPLE_DIST:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set and {NOT_INSTALLED}")
        pytest.skip(NOT_INSTALLED)
    return entry
