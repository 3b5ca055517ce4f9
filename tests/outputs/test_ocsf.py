"""``shadowlens export --to ocsf``: OCSF 1.8.0 HTTP/Network Activity Parquet.

Every written row is checked against the pinned schema subset shipped in
``shadowlens/data/ocsf`` (derived from the OCSF class definitions): required
attributes, ``at_least_one`` constraints, Arrow types per OCSF type, enum values,
and no attribute outside the class.
"""

from __future__ import annotations

import datetime as dt
from importlib import resources
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cli_harness import invoke_cli
from shadowlens.outputs.ocsf import OCSF_VERSION, http_methods, ocsf_schema
from shadowlens.schema import RECORD_POLARS_SCHEMA, RECORD_SCHEMA, conform, to_arrow

T0 = dt.datetime(2026, 11, 1, 23, 59, 58, 250_000, tzinfo=dt.UTC)
SCHEMA = ocsf_schema()


# -- a validator driven by the pinned schema -----------------------------------------


def _is_string(t: pa.DataType) -> bool:
    return bool(pa.types.is_string(t) or pa.types.is_large_string(t))


_SCALARS = {
    "integer_t": pa.types.is_int32,
    "long_t": pa.types.is_int64,
    "string_t": _is_string,
    "boolean_t": pa.types.is_boolean,
}


def type_errors(path: str, arrow: pa.DataType, spec: dict[str, Any]) -> list[str]:
    """Arrow type of one attribute against its OCSF type (recursing into objects)."""
    if spec.get("is_array"):
        if not (pa.types.is_list(arrow) or pa.types.is_large_list(arrow)):
            return [f"{path}: {arrow} is not a list"]
        return type_errors(f"{path}[]", arrow.value_type, {**spec, "is_array": False})
    kind = spec["type"]
    if kind == "object":  # unmapped: free-form, stored as map<string, string>
        ok = pa.types.is_map(arrow) and _is_string(arrow.key_type) and _is_string(arrow.item_type)
        return [] if ok else [f"{path}: {arrow} is not map<string, string>"]
    if kind in SCHEMA["objects"]:
        if not pa.types.is_struct(arrow):
            return [f"{path}: {arrow} is not a struct for object {kind!r}"]
        attrs = SCHEMA["objects"][kind]["attributes"]
        errors = []
        for child in arrow:
            if child.name not in attrs:
                errors.append(f"{path}.{child.name}: not an attribute of {kind!r}")
            else:
                errors += type_errors(f"{path}.{child.name}", child.type, attrs[child.name])
        return errors
    check = _SCALARS[SCHEMA["types"].get(kind, kind)]
    return [] if check(arrow) else [f"{path}: {arrow} does not hold OCSF {kind}"]


def value_errors(path: str, values: dict[str, Any], spec: dict[str, Any]) -> list[str]:
    """Required attributes, constraints and enums of one object or event."""
    errors = []
    for name, attr in spec["attributes"].items():
        value = values.get(name)
        if value is None:
            if attr["requirement"] == "required":
                errors.append(f"{path}.{name}: required but missing")
            continue
        items = value if attr.get("is_array") else [value]
        for item in items:
            if "enum" in attr and str(item) not in attr["enum"]:
                errors.append(f"{path}.{name}: {item!r} is not in the enum")
            if attr["type"] in SCHEMA["objects"]:
                errors += value_errors(f"{path}.{name}", item, SCHEMA["objects"][attr["type"]])
    for group in spec["constraints"].get("at_least_one", []):
        if all(values.get(name) is None for name in group):
            errors.append(f"{path}: needs at least one of {group}")
    return errors


def event_errors(table: pa.Table, class_uid: int) -> list[str]:
    """Every problem of a table of events of one class."""
    spec = SCHEMA["classes"][str(class_uid)]
    errors = []
    for field in table.schema:
        if field.name not in spec["attributes"]:
            errors.append(f"{field.name}: not an attribute of class {class_uid}")
        else:
            errors += type_errors(field.name, field.type, spec["attributes"][field.name])
    for index, row in enumerate(table.to_pylist()):
        row = {k: dict(v) if k == "unmapped" and v is not None else v for k, v in row.items()}
        errors += value_errors(f"row {index}", row, spec)
        if row.get("class_uid") != class_uid:
            errors.append(f"row {index}: class_uid {row.get('class_uid')} != {class_uid}")
        if row.get("type_uid") != class_uid * 100 + (row.get("activity_id") or 0):
            errors.append(f"row {index}: type_uid {row.get('type_uid')} is not class*100+activity")
    return errors


