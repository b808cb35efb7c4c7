"""The KPI catalogue: the seeds' numbers, each with a formula, a grain and thresholds.

Definitions (words, targets, green / yellow thresholds, grains) live in ``kpis.catalogue`` of
``HUB_CONFIG`` (built-in: ``hub/defaults.yaml``); formulas live here, one function per KPI, each
returning ``(numerator, denominator, value, detail)`` for one period, so BI can re-aggregate
(sum numerators and denominators, never average rates). A KPI whose input the connected sources
do not hold returns :class:`Unknown` with the reason and the fix; it is stored with
``status = unknown``, never as 0. ``docs/kpis.md`` states every formula in words.

Periods are the last complete ones before ``as_of``: yesterday (day), the last ISO week
(Monday–Sunday) and the last calendar month. Point-in-time KPIs (MRR, pipeline) are measured as
of the run and stored for the period that just ended.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hub import funnel
from hub.timeparse import timestamps

CONVERTED = ("Accepted", "Onboarding", "Active")
UNDECIDED = ("New", "Reviewing")
BETA_STAGES = ("customer", "churn_risk")
GRAINS = ("day", "week", "month")


@dataclass(frozen=True)
class Period:
    grain: str
    label: str  # 2026-11-29, 2026-W48, 2026-11
    start: pd.Timestamp  # inclusive, UTC midnight
    end: pd.Timestamp  # exclusive

    def holds(self, when: pd.Series) -> pd.Series:
        return (when >= self.start) & (when < self.end)


def last_complete(grain: str, as_of: pd.Timestamp) -> Period:
    """The last complete period of ``grain`` before ``as_of`` (UTC)."""
    today = pd.Timestamp(as_of).tz_localize("UTC") if pd.Timestamp(as_of).tzinfo is None else pd.Timestamp(as_of)
    today = today.tz_convert("UTC").normalize()
    if grain == "day":
        start = today - pd.Timedelta(days=1)
        return Period("day", start.strftime("%Y-%m-%d"), start, today)
    if grain == "week":
        end = today - pd.Timedelta(days=today.weekday())  # this Monday
        start = end - pd.Timedelta(days=7)
        year, week, _ = start.isocalendar()
        return Period("week", f"{year}-W{week:02d}", start, end)
    if grain == "month":
        end = today.replace(day=1)
        start = (end - pd.Timedelta(days=1)).replace(day=1)
        return Period("month", start.strftime("%Y-%m"), start, end)
    raise ValueError(f"unknown grain {grain!r}: expected one of {GRAINS}")


@dataclass
class KpiInputs:
    """What the formulas read, as the warehouse holds it (columns named as in the tables)."""

    applications: pd.DataFrame  # application_id, customer_id, status, priority_score, applied_on, source, industry
    customers: pd.DataFrame  # customer_id, lifecycle_stage, mrr, arr
    usage_daily: pd.DataFrame  # customer_id, date, api_calls, active_users
    surveys: pd.DataFrame  # survey_type, date_sent, date_responded, pmf_score, satisfaction_score, has_testimonial, case_study_willingness
    deals: pd.DataFrame  # customer_id, amount, probability, stage, is_closed, is_won, close_date, created_at
    activities: pd.DataFrame  # kind, occurred_at, is_closed, closed_at
    customer_usage: pd.DataFrame  # customer_id, first_api_call_on
    activations: pd.DataFrame  # customer_id, time_to_first_value_days
    inputs: dict[str, Any] = field(default_factory=dict)  # kpis.inputs: spend, gross_margin
    funnel_events: pd.DataFrame = field(default_factory=pd.DataFrame)  # hub.funnel.FUNNEL_COLUMNS
    funnel_missing: str | None = funnel.MISSING.format(why="none read")  # why there are none
    # customer_id, as_of (YYYY-MM-DD), lifecycle_stage, mrr: the customers as each month's last
    # churn snapshot saw them (analytics.churn_snapshots; hub.pipeline.kpis reads those days only).
    mrr_history: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["customer_id", "as_of", "lifecycle_stage", "mrr"]))


@dataclass(frozen=True)
class Measured:
    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Unknown:
    reason: str


Formula = Callable[[KpiInputs, Period], Measured | Unknown]
FORMULAS: dict[str, Formula] = {}


def formula(kpi: str) -> Callable[[Formula], Formula]:
    def register(fn: Formula) -> Formula:
        FORMULAS[kpi] = fn
        return fn
    return register


def _ratio(numerator: float, denominator: float, detail: dict[str, Any] | None = None, *,
           percent: bool = True) -> Measured:
    value = None if not denominator else (100.0 if percent else 1.0) * numerator / denominator
    return Measured(value, float(numerator), float(denominator), detail or {})


def _days(series: pd.Series) -> pd.Series:
    return timestamps(series.astype(object).where(series.notna(), None))


def _apps_in(inputs: KpiInputs, period: Period) -> pd.DataFrame:
    apps = inputs.applications
    return apps[period.holds(_days(apps["applied_on"]))]


# -- acquisition (seed 000) ------------------------------------------------------------------

@formula("applications")
def _applications(inputs: KpiInputs, period: Period) -> Measured:
    apps = _apps_in(inputs, period)
    detail = {"by_source": apps["source"].fillna("unknown").value_counts().to_dict(),
              "by_industry": apps["industry"].fillna("unknown").value_counts().to_dict()}
    return Measured(float(len(apps)), float(len(apps)), None, detail)


@formula("applications_total")
def _applications_total(inputs: KpiInputs, period: Period) -> Measured:
    applied = _days(inputs.applications["applied_on"])
    count = float((applied < period.end).sum() + applied.isna().sum())
    return Measured(count, count, None, {"undated": int(applied.isna().sum())})


@formula("acceptance_rate")
def _acceptance_rate(inputs: KpiInputs, period: Period) -> Measured:
    status = inputs.applications["status"]
    decided = status.notna() & ~status.isin(UNDECIDED)
    accepted = status.isin(CONVERTED)
    return _ratio(float(accepted.sum()), float(decided.sum()), {"accepted_statuses": list(CONVERTED)})


@formula("average_priority_score")
def _average_priority(inputs: KpiInputs, period: Period) -> Measured:
    scores = _apps_in(inputs, period)["priority_score"].dropna().astype(float)
    return Measured(float(scores.mean()) if len(scores) else None, float(scores.sum()), float(len(scores)))


def _spend(inputs: KpiInputs, period: Period) -> float | Unknown:
    monthly = inputs.inputs.get("monthly_acquisition_spend")
    if monthly is None:
        return Unknown("needs acquisition spend: set kpis.inputs.monthly_acquisition_spend in HUB_CONFIG")
    days = (period.end - period.start).days
    return float(monthly) * days / 30.4375


@formula("cost_per_application")
def _cost_per_application(inputs: KpiInputs, period: Period) -> Measured | Unknown:
    spend = _spend(inputs, period)
    if isinstance(spend, Unknown):
        return spend
    return _ratio(spend, float(len(_apps_in(inputs, period))), percent=False)


@formula("cac")
def _cac(inputs: KpiInputs, period: Period) -> Measured | Unknown:
    spend = _spend(inputs, period)
    if isinstance(spend, Unknown):
        return spend
    won = inputs.deals[inputs.deals["is_won"].fillna(False).astype(bool)]
    new = won[period.holds(_days(won["close_date"]))]["customer_id"].dropna().nunique()
    return _ratio(spend, float(new), percent=False)


# -- funnel (seeds 000, 003): product events in the usage logs (hub.funnel) ---------------------

def _funnel(inputs: KpiInputs, period: Period, source_of: str, target_of: str) -> Measured | Unknown:
    if inputs.funnel_missing or inputs.funnel_events.empty:
        return Unknown(inputs.funnel_missing or funnel.MISSING.format(why="none loaded"))
    rate = funnel.cohort_rate(inputs.funnel_events, period.start, period.end, source_of, target_of)
    return _ratio(float(rate.converted), float(rate.visitors), {"from": source_of, "to": target_of,
                                                                "by_source": rate.by_source})


@formula("form_start_rate")
def _form_start(inputs: KpiInputs, period: Period) -> Measured | Unknown:
    return _funnel(inputs, period, funnel.LANDED, funnel.STARTED)


@formula("application_completion_rate")
def _completion(inputs: KpiInputs, period: Period) -> Measured | Unknown:
    return _funnel(inputs, period, funnel.STARTED, funnel.COMPLETED)


@formula("demo_request_rate")
def _demo_requests(inputs: KpiInputs, period: Period) -> Measured | Unknown:
    return _funnel(inputs, period, funnel.LANDED, funnel.DEMO)


@formula("docs_to_application_rate")
def _docs_to_application(inputs: KpiInputs, period: Period) -> Measured | Unknown:
    return _funnel(inputs, period, funnel.DOCS, funnel.COMPLETED)


# -- engagement (seeds 000, 002) --------------------------------------------------------------

def _beta(inputs: KpiInputs) -> pd.Series:
    c = inputs.customers
    return c.loc[c["lifecycle_stage"].isin(BETA_STAGES), "customer_id"]


def _usage_in(inputs: KpiInputs, period: Period) -> pd.DataFrame:
    u = inputs.usage_daily
    return u[period.holds(_days(u["date"]))]


@formula("active_beta_customers")
def _active_beta(inputs: KpiInputs, period: Period) -> Measured:
    used = _usage_in(inputs, period)
    active = _beta(inputs).isin(set(used.loc[used["api_calls"] > 0, "customer_id"]))
    return Measured(float(active.sum()), float(active.sum()), float(len(active)))


@formula("daily_active_users")
def _dau(inputs: KpiInputs, period: Period) -> Measured:
    used = _usage_in(inputs, period)
    per_day = used.groupby("date")["active_users"].sum()
    days = max(1, (period.end - period.start).days)
    total = float(per_day.sum())
    return Measured(total / days, total, float(days), {"days_with_usage": int(len(per_day))})


@formula("weekly_active_usage")
def _weekly_active(inputs: KpiInputs, period: Period) -> Measured:
    window = Period(period.grain, period.label, period.end - pd.Timedelta(days=7), period.end)
    used = _usage_in(inputs, window)
    beta = _beta(inputs)
    active = beta.isin(set(used.loc[used["api_calls"] > 0, "customer_id"]))
    return _ratio(float(active.sum()), float(len(beta)))


@formula("api_calls_per_active_customer_week")
def _calls_per_active(inputs: KpiInputs, period: Period) -> Measured:
    used = _usage_in(inputs, period)
    used = used[used["api_calls"] > 0]
    weeks = max(1.0, (period.end - period.start).days / 7)
    customers = used["customer_id"].nunique()
    calls = float(used["api_calls"].sum())
    return Measured(calls / weeks / customers if customers else None, calls, customers * weeks,
                    {"active_customers": int(customers), "weeks": weeks})


@formula("beta_retention")
def _beta_retention(inputs: KpiInputs, period: Period) -> Measured:
    status = inputs.applications["status"]
    ever = status.isin((*CONVERTED, "Churned"))
    kept = status.isin(CONVERTED)
    return _ratio(float(kept.sum()), float(ever.sum()))


# -- onboarding (seeds 001, 002) -------------------------------------------------------------

@formula("activation_rate_30d")
def _activation(inputs: KpiInputs, period: Period) -> Measured:
    apps = inputs.applications[inputs.applications["status"].isin(CONVERTED)].dropna(subset=["customer_id"])
    applied = _days(apps["applied_on"])
    old_enough = apps[applied <= period.end - pd.Timedelta(days=30)]
    first = inputs.customer_usage.set_index("customer_id")["first_api_call_on"]
    first_call = _days(old_enough["customer_id"].map(first))
    within = (first_call - _days(old_enough["applied_on"])) <= pd.Timedelta(days=30)
    return _ratio(float(within.fillna(False).sum()), float(len(old_enough)))


def _time_to_first_value(inputs: KpiInputs, quantile: float) -> Measured | Unknown:
    days = inputs.activations["time_to_first_value_days"].dropna().astype(float)
    if days.empty:
        return Unknown("needs beta.activated events (hub serve-events) with an onboarding date")
    return Measured(float(np.quantile(days, quantile)), None, float(len(days)))


@formula("time_to_first_value_p50")
def _ttfv_p50(inputs: KpiInputs, period: Period) -> Measured | Unknown:
    return _time_to_first_value(inputs, 0.5)


@formula("time_to_first_value_p75")
def _ttfv_p75(inputs: KpiInputs, period: Period) -> Measured | Unknown:
    return _time_to_first_value(inputs, 0.75)


# -- satisfaction (seeds 000, 002, 003) ------------------------------------------------------

def _responded(inputs: KpiInputs, period: Period, survey_type: str | None = None) -> pd.DataFrame:
    s = inputs.surveys
    if survey_type:
        s = s[s["survey_type"] == survey_type]
    return s[period.holds(_days(s["date_responded"]))]


@formula("pmf_score")
def _pmf(inputs: KpiInputs, period: Period) -> Measured:
    # Airtable sends a Percent field as a fraction (0.45 for 45 %).
    scores = 100.0 * _responded(inputs, period, "PMF")["pmf_score"].dropna().astype(float)
    return Measured(float(scores.mean()) if len(scores) else None, float(scores.sum()), float(len(scores)))


@formula("pmf_response_rate")
def _pmf_responses(inputs: KpiInputs, period: Period) -> Measured:
    pmf = inputs.surveys[inputs.surveys["survey_type"] == "PMF"]
    sent = pmf[period.holds(_days(pmf["date_sent"]))]
    return _ratio(float(sent["date_responded"].notna().sum()), float(len(sent)))


@formula("csat")
def _csat(inputs: KpiInputs, period: Period) -> Measured:
    scores = _responded(inputs, period)["satisfaction_score"].dropna().astype(float)
    return _ratio(float((scores >= 8).sum()), float(len(scores)), {"top_band": "8-10 of 10"})


@formula("nps")
def _nps(inputs: KpiInputs, period: Period) -> Measured | Unknown:
    if "nps_score" not in inputs.surveys.columns or inputs.surveys["nps_score"].dropna().empty:
        return Unknown("needs an NPS answer (0-10): map airtable.fields.surveys.nps_score to a survey field")
    scores = _responded(inputs, period)["nps_score"].dropna().astype(float)
    promoters, detractors = float((scores >= 9).sum()), float((scores <= 6).sum())
    return Measured(100.0 * (promoters - detractors) / len(scores) if len(scores) else None,
                    promoters - detractors, float(len(scores)),
                    {"promoters": promoters, "detractors": detractors})


@formula("testimonials")
def _testimonials(inputs: KpiInputs, period: Period) -> Measured:
    count = float(inputs.surveys["has_testimonial"].fillna(False).astype(bool).sum())
    return Measured(count, count)


@formula("case_study_willing")
def _case_studies(inputs: KpiInputs, period: Period) -> Measured:
    count = float(inputs.surveys["case_study_willingness"].fillna(False).astype(bool).sum())
    return Measured(count, count)


# -- revenue (seeds 000, 003) ----------------------------------------------------------------

@formula("mrr")
def _mrr(inputs: KpiInputs, period: Period) -> Measured:
    known = inputs.customers["mrr"].dropna().astype(float)
    return Measured(float(known.sum()), float(known.sum()), None,
                    {"customers_with_mrr": int((known > 0).sum()), "customers_unknown": int(inputs.customers["mrr"].isna().sum())})


@formula("arr")
def _arr(inputs: KpiInputs, period: Period) -> Measured:
    known = inputs.customers["mrr"].dropna().astype(float)
    return Measured(12.0 * float(known.sum()), 12.0 * float(known.sum()))


@formula("paid_conversion")
def _paid_conversion(inputs: KpiInputs, period: Period) -> Measured:
    beta = set(inputs.applications.loc[inputs.applications["status"].isin((*CONVERTED, "Churned")), "customer_id"].dropna())
    won = inputs.deals[inputs.deals["is_won"].fillna(False).astype(bool)]
    paying = beta & set(won["customer_id"].dropna())
    return _ratio(float(len(paying)), float(len(beta)))


@formula("acv")
def _acv(inputs: KpiInputs, period: Period) -> Measured:
    paying = inputs.customers[inputs.customers["mrr"].fillna(0).astype(float) > 0]
    arr = 12.0 * float(paying["mrr"].astype(float).sum())
    return _ratio(arr, float(len(paying)), percent=False)


PAYING = ("customer", "churn_risk")


def _month_ends(inputs: KpiInputs, period: Period) -> tuple[pd.DataFrame, pd.DataFrame] | Unknown:
    """The customers at the period's start and end: the last snapshot day before each (the start
    is the previous period's end), one row per customer with ``mrr`` and ``lifecycle_stage``."""
    history = inputs.mrr_history
    days = sorted(set(history["as_of"].dropna().astype(str))) if len(history) else []
    if not days:
        return Unknown("needs MRR history: analytics.churn_snapshots records the customers each run; "
                       "the first month it can compare is the one after the first run's")
    start_day = max((d for d in days if d < period.start.strftime("%Y-%m-%d")), default=None)
    end_day = max((d for d in days if d < period.end.strftime("%Y-%m-%d")), default=None)
    if start_day is None or end_day is None or end_day < period.start.strftime("%Y-%m-%d"):
        return Unknown(f"needs MRR history from before {period.start:%Y-%m-%d} and within {period.label}: the "
                       f"snapshots start {days[0]} (analytics.churn_snapshots, one per run)")

    def day(d: str) -> pd.DataFrame:
        rows = history[history["as_of"].astype(str) == d].drop_duplicates("customer_id", keep="last")
        return rows.assign(mrr=pd.to_numeric(rows["mrr"], errors="coerce")).set_index("customer_id")

    return day(start_day), day(end_day)


