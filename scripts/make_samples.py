"""Generate the synthetic sample logs shipped in ``src/shadowlens/data/samples/``.

One week (Monday 9 to Sunday 15 March 2026) of web-proxy traffic of a fictional
company, Contoso, with 50 users at five sites, each behind a different appliance:

* Paris HQ, Zscaler-like NSS feed: CEF behind an RFC 3164 syslog header (``.log.gz``);
* Lyon, Forcepoint-like web security: LEEF 2.0 with ``^`` as delimiter (``.log.bz2``);
* London, Blue Coat ProxySG-like: W3C, ``#Fields`` changes mid-file after an upgrade (``.log.gz``);
* Madrid, IIS ARR used as a forward proxy: W3C in IIS' layout (plain ``.log``);
* Berlin, an export zip with two members: a ProxySG W3C log and an NSS CEF log.

The traffic tells a Shadow-IT story: sanctioned Microsoft 365 and Slack; a sales
employee uploading gigabytes to WeTransfer and MEGA before the weekend; Dropbox
uploads; generative AI (ChatGPT, Claude, Gemini, Perplexity, Mistral; DeepSeek
blocked); personal webmail; a web proxy and a VPN service; blocked gambling and
torrent sites; a long tail of unknown domains. A few lines per file are broken on
purpose: truncated lines and binary junk end up in the quarantine, a well-formed
event with a time that cannot exist is a record without ``event_time``.

Deterministic: same bytes of log text on every run (``random.Random`` with a fixed
seed, fixed compression timestamps). Run: ``python scripts/make_samples.py [OUT_DIR]``.
"""

from __future__ import annotations

import bz2
import calendar
import gzip
import io
import random
import sys
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

SEED = 2026


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


OUT = Path(__file__).resolve().parents[1] / "src" / "shadowlens" / "data" / "samples"
MONDAY = calendar.timegm((2026, 3, 9, 0, 0, 0))
DAY = 86400
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# name department site (the five sites' users; 50 in all)
USERS = """
marc.dubois Sales paris|elena.rossi Legal paris|sara.haddad Marketing paris|tom.garcia Engineering paris
claire.martin Finance paris|hugo.bernard Engineering paris|lea.petit HR paris|nicolas.durand Sales paris
camille.leroy Marketing paris|julien.moreau Engineering paris|ines.lambert Finance paris|paul.fontaine IT paris
chloe.girard Sales paris|antoine.roux Engineering paris|manon.blanc Legal paris|lucas.faure Engineering paris
emma.andre Customer-Support paris|louis.mercier Customer-Support paris|sophie.dupont Executive paris
theo.lefevre Engineering paris|alice.morel Marketing paris|victor.garnier Sales paris|zoe.chevalier HR paris
adam.francois Finance paris|nina.gauthier IT paris
karim.benali Sales lyon|lucie.robin Finance lyon|maxime.perrin Engineering lyon|julie.clement Customer-Support lyon
bruno.morin Sales lyon|laura.henry Marketing lyon|yanis.masson Engineering lyon|eva.nicolas HR lyon
julia.novak Finance london|oliver.smith Sales london|amelia.jones Engineering london|harry.taylor Engineering london
grace.brown Marketing london|jack.wilson Customer-Support london|mia.evans Legal london|noah.thomas IT london
carmen.lopez Sales madrid|javier.ruiz Engineering madrid|lucia.gomez Finance madrid|pablo.diaz Marketing madrid
jonas.weber Engineering berlin|lena.fischer Sales berlin|felix.wagner Finance berlin|hanna.becker Marketing berlin
tim.schulz Engineering berlin
"""
# site: network, number of source IPs, proxy name
SITES = {
    "paris": ("10.10", 15, "zscaler-nss"),
    "lyon": ("10.20", 5, "fp-wsg-lyon"),
    "london": ("10.30", 5, "sg-london-01"),
    "madrid": ("10.40", 2, "arr-madrid"),
    "berlin": ("10.50", 3, "sg-berlin-01"),
}

