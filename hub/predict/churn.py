"""Churn probability per customer over the next 30 and 90 days, or an honest "not yet".

``churn_risk(snapshots)`` learns from the hub's own snapshots (``hub.predict.features``) with a
regularised logistic regression per horizon, judges it on a held-out time window against the
health band (``hub.predict.evaluation``), refits on every known label and scores each live
customer of the latest snapshot day, with the three factors that raise its risk most, in words.
With too little history (too few days or too few churns to learn from and to test on) it says
why and leaves the probability empty: ``method`` is then ``health_band`` and the band stands.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hub.predict import features as ft
from hub.predict.evaluation import Scores, band_baseline, calibration_table, scores, time_split

HORIZONS = (30, 90)
TEST_DAYS = 90
MIN_TRAIN_CHURNS = 30
MIN_TEST_CHURNS = 10
REGULARISATION_C = 0.3  # inverse strength: a sparse world should not get coefficients it cannot support


@dataclass(frozen=True)
class Evaluation:
    """One horizon's held-out result; ``reason`` says why there is none when figures are missing."""

    horizon_days: int
    reason: str | None = None
    train_from: pd.Timestamp | None = None
    train_until: pd.Timestamp | None = None
    test_from: pd.Timestamp | None = None
    test_until: pd.Timestamp | None = None
    n_train: int = 0
    n_test: int = 0
    train_churns: int = 0
    test_churns: int = 0
    model: Scores | None = None
    baseline: Scores | None = None  # the health band, as each band's training churn rate
    health_score: Scores | None = None  # 100 - health score as a ranking (no probability: Brier n/a)
    calibration: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def evaluated(self) -> bool:
        return self.model is not None

    @property
    def beats_baseline(self) -> bool | None:
        """PR-AUC of the model at least the health band's (None when not evaluated)."""
        return None if self.model is None else self.model.pr_auc >= self.baseline.pr_auc


@dataclass
class ChurnRisk:
    """The per-customer result and the evaluations behind it."""

    scores: pd.DataFrame  # RISK_COLUMNS
    evaluations: list[Evaluation]

    @property
    def method(self) -> str:
        return "model" if all(e.evaluated for e in self.evaluations) else "health_band"


RISK_COLUMNS = ["customer_id", "as_of", "churn_probability_30d", "churn_probability_90d", "churn_probability",
                "risk_band", "top_factors", "health_band", "method", "reason"]


class ChurnModel:
    """A fitted pipeline (median fill, standardise, L2 logistic regression) for one horizon."""

    def __init__(self, horizon_days: int) -> None:
        # Imported here: scikit-learn costs ~2 s to import, paid by every step process otherwise.
        from sklearn.impute import SimpleImputer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import Pipeline
        from sklearn.preprocessing import StandardScaler

        self.horizon_days = horizon_days
        self.pipeline = Pipeline([
            ("fill", SimpleImputer(strategy="median", keep_empty_features=True)),
            ("scale", StandardScaler()),
            ("model", LogisticRegression(C=REGULARISATION_C, max_iter=2000)),
        ])

    def fit(self, x: pd.DataFrame, y: np.ndarray) -> ChurnModel:
        self.pipeline.fit(x, y)
        return self

    def predict(self, x: pd.DataFrame) -> np.ndarray:
        return self.pipeline.predict_proba(x)[:, 1]

    def contributions(self, x: pd.DataFrame) -> pd.DataFrame:
        """Each feature's push on the log-odds against an average customer (coefficient × z-score)."""
        z = self.pipeline[:-1].transform(x)
        return pd.DataFrame(z * self.pipeline["model"].coef_[0], columns=x.columns, index=x.index)

    def coefficients(self) -> pd.Series:
        return pd.Series(self.pipeline["model"].coef_[0], index=ft.FEATURES).round(3)


def churn_risk(snapshots: pd.DataFrame, *, horizons: tuple[int, ...] = HORIZONS, test_days: int = TEST_DAYS,
               min_train_churns: int = MIN_TRAIN_CHURNS, min_test_churns: int = MIN_TEST_CHURNS) -> ChurnRisk:
    """Evaluate, refit and score (see the module docstring)."""
    live = ft.live_snapshots(snapshots)
    x = ft.features(snapshots)
    latest = (live["as_of"] == live["as_of"].max()).to_numpy() if len(live) else np.zeros(0, bool)
    out = pd.DataFrame({"customer_id": live.loc[latest, "customer_id"].to_numpy(),
                        "as_of": live.loc[latest, "as_of"].dt.strftime("%Y-%m-%d").to_numpy(),
                        "health_band": live.loc[latest, "health_band"].to_numpy()})
    evaluations, contributions = [], {}
    for horizon in horizons:
        y = ft.labels(snapshots, horizon).to_numpy()
        evaluation = evaluate(live, x, y, horizon, test_days, min_train_churns, min_test_churns)
        evaluations.append(evaluation)
        column = f"churn_probability_{horizon}d"
        if not evaluation.evaluated:
            out[column] = np.nan
            continue
        known = ~np.isnan(y)
        model = ChurnModel(horizon).fit(x[known], y[known])
        out[column] = model.predict(x[latest]).round(4)
        contributions[horizon] = model.contributions(x[latest])
    reasons = [f"{e.horizon_days} days: {e.reason}" for e in evaluations if e.reason]
    out["method"] = "health_band" if reasons else "model"
    out["reason"] = "; ".join(reasons) if reasons else None
    longest = f"churn_probability_{max(horizons)}d"
    out["churn_probability"] = out[longest] if longest in out else np.nan
    out["risk_band"] = _risk_band(out["churn_probability"], evaluations[-1]) if not reasons else out["health_band"]
    if reasons:
        out.loc[:, [f"churn_probability_{h}d" for h in horizons] + ["churn_probability"]] = np.nan
        out["top_factors"] = None
    else:
        out["top_factors"] = top_factors(contributions[max(horizons)], live.loc[latest], x[latest])
    for column in RISK_COLUMNS:
        if column not in out:
            out[column] = np.nan
    return ChurnRisk(scores=out[RISK_COLUMNS], evaluations=evaluations)


