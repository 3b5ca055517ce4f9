"""W3C field -> canonical column rules, shared by the fast path and the Lark path.

Values are picked by their position in the entry's ``#Fields`` list; field names
are matched case-insensitively. Every field not mapped to a column lands in
``extras`` under its original name (``-`` and empty values are dropped), as do
values that fail typing and values beyond the ``#Fields`` list
(``extra_column_<n>``). The decisions (time zones, ``time-taken`` units, proxy
layouts, URL rebuilding, ``+`` in user agents, actions) and their reasons are in
``docs/format-decisions.md``, section W3C.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import polars as pl

from shadowlens.errors import ErrorCode
from shadowlens.parsers import normalize as nz
from shadowlens.parsers.base import ParseOptions
from shadowlens.parsers.fields import EXTRAS_DTYPE
from shadowlens.parsers.w3c_directives import Layout, software_facts

#: Accepted values of the format's choice options (the first is the default).
OPTION_CHOICES: dict[str, tuple[str, ...]] = {
    "time_taken": ("auto", "ms", "s"),
    "extra_columns": ("keep", "quarantine"),
    "user_agent_plus": ("space", "keep"),
}
_PROXY_PREFIXES = ("s-supplier-", "r-", "rs-", "rs(", "sr-", "sr(")
_PROXY_FIELDS = ("s-action", "sc-filter-result")
#: Action fields in the order they decide ``action_raw``.
ACTION_FIELDS = ("sc-filter-result", "s-action", "sc-action", "x-exception-id")
#: Action words of W3C producers that :func:`normalize_action` does not know.
W3C_ACTION_WORDS = {
    "policy_denied": "blocked",
    "req_passed": "allowed",
    "req_cached_fresh": "allowed",
    "req_cached_stale": "allowed",
}
_ABSOLUTE = r"^[A-Za-z][A-Za-z0-9+.-]*://"
_DEFAULT_PORTS = {"http": "80", "https": "443", "ftp": "21"}
_STR = pl.String()
_COLUMNS = (
    "event_time", "tz_assumed", "src_ip", "src_port", "src_host", "user_name", "dst_ip",
    "dst_port", "dst_host", "url", "http_method", "http_status", "user_agent", "app_protocol",
    "bytes_up", "bytes_down", "bytes_total", "duration_ms", "action", "action_raw",
    "observer_vendor", "observer_product", "observer_version", "log_format",
)  # fmt: skip


class _Fields:
    """A layout's fields by lower-case name; remembers which ones a column consumes."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = names
        self.index: dict[str, int] = {}
        for i, name in enumerate(names):
            self.index.setdefault(name.lower(), i)
        self.used: set[int] = set()
        #: field -> column name of a bool: true where the field was consumed.
        self.consumed_where: dict[int, str] = {}

    def has(self, *names: str) -> bool:
        return any(n in self.index for n in names)

    def first(self, *names: str) -> str | None:
        return next((n for n in names if n in self.index), None)

    def get(self, *names: str, use: bool = True) -> pl.Expr:
        """The first present field's value (a null literal when none is present)."""
        name = self.first(*names)
        if name is None:
            return pl.lit(None, _STR)
        if use:
            self.used.add(self.index[name])
        return pl.col(f"_v{self.index[name]}")

    def spelled(self, *names: str) -> str:
        """The layout's own spelling of the first present field (extras keys)."""
        name = self.first(*names)
        return self.names[self.index[name]] if name else names[0]

    def consumed(self, names: Sequence[str], where: str) -> None:
        """Fields consumed only where bool column ``where`` is true (else they go to extras)."""
        for name in names:
            if name in self.index:
                self.consumed_where[self.index[name]] = where


