"""A local stand-in for the Defender for Cloud Apps upload API and Azure blob storage.

A real HTTP server on 127.0.0.1 (ephemeral port, own thread) that implements:

* ``GET /api/v1/discovery/upload_url/?filename=&source=`` -> ``{"url", "provider"}``
* ``PUT <blob url>`` with ``x-ms-blob-type: BlockBlob`` (single upload)
* ``PUT <blob url>&comp=block&blockid=...`` and ``PUT <blob url>&comp=blocklist``
* ``POST /api/v1/discovery/done_upload/`` with ``uploadUrl``, ``inputStreamName``,
  ``uploadAsSnapshot``

Portal calls must carry ``Authorization: <scheme> <token>``; blob calls must not
carry any ``Authorization`` header and must present the blob's signature. Faults
can be queued per request kind: an HTTP status (with ``Retry-After``) or a dropped
connection. Received blobs are written to a folder and hashed.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import secrets
import socket
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, quote, urlsplit

Kind = Literal["initiate", "finalize", "put", "block", "blocklist", "other"]
API_KINDS = frozenset({"initiate", "finalize"})


@dataclass
class Recorded:
    """One request as the server saw it."""

    kind: Kind
    method: str
    path: str
    query: dict[str, str]
    at: float
    authorization: str | None
    blob: int | None = None
    blockid: str | None = None
    status: int = 0


@dataclass
class Fault:
    """Make matching requests fail: ``times`` of them, after letting ``skip`` through."""

    kind: Kind
    status: int | None = None
    retry_after: str | None = None
    drop: bool = False
    times: int = 1
    skip: int = 0
    filename: str | None = None
    #: answer with this body (and ``status`` or 200) instead of the real reply
    body: bytes | None = None
    #: the size of a body of ``x`` to answer with (a response too large to read)
    huge: int = 0
    #: seconds between two bytes of the answer (a server that trickles)
    trickle: float = 0.0
    #: echo the request's Authorization header back, in several encodings
    echo: bool = False


@dataclass
class Blob:
    """One upload URL handed out by the initiate call."""

    number: int
    filename: str
    source: str
    sig: str
    url: str
    blocks: dict[str, Path] = field(default_factory=dict)
    block_puts: list[str] = field(default_factory=list)
    path: Path | None = None
    sha256: str | None = None
    size: int = 0
    expired: bool = False


class MdcaServer:
    """The fake portal plus blob store; use as a context manager.

    Parameters
    ----------
    storage
        Folder where blocks and committed blobs are written.
    token
        The only accepted API token.
    scheme
        ``Token`` or ``Bearer``.
    """

    def __init__(self, storage: Path, token: str, scheme: str = "Token") -> None:
        self.storage = storage
        self.token = token
        self.scheme = scheme
        self.requests: list[Recorded] = []
        self.blobs: dict[int, Blob] = {}
        self.finalized: list[dict[str, Any]] = []
        self.faults: list[Fault] = []
        self.violations: list[str] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.mock = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        """The portal base URL, e.g. ``http://127.0.0.1:40123``."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> MdcaServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    # -- test helpers -------------------------------------------------------------

    def fail(self, kind: Kind, **kwargs: Any) -> Fault:
        """Queue a fault for requests of ``kind`` (see :class:`Fault`)."""
        fault = Fault(kind, **kwargs)
        with self._lock:
            self.faults.append(fault)
        return fault

    def kinds(self) -> list[str]:
        """Kinds of all requests received, in order."""
        return [r.kind for r in self.requests]

    def committed(self) -> dict[str, Blob]:
        """Committed blobs by file name (last one wins)."""
        return {b.filename: b for b in self.blobs.values() if b.sha256}

    def finalized_files(self) -> list[str]:
        """File names whose upload was finalized, in order."""
        by_url = {b.url: b.filename for b in self.blobs.values()}
        return [by_url[f["uploadUrl"]] for f in self.finalized]

    def expire_all(self) -> None:
        """Make every upload URL handed out so far refuse further requests."""
        with self._lock:
            for blob in self.blobs.values():
                blob.expired = True

    # -- request handling ---------------------------------------------------------

    def handle(self, h: _Handler) -> None:
        parts = urlsplit(h.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        kind, blob = self._classify(h.command, parts.path, query)
        rec = Recorded(
            kind=kind,
            method=h.command,
            path=parts.path,
            query=query,
            at=time.monotonic(),
            authorization=h.headers.get("Authorization"),
            blob=blob.number if blob else None,
            blockid=query.get("blockid"),
        )
        with self._lock:
            self.requests.append(rec)
            fault = self._take_fault(kind, blob, query)
        if fault is not None and fault.drop:
            _drop(h)
            return
        body = _read_body(h, spool=self.storage / f"req-{secrets.token_hex(6)}")
        try:
            if fault is not None and (fault.body is not None or fault.huge or fault.trickle):
                self._raw(h, rec, fault)
            elif fault is not None and fault.echo:
                self._echo(h, rec, fault)
            elif fault is not None:
                headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                self._reply(h, rec, fault.status or 500, {"error": "injected"}, headers)
            elif kind in API_KINDS:
                self._api(h, rec, kind, query, body)
            elif blob is not None:
                self._blob(h, rec, kind, blob, query, body)
            else:
                self._reply(h, rec, 404, {"error": "not found"})
        finally:
            if isinstance(body, Path):
                body.unlink(missing_ok=True)

    def _classify(self, method: str, path: str, query: dict[str, str]) -> tuple[Kind, Blob | None]:
        if method == "GET" and path == "/api/v1/discovery/upload_url/":
            return "initiate", None
        if method == "POST" and path == "/api/v1/discovery/done_upload/":
            return "finalize", None
        segments = path.strip("/").split("/")
        if method == "PUT" and len(segments) == 3 and segments[0] == "blob":
            blob = self.blobs.get(int(segments[1])) if segments[1].isdigit() else None
            comp = query.get("comp")
            kind: Kind = "block" if comp == "block" else "blocklist" if comp else "put"
            return kind, blob
        return "other", None

    def _take_fault(self, kind: Kind, blob: Blob | None, query: dict[str, str]) -> Fault | None:
        """Every matching fault counts the request; the first one due fires."""
        name = blob.filename if blob else query.get("filename")
        chosen = None
        for fault in self.faults:
            if fault.kind != kind or fault.times <= 0:
                continue
            if fault.filename is not None and fault.filename != name:
                continue
            if fault.skip > 0:
                fault.skip -= 1
            elif chosen is None:
                fault.times -= 1
                chosen = fault
        return chosen

    def _api(
        self, h: _Handler, rec: Recorded, kind: Kind, query: dict[str, str], body: bytes | Path
    ) -> None:
        if rec.authorization != f"{self.scheme} {self.token}":
            self._reply(h, rec, 401, {"detail": "Invalid token"})
            return
        if kind == "initiate":
            filename, source = query.get("filename", ""), query.get("source", "")
            if not filename or not source:
                self._reply(h, rec, 400, {"error": "filename and source are required"})
                return
            with self._lock:
                number = len(self.blobs) + 1
                sig = secrets.token_urlsafe(12)
                url = f"{self.url}/blob/{number}/{filename}?sv=2020-10-02&sr=b&sig={sig}"
                self.blobs[number] = Blob(number, filename, source, sig, url)
            self._reply(h, rec, 200, {"url": url, "provider": "azure"})
            return
        try:
            data = json.loads(body if isinstance(body, bytes) else body.read_bytes())
            url, name, snap = data["uploadUrl"], data["inputStreamName"], data["uploadAsSnapshot"]
        except (ValueError, KeyError, TypeError):
            self._reply(h, rec, 400, {"success": False, "message": "bad request body"})
            return
        blob = next((b for b in self.blobs.values() if b.url == url), None)
        if blob is None or blob.sha256 is None or not name or not isinstance(snap, bool):
            self._reply(h, rec, 400, {"success": False, "message": "unknown or incomplete upload"})
            return
        with self._lock:
            self.finalized.append(data)
        self._reply(h, rec, 200, {"success": True, "inputStreamId": f"stream-{blob.number}"})

    def _blob(
        self,
        h: _Handler,
        rec: Recorded,
        kind: Kind,
        blob: Blob,
        query: dict[str, str],
        body: bytes | Path,
    ) -> None:
        if rec.authorization is not None:
            self.violations.append(f"Authorization header sent to blob storage ({kind})")
            self._reply(h, rec, 400, {"error": "unexpected Authorization header"})
            return
        if query.get("sig") != blob.sig or blob.expired:
            self._reply(h, rec, 403, {"error": "AuthenticationFailed"})
            return
        if h.headers.get("Content-Length") is None:
            self._reply(h, rec, 411, {"error": "MissingContentLength"})
            return
        if kind == "put":
            if h.headers.get("x-ms-blob-type") != "BlockBlob":
                self._reply(h, rec, 400, {"error": "MissingRequiredHeader x-ms-blob-type"})
                return
            self._store(blob, [body])
        elif kind == "block":
            block = query.get("blockid", "")
            try:
                raw = base64.b64decode(block, validate=True)
            except (binascii.Error, ValueError):
                raw = b""
            lengths = {len(k) for k in blob.blocks} | {len(block)}
            if not raw or len(raw) > 64 or len(lengths) > 1:
                self._reply(h, rec, 400, {"error": "InvalidBlockId"})
                return
            target = self.storage / f"blob{blob.number}-{binascii.hexlify(raw).decode()}.blk"
            _save(body, target)
            with self._lock:
                blob.blocks[block] = target
                blob.block_puts.append(block)
        else:
            try:
                root = ET.fromstring(body if isinstance(body, bytes) else body.read_bytes())
            except ET.ParseError:
                root = ET.Element("Invalid")
            ids = [el.text or "" for el in root if el.tag in ("Latest", "Uncommitted")]
            if root.tag != "BlockList" or not ids or any(i not in blob.blocks for i in ids):
                self._reply(h, rec, 400, {"error": "InvalidBlockList"})
                return
            self._store(blob, [blob.blocks[i] for i in ids])
            blob.blocks.clear()
        self._reply(h, rec, 201, None)

    def _store(self, blob: Blob, parts: list[bytes | Path]) -> None:
        target = self.storage / f"blob{blob.number}-{blob.filename}"
        digest, size = hashlib.sha256(), 0
        with target.open("wb") as out:
            for part in parts:
                chunks = [part] if isinstance(part, bytes) else _chunks(part)
                for chunk in chunks:
                    digest.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
        blob.path, blob.sha256, blob.size = target, digest.hexdigest(), size

    def _raw(self, h: _Handler, rec: Recorded, fault: Fault) -> None:
        """Answer ``fault.body`` (or ``huge`` bytes), byte by byte when it trickles."""
        data = fault.body if fault.body is not None else b"x" * fault.huge
        rec.status = fault.status or 200
        h.close_connection = True
        kind = "text/html" if fault.body is not None else "text/plain"
        head = (
            f"HTTP/1.1 {rec.status} Whatever\r\nContent-Type: {kind}\r\n"
            f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n"
        ).encode()
        try:
            if not fault.trickle:
                h.wfile.write(head + data)
                return
            for byte in head + data:  # the status line and headers trickle too
                h.wfile.write(bytes([byte]))
                h.wfile.flush()
                time.sleep(fault.trickle)
        except OSError:  # the client gave up: what the test wants
            return

    def _echo(self, h: _Handler, rec: Recorded, fault: Fault) -> None:
        """Answer an error that repeats the credentials back (a careless proxy or API)."""
        auth = rec.authorization or ""
        secret = auth.split(" ", 1)[-1]
        payload = {
            "error": f"bad request from {auth}",
            "url_encoded": f"https://x.test/?token={quote(secret, safe='')}",
            "base64": base64.b64encode(f"Authorization: {auth}".encode()).decode(),
            "basic": "Basic " + base64.b64encode(f"user:{secret}".encode()).decode(),
        }
        self._reply(h, rec, fault.status or 400, payload, {"X-Echo-Authorization": auth})

    def _reply(
        self,
        h: _Handler,
        rec: Recorded,
        status: int,
        payload: object,
        headers: dict[str, str] | None = None,
    ) -> None:
        rec.status = status
        data = b"" if payload is None else json.dumps(payload).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            h.send_header(key, value)
        h.end_headers()
        h.wfile.write(data)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else small replies stall on delayed ACKs

    def _dispatch(self) -> None:
        self.server.mock.handle(self)  # type: ignore[attr-defined]

    do_GET = do_PUT = do_POST = _dispatch

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet."""


_SPOOL_ABOVE = 1024 * 1024


def _read_body(h: _Handler, spool: Path) -> bytes | Path:
    """Read the request body; large bodies go to ``spool`` instead of memory."""
    length = int(h.headers.get("Content-Length") or 0)
    if length <= _SPOOL_ABOVE:
        return h.rfile.read(length)
    with spool.open("wb") as out:
        remaining = length
        while remaining:
            chunk = h.rfile.read(min(remaining, 1024 * 1024))
            if not chunk:
                break
            out.write(chunk)
            remaining -= len(chunk)
    return spool


def _save(body: bytes | Path, target: Path) -> None:
    if isinstance(body, bytes):
        target.write_bytes(body)
    else:
        body.replace(target)


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            yield chunk


def _drop(h: _Handler) -> None:
    """Read a little of the request, then cut the connection without answering."""
    length = int(h.headers.get("Content-Length") or 0)
    h.rfile.read(min(length, 16))
    h.close_connection = True
    with contextlib.suppress(OSError):
        h.connection.shutdown(socket.SHUT_RDWR)


# -- helpers shared by the tests ------------------------------------------------

BIG_SIZE = 64 * 1024 * 1024 + 12_345
"""Just over the single-PUT limit, not a multiple of the block size."""


class FakeClock:
    """A clock whose ``sleep`` only moves the time forward."""

    def __init__(self) -> None:
        self.now = 1_000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(seconds, 0.0)


def write_big_file(path: Path, size: int = BIG_SIZE) -> str:
    """Create a sparse file with a marker every MiB; return its SHA-256."""
    with path.open("wb") as handle:
        handle.truncate(size)
        for offset in range(0, size, 1024 * 1024):
            handle.seek(offset)
            handle.write(f"<marker {offset}>".encode())
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(4 * 1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()
