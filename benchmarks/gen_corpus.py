"""Deterministic benchmark corpus: CEF, LEEF 2.0, W3C, and one vendor format per family.

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
* ``fortigate_<N>.log`` (key=value family): FortiOS traffic and webfilter lines;
  ``paloalto_<N>.log`` (CSV family): PAN-OS TRAFFIC and THREAT url lines;
  ``cisco-asa_<N>.log`` (message-ID family): ASA 302013/302014/302015/106023/304001.

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
FORMATS = ("cef", "leef", "w3c", "fortigate", "paloalto", "cisco-asa")
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


_CACHE: dict[tuple[int, str], object] = {}


# -- vendor families: key=value (FortiGate), CSV (PAN-OS), message ID (Cisco ASA) ----------


def fortigate_lines(rng: random.Random, world: World, ev: Events, clock: Clock) -> Iterator[str]:
    """FortiOS 7 key=value: 90% traffic (forward, close/deny), 10% utm webfilter.

    Quoted and bare values as FortiOS writes them; ``sentbyte`` is the originator's
    (the user's) upload. About 640 bytes a line.
    """
    rnd = rng.random
    for i, t in enumerate(ev.t):
        c = clock.at(t)
        h = ev.host[i]
        u = ev.user[i]
        r = rnd()
        sport = 1024 + int(r * 64000)
        head = (
            f'<189>date={c.date} time={c.time} devname="FGT60F-HQ" devid="FGT60FTK21000001" '
            f'eventtime={t}{int(r * 1e9):09d} tz="+0000" '
        )
        who = f'srcip={world.user_ip[u]} srcport={sport} srcintf="internal" srcintfrole="lan" '
        dst = f'dstip={h.ip} dstport={ev.port[i]} dstintf="wan1" dstintfrole="wan" '
        if r < 0.9:
            action = "deny" if ev.blocked[i] else "close"
            yield (
                f'{head}logid="0000000013" type="traffic" subtype="forward" level="notice" '
                f'vd="root" {who}{dst}srccountry="Reserved" dstcountry="United States" '
                f'sessionid={100000 + i} proto=6 action="{action}" policyid=7 policytype="policy" '
                f'service="HTTPS" trandisp="snat" transip=198.51.100.10 transport={sport} '
                f'appcat="unscanned" duration={int(r * 300)} sentbyte={ev.up[i]} '
                f"rcvdbyte={ev.down[i]} sentpkt={1 + ev.up[i] // 1400} "
                f'rcvdpkt={1 + ev.down[i] // 1400} user="{world.users[u]}" '
                f'hostname="{h.name}" crscore=0 craction=0'
            )
        else:
            blocked = ev.blocked[i]
            yield (
                f'{head}logid="0316013056" type="utm" subtype="webfilter" '
                f'eventtype="ftgd_{"blk" if blocked else "allow"}" level="{"warning" if blocked else "notice"}" '
                f'vd="root" policyid=7 sessionid={100000 + i} user="{world.users[u]}" {who}{dst}'
                f'proto=6 service="HTTPS" hostname="{h.name}" profile="default" '
                f'action="{"blocked" if blocked else "passthrough"}" reqtype="direct" '
                f'url="https://{h.name}{ev.path[i]}" sentbyte={ev.up[i]} rcvdbyte={ev.down[i]} '
                f'direction="outgoing" msg="URL belongs to a category in policy" '
                f'method="domain" cat=52 catdesc="{h.category}"'
            )


def paloalto_lines(rng: random.Random, world: World, ev: Events, clock: Clock) -> Iterator[str]:
    """PAN-OS 10.1 syslog CSV: 85% TRAFFIC end, 15% THREAT url (the URL in column 32).

    ``Bytes Sent`` is client to server. About 520 bytes a line.
    """
    rnd = rng.random
    for i, t in enumerate(ev.t):
        c = clock.at(t)
        h = ev.host[i]
        u = ev.user[i]
        r = rnd()
        when = f"{c.date.replace('-', '/')} {c.time}"
        sport = 1024 + int(r * 64000)
        action = "deny" if ev.blocked[i] else "allow"
        user = f"contoso\\{world.users[u]}"
        common = (
            f"<14>{c.bsd} PA-3220 1,{when},012801001234,{{type}},{{subtype}},2561,{when},"
            f"{world.user_ip[u]},{h.ip},198.51.100.10,{h.ip},allow-web,{user},,ssl,vsys1,"
            f"trust,untrust,ethernet1/1,ethernet1/2,log-fwd,{when},{200000 + i},1,{sport},"
            f"{ev.port[i]},{sport},{ev.port[i]},0x400000,tcp,{action},"
        )
        if r < 0.85:
            yield (
                common.format(type="TRAFFIC", subtype="end")
                + f"{ev.up[i] + ev.down[i]},{ev.up[i]},{ev.down[i]},"
                f"{2 + (ev.up[i] + ev.down[i]) // 1400},{when},{int(r * 300)},"
                f"{h.category.lower().replace(' ', '-')},0,{7000000 + i},0x0,10.0.0.0-10.255.255.255,"
                f"United States,0,{1 + ev.up[i] // 1400},{1 + ev.down[i] // 1400},tcp-fin,0,0,0,0,,"
                f"PA-3220,from-policy,,,0,,0,,N/A,0,0,0,0"
            )
        else:
            url = f"{h.name}{ev.path[i]}".replace('"', "")
            agent = vocab.USER_AGENTS[ev.ua[i]].replace('"', "")
            category = h.category.lower().replace(" ", "-")
            yield (
                common.format(type="THREAT", subtype="url")
                + f'"{url}",(9999),{category},informational,client-to-server,{7000000 + i},'
                f"0x8000000000000000,10.0.0.0-10.255.255.255,United States,0,text/html,0,,,1,"
                f'"{agent}",,,,,,,,0,0,0,0,vsys1,PA-3220,,,,{ev.method[i].lower()},0,,0,,N/A,'
                f'unknown,AppThreat-8850-8400,0x0,0,4294967295,,"{category},low-risk",,0'
            )


def cisco_asa_lines(rng: random.Random, world: World, ev: Events, clock: Clock) -> Iterator[str]:
    """Cisco ASA syslog by message ID: built/teardown TCP and UDP, 106023 denies, 304001 URLs.

    About 180 bytes a line.
    """
    rnd = rng.random
    for i, t in enumerate(ev.t):
        c = clock.at(t)
        h = ev.host[i]
        u = ev.user[i]
        r = rnd()
        src, port = world.user_ip[u], 1024 + int(r * 64000)
        head = f"<166>{c.cef} asa01 : "
        if ev.blocked[i]:
            yield (
                f"{head}%ASA-4-106023: Deny tcp src inside:{src}/{port} dst outside:{h.ip}/"
                f'{ev.port[i]} by access-group "inside_access_in" [0x0, 0x0]'
            )
        elif r < 0.4:
            yield (
                f"{head}%ASA-6-302013: Built outbound TCP connection {300000 + i} for outside:"
                f"{h.ip}/{ev.port[i]} ({h.ip}/{ev.port[i]}) to inside:{src}/{port} "
                f"(198.51.100.10/{port})"
            )
        elif r < 0.8:
            yield (
                f"{head}%ASA-6-302014: Teardown TCP connection {300000 + i} for outside:"
                f"{h.ip}/{ev.port[i]} to inside:{src}/{port} duration 0:00:{int(r * 59):02d} "
                f"bytes {ev.up[i] + ev.down[i]} TCP FINs"
            )
        elif r < 0.9:
            yield (
                f"{head}%ASA-6-302015: Built outbound UDP connection {300000 + i} for outside:"
                f"{h.ip}/53 ({h.ip}/53) to inside:{src}/{port} (198.51.100.10/{port})"
            )
        else:
            yield (f"{head}%ASA-5-304001: {src} Accessed URL {h.ip}:http://{h.name}{ev.path[i]}")


WRITERS: dict[str, Formatter] = {
    "cef": cef_lines,
    "leef": leef_lines,
    "w3c": w3c_lines,
    "fortigate": fortigate_lines,
    "paloalto": paloalto_lines,
    "cisco-asa": cisco_asa_lines,
}


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