# -- data ---------------------------------------------------------------------------


def rec(**values: Any) -> dict[str, Any]:
    base = {"event_time": T0, "source_file": "logs/proxy.log", "source_line": 1}
    return base | values


ROWS = [
    rec(  # 0: a full web request with enrichment and vendor extras
        src_ip="10.0.0.5", src_port=50123, src_host="pc-5", user_name="alice@contoso.com",
        dst_ip="52.1.2.3", dst_port=443, dst_host="files.slack.com", dst_domain="slack.com",
        url="https://files.slack.com:8443/upload/a.txt?x=1&y=2#frag", http_method="get",
        http_status=200, user_agent="Mozilla/5.0", transport="tcp", app_protocol="https",
        bytes_up=1200, bytes_down=56000, bytes_total=57200, duration_ms=35, action="allowed",
        action_raw="Allowed", observer_vendor="Zscaler", observer_product="NSSWeblog",
        observer_version="5.0", event_class="web", event_name="Allowed", severity=3,
        log_format="cef", app_id="slack", app_name="Slack", app_category="Collaboration",
        app_tags=["sanctioned", "chat"], app_risk=8, match_type="domain",
        extras_keys=["cs1", "cs1Label"],
        extras_values=["Social", "category"],
    ),
    rec(src_ip="10.0.0.6", url="https://drive.example.com/put", http_method="POST",
        bytes_up=5_000_000, severity=0, action="blocked", action_raw="Blocked"),  # 1
    rec(src_ip="10.0.0.7", url="login.live.com:443", http_method="CONNECT", severity=9),  # 2
    rec(src_ip="10.0.0.8", url="https://dav.example.com/x", http_method="PROPFIND"),  # 3
    rec(src_ip="10.0.0.9", dst_host="dav.example.com", http_method="PROPFIND"),  # 4
    rec(src_ip="192.0.2.1", dst_ip="198.51.100.7", dst_port=22, transport="udp",
        bytes_total=900, action="blocked", action_raw="deny", severity=5),  # 5
    rec(src_ip="192.0.2.2", dst_ip="198.51.100.8", action="allowed"),  # 6
    rec(user_name="nobody", action="allowed"),  # 7: no endpoint -> skipped
    rec(dst_host="api.example.com", http_method="GET", user_agent="curl/8"),  # 8
    rec(event_time=T0 + dt.timedelta(seconds=2), src_ip="10.9.9.9",
        url="https://next.example.com/", http_method="DELETE", http_status=204),  # 9
    rec(src_ip="2001:db8::1", dst_ip="2001:db8::2", action="unknown", action_raw="odd"),  # 10
]  # fmt: skip


def write_records(folder: Path, rows: list[dict[str, Any]]) -> Path:
    records = folder / "out" / "records"
    records.mkdir(parents=True)
    frame = conform(pl.DataFrame(rows, infer_schema_length=None), RECORD_POLARS_SCHEMA)
    pq.write_table(to_arrow(frame, RECORD_SCHEMA), records / "part-00000.parquet")
    return folder / "out"


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ocsf")
    out = write_records(folder, ROWS)
    result = invoke_cli("export", out, "--to", "ocsf", "-o", folder / "lake")
    assert result.exit_code == 0, result.output
    assert "6 HTTP Activity and 4 Network Activity rows" in result.output
    assert "1 record(s) without any endpoint skipped" in result.output
    return folder / "lake"


def read_class(lake: Path, class_uid: int) -> pa.Table:
    files = sorted((lake / f"class_uid={class_uid}").glob("date=*/part-*.parquet"))
    return pa.concat_tables(pq.read_table(f) for f in files)


def by_src(table: pa.Table) -> dict[str | None, dict[str, Any]]:
    rows = table.to_pylist()
    return {(r["src_endpoint"] or {}).get("ip") or r["dst_endpoint"]["hostname"]: r for r in rows}


# -- tests --------------------------------------------------------------------------


def test_pinned_schema_is_ocsf_1_8_with_licence_note() -> None:
    assert SCHEMA["ocsf_version"] == OCSF_VERSION == "1.8.0"
    assert "Apache-2.0" in SCHEMA["license"]
    assert len(SCHEMA["source"]["commit"]) == 40
    notice = resources.files("shadowlens") / "data" / "ocsf" / "NOTICE.md"
    assert "Apache License" in notice.read_text(encoding="utf-8")
    assert set(SCHEMA["classes"]) == {"4001", "4002"}
    # the method -> activity table is the schema's own enum
    assert http_methods() == {
        "CONNECT": 1, "DELETE": 2, "GET": 3, "HEAD": 4, "OPTIONS": 5,
        "POST": 6, "PUT": 7, "TRACE": 8, "PATCH": 9,
    }  # fmt: skip


