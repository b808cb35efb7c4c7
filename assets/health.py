"""Customer health and the daily portfolio KPIs, with checks on what health wrote."""

from __future__ import annotations

import dagster as dg
import pandas as pd
import sqlalchemy as sa

from assets.graph import deps, key
from assets.raw import markdown_preview
from hub.health import SPECIAL_BANDS, bands_of
from hub.pipeline.health import build_health
from hub.pipeline.kpis import build_kpi_period, build_kpis
from resources.config import HubConfigResource
from resources.warehouse import WarehouseResource

CUSTOMER_HEALTH = key("analytics/customer_health")
KPI_DAILY = key("analytics/kpi_daily")
KPI_PERIOD = key("analytics/kpi_period")


def _today() -> pd.Timestamp:
    return pd.Timestamp.now(tz="UTC").normalize()


@dg.asset(key=CUSTOMER_HEALTH, group_name="analytics", deps=deps(build_health), kinds={"pandas", "sql"}, owners=["team:data"],
          description="Health 0–100 per customer (usage 30%, support 20%, relationship 25%, outcomes 25%), "
                      "band, coverage, 7/30-day deltas and drivers in words; today's history row. "
                      "Definitions: docs/health.md.")
def customer_health(warehouse: WarehouseResource, hub_config: HubConfigResource) -> dg.MaterializeResult:
    result = build_health(warehouse.get(), hub_config.get(), _today())
    return dg.MaterializeResult(metadata={"dagster/row_count": result.rows, **result.metadata,
                                          "preview": markdown_preview(result.preview, max_width=80)})


@dg.asset_check(asset=CUSTOMER_HEALTH, description="Every score is 0–100, its band follows the configured "
                "bands, coverage is in (0, 1], and history holds one row per customer and day.")
def customer_health_is_consistent(warehouse: WarehouseResource, hub_config: HubConfigResource) -> dg.AssetCheckResult:
    wh = warehouse.get()
    frame = wh.read("analytics", "customer_health", ["customer_id", "as_of", "health_score", "health_band",
                                                     "coverage"])
    bands = hub_config.get()["health"]["bands"]
    out_of_range = int((~frame["health_score"].between(0, 100)).sum())
    # insufficient_data and churned do not follow from the score (hub.health "Honest scores").
    scored = ~frame["health_band"].isin(SPECIAL_BANDS)
    wrong_band = int((bands_of(frame["health_score"], bands) != frame["health_band"])[scored].sum())
    bad_coverage = int((~frame["coverage"].between(0, 1, inclusive="right")).sum())
    history = wh.table("analytics", "customer_health_history")
    days = frame["as_of"].unique().tolist()
    with wh.engine.connect() as conn:
        in_history = int(conn.execute(sa.select(sa.func.count()).select_from(history)
                                      .where(history.c.as_of.in_(days))).scalar_one()) if days else 0
    missing_history = max(0, len(frame) - in_history)  # a customer merged away today leaves an extra row
    return dg.AssetCheckResult(
        passed=out_of_range == 0 and wrong_band == 0 and bad_coverage == 0 and missing_history == 0,
        metadata={"scores_out_of_range": out_of_range, "wrong_band": wrong_band, "bad_coverage": bad_coverage,
                  "history_rows_missing_for_today": missing_history})


@dg.asset(key=KPI_DAILY, group_name="analytics", deps=deps(build_kpis),
          kinds={"pandas", "sql"}, owners=["team:data"],
          description="Seed 000's daily health check: applications yesterday, conversion, beta engagement, "
                      "PMF survey responses, satisfaction, support tickets — each green / yellow / red.")
def kpi_daily(warehouse: WarehouseResource, hub_config: HubConfigResource) -> dg.MaterializeResult:
    result = build_kpis(warehouse.get(), hub_config.get(), _today())
    return dg.MaterializeResult(metadata={"dagster/row_count": result.rows, **result.metadata,
                                          "preview": markdown_preview(result.preview)})


@dg.asset(key=KPI_PERIOD, group_name="analytics", deps=deps(build_kpi_period), kinds={"pandas", "sql"},
          owners=["team:data"],
          description="The KPI catalogue (kpis.catalogue; docs/kpis.md): acquisition, engagement, onboarding, "
                      "satisfaction, revenue, pipeline and support KPIs for the last complete day, week and "
                      "month, with numerator, denominator, target and status (unknown with the reason when an "
                      "input is missing).")
def kpi_period(warehouse: WarehouseResource, hub_config: HubConfigResource) -> dg.MaterializeResult:
    result = build_kpi_period(warehouse.get(), hub_config.get(), _today())
    return dg.MaterializeResult(metadata={"dagster/row_count": result.rows, **result.metadata,
                                          "preview": markdown_preview(result.preview)})
