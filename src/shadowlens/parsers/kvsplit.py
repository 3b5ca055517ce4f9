"""Split ``key=value`` extensions (``common.KV_PAIR``) into raw pair tokens, fast.

The reference split is the ``KV_PAIR`` terminal's regex run with
``str.extract_all``, plus a check that the tokens cover the whole extension.
That costs a regex scan with list building per line. Most producers write the
same keys in the same order on every line, so :func:`split_extension` first
learns the dominant key order (the *template*) from a sample split the
reference way, then cuts every row at its ``=`` signs with a few numpy passes
over the chunk's bytes, and keeps the cut only where it provably equals the
reference split:

* a pair starts with a key directly followed by ``=``, so a pair boundary is
  at an ``=``; a ``=`` right after a backslash never ends a key (checked
  against the grammar when the plan is built);
* a row qualifies when it has exactly as many other ``=`` as the template has
  keys and, in order, each sits right after the template's key, which starts
  the extension (first key) or follows a space. A space, a key and ``=`` always
  start a pair (also checked against the grammar, per learned key), so the row
  has exactly the template's pairs, and the tokens run from key to key (the
  spaces that end a token stay in it, as in the reference).

Rows that do not qualify go to the reference split; the property tests compare
both with the Lark parser.

When the native core (``shadowlens._native``, Rust) is installed, every row is
split there instead, with the GIL released: ``common.KV_PAIR`` by a hand scanner
of the terminal, any other pair terminal by its regex as ``extract_all`` runs it.
A row whose tokens do not tile its extension is flagged and takes the reference
split. ``SHADOWLENS_NATIVE=0`` turns the native core off.

Examples
--------
>>> import polars as pl
>>> from shadowlens.formats import builtin_spec
>>> from shadowlens.spec.compiler import compile_spec
>>> pair = compile_spec(builtin_spec("cef")).pairs[0].token_regex
>>> rest = ["0|h|a=1 b=x y", "0|h|a=2 b=\\\\= c=3", "0|h|junk"]
>>> frame = pl.DataFrame({"_row": [0, 1, 2], "field_1": rest, "_head": ["0|h|"] * 3})
>>> frame = frame.with_columns(_head_len=pl.lit(4))
>>> split_extension(frame, pair).sort("_row").get_column("pairs").to_list()
[['a=1 ', 'b=x y'], ['a=2 ', 'b=\\\\= ', 'c=3']]
"""

from __future__ import annotations

import functools
import re
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa

from shadowlens.errors import GrammarError
from shadowlens.parsers.kvpick import as_lists, learn_template
from shadowlens.parsers.native import _native, native_enabled, view_args

_EQ, _SPACE, _BACKSLASH = ord("="), ord(" "), ord("\\")
#: Values the byte cut can give a pair: any text without ``=`` (see ``_template_ok``).
_ANY_VALUES = ("", "a b", '"', 'a "b', '"a" b', "a\t b ")


