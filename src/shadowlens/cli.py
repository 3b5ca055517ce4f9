"""The ``shadowlens`` command line.

One error handler (:func:`run_cli`): a :class:`~shadowlens.errors.ShadowlensError` prints
one line naming the file (and line) and exits with its code from the one table,
:class:`~shadowlens.errors.ExitCode`; a full disk or a symlink loop met anywhere gets its
code too; anything else is an internal error (70) without a traceback unless ``--debug``.
Commands print what a script needs on standard output (``parse``/``run``: the output
folder, or the summary with ``--json``) and their account on standard error (``--quiet``
silences it). The group (:mod:`shadowlens.cli_group`) imports sub-commands on first use
and accepts the global options after a command's name; :mod:`shadowlens.cli_config` reads
``shadowlens.toml``.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
import typer.main

from shadowlens import __version__
from shadowlens.cli_config import CONFIG_NAME, apply_config
from shadowlens.cli_group import ShadowlensGroup, params_of, tidy
from shadowlens.errors import ConfigError, ExitCode, InputError, ShadowlensError

app = typer.Typer(
    name="shadowlens",
    help="Offline Shadow-IT discovery from firewall and web-proxy logs.",
    cls=ShadowlensGroup,
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
formats_app = typer.Typer(
    help="List, describe, check and create log formats.",
    invoke_without_command=True,
    rich_markup_mode=None,
)
app.add_typer(formats_app, name="formats")

#: Per invocation: what the global options said (reset by :func:`run_cli`).
_STATE: dict[str, Any] = {}


def _reset_state() -> None:
    _STATE.update(debug=False, quiet=False, disabled=[], spec_paths=[])


_reset_state()


class _Err:
    """Human text on standard error, silenced by ``--quiet`` (rich is imported on first use)."""

    def print(self, *objects: Any, **kwargs: Any) -> None:
        from rich.console import Console

        kwargs.setdefault("soft_wrap", True)  # one message, one line: never cut at 80 columns
        Console(stderr=True, quiet=_STATE["quiet"]).print(*objects, **kwargs)


err = _Err()


def _version(value: bool) -> None:
    if value:
        typer.echo(f"shadowlens {__version__}")
        raise typer.Exit


def _set_debug(value: bool) -> None:
    _STATE["debug"] = _STATE["debug"] or value


def _set_quiet(value: bool) -> None:
    _STATE["quiet"] = _STATE["quiet"] or value


def _add_disabled(value: list[str] | None) -> None:
    _STATE["disabled"] = [*_STATE["disabled"], *(value or [])]


def _config(ctx: typer.Context, value: Path | None) -> None:
    apply_config(ctx, value)


DebugOpt = Annotated[
    bool,
    typer.Option(
        "--debug",
        callback=_set_debug,
        expose_value=False,
        help="Show tracebacks of internal errors.",
    ),
]
QuietOpt = Annotated[
    bool,
    typer.Option(
        "--quiet",
        "-q",
        callback=_set_quiet,
        expose_value=False,
        help="No human text on standard error (errors still are).",
    ),
]
DisableOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--disable-plugin",
        metavar="NAME",
        callback=_add_disabled,
        expose_value=False,
        help="Block a plugin by name (repeatable).",
    ),
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        metavar="FILE",
        callback=_config,
        is_eager=True,
        expose_value=False,
        help=f"Options from this TOML file (default: ./{CONFIG_NAME} when present).",
    ),
]


def _global_options(
    debug: DebugOpt = False,
    quiet: QuietOpt = False,
    disable_plugin: DisableOpt = None,
    config: ConfigOpt = None,
) -> None:
    """The options every command accepts, before or after its name."""


@app.callback()
def _main(
    debug: DebugOpt = False,
    quiet: QuietOpt = False,
    disable_plugin: DisableOpt = None,
    config: ConfigOpt = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Offline Shadow-IT discovery from firewall and web-proxy logs."""


def _spec_paths(
    format_file: list[Path] | None = None, formats_dir: list[Path] | None = None
) -> list[Path]:
    """The spec files and folders of the command line (``formats`` group options first)."""
    return [*_STATE["spec_paths"], *(format_file or []), *(formats_dir or [])]


