"""``hub export``: warehouse tables to CSV or Parquet files, streamed in chunks.

A table is read with a server-side cursor (PostgreSQL) in chunks of ``chunk_size`` rows and
written chunk by chunk, so memory stays flat however large the table is. The file is written
under a temporary name and renamed when complete: a file named ``customers.csv`` is never a
half export. Parquet column types come from the table's declared types, not from the first
chunk (a first chunk of NULLs would otherwise fix a column as null-typed).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from hub.warehouse import LAYERS, MIGRATIONS_TABLE, Warehouse

FORMATS = ("csv", "parquet")
Progress = Callable[[str, int, int], None]  # table, rows written, rows in all


@dataclass(frozen=True)
class Exported:
    table: str
    path: Path
    rows: int


def split_name(name: str) -> tuple[str, str]:
    """``raw.events`` -> (raw, events); a bare name is an analytics table."""
    layer, _, table = name.rpartition(".")
    layer = layer or "analytics"
    if layer not in LAYERS or not table:
        raise ValueError(f"unknown table {name!r}: name an analytics table (customers) or layer.table "
                         f"with a layer of {', '.join(LAYERS)}")
    return layer, table


def analytics_tables(warehouse: Warehouse) -> list[str]:
    """Every analytics table (not views) of the warehouse, by name."""
    inspector = sa.inspect(warehouse.engine)
    if warehouse.is_postgres:
        return sorted(inspector.get_table_names(schema="analytics"))
    prefixes = tuple(f"{layer}_" for layer in LAYERS if layer != "analytics") + ("sqlite_",)
    return sorted(n for n in inspector.get_table_names() if not n.startswith(prefixes) and n != MIGRATIONS_TABLE)


def export_table(warehouse: Warehouse, name: str, fmt: str, out_dir: Path, *, chunk_size: int = 50_000,
                 progress: Progress | None = None) -> Exported:
    """Write one table to ``out_dir/<name>.<fmt>``; return where and how many rows."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    layer, table_name = split_name(name)
    known = sa.inspect(warehouse.engine).has_table(
        table_name if warehouse.is_postgres else warehouse.qualified(layer, table_name),
        schema=layer if warehouse.is_postgres else None)
    if not known:
        raise ValueError(f"the warehouse has no table {name!r} (hub export --list shows the analytics tables)")
    table = warehouse.table(layer, table_name)
    total = warehouse.count(layer, table_name)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}.{fmt}"
    partial = path.with_name(f".{path.name}.partial")
    writer = _write_csv if fmt == "csv" else _write_parquet
    written = 0
    try:
        for rows in writer(partial, table, _chunks(warehouse, table, chunk_size)):
            written += rows
            if progress is not None:
                progress(name, written, total)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return Exported(name, path, written)


def _chunks(warehouse: Warehouse, table: sa.Table, size: int) -> Iterator[Sequence[sa.Row]]:
    # Ordered by the primary key where there is one: two exports of the same data are the same file.
    order = list(table.primary_key.columns)
    query = sa.select(table).order_by(*order) if order else sa.select(table)
    with warehouse.engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=size).execute(query)
        yield from result.partitions(size)


def _write_csv(path: Path, table: sa.Table, chunks: Iterator[Sequence[sa.Row]]) -> Iterator[int]:
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow([c.name for c in table.columns])
        for chunk in chunks:
            out.writerows([_csv_value(v) for v in row] for row in chunk)
            yield len(chunk)


def _csv_value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return "" if value is None else value


def _write_parquet(path: Path, table: sa.Table, chunks: Iterator[Sequence[sa.Row]]) -> Iterator[int]:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise ValueError("Parquet export needs pyarrow: pip install 'customer-hub[export]'") from None
    fields = [(c.name, _arrow_type(pa, c.type)) for c in table.columns]
    schema = pa.schema(fields)
    with pq.ParquetWriter(path, schema) as writer:
        for chunk in chunks:
            columns = [pa.array([_arrow_value(pa, kind, row[i]) for row in chunk], type=kind)
                       for i, (_name, kind) in enumerate(fields)]
            writer.write_table(pa.Table.from_arrays(columns, schema=schema))
            yield len(chunk)


def _arrow_type(pa: Any, kind: sa.types.TypeEngine) -> Any:
    if isinstance(kind, sa.types.TypeDecorator):  # PostgreSQL timestamps reflect as IsoTimestamp
        kind = kind.impl_instance
    if isinstance(kind, sa.Boolean):
        return pa.bool_()
    if isinstance(kind, sa.Integer):
        return pa.int64()
    if isinstance(kind, sa.Float | sa.Numeric):
        return pa.float64()
    if isinstance(kind, sa.DateTime):
        return pa.timestamp("us", tz="UTC")
    if isinstance(kind, sa.Date):
        return pa.date32()
    return pa.string()  # text, JSON, and SQLite's ISO-text timestamps


def _arrow_value(pa: Any, kind: Any, value: Any) -> Any:
    if value is None:
        return None
    if pa.types.is_floating(kind):  # NUMERIC arrives as Decimal, whole numbers as int
        return float(value)
    if pa.types.is_string(kind) and not isinstance(value, str):
        return json.dumps(value, sort_keys=True) if isinstance(value, dict | list) else str(value)
    return value
