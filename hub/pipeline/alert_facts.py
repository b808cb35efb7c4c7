"""The facts alert rules read: one row per customer, application and portfolio KPI.

Every frame has ``entity_id``, ``name``, ``customer_id`` and ``owner`` besides its metrics; a
rule may name any other column (docs/health.md lists them).
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from hub.health import SPECIAL_BANDS
from hub.timeparse import timestamps
from hub.warehouse import Warehouse

# What a score says: withheld from rules when the band says the score says nothing (too little
# coverage, a churned customer), so no score rule fires on it; the band itself stays a fact.
SCORE_FACTS = ["health_score", "delta_7d", "delta_30d"]
HEALTH_FACTS = ["customer_id", "health_score", "health_band", "coverage", "delta_7d", "delta_30d", "drivers",
                "usage_score", "support_score", "relationship_score", "outcome_score", "api_calls_7d",
                "api_calls_prev_7d", "api_calls_14d", "usage_growth_pct", "active_days_7d", "error_rate_7d",
                "last_api_call_on", "open_tickets", "tickets_30d", "contacts", "days_since_interaction",
                "satisfaction", "pmf", "activation_done", "activation_missing", "time_to_first_value_days"]
# The churn model's latest figures (analytics.churn_risk, one row per live customer); NULL while
# the model has too little history, so a rule on them does not fire then.
CHURN_FACTS = ["churn_probability_30d", "churn_probability_90d", "churn_probability", "risk_band", "top_factors"]
CHURN_PERCENTS = ["churn_percent_30d", "churn_percent_90d"]  # the same figures × 100, for messages


def _columns(warehouse: Warehouse, name: str, columns: list[str]) -> pd.DataFrame:
    table = warehouse.table("analytics", name)
    return warehouse.fetch(sa.select(*[table.c[c] for c in columns]))


def customer_facts(warehouse: Warehouse) -> pd.DataFrame:
    customers = _columns(warehouse, "customers", ["customer_id", "name", "owner", "owner_name", "owner_email",
                                                  "lifecycle_stage", "mrr"])
    health = _columns(warehouse, "customer_health", HEALTH_FACTS)
    frame = customers.merge(health, on="customer_id", how="left")
    # Health knows the last call of its 14-day window only: an inactive customer's last call is
    # older than that, so take it from the lifetime usage milestones.
    lifetime = _columns(warehouse, "customer_usage", ["customer_id", "last_api_call_on"]).set_index("customer_id")
    frame["last_api_call_on"] = frame["customer_id"].map(lifetime["last_api_call_on"]).combine_first(
        frame["last_api_call_on"])
    frame.loc[frame["health_band"].isin(SPECIAL_BANDS), SCORE_FACTS] = None
    frame = frame.merge(churn_facts(warehouse), on="customer_id", how="left")
    # A customer who left since the model last scored it is not at risk of leaving.
    frame.loc[frame["health_band"] == "churned", CHURN_FACTS + CHURN_PERCENTS] = None
    frame["entity_id"] = frame["customer_id"]
    frame["name"] = frame["name"].fillna(frame["customer_id"])
    return frame


def churn_facts(warehouse: Warehouse) -> pd.DataFrame:
    """Per customer the churn model's probabilities (0–1), the same as percentages for messages
    (``churn_percent_30d``, ``churn_percent_90d``), the risk band and the top factors in words."""
    risk = _columns(warehouse, "churn_risk", ["customer_id", *CHURN_FACTS])
    for percent in CHURN_PERCENTS:
        probability = percent.replace("churn_percent", "churn_probability")
        risk[percent] = (pd.to_numeric(risk[probability]) * 100).round(1)
    return risk


def application_facts(warehouse: Warehouse, now: pd.Timestamp) -> pd.DataFrame:
    """Applications with their lead score, owner and ``days_without_response``: days since
    "Applied On" while no interaction has been logged since (None once one has)."""
    apps = warehouse.read("analytics", "applications",
                          ["application_id", "customer_id", "company", "assigned_to", "status", "lead_score",
                           "priority_score", "auto_assign", "applied_on"])
    frame = apps.rename(columns={"company": "name", "assigned_to": "owner"})
    frame["entity_id"] = frame["application_id"]
    frame["assigned"] = frame["owner"].fillna("").astype(str).str.strip() != ""
    frame["auto_assign"] = frame["auto_assign"].astype("boolean").fillna(False).astype(bool)
    records = warehouse.read("staging", "companies", ["record_id", "source", "application_id"])
    records = records[(records["source"] == "airtable") & records["application_id"].notna()]
    activities = warehouse.table("staging", "activities")
    talks = warehouse.read("staging", "activities", ["company_record_id", "occurred_at"],
                           where=activities.c.kind == "interaction")
    talks = talks.merge(records[["record_id", "application_id"]], left_on="company_record_id", right_on="record_id")
    applied = timestamps(frame["applied_on"])
    talks["occurred_at"] = timestamps(talks["occurred_at"])
    talks = talks.merge(pd.DataFrame({"application_id": frame["application_id"], "applied": applied}),
                        on="application_id")
    answered = set(talks.loc[talks["occurred_at"] >= talks["applied"].dt.normalize(), "application_id"])
    waiting = (now.normalize() - applied.dt.normalize()).dt.days
    frame["days_without_response"] = waiting.where(~frame["application_id"].isin(answered) & applied.notna())
    return frame


def kpi_facts(warehouse: Warehouse) -> pd.DataFrame:
    """The latest day's KPIs, one row each."""
    kpi = warehouse.read("analytics", "kpi_daily")
    if len(kpi):
        kpi = kpi[kpi["date"] == kpi["date"].max()]
    return kpi.assign(entity_id=kpi["kpi"], name=kpi["kpi"], customer_id=None, owner=None)


def alert_facts(warehouse: Warehouse, now: pd.Timestamp) -> dict[str, pd.DataFrame]:
    return {"customer": customer_facts(warehouse), "application": application_facts(warehouse, now),
            "kpi": kpi_facts(warehouse)}
