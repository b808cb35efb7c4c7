"""The portfolio KPI steps: seed 000's daily health check (``kpi_daily``) and the KPI catalogue
(``kpi_period``)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import sqlalchemy as sa

from hub import funnel, kpi_catalogue, kpis
from hub.pipeline.steps import StepResult, step
from hub.warehouse import Warehouse, utcnow


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


@step(assets=("analytics/kpi_period",),
      reads=("analytics.applications", "analytics.customers", "analytics.usage_daily", "staging.surveys",
             "analytics.deals", "staging.deals", "staging.activities", "analytics.customer_usage",
             "analytics.beta_activations", "raw.usage_files", "analytics.churn_snapshots"),
      writes=("analytics.kpi_period",))
def build_kpi_period(warehouse: Warehouse, config: dict[str, Any], as_of: pd.Timestamp) -> StepResult:
    """The KPI catalogue for the last complete day, week and month (``hub.kpi_catalogue``)."""
    inputs = read_kpi_inputs(warehouse, config)
    frame = kpi_catalogue.evaluate(inputs, config["kpis"].get("catalogue") or {}, as_of, utcnow().isoformat())
    warehouse.write("analytics", "kpi_period", frame, key=["grain", "period", "kpi"])
    statuses = frame["status"].value_counts().to_dict() if len(frame) else {}
    return StepResult(len(frame), {"statuses": statuses, "kpis": int(frame["kpi"].nunique()) if len(frame) else 0,
                                   "unknown": sorted(frame.loc[frame["status"] == "unknown", "kpi"].unique())},
                      frame[["grain", "period", "kpi", "value", "target", "status"]].head(10))


def read_kpi_inputs(warehouse: Warehouse, config: dict[str, Any]) -> kpi_catalogue.KpiInputs:
    deals = warehouse.read("analytics", "deals", ["source", "source_id", "customer_id", "amount", "probability", "stage",
                                                  "is_closed", "is_won", "close_date"])
    created = warehouse.read("staging", "deals", ["source", "source_id", "created_at"])
    funnel_events, funnel_missing = funnel.read_funnel_events(warehouse)  # the live reads of raw.usage_files
    return kpi_catalogue.KpiInputs(
        applications=warehouse.read("analytics", "applications", ["application_id", "customer_id", "status",
                                                                  "priority_score", "applied_on", "source", "industry"]),
        customers=warehouse.read("analytics", "customers", ["customer_id", "lifecycle_stage", "mrr", "arr"]),
        usage_daily=warehouse.read("analytics", "usage_daily", ["customer_id", "date", "api_calls", "active_users"]),
        surveys=warehouse.read("staging", "surveys"),
        deals=deals.merge(created, on=["source", "source_id"], how="left"),
        activities=warehouse.read("staging", "activities", ["kind", "occurred_at", "is_closed", "closed_at"]),
        customer_usage=warehouse.read("analytics", "customer_usage", ["customer_id", "first_api_call_on"]),
        activations=warehouse.read("analytics", "beta_activations", ["customer_id", "time_to_first_value_days"]),
        inputs=dict(config["kpis"].get("inputs") or {}),
        funnel_events=funnel_events, funnel_missing=funnel_missing, mrr_history=_month_end_snapshots(warehouse))


def _month_end_snapshots(warehouse: Warehouse) -> pd.DataFrame:
    """The churn snapshots of each month's last snapshot day: what MRR movements and logo churn
    compare (two days of rows per month, not the daily history)."""
    snaps = warehouse.table("analytics", "churn_snapshots")
    days = warehouse.fetch(sa.select(snaps.c.as_of).distinct())["as_of"].astype(str)
    if days.empty:
        return pd.DataFrame(columns=["customer_id", "as_of", "lifecycle_stage", "mrr"])
    last = sorted(days.groupby(days.str[:7]).max())
    return warehouse.read("analytics", "churn_snapshots", ["customer_id", "as_of", "lifecycle_stage", "mrr"],
                          where=snaps.c.as_of.in_(last))
