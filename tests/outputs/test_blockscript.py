"""Block scripts: app selection, validation against injection, every target's template.

Golden files live in ``tests/outputs/golden/blockscript/<target>.txt``; regenerate them with
``SHADOWLENS_UPDATE_GOLDEN=1 pytest tests/outputs/test_blockscript.py`` and review the diff.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cli_harness import Cli, CliResult
from shadowlens import __version__
from shadowlens.enrich.catalog import App, Catalog, load_catalog
from shadowlens.outputs.blockscript import (
    HOSTNAME_RE,
    BlockList,
    Entry,
    Policy,
    build_blocklist,
    check_cidr,
    check_name,
)
from shadowlens.outputs.blockscript_targets import TARGETS, clean_text, render
from shadowlens.schema import RECORD_POLARS_SCHEMA, RECORD_SCHEMA, conform, to_arrow

GOLDEN = Path(__file__).parent / "golden" / "blockscript"
WHEN = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
EPOCH = str(int(WHEN.timestamp()))

OVERLAY = """\
[[app]]
id = "acme-drive"
name = "Acme Drive"
vendor = "Acme"
category = "Cloud storage"
domains = ["acme-drive.example", "acme-files.example"]
hosts = ["upload.partner.example"]
wildcards = ["*.acmecdn.example"]
cidrs = ["203.0.113.0/24", "2001:db8:77::/48", "198.51.100.9/32"]
tags = ["unsanctioned"]

[[app]]
id = "snipshare"
name = "Snip & Share \\"Pro\\"\\n; $(reboot) `id`"
category = "Content sharing"
domains = ["snipshare.test"]
risk = 2

[[app]]
id = "buecher-box"
name = "Bücher Box"
category = "Cloud storage"
domains = ["bücher-box.example"]
tags = ["unsanctioned"]

[[app]]
id = "teamchat"
name = "Team Chat"
category = "Collaboration"
domains = ["teamchat.example"]
hosts = ["chat.acme-drive.example"]
tags = ["sanctioned"]
risk = 2

[[app]]
id = "mystery"
name = "Mystery"
category = "Content sharing"
domains = ["mystery.example"]
"""

HOSTILE_HOSTS = (
    "evil;rm -rf /.acme-drive.example",
    "x\nrm -rf /.acme-drive.example",
    "$(reboot).acme-drive.example",
    "`id`.acme-drive.example",
    "a\"b'c.acme-drive.example",
)

#: (dst_host, dst_ip, times)
TRAFFIC: tuple[tuple[str | None, str | None, int], ...] = (
    ("www.acme-drive.example", None, 3),
    ("files.acme-drive.example", None, 2),
    ("acme-drive.example", None, 1),
    ("chat.acme-drive.example", None, 2),
    ("img.acmecdn.example", None, 1),
    ("upload.partner.example", None, 1),
    (None, "203.0.113.7", 1),
    (None, "2001:db8:77::5", 1),
    ("snipshare.test", None, 1),
    ("teamchat.example", None, 4),
    ("mystery.example", None, 1),
    ("www.dropbox.com", None, 2),
    *((h, None, 1) for h in HOSTILE_HOSTS),
)


def write_records(folder: Path, rows: Sequence[tuple[str | None, str | None]]) -> Path:
    """``folder/records/part-0.parquet`` with these destinations (canonical schema)."""
    n = len(rows)
    frame = pl.DataFrame(
        {
            "event_time": [WHEN] * n,
            "dst_host": [h for h, _ in rows],
            "dst_ip": [i for _, i in rows],
            "source_file": ["proxy.log"] * n,
            "source_line": list(range(1, n + 1)),
        }
    )
    (folder / "records").mkdir(parents=True, exist_ok=True)
    pq.write_table(
        to_arrow(conform(frame, RECORD_POLARS_SCHEMA), RECORD_SCHEMA),
        folder / "records" / "part-0.parquet",
    )
    return folder


@pytest.fixture(autouse=True, scope="module")
def _flat_risk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Every sourced app scores 5 (no weight), so only this file's risks meet the policies."""
    flat = tmp_path_factory.mktemp("weights") / "flat.toml"
    flat.write_text("base = 5\n", encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SHADOWLENS_RISK_WEIGHTS", str(flat))
        yield


def traffic_rows() -> list[tuple[str | None, str | None]]:
    return [(h, i) for h, i, times in TRAFFIC for _ in range(times)]


@pytest.fixture
def overlay(tmp_path: Path) -> Path:
    path = tmp_path / "my-apps.toml"
    path.write_text(OVERLAY, encoding="utf-8")
    return path


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return write_records(tmp_path / "out", traffic_rows())


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Catalog]:
    """One records folder, overlay and catalog for the tests that only read them."""
    root = tmp_path_factory.mktemp("blockscript")
    path = root / "my-apps.toml"
    path.write_text(OVERLAY, encoding="utf-8")
    return write_records(root / "out", traffic_rows()), path, load_catalog([path])