def evaluate(live: pd.DataFrame, x: pd.DataFrame, y: np.ndarray, horizon: int, test_days: int,
             min_train_churns: int, min_test_churns: int) -> Evaluation:
    """Fit on the training window, score the test window, compare with the health band."""
    if live.empty:
        return Evaluation(horizon, reason="no snapshots yet: churn_snapshots fills one day per run")
    split = time_split(live["as_of"], horizon, test_days)
    known = ~np.isnan(y)
    train, test = split.train & known, split.test & known
    train_churns, test_churns = int(np.nansum(y[train])), int(np.nansum(y[test]))
    days = (live["as_of"].max() - live["as_of"].min()).days + 1
    needed = 2 * horizon + test_days
    base = dict(horizon_days=horizon, n_train=int(train.sum()), n_test=int(test.sum()),
                train_churns=train_churns, test_churns=test_churns)
    if days < needed:
        return Evaluation(**base, reason=f"{days} days of snapshots, {needed} needed "
                          f"(a {horizon}-day horizon to learn, a {test_days}-day window to test, its horizon to see)")
    if train_churns < min_train_churns or test_churns < min_test_churns:
        return Evaluation(**base, reason=f"{train_churns} churns to learn from and {test_churns} to test on, "
                          f"{min_train_churns} and {min_test_churns} needed")
    model = ChurnModel(horizon).fit(x[train], y[train])
    p_model = model.predict(x[test])
    bands = live["health_band"]
    p_band = band_baseline(bands[train], y[train], bands[test])
    health = pd.to_numeric(live.loc[test, "health_score"], errors="coerce").fillna(50).to_numpy()
    health_scores = scores(y[test], (100 - health) / 100)
    return Evaluation(**base, train_from=split.train_from, train_until=split.train_until,
                      test_from=split.test_from, test_until=split.test_until,
                      model=scores(y[test], p_model), baseline=scores(y[test], p_band),
                      health_score=Scores(health_scores.roc_auc, health_scores.pr_auc, float("nan"),
                                          health_scores.top_decile_churn_rate, health_scores.lift_top_decile),
                      calibration={"model": calibration_table(y[test], p_model),
                                   "health band": calibration_table(y[test], p_band)})


def _risk_band(probability: pd.Series, evaluation: Evaluation) -> pd.Series:
    """``high`` at three times the test window's churn rate or more, ``elevated`` at 1.5 times, else ``low``."""
    base = evaluation.test_churns / max(evaluation.n_test, 1)
    return pd.Series(np.select([probability >= 3 * base, probability >= 1.5 * base], ["high", "elevated"], "low"),
                     index=probability.index)


def top_factors(contributions: pd.DataFrame, rows: pd.DataFrame, x: pd.DataFrame, k: int = 3) -> list[str | None]:
    """The ``k`` features raising each customer's risk most (positive contributions only), in words."""
    names = np.array(contributions.columns)
    order = np.argsort(-contributions.to_numpy(), axis=1)[:, :k]
    values = contributions.to_numpy()
    out = []
    for i, picks in enumerate(order):
        words = [_describe(names[j], x.iloc[i], rows.iloc[i]) for j in picks if values[i, j] > 0.05]
        out.append("; ".join(w for w in words if w) or None)
    return out


def _describe(name: str, x: pd.Series, row: pd.Series) -> str | None:
    value = x[name]
    if pd.isna(value):
        return None
    template = ft.FEATURES[name]
    if "{days_to_renewal" in template:
        renewal = pd.to_datetime(row.get("renewal_on"), errors="coerce")
        return template.format(days_to_renewal=(renewal - row["as_of"]).days) if pd.notna(renewal) else None
    if "{pct:" in template:  # log ratios of call volumes
        return template.format(pct=100 * np.expm1(min(value, 20.0)))
    if "{raw_" in template:  # log1p of a count or an amount
        return template.format(raw_calls=np.expm1(min(value, 40.0)), raw_mrr=np.expm1(min(value, 40.0)))
    return template.format(v=value, pct_v=100 * value)
