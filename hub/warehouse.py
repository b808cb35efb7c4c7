"""The warehouse: one SQLAlchemy URL, SQLite embedded by default, PostgreSQL in production.

PostgreSQL keeps the layers as schemas (``raw.hubspot_companies``, ``analytics.customers``);
SQLite, which has no schemas, prefixes raw and staging tables with their layer
(``raw_hubspot_companies``) and keeps analytics tables under their plain names. The DDL in
``sql/`` is written once with placeholders and applied idempotently, each file recorded by
version and checksum.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
import json
import math
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection, Engine

from hub.values import escape_record, flag, number, safe_text

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
LAYERS = ("raw", "staging", "analytics")
MIGRATIONS_TABLE = "hub_schema_migrations"
# The advisory lock key every migrate() of a PostgreSQL warehouse takes (64-bit, from a fixed name).
MIGRATION_LOCK_KEY = int.from_bytes(hashlib.sha256(b"customer-hub migrate").digest()[:8], "big", signed=True)


def normalise_url(url: str) -> str:
    """Pick a PostgreSQL driver that is installed: SQLAlchemy 2.1 defaults to psycopg 3,
    dagster-postgres ships psycopg2; a bare ``postgresql://`` URL works with either."""
    if url.startswith(("postgresql://", "postgres://")):
        rest = url.split("://", 1)[1]
        driver = "psycopg" if importlib.util.find_spec("psycopg") else "psycopg2"
        return f"postgresql+{driver}://{rest}"
    return url