def _plugins(format_file: list[Path] | None = None, formats_dir: list[Path] | None = None) -> Any:
    """The plugin manager with the spec files of the command line; every format loaded now,
    so a broken plugin, spec or grammar stops the run before anything is written."""
    from shadowlens.api import load_plugins

    return load_plugins(_spec_paths(format_file, formats_dir), _STATE["disabled"])


def _options(tz: str, engine: str, year: int | None, option: list[str] | None) -> Any:
    from shadowlens.api import make_options

    return make_options(tz, engine, year, option)


InputsArg = Annotated[
    list[str],
    typer.Argument(metavar="INPUTS", help="Log files, directories (recursive) or globs."),
]
OutOpt = Annotated[Path, typer.Option("-o", "--out", metavar="DIR", help="Output folder.")]
FormatOpt = Annotated[
    str | None,
    typer.Option(
        "--format", "-f", metavar="NAME", help="Format name; detected per file when omitted."
    ),
]
TzOpt = Annotated[
    str, typer.Option("--tz", metavar="ZONE", help="Zone for timestamps without an offset.")
]
EngineOpt = Annotated[
    str,
    typer.Option(
        "--engine", metavar="NAME", help="auto (fast path + Lark fallback), fast, or reference."
    ),
]
YearOpt = Annotated[
    int | None,
    typer.Option("--year", metavar="YEAR", help="Year for timestamps without one (syslog)."),
]
OptionOpt = Annotated[
    list[str] | None,
    typer.Option("--option", metavar="KEY=VALUE", help="Format option (repeatable)."),
]
ChunkOpt = Annotated[
    int,
    typer.Option("--chunk-mb", metavar="MIB", min=1, help="Chunk size (memory per worker)."),
]
WorkersOpt = Annotated[
    int, typer.Option("--workers", "-j", metavar="N", min=1, help="Chunks parsed concurrently.")
]
FormatFileOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--format-file",
        metavar="FILE",
        help="A format spec (NAME.toml beside NAME.lark) to register (repeatable).",
    ),
]
FormatsDirOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--formats-dir",
        metavar="DIR",
        help="A folder of format specs (*.toml) to register (repeatable; "
        "SHADOWLENS_FORMATS_PATH adds more).",
    ),
]
OverwriteOpt = Annotated[
    bool,
    typer.Option(
        "--overwrite",
        help="Replace a non-empty output folder that is not a previous shadowlens output.",
    ),
]
JsonSummaryOpt = Annotated[
    bool,
    typer.Option(
        "--json", help="Print the summary as JSON on standard output instead of the path."
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
ExecutorOpt = Annotated[
    str,
    typer.Option(
        "--executor",
        help="local (threads on this machine) or dask (a Dask cluster; needs shadowlens[dask]).",
    ),
]
SchedulerOpt = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        help="Dask scheduler address (tcp://HOST:8786) for --executor dask; "
        "without it a LocalCluster is started.",
    ),
]
DaskWorkersOpt = Annotated[
    int | None,
    typer.Option(
        "--dask-workers",
        help="Worker processes of the LocalCluster of --executor dask (default 2).",
    ),
]


def _dask_options(executor: str, scheduler: str | None, dask_workers: int | None) -> Any:
    """The Dask settings of ``--executor dask``, or None for a local run."""
    if executor not in ("local", "dask"):
        msg = f"--executor must be local or dask, not {executor!r}"
        raise ConfigError(msg)
    if executor == "local":
        if scheduler is not None or dask_workers is not None:
            msg = "--scheduler and --dask-workers need --executor dask"
            raise ConfigError(msg)
        return None
    if scheduler is not None and dask_workers is not None:
        msg = (
            "--dask-workers sizes the LocalCluster; with --scheduler the cluster's own workers run"
        )
        raise ConfigError(msg)
    if dask_workers is not None and dask_workers < 1:
        msg = f"--dask-workers must be at least 1, not {dask_workers}"
        raise ConfigError(msg)
    from shadowlens.engine.distributed import DaskOptions

    return DaskOptions(scheduler=scheduler, workers=dask_workers or 2)


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
    overwrite: OverwriteOpt = False,
    executor: ExecutorOpt = "local",
    scheduler: SchedulerOpt = None,
    dask_workers: DaskWorkersOpt = None,
    as_json: JsonSummaryOpt = False,
    strict: StrictOpt = False,
) -> None:
    """Parse logs into records (Parquet), quarantine and summary.json under --out.

    Prints the output folder on standard output (the summary as JSON with --json).
    """
    from shadowlens import api

    dask = _dask_options(executor, scheduler, dask_workers)

    summary = api.parse(
        inputs,
        out=out_dir,
        format=format,
        tz=tz,
        engine=engine,
        year=year,
        options=option,
        chunk_mb=chunk_mb,
        workers=workers,
        format_files=_spec_paths(format_file, formats_dir),
        disabled_plugins=_STATE["disabled"],
        progress=_progress(progress),
        overwrite=overwrite,
        dask=dask,
        strict=strict,
    ).summary
    print_summary(summary, out_dir)
    _print_result(summary, out_dir, as_json)
    _exit_if_partial(summary)


