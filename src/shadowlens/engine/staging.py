"""Publish an output folder all at once: a run is written aside, then renamed into place.

A run writes into a hidden staging folder beside the output,
``.NAME.incomplete-XXXXXXXX`` in the output's parent (same file system, so the
final move is a rename). Only when everything is written does
:meth:`StagedOutput.publish` write ``summary.json`` with ``"complete": true``
(the last file) and rename the staging folder to the output's name. Until then
the previous output, if any, is untouched.

* On an error or Ctrl-C the staging folder is deleted and the previous output is
  intact. A process killed outright (SIGKILL, power loss) leaves the staging folder
  behind under its ``incomplete`` name; it is hidden, so directory inputs skip it,
  and it can be deleted.
* The output may be a missing or empty folder, or a previous shadowlens output:
  a folder whose ``summary.json`` says ``"complete": true`` (or, written before
  that flag existed, carries ``shadowlens_version`` and ``totals``) and that holds
  nothing but what shadowlens writes (:data:`OWN_ENTRIES`). Anything else is
  refused unless ``overwrite`` is given, so that no user file is deleted by
  surprise.
* Replacing a previous output takes two renames (the old folder aside, the new one
  in); between them the output name is briefly absent, never half-written.

Examples
--------
>>> import json, pathlib, tempfile
>>> out = pathlib.Path(tempfile.mkdtemp()) / "out"
>>> with StagedOutput(out) as stage:
...     _ = (stage.path / "records.txt").write_text("42")
...     stage.publish({"totals": {}})
>>> sorted(p.name for p in out.iterdir()), json.loads((out / "summary.json").read_text())["complete"]
(['records.txt', 'summary.json'], True)
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from shadowlens.errors import ConfigError, OutputError

__all__ = ["OWN_ENTRIES", "SUMMARY", "StagedOutput", "is_inside", "is_shadowlens_output"]

#: The file that marks a complete output (written last).
SUMMARY = "summary.json"

#: What ``parse``/``run`` write into an output folder.
OWN_ENTRIES = frozenset({"records", "quarantine", SUMMARY, "report.html", "report.json"})


def is_shadowlens_output(folder: Path) -> bool:
    """Whether ``folder`` holds a complete output of a previous run (see the module docstring).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> is_shadowlens_output(d)
    False
    >>> _ = (d / "summary.json").write_text('{"complete": true}')
    >>> is_shadowlens_output(d)
    True
    """
    try:
        summary = json.loads((folder / SUMMARY).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(summary, dict):
        return False
    if "complete" in summary:
        return summary["complete"] is True
    return "shadowlens_version" in summary and "totals" in summary


def is_inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` is ``folder`` or lies below it (both resolved, symlinks followed).

    Examples
    --------
    >>> from pathlib import Path
    >>> is_inside(Path("/a/b/c.log"), Path("/a/b")), is_inside(Path("/a/bc"), Path("/a/b"))
    (True, False)
    """
    return path.resolve().is_relative_to(folder.resolve())


class StagedOutput:
    """A staging folder for one run, published into ``target`` by one rename.

    Parameters
    ----------
    target
        The output folder the user named.
    overwrite
        Replace ``target`` even when it is a non-empty folder that is not a
        previous shadowlens output.

    Raises
    ------
    ConfigError
        ``target`` is a file, or a non-empty folder that is not a previous
        shadowlens output (and ``overwrite`` is not given).
    OutputError
        The staging folder cannot be created or published.
    """

    def __init__(self, target: Path, *, overwrite: bool = False) -> None:
        self.target = target
        self.overwrite = overwrite
        self._path: Path | None = None
        self.published = False
        self._on_failure: list[Callable[[], object]] = []

    @property
    def path(self) -> Path:
        """The staging folder (write everything here)."""
        if self._path is None:
            msg = "the staging folder exists only inside 'with StagedOutput(...)'"
            raise RuntimeError(msg)
        return self._path

    def check(self) -> None:
        """Refuse a target that must not be replaced (see the class docstring)."""
        target = self.target
        if target.exists() and not target.is_dir():
            msg = f"{target}: the output path is a file, not a folder; choose another -o"
            raise ConfigError(msg)
        if not target.is_dir() or self.overwrite:
            return
        try:
            entries = sorted(p.name for p in target.iterdir())
        except OSError as exc:
            msg = f"{target}: cannot list the output folder: {exc.strerror or exc}"
            raise OutputError(msg) from exc
        if not entries:
            return
        if not is_shadowlens_output(target):
            shown = ", ".join(entries[:3]) + (", ..." if len(entries) > 3 else "")
            msg = (
                f"{target}: the output folder is not empty ({shown}) and is not a complete "
                'shadowlens output (no summary.json with "complete": true); choose another '
                "-o or pass --overwrite to replace it"
            )
            raise ConfigError(msg)
        foreign = [name for name in entries if name not in OWN_ENTRIES]
        if foreign:
            shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
            msg = (
                f"{target}: the previous output holds files shadowlens did not write ({shown}); "
                "they would be deleted: move them, choose another -o, or pass --overwrite"
            )
            raise ConfigError(msg)

    def __enter__(self) -> StagedOutput:
        self.check()
        parent = self.target.absolute().parent
        name = f".{self.target.absolute().name}.incomplete-{secrets.token_hex(4)}"
        try:
            parent.mkdir(parents=True, exist_ok=True)
            (parent / name).mkdir()
        except OSError as exc:
            msg = f"{parent / name}: cannot create the staging folder: {exc.strerror or exc}"
            raise OutputError(msg) from exc
        self._path = parent / name
        return self

    def on_failure(self, stop: Callable[[], object]) -> None:
        """Call ``stop`` before the staging folder is removed after a failure.

        Writers register their ``close`` here, so that no thread of theirs is
        still writing into the folder while it is deleted.
        """
        self._on_failure.append(stop)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._path is None or self.published:
            return
        for stop in self._on_failure:
            with contextlib.suppress(Exception):
                stop()
        shutil.rmtree(self._path, ignore_errors=True)

    def write_summary(self, summary: dict[str, Any], *, complete: bool) -> Path:
        """Write ``summary.json`` into the staging folder (with its ``complete`` flag)."""
        path = self.path / SUMMARY
        partial = path.with_name(SUMMARY + ".tmp")
        text = json.dumps({**summary, "complete": complete}, indent=2) + "\n"
        try:
            with open(partial, "w", encoding="utf-8") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(partial, path)
        except OSError as exc:
            msg = f"{path}: cannot write the summary: {exc.strerror or exc}"
            raise OutputError(msg) from exc
        return path

    def publish(self, summary: dict[str, Any]) -> None:
        """Write ``summary.json`` (``"complete": true``) last, then move the folder into place."""
        self.check()  # the target may have changed while the run was going
        self.write_summary(summary, complete=True)
        staged, target = self.path, self.target
        aside: Path | None = None
        try:
            if target.is_dir() and any(target.iterdir()):
                aside = target.absolute().parent / (
                    f".{target.absolute().name}.previous-{secrets.token_hex(4)}"
                )
                os.rename(target, aside)
            elif target.is_dir():
                target.rmdir()
            os.rename(staged, target)
        except BaseException as exc:  # Ctrl-C between the two renames too
            if aside is not None and not target.exists():
                os.rename(aside, target)  # put the previous output back
            if not isinstance(exc, OSError):
                raise
            msg = f"{target}: cannot publish the output: {exc.strerror or exc}"
            raise OutputError(msg) from exc
        self.published = True
        if aside is not None:
            shutil.rmtree(aside, ignore_errors=True)
