"""The alert step: evaluate the rules, advance the alerts' lifecycle, deliver what is pending."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from hub.alerts import Channel, advance, alert_id, deliver, evaluate_rules
from hub.pipeline.steps import StepResult
from hub.warehouse import Warehouse, utcnow


def alert_facts(warehouse: Warehouse) -> dict[str, pd.DataFrame]:
    """One row per entity with the metrics alert rules may name."""
    customers = warehouse.read("analytics", "customers", ["customer_id", "name", "owner", "lifecycle_stage", "mrr"])
    health = warehouse.read("analytics", "customer_health", ["customer_id", "health_score", "health_band",
                                                             "delta_7d", "delta_30d", "coverage"])
    customer = customers.merge(health, on="customer_id", how="left")
    customer["entity_id"] = customer["customer_id"]
    apps = warehouse.read("analytics", "applications",
                          ["application_id", "customer_id", "company", "assigned_to", "status", "lead_score",
                           "priority_score"])
    application = apps.rename(columns={"company": "name", "assigned_to": "owner"})
    application["entity_id"] = application["application_id"]
    kpi = warehouse.read("analytics", "kpi_daily")
    if len(kpi):
        kpi = kpi[kpi["date"] == kpi["date"].max()]
    kpi = kpi.assign(entity_id=kpi["kpi"], name=kpi["kpi"], customer_id=None, owner=None)
    return {"customer": customer, "application": application, "kpi": kpi}


def evaluate_alerts(warehouse: Warehouse, config: dict[str, Any], channels: Sequence[Channel]) -> StepResult:
    now = utcnow().isoformat()
    firing = evaluate_rules(config["alerts"]["rules"], alert_facts(warehouse))
    existing = warehouse.read("analytics", "alerts")
    changes = advance(existing, firing, now, deliverable=bool(channels))
    warehouse.upsert("analytics", "alerts", changes, key=["alert_id"])
    pending = warehouse.read("analytics", "alerts")
    pending = pending[(pending["delivery_status"] == "pending") & (pending["status"] == "open")]
    delivered = deliver(pending, channels, now) if channels else pending.iloc[0:0]
    if len(delivered):
        warehouse.upsert("analytics", "alerts", delivered, key=["alert_id"])
    alerts = warehouse.read("analytics", "alerts")
    opened = int(((changes["status"] == "open") & (changes["first_fired_at"] == now)).sum())
    resolved = int((changes["status"] == "resolved").sum())
    return StepResult(len(alerts), {
        "firing": len(firing), "opened": opened, "resolved": resolved,
        "open_total": int((alerts["status"] == "open").sum()),
        "delivered": int((delivered["delivery_status"] == "sent").sum()) if len(delivered) else 0,
        "delivery_failed": int((delivered["delivery_status"] == "pending").sum()) if len(delivered) else 0,
        "by_rule": firing["rule"].value_counts().to_dict(),
        "channels": [c.name for c in channels],
    }, alerts[alerts["status"] == "open"][["rule", "severity", "customer_id", "message"]].head(5))


def record_run_failure(warehouse: Warehouse, channels: Sequence[Channel], *, run_id: str, job_name: str,
                       message: str) -> dict[str, Any]:
    """A ``run_failure`` alert for one failed run (once per run), delivered like any other."""
    now = utcnow().isoformat()
    alert = {
        "alert_id": alert_id("run_failure", "run", run_id, run_id), "rule": "run_failure", "severity": "high",
        "entity_type": "run", "entity_id": run_id, "customer_id": None, "owner": None,
        "message": f"Dagster run {run_id[:8]} of job {job_name} failed: {message[:500]}",
        "status": "open", "first_fired_at": now, "last_fired_at": now, "resolved_at": None,
        "delivery_status": "pending" if channels else "not_configured", "delivery_attempts": 0,
        "delivered_at": None, "last_delivery_error": None,
    }
    existing = warehouse.read("analytics", "alerts")
    if alert["alert_id"] in set(existing["alert_id"]):
        return alert
    warehouse.upsert("analytics", "alerts", [alert], key=["alert_id"])
    if channels:
        delivered = deliver(pd.DataFrame([alert]), channels, now)
        warehouse.upsert("analytics", "alerts", delivered, key=["alert_id"])
        alert = delivered.iloc[0].to_dict()
    return alert
