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
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection, Engine

from hub import lineage, warehouse_write
from hub.warehouse_write import Mode, Strategy, iso_utc

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
LAYERS = ("raw", "staging", "analytics")
MIGRATIONS_TABLE = "hub_schema_migrations"
_MIGRATED: set[str] = set()  # warehouses (by URL) this process has migrated: Warehouse.migrate_once
_MIGRATED_LOCK = threading.Lock()


def lock_key(name: str) -> int:
    """The PostgreSQL advisory lock key (64-bit) of a fixed name: one per thing that takes turns."""
    return int.from_bytes(hashlib.sha256(f"customer-hub {name}".encode()).digest()[:8], "big", signed=True)


# The advisory lock key every migrate() of a PostgreSQL warehouse takes.
MIGRATION_LOCK_KEY = lock_key("migrate")


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
        lineage.touched(layer, name)
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

    def migrate_once(self) -> None:
        """``migrate`` the first time this process asks for this warehouse, then nothing: steps and
        sensor ticks call it on every use, and even the up-to-date check is a round trip."""
        with _MIGRATED_LOCK:
            if self.url in _MIGRATED:
                return
            self.migrate()
            _MIGRATED.add(self.url)

    def _up_to_date(self) -> bool:
        """Whether every DDL file is applied as it reads now (a read: no lock, no DDL)."""
        schema, name = ("raw", MIGRATIONS_TABLE) if self.is_postgres else (None, f"raw_{MIGRATIONS_TABLE}")
        with self.engine.connect() as conn:
            if not sa.inspect(conn).has_table(name, schema=schema):
                return False
            done = dict(conn.exec_driver_sql(f"SELECT version, checksum FROM {self._migrations_table()}").all())
        return all(done.get(p.stem) == _checksum(p.read_text(encoding="utf-8")) for p in self._ddl_files())

    def take_turns(self, conn: Connection, name: str) -> None:
        """Hold ``name``'s lock until ``conn``'s transaction ends, so two writers of one thing take
        turns: a PostgreSQL advisory lock (transaction-scoped: the commit or rollback releases it,
        as does a dying session). SQLite's writes take turns already: nothing to take."""
        if self.is_postgres:
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(name)})

    @contextmanager
    def one_at_a_time(self, name: str) -> Iterator[None]:
        """Work of several transactions that one process at a time does (landing usage files):
        others wait for it. PostgreSQL: ``name``'s advisory lock held by a session of its own
        (released at the end, or when the process dies); SQLite: a lock file beside the database."""
        if self.is_postgres:
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": lock_key(name)})
                try:
                    yield
                finally:
                    conn.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": lock_key(name)})
            return
        database = sa.make_url(self.url).database
        if not database or database == ":memory:":  # one process by construction
            yield
            return
        from filelock import FileLock

        with FileLock(f"{database}.{name.replace(' ', '_')}.lock", thread_local=False):
            yield

    @contextmanager
    def _migration_lock(self) -> Iterator[Connection]:
        """A transaction holding the lock every ``migrate`` of this warehouse takes first."""
        if self.is_postgres:
            with self.engine.begin() as conn:
                self.take_turns(conn, "migrate")
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
        _MIGRATED.discard(self.url)

    def _migrations_table(self) -> str:
        return f"raw.{MIGRATIONS_TABLE}" if self.is_postgres else f"raw_{MIGRATIONS_TABLE}"

    def _ddl_files(self) -> list[Path]:
        files = sorted(SQL_DIR.glob("*.sql"))
        # Each dialect's own DDL (triggers, roles): sql/postgres/ or sql/sqlite/, in version order.
        files += sorted((SQL_DIR / ("postgres" if self.is_postgres else "sqlite")).glob("*.sql"))
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
        result processing (about three times faster on wide reads). Same Python types as ``read``:
        SQLite's 0/1 in a boolean column come back as booleans, timestamps as the backend keeps
        them (ISO text on SQLite, aware datetimes on PostgreSQL) in both."""
        with self.engine.connect() as conn:
            result = conn.execute(query)
            frame = pd.DataFrame(result.cursor.fetchall(), columns=list(result.keys()))
        if not self.is_postgres:
            for name, column in zip(frame.columns, query.selected_columns, strict=True):
                if isinstance(column.type, sa.Boolean):
                    frame[name] = frame[name].map({1: True, 0: False}).astype(object)
        return frame

    def count(self, layer: str, name: str) -> int:
        table = self.table(layer, name)
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())

    # -- writing -----------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            yield conn

    def write(self, layer: str, name: str, data: pd.DataFrame | Sequence[dict[str, Any]], *,
              mode: Mode = "upsert", key: Sequence[str] | None = None, update: Sequence[str] | None = None,
              key_where: str | None = None, conn: Connection | None = None,
              strategy: Strategy | None = None) -> int:
        """Write rows (a DataFrame or dicts) into a table; the one way the hub writes a table.

        ``mode``: ``upsert`` inserts, updating the rows whose ``key`` exists (every other column, or
        only ``update``; ``update=[]`` keeps existing rows as they are); ``key_where`` is the
        predicate of a partial unique index on ``key``. ``replace`` makes the table hold exactly
        these rows. ``append`` inserts. Values are made plain and of each column's kind first, so
        both strategies store the same rows; ``strategy`` is picked by size unless named
        (``rows``: SQLAlchemy executemany; ``bulk``: COPY on PostgreSQL, the driver's executemany
        on SQLite). In ``conn``'s transaction when given, else in its own. Returns rows written."""
        with self._conn(conn) as c:
            return warehouse_write.write(self, c, layer, name, data, mode=mode, key=key, update=update,
                                         key_where=key_where, strategy=strategy)

    def replace(self, layer: str, name: str, frame: pd.DataFrame, *, conn: Connection | None = None) -> int:
        """``write(..., mode="replace")``."""
        return self.write(layer, name, frame, mode="replace", conn=conn)

    def upsert(self, layer: str, name: str, frame: pd.DataFrame | Sequence[dict[str, Any]], key: Sequence[str], *,
               conn: Connection | None = None, update: Sequence[str] | None = None) -> int:
        """``write(..., mode="upsert")``."""
        return self.write(layer, name, frame, key=key, update=update, conn=conn)

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
        return iso_utc(value)


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


def dialect_insert(dialect: str):  # noqa: ANN202 - returns a dialect's insert() constructor
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
    statements, pending = [], ""
    for piece in "\n".join(lines).split(";"):
        pending += piece + ";"
        # A trigger's body holds semicolons: a statement ends where SQLite says it is complete.
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                statements.append(pending.strip().removesuffix(";").strip())
            pending = ""
    if pending.strip(" \n;"):
        statements.append(pending.strip().removesuffix(";").strip())
    return statements


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
