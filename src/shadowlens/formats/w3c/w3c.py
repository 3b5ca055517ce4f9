"""What the W3C field table cannot declare: the request URL rebuilt from its parts.

IIS and ProxySG log the URL in pieces (``cs-uri-scheme``, ``cs-host``,
``cs-uri-port``, ``cs-uri-path`` or ``cs-uri-stem``, ``cs-uri-query``) or whole
(``cs-uri``). The spec names :func:`url` with ``derive = "url"``.

Examples
--------
>>> import polars as pl
>>> parts = {"cs-host": pl.Series(["Files.example.com:8443", None]),
...          "cs-uri-stem": pl.Series(["/up", "/x"]), "cs-uri-query": pl.Series(["a=1", None]),
...          "s-port": pl.Series(["443", "80"]), "#fields": pl.Series(["cs-host", "cs-host"])}
>>> value, used = url(parts, None)
>>> value.to_list()
['https://Files.example.com:8443/up?a=1', None]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

#: Field prefixes and fields of proxy layouts (ProxySG): the server is not s-ip/s-port there.
PROXY = r"(?:^| )(?:s-supplier-|r-|rs-|rs\(|sr-|sr\(|s-action|sc-filter-result)"
_ABSOLUTE = r"^[A-Za-z][A-Za-z0-9+.-]*://"
_DEFAULT_PORTS = {"http": "80", "https": "443", "ftp": "21"}


def url(parts: Mapping[str, pl.Series], options: Any) -> tuple[pl.Series, dict[str, pl.Series]]:
    """An absolute ``cs-uri`` as logged, else ``scheme://host[:port]path[?query]`` when a host
    is known; with, per input field, the rows where it went into the URL.

    The scheme is ``cs-uri-scheme``, else ``https`` on port 443 and ``http`` otherwise;
    the port is written only when it is not the scheme's default and the host has none.
    """
    height = next(iter(parts.values())).len()
    none = pl.repeat(None, height, dtype=pl.String(), eager=True)
    frame = pl.DataFrame({name: parts.get(name, none) for name in _INPUTS})
    c = pl.col
    # The layout is the same for most rows: test it once per distinct layout.
    layouts = frame.get_column("#fields").unique().drop_nulls()
    proxy_layouts = layouts.filter(layouts.str.contains(PROXY))
    proxy = c("#fields").is_in(proxy_layouts.implode()).fill_null(False)
    port = (
        pl.when(proxy)
        .then(pl.coalesce("cs-uri-port", "r-port"))
        .otherwise(pl.coalesce("cs-uri-port", "s-port"))
    )
    host = pl.coalesce("cs-host", "cs(host)")
    hosts = frame.select(host.unique().drop_nulls()).to_series()
    with_own_port = hosts.filter(hosts.str.contains(r":[0-9]+$"))
    scheme = pl.coalesce(
        c("cs-uri-scheme").str.to_lowercase(),
        pl.when(port == "443").then(pl.lit("https")).otherwise(pl.lit("http")),
    )
    default_port = scheme.replace_strict(_DEFAULT_PORTS, default="", return_dtype=pl.String())
    with_port = port.is_not_null() & (port != default_port) & ~host.is_in(with_own_port.implode())
    query = c("cs-uri-query")
    query_part = (
        pl.when(query.is_null())
        .then(pl.lit(""))
        .when(query.str.starts_with("?"))
        .then(query)
        .otherwise(pl.lit("?") + query)
    )
    absolute = c("cs-uri").str.contains(_ABSOLUTE).fill_null(False)
    path = pl.coalesce(
        pl.when(~absolute).then(c("cs-uri")),
        pl.coalesce("cs-uri-path", "cs-uri-stem").fill_null("") + query_part,
    )
    built = pl.when(host.is_not_null()).then(
        pl.concat_str(
            [
                scheme,
                pl.lit("://"),
                host,
                pl.when(with_port).then(":" + port).otherwise(pl.lit("")),
                path,
            ]
        )
    )
    out = frame.select(
        pl.when(absolute).then(c("cs-uri")).otherwise(built).alias("url"),
        (~absolute & host.is_not_null()).alias("built"),
        (~absolute & host.is_not_null() & with_port.fill_null(False)).alias("port_used"),
    )
    built_rows = out.get_column("built")
    used = {
        "cs-uri": out.get_column("url").is_not_null(),
        **dict.fromkeys(
            ("cs-uri-scheme", "cs-uri-path", "cs-uri-stem", "cs-uri-query"), built_rows
        ),
        **dict.fromkeys(("cs-host", "cs(host)"), built_rows),
    }
    return out.get_column("url"), used


_INPUTS = (
    "cs-uri", "cs-uri-scheme", "cs-host", "cs(host)", "cs-uri-port", "r-port", "s-port",
    "cs-uri-path", "cs-uri-stem", "cs-uri-query", "#fields",
)  # fmt: skip
