"""The four components of customer health, each 0–100 per customer, from the data the hub holds.

Every function takes plain DataFrames and the ``health`` section of ``HUB_CONFIG`` and returns one
row per customer that has data for the component, indexed by ``customer_id``; a customer missing
from the result has no data for it (``hub.health`` then re-normalises the weights). The figures
behind each score come back beside it, for the drivers text and for BI. docs/health.md explains
every definition for the data team.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from hub.timeparse import timestamps

USAGE_WINDOW_COLUMNS = ["customer_id", "api_calls_7d", "api_calls_prev_7d", "active_days_7d", "errors_7d",
                        "active_users_7d", "last_api_call_on"]
# Seed 002 "Activated Customer", as far as the data shows it (docs/health.md says how each is read).
ACTIVATION_CHECKLIST = {
    "api_key_created": "API keys generated",
    "first_api_call": "integration tested (first API call)",
    "signed_and_verified": "first content signed and verified",
    "team_using": "team using it (2+ active users)",
    "check_in_held": "check-in held",
}
SENTIMENT_VALUE = {"Positive": 1.0, "Neutral": 0.0, "Negative": -1.0}
LIKELIHOOD_POINTS = {"Very Likely": 100.0, "Likely": 75.0, "Neutral": 50.0, "Unlikely": 25.0,
                     "Very Unlikely": 0.0}


def clip(values: Any) -> Any:
    return np.clip(values, 0.0, 100.0)


def benchmark_points(value: Any, good: float, excellent: float) -> np.ndarray:
    """Seed 002's three tiers as points: at or above ``excellent`` 100, ``good``..``excellent``
    60..100, below ``good`` 0..60 (all linear)."""
    v = np.asarray(value, dtype=float)
    return np.where(v >= excellent, 100.0,
                    np.where(v >= good, 60.0 + 40.0 * (v - good) / (excellent - good), 60.0 * v / good))


def _day(as_of: pd.Timestamp, days_back: int) -> str:
    return (as_of.normalize() - pd.Timedelta(days=days_back)).strftime("%Y-%m-%d")


def _days_before(as_of: pd.Timestamp, when: pd.Series) -> pd.Series:
    """Calendar days from ``when`` to ``as_of`` (today's events are 0 days old, not -1)."""
    return (as_of.normalize() - when.dt.normalize()).dt.days


def usage_window(daily: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Per customer, the last 14 days of ``usage_daily`` (today is day 0): calls this week and the
    week before, days with calls, errors, peak active users, the last day with calls.

    ``hub.pipeline.health`` computes the same figures in SQL (``usage_window_query``); a test
    holds the two to the same answer."""
    if daily.empty:
        return pd.DataFrame(columns=USAGE_WINDOW_COLUMNS)
    frame = daily[(daily["date"] >= _day(as_of, 13)) & (daily["date"] <= _day(as_of, 0))]
    recent = frame["date"] >= _day(as_of, 6)
    calls = frame["api_calls"].astype(float)
    out = pd.DataFrame({
        "customer_id": frame["customer_id"],
        "api_calls_7d": calls.where(recent, 0.0),
        "api_calls_prev_7d": calls.where(~recent, 0.0),
        "active_days_7d": (recent & (calls > 0)).astype(int),
        "errors_7d": frame["errors"].astype(float).where(recent, 0.0),
        "active_users_7d": frame["active_users"].astype(float).where(recent),
        "last_api_call_on": frame["date"].where(calls > 0),
    })
    grouped = out.groupby("customer_id")
    result = grouped.agg(api_calls_7d=("api_calls_7d", "sum"), api_calls_prev_7d=("api_calls_prev_7d", "sum"),
                         active_days_7d=("active_days_7d", "sum"), errors_7d=("errors_7d", "sum"),
                         active_users_7d=("active_users_7d", "max"), last_api_call_on=("last_api_call_on", "max"))
    return result.reset_index()[USAGE_WINDOW_COLUMNS]


def usage_component(window: pd.DataFrame, cfg: dict[str, Any]) -> pd.DataFrame:
    """Call volume against seed 002's weekly benchmark, days active of 7, error rate, and a
    penalty when this week's calls fall below last week's (growth is never penalised)."""
    columns = ["usage", "api_calls_7d", "api_calls_prev_7d", "api_calls_14d", "usage_growth_pct",
               "active_days_7d", "error_rate_7d", "last_api_call_on"]
    if window.empty:
        return pd.DataFrame(columns=columns).rename_axis("customer_id")
    w = window.set_index("customer_id")
    part = cfg["usage"]
    calls, prev = w["api_calls_7d"].astype(float).fillna(0.0), w["api_calls_prev_7d"].astype(float).fillna(0.0)
    benchmark = cfg["api_calls_per_week"]
    volume = benchmark_points(calls, float(benchmark["good"]), float(benchmark["excellent"]))
    active_days = w["active_days_7d"].astype(float).fillna(0.0)
    error_rate = (w["errors_7d"].astype(float).fillna(0.0) / calls.where(calls > 0)).fillna(0.0)
    reliability = clip(100.0 * (1.0 - error_rate / float(part["error_rate_at_zero"])))
    score = (part["volume"] * volume + part["activity"] * 100.0 * active_days / 7.0
             + part["reliability"] * reliability) / (part["volume"] + part["activity"] + part["reliability"])
    ratio = (calls / prev.where(prev > 0)).fillna(1.0)
    penalty = float(part["max_trend_penalty"])
    score = score * np.where(ratio < 1.0, 1.0 - penalty + penalty * ratio, 1.0)
    growth = (100.0 * (ratio - 1.0)).where(prev > 0)
    return pd.DataFrame({
        "usage": clip(score), "api_calls_7d": calls, "api_calls_prev_7d": prev, "api_calls_14d": calls + prev,
        "usage_growth_pct": growth.round(1), "active_days_7d": active_days.astype(int),
        "error_rate_7d": error_rate.round(4), "last_api_call_on": w["last_api_call_on"],
    }, index=w.index)


def support_component(activities: pd.DataFrame, as_of: pd.Timestamp, cfg: dict[str, Any]) -> pd.DataFrame:
    """HubSpot tickets, Salesforce cases and Airtable "Support" interactions: open ones (high
    priority weighing more), new ones in 30 days, and the median days to resolve in 90 days."""
    part = cfg["support"]
    kind = activities["kind"]
    is_ticket = kind.isin(["ticket", "case"])
    support = activities[(is_ticket | ((kind == "interaction") & (activities["type"] == "Support")))
                         & activities["customer_id"].notna()]
    if support.empty:
        return pd.DataFrame(columns=["support", "open_tickets", "tickets_30d", "resolution_days"]
                            ).rename_axis("customer_id")
    ticket = support["kind"].isin(["ticket", "case"])
    closed = support["is_closed"].astype("boolean").fillna(False).astype(bool)
    opened_at, closed_at = timestamps(support["occurred_at"]), timestamps(support["closed_at"])
    frame = pd.DataFrame({
        "customer_id": support["customer_id"],
        "open": ticket & ~closed,
        "high": ticket & ~closed & support["priority"].isin(part["high_priorities"]),
        "recent": _days_before(as_of, opened_at).between(0, 30),
        "resolution_days": ((closed_at - opened_at).dt.total_seconds() / 86400.0).where(
            ticket & closed & ((as_of - closed_at).dt.days <= 90)),
    })
    g = frame.groupby("customer_id")
    open_count, high, recent = g["open"].sum(), g["high"].sum(), g["recent"].sum()
    resolution = g["resolution_days"].median()
    slow = (resolution.fillna(0.0) - float(part["resolution_days_ok"])).clip(lower=0.0)
    score = (100.0 - part["open_ticket"] * open_count - part["open_high_priority"] * high
             - part["new_ticket_30d"] * recent
             - np.minimum(float(part["resolution_penalty_max"]), part["resolution_penalty_per_day"] * slow))
    return pd.DataFrame({"support": clip(score), "open_tickets": open_count.astype(int),
                         "tickets_30d": recent.astype(int), "resolution_days": resolution.round(1)})


def relationship_component(contacts: pd.DataFrame, activities: pd.DataFrame, as_of: pd.Timestamp,
                           cfg: dict[str, Any]) -> pd.DataFrame:
    """Contacts known at the customer, days since the last logged interaction, and the mean
    sentiment of the interactions of the last 90 days."""
    part = cfg["relationship"]
    engaged = contacts.dropna(subset=["customer_id"]).groupby("customer_id").size()
    talks = activities[(activities["kind"] == "interaction") & activities["customer_id"].notna()]
    customers = engaged.index.union(pd.Index(talks["customer_id"].unique()))
    if customers.empty:
        return pd.DataFrame(columns=["relationship", "contacts", "days_since_interaction", "sentiment"]
                            ).rename_axis("customer_id")
    engaged = engaged.reindex(customers, fill_value=0)
    steps = sorted(((int(n), float(p)) for n, p in part["contacts_points"].items()), reverse=True)
    base = np.select([engaged >= n for n, _ in steps], [p for _, p in steps], default=0.0)
    when = timestamps(talks["occurred_at"])
    days = _days_before(as_of, when.groupby(talks["customer_id"]).max()).reindex(customers)
    recency_steps = sorted((int(d), float(p)) for d, p in part["recency_points"].items())
    recency = np.select([days <= d for d, _ in recency_steps], [p for _, p in recency_steps],
                        default=float(part["recency_stale_points"]))
    recency = np.where(days.isna(), 0.0, recency)
    recent = (as_of - when).dt.days <= 90
    # Numeric even when no sentiment maps (all blank or unknown words): a string column has no mean.
    values = pd.to_numeric(talks.loc[recent, "sentiment"].map(SENTIMENT_VALUE), errors="coerce").astype(float)
    mood = values.groupby(talks.loc[recent, "customer_id"]).mean()
    mood = mood.reindex(customers)
    score = base + recency + float(part["baseline_points"]) + float(part["sentiment_points"]) * mood.fillna(0.0)
    return pd.DataFrame({"relationship": clip(score), "contacts": engaged.astype(int),
                         "days_since_interaction": days, "sentiment": mood.round(2)}, index=customers)


def activation(summary: pd.DataFrame, activities: pd.DataFrame, customers: pd.Index,
               cfg: dict[str, Any]) -> pd.DataFrame:
    """Seed 002's activation checklist per customer (done, missing) and time to first value
    (API key created -> first verification, in days)."""
    part = cfg["activation"]
    s = summary.set_index("customer_id").reindex(customers)
    talks = activities[(activities["kind"] == "interaction")
                       & activities["type"].isin(part["check_in_types"])]["customer_id"]
    done = pd.DataFrame({
        # An API call needs a working key, so calls prove the key even without the product event.
        "api_key_created": s["api_key_created_at"].notna() | s["first_api_call_on"].notna(),
        "first_api_call": s["first_api_call_on"].notna() | s["first_api_call_event_at"].notna(),
        "signed_and_verified": s["first_sign_on"].notna() & s["first_verify_on"].notna(),
        "team_using": s["peak_active_users"].fillna(0) >= int(part["team_min_active_users"]),
        "check_in_held": customers.isin(set(talks.dropna())),
    }, index=customers)[list(ACTIVATION_CHECKLIST)]
    missing = pd.Series("", index=customers, dtype=object)
    for key, words in ACTIVATION_CHECKLIST.items():  # vectorised: a row-wise apply costs seconds at 100k
        missing = missing + np.where(done[key], "", words + "; ")
    missing = missing.str.rstrip("; ")
    key_at = timestamps(s["api_key_created_at"])
    verified = timestamps(s["first_verify_on"])
    ttfv = ((verified - key_at.dt.normalize()).dt.total_seconds() / 86400.0).clip(lower=0.0)
    return pd.DataFrame({"activation_done": done.sum(axis=1).astype(int), "activation_total": len(ACTIVATION_CHECKLIST),
                         "activation_missing": missing, "time_to_first_value_days": ttfv.round(1)}, index=customers)


def outcomes_component(surveys: pd.DataFrame, activated: pd.DataFrame, cfg: dict[str, Any]) -> pd.DataFrame:
    """Survey answers (satisfaction 1–10, its NPS reading, PMF, likelihood to pay) and onboarding
    (activation checklist, time to first value), averaged with the configured weights over the
    parts a customer has."""
    part = cfg["outcomes"]
    answered = surveys[surveys["customer_id"].notna() & surveys["date_responded"].notna()].copy()
    answered["responded"] = timestamps(answered["date_responded"])
    answered = answered.sort_values("responded")
    latest = answered.dropna(subset=["satisfaction_score"]).groupby("customer_id").tail(int(part["latest_surveys"]))
    satisfaction = latest.groupby("customer_id")["satisfaction_score"].mean()
    # The seeds' survey has no separate "would you recommend" question: its 0–10 satisfaction
    # score is read as one, promoters 9–10 and detractors 0–6 (docs/health.md).
    scored = answered.dropna(subset=["satisfaction_score"])
    nps = (100.0 * ((scored["satisfaction_score"] >= 9).astype(float) - (scored["satisfaction_score"] <= 6))
           ).groupby(scored["customer_id"]).mean()
    pmf = answered[answered["survey_type"] == "PMF"].groupby("customer_id")["pmf_score"].mean() * 100.0
    pay = answered.dropna(subset=["likelihood_to_pay"]).groupby("customer_id")["likelihood_to_pay"].last()
    pmf_bench = part["pmf_percent"]
    ttfv = activated["time_to_first_value_days"]
    ttfv_steps = part["time_to_first_value_points"]
    parts = pd.DataFrame({
        "satisfaction": satisfaction * 10.0,
        "nps": (nps + 100.0) / 2.0,
        "pmf": pd.Series(benchmark_points(pmf, pmf_bench["good"], pmf_bench["excellent"]), index=pmf.index),
        "likelihood_to_pay": pay.map(LIKELIHOOD_POINTS),
    }).reindex(activated.index.union(answered["customer_id"].unique()))
    parts["activation"] = 100.0 * activated["activation_done"] / activated["activation_total"]
    ttfv = ttfv.reindex(parts.index)
    parts["time_to_value"] = np.select([ttfv <= 7, ttfv <= 14, ttfv > 14],
                                       [float(ttfv_steps["within_7_days"]), float(ttfv_steps["within_14_days"]),
                                        float(ttfv_steps["later"])], default=np.nan)
    weights = pd.Series({k: float(v) for k, v in part["weights"].items()})
    # Numbers whatever the inputs held: a mapping that matched nothing leaves a text-typed column.
    values = parts[list(weights.index)].apply(pd.to_numeric, errors="coerce").astype(float)
    present = values.notna()
    weight_present = present.mul(weights).sum(axis=1)
    score = values.fillna(0.0).mul(weights).sum(axis=1) / weight_present.where(weight_present > 0)
    out = pd.DataFrame({"outcomes": clip(score), "satisfaction": (satisfaction.reindex(parts.index)).round(1),
                        "pmf": pmf.reindex(parts.index).round(1)}, index=parts.index)
    return out[out["outcomes"].notna()]
