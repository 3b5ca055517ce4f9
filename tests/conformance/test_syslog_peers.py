"""Replay syslog parsers' test vectors against the syslog prefix of the ``cef`` format.

shadowlens reads syslog only as the transport prefix of CEF (and LEEF) lines, so
each peer line is *wrapped*: its message is replaced by a CEF payload, keeping
the syslog header exactly as the peer saw it, and the prefix fields we produce
(``syslog_pri``, the prefix time, ``syslog_host``, ``syslog_tag``,
``syslog_rest``) are compared with the peer's header fields. Lines whose
message start cannot be told from the expectation are not wrapped and are
counted as such.

Decided (docs/format-decisions.md, "syslog"): PRI is kept as written (facility and
severity names are not derived, so they are not compared); the RFC 5424
APP-NAME, PROCID, MSGID and STRUCTURED-DATA are not split but kept verbatim in
``syslog_rest`` (checked to start with APP-NAME PROCID MSGID); any text before
``CEF:`` is accepted, so a line a syslog parser refuses still wraps fine.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from shadowlens.parsers.base import ParseOptions
from shadowlens.testing import format_class, parse_lines, type_values

CefFormat = format_class("cef")


def read_times(texts: pl.Series, *, year: int | None = None) -> pl.DataFrame:
    """``time`` of time texts, typed as the ``cef`` spec types ``rt``."""
    return type_values(CefFormat, "event_time", texts, options=ParseOptions(year=year)).to_frame(
        "time"
    )


VENDORED = Path(__file__).parent / "peer_vectors"
FILES = {
    "vrl": "syslog__vectordotdev__vrl.jsonl",
    "logstash": "syslog__logstash-plugins__logstash-patterns-core.jsonl",
    "metron": "syslog__apache__metron.jsonl",
    "kinesistap": "syslog__awslabs__kinesis-agent-windows.jsonl",
}
PAYLOAD = "CEF:0|Peer|Syslog|1|c|n|5|rt=1700000000000 src=10.0.0.1"
THIS_YEAR = dt.datetime.now(dt.UTC).year
_HEADER_5424 = re.compile(r"<[0-9]+>1(?: [^ ]+){5} (?:-|(?:\[(?:[^\]\\]|\\.)*\])+) +")
FACILITIES = {"user": 1, "local0": 16, "local4": 20}
SEVERITIES = {"err": 3, "notice": 5, "info": 6}
#: (peer, case) -> (keys we disagree on, why). These rows must fail on exactly those keys.
REJECTED: dict[tuple[str, str], tuple[frozenset[str], str]] = {
    ("vrl", "invalid"): (
        frozenset({"<accepted>"}),
        "any text before CEF: is a prefix; what the syslog rule cannot read stays in syslog_rest",
    ),
    ("vrl", "non_structured_data_in_message"): (
        frozenset({"app"}),
        "a tag needs its ':' (RFC 3164 TAG); 'apache_error' without one stays in syslog_rest",
    ),
    ("logstash", "SYSLOGLINE prog from RFC5424 APP-NAME"): (
        frozenset({"app"}),
        "a tag has no ' ', ':', '[', ']', '<' or '>' (so host, tag and [pid] cannot be confused); "
        "this all-printable-ASCII program name stays in syslog_rest",
    ),
}


def expectation(peer: str, row: dict[str, Any]) -> dict[str, Any] | None:
    """The peer's header facts in our terms, plus ``message`` (where the payload goes)."""
    e = row["expect"]
    if row.get("expect_mode") == "legacy_fails_ecs_matches":
        e = {"program": row["expect_ecs_v1"]["[process][name]"]}
    if e is None:
        return {"message": row["input"], "error": True}
    out: dict[str, Any] = {}
    if peer == "vrl":
        out["message"] = e.get("message")
        if "facility" in e and "severity" in e:
            out["pri"] = FACILITIES[e["facility"]] * 8 + SEVERITIES[e["severity"]]
        out["time"] = e.get("timestamp")
        out["host"] = e.get("hostname")
        out["app"], out["pid"], out["msgid"] = e.get("appname"), e.get("procid"), e.get("msgid")
        out["rfc5424"] = "version" in e or row["input"].startswith("<13>1 ")
    elif peer == "logstash":
        message = e.get("message")
        out["message"] = message[1] if isinstance(message, list) else e.get("syslog5424_msg")
        if "syslog5424_pri" in e:
            out["pri"] = int(e["syslog5424_pri"])
        out["time"] = e.get("syslog5424_ts") or e.get("timestamp")
        out["host"] = e.get("syslog5424_host") or e.get("logsource")
        out["app"] = e.get("syslog5424_app") or e.get("program")
        out["pid"] = e.get("syslog5424_proc") or e.get("pid")
        out["msgid"] = e.get("syslog5424_msgid")
        out["rfc5424"] = row["input"].startswith("<") and row["input"].split(">", 1)[1][:2] == "1 "
        if out["message"] is None and out.get("app") and not out["rfc5424"]:
            pid = rf"\[{out['pid']}\]" if out.get("pid") else r"(?:\[[^\]]*\])?"
            found = re.search(re.escape(out["app"]) + pid + ": ", row["input"])
            out["message"] = row["input"][found.end() :] if found else None
        if out["message"] is None and out["rfc5424"]:
            # Where MSG starts: after PRI VERSION TIMESTAMP HOST APP PROCID MSGID SD.
            found = _HEADER_5424.match(row["input"])
            out["message"] = row["input"][found.end() :] if found else None
    elif peer == "metron":
        out["message"] = e.get("syslog.message")
        out["pri"] = int(e["syslog.header.pri"]) if "syslog.header.pri" in e else None
        out["time"] = e.get("syslog.header.timestamp")
        out["time_ms"] = e.get("timestamp")
        out["host"] = e.get("syslog.header.hostName")
        out["app"], out["pid"] = e.get("syslog.header.appName"), e.get("syslog.header.procId")
        out["msgid"] = e.get("syslog.header.msgId")
        out["rfc5424"] = "Syslog5424" in row["case"]
    else:
        out["message"] = e.get("Message")
        out["host"], out["app"] = e.get("Hostname"), e.get("Program")
        out["time"] = e["Timestamp"].replace(" local", "")
    return out if out.get("message") else None