class Warehouse:
    """Reads and writes the layered tables of one database."""

    def __init__(self, url: str, *, engine: Engine | None = None) -> None:
        self.url = normalise_url(url)
        self.engine = engine or create_engine_for(self.url)
        self.dialect = self.engine.dialect.name
        self._tables: dict[tuple[str, str], sa.Table] = {}

    @property
    def is_postgres(self) -> bool:
        return self.dialect == "postgresql"

    def describe(self) -> str:
        """The URL with any password hidden, for logs and summaries."""
        return self.engine.url.render_as_string(hide_password=True)

    # -- names -------------------------------------------------------------------------------

    def qualified(self, layer: str, name: str) -> str:
        """The table's name as SQL sees it on this backend."""
        _check_layer(layer)
        if self.is_postgres:
            return f"{layer}.{name}"
        return name if layer == "analytics" else f"{layer}_{name}"

    def table(self, layer: str, name: str) -> sa.Table:
        """The reflected table (cached)."""
        key = (layer, name)
        if key not in self._tables:
            if self.is_postgres:
                table = sa.Table(name, sa.MetaData(), schema=layer, autoload_with=self.engine,
                                 listeners=[("column_reflect", _postgres_types)])
            else:
                table = sa.Table(self.qualified(layer, name), sa.MetaData(), autoload_with=self.engine)
            self._tables[key] = table
        return self._tables[key]

    # -- schema ------------------------------------------------------------------------------

    def migrate(self) -> list[str]:
        """Apply every DDL file of ``sql/`` not yet applied; return the versions applied now.

        One transaction applies the files in version order and records each by checksum, holding
        the warehouse's migration lock (a PostgreSQL advisory lock, SQLite's write lock) from before
        it reads the applied versions: a second ``migrate`` at the same time waits, then finds
        nothing left to do; a crash applies nothing. Once all is applied a call only reads the
        versions, without the lock: every step and sensor tick calls it.
        """
        if self._up_to_date():
            return []
        applied_now: list[str] = []
        with self._migration_lock() as conn:
            if self.is_postgres:
                for layer in LAYERS:
                    conn.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {layer}")
            conn.exec_driver_sql(
                f"CREATE TABLE IF NOT EXISTS {self._migrations_table()} ("
                "version TEXT PRIMARY KEY, checksum TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            done = dict(conn.exec_driver_sql(f"SELECT version, checksum FROM {self._migrations_table()}").all())
            for path in self._ddl_files():
                text = path.read_text(encoding="utf-8")
                checksum = _checksum(text)
                version = path.stem
                if done.get(version) == checksum:
                    continue
                for statement in _statements(self._render(text), whole=self.is_postgres):
                    # The driver's own cursor without parameters: a '%' in a comment or a format()
                    # call is SQL, not a placeholder (exec_driver_sql makes psycopg parse for them).
                    cursor = conn.connection.cursor()
                    try:
                        cursor.execute(statement)
                    finally:
                        cursor.close()
                conn.execute(
                    sa.text(f"DELETE FROM {self._migrations_table()} WHERE version = :v"), {"v": version}
                )
                conn.execute(
                    sa.text(f"INSERT INTO {self._migrations_table()} VALUES (:v, :c, :t)"),
                    {"v": version, "c": checksum, "t": utcnow().isoformat()},
                )
                applied_now.append(version)
        self._tables.clear()
        return applied_now

    def _up_to_date(self) -> bool:
        """Whether every DDL file is applied as it reads now (a read: no lock, no DDL)."""
        schema, name = ("raw", MIGRATIONS_TABLE) if self.is_postgres else (None, f"raw_{MIGRATIONS_TABLE}")
        with self.engine.connect() as conn:
            if not sa.inspect(conn).has_table(name, schema=schema):
                return False
            done = dict(conn.exec_driver_sql(f"SELECT version, checksum FROM {self._migrations_table()}").all())
        return all(done.get(p.stem) == _checksum(p.read_text(encoding="utf-8")) for p in self._ddl_files())

    @contextmanager
    def _migration_lock(self) -> Iterator[Connection]:
        """A transaction holding the lock every ``migrate`` of this warehouse takes first."""
        if self.is_postgres:
            with self.engine.begin() as conn:
                # Transaction-scoped: the commit or rollback releases it, as does a dying session.
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
                yield conn
            return
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            # pysqlite would begin only at the first INSERT: take the write lock before reading versions.
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                if conn.connection.driver_connection.in_transaction:
                    conn.exec_driver_sql("ROLLBACK")
                raise
            conn.exec_driver_sql("COMMIT")

    def drop_layers(self) -> None:
        """Drop the raw, staging and analytics schemas with everything in them (PostgreSQL).

        For tests and benchmarks that need an empty warehouse; never called by the pipeline."""
        if not self.is_postgres:
            raise NotImplementedError("drop_layers is for PostgreSQL; use a new SQLite file instead")
        with self.engine.begin() as conn:
            for layer in LAYERS:
                conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {layer} CASCADE")
        self._tables.clear()

    def _migrations_table(self) -> str:
        return f"raw.{MIGRATIONS_TABLE}" if self.is_postgres else f"raw_{MIGRATIONS_TABLE}"

    def _ddl_files(self) -> list[Path]:
        files = sorted(SQL_DIR.glob("*.sql"))
        if self.is_postgres:
            files += sorted((SQL_DIR / "postgres").glob("*.sql"))
        return sorted(files, key=lambda p: p.name)

    def _render(self, text: str) -> str:
        if self.is_postgres:
            subs = {"raw": "raw.", "staging": "staging.", "analytics": "analytics.",
                    "json": "JSONB", "ts": "TIMESTAMPTZ", "date": "DATE"}
        else:
            subs = {"raw": "raw_", "staging": "staging_", "analytics": "",
                    "json": "TEXT", "ts": "TEXT", "date": "TEXT"}
        for key, value in subs.items():
            text = text.replace("{{" + key + "}}", value)
        return text

    # -- reading -----------------------------------------------------------------------------

    def read(self, layer: str, name: str, columns: Sequence[str] | None = None,
             where: sa.ColumnElement[bool] | None = None) -> pd.DataFrame:
        """A table (or some of its columns and rows) as a DataFrame."""
        table = self.table(layer, name)
        cols = [table.c[c] for c in columns] if columns else [table]
        query = sa.select(*cols)
        if where is not None:
            query = query.where(where)
        with self.engine.connect() as conn:
            result = conn.execute(query)
            # Plain tuples: pandas builds a frame from Row objects about eight times slower.
            return pd.DataFrame([tuple(row) for row in result.fetchall()], columns=list(result.keys()))

    def fetch(self, query: sa.Select) -> pd.DataFrame:
        """A query's rows as a DataFrame straight from the driver, without SQLAlchemy's per-value
        result processing (about three times faster on wide reads). The driver's own types come
        back: on SQLite booleans are 0/1 and timestamps ISO text."""
        with self.engine.connect() as conn:
            result = conn.execute(query)
            return pd.DataFrame(result.cursor.fetchall(), columns=list(result.keys()))

    def count(self, layer: str, name: str) -> int:
        table = self.table(layer, name)
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())

    # -- writing -----------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            yield conn

    def replace(self, layer: str, name: str, frame: pd.DataFrame, *,
                conn: Connection | None = None) -> int:
        """Make the table hold exactly ``frame``, atomically."""
        table = self.table(layer, name)
        rows = records(frame, table)
        with self._conn(conn) as c:
            c.execute(table.delete())
            if rows:
                c.execute(table.insert(), rows)
        return len(rows)

    def upsert(self, layer: str, name: str, frame: pd.DataFrame | list[dict[str, Any]],
               key: Sequence[str], *, conn: Connection | None = None,
               update: Sequence[str] | None = None) -> int:
        """Insert rows, updating the rows whose ``key`` exists (only ``update`` columns if given)."""
        table = self.table(layer, name)
        rows = records(frame, table) if isinstance(frame, pd.DataFrame) else [_clean_row(r, table) for r in frame]
        if not rows:
            return 0
        insert = _dialect_insert(self.dialect)(table)
        columns = [c for c in rows[0] if c not in key] if update is None else list(update)
        if columns:
            statement = insert.on_conflict_do_update(
                index_elements=list(key), set_={c: insert.excluded[c] for c in columns}
            )
        else:
            statement = insert.on_conflict_do_nothing(index_elements=list(key))
        with self._conn(conn) as c:
            for chunk in _chunks(rows, 5000):
                c.execute(statement, chunk)
        return len(rows)

    @contextmanager
    def _conn(self, conn: Connection | None) -> Iterator[Connection]:
        if conn is not None:
            yield conn
        else:
            with self.engine.begin() as c:
                yield c