@pytest.fixture(scope="module")
def seen_bl(shared: tuple[Path, Path, Catalog]) -> BlockList:
    out, path, cat = shared
    return build_blocklist(out, cat, Policy(risk_below=5), catalog_files=[str(path)])


@pytest.fixture(scope="module")
def all_bl(shared: tuple[Path, Path, Catalog]) -> BlockList:
    out, path, cat = shared
    return build_blocklist(
        out, cat, Policy(risk_below=5), only_seen=False, catalog_files=[str(path)]
    )


def blocklist(
    out: Path, overlay: Path, *, policy: Policy | None = None, only_seen: bool = True
) -> BlockList:
    return build_blocklist(
        out,
        load_catalog([overlay]),
        policy or Policy(risk_below=5),
        only_seen=only_seen,
        catalog_files=[str(overlay)],
    )


def values(entries: list[Entry]) -> list[str]:
    return [e.value for e in entries]


# --------------------------------------------------------------------------- validation

HOSTILE_NAMES = [
    "evil.example\nrm -rf /",
    "evil.example\rreboot",
    "a.example; reboot",
    "a.example && reboot",
    "b.example' or '1",
    'b.example"',
    "$(reboot).example",
    "${IFS}.example",
    "`id`.example",
    "a.example|sh",
    "a b.example",
    "a.example\x00",
    "a.example#",
    "-lead.example",
    "trail-.example",
    "under_score.example",
    "a..example",
    ".example",
    "*.example.com",
    "x" * 64 + ".example",
    ".".join(["a" * 60] * 5) + ".example",
    "example.123",
    "192.0.2.1",
    "com",
    "co.uk",
    "xn--zz.example",
    "☃\u200b.example",
]


@pytest.mark.parametrize("value", HOSTILE_NAMES)
def test_check_name_rejects_hostile_and_malformed(value: str) -> None:
    normalized, reason = check_name(value)
    assert normalized is None
    assert reason


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Dropbox.COM", "dropbox.com"),
        ("files.dropbox.com.", "files.dropbox.com"),
        ("pаypal.com", "xn--pypal-4ve.com"),  # Cyrillic 'а': a homoglyph, not paypal.com
        ("bücher.example", "xn--bcher-kva.example"),
        ("ＥＸＡＭＰＬＥ．ｃｏｍ".replace("．", "."), "example.com"),  # full-width folds
        ("github.io", "github.io"),  # a private suffix is a real service
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
    ],
)
def test_check_name_normalizes(value: str, expected: str) -> None:
    assert check_name(value) == (expected, None)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_check_name_output_is_always_strict(text: str) -> None:
    normalized, reason = check_name(text)
    if normalized is None:
        assert reason
    else:
        assert HOSTNAME_RE.fullmatch(normalized)
        assert re.fullmatch(r"[a-z0-9.-]+", normalized)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("203.0.113.7/24", "203.0.113.0/24"),
        ("2001:DB8::/32", "2001:db8::/32"),
        ("198.51.100.9", "198.51.100.9/32"),
        ("0.0.0.0/0", None),
        ("10.0.0.0/7", None),
        ("127.0.0.0/8", None),
        ("224.0.0.0/8", None),
        ("fe80::/64", None),
        ("203.0.113.0/24; reboot", None),
        ("203.0.113.0/24\nreboot", None),
        ("nope", None),
    ],
)
def test_check_cidr(value: str, expected: str | None) -> None:
    assert check_cidr(value)[0] == expected


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_clean_text_is_inert(text: str) -> None:
    cleaned = clean_text(text)
    assert re.fullmatch(r"[A-Za-z0-9 .,:()+&@/_-]*", cleaned)
    assert len(cleaned) <= 60


