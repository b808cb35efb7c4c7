"""How ``Warehouse.write`` writes: one semantics, two strategies.

Every write first turns its rows into plain column values of each column's kind (``prepare``):
NaN/NaT are NULL, numpy scalars Python ones, a source's "ACME" in a number column NULL (the raw
payload keeps what was sent), text storable on both backends. Then one of two strategies sends
them, chosen by size (``BULK_MIN_ROWS``) on PostgreSQL, always ``bulk`` on SQLite (the driver's
``executemany`` costs nothing to start), unless the caller names one:

- ``rows``: SQLAlchemy Core ``executemany`` of dicts, with ``ON CONFLICT`` for upserts. Cheap to
  start; per-row parameter processing makes it slow past a few thousand rows.
- ``bulk``: PostgreSQL ``COPY`` into a temporary table and one set-based ``INSERT … SELECT … ON
  CONFLICT`` (an append or replace has no conflict to resolve: ``COPY`` straight into the table);
  SQLite the driver's own ``executemany`` over plain tuples. About 8× faster at 100k rows.

Both give the same rows (``tests/test_warehouse_write.py`` compares them row for row on both
backends). Values are bound or copied, never spliced into SQL; only identifiers (quoted by the
dialect) and ``key_where`` (a predicate written in code) are.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hub.values import escape_record, flag, number, safe_text

if TYPE_CHECKING:
    from hub.warehouse import Warehouse

Mode = Literal["upsert", "replace", "append"]
Strategy = Literal["rows", "bulk"]
# From how many rows a PostgreSQL write goes in bulk, by driver: where COPY's start-up (a temporary
# table) is paid back (benchmarks/write_strategy.py: psycopg 3's pipelined executemany holds out
# to ~200 rows, psycopg2's to 25-50).
BULK_MIN_ROWS = {"psycopg": 200, "psycopg2": 40}
_temp_names = itertools.count()


def write(warehouse: Warehouse, conn: Connection, layer: str, name: str,
          data: pd.DataFrame | Sequence[dict[str, Any]], *, mode: Mode, key: Sequence[str] | None,
          update: Sequence[str] | None, key_where: str | None, strategy: Strategy | None) -> int:
    """See ``Warehouse.write``; runs inside ``conn``'s transaction."""
    if mode not in ("upsert", "replace", "append"):
        raise ValueError(f"write mode {mode!r}: expected upsert, replace or append")
    if mode == "upsert" and not key:
        raise ValueError(f"upsert into {layer}.{name} needs the key columns")
    table = warehouse.table(layer, name)
    names, columns = prepare(data, table)
    if mode == "replace":
        conn.execute(table.delete())
    if not names or not columns[0]:
        return 0
    count = len(columns[0])
    keys = list(key or []) if mode == "upsert" else []
    updated = [n for n in names if n not in keys] if update is None else [n for n in update if n in names]
    # SQLite's bulk has no start-up cost (no temporary table); SQLAlchemy's per-row parameter
    # processing was most of a 100-row raw page's write (benchmarks/raw_landing.py --profile).
    by_size = ("bulk" if not warehouse.is_postgres or count >= BULK_MIN_ROWS.get(warehouse.engine.dialect.driver, 200)
               else "rows")
    if (strategy or by_size) == "bulk" and not _holds_copy_null(columns):
        _bulk(warehouse, conn, table, names, columns, keys, updated, key_where)
    else:
        _rows(warehouse, conn, table, names, columns, keys, updated, key_where)
    return count


# -- values ----------------------------------------------------------------------------------

def prepare(data: pd.DataFrame | Sequence[dict[str, Any]], table: sa.Table) -> tuple[list[str], list[list[Any]]]:
    """The table's columns present in ``data`` and their values, plain and of each column's kind."""
    kinds = column_kinds(table)
    if isinstance(data, pd.DataFrame):
        names = [c.name for c in table.columns if c.name in data.columns]
        columns = []
        for n in names:
            series = data[n]
            if kinds[n] == "int" and series.dtype.kind == "f":  # counts a NaN made float: whole at once
                columns.append(_whole_column(series))
                continue
            values = plain_column(series)
            if kinds[n] != "any" and series.dtype.kind not in _NATIVE[kinds[n]]:
                values = [None if v is None else _KIND_COERCE[kinds[n]](v) for v in values]
            columns.append(values)
        return names, columns
    rows = list(data)
    present = dict.fromkeys(k for row in rows for k in row)
    names = [c.name for c in table.columns if c.name in present]
    columns = []
    for n in names:
        values = [row.get(n) for row in rows]
        if _already_plain(values, kinds[n]):
            columns.append(values)
            continue
        coerce = _KIND_COERCE.get(kinds[n])
        values = [_plain(v) for v in values]
        columns.append([None if v is None or coerce is None else coerce(v) for v in values] if coerce else values)
    return names, columns


def _already_plain(values: list[Any], kind: str) -> bool:
    """Whether ``_plain`` and the kind's coercion would return every value unchanged: text of a
    text column that both backends store as it is, or flags of a flag column. Decided for the
    whole column at once (a raw page's payloads and hashes are ASCII JSON and hex), not per value."""
    types = set(map(type, values))
    types.discard(type(None))
    if kind == "bool":
        return types <= {bool}
    if kind != "any" or types - {str}:
        return False
    joined = "".join(v for v in values if v is not None)
    return joined.isascii() and "\x00" not in joined


