"""What the reports read, read once per rendering, and the KPI catalogue evaluated for any period."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa

from hub import kpi_catalogue
from hub.kpi_catalogue import FORMULAS, KpiInputs, Period, Unknown, status_of
from hub.pipeline.kpis import read_kpi_inputs
from hub.timeparse import timestamps
from hub.warehouse import Warehouse

# The tables ``read_inputs`` reads: the report step declares them (hub.reports.store).
TABLES = ("analytics.kpi_period", "analytics.customers", "analytics.customer_health",
          "analytics.customer_health_history", "analytics.deals", "analytics.applications",
          "analytics.usage_daily", "analytics.alerts", "analytics.churn_risk", "analytics.revenue_forecast",
          "analytics.churn_snapshots", "analytics.customer_usage", "analytics.beta_activations", "staging.surveys", "staging.deals",
          "staging.activities", "raw.usage_files")


@dataclass
class ReportInputs:
    kpi: KpiInputs  # what the catalogue's formulas read
    catalogue: dict[str, dict[str, Any]]
    kpi_period: pd.DataFrame  # the catalogue as the nightly run stored it
    customers: pd.DataFrame
    health: pd.DataFrame
    health_history: pd.DataFrame
    usage_daily: pd.DataFrame
    alerts: pd.DataFrame
    churn_risk: pd.DataFrame
    revenue_forecast: pd.DataFrame
    mrr_by_day: pd.Series  # day -> MRR of the customers not churned, as the forecast's backtest counts it


def read_inputs(warehouse: Warehouse, config: dict[str, Any]) -> ReportInputs:
    usage = warehouse.read("analytics", "usage_daily", ["customer_id", "date", "api_calls", "sign_operations",
                                                        "verify_operations", "errors", "active_users"])
    usage["date"] = pd.to_datetime(usage["date"], utc=True, errors="coerce")
    history = warehouse.read("analytics", "customer_health_history", ["customer_id", "as_of", "health_score",
                                                                      "health_band"])
    history["as_of"] = pd.to_datetime(history["as_of"], utc=True, errors="coerce")
    alerts = warehouse.read("analytics", "alerts", ["rule", "severity", "customer_id", "status", "first_fired_at",
                                                    "message"])
    alerts["first_fired_at"] = timestamps(alerts["first_fired_at"])
    return ReportInputs(
        kpi=read_kpi_inputs(warehouse, config), catalogue=config["kpis"].get("catalogue") or {},
        kpi_period=warehouse.read("analytics", "kpi_period"),
        customers=warehouse.read("analytics", "customers", ["customer_id", "name", "industry", "lifecycle_stage",
                                                            "mrr", "health_score", "health_band", "owner_name"]),
        health=warehouse.read("analytics", "customer_health", ["customer_id", "health_score", "health_band",
                                                               "delta_7d", "drivers", "api_calls_7d",
                                                               "usage_growth_pct", "open_tickets", "tickets_30d",
                                                               "satisfaction"]),
        health_history=history, usage_daily=usage, alerts=alerts,
        churn_risk=warehouse.read("analytics", "churn_risk", ["customer_id", "churn_probability", "risk_band",
                                                              "top_factors", "method"]),
        revenue_forecast=warehouse.read("analytics", "revenue_forecast"), mrr_by_day=recorded_mrr(warehouse))


def recorded_mrr(warehouse: Warehouse) -> pd.Series:
    """MRR per snapshot day (``churn_snapshots``: the customers not churned that day), summed in the
    database: the actual the revenue forecast's backtest compares with."""
    snapshots = warehouse.table("analytics", "churn_snapshots")
    stage = snapshots.c.lifecycle_stage
    frame = warehouse.fetch(sa.select(snapshots.c.as_of, sa.func.sum(snapshots.c.mrr).label("mrr"))
                            .where(sa.or_(stage.is_(None), stage != "churned")).group_by(snapshots.c.as_of))
    return pd.Series(pd.to_numeric(frame["mrr"]).to_numpy(), index=frame["as_of"].astype(str), dtype=float).sort_index()


@dataclass(frozen=True)
class KpiFigure:
    kpi: str
    name: str
    value: float | None
    target: float | None
    status: str
    unit: str | None
    reason: str | None
    detail: dict[str, Any]

    def shown(self) -> str:
        if self.value is None:
            return "unknown"
        if self.unit == "percent":
            return f"{self.value:.1f} %"
        if self.unit == "currency":
            return f"${self.value:,.0f}"
        return f"{self.value:,.1f}".removesuffix(".0")


def kpi(inputs: ReportInputs, kpi_id: str, period: Period) -> KpiFigure:
    """A catalogue KPI for ``period``: the stored row when the nightly run computed that period,
    else the same formula evaluated now (point-in-time KPIs then read as of today)."""
    spec = inputs.catalogue.get(kpi_id) or {}
    own = {**spec, **((spec.get("per_grain") or {}).get(period.grain) or {})}
    stored = inputs.kpi_period
    if len(stored):
        row = stored[(stored["kpi"] == kpi_id) & (stored["period"] == period.label)]
        if len(row):
            r = row.iloc[0]
            detail = json.loads(r["detail"]) if isinstance(r["detail"], str) and r["detail"] else {}
            value = None if pd.isna(r["value"]) else float(r["value"])
            return KpiFigure(kpi_id, spec.get("name", kpi_id), value, _num(r["target"]), r["status"],
                             _text(r["unit"]), _text(r["reason"]), detail)
    if kpi_id not in FORMULAS:
        return KpiFigure(kpi_id, kpi_id, None, None, "unknown", None, "not in the KPI catalogue", {})
    result = FORMULAS[kpi_id](inputs.kpi, period)
    if isinstance(result, Unknown):
        return KpiFigure(kpi_id, spec.get("name", kpi_id), None, own.get("target"), "unknown", spec.get("unit"),
                         result.reason, {})
    value = None if result.value is None or pd.isna(result.value) else round(float(result.value), 4)
    return KpiFigure(kpi_id, spec.get("name", kpi_id), value, own.get("target"), status_of(value, own),
                     spec.get("unit"), None if value is not None else "no data in the period", result.detail or {})


def _text(value: object) -> str | None:
    return None if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


def _num(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def kpi_table(figures: list[KpiFigure]) -> str:
    """A Markdown table of KPIs: value, target, status, and why when unknown."""
    lines = ["| KPI | value | target | status | note |", "|---|---:|---:|---|---|"]
    for f in figures:
        target = "" if f.target is None else f"{f.target:g}"
        lines.append(f"| {f.name} | {f.shown()} | {target} | {STATUS_MARK.get(f.status, f.status)} | "
                     f"{(f.reason or '').replace('|', '/')} |")
    return "\n".join(lines)


STATUS_MARK = {"green": "🟢 green", "yellow": "🟡 yellow", "red": "🔴 red", "unknown": "⚪ unknown", "info": "ℹ️ info"}


def in_period(frame: pd.DataFrame, column: str, period: Period) -> pd.DataFrame:
    when = frame[column] if str(frame[column].dtype).startswith("datetime64") else timestamps(frame[column])
    return frame[period.holds(when).fillna(False).astype(bool)]


__all__ = ["KpiFigure", "ReportInputs", "TABLES", "in_period", "kpi", "kpi_catalogue", "kpi_table", "read_inputs"]
