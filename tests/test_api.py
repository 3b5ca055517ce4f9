"""The public API: ``shadowlens.__all__`` is exactly what the package exposes."""

from __future__ import annotations

import inspect
from types import ModuleType

import pytest

import shadowlens


def public_names(module: ModuleType) -> set[str]:
    return {
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and not isinstance(value, ModuleType) and name != "annotations"
    }


def test_all_equals_the_public_names() -> None:
    assert set(shadowlens.__all__) - {"__version__"} == public_names(shadowlens)


def test_all_has_no_duplicates() -> None:
    assert len(set(shadowlens.__all__)) == len(shadowlens.__all__)


@pytest.mark.parametrize("name", sorted(public_names(shadowlens)))
def test_every_public_name_is_documented(name: str) -> None:
    value = getattr(shadowlens, name)
    if inspect.isclass(value) or inspect.isfunction(value):
        assert inspect.getdoc(value), f"shadowlens.{name} has no docstring"


def test_plugin_author_names() -> None:
    for name in ("hookimpl", "LogFormat", "GrammarFormat", "ParseOptions", "ParseResult"):
        assert name in shadowlens.__all__
    assert issubclass(shadowlens.GrammarFormat, shadowlens.LogFormat)
    assert issubclass(shadowlens.ConfigError, ValueError)
    for error in ("ConfigError", "InputError", "GrammarError", "PluginError", "ParseError"):
        assert issubclass(getattr(shadowlens, error), shadowlens.ShadowlensError)


def test_version_matches_the_distribution() -> None:
    from importlib.metadata import version

    assert shadowlens.__version__ == version("shadowlens")


def test_testing_kit_all() -> None:
    from shadowlens import testing

    assert set(testing.__all__) <= set(vars(testing))
    assert public_names(testing) >= set(testing.__all__)