def test_layout_is_partitioned_by_class_and_day(lake: Path) -> None:
    days = {
        p.relative_to(lake).parent.as_posix() for p in lake.glob("class_uid=*/date=*/*.parquet")
    }
    assert days == {
        "class_uid=4002/date=2026-11-01",
        "class_uid=4002/date=2026-11-02",
        "class_uid=4001/date=2026-11-01",
    }
    for path in lake.glob("class_uid=*/date=*/*.parquet"):
        table = pq.read_table(path)
        class_uid = int(path.parent.parent.name.split("=")[1])
        day = path.parent.name.split("=")[1]
        assert set(table.column("class_uid").to_pylist()) == {class_uid}
        stamps = table.column("time").to_pylist()
        assert {dt.datetime.fromtimestamp(t / 1000, dt.UTC).date().isoformat() for t in stamps} == {
            day
        }


@pytest.mark.parametrize("class_uid", [4001, 4002])
def test_every_row_satisfies_the_pinned_class(lake: Path, class_uid: int) -> None:
    table = read_class(lake, class_uid)
    assert table.num_rows == {4001: 4, 4002: 6}[class_uid]
    assert event_errors(table, class_uid) == []


def test_validator_catches_broken_rows() -> None:
    table = pa.table(
        {
            "time": pa.array(["yesterday"]),
            "class_uid": pa.array([4002], pa.int32()),
            "activity_id": pa.array([42], pa.int32()),
            "type_uid": pa.array([400242], pa.int64()),
            "colour": pa.array(["red"]),
            "http_response": pa.array([{"length": 3}], pa.struct([("length", pa.int32())])),
            "dst_endpoint": pa.array([{"port": 1}], pa.struct([("port", pa.int32())])),
        }
    )
    errors = "\n".join(event_errors(table, 4002))
    for expected in (
        "time: string does not hold OCSF timestamp_t",
        "colour: not an attribute of class 4002",
        "http_response.length: not an attribute of 'http_response'",
        "row 0.activity_id: 42 is not in the enum",
        "row 0.severity_id: required but missing",
        "row 0.metadata: required but missing",
        "row 0.http_response.code: required but missing",
        "row 0.dst_endpoint: needs at least one of",
    ):
        assert expected in errors


def test_http_activity_mapping(lake: Path) -> None:
    rows = by_src(read_class(lake, 4002))
    full = rows["10.0.0.5"]
    assert (full["class_uid"], full["category_uid"], full["activity_id"]) == (4002, 4, 3)
    assert (full["type_uid"], full["activity_name"], full["type_name"]) == (
        400203, "Get", "HTTP Activity: Get",
    )  # fmt: skip
    assert full["time"] == int(T0.timestamp() * 1000)
    assert (full["severity_id"], full["severity"]) == (2, "Low")
    assert (full["action_id"], full["disposition_id"], full["disposition"]) == (1, 1, "Allowed")
    assert full["traffic"] == {"bytes_in": 56000, "bytes_out": 1200, "bytes": 57200}
    assert full["src_endpoint"] == {"ip": "10.0.0.5", "port": 50123, "hostname": "pc-5"}
    assert full["dst_endpoint"] == {
        "ip": "52.1.2.3", "port": 443, "hostname": "files.slack.com", "domain": "slack.com",
    }  # fmt: skip
    assert full["http_request"] == {
        "http_method": "GET",
        "url": {
            "url_string": "https://files.slack.com:8443/upload/a.txt?x=1&y=2#frag",
            "scheme": "https",
            "hostname": "files.slack.com",
            "domain": "slack.com",
            "path": "/upload/a.txt",
            "port": 8443,
            "query_string": "x=1&y=2",
        },
        "user_agent": "Mozilla/5.0",
    }
    assert full["http_response"] == {"code": 200}
    assert full["actor"] == {"user": {"name": "alice@contoso.com"}}
    assert full["connection_info"] == {"protocol_name": "tcp", "direction_id": 0}
    assert (full["app_name"], full["app_protocol_name"], full["duration"]) == ("Slack", "https", 35)
    assert full["metadata"] == {
        "version": "1.8.0",
        "product": {
            "name": "shadowlens",
            "vendor_name": "shadowlens",
            "version": full["metadata"]["product"]["version"],
        },
        "log_name": "logs/proxy.log",
        "log_provider": "Zscaler NSSWeblog",
        "log_format": "cef",
        "profiles": ["host", "security_control"],
    }
    unmapped = dict(full["unmapped"])
    assert unmapped["cs1"] == "Social"
    assert unmapped["cs1Label"] == "category"
    assert unmapped["action_raw"] == "Allowed"
    assert unmapped["app_tags"] == "sanctioned;chat"
    assert (unmapped["app_id"], unmapped["app_risk"], unmapped["source_line"]) == (
        "slack",
        "8",
        "1",
    )

    post = rows["10.0.0.6"]
    assert (post["activity_id"], post["severity_id"], post["action_id"]) == (6, 1, 2)
    assert post["traffic"] == {"bytes_in": None, "bytes_out": 5_000_000, "bytes": None}
    assert post["http_response"] is None
    assert post["dst_endpoint"] is None
    connect = rows["10.0.0.7"]["http_request"]
    assert (rows["10.0.0.7"]["activity_id"], rows["10.0.0.7"]["severity_id"]) == (1, 5)
    assert connect["url"]["hostname"] == "login.live.com"
    assert connect["url"]["port"] == 443
    assert connect["url"]["path"] is None
    assert connect["url"]["scheme"] is None
    other = rows["10.0.0.8"]
    assert (other["activity_id"], other["activity_name"], other["type_uid"]) == (
        99,
        "PROPFIND",
        400299,
    )
    assert other["http_request"]["http_method"] is None
    assert dict(other["unmapped"])["http_method"] == "PROPFIND"
    no_url = rows["api.example.com"]
    assert no_url["http_request"] == {"http_method": "GET", "url": None, "user_agent": "curl/8"}
    assert rows["10.9.9.9"]["activity_id"] == 2