@formula("mrr_movements")
def _mrr_movements(inputs: KpiInputs, period: Period) -> Measured | Unknown:
    ends = _month_ends(inputs, period)
    if isinstance(ends, Unknown):
        return ends
    start, end = ends
    both = start[["mrr"]].rename(columns={"mrr": "mrr_start"}).join(
        end[["mrr", "lifecycle_stage"]].rename(columns={"mrr": "mrr_end"}), how="outer")
    before, after = both["mrr_start"].fillna(0.0), both["mrr_end"].fillna(0.0)
    lost = (before > 0) & ((after <= 0) | (both["lifecycle_stage"] == "churned"))
    kept = (before > 0) & ~lost
    movements = {
        "new": float(after[(before <= 0) & (after > 0)].sum()),
        "expansion": float((after - before)[kept & (after > before)].sum()),
        "contraction": float((before - after)[kept & (after < before)].sum()),
        "churned": float(before[lost].sum()),
    }
    net = movements["new"] + movements["expansion"] - movements["contraction"] - movements["churned"]
    unknown = int(both["mrr_start"].isna().sum() + both["mrr_end"].isna().sum())
    return Measured(net, float(after.sum()), float(before.sum()), {
        **{k: round(v, 2) for k, v in movements.items()}, "start_mrr": round(float(before.sum()), 2),
        "end_mrr": round(float(after.sum()), 2), "customers_with_unknown_mrr": unknown})


