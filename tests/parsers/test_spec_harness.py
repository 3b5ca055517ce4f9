"""The shared differential harness (:func:`shadowlens.testing.check_spec`).

Every registered spec format (built-in or installed) and the Acme spec of issue 7
pass it; and it fails where it must: a fast path that loses, corrupts or skips
a field, and a spec whose ``[[examples]]`` are wrong.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, Phase, find, given, settings

from shadowlens.parsers.specformat import SpecFormat
from shadowlens.plugins.manager import get_plugins
from shadowlens.testing import (
    check_spec,
    format_class,
    grammar_lines,
    line_grammar,
    mutated_lines,
)

ACME = Path(__file__).resolve().parents[1] / "spec" / "acme" / "acme.toml"
SPEC_FORMATS = {
    name: entry.cls
    for name, entry in get_plugins().formats().items()
    if issubclass(entry.cls, SpecFormat)
}
#: Only the verdict matters in these tests: no shrinking, no example database.
NO_SHRINK = settings(
    phases=[Phase.generate],
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
#: Enough examples to catch the broken fast paths below every time, few enough to stay fast.
MAX_EXAMPLES = 25


@pytest.mark.parametrize("name", sorted(SPEC_FORMATS))
def test_registered_spec_format_passes_the_harness(name: str) -> None:
    report = check_spec(SPEC_FORMATS[name], max_examples=MAX_EXAMPLES)
    assert report.grammar_lines.agreed > 0


def test_builtin_specs_are_in_the_run() -> None:
    """Guard against an empty parametrization: every built-in format is a spec."""
    assert {"cef", "leef", "w3c"} <= set(SPEC_FORMATS)


def test_acme_spec_from_the_issue_passes_the_harness() -> None:
    short = "2025-11-26T10:15:02+0100|10.1.2.3|alice|POST"  # cut short: both paths reject it
    report = check_spec(ACME, [short], max_examples=MAX_EXAMPLES)
    assert report.examples == 1
    assert (report.sample.agreed, report.sample.rejected) == (1, 1)
    assert report.skipped == ()


# -- the harness catches a broken fast path -------------------------------------------------

Acme: Any = format_class(ACME)


class DroppingAcme(Acme):  # type: ignore[misc,valid-type]
    """The fast path loses a field."""

    def fast_fields(self, lines: pl.DataFrame, state: Any) -> pl.DataFrame:
        fields = super().fast_fields(lines, state)
        return fields.with_columns(pl.lit(None, pl.String()).alias("verdict"))


class TrimmingAcme(Acme):  # type: ignore[misc,valid-type]
    """The fast path "cleans" values: it trims the spaces around every field."""

    def fast_fields(self, lines: pl.DataFrame, state: Any) -> pl.DataFrame:
        fields = super().fast_fields(lines, state)
        return fields.with_columns(pl.exclude("_row").str.strip_chars(" "))


class AsciiAcme(Acme):  # type: ignore[misc,valid-type]
    """The fast path takes only ASCII URLs; Lark takes any."""

    def fast_fields(self, lines: pl.DataFrame, state: Any) -> pl.DataFrame:
        fields = super().fast_fields(lines, state)
        return fields.filter(pl.col("url").str.contains(r"^[\x00-\x7f]*$"))


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        (DroppingAcme, "verdict: fast=None reference="),
        (TrimmingAcme, ": fast="),
        (AsciiAcme, "fast path rejects a line Lark accepts"),
    ],
)
def test_harness_catches_a_broken_fast_path(broken: type[SpecFormat], message: str) -> None:
    # No sample and no examples: only the property run can see the bug.
    with pytest.raises(AssertionError) as info:
        check_spec(broken, examples=False, max_examples=MAX_EXAMPLES, settings=NO_SHRINK)
    text = str(info.value)
    assert "fast path and Lark reference disagree" in text
    assert message in text
    assert re.search("Falsifying example|Failing test case", text)  # the lines to replay


# -- the harness catches wrong examples -------------------------------------------------------


def test_harness_catches_wrong_examples(tmp_path: Path) -> None:
    (tmp_path / "acme.lark").write_text((ACME.parent / "acme.lark").read_text())
    spec = ACME.read_text().replace("bytes_up = 5120,", "bytes_up = 5121,")
    spec += '\n[[examples]]\nline = "2025-11-26T10:15:02+0100|10.1.2.3"\nquarantined = "syntax"\n'
    (tmp_path / "acme.toml").write_text(spec)
    with pytest.raises(AssertionError) as info:
        check_spec(tmp_path / "acme.toml", max_examples=5)
    text = str(info.value)
    assert "bytes_up: expected 5121, got 5120" in text
    assert "quarantined as 'unexpected_end', expected 'syntax'" in text
    assert "event_time" not in text  # the columns that are right are not reported


def test_unknown_example_column_is_reported(tmp_path: Path) -> None:
    (tmp_path / "acme.lark").write_text((ACME.parent / "acme.lark").read_text())
    spec = ACME.read_text().replace("http_status = 200,", "http_code = 200,")
    (tmp_path / "acme.toml").write_text(spec)
    with pytest.raises(AssertionError, match="records have no column 'http_code'"):
        check_spec(tmp_path / "acme.toml", max_examples=5)


def test_check_spec_wants_a_spec_format() -> None:
    from shadowlens import LogFormat, ParseResult

    class Python(LogFormat):
        name = "python-only"

        def parse(self, lines: Any, state: Any) -> ParseResult:
            raise NotImplementedError

    with pytest.raises(TypeError, match="not defined by a spec"):
        check_spec(Python)  # type: ignore[arg-type]


# -- the line strategies ----------------------------------------------------------------------


def test_parts_hypothesis_cannot_generate_are_skipped_with_a_reason(tmp_path: Path) -> None:
    grammar = (ACME.parent / "acme.lark").read_text()
    grammar = grammar.replace("verdict: FIELD", 'verdict: FIELD | BREAK\nBREAK: "\\n" FIELD')
    (tmp_path / "acme.lark").write_text(grammar)
    (tmp_path / "acme.toml").write_text(ACME.read_text())
    report = check_spec(tmp_path / "acme.toml", max_examples=5)
    (reason,) = report.skipped
    assert reason.startswith("terminal BREAK (pattern ")
    assert "cannot be generated from any UTF-8 character but newline" in reason
    assert reason.endswith("alternatives using it are not generated")


#: A fixed run of 100 examples: statistics of the generators, not a search for bugs.
STATS = settings(NO_SHRINK, max_examples=100, derandomize=True)


def test_long_tails_are_common() -> None:
    """Lines built part by part carry long key=value lists (CEF: five pairs and more)."""
    cef = format_class("cef")
    pairs: list[int] = []

    @STATS
    @given(grammar_lines(cef))
    def count(line: str) -> None:
        frame = pl.DataFrame(
            {"_row": [0], "line": [line]}, schema={"_row": pl.UInt32, "line": pl.String}
        )
        fields = cef().fast_fields(frame, None)
        pairs.extend(len(p) for p in fields["pairs"])

    count()
    # Measured: 16 to 27 lines in 100 have five pairs or more (half the generated
    # pairs glue onto the one before: KV_PAIR may end at `$` instead of spaces).
    assert sum(n >= 5 for n in pairs) >= 5, sorted(pairs)


def test_mutations_use_the_grammar_and_plan_pieces() -> None:
    cef = format_class("cef")
    pieces = line_grammar(cef).pieces
    for piece in ("CEF:", "|", "=", " rt=", "\\=", "\\|", "-"):
        assert piece in pieces
    keys = [p for p in pieces if p.startswith(" ") and p.endswith("=")]  # " rt=", " src=", ...
    assert len(keys) >= 3
    # The strategy can put a plan piece into a line (hypothesis searches until it does).
    found = find(
        mutated_lines(cef),
        lambda line: any(key in line for key in keys),
        settings=settings(max_examples=2000, database=None, deadline=None),
    )
    assert any(key in found for key in keys)
    escapes = ("\\|", "\\=", "\\n", "\\r")
    escaped = find(
        mutated_lines(cef),
        lambda line: any(escape in line for escape in escapes),
        settings=settings(max_examples=2000, database=None, deadline=None),
    )
    assert any(escape in escaped for escape in escapes)
