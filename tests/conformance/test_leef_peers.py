"""Replay other LEEF parsers' test vectors against the ``leef`` format.

Vendored (Apache-2.0, see ``peer_vectors/ATTRIBUTION.md``): OpenTelemetry's OTTL
``ParseLEEF`` tests and Apache Metron's LEEF parser tests. AxoSyslog's
``parse_leef()`` tests are GPL-3.0 and are replayed from ``../shared/peer-vectors/``
only (skipped when that folder is absent).

Each row is parsed as a small file; the peer's field names are mapped to ours
(header fields, the attribute map, the decoded delimiter, Metron's ``ip_*`` and
epoch-millisecond ``timestamp``) and every asserted key is compared. A row that
expects success passes when we parse the line (a record, or a quarantine for a
missing event time only: peers do not require one) and agree on every key; a row
that expects an error passes when we reject the line. Rows we decide differently
are listed in :data:`REJECTED` with the reason and must keep failing on exactly
those keys, so a change of behaviour is noticed.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from cli_harness import shared_path
from shadowlens.parsers.delimited import decode
from shadowlens.testing import format_class, lines_frame

LeefFormat = format_class("leef")
BLOCK = LeefFormat().plan.pairs[0]
BLOCKS = [b.rule for b in LeefFormat().plan.pairs]


def decode_delimiter(field: str | None) -> str | None:
    return decode(field, BLOCK)


PEERS = Path(__file__).parent / "peer_vectors"
SHARED = shared_path("peer-vectors")
FILES = {
    "otel": PEERS / "leef__open-telemetry__opentelemetry-collector-contrib.jsonl",
    "metron": PEERS / "leef__apache__metron.jsonl",
    "axosyslog": SHARED / "leef__axoflow__axosyslog.jsonl",
}
#: Codes meaning "we did not parse the line" (a missing event time is not a parse failure).
REJECTING = {"syntax", "unexpected_end", "bad_delimiter"}

GLUE = (
    "a piece without '=' belongs to the value before it (the delimiter was part of that "
    "value, as a CEF value runs to the next key=); OTel drops the piece"
)
HEX = (
    "IBM allows x/0x and 1-4 hex digits naming one character: we read '0x9' as TAB and "
    "'0x0909' as U+0909; OTel wants an even number of digits decoding to one byte"
)
MULTI = "a delimiter is one character; a longer field that is not hex is a bad_delimiter"
OPTION = "parser option (pair_separator / value_separator) that shadowlens does not offer"
#: (peer, case) -> (keys we disagree on, why). These rows must fail on exactly those keys.
REJECTED: dict[tuple[str, str], tuple[frozenset[str], str]] = {
    ("otel", "Test_parseLEEFAttributes/key without value skipped"): (frozenset({"key1"}), GLUE),
    ("otel", "Test_parseDelimiter/multi-character delimiter"): (frozenset({"delimiter"}), MULTI),
    ("otel", "Test_parseDelimiter/invalid hex - odd length"): (
        frozenset({"<error expected>"}),
        HEX,
    ),
    ("otel", "Test_parseDelimiter/invalid hex - too many bytes"): (
        frozenset({"<error expected>"}),
        HEX,
    ),
    ("otel", "Test_parseLEEF_error/invalid hex delimiter - odd length"): (
        frozenset({"<error expected>"}),
        HEX,
    ),
    ("otel", "Test_parseLEEF_error/invalid hex delimiter - too many bytes"): (
        frozenset({"<error expected>"}),
        HEX,
    ),
    ("metron", "testLEEF_CEFlikeSample (Imperva Incapsula)"): (
        frozenset({"+longitude", "-cs8", "-cs8Label"}),
        "LEEF:0 is parsed (CEF-style pairs) but csN/csNLabel are not renamed: the pair stays "
        "in extras under its own key, as our CEF format does",
    ),
    ("metron", "sample.leef / integration leefOutput line 2"): (
        frozenset({"sev"}),
        "Metron splits a pair on every '=' and keeps two parts ('8 cn1'); we split at the "
        "first '=' only, so sev is '8 cn1=37 cn1Label=Host ID' (and fails typing)",
    ),
    ("metron", "sample.leef / integration leefOutput line 3"): (
        frozenset({"sev", "TrendMicroDsMalwareTargetType"}),
        "same naive '=' split in Metron ('6 cn1', 'File System TrendMicroDsFileMD5'); we keep "
        "everything after the first '='",
    ),
    ("metron", "sample.leef / integration leefOutput line 4"): (
        frozenset({"sev"}),
        "same naive '=' split in Metron ('6 cn1')",
    ),
    ("axosyslog", "test_header_custom_invalid_delimiter"): (
        frozenset({"<record>"}),
        "AxoSyslog silently falls back to TAB for 'INVALID'; we quarantine it (bad_delimiter) "
        "rather than guess",
    ),
    **{
        ("axosyslog", case): (keys, OPTION)
        for case, keys in (
            ("test_forced_pair_separator_v1_no_delimiter_field", frozenset({"foo", "bar", "baz"})),
            (
                "test_forced_pair_separator_v2_with_delimiter_field",
                frozenset({"foo", "bar", "baz"}),
            ),
            (
                "test_forced_pair_separator_v2_with_empty_delimiter_field",
                frozenset({"foo", "bar", "baz"}),
            ),
            ("test_forced_value_separator", frozenset({"<record>"})),
        )
    },
}


@dataclass
class Replay:
    """What we made of one line: header, attributes, record, quarantine code."""

    header: dict[str, Any] | None = None
    attributes: dict[str, str] = field(default_factory=dict)
    record: dict[str, Any] | None = None
    error: str | None = None

    @property
    def parsed(self) -> bool:
        return self.header is not None and self.error not in REJECTING


def _rows(peer: str) -> list[dict[str, Any]]:
    path = FILES[peer]
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


ROWS = [(peer, row) for peer in FILES for row in _rows(peer)]


def replay_line(line: str) -> Replay:
    """Parse one line as the engine would, plus its parsed fields."""
    fmt = LeefFormat()
    frame, _blank = lines_frame([line])
    result = fmt.parse(frame, None)
    out = Replay()
    if result.records.height:
        out.record = result.records.row(0, named=True)
    if result.quarantine.height:
        out.error = result.quarantine["error_code"][0]
    probe = pl.DataFrame({"_row": [0], "line": [line]}, schema_overrides={"_row": pl.UInt32})
    fields = fmt.fast_fields(probe, None)
    if fields.height == 0:
        fields, _errors = fmt.reference_fields(probe, None)
    if fields.height:
        row = fields.row(0, named=True)
        header = {
            k: row[k] for k in ("leef_version", "vendor", "product", "product_version", "event_id")
        }
        for key in ("vendor", "product", "product_version", "event_id"):
            header[key] = header[key].replace("\\|", "|").replace("\\\\", "\\")
        raw = row["leef_delimiter"]
        header["delimiter"] = raw if not raw else decode_delimiter(raw)
        out.header = header
        # LEEF:0 pairs are raw KV_PAIR tokens (the spaces that end them included).
        strip = " " if row["_block"] == BLOCKS.index("cef_pairs") else ""
        out.attributes = {
            k: v.rstrip(strip) for k, v in (pair.split("=", 1) for pair in row["pairs"])
        }
    return out


def replay(row: dict[str, Any]) -> list[Replay] | dict[str, Any]:
    """The row's input as lines (or, for a bare delimiter field, its decoded value)."""
    kind = row.get("input_kind")
    if kind == "leef2_delimiter_field":
        return {"delimiter": decode_delimiter(row["input"])}
    text = row["input"]
    if kind == "leef_attributes":
        code = f"x{ord(row['options']['delimiter']):02X}"
        text = f"LEEF:2.0|V|P|1|E|{code}|{text}"
    lines = [line for line in text.split("\n") if line] or [""]
    return [replay_line(line) for line in lines]


