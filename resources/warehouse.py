"""The warehouse resource: one SQLAlchemy URL (HUB_WAREHOUSE_URL), schema applied on use."""

from __future__ import annotations

from functools import lru_cache

import dagster as dg
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hub.warehouse import Warehouse, create_engine_for


@lru_cache(maxsize=8)
def _engine(url: str) -> Engine:
    return create_engine_for(url)


class WarehouseResource(dg.ConfigurableResource):
    """The database BI reads: SQLite embedded by default, PostgreSQL in production."""

    url: str

    def get(self) -> Warehouse:
        """The warehouse with every DDL file of sql/ applied (once per process)."""
        warehouse = Warehouse(self.url, engine=_engine(self.url))
        try:
            warehouse.migrate_once()
        except sa.exc.OperationalError as exc:
            # One sentence naming the variable, instead of a driver traceback in every step.
            raise WarehouseUnavailable(
                f"the warehouse at {warehouse.describe()} did not answer ({str(exc.orig).strip().splitlines()[0][:160]}): "
                "start the database or fix HUB_WAREHOUSE_URL; `hub check` tries it") from None
        return warehouse


class WarehouseUnavailable(RuntimeError):
    """HUB_WAREHOUSE_URL points at a database that does not answer."""
