"""Shared fixtures: a fresh warehouse on each backend.

PostgreSQL tests use HUB_TEST_POSTGRES_URL (default: the local server's ``hub_test`` database),
creating the database when the server answers and it does not exist yet. They skip, naming the
server, only when the server does not answer, unless HUB_REQUIRE_POSTGRES=1 (CI sets it), where
they fail instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from hub.warehouse import Warehouse, normalise_url

POSTGRES_URL = os.environ.get("HUB_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/hub_test")
_ready: set[str] = set()


def postgres_database(url: str, *, required: bool) -> str:
    """``url`` once its database exists (created through the ``postgres`` maintenance database when
    the server answers without it); a skip, or with ``required`` a failure, when the server does not."""
    if url in _ready:
        return url
    target = sa.make_url(normalise_url(url))
    try:
        _connect(target)
    except sa.exc.OperationalError:
        _create_database(target, required=required)
    _ready.add(url)
    return url


def _connect(url: sa.URL) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    finally:
        engine.dispose()


def _create_database(target: sa.URL, *, required: bool) -> None:
    server = f"{target.host or 'localhost'}:{target.port or 5432}"
    maintenance = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    exists = sa.text("SELECT 1 FROM pg_database WHERE datname = :name")
    try:
        with maintenance.connect() as conn:
            if conn.execute(exists, {"name": target.database}).first() is None:
                try:
                    conn.exec_driver_sql(f"CREATE DATABASE {conn.dialect.identifier_preparer.quote(target.database)}")
                except sa.exc.DBAPIError:
                    if conn.execute(exists, {"name": target.database}).first() is None:
                        raise  # not a concurrent creation: e.g. no CREATEDB privilege
    except sa.exc.OperationalError as exc:
        first_line = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        reason = (f"PostgreSQL server at {server} does not answer ({first_line}); start it or set "
                  "HUB_TEST_POSTGRES_URL")
        if required:
            pytest.fail(reason)
        pytest.skip(reason)
    finally:
        maintenance.dispose()
    _connect(target)


def _postgres_or_skip() -> str:
    return postgres_database(POSTGRES_URL, required=os.environ.get("HUB_REQUIRE_POSTGRES") == "1")


def fresh_postgres() -> Warehouse:
    warehouse = Warehouse(_postgres_or_skip())
    warehouse.drop_layers()
    warehouse.migrate()
    return warehouse


def fresh_sqlite(directory: Path) -> Warehouse:
    warehouse = Warehouse(f"sqlite:///{directory / 'warehouse.db'}")
    warehouse.migrate()
    return warehouse


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Warehouse]:
    """A migrated, empty warehouse on each backend."""
    wh = fresh_sqlite(tmp_path) if request.param == "sqlite" else fresh_postgres()
    yield wh
    wh.engine.dispose()


@pytest.fixture
def sqlite_warehouse(tmp_path: Path) -> Warehouse:
    return fresh_sqlite(tmp_path)
