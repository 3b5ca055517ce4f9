"""The traffic model behind the benchmark corpus: hosts, users, machines, sizes, time.

Deterministic in the seed: only :mod:`random` with explicit seeds, and no
iteration over sets or dicts whose order depends on hash randomisation.
"""

from __future__ import annotations

import calendar
import itertools
import random
import time
from dataclasses import dataclass

import vocab

SEED = 42
START = calendar.timegm((2026, 3, 9, 0, 0, 0))  # Monday 9 March 2026, 00:00 UTC
SPAN = 7 * 86400
#: Popularity of each of ``vocab.USER_AGENTS`` (browsers first, then apps and tools).
UA_WEIGHTS = (30, 8, 14, 6, 5, 3, 10, 6, 2, 5, 3, 4, 3, 2, 2, 2, 1, 1, 1, 1)
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Host:
    name: str
    ip: str
    category: str
    service: str
    supercat: str
    known: bool


@dataclass(frozen=True)
class World:
    """Who talks to what: hosts with Zipf weights, users with their machines."""

    hosts: list[Host]
    cum_weights: list[float]
    users: list[str]
    user_ip: list[str]
    user_dept: list[str]
    user_wks: list[str]
    paths: list[str]
    queries: list[str]
    sizes_down: list[int]
    sizes_up: list[int]


def build_world(
    seed: int = SEED, n_hosts: int = 5000, n_users: int = 2000, n_ips: int = 1000
) -> World:
    """The traffic model shared by every format (deterministic in ``seed``)."""
    rng = random.Random(seed)
    known: list[Host] = []
    for saas in vocab.SAAS:
        for name in saas.hosts():
            known.append(
                Host(
                    name,
                    _public_ip(rng),
                    saas.category,
                    saas.service,
                    _supercat(saas.category),
                    True,
                )
            )
    unknown: list[Host] = []
    names: set[str] = {h.name for h in known}
    while len(known) + len(unknown) < n_hosts:
        name = _synthetic_host(rng)
        if name in names:
            continue
        names.add(name)
        category = rng.choice(vocab.UNKNOWN_CATEGORIES)
        unknown.append(
            Host(name, _public_ip(rng), category, "General Browsing", _supercat(category), False)
        )
    # Rank: well-known hosts tend to lead, synthetic ones fill the long tail.
    scored = [
        (rng.random() * (1.0 if h.known else 6.0), i, h) for i, h in enumerate(known + unknown)
    ]
    hosts = [h for _, _, h in sorted(scored)]
    weights = [1.0 / (rank**1.05) for rank in range(1, len(hosts) + 1)]
    users = sorted(
        {
            f"{rng.choice(vocab.FIRST_NAMES)}.{rng.choice(vocab.LAST_NAMES)}{rng.randrange(10, 99)}"
            for _ in range(n_users * 2)
        }
    )[:n_users]
    rng.shuffle(users)
    ips = [
        f"10.{20 + i // 250}.{i % 250 // 10}.{10 + i % 10 * 20 + i // 250}" for i in range(n_ips)
    ]
    user_ip = [ips[i % n_ips] if rng.random() < 0.9 else rng.choice(ips) for i in range(n_users)]
    user_dept = [rng.choice(vocab.DEPARTMENTS) for _ in range(n_users)]
    user_wks = [f"WKS-{rng.randrange(1000, 9999)}" for _ in range(n_users)]
    paths = [_path(rng) for _ in range(20_000)]
    queries = [_query(rng) for _ in range(5_000)]
    sizes_down = [int(rng.lognormvariate(8.5, 1.6)) for _ in range(10_000)]
    sizes_up = [int(rng.lognormvariate(6.8, 0.8)) for _ in range(10_000)]
    sizes_up[:200] = [int(rng.lognormvariate(15.0, 1.0)) for _ in range(200)]  # uploads
    return World(
        hosts,
        list(itertools.accumulate(weights)),
        users,
        user_ip,
        user_dept,
        user_wks,
        paths,
        queries,
        sizes_down,
        sizes_up,
    )


def _public_ip(rng: random.Random) -> str:
    return f"{rng.choice((13, 20, 23, 34, 40, 52, 104, 142, 151, 162, 172, 185, 199))}.{rng.randrange(0, 256)}.{rng.randrange(0, 256)}.{rng.randrange(1, 255)}"


