"""The ``shadowlens blockscript`` command: a block script for unsanctioned apps.

Mount it with ``main_app.command("blockscript")(blockscript_cmd.blockscript)`` or
``main_app.add_typer(blockscript_cmd.app)``. The script goes to ``-o FILE`` or stdout; the
account (counts, skipped values, overlaps) goes to stderr. ``SOURCE_DATE_EPOCH`` fixes the
date written in the header, for reproducible output.

Examples
--------
>>> from typer.testing import CliRunner
>>> CliRunner().invoke(app, ["out", "--target", "nope"]).exit_code
2
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from shadowlens.enrich.catalog import load_catalog
from shadowlens.errors import ConfigError, ShadowlensError
from shadowlens.outputs.blockscript import BlockList, Policy, build_blocklist, safe_repr
from shadowlens.outputs.blockscript_targets import TARGETS, Script, render
from shadowlens.paths import os_error

__all__ = ["app", "blockscript"]

app = typer.Typer(add_completion=False, no_args_is_help=True)

_SHOWN = 30  # skipped values / overlaps listed one by one before "... and N more"


def _when() -> datetime:
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not epoch:
        return datetime.now(UTC)
    try:
        return datetime.fromtimestamp(int(epoch), UTC)
    except (ValueError, OverflowError, OSError) as exc:
        msg = f"SOURCE_DATE_EPOCH must be seconds since 1970, not {epoch!r}"
        raise ConfigError(msg) from exc


def _say(text: str) -> None:
    typer.echo(text, err=True)


def _account(bl: BlockList, script: Script, dest: str) -> None:
    apps = len({a for e in script.entries for a in e.apps})
    _say(f"blockscript: {script.target.name}: {len(script.entries)} entries for {apps} apps "
         f"({len(bl.apps)} selected by the policy) -> {dest}")  # fmt: skip
    if not bl.apps:
        _say("warning: no app matches the policy; tag apps 'unsanctioned' in a --catalog "
             "overlay, or use --policy-risk-below / --policy-category")  # fmt: skip
    elif bl.scope == "seen" and len(bl.seen_apps) < len(bl.apps):
        _say(f"note: {len(bl.apps) - len(bl.seen_apps)} selected apps had no traffic in the "
             "records; --all-catalog blocks every domain of every selected app")  # fmt: skip
    if script.left_out:
        kinds = "names" if not script.target.names else "networks (CIDR rules)"
        _say(f"note: {script.left_out} {kinds} left out: the {script.target.name} template "
             "cannot take them (networks: paloalto-ip, cisco-asa, juniper-srx)")  # fmt: skip
    if bl.capped and not script.target.subdomains:
        _say(f"note: {bl.capped} seen hosts left out (more than the cap per blocked rule)")
    if bl.skipped:
        _say(f"skipped {len(bl.skipped)} invalid values (never written):")
        for item in bl.skipped[:_SHOWN]:
            _say(f"  {item}")
        if len(bl.skipped) > _SHOWN:
            _say(f"  ... and {len(bl.skipped) - _SHOWN} more")
    if bl.overlaps and script.target.subdomains:
        _say(f"warning: {len(bl.overlaps)} rules of apps that are not blocked lie under a "
             "blocked domain and will be blocked too:")  # fmt: skip
        for domain, pattern, app_id in bl.overlaps[:_SHOWN]:
            _say(f"  {domain} covers {safe_repr(pattern)} of app {safe_repr(app_id, 40)}")
        if len(bl.overlaps) > _SHOWN:
            _say(f"  ... and {len(bl.overlaps) - _SHOWN} more")


@app.command("blockscript")
def blockscript(
    out_dir: Annotated[
        Path, typer.Argument(help="Folder written by 'shadowlens run' (out/records/*.parquet).")
    ],
    target: Annotated[
        str, typer.Option("--target", "-t", help=f"Appliance: {', '.join(TARGETS)}.")
    ],
    catalog: Annotated[
        list[Path] | None,
        typer.Option(
            "--catalog", "-c", help="User catalog file (TOML/CSV) with tags and risk; repeatable."
        ),
    ] = None,
    policy_risk_below: Annotated[
        int | None,
        typer.Option(
            "--policy-risk-below",
            min=1,
            max=11,
            help="Also block apps not tagged sanctioned whose risk (0-10, 10 safest) is below N.",
        ),
    ] = None,
    policy_category: Annotated[
        list[str] | None,
        typer.Option(
            "--policy-category", help="Also block apps not tagged sanctioned in this category."
        ),
    ] = None,
    only_seen: Annotated[
        bool,
        typer.Option(
            "--only-seen/--all-catalog",
            help="Domains seen in the records, or every domain of the selected apps.",
        ),
    ] = True,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")
    ] = None,
    header: Annotated[
        bool | None,
        typer.Option(
            "--header/--no-header",
            help="Header comment (default: on, off for Defender's shapes).",
        ),
    ] = None,
    name: Annotated[
        str, typer.Option("--name", help="ACL / object-group / address-set / URL table name.")
    ] = "shadowlens_blocked",
) -> None:
    """Write a block script for unsanctioned apps (and an optional risk/category policy)."""
    try:
        if target not in TARGETS:
            msg = f"unknown --target {target!r} (choose from {', '.join(TARGETS)})"
            raise ConfigError(msg)
        when = _when()
        cat = load_catalog(catalog or ())
        categories = tuple(policy_category or ())
        known = {a.category.casefold() for a in cat.apps.values()}
        for category in categories:
            if category.casefold() not in known:
                _say(f"warning: no catalog app has category {safe_repr(category)}")
        policy = Policy(risk_below=policy_risk_below, categories=categories)
        bl = build_blocklist(
            out_dir,
            cat,
            policy,
            only_seen=only_seen,
            catalog_files=[str(p) for p in catalog or ()],
        )
        script = render(bl, target, header=header, name=name, generated=when)
        if output is None:
            typer.echo(script.text, nl=False)
            dest = "stdout"
        else:
            try:
                output.write_text(script.text, encoding="utf-8", newline="\n")
            except OSError as exc:
                raise os_error(exc, output) from exc
            dest = str(output)
    except ShadowlensError as exc:
        exc.show()
        raise typer.Exit(int(exc.exit_code)) from exc
    _account(bl, script, dest)
