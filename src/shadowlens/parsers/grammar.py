"""Load a format's Lark grammar and compile its parts into vectorized regexes.

The grammar is the single source of truth for a format. Two things are built
from it:

* the **reference parser**: Lark LALR over one line (:func:`load_lark`);
* the **fast plan**: the regular expressions that polars (Rust ``regex``) runs
  over a whole column. :func:`terminal_regex` returns a terminal's regex exactly
  as Lark uses it; :func:`rule_regex` lowers a (non-recursive, or simply
  left-recursive) rule into one regex with a named group per captured sub-rule.

Constructs the Rust engine cannot run (look-around, back-references) raise
:class:`~shadowlens.errors.GrammarError` at compile time, so a format knows on
load, not on data, which parts must stay on the Lark path.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Collection
from pathlib import Path
from typing import Any

import polars as pl
from lark import Lark, Token, Tree
from lark.exceptions import LarkError
from lark.grammar import NonTerminal, Terminal
from lark.load_grammar import FromPackageLoader

from shadowlens.errors import GrammarError

#: Lets any grammar ``%import common.X`` from shadowlens' shared ``common.lark``.
SHADOWLENS_GRAMMARS = FromPackageLoader("shadowlens", ("grammars",))


@functools.cache
def load_lark(package: str, filename: str, start: str = "start") -> Lark:
    """Build (once) the LALR parser of ``filename`` shipped in ``package``.

    Parameters
    ----------
    package
        The importable package holding the grammar, e.g. ``"shadowlens.grammars"``.
    filename
        The ``.lark`` file inside that package.
    start
        The start rule.
    """
    try:
        return Lark.open_from_package(
            package,
            filename,
            ("",),
            parser="lalr",
            start=start,
            import_paths=[SHADOWLENS_GRAMMARS],
            propagate_positions=False,
            maybe_placeholders=False,
        )
    except (LarkError, OSError) as exc:
        msg = f"cannot load grammar {package}/{filename}: {exc}"
        raise GrammarError(msg) from exc


@functools.cache
def load_grammar_file(path: Path, starts: tuple[str, ...] = ("start",)) -> Lark:
    """Build (once) the LALR parser of the grammar file ``path`` with ``starts`` as start rules.

    ``%import common (...)`` reads shadowlens' shared ``common.lark``; relative
    imports (``%import .x``) read files beside ``path``. Every token is kept in the
    tree (``keep_all_tokens``), so the text of a rule is exactly what the fast
    path's regex group for it captures.

    Raises
    ------
    GrammarError
        Naming the file, when it cannot be read or is not a valid LALR grammar.
    """
    try:
        return Lark.open(
            str(path),
            parser="lalr",
            start=list(starts),
            import_paths=[SHADOWLENS_GRAMMARS],
            propagate_positions=False,
            maybe_placeholders=False,
            keep_all_tokens=True,
        )
    except (LarkError, OSError) as exc:
        msg = f"cannot load grammar {path}: {str(exc).strip()}"
        raise GrammarError(msg) from exc


def common_grammar() -> Lark:
    """shadowlens' ``common.lark`` with ``syslog`` as start rule (lowered for prefixes)."""
    from importlib.resources import files

    return load_grammar_file(
        Path(str(files("shadowlens") / "grammars" / "common.lark")), ("syslog",)
    )


def check_rust_regex(pattern: str, what: str) -> str:
    """Return ``pattern`` if polars' regex engine accepts it, else raise GrammarError."""
    try:
        pl.select(pl.lit("").str.contains(pattern)).item()
    except pl.exceptions.ComputeError as exc:
        msg = f"{what}: regex cannot run on the vectorized engine ({exc}); keep it on the Lark path"
        raise GrammarError(msg) from exc
    return pattern


def terminal_regex(parser: Lark, name: str) -> str:
    """The regex of terminal ``name`` as Lark compiled it, checked for polars.

    Examples
    --------
    >>> from lark import Lark
    >>> terminal_regex(Lark('start: WORD\\nWORD: /[a-z]+/', parser="lalr"), "WORD")
    '(?:[a-z]+)'
    """
    try:
        term = parser.get_terminal(name)
    except KeyError as exc:
        msg = f"grammar has no terminal {name!r}"
        raise GrammarError(msg) from exc
    return check_rust_regex(f"(?:{term.pattern.to_regexp()})", f"terminal {name}")


