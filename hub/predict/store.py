"""The predictions against the warehouse: what they read, what they write, in one place.

Reads ``customer_health``, ``customers``, ``deals`` and the history tables; writes
``churn_snapshots``, ``churn_risk``, ``churn_model_evaluations`` (``update_churn_risk``) and
``pipeline_snapshots``, ``revenue_forecast`` (``update_revenue_forecast``). Every warehouse call
of hub.predict is in this module.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from hub.pipeline.steps import step
from hub.predict.churn import ChurnRisk, Evaluation, churn_risk
from hub.predict.evaluation import calibration_plot
from hub.predict.forecast import backtest, forecast_mrr, mape
from hub.predict.snapshots import open_pipeline, todays_snapshot
from hub.warehouse import Warehouse, utcnow

BACKTEST_EVERY_DAYS = 28


@dataclass
class ChurnRiskRun:
    risk: ChurnRisk
    snapshot_rows: int
    trained_at: str
    plot: Path | None


@dataclass
class ForecastRun:
    forecast: pd.DataFrame
    backtest: pd.DataFrame
    reason: str | None


@step(assets=("analytics/churn_risk",),
      reads=("analytics.customer_health", "analytics.customers", "analytics.deals"),
      writes=("analytics.churn_snapshots", "analytics.churn_risk", "analytics.churn_model_evaluations"),
      history=("analytics.churn_snapshots",))
def update_churn_risk(warehouse: Warehouse, today: pd.Timestamp, reports_dir: Path) -> ChurnRiskRun:
    """Record today's snapshot, learn from all snapshots, write the risk and the evaluation."""
    snapshot = todays_snapshot(warehouse.read("analytics", "customer_health"),
                               warehouse.read("analytics", "customers",
                                              ["customer_id", "lifecycle_stage", "mrr", "first_seen_at"]),
                               warehouse.read("analytics", "deals", ["customer_id", "is_won", "close_date"]), today)
    warehouse.write("analytics", "churn_snapshots", snapshot, key=["customer_id", "as_of"])
    risk = churn_risk(warehouse.read("analytics", "churn_snapshots"))
    trained_at = utcnow().isoformat(timespec="seconds")
    plot = None
    longest = risk.evaluations[-1]
    if longest.evaluated:
        plot = calibration_plot(longest.calibration, reports_dir / f"churn_calibration_{today:%Y-%m-%d}.png",
                                f"Churn in {longest.horizon_days} days, held out {longest.test_from:%Y-%m-%d}"
                                f"–{longest.test_until:%Y-%m-%d}\n({longest.test_churns} of {longest.n_test} snapshots "
                                f"churned within {longest.horizon_days} days)")
    scores = risk.scores.assign(trained_at=trained_at if risk.method == "model" else None)
    with warehouse.transaction() as conn:
        warehouse.write("analytics", "churn_risk", scores, mode="replace", conn=conn)
        warehouse.write("analytics", "churn_model_evaluations",
                        pd.DataFrame([evaluation_row(e, trained_at, plot) for e in risk.evaluations]),
                        key=["trained_at", "horizon_days"], conn=conn)
    return ChurnRiskRun(risk=risk, snapshot_rows=len(snapshot), trained_at=trained_at, plot=plot)


def evaluation_row(e: Evaluation, trained_at: str, plot: Path | None) -> dict:
    row = {"trained_at": trained_at, "horizon_days": e.horizon_days, "evaluated": e.evaluated, "reason": e.reason,
           "n_train": e.n_train, "n_test": e.n_test, "train_churns": e.train_churns, "test_churns": e.test_churns}
    if not e.evaluated:
        return row
    row.update({k: v.strftime("%Y-%m-%d") for k, v in (("train_from", e.train_from), ("train_until", e.train_until),
                                                        ("test_from", e.test_from), ("test_until", e.test_until))})
    row.update(e.model.as_dict())
    row.update(e.baseline.as_dict("baseline_"))
    row.update({"health_score_roc_auc": round(e.health_score.roc_auc, 4),
                "health_score_pr_auc": round(e.health_score.pr_auc, 4), "beats_baseline": e.beats_baseline,
                "calibration": json.dumps({k: v.to_dict("list") for k, v in e.calibration.items()}),
                "calibration_plot": str(plot) if plot else None})
    return row


