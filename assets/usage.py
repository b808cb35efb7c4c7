"""Usage logs from the landing directory, and their daily roll-up per customer."""

from __future__ import annotations

import dagster as dg

from assets.graph import deps, key
from assets.raw import markdown_preview
from hub.config import settings
from hub.pipeline.usage import build_usage_daily, ingest_usage
from resources.config import HubConfigResource
from resources.warehouse import WarehouseResource

USAGE_EVENTS = key("raw/usage/events")
USAGE_DAILY = key("analytics/usage_daily")
CUSTOMER_USAGE = key("analytics/customer_usage")


@dg.asset(key=USAGE_EVENTS, group_name="raw", kinds={"python", "sql"}, owners=["team:data"],
          tags={"source": "usage"},
          description="Usage-log events (JSON Lines, gzip or CSV) from HUB_USAGE_LOG_DIR, landed as Parquet "
                      "by day beside the warehouse (raw.usage_files ledgers each read). Every line is loaded "
                      "or quarantined with its reason; a file is never loaded twice.")
def usage_events(warehouse: WarehouseResource, hub_config: HubConfigResource) -> dg.MaterializeResult:
    result = ingest_usage(warehouse.get(), settings().usage_log_dir, hub_config.get())
    return dg.MaterializeResult(metadata={"dagster/row_count": result.metadata["events_total"], **result.metadata})


@dg.multi_asset(specs=[
    dg.AssetSpec(USAGE_DAILY, group_name="analytics", deps=deps(build_usage_daily), kinds={"pandas", "sql"},
                 owners=["team:data"], description="API calls, sign / verify operations, errors, active users, "
                                                   "bytes and cost per customer per day."),
    dg.AssetSpec(CUSTOMER_USAGE, group_name="analytics", deps=deps(build_usage_daily), kinds={"pandas", "sql"},
                 owners=["team:data"], description="Per customer: lifetime usage milestones (first API call, "
                                                   "API key created, last API call) that health reads."),
])
def usage_daily(warehouse: WarehouseResource):
    result = build_usage_daily(warehouse.get())
    yield dg.MaterializeResult(asset_key=USAGE_DAILY, metadata={
        "dagster/row_count": result.rows, **result.metadata, "preview": markdown_preview(result.preview)})
    yield dg.MaterializeResult(asset_key=CUSTOMER_USAGE,
                               metadata={"customers_with_api_key": result.metadata["customers_with_api_key"]})