# key | service | category | hosts (first one is the busiest) | block (b) / upload (u) flags
APPS = """
m365|Microsoft 365|Online Productivity|outlook.office365.com contoso.sharepoint.com contoso-my.sharepoint.com login.microsoftonline.com www.office.com|u
teams|Microsoft Teams|Online Collaboration|teams.microsoft.com statics.teams.cdn.office.net|
onedrive|OneDrive|Online Storage|contoso-my.sharepoint.com api.onedrive.com|u
slack|Slack|Online Collaboration|app.slack.com files.slack.com wss-primary.slack.com a.slack-edge.com|u
zoom|Zoom|Online Collaboration|us02web.zoom.us zoom.us|
salesforce|Salesforce|Professional Services|contoso.my.salesforce.com login.salesforce.com|
github|GitHub|Computer and Internet Info|github.com api.github.com objects.githubusercontent.com|
stackoverflow|Stack Overflow|Computer and Internet Info|stackoverflow.com cdn.sstatic.net|
google|Google Search|Search Engines|www.google.com www.gstatic.com fonts.googleapis.com|
bing|Bing|Search Engines|www.bing.com|
linkedin|LinkedIn|Professional Networking|www.linkedin.com static.licdn.com|
youtube|YouTube|Streaming Media|www.youtube.com i.ytimg.com|
news|News|News and Media|www.lemonde.fr www.bbc.co.uk www.reuters.com www.elpais.com www.spiegel.de|
wikipedia|Wikipedia|Reference|en.wikipedia.org fr.wikipedia.org|
cdn|CDN|Content Delivery|d3c7k2m9x1.cloudfront.net a248.e.akamai.net cdn.jsdelivr.net|
updates|Windows Update|Software Updates|ctldl.windowsupdate.com ocsp.digicert.com|
chatgpt|ChatGPT|Generative AI|chatgpt.com cdn.oaistatic.com|u
openai_api|OpenAI API|Generative AI|api.openai.com|u
claude|Claude|Generative AI|claude.ai|u
gemini|Gemini|Generative AI|gemini.google.com|u
perplexity|Perplexity|Generative AI|www.perplexity.ai|
mistral|Mistral Le Chat|Generative AI|chat.mistral.ai|
deepseek|DeepSeek|Generative AI|chat.deepseek.com|b
dropbox|Dropbox|Online Storage|www.dropbox.com content.dropboxapi.com|u
wetransfer|WeTransfer|File Sharing|wetransfer.com|u
mega|MEGA|File Sharing|mega.nz g.api.mega.co.nz gfs270n122.userstorage.mega.co.nz|u
gmail|Gmail|Web Based Email|mail.google.com|
outlook_live|Outlook.com|Web Based Email|outlook.live.com|
yahoo|Yahoo Mail|Web Based Email|mail.yahoo.com|
proton|Proton Mail|Web Based Email|mail.proton.me|
croxy|CroxyProxy|Anonymizer|www.croxyproxy.com|
nordvpn|NordVPN|Anonymizer|nordvpn.com api.nordvpn.com|b
gambling|Gambling|Gambling|www.bet365.com www.pokerstars.eu|b
torrent|Torrents|Peer-to-Peer|thepiratebay.org 1337x.to|b
"""
# Everyone's background traffic: app weights.
BASE = {"m365": 30, "teams": 8, "onedrive": 4, "slack": 14, "zoom": 3, "google": 9, "bing": 1, "linkedin": 3, "youtube": 2, "news": 4, "wikipedia": 2, "cdn": 8, "updates": 2, "longtail": 7}  # fmt: skip
DEPT = {"Engineering": {"github": 10, "stackoverflow": 5}, "Sales": {"salesforce": 10}, "Customer-Support": {"salesforce": 4}}  # fmt: skip
# Extra apps of particular users (weights), the Shadow-IT part of the story.
HABITS = {
    "marc.dubois": {"gmail": 4, "chatgpt": 2, "dropbox": 2},
    "elena.rossi": {"chatgpt": 6, "claude": 2},
    "sara.haddad": {"dropbox": 3, "chatgpt": 2, "gemini": 2},
    "tom.garcia": {"chatgpt": 3, "claude": 4, "mistral": 1},
    "hugo.bernard": {"claude": 3, "perplexity": 1, "deepseek": 1},
    "claire.martin": {"gemini": 2, "outlook_live": 2},
    "nicolas.durand": {"gambling": 1, "gmail": 2},
    "julien.moreau": {"chatgpt": 3, "deepseek": 2},
    "paul.fontaine": {"nordvpn": 1, "proton": 2},
    "chloe.girard": {"chatgpt": 2, "yahoo": 2},
    "antoine.roux": {"perplexity": 2, "gemini": 1},
    "sophie.dupont": {"chatgpt": 2, "gmail": 1},
    "victor.garnier": {"wetransfer": 1, "gmail": 2},
    "karim.benali": {"gambling": 2, "gmail": 2},
    "lucie.robin": {"chatgpt": 2},
    "maxime.perrin": {"claude": 2, "chatgpt": 2},
    "bruno.morin": {"gambling": 1, "yahoo": 1},
    "julia.novak": {"dropbox": 3, "gmail": 2},
    "amelia.jones": {"chatgpt": 3, "gemini": 1},
    "harry.taylor": {"torrent": 1, "perplexity": 1},
    "mia.evans": {"claude": 2, "outlook_live": 1},
    "noah.thomas": {"proton": 1, "torrent": 1},
    "carmen.lopez": {"croxy": 2, "gmail": 2},
    "javier.ruiz": {"chatgpt": 3, "mega": 1},
    "lena.fischer": {"wetransfer": 1, "chatgpt": 1},
    "jonas.weber": {"claude": 2, "mistral": 1},
}
SESSIONS = {"paris": 11, "lyon": 9, "london": 8, "madrid": 7, "berlin": 5}  # per weekday
LONGTAIL = _words(
    "brightlake-analytics.io tidepool-hr.com northwind-invoices.net quillpad.app "
    "fieldnote-survey.com orbitforms.co pixelmint.design cargo-tracker.eu mapleledger.io "
    "swiftsign-docs.com zephyrchat.net kitebox-storage.com lumenpdf.com vertexnotes.app "
    "harborpay.co.uk summit-webinar.com sageslides.io driftcode.dev ridgeconvert.com "
    "oakshare.net novaresume.com falconftp.net emberprint.shop nimbus-clipper.com "
)