@formula("nrr")
def _nrr(inputs: KpiInputs, period: Period) -> Measured | Unknown:
    moved = _mrr_movements(inputs, period)
    if isinstance(moved, Unknown):
        return moved
    d = moved.detail
    if not d["start_mrr"]:
        return Unknown("no MRR at the period's start to retain")
    kept = d["start_mrr"] + d["expansion"] - d["contraction"] - d["churned"]
    return _ratio(kept, d["start_mrr"], {k: d[k] for k in ("expansion", "contraction", "churned", "start_mrr")})


@formula("logo_churn")
def _logo_churn(inputs: KpiInputs, period: Period) -> Measured | Unknown:
    ends = _month_ends(inputs, period)
    if isinstance(ends, Unknown):
        return ends
    start, end = ends
    at_start = start.index[start["lifecycle_stage"].isin(PAYING)]
    churned = end.index[end["lifecycle_stage"] == "churned"]
    lost = at_start.intersection(churned)
    return _ratio(float(len(lost)), float(len(at_start)), {"lost": sorted(map(str, lost))[:20]})


@formula("ltv_to_cac")
def _ltv_to_cac(inputs: KpiInputs, period: Period) -> Unknown:
    missing = [k for k in ("gross_margin", "monthly_acquisition_spend") if inputs.inputs.get(k) is None]
    return Unknown("needs " + " and ".join(f"kpis.inputs.{k}" for k in missing or ["monthly logo churn"])
                   + " (LTV = ARPA x gross margin / monthly churn; CAC = spend / new customers)")


