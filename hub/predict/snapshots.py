"""Today's churn snapshot from the hub's tables: what ``churn_snapshots`` records each run."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hub.predict.features import SNAPSHOT_COLUMNS


def todays_snapshot(health: pd.DataFrame, customers: pd.DataFrame, deals: pd.DataFrame,
                    as_of: pd.Timestamp) -> pd.DataFrame:
    """One row per customer with a health row: its health figures, lifecycle stage, MRR, first
    seen day and next renewal (the next anniversary of its first won deal's close date)."""
    if health.empty:
        return pd.DataFrame(columns=SNAPSHOT_COLUMNS)
    people = customers.set_index("customer_id")
    out = health.drop(columns=["as_of"], errors="ignore").copy()
    out["as_of"] = as_of.strftime("%Y-%m-%d")
    for column in ("lifecycle_stage", "mrr"):
        out[column] = out["customer_id"].map(people[column])
    first_seen = pd.to_datetime(out["customer_id"].map(people["first_seen_at"]), errors="coerce", utc=True)
    out["first_seen_at"] = first_seen.dt.strftime("%Y-%m-%d")
    out["renewal_on"] = out["customer_id"].map(next_renewal(deals, as_of))
    for column in SNAPSHOT_COLUMNS:
        if column not in out:
            out[column] = np.nan
    return out[SNAPSHOT_COLUMNS]


def next_renewal(deals: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    """Per customer with a won deal: the first anniversary of its earliest win on or after ``as_of``."""
    won = deals[deals["is_won"].astype("boolean").fillna(False).astype(bool) & deals["customer_id"].notna()]
    start = pd.to_datetime(won["close_date"], errors="coerce", utc=True).dt.tz_localize(None).dt.normalize()
    first = start.groupby(won["customer_id"]).min().dropna()
    if first.empty:
        return pd.Series(dtype=object)
    day = as_of.tz_localize(None) if as_of.tzinfo else as_of
    years = np.maximum(np.ceil(((day - first).dt.days / 365.25).to_numpy()), 1)
    renewal = first + pd.to_timedelta(np.round(years * 365.25), unit="D")
    return renewal.dt.strftime("%Y-%m-%d")


def open_pipeline(deals: pd.DataFrame, as_of: pd.Timestamp, term_months: float = 12.0) -> pd.DataFrame:
    """The open deals today as ``pipeline_snapshots`` rows (MRR is the amount over the contract
    term, ``reconcile.contract_term_months``, as the customers' MRR)."""
    closed = deals["is_closed"].astype("boolean").fillna(False).astype(bool)
    open_deals = deals[~closed]
    return pd.DataFrame({"as_of": as_of.strftime("%Y-%m-%d"), "deal_id": open_deals["deal_id"],
                         "customer_id": open_deals["customer_id"],
                         "mrr": (pd.to_numeric(open_deals["amount"], errors="coerce") / float(term_months)).round(2),
                         "probability": pd.to_numeric(open_deals["probability"], errors="coerce"),
                         "close_date": open_deals["close_date"]})
