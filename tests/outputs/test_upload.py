"""The Defender upload client against a real local HTTP server."""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable
from pathlib import Path

import pytest
from mdca_server import BIG_SIZE, FakeClock, MdcaServer

from cli_harness import invoke_cli
from shadowlens.errors import ConfigError, ExitCode, InputError
from shadowlens.outputs.manifest import load_manifest
from shadowlens.outputs.mdca import Credentials, UploadAuthError, UploadError, validate_portal
from shadowlens.outputs.ratelimit import RateLimiter, RetryPolicy, parse_retry_after
from shadowlens.outputs.upload import Uploader

Folder = Callable[..., Path]
MakeUploader = Callable[..., Uploader]

BLOCKS = -(-BIG_SIZE // (4 * 1024 * 1024))


def state_of(folder: Path) -> dict[str, dict[str, object]]:
    data = json.loads((folder / "upload-state.json").read_text())
    files: dict[str, dict[str, object]] = data["files"]
    return files


def test_small_files_take_three_calls_each(
    upload_folder: Folder, make_uploader: MakeUploader, mdca_server: MdcaServer, mdca_token: str
) -> None:
    folder = upload_folder(3)
    summary = make_uploader(folder).run()

    assert summary.uploaded == ["cef-0001.log", "cef-0002.log", "cef-0003.log"]
    assert mdca_server.kinds() == ["initiate", "put", "finalize"] * 3
    manifest = load_manifest(folder)
    committed = mdca_server.committed()
    for entry in manifest.files:
        assert committed[entry.name].sha256 == entry.sha256
        assert committed[entry.name].source == "GENERIC_CEF"
    assert mdca_server.finalized_files() == [e.name for e in manifest.files]
    assert all(f["inputStreamName"] == "q3-snapshot" for f in mdca_server.finalized)
    assert all(f["uploadAsSnapshot"] is True for f in mdca_server.finalized)
    api = [r for r in mdca_server.requests if r.kind in ("initiate", "finalize")]
    assert {r.authorization for r in api} == {f"Token {mdca_token}"}
    assert mdca_server.violations == []
    assert all(s["finalized"] for s in state_of(folder).values())


def test_big_file_goes_in_blocks_and_survives_faults(
    upload_folder: Folder, make_uploader: MakeUploader, mdca_server: MdcaServer
) -> None:
    folder = upload_folder(0, big=True)
    mdca_server.fail("block", drop=True, skip=2)
    mdca_server.fail("block", status=503, skip=5)
    mdca_server.fail("blocklist", status=500)

    make_uploader(folder).run()

    kinds = mdca_server.kinds()
    assert "put" not in kinds
    assert kinds.count("block") == BLOCKS + 2
    assert kinds[-3:] == ["blocklist", "blocklist", "finalize"]
    blob = mdca_server.committed()["big-0001.log"]
    assert blob.size == BIG_SIZE
    assert blob.sha256 == load_manifest(folder).files[0].sha256
    assert len({len(b) for b in blob.block_puts}) == 1


@pytest.mark.parametrize("kind", ["initiate", "put", "finalize"])
@pytest.mark.parametrize("fault", ["500", "drop"])
def test_transient_failure_is_retried(
    upload_folder: Folder,
    make_uploader: MakeUploader,
    mdca_server: MdcaServer,
    fake_clock: FakeClock,
    kind: str,
    fault: str,
) -> None:
    folder = upload_folder(1)
    if fault == "drop":
        mdca_server.fail(kind, drop=True)  # type: ignore[arg-type]
    else:
        mdca_server.fail(kind, status=500)  # type: ignore[arg-type]

    make_uploader(folder).run()

    assert mdca_server.kinds().count(kind) == 2
    assert mdca_server.finalized_files() == ["cef-0001.log"]
    assert len(fake_clock.sleeps) == 1
    assert 0.25 <= fake_clock.sleeps[0] <= 0.5


def test_429_honours_retry_after(
    upload_folder: Folder,
    make_uploader: MakeUploader,
    mdca_server: MdcaServer,
    fake_clock: FakeClock,
) -> None:
    folder = upload_folder(1)
    mdca_server.fail("initiate", status=429, retry_after="7")

    make_uploader(folder).run()

    assert mdca_server.kinds() == ["initiate", "initiate", "put", "finalize"]
    assert fake_clock.sleeps == [7.0]


def test_gives_up_after_bounded_attempts(
    upload_folder: Folder,
    make_uploader: MakeUploader,
    mdca_server: MdcaServer,
    fake_clock: FakeClock,
) -> None:
    folder = upload_folder(1)
    mdca_server.fail("put", status=500, times=99)

    with pytest.raises(UploadError, match=r"after 4 attempts \(last: HTTP 500\)"):
        make_uploader(folder).run()
    assert mdca_server.kinds() == ["initiate", "put", "put", "put", "put"]
    assert len(fake_clock.sleeps) == 3
    assert fake_clock.sleeps == sorted(fake_clock.sleeps)


def test_wrong_token_fails_fast(
    upload_folder: Folder,
    make_uploader: MakeUploader,
    mdca_server: MdcaServer,
    fake_clock: FakeClock,
) -> None:
    folder = upload_folder(2)
    with pytest.raises(UploadAuthError) as caught:
        make_uploader(folder, credentials=Credentials("not-the-right-token")).run()

    message = str(caught.value)
    assert mdca_server.url in message
    assert "HTTP 401" in message
    assert "SHADOWLENS_MDCA_TOKEN" in message
    assert "not-the-right-token" not in message
    assert mdca_server.kinds() == ["initiate"]
    assert fake_clock.sleeps == []


def test_bearer_scheme_from_environment(
    upload_folder: Folder, make_uploader: MakeUploader, mdca_server: MdcaServer, mdca_token: str
) -> None:
    mdca_server.scheme = "Bearer"
    env = {"SHADOWLENS_MDCA_TOKEN": mdca_token, "SHADOWLENS_MDCA_AUTH": "bearer"}
    make_uploader(upload_folder(1), credentials=Credentials.from_env(env)).run()
    assert mdca_server.requests[0].authorization == f"Bearer {mdca_token}"


def test_interrupted_run_resumes_with_the_rest(
    upload_folder: Folder, make_uploader: MakeUploader, mdca_server: MdcaServer
) -> None:
    folder = upload_folder(4)
    mdca_server.fail("initiate", status=500, times=4, filename="cef-0003.log")
    with pytest.raises(UploadError, match=r"initiate cef-0003\.log"):
        make_uploader(folder).run()
    state = state_of(folder)
    assert [name for name, s in state.items() if s["finalized"]] == ["cef-0001.log", "cef-0002.log"]
    seen = len(mdca_server.requests)

    summary = make_uploader(folder).run()

    rerun = mdca_server.requests[seen:]
    assert [r.kind for r in rerun] == ["initiate", "put", "finalize"] * 2
    assert [r.query.get("filename") for r in rerun if r.kind == "initiate"] == [
        "cef-0003.log",
        "cef-0004.log",
    ]
    assert summary.skipped == ["cef-0001.log", "cef-0002.log"]
    assert summary.uploaded == ["cef-0003.log", "cef-0004.log"]
    assert mdca_server.finalized_files() == [f"cef-000{i}.log" for i in range(1, 5)]


def test_big_file_resumes_after_the_last_stored_block(
    upload_folder: Folder, make_uploader: MakeUploader, mdca_server: MdcaServer
) -> None:
    folder = upload_folder(0, big=True)
    mdca_server.fail("block", status=500, skip=5, times=4)
    with pytest.raises(UploadError, match="block 6/17"):
        make_uploader(folder).run()
    assert state_of(folder)["big-0001.log"]["blocks_done"] == [0, 1, 2, 3, 4]
    seen = len(mdca_server.requests)

    make_uploader(folder).run()

    rerun = mdca_server.requests[seen:]
    assert [r.kind for r in rerun] == ["block"] * (BLOCKS - 5) + ["blocklist", "finalize"]
    blob = mdca_server.committed()["big-0001.log"]
    assert blob.sha256 == load_manifest(folder).files[0].sha256


def test_expired_upload_url_restarts_the_file(
    upload_folder: Folder, make_uploader: MakeUploader, mdca_server: MdcaServer
) -> None:
    folder = upload_folder(1)
    mdca_server.fail("put", status=500, times=4)
    with pytest.raises(UploadError):
        make_uploader(folder).run()
    mdca_server.expire_all()

    make_uploader(folder).run()

    assert mdca_server.kinds()[5:] == ["put", "initiate", "put", "finalize"]
    assert mdca_server.finalized_files() == ["cef-0001.log"]


def test_dry_run_sends_nothing(
    upload_folder: Folder, mdca_server: MdcaServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SHADOWLENS_MDCA_TOKEN", raising=False)
    folder = upload_folder(2, big=True)
    args = [str(folder), "--portal", mdca_server.url, "--report-name", "q3", "--dry-run"]

    result = invoke_cli("upload", *args)

    assert result.exit_code == 0, result.output
    assert mdca_server.requests == []
    assert "nothing was sent" in result.output
    assert "cef-0002.log" in result.output
    assert f"{BLOCKS} blocks" in result.output
    assert not (folder / "upload-state.json").exists()


def test_cli_uploads_and_reports(
    upload_folder: Folder, mdca_server: MdcaServer, mdca_token: str
) -> None:
    folder = upload_folder(2)
    args = [str(folder), "--portal", mdca_server.url, "--report-name", "q3", "--snapshot"]

    result = invoke_cli("upload", *args, env={"SHADOWLENS_MDCA_TOKEN": mdca_token})

    assert result.exit_code == 0, result.output
    assert "uploaded: cef-0001.log" in result.output
    assert "uploaded 2 file(s)" in result.output
    again = invoke_cli("upload", *args, env={"SHADOWLENS_MDCA_TOKEN": mdca_token})
    assert "skipped: cef-0002.log" in again.output
    assert len(mdca_server.finalized) == 2


def test_cli_needs_token_and_https(upload_folder: Folder, mdca_server: MdcaServer) -> None:
    folder = upload_folder(1)
    base = [str(folder), "--report-name", "q3"]
    no_token = invoke_cli(
        "upload", *base, "--portal", mdca_server.url, env={"SHADOWLENS_MDCA_TOKEN": ""}
    )
    assert no_token.exit_code == 2
    assert "set SHADOWLENS_MDCA_TOKEN" in no_token.output
    plain_http = invoke_cli("upload", *base, "--portal", "http://tenant.example.com")
    assert plain_http.exit_code == 2
    assert "must use https" in plain_http.output
    assert mdca_server.requests == []


def test_token_never_appears_in_outputs(
    upload_folder: Folder,
    make_uploader: MakeUploader,
    mdca_server: MdcaServer,
    mdca_token: str,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    folder = upload_folder(2)
    mdca_server.fail("initiate", status=429, retry_after="1")
    mdca_server.fail("finalize", drop=True)
    mdca_server.fail("put", status=500, times=99, skip=1)
    with pytest.raises(UploadError) as gave_up:
        make_uploader(folder).run()
    mdca_server.faults.clear()
    env = {"SHADOWLENS_MDCA_TOKEN": mdca_token}
    args = [str(folder), "--portal", mdca_server.url, "--report-name", "q3-snapshot"]
    cli = invoke_cli("upload", *args, "--snapshot", env=env)
    assert cli.exit_code == 0, cli.output
    mdca_server.token = "rotated"  # our token is now wrong: the error path must not leak it
    failed = invoke_cli("upload", *args, "--fresh", env=env)
    assert failed.exit_code == ExitCode.UPLOAD
    assert "rejected the credentials" in failed.output
    uploader = make_uploader(folder)
    captured = capsys.readouterr()

    for text in (
        str(gave_up.value),
        cli.output,
        failed.output,
        caplog.text,
        captured.out,
        captured.err,
        (folder / "upload-state.json").read_text(),
        repr(uploader.credentials),
        repr(uploader.__dict__),
    ):
        assert mdca_token not in text
    assert "retry 1 of 3" in caplog.text


def test_rate_limit_holds_on_the_injected_clock(
    upload_folder: Folder, make_uploader: MakeUploader, mdca_server: MdcaServer
) -> None:
    clock = FakeClock()
    granted: list[float] = []

    class Recording(RateLimiter):
        def acquire(self) -> float:
            waited = super().acquire()
            granted.append(self.clock.monotonic())
            return waited

    folder = upload_folder(20)
    make_uploader(folder, clock=clock, limiter=Recording(clock=clock)).run()

    api_calls = sum(1 for r in mdca_server.requests if r.kind in ("initiate", "finalize"))
    assert len(granted) == api_calls == 40
    assert all(granted[i + 30] - granted[i] >= 60 for i in range(len(granted) - 30))
    assert clock.now - 1_000 >= 60


def test_rate_limiter_windows() -> None:
    clock = FakeClock()
    limiter = RateLimiter(limit=30, period=60, clock=clock)
    times = []
    for step in range(200):
        limiter.acquire()
        times.append(clock.now)
        clock.now += random.Random(step).choice([0.0, 0.1, 3.0])
    for start in times:
        assert sum(1 for t in times if start <= t < start + 60) <= 30
    assert limiter.acquire() >= 0


def test_retry_delays_grow_and_jitter() -> None:
    policy = RetryPolicy(base_delay=1, max_delay=8, rng=random.Random(1))
    for retry, ceiling in [(1, 1), (2, 2), (3, 4), (4, 8), (9, 8)]:
        assert ceiling / 2 <= policy.delay(retry) <= ceiling
    assert policy.delay(1, retry_after=12) == 12
    assert policy.delay(1, retry_after=10_000) == policy.max_retry_after
    assert parse_retry_after("3") == 3
    assert parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2099 07:28:00 GMT") > 1000  # type: ignore[operator]


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://contoso.eu2.portal.cloudappsecurity.com", True),
        ("https://contoso.eu2.portal.cloudappsecurity.com/", True),
        ("http://127.0.0.1:8080", True),
        ("http://localhost:9", True),
        ("http://contoso.eu2.portal.cloudappsecurity.com", False),
        ("https://contoso.example/api", False),
        ("https://contoso.example?x=1", False),
        ("https://user:pw@contoso.example", False),
        ("ftp://contoso.example", False),
        ("contoso.example", False),
    ],
)
def test_portal_validation(url: str, ok: bool) -> None:
    if ok:
        assert validate_portal(url) == url.rstrip("/")
    else:
        with pytest.raises(ConfigError, match="--portal"):
            validate_portal(url)


def test_missing_file_is_reported_before_any_request(
    upload_folder: Folder, make_uploader: MakeUploader, mdca_server: MdcaServer
) -> None:
    folder = upload_folder(2)
    (folder / "cef-0002.log").unlink()
    with pytest.raises(InputError, match=r"cef-0002\.log: file not found"):
        make_uploader(folder).run()
    assert mdca_server.requests == []


def test_changed_file_is_refused(
    upload_folder: Folder, make_uploader: MakeUploader, mdca_server: MdcaServer
) -> None:
    folder = upload_folder(1)
    path = folder / "cef-0001.log"
    data = bytearray(path.read_bytes())
    data[0] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match="SHA-256 differs"):
        make_uploader(folder).run()
    assert mdca_server.requests == []


def test_state_of_another_target_is_refused(
    upload_folder: Folder, make_uploader: MakeUploader, mdca_server: MdcaServer
) -> None:
    folder = upload_folder(1)
    make_uploader(folder).run()
    with pytest.raises(ConfigError, match="--fresh"):
        make_uploader(folder, snapshot=False).run()
    make_uploader(folder, snapshot=False, fresh=True).run()
    assert [f["uploadAsSnapshot"] for f in mdca_server.finalized] == [True, False]
