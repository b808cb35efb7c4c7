"""Each source's story in one place (hub/sources/<source>/): its raw objects' typed columns are
the raw table's columns in the DDL, every raw object has a sync entry point and a raw asset, and
every staging table is the concatenation of its sources' mappings."""

from __future__ import annotations

import pytest

from hub.raw import RAW_OBJECTS
from hub.sources.registry import SYNCS
from hub.staging import STAGING_SOURCES
from hub.warehouse import Warehouse

# What every raw table has beside its object's typed columns (sql/001_raw.sql).
BOOKKEEPING = {"source_id", "payload", "source_created_at", "source_updated_at", "_hash", "_synced_at", "_deleted",
               "_deleted_at"}


@pytest.mark.parametrize("key", sorted(RAW_OBJECTS))
def test_typed_columns_match_the_raw_table(sqlite_warehouse: Warehouse, key: str) -> None:
    from hub.config import load_config

    obj = RAW_OBJECTS[key]
    typed = set(obj.typed({}, load_config()))  # an empty record: every typed column, each NULL
    columns = {c.name for c in sqlite_warehouse.table("raw", obj.table).columns}
    assert typed, f"{key} declares no typed columns"
    assert typed <= columns, f"{key}: typed columns {sorted(typed - columns)} are not in raw.{obj.table}"
    untyped = columns - typed - BOOKKEEPING
    assert not untyped, f"raw.{obj.table} has columns {sorted(untyped)} that {key} never fills"


def test_every_raw_object_has_its_source_sync_and_asset() -> None:
    from hub.definitions import defs

    keys = {"/".join(k.path) for k in defs.resolve_all_asset_keys()}
    for key, obj in RAW_OBJECTS.items():
        assert obj.source in SYNCS, f"{key}: no sync for {obj.source}"
        assert f"raw/{key}" in keys, f"{key}: no raw asset"


def test_staging_concatenates_each_sources_mapping() -> None:
    for table, mappings in STAGING_SOURCES.items():
        modules = [m.__module__ for m in mappings]
        assert all(m.startswith("hub.sources.") and m.endswith(".staging") for m in modules), (table, modules)
        assert len(set(modules)) == len(modules), f"{table}: a source is listed twice"