@step(assets=("analytics/revenue_forecast",),
      reads=("analytics.deals", "analytics.churn_risk", "analytics.customers", "analytics.churn_snapshots"),
      writes=("analytics.pipeline_snapshots", "analytics.revenue_forecast"),
      history=("analytics.pipeline_snapshots", "analytics.revenue_forecast"))
def update_revenue_forecast(warehouse: Warehouse, today: pd.Timestamp, term_months: float = 12.0) -> ForecastRun:
    """Record today's open pipeline, forecast 1–3 months from the churn risk, backtest on history."""
    deals = warehouse.read("analytics", "deals", ["deal_id", "customer_id", "amount", "probability", "close_date",
                                                  "is_closed"])
    pipeline = open_pipeline(deals, today, term_months)
    warehouse.write("analytics", "pipeline_snapshots", pipeline, key=["as_of", "deal_id"])
    risk = warehouse.read("analytics", "churn_risk")
    customers = warehouse.read("analytics", "customers", ["customer_id", "mrr", "lifecycle_stage"])
    paying = customers[(customers["lifecycle_stage"] != "churned") & (pd.to_numeric(customers["mrr"]) > 0)]
    base = paying.merge(risk[["customer_id", "churn_probability_30d", "churn_probability_90d"]],
                        on="customer_id", how="left")
    reason = None
    if risk.empty or (risk["method"] != "model").any():
        reason = "no churn model yet: " + (risk["reason"].dropna().iloc[0] if len(risk) and risk["reason"].notna().any()
                                           else "predictions/churn_risk has not run")
    elif base["churn_probability_90d"].isna().any():
        reason = f"{int(base['churn_probability_90d'].isna().sum())} paying customers have no churn probability"
    history = _backtest_on_history(warehouse) if reason is None else pd.DataFrame()
    if reason is None:
        forecast = forecast_mrr(base, pipeline, today)
        errors = mape(history) if len(history) else pd.Series(dtype=float)
        forecast["backtest_mape"] = forecast["months_ahead"].map(errors)
        forecast["backtest_origins"] = history["origin"].nunique() if len(history) else 0
        forecast["reason"] = None if len(history) else "no backtest yet: too little history before any origin"
    else:
        forecast = pd.DataFrame({"as_of": today.strftime("%Y-%m-%d"), "months_ahead": [1, 2, 3], "reason": reason})
    warehouse.write("analytics", "revenue_forecast", forecast, key=["as_of", "months_ahead"])
    return ForecastRun(forecast=forecast, backtest=history, reason=reason)


def _backtest_on_history(warehouse: Warehouse) -> pd.DataFrame:
    """Every 28 days of recorded snapshots is an origin; see ``hub.predict.forecast.backtest``."""
    snapshots = warehouse.read("analytics", "churn_snapshots")
    recorded = warehouse.read("analytics", "pipeline_snapshots")
    if snapshots.empty or recorded.empty:
        return pd.DataFrame()
    days = pd.to_datetime(recorded["as_of"])
    recorded_days = np.sort(days.unique())

    def pipeline_at(origin: pd.Timestamp) -> pd.DataFrame:
        earlier = recorded_days[recorded_days <= np.datetime64(origin)]
        return recorded[days == earlier[-1]] if len(earlier) else recorded.iloc[0:0]

    # An origin before the first recorded pipeline would forecast without deals: not a fair test.
    first = max(pd.to_datetime(snapshots["as_of"]).min(), pd.Timestamp(recorded_days[0]))
    last = pd.to_datetime(snapshots["as_of"]).max()
    origins = list(pd.date_range(first, last - pd.Timedelta(days=30), freq=f"{BACKTEST_EVERY_DAYS}D"))
    return backtest(snapshots, pipeline_at, origins)
