"""Replay other CEF parsers' test vectors against the ``cef`` format.

Permissively licensed vectors are vendored in ``peer_vectors/`` (see
``peer_vectors/ATTRIBUTION.md``); the Elastic-2.0 (beats) and GPL-3.0
(AxoSyslog) files are replayed from ``peer-vectors/`` of the shared test data
(:func:`cli_harness.shared_path`: ``../shared`` beside the checkout, or
``$SHADOWLENS_SHARED``) only, and skipped with the reason when absent.

Each row is parsed the way the engine does (line framing, fast path, Lark for
the rest, mapping) into a *view*: header fields and extension values as our
parser splits and unescapes them, the prefix fields, and the typed facts of the
record (event time, severity). The peer's field names are mapped to the view
(:data:`FULL_NAMES` for ArcSight full names) and every asserted key is compared;
peer bookkeeping keys (``original_string``, ``message_raw``, beats' ECS subset)
are not. Rows we decide differently are listed in :data:`REJECTED` with the
reason and must keep failing on exactly those keys, so a behaviour change shows.
Run with ``-s`` to see the pass counts per peer file.

The CEF timestamp vectors are replayed against the typing of the ``cef`` spec's
``rt`` candidate (:func:`shadowlens.testing.type_values`).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from cli_harness import shared_path
from shadowlens.parsers import normalize as nz
from shadowlens.parsers.base import ParseOptions
from shadowlens.parsers.kvpick import pick_pairs
from shadowlens.testing import format_class, lines_frame, type_values

CefFormat = format_class("cef")
PLAN = CefFormat().plan
HEADER_FIELDS = [f for f in PLAN.fields if f != "cef_prefix"]
HEADER_ESCAPES = PLAN.escapes
VALUE_ESCAPES = PLAN.pairs[0].escapes


def read_times(texts: pl.Series, *, tz: str = "UTC", year: int | None = None) -> pl.DataFrame:
    """``time`` of CEF time texts, typed as the spec types ``rt``."""
    options = ParseOptions(tz=tz, year=year)
    return type_values(CefFormat, "event_time", texts, options=options).to_frame("time")


VENDORED = Path(__file__).parent / "peer_vectors"
SHARED = shared_path("peer-vectors")
FILES = {
    "logstash": ("cef__logstash-plugins__logstash-codec-cef.jsonl", VENDORED),
    "vrl": ("cef__vectordotdev__vrl.jsonl", VENDORED),
    "jcustenborder": ("cef__jcustenborder__cef-parser.jsonl", VENDORED),
    "ParCEFone": ("cef__fluenda__ParCEFone.jsonl", VENDORED),
    "metron": ("cef__apache__metron.jsonl", VENDORED),
    "pycef": ("cef__DavidJBianco__pycef.jsonl", VENDORED),
    "beats": ("cef__elastic__beats.jsonl", SHARED),
    "axosyslog": ("cef__axoflow__axosyslog.jsonl", SHARED),
}

#: ArcSight full key names (as peers report them) -> the short keys in the line.
FULL_NAMES = {
    "sourceAddress": "src", "destinationAddress": "dst", "sourcePort": "spt",
    "destinationPort": "dpt", "transportProtocol": "proto", "sourceHostName": "shost",
    "destinationHostName": "dhost", "eventOutcome": "outcome", "agentMacAddress": "amac",
    "deviceReceiptTime": "rt", "deviceEventCategory": "cat", "sourceUserName": "suser",
    "destinationUserName": "duser", "sourceUserId": "suid", "requestUrl": "request",
    "message": "msg", "destinationProcessName": "dproc", "deviceHostName": "dvchost",
    "deviceAddress": "dvc", "startTime": "start", "endTime": "end", "deviceTimeZone": "dtz",
    "deviceAction": "act", "bytesIn": "in", "bytesOut": "out", "baseEventCount": "cnt",
    "fileSize": "fsize", "filename": "fname", "sourceMacAddress": "smac",
    "destinationMacAddress": "dmac", "destinationGeoLatitude": "dlat",
    "destinationGeoLongitude": "dlong", "DeviceCustomNumber2": "cn2",
}  # fmt: skip
_CUSTOM = re.compile(
    r"^device(CustomString|CustomNumber|CustomFloatingPoint|CustomIPv6Address)([0-9]+)(Label)?$"
)
_CUSTOM_SHORT = {
    "CustomString": "cs",
    "CustomNumber": "cn",
    "CustomFloatingPoint": "cfp",
    "CustomIPv6Address": "c6a",
}
CAMEL_HEADER = {
    "cefVersion": "cef_version", "deviceVendor": "device_vendor",
    "deviceProduct": "device_product", "deviceVersion": "device_version",
    "deviceEventClassId": "signature_id", "name": "name", "severity": "severity",
}  # fmt: skip
HEADERS: dict[str, dict[str, str]] = {
    "logstash": CAMEL_HEADER,
    "vrl": CAMEL_HEADER,
    "jcustenborder": CAMEL_HEADER,
    "ParCEFone": CAMEL_HEADER,
    "metron": {
        "DeviceVendor": "device_vendor", "DeviceProduct": "device_product",
        "DeviceVersion": "device_version", "DeviceEvent": "signature_id", "Name": "name",
        "Severity": "severity",
    },
    "pycef": {
        "CEFVersion": "cef_version", "DeviceVendor": "device_vendor",
        "DeviceProduct": "device_product", "DeviceVersion": "device_version",
        "DeviceEventClassID": "signature_id", "Name": "name", "DeviceName": "name",
        "Severity": "severity", "DeviceSeverity": "severity",
    },
    "beats": {
        "Version": "cef_version", "DeviceVendor": "device_vendor",
        "DeviceProduct": "device_product", "DeviceVersion": "device_version",
        "DeviceEventClassID": "signature_id", "Name": "name", "Severity": "severity",
        "cef.version": "cef_version", "cef.device.vendor": "device_vendor",
        "cef.device.product": "device_product", "cef.device.version": "device_version",
        "cef.device.event_class_id": "signature_id", "cef.name": "name",
        "cef.severity": "severity",
    },
    "axosyslog": {
        "cef_version": "cef_version", "device_vendor": "device_vendor",
        "device_product": "device_product", "device_version": "device_version",
        "device_event_class_id": "signature_id", "event_name": "name",
        "agent_severity": "severity",
    },
}  # fmt: skip
#: Peer keys that name something other than a parsed field; not compared.
SPECIAL = {
    ("jcustenborder", "timestamp"): "syslog_time_ms",
    ("jcustenborder", "host"): "syslog_host",
    ("metron", "timestamp"): "event_time_ms",
    ("logstash", "syslog"): "prefix",
    ("metron", "ip_src_addr"): "x:src",
    ("metron", "ip_dst_addr"): "x:dst",
    ("metron", "ip_src_port"): "x:spt",
    ("metron", "ip_dst_port"): "x:dpt",
    ("metron", "deviceAction"): "x:act",
    ("ParCEFone", "rt"): "rt_typed",
}
NOT_COMPARED = {"original_string", "message_raw"}
_EXT_WRAPPERS = ("Extensions.", "extensions.", "cef.extensions.")

ACCEPTED, REFUSED, FRAMING, NO_RECORD = "<accepted>", "<rejected>", "<framing>", "<no record>"

#: (peer, case) -> (keys we disagree on, why). These rows must fail on exactly those keys.
REJECTED: dict[tuple[str, str], tuple[frozenset[str], str]] = {}


def _reject(peer: str, cases: list[str], keys: set[str], why: str) -> None:
    for case in cases:
        REJECTED[(peer, case)] = (frozenset(keys), why)


_LENIENT = (
    "we accept an unescaped '=' inside a value when the word before it is not key-shaped "
    "(logstash's rule); beats/VRL-strict report an error"
)
_reject(
    "logstash",
    ["#decode non-CEF payload: unescaped newlines"],
    {FRAMING},
    "input is line-oriented: a raw LF ends a line, so the five lines parse as five records",
)
_reject(
    "logstash",
    ["#decode non-UTF-8 message (Shift_JIS)"],
    {ACCEPTED},
    "invalid UTF-8 is decoded lossily and the record flagged (shadowlens.lossy_utf8), not refused",
)
_NO_LABELS = "custom fields keep their own keys (csN, csNLabel) in extras; we never rename by label"
_reject("vrl", ["example: Translate custom fields"], {"Device IPv6 Address"}, _NO_LABELS)
_reject(
    "vrl", ["test_function translate_custom_fields"], {"Uptime hours", "Internal ID"}, _NO_LABELS
)
_reject(
    "vrl",
    ["test_function missing_key"],
    {ACCEPTED},
    _LENIENT + ": '=0.0.0.0' after a space continues the value of act",
)
_reject(
    "vrl",
    ["test_function missing_custom_label", "test_function duplicate_value"],
    {ACCEPTED},
    "translate_custom_fields is not supported, so there is no label error to raise",
)
_reject(
    "vrl",
    ["test_strip_quotes"],
    {"deviceVendor", "name", "src", "spt"},
    "quotes are data: we keep them (every peer but VRL does)",
)
_reject(
    "vrl",
    ["test_unescaped_equals_in_url_value"],
    {"request"},
    "quotes are data: we keep them (every peer but VRL does)",
)
_reject(
    "vrl",
    ["test_extension_newline"],
    {"msg"},
    "\\r decodes to CR as the CEF spec, beats and logstash say; VRL maps it to LF",
)
_reject(
    "ParCEFone",
    ["customExtensionsandMappedIPV4Test"],
    {"c6a3"},
    "custom IPv6 fields stay as logged in extras; no InetAddress canonical form",
)
_reject(
    "ParCEFone",
    ["messageTypesTest sample1", "messageTypesTest sample2"],
    {"c6a3", "deviceCustomDate1"},
    "custom IPv6 and custom date fields stay as logged in extras (not typed)",
)
_reject(
    "ParCEFone",
    [
        "validByteArrayMessageWithLocaleAndValidationTest",
        "validStringMessageWithoutTZWithLocaleAndValidationTest",
    ],
    {REFUSED},
    "month names are English only (no locale option): 'juil.' cannot be read, rt is quarantined",
)
_reject(
    "ParCEFone",
    [
        "invalidMessageValidationTest sample1 (act too long)",
        "invalidMessageValidationTest sample2 (proto)",
    ],
    {ACCEPTED},
    "no dictionary length/enum validation: act and proto are kept as logged",
)
_reject(
    "metron",
    ["testCustomLabelWithSpace"],
    {"Label with space", "custom", "customLabel"},
    "we never rename a field by its xxxLabel companion; both keys stay in extras",
)
_reject(
    "metron",
    ["testSuccessfulWhenCEFContainsJSON"],
    {"Test Long", "Test FP Number", "Test IPv6", "Test String", "JSON payload"},
    "we never rename a field by its label (the values stay under cnN/cfpN/c6aN/csN)",
)
_reject(
    "metron",
    ["testCEFParserWAF (waf.cef)"],
    {"ServerGroup", "ServiceName", "ApplicationName", "Description"},
    "we never rename a field by its label (cs2 stays cs2, its label cs2Label)",
)
_reject(
    "metron",
    ["testCEFParserAdallom (adallom.cef)"],
    {"consoleUrl"},
    "labels do not rename fields (cs6 stays cs6)",
)
_reject(
    "ParCEFone",
    ["validMessagesWithValidationPopulatedExtensionsTest sample4"],
    {"act"},
    "\\\\ in an extension value is one backslash (the spec; logstash, VRL, beats); "
    "ParCEFone keeps both characters",
)
_reject(
    "ParCEFone",
    ["validMessageValidationAllExtenstionsTest"],
    {"act"},
    "only keys present in the line are reported; there is no dictionary of null keys",
)
_reject(
    "pycef",
    [f"test_missing_header_value line {i}" for i in range(1, 9)],
    {ACCEPTED},
    "empty header fields are legal (logstash, VRL, beats, ParCEFone agree); pycef refuses them",
)
_reject(
    "beats",
    ["TestEventUnpack/emptyExtensionValue"],
    {ACCEPTED},
    "an empty value is kept as '' (typed columns stay null); beats errors on empty IPs",
)
_reject(
    "beats",
    ["TestEventUnpack/errorEscapedPipeInExtension"],
    {ACCEPTED, "<extensions>"},
    "an undefined escape (\\|) keeps its backslash, as logstash and VRL do; beats errors",
)
_reject("beats", ["TestEventUnpack/errorEqualsInMessage"], {ACCEPTED, "<extensions>"}, _LENIENT)
_reject("beats", ["TestEventUnpack/errorMalformedExtensionEscape"], {ACCEPTED}, _LENIENT)
_reject(
    "beats",
    ["TestEventUnpack/errorMultipleMalformedExtensionValues"],
    {ACCEPTED},
    _LENIENT + "; 'id==old_id' reads as key 'id' with value '=old_id'",
)
_reject(
    "beats",
    ["TestEventUnpack/padded"],
    {"Extensions.msg"},
    "trailing spaces of a value are cut (logstash, VRL, ParCEFone, Metron); beats keeps them",
)
_reject(
    "beats",
    ["TestEventUnpack/padded with extra whitespace chars"],
    {"Extensions.msg"},
    "only spaces are cut from a value's end; a trailing TAB is data",
)
_reject(
    "beats",
    ["TestEventUnpack/internal whitespace chars"],
    {FRAMING},
    "input is line-oriented: a raw LF inside a value ends the line",
)
_reject(
    "beats",
    ["TestEventUnpack/No tab as separator"],
    {ACCEPTED},
    "a TAB is not a separator but data: msg keeps 'Tab is not a separator<TAB>src=127.0.0.1'",
)
_reject(
    "beats",
    ["TestEventUnpack/error recovery with escape"],
    {ACCEPTED},
    "key1 keeps '\\hi=' (the '=' follows no key-shaped word), as logstash would",
)
_reject(
    "axosyslog",
    ["test_cef_message_with_line_breaks"],
    {FRAMING},
    "input is line-oriented: a raw LF ends a line (AxoSyslog turns it into a space)",
)
_reject(
    "axosyslog",
    ["test_forced_pair_separator"],
    {"foo", "bar", "baz"},
    "no custom pair separator (not in the CEF spec): the '@'-joined text is one value",
)
_reject(
    "axosyslog",
    ["test_forced_value_separator"],
    {REFUSED},
    "no custom key/value separator (not in the CEF spec): 'foo#bar' is not a pair",
)


# -- our view of a line ------------------------------------------------------------------


def split_input(row: dict[str, Any]) -> list[str]:
    """The lines the engine would see (LF framing, CRLF and blank lines dropped)."""
    if "input_base64" in row:
        text = base64.b64decode(row["input_base64"]).decode("utf-8", errors="replace")
    else:
        text = row["input"]
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    return [line for line in lines if line.strip()]


def view(line: str, options: ParseOptions) -> dict[str, Any] | None:
    """What we make of one line; None when it is refused (syntax, or an unreadable time)."""
    fmt = CefFormat(options)
    frame, _ = lines_frame([line])
    indexed = frame.with_row_index("_row").select("_row", "line")
    fields = fmt.fast_fields(indexed, None)
    if fields.height == 0:
        fields, _errors = fmt.reference_fields(indexed, None)
    if fields.height == 0:
        return None
    result = fmt.parse(frame, None)
    if result.records.height:
        rec = result.records.row(0, named=True)
        if rec["event_time"] is None and "rt" in rec["extras_keys"]:
            return None  # an unreadable rt: we refuse what the peer reads
    row = fields.row(0, named=True)
    header = pl.DataFrame({f: [row[f] or ""] for f in HEADER_FIELDS})
    header = header.select(nz.unescape(pl.col(f), HEADER_ESCAPES) for f in HEADER_FIELDS)
    out: dict[str, Any] = {f"h:{f}": header[f][0] for f in HEADER_FIELDS}
    values = pick_pairs(fields, "pairs", (), unescape=VALUE_ESCAPES).row(0, named=True)
    for key, value in zip(values["extras_keys"], values["extras_values"], strict=True):
        out[f"x:{key}"] = value
    out["prefix"] = (row["cef_prefix"] or "").strip()
    out["record"] = result.records.height == 1
    if result.records.height:
        rec = result.records.row(0, named=True)
        extras = dict(zip(rec["extras_keys"], rec["extras_values"], strict=True))
        out["event_time_ms"] = _ms(rec["event_time"])
        out["severity_num"] = rec["severity"]
        out.update({k: v for k, v in extras.items() if k.startswith("syslog_")})
        if "x:rt" in out:
            out["rt_typed"] = out["event_time_ms"]
    syslog_time = re.match(PLAN.prefix.regex, out["prefix"] + " ")
    if syslog_time and syslog_time.group("syslog_time"):
        text = syslog_time.group("syslog_time")
        out["syslog_host"] = syslog_time.group("syslog_host")
        out["syslog_time_ms"] = _ms(read_times(pl.Series([text]), year=options.year)["time"][0])
    return out


def _ms(value: dt.datetime | None) -> int | None:
    return None if value is None else round(value.timestamp() * 1000)


# -- peer expectations -------------------------------------------------------------------


def flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from flatten(inner, f"{prefix}{key}.")
    else:
        yield prefix[:-1], value


def candidates(peer: str, key: str) -> list[str]:
    """View keys that may hold the peer's ``key`` (first present one wins)."""
    if (peer, key) in SPECIAL:
        return [SPECIAL[(peer, key)]]
    if key in HEADERS[peer]:
        return [f"h:{HEADERS[peer][key]}"]
    for wrapper in _EXT_WRAPPERS:
        key = key.removeprefix(wrapper)
    indexed = re.fullmatch(r"\[(.+)\]\[([0-9]+)\]", key)
    if indexed:
        key = f"{indexed[1]}[{indexed[2]}]"
    names = [f"x:{key}"]
    if key in FULL_NAMES:
        names.append(f"x:{FULL_NAMES[key]}")
    custom = _CUSTOM.match(key)
    if custom:
        names.append(f"x:{_CUSTOM_SHORT[custom[1]]}{custom[2]}{custom[3] or ''}")
    return names


