"""``shadowlens formats show`` and the ``[[examples]]`` check on real spec files."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest

from shadowlens.plugins.specs import format_from_file
from shadowlens.spec.authoring import check_examples, is_spec_path, same_value

ACME_SPEC = Path(__file__).resolve().parent / "acme" / "acme.toml"


# -- formats show ---------------------------------------------------------------------------


def test_show_cef_is_a_readable_field_table(cli) -> None:  # type: ignore[no-untyped-def]
    done = cli("formats", "show", "cef")
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert text.startswith("cef: ArcSight Common Event Format")
    assert "plugin:   shadowlens.formats.cef" in text
    assert "record layout" in text
    assert "pairs:   extension: one KV_PAIR per pair" in text
    # The field table: column <- source, type, conditions, quirk, settings.
    table = text[text.index("field table") : text.index("\nquirks")]
    assert re.search(r"src_ip\s+<-\s+src\s+ip", table)
    assert re.search(
        r"bytes_up\s+<-\s+out\s+int\s+device_vendor = Zscaler and cs6Label !~ "
        r"/\^shadowlens-export\$/\s+zscaler-byte-direction",
        table,
    )
    assert re.search(r"^\s+<-\s+in\s+int\s*$", table, re.M)  # the quirk's fallback row
    assert re.search(r"event_time\s+<-\s+rt\s+timestamp\s+formats %B %d %y", table)
    quirks = text[text.index("\nquirks") : text.index("\noptions")]
    assert "zscaler-byte-direction: when device_vendor = Zscaler and cs6Label" in quirks
    assert "because Zscaler's NSS CEF feed template" in quirks
    example = text[text.index("example (1 of 1") :]
    assert re.search(r"dst_host\s+files\.example\.com", example)
    assert re.search(r"event_time\s+2025-11-26T10:15:02\+00:00", example)
    assert "extras:" in example


def test_show_a_spec_path(cli) -> None:  # type: ignore[no-untyped-def]
    spec = "tests/spec/acme/acme.toml"
    done = cli("formats", "show", spec)
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert text.startswith("acme-proxy: Acme proxy access log, pipe-delimited")
    assert f"plugin:   file:{spec}" in text
    assert "null:     '-'" in text
    assert "fields:  time, client, user, method, url, status, sent, received, verdict" in text
    assert re.search(r"event_time\s+<-\s+time\s+timestamp\s+formats %Y-%m-%dT%H:%M:%S%z", text)
    assert re.search(r"dst_host\s+<-\s+url\s+url_host", text)
    assert "quirks\n  (none)" in text
    assert "options\n  (none)" in text
    example = text[text.index("example (1 of 1") :]
    assert re.search(r"event_time\s+2025-11-26T09:15:02\+00:00", example)
    assert re.search(r"bytes_up\s+5120", example)
    assert re.search(r"action\s+allowed", example)
    assert "extras: (none)" in example


def test_show_json_gives_the_facts(cli) -> None:  # type: ignore[no-untyped-def]
    done = cli("formats", "show", str(ACME_SPEC), "--json")
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)
    assert info["plugin"] == f"file:{ACME_SPEC}"
    assert info["name"] == "acme-proxy"
    assert info["table"]["bytes_up"] == ["sent (int)"]
    assert info["null"] == ["-"]


def test_show_a_format_registered_by_format_file(cli) -> None:  # type: ignore[no-untyped-def]
    for args in (
        ("formats", "show", "acme-proxy", "--format-file", str(ACME_SPEC)),
        ("formats", "--format-file", str(ACME_SPEC), "show", "acme-proxy"),
        ("formats", "show", "acme-proxy", "--formats-dir", str(ACME_SPEC.parent)),
    ):
        done = cli(*args)
        assert done.returncode == 0, (args, done.stderr)
        assert f"plugin:   file:{ACME_SPEC}" in done.stdout


def test_show_spec_errors_keep_their_exit_code(cli, broken_spec) -> None:  # type: ignore[no-untyped-def]
    done = cli("formats", "show", str(broken_spec.spec))
    assert done.returncode == broken_spec.cause.exit_code
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    for needle in broken_spec.where:
        assert needle in done.stderr


def test_show_an_unknown_name(cli) -> None:  # type: ignore[no-untyped-def]
    done = cli("formats", "show", "acme-proxy")
    assert done.returncode == 2
    assert "unknown format 'acme-proxy'" in done.stderr


@pytest.mark.parametrize(
    ("text", "is_path"),
    [("cef", False), ("acme.toml", True), ("specs/acme", True), ("acme-proxy", False)],
)
def test_a_name_or_a_path(text: str, is_path: bool) -> None:
    assert is_spec_path(text) is is_path


def test_examples_that_expect_a_quarantine_or_extras(acme_dir: Path) -> None:
    spec = acme_dir / "acme.toml"
    with spec.open("a", encoding="utf-8") as fh:
        fh.write(
            '\n[[examples]]\nline = "a|b"\nquarantined = "unexpected_end"\n'
            '\n[[examples]]\nline = "a|b"\nquarantined = "syntax"\n'
            '\n[[examples]]\nline = "2025-11-26T10:15:02+0100|h|u|GET|http://x.org/|200|1|2|ok"\n'
            'quarantined = "syntax"\n'
            '\n[[examples]]\nline = "2025-11-26T10:15:02+0100|h|u|GET|http://x.org/|200|1|2|ok"\n'
            "expect = { extras = { nothing = 'here' }, url = 'http://x.org/' }\n"
        )
    checks = check_examples(format_from_file(spec))
    assert [c.ok for c in checks] == [True, True, False, False, False]
    assert checks[2].problems == ("quarantined as 'unexpected_end', expected 'syntax'",)
    assert checks[3].problems == ("gave a record; expected quarantined as 'syntax'",)
    assert checks[4].problems == ("extras['nothing']: expected 'here', got None",)


# -- comparing expected values ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("got", "expected", "same"),
    [
        (dt.datetime(2025, 11, 26, 9, 15, 2, tzinfo=dt.UTC), "2025-11-26T09:15:02+00:00", True),
        (dt.datetime(2025, 11, 26, 9, 15, 2, tzinfo=dt.UTC), "2025-11-26T09:15:02Z", True),
        (dt.datetime(2025, 11, 26, 9, 15, 2, tzinfo=dt.UTC), "2025-11-26T10:15:02+01:00", True),
        (
            dt.datetime(2025, 11, 26, 9, 15, 2, tzinfo=dt.UTC),
            dt.datetime(2025, 11, 26, 9, 15, 2),
            True,
        ),
        (dt.datetime(2025, 11, 26, 9, 15, 2, tzinfo=dt.UTC), "2025-11-26T09:15:03Z", False),
        (dt.datetime(2025, 11, 26, 9, 15, 2, tzinfo=dt.UTC), "not a time", False),
        (5120, 5120, True),
        (0.5, 0.5000000000001, True),
        (200, "200", True),
        (True, True, True),
        (False, "true", False),
        ("allowed", "allowed", True),
        (None, "x", False),
    ],
)
def test_same_value(got: Any, expected: Any, same: bool) -> None:
    assert same_value(got, expected) is same
