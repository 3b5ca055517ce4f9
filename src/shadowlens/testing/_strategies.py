"""Hypothesis strategies of a format's lines: generated from its grammar, then mutated.

Part of :mod:`shadowlens.testing`; import from there. Everything is derived from
the format class (its Lark grammar and start rule) and, for a spec format, from
its compiled plan; nothing here knows a particular format. Hypothesis is
imported only when a strategy is built, so the kit imports without it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lark.grammar import NonTerminal, Rule, Symbol, Terminal

from shadowlens.parsers.base import GrammarFormat

if TYPE_CHECKING:
    from hypothesis.strategies import DrawFn, SearchStrategy
    from lark import Lark
    from lark.lexer import TerminalDef

#: What a line may hold: any character UTF-8 can encode, except the newline.
ALPHABET_DESCRIPTION = "any UTF-8 character but newline"
#: Repetitions (``x*``, ``x+``) among the start rule's parts are drawn as lists of up
#: to this many items, so long tails (key=value lists, many columns) are common.
MAX_REPEAT = 12
#: Below this depth the parts are drawn alternative by alternative; deeper, whole
#: rules come from ``from_lark``.
_PART_DEPTH = 3
#: How much more often the parts generator takes a non-empty alternative than an empty one.
_PRESENT_WEIGHT = 4
#: Pieces every mutation may insert, besides those taken from the grammar and plan.
_GENERIC_PIECES = ("\\", "\t", " ", "é", "✓", "\ufffd")

FormatType = type[GrammarFormat]


@dataclass(frozen=True)
class LineGrammar:
    """The line strategies of one format, and what could not be generated.

    ``lines`` draws lines of the grammar; ``mutated`` draws them mutated;
    ``pieces`` are the texts mutations insert (from the grammar and the plan);
    ``skipped`` says, one sentence each, which parts hypothesis cannot generate
    and what happens instead. ``lines`` is ``None`` when the start rule itself
    cannot be generated (``skipped`` says why).
    """

    name: str
    lines: SearchStrategy[str] | None
    mutated: SearchStrategy[str] | None
    pieces: tuple[str, ...]
    skipped: tuple[str, ...]


def grammar_lines(
    fmt: FormatType | GrammarFormat,
    *,
    explicit: Mapping[str, SearchStrategy[str]] | None = None,
) -> SearchStrategy[str]:
    """Lines generated from the format's grammar (a hypothesis strategy).

    Half come from :func:`hypothesis.extra.lark.from_lark` on the start rule; the
    other half are built from the start rule's top-level parts one by one, with
    repetitions drawn as lists of up to :data:`MAX_REPEAT` items so long tails
    such as key=value lists are common. The alphabet is any UTF-8 character but
    newline. Terminals hypothesis cannot generate (``%declare``, a pattern that
    needs a newline) are left out where the grammar offers an alternative; pass
    a strategy for them in ``explicit`` (terminal name to strategy, as
    ``from_lark`` takes it). Lark's contextual lexer may still split a drawn
    line differently than it was built: some lines are rejected by Lark.

    Raises
    ------
    ValueError
        When the start rule cannot be generated at all, saying why.

    Examples
    --------
    >>> from shadowlens.testing import format_class
    >>> strategy = grammar_lines(format_class("cef"))
    """
    grammar = line_grammar(fmt, explicit=explicit)
    if grammar.lines is None:
        msg = f"cannot generate lines of {grammar.name!r}: " + "; ".join(grammar.skipped)
        raise ValueError(msg)
    return grammar.lines


def mutated_lines(
    fmt: FormatType | GrammarFormat,
    *,
    explicit: Mapping[str, SearchStrategy[str]] | None = None,
) -> SearchStrategy[str]:
    """Lines of :func:`grammar_lines` after one to three mutations.

    A mutation inserts a piece, replaces one character by a piece, inserts one
    to three spaces, or truncates the line. Pieces are the grammar's literal
    strings and, for a spec format, the plan's marker, pair separator (alone and
    after a key the field table reads), escapes, quote and null tokens, plus a
    few generic characters and random short text.

    Raises
    ------
    ValueError
        When the start rule cannot be generated at all, saying why.
    """
    grammar = line_grammar(fmt, explicit=explicit)
    if grammar.mutated is None:
        msg = f"cannot generate lines of {grammar.name!r}: " + "; ".join(grammar.skipped)
        raise ValueError(msg)
    return grammar.mutated


def line_grammar(
    fmt: FormatType | GrammarFormat,
    *,
    explicit: Mapping[str, SearchStrategy[str]] | None = None,
) -> LineGrammar:
    """The :class:`LineGrammar` of a grammar format (built once per class without ``explicit``)."""
    require_hypothesis()
    cls = fmt if isinstance(fmt, type) else type(fmt)
    if not issubclass(cls, GrammarFormat):
        msg = f"{cls.__name__} is not a GrammarFormat: it has no grammar to generate lines from"
        raise TypeError(msg)
    if not explicit:
        return _cached_line_grammar(cls)
    return _Builder(cls, dict(explicit)).build()


def require_hypothesis() -> None:
    """Raise ImportError saying how to install hypothesis, when it is missing."""
    try:
        import hypothesis  # noqa: F401
    except ImportError as exc:
        msg = (
            "the line strategies and check_spec need hypothesis: pip install 'shadowlens[testing]'"
        )
        raise ImportError(msg) from exc


@functools.cache
def _cached_line_grammar(cls: FormatType) -> LineGrammar:
    return _Builder(cls, {}).build()


def _alphabet() -> SearchStrategy[str]:
    from hypothesis import strategies as st

    return st.characters(codec="utf-8", exclude_characters="\n\r")


def _one_line(text: str) -> str:
    """``text`` with any line end (LF, CR) replaced by a space."""
    return text.replace("\r", " ").replace("\n", " ")


class _Builder:
    """Builds the strategies of one grammar (compiled for the format's start rule)."""

    def __init__(self, cls: FormatType, explicit: dict[str, SearchStrategy[str]]) -> None:
        self.cls = cls
        self.lark: Lark = cls.lark()
        self.start: str = cls.start
        self.explicit = explicit
        self.text = _alphabet()
        terminals, rules, _ignored = self.lark.grammar.compile([self.start], ())
        self.terminal_defs: dict[str, TerminalDef] = {t.name: t for t in terminals}
        self.rules: dict[str, list[tuple[Symbol, ...]]] = {}
        for rule in rules:
            assert isinstance(rule, Rule)
            self.rules.setdefault(rule.origin.name, []).append(tuple(rule.expansion))
        self.skipped: list[str] = []
        self.terminals = self._terminal_strategies(rules)
        self.good = self._generatable()
        self.parts: dict[tuple[str, int], SearchStrategy[str]] = {}

    # -- terminals and what can be generated ---------------------------------------------
    def _terminal_strategies(self, rules: Sequence[Rule]) -> dict[str, SearchStrategy[str]]:
        from hypothesis import strategies as st
        from hypothesis.errors import InvalidArgument

        used = {s.name for r in rules for s in r.expansion if isinstance(s, Terminal)}
        strategies: dict[str, SearchStrategy[str]] = {}
        for name in sorted(used):
            if name in self.explicit:
                strategies[name] = self.explicit[name]
                continue
            tdef = self.terminal_defs.get(name)
            if tdef is None:
                self.skipped.append(
                    f"terminal {name} has no pattern (%declare): alternatives using it are "
                    "not generated; pass explicit={" + repr(name) + ": <strategy>}"
                )
                continue
            regex = tdef.pattern.to_regexp()
            pattern = re.compile(regex)

            def lexes_entirely(text: str, pattern: re.Pattern[str] = pattern) -> bool:
                match = pattern.match(text)
                return match is not None and match.end() == len(text)

            strategy = st.from_regex(pattern, fullmatch=True, alphabet=self.text)
            try:
                strategy.validate()
            except InvalidArgument as exc:
                self.skipped.append(
                    f"terminal {name} (pattern {regex!r}) cannot be generated from {ALPHABET_DESCRIPTION} "
                    f"({exc}): alternatives using it are not generated"
                )
                continue
            # Lark matches terminals unanchored: keep only texts its lexer takes whole.
            strategies[name] = strategy.filter(lexes_entirely)
        return strategies

    def _generatable(self) -> dict[str, list[tuple[Symbol, ...]]]:
        """Each rule's alternatives that use only generatable terminals and rules."""
        good = dict(self.rules)
        while True:
            ok = {*self.terminals, *good}
            pruned = {
                name: kept
                for name, alts in good.items()
                if (kept := [a for a in alts if all(s.name in ok for s in a)])
            }
            if pruned == good:
                return good
            good = pruned

    # -- the strategies ---------------------------------------------------------------------
    def build(self) -> LineGrammar:
        from hypothesis import strategies as st

        name = self.cls.name
        pieces = self.pieces()
        if self.start not in self.good:
            self.skipped.append(f"start rule {self.start!r} cannot be generated")
            return LineGrammar(name, None, None, pieces, tuple(self.skipped))
        whole = self._from_lark(self.start)
        parts = st.one_of([self._sequence(alt, 1) for alt in self.good[self.start]])
        # A line never holds a line end: the engine ends lines at LF, CRLF and a lone CR.
        lines = (parts if whole is None else st.one_of(whole, parts)).map(_one_line)
        marks = [p for p in pieces if p.strip() and p not in _GENERIC_PIECES]
        mutated = _mutations(lines, pieces, marks).map(_one_line)
        return LineGrammar(name, lines, mutated, pieces, tuple(self.skipped))

    def _from_lark(self, rule: str) -> SearchStrategy[str] | None:
        """``from_lark`` for ``rule``, or None (noted once) when it would fail."""
        from hypothesis.errors import InvalidArgument
        from hypothesis.extra.lark import from_lark

        strategy = from_lark(self.lark, start=rule, alphabet=self.text, explicit=self.explicit)
        try:
            strategy.validate()
        except InvalidArgument as exc:
            note = (
                f"from_lark cannot generate rule {rule!r} ({exc}): its parts are drawn one by one"
            )
            if note not in self.skipped:
                self.skipped.append(note)
            return None
        return strategy

    def _sequence(self, symbols: tuple[Symbol, ...], depth: int) -> SearchStrategy[str]:
        from hypothesis import strategies as st

        if not symbols:
            return st.just("")
        return st.tuples(*(self._symbol(s, depth) for s in symbols)).map("".join)

    def _symbol(self, symbol: Symbol, depth: int) -> SearchStrategy[str]:
        from hypothesis import strategies as st

        if isinstance(symbol, Terminal):
            return self.terminals[symbol.name]
        assert isinstance(symbol, NonTerminal)
        key = (symbol.name, min(depth, _PART_DEPTH))
        if key not in self.parts:
            self.parts[key] = st.deferred(lambda: self._rule(symbol.name, depth))
        return self.parts[key]

    def _rule(self, name: str, depth: int) -> SearchStrategy[str]:
        from hypothesis import strategies as st

        alts = self.good[name]
        item = _repeated_item(name, alts)
        if item is not None and depth < _PART_DEPTH:
            # The count is drawn first: lists alone stay short on average.
            each = self._sequence(item, depth + 1)
            return st.integers(1, MAX_REPEAT).flatmap(
                lambda n: st.lists(each, min_size=n, max_size=n).map("".join)
            )
        if depth >= _PART_DEPTH and alts == self.rules[name]:
            whole = self._from_lark(name)
            if whole is not None:
                return whole
        if depth >= _PART_DEPTH:
            return st.one_of([self._sequence(alt, depth + 1) for alt in alts])
        # Optional parts are usually present here (from_lark covers the short lines).
        weighted = [alt for alt in alts for _ in range(_PRESENT_WEIGHT if alt else 1)]
        return st.one_of([self._sequence(alt, depth + 1) for alt in weighted])

    # -- mutation pieces --------------------------------------------------------------------
    def pieces(self) -> tuple[str, ...]:
        """Literal strings of the grammar, then the plan's tokens, then generic characters."""
        found = [str(t.pattern.value) for t in self.lark.terminals if t.pattern.type == "str"]
        found.extend(_plan_pieces(self.cls))
        found.extend(_GENERIC_PIECES)
        return tuple(dict.fromkeys(p for p in found if p and "\n" not in p and "\r" not in p))


def _repeated_item(name: str, alts: list[tuple[Symbol, ...]]) -> tuple[Symbol, ...] | None:
    """The item of a repetition rule (``r: x | r x`` or ``r: x | x r``, as Lark
    compiles ``x*`` and ``x+``), else None."""
    if len(alts) != 2:
        return None
    short, long = sorted(alts, key=len)
    rule = NonTerminal(name)
    if long in ((rule, *short), (*short, rule)) and rule not in short:
        return short
    return None


def _plan_pieces(cls: FormatType) -> list[str]:
    """Marker, pair separator (alone and after keys the table reads), escapes, quote,
    null tokens of a spec format's plan."""
    from shadowlens.parsers.specformat import SpecFormat

    if not issubclass(cls, SpecFormat):
        return []
    plan = cls.base_plan()
    found: list[str] = []
    if plan.head.marker:
        found.append(plan.head.marker)
    found.extend(plan.escapes)
    for block in plan.pairs:
        found.append(block.separator)
        found.extend(f" {key}{block.separator}" for key in plan.picked[:6])
        found.extend(block.escapes)
        if block.token is None:
            found.append(block.delimiter)
    if plan.columns is not None and plan.columns.quote:
        found.append(plan.columns.quote)
    found.extend(plan.null)
    return found


def _mutations(
    lines: SearchStrategy[str], pieces: Sequence[str], marks: Sequence[str]
) -> SearchStrategy[str]:
    """Mutate at a random position, or (half the time) right before or after one of
    the ``marks`` (separators, markers, escapes): the edges of fields, where the two
    paths most likely differ."""
    from hypothesis import strategies as st

    piece = st.sampled_from(list(pieces)) | st.text(_alphabet(), min_size=1, max_size=3)

    @st.composite
    def mutated(draw: DrawFn) -> str:
        line: str = draw(lines)
        for _ in range(draw(st.integers(1, 3))):
            kind = draw(st.sampled_from(("insert", "replace", "spaces", "truncate")))
            edges = _edges(line, marks)
            near_edge: bool = draw(st.booleans())
            if edges and near_edge:
                at = draw(st.sampled_from(edges))
            else:
                at = draw(st.integers(0, len(line)))
            if kind == "truncate":
                line = line[:at]
            elif kind == "spaces":
                line = line[:at] + " " * draw(st.integers(1, 3)) + line[at:]
            else:
                cut = at + (kind == "replace")
                line = line[:at] + draw(piece) + line[cut:]
        return line

    strategy: SearchStrategy[str] = mutated()
    return strategy


def _edges(line: str, marks: Sequence[str]) -> list[int]:
    """Positions right before and after each occurrence of a mark in ``line``, sorted.

    Examples
    --------
    >>> _edges("a|b||c", ["|"])
    [1, 2, 3, 4, 5]
    """
    found: set[int] = set()
    for mark in marks:
        start = line.find(mark)
        while start >= 0:
            found.update((start, start + len(mark)))
            start = line.find(mark, start + 1)
    return sorted(found)


__all__ = ["MAX_REPEAT", "LineGrammar", "grammar_lines", "line_grammar", "mutated_lines"]