# -- peer field name -> our value ------------------------------------------------------------
_HEADER = {
    "version": "leef_version", "vendor": "vendor", "product_name": "product",
    "product_version": "product_version", "event_id": "event_id",
    "leef_version": "leef_version", "vendor_name": "vendor", "leef_delimiter": "delimiter",
    "DeviceVendor": "vendor", "DeviceProduct": "product", "DeviceVersion": "product_version",
    "DeviceEvent": "event_id",
}  # fmt: skip
_METRON_ATTRS = {"ip_src_addr": "src", "ip_dst_addr": "dst", "ip_src_port": "srcPort"}


def _value(peer: str, key: str, out: Replay) -> Any:
    if key in _HEADER and out.header is not None:
        return out.header[_HEADER[key]]
    if key == "timestamp":
        time = (out.record or {}).get("event_time")
        return int(time.timestamp() * 1000) if time else None
    if key == "ip_src_port":
        port = out.attributes.get("srcPort")
        return int(port) if port and port.isdigit() else port
    return out.attributes.get(_METRON_ATTRS.get(key, key))


def mismatches(peer: str, row: dict[str, Any], result: list[Replay] | dict[str, Any]) -> set[str]:
    """Keys where we differ; ``<record>``: we did not parse; ``<error expected>``: we did."""
    if isinstance(result, dict):  # a delimiter field decoded on its own
        if row["expect_error"]:
            return set() if result["delimiter"] is None else {"<error expected>"}
        return {k for k, v in row["expect"].items() if result[k] != v}
    if row["expect_error"]:
        return set() if not any(out.parsed for out in result) else {"<error expected>"}
    expects = row["expect"] if isinstance(row["expect"], list) else [row["expect"]]
    bad: set[str] = set()
    for expect, out in zip(expects, result, strict=True):
        if not out.parsed:
            return {"<record>"}
        for key, want in expect.items():
            if key in ("attributes", "extensions"):
                bad |= {
                    k
                    for k in set(want) | set(out.attributes)
                    if want.get(k) != out.attributes.get(k)
                }
            elif _value(peer, key, out) != want:
                bad.add(key)
        present = {_METRON_ATTRS.get(k, k) for k in out.attributes}
        bad |= {
            f"+{k}"
            for k in row.get("expect_keys_present", [])
            if _METRON_ATTRS.get(k, k) not in present
        }
        bad |= {
            f"-{k}" for k in row.get("expect_keys_absent", []) if _METRON_ATTRS.get(k, k) in present
        }
    return bad


