"""The command group behind ``shadowlens``: what makes every sub-command behave alike.

* Sub-commands that live beside the code they drive (``export``, ``upload``, ``catalog``...)
  are imported on first use, so ``shadowlens --version`` and ``--help`` import neither
  polars nor pyarrow.
* Global options (``--debug``, ``--quiet``, ``--config``, ``--disable-plugin``) are accepted
  after the sub-command too: :func:`tidy` adds them to every command that lacks them.
* Help is click's plain layout with a metavar for every option (``FILE``, ``N``, ``TEXT``),
  never a ``<list[str]>`` type label, so it reads well at 80 columns.

Examples
--------
>>> metavar_for("<list[Path]>"), metavar_for("<int range>"), metavar_for("<str>")
('PATH', 'INTEGER', 'TEXT')
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import Any

import typer
import typer.main
from typer.core import TyperArgument, TyperGroup, TyperOption

#: name -> (module, attribute, one-line help shown by ``shadowlens --help`` before import)
LAZY: dict[str, tuple[str, str, str]] = {
    "export": (
        "shadowlens.outputs.export_cmd",
        "export",
        "Write Defender for Cloud Apps upload-ready files, or an OCSF Parquet dataset.",
    ),
    "upload": (
        "shadowlens.outputs.upload_cmd",
        "upload",
        "Upload exported logs to Defender for Cloud Apps Cloud Discovery.",
    ),
    "quarantine": (
        "shadowlens.outputs.quarantine_cmd",
        "quarantine",
        "Show quarantined lines of an output folder as a table.",
    ),
    "blockscript": (
        "shadowlens.outputs.blockscript_cmd",
        "blockscript",
        "Write a block script for unsanctioned apps (and an optional risk/category policy).",
    ),
    "catalog": (
        "shadowlens.enrich.commands",
        "app",
        "Inspect, extend and check the cloud-app catalog.",
    ),
    "users": ("shadowlens.enrich.commands", "users_app", "Work with pseudonymised user names."),
}

_COMPLETION = frozenset({"install_completion", "show_completion"})
_METAVARS = {"path": "PATH", "str": "TEXT", "int": "INTEGER", "float": "NUMBER"}

#: Makes the options every command accepts (``--debug`` ...), fresh for each command.
GlobalParams = Callable[[], list[Any]]


def metavar_for(label: str) -> str:
    """A short upper-case metavar for typer's type label (``<list[Path]>`` -> ``PATH``)."""
    bare = label.strip("<>").removeprefix("list[").removesuffix("]").removesuffix(" range")
    return _METAVARS.get(bare.lower(), bare.upper())


def params_of(function: Callable[..., Any]) -> list[Any]:
    """The click parameters typer builds for ``function`` (used to share option sets)."""
    holder = typer.Typer(add_completion=False)
    holder.command()(function)
    return list(typer.main.get_command(holder).params)


def tidy(command: Any, global_params: GlobalParams | None = None, *, root: bool = False) -> Any:
    """Plain help with metavars, and the global options, on ``command`` and its children.

    Only the ``root`` command keeps typer's ``--install-completion``/``--show-completion``.
    """
    command.rich_markup_mode = None
    subcommands: dict[str, Any] = getattr(command, "commands", {})
    if not root:
        command.params = [p for p in command.params if p.name not in _COMPLETION]
    for param in command.params:
        if isinstance(param, TyperArgument):
            param.display_type_rich = _no_type  # type: ignore[method-assign]  # no "<list[str]>"
            if param.metavar is None and param.name:
                param.metavar = param.name.upper()
        elif isinstance(param, TyperOption) and param.metavar is None and not param.is_flag:
            param.metavar = metavar_for(param.display_type(None))  # type: ignore[arg-type]
    if global_params is not None and not root:
        taken = {opt for param in command.params for opt in param.opts}
        extra = [p for p in global_params() if not taken.intersection(p.opts)]
        at = next((i for i, p in enumerate(command.params) if "--help" in p.opts), None)
        at = len(command.params) if at is None else at
        command.params[at:at] = extra
    for sub in subcommands.values():
        tidy(sub, global_params)
    return command


def _no_type(ctx: Any = None) -> None:
    return None


def _load(name: str) -> Any:
    module, attribute, _help = LAZY[name]
    obj = getattr(importlib.import_module(module), attribute)
    if not isinstance(obj, typer.Typer):
        holder = typer.Typer(add_completion=False)
        holder.command(name)(obj)
        obj = holder
    command = typer.main.get_command(obj)
    command.name = name
    return command


class ShadowlensGroup(TyperGroup):
    """The root group: lazy sub-commands, tidied on first use, listed without importing."""

    #: Set by :mod:`shadowlens.cli`: the options every command accepts.
    global_params: GlobalParams | None = None

    def list_commands(self, ctx: Any) -> list[str]:
        """Commands in the order of creation, then the lazy ones."""
        return [*self.commands, *(name for name in LAZY if name not in self.commands)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        """The command ``cmd_name``, importing it on first use."""
        if cmd_name not in self.commands and cmd_name in LAZY:
            self.commands[cmd_name] = tidy(_load(cmd_name), self.global_params)
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """The command list of ``--help``: a lazy command's line without importing it."""
        rows = list(self._rows(ctx))
        if rows:
            limit = formatter.width - 6 - max(len(name) for name, _ in rows)
            rows = [(name, _shorten(text, limit)) for name, text in rows]
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def _rows(self, ctx: Any) -> Iterable[tuple[str, str]]:
        for name in self.list_commands(ctx):
            loaded = self.commands.get(name)
            if loaded is None:
                yield name, LAZY[name][2]
            elif not loaded.hidden:
                yield name, loaded.get_short_help_str(1000)


def _shorten(text: str, limit: int) -> str:
    """``text`` cut at a word to ``limit`` characters (click's short help rule)."""
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 3, 1)].rsplit(" ", 1)[0]
    return f"{cut}..."
