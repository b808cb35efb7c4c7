"""Steps for usage, health and KPIs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa

from hub import health, kpis, usage
from hub.pipeline.steps import StepResult, crosswalk, customer_lookup, with_customer
from hub.warehouse import Warehouse


def ingest_usage(warehouse: Warehouse, directory: Path) -> StepResult:
    """Load every usage file of the landing directory not loaded before."""
    stats = usage.ingest_usage_files(warehouse, usage.list_usage_files(directory))
    return StepResult(stats.lines_loaded, {**stats.as_metadata(), "directory": str(directory),
                                           "events_total": warehouse.count("raw", "usage_events")})


def build_usage_daily(warehouse: Warehouse) -> StepResult:
    """``usage_daily`` from the usage events and Airtable's reported usage; events naming an
    unknown customer are quarantined (and come back by themselves once a source knows them)."""
    events = warehouse.read("raw", "usage_events",
                            ["event_key", "file_name", "line_no", "event_at", "customer_ref", "event", "status",
                             "user_id", "bytes", "cost", "event_count"])
    reports = with_customer(warehouse.read("staging", "usage_reports"), crosswalk(warehouse))
    daily, unknown = usage.usage_daily(events, reports, customer_lookup(warehouse))
    quarantine = warehouse.table("raw", "quarantine")
    with warehouse.transaction() as conn:
        warehouse.replace("analytics", "usage_daily", daily, conn=conn)
        conn.execute(quarantine.delete().where(quarantine.c.source == "usage",
                                               quarantine.c.source_object == "usage_event"))
        warehouse.upsert("raw", "quarantine", usage.unknown_customer_quarantine(unknown),
                         key=["quarantine_id"], conn=conn)
    return StepResult(len(daily), {
        "events": len(events), "events_unknown_customer": len(unknown),
        "customers": int(daily["customer_id"].nunique()) if len(daily) else 0,
        "days": int(daily["date"].nunique()) if len(daily) else 0,
    }, daily.tail(5))


def build_health(warehouse: Warehouse, config: dict[str, Any], as_of: pd.Timestamp) -> StepResult:
    """``customer_health``, today's row of ``customer_health_history``, and the health and
    lifecycle columns of ``customers``."""
    walk = crosswalk(warehouse)
    customers = warehouse.read("analytics", "customers")
    daily = warehouse.read("analytics", "usage_daily")
    activities = with_customer(warehouse.read("staging", "activities"), walk)
    contacts = warehouse.read("analytics", "contacts")
    surveys = with_customer(warehouse.read("staging", "surveys"), walk)
    events = warehouse.table("raw", "usage_events")
    with warehouse.engine.connect() as conn:
        rows = conn.execute(sa.select(events.c.customer_ref, events.c.event)
                            .where(events.c.event.in_(health.MILESTONE_EVENTS))).all()
    lookup = customer_lookup(warehouse)
    milestones = pd.DataFrame([(lookup.get(ref), event) for ref, event in rows], columns=["customer_id", "event"])
    milestones = milestones.dropna()
    history = warehouse.read("analytics", "customer_health_history", ["customer_id", "as_of", "health_score"])
    frame = health.customer_health(customers, daily, activities, contacts, surveys, milestones,
                                   history, as_of, config)

    band = frame.set_index("customer_id")["health_band"]
    deals = warehouse.read("analytics", "deals", ["customer_id", "stage"])
    apps = warehouse.read("analytics", "applications", ["customer_id", "status"])
    customers["health_score"] = customers["customer_id"].map(frame.set_index("customer_id")["health_score"])
    customers["health_band"] = customers["customer_id"].map(band)
    customers["lifecycle_stage"] = health.lifecycle_stage(customers, deals, apps, band, config)
    with warehouse.transaction() as conn:
        warehouse.replace("analytics", "customer_health", frame, conn=conn)
        warehouse.upsert("analytics", "customer_health_history", frame, key=["customer_id", "as_of"], conn=conn)
        warehouse.replace("analytics", "customers", customers, conn=conn)
    bands = frame["health_band"].value_counts().to_dict()
    return StepResult(len(frame), {
        "as_of": as_of.strftime("%Y-%m-%d"), "bands": bands,
        "mean_score": round(float(frame["health_score"].mean()), 1) if len(frame) else 0.0,
        "mean_coverage": round(float(frame["coverage"].mean()), 3) if len(frame) else 0.0,
        "customers_without_data": int(len(customers) - len(frame)),
    }, frame.sort_values("health_score")[["customer_id", "health_score", "health_band", "drivers"]].head(5))


def build_kpis(warehouse: Warehouse, config: dict[str, Any], as_of: pd.Timestamp) -> StepResult:
    apps = warehouse.read("analytics", "applications", ["applied_on", "status"])
    frame = kpis.kpi_daily(as_of, apps, warehouse.read("analytics", "usage_daily", ["customer_id", "date", "api_calls"]),
                           warehouse.read("analytics", "customers", ["customer_id", "lifecycle_stage"]),
                           warehouse.read("staging", "surveys"), config)
    warehouse.upsert("analytics", "kpi_daily", frame, key=["date", "kpi"])
    return StepResult(len(frame), {row.kpi: f"{row.value} ({row.status})" for row in frame.itertuples()},
                      frame[["kpi", "value", "target", "status"]])
