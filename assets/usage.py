"""Usage logs from the landing directory, and their daily roll-up per customer."""

from __future__ import annotations

import dagster as dg

from assets.landing import markdown_preview
from hub.config import settings
from hub.pipeline.metrics import build_usage_daily, ingest_usage
from resources.config import HubConfigResource
from resources.warehouse import WarehouseResource

USAGE_EVENTS = dg.AssetKey(["raw", "usage", "events"])
USAGE_DAILY = dg.AssetKey(["metrics", "usage_daily"])


@dg.asset(key=USAGE_EVENTS, group_name="raw", kinds={"python", "sql"}, owners=["team:data"],
          tags={"source": "usage"},
          description="Usage-log events (JSON Lines, gzip or CSV) from HUB_USAGE_LOG_DIR. Every line is "
                      "loaded or quarantined with its reason; a file is never loaded twice.")
def usage_events(warehouse: WarehouseResource, hub_config: HubConfigResource) -> dg.MaterializeResult:
    result = ingest_usage(warehouse.get(), settings().usage_log_dir, hub_config.get())
    return dg.MaterializeResult(metadata={"dagster/row_count": result.metadata["events_total"], **result.metadata})


@dg.asset(key=USAGE_DAILY, group_name="metrics",
          deps=[USAGE_EVENTS, dg.AssetKey(["unified", "customer_sources"]), dg.AssetKey(["staging", "usage_reports"])],
          kinds={"pandas", "sql"}, owners=["team:data"],
          description="API calls, sign / verify operations, errors, active users, bytes and cost per "
                      "customer per day.")
def usage_daily(warehouse: WarehouseResource) -> dg.MaterializeResult:
    result = build_usage_daily(warehouse.get())
    return dg.MaterializeResult(metadata={"dagster/row_count": result.rows, **result.metadata,
                                          "preview": markdown_preview(result.preview)})