def same(expected: Any, got: Any) -> bool:
    if expected is None:
        return got in (None, "")
    if isinstance(expected, bool | int | float) and not isinstance(got, str):
        return expected == got
    return str(expected) == ("" if got is None else str(got))


def compare(peer: str, row: dict[str, Any]) -> frozenset[str]:
    """The keys on which we disagree with the row (empty: we agree)."""
    year = 2017 if peer == "jcustenborder" else None
    options = ParseOptions(year=year)
    lines = split_input(row)
    expects = row["expect"] if isinstance(row["expect"], list) else [row["expect"]]
    want_error = bool(row.get("expect_error")) and row.get("expect_mode") is None
    if len(lines) != len(expects) and not (want_error and len(lines) == 1):
        return frozenset({FRAMING})
    views = [view(line, options) for line in lines]
    if row.get("expect_mode") in ("no_crash", "no_error_only"):
        return frozenset() if row["expect_mode"] == "no_crash" or views[0] else frozenset({REFUSED})
    if want_error and all(v is None for v in views):
        return frozenset()
    failed: set[str] = set()
    if want_error and row["expect"] is None:
        return frozenset({ACCEPTED})
    if want_error:
        failed.add(ACCEPTED)  # the peer reports an error (with a partial result); we do not
    for got, expect in zip(views, expects, strict=True):
        if got is None:
            return frozenset({*failed, REFUSED})
        failed |= _compare_one(peer, got, expect or {}, row)
    return frozenset(failed)


