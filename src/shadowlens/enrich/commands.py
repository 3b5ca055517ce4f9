"""CLI commands: ``shadowlens catalog ...`` (:data:`app`) and ``shadowlens users ...`` (:data:`users_app`).

Examples
--------
>>> from typer.testing import CliRunner
>>> CliRunner().invoke(app, ["lookup", "files.slack.com"]).exit_code
0
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from shadowlens.enrich.catalog import load_catalog, validate
from shadowlens.enrich.lookup import LookupResult, load_index, read_queries
from shadowlens.enrich.ranges import PROVIDERS, import_ranges
from shadowlens.errors import ConfigError, OutputError, ShadowlensError
from shadowlens.paths import os_error
from shadowlens.plugins.manager import get_plugins

if TYPE_CHECKING:
    from rich.table import Table
    from rich.text import Text

# rich's console, the Defender importer and the pseudonymiser (cryptography, polars) are
# imported by the commands that use them: ``catalog lookup --json`` must start fast

app = typer.Typer(help="Inspect, extend and check the cloud-app catalog.", no_args_is_help=True)
users_app = typer.Typer(help="Work with pseudonymised user names.", no_args_is_help=True)

CatalogOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--catalog", "-c", help="User catalog file (TOML or CSV); repeatable, later wins."
    ),
]


def _fail(exc: ShadowlensError) -> typer.Exit:
    exc.show()
    return typer.Exit(int(exc.exit_code))


WeightsOpt = Annotated[
    Path | None,
    typer.Option(
        "--risk-weights",
        help="TOML of risk weights replacing the shipped ones (see risk-weights.toml).",
    ),
]


@app.command()
def lookup(
    hosts: Annotated[
        list[str] | None, typer.Argument(help="Host names or IP addresses.", show_default=False)
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option("--file", "-f", help="Read hosts from FILE, one per line (# comments)."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per line per host.")
    ] = False,
    catalog: CatalogOpt = None,
    risk_weights: WeightsOpt = None,
) -> None:
    """Show which app each host belongs to, the rule that matched, its attributes and risk.

    Exits 1 when a host has no catalog app (after answering every host).
    """
    try:
        queries = list(hosts or [])
        if file is not None:
            queries += read_queries(file)
        if not queries:
            msg = "give at least one host, or --file FILE"
            raise ConfigError(msg)
        index = load_index(catalog or (), risk_weights=risk_weights, plugins=get_plugins())
    except ShadowlensError as exc:
        raise _fail(exc) from exc
    results = index.lookup(queries)
    if as_json:
        for r in results:
            typer.echo(json.dumps(r.to_json(), ensure_ascii=False))
    else:
        from rich.console import Console

        console = Console(highlight=False, soft_wrap=True)
        for i, r in enumerate(results):
            if i:
                console.print()
            console.print(_table(r))
    if any(r.app is None for r in results):
        raise typer.Exit(1)


def _table(r: LookupResult) -> Table | Text:
    """The text answer for one host; log-derived strings are never read as markup."""
    from rich.table import Table
    from rich.text import Text

    if r.app is None:
        return Text(f"{r.host}: no catalog app (registrable domain: {r.dst_domain or '-'})")
    a = r.app
    table = Table(show_header=False, box=None)
    risk = "not assessed" if a.risk is None else f"{a.risk}/10"
    rows = [
        ("host", r.host),
        ("app", f"{a.name} ({a.app_id})"),
        ("vendor", a.vendor or "-"),
        ("category", a.category),
        ("tags", ", ".join(a.tags) or "-"),
        ("risk", risk),
        *(("  because", reason) for reason in a.reasons),
        *((f"{x.name}", f"{x.value}  [{x.source}]") for x in a.attributes),
        ("domain", r.dst_domain or "-"),
        ("matched", f"{r.match_type}: {r.rule_kind} rule {r.rule}"),
        ("source", r.source or "-"),
    ]
    for key, value in rows:
        table.add_row(Text(key), Text(value))
    return table


@app.command("import")
def import_(
    csv_path: Annotated[Path, typer.Argument(help="Defender 'Discovered apps' CSV export.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Overlay TOML to write.")] = Path(
        "overlay.toml"
    ),
    catalog: CatalogOpt = None,
) -> None:
    """Turn a Defender discovered-apps export into a catalog overlay (tags, risk, custom apps)."""
    from shadowlens.enrich.defender import import_defender_csv, write_overlay_toml

    try:
        entries = import_defender_csv(csv_path, load_catalog(catalog or (), plugins=get_plugins()))
    except ShadowlensError as exc:
        raise _fail(exc) from exc
    try:
        n = write_overlay_toml(entries, output)
    except OSError as exc:
        raise _fail(os_error(exc, output)) from exc
    custom = sum(1 for e in entries if e.tags and "custom" in e.tags)
    typer.echo(f"wrote {n} apps ({custom} custom) to {output}")


@app.command("import-ranges")
def import_ranges_cmd(
    file: Annotated[Path, typer.Argument(help="The provider's published ranges (JSON, or CSV).")],
    provider: Annotated[
        str,
        typer.Option(
            "--provider",
            "-p",
            help="aws, azure, gcp, m365, cloudflare, oracle, github or csv.",
            show_default=False,
        ),
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="Overlay TOML to write.")] = Path(
        "ranges.toml"
    ),
    catalog: CatalogOpt = None,
) -> None:
    """Turn a cloud provider's published IP ranges into CIDR rules of a catalog overlay.

    Use the overlay with --catalog: records whose host matches no app are matched by
    destination IP, longest prefix first.
    """
    from shadowlens.enrich.defender import write_overlay_toml

    try:
        if provider not in PROVIDERS:
            msg = f"--provider must be one of {', '.join(PROVIDERS)}, got {provider!r}"
            raise ConfigError(msg)
        entries = import_ranges(file, provider)
        known = load_catalog(catalog or (), plugins=get_plugins()).apps
        for e in entries:  # an app the catalog has keeps its own name and category
            if e.app_id in known:
                e.name = e.vendor = e.category = None
        try:
            n = write_overlay_toml(
                entries, output, f"import-ranges --provider {provider} {file.name}"
            )
        except OSError as exc:
            msg = f"{output}: cannot write overlay: {exc.strerror}"
            raise OutputError(msg) from exc
    except ShadowlensError as exc:
        raise _fail(exc) from exc
    cidrs = sum(len(e.rules) for e in entries)
    typer.echo(f"wrote {cidrs} ranges of {n} apps to {output}")


@app.command("validate")
def validate_cmd(
    files: Annotated[list[Path] | None, typer.Argument(help="User catalog files to check.")] = None,
) -> None:
    """Report malformed, duplicate and overlapping rules (with file and line)."""
    try:
        cat = load_catalog(files or (), plugins=get_plugins())
    except ShadowlensError as exc:
        raise _fail(exc) from exc
    user = {str(f) for f in files or ()}
    problems = [p for p in validate(cat) if not user or p.where.rsplit(":", 1)[0] in user]
    for p in problems:
        typer.echo(str(p))
    errors = sum(p.severity == "error" for p in problems)
    typer.echo(
        f"{len(cat.apps)} apps, {len(cat.rules)} rules: {errors} errors, {len(problems) - errors} warnings"
    )
    if errors:
        raise typer.Exit(1)


@users_app.callback()
def _users() -> None:
    """Work with pseudonymised user names (keeps ``users`` a group even with one command)."""


@users_app.command()
def keygen(
    key_file: Annotated[Path, typer.Argument(help="Key file to create (never overwritten).")],
) -> None:
    """Create a random secret key file for --anonymize-users (readable by you only)."""
    import os
    import secrets

    try:
        # O_EXCL: an existing key is never replaced (its tokens could no longer be revealed)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        msg = f"{key_file}: already exists; keep it (its tokens need it) or choose another name"
        raise _fail(OutputError(msg)) from exc
    except OSError as exc:
        raise _fail(os_error(exc, key_file)) from exc
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_urlsafe(32) + "\n")
    except OSError as exc:
        key_file.unlink(missing_ok=True)
        raise _fail(os_error(exc, key_file)) from exc
    typer.echo(f"wrote a new key to {key_file}; keep it secret, and keep it", err=True)


@users_app.command()
def reveal(
    token: Annotated[str, typer.Argument(help="A user token from shadowlens output.")],
    key_file: Annotated[Path, typer.Option("--key-file", help="The key used for the run.")],
) -> None:
    """Print the user name behind TOKEN (needs the key)."""
    from shadowlens.enrich.pseudonymize import Pseudonymizer

    try:
        typer.echo(Pseudonymizer.from_key_file(key_file).reveal(token))
    except ShadowlensError as exc:
        raise _fail(exc) from exc
