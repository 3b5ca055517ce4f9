"""Replay other W3C parsers' test vectors against the ``w3c`` format.

The vendored files (``peer_vectors/w3c__*.jsonl``, permissive licences, see
``peer_vectors/ATTRIBUTION.md``) hold one data line per row plus the directive
lines that precede it (``w3c_header``). Each row is replayed as a small file;
the peer's field names are mapped to ours and every asserted key is compared.
Rows we decide differently are listed in :data:`REJECTED` with the reason, and
must keep failing for exactly those keys (so a behaviour change is noticed).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import polars as pl
import pytest

from shadowlens.engine.lines import RawChunk, to_line_chunk
from shadowlens.parsers.base import ParseOptions
from shadowlens.testing import format_class

W3cFormat = format_class("w3c")

PEERS = Path(__file__).parent / "peer_vectors"
FILES = {
    "lnav": "w3c__tstack__lnav.jsonl",
    "W3CLogs": "w3c__webmd-health-services__W3CLogs.jsonl",
    "KinesisTap": "w3c__awslabs__kinesis-agent-windows.jsonl",
    "beats": "w3c__elastic__beats.jsonl",
}
#: (peer, case) -> (keys we disagree on, why). These rows must fail on exactly those keys.
REJECTED: dict[tuple[str, str], tuple[frozenset[str], str]] = {
    **{
        ("W3CLogs", case): (
            frozenset({"Url", "UserAgent"}),
            "W3CLogs synthesises Url as http://<s-ip><stem>; we only build a URL from a host "
            "name (cs-host/Host/cs-uri), the stem stays in extras. It keeps '+' in the user "
            "agent; we decode IIS '+' to spaces (as beats does).",
        )
        for case in (
            "should parse a log file / line 1",
            "should parse a log file / line 2",
            "should parse a log file / line 3",
            "should parse a log file / line 4",
            "should parse a log file / line 5",
            "should parse a log file that switches fields / line 1",
            "should parse a log file that switches fields / line 2",
        )
    },
    ("beats", "test.log line 5"): (
        frozenset({"event.outcome"}),
        "beats derives event.outcome from the HTTP status; our action is the device's own "
        "verdict (IIS logs none), so it stays null.",
    ),
    ("beats", "test.log line 16 (attack string in query)"): (
        frozenset({"<record>"}),
        "the line has 15 values but the #Fields in force lists 22: beats' grok picks whichever "
        "layout matches; we follow #Fields and quarantine it (field_count).",
    ),
    ("beats", "test.log line 17 (attack string in stem)"): (
        frozenset({"<record>"}),
        "same as line 16: a layout other than the #Fields in force (field_count).",
    ),
}


@dataclass
class Replay:
    record: dict[str, Any] | None
    quarantine: dict[str, Any] | None
    values: dict[str, str]
    detected: float

    @property
    def rec(self) -> dict[str, Any]:
        assert self.record is not None
        return self.record

    @property
    def extras(self) -> dict[str, str]:
        record = self.record or {}
        keys, values = record.get("extras_keys") or [], record.get("extras_values") or []
        return dict(zip(keys, values, strict=True))


def _rows() -> list[tuple[str, dict[str, Any]]]:
    rows = []
    for peer, name in FILES.items():
        for line in (PEERS / name).read_text(encoding="utf-8").splitlines():
            rows.append((peer, json.loads(line)))
    return rows


ROWS = _rows()


def replay(row: dict[str, Any]) -> Replay:
    """Parse the row's header lines plus its input as one file; return the input's fate."""
    lines = [*row.get("w3c_header", []), row["input"]]
    data = "\n".join(lines).encode() + b"\n" + row.get("followed_by", "").encode()
    options: dict[str, str] = {}
    if "default_fields" in (row.get("options") or {}):
        options["fields"] = row["options"]["default_fields"]
    fmt = W3cFormat(ParseOptions(options=options))
    state = fmt.new_state()
    chunk = to_line_chunk(RawChunk(data, 1, 0))
    result = fmt.parse(chunk.lines, state)
    target = len(lines)
    records = result.records.filter(pl.col("source_line") == target).to_dicts()
    quarantine = result.quarantine.filter(pl.col("source_line") == target).to_dicts()
    # the per-field view: the layout in force at the input line and its decoded values
    values: dict[str, str] = {}
    if state.fields is not None:
        probe = pl.DataFrame(
            {"_row": [0], "line": [row["input"]]}, schema_overrides={"_row": pl.UInt32}
        )
        fields, _errors = fmt.reference_fields(probe, state)
        if fields.height:
            values = dict(zip(state.fields, fields["values"][0], strict=False))
    return Replay(
        record=records[0] if records else None,
        quarantine=quarantine[0] if quarantine else None,
        values=values,
        detected=W3cFormat.detect([line for line in lines if line]),
    )


def _utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "")).replace(tzinfo=dt.UTC)


def _int_or_none(text: str | None) -> int | None:
    return int(text) if text is not None and text.strip().isdigit() else None


def _path(out: Replay) -> str | None:
    """The request path: from our URL when one was built, else the stem kept in extras."""
    url = (out.record or {}).get("url")
    return urlsplit(url).path if url else out.extras.get("cs-uri-stem")


# -- peer field name -> our value ----------------------------------------------------------
def _lnav(key: str, out: Replay) -> Any:
    rec, extras = out.record or {}, out.extras
    if key == "log_time":
        return rec["event_time"].replace(tzinfo=None).isoformat(timespec="milliseconds")
    if key == "sc_substatus":  # lnav types it; we keep the text (a non-number -> lnav null)
        return _int_or_none(extras.get("sc-substatus"))
    if key == "cs_headers":
        return {
            "User-Agent": rec["user_agent"],
            "Referer": extras.get("cs(Referer)"),
            "Host": rec["dst_host"],
        }
    raise KeyError(key)


_W3CLOGS: dict[str, Callable[[Replay], Any]] = {
    "Date": lambda o: o.rec["event_time"].date().isoformat(),
    "Time": lambda o: o.rec["event_time"].time().isoformat(),
    "DateTime": lambda o: o.rec["event_time"].replace(tzinfo=None).isoformat(),
    "ClientIP": lambda o: o.rec["src_ip"],
    "ComputerName": lambda o: o.extras.get("s-computername"),
    "ServerIP": lambda o: o.rec["dst_ip"],
    "Method": lambda o: o.rec["http_method"],
    "Stem": lambda o: o.extras.get("cs-uri-stem"),
    "Status": lambda o: o.rec["http_status"],
    "BytesSent": lambda o: o.rec["bytes_down"],
    "BytesReceived": lambda o: o.rec["bytes_up"],
    "TimeTaken_ms": lambda o: o.rec["duration_ms"],
    "Version": lambda o: o.extras.get("cs-version"),
    "UserAgent": lambda o: o.rec["user_agent"],
    "Cookie": lambda o: o.extras.get("cs(Cookie)"),
    "Url": lambda o: o.rec["url"],
    "Referer": lambda o: o.extras.get("cs(Referer)"),
}

_BEATS: dict[str, Callable[[Replay], Any]] = {
    "@timestamp": lambda o: o.rec["event_time"],
    "destination.address": lambda o: o.rec["dst_ip"],
    "destination.ip": lambda o: o.rec["dst_ip"],
    "destination.port": lambda o: o.rec["dst_port"],
    "destination.domain": lambda o: o.rec["dst_host"],
    "url.domain": lambda o: o.rec["dst_host"],
    "event.duration": lambda o: o.rec["duration_ms"] * 1_000_000,
    "event.outcome": lambda o: o.rec["action"],
    "http.request.method": lambda o: o.rec["http_method"],
    "http.response.status_code": lambda o: o.rec["http_status"],
    "http.request.body.bytes": lambda o: o.rec["bytes_up"],
    "http.response.body.bytes": lambda o: o.rec["bytes_down"],
    "http.version": lambda o: (o.extras.get("cs-version") or "").removeprefix("HTTP/"),
    "iis.access.sub_status": lambda o: _int_or_none(o.extras.get("sc-substatus")),
    "iis.access.win32_status": lambda o: _int_or_none(o.extras.get("sc-win32-status")),
    "iis.access.site_name": lambda o: o.extras.get("s-sitename"),
    "iis.access.server_name": lambda o: o.extras.get("s-computername"),
    "source.address": lambda o: o.rec["src_ip"],
    "source.ip": lambda o: o.rec["src_ip"],
    "url.original": lambda o: _path(o),  # IIS: the stem as logged
    "url.path": lambda o: _path(o),
    "url.query": lambda o: o.extras.get("cs-uri-query"),
    "user_agent.original": lambda o: o.rec["user_agent"],
}


def mismatches(peer: str, row: dict[str, Any], out: Replay) -> set[str]:
    """Keys of ``row['expect']`` where our result differs ('<record>': no record at all)."""
    expect = row["expect"]
    if row.get("expect_error"):
        ok = out.record is None and out.quarantine is not None
        return set() if ok else {"<error expected>"}
    if row.get("expect_mode") == "format_detected":
        return set() if out.detected >= 0.5 and out.record is not None else {"<detected>"}
    if peer == "KinesisTap":  # keyed by the raw #Fields names, '-' kept
        bad = {k for k, v in expect.items() if out.values.get(k) != v}
        return bad | ({"<record>"} if out.record is None else set())
    if out.record is None:
        return {"<record>"}
    bad = set()
    for key, want in expect.items():
        if peer == "lnav":
            got = _lnav(key, out)
        elif peer == "W3CLogs":
            got = _W3CLOGS[key](out)
        else:
            got = _BEATS[key](out)
            want = _utc(want) if key == "@timestamp" else want
        if got != want:
            bad.add(key)
    return bad


@pytest.mark.parametrize(("peer", "row"), ROWS, ids=[f"{peer}:{row['case']}" for peer, row in ROWS])
def test_peer_row(peer: str, row: dict[str, Any]) -> None:
    out = replay(row)
    bad = mismatches(peer, row, out)
    rejected = REJECTED.get((peer, row["case"]))
    if rejected is None:
        assert not bad, f"differs on {sorted(bad)}: record={out.record} quarantine={out.quarantine}"
    else:
        keys, _why = rejected
        assert bad == keys, f"expected to differ exactly on {sorted(keys)}, got {sorted(bad)}"


def test_rejections_name_real_rows() -> None:
    cases = {(peer, row["case"]) for peer, row in ROWS}
    assert set(REJECTED) <= cases


def test_pass_counts() -> None:
    """Rows passing on every asserted key, and asserted keys passing, per peer file."""
    rows: Counter[str] = Counter()
    rows_ok: Counter[str] = Counter()
    keys: Counter[str] = Counter()
    keys_ok: Counter[str] = Counter()
    for peer, row in ROWS:
        bad = mismatches(peer, row, replay(row))
        asserted = max(1, len(row["expect"] or {}))
        rows[peer] += 1
        rows_ok[peer] += not bad
        keys[peer] += asserted
        keys_ok[peer] += 0 if any(k.startswith("<") for k in bad) else asserted - len(bad)
    summary = {p: (rows_ok[p], rows[p], keys_ok[p], keys[p]) for p in FILES}
    assert summary == {
        "lnav": (20, 20, 23, 23),
        "W3CLogs": (0, 7, 104, 118),
        "KinesisTap": (7, 7, 12, 12),
        "beats": (2, 5, 53, 75),
    }