# -- pipeline (seeds 000, 003) ---------------------------------------------------------------

def _open_deals(inputs: KpiInputs) -> pd.DataFrame:
    d = inputs.deals
    return d[~d["is_closed"].fillna(False).astype(bool)]


@formula("pipeline_value")
def _pipeline(inputs: KpiInputs, period: Period) -> Measured:
    d = _open_deals(inputs)
    amount = d["amount"].dropna().astype(float)
    return Measured(float(amount.sum()), float(amount.sum()), None,
                    {"by_stage": d.groupby("stage")["amount"].sum().round(2).to_dict(), "open_deals": int(len(d))})


@formula("weighted_pipeline")
def _weighted(inputs: KpiInputs, period: Period) -> Measured:
    d = _open_deals(inputs)
    weighted = (d["amount"].astype(float) * d["probability"].astype(float)).dropna()
    return Measured(float(weighted.sum()), float(weighted.sum()))


@formula("win_rate")
def _win_rate(inputs: KpiInputs, period: Period) -> Measured:
    d = inputs.deals[inputs.deals["is_closed"].fillna(False).astype(bool)]
    d = d[period.holds(_days(d["close_date"]))] if period.grain != "day" else d
    return _ratio(float(d["is_won"].fillna(False).astype(bool).sum()), float(len(d)))