def test_network_activity_mapping(lake: Path) -> None:
    table = read_class(lake, 4001)
    assert "http_request" not in table.schema.names
    rows = by_src(table)
    refused = rows["192.0.2.1"]
    assert (refused["activity_id"], refused["activity_name"], refused["type_uid"]) == (
        5,
        "Refuse",
        400105,
    )
    assert (refused["action_id"], refused["action"], refused["disposition"]) == (
        2,
        "Denied",
        "Blocked",
    )
    assert refused["traffic"] == {"bytes_in": None, "bytes_out": None, "bytes": 900}
    assert refused["dst_endpoint"]["port"] == 22
    assert refused["connection_info"]["protocol_name"] == "udp"
    assert dict(refused["unmapped"])["action_raw"] == "deny"
    assert (rows["192.0.2.2"]["activity_id"], rows["192.0.2.2"]["action_id"]) == (6, 1)
    assert (rows["2001:db8::1"]["action_id"], rows["2001:db8::1"]["disposition_id"]) == (0, 0)
    assert rows["2001:db8::1"]["severity_id"] == 0
    webdav = rows["10.0.0.9"]  # a non-standard method without a URL stays network traffic
    assert webdav["activity_id"] == 6
    assert dict(webdav["unmapped"])["http_method"] == "PROPFIND"


def test_rerun_replaces_the_dataset(tmp_path: Path) -> None:
    out = write_records(tmp_path, ROWS[:2])
    lake = tmp_path / "lake"
    (lake / "class_uid=4001" / "date=1999-01-01").mkdir(parents=True)
    (lake / "class_uid=4001" / "date=1999-01-01" / "00000000.parquet").write_bytes(b"stale")
    (lake / "keep.txt").write_text("not ours")
    result = invoke_cli("export", out, "--to", "ocsf", "-o", lake)
    assert result.exit_code == 0, result.output
    assert not (lake / "class_uid=4001").exists()
    assert (lake / "keep.txt").exists()
    assert read_class(lake, 4002).num_rows == 2


def test_records_without_a_time_are_skipped_and_counted(tmp_path: Path) -> None:
    rows = [*ROWS, rec(event_time=None, src_ip="10.7.7.7", url="https://untimed.example/")]
    rows.append(rec(event_time=None, user_name="no time, no endpoint"))
    out = write_records(tmp_path, rows)
    lake = tmp_path / "lake"
    result = invoke_cli("export", out, "--to", "ocsf", "-o", lake)
    assert result.exit_code == 0, result.output
    assert "6 HTTP Activity and 4 Network Activity rows" in result.output
    assert "1 record(s) without any endpoint skipped" in result.output
    assert "2 record(s) without an event time skipped" in result.output
    http = read_class(lake, 4002)
    assert None not in http.column("time").to_pylist()
    assert "10.7.7.7" not in by_src(http)
