"""Seed 000's weekly Acquisition, Beta Engagement and Revenue Pipeline reports, and seed 003's
weekly Customer Success report."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from hub.kpi_catalogue import CONVERTED, Period
from hub.reports import charts
from hub.reports.inputs import ReportInputs, in_period, kpi, kpi_table
from hub.reports.period import trailing
from hub.reports.render import Chart, Report, Section, md_list, md_table
from hub.timeparse import timestamps

QUALIFIED_SCORE = 30  # seed 000: an application scoring 30+ is worth a call
TREND_WEEKS = 12


def _weekly(frame: pd.DataFrame, column: str, period: Period, value: str | None = None) -> pd.Series:
    """Per-week sums (or row counts) for the trailing weeks, indexed by week label."""
    out = {}
    for week in trailing(period, TREND_WEEKS):
        rows = in_period(frame, column, week)
        out[week.label] = float(rows[value].sum()) if value else float(len(rows))
    return pd.Series(out)


def acquisition(inputs: ReportInputs, period: Period, folder: Path) -> Report:
    apps = inputs.kpi.applications.copy()
    week = in_period(apps, "applied_on", period)
    qualified = week[pd.to_numeric(week["priority_score"], errors="coerce") >= QUALIFIED_SCORE]
    accepted = week[week["status"].isin(CONVERTED)]
    sources = week["source"].fillna("unknown").value_counts()
    acceptance = kpi(inputs, "acceptance_rate", period)
    avg = pd.to_numeric(week["priority_score"], errors="coerce").mean()
    summary = "\n".join([
        f"- Applications received: **{len(week)}**",
        f"- Qualified applications (priority score ≥ {QUALIFIED_SCORE}): **{len(qualified)}**",
        f"- Accepted to beta: **{len(accepted)}**",
        f"- Top sources: {', '.join(f'{s} ({n})' for s, n in sources.head(3).items()) or 'none'}",
        f"- Average score: **{'—' if pd.isna(avg) else f'{avg:.1f}'}**",
        f"- Conversion rate (accepted ÷ decided): **{acceptance.shown()}**"])
    figures = [kpi(inputs, k, period) for k in ("applications", "applications_total", "acceptance_rate",
                                                "average_priority_score")]
    industries = week["industry"].fillna("unknown").value_counts().head(8)
    return Report("weekly_acquisition", "Acquisition report", period, summary, [
        Section("KPIs", kpi_table(figures)),
        Section("Applications per week", charts=[Chart("Applications per week", charts.trend(
            folder / "applications_trend.png", f"Applications per week (last {TREND_WEEKS})",
            {"applications": _weekly(apps, "applied_on", period)}, ylabel="applications"))]),
        Section("Funnel", "Received → qualified → accepted, for the week's applications.", charts=[Chart(
            "Application funnel", charts.funnel(folder / "funnel.png", "This week's applications",
                                                [("received", len(week)), ("qualified", len(qualified)),
                                                 ("accepted", len(accepted))]))]),
        Section("Sources and industries", md_table(sources.rename_axis("source").reset_index(name="applications"),
                                                   {"source": "source", "applications": "applications"}),
                charts=[Chart("Applications by source", charts.bars(folder / "sources.png", "Applications by source",
                                                                    sources.head(8).to_dict(), horizontal=True)),
                        Chart("Applications by industry", charts.bars(folder / "industries.png",
                                                                      "Applications by industry",
                                                                      industries.to_dict(), horizontal=True))]),
    ])


def beta_engagement(inputs: ReportInputs, period: Period, folder: Path) -> Report:
    usage = inputs.usage_daily
    week = in_period(usage, "date", period)
    calls, errors = float(week["api_calls"].sum()), float(week["errors"].sum())
    active = week.loc[week["api_calls"] > 0, "customer_id"].nunique()
    weekly_users = int(week.groupby("customer_id")["active_users"].max().sum()) if len(week) else 0
    alerts = in_period(inputs.alerts, "first_fired_at", period)
    issues = alerts["rule"].value_counts().head(5)
    summary = "\n".join([
        f"- Active beta customers: **{active}**",
        f"- Weekly active users (peak per customer, summed): **{weekly_users}**",
        f"- API calls: **{calls:,.0f}**",
        f"- Sign operations: **{week['sign_operations'].sum():,.0f}**",
        f"- Verify operations: **{week['verify_operations'].sum():,.0f}**",
        f"- Error rate: **{(errors / calls if calls else 0):.2%}**",
        f"- Top issues: {', '.join(f'{r} ({n})' for r, n in issues.items()) or 'no alerts raised this week'}"])
    figures = [kpi(inputs, k, period) for k in ("active_beta_customers", "daily_active_users", "weekly_active_usage",
                                                "api_calls_per_active_customer_week", "pmf_response_rate")]
    recent = usage[usage["date"] >= period.end - pd.Timedelta(weeks=8)]
    daily = recent.groupby("date")[["api_calls", "sign_operations", "verify_operations"]].sum()
    top = pd.to_numeric(week.groupby("customer_id")["api_calls"].sum()).nlargest(10)  # numeric when empty too
    names = inputs.customers.set_index("customer_id")["name"].to_dict()
    return Report("weekly_beta_engagement", "Beta engagement report", period, summary, [
        Section("KPIs", kpi_table(figures)),
        Section("Usage trend", "Daily totals over the last eight weeks; this week shaded.", charts=[Chart(
            "Daily API calls", charts.trend(folder / "usage_trend.png", "API calls, sign and verify operations per day",
                                            {"API calls": daily["api_calls"], "sign": daily["sign_operations"],
                                             "verify": daily["verify_operations"]},
                                            highlight=(period.start, period.end)))]),
        Section("Most active customers", charts=[Chart("Top customers by API calls", charts.bars(
            folder / "top_customers.png", "API calls this week, top 10 customers",
            {str(names.get(c) or c)[:28]: v for c, v in top.items()}, horizontal=True))]),
        Section("Top issues", md_list([f"{r}: {n} alert(s)" for r, n in issues.items()],
                                      "no alerts raised this week")),
    ])


def revenue_pipeline(inputs: ReportInputs, period: Period, folder: Path) -> Report:
    deals = inputs.kpi.deals.copy()
    deals["amount"] = pd.to_numeric(deals["amount"], errors="coerce")
    deals["probability"] = pd.to_numeric(deals["probability"], errors="coerce")
    is_open = ~deals["is_closed"].fillna(False).astype(bool)
    won = deals[deals["is_won"].fillna(False).astype(bool)]
    won_week = won[period.holds(timestamps(won["close_date"])).fillna(False).astype(bool)]
    open_deals = deals[is_open]
    weighted = (open_deals["amount"] * open_deals["probability"].fillna(0)).sum()
    apps = in_period(inputs.kpi.applications, "applied_on", period)
    qualified = (pd.to_numeric(apps["priority_score"], errors="coerce") >= QUALIFIED_SCORE).sum()
    forecast = kpi(inputs, "forecast_next_month", period)
    model = inputs.revenue_forecast.sort_values("months_ahead") if len(inputs.revenue_forecast) else None
    summary = "\n".join([
        f"- Qualified leads (applications scoring ≥ {QUALIFIED_SCORE} this week): **{int(qualified)}**",
        f"- Beta conversions (deals won this week): **{len(won_week)}**",
        f"- Pipeline value (open deals): **${open_deals['amount'].sum():,.0f}**",
        f"- Expected value (probability-weighted): **${weighted:,.0f}**",
        f"- Deal probability (mean of open deals): **{open_deals['probability'].mean():.0%}**"
        if len(open_deals) and open_deals["probability"].notna().any() else "- Deal probability: **—**",
        f"- Next month forecast (weighted by close date): **{forecast.shown()}**"
        + (f" — {forecast.reason}" if forecast.value is None and forecast.reason else "")])
    by_stage = open_deals.groupby(open_deals["stage"].fillna("unknown"))
    stage_value = by_stage["amount"].sum().sort_values(ascending=False).head(10)
    figures = [kpi(inputs, k, period) for k in ("pipeline_value", "weighted_pipeline", "win_rate",
                                                "average_deal_size", "sales_cycle_days", "forecast_next_month")]
    sections = [
        Section("KPIs", kpi_table(figures)),
        Section("Pipeline by stage", charts=[Chart("Open pipeline by stage", charts.bars(
            folder / "pipeline_by_stage.png", "Open pipeline value by stage ($)", stage_value.to_dict(),
            horizontal=True))]),
        Section("Deals won this week", md_table(won_week.sort_values("amount", ascending=False).head(15),
                                                {"source": "CRM", "stage": "stage", "amount": "amount",
                                                 "close_date": "closed"}, "no deals won this week")),
    ]
    if model is not None and model["forecast_mrr"].notna().any():
        line = model.set_index("month_end")
        sections.append(Section("MRR forecast", "From `analytics.revenue_forecast` (80 % interval).", charts=[Chart(
            "MRR forecast", charts.trend(folder / "mrr_forecast.png", "MRR forecast by month",
                                         {"forecast": line["forecast_mrr"], "low": line["low_mrr"],
                                          "high": line["high_mrr"]}, ylabel="MRR ($)"))]))
    elif model is not None and len(model):
        sections.append(Section("MRR forecast", str(model["reason"].dropna().iloc[0])
                                if model["reason"].notna().any() else "no forecast"))
    return Report("weekly_revenue_pipeline", "Revenue pipeline report", period, summary, sections)
