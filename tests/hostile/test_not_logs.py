"""Item 9 of issue 10: files that are not logs, UTF-16 logs, and no input at all."""

from __future__ import annotations

import codecs
import json
import struct
import zlib
from pathlib import Path

from hostile_kit import CliMain, balanced, cef_body, cef_line, records


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    pixels = zlib.compress(bytes(range(256)) * 64)
    header = struct.pack(">IIBBBBB", 64, 64, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels)


def test_non_logs_are_skipped_with_a_reason_and_logs_are_read(tmp_path: Path, cli: CliMain) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "a.log").write_bytes(cef_body(7))
    (logs / "logo.png").write_bytes(_png())
    (logs / "config.json").write_text(json.dumps({"rules": [{"id": i} for i in range(20)]}))
    (logs / "README").write_text("These are the proxy logs of March.\nAsk Bob.\n")
    out = tmp_path / "out"
    result = cli("parse", str(logs), "-o", str(out), "--no-progress")
    assert result.returncode == 0, result.stderr
    summary = json.loads((out / "summary.json").read_text())
    reasons = {Path(k).name: v["reason"] for k, v in summary["skipped_files"].items()}
    assert reasons["logo.png"] == "binary data, not a text log"
    assert reasons["config.json"].startswith("no registered format recognises")
    assert reasons["README"].startswith("no registered format recognises")
    assert set(reasons) == {"logo.png", "config.json", "README"}
    for name in reasons:
        assert f"{name}: skipped:" in result.stderr
    assert summary["totals"]["files_skipped"] == 3
    assert summary["totals"]["quarantined"] == 0  # nothing the user cannot read
    assert list(summary["files"]) == [str(logs / "a.log")]
    assert balanced(summary)


def test_utf16_logs_are_decoded_with_their_bom(tmp_path: Path, cli: CliMain) -> None:
    text = "".join(cef_line(i, host="bücher.example") + "\r\n" for i in range(5))
    (tmp_path / "le.log").write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    (tmp_path / "be.log").write_bytes(codecs.BOM_UTF16_BE + text.encode("utf-16-be"))
    (tmp_path / "nobom.log").write_bytes(text.encode("utf-16-le"))
    out = tmp_path / "out"
    inputs = [str(tmp_path / n) for n in ("le.log", "be.log", "nobom.log")]
    result = cli("parse", *inputs, "-o", str(out), "--no-progress")
    assert result.returncode == 0, result.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["totals"]["records"] == 15
    assert summary["totals"]["lossy_utf8"] == 0
    assert [f["encoding"] for f in summary["files"].values()] == ["utf-16", "utf-16", "utf-16-le"]
    assert set(records(tmp_path)["dst_host"].to_list()) == {"bücher.example"}


def test_an_empty_folder_says_no_input_was_found(tmp_path: Path, cli: CliMain) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    out = tmp_path / "out"
    result = cli("parse", str(empty), "-o", str(out), "--no-progress")
    assert result.returncode == 3
    assert f"no input file found in {empty}" in result.stderr
    assert not (out / "summary.json").exists()


def test_only_non_logs_is_an_input_error(tmp_path: Path, cli: CliMain) -> None:
    (tmp_path / "logo.png").write_bytes(_png())
    result = cli("parse", str(tmp_path / "logo.png"), "-o", str(tmp_path / "out"))
    assert result.returncode == 3
    assert "no log file among the inputs" in result.stderr
    assert "logo.png: skipped: binary data" in result.stderr
