"""Compile-time checks: what a spec gets wrong fails when it loads, naming file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from shadowlens.errors import SpecError
from shadowlens.plugins.specs import format_from_file

GRAMMAR = 'start: time "|" user\ntime: FIELD\nuser: FIELD\nFIELD: /[^|]+/\n'


def write(tmp_path: Path, body: str, name: str = "t") -> Path:
    (tmp_path / f"{name}.lark").write_text(GRAMMAR, encoding="utf-8")
    path = tmp_path / f"{name}.toml"
    head = f'[format]\nname = "{name}"\ndescription = "d"\ngrammar = "{name}.lark"\n'
    path.write_text(head + body, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("body", "line", "words"),
    [
        ("[fields]\nuser_name = { from = \"user\", extract = '(?=x)(.*)' }\n", 6, "extract"),
        ('[fields]\nuser_name = { from = "user", patterns = [["(?<=a)b", "c"]] }\n', 6, "patterns"),
        ("[detect]\npattern = '(?!x)'\n[fields]\nuser_name = { from = \"user\" }\n", 6, "detect"),
    ],
)
def test_a_regex_the_fast_path_cannot_run_fails_at_load(
    tmp_path: Path, body: str, line: int, words: str
) -> None:
    with pytest.raises(SpecError, match=words) as info:
        format_from_file(write(tmp_path, body))
    assert str(info.value).startswith(f"{tmp_path / 't.toml'}:")
    assert info.value.line is not None


def test_a_missing_derive_function_fails_at_load(tmp_path: Path) -> None:
    body = (
        'module = "shadowlens.formats.w3c.w3c"\n'
        '[fields]\nurl = { derive = "no_such_function", from = ["user"] }\n'
    )
    with pytest.raises(SpecError, match="no_such_function"):
        format_from_file(write(tmp_path, body))


def test_a_constant_true_is_written_in_lower_case(tmp_path: Path) -> None:
    fmt = format_from_file(write(tmp_path, "[fields]\nuser_name = { value = true }\n"))
    (rule,) = fmt.spec.fields
    assert rule.alternatives[0].value == "true"