@dataclass(frozen=True)
class App:
    key: str
    service: str
    category: str
    hosts: tuple[str, ...]
    blocked: bool
    uploads: bool


@dataclass(frozen=True)
class User:
    name: str
    dept: str
    site: str
    ip: str
    ua: str


@dataclass
class Event:
    t: int
    user: User
    app: App
    host: str
    method: str
    path: str
    up: int
    down: int
    status: int = 200
    blocked: bool = False
    extra: dict[str, str] = field(default_factory=dict)


APP = {
    key: App(key, svc, cat, tuple(hosts.split()), "b" in flags, "u" in flags)
    for key, svc, cat, hosts, flags in (line.split("|") for line in APPS.strip().splitlines())
}
for _i, _host in enumerate(LONGTAIL):
    APP[f"lt{_i}"] = App(
        f"lt{_i}", "General Browsing", "Miscellaneous or Unknown", (_host,), False, False
    )

BROWSERS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36 Edg/122.0.2365.92",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:124.0) Gecko/20100101 Firefox/124.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_3_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3.1 Safari/605.1.15",
)
PATHS = ("/", "/api/v2/items", "/static/app.js", "/auth/login", "/search", "/assets/logo.svg", "/v1/sync", "/home", "/feed")  # fmt: skip


def users() -> list[User]:
    """The 50 users with their site, source IP and browser."""
    rng = random.Random(SEED)
    found: list[User] = []
    counters = dict.fromkeys(SITES, 0)
    for entry in USERS.replace("\n", "|").split("|"):
        if not entry.strip():
            continue
        name, dept, site = entry.split()
        net, n_ips, _ = SITES[site]
        slot = counters[site] % n_ips
        counters[site] += 1
        found.append(
            User(
                name,
                dept,
                site,
                f"{net}.{1 + slot // 8}.{20 + slot * 7 % 200}",
                rng.choice(BROWSERS),
            )
        )
    return found


def background(rng: random.Random, people: list[User]) -> list[Event]:
    """Sessions of everyday browsing and of each user's habits, over the week."""
    events: list[Event] = []
    for user in people:
        weights = {**BASE, **DEPT.get(user.dept, {}), **HABITS.get(user.name, {})}
        keys = sorted(weights)
        for day in range(7):
            weekend = day >= 5
            count = (
                rng.randint(0, 2)
                if weekend
                else rng.randint(SESSIONS[user.site] - 3, SESSIONS[user.site] + 3)
            )
            for _ in range(count):
                key = rng.choices(keys, weights=[weights[k] for k in keys])[0]
                if key == "longtail":
                    key = f"lt{rng.randrange(len(LONGTAIL))}"
                start = MONDAY + day * DAY + rng.randint(7 * 3600, 18 * 3600)
                events.extend(session(rng, user, APP[key], start, rng.randint(1, 10)))
    return events


