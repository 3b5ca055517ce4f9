"""The native core (``shadowlens._native``, Rust) if it is built, and the switch to turn it off.

Every kernel has a polars twin that stays the reference: the native module is an
accelerator, never a requirement. ``SHADOWLENS_NATIVE=0`` in the environment runs
the polars twins only (to compare, or to rule the native core out of a bug).
"""

from __future__ import annotations

import os
from types import ModuleType
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa

_native: ModuleType | None
try:
    from shadowlens import _native
except ImportError:  # a source tree without the built extension: polars only
    _native = None


def native_enabled() -> bool:
    """Whether the native core is installed and not turned off (``SHADOWLENS_NATIVE=0``).

    Examples
    --------
    >>> isinstance(native_enabled(), bool)
    True
    """
    return _native is not None and os.environ.get("SHADOWLENS_NATIVE", "1") != "0"


#: A ``string_view`` array for the kernels: (views, data buffers, one byte per row
#: or None when nothing is null).
ViewArgs = tuple[bytes, list[bytes], bytes | None]


def view_args(strings: Any, copies: dict[Any, Any] | None = None) -> ViewArgs:
    """The buffers of a polars string column or pyarrow string array, as the kernels take them.

    Polars keeps strings as Arrow views, so a column is read without conversion
    (other string types are cast first). The data buffers are copied into ``bytes``
    (reading them in place would need ``unsafe`` Rust); columns cut from one text
    share its buffer, so ``copies`` ((address, size) -> (buffer, bytes)) copies each buffer
    once per kernel call.

    Examples
    --------
    >>> import polars as pl
    >>> views, data, valid = view_args(pl.Series(["a", None]))
    >>> len(views), valid
    (32, b'\\x01\\x00')
    """
    if isinstance(strings, pl.Series):
        strings = strings.cast(pl.String()).to_arrow(compat_level=pl.CompatLevel.newest())
    if isinstance(strings, pa.ChunkedArray):
        strings = strings.combine_chunks()
    if strings.type != pa.string_view():
        strings = strings.cast(pa.string_view())
    buffers = strings.buffers()
    start = strings.offset * 16
    views = buffers[1][start : start + len(strings) * 16].to_pybytes() if len(strings) else b""
    copies = {} if copies is None else copies
    data = []
    for buffer in buffers[2:]:
        if buffer is None:  # keep the indices the views use
            data.append(b"")
            continue
        # The buffer itself stays in the cache: a freed temporary's address could be
        # reused by the next column's buffer within the same call.
        key = (buffer.address, buffer.size)
        if key not in copies:
            copies[key] = (buffer, buffer.to_pybytes())
        data.append(copies[key][1])
    valid = None
    if strings.null_count:
        valid = np.asarray(strings.is_valid(), dtype=np.uint8).tobytes()
    return views, data, valid


def from_view_out(built: tuple[bytes, bytes, bytes, int], length: int) -> pa.Array:
    """A kernel's ``string_view`` output (views, data, validity, nulls) as a pyarrow array."""
    views, data, validity, nulls = built
    return pa.Array.from_buffers(
        pa.string_view(),
        length,
        [pa.py_buffer(validity) if nulls else None, pa.py_buffer(views), pa.py_buffer(data)],
        null_count=nulls,
    )


def view_lists(offsets: bytes, values: pa.Array, length: int) -> pl.Series:
    """A polars ``list<str>`` column: ``values`` cut into ``length`` rows by int64 ``offsets``."""
    lists = pa.Array.from_buffers(
        pa.large_list(pa.string_view()), length, [None, pa.py_buffer(offsets)], children=[values]
    )
    return pl.Series(lists)