def split_extension(
    frame: pl.DataFrame,
    pair_re: str,
    *,
    text: str = "field_1",
    head: str = "_head",
    head_len: str = "_head_len",
    sample_rows: int = 256,
    min_share: float = 0.3,
    check_tokens: bool = False,
) -> pl.DataFrame:
    """``frame`` with a ``pairs`` column, for the rows whose extension the grammar covers.

    Parameters
    ----------
    frame
        Rows whose ``text`` starts with ``head`` (``head_len`` bytes); the extension
        is the rest of ``text``.
    pair_re
        The ``KV_PAIR`` terminal's regex.
    sample_rows
        Rows (evenly spread) split the reference way to learn the template.
    min_share
        The template must cover this share of the sample to be used.
    check_tokens
        Match every token of the byte cut against ``pair_re`` (rows with a token it
        does not match take the reference split). The cut takes all text between two
        keys as the value, which is proven for ``common.KV_PAIR`` only; a pair
        terminal whose values refuse some words (ScreenOS two-word keys, unterminated
        quotes) needs the check.
    """
    if frame.height and native_enabled():
        return _native_split(frame, pair_re, text=text, head=head, head_len=head_len)
    template = None
    if frame.height:
        step = max(1, frame.height // sample_rows)
        sample = reference_split(frame.gather_every(step), pair_re, text=text, head=head)
        if sample.height:
            template = learn_template(sample.get_column("pairs"), "=", sample_rows, min_share)
    if not template or not _template_ok(pair_re, tuple(template)):
        return reference_split(frame, pair_re, text=text, head=head)
    # A quoted value may hold ` key=` (FortiGate `msg="a user=b"`): such rows need the
    # grammar's split, so only rows without those quote characters are cut by bytes.
    hiding = _hiding_quotes(pair_re, tuple(template))
    candidates = np.arange(frame.height)
    if hiding:
        quoted = pl.any_horizontal(pl.col(text).str.contains(q, literal=True) for q in hiding)
        unquoted = frame.select(~quoted.fill_null(False)).to_series().to_numpy()
        candidates = np.flatnonzero(unquoted)
    texts = frame.get_column(text).gather(candidates)
    rows, pairs = _by_template(texts, frame.get_column(head_len).to_numpy()[candidates], template)
    rows = candidates[rows]
    if check_tokens and rows.size:
        # A pair terminal other than KV_PAIR may reject what lies between two keys.
        anchored = f"^(?:{pair_re})$"
        good = pairs.list.eval(pl.element().str.contains(anchored)).list.all().to_numpy()
        rows, pairs = rows[good], pairs.filter(pl.Series(good))
    taken = np.zeros(frame.height, dtype=bool)
    taken[rows] = True
    mask = pl.Series(taken)
    fast = frame.filter(mask).with_columns(pairs.alias("pairs"))
    rest = reference_split(frame.filter(~mask), pair_re, text=text, head=head)
    return pl.concat([fast, rest], how="vertical")


def native_split(
    texts: pa.Array | pl.Series, starts: np.ndarray[Any, Any], pair_re: str
) -> tuple[np.ndarray[Any, Any], pa.Array]:
    """(accepted rows as a bool mask, their pair tokens) by the native kernel.

    ``texts`` is a string array or column, ``starts`` the byte offset of each row's
    key=value region. A row not accepted (null, or tokens that do not tile its
    region) is for the reference split. The tokens are a ``large_list<string_view>``
    array with one list per accepted row, whose views point into the texts' own
    bytes (read as polars keeps them, copied once, never cut into pieces).

    Examples
    --------
    >>> import numpy as np
    >>> import polars as pl
    >>> accepted, lists = native_split(pl.Series(["0|a=1 b=x y", "0|junk"]), np.array([2, 2]), KV_PAIR_REGEX)
    >>> accepted.tolist(), pl.Series(lists).to_list()
    ([True, False], [['a=1 ', 'b=x y']])
    """
    assert _native is not None
    views, data, valid = view_args(texts)
    ok, list_offsets, token_views = _native.split_pair_views(
        pair_re,
        (views, data, valid),
        np.ascontiguousarray(starts, dtype="<i8").tobytes(),
        cef=pair_re == KV_PAIR_REGEX,
    )
    accepted = np.frombuffer(ok, dtype=np.bool_)
    tokens = pa.Array.from_buffers(
        pa.string_view(),
        len(token_views) // 16,
        [None, pa.py_buffer(token_views), *(pa.py_buffer(d) for d in data)],
    )
    lists = pa.Array.from_buffers(
        pa.large_list(pa.string_view()),
        len(list_offsets) // 8 - 1,
        [None, pa.py_buffer(list_offsets)],
        children=[tokens],
    )
    return accepted, lists


#: ``common.KV_PAIR`` as the plan compiler lowers it: the one pair terminal the native
#: core scans by hand (``native/src/kv.rs``). Any other regex, or this one after a change
#: to ``common.lark``, runs on the native regex kernel, which is exact for every
#: terminal; a test keeps this copy equal to the grammar's.
KV_PAIR_REGEX = (
    r"(?:[A-Za-z0-9_.,\[\]-]+=[^ ]*(?: +(?:=[^ ]*|[A-Za-z0-9_.,\[\]-]*"
    r"[^A-Za-z0-9_.,\[\]= -][^ ]*|[A-Za-z0-9_.,\[\]-]+))*(?: +|$))"
)


def _native_split(
    frame: pl.DataFrame, pair_re: str, *, text: str, head: str, head_len: str
) -> pl.DataFrame:
    texts = frame.get_column(text)
    # As ``str.strip_prefix`` in the reference: the region starts after ``head`` only
    # where the text starts with it.
    prefixed = pl.col(text).str.starts_with(pl.col(head)).fill_null(False)
    region_at = pl.when(prefixed).then(pl.col(head_len)).otherwise(0).fill_null(0)
    starts = frame.select(region_at).to_series().to_numpy()
    accepted, lists = native_split(texts, starts, pair_re)
    mask = pl.Series(accepted)
    fast = frame.filter(mask).with_columns(pl.Series("pairs", lists))
    if accepted.all():
        return fast
    rest = reference_split(frame.filter(~mask), pair_re, text=text, head=head)
    return pl.concat([fast, rest], how="vertical")


def reference_split(
    frame: pl.DataFrame, pair_re: str, *, text: str = "field_1", head: str = "_head"
) -> pl.DataFrame:
    """The ``KV_PAIR`` tokens by ``extract_all``; rows they do not cover are dropped."""
    ext = pl.col(text).str.strip_prefix(pl.col(head))
    out = frame.with_columns(ext.str.extract_all(pair_re).alias("pairs"))
    covered = pl.col("pairs").list.eval(pl.element().str.len_bytes()).list.sum().fill_null(0)
    return out.filter(covered == ext.str.len_bytes())


@functools.cache
def _template_ok(pair_re: str, template: tuple[str, ...]) -> bool:
    """Whether the grammar splits as the byte cut assumes, for these keys.

    ``k\\=v`` is no pair (a backslash is not a key character), ``k=v`` is one,
    and `` k=`` after a pair starts the next one. The cut gives a value everything up
    to the next key, so the terminal must take any text without ``=`` as a value
    (spaces, quotes, an empty value): a terminal with quoted or space-free values
    (``k="a b"``) is split by ``extract_all`` instead.
    """
    pair = re.compile(pair_re)
    if pair.fullmatch("k\\=v") is not None:
        msg = "KV_PAIR: a key may contain a backslash; the fast split assumes it cannot"
        raise GrammarError(msg)
    if any(pair.fullmatch(f"k={value}") is None for value in _ANY_VALUES):
        return False
    for key in template:
        if pair.fullmatch(f"{key}=v") is None:
            return False
        if [m.group() for m in pair.finditer(f"k=1 {key}=2")] != ["k=1 ", f"{key}=2"]:
            return False
    return True


@functools.cache
def _hiding_quotes(pair_re: str, template: tuple[str, ...]) -> tuple[str, ...]:
    """The quote characters inside which the grammar keeps `` key=`` as part of a value.

    Examples
    --------
    >>> _hiding_quotes(r'[a-z]+=(?:"[^"]*"|[^ ]*)(?: +|$)', ("user",))
    ('"',)
    """
    pair = re.compile(pair_re)
    return tuple(q for q in "\"'" if any(pair.fullmatch(f"k={q}1 {key}=2{q}") for key in template))


def _by_template(
    texts: pl.Series, head_len: np.ndarray[Any, Any], template: list[str]
) -> tuple[np.ndarray[Any, Any], pl.Series]:
    """(row numbers, pair lists) of the rows whose extension is exactly ``template``."""
    arr = texts.to_arrow(compat_level=pl.CompatLevel.oldest())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if arr.type != pa.large_string():
        arr = arr.cast(pa.large_string())
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[
        arr.offset : arr.offset + len(arr) + 1
    ]
    data = arr.buffers()[2]
    buf = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    start, end = offsets[:-1] + head_len, offsets[1:]
    # The `=` signs that may end a key: not right after a backslash.
    eq = np.flatnonzero(buf[offsets[0] : offsets[-1]] == _EQ) + offsets[0]
    eq = eq[buf[np.maximum(eq - 1, 0)] != _BACKSLASH]
    first, last = np.searchsorted(eq, start), np.searchsorted(eq, end)
    width = len(template)
    rows = np.flatnonzero(last - first == width)
    ends = eq[first[rows][:, None] + np.arange(width)]
    keys = [k.encode() for k in template]
    begins = ends - np.array([len(k) for k in keys])
    ok = begins[:, 0] == start[rows]
    if width > 1:
        ok &= (begins[:, 1:] > ends[:, :-1]).all(axis=1)
    ok &= (buf[np.maximum(begins[:, 1:] - 1, 0)] == _SPACE).all(axis=1)
    rows, begins = rows[ok], begins[ok]
    # Cut points: every key start and the end of each extension; what lies between one
    # row's end and the next row's first key (the next header) is dropped.
    cuts = np.concatenate([offsets[:1], np.column_stack([begins, end[rows]]).ravel()])
    if not (np.diff(cuts) >= 0).all():  # cannot happen; Arrow must never see it
        msg = "fast key=value split: cut points out of order"
        raise AssertionError(msg)
    pieces = pa.Array.from_buffers(
        pa.large_string(), cuts.size - 1, [None, pa.py_buffer(cuts), data]
    )
    keep = np.flatnonzero(np.arange(cuts.size - 1) % (width + 1) != 0)
    tokens = pl.Series(pieces).gather(keep)
    # Each token starts with its template key and `=`.
    prefixes = pl.Series([f"{k}=" for k in template]).gather(np.tile(np.arange(width), rows.size))
    check = pl.DataFrame({"t": tokens, "p": prefixes}).select(
        pl.col("t").str.starts_with(pl.col("p"))
    )
    spelled = check.to_series().to_numpy().reshape(rows.size, width).all(axis=1)
    lists = as_lists(tokens, np.arange(rows.size + 1, dtype=np.int64) * width)
    if not spelled.all():
        rows, lists = rows[spelled], lists.filter(pl.Series(spelled))
    return rows, lists