@formula("average_deal_size")
def _deal_size(inputs: KpiInputs, period: Period) -> Measured:
    won = inputs.deals[inputs.deals["is_won"].fillna(False).astype(bool)]["amount"].dropna().astype(float)
    return _ratio(float(won.sum()), float(len(won)), percent=False)


@formula("sales_cycle_days")
def _sales_cycle(inputs: KpiInputs, period: Period) -> Measured | Unknown:
    won = inputs.deals[inputs.deals["is_won"].fillna(False).astype(bool)]
    if "created_at" not in won.columns:
        return Unknown("needs the deals' creation dates")
    days = ((_days(won["close_date"]) - _days(won["created_at"])).dt.total_seconds() / 86400).dropna()
    return Measured(float(days.mean()) if len(days) else None, float(days.sum()), float(len(days)))


@formula("forecast_next_month")
def _forecast(inputs: KpiInputs, period: Period) -> Measured:
    d = _open_deals(inputs)
    month = last_complete("month", period.end + pd.Timedelta(days=62))  # the month after this period ends
    closing = d[month.holds(_days(d["close_date"]))]
    weighted = (closing["amount"].astype(float) * closing["probability"].astype(float)).dropna()
    return Measured(float(weighted.sum()), float(weighted.sum()), None, {"month": month.label, "deals": int(len(closing))})


