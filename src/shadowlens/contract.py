"""The format contract: what a log format receives and returns.

Everything a format plugin and the engine agree on lives here, and this module
imports nothing else from shadowlens but the errors, so plugins, parsers and
the engine can all depend on it without depending on each other.

* :class:`ParseOptions`: what every format is built with (zone, engine, year,
  format options);
* :class:`LogFormat`: the base class of every format (``name``, ``detect``,
  ``new_state``, ``parse``);
* :class:`ParseResult`: what :meth:`LogFormat.parse` returns for one chunk;
* :data:`LINES_SCHEMA` and :data:`QUARANTINE_ROWS_SCHEMA`: the frames in and out.

Formats defined by a spec (``NAME.toml`` + ``NAME.lark``) are
:class:`shadowlens.parsers.specformat.SpecFormat` subclasses built by the spec
compiler; their typed plan is :class:`shadowlens.spec.plan.Plan`.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import polars as pl

from shadowlens.errors import ConfigError

#: Columns of a chunk of lines handed to :meth:`LogFormat.parse`.
LINES_SCHEMA = pl.Schema(
    {"line": pl.String(), "source_line": pl.UInt64(), "source_offset": pl.UInt64()}
)
#: Columns of the quarantine rows a format returns (the engine adds file and format).
QUARANTINE_ROWS_SCHEMA = pl.Schema(
    {
        "source_line": pl.UInt64(),
        "source_offset": pl.UInt64(),
        "error_code": pl.String(),
        "error_message": pl.String(),
        "raw": pl.String(),
    }
)

Engine = Literal["auto", "fast", "reference"]

#: Years of event times accepted by default (:attr:`ParseOptions.time_range`).
DEFAULT_TIME_RANGE = (1990, 2100)


@dataclass(frozen=True)
class ParseOptions:
    """Options every format receives.

    Parameters
    ----------
    tz
        IANA zone applied to timestamps that carry no offset (``tz_assumed`` is set).
    engine
        ``auto``: fast path, Lark for the rest; ``reference``: Lark only (slow, for
        checking); ``fast``: fast path only, rejected lines are quarantined.
    year
        Year for timestamps that have none (syslog ``Mmm dd``); default: the
        current year, or last year for dates more than two days in the future.
    options
        Format-specific settings (``key=value`` from ``--option``).
    time_range
        First and last accepted year of an event time (inclusive, UTC). A line whose
        time falls outside is quarantined as ``bad_timestamp``: a year 0 or 9999
        is a broken clock or a hostile line, and no report or export can use it.

    Examples
    --------
    >>> ParseOptions(time_range=(2000, 2030)).time_range
    (2000, 2030)
    >>> ParseOptions(time_range=(2030, 2000))
    Traceback (most recent call last):
    ...
    shadowlens.errors.ConfigError: time range 2030-2000: the first year must be 1 to 9999 and not after the last
    """

    tz: str = "UTC"
    engine: Engine = "auto"
    year: int | None = None
    options: Mapping[str, str] = field(default_factory=dict)
    time_range: tuple[int, int] = DEFAULT_TIME_RANGE

    def __post_init__(self) -> None:
        first, last = self.time_range
        if not 1 <= first <= last <= 9999:
            msg = (
                f"time range {first}-{last}: the first year must be 1 to 9999 and not after "
                "the last"
            )
            raise ConfigError(msg)


@dataclass
class ParseResult:
    """What a format returns for one chunk.

    ``records`` holds canonical columns (any subset of the record schema) plus
    ``source_line`` and ``source_offset``; ``extras`` travels as two parallel
    string lists ``extras_keys`` and ``extras_values`` (one map per row).
    ``quarantine`` follows :data:`QUARANTINE_ROWS_SCHEMA`. Every input line must
    be in exactly one of records, quarantine or the ``directives`` count.
    ``fallback`` counts lines the Lark reference parsed; ``year_assumed`` counts
    records whose time had no year.
    """

    records: pl.DataFrame
    quarantine: pl.DataFrame
    directives: int = 0
    fallback: int = 0
    year_assumed: int = 0


class LogFormat(abc.ABC):
    """Base class of every log format, built-in or supplied by a plugin.

    Subclasses set ``name`` (unique, lowercase) and ``description`` and implement
    :meth:`parse`. The engine makes one instance per run and one state object per
    file (:meth:`new_state`), so stateful formats (W3C ``#Fields``) keep their
    layout across chunks of the same file.
    """

    name: ClassVar[str]
    description: ClassVar[str] = ""
    #: Who makes the appliance or service that writes the format ("Palo Alto Networks").
    vendor: ClassVar[str] = ""
    #: The product or products that write it ("PAN-OS").
    product: ClassVar[str] = ""
    #: Products and layouts the format reads ("TRAFFIC", "THREAT (url)"), for listings.
    variants: ClassVar[tuple[str, ...]] = ()
    #: Option names accepted in ``ParseOptions.options``; others are rejected.
    accepted_options: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, options: ParseOptions | None = None) -> None:
        self.options = options or ParseOptions()
        unknown = set(self.options.options) - self.accepted_options
        if unknown:
            allowed = ", ".join(sorted(self.accepted_options)) or "none"
            msg = f"format {self.name!r} does not accept option(s) {', '.join(sorted(unknown))}; accepted: {allowed}"
            raise ConfigError(msg)

    @classmethod
    def detect(cls, sample: Sequence[str]) -> float:
        """Score in [0, 1] how likely ``sample`` (the first lines of a file) is this format."""
        return 0.0

    def new_state(self) -> Any:
        """Per-file state handed to every :meth:`parse` call of that file."""
        return None

    def advance_state(self, lines: pl.DataFrame, state: Any) -> Any:
        """The state in force after ``lines``, found without parsing them; None when unknown.

        A stateful format that can tell the state at the end of a chunk cheaply
        (W3C: from its ``#`` lines only) returns a new state object here and
        leaves ``state`` untouched; the engine then hands each chunk its own
        starting state and parses chunks of a file concurrently. None (the
        default) makes the engine parse a stateful file's chunks one at a time.
        ``lines`` are exactly those :meth:`parse` receives.
        """
        return None

    @abc.abstractmethod
    def parse(self, lines: pl.DataFrame, state: Any) -> ParseResult:
        """Parse a chunk of lines (:data:`LINES_SCHEMA`, no blank lines) into records."""

    @classmethod
    def describe(cls) -> dict[str, Any]:
        """Facts shown by ``shadowlens formats show NAME``."""
        facts: dict[str, Any] = {"name": cls.name, "description": cls.description}
        if cls.vendor:
            facts["vendor"] = cls.vendor
        if cls.product:
            facts["product"] = cls.product
        if cls.variants:
            facts["variants"] = list(cls.variants)
        return facts
