"""Replay the vendored Squid peer vectors (Apache-2.0, see vectors/ATTRIBUTION.md).

Peers name fields their own way; ``PEER_FIELDS`` maps each to a function that
reads the same fact from one of our records. Choices that differ from a peer
on purpose are in ``DECISIONS`` and asserted as such.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest

from shadowlens.testing import format_class, parse_lines

SQUID = format_class(Path(str(files("shadowlens_squid"))) / "squid.toml")
VECTORS = Path(__file__).parent / "vectors"
Record = dict[str, Any]


def _extra(key: str) -> Callable[[Record], Any]:
    return lambda r: dict(zip(r["extras_keys"], r["extras_values"], strict=True)).get(key)


def _epoch_ms(r: Record) -> int:
    return int(r["event_time"].timestamp() * 1000 + 0.5)


def _peer_epoch_ms(value: int | str) -> int:
    """Metron asserts epoch milliseconds, logstash the logged ``secs.millis`` text."""
    return value if isinstance(value, int) else int(Decimal(value) * 1000)


def _server(r: Record) -> Any:
    return r["dst_ip"] or _extra("peer")(r)


#: peer field -> (how to read it from our record, how to convert the peer's value)
PEER_FIELDS: dict[str, tuple[Callable[[Record], Any], Callable[[Any], Any]]] = {
    # apache/metron
    "timestamp": (_epoch_ms, _peer_epoch_ms),
    "elapsed": (lambda r: r["duration_ms"], int),
    "code": (lambda r: r["http_status"], int),
    "ip_src_addr": (lambda r: r["src_ip"], str),
    "ip_dst_addr": (lambda r: r["dst_ip"], lambda v: v),
    "method": (lambda r: r["http_method"], str),
    "bytes": (lambda r: r["bytes_down"], int),
    "action": (lambda r: r["action_raw"], str),
    "url": (lambda r: r["url"], str),
    "full_hostname": (lambda r: r["dst_host"], str),
    # logstash-plugins/logstash-patterns-core (legacy capture names)
    "duration": (lambda r: r["duration_ms"], int),
    "client_address": (lambda r: r["src_ip"], str),
    "cache_result": (lambda r: r["action_raw"], str),
    "status_code": (lambda r: r["http_status"], int),
    "request_method": (lambda r: r["http_method"], str),
    "user": (lambda r: r["user_name"] or "-", str),
    "hierarchy_code": (_extra("hierarchy"), str),
    "server": (_server, str),
    "content_type": (lambda r: _extra("mime_type")(r) or "-", str),
}
#: Peer keys we do not produce in the parser, and why.
NOT_PARSER_FIELDS = {
    "domain_without_subdomains": "registrable domain: filled by enrichment (dst_domain), not by the format",
}
#: (case, peer key) -> what we produce instead, and why.
DECISIONS: dict[tuple[str, str], tuple[Any, str]] = {
    ("GET with invalid status", "status_code"): (
        None,
        "status 000 means no reply: http_status is null and the raw '000' is kept in extras",
    ),
}


def load(name: str) -> list[dict[str, Any]]:
    path = VECTORS / name
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


CASES = [
    pytest.param(row, id=f"{row['source']}:{row['case']}")
    for name in sorted(p.name for p in VECTORS.glob("squid__*.jsonl"))
    for row in load(name)
]


def test_all_vendored_vectors_are_replayed() -> None:
    assert len(CASES) == 7


@pytest.mark.parametrize("row", CASES)
def test_peer_vector(row: dict[str, Any]) -> None:
    result = parse_lines(SQUID, [row["input"]])
    if row["expect_error"]:
        assert result.records.height == 0
        return
    assert result.quarantine.height == 0, result.quarantine.to_dicts()
    ours = result.records.row(0, named=True)
    checked = 0
    for key, want in row["expect"].items():
        if key in NOT_PARSER_FIELDS:
            continue
        read, convert = PEER_FIELDS[key]
        decision = DECISIONS.get((row["case"], key))
        expected = decision[0] if decision else (None if want is None else convert(want))
        assert read(ours) == expected, f"{key}: peer {want!r}, ours {read(ours)!r}"
        checked += 1
    for key in row.get("expect_keys_absent", []):
        assert PEER_FIELDS[key][0](ours) is None, key
    assert checked >= 2