def _compare_one(
    peer: str, got: dict[str, Any], expect: dict[str, Any], row: dict[str, Any]
) -> set[str]:
    failed = set()
    pairs = dict(flatten(expect)) if expect else {}
    if peer == "beats" and "Extensions" in expect and not expect["Extensions"]:
        pairs.pop("Extensions", None)
        if expect["Extensions"] == {} and any(k.startswith("x:") for k in got):
            failed.add("<extensions>")
    for key, value in pairs.items():
        if key in NOT_COMPARED or key.startswith("ecs_subset."):
            continue
        names = candidates(peer, key)
        present = [n for n in names if n in got]
        if not same(value, got.get(present[0] if present else names[0])):
            failed.add(key)
    for key in row.get("expect_keys_present", []):
        if key in NOT_COMPARED:
            continue
        if key == "timestamp" and peer == "metron":
            if not got.get("record"):
                failed.add(NO_RECORD)
            continue
        if not any(n in got for n in candidates(peer, key)):
            failed.add(key)
    for key in row.get("expect_keys_absent", []):
        if any(got.get(n) not in (None, "") for n in candidates(peer, key)):
            failed.add(key)
    if peer == "metron" and "timestamp" in pairs and not got.get("record"):
        failed.add(NO_RECORD)
    return failed


