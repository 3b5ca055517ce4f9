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
from collections.abc import Collection, Sequence
from importlib.resources import files
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
def load_grammar_file(
    path: Path, starts: tuple[str, ...] = ("start",), *, cached: bool = False
) -> Lark:
    """Build (once) the LALR parser of the grammar file ``path`` with ``starts`` as start rules.

    ``cached`` loads the LALR tables from the user's cache when they are there: the
    parser parses, but it no longer carries the grammar's rules, which the
    compiler needs (so it loads without).

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
            cache=_cache_file(path, starts) if cached else False,
        )
    except (LarkError, OSError) as exc:
        msg = f"cannot load grammar {path}: {str(exc).strip()}"
        raise GrammarError(msg) from exc


def _cache_file(path: Path, starts: tuple[str, ...]) -> str | bool:
    """Where Lark keeps its LALR tables for this grammar (building them costs ~50 ms each).

    The name hashes everything the tables depend on: the grammar, the shared
    ``common.lark`` it may import, the start rules and the Lark version, so an edit
    never reuses stale tables. The folder is the user's private cache
    (:func:`shadowlens.cache.cache_dir`); without one there is no cache.
    """
    import hashlib

    import lark

    from shadowlens.cache import cache_dir

    folder = cache_dir("lark")
    if folder is None:
        return False
    try:
        digest = hashlib.sha256(path.read_bytes())
        common = Path(str(files("shadowlens") / "grammars" / "common.lark"))
        digest.update(common.read_bytes())
    except OSError:
        return False
    digest.update(repr((starts, lark.__version__)).encode())
    return str(folder / f"{digest.hexdigest()[:32]}.lark")


def common_grammar() -> Lark:
    """shadowlens' ``common.lark`` with ``syslog`` as start rule (lowered for prefixes)."""
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
        regions: frozenset[str] = frozenset(),
    ) -> None:
        self.parser = parser
        self.defs = defs
        self.capture = capture
        self.tail = tail
        self.regions = regions

    # -- variants: None is the regex that matches nothing ----------------------------
    def full(self, node: Any, stack: tuple[str, ...]) -> str | None:
        """``node`` as a regex in which every region is impossible."""
        if isinstance(node, NonTerminal):
            if node.name in self.regions:
                return None
            if node.name in stack:
                msg = f"rule {node.name!r} is recursive; use * or + so it can become a regex"
                raise GrammarError(msg)
            body = self.full(self.defs[node.name], (*stack, node.name))
            if body is None or node.name not in self.capture:
                return body
            return f"(?P<{_group_name(node.name)}>{body})"
        if isinstance(node, Terminal | Token):
            return self.node(node, stack)
        kind, children = node.data, node.children
        if kind == "expansions":
            return _alternation([self.full(c, stack) for c in children])
        if kind == "expansion":
            parts = [self.full(c, stack) for c in children]
            return None if any(p is None for p in parts) else "".join(p or "" for p in parts)
        if kind in ("value", "literal"):
            return self.full(children[0], stack)
        inner = self.full(children[0], stack)
        if kind == "maybe" or (kind == "expr" and str(children[1]) in ("?", "*")):
            op = "?" if kind == "maybe" else str(children[1])
            return "" if inner is None else f"(?:{inner}){op}"
        if kind == "expr" and str(children[1]) == "+":
            return None if inner is None else f"(?:{inner})+"
        if kind == "expr" and str(children[1]) == "~":
            if inner is None:
                return None if str(children[2]) != "0" else ""
            return f"(?:{inner}){{{children[2]},{children[-1]}}}"
        msg = f"grammar construct {kind!r} cannot become a regex"
        raise GrammarError(msg)

    def before(self, node: Any, region: str, stack: tuple[str, ...]) -> str | None:
        """The text of ``node`` before ``region`` starts, on paths through ``region``."""
        if isinstance(node, NonTerminal):
            if node.name == region:
                return ""
            if node.name in self.regions or node.name in stack:
                return None
            if node.name in self.capture and self._contains(node.name, region, ()):
                msg = f"field rule {node.name!r} contains the region {region!r}"
                raise GrammarError(msg)
            return self.before(self.defs[node.name], region, (*stack, node.name))
        if isinstance(node, Terminal | Token):
            return None
        kind, children = node.data, node.children
        if kind == "expansions":
            return _alternation([self.before(c, region, stack) for c in children])
        if kind == "expansion":
            options: list[str | None] = []
            done = ""
            for child in children:
                cut = self.before(child, region, stack)
                options.append(None if cut is None else done + cut)
                whole = self.full(child, stack)
                if whole is None:
                    break
                done += whole
            return _alternation(options)
        if kind in ("value", "literal", "maybe"):
            return self.before(children[0], region, stack)
        if kind == "expr":
            cut = self.before(children[0], region, stack)
            if cut is None or str(children[1]) == "?":
                return cut
            # x* or x+: the repetitions before the one that holds the region.
            whole = self.full(children[0], stack)
            return f"(?:{whole})*{cut}" if whole else cut
        msg = f"grammar construct {kind!r} cannot become a regex"
        raise GrammarError(msg)

    def _contains(self, name: str, region: str, stack: tuple[str, ...]) -> bool:
        if name == region:
            return True
        if name in stack or name not in self.defs:
            return False
        refs = self.defs[name].scan_values(lambda v: isinstance(v, NonTerminal))
        return any(self._contains(r.name, region, (*stack, name)) for r in refs)

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


