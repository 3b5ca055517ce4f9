"""Byte counts that never wrap: per-record traffic and sums over many records.

Records carry ``bytes_up``, ``bytes_down`` and ``bytes_total`` as ``uint64``, and a
hostile or broken log may hold values near 2^64. In ``uint64``, ``2^64 - 1`` plus
``2`` is ``1``: a report would show a tiny upload for the largest one. Every sum
and every ``up + down`` in the outputs is therefore computed in :data:`BYTES_SUM`
(``Int128``), which holds the sum of 2^63 maximal values: exact for any dataset.
Formats whose fields are bounded (OCSF ``long``) take :func:`saturated`.

Examples
--------
>>> import polars as pl
>>> records = pl.DataFrame(
...     {"bytes_up": [2**64 - 1, 2], "bytes_down": [5, None], "bytes_total": [None, None]},
...     schema={"bytes_up": pl.UInt64, "bytes_down": pl.UInt64, "bytes_total": pl.UInt64},
... )
>>> records.select(sum_bytes(up_bytes())).item()
18446744073709551617
>>> records.select(traffic_bytes()).to_series().to_list()
[18446744073709551620, 2]
"""

from __future__ import annotations

import polars as pl

__all__ = [
    "BYTES_SUM",
    "INT64_MAX",
    "down_bytes",
    "saturated",
    "sum_bytes",
    "traffic_bytes",
    "up_bytes",
]

#: The type every byte sum is computed in (cannot wrap for any realistic row count).
BYTES_SUM = pl.Int128()

#: Largest value of a signed 64-bit field (OCSF ``long``).
INT64_MAX = 2**63 - 1


def up_bytes() -> pl.Expr:
    """``bytes_up`` (0 when absent) in :data:`BYTES_SUM`."""
    return pl.col("bytes_up").cast(BYTES_SUM).fill_null(0)


def down_bytes() -> pl.Expr:
    """``bytes_down`` (0 when absent) in :data:`BYTES_SUM`."""
    return pl.col("bytes_down").cast(BYTES_SUM).fill_null(0)


def traffic_bytes() -> pl.Expr:
    """A record's traffic: ``bytes_total`` when logged, else ``bytes_up + bytes_down``.

    Returns
    -------
    pl.Expr
        An ``Int128`` expression (never null, never wrapped).

    Examples
    --------
    >>> import polars as pl
    >>> frame = pl.DataFrame(
    ...     {"bytes_up": [1], "bytes_down": [2], "bytes_total": [7]},
    ...     schema={"bytes_up": pl.UInt64, "bytes_down": pl.UInt64, "bytes_total": pl.UInt64},
    ... )
    >>> frame.select(traffic_bytes()).item()
    7
    """
    return pl.coalesce(pl.col("bytes_total").cast(BYTES_SUM), up_bytes() + down_bytes())


def sum_bytes(expr: pl.Expr) -> pl.Expr:
    """The sum of a byte expression in :data:`BYTES_SUM` (an aggregation).

    Examples
    --------
    >>> import polars as pl
    >>> s = pl.DataFrame({"b": [2**64 - 1, 2]}, schema={"b": pl.UInt64})
    >>> s.select(sum_bytes(pl.col("b"))).item()
    18446744073709551617
    """
    return expr.cast(BYTES_SUM).sum()


def saturated(expr: pl.Expr, high: int = INT64_MAX) -> pl.Expr:
    """``expr`` capped at ``high`` as ``Int64`` (for fields that cannot hold more).

    Examples
    --------
    >>> import polars as pl
    >>> s = pl.DataFrame({"b": [2**64 - 1, 3, None]}, schema={"b": pl.UInt64})
    >>> s.select(saturated(pl.col("b"))).to_series().to_list()
    [9223372036854775807, 3, None]
    """
    return expr.cast(BYTES_SUM).clip(upper_bound=high).cast(pl.Int64)