def session(rng: random.Random, user: User, app: App, start: int, requests: int) -> list[Event]:
    """``requests`` requests of ``user`` to ``app`` from ``start``, a few seconds apart."""
    out: list[Event] = []
    t = start
    for _ in range(1 if app.blocked else requests):
        host = app.hosts[0] if rng.random() < 0.6 else rng.choice(app.hosts)
        post = app.uploads and rng.random() < 0.25
        up = int(rng.lognormvariate(10.5, 1.2)) if post else rng.randint(300, 2500)
        down = rng.randint(1500, 6000) if app.blocked else int(rng.lognormvariate(9.0, 1.5))
        status = 403 if app.blocked else rng.choice((200, 200, 200, 200, 204, 302, 304))
        out.append(
            Event(
                t,
                user,
                app,
                host,
                "POST" if post else "GET",
                rng.choice(PATHS),
                up,
                down,
                status,
                app.blocked,
            )
        )
        t += rng.randint(1, 40)
    return out


def scripted(rng: random.Random, people: list[User]) -> list[Event]:
    """The incidents a CISO should see: bulk uploads to personal file sharing, AI, automation."""
    by = {u.name: u for u in people}
    events: list[Event] = []

    def burst(
        name: str, key: str, when: tuple[int, int, int], parts: int, size: float, path: str
    ) -> None:
        day, hour, minute = when
        t = MONDAY + day * DAY + hour * 3600 + minute * 60
        app = APP[key]
        for i in range(parts):
            host = app.hosts[-1]
            up = int(size * rng.uniform(0.8, 1.2))
            down = rng.randint(300, 900)
            if app.blocked:
                events.append(Event(t, by[name], app, host, "GET", path, 900, down, 403, True))
            else:
                events.append(Event(t, by[name], app, host, "POST", f"{path}/{i}", up, down))
            t += rng.randint(20, 90)

    burst("marc.dubois", "wetransfer", (4, 17, 40), 28, 48e6, "/api/v4/transfers/upload")
    burst("marc.dubois", "mega", (5, 9, 5), 40, 52e6, "/ul/chunk")
    burst("sara.haddad", "dropbox", (2, 14, 10), 12, 26e6, "/2/files/upload_session/append_v2")
    burst("julia.novak", "dropbox", (3, 16, 30), 9, 31e6, "/2/files/upload")
    burst("elena.rossi", "chatgpt", (1, 10, 0), 6, 1.5e6, "/backend-api/files")
    burst("elena.rossi", "chatgpt", (3, 15, 20), 5, 2.2e6, "/backend-api/files")
    burst("javier.ruiz", "mega", (6, 20, 15), 10, 35e6, "/ul/chunk")
    burst("lena.fischer", "wetransfer", (2, 11, 45), 6, 40e6, "/api/v4/transfers/upload")
    burst("nicolas.durand", "gambling", (1, 12, 30), 3, 0, "/en/sports")
    burst("harry.taylor", "torrent", (3, 12, 50), 2, 0, "/search/ubuntu")
    # A build server calling the OpenAI API every 30 minutes, with no user name.
    server = User("-", "Engineering", "paris", "10.10.9.50", "python-requests/2.31.0")
    for k in range(7 * 48):
        t = MONDAY + k * 1800 + rng.randint(0, 59)
        events.append(
            Event(
                t,
                server,
                APP["openai_api"],
                "api.openai.com",
                "POST",
                "/v1/chat/completions",
                rng.randint(2000, 9000),
                rng.randint(1500, 6000),
            )
        )
    return events


# -- writers --------------------------------------------------------------------------------


def bsd_time(t: int) -> str:
    tm = time.gmtime(t)
    return (
        f"{MONTHS[tm.tm_mon - 1]} {tm.tm_mday:>2} {tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d}"
    )


def text_time(t: int) -> str:
    tm = time.gmtime(t)
    return f"{MONTHS[tm.tm_mon - 1]} {tm.tm_mday:02d} {tm.tm_year} {tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d}"


def w3c_time(t: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t))


def server_ip(host: str) -> str:
    """A stable public-looking address per host."""
    h = sum((i + 1) * ord(c) for i, c in enumerate(host))
    return f"{(13, 20, 40, 52, 104, 142, 151, 172, 185)[h % 9]}.{h * 7 % 256}.{h * 13 % 256}.{h * 31 % 254 + 1}"


def cef_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("=", "\\=")