# -- support (seed 003) ----------------------------------------------------------------------

def _tickets(inputs: KpiInputs) -> pd.DataFrame:
    a = inputs.activities
    return a[a["kind"].isin(["ticket", "case"])]


@formula("tickets_opened")
def _tickets_opened(inputs: KpiInputs, period: Period) -> Measured:
    opened = int(period.holds(_days(_tickets(inputs)["occurred_at"])).sum())
    return Measured(float(opened), float(opened))


def _resolution_hours(inputs: KpiInputs, period: Period) -> pd.Series:
    t = _tickets(inputs)
    closed = _days(t["closed_at"])
    t = t[period.holds(closed)]
    return ((_days(t["closed_at"]) - _days(t["occurred_at"])).dt.total_seconds() / 3600).dropna()


@formula("resolution_hours_median")
def _resolution_median(inputs: KpiInputs, period: Period) -> Measured:
    hours = _resolution_hours(inputs, period)
    return Measured(float(hours.median()) if len(hours) else None, None, float(len(hours)))


@formula("resolution_hours_p90")
def _resolution_p90(inputs: KpiInputs, period: Period) -> Measured:
    hours = _resolution_hours(inputs, period)
    return Measured(float(np.quantile(hours, 0.9)) if len(hours) else None, None, float(len(hours)))