def _by_unique(
    frame: pl.DataFrame, source: pl.Expr, derive: Mapping[str, Callable[[pl.Expr], pl.Expr]]
) -> pl.DataFrame:
    """Add columns computed once per distinct value of ``source`` (hosts, IPs, words)."""
    key = "__key"
    frame = frame.with_columns(source.alias(key))
    distinct = frame.select(pl.col(key).unique())
    derived = distinct.with_columns(fn(pl.col(key)).alias(name) for name, fn in derive.items())
    return frame.join(derived, on=key, how="left", nulls_equal=True, maintain_order="left").drop(
        key
    )


def map_records(fields: pl.DataFrame, layout: Layout, options: ParseOptions) -> pl.DataFrame:
    """Canonical columns (plus ``_row``, ``_error``, ``_error_message``) for one layout."""
    assert layout.fields is not None
    names = layout.fields
    width = len(names)
    opts = options.options
    c = pl.col
    vcols = [f"_v{i}" for i in range(width)]
    frame = fields.with_columns(
        c("values").list.len().alias("_n"),
        *(c("values").list.get(i, null_on_oob=True).alias(v) for i, v in enumerate(vcols)),
    )
    frame = frame.with_columns(
        pl.when(c(v).is_in(["-", ""])).then(None).otherwise(c(v)).alias(v) for v in vcols
    )
    f = _Fields(names)
    lower = [n.lower() for n in names]
    proxy = any(n.startswith(_PROXY_PREFIXES) or n in _PROXY_FIELDS for n in lower)
    dst_names = ("s-supplier-ip", "r-ip") if proxy else ("s-ip",)
    port_names = ("cs-uri-port", "r-port") if proxy else ("cs-uri-port", "s-port")
    actions = [a for a in ACTION_FIELDS if f.has(a)]

    # -- stage 1: raw picks and the per-distinct-value derivations -------------------
    time_text, local = _time_text(f, layout)
    frame = frame.with_columns(
        time_text.alias("_time_text"),
        f.get("c-ip").alias("_src"),
        f.get(*dst_names).alias("_dst"),
        f.get(*port_names).alias("_port"),
        f.get("cs-host", "cs(host)").alias("_host_raw"),
        f.get("cs-uri").alias("_uri"),
        f.get("cs(user-agent)").alias("_ua"),
        pl.coalesce(*(f.get(a, use=False) for a in actions)).alias("_action_raw")
        if actions
        else pl.lit(None, _STR).alias("_action_raw"),
    )
    frame = _by_unique(frame, c("_src"), {"src_ip": nz.valid_ip})
    frame = _by_unique(frame, c("_dst"), {"_dst_ip": nz.valid_ip})
    frame = _by_unique(
        frame,
        c("_host_raw"),
        {"_host": nz.clean_host, "_host_port": lambda h: h.str.contains(r":[0-9]+$")},
    )
    if f.has("cs-uri"):
        frame = _by_unique(
            frame,
            c("_uri"),
            {"_uri_host": nz.url_host, "_absolute": lambda u: u.str.contains(_ABSOLUTE)},
        )
        frame = frame.with_columns(pl.coalesce("_host", "_uri_host").alias("_host"))
    else:
        frame = frame.with_columns(pl.lit(False).alias("_absolute"))
    frame = _by_unique(frame, c("_ua"), {"user_agent": _user_agent(opts)})
    frame = _by_unique(frame, c("_host"), {"_host_ip": nz.valid_ip})
    frame = _by_unique(frame, c("_action_raw"), {"_action": _verdict})

    # -- stage 2: typed columns ----------------------------------------------------------
    frame = frame.with_columns(
        c("_time_text")
        .str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M:%S%.f", strict=False, exact=True)
        .alias("_naive")
    )
    if frame.select((c("_naive").is_null() & c("_time_text").is_not_null()).any()).item():
        short = c("_time_text").str.strptime(
            pl.Datetime("us"), "%Y-%m-%d %H:%M", strict=False, exact=True
        )  # the draft allows HH:MM
        frame = frame.with_columns(pl.coalesce("_naive", short).alias("_naive"))
    naive = c("_naive")
    event_time = (
        naive.dt.replace_time_zone(
            options.tz, ambiguous="earliest", non_existent="null"
        ).dt.convert_time_zone("UTC")
        if local
        else naive.dt.replace_time_zone("UTC")
    )
    frame = frame.with_columns(
        event_time.alias("event_time"),
        nz.to_uint(f.get("c-port"), pl.UInt16()).alias("src_port"),
        nz.to_uint(c("_port"), pl.UInt16()).alias("dst_port"),
        nz.to_uint(f.get("sc-status"), pl.UInt16()).alias("http_status"),
        nz.to_uint(f.get("cs-bytes"), pl.UInt64()).alias("bytes_up"),
        nz.to_uint(f.get("sc-bytes"), pl.UInt64()).alias("bytes_down"),
        _duration(f, opts.get("time_taken", "auto")).alias("duration_ms"),
        f.get("cs-method").str.to_uppercase().alias("http_method"),
        f.get("cs-uri-scheme", use=False).str.to_lowercase().alias("_scheme"),
    )

    # -- stage 3: URL, and the columns built from the previous stages --------------------
    frame = frame.with_columns(_url(f).alias("url"))
    f.consumed(("cs-uri-scheme", "cs-uri-path", "cs-uri-stem", "cs-uri-query"), "_url_ok")
    chosen = []
    for k, name in enumerate(actions):  # only the word shown as action_raw leaves extras
        earlier = [f.get(a, use=False).is_null() for a in actions[:k]]
        chosen.append(
            pl.all_horizontal(f.get(name, use=False).is_not_null(), *earlier).alias(f"_act{k}")
        )
        f.consumed((name,), f"_act{k}")
    frame = frame.with_columns(chosen)
    vendor, product, version = software_facts(layout.software)
    up, down = c("bytes_up"), c("bytes_down")
    frame = frame.with_columns(
        c("url").is_not_null().alias("_url_ok"),
        pl.when(c("event_time").is_not_null()).then(pl.lit(local)).alias("tz_assumed"),
        f.get("c-dns").alias("src_host"),
        f.get("cs-username").alias("user_name"),
        pl.coalesce("_dst_ip", pl.when(c("_host_ip").is_not_null()).then(c("_host"))).alias(
            "dst_ip"
        ),
        pl.when(c("_host_ip").is_null()).then(c("_host")).alias("dst_host"),
        pl.coalesce(
            c("_scheme"),
            c("_uri").str.extract(r"^([A-Za-z][A-Za-z0-9+.-]*)://", 1).str.to_lowercase(),
        ).alias("app_protocol"),
        pl.when(up.is_not_null() | down.is_not_null())
        .then(up.fill_null(0) + down.fill_null(0))
        .alias("bytes_total"),
        pl.when(c("_action_raw").is_not_null()).then(c("_action")).alias("action"),
        c("_action_raw").alias("action_raw"),
        pl.lit(vendor, _STR).alias("observer_vendor"),
        pl.lit(product, _STR).alias("observer_product"),
        pl.lit(version, _STR).alias("observer_version"),
        pl.lit("w3c").alias("log_format"),
    )

    # -- stage 4: extras and errors -----------------------------------------------------------
    untyped = {
        f.spelled("c-ip"): ("_src", "src_ip"),
        f.spelled("c-port"): (f"_v{f.index.get('c-port', -1)}", "src_port"),
        f.spelled(*dst_names): ("_dst", "_dst_ip"),
        f.spelled(*port_names): ("_port", "dst_port"),
        f.spelled("sc-status"): (f"_v{f.index.get('sc-status', -1)}", "http_status"),
        f.spelled("cs-bytes"): (f"_v{f.index.get('cs-bytes', -1)}", "bytes_up"),
        f.spelled("sc-bytes"): (f"_v{f.index.get('sc-bytes', -1)}", "bytes_down"),
        f.spelled("time-taken", "timetakenms"): (_duration_column(f), "duration_ms"),
    }
    frame = frame.with_columns(_extras(frame, f, untyped, width).alias("extras"))
    strict = opts.get("extra_columns", "keep") == "quarantine"
    return frame.with_columns(*_errors(layout, width, strict)).select(
        "_row", *_COLUMNS, "extras", "_error", "_error_message"
    )


