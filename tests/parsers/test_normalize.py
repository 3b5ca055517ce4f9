"""The shared vectorized helpers of ``parsers/normalize.py``."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pytest

from shadowlens.parsers import normalize as nz


def run(expr: pl.Expr, values: list[Any]) -> list[Any]:
    frame = pl.DataFrame({"v": values}, schema={"v": pl.String()})
    return frame.select(expr.alias("out"))["out"].to_list()


V = pl.col("v")


# -- words --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "action"),
    [
        ("allow", "allowed"),
        ("Permit", "allowed"),
        (" ACCEPT ", "allowed"),
        ("TCP_MISS/200", "allowed"),
        ("close", "allowed"),
        ("timeout", "allowed"),
        ("alert", "allowed"),
        ("deny", "blocked"),
        ("Dropped", "blocked"),
        ("reset-both", "blocked"),
        ("TCP_DENIED/403", "blocked"),
        ("something", "unknown"),
        ("", "unknown"),
        (None, None),
    ],
)
def test_normalize_action(word: str | None, action: str | None) -> None:
    assert run(nz.normalize_action(V), [word]) == [action]


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("0", 0),
        ("10", 10),
        (" 7 ", 7),
        ("11", None),
        ("-1", None),
        ("Low", 3),
        ("medium", 6),
        ("HIGH", 8),
        ("Very-High", 10),
        ("Unknown", 0),
        ("Severe", None),
        ("", None),
        (None, None),
    ],
)
def test_severity(text: str | None, level: int | None) -> None:
    assert run(nz.severity(V), [text]) == [level]


def test_to_uint_rejects_out_of_range_and_junk() -> None:
    assert run(nz.to_uint(V, pl.UInt16()), ["443", " 80 ", "70000", "-1", "x", "", None]) == [
        443,
        80,
        None,
        None,
        None,
        None,
        None,
    ]
    assert run(nz.to_uint(V, pl.UInt64()), ["18446744073709551615", "18446744073709551616"]) == [
        2**64 - 1,
        None,
    ]


def test_hosts() -> None:
    urls = [
        "https://U:p@Files.Slack.com:443/x?a=b",
        "http://[2001:db8::1]:8080/",
        "login.live.com:443",
        "/relative",
        "mailto:x@y",
        None,
    ]
    assert run(nz.url_host(V), urls) == [
        "files.slack.com",
        "2001:db8::1",
        "login.live.com",
        None,
        None,
        None,
    ]
    assert run(
        nz.clean_host(V), ["WWW.Example.COM.", "host:8080", "[::1]:443", "-", "", " a "]
    ) == [
        "www.example.com",
        "host",
        "::1",
        None,
        None,
        "a",
    ]
    assert run(nz.null_if_dash(V), ["-", "", "x", None]) == [None, None, "x", None]


def test_valid_ip_shape() -> None:
    assert run(
        nz.valid_ip(V), ["10.0.0.1", "256.1.1.1", "2001:DB8::1", "::1", "host", "1.2.3"]
    ) == [
        "10.0.0.1",
        None,
        "2001:db8::1",
        "::1",
        None,
        None,
    ]


def test_unescape_is_one_leftmost_pass() -> None:
    table = {"\\\\": "\\", "\\=": "="}
    assert run(nz.unescape(V, table), ["a\\=b", "a\\\\=b", "a\\\\\\=b", "\\x"]) == [
        "a=b",
        "a\\=b",
        "a\\=b",
        "\\x",
    ]


@pytest.mark.parametrize(
    ("java", "chrono", "zone"),
    [
        ("MMM dd yyyy HH:mm:ss.SSS z", "%b %d %Y %H:%M:%S%.3f", True),
        ("yyyy-MM-dd'T'HH:mm:ss", "%Y-%m-%dT%H:%M:%S", False),
        ("dd/MMM/yyyy:HH:mm:ss Z", "%d/%b/%Y:%H:%M:%S", True),
        ("yyyy-M-d H:mm:ss", "%Y-%m-%d %H:%M:%S", False),
    ],
)
def test_java_to_strftime(java: str, chrono: str, zone: bool) -> None:
    assert nz.java_to_strftime(java) == (chrono, zone)


# -- timestamps -----------------------------------------------------------------------------


def parse(values: list[str | None], **kw: Any) -> list[tuple[str | None, bool | None]]:
    frame = nz.parse_timestamp(pl.DataFrame({"t": values}, schema={"t": pl.String()}), "t", **kw)
    return frame.select(pl.col("event_time").dt.to_string("%FT%T%.6f"), "tz_assumed").rows()


def test_epoch_values_keep_their_fraction() -> None:
    """Bug fixed: the sub-millisecond part of `1616623591694.176` was dropped."""
    assert parse(["1616623591694", "1616623591694.176", "1616623591.5", "1616623591"]) == [
        ("2021-03-24T22:06:31.694000", False),
        ("2021-03-24T22:06:31.694176", False),
        ("2021-03-24T22:06:31.500000", False),
        ("2021-03-24T22:06:31.000000", False),
    ]


def test_two_digit_years() -> None:
    """Bug fixed: `Mar 03 24 10:11:12` read as the year 24 AD."""
    assert parse(["Mar 03 24 10:11:12", "Mar 03 2024 10:11:12"]) == [
        ("2024-03-03T10:11:12.000000", True),
        ("2024-03-03T10:11:12.000000", True),
    ]


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("Jun 23 2020 17:37:24.000 Z", "2020-06-23T17:37:24.000000"),
        ("Jun 23 2020 17:37:24 EST", "2020-06-23T22:37:24.000000"),
        ("Jun 23 2020 17:37:24 +05", "2020-06-23T12:37:24.000000"),
        ("Jun 23 2020 17:37:24 +0500", "2020-06-23T12:37:24.000000"),
        ("Jun 23 2020 17:37:24 +05:00", "2020-06-23T12:37:24.000000"),
        ("Jun 23 2020 17:37:24 GMT+05:00", "2020-06-23T12:37:24.000000"),
        ("2020-06-23T17:37:24.5-04:00", "2020-06-23T21:37:24.500000"),
    ],
)
def test_zone_suffixes(text: str, utc: str) -> None:
    assert parse([text]) == [(utc, False)]


def test_unknown_zone_words_and_junk_fail() -> None:
    assert parse(["Jun 23 2020 17:37:24 XYZ", "Last Thursday", "", None]) == [(None, None)] * 4


def test_zoneless_times_use_tz_and_are_flagged() -> None:
    assert parse(["2024-07-01 12:00:00", "2024-01-15 12:00:00"], tz="Europe/Berlin") == [
        ("2024-07-01T10:00:00.000000", True),
        ("2024-01-15T11:00:00.000000", True),
    ]


def test_nonexistent_local_time_is_null() -> None:
    assert parse(["2024-03-31 02:30:00"], tz="Europe/Berlin") == [(None, None)]


def test_yearless_times() -> None:
    assert parse(["Jan  5 10:00:00", "Dec 31 23:59:59.250"], year=2023) == [
        ("2023-01-05T10:00:00.000000", True),
        ("2023-12-31T23:59:59.250000", True),
    ]
    # Without a year: this year, or last year when that would be more than two days ahead.
    now = dt.datetime.now()
    past, ahead = now - dt.timedelta(days=1), now + dt.timedelta(days=10)
    got = parse([past.strftime("%b %d %H:%M:%S"), ahead.strftime("%b %d %H:%M:%S")])
    assert got[0][0] is not None
    assert got[0][0].startswith(f"{past.year}-")
    assert got[1][0] is not None
    assert got[1][0].startswith(f"{ahead.year - 1}-")


def test_custom_layouts() -> None:
    assert parse(["18.01.2024 11:07"], layouts=("%d.%m.%Y %H:%M",), yearless_layouts=()) == [
        ("2024-01-18T11:07:00.000000", True)
    ]
    assert parse(["1700000000000"], epoch=False) == [(None, None)]
