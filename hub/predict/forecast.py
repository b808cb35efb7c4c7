"""MRR over the next one to three months: today's base, less the churn model's expected losses,
plus the weighted pipeline by expected close date, with an 80 % interval.

- Survival of a customer to month 1 is ``1 - p30`` and to month 3 ``1 - p90`` (the churn model);
  month 2 takes their geometric mean. A deal adds its MRR with its stage probability when its
  expected close date falls before the month's end (overdue open deals count in month 1).
- The interval is the 10th to 90th percentile of simulated months in which each customer churns
  and each deal closes at those probabilities. It leaves out expansion, contraction and deals
  not in the pipeline yet, so it is narrower than the truth: the backtest reports how often the
  actual MRR fell inside it.
- ``backtest`` replays the forecast at past origins using only what was known then (snapshots up
  to the origin, the deals open at the origin, a churn model fitted on labels known by then) and
  compares with the MRR the snapshots later showed: absolute percentage error per month ahead.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from hub.predict import features as ft
from hub.predict.churn import MIN_TRAIN_CHURNS, ChurnModel

MONTH_DAYS = 30
FORECAST_COLUMNS = ["as_of", "months_ahead", "month_end", "current_mrr", "expected_churn_mrr", "pipeline_mrr",
                    "forecast_mrr", "low_mrr", "high_mrr"]


def survival(p30: np.ndarray, p90: np.ndarray, months: int) -> np.ndarray:
    """Customers × months: the chance each is still a customer at the end of month 1..``months``."""
    s1, s3 = 1 - np.asarray(p30, float), 1 - np.asarray(p90, float)
    s2 = np.sqrt(s1 * s3)
    return np.column_stack([s1, s2, s3][:months])


def forecast_mrr(base: pd.DataFrame, pipeline: pd.DataFrame, as_of: pd.Timestamp, *, months: int = 3,
                 simulations: int = 2000, seed: int = 0) -> pd.DataFrame:
    """``base``: customer_id, mrr, churn_probability_30d, churn_probability_90d (live customers);
    ``pipeline``: open deals with mrr, probability, close_date. One row per month ahead."""
    if not 1 <= months <= 3:
        raise ValueError("the forecast covers 1 to 3 months (the churn model's horizons)")
    mrr = pd.to_numeric(base["mrr"], errors="coerce").fillna(0.0).to_numpy()
    alive = survival(base["churn_probability_30d"], base["churn_probability_90d"], months)
    deal_mrr = pd.to_numeric(pipeline["mrr"], errors="coerce").fillna(0.0).to_numpy()
    deal_p = pd.to_numeric(pipeline["probability"], errors="coerce").fillna(0.0).clip(0, 1).to_numpy()
    close = pd.to_datetime(pipeline["close_date"], errors="coerce")
    rng = np.random.default_rng(seed)
    # One draw per customer and deal: a customer gone by month 1 stays gone, a deal won stays won.
    churn_draw = rng.random((simulations, len(mrr)))
    deal_draw = rng.random((simulations, len(deal_mrr)))
    rows = []
    for m in range(1, months + 1):
        month_end = as_of + pd.Timedelta(days=MONTH_DAYS * m)
        closing = (close <= month_end).to_numpy() & close.notna().to_numpy()
        expected_base = float(mrr @ alive[:, m - 1])
        expected_pipeline = float((deal_mrr * deal_p)[closing].sum())
        simulated = ((churn_draw < alive[:, m - 1]) @ mrr
                     + ((deal_draw < deal_p) & closing) @ deal_mrr)
        rows.append({"as_of": as_of.strftime("%Y-%m-%d"), "months_ahead": m,
                     "month_end": month_end.strftime("%Y-%m-%d"), "current_mrr": round(float(mrr.sum()), 2),
                     "expected_churn_mrr": round(float(mrr.sum()) - expected_base, 2),
                     "pipeline_mrr": round(expected_pipeline, 2),
                     "forecast_mrr": round(expected_base + expected_pipeline, 2),
                     "low_mrr": round(float(np.percentile(simulated, 10)), 2),
                     "high_mrr": round(float(np.percentile(simulated, 90)), 2)})
    return pd.DataFrame(rows, columns=FORECAST_COLUMNS)


def open_deals(deals: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Deals the CRM showed open on ``as_of``: created by then, not closed by then."""
    created = pd.to_datetime(deals["created_on"], errors="coerce")
    closed = pd.to_datetime(deals["closed_on"], errors="coerce")
    return deals[(created <= as_of) & ~(closed <= as_of)]


