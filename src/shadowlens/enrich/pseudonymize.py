"""Keyed, deterministic, reversible pseudonyms for user names.

AES-SIV (RFC 5297, from the ``cryptography`` package) is a deterministic
authenticated cipher: the same name under the same key always gives the same
token, and only the key turns a token back into the name (a forged or altered
token is refused). The 64-byte SIV key is derived from the key file with HKDF;
names are padded to a multiple of 16 bytes so a token reveals their length only
roughly. The key is read from a file and never written anywhere.

Examples
--------
>>> p = Pseudonymizer(b"0123456789abcdef0123456789abcdef")
>>> t = p.token("alice@corp.example")
>>> t == p.token("alice@corp.example"), p.reveal(t)
(True, 'alice@corp.example')
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

import polars as pl
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from shadowlens.errors import ConfigError

PREFIX = "u_"
_BLOCK = 16
_MIN_KEY = 16
_CONTEXT = [b"shadowlens/user-pseudonym/v1"]


class Pseudonymizer:
    """Turns user names into tokens and back with one secret key."""

    def __init__(self, key: bytes) -> None:
        if len(key) < _MIN_KEY:
            msg = f"pseudonymisation key must be at least {_MIN_KEY} bytes, got {len(key)}"
            raise ConfigError(msg)
        derived = HKDF(hashes.SHA256(), 64, salt=None, info=b"shadowlens/aes-siv").derive(key)
        self._derived = derived
        self._siv = AESSIV(derived)

    def __reduce__(self) -> tuple[Callable[[bytes], Pseudonymizer], tuple[bytes]]:
        # AESSIV cannot be pickled; a Dask run sends the derived key to its workers instead.
        return _from_derived, (self._derived,)

    @classmethod
    def from_key_file(cls, path: str | Path) -> Pseudonymizer:
        """Read the key from ``path`` (raw bytes; surrounding whitespace of a text key ignored)."""
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            msg = f"{path}: cannot read key file: {exc.strerror}"
            raise ConfigError(msg) from exc
        return cls(data.strip())

    def token(self, name: str) -> str:
        """The token of ``name`` (deterministic under this key)."""
        data = name.encode("utf-8") + b"\x80"
        data += b"\x00" * (-len(data) % _BLOCK)
        sealed = self._siv.encrypt(data, _CONTEXT)
        return PREFIX + base64.urlsafe_b64encode(sealed).decode("ascii").rstrip("=")

    def reveal(self, token: str) -> str:
        """The name behind ``token``.

        Raises
        ------
        ConfigError
            The token is malformed or was not made with this key.
        """
        bad = ConfigError("not a shadowlens user token for this key")
        if not token.startswith(PREFIX):
            raise bad
        raw_text = token[len(PREFIX) :]
        try:
            raw = base64.urlsafe_b64decode(raw_text + "=" * (-len(raw_text) % 4))
            data = self._siv.decrypt(raw, _CONTEXT)
        except (ValueError, InvalidTag) as exc:
            raise bad from exc
        end = data.rstrip(b"\x00")
        if not end.endswith(b"\x80"):
            raise bad
        return end[:-1].decode("utf-8")


def pseudonymize_users(
    records: pl.DataFrame, pseudonymizer: Pseudonymizer, column: str = "user_name"
) -> pl.DataFrame:
    """Replace ``column`` by tokens; one Python call per *distinct* name, the rest is a join.

    Examples
    --------
    >>> p = Pseudonymizer(b"k" * 32)
    >>> out = pseudonymize_users(pl.DataFrame({"user_name": ["bob", None, "bob"]}), p)
    >>> out["user_name"][0] == out["user_name"][2], out["user_name"][1]
    (True, None)
    """
    if column not in records.columns:
        return records
    names = records.get_column(column).cast(pl.String).drop_nulls().unique()
    mapping = pl.DataFrame(
        {"__name": names, "__token": [pseudonymizer.token(n) for n in names.to_list()]},
        schema={"__name": pl.String, "__token": pl.String},
    )
    joined = records.join(
        mapping,
        left_on=pl.col(column).cast(pl.String),
        right_on="__name",
        how="left",
        maintain_order="left",
    )
    return joined.with_columns(pl.col("__token").alias(column)).select(records.columns)


def _from_derived(derived: bytes) -> Pseudonymizer:
    """Rebuild an unpickled :class:`Pseudonymizer` from its derived SIV key."""
    made = Pseudonymizer.__new__(Pseudonymizer)
    made._derived = derived
    made._siv = AESSIV(derived)
    return made
