"""CLI commands: ``shadowlens catalog ...`` (:data:`app`) and ``shadowlens users ...`` (:data:`users_app`).

Examples
--------
>>> from typer.testing import CliRunner
>>> CliRunner().invoke(app, ["lookup", "files.slack.com"]).exit_code
0
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from shadowlens.enrich.catalog import load_catalog, validate
from shadowlens.enrich.defender import import_defender_csv, write_overlay_toml
from shadowlens.enrich.match import explain
from shadowlens.enrich.pseudonymize import Pseudonymizer
from shadowlens.errors import OutputError, ShadowlensError
from shadowlens.paths import os_error

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


@app.command()
def lookup(
    host: Annotated[str, typer.Argument(help="Host name or IP address.")],
    catalog: CatalogOpt = None,
) -> None:
    """Show which app HOST belongs to, and the rule that matched."""
    try:
        cat = load_catalog(catalog or ())
    except ShadowlensError as exc:
        raise _fail(exc) from exc
    found = explain(host, cat)
    console = Console(highlight=False)
    if found.app_id is None:
        console.print(
            f"{found.query}: no catalog app (registrable domain: {found.dst_domain or '-'})"
        )
        raise typer.Exit(1)
    a = cat.apps[found.app_id]
    table = Table(show_header=False, box=None)
    for key, value in (
        ("host", found.query),
        ("app", f"{a.name} ({a.app_id})"),
        ("vendor", a.vendor or "-"),
        ("category", a.category),
        ("tags", ", ".join(a.tags) or "-"),
        ("risk", "-" if a.risk is None else f"{a.risk}/10"),
        ("domain", found.dst_domain or "-"),
        ("matched", f"{found.match_type}: {found.rule_kind} rule {found.rule_pattern}"),
        ("source", found.rule_source or "-"),
    ):
        table.add_row(key, value)
    console.print(table)


@app.command("import")
def import_(
    csv_path: Annotated[Path, typer.Argument(help="Defender 'Discovered apps' CSV export.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Overlay TOML to write.")] = Path(
        "overlay.toml"
    ),
    catalog: CatalogOpt = None,
) -> None:
    """Turn a Defender discovered-apps export into a catalog overlay (tags, risk, custom apps)."""
    try:
        entries = import_defender_csv(csv_path, load_catalog(catalog or ()))
    except ShadowlensError as exc:
        raise _fail(exc) from exc
    try:
        n = write_overlay_toml(entries, output)
    except OSError as exc:
        raise _fail(os_error(exc, output)) from exc
    custom = sum(1 for e in entries if e.tags and "custom" in e.tags)
    typer.echo(f"wrote {n} apps ({custom} custom) to {output}")


@app.command("validate")
def validate_cmd(
    files: Annotated[list[Path] | None, typer.Argument(help="User catalog files to check.")] = None,
) -> None:
    """Report malformed, duplicate and overlapping rules (with file and line)."""
    try:
        cat = load_catalog(files or ())
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
    try:
        typer.echo(Pseudonymizer.from_key_file(key_file).reveal(token))
    except ShadowlensError as exc:
        raise _fail(exc) from exc
