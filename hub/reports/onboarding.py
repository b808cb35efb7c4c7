"""Seed 001's onboarding report, monthly: where each beta customer stands on the onboarding steps
(steps done, the next one), who is stuck, the catalogue's activation figures, and the early-access
tracking spreadsheets' own onboarding steps when they are loaded (``hub track``)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from hub.kpi_catalogue import Period
from hub.reports import charts
from hub.reports.early_access import STEPS, EarlyAccessInputs, journey
from hub.reports.inputs import kpi, kpi_table
from hub.reports.render import Chart, Report, Section, md_table
from hub.tracking.records import ONBOARDING_STEPS

SHOWN = 25  # customers listed by name; the counts cover everyone


def onboarding(inputs: EarlyAccessInputs, period: Period, folder: Path) -> Report:
    now = journey(inputs, period.end)
    new = now[(pd.to_datetime(now["applied_on"], utc=True, errors="coerce") >= period.start)]
    complete = int((now["next_step"] == "complete").sum())
    reached = [(label, int(now[step].sum())) for step, label in STEPS.items()]
    stuck = now[now["next_step"] != "complete"]
    waiting = stuck["next_step"].value_counts().reindex([v for v in STEPS.values()]).dropna().astype(int)
    stalled = stuck[stuck["days_since_applied"].fillna(0) > 30]
    figures = [kpi(inputs, k, period) for k in ("activation_rate_30d", "time_to_first_value_p50",
                                                "time_to_first_value_p75")]
    total = len(now)
    summary = "\n".join([
        f"- Beta customers onboarding: **{total}** ({len(new)} applied this month)",
        f"- Onboarding complete (all {len(STEPS)} steps): **{complete}**"
        + (f" ({100 * complete / total:.0f} %)" if total else ""),
        f"- Average steps done: **{now['steps_done'].mean():.1f} of {len(STEPS)}**" if total
        else "- Average steps done: —",
        f"- Stalled (not complete 30+ days after applying): **{len(stalled)}**",
        *(f"- {f.name}: **{f.shown()}**" + (f" (target {f.target:g})" if f.target is not None else "")
          for f in figures)])
    listed = stuck.sort_values(["steps_done", "days_since_applied"], ascending=[True, False]).head(SHOWN)
    columns = {"customer": "customer", "applied_on": "applied", "steps_done": "steps done",
               "completion_pct": "complete %", "next_step": "next step", "days_since_applied": "days since applied"}
    sections = [
        Section("Onboarding steps", f"Customers who reached each step by the end of {period.label}; a step "
                                    "counts once its milestone is recorded (usage events, usage_daily).\n\n"
                + kpi_table(figures), charts=[
                    Chart("Onboarding steps", charts.funnel(folder / "onboarding_steps.png",
                                                            "Beta customers per onboarding step", reached)),
                    Chart("Next steps", charts.bars(folder / "next_steps.png", "Where customers wait: next step",
                                                    waiting.to_dict(), horizontal=True, xlabel="customers"))]),
        Section("Customers still onboarding",
                (f"The {min(SHOWN, len(stuck))} furthest behind of {len(stuck)}.\n\n" if len(stuck) > SHOWN else "")
                + md_table(listed, columns, "every beta customer has completed onboarding")),
        Section("Applied this month", md_table(new.sort_values("applied_on"), columns, "no new beta customer")),
        _tracking(inputs, folder),
    ]
    return Report("monthly_onboarding", "Onboarding report", period, summary, sections)


def _tracking(inputs: EarlyAccessInputs, folder: Path) -> Section:
    """The tracking spreadsheets' onboarding (seed 001 ``onboarding-report``), as loaded now."""
    tracked = inputs.tracked_onboarding
    if not len(tracked):
        return Section("Early-access tracking", "_No tracking spreadsheets loaded: `hub track add-customer …` or "
                                                "CSV files in HUB_TRACKING_DIR (README \"Tracking spreadsheets\")._")
    steps_total = int(tracked["steps_total"].max())
    done = tracked["steps_done"].value_counts().reindex(range(steps_total + 1), fill_value=0)
    text = (f"{len(tracked)} tracked customers, {int((tracked['next_step'] == 'complete').sum())} through every "
            f"step ({', '.join(ONBOARDING_STEPS)}); {int(tracked['hub_customer_id'].notna().sum())} matched to a hub "
            "customer. As recorded now.\n\n"
            + md_table(tracked, {"customer_id": "id", "organization": "organization", "cohort": "cohort",
                                 "steps_done": "steps done", "completion_pct": "complete %", "next_step": "next step",
                                 "hub_customer_id": "hub customer"}))
    return Section("Early-access tracking", text, charts=[Chart("Tracked steps done", charts.bars(
        folder / "tracked_steps.png", "Tracked customers by onboarding steps done",
        {f"{k} of {steps_total}": int(v) for k, v in done.items()}, xlabel="customers"))])