def _time_text(f: _Fields, layout: Layout) -> tuple[pl.Expr, bool]:
    """The ``YYYY-MM-DD HH:MM[:SS[.fff]]`` text of an entry and whether it is local time."""
    if f.has("date") and f.has("time"):
        return pl.concat_str([f.get("date"), f.get("time")], separator=" "), False
    if f.has("time") and layout.date:
        return pl.lit(layout.date + " ") + f.get("time"), False
    if f.has("date-local") and f.has("time-local"):
        return pl.concat_str([f.get("date-local"), f.get("time-local")], separator=" "), True
    return pl.lit(None, _STR), False


def _duration_column(f: _Fields) -> str:
    name = "time-taken" if f.has("time-taken") else "timetakenms"
    return f"_v{f.index.get(name, -1)}"


def _duration(f: _Fields, unit: str) -> pl.Expr:
    """``duration_ms`` (UInt32) from ``time-taken`` (unit by shape or option) or ``TimeTakenMS``."""
    if not f.has("time-taken"):
        return nz.to_uint(f.get("timetakenms"), pl.UInt32())
    raw = f.get("time-taken").str.strip_chars()
    number = raw.cast(pl.Float64, strict=False)
    if unit == "s":
        ms = number * 1000
    elif unit == "ms":
        ms = number
    else:
        ms = pl.when(raw.str.contains(".", literal=True)).then(number * 1000).otherwise(number)
    shaped = raw.str.contains(r"^[0-9]*\.?[0-9]+$")
    return pl.when(shaped & ms.round(0).is_between(0, 2**32 - 1)).then(ms.round(0)).cast(pl.UInt32)


