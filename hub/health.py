"""Customer health (seed 004): four weighted components, 0–100, banded.

- usage (30%): the last 7 days of ``usage_daily`` against seed 002's benchmarks — API calls per
  week (>1000 excellent, 500–1000 good), days active of 7, error rate, and the change against
  the 7 days before.
- support (20%): open and recent tickets/cases, high priority weighing more.
- relationship (25%): engaged contacts, recency and sentiment of logged interactions.
- outcomes (25%): survey satisfaction (1–10) and PMF score, and the onboarding milestones seen
  in usage ("API Key Created", "First API Call").

A component with no data is left out and the weights re-normalise over the rest; ``coverage``
is the share of weight present. The score is rounded half up to an integer, then banded:
excellent ≥ 80, good ≥ 60, at_risk ≥ 40, critical below.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from hub.timeparse import timestamps

COMPONENTS = ("usage", "support", "relationship", "outcomes")
SCORE_COLUMNS = {"usage": "usage_score", "support": "support_score",
                 "relationship": "relationship_score", "outcomes": "outcome_score"}
MILESTONE_EVENTS = ("API Key Created", "First API Call")


def round_half_up(value: float) -> int:
    return int(math.floor(value + 0.5))


def band(score: float, bands: dict[str, float]) -> str:
    for name, floor in sorted(bands.items(), key=lambda kv: -kv[1]):
        if score >= floor:
            return name
    return "critical"


def _clip(values: pd.Series) -> pd.Series:
    return values.clip(lower=0, upper=100)


def usage_component(daily: pd.DataFrame, as_of: pd.Timestamp, benchmarks: dict[str, float]) -> pd.DataFrame:
    """Usage score and its figures per customer with any usage in the last 14 days."""
    if daily.empty:
        return pd.DataFrame(columns=["usage", "calls_7d", "calls_prev_7d", "active_days_7d", "error_rate_7d"])
    frame = daily.copy()
    frame["day"] = timestamps(frame["date"])
    age = (as_of.normalize() - frame["day"]).dt.days
    recent, previous = frame[(age >= 0) & (age < 7)], frame[(age >= 7) & (age < 14)]
    customers = pd.Index(frame.loc[(age >= 0) & (age < 14), "customer_id"].unique())
    calls = recent.groupby("customer_id")["api_calls"].sum().reindex(customers, fill_value=0)
    calls_prev = previous.groupby("customer_id")["api_calls"].sum().reindex(customers, fill_value=0)
    active_days = recent[recent["api_calls"] > 0].groupby("customer_id")["date"].nunique().reindex(customers, fill_value=0)
    errors = recent.groupby("customer_id")["errors"].sum().reindex(customers, fill_value=0)
    error_rate = (errors / calls.where(calls > 0)).fillna(0.0)
    good, excellent = float(benchmarks["good"]), float(benchmarks["excellent"])
    volume = np.where(calls >= excellent, 100.0,
                      np.where(calls >= good, 60.0 + 40.0 * (calls - good) / (excellent - good), 60.0 * calls / good))
    activity = 100.0 * active_days / 7.0
    reliability = _clip(100.0 - 1000.0 * error_rate)  # 10% errors -> 0
    score = 0.5 * volume + 0.3 * activity + 0.2 * reliability
    # A collapse against the previous week costs up to half the score; growth costs nothing.
    change = (calls / calls_prev.where(calls_prev > 0)).fillna(1.0)
    score = score * np.where(change < 1.0, 0.5 + 0.5 * change, 1.0)
    return pd.DataFrame({"usage": _clip(pd.Series(score, index=customers)), "calls_7d": calls,
                         "calls_prev_7d": calls_prev, "active_days_7d": active_days, "error_rate_7d": error_rate})


def support_component(activities: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    tickets = activities[activities["kind"].isin(["ticket", "case"]) & activities["customer_id"].notna()].copy()
    if tickets.empty:
        return pd.DataFrame(columns=["support", "open_tickets", "tickets_30d"])
    tickets["open"] = ~tickets["is_closed"].fillna(False).astype(bool)
    tickets["high"] = tickets["priority"].isin(["high", "urgent", "critical"]) & tickets["open"]
    tickets["recent"] = (as_of - timestamps(tickets["occurred_at"])).dt.days <= 30
    grouped = tickets.groupby("customer_id")
    open_count, high, recent = grouped["open"].sum(), grouped["high"].sum(), grouped["recent"].sum()
    score = _clip(100.0 - 12.0 * open_count - 13.0 * high - 3.0 * recent)
    return pd.DataFrame({"support": score, "open_tickets": open_count, "tickets_30d": recent})


def relationship_component(contacts: pd.DataFrame, activities: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    engaged = contacts.dropna(subset=["customer_id"]).groupby("customer_id")["contact_id"].nunique()
    talks = activities[(activities["kind"] == "interaction") & activities["customer_id"].notna()].copy()
    customers = engaged.index.union(pd.Index(talks["customer_id"].unique()))
    if customers.empty:
        return pd.DataFrame(columns=["relationship", "contacts", "days_since_interaction"])
    engaged = engaged.reindex(customers, fill_value=0)
    base = np.select([engaged >= 3, engaged == 2, engaged == 1], [60.0, 45.0, 30.0], default=15.0)
    last = timestamps(talks.groupby("customer_id")["occurred_at"].max()).reindex(customers)
    days = (as_of - last).dt.days
    recency = np.select([days <= 14, days <= 30, days <= 60], [30.0, 20.0, 5.0], default=-10.0)
    recency = np.where(days.isna(), 0.0, recency)
    sentiment = talks.assign(s=talks["sentiment"].map({"Positive": 1.0, "Neutral": 0.0, "Negative": -1.0}))
    mood = sentiment.groupby("customer_id")["s"].mean().reindex(customers).fillna(0.0)
    score = _clip(pd.Series(base + recency + 10.0 + 20.0 * mood.to_numpy(), index=customers))
    return pd.DataFrame({"relationship": score, "contacts": engaged, "days_since_interaction": days})


def outcomes_component(surveys: pd.DataFrame, milestones: pd.DataFrame) -> pd.DataFrame:
    answered = surveys[surveys["customer_id"].notna() & surveys["date_responded"].notna()]
    satisfaction = answered.groupby("customer_id")["satisfaction_score"].mean() * 10.0
    pmf = answered.groupby("customer_id")["pmf_score"].mean() * 100.0
    reached = (milestones.groupby("customer_id")["event"].nunique() / len(MILESTONE_EVENTS) * 100.0
               if not milestones.empty else pd.Series(dtype=float))
    parts = pd.concat({"satisfaction": satisfaction, "pmf": pmf, "milestones": reached}, axis=1)
    if parts.empty:
        return pd.DataFrame(columns=["outcomes", "satisfaction", "pmf", "milestones"])
    parts["outcomes"] = _clip(parts[["satisfaction", "pmf", "milestones"]].mean(axis=1, skipna=True))
    return parts


def customer_health(customers: pd.DataFrame, daily: pd.DataFrame, activities: pd.DataFrame,
                    contacts: pd.DataFrame, surveys: pd.DataFrame, milestones: pd.DataFrame,
                    history: pd.DataFrame, as_of: pd.Timestamp, config: dict[str, Any]) -> pd.DataFrame:
    """One ``customer_health`` row per customer with at least one component."""
    health_cfg = config["health"]
    usage = usage_component(daily, as_of, health_cfg["api_calls_per_week"])
    parts = pd.concat({
        "usage": usage["usage"] if len(usage) else pd.Series(dtype=float),
        "support": support_component(activities, as_of).get("support", pd.Series(dtype=float)),
        "relationship": relationship_component(contacts, activities, as_of).get("relationship", pd.Series(dtype=float)),
        "outcomes": outcomes_component(surveys, milestones).get("outcomes", pd.Series(dtype=float)),
    }, axis=1).reindex(customers["customer_id"])
    # A customer who should be using the product and is not scores 0 on usage, not "missing".
    expected = customers.set_index("customer_id")["lifecycle_stage"].isin(["customer", "churn_risk"])
    parts.loc[expected & parts["usage"].isna(), "usage"] = 0.0
    weights = pd.Series({c: float(health_cfg["weights"][c]) for c in COMPONENTS})
    present = parts[list(COMPONENTS)].notna()
    weight_present = present.mul(weights).sum(axis=1)
    weighted = parts[list(COMPONENTS)].fillna(0.0).mul(weights).sum(axis=1)
    scored = weight_present > 0
    out = pd.DataFrame({"customer_id": parts.index[scored]})
    raw_score = (weighted[scored] / weight_present[scored]).to_numpy()
    out["health_score"] = [float(round_half_up(s)) for s in raw_score]
    out["health_band"] = [band(s, health_cfg["bands"]) for s in out["health_score"]]
    out["coverage"] = (weight_present[scored] / weights.sum()).round(4).to_numpy()
    for component, column in SCORE_COLUMNS.items():
        out[column] = parts.loc[scored, component].round(1).to_numpy()
    out["as_of"] = as_of.strftime("%Y-%m-%d")
    out["delta_7d"] = _delta(out, history, as_of, 7)
    out["delta_30d"] = _delta(out, history, as_of, 30)
    out["drivers"] = _drivers(out, usage)
    return out


def _delta(current: pd.DataFrame, history: pd.DataFrame, as_of: pd.Timestamp, days: int) -> pd.Series:
    """Change against the latest history entry at least ``days`` old."""
    if history.empty:
        return pd.Series([None] * len(current), index=current.index, dtype=object)
    cutoff = (as_of - pd.Timedelta(days=days)).strftime("%Y-%m-%d")
    past = history[history["as_of"] <= cutoff].sort_values("as_of").groupby("customer_id")["health_score"].last()
    return (current["health_score"] - current["customer_id"].map(past)).astype(float)


def _drivers(out: pd.DataFrame, usage: pd.DataFrame) -> list[str]:
    """The two weakest components in words, e.g. 'usage 18/100 (42 API calls in 7 days, -85% vs the week before)'."""
    texts = []
    for row in out.itertuples(index=False):
        scores = {c: getattr(row, SCORE_COLUMNS[c]) for c in COMPONENTS}
        ranked = sorted(((s, c) for c, s in scores.items() if s is not None and not pd.isna(s)))[:2]
        words = []
        for score, component in ranked:
            text = f"{component} {score:.0f}/100"
            if component == "usage" and row.customer_id in usage.index:
                u = usage.loc[row.customer_id]
                text += f" ({int(u['calls_7d'])} API calls in 7 days"
                if u["calls_prev_7d"] > 0:
                    text += f", {100.0 * (u['calls_7d'] / u['calls_prev_7d'] - 1):+.0f}% vs the week before"
                text += ")"
            words.append(text)
        texts.append("; ".join(words))
    return texts


def lifecycle_stage(customers: pd.DataFrame, deals: pd.DataFrame, applications: pd.DataFrame,
                    health_band: pd.Series, config: dict[str, Any]) -> pd.Series:
    """Seed 004's stages — prospect, opportunity, customer, churn_risk — plus churned, from
    deal stages (seed 000), application statuses and the health band."""
    stages = config["deal_stages"]
    customer_stages = set(stages[3:8])  # Beta Accepted .. Closed Won
    opportunity_stages = set(stages[1:3])  # Qualified Lead, Technical Review
    ids = customers["customer_id"]
    by_deal = deals.dropna(subset=["customer_id"]).groupby("customer_id")["stage"].agg(set)
    by_app = applications.dropna(subset=["customer_id"]).groupby("customer_id")["status"].agg(set)
    out = []
    for cid in ids:
        deal_stages, statuses = by_deal.get(cid, set()), by_app.get(cid, set())
        is_customer = bool(deal_stages & customer_stages) or bool(statuses & {"Accepted", "Onboarding", "Active"})
        if is_customer:
            stage = "churn_risk" if health_band.get(cid) in ("at_risk", "critical") else "customer"
        elif "Churned" in statuses:
            stage = "churned"
        elif deal_stages & opportunity_stages or "Reviewing" in statuses:
            stage = "opportunity"
        else:
            stage = "prospect"
        out.append(stage)
    return pd.Series(out, index=customers.index)
