"""Conformance kit for format plugin authors (guide: ``docs/plugins.md``).

PLACEHOLDER
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from shadowlens.plugins.manager import Plugins, get_plugins
from shadowlens.testing._contract import JUNK_LINES, check_format_contract
from shadowlens.testing._harness import SpecReport, check_spec
from shadowlens.testing._kit import (
    FastPathReport,
    assert_fast_matches_reference,
    format_class,
    lines_frame,
    parse_lines,
    type_values,
)
from shadowlens.testing._strategies import (
    LineGrammar,
    grammar_lines,
    line_grammar,
    mutated_lines,
)

__all__ = [
    "JUNK_LINES",
    "FastPathReport",
    "LineGrammar",
    "SpecReport",
    "assert_fast_matches_reference",
    "check_format_contract",
    "check_spec",
    "format_class",
    "grammar_lines",
    "line_grammar",
    "lines_frame",
    "mutated_lines",
    "parse_lines",
    "shadowlens_plugins",
    "type_values",
]


# -- pytest fixture (a plain generator function when pytest is missing) ---------------


def _fresh_plugins() -> Iterator[Plugins]:
    """A fresh plugin manager (built-ins + installed entry points) for one test."""
    yield get_plugins()


shadowlens_plugins: Any
try:
    import pytest
except ImportError:  # pragma: no cover - the kit works without pytest
    shadowlens_plugins = _fresh_plugins
else:
    shadowlens_plugins = pytest.fixture(name="shadowlens_plugins")(_fresh_plugins)
