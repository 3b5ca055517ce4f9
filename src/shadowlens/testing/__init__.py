"""Conformance kit for format plugin authors (guide: ``docs/plugins.md``).

Use it from your own test suite; with shadowlens installed it is also a pytest
plugin (entry point ``pytest11``), so the ``shadowlens_plugins`` fixture needs
no import. The helpers raise :class:`AssertionError` listing every problem they
found, so they work under any test runner. Importing this module has no side
effects and needs neither pytest (without it, ``shadowlens_plugins`` is a plain
generator function) nor hypothesis (needed only by the strategies and
:func:`check_spec`: ``pip install 'shadowlens[testing]'``).

What is here
------------
* :func:`check_spec`: the one-call harness for a format defined by a spec
  (``NAME.toml`` + ``NAME.lark``): the format contract, the spec's
  ``[[examples]]``, the fast path against the Lark reference on your sample, and
  a property run on lines generated from the grammar and mutated;
* :func:`grammar_lines`, :func:`mutated_lines`: the hypothesis strategies of that
  run, for your own properties (:func:`line_grammar` also says which grammar
  parts could not be generated, and why);
* :func:`check_format_contract`, :func:`assert_fast_matches_reference`: the
  building blocks, also for formats written in Python (``GrammarFormat``);
* :func:`parse_lines`, :func:`lines_frame`, :func:`format_class`,
  :func:`type_values`: parse and type as the engine does.

A spec-only plugin's whole test file (``tests/test_acme.py``)::

    from pathlib import Path

    from shadowlens.testing import check_spec

    SPEC = Path(__file__).parents[1] / "src" / "acme_formats" / "acme.toml"
    SAMPLE = [
        "2025-11-26T10:15:02+0100|10.1.2.3|alice|POST|https://files.example.com/up|200|5120|300|ALLOWED",
        "2025-11-26T10:15:03+0100|10.1.2.4|-|GET|https://example.org/|404|0|120|BLOCKED",
    ]


    def test_acme_spec():
        check_spec(SPEC, SAMPLE)  # or the registered name: check_spec("acme-proxy", SAMPLE)

Put known edge cases in the spec as ``[[examples]]`` (a ``line`` and the
columns it must ``expect``, or the ``quarantined`` error code it must get): they
document the format and are checked here. A failing property shows the lines
hypothesis found (and keeps them in its example database, so the next run tries
them first). Pass ``max_examples=`` for a longer run in CI, and
``settings=hypothesis.settings(...)`` for anything else.

Examples
--------
>>> result = parse_lines(format_class("cef"), ["CEF:0|V|P|1|1|n|5|rt=1700000000000 src=10.0.0.1", ""])
>>> result.records.height, result.quarantine.height
(1, 0)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from shadowlens.plugins.manager import Plugins, get_plugins
from shadowlens.testing._contract import JUNK_LINES, check_format_contract
from shadowlens.testing._harness import SpecReport, assert_examples, check_spec
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
    "assert_examples",
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
