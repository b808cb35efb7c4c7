"""Seed 000's "Daily Health Check": five portfolio KPIs, each green / yellow / red.

- applications_yesterday: Beta Applications whose "Applied On" is the day before ``as_of``.
- conversion_rate: % of applications Accepted, Onboarding or Active.
- beta_engagement: % of beta customers (lifecycle customer or churn_risk) with an API call in
  the trailing 7 days (seed 002 "Weekly Active Usage").
- pmf_survey_responses: % of PMF surveys sent that were answered.
- customer_satisfaction: mean "Satisfaction Score" (1–10) of answered surveys.
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


def kpi_daily(as_of: pd.Timestamp, applications: pd.DataFrame, usage_daily: pd.DataFrame,
              customers: pd.DataFrame, surveys: pd.DataFrame, config: dict[str, Any]) -> pd.DataFrame:
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
    return pd.DataFrame(rows)