def rows_of(peer: str) -> list[dict[str, Any]]:
    name, folder = FILES[peer]
    path = folder / name
    if not path.exists():
        licence = "Elastic-2.0" if peer == "beats" else "GPL-3.0-or-later"
        pytest.skip(f"{name} ({licence}) is replayed from {folder} only, which is absent here")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("peer", list(FILES))
def test_peer_vectors(peer: str) -> None:
    rows = rows_of(peer)
    passed, rejected, problems = 0, 0, []
    for row in rows:
        failed = compare(peer, row)
        known = REJECTED.get((peer, row["case"]))
        if known is None:
            if failed:
                problems.append(f"{row['case']!r}: disagrees on {sorted(failed)}")
            else:
                passed += 1
        elif failed != known[0]:
            problems.append(
                f"{row['case']!r}: listed as rejected on {sorted(known[0])} but fails on {sorted(failed)}"
            )
        else:
            rejected += 1
    print(f"\n{FILES[peer][0]}: {passed}/{len(rows)} pass, {rejected} rejected (see REJECTED)")
    assert not problems, "\n".join(problems)
    listed = {case for (p, case) in REJECTED if p == peer}
    assert listed <= {row["case"] for row in rows}, listed - {row["case"] for row in rows}


def test_rejections_name_a_reason() -> None:
    for (peer, case), (keys, why) in REJECTED.items():
        assert peer in FILES, (peer, case)
        assert keys, (peer, case)
        assert len(why) > 20, (peer, case)


