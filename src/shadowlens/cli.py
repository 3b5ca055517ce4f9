"""The ``shadowlens`` command line.

One error handler: :class:`~shadowlens.errors.ShadowlensError` prints one line
naming the file (and line) and exits with the error's code; anything else is
reported as an internal error without a traceback unless ``--debug`` is given.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from shadowlens import __version__
from shadowlens.errors import ConfigError, ShadowlensError

app = typer.Typer(
    name="shadowlens",
    help="Offline Shadow-IT discovery from firewall and web-proxy logs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
formats_app = typer.Typer(
    help="List, describe, check and create log formats.", invoke_without_command=True
)
app.add_typer(formats_app, name="formats")

err = Console(stderr=True)
out = Console()

_STATE: dict[str, Any] = {"debug": False, "disabled": [], "spec_paths": []}


def _version(value: bool) -> None:
    if value:
        out.print(f"shadowlens {__version__}")
        raise typer.Exit


@app.callback()
def _main(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks of internal errors.")
    ] = False,
    disable_plugin: Annotated[
        list[str] | None,
        typer.Option("--disable-plugin", help="Block a plugin by name (repeatable)."),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    _STATE["debug"] = debug
    _STATE["disabled"] = disable_plugin or []
    _STATE["spec_paths"] = []


def _plugins(format_file: list[Path] | None = None, formats_dir: list[Path] | None = None) -> Any:
    """The plugin manager with the spec files of the command line; every format loaded now,
    so a broken plugin, spec or grammar stops the run before anything is written."""
    from shadowlens.plugins.manager import get_plugins

    paths = [*_STATE["spec_paths"], *(format_file or []), *(formats_dir or [])]
    plugins = get_plugins(disabled=_STATE["disabled"], spec_paths=paths)
    plugins.formats()
    return plugins


def _options(tz: str, engine: str, year: int | None, option: list[str] | None) -> Any:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from shadowlens.parsers.base import ParseOptions

    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        msg = f"unknown time zone {tz!r} (use an IANA name such as Europe/Berlin)"
        raise ConfigError(msg) from exc
    if engine not in ("auto", "fast", "reference"):
        msg = f"--engine must be auto, fast or reference, not {engine!r}"
        raise ConfigError(msg)
    pairs: dict[str, str] = {}
    for item in option or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            msg = f"--option expects KEY=VALUE, got {item!r}"
            raise ConfigError(msg)
        pairs[key.strip()] = value
    return ParseOptions(tz=tz, engine=engine, year=year, options=pairs)  # type: ignore[arg-type]


InputsArg = Annotated[
    list[str], typer.Argument(help="Log files, directories (recursive) or globs.")
]
OutOpt = Annotated[Path, typer.Option("-o", "--out", help="Output folder.")]
FormatOpt = Annotated[
    str | None, typer.Option("--format", "-f", help="Format name; detected per file when omitted.")
]
TzOpt = Annotated[str, typer.Option("--tz", help="Zone for timestamps without an offset.")]
EngineOpt = Annotated[
    str, typer.Option("--engine", help="auto (fast path + Lark fallback), fast, or reference.")
]
YearOpt = Annotated[
    int | None, typer.Option("--year", help="Year for timestamps without one (syslog).")
]
OptionOpt = Annotated[
    list[str] | None, typer.Option("--option", help="Format option KEY=VALUE (repeatable).")
]
ChunkOpt = Annotated[int, typer.Option("--chunk-mb", help="Chunk size in MiB (memory per worker).")]
WorkersOpt = Annotated[int, typer.Option("--workers", "-j", help="Chunks parsed concurrently.")]
FormatFileOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--format-file",
        help="A format spec (NAME.toml beside NAME.lark) to register (repeatable).",
    ),
]
FormatsDirOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--formats-dir",
        help="A folder of format specs (*.toml) to register (repeatable; "
        "SHADOWLENS_FORMATS_PATH adds more).",
    ),
]
StrictOpt = Annotated[
    bool,
    typer.Option(
        "--strict",
        help="Stop at the first input file that cannot be read to its end (exit 3). "
        "Default: list it under failed_files, read the others, exit 7.",
    ),
]
ProgressOpt = Annotated[
    bool | None,
    typer.Option("--progress/--no-progress", help="Progress bar (default: on a terminal)."),
]


@app.command()
def parse(
    inputs: InputsArg,
    out_dir: OutOpt = Path("out"),
    format: FormatOpt = None,
    tz: TzOpt = "UTC",
    engine: EngineOpt = "auto",
    year: YearOpt = None,
    option: OptionOpt = None,
    chunk_mb: ChunkOpt = 16,
    workers: WorkersOpt = 2,
    progress: ProgressOpt = None,
    format_file: FormatFileOpt = None,
    formats_dir: FormatsDirOpt = None,
    strict: StrictOpt = False,
) -> None:
    """Parse logs into out/records (Parquet), out/quarantine and out/summary.json."""
    from shadowlens.engine.pipeline import RunConfig, run_parse

    plugins = _plugins(format_file, formats_dir)
    config = RunConfig(
        inputs=inputs,
        out_dir=out_dir,
        format=format,
        options=_options(tz, engine, year, option),
        chunk_bytes=max(1, chunk_mb) * 1024 * 1024,
        progress=sys.stderr.isatty() if progress is None else progress,
        plugins=plugins,
        workers=workers,
        strict=strict,
    )
    summary = run_parse(config)
    print_summary(summary, out_dir)
    _exit_if_partial(summary)


def _exit_if_partial(summary: dict[str, Any]) -> None:
    """Exit 7 when some input files failed (the others were processed)."""
    failed = summary.get("failed_files") or {}
    if failed:
        err.print(
            f"{len(failed)} input file(s) failed (see failed_files in summary.json); "
            "the others were processed",
            markup=False,
            soft_wrap=True,
        )
        raise typer.Exit(7)


CatalogOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--catalog",
        help="User catalog file (TOML/CSV) overlaid on the starter catalog (repeatable).",
    ),
]
AnonOpt = Annotated[
    bool, typer.Option("--anonymize-users", help="Replace user names by keyed tokens.")
]
KeyOpt = Annotated[
    Path | None, typer.Option("--key-file", help="Secret key file for --anonymize-users.")
]


@app.command()
def run(
    inputs: InputsArg,
    out_dir: OutOpt = Path("out"),
    format: FormatOpt = None,
    tz: TzOpt = "UTC",
    engine: EngineOpt = "auto",
    year: YearOpt = None,
    option: OptionOpt = None,
    catalog: CatalogOpt = None,
    anonymize_users: AnonOpt = False,
    key_file: KeyOpt = None,
    chunk_mb: ChunkOpt = 16,
    workers: WorkersOpt = 2,
    progress: ProgressOpt = None,
    format_file: FormatFileOpt = None,
    formats_dir: FormatsDirOpt = None,
    strict: StrictOpt = False,
) -> None:
    """The main job: parse + enrich + records, quarantine, summary and report (HTML + JSON)."""
    from shadowlens.engine.job import JobConfig, run_job

    if anonymize_users and key_file is None:
        msg = "--anonymize-users needs --key-file (a file holding a secret of at least 16 bytes)"
        raise ConfigError(msg)
    plugins = _plugins(format_file, formats_dir)
    summary = run_job(
        JobConfig(
            inputs=inputs,
            out_dir=out_dir,
            format=format,
            options=_options(tz, engine, year, option),
            catalogs=catalog or [],
            key_file=key_file if anonymize_users else None,
            chunk_bytes=max(1, chunk_mb) * 1024 * 1024,
            progress=sys.stderr.isatty() if progress is None else progress,
            plugins=plugins,
            workers=workers,
            strict=strict,
        )
    )
    print_summary(summary, out_dir)
    err.print(f"report: {out_dir / 'report.html'}")
    _exit_if_partial(summary)


@app.command()
def report(
    out_dir: Annotated[Path, typer.Argument(help="A folder written by parse or run.")],
) -> None:
    """Rebuild report.html and report.json from out/records and out/quarantine."""
    from shadowlens.outputs.report import write_report

    if not (out_dir / "records").is_dir():
        msg = f"{out_dir}: no records/ folder here; run 'shadowlens run' first"
        raise ConfigError(msg)
    json_path, html_path = write_report(out_dir)
    err.print(f"wrote {json_path} and {html_path}")


@app.command()
def demo(out_dir: OutOpt = Path("out"), progress: ProgressOpt = None) -> None:
    """Run the main job on the sample logs shipped with shadowlens."""
    from shadowlens.engine.job import JobConfig, run_job, sample_logs

    inputs = sample_logs()
    if not inputs:
        msg = "the bundled sample logs are missing; reinstall shadowlens"
        raise ConfigError(msg)
    summary = run_job(
        JobConfig(
            inputs=inputs,
            out_dir=out_dir,
            progress=sys.stderr.isatty() if progress is None else progress,
            plugins=_plugins(),
        )
    )
    print_summary(summary, out_dir)
    err.print(f"open the report: {(out_dir / 'report.html').resolve()}")


def print_summary(summary: dict[str, Any], out_dir: Path) -> None:
    """The short end-of-run account on stderr."""
    totals = summary["totals"]
    table = Table(title=f"shadowlens: {totals['files']} file(s) -> {out_dir}", show_header=True)
    for column in ("lines", "records", "quarantined", "directives", "blank"):
        table.add_column(column, justify="right")
    table.add_row(
        *(f"{totals[c]:,}" for c in ("lines", "records", "quarantined", "directives", "blank"))
    )
    err.print(table)
    if totals["quarantined"]:
        err.print(
            f"[yellow]{totals['quarantined']:,} line(s) quarantined[/]: see {out_dir / 'quarantine'}"
        )
    yearless = totals.get("year_assumed", 0)
    if yearless:
        year = summary.get("options", {}).get("year")
        given = f" (--year {year} was given)" if year is not None else ""
        err.print(
            f"{yearless:,} record(s) had a yearless date (syslog `Mmm dd`): they took the year "
            "from --year, else the current year, or the previous year when that date would be "
            f"more than 2 days in the future{given}",
            markup=False,
            soft_wrap=True,
        )
    untimed = totals.get("untimed", 0)
    if untimed:
        err.print(
            f"{untimed:,} record(s) without an event time (event_time is null): they are "
            "in records/ and the report, but Defender (export --to mdca, mdca-custom) and "
            "OCSF exports skip them",
            markup=False,
            soft_wrap=True,
        )


@formats_app.callback()
def formats_list(
    ctx: typer.Context,
    format_file: FormatFileOpt = None,
    formats_dir: FormatsDirOpt = None,
) -> None:
    """List registered formats and the plugin that supplies each."""
    _STATE["spec_paths"] = [*(format_file or []), *(formats_dir or [])]
    if ctx.invoked_subcommand is not None:
        return
    entries = _plugins().formats()
    width = max((len(n) for n in entries), default=6) + 2
    for name, entry in entries.items():
        if entry.distribution:
            origin = f"plugin {entry.plugin} ({entry.distribution} {entry.version})"
        elif entry.plugin.startswith("file:"):
            origin = f"spec file {entry.plugin[5:]}"
        else:
            origin = f"built-in ({entry.plugin})"
        cls = entry.cls
        facts = [f"vendor: {' / '.join(filter(None, [cls.vendor, cls.product]))}"]
        facts = facts if cls.vendor or cls.product else []
        if cls.variants:
            facts.append(f"variants: {', '.join(cls.variants)}")
        facts.append(origin)
        out.print(f"{name:<{width}}{cls.description}", markup=False, soft_wrap=True)
        out.print(f"{'':<{width}}{'; '.join(facts)}", markup=False, soft_wrap=True)


SpecArg = Annotated[str, typer.Argument(help="A format name, or a spec file (NAME.toml).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


@formats_app.command("show")
def formats_show(
    name: SpecArg,
    as_json: JsonOpt = False,
    format_file: FormatFileOpt = None,
    formats_dir: FormatsDirOpt = None,
) -> None:
    """Describe one format: for a spec, its field table and an example parsed."""
    from shadowlens.spec.authoring import load_format, show_text

    loaded = load_format(name, lambda: _plugins(format_file, formats_dir))
    if as_json or not loaded.is_spec:
        info = {"plugin": loaded.origin, **loaded.cls.describe()}
        typer.echo(json.dumps(info, indent=2))
        return
    typer.echo(show_text(loaded), nl=False)


@formats_app.command("check")
def formats_check(
    name: SpecArg,
    samples: Annotated[list[str], typer.Argument(help="Sample log files (any input parse reads).")],
    as_json: JsonOpt = False,
    problems_only: Annotated[
        bool, typer.Option("--problems-only", help="Print only the lines that are not ok.")
    ] = False,
    tz: TzOpt = "UTC",
    option: OptionOpt = None,
    format_file: FormatFileOpt = None,
    formats_dir: FormatsDirOpt = None,
) -> None:
    """Per sample line: fast path vs Lark, and why a line is quarantined; a spec's examples.

    Exits 0 when every line parses and both paths agree, 1 on a quarantined line,
    a difference or a failed example.
    """
    from shadowlens.spec.authoring import load_format
    from shadowlens.spec.checking import check_samples, render_check

    loaded = load_format(name, lambda: _plugins(format_file, formats_dir))
    report = check_samples(loaded, samples, _options(tz, "auto", None, option))
    if as_json:
        typer.echo(json.dumps(report.as_json(), indent=2))
    else:
        typer.echo(render_check(report, problems_only=problems_only), nl=False)
    if report.findings:
        raise typer.Exit(1)


@formats_app.command("new")
def formats_new(
    name: Annotated[str, typer.Argument(help="The new format's name (lowercase, dashes).")],
    folder: Annotated[
        Path, typer.Option("--dir", help="Where to write the files (created if missing).")
    ] = Path("."),
) -> None:
    """Scaffold NAME.toml, NAME.lark, a sample log and a pytest file that pass as written."""
    from shadowlens.spec.scaffold import new_format

    written = new_format(name, folder)
    for path in written:
        typer.echo(f"wrote {path}", err=True)
    spec, sample, test = written[0], written[2], written[3]
    typer.echo(
        f"next: shadowlens formats check {spec} {sample}\n"
        f"      pytest {test}\n"
        f"      shadowlens parse LOGS --format-file {spec} -o out/",
        err=True,
    )


def _mount() -> None:
    """Sub-command groups that live next to the code they drive."""
    from shadowlens.enrich.commands import app as catalog_app
    from shadowlens.enrich.commands import users_app
    from shadowlens.outputs.blockscript_cmd import blockscript
    from shadowlens.outputs.export_cmd import export
    from shadowlens.outputs.upload_cmd import upload

    app.add_typer(catalog_app, name="catalog")
    app.command("blockscript")(blockscript)
    app.command("export")(export)
    app.add_typer(users_app, name="users")
    app.command("upload")(upload)


_mount()


def main() -> None:
    """Entry point of the ``shadowlens`` console script."""
    try:
        status = app(standalone_mode=False)  # a typer.Exit is returned here, not raised
    except ShadowlensError as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("aborted")
        sys.exit(130)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as exc:  # usage errors (click's, as vendored by typer) and internal errors
        show, code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
        if callable(show) and isinstance(code, int):
            show()
            sys.exit(code)
        if _STATE["debug"] or os.environ.get("SHADOWLENS_DEBUG"):
            raise
        err.print(
            f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for a traceback)"
        )
        sys.exit(70)
    if isinstance(status, int) and status:
        sys.exit(status)