def cef_line(e: Event, proxy: str) -> str:
    """Zscaler-NSS-like CEF with an RFC 3164 header.

    Bytes as Zscaler's NSS web feed template writes them (``in=%d{respsize}
    out=%d{reqsize}``, the reverse of the CEF dictionary): ``in`` is the response
    size (download), ``out`` the request size (upload).
    """
    act = "Blocked" if e.blocked else "Allowed"
    reason = "Allowed"
    if e.blocked:
        reason = (
            "Blocked | Cloud App Control"
            if e.app.category == "Generative AI"
            else "Not allowed to browse this category"
        )
    name = reason.replace("\\", "\\\\").replace("|", "\\|")
    pairs = {
        "rt": text_time(e.t), "src": e.user.ip, "spt": e.extra.get("spt", str(49152 + e.t * 7 % 16000)),
        "dst": server_ip(e.host), "dpt": "443", "dhost": e.host,
        "request": cef_escape(f"https://{e.host}{e.path}"), "requestMethod": e.method, "app": "HTTPS",
        "act": act, "outcome": str(e.status), "in": str(e.down), "out": str(e.up),
        "suser": cef_escape(f"CONTOSO\\{e.user.name}") if e.user.name != "-" else "",
        "requestClientApplication": cef_escape(e.user.ua), "cat": e.app.category,
        "destinationServiceName": e.app.service, "reason": reason, "cs1": e.user.dept, "cs1Label": "dept",
    }  # fmt: skip
    ext = " ".join(f"{k}={v}" for k, v in pairs.items() if v)
    return f"<134>{bsd_time(e.t)} {proxy} CEF:0|Zscaler|NSSWeblog|6.1|{act}|{name}|{7 if e.blocked else 3}|{ext}"


def leef_line(e: Event, proxy: str) -> str:
    """Forcepoint-like LEEF 2.0 with ``^`` between attributes (``srcBytes`` = client to server)."""
    action = "blocked" if e.blocked else "permitted"
    attrs = (
        f"devTime={text_time(e.t)}", "devTimeFormat=MMM dd yyyy HH:mm:ss", f"src={e.user.ip}",
        f"srcPort={49152 + e.t * 11 % 16000}", f"dst={server_ip(e.host)}", "dstPort=443", "proto=TCP",
        f"usrName=CONTOSO\\{e.user.name}", f"identGrpName={e.user.dept}", f"cat={e.app.category}",
        f"action={action}", f"url=https://{e.host}{e.path}", f"httpMethod={e.method}",
        f"httpStatus={e.status}", f"srcBytes={e.up}", f"dstBytes={e.down}", f"userAgent={e.user.ua}",
        f"sev={5 if e.blocked else 1}",
    )  # fmt: skip
    return f"<134>{bsd_time(e.t)} {proxy} LEEF:2.0|Forcepoint|Web Security|8.5.5|transaction:{action}|^|{'^'.join(attrs)}"


BC_FIELDS = (
    "date time time-taken c-ip cs-username cs-auth-group s-supplier-name x-exception-id "
    "sc-filter-result cs-categories cs(Referer) sc-status s-action cs-method rs(Content-Type) "
    "cs-uri-scheme cs-host cs-uri-port cs-uri-path cs-uri-query cs-uri-extension cs(User-Agent) "
    "s-ip sc-bytes cs-bytes"
)
BC_APP_FIELDS = " x-bluecoat-application-name x-bluecoat-application-operation"


def bluecoat_header(t: int, version: str, fields: str) -> list[str]:
    return [
        f"#Software: SGOS {version}",
        "#Version: 1.0",
        f"#Start-Date: {w3c_time(t)}",
        f"#Date: {w3c_time(t)}",
        f"#Fields: {fields}",
    ]


def bluecoat_line(e: Event, with_app: bool) -> str:
    """ProxySG-like W3C entry: quoted where spaces occur, ``-`` for nothing."""
    result, action, exc = (
        ("DENIED", "TCP_DENIED", "content_filter_denied")
        if e.blocked
        else ("OBSERVED", "TCP_TUNNELED", "-")
    )
    path, _, query = e.path.partition("?")
    ext = path.rsplit(".", 1)[1] if "." in path.rsplit("/", 1)[-1] else "-"
    ua = '"' + e.user.ua.replace('"', '""') + '"'
    user = f"CONTOSO\\{e.user.name}" if e.user.name != "-" else "-"
    line = (
        f'{w3c_time(e.t)} {e.t % 900 + 12} {e.user.ip} {user} "CONTOSO\\{e.user.dept}" {e.host} {exc} '
        f'{result} "{e.app.category}" - {e.status} {action} {e.method} - https {e.host} 443 {path} '
        f"{'?' + query if query else '-'} {ext} {ua} {SITES[e.user.site][0]}.0.2 {e.down} {e.up}"
    )
    if with_app:
        operation = "Upload File" if e.method == "POST" and e.up > 1_000_000 else "-"
        app = f'"{e.app.service}"' if e.app.service != "General Browsing" else "-"
        line += f" {app} {f'{chr(34)}{operation}{chr(34)}' if operation != '-' else '-'}"
    return line