def plain_column(series: pd.Series) -> list[Any]:
    """A column as plain Python values for a driver, missing values as None."""
    missing = series.isna().to_numpy()
    if series.dtype.kind in "iub" and not missing.any():
        return series.tolist()
    if series.dtype.kind == "f":
        values = series.to_numpy(dtype=object)  # Python floats
        values[missing] = None
        return values.tolist()
    values = series.to_numpy(dtype=object, copy=True)
    values[missing] = None
    present = values[~missing]
    # Plain text that both backends store as it is (what _plain would return unchanged): checked
    # for the whole column at once, not value by value (seconds over a wide 100k-row write).
    if pd.api.types.infer_dtype(present, skipna=False) == "string":
        joined = "".join(present)
        if joined.isascii() and "\x00" not in joined:
            return values.tolist()
    return [None if value is None else _plain(value) for value in values.tolist()]


def _plain(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        return safe_text(value)  # NUL and lone surrogates: PostgreSQL refuses them, SQLite keeps them
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.isoformat()
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalar
        return value.item()
    if isinstance(value, dict | list):  # a structure where a scalar was expected: keep it readable
        return json.dumps(escape_record(value), sort_keys=True, default=str)
    return value


def _whole(value: float | None) -> int | None:
    return int(value) if value is not None and abs(value) < 2**63 else None


def _whole_column(series: pd.Series) -> list[int | None]:
    """A float column bound for an integer column: ``_whole(number(v))`` of each value at once
    (truncated toward zero; missing, infinite or out of range is None)."""
    floats = series.to_numpy(dtype=float, na_value=np.nan)
    fits = np.isfinite(floats) & (np.abs(floats) < 2**63)
    values = np.full(len(floats), None, dtype=object)
    values[fits] = floats[fits].astype(np.int64).astype(object)
    return values.tolist()


_NATIVE = {"float": "fiu", "int": "iu", "bool": "b"}  # dtypes whose values already are the kind
_KIND_COERCE = {
    "float": lambda v: v if isinstance(v, float) or (isinstance(v, int) and not isinstance(v, bool)
                                                      and abs(v) < 1e300) else number(v),
    "int": lambda v: v if isinstance(v, int) and not isinstance(v, bool) and abs(v) < 2**63 else _whole(number(v)),
    "bool": lambda v: v if isinstance(v, bool) else flag(v),
}
_kinds_cache: dict[int, tuple[sa.Table, dict[str, str]]] = {}


def column_kinds(table: sa.Table) -> dict[str, str]:
    """Column name -> ``bool`` / ``int`` / ``float`` / ``ts`` / ``any``."""
    cached = _kinds_cache.get(id(table))
    if cached is not None and cached[0] is table:
        return cached[1]
    kinds = {}
    for column in table.columns:
        kind = "any"
        if isinstance(column.type, sa.Boolean):
            kind = "bool"
        elif isinstance(column.type, sa.Integer):
            kind = "int"
        elif isinstance(column.type, sa.Float | sa.Numeric):
            kind = "float"
        kinds[column.name] = kind
    _kinds_cache[id(table)] = (table, kinds)
    return kinds


def iso_utc(value: Any) -> dt.datetime | None:
    """A timestamp value (ISO text, datetime, pandas Timestamp) as an aware datetime; naive is UTC,
    as everywhere in the hub (hub.timeparse), never the database session's time zone."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    try:  # the C parser: pd.Timestamp costs 30 µs a value, seconds over a 100k-row write
        when = dt.datetime.fromisoformat(value) if isinstance(value, str) else pd.Timestamp(value).to_pydatetime()
    except ValueError:
        parsed = pd.Timestamp(value)
        if pd.isna(parsed):
            return None
        when = parsed.to_pydatetime()
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when


# -- strategies ------------------------------------------------------------------------------

def _conflict_clause(warehouse: Warehouse, keys: list[str], updated: list[str], key_where: str | None) -> str:
    if not keys:
        return ""
    quote = warehouse.engine.dialect.identifier_preparer.quote
    arbiter = f"({', '.join(quote(k) for k in keys)})" + (f" WHERE {key_where}" if key_where else "")
    action = (f"DO UPDATE SET {', '.join(f'{quote(n)} = excluded.{quote(n)}' for n in updated)}"
              if updated else "DO NOTHING")
    return f" ON CONFLICT {arbiter} {action}"


def _rows(warehouse: Warehouse, conn: Connection, table: sa.Table, names: list[str], columns: list[list[Any]],
          keys: list[str], updated: list[str], key_where: str | None) -> None:
    statement = _insert_statement(warehouse, table, keys, updated, key_where)
    rows = [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]
    for start in range(0, len(rows), 5000):
        conn.execute(statement, rows[start:start + 5000])


def _insert_statement(warehouse: Warehouse, table: sa.Table, keys: list[str], updated: list[str],
                      key_where: str | None) -> Any:
    """The INSERT (… ON CONFLICT) of ``_rows``, built once per table and shape: building it (its
    ``excluded`` columns above all) took milliseconds, twice per raw page (rows and cursor)."""
    from hub.warehouse import dialect_insert

    built = table.info.setdefault("hub_insert_statements", {})  # lives and dies with the table
    shape = (warehouse.dialect, tuple(keys), tuple(updated), key_where)
    if shape not in built:
        statement: Any = dialect_insert(warehouse.dialect)(table)
        if keys:
            where = sa.text(key_where) if key_where else None
            statement = (statement.on_conflict_do_update(index_elements=keys, index_where=where,
                                                         set_={c: statement.excluded[c] for c in updated})
                         if updated else statement.on_conflict_do_nothing(index_elements=keys, index_where=where))
        built[shape] = statement
    return built[shape]


def _bulk(warehouse: Warehouse, conn: Connection, table: sa.Table, names: list[str], columns: list[list[Any]],
          keys: list[str], updated: list[str], key_where: str | None) -> None:
    quote = warehouse.engine.dialect.identifier_preparer.quote
    target = quote(table.name) if table.schema is None else f"{quote(table.schema)}.{quote(table.name)}"
    cols = ", ".join(quote(n) for n in names)
    conflict = _conflict_clause(warehouse, keys, updated, key_where)
    if not warehouse.is_postgres:
        marks = ", ".join("?" for _ in names)
        conn.exec_driver_sql(f"INSERT INTO {target} ({cols}) VALUES ({marks}){conflict}",
                             list(zip(*columns, strict=True)))
        return
    cursor = conn.connection.dbapi_connection.cursor()
    data = _csv(table, names, columns)
    if not keys:  # append or replace: nothing to resolve, COPY straight into the table
        _copy(cursor, f"COPY {target} ({cols}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", data)
        return
    temp = f"hub_write_{next(_temp_names)}"
    # The columns' types only (no NOT NULL of columns the rows leave out); dropped at commit.
    cursor.execute(f"CREATE TEMPORARY TABLE {temp} ON COMMIT DROP AS SELECT {cols} FROM {target} WITH NO DATA")
    _copy(cursor, f"COPY {temp} ({cols}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", data)
    conn.exec_driver_sql(f"INSERT INTO {target} ({cols}) SELECT {cols} FROM {temp}{conflict}")


def _copy(cursor: Any, copy: str, data: str | bytes) -> None:
    if hasattr(cursor, "copy_expert"):  # psycopg2
        cursor.copy_expert(copy, io.BytesIO(data) if isinstance(data, bytes) else io.StringIO(data))
    else:  # psycopg 3
        with cursor.copy(copy) as writer:
            writer.write(data)


def _holds_copy_null(columns: list[list[Any]]) -> bool:
    """Whether a text value is COPY's NULL marker itself (``\\N``): such a rare write takes the
    rows strategy, which binds it as the text it is."""
    return any("\\N" in values for values in columns)  # list membership: a C loop per column


def _csv(table: sa.Table, names: list[str], columns: list[list[Any]]) -> str | bytes:
    """The values as CSV for COPY, NULL as ``\\N``: Arrow's CSV writer when every column's values
    are of its kind (text quoted, numbers in shortest round-trip form), else the csv module over
    plain values (pandas' ``to_csv`` formats floats in Python and took four times as long)."""
    kinds = column_kinds(table)
    out_columns = []
    for name, values in zip(names, columns, strict=True):
        if _is_timestamp(table.c[name]):
            values = [None if when is None else when.isoformat() for when in map(iso_utc, values)]
        out_columns.append(values)
    arrow = _arrow_csv(names, out_columns, [kinds[n] for n in names])
    if arrow is not None:
        return arrow
    out_columns = [["\\N" if v is None else v for v in values] for values in out_columns]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(zip(*out_columns, strict=True))
    return out.getvalue()


_ARROW_KINDS = {"float": ("double", "int64", "null"), "int": ("int64", "null"), "bool": ("bool", "null"),
                "any": ("string", "large_string", "null")}


def _arrow_csv(names: list[str], columns: list[list[Any]], kinds: list[str]) -> bytes | None:
    """The CSV of ``_csv`` written by Arrow (several times faster at 100k rows), or None when a
    column holds values not of its kind (a number for a text column would be spelled differently)."""
    arrays = []
    for values, kind in zip(columns, kinds, strict=True):
        try:
            array = pa.array(values)
        except (pa.ArrowException, OverflowError, TypeError, ValueError):
            return None
        if str(array.type) not in _ARROW_KINDS[kind]:
            return None
        arrays.append(array)
    out = io.BytesIO()
    pa_csv.write_csv(pa.table(arrays, names=[f"c{i}" for i in range(len(arrays))]), out, pa_csv.WriteOptions(
        include_header=False, null_string="\\N", quoting_style="needed"))
    return out.getvalue()


def _is_timestamp(column: sa.Column) -> bool:
    kind = column.type.impl if isinstance(column.type, sa.types.TypeDecorator) else column.type
    return isinstance(kind, sa.DateTime)