# -- timestamp values ----------------------------------------------------------------------

TIMESTAMP_FILES = {
    "logstash": ("cef-timestamps__logstash-plugins__logstash-codec-cef.jsonl", VENDORED),
    "beats": ("cef-timestamps__elastic__beats.jsonl", SHARED),
}
#: (peer, case) -> why. These rows must fail.
TIMESTAMP_REJECTED = {
    ("logstash", "epoch millis with nano fraction"): "times are microseconds (the schema's unit)",
    ("logstash", "nanosecond precision"): "times are microseconds (the schema's unit)",
    ("logstash", "locale de_DE"): "month names are English only (no locale option)",
    ("logstash", "yearless: late December parse of early January"): (
        "a yearless time is never put in the next year: it is this year unless more than "
        "two days ahead (then last year); logstash rolls a few minutes ahead into next year"
    ),
    (
        "beats",
        "TestToTimestampWithTimezone",
    ): "--tz takes IANA zone names, not a bare +02:15 offset",
}


class _Clock:
    """Stands in for :mod:`datetime` in normalize, with a fixed "now"."""

    def __init__(self, now: dt.datetime) -> None:
        fixed = now

        class FixedDatetime(dt.datetime):
            @classmethod
            def now(cls, tz: dt.tzinfo | None = None) -> FixedDatetime:  # type: ignore[override]
                value = fixed if tz else fixed.replace(tzinfo=None)
                return (
                    cls.fromtimestamp(value.timestamp(), tz) if tz else cls(*value.timetuple()[:6])
                )

        self.datetime = FixedDatetime
        self.timedelta = dt.timedelta
        self.UTC = dt.UTC