def _checksum(ddl: str) -> str:
    return hashlib.sha256(ddl.encode()).hexdigest()


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class IsoTimestamp(sa.types.TypeDecorator):
    """A PostgreSQL ``TIMESTAMPTZ`` column that also takes the ISO text the pipeline binds everywhere
    (SQLite's storage format): values and comparisons bind a real timestamp under either driver,
    where psycopg 3 would otherwise send ``$1::VARCHAR`` and PostgreSQL refuses ``timestamptz >= varchar``."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def coerce_compared_value(self, op: Any, value: Any) -> sa.types.TypeEngine:
        return self  # a string compared with the column is a timestamp, not VARCHAR

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> dt.datetime | None:
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            return None
        try:  # the C parser: pd.Timestamp costs 30 µs a value, seconds over a 100k-row upsert
            when = dt.datetime.fromisoformat(value) if isinstance(value, str) else pd.Timestamp(value).to_pydatetime()
        except ValueError:
            parsed = pd.Timestamp(value)
            if pd.isna(parsed):
                return None
            when = parsed.to_pydatetime()
        # Naive text is UTC, as everywhere in the hub (hub.timeparse), not the session's time zone.
        return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when


class JsonText(sa.types.TypeDecorator):
    """A PostgreSQL ``JSONB`` column bound from the JSON text the pipeline already made (the raw
    payload, hashed as that text): sent as text and cast, so the column holds the document itself.
    SQLAlchemy's own JSONB type would serialize the text again and store one JSON *string*, which
    BI cannot query with ``payload->'properties'``. A dict or list is serialized first."""

    impl = sa.Text
    cache_ok = True

    def bind_expression(self, bindvalue: Any) -> Any:
        return sa.cast(bindvalue, JSONB)

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> str | None:
        if value is None or isinstance(value, str):
            return value
        return json.dumps(value, sort_keys=True, default=str)


def _postgres_types(_inspector: Any, _table: sa.Table, column: dict[str, Any]) -> None:
    """Reflection hook: every timestamp column of a PostgreSQL warehouse table is an ``IsoTimestamp``
    and every JSON column a ``JsonText``."""
    if isinstance(column["type"], sa.DateTime):
        column["type"] = IsoTimestamp()
    elif isinstance(column["type"], sa.JSON):
        column["type"] = JsonText()


def records(frame: pd.DataFrame, table: sa.Table) -> list[dict[str, Any]]:
    """DataFrame rows as plain dicts of the table's columns, with NaN/NaT as NULL."""
    names = [c.name for c in table.columns if c.name in frame.columns]
    if frame.empty:
        return []
    # Column by column: tolist() turns numpy scalars into Python ones in C, far faster than per value.
    columns = [plain_column(frame[name]) for name in names]
    return [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]


