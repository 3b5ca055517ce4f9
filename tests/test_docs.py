"""``docs/formats.md`` cannot drift from the code.

A code block preceded by ``<!-- file: NAME -->`` is a complete file: every spec among them is
validated by :func:`shadowlens.spec.model.parse_spec`, compiled with its grammar and must give
its ``[[examples]]``. A block preceded by ``<!-- excerpt: PATH -->`` quotes the repository file
``PATH``: each of its lines must be a line of that file.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from shadowlens.plugins.specs import format_from_file
from shadowlens.spec.model import parse_spec
from shadowlens.testing import assert_examples

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "formats.md"
BLOCK = re.compile(r"<!-- (file|excerpt): (\S+) -->\n```\w+\n(.*?)```", re.S)


def blocks(kind: str) -> list[tuple[str, str]]:
    """(name or path, text) of the marked blocks of one kind, in document order."""
    text = DOC.read_text(encoding="utf-8")
    return [(name, body) for found, name, body in BLOCK.findall(text) if found == kind]


FILES = dict(blocks("file"))
SPECS = sorted(name for name in FILES if name.endswith(".toml"))


def test_the_doc_has_complete_specs() -> None:
    assert {"acme.toml", "acme-fw.toml", "acme-ws.toml"} <= set(SPECS)


@pytest.mark.parametrize("name", SPECS)
def test_complete_spec_loads_compiles_and_gives_its_examples(name: str, tmp_path: Path) -> None:
    for file, text in FILES.items():
        (tmp_path / file).write_text(text, encoding="utf-8")
    spec = parse_spec(FILES[name], tmp_path / name)
    assert spec.examples, f"{name}: a complete spec in the docs shows [[examples]]"
    assert assert_examples(format_from_file(tmp_path / name)) == len(spec.examples)


def test_the_acme_spec_is_the_tested_one() -> None:
    acme = ROOT / "tests" / "spec" / "acme"
    for name in ("acme.toml", "acme.lark"):
        assert FILES[name] == (acme / name).read_text(encoding="utf-8"), name


@pytest.mark.parametrize(("path", "text"), blocks("excerpt"), ids=lambda v: str(v)[:40])
def test_excerpt_is_quoted_from_its_file(path: str, text: str) -> None:
    lines = set((ROOT / path).read_text(encoding="utf-8").splitlines())
    missing = [line for line in text.splitlines() if line.strip() and line not in lines]
    assert not missing, f"not in {path}: {missing}"
