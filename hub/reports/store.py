"""Render a report for a period: files under ``HUB_HOME/reports/<name>/<period>/`` and its row in
``analytics.reports`` — the one step writing that table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from hub.kpi_catalogue import Period
from hub.pipeline.steps import step
from hub.reports import early_access, engagement, monthly, onboarding, success, weekly
from hub.reports.inputs import TABLES, ReportInputs, read_inputs
from hub.reports.render import Report, to_html, to_markdown
from hub.warehouse import Warehouse, utcnow

Builder = Callable[[ReportInputs, Period, Path], Report]

# name -> (grain, builder); the order is the order `hub demo` and the docs list them in.
REPORTS: dict[str, tuple[str, Builder]] = {
    "weekly_acquisition": ("week", weekly.acquisition),
    "weekly_beta_engagement": ("week", weekly.beta_engagement),
    "weekly_revenue_pipeline": ("week", weekly.revenue_pipeline),
    "weekly_customer_success": ("week", success.customer_success),
    "monthly_pmf": ("month", monthly.pmf),
    "monthly_satisfaction": ("month", monthly.satisfaction),
    "monthly_business_review": ("month", monthly.business_review),
    "weekly_engagement": ("week", engagement.engagement),
    "monthly_onboarding": ("month", onboarding.onboarding),
}
# Seed 001's reports also read the onboarding milestones and the tracking spreadsheets.
EARLY_ACCESS = {"weekly_engagement", "monthly_onboarding"}


@dataclass(frozen=True)
class Rendered:
    name: str
    period: Period
    folder: Path
    markdown: str
    charts: list[Path]

    @property
    def html(self) -> Path:
        return self.folder / "report.html"


def folder_of(home: Path, name: str, period: Period) -> Path:
    return home / "reports" / name / period.label


@step(assets=tuple(f"analytics/reports/{name}" for name in REPORTS), reads=(*TABLES, *early_access.TABLES),
      writes=("analytics.reports",))
def render_reports(warehouse: Warehouse, config: dict[str, Any], names: list[str], period: Period,
                   home: Path) -> list[Rendered]:
    """Render ``names`` (all of ``period``'s grain) from one read of the inputs."""
    for name in names:
        if name not in REPORTS:
            raise KeyError(f"no report {name!r}: one of {', '.join(REPORTS)}")
        if REPORTS[name][0] != period.grain:
            raise ValueError(f"report {name} is {REPORTS[name][0]}ly: give a period like "
                             f"{'2026-W48' if REPORTS[name][0] == 'week' else '2026-11'}, not {period.label}")
    inputs = read_inputs(warehouse, config)
    if EARLY_ACCESS & set(names):
        inputs = early_access.EarlyAccessInputs.of(inputs, warehouse, period)
    out, rows = [], []
    for name in names:
        folder = folder_of(home, name, period)
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.png"):  # a rerun's charts replace the last ones
            old.unlink()
        report = REPORTS[name][1](inputs, period, folder)
        rendered_at = utcnow()
        markdown = to_markdown(report, f"{rendered_at:%Y-%m-%d %H:%M} UTC")
        (folder / "report.md").write_text(markdown, encoding="utf-8")
        (folder / "report.html").write_text(to_html(report, markdown), encoding="utf-8")
        out.append(Rendered(name, period, folder, markdown, [c.path for c in report.charts]))
        rows.append({"name": name, "period": period.label, "grain": period.grain,
                     "period_start": period.start.strftime("%Y-%m-%d"), "period_end": period.end.strftime("%Y-%m-%d"),
                     "rendered_at": rendered_at, "path": str(folder), "markdown": markdown})
    warehouse.write("analytics", "reports", pd.DataFrame(rows), key=["name", "period"])
    return out


def render_report(warehouse: Warehouse, config: dict[str, Any], name: str, period: Period,
                  home: Path) -> Rendered:
    return render_reports(warehouse, config, [name], period, home)[0]
