"""Deterministic benchmark corpus: Zscaler-like CEF, LEEF 2.0 and Blue Coat-like W3C.

Same seed and line count -> same bytes, on every run and in every process.

* ``cef_<N>.log``: RFC 3164 syslog prefix + ``CEF:0|Zscaler|NSSWeblog|...``; 26
  extension keys in a fixed order on 90% of lines, shuffled with some optional
  keys dropped on 10%; ``rt`` as text with spaces, ``request`` a full URL with
  ``\\=`` in queries, ``suser`` as ``CONTOSO\\\\user``, user agents with spaces,
  commas and a raw ``|``, cs1-3/cn1 with labels; the header Name carries ``\\|``
  or ``\\\\`` on about 6% of lines. About 630 bytes a line. Bytes as Zscaler's NSS
  web feed template writes them (``in`` = response size, ``out`` = request size, the
  reverse of the CEF dictionary), so the parsed ``bytes_up`` is the event's upload.
* ``leef_<N>.log``: syslog prefix + ``LEEF:2.0|...|^|``, 23 ``^``-separated attributes.
* ``w3c_<N>.log``: ProxySG-style header block with ``#Fields`` (25 fields), quoted
  user agents, categories and content types; N entry lines after 5 directives.

The traffic model is in ``world.py``: about 5,000 destination hosts (Zipf-like,
s = 1.05; well-known SaaS hosts from ``vocab.py`` mixed with synthetic unknown
ones), 2,000 users, 1,000 source IPs, one week of March 2026.

Run: ``.venv/bin/python benchmarks/gen_corpus.py --lines 1000000 [--formats cef,leef,w3c]``.
``--verify`` generates twice, in two processes with different hash seeds, and
compares SHA-256 digests.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import vocab
from world import SEED, Clock, Events, World, build_world, cef_ext, events

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
FORMATS = ("cef", "leef", "w3c")
BLOCK = 20_000

Formatter = Callable[[random.Random, World, Events, Clock], Iterator[str]]

# -- CEF ---------------------------------------------------------------------------------

CEF_KEYS = (
    "rt", "src", "spt", "dst", "dpt", "dhost", "request", "requestMethod", "app", "act",
    "outcome", "in", "out", "suser", "requestClientApplication", "cat", "destinationServiceName",
    "reason", "cn1", "cn1Label", "cs1", "cs1Label", "cs2", "cs2Label", "cs3", "cs3Label",
)  # fmt: skip
CEF_OPTIONAL = ("spt", "dpt", "reason", "cn1", "cn1Label", "cs3", "cs3Label", "app", "cat")
ALLOWED_NAMES = ("Allowed", "Allowed", "Allowed", "Not Inspected", "SSL Bypassed")
ESCAPED_NAMES = ("Cloud App Control \\| Allowed", "Policy \\\\ Finance \\\\ Caution")
BLOCKED_NAMES = ("Not allowed to browse this category", "Blocked \\| Cloud App Control")


def cef_lines(rng: random.Random, world: World, ev: Events, clock: Clock) -> Iterator[str]:
    """CEF lines for one block of events."""
    users = _cached(world, "cef_users", lambda: [cef_ext(f"CONTOSO\\{u}") for u in world.users])
    uas = [cef_ext(ua) for ua in vocab.USER_AGENTS]
    rnd = rng.random
    for i, t in enumerate(ev.t):
        c = clock.at(t)
        h = ev.host[i]
        u = ev.user[i]
        r = rnd()
        if ev.blocked[i]:
            act, name, sev, status = "Blocked", BLOCKED_NAMES[r < 0.5], 7, 403
        else:
            act = "Allowed"
            name = ESCAPED_NAMES[r < 0.025] if r < 0.05 else ALLOWED_NAMES[int(r * 50) % 5]
            sev, status = 3, (200, 200, 200, 200, 204, 302, 304, 404)[int(r * 800) % 8]
        scheme = "https" if ev.port[i] == 443 else "http"
        url = cef_ext(f"{scheme}://{h.name}{ev.path[i]}{ev.query[i]}")
        risk = int(ev.u[i] * 100) % 90 + 5
        head = f"<134>{c.bsd} zscaler-nss CEF:0|Zscaler|NSSWeblog|5.0|{act}|{name}|{sev}|"
        if r < 0.9 or ev.blocked[i]:
            yield (
                f"{head}rt={c.cef} src={world.user_ip[u]} spt={1024 + int(r * 64000)} dst={h.ip} "
                f"dpt={ev.port[i]} dhost={h.name} request={url} requestMethod={ev.method[i]} "
                f"app={scheme.upper()} act={act} outcome={status} in={ev.down[i]} out={ev.up[i]} "
                f"suser={users[u]} requestClientApplication={uas[ev.ua[i]]} cat={h.category} "
                f"destinationServiceName={h.service} reason={_reason(name, act)} "
                f"cn1={risk} cn1Label=riskscore cs1={world.user_dept[u]} cs1Label=dept "
                f"cs2={h.supercat} cs2Label=urlsupercat cs3={_appclass(h)} cs3Label=appclass"
            )
            continue
        values = {
            "rt": c.cef, "src": world.user_ip[u], "spt": str(1024 + int(r * 64000)),
            "dst": h.ip, "dpt": str(ev.port[i]), "dhost": h.name, "request": url,
            "requestMethod": ev.method[i], "app": scheme.upper(), "act": act,
            "outcome": str(status), "in": str(ev.down[i]), "out": str(ev.up[i]),
            "suser": users[u], "requestClientApplication": uas[ev.ua[i]], "cat": h.category,
            "destinationServiceName": h.service, "reason": "Allowed", "cn1": str(risk),
            "cn1Label": "riskscore", "cs1": world.user_dept[u], "cs1Label": "dept",
            "cs2": h.supercat, "cs2Label": "urlsupercat", "cs3": _appclass(h), "cs3Label": "appclass",
        }  # fmt: skip
        keys = list(CEF_KEYS)
        rng.shuffle(keys)
        dropped = set(rng.sample(CEF_OPTIONAL, rng.randrange(0, 4)))
        yield head + " ".join(f"{k}={values[k]}" for k in keys if k not in dropped)


def _reason(name: str, act: str) -> str:
    if act != "Blocked":
        return "Allowed"
    return cef_ext(name.replace("\\|", "|").replace("\\\\", "\\"))


def _appclass(h: object) -> str:
    category = getattr(h, "category", "")
    if category == "Generative AI":
        return "AI and ML Applications"
    if category in ("Online Storage", "File Sharing"):
        return "File Sharing"
    if category in ("Web Based Email", "Instant Messaging"):
        return "Collaboration"
    return "General Browsing"


# -- LEEF 2.0 -----------------------------------------------------------------------------


def leef_lines(rng: random.Random, world: World, ev: Events, clock: Clock) -> Iterator[str]:
    """LEEF 2.0 lines with ``^`` as the attribute delimiter."""
    rnd = rng.random
    for i, t in enumerate(ev.t):
        c = clock.at(t)
        h = ev.host[i]
        u = ev.user[i]
        r = rnd()
        blocked = ev.blocked[i]
        action, status, sev = (
            ("blocked", 403, 5)
            if blocked
            else ("permitted", (200, 200, 200, 204, 302, 304)[int(r * 600) % 6], 1)
        )
        scheme = "https" if ev.port[i] == 443 else "http"
        ctype = (
            "text/html; charset=utf-8",
            "application/json",
            "image/png",
            "application/javascript",
            "application/octet-stream",
        )[int(r * 500) % 5]
        yield (
            f"<134>{c.bsd} fp-wsg01 LEEF:2.0|Forcepoint|Web Security|8.5.5|transaction:{action}|^|"
            f"devTime={c.cef}^devTimeFormat=MMM dd yyyy HH:mm:ss^sev={sev}^proto=TCP^cat={h.category}"
            f"^action={action}^src={world.user_ip[u]}^srcPort={1024 + int(r * 64000)}^dst={h.ip}"
            f"^dstPort={ev.port[i]}^usrName=CONTOSO\\{world.users[u]}^identHostName={world.user_wks[u]}.contoso.local"
            f"^identGrpName={world.user_dept[u]}^httpMethod={ev.method[i]}"
            f"^url={scheme}://{h.name}{ev.path[i]}{ev.query[i]}^httpStatus={status}^srcBytes={ev.up[i]}"
            f"^dstBytes={ev.down[i]}^userAgent={vocab.USER_AGENTS[ev.ua[i]]}^policy=Default Web Policy"
            f"^role={world.user_dept[u]} Users^contentType={ctype}^duration={int(ev.u[i] * 3000)}"
        )


# -- W3C (ProxySG) ------------------------------------------------------------------------

W3C_FIELDS = (
    "date time time-taken c-ip cs-username cs-auth-group s-supplier-name x-exception-id "
    "sc-filter-result cs-categories cs(Referer) sc-status s-action cs-method rs(Content-Type) "
    "cs-uri-scheme cs-host cs-uri-port cs-uri-path cs-uri-query cs-uri-extension cs(User-Agent) "
    "s-ip sc-bytes cs-bytes"
)


def w3c_header() -> list[str]:
    """The directive block at the top of the W3C file."""
    return [
        "#Software: SGOS 7.3.16.2",
        "#Version: 1.0",
        "#Start-Date: 2026-03-09 00:00:00",
        "#Date: 2026-03-09 00:00:00",
        f"#Fields: {W3C_FIELDS}",
    ]


def w3c_lines(rng: random.Random, world: World, ev: Events, clock: Clock) -> Iterator[str]:
    """ProxySG-style W3C entries (space separated, quoted where needed, ``-`` for null)."""
    uas = [_w3c_quote(ua) for ua in vocab.USER_AGENTS]
    rnd = rng.random
    for i, t in enumerate(ev.t):
        c = clock.at(t)
        h = ev.host[i]
        u = ev.user[i]
        r = rnd()
        if ev.blocked[i]:
            result, status, action, exc = "DENIED", 403, "TCP_DENIED", "content_filter_denied"
        else:
            result, exc = ("OBSERVED", "-") if r < 0.8 else ("PROXIED", "-")
            status = (200, 200, 200, 204, 302, 304)[int(r * 600) % 6]
            action = ("TCP_NC_MISS", "TCP_TUNNELED", "TCP_HIT", "TCP_MISS")[int(r * 400) % 4]
        path = ev.path[i]
        dot = path.rfind(".")
        ext = path[dot + 1 :] if dot > path.rfind("/") else "-"
        user = f"CONTOSO\\{world.users[u]}" if r < 0.85 else "-"
        group = f'"CONTOSO\\{world.user_dept[u]} Users"' if user != "-" else "-"
        referer = f"https://{h.name}/" if r > 0.7 else "-"
        ctype = ('"text/html; charset=utf-8"', "application/json", "image/png", "-")[
            int(r * 40) % 4
        ]
        cats = f'"{h.category};{h.supercat}"'
        scheme = "https" if ev.port[i] == 443 else "http"
        yield (
            f"{c.date} {c.time} {int(ev.u[i] * 900) + 1} {world.user_ip[u]} {user} {group} {h.name} "
            f"{exc} {result} {cats} {referer} {status} {action} {ev.method[i]} {ctype} {scheme} "
            f"{h.name} {ev.port[i]} {path} {ev.query[i] or '-'} {ext} {uas[ev.ua[i]]} 10.0.0.5 "
            f"{ev.down[i]} {ev.up[i]}"
        )


def _w3c_quote(value: str) -> str:
    return '"' + value.replace('"', '""') + '"' if (" " in value or '"' in value) else value


WRITERS: dict[str, Formatter] = {"cef": cef_lines, "leef": leef_lines, "w3c": w3c_lines}
_CACHE: dict[tuple[int, str], object] = {}


def _cached(world: World, key: str, make: Callable[[], list[str]]) -> list[str]:
    slot = (id(world), key)
    if slot not in _CACHE:
        _CACHE[slot] = make()
    return _CACHE[slot]  # type: ignore[return-value]


def corpus_path(fmt: str, lines: int, out: Path = CORPUS) -> Path:
    """Where the corpus file of ``fmt`` with ``lines`` lines lives."""
    return out / f"{fmt}_{lines}.log"


def generate(
    fmt: str, lines: int, out: Path = CORPUS, seed: int = SEED, world: World | None = None
) -> Path:
    """Write ``<fmt>_<lines>.log`` into ``out`` (atomically) and return its path."""
    world = world or build_world(seed)
    rng = random.Random(seed * 1009 + FORMATS.index(fmt))
    clock = Clock()
    path = corpus_path(fmt, lines, out)
    out.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        if fmt == "w3c":
            fh.write("\n".join(w3c_header()) + "\n")
        for first in range(0, lines, BLOCK):
            ev = events(rng, world, first, min(BLOCK, lines - first), lines)
            fh.write("\n".join(WRITERS[fmt](rng, world, ev, clock)) + "\n")
    tmp.replace(path)
    return path


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def verify(lines: int, formats: list[str], seed: int = SEED) -> dict[str, str]:
    """Generate twice in fresh processes (different PYTHONHASHSEED); raise if bytes differ."""
    digests: list[dict[str, str]] = []
    for hash_seed in ("1", "2"):
        with tempfile.TemporaryDirectory() as tmp:
            env = {**os.environ, "PYTHONHASHSEED": hash_seed}
            cmd = [
                sys.executable,
                __file__,
                "--lines",
                str(lines),
                "--formats",
                ",".join(formats),
                "--out",
                tmp,
                "--seed",
                str(seed),
            ]
            subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
            digests.append({f: sha256(corpus_path(f, lines, Path(tmp))) for f in formats})
    if digests[0] != digests[1]:
        msg = f"corpus is not deterministic: {digests[0]} != {digests[1]}"
        raise SystemExit(msg)
    return digests[0]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--out", type=Path, default=CORPUS)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--verify", action="store_true", help="check determinism across processes")
    args = parser.parse_args(argv)
    formats = [f for f in args.formats.split(",") if f]
    unknown = set(formats) - set(FORMATS)
    if unknown:
        parser.error(f"unknown format(s): {', '.join(sorted(unknown))}")
    if args.verify:
        for fmt, digest in verify(args.lines, formats, args.seed).items():
            print(f"{fmt}: deterministic, sha256 {digest}")
        return
    world = build_world(args.seed)
    for fmt in formats:
        t0 = time.perf_counter()
        path = generate(fmt, args.lines, args.out, args.seed, world)
        size = path.stat().st_size
        print(
            f"{path}: {args.lines:,} lines, {size / 1e6:,.1f} MB ({size / args.lines:.0f} B/line) in {time.perf_counter() - t0:.1f} s"
        )


if __name__ == "__main__":
    main()
