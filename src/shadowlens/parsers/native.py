"""The native core (``shadowlens._native``, Rust) if it is built, and the switch to turn it off.

Every kernel has a polars twin that stays the reference: the native module is an
accelerator, never a requirement. ``SHADOWLENS_NATIVE=0`` in the environment runs
the polars twins only (to compare, or to rule the native core out of a bug).
"""

from __future__ import annotations

import os
from types import ModuleType

_native: ModuleType | None
try:
    from shadowlens import _native
except ImportError:  # a source tree without the built extension: polars only
    _native = None

native = _native


def native_enabled() -> bool:
    """Whether the native core is installed and not turned off (``SHADOWLENS_NATIVE=0``).

    Examples
    --------
    >>> isinstance(native_enabled(), bool)
    True
    """
    return _native is not None and os.environ.get("SHADOWLENS_NATIVE", "1") != "0"