def _supercat(category: str) -> str:
    return {
        "Generative AI": "Artificial Intelligence",
        "Web Based Email": "Internet Communication",
        "Instant Messaging": "Internet Communication",
        "Online Storage": "Information Technology",
        "File Sharing": "Information Technology",
        "Anonymizer": "Security",
        "Gambling": "Gambling",
        "Peer-to-Peer": "Internet Communication",
    }.get(category, "Business and Economy")


def _synthetic_host(rng: random.Random) -> str:
    a, b = rng.choice(vocab.WORDS), rng.choice(vocab.WORDS)
    shape = rng.randrange(4)
    if shape == 0:
        return f"{a}{b}.{rng.choice(vocab.TLDS)}"
    if shape == 1:
        return f"www.{a}-{b}.{rng.choice(vocab.TLDS)}"
    if shape == 2:
        return f"{rng.choice(('cdn', 'api', 'static', 'img', 'app'))}.{a}{b}{rng.randrange(10)}.{rng.choice(vocab.TLDS)}"
    return f"{a}{rng.randrange(100, 999)}.{b}.{rng.choice(vocab.TLDS)}"


def _path(rng: random.Random) -> str:
    parts = [rng.choice(vocab.PATH_WORDS) for _ in range(rng.randint(1, 3))]
    if rng.random() < 0.2:
        parts.append(f"{rng.getrandbits(32):x}")
    return "/" + "/".join(parts) + rng.choice(vocab.EXTENSIONS)


def _query(rng: random.Random) -> str:
    keys = rng.sample(
        ("id", "q", "sid", "v", "lang", "page", "token", "ref", "utm_source", "t"),
        rng.randint(1, 3),
    )
    return "?" + "&".join(f"{k}={rng.getrandbits(rng.choice((8, 16, 32))):x}" for k in keys)


# -- per-line events ----------------------------------------------------------------------


@dataclass
class Events:
    """Columns of one block of events (parallel lists)."""

    t: list[int]
    host: list[Host]
    user: list[int]
    ua: list[int]
    path: list[str]
    query: list[str]
    blocked: list[bool]
    up: list[int]
    down: list[int]
    method: list[str]
    port: list[int]
    u: list[float]


def events(rng: random.Random, world: World, first: int, count: int, total: int) -> Events:
    """Draw ``count`` events starting at line index ``first`` of ``total``."""
    n = count
    t = [START + (i * SPAN) // total for i in range(first, first + n)]
    host = rng.choices(world.hosts, cum_weights=world.cum_weights, k=n)
    user = [rng.randrange(len(world.users)) for _ in range(n)]
    ua = rng.choices(range(len(vocab.USER_AGENTS)), weights=UA_WEIGHTS, k=n)
    path = rng.choices(world.paths, k=n)
    query = [
        q if r < 0.55 else ""
        for q, r in zip(rng.choices(world.queries, k=n), _uniform(rng, n), strict=True)
    ]
    u = _uniform(rng, n)
    blocked = [
        h.category in ("Gambling", "Peer-to-Peer", "Anonymizer") or x < 0.04
        for h, x in zip(host, u, strict=True)
    ]
    up = rng.choices(world.sizes_up, k=n)
    down = rng.choices(world.sizes_down, k=n)
    method = rng.choices(("GET", "POST", "CONNECT", "PUT", "HEAD"), weights=(70, 18, 8, 2, 2), k=n)
    port = [80 if x > 0.93 else 443 for x in _uniform(rng, n)]
    return Events(t, host, user, ua, path, query, blocked, up, down, method, port, u)


def _uniform(rng: random.Random, n: int) -> list[float]:
    r = rng.random
    return [r() for _ in range(n)]


class Clock:
    """Cached text forms of a Unix second (lines are in time order)."""

    def __init__(self) -> None:
        self._last = -1
        self.bsd = self.cef = self.date = self.time = ""

    def at(self, t: int) -> Clock:
        if t != self._last:
            self._last = t
            tm = time.gmtime(t)
            mon = MONTHS[tm.tm_mon - 1]
            hms = f"{tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d}"
            self.bsd = f"{mon} {tm.tm_mday:>2} {hms}"
            self.cef = f"{mon} {tm.tm_mday:02d} {tm.tm_year} {hms}"
            self.date, self.time = f"{tm.tm_year}-{tm.tm_mon:02d}-{tm.tm_mday:02d}", hms
        return self


def cef_ext(value: str) -> str:
    """Escape a CEF extension value (``\\`` and ``=``)."""
    return value.replace("\\", "\\\\").replace("=", "\\=")
