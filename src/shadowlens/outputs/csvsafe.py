"""Cells that a spreadsheet must not run as formulas (CSV injection).

Log content is hostile: a user name such as ``=HYPERLINK("http://x","y")`` becomes
a live formula when the CSV is opened in Excel or LibreOffice. Every CSV writer
of shadowlens passes its text cells through :func:`safe_cell_expr` (polars) or
:func:`safe_cell` (one value). A cell that starts with ``=``, ``+``, ``-``, ``@``
(after optional spaces), a tab or a carriage return gets a leading apostrophe,
which spreadsheets show as text and do not evaluate (the OWASP advice). Plain
numbers are left alone so that byte counts stay numbers.

Examples
--------
>>> safe_cell("=1+1"), safe_cell("  @SUM(A1)"), safe_cell("alice"), safe_cell("-12")
("'=1+1", "'  @SUM(A1)", 'alice', '-12')
"""

from __future__ import annotations

import re

import polars as pl

__all__ = ["FORMULA_PATTERN", "safe_cell", "safe_cell_expr"]

#: Text a spreadsheet may take for a formula (or a formula after a control character).
FORMULA_PATTERN = r"^(?:[ ]*[=+\-@]|[\t\r])"

#: A plain (signed) number: not a formula even when it starts with ``-`` or ``+``.
_NUMBER = r"^[+-]?[0-9]+(?:\.[0-9]+)?$"

_FORMULA = re.compile(FORMULA_PATTERN)
_PLAIN_NUMBER = re.compile(_NUMBER)


def safe_cell(value: str) -> str:
    """``value`` with a leading apostrophe when a spreadsheet would read it as a formula.

    Parameters
    ----------
    value
        One cell's text.

    Returns
    -------
    str
        The text to write.

    Examples
    --------
    >>> safe_cell('=HYPERLINK("http://x")')
    '\\'=HYPERLINK("http://x")'
    >>> safe_cell("\\tcmd"), safe_cell("+33 1 23")
    ("'\\tcmd", "'+33 1 23")
    """
    if _FORMULA.match(value) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def safe_cell_expr(expr: pl.Expr) -> pl.Expr:
    """:func:`safe_cell` as a polars expression over a string column (nulls stay null).

    Parameters
    ----------
    expr
        A string expression.

    Returns
    -------
    pl.Expr
        The expression with formula-like cells prefixed by an apostrophe.

    Examples
    --------
    >>> import polars as pl
    >>> frame = pl.DataFrame({"v": ["=cmd|' /C calc'!A0", "bob", "-5", "-x", None]})
    >>> frame.select(safe_cell_expr(pl.col("v"))).to_series().to_list()
    ["'=cmd|' /C calc'!A0", 'bob', '-5', "'-x", None]
    """
    risky = expr.str.contains(FORMULA_PATTERN) & ~expr.str.contains(_NUMBER)
    return pl.when(risky).then(pl.lit("'") + expr).otherwise(expr)
