"""The differential harness every spec format runs: :func:`check_spec`.

Part of :mod:`shadowlens.testing`; import from there.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from shadowlens.contract import LogFormat
from shadowlens.parsers.base import ParseOptions
from shadowlens.parsers.specformat import SpecFormat
from shadowlens.spec.authoring import check_examples
from shadowlens.testing._contract import check_format_contract, check_sample
from shadowlens.testing._kit import (
    FastPathReport,
    assert_fast_matches_reference,
    format_class,
    raise_problems,
)
from shadowlens.testing._strategies import line_grammar, require_hypothesis

if TYPE_CHECKING:
    from hypothesis import settings as Settings
    from hypothesis.strategies import SearchStrategy

#: Lines per property example (one chunk, so rows of several lines interact).
_LINES_PER_EXAMPLE = 8


@dataclass(frozen=True)
class SpecReport:
    """What :func:`check_spec` checked (it raises when anything failed).

    ``examples``: ``[[examples]]`` checked; ``sample``: the fast path against
    Lark on ``sample`` plus the example lines; ``grammar_lines`` and
    ``mutated_lines``: the same counts over all lines of the property run;
    ``skipped``: parts of the grammar hypothesis could not generate, and why.
    """

    name: str
    examples: int
    sample: FastPathReport
    grammar_lines: FastPathReport
    mutated_lines: FastPathReport
    skipped: tuple[str, ...]


def check_spec(
    fmt_or_path: type[SpecFormat] | str | Path,
    sample: Sequence[str] = (),
    *,
    examples: bool = True,
    max_examples: int = 30,
    options: ParseOptions | None = None,
    explicit: Mapping[str, SearchStrategy[str]] | None = None,
    settings: Settings | None = None,
) -> SpecReport:
    """Run every generic check on a spec format; raise AssertionError listing every problem.

    Checked, in order:

    1. the format contract (:func:`~shadowlens.testing.check_format_contract`)
       on ``sample`` and the example lines;
    2. with ``examples``, each ``[[examples]]`` of the spec: its ``line`` gives
       one record whose columns equal ``expect`` (datetimes compared as ISO
       strings in UTC, ``extras`` as a table), or, with ``quarantined``, is
       quarantined with that error code;
    3. the fast path equals the Lark reference, line by line, on ``sample``
       and the example lines;
    4. the property run, ``max_examples`` chunks of up to 8 lines each:
       lines generated from the grammar (:func:`~shadowlens.testing.grammar_lines`)
       and mutated lines (:func:`~shadowlens.testing.mutated_lines`). For both,
       per line, the fast path and Lark both reject it or accept it with equal
       parsed fields (the fast path must take every line Lark takes, unless the
       format names ``reference_only`` parts), and the chunk is accounted for
       and conforms to the canonical schema. At least one generated line must
       be accepted by Lark, else the run proved nothing.

    Parameters
    ----------
    fmt_or_path
        A spec format class, a registered format name, or a spec file (``acme.toml``).
    sample
        Realistic lines of the format.
    examples
        Check the spec's ``[[examples]]``.
    max_examples
        Hypothesis examples per property (grammar lines, mutated lines).
    options
        Format options for every check but the contract's own.
    explicit
        Strategies for terminals hypothesis cannot generate (see
        :func:`~shadowlens.testing.grammar_lines`).
    settings
        Hypothesis settings the property run starts from (default: the active
        profile); ``max_examples``, no deadline, no explain phase and no health
        check on slow or large data are set on top. For example
        ``settings(phases=[Phase.generate])`` skips shrinking when only the
        verdict matters.

    Returns
    -------
    SpecReport
        The counts, and the grammar parts that could not be generated.

    Raises
    ------
    AssertionError
        Listing every problem: contract, examples, fast path against Lark (with
        the falsifying lines hypothesis found).
    """
    require_hypothesis()
    fmt_cls = _spec_class(fmt_or_path)
    spec = fmt_cls.spec
    fmt = fmt_cls(options or ParseOptions())
    example_lines = [e.line for e in spec.examples] if examples else []
    lines = [*sample, *example_lines]
    problems: list[str] = []
    try:
        check_format_contract(fmt_cls, lines, options=options)
    except AssertionError as exc:
        problems.append(str(exc))
    if examples:
        _check_examples(fmt, problems)
    allow_fallback = bool(fmt_cls.reference_only)
    sample_report = FastPathReport(0, 0, 0)
    try:
        sample_report = assert_fast_matches_reference(fmt, lines, allow_fallback=allow_fallback)
    except AssertionError as exc:
        if not any(str(exc) in p for p in problems):  # the contract may have said it already
            problems.append(f"sample and example lines: {exc}")
    grammar = line_grammar(fmt_cls, explicit=explicit)
    runs = []
    for what, strategy in (("grammar lines", grammar.lines), ("mutated lines", grammar.mutated)):
        if strategy is None:
            runs.append(FastPathReport(0, 0, 0))
            continue
        runs.append(
            _property_run(fmt, what, strategy, settings, max_examples, allow_fallback, problems)
        )
    if grammar.lines is not None and runs[0].agreed + runs[0].fallback == 0:
        problems.append(
            f"grammar lines: Lark accepted none of the {runs[0].rejected} generated lines, "
            "so the property run proved nothing (is the grammar ambiguous for Lark's lexer?)"
        )
    raise_problems(problems, f"spec format {fmt_cls.name!r} ({spec.path}) fails its checks")
    return SpecReport(
        name=fmt_cls.name,
        examples=len(spec.examples) if examples else 0,
        sample=sample_report,
        grammar_lines=runs[0],
        mutated_lines=runs[1],
        skipped=grammar.skipped,
    )


def _spec_class(fmt_or_path: type[SpecFormat] | str | Path) -> type[SpecFormat]:
    cls = fmt_or_path if isinstance(fmt_or_path, type) else format_class(fmt_or_path)
    if not issubclass(cls, SpecFormat):
        msg = f"{cls.__name__} is not defined by a spec (a SpecFormat): use check_format_contract"
        raise TypeError(msg)
    return cls


# -- [[examples]] -----------------------------------------------------------------------


def _check_examples(fmt: SpecFormat, problems: list[str]) -> None:
    """Each ``[[examples]]`` line against its ``expect`` (:func:`check_examples`, one rule set
    shared with ``shadowlens formats check``)."""
    for check in check_examples(type(fmt), fmt.options):
        where = f"examples[{check.index - 1}] {check.line[:80]!r}"
        problems.extend(f"{where}: {problem}" for problem in check.problems)


def assert_examples(fmt_cls: type[LogFormat], *, options: ParseOptions | None = None) -> int:
    """Check that every ``[[examples]]`` line of a spec format gives what it ``expect``s.

    Returns the number of examples checked (0 for formats not defined by a spec).

    Raises
    ------
    AssertionError
        Listing every example, column, expected and actual value that differ.

    Examples
    --------
    >>> from shadowlens.testing import format_class
    >>> assert_examples(format_class("cef"))
    1
    """
    checks = check_examples(fmt_cls, options)
    found = [f"example {c.index} ({c.line[:80]!r}): {p}" for c in checks for p in c.problems]
    raise_problems(found, f"{fmt_cls.name}: examples do not give what they expect")
    return len(checks)


# -- the property run --------------------------------------------------------------------


def _property_run(
    fmt: SpecFormat,
    what: str,
    strategy: SearchStrategy[str],
    parent: Settings | None,
    max_examples: int,
    allow_fallback: bool,
    problems: list[str],
) -> FastPathReport:
    """Run one property with hypothesis; add its failure (with the lines) to ``problems``."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st

    counts = [0, 0, 0]
    chunks: list[list[str]] = []

    def agree(lines: list[str]) -> None:
        report = assert_fast_matches_reference(fmt, lines, allow_fallback=allow_fallback)
        counts[0] += report.agreed
        counts[1] += report.rejected
        counts[2] += report.fallback
        chunks.append(lines)

    # The name keys hypothesis' example database: one per format and property.
    agree.__name__ = agree.__qualname__ = re.sub(r"\W", "_", f"check_spec_{fmt.name}_{what}")
    base = settings() if parent is None else parent
    test = settings(
        base,
        max_examples=max_examples,
        deadline=None,
        report_multiple_bugs=False,
        # No explain phase: it traces every line of Python the check runs (minutes).
        phases=[p for p in base.phases if p is not Phase.explain],
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.filter_too_much,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
    )(given(st.lists(strategy, min_size=1, max_size=_LINES_PER_EXAMPLE))(agree))
    try:
        test()
    except AssertionError as exc:
        notes = "\n".join(getattr(exc, "__notes__", ()))
        problems.append(f"{what}: {exc}\n{notes}".rstrip())
    except Exception as exc:
        problems.append(f"{what}: the property run raised {type(exc).__name__}: {exc}")
    _check_chunks(fmt, what, chunks, problems)
    return FastPathReport(*counts)


def _check_chunks(fmt: SpecFormat, what: str, chunks: list[list[str]], problems: list[str]) -> None:
    """Parse every drawn line as one file (a mapping run per chunk would cost more than
    the differential); on a problem, name the first chunk that shows it."""
    found: list[str] = []
    check_sample(fmt, [line for chunk in chunks for line in chunk], None, found)
    if not found:
        return
    culprit = next((c for c in chunks if _sample_problems(fmt, c)), None)
    lines = f"; for example in the lines {culprit!r}" if culprit else ""
    problems.append(f"{what} break the format contract{lines}: " + "; ".join(found))


def _sample_problems(fmt: SpecFormat, lines: list[str]) -> list[str]:
    found: list[str] = []
    try:
        check_sample(fmt, lines, None, found)
    except Exception as exc:
        found.append(f"{type(exc).__name__}: {exc}")
    return found


__all__ = ["SpecReport", "check_spec"]