IIS_FIELDS = (
    "date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) "
    "cs(Referer) cs-host sc-status sc-substatus sc-win32-status sc-bytes cs-bytes time-taken"
)


def iis_header(t: int) -> list[str]:
    return [
        "#Software: Microsoft Internet Information Services 10.0",
        "#Version: 1.0",
        f"#Date: {w3c_time(t)}",
        f"#Fields: {IIS_FIELDS}",
    ]


def iis_line(e: Event) -> str:
    """IIS W3C entry: no quoting, ``+`` for spaces in the user agent."""
    path, _, query = e.path.partition("?")
    return (
        f"{w3c_time(e.t)} 10.40.0.4 {e.method} {path} {query or '-'} 443 CONTOSO\\{e.user.name} "
        f"{e.user.ip} {e.user.ua.replace(' ', '+')} - {e.host} {e.status} 0 0 {e.down} {e.up} {e.t % 700 + 15}"
    )


# -- files ----------------------------------------------------------------------------------


@dataclass
class Log:
    """One log source in the samples and what parsing it should give."""

    name: str  # file name, or ``archive.zip!/member``
    fmt: str
    site: str
    data: bytes
    quarantined: int
    blank: int = 0
    lossy: int = 0
    untimed: int = 0  # well-formed lines with an unreadable time: records without event_time

    @property
    def lines(self) -> int:
        return self.data.count(b"\n") + (0 if self.data.endswith(b"\n") else 1)

    @property
    def directives(self) -> int:
        return sum(1 for line in self.data.split(b"\n") if line.startswith(b"#"))


def insert(lines: list[str | bytes], where: float, line: str | bytes) -> None:
    """Put ``line`` at the fraction ``where`` of ``lines``."""
    lines.insert(int(len(lines) * where), line)


def join(lines: list[str | bytes], final_newline: bool = True) -> bytes:
    data = b"\n".join(x if isinstance(x, bytes) else x.encode() for x in lines)
    return data + b"\n" if final_newline else data


