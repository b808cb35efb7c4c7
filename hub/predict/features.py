"""Churn features and labels from the hub's own snapshots (``churn_snapshots``).

A snapshot is one customer on one day as the hub saw it then: health components, usage,
support and relationship figures, onboarding progress, MRR and the next renewal. Features are
read from that row and from the same customer's snapshot about four weeks earlier (trends),
never from anything later. A snapshot's label for a horizon of H days is whether the customer
shows as churned in a snapshot within H days after it; it is known only once H days have passed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SNAPSHOT_COLUMNS = [
    "customer_id", "as_of", "lifecycle_stage", "health_band", "health_score", "usage_score", "support_score",
    "relationship_score", "outcome_score", "coverage", "api_calls_7d", "api_calls_prev_7d", "active_days_7d",
    "error_rate_7d", "open_tickets", "tickets_30d", "contacts", "days_since_interaction", "satisfaction",
    "activation_done", "first_seen_at", "renewal_on", "mrr",
]
TREND_DAYS = 28
TREND_TOLERANCE_DAYS = 10  # the earlier snapshot may be up to this much older than four weeks
CHURNED = "churned"

# Feature name -> how a value reads in a customer's top factors ({v}: the raw value).
FEATURES = {
    "usage_score": "usage score {v:.0f}",
    "support_score": "support score {v:.0f}",
    "relationship_score": "relationship score {v:.0f}",
    "outcome_score": "outcome score {v:.0f}",
    "health_change_28d": "health {v:+.0f} points in 4 weeks",
    "calls_7d_log": "{raw_calls:.0f} API calls in 7 days",
    "calls_change_28d": "API calls {pct:+.0f}% over 4 weeks",
    "calls_change_7d": "API calls {pct:+.0f}% on the week before",
    "active_days_7d": "active {v:.0f} of 7 days",
    "error_rate_7d": "error rate {pct_v:.1f}%",
    "open_tickets": "{v:.0f} open tickets",
    "tickets_30d": "{v:.0f} tickets in 30 days",
    "single_threaded": "one contact only (single-threaded)",
    "contacts": "{v:.0f} engaged contacts",
    "days_since_interaction": "{v:.0f} days since the last interaction",
    "satisfaction": "satisfaction {v:.0f}/10",
    "no_survey": "no survey answer yet",
    "activation_done": "onboarding {v:.0f}/5 steps",
    "tenure_days": "customer for {v:.0f} days",
    "renewal_within_30d": "renewal in {days_to_renewal:.0f} days",
    "mrr_log": "MRR {raw_mrr:,.0f}",
}


def churn_dates(snapshots: pd.DataFrame) -> pd.Series:
    """Per customer, the first day a snapshot shows them churned (lifecycle stage or band)."""
    gone = snapshots[(snapshots["lifecycle_stage"] == CHURNED) | (snapshots["health_band"] == CHURNED)]
    return pd.to_datetime(gone.groupby("customer_id")["as_of"].min())


def first_gone(customer_ids: pd.Series, snapshots: pd.DataFrame) -> pd.Series:
    """Per row, the day its customer first shows churned (NaT when never). Mapped by hand when
    nobody has churned yet: pandas cannot map through an empty datetime Series."""
    dates = churn_dates(snapshots)
    if dates.empty:
        return pd.Series(pd.NaT, index=customer_ids.index, dtype="datetime64[ns]")
    return customer_ids.map(dates)


def live_snapshots(snapshots: pd.DataFrame) -> pd.DataFrame:
    """Snapshots of customers not churned yet on that day, with ``as_of`` as a timestamp."""
    frame = snapshots.assign(as_of=pd.to_datetime(snapshots["as_of"]))
    if frame.empty:
        return frame.reset_index(drop=True)
    gone = first_gone(frame["customer_id"], snapshots)
    return frame[~(gone <= frame["as_of"])].reset_index(drop=True)


def features(snapshots: pd.DataFrame) -> pd.DataFrame:
    """One row of model features per live snapshot (index aligned with ``live_snapshots``)."""
    live = live_snapshots(snapshots)
    if live.empty:
        return pd.DataFrame(columns=list(FEATURES), dtype=float)
    num = {c: pd.to_numeric(live[c], errors="coerce").astype(float) for c in SNAPSHOT_COLUMNS
           if c not in ("customer_id", "as_of", "lifecycle_stage", "health_band", "first_seen_at", "renewal_on")}
    earlier = _four_weeks_earlier(live)
    calls, prev = num["api_calls_7d"], num["api_calls_prev_7d"]
    renewal_days = (pd.to_datetime(live["renewal_on"], errors="coerce") - live["as_of"]).dt.days
    out = pd.DataFrame({
        "usage_score": num["usage_score"], "support_score": num["support_score"],
        "relationship_score": num["relationship_score"], "outcome_score": num["outcome_score"],
        "health_change_28d": num["health_score"] - earlier["health_score"],
        "calls_7d_log": np.log1p(calls.clip(lower=0)),
        "calls_change_28d": np.log((calls + 20) / (earlier["api_calls_7d"] + 20)),
        "calls_change_7d": np.log((calls + 20) / (prev + 20)),
        "active_days_7d": num["active_days_7d"], "error_rate_7d": num["error_rate_7d"],
        "open_tickets": num["open_tickets"], "tickets_30d": num["tickets_30d"],
        "single_threaded": (num["contacts"] <= 1).astype(float).where(num["contacts"].notna()),
        "contacts": num["contacts"], "days_since_interaction": num["days_since_interaction"],
        "satisfaction": num["satisfaction"], "no_survey": num["satisfaction"].isna().astype(float),
        "activation_done": num["activation_done"],
        "tenure_days": (live["as_of"] - pd.to_datetime(live["first_seen_at"], errors="coerce")).dt.days,
        "renewal_within_30d": renewal_days.between(0, 30).astype(float).where(renewal_days.notna()),
        "mrr_log": np.log1p(num["mrr"].clip(lower=0)),
    })
    return out[list(FEATURES)].astype(float)


def labels(snapshots: pd.DataFrame, horizon_days: int) -> pd.Series:
    """Per live snapshot: 1 when the customer shows churned within ``horizon_days`` after it, 0 when
    not, NaN while the horizon has not passed (the latest snapshot day is the edge of knowledge;
    an early churn is not counted before then either, or the known labels would lean to churn)."""
    live = live_snapshots(snapshots)
    if live.empty:
        return pd.Series(dtype=float)
    last_day = pd.to_datetime(snapshots["as_of"]).max()
    gone = first_gone(live["customer_id"], snapshots)
    churned = (gone > live["as_of"]) & (gone <= live["as_of"] + pd.Timedelta(days=horizon_days))
    known = live["as_of"] + pd.Timedelta(days=horizon_days) <= last_day
    return churned.astype(float).where(known)


def _four_weeks_earlier(live: pd.DataFrame) -> pd.DataFrame:
    """The same customer's snapshot about four weeks before each one (NaN when there is none)."""
    left = pd.DataFrame({"row": np.arange(len(live)), "customer_id": live["customer_id"].to_numpy(),
                         "lookup": live["as_of"] - pd.Timedelta(days=TREND_DAYS)})
    right = live[["customer_id", "as_of", "health_score", "api_calls_7d"]].copy()
    right["health_score"] = pd.to_numeric(right["health_score"], errors="coerce")
    right["api_calls_7d"] = pd.to_numeric(right["api_calls_7d"], errors="coerce")
    merged = pd.merge_asof(left.sort_values("lookup"), right.sort_values("as_of"), left_on="lookup",
                           right_on="as_of", by="customer_id", direction="backward",
                           tolerance=pd.Timedelta(days=TREND_TOLERANCE_DAYS))
    return merged.sort_values("row").set_index("row")[["health_score", "api_calls_7d"]].reset_index(drop=True)