def _progress(asked: bool | None) -> bool:
    """A progress bar when asked, else on a terminal; never with --quiet."""
    if _STATE["quiet"]:
        return False
    return sys.stderr.isatty() if asked is None else asked


def _print_result(summary: dict[str, Any], out_dir: Path, as_json: bool) -> None:
    """Standard output of parse/run/demo: what a script needs, nothing else."""
    typer.echo(json.dumps(summary, indent=2) if as_json else str(out_dir))


def _exit_if_partial(summary: dict[str, Any]) -> None:
    """Exit 7 (partial) when some input files failed and the others were processed."""
    failed = summary.get("failed_files") or {}
    if failed:
        err.print(
            f"{len(failed)} input file(s) failed (see failed_files in summary.json); "
            "the others were processed",
            markup=False,
            soft_wrap=True,
        )
        raise typer.Exit(int(ExitCode.PARTIAL))


CatalogOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--catalog",
        metavar="FILE",
        help="User catalog file (TOML/CSV) overlaid on the starter catalog (repeatable).",
    ),
]
AnonOpt = Annotated[
    bool, typer.Option("--anonymize-users", help="Replace user names by keyed tokens.")
]
KeyOpt = Annotated[
    Path | None,
    typer.Option("--key-file", metavar="FILE", help="Secret key file for --anonymize-users."),
]
BaselineOpt = Annotated[
    Path | None,
    typer.Option(
        "--baseline",
        help="Output folder of a previous run: the report lists the apps new since then.",
    ),
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
    overwrite: OverwriteOpt = False,
    executor: ExecutorOpt = "local",
    scheduler: SchedulerOpt = None,
    dask_workers: DaskWorkersOpt = None,
    as_json: JsonSummaryOpt = False,
    baseline: BaselineOpt = None,
    strict: StrictOpt = False,
) -> None:
    """The main job: parse, enrich, report (HTML + JSON) under --out.

    Prints the output folder on standard output (the summary as JSON with --json).
    """
    from shadowlens import api

    if anonymize_users and key_file is None:
        msg = "--anonymize-users needs --key-file (a file holding a secret of at least 16 bytes)"
        raise ConfigError(msg)
    if baseline is not None:
        _check_baseline(baseline)
    dask = _dask_options(executor, scheduler, dask_workers)
    summary = api.run(
        inputs,
        out=out_dir,
        format=format,
        tz=tz,
        engine=engine,
        year=year,
        options=option,
        catalogs=catalog or [],
        key_file=key_file if anonymize_users else None,
        chunk_mb=chunk_mb,
        workers=workers,
        format_files=_spec_paths(format_file, formats_dir),
        disabled_plugins=_STATE["disabled"],
        progress=_progress(progress),
        overwrite=overwrite,
        dask=dask,
        baseline=baseline,
        strict=strict,
    ).summary
    print_summary(summary, out_dir)
    err.print(f"report: {out_dir / 'report.html'}")
    _print_result(summary, out_dir, as_json)
    _exit_if_partial(summary)


def _check_baseline(baseline: Path) -> None:
    """Refuse a ``--baseline`` that is not a previous output before any work is done."""
    from shadowlens.outputs.report import read_baseline

    read_baseline(baseline)


