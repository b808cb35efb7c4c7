"""Shared fixtures: a fresh warehouse on each backend.

PostgreSQL tests use HUB_TEST_POSTGRES_URL (default: the local server's ``hub_test`` database).
They skip with the reason when it is unreachable, unless HUB_REQUIRE_POSTGRES=1 (CI sets it),
where an unreachable server fails them instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from hub.warehouse import Warehouse, normalise_url

POSTGRES_URL = os.environ.get("HUB_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/hub_test")


def _postgres_or_skip() -> str:
    try:
        engine = sa.create_engine(normalise_url(POSTGRES_URL))
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any connection failure means "no server here"
        reason = f"PostgreSQL unreachable at {POSTGRES_URL} ({type(exc).__name__}); set HUB_TEST_POSTGRES_URL"
        if os.environ.get("HUB_REQUIRE_POSTGRES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return POSTGRES_URL


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
