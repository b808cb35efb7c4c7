"""Seed 001's two reports over the tracking tables, each customer matched to the hub's unified
customer (by contact email, then company email domain, then organisation name)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from hub.names import company_domain_from_email, normalised_name
from hub.tracking.records import COUNTS, ONBOARDING_STEPS
from hub.warehouse import Warehouse


def hub_customers(warehouse: Warehouse, tracked: pd.DataFrame) -> pd.Series:
    """The unified ``customer_id`` of each tracked customer (index: tracking id), None when no
    source knows it or the match is ambiguous (two hub customers with that name)."""
    contacts = warehouse.read("analytics", "contacts", ["customer_id", "email"]).dropna()
    customers = warehouse.read("analytics", "customers", ["customer_id", "name", "domain"])
    by_email = _unique(contacts.assign(key=contacts["email"].str.lower()), "key")
    by_domain = _unique(customers.dropna(subset=["domain"]).assign(key=lambda f: f["domain"].str.lower()), "key")
    by_name = _unique(customers.assign(key=customers["name"].map(normalised_name)).dropna(subset=["key"]), "key")
    out = {}
    for row in tracked.itertuples():
        domain = company_domain_from_email(row.email)  # None for free mail: gmail.com names no company
        out[row.customer_id] = (by_email.get(row.email) or (by_domain.get(domain) if domain else None)
                                or by_name.get(normalised_name(row.organization) or ""))
    return pd.Series(out, dtype=object)


def _unique(frame: pd.DataFrame, key: str) -> dict[str, str]:
    counts = frame.groupby(key)["customer_id"].nunique()
    single = frame[frame[key].isin(counts[counts == 1].index)]
    return dict(zip(single[key], single["customer_id"], strict=True))


def onboarding_report(warehouse: Warehouse) -> pd.DataFrame:
    """One row per tracked customer: steps done of the onboarding steps, the next one, the hub match."""
    tracked = warehouse.read("raw", "tracking_customers").sort_values("customer_id")
    steps = warehouse.read("raw", "tracking_onboarding", ["customer_id", "step", "done"])
    all_steps = list(dict.fromkeys([*ONBOARDING_STEPS, *sorted(set(steps["step"]) - set(ONBOARDING_STEPS))]))
    done = steps[steps["done"].astype(bool)].groupby("customer_id")["step"].agg(set)
    rows = []
    for row in tracked.itertuples():
        finished = done.get(row.customer_id, set())
        missing = [s for s in all_steps if s not in finished]
        rows.append({"customer_id": row.customer_id, "organization": row.organization, "cohort": row.cohort,
                     "steps_done": len(finished), "steps_total": len(all_steps),
                     "completion_pct": round(100 * len(finished) / len(all_steps)),
                     "next_step": missing[0] if missing else "complete"})
    report = pd.DataFrame(rows, columns=["customer_id", "organization", "cohort", "steps_done", "steps_total",
                                         "completion_pct", "next_step"])
    matched = report["customer_id"].map(hub_customers(warehouse, tracked)).astype(object)
    return report.assign(hub_customer_id=matched.where(matched.notna(), None))


def engagement_report(warehouse: Warehouse, days: int, today: dt.date | None = None) -> pd.DataFrame:
    """Each tracked customer's activity over the last ``days`` days (today included)."""
    until = today or dt.datetime.now(dt.UTC).date()
    since = until - dt.timedelta(days=days - 1)
    tracked = warehouse.read("raw", "tracking_customers", ["customer_id", "organization"]).sort_values("customer_id")
    activity = warehouse.read("raw", "tracking_engagement")
    if not activity.empty:
        day = pd.to_datetime(activity["day"].astype(str)).dt.date
        activity = activity[(day >= since) & (day <= until)]
    totals = activity.groupby("customer_id")[list(COUNTS)].sum() if not activity.empty else pd.DataFrame(columns=COUNTS)
    report = tracked.join(totals, on="customer_id").fillna({c: 0 for c in COUNTS})
    report[list(COUNTS)] = report[list(COUNTS)].astype(int)
    decided = report["prs_merged"] + report["prs_rejected"]
    # of the PRs decided, the share merged (None when none was decided yet)
    report["merge_rate_pct"] = (100 * report["prs_merged"] / decided.where(decided > 0)).round(0)
    report["active_days"] = report["customer_id"].map(activity.groupby("customer_id").size()).fillna(0).astype(int)
    return report.reset_index(drop=True)
