"""Block-script templates: one :class:`Target` per appliance, rendering a :class:`BlockList`.

Blue Coat, Websense and Zscaler follow the shapes Defender for Cloud Apps documents for its
own block scripts (one line per name, no header unless asked for). The others are
shadowlens templates with a header comment (generator, date, catalog version, policy, counts).
``docs/blockscripts.md`` shows every template and how to apply it.

Every value is checked again right before it is written (:func:`render` raises if anything
unvalidated reaches it) and every piece of text derived from app names passes
:func:`clean_text`, which keeps only characters inert in all the syntaxes here.

Examples
--------
>>> from shadowlens.outputs.blockscript import BlockList, Entry, Policy
>>> bl = BlockList(Policy(), "all", {}, {}, [Entry("domain", "mega.nz", ("mega",))], [])
>>> render(bl, "squid", header=False).text
'acl shadowlens_blocked dstdomain .mega.nz\\nhttp_access deny shadowlens_blocked\\n'
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from shadowlens import __version__
from shadowlens.errors import ConfigError
from shadowlens.outputs.blockscript import BlockList, Entry, check_cidr, check_name, merge

__all__ = ["FORTIGATE_TABLE_ID", "TARGETS", "Script", "Target", "clean_text", "render"]

#: ``config webfilter urlfilter`` table id the FortiGate template edits.
FORTIGATE_TABLE_ID = 900

_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,30}", re.ASCII)
_TEXT_UNSAFE = re.compile(r"[^A-Za-z0-9 .,:()+&@/_-]", re.ASCII)

Lines = Callable[[Sequence[Entry], "Context"], list[str]]


@dataclass(frozen=True, slots=True)
class Context:
    """What a template needs besides the entries."""

    name: str
    labels: dict[str, str]  # app id -> cleaned display name


@dataclass(frozen=True, slots=True)
class Target:
    """One appliance's block-script template.

    ``subdomains``: a domain entry also blocks its subdomains (covered entries are pruned);
    otherwise names match exactly and hosts seen under blocked domains are added.
    """

    name: str
    title: str
    defender: bool
    comment: str | None
    subdomains: bool
    names: bool
    cidrs: bool
    lines: Lines
    apply: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Script:
    """A rendered block script."""

    target: Target
    text: str
    entries: list[Entry]
    left_out: int  # entries of a kind this target cannot take (names or networks)


def clean_text(text: str, limit: int = 60) -> str:
    """``text`` reduced to ASCII letters, digits, spaces and ``.,:()+&@/_-``.

    Quotes, backslashes, ``;``, ``#``, ``!``, ``$``, backticks, ``=`` and line breaks are
    dropped, so the result is inert in a comment, a description or a quoted string of every
    target. Accents are folded (``é`` -> ``e``).

    Examples
    --------
    >>> clean_text('Évil "app"\\nset system root; $(reboot)')
    'Evil app set system root (reboot)'
    """
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    cleaned = " ".join(_TEXT_UNSAFE.sub(" ", folded).split())
    return cleaned[:limit].rstrip()


def object_name(value: str) -> str:
    """A stable object name for ASA and SRX (``sl_`` + value, 63 characters at most).

    Examples
    --------
    >>> object_name("files.dropbox.com"), object_name("2001:db8::/32")
    ('sl_files_dropbox_com', 'sl_2001_db8___32')
    """
    name = "sl_" + re.sub(r"[^a-z0-9-]", "_", value.lower())
    if len(name) > 63:
        name = name[:52] + "_" + hashlib.sha256(value.encode()).hexdigest()[:10]
    return name


def _ip(value: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return ipaddress.ip_network(value)


def _ip_text(value: str) -> str:
    net = _ip(value)
    return str(net.network_address) if net.prefixlen == net.max_prefixlen else str(net)


def _label(entry: Entry, ctx: Context) -> str:
    return clean_text(", ".join(ctx.labels.get(a, a) for a in entry.apps), 80) or "app"


# --------------------------------------------------------------------------- templates


def _bluecoat(entries: Sequence[Entry], ctx: Context) -> list[str]:
    return [f"url.domain={e.value} deny" for e in entries]


def _websense(entries: Sequence[Entry], ctx: Context) -> list[str]:
    return [f"dest_host={e.value} action=deny" for e in entries]


def _zscaler(entries: Sequence[Entry], ctx: Context) -> list[str]:
    return [("." if e.kind == "domain" else "") + e.value for e in entries]


def _plain(entries: Sequence[Entry], ctx: Context) -> list[str]:
    return [e.value for e in entries]


def _pan_ip(entries: Sequence[Entry], ctx: Context) -> list[str]:
    return [_ip_text(e.value) for e in entries]


def _squid(entries: Sequence[Entry], ctx: Context) -> list[str]:
    out = [
        f"acl {ctx.name} dstdomain {'.' if e.kind == 'domain' else ''}{e.value}" for e in entries
    ]
    return [*out, f"http_access deny {ctx.name}"] if out else out


def _fortigate(entries: Sequence[Entry], ctx: Context) -> list[str]:
    if not entries:
        return []
    out = ["config webfilter urlfilter", f"    edit {FORTIGATE_TABLE_ID}",
           f'        set name "{ctx.name}"', '        set comment "shadowlens block list"',
           "        config entries"]  # fmt: skip
    rows = []
    for e in entries:
        rows.append((e.value, "simple"))
        if e.kind == "domain":
            rows.append(("*." + e.value, "wildcard"))
    for n, (url, kind) in enumerate(rows, 1):
        out += [f"            edit {n}", f'                set url "{url}"',
                f"                set type {kind}", "                set action block",
                "            next"]  # fmt: skip
    return [*out, "        end", "    next", "end"]


def _asa(entries: Sequence[Entry], ctx: Context) -> list[str]:
    if not entries:
        return []
    out: list[str] = []
    members: list[str] = []
    for e in entries:
        if e.kind == "cidr":
            net = _ip(e.value)
            if net.prefixlen == net.max_prefixlen:
                members.append(f" network-object host {net.network_address}")
            elif net.version == 4:
                members.append(f" network-object {net.network_address} {net.netmask}")
            else:
                members.append(f" network-object {net}")
            continue
        obj = object_name(e.value)
        out += [f"object network {obj}", f" fqdn v4 {e.value}", f" description {_label(e, ctx)}"]
        members.append(f" network-object object {obj}")
    return [*out, f"object-group network {ctx.name}", " description shadowlens block list",
            *members, "! add to the access list bound to your inside interface, for example:",
            f"! access-list INSIDE_IN line 1 extended deny ip any object-group {ctx.name}"]  # fmt: skip


def _srx(entries: Sequence[Entry], ctx: Context) -> list[str]:
    if not entries:
        return []
    book = "set security address-book global"
    out: list[str] = []
    for e in entries:
        obj = object_name(e.value)
        if e.kind == "cidr":
            out.append(f"{book} address {obj} {e.value}")
        else:
            out.append(f"{book} address {obj} dns-name {e.value}")
        out.append(f'{book} address {obj} description "{_label(e, ctx)}"')
    out += [f"{book} address-set {ctx.name} address {object_name(e.value)}" for e in entries]
    policy = f"set security policies global policy {ctx.name}"
    return [*out, f"{policy} match source-address any",
            f"{policy} match destination-address {ctx.name}", f"{policy} match application any",
            f"{policy} then deny"]  # fmt: skip


TARGETS: dict[str, Target] = {
    t.name: t
    for t in (
        Target("bluecoat", "Blue Coat ProxySG (CPL)", True, ";", True, True, False, _bluecoat,
               ("paste the lines into a <Proxy> layer of the local policy file and install it",)),
        Target("websense", "Websense / Forcepoint Content Gateway (filter.config)", True, "#",
               False, True, False, _websense,
               ("append to filter.config, then run content_line -x",)),
        Target("zscaler", "Zscaler (custom URL category)", True, None, True, True, False,
               _zscaler),
        Target("paloalto", "Palo Alto Networks external dynamic list (Domain List)", False, "#",
               True, True, False, _plain,
               ("serve this file over HTTPS; Objects > External Dynamic Lists > type Domain List",
                "enable 'Automatically expand to include subdomains'; use it in a deny rule")),
        Target("paloalto-ip", "Palo Alto Networks external dynamic list (IP List)", False, "#",
               False, False, True, _pan_ip,
               ("serve this file over HTTPS; Objects > External Dynamic Lists > type IP List",
                "use the list as destination address of a deny rule")),
        Target("fortigate", "Fortinet FortiGate (web filter URL table, CLI)", False, "#", True,
               True, False, _fortigate,
               ("paste into the CLI, then in your web filter profile:",
                f"config web > set urlfilter-table {FORTIGATE_TABLE_ID}")),
        Target("cisco-asa", "Cisco ASA (FQDN network objects, object-group)", False, "!", False,
               True, True, _asa,
               ("paste in configuration mode; FQDN objects need dns domain-lookup and a DNS server",
                "then add the deny line shown at the end to your inside access list")),
        Target("juniper-srx", "Juniper SRX (address book, address-set, global policy)", False,
               "#", False, True, True, _srx,
               ("load set terminal (configuration mode), commit check, commit",
                "global policies run after zone policies: order them to take effect")),
        Target("squid", "Squid (squid.conf ACL)", False, "#", True, True, False, _squid,
               ("include before your http_access allow lines; squid -k parse; squid -k reconfigure",)),
        Target("domains", "plain domain list", False, "#", True, True, False, _plain,
               ("one name per line; each stands for the name and its subdomains",)),
    )
}  # fmt: skip


# --------------------------------------------------------------------------- rendering


def _prune(entries: list[Entry]) -> list[Entry]:
    """Drop names a blocked parent domain already covers (for subdomain-matching targets)."""
    domains = {e.value for e in entries if e.kind == "domain"}
    out = []
    for e in entries:
        parts = e.value.split(".")
        covered = any(".".join(parts[i:]) in domains for i in range(1, len(parts) - 1))
        if not covered:
            out.append(e)
    return out


def _gate(entries: list[Entry]) -> list[Entry]:
    """Refuse any entry that did not pass validation (defence in depth)."""
    for e in entries:
        check = check_cidr if e.kind == "cidr" else check_name
        if check(e.value) != (e.value, None) or e.kind not in ("domain", "host", "cidr"):
            msg = f"refusing to write unvalidated block entry {e.value!a}"
            raise ValueError(msg)
    return entries


def select(bl: BlockList, target: Target) -> tuple[list[Entry], int]:
    """The entries ``target`` gets from ``bl``, and how many rule entries it cannot take."""
    _gate([*bl.entries, *bl.seen_hosts])
    names = [e for e in bl.entries if e.kind != "cidr"]
    cidrs = [e for e in bl.entries if e.kind == "cidr"]
    left_out = (0 if target.names else len(names)) + (0 if target.cidrs else len(cidrs))
    if not target.names:
        names = []
    elif target.subdomains:
        names = _prune(names)
    else:
        names = merge([*names, *bl.seen_hosts])
    return names + (cidrs if target.cidrs else []), left_out


def _header(bl: BlockList, target: Target, entries: list[Entry], when: datetime) -> list[str]:
    files = " + ".join(
        clean_text(f.replace("\\", "/").rsplit("/", 1)[-1]) for f in bl.catalog_files
    )
    scope = ("catalog rules that matched traffic in out/records" if bl.scope == "seen"
             else "every catalog rule of the selected apps")  # fmt: skip
    if not target.subdomains and target.names and bl.records:
        scope += ", plus hosts seen under blocked domains (exact names)"
    used = sorted({a for e in entries for a in e.apps})
    lines = [
        f"shadowlens block script: {target.title}",
        f"generator: shadowlens {__version__}",
        f"generated: {when.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}",
        f"catalog: {clean_text(bl.catalog_version) or 'unknown'}"
        + (f" + {files}" if files else ""),
        f"policy: {clean_text(bl.policy.describe(), 200)}",
        f"scope: {scope}",
        f"entries: {len(entries)} for {len(used)} apps ({len(bl.apps)} apps selected by the policy)",
        *(f"apply: {line}" for line in target.apply),
    ]
    for app_id in used:
        app = bl.apps.get(app_id)
        if app is not None:
            risk = "not assessed" if app.risk is None else f"risk {app.risk}"
            why = clean_text(bl.reasons.get(app_id, ""), 80)
            lines.append(f"app {clean_text(app_id, 40)}: {clean_text(app.name)} ({clean_text(app.category, 40)}, {risk}; {why})")  # fmt: skip
    return [f"{target.comment} {line}".rstrip() for line in lines]


def render(
    bl: BlockList,
    target: str,
    *,
    header: bool | None = None,
    name: str = "shadowlens_blocked",
    generated: datetime | None = None,
) -> Script:
    """Render ``bl`` for the appliance ``target`` (a key of :data:`TARGETS`).

    Parameters
    ----------
    header
        Write the header comment; default: yes for shadowlens templates, no for Defender's.
    name
        Name of the ACL, object group, address set, policy or URL table (letters, digits,
        ``_`` and ``-``, starting with a letter, at most 31 characters).
    generated
        Time written in the header (default: now).

    Raises
    ------
    ConfigError
        Unknown target, bad ``name``, or a header asked of a target without comments.
    """
    spec = TARGETS.get(target)
    if spec is None:
        msg = f"unknown block-script target {target!r} (known: {', '.join(TARGETS)})"
        raise ConfigError(msg)
    if not _NAME_RE.fullmatch(name):
        msg = f"--name must be a letter then up to 30 letters, digits, '_' or '-', not {name!r}"
        raise ConfigError(msg)
    want_header = (not spec.defender) if header is None else header
    if want_header and spec.comment is None:
        msg = f"the {target} list has no comment syntax, so it cannot carry a header"
        raise ConfigError(msg)
    entries, left_out = select(bl, spec)
    labels = {a: clean_text(app.name) for a, app in bl.apps.items()}
    lines = _header(bl, spec, entries, generated or datetime.now(UTC)) if want_header else []
    body = spec.lines(entries, Context(name, labels))
    if not body and spec.comment is not None:
        body = [f"{spec.comment} nothing to block"]
    text = "\n".join([*lines, *body])
    return Script(spec, text + "\n" if text else "", entries, left_out)
