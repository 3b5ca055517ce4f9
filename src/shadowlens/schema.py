"""The canonical Arrow schemas: records, quarantine and their column groups.

One row per log line. All columns are nullable except ``source_file`` and
``source_line``: a well-formed event without a usable time is a record with a
null ``event_time`` (counted as ``untimed`` in ``summary.json``), not a
quarantined line. Times are UTC microseconds; IPs are text.

Examples
--------
>>> from shadowlens.schema import RECORD_SCHEMA
>>> RECORD_SCHEMA.field("bytes_up").type
DataType(uint64)
"""

from __future__ import annotations

import polars as pl
import pyarrow as pa

_DICT = pa.dictionary(pa.int32(), pa.string())
_UTC_US = pa.timestamp("us", tz="UTC")

#: Columns filled by the enrichment stage (null until then).
ENRICHMENT_FIELDS: tuple[pa.Field, ...] = (
    pa.field("app_id", _DICT),
    pa.field("app_name", _DICT),
    pa.field("app_category", _DICT),
    pa.field("app_tags", pa.list_(pa.string())),
    pa.field("app_risk", pa.uint8()),
    pa.field("match_type", _DICT),
)

RECORD_SCHEMA = pa.schema(
    [
        pa.field("event_time", _UTC_US),
        pa.field("tz_assumed", pa.bool_()),
        pa.field("src_ip", pa.string()),
        pa.field("src_port", pa.uint16()),
        pa.field("src_host", pa.string()),
        pa.field("user_name", pa.string()),
        pa.field("dst_ip", pa.string()),
        pa.field("dst_port", pa.uint16()),
        pa.field("dst_host", pa.string()),
        pa.field("dst_domain", pa.string()),
        pa.field("url", pa.string()),
        pa.field("http_method", _DICT),
        pa.field("http_status", pa.uint16()),
        pa.field("user_agent", pa.string()),
        pa.field("transport", _DICT),
        pa.field("app_protocol", _DICT),
        pa.field("bytes_up", pa.uint64()),
        pa.field("bytes_down", pa.uint64()),
        pa.field("bytes_total", pa.uint64()),
        pa.field("duration_ms", pa.uint32()),
        pa.field("action", _DICT),
        pa.field("action_raw", pa.string()),
        pa.field("observer_vendor", _DICT),
        pa.field("observer_product", _DICT),
        pa.field("observer_version", _DICT),
        pa.field("event_class", pa.string()),
        pa.field("event_name", pa.string()),
        pa.field("severity", pa.uint8()),
        pa.field("log_format", _DICT),
        pa.field("source_file", _DICT, nullable=False),
        pa.field("source_line", pa.uint64(), nullable=False),
        pa.field("source_offset", pa.uint64()),
        pa.field("extras", pa.map_(pa.string(), pa.string())),
        *ENRICHMENT_FIELDS,
    ],
    metadata={"shadowlens.schema": "records/1"},
)

QUARANTINE_SCHEMA = pa.schema(
    [
        pa.field("source_file", _DICT, nullable=False),
        pa.field("source_line", pa.uint64(), nullable=False),
        pa.field("source_offset", pa.uint64()),
        pa.field("log_format", _DICT),
        pa.field("error_code", _DICT, nullable=False),
        pa.field("error_message", pa.string()),
        pa.field("raw", pa.string()),
    ],
    metadata={"shadowlens.schema": "quarantine/1"},
)

#: Maximum characters of a quarantined line kept in ``raw``.
RAW_CAP = 4096

_PL_FROM_PA: dict[pa.DataType, pl.DataType] = {
    pa.string(): pl.String(),
    pa.bool_(): pl.Boolean(),
    pa.uint8(): pl.UInt8(),
    pa.uint16(): pl.UInt16(),
    pa.uint32(): pl.UInt32(),
    pa.uint64(): pl.UInt64(),
    _UTC_US: pl.Datetime("us", "UTC"),
    _DICT: pl.String(),  # dictionary encoding is applied when converting to Arrow
    pa.list_(pa.string()): pl.List(pl.String()),
    pa.map_(pa.string(), pa.string()): pl.List(
        pl.Struct({"key": pl.String(), "value": pl.String()})
    ),
}