def _url(f: _Fields) -> pl.Expr:
    """An absolute ``cs-uri``, or scheme://host[:port]path[?query] when a host is known."""
    c = pl.col
    port = c("_port")
    scheme = pl.coalesce(
        c("_scheme"), pl.when(port == "443").then(pl.lit("https")).otherwise(pl.lit("http"))
    )
    default_port = scheme.replace_strict(_DEFAULT_PORTS, default="", return_dtype=_STR)
    port_part = (
        pl.when(port.is_not_null() & (port != default_port) & ~c("_host_port").fill_null(False))
        .then(pl.lit(":") + port)
        .otherwise(pl.lit(""))
    )
    query = f.get("cs-uri-query", use=False)
    query_part = (
        pl.when(query.is_null())
        .then(pl.lit(""))
        .when(query.str.starts_with("?"))
        .then(query)
        .otherwise(pl.lit("?") + query)
    )
    path = pl.coalesce(
        pl.when(~c("_absolute")).then(c("_uri")),
        f.get("cs-uri-path", "cs-uri-stem", use=False).fill_null("") + query_part,
    )
    built = pl.when(c("_host_raw").is_not_null()).then(
        pl.concat_str([scheme, pl.lit("://"), c("_host_raw"), port_part, path])
    )
    return pl.when(c("_absolute")).then(c("_uri")).otherwise(built)


def _user_agent(opts: Mapping[str, str]) -> Callable[[pl.Expr], pl.Expr]:
    """``cs(User-Agent)`` as logged, or with IIS ``+`` decoded when it holds no space."""
    if opts.get("user_agent_plus", "space") == "keep":
        return lambda ua: ua
    return lambda ua: (
        pl.when(ua.str.contains(" ", literal=True))
        .then(ua)
        .otherwise(ua.str.replace_all("+", " ", literal=True))
    )


def _verdict(word: pl.Expr) -> pl.Expr:
    """``allowed``/``blocked``/``unknown`` for an action word, W3C-only words first."""
    lower = word.str.strip_chars().str.to_lowercase()
    local = lower.replace_strict(W3C_ACTION_WORDS, default=None, return_dtype=_STR)
    blocked = pl.when(lower.str.starts_with("req_blocked")).then(pl.lit("blocked"))
    return pl.coalesce(local, blocked, nz.normalize_action(word))