@app.command()
def report(
    out_dir: Annotated[Path, typer.Argument(help="A folder written by parse or run.")],
    catalog: Annotated[
        list[Path] | None,
        typer.Option(
            "--catalog",
            help="Re-apply the starter catalog plus this user catalog or overlay (TOML/CSV, "
            "repeatable) to the saved records; nothing is parsed again.",
        ),
    ] = None,
    baseline: BaselineOpt = None,
) -> None:
    """Rebuild report.html and report.json of a folder written by run."""
    from shadowlens.outputs.report import write_report
    from shadowlens.paths import check_parquet_parts, os_error

    if not (out_dir / "records").is_dir():
        msg = f"{out_dir}: no records/ folder here; run 'shadowlens run' first"
        raise InputError(msg)
    for folder in (out_dir / "records", out_dir / "quarantine"):
        check_parquet_parts(folder)
    if baseline is not None:
        _check_baseline(baseline)
    loaded = None
    if catalog:
        from shadowlens.enrich import load_catalog

        loaded = load_catalog(catalog)
    try:
        json_path, html_path = write_report(out_dir, catalog=loaded, baseline=baseline)
    except OSError as exc:
        raise os_error(exc, out_dir) from exc
    err.print(f"wrote {json_path} and {html_path}")


@app.command()
def demo(
    out_dir: OutOpt = Path("out"),
    progress: ProgressOpt = None,
    overwrite: OverwriteOpt = False,
    as_json: JsonSummaryOpt = False,
) -> None:
    """Run the main job on the sample logs shipped with shadowlens."""
    from shadowlens import api
    from shadowlens.engine.job import sample_logs

    inputs = sample_logs()
    if not inputs:
        msg = "the bundled sample logs are missing; reinstall shadowlens"
        raise InputError(msg)
    summary = api.run(
        inputs,
        out=out_dir,
        format_files=_spec_paths(),
        disabled_plugins=_STATE["disabled"],
        progress=_progress(progress),
        overwrite=overwrite,
    ).summary
    print_summary(summary, out_dir)
    err.print(f"open the report: {(out_dir / 'report.html').resolve()}")
    _print_result(summary, out_dir, as_json)


def print_summary(summary: dict[str, Any], out_dir: Path) -> None:
    """The short end-of-run account on stderr."""
    from rich.table import Table

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
        typer.echo(f"{name:<{width}}{cls.description}")
        typer.echo(f"{'':<{width}}{'; '.join(facts)}")


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


ShadowlensGroup.global_params = staticmethod(lambda: params_of(_global_options))
_COMMAND: list[Any] = []


def command() -> Any:
    """The click command behind :data:`app`, built and tidied once per process."""
    if not _COMMAND:
        root = typer.main.get_command(app)
        _COMMAND.append(tidy(root, ShadowlensGroup.global_params, root=True))
    return _COMMAND[0]


def run_cli(args: Sequence[str] | None = None) -> int:
    """Run ``shadowlens ARGS`` and return the exit code (an :class:`ExitCode`).

    Every error becomes one line on standard error and its code from the one table;
    anything unexpected is an internal error (70) without a traceback, or is raised
    with ``--debug`` (or ``SHADOWLENS_DEBUG`` set).

    Examples
    --------
    >>> run_cli(["formats", "show", "no-such-format"])  # the message goes to stderr
    2
    """
    _reset_state()
    try:
        # standalone_mode=False: a typer.Exit (and Ctrl-C, as 130) is returned, not raised
        status = command().main(args=args, prog_name="shadowlens", standalone_mode=False)
    except ShadowlensError as exc:
        exc.show()
        return int(exc.exit_code)
    except OSError as exc:  # a full disk or a symlink loop wherever it happens; else a bug
        from shadowlens.paths import classify_os_error

        mapped = classify_os_error(exc)
        if mapped is None:
            return _internal(exc)
        mapped.show()
        return int(mapped.exit_code)
    except typer.Abort:
        err.print("aborted", markup=False)
        return ExitCode.INTERRUPTED
    except KeyboardInterrupt:
        err.print("interrupted", markup=False)
        return ExitCode.INTERRUPTED
    except Exception as exc:  # usage errors (click's, as vendored by typer) and internal errors
        show, code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
        if callable(show) and isinstance(code, int):
            show()
            return code
        return _internal(exc)
    return int(status) if isinstance(status, int) else int(ExitCode.OK)


def _internal(exc: Exception) -> int:
    """Report a bug in one line (re-raised with ``--debug`` or ``SHADOWLENS_DEBUG``)."""
    if _STATE["debug"] or os.environ.get("SHADOWLENS_DEBUG"):
        raise exc
    err.print(
        f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for a traceback)",
        markup=False,
    )
    return ExitCode.INTERNAL


def main() -> None:
    """Entry point of the ``shadowlens`` console script: :func:`run_cli`, then exit."""
    sys.exit(run_cli())