@formula("first_response_hours_median")
def _first_response(inputs: KpiInputs, period: Period) -> Unknown:
    return Unknown("needs the first reply time of tickets and cases (HubSpot hs_first_agent_reply_date, "
                   "Salesforce a first-response field): not synced yet")


# -- evaluation ------------------------------------------------------------------------------

def status_of(value: float | None, spec: dict[str, Any]) -> str:
    """green / yellow / red by the spec's thresholds (``direction`` higher or lower is better);
    ``info`` when it has none; ``unknown`` without a value."""
    if value is None or pd.isna(value):
        return "unknown"
    green, yellow = spec.get("green"), spec.get("yellow")
    if green is None:
        return "info"
    if spec.get("direction", "higher") == "lower":
        return "green" if value <= green else "yellow" if yellow is not None and value <= yellow else "red"
    return "green" if value >= green else "yellow" if yellow is not None and value >= yellow else "red"


def _spec_for(spec: dict[str, Any], grain: str) -> dict[str, Any]:
    return {**spec, **((spec.get("per_grain") or {}).get(grain) or {})}


def evaluate(inputs: KpiInputs, catalogue: dict[str, dict[str, Any]], as_of: pd.Timestamp,
             computed_at: str) -> pd.DataFrame:
    """One row per KPI and grain for the last complete period of each grain."""
    rows = []
    for kpi, spec in catalogue.items():
        if kpi not in FORMULAS:
            raise KeyError(f"kpis.catalogue.{kpi}: no formula in hub/kpi_catalogue.py")
        for grain in spec.get("grains", ["day"]):
            period, own = last_complete(grain, as_of), _spec_for(spec, grain)
            result = FORMULAS[kpi](inputs, period)
            base = {"grain": grain, "period": period.label, "period_start": period.start.strftime("%Y-%m-%d"),
                    "period_end": period.end.strftime("%Y-%m-%d"), "kpi": kpi, "area": spec["area"],
                    "unit": spec.get("unit"), "target": own.get("target"), "computed_at": computed_at}
            if isinstance(result, Unknown):
                rows.append({**base, "value": None, "numerator": None, "denominator": None, "status": "unknown",
                             "reason": result.reason, "detail": None})
                continue
            value = None if result.value is None or pd.isna(result.value) else round(float(result.value), 4)
            rows.append({**base, "value": value, "numerator": result.numerator, "denominator": result.denominator,
                         "status": status_of(value, own),
                         "reason": None if value is not None else "no data in the period",
                         "detail": json.dumps(result.detail, default=str, sort_keys=True)})
    return pd.DataFrame(rows)
