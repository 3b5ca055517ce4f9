"""Upload client limits against a real local server (issue 10, item 13).

A total deadline per request (a server trickling bytes cannot hold the client),
a response size cap, strict validation of the finalize answer, and the token
redacted in every encoding a server may echo it in.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, unquote_plus

import pytest
from mdca_server import MdcaServer

from cli_harness import invoke_cli
from shadowlens.outputs.mdca import Credentials, UploadError
from shadowlens.outputs.upload import Uploader, UploadLimits

Folder = Callable[..., Path]
MakeUploader = Callable[..., Uploader]

#: A body that takes about 15 s to trickle at 0.1 s per byte (plus its headers).
SLOW = b'{"url": "' + b"x" * 60 + b'"}'


def test_a_trickling_portal_is_cut_at_the_total_deadline(
    upload_folder: Folder, make_uploader: MakeUploader, mdca_server: MdcaServer
) -> None:
    mdca_server.fail("initiate", body=SLOW, trickle=0.1, times=99)
    uploader = make_uploader(upload_folder(1), limits=UploadLimits(api_total=1.0))
    with pytest.raises(UploadError) as caught:
        uploader.run()
    message = str(caught.value)
    assert "after 4 attempts" in message
    assert "no complete answer to GET" in message
    assert "within 1 s" in message
    assert mdca_server.kinds() == ["initiate"] * 4


def test_a_trickling_blob_store_is_cut_at_the_total_deadline(
    upload_folder: Folder, make_uploader: MakeUploader, mdca_server: MdcaServer
) -> None:
    mdca_server.fail("put", body=b"{}", trickle=0.1, times=99)
    uploader = make_uploader(upload_folder(1), limits=UploadLimits(blob_total=1.0))
    with pytest.raises(UploadError, match=r"within 1 s"):
        uploader.run()
    assert mdca_server.kinds() == ["initiate", "put", "put", "put", "put"]


def test_a_huge_response_is_refused_without_reading_it(
    upload_folder: Folder, make_uploader: MakeUploader, mdca_server: MdcaServer
) -> None:
    mdca_server.fail("initiate", huge=32 * 1024 * 1024)
    uploader = make_uploader(upload_folder(1), limits=UploadLimits(max_response_bytes=65_536))
    with pytest.raises(UploadError, match=r"larger than 65,536 bytes"):
        uploader.run()
    assert mdca_server.kinds() == ["initiate"]  # not retried: it would be as large again


@pytest.mark.parametrize(
    "body", [b"<html><body>Welcome to the proxy</body></html>", b"", b"[true]", b"null"]
)
def test_finalize_needs_a_json_object(
    upload_folder: Folder, make_uploader: MakeUploader, mdca_server: MdcaServer, body: bytes
) -> None:
    folder = upload_folder(1)
    mdca_server.fail("finalize", body=body, status=200)
    with pytest.raises(UploadError, match=r"not a JSON object.*not confirmed"):
        make_uploader(folder).run()
    state = json.loads((folder / "upload-state.json").read_text())
    assert not any(f.get("finalized") for f in state["files"].values())
    assert mdca_server.finalized == []


def test_finalize_with_success_false_is_refused(
    upload_folder: Folder, make_uploader: MakeUploader, mdca_server: MdcaServer
) -> None:
    mdca_server.fail("finalize", body=b'{"success": "maybe"}', status=200)
    with pytest.raises(UploadError, match=r"refused to finalize"):
        make_uploader(upload_folder(1)).run()


def _leaks(text: str, token: str) -> list[str]:
    """The forms in which ``token`` can be read back from ``text``."""
    found = []
    if token in text:
        found.append("plain")
    if token in unquote(text) or token in unquote_plus(text):
        found.append("url-encoded")
    for word in re.findall(r"[A-Za-z0-9+/_=-]{12,}", text):
        for decode in (base64.b64decode, base64.urlsafe_b64decode):
            try:
                if token.encode() in decode(word + "=" * (-len(word) % 4)):
                    found.append("base64")
            except (binascii.Error, ValueError):
                pass
    return found


def test_an_echoed_token_is_redacted_in_every_encoding(
    upload_folder: Folder,
    make_uploader: MakeUploader,
    mdca_server: MdcaServer,
    mdca_token: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    folder = upload_folder(1)
    mdca_server.fail("initiate", echo=True, status=400)
    with pytest.raises(UploadError) as caught:
        make_uploader(folder).run()
    message = str(caught.value)
    assert "HTTP 400" in message
    assert "***" in message
    assert _leaks(message, mdca_token) == []
    assert _leaks(caplog.text, mdca_token) == []
    mdca_server.fail("initiate", echo=True, status=500, times=99)
    env = {"SHADOWLENS_MDCA_TOKEN": mdca_token}
    args = [str(folder), "--portal", mdca_server.url, "--report-name", "q3", "--snapshot"]
    result = invoke_cli("upload", *args, env=env)
    assert result.code != 0
    assert _leaks(result.out + result.err, mdca_token) == []


def test_redact_covers_the_encodings_a_server_may_use() -> None:
    token = "tokAbC123+/xyz_-.~!9876543210"
    credentials = Credentials(token)
    for prefix in ("", "a", "ab", "Token ", "user:"):
        text = (prefix + token + "\r\n").encode()
        for encoded in (
            base64.b64encode(text).decode(),
            base64.urlsafe_b64encode(text).decode(),
            text.hex(),
            text.hex().upper(),
            json.dumps(text.decode()),
        ):
            redacted = credentials.redact(encoded)
            assert "***" in redacted, (prefix, encoded)
            assert _leaks(redacted, token) == [], (prefix, encoded)
    for quoted in ("tokAbC123%2B%2Fxyz_-.~%219876543210", "tokabc123%2b%2fxyz_-.~%219876543210"):
        assert credentials.redact(f"?t={quoted}&x=1") in ("?t=***&x=1",)
