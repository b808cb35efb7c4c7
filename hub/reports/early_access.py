"""What seed 001's onboarding and engagement reports read beyond the other reports: each beta
customer's onboarding milestones (``analytics.customer_usage``) and the early-access tracking
spreadsheets (``raw.tracking_*``, ``hub track``), matched to the hub's customers."""

from __future__ import annotations

from dataclasses import dataclass, fields

import pandas as pd

from hub.kpi_catalogue import CONVERTED, Period
from hub.reports.inputs import ReportInputs
from hub.timeparse import timestamps
from hub.tracking.reports import engagement_report, onboarding_report
from hub.warehouse import Warehouse

# Read besides hub.reports.inputs.TABLES (analytics.customer_usage among them); hub.tracking.reports
# matches tracked people by contact email.
TABLES = ("raw.tracking_customers", "raw.tracking_onboarding", "raw.tracking_engagement", "analytics.contacts")
# The beta journey's steps, in order: seed 001's onboarding milestones in the hub's own events.
STEPS = {"accepted": "accepted to the beta", "api_key_created": "API key created",
         "first_api_call": "first API call", "sign_and_verify": "used sign and verify",
         "weekly_active": "active in the last 7 days"}


@dataclass
class EarlyAccessInputs(ReportInputs):
    milestones: pd.DataFrame  # customer_usage: customer_id, first_api_call_on, first_sign_on, ...
    tracked_onboarding: pd.DataFrame  # hub.tracking.reports.onboarding_report (now)
    tracked_engagement: pd.DataFrame  # hub.tracking.reports.engagement_report for the period's days

    @classmethod
    def of(cls, inputs: ReportInputs, warehouse: Warehouse, period: Period) -> EarlyAccessInputs:
        days = int((period.end - period.start).days)
        last_day = (period.end - pd.Timedelta(days=1)).date()
        milestones = warehouse.read("analytics", "customer_usage", ["customer_id", "first_api_call_on",
                                                                    "first_sign_on", "first_verify_on",
                                                                    "api_key_created_at"])
        return cls(**{f.name: getattr(inputs, f.name) for f in fields(ReportInputs)}, milestones=milestones,
                   tracked_onboarding=onboarding_report(warehouse),
                   tracked_engagement=engagement_report(warehouse, days, today=last_day))


def _before(values: pd.Series, end: pd.Timestamp) -> pd.Series:
    when = timestamps(values.astype(object).where(values.notna(), None))
    return (when < end).fillna(False).astype(bool)


def journey(inputs: EarlyAccessInputs, end: pd.Timestamp) -> pd.DataFrame:
    """One row per beta customer (an application accepted, onboarding or active): each step done
    before ``end`` or not (a step is done when a later one is), the steps done, the next step,
    and the days since they applied."""
    apps = inputs.kpi.applications
    apps = apps[apps["status"].isin(CONVERTED) & apps["customer_id"].notna() & _before(apps["applied_on"], end)]
    apps = apps.sort_values("applied_on").groupby("customer_id", as_index=False).first()
    frame = apps[["customer_id", "applied_on"]].merge(inputs.milestones, on="customer_id", how="left")
    week = inputs.usage_daily[(inputs.usage_daily["date"] >= end - pd.Timedelta(days=7))
                              & (inputs.usage_daily["date"] < end) & (inputs.usage_daily["api_calls"] > 0)]
    frame["accepted"] = True
    frame["api_key_created"] = _before(frame["api_key_created_at"], end)
    frame["first_api_call"] = _before(frame["first_api_call_on"], end)
    frame["sign_and_verify"] = _before(frame["first_sign_on"], end) & _before(frame["first_verify_on"], end)
    frame["weekly_active"] = frame["customer_id"].isin(set(week["customer_id"]))
    order = list(STEPS)
    for earlier, later in zip(order[-2::-1], order[:0:-1], strict=True):  # a later step implies the earlier
        frame[earlier] = frame[earlier] | frame[later]  # (an API call needs a key, whether or not it was logged)
    done = frame[order]
    frame["steps_done"] = done.sum(axis=1).astype(int)
    frame["completion_pct"] = (100 * frame["steps_done"] / len(STEPS)).round(0)
    frame["next_step"] = [next((STEPS[s] for s in STEPS if not row[s]), "complete")
                          for row in done.to_dict("records")]
    applied = timestamps(frame["applied_on"].astype(object).where(frame["applied_on"].notna(), None))
    frame["days_since_applied"] = ((end - applied).dt.total_seconds() // 86400).astype("Int64")
    names = inputs.customers.set_index("customer_id")["name"].to_dict()
    frame["customer"] = frame["customer_id"].map(names).fillna(frame["customer_id"])
    return frame
