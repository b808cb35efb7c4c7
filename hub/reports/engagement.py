"""Seed 001's engagement report, weekly (its ``engagement-report 7``): each beta customer's activity
in the week — API calls, sign and verify operations, errors, active days, support requests — the
quiet ones, the catalogue's engagement figures, and the tracking spreadsheets' engagement when loaded."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from hub.kpi_catalogue import BETA_STAGES, Period
from hub.reports import charts
from hub.reports.early_access import EarlyAccessInputs
from hub.reports.inputs import in_period, kpi, kpi_table
from hub.reports.render import Chart, Report, Section, md_list, md_table
from hub.timeparse import timestamps

SHOWN = 20


def engagement(inputs: EarlyAccessInputs, period: Period, folder: Path) -> Report:
    week = in_period(inputs.usage_daily, "date", period)
    per = week.groupby("customer_id").agg(api_calls=("api_calls", "sum"), sign=("sign_operations", "sum"),
                                          verify=("verify_operations", "sum"), errors=("errors", "sum"),
                                          active_days=("api_calls", lambda s: int((s > 0).sum())),
                                          peak_users=("active_users", "max"))
    activities = inputs.kpi.activities
    tickets = activities[activities["kind"].isin(["ticket", "case"])
                         & period.holds(timestamps(activities["occurred_at"])).fillna(False).astype(bool)]
    customers = inputs.customers.set_index("customer_id")
    beta = customers[customers["lifecycle_stage"].isin(BETA_STAGES)]
    per = per.reindex(per.index.union(beta.index)).fillna(0)
    per["error_rate_pct"] = (100 * per["errors"] / per["api_calls"].where(per["api_calls"] > 0)).round(1)
    names = customers["name"].to_dict()
    per["customer"] = [names.get(c) if isinstance(names.get(c), str) else c for c in per.index]
    active = per[per["api_calls"] > 0].sort_values("api_calls", ascending=False)
    quiet = per.loc[per.index.isin(beta.index) & (per["api_calls"] <= 0)]
    figures = [kpi(inputs, k, period) for k in ("active_beta_customers", "weekly_active_usage", "daily_active_users",
                                                "api_calls_per_active_customer_week")]
    totals = active[["api_calls", "sign", "verify", "errors"]].sum()
    summary = "\n".join([
        f"- Customers with API calls this week: **{len(active)}** (beta customers: {len(beta)}, quiet: {len(quiet)})",
        f"- API calls: **{totals['api_calls']:,.0f}** — sign {totals['sign']:,.0f}, verify {totals['verify']:,.0f}",
        f"- Error rate: **{100 * totals['errors'] / totals['api_calls']:.1f} %**" if totals["api_calls"]
        else "- Error rate: —",
        f"- Active days per active customer: **{active['active_days'].mean():.1f} of 7**" if len(active)
        else "- Active days per active customer: —",
        f"- Support requests (tickets and cases opened): **{len(tickets)}**",
        *(f"- {f.name}: **{f.shown()}**" for f in figures)])
    daily = (inputs.usage_daily[(inputs.usage_daily["date"] >= period.end - pd.Timedelta(weeks=8))
                                & (inputs.usage_daily["date"] < period.end)])
    by_day = daily.groupby("date").agg(calls=("api_calls", "sum"),
                                       customers=("api_calls", lambda s: int((s > 0).sum())))
    columns = {"customer": "customer", "api_calls": "API calls", "sign": "sign", "verify": "verify",
               "errors": "errors", "error_rate_pct": "error %", "active_days": "active days",
               "peak_users": "peak users"}
    return Report("weekly_engagement", "Engagement report", period, summary, [
        Section("Engagement figures", kpi_table(figures), charts=[
            Chart("Active customers per day", charts.trend(
                folder / "active_customers.png", "Customers with API calls per day, last 8 weeks",
                {"customers": by_day["customers"]}, highlight=(period.start, period.end))),
            Chart("API calls by customer", charts.bars(
                folder / "calls_by_customer.png", "API calls this week, top 10 customers",
                dict(zip(active["customer"].astype(str).head(10), active["api_calls"].head(10), strict=True)),
                horizontal=True, xlabel="API calls"))]),
        Section("Customers this week", md_table(active.head(SHOWN), columns, "no API calls this week")
                + (f"\n\nThe top {SHOWN} of {len(active)}." if len(active) > SHOWN else "")),
        Section("Quiet beta customers", md_list(sorted(quiet["customer"].astype(str)),
                                                "every beta customer called the API this week")),
        _tracking(inputs, period, folder),
    ])


def _tracking(inputs: EarlyAccessInputs, period: Period, folder: Path) -> Section:
    """The tracking spreadsheets' engagement for the week (seed 001 ``engagement-report 7``)."""
    tracked = inputs.tracked_engagement
    if not len(tracked) or not tracked[["issues_tagged", "prs_generated"]].to_numpy().any():
        return Section("Early-access tracking", "_No tracked engagement this week: `hub track record-engagement …` "
                                                "or CSV files in HUB_TRACKING_DIR (README \"Tracking spreadsheets\")._")
    totals = tracked[["issues_tagged", "prs_generated", "prs_merged", "prs_rejected", "support_requests"]].sum()
    text = md_table(tracked, {"customer_id": "id", "organization": "organization", "issues_tagged": "issues tagged",
                              "prs_generated": "PRs generated", "prs_merged": "merged", "prs_rejected": "rejected",
                              "merge_rate_pct": "merge %", "support_requests": "support", "active_days": "active days"})
    return Section("Early-access tracking", text, charts=[Chart("Tracked activity", charts.bars(
        folder / "tracked_activity.png", f"Tracked activity, {period.label}",
        {k.replace("_", " "): int(v) for k, v in totals.items()}, xlabel="count"))])
