"""The portfolio KPIs step (seed 000's daily health check)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from hub import kpis
from hub.pipeline.steps import StepResult, step
from hub.warehouse import Warehouse


@step(assets=("analytics/kpi_daily",),
      reads=("analytics.applications", "staging.activities", "analytics.usage_daily", "analytics.customers",
             "staging.surveys"),
      writes=("analytics.kpi_daily",))
def build_kpis(warehouse: Warehouse, config: dict[str, Any], as_of: pd.Timestamp) -> StepResult:
    apps = warehouse.read("analytics", "applications", ["applied_on", "status"])
    activities = warehouse.table("staging", "activities")
    tickets = warehouse.read("staging", "activities", ["kind", "occurred_at"],
                             where=activities.c.kind.in_(["ticket", "case"]))
    frame = kpis.kpi_daily(as_of, apps, warehouse.read("analytics", "usage_daily", ["customer_id", "date", "api_calls"],
                                                       where=_since(warehouse, as_of, 8)),
                           warehouse.read("analytics", "customers", ["customer_id", "lifecycle_stage"]),
                           warehouse.read("staging", "surveys"), config, tickets=tickets)
    warehouse.write("analytics", "kpi_daily", frame, key=["date", "kpi"])
    return StepResult(len(frame), {row.kpi: f"{row.value} ({row.status})" for row in frame.itertuples()},
                      frame[["kpi", "value", "target", "status"]])


def _since(warehouse: Warehouse, as_of: pd.Timestamp, days: int):  # noqa: ANN202 - a SQLAlchemy condition
    """Only the days a KPI looks at: usage_daily grows by a row per customer and day."""
    table = warehouse.table("analytics", "usage_daily")
    return table.c.date >= (as_of.normalize() - pd.Timedelta(days=days)).strftime("%Y-%m-%d")
