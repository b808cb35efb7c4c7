"""The shape every raw asset shares: pages from a source client landed through ``hub.raw``."""


import time
from collections.abc import Callable, Iterator
from typing import Any

import dagster as dg
import pandas as pd

from hub.config import current_config
from hub.raw import RAW_OBJECTS, RawSync
from resources.warehouse import WarehouseResource

Pages = Iterator[list[dict[str, Any]]]


def markdown_preview(frame: pd.DataFrame, rows: int = 5, max_width: int = 40) -> dg.MetadataValue:
    """The first rows of a table as markdown, long cells shortened."""
    head = frame.head(rows).astype(object).map(lambda v: (str(v)[: max_width - 1] + "…")
                                               if isinstance(v, str) and len(v) > max_width else v)
    return dg.MetadataValue.md(head.to_markdown(index=False) if len(head) else "_empty_")


def raw_asset(source: str, source_object: str, *, resource_key: str, kinds: set[str],
              fetch: Callable[[Any, dict[str, Any]], Pages], description: str) -> dg.AssetsDefinition:
    """A raw asset: list the object from its source and land it, page by page."""
    obj = RAW_OBJECTS[f"{source}/{source_object}"]

    @dg.asset(
        key=["raw", source, source_object],
        group_name="raw",
        kinds=kinds,
        description=description,
        required_resource_keys={resource_key, "warehouse"},
        owners=["team:data"],
        tags={"source": source},
    )
    def _asset(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        warehouse_resource: WarehouseResource = context.resources.warehouse
        warehouse = warehouse_resource.get()
        client = getattr(context.resources, resource_key)
        started = time.monotonic()
        sync = RawSync(warehouse, obj, current_config(), full_refresh=True)
        for page in fetch(client, current_config()):
            sync.add_page(page)
        stats = sync.finish()
        context.log.info(f"{source} {source_object}: {stats.as_metadata()}")
        live = warehouse.count("raw", obj.table)
        return dg.MaterializeResult(metadata={
            "dagster/row_count": live,
            **stats.as_metadata(),
            "elapsed_seconds": round(time.monotonic() - started, 2),
            "table": warehouse.qualified("raw", obj.table),
        })

    _asset.__name__ = f"raw_{source}_{source_object}".lower()
    return _asset
