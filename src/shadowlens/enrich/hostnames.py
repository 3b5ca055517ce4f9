"""Host-name facts the matcher and ``catalog lookup`` share, without importing polars.

Examples
--------
>>> import re
>>> bool(re.match(IPV4_RE, "192.0.2.1")), bool(re.match(IPV4_RE, "192.0.2.256"))
(True, False)
>>> psl().privatesuffix("files.example.co.uk")
'example.co.uk'
"""

from __future__ import annotations

from publicsuffixlist import PublicSuffixList

#: A dotted-quad IPv4 literal (each octet 0-255), as hosts and IPs carry them.
IPV4_RE = r"^(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(?:\.(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$"

_PSL: PublicSuffixList | None = None


def psl() -> PublicSuffixList:
    """The process's Public Suffix List (the library's bundled list), parsed once."""
    global _PSL
    if _PSL is None:
        _PSL = PublicSuffixList()
    return _PSL
