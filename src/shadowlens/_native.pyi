"""Type stubs of ``shadowlens._native``, the Rust kernels (``native/src``)."""

__version__: str

def split_pairs(
    pattern: str,
    offsets: bytes,
    data: bytes,
    starts: bytes,
    valid: bytes | None = None,
    cef: bool = False,
) -> tuple[bytes, bytes, bytes, bytes]: ...