def polars_schema(schema: pa.Schema) -> pl.Schema:
    """The polars dtypes of the columns (as polars reads them back from Parquet).

    Dictionary columns are plain strings in polars and maps are lists of
    ``{key, value}`` structs. While a batch is built, a map travels as two parallel
    string lists instead (:func:`conform`); :func:`to_arrow` restores the Arrow types.
    """
    return pl.Schema({f.name: _PL_FROM_PA[f.type] for f in schema})


RECORD_POLARS_SCHEMA = polars_schema(RECORD_SCHEMA)
QUARANTINE_POLARS_SCHEMA = polars_schema(QUARANTINE_SCHEMA)


def conform(frame: pl.DataFrame, schema: pl.Schema) -> pl.DataFrame:
    """Select, order and cast ``frame`` to ``schema``; missing columns become null.

    A map column (``extras``) travels as two parallel string lists,
    ``extras_keys`` and ``extras_values`` (empty lists when absent): the one
    representation of ``extras`` between formats, stages and :func:`to_arrow`.

    Examples
    --------
    >>> import polars as pl
    >>> conform(pl.DataFrame({"b": ["1"]}), pl.Schema({"a": pl.String(), "b": pl.UInt8()}))
    shape: (1, 2)
    ┌──────┬─────┐
    │ a    ┆ b   │
    │ ---  ┆ --- │
    │ str  ┆ u8  │
    ╞══════╪═════╡
    │ null ┆ 1   │
    └──────┴─────┘
    """
    exprs = []
    for name, dtype in schema.items():
        if isinstance(dtype, pl.List) and isinstance(dtype.inner, pl.Struct):
            if name in frame.columns:
                msg = (
                    f"column {name!r} must travel as {name}_keys and {name}_values "
                    "(parallel string lists), not as a list of structs"
                )
                raise ValueError(msg)
            for part in (f"{name}_keys", f"{name}_values"):
                column = pl.col(part) if part in frame.columns else pl.lit([])
                exprs.append(column.cast(pl.List(pl.String())).fill_null([]).alias(part))
            continue
        exprs.append(
            (pl.col(name) if name in frame.columns else pl.lit(None)).cast(dtype).alias(name)
        )
    return frame.select(exprs)


def to_arrow(frame: pl.DataFrame, schema: pa.Schema) -> pa.Table:
    """Convert a conformed polars frame to an Arrow table of exactly ``schema``."""
    table = frame.to_arrow()
    columns = []
    for field in schema:
        if pa.types.is_map(field.type):
            columns.append(
                _lists_to_map(
                    table.column(f"{field.name}_keys"),
                    table.column(f"{field.name}_values"),
                    field.type,
                )
            )
            continue
        column = table.column(field.name)
        if pa.types.is_dictionary(field.type):
            column = column.cast(pa.string()).dictionary_encode().cast(field.type)
        else:
            column = column.cast(field.type)
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=schema)


def _lists_to_map(
    keys: pa.ChunkedArray, values: pa.ChunkedArray, map_type: pa.MapType
) -> pa.ChunkedArray:
    """A map column from parallel ``list<string>`` key and value columns of equal list lengths."""
    keys = keys.combine_chunks()
    values = values.combine_chunks()
    if not pa.types.is_large_list(keys.type):
        keys = keys.cast(pa.large_list(keys.type.value_type))
        values = values.cast(pa.large_list(values.type.value_type))
    offsets = keys.offsets.cast(pa.int32())
    flat_keys = keys.values.cast(pa.string())
    flat_values = values.values.cast(pa.string())
    if len(flat_keys) != len(flat_values):
        msg = "map keys and values lists differ in length"
        raise ValueError(msg)
    return pa.chunked_array(
        [
            pa.MapArray.from_arrays(
                offsets, flat_keys, flat_values, type=map_type, mask=keys.is_null()
            )
        ]
    )
