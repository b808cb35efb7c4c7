"""Customer health and the daily portfolio KPIs."""

from __future__ import annotations

import dagster as dg
import pandas as pd

from assets.landing import markdown_preview
from assets.usage import USAGE_DAILY
from hub.config import current_config
from hub.pipeline.metrics import build_health, build_kpis
from resources.warehouse import WarehouseResource

CUSTOMER_HEALTH = dg.AssetKey(["metrics", "customer_health"])
KPI_DAILY = dg.AssetKey(["metrics", "kpi_daily"])


def _today() -> pd.Timestamp:
    return pd.Timestamp.now(tz="UTC").normalize()


@dg.asset(key=CUSTOMER_HEALTH, group_name="metrics",
          deps=[USAGE_DAILY, dg.AssetKey(["unified", "customers"]), dg.AssetKey(["unified", "contacts"]),
                dg.AssetKey(["unified", "deals"]), dg.AssetKey(["unified", "applications"]),
                dg.AssetKey(["staging", "activities"]), dg.AssetKey(["staging", "surveys"])],
          kinds={"pandas", "sql"}, owners=["team:data"],
          description="Health 0–100 per customer (usage 30%, support 20%, relationship 25%, outcomes 25%), "
                      "band, coverage, 7/30-day deltas and drivers; plus today's history row.")
def customer_health(warehouse: WarehouseResource) -> dg.MaterializeResult:
    result = build_health(warehouse.get(), current_config(), _today())
    return dg.MaterializeResult(metadata={"dagster/row_count": result.rows, **result.metadata,
                                          "preview": markdown_preview(result.preview, max_width=80)})


@dg.asset(key=KPI_DAILY, group_name="metrics", deps=[CUSTOMER_HEALTH, dg.AssetKey(["staging", "surveys"])],
          kinds={"pandas", "sql"}, owners=["team:data"],
          description="Seed 000's daily health check: applications yesterday, conversion, beta engagement, "
                      "PMF survey responses, satisfaction — each green / yellow / red.")
def kpi_daily(warehouse: WarehouseResource) -> dg.MaterializeResult:
    result = build_kpis(warehouse.get(), current_config(), _today())
    return dg.MaterializeResult(metadata={"dagster/row_count": result.rows, **result.metadata,
                                          "preview": markdown_preview(result.preview)})
