"""Command options from a TOML file: ``./shadowlens.toml`` or ``--config FILE``.

One table per command (``[run]``, ``[parse]``, ``[export]``, ``[formats.check]``), keys
named like the command's long options (``chunk-mb`` or ``chunk_mb``; ``out`` for
``-o/--out``); keys outside any table are the global options (``debug``, ``quiet``,
``disable-plugin``). The file becomes click's ``default_map``: it replaces an option's
default, so an option given on the command line wins. A relative path given to a path
option (``out``, ``catalog``, ``format-file``...) is relative to the file's folder. An
unknown table or key is a :class:`~shadowlens.errors.ConfigError` (exit 2) naming the file
and the key.

Examples
--------
>>> import typer, typer.main
>>> demo = typer.Typer()
>>> @demo.command()
... def parse(chunk_mb: int = 16, tz: str = "UTC") -> None: ...
>>> @demo.command()
... def report() -> None: ...
>>> normalise({"parse": {"chunk-mb": 4}}, typer.main.get_command(demo), "x.toml")
{'parse': {'chunk_mb': 4}}
"""

from __future__ import annotations

import tomllib
from pathlib import Path, PurePath
from typing import Any, get_args

from shadowlens.errors import ConfigError

CONFIG_NAME = "shadowlens.toml"
"""The file read from the working directory when ``--config`` is not given."""

#: Options that make no sense in a file (they act at once, or choose the file).
_NOT_IN_FILE = frozenset({"help", "version", "config", "install_completion", "show_completion"})


def apply_config(ctx: Any, path: Path | None) -> None:
    """Read ``path`` (or ``./shadowlens.toml`` for the root command) into ``ctx.default_map``.

    The callback of the eager ``--config`` option: on the root command it runs before any
    other option is read; after a sub-command (``shadowlens run --config f.toml``) it sets
    that command's table.
    """
    if path is None:
        if ctx.parent is not None:
            return
        path = Path(CONFIG_NAME)
        if not path.is_file():
            return
    root = ctx.find_root()
    tree = normalise(read_toml(path), root.command, str(path), ctx=root, base=path.parent)
    names = []
    at = ctx
    while at.parent is not None:
        names.append(at.info_name)
        at = at.parent
    for name in reversed(names):
        tree = tree.get(name, {})
    ctx.default_map = tree


def read_toml(path: Path) -> dict[str, Any]:
    """The parsed file; a missing or invalid file is a :class:`ConfigError` naming it."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        msg = f"{path}: cannot read the configuration file: {reason}"
        raise ConfigError(msg) from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = f"{path}: not valid TOML: {exc}"
        raise ConfigError(msg) from exc


def normalise(
    table: dict[str, Any],
    command: Any,
    path: str,
    *,
    section: str = "",
    ctx: Any = None,
    base: Path | None = None,
) -> dict[str, Any]:
    """``table`` with its keys checked against ``command`` and renamed to parameter names.

    Sub-tables name sub-commands and are checked against them, recursively; relative
    values of path options are joined to ``base`` (the file's folder).
    """
    keys = _option_keys(command)
    paths = {p.name for p in command.params if _is_path(p)}
    out: dict[str, Any] = {}
    for key, value in table.items():
        sub = command.get_command(ctx, key) if hasattr(command, "get_command") else None
        where = f"[{section}]" if section else "the top level"
        if isinstance(value, dict) and sub is not None:
            inner = f"{section}.{key}" if section else key
            out[key] = normalise(value, sub, path, section=inner, ctx=ctx, base=base)
        elif _norm(key) in keys:
            name = keys[_norm(key)]
            out[name] = _rebase(value, base) if name in paths and base is not None else value
        else:
            known = sorted({k.replace("_", "-") for k in keys})
            if hasattr(command, "get_command"):
                known += [
                    f"[{section + '.' if section else ''}{name}]" for name in command.commands
                ]
            msg = (
                f"{path}: unknown key {key!r} in {where} "
                f"(known: {', '.join(known) if known else 'none'})"
            )
            raise ConfigError(msg)
    return out


def _is_path(param: Any) -> bool:
    """A ``Path`` option, or a repeatable one (``list[Path]``), in typer's view of it."""
    descriptor = getattr(param, "type_descriptor", None)
    if descriptor is None:
        return False
    if descriptor.is_path:
        return True
    args = get_args(descriptor.annotation) if descriptor.is_list else ()
    return any(isinstance(a, type) and issubclass(a, PurePath) for a in args)


def _rebase(value: Any, base: Path) -> Any:
    """A relative path (or list of them) taken from the file's folder."""
    if isinstance(value, list):
        return [_rebase(v, base) for v in value]
    if isinstance(value, str) and not Path(value).is_absolute():
        return str(base / value)
    return value


def _norm(key: str) -> str:
    return key.strip().lstrip("-").replace("-", "_")


def _option_keys(command: Any) -> dict[str, str]:
    """Accepted key -> parameter name, for every option of ``command``."""
    keys: dict[str, str] = {}
    for param in command.params:
        if param.param_type_name != "option" or param.name in _NOT_IN_FILE:
            continue
        keys[_norm(param.name)] = param.name
        for opt in param.opts:
            if opt.startswith("--"):
                keys[_norm(opt)] = param.name
    return keys