def backtest(snapshots: pd.DataFrame, pipeline_at: Callable[[pd.Timestamp], pd.DataFrame],
             origins: list[pd.Timestamp], *, months: int = 3, min_train_churns: int = MIN_TRAIN_CHURNS) -> pd.DataFrame:
    """Forecast at each origin from what was known then (``pipeline_at(origin)``: the deals open
    that day); actual MRR from the snapshot nearest to each month's end. ``naive_ape`` is the error
    of saying "MRR stays as it is", the bar a forecast has to clear. Origins without enough history
    for a churn model, or without a later snapshot to compare with, are left out (never filled in)."""
    days = pd.to_datetime(snapshots["as_of"])
    snapshot_days = np.sort(days.unique())
    x_all = ft.features(snapshots)
    live_all = ft.live_snapshots(snapshots)
    rows = []
    for origin in origins:
        known = snapshots[days <= origin]
        live = ft.live_snapshots(known)
        if live.empty:
            continue
        x = x_all[(live_all["as_of"] <= origin).to_numpy()].reset_index(drop=True)  # features read only the past
        latest = (live["as_of"] == live["as_of"].max()).to_numpy()
        probabilities = {}
        for horizon in (30, 90):
            y = ft.labels(known, horizon).to_numpy()
            labelled = ~np.isnan(y)
            if np.nansum(y) < min_train_churns:
                break
            model = ChurnModel(horizon).fit(x[labelled], y[labelled])
            probabilities[horizon] = model.predict(x[latest])
        if len(probabilities) < 2:
            continue
        base = pd.DataFrame({"mrr": live.loc[latest, "mrr"].to_numpy(),
                             "churn_probability_30d": probabilities[30], "churn_probability_90d": probabilities[90]})
        forecast = forecast_mrr(base, pipeline_at(origin), origin, months=months)
        for row in forecast.itertuples():
            target = pd.Timestamp(row.month_end)
            nearest = snapshot_days[np.argmin(np.abs(snapshot_days - np.datetime64(target)))]
            if abs((pd.Timestamp(nearest) - target).days) > 7:
                continue
            at = snapshots[(days == nearest) & (snapshots["lifecycle_stage"] != ft.CHURNED)]
            actual = float(pd.to_numeric(at["mrr"], errors="coerce").sum())
            rows.append({"origin": origin.strftime("%Y-%m-%d"), "months_ahead": row.months_ahead,
                         "forecast_mrr": row.forecast_mrr, "low_mrr": row.low_mrr, "high_mrr": row.high_mrr,
                         "actual_mrr": round(actual, 2),
                         "ape": abs(row.forecast_mrr - actual) / actual if actual else np.nan,
                         "naive_ape": abs(row.current_mrr - actual) / actual if actual else np.nan,
                         "inside_interval": row.low_mrr <= actual <= row.high_mrr})
    return pd.DataFrame(rows, columns=["origin", "months_ahead", "forecast_mrr", "low_mrr", "high_mrr", "actual_mrr",
                                       "ape", "naive_ape", "inside_interval"])


def mape(backtest_rows: pd.DataFrame) -> pd.Series:
    """Mean absolute percentage error per month ahead."""
    return backtest_rows.groupby("months_ahead")["ape"].mean().round(4)
