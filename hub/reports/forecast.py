"""The MRR forecast as a report shows it: the next one to three months with their 80 % interval and
the backtest's error, as ``analytics.revenue_forecast`` stored it (hub/predict/forecast.py), or why
there is none yet."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from hub.kpi_catalogue import Period
from hub.reports import charts
from hub.reports.render import Chart, Section

METHOD = ("Today's MRR of paying customers, less each customer's MRR × its churn probability (churn model), "
          "plus open deals weighted by stage probability when they are expected to close within the month; "
          "the interval holds 80 % of 2,000 simulated futures. It leaves out expansion, contraction and deals "
          "not yet in the pipeline, so the interval is too narrow (docs/predictions.md).")


@dataclass(frozen=True)
class Outlook:
    """The latest forecast made by a period's end: its rows (``months_ahead`` 1–3), or the reason
    there is no figure."""
    as_of: str | None
    rows: pd.DataFrame
    reason: str | None

    @property
    def shown(self) -> bool:
        return self.reason is None


def outlook(forecasts: pd.DataFrame, period: Period) -> Outlook:
    """The forecast as it stood at the end of ``period``: the latest one made on or before the day
    after it (a monthly report rendered on the 1st reads that morning's forecast), never a later one."""
    if forecasts is None or forecasts.empty:
        return Outlook(None, pd.DataFrame(), "analytics/revenue_forecast has not run")
    by = period.end.strftime("%Y-%m-%d")
    made = forecasts[forecasts["as_of"].astype(str) <= by]
    if made.empty:
        return Outlook(None, pd.DataFrame(), f"none was made by {by} (the first is from {forecasts['as_of'].min()})")
    as_of = str(made["as_of"].max())
    rows = made[made["as_of"].astype(str) == as_of].sort_values("months_ahead").reset_index(drop=True)
    if rows["forecast_mrr"].isna().all():
        reasons = rows["reason"].dropna()
        return Outlook(as_of, rows, str(reasons.iloc[0]) if len(reasons) else "the forecast holds no figure")
    return Outlook(as_of, rows, None)


def actual_by_month(mrr_by_day: pd.Series, periods: list[Period]) -> pd.Series:
    """Each period's MRR at its last recorded day (None for a period with no snapshot)."""
    out = {}
    for p in periods:
        days = mrr_by_day[(mrr_by_day.index >= p.start.strftime("%Y-%m-%d"))
                          & (mrr_by_day.index < p.end.strftime("%Y-%m-%d"))]
        out[p.label] = float(days.iloc[-1]) if len(days) else None
    return pd.Series(out, dtype=float)


def _money(value: object) -> str:
    return "—" if value is None or pd.isna(value) else f"${float(value):,.0f}"


def _mape(value: object) -> str:
    return "—" if value is None or pd.isna(value) else f"{float(value) * 100:.2f} %"


def summary_line(view: Outlook) -> str:
    """The summary's one line: next month's figure with its interval and error, or why there is none."""
    if not view.shown:
        return f"- Forecast: no forecast yet: {view.reason}"
    first = view.rows.iloc[0]
    return (f"- Forecast: MRR next month **{_money(first['forecast_mrr'])}** (80 %: {_money(first['low_mrr'])}–"
            f"{_money(first['high_mrr'])}; backtest error {_mape(first['backtest_mape'])})")


def table(view: Outlook) -> str:
    lines = ["| months ahead | month end | forecast MRR | 80 % interval | expected churn | weighted pipeline "
             "| backtest MAPE |", "|---:|---|---:|---|---:|---:|---:|"]
    for _, r in view.rows.iterrows():
        lines.append(f"| {int(r['months_ahead'])} | {r['month_end']} | {_money(r['forecast_mrr'])} | "
                     f"{_money(r['low_mrr'])} – {_money(r['high_mrr'])} | −{_money(r['expected_churn_mrr'])} | "
                     f"+{_money(r['pipeline_mrr'])} | {_mape(r['backtest_mape'])} |")
    return "\n".join(lines)


def section(view: Outlook, history: pd.Series, folder: Path) -> Section:
    """The report section: the table, how it is made and how well it did, and the chart of actual
    MRR by month running into the forecast; or "no forecast yet" and why."""
    if not view.shown:
        return Section("Revenue forecast", f"No forecast yet: {view.reason}.")
    first = view.rows.iloc[0]
    origins = int(first["backtest_origins"]) if pd.notna(first.get("backtest_origins")) else 0
    backtest = (f"Backtest: mean absolute percentage error over {origins} past origins replayed from what was "
                "known then." if origins else f"No backtest yet: {first.get('reason') or 'too little history'}.")
    text = "\n\n".join([f"Forecast made {view.as_of}, from `analytics.revenue_forecast`.", table(view),
                        f"{METHOD} {backtest}"])
    ahead = view.rows.set_index(view.rows["month_end"].astype(str))
    now = pd.DataFrame({"forecast_mrr": [first["current_mrr"]], "low_mrr": [first["current_mrr"]],
                        "high_mrr": [first["current_mrr"]]}, index=[f"{view.as_of} (now)"])
    path = charts.forecast(folder / "mrr_forecast.png", "MRR: actual by month, then forecast with 80 % interval",
                           history, pd.concat([now, ahead[["forecast_mrr", "low_mrr", "high_mrr"]]]), ylabel="MRR ($)")
    return Section("Revenue forecast", text, charts=[Chart("MRR forecast", path)])
