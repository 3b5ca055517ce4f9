"""The ``shadowlens upload`` command: send an exported folder to Defender for Cloud Apps.

Mount it with ``main_app.add_typer(upload_cmd.app)`` or
``main_app.command("upload")(upload_cmd.upload)``.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from shadowlens.errors import ShadowlensError
from shadowlens.outputs.manifest import ManifestFile
from shadowlens.outputs.mdca import AUTH_ENV, TOKEN_ENV, Credentials
from shadowlens.outputs.ratelimit import RetryPolicy
from shadowlens.outputs.upload import PlanItem, Uploader

__all__ = ["app", "upload"]

app = typer.Typer(add_completion=False, no_args_is_help=True)


@app.command("upload")
def upload(
    folder: Annotated[
        Path,
        typer.Argument(help="Folder with manifest.json, written by 'shadowlens export --to mdca'."),
    ],
    portal: Annotated[
        str,
        typer.Option(
            "--portal",
            envvar="SHADOWLENS_MDCA_PORTAL",
            help="Tenant API URL, e.g. https://TENANT.REGION.portal.cloudappsecurity.com.",
        ),
    ],
    report_name: Annotated[
        str,
        typer.Option(
            "--report-name",
            help="Snapshot report name, or the data source name with --continuous.",
        ),
    ],
    snapshot: Annotated[
        bool,
        typer.Option(
            "--snapshot/--continuous",
            help="Create a snapshot report, or feed an existing continuous data source.",
        ),
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the plan; send nothing.")
    ] = False,
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Ignore upload-state.json and send everything.")
    ] = False,
    block_size_mb: Annotated[
        int, typer.Option("--block-size-mb", min=1, max=100, help="Block size for big files.")
    ] = 4,
    max_attempts: Annotated[
        int, typer.Option("--max-attempts", min=1, max=20, help="Tries per request.")
    ] = 6,
    verify: Annotated[
        bool, typer.Option("--verify/--no-verify", help="Check SHA-256 before sending.")
    ] = True,
) -> None:
    """Upload exported logs to Defender for Cloud Apps Cloud Discovery.

    The API token is read from the SHADOWLENS_MDCA_TOKEN environment variable only
    (set SHADOWLENS_MDCA_AUTH=bearer for an Entra ID access token). Progress is kept
    in upload-state.json beside the manifest: rerun the same command to resume.
    """
    console = Console(highlight=False)
    try:
        uploader = Uploader(
            folder,
            portal,
            report_name,
            snapshot=snapshot,
            block_size=block_size_mb * 1024 * 1024,
            retry=RetryPolicy(max_attempts=max_attempts),
            fresh=fresh,
            verify=verify,
        )
        if dry_run:
            _print_plan(console, uploader, uploader.plan())
            return
        uploader.credentials = Credentials.from_env()
        with _progress_for(console) as progress:
            uploader.progress = progress
            summary = uploader.run()
    except ShadowlensError as err:
        err.show()
        raise typer.Exit(int(err.exit_code)) from None
    except KeyboardInterrupt:
        console.print("interrupted; rerun the same command to resume", markup=False)
        raise typer.Exit(130) from None
    kind = "snapshot report" if snapshot else "data source"
    console.print(
        f"uploaded {len(summary.uploaded)} file(s), skipped {len(summary.skipped)} already "
        f"done; {summary.bytes_sent:,} bytes sent to {uploader.portal} ({kind} {report_name!r})",
        markup=False,
    )


def _print_plan(console: Console, uploader: Uploader, items: list[PlanItem]) -> None:
    kind = "snapshot report" if uploader.snapshot else "data source"
    pending = [i for i in items if i.action in ("upload", "resume")]
    total = sum(i.entry.bytes for i in pending)
    console.print(
        f"dry run: {len(pending)} of {len(items)} file(s), {total:,} bytes, would go to "
        f"{uploader.portal} as {kind} {uploader.report_name!r}; nothing was sent",
        markup=False,
    )
    table = Table("file", "source", "bytes", "method", "state", "action")
    for item in items:
        method = "single PUT" if item.method == "single" else f"{item.blocks} blocks"
        action = f"error: {item.problem}" if item.problem else item.action
        table.add_row(
            item.entry.path, item.entry.source, f"{item.entry.bytes:,}", method, item.step, action
        )
    console.print(table)
    console.print(
        f"the token is read from {TOKEN_ENV} ({AUTH_ENV}=bearer for Entra ID tokens)",
        markup=False,
    )


def _progress_for(console: Console) -> _RichProgress | _LineProgress:
    return _RichProgress(console) if console.is_terminal else _LineProgress(console)


class _LineProgress:
    """One line per finished file, for logs and pipes."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def __enter__(self) -> _LineProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def start_file(self, entry: ManifestFile, done_bytes: int) -> None:
        """Nothing to show until the file is done."""

    def advance(self, entry: ManifestFile, nbytes: int) -> None:
        """Nothing to show until the file is done."""

    def finish_file(self, entry: ManifestFile, status: str) -> None:
        """Print the file and what happened to it."""
        self.console.print(f"{status}: {entry.path}", markup=False)


class _RichProgress:
    """A progress bar per file, drawn with rich."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(
            TextColumn("{task.description}", markup=False),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=console,
        )
        self.tasks: dict[str, TaskID] = {}

    def __enter__(self) -> _RichProgress:
        self.progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.progress.stop()

    def start_file(self, entry: ManifestFile, done_bytes: int) -> None:
        """Add a bar for ``entry``."""
        self.tasks[entry.path] = self.progress.add_task(
            entry.path, total=entry.bytes, completed=done_bytes
        )

    def advance(self, entry: ManifestFile, nbytes: int) -> None:
        """Move the bar of ``entry``."""
        self.progress.advance(self.tasks[entry.path], nbytes)

    def finish_file(self, entry: ManifestFile, status: str) -> None:
        """Complete the bar (or print a line for skipped files)."""
        task = self.tasks.get(entry.path)
        if task is None:
            self.progress.console.print(f"{status}: {entry.path}", markup=False)
        else:
            self.progress.update(task, completed=entry.bytes, description=f"{entry.path} ✓")