@pytest.mark.parametrize(("peer", "row"), ROWS, ids=[f"{peer}:{row['case']}" for peer, row in ROWS])
def test_peer_row(peer: str, row: dict[str, Any]) -> None:
    bad = mismatches(peer, row, replay(row))
    rejected = REJECTED.get((peer, row["case"]))
    if rejected is None:
        assert not bad, f"differs on {sorted(bad)}"
    else:
        keys, _why = rejected
        assert bad == keys, f"expected to differ exactly on {sorted(keys)}, got {sorted(bad)}"


def test_rejections_name_real_rows() -> None:
    cases = {(peer, row["case"]) for peer, row in ROWS}
    present = {peer for peer, _ in ROWS}
    assert {key for key in REJECTED if key[0] in present} <= cases


def test_gpl_vectors_are_replayed_from_shared_only() -> None:
    assert not list(PEERS.glob("*axosyslog*")), "GPL-3.0 vectors must not be copied into tests/"
    if not FILES["axosyslog"].exists():
        pytest.skip(f"AxoSyslog (GPL-3.0) vectors are replayed from {SHARED} only; absent here")


def pass_counts() -> dict[str, tuple[int, int]]:
    """(rows passing on every asserted key, rows) per peer file."""
    rows: Counter[str] = Counter()
    ok: Counter[str] = Counter()
    for peer, row in ROWS:
        rows[peer] += 1
        ok[peer] += not mismatches(peer, row, replay(row))
    return {peer: (ok[peer], rows[peer]) for peer in rows}


def test_pass_counts() -> None:
    counts = pass_counts()
    assert counts["otel"] == (52, 58)
    assert counts["metron"] == (12, 16)
    if "axosyslog" in counts:
        assert counts["axosyslog"] == (22, 27)
