"""Governance assets: retention (docs/governance.md). Not part of nightly_sync: its own job and
schedule prune after the night's run, so nothing it deletes is being written at the same time."""

from __future__ import annotations

import dagster as dg

from assets.graph import deps
from hub.config import settings
from hub.pipeline.retention import apply_retention
from resources.config import HubConfigResource
from resources.warehouse import WarehouseResource

RETENTION_RUNS = dg.AssetKey(["analytics", "retention_runs"])


@dg.asset(key=RETENTION_RUNS, group_name="analytics", kinds={"python", "sql"}, owners=["team:data"],
          deps=deps(apply_retention),
          description="Retention: deletes rows (and report files) older than their layer keeps them (HUB_CONFIG "
                      "`retention:`), one row per table or folder with what it removed.")
def retention_runs(warehouse: WarehouseResource, hub_config: HubConfigResource) -> dg.MaterializeResult:
    result = apply_retention(warehouse.get(), hub_config.get(), settings().home)
    return dg.MaterializeResult(metadata={"dagster/row_count": result.rows, **result.metadata,
                                          "preview": dg.MetadataValue.md(result.preview.to_markdown(index=False)
                                                                         if len(result.preview) else "nothing removed")})
