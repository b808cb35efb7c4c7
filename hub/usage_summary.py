"""Per customer, the usage milestones over all of ``usage_daily`` and the product events: when
each first happened. Health's activation checklist reads it (``customer_usage``), so a health
recalculation never has to scan months of daily usage."""

from __future__ import annotations

import pandas as pd

from hub.timeparse import timestamps

SUMMARY_COLUMNS = ["customer_id", "first_usage_on", "first_api_call_on", "last_api_call_on", "first_sign_on",
                   "first_verify_on", "peak_active_users", "api_calls_total", "active_days_total",
                   "api_key_created_at", "first_api_call_event_at"]
PRODUCT_MILESTONES = {"API Key Created": "api_key_created_at", "First API Call": "first_api_call_event_at"}


def usage_summary(daily: pd.DataFrame, product_events: pd.DataFrame) -> pd.DataFrame:
    """``daily``: ``usage_daily`` rows; ``product_events``: customer_id, event, event_at of the
    seed's product events (``PRODUCT_MILESTONES``)."""
    by = daily.groupby("customer_id")
    calls = daily[daily["api_calls"] > 0].groupby("customer_id")
    out = pd.DataFrame({
        "first_usage_on": by["date"].min(),
        "first_api_call_on": calls["date"].min(),
        "last_api_call_on": calls["date"].max(),
        "first_sign_on": daily[daily["sign_operations"] > 0].groupby("customer_id")["date"].min(),
        "first_verify_on": daily[daily["verify_operations"] > 0].groupby("customer_id")["date"].min(),
        "peak_active_users": by["active_users"].max(),
        "api_calls_total": by["api_calls"].sum(),
        "active_days_total": calls.size(),
    })
    events = product_events.dropna(subset=["customer_id"])
    for event, column in PRODUCT_MILESTONES.items():
        chosen = events[events["event"] == event]
        first = timestamps(chosen["event_at"]).groupby(chosen["customer_id"]).min()
        out = out.reindex(out.index.union(first.index))
        out[column] = first.reindex(out.index)
    out["active_days_total"] = out["active_days_total"].fillna(0).astype(int)
    out.index.name = "customer_id"
    return out.reset_index().reindex(columns=SUMMARY_COLUMNS)