def rule_variants(
    parser: Lark, rule: str, capture: Collection[str], regions: Sequence[str]
) -> list[tuple[str | None, str]]:
    """Rule ``rule`` lowered once per *region* it may end with, then once without any.

    A region is a rule whose text is the rest of the line (a key=value list,
    delimited values). For each region ``r`` the result has ``(r, regex)``: the
    regex matches the text before ``r`` starts, on the paths through ``r``, with
    every other region impossible. ``(None, regex)`` matches a whole line that
    holds no region, when the grammar allows one. A field rule captured more than
    once (a rule used in several alternatives) gets groups ``name``, ``name__2``...;
    :func:`group_fields` maps them back.

    Examples
    --------
    >>> from lark import Lark
    >>> g = 'start: key "=" (rest | "!")\\nkey: /[a-z]+/\\nrest: /.+/'
    >>> rule_variants(Lark(g, parser="lalr"), "start", ["key"], ["rest"])
    [('rest', '(?P<key>(?:[a-z]+))='), (None, '(?P<key>(?:[a-z]+))=(?:!)')]
    """
    defs = {str(name): tree for name, _params, tree, _opts in parser.grammar.rule_defs}
    if rule not in defs:
        msg = f"grammar has no rule {rule!r}"
        raise GrammarError(msg)
    lowering = _Lowering(parser, defs, frozenset(capture), regions=frozenset(regions))
    found: list[tuple[str | None, str]] = []
    for region in regions:
        pattern = lowering.before(NonTerminal(rule), region, ())
        if pattern is None:
            msg = f"rule {rule!r} never reaches {region!r} as the end of a line"
            raise GrammarError(msg)
        found.append((region, check_rust_regex(_numbered(pattern), f"rule {rule} up to {region}")))
    whole = lowering.full(NonTerminal(rule), ())
    if whole is not None:
        found.append((None, check_rust_regex(_numbered(whole), f"rule {rule}")))
    return found


_GROUP = re.compile(r"(?<!\\)\(\?P<(\w+)>")


def _numbered(pattern: str) -> str:
    """Rename repeated named groups ``x`` to ``x__2``, ``x__3``... (Rust regex forbids repeats)."""
    seen: dict[str, int] = {}

    def rename(match: re.Match[str]) -> str:
        name = match.group(1)
        seen[name] = seen.get(name, 0) + 1
        return match.group(0) if seen[name] == 1 else f"(?P<{name}__{seen[name]}>"

    return _GROUP.sub(rename, pattern)


def group_fields(pattern: str) -> dict[str, list[str]]:
    """Field -> its group names in ``pattern`` (``x``, ``x__2``, ...), in order.

    Examples
    --------
    >>> group_fields("(?P<a>x)|(?P<a__2>y)(?P<b>z)")
    {'a': ['a', 'a__2'], 'b': ['b']}
    """
    fields: dict[str, list[str]] = {}
    for name in _GROUP.findall(pattern):
        fields.setdefault(name.split("__")[0], []).append(name)
    return fields


def _atom(regex: str) -> str:
    """Wrap ``regex`` so it can be concatenated or quantified safely."""
    return regex if re.fullmatch(r"[\w:=|,;^@#-]*|\\.", regex) else f"(?:{regex})"


def _alternation(options: list[str | None]) -> str | None:
    kept = list(dict.fromkeys(o for o in options if o is not None))
    if not kept:
        return None
    return kept[0] if len(kept) == 1 else "(?:" + "|".join(kept) + ")"


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
