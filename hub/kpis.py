"""Seed 000's "Daily Health Check": five portfolio KPIs, each green / yellow / red.

- applications_yesterday: Beta Applications whose "Applied On" is the day before ``as_of``.
- conversion_rate: % of applications Accepted, Onboarding or Active.
- beta_engagement: % of beta customers (lifecycle customer or churn_risk) with an API call in
  the trailing 7 days (seed 002 "Weekly Active Usage").
- pmf_survey_responses: % of PMF surveys sent that were answered.
- customer_satisfaction: mean "Satisfaction Score" (1–10) of answered surveys.
- support_tickets_yesterday (seed 000 "Support ticket spike"): HubSpot tickets and Salesforce
  cases opened the day before ``as_of``; ``target`` is the daily mean of the ``baseline_days``
  before it; red (a spike) at ``min_tickets`` or more and ``spike_factor`` times that mean.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from hub.timeparse import timestamps

CONVERTED_STATUSES = ("Accepted", "Onboarding", "Active")


def status_of(value: float | None, thresholds: dict[str, float]) -> str:
    if value is None or pd.isna(value):
        return "unknown"
    if value >= thresholds["green_at_least"]:
        return "green"
    if value >= thresholds["yellow_at_least"]:
        return "yellow"
    return "red"


def ticket_spike(as_of: pd.Timestamp, tickets: pd.DataFrame, rule: dict[str, Any]) -> tuple[float, float, str]:
    """(tickets opened yesterday, daily mean of the days before, status)."""
    day = as_of.normalize()
    opened = timestamps(tickets["occurred_at"]).dt.normalize()
    yesterday = float((opened == day - pd.Timedelta(days=1)).sum())
    days = int(rule["baseline_days"])
    before = opened[(opened < day - pd.Timedelta(days=1)) & (opened >= day - pd.Timedelta(days=days + 1))]
    baseline = len(before) / days
    spike = yesterday >= float(rule["min_tickets"]) and yesterday >= float(rule["spike_factor"]) * baseline
    return yesterday, round(baseline, 2), "red" if spike else "green"


def kpi_daily(as_of: pd.Timestamp, applications: pd.DataFrame, usage_daily: pd.DataFrame,
              customers: pd.DataFrame, surveys: pd.DataFrame, config: dict[str, Any], *,
              tickets: pd.DataFrame | None = None) -> pd.DataFrame:
    day = as_of.normalize()
    yesterday = (day - pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    values: dict[str, tuple[float | None, dict[str, Any]]] = {}

    applied = applications["applied_on"].astype(str).str[:10]
    values["applications_yesterday"] = (float((applied == yesterday).sum()), {"day": yesterday})

    total = len(applications)
    converted = int(applications["status"].isin(CONVERTED_STATUSES).sum())
    values["conversion_rate"] = (100.0 * converted / total if total else None,
                                 {"converted": converted, "applications": total})

    beta = customers[customers["lifecycle_stage"].isin(["customer", "churn_risk"])]["customer_id"]
    week = usage_daily[(timestamps(usage_daily["date"]) > day - pd.Timedelta(days=7))
                       & (usage_daily["api_calls"] > 0)]
    active = int(beta.isin(set(week["customer_id"])).sum())
    values["beta_engagement"] = (100.0 * active / len(beta) if len(beta) else None,
                                 {"active": active, "beta_customers": int(len(beta))})

    pmf = surveys[surveys["survey_type"] == "PMF"]
    answered = int(pmf["date_responded"].notna().sum())
    values["pmf_survey_responses"] = (100.0 * answered / len(pmf) if len(pmf) else None,
                                      {"answered": answered, "sent": int(len(pmf))})

    scores = surveys.loc[surveys["date_responded"].notna(), "satisfaction_score"].dropna()
    values["customer_satisfaction"] = (float(scores.mean()) if len(scores) else None,
                                       {"responses": int(len(scores))})

    rows = []
    for kpi, (value, detail) in values.items():
        thresholds = config["kpis"][kpi]
        rows.append({"date": day.strftime("%Y-%m-%d"), "kpi": kpi,
                     "value": None if value is None else round(value, 2),
                     "target": float(thresholds["target"]), "status": status_of(value, thresholds),
                     "detail": json.dumps(detail)})
    if tickets is not None and "support_tickets_yesterday" in config["kpis"]:
        rule = config["kpis"]["support_tickets_yesterday"]
        count, baseline, status = ticket_spike(as_of, tickets, rule)
        rows.append({"date": day.strftime("%Y-%m-%d"), "kpi": "support_tickets_yesterday", "value": count,
                     "target": baseline, "status": status,
                     "detail": json.dumps({"day": yesterday, "baseline_days": int(rule["baseline_days"]),
                                           "spike_at": max(float(rule["min_tickets"]),
                                                           float(rule["spike_factor"]) * baseline)})})
    return pd.DataFrame(rows)
