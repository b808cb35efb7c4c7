"""Seed 000's monthly Product-Market Fit and Customer Satisfaction reports and seed 003's monthly
business review."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from hub.kpi_catalogue import Period
from hub.reports import charts, forecast
from hub.reports.inputs import STATUS_MARK, ReportInputs, in_period, kpi, kpi_table
from hub.reports.period import trailing
from hub.reports.render import Chart, Report, Section, md_list
from hub.reports.success import health_at
from hub.timeparse import timestamps

TREND_MONTHS = 6


def _kpi_trend(inputs: ReportInputs, kpi_id: str, period: Period) -> pd.Series:
    return pd.Series({p.label: kpi(inputs, kpi_id, p).value for p in trailing(period, TREND_MONTHS)}, dtype=float)


def _answered(inputs: ReportInputs, period: Period, kind: str | None = None) -> pd.DataFrame:
    surveys = inputs.kpi.surveys
    if not len(surveys):
        return surveys
    rows = surveys[period.holds(timestamps(surveys["date_responded"])).fillna(False).astype(bool)]
    return rows[rows["survey_type"].astype(str).str.contains(kind, case=False, na=False)] if kind else rows


def pmf(inputs: ReportInputs, period: Period, folder: Path) -> Report:
    score, rate = kpi(inputs, "pmf_score", period), kpi(inputs, "pmf_response_rate", period)
    trend = _kpi_trend(inputs, "pmf_score", period)
    target = 40.0
    if score.value is None:
        status = "Unknown"
    else:
        status = "Ahead" if score.value >= (score.target or 45) else "On Track" if score.value >= target else "Behind"
    previous = trend.iloc[-2] if len(trend) > 1 else None
    insights = [f"{rate.shown()} of the PMF surveys sent this month were answered ({rate.status})."]
    if score.value is not None and previous is not None and not pd.isna(previous):
        insights.append(f"PMF score moved {score.value - previous:+.1f} points from last month ({previous:.1f} %).")
    answers = _answered(inputs, period, "pmf")
    values = pd.to_numeric(answers.get("pmf_score", pd.Series(dtype=float)), errors="coerce").dropna()
    values = values * 100 if len(values) and values.max() <= 1 else values
    if len(values):
        insights.append(f"{len(values)} answers; {(values >= 40).mean():.0%} of respondents score 40 % or more.")
    actions = {"Behind": ["Interview the respondents scoring below 40 %: what would they miss least?",
                          "Raise the response rate: remind the surveyed customers' owners."],
               "On Track": ["Keep the survey cadence; ask the top scorers for testimonials."],
               "Ahead": ["Turn the highest scorers into case studies.", "Widen the beta: PMF holds."],
               "Unknown": ["Send PMF surveys (Airtable Surveys, type PMF) so the score can be measured."]}[status]
    buckets = pd.cut(values, [0, 20, 40, 60, 80, 100], include_lowest=True).value_counts().sort_index()
    summary = "\n".join([f"- PMF score: **{score.shown()}**", f"- Target: **{target:g} %**",
                         f"- Status: **{status}**", f"- Survey response rate: **{rate.shown()}**"])
    return Report("monthly_pmf", "Product-market fit report", period, summary, [
        Section("Key insights", md_list(insights)),
        Section("Action items", md_list(actions)),
        Section("PMF score over time", charts=[Chart("PMF score by month", charts.trend(
            folder / "pmf_trend.png", f"PMF score by month (last {TREND_MONTHS})", {"PMF score %": trend},
            ylabel="%", target=target))]),
        Section("Answers this month", charts=[Chart("PMF answers by score", charts.bars(
            folder / "pmf_answers.png", "PMF answers by score (%)", {str(k): v for k, v in buckets.items()}))]),
        Section("KPIs", kpi_table([score, rate])),
    ])


def satisfaction(inputs: ReportInputs, period: Period, folder: Path) -> Report:
    figures = {k: kpi(inputs, k, period) for k in ("nps", "csat", "logo_churn", "testimonials", "case_study_willing")}
    answers = _answered(inputs, period)
    scores = pd.to_numeric(answers.get("satisfaction_score", pd.Series(dtype=float)), errors="coerce").dropna()
    mean = f"{scores.mean():.1f}/10" if len(scores) else "—"
    summary = "\n".join([
        f"- NPS score: **{figures['nps'].shown()}**"
        + (f" — {figures['nps'].reason}" if figures["nps"].value is None and figures["nps"].reason else ""),
        f"- Satisfaction score: **{mean}** (CSAT, share scoring 8–10: {figures['csat'].shown()})",
        f"- Churn rate: **{figures['logo_churn'].shown()}**"
        + (f" — {figures['logo_churn'].reason}" if figures["logo_churn"].value is None
           and figures["logo_churn"].reason else ""),
        f"- Testimonials collected: **{figures['testimonials'].shown()}**",
        f"- Case studies (willing): **{figures['case_study_willing'].shown()}**"])
    distribution = scores.round().astype(int).value_counts().reindex(range(1, 11), fill_value=0)
    colours = [charts.BAND_COLOURS["red"]] * 6 + [charts.BAND_COLOURS["yellow"]] * 1 + \
              [charts.BAND_COLOURS["green"]] * 3
    return Report("monthly_satisfaction", "Customer satisfaction report", period, summary, [
        Section("KPIs", kpi_table(list(figures.values()))),
        Section("Satisfaction over time", charts=[Chart("CSAT by month", charts.trend(
            folder / "satisfaction_trend.png", f"CSAT and NPS by month (last {TREND_MONTHS})",
            {"CSAT %": _kpi_trend(inputs, "csat", period), "NPS": _kpi_trend(inputs, "nps", period)},
            target=figures["csat"].target))]),
        Section("Scores this month", charts=[Chart("Satisfaction scores", charts.bars(
            folder / "satisfaction_scores.png", "Survey answers by satisfaction score (1–10)",
            distribution.to_dict(), colours=colours))]),
    ])


def business_review(inputs: ReportInputs, period: Period, folder: Path) -> Report:
    monthly = [k for k, spec in inputs.catalogue.items() if "month" in (spec.get("grains") or [])]
    figures = [kpi(inputs, k, period) for k in monthly]
    areas: dict[str, list] = {}
    for f in figures:
        areas.setdefault(inputs.catalogue[f.kpi].get("area", "other"), []).append(f)
    statuses = pd.Series([f.status for f in figures]).value_counts()
    apps = pd.Series({p.label: float(len(in_period(inputs.kpi.applications, "applied_on", p)))
                      for p in trailing(period, TREND_MONTHS)})
    usage = pd.Series({p.label: float(in_period(inputs.usage_daily, "date", p)["api_calls"].sum())
                       for p in trailing(period, TREND_MONTHS)})
    bands = health_at(inputs, period.end)["health_band"].fillna("unknown").value_counts().to_dict()
    mrr, growth = kpi(inputs, "mrr", period), kpi(inputs, "mrr_movements", period)
    outlook = forecast.outlook(inputs.revenue_forecast, period)
    summary = "\n".join([
        f"- Monthly performance: {', '.join(f'{STATUS_MARK.get(s, s)} {n}' for s, n in statuses.items())} "
        f"of {len(figures)} monthly KPIs",
        f"- Customer acquisition: **{int(apps.iloc[-1])}** applications (last month {int(apps.iloc[-2])})",
        f"- Revenue: MRR **{mrr.shown()}**, ARR **{kpi(inputs, 'arr', period).shown()}**",
        forecast.summary_line(outlook),
        f"- Usage: **{usage.iloc[-1]:,.0f}** API calls (last month {usage.iloc[-2]:,.0f})",
        "- Health: " + ", ".join(f"{b} {n}" for b, n in bands.items())])
    sections = [Section(f"{area.title()}", kpi_table(fs)) for area, fs in areas.items()]
    unknown = [f"{f.name}: {f.reason}" for f in figures if f.status == "unknown" and f.reason]
    return Report("monthly_business_review", "Business review", period, summary, [
        Section("Scorecard", charts=[Chart("KPIs by status", charts.bands(
            folder / "scorecard.png", "Monthly KPIs by status", statuses.to_dict()))]),
        Section("Acquisition and usage", charts=[
            Chart("Applications by month", charts.trend(folder / "applications_trend.png",
                                                        f"Applications by month (last {TREND_MONTHS})",
                                                        {"applications": apps})),
            Chart("API calls by month", charts.trend(folder / "usage_trend.png",
                                                     f"API calls by month (last {TREND_MONTHS})", {"API calls": usage}))]),
        Section("Customer health", charts=[Chart("Health bands", charts.bands(
            folder / "health_bands.png", "Customers per health band at month end", bands))]),
        *sections,
        Section("Revenue movements", growth.reason or "See `mrr_movements` detail in `analytics.kpi_period`."),
        forecast.section(outlook, forecast.actual_by_month(inputs.mrr_by_day, trailing(period, TREND_MONTHS)), folder),
        Section("Strategic planning inputs: what is not measured yet", md_list(unknown, "every KPI is measured")),
    ])