def build() -> list[Log]:
    """Every sample log, uncompressed, with its expected accounting."""
    rng = random.Random(SEED)
    people = users()
    events = background(rng, people) + scripted(rng, people)
    events.sort(key=lambda e: (e.t, e.user.name, e.host, e.path, e.up))
    site: dict[str, list[Event]] = {s: [e for e in events if e.user.site == s] for s in SITES}
    logs: list[Log] = []

    paris = site["paris"]
    # An out-of-range port: the record is kept, src_port is null, the raw value goes to extras.
    paris[len(paris) // 3].extra["spt"] = "70000"
    lines: list[str | bytes] = [cef_line(e, "zscaler-nss") for e in paris]
    insert(lines, 0.21, cef_line(paris[100], "zscaler-nss").split("NSSWeblog")[0] + "NSSWeb")
    insert(
        lines,
        0.43,
        '<134>Mar 11 02:00:07 zscaler-nss nssd[2231]: feed "Web CEF" reconnected to nss-paris-01 after 12 s',
    )
    relayed = cef_line(paris[200], "zscaler-nss")
    insert(
        lines,
        0.62,
        relayed[relayed.index("CEF:") :].replace(text_time(paris[200].t), "Mar 32 2026 25:61:07"),
    )
    insert(lines, 0.85, b"\xc3\x28\xa0\xa1 zscaler-nss \xff\xfe\x00partial write \x8b\x08")
    logs.append(
        Log(
            "paris-zscaler-nss-cef.log.gz",
            "cef",
            "Paris HQ (Zscaler-like NSS feed)",
            join(lines),
            3,
            lossy=1,
            untimed=1,
        )
    )

    lyon = site["lyon"]
    lines = [leef_line(e, "fp-wsg-lyon") for e in lyon]
    insert(lines, 0.3, leef_line(lyon[50], "fp-wsg-lyon").split("|Web Security")[0] + "|Web Sec")
    insert(lines, 0.5, "<46>Mar 12 10:20:00 fp-wsg-lyon -- MARK --")
    bad = leef_line(lyon[80], "fp-wsg-lyon")
    insert(
        lines, 0.7, bad[bad.index("LEEF:") :].replace(text_time(lyon[80].t), "Mar 12 2026 24:75:00")
    )
    logs.append(
        Log(
            "lyon-forcepoint-leef.log.bz2",
            "leef",
            "Lyon (Forcepoint-like LEEF 2.0)",
            join(lines),
            2,
            untimed=1,
        )
    )

    london = site["london"]
    upgrade = MONDAY + 2 * DAY + 3 * 3600  # Wednesday 03:00: SGOS upgrade adds application fields
    before = [e for e in london if e.t < upgrade]
    after = [e for e in london if e.t >= upgrade]
    lines = [
        *bluecoat_header(MONDAY, "7.3.14.1", BC_FIELDS),
        *(bluecoat_line(e, False) for e in before),
    ]
    insert(
        lines,
        0.5,
        bluecoat_line(before[40], False).replace(w3c_time(before[40].t)[11:], "24:61:07", 1),
    )
    lines += ["#Remark: SGOS upgraded to 7.3.16.2; application fields enabled"]
    lines += bluecoat_header(upgrade, "7.3.16.2", BC_FIELDS + BC_APP_FIELDS)
    tail: list[str | bytes] = [bluecoat_line(e, True) for e in after]
    bad = bluecoat_line(after[60], True)
    insert(
        tail, 0.4, bad.replace(w3c_time(after[60].t), w3c_time(after[60].t).replace("0", "O"), 1)
    )
    odd = (
        bluecoat_line(after[90], True)
        .encode()
        .replace(b"Mozilla/5.0", b"Mozilla/5.0 \xff\xfeKiosk", 1)
    )
    insert(tail, 0.6, odd)
    # A write cut inside a quoted user agent: the quote never closes (syntax).
    cut = bluecoat_line(after[120], True)
    insert(tail, 0.8, cut[: cut.index('"Mozilla') + 20])
    lines += tail
    logs.append(
        Log(
            "london-proxysg-w3c.log.gz",
            "w3c",
            "London (Blue Coat ProxySG-like W3C)",
            join(lines),
            1,
            lossy=1,
            untimed=2,
        )
    )

    madrid = site["madrid"]
    restart = MONDAY + 3 * DAY + 6 * 3600  # Thursday: the IIS site restarts and writes a new header
    lines = [*iis_header(MONDAY), *(iis_line(e) for e in madrid if e.t < restart)]
    insert(lines, 0.5, iis_line(madrid[30]).replace(w3c_time(madrid[30].t)[11:], "31:12:09", 1))
    lines += [*iis_header(restart), *(iis_line(e) for e in madrid if e.t >= restart)]
    # The last entry before the NUL padding was cut short: fewer values than #Fields.
    last = iis_line(madrid[-1])
    lines.append(" ".join(last.split(" ")[:6]))
    lines.append(b"\x00" * 48)  # IIS pre-allocates log files with NUL bytes: a blank line
    logs.append(
        Log(
            "madrid-iis-arr-u_ex2603.log",
            "w3c",
            "Madrid (IIS ARR forward proxy)",
            join(lines),
            1,
            blank=1,
            untimed=1,
        )
    )

    berlin = site["berlin"]
    sg_users = {"jonas.weber", "lena.fischer", "felix.wagner"}
    sg = [e for e in berlin if e.user.name in sg_users]
    nss = [e for e in berlin if e.user.name not in sg_users]
    data = join(
        [
            *bluecoat_header(MONDAY, "7.3.16.2", BC_FIELDS + BC_APP_FIELDS),
            *(bluecoat_line(e, True) for e in sg),
        ]
    )
    logs.append(
        Log(
            "berlin-proxy-export.zip!/berlin/sg-berlin-01.log",
            "w3c",
            "Berlin (ProxySG-like W3C, in a zip)",
            data,
            0,
        )
    )
    lines = [cef_line(e, "nss-berlin") for e in nss]
    # The export was cut in the middle of its last line.
    lines.append(cef_line(nss[-1], "nss-berlin").split("NSSWeblog")[0] + "NSSWeblog|6.1|Allo")
    logs.append(
        Log(
            "berlin-proxy-export.zip!/berlin/nss-berlin.cef",
            "cef",
            "Berlin (NSS CEF, in a zip)",
            join(lines, final_newline=False),
            1,
        )
    )
    return logs


def write(logs: list[Log], out: Path) -> list[Path]:
    """Compress and write the logs (and README.md) into ``out``; return the files written."""
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, bytes] = {}
    members: dict[str, list[Log]] = {}
    for log in logs:
        archive, sep, _member = log.name.partition("!/")
        if sep:
            members.setdefault(archive, []).append(log)
        elif log.name.endswith(".gz"):
            files[log.name] = gzip.compress(log.data, compresslevel=9, mtime=0)
        elif log.name.endswith(".bz2"):
            files[log.name] = bz2.compress(log.data, 9)
        else:
            files[log.name] = log.data
    for archive, parts in members.items():
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as zf:
            for log in parts:
                info = zipfile.ZipInfo(
                    log.name.partition("!/")[2], date_time=(2026, 3, 16, 6, 0, 0)
                )
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                zf.writestr(info, log.data, compresslevel=9)
        files[archive] = buffer.getvalue()
    files["README.md"] = readme(logs).encode()
    for stale in out.iterdir():
        if stale.is_file() and stale.name not in files:
            stale.unlink()
    written = []
    for name, data in sorted(files.items()):
        (out / name).write_bytes(data)
        written.append(out / name)
    return written


