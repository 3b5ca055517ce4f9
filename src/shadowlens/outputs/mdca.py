"""Defender for Cloud Apps API specifics: credentials, URL checks, errors and limits.

Shared by the upload client (:mod:`shadowlens.outputs.upload`) and its CLI.
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Literal
from urllib.parse import quote, quote_plus, urlencode

import httpx

from shadowlens.errors import ConfigError, InputError, UploadError

__all__ = [
    "AUTH_ENV",
    "DEFAULT_BLOCK_SIZE",
    "LOOPBACK_HOSTS",
    "MAX_API_FILE_BYTES",
    "MAX_BLOCKS",
    "SINGLE_PUT_LIMIT",
    "TOKEN_ENV",
    "Credentials",
    "UploadAuthError",
    "UploadError",
    "add_query",
    "block_id",
    "block_len",
    "display_url",
    "read_range",
    "validate_portal",
    "validate_report_name",
]

TOKEN_ENV = "SHADOWLENS_MDCA_TOKEN"
"""Environment variable holding the API token (the only place it is read from)."""

AUTH_ENV = "SHADOWLENS_MDCA_AUTH"
"""``token`` (default: ``Authorization: Token``) or ``bearer`` (an Entra ID access token)."""

SINGLE_PUT_LIMIT = 64 * 1024 * 1024
"""Files strictly smaller than this go in one PUT; larger ones in blocks."""

DEFAULT_BLOCK_SIZE = 4 * 1024 * 1024
"""Block size for block uploads (accepted by every Azure storage API version)."""

MAX_API_FILE_BYTES = 5 * 1024**3
"""Largest file the upload API accepts."""

MAX_BLOCKS = 50_000  # Azure's limit of blocks per blob
_READ_CHUNK = 256 * 1024
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_REPORT_NAME_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")


class UploadAuthError(UploadError):
    """The portal rejected the credentials (HTTP 401 or 403); never retried."""


class Credentials:
    """The API credential, kept out of every ``repr``, message and file.

    Parameters
    ----------
    secret
        The API token or bearer access token.
    scheme
        ``"Token"`` for a portal API token, ``"Bearer"`` for an Entra ID token.
    """

    __slots__ = ("_pattern", "_secret", "scheme")

    def __init__(self, secret: str, scheme: Literal["Token", "Bearer"] = "Token") -> None:
        secret = secret.strip()
        if not secret:
            msg = f"{TOKEN_ENV} is empty"
            raise ConfigError(msg)
        if any(not (33 <= ord(ch) <= 126) for ch in secret):
            # Do not echo the value: it is a credential.
            msg = f"{TOKEN_ENV} contains spaces or non-printable characters"
            raise ConfigError(msg)
        self._secret = secret
        self.scheme = scheme
        forms = "|".join(re.escape(form) for form in _secret_forms(secret))
        self._pattern = re.compile(forms, flags=re.IGNORECASE)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Credentials:
        """Read :data:`TOKEN_ENV` (and :data:`AUTH_ENV` for the scheme).

        Raises
        ------
        ConfigError
            If the token is missing or the scheme unknown.
        """
        env = os.environ if environ is None else environ
        secret = env.get(TOKEN_ENV, "")
        if not secret.strip():
            msg = f"set {TOKEN_ENV} to a Defender for Cloud Apps API token (or an Entra ID token)"
            raise ConfigError(msg)
        kind = env.get(AUTH_ENV, "token").strip().lower() or "token"
        if kind not in ("token", "bearer"):
            msg = f"{AUTH_ENV} must be 'token' or 'bearer', not {kind!r}"
            raise ConfigError(msg)
        return cls(secret, "Bearer" if kind == "bearer" else "Token")

    def header(self) -> str:
        """Return the ``Authorization`` header value."""
        return f"{self.scheme} {self._secret}"

    def redact(self, text: str) -> str:
        """Return ``text`` with the secret masked in every form a server may echo it.

        The plain text, URL-encoded (``quote`` and ``quote_plus``, any case of the
        hex digits), JSON-escaped, hex, and base64 (standard and URL-safe alphabets,
        at any alignment in a longer encoded text, as in an echoed ``Authorization``
        header) are replaced by ``***``.

        Examples
        --------
        >>> import base64
        >>> c = Credentials("s3cr3t/t0ken+value")
        >>> c.redact("auth=s3cr3t%2Ft0ken%2Bvalue")
        'auth=***'
        >>> echoed = base64.b64encode(b"Token s3cr3t/t0ken+value").decode()
        >>> "s3cr3t" in base64.b64decode(echoed).decode(), "***" in c.redact(echoed)
        (True, True)
        """
        # case-insensitive: percent escapes and hex may come back in either case
        return self._pattern.sub("***", text)

    def __repr__(self) -> str:
        return f"Credentials(scheme={self.scheme!r}, secret=<hidden>)"


def _secret_forms(secret: str) -> list[str]:
    """Every encoded form of ``secret`` that :meth:`Credentials.redact` masks, longest first."""
    raw = secret.encode()
    forms = {
        secret,
        quote(secret, safe=""),
        quote_plus(secret, safe=""),
        json.dumps(secret)[1:-1],
        raw.hex(),
    }
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        for pad in range(3):
            encoded = encode(b"\0" * pad + raw).decode().rstrip("=")
            # drop the characters that also depend on the bytes around the secret
            start = 4 if pad else 0
            end = len(encoded) - (0 if (pad + len(raw)) % 3 == 0 else (pad + len(raw)) % 3 + 1)
            core = encoded[start:end]
            if len(core) >= 8:
                forms.add(core)
    return sorted((f for f in forms if f), key=len, reverse=True)


def validate_portal(url: str) -> str:
    """Check a portal API URL and return it without a trailing slash.

    ``https`` is required; plain ``http`` is accepted only for ``127.0.0.1``,
    ``localhost`` and ``::1`` (local test servers).

    Raises
    ------
    ConfigError
        If the URL is not a bare ``https://host[:port]`` address.
    """
    try:
        parsed = httpx.URL(url.strip())
    except (httpx.InvalidURL, TypeError):
        parsed = None
    if parsed is None or not parsed.host or parsed.scheme not in ("https", "http"):
        msg = (
            f"--portal {url!r} is not a URL like https://TENANT.REGION.portal.cloudappsecurity.com"
        )
        raise ConfigError(msg)
    if parsed.scheme == "http" and parsed.host not in LOOPBACK_HOSTS:
        msg = f"--portal {url!r} must use https (http is only allowed for localhost)"
        raise ConfigError(msg)
    if parsed.userinfo or parsed.query or parsed.fragment or parsed.path not in ("", "/"):
        msg = f"--portal {url!r} must be only scheme and host (the API URL from Settings > About)"
        raise ConfigError(msg)
    port = f":{parsed.port}" if parsed.port else ""
    host = f"[{parsed.host}]" if ":" in parsed.host else parsed.host
    return f"{parsed.scheme}://{host}{port}"


def validate_report_name(name: str) -> str:
    """Check a report or data source name: 1-64 letters, digits, ``-`` or ``_``.

    Raises
    ------
    ConfigError
        If the name has other characters or the wrong length.
    """
    if not _REPORT_NAME_RE.fullmatch(name):
        msg = f"--report-name {name!r} must be 1-64 letters, digits, '-' or '_'"
        raise ConfigError(msg)
    return name


def read_range(path: Path, offset: int, length: int) -> Iterator[bytes]:
    """Yield ``length`` bytes of ``path`` from ``offset`` in small chunks."""
    with path.open("rb") as handle:
        handle.seek(offset)
        remaining = length
        while remaining > 0:
            chunk = handle.read(min(_READ_CHUNK, remaining))
            if not chunk:
                msg = f"{path} is shorter than expected (changed during upload?)"
                raise InputError(msg)
            remaining -= len(chunk)
            yield chunk


def block_len(total: int, size: int, index: int) -> int:
    """Return the length of block ``index`` of a ``total``-byte file cut in ``size`` blocks."""
    return max(0, min(size, total - index * size))


def block_id(index: int) -> str:
    """Return a base64 block id; all ids of a blob have the same length."""
    return base64.b64encode(f"{index:06d}".encode()).decode()


def add_query(url: str, **params: str) -> str:
    """Append parameters to a pre-signed URL without touching its signature."""
    return url + ("&" if "?" in url else "?") + urlencode(params)


def display_url(url: str) -> str:
    """Return a URL without its query (pre-signed URLs carry a signature there)."""
    return url.split("?", 1)[0]
