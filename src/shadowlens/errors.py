"""The shadowlens exception hierarchy.

Malformed log lines are *data*, not exceptions: they go to the quarantine with an
error code (see :class:`ErrorCode`). Exceptions are for problems that stop a run:
bad configuration, unreadable inputs, broken plugins or grammars.

::

    ShadowlensError                       exit 1 (findings)
    ├── ConfigError (also ValueError)     2  bad option, unknown format, bad catalog or config file
    │   └── SpecError                     2  a format spec (NAME.toml) is invalid: file and line
    ├── InputError                        3  a file or archive cannot be read
    ├── GrammarError                      4  a .lark grammar fails to load or compile
    ├── PluginError                       4  a plugin breaks the hook contract or clashes
    ├── OutputError                       5  an output cannot be written (disk full, no permission)
    ├── UploadError                       6  the portal or blob storage refused an upload
    └── ParseError                        1  one line, raised only by single-line APIs

Every error has ``exit_code`` (an :class:`ExitCode`) and ``show()`` so the CLI needs one
handler. :class:`ExitCode` is the one table of the command line's exit codes.
"""

from __future__ import annotations

import enum
import sys
from typing import IO


class ExitCode(enum.IntEnum):
    """The exit codes of the ``shadowlens`` command, one table for every command.

    Examples
    --------
    >>> int(ExitCode.INPUT), ExitCode(130).name
    (3, 'INTERRUPTED')
    """

    OK = 0
    """Success."""
    FINDINGS = 1
    """The command ran and found problems: validation errors, no match, a failed check."""
    USAGE = 2
    """A bad option, argument, configuration file or catalog file."""
    INPUT = 3
    """An input cannot be found, opened, decompressed or read."""
    FORMAT = 4
    """A format, grammar or plugin is broken."""
    OUTPUT = 5
    """An output cannot be written (disk full, a file where a folder should be, ...)."""
    UPLOAD = 6
    """The upload to Defender for Cloud Apps failed."""
    PARTIAL = 7
    """Some input files failed; the others were processed."""
    INTERNAL = 70
    """A bug in shadowlens (``--debug`` shows the traceback)."""
    INTERRUPTED = 130
    """Stopped by Ctrl-C (SIGINT)."""


class ShadowlensError(Exception):
    """Base class of every error shadowlens raises on purpose."""

    exit_code: ExitCode = ExitCode.FINDINGS

    def show(self, file: IO[str] | None = None) -> None:
        """Print the error for a terminal user (no traceback)."""
        print(f"error: {self}", file=file or sys.stderr)


class ConfigError(ShadowlensError, ValueError):
    """An option, a format name, a spec, a catalog or a configuration file is invalid."""

    exit_code = ExitCode.USAGE


class SpecError(ConfigError):
    """A format spec is invalid; the message names the file and, when known, the line.

    Parameters
    ----------
    message
        What is wrong.
    path
        The spec (or grammar) file.
    line
        1-based line of the problem, when it could be located.
    """

    def __init__(self, message: str, *, path: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {message}")


class InputError(ShadowlensError):
    """An input path cannot be found, opened or decompressed."""

    exit_code = ExitCode.INPUT


class GrammarError(ShadowlensError):
    """A format grammar failed to load or to compile into a fast plan."""

    exit_code = ExitCode.FORMAT


class PluginError(ShadowlensError):
    """A plugin broke the hook contract, failed to import, or clashed with another."""

    exit_code = ExitCode.FORMAT

    def __init__(self, message: str, *, plugin: str | None = None) -> None:
        self.plugin = plugin
        super().__init__(f"plugin {plugin!r}: {message}" if plugin else message)


class OutputError(ShadowlensError):
    """An output file or folder cannot be written; the message names the path."""

    exit_code = ExitCode.OUTPUT


class UploadError(ShadowlensError):
    """The portal or the blob storage failed or refused part of an upload."""

    exit_code = ExitCode.UPLOAD


class ParseError(ShadowlensError):
    """One line could not be parsed (raised only by single-line helper APIs).

    Parameters
    ----------
    message
        What went wrong.
    code
        The stable :class:`ErrorCode`.
    source, line, column
        Where (1-based line and column; column may be None).
    """

    def __init__(
        self,
        message: str,
        *,
        code: ErrorCode,
        source: str = "<string>",
        line: int = 1,
        column: int | None = None,
    ) -> None:
        self.code = code
        self.source = source
        self.line = line
        self.column = column
        where = f"{source}:{line}" + (f":{column}" if column is not None else "")
        super().__init__(f"{where}: {message} [{code.value}]")


class ErrorCode(enum.StrEnum):
    """Stable reasons a line lands in the quarantine.

    The values are part of the output format (the ``error_code`` column): never
    rename one, only add.
    """

    SYNTAX = "syntax"
    """The line does not match the format's grammar."""
    UNEXPECTED_END = "unexpected_end"
    """The line ends before the grammar is complete (a truncated line)."""
    NO_FORMAT = "no_format"
    """No registered format recognises the file or line."""
    NO_FIELDS_DIRECTIVE = "no_fields_directive"
    """A W3C entry appears before any ``#Fields:`` directive."""
    FIELD_COUNT = "field_count"
    """A delimited entry has a different number of fields than its header declares."""
    BAD_DELIMITER = "bad_delimiter"
    """A LEEF 2.0 delimiter field cannot be decoded."""
    NO_TIMESTAMP = "no_timestamp"
    """Kept for stability, emitted by no built-in format: a well-formed event without a
    usable time is a record with ``event_time`` null (counted as ``untimed``)."""
    BAD_TIMESTAMP = "bad_timestamp"
    """The event time lies outside the accepted years (``ParseOptions.time_range``,
    1990-2100 by default). An event time that cannot be read is not an error: it
    leaves ``event_time`` null and the raw value in ``extras``."""
    NO_LAYOUT = "no_layout"
    """No column layout of the format claims the delimited entry (and it has no default)."""
    LINE_TOO_LONG = "line_too_long"
    """The line exceeds the configured maximum length."""
    INVALID_UTF8 = "invalid_utf8"
    """The line is not valid UTF-8 and could not be parsed after lossy decoding."""
