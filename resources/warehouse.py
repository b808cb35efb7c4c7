"""The warehouse resource: one SQLAlchemy URL (HUB_WAREHOUSE_URL), schema applied on first use."""

from __future__ import annotations

from functools import lru_cache

import dagster as dg

from hub.warehouse import Warehouse


@lru_cache(maxsize=8)
def _migrated(url: str) -> Warehouse:
    warehouse = Warehouse(url)
    warehouse.migrate()
    return warehouse


class WarehouseResource(dg.ConfigurableResource):
    """The database BI reads: SQLite embedded by default, PostgreSQL in production."""

    url: str

    def get(self) -> Warehouse:
        """The warehouse, with every DDL file of sql/ applied (once per process)."""
        return _migrated(self.url)

    @property
    def kind(self) -> str:
        return "sqlite" if self.url.startswith("sqlite") else "postgres"