def timestamp_ok(row: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> bool:
    context = row.get("context") or {}
    tz = context.get("device_timezone") or context.get("timezone") or "UTC"
    if "now" in context:
        now = dt.datetime.fromisoformat(context["now"][:26].replace("Z", "")).replace(tzinfo=dt.UTC)
        monkeypatch.setattr(nz, "dt", _Clock(now))
    try:
        got = read_times(pl.Series([row["input"]]), tz=tz)["time"][0]
    except pl.exceptions.PolarsError:
        return False
    finally:
        monkeypatch.undo()
    expect = row["expect"]
    if row.get("expect_error"):
        return got is None
    if got is None:
        return False
    checks: list[Callable[[dt.datetime], bool]] = []
    if "utc" in expect:
        want = dt.datetime.fromisoformat(expect["utc"][:26].rstrip("Z").ljust(19, "0") + "+00:00")
        checks.append(lambda t: t == want)
    if "nsec" in expect:
        checks.append(lambda t: t.microsecond * 1000 == expect["nsec"])
    if "year" in expect:
        checks.append(lambda t: t.year == expect["year"])
    if "month" in expect:
        checks.append(lambda t: t.month == expect["month"])
    if "time" in expect:
        checks.append(lambda t: t == dt.datetime.fromisoformat(expect["time"]))
    if "utc_hour" in expect:
        checks.append(lambda t: (t.hour, t.minute) == (expect["utc_hour"], expect["utc_minute"]))
    return all(check(got) for check in checks)


@pytest.mark.parametrize("peer", list(TIMESTAMP_FILES))
def test_timestamp_vectors(peer: str, monkeypatch: pytest.MonkeyPatch) -> None:
    name, folder = TIMESTAMP_FILES[peer]
    path = folder / name
    if not path.exists():
        pytest.skip(f"{name} (Elastic-2.0) is replayed from {folder} only, which is absent here")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    passed, problems = 0, []
    for row in rows:
        ok = timestamp_ok(row, monkeypatch)
        rejected = (peer, row["case"]) in TIMESTAMP_REJECTED
        if ok and rejected:
            problems.append(f"{row['case']!r} is listed as rejected but passes")
        elif not ok and not rejected:
            problems.append(f"{row['case']!r} ({row['input']!r}) fails")
        passed += ok
    print(f"\n{name}: {passed}/{len(rows)} pass, {len(rows) - passed} rejected")
    assert not problems, "\n".join(problems)
