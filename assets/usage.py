"""Usage logs from the landing directory, their roll-up per UTC day (one partition a day), and
``usage_daily`` per customer."""

import dagster as dg

from assets.graph import deps, key
from assets.raw import markdown_preview
from hub.config import load_config, settings
from hub.pipeline.usage import build_usage_daily, ingest_usage, roll_up_usage_days
from resources.config import HubConfigResource
from resources.warehouse import WarehouseResource

USAGE_EVENTS = key("raw/usage/events")
USAGE_DAYS = key("raw/usage/days")
USAGE_DAILY = key("analytics/usage_daily")
CUSTOMER_USAGE = key("analytics/customer_usage")

# The event store's days are UTC days; today's partition exists from midnight UTC (end_offset).
USAGE_DAY_PARTITIONS = dg.DailyPartitionsDefinition(
    start_date=str(load_config(settings().config_file)["usage"]["partitions_start"]), end_offset=1, timezone="UTC")


@dg.asset(key=USAGE_EVENTS, group_name="raw", kinds={"python", "sql"}, owners=["team:data"],
          tags={"source": "usage"},
          description="Usage-log events (JSON Lines, gzip or CSV) from HUB_USAGE_LOG_DIR, landed as Parquet "
                      "by day beside the warehouse (raw.usage_files ledgers each read). Every line is loaded "
                      "or quarantined with its reason; a file is never loaded twice.")
def usage_events(warehouse: WarehouseResource, hub_config: HubConfigResource) -> dg.MaterializeResult:
    result = ingest_usage(warehouse.get(), settings().usage_log_dir, hub_config.get())
    return dg.MaterializeResult(metadata={"dagster/row_count": result.metadata["events_total"], **result.metadata})


@dg.asset(key=USAGE_DAYS, group_name="raw", kinds={"duckdb", "parquet"}, owners=["team:data"],
          tags={"source": "usage"}, deps=[USAGE_EVENTS], partitions_def=USAGE_DAY_PARTITIONS,
          description="Usage events rolled up per UTC day and customer id as the log names it (Parquet beside "
                      "the event store): one partition a day. usage_ingest's runs roll up the days their files "
                      "touched and record them here; usage_days_sensor requests the days still stale; a "
                      "materialization or backfill from the UI rolls the chosen days up again.")
def usage_days(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    result = roll_up_usage_days(warehouse.get(), list(context.partition_keys))
    return dg.MaterializeResult(metadata={"events": result.rows, **result.metadata})


def day_materializations(days: dict[str, int]) -> list[dg.AssetMaterialization]:
    """The day partitions another step rolled up, recorded as theirs (days outside the partitions —
    before ``usage.partitions_start``, or tomorrow's — are rolled up all the same)."""
    keys = set(USAGE_DAY_PARTITIONS.get_partition_keys())
    return [dg.AssetMaterialization(asset_key=USAGE_DAYS, partition=day, metadata={"events": events},
                                    description="rolled up as its events changed")
            for day, events in sorted(days.items()) if day in keys]


# usage_daily rolls up the stale days itself (recording them as raw/usage/days' partitions), so it
# does not depend on that asset: a dependency would have the UI ask "are you sure?" before every
# nightly_sync on an install with no usage day recorded yet.
@dg.multi_asset(specs=[
    dg.AssetSpec(USAGE_DAILY, group_name="analytics", deps=deps(build_usage_daily),
                 kinds={"pandas", "sql"},
                 owners=["team:data"], description="API calls, sign / verify operations, errors, active users, "
                                                   "bytes and cost per customer per day."),
    dg.AssetSpec(CUSTOMER_USAGE, group_name="analytics", deps=deps(build_usage_daily),
                 kinds={"pandas", "sql"},
                 owners=["team:data"], description="Per customer: lifetime usage milestones (first API call, "
                                                   "API key created, last API call) that health reads."),
])
def usage_daily(warehouse: WarehouseResource):
    result = build_usage_daily(warehouse.get())
    yield from day_materializations(result.metadata["days_rolled_up"])
    yield dg.MaterializeResult(asset_key=USAGE_DAILY, metadata={
        "dagster/row_count": result.rows, **result.metadata, "preview": markdown_preview(result.preview)})
    yield dg.MaterializeResult(asset_key=CUSTOMER_USAGE,
                               metadata={"customers_with_api_key": result.metadata["customers_with_api_key"]})