# --------------------------------------------------------------------------- policy


def _app(tags: tuple[str, ...] = (), risk: int | None = None, category: str = "CRM") -> App:
    return App("x", "X", category=category, tags=tags, risk=risk)


def test_policy_selection() -> None:
    risk = Policy(risk_below=5)
    assert risk.reason(_app(("unsanctioned",))) == "tagged unsanctioned"
    assert risk.reason(_app(risk=4)) == "risk 4 below 5"
    assert risk.reason(_app(risk=5)) is None
    assert risk.reason(_app(risk=None)) is None  # unassessed apps never match a risk policy
    assert risk.reason(_app(("sanctioned",), risk=1)) is None  # sanctioned is exempt
    cat = Policy(categories=("cloud STORAGE",))
    assert cat.reason(_app(category="Cloud storage")) == "category Cloud storage"
    assert cat.reason(_app(category="CRM")) is None
    both = Policy(risk_below=6, categories=("Cloud storage",))
    assert both.reason(_app(risk=3, category="Cloud storage")) is not None
    assert both.reason(_app(risk=3, category="CRM")) is None  # both must hold
    assert Policy().reason(_app(risk=0)) is None  # no policy: tags only


def test_policy_on_catalog(shared: tuple[Path, Path, Catalog], all_bl: BlockList) -> None:
    out, _, cat = shared
    tags_only = build_blocklist(out, cat, Policy(), only_seen=False)
    assert sorted(tags_only.apps) == ["acme-drive", "buecher-box"]
    assert sorted(all_bl.apps) == ["acme-drive", "buecher-box", "snipshare"]
    storage = build_blocklist(out, cat, Policy(categories=("Cloud storage",)))
    assert {"acme-drive", "buecher-box", "dropbox", "mega"} <= set(storage.apps)
    assert "teamchat" not in storage.apps
    assert values(storage.entries)[0] == "acme-drive.example"


def test_later_overlay_takes_a_domain_away(out: Path, overlay: Path, tmp_path: Path) -> None:
    second = tmp_path / "second.toml"
    second.write_text(
        '[[app]]\nid = "acme-mail"\nname = "Acme Mail"\ndomains = ["acme-files.example"]\n'
    )
    bl = build_blocklist(out, load_catalog([overlay, second]), only_seen=False)
    assert "acme-files.example" not in values(bl.entries)
    assert "acme-drive.example" in values(bl.entries)


# --------------------------------------------------------------------------- scope


def test_only_seen_vs_all_catalog(seen_bl: BlockList, all_bl: BlockList) -> None:
    seen = seen_bl
    assert values(seen.entries) == [
        "acme-drive.example",
        "acmecdn.example",
        "snipshare.test",
        "upload.partner.example",
        "203.0.113.0/24",
        "2001:db8:77::/48",
    ]
    every = all_bl
    assert values(every.entries) == [
        "acme-drive.example",
        "acme-files.example",
        "acmecdn.example",
        "snipshare.test",
        "upload.partner.example",
        "xn--bcher-box-q9a.example",
        "198.51.100.9/32",
        "203.0.113.0/24",
        "2001:db8:77::/48",
    ]
    kinds = {e.value: e.kind for e in every.entries}
    assert kinds["acmecdn.example"] == "domain"  # from the wildcard *.acmecdn.example
    assert kinds["upload.partner.example"] == "host"
    assert values(seen.seen_hosts) == [
        "files.acme-drive.example",
        "img.acmecdn.example",
        "www.acme-drive.example",
    ]
    assert seen.overlaps == [("acme-drive.example", "chat.acme-drive.example", "teamchat")]


def test_seen_mode_needs_records(tmp_path: Path, overlay: Path) -> None:
    from shadowlens.errors import ConfigError

    with pytest.raises(ConfigError, match="all-catalog"):
        blocklist(tmp_path, overlay)
    bl = blocklist(tmp_path, overlay, only_seen=False)
    assert bl.seen_hosts == []
    assert "acme-files.example" in values(bl.entries)


