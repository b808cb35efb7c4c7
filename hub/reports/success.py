"""Seed 003's weekly Customer Success report: health distribution and movers, usage and adoption,
support, churn risks and success stories."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from hub.kpi_catalogue import Period
from hub.reports import charts
from hub.reports.inputs import ReportInputs, in_period, kpi, kpi_table
from hub.reports.render import Chart, Report, Section, md_list, md_table
from hub.timeparse import timestamps


def health_at(inputs: ReportInputs, when: pd.Timestamp) -> pd.DataFrame:
    """Each customer's last recorded health before ``when`` (customer_health_history); today's
    scores when the history does not reach back that far (a new hub)."""
    history = inputs.health_history[inputs.health_history["as_of"] < when]
    if not len(history):
        return inputs.health[["customer_id", "health_score", "health_band"]]
    return history.sort_values("as_of").groupby("customer_id").tail(1)


def customer_success(inputs: ReportInputs, period: Period, folder: Path) -> Report:
    now, before = health_at(inputs, period.end), health_at(inputs, period.start)
    if not (inputs.health_history["as_of"] < period.start).any():
        before = before.iloc[0:0]  # no history from before the week: nobody "moved"
    bands = now["health_band"].fillna("unknown").value_counts().to_dict()
    names = inputs.customers.set_index("customer_id")["name"].to_dict()
    moved = now.merge(before, on="customer_id", suffixes=("", "_before"))
    # Numeric even when nobody is scored yet (an empty read is object-typed and nlargest refuses it).
    moved["change"] = pd.to_numeric(moved["health_score"]) - pd.to_numeric(moved["health_score_before"])
    moved["customer"] = moved["customer_id"].map(names).fillna(moved["customer_id"])
    up, down = moved.nlargest(5, "change"), moved.nsmallest(5, "change")
    down = down[down["change"] < 0]
    up = up[up["change"] > 0]
    week = in_period(inputs.usage_daily, "date", period)
    per = week.groupby("customer_id")[["api_calls", "sign_operations", "verify_operations"]].sum()
    active = per[per["api_calls"] > 0]
    both = int(((active["sign_operations"] > 0) & (active["verify_operations"] > 0)).sum())
    activities = inputs.kpi.activities
    tickets = activities[activities["kind"].isin(["ticket", "case"])]
    opened = tickets[period.holds(timestamps(tickets["occurred_at"])).fillna(False).astype(bool)]
    risk = inputs.churn_risk.sort_values("churn_probability", ascending=False).head(10).copy()
    risk["customer"] = risk["customer_id"].map(names).fillna(risk["customer_id"])
    stories = inputs.health[inputs.health["health_band"].isin(["excellent", "good"])
                            & (pd.to_numeric(inputs.health["usage_growth_pct"], errors="coerce") > 0)]
    stories = stories.assign(health_score=pd.to_numeric(stories["health_score"])).nlargest(5, "health_score").assign(
        customer=lambda f: f["customer_id"].map(names).fillna(f["customer_id"]))
    scored = len(now)
    summary = "\n".join([
        f"- Customers scored: **{scored}** — " + ", ".join(f"{b} {n}" for b, n in bands.items()),
        f"- Average health score: **{now['health_score'].mean():.1f}**" if scored else "- Average health score: —",
        f"- Active customers this week: **{len(active)}**, using both sign and verify: **{both}**",
        f"- Tickets and cases opened: **{len(opened)}**",
        f"- Highest churn risks: {', '.join(risk['customer'].astype(str).head(3)) or 'none scored'}"])
    trend = inputs.health_history[(inputs.health_history["as_of"] >= period.end - pd.Timedelta(weeks=12))
                                  & (inputs.health_history["as_of"] < period.end)]
    shares = trend.pivot_table(index="as_of", columns="health_band", values="customer_id", aggfunc="count")
    series = {band: shares[band] for band in shares.columns}
    figures = [kpi(inputs, k, period) for k in ("active_beta_customers", "weekly_active_usage",
                                                "api_calls_per_active_customer_week", "tickets_opened")]
    return Report("weekly_customer_success", "Customer success report", period, summary, [
        Section("Health distribution", "Each customer's last health score before the week ended.", charts=[
            Chart("Customers per health band", charts.bands(folder / "health_bands.png",
                                                            "Customers per health band", bands)),
            Chart("Health bands over time", charts.trend(folder / "health_trend.png",
                                                         "Customers per band, last 12 weeks", series,
                                                         highlight=(period.start, period.end)))]),
        Section("Movers", "**Up**\n\n" + md_table(up, {"customer": "customer", "health_score": "score",
                                                       "change": "change"}, "nobody moved up")
                + "\n\n**Down**\n\n" + md_table(down, {"customer": "customer", "health_score": "score",
                                                        "change": "change"}, "nobody moved down")),
        Section("Usage and adoption", kpi_table(figures), charts=[Chart("Adoption", charts.funnel(
            folder / "adoption.png", "Adoption this week",
            [("scored customers", scored), ("active", len(active)), ("sign and verify", both)]))]),
        Section("Support", f"{len(opened)} tickets and cases opened this week; "
                           f"{int(pd.to_numeric(inputs.health['open_tickets'], errors='coerce').sum())} open now.",
                charts=[Chart("Tickets per kind", charts.bars(folder / "tickets.png", "Tickets and cases opened",
                                                              opened["kind"].value_counts().to_dict()))]),
        Section("Churn risks", md_table(risk, {"customer": "customer", "churn_probability": "probability",
                                               "risk_band": "band", "top_factors": "why"}, "no churn scores")),
        Section("Success stories", md_list([f"{r.customer}: health {r.health_score:.0f}, usage "
                                            f"{float(r.usage_growth_pct):+.0f} % week on week"
                                            for r in stories.itertuples()], "no healthy customer growing")),
    ])