def generate(out: Path = OUT) -> list[Log]:
    """Build and write every sample into ``out``; return the logs with their expectations."""
    logs = build()
    write(logs, out)
    return logs


def readme(logs: list[Log]) -> str:
    """The samples folder's README: what the files are, how they were made, what to expect."""
    rows = "\n".join(
        f"| `{log.name}` | {log.fmt} | {log.site} | {log.lines:,} | {log.quarantined} "
        f"| {log.untimed} |"
        for log in logs
    )
    return f"""# Sample logs (synthetic)

These files are **synthetic**: generated by `scripts/make_samples.py` (deterministic,
seed {SEED}), not taken from any real network. Names of people, the company (Contoso),
internal addresses and most paths are invented; destination host names are those of
real public services so that the app catalog recognises them, plus invented domains for
the long tail. `shadowlens demo` runs the main job on them.

They cover one week, Monday 9 to Sunday 15 March 2026 (UTC), of web traffic of 50
users at five sites, each behind a different kind of proxy, in the formats shadowlens
reads: CEF behind a syslog header, LEEF 2.0 (`^` delimiter), W3C from a ProxySG-like
proxy (its `#Fields` change mid-file after an upgrade) and from IIS, compressed with
gzip, bzip2 and zip (two members); under 1.5 MB on disk in all.

| source | format | site | lines | quarantined | without a time |
|---|---|---|---:|---:|---:|
{rows}

## The story in the traffic

- Sanctioned collaboration: Microsoft 365 (Outlook, SharePoint, OneDrive, Teams) and
  Slack carry most of the traffic; Salesforce for sales, GitHub for engineering.
- A sales employee in Paris uploads about 1.3 GB to WeTransfer on Friday evening and
  about 2 GB to MEGA on Saturday morning; smaller uploads go to Dropbox (Paris,
  London), WeTransfer (Berlin) and MEGA (Madrid).
- Generative AI: ChatGPT, Claude, Gemini, Perplexity and Mistral are used at every
  site; Legal uploads documents to ChatGPT; a build server calls the OpenAI API every
  30 minutes without a user; DeepSeek is blocked.
- Personal webmail (Gmail, Outlook.com, Yahoo Mail, Proton Mail); a web proxy
  (CroxyProxy, allowed) and a VPN service (NordVPN, blocked); blocked gambling and
  torrent sites; a long tail of two dozen unknown domains.

## Deliberately broken lines

Each file holds a few lines that cannot be parsed and must end up in the quarantine
(the table's "quarantined" column): a line truncated inside the header, a syslog
message that is not CEF/LEEF, bytes that are not UTF-8. A well-formed event whose time
cannot exist (`25:61:07`) is kept as a record without `event_time` (the last column),
its raw time in `extras`. Other lines are odd but parse: a source port of 70000 (kept in `extras`, the port column null), a
user agent with invalid UTF-8 (decoded lossily and flagged), NUL padding left by IIS
(a blank line). Byte counters follow each producer's convention: the NSS CEF feeds write
them as Zscaler's NSS template does (`in` = response size, `out` = request size, so `out`
is the upload, the reverse of the CEF dictionary); LEEF `srcBytes` and W3C `cs-bytes` are
bytes sent by the client (upload).

## Regenerate

    python scripts/make_samples.py

`tests/test_samples.py` regenerates them into a temporary folder, checks that the
content is identical to these files, and parses them with `shadowlens parse`.
"""


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else OUT
    logs = generate(out)
    for log in logs:
        print(f"{log.name}: {log.fmt}, {log.lines:,} lines, {log.quarantined} to quarantine")
    size = sum(p.stat().st_size for p in out.iterdir() if p.name != "README.md")
    print(f"{out}: {size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