def test_seen_hosts_are_capped(
    tmp_path: Path, overlay: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("shadowlens.outputs.blockscript.MAX_SEEN_HOSTS", 2)
    rows = [(f"h{i}.acme-drive.example", None) for i in range(5)] + [
        ("h4.acme-drive.example", None)
    ] * 3
    bl = blocklist(write_records(tmp_path / "o", rows), overlay)
    assert values(bl.seen_hosts) == ["h0.acme-drive.example", "h4.acme-drive.example"]
    assert bl.capped == 3


# --------------------------------------------------------------------------- injection

_NAME = HOSTNAME_RE.pattern
_OBJ = r"sl_[a-z0-9_-]{1,60}"
_CIDR = r"[0-9a-f:./]+"
BODY = {
    "bluecoat": [rf"url\.domain={_NAME} deny"],
    "websense": [rf"dest_host={_NAME} action=deny"],
    "zscaler": [rf"\.?{_NAME}"],
    "paloalto": [_NAME],
    "paloalto-ip": [_CIDR],
    "domains": [_NAME],
    "squid": [rf"acl shadowlens_blocked dstdomain \.?{_NAME}", r"http_access deny shadowlens_blocked"],
    "fortigate": [r"config webfilter urlfilter", r"    edit \d+", r'        set name "shadowlens_blocked"',
                  r'        set comment "shadowlens block list"', r"        config entries",
                  r"            edit \d+", rf'                set url "(\*\.)?{_NAME}"',
                  r"                set type (simple|wildcard)", r"                set action block",
                  r"            next", r"        end", r"    next", r"end"],
    "cisco-asa": [rf"object network {_OBJ}", rf" fqdn v4 {_NAME}", r" description [A-Za-z0-9 .,:()+&@/_-]+",
                  r"object-group network shadowlens_blocked", rf" network-object object {_OBJ}",
                  rf" network-object (host )?{_CIDR}( [0-9.]+)?"],
    "juniper-srx": [rf"set security address-book global address {_OBJ} (dns-name {_NAME}|{_CIDR})",
                    rf'set security address-book global address {_OBJ} description "[A-Za-z0-9 .,:()+&@/_-]+"',
                    rf"set security address-book global address-set shadowlens_blocked address {_OBJ}",
                    r"set security policies global policy shadowlens_blocked (match .+|then deny)"],
}  # fmt: skip
COMMENT_SAFE = re.compile(r"[A-Za-z0-9 .,:()+&@/_;'<>=*-]*")

HOSTILE_OVERLAY = """\
[[app]]
id = "evil\\nrm -rf /"
name = "Evil \\"app\\"\\nset system root-authentication plain-text-password; $(reboot) `id` #!"
category = "Cloud storage\\nreboot"
domains = ["ok.example", "evil.example\\nrm -rf /", "a.example; reboot", "b.example' or '1",
           "$(reboot).example", "`id`.example", "pаypal.com", "☃☃.example"]
hosts = ["h.example\\r\\nshutdown"]
wildcards = ["*.w.example;id"]
cidrs = ["203.0.113.0/24; reboot", "0.0.0.0/0", "192.0.2.0/24"]
tags = ["unsanctioned"]
"""


def test_hostile_values_are_never_written(tmp_path: Path, out: Path) -> None:
    bad = tmp_path / "hostile.toml"
    bad.write_text(HOSTILE_OVERLAY, encoding="utf-8")
    extra = ["www.ok.example", "x;reboot.ok.example", "a\nb.ok.example"]
    write_records(out, [*traffic_rows(), *((h, None) for h in extra)])
    for scope in (True, False):
        bl = build_blocklist(out, load_catalog([bad]), catalog_files=[str(bad)], only_seen=scope)
        assert values(bl.entries)[:2] == ["ok.example", "xn--pypal-4ve.com"] or scope
        for name, target in TARGETS.items():
            text = render(bl, name, header=target.comment is not None, generated=WHEN).text
            assert text.isascii()
            for line in text.splitlines():
                if target.comment and line.startswith(target.comment):
                    assert COMMENT_SAFE.fullmatch(line[len(target.comment) :]), line
                else:
                    assert any(re.fullmatch(p, line) for p in BODY[name]), (name, line)
            # words of an app name may survive inside a description (inert: the regexes above
            # pin those lines); nowhere else may any part of a payload appear
            body = [ln for ln in text.splitlines()
                    if not ln.startswith(target.comment or "\0") and "description" not in ln]  # fmt: skip
            for payload in ("rm -rf", "reboot", "$(", "`", "shutdown", "\r", "' or '", "root-auth"):
                assert not any(payload in ln for ln in body), (name, payload)
    all_bl = build_blocklist(out, load_catalog([bad]), only_seen=False)
    assert values(all_bl.entries) == ["ok.example", "xn--pypal-4ve.com", "192.0.2.0/24"]
    skipped = {s.value: s for s in all_bl.skipped}
    assert {"evil.example\nrm -rf /", "a.example; reboot", "$(reboot).example", "`id`.example",
            "☃☃.example", "h.example\r\nshutdown", "*.w.example;id", "0.0.0.0/0",
            "203.0.113.0/24; reboot"} <= set(skipped)  # fmt: skip
    assert skipped["a.example; reboot"].where == f"{bad}:5"  # the domains = [...] line
    seen_bl = build_blocklist(out, load_catalog([bad]))
    assert {s.value for s in seen_bl.skipped if s.where == "records (dst_host)"} == {
        "x;reboot.ok.example",
        "a\nb.ok.example",
    }
    assert "\n" not in str(skipped["evil.example\nrm -rf /"])  # safe to print on a terminal


def test_render_refuses_unvalidated_entries() -> None:
    for entry in (Entry("domain", "x.example\nreboot", ("a",)), Entry("cidr", "0.0.0.0/0", ("a",))):
        bl = BlockList(Policy(), "all", {}, {}, [entry], [])
        with pytest.raises(ValueError, match="unvalidated"):
            render(bl, "domains")


# --------------------------------------------------------------------------- templates


def _stable(text: str) -> str:
    catalog = load_catalog().version
    return text.replace(f"shadowlens {__version__}", "shadowlens <version>").replace(
        f"catalog: {catalog}", "catalog: <catalog>"
    )


@pytest.mark.parametrize("target", list(TARGETS))
def test_golden(target: str, seen_bl: BlockList) -> None:
    header = TARGETS[target].comment is not None and not TARGETS[target].defender
    text = _stable(render(seen_bl, target, generated=WHEN).text)
    assert text.startswith("#") == (header and TARGETS[target].comment == "#")
    path = GOLDEN / f"{target}.txt"
    if os.environ.get("SHADOWLENS_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
    assert text == path.read_text(encoding="utf-8")


def test_defender_shapes_exactly(all_bl: BlockList) -> None:
    bl = all_bl
    assert render(bl, "bluecoat").text.splitlines()[0] == "url.domain=acme-drive.example deny"
    assert render(bl, "websense").text.splitlines()[0] == "dest_host=acme-drive.example action=deny"
    assert render(bl, "zscaler").text.splitlines()[:2] == [
        ".acme-drive.example",
        ".acme-files.example",
    ]
    assert "upload.partner.example" in render(bl, "zscaler").text.splitlines()  # exact host: no dot
    assert render(bl, "bluecoat", header=True, generated=WHEN).text.startswith("; shadowlens")
    from shadowlens.errors import ConfigError

    with pytest.raises(ConfigError, match="comment"):
        render(bl, "zscaler", header=True)
    with pytest.raises(ConfigError, match="name"):
        render(bl, "squid", name="x; reboot")


def test_subdomain_targets_prune_and_exact_targets_expand(seen_bl: BlockList) -> None:
    bl = seen_bl
    squid = render(bl, "squid", header=False).text
    assert "www.acme-drive.example" not in squid  # covered by .acme-drive.example
    srx = render(bl, "juniper-srx", header=False).text
    assert "dns-name www.acme-drive.example" in srx  # SRX matches exact names only
    assert "dns-name acme-drive.example" in srx
    assert render(bl, "squid").left_out == 2  # the two networks
    assert render(bl, "paloalto-ip").left_out == 4


def test_nothing_to_block(shared: tuple[Path, Path, Catalog]) -> None:
    bl = build_blocklist(shared[0], load_catalog())
    assert bl.apps == {}
    text = render(bl, "juniper-srx", generated=WHEN).text
    assert text.endswith("# nothing to block\n")
    assert render(bl, "zscaler").text == ""


def test_deterministic(tmp_path: Path, overlay: Path) -> None:
    rows = traffic_rows()
    texts = set()
    for seed in range(3):
        random.Random(seed).shuffle(rows)
        folder = write_records(tmp_path / f"o{seed}", rows)
        apps = OVERLAY.split("\n\n")
        random.Random(seed).shuffle(apps)
        path = tmp_path / f"o{seed}.toml"
        path.write_text("\n\n".join(apps) + "\n", encoding="utf-8")
        bl = build_blocklist(folder, load_catalog([path]), Policy(risk_below=5))
        texts.add("".join(render(bl, t, header=False).text for t in TARGETS))
    assert len(texts) == 1


# --------------------------------------------------------------------------- CLI


@pytest.fixture
def blockscript(cli: Cli) -> Cli:
    """``shadowlens blockscript ARGS`` in-process, with a fixed SOURCE_DATE_EPOCH."""

    def invoke(*args: str | Path) -> CliResult:
        return cli("blockscript", *args, env={"SOURCE_DATE_EPOCH": EPOCH})

    return invoke


def test_cli_end_to_end(
    cli_subprocess: Cli, shared: tuple[Path, Path, Catalog], tmp_path: Path
) -> None:
    out, overlay, _ = shared
    dest = tmp_path / "block.txt"
    run = cli_subprocess("blockscript", out, "--target", "squid", "--catalog", overlay,
                         "--policy-risk-below", "5", "-o", dest, cwd=tmp_path,
                         env={"SOURCE_DATE_EPOCH": EPOCH})  # fmt: skip
    assert run.code == 0, run.err
    assert run.out == ""
    assert _stable(dest.read_text()) == (GOLDEN / "squid.txt").read_text()
    assert "squid: 4 entries for 2 apps (3 selected by the policy)" in run.err
    assert "'x\\nrm -rf /.acme-drive.example'" in run.err  # reported, escaped
    assert "chat.acme-drive.example" in run.err  # overlap warning
    assert "2 networks (CIDR rules) left out" in run.err


def test_cli_stdout_and_policies(blockscript: Cli, shared: tuple[Path, Path, Catalog]) -> None:
    out, overlay, _ = shared
    result = blockscript(str(out), "-t", "zscaler", "-c", str(overlay), "--all-catalog")
    assert result.code == 0, result.err
    assert result.out.splitlines()[0] == ".acme-drive.example"
    assert "-> stdout" in result.err
    result = blockscript(str(out), "-t", "domains", "--policy-category", "No Such Thing")
    assert result.code == 0
    assert "no catalog app has category 'No Such Thing'" in result.err
    assert "no app matches the policy" in result.err
    assert result.out.endswith("# nothing to block\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--target", "nope"], "unknown --target"),
        (["--target", "squid", "--name", "a b"], "--name"),
        (["--target", "zscaler", "--header"], "no comment syntax"),
        (["--target", "squid", "--catalog", "missing.toml"], "cannot read catalog"),
    ],
)
def test_cli_errors(
    blockscript: Cli, shared: tuple[Path, Path, Catalog], args: list[str], message: str
) -> None:
    result = blockscript(str(shared[0]), *args)
    assert result.code == 2
    assert message in result.err
    assert result.out == ""


def test_cli_needs_records_unless_all_catalog(
    blockscript: Cli, tmp_path: Path, overlay: Path
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = blockscript(str(empty), "-t", "paloalto", "-c", str(overlay))
    assert result.code == 2
    assert "--all-catalog" in result.err
    result = blockscript(str(empty), "-t", "paloalto", "-c", str(overlay), "--all-catalog")
    assert result.code == 0
    assert "acme-files.example" in result.out