def plain_column(series: pd.Series) -> list[Any]:
    """A column as plain Python values for a driver, missing values as None."""
    missing = series.isna().to_numpy()
    if series.dtype.kind in "iub" and not missing.any():
        return series.tolist()
    if series.dtype.kind == "f":
        return [None if gap else value for value, gap in zip(series.tolist(), missing, strict=True)]
    return [None if gap else _plain(value) for value, gap in zip(series.tolist(), missing, strict=True)]


def _clean_row(row: dict[str, Any], table: sa.Table) -> dict[str, Any]:
    """A row of plain values, each of its column's kind: a source's "ACME" in a number column is
    NULL there (the raw payload keeps what was sent), never a failed transaction."""
    kinds = _column_kinds(table)
    out = {}
    for k, v in row.items():
        kind = kinds.get(k)
        if kind is None:
            continue
        v = _plain(v)
        if v is not None and kind != "any":
            v = _KIND_COERCE[kind](v)
        out[k] = v
    return out


_KIND_COERCE = {
    "float": lambda v: v if isinstance(v, float) or (isinstance(v, int) and not isinstance(v, bool)
                                                      and abs(v) < 1e300) else number(v),
    "int": lambda v: v if isinstance(v, int) and not isinstance(v, bool) and abs(v) < 2**63 else _whole(number(v)),
    "bool": lambda v: v if isinstance(v, bool) else flag(v),
}
_kinds_cache: dict[int, tuple[sa.Table, dict[str, str]]] = {}


def _column_kinds(table: sa.Table) -> dict[str, str]:
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


def _whole(value: float | None) -> int | None:
    return int(value) if value is not None and abs(value) < 2**63 else None


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


def _chunks(rows: list[dict[str, Any]], size: int) -> Iterable[list[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def _dialect_insert(dialect: str):  # noqa: ANN202 - returns a dialect's insert() constructor
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        raise NotImplementedError(f"warehouse backend {dialect!r} is not supported: use SQLite or PostgreSQL")
    return insert


def _check_layer(layer: str) -> None:
    if layer not in LAYERS:
        raise ValueError(f"unknown warehouse layer {layer!r}; expected one of {LAYERS}")


def _statements(sql: str, *, whole: bool) -> list[str]:
    """Split a DDL file into statements (PostgreSQL takes a whole file, DO blocks included)."""
    if whole:
        return [sql]
    lines = [line for line in sql.splitlines() if not line.strip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def create_engine_for(url: str) -> Engine:
    """An engine for the URL; SQLite gets WAL mode and a generous busy timeout."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": 60})

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # noqa: ANN001
            cursor = dbapi_conn.cursor()
            # WAL lets BI tools read while a run writes; busy_timeout waits out short locks.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=60000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return sa.create_engine(url, pool_pre_ping=True)
