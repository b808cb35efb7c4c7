"""Bulk writes of large frames (100k rows and up) for the steps that need them (health, alerts).

``Warehouse.upsert`` hands SQLAlchemy one dict per row, which is fine for thousands of rows and
slow beyond: at 100k rows SQLAlchemy's per-row parameter processing costs seconds on SQLite, and
psycopg2 sends an ON CONFLICT executemany one row per round trip. Here SQLite gets the driver's
executemany on plain tuples; PostgreSQL gets COPY into a temporary table and one set-based
INSERT … ON CONFLICT / UPDATE … FROM. Values are bound or copied, never spliced into SQL; only
identifiers (quoted by the dialect) are.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hub.warehouse import Warehouse, plain_column

_temp_names = itertools.count()


@contextmanager
def _connection(warehouse: Warehouse, conn: Connection | None) -> Iterator[Connection]:
    if conn is not None:
        yield conn
    else:
        with warehouse.transaction() as own:
            yield own


def _columns(warehouse: Warehouse, layer: str, name: str, frame: pd.DataFrame) -> tuple[sa.Table, str, list[str]]:
    table = warehouse.table(layer, name)
    quote = warehouse.engine.dialect.identifier_preparer.quote
    target = quote(table.name) if table.schema is None else f"{quote(table.schema)}.{quote(table.name)}"
    return table, target, [c.name for c in table.columns if c.name in frame.columns]


def _copy_to_temp(conn: Connection, warehouse: Warehouse, table: sa.Table, target: str, names: list[str],
                  frame: pd.DataFrame) -> str:
    """A temporary table of ``names`` (typed as in ``target``) holding ``frame``, dropped at commit."""
    quote = warehouse.engine.dialect.identifier_preparer.quote
    temp = f"hub_bulk_{next(_temp_names)}"
    cursor = conn.connection.dbapi_connection.cursor()
    # The columns' types only (no NOT NULL of columns the frame leaves out).
    cursor.execute(f"CREATE TEMPORARY TABLE {temp} ON COMMIT DROP AS SELECT "
                   f"{', '.join(quote(n) for n in names)} FROM {target} WITH NO DATA")
    data = _csv(table, names, frame)
    copy = f"COPY {temp} ({', '.join(quote(n) for n in names)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')"
    if hasattr(cursor, "copy_expert"):  # psycopg2
        cursor.copy_expert(copy, io.StringIO(data))
    else:  # psycopg 3
        with cursor.copy(copy) as writer:
            writer.write(data)
    return temp


def _csv(table: sa.Table, names: list[str], frame: pd.DataFrame) -> str:
    """``frame`` as CSV for COPY, NULL as ``\\N``. The csv module over plain values: pandas'
    ``to_csv`` formats floats in Python and took four times as long at 100k rows."""
    integer = {c.name for c in table.columns if isinstance(c.type, sa.Integer)}
    columns = []
    for name in names:
        values = plain_column(frame[name])
        if name in integer:  # a float column holding whole numbers prints "3.0", which COPY refuses
            values = [None if v is None else int(v) for v in values]
        columns.append(["\\N" if v is None else v for v in values])
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(zip(*columns, strict=True))
    return out.getvalue()


def bulk_write(warehouse: Warehouse, layer: str, name: str, frame: pd.DataFrame, *,
               key: Sequence[str] | None = None, conn: Connection | None = None,
               update: Sequence[str] | None = None, key_where: str | None = None) -> int:
    """Insert ``frame``; with ``key``, rows whose key exists are updated instead (an upsert): every
    other column, or only ``update`` (empty: the existing row is kept). ``key_where`` is the predicate
    of the partial unique index on ``key`` (SQL text written in code, never a value)."""
    if frame.empty:
        return 0
    quote = warehouse.engine.dialect.identifier_preparer.quote
    table, target, names = _columns(warehouse, layer, name, frame)
    cols = ", ".join(quote(n) for n in names)
    updated = [n for n in names if n not in (key or [])] if update is None else [n for n in update if n in names]
    conflict = ""
    if key:
        arbiter = f"({', '.join(quote(k) for k in key)})" + (f" WHERE {key_where}" if key_where else "")
        conflict = f" ON CONFLICT {arbiter} " + (
            f"DO UPDATE SET {', '.join(f'{quote(n)} = excluded.{quote(n)}' for n in updated)}"
            if updated else "DO NOTHING")
    with _connection(warehouse, conn) as c:
        if warehouse.is_postgres:
            temp = _copy_to_temp(c, warehouse, table, target, names, frame)
            c.exec_driver_sql(f"INSERT INTO {target} ({cols}) SELECT {cols} FROM {temp}{conflict}")
        else:
            rows = list(zip(*[plain_column(frame[n]) for n in names], strict=True))
            c.exec_driver_sql(f"INSERT INTO {target} ({cols}) VALUES ({', '.join('?' for _ in names)}){conflict}",
                              rows)
    return len(frame)


def bulk_update(warehouse: Warehouse, layer: str, name: str, frame: pd.DataFrame, key: str, *,
                conn: Connection | None = None) -> int:
    """Set ``frame``'s other columns on the rows matching its ``key`` column."""
    if frame.empty:
        return 0
    quote = warehouse.engine.dialect.identifier_preparer.quote
    table, target, names = _columns(warehouse, layer, name, frame)
    values = [n for n in names if n != key]
    with _connection(warehouse, conn) as c:
        if warehouse.is_postgres:
            temp = _copy_to_temp(c, warehouse, table, target, [key, *values], frame)
            sets = ", ".join(f"{quote(n)} = t.{quote(n)}" for n in values)
            c.exec_driver_sql(f"UPDATE {target} AS x SET {sets} FROM {temp} AS t "
                              f"WHERE x.{quote(key)} = t.{quote(key)}")
        else:
            rows: list[tuple[Any, ...]] = list(zip(*[plain_column(frame[n]) for n in [*values, key]], strict=True))
            sets = ", ".join(f"{quote(n)} = ?" for n in values)
            c.exec_driver_sql(f"UPDATE {target} SET {sets} WHERE {quote(key)} = ?", rows)
    return len(frame)