def _extras(
    frame: pl.DataFrame, f: _Fields, untyped: Mapping[str, tuple[str, str]], width: int
) -> pl.Series:
    """``extras`` per row: unmapped fields, values that failed typing, extra trailing values.

    Built in long form (unpivot, drop nulls, group) rather than with one struct
    expression per field, which polars evaluates far more slowly.
    """
    c = pl.col
    items: list[tuple[str, pl.Expr]] = []
    for i, name in enumerate(f.names):
        value = c(f"_v{i}")
        if i in f.consumed_where:
            items.append((name, pl.when(~c(f.consumed_where[i])).then(value)))
        elif i not in f.used:
            items.append((name, value))
    for name, (raw, typed) in untyped.items():
        if raw in frame.columns and name.lower() in f.index:
            items.append((name, pl.when(c(typed).is_null()).then(c(raw))))
    names = [name for name, _expr in items]
    direct = len(set(names)) == len(names) and "_row" not in names  # columns named by their key
    temp = names if direct else [f"_x{k}" for k in range(len(items))]
    wide = frame.select("_row", *(expr.alias(t) for t, (_n, expr) in zip(temp, items, strict=True)))
    long = wide.unpivot(index="_row", variable_name="key", value_name="value").drop_nulls("value")
    if not direct:
        long = long.with_columns(c("key").replace_strict(dict(zip(temp, names, strict=True))))
    more = frame.filter(c("_n") > width)
    if more.height:
        trailing = (
            more.select(
                "_row",
                c("values").list.slice(width).alias("value"),
                pl.int_ranges(width + 1, c("_n") + 1).alias("_pos"),
            )
            .explode("value", "_pos")
            .filter(~c("value").is_in(["-", ""]))
            .select("_row", pl.format("extra_column_{}", c("_pos")).alias("key"), "value")
        )
        long = pl.concat([long, trailing])
    grouped = (
        long.sort("_row", maintain_order=True)
        .group_by("_row", maintain_order=True)
        .agg(pl.struct("key", "value").alias("extras"))
    )
    joined = frame.select("_row").join(grouped, on="_row", how="left", maintain_order="left")
    return joined["extras"].fill_null(pl.lit([]).cast(EXTRAS_DTYPE)).cast(EXTRAS_DTYPE)


def _errors(layout: Layout, width: int, strict: bool) -> list[pl.Expr]:
    """``_error``/``_error_message``: the field count first, then the event time."""
    c = pl.col
    bad_count = (c("_n") != width) if strict else (c("_n") < width)
    count_msg = pl.format(
        "the entry has {} values but the #Fields directive lists {}", c("_n"), pl.lit(width)
    )
    lower = {n.lower() for n in layout.fields or ()}
    if not lower & {"date", "time", "date-local", "time-local"}:
        no_time_msg = "the #Fields directive has no date/time fields"
    elif "time" in lower and "date" not in lower and not layout.date:
        no_time_msg = "the entry has a time but no date, and no #Date directive precedes it"
    else:
        no_time_msg = "the entry's date/time fields are empty"
    no_time = c("event_time").is_null()
    bad_time = c("_time_text").is_not_null()
    return [
        pl.when(bad_count)
        .then(pl.lit(ErrorCode.FIELD_COUNT.value))
        .when(no_time & bad_time)
        .then(pl.lit(ErrorCode.BAD_TIMESTAMP.value))
        .when(no_time)
        .then(pl.lit(ErrorCode.NO_TIMESTAMP.value))
        .alias("_error"),
        pl.when(bad_count)
        .then(count_msg)
        .when(no_time & bad_time)
        .then(pl.format("cannot read the date/time '{}'", c("_time_text")))
        .when(no_time)
        .then(pl.lit(no_time_msg))
        .alias("_error_message"),
    ]