def wrap(line: str, message: str) -> str | None:
    if not line.endswith(message):
        return None
    return line[: len(line) - len(message)] + PAYLOAD


def parse_time(text: str, year: int) -> dt.datetime | None:
    """A peer's expected time (ISO, possibly with a `<current year>` placeholder) in UTC."""
    text = text.replace("<current year>", str(year))
    if re.match(r"^[0-9]{4}-", text):
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        return value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return read_times(pl.Series([text]), year=year)["time"][0]


def compare(peer: str, row: dict[str, Any]) -> frozenset[str] | None:
    """Keys we disagree on; None when the line cannot be wrapped."""
    want = expectation(peer, row)
    if want is None:
        return None
    wrapped = wrap(row["input"], want["message"])
    if wrapped is None:
        return None
    year = 2018 if peer == "metron" else THIS_YEAR
    result = parse_lines(CefFormat, [wrapped], options=ParseOptions(year=year))
    if result.records.height == 0:
        return frozenset({"<rejected>"})
    if want.get("error"):
        return frozenset({"<accepted>"})
    rec = result.records.row(0, named=True)
    got = dict(zip(rec["extras_keys"], rec["extras_values"], strict=True))
    failed = set()
    if want.get("pri") is not None and got.get("syslog_pri") != f"<{want['pri']}>":
        failed.add("pri")
    if want.get("host") is not None and got.get("syslog_host") != (
        None if want["host"] == "-" else want["host"]
    ):
        failed.add("host")
    if want.get("time"):
        ours = read_times(pl.Series([got.get("syslog_time")]), year=year)["time"][0]
        if ours != parse_time(want["time"], year):
            failed.add("time")
    if want.get("time_ms") is not None:
        ours = read_times(pl.Series([got.get("syslog_time")]), year=year)["time"][0]
        if ours is None or round(ours.timestamp() * 1000) != want["time_ms"]:
            failed.add("time")
    if want.get("rfc5424"):
        words = [str(want.get(k) or "-") for k in ("app", "pid", "msgid")]
        rest = got.get("syslog_rest") or ""
        if want.get("app") and not (rest + " ").startswith(" ".join(words) + " "):
            failed.add("app/procid/msgid")
    elif want.get("app"):
        tag = re.fullmatch(r"(.*?)(?:\[(.*)\])?:", got.get("syslog_tag") or "")
        if tag is None or tag[1] != want["app"]:
            failed.add("app")
        if want.get("pid") is not None and (tag is None or tag[2] != str(want["pid"])):
            failed.add("pid")
    return frozenset(failed)


@pytest.mark.parametrize("peer", list(FILES))
def test_syslog_prefix_vectors(peer: str) -> None:
    rows = [
        json.loads(x) for x in (VENDORED / FILES[peer]).read_text(encoding="utf-8").splitlines()
    ]
    passed = wrapped = 0
    problems = []
    for row in rows:
        failed = compare(peer, row)
        if failed is None:
            continue
        wrapped += 1
        known = REJECTED.get((peer, row["case"]))
        if known is None and failed:
            problems.append(f"{row['case']!r}: disagrees on {sorted(failed)}")
        elif known is not None and failed != known[0]:
            problems.append(
                f"{row['case']!r}: listed as {sorted(known[0])}, fails on {sorted(failed)}"
            )
        passed += not failed
    print(f"\n{FILES[peer]}: {passed}/{len(rows)} pass, {wrapped} wrapped as CEF prefixes")
    assert not problems, "\n".join(problems)
    assert wrapped >= len(rows) // 2, f"only {wrapped} of {len(rows)} rows could be wrapped"