#: What :func:`rule_regex` puts where the ``tail`` rule would be.
TAIL = "\x00TAIL\x00"


def rule_regex(
    parser: Lark, rule: str, capture: Collection[str] = (), *, tail: str | None = None
) -> str:
    """Lower rule ``rule`` into one regex; sub-rules named in ``capture`` become groups.

    Works on the grammar's EBNF (sequences, alternatives, ``?``, ``[...]``, ``*``,
    ``+``, ``~``), so optional parts do not multiply the pattern. Recursive rules
    raise GrammarError: a line format should express repetition with ``*``/``+``.

    Examples
    --------
    >>> from lark import Lark
    >>> p = Lark('start: key "=" val?\\nkey: /[a-z]+/\\nval: /[0-9]+/', parser="lalr")
    >>> rule_regex(p, "start", capture={"key"})
    '(?P<key>(?:[a-z]+))=(?:(?:[0-9]+))?'
    """
    defs = {str(name): tree for name, _params, tree, _opts in parser.grammar.rule_defs}
    if rule not in defs:
        msg = f"grammar has no rule {rule!r}"
        raise GrammarError(msg)
    lowering = _Lowering(parser, defs, frozenset(capture), tail)
    pattern = lowering.rule(rule, ())
    return check_rust_regex(pattern.replace(TAIL, ""), f"rule {rule}") and pattern


class _Lowering:
    def __init__(
        self,
        parser: Lark,
        defs: dict[str, Tree[Any]],
        capture: frozenset[str],
        tail: str | None = None,
    ) -> None:
        self.parser = parser
        self.defs = defs
        self.capture = capture
        self.tail = tail

    def rule(self, name: str, stack: tuple[str, ...]) -> str:
        if name == self.tail:
            return TAIL
        if name in stack:
            msg = f"rule {name!r} is recursive; use * or + so it can become a regex"
            raise GrammarError(msg)
        body = self.node(self.defs[name], (*stack, name))
        if name in self.capture:
            return f"(?P<{_group_name(name)}>{body})"
        return body

    def node(self, node: Any, stack: tuple[str, ...]) -> str:
        if isinstance(node, Terminal):
            try:
                return _atom(self.parser.get_terminal(node.name).pattern.to_regexp())
            except KeyError as exc:
                msg = f"terminal {node.name!r} is not used by the parser (is its rule reachable from the start rule?)"
                raise GrammarError(msg) from exc
        if isinstance(node, NonTerminal):
            return self.rule(node.name, stack)
        if isinstance(node, Token):
            return _literal(node)
        kind = node.data
        children = node.children
        if kind == "expansions":
            alternatives = [self.node(child, stack) for child in children]
            return (
                alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"
            )
        if kind == "expansion":
            return "".join(self.node(child, stack) for child in children)
        if kind in ("value", "literal"):
            return self.node(children[0], stack)
        if kind == "maybe":
            return f"(?:{self.node(children[0], stack)})?"
        if kind == "expr":
            inner = f"(?:{self.node(children[0], stack)})"
            op = str(children[1])
            if op == "~":
                low, high = str(children[2]), str(children[-1])
                return f"{inner}{{{low},{high}}}"
            return inner + op
        msg = f"grammar construct {kind!r} cannot become a regex"
        raise GrammarError(msg)


def _atom(regex: str) -> str:
    """Wrap ``regex`` so it can be concatenated or quantified safely."""
    return regex if re.fullmatch(r"[\w:=|,;^@#-]*|\\.", regex) else f"(?:{regex})"


def _literal(token: Token) -> str:
    text = str(token)
    if token.type == "STRING":
        flags = text[text.rindex('"') + 1 :]
        value = ast.literal_eval(text[: text.rindex('"') + 1])
        escaped = re.escape(value)
        return f"(?i:{escaped})" if "i" in flags else _atom(escaped)
    body, _, flags = text[1:].rpartition("/")
    return f"(?{flags}:{body})" if flags else f"(?:{body})"


def _group_name(name: str) -> str:
    return re.sub(r"\W", "_", name)
