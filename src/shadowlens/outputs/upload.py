"""Upload an exported folder to Defender for Cloud Apps Cloud Discovery.

Each manifest entry goes through the documented three calls, one file at a time:

1. *initiate* -- ``GET {portal}/api/v1/discovery/upload_url/?filename=&source=``
   returns a pre-signed blob URL;
2. *upload* -- ``PUT`` the bytes to that URL: one request with
   ``x-ms-blob-type: BlockBlob`` below 64 MB, otherwise Azure blocks
   (``comp=block`` per block, then ``comp=blocklist``);
3. *finalize* -- ``POST {portal}/api/v1/discovery/done_upload/``.

Credentials come from the environment only
(:class:`~shadowlens.outputs.mdca.Credentials`). Portal calls are
paced by a :class:`~shadowlens.outputs.ratelimit.RateLimiter` (30 per minute); blob
calls go to storage and are not. Transient failures (429, 5xx, dropped connections)
are retried with backoff; 401/403 from the portal stop the run at once. Progress is
kept in ``upload-state.json`` (:mod:`shadowlens.outputs.upload_state`) so a rerun
continues where the last one stopped.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol
from urllib.parse import urlencode

import httpx

from shadowlens.errors import ConfigError, InputError
from shadowlens.outputs.manifest import Manifest, ManifestFile, load_manifest
from shadowlens.outputs.mdca import (
    AUTH_ENV,
    DEFAULT_BLOCK_SIZE,
    LOOPBACK_HOSTS,
    MAX_API_FILE_BYTES,
    MAX_BLOCKS,
    SINGLE_PUT_LIMIT,
    TOKEN_ENV,
    Credentials,
    UploadAuthError,
    UploadError,
    add_query,
    block_id,
    block_len,
    display_url,
    read_range,
    validate_portal,
    validate_report_name,
)
from shadowlens.outputs.ratelimit import (
    Clock,
    RateLimiter,
    RetryPolicy,
    SystemClock,
    parse_retry_after,
)
from shadowlens.outputs.upload_state import STATE_NAME, FileState, UploadState

__all__ = [
    "AUTH_ENV",
    "DEFAULT_BLOCK_SIZE",
    "MAX_API_FILE_BYTES",
    "SINGLE_PUT_LIMIT",
    "TOKEN_ENV",
    "Credentials",
    "PlanItem",
    "UploadAuthError",
    "UploadError",
    "UploadLimits",
    "UploadProgress",
    "UploadSummary",
    "Uploader",
    "validate_portal",
    "validate_report_name",
]

log = logging.getLogger(__name__)


class _StaleUploadError(UploadError):
    """Blob storage refused a URL or block list from an earlier run (likely expired)."""


class _DeadlineError(httpx.TransportError):
    """A request outlived its total deadline (retried like a dropped connection)."""


@dataclass(frozen=True, slots=True)
class UploadLimits:
    """Timeouts and the response size cap of every request.

    ``connect``, ``read`` and ``write`` bound each network step (httpx's
    timeouts: a server that sends nothing for ``read`` seconds is dropped). The
    totals bound a whole request, response body included, so a server trickling
    one byte every few seconds cannot hold the client: past the deadline the
    socket is shut down and the request counts as failed (and is retried).
    Responses larger than ``max_response_bytes`` (after decompression) are refused.

    Parameters
    ----------
    connect, read, write
        Seconds per network step.
    api_total
        Seconds for a whole portal request (initiate, finalize).
    blob_total
        Seconds for a whole blob request (one PUT of up to 64 MB or one block).
    max_response_bytes
        Largest response body read from the portal or the storage.
    """

    connect: float = 15.0
    read: float = 60.0
    write: float = 120.0
    api_total: float = 120.0
    blob_total: float = 900.0
    max_response_bytes: int = 1024 * 1024

    def timeout(self) -> httpx.Timeout:
        """The per-step httpx timeouts."""
        return httpx.Timeout(self.read, connect=self.connect, write=self.write, pool=self.connect)


class UploadProgress(Protocol):
    """Receives progress events (the CLI draws them with rich)."""

    def start_file(self, entry: ManifestFile, done_bytes: int) -> None:
        """A file starts; ``done_bytes`` were already sent by an earlier run."""

    def advance(self, entry: ManifestFile, nbytes: int) -> None:
        """``nbytes`` more bytes of ``entry`` reached storage."""

    def finish_file(self, entry: ManifestFile, status: str) -> None:
        """A file is done (``uploaded`` or ``skipped``)."""


class _NoProgress:
    def start_file(self, entry: ManifestFile, done_bytes: int) -> None:
        """Ignore the event."""

    def advance(self, entry: ManifestFile, nbytes: int) -> None:
        """Ignore the event."""

    def finish_file(self, entry: ManifestFile, status: str) -> None:
        """Ignore the event."""


@dataclass(frozen=True, slots=True)
class PlanItem:
    """What a run will do with one manifest entry.

    Parameters
    ----------
    entry
        The manifest entry.
    path
        The file on disk.
    method
        ``single`` (one PUT) or ``blocks``.
    blocks
        Number of blocks (1 for a single PUT).
    step
        The last finished step recorded in the state file.
    problem
        Why the file cannot be sent (missing, changed size, too large), if so.
    """

    entry: ManifestFile
    path: Path
    method: Literal["single", "blocks"]
    blocks: int
    step: str
    problem: str | None = None

    @property
    def action(self) -> str:
        """``skip``, ``upload``, ``resume`` or ``error``."""
        if self.problem:
            return "error"
        if self.step == "finalized":
            return "skip"
        return "upload" if self.step == "pending" else "resume"


@dataclass(slots=True)
class UploadSummary:
    """What a run did."""

    uploaded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    api_requests: int = 0
    blob_requests: int = 0
    bytes_sent: int = 0


class Uploader:
    """Send the files of an upload folder to a Defender portal.

    Parameters
    ----------
    folder
        The folder holding ``manifest.json`` and the exported files.
    portal
        The tenant's API URL, checked by :func:`validate_portal`.
    report_name
        Snapshot report name, or data source name for continuous uploads.
    snapshot
        Send with ``uploadAsSnapshot`` (a new snapshot report).
    credentials
        Needed by :meth:`run`; :meth:`plan` works without.
    block_size
        Bytes per block for block uploads.
    retry, limiter, clock
        Pacing; the defaults follow Defender's documented limits.
    fresh
        Ignore an existing ``upload-state.json``.
    verify
        Check each file's SHA-256 against the manifest before sending it.
    progress
        Receives progress events.
    transport, timeout
        Passed to :class:`httpx.Client` (``timeout`` overrides the per-step
        timeouts of ``limits``).
    single_put_limit
        Files below this size go in one PUT.
    limits
        Timeouts, total deadlines and the response size cap (:class:`UploadLimits`).
    """

    def __init__(
        self,
        folder: Path,
        portal: str,
        report_name: str,
        *,
        snapshot: bool = False,
        credentials: Credentials | None = None,
        block_size: int = DEFAULT_BLOCK_SIZE,
        retry: RetryPolicy | None = None,
        limiter: RateLimiter | None = None,
        clock: Clock | None = None,
        fresh: bool = False,
        verify: bool = True,
        progress: UploadProgress | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: httpx.Timeout | None = None,
        single_put_limit: int = SINGLE_PUT_LIMIT,
        limits: UploadLimits | None = None,
    ) -> None:
        if not 64 * 1024 <= block_size <= 100 * 1024 * 1024:
            msg = f"block size {block_size} must be between 64 KiB and 100 MiB"
            raise ConfigError(msg)
        self.folder = folder
        self.portal = validate_portal(portal)
        self.report_name = validate_report_name(report_name)
        self.snapshot = snapshot
        self.credentials = credentials
        self.block_size = block_size
        self.single_put_limit = single_put_limit
        self.clock: Clock = clock or SystemClock()
        self.retry = retry or RetryPolicy()
        self.limiter = limiter or RateLimiter(clock=self.clock)
        self.fresh = fresh
        self.verify = verify
        self.progress: UploadProgress = progress or _NoProgress()
        self._transport = transport
        self.limits = limits or UploadLimits()
        self._timeout = timeout or self.limits.timeout()
        self.manifest: Manifest = load_manifest(folder)
        self._loopback = httpx.URL(self.portal).host in LOOPBACK_HOSTS
        self._client: httpx.Client | None = None
        self._summary = UploadSummary()

    # -- planning -----------------------------------------------------------------

    def _open_state(self, *, persist: bool) -> UploadState:
        state = UploadState.open(
            self.folder / STATE_NAME,
            portal=self.portal,
            report_name=self.report_name,
            snapshot=self.snapshot,
            fresh=self.fresh,
        )
        if not persist:
            state.path = None
        return state

    def plan(self) -> list[PlanItem]:
        """Describe what :meth:`run` would do, without any network access."""
        return self._plan(self._open_state(persist=False))

    def _plan(self, state: UploadState) -> list[PlanItem]:
        items = []
        for entry in self.manifest.files:
            path = entry.resolve(self.folder)
            saved = state.files.get(entry.path)
            if saved is None or saved.sha256 != entry.sha256:
                saved = None
            step = saved.step if saved else "pending"
            size = (saved.block_size if saved else None) or self.block_size
            blocks = -(-entry.bytes // size) if entry.bytes else 1
            method: Literal["single", "blocks"] = "single"
            if entry.bytes >= self.single_put_limit:
                method = "blocks"
            else:
                blocks = 1
            problem = None
            if step != "finalized":
                problem = _file_problem(entry, path, blocks)
            items.append(PlanItem(entry, path, method, blocks, step, problem))
        return items

    # -- running ------------------------------------------------------------------

    def run(self) -> UploadSummary:
        """Upload every file that is not finalized yet.

        Raises
        ------
        ConfigError
            Missing credentials or a state file for another target.
        InputError
            A file is missing, changed since export, or too large.
        UploadAuthError
            The portal rejected the credentials.
        UploadError
            A request kept failing after all retries, or was refused.
        """
        if self.credentials is None:
            self.credentials = Credentials.from_env()
        state = self._open_state(persist=True)
        items = self._plan(state)
        problems = [f"{i.entry.path}: {i.problem}" for i in items if i.problem]
        if problems:
            msg = "cannot upload: " + "; ".join(problems)
            raise InputError(msg)
        self._summary = UploadSummary()
        state.save()
        with (
            _redacted_http_logs(self.credentials),
            httpx.Client(
                transport=self._transport,
                timeout=self._timeout,
                follow_redirects=False,
                trust_env=not self._loopback,
                headers={"User-Agent": "shadowlens-upload"},
                # a fresh connection per request: its socket is known, so a deadline can cut it
                limits=httpx.Limits(max_keepalive_connections=0),
            ) as client,
        ):
            self._client = client
            try:
                for item in items:
                    self._run_item(item, state)
            except UploadError as err:
                # last guard: no message leaves with the token in any encoding
                err.args = tuple(self._redact(str(arg)) for arg in err.args)
                raise
            finally:
                self._client = None
        return self._summary

    def _run_item(self, item: PlanItem, state: UploadState) -> None:
        entry = item.entry
        fs = state.for_file(entry)
        if fs.finalized:
            log.info("%s: already finalized, skipping", entry.path)
            self._summary.skipped.append(entry.path)
            self.progress.finish_file(entry, "skipped")
            return
        if self.verify and not fs.committed:
            _verify_sha256(entry, item.path)
        resumed = fs.url is not None
        try:
            self._send_file(item, fs, state)
        except _StaleUploadError as err:
            if not resumed:
                raise
            log.warning("%s: %s; starting this file again", entry.path, err)
            fs = state.restart(entry)
            state.save()
            self._send_file(item, fs, state)
        self._summary.uploaded.append(entry.path)
        self.progress.finish_file(entry, "uploaded")

    def _send_file(self, item: PlanItem, fs: FileState, state: UploadState) -> None:
        entry = item.entry
        done = sum(block_len(entry.bytes, self._block_size(fs), i) for i in fs.blocks_done)
        self.progress.start_file(entry, entry.bytes if fs.committed else done)
        if fs.url is None:
            fs.url, fs.provider = self._initiate(entry)
            state.save()
        if not fs.committed:
            if item.method == "blocks" and fs.provider != "aws":
                fs.block_size = self._block_size(fs)
                self._put_blocks(item, fs, state)
                self._commit_blocks(item, fs)
            else:
                self._put_single(item, fs.url, aws=fs.provider == "aws")
                self.progress.advance(entry, entry.bytes)
            fs.committed = True
            state.save()
        self._finalize(entry, fs.url)
        fs.finalized = True
        state.save()

    def _block_size(self, fs: FileState) -> int:
        return fs.block_size or self.block_size

    # -- portal API -----------------------------------------------------------------

    def _initiate(self, entry: ManifestFile) -> tuple[str, str]:
        query = urlencode({"filename": entry.name, "source": entry.source})
        url = f"{self.portal}/api/v1/discovery/upload_url/?{query}"
        response = self._api("GET", url, what=f"initiate {entry.path}")
        try:
            data = response.json()
            blob_url, provider = data["url"], str(data.get("provider") or "azure").lower()
            if not isinstance(blob_url, str):
                raise TypeError(blob_url)
        except (ValueError, KeyError, TypeError, AttributeError):
            msg = f"the portal {self.portal} answered the initiate call for {entry.path!r} without an upload URL"
            raise UploadError(msg) from None
        self._check_blob_url(blob_url)
        log.info("%s: initiated upload to %s", entry.path, display_url(blob_url))
        return blob_url, provider

    def _finalize(self, entry: ManifestFile, blob_url: str) -> None:
        body = {
            "uploadUrl": blob_url,
            "inputStreamName": self.report_name,
            "uploadAsSnapshot": self.snapshot,
        }
        url = f"{self.portal}/api/v1/discovery/done_upload/"
        response = self._api("POST", url, what=f"finalize {entry.path}", json=body)
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            # a captive portal, a proxy page or a wrong URL answers 200 with HTML: that is
            # no proof the upload was accepted
            kind = response.headers.get("Content-Type", "no content type").split(";")[0]
            msg = (
                f"the portal {self.portal} answered the finalize call for {entry.path!r} "
                f"with HTTP {response.status_code} but not a JSON object ({kind}); "
                "the upload is not confirmed"
            )
            raise UploadError(self._redact(msg))
        if data.get("success") is not True and ("success" in data or "error" in data):
            detail = self._redact(str(data.get("message") or data.get("error") or data))[:300]
            msg = f"the portal {self.portal} refused to finalize {entry.path!r}: {detail}"
            raise UploadError(msg)
        log.info("%s: finalized as %r", entry.path, self.report_name)

    def _api(
        self, method: str, url: str, *, what: str, json: object | None = None
    ) -> httpx.Response:
        assert self.credentials is not None  # set by run()
        headers = {"Authorization": self.credentials.header(), "Accept": "application/json"}

        def build() -> httpx.Request:
            return self._http.build_request(method, url, headers=headers, json=json)

        response = self._send(build, what=what, api=True)
        if response.status_code in (401, 403):
            msg = (
                f"the portal {self.portal} rejected the credentials from {TOKEN_ENV} "
                f"(HTTP {response.status_code}); check that the token is valid, not expired "
                "and allowed to upload discovery logs (Discovery.manage)"
            )
            raise UploadAuthError(msg)
        self._expect_success(response, what)
        return response

    # -- blob storage ---------------------------------------------------------------

    def _put_single(self, item: PlanItem, blob_url: str, *, aws: bool) -> None:
        headers = {"Content-Length": str(item.entry.bytes)}
        if not aws:
            headers["x-ms-blob-type"] = "BlockBlob"

        def build() -> httpx.Request:
            content = read_range(item.path, 0, item.entry.bytes)
            return self._http.build_request("PUT", blob_url, headers=headers, content=content)

        self._blob(build, what=f"upload {item.entry.path}")
        self._summary.bytes_sent += item.entry.bytes

    def _put_blocks(self, item: PlanItem, fs: FileState, state: UploadState) -> None:
        assert fs.url is not None
        assert fs.block_size is not None
        size, count = fs.block_size, -(-item.entry.bytes // fs.block_size)
        for index in range(count):
            if index in fs.blocks_done:
                continue
            length = block_len(item.entry.bytes, size, index)
            url = add_query(fs.url, comp="block", blockid=block_id(index))

            def build(url: str = url, index: int = index, length: int = length) -> httpx.Request:
                content = read_range(item.path, index * size, length)
                headers = {"Content-Length": str(length)}
                return self._http.build_request("PUT", url, headers=headers, content=content)

            self._blob(build, what=f"upload block {index + 1}/{count} of {item.entry.path}")
            fs.blocks_done.add(index)
            state.save()
            self._summary.bytes_sent += length
            self.progress.advance(item.entry, length)

    def _commit_blocks(self, item: PlanItem, fs: FileState) -> None:
        assert fs.url is not None
        assert fs.block_size is not None
        count = -(-item.entry.bytes // fs.block_size)
        ids = "".join(f"<Latest>{block_id(i)}</Latest>" for i in range(count))
        body = f'<?xml version="1.0" encoding="utf-8"?><BlockList>{ids}</BlockList>'.encode()
        url = add_query(fs.url, comp="blocklist")
        headers = {"Content-Type": "application/xml"}

        def build() -> httpx.Request:
            return self._http.build_request("PUT", url, headers=headers, content=body)

        self._blob(build, what=f"commit the blocks of {item.entry.path}")

    def _blob(self, build: Callable[[], httpx.Request], *, what: str) -> None:
        response = self._send(build, what=what, api=False)
        status = response.status_code
        if status in (403, 404) or (status == 400 and b"InvalidBlockList" in response.content):
            msg = f"blob storage refused to {what} (HTTP {status}); the upload URL may have expired"
            raise _StaleUploadError(msg)
        self._expect_success(response, what)

    def _check_blob_url(self, blob_url: str) -> None:
        try:
            parsed = httpx.URL(blob_url)
        except httpx.InvalidURL:
            parsed = None
        if parsed is None or not parsed.host:
            msg = f"the portal {self.portal} returned an unusable upload URL"
            raise UploadError(msg)
        if parsed.scheme != "https" and not (self._loopback and parsed.scheme == "http"):
            msg = f"the portal {self.portal} returned a non-https upload URL; refusing to send"
            raise UploadError(msg)

    # -- HTTP plumbing ----------------------------------------------------------------

    @property
    def _http(self) -> httpx.Client:
        if self._client is None:
            msg = "the HTTP client is only available inside run()"
            raise RuntimeError(msg)
        return self._client

    def _send(self, build: Callable[[], httpx.Request], *, what: str, api: bool) -> httpx.Response:
        attempts = self.retry.max_attempts
        for attempt in range(1, attempts + 1):
            if api:
                self.limiter.acquire()
                self._summary.api_requests += 1
            else:
                self._summary.blob_requests += 1
            retry_after = None
            try:
                total = self.limits.api_total if api else self.limits.blob_total
                response = self._exchange(build(), total)
            except httpx.TransportError as err:
                failure = f"{type(err).__name__}: {self._redact(str(err)) or 'connection failed'}"
            else:
                if response.status_code != 429 and response.status_code < 500:
                    return response
                failure = f"HTTP {response.status_code}"
                retry_after = _retry_after(response)
            if attempt == attempts:
                msg = f"could not {what} after {attempts} attempts (last: {failure})"
                raise UploadError(msg)
            delay = self.retry.delay(attempt, retry_after)
            log.warning(
                "%s: %s; retry %d of %d in %.1fs", what, failure, attempt, attempts - 1, delay
            )
            self.clock.sleep(delay)
        msg = "unreachable"
        raise AssertionError(msg)  # pragma: no cover

    def _exchange(self, request: httpx.Request, total: float) -> httpx.Response:
        """Send ``request`` and read its body within ``total`` seconds and the size cap.

        The sockets of the request's connection are caught through httpx's ``trace``
        extension; a timer shuts them down at the deadline, which wakes a read or
        write blocked on a slow server.
        """
        sockets: list[socket.socket] = []

        def trace(event: str, info: dict[str, Any]) -> None:
            if event in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
                stream = info.get("return_value")
                sock = stream.get_extra_info("socket") if stream is not None else None
                if isinstance(sock, socket.socket):
                    sockets.append(sock)

        expired = threading.Event()

        def cut() -> None:
            expired.set()
            for sock in sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

        request.extensions = {**request.extensions, "trace": trace}
        timer = threading.Timer(total, cut)
        timer.daemon = True
        timer.start()
        cap = self.limits.max_response_bytes
        try:
            response = self._http.send(request, stream=True)
            try:
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > cap:
                        msg = (
                            f"the response to {request.method} {display_url(str(request.url))} "
                            f"is larger than {cap:,} bytes; refusing to read more"
                        )
                        raise UploadError(msg)
                    if expired.is_set():
                        break
            finally:
                response.close()
            if expired.is_set():
                raise _DeadlineError(_deadline_message(request, total))
        except httpx.TransportError as err:
            if expired.is_set() and not isinstance(err, _DeadlineError):
                raise _DeadlineError(_deadline_message(request, total)) from None
            raise
        finally:
            timer.cancel()
        # the body is decoded already: drop the headers that describe the wire form
        headers = [
            (k, v)
            for k, v in response.headers.multi_items()
            if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")
        ]
        return httpx.Response(
            response.status_code, headers=headers, content=bytes(body), request=request
        )

    def _expect_success(self, response: httpx.Response, what: str) -> None:
        if response.is_success:
            return
        if response.is_redirect:
            msg = f"could not {what}: unexpected redirect (HTTP {response.status_code}); use the API URL from the portal's Settings > About page"
            raise UploadError(msg)
        detail = self._redact(response.text.strip())[:300]
        msg = f"could not {what}: HTTP {response.status_code} {detail}".rstrip()
        raise UploadError(msg)

    def _redact(self, text: str) -> str:
        return self.credentials.redact(text) if self.credentials else text


#: Loggers of httpx and httpcore: at DEBUG they print response headers, which a
#: careless server may fill with the Authorization header it received.
_HTTP_LOGGERS = (
    "httpx",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
)


class _RedactFilter(logging.Filter):
    """Rewrite each log record of the HTTP libraries with the token masked."""

    def __init__(self, credentials: Credentials) -> None:
        super().__init__()
        self.credentials = credentials

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        masked = self.credentials.redact(text)
        if masked != text:
            record.msg, record.args = masked, None
        return True


@contextlib.contextmanager
def _redacted_http_logs(credentials: Credentials) -> Iterator[None]:
    """Mask the token in the records of :data:`_HTTP_LOGGERS` while uploading."""
    redact = _RedactFilter(credentials)
    loggers = [logging.getLogger(name) for name in _HTTP_LOGGERS]
    for logger in loggers:
        logger.addFilter(redact)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(redact)


def _deadline_message(request: httpx.Request, total: float) -> str:
    return (
        f"no complete answer to {request.method} {display_url(str(request.url))} within {total:g} s"
    )


def _retry_after(response: httpx.Response) -> float | None:
    return parse_retry_after(response.headers.get("Retry-After"))


def _file_problem(entry: ManifestFile, path: Path, blocks: int) -> str | None:
    if entry.bytes > MAX_API_FILE_BYTES:
        return "larger than the 5 GB the upload API accepts; export with a smaller split size"
    if blocks > MAX_BLOCKS:
        return f"needs {blocks} blocks, more than Azure's {MAX_BLOCKS}; use larger blocks"
    try:
        size = path.stat().st_size
    except OSError:
        return "file not found"
    if size != entry.bytes:
        return f"size is {size} bytes but the manifest says {entry.bytes}; re-export"
    return None


def _verify_sha256(entry: ManifestFile, path: Path) -> None:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    if digest.hexdigest() != entry.sha256:
        msg = f"{entry.path}: SHA-256 differs from the manifest (file changed after export)"
        raise InputError(msg)
